/* The nftables batch builder: message layout, chains and rule expressions, validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>

#include "common/util.h"
#include "netcfg/nft.h"

/* Constants of <linux/netfilter/nf_tables.h> and friends, numeric as only netcfg/ includes
 * kernel headers. */
#define NFNL_SUBSYS_NFTABLES 10
#define NFNL_MSG_BATCH_BEGIN 0x10      /* NLMSG_MIN_TYPE */
#define NFNL_MSG_BATCH_END 0x11
#define NFNL_BATCH_GENID 1
#define NFT_MSG_NEWTABLE 0
#define NFT_MSG_DELTABLE 2
#define NFT_MSG_NEWCHAIN 3
#define NFT_MSG_NEWRULE 6
#define NFPROTO_INET 1
#define NF_ACCEPT 1
#define NF_INET_PRE_ROUTING 0
#define NF_INET_FORWARD 2
#define NF_INET_POST_ROUTING 4
#define NFGENMSG_LEN 4                 /* struct nfgenmsg */
#define NFT(type) ((NFNL_SUBSYS_NFTABLES << 8) | (type))

static struct cidr C(const char *s)
{
	struct cidr c;

	assert_int_equal(cidr_parse(&c, s), 0);
	return c;
}

/* The spec of the design brief: one tunnel with both families and its own addresses, one
 * IPv4-only tunnel that SNATs to a fixed address and accepts inbound connections. */
static char *lan_ifs[] = { "eth1" };
static struct cidr lan_subnets[2], hq_addrs[2];
static struct nft_tunnel tunnels[2];

static struct nft_spec brief_spec(void)
{
	struct nft_spec s;

	lan_subnets[0] = C("192.168.10.0/24");
	lan_subnets[1] = C("fd10::/64");
	hq_addrs[0] = C("10.9.0.10/32");
	hq_addrs[1] = C("fd09::10/128");
	memset(tunnels, 0, sizeof(tunnels));
	tunnels[0].ifname = "wg-hq";
	tunnels[0].families = FAMILY_BOTH;
	tunnels[0].snat = true;
	tunnels[0].addrs.v = hq_addrs;
	tunnels[0].addrs.n = 2;
	tunnels[1].ifname = "wg-warp";
	tunnels[1].families = FAMILY_IPV4;
	tunnels[1].snat = true;
	tunnels[1].snat_to4 = C("172.16.0.2");
	tunnels[1].allow_inbound = true;
	memset(&s, 0, sizeof(s));
	s.lan_ifs.v = lan_ifs;
	s.lan_ifs.n = 1;
	s.lan_subnets.v = lan_subnets;
	s.lan_subnets.n = 2;
	s.tunnels = tunnels;
	s.n_tunnels = 2;
	return s;
}

struct msgs {
	void *buf;
	size_t len;
	const struct nlmsghdr *m[128];
	size_t n;
};

static void build(struct nl *nl, const struct nft_spec *s, uint32_t genid, struct msgs *out)
{
	const struct nlmsghdr *m;
	int left;

	memset(out, 0, sizeof(*out));
	assert_int_equal(nft_batch_build(nl, s, genid, &out->buf, &out->len), 0);
	left = (int)out->len;
	for (m = out->buf; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
		assert_true(out->n < 128);
		out->m[out->n++] = m;
	}
	assert_int_equal(left, 0);   /* nothing trails the last message */
}

/* A rule's expressions as nft --debug=netlink shows them, one "[ ... ]" per line. */
static char *rule_exprs(const struct nlmsghdr *m, char *chain, size_t chainlen)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	char text[4096], *nl;

	assert_non_null(r);
	assert_int_equal(nftnl_rule_nlmsg_parse(m, r), 0);
	assert_string_equal(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), "warren");
	assert_int_equal(nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY), NFPROTO_INET);
	snprintf(chain, chainlen, "%s", nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
	assert_true(nftnl_rule_snprintf(text, sizeof(text), r, 0, 0) < (int)sizeof(text));
	nftnl_rule_free(r);
	nl = strchr(text, '\n');   /* past the "inet warren CHAIN" header line */
	assert_non_null(nl);
	return strdup(nl + 1);
}

static void test_layout(void **state)
{
	static const uint16_t types[] = {
		NFNL_MSG_BATCH_BEGIN, NFT(NFT_MSG_NEWTABLE), NFT(NFT_MSG_DELTABLE),
		NFT(NFT_MSG_NEWTABLE), NFT(NFT_MSG_NEWCHAIN), NFT(NFT_MSG_NEWCHAIN),
		NFT(NFT_MSG_NEWCHAIN), NFT(NFT_MSG_NEWCHAIN),
	};
	static const uint16_t flags[] = {
		NLM_F_REQUEST,                                  /* begin: no ACK */
		NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE,       /* add if absent ... */
		NLM_F_REQUEST | NLM_F_ACK,                      /* ... delete ... */
		NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, /* ... and make anew */
	};
	struct nft_spec s = brief_spec();
	struct nl nl = { .seq = 1000 };
	const uint8_t *gm;
	struct msgs b;
	size_t i;

	(void)state;
	build(&nl, &s, 0, &b);
	/* 8 fixed messages, 11 rules, the end */
	assert_int_equal(b.n, ARRAY_SIZE(types) + 11 + 1);
	for (i = 0; i < b.n; i++) {
		assert_int_equal(b.m[i]->nlmsg_seq, 1001 + i);
		gm = mnl_nlmsg_get_payload(b.m[i]);
		if (i == 0 || i == b.n - 1) {
			/* nfgenmsg: family 0, version 0, res_id NFNL_SUBSYS_NFTABLES (be16) */
			assert_int_equal(gm[0], 0);
			assert_int_equal(gm[2] << 8 | gm[3], NFNL_SUBSYS_NFTABLES);
		} else {
			assert_int_equal(gm[0], NFPROTO_INET);
		}
		if (i < ARRAY_SIZE(types))
			assert_int_equal(b.m[i]->nlmsg_type, types[i]);
		else if (i < b.n - 1)
			assert_int_equal(b.m[i]->nlmsg_type, NFT(NFT_MSG_NEWRULE));
		if (i < ARRAY_SIZE(flags))
			assert_int_equal(b.m[i]->nlmsg_flags, flags[i]);
		else if (i < ARRAY_SIZE(types))
			assert_int_equal(b.m[i]->nlmsg_flags,
					 NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
		else if (i < b.n - 1)
			assert_int_equal(b.m[i]->nlmsg_flags,
					 NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_APPEND);
	}
	assert_int_equal(b.m[b.n - 1]->nlmsg_type, NFNL_MSG_BATCH_END);
	assert_int_equal(b.m[b.n - 1]->nlmsg_flags, NLM_F_REQUEST);
	/* no generation pinned: the begin message carries nothing after its nfgenmsg */
	assert_int_equal(mnl_nlmsg_get_payload_len(b.m[0]), NFGENMSG_LEN);
	assert_int_equal(nl.seq, 1000 + b.n);
	free(b.buf);
}

static void test_genid(void **state)
{
	struct nft_spec s = brief_spec();
	struct nl nl = { .seq = 7 };
	const struct nlattr *a;
	struct msgs b;
	int found = 0;

	(void)state;
	build(&nl, &s, 0xdeadbeef, &b);
	mnl_attr_for_each(a, b.m[0], NFGENMSG_LEN) {
		assert_int_equal(mnl_attr_get_type(a), NFNL_BATCH_GENID);
		assert_int_equal(mnl_attr_get_payload_len(a), 4);
		assert_int_equal(ntohl(mnl_attr_get_u32(a)), 0xdeadbeef);
		found++;
	}
	assert_int_equal(found, 1);
	free(b.buf);
}

static void test_chains(void **state)
{
	static const struct {
		const char *name, *type;
		int hook, prio;
	} want[] = {
		{ "prerouting", "filter", NF_INET_PRE_ROUTING, -300 },
		{ "forward", "filter", NF_INET_FORWARD, 0 },
		{ "mss", NULL, 0, 0 },
		{ "postrouting", "nat", NF_INET_POST_ROUTING, 100 },
	};
	struct nft_spec s = brief_spec();
	struct nl nl = { .seq = 1 };
	struct msgs b;
	size_t i;

	(void)state;
	build(&nl, &s, 0, &b);
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		struct nftnl_chain *c = nftnl_chain_alloc();

		assert_int_equal(nftnl_chain_nlmsg_parse(b.m[4 + i], c), 0);
		assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), "warren");
		assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), want[i].name);
		if (!want[i].type) {
			assert_false(nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM));
			assert_false(nftnl_chain_is_set(c, NFTNL_CHAIN_TYPE));
		} else {
			assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE), want[i].type);
			assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM), want[i].hook);
			assert_int_equal(nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO), want[i].prio);
			assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY), NF_ACCEPT);
		}
		nftnl_chain_free(c);
	}
	free(b.buf);
}

/* Every rule as nft itself compiles the equivalent text (checked with nft --debug=netlink):
 * the listing of the applied table, fed back to nft, gives these same expressions. */
static const struct {
	const char *chain, *nft, *exprs;
} brief_rules[] = {
	{ "prerouting", "ip daddr 10.9.0.10 iifname != \"wg-hq\" fib saddr type != local drop",
	  "  [ meta load nfproto => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x00000002 ]\n"
	  "  [ payload load 4b @ network header + 16 => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x0a00090a ]\n"
	  "  [ meta load iifname => reg 1 ]\n"
	  "  [ cmp neq reg 1 0x682d6777 0x00000071 0x00000000 0x00000000 ]\n"
	  "  [ fib saddr type => reg 1 ]\n"
	  "  [ cmp neq reg 1 0x00000002 ]\n"
	  "  [ immediate reg 0 drop ]\n" },
	{ "prerouting", "ip6 daddr fd09::10 iifname != \"wg-hq\" fib saddr type != local drop",
	  "  [ meta load nfproto => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x0000000a ]\n"
	  "  [ payload load 16b @ network header + 24 => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x000009fd 0x00000000 0x00000000 0x10000000 ]\n"
	  "  [ meta load iifname => reg 1 ]\n"
	  "  [ cmp neq reg 1 0x682d6777 0x00000071 0x00000000 0x00000000 ]\n"
	  "  [ fib saddr type => reg 1 ]\n"
	  "  [ cmp neq reg 1 0x00000002 ]\n"
	  "  [ immediate reg 0 drop ]\n" },
	{ "forward", "tcp flags syn / syn,rst jump mss",
	  "  [ meta load l4proto => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x00000006 ]\n"
	  "  [ payload load 1b @ transport header + 13 => reg 1 ]\n"
	  "  [ bitwise reg 1 = ( reg 1 & 0x00000006 ) ^ 0x00000000 ]\n"
	  "  [ cmp eq reg 1 0x00000002 ]\n"
	  "  [ immediate reg 0 jump -> mss ]\n" },
	/* wg-warp allows inbound: only wg-hq guards eth1 */
	{ "forward", "iifname \"wg-hq\" oifname \"eth1\" ct state ! established,related drop",
	  "  [ meta load iifname => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x682d6777 0x00000071 0x00000000 0x00000000 ]\n"
	  "  [ meta load oifname => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x31687465 0x00000000 0x00000000 0x00000000 ]\n"
	  "  [ ct load state => reg 1 ]\n"
	  "  [ bitwise reg 1 = ( reg 1 & 0x00000006 ) ^ 0x00000000 ]\n"
	  "  [ cmp eq reg 1 0x00000000 ]\n"
	  "  [ immediate reg 0 drop ]\n" },
	{ "mss", "oifname \"wg-hq\" tcp option maxseg size set rt mtu",
	  "  [ meta load oifname => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x682d6777 0x00000071 0x00000000 0x00000000 ]\n"
	  "  [ rt load tcpmss => reg 1 ]\n"
	  "  [ byteorder reg 1 = hton(reg 1, 2, 2) ]\n"
	  "  [ exthdr write tcpopt reg 1 => 2b @ 2 + 2 ]\n" },
	{ "mss", "iifname \"wg-hq\" tcp option maxseg size set rt mtu",
	  "  [ meta load iifname => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x682d6777 0x00000071 0x00000000 0x00000000 ]\n"
	  "  [ rt load tcpmss => reg 1 ]\n"
	  "  [ byteorder reg 1 = hton(reg 1, 2, 2) ]\n"
	  "  [ exthdr write tcpopt reg 1 => 2b @ 2 + 2 ]\n" },
	{ "mss", "oifname \"wg-warp\" meta nfproto ipv4 tcp option maxseg size set rt mtu",
	  "  [ meta load oifname => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x772d6777 0x00707261 0x00000000 0x00000000 ]\n"
	  "  [ meta load nfproto => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x00000002 ]\n"
	  "  [ rt load tcpmss => reg 1 ]\n"
	  "  [ byteorder reg 1 = hton(reg 1, 2, 2) ]\n"
	  "  [ exthdr write tcpopt reg 1 => 2b @ 2 + 2 ]\n" },
	{ "mss", "iifname \"wg-warp\" meta nfproto ipv4 tcp option maxseg size set rt mtu",
	  "  [ meta load iifname => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x772d6777 0x00707261 0x00000000 0x00000000 ]\n"
	  "  [ meta load nfproto => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x00000002 ]\n"
	  "  [ rt load tcpmss => reg 1 ]\n"
	  "  [ byteorder reg 1 = hton(reg 1, 2, 2) ]\n"
	  "  [ exthdr write tcpopt reg 1 => 2b @ 2 + 2 ]\n" },
	{ "postrouting", "oifname \"wg-hq\" ip saddr 192.168.10.0/24 masquerade",
	  "  [ meta load oifname => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x682d6777 0x00000071 0x00000000 0x00000000 ]\n"
	  "  [ meta load nfproto => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x00000002 ]\n"
	  "  [ payload load 3b @ network header + 12 => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x000aa8c0 ]\n"
	  "  [ masq ]\n" },
	{ "postrouting", "oifname \"wg-hq\" ip6 saddr fd10::/64 masquerade",
	  "  [ meta load oifname => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x682d6777 0x00000071 0x00000000 0x00000000 ]\n"
	  "  [ meta load nfproto => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x0000000a ]\n"
	  "  [ payload load 8b @ network header + 8 => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x000010fd 0x00000000 ]\n"
	  "  [ masq ]\n" },
	/* IPv4 only: no rule for fd10::/64 */
	{ "postrouting", "oifname \"wg-warp\" ip saddr 192.168.10.0/24 snat ip to 172.16.0.2",
	  "  [ meta load oifname => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x772d6777 0x00707261 0x00000000 0x00000000 ]\n"
	  "  [ meta load nfproto => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x00000002 ]\n"
	  "  [ payload load 3b @ network header + 12 => reg 1 ]\n"
	  "  [ cmp eq reg 1 0x000aa8c0 ]\n"
	  "  [ immediate reg 1 0x020010ac ]\n"
	  "  [ nat snat ip addr_min reg 1 addr_max reg 1 flags 0x1 ]\n" },
};

static void test_rules(void **state)
{
	struct nft_spec s = brief_spec();
	struct nl nl = { .seq = 1 };
	char chain[32], *text;
	struct msgs b;
	size_t i;

	(void)state;
	build(&nl, &s, 0, &b);
	assert_int_equal(b.n - 9, ARRAY_SIZE(brief_rules));
	for (i = 0; i < ARRAY_SIZE(brief_rules); i++) {
		text = rule_exprs(b.m[8 + i], chain, sizeof(chain));
		if (strcmp(text, brief_rules[i].exprs) != 0 ||
		    strcmp(chain, brief_rules[i].chain) != 0)
			fail_msg("rule %zu (%s) in chain %s:\n%s", i + 1, brief_rules[i].nft, chain,
				 text);
		free(text);
	}
	free(b.buf);
}

/* The same spec gives the same bytes: padding is zeroed, nothing depends on the heap. */
static void test_deterministic(void **state)
{
	struct nft_spec s = brief_spec();
	struct nl a = { .seq = 5 }, c = { .seq = 5 };
	struct msgs x, y;

	(void)state;
	build(&a, &s, 42, &x);
	build(&c, &s, 42, &y);
	assert_int_equal(x.len, y.len);
	assert_memory_equal(x.buf, y.buf, x.len);
	free(x.buf);
	free(y.buf);
}

static void test_empty_removes(void **state)
{
	static const struct nft_spec empty;
	struct nft_spec lan_only = brief_spec();
	struct nl nl = { .seq = 10 };
	struct msgs b;

	(void)state;
	build(&nl, &empty, 0, &b);
	assert_int_equal(b.n, 4);
	assert_int_equal(b.m[0]->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	assert_int_equal(b.m[1]->nlmsg_type, NFT(NFT_MSG_NEWTABLE));
	assert_int_equal(b.m[1]->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE);
	assert_int_equal(b.m[2]->nlmsg_type, NFT(NFT_MSG_DELTABLE));
	assert_int_equal(b.m[3]->nlmsg_type, NFNL_MSG_BATCH_END);
	free(b.buf);

	/* LAN settings without tunnels ask for nothing either */
	lan_only.n_tunnels = 0;
	build(&nl, &lan_only, 0, &b);
	assert_int_equal(b.n, 4);
	assert_int_equal(b.m[2]->nlmsg_type, NFT(NFT_MSG_DELTABLE));
	free(b.buf);
}

/* Chains exist only when they hold rules; an empty base chain would still cost a hook. */
static void test_only_needed_chains(void **state)
{
	struct nft_tunnel t = { .ifname = "wg0", .families = FAMILY_BOTH, .allow_inbound = true };
	struct nft_spec s = brief_spec();
	struct nl nl = { .seq = 1 };
	char chain[32], *text;
	struct msgs b;
	size_t i;

	(void)state;
	s.tunnels = &t;
	s.n_tunnels = 1;
	build(&nl, &s, 0, &b);
	/* begin, table x3, forward, mss, jump, 2 clamps, end */
	assert_int_equal(b.n, 10);
	for (i = 4; i < 6; i++) {
		struct nftnl_chain *c = nftnl_chain_alloc();

		assert_int_equal(nftnl_chain_nlmsg_parse(b.m[i], c), 0);
		assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME),
				    i == 4 ? "forward" : "mss");
		nftnl_chain_free(c);
	}
	text = rule_exprs(b.m[6], chain, sizeof(chain));
	assert_string_equal(chain, "forward");
	assert_non_null(strstr(text, "jump -> mss"));
	free(text);
	free(b.buf);
}

/* Prefixes that end mid-byte load the whole address and mask it, as nft does; /0 leaves
 * only the family match. */
static void test_prefixes(void **state)
{
	struct cidr subnets[3];
	struct nft_tunnel t = { .ifname = "wg0", .families = FAMILY_BOTH, .snat = true,
				.allow_inbound = true };
	struct nft_spec s;
	struct nl nl = { .seq = 1 };
	char chain[32], *text;
	struct msgs b;

	(void)state;
	subnets[0] = C("10.20.16.0/20");
	subnets[1] = C("fd11::/61");
	subnets[2] = C("0.0.0.0/0");
	memset(&s, 0, sizeof(s));
	s.lan_subnets.v = subnets;
	s.lan_subnets.n = 3;
	s.tunnels = &t;
	s.n_tunnels = 1;
	build(&nl, &s, 0, &b);
	assert_int_equal(b.n, 14);   /* begin, 3 table, 3 chains, jump, 2 clamps, 3 SNAT, end */
	text = rule_exprs(b.m[10], chain, sizeof(chain));
	assert_string_equal(chain, "postrouting");
	assert_string_equal(text,
		"  [ meta load oifname => reg 1 ]\n"
		"  [ cmp eq reg 1 0x00306777 0x00000000 0x00000000 0x00000000 ]\n"
		"  [ meta load nfproto => reg 1 ]\n"
		"  [ cmp eq reg 1 0x00000002 ]\n"
		"  [ payload load 4b @ network header + 12 => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0x00f0ffff ) ^ 0x00000000 ]\n"
		"  [ cmp eq reg 1 0x0010140a ]\n"
		"  [ masq ]\n");
	free(text);
	text = rule_exprs(b.m[11], chain, sizeof(chain));
	assert_string_equal(text,
		"  [ meta load oifname => reg 1 ]\n"
		"  [ cmp eq reg 1 0x00306777 0x00000000 0x00000000 0x00000000 ]\n"
		"  [ meta load nfproto => reg 1 ]\n"
		"  [ cmp eq reg 1 0x0000000a ]\n"
		"  [ payload load 16b @ network header + 8 => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0xffffffff 0xf8ffffff 0x00000000 0x00000000 ) "
		"^ 0x00000000 0x00000000 0x00000000 0x00000000 ]\n"
		"  [ cmp eq reg 1 0x000011fd 0x00000000 0x00000000 0x00000000 ]\n"
		"  [ masq ]\n");
	free(text);
	text = rule_exprs(b.m[12], chain, sizeof(chain));
	assert_string_equal(text,
		"  [ meta load oifname => reg 1 ]\n"
		"  [ cmp eq reg 1 0x00306777 0x00000000 0x00000000 0x00000000 ]\n"
		"  [ meta load nfproto => reg 1 ]\n"
		"  [ cmp eq reg 1 0x00000002 ]\n"
		"  [ masq ]\n");
	free(text);
	free(b.buf);
}

/* A v6-only tunnel: no IPv4 SNAT, its clamps match IPv6 only, and its inbound guard stays
 * family-blind (a family it does not carry must not open the LAN). */
static void test_families(void **state)
{
	struct nft_tunnel t = { .ifname = "wg6", .families = FAMILY_IPV6, .snat = true,
				.snat_to6 = { 0 } };
	struct nft_spec s = brief_spec();
	struct nl nl = { .seq = 1 };
	char chain[32], *text;
	struct msgs b;
	size_t i, snat = 0, guards = 0;

	(void)state;
	s.tunnels = &t;
	s.n_tunnels = 1;
	build(&nl, &s, 0, &b);
	for (i = 0; i < b.n; i++) {
		if (b.m[i]->nlmsg_type != NFT(NFT_MSG_NEWRULE))
			continue;
		text = rule_exprs(b.m[i], chain, sizeof(chain));
		if (strcmp(chain, "postrouting") == 0) {
			snat++;
			assert_non_null(strstr(text, "cmp eq reg 1 0x0000000a"));
		} else if (strcmp(chain, "mss") == 0) {
			assert_non_null(strstr(text, "meta load nfproto"));
		} else if (strcmp(chain, "forward") == 0 && strstr(text, "ct load state")) {
			guards++;
			assert_null(strstr(text, "nfproto"));
		}
		free(text);
	}
	assert_int_equal(snat, 1);
	assert_int_equal(guards, 1);
	free(b.buf);
}

static void expect_invalid(struct nft_spec *s, int err, const char *why_part)
{
	struct nl nl = { .seq = 77 };
	char why[256];
	void *buf = (void *)1;
	size_t len = 0;

	assert_int_equal(nft_spec_check(s, why, sizeof(why)), err);
	if (!strstr(why, why_part))
		fail_msg("reason \"%s\" lacks \"%s\"", why, why_part);
	assert_int_equal(nft_spec_check(s, NULL, 0), err);
	assert_int_equal(nft_batch_build(&nl, s, 0, &buf, &len), err);
	assert_string_equal(nl.err, why);
	assert_int_equal(nl.seq, 77);    /* a refused spec uses no sequence numbers */
	assert_ptr_equal(buf, (void *)1);
}

static void test_validation(void **state)
{
	struct nft_spec s;
	char *two_lans[] = { "eth1", "eth1" }, *long_lan[] = { "a-very-long-name" };
	struct cidr bad;

	(void)state;
	s = brief_spec();
	assert_int_equal(nft_spec_check(&s, NULL, 0), 0);
	tunnels[0].ifname = "wg-123456789abc";           /* 15 bytes: the most a name has */
	assert_int_equal(nft_spec_check(&s, NULL, 0), 0);

	tunnels[0].ifname = "wg-123456789abcd";          /* 16 */
	expect_invalid(&s, -ENAMETOOLONG, "longer than 15");
	tunnels[0].ifname = "";
	expect_invalid(&s, -EINVAL, "tunnel 1");
	tunnels[0].ifname = NULL;
	expect_invalid(&s, -EINVAL, "tunnel 1");
	tunnels[0].ifname = "wg/0";
	expect_invalid(&s, -EINVAL, "invalid link name");
	tunnels[0].ifname = "wg 0";
	expect_invalid(&s, -EINVAL, "invalid link name");
	tunnels[0].ifname = "wg-warp";
	expect_invalid(&s, -EINVAL, "named twice");
	tunnels[0].ifname = "eth1";
	expect_invalid(&s, -EINVAL, "also a LAN interface");

	s = brief_spec();
	tunnels[1].families = 0;
	expect_invalid(&s, -EINVAL, "families");
	tunnels[1].families = 4;
	expect_invalid(&s, -EINVAL, "families");

	s = brief_spec();
	tunnels[1].snat_to4 = C("fd00::1");
	expect_invalid(&s, -EINVAL, "wrong family");
	s = brief_spec();
	tunnels[0].snat_to6 = C("10.0.0.1");
	expect_invalid(&s, -EINVAL, "wrong family");

	s = brief_spec();
	memset(&bad, 0, sizeof(bad));
	hq_addrs[1] = bad;
	expect_invalid(&s, -EINVAL, "address 2");
	s = brief_spec();
	tunnels[0].addrs.v = NULL;
	expect_invalid(&s, -EINVAL, "addresses missing");

	/* an address has one owner: its anti-spoof rule cuts off every other link */
	s = brief_spec();
	hq_addrs[1] = C("10.9.0.10/24");
	expect_invalid(&s, -EINVAL, "tunnel wg-hq: address 10.9.0.10 also on this tunnel");
	s = brief_spec();
	tunnels[1].addrs.v = &hq_addrs[1];
	tunnels[1].addrs.n = 1;
	expect_invalid(&s, -EINVAL, "tunnel wg-warp: address fd09::10 also on wg-hq");

	s = brief_spec();
	lan_subnets[0] = C("192.168.10.1/24");
	expect_invalid(&s, -EINVAL, "host bits");
	s = brief_spec();
	lan_subnets[1].prefix = 129;
	expect_invalid(&s, -EINVAL, "LAN subnet 2");

	s = brief_spec();
	s.lan_ifs.v = two_lans;
	s.lan_ifs.n = 2;
	expect_invalid(&s, -EINVAL, "named twice");
	s.lan_ifs.v = long_lan;
	s.lan_ifs.n = 1;
	expect_invalid(&s, -ENAMETOOLONG, "LAN interface 1");

	s = brief_spec();
	s.tunnels = NULL;
	expect_invalid(&s, -EINVAL, "without its items");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_genid),
		cmocka_unit_test(test_chains),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_empty_removes),
		cmocka_unit_test(test_only_needed_chains),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_validation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
