/* `warren agent`: the daemon that keeps every tunnel of its configuration up, routes into
 * them, SNATs the LAN, restores what others change and removes everything on stop. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "cli.h"
#include "ctl.h"
#include "event.h"
#include "health.h"
#include "journal.h"
#include "linkdns.h"
#include "loop.h"
#include "portal.h"
#include "probe.h"
#include "pulled.h"
#include "resolver.h"
#include "sdnotify.h"
#include "tunnel.h"
#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../netcfg/addr.h"
#include "../netcfg/conntrack.h"
#include "../netcfg/link.h"
#include "../netcfg/monitor.h"
#include "../netcfg/nft.h"
#include "../netcfg/sysctl.h"
#include "../profiles/conf.h"
#include "../profiles/dns.h"

#define GLOBAL_JOURNAL JOURNAL_GLOBAL
#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 60000
#define REPAIR_DELAY_MS 20        /* let a burst of changes settle before repairing */
#define REPAIR_MIN_GAP_MS 200     /* at most five repairs a second */
#define PERIODIC_MS 30000         /* a full reconcile even when nothing was heard */

enum tun_state { TUN_RESOLVING, TUN_STARTING, TUN_UP, TUN_FAILED };

static const char *const tun_state_name[] = { "resolving", "starting", "up", "failed" };

struct tun {
	char name[TUNNEL_NAME_MAX + 1];
	char ifname[IFNAME_MAX + 1];
	unsigned int slot;
	enum tun_state state;
	time_t since;
	char error[256];
	struct plan plan;          /* the last plan applied (dev NULL when none) */
	bool planned;
	char *journal;             /* the journal text last written, to skip rewriting it */
	uint32_t backoff_ms;
	uint64_t retry_at;         /* monotonic ms; 0 = no retry pending */
	pid_t pid;                 /* userspace implementation serving the link */
	int pidfd;
	int ifindex;
	struct prober *probe;      /* NULL: no probe configured */
	uint64_t rx_seen;          /* peers' rx bytes at the last probe event (passive signal) */
	struct probe probe_cfg;    /* what it was started with, to notice a changed one */
	uint64_t up_ms;            /* monotonic ms the tunnel last became usable */
	enum plan_owner taken_by;  /* another role's journal holds the link: hands off */
	unsigned int dns_methods;  /* what may hold the link's DNS, as its journal says */
};

struct grp {
	int active;                /* index into tuns, -1 for none */
	time_t since;
	unsigned int switches;
};

struct agent {
	struct loop *loop;
	struct config *c;
	const char *path;
	const char *state_dir;
	struct nl *nl, *nfnl;
	struct wg_backend *wgb;
	struct resolver *res;
	struct monitor *mon;
	struct ctl *ctl;
	struct tun *tuns;
	size_t n_tuns;
	struct grp *grps;
	size_t n_grps;
	struct plan global;
	char *global_journal;
	struct timer *repair, *retry, *periodic, *watchdog, *hold;
	uint64_t last_converge;
	uint32_t nft_gen;
	uint64_t writes;           /* netlink writes made, for status and benchmarks */
	uint64_t converges;
	time_t started;
	struct portal_client *portal;
	struct linkdns *dns;
	bool adopted;              /* the first configuration is in place */
};

static void agent_schedule(struct agent *a, uint64_t delay_ms);
static void tun_probe_sync(struct agent *a, struct tun *t, const struct tunnel *ct);

/* ---- journals ---- */

static char *plan_text(const struct plan *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	fprintf(f, "%s %s %u %u", p->name, p->ifname, p->slot, p->mtu);
	for (size_t i = 0; i < p->n_addrs; i++) {
		char b[CIDR_STRLEN];

		fprintf(f, " a%s", cidr_fmt(&p->addrs[i], b));
	}
	for (size_t i = 0; i < p->n_routes; i++) {
		char b[CIDR_STRLEN];

		fprintf(f, " r%s/%u/%d/%d", cidr_fmt(&p->routes[i].dst, b), p->routes[i].table,
			(int)p->routes[i].type, p->routes[i].oif);
	}
	fprintf(f, " %zu rules %zu sysctls dns %u", p->n_rules, p->n_sysctls, p->dns_methods);
	fclose(f);
	return buf;
}

/* Write p's journal before applying it, unless what it records did not change. */
static int journal_update(struct agent *a, const struct plan *p, char **last)
{
	char *text = plan_text(p);
	int r = 0;

	if (!*last || strcmp(*last, text) != 0) {
		r = journal_write(a->state_dir, p);
		if (r < 0) {
			log_err("journal %s/journal/%s: %s", a->state_dir,
				p->ifname[0] ? p->ifname : GLOBAL_JOURNAL, strerror(-r));
			free(text);
			return r;
		}
		free(*last);
		*last = text;
	} else {
		free(text);
	}
	return r;
}

/* ---- userspace implementations ---- */

static void tun_unwatch(struct agent *a, struct tun *t)
{
	if (t->pidfd >= 0) {
		loop_del_fd(a->loop, t->pidfd);
		close(t->pidfd);
	}
	t->pidfd = -1;
	t->pid = 0;
}

static void tun_set_state(struct tun *t, enum tun_state s, const char *error)
{
	if (t->state != s)
		t->since = time(NULL);
	t->state = s;
	snprintf(t->error, sizeof(t->error), "%s", error ? error : "");
}

/* Tell on_event when a tunnel starts or stops carrying traffic. */
static void tun_event(struct agent *a, struct tun *t, bool up, const char *reason)
{
	struct event ev = { .name = up ? "tunnel-up" : "tunnel-down", .tunnel = t->name,
			    .reason = reason };

	event_run(&a->c->daemon.on_event, &ev);
}

static void tun_retry(struct agent *a, struct tun *t)
{
	t->backoff_ms = t->backoff_ms ? t->backoff_ms * 2 : RETRY_MIN_MS;
	if (t->backoff_ms > RETRY_MAX_MS)
		t->backoff_ms = RETRY_MAX_MS;
	t->retry_at = loop_now_ms() + t->backoff_ms;
	if (!timer_armed(a->retry))
		timer_arm(a->retry, t->backoff_ms);
}

static void on_pid_exit(struct loop *l, int fd, uint32_t events, void *data)
{
	struct agent *a = data;
	size_t i;

	(void)l;
	(void)events;
	for (i = 0; i < a->n_tuns; i++) {
		struct tun *t = &a->tuns[i];

		if (t->pidfd != fd)
			continue;
		log_warn("tunnel %s: %s (pid %d) exited; restarting it", t->name,
			 a->c->daemon.userspace_command, (int)t->pid);
		tun_unwatch(a, t);
		if (t->state == TUN_UP)
			tun_event(a, t, false, "userspace implementation exited");
		tun_set_state(t, TUN_FAILED, "userspace implementation exited");
		tun_retry(a, t);
		agent_schedule(a, 0);
		return;
	}
}

/* Watch the process serving t's link, whether we started it or a previous run did. */
static void tun_watch(struct agent *a, struct tun *t, pid_t pid)
{
	int fd;

	if (a->c->daemon.backend == BACKEND_KERNEL || t->pidfd >= 0)
		return;
	if (!pid && wg_uapi_pid(t->ifname, &pid) < 0)
		return;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return;
	if (loop_add_fd(a->loop, fd, EPOLLIN, on_pid_exit, a) < 0) {
		close(fd);
		return;
	}
	t->pid = pid;
	t->pidfd = fd;
}

static void on_sigchld(struct loop *l, int signo, void *data)
{
	struct agent *a = data;
	int status;
	pid_t pid;

	(void)l;
	(void)signo;
	/* Exits are noticed through pidfds, except resolvconf's, whose status matters. */
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		linkdns_reaped(a->dns, pid, status);
}

/* ---- DNS ---- */

static struct tun *tun_by_ifname(struct agent *a, const char *ifname)
{
	size_t i;

	for (i = 0; i < a->n_tuns; i++)
		if (strcmp(a->tuns[i].ifname, ifname) == 0)
			return &a->tuns[i];
	return NULL;
}

/* linkdns records a method before using it: into the tunnel's journal, with its plan. */
static int on_dns_journal(void *ctx, const char *ifname, unsigned int methods)
{
	struct agent *a = ctx;
	struct tun *t = tun_by_ifname(a, ifname);

	if (!t || !t->planned)
		return -ENOENT;
	t->dns_methods = methods;
	t->plan.dns_methods = methods;
	return journal_update(a, &t->plan, &t->journal);
}

static const struct linkdns_ops agent_dns_ops = { on_dns_journal, NULL };

/* Each tunnel owns its link's DNS; a link that is not up keeps what it has until it is. */
static void tun_dns_sync(struct agent *a, struct tun *t, const struct tunnel *ct)
{
	struct dns_conf dc;
	char err[256];

	if (!ct || t->state != TUN_UP || !t->ifindex)
		return;
	dns_conf_from_tunnel(&dc, ct);
	linkdns_set(a->dns, t->name, t->ifname, t->ifindex, &dc, t->dns_methods, err, sizeof(err));
	dns_conf_clear(&dc);
}

/* Undo ifname's DNS before its link goes; false when that failed (the journal then stays,
 * so the next start or down tries again). */
static bool agent_dns_remove(struct agent *a, const char *name, const char *ifname,
			     unsigned int methods)
{
	struct linkdns_status st;
	char err[256] = "";
	struct link l;

	if (!methods && !linkdns_status(a->dns, ifname, &st))
		return true;
	if (linkdns_remove(a->dns, ifname, link_get(a->nl, ifname, &l) == 0 ? l.index : 0, methods,
			   err, sizeof(err)) == 0)
		return true;
	log_err("tunnel %s: DNS: %s", name, err);
	return false;
}

/* ---- converging ---- */

static int tun_converge(struct agent *a, struct tun *t, const struct tunnel *ct,
			const struct tunnel_snapshot *snap,
			const struct cidrv *group_routes)
{
	struct plan_opts o = {
		.backend = wg_backend_kind(a->wgb), .slot = t->slot, .agent = true,
		.group_routes = group_routes, .resolve = resolver_plan_cb, .resolve_ctx = a->res,
	};
	struct tunnel_stats st = { 0 };
	struct diag d = { 0 };
	struct plan p;
	char err[256] = "";
	int r;

	if (t->taken_by) {
		if (t->state != TUN_FAILED) {
			snprintf(err, sizeof(err), "link %s belongs to the running %s", t->ifname,
				 journal_owner_name(t->taken_by));
			log_err("tunnel %s: %s", t->name, err);
			tun_set_state(t, TUN_FAILED, err);
		}
		return -EBUSY;
	}
	if (t->retry_at && loop_now_ms() < t->retry_at)
		return -EAGAIN;
	t->retry_at = 0;
	r = plan_tunnel(&p, a->c, ct, &o, a->nl, &d);
	if (r == -EAGAIN) {
		if (t->state != TUN_UP)
			tun_set_state(t, TUN_RESOLVING, "resolving endpoints");
		/* A failed lookup is retried after its backoff: come back then. */
		tun_retry(a, t);
		goto out;
	}
	if (r < 0) {
		tun_set_state(t, TUN_FAILED, d.n ? d.items[0].text : strerror(-r));
		tun_retry(a, t);
		goto out;
	}
	if (t->state != TUN_UP)
		tun_set_state(t, TUN_STARTING, NULL);
	p.owner = OWNER_AGENT;
	p.dns_methods = t->dns_methods;
	r = journal_update(a, &p, &t->journal);
	if (r == 0)
		r = tunnel_apply(a->nl, a->wgb, &p, a->c->daemon.userspace_command, snap, &st, err,
				 sizeof(err));
	if (r < 0) {
		log_err("tunnel %s: %s", t->name, err[0] ? err : strerror(-r));
		if (t->state == TUN_UP)
			tun_event(a, t, false, err[0] ? err : strerror(-r));
		tun_set_state(t, TUN_FAILED, err[0] ? err : strerror(-r));
		tun_retry(a, t);
		plan_clear(&p);
		goto out;
	}
	a->writes += st.created + st.peers + st.writes;
	if (st.created || st.peers || st.writes)
		log_info("tunnel %s: %s%zu peer and %zu link writes", t->name,
			 st.created ? "link created, " : "", st.peers, st.writes);
	/* A new implementation replaces whatever was watched (a dead one's exit may still be
	 * on its way). */
	if (st.pid)
		tun_unwatch(a, t);
	tun_watch(a, t, st.pid);
	if (t->state != TUN_UP) {
		log_info("tunnel %s: up on %s", t->name, t->ifname);
		tun_event(a, t, true, "link configured");
		t->up_ms = loop_now_ms();
	}
	tun_set_state(t, TUN_UP, NULL);
	t->backoff_ms = 0;
	if (t->planned)
		plan_clear(&t->plan);
	t->plan = p;
	t->planned = true;
out:
	diag_clear(&d);
	return r;
}

/* Global addresses of the host outside warren's tunnels: replies from them stay on main. */
static void native_addrs(struct agent *a, const struct tunnel_snapshot *snap, struct cidrv *out)
{
	const struct addr *addrs = snap->addrs;
	size_t n = snap->n_addrs, i, j;

	for (i = 0; i < n; i++) {
		bool tunnel = false;

		if (addrs[i].scope != 0)   /* RT_SCOPE_UNIVERSE only: not link-local, not host */
			continue;
		for (j = 0; j < a->n_tuns && !tunnel; j++)
			tunnel = a->tuns[j].state == TUN_UP && a->tuns[j].ifindex == addrs[i].ifindex;
		if (!tunnel)
			cidrv_push(out, &addrs[i].addr);
	}
}

static int group_member_index(const struct agent *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n_tuns; i++)
		if (strcmp(a->tuns[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* A member can carry a group's traffic: its link is up and its probe (if any) is not
 * failing. A probe still without a verdict counts as usable, so a fresh start does not
 * black-hole anything while the first replies are on their way. */
static bool tun_usable(const struct tun *t)
{
	return t->state == TUN_UP &&
	       (!t->probe || probe_health(t->probe)->state != HEALTH_DOWN);
}

/* How long t must still stay usable before it may take a group back (0: now). */
static uint64_t tun_hold_left(const struct tun *t, uint32_t hold_ms, uint64_t now)
{
	if (t->probe && probe_health(t->probe)->state == HEALTH_UP)
		return health_hold_left_ms(probe_health(t->probe), hold_ms, now);
	return now - t->up_ms >= hold_ms ? 0 : hold_ms - (now - t->up_ms);
}

/* The active member of each group: the first usable member, except that one preferred
 * over the current active member must first have stayed usable for its hold (which
 * grows while it flaps). A failed active member is replaced at once. Returns the number
 * of switches; old[g] gets the member each switched group left. */
static size_t groups_choose(struct agent *a, int *old)
{
	uint64_t now = loop_now_ms(), wait = 0;
	size_t g, m, switched = 0;

	for (g = 0; g < a->n_grps; g++) {
		const struct group *gr = &a->c->groups[g];
		int cur = a->grps[g].active, pick = -1;

		old[g] = -1;
		for (m = 0; m < gr->members.n; m++) {
			int i = group_member_index(a, gr->members.v[m]);
			uint64_t left;

			if (i < 0 || !tun_usable(&a->tuns[i]))
				continue;
			if (i == cur) {
				pick = i;
				break;
			}
			left = cur >= 0 && tun_usable(&a->tuns[cur]) ? tun_hold_left(&a->tuns[i], gr->hold_ms, now) : 0;
			if (left == 0) {
				pick = i;
				break;
			}
			/* Preferred but still on hold: look again when it may win back. */
			if (!wait || left < wait)
				wait = left;
		}
		if (pick == cur)
			continue;
		{
			struct event ev = {
				.name = "group-switch", .group = gr->name,
				.active = pick >= 0 ? a->tuns[pick].name : NULL,
				.previous = cur >= 0 ? a->tuns[cur].name : NULL,
				.reason = pick < 0 ? "no member is usable" :
					  cur >= 0 && !tun_usable(&a->tuns[cur]) ? "active member failed" :
					  "preferred member is back",
			};

			log_info("group %s: active %s (was %s): %s", gr->name, ev.active ? ev.active : "none",
				 ev.previous ? ev.previous : "none", ev.reason);
			event_run(&a->c->daemon.on_event, &ev);
		}
		if (a->grps[g].since)
			a->grps[g].switches++;
		old[g] = cur;
		a->grps[g].active = pick;
		a->grps[g].since = time(NULL);
		switched++;
	}
	if (wait && wait != UINT64_MAX)
		timer_arm(a->hold, wait);
	return switched;
}

/* Flows a group SNATed through a member it left keep their NAT binding to the dead
 * address: forget them so their next packet is translated for the new member. */
static void groups_flush_nat(struct agent *a, const int *old)
{
	size_t g, k;

	for (g = 0; g < a->n_grps; g++) {
		const struct tunnel *ct;
		size_t n;

		if (old[g] < 0 || old[g] == a->grps[g].active)
			continue;
		ct = config_find_tunnel(a->c, a->tuns[old[g]].name);
		for (k = 0; ct && ct->snat && k < ct->addresses.n; k++) {
			int r = conntrack_flush_nat(a->nfnl, &ct->addresses.v[k], &n);

			if (r < 0)
				log_warn("tunnel %s: forgetting its NAT flows: %s", ct->name, nl_strerror(a->nfnl, r));
			else if (n)
				log_info("tunnel %s: forgot %zu NAT flows", ct->name, n);
		}
	}
}

static void global_sysctls(struct agent *a, struct plan *p)
{
	static const char *const fwd[] = { "net/ipv4/ip_forward", "net/ipv6/conf/all/forwarding" };
	struct plan_sysctl *s;
	struct plan fresh = { 0 };
	size_t i, j;

	s = array_push(&p->sysctls, &p->n_sysctls, sizeof(*s));
	snprintf(s->path, sizeof(s->path), "net/ipv4/conf/all/src_valid_mark");
	snprintf(s->value, sizeof(s->value), "1");
	for (i = 0; a->c->lan.interfaces.n && i < ARRAY_SIZE(fwd); i++) {
		s = array_push(&p->sysctls, &p->n_sysctls, sizeof(*s));
		snprintf(s->path, sizeof(s->path), "%s", fwd[i]);
		snprintf(s->value, sizeof(s->value), "1");
	}
	/* The value before warren: kept from the journal across reloads and restarts. */
	for (i = 0; i < p->n_sysctls; i++) {
		bool known = false;

		for (j = 0; j < a->global.n_sysctls && !known; j++) {
			if (strcmp(a->global.sysctls[j].path, p->sysctls[i].path) == 0) {
				memcpy(p->sysctls[i].old, a->global.sysctls[j].old, SYSCTL_VALUE_MAX);
				known = true;
			}
		}
		if (known)
			continue;
		s = array_push(&fresh.sysctls, &fresh.n_sysctls, sizeof(*s));
		*s = p->sysctls[i];
		if (sysctl_get(s->path, s->old, SYSCTL_VALUE_MAX) < 0)
			s->old[0] = '\0';
	}
	/* A new one that `warren up` or the server changed first: theirs is from before warren. */
	if (fresh.n_sysctls)
		journal_sysctls_shared(a->state_dir, GLOBAL_JOURNAL, &fresh, NULL);
	for (i = 0; i < fresh.n_sysctls; i++)
		for (j = 0; j < p->n_sysctls; j++)
			if (strcmp(fresh.sysctls[i].path, p->sysctls[j].path) == 0)
				memcpy(p->sysctls[j].old, fresh.sysctls[i].old, SYSCTL_VALUE_MAX);
	free(fresh.sysctls);
}

static void nft_spec_build(struct agent *a, struct nft_spec *spec, struct nft_tunnel **tuns)
{
	size_t i, n = 0;

	memset(spec, 0, sizeof(*spec));
	*tuns = xcalloc(a->n_tuns, sizeof(**tuns));
	for (i = 0; i < a->n_tuns; i++) {
		const struct tunnel *ct = config_find_tunnel(a->c, a->tuns[i].name);
		struct nft_tunnel *nt = &(*tuns)[n];

		if (!ct || a->tuns[i].state != TUN_UP)
			continue;
		nt->ifname = ct->ifname;
		nt->families = ct->families;
		nt->snat = ct->snat;
		nt->allow_inbound = ct->allow_inbound;
		nt->addrs = ct->addresses;
		n++;
	}
	spec->lan_ifs = a->c->lan.interfaces;
	spec->lan_subnets = a->c->lan.subnets;
	spec->tunnels = *tuns;
	spec->n_tunnels = n;
}

/* snap: the state read at the start of this converge, or NULL to read it now. */
static int global_converge(struct agent *a, const struct tunnel_snapshot *snap)
{
	struct tunnel_snapshot own = { 0 };
	struct agent_link *links = xcalloc(a->n_tuns + 1, sizeof(*links));
	int *active = xcalloc(a->n_grps + 1, sizeof(*active));
	struct cidrv native = { 0 };
	struct tunnel_stats st = { 0 };
	struct nft_tunnel *nts;
	struct nft_spec spec;
	struct plan p;
	char err[256] = "";
	bool match = false;
	size_t i, n = 0;
	int r;

	for (i = 0; i < a->n_tuns; i++) {
		const struct tunnel *ct = config_find_tunnel(a->c, a->tuns[i].name);

		links[i].ifname = a->tuns[i].ifname;
		links[i].slot = a->tuns[i].slot;
		links[i].families = ct ? ct->families : 0;
		links[i].ifindex = a->tuns[i].state == TUN_UP ? a->tuns[i].ifindex : 0;
		n++;
	}
	for (i = 0; i < a->n_grps; i++)
		active[i] = a->grps[i].active;
	if (!snap && tunnel_snapshot_take(a->nl, &own) == 0)
		snap = &own;
	if (snap)
		native_addrs(a, snap, &native);
	agent_plan_routing(&p, a->c, links, n, active, native.v, native.n);
	global_sysctls(a, &p);
	r = journal_update(a, &p, &a->global_journal);
	if (r == 0)
		r = tunnel_apply(a->nl, a->wgb, &p, NULL, snap, &st, err, sizeof(err));
	a->writes += st.writes;
	if (r < 0)
		log_err("routing: %s", err[0] ? err : strerror(-r));
	else if (st.writes)
		log_info("routing: %zu writes", st.writes);
	plan_clear(&a->global);
	a->global = p;

	nft_spec_build(a, &spec, &nts);
	if (nft_matches(a->nfnl, &spec, &match) == 0 && !match) {
		int e = nft_apply(a->nfnl, &spec, &a->nft_gen);

		a->writes++;
		if (e < 0) {
			log_err("nftables: %s", nl_strerror(a->nfnl, e));
			r = r ? r : e;
		} else {
			monitor_own_nft_gen(a->mon, a->nft_gen);
			log_info("nftables: table inet warren written");
		}
	}
	free(nts);
	cidrv_clear(&native);
	tunnel_snapshot_clear(&own);
	free(links);
	free(active);
	return r;
}

static void monitor_update(struct agent *a)
{
	struct monitor_link *links = xcalloc(a->n_tuns + 1, sizeof(*links));
	struct monitor_interest in = { 0 };
	size_t i;

	for (i = 0; i < a->n_tuns; i++) {
		links[i].name = a->tuns[i].ifname;
		links[i].ifindex = a->tuns[i].ifindex;
	}
	in.links = links;
	in.n_links = a->n_tuns;
	in.protocol = a->c->daemon.route_protocol;
	in.nft_table = NFT_TABLE_AGENT;
	monitor_set_interest(a->mon, &in);
	free(links);
}

static void agent_converge(struct agent *a)
{
	struct tunnel_snapshot snap = { 0 };
	bool have_snap;
	uint64_t next = 0;
	size_t i, switched;
	int *old;

	a->last_converge = loop_now_ms();
	a->converges++;
	/* One read of the kernel serves every tunnel and the agent's own routing. */
	have_snap = tunnel_snapshot_take(a->nl, &snap) == 0;
	for (i = 0; i < a->n_tuns; i++) {
		struct tun *t = &a->tuns[i];
		const struct tunnel *ct = config_find_tunnel(a->c, t->name);
		struct cidrv group_routes = { 0 };
		struct link l;
		size_t g, m, k;

		for (g = 0; g < a->c->n_groups; g++)
			for (m = 0; m < a->c->groups[g].members.n; m++)
				if (strcmp(a->c->groups[g].members.v[m], t->name) == 0)
					for (k = 0; k < a->c->groups[g].routes.n; k++)
						cidrv_push(&group_routes, &a->c->groups[g].routes.v[k]);
		tun_converge(a, t, ct, have_snap ? &snap : NULL, &group_routes);
		cidrv_clear(&group_routes);
		t->ifindex = link_get(a->nl, t->ifname, &l) == 0 ? l.index : 0;
		if (ct)
			tun_probe_sync(a, t, ct);
		tun_dns_sync(a, t, ct);
		if (t->retry_at && (!next || t->retry_at < next))
			next = t->retry_at;
	}
	old = xcalloc(a->n_grps + 1, sizeof(*old));
	switched = groups_choose(a, old);
	global_converge(a, have_snap ? &snap : NULL);
	tunnel_snapshot_clear(&snap);
	if (switched)
		groups_flush_nat(a, old);
	free(old);
	monitor_update(a);
	if (next) {
		uint64_t now = loop_now_ms();

		timer_arm(a->retry, next > now ? next - now : 0);
	}
}

static void on_repair(struct loop *l, struct timer *t, void *data)
{
	(void)l;
	(void)t;
	agent_converge(data);
}

/* Converge soon, but never more often than REPAIR_MIN_GAP_MS. */
static void agent_schedule(struct agent *a, uint64_t delay_ms)
{
	uint64_t now = loop_now_ms(), earliest = a->last_converge + REPAIR_MIN_GAP_MS;

	if (now + delay_ms < earliest)
		delay_ms = earliest - now;
	if (!timer_armed(a->repair))
		timer_arm(a->repair, delay_ms);
}

static void on_periodic(struct loop *l, struct timer *t, void *data)
{
	(void)l;
	agent_schedule(data, 0);
	timer_arm(t, PERIODIC_MS);
}

static void on_watchdog(struct loop *l, struct timer *t, void *data)
{
	(void)l;
	(void)data;
	sd_notify_watchdog();
	timer_arm(t, sd_watchdog_interval_ms() / 2 + 1);
}

static void on_resolved(void *data)
{
	agent_schedule(data, 0);
}

/* ---- probes: health moves groups ---- */

/* Re-choose active members and move only the routing: the sub-second path. */
static void agent_groups(struct agent *a)
{
	int *old = xcalloc(a->n_grps + 1, sizeof(*old));

	if (groups_choose(a, old)) {
		global_converge(a, NULL);
		groups_flush_nat(a, old);
	}
	free(old);
}

static void on_hold(struct loop *l, struct timer *t, void *data)
{
	(void)l;
	(void)t;
	agent_groups(data);
}

/* The passive side of a health change: the newest handshake and whether anything was
 * received since the last change, read from the device. */
static void tun_passive(struct agent *a, struct tun *t, char *buf, size_t size)
{
	struct wg_device *dev = NULL;
	int64_t newest = 0;
	uint64_t rx = 0;
	size_t i;

	buf[0] = '\0';
	if (wg_get(a->wgb, t->ifname, &dev) < 0)
		return;
	for (i = 0; i < dev->n_peers; i++) {
		rx += dev->peers[i].rx_bytes;
		if (dev->peers[i].last_handshake_sec > newest)
			newest = dev->peers[i].last_handshake_sec;
	}
	if (newest)
		snprintf(buf, size, "; handshake %llds ago, %s", (long long)(time(NULL) - newest),
			 rx > t->rx_seen ? "receiving" : "nothing received since");
	else
		snprintf(buf, size, "; no handshake yet");
	t->rx_seen = rx;
	wg_device_free(dev);
}

static void on_probe(struct prober *p, enum health_event ev, const char *reason, void *data)
{
	struct agent *a = data;
	char passive[96], why[HEALTH_REASON_MAX + 96];
	size_t i;

	for (i = 0; i < a->n_tuns; i++) {
		struct tun *t = &a->tuns[i];

		if (t->probe != p)
			continue;
		tun_passive(a, t, passive, sizeof(passive));
		snprintf(why, sizeof(why), "%s%s", reason, passive);
		if (ev == HEALTH_EV_UP) {
			log_info("tunnel %s: probe %s healthy: %s", t->name, probe_ifname(p), why);
			t->up_ms = loop_now_ms();
		} else {
			log_warn("tunnel %s: probe %s failing: %s", t->name, probe_ifname(p), why);
		}
		tun_event(a, t, ev == HEALTH_EV_UP, why);
		agent_groups(a);
		return;
	}
}

/* Start, restart (changed settings) or stop t's probe to match the configuration. */
static void tun_probe_sync(struct agent *a, struct tun *t, const struct tunnel *ct)
{
	int r;

	if (t->probe && ct->probe.enabled && memcmp(&t->probe_cfg, &ct->probe, sizeof(ct->probe)) == 0)
		return;
	probe_free(t->probe);
	t->probe = NULL;
	if (!ct->probe.enabled)
		return;
	r = probe_new(a->loop, t->ifname, &ct->probe, on_probe, a, &t->probe);
	if (r < 0) {
		log_err("tunnel %s: probe: %s", t->name, strerror(-r));
		return;
	}
	t->probe_cfg = ct->probe;
}

/* ---- the monitor: repair what others change ---- */

static void on_event(const struct monitor_event *ev, void *data)
{
	static const char *const what[] = { "link", "address", "route", "rule", "nftables table",
					    "notifications" };
	struct agent *a = data;

	/* Our own changes come back as notifications too. */
	if (ev->portid && ev->portid == a->nl->portid)
		return;
	if (ev->kind == MON_NFT && ev->nft_pid == (uint32_t)getpid())
		return;
	if (ev->kind == MON_OVERRUN)
		log_warn("netlink notifications were lost; checking everything");
	else if (ev->portid == 0 && ev->kind != MON_NFT)
		log_debug("%s %s changed by the kernel; checking", what[ev->kind], ev->ifname);
	else
		log_info("%s %s%s%s by %s; restoring", what[ev->kind],
			 ev->ifname[0] ? ev->ifname : "", ev->ifname[0] ? " " : "",
			 ev->deleted ? "deleted" : "changed",
			 ev->nft_comm[0] ? ev->nft_comm : "someone else");
	agent_schedule(a, REPAIR_DELAY_MS);
}

static void on_monitor(struct loop *l, int fd, uint32_t events, void *data)
{
	struct agent *a = data;

	(void)l;
	(void)events;
	monitor_read(a->mon, fd);
}

/* ---- tunnels of a configuration ---- */

static void tun_init(struct tun *t, const struct tunnel *ct)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", ct->name);
	snprintf(t->ifname, sizeof(t->ifname), "%s", ct->ifname);
	t->pidfd = -1;
	t->since = time(NULL);
	t->state = TUN_STARTING;
}

static void tun_remove(struct agent *a, struct tun *t)
{
	char err[256] = "";
	struct plan j;
	bool dns_ok;
	int r;

	tun_unwatch(a, t);
	probe_free(t->probe);
	t->probe = NULL;
	r = t->taken_by ? -EBUSY : journal_read(a->state_dir, t->ifname, &j);
	/* Another role's link keeps its DNS too. */
	dns_ok = t->taken_by || agent_dns_remove(a, t->name, t->ifname,
						 t->dns_methods | (r == 0 ? j.dns_methods : 0));
	if (r == 0) {
		r = tunnel_remove(a->nl, a->wgb, &j, NULL, err, sizeof(err));
		if (r < 0)
			log_err("tunnel %s: removing: %s", t->name, err);
		else if (dns_ok)
			journal_remove(a->state_dir, t->ifname);
		plan_clear(&j);
	}
	t->dns_methods = 0;
	if (t->planned)
		plan_clear(&t->plan);
	free(t->journal);
	t->journal = NULL;
	t->planned = false;
}

static bool slot_used(const struct tun *tuns, size_t n, const bool *foreign, unsigned int slot)
{
	size_t i;

	if (slot < PLAN_SLOTS && foreign[slot])
		return true;
	for (i = 0; i < n; i++)
		if (tuns[i].slot == slot)
			return true;
	return false;
}

/* Slots whose tables and rule priorities `warren up` tunnels hold. */
static void foreign_slots(const struct agent *a, bool foreign[PLAN_SLOTS])
{
	char (*names)[IFNAME_MAX + 1];
	size_t n, i;

	memset(foreign, 0, PLAN_SLOTS * sizeof(*foreign));
	if (journal_list(a->state_dir, &names, &n) < 0)
		return;
	for (i = 0; i < n; i++) {
		struct plan jp;

		if (journal_read(a->state_dir, names[i], &jp) < 0)
			continue;
		if (jp.owner == OWNER_UP)
			foreign[jp.slot] = true;
		plan_clear(&jp);
	}
	free(names);
}

/* Line up runtime tunnels with config c: kept ones keep their slot and state (so their
 * tables do not move), gone ones are removed, new ones get the lowest free slot, or the
 * slot a journal from an earlier run gives them. */
static int agent_adopt(struct agent *a, struct config *c)
{
	struct tun *tuns = xcalloc(c->n_tunnels + 1, sizeof(*tuns));
	bool foreign[PLAN_SLOTS];
	struct grp *grps;
	size_t i, j;

	if (c->n_tunnels > AGENT_MAX_TUNNELS || c->n_groups > AGENT_MAX_GROUPS) {
		log_err("at most %d tunnels and %d groups", AGENT_MAX_TUNNELS, AGENT_MAX_GROUPS);
		free(tuns);
		return -E2BIG;
	}
	foreign_slots(a, foreign);
	for (i = 0; i < a->n_tuns; i++) {
		const struct tunnel *ct = config_find_tunnel(c, a->tuns[i].name);

		if (!ct || strcmp(ct->ifname, a->tuns[i].ifname) != 0) {
			log_info("tunnel %s: removed from the configuration", a->tuns[i].name);
			tun_remove(a, &a->tuns[i]);
		}
	}
	for (i = 0; i < c->n_tunnels; i++) {
		const struct tunnel *ct = &c->tunnels[i];
		struct tun *old = NULL;
		struct plan jp;

		for (j = 0; j < a->n_tuns && !old; j++)
			if (strcmp(a->tuns[j].name, ct->name) == 0 &&
			    strcmp(a->tuns[j].ifname, ct->ifname) == 0)
				old = &a->tuns[j];
		if (old) {
			tuns[i] = *old;
			continue;
		}
		tun_init(&tuns[i], ct);
		tuns[i].slot = PLAN_SLOTS;
		if (journal_read(a->state_dir, ct->ifname, &jp) == 0) {
			if (jp.owner == OWNER_UP || jp.owner == OWNER_SERVER)
				tuns[i].taken_by = jp.owner;
			else if (!slot_used(tuns, i, foreign, jp.slot))
				tuns[i].slot = jp.slot;
			/* A crash may have left DNS applied: it stays recorded until undone. */
			tuns[i].dns_methods = jp.dns_methods;
			plan_clear(&jp);
		}
	}
	for (i = 0; i < c->n_tunnels; i++) {
		unsigned int s = 0;

		if (tuns[i].slot < AGENT_MAX_TUNNELS)
			continue;
		while (slot_used(tuns, c->n_tunnels, foreign, s))
			s++;
		tuns[i].slot = s;
	}
	/* Groups keep their active member (by name) and switch count across a reload. */
	grps = xcalloc(c->n_groups + 1, sizeof(*grps));
	for (i = 0; i < c->n_groups; i++) {
		grps[i].active = -1;
		for (j = 0; j < a->n_grps; j++) {
			if (strcmp(a->c->groups[j].name, c->groups[i].name) != 0)
				continue;
			grps[i] = a->grps[j];
			grps[i].active = -1;
			for (size_t k = 0; a->grps[j].active >= 0 && k < c->n_tunnels; k++)
				if (strcmp(tuns[k].name, a->tuns[a->grps[j].active].name) == 0)
					grps[i].active = (int)k;
		}
	}
	free(a->tuns);
	a->tuns = tuns;
	a->n_tuns = c->n_tunnels;
	free(a->grps);
	a->grps = grps;
	a->n_grps = c->n_groups;
	return 0;
}

/* Journals of links this configuration no longer has: a crash left them behind. */
static void agent_sweep(struct agent *a)
{
	char (*names)[IFNAME_MAX + 1];
	size_t n, i, j;

	if (journal_list(a->state_dir, &names, &n) < 0)
		return;
	for (i = 0; i < n; i++) {
		bool known = false, dns_ok;
		struct plan jp;
		char err[256];

		for (j = 0; j < a->n_tuns && !known; j++)
			known = strcmp(a->tuns[j].ifname, names[i]) == 0;
		if (known || journal_read(a->state_dir, names[i], &jp) < 0)
			continue;
		/* `warren up` and the server keep theirs. */
		if (jp.owner != OWNER_AGENT && jp.owner != OWNER_UNKNOWN) {
			plan_clear(&jp);
			continue;
		}
		log_info("link %s: left by an earlier run; removing it", names[i]);
		dns_ok = agent_dns_remove(a, jp.name[0] ? jp.name : names[i], names[i], jp.dns_methods);
		if (tunnel_remove(a->nl, a->wgb, &jp, NULL, err, sizeof(err)) < 0)
			log_err("link %s: %s", names[i], err);
		else if (dns_ok)
			journal_remove(a->state_dir, names[i]);
		plan_clear(&jp);
	}
	free(names);
}

static void agent_stop_all(struct agent *a)
{
	char err[256] = "";
	struct plan g;
	size_t i;
	int r;

	for (i = 0; i < a->n_tuns; i++)
		tun_remove(a, &a->tuns[i]);
	if (nft_remove(a->nfnl, NFT_TABLE_AGENT) < 0)
		log_err("nftables: removing table inet warren: %s", nl_strerror(a->nfnl, -1));
	/* The journal has the values from before warren, also across restarts. */
	if (journal_read(a->state_dir, GLOBAL_JOURNAL, &g) == 0) {
		bool *keep = xcalloc(g.n_sysctls + 1, sizeof(*keep));

		/* Forwarding stays on while `warren up` tunnels or the server still need it. */
		journal_sysctls_shared(a->state_dir, GLOBAL_JOURNAL, &g, keep);
		r = tunnel_remove(a->nl, NULL, &g, keep, err, sizeof(err));
		free(keep);
		if (r < 0)
			log_err("routing: %s", err);
		else
			journal_remove(a->state_dir, GLOBAL_JOURNAL);
		plan_clear(&g);
	}
}

/* ---- reload and control ---- */


/* Parse into a fresh model; on any error the running one stays. */
/* ---- the portal ---- */

/* The tunnels of a profile into c, keyed with the private key made at enrolment. */
static void agent_pulled_add(struct agent *a, struct config *c, const struct profile *p)
{
	char *path = xasprintf("%s/portal/wg.key", a->state_dir);
	uint8_t key[KEY_LEN];
	struct diag d = { 0 };

	if (key_read_file(key, path) < 0) {
		log_err("portal: %s: cannot read the key made at enrolment; the profile's tunnels "
			"are left out", path);
	} else {
		pulled_add(c, p, key, &d);
		diag_print(&d, stderr);
	}
	sodium_memzero(key, sizeof(key));
	diag_clear(&d);
	free(path);
}

/* The running profile, if any, into a configuration about to be adopted. */
static void agent_pulled_again(struct agent *a, struct config *c)
{
	struct profile p = { 0 };

	if (a->portal && portal_client_profile(a->portal, &p) == 0) {
		agent_pulled_add(a, c, &p);
		profile_clear(&p);
	}
}

/* A new verified profile: the file read again plus the profile's tunnels, applied as a
 * reload is, so tunnels that did not change are not touched. */
static void on_profile(const struct profile *p, void *data)
{
	struct agent *a = data;
	struct diag d = { 0 };
	struct config *c;

	if (!a->adopted) {
		/* At start, from the cache: before the first configuration is applied. */
		agent_pulled_add(a, a->c, p);
		return;
	}
	c = cli_load(a->path, &d);
	if (d.errors) {
		log_err("portal: profile %" PRIu64 " waits: %s has errors now (%s)", p->serial,
			a->path, diag_first_error(&d));
		config_free(c);
		diag_clear(&d);
		return;
	}
	diag_clear(&d);
	free(c->daemon.state_dir);
	c->daemon.state_dir = xstrdup(a->c->daemon.state_dir);
	c->daemon.backend = a->c->daemon.backend;
	agent_pulled_add(a, c, p);
	if (agent_adopt(a, c) < 0) {
		config_free(c);
		return;
	}
	config_free(a->c);
	a->c = c;
	a->state_dir = c->daemon.state_dir;
	resolver_flush(a->res);
	log_info("portal: profile %" PRIu64 " of device %s applied", p->serial, p->device);
	agent_converge(a);
}

static bool portal_conf_equal(const struct portal_conf *x, const struct portal_conf *y)
{
	return x->enabled == y->enabled && x->interval == y->interval &&
	       strcmp(x->url ? x->url : "", y->url ? y->url : "") == 0 &&
	       strcmp(x->ca_file ? x->ca_file : "", y->ca_file ? y->ca_file : "") == 0;
}

static void agent_portal_start(struct agent *a)
{
	int r;

	if (!a->c->portal.enabled)
		return;
	r = portal_client_new(&a->portal, a->loop, a->state_dir, &a->c->portal,
			      a->c->daemon.fwmark, on_profile, a);
	if (r < 0) {
		log_err("portal %s: %s; running without it", a->c->portal.url,
			r == -ENOENT ? "this host is not enrolled (warren enroll)" : strerror(-r));
		a->portal = NULL;
	}
}

static int agent_reload(struct agent *a, struct json *reply)
{
	struct diag d = { 0 };
	struct config *c;
	bool portal_changed;
	int r = 0;

	sd_notify_reloading();
	c = cli_load(a->path, &d);
	if (d.errors) {
		size_t i;

		for (i = 0; i < d.n; i++) {
			if (!d.items[i].is_error)
				continue;
			log_err("reload: %s", d.items[i].text);
			if (reply)
				json_rawf(reply, "%s\n", d.items[i].text);
		}
		log_err("reload: configuration has errors; keeping the running one");
		config_free(c);
		r = -EINVAL;
		goto out;
	}
	if (strcmp(c->daemon.state_dir, a->c->daemon.state_dir) != 0 ||
	    c->daemon.backend != a->c->daemon.backend)
		log_warn("reload: state_dir and backend take effect at the next start");
	free(c->daemon.state_dir);
	c->daemon.state_dir = xstrdup(a->c->daemon.state_dir);
	c->daemon.backend = a->c->daemon.backend;
	agent_pulled_again(a, c);
	r = agent_adopt(a, c);
	if (r < 0) {
		config_free(c);
		goto out;
	}
	portal_changed = !portal_conf_equal(&c->portal, &a->c->portal);
	config_free(a->c);
	a->c = c;
	a->state_dir = c->daemon.state_dir;
	resolver_flush(a->res);
	log_info("reload: %s read", a->path);
	agent_converge(a);
	if (portal_changed || (!a->portal && a->c->portal.enabled)) {
		/* Another portal, CA or interval, or one that could not start before (not
		 * enrolled then): start over. The cache runs again through the same diff,
		 * which changes nothing. */
		portal_client_free(a->portal);
		a->portal = NULL;
		agent_portal_start(a);
	}
out:
	diag_clear(&d);
	sd_notify_ready();
	return r;
}

/* The tunnel's DNS as configured and how far it got; nothing when it has none. */
static void status_dns(struct agent *a, struct json *j, const struct tun *t, const struct tunnel *ct)
{
	struct linkdns_status st = { 0, "none", "" };
	char buf[CIDR_STRLEN];
	struct dns_conf dc = { 0 };
	bool known = linkdns_status(a->dns, t->ifname, &st);
	size_t k;

	if (ct)
		dns_conf_from_tunnel(&dc, ct);
	if (!known && dns_conf_empty(&dc)) {
		dns_conf_clear(&dc);
		return;
	}
	json_obj_begin(j, "dns");
	json_arr_begin(j, "servers");
	for (k = 0; k < dc.servers.n; k++)
		json_str(j, NULL, ip_fmt(&dc.servers.v[k], buf));
	json_end(j);
	json_arr_begin(j, "domains");
	for (k = 0; k < dc.domains.n; k++)
		json_str(j, NULL, dc.domains.v[k]);
	json_end(j);
	json_bool(j, "full", dc.full);
	if (st.method)
		json_str(j, "method", linkdns_method_name(st.method));
	else
		json_null(j, "method");
	json_str(j, "state", st.state);
	if (st.error && st.error[0])
		json_str(j, "error", st.error);
	json_end(j);
	dns_conf_clear(&dc);
}

static void status_json(struct agent *a, struct json *j)
{
	size_t i, k;
	char buf[CIDR_STRLEN + 8], key[KEY_B64_LEN];

	json_obj_begin(j, NULL);
	json_u64(j, "version", 1);
	json_str(j, "role", "agent");
	json_u64(j, "pid", (uint64_t)getpid());
	json_str(j, "config", a->path);
	json_u64(j, "started", (uint64_t)a->started);
	json_u64(j, "converges", a->converges);
	json_u64(j, "writes", a->writes);
	json_arr_begin(j, "tunnels");
	for (i = 0; i < a->n_tuns; i++) {
		const struct tun *t = &a->tuns[i];
		const struct tunnel *ct = config_find_tunnel(a->c, t->name);
		struct wg_device *dev = NULL;

		json_obj_begin(j, NULL);
		json_str(j, "name", t->name);
		json_str(j, "interface", t->ifname);
		json_str(j, "backend", wg_backend_kind(a->wgb) == BACKEND_KERNEL ? "kernel" : "userspace");
		json_str(j, "state", tun_state_name[t->state]);
		json_u64(j, "since", (uint64_t)t->since);
		if (t->state == TUN_FAILED || t->state == TUN_RESOLVING)
			json_str(j, "error", t->error);
		if (t->probe) {
			struct probe_stats ps;

			probe_stats(t->probe, &ps);
			json_obj_begin(j, "probe");
			json_str(j, "health", health_state_name(ps.health));
			json_u64(j, "since", (uint64_t)(time(NULL) - (time_t)((loop_now_ms() - ps.since_ms) / 1000)));
			json_u64(j, "rtt_us", ps.rtt_avg_us);
			json_u64(j, "loss_pct", ps.loss_pct);
			json_u64(j, "sent", ps.sent);
			json_u64(j, "received", ps.received);
			json_str(j, "reason", ps.reason);
			json_end(j);
		}
		json_arr_begin(j, "addresses");
		for (k = 0; ct && k < ct->addresses.n; k++)
			json_str(j, NULL, cidr_fmt(&ct->addresses.v[k], buf));
		json_end(j);
		json_u64(j, "mtu", t->planned ? t->plan.mtu : 0);
		json_u64(j, "table", a->c->daemon.table_base + t->slot);
		json_arr_begin(j, "routes");
		for (k = 0; t->planned && k < t->plan.n_routes; k++)
			json_str(j, NULL, cidr_fmt(&t->plan.routes[k].dst, buf));
		json_end(j);
		status_dns(a, j, t, ct);
		if (t->state == TUN_UP && wg_get(a->wgb, t->ifname, &dev) == 0) {
			json_u64(j, "listen_port", dev->listen_port);
			key_to_base64(key, dev->public_key);
			json_str(j, "public_key", key);
		}
		json_arr_begin(j, "peers");
		for (k = 0; dev && k < dev->n_peers; k++) {
			const struct wg_peer *wp = &dev->peers[k];
			char host[64];
			size_t m;

			json_obj_begin(j, NULL);
			key_to_base64(key, wp->public_key);
			json_str(j, "public_key", key);
			if (wp->endpoint.sa.sa_family == AF_INET) {
				inet_ntop(AF_INET, &wp->endpoint.in.sin_addr, host, sizeof(host));
				json_strf(j, "endpoint", "%s:%u", host, ntohs(wp->endpoint.in.sin_port));
			} else if (wp->endpoint.sa.sa_family == AF_INET6) {
				inet_ntop(AF_INET6, &wp->endpoint.in6.sin6_addr, host, sizeof(host));
				json_strf(j, "endpoint", "[%s]:%u", host, ntohs(wp->endpoint.in6.sin6_port));
			} else {
				json_null(j, "endpoint");
			}
			json_arr_begin(j, "allowed_ips");
			for (m = 0; m < wp->n_allowed_ips; m++)
				json_str(j, NULL, cidr_fmt(&wp->allowed_ips[m], buf));
			json_end(j);
			json_u64(j, "latest_handshake", (uint64_t)wp->last_handshake_sec);
			json_u64(j, "rx_bytes", wp->rx_bytes);
			json_u64(j, "tx_bytes", wp->tx_bytes);
			json_u64(j, "persistent_keepalive", wp->persistent_keepalive);
			json_end(j);
		}
		json_end(j);
		json_end(j);
		wg_device_free(dev);
	}
	json_end(j);
	if (a->portal)
		portal_client_status(a->portal, j);
	json_arr_begin(j, "groups");
	for (i = 0; i < a->n_grps; i++) {
		const struct group *g = &a->c->groups[i];

		json_obj_begin(j, NULL);
		json_str(j, "name", g->name);
		json_arr_begin(j, "routes");
		for (k = 0; k < g->routes.n; k++)
			json_str(j, NULL, cidr_fmt(&g->routes.v[k], buf));
		json_end(j);
		json_arr_begin(j, "members");
		for (k = 0; k < g->members.n; k++)
			json_str(j, NULL, g->members.v[k]);
		json_end(j);
		if (a->grps[i].active >= 0)
			json_str(j, "active", a->tuns[a->grps[i].active].name);
		else
			json_null(j, "active");
		json_str(j, "fallback", g->fallback == FALLBACK_MAIN ? "main" : "blackhole");
		json_u64(j, "switches", a->grps[i].switches);
		json_u64(j, "since", (uint64_t)a->grps[i].since);
		json_end(j);
	}
	json_end(j);
	json_end(j);
}

static int on_ctl(int argc, char **argv, struct json *reply, void *data)
{
	struct agent *a = data;
	bool status = strcmp(argv[0], "status") == 0, reload = strcmp(argv[0], "reload") == 0;

	if ((status || reload) && argc > 1) {
		json_rawf(reply, "%s takes no arguments", argv[0]);
		return -EINVAL;
	}
	if (status) {
		status_json(a, reply);
		return 0;
	}
	if (reload)
		return agent_reload(a, reply);
	return -EOPNOTSUPP;
}

static void on_signal(struct loop *l, int signo, void *data)
{
	struct agent *a = data;

	if (signo == SIGHUP) {
		log_info("SIGHUP: reloading %s", a->path);
		agent_reload(a, NULL);
		return;
	}
	log_info("%s: stopping", strsignal(signo));
	loop_stop(l, 0);
}

/* ---- setup ---- */

static int agent_open(struct agent *a)
{
	int fds[MONITOR_NBUS], r, i;

	r = nl_open(&a->nl, NETLINK_ROUTE);
	if (r == 0)
		r = nl_open(&a->nfnl, NFT_NETLINK_BUS);
	if (r < 0) {
		log_err("netlink: %s", strerror(-r));
		return r;
	}
	r = wg_backend_open(&a->wgb, a->c->daemon.backend);
	if (r < 0) {
		log_err("%s backend: %s", a->c->daemon.backend == BACKEND_KERNEL ? "kernel" : "WireGuard",
			strerror(-r));
		return r;
	}
	/* Userspace links are made by wireguard-go: it needs the same backend on reload. */
	a->c->daemon.backend = wg_backend_kind(a->wgb);
	r = loop_new(&a->loop);
	if (r < 0)
		return r;
	a->mon = monitor_new(on_event, a);
	r = monitor_open(a->mon);
	if (r < 0) {
		log_err("netlink monitor: %s", strerror(-r));
		return r;
	}
	monitor_fds(a->mon, fds);
	for (i = 0; i < MONITOR_NBUS; i++) {
		r = loop_add_fd(a->loop, fds[i], EPOLLIN, on_monitor, a);
		if (r < 0)
			return r;
	}
	r = resolver_new(a->loop, on_resolved, a, &a->res);
	if (r < 0)
		return r;
	if ((r = loop_add_signal(a->loop, SIGTERM, on_signal, a)) < 0 ||
	    (r = loop_add_signal(a->loop, SIGINT, on_signal, a)) < 0 ||
	    (r = loop_add_signal(a->loop, SIGHUP, on_signal, a)) < 0 ||
	    (r = loop_add_signal(a->loop, SIGCHLD, on_sigchld, a)) < 0)
		return r;
	a->repair = timer_new(a->loop, on_repair, a);
	a->retry = timer_new(a->loop, on_repair, a);
	a->periodic = timer_new(a->loop, on_periodic, a);
	a->watchdog = timer_new(a->loop, on_watchdog, a);
	a->hold = timer_new(a->loop, on_hold, a);
	a->dns = linkdns_new(a->loop, &agent_dns_ops, a);
	return 0;
}

static void agent_close(struct agent *a)
{
	size_t i;

	for (i = 0; i < a->n_tuns; i++) {
		tun_unwatch(a, &a->tuns[i]);
		probe_free(a->tuns[i].probe);
		if (a->tuns[i].planned)
			plan_clear(&a->tuns[i].plan);
		free(a->tuns[i].journal);
	}
	free(a->tuns);
	free(a->grps);
	plan_clear(&a->global);
	free(a->global_journal);
	portal_client_free(a->portal);
	linkdns_free(a->dns);
	ctl_close(a->ctl);
	resolver_free(a->res);
	monitor_free(a->mon);
	loop_free(a->loop);
	wg_backend_close(a->wgb);
	nl_close(a->nfnl);
	nl_close(a->nl);
	config_free(a->c);
}

int cmd_agent(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct agent a = { 0 };
	struct diag d = { 0 };
	struct plan g;
	int o, r;

	a.path = DEFAULT_CONFIG;
	while ((o = getopt_long(argc, argv, "+c:v", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			a.path = optarg;
			break;
		case 'v':
			log_threshold = LOG_LEVEL_DEBUG;
			break;
		default:
			return cli_usage(cli_find("agent"), EXIT_USAGE);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "warren agent: unexpected argument \"%s\"\n", argv[optind]);
		return cli_usage(cli_find("agent"), EXIT_USAGE);
	}
	if (getenv("JOURNAL_STREAM") || getenv("NOTIFY_SOCKET"))
		log_syslog_prefix = 1;
	a.c = cli_load(a.path, &d);
	diag_print(&d, stderr);
	if (d.errors) {
		diag_clear(&d);
		config_free(a.c);
		return EXIT_USAGE;
	}
	diag_clear(&d);
	a.state_dir = a.c->daemon.state_dir;
	a.started = time(NULL);
	r = agent_open(&a);
	if (r < 0)
		goto out;
	r = ctl_open(a.loop, config_socket(a.c, ROLE_AGENT), on_ctl, &a, &a.ctl);
	if (r < 0)
		goto out;
	/* Values from before warren survive a crash in the journal. */
	if (journal_read(a.state_dir, GLOBAL_JOURNAL, &g) == 0)
		a.global = g;
	/* The cached profile's tunnels join the file's before the first converge, so a
	 * portal that is down takes nothing away. */
	agent_portal_start(&a);
	r = agent_adopt(&a, a.c);
	if (r < 0)
		goto out;
	a.adopted = true;
	agent_sweep(&a);
	agent_converge(&a);
	timer_arm(a.periodic, PERIODIC_MS);
	if (sd_watchdog_interval_ms())
		timer_arm(a.watchdog, sd_watchdog_interval_ms() / 2 + 1);
	sd_notify_ready();
	log_info("agent running with %zu tunnels and %zu groups", a.n_tuns, a.n_grps);
	r = loop_run(a.loop);
	sd_notify_stopping();
	agent_stop_all(&a);
out:
	agent_close(&a);
	return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}
