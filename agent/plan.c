/* From a tunnel of the model to the links, addresses, routes, rules and sysctls it needs. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "../common/util.h"

int plan_resolve(union wg_endpoint *ep, const char *host, uint16_t port)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res = NULL;
	int r;

	memset(ep, 0, sizeof(*ep));
	/* Literals first: no resolver round trip and no surprise from nsswitch. */
	if (inet_pton(AF_INET, host, &ep->in.sin_addr) == 1) {
		ep->in.sin_family = AF_INET;
		ep->in.sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &ep->in6.sin6_addr) == 1) {
		ep->in6.sin6_family = AF_INET6;
		ep->in6.sin6_port = htons(port);
		return 0;
	}
	r = getaddrinfo(host, NULL, &hints, &res);
	if (r != 0)
		return r == EAI_AGAIN ? -EAGAIN : -EADDRNOTAVAIL;
	/* As wg(8): the resolver's first answer wins. */
	if (res->ai_family == AF_INET && res->ai_addrlen == sizeof(ep->in)) {
		memcpy(&ep->in, res->ai_addr, sizeof(ep->in));
		ep->in.sin_port = htons(port);
	} else if (res->ai_family == AF_INET6 && res->ai_addrlen == sizeof(ep->in6)) {
		memcpy(&ep->in6, res->ai_addr, sizeof(ep->in6));
		ep->in6.sin6_port = htons(port);
	} else {
		r = -EADDRNOTAVAIL;
	}
	freeaddrinfo(res);
	return r;
}

static bool family_wanted(const struct tunnel *t, int family)
{
	return (t->families & (family == AF_INET ? FAMILY_IPV4 : FAMILY_IPV6)) != 0;
}

/* The largest path MTU towards the peers' endpoints, less WireGuard's 80 bytes of
 * overhead, as wg-quick computes it; 1420 when nothing better is known. */
static uint32_t plan_auto_mtu(const struct plan *p, struct nl *nl)
{
	uint32_t best = 0;
	size_t i;

	for (i = 0; nl && i < p->dev->n_peers; i++) {
		const union wg_endpoint *ep = &p->dev->peers[i].endpoint;
		struct route out;
		struct cidr dst = { 0 };

		if (ep->sa.sa_family == AF_INET) {
			dst.family = AF_INET;
			memcpy(dst.addr, &ep->in.sin_addr, 4);
			dst.prefix = 32;
		} else if (ep->sa.sa_family == AF_INET6) {
			dst.family = AF_INET6;
			memcpy(dst.addr, &ep->in6.sin6_addr, 16);
			dst.prefix = 128;
		} else {
			continue;
		}
		/* Ask with warren's mark: the answer must be the path the encrypted packets take. */
		if (route_get(nl, &dst, p->dev->fwmark, &out) == 0 && out.mtu > best)
			best = out.mtu;
	}
	if (best <= 80 + 1280)
		return best ? 1280 : 1420;
	return best - 80;
}

static void plan_add_route(struct plan *p, const struct config *c, const struct cidr *dst,
			   uint32_t table)
{
	struct route *r = array_push(&p->routes, &p->n_routes, sizeof(*r));

	route_init(r, dst->family);
	r->dst = *dst;
	cidr_mask(&r->dst);
	r->table = table;
	r->protocol = c->daemon.route_protocol;
}

/* Same key, then first in the array first: the address order is the array's order. */
static int route_ptr_cmp(const void *a, const void *b)
{
	const struct route *x = *(const struct route *const *)a, *y = *(const struct route *const *)b;
	int r = route_key_cmp(x, y);

	return r ? r : (x > y) - (x < y);
}

/* Keep the first of routes to the same place in the same table, in plan order. Allowed IPs
 * may repeat each other across 10,000s of peers: sorted, not scanned per route. */
static void plan_dedupe_routes(struct plan *p)
{
	const struct route **s = xmalloc(p->n_routes * sizeof(*s) + 1);
	bool *dup = xcalloc(p->n_routes + 1, sizeof(*dup));
	size_t i, n = 0;

	for (i = 0; i < p->n_routes; i++)
		s[i] = &p->routes[i];
	qsort(s, p->n_routes, sizeof(*s), route_ptr_cmp);
	for (i = 1; i < p->n_routes; i++)
		if (route_key_cmp(s[i - 1], s[i]) == 0)
			dup[s[i] - p->routes] = true;
	for (i = 0; i < p->n_routes; i++)
		if (!dup[i])
			p->routes[n++] = p->routes[i];
	p->n_routes = n;
	free(dup);
	free(s);
}

/* A default route goes into the tunnel's own table behind two rules, as wg-quick does:
 * the main table first but without its default routes, then the tunnel's table for
 * everything not carrying a warren mark. Encrypted packets carry the mark, so they never
 * loop into this tunnel, nor chain into another warren tunnel: all share the mark bits. */
static void plan_add_default_rules(struct plan *p, const struct config *c, int family,
				   uint32_t table, uint32_t mark, uint32_t mask)
{
	struct rule *r;

	r = array_push(&p->rules, &p->n_rules, sizeof(*r));
	rule_init(r, family);
	r->priority = c->daemon.rule_priority + 2 * p->slot;
	r->table = ROUTE_TABLE_MAIN;
	r->suppress_prefixlength = 0;
	r->protocol = c->daemon.route_protocol;

	r = array_push(&p->rules, &p->n_rules, sizeof(*r));
	rule_init(r, family);
	r->priority = c->daemon.rule_priority + 2 * p->slot + 1;
	r->table = table;
	r->fwmark = mark;
	r->fwmask = mask;
	r->invert = true;
	r->protocol = c->daemon.route_protocol;
}

static void plan_add_sysctl(struct plan *p, const char *path, const char *value)
{
	struct plan_sysctl *s = array_push(&p->sysctls, &p->n_sysctls, sizeof(*s));

	snprintf(s->path, sizeof(s->path), "%s", path);
	snprintf(s->value, sizeof(s->value), "%s", value);
}

/* An address a/len makes the kernel add the route to its prefix through the link; adding it
 * again would fail (IPv4) or duplicate it (IPv6), so wg-quick skips it and so do we. */
static bool plan_prefix_route(const struct tunnel *t, const struct cidr *dst)
{
	size_t i;

	for (i = 0; i < t->addresses.n; i++) {
		struct cidr a = t->addresses.v[i], m = *dst;

		cidr_mask(&a);
		cidr_mask(&m);
		if (cidr_equal(&a, &m))
			return true;
	}
	return false;
}

static void plan_routes(struct plan *p, const struct config *c, const struct tunnel *t)
{
	uint32_t table = c->daemon.table_base + p->slot;
	uint32_t mark = p->dev->fwmark;
	uint32_t mask = t->fwmark ? 0xffffffffu : c->daemon.fwmark_mask;
	bool def4 = false, def6 = false;
	struct cidrv all = { 0 };
	size_t i, j;

	if (t->table_mode == TABLE_OFF)
		return;
	if (t->has_routes) {
		for (i = 0; i < t->routes.n; i++)
			cidrv_push(&all, &t->routes.v[i]);
	} else {
		for (i = 0; i < t->n_peers; i++)
			for (j = 0; j < t->peers[i].allowed_ips.n; j++)
				cidrv_push(&all, &t->peers[i].allowed_ips.v[j]);
	}
	for (i = 0; i < all.n; i++) {
		const struct cidr *dst = &all.v[i];

		if (!family_wanted(t, dst->family))
			continue;
		if (t->table_mode == TABLE_ID) {
			plan_add_route(p, c, dst, t->table);
		} else if (dst->prefix == 0) {
			plan_add_route(p, c, dst, table);
			if (dst->family == AF_INET)
				def4 = true;
			else
				def6 = true;
		} else if (!plan_prefix_route(t, dst)) {
			plan_add_route(p, c, dst, ROUTE_TABLE_MAIN);
		}
	}
	cidrv_clear(&all);
	if (def4) {
		plan_add_default_rules(p, c, AF_INET, table, mark, mask);
		/* Replies to the tunnel's marked packets must pass reverse-path filtering. */
		plan_add_sysctl(p, "net/ipv4/conf/all/src_valid_mark", "1");
	}
	if (def6)
		plan_add_default_rules(p, c, AF_INET6, table, mark, mask);
}

/* Does a group this tunnel serves decide where a's traffic goes? True when a contains (or
 * equals) one of the groups' routes: a member's 0.0.0.0/0 or its copy of the group's
 * office network must not pre-empt the group, while its own narrower networks stay. */
static bool group_decides(const struct plan_opts *o, const struct cidr *a)
{
	size_t i;

	for (i = 0; o->group_routes && i < o->group_routes->n; i++)
		if (cidr_contains(a, &o->group_routes->v[i]))
			return true;
	return false;
}

/* The agent's routing: every route of the tunnel in its own table, looked up by the agent's
 * rules; what its groups route belongs to the groups. */
static void plan_agent_routes(struct plan *p, const struct config *c, const struct tunnel *t,
			      const struct plan_opts *o)
{
	uint32_t table = c->daemon.table_base + p->slot;
	size_t i, j;

	if (t->has_routes) {
		for (i = 0; i < t->routes.n; i++)
			if (family_wanted(t, t->routes.v[i].family))
				plan_add_route(p, c, &t->routes.v[i], table);
		return;
	}
	for (i = 0; i < t->n_peers; i++) {
		for (j = 0; j < t->peers[i].allowed_ips.n; j++) {
			const struct cidr *a = &t->peers[i].allowed_ips.v[j];

			if (family_wanted(t, a->family) && !group_decides(o, a))
				plan_add_route(p, c, a, table);
		}
	}
}

static int plan_device(struct plan *p, const struct config *c, const struct tunnel *t,
		       const struct plan_opts *o, struct diag *d)
{
	const char *src = t->source ? t->source : c->path;
	size_t i, j;
	int r;

	r = wg_device_new(&p->dev, t->ifname);
	if (r < 0)
		return r;
	p->dev->flags = WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_FWMARK;
	memcpy(p->dev->private_key, t->private_key, KEY_LEN);
	if (t->has_listen_port) {
		p->dev->flags |= WG_DEVICE_HAS_LISTEN_PORT;
		p->dev->listen_port = t->listen_port;
	}
	p->dev->fwmark = t->fwmark ? t->fwmark : c->daemon.fwmark;
	for (i = 0; i < t->n_peers; i++) {
		const struct peer *tp = &t->peers[i];
		struct wg_peer *wp = wg_device_add_peer(p->dev, tp->public_key);

		wp->flags = WG_PEER_HAS_KEEPALIVE | WG_PEER_REPLACE_ALLOWEDIPS;
		if (tp->has_preshared_key) {
			wp->flags |= WG_PEER_HAS_PRESHARED_KEY;
			memcpy(wp->preshared_key, tp->preshared_key, KEY_LEN);
		}
		wp->persistent_keepalive = tp->persistent_keepalive;
		for (j = 0; j < tp->allowed_ips.n; j++) {
			struct cidr a = tp->allowed_ips.v[j];

			/* A family the tunnel must not carry is refused by WireGuard itself too. */
			if (!family_wanted(t, a.family))
				continue;
			cidr_mask(&a);  /* the kernel stores them masked; compare like with like */
			wg_peer_add_allowed_ip(wp, &a);
		}
		if (!tp->endpoint_host)
			continue;
		if (o->resolve)
			r = o->resolve(o->resolve_ctx, tp->endpoint_host, tp->endpoint_port, &wp->endpoint);
		else
			r = plan_resolve(&wp->endpoint, tp->endpoint_host, tp->endpoint_port);
		if (r == -EAGAIN && o->resolve)
			return r;
		if (r < 0) {
			diag_error(d, src, tp->line, "tunnel %s: peer %zu: endpoint \"%s\": %s", t->name,
				   i + 1, tp->endpoint_host,
				   r == -EAGAIN ? "temporary failure in name resolution"
						: "name does not resolve to an address");
			return r;
		}
	}
	return 0;
}

int plan_tunnel(struct plan *p, const struct config *c, const struct tunnel *t,
		const struct plan_opts *o, struct nl *nl, struct diag *d)
{
	int r;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", t->name);
	snprintf(p->ifname, sizeof(p->ifname), "%s", t->ifname);
	p->backend = o->backend;
	p->slot = o->slot;
	p->protocol = c->daemon.route_protocol;
	p->table_first = c->daemon.table_base + o->slot;
	p->table_count = 1;
	if (!o->agent) {
		/* One-shot routes live in main (or a table of the file's): tell them by link. */
		p->prio_first = c->daemon.rule_priority + 2 * o->slot;
		p->prio_count = 2;
		p->prune_by_link = true;
	}
	r = plan_device(p, c, t, o, d);
	if (r < 0)
		return r;
	/* Addresses of a family the tunnel does not carry would invite that family in. */
	p->addrs = xcalloc(t->addresses.n, sizeof(*p->addrs));
	for (size_t i = 0; i < t->addresses.n; i++)
		if (family_wanted(t, t->addresses.v[i].family))
			p->addrs[p->n_addrs++] = t->addresses.v[i];
	if (o->agent)
		plan_agent_routes(p, c, t, o);
	else
		plan_routes(p, c, t);
	plan_dedupe_routes(p);
	p->mtu = t->mtu ? t->mtu : plan_auto_mtu(p, nl);
	return 0;
}

void plan_clear(struct plan *p)
{
	wg_device_free(p->dev);
	free(p->addrs);
	free(p->routes);
	free(p->rules);
	free(p->sysctls);
	memset(p, 0, sizeof(*p));
}
