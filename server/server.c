/* `warren server`: one WireGuard link for many users, the database as the source of truth,
 * every change applied to exactly the peer it concerns. */
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <sys/epoll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "account.h"
#include "pool.h"
#include "api/api.h"
#include "settings.h"
#include "auth/pwhash.h"
#include "auth/throttle.h"
#include "auth/websession.h"
#include "events.h"
#include "portalcore.h"
#include "secret.h"
#include "server.h"
#include "../agent/cli.h"
#include "../agent/ctl.h"
#include "../agent/journal.h"
#include "../agent/loop.h"
#include "../agent/sdnotify.h"
#include "../agent/tunnel.h"
#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../netcfg/monitor.h"
#include "../netcfg/nft.h"
#include "../netcfg/sysctl.h"

#define REPAIR_DELAY_MS 20          /* let a burst of changes settle */
#define REPAIR_MIN_GAP_MS 1000      /* at most one repair a second */
#define PURGE_INTERVAL_MS (24u * 3600 * 1000)

static const char *const forwarding[2] = { "net/ipv4/ip_forward", "net/ipv6/conf/all/forwarding" };

/* ---- the link ---- */

/* The peer of one device of an enabled user: its key, preshared key and addresses, all
 * from the account, which mirrors the database. */
static int device_peer(struct server *s, const struct acct_device *u, struct wg_device *dev)
{
	struct wg_peer *p = wg_device_add_peer(dev, u->key);
	uint8_t psk[KEY_LEN];
	size_t len = 0, i;

	p->flags = WG_PEER_REPLACE_ALLOWEDIPS | WG_PEER_HAS_PRESHARED_KEY;
	if (u->psk_enc_len &&
	    (secret_open(s->secret, u->psk_enc, u->psk_enc_len, psk, &len) < 0 || len != KEY_LEN)) {
		log_err("device %s: its preshared key does not decrypt with %s/secret.key", u->name,
			s->c->daemon.state_dir);
		sodium_memzero(psk, sizeof(psk));
		dev->n_peers--;
		return -EBADMSG;
	}
	if (len)
		memcpy(p->preshared_key, psk, KEY_LEN);
	sodium_memzero(psk, sizeof(psk));
	for (i = 0; i < u->n_addrs; i++)
		wg_peer_add_allowed_ip(p, &u->addrs[i]);
	return 0;
}

/* The link as the database says: key, port, the pools' first addresses, the peer of
 * every device of an enabled user. tunnel_apply then writes only what differs. */
static int server_converge(struct server *s)
{
	const struct server_conf *sc = &s->c->server;
	struct tunnel_stats st;
	char err[256] = "";
	size_t i;
	int r;

	plan_clear(&s->plan);
	snprintf(s->plan.name, sizeof(s->plan.name), "server");
	s->plan.owner = OWNER_SERVER;
	snprintf(s->plan.ifname, sizeof(s->plan.ifname), "%s", sc->ifname);
	s->plan.backend = wg_backend_kind(s->wgb);
	s->plan.protocol = s->c->daemon.route_protocol;
	s->plan.mtu = sc->mtu;
	r = wg_device_new(&s->plan.dev, sc->ifname);
	if (r < 0)
		return r;
	s->plan.dev->flags = WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_LISTEN_PORT;
	memcpy(s->plan.dev->private_key, sc->private_key, KEY_LEN);
	s->plan.dev->listen_port = sc->listen_port;
	for (i = 0; i < sc->pool.n; i++) {
		struct pool p = { .net = sc->pool.v[i] };
		struct cidr *a = array_push(&s->plan.addrs, &s->plan.n_addrs, sizeof(*a));

		pool_server_addr(&p, a);
	}
	/* Clients reach the world through the server: it forwards, as long as it runs. */
	for (i = 0; i < 2; i++) {
		struct plan_sysctl *sy = array_push(&s->plan.sysctls, &s->plan.n_sysctls, sizeof(*sy));

		snprintf(sy->path, sizeof(sy->path), "%s", forwarding[i]);
		snprintf(sy->value, sizeof(sy->value), "1");
		if (!s->old_sysctls[i][0] && sysctl_get(sy->path, s->old_sysctls[i], SYSCTL_VALUE_MAX) < 0)
			snprintf(s->old_sysctls[i], SYSCTL_VALUE_MAX, "0");
		memcpy(sy->old, s->old_sysctls[i], SYSCTL_VALUE_MAX);
	}
	/* A user whose keys do not decrypt is logged and left out, not fatal for the rest. */
	for (i = 0; i < s->acct.n_devs; i++)
		if (account_on_link(&s->acct, &s->acct.devs[i]))
			device_peer(s, &s->acct.devs[i], s->plan.dev);
	/* What is made is journaled first, so a crash leaves nothing unaccounted for. */
	if (!s->journaled) {
		r = journal_write(s->c->daemon.state_dir, &s->plan);
		if (r < 0) {
			log_err("journal %s/journal/%s: %s", s->c->daemon.state_dir, sc->ifname,
				strerror(-r));
			return r;
		}
		s->journaled = true;
	}
	r = tunnel_apply(s->nl, s->wgb, &s->plan, s->c->daemon.userspace_command, NULL, &st, err,
			 sizeof(err));
	if (r < 0) {
		log_err("server link %s: %s", sc->ifname, err);
		return r;
	}
	if (st.created) {
		/* A new link: every peer's counters start from zero. */
		account_link_fresh(s);
	}
	if (st.created || st.peers || st.writes) {
		log_info("server link %s: %s%zu peer and %zu link writes", sc->ifname,
			 st.created ? "created, " : "", st.peers, st.writes);
		return 1;
	}
	return 0;
}

/* Clients reach the world through egress, masqueraded; nothing from egress opens a
 * connection to a client. */
static int server_nft(struct server *s)
{
	const struct server_conf *sc = &s->c->server;
	struct nft_tunnel out = { .ifname = sc->egress, .families = FAMILY_BOTH, .snat = true };
	struct nft_spec spec = { .table = NFT_TABLE_SERVER };
	bool match = false;
	uint32_t gen;
	int r;

	/* Without SNAT the server has nothing in nftables (an agent on the same host may). */
	if (!sc->snat) {
		if (s->nft_applied && nft_remove(s->nfnl, NFT_TABLE_SERVER) == 0)
			s->nft_applied = false;
		return 0;
	}
	strv_push(&spec.lan_ifs, sc->ifname);
	spec.lan_subnets = sc->pool;
	spec.tunnels = &out;
	spec.n_tunnels = 1;
	r = nft_matches(s->nfnl, &spec, &match);
	if (r == 0 && !match)
		r = nft_apply(s->nfnl, &spec, &gen);
	if (r == 0) {
		s->nft_applied = true;
		if (!match) {
			monitor_own_nft_gen(s->mon, gen);
			r = 1;
		}
	}
	if (r < 0)
		log_err("nftables: %s", nl_strerror(s->nfnl, r));
	strv_clear(&spec.lan_ifs);
	return r;
}

/* One peer, alone: add or update (enabled) or remove. Others are not touched. */
int server_sync_device(struct server *s, const struct acct_device *u, bool remove)
{
	struct wg_device *dev = NULL;
	int r = wg_device_new(&dev, s->c->server.ifname);

	if (r < 0)
		return r;
	if (remove) {
		struct wg_peer *p = wg_device_add_peer(dev, u->key);

		p->flags = WG_PEER_REMOVE_ME;
	} else {
		r = device_peer(s, u, dev);
	}
	if (r == 0)
		r = wg_set(s->wgb, dev);
	wg_device_free(dev);
	return r;
}

void server_user_changed(struct server *s, int64_t user_id)
{
	portalcore_changed(s, user_id);
	events_user(s, user_id);
}

void server_settings_changed(struct server *s)
{
	if (server_converge(s) < 0 || server_nft(s) < 0)
		server_repair_soon(s, "the new settings did not apply");
	/* Every client configuration and profile is made from them. */
	server_user_changed(s, 0);
}

/* ---- repair ---- */

static void on_repair(struct loop *l, struct timer *t, void *data)
{
	struct server *s = data;
	int r;

	(void)l;
	(void)t;
	s->last_repair_ms = loop_now_ms();
	/* Counted when something had to be put right. */
	r = server_converge(s);
	if (r >= 0 && (server_nft(s) > 0 || r > 0))
		s->repairs++;
}

void server_repair_soon(struct server *s, const char *why)
{
	uint64_t now = loop_now_ms(), delay = REPAIR_DELAY_MS;

	if (timer_armed(s->repair_timer))
		return;
	if (why)
		log_info("server link %s: %s; repairing", s->c->server.ifname, why);
	if (s->last_repair_ms && now + delay < s->last_repair_ms + REPAIR_MIN_GAP_MS)
		delay = s->last_repair_ms + REPAIR_MIN_GAP_MS - now;
	timer_arm(s->repair_timer, delay);
}

static void on_event(const struct monitor_event *ev, void *data)
{
	static const char *const what[] = { "link", "address on", "route", "rule",
					    "table inet " NFT_TABLE_SERVER, "notifications" };
	struct server *s = data;

	/* Our own changes come back as notifications too. */
	if (ev->portid && ev->portid == s->nl->portid)
		return;
	if (ev->kind == MON_NFT && (ev->nft_pid == (uint32_t)getpid() || !s->c->server.snat))
		return;
	if (ev->kind == MON_OVERRUN) {
		server_repair_soon(s, "netlink notifications were lost");
	} else if (ev->kind == MON_LINK || ev->kind == MON_ADDR || ev->kind == MON_NFT) {
		/* Changes are routine (the userspace implementation sets its link up, the
		 * kernel moves flags): check quietly; a deletion is worth a line. */
		if (ev->deleted)
			log_info("%s%s%s deleted by %s", what[ev->kind], ev->ifname[0] ? " " : "",
				 ev->ifname, ev->nft_comm[0] ? ev->nft_comm : "someone else");
		server_repair_soon(s, NULL);
	}
}

static void on_monitor(struct loop *l, int fd, uint32_t events, void *data)
{
	struct server *s = data;

	(void)l;
	(void)events;
	monitor_read(s->mon, fd);
}

static int monitor_start(struct server *s)
{
	struct monitor_link link = { .name = s->c->server.ifname };
	/* nftables is watched even without snat: a reload may turn it on. */
	struct monitor_interest in = { .links = &link, .n_links = 1,
					.nft_table = NFT_TABLE_SERVER };
	int fds[MONITOR_NBUS], r, i;

	s->mon = monitor_new(on_event, s);
	r = monitor_set_interest(s->mon, &in);
	if (r == 0)
		r = monitor_open(s->mon);
	if (r < 0) {
		log_err("netlink monitor: %s", strerror(-r));
		return r;
	}
	monitor_fds(s->mon, fds);
	for (i = 0; i < MONITOR_NBUS && r == 0; i++)
		r = loop_add_fd(s->loop, fds[i], EPOLLIN, on_monitor, s);
	return r;
}

/* ---- timers ---- */

static void on_poll(struct loop *l, struct timer *t, void *data)
{
	struct server *s = data;

	(void)l;
	account_poll(s);
	events_status(s);
	timer_arm(t, s->c->server.accounting_interval_ms);
}

static void on_deadline(struct loop *l, struct timer *t, void *data)
{
	(void)l;
	(void)t;
	account_deadlines(data);
}

static void on_purge(struct loop *l, struct timer *t, void *data)
{
	struct server *s = data;
	int64_t before = (int64_t)time(NULL) - (int64_t)s->c->server.session_retention_days * 86400;
	uint64_t n = 0;

	(void)l;
	if (db_session_purge(s->db, before, &n) < 0)
		log_warn("session retention: %s", db_errmsg(s->db));
	else if (n)
		log_info("session retention: %" PRIu64 " sessions older than %u days removed", n,
			 s->c->server.session_retention_days);
	timer_arm(t, PURGE_INTERVAL_MS);
}

static void on_watchdog(struct loop *l, struct timer *t, void *data)
{
	(void)l;
	(void)data;
	sd_notify_watchdog();
	timer_arm(t, sd_watchdog_interval_ms() / 2 + 1);
}

/* ---- reload ---- */

/* Re-read the file: the link (key, port, MTU), SNAT, client settings and timings follow
 * it. What users' rows depend on (interface, pools, database) changes only with a restart;
 * a file that changes them, or has errors, leaves the running configuration in place. */
static int server_reload(struct server *s, struct json *reply)
{
	const struct server_conf *old = &s->c->server;
	struct diag d = { 0 };
	struct config *c;
	const char *fixed = NULL;
	size_t i;
	int r = -EINVAL;

	sd_notify_reloading();
	c = cli_load(s->path, &d);
	if (!d.errors && !c->server.enabled)
		diag_error(&d, s->path, 0, "no server section: the server role needs one");
	for (i = 0; i < d.n; i++) {
		if (!d.items[i].is_error)
			continue;
		log_err("reload: %s", d.items[i].text);
		if (reply)
			json_rawf(reply, "%s\n", d.items[i].text);
	}
	if (d.errors)
		goto keep;
	if (strcmp(c->server.ifname, old->ifname) != 0)
		fixed = "server.interface";
	else if (!cidrv_equal(&c->server.pool, &old->pool))
		fixed = "server.pool";
	else if (strcmp(c->server.database, old->database) != 0)
		fixed = "server.database";
	else if (strcmp(c->daemon.state_dir, s->c->daemon.state_dir) != 0)
		fixed = "daemon.state_dir";
	else if (strcmp(config_socket(c, ROLE_SERVER), config_socket(s->c, ROLE_SERVER)) != 0)
		fixed = c->server.socket || s->c->server.socket ? "server.socket" : "daemon.socket";
	if (fixed) {
		log_err("reload: %s changes only with a restart", fixed);
		if (reply)
			json_rawf(reply, "%s changes only with a restart\n", fixed);
		goto keep;
	}
	c->daemon.backend = s->c->daemon.backend;
	if (c->server.portal.enabled != old->portal.enabled ||
	    strcmp(c->server.portal.user, old->portal.user) != 0 ||
	    (c->server.portal.enabled &&
	     (strcmp(c->server.portal.listen, old->portal.listen) != 0 ||
	      strcmp(c->server.portal.tls_cert_file, old->portal.tls_cert_file) != 0 ||
	      strcmp(c->server.portal.tls_key_file, old->portal.tls_key_file) != 0)))
		log_warn("reload: the portal's listen, certificate files and user take effect at the "
			 "next start");
	config_free(s->c);
	s->c = c;
	c = NULL;
	/* What admins set while it runs still holds over the new file. */
	settings_overlay(s);
	key_public(s->public_key, s->c->server.private_key);
	r = server_converge(s);
	if (r >= 0)
		r = server_nft(s);
	if (r < 0)
		server_repair_soon(s, "the new configuration did not apply");
	r = r < 0 ? r : 0;
	timer_arm(s->poll_timer, s->c->server.accounting_interval_ms);
	log_info("reload: %s read", s->path);
	server_user_changed(s, 0);
	goto out;
keep:
	log_err("reload: keeping the running configuration");
out:
	config_free(c);
	diag_clear(&d);
	sd_notify_ready();
	return r;
}

/* ---- status ---- */

static void server_status(struct server *s, struct json *j)
{
	char key[KEY_B64_LEN];
	size_t i, online = 0;

	for (i = 0; i < s->acct.n_users; i++)
		online += account_user_online(&s->acct, s->acct.users[i].id);
	json_obj_begin(j, NULL);
	json_u64(j, "version", 1);
	json_str(j, "role", "server");
	json_u64(j, "pid", (uint64_t)getpid());
	json_str(j, "config", s->path);
	json_i64(j, "started", s->started);
	json_obj_begin(j, "server");
	json_str(j, "interface", s->c->server.ifname);
	json_u64(j, "listen_port", s->c->server.listen_port);
	key_to_base64(key, s->public_key);
	json_str(j, "public_key", key);
	json_u64(j, "users", s->acct.n_users);
	json_u64(j, "devices", s->acct.n_devs);
	json_u64(j, "online", online);
	json_u64(j, "repairs", s->repairs);
	json_u64(j, "event_streams", events_count(s));
	json_end(j);
	json_arr_begin(j, "tunnels");
	json_end(j);
	json_arr_begin(j, "groups");
	json_end(j);
	api_status_users(s, j);
	json_end(j);
}

static int on_ctl(int argc, char **argv, struct json *reply, void *data)
{
	struct server *s = data;

	if (strcmp(argv[0], "api") == 0 && argc == 3)
		return api_ctl(s, argv[1], argv[2], reply);
	if (strcmp(argv[0], "status") == 0 && argc == 1) {
		server_status(s, reply);
		return 0;
	}
	if (strcmp(argv[0], "reload") == 0 && argc == 1)
		return server_reload(s, reply);
	return -EOPNOTSUPP;
}

static void on_signal(struct loop *l, int signo, void *data)
{
	struct server *s = data;
	bool reaped = false;

	if (signo == SIGCHLD) {
		pid_t pid;

		while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
			reaped = true;
			portalcore_child_exited(s, pid);
		}
		/* The userspace implementation exited: its link went with it. */
		if (reaped && s->plan.backend == BACKEND_USERSPACE)
			server_repair_soon(s, "the userspace implementation exited");
		return;
	}
	if (signo == SIGHUP) {
		log_info("SIGHUP: reloading %s", s->path);
		server_reload(s, NULL);
		return;
	}
	log_info("%s: stopping", strsignal(signo));
	loop_stop(l, 0);
}

static void server_close(struct server *s)
{
	size_t i;

	portalcore_close(s);
	events_free(s);
	pwhash_pool_free(s->pw);
	settings_clear(s);
	websession_store_free(s->web);
	throttle_free(s->throttle);
	if (s->totp)
		sodium_memzero(s->totp, s->n_totp * sizeof(*s->totp));
	free(s->totp);
	plan_clear(&s->plan);
	ctl_close(s->ctl);
	timer_free(s->poll_timer);
	timer_free(s->deadline_timer);
	timer_free(s->purge_timer);
	timer_free(s->repair_timer);
	timer_free(s->watchdog_timer);
	monitor_free(s->mon);
	account_free(&s->acct);
	for (i = 0; i < s->n_pools; i++)
		pool_used_clear(&s->used[i]);
	loop_free(s->loop);
	wg_backend_close(s->wgb);
	nl_close(s->nfnl);
	nl_close(s->nl);
	db_close(s->db);
	sodium_memzero(s->secret, sizeof(s->secret));
	config_free(s->c);
}

/* Addresses in use, per pool, known from here on without asking the database. */
static int pools_load(struct server *s)
{
	const struct server_conf *sc = &s->c->server;
	size_t i;

	for (i = 0; i < sc->pool.n && i < SERVER_MAX_POOLS; i++) {
		const struct acct_device *u;
		struct cidr *in_use = NULL;
		size_t n = 0, k;

		s->pools[i].net = sc->pool.v[i];
		for (u = s->acct.devs; u < s->acct.devs + s->acct.n_devs; u++)
			for (k = 0; k < u->n_addrs; k++)
				*(struct cidr *)array_push(&in_use, &n, sizeof(*in_use)) = u->addrs[k];
		pool_used_init(&s->used[i], &s->pools[i], in_use, n);
		free(in_use);
	}
	s->n_pools = i;
	return 0;
}

/* Forwarding as it was before warren touched it: from the journal of a run that did not
 * stop cleanly, else from the agent's or `warren up`'s when they changed it first, else as
 * it is now (read at the first converge). -EBUSY when the link is another role's. */
static int sysctls_load(struct server *s)
{
	const char *state_dir = s->c->daemon.state_dir, *ifname = s->c->server.ifname;
	struct plan j = { 0 };
	size_t i, k;
	int r;

	r = journal_read(state_dir, ifname, &j);
	if (r == 0 && j.owner != OWNER_SERVER && j.owner != OWNER_UNKNOWN) {
		log_err("server link %s: belongs to the running %s", ifname,
			journal_owner_name(j.owner));
		plan_clear(&j);
		return -EBUSY;
	}
	if (r == 0) {
		log_info("server link %s: taking over from a run that did not stop", ifname);
	} else {
		for (k = 0; k < 2; k++) {
			struct plan_sysctl *sy = array_push(&j.sysctls, &j.n_sysctls, sizeof(*sy));

			snprintf(sy->path, sizeof(sy->path), "%s", forwarding[k]);
		}
		journal_sysctls_shared(state_dir, ifname, &j, NULL);
	}
	for (i = 0; i < j.n_sysctls; i++)
		for (k = 0; k < 2; k++)
			if (strcmp(j.sysctls[i].path, forwarding[k]) == 0)
				memcpy(s->old_sysctls[k], j.sysctls[i].old, SYSCTL_VALUE_MAX);
	plan_clear(&j);
	return 0;
}

static int timers_start(struct server *s)
{
	s->poll_timer = timer_new(s->loop, on_poll, s);
	s->deadline_timer = timer_new(s->loop, on_deadline, s);
	s->purge_timer = timer_new(s->loop, on_purge, s);
	s->repair_timer = timer_new(s->loop, on_repair, s);
	s->watchdog_timer = timer_new(s->loop, on_watchdog, s);
	if (!s->poll_timer || !s->deadline_timer || !s->purge_timer || !s->repair_timer ||
	    !s->watchdog_timer)
		return -ENOMEM;
	if (sd_watchdog_interval_ms())
		timer_arm(s->watchdog_timer, sd_watchdog_interval_ms() / 2 + 1);
	/* The link was just converged: the first reading can wait its turn. */
	timer_arm(s->poll_timer, s->c->server.accounting_interval_ms);
	timer_arm(s->purge_timer, 0);
	account_deadlines(s);
	return 0;
}

int cmd_server(int argc, char **argv)
{
	struct server s = { 0 };
	struct diag d = { 0 };
	char err[256];
	int o, r;

	s.path = DEFAULT_CONFIG;
	optind = 1;
	while ((o = getopt(argc, argv, "+c:")) != -1) {
		if (o != 'c')
			return cli_usage(cli_find("server"), EXIT_USAGE);
		s.path = optarg;
	}
	if (optind < argc)
		return cli_usage(cli_find("server"), EXIT_USAGE);
	s.c = cli_load(s.path, &d);
	if (!d.errors && !s.c->server.enabled)
		diag_error(&d, s.path, 0, "no server section: the server role needs one");
	diag_print(&d, stderr);
	if (d.errors) {
		diag_clear(&d);
		config_free(s.c);
		return EXIT_USAGE;
	}
	diag_clear(&d);
	s.started = time(NULL);
	key_public(s.public_key, s.c->server.private_key);
	if (mkdir(s.c->daemon.state_dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		log_err("%s: %s", s.c->daemon.state_dir, strerror(errno));
		goto out;
	}
	r = secret_key_load_or_create(s.c->daemon.state_dir, s.secret);
	if (r < 0) {
		log_err("%s/secret.key: %s", s.c->daemon.state_dir, strerror(-r));
		goto out;
	}
	r = db_open(s.c->server.database, &s.db);
	if (r < 0)
		goto out;
	if ((r = account_load(&s)) < 0 || (r = pools_load(&s)) < 0)
		goto out;
	if ((r = sysctls_load(&s)) < 0)
		goto out;
	if ((r = nl_open(&s.nl, NETLINK_ROUTE)) < 0 || (r = nl_open(&s.nfnl, NFT_NETLINK_BUS)) < 0 ||
	    (r = wg_backend_open(&s.wgb, s.c->daemon.backend)) < 0 || (r = loop_new(&s.loop)) < 0) {
		log_err("setup: %s", strerror(-r));
		goto out;
	}
	if ((r = pwhash_pool_new(s.loop, NULL, &s.pw)) < 0 ||
	    (r = websession_store_new(NULL, &s.web)) < 0 || (r = throttle_new(&s.throttle)) < 0 ||
	    (r = events_new(&s)) < 0) {
		log_err("setup: the login machinery: %s", strerror(-r));
		goto out;
	}
	if ((r = loop_add_signal(s.loop, SIGTERM, on_signal, &s)) < 0 ||
	    (r = loop_add_signal(s.loop, SIGINT, on_signal, &s)) < 0 ||
	    (r = loop_add_signal(s.loop, SIGHUP, on_signal, &s)) < 0 ||
	    (r = loop_add_signal(s.loop, SIGCHLD, on_signal, &s)) < 0)
		goto out;
	/* Notifications queue from here: nothing between now and the first converge is missed. */
	r = monitor_start(&s);
	if (r < 0)
		goto out;
	r = ctl_open(s.loop, config_socket(s.c, ROLE_SERVER), on_ctl, &s, &s.ctl);
	if (r < 0)
		goto out;
	settings_overlay(&s);
	r = server_converge(&s);
	if (r >= 0)
		r = server_nft(&s);
	if (r >= 0)
		r = timers_start(&s);
	if (r >= 0)
		r = portalcore_open(&s);
	if (r < 0)
		goto stop;
	sd_notify_ready();
	log_info("server running on %s with %zu users and %zu devices in %s", s.c->server.ifname,
		 s.acct.n_users, s.acct.n_devs, s.c->server.database);
	r = loop_run(s.loop);
	sd_notify_stopping();
	/* The last bytes count, and open sessions end with the server. */
	account_poll(&s);
	for (size_t i = 0; i < s.acct.n_devs; i++)
		account_close_session(&s, &s.acct.devs[i], time(NULL));
stop:
	/* Leave nothing behind: the link with its peers, the table. The database stays. */
	if (s.journaled) {
		bool *keep = xcalloc(s.plan.n_sysctls + 1, sizeof(*keep));

		/* Forwarding stays on while the agent or `warren up` tunnels still need it. */
		journal_sysctls_shared(s.c->daemon.state_dir, s.c->server.ifname, &s.plan, keep);
		if (tunnel_remove(s.nl, s.wgb, &s.plan, keep, err, sizeof(err)) < 0)
			log_err("server link: %s", err);
		else
			journal_remove(s.c->daemon.state_dir, s.c->server.ifname);
		free(keep);
	}
	if (s.nft_applied)
		nft_remove(s.nfnl, NFT_TABLE_SERVER);
out:
	server_close(&s);
	return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}
