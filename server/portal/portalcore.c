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

#include "events.h"
#include "ipc.h"
#include "portalcore.h"
#include "portalproc.h"
#include "../secret.h"
#include "../server.h"
#include "../token.h"
#include "../values.h"
#include "../api/ops.h"
#include "../auth/websession.h"
#include "../../agent/loop.h"
#include "../../common/json.h"
#include "../../common/log.h"
#include "../../common/util.h"
#include "../../profiles/profile.h"

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
static int device_tunnel(struct server *s, const struct acct_device *u, struct profile_tunnel *t)
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
	struct acct_device *u = account_device(&s->acct, d->id);
	uint8_t hash[DB_HASH_LEN];
	int r;

	*text = NULL;
	if (!u || !u->has_key)
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
	char peer[64] = "?", sign_b64[64], why[200];
	uint8_t th[TOKEN_HASH_LEN], ch[TOKEN_HASH_LEN], key[KEY_LEN];
	struct db_device d = { 0 };
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
	/* The device's own key, addresses of its own, a new preshared key: the server never
	 * sees the private key. */
	token_new(cred);
	token_hash(cred, ch);
	r = api_device_enroll(s, &d, key, ch, why, sizeof(why));
	if (r < 0) {
		answer_error(s, m->id, r == -EEXIST ? 409 : r == -ENOENT ? 401 :
			     r == -ENOSPC ? 409 : 500, r == -ENOENT ? "unauthorized" : why);
		goto out;
	}
	sodium_bin2base64(sign_b64, sizeof(sign_b64), s->portal->sign_pk, sizeof(s->portal->sign_pk),
			  sodium_base64_VARIANT_ORIGINAL);
	json_obj_begin(&j, NULL);
	json_str(&j, "device", d.name);
	json_str(&j, "credential", cred);
	json_str(&j, "signing_key", sign_b64);
	json_str(&j, "profile", "/api/v1/agent/profile");
	json_end(&j);
	answer_json(s, m->id, 200, &j);
	log_info("portal: device %s enrolled from %s%s%s", d.name, peer, name[0] ? " as " : "",
		 name);
out:
	sodium_memzero(token, sizeof(token));
	sodium_memzero(cred, sizeof(cred));
	json_clear(&j);
	db_device_wipe(&d);
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

	events_gone(s, m->id);

	for (i = 0; i < s->portal->n_pending; i++)
		if (s->portal->pending[i].id == m->id) {
			pending_drop(s->portal, i);
			break;
		}
	pending_arm(s->portal);
}

/* ---- the administration API ---- */

struct http_wait {
	struct server *s;
	uint32_t id;
};

static void on_api_done(struct api_call *c)
{
	struct http_wait *w = c->data;
	struct portalproc_headers h = { 0 };
	struct json err = { 0 };

	h.retry_after = (int)c->retry_after;
	h.set_cookie = c->set_cookie[0] ? c->set_cookie : NULL;
	if (w->s->portal && w->s->portal->running) {
		if ((c->op->flags & API_STREAM) && c->status == 200) {
			/* The portal keeps the connection; events.c says what goes into it. */
			if (events_open(w->s, w->id, &c->who, c->stream) < 0)
				log_debug("portal: request %u: no stream opened", w->id);
		} else if (c->status >= 400) {
			json_obj_begin(&err, NULL);
			json_str(&err, "error", c->error);
			json_end(&err);
			portalproc_answer_with(&w->s->portal->proc, w->id, c->status, json_text(&err),
					       json_len(&err), &h);
		} else {
			h.content_type = c->content_type;
			h.filename = c->filename[0] ? c->filename : NULL;
			portalproc_answer_with(&w->s->portal->proc, w->id, c->status,
					       c->status == 204 ? NULL : json_text(c->reply),
					       c->status == 204 ? 0 : json_len(c->reply), &h);
		}
	}
	json_clear(&err);
	free(w);
}

/* Who a request with a session cookie is: the account as the database has it now, so a
 * role changed or a password reset takes effect at once. 0, or the status to refuse. */
static int session_caller(struct server *s, const char *cookie_header, const char *csrf,
			  bool changes, struct api_caller *who)
{
	char value[WEBSESSION_ID_LEN + 1];
	struct websession_info info;
	struct db_admin a;
	struct db_user u;
	int r;

	if (websession_cookie_find(cookie_header, value) < 0)
		return 0;
	r = websession_lookup(s->web, value, csrf, changes ? WEBSESSION_CHANGE : WEBSESSION_READ,
			      (uint64_t)time(NULL) * 1000, &info);
	sodium_memzero(value, sizeof(value));
	if (r == -EPERM)
		return 403;
	if (r < 0)
		return 0;
	who->has_session = true;
	memcpy(who->session_hash, info.id_hash, sizeof(who->session_hash));
	who->id = info.subject;
	if (info.kind == WEBSESSION_ADMIN && db_admin_get(s->db, info.subject, &a) == 0) {
		who->kind = API_CALLER_ADMIN;
		who->role = a.role;
		snprintf(who->name, sizeof(who->name), "%s", a.name);
		who->must_change_password = a.must_change_password;
		who->must_enrol_totp = !a.totp_secret_enc_len && s->c->server.portal.admin_totp_required;
		db_admin_wipe(&a);
	} else if (info.kind == WEBSESSION_USER && db_user_get(s->db, info.subject, &u) == 0) {
		who->kind = API_CALLER_USER;
		snprintf(who->name, sizeof(who->name), "%s", u.name);
		who->must_change_password = u.must_change_password;
		db_user_wipe(&u);
	} else {
		/* The account went: so does the session. */
		websession_end(s->web, info.id_hash);
		who->has_session = false;
	}
	return 0;
}

/* A request the HTTP process forwards: authenticated by an API token or a session
 * cookie (with its CSRF token for a change), routed to its operation, parsed and run
 * exactly as the control socket runs it. */
static void on_admin(struct server *s, const struct ipc_msg *m)
{
	char token[TOKEN_LEN + 8], method[8] = "", path[4096] = "", why[256];
	char params[API_MAX_PARAMS][DB_NAME_MAX * 3 + 1], allow[64];
	char cookie[WEBSESSION_COOKIE_HEADER_MAX + 1] = "", csrf[160] = "";
	struct api_caller who = { .kind = API_CALLER_ANON };
	uint8_t th[TOKEN_HASH_LEN];
	const struct api_op *op;
	struct json_value *in = NULL;
	struct http_wait *w;
	struct api_call *c;
	struct db_token t;
	char *query;
	size_t n = 0;
	int status, r;

	ipc_field_str(m, IPC_T_PEER, who.source, sizeof(who.source));
	if (ipc_field_str(m, IPC_T_METHOD, method, sizeof(method)) < 0 ||
	    ipc_field_str(m, IPC_T_PATH, path, sizeof(path)) < 0) {
		answer_error(s, m->id, 400, "bad request");
		return;
	}
	query = strchr(path, '?');
	if (query)
		*query++ = '\0';
	op = api_route(method, path, params, &n, &status, allow, sizeof(allow));
	if (!op) {
		struct portalproc_headers h = { .allow = status == 405 ? allow : NULL };
		const char *body = status == 405 ? "{\"error\":\"method not allowed\"}" :
				   "{\"error\":\"not found\"}";

		if (s->portal && s->portal->running)
			portalproc_answer_with(&s->portal->proc, m->id, status, body, strlen(body), &h);
		return;
	}
	if (ipc_field_str(m, IPC_T_TOKEN, token, sizeof(token)) == 0) {
		if (!token_hash(token, th) || db_token_check(s->db, th, time(NULL), &t) < 0) {
			sodium_memzero(token, sizeof(token));
			log_warn("portal: API request from %s refused: unknown token", who.source);
			answer_error(s, m->id, 401, "unauthorized");
			return;
		}
		who.kind = API_CALLER_TOKEN;
		who.role = t.role;
		who.id = t.id;
		snprintf(who.name, sizeof(who.name), "%s", t.name);
	} else if (ipc_field_str(m, IPC_T_COOKIE, cookie, sizeof(cookie)) == 0 && op != &op_login) {
		/* A login starts a session afresh, whatever cookie came with it. */
		ipc_field_str(m, IPC_T_CSRF, csrf, sizeof(csrf));
		status = session_caller(s, cookie, csrf[0] ? csrf : NULL,
					strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0, &who);
		sodium_memzero(cookie, sizeof(cookie));
		sodium_memzero(csrf, sizeof(csrf));
		if (status) {
			answer_error(s, m->id, status, "CSRF token missing or wrong");
			return;
		}
	}
	sodium_memzero(token, sizeof(token));
	status = api_allowed(op, &who, why, sizeof(why));
	if (status) {
		answer_error(s, m->id, status, why);
		return;
	}
	r = api_input(op, params, n, query, m->f[IPC_T_BODY].present ? m->f[IPC_T_BODY].p : NULL,
		      m->f[IPC_T_BODY].present ? m->f[IPC_T_BODY].len : 0, &in, why, sizeof(why));
	w = xcalloc(1, sizeof(*w));
	w->s = s;
	w->id = m->id;
	c = api_call_new(s, op, &who, on_api_done, w);
	if (r == 0)
		r = api_parse(op, in, c->req, why, sizeof(why));
	json_value_free(in);
	if (r < 0) {
		answer_error(s, m->id, 400, why);
		api_call_free(c);
		free(w);
		return;
	}
	log_debug("portal: %s %s %s from %s", who.name[0] ? who.name : "anonymous", method, path,
		  who.source);
	api_run(c);
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

/* ---- event streams ---- */

int portalcore_stream(struct server *s, uint32_t id, const char *audience)
{
	if (!s->portal || !s->portal->running)
		return -ENOTCONN;
	return portalproc_stream(&s->portal->proc, id, audience);
}

int portalcore_event(struct server *s, const char *audience, const char *name,
		     const struct json *data)
{
	if (!s->portal || !s->portal->running)
		return -ENOTCONN;
	return portalproc_event(&s->portal->proc, audience, name, json_text(data), json_len(data));
}

int portalcore_end_stream(struct server *s, uint32_t id)
{
	if (!s->portal || !s->portal->running)
		return -ENOTCONN;
	return portalproc_close(&s->portal->proc, id);
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
