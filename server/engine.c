/* The access policy at work: groups resolved from the file and the database, their
 * schedules' transitions on the daemon's own clock, devices' endpoints polled against
 * their group's sources, portal sign-ins, users' rate classes; all of it written through
 * enforce.c (the table) and netcfg/tc.c (the qdiscs), element by element after the first
 * converge. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "engine.h"
#include "enforce.h"
#include "grouppolicy.h"
#include "link.h"
#include "server.h"
#include "auth/websession.h"
#include "dns/doh.h"
#include "../agent/loop.h"
#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../netcfg/monitor.h"
#include "../netcfg/tc.h"
#include "../netcfg/wg.h"

#define TICK_MS 500u                 /* endpoints and sign-ins: changes seen within 1 s */
#define MINORS (TC_CLASS_DEFAULT - 1) /* class minors 1 .. 0xfffe */

struct egroup {
	int64_t id;
	struct policy p;
	bool open;
	time_t next;                     /* the schedule's next change, 0: none */
};

struct engine {
	struct enforce *enf;
	struct egroup *groups;
	size_t n_groups;
	struct timer *sched, *tick;
	int64_t clock_offset;
	bool test_clock;
	bool converged;
	uint64_t conf_sig;               /* of the enforce_conf the table was last made from */
	bool any_sources, any_login;
	uint64_t blocked_ms;             /* when the blocked counters were read */
	int tc_ifindex[2];               /* where our qdiscs are: the tunnel (down), egress (up) */
	uint8_t minors[(MINORS + 8) / 8];   /* class minors in use */
};

static void engine_schedule_arm(struct server *s);
static void tc_remove(struct server *s);

static struct engine *E(const struct server *s)
{
	return s->engine;
}

time_t engine_now(const struct server *s)
{
	return time(NULL) + (E(s) ? E(s)->clock_offset : 0);
}

static struct egroup *group_find(struct engine *e, int64_t id)
{
	size_t i;

	for (i = 0; i < e->n_groups; i++)
		if (e->groups[i].id == id)
			return &e->groups[i];
	return NULL;
}

/* ---- resolving ---- */

static int group_load(struct server *s, const struct db_group *g, struct egroup *out)
{
	char why[256];
	int r;

	memset(out, 0, sizeof(*out));
	out->id = g->id;
	policy_init(&out->p);
	r = group_policy_resolve(s->c->server.policy, g, NULL, &out->p, why, sizeof(why));
	if (r < 0) {
		/* A row the API would not have written: the group carries nothing. */
		log_err("group %s: %s: its users are blocked", g->name, why);
		policy_init(&out->p);
		out->p.schedule.never = true;
	}
	out->open = policy_schedule_open(&out->p.schedule, s->c->server.timezone, engine_now(s));
	out->next = policy_schedule_next(&out->p.schedule, s->c->server.timezone, engine_now(s));
	return 0;
}

static int collect_group(const struct db_group *g, void *arg)
{
	struct server *s = arg;
	struct engine *e = E(s);
	struct egroup *eg = array_push(&e->groups, &e->n_groups, sizeof(*eg));

	return group_load(s, g, eg);
}

static void groups_clear(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->n_groups; i++)
		policy_clear(&e->groups[i].p);
	free(e->groups);
	e->groups = NULL;
	e->n_groups = 0;
}

static void flags_update(struct engine *e)
{
	size_t i;

	e->any_sources = e->any_login = false;
	for (i = 0; i < e->n_groups; i++) {
		e->any_sources |= e->groups[i].p.sources.n > 0;
		e->any_login |= e->groups[i].p.portal_login;
	}
}

/* A user's rate: its own override, else its group's. */
static struct policy_rate user_rate(struct server *s, const struct acct_user *u)
{
	struct egroup *g = group_find(E(s), u->group_id);
	struct policy_rate none = { 0, 0 };

	if (u->has_rate)
		return u->rate;
	return g ? g->p.rate : none;
}

static bool rate_limited(const struct policy_rate *r)
{
	return r->down_bps || r->up_bps;
}

/* ---- rate classes ---- */

static uint16_t minor_take(struct engine *e)
{
	size_t i;

	for (i = 0; i < MINORS; i++)
		if (!(e->minors[i / 8] & (1u << (i % 8)))) {
			e->minors[i / 8] |= (uint8_t)(1u << (i % 8));
			return (uint16_t)(i + 1);
		}
	return 0;
}

static void minor_give(struct engine *e, uint16_t m)
{
	if (m)
		e->minors[(m - 1) / 8] &= (uint8_t)~(1u << ((m - 1) % 8));
}

static int tc_ifindexes(struct server *s, int idx[2])
{
	idx[0] = (int)if_nametoindex(s->c->server.ifname);
	idx[1] = s->c->server.egress[0] ? (int)if_nametoindex(s->c->server.egress) : 0;
	return idx[0] ? 0 : -ENODEV;
}

/* u's classes as its rate says: taken, changed or given back. */
static void user_classes(struct server *s, struct acct_user *u)
{
	struct engine *e = E(s);
	struct policy_rate r = user_rate(s, u);
	int r1 = 0, r2 = 0;

	if (!rate_limited(&r)) {
		if (u->rate_minor) {
			if (e->tc_ifindex[0])
				tc_class_del(s->nl, e->tc_ifindex[0], u->rate_minor);
			if (e->tc_ifindex[1])
				tc_class_del(s->nl, e->tc_ifindex[1], u->rate_minor);
			minor_give(e, u->rate_minor);
			u->rate_minor = 0;
			memset(&u->rate_sent, 0, sizeof(u->rate_sent));
		}
		return;
	}
	if (!e->tc_ifindex[0]) {
		int idx[2];

		if (tc_ifindexes(s, idx) < 0 || tc_root_add(s->nl, idx[0], 0) < 0) {
			log_err("rate limits: %s: %s", s->c->server.ifname, nl_strerror(s->nl, -ENODEV));
			return;
		}
		e->tc_ifindex[0] = idx[0];
		if (idx[1]) {
			int rr = tc_root_add(s->nl, idx[1], 0);

			if (rr < 0)
				log_err("rate limits: %s: %s: uploads are not shaped",
					s->c->server.egress, nl_strerror(s->nl, rr));
			else
				e->tc_ifindex[1] = idx[1];
		}
	}
	if (!u->rate_minor && !(u->rate_minor = minor_take(e))) {
		log_err("user %s: no rate class left", u->name);
		return;
	}
	/* A converge or a group change asks for every user: only changed classes are sent. */
	if (r.down_bps == u->rate_sent.down_bps && r.up_bps == u->rate_sent.up_bps)
		return;
	/* Unlimited in one direction: the class still exists, at the default's ceiling. */
	r1 = tc_class_set(s->nl, e->tc_ifindex[0], u->rate_minor,
			  r.down_bps ? r.down_bps : 10000000000ull);
	if (e->tc_ifindex[1])
		r2 = tc_class_set(s->nl, e->tc_ifindex[1], u->rate_minor,
				  r.up_bps ? r.up_bps : 10000000000ull);
	if (r1 < 0 || r2 < 0)
		log_err("user %s: rate class: %s", u->name, nl_strerror(s->nl, r1 < 0 ? r1 : r2));
	else
		u->rate_sent = r;
}

/* The qdiscs are new (or gone): every class must be sent again. */
static void classes_forget(struct server *s)
{
	size_t i;

	for (i = 0; i < s->acct.n_users; i++)
		memset(&s->acct.users[i].rate_sent, 0, sizeof(s->acct.users[i].rate_sent));
}

/* Every user's classes; our qdiscs made again where the link was (re)made, and removed
 * where nobody is limited any more (also those a crashed run left). */
static void rates_converge(struct server *s)
{
	struct engine *e = E(s);
	bool any = false;
	int idx[2] = { 0, 0 };
	size_t i;

	for (i = 0; i < s->acct.n_users; i++) {
		struct policy_rate r = user_rate(s, &s->acct.users[i]);

		any |= rate_limited(&r);
	}
	if (!any) {
		/* At the first converge a crashed run's roots may be there (tc_root_del leaves
		 * a root that is not ours alone); later only those we made. */
		if (!e->converged && tc_ifindexes(s, idx) == 0) {
			e->tc_ifindex[0] = idx[0];
			e->tc_ifindex[1] = idx[1];
		}
		tc_remove(s);
		return;
	}
	tc_ifindexes(s, idx);
	if (idx[0] != e->tc_ifindex[0] || idx[1] != e->tc_ifindex[1]) {
		e->tc_ifindex[0] = e->tc_ifindex[1] = 0;
		classes_forget(s);
	}
	for (i = 0; i < s->acct.n_users; i++)
		user_classes(s, &s->acct.users[i]);
}

static void tc_remove(struct server *s)
{
	struct engine *e = E(s);
	size_t i;

	for (i = 0; i < 2; i++)
		if (e->tc_ifindex[i])
			tc_root_del(s->nl, e->tc_ifindex[i]);
	e->tc_ifindex[0] = e->tc_ifindex[1] = 0;
	memset(e->minors, 0, sizeof(e->minors));
	for (i = 0; i < s->acct.n_users; i++)
		s->acct.users[i].rate_minor = 0;
	classes_forget(s);
}

/* ---- the table ---- */

static uint16_t portal_port(const struct server *s)
{
	const struct server_portal_conf *pc = &s->c->server.portal;
	const char *colon;

	if (!pc->enabled || !pc->listen || !(colon = strrchr(pc->listen, ':')))
		return 0;
	return (uint16_t)strtoul(colon + 1, NULL, 10);
}

static void conf_fill(struct server *s, struct enforce_conf *c)
{
	const struct server_conf *sc = &s->c->server;
	size_t i;

	memset(c, 0, sizeof(*c));
	c->ifname = sc->ifname;
	c->egress = sc->egress[0] ? sc->egress : NULL;
	c->snat = sc->snat;
	c->pool = sc->pool;
	for (i = 0; i < s->n_pools; i++) {
		struct cidr a = s->pools[i].net;

		pool_server_addr(&s->pools[i], &a);
		*(struct cidr *)array_push(&c->server_addrs.v, &c->server_addrs.n, sizeof(a)) = a;
	}
	c->portal_port = portal_port(s);
	c->policy = true;
	c->log = sc->policy_log;
	if (sc->resolver.enabled) {
		const struct resolver_conf *rc = &sc->resolver;

		c->dns_port = rc->port;
		c->dns_redirect = rc->redirect;
		c->refuse_dot = rc->refuse_dot;
		for (i = 0; rc->doh_builtin && i < doh_builtin_n; i++) {
			struct cidr p;

			if (cidr_parse(&p, doh_builtin[i]) == 0)
				cidrv_push(&c->doh, &p);
		}
		for (i = 0; i < rc->doh.n; i++)
			cidrv_push(&c->doh, &rc->doh.v[i]);
	}
}

/* What of the file the table is made from, hashed: a reload that changes it converges
 * even when the kernel still holds what was made before. */
static uint64_t conf_sig(const struct enforce_conf *c)
{
	uint64_t h = 1469598103934665603ULL;
	char buf[CIDR_STRLEN + 8];
	const struct cidrv *v[] = { &c->pool, &c->server_addrs, &c->doh };

#define MIX(p, n) for (size_t k_ = 0; k_ < (n); k_++) { h ^= ((const uint8_t *)(p))[k_]; h *= 1099511628211ULL; }
	MIX(c->ifname, strlen(c->ifname) + 1);
	if (c->egress)
		MIX(c->egress, strlen(c->egress) + 1);
	snprintf(buf, sizeof(buf), "%d%d%d%u%u%d%d", c->snat, c->policy, c->log, c->portal_port,
		 c->dns_port, c->dns_redirect, c->refuse_dot);
	MIX(buf, strlen(buf) + 1);
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		for (size_t k = 0; k < v[i]->n; k++) {
			cidr_fmt(&v[i]->v[k], buf);
			MIX(buf, strlen(buf) + 1);
		}
#undef MIX
	return h;
}

static size_t dev_fill(struct server *s, const struct acct_device *d, struct enforce_dev out[2])
{
	const struct acct_user *u = account_user(&s->acct, d->user_id);
	size_t i, n = 0;

	if (!u || !account_on_link(&s->acct, d))
		return 0;
	for (i = 0; i < d->n_addrs && i < 2; i++) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].addr = d->addrs[i];
		out[n].addr.prefix = d->addrs[i].family == AF_INET ? 32 : 128;
		out[n].group = (uint32_t)u->group_id;
		out[n].ep_ok = d->ep_ok;
		out[n].logged_in = d->logged_in;
		out[n].class_up = out[n].class_dn = u->rate_minor;
		n++;
	}
	return n;
}

int engine_converge(struct server *s)
{
	struct engine *e = E(s);
	struct enforce_group *g = NULL;
	struct enforce_dev *d = NULL;
	struct enforce_conf c;
	size_t ng = 0, nd = 0, i;
	bool match = false;
	int r;

	groups_clear(e);
	r = db_group_list(s->db, collect_group, s);
	if (r < 0) {
		log_err("policy: the groups: %s", db_errmsg(s->db));
		return r;
	}
	flags_update(e);
	rates_converge(s);
	for (i = 0; i < e->n_groups; i++) {
		struct enforce_group *eg = array_push(&g, &ng, sizeof(*eg));

		eg->id = (uint32_t)e->groups[i].id;
		eg->p = &e->groups[i].p;
		eg->open = e->groups[i].open;
	}
	for (i = 0; i < s->acct.n_devs; i++) {
		struct enforce_dev two[2];
		size_t k, n = dev_fill(s, &s->acct.devs[i], two);

		for (k = 0; k < n; k++)
			*(struct enforce_dev *)array_push(&d, &nd, sizeof(*d)) = two[k];
	}
	conf_fill(s, &c);
	if (e->converged && e->conf_sig == conf_sig(&c) && enforce_matches(e->enf, &match) == 0 &&
	    match) {
		r = 0;
		goto out;
	}
	r = enforce_converge(e->enf, &c, g, ng, d, nd);
	if (r < 0 && c.log) {
		/* A kernel without a packet logger refuses log rules: enforce without them. */
		log_err("server.policy.log: %s; drops are not sampled", nl_strerror(s->nfnl, r));
		c.log = false;
		r = enforce_converge(e->enf, &c, g, ng, d, nd);
	}
	if (r < 0) {
		log_err("nftables: %s", nl_strerror(s->nfnl, r));
		goto out;
	}
	e->converged = true;
	e->conf_sig = conf_sig(&c);
	monitor_own_nft_gen(s->mon, enforce_gen(e->enf));
	r = 1;
out:
	free(c.server_addrs.v);
	cidrv_clear(&c.doh);
	free(g);
	free(d);
	engine_schedule_arm(s);
	if (e->any_sources || e->any_login)
		timer_arm(e->tick, TICK_MS);
	return r;
}

/* ---- schedules ---- */

static void on_sched(struct loop *l, struct timer *t, void *data)
{
	struct server *s = data;
	struct engine *e = E(s);
	time_t now = engine_now(s);
	size_t i;

	(void)l;
	(void)t;
	for (i = 0; i < e->n_groups; i++) {
		struct egroup *g = &e->groups[i];
		bool open = policy_schedule_open(&g->p.schedule, s->c->server.timezone, now);

		g->next = policy_schedule_next(&g->p.schedule, s->c->server.timezone, now);
		if (open == g->open)
			continue;
		g->open = open;
		{
			struct enforce_group eg = { .id = (uint32_t)g->id, .p = &g->p, .open = open };
			int r = enforce_group_set(e->enf, &eg);

			if (r < 0) {
				log_err("group %" PRId64 ": schedule: %s", g->id, nl_strerror(s->nfnl, r));
				link_repair_soon(s, "a schedule change did not apply");
			} else {
				log_info("group %" PRId64 ": schedule %s", g->id, open ? "opens" : "closes");
			}
		}
	}
	engine_schedule_arm(s);
}

/* The timer for the first transition of any group; a clock that moves (a test, NTP) is
 * caught by re-arming at most a minute ahead. */
static void engine_schedule_arm(struct server *s)
{
	struct engine *e = E(s);
	time_t now = engine_now(s), first = 0;
	uint64_t ms;
	size_t i;

	for (i = 0; i < e->n_groups; i++)
		if (e->groups[i].next && (!first || e->groups[i].next < first))
			first = e->groups[i].next;
	if (!first) {
		timer_disarm(e->sched);
		return;
	}
	ms = first > now ? (uint64_t)(first - now) * 1000 : 0;
	if (ms > 60000)
		ms = 60000;
	timer_arm(e->sched, ms);
}

int engine_clock_set(struct server *s, int64_t offset_s)
{
	struct engine *e = E(s);

	if (!e->test_clock)
		return -EPERM;
	e->clock_offset = offset_s;
	log_info("clock: moved by %" PRId64 " s (test)", offset_s);
	on_sched(s->loop, e->sched, s);
	return 0;
}

/* ---- devices ---- */

static void dev_write(struct server *s, const struct acct_device *d, bool remove)
{
	struct engine *e = E(s);
	struct enforce_dev two[2];
	size_t i, n;
	int r = 0;

	if (!e->converged)
		return;
	n = remove ? 0 : dev_fill(s, d, two);
	if (n == 0) {
		for (i = 0; i < d->n_addrs && i < 2; i++) {
			struct cidr a = d->addrs[i];

			a.prefix = a.family == AF_INET ? 32 : 128;
			if ((r = enforce_dev_del(e->enf, &a)) < 0 && r != -ENOENT)
				break;
			r = 0;
		}
	}
	for (i = 0; i < n && r >= 0; i++)
		r = enforce_dev_set(e->enf, &two[i]);
	if (r < 0) {
		log_err("device %s: policy: %s", d->name, nl_strerror(s->nfnl, r));
		link_repair_soon(s, "a device's policy did not apply");
	}
}

void engine_device(struct server *s, const struct acct_device *d, bool remove)
{
	struct acct_user *u = account_user(&s->acct, d->user_id);

	if (u && !remove)
		user_classes(s, u);
	dev_write(s, d, remove);
}

/* Every device of u again (its group, its rate or its sign-in changed). */
static void user_write(struct server *s, struct acct_user *u)
{
	struct acct_device *d;
	size_t i = 0;

	user_classes(s, u);
	while ((d = account_user_devices(&s->acct, u->id, &i)))
		dev_write(s, d, false);
}

void engine_login(struct server *s, int64_t user_id, bool in)
{
	struct acct_user *u = account_user(&s->acct, user_id);
	struct egroup *g;
	struct acct_device *d;
	size_t i = 0;
	bool changed = false;

	if (!u || !(g = group_find(E(s), u->group_id)) || !g->p.portal_login)
		return;
	while ((d = account_user_devices(&s->acct, u->id, &i))) {
		changed |= d->logged_in != in;
		d->logged_in = in;
	}
	if (!changed)
		return;
	log_info("user %s: %s the portal: the tunnel %s", u->name, in ? "signed in to" :
		 "signed out of", in ? "carries everything its group allows" :
		 "carries only DNS and the portal");
	s->acct.changes++;
	user_write(s, u);
}

void server_policy_changed(struct server *s, int64_t group_id, int64_t user_id)
{
	struct engine *e = E(s);
	size_t i;

	if (!e || !e->converged)
		return;
	if (group_id) {
		struct db_group row;
		struct egroup *g = group_find(e, group_id), fresh;
		int r = db_group_get(s->db, group_id, &row);

		if (r == -ENOENT) {
			if (g && enforce_group_del(e->enf, (uint32_t)group_id) == 0) {
				policy_clear(&g->p);
				*g = e->groups[--e->n_groups];
			}
			return;
		}
		if (r < 0) {
			link_repair_soon(s, "a group could not be read");
			return;
		}
		group_load(s, &row, &fresh);
		if (g) {
			policy_clear(&g->p);
			*g = fresh;
		} else {
			g = array_push(&e->groups, &e->n_groups, sizeof(*g));
			*g = fresh;
		}
		{
			struct enforce_group eg = { .id = (uint32_t)g->id, .p = &g->p, .open = g->open };

			if ((r = enforce_group_set(e->enf, &eg)) < 0) {
				log_err("group %s: policy: %s", row.name, nl_strerror(s->nfnl, r));
				link_repair_soon(s, "a group's policy did not apply");
			}
		}
		flags_update(e);
		/* Its users' rate classes follow its rate; their elements do not change. */
		for (i = 0; i < s->acct.n_users; i++)
			if (s->acct.users[i].group_id == group_id)
				user_classes(s, &s->acct.users[i]);
		engine_schedule_arm(s);
		if (e->any_sources || e->any_login)
			timer_arm(e->tick, TICK_MS);
	}
	if (user_id) {
		struct acct_user *u = account_user(&s->acct, user_id);

		if (u)
			user_write(s, u);
	}
	s->acct.changes++;
}

/* ---- endpoints and sign-ins, polled ---- */

static bool endpoint_inside(const union wg_endpoint *ep, const struct cidrv *sources)
{
	struct cidr a = { 0 };
	size_t i;

	if (ep->sa.sa_family == AF_INET) {
		a.family = AF_INET;
		memcpy(a.addr, &ep->in.sin_addr, 4);
		a.prefix = 32;
	} else if (ep->sa.sa_family == AF_INET6) {
		a.family = AF_INET6;
		memcpy(a.addr, &ep->in6.sin6_addr, 16);
		a.prefix = 128;
		/* A v4-mapped endpoint of a dual-stack socket is the IPv4 address. */
		if (IN6_IS_ADDR_V4MAPPED(&ep->in6.sin6_addr)) {
			a.family = AF_INET;
			memmove(a.addr, a.addr + 12, 4);
			a.prefix = 32;
		}
	} else {
		return false;
	}
	for (i = 0; i < sources->n; i++)
		if (cidr_contains(&sources->v[i], &a))
			return true;
	return false;
}

static void endpoints_poll(struct server *s)
{
	struct engine *e = E(s);
	struct wg_device *dev = NULL;
	size_t i;

	if (wg_get(s->wgb, s->c->server.ifname, &dev) < 0)
		return;
	for (i = 0; i < dev->n_peers; i++) {
		const struct wg_peer *p = &dev->peers[i];
		struct acct_device *d = account_find_key(&s->acct, p->public_key);
		struct acct_user *u;
		struct egroup *g;
		bool ok;
		char ep[64] = "none";

		if (!d || !(u = account_user(&s->acct, d->user_id)) ||
		    !(g = group_find(e, u->group_id)) || !g->p.sources.n)
			continue;
		ok = endpoint_inside(&p->endpoint, &g->p.sources);
		if (ok == d->ep_ok)
			continue;
		d->ep_ok = ok;
		wg_endpoint_fmt(&p->endpoint, ep, sizeof(ep));
		if (ok)
			log_info("device %s/%s: endpoint %s inside the group's sources: allowed",
				 u->name, d->name, ep);
		else
			log_warn("device %s/%s: endpoint %s outside the group's sources: blocked",
				 u->name, d->name, ep);
		s->acct.changes++;
		dev_write(s, d, false);
	}
	wg_device_free(dev);
}

/* Signed in: a portal session lives and the kernel's element has not timed out (idle).
 * An idle timeout ends the user's portal sessions too, so the page asks again. */
static void logins_poll(struct server *s)
{
	struct engine *e = E(s);
	uint64_t now_ms = (uint64_t)time(NULL) * 1000;
	size_t i;

	for (i = 0; i < s->acct.n_users; i++) {
		struct acct_user *u = &s->acct.users[i];
		struct acct_device *d;
		struct egroup *g;
		size_t k = 0;
		bool any = false, idle = false;

		if (!(g = group_find(e, u->group_id)) || !g->p.portal_login)
			continue;
		while ((d = account_user_devices(&s->acct, u->id, &k))) {
			if (!d->logged_in)
				continue;
			any = true;
			/* One address tells: the kernel times out both of a device's together. */
			if (g->p.idle_s && d->n_addrs) {
				struct cidr x = d->addrs[0];
				bool in = true;

				x.prefix = x.family == AF_INET ? 32 : 128;
				if (enforce_login_get(e->enf, &x, &in) == 0 && !in)
					idle = true;
			}
		}
		if (!any)
			continue;
		if (idle) {
			log_info("user %s: idle for %u s: signed out of the portal", u->name,
				 g->p.idle_s);
			websession_end_subject(s->web, WEBSESSION_USER, u->id);
			engine_login(s, u->id, false);
		} else if (!websession_subject_live(s->web, WEBSESSION_USER, u->id, now_ms)) {
			engine_login(s, u->id, false);
		}
	}
}

static void on_tick(struct loop *l, struct timer *t, void *data)
{
	struct server *s = data;
	struct engine *e = E(s);

	(void)l;
	if (e->any_sources)
		endpoints_poll(s);
	if (e->any_login)
		logins_poll(s);
	if (e->any_sources || e->any_login)
		timer_arm(t, TICK_MS);
}

/* ---- state ---- */

/* Blocked counters, read from the kernel at most once a second into the devices. */
struct addr_ix {
	uint8_t addr[16];
	int family;
	uint32_t dev;
};

static int addr_ix_cmp(const void *a, const void *b)
{
	const struct addr_ix *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

struct blocked_read {
	struct server *s;
	struct addr_ix *ix;
	size_t n;
};

static int blocked_one(const struct cidr *addr, uint64_t packets, uint64_t bytes, void *arg)
{
	struct blocked_read *b = arg;
	struct addr_ix key = { .family = addr->family }, *hit;

	memcpy(key.addr, addr->addr, (size_t)cidr_addrlen(addr));
	hit = bsearch(&key, b->ix, b->n, sizeof(*b->ix), addr_ix_cmp);
	if (hit) {
		b->s->acct.devs[hit->dev].blocked_packets += packets;
		b->s->acct.devs[hit->dev].blocked_bytes += bytes;
	}
	return 0;
}

static void blocked_refresh(struct server *s)
{
	struct engine *e = E(s);
	struct blocked_read b = { .s = s };
	uint64_t now = loop_now_ms();
	size_t i, k;

	if (!e->converged || (e->blocked_ms && now - e->blocked_ms < 1000))
		return;
	e->blocked_ms = now;
	for (i = 0; i < s->acct.n_devs; i++) {
		struct acct_device *d = &s->acct.devs[i];

		d->blocked_packets = d->blocked_bytes = 0;
		for (k = 0; k < d->n_addrs && k < 2; k++) {
			struct addr_ix *x = array_push(&b.ix, &b.n, sizeof(*x));

			memset(x, 0, sizeof(*x));
			x->family = d->addrs[k].family;
			memcpy(x->addr, d->addrs[k].addr, (size_t)cidr_addrlen(&d->addrs[k]));
			x->dev = (uint32_t)i;
		}
	}
	qsort(b.ix, b.n, sizeof(*b.ix), addr_ix_cmp);
	if (enforce_blocked(e->enf, blocked_one, &b) < 0)
		log_warn("policy: blocked counters: %s", nl_strerror(s->nfnl, -EIO));
	free(b.ix);
}

void engine_device_json(struct server *s, const struct acct_device *d, struct json *j)
{
	struct engine *e = E(s);
	const struct acct_user *u = account_user(&s->acct, d->user_id);
	struct egroup *g = u ? group_find(e, u->group_id) : NULL;

	json_obj_begin(j, "policy");
	if (g) {
		json_bool(j, "schedule_open", g->open);
		if (g->p.sources.n)
			json_bool(j, "endpoint_allowed", d->ep_ok);
		if (g->p.portal_login)
			json_bool(j, "signed_in", d->logged_in);
	}
	blocked_refresh(s);
	json_u64(j, "blocked_packets", d->blocked_packets);
	json_u64(j, "blocked_bytes", d->blocked_bytes);
	json_end(j);
}

void engine_group_json(struct server *s, int64_t group_id, struct json *j)
{
	struct egroup *g = group_find(E(s), group_id);
	char when[32];

	if (!g)
		return;
	json_bool(j, "open", g->open);
	if (g->next) {
		struct tm tm;
		time_t t = g->next;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_str(j, "next", when);
	} else {
		json_null(j, "next");
	}
}

/* ---- lifetime ---- */

int engine_open(struct server *s)
{
	struct engine *e = xcalloc(1, sizeof(*e));
	const char *t = getenv("WARREN_TEST_CLOCK");

	s->engine = e;
	e->test_clock = t && strcmp(t, "1") == 0;
	e->enf = enforce_new(s->nfnl);
	e->sched = timer_new(s->loop, on_sched, s);
	e->tick = timer_new(s->loop, on_tick, s);
	if (!e->enf || !e->sched || !e->tick)
		return -ENOMEM;
	return 0;
}

void engine_remove(struct server *s)
{
	struct engine *e = E(s);

	if (!e)
		return;
	if (enforce_remove(e->enf) < 0)
		log_err("nftables: %s", nl_strerror(s->nfnl, -EIO));
	e->converged = false;
	tc_remove(s);
}

void engine_close(struct server *s)
{
	struct engine *e = E(s);

	if (!e)
		return;
	timer_free(e->sched);
	timer_free(e->tick);
	enforce_free(e->enf);
	groups_clear(e);
	free(e);
	s->engine = NULL;
}

uint64_t engine_dns_refused(struct server *s)
{
	struct engine *e = E(s);
	uint64_t n = 0;

	if (!e || !e->converged || enforce_dns_refused(e->enf, &n) < 0)
		return 0;
	return n;
}
