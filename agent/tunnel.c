/* Converging the kernel on a tunnel's plan with the fewest netlink writes, and undoing it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunnel.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../netcfg/addr.h"
#include "../netcfg/link.h"
#include "../netcfg/sysctl.h"

/* One batch of rtnetlink requests, each remembered by what it is for error messages. */
struct batch {
	char *buf;
	size_t len, size;
	char (*what)[96];
	size_t n;
};

static void *batch_slot(struct batch *b, size_t *room)
{
	/* Requests are a few hundred bytes; keep room for the largest. */
	if (b->size - b->len < 1024) {
		b->size = b->size ? b->size * 2 : 8192;
		b->buf = xrealloc(b->buf, b->size);
	}
	*room = b->size - b->len;
	return b->buf + b->len;
}

static void batch_commit(struct batch *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void batch_commit(struct batch *b, const char *fmt, ...)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(b->buf + b->len);
	char (*w)[96] = array_push(&b->what, &b->n, sizeof(*b->what));
	va_list ap;

	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	va_start(ap, fmt);
	vsnprintf(*w, sizeof(*w), fmt, ap);
	va_end(ap);
}

static void batch_free(struct batch *b)
{
	free(b->buf);
	free(b->what);
}

static void first_error(int *r, int e, char *err, size_t errsize, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void first_error(int *r, int e, char *err, size_t errsize, const char *fmt, ...)
{
	va_list ap;

	if (*r < 0)
		return;
	*r = e;
	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
}

/* Send b, where a failure of -ignore counts as done. The first failure, when *r holds none
 * yet, goes to *r and err as "<what the request was for>: <why>" (whole when no request is
 * to blame). */
static void batch_send(struct nl *nl, struct batch *b, int ignore, const char *whole, int *r,
		       char *err, size_t errsize)
{
	int failed, e;

	if (!b->n)
		return;
	e = nl_talk_batch(nl, b->buf, b->len, ignore, &failed);
	if (e < 0)
		first_error(r, e, err, errsize, "%s: %s", failed >= 0 ? b->what[failed] : whole,
			    nl_strerror(nl, e));
}

static bool has_addr(const struct addr *addrs, size_t n, const struct cidr *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cidr_equal(&addrs[i].addr, a))
			return true;
	return false;
}

static int route_ptr_cmp(const void *a, const void *b)
{
	return route_key_cmp(*(const struct route *const *)a, *(const struct route *const *)b);
}

/* Pointers to v's routes in key order: a tunnel's allowed IPs can make 10,000s of routes,
 * and each side is looked up once per route of the other. */
static const struct route **routes_sorted(const struct route *v, size_t n)
{
	const struct route **s = xmalloc(n * sizeof(*s) + 1);
	size_t i;

	for (i = 0; i < n; i++)
		s[i] = &v[i];
	qsort(s, n, sizeof(*s), route_ptr_cmp);
	return s;
}

/* Index of the first of s (n, sorted) with r's key, or n when there is none. */
static size_t routes_find(const struct route **s, size_t n, const struct route *r)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (route_key_cmp(s[mid], r) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && route_key_cmp(s[lo], r) == 0 ? lo : n;
}

static bool has_rule(const struct rule *rules, size_t n, const struct rule *r)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rule_equal(&rules[i], r))
			return true;
	return false;
}

static int tunnel_link(struct nl *nl, struct plan *p, const char *userspace_command,
		       struct link *l, struct tunnel_stats *st, char *err, size_t errsize)
{
	pid_t pid;
	int r;

	r = link_get(nl, p->ifname, l);
	if (r != -ENODEV) {
		if (r < 0)
			snprintf(err, errsize, "link %s: %s", p->ifname, nl_strerror(nl, r));
		return r;
	}
	if (p->backend == BACKEND_KERNEL) {
		r = link_create(nl, p->ifname, "wireguard", NULL);
		if (r < 0) {
			snprintf(err, errsize, "link %s: create: %s", p->ifname, nl_strerror(nl, r));
			return r;
		}
	} else {
		r = wg_uapi_start(userspace_command, p->ifname, &pid);
		if (r < 0) {
			snprintf(err, errsize, "link %s: starting \"%s\": %s", p->ifname,
				 userspace_command, strerror(-r));
			return r;
		}
		st->pid = pid;
	}
	st->created = 1;
	r = link_get(nl, p->ifname, l);
	if (r < 0)
		snprintf(err, errsize, "link %s: %s", p->ifname, nl_strerror(nl, r));
	return r;
}

int tunnel_snapshot_take(struct nl *nl, struct tunnel_snapshot *s)
{
	int r;

	memset(s, 0, sizeof(*s));
	r = addr_dump(nl, AF_UNSPEC, 0, &s->addrs, &s->n_addrs);
	if (r == 0)
		r = route_dump(nl, AF_UNSPEC, 0, &s->routes, &s->n_routes);
	if (r == 0)
		r = rule_dump(nl, AF_UNSPEC, &s->rules, &s->n_rules);
	if (r < 0)
		tunnel_snapshot_clear(s);
	return r;
}

void tunnel_snapshot_clear(struct tunnel_snapshot *s)
{
	free(s->addrs);
	free(s->routes);
	free(s->rules);
	memset(s, 0, sizeof(*s));
}

static bool is_link_local(const struct cidr *a)
{
	return a->family == AF_INET6 && a->addr[0] == 0xfe && (a->addr[1] & 0xc0) == 0x80;
}

/* Is r (from a dump) one of p's: our protocol, through the link or in a table of the plan's? */
static bool route_is_ours(const struct plan *p, const struct route *r, int ifindex)
{
	if (r->protocol != p->protocol)
		return false;
	return (p->prune_by_link && r->oif == ifindex) ||
	       (r->table >= p->table_first && r->table - p->table_first < p->table_count);
}

static bool rule_is_ours(const struct plan *p, const struct rule *r)
{
	return p->prio_count && r->protocol == p->protocol && r->priority >= p->prio_first &&
	       r->priority < p->prio_first + p->prio_count;
}

/* Everything after the device, as one batch: what is missing is added, what changed is
 * replaced, and what is ours but no longer planned is removed. Nothing right is touched. */
static int tunnel_batch(struct nl *nl, struct plan *p, const struct link *l,
			const struct tunnel_snapshot *snap, struct tunnel_stats *st, char *err,
			size_t errsize)
{
	const struct route **have = NULL, **want = NULL;
	struct tunnel_snapshot own = { 0 };
	struct addr *addrs = NULL;
	const struct route *routes;
	const struct rule *rules;
	size_t n_addrs = 0, n_routes, n_rules, i, j, room;
	struct batch b = { 0 };
	char buf[CIDR_STRLEN];
	int r = 0;
	void *slot;

	if (!snap) {
		r = tunnel_snapshot_take(nl, &own);
		if (r < 0) {
			snprintf(err, errsize, "link %s: reading kernel state: %s", p->ifname,
				 nl_strerror(nl, r));
			return r;
		}
		snap = &own;
	}
	routes = snap->routes;
	n_routes = snap->n_routes;
	rules = snap->rules;
	n_rules = p->prio_count ? snap->n_rules : 0;
	for (i = 0; l && i < snap->n_addrs; i++)
		if (snap->addrs[i].ifindex == l->index)
			*(struct addr *)array_push(&addrs, &n_addrs, sizeof(*addrs)) = snap->addrs[i];
	if (!l)
		goto routing;
	if (p->mtu && l->mtu != p->mtu) {
		slot = batch_slot(&b, &room);
		r = link_set_mtu_msg(nl, slot, room, l->index, p->mtu);
		if (r < 0)
			goto build_failed;
		batch_commit(&b, "link %s: mtu %u", p->ifname, p->mtu);
	}
	for (i = 0; i < n_addrs; i++) {
		bool planned = is_link_local(&addrs[i].addr);

		for (j = 0; j < p->n_addrs && !planned; j++)
			planned = cidr_equal(&addrs[i].addr, &p->addrs[j]);
		if (planned)
			continue;
		slot = batch_slot(&b, &room);
		r = addr_msg(nl, slot, room, ADDR_OP_DEL, l->index, &addrs[i].addr, 0);
		if (r < 0)
			goto build_failed;
		batch_commit(&b, "link %s: removing address %s", p->ifname, cidr_fmt(&addrs[i].addr, buf));
	}
	for (i = 0; i < p->n_addrs; i++) {
		if (has_addr(addrs, n_addrs, &p->addrs[i]))
			continue;
		slot = batch_slot(&b, &room);
		r = addr_msg(nl, slot, room, ADDR_OP_ADD, l->index, &p->addrs[i], 0);
		if (r < 0)
			goto build_failed;
		batch_commit(&b, "link %s: address %s", p->ifname, cidr_fmt(&p->addrs[i], buf));
	}
	if (!(l->flags & LINK_F_UP)) {
		slot = batch_slot(&b, &room);
		r = link_set_up_msg(nl, slot, room, l->index, true);
		if (r < 0)
			goto build_failed;
		batch_commit(&b, "link %s: up", p->ifname);
	}
	for (i = 0; i < p->n_routes; i++)
		p->routes[i].oif = p->routes[i].type == ROUTE_UNICAST ? l->index : 0;
routing:
	have = routes_sorted(routes, n_routes);
	want = routes_sorted(p->routes, p->n_routes);
	for (i = 0; i < n_routes; i++) {
		if (!route_is_ours(p, &routes[i], l ? l->index : -1) ||
		    routes_find(want, p->n_routes, &routes[i]) < p->n_routes)
			continue;
		slot = batch_slot(&b, &room);
		r = route_msg(nl, slot, room, &routes[i], ROUTE_OP_DEL);
		if (r < 0)
			goto build_failed;
		batch_commit(&b, "removing route %s table %u", cidr_fmt(&routes[i].dst, buf),
			     routes[i].table);
	}
	for (i = 0; i < p->n_routes; i++) {
		struct route *rt = &p->routes[i];
		enum route_op op = ROUTE_OP_ADD;
		bool there = false;

		/* A route of ours to the same place but through another link or of another type
		 * is swapped in one step, so traffic never finds no route. */
		for (j = routes_find(have, n_routes, rt);
		     j < n_routes && route_key_equal(have[j], rt); j++) {
			there = there || route_equal(have[j], rt);
			if (have[j]->protocol == rt->protocol)
				op = ROUTE_OP_REPLACE;
		}
		if (there)
			continue;
		slot = batch_slot(&b, &room);
		r = route_msg(nl, slot, room, rt, op);
		if (r < 0)
			goto build_failed;
		batch_commit(&b, "route %s table %u", cidr_fmt(&rt->dst, buf), rt->table);
	}
	for (i = 0; i < n_rules; i++) {
		if (!rule_is_ours(p, &rules[i]) || has_rule(p->rules, p->n_rules, &rules[i]))
			continue;
		slot = batch_slot(&b, &room);
		r = rule_msg(nl, slot, room, &rules[i], RULE_OP_DEL);
		if (r < 0)
			goto build_failed;
		batch_commit(&b, "removing rule %u", rules[i].priority);
	}
	for (i = 0; i < p->n_rules; i++) {
		if (has_rule(rules, n_rules, &p->rules[i]))
			continue;
		slot = batch_slot(&b, &room);
		r = rule_msg(nl, slot, room, &p->rules[i], RULE_OP_ADD);
		if (r < 0)
			goto build_failed;
		batch_commit(&b, "rule %u", p->rules[i].priority);
	}
	st->writes += b.n;
	r = 0;
	batch_send(nl, &b, 0, p->ifname, &r, err, errsize);
	goto out;
build_failed:
	snprintf(err, errsize, "link %s: building a request: %s", p->ifname, strerror(-r));
out:
	free(have);
	free(want);
	batch_free(&b);
	free(addrs);
	tunnel_snapshot_clear(&own);
	return r;
}

int tunnel_apply(struct nl *nl, struct wg_backend *wgb, struct plan *p,
		 const char *userspace_command, const struct tunnel_snapshot *snap,
		 struct tunnel_stats *st, char *err, size_t errsize)
{
	struct link l;
	size_t i;
	int r;

	memset(st, 0, sizeof(*st));
	if (p->ifname[0]) {
		r = tunnel_link(nl, p, userspace_command, &l, st, err, errsize);
		if (r < 0)
			return r;
		r = wg_apply(wgb, p->dev, &st->peers);
		if (r < 0) {
			snprintf(err, errsize, "link %s: configuring WireGuard: %s", p->ifname,
				 wg_strerror(wgb, r));
			return r;
		}
	}
	r = tunnel_batch(nl, p, p->ifname[0] ? &l : NULL, snap, st, err, errsize);
	if (r < 0)
		return r;
	for (i = 0; i < p->n_sysctls; i++) {
		r = sysctl_set(p->sysctls[i].path, p->sysctls[i].value, NULL, 0);
		if (r < 0) {
			snprintf(err, errsize, "sysctl %s: %s", p->sysctls[i].path, strerror(-r));
			return r;
		}
	}
	return 0;
}

int tunnel_remove(struct nl *nl, struct wg_backend *wgb, struct plan *p, const bool *keep_sysctl,
		  char *err, size_t errsize)
{
	char buf[CIDR_STRLEN], cur[SYSCTL_VALUE_MAX];
	struct batch rules = { 0 }, routes = { 0 };
	struct link l;
	size_t i, room;
	int r = 0, e;
	void *slot;

	/* Rules first: once the link is gone they would send traffic into an empty table. */
	for (i = p->n_rules; i-- > 0;) {
		slot = batch_slot(&rules, &room);
		e = rule_msg(nl, slot, room, &p->rules[i], RULE_OP_DEL);
		if (e < 0)
			first_error(&r, e, err, errsize, "rule %u: %s", p->rules[i].priority, strerror(-e));
		else
			batch_commit(&rules, "rule %u", p->rules[i].priority);
	}
	batch_send(nl, &rules, ENOENT, p->name, &r, err, errsize);
	/* Without a link (the agent's group tables) routes go as the journal has them. */
	e = p->ifname[0] ? link_get(nl, p->ifname, &l) : 0;
	for (i = p->n_routes; e == 0 && i-- > 0;) {
		struct route rt = p->routes[i];
		int d;

		/* A linkless plan's unicast routes went with the links they used. */
		if (!p->ifname[0] && rt.type == ROUTE_UNICAST)
			continue;
		rt.oif = p->ifname[0] && rt.type == ROUTE_UNICAST ? l.index : 0;
		slot = batch_slot(&routes, &room);
		d = route_msg(nl, slot, room, &rt, ROUTE_OP_DEL);
		if (d < 0)
			first_error(&r, d, err, errsize, "route %s table %u: %s", cidr_fmt(&rt.dst, buf),
				    rt.table, strerror(-d));
		else
			batch_commit(&routes, "route %s table %u", cidr_fmt(&rt.dst, buf), rt.table);
	}
	batch_send(nl, &routes, ESRCH, p->name, &r, err, errsize);
	batch_free(&rules);
	batch_free(&routes);
	if (!p->ifname[0])
		goto sysctls;
	if (p->backend == BACKEND_USERSPACE) {
		e = wg_uapi_stop(p->ifname);
		if (e < 0 && e != -ENODEV)
			first_error(&r, e, err, errsize, "link %s: stopping: %s", p->ifname, strerror(-e));
	}
	/* Deleting the link takes its addresses and routes with it. */
	e = link_get(nl, p->ifname, &l);
	if (e == 0 && p->backend == BACKEND_KERNEL && wgb && wg_backend_kind(wgb) == BACKEND_KERNEL)
		wg_clear_peers(wgb, p->ifname);
	if (e == 0)
		e = link_delete(nl, l.index);
	if (e < 0 && e != -ENODEV)
		first_error(&r, e, err, errsize, "link %s: delete: %s", p->ifname, nl_strerror(nl, e));
sysctls:
	for (i = 0; i < p->n_sysctls; i++) {
		const struct plan_sysctl *s = &p->sysctls[i];

		/* Leave it when another tunnel needs it, or when someone changed it since. */
		if ((keep_sysctl && keep_sysctl[i]) || !s->old[0] ||
		    sysctl_get(s->path, cur, sizeof(cur)) < 0 || strcmp(cur, s->value) != 0)
			continue;
		e = sysctl_set(s->path, s->old, NULL, 0);
		if (e < 0)
			first_error(&r, e, err, errsize, "sysctl %s: %s", s->path, strerror(-e));
	}
	return r;
}
