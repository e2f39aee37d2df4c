/* A netlink socket with sequence numbers, ACKs and extended ACK messages, on libmnl. */
#ifndef WARREN_NL_H
#define WARREN_NL_H

#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

/* Room for one request; SET_DEVICE and batches split themselves to fit. */
#define NL_BUFSIZE (MNL_SOCKET_BUFFER_SIZE * 4)

struct nl {
	struct mnl_socket *sock;
	int bus;                 /* NETLINK_ROUTE, NETLINK_GENERIC, NETLINK_NETFILTER */
	uint32_t portid;
	uint32_t seq;
	char err[256];           /* extended ACK message of the last failure, or "" */
	char *rx;                /* receive buffer, NL_BUFSIZE bytes */
};

/* Open a socket on bus with extended ACKs and capped ACKs on. 0 or -errno. */
int nl_open(struct nl **nlp, int bus);
void nl_close(struct nl *nl);

/* Start a request in buf (NL_BUFSIZE bytes): header with type, flags | NLM_F_REQUEST | NLM_F_ACK
 * and the next sequence number. */
struct nlmsghdr *nl_msg(struct nl *nl, void *buf, uint16_t type, uint16_t flags);

/* Send nlh and read replies until the ACK (or the end of a dump), calling cb for each data
 * message. Returns 0 or -errno; the kernel's extended ACK text is left in nl->err.
 * A dump interrupted by a concurrent change (NLM_F_DUMP_INTR) returns -EINTR: the caller
 * resets what cb collected and asks again. */
int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/* A dump collected by cb into an array (*v of *n items, as array_push grows it): asked
 * again, with *v emptied, while the kernel reports it interrupted (NLM_F_DUMP_INTR), at
 * most NL_DUMP_TRIES times. On failure *v is freed. 0 or -errno (-EINTR: never calm). */
#define NL_DUMP_TRIES 5
int nl_dump(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data, void *v, size_t *n);

/* What one queued answer may take of a socket's receive buffer: an ACK's skb costs 832
 * bytes (truesize, 6.1 and 6.18), one with extended ACK attributes a little more. The
 * kernel drops answers that do not fit, so sends are cut to what the buffer holds. */
#define NL_ACK_COST 2048

/* Send the requests laid back to back in buf (each from nl_msg, with NLM_F_ACK, their
 * sequence numbers consecutive) in as few sends as the socket takes: each carries no more
 * than its send buffer allows and no more requests than its receive buffer holds answers
 * for, and is answered in full before the next goes. Every message is sent and answered,
 * also after a failure. Returns 0 or the first -errno; *failed is set to the index in buf
 * of the first failing message (or -1, when the socket itself failed). A failure of
 * -ignore (an errno such as ESRCH for a delete of what is gone already; 0: none) counts as
 * success. */
int nl_talk_batch(struct nl *nl, void *buf, size_t len, int ignore, int *failed);

/* As nl_talk_batch, but in one sendmsg, for nfnetlink batches (BATCH_BEGIN ... END) that
 * the kernel applies whole or not at all: the socket's buffers are raised to fit it first
 * (SO_SNDBUFFORCE/SO_RCVBUFFORCE with CAP_NET_ADMIN, else as far as SO_SNDBUF/SO_RCVBUF
 * go), as nftables does. Messages without NLM_F_ACK (BATCH_BEGIN/END) are not waited
 * for; an error naming one of them ends the wait at once, as the kernel then rejected the
 * whole batch. */
int nl_talk_atomic(struct nl *nl, void *buf, size_t len, int *failed);

/* The pieces of both, pure, for tests. */

/* The most one send may carry on a socket whose SO_SNDBUF and SO_RCVBUF read sndbuf and
 * rcvbuf: *bytes (the kernel refuses a message longer than sndbuf - 32) and *msgs
 * (every answer queued at once must fit in rcvbuf); never less than one message. */
void nl_send_limits(int sndbuf, int rcvbuf, size_t *bytes, size_t *msgs);
/* The SO_SNDBUF and SO_RCVBUF values (as read back) that take n messages of len bytes in
 * all in one send, with all their answers; the inverse of nl_send_limits. */
void nl_send_bufs(size_t len, size_t n, int *sndbuf, int *rcvbuf);
/* Where the send starting at offset off of buf's len bytes ends: as many whole messages
 * as fit in bytes and msgs, but at least one. *n gets their number (0 at the end of buf or
 * before a truncated message). */
size_t nl_batch_cut(const void *buf, size_t len, size_t off, size_t bytes, size_t msgs,
		    size_t *n);

/* The message for an error: the extended ACK text if the kernel gave one, else strerror. */
const char *nl_strerror(const struct nl *nl, int err);

#endif
