/* Administration over the control socket: `user ...` and `session list`. Each change
 * writes the database first, then exactly the peer it concerns. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adminargs.h"
#include "clientconf.h"
#include "portalcore.h"
#include "secret.h"
#include "server.h"
#include "values.h"
#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"

static const char *const state_name[] = { "enabled", "expired", "quota", "disabled" };

struct addrs_ctx {
	struct cidrv addrs;
};

static int collect_addr(int64_t user_id, const struct cidr *a, void *data)
{
	(void)user_id;
	cidrv_push(&((struct addrs_ctx *)data)->addrs, a);
	return 0;
}

static int seal_key(struct server *s, const uint8_t key[KEY_LEN], uint8_t *out, size_t *outlen)
{
	return secret_seal(s->secret, key, KEY_LEN, out, outlen);
}

/* New keys for u: a pair made here (the private one sealed), or the client's public key;
 * and a preshared key either way. */
static void new_keys(struct server *s, struct db_user *u, const uint8_t *client_key)
{
	uint8_t priv[KEY_LEN], psk[KEY_LEN];

	u->private_key_enc_len = 0;
	if (client_key) {
		memcpy(u->public_key, client_key, KEY_LEN);
	} else {
		key_generate_private(priv);
		key_public(u->public_key, priv);
		seal_key(s, priv, u->private_key_enc, &u->private_key_enc_len);
		sodium_memzero(priv, sizeof(priv));
	}
	key_generate_preshared(psk);
	seal_key(s, psk, u->preshared_key_enc, &u->preshared_key_enc_len);
	sodium_memzero(psk, sizeof(psk));
}

static void apply_opts(struct db_user *u, const struct user_opts *o)
{
	if (o->expires_set)
		u->expires = o->expires;
	if (o->quota_set) {
		u->quota_bytes = o->quota;
		u->quota_period = o->monthly ? DB_QUOTA_MONTH : DB_QUOTA_TOTAL;
	}
	if (o->reset_day_set)
		u->quota_reset_day = o->reset_day;
}

static int user_add(struct server *s, int argc, char **argv, struct json *reply)
{
	struct db_user u = { 0 };
	struct user_opts o;
	struct cidr addrs[SERVER_MAX_POOLS];
	struct acct_user *au;
	char why[200], buf[CIDR_STRLEN];
	size_t i, n = 0;
	int r;

	r = adminargs_user("add", argc, argv, false, true, &o, why, sizeof(why));
	if (r < 0)
		goto fail;
	snprintf(u.name, sizeof(u.name), "%s", argv[optind]);
	apply_opts(&u, &o);
	if (u.quota_period == DB_QUOTA_MONTH)
		u.period_start = values_period_start(time(NULL), u.quota_reset_day ? u.quota_reset_day : 1);
	new_keys(s, &u, o.key_set ? o.key : NULL);

	/* The lowest free address of each pool, known in memory: no scan of the table. */
	for (i = 0; i < s->n_pools; i++) {
		struct diag d = { 0 };

		r = pool_alloc(&s->pools[i], &s->used[i], &addrs[n], &d);
		if (r < 0) {
			snprintf(why, sizeof(why), "%s", diag_first_error(&d));
			diag_clear(&d);
			goto fail;
		}
		n++;
	}
	r = db_begin(s->db);
	if (r == 0)
		r = db_user_add(s->db, &u, &u.id);
	for (i = 0; r == 0 && i < n; i++)
		r = db_addr_add(s->db, u.id, &addrs[i]);
	if (r < 0) {
		db_rollback(s->db);
		if (r == -EEXIST && db_user_get_by_name(s->db, u.name, &(struct db_user){ 0 }) == 0)
			snprintf(why, sizeof(why), "user \"%s\" exists already", u.name);
		else if (r == -EEXIST)
			snprintf(why, sizeof(why), "user %s: that public key belongs to another user",
				 u.name);
		else
			snprintf(why, sizeof(why), "database: %s", db_errmsg(s->db));
		goto fail;
	}
	r = db_commit(s->db);
	if (r < 0) {
		snprintf(why, sizeof(why), "database: %s", db_errmsg(s->db));
		goto fail;
	}
	for (i = 0; i < n; i++)
		pool_used_add(&s->used[i], &s->pools[i], &addrs[i]);
	r = db_user_get(s->db, u.id, &u);
	if (r == 0) {
		au = account_update(s, &u);
		if (u.disabled == DB_ENABLED)
			r = server_sync_user(s, au, false);
		if (r == 0)
			account_check_user(s, au);
	}
	if (r < 0) {
		snprintf(why, sizeof(why), "user %s: %s", u.name, strerror(-r));
		goto fail;
	}
	json_rawf(reply, "user %s added:", u.name);
	for (i = 0; i < n; i++)
		json_rawf(reply, " %s", cidr_fmt(&addrs[i], buf));
	json_rawf(reply, "\n");
	log_info("user %s added", u.name);
	db_user_wipe(&u);
	return 0;
fail:
	json_rawf(reply, "%s\n", why);
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

static void user_json(struct server *s, const struct db_user *u, struct json *j)
{
	const struct acct_user *au = account_find_id(&s->acct, u->id);
	char key[KEY_B64_LEN], buf[CIDR_STRLEN];
	size_t i;

	json_obj_begin(j, NULL);
	json_str(j, "name", u->name);
	json_str(j, "state", state_name[u->disabled]);
	key_to_base64(key, u->public_key);
	json_str(j, "public_key", key);
	json_bool(j, "server_holds_private_key", u->private_key_enc_len > 0);
	json_arr_begin(j, "addresses");
	for (i = 0; au && i < au->n_addrs; i++)
		json_str(j, NULL, cidr_fmt(&au->addrs[i], buf));
	json_end(j);
	json_i64(j, "created", u->created);
	if (u->expires)
		json_i64(j, "expires", u->expires);
	else
		json_null(j, "expires");
	if (u->quota_bytes) {
		json_u64(j, "quota_bytes", u->quota_bytes);
		json_str(j, "quota_period", u->quota_period == DB_QUOTA_MONTH ? "month" : "total");
		if (u->quota_period == DB_QUOTA_MONTH) {
			json_u64(j, "quota_reset_day", (uint64_t)u->quota_reset_day);
			json_i64(j, "period_start", u->period_start);
		}
	} else {
		json_null(j, "quota_bytes");
		json_null(j, "quota_period");
	}
	json_u64(j, "rx_bytes", u->rx_total);
	json_u64(j, "tx_bytes", u->tx_total);
	if (au)
		account_user_json(s, au, j);
	json_end(j);
}

struct list_ctx {
	struct server *s;
	struct json *j;
	bool json;
};

static int list_user(const struct db_user *u, void *data)
{
	struct list_ctx *l = data;
	const struct acct_user *au = account_find_id(&l->s->acct, u->id);
	char exp[VALUES_TIME_STRLEN] = "never", quota[VALUES_SIZE_STRLEN] = "none";
	char used[VALUES_SIZE_STRLEN], buf[CIDR_STRLEN];
	size_t i;

	if (l->json) {
		user_json(l->s, u, l->j);
		return 0;
	}
	if (u->expires)
		values_format_expiry(u->expires, exp, sizeof(exp));
	if (u->quota_bytes)
		values_format_size(u->quota_bytes, quota, sizeof(quota));
	/* What counts against the quota (this month's for a monthly one), else all of it. */
	values_format_size(au && u->quota_bytes ? account_quota_used(au) : u->rx_total + u->tx_total,
			   used, sizeof(used));
	json_rawf(l->j, "%-20s %-8s %-7s expires %-19s quota %s%s used %s", u->name,
		  state_name[u->disabled], au && au->session_id ? "online" : "-", exp, quota,
		  u->quota_period == DB_QUOTA_MONTH && u->quota_bytes ? "/month" : "", used);
	for (i = 0; au && i < au->n_addrs; i++)
		json_rawf(l->j, " %s", cidr_fmt(&au->addrs[i], buf));
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
	struct addrs_ctx addrs = { { 0 } };
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

/* The bytes of a peer about to go count before it goes. */
static void account_now(struct server *s)
{
	account_poll(s);
}

/* Just enough of an account entry to name a peer for removal. */
static const struct acct_user *peer_of(struct acct_user *tmp, const struct db_user *u)
{
	memset(tmp, 0, sizeof(*tmp));
	snprintf(tmp->name, sizeof(tmp->name), "%s", u->name);
	memcpy(tmp->key, u->public_key, KEY_LEN);
	return tmp;
}

static int user_delete(struct server *s, const char *name, struct json *reply)
{
	struct addrs_ctx addrs = { { 0 } };
	struct acct_user gone;
	struct acct_user *au;
	struct db_user u;
	size_t i, k;
	int r = user_find(s, name, &u, reply);

	if (r < 0)
		return r;
	au = account_find_id(&s->acct, u.id);
	if (au)
		account_close_session(s, au, time(NULL));
	db_addr_list_user(s->db, u.id, collect_addr, &addrs);
	r = server_sync_user(s, peer_of(&gone, &u), true);
	if (r == 0)
		r = db_user_delete(s->db, u.id);
	if (r == 0) {
		for (i = 0; i < addrs.addrs.n; i++)
			for (k = 0; k < s->n_pools; k++)
				pool_used_remove(&s->used[k], &s->pools[k], &addrs.addrs.v[i]);
		account_forget(s, u.id);
		log_info("user %s deleted", name);
		/* Its device went with it: a long poll of it gets its 401 now. */
		portalcore_changed(s, u.id);
	} else {
		json_rawf(reply, "user %s: %s\n", name, r == -EIO ? db_errmsg(s->db) : strerror(-r));
	}
	cidrv_clear(&addrs.addrs);
	db_user_wipe(&u);
	return r;
}

static int user_state(struct server *s, const char *verb, const char *name, struct json *reply)
{
	struct acct_user *au;
	struct db_user u;
	char why[200];
	int r = user_find(s, name, &u, reply);

	if (r < 0)
		return r;
	au = account_update(s, &u);
	db_user_wipe(&u);
	if (strcmp(verb, "disable") == 0) {
		account_now(s);
		r = account_set_state(s, au, DB_DISABLED_ADMIN, why, sizeof(why));
	} else if (au->expires && au->expires <= time(NULL)) {
		/* An expiry or a quota still in force wins over enable: nothing changes. */
		json_rawf(reply, "user %s stays disabled: it has expired (user set --expires)\n", name);
		return -EPERM;
	} else if (au->quota_bytes && account_quota_used(au) >= au->quota_bytes) {
		json_rawf(reply, "user %s stays disabled: its quota is used up (user set --quota)\n",
			  name);
		return -EPERM;
	} else {
		r = account_set_state(s, au, DB_ENABLED, why, sizeof(why));
	}
	if (r < 0)
		json_rawf(reply, "%s\n", why);
	return r;
}

static int user_set(struct server *s, int argc, char **argv, struct json *reply)
{
	bool was_monthly;
	int old_day;
	struct user_opts o;
	struct acct_user *au;
	struct db_user u;
	char why[200], exp[VALUES_TIME_STRLEN] = "never", quota[VALUES_SIZE_STRLEN] = "none";
	int r;

	r = adminargs_user("set", argc, argv, true, false, &o, why, sizeof(why));
	if (r == 0 && !o.expires_set && !o.quota_set && !o.reset_day_set) {
		snprintf(why, sizeof(why), "user set: nothing to change (--expires, --quota, --reset-day)");
		r = -EINVAL;
	}
	if (r < 0) {
		json_rawf(reply, "%s\n", why);
		return r;
	}
	r = user_find(s, argv[optind], &u, reply);
	if (r < 0)
		return r;
	was_monthly = u.quota_bytes && u.quota_period == DB_QUOTA_MONTH;
	old_day = u.quota_reset_day;
	apply_opts(&u, &o);
	/* A monthly quota that is new (or moves its reset day) counts from now until the
	 * next reset day: bytes before it were not counted per month. */
	if (u.quota_bytes && u.quota_period == DB_QUOTA_MONTH &&
	    (!was_monthly || old_day != u.quota_reset_day)) {
		u.period_start = time(NULL);
		r = db_counters_reset_period(s->db, u.id, u.period_start);
		u.rx_period = u.tx_period = 0;
	}
	if (r == 0)
		r = db_user_update(s->db, &u);
	if (r < 0) {
		json_rawf(reply, "user %s: database: %s\n", u.name, db_errmsg(s->db));
		goto out;
	}
	au = account_update(s, &u);
	/* Extended: back on; shortened: off now. */
	account_check_user(s, au);
	if (au->expires)
		values_format_expiry(au->expires, exp, sizeof(exp));
	if (au->quota_bytes)
		values_format_size(au->quota_bytes, quota, sizeof(quota));
	json_rawf(reply, "user %s: %s, expires %s, quota %s%s\n", u.name, state_name[au->disabled],
		  exp, quota, au->quota_bytes && au->quota_period == DB_QUOTA_MONTH ? "/month" : "");
	log_info("user %s: expires %s, quota %s%s", u.name, exp, quota,
		 au->quota_bytes && au->quota_period == DB_QUOTA_MONTH ? "/month" : "");
out:
	db_user_wipe(&u);
	return r;
}

/* New keys, same addresses, same totals: the old peer goes, the new one comes. */
static int user_rotate(struct server *s, int argc, char **argv, struct json *reply)
{
	struct user_opts o;
	struct acct_user *au, gone;
	struct db_device dev;
	struct db_user u, old;
	char why[200], key[KEY_B64_LEN];
	int r;

	r = adminargs_user("rotate", argc, argv, false, true, &o, why, sizeof(why));
	if (r == 0 && (o.expires_set || o.quota_set || o.reset_day_set)) {
		snprintf(why, sizeof(why), "usage: user rotate NAME [--public-key KEY]");
		r = -EINVAL;
	}
	if (r < 0) {
		json_rawf(reply, "%s\n", why);
		return r;
	}
	r = user_find(s, argv[optind], &u, reply);
	if (r < 0)
		return r;
	/* An enrolled device holds the key: new keys here would cut it off for good. */
	if (db_device_get_by_user(s->db, u.id, &dev) == 0 && dev.enrolled) {
		json_rawf(reply, "user %s: its key is held by device %s; to replace the device, "
			  "device delete %s and enrol a new one\n", u.name, dev.name, dev.name);
		db_user_wipe(&u);
		return -EPERM;
	}
	account_now(s);
	old = u;
	new_keys(s, &u, o.key_set ? o.key : NULL);
	r = db_user_update(s->db, &u);
	if (r < 0) {
		json_rawf(reply, "user %s: %s\n", u.name, r == -EEXIST ?
			  "that public key belongs to another user" : db_errmsg(s->db));
		goto out;
	}
	au = account_find_id(&s->acct, u.id);
	if (au)
		account_close_session(s, au, time(NULL));
	r = server_sync_user(s, peer_of(&gone, &old), true);
	au = account_update(s, &u);
	if (r == 0 && u.disabled == DB_ENABLED)
		r = server_sync_user(s, au, false);
	account_peer_fresh(s, au);
	if (r < 0) {
		json_rawf(reply, "user %s: its peer: %s\n", u.name, strerror(-r));
		goto out;
	}
	/* Profiles carry the preshared key. */
	portalcore_changed(s, u.id);
	key_to_base64(key, u.public_key);
	json_rawf(reply, "user %s rotated: public key %s\n", u.name, key);
	log_info("user %s: keys rotated", u.name);
out:
	db_user_wipe(&old);
	db_user_wipe(&u);
	return r;
}

int admin_user(struct server *s, int argc, char **argv, struct json *reply)
{
	struct list_ctx l = { s, reply, false };
	const char *verb = argc > 1 ? argv[1] : "";
	struct db_user u;
	char why[200];
	int r;

	/* The client checked too; a request is hostile all the same. */
	r = admin_check(argc, argv, why, sizeof(why));
	if (r < 0) {
		json_rawf(reply, "%s\n", why);
		return r;
	}
	if (strcmp(verb, "add") == 0)
		return user_add(s, argc - 1, argv + 1, reply);
	if (strcmp(verb, "set") == 0)
		return user_set(s, argc - 1, argv + 1, reply);
	if (strcmp(verb, "rotate") == 0)
		return user_rotate(s, argc - 1, argv + 1, reply);
	if (strcmp(verb, "list") == 0 && (argc == 2 || (argc == 3 && strcmp(argv[2], "--json") == 0))) {
		l.json = argc == 3;
		if (l.json)
			json_arr_begin(reply, NULL);
		r = db_user_list(s->db, list_user, &l);
		if (l.json)
			json_end(reply);
		return r;
	}
	if (argc == 3 || (argc == 4 && strcmp(argv[3], "--json") == 0 && strcmp(verb, "show") == 0)) {
		if (strcmp(verb, "show") == 0) {
			r = user_find(s, argv[2], &u, reply);
			if (r == 0) {
				user_json(s, &u, reply);
				db_user_wipe(&u);
			}
			return r;
		}
		if (strcmp(verb, "config") == 0)
			return user_config(s, argv[2], reply);
		if (strcmp(verb, "delete") == 0)
			return user_delete(s, argv[2], reply);
		if (strcmp(verb, "disable") == 0 || strcmp(verb, "enable") == 0)
			return user_state(s, verb, argv[2], reply);
	}
	json_rawf(reply, ADMIN_USER_USAGE "\n");
	return -EINVAL;
}

/* ---- sessions ---- */

struct session_ctx {
	struct server *s;
	struct json *j;
	bool json;
	int64_t now;
	/* user id -> name, for rows of every user */
	struct { int64_t id; const char *name; } *names;
	size_t n_names;
};

static int by_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static const char *user_name(struct session_ctx *c, int64_t id)
{
	size_t lo = 0, hi = c->n_names;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->names[mid].id == id)
			return c->names[mid].name;
		if (c->names[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return "?";
}

static int endpoint_json(int64_t at, const char *endpoint, void *data)
{
	struct json *j = data;

	json_obj_begin(j, NULL);
	json_i64(j, "at", at);
	json_str(j, "endpoint", endpoint);
	json_end(j);
	return 0;
}

static int endpoint_text(int64_t at, const char *endpoint, void *data)
{
	struct json *j = data;
	char t[VALUES_TIME_STRLEN];

	json_rawf(j, "    %s moved to %s\n", values_format_time(at, t, sizeof(t)), endpoint);
	return 0;
}

static int session_row(const struct db_session *r, void *data)
{
	struct session_ctx *c = data;
	int64_t end = r->ended ? r->ended : c->now;
	char t1[VALUES_TIME_STRLEN], t2[VALUES_TIME_STRLEN] = "open";
	char rx[VALUES_SIZE_STRLEN], tx[VALUES_SIZE_STRLEN];

	if (c->json) {
		json_obj_begin(c->j, NULL);
		json_i64(c->j, "id", r->id);
		json_str(c->j, "user", user_name(c, r->user_id));
		json_i64(c->j, "started", r->started);
		if (r->ended)
			json_i64(c->j, "ended", r->ended);
		else
			json_null(c->j, "ended");
		json_i64(c->j, "duration_s", end - r->started);
		json_str(c->j, "endpoint", r->endpoint);
		json_str(c->j, "address", r->address);
		json_u64(c->j, "rx_bytes", r->rx);
		json_u64(c->j, "tx_bytes", r->tx);
		json_arr_begin(c->j, "endpoint_changes");
		db_session_endpoints(c->s->db, r->id, endpoint_json, c->j);
		json_end(c->j);
		json_end(c->j);
		return 0;
	}
	values_format_time(r->started, t1, sizeof(t1));
	if (r->ended)
		values_format_time(r->ended, t2, sizeof(t2));
	json_rawf(c->j, "%-20s %-16s %-16s %7" PRId64 "s %-24s %-18s rx %s tx %s\n",
		  user_name(c, r->user_id), t1, t2, end - r->started, r->endpoint[0] ? r->endpoint : "-",
		  r->address, values_format_size(r->rx, rx, sizeof(rx)),
		  values_format_size(r->tx, tx, sizeof(tx)));
	db_session_endpoints(c->s->db, r->id, endpoint_text, c->j);
	return 0;
}

int admin_session(struct server *s, int argc, char **argv, struct json *reply)
{
	struct session_ctx c = { s, reply, false, time(NULL), NULL, 0 };
	struct db_session_filter f = { 0 };
	struct session_opts so;
	char why[200];
	size_t i;
	int r;

	r = adminargs_session(argc, argv, &so, why, sizeof(why));
	if (r < 0) {
		json_rawf(reply, "%s\n", why);
		return r;
	}
	if (so.user) {
		for (i = 0; i < s->acct.n && !f.user_id; i++)
			if (strcmp(s->acct.v[i].name, so.user) == 0)
				f.user_id = s->acct.v[i].id;
		if (!f.user_id) {
			json_rawf(reply, "no user \"%s\"\n", so.user);
			return -ENOENT;
		}
	}
	f.since = so.since;
	c.json = so.json;
	c.names = xcalloc(s->acct.n + 1, sizeof(*c.names));
	for (i = 0; i < s->acct.n; i++) {
		c.names[i].id = s->acct.v[i].id;
		c.names[i].name = s->acct.v[i].name;
	}
	c.n_names = s->acct.n;
	qsort(c.names, c.n_names, sizeof(*c.names), by_id);
	if (c.json)
		json_arr_begin(reply, NULL);
	r = db_session_list(s->db, &f, session_row, &c);
	if (c.json)
		json_end(reply);
	free(c.names);
	if (r < 0) {
		json_reset(reply);
		json_rawf(reply, "database: %s\n", db_errmsg(s->db));
	}
	return r;
}
