/* The batches of the server's enforcing table, built without the kernel. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libnftnl/chain.h>
#include <libnftnl/rule.h>

#include "netcfg/nftexpr.h"
#include "netcfg/nl.h"
#include "profiles/cidr.h"
#include "server/dns/doh.h"
#include "server/enforce.h"

struct seen {
	size_t msgs[NFT_MSG_MAX + 1];
	size_t elems[64];              /* per set name index below */
	char sets[64][32];
	size_t nsets;
	size_t total_elems;
	/* every chain made and rule added, "chain: expressions" */
	char chains[32][32];
	size_t nchains;
	char *rules[256];
	size_t nrules;
};

static void seen_clear(struct seen *s)
{
	size_t i;

	for (i = 0; i < s->nrules; i++)
		free(s->rules[i]);
	memset(s, 0, sizeof(*s));
}

static void seen_rule(struct seen *s, const struct nlmsghdr *m)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	char text[NFTX_TEXT_MAX];
	size_t n;

	assert_non_null(r);
	assert_int_equal(nftnl_rule_nlmsg_parse(m, r), 0);
	assert_true(nftx_rule_text(r, text, sizeof(text)));
	n = strlen(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN)) + strlen(text) + 3;
	assert_true(s->nrules < 256);
	s->rules[s->nrules] = malloc(n);
	snprintf(s->rules[s->nrules++], n, "%s: %s", nftnl_rule_get_str(r, NFTNL_RULE_CHAIN),
		 text);
	nftnl_rule_free(r);
}

static void seen_chain(struct seen *s, const struct nlmsghdr *m)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	assert_non_null(c);
	assert_int_equal(nftnl_chain_nlmsg_parse(m, c), 0);
	assert_true(s->nchains < 32);
	snprintf(s->chains[s->nchains++], 32, "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	nftnl_chain_free(c);
}

static size_t set_idx(struct seen *s, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < s->nsets; i++)
		if (strlen(s->sets[i]) == len && memcmp(s->sets[i], name, len) == 0)
			return i;
	memcpy(s->sets[s->nsets], name, len);
	s->sets[s->nsets][len] = '\0';
	return s->nsets++;
}

static void seen_cb(const void *buf, size_t len, void *arg)
{
	struct seen *s = arg;
	const struct nlmsghdr *m;
	int left = (int)len;

	seen_clear(s);
	for (m = buf; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
		const struct nlattr *a, *el;
		size_t idx = 0, n = 0;
		int type = m->nlmsg_type & 0xff;

		if ((m->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES)
			continue;
		s->msgs[type]++;
		if (type == NFT_MSG_NEWRULE)
			seen_rule(s, m);
		if (type == NFT_MSG_NEWCHAIN)
			seen_chain(s, m);
		if (type != NFT_MSG_NEWSETELEM && type != NFT_MSG_DELSETELEM)
			continue;
		mnl_attr_for_each(a, m, sizeof(struct nfgenmsg)) {
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET)
				idx = set_idx(s, mnl_attr_get_payload(a),
					      strnlen(mnl_attr_get_payload(a),
						      mnl_attr_get_payload_len(a)));
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
				mnl_attr_for_each_nested(el, a)
					n++;
		}
		s->elems[idx] += n;
		s->total_elems += n;
	}
}

static size_t elems_of(struct seen *s, const char *set)
{
	return s->elems[set_idx(s, set, strlen(set))];
}

static struct cidr C(const char *str)
{
	struct cidr c;

	assert_int_equal(cidr_parse(&c, str), 0);
	return c;
}

struct fx {
	struct nl nl;
	struct enforce *e;
	struct enforce_conf conf;
	struct policy p[2];
	struct policy_dest dests[4];
	struct enforce_group g[2];
	struct enforce_dev d[3];
	struct seen seen;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct cidr c;

	f->e = enforce_new(&f->nl);      /* no socket: batches are built, not sent */
	enforce_observe(f->e, seen_cb, &f->seen);
	f->conf = (struct enforce_conf){ .ifname = "wg0", .egress = "eth0", .snat = true,
					 .policy = true, .portal_port = 8443 };
	c = C("10.9.0.0/24");
	cidrv_push(&f->conf.pool, &c);
	f->dests[0] = (struct policy_dest){ .net = C("10.0.0.0/8") };
	f->dests[1] = (struct policy_dest){ .net = C("10.1.0.0/16") };       /* merged */
	f->dests[2] = (struct policy_dest){ .net = C("192.168.1.0/24"), .port_lo = 80,
					    .port_hi = 90 };                   /* tcp + udp */
	f->dests[3] = (struct policy_dest){ .net = C("192.168.1.5/32"), .proto = IPPROTO_TCP,
					    .port_lo = 85, .port_hi = 100 };   /* 91-100 left */
	f->p[0].dests = f->dests;
	f->p[0].n_dests = 4;
	f->p[1].isolate = true;
	f->g[0] = (struct enforce_group){ .id = 1, .p = &f->p[0], .open = true };
	f->g[1] = (struct enforce_group){ .id = 2, .p = &f->p[1], .open = true };
	f->d[0] = (struct enforce_dev){ .addr = C("10.9.0.2"), .group = 1, .ep_ok = true,
					.class_up = 2, .class_dn = 3 };
	f->d[1] = (struct enforce_dev){ .addr = C("10.9.0.3"), .group = 2 };
	f->d[2] = (struct enforce_dev){ .addr = C("fd00::3"), .group = 2, .logged_in = true };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	enforce_free(f->e);
	cidrv_clear(&f->conf.pool);
	cidrv_clear(&f->conf.server_addrs);
	cidrv_clear(&f->conf.doh);
	seen_clear(&f->seen);
	free(f);
	return 0;
}

static void test_converge(void **state)
{
	struct fx *f = *state;

	assert_int_equal(enforce_converge(f->e, &f->conf, f->g, 2, f->d, 3), 0);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWTABLE], 2);
	assert_int_equal(f->seen.msgs[NFT_MSG_DELTABLE], 1);
	/* input forward postrouting in_tun dispatch blocked g_1 g_2 */
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWCHAIN], 8);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWSET], 12 + 2 * 4);
	assert_int_equal(elems_of(&f->seen, "dev4"), 2);
	assert_int_equal(elems_of(&f->seen, "dev6"), 1);
	assert_int_equal(elems_of(&f->seen, "epok4"), 1);
	assert_int_equal(elems_of(&f->seen, "login6"), 1);
	assert_int_equal(elems_of(&f->seen, "up4"), 1);
	assert_int_equal(elems_of(&f->seen, "dn4"), 1);
	/* 10.0.0.0/8 with 10.1.0.0/16 inside: one start, one end */
	assert_int_equal(elems_of(&f->seen, "g_1_net4"), 2);
	/* 192.168.1.0/24 80-90 tcp and udp; 192.168.1.5 tcp 91-100 */
	assert_int_equal(elems_of(&f->seen, "g_1_port4"), 3);
	assert_int_equal(elems_of(&f->seen, "g_2_net4"), 0);
}

static void test_policy_off(void **state)
{
	struct fx *f = *state;

	f->conf.policy = false;
	assert_int_equal(enforce_converge(f->e, &f->conf, f->g, 2, f->d, 3), 0);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWSET], 0);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWCHAIN], 2);   /* forward, postrouting */
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWRULE], 2);    /* guard, masquerade */
	/* nothing to do at all: the table goes */
	f->conf.egress = NULL;
	assert_int_equal(enforce_converge(f->e, &f->conf, f->g, 2, f->d, 3), 0);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWTABLE], 1);
	assert_int_equal(f->seen.msgs[NFT_MSG_DELTABLE], 1);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWCHAIN], 0);
}

static void test_dev_change(void **state)
{
	struct fx *f = *state;
	struct enforce_dev d;

	assert_int_equal(enforce_converge(f->e, &f->conf, f->g, 2, f->d, 3), 0);
	/* a new device: its dev element only */
	d = (struct enforce_dev){ .addr = C("10.9.0.77"), .group = 1 };
	assert_int_equal(enforce_dev_set(f->e, &d), 0);
	assert_int_equal(f->seen.total_elems, 1);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWSETELEM], 1);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWRULE] + f->seen.msgs[NFT_MSG_NEWSET], 0);
	/* moved to another group: delete + add of that element */
	d.group = 2;
	assert_int_equal(enforce_dev_set(f->e, &d), 0);
	assert_int_equal(f->seen.msgs[NFT_MSG_DELSETELEM], 1);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWSETELEM], 1);
	assert_int_equal(f->seen.total_elems, 2);
	/* unchanged: an empty batch */
	assert_int_equal(enforce_dev_set(f->e, &d), 0);
	assert_int_equal(f->seen.total_elems, 0);
	/* unknown group */
	d.group = 9;
	assert_int_equal(enforce_dev_set(f->e, &d), -ENOENT);
	/* removal of one with classes: dev, epok, up, dn */
	assert_int_equal(enforce_dev_del(f->e, &f->d[0].addr), 0);
	assert_int_equal(f->seen.msgs[NFT_MSG_DELSETELEM], 4);
	/* signing out: made sure of, then deleted (it may have timed out) */
	d = f->d[2];
	d.logged_in = false;
	assert_int_equal(enforce_dev_set(f->e, &d), 0);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWSETELEM], 1);
	assert_int_equal(f->seen.msgs[NFT_MSG_DELSETELEM], 1);
}

static void test_group_change(void **state)
{
	struct fx *f = *state;
	size_t i;

	assert_int_equal(enforce_converge(f->e, &f->conf, f->g, 2, f->d, 3), 0);
	f->g[0].open = false;
	assert_int_equal(enforce_group_set(f->e, &f->g[0]), 0);
	/* flush of g_1, its four sets flushed and refilled, its rules; nothing else */
	assert_int_equal(f->seen.msgs[NFT_MSG_DELRULE], 1);
	assert_int_equal(f->seen.msgs[NFT_MSG_DELSETELEM], 4);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWCHAIN] + f->seen.msgs[NFT_MSG_NEWTABLE], 0);
	for (i = 0; i < f->seen.nsets; i++)
		assert_int_equal(strncmp(f->seen.sets[i], "g_1_", 4), 0);
	assert_int_equal(enforce_group_del(f->e, 2), -EBUSY);
	assert_int_equal(enforce_dev_del(f->e, &f->d[1].addr), 0);
	assert_int_equal(enforce_dev_del(f->e, &f->d[2].addr), 0);
	assert_int_equal(enforce_group_del(f->e, 2), 0);
	assert_int_equal(f->seen.msgs[NFT_MSG_DELCHAIN], 1);
	assert_int_equal(f->seen.msgs[NFT_MSG_DELSET], 4);
	/* a new group: chain and sets made */
	f->g[1].id = 3;
	assert_int_equal(enforce_group_set(f->e, &f->g[1]), 0);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWCHAIN], 1);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWSET], 4);
}

static size_t rules_in(const struct seen *s, const char *chain)
{
	size_t i, n = 0, len = strlen(chain);

	for (i = 0; i < s->nrules; i++)
		if (strncmp(s->rules[i], chain, len) == 0 && s->rules[i][len] == ':')
			n++;
	return n;
}

/* Rules of the chain whose expressions hold every needle (NULL-ended). */
static size_t rules_with(const struct seen *s, const char *chain, ...)
{
	size_t i, n = 0, len = strlen(chain);

	for (i = 0; i < s->nrules; i++) {
		const char *needle;
		bool all = true;
		va_list ap;

		if (strncmp(s->rules[i], chain, len) != 0 || s->rules[i][len] != ':')
			continue;
		va_start(ap, chain);
		while ((needle = va_arg(ap, const char *)))
			all = all && strstr(s->rules[i], needle);
		va_end(ap);
		n += all;
	}
	return n;
}

static bool chain_made(const struct seen *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nchains; i++)
		if (strcmp(s->chains[i], name) == 0)
			return true;
	return false;
}

static void dump_rules(const struct seen *s)
{
	size_t i;

	if (!getenv("ENFORCE_RULES"))
		return;
	for (i = 0; i < s->nrules; i++)
		printf("%s\n", s->rules[i]);
}

/* The resolver's pieces: 10.9.0.1 and fd09::1 on 5353, everything on. */
static void dns_on(struct fx *f)
{
	struct cidr c;

	c = C("10.9.0.1/24");
	cidrv_push(&f->conf.server_addrs, &c);
	c = C("fd09::1/64");
	cidrv_push(&f->conf.server_addrs, &c);
	c = C("1.1.1.1/32");
	cidrv_push(&f->conf.doh, &c);
	c = C("1.0.0.1/32");
	cidrv_push(&f->conf.doh, &c);
	c = C("1.1.1.0/24");          /* holds 1.1.1.1: merged */
	cidrv_push(&f->conf.doh, &c);
	c = C("2606:4700:4700::1111/128");
	cidrv_push(&f->conf.doh, &c);
	f->conf.dns_port = 5353;
	f->conf.dns_redirect = true;
	f->conf.refuse_dot = true;
}

/* 10.9.0.1 port 5353 as immediates, the DNAT of it */
#define IMM_10_9_0_1 "reg 1 0x0100090a"
#define IMM_5353 "reg 2 0x0000e914"
#define NAT4 "nat dnat ip addr_min reg 1 addr_max reg 1 proto_min reg 2 proto_max reg 2 " \
	"flags 0x3"

static void test_dns_off(void **state)
{
	struct fx *f = *state;
	size_t i;

	assert_int_equal(enforce_converge(f->e, &f->conf, f->g, 2, f->d, 3), 0);
	assert_false(chain_made(&f->seen, "dns_dnat"));
	assert_false(chain_made(&f->seen, "dns_refuse"));
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWOBJ], 0);
	for (i = 0; i < f->seen.nsets; i++)
		assert_null(strstr(f->seen.sets[i], "doh"));
	for (i = 0; i < f->seen.nrules; i++) {
		assert_null(strstr(f->seen.rules[i], "dns_refuse"));
		assert_null(strstr(f->seen.rules[i], "reject"));
		assert_null(strstr(f->seen.rules[i], "nat dnat"));
	}
	/* DNS on 53 to the server */
	assert_int_equal(rules_with(&f->seen, "in_tun", "0x00003500", "accept", NULL), 2);
	/* a port alone, no redirect, no server address: nothing to do */
	f->conf.dns_port = 5353;
	assert_int_equal(enforce_converge(f->e, &f->conf, f->g, 2, f->d, 3), 0);
	assert_false(chain_made(&f->seen, "dns_dnat"));
	/* the resolver on 53 and no redirect: nothing to move either */
	dns_on(f);
	f->conf.dns_port = 53;
	f->conf.dns_redirect = f->conf.refuse_dot = false;
	cidrv_clear(&f->conf.doh);
	assert_int_equal(enforce_converge(f->e, &f->conf, f->g, 2, f->d, 3), 0);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWCHAIN], 8);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWSET], 12 + 2 * 4);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWOBJ], 0);
}

static void test_dns_on(void **state)
{
	struct fx *f = *state;
	size_t i;

	dns_on(f);
	assert_int_equal(enforce_converge(f->e, &f->conf, f->g, 2, f->d, 3), 0);
	dump_rules(&f->seen);
	/* the 8 of test_converge, dns_dnat, dns_refuse; one transaction */
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWCHAIN], 10);
	assert_true(chain_made(&f->seen, "dns_dnat"));
	assert_true(chain_made(&f->seen, "dns_refuse"));
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWSET], 12 + 2 * 4 + 2);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWOBJ], 1);
	/* 1.0.0.1, 1.1.1.0/24: two intervals; 2606:4700:4700::1111: one */
	assert_int_equal(elems_of(&f->seen, "doh4"), 4);
	assert_int_equal(elems_of(&f->seen, "doh6"), 2);
	/* udp and tcp 53 of each family to the family's server address */
	assert_int_equal(rules_in(&f->seen, "dns_dnat"), 4);
	assert_int_equal(rules_with(&f->seen, "dns_dnat", "0x00003500", IMM_10_9_0_1, IMM_5353,
				    NAT4, NULL), 2);
	assert_int_equal(rules_with(&f->seen, "dns_dnat", "0x00003500", "reg 2 0x0000e914",
				    "nat dnat ip6", NULL), 2);
	/* no daddr: every address */
	assert_int_equal(rules_with(&f->seen, "dns_dnat", "payload load 4b @ network header "
				    "+ 16 ", NULL), 0);
	/* the resolver's port accepted on the server */
	assert_int_equal(rules_with(&f->seen, "in_tun", "0x0000e914", "accept", NULL), 2);
	assert_int_equal(rules_with(&f->seen, "in_tun", "0x00003500", NULL), 0);
	/* 853 tcp/udp, 443 tcp/udp per family, each counted and refused */
	assert_int_equal(rules_in(&f->seen, "dns_refuse"), 6);
	assert_int_equal(rules_with(&f->seen, "dns_refuse", "objref type 1 name dns_refused",
				    "reject", NULL), 6);
	assert_int_equal(rules_with(&f->seen, "dns_refuse", "0x00005503", "type 1 code 0",
				    NULL), 1);
	assert_int_equal(rules_with(&f->seen, "dns_refuse", "0x00005503", "type 2 code 1",
				    NULL), 1);
	assert_int_equal(rules_with(&f->seen, "dns_refuse", "doh4", "0x0000bb01", NULL), 2);
	assert_int_equal(rules_with(&f->seen, "dns_refuse", "doh6", "0x0000bb01", NULL), 2);
	/* jumped to from the tunnel before the groups' dispatch */
	for (i = 0; i < f->seen.nrules; i++)
		if (strstr(f->seen.rules[i], "dns_refuse") &&
		    !strncmp(f->seen.rules[i], "forward", 7))
			break;
	assert_true(i < f->seen.nrules);
	assert_non_null(strstr(f->seen.rules[i], "jump"));
	assert_true(i + 1 < f->seen.nrules);
	assert_non_null(strstr(f->seen.rules[i + 1], "goto -> dispatch"));
}

static void test_dns_variants(void **state)
{
	struct fx *f = *state;

	dns_on(f);
	/* no redirect, another port: 53 to the server's own addresses only, each to itself */
	f->conf.dns_redirect = false;
	assert_int_equal(enforce_converge(f->e, &f->conf, f->g, 2, f->d, 3), 0);
	assert_int_equal(rules_in(&f->seen, "dns_dnat"), 4);
	assert_int_equal(rules_with(&f->seen, "dns_dnat", "payload load 4b @ network header "
				    "+ 16 ", "0x0100090a", IMM_10_9_0_1, NAT4, NULL), 2);
	/* an IPv4 server alone: IPv6 is not redirected */
	cidrv_clear(&f->conf.server_addrs);
	dns_on(f);
	f->conf.server_addrs.n = 1;
	assert_int_equal(enforce_converge(f->e, &f->conf, f->g, 2, f->d, 3), 0);
	assert_int_equal(rules_in(&f->seen, "dns_dnat"), 2);
	assert_int_equal(rules_with(&f->seen, "dns_dnat", "nat dnat ip6", NULL), 0);
	/* DoT alone: no sets, the counter still */
	cidrv_clear(&f->conf.doh);
	assert_int_equal(enforce_converge(f->e, &f->conf, f->g, 2, f->d, 3), 0);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWSET], 12 + 2 * 4);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWOBJ], 1);
	assert_int_equal(rules_in(&f->seen, "dns_refuse"), 2);
	/* no policy (SNAT only): the resolver's rules stay */
	f->conf.policy = false;
	f->conf.egress = NULL;
	assert_int_equal(enforce_converge(f->e, &f->conf, f->g, 2, f->d, 3), 0);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWCHAIN], 3);   /* forward dns_dnat dns_refuse */
	assert_int_equal(rules_in(&f->seen, "forward"), 1);
	assert_int_equal(rules_in(&f->seen, "dns_dnat"), 2);
	/* and off again: the table goes */
	f->conf.dns_port = 0;
	f->conf.refuse_dot = false;
	assert_int_equal(enforce_converge(f->e, &f->conf, f->g, 2, f->d, 3), 0);
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWCHAIN], 0);
	assert_int_equal(f->seen.msgs[NFT_MSG_DELTABLE], 1);
	/* a prefix of no family is refused */
	f->conf.doh.n = 0;
	cidrv_push(&f->conf.doh, &(struct cidr){ .family = 0 });
	assert_int_equal(enforce_converge(f->e, &f->conf, f->g, 2, f->d, 3), -EINVAL);
}

/* The same model gives the same batch: a repair rewrites what was there. */
static void test_dns_same(void **state)
{
	struct fx *f = *state;
	char *first[256];
	size_t n, i;

	dns_on(f);
	assert_int_equal(enforce_converge(f->e, &f->conf, f->g, 2, f->d, 3), 0);
	n = f->seen.nrules;
	for (i = 0; i < n; i++)
		first[i] = strdup(f->seen.rules[i]);
	assert_int_equal(enforce_converge(f->e, &f->conf, f->g, 2, f->d, 3), 0);
	assert_int_equal(f->seen.nrules, n);
	for (i = 0; i < n; i++) {
		assert_string_equal(f->seen.rules[i], first[i]);
		free(first[i]);
	}
	assert_int_equal(f->seen.msgs[NFT_MSG_NEWOBJ], 1);
}

static void test_doh_builtin(void **state)
{
	size_t i, v6 = 0;

	(void)state;
	assert_true(doh_builtin_n >= 40);
	for (i = 0; i < doh_builtin_n; i++) {
		struct cidr c, m;

		if (cidr_parse(&c, doh_builtin[i]) != 0)
			fail_msg("doh_builtin[%zu] \"%s\" does not parse", i, doh_builtin[i]);
		/* host bits clear: the text says what the set holds */
		m = c;
		cidr_mask(&m);
		assert_true(cidr_equal(&c, &m));
		/* nothing wider than a /24 (v4) or /32 (v6): a resolver's, not a provider's */
		assert_true(c.prefix >= (c.family == AF_INET ? 24 : 32));
		v6 += c.family == AF_INET6;
	}
	assert_true(v6 > 10 && v6 < doh_builtin_n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_converge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dev_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_variants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_same, setup, teardown),
		cmocka_unit_test(test_doh_builtin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
