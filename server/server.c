/* `warren server`: one WireGuard link for many users, the database as the source of truth,
 * every change applied to exactly the peer it concerns. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "clientconf.h"
#include "db.h"
#include "pool.h"
#include "secret.h"
#include "values.h"
#include "../agent/cli.h"
#include "../agent/ctl.h"
#include "../agent/loop.h"
#include "../agent/sdnotify.h"
#include "../agent/tunnel.h"
#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../netcfg/nft.h"
#include "../netcfg/sysctl.h"

struct server {
	struct config *c;
	const char *path;
	struct db *db;
	struct nl *nl, *nfnl;
	struct wg_backend *wgb;
	struct loop *loop;
	struct ctl *ctl;
	uint8_t secret[crypto_secretbox_KEYBYTES];
	uint8_t public_key[KEY_LEN];
	struct plan plan;
	char old_sysctls[2][SYSCTL_VALUE_MAX];   /* forwarding before the server started */
};

/* ---- the link ---- */

/* The peer of one enabled user: its key, preshared key and addresses. */
static int user_peer(struct server *s, const struct db_user *u, struct wg_device *dev)
{
	struct wg_peer *p = wg_device_add_peer(dev, u->public_key);
	uint8_t psk[KEY_LEN];
	size_t len = 0;

	p->flags = WG_PEER_REPLACE_ALLOWEDIPS | WG_PEER_HAS_PRESHARED_KEY;
	if (u->preshared_key_enc_len &&
	    (secret_open(s->secret, u->preshared_key_enc, u->preshared_key_enc_len, psk, &len) < 0 ||
	     len != KEY_LEN)) {
		log_err("user %s: its preshared key does not decrypt with %s/secret.key", u->name,
			s->c->daemon.state_dir);
		sodium_memzero(psk, sizeof(psk));
		return -EBADMSG;
	}
	if (len)
		memcpy(p->preshared_key, psk, KEY_LEN);
	sodium_memzero(psk, sizeof(psk));
	return 0;
}

static int add_allowed(int64_t user_id, const struct cidr *a, void *data)
{
	(void)user_id;
	wg_peer_add_allowed_ip(data, a);
	return 0;
}

static int user_peer_full(struct server *s, const struct db_user *u, struct wg_device *dev)
{
	int r = user_peer(s, u, dev);

	if (r < 0)
		return r;
	return db_addr_list_user(s->db, u->id, add_allowed, &dev->peers[dev->n_peers - 1]);
}

static int collect_peer(const struct db_user *u, void *data)
{
	struct server *s = data;

	/* A user whose keys do not decrypt is logged and left out, not fatal for the rest. */
	if (u->disabled == DB_ENABLED)
		user_peer_full(s, u, s->plan.dev);
	return 0;
}

/* The link as the database says: key, port, the pools' first addresses, every enabled
 * user's peer. tunnel_apply then writes only what differs. */
static int server_converge(struct server *s)
{
	const struct server_conf *sc = &s->c->server;
	struct tunnel_stats st;
	char err[256] = "";
	size_t i;
	int r;

	plan_clear(&s->plan);
	snprintf(s->plan.name, sizeof(s->plan.name), "server");
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

		snprintf(sy->path, sizeof(sy->path), "%s",
			 i ? "net/ipv6/conf/all/forwarding" : "net/ipv4/ip_forward");
		snprintf(sy->value, sizeof(sy->value), "1");
		if (!s->old_sysctls[i][0] && sysctl_get(sy->path, s->old_sysctls[i], SYSCTL_VALUE_MAX) < 0)
			snprintf(s->old_sysctls[i], SYSCTL_VALUE_MAX, "0");
		memcpy(sy->old, s->old_sysctls[i], SYSCTL_VALUE_MAX);
	}
	r = db_user_list(s->db, collect_peer, s);
	if (r < 0) {
		log_err("database: %s", db_errmsg(s->db));
		return r;
	}
	r = tunnel_apply(s->nl, s->wgb, &s->plan, s->c->daemon.userspace_command, NULL, &st, err,
			 sizeof(err));
	if (r < 0)
		log_err("server link %s: %s", sc->ifname, err);
	else if (st.created || st.peers || st.writes)
		log_info("server link %s: %s%zu peer and %zu link writes", sc->ifname,
			 st.created ? "created, " : "", st.peers, st.writes);
	return r;
}

/* Clients reach the world through egress, masqueraded; nothing from egress opens a
 * connection to a client. */
static int server_nft(struct server *s)
{
	const struct server_conf *sc = &s->c->server;
	struct nft_tunnel out = { .ifname = sc->egress, .families = FAMILY_BOTH, .snat = true };
	struct nft_spec spec = { 0 };
	bool match = false;
	uint32_t gen;
	int r;

	if (!sc->snat)
		return nft_remove(s->nfnl);
	strv_push(&spec.lan_ifs, sc->ifname);
	spec.lan_subnets = sc->pool;
	spec.tunnels = &out;
	spec.n_tunnels = 1;
	r = nft_matches(s->nfnl, &spec, &match);
	if (r == 0 && !match)
		r = nft_apply(s->nfnl, &spec, &gen);
	if (r < 0)
		log_err("nftables: %s", nl_strerror(s->nfnl, r));
	strv_clear(&spec.lan_ifs);
	return r;
}

/* One peer, alone: add or update (enabled) or remove. Others are not touched. */
static int server_sync_user(struct server *s, const struct db_user *u, bool remove)
{
	struct wg_device *dev = NULL;
	int r = wg_device_new(&dev, s->c->server.ifname);

	if (r < 0)
		return r;
	if (remove) {
		struct wg_peer *p = wg_device_add_peer(dev, u->public_key);

		p->flags = WG_PEER_REMOVE_ME;
	} else {
		r = user_peer_full(s, u, dev);
	}
	if (r == 0)
		r = wg_set(s->wgb, dev);
	wg_device_free(dev);
	return r;
}

/* ---- users ---- */

struct used_ctx {
	const struct pool *pool;
	struct cidrv addrs;
};

static int collect_addr(int64_t user_id, const struct cidr *a, void *data)
{
	struct used_ctx *u = data;

	(void)user_id;
	cidrv_push(&u->addrs, a);
	return 0;
}

static int seal_key(struct server *s, const uint8_t key[KEY_LEN], uint8_t *out, size_t *outlen)
{
	return secret_seal(s->secret, key, KEY_LEN, out, outlen);
}

static int user_add(struct server *s, int argc, char **argv, struct json *reply)
{
	static const struct option opts[] = {
		{ "expires", required_argument, NULL, 'e' },
		{ "quota", required_argument, NULL, 'q' },
		{ "public-key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const struct server_conf *sc = &s->c->server;
	uint8_t priv[KEY_LEN], psk[KEY_LEN];
	struct db_user u = { 0 };
	struct cidrv addrs = { 0 };
	bool own_key = false, monthly = false;
	char why[160], buf[CIDR_STRLEN];
	int o, r;
	size_t i;

	/* NAME comes first and options after it: let getopt move them (optind 0 restarts it). */
	optind = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'e':
			if (values_parse_expiry(optarg, time(NULL), &u.expires, why, sizeof(why)) < 0)
				goto bad;
			break;
		case 'q':
			if (values_parse_size(optarg, &u.quota_bytes, &monthly, why, sizeof(why)) < 0)
				goto bad;
			u.quota_period = monthly ? DB_QUOTA_MONTH : DB_QUOTA_TOTAL;
			break;
		case 'k':
			if (key_from_base64(u.public_key, optarg) < 0) {
				snprintf(why, sizeof(why), "--public-key \"%s\": not a valid key", optarg);
				goto bad;
			}
			own_key = true;
			break;
		default:
			snprintf(why, sizeof(why), "usage: user add NAME [--expires DATE|DURATION] "
				 "[--quota SIZE[/month]] [--public-key KEY]");
			goto bad;
		}
	}
	if (optind != argc - 1) {
		snprintf(why, sizeof(why), "usage: user add NAME [--expires ..] [--quota ..] [--public-key KEY]");
		goto bad;
	}
	if (!values_user_name_ok(argv[optind], why, sizeof(why)))
		goto bad;
	snprintf(u.name, sizeof(u.name), "%s", argv[optind]);
	if (!own_key) {
		key_generate_private(priv);
		key_public(u.public_key, priv);
		seal_key(s, priv, u.private_key_enc, &u.private_key_enc_len);
		sodium_memzero(priv, sizeof(priv));
	}
	key_generate_preshared(psk);
	seal_key(s, psk, u.preshared_key_enc, &u.preshared_key_enc_len);
	sodium_memzero(psk, sizeof(psk));

	/* Lowest free address of each pool, taken inside the same transaction as the user. */
	r = db_begin(s->db);
	if (r == 0)
		r = db_user_add(s->db, &u, &u.id);
	for (i = 0; r == 0 && i < sc->pool.n; i++) {
		struct pool p = { .net = sc->pool.v[i] };
		struct used_ctx used = { &p, { 0 } };
		struct pool_used pu;
		struct diag d = { 0 };
		struct cidr a;

		r = db_addr_list_family(s->db, p.net.family, collect_addr, &used);
		pool_used_init(&pu, &p, used.addrs.v, used.addrs.n);
		if (r == 0)
			r = pool_alloc(&p, &pu, &a, &d);
		if (r == 0)
			r = db_addr_add(s->db, u.id, &a);
		if (r == 0)
			cidrv_push(&addrs, &a);
		if (d.errors)
			snprintf(why, sizeof(why), "%s", diag_first_error(&d));
		diag_clear(&d);
		pool_used_clear(&pu);
		cidrv_clear(&used.addrs);
	}
	if (r < 0) {
		db_rollback(s->db);
		if (r == -EEXIST)
			snprintf(why, sizeof(why), "user \"%s\" exists already", u.name);
		else if (r != -ENOSPC)
			snprintf(why, sizeof(why), "database: %s", db_errmsg(s->db));
		goto fail;
	}
	r = db_commit(s->db);
	if (r == 0)
		r = server_sync_user(s, &u, false);
	if (r < 0) {
		snprintf(why, sizeof(why), "user %s: %s", u.name, strerror(-r));
		goto fail;
	}
	json_rawf(reply, "user %s added:", u.name);
	for (i = 0; i < addrs.n; i++)
		json_rawf(reply, " %s", cidr_fmt(&addrs.v[i], buf));
	json_rawf(reply, "\n");
	log_info("user %s added", u.name);
	cidrv_clear(&addrs);
	db_user_wipe(&u);
	return 0;
bad:
	r = -EINVAL;
fail:
	json_rawf(reply, "%s\n", why);
	cidrv_clear(&addrs);
	db_user_wipe(&u);
	return r;
}

static int user_find(struct server *s, const char *name, struct db_user *u, struct json *reply)
{
	int r = db_user_get_by_name(s->db, name, u);

	if (r == -ENOENT)
		json_rawf(reply, "no user \"%s\"\n", name);
	else if (r < 0)
		json_rawf(reply, "database: %s\n", db_errmsg(s->db));
	return r;
}

static const char *const disabled_name[] = { "enabled", "expired", "quota", "disabled" };

struct list_ctx {
	struct server *s;
	struct json *j;
	bool json;
};

static int list_addr(int64_t user_id, const struct cidr *a, void *data)
{
	struct list_ctx *l = data;
	char buf[CIDR_STRLEN];

	(void)user_id;
	if (l->json)
		json_str(l->j, NULL, cidr_fmt(a, buf));
	else
		json_rawf(l->j, " %s", cidr_fmt(a, buf));
	return 0;
}

static void user_json(struct list_ctx *l, const struct db_user *u)
{
	char key[KEY_B64_LEN];

	json_obj_begin(l->j, NULL);
	json_str(l->j, "name", u->name);
	json_str(l->j, "state", disabled_name[u->disabled]);
	key_to_base64(key, u->public_key);
	json_str(l->j, "public_key", key);
	json_bool(l->j, "server_holds_private_key", u->private_key_enc_len > 0);
	json_arr_begin(l->j, "addresses");
	db_addr_list_user(l->s->db, u->id, list_addr, l);
	json_end(l->j);
	json_u64(l->j, "created", (uint64_t)u->created);
	if (u->expires)
		json_u64(l->j, "expires", (uint64_t)u->expires);
	else
		json_null(l->j, "expires");
	if (u->quota_bytes) {
		json_u64(l->j, "quota_bytes", u->quota_bytes);
		json_str(l->j, "quota_period", u->quota_period == DB_QUOTA_MONTH ? "month" : "total");
	} else {
		json_null(l->j, "quota_bytes");
	}
	json_u64(l->j, "rx_bytes", u->rx_total);
	json_u64(l->j, "tx_bytes", u->tx_total);
	json_end(l->j);
}

static int list_user(const struct db_user *u, void *data)
{
	struct list_ctx *l = data;
	char exp[32] = "never", quota[32] = "none";

	if (l->json) {
		user_json(l, u);
		return 0;
	}
	if (u->expires)
		values_format_time(u->expires, exp, sizeof(exp));
	if (u->quota_bytes)
		values_format_size(u->quota_bytes, quota, sizeof(quota));
	json_rawf(l->j, "%-20s %-8s expires %-16s quota %-10s%s", u->name, disabled_name[u->disabled],
		  exp, quota, u->quota_period == DB_QUOTA_MONTH && u->quota_bytes ? "/month" : "");
	db_addr_list_user(l->s->db, u->id, list_addr, l);
	json_rawf(l->j, "\n");
	return 0;
}

static int user_config(struct server *s, const char *name, struct json *reply)
{
	const struct server_conf *sc = &s->c->server;
	uint8_t priv[KEY_LEN], psk[KEY_LEN];
	struct clientconf_server cs = {
		.endpoint_host = sc->endpoint_host, .endpoint_port = sc->endpoint_port,
		.dns = &sc->dns, .allowed_ips = &sc->client_allowed_ips,
		.keepalive = sc->client_keepalive, .mtu = sc->mtu,
	};
	struct clientconf_user cu = { 0 };
	struct used_ctx addrs = { NULL, { 0 } };
	struct db_user u;
	size_t len;
	char *text;
	int r;

	r = user_find(s, name, &u, reply);
	if (r < 0)
		return r;
	memcpy(cs.public_key, s->public_key, KEY_LEN);
	cu.public_key = u.public_key;
	if (u.private_key_enc_len) {
		if (secret_open(s->secret, u.private_key_enc, u.private_key_enc_len, priv, &len) < 0 ||
		    len != KEY_LEN) {
			json_rawf(reply, "user %s: the stored private key does not decrypt\n", name);
			r = -EBADMSG;
			goto out;
		}
		cu.private_key = priv;
	}
	if (u.preshared_key_enc_len &&
	    secret_open(s->secret, u.preshared_key_enc, u.preshared_key_enc_len, psk, &len) == 0 &&
	    len == KEY_LEN)
		cu.preshared_key = psk;
	db_addr_list_user(s->db, u.id, collect_addr, &addrs);
	cu.addresses = &addrs.addrs;
	text = clientconf_write(&cs, &cu);
	if (!text) {
		json_rawf(reply, "user %s: cannot write its configuration\n", name);
		r = -EINVAL;
		goto out;
	}
	json_raw(reply, text, strlen(text));
	clientconf_text_free(text);
out:
	cidrv_clear(&addrs.addrs);
	sodium_memzero(priv, sizeof(priv));
	sodium_memzero(psk, sizeof(psk));
	db_user_wipe(&u);
	return r;
}

/* delete, disable, enable: the row changes, then exactly its peer. */
static int user_change(struct server *s, const char *verb, const char *name, struct json *reply)
{
	struct db_user u;
	int r = user_find(s, name, &u, reply);

	if (r < 0)
		return r;
	if (strcmp(verb, "delete") == 0) {
		r = server_sync_user(s, &u, true);
		if (r == 0)
			r = db_user_delete(s->db, u.id);
	} else {
		u.disabled = strcmp(verb, "disable") == 0 ? DB_DISABLED_ADMIN : DB_ENABLED;
		r = db_user_update(s->db, &u);
		if (r == 0)
			r = server_sync_user(s, &u, u.disabled != DB_ENABLED);
	}
	if (r < 0)
		json_rawf(reply, "user %s: %s\n", name, r == -EIO ? db_errmsg(s->db) : strerror(-r));
	else
		log_info("user %s: %sd", name, verb);
	db_user_wipe(&u);
	return r;
}

static int on_user(struct server *s, int argc, char **argv, struct json *reply)
{
	struct list_ctx l = { s, reply, false };
	const char *verb = argc > 1 ? argv[1] : "";
	struct db_user u;
	int r;

	if (strcmp(verb, "add") == 0)
		return user_add(s, argc - 1, argv + 1, reply);
	if (strcmp(verb, "list") == 0 && (argc == 2 || (argc == 3 && strcmp(argv[2], "--json") == 0))) {
		l.json = argc == 3;
		if (l.json)
			json_arr_begin(reply, NULL);
		r = db_user_list(s->db, list_user, &l);
		if (l.json)
			json_end(reply);
		return r;
	}
	if (argc == 3 || (argc == 4 && strcmp(argv[3], "--json") == 0)) {
		if (strcmp(verb, "show") == 0) {
			r = user_find(s, argv[2], &u, reply);
			if (r == 0) {
				l.json = true;
				user_json(&l, &u);
				db_user_wipe(&u);
			}
			return r;
		}
		if (strcmp(verb, "config") == 0)
			return user_config(s, argv[2], reply);
		if (strcmp(verb, "delete") == 0 || strcmp(verb, "disable") == 0 ||
		    strcmp(verb, "enable") == 0)
			return user_change(s, verb, argv[2], reply);
	}
	json_rawf(reply, "usage: user add|list|show|config|disable|enable|delete ...\n");
	return -EINVAL;
}

static int on_ctl(int argc, char **argv, struct json *reply, void *data)
{
	struct server *s = data;

	if (strcmp(argv[0], "user") == 0)
		return on_user(s, argc, argv, reply);
	if (strcmp(argv[0], "status") == 0 && argc == 1) {
		json_obj_begin(reply, NULL);
		json_u64(reply, "version", 1);
		json_str(reply, "role", "server");
		json_u64(reply, "pid", (uint64_t)getpid());
		json_str(reply, "config", s->path);
		json_arr_begin(reply, "tunnels");
		json_end(reply);
		json_arr_begin(reply, "groups");
		json_end(reply);
		json_end(reply);
		return 0;
	}
	return -EOPNOTSUPP;
}

static void on_signal(struct loop *l, int signo, void *data)
{
	(void)data;
	if (signo == SIGCHLD) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		return;
	}
	log_info("%s: stopping", strsignal(signo));
	loop_stop(l, 0);
}

static void server_close(struct server *s)
{
	plan_clear(&s->plan);
	ctl_close(s->ctl);
	loop_free(s->loop);
	wg_backend_close(s->wgb);
	nl_close(s->nfnl);
	nl_close(s->nl);
	db_close(s->db);
	sodium_memzero(s->secret, sizeof(s->secret));
	config_free(s->c);
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
	if ((r = nl_open(&s.nl, NETLINK_ROUTE)) < 0 || (r = nl_open(&s.nfnl, NFT_NETLINK_BUS)) < 0 ||
	    (r = wg_backend_open(&s.wgb, s.c->daemon.backend)) < 0 || (r = loop_new(&s.loop)) < 0) {
		log_err("setup: %s", strerror(-r));
		goto out;
	}
	if ((r = loop_add_signal(s.loop, SIGTERM, on_signal, &s)) < 0 ||
	    (r = loop_add_signal(s.loop, SIGINT, on_signal, &s)) < 0 ||
	    (r = loop_add_signal(s.loop, SIGCHLD, on_signal, &s)) < 0)
		goto out;
	r = ctl_open(s.loop, s.c->daemon.socket, on_ctl, &s, &s.ctl);
	if (r < 0)
		goto out;
	r = server_converge(&s);
	if (r == 0)
		r = server_nft(&s);
	if (r < 0)
		goto out;
	sd_notify_ready();
	log_info("server running on %s with its users in %s", s.c->server.ifname, s.c->server.database);
	r = loop_run(s.loop);
	sd_notify_stopping();
	/* Leave nothing behind: the link with its peers, the table. The database stays. */
	if (tunnel_remove(s.nl, s.wgb, &s.plan, NULL, err, sizeof(err)) < 0)
		log_err("server link: %s", err);
	nft_remove(s.nfnl);
out:
	server_close(&s);
	return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}
