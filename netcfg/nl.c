/* Request/ACK plumbing shared by rtnetlink, generic netlink and nfnetlink users. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "nl.h"
#include "../common/util.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

int nl_open(struct nl **nlp, int bus)
{
	struct nl *nl = xcalloc(1, sizeof(*nl));
	int one = 1, r;

	nl->bus = bus;
	nl->sock = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!nl->sock) {
		r = -errno;
		goto out;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto out;
	}
	/* Both are best effort: older kernels lack them and still answer correctly. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
	nl->rx = xmalloc(NL_BUFSIZE);
	*nlp = nl;
	return 0;
out:
	nl_close(nl);
	return r;
}

void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->rx);
	free(nl);
}

struct nlmsghdr *nl_msg(struct nl *nl, void *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	/* Dumps end with NLMSG_DONE and get no ACK; everything else is ACKed. */
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	if ((flags & NLM_F_DUMP) != NLM_F_DUMP)
		nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

/* Pull NLMSGERR_ATTR_MSG out of an error or DONE message's TLVs. */
static void nl_extack(struct nl *nl, const struct nlmsghdr *nlh, size_t off)
{
	const struct nlattr *attr;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	mnl_attr_for_each(attr, nlh, off) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
			snprintf(nl->err, sizeof(nl->err), "%s", mnl_attr_get_str(attr));
			return;
		}
	}
}

/* The error code of an NLMSG_ERROR (0 is an ACK); records the extended ACK text. */
static int nl_parse_error(struct nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return -EBADMSG;
	if (e->error == 0)
		return 0;
	/* With NLM_F_CAPPED only the original header is echoed, not its payload. */
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	nl_extack(nl, nlh, off);
	return e->error;
}

static int nl_parse_done(struct nl *nl, const struct nlmsghdr *nlh)
{
	int err;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(int))
		return 0;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err < 0)
		nl_extack(nl, nlh, sizeof(int));
	return err < 0 ? err : 0;
}

int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	uint32_t seq = nlh->nlmsg_seq;
	bool intr = false;
	int r = 0, cbr = 0;

	nl->err[0] = '\0';
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->rx, NL_BUFSIZE);
		struct nlmsghdr *m;
		int len;

		if (n < 0)
			return -errno;
		len = (int)n;
		for (m = (struct nlmsghdr *)nl->rx; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_seq != seq || m->nlmsg_pid != nl->portid)
				continue;  /* a stale answer to an earlier, abandoned request */
			if (m->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			switch (m->nlmsg_type) {
			case NLMSG_NOOP:
				continue;
			case NLMSG_ERROR:
				/* An ACK, or the failure of a request or of a dump's start. */
				r = nl_parse_error(nl, m);
				goto out;
			case NLMSG_DONE:
				/* Dumps are not ACKed: DONE is their end. */
				r = nl_parse_done(nl, m);
				goto out;
			default:
				/* Keep reading after a callback failure so no reply is left queued. */
				errno = 0;
				if (cb && cbr == 0 && cb(m, data) == MNL_CB_ERROR)
					cbr = errno ? -errno : -EINVAL;
				break;
			}
		}
	}
out:
	if (r < 0)
		return r;
	if (cbr < 0)
		return cbr;
	return intr ? -EINTR : 0;
}

int nl_dump(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data, void *v, size_t *n)
{
	void **arr = v;
	int r = -EINTR, tries;

	for (tries = 0; tries < NL_DUMP_TRIES && r == -EINTR; tries++) {
		/* An interrupted dump may have missed or doubled entries: start over. */
		free(*arr);
		*arr = NULL;
		*n = 0;
		if (tries)
			nlh->nlmsg_seq = ++nl->seq;
		r = nl_talk(nl, nlh, cb, data);
	}
	if (r < 0) {
		free(*arr);
		*arr = NULL;
		*n = 0;
	}
	return r;
}

void nl_send_limits(int sndbuf, int rcvbuf, size_t *bytes, size_t *msgs)
{
	/* netlink_sendmsg refuses len > sk_sndbuf - 32. */
	*bytes = sndbuf > 32 + NLMSG_HDRLEN ? (size_t)sndbuf - 32 : NLMSG_HDRLEN;
	*msgs = rcvbuf > NL_ACK_COST ? (size_t)rcvbuf / NL_ACK_COST : 1;
}

void nl_send_bufs(size_t len, size_t n, int *sndbuf, int *rcvbuf)
{
	size_t max = INT_MAX / 2;   /* what the kernel clamps both to */

	len += 32;
	n *= NL_ACK_COST;
	*sndbuf = (int)(len < max ? len : max);
	*rcvbuf = (int)(n < max ? n : max);
}

size_t nl_batch_cut(const void *buf, size_t len, size_t off, size_t bytes, size_t msgs,
		    size_t *n)
{
	const struct nlmsghdr *m = (const struct nlmsghdr *)((const char *)buf + off);
	int left = off < len ? (int)(len - off) : 0;
	size_t end = off;

	*n = 0;
	for (; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
		size_t next = (size_t)((const char *)m - (const char *)buf) +
			      NLMSG_ALIGN(m->nlmsg_len);

		if (next > len)
			next = len;
		if (*n && (*n == msgs || next - off > bytes))
			break;
		end = next;
		(*n)++;
	}
	return end;
}

/* One sendmsg of the n messages in buf (consecutive sequence numbers from first), then
 * every answer that was asked for. The first failure (not -ignore) lands in *r, its index
 * plus base in *failed and its text in nl->err; later ones leave them alone. Returns 0,
 * or -errno when nothing more can be read for this send (the socket failed, or nfnetlink
 * refused the whole batch: whatever else follows is stale). */
static int nl_send_acked(struct nl *nl, const void *buf, size_t len, size_t n, int ignore,
			 int base, int *r, int *failed)
{
	const struct nlmsghdr *m = buf;
	uint32_t first = m->nlmsg_seq, last = first + (uint32_t)n - 1;
	size_t pending = 0, i;
	int left = (int)len;

	for (i = 0; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left), i++) {
		/* The failed index is worked out from the sequence number. */
		if (m->nlmsg_seq != first + (uint32_t)i)
			return -EINVAL;
		/* nfnetlink's BATCH_BEGIN/END go without NLM_F_ACK: kernels before 6.0 never
		 * answer them, so only messages asking for an ACK are waited for. */
		if (m->nlmsg_flags & NLM_F_ACK)
			pending++;
	}
	if (mnl_socket_sendto(nl->sock, buf, len) < 0)
		return -errno;
	while (pending) {
		ssize_t got = mnl_socket_recvfrom(nl->sock, nl->rx, NL_BUFSIZE);
		int rlen;

		if (got < 0)
			return -errno;
		rlen = (int)got;
		for (m = (struct nlmsghdr *)nl->rx; mnl_nlmsg_ok(m, rlen); m = mnl_nlmsg_next(m, &rlen)) {
			const struct nlmsgerr *e;
			bool acked;

			if (m->nlmsg_type != NLMSG_ERROR || m->nlmsg_pid != nl->portid)
				continue;
			e = mnl_nlmsg_get_payload(m);
			if (m->nlmsg_len < mnl_nlmsg_size(sizeof(*e)) ||
			    e->msg.nlmsg_seq - first > last - first)
				continue;  /* an answer to an earlier, abandoned send */
			acked = e->msg.nlmsg_flags & NLM_F_ACK;
			if (acked && pending)
				pending--;
			if (e->error == 0 || (ignore && e->error == -ignore))
				continue;
			/* Keep the first failure's text; later ones would overwrite it. */
			if (*r == 0 && nl_parse_error(nl, m) < 0) {
				*r = e->error;
				*failed = base + (int)(e->msg.nlmsg_seq - first);
			}
			if (!acked)
				return *r;
		}
	}
	return 0;
}

/* The limits of a send on nl's socket as it is set now. */
static int nl_limits(struct nl *nl, size_t *bytes, size_t *msgs)
{
	int fd = mnl_socket_get_fd(nl->sock), snd = 0, rcv = 0;
	socklen_t sl = sizeof(snd), rl = sizeof(rcv);

	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, &sl) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &rl) < 0)
		return -errno;
	nl_send_limits(snd, rcv, bytes, msgs);
	return 0;
}

int nl_talk_batch(struct nl *nl, void *buf, size_t len, int ignore, int *failed)
{
	size_t bytes = 0, msgs = 0, off = 0, idx = 0, end, n;
	int r = 0, e;

	*failed = -1;
	nl->err[0] = '\0';
	e = nl_limits(nl, &bytes, &msgs);
	if (e < 0)
		return e;
	for (;;) {
		end = nl_batch_cut(buf, len, off, bytes, msgs, &n);
		if (!n)
			break;
		if (end - off > bytes) {
			/* One message larger than the socket takes: it fails alone. */
			if (r == 0) {
				r = -EMSGSIZE;
				*failed = (int)idx;
			}
			e = 0;
		} else {
			e = nl_send_acked(nl, (char *)buf + off, end - off, n, ignore, (int)idx,
					  &r, failed);
		}
		if (e < 0) {
			/* Out of step with the kernel: nothing after this can be answered. */
			if (r == 0)
				r = e;
			break;
		}
		off = end;
		idx += n;
	}
	return r;
}

/* Raise one of the socket's buffers to at least want (as read back). */
static void nl_sockbuf(struct nl *nl, int opt, int force, int want)
{
	int fd = mnl_socket_get_fd(nl->sock), cur = 0;
	socklen_t l = sizeof(cur);

	if (getsockopt(fd, SOL_SOCKET, opt, &cur, &l) == 0 && cur >= want)
		return;
	/* FORCE passes the sysctl limits (wmem_max, rmem_max) with CAP_NET_ADMIN, which a
	 * caller writing nftables has; the plain option goes as far as they allow. */
	if (setsockopt(fd, SOL_SOCKET, force, &want, sizeof(want)) < 0)
		setsockopt(fd, SOL_SOCKET, opt, &want, sizeof(want));
}

int nl_talk_atomic(struct nl *nl, void *buf, size_t len, int *failed)
{
	size_t n;
	int r = 0, e, snd, rcv;

	*failed = -1;
	nl->err[0] = '\0';
	if (nl_batch_cut(buf, len, 0, len, SIZE_MAX, &n) == 0)
		return 0;
	nl_send_bufs(len, n, &snd, &rcv);
	nl_sockbuf(nl, SO_SNDBUF, SO_SNDBUFFORCE, snd);
	nl_sockbuf(nl, SO_RCVBUF, SO_RCVBUFFORCE, rcv);
	e = nl_send_acked(nl, buf, len, n, 0, 0, &r, failed);
	return r ? r : e;
}

const char *nl_strerror(const struct nl *nl, int err)
{
	if (nl && nl->err[0])
		return nl->err;
	return strerror(err < 0 ? -err : err);
}
