/* The agent's policy routing: the rules that steer traffic into tunnel and group tables,
 * and each group's table through its active member. Pure: it only builds a plan. */
#include <string.h>

#include "agent.h"
#include "../common/util.h"

static struct rule *add_rule(struct plan *p, const struct config *c, int family, unsigned int prio)
{
	struct rule *r = array_push(&p->rules, &p->n_rules, sizeof(*r));

	rule_init(r, family);
	r->priority = c->daemon.rule_priority + prio;
	r->protocol = c->daemon.route_protocol;
	return r;
}

static void add_route(struct plan *p, const struct config *c, const struct cidr *dst,
		      uint32_t table, enum route_type type, int oif)
{
	struct route *r = array_push(&p->routes, &p->n_routes, sizeof(*r));

	route_init(r, dst->family);
	r->dst = *dst;
	cidr_mask(&r->dst);
	r->table = table;
	r->type = type;
	r->oif = type == ROUTE_UNICAST ? oif : 0;
	r->protocol = c->daemon.route_protocol;
}

static unsigned int family_bit(int family)
{
	return family == AF_INET ? FAMILY_IPV4 : FAMILY_IPV6;
}

/* Rules for every family, for the traffic a group's sources name. */
static void group_rules(struct plan *p, const struct config *c, const struct group *g,
			unsigned int gi, uint32_t table)
{
	static const int families[] = { AF_INET, AF_INET6 };
	size_t s, i, f;

	for (s = 0; s < g->sources.n; s++) {
		const char *src = g->sources.v[s];
		struct cidr cidr;

		if (strcmp(src, "host") == 0) {
			/* Locally originated packets are routed as if they came in on lo. */
			for (f = 0; f < ARRAY_SIZE(families); f++) {
				struct rule *r = add_rule(p, c, families[f], PRIO_GROUPS + gi);

				snprintf(r->iif, sizeof(r->iif), "lo");
				r->table = table;
			}
		} else if (strcmp(src, "lan") == 0) {
			for (i = 0; i < c->lan.interfaces.n; i++) {
				for (f = 0; f < ARRAY_SIZE(families); f++) {
					struct rule *r = add_rule(p, c, families[f], PRIO_GROUPS + gi);

					snprintf(r->iif, sizeof(r->iif), "%s", c->lan.interfaces.v[i]);
					r->table = table;
				}
			}
		} else if (cidr_parse(&cidr, src) == 0) {
			struct rule *r = add_rule(p, c, cidr.family, PRIO_GROUPS + gi);

			cidr_mask(&cidr);
			r->src = cidr;
			r->table = table;
		}
	}
}

void agent_plan_routing(struct plan *p, const struct config *c, const struct agent_link *links,
			size_t n_links, const int *active, const struct cidr *native, size_t n_native)
{
	static const int families[] = { AF_INET, AF_INET6 };
	uint32_t mask = c->daemon.fwmark_mask;
	size_t i, f, g;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "agent");
	p->owner = OWNER_AGENT;
	p->protocol = c->daemon.route_protocol;
	p->prio_first = c->daemon.rule_priority;
	p->prio_count = PRIO_COUNT;
	p->table_first = c->daemon.table_base + AGENT_GROUP_TABLES;
	p->table_count = AGENT_MAX_GROUPS;
	if (!n_links)
		return;

	for (f = 0; f < ARRAY_SIZE(families); f++) {
		struct rule *r;

		/* Encrypted packets carry warren's mark: the underlay (main) carries them, and
		 * should main have no route they fail rather than fall into a tunnel. */
		r = add_rule(p, c, families[f], PRIO_MARK_MAIN);
		r->fwmark = c->daemon.fwmark;
		r->fwmask = mask;
		r->table = ROUTE_TABLE_MAIN;
		r = add_rule(p, c, families[f], PRIO_MARK_STOP);
		r->fwmark = c->daemon.fwmark;
		r->fwmask = mask;
		r->action = RULE_UNREACHABLE;
		r = add_rule(p, c, families[f], PRIO_SUPPRESS);
		r->table = ROUTE_TABLE_MAIN;
		r->suppress_prefixlength = 0;
	}
	/* A reply from one of the host's own addresses (an SSH session to the WAN address)
	 * leaves the way it came, not through a tunnel's default route. */
	for (i = 0; i < n_native; i++) {
		struct rule *r = add_rule(p, c, native[i].family, PRIO_NATIVE);

		r->src = native[i];
		r->src.prefix = native[i].family == AF_INET ? 32 : 128;
		r->table = ROUTE_TABLE_MAIN;
	}
	for (i = 0; i < n_links; i++) {
		for (f = 0; f < ARRAY_SIZE(families); f++) {
			struct rule *r;

			if (!(links[i].families & family_bit(families[f])))
				continue;
			r = add_rule(p, c, families[f], PRIO_TUNNELS + links[i].slot);
			r->table = c->daemon.table_base + links[i].slot;
		}
	}
	for (g = 0; g < c->n_groups && g < AGENT_MAX_GROUPS; g++) {
		const struct group *gr = &c->groups[g];
		const struct agent_link *m = active[g] >= 0 ? &links[active[g]] : NULL;
		uint32_t table = c->daemon.table_base + AGENT_GROUP_TABLES + (uint32_t)g;

		group_rules(p, c, gr, (unsigned int)g, table);
		for (i = 0; i < gr->routes.n; i++) {
			const struct cidr *dst = &gr->routes.v[i];

			if (m && (m->families & family_bit(dst->family)))
				add_route(p, c, dst, table, ROUTE_UNICAST, m->ifindex);
			else if (gr->fallback == FALLBACK_BLACKHOLE)
				/* Fail closed: nothing falls through to main. A family the active
				 * member does not carry is refused loudly; no member at all, quietly. */
				add_route(p, c, dst, table, m ? ROUTE_UNREACHABLE : ROUTE_BLACKHOLE, 0);
			/* FALLBACK_MAIN: no route here, so the lookup goes on to main. */
		}
	}
}
