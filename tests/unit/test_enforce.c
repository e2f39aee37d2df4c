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

#include "netcfg/nl.h"
#include "server/enforce.h"

struct seen {
	size_t msgs[NFT_MSG_MAX + 1];
	size_t elems[64];              /* per set name index below */
	char sets[64][32];
	size_t nsets;
	size_t total_elems;
};

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

	memset(s, 0, sizeof(*s));
	for (m = buf; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
		const struct nlattr *a, *el;
		size_t idx = 0, n = 0;
		int type = m->nlmsg_type & 0xff;

		if ((m->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES)
			continue;
		s->msgs[type]++;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_converge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dev_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_change, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
