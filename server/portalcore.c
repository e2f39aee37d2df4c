/* The server's side of the portal (docs/portal.md): devices and admin tokens, enrolment,
 * signed profiles with long polls, and the admin API, answering what the unprivileged
 * HTTP process forwards. Every secret is looked up by its hash. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "adminargs.h"
#include "ipc.h"
#include "portalcore.h"
#include "portalproc.h"
#include "secret.h"
#include "server.h"
#include "token.h"
#include "values.h"
#include "../agent/loop.h"
#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../profiles/profile.h"

#define WAIT_MAX_S 300
#define TOKEN_LIFETIME_S (24 * 3600)

/* A profile request waiting for a change (long poll). */
struct pending {
	uint32_t id;
	int64_t device_id;
	int64_t user_id;            /* whose key and addresses the profile carries */
	char etag[PROFILE_ETAG_LEN];
	uint64_t deadline_ms;
};

struct portalcore {
	struct portalproc proc;
	bool running;               /* proc was started */
	uint8_t sign_pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sign_sk[crypto_sign_SECRETKEYBYTES];
	struct pending *pending;
	size_t n_pending;
	struct timer *timer;        /* the earliest long-poll deadline */
};

/* ---- answers ---- */

static void answer(struct server *s, uint32_t id, int status, const char *body, size_t len,
		   const char *etag, const char *sig)
{
	if (s->portal && s->portal->running &&
	    portalproc_answer(&s->portal->proc, id, status, body, len, etag, sig, 0) < 0)
		log_debug("portal: request %u: its client is gone", id);
}

static void answer_json(struct server *s, uint32_t id, int status, struct json *j)
{
	answer(s, id, status, json_text(j), json_len(j), NULL, NULL);
}

static void answer_error(struct server *s, uint32_t id, int status, const char *msg)
{
	struct json j = { 0 };
	size_t n = strlen(msg);

	while (n && msg[n - 1] == '\n')
		n--;
	json_obj_begin(&j, NULL);
	json_strn(&j, "error", msg, n);
	json_end(&j);
	answer_json(s, id, status, &j);
	json_clear(&j);
}

/* ---- profiles ---- */

/* The one tunnel a device runs: what `user config` hands out, but its key is the
 * device's own. */
static int device_tunnel(struct server *s, const struct acct_user *u, struct profile_tunnel *t)
{
	const struct server_conf *sc = &s->c->server;
	size_t len = 0, i;

	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", sc->portal.name);
	t->endpoint_host = xstrdup(sc->endpoint_host);
	t->endpoint_port = sc->endpoint_port;
	memcpy(t->public_key, s->public_key, KEY_LEN);
	if (u->psk_enc_len) {
		if (secret_open(s->secret, u->psk_enc, u->psk_enc_len, t->preshared_key, &len) < 0 ||
		    len != KEY_LEN)
			return -EBADMSG;
		t->has_preshared_key = true;
	}
	for (i = 0; i < u->n_addrs; i++)
		cidrv_push(&t->addresses, &u->addrs[i]);
	for (i = 0; i < sc->client_allowed_ips.n; i++)
		cidrv_push(&t->allowed_ips, &sc->client_allowed_ips.v[i]);
	for (i = 0; i < sc->dns.n; i++)
		cidrv_push(&t->dns, &sc->dns.v[i]);
	t->keepalive = sc->client_keepalive;
	t->mtu = sc->mtu;
	return 0;
}

/* The device's profile as signed bytes. Its serial grows when its content changed since
 * the last one made, so an agent can refuse an older profile played back to it. */
static int device_profile(struct server *s, struct db_device *d, char **text, size_t *len,
			  char etag[PROFILE_ETAG_LEN])
{
	struct profile p = { 0 };
	struct profile_tunnel t;
	struct acct_user *u = account_find_id(&s->acct, d->user_id);
	uint8_t hash[DB_HASH_LEN];
	int r;

	*text = NULL;
	if (!u)
		return -ENOENT;
	snprintf(p.device, sizeof(p.device), "%s", d->name);
	r = device_tunnel(s, u, &t);
	p.tunnels = &t;
	p.n_tunnels = 1;
	if (r == 0) {
		/* The content alone (serial and time zero) tells whether anything changed. */
		*text = profile_build(&p, len);
		r = *text ? 0 : -EINVAL;
	}
	if (r == 0) {
		crypto_generichash(hash, sizeof(hash), (const uint8_t *)*text, *len, NULL, 0);
		profile_text_free(*text, *len);
		*text = NULL;
		if (!d->has_profile_hash || memcmp(hash, d->profile_hash, sizeof(hash)) != 0) {
			d->profile_serial++;
			d->profile_issued = time(NULL);
			memcpy(d->profile_hash, hash, sizeof(hash));
			d->has_profile_hash = true;
			r = db_device_set_profile(s->db, d->id, d->profile_serial, hash, d->profile_issued);
		}
	}
	if (r == 0) {
		p.serial = d->profile_serial;
		p.issued = d->profile_issued;
		*text = profile_build(&p, len);
		r = *text ? 0 : -EINVAL;
	}
	if (r == 0)
		profile_etag(*text, *len, etag);
	p.tunnels = NULL;
	p.n_tunnels = 0;
	profile_clear(&p);
	free(t.endpoint_host);
	cidrv_clear(&t.addresses);
	cidrv_clear(&t.allowed_ips);
	cidrv_clear(&t.dns);
	sodium_memzero(t.preshared_key, sizeof(t.preshared_key));
	return r;
}

/* Answer with the profile, or 304 when the agent has it already. true when answered. */
static bool answer_profile(struct server *s, uint32_t id, struct db_device *d,
			   const char *have, bool must)
{
	char etag[PROFILE_ETAG_LEN], sig[PROFILE_SIG_B64_LEN], *text;
	size_t len = 0;
	int r = device_profile(s, d, &text, &len, etag);

	if (r < 0) {
		log_err("portal: device %s: its profile: %s", d->name, strerror(-r));
		answer_error(s, id, 500, "the profile cannot be made");
		return true;
	}
	if (have && strcmp(have, etag) == 0) {
		profile_text_free(text, len);
		if (!must)
			return false;
		answer(s, id, 304, NULL, 0, etag, NULL);
		return true;
	}
	/* Signed only when it is sent: a 304 needs no signature. */
	profile_sign(s->portal->sign_sk, text, len, sig);
	answer(s, id, 200, text, len, etag, sig);
	profile_text_free(text, len);
	return true;
}

static void pending_drop(struct portalcore *pc, size_t i)
{
	pc->pending[i] = pc->pending[--pc->n_pending];
}

static void pending_arm(struct portalcore *pc)
{
	uint64_t now = loop_now_ms(), first = 0;
	size_t i;

	for (i = 0; i < pc->n_pending; i++)
		if (!first || pc->pending[i].deadline_ms < first)
			first = pc->pending[i].deadline_ms;
	if (first)
		timer_arm(pc->timer, first > now ? first - now : 0);
	else
		timer_disarm(pc->timer);
}

/* Long polls whose wait is over get 304, or the profile if it changed meanwhile; with
 * changed, those of user_id (every user for 0) get their profile now if it changed.
 * Nothing else is looked at: thousands of agents may be waiting. */
static void pending_check(struct server *s, bool changed, int64_t user_id)
{
	struct portalcore *pc = s->portal;
	uint64_t now = loop_now_ms();
	size_t i = 0;

	while (i < pc->n_pending) {
		struct pending *p = &pc->pending[i];
		bool expired = p->deadline_ms <= now, done = false;
		struct db_device d;

		if (expired || (changed && (!user_id || p->user_id == user_id))) {
			if (db_device_get(s->db, p->device_id, &d) < 0) {
				answer_error(s, p->id, 401, "unauthorized");
				done = true;
			} else {
				done = answer_profile(s, p->id, &d, p->etag, expired);
			}
		}
		if (done)
			pending_drop(pc, i);
		else
			i++;
	}
	pending_arm(pc);
}

static void on_pending_timer(struct loop *l, struct timer *t, void *data)
{
	(void)l;
	(void)t;
	pending_check(data, false, 0);
}

void portalcore_changed(struct server *s, int64_t user_id)
{
	if (s->portal && s->portal->n_pending)
		pending_check(s, true, user_id);
}

/* ---- requests from the HTTP process ---- */

static void on_enroll(struct server *s, const struct ipc_msg *m)
{
	char token[TOKEN_LEN + 8], key_b64[64], name[65] = "", cred[TOKEN_LEN + 1];
	char peer[64] = "?", sign_b64[64], why[160];
	uint8_t th[TOKEN_HASH_LEN], ch[TOKEN_HASH_LEN], key[KEY_LEN];
	struct db_device d;
	struct acct_user *au;
	struct db_user u = { 0 }, old = { 0 };
	struct json j = { 0 };
	int r;

	ipc_field_str(m, IPC_T_PEER, peer, sizeof(peer));
	ipc_field_str(m, IPC_T_NAME, name, sizeof(name));
	/* Whatever is wrong with the token, the answer is the same 401. */
	if (ipc_field_str(m, IPC_T_TOKEN, token, sizeof(token)) < 0 || !token_hash(token, th) ||
	    db_device_get_by_token(s->db, th, time(NULL), &d) < 0) {
		log_warn("portal: enrolment from %s refused: unknown, used or expired token", peer);
		answer_error(s, m->id, 401, "unauthorized");
		goto out;
	}
	if (ipc_field_str(m, IPC_T_PUBLIC_KEY, key_b64, sizeof(key_b64)) < 0 ||
	    key_from_base64(key, key_b64) < 0 || sodium_is_zero(key, KEY_LEN)) {
		answer_error(s, m->id, 400, "public_key: not a WireGuard public key");
		goto out;
	}
	r = db_user_get(s->db, d.user_id, &u);
	if (r < 0) {
		answer_error(s, m->id, 500, "database");
		goto out;
	}
	/* The device's key becomes the user's: same addresses, a new preshared key, and the
	 * server never sees the private key. */
	old = u;
	token_new(cred);
	token_hash(cred, ch);
	r = db_begin(s->db);
	if (r == 0)
		r = db_device_enroll(s->db, d.id, ch, time(NULL));
	if (r == 0) {
		uint8_t psk[KEY_LEN];

		memcpy(u.public_key, key, KEY_LEN);
		u.private_key_enc_len = 0;
		key_generate_preshared(psk);
		secret_seal(s->secret, psk, KEY_LEN, u.preshared_key_enc, &u.preshared_key_enc_len);
		sodium_memzero(psk, sizeof(psk));
		r = db_user_update(s->db, &u);
	}
	if (r == 0)
		r = db_commit(s->db);
	if (r < 0) {
		db_rollback(s->db);
		snprintf(why, sizeof(why), "%s", r == -EEXIST ? "public_key: in use by another user" :
			 r == -ENOENT ? "unauthorized" : "database");
		answer_error(s, m->id, r == -EEXIST ? 409 : r == -ENOENT ? 401 : 500, why);
		goto out;
	}
	au = account_find_id(&s->acct, u.id);
	if (au)
		account_close_session(s, au, time(NULL));
	{
		struct acct_user gone = { 0 };

		memcpy(gone.key, old.public_key, KEY_LEN);
		server_sync_user(s, &gone, true);
	}
	au = account_update(s, &u);
	if (u.disabled == DB_ENABLED)
		server_sync_user(s, au, false);
	account_peer_fresh(s, au);
	sodium_bin2base64(sign_b64, sizeof(sign_b64), s->portal->sign_pk, sizeof(s->portal->sign_pk),
			  sodium_base64_VARIANT_ORIGINAL);
	json_obj_begin(&j, NULL);
	json_str(&j, "device", d.name);
	json_str(&j, "credential", cred);
	json_str(&j, "signing_key", sign_b64);
	json_str(&j, "profile", "/api/v1/agent/profile");
	json_end(&j);
	answer_json(s, m->id, 200, &j);
	log_info("portal: device %s (user %s) enrolled from %s%s%s", d.name, u.name, peer,
		 name[0] ? " as " : "", name);
out:
	sodium_memzero(token, sizeof(token));
	sodium_memzero(cred, sizeof(cred));
	json_clear(&j);
	db_user_wipe(&u);
	db_user_wipe(&old);
}

static void on_profile(struct server *s, const struct ipc_msg *m)
{
	struct portalcore *pc = s->portal;
	char cred[TOKEN_LEN + 8], etag[PROFILE_ETAG_LEN] = "", wait_s[8] = "0";
	uint8_t ch[TOKEN_HASH_LEN];
	struct db_device d;
	char *end;
	long wait;

	if (ipc_field_str(m, IPC_T_CREDENTIAL, cred, sizeof(cred)) < 0 || !token_hash(cred, ch) ||
	    db_device_get_by_credential(s->db, ch, &d) < 0) {
		sodium_memzero(cred, sizeof(cred));
		answer_error(s, m->id, 401, "unauthorized");
		return;
	}
	sodium_memzero(cred, sizeof(cred));
	ipc_field_str(m, IPC_T_ETAG, etag, sizeof(etag));
	ipc_field_str(m, IPC_T_WAIT, wait_s, sizeof(wait_s));
	wait = strtol(wait_s, &end, 10);
	if (*end || wait < 0 || wait > WAIT_MAX_S)
		wait = 0;
	/* Seen to the minute: a write per request would cost more than the answer. */
	if (time(NULL) - d.last_seen >= 60)
		db_device_seen(s->db, d.id, time(NULL));
	if (answer_profile(s, m->id, &d, etag[0] ? etag : NULL, wait == 0))
		return;
	/* Nothing new: hold the request until something changes or the wait is over. */
	{
		struct pending *p = array_push(&pc->pending, &pc->n_pending, sizeof(*p));

		p->id = m->id;
		p->device_id = d.id;
		p->user_id = d.user_id;
		snprintf(p->etag, sizeof(p->etag), "%s", etag);
		p->deadline_ms = loop_now_ms() + (uint64_t)wait * 1000;
	}
	pending_arm(pc);
}

static void on_cancel(struct server *s, const struct ipc_msg *m)
{
	size_t i;

	for (i = 0; i < s->portal->n_pending; i++)
		if (s->portal->pending[i].id == m->id) {
			pending_drop(s->portal, i);
			break;
		}
	pending_arm(s->portal);
}

/* ---- the admin API ---- */

/* Percent-decode s[0..n) into out (size bytes); false for a bad escape, a NUL or no room. */
static bool url_decode(const char *s, size_t n, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= n || hex_digit(s[i + 1]) < 0 || hex_digit(s[i + 2]) < 0)
				return false;
			c = hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c == 0 || o + 1 >= size)
			return false;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return true;
}

/* The HTTP status for what an admin command returned. */
static int admin_status(int r)
{
	return r == 0 ? 200 : r == -ENOENT ? 404 : r == -EEXIST ? 409 : r == -EINVAL ? 400 :
	       r == -EPERM ? 409 : 500;
}

/* POST /users: {"name": N, "expires": E, "quota": Q, "reset_day": D, "public_key": K},
 * all strings but reset_day; the same checks as `warren user add`. */
static int user_add_args(const char *body, size_t len, char **argv, int *argc, char *store,
			 size_t store_size, char *why, size_t whylen)
{
	static const char *const opt[] = { "name", "expires", "quota", "reset_day", "public_key" };
	static const char *const flag[] = { NULL, "--expires", "--quota", "--reset-day",
					    "--public-key" };
	struct json_value *doc = NULL;
	const char *err = NULL;
	size_t off = 0, used = 0, i, k;
	int r = -EINVAL;

	*argc = 0;
	argv[(*argc)++] = "user";
	argv[(*argc)++] = "add";
	if (json_parse(body, len, &doc, &err, &off) < 0 || doc->type != JSON_OBJECT) {
		snprintf(why, whylen, "body: %s at byte %zu", err ? err : "not an object", off);
		goto out;
	}
	for (i = 0; i < doc->n; i++) {
		for (k = 0; k < ARRAY_SIZE(opt); k++)
			if (strcmp(doc->keys[i], opt[k]) == 0)
				break;
		if (k == ARRAY_SIZE(opt)) {
			snprintf(why, whylen, "body: unknown member \"%.32s\"", doc->keys[i]);
			goto out;
		}
	}
	for (k = 0; k < ARRAY_SIZE(opt); k++) {
		const struct json_value *v = json_get(doc, opt[k]);
		char num[24];
		const char *text;
		size_t n;

		if (!v)
			continue;
		if (k == 3 && v->type == JSON_NUMBER) {
			uint64_t day = 0;

			json_get_u64(doc, opt[k], &day);
			snprintf(num, sizeof(num), "%" PRIu64, day);
			text = num;
		} else if (v->type == JSON_STRING) {
			text = v->s;
		} else {
			snprintf(why, whylen, "body: %s: wrong type", opt[k]);
			goto out;
		}
		n = strlen(text) + 1;
		if (used + n > store_size) {
			snprintf(why, whylen, "body: too large");
			goto out;
		}
		memcpy(store + used, text, n);
		if (flag[k])
			argv[(*argc)++] = (char *)flag[k];
		argv[(*argc)++] = store + used;
		used += n;
	}
	/* NAME must come right after "add": move it there. */
	if (!json_get(doc, "name")) {
		snprintf(why, whylen, "body: name missing");
		goto out;
	}
	argv[*argc] = NULL;
	r = admin_check(*argc, argv, why, whylen);
out:
	json_value_free(doc);
	return r;
}

static void on_admin(struct server *s, const struct ipc_msg *m)
{
	char token[TOKEN_LEN + 8], method[8] = "", path[512] = "", peer[64] = "?";
	char name[DB_USER_NAME_MAX + 1] = "", since[32] = "", why[200], store[1024];
	char *argv[16];
	uint8_t th[TOKEN_HASH_LEN];
	struct db_token t;
	struct json reply = { 0 };
	const char *q, *p;
	int argc = 0, r, status;
	bool show_after = false;

	ipc_field_str(m, IPC_T_PEER, peer, sizeof(peer));
	if (ipc_field_str(m, IPC_T_TOKEN, token, sizeof(token)) < 0 || !token_hash(token, th) ||
	    db_token_check(s->db, th, time(NULL), &t) < 0) {
		sodium_memzero(token, sizeof(token));
		log_warn("portal: admin request from %s refused: unknown token", peer);
		answer_error(s, m->id, 401, "unauthorized");
		return;
	}
	sodium_memzero(token, sizeof(token));
	if (ipc_field_str(m, IPC_T_METHOD, method, sizeof(method)) < 0 ||
	    ipc_field_str(m, IPC_T_PATH, path, sizeof(path)) < 0 ||
	    strncmp(path, "/api/v1/", 8) != 0) {
		answer_error(s, m->id, 404, "not found");
		return;
	}
	p = path + 8;
	q = strchr(p, '?');
	if (strcmp(method, "GET") == 0 && (strcmp(p, "users") == 0 || strncmp(p, "users?", 6) == 0)) {
		argv[argc++] = "user";
		argv[argc++] = "list";
		argv[argc++] = "--json";
	} else if (strncmp(p, "users/", 6) == 0 && !q &&
		   url_decode(p + 6, strlen(p + 6), name, sizeof(name)) &&
		   (strcmp(method, "GET") == 0 || strcmp(method, "DELETE") == 0)) {
		argv[argc++] = "user";
		argv[argc++] = strcmp(method, "GET") == 0 ? "show" : "delete";
		argv[argc++] = name;
	} else if (strcmp(method, "POST") == 0 && strcmp(p, "users") == 0) {
		const struct ipc_field *b = &m->f[IPC_T_BODY];

		if (user_add_args(b->present ? b->p : "", b->present ? b->len : 0, argv, &argc,
				  store, sizeof(store), why, sizeof(why)) < 0) {
			answer_error(s, m->id, 400, why);
			return;
		}
		show_after = true;
	} else if (strcmp(method, "GET") == 0 &&
		   (strcmp(p, "sessions") == 0 || strncmp(p, "sessions?", 9) == 0)) {
		argv[argc++] = "session";
		argv[argc++] = "list";
		argv[argc++] = "--json";
		while (q && *q) {
			const char *key = q + 1, *eq = strchr(key, '='), *amp = strchr(key, '&');
			size_t vlen;

			if (!amp)
				amp = key + strlen(key);
			if (!eq || eq > amp) {
				answer_error(s, m->id, 400, "query: expected user=NAME and since=DATE");
				return;
			}
			vlen = (size_t)(amp - eq - 1);
			if (strncmp(key, "user=", 5) == 0 && url_decode(eq + 1, vlen, name, sizeof(name))) {
				argv[argc++] = "--user";
				argv[argc++] = name;
			} else if (strncmp(key, "since=", 6) == 0 &&
				   url_decode(eq + 1, vlen, since, sizeof(since))) {
				argv[argc++] = "--since";
				argv[argc++] = since;
			} else {
				answer_error(s, m->id, 400, "query: expected user=NAME and since=DATE");
				return;
			}
			q = *amp ? amp : NULL;
		}
	} else {
		answer_error(s, m->id, strncmp(p, "users", 5) == 0 || strncmp(p, "sessions", 8) == 0 ?
			     405 : 404, strncmp(p, "users", 5) == 0 || strncmp(p, "sessions", 8) == 0 ?
			     "method not allowed" : "not found");
		return;
	}
	argv[argc] = NULL;
	r = admin_check(argc, argv, why, sizeof(why));
	if (r < 0) {
		answer_error(s, m->id, 400, why);
		return;
	}
	r = strcmp(argv[0], "session") == 0 ? admin_session(s, argc, argv, &reply) :
	    admin_user(s, argc, argv, &reply);
	status = admin_status(r);
	if (r < 0) {
		answer_error(s, m->id, status, json_text(&reply));
		goto out;
	}
	log_info("portal: admin token %s from %s: %s %s", t.name, peer, method, path);
	if (show_after) {
		char *show[] = { "user", "show", argv[2], NULL };

		json_reset(&reply);
		admin_user(s, 3, show, &reply);
		status = 201;
	} else if (strcmp(argv[1], "delete") == 0) {
		json_reset(&reply);
		json_obj_begin(&reply, NULL);
		json_str(&reply, "deleted", name);
		json_end(&reply);
	}
	answer_json(s, m->id, status, &reply);
out:
	json_clear(&reply);
}

static void on_msg(const struct ipc_msg *m, void *data)
{
	struct server *s = data;

	switch (m->type) {
	case IPC_ENROLL:
		on_enroll(s, m);
		break;
	case IPC_PROFILE:
		on_profile(s, m);
		break;
	case IPC_ADMIN:
		on_admin(s, m);
		break;
	case IPC_CANCEL:
		on_cancel(s, m);
		break;
	default:
		break;
	}
}

/* ---- administration: devices and tokens ---- */

static int device_json(const struct db_device *d, void *data)
{
	struct server *s = ((void **)data)[0];
	struct json *j = ((void **)data)[1];
	const struct acct_user *u = account_find_id(&s->acct, d->user_id);

	json_obj_begin(j, NULL);
	json_str(j, "name", d->name);
	json_str(j, "user", u ? u->name : "?");
	json_i64(j, "created", d->created);
	if (d->enrolled) {
		json_str(j, "state", "enrolled");
		json_i64(j, "enrolled", d->enrolled);
	} else {
		json_str(j, "state", d->token_expires > time(NULL) ? "waiting" : "token expired");
		json_null(j, "enrolled");
	}
	if (d->last_seen)
		json_i64(j, "last_seen", d->last_seen);
	else
		json_null(j, "last_seen");
	json_u64(j, "profile_serial", d->profile_serial);
	json_end(j);
	return 0;
}

static int device_text(const struct db_device *d, void *data)
{
	struct server *s = ((void **)data)[0];
	struct json *j = ((void **)data)[1];
	const struct acct_user *u = account_find_id(&s->acct, d->user_id);
	char t[VALUES_TIME_STRLEN] = "never";

	if (d->last_seen)
		values_format_time(d->last_seen, t, sizeof(t));
	json_rawf(j, "%-20s user %-20s %-14s last seen %s\n", d->name, u ? u->name : "?",
		  d->enrolled ? "enrolled" : d->token_expires > time(NULL) ? "waiting" :
		  "token expired", t);
	return 0;
}

int admin_device(struct server *s, int argc, char **argv, struct json *reply)
{
	struct device_opts o;
	char why[200], tok[TOKEN_LEN + 1];
	uint8_t th[TOKEN_HASH_LEN];
	struct db_device d;
	struct db_user u;
	void *ctx[2] = { s, reply };
	int r;

	r = adminargs_device(argc, argv, &o, why, sizeof(why));
	if (r < 0) {
		json_rawf(reply, "%s\n", why);
		return r;
	}
	if (strcmp(argv[1], "list") == 0) {
		if (o.json)
			json_arr_begin(reply, NULL);
		r = db_device_list(s->db, o.json ? device_json : device_text, ctx);
		if (o.json)
			json_end(reply);
		return r;
	}
	if (strcmp(argv[1], "delete") == 0) {
		r = db_device_get_by_name(s->db, o.name, &d);
		if (r == 0)
			r = db_device_delete(s->db, d.id);
		if (r < 0) {
			json_rawf(reply, r == -ENOENT ? "no device \"%s\"\n" : "database: %s\n",
				  r == -ENOENT ? o.name : db_errmsg(s->db));
			return r;
		}
		log_info("device %s deleted", o.name);
		/* Its key was the user's: the user gets new keys, so the device is cut off. */
		if (d.enrolled) {
			const struct acct_user *held = account_find_id(&s->acct, d.user_id);
			char name[DB_USER_NAME_MAX + 1];
			char *rot[] = { "user", "rotate", name, NULL };
			struct json ignored = { 0 };

			snprintf(name, sizeof(name), "%s", held ? held->name : "");
			if (held && admin_user(s, 3, rot, &ignored) < 0)
				json_rawf(reply, "device %s deleted, but user %s keeps its key: %s", o.name,
					  name, json_text(&ignored));
			json_clear(&ignored);
		}
		/* A long poll of the device gets its 401 now. */
		portalcore_changed(s, d.user_id);
		return 0;
	}
	/* add */
	r = db_user_get_by_name(s->db, o.user, &u);
	if (r < 0) {
		json_rawf(reply, r == -ENOENT ? "no user \"%s\"\n" : "database: %s\n",
			  r == -ENOENT ? o.user : db_errmsg(s->db));
		return r;
	}
	token_new(tok);
	token_hash(tok, th);
	r = db_device_add(s->db, u.id, o.name, th, time(NULL) + (o.expires ? o.expires :
			  TOKEN_LIFETIME_S), NULL);
	if (r == -EEXIST)
		json_rawf(reply, "device \"%s\" exists already, or user %s has a device\n", o.name,
			  u.name);
	else if (r < 0)
		json_rawf(reply, "database: %s\n", db_errmsg(s->db));
	else {
		json_rawf(reply, "%s\n", tok);
		log_info("device %s added for user %s", o.name, u.name);
	}
	sodium_memzero(tok, sizeof(tok));
	db_user_wipe(&u);
	return r;
}

static int token_text(const struct db_token *t, void *data)
{
	char c[VALUES_TIME_STRLEN], l[VALUES_TIME_STRLEN] = "never";

	if (t->last_used)
		values_format_time(t->last_used, l, sizeof(l));
	json_rawf(data, "%-20s created %s  last used %s\n", t->name,
		  values_format_time(t->created, c, sizeof(c)), l);
	return 0;
}

int admin_token(struct server *s, int argc, char **argv, struct json *reply)
{
	char why[200], tok[TOKEN_LEN + 1];
	uint8_t th[TOKEN_HASH_LEN];
	int r = admin_check(argc, argv, why, sizeof(why));

	if (r < 0) {
		json_rawf(reply, "%s\n", why);
		return r;
	}
	if (strcmp(argv[1], "list") == 0)
		return db_token_list(s->db, token_text, reply);
	if (strcmp(argv[1], "delete") == 0) {
		r = db_token_delete(s->db, argv[2]);
		if (r < 0)
			json_rawf(reply, r == -ENOENT ? "no token \"%s\"\n" : "database: %s\n",
				  r == -ENOENT ? argv[2] : db_errmsg(s->db));
		return r;
	}
	token_new(tok);
	token_hash(tok, th);
	r = db_token_add(s->db, argv[2], th);
	sodium_memzero(th, sizeof(th));
	if (r == -EEXIST)
		json_rawf(reply, "token \"%s\" exists already\n", argv[2]);
	else if (r < 0)
		json_rawf(reply, "database: %s\n", db_errmsg(s->db));
	else
		json_rawf(reply, "%s\n", tok);
	sodium_memzero(tok, sizeof(tok));
	if (r == 0)
		log_info("admin token %s added", argv[2]);
	return r;
}

/* ---- lifetime ---- */

int portalcore_open(struct server *s)
{
	const struct server_portal_conf *c = &s->c->server.portal;
	struct portalcore *pc = xcalloc(1, sizeof(*pc));
	int r;

	s->portal = pc;
	if (!c->enabled)
		return 0;
	r = secret_sign_key_load_or_create(s->c->daemon.state_dir, pc->sign_pk, pc->sign_sk);
	if (r < 0)
		return r;
	pc->timer = timer_new(s->loop, on_pending_timer, s);
	if (!pc->timer)
		return -ENOMEM;
	r = portalproc_start(&pc->proc, s->loop, c->listen, c->tls_cert_file, c->tls_key_file,
			     c->user, on_msg, s);
	pc->running = r == 0;
	return r;
}

void portalcore_child_exited(struct server *s, pid_t pid)
{
	if (s->portal && s->portal->running)
		portalproc_child_exited(&s->portal->proc, pid);
}

void portalcore_close(struct server *s)
{
	struct portalcore *pc = s->portal;

	if (!pc)
		return;
	if (pc->running)
		portalproc_stop(&pc->proc);
	timer_free(pc->timer);
	free(pc->pending);
	sodium_memzero(pc->sign_sk, sizeof(pc->sign_sk));
	free(pc);
	s->portal = NULL;
}
