/* The user operations: add, list (paged, searched, sorted in the database), show, set
 * (expiry, quota, group, state, email, rate), disable, enable and delete. Each writes the
 * database first, then exactly the peers it concerns. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops.h"
#include "../grouppolicy.h"
#include "../server.h"
#include "../values.h"
#include "../auth/websession.h"
#include "../../common/json.h"
#include "../../common/log.h"
#include "../../common/util.h"

const char *const api_state_names[] = { "enabled", "expired", "quota", "disabled", NULL };
const char *const api_kind_names[] = { "config", "agent", NULL };
const char *const api_role_names[] = { "admin", "viewer", NULL };

int api_fail(struct api_call *c, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	return r;
}

const struct api_field api_page_fields[] = {
	API_FIELD_U64(struct api_page_req, limit, 1, DB_PAGE_MAX, 0),
	API_FIELD(struct api_page_req, cursor, API_CURSOR, 0),
	API_FIELD_END,
};

int api_page_end(struct api_call *c, int r, const uint64_t *total, const char *next)
{
	if (r < 0) {
		json_reset(c->reply);
		return api_fail(c, r, r == -EINVAL ? "cursor: not one this server gave" :
				"database: %s", db_errmsg(c->s->db));
	}
	json_end(c->reply);
	if (total)
		json_u64(c->reply, "total", *total);
	json_str(c->reply, "next", next[0] ? next : NULL);
	json_end(c->reply);
	return 0;
}

int api_user_find(struct api_call *c, const char *name, struct db_user *u)
{
	int r = db_user_get_by_name(c->s->db, name, u);

	if (r == -ENOENT)
		return api_fail(c, r, "no user \"%s\"", name);
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	return 0;
}

void api_group_name(struct server *s, int64_t id, char name[DB_NAME_MAX + 1])
{
	struct db_group g;

	if (db_group_get(s->db, id ? id : DB_GROUP_DEFAULT, &g) == 0)
		snprintf(name, DB_NAME_MAX + 1, "%s", g.name);
	else
		snprintf(name, DB_NAME_MAX + 1, "default");
}

int api_group_id(struct api_call *c, const char *name, int64_t *id)
{
	struct db_group g;
	int r = db_group_get_by_name(c->s->db, name, &g);

	if (r == -ENOENT)
		return api_fail(c, -EINVAL, "group: no group \"%s\"", name);
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	*id = g.id;
	return 0;
}

/* ---- the user object ---- */

struct devs_ctx {
	struct server *s;
	struct json *j;
};

static int put_device(const struct db_device *d, void *data)
{
	struct devs_ctx *x = data;

	api_device_json(x->s, d, x->j, NULL);
	return 0;
}

uint64_t api_user_used(struct server *s, const struct db_user *u)
{
	const struct acct_user *au = account_user(&s->acct, u->id);

	if (au)
		return u->quota_bytes ? account_quota_used(au) : au->rx_total + au->tx_total;
	return u->quota_bytes && u->quota_period == DB_QUOTA_MONTH ? u->rx_period + u->tx_period :
	       u->rx_total + u->tx_total;
}

void api_user_json(struct server *s, const struct db_user *u, struct json *j, const char *key)
{
	json_obj_begin(j, key);
	api_user_fields(s, u, j);
	json_end(j);
}

void api_user_fields(struct server *s, const struct db_user *u, struct json *j)
{
	const struct acct_user *au = account_user(&s->acct, u->id);
	const struct acct_device *best = NULL, *d;
	struct devs_ctx x = { s, j };
	char group[DB_NAME_MAX + 1], buf[CIDR_STRLEN];
	size_t i = 0, k;

	json_str(j, "name", u->name);
	json_str(j, "state", api_state_names[u->disabled]);
	api_group_name(s, u->group_id, group);
	json_str(j, "group", group);
	json_str(j, "email", u->email[0] ? u->email : NULL);
	json_str(j, "rate", u->rate[0] ? u->rate : NULL);
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
		json_u64(j, "quota_used", api_user_used(s, u));
	} else {
		json_null(j, "quota_bytes");
		json_null(j, "quota_period");
		json_null(j, "quota_used");
	}
	json_u64(j, "rx_bytes", au ? au->rx_total : u->rx_total);
	json_u64(j, "tx_bytes", au ? au->tx_total : u->tx_total);
	json_bool(j, "has_password", u->password_hash[0] != '\0');
	json_bool(j, "must_change_password", u->must_change_password);
	/* What one device of the user shows, for the fields a user had before devices: the
	 * one most recently seen, else the first. */
	while ((d = account_user_devices(&s->acct, u->id, &i)))
		if (!best || d->handshake > best->handshake)
			best = d;
	json_bool(j, "online", account_user_online(&s->acct, u->id));
	json_arr_begin(j, "addresses");
	i = 0;
	while ((d = account_user_devices(&s->acct, u->id, &i)))
		for (k = 0; k < d->n_addrs; k++)
			json_str(j, NULL, cidr_fmt(&d->addrs[k], buf));
	json_end(j);
	if (best) {
		char pub[KEY_B64_LEN];

		if (best->has_key) {
			key_to_base64(pub, best->key);
			json_str(j, "public_key", pub);
		} else {
			json_null(j, "public_key");
		}
		json_bool(j, "server_holds_private_key", best->has_private);
		if (best->endpoint[0])
			json_str(j, "endpoint", best->endpoint);
		else
			json_null(j, "endpoint");
		if (best->handshake)
			json_i64(j, "latest_handshake", best->handshake);
		else
			json_null(j, "latest_handshake");
	}
	json_arr_begin(j, "devices");
	db_device_list(s->db, u->id, put_device, &x);
	json_end(j);
}

/* ---- add ---- */

struct user_add_req {
	char name[DB_NAME_MAX + 1];
	bool has_name;
	struct api_expiry expires;
	bool has_expires;
	struct api_size quota;
	bool has_quota;
	int reset_day;
	bool has_reset_day;
	uint8_t public_key[KEY_LEN];
	bool has_public_key;
	char device[DB_NAME_MAX + 1];
	bool has_device;
	bool no_device;
	bool has_no_device;
	char group[DB_NAME_MAX + 1];
	bool has_group;
	char email[DB_EMAIL_MAX + 1];
	bool has_email;
	char rate[DB_RATE_MAX + 1];
	bool has_rate;
};

static const struct api_field user_add_fields[] = {
	API_FIELD_L(struct user_add_req, name, API_NAME, API_REQUIRED, "user name"),
	API_FIELD(struct user_add_req, expires, API_EXPIRY, API_NULL),
	API_FIELD(struct user_add_req, quota, API_SIZE, API_NULL),
	API_FIELD_U64(struct user_add_req, reset_day, 1, 31, 0),
	API_FIELD(struct user_add_req, public_key, API_KEY, 0),
	API_FIELD_L(struct user_add_req, device, API_NAME, 0, "device name"),
	API_FIELD(struct user_add_req, no_device, API_BOOL, 0),
	API_FIELD_L(struct user_add_req, group, API_NAME, 0, "group"),
	API_FIELD(struct user_add_req, email, API_STR, 0),
	API_FIELD(struct user_add_req, rate, API_STR, API_NULL),
	API_FIELD_END,
};

static bool email_ok(const char *e)
{
	const char *at = strchr(e, '@');

	return !*e || (at && at != e && at[1] && !strchr(at + 1, '@') && !strpbrk(e, " <>,;\"'"));
}

/* A user's own rate into canonical text (out: DB_RATE_MAX + 1 bytes; "" stays "": the
 * group's). 0, or -EINVAL with why = "rate: reason". */
static int rate_canon(const char *in, char *out, char *why, size_t whylen)
{
	struct policy_rate r;
	char reason[200];

	if (!*in) {
		if (out)
			out[0] = '\0';
		return 0;
	}
	if (policy_rate_parse(in, &r, reason, sizeof(reason)) < 0) {
		snprintf(why, whylen, "rate: %s", reason);
		return -EINVAL;
	}
	if (out)
		policy_rate_fmt(&r, out, DB_RATE_MAX + 1);
	return 0;
}

static int user_add_check(const void *req, char *why, size_t whylen)
{
	const struct user_add_req *q = req;

	if (rate_canon(q->rate, NULL, why, whylen) < 0)
		return -EINVAL;
	if (q->no_device && (q->has_device || q->has_public_key))
		snprintf(why, whylen, "no_device: goes with neither device nor public_key");
	else if (!email_ok(q->email))
		snprintf(why, whylen, "email \"%.40s\": not an address", q->email);
	else
		return 0;
	return -EINVAL;
}

int api_user_create(struct api_call *c, struct db_user *u, const char *device,
		    const uint8_t *public_key)
{
	struct server *s = c->s;
	struct db_device d;
	struct acct_user *au;
	int r;

	r = db_user_add(s->db, u, &u->id);
	if (r == -EEXIST)
		return api_fail(c, r, "user \"%s\" exists already", u->name);
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(s->db));
	r = db_user_get(s->db, u->id, u);
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(s->db));
	account_update_user(s, u);
	/* The first device, named like the user unless told: every command that names only
	 * the user keeps working. */
	if (device) {
		r = api_device_create(c, u, device, public_key, &d);
		if (r < 0) {
			/* Nothing half made: the user goes again. */
			db_user_delete(s->db, u->id);
			account_forget_user(s, u->id);
			return r;
		}
		db_device_wipe(&d);
	}
	au = account_user(&s->acct, u->id);
	if (au)
		account_check_user(s, au);
	db_user_get(s->db, u->id, u);
	log_info("user %s added", u->name);
	return 0;
}

static int user_add(struct api_call *c)
{
	struct user_add_req *q = c->req;
	struct server *s = c->s;
	struct db_user u = { 0 };
	int r;

	snprintf(c->target, sizeof(c->target), "%s", q->name);
	snprintf(u.name, sizeof(u.name), "%s", q->name);
	snprintf(u.email, sizeof(u.email), "%s", q->email);
	if (rate_canon(q->rate, u.rate, c->error, sizeof(c->error)) < 0)
		return -EINVAL;
	if (api_expiry_at(&q->expires, time(NULL), &u.expires) < 0)
		return api_fail(c, -EINVAL, "expires: bad value");
	u.quota_bytes = q->quota.bytes;
	u.quota_period = q->quota.monthly ? DB_QUOTA_MONTH : DB_QUOTA_TOTAL;
	u.quota_reset_day = q->has_reset_day ? q->reset_day : 1;
	if (u.quota_bytes && u.quota_period == DB_QUOTA_MONTH)
		u.period_start = values_period_start(time(NULL), u.quota_reset_day);
	u.group_id = DB_GROUP_DEFAULT;
	if (q->has_group && (r = api_group_id(c, q->group, &u.group_id)) < 0)
		return r;
	r = api_user_create(c, &u, q->no_device ? NULL : q->has_device ? q->device : u.name,
			    q->has_public_key ? q->public_key : NULL);
	if (r == 0) {
		api_user_json(s, &u, c->reply, NULL);
		c->status = 201;
		server_policy_changed(s, 0, u.id);
	}
	db_user_wipe(&u);
	return r;
}

const struct api_op op_user_add = {
	"user.add", "POST", "/api/v1/users", API_ADMIN, API_CHANGES,
	sizeof(struct user_add_req), user_add_fields, user_add,
	"Add a user and its first device", user_add_check,
};

/* ---- list ---- */

/* A leading '-' sorts descending. */
static const char *const sort_names[] = { "name", "created", "expires", "used", "-name",
					  "-created", "-expires", "-used", NULL };

struct user_list_req {
	char q[128];
	bool has_q;
	int state;
	bool has_state;
	char group[DB_NAME_MAX + 1];
	bool has_group;
	int sort;
	bool has_sort;
	uint64_t limit;
	bool has_limit;
	char cursor[DB_CURSOR_MAX + 1];
	bool has_cursor;
};

static const struct api_field user_list_fields[] = {
	API_FIELD(struct user_list_req, q, API_STR, 0),
	API_FIELD_ENUM(struct user_list_req, state, api_state_names, 0),
	API_FIELD_L(struct user_list_req, group, API_NAME, 0, "group"),
	API_FIELD_ENUM(struct user_list_req, sort, sort_names, 0),
	API_FIELD_U64(struct user_list_req, limit, 1, DB_PAGE_MAX, 0),
	API_FIELD(struct user_list_req, cursor, API_CURSOR, 0),
	API_FIELD_END,
};

struct list_ctx {
	struct server *s;
	struct json *j;
};

static int list_row(const struct db_user *u, void *data)
{
	struct list_ctx *l = data;

	api_user_json(l->s, u, l->j, NULL);
	return 0;
}

static int user_list(struct api_call *c)
{
	struct user_list_req *q = c->req;
	struct db_user_query dq = { 0 };
	struct list_ctx l = { c->s, c->reply };
	char next[DB_CURSOR_MAX + 1] = "";
	uint64_t total = 0;
	int r;

	dq.q = q->q;
	dq.state = q->has_state ? q->state : -1;
	if (q->has_group && (r = api_group_id(c, q->group, &dq.group_id)) < 0)
		return r;
	dq.sort = (enum db_user_sort)(q->sort % 4);
	dq.desc = q->sort >= 4;
	dq.limit = q->has_limit ? q->limit : 50;
	dq.cursor = q->cursor;
	json_obj_begin(c->reply, NULL);
	json_arr_begin(c->reply, "users");
	r = db_user_query(c->s->db, &dq, list_row, &l, &total, next);
	return api_page_end(c, r, &total, next);
}

const struct api_op op_user_list = {
	"user.list", "GET", "/api/v1/users", API_VIEWER, 0,
	sizeof(struct user_list_req), user_list_fields, user_list,
	"One page of users: searched, filtered and sorted on the server", NULL,
};

/* ---- show, delete, disable, enable ---- */

struct user_name_req {
	char user[DB_NAME_MAX + 1];
	bool has_user;
};

static const struct api_field user_name_fields[] = {
	API_FIELD_L(struct user_name_req, user, API_NAME, API_REQUIRED | API_PATH, "user name"),
	API_FIELD_END,
};

static int user_show(struct api_call *c)
{
	struct user_name_req *q = c->req;
	struct db_user u;
	int r = api_user_find(c, q->user, &u);

	if (r < 0)
		return r;
	api_user_json(c->s, &u, c->reply, NULL);
	db_user_wipe(&u);
	return 0;
}

const struct api_op op_user_show = {
	"user.show", "GET", "/api/v1/users/{user}", API_VIEWER, 0,
	sizeof(struct user_name_req), user_name_fields, user_show,
	"One user, with its devices", NULL,
};

static int user_delete(struct api_call *c)
{
	struct user_name_req *q = c->req;
	struct server *s = c->s;
	struct acct_device *d;
	struct acct_user *au;
	struct db_device row;
	struct db_user u;
	size_t i = 0;
	int r = api_user_find(c, q->user, &u);

	snprintf(c->target, sizeof(c->target), "%s", q->user);
	if (r < 0)
		return r;
	/* The last bytes count before the peers go. */
	account_poll(s);
	au = account_user(&s->acct, u.id);
	if (au)
		account_close_user_sessions(s, au, time(NULL));
	while ((d = account_user_devices(&s->acct, u.id, &i))) {
		if (db_device_get(s->db, d->id, &row) == 0) {
			r = api_device_remove(c, &row);
			db_device_wipe(&row);
			if (r < 0)
				goto out;
			i = 0;
		}
	}
	r = db_user_delete(s->db, u.id);
	if (r < 0) {
		api_fail(c, r, "user %s: database: %s", u.name, db_errmsg(s->db));
		goto out;
	}
	account_forget_user(s, u.id);
	websession_end_subject(s->web, WEBSESSION_USER, u.id);
	server_user_changed(s, u.id);
	log_info("user %s deleted", u.name);
	c->status = 204;
out:
	db_user_wipe(&u);
	return r;
}

const struct api_op op_user_delete = {
	"user.delete", "DELETE", "/api/v1/users/{user}", API_ADMIN, API_CHANGES,
	sizeof(struct user_name_req), user_name_fields, user_delete,
	"Delete a user, its devices and its sessions", NULL,
};

/* Enable or disable; an expiry or a quota still in force wins over enable. */
static int set_state(struct api_call *c, struct db_user *u, bool enable)
{
	struct server *s = c->s;
	struct acct_user *au = account_update_user(s, u);
	char why[200];
	int r;

	if (!enable) {
		account_poll(s);
		au = account_user(&s->acct, u->id);
		r = account_set_state(s, au, DB_DISABLED_ADMIN, why, sizeof(why));
		/* Its portal sessions end with it. */
		websession_end_subject(s->web, WEBSESSION_USER, u->id);
	} else if (au->expires && au->expires <= time(NULL)) {
		return api_fail(c, -EPERM, "user %s stays disabled: it has expired (user set --expires)",
				u->name);
	} else if (au->quota_bytes && account_quota_used(au) >= au->quota_bytes) {
		return api_fail(c, -EPERM, "user %s stays disabled: its quota is used up (user set --quota)",
				u->name);
	} else {
		r = account_set_state(s, au, DB_ENABLED, why, sizeof(why));
	}
	if (r < 0)
		return api_fail(c, r, "%s", why);
	return 0;
}

static int user_state_op(struct api_call *c, bool enable)
{
	struct user_name_req *q = c->req;
	struct db_user u;
	int r = api_user_find(c, q->user, &u);

	snprintf(c->target, sizeof(c->target), "%s", q->user);
	if (r < 0)
		return r;
	r = set_state(c, &u, enable);
	if (r == 0 && db_user_get(c->s->db, u.id, &u) == 0)
		api_user_json(c->s, &u, c->reply, NULL);
	db_user_wipe(&u);
	return r;
}

static int user_disable(struct api_call *c)
{
	return user_state_op(c, false);
}

static int user_enable(struct api_call *c)
{
	return user_state_op(c, true);
}

const struct api_op op_user_disable = {
	"user.disable", "POST", "/api/v1/users/{user}/disable", API_ADMIN, API_CHANGES,
	sizeof(struct user_name_req), user_name_fields, user_disable,
	"Disable a user: its devices' peers leave the link", NULL,
};

const struct api_op op_user_enable = {
	"user.enable", "POST", "/api/v1/users/{user}/enable", API_ADMIN, API_CHANGES,
	sizeof(struct user_name_req), user_name_fields, user_enable,
	"Enable a user again, unless its expiry or quota still holds", NULL,
};

/* ---- set ---- */

static const char *const set_state_names[] = { "enabled", "disabled", NULL };

struct user_set_req {
	char user[DB_NAME_MAX + 1];
	bool has_user;
	struct api_expiry expires;
	bool has_expires;
	struct api_size quota;
	bool has_quota;
	int reset_day;
	bool has_reset_day;
	char group[DB_NAME_MAX + 1];
	bool has_group;
	int state;
	bool has_state;
	char email[DB_EMAIL_MAX + 1];
	bool has_email;
	char rate[DB_RATE_MAX + 1];
	bool has_rate;
};

static const struct api_field user_set_fields[] = {
	API_FIELD_L(struct user_set_req, user, API_NAME, API_REQUIRED | API_PATH, "user name"),
	API_FIELD(struct user_set_req, expires, API_EXPIRY, API_NULL),
	API_FIELD(struct user_set_req, quota, API_SIZE, API_NULL),
	API_FIELD_U64(struct user_set_req, reset_day, 1, 31, 0),
	API_FIELD_L(struct user_set_req, group, API_NAME, 0, "group"),
	API_FIELD_ENUM(struct user_set_req, state, set_state_names, 0),
	API_FIELD(struct user_set_req, email, API_STR, 0),
	API_FIELD(struct user_set_req, rate, API_STR, API_NULL),
	API_FIELD_END,
};

static int user_set_check(const void *req, char *why, size_t whylen)
{
	const struct user_set_req *q = req;

	if (!q->has_expires && !q->has_quota && !q->has_reset_day && !q->has_group &&
	    !q->has_state && !q->has_email && !q->has_rate)
		snprintf(why, whylen, "nothing to change (expires, quota, reset_day, group, state, "
			 "email, rate)");
	else if (q->has_rate && rate_canon(q->rate, NULL, why, whylen) < 0)
		return -EINVAL;
	else if (q->has_email && !email_ok(q->email))
		snprintf(why, whylen, "email \"%.40s\": not an address", q->email);
	else
		return 0;
	return -EINVAL;
}

static int user_set(struct api_call *c)
{
	struct user_set_req *q = c->req;
	struct server *s = c->s;
	struct acct_user *au;
	struct db_user u;
	bool was_monthly;
	int old_day, r;

	snprintf(c->target, sizeof(c->target), "%s", q->user);
	r = api_user_find(c, q->user, &u);
	if (r < 0)
		return r;
	was_monthly = u.quota_bytes && u.quota_period == DB_QUOTA_MONTH;
	old_day = u.quota_reset_day;
	if (q->has_expires && api_expiry_at(&q->expires, time(NULL), &u.expires) < 0) {
		r = api_fail(c, -EINVAL, "expires: bad value");
		goto out;
	}
	if (q->has_quota) {
		u.quota_bytes = q->quota.bytes;
		u.quota_period = q->quota.monthly ? DB_QUOTA_MONTH : DB_QUOTA_TOTAL;
	}
	if (q->has_reset_day)
		u.quota_reset_day = q->reset_day;
	if (q->has_group && (r = api_group_id(c, q->group, &u.group_id)) < 0)
		goto out;
	if (q->has_email)
		snprintf(u.email, sizeof(u.email), "%s", q->email);
	if (q->has_rate && (r = rate_canon(q->rate, u.rate, c->error, sizeof(c->error))) < 0)
		goto out;
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
		api_fail(c, r, "user %s: database: %s", u.name, db_errmsg(s->db));
		goto out;
	}
	au = account_update_user(s, &u);
	/* Extended: back on; shortened: off now. */
	account_check_user(s, au);
	if (q->has_state) {
		db_user_get(s->db, u.id, &u);
		r = set_state(c, &u, q->state == 0);
		if (r < 0)
			goto out;
	}
	server_user_changed(s, u.id);
	if (q->has_group)
		server_announced(s, 0, u.id);   /* another group's feed */
	if (q->has_group || q->has_rate)
		server_policy_changed(s, 0, u.id);
	db_user_get(s->db, u.id, &u);
	api_user_json(s, &u, c->reply, NULL);
	{
		char exp[VALUES_TIME_STRLEN] = "never", quota[VALUES_SIZE_STRLEN] = "none";

		if (u.expires)
			values_format_expiry(u.expires, exp, sizeof(exp));
		if (u.quota_bytes)
			values_format_size(u.quota_bytes, quota, sizeof(quota));
		log_info("user %s: expires %s, quota %s%s", u.name, exp, quota,
			 u.quota_bytes && u.quota_period == DB_QUOTA_MONTH ? "/month" : "");
	}
out:
	db_user_wipe(&u);
	return r;
}

const struct api_op op_user_set = {
	"user.set", "PATCH", "/api/v1/users/{user}", API_ADMIN, API_CHANGES,
	sizeof(struct user_set_req), user_set_fields, user_set,
	"Change a user's expiry, quota, group, state, email or rate", user_set_check,
};
