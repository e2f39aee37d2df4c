/* Console accounts (admins) and admin API tokens in SQLite, each with its role; secrets
 * only as the hashes and ciphertext the caller hands in. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <sodium.h>

#include "dbint.h"

#define ADMIN_COLS "id, name, role, created, password_hash, must_change_password," \
	" totp_secret_enc, totp_last_step, last_login"
#define TOKEN_COLS "id, name, role, created, last_used"

enum {
	ST_ADD, ST_GET, ST_GET_NAME, ST_LIST, ST_PASSWORD, ST_ROLE, ST_TOTP, ST_STEP, ST_EXISTS,
	ST_LOGIN, ST_DELETE, ST_COUNT_ROLE, ST_TOK_ADD, ST_TOK_BY_HASH, ST_TOK_USED, ST_TOK_LIST,
	ST_TOK_DELETE, ST_COUNT
};

static const char *const sql[ST_COUNT] = {
	[ST_ADD] = "INSERT INTO admins (name, role, created, password_hash, must_change_password,"
		" totp_secret_enc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_GET] = "SELECT " ADMIN_COLS " FROM admins WHERE id = ?1",
	[ST_GET_NAME] = "SELECT " ADMIN_COLS " FROM admins WHERE name = ?1",
	[ST_LIST] = "SELECT " ADMIN_COLS " FROM admins ORDER BY id",
	[ST_PASSWORD] = "UPDATE admins SET password_hash = ?2, must_change_password = ?3"
		" WHERE id = ?1",
	[ST_ROLE] = "UPDATE admins SET role = ?2 WHERE id = ?1",
	/* a new secret starts a new count of steps */
	[ST_TOTP] = "UPDATE admins SET totp_secret_enc = ?2, totp_last_step = 0 WHERE id = ?1",
	/* only forward: two logins with one code cannot both pass */
	[ST_STEP] = "UPDATE admins SET totp_last_step = ?2 WHERE id = ?1 AND totp_last_step < ?2",
	[ST_EXISTS] = "SELECT EXISTS (SELECT 1 FROM admins WHERE id = ?1)",
	[ST_LOGIN] = "UPDATE admins SET last_login = ?2 WHERE id = ?1",
	[ST_DELETE] = "DELETE FROM admins WHERE id = ?1",
	[ST_COUNT_ROLE] = "SELECT count(*) FROM admins WHERE role = ?1",
	[ST_TOK_ADD] = "INSERT INTO admin_tokens (name, role, created, token_hash)"
		" VALUES (?1, ?2, ?3, ?4)",
	[ST_TOK_BY_HASH] = "SELECT " TOKEN_COLS " FROM admin_tokens WHERE token_hash = ?1",
	[ST_TOK_USED] = "UPDATE admin_tokens SET last_used = ?2 WHERE id = ?1",
	[ST_TOK_LIST] = "SELECT " TOKEN_COLS " FROM admin_tokens ORDER BY id",
	[ST_TOK_DELETE] = "DELETE FROM admin_tokens WHERE name = ?1",
};

_Static_assert(ST_COUNT <= DBI_NOUN_STMTS, "too many statements");

#define STMT(db, id) dbi_stmt(db, DBI_ADMIN, id, sql[id])

static const char *role_name(enum db_role r)
{
	return r == DB_ROLE_VIEWER ? "viewer" : "admin";
}

static int role_parse(const char *s, enum db_role *r)
{
	if (s && strcmp(s, "admin") == 0)
		*r = DB_ROLE_ADMIN;
	else if (s && strcmp(s, "viewer") == 0)
		*r = DB_ROLE_VIEWER;
	else
		return -EIO;
	return 0;
}

static int check_role(struct db *db, enum db_role r)
{
	if ((unsigned int)r > DB_ROLE_VIEWER) {
		dbi_err(db, "role %d", (int)r);
		return -EINVAL;
	}
	return 0;
}

void db_admin_wipe(struct db_admin *a)
{
	sodium_memzero(a, sizeof(*a));
}

int db_admin_add(struct db *db, const struct db_admin *a, int64_t *id)
{
	sqlite3_stmt *s;
	int ret;

	ret = dbi_check_name(db, "admin name", a->name, sizeof(a->name));
	if (ret == 0)
		ret = check_role(db, a->role);
	if (ret == 0)
		ret = dbi_check_text(db, "password hash", a->password_hash, sizeof(a->password_hash));
	if (ret == 0 && a->totp_secret_enc_len > DB_SECRET_MAX) {
		dbi_err(db, "admin %s: TOTP secret too long", a->name);
		ret = -EINVAL;
	}
	if (ret < 0)
		return ret;
	s = STMT(db, ST_ADD);
	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, a->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, role_name(a->role), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, a->created ? a->created : dbi_now());
	dbi_bind_text_or_null(s, 4, a->password_hash);
	sqlite3_bind_int(s, 5, a->must_change_password);
	dbi_bind_blob_or_null(s, 6, a->totp_secret_enc, a->totp_secret_enc_len);
	ret = dbi_exec(db, s, NULL);
	if (ret == 0 && id)
		*id = sqlite3_last_insert_rowid(db->sq);
	else if (ret == -EEXIST)
		dbi_err(db, "admin %s exists already", a->name);
	return ret;
}

static int read_admin(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct db_admin *a = ctx;

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(s, 0);
	if (dbi_col_text(s, 1, a->name, sizeof(a->name)) < 0 ||
	    role_parse((const char *)sqlite3_column_text(s, 2), &a->role) < 0 ||
	    dbi_col_text(s, 4, a->password_hash, sizeof(a->password_hash)) < 0 ||
	    dbi_col_blob(s, 6, a->totp_secret_enc, DB_SECRET_MAX, &a->totp_secret_enc_len) < 0) {
		dbi_err(db, "admin row %" PRId64 " is corrupt", a->id);
		db_admin_wipe(a);
		return -EIO;
	}
	a->created = sqlite3_column_int64(s, 3);
	a->must_change_password = sqlite3_column_int(s, 5) != 0;
	a->totp_last_step = sqlite3_column_int64(s, 7);
	a->last_login = sqlite3_column_int64(s, 8);
	return 0;
}

int db_admin_get(struct db *db, int64_t id, struct db_admin *a)
{
	sqlite3_stmt *s = STMT(db, ST_GET);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	return dbi_get_one(db, s, read_admin, a, "admin");
}

int db_admin_get_by_name(struct db *db, const char *name, struct db_admin *a)
{
	sqlite3_stmt *s = STMT(db, ST_GET_NAME);

	if (!s)
		return -EIO;
	dbi_bind_text(s, 1, name);
	return dbi_get_one(db, s, read_admin, a, "admin");
}

struct admin_walk {
	db_admin_fn fn;
	void *arg;
};

static int admin_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct admin_walk *w = ctx;
	struct db_admin a;
	int ret = read_admin(db, s, &a);

	if (ret == 0)
		ret = w->fn(&a, w->arg);
	db_admin_wipe(&a);
	return ret;
}

int db_admin_list(struct db *db, db_admin_fn fn, void *arg)
{
	sqlite3_stmt *s = STMT(db, ST_LIST);
	struct admin_walk w = { fn, arg };

	if (!s)
		return -EIO;
	return dbi_walk(db, s, admin_row, &w);
}

int db_admin_set_password(struct db *db, int64_t id, const char *password_hash, bool must_change)
{
	sqlite3_stmt *s;
	int ret = dbi_check_text(db, "password hash", password_hash, DB_PWHASH_MAX + 1);

	if (ret < 0)
		return ret;
	s = STMT(db, ST_PASSWORD);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	dbi_bind_text_or_null(s, 2, password_hash);
	sqlite3_bind_int(s, 3, must_change);
	return dbi_exec_one(db, s, "admin");
}

int db_admin_set_role(struct db *db, int64_t id, enum db_role role)
{
	sqlite3_stmt *s;
	int ret = check_role(db, role);

	if (ret < 0)
		return ret;
	s = STMT(db, ST_ROLE);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, role_name(role), -1, SQLITE_STATIC);
	return dbi_exec_one(db, s, "admin");
}

int db_admin_set_totp(struct db *db, int64_t id, const uint8_t *secret_enc, size_t len)
{
	sqlite3_stmt *s;

	if (len > DB_SECRET_MAX) {
		dbi_err(db, "TOTP secret too long");
		return -EINVAL;
	}
	s = STMT(db, ST_TOTP);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	dbi_bind_blob_or_null(s, 2, secret_enc, len);
	return dbi_exec_one(db, s, "admin");
}

int db_admin_set_totp_step(struct db *db, int64_t id, int64_t step)
{
	sqlite3_stmt *s = STMT(db, ST_STEP);
	int64_t exists = 0;
	int changes = 0, ret;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, step);
	ret = dbi_exec(db, s, &changes);
	if (ret < 0 || changes)
		return ret;
	s = STMT(db, ST_EXISTS);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	ret = dbi_int(db, s, &exists);
	if (ret < 0)
		return ret;
	if (!exists) {
		dbi_err(db, "no such admin");
		return -ENOENT;
	}
	dbi_err(db, "TOTP step %" PRId64 " is not after the last one accepted", step);
	return -EEXIST;
}

int db_admin_logged_in(struct db *db, int64_t id, int64_t at)
{
	sqlite3_stmt *s = STMT(db, ST_LOGIN);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, at);
	return dbi_exec_one(db, s, "admin");
}

int db_admin_delete(struct db *db, int64_t id)
{
	sqlite3_stmt *s = STMT(db, ST_DELETE);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	return dbi_exec_one(db, s, "admin");
}

int db_admin_count(struct db *db, enum db_role role, uint64_t *n)
{
	sqlite3_stmt *s;
	int64_t v = 0;
	int ret = check_role(db, role);

	if (ret < 0)
		return ret;
	s = STMT(db, ST_COUNT_ROLE);
	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, role_name(role), -1, SQLITE_STATIC);
	ret = dbi_int(db, s, &v);
	*n = (uint64_t)v;
	return ret;
}

/* ---- API tokens ---- */

int db_token_add(struct db *db, const char *name, enum db_role role,
		 const uint8_t hash[DB_HASH_LEN])
{
	sqlite3_stmt *s;
	int ret = dbi_check_name(db, "token name", name, DB_NAME_MAX + 1);

	if (ret == 0)
		ret = check_role(db, role);
	if (ret < 0)
		return ret;
	s = STMT(db, ST_TOK_ADD);
	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, role_name(role), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, dbi_now());
	sqlite3_bind_blob(s, 4, hash, DB_HASH_LEN, SQLITE_STATIC);
	ret = dbi_exec(db, s, NULL);
	if (ret == -EEXIST)
		dbi_err(db, "token %s exists already (or its hash is another token's)", name);
	return ret;
}

static int read_token(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct db_token *t = ctx;

	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(s, 0);
	if (dbi_col_text(s, 1, t->name, sizeof(t->name)) < 0 ||
	    role_parse((const char *)sqlite3_column_text(s, 2), &t->role) < 0) {
		dbi_err(db, "admin token row %" PRId64 " is corrupt", t->id);
		return -EIO;
	}
	t->created = sqlite3_column_int64(s, 3);
	t->last_used = sqlite3_column_int64(s, 4);
	return 0;
}

int db_token_check(struct db *db, const uint8_t hash[DB_HASH_LEN], int64_t now,
		   struct db_token *t)
{
	sqlite3_stmt *s = STMT(db, ST_TOK_BY_HASH);
	int ret;

	if (!s)
		return -EIO;
	sqlite3_bind_blob(s, 1, hash, DB_HASH_LEN, SQLITE_STATIC);
	ret = dbi_get_one(db, s, read_token, t, "token");
	if (ret < 0)
		return ret;
	s = STMT(db, ST_TOK_USED);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, t->id);
	sqlite3_bind_int64(s, 2, now);
	return dbi_exec_one(db, s, "token");
}

struct token_walk {
	db_token_fn fn;
	void *arg;
};

static int token_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct token_walk *w = ctx;
	struct db_token t;
	int ret = read_token(db, s, &t);

	return ret ? ret : w->fn(&t, w->arg);
}

int db_token_list(struct db *db, db_token_fn fn, void *arg)
{
	sqlite3_stmt *s = STMT(db, ST_TOK_LIST);
	struct token_walk w = { fn, arg };

	if (!s)
		return -EIO;
	return dbi_walk(db, s, token_row, &w);
}

int db_token_delete(struct db *db, const char *name)
{
	sqlite3_stmt *s = STMT(db, ST_TOK_DELETE);

	if (!s)
		return -EIO;
	dbi_bind_text(s, 1, name);
	return dbi_exec_one(db, s, "token");
}
