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

/* Send several requests laid back to back in buf (each from nl_msg, each with NLM_F_ACK)
 * in one sendmsg, then collect every ACK. Returns 0 or the first -errno; *failed is set to
 * the index of the first failing message (or -1). Every message is still answered.
 * Messages without NLM_F_ACK (nfnetlink's BATCH_BEGIN/END) are not waited for; an error
 * naming one of them ends the wait at once, as the kernel then rejected the whole batch. */
int nl_talk_batch(struct nl *nl, void *buf, size_t len, int *failed);

/* The message for an error: the extended ACK text if the kernel gave one, else strerror. */
const char *nl_strerror(const struct nl *nl, int err);

#endif
