/* The kernel WireGuard backend: generic netlink family "wireguard" (WG_CMD_GET_DEVICE as a
 * dump merged across messages, WG_CMD_SET_DEVICE split across messages), as
 * wireguard-tools' ipc-linux.h speaks it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <sodium.h>

#include "nl.h"
#include "wg.h"
#include "../common/util.h"

/* A dump interrupted by concurrent changes is retried this often before giving up. */
#define GET_RETRIES 16
/* Requests other than SET_DEVICE carry a header and one short attribute. */
#define SMALL_REQ 256

/* ---- family ---- */

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;
	uint16_t *id = data;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(a, MNL_TYPE_U16) == 0)
			*id = mnl_attr_get_u16(a);
	}
	return MNL_CB_OK;
}

static struct genlmsghdr *genl_put(struct nlmsghdr *nlh, uint8_t cmd, uint8_t version)
{
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	g->cmd = cmd;
	g->version = version;
	return g;
}

int wg_kernel_family(struct nl *nl, uint16_t *family)
{
	char buf[SMALL_REQ] = { 0 };
	struct nlmsghdr *nlh = nl_msg(nl, buf, GENL_ID_CTRL, 0);
	uint16_t id = 0;
	int r;

	genl_put(nlh, CTRL_CMD_GETFAMILY, 1);
	if (!mnl_attr_put_strz_check(nlh, sizeof(buf), CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME))
		return -EMSGSIZE;
	r = nl_talk(nl, nlh, family_cb, &id);
	if (r < 0)
		return r;
	if (!id)
		return -EBADMSG;
	*family = id;
	return 0;
}

/* ---- reading: every attribute's type and length is checked before use ---- */

static bool len_is(const struct nlattr *a, size_t n)
{
	return mnl_attr_get_payload_len(a) == n;
}

/* True when iteration stopped exactly at the end: nothing truncated or trailing. */
static bool at_end(const struct nlattr *a, const void *end)
{
	return (const char *)a == (const char *)end;
}

static const void *nest_end(const struct nlattr *nest)
{
	return (const char *)mnl_attr_get_payload(nest) + mnl_attr_get_payload_len(nest);
}

static int parse_allowed_ip(const struct nlattr *nest, struct cidr *c)
{
	const struct nlattr *a;
	bool fam = false, addr = false, mask = false;
	size_t addrlen = 0;

	memset(c, 0, sizeof(*c));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case WGALLOWEDIP_A_FAMILY:
			if (!len_is(a, sizeof(uint16_t)))
				return -EBADMSG;
			c->family = mnl_attr_get_u16(a);
			fam = true;
			break;
		case WGALLOWEDIP_A_IPADDR:
			addrlen = mnl_attr_get_payload_len(a);
			if (addrlen != 4 && addrlen != 16)
				return -EBADMSG;
			memcpy(c->addr, mnl_attr_get_payload(a), addrlen);
			addr = true;
			break;
		case WGALLOWEDIP_A_CIDR_MASK:
			if (!len_is(a, sizeof(uint8_t)))
				return -EBADMSG;
			c->prefix = mnl_attr_get_u8(a);
			mask = true;
			break;
		}
	}
	if (!at_end(a, nest_end(nest)))
		return -EBADMSG;
	if (!fam || !addr || !mask)
		return -EBADMSG;
	if (!((c->family == AF_INET && addrlen == 4 && c->prefix <= 32) ||
	      (c->family == AF_INET6 && addrlen == 16 && c->prefix <= 128)))
		return -EBADMSG;
	return 0;
}

static int parse_allowed_ips(const struct nlattr *nest, struct wg_peer *p)
{
	const struct nlattr *a;
	struct cidr c;
	int r;

	mnl_attr_for_each_nested(a, nest) {
		r = parse_allowed_ip(a, &c);
		if (r < 0)
			return r;
		wg_peer_add_allowed_ip(p, &c);
	}
	if (!at_end(a, nest_end(nest)))
		return -EBADMSG;
	return 0;
}

/* The public key of a peer nest, which decides whether it starts a peer or continues the
 * previous message's last one. */
static const uint8_t *peer_key(const struct nlattr *nest)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) == WGPEER_A_PUBLIC_KEY && len_is(a, KEY_LEN))
			return mnl_attr_get_payload(a);
	}
	return NULL;
}

static int parse_peer(const struct nlattr *nest, struct wg_device *dev)
{
	const uint8_t *key = peer_key(nest);
	const struct nlattr *a;
	struct wg_peer *p;
	bool cont;
	int r;

	if (!key)
		return -EBADMSG;
	/* A peer with many allowed IPs is split across messages, each repeating its key. */
	cont = dev->n_peers && memcmp(dev->peers[dev->n_peers - 1].public_key, key, KEY_LEN) == 0;
	p = cont ? &dev->peers[dev->n_peers - 1] : wg_device_add_peer(dev, key);

	mnl_attr_for_each_nested(a, nest) {
		const void *v = mnl_attr_get_payload(a);
		size_t len = mnl_attr_get_payload_len(a);

		switch (mnl_attr_get_type(a)) {
		case WGPEER_A_PUBLIC_KEY:
			if (len != KEY_LEN)
				return -EBADMSG;
			break;
		case WGPEER_A_PRESHARED_KEY:
			if (len != KEY_LEN)
				return -EBADMSG;
			if (cont)
				break;
			memcpy(p->preshared_key, v, KEY_LEN);
			p->flags |= WG_PEER_HAS_PRESHARED_KEY;
			break;
		case WGPEER_A_FLAGS: {
			uint32_t f;

			if (len != sizeof(uint32_t))
				return -EBADMSG;
			f = mnl_attr_get_u32(a);
			if (f & ~(uint32_t)__WGPEER_F_ALL)
				return -EBADMSG;
			if (cont)
				break;
			if (f & WGPEER_F_REMOVE_ME)
				p->flags |= WG_PEER_REMOVE_ME;
			if (f & WGPEER_F_REPLACE_ALLOWEDIPS)
				p->flags |= WG_PEER_REPLACE_ALLOWEDIPS;
			if (f & WGPEER_F_UPDATE_ONLY)
				p->flags |= WG_PEER_UPDATE_ONLY;
			break;
		}
		case WGPEER_A_ENDPOINT: {
			sa_family_t fam;

			if (len < sizeof(fam))
				return -EBADMSG;
			memcpy(&fam, v, sizeof(fam));
			if (!((fam == AF_INET && len == sizeof(struct sockaddr_in)) ||
			      (fam == AF_INET6 && len == sizeof(struct sockaddr_in6))))
				return -EBADMSG;
			if (!cont)
				memcpy(&p->endpoint, v, len);
			break;
		}
		case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
			if (len != sizeof(uint16_t))
				return -EBADMSG;
			if (cont)
				break;
			p->persistent_keepalive = mnl_attr_get_u16(a);
			p->flags |= WG_PEER_HAS_KEEPALIVE;
			break;
		case WGPEER_A_LAST_HANDSHAKE_TIME: {
			int64_t ts[2];  /* struct __kernel_timespec */

			if (len != sizeof(ts))
				return -EBADMSG;
			memcpy(ts, v, sizeof(ts));
			if (!cont) {
				p->last_handshake_sec = ts[0];
				p->last_handshake_nsec = ts[1];
			}
			break;
		}
		case WGPEER_A_RX_BYTES:
			if (len != sizeof(uint64_t))
				return -EBADMSG;
			if (!cont)
				p->rx_bytes = mnl_attr_get_u64(a);
			break;
		case WGPEER_A_TX_BYTES:
			if (len != sizeof(uint64_t))
				return -EBADMSG;
			if (!cont)
				p->tx_bytes = mnl_attr_get_u64(a);
			break;
		case WGPEER_A_PROTOCOL_VERSION:
			if (len != sizeof(uint32_t))
				return -EBADMSG;
			break;
		case WGPEER_A_ALLOWEDIPS:
			r = parse_allowed_ips(a, p);
			if (r < 0)
				return r;
			break;
		}
	}
	if (!at_end(a, nest_end(nest)))
		return -EBADMSG;
	return 0;
}

int wg_kernel_parse(const struct nlmsghdr *nlh, struct wg_device *dev)
{
	const struct nlattr *a, *p;
	int r;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return -EBADMSG;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		const void *v = mnl_attr_get_payload(a);
		size_t len = mnl_attr_get_payload_len(a);

		switch (mnl_attr_get_type(a)) {
		case WGDEVICE_A_IFINDEX:
			if (len != sizeof(uint32_t))
				return -EBADMSG;
			break;
		case WGDEVICE_A_IFNAME:
			if (len == 0 || len > IFNAMSIZ || memchr(v, '\0', len) != (const char *)v + len - 1)
				return -EBADMSG;
			memcpy(dev->ifname, v, len);
			break;
		case WGDEVICE_A_PRIVATE_KEY:
			if (len != KEY_LEN)
				return -EBADMSG;
			memcpy(dev->private_key, v, KEY_LEN);
			dev->flags |= WG_DEVICE_HAS_PRIVATE_KEY;
			break;
		case WGDEVICE_A_PUBLIC_KEY:
			if (len != KEY_LEN)
				return -EBADMSG;
			memcpy(dev->public_key, v, KEY_LEN);
			dev->flags |= WG_DEVICE_HAS_PUBLIC_KEY;
			break;
		case WGDEVICE_A_FLAGS:
			if (len != sizeof(uint32_t))
				return -EBADMSG;
			if (mnl_attr_get_u32(a) & ~(uint32_t)__WGDEVICE_F_ALL)
				return -EBADMSG;
			if (mnl_attr_get_u32(a) & WGDEVICE_F_REPLACE_PEERS)
				dev->flags |= WG_DEVICE_REPLACE_PEERS;
			break;
		case WGDEVICE_A_LISTEN_PORT:
			if (len != sizeof(uint16_t))
				return -EBADMSG;
			dev->listen_port = mnl_attr_get_u16(a);
			dev->flags |= WG_DEVICE_HAS_LISTEN_PORT;
			break;
		case WGDEVICE_A_FWMARK:
			if (len != sizeof(uint32_t))
				return -EBADMSG;
			dev->fwmark = mnl_attr_get_u32(a);
			dev->flags |= WG_DEVICE_HAS_FWMARK;
			break;
		case WGDEVICE_A_PEERS:
			mnl_attr_for_each_nested(p, a) {
				r = parse_peer(p, dev);
				if (r < 0)
					return r;
			}
			if (!at_end(p, (const char *)v + len))
				return -EBADMSG;
			break;
		}
	}
	if (!at_end(a, mnl_nlmsg_get_payload_tail(nlh)))
		return -EBADMSG;
	return 0;
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	int r = wg_kernel_parse(nlh, data);

	if (r < 0) {
		errno = -r;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int wg_kernel_get(struct nl *nl, uint16_t family, const char *ifname, struct wg_device **devp)
{
	char buf[SMALL_REQ] = { 0 };
	struct wg_device *dev = NULL;
	struct nlmsghdr *nlh;
	int r, tries = 0;
	size_t i;

again:
	wg_device_free(dev);
	r = wg_device_new(&dev, ifname);
	if (r < 0)
		goto out;
	nlh = nl_msg(nl, buf, family, NLM_F_DUMP);
	genl_put(nlh, WG_CMD_GET_DEVICE, WG_GENL_VERSION);
	if (!mnl_attr_put_strz_check(nlh, sizeof(buf), WGDEVICE_A_IFNAME, ifname)) {
		r = -EMSGSIZE;
		goto out;
	}
	r = nl_talk(nl, nlh, get_cb, dev);
	if (r == -EINTR && ++tries < GET_RETRIES)
		goto again;
	if (r < 0)
		goto out;
	/* The kernel reports a zero preshared key and keepalive 0 for "none". */
	for (i = 0; i < dev->n_peers; i++) {
		struct wg_peer *p = &dev->peers[i];

		p->flags &= ~(uint32_t)(WG_PEER_HAS_PRESHARED_KEY | WG_PEER_HAS_KEEPALIVE);
		if (!key_is_zero(p->preshared_key))
			p->flags |= WG_PEER_HAS_PRESHARED_KEY;
		if (p->persistent_keepalive)
			p->flags |= WG_PEER_HAS_KEEPALIVE;
	}
out:
	if (r < 0) {
		wg_device_free(dev);
		dev = NULL;
	}
	*devp = dev;
	return r;
}

/* ---- writing ---- */

static bool put_allowed_ip(struct nlmsghdr *nlh, size_t size, const struct cidr *c)
{
	struct nlattr *n = mnl_attr_nest_start_check(nlh, size, 0);

	if (!n)
		return false;
	if (!mnl_attr_put_u16_check(nlh, size, WGALLOWEDIP_A_FAMILY, (uint16_t)c->family) ||
	    !mnl_attr_put_check(nlh, size, WGALLOWEDIP_A_IPADDR, (size_t)cidr_addrlen(c), c->addr) ||
	    !mnl_attr_put_u8_check(nlh, size, WGALLOWEDIP_A_CIDR_MASK, c->prefix)) {
		mnl_attr_nest_cancel(nlh, n);
		return false;
	}
	mnl_attr_nest_end(nlh, n);
	return true;
}

/* A peer's own attributes; false when they do not fit. */
static bool put_peer_head(struct nlmsghdr *nlh, size_t size, const struct wg_peer *p, bool cont)
{
	uint32_t flags = 0;

	if (!mnl_attr_put_check(nlh, size, WGPEER_A_PUBLIC_KEY, KEY_LEN, p->public_key))
		return false;
	if (p->flags & WG_PEER_REMOVE_ME)
		flags |= WGPEER_F_REMOVE_ME;
	if (p->flags & WG_PEER_UPDATE_ONLY)
		flags |= WGPEER_F_UPDATE_ONLY;
	if (cont) {
		/* A continuation only adds allowed IPs: it must neither replace the ones the
		 * previous message sent nor recreate a peer removed in between. */
		flags |= WGPEER_F_UPDATE_ONLY;
	} else {
		if (p->flags & WG_PEER_REPLACE_ALLOWEDIPS)
			flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
		if ((p->flags & WG_PEER_HAS_PRESHARED_KEY) &&
		    !mnl_attr_put_check(nlh, size, WGPEER_A_PRESHARED_KEY, KEY_LEN, p->preshared_key))
			return false;
		if (p->endpoint.sa.sa_family == AF_INET &&
		    !mnl_attr_put_check(nlh, size, WGPEER_A_ENDPOINT, sizeof(p->endpoint.in), &p->endpoint.in))
			return false;
		if (p->endpoint.sa.sa_family == AF_INET6 &&
		    !mnl_attr_put_check(nlh, size, WGPEER_A_ENDPOINT, sizeof(p->endpoint.in6), &p->endpoint.in6))
			return false;
		if ((p->flags & WG_PEER_HAS_KEEPALIVE) &&
		    !mnl_attr_put_u16_check(nlh, size, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
					    p->persistent_keepalive))
			return false;
	}
	if (flags && !mnl_attr_put_u32_check(nlh, size, WGPEER_A_FLAGS, flags))
		return false;
	return true;
}

static bool put_device_head(struct nlmsghdr *nlh, size_t size, const struct wg_device *dev)
{
	if ((dev->flags & WG_DEVICE_HAS_PRIVATE_KEY) &&
	    !mnl_attr_put_check(nlh, size, WGDEVICE_A_PRIVATE_KEY, KEY_LEN, dev->private_key))
		return false;
	if ((dev->flags & WG_DEVICE_HAS_LISTEN_PORT) &&
	    !mnl_attr_put_u16_check(nlh, size, WGDEVICE_A_LISTEN_PORT, dev->listen_port))
		return false;
	if ((dev->flags & WG_DEVICE_HAS_FWMARK) &&
	    !mnl_attr_put_u32_check(nlh, size, WGDEVICE_A_FWMARK, dev->fwmark))
		return false;
	if ((dev->flags & WG_DEVICE_REPLACE_PEERS) &&
	    !mnl_attr_put_u32_check(nlh, size, WGDEVICE_A_FLAGS, WGDEVICE_F_REPLACE_PEERS))
		return false;
	return true;
}

int wg_kernel_build_set(struct nlmsghdr *nlh, size_t size, const struct wg_device *dev,
			struct wg_set_cursor *cur)
{
	struct nlattr *peers, *pn, *ips;
	size_t committed = 0;
	bool progress = false;

	genl_put(nlh, WG_CMD_SET_DEVICE, WG_GENL_VERSION);
	if (!mnl_attr_put_strz_check(nlh, size, WGDEVICE_A_IFNAME, dev->ifname))
		return -EMSGSIZE;
	if (cur->messages++ == 0) {
		if (!put_device_head(nlh, size, dev))
			return -EMSGSIZE;
		progress = true;
	}
	if (cur->peer >= dev->n_peers)
		return 0;
	peers = mnl_attr_nest_start_check(nlh, size, WGDEVICE_A_PEERS);
	if (!peers)
		goto full;
	for (; cur->peer < dev->n_peers; cur->peer++) {
		const struct wg_peer *p = &dev->peers[cur->peer];
		size_t first_ip = cur->allowed_ip;
		bool was_started = cur->peer_started;

		pn = mnl_attr_nest_start_check(nlh, size, 0);
		if (!pn)
			goto full_peers;
		if (!put_peer_head(nlh, size, p, was_started)) {
			mnl_attr_nest_cancel(nlh, pn);
			goto full_peers;
		}
		if (!(p->flags & WG_PEER_REMOVE_ME) && cur->allowed_ip < p->n_allowed_ips) {
			ips = mnl_attr_nest_start_check(nlh, size, WGPEER_A_ALLOWEDIPS);
			if (!ips)
				goto full_ips;
			for (; cur->allowed_ip < p->n_allowed_ips; cur->allowed_ip++) {
				if (!put_allowed_ip(nlh, size, &p->allowed_ips[cur->allowed_ip])) {
					mnl_attr_nest_end(nlh, ips);
					goto full_ips;
				}
			}
			mnl_attr_nest_end(nlh, ips);
		}
		mnl_attr_nest_end(nlh, pn);
		committed++;
		progress = true;
		cur->allowed_ip = 0;
		cur->peer_started = false;
		continue;
full_ips:
		/* Resume at the same allowed IP; a repeated head that carried none is dropped. */
		if (was_started && cur->allowed_ip == first_ip) {
			mnl_attr_nest_cancel(nlh, pn);
		} else {
			mnl_attr_nest_end(nlh, pn);
			cur->peer_started = true;
			committed++;
			progress = true;
		}
		goto full_peers;
	}
	mnl_attr_nest_end(nlh, peers);
	return 0;
full_peers:
	if (committed)
		mnl_attr_nest_end(nlh, peers);
	else
		mnl_attr_nest_cancel(nlh, peers);
full:
	return progress ? 1 : -EMSGSIZE;
}

int wg_kernel_set(struct nl *nl, uint16_t family, const struct wg_device *dev)
{
	struct wg_set_cursor cur = { 0 };
	char *buf = xmalloc(NL_BUFSIZE);
	int more, r;

	do {
		struct nlmsghdr *nlh;

		/* libmnl does not clear attribute padding: never send stale bytes. */
		memset(buf, 0, NL_BUFSIZE);
		nlh = nl_msg(nl, buf, family, 0);

		more = wg_kernel_build_set(nlh, NL_BUFSIZE, dev, &cur);
		if (more < 0) {
			r = more;
			goto out;
		}
		r = nl_talk(nl, nlh, NULL, NULL);
		if (r < 0)
			goto out;
	} while (more);
out:
	/* The buffer held the private key and preshared keys. */
	sodium_memzero(buf, NL_BUFSIZE);
	free(buf);
	return r;
}
