/* Conntrack entries over ctnetlink: a validated dump, NAT selection and batched deletes. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include "conntrack.h"
#include "nlattr.h"
#include "../common/util.h"

_Static_assert(CONNTRACK_NETLINK_BUS == NETLINK_NETFILTER, "netfilter bus");
_Static_assert(CONNTRACK_IPS_SRC_NAT == IPS_SRC_NAT, "IPS_SRC_NAT");
_Static_assert(CONNTRACK_IPS_DST_NAT == IPS_DST_NAT, "IPS_DST_NAT");

#define REQ_WORDS 64            /* 256 bytes: a dump request is under 100 */
/* Deletes laid into the buffer at a time; nl_talk_batch cuts sends to what the socket's
 * buffers take. */
#define BATCH_MAX 128
/* CTA_FILTER_F_CTA_IP_DST: kernel-internal (nf_internals.h), stable since Linux 5.10. */
#define CT_FILTER_F_IP_DST (1u << 1)

#define CT_TYPE(msg) (uint16_t)((NFNL_SUBSYS_CTNETLINK << 8) | (msg))

static const struct nlattr_policy ct_policy[CTA_MAX + 1] = {
	[CTA_TUPLE_ORIG] = { MNL_TYPE_NESTED, 0 },
	[CTA_TUPLE_REPLY] = { MNL_TYPE_NESTED, 0 },
	[CTA_STATUS] = { MNL_TYPE_U32, 0 },
	[CTA_ID] = { MNL_TYPE_U32, 0 },
	[CTA_ZONE] = { MNL_TYPE_U16, 0 },
};

static const struct nlattr_policy tuple_policy[CTA_TUPLE_MAX + 1] = {
	[CTA_TUPLE_IP] = { MNL_TYPE_NESTED, 0 },
	[CTA_TUPLE_PROTO] = { MNL_TYPE_NESTED, 0 },
	[CTA_TUPLE_ZONE] = { MNL_TYPE_U16, 0 },
};

static const struct nlattr_policy ip_policy[CTA_IP_MAX + 1] = {
	[CTA_IP_V4_SRC] = { MNL_TYPE_BINARY, 4 },
	[CTA_IP_V4_DST] = { MNL_TYPE_BINARY, 4 },
	[CTA_IP_V6_SRC] = { MNL_TYPE_BINARY, 16 },
	[CTA_IP_V6_DST] = { MNL_TYPE_BINARY, 16 },
};

static const struct nlattr_policy proto_policy[CTA_PROTO_MAX + 1] = {
	[CTA_PROTO_NUM] = { MNL_TYPE_U8, 0 },
	[CTA_PROTO_SRC_PORT] = { MNL_TYPE_U16, 0 },
	[CTA_PROTO_DST_PORT] = { MNL_TYPE_U16, 0 },
	[CTA_PROTO_ICMP_ID] = { MNL_TYPE_U16, 0 },
	[CTA_PROTO_ICMP_TYPE] = { MNL_TYPE_U8, 0 },
	[CTA_PROTO_ICMP_CODE] = { MNL_TYPE_U8, 0 },
	[CTA_PROTO_ICMPV6_ID] = { MNL_TYPE_U16, 0 },
	[CTA_PROTO_ICMPV6_TYPE] = { MNL_TYPE_U8, 0 },
	[CTA_PROTO_ICMPV6_CODE] = { MNL_TYPE_U8, 0 },
};

static bool family_ok(int family)
{
	return family == AF_INET || family == AF_INET6;
}

/* The three ICMP attributes of the tuple's protocol (ICMPv6 has its own numbers). */
static void icmp_types(uint8_t proto, uint16_t *id, uint16_t *type, uint16_t *code)
{
	bool v6 = proto == IPPROTO_ICMPV6;

	*id = v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID;
	*type = v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE;
	*code = v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE;
}

/* ---- requests ---- */

static struct nlmsghdr *ct_msg(struct nl *nl, void *buf, uint8_t msg, uint16_t flags,
			       int family)
{
	struct nlmsghdr *nlh = nl_msg(nl, buf, CT_TYPE(msg), flags);
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));

	nfg->nfgen_family = (uint8_t)family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/* A 16-bit attribute in network byte order with its padding zeroed: libmnl 1.0.4 leaves
 * the two padding bytes as it found them (see nlattr_put_u8). */
static bool put_be16(struct nlmsghdr *nlh, size_t size, uint16_t type, uint16_t v)
{
	uint16_t be = htons(v);

	if (!mnl_attr_put_check(nlh, size, type, sizeof(be), &be))
		return false;
	memset((char *)mnl_nlmsg_get_payload_tail(nlh) - 2, 0, 2);
	return true;
}

static bool put_be32(struct nlmsghdr *nlh, size_t size, uint16_t type, uint32_t v)
{
	return mnl_attr_put_u32_check(nlh, size, type, htonl(v));
}

static int tuple_valid(const struct conntrack_tuple *t, int family)
{
	if (t->src.family != family || t->dst.family != family)
		return -EINVAL;
	switch (t->l4) {
	case CONNTRACK_L4_NONE:
	case CONNTRACK_L4_PORTS:
		return 0;
	case CONNTRACK_L4_ICMP:
		return t->proto == IPPROTO_ICMP || t->proto == IPPROTO_ICMPV6 ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

/* CTA_TUPLE_IP, CTA_TUPLE_PROTO and a per-direction zone, as the kernel dumps them. */
static bool put_tuple(struct nlmsghdr *nlh, size_t size, int family,
		      const struct conntrack_tuple *t)
{
	size_t alen = family == AF_INET ? 4 : 16;
	uint16_t id, type, code;
	struct nlattr *n;

	n = mnl_attr_nest_start_check(nlh, size, CTA_TUPLE_IP);
	if (!n ||
	    !mnl_attr_put_check(nlh, size, family == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC,
				alen, t->src.addr) ||
	    !mnl_attr_put_check(nlh, size, family == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST,
				alen, t->dst.addr))
		return false;
	mnl_attr_nest_end(nlh, n);

	n = mnl_attr_nest_start_check(nlh, size, CTA_TUPLE_PROTO);
	if (!n || !nlattr_put_u8(nlh, size, CTA_PROTO_NUM, t->proto))
		return false;
	if (t->l4 == CONNTRACK_L4_PORTS &&
	    (!put_be16(nlh, size, CTA_PROTO_SRC_PORT, t->sport) ||
	     !put_be16(nlh, size, CTA_PROTO_DST_PORT, t->dport)))
		return false;
	if (t->l4 == CONNTRACK_L4_ICMP) {
		icmp_types(t->proto, &id, &type, &code);
		if (!put_be16(nlh, size, id, t->icmp_id) ||
		    !nlattr_put_u8(nlh, size, type, t->icmp_type) ||
		    !nlattr_put_u8(nlh, size, code, t->icmp_code))
			return false;
	}
	mnl_attr_nest_end(nlh, n);

	return !t->has_zone || put_be16(nlh, size, CTA_TUPLE_ZONE, t->zone);
}

static int dump_build(struct nl *nl, void *buf, size_t size, const struct cidr *addr,
		      bool filter)
{
	struct nlmsghdr *nlh;
	struct nlattr *t, *ip, *f;

	if (!family_ok(addr->family))
		return -EAFNOSUPPORT;
	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)))
		return -EMSGSIZE;
	nlh = ct_msg(nl, buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, addr->family);
	if (!filter)
		return 0;
	/* Only IPv4 asks the kernel to match the address: the IPv6 branch of
	 * ctnetlink_filter_match_tuple tests !ipv6_addr_cmp(), so it sends every entry except
	 * the ones asked for (seen on 6.18). */
	if (addr->family == AF_INET) {
		if (!(t = mnl_attr_nest_start_check(nlh, size, CTA_TUPLE_REPLY)) ||
		    !(ip = mnl_attr_nest_start_check(nlh, size, CTA_TUPLE_IP)) ||
		    !mnl_attr_put_check(nlh, size, CTA_IP_V4_DST, 4, addr->addr))
			return -EMSGSIZE;
		mnl_attr_nest_end(nlh, ip);
		mnl_attr_nest_end(nlh, t);
		/* Filter flags are host byte order (NLA_U32), unlike the CTA_ values. */
		if (!(f = mnl_attr_nest_start_check(nlh, size, CTA_FILTER)) ||
		    !mnl_attr_put_u32_check(nlh, size, CTA_FILTER_REPLY_FLAGS, CT_FILTER_F_IP_DST))
			return -EMSGSIZE;
		mnl_attr_nest_end(nlh, f);
	}
	if (!put_be32(nlh, size, CTA_STATUS, IPS_SRC_NAT) ||
	    !put_be32(nlh, size, CTA_STATUS_MASK, IPS_SRC_NAT))
		return -EMSGSIZE;
	return 0;
}

static int del_build(struct nl *nl, void *buf, size_t size, const struct conntrack_entry *e)
{
	struct nlmsghdr *nlh;
	struct nlattr *t;
	int err;

	if (!family_ok(e->family))
		return -EAFNOSUPPORT;
	err = tuple_valid(&e->orig, e->family);
	if (err < 0)
		return err;
	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)))
		return -EMSGSIZE;
	nlh = ct_msg(nl, buf, IPCTNL_MSG_CT_DELETE, 0, e->family);
	t = mnl_attr_nest_start_check(nlh, size, CTA_TUPLE_ORIG);
	if (!t || !put_tuple(nlh, size, e->family, &e->orig))
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, t);
	/* The zone picks the hash chain the kernel looks the tuple up in. */
	if (e->zone && !put_be16(nlh, size, CTA_ZONE, e->zone))
		return -EMSGSIZE;
	if (e->has_id && !put_be32(nlh, size, CTA_ID, e->id))
		return -EMSGSIZE;
	return 0;
}

/* A failed build gives its sequence number back, so the messages a caller lays into one
 * batch stay consecutive and nl_talk_batch's failed index stays right. */
int conntrack_dump_msg(struct nl *nl, void *buf, size_t size, const struct cidr *addr,
		       bool filter)
{
	uint32_t seq = nl->seq;
	int err = dump_build(nl, buf, size, addr, filter);

	if (err < 0)
		nl->seq = seq;
	return err;
}

int conntrack_del_msg(struct nl *nl, void *buf, size_t size, const struct conntrack_entry *e)
{
	uint32_t seq = nl->seq;
	int err = del_build(nl, buf, size, e);

	if (err < 0)
		nl->seq = seq;
	return err;
}

/* ---- replies ---- */

static int parse_tuple(const struct nlattr *nest, int family, struct conntrack_tuple *t)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1], *ip[CTA_IP_MAX + 1], *pr[CTA_PROTO_MAX + 1];
	uint16_t id, type, code;
	int err;

	err = nlattr_parse_nested(nest, tuple_policy, CTA_TUPLE_MAX, tb);
	if (err < 0)
		return err;
	if (!tb[CTA_TUPLE_IP] || !tb[CTA_TUPLE_PROTO])
		return -EINVAL;

	err = nlattr_parse_nested(tb[CTA_TUPLE_IP], ip_policy, CTA_IP_MAX, ip);
	if (err < 0)
		return err;
	/* Addresses of the other family (lengths already checked) leave this one's missing. */
	if (!ip[family == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC] ||
	    !ip[family == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST])
		return -EINVAL;
	err = nlattr_get_addr(ip[family == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC], family,
			      &t->src);
	if (err < 0)
		return err;
	err = nlattr_get_addr(ip[family == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST], family,
			      &t->dst);
	if (err < 0)
		return err;

	err = nlattr_parse_nested(tb[CTA_TUPLE_PROTO], proto_policy, CTA_PROTO_MAX, pr);
	if (err < 0)
		return err;
	if (!pr[CTA_PROTO_NUM])
		return -EINVAL;
	t->proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
	if (t->proto == IPPROTO_ICMP || t->proto == IPPROTO_ICMPV6) {
		/* A delete is refused unless all three are given back. */
		icmp_types(t->proto, &id, &type, &code);
		if (!pr[id] || !pr[type] || !pr[code])
			return -EINVAL;
		t->l4 = CONNTRACK_L4_ICMP;
		t->icmp_id = ntohs(mnl_attr_get_u16(pr[id]));
		t->icmp_type = mnl_attr_get_u8(pr[type]);
		t->icmp_code = mnl_attr_get_u8(pr[code]);
	} else if (pr[CTA_PROTO_SRC_PORT] || pr[CTA_PROTO_DST_PORT]) {
		if (!pr[CTA_PROTO_SRC_PORT] || !pr[CTA_PROTO_DST_PORT])
			return -EINVAL;
		t->l4 = CONNTRACK_L4_PORTS;
		t->sport = ntohs(mnl_attr_get_u16(pr[CTA_PROTO_SRC_PORT]));
		t->dport = ntohs(mnl_attr_get_u16(pr[CTA_PROTO_DST_PORT]));
	}

	if (tb[CTA_TUPLE_ZONE]) {
		t->has_zone = true;
		t->zone = ntohs(mnl_attr_get_u16(tb[CTA_TUPLE_ZONE]));
	}
	return 0;
}

int conntrack_parse(const struct nlmsghdr *nlh, struct conntrack_entry *e)
{
	const struct nlattr *tb[CTA_MAX + 1];
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	int err;

	err = nlattr_parse(nlh, sizeof(*nfg), ct_policy, CTA_MAX, tb);
	if (err < 0)
		return err;
	if (!family_ok(nfg->nfgen_family))
		return -EAFNOSUPPORT;
	memset(e, 0, sizeof(*e));
	e->family = nfg->nfgen_family;
	if (!tb[CTA_TUPLE_ORIG] || !tb[CTA_TUPLE_REPLY] || !tb[CTA_STATUS])
		return -EINVAL;
	err = parse_tuple(tb[CTA_TUPLE_ORIG], e->family, &e->orig);
	if (err < 0)
		return err;
	err = parse_tuple(tb[CTA_TUPLE_REPLY], e->family, &e->reply);
	if (err < 0)
		return err;
	e->status = ntohl(mnl_attr_get_u32(tb[CTA_STATUS]));
	if (tb[CTA_ID]) {
		e->has_id = true;
		e->id = ntohl(mnl_attr_get_u32(tb[CTA_ID]));
	}
	if (tb[CTA_ZONE])
		e->zone = ntohs(mnl_attr_get_u16(tb[CTA_ZONE]));
	return 0;
}

bool conntrack_nat_to(const struct conntrack_entry *e, const struct cidr *addr)
{
	return family_ok(addr->family) && e->family == addr->family &&
	       (e->status & IPS_SRC_NAT) && e->reply.dst.family == addr->family &&
	       memcmp(e->reply.dst.addr, addr->addr, (size_t)cidr_addrlen(addr)) == 0;
}

/* ---- flush ---- */

struct collect {
	const struct cidr *addr;
	struct conntrack_entry *v;
	size_t n;
	int bad;                     /* first validation error: that entry is skipped */
};

static int collect_cb(const struct nlmsghdr *nlh, void *data)
{
	struct collect *c = data;
	struct conntrack_entry e;
	int err;

	if (nlh->nlmsg_type != CT_TYPE(IPCTNL_MSG_CT_NEW))
		return MNL_CB_OK;
	/* One entry the parser refuses must not keep every other flow on the dead path:
	 * it is skipped and its error reported once the rest are deleted. */
	err = conntrack_parse(nlh, &e);
	if (err < 0) {
		if (!c->bad)
			c->bad = err;
		return MNL_CB_OK;
	}
	if (conntrack_nat_to(&e, c->addr))
		*(struct conntrack_entry *)array_push(&c->v, &c->n, sizeof(e)) = e;
	return MNL_CB_OK;
}

static int collect_dump(struct nl *nl, struct collect *c, bool filter)
{
	uint32_t buf[REQ_WORDS];
	int err = -EINTR, tries;

	for (tries = 0; tries < NL_DUMP_TRIES && err == -EINTR; tries++) {
		/* An interrupted dump may have missed or doubled entries: start over. */
		free(c->v);
		c->v = NULL;
		c->n = 0;
		c->bad = 0;
		err = conntrack_dump_msg(nl, buf, sizeof(buf), c->addr, filter);
		if (err < 0)
			return err;
		err = nl_talk(nl, (struct nlmsghdr *)buf, collect_cb, c);
	}
	return err;
}

/* A kernel that refuses the filter gets the plain dump (selection is done here anyway).
 * nfnetlink answers for a subsystem it does not have (and cannot load) with -EINVAL, and
 * a bare dump is never invalid otherwise. */
static int collect(struct nl *nl, struct collect *c)
{
	int err = collect_dump(nl, c, true);

	if (err != -EINVAL && err != -EOPNOTSUPP)
		return err;
	err = collect_dump(nl, c, false);
	if (err == -EINVAL) {
		snprintf(nl->err, sizeof(nl->err),
			 "no ctnetlink in this kernel (nf_conntrack_netlink)");
		return -EPROTONOSUPPORT;
	}
	return err;
}

/* ENOENT (the entry went away between dump and delete) is no failure. */
int conntrack_delete(struct nl *nl, const struct conntrack_entry *v, size_t n, size_t *gone)
{
	char *buf = xmalloc(NL_BUFSIZE);
	size_t i = 0;
	int err = 0;

	*gone = 0;
	while (i < n) {
		size_t first = i, len = 0;
		int failed;

		for (; i < n && i - first < BATCH_MAX; i++) {
			err = conntrack_del_msg(nl, buf + len, NL_BUFSIZE - len, &v[i]);
			if (err == -EMSGSIZE && i > first)
				break;
			if (err < 0)
				goto out;
			len += ((struct nlmsghdr *)(buf + len))->nlmsg_len;
		}
		err = nl_talk_batch(nl, buf, len, ENOENT, &failed);
		if (err < 0) {
			if (failed > 0)
				*gone += (size_t)failed;
			goto out;
		}
		*gone += i - first;
	}
out:
	free(buf);
	return err;
}

int conntrack_flush_nat(struct nl *nl, const struct cidr *addr, size_t *deleted)
{
	struct collect c = { addr, NULL, 0, 0 };
	int err;

	*deleted = 0;
	if (!family_ok(addr->family))
		return -EAFNOSUPPORT;
	err = collect(nl, &c);
	if (err < 0)
		goto out;
	err = conntrack_delete(nl, c.v, c.n, deleted);
	if (err == 0)
		err = c.bad;
out:
	free(c.v);
	return err;
}
