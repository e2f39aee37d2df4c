/* The device operations: a user's devices (config devices with a wg-quick file and QR,
 * agent devices that enrol with a one-time token), their keys, addresses and peers. A
 * device is one peer on the link; its user's expiry and quota govern it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ops.h"
#include "../engine.h"
#include "../clientconf.h"
#include "../pool.h"
#include "../qr.h"
#include "../secret.h"
#include "../link.h"
#include "../server.h"
#include "../token.h"
#include "../values.h"
#include "../../common/json.h"
#include "../../common/log.h"
#include "../../common/util.h"

#define TOKEN_LIFETIME_S (24 * 3600)
#define TOKEN_LIFETIME_MAX_S (365 * 86400)

/* ---- helpers the other operations use too ---- */

int api_device_find(struct api_call *c, const struct db_user *u, const char *name,
		    struct db_device *d)
{
	int r = db_device_get_by_name(c->s->db, u->id, name, d);

	if (r == -ENOENT)
		return api_fail(c, r, "user %s has no device \"%s\"", u->name, name);
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	return 0;
}

struct pick_ctx {
	struct db_device only;
	size_t n;
};

static int pick(const struct db_device *d, void *data)
{
	struct pick_ctx *p = data;

	if (!p->n++)
		p->only = *d;
	return 0;
}

int api_device_default(struct api_call *c, const struct db_user *u, struct db_device *d)
{
	struct pick_ctx p = { .n = 0 };
	int r = db_device_list(c->s->db, u->id, pick, &p);

	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	if (p.n == 1) {
		*d = p.only;
		r = 0;
	} else if (p.n == 0) {
		r = api_fail(c, -ENOENT, "user %s has no device", u->name);
	} else if (db_device_get_by_name(c->s->db, u->id, u->name, d) == 0) {
		r = 0;
	} else {
		r = api_fail(c, -EINVAL, "user %s has %zu devices: name one (--device)", u->name, p.n);
	}
	db_device_wipe(&p.only);
	return r;
}

static int seal_key(struct server *s, const uint8_t key[KEY_LEN], uint8_t *out, size_t *outlen)
{
	return secret_seal(s->secret, key, KEY_LEN, out, outlen);
}

/* New keys for d: a pair made here (the private one sealed), or the client's public key;
 * and a preshared key either way. */
static void new_keys(struct server *s, struct db_device *d, const uint8_t *client_key)
{
	uint8_t priv[KEY_LEN], psk[KEY_LEN];

	d->private_key_enc_len = 0;
	d->has_key = true;
	if (client_key) {
		memcpy(d->public_key, client_key, KEY_LEN);
	} else {
		key_generate_private(priv);
		key_public(d->public_key, priv);
		seal_key(s, priv, d->private_key_enc, &d->private_key_enc_len);
		sodium_memzero(priv, sizeof(priv));
	}
	key_generate_preshared(psk);
	seal_key(s, psk, d->preshared_key_enc, &d->preshared_key_enc_len);
	sodium_memzero(psk, sizeof(psk));
}

static int count_devices(struct api_call *c, int64_t user_id)
{
	uint64_t n = 0;
	int r = db_device_count(c->s->db, user_id, &n);

	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	if (n >= c->s->c->server.max_devices)
		return api_fail(c, -ENOSPC, "a user has at most %u devices (server.max_devices)",
				c->s->c->server.max_devices);
	return 0;
}

/* The lowest free address of each pool, known in memory: no scan of the table. */
static int alloc_addrs(struct api_call *c, struct cidr addrs[SERVER_MAX_POOLS], size_t *n)
{
	struct server *s = c->s;
	size_t i;

	*n = 0;
	for (i = 0; i < s->n_pools; i++) {
		struct diag d = { 0 };
		int r = pool_alloc(&s->pools[i], &s->used[i], &addrs[*n], &d);

		if (r < 0) {
			api_fail(c, r, "%s", diag_first_error(&d));
			diag_clear(&d);
			return r;
		}
		(*n)++;
	}
	return 0;
}

/* d's keys and addresses are stored: the account learns it, the peer goes on. */
static int device_live(struct api_call *c, const struct db_device *d)
{
	struct server *s = c->s;
	struct acct_device *ad = account_update_device(s, d);
	int r = 0;

	if (ad && account_on_link(&s->acct, ad))
		r = link_sync_device(s, ad, false);
	if (r < 0)
		return api_fail(c, r, "device %s: its peer: %s", d->name, strerror(-r));
	server_user_changed(s, d->user_id);
	return 0;
}

/* Store addresses for d inside the caller's transaction, then mark them used. */
static int store_addrs(struct api_call *c, int64_t device_id, const struct cidr *addrs, size_t n)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = db_addr_add(c->s->db, device_id, &addrs[i]);
		if (r < 0)
			return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	}
	return 0;
}

static void mark_used(struct server *s, const struct cidr *addrs, size_t n, bool used)
{
	size_t i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < s->n_pools; k++) {
			if (used)
				pool_used_add(&s->used[k], &s->pools[k], &addrs[i]);
			else
				pool_used_remove(&s->used[k], &s->pools[k], &addrs[i]);
		}
}

int api_device_create(struct api_call *c, const struct db_user *u, const char *name,
		      const uint8_t *public_key, struct db_device *d)
{
	struct server *s = c->s;
	struct cidr addrs[SERVER_MAX_POOLS];
	size_t n = 0;
	int r;

	memset(d, 0, sizeof(*d));
	if ((r = count_devices(c, u->id)) < 0 || (r = alloc_addrs(c, addrs, &n)) < 0)
		return r;
	d->user_id = u->id;
	d->kind = DB_DEVICE_CONFIG;
	snprintf(d->name, sizeof(d->name), "%s", name);
	new_keys(s, d, public_key);
	r = db_begin(s->db);
	if (r == 0)
		r = db_device_add(s->db, d, NULL, &d->id);
	if (r == -EEXIST) {
		db_rollback(s->db);
		if (db_device_get_by_name(s->db, u->id, name, &(struct db_device){ 0 }) == 0)
			return api_fail(c, r, "user %s has a device \"%s\" already", u->name, name);
		return api_fail(c, r, "device %s: that public key belongs to another device", name);
	}
	if (r == 0)
		r = store_addrs(c, d->id, addrs, n);
	if (r == 0 && (r = db_commit(s->db)) < 0)
		api_fail(c, r, "database: %s", db_errmsg(s->db));
	if (r < 0) {
		db_rollback(s->db);
		if (!c->error[0])
			api_fail(c, r, "database: %s", db_errmsg(s->db));
		return r;
	}
	mark_used(s, addrs, n, true);
	r = db_device_get(s->db, d->id, d);
	if (r == 0)
		r = device_live(c, d);
	if (r == 0)
		log_info("device %s/%s added", u->name, d->name);
	return r;
}

int api_device_rekey(struct api_call *c, struct db_device *d, const uint8_t *public_key)
{
	struct server *s = c->s;
	struct acct_device *ad = account_device(&s->acct, d->id);
	struct db_device old = *d;
	struct acct_device gone = { 0 };
	int r;

	/* The bytes of the old key count before it goes. */
	account_poll(s);
	new_keys(s, d, public_key);
	r = db_device_set_keys(s->db, d);
	if (r < 0) {
		db_device_wipe(&old);
		return api_fail(c, r, "device %s: %s", d->name, r == -EEXIST ?
				"that public key belongs to another device" : db_errmsg(s->db));
	}
	ad = account_device(&s->acct, d->id);
	if (ad)
		account_close_session(s, ad, time(NULL));
	if (old.has_key) {
		memcpy(gone.key, old.public_key, KEY_LEN);
		snprintf(gone.name, sizeof(gone.name), "%s", old.name);
		link_sync_device(s, &gone, true);
	}
	db_device_wipe(&old);
	r = device_live(c, d);
	ad = account_device(&s->acct, d->id);
	if (ad)
		account_peer_fresh(s, ad);
	if (r == 0)
		log_info("device %s: keys rotated", d->name);
	return r;
}

struct addr_list {
	struct cidrv v;
};

static int collect_addr(int64_t device_id, const struct cidr *a, void *data)
{
	(void)device_id;
	cidrv_push(&((struct addr_list *)data)->v, a);
	return 0;
}

int api_device_remove(struct api_call *c, const struct db_device *d)
{
	struct server *s = c->s;
	struct acct_device *ad = account_device(&s->acct, d->id);
	struct addr_list al = { { 0 } };
	struct acct_device gone = { 0 };
	int r = 0;

	if (ad)
		account_close_session(s, ad, time(NULL));
	if (d->has_key) {
		memcpy(gone.key, d->public_key, KEY_LEN);
		snprintf(gone.name, sizeof(gone.name), "%s", d->name);
		r = link_sync_device(s, &gone, true);
		if (r < 0)
			return api_fail(c, r, "device %s: its peer: %s", d->name, strerror(-r));
	}
	db_addr_list_device(s->db, d->id, collect_addr, &al);
	r = db_device_delete(s->db, d->id);
	if (r < 0) {
		cidrv_clear(&al.v);
		return api_fail(c, r, "device %s: database: %s", d->name, db_errmsg(s->db));
	}
	mark_used(s, al.v.v, al.v.n, false);
	cidrv_clear(&al.v);
	account_forget_device(s, d->id);
	/* A long poll of an agent device gets its 401 now. */
	server_user_changed(s, d->user_id);
	log_info("device %s deleted", d->name);
	return 0;
}

int api_device_enroll(struct server *s, struct db_device *d, const uint8_t key[KEY_LEN],
		      const uint8_t credential_hash[DB_HASH_LEN], char *why, size_t whylen)
{
	struct api_call c = { .s = s };
	struct addr_list al = { { 0 } };
	struct cidr addrs[SERVER_MAX_POOLS];
	uint8_t psk[KEY_LEN];
	size_t n = 0;
	int r;

	db_addr_list_device(s->db, d->id, collect_addr, &al);
	if (!al.v.n && (r = alloc_addrs(&c, addrs, &n)) < 0)
		goto out;
	d->has_key = true;
	memcpy(d->public_key, key, KEY_LEN);
	d->private_key_enc_len = 0;
	key_generate_preshared(psk);
	seal_key(s, psk, d->preshared_key_enc, &d->preshared_key_enc_len);
	sodium_memzero(psk, sizeof(psk));
	r = db_begin(s->db);
	if (r == 0)
		r = db_device_enroll(s->db, d, credential_hash, time(NULL));
	if (r == 0)
		r = store_addrs(&c, d->id, addrs, n);
	if (r == 0)
		r = db_commit(s->db);
	if (r < 0) {
		db_rollback(s->db);
		if (r == -EEXIST)
			api_fail(&c, r, "public_key: in use by another device");
		else if (!c.error[0])
			api_fail(&c, r, "database: %s", db_errmsg(s->db));
		goto out;
	}
	mark_used(s, addrs, n, true);
	r = db_device_get(s->db, d->id, d);
	if (r == 0)
		r = device_live(&c, d);
	if (r == 0) {
		struct acct_device *ad = account_device(&s->acct, d->id);

		if (ad)
			account_peer_fresh(s, ad);
	}
out:
	cidrv_clear(&al.v);
	if (r < 0)
		snprintf(why, whylen, "%s", c.error[0] ? c.error : strerror(-r));
	return r;
}

char *api_device_config(struct api_call *c, const struct db_user *u, const struct db_device *d)
{
	struct server *s = c->s;
	const struct server_conf *sc = &s->c->server;
	uint8_t priv[KEY_LEN], psk[KEY_LEN];
	struct clientconf_server cs = {
		.endpoint_host = sc->endpoint_host, .endpoint_port = sc->endpoint_port,
		.dns = &sc->dns, .allowed_ips = &sc->client_allowed_ips,
		.keepalive = sc->client_keepalive, .mtu = sc->mtu,
	};
	struct clientconf_user cu = { 0 };
	struct addr_list al = { { 0 } };
	char *text = NULL;
	size_t len;

	if (!d->has_key) {
		api_fail(c, -EINVAL, "device %s/%s: not enrolled yet: it has no key", u->name, d->name);
		return NULL;
	}
	memcpy(cs.public_key, s->public_key, KEY_LEN);
	cu.public_key = d->public_key;
	if (d->private_key_enc_len) {
		if (secret_open(s->secret, d->private_key_enc, d->private_key_enc_len, priv, &len) < 0 ||
		    len != KEY_LEN) {
			api_fail(c, -EBADMSG, "device %s/%s: the stored private key does not decrypt",
				 u->name, d->name);
			goto out;
		}
		cu.private_key = priv;
	}
	if (d->preshared_key_enc_len &&
	    secret_open(s->secret, d->preshared_key_enc, d->preshared_key_enc_len, psk, &len) == 0 &&
	    len == KEY_LEN)
		cu.preshared_key = psk;
	db_addr_list_device(s->db, d->id, collect_addr, &al);
	cu.addresses = &al.v;
	text = clientconf_write(&cs, &cu);
	if (!text)
		api_fail(c, -EINVAL, "device %s/%s: cannot write its configuration", u->name, d->name);
out:
	cidrv_clear(&al.v);
	sodium_memzero(priv, sizeof(priv));
	sodium_memzero(psk, sizeof(psk));
	return text;
}

static int put_addr(int64_t device_id, const struct cidr *a, void *data)
{
	char buf[CIDR_STRLEN];

	(void)device_id;
	json_str(data, NULL, cidr_fmt(a, buf));
	return 0;
}

void api_device_json(struct server *s, const struct db_device *d, struct json *j,
		     const char *key)
{
	const struct acct_device *ad = account_device(&s->acct, d->id);
	const struct acct_user *u = account_user(&s->acct, d->user_id);
	char pub[KEY_B64_LEN];

	json_obj_begin(j, key);
	json_str(j, "name", d->name);
	json_str(j, "user", u ? u->name : NULL);
	json_str(j, "kind", api_kind_names[d->kind]);
	if (d->has_key) {
		key_to_base64(pub, d->public_key);
		json_str(j, "public_key", pub);
	} else {
		json_null(j, "public_key");
	}
	json_bool(j, "server_holds_private_key", d->private_key_enc_len > 0);
	json_arr_begin(j, "addresses");
	db_addr_list_device(s->db, d->id, put_addr, j);
	json_end(j);
	json_i64(j, "created", d->created);
	json_u64(j, "rx_bytes", ad ? ad->rx_total : d->rx_total);
	json_u64(j, "tx_bytes", ad ? ad->tx_total : d->tx_total);
	if (d->kind == DB_DEVICE_AGENT) {
		json_str(j, "state", d->enrolled ? "enrolled" :
			 d->token_expires > time(NULL) ? "waiting" : "token expired");
		if (d->enrolled)
			json_i64(j, "enrolled", d->enrolled);
		else
			json_null(j, "enrolled");
		if (d->last_seen)
			json_i64(j, "last_seen", d->last_seen);
		else
			json_null(j, "last_seen");
		json_u64(j, "profile_serial", d->profile_serial);
	}
	if (ad) {
		account_device_json(ad, j);
		engine_device_json(s, ad, j);
	} else {
		json_bool(j, "online", false);
		json_str(j, "endpoint", d->endpoint[0] ? d->endpoint : NULL);
	}
	json_end(j);
}

/* ---- operations ---- */

struct dev_req {
	char user[DB_NAME_MAX + 1];
	bool has_user;
	char device[DB_NAME_MAX + 1];
	bool has_device;
	uint8_t public_key[KEY_LEN];
	bool has_public_key;
};

static const struct api_field dev_user_fields[] = {
	API_FIELD_L(struct dev_req, user, API_NAME, API_REQUIRED | API_PATH, "user name"),
	API_FIELD_END,
};

static const struct api_field dev_fields[] = {
	API_FIELD_L(struct dev_req, user, API_NAME, API_REQUIRED | API_PATH, "user name"),
	API_FIELD_L(struct dev_req, device, API_NAME, API_REQUIRED | API_PATH, "device name"),
	API_FIELD_END,
};

static const struct api_field dev_rotate_fields[] = {
	API_FIELD_L(struct dev_req, user, API_NAME, API_REQUIRED | API_PATH, "user name"),
	API_FIELD_L(struct dev_req, device, API_NAME, API_REQUIRED | API_PATH, "device name"),
	API_FIELD(struct dev_req, public_key, API_KEY, 0),
	API_FIELD_END,
};

/* The socket's forms, where the device may be left out. */
static const struct api_field user_dev_fields[] = {
	API_FIELD_L(struct dev_req, user, API_NAME, API_REQUIRED, "user name"),
	API_FIELD_L(struct dev_req, device, API_NAME, 0, "device name"),
	API_FIELD_END,
};

static const struct api_field user_rotate_fields[] = {
	API_FIELD_L(struct dev_req, user, API_NAME, API_REQUIRED, "user name"),
	API_FIELD_L(struct dev_req, device, API_NAME, 0, "device name"),
	API_FIELD(struct dev_req, public_key, API_KEY, 0),
	API_FIELD_END,
};

/* The user and device a request names (the device by default when not named). */
static int find_both(struct api_call *c, struct db_user *u, struct db_device *d)
{
	struct dev_req *q = c->req;
	int r = api_user_find(c, q->user, u);

	if (r < 0)
		return r;
	r = q->has_device ? api_device_find(c, u, q->device, d) : api_device_default(c, u, d);
	if (r < 0)
		db_user_wipe(u);
	else
		snprintf(c->target, sizeof(c->target), "%s/%s", u->name, d->name);
	return r;
}

struct list_ctx {
	struct server *s;
	struct json *j;
};

static int list_row(const struct db_device *d, void *data)
{
	struct list_ctx *l = data;

	api_device_json(l->s, d, l->j, NULL);
	return 0;
}

static int device_list(struct api_call *c)
{
	struct dev_req *q = c->req;
	struct list_ctx l = { c->s, c->reply };
	struct db_user u;
	uint64_t n = 0;
	int r = q->has_user ? api_user_find(c, q->user, &u) : 0;

	if (r < 0)
		return r;
	json_obj_begin(c->reply, NULL);
	json_arr_begin(c->reply, "devices");
	r = db_device_list(c->s->db, q->has_user ? u.id : 0, list_row, &l);
	json_end(c->reply);
	db_device_count(c->s->db, q->has_user ? u.id : 0, &n);
	json_u64(c->reply, "total", n);
	json_null(c->reply, "next");
	json_end(c->reply);
	if (q->has_user)
		db_user_wipe(&u);
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	return 0;
}

const struct api_op op_device_list = {
	"device.list", "GET", "/api/v1/users/{user}/devices", API_VIEWER, 0,
	sizeof(struct dev_req), dev_user_fields, device_list,
	"A user's devices", NULL,
};

static const struct api_field dev_all_fields[] = {
	API_FIELD_L(struct dev_req, user, API_NAME, 0, "user name"),
	API_FIELD_END,
};

const struct api_op op_device_all = {
	"device.all", "GET", "/api/v1/devices", API_VIEWER, 0,
	sizeof(struct dev_req), dev_all_fields, device_list,
	"Every device, or one user's (?user=)", NULL,
};

/* add: a config device (keys made here unless public_key is given) or an agent device
 * (a one-time enrolment token; keys and addresses come at enrolment). */
static const char *const kind_names[] = { "config", "agent", NULL };

struct dev_add_req {
	char user[DB_NAME_MAX + 1];
	bool has_user;
	char name[DB_NAME_MAX + 1];
	bool has_name;
	int kind;
	bool has_kind;
	uint8_t public_key[KEY_LEN];
	bool has_public_key;
	struct api_expiry token_expires;
	bool has_token_expires;
};

static const struct api_field dev_add_fields[] = {
	API_FIELD_L(struct dev_add_req, user, API_NAME, API_REQUIRED | API_PATH, "user name"),
	API_FIELD_L(struct dev_add_req, name, API_NAME, API_REQUIRED, "device name"),
	API_FIELD_ENUM(struct dev_add_req, kind, kind_names, 0),
	API_FIELD(struct dev_add_req, public_key, API_KEY, 0),
	API_FIELD(struct dev_add_req, token_expires, API_EXPIRY, 0),
	API_FIELD_END,
};

static int device_add_check(const void *req, char *why, size_t whylen)
{
	const struct dev_add_req *q = req;

	if (q->kind == DB_DEVICE_AGENT && q->has_public_key)
		snprintf(why, whylen, "public_key: an agent device makes its own key when it enrols");
	else if (q->kind == DB_DEVICE_CONFIG && q->has_token_expires)
		snprintf(why, whylen, "token_expires: only an agent device enrols with a token");
	else
		return 0;
	return -EINVAL;
}

static int device_add(struct api_call *c)
{
	struct dev_add_req *q = c->req;
	struct server *s = c->s;
	char tok[TOKEN_LEN + 1];
	uint8_t th[TOKEN_HASH_LEN];
	struct db_device d = { 0 };
	struct db_user u;
	int64_t now = time(NULL), until;
	int r;

	snprintf(c->target, sizeof(c->target), "%s/%s", q->user, q->name);
	r = api_user_find(c, q->user, &u);
	if (r < 0)
		return r;
	if (q->kind == DB_DEVICE_CONFIG) {
		r = api_device_create(c, &u, q->name, q->has_public_key ? q->public_key : NULL, &d);
		if (r == 0) {
			api_device_json(s, &d, c->reply, NULL);
			c->status = 201;
		}
		goto out;
	}
	if ((r = count_devices(c, u.id)) < 0)
		goto out;
	until = now + TOKEN_LIFETIME_S;
	if (q->has_token_expires) {
		if (api_expiry_at(&q->token_expires, now, &until) < 0 || until <= now ||
		    until - now > TOKEN_LIFETIME_MAX_S) {
			r = api_fail(c, -EINVAL, "token_expires: between now and 365 days from now");
			goto out;
		}
	}
	d.user_id = u.id;
	d.kind = DB_DEVICE_AGENT;
	snprintf(d.name, sizeof(d.name), "%s", q->name);
	d.token_expires = until;
	token_new(tok);
	token_hash(tok, th);
	r = db_device_add(s->db, &d, th, &d.id);
	sodium_memzero(th, sizeof(th));
	if (r == -EEXIST)
		api_fail(c, r, "user %s has a device \"%s\" already", u.name, q->name);
	else if (r < 0)
		api_fail(c, r, "database: %s", db_errmsg(s->db));
	if (r == 0 && (r = db_device_get(s->db, d.id, &d)) == 0) {
		account_update_device(s, &d);
		json_obj_begin(c->reply, NULL);
		json_str(c->reply, "token", tok);
		api_device_json(s, &d, c->reply, "device");
		json_end(c->reply);
		c->status = 201;
		log_info("device %s added for user %s", d.name, u.name);
	}
	sodium_memzero(tok, sizeof(tok));
out:
	db_device_wipe(&d);
	db_user_wipe(&u);
	return r;
}

const struct api_op op_device_add = {
	"device.add", "POST", "/api/v1/users/{user}/devices", API_ADMIN, API_CHANGES,
	sizeof(struct dev_add_req), dev_add_fields, device_add,
	"Add a device: a config device, or an agent device and its one-time enrolment token",
	device_add_check,
};

static int device_show(struct api_call *c)
{
	struct db_device d;
	struct db_user u;
	int r = find_both(c, &u, &d);

	if (r < 0)
		return r;
	api_device_json(c->s, &d, c->reply, NULL);
	db_device_wipe(&d);
	db_user_wipe(&u);
	return 0;
}

const struct api_op op_device_show = {
	"device.show", "GET", "/api/v1/users/{user}/devices/{device}", API_VIEWER, 0,
	sizeof(struct dev_req), dev_fields, device_show,
	"One device", NULL,
};

static int device_config(struct api_call *c)
{
	struct db_device d;
	struct db_user u;
	char *text;
	int r = find_both(c, &u, &d);

	if (r < 0)
		return r;
	text = api_device_config(c, &u, &d);
	if (text) {
		json_raw(c->reply, text, strlen(text));
		clientconf_text_free(text);
		c->content_type = "text/plain; charset=utf-8";
		snprintf(c->filename, sizeof(c->filename), "%s.conf", d.name);
	} else {
		r = -EINVAL;
	}
	db_device_wipe(&d);
	db_user_wipe(&u);
	return r;
}

const struct api_op op_device_config = {
	"device.config", "GET", "/api/v1/users/{user}/devices/{device}/config", API_ADMIN, 0,
	sizeof(struct dev_req), dev_fields, device_config,
	"The device's wg-quick file", NULL,
};

const struct api_op op_user_config = {
	"user.config", "GET", NULL, API_ADMIN, API_SOCKET,
	sizeof(struct dev_req), user_dev_fields, device_config,
	"A user's device's wg-quick file (the CLI's user config)", NULL,
};

static int device_qr(struct api_call *c)
{
	struct db_device d;
	struct db_user u;
	char *text, *svg = NULL;
	size_t len = 0;
	FILE *f;
	int r = find_both(c, &u, &d);

	if (r < 0)
		return r;
	text = api_device_config(c, &u, &d);
	if (!text) {
		r = -EINVAL;
		goto out;
	}
	f = open_memstream(&svg, &len);
	r = f ? qr_svg(text, f) : -ENOMEM;
	if (f && fclose(f) != 0 && r == 0)
		r = -EIO;
	clientconf_text_free(text);
	if (r < 0) {
		api_fail(c, r, "device %s: the QR code: %s", d.name, strerror(-r));
	} else {
		json_raw(c->reply, svg, len);
		c->content_type = "image/svg+xml";
	}
	if (svg) {
		sodium_memzero(svg, len);
		free(svg);
	}
out:
	db_device_wipe(&d);
	db_user_wipe(&u);
	return r;
}

const struct api_op op_device_qr = {
	"device.qr", "GET", "/api/v1/users/{user}/devices/{device}/qr.svg", API_ADMIN, 0,
	sizeof(struct dev_req), dev_fields, device_qr,
	"The device's wg-quick file as a QR code (SVG)", NULL,
};

const struct api_op op_user_qr = {
	"user.qr", "GET", NULL, API_ADMIN, API_SOCKET,
	sizeof(struct dev_req), user_dev_fields, device_config,
	"A user's device's wg-quick file, for the CLI to draw as QR", NULL,
};

static int device_rotate(struct api_call *c)
{
	struct dev_req *q = c->req;
	struct db_device d;
	struct db_user u;
	int r = find_both(c, &u, &d);

	if (r < 0)
		return r;
	/* An agent device makes its own key: new keys here would cut it off for good. */
	if (d.kind == DB_DEVICE_AGENT) {
		r = api_fail(c, -EPERM, "device %s/%s is an enrolled agent: it holds its own key; "
			     "to replace it, delete the device and add a new one", u.name, d.name);
		goto out;
	}
	r = api_device_rekey(c, &d, q->has_public_key ? q->public_key : NULL);
	if (r == 0)
		api_device_json(c->s, &d, c->reply, NULL);
out:
	db_device_wipe(&d);
	db_user_wipe(&u);
	return r;
}

const struct api_op op_device_rotate = {
	"device.rotate", "POST", "/api/v1/users/{user}/devices/{device}/rotate", API_ADMIN,
	API_CHANGES, sizeof(struct dev_req), dev_rotate_fields, device_rotate,
	"New keys for a device: the old key stops working at once", NULL,
};

const struct api_op op_user_rotate = {
	"user.rotate", "POST", NULL, API_ADMIN, API_CHANGES | API_SOCKET,
	sizeof(struct dev_req), user_rotate_fields, device_rotate,
	"New keys for a user's device (the CLI's user rotate)", NULL,
};

static int device_delete(struct api_call *c)
{
	struct db_device d;
	struct db_user u;
	int r = find_both(c, &u, &d);

	if (r < 0)
		return r;
	r = api_device_remove(c, &d);
	if (r == 0)
		c->status = 204;
	db_device_wipe(&d);
	db_user_wipe(&u);
	return r;
}

const struct api_op op_device_delete = {
	"device.delete", "DELETE", "/api/v1/users/{user}/devices/{device}", API_ADMIN, API_CHANGES,
	sizeof(struct dev_req), dev_fields, device_delete,
	"Revoke a device: its peer leaves the link, its addresses go back to the pools", NULL,
};

/* ---- a user's own devices (the portal): the same operations, on the caller ---- */

static const struct api_field me_add_fields[] = {
	API_FIELD_L(struct dev_add_req, name, API_NAME, API_REQUIRED, "device name"),
	API_FIELD(struct dev_add_req, public_key, API_KEY, 0),
	API_FIELD_END,
};

static const struct api_field me_dev_fields[] = {
	API_FIELD_L(struct dev_req, device, API_NAME, API_REQUIRED | API_PATH, "device name"),
	API_FIELD_END,
};

static const struct api_field me_rotate_fields[] = {
	API_FIELD_L(struct dev_req, device, API_NAME, API_REQUIRED | API_PATH, "device name"),
	API_FIELD(struct dev_req, public_key, API_KEY, 0),
	API_FIELD_END,
};

/* The user is the session's, never the request's: no field names it. */
static int me_user(struct api_call *c, char *user, bool *has_user)
{
	if (c->who.kind != API_CALLER_USER || !c->who.name[0])
		return api_fail(c, -EACCES, "forbidden");
	snprintf(user, DB_NAME_MAX + 1, "%s", c->who.name);
	*has_user = true;
	return 0;
}

static int me_device_add(struct api_call *c)
{
	struct dev_add_req *q = c->req;
	int r = me_user(c, q->user, &q->has_user);

	if (r < 0)
		return r;
	q->kind = DB_DEVICE_CONFIG;
	return device_add(c);
}

#define ME_DEVICE_OP(fn) \
	static int me_##fn(struct api_call *c) \
	{ \
		struct dev_req *q = c->req; \
		int r = me_user(c, q->user, &q->has_user); \
		return r < 0 ? r : fn(c); \
	}
ME_DEVICE_OP(device_config)
ME_DEVICE_OP(device_qr)
ME_DEVICE_OP(device_rotate)
ME_DEVICE_OP(device_delete)

const struct api_op op_me_device_add = {
	"me.device.add", "POST", "/api/v1/me/devices", API_USER, API_CHANGES,
	sizeof(struct dev_add_req), me_add_fields, me_device_add,
	"Add a device of one's own (up to server.max_devices); keys made here unless "
	"public_key is given", NULL,
};

const struct api_op op_me_device_config = {
	"me.device.config", "GET", "/api/v1/me/devices/{device}/config", API_USER, 0,
	sizeof(struct dev_req), me_dev_fields, me_device_config,
	"One's device's wg-quick file", NULL,
};

const struct api_op op_me_device_qr = {
	"me.device.qr", "GET", "/api/v1/me/devices/{device}/qr.svg", API_USER, 0,
	sizeof(struct dev_req), me_dev_fields, me_device_qr,
	"One's device's wg-quick file as a QR code (SVG)", NULL,
};

const struct api_op op_me_device_rotate = {
	"me.device.rotate", "POST", "/api/v1/me/devices/{device}/rotate", API_USER, API_CHANGES,
	sizeof(struct dev_req), me_rotate_fields, me_device_rotate,
	"New keys for one's device (public_key: made in the browser); the old key stops at once",
	NULL,
};

const struct api_op op_me_device_delete = {
	"me.device.delete", "DELETE", "/api/v1/me/devices/{device}", API_USER, API_CHANGES,
	sizeof(struct dev_req), me_dev_fields, me_device_delete,
	"Revoke one's device", NULL,
};
