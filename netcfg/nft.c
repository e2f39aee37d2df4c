/* Tables inet warren (the agent's) and inet warren_server via libnftnl: planned from a spec, swapped in one batch, checked by dump. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#include "nft.h"
#include "nftexpr.h"
#include "nlattr.h"
#include "../common/util.h"

_Static_assert(NFT_NETLINK_BUS == NETLINK_NETFILTER, "netfilter bus");
_Static_assert(FAMILY_IPV4 == 1 && FAMILY_IPV6 == 2, "family mask bits");

#define TRIES 5                 /* interrupted dumps and generation races, then give up */

#define TCP_FLAGS_OFF 13
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCPOPT_MSS 2
#define CT_ESTABLISHED_RELATED \
	(NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED))

/* The chains, in the order they are created. Only chains with rules exist: an empty base
 * chain would still cost every packet a hook call. */
enum chain_id { CH_PRE, CH_FWD, CH_MSS, CH_POST, CH_N };

static const struct chain_def {
	const char *name;
	const char *type;       /* NULL: a regular chain, reached by jump */
	uint32_t hook;
	int32_t prio;
} chain_defs[CH_N] = {
	/* anti-spoof as wg-quick does it, before conntrack sees the packet */
	[CH_PRE] = { "prerouting", "filter", NF_INET_PRE_ROUTING, -300 /* raw */ },
	[CH_FWD] = { "forward", "filter", NF_INET_FORWARD, 0 /* filter */ },
	/* MSS clamping, entered by TCP SYNs only, so the per-tunnel rules stay off the hot path */
	[CH_MSS] = { "mss", NULL, 0, 0 },
	/* NAT chains see only a connection's first packet */
	[CH_POST] = { "postrouting", "nat", NF_INET_POST_ROUTING, 100 /* srcnat */ },
};

/* The desired table: rules per chain, as libnftnl objects. */
struct plan {
	const char *table;
	struct nftnl_rule **rules[CH_N];
	size_t n[CH_N];
};


/* ---- validation ---- */

static int ifname_check(const char *name, const char *what, char *why, size_t whylen)
{
	size_t i, len = name ? strlen(name) : 0;

	if (len >= NFTX_IFNAMSZ) {
		snprintf(why, whylen, "%s \"%.20s...\": longer than %d bytes", what, name,
			 NFTX_IFNAMSZ - 1);
		return -ENAMETOOLONG;
	}
	if (len == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		snprintf(why, whylen, "%s: empty or invalid link name", what);
		return -EINVAL;
	}
	/* What the kernel's dev_valid_name refuses. */
	for (i = 0; i < len; i++) {
		if (name[i] == '/' || name[i] == ':' || (unsigned char)name[i] <= ' ' ||
		    name[i] == 0x7f) {
			snprintf(why, whylen, "%s \"%s\": invalid link name", what, name);
			return -EINVAL;
		}
	}
	return 0;
}

static bool cidr_valid(const struct cidr *c)
{
	return (c->family == AF_INET || c->family == AF_INET6) &&
	       c->prefix <= cidr_addrlen(c) * 8;
}

static int tunnel_check(const struct nft_spec *s, size_t t, char *why, size_t whylen)
{
	const struct nft_tunnel *tun = &s->tunnels[t];
	char what[48];
	size_t i;
	int err;

	snprintf(what, sizeof(what), "tunnel %zu", t + 1);
	err = ifname_check(tun->ifname, what, why, whylen);
	if (err < 0)
		return err;
	for (i = 0; i < t; i++) {
		if (strcmp(s->tunnels[i].ifname, tun->ifname) == 0) {
			snprintf(why, whylen, "tunnel %s: link named twice", tun->ifname);
			return -EINVAL;
		}
	}
	for (i = 0; i < s->lan_ifs.n; i++) {
		if (strcmp(s->lan_ifs.v[i], tun->ifname) == 0) {
			snprintf(why, whylen, "tunnel %s: also a LAN interface", tun->ifname);
			return -EINVAL;
		}
	}
	if (tun->families == 0 || (tun->families & ~(unsigned int)FAMILY_BOTH)) {
		snprintf(why, whylen, "tunnel %s: families 0x%x not ipv4, ipv6 or both",
			 tun->ifname, tun->families);
		return -EINVAL;
	}
	if ((tun->snat_to4.family && tun->snat_to4.family != AF_INET) ||
	    (tun->snat_to6.family && tun->snat_to6.family != AF_INET6)) {
		snprintf(why, whylen, "tunnel %s: SNAT address of the wrong family", tun->ifname);
		return -EINVAL;
	}
	if (tun->addrs.n && !tun->addrs.v) {
		snprintf(why, whylen, "tunnel %s: addresses missing", tun->ifname);
		return -EINVAL;
	}
	for (i = 0; i < tun->addrs.n; i++) {
		if (!cidr_valid(&tun->addrs.v[i])) {
			snprintf(why, whylen, "tunnel %s: address %zu: not IPv4 or IPv6",
				 tun->ifname, i + 1);
			return -EINVAL;
		}
	}
	return 0;
}

static bool same_host(const struct cidr *a, const struct cidr *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, (size_t)cidr_addrlen(a)) == 0;
}

/* An address may belong to one tunnel only: its anti-spoof rule drops the address's
 * packets arriving on every other link, so a second owner would be cut off. */
static int addrs_check(const struct nft_spec *s, char *why, size_t whylen)
{
	size_t t, i, u, j;
	char buf[CIDR_STRLEN];

	for (t = 0; t < s->n_tunnels; t++) {
		const struct cidrv *a = &s->tunnels[t].addrs;

		for (i = 0; i < a->n; i++) {
			for (u = 0; u <= t; u++) {
				const struct cidrv *b = &s->tunnels[u].addrs;

				for (j = 0; j < (u == t ? i : b->n); j++) {
					if (!same_host(&a->v[i], &b->v[j]))
						continue;
					snprintf(why, whylen, "tunnel %s: address %s also on %s",
						 s->tunnels[t].ifname, ip_fmt(&a->v[i], buf),
						 u == t ? "this tunnel" : s->tunnels[u].ifname);
					return -EINVAL;
				}
			}
		}
	}
	return 0;
}

bool nft_table_name_valid(const char *name)
{
	return strcmp(name, NFT_TABLE_AGENT) == 0 || strcmp(name, NFT_TABLE_SERVER) == 0;
}

int nft_spec_check(const struct nft_spec *s, char *why, size_t whylen)
{
	char scratch[1], buf[CIDR_STRLEN], what[40];
	size_t i, j;
	int err;

	if (!why) {
		why = scratch;
		whylen = sizeof(scratch);
	}
	if (whylen)
		why[0] = '\0';
	if (s->table && !nft_table_name_valid(s->table)) {
		snprintf(why, whylen, "table \"%.40s\": not a name warren gives its tables", s->table);
		return -EINVAL;
	}
	if ((s->n_tunnels && !s->tunnels) || (s->lan_ifs.n && !s->lan_ifs.v) ||
	    (s->lan_subnets.n && !s->lan_subnets.v)) {
		snprintf(why, whylen, "nftables spec: a list without its items");
		return -EINVAL;
	}
	for (i = 0; i < s->lan_ifs.n; i++) {
		snprintf(what, sizeof(what), "LAN interface %zu", i + 1);
		err = ifname_check(s->lan_ifs.v[i], what, why, whylen);
		if (err < 0)
			return err;
		for (j = 0; j < i; j++) {
			if (strcmp(s->lan_ifs.v[j], s->lan_ifs.v[i]) == 0) {
				snprintf(why, whylen, "LAN interface %s: named twice",
					 s->lan_ifs.v[i]);
				return -EINVAL;
			}
		}
	}
	for (i = 0; i < s->lan_subnets.n; i++) {
		const struct cidr *c = &s->lan_subnets.v[i];

		if (!cidr_valid(c)) {
			snprintf(why, whylen, "LAN subnet %zu: not an IPv4 or IPv6 prefix", i + 1);
			return -EINVAL;
		}
		if (cidr_host_bits_set(c)) {
			snprintf(why, whylen, "LAN subnet %s: host bits set", cidr_fmt(c, buf));
			return -EINVAL;
		}
	}
	for (i = 0; i < s->n_tunnels; i++) {
		err = tunnel_check(s, i, why, whylen);
		if (err < 0)
			return err;
	}
	return addrs_check(s, why, whylen);
}

/* ---- the plan: expressions as nft itself would generate them ---- */









static struct nftnl_rule *rule_new(const struct plan *p, enum chain_id ch)
{
	struct nftnl_rule *r = nftx_must(nftnl_rule_alloc());

	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, p->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain_defs[ch].name);
	return r;
}

static void plan_push(struct plan *p, enum chain_id ch, struct nftnl_rule *r)
{
	*(struct nftnl_rule **)array_push(&p->rules[ch], &p->n[ch], sizeof(r)) = r;
}

static void plan_free(struct plan *p)
{
	size_t c, i;

	for (c = 0; c < CH_N; c++) {
		for (i = 0; i < p->n[c]; i++)
			nftnl_rule_free(p->rules[c][i]);
		free(p->rules[c]);
	}
	memset(p, 0, sizeof(*p));
}

/* ip daddr ADDR iifname != "wg-x" fib saddr type != local drop: the address test first,
 * since nearly every packet fails it. */
static void plan_antispoof(struct plan *p, const struct nft_tunnel *t, const struct cidr *a)
{
	struct nftnl_rule *r = rule_new(p, CH_PRE);
	struct cidr host = *a;
	struct nftnl_expr *e;
	uint32_t local = RTN_LOCAL;

	host.prefix = (uint8_t)(cidr_addrlen(a) * 8);
	nftx_addr(r, &host, false);
	nftx_ifname(r, NFT_META_IIFNAME, NFT_CMP_NEQ, t->ifname);
	e = nftx_expr("fib");
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_SADDR);
	nftnl_rule_add_expr(r, e);
	nftx_cmp(r, NFT_CMP_NEQ, &local, sizeof(local));
	nftx_verdict(r, NF_DROP, NULL);
	plan_push(p, CH_PRE, r);
}

/* meta l4proto tcp tcp flags syn / syn,rst jump mss */
static void plan_mss_jump(struct plan *p)
{
	struct nftnl_rule *r = rule_new(p, CH_FWD);
	uint8_t tcp = IPPROTO_TCP, mask = TCP_SYN | TCP_RST, syn = TCP_SYN;

	nftx_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	nftx_cmp(r, NFT_CMP_EQ, &tcp, sizeof(tcp));
	nftx_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, TCP_FLAGS_OFF, 1, NFT_REG_1);
	nftx_bitwise(r, &mask, sizeof(mask));
	nftx_cmp(r, NFT_CMP_EQ, &syn, sizeof(syn));
	nftx_verdict(r, NFT_JUMP, chain_defs[CH_MSS].name);
	plan_push(p, CH_FWD, r);
}

/* [meta nfproto F] iifname/oifname "wg-x" tcp option maxseg size set rt mtu. The kernel
 * never raises an MSS, so clamping to the route's MTU is safe both ways. */
static void plan_mss(struct plan *p, const struct nft_tunnel *t, uint32_t key)
{
	struct nftnl_rule *r = rule_new(p, CH_MSS);
	struct nftnl_expr *e;

	nftx_ifname(r, key, NFT_CMP_EQ, t->ifname);
	if (t->families != FAMILY_BOTH)
		nftx_nfproto(r, t->families == FAMILY_IPV4 ? AF_INET : AF_INET6);
	e = nftx_expr("rt");
	nftnl_expr_set_u32(e, NFTNL_EXPR_RT_KEY, NFT_RT_TCPMSS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_RT_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	e = nftx_expr("byteorder");
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, 2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, 2);
	nftnl_rule_add_expr(r, e);
	e = nftx_expr("exthdr");
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_SREG, NFT_REG_1);
	nftnl_expr_set_u8(e, NFTNL_EXPR_EXTHDR_TYPE, TCPOPT_MSS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OFFSET, 2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_LEN, 2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OP, NFT_EXTHDR_OP_TCPOPT);
	nftnl_rule_add_expr(r, e);
	plan_push(p, CH_MSS, r);
}

/* iifname "wg-x" oifname "lan" ct state & (established|related) == 0 drop: one rule for
 * what would be "established,related accept" and "drop". Not limited to the tunnel's
 * families: a family it does not carry must not open the LAN either. */
static void plan_inbound(struct plan *p, const struct nft_tunnel *t, const char *lan)
{
	struct nftnl_rule *r = rule_new(p, CH_FWD);
	uint32_t mask = CT_ESTABLISHED_RELATED, zero = 0;
	struct nftnl_expr *e;

	nftx_ifname(r, NFT_META_IIFNAME, NFT_CMP_EQ, t->ifname);
	nftx_ifname(r, NFT_META_OIFNAME, NFT_CMP_EQ, lan);
	e = nftx_expr("ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	nftx_bitwise(r, &mask, sizeof(mask));
	nftx_cmp(r, NFT_CMP_EQ, &zero, sizeof(zero));
	nftx_verdict(r, NF_DROP, NULL);
	plan_push(p, CH_FWD, r);
}

/* oifname "wg-x" ip saddr SUBNET masquerade | snat ip to ADDR */
static void plan_snat(struct plan *p, const struct nft_tunnel *t, const struct cidr *subnet)
{
	const struct cidr *to = subnet->family == AF_INET ? &t->snat_to4 : &t->snat_to6;
	struct nftnl_rule *r = rule_new(p, CH_POST);
	struct nftnl_expr *e;

	nftx_ifname(r, NFT_META_OIFNAME, NFT_CMP_EQ, t->ifname);
	nftx_addr(r, subnet, true);
	if (!to->family) {
		nftnl_rule_add_expr(r, nftx_expr("masq"));
	} else {
		e = nftx_expr("immediate");
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
		nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, to->addr, (uint32_t)cidr_addrlen(to));
		nftnl_rule_add_expr(r, e);
		e = nftx_expr("nat");
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_SNAT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY,
				   to->family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6);
		/* A one-address range, spelled out as the kernel dumps it back. */
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_MAP_IPS);
		nftnl_rule_add_expr(r, e);
	}
	plan_push(p, CH_POST, r);
}

static const char *spec_table(const struct nft_spec *s)
{
	return s->table ? s->table : NFT_TABLE_AGENT;
}

/* spec must have passed nft_spec_check. */
static void plan_build(const struct nft_spec *s, struct plan *p)
{
	size_t t, i;

	memset(p, 0, sizeof(*p));
	p->table = spec_table(s);
	if (!s->n_tunnels)
		return;
	for (t = 0; t < s->n_tunnels; t++)
		for (i = 0; i < s->tunnels[t].addrs.n; i++)
			plan_antispoof(p, &s->tunnels[t], &s->tunnels[t].addrs.v[i]);
	plan_mss_jump(p);
	for (t = 0; t < s->n_tunnels; t++) {
		plan_mss(p, &s->tunnels[t], NFT_META_OIFNAME);
		plan_mss(p, &s->tunnels[t], NFT_META_IIFNAME);
	}
	for (t = 0; t < s->n_tunnels; t++) {
		if (s->tunnels[t].allow_inbound)
			continue;
		for (i = 0; i < s->lan_ifs.n; i++)
			plan_inbound(p, &s->tunnels[t], s->lan_ifs.v[i]);
	}
	for (t = 0; t < s->n_tunnels; t++) {
		const struct nft_tunnel *tun = &s->tunnels[t];

		if (!tun->snat)
			continue;
		for (i = 0; i < s->lan_subnets.n; i++) {
			const struct cidr *c = &s->lan_subnets.v[i];
			unsigned int fam = c->family == AF_INET ? FAMILY_IPV4 : FAMILY_IPV6;

			if (tun->families & fam)
				plan_snat(p, tun, c);
		}
	}
}

static struct nftnl_chain *chain_new(const char *table, enum chain_id ch)
{
	const struct chain_def *d = &chain_defs[ch];
	struct nftnl_chain *c = nftx_must(nftnl_chain_alloc());

	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, d->name);
	if (d->type) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, d->hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, d->prio);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, d->type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	return c;
}

/* ---- the batch ---- */



static void put_chain(struct nl *nl, struct nftx_buf *b, const char *table, enum chain_id ch)
{
	struct nftnl_chain *c = chain_new(table, ch);
	struct nlmsghdr *nlh;

	nlh = nftnl_chain_nlmsg_build_hdr(nftx_room(b), NFT_MSG_NEWCHAIN, NFPROTO_INET,
					  NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, ++nl->seq);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftx_done(b, nlh);
	nftnl_chain_free(c);
}


static bool spec_empty(const struct nft_spec *s)
{
	return s->n_tunnels == 0;
}

int nft_batch_build(struct nl *nl, const struct nft_spec *spec, uint32_t genid, void **buf,
		    size_t *len)
{
	struct nftx_buf b = { NULL, 0, 0 };
	struct nlmsghdr *nlh;
	struct plan p;
	size_t c, i;
	int err;

	err = nft_spec_check(spec, nl->err, sizeof(nl->err));
	if (err < 0)
		return err;
	/* Batch delimiters ask for no ACK: kernels before 6.0 never send one. */
	nlh = nftnl_batch_begin(nftx_room(&b), ++nl->seq);
	if (genid && !mnl_attr_put_u32_check(nlh, NFTX_MSG_ROOM, NFNL_BATCH_GENID, htonl(genid)))
		abort();
	nftx_done(&b, nlh);
	/* Create-if-absent then delete: a removal that also works on a missing table. */
	nftx_put_table(nl, &b, spec_table(spec), NFT_MSG_NEWTABLE, NLM_F_CREATE);
	nftx_put_table(nl, &b, spec_table(spec), NFT_MSG_DELTABLE, 0);
	if (!spec_empty(spec)) {
		plan_build(spec, &p);
		nftx_put_table(nl, &b, p.table, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL);
		for (c = 0; c < CH_N; c++)
			if (p.n[c])
				put_chain(nl, &b, p.table, c);
		for (c = 0; c < CH_N; c++)
			for (i = 0; i < p.n[c]; i++)
				nftx_put_rule(nl, &b, p.rules[c][i]);
		plan_free(&p);
	}
	nlh = nftnl_batch_end(nftx_room(&b), ++nl->seq);
	nftx_done(&b, nlh);
	*buf = b.p;
	*len = b.len;
	return 0;
}

/* The chain a NEWRULE/NEWCHAIN message names, into name; NULL when it names none. */
static const char *msg_chain(const struct nlmsghdr *m, char *name, size_t size)
{
	uint16_t type = (uint16_t)(m->nlmsg_type & 0xff);
	const char *s;

	name[0] = '\0';
	if (type == NFT_MSG_NEWRULE) {
		struct nftnl_rule *r = nftx_must(nftnl_rule_alloc());

		if (nftnl_rule_nlmsg_parse(m, r) == 0 &&
		    (s = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN)))
			snprintf(name, size, "%s", s);
		nftnl_rule_free(r);
	} else if (type == NFT_MSG_NEWCHAIN) {
		struct nftnl_chain *c = nftx_must(nftnl_chain_alloc());

		if (nftnl_chain_nlmsg_parse(m, c) == 0 &&
		    (s = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME)))
			snprintf(name, size, "%s", s);
		nftnl_chain_free(c);
	}
	return name[0] ? name : NULL;
}

/* nl->err = "what failed: why", naming message idx of the batch in buf. */
static void describe_failure(struct nl *nl, const char *table, const void *buf, size_t len,
			     int idx, int err)
{
	char why[sizeof(nl->err)], what[96] = "nftables batch", chain[64], other[64];
	const struct nlmsghdr *m, *bad = NULL;
	int left = (int)len, i, nth = 1;
	uint16_t type;

	snprintf(why, sizeof(why), "%s", nl_strerror(nl, err));
	for (m = buf, i = 0; idx >= 0 && mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
		if (i++ == idx) {
			bad = m;
			break;
		}
	}
	if (bad && (bad->nlmsg_type >> 8) == NFNL_SUBSYS_NFTABLES) {
		type = (uint16_t)(bad->nlmsg_type & 0xff);
		if (type == NFT_MSG_NEWTABLE || type == NFT_MSG_DELTABLE) {
			snprintf(what, sizeof(what), "table inet %s", table);
		} else if (type == NFT_MSG_NEWCHAIN && msg_chain(bad, chain, sizeof(chain))) {
			snprintf(what, sizeof(what), "chain %s", chain);
		} else if (type == NFT_MSG_NEWRULE && msg_chain(bad, chain, sizeof(chain))) {
			/* Its place in the chain, counting the rules before it in the batch. */
			left = (int)len;
			for (m = buf; m != bad && mnl_nlmsg_ok(m, left);
			     m = mnl_nlmsg_next(m, &left))
				if ((m->nlmsg_type & 0xff) == NFT_MSG_NEWRULE &&
				    msg_chain(m, other, sizeof(other)) && strcmp(other, chain) == 0)
					nth++;
			snprintf(what, sizeof(what), "chain %s rule %d", chain, nth);
		}
	}
	/* A long kernel message loses its tail, which beats losing the object's name. */
	if (snprintf(nl->err, sizeof(nl->err), "%s: %s", what, why) >= (int)sizeof(nl->err))
		nl->err[sizeof(nl->err) - 1] = '\0';
}

static int batch_send(struct nl *nl, const struct nft_spec *spec, uint32_t genid)
{
	void *buf = NULL;
	size_t len = 0;
	int err, failed = -1;

	err = nft_batch_build(nl, spec, genid, &buf, &len);
	if (err < 0)
		return err;
	/* One send: the kernel applies a batch whole or not at all. */
	err = nl_talk_atomic(nl, buf, len, &failed);
	/* -ERESTART: the generation moved; the caller rereads it and tries again. */
	if (err < 0 && err != -ERESTART)
		describe_failure(nl, spec_table(spec), buf, len, failed, err);
	free(buf);
	return err;
}

/* ---- reading ---- */



static const struct nlattr_policy gen_policy[NFTA_GEN_MAX + 1] = {
	[NFTA_GEN_ID] = { MNL_TYPE_U32, 0 },
};

static int gen_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFTA_GEN_MAX + 1];
	int err;

	if (!nftx_msg_is(nlh, NFT_MSG_NEWGEN))
		return MNL_CB_OK;
	err = nlattr_parse(nlh, sizeof(struct nfgenmsg), gen_policy, NFTA_GEN_MAX, tb);
	if (err == 0 && !tb[NFTA_GEN_ID])
		err = -EBADMSG;
	if (err < 0) {
		errno = -err;
		return MNL_CB_ERROR;
	}
	*(uint32_t *)data = ntohl(mnl_attr_get_u32(tb[NFTA_GEN_ID]));
	return MNL_CB_OK;
}

int nft_gen(struct nl *nl, uint32_t *gen)
{
	uint32_t buf[64] = { 0 };
	struct nlmsghdr *nlh = nftx_req(nl, buf, NFT_MSG_GETGEN, AF_UNSPEC, 0);
	int err;

	*gen = 0;
	err = nl_talk(nl, nlh, gen_cb, gen);
	if (err == 0 && *gen == 0)
		err = -EBADMSG;   /* the kernel's generation is never 0 */
	return err;
}

struct table_info {
	bool found;
	uint32_t flags;
};

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct table_info *ti = data;
	struct nftnl_table *t;

	if (!nftx_msg_is(nlh, NFT_MSG_NEWTABLE))
		return MNL_CB_OK;
	t = nftx_must(nftnl_table_alloc());
	if (nftnl_table_nlmsg_parse(nlh, t) < 0) {
		nftnl_table_free(t);
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	ti->found = true;
	ti->flags = nftnl_table_is_set(t, NFTNL_TABLE_FLAGS) ?
		    nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS) : 0;
	nftnl_table_free(t);
	return MNL_CB_OK;
}

static int table_get(struct nl *nl, const char *table, struct table_info *ti)
{
	uint32_t buf[128] = { 0 };
	struct nftnl_table *t = nftx_must(nftnl_table_alloc());
	struct nlmsghdr *nlh = nftx_req(nl, buf, NFT_MSG_GETTABLE, NFPROTO_INET, 0);
	int err;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	memset(ti, 0, sizeof(*ti));
	err = nl_talk(nl, nlh, table_cb, ti);
	if (err == -ENOENT) {
		nl->err[0] = '\0';
		return 0;
	}
	if (err == 0 && !ti->found)
		err = -EBADMSG;
	return err;
}

/* What a dump of the table holds. */
struct current {
	const char *table;
	struct nftnl_chain **chains;
	size_t n_chains;
	struct nftnl_rule **rules;
	size_t n_rules;
	bool foreign;    /* a chain or rule libnftnl cannot read: not one of ours */
};

static void current_free(struct current *cur)
{
	size_t i;

	for (i = 0; i < cur->n_chains; i++)
		nftnl_chain_free(cur->chains[i]);
	for (i = 0; i < cur->n_rules; i++)
		nftnl_rule_free(cur->rules[i]);
	free(cur->chains);
	free(cur->rules);
	memset(cur, 0, sizeof(*cur));
}

static bool ours(const struct current *cur, const char *table, uint32_t family)
{
	return table && strcmp(table, cur->table) == 0 && family == NFPROTO_INET;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct current *cur = data;
	struct nftnl_chain *c;

	if (!nftx_msg_is(nlh, NFT_MSG_NEWCHAIN))
		return MNL_CB_OK;
	c = nftx_must(nftnl_chain_alloc());
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0) {
		nftnl_chain_free(c);
		cur->foreign = true;
		return MNL_CB_OK;
	}
	/* The kernel dumps every chain of the family, whatever table the request names. */
	if (!ours(cur, nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE),
		  nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY))) {
		nftnl_chain_free(c);
		return MNL_CB_OK;
	}
	*(struct nftnl_chain **)array_push(&cur->chains, &cur->n_chains, sizeof(c)) = c;
	return MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct current *cur = data;
	struct nftnl_rule *r;

	if (!nftx_msg_is(nlh, NFT_MSG_NEWRULE))
		return MNL_CB_OK;
	/* A rule with an expression this libnftnl does not know (someone's newer nft) does not
	 * parse; it cannot be ours, so it is a difference, not an error. */
	r = nftx_must(nftnl_rule_alloc());
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		nftnl_rule_free(r);
		cur->foreign = true;
		return MNL_CB_OK;
	}
	if (!ours(cur, nftnl_rule_get_str(r, NFTNL_RULE_TABLE),
		  nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY))) {
		nftnl_rule_free(r);
		return MNL_CB_OK;
	}
	*(struct nftnl_rule **)array_push(&cur->rules, &cur->n_rules, sizeof(r)) = r;
	return MNL_CB_OK;
}

static int current_dump(struct nl *nl, struct current *cur)
{
	uint32_t buf[128] = { 0 };
	struct nlmsghdr *nlh;
	struct nftnl_chain *c;
	struct nftnl_rule *r;
	int err;

	nlh = nftx_req(nl, buf, NFT_MSG_GETCHAIN, NFPROTO_INET, NLM_F_DUMP);
	c = nftx_must(nftnl_chain_alloc());
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, cur->table);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	err = nl_talk(nl, nlh, chain_cb, cur);
	if (err < 0)
		return err;
	memset(buf, 0, sizeof(buf));
	nlh = nftx_req(nl, buf, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP);
	r = nftx_must(nftnl_rule_alloc());
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, cur->table);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	return nl_talk(nl, nlh, rule_cb, cur);
}

/* ---- comparing ---- */

static bool str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static bool chain_equal(const struct nftnl_chain *want, const struct nftnl_chain *have)
{
	bool base = nftnl_chain_is_set(want, NFTNL_CHAIN_HOOKNUM);

	if (base != nftnl_chain_is_set(have, NFTNL_CHAIN_HOOKNUM))
		return false;
	if (!base)
		return true;
	return nftnl_chain_get_u32(want, NFTNL_CHAIN_HOOKNUM) ==
		       nftnl_chain_get_u32(have, NFTNL_CHAIN_HOOKNUM) &&
	       nftnl_chain_get_s32(want, NFTNL_CHAIN_PRIO) ==
		       nftnl_chain_get_s32(have, NFTNL_CHAIN_PRIO) &&
	       str_eq(nftnl_chain_get_str(want, NFTNL_CHAIN_TYPE),
		      nftnl_chain_get_str(have, NFTNL_CHAIN_TYPE)) &&
	       nftnl_chain_is_set(have, NFTNL_CHAIN_POLICY) &&
	       nftnl_chain_get_u32(want, NFTNL_CHAIN_POLICY) ==
		       nftnl_chain_get_u32(have, NFTNL_CHAIN_POLICY);
}

static bool rule_equal(const struct nftnl_rule *want, const struct nftnl_rule *have)
{
	char *a = xmalloc(NFTX_TEXT_MAX), *b = xmalloc(NFTX_TEXT_MAX);
	bool eq = nftx_rule_text(want, a, NFTX_TEXT_MAX) && nftx_rule_text(have, b, NFTX_TEXT_MAX) &&
		  strcmp(a, b) == 0 && !nftnl_rule_is_set(have, NFTNL_RULE_COMPAT_PROTO);

	free(a);
	free(b);
	return eq;
}

static bool plan_matches(const struct plan *p, const struct current *cur)
{
	size_t c, i, k, want_chains = 0, want_rules = 0;

	for (c = 0; c < CH_N; c++) {
		if (p->n[c]) {
			want_chains++;
			want_rules += p->n[c];
		}
	}
	if (cur->foreign || cur->n_chains != want_chains || cur->n_rules != want_rules)
		return false;
	for (c = 0; c < CH_N; c++) {
		struct nftnl_chain *want;
		bool found = false, eq;

		if (!p->n[c])
			continue;
		for (k = 0; k < cur->n_chains && !found; k++) {
			if (!str_eq(nftnl_chain_get_str(cur->chains[k], NFTNL_CHAIN_NAME),
				    chain_defs[c].name))
				continue;
			found = true;
			want = chain_new(p->table, c);
			eq = chain_equal(want, cur->chains[k]);
			nftnl_chain_free(want);
			if (!eq)
				return false;
		}
		if (!found)
			return false;
		/* The dump lists a chain's rules in order; pick out this chain's. */
		for (i = 0, k = 0; k < cur->n_rules; k++) {
			if (!str_eq(nftnl_rule_get_str(cur->rules[k], NFTNL_RULE_CHAIN),
				    chain_defs[c].name))
				continue;
			if (i >= p->n[c] || !rule_equal(p->rules[c][i], cur->rules[k]))
				return false;
			i++;
		}
		if (i != p->n[c])
			return false;
	}
	return true;
}

int nft_matches(struct nl *nl, const struct nft_spec *spec, bool *match)
{
	struct current cur = { 0 };
	struct table_info ti;
	uint32_t gen0, gen1;
	struct plan p;
	int err, tries;

	*match = false;
	err = nft_spec_check(spec, nl->err, sizeof(nl->err));
	if (err < 0)
		return err;
	plan_build(spec, &p);
	err = -EINTR;
	for (tries = 0; tries < TRIES && err == -EINTR; tries++) {
		current_free(&cur);
		cur.table = spec_table(spec);
		/* Three requests: a commit between them shows as a new generation. */
		err = nft_gen(nl, &gen0);
		if (err < 0)
			break;
		err = table_get(nl, spec_table(spec), &ti);
		if (err < 0)
			break;
		if (ti.found && !spec_empty(spec)) {
			err = current_dump(nl, &cur);
			if (err < 0)
				continue;
		}
		err = nft_gen(nl, &gen1);
		if (err == 0 && gen1 != gen0)
			err = -EINTR;
	}
	if (err < 0)
		goto out;
	if (spec_empty(spec))
		*match = !ti.found;
	else
		*match = ti.found && ti.flags == 0 && plan_matches(&p, &cur);
out:
	current_free(&cur);
	plan_free(&p);
	return err;
}

/* ---- writing ---- */

int nft_apply(struct nl *nl, const struct nft_spec *spec, uint32_t *gen)
{
	struct table_info ti;
	uint32_t g = 0;
	int err, tries;

	if (gen)
		*gen = 0;
	err = nft_spec_check(spec, nl->err, sizeof(nl->err));
	if (err < 0)
		return err;
	err = -ERESTART;
	for (tries = 0; tries < TRIES && err == -ERESTART; tries++) {
		err = nft_gen(nl, &g);
		if (err < 0)
			return err;
		if (spec_empty(spec)) {
			err = table_get(nl, spec_table(spec), &ti);
			if (err < 0)
				return err;
			if (!ti.found)
				return 0;
		}
		/* Pinned to the generation just read: the kernel refuses the batch if anyone
		 * committed since, so our commit's generation is exactly the next one. */
		err = batch_send(nl, spec, g);
	}
	if (err == -ERESTART)
		snprintf(nl->err, sizeof(nl->err), "table inet %s: ruleset kept changing, %d tries",
			 spec_table(spec), TRIES);
	if (err < 0)
		return err;
	if (gen) {
		*gen = g + 1;
		if (*gen == 0)
			*gen = 1;   /* the kernel skips 0 when its counter wraps */
	}
	return 0;
}

int nft_remove(struct nl *nl, const char *table)
{
	const struct nft_spec empty = { .table = table };

	return nft_apply(nl, &empty, NULL);
}
