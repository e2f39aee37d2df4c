/* Prepaid vouchers (DESIGN 9, issue 13): admins make batches of codes, shown once and kept
 * only as keyed hashes; anyone redeems a code for a new account (its password hashed off
 * the loop), a user for more time, quota or another group. A code's use is taken in the
 * database before anything slow starts, so one use redeems once however many try. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <sodium.h>

#include "ops.h"
#include "../server.h"
#include "../values.h"
#include "../auth/pwhash.h"
#include "../auth/throttle.h"
#include "../auth/voucher.h"
#include "../../agent/loop.h"
#include "../../common/json.h"
#include "../../common/log.h"
#include "../../common/util.h"

#define COUNT_MAX 10000
#define USES_MAX 1000
#define DURATION_TEXT_MAX 24

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the batch object ---- */

static void batch_json(struct server *s, const struct db_voucher_batch *b, struct json *j,
		       const char *key, bool open)
{
	char group[DB_NAME_MAX + 1];

	json_obj_begin(j, key);
	json_str(j, "name", b->name);
	json_i64(j, "created", b->created);
	json_str(j, "created_by", b->created_by);
	if (b->duration)
		json_i64(j, "duration", b->duration);
	else
		json_null(j, "duration");
	if (b->quota_bytes)
		json_u64(j, "quota", b->quota_bytes);
	else
		json_null(j, "quota");
	json_str(j, "quota_period", b->quota_period == DB_QUOTA_MONTH ? "month" : "total");
	if (b->group_id) {
		api_group_name(s, b->group_id, group);
		json_str(j, "group", group);
	} else {
		json_null(j, "group");
	}
	if (b->expires)
		json_i64(j, "expires", b->expires);
	else
		json_null(j, "expires");
	json_u64(j, "uses", (uint64_t)b->uses);
	if (b->revoked)
		json_i64(j, "revoked", b->revoked);
	else
		json_null(j, "revoked");
	json_u64(j, "codes", b->codes);
	json_u64(j, "unused", b->unused);
	json_u64(j, "redeemed", b->redeemed);
	if (!open)
		json_end(j);
}

static int batch_find(struct api_call *c, const char *name, struct db_voucher_batch *b)
{
	int r = db_voucher_batch_get_by_name(c->s->db, name, b);

	if (r == -ENOENT)
		return api_fail(c, r, "no voucher batch \"%s\"", name);
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	return 0;
}

/* ---- add ---- */

struct add_req {
	uint64_t count;
	bool has_count;
	char duration[DURATION_TEXT_MAX];
	bool has_duration;
	struct api_size quota;
	bool has_quota;
	char group[DB_NAME_MAX + 1];
	bool has_group;
	struct api_expiry expires;
	bool has_expires;
	uint64_t uses;
	bool has_uses;
	char name[DB_NAME_MAX + 1];
	bool has_name;
};

static const struct api_field add_fields[] = {
	API_FIELD_U64(struct add_req, count, 1, COUNT_MAX, API_REQUIRED),
	API_FIELD(struct add_req, duration, API_STR, 0),
	API_FIELD(struct add_req, quota, API_SIZE, 0),
	API_FIELD_L(struct add_req, group, API_NAME, 0, "group"),
	API_FIELD(struct add_req, expires, API_EXPIRY, 0),
	API_FIELD_U64(struct add_req, uses, 1, USES_MAX, 0),
	API_FIELD_L(struct add_req, name, API_NAME, 0, "batch name"),
	API_FIELD_END,
};

static int add_check(const void *req, char *why, size_t whylen)
{
	const struct add_req *q = req;
	int64_t d;

	if (q->has_duration && values_parse_duration(q->duration, &d, why, whylen) < 0)
		return -EINVAL;
	/* the route POST /api/v1/vouchers/redeem would hide its PATCH and DELETE */
	if (q->has_name && strcmp(q->name, "redeem") == 0) {
		snprintf(why, whylen, "batch name \"redeem\": taken by the API's route");
		return -EINVAL;
	}
	return 0;
}

/* The default name: the local date, then -2, -3, ... until one is free. */
static int default_name(struct api_call *c, int64_t now, char name[DB_NAME_MAX + 1])
{
	struct db_voucher_batch b;
	time_t t = (time_t)now;
	char day[16] = "batch";
	struct tm tm;
	int i, r;

	if (localtime_r(&t, &tm))
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	for (i = 1; i < 10000; i++) {
		if (i == 1)
			snprintf(name, DB_NAME_MAX + 1, "%s", day);
		else
			snprintf(name, DB_NAME_MAX + 1, "%s-%d", day, i);
		r = db_voucher_batch_get_by_name(c->s->db, name, &b);
		if (r == -ENOENT)
			return 0;
		if (r < 0)
			return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	}
	return api_fail(c, -EEXIST, "name: no free default name today: give one");
}

static int voucher_add(struct api_call *c)
{
	struct add_req *q = c->req;
	struct server *s = c->s;
	struct db_voucher_batch b = { 0 };
	uint8_t key[VOUCHER_KEY_LEN], (*hashes)[DB_HASH_LEN] = NULL;
	char (*codes)[VOUCHER_TEXT_LEN + 1] = NULL;
	int64_t now = time(NULL);
	size_t i, n = (size_t)q->count;
	int r;

	if (q->has_duration)
		values_parse_duration(q->duration, &b.duration, NULL, 0);
	b.quota_bytes = q->quota.bytes;
	b.quota_period = q->quota.monthly ? DB_QUOTA_MONTH : DB_QUOTA_TOTAL;
	b.uses = q->has_uses ? (int)q->uses : 1;
	b.created = now;
	api_caller_name(&c->who, b.created_by, sizeof(b.created_by));
	if (q->has_group && (r = api_group_id(c, q->group, &b.group_id)) < 0)
		return r;
	if (q->has_expires) {
		if (api_expiry_at(&q->expires, now, &b.expires) < 0)
			return api_fail(c, -EINVAL, "expires: bad value");
		if (b.expires <= now)
			return api_fail(c, -EINVAL, "expires: in the past");
	}
	if (q->has_name)
		snprintf(b.name, sizeof(b.name), "%s", q->name);
	else if ((r = default_name(c, now, b.name)) < 0)
		return r;
	snprintf(c->target, sizeof(c->target), "%s", b.name);

	codes = xcalloc(n, sizeof(*codes));
	hashes = xcalloc(n, sizeof(*hashes));
	voucher_key(s->secret, key);
	for (i = 0; i < n; i++) {
		voucher_new(codes[i]);
		voucher_hash(key, codes[i], hashes[i]);
	}
	sodium_memzero(key, sizeof(key));
	r = db_voucher_batch_add(s->db, &b, (const uint8_t (*)[DB_HASH_LEN])hashes, n, &b.id);
	if (r == -EEXIST && strstr(db_errmsg(s->db), "exists already"))
		api_fail(c, r, "voucher batch \"%s\" exists already", b.name);
	else if (r < 0)
		api_fail(c, r, "database: %s", db_errmsg(s->db));
	if (r == 0)
		r = batch_find(c, b.name, &b);
	if (r == 0) {
		/* The only time the codes exist outside this process: in this answer. */
		json_obj_begin(c->reply, NULL);
		batch_json(s, &b, c->reply, "batch", false);
		json_arr_begin(c->reply, "codes");
		for (i = 0; i < n; i++)
			json_str(c->reply, NULL, codes[i]);
		json_end(c->reply);
		json_end(c->reply);
		c->status = 201;
		log_info("vouchers: batch %s of %zu code%s added by %s", b.name, n, n == 1 ? "" : "s",
			 b.created_by);
	}
	sodium_memzero(codes, n * sizeof(*codes));
	free(codes);
	free(hashes);
	return r;
}

const struct api_op op_voucher_add = {
	"voucher.add", "POST", "/api/v1/vouchers", API_ADMIN, API_CHANGES,
	sizeof(struct add_req), add_fields, voucher_add,
	"Make a batch of voucher codes, shown only in this answer", add_check,
};

/* ---- list ---- */

static int list_row(const struct db_voucher_batch *b, void *data)
{
	struct api_rows *l = data;

	batch_json(l->s, b, l->j, NULL, false);
	return 0;
}

static int voucher_list(struct api_call *c)
{
	struct api_page_req *q = c->req;
	struct api_rows l = { c->s, c->reply };
	char next[DB_CURSOR_MAX + 1] = "";
	uint64_t total = 0;
	int r;

	json_obj_begin(c->reply, NULL);
	json_arr_begin(c->reply, "vouchers");
	r = db_voucher_batch_query(c->s->db, q->has_limit ? q->limit : 50, q->cursor, list_row, &l,
				   &total, next);
	return api_page_end(c, r, &total, next);
}

const struct api_op op_voucher_list = {
	"voucher.list", "GET", "/api/v1/vouchers", API_VIEWER, 0,
	sizeof(struct api_page_req), api_page_fields, voucher_list,
	"One page of voucher batches, newest first, with how many codes each has used", NULL,
};

/* ---- show ---- */

struct show_req {
	char name[DB_NAME_MAX + 1];
	bool has_name;
	uint64_t limit;
	bool has_limit;
	char cursor[DB_CURSOR_MAX + 1];
	bool has_cursor;
};

static const struct api_field show_fields[] = {
	API_FIELD_L(struct show_req, name, API_NAME, API_REQUIRED | API_PATH, "batch name"),
	API_FIELD_U64(struct show_req, limit, 1, DB_PAGE_MAX, 0),
	API_FIELD(struct show_req, cursor, API_CURSOR, 0),
	API_FIELD_END,
};

static int redemption_row(const struct db_voucher_redemption *r, void *data)
{
	struct json *j = data;

	json_obj_begin(j, NULL);
	json_str(j, "user", r->user_name);
	json_i64(j, "at", r->at);
	json_str(j, "source", r->source);
	json_bool(j, "created_account", r->created_account);
	json_end(j);
	return 0;
}

static int voucher_show(struct api_call *c)
{
	struct show_req *q = c->req;
	struct db_voucher_batch b;
	char next[DB_CURSOR_MAX + 1] = "";
	int r = batch_find(c, q->name, &b);

	if (r < 0)
		return r;
	batch_json(c->s, &b, c->reply, NULL, true);
	json_arr_begin(c->reply, "redemptions");
	r = db_voucher_redemptions(c->s->db, b.id, q->has_limit ? q->limit : 100, q->cursor,
				   redemption_row, c->reply, next);
	return api_page_end(c, r, NULL, next);
}

const struct api_op op_voucher_show = {
	"voucher.show", "GET", "/api/v1/vouchers/{name}", API_VIEWER, 0,
	sizeof(struct show_req), show_fields, voucher_show,
	"One voucher batch with a page of its redemptions, newest first", NULL,
};

/* ---- revoke, delete ---- */

struct set_req {
	char name[DB_NAME_MAX + 1];
	bool has_name;
	bool revoked;
	bool has_revoked;
};

static const struct api_field set_fields[] = {
	API_FIELD_L(struct set_req, name, API_NAME, API_REQUIRED | API_PATH, "batch name"),
	API_FIELD(struct set_req, revoked, API_BOOL, API_REQUIRED),
	API_FIELD_END,
};

static int voucher_set(struct api_call *c)
{
	struct set_req *q = c->req;
	struct db_voucher_batch b;
	int r = batch_find(c, q->name, &b);

	snprintf(c->target, sizeof(c->target), "%s", q->name);
	if (r < 0)
		return r;
	/* A second revocation keeps the time of the first. */
	if (q->revoked != (b.revoked != 0)) {
		r = db_voucher_batch_revoke(c->s->db, b.id, q->revoked ? time(NULL) : 0);
		if (r < 0)
			return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
		log_info("vouchers: batch %s %s", b.name, q->revoked ? "revoked" : "no longer revoked");
		r = batch_find(c, q->name, &b);
		if (r < 0)
			return r;
	} else {
		c->no_audit = true;
	}
	batch_json(c->s, &b, c->reply, NULL, false);
	return 0;
}

const struct api_op op_voucher_set = {
	"voucher.set", "PATCH", "/api/v1/vouchers/{name}", API_ADMIN, API_CHANGES,
	sizeof(struct set_req), set_fields, voucher_set,
	"Revoke a voucher batch (its codes stop at once), or take that back", NULL,
};

struct name_req {
	char name[DB_NAME_MAX + 1];
	bool has_name;
};

static const struct api_field name_fields[] = {
	API_FIELD_L(struct name_req, name, API_NAME, API_REQUIRED | API_PATH, "batch name"),
	API_FIELD_END,
};

static int voucher_delete(struct api_call *c)
{
	struct name_req *q = c->req;
	struct db_voucher_batch b;
	int r = batch_find(c, q->name, &b);

	snprintf(c->target, sizeof(c->target), "%s", q->name);
	if (r < 0)
		return r;
	r = db_voucher_batch_delete(c->s->db, b.id);
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	log_info("vouchers: batch %s deleted", b.name);
	c->status = 204;
	return 0;
}

const struct api_op op_voucher_delete = {
	"voucher.delete", "DELETE", "/api/v1/vouchers/{name}", API_ADMIN, API_CHANGES,
	sizeof(struct name_req), name_fields, voucher_delete,
	"Delete a voucher batch, its codes and their redemptions", NULL,
};

/* ---- redeem ---- */

struct redeem_req {
	char code[VOUCHER_INPUT_MAX + 1];
	bool has_code;
	char name[DB_NAME_MAX + 1];
	bool has_name;
	char password[PWHASH_INPUT_MAX + 1];
	bool has_password;
};

static const struct api_field redeem_fields[] = {
	API_FIELD(struct redeem_req, code, API_STR, API_REQUIRED | API_SECRET),
	API_FIELD_L(struct redeem_req, name, API_NAME, 0, "name"),
	API_FIELD(struct redeem_req, password, API_STR, API_SECRET),
	API_FIELD_END,
};

/* The code's form is checked like any field: a typing error costs no lookup. */
static int redeem_check(const void *req, char *why, size_t whylen)
{
	const struct redeem_req *q = req;
	char canon[VOUCHER_TEXT_LEN + 1];

	return voucher_parse(q->code, canon, why, whylen) < 0 ? -EINVAL : 0;
}

/* A creation across the password's hash. */
struct redeem_ctx {
	struct api_call *c;
	uint8_t hash[VOUCHER_HASH_LEN];
	int64_t voucher_id;
	uint64_t loop_ns;              /* the server's own work so far */
	uint64_t hash_start_ns;
};

static void redeem_answer(struct api_call *c, const struct db_user *u, bool created)
{
	json_obj_begin(c->reply, NULL);
	json_str(c->reply, "user", u->name);
	json_bool(c->reply, "created", created);
	if (u->expires)
		json_i64(c->reply, "expires", u->expires);
	else
		json_null(c->reply, "expires");
	if (u->quota_bytes)
		json_u64(c->reply, "quota", u->quota_bytes);
	else
		json_null(c->reply, "quota");
	json_str(c->reply, "quota_period", u->quota_period == DB_QUOTA_MONTH ? "month" : "total");
	json_end(c->reply);
	c->status = created ? 201 : 200;
	c->no_audit = false;
	snprintf(c->target, sizeof(c->target), "%s", u->name);
}

static void release(struct api_call *c, int64_t voucher_id)
{
	if (db_voucher_release(c->s->db, voucher_id) < 0)
		log_warn("voucher %" PRId64 ": its reserved use stays taken: %s", voucher_id,
			 db_errmsg(c->s->db));
}

static void record(struct api_call *c, int64_t voucher_id, const char *user, bool created)
{
	struct db_voucher_redemption red = { .voucher_id = voucher_id, .created_account = created };

	snprintf(red.user_name, sizeof(red.user_name), "%s", user);
	snprintf(red.source, sizeof(red.source), "%s", c->who.source);
	if (db_voucher_redeemed(c->s->db, &red) < 0)
		log_warn("voucher %" PRId64 ": redemption by %s not recorded: %s", voucher_id, user,
			 db_errmsg(c->s->db));
}

/* The new account: the password hashed, the use still reserved and the batch still
 * standing (it may have been revoked or deleted while the hash ran). */
static void on_password_hash(void *data, int err, const char *encoded)
{
	struct redeem_ctx *x = data;
	struct api_call *c = x->c;
	struct redeem_req *q = c->req;
	struct server *s = c->s;
	uint64_t t0 = mono_ns(), hash_ns = t0 - x->hash_start_ns;
	struct db_voucher_batch b;
	struct db_voucher v;
	struct db_user u = { 0 };
	int64_t now = time(NULL);
	int r;

	if (err) {
		release(c, x->voucher_id);
		r = api_fail(c, -EBUSY, "the server is busy; try again");
		goto out;
	}
	r = db_voucher_find(s->db, x->hash, &v, &b);
	if (r == -ENOENT) {
		r = api_fail(c, -ENOENT, "code: unknown");
		goto out;
	}
	if (r == 0 && b.revoked)
		r = api_fail(c, -EPERM, "code: revoked");
	else if (r < 0)
		api_fail(c, r, "database: %s", db_errmsg(s->db));
	if (r < 0) {
		release(c, x->voucher_id);
		goto out;
	}
	snprintf(u.name, sizeof(u.name), "%s", q->name);
	snprintf(u.password_hash, sizeof(u.password_hash), "%s", encoded);
	u.expires = b.duration ? now + b.duration : 0;
	u.quota_bytes = b.quota_bytes;
	u.quota_period = b.quota_period;
	u.quota_reset_day = 1;
	if (u.quota_bytes && u.quota_period == DB_QUOTA_MONTH)
		u.period_start = values_period_start(now, 1);
	u.group_id = b.group_id ? b.group_id : DB_GROUP_DEFAULT;
	/* The person chose the password: it is no one-time one. */
	u.must_change_password = false;
	r = api_user_create(c, &u, u.name, NULL);
	if (r < 0) {
		release(c, x->voucher_id);
		if (r == -EEXIST)
			api_fail(c, r, "name: taken");
		goto out;
	}
	record(c, x->voucher_id, u.name, true);
	server_user_changed(s, u.id);
	redeem_answer(c, &u, true);
	x->loop_ns += mono_ns() - t0;
	log_info("vouchers: batch %s: account %s made from %s (%.2f ms of the server's own, "
		 "Argon2id %.1f ms off the loop)", b.name, u.name, c->who.source,
		 (double)x->loop_ns / 1e6, (double)hash_ns / 1e6);
out:
	db_user_wipe(&u);
	sodium_memzero(x, sizeof(*x));
	free(x);
	api_finish(c, r);
}

/* A quota of the batch's added to the user's (redeem_extend has refused one of another
 * period). A user without expiry or quota has no end to push back. */
static void extend(struct db_user *u, const struct db_voucher_batch *b, int64_t now)
{
	if (b->duration && u->expires)
		u->expires = (u->expires > now ? u->expires : now) + b->duration;
	if (b->quota_bytes && u->quota_bytes)
		u->quota_bytes = u->quota_bytes > (uint64_t)INT64_MAX - b->quota_bytes ?
				 (uint64_t)INT64_MAX : u->quota_bytes + b->quota_bytes;
	if (b->group_id)
		u->group_id = b->group_id;
}

static int redeem_extend(struct api_call *c, int64_t voucher_id,
			 const struct db_voucher_batch *b, uint64_t t0)
{
	struct server *s = c->s;
	struct acct_user *au;
	struct db_user u;
	int64_t now = time(NULL);
	int r;

	r = db_user_get(s->db, c->who.id, &u);
	if (r < 0)
		return api_fail(c, r == -ENOENT ? -EACCES : r, "no such user");
	/* Bytes a month and bytes in all do not add up; neither may silently replace the
	 * other (20 GiB a month is not to become 5 GiB in all). The code stays unused. */
	if (b->quota_bytes && u.quota_bytes && b->quota_period != u.quota_period) {
		bool monthly = b->quota_period == DB_QUOTA_MONTH;

		db_user_wipe(&u);
		return api_fail(c, -EPERM, "code: its quota is counted %s, this account's %s",
				monthly ? "a month" : "in all", monthly ? "in all" : "a month");
	}
	/* The use, the account and the record together, or none of them. */
	r = db_begin(s->db);
	if (r == 0 && (r = db_voucher_reserve(s->db, voucher_id, now)) == -EPERM) {
		db_rollback(s->db);
		db_user_wipe(&u);
		return api_fail(c, -EPERM, "code: already used");
	}
	if (r == 0) {
		extend(&u, b, now);
		r = db_user_update(s->db, &u);
	}
	if (r == 0) {
		struct db_voucher_redemption red = { .voucher_id = voucher_id };

		snprintf(red.user_name, sizeof(red.user_name), "%s", u.name);
		snprintf(red.source, sizeof(red.source), "%s", c->who.source);
		r = db_voucher_redeemed(s->db, &red);
	}
	if (r == 0)
		r = db_commit(s->db);
	if (r < 0) {
		api_fail(c, r, "database: %s", db_errmsg(s->db));
		db_rollback(s->db);
		db_user_wipe(&u);
		return r;
	}
	au = account_update_user(s, &u);
	/* Expired or over quota before, and no longer: back on. */
	account_check_user(s, au);
	server_user_changed(s, u.id);
	db_user_get(s->db, u.id, &u);
	redeem_answer(c, &u, false);
	log_info("vouchers: batch %s: account %s extended from %s (%.2f ms of the server's own)",
		 b->name, u.name, c->who.source, (double)(mono_ns() - t0) / 1e6);
	db_user_wipe(&u);
	return 0;
}

static int voucher_redeem(struct api_call *c)
{
	struct redeem_req *q = c->req;
	struct server *s = c->s;
	uint64_t t0 = mono_ns();
	uint8_t key[VOUCHER_KEY_LEN], hash[VOUCHER_HASH_LEN];
	struct throttle_verdict tv = { 0, 0 };
	char canon[VOUCHER_TEXT_LEN + 1], why[128];
	struct sockaddr_storage peer;
	struct db_voucher_batch b;
	struct db_voucher v;
	struct redeem_ctx *x;
	bool user = c->who.kind == API_CALLER_USER, yes = false;
	const char *problem;
	struct db_admin a;
	struct db_user u;
	int r;

	/* Only what succeeds is an administrative change; the rest is for the log. */
	c->no_audit = true;
	if (c->who.kind == API_CALLER_ADMIN || c->who.kind == API_CALLER_TOKEN)
		return api_fail(c, -EACCES, "vouchers are redeemed by users: a console account or "
				"token has no VPN account to extend");
	if (user && c->who.must_change_password)
		return api_fail(c, -EACCES, "password change required");
	if (user && (q->has_name || q->has_password))
		return api_fail(c, -EINVAL, "%s: not with a session: the code extends this "
				"session's account", q->has_name ? "name" : "password");
	if (!user && !q->has_name)
		return api_fail(c, -EINVAL, "name: missing (the new account's)");
	if (!user && !q->has_password)
		return api_fail(c, -EINVAL, "password: missing (the new account's)");
	if (!user && (problem = pwhash_password_problem(q->password, strlen(q->password), q->name)))
		return api_fail(c, -EINVAL, "password: %s", problem);
	if (voucher_parse(q->code, canon, why, sizeof(why)) < 0)
		return api_fail(c, -EINVAL, "%s", why);

	api_caller_sockaddr(&c->who, &peer);
	if (throttle_code_attempt(s->throttle, (struct sockaddr *)&peer, loop_now_ms(), &tv) < 0) {
		c->retry_after = tv.retry_after_s;
		log_info("vouchers: codes from %s refused for %us: too many unknown", c->who.source,
			 tv.retry_after_s);
		return api_fail(c, -EAGAIN, "too many unknown codes; try again later");
	}
	voucher_key(s->secret, key);
	voucher_hash(key, canon, hash);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(canon, sizeof(canon));
	r = db_voucher_find(s->db, hash, &v, &b);
	if (r == -ENOENT) {
		log_info("vouchers: unknown code from %s", c->who.source);
		return api_fail(c, -ENOENT, "code: unknown");
	}
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(s->db));
	throttle_code_success(s->throttle, (struct sockaddr *)&peer, loop_now_ms());
	if (b.revoked)
		return api_fail(c, -EPERM, "code: revoked");
	if (b.expires && b.expires <= time(NULL))
		return api_fail(c, -EPERM, "code: expired");
	if (v.used >= b.uses)
		return api_fail(c, -EPERM, "code: already used");
	if (user) {
		r = db_voucher_used_by(s->db, v.id, c->who.name, &yes);
		if (r < 0)
			return api_fail(c, r, "database: %s", db_errmsg(s->db));
		if (yes)
			return api_fail(c, -EPERM, "code: already used");
		return redeem_extend(c, v.id, &b, t0);
	}
	/* An admin's name too: a login tries the console's accounts first. */
	if (db_user_get_by_name(s->db, q->name, &u) == 0) {
		db_user_wipe(&u);
		return api_fail(c, -EEXIST, "name: taken");
	}
	if (db_admin_get_by_name(s->db, q->name, &a) == 0) {
		db_admin_wipe(&a);
		return api_fail(c, -EEXIST, "name: taken");
	}
	/* The use is taken now, before the slow part: whoever comes next finds it used. */
	r = db_voucher_reserve(s->db, v.id, time(NULL));
	if (r == -EPERM)
		return api_fail(c, r, "code: already used");
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(s->db));
	x = xcalloc(1, sizeof(*x));
	x->c = c;
	memcpy(x->hash, hash, sizeof(hash));
	x->voucher_id = v.id;
	x->hash_start_ns = mono_ns();
	x->loop_ns = x->hash_start_ns - t0;
	r = pwhash_hash(s->pw, api_caller_owner(&c->who), q->password, strlen(q->password),
			on_password_hash, x, NULL);
	if (r < 0) {
		free(x);
		release(c, v.id);
		return api_fail(c, -EBUSY, "the server is busy; try again");
	}
	return API_DEFERRED;
}

const struct api_op op_voucher_redeem = {
	"voucher.redeem", "POST", "/api/v1/vouchers/redeem", API_ANYONE, API_CHANGES,
	sizeof(struct redeem_req), redeem_fields, voucher_redeem,
	"Redeem a voucher code: a new account (no session) or more for the caller's", redeem_check,
};
