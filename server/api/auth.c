/* Logging in to the console and the portal (DESIGN 8): Argon2id off the loop, failed
 * logins slowed per address and account, an unknown name answered like a wrong password,
 * TOTP for admins, sessions renewed at login and at a password change, and every session
 * of an account ended when its password changes. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ops.h"
#include "../qr.h"
#include "../secret.h"
#include "../server.h"
#include "../auth/pwhash.h"
#include "../auth/throttle.h"
#include "../engine.h"
#include "../auth/totp.h"
#include "../auth/websession.h"
#include "../../agent/loop.h"
#include "../../common/json.h"
#include "../../common/log.h"
#include "../../common/util.h"

#define WRONG "wrong name or password"

/* The session cookie and CSRF token of a fresh session, into the answer. */
static int session_start(struct api_call *c, enum websession_kind kind, int64_t subject,
			 enum websession_role role)
{
	char cookie[WEBSESSION_ID_LEN + 1], csrf[WEBSESSION_CSRF_LEN + 1];
	int r = websession_new(c->s->web, kind, subject, role, (uint64_t)time(NULL) * 1000, cookie,
			       csrf, NULL);

	if (r == 0) {
		websession_set_cookie(c->set_cookie, cookie);
		snprintf(c->csrf, sizeof(c->csrf), "%s", csrf);
		/* A group with portal_login opens the user's tunnel with this sign-in. */
		if (kind == WEBSESSION_USER)
			engine_login(c->s, subject, true);
	}
	sodium_memzero(cookie, sizeof(cookie));
	sodium_memzero(csrf, sizeof(csrf));
	return r;
}

/* ---- login ---- */

struct login_req {
	char name[DB_NAME_MAX * 3 + 1];
	bool has_name;
	char password[PWHASH_INPUT_MAX + 1];
	bool has_password;
	char totp[16];
	bool has_totp;
};

static const struct api_field login_fields[] = {
	/* Any text: a name that is no account's answers as a wrong password does. */
	API_FIELD(struct login_req, name, API_STR, API_REQUIRED),
	API_FIELD(struct login_req, password, API_STR, API_REQUIRED | API_SECRET),
	API_FIELD(struct login_req, totp, API_STR, API_SECRET),
	API_FIELD_END,
};

struct login_ctx {
	struct api_call *c;
	struct db_admin admin;
	struct db_user user;
	enum websession_kind kind;
	bool found;
	unsigned delay_ms;
	int result;
	struct timer *hold;
};

static void login_done(struct login_ctx *x)
{
	struct api_call *c = x->c;
	int r = x->result;

	timer_free(x->hold);
	db_admin_wipe(&x->admin);
	db_user_wipe(&x->user);
	free(x);
	api_finish(c, r);
}

static void on_hold(struct loop *l, struct timer *t, void *data)
{
	(void)l;
	(void)t;
	login_done(data);
}

/* Every answer waits out the throttle's delay, success or not, so timing tells nothing. */
static void login_answer(struct login_ctx *x, int r)
{
	x->result = r;
	if (!x->delay_ms) {
		login_done(x);
		return;
	}
	x->hold = timer_new(x->c->s->loop, on_hold, x);
	if (!x->hold) {
		login_done(x);
		return;
	}
	timer_arm(x->hold, x->delay_ms);
}

static int check_totp(struct login_ctx *x)
{
	struct api_call *c = x->c;
	struct login_req *q = c->req;
	uint8_t secret[64];
	uint64_t step = (uint64_t)x->admin.totp_last_step;
	size_t len = 0;
	int r;

	if (!q->has_totp)
		return api_fail(c, -EKEYREJECTED, "TOTP code required");
	if (secret_open(c->s->secret, x->admin.totp_secret_enc, x->admin.totp_secret_enc_len,
			secret, &len) < 0)
		return api_fail(c, -EIO, "the stored TOTP secret does not decrypt");
	r = totp_verify(secret, len, q->totp, (uint64_t)time(NULL), &step);
	sodium_memzero(secret, sizeof(secret));
	if (r == -EALREADY)
		return api_fail(c, -EKEYREJECTED, "TOTP code already used: wait for the next one");
	if (r < 0)
		return api_fail(c, -EKEYREJECTED, "wrong TOTP code");
	db_admin_set_totp_step(c->s->db, x->admin.id, (int64_t)step);
	return 0;
}

static void on_login_verdict(void *data, const struct pwhash_verdict *v)
{
	struct login_ctx *x = data;
	struct api_call *c = x->c;
	struct login_req *q = c->req;
	struct sockaddr_storage peer;
	bool must_change;
	int r;

	if (v->err) {
		login_answer(x, api_fail(c, -EBUSY, "the server is busy; try again"));
		return;
	}
	if (!v->match || !x->found) {
		log_info("login as %.32s from %s refused", q->name, c->who.source);
		login_answer(x, api_fail(c, -EKEYREJECTED, WRONG));
		return;
	}
	if (x->kind == WEBSESSION_ADMIN && x->admin.totp_secret_enc_len && (r = check_totp(x)) < 0) {
		login_answer(x, r);
		return;
	}
	api_caller_sockaddr(&c->who, &peer);
	throttle_success(c->s->throttle, (struct sockaddr *)&peer, q->name, loop_now_ms());
	/* Told only to whoever knows the password, so the portal can say why (an expired or
	 * over-quota account signs in: a voucher may revive it). */
	if (x->kind == WEBSESSION_USER && x->user.disabled == DB_DISABLED_ADMIN) {
		log_info("login as user %s from %s refused: disabled", x->user.name, c->who.source);
		login_answer(x, api_fail(c, -EACCES, "account disabled by an administrator"));
		return;
	}
	if (x->kind == WEBSESSION_ADMIN) {
		r = session_start(c, x->kind, x->admin.id, x->admin.role == DB_ROLE_ADMIN ?
				  WEBSESSION_ROLE_ADMIN : WEBSESSION_ROLE_VIEWER);
		must_change = x->admin.must_change_password;
		db_admin_logged_in(c->s->db, x->admin.id, time(NULL));
	} else {
		r = session_start(c, x->kind, x->user.id, WEBSESSION_ROLE_USER);
		must_change = x->user.must_change_password;
	}
	if (r < 0) {
		login_answer(x, api_fail(c, r, "cannot start a session"));
		return;
	}
	json_obj_begin(c->reply, NULL);
	json_str(c->reply, "role", x->kind == WEBSESSION_USER ? "user" :
		 api_role_names[x->admin.role]);
	json_str(c->reply, "name", x->kind == WEBSESSION_USER ? x->user.name : x->admin.name);
	json_bool(c->reply, "must_change_password", must_change);
	json_bool(c->reply, "must_enrol_totp", x->kind == WEBSESSION_ADMIN &&
		  !x->admin.totp_secret_enc_len && c->s->c->server.portal.admin_totp_required);
	json_str(c->reply, "csrf", c->csrf);
	json_end(c->reply);
	snprintf(c->target, sizeof(c->target), "%s", x->kind == WEBSESSION_USER ? x->user.name :
		 x->admin.name);
	log_info("%s %s logged in from %s", x->kind == WEBSESSION_USER ? "user" : "admin",
		 c->target, c->who.source);
	login_answer(x, 0);
}

static int login(struct api_call *c)
{
	struct login_req *q = c->req;
	struct server *s = c->s;
	struct login_ctx *x = xcalloc(1, sizeof(*x));
	struct throttle_verdict tv = { 0, 0 };
	struct sockaddr_storage peer;
	const char *encoded = NULL;
	int r;

	x->c = c;
	/* A failed login is a security event, not an administrative change. */
	c->no_audit = true;
	api_caller_sockaddr(&c->who, &peer);
	if (throttle_attempt(s->throttle, (struct sockaddr *)&peer, q->name, loop_now_ms(), &tv) < 0) {
		c->retry_after = tv.retry_after_s;
		free(x);
		return api_fail(c, -EAGAIN, "too many failed logins; try again later");
	}
	x->delay_ms = tv.delay_ms;
	if (db_admin_get_by_name(s->db, q->name, &x->admin) == 0 && x->admin.password_hash[0]) {
		x->kind = WEBSESSION_ADMIN;
		x->found = true;
		encoded = x->admin.password_hash;
	} else if (db_user_get_by_name(s->db, q->name, &x->user) == 0 && x->user.password_hash[0]) {
		x->kind = WEBSESSION_USER;
		x->found = true;
		encoded = x->user.password_hash;
	}
	r = pwhash_verify(s->pw, api_caller_owner(&c->who), encoded, q->password,
			  strlen(q->password), on_login_verdict, x, NULL);
	if (r < 0) {
		db_admin_wipe(&x->admin);
		db_user_wipe(&x->user);
		free(x);
		return api_fail(c, r == -EBUSY ? -EBUSY : -EINVAL, r == -EBUSY ?
				"the server is busy; try again" : WRONG);
	}
	return API_DEFERRED;
}

const struct api_op op_login = {
	"login", "POST", "/api/v1/login", API_ANYONE, API_CHANGES | API_BEFORE_CHANGE,
	sizeof(struct login_req), login_fields, login,
	"Log in to the console or the portal: a session cookie and its CSRF token", NULL,
};

/* ---- logout ---- */

struct empty_req {
	bool unused;
};

static const struct api_field no_fields[] = { API_FIELD_END };

static int logout(struct api_call *c)
{
	if (!c->who.has_session)
		return api_fail(c, -EINVAL, "not a session");
	websession_end(c->s->web, c->who.session_hash);
	websession_set_cookie(c->set_cookie, NULL);
	if (c->who.kind == API_CALLER_USER &&
	    !websession_subject_live(c->s->web, WEBSESSION_USER, c->who.id, (uint64_t)time(NULL) * 1000))
		engine_login(c->s, c->who.id, false);
	c->status = 204;
	c->no_audit = true;
	return 0;
}

const struct api_op op_logout = {
	"logout", "POST", "/api/v1/logout", API_SELF, API_CHANGES | API_BEFORE_CHANGE,
	sizeof(struct empty_req), no_fields, logout,
	"End this session", NULL,
};

/* ---- password change ---- */

struct password_req {
	char old[PWHASH_INPUT_MAX + 1];
	bool has_old;
	char new[PWHASH_INPUT_MAX + 1];
	bool has_new;
};

static const struct api_field password_fields[] = {
	API_FIELD(struct password_req, old, API_STR, API_REQUIRED | API_SECRET),
	API_FIELD(struct password_req, new, API_STR, API_REQUIRED | API_SECRET),
	API_FIELD_END,
};

struct pw_ctx {
	struct api_call *c;
	char name[DB_NAME_MAX + 1];
};

static void on_new_hash(void *data, int err, const char *encoded)
{
	struct pw_ctx *x = data;
	struct api_call *c = x->c;
	enum websession_kind kind = c->who.kind == API_CALLER_USER ? WEBSESSION_USER : WEBSESSION_ADMIN;
	enum websession_role role = kind == WEBSESSION_USER ? WEBSESSION_ROLE_USER :
				    c->who.role == DB_ROLE_ADMIN ? WEBSESSION_ROLE_ADMIN :
				    WEBSESSION_ROLE_VIEWER;
	int r = err;

	free(x);
	if (r < 0) {
		api_finish(c, api_fail(c, -EBUSY, "the server is busy; try again"));
		return;
	}
	r = kind == WEBSESSION_USER ? db_user_set_password(c->s->db, c->who.id, encoded, false) :
		    db_admin_set_password(c->s->db, c->who.id, encoded, false);
	if (r < 0) {
		api_finish(c, api_fail(c, r, "database: %s", db_errmsg(c->s->db)));
		return;
	}
	/* Whoever held a session of this account is out; this client gets a new one. */
	websession_end_subject(c->s->web, kind, c->who.id);
	r = session_start(c, kind, c->who.id, role);
	if (r == 0) {
		json_obj_begin(c->reply, NULL);
		json_str(c->reply, "csrf", c->csrf);
		json_end(c->reply);
		log_info("%s %s changed its password", kind == WEBSESSION_USER ? "user" : "admin",
			 c->who.name);
	}
	api_finish(c, r);
}

static void on_old_verdict(void *data, const struct pwhash_verdict *v)
{
	struct pw_ctx *x = data;
	struct api_call *c = x->c;
	struct password_req *q = c->req;
	const char *problem;
	int r;

	if (v->err || !v->match) {
		free(x);
		api_finish(c, v->err ? api_fail(c, -EBUSY, "the server is busy; try again") :
			   api_fail(c, -EACCES, "old: wrong password"));
		return;
	}
	problem = pwhash_password_problem(q->new, strlen(q->new), x->name);
	if (!problem && strcmp(q->old, q->new) == 0)
		problem = "the same as the old one";
	if (problem) {
		free(x);
		api_finish(c, api_fail(c, -EINVAL, "new: %s", problem));
		return;
	}
	r = pwhash_hash(c->s->pw, api_caller_owner(&c->who), q->new, strlen(q->new), on_new_hash,
			x, NULL);
	if (r < 0) {
		free(x);
		api_finish(c, api_fail(c, -EBUSY, "the server is busy; try again"));
	}
}

static int password(struct api_call *c)
{
	struct password_req *q = c->req;
	struct pw_ctx *x;
	struct db_admin a;
	struct db_user u;
	char hash[DB_PWHASH_MAX + 1] = "";
	int r;

	snprintf(c->target, sizeof(c->target), "%s", c->who.name);
	if (!c->who.has_session)
		return api_fail(c, -EINVAL, "a password is changed from a session");
	if (c->who.kind == API_CALLER_USER && db_user_get(c->s->db, c->who.id, &u) == 0) {
		snprintf(hash, sizeof(hash), "%s", u.password_hash);
		db_user_wipe(&u);
	} else if (c->who.kind == API_CALLER_ADMIN && db_admin_get(c->s->db, c->who.id, &a) == 0) {
		snprintf(hash, sizeof(hash), "%s", a.password_hash);
		db_admin_wipe(&a);
	}
	x = xcalloc(1, sizeof(*x));
	x->c = c;
	snprintf(x->name, sizeof(x->name), "%s", c->who.name);
	r = pwhash_verify(c->s->pw, api_caller_owner(&c->who), hash[0] ? hash : NULL, q->old,
			  strlen(q->old), on_old_verdict, x, NULL);
	sodium_memzero(hash, sizeof(hash));
	if (r < 0) {
		free(x);
		return api_fail(c, -EBUSY, "the server is busy; try again");
	}
	return API_DEFERRED;
}

const struct api_op op_password = {
	"password", "POST", "/api/v1/password", API_SELF, API_CHANGES | API_BEFORE_CHANGE,
	sizeof(struct password_req), password_fields, password,
	"Change this session's account password: every other session of it ends", NULL,
};

/* ---- who am I ---- */

/* What the portal shows beyond the console's view of a user: DESIGN 9's names for quota
 * and use, and how many devices the user may have. */
static void me_user_fields(struct server *s, const struct db_user *u, struct json *j)
{
	if (u->quota_bytes)
		json_u64(j, "quota", u->quota_bytes);
	else
		json_null(j, "quota");
	json_u64(j, "used", api_user_used(s, u));
	json_u64(j, "max_devices", s->c->server.max_devices);
}

static int me(struct api_call *c)
{
	struct db_admin a;
	struct db_user u;
	int r;

	if (c->who.kind == API_CALLER_USER) {
		struct db_feed f;
		uint64_t unread = 0;

		r = db_user_get(c->s->db, c->who.id, &u);
		if (r < 0)
			return api_fail(c, r, "no such user");
		json_obj_begin(c->reply, NULL);
		api_user_fields(c->s, &u, c->reply);
		me_user_fields(c->s, &u, c->reply);
		/* for the portal's header; the "announcements" events keep it current */
		api_feed_of(&u, &f);
		if (db_announcement_count(c->s->db, &f, NULL, &unread) < 0)
			log_warn("me: announcements of %s: %s", u.name, db_errmsg(c->s->db));
		json_u64(c->reply, "unread_announcements", unread);
		json_end(c->reply);
		db_user_wipe(&u);
		return 0;
	}
	json_obj_begin(c->reply, NULL);
	json_str(c->reply, "name", c->who.name);
	json_str(c->reply, "role", api_role_names[c->who.role]);
	json_str(c->reply, "kind", c->who.kind == API_CALLER_TOKEN ? "token" :
		 c->who.kind == API_CALLER_SOCKET ? "socket" : "admin");
	json_bool(c->reply, "must_change_password", c->who.must_change_password);
	json_bool(c->reply, "must_enrol_totp", c->who.must_enrol_totp);
	if (c->who.kind == API_CALLER_ADMIN && db_admin_get(c->s->db, c->who.id, &a) == 0) {
		json_bool(c->reply, "totp", a.totp_secret_enc_len > 0);
		db_admin_wipe(&a);
	}
	json_end(c->reply);
	return 0;
}

const struct api_op op_me = {
	"me", "GET", "/api/v1/me", API_SELF, API_BEFORE_CHANGE,
	sizeof(struct empty_req), no_fields, me,
	"The caller: a user's account with its devices, or an admin's name and role", NULL,
};

/* ---- TOTP for admins ---- */

static struct totp_pending *pending_of(struct server *s, int64_t admin_id)
{
	size_t i;

	for (i = 0; i < s->n_totp; i++)
		if (s->totp[i].admin_id == admin_id)
			return &s->totp[i];
	return NULL;
}

static int totp_begin(struct api_call *c)
{
	struct server *s = c->s;
	struct totp_pending *p;
	char *uri = NULL, *svg = NULL, b32[TOTP_SECRET_B32_LEN + 1];
	size_t svg_len = 0;
	FILE *f;
	int r;

	if (c->who.kind != API_CALLER_ADMIN)
		return api_fail(c, -EINVAL, "TOTP is for console accounts");
	p = pending_of(s, c->who.id);
	if (!p) {
		/* Few at a time: an admin is shown one secret until it confirms or asks again. */
		if (s->n_totp >= 64)
			memmove(s->totp, s->totp + 1, --s->n_totp * sizeof(*s->totp));
		p = array_push(&s->totp, &s->n_totp, sizeof(*s->totp));
		p->admin_id = c->who.id;
	}
	totp_secret_new(p->secret);
	p->made = time(NULL);
	r = totp_uri("warren", c->who.name, p->secret, sizeof(p->secret), &uri);
	if (r < 0)
		return api_fail(c, r, "cannot make the enrolment URI");
	base32_encode(p->secret, sizeof(p->secret), b32, sizeof(b32));
	/* The URI as a QR code too, for the authenticator app's camera. */
	f = open_memstream(&svg, &svg_len);
	r = f ? qr_svg(uri, f) : -ENOMEM;
	if (f && fclose(f) != 0 && r == 0)
		r = -EIO;
	json_obj_begin(c->reply, NULL);
	json_str(c->reply, "secret", b32);
	json_str(c->reply, "uri", uri);
	if (r == 0)
		json_str(c->reply, "qr_svg", svg);
	json_end(c->reply);
	sodium_memzero(b32, sizeof(b32));
	if (svg) {
		sodium_memzero(svg, svg_len);
		free(svg);
	}
	totp_uri_free(uri);
	c->no_audit = true;
	return 0;
}

const struct api_op op_totp_begin = {
	"totp.begin", "POST", "/api/v1/me/totp", API_VIEWER, API_CHANGES | API_BEFORE_CHANGE,
	sizeof(struct empty_req), no_fields, totp_begin,
	"A new TOTP secret for this admin, to confirm with a code", NULL,
};

struct totp_req {
	char code[16];
	bool has_code;
};

static const struct api_field totp_fields[] = {
	API_FIELD(struct totp_req, code, API_STR, API_REQUIRED | API_SECRET),
	API_FIELD_END,
};

static int totp_confirm(struct api_call *c)
{
	struct totp_req *q = c->req;
	struct server *s = c->s;
	struct totp_pending *p = c->who.kind == API_CALLER_ADMIN ? pending_of(s, c->who.id) : NULL;
	uint8_t sealed[DB_SECRET_MAX];
	uint64_t step = 0;
	size_t len = 0;
	int r;

	snprintf(c->target, sizeof(c->target), "%s", c->who.name);
	if (!p || time(NULL) - p->made > 600)
		return api_fail(c, -ENOENT, "no TOTP secret waits for a code: ask for one first");
	r = totp_verify(p->secret, sizeof(p->secret), q->code, (uint64_t)time(NULL), &step);
	if (r < 0)
		return api_fail(c, -EACCES, "code: wrong TOTP code");
	secret_seal(s->secret, p->secret, sizeof(p->secret), sealed, &len);
	r = db_admin_set_totp(s->db, c->who.id, sealed, len);
	if (r == 0)
		r = db_admin_set_totp_step(s->db, c->who.id, (int64_t)step);
	sodium_memzero(sealed, sizeof(sealed));
	sodium_memzero(p, sizeof(*p));
	*p = s->totp[--s->n_totp];
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(s->db));
	log_info("admin %s enrolled TOTP", c->who.name);
	c->status = 204;
	return 0;
}

const struct api_op op_totp_confirm = {
	"totp.confirm", "POST", "/api/v1/me/totp/confirm", API_VIEWER,
	API_CHANGES | API_BEFORE_CHANGE, sizeof(struct totp_req), totp_fields, totp_confirm,
	"Confirm the TOTP secret with a code: logins need a code from now on", NULL,
};
