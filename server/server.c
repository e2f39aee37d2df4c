/* The server daemon's core: its state opened and closed in order, the timers (accounting,
 * deadlines, retention, the watchdog), reload and signals, the status document. Below it
 * the database, accounting and the link; above it the operations table and its callers,
 * which hear of changes through the hooks they set (server.h). */
#include <errno.h>
#include <inttypes.h>
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
#include "dns/dnsd.h"
#include "engine.h"
#include "link.h"
#include "pool.h"
#include "settings.h"
#include "auth/pwhash.h"
#include "auth/throttle.h"
#include "auth/websession.h"
#include "secret.h"
#include "server.h"
#include "../agent/cli.h"
#include "../agent/ctl.h"
#include "../agent/loop.h"
#include "../agent/sdnotify.h"
#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../netcfg/monitor.h"
#include "../netcfg/nft.h"

#define PURGE_INTERVAL_MS (24u * 3600 * 1000)


void server_settings_changed(struct server *s)
{
	if (link_converge(s) < 0 || link_nft(s) < 0)
		link_repair_soon(s, "the new settings did not apply");
	/* Every client configuration and profile is made from them. */
	server_user_changed(s, 0);
}

/* ---- timers ---- */

static void on_poll(struct loop *l, struct timer *t, void *data)
{
	struct server *s = data;

	(void)l;
	account_poll(s);
	if (s->hooks.polled)
		s->hooks.polled(s);
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
int server_reload(struct server *s, struct json *reply)
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
	r = link_converge(s);
	if (r >= 0)
		r = link_nft(s);
	if (r < 0)
		link_repair_soon(s, "the new configuration did not apply");
	r = r < 0 ? r : 0;
	timer_arm(s->poll_timer, s->c->server.accounting_interval_ms);
	if (dnsd_reload(s) < 0)
		log_err("reload: the resolver did not start again");
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

void server_status(struct server *s, struct json *j, size_t event_streams)
{
	char key[KEY_B64_LEN];
	size_t i, online = 0;

	for (i = 0; i < s->acct.n_users; i++)
		online += account_user_online(&s->acct, s->acct.users[i].id);
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
	json_u64(j, "event_streams", event_streams);
	dnsd_status(s, j);
	json_end(j);
	json_arr_begin(j, "tunnels");
	json_end(j);
	json_arr_begin(j, "groups");
	json_end(j);
}

static void on_signal(struct loop *l, int signo, void *data)
{
	struct server *s = data;
	bool reaped = false;

	if (signo == SIGCHLD) {
		pid_t pid;

		while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
			reaped = true;
			if (s->hooks.child_exited)
				s->hooks.child_exited(s, pid);
		}
		/* The userspace implementation exited: its link went with it. */
		if (reaped && s->plan.backend == BACKEND_USERSPACE)
			link_repair_soon(s, "the userspace implementation exited");
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

void server_close(struct server *s)
{
	size_t i;

	dnsd_stop(s);
	pwhash_pool_free(s->pw);
	settings_clear(s);
	websession_store_free(s->web);
	throttle_free(s->throttle);
	if (s->totp)
		sodium_memzero(s->totp, s->n_totp * sizeof(*s->totp));
	free(s->totp);
	plan_clear(&s->plan);
	timer_free(s->poll_timer);
	timer_free(s->deadline_timer);
	timer_free(s->purge_timer);
	timer_free(s->repair_timer);
	timer_free(s->watchdog_timer);
	engine_close(s);
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

static int timers_start(struct server *s)
{
	s->poll_timer = timer_new(s->loop, on_poll, s);
	s->deadline_timer = timer_new(s->loop, on_deadline, s);
	s->purge_timer = timer_new(s->loop, on_purge, s);
	s->watchdog_timer = timer_new(s->loop, on_watchdog, s);
	if (!s->poll_timer || !s->deadline_timer || !s->purge_timer || !s->watchdog_timer)
		return -ENOMEM;
	if (sd_watchdog_interval_ms())
		timer_arm(s->watchdog_timer, sd_watchdog_interval_ms() / 2 + 1);
	/* The link was just converged: the first reading can wait its turn. */
	timer_arm(s->poll_timer, s->c->server.accounting_interval_ms);
	timer_arm(s->purge_timer, 0);
	account_deadlines(s);
	return 0;
}

int server_load(struct server *s, const char *path)
{
	struct diag d = { 0 };
	int errors;

	s->path = path;
	s->c = cli_load(s->path, &d);
	if (!d.errors && !s->c->server.enabled)
		diag_error(&d, s->path, 0, "no server section: the server role needs one");
	diag_print(&d, stderr);
	errors = d.errors;
	diag_clear(&d);
	return errors ? -EINVAL : 0;
}

int server_open(struct server *s)
{
	int r;

	s->started = time(NULL);
	key_public(s->public_key, s->c->server.private_key);
	if (mkdir(s->c->daemon.state_dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		log_err("%s: %s", s->c->daemon.state_dir, strerror(errno));
		return r;
	}
	r = secret_key_load_or_create(s->c->daemon.state_dir, s->secret);
	if (r < 0) {
		log_err("%s/secret.key: %s", s->c->daemon.state_dir, strerror(-r));
		return r;
	}
	r = db_open(s->c->server.database, &s->db);
	if (r < 0)
		return r;
	{
		uint64_t n = 0;

		/* A voucher use reserved while a password was hashed, when the server stopped
		 * before the account was made, is given back. */
		if (db_voucher_release_stale(s->db, &n) < 0)
			log_warn("vouchers: %s", db_errmsg(s->db));
		else if (n)
			log_info("vouchers: %" PRIu64 " code%s reserved by redemptions that never ended "
				 "given back", n, n == 1 ? "" : "s");
	}
	if ((r = account_load(s)) < 0 || (r = pools_load(s)) < 0 || (r = link_sysctls_load(s)) < 0)
		return r;
	if ((r = nl_open(&s->nl, NETLINK_ROUTE)) < 0 || (r = nl_open(&s->nfnl, NFT_NETLINK_BUS)) < 0 ||
	    (r = wg_backend_open(&s->wgb, s->c->daemon.backend)) < 0 || (r = loop_new(&s->loop)) < 0) {
		log_err("setup: %s", strerror(-r));
		return r;
	}
	if ((r = pwhash_pool_new(s->loop, NULL, &s->pw)) < 0 ||
	    (r = websession_store_new(NULL, &s->web)) < 0 || (r = throttle_new(&s->throttle)) < 0) {
		log_err("setup: the login machinery: %s", strerror(-r));
		return r;
	}
	if ((r = engine_open(s)) < 0) {
		log_err("setup: the policy engine: %s", strerror(-r));
		return r;
	}
	if ((r = loop_add_signal(s->loop, SIGTERM, on_signal, s)) < 0 ||
	    (r = loop_add_signal(s->loop, SIGINT, on_signal, s)) < 0 ||
	    (r = loop_add_signal(s->loop, SIGHUP, on_signal, s)) < 0 ||
	    (r = loop_add_signal(s->loop, SIGCHLD, on_signal, s)) < 0)
		return r;
	/* Notifications queue from here: nothing between now and the first converge is missed. */
	return link_monitor_start(s);
}

int server_start(struct server *s)
{
	int r;

	settings_overlay(s);
	r = link_converge(s);
	if (r >= 0)
		r = link_nft(s);
	if (r >= 0)
		r = timers_start(s);
	if (r >= 0)
		r = dnsd_start(s);
	return r < 0 ? r : 0;
}

void server_stop(struct server *s, bool ran)
{
	size_t i;

	if (ran) {
		/* The last bytes count, and open sessions end with the server. */
		account_poll(s);
		for (i = 0; i < s->acct.n_devs; i++)
			account_close_session(s, &s->acct.devs[i], time(NULL));
	}
	dnsd_stop(s);
	link_remove(s);
}
