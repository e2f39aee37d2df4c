/* Routes over rtnetlink, requests shaped like iproute2's iproute.c, replies validated. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/rtnetlink.h>

#include "link.h"
#include "nlattr.h"
#include "route.h"
#include "../common/util.h"

_Static_assert(ROUTE_TABLE_MAIN == RT_TABLE_MAIN, "main table");
_Static_assert(ROUTE_TABLE_LOCAL == RT_TABLE_LOCAL, "local table");

#define REQ_WORDS 128       /* 512 bytes: a route request is under 150 */

static const struct nlattr_policy route_policy[RTA_MAX + 1] = {
	[RTA_DST] = { MNL_TYPE_BINARY, 0 },      /* address lengths checked per family */
	[RTA_GATEWAY] = { MNL_TYPE_BINARY, 0 },
	[RTA_PREFSRC] = { MNL_TYPE_BINARY, 0 },
	[RTA_OIF] = { MNL_TYPE_U32, 0 },
	[RTA_PRIORITY] = { MNL_TYPE_U32, 0 },
	[RTA_METRICS] = { MNL_TYPE_NESTED, 0 },
	[RTA_TABLE] = { MNL_TYPE_U32, 0 },
};

static const struct nlattr_policy metrics_policy[RTAX_MAX + 1] = {
	[RTAX_MTU] = { MNL_TYPE_U32, 0 },
};

static const uint8_t type_to_rtn[] = {
	[ROUTE_UNICAST] = RTN_UNICAST,
	[ROUTE_UNREACHABLE] = RTN_UNREACHABLE,
	[ROUTE_BLACKHOLE] = RTN_BLACKHOLE,
	[ROUTE_PROHIBIT] = RTN_PROHIBIT,
	[ROUTE_THROW] = RTN_THROW,
};

static enum route_type rtn_to_type(uint8_t rtn)
{
	switch (rtn) {
	case RTN_UNICAST: return ROUTE_UNICAST;
	case RTN_UNREACHABLE: return ROUTE_UNREACHABLE;
	case RTN_BLACKHOLE: return ROUTE_BLACKHOLE;
	case RTN_PROHIBIT: return ROUTE_PROHIBIT;
	case RTN_THROW: return ROUTE_THROW;
	case RTN_LOCAL: return ROUTE_LOCAL;
	case RTN_BROADCAST: return ROUTE_BROADCAST;
	case RTN_ANYCAST: return ROUTE_ANYCAST;
	case RTN_MULTICAST: return ROUTE_MULTICAST;
	default: return ROUTE_OTHER;
	}
}

void route_init(struct route *r, int family)
{
	memset(r, 0, sizeof(*r));
	r->family = family;
	r->dst.family = family;
	r->table = RT_TABLE_MAIN;
	r->type = ROUTE_UNICAST;
	r->protocol = ROUTE_PROTO_WARREN;
}

static uint32_t norm_table(uint32_t t)
{
	return t ? t : RT_TABLE_MAIN;
}

static uint32_t norm_metric(const struct route *r)
{
	return r->family == AF_INET6 && r->metric == 0 ? ROUTE_IP6_DEFAULT_METRIC : r->metric;
}

static bool opt_addr_equal(const struct cidr *a, const struct cidr *b)
{
	if (!a->family || !b->family)
		return a->family == b->family;
	return a->family == b->family &&
	       memcmp(a->addr, b->addr, (size_t)cidr_addrlen(a)) == 0;
}

bool route_key_equal(const struct route *a, const struct route *b)
{
	return a->family == b->family && cidr_equal(&a->dst, &b->dst) &&
	       norm_table(a->table) == norm_table(b->table) && norm_metric(a) == norm_metric(b);
}

static int cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

int route_key_cmp(const struct route *a, const struct route *b)
{
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->dst.family != b->dst.family)
		return a->dst.family < b->dst.family ? -1 : 1;
	if (a->dst.prefix != b->dst.prefix)
		return a->dst.prefix < b->dst.prefix ? -1 : 1;
	r = memcmp(a->dst.addr, b->dst.addr, (size_t)cidr_addrlen(&a->dst));
	if (r)
		return r < 0 ? -1 : 1;
	r = cmp_u32(norm_table(a->table), norm_table(b->table));
	return r ? r : cmp_u32(norm_metric(a), norm_metric(b));
}

bool route_equal(const struct route *a, const struct route *b)
{
	if (!route_key_equal(a, b) || a->type != b->type || a->protocol != b->protocol ||
	    a->mtu != b->mtu || !opt_addr_equal(&a->prefsrc, &b->prefsrc))
		return false;
	if (a->type != ROUTE_UNICAST)
		return true;
	return a->oif == b->oif && opt_addr_equal(&a->gateway, &b->gateway);
}

static int route_valid(const struct route *r)
{
	if (r->family != AF_INET && r->family != AF_INET6)
		return -EAFNOSUPPORT;
	if (r->dst.family != r->family || r->dst.prefix > cidr_addrlen(&r->dst) * 8 ||
	    cidr_host_bits_set(&r->dst))
		return -EINVAL;
	if ((unsigned int)r->type >= ARRAY_SIZE(type_to_rtn) || r->oif < 0)
		return -EINVAL;
	if ((r->gateway.family && r->gateway.family != r->family) ||
	    (r->prefsrc.family && r->prefsrc.family != r->family))
		return -EINVAL;
	/* The kernel refuses a device or gateway on reject routes; say so before asking. */
	if (r->type == ROUTE_UNICAST ? !r->oif && !r->gateway.family
				     : r->oif || r->gateway.family)
		return -EINVAL;
	return 0;
}

static int route_build(struct nl *nl, void *buf, size_t size, const struct route *r,
		       enum route_op op)
{
	uint16_t cmd = op == ROUTE_OP_DEL ? RTM_DELROUTE : RTM_NEWROUTE, nlm_flags;
	uint32_t table = norm_table(r->table);
	size_t alen = (size_t)cidr_addrlen(&r->dst);
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int err = route_valid(r);

	if (err < 0)
		return err;
	switch (op) {
	case ROUTE_OP_ADD: nlm_flags = NLM_F_CREATE | NLM_F_EXCL; break;
	case ROUTE_OP_REPLACE: nlm_flags = NLM_F_CREATE | NLM_F_REPLACE; break;
	case ROUTE_OP_DEL: nlm_flags = 0; break;
	default: return -EINVAL;
	}
	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*rtm)))
		return -EMSGSIZE;
	nlh = nl_msg(nl, buf, cmd, nlm_flags);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)r->family;
	rtm->rtm_dst_len = r->dst.prefix;
	/* The 8-bit field cannot name tables above 255; RTA_TABLE always can. */
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = r->protocol;
	rtm->rtm_type = type_to_rtn[r->type];
	/* Scope as iproute2 picks it: a directly connected IPv4 route is link scope; a
	 * delete uses NOWHERE, the kernel's "any scope". */
	if (cmd == RTM_DELROUTE)
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
	else if (r->family == AF_INET && r->type == ROUTE_UNICAST && !r->gateway.family)
		rtm->rtm_scope = RT_SCOPE_LINK;
	else
		rtm->rtm_scope = RT_SCOPE_UNIVERSE;

	if (!mnl_attr_put_u32_check(nlh, size, RTA_TABLE, table))
		return -EMSGSIZE;
	if (r->dst.prefix && !mnl_attr_put_check(nlh, size, RTA_DST, alen, r->dst.addr))
		return -EMSGSIZE;
	if (r->metric && !mnl_attr_put_u32_check(nlh, size, RTA_PRIORITY, r->metric))
		return -EMSGSIZE;
	if (r->oif && !mnl_attr_put_u32_check(nlh, size, RTA_OIF, (uint32_t)r->oif))
		return -EMSGSIZE;
	if (r->gateway.family &&
	    !mnl_attr_put_check(nlh, size, RTA_GATEWAY, alen, r->gateway.addr))
		return -EMSGSIZE;
	if (r->prefsrc.family &&
	    !mnl_attr_put_check(nlh, size, RTA_PREFSRC, alen, r->prefsrc.addr))
		return -EMSGSIZE;
	if (r->mtu) {
		struct nlattr *m = mnl_attr_nest_start_check(nlh, size, RTA_METRICS);

		if (!m)
			return -EMSGSIZE;
		if (!mnl_attr_put_u32_check(nlh, size, RTAX_MTU, r->mtu)) {
			mnl_attr_nest_cancel(nlh, m);
			return -EMSGSIZE;
		}
		mnl_attr_nest_end(nlh, m);
	}
	return 0;
}

/* A failed build gives its sequence number back, so the messages a caller lays into one
 * batch stay consecutive and nl_talk_batch's failed index stays right. */
int route_msg(struct nl *nl, void *buf, size_t size, const struct route *r, enum route_op op)
{
	uint32_t seq = nl->seq;
	int err = route_build(nl, buf, size, r, op);

	if (err < 0)
		nl->seq = seq;
	return err;
}

int route_add(struct nl *nl, const struct route *r, bool replace)
{
	uint32_t buf[REQ_WORDS];
	int err = route_msg(nl, buf, sizeof(buf), r, replace ? ROUTE_OP_REPLACE : ROUTE_OP_ADD);

	return err < 0 ? err : nl_talk(nl, (struct nlmsghdr *)buf, NULL, NULL);
}

int route_del(struct nl *nl, const struct route *r)
{
	uint32_t buf[REQ_WORDS];
	int err = route_msg(nl, buf, sizeof(buf), r, ROUTE_OP_DEL);

	return err < 0 ? err : nl_talk(nl, (struct nlmsghdr *)buf, NULL, NULL);
}

bool route_msg_is_clone(const struct nlmsghdr *nlh)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	return mnl_nlmsg_get_payload_len(nlh) >= sizeof(*rtm) && (rtm->rtm_flags & RTM_F_CLONED);
}

int route_parse(const struct nlmsghdr *nlh, struct route *r)
{
	const struct nlattr *tb[RTA_MAX + 1], *mx[RTAX_MAX + 1];
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	int err;

	err = nlattr_parse(nlh, sizeof(*rtm), route_policy, RTA_MAX, tb);
	if (err < 0)
		return err;
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return -EAFNOSUPPORT;
	memset(r, 0, sizeof(*r));
	r->family = rtm->rtm_family;
	r->protocol = rtm->rtm_protocol;
	r->type = rtn_to_type(rtm->rtm_type);
	r->table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	r->dst.family = r->family;
	if (tb[RTA_DST]) {
		err = nlattr_get_addr(tb[RTA_DST], r->family, &r->dst);
		if (err < 0)
			return err;
	} else if (rtm->rtm_dst_len) {
		return -EINVAL;
	}
	if (rtm->rtm_dst_len > cidr_addrlen(&r->dst) * 8)
		return -EINVAL;
	r->dst.prefix = rtm->rtm_dst_len;
	if (tb[RTA_OIF])
		r->oif = (int)mnl_attr_get_u32(tb[RTA_OIF]);
	if (tb[RTA_PRIORITY])
		r->metric = mnl_attr_get_u32(tb[RTA_PRIORITY]);
	if (tb[RTA_GATEWAY]) {
		err = nlattr_get_addr(tb[RTA_GATEWAY], r->family, &r->gateway);
		if (err < 0)
			return err;
	}
	if (tb[RTA_PREFSRC]) {
		err = nlattr_get_addr(tb[RTA_PREFSRC], r->family, &r->prefsrc);
		if (err < 0)
			return err;
	}
	if (tb[RTA_METRICS]) {
		err = nlattr_parse_nested(tb[RTA_METRICS], metrics_policy, RTAX_MAX, mx);
		if (err < 0)
			return err;
		if (mx[RTAX_MTU])
			r->mtu = mnl_attr_get_u32(mx[RTAX_MTU]);
	}
	return 0;
}

struct route_filter {
	uint32_t table;
	struct route *v;
	size_t n;
};

static int route_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_filter *f = data;
	struct route rt;
	int err;

	if (nlh->nlmsg_type != RTM_NEWROUTE || route_msg_is_clone(nlh))
		return MNL_CB_OK;
	err = route_parse(nlh, &rt);
	/* AF_UNSPEC dumps also carry multicast routing tables (RTNL_FAMILY_IPMR, ...). */
	if (err == -EAFNOSUPPORT)
		return MNL_CB_OK;
	if (err < 0) {
		errno = -err;
		return MNL_CB_ERROR;
	}
	if (f->table && rt.table != f->table)
		return MNL_CB_OK;
	*(struct route *)array_push(&f->v, &f->n, sizeof(rt)) = rt;
	return MNL_CB_OK;
}

int route_dump(struct nl *nl, int family, uint32_t table, struct route **routes, size_t *n)
{
	struct route_filter f = { table, NULL, 0 };
	uint32_t buf[REQ_WORDS];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int err;

	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	/* Without strict checking the kernel dumps every table; filter above. */
	nlh = nl_msg(nl, buf, RTM_GETROUTE, NLM_F_DUMP);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	err = nl_dump(nl, nlh, route_dump_cb, &f, &f.v, &f.n);
	if (err < 0)
		return err;
	*routes = f.v;
	*n = f.n;
	return 0;
}

static int route_get_cb(const struct nlmsghdr *nlh, void *data)
{
	int err;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	err = route_parse(nlh, data);
	if (err < 0) {
		errno = -err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int route_get(struct nl *nl, const struct cidr *dst, uint32_t mark, struct route *out)
{
	uint32_t buf[REQ_WORDS];
	size_t alen = (size_t)cidr_addrlen(dst);
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct link l;
	int err;

	if (dst->family != AF_INET && dst->family != AF_INET6)
		return -EAFNOSUPPORT;
	nlh = nl_msg(nl, buf, RTM_GETROUTE, 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)dst->family;
	rtm->rtm_dst_len = (uint8_t)(alen * 8);
	/* Without it the kernel reports every answer as coming from the main table. */
	rtm->rtm_flags = RTM_F_LOOKUP_TABLE;
	if (!mnl_attr_put_check(nlh, sizeof(buf), RTA_DST, alen, dst->addr))
		return -EMSGSIZE;
	if (mark && !mnl_attr_put_u32_check(nlh, sizeof(buf), RTA_MARK, mark))
		return -EMSGSIZE;
	memset(out, 0, sizeof(*out));
	err = nl_talk(nl, nlh, route_get_cb, out);
	if (err < 0)
		return err;
	if (!out->family)
		return -ENOENT;
	/* Most routes carry no MTU of their own; the path then has the device's. */
	if (!out->mtu && out->oif > 0) {
		err = link_get_by_index(nl, out->oif, &l);
		if (err < 0)
			return err;
		out->mtu = l.mtu;
	}
	return 0;
}
