/* Console accounts (admin or viewer) and one-time passwords: a password set by someone
 * else (an admin added, a password reset, a user's portal password) is shown once and
 * must be changed at its first login. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ops.h"
#include "../server.h"
#include "../auth/pwhash.h"
#include "../auth/websession.h"
#include "../../common/json.h"
#include "../../common/log.h"
#include "../../common/util.h"

/* 16 characters without look-alikes (no 0/O, 1/l/I), in groups of four: about 80 bits. */
#define OTP_GROUPS 4
#define OTP_LEN (OTP_GROUPS * 5 - 1)

static void one_time_password(char out[OTP_LEN + 1])
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
	size_t i, o = 0;

	for (i = 0; i < OTP_GROUPS * 4; i++) {
		if (i && i % 4 == 0)
			out[o++] = '-';
		out[o++] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	}
	out[o] = '\0';
}

/* What an operation that sets a one-time password keeps while the hash is made. */
struct otp_ctx {
	struct api_call *c;
	char password[OTP_LEN + 1];
	int (*store)(struct api_call *c, const char *encoded);
};

static void on_otp_hash(void *data, int err, const char *encoded)
{
	struct otp_ctx *x = data;
	struct api_call *c = x->c;
	int r = err ? api_fail(c, -EBUSY, "the server is busy; try again") : x->store(c, encoded);

	if (r == 0) {
		/* The password itself is the answer, once; the op's store wrote the rest. */
		json_str(c->reply, "password", x->password);
		json_end(c->reply);
	}
	sodium_memzero(x, sizeof(*x));
	free(x);
	api_finish(c, r);
}

static int otp_start(struct api_call *c, int (*store)(struct api_call *c, const char *encoded))
{
	struct otp_ctx *x = xcalloc(1, sizeof(*x));
	int r;

	x->c = c;
	x->store = store;
	one_time_password(x->password);
	r = pwhash_hash(c->s->pw, api_caller_owner(&c->who), x->password, strlen(x->password),
			on_otp_hash, x, NULL);
	if (r < 0) {
		sodium_memzero(x, sizeof(*x));
		free(x);
		return api_fail(c, -EBUSY, "the server is busy; try again");
	}
	return API_DEFERRED;
}

/* ---- admins ---- */

struct admin_req {
	char name[DB_NAME_MAX + 1];
	bool has_name;
	int role;
	bool has_role;
	bool totp;
	bool has_totp;
};

static const struct api_field admin_add_fields[] = {
	API_FIELD_L(struct admin_req, name, API_NAME, API_REQUIRED, "admin name"),
	API_FIELD_ENUM(struct admin_req, role, api_role_names, 0),
	API_FIELD_END,
};

static const struct api_field admin_name_fields[] = {
	API_FIELD_L(struct admin_req, name, API_NAME, API_REQUIRED | API_PATH, "admin name"),
	API_FIELD_END,
};

static const struct api_field admin_set_fields[] = {
	API_FIELD_L(struct admin_req, name, API_NAME, API_REQUIRED | API_PATH, "admin name"),
	API_FIELD_ENUM(struct admin_req, role, api_role_names, 0),
	API_FIELD(struct admin_req, totp, API_BOOL, 0),
	API_FIELD_END,
};

static const struct api_field no_fields[] = { API_FIELD_END };

static void admin_json(const struct db_admin *a, struct json *j, const char *key)
{
	json_obj_begin(j, key);
	json_str(j, "name", a->name);
	json_str(j, "role", api_role_names[a->role]);
	json_i64(j, "created", a->created);
	json_bool(j, "totp", a->totp_secret_enc_len > 0);
	json_bool(j, "must_change_password", a->must_change_password);
	if (a->last_login)
		json_i64(j, "last_login", a->last_login);
	else
		json_null(j, "last_login");
	json_end(j);
}

static int admin_store_new(struct api_call *c, const char *encoded)
{
	struct admin_req *q = c->req;
	struct db_admin a = { 0 };
	int r;

	snprintf(a.name, sizeof(a.name), "%s", q->name);
	a.role = (enum db_role)q->role;
	snprintf(a.password_hash, sizeof(a.password_hash), "%s", encoded);
	a.must_change_password = true;
	r = db_admin_add(c->s->db, &a, &a.id);
	db_admin_wipe(&a);
	if (r == -EEXIST)
		return api_fail(c, r, "admin \"%s\" exists already", q->name);
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	json_obj_begin(c->reply, NULL);
	json_str(c->reply, "name", q->name);
	json_str(c->reply, "role", api_role_names[q->role]);
	c->status = 201;
	log_info("admin %s (%s) added", q->name, api_role_names[q->role]);
	return 0;
}

static int admin_add(struct api_call *c)
{
	struct admin_req *q = c->req;
	struct db_admin a;

	snprintf(c->target, sizeof(c->target), "%s", q->name);
	if (db_admin_get_by_name(c->s->db, q->name, &a) == 0) {
		db_admin_wipe(&a);
		return api_fail(c, -EEXIST, "admin \"%s\" exists already", q->name);
	}
	return otp_start(c, admin_store_new);
}

const struct api_op op_admin_add = {
	"admin.add", "POST", "/api/v1/admins", API_ADMIN, API_CHANGES,
	sizeof(struct admin_req), admin_add_fields, admin_add,
	"Add a console account with a one-time password (shown once)", NULL,
};

static int list_row(const struct db_admin *a, void *data)
{
	admin_json(a, data, NULL);
	return 0;
}

static int admin_list(struct api_call *c)
{
	int r;

	json_obj_begin(c->reply, NULL);
	json_arr_begin(c->reply, "admins");
	r = db_admin_list(c->s->db, list_row, c->reply);
	json_end(c->reply);
	json_null(c->reply, "next");
	json_end(c->reply);
	if (r < 0) {
		json_reset(c->reply);
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	}
	return 0;
}

const struct api_op op_admin_list = {
	"admin.list", "GET", "/api/v1/admins", API_VIEWER, 0,
	sizeof(struct admin_req), no_fields, admin_list,
	"The console accounts", NULL,
};

static int find_admin(struct api_call *c, struct db_admin *a)
{
	struct admin_req *q = c->req;
	int r = db_admin_get_by_name(c->s->db, q->name, a);

	snprintf(c->target, sizeof(c->target), "%s", q->name);
	if (r == -ENOENT)
		return api_fail(c, r, "no admin \"%s\"", q->name);
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	return 0;
}

/* The last admin with the admin role cannot go or lose it: nobody could add another. */
static int keeps_an_admin(struct api_call *c, const struct db_admin *a)
{
	uint64_t n = 0;

	if (a->role != DB_ROLE_ADMIN)
		return 0;
	if (db_admin_count(c->s->db, DB_ROLE_ADMIN, &n) < 0)
		return api_fail(c, -EIO, "database: %s", db_errmsg(c->s->db));
	if (n <= 1)
		return api_fail(c, -EPERM, "admin %s is the last with the admin role", a->name);
	return 0;
}

static int admin_set(struct api_call *c)
{
	struct admin_req *q = c->req;
	struct db_admin a;
	int r = find_admin(c, &a);

	if (r < 0)
		return r;
	if (q->has_role && (enum db_role)q->role != a.role) {
		if ((r = keeps_an_admin(c, &a)) < 0 ||
		    (r = db_admin_set_role(c->s->db, a.id, (enum db_role)q->role)) < 0)
			goto out;
		/* The sessions it has carry the old role: they end. */
		websession_end_subject(c->s->web, WEBSESSION_ADMIN, a.id);
	}
	if (q->has_totp) {
		if (q->totp) {
			r = api_fail(c, -EINVAL, "totp: an admin enrols TOTP itself; only false removes it");
			goto out;
		}
		if ((r = db_admin_set_totp(c->s->db, a.id, NULL, 0)) < 0)
			goto out;
	}
	if ((r = db_admin_get(c->s->db, a.id, &a)) == 0)
		admin_json(&a, c->reply, NULL);
out:
	if (r < 0 && !c->error[0])
		api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	db_admin_wipe(&a);
	return r;
}

const struct api_op op_admin_set = {
	"admin.set", "PATCH", "/api/v1/admins/{name}", API_ADMIN, API_CHANGES,
	sizeof(struct admin_req), admin_set_fields, admin_set,
	"Change an admin's role, or remove its TOTP (totp: false)", NULL,
};

static int admin_delete(struct api_call *c)
{
	struct db_admin a;
	int r = find_admin(c, &a);

	if (r < 0)
		return r;
	if ((r = keeps_an_admin(c, &a)) == 0 && (r = db_admin_delete(c->s->db, a.id)) < 0)
		api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	if (r == 0) {
		websession_end_subject(c->s->web, WEBSESSION_ADMIN, a.id);
		c->status = 204;
		log_info("admin %s deleted", a.name);
	}
	db_admin_wipe(&a);
	return r;
}

const struct api_op op_admin_delete = {
	"admin.delete", "DELETE", "/api/v1/admins/{name}", API_ADMIN, API_CHANGES,
	sizeof(struct admin_req), admin_name_fields, admin_delete,
	"Delete a console account; its sessions end", NULL,
};

static int admin_store_reset(struct api_call *c, const char *encoded)
{
	struct db_admin a;
	int r = find_admin(c, &a);

	if (r < 0)
		return r;
	r = db_admin_set_password(c->s->db, a.id, encoded, true);
	if (r < 0) {
		db_admin_wipe(&a);
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	}
	websession_end_subject(c->s->web, WEBSESSION_ADMIN, a.id);
	json_obj_begin(c->reply, NULL);
	json_str(c->reply, "name", a.name);
	log_info("admin %s: password reset", a.name);
	db_admin_wipe(&a);
	return 0;
}

static int admin_password(struct api_call *c)
{
	struct db_admin a;
	int r = find_admin(c, &a);

	db_admin_wipe(&a);
	return r < 0 ? r : otp_start(c, admin_store_reset);
}

const struct api_op op_admin_password = {
	"admin.password", "POST", "/api/v1/admins/{name}/password", API_ADMIN, API_CHANGES,
	sizeof(struct admin_req), admin_name_fields, admin_password,
	"A new one-time password for an admin (shown once); its sessions end", NULL,
};

/* ---- a user's portal password ---- */

struct user_req {
	char user[DB_NAME_MAX + 1];
	bool has_user;
};

static const struct api_field user_fields[] = {
	API_FIELD_L(struct user_req, user, API_NAME, API_REQUIRED | API_PATH, "user name"),
	API_FIELD_END,
};

static int user_store(struct api_call *c, const char *encoded)
{
	struct user_req *q = c->req;
	struct db_user u;
	int r = api_user_find(c, q->user, &u);

	if (r < 0)
		return r;
	r = db_user_set_password(c->s->db, u.id, encoded, true);
	if (r < 0) {
		db_user_wipe(&u);
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	}
	websession_end_subject(c->s->web, WEBSESSION_USER, u.id);
	json_obj_begin(c->reply, NULL);
	json_str(c->reply, "name", u.name);
	log_info("user %s: portal password set", u.name);
	db_user_wipe(&u);
	return 0;
}

static int user_password(struct api_call *c)
{
	struct user_req *q = c->req;
	struct db_user u;
	int r = api_user_find(c, q->user, &u);

	snprintf(c->target, sizeof(c->target), "%s", q->user);
	db_user_wipe(&u);
	return r < 0 ? r : otp_start(c, user_store);
}

const struct api_op op_user_password = {
	"user.password", "POST", "/api/v1/users/{user}/password", API_ADMIN, API_CHANGES,
	sizeof(struct user_req), user_fields, user_password,
	"A one-time portal password for a user (shown once); its sessions end", NULL,
};
