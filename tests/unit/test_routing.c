/* The agent's routing plan: rules in warren's range, group tables and their fallbacks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "common/util.h"
#include "profiles/model.h"

static struct config *make_config(enum fallback fb)
{
	struct config *c = config_new();
	struct group *g;
	struct cidr d;
	size_t i;

	strv_push(&c->lan.interfaces, "eth1");
	for (i = 0; i < 2; i++) {
		struct tunnel *t = array_push(&c->tunnels, &c->n_tunnels, sizeof(*t));

		tunnel_init(t);
		snprintf(t->name, sizeof(t->name), i ? "warp" : "hq");
		snprintf(t->ifname, sizeof(t->ifname), i ? "wg-warp" : "wg-hq");
	}
	c->tunnels[1].families = FAMILY_IPV4;
	g = array_push(&c->groups, &c->n_groups, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "internet");
	cidr_parse(&d, "0.0.0.0/0");
	cidrv_push(&g->routes, &d);
	cidr_parse(&d, "::/0");
	cidrv_push(&g->routes, &d);
	strv_push(&g->members, "hq");
	strv_push(&g->members, "warp");
	strv_push(&g->sources, "lan");
	strv_push(&g->sources, "host");
	strv_push(&g->sources, "10.20.0.0/16");
	g->fallback = fb;
	return c;
}

static const struct rule *find_rule(const struct plan *p, int family, uint32_t prio, const char *iif)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++)
		if (p->rules[i].family == family && p->rules[i].priority == prio &&
		    strcmp(p->rules[i].iif, iif) == 0)
			return &p->rules[i];
	return NULL;
}

static const struct route *find_route(const struct plan *p, const char *dst)
{
	char buf[CIDR_STRLEN];
	size_t i;

	for (i = 0; i < p->n_routes; i++)
		if (strcmp(cidr_fmt(&p->routes[i].dst, buf), dst) == 0)
			return &p->routes[i];
	return NULL;
}

static void test_rules(void **state)
{
	struct config *c = make_config(FALLBACK_BLACKHOLE);
	struct agent_link links[2] = { { "wg-hq", 7, FAMILY_BOTH, 0 }, { "wg-warp", 8, FAMILY_IPV4, 1 } };
	int active[1] = { 0 };
	struct cidr native;
	const struct rule *r;
	struct plan p;

	(void)state;
	cidr_parse(&native, "203.0.113.7");
	agent_plan_routing(&p, c, links, 2, active, &native, 1);
	/* Encrypted packets: main, else unreachable; never a tunnel. */
	r = find_rule(&p, AF_INET, 6200, "");
	assert_non_null(r);
	assert_int_equal(r->fwmark, 0x5700);
	assert_int_equal(r->fwmask, 0xff00);
	assert_int_equal(r->table, 254);
	assert_false(r->invert);
	r = find_rule(&p, AF_INET6, 6201, "");
	assert_non_null(r);
	assert_int_equal(r->action, RULE_UNREACHABLE);
	r = find_rule(&p, AF_INET, 6202, "");
	assert_non_null(r);
	assert_int_equal(r->src.prefix, 32);
	assert_int_equal(r->table, 254);
	r = find_rule(&p, AF_INET, 6203, "");
	assert_non_null(r);
	assert_int_equal(r->suppress_prefixlength, 0);
	/* Tunnel tables, only for the families each carries. */
	assert_non_null(find_rule(&p, AF_INET, 6210, ""));
	assert_non_null(find_rule(&p, AF_INET6, 6210, ""));
	assert_non_null(find_rule(&p, AF_INET, 6211, ""));
	assert_null(find_rule(&p, AF_INET6, 6211, ""));
	/* Group sources: lan interface, host (iif lo), a CIDR. */
	r = find_rule(&p, AF_INET, 6260, "eth1");
	assert_non_null(r);
	assert_int_equal(r->table, 6250);
	assert_non_null(find_rule(&p, AF_INET6, 6260, "lo"));
	r = find_rule(&p, AF_INET, 6260, "");
	assert_non_null(r);
	assert_int_equal(r->src.prefix, 16);
	for (size_t i = 0; i < p.n_rules; i++) {
		assert_int_equal(p.rules[i].protocol, 57);
		assert_true(p.rules[i].priority >= 6200 && p.rules[i].priority < 6300);
	}
	plan_clear(&p);
	config_free(c);
}

static void test_group_routes(void **state)
{
	struct agent_link links[2] = { { "wg-hq", 7, FAMILY_BOTH, 0 }, { "wg-warp", 8, FAMILY_IPV4, 1 } };
	struct config *c = make_config(FALLBACK_BLACKHOLE);
	const struct route *r;
	int active[1] = { 0 };
	struct plan p;

	(void)state;
	agent_plan_routing(&p, c, links, 2, active, NULL, 0);
	r = find_route(&p, "0.0.0.0/0");
	assert_int_equal(r->type, ROUTE_UNICAST);
	assert_int_equal(r->oif, 7);
	assert_int_equal(r->table, 6250);
	r = find_route(&p, "::/0");
	assert_int_equal(r->oif, 7);
	plan_clear(&p);

	/* The active member carries IPv4 only: IPv6 fails closed, loudly. */
	active[0] = 1;
	agent_plan_routing(&p, c, links, 2, active, NULL, 0);
	assert_int_equal(find_route(&p, "0.0.0.0/0")->oif, 8);
	assert_int_equal(find_route(&p, "::/0")->type, ROUTE_UNREACHABLE);
	plan_clear(&p);

	/* No member: blackhole for both. */
	active[0] = -1;
	agent_plan_routing(&p, c, links, 2, active, NULL, 0);
	assert_int_equal(find_route(&p, "0.0.0.0/0")->type, ROUTE_BLACKHOLE);
	assert_int_equal(find_route(&p, "::/0")->type, ROUTE_BLACKHOLE);
	plan_clear(&p);
	config_free(c);

	/* Fail open: no route at all, so the lookup goes on to main. */
	c = make_config(FALLBACK_MAIN);
	agent_plan_routing(&p, c, links, 2, active, NULL, 0);
	assert_int_equal(p.n_routes, 0);
	plan_clear(&p);
	active[0] = 1;
	agent_plan_routing(&p, c, links, 2, active, NULL, 0);
	assert_non_null(find_route(&p, "0.0.0.0/0"));
	assert_null(find_route(&p, "::/0"));
	plan_clear(&p);
	config_free(c);
}

static void test_nothing_without_tunnels(void **state)
{
	struct config *c = config_new();
	struct plan p;

	(void)state;
	agent_plan_routing(&p, c, NULL, 0, NULL, NULL, 0);
	assert_int_equal(p.n_rules, 0);
	assert_int_equal(p.n_routes, 0);
	/* It still owns its range, so leftovers of an earlier run get pruned. */
	assert_int_equal(p.prio_first, 6200);
	assert_int_equal(p.prio_count, 100);
	plan_clear(&p);
	config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_group_routes),
		cmocka_unit_test(test_nothing_without_tunnels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
