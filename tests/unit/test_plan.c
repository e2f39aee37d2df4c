/* A tunnel's plan: the routes its peers' allowed IPs make, once each and in file order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "agent/plan.h"
#include "common/util.h"
#include "profiles/model.h"

static struct cidr C(const char *s)
{
	struct cidr c;

	assert_int_equal(cidr_parse(&c, s), 0);
	return c;
}

static struct peer *add_peer(struct tunnel *t, unsigned int n)
{
	struct peer *p = array_push(&t->peers, &t->n_peers, sizeof(*p));

	memcpy(p->public_key, &n, sizeof(n));
	p->public_key[31] = 0x40;
	return p;
}

static void ip(struct peer *p, const char *s)
{
	struct cidr c = C(s);

	cidrv_push(&p->allowed_ips, &c);
}

static const char *fmt(const struct route *r)
{
	static char buf[CIDR_STRLEN];

	return cidr_fmt(&r->dst, buf);
}

/* One-shot, as for a wg-quick file: 10,000 peers of one /32 each, then peers repeating
 * some of them, a host route written with host bits, the interface's own prefix and two
 * default routes. */
static void test_routes_once_in_order(void **state)
{
	enum { N = 10000 };
	struct plan_opts o = { .backend = BACKEND_USERSPACE, .slot = 3 };
	struct config *c = config_new();
	struct tunnel *t = array_push(&c->tunnels, &c->n_tunnels, sizeof(*t));
	struct diag d = { 0 };
	struct plan p;
	struct peer *pe;
	char buf[CIDR_STRLEN];
	size_t i;

	(void)state;
	tunnel_init(t);
	snprintf(t->name, sizeof(t->name), "wk1");
	snprintf(t->ifname, sizeof(t->ifname), "wk1");
	t->mtu = 1420;                           /* no path MTU lookup: no kernel here */
	cidrv_push(&t->addresses, &(struct cidr){ AF_INET, { 10, 63, 0, 1 }, 24 });
	for (i = 0; i < N; i++) {
		pe = add_peer(t, (unsigned int)i);
		snprintf(buf, sizeof(buf), "10.64.%zu.%zu/32", i / 256, i % 256);
		ip(pe, buf);
	}
	pe = add_peer(t, N);
	ip(pe, "10.64.0.5/32");                  /* peer 6's */
	ip(pe, "10.65.0.0/16");
	ip(pe, "10.64.39.15/32");                /* the last peer's */
	ip(pe, "10.63.0.0/24");                  /* the address's prefix: the kernel's route */
	ip(pe, "0.0.0.0/0");
	pe = add_peer(t, N + 1);
	ip(pe, "10.65.7.7/16");                  /* 10.65.0.0/16 again, host bits set */
	ip(pe, "0.0.0.0/0");

	assert_int_equal(plan_tunnel(&p, c, t, &o, NULL, &d), 0);
	assert_int_equal(p.n_routes, N + 2);
	for (i = 0; i < N; i++) {
		snprintf(buf, sizeof(buf), "10.64.%zu.%zu/32", i / 256, i % 256);
		assert_string_equal(fmt(&p.routes[i]), buf);
		assert_int_equal(p.routes[i].table, 254);
	}
	assert_string_equal(fmt(&p.routes[N]), "10.65.0.0/16");
	assert_int_equal(p.routes[N].table, 254);
	assert_string_equal(fmt(&p.routes[N + 1]), "0.0.0.0/0");
	assert_int_equal(p.routes[N + 1].table, 6200 + 3);
	assert_int_equal(p.n_rules, 2);
	/* the device keeps every allowed IP, as WireGuard itself is told them */
	assert_int_equal(p.dev->n_peers, N + 2);
	assert_int_equal(p.dev->peers[N].n_allowed_ips, 5);
	plan_clear(&p);
	diag_clear(&d);
	config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes_once_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
