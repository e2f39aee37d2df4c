/* Policy routing rules over rtnetlink, requests shaped like iproute2's iprule.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>

#include "nlattr.h"
#include "route.h"
#include "rule.h"
#include "../common/util.h"

_Static_assert(RULE_NAMSIZ == IFNAMSIZ, "RULE_NAMSIZ must match IFNAMSIZ");

#define REQ_WORDS 128       /* 512 bytes: a rule request is under 200 */

static const struct nlattr_policy rule_policy[FRA_MAX + 1] = {
	[FRA_DST] = { MNL_TYPE_BINARY, 0 },     /* address lengths checked per family */
	[FRA_SRC] = { MNL_TYPE_BINARY, 0 },
	[FRA_IIFNAME] = { MNL_TYPE_NUL_STRING, IFNAMSIZ },
	[FRA_OIFNAME] = { MNL_TYPE_NUL_STRING, IFNAMSIZ },
	[FRA_PRIORITY] = { MNL_TYPE_U32, 0 },
	[FRA_FWMARK] = { MNL_TYPE_U32, 0 },
	[FRA_FWMASK] = { MNL_TYPE_U32, 0 },
	[FRA_TABLE] = { MNL_TYPE_U32, 0 },
	[FRA_SUPPRESS_PREFIXLEN] = { MNL_TYPE_U32, 0 },
	[FRA_PROTOCOL] = { MNL_TYPE_U8, 0 },
};

static const uint8_t action_to_fr[] = {
	[RULE_TO_TABLE] = FR_ACT_TO_TBL,
	[RULE_UNREACHABLE] = FR_ACT_UNREACHABLE,
	[RULE_BLACKHOLE] = FR_ACT_BLACKHOLE,
	[RULE_PROHIBIT] = FR_ACT_PROHIBIT,
};

static enum rule_action fr_to_action(uint8_t fr)
{
	switch (fr) {
	case FR_ACT_TO_TBL: return RULE_TO_TABLE;
	case FR_ACT_UNREACHABLE: return RULE_UNREACHABLE;
	case FR_ACT_BLACKHOLE: return RULE_BLACKHOLE;
	case FR_ACT_PROHIBIT: return RULE_PROHIBIT;
	default: return RULE_OTHER;
	}
}

void rule_init(struct rule *r, int family)
{
	memset(r, 0, sizeof(*r));
	r->family = family;
	r->suppress_prefixlength = -1;
	r->protocol = ROUTE_PROTO_WARREN;
	r->action = RULE_TO_TABLE;
}

/* A mark without a mask matches all bits: the kernel stores it so and dumps it so. */
static uint32_t norm_mask(const struct rule *r)
{
	return r->fwmark && !r->fwmask ? 0xffffffffu : r->fwmask;
}

static bool prefix_equal(const struct cidr *a, const struct cidr *b)
{
	bool any_a = !a->family || !a->prefix, any_b = !b->family || !b->prefix;

	if (any_a || any_b)
		return any_a == any_b;
	return cidr_equal(a, b);
}

bool rule_equal(const struct rule *a, const struct rule *b)
{
	return a->family == b->family && a->priority == b->priority &&
	       a->action == b->action &&
	       (a->action != RULE_TO_TABLE || a->table == b->table) &&
	       a->fwmark == b->fwmark && norm_mask(a) == norm_mask(b) &&
	       a->invert == b->invert &&
	       a->suppress_prefixlength == b->suppress_prefixlength &&
	       prefix_equal(&a->src, &b->src) && prefix_equal(&a->dst, &b->dst) &&
	       strncmp(a->iif, b->iif, sizeof(a->iif)) == 0 &&
	       strncmp(a->oif, b->oif, sizeof(a->oif)) == 0 && a->protocol == b->protocol;
}

static int prefix_valid(const struct rule *r, const struct cidr *c)
{
	if (!c->family || !c->prefix)
		return 0;
	if (c->family != r->family || c->prefix > cidr_addrlen(c) * 8 || cidr_host_bits_set(c))
		return -EINVAL;
	return 0;
}

static int rule_valid(const struct rule *r)
{
	int max = r->family == AF_INET ? 32 : 128;

	if (r->family != AF_INET && r->family != AF_INET6)
		return -EAFNOSUPPORT;
	if ((unsigned int)r->action >= ARRAY_SIZE(action_to_fr))
		return -EINVAL;
	if (r->action == RULE_TO_TABLE && !r->table)
		return -EINVAL;
	if (r->suppress_prefixlength < -1 || r->suppress_prefixlength > max)
		return -EINVAL;
	if (strnlen(r->iif, sizeof(r->iif)) >= sizeof(r->iif) ||
	    strnlen(r->oif, sizeof(r->oif)) >= sizeof(r->oif))
		return -EINVAL;
	if (prefix_valid(r, &r->src) < 0 || prefix_valid(r, &r->dst) < 0)
		return -EINVAL;
	return 0;
}

static bool put_prefix(struct nlmsghdr *nlh, size_t size, uint16_t type, const struct cidr *c)
{
	if (!c->family || !c->prefix)
		return true;
	return mnl_attr_put_check(nlh, size, type, (size_t)cidr_addrlen(c), c->addr);
}

static int rule_build(struct nl *nl, void *buf, size_t size, const struct rule *r,
		      enum rule_op op)
{
	struct nlmsghdr *nlh;
	struct fib_rule_hdr *frh;
	int err = rule_valid(r);

	if (err < 0)
		return err;
	if (op != RULE_OP_ADD && op != RULE_OP_DEL)
		return -EINVAL;
	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*frh)))
		return -EMSGSIZE;
	if (op == RULE_OP_ADD)
		nlh = nl_msg(nl, buf, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL);
	else
		nlh = nl_msg(nl, buf, RTM_DELRULE, 0);
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = (uint8_t)r->family;
	frh->src_len = r->src.family ? r->src.prefix : 0;
	frh->dst_len = r->dst.family ? r->dst.prefix : 0;
	frh->action = action_to_fr[r->action];
	frh->flags = r->invert ? FIB_RULE_INVERT : 0;
	if (r->action == RULE_TO_TABLE)
		frh->table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;

	/* Every field is sent, also on delete: the kernel deletes the first rule matching
	 * what the request names, so naming all of it spares other rules. */
	if (!mnl_attr_put_u32_check(nlh, size, FRA_PRIORITY, r->priority))
		return -EMSGSIZE;
	if (r->action == RULE_TO_TABLE && !mnl_attr_put_u32_check(nlh, size, FRA_TABLE, r->table))
		return -EMSGSIZE;
	if (r->fwmark || r->fwmask) {
		if (!mnl_attr_put_u32_check(nlh, size, FRA_FWMARK, r->fwmark) ||
		    !mnl_attr_put_u32_check(nlh, size, FRA_FWMASK, norm_mask(r)))
			return -EMSGSIZE;
	}
	if (r->suppress_prefixlength >= 0 &&
	    !mnl_attr_put_u32_check(nlh, size, FRA_SUPPRESS_PREFIXLEN,
				    (uint32_t)r->suppress_prefixlength))
		return -EMSGSIZE;
	if (!put_prefix(nlh, size, FRA_SRC, &r->src) || !put_prefix(nlh, size, FRA_DST, &r->dst))
		return -EMSGSIZE;
	if (r->iif[0] && !nlattr_put_strz(nlh, size, FRA_IIFNAME, r->iif))
		return -EMSGSIZE;
	if (r->oif[0] && !nlattr_put_strz(nlh, size, FRA_OIFNAME, r->oif))
		return -EMSGSIZE;
	if (!nlattr_put_u8(nlh, size, FRA_PROTOCOL, r->protocol))
		return -EMSGSIZE;
	return 0;
}

/* A failed build gives its sequence number back, so the messages a caller lays into one
 * batch stay consecutive and nl_talk_batch's failed index stays right. */
int rule_msg(struct nl *nl, void *buf, size_t size, const struct rule *r, enum rule_op op)
{
	uint32_t seq = nl->seq;
	int err = rule_build(nl, buf, size, r, op);

	if (err < 0)
		nl->seq = seq;
	return err;
}

int rule_add(struct nl *nl, const struct rule *r)
{
	uint32_t buf[REQ_WORDS];
	int err = rule_msg(nl, buf, sizeof(buf), r, RULE_OP_ADD);

	return err < 0 ? err : nl_talk(nl, (struct nlmsghdr *)buf, NULL, NULL);
}

int rule_del(struct nl *nl, const struct rule *r)
{
	uint32_t buf[REQ_WORDS];
	int err = rule_msg(nl, buf, sizeof(buf), r, RULE_OP_DEL);

	return err < 0 ? err : nl_talk(nl, (struct nlmsghdr *)buf, NULL, NULL);
}

static int get_prefix(const struct nlattr *attr, int family, uint8_t len, struct cidr *c)
{
	int err;

	memset(c, 0, sizeof(*c));
	if (!attr)
		return len ? -EINVAL : 0;
	err = nlattr_get_addr(attr, family, c);
	if (err < 0)
		return err;
	if (len > c->prefix)
		return -EINVAL;
	c->prefix = len;
	return 0;
}

int rule_parse(const struct nlmsghdr *nlh, struct rule *r)
{
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[FRA_MAX + 1];
	int err;

	err = nlattr_parse(nlh, sizeof(*frh), rule_policy, FRA_MAX, tb);
	if (err < 0)
		return err;
	if (frh->family != AF_INET && frh->family != AF_INET6)
		return -EAFNOSUPPORT;
	rule_init(r, frh->family);
	r->action = fr_to_action(frh->action);
	r->invert = (frh->flags & FIB_RULE_INVERT) != 0;
	r->table = tb[FRA_TABLE] ? mnl_attr_get_u32(tb[FRA_TABLE]) : frh->table;
	/* The kernel leaves out FRA_PRIORITY for priority 0 and FRA_PROTOCOL for 0. */
	r->priority = tb[FRA_PRIORITY] ? mnl_attr_get_u32(tb[FRA_PRIORITY]) : 0;
	r->protocol = tb[FRA_PROTOCOL] ? mnl_attr_get_u8(tb[FRA_PROTOCOL]) : 0;
	if (tb[FRA_FWMARK])
		r->fwmark = mnl_attr_get_u32(tb[FRA_FWMARK]);
	if (tb[FRA_FWMASK])
		r->fwmask = mnl_attr_get_u32(tb[FRA_FWMASK]);
	if (tb[FRA_SUPPRESS_PREFIXLEN])
		r->suppress_prefixlength = (int)mnl_attr_get_u32(tb[FRA_SUPPRESS_PREFIXLEN]);
	err = get_prefix(tb[FRA_SRC], r->family, frh->src_len, &r->src);
	if (err < 0)
		return err;
	err = get_prefix(tb[FRA_DST], r->family, frh->dst_len, &r->dst);
	if (err < 0)
		return err;
	if (tb[FRA_IIFNAME])
		snprintf(r->iif, sizeof(r->iif), "%s", mnl_attr_get_str(tb[FRA_IIFNAME]));
	if (tb[FRA_OIFNAME])
		snprintf(r->oif, sizeof(r->oif), "%s", mnl_attr_get_str(tb[FRA_OIFNAME]));
	return 0;
}

struct rule_list {
	struct rule *v;
	size_t n;
};

static int rule_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rule_list *list = data;
	struct rule r;
	int err;

	if (nlh->nlmsg_type != RTM_NEWRULE)
		return MNL_CB_OK;
	err = rule_parse(nlh, &r);
	if (err == -EAFNOSUPPORT)   /* ipmr/ip6mr rules in an AF_UNSPEC dump */
		return MNL_CB_OK;
	if (err < 0) {
		errno = -err;
		return MNL_CB_ERROR;
	}
	*(struct rule *)array_push(&list->v, &list->n, sizeof(r)) = r;
	return MNL_CB_OK;
}

int rule_dump(struct nl *nl, int family, struct rule **rules, size_t *n)
{
	struct rule_list list = { NULL, 0 };
	uint32_t buf[REQ_WORDS];
	struct fib_rule_hdr *frh;
	struct nlmsghdr *nlh;
	int err;

	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	nlh = nl_msg(nl, buf, RTM_GETRULE, NLM_F_DUMP);
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = (uint8_t)family;
	err = nl_dump(nl, nlh, rule_dump_cb, &list, &list.v, &list.n);
	if (err < 0)
		return err;
	*rules = list.v;
	*n = list.n;
	return 0;
}
