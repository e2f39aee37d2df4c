/* The server's source of truth in SQLite: schema migrations, and typed access to users,
 * addresses, counters and sessions through statements prepared once per connection. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "db.h"
#include "../common/log.h"
#include "../common/util.h"

/* Migration N takes the schema from user_version N to N + 1; append, never edit. */
static const char *const migrations[] = {
	/* 1: users, addresses, sessions */
	"CREATE TABLE users ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" created INTEGER NOT NULL,"
	" expires INTEGER,"
	" quota_bytes INTEGER CHECK (quota_bytes > 0),"
	" quota_period TEXT NOT NULL DEFAULT 'total' CHECK (quota_period IN ('total', 'month')),"
	" quota_reset_day INTEGER NOT NULL DEFAULT 1 CHECK (quota_reset_day BETWEEN 1 AND 31),"
	" disabled_reason TEXT CHECK (disabled_reason IN ('expired', 'quota', 'admin')),"
	" public_key TEXT NOT NULL UNIQUE,"
	" private_key_enc BLOB,"
	" preshared_key_enc BLOB,"
	" rx_total INTEGER NOT NULL DEFAULT 0,"
	" tx_total INTEGER NOT NULL DEFAULT 0,"
	" rx_period INTEGER NOT NULL DEFAULT 0,"
	" tx_period INTEGER NOT NULL DEFAULT 0,"
	" period_start INTEGER NOT NULL"
	") STRICT;"
	/* the expiry timer asks for the earliest expiry of an enabled user */
	"CREATE INDEX users_expires ON users(expires)"
	" WHERE expires IS NOT NULL AND disabled_reason IS NULL;"
	"CREATE TABLE addresses ("
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" family INTEGER NOT NULL CHECK (family IN (4, 6)),"
	" address TEXT NOT NULL UNIQUE"
	") STRICT;"
	"CREATE INDEX addresses_user ON addresses(user_id);"
	"CREATE INDEX addresses_family ON addresses(family);"
	"CREATE TABLE sessions ("
	" id INTEGER PRIMARY KEY,"
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" started INTEGER NOT NULL,"
	" ended INTEGER,"
	" endpoint TEXT NOT NULL DEFAULT '',"
	" address TEXT NOT NULL DEFAULT '',"
	" rx INTEGER NOT NULL DEFAULT 0,"
	" tx INTEGER NOT NULL DEFAULT 0"
	") STRICT;"
	"CREATE INDEX sessions_user_started ON sessions(user_id, started);"
	"CREATE INDEX sessions_started ON sessions(started);"
	/* retention purges closed sessions by their end */
	"CREATE INDEX sessions_ended ON sessions(ended) WHERE ended IS NOT NULL;"
	"CREATE TABLE session_endpoints ("
	" session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
	" at INTEGER NOT NULL,"
	" endpoint TEXT NOT NULL"
	") STRICT;"
	"CREATE INDEX session_endpoints_session ON session_endpoints(session_id, at);",
	/* 2: the link's counters as last accounted, so a restart neither loses nor counts
	 * twice what happened while the daemon was away; a session's last activity, so one
	 * left open by a crash is closed at the right time */
	"ALTER TABLE users ADD COLUMN seen_rx INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE users ADD COLUMN seen_tx INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE sessions ADD COLUMN last_seen INTEGER;",
	/* 3: devices enrolled through the portal (one per user: it holds the user's key),
	 * and the administrators' API tokens; secrets only as BLAKE2b-256 hashes */
	"CREATE TABLE devices ("
	" id INTEGER PRIMARY KEY,"
	" user_id INTEGER NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,"
	" name TEXT NOT NULL UNIQUE,"
	" created INTEGER NOT NULL,"
	" token_hash BLOB UNIQUE CHECK (length(token_hash) = 32),"
	" token_expires INTEGER,"
	" credential_hash BLOB UNIQUE CHECK (length(credential_hash) = 32),"
	" enrolled INTEGER,"
	" last_seen INTEGER,"
	" profile_serial INTEGER NOT NULL DEFAULT 0,"
	" profile_issued INTEGER NOT NULL DEFAULT 0,"
	" profile_hash BLOB"
	") STRICT;"
	"CREATE TABLE admin_tokens ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" created INTEGER NOT NULL,"
	" token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),"
	" last_used INTEGER"
	") STRICT;",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == DB_SCHEMA_VERSION,
	       "DB_SCHEMA_VERSION must match the migrations");

#define USER_COLS "id, name, created, expires, quota_bytes, quota_period, quota_reset_day," \
	" disabled_reason, public_key, private_key_enc, preshared_key_enc, rx_total, tx_total," \
	" rx_period, tx_period, period_start, seen_rx, seen_tx"
#define SESSION_COLS "id, user_id, started, ended, endpoint, address, rx, tx, last_seen"
#define DEVICE_COLS "id, user_id, name, created, token_expires, enrolled, last_seen," \
	" profile_serial, profile_hash, profile_issued"
#define SESSION_WINDOW "started < ?3 AND (ended IS NULL OR ended >= ?2) AND (?4 = 0 OR ended IS NULL)"

enum stmt {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_USER_ADD, ST_USER_GET, ST_USER_GET_NAME, ST_USER_GET_KEY, ST_USER_LIST,
	ST_USER_UPDATE, ST_USER_DELETE, ST_USER_NEXT_EXPIRY,
	ST_ADDR_ADD, ST_ADDR_FAMILY, ST_ADDR_USER, ST_ADDR_ALL,
	ST_COUNTERS_ADD, ST_PERIOD_RESET,
	ST_SESS_OPEN, ST_SESS_BYTES, ST_SESS_CLOSE, ST_SESS_EP_ADD, ST_SESS_EP_LIST,
	ST_SESS_LIST_USER, ST_SESS_LIST_ALL, ST_SESS_PURGE,
	ST_DEV_ADD, ST_DEV_GET, ST_DEV_BY_USER, ST_DEV_BY_NAME, ST_DEV_BY_TOKEN, ST_DEV_BY_CRED, ST_DEV_LIST, ST_DEV_DELETE,
	ST_DEV_ENROLL, ST_DEV_SEEN, ST_DEV_PROFILE,
	ST_TOK_ADD, ST_TOK_BY_HASH, ST_TOK_LIST, ST_TOK_DELETE, ST_TOK_USED,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_USER_ADD] = "INSERT INTO users (name, created, expires, quota_bytes, quota_period,"
		" quota_reset_day, disabled_reason, public_key, private_key_enc, preshared_key_enc,"
		" period_start) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[ST_USER_GET] = "SELECT " USER_COLS " FROM users WHERE id = ?1",
	[ST_USER_GET_NAME] = "SELECT " USER_COLS " FROM users WHERE name = ?1",
	[ST_USER_GET_KEY] = "SELECT " USER_COLS " FROM users WHERE public_key = ?1",
	[ST_USER_LIST] = "SELECT " USER_COLS " FROM users ORDER BY id",
	[ST_USER_UPDATE] = "UPDATE users SET expires = ?2, quota_bytes = ?3, quota_period = ?4,"
		" quota_reset_day = ?5, disabled_reason = ?6, public_key = ?7, private_key_enc = ?8,"
		" preshared_key_enc = ?9, period_start = ?10 WHERE id = ?1",
	[ST_USER_DELETE] = "DELETE FROM users WHERE id = ?1",
	[ST_USER_NEXT_EXPIRY] = "SELECT MIN(expires) FROM users"
		" WHERE expires IS NOT NULL AND disabled_reason IS NULL",
	[ST_ADDR_ADD] = "INSERT INTO addresses (user_id, family, address) VALUES (?1, ?2, ?3)",
	[ST_ADDR_FAMILY] = "SELECT user_id, address FROM addresses WHERE family = ?1",
	[ST_ADDR_USER] = "SELECT user_id, address FROM addresses WHERE user_id = ?1"
		" ORDER BY family, rowid",
	/* one pass over the table, no index: what a start reads */
	[ST_ADDR_ALL] = "SELECT user_id, address FROM addresses",
	[ST_COUNTERS_ADD] = "UPDATE users SET rx_total = rx_total + ?2, tx_total = tx_total + ?3,"
		" rx_period = rx_period + ?2, tx_period = tx_period + ?3, seen_rx = ?4,"
		" seen_tx = ?5 WHERE id = ?1",
	[ST_PERIOD_RESET] = "UPDATE users SET rx_period = 0, tx_period = 0, period_start = ?2"
		" WHERE id = ?1",
	[ST_SESS_OPEN] = "INSERT INTO sessions (user_id, started, endpoint, address)"
		" VALUES (?1, ?2, ?3, ?4)",
	[ST_SESS_BYTES] = "UPDATE sessions SET rx = rx + ?2, tx = tx + ?3, last_seen = ?4"
		" WHERE id = ?1",
	[ST_SESS_CLOSE] = "UPDATE sessions SET ended = ?2 WHERE id = ?1 AND ended IS NULL",
	[ST_SESS_EP_ADD] = "INSERT INTO session_endpoints (session_id, at, endpoint)"
		" VALUES (?1, ?2, ?3)",
	[ST_SESS_EP_LIST] = "SELECT at, endpoint FROM session_endpoints WHERE session_id = ?1"
		" ORDER BY at, rowid",
	[ST_SESS_LIST_USER] = "SELECT " SESSION_COLS " FROM sessions WHERE user_id = ?1 AND "
		SESSION_WINDOW " ORDER BY started, id",
	[ST_SESS_LIST_ALL] = "SELECT " SESSION_COLS " FROM sessions WHERE " SESSION_WINDOW
		" ORDER BY started, id",
	[ST_SESS_PURGE] = "DELETE FROM sessions WHERE ended IS NOT NULL AND ended < ?1",
	[ST_DEV_ADD] = "INSERT INTO devices (user_id, name, created, token_hash, token_expires)"
		" VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_DEV_GET] = "SELECT " DEVICE_COLS " FROM devices WHERE id = ?1",
	[ST_DEV_BY_USER] = "SELECT " DEVICE_COLS " FROM devices WHERE user_id = ?1",
	[ST_DEV_BY_NAME] = "SELECT " DEVICE_COLS " FROM devices WHERE name = ?1",
	/* an enrolment token works until it is used or expires */
	[ST_DEV_BY_TOKEN] = "SELECT " DEVICE_COLS " FROM devices WHERE token_hash = ?1"
		" AND token_expires > ?2",
	[ST_DEV_BY_CRED] = "SELECT " DEVICE_COLS " FROM devices WHERE credential_hash = ?1",
	[ST_DEV_LIST] = "SELECT " DEVICE_COLS " FROM devices ORDER BY id",
	[ST_DEV_DELETE] = "DELETE FROM devices WHERE id = ?1",
	[ST_DEV_ENROLL] = "UPDATE devices SET token_hash = NULL, token_expires = NULL,"
		" credential_hash = ?2, enrolled = ?3, last_seen = ?3 WHERE id = ?1"
		" AND token_hash IS NOT NULL",
	[ST_DEV_SEEN] = "UPDATE devices SET last_seen = ?2 WHERE id = ?1",
	[ST_DEV_PROFILE] = "UPDATE devices SET profile_serial = ?2, profile_hash = ?3,"
		" profile_issued = ?4 WHERE id = ?1",
	[ST_TOK_ADD] = "INSERT INTO admin_tokens (name, created, token_hash) VALUES (?1, ?2, ?3)",
	[ST_TOK_BY_HASH] = "SELECT id, name, created, last_used FROM admin_tokens"
		" WHERE token_hash = ?1",
	[ST_TOK_LIST] = "SELECT id, name, created, last_used FROM admin_tokens ORDER BY id",
	[ST_TOK_DELETE] = "DELETE FROM admin_tokens WHERE name = ?1",
	[ST_TOK_USED] = "UPDATE admin_tokens SET last_used = ?2 WHERE id = ?1",
};

struct db {
	sqlite3 *sq;
	sqlite3_stmt *stmts[ST_COUNT];
	char err[256];
};

static const char *const disabled_names[] = {
	[DB_DISABLED_EXPIRED] = "expired",
	[DB_DISABLED_QUOTA] = "quota",
	[DB_DISABLED_ADMIN] = "admin",
};

static void set_err(struct db *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(struct db *db, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(db->err, sizeof(db->err), fmt, ap);
	va_end(ap);
}

static int rc_errno(int rc)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return -EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return -ENOENT;
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
		return -EINVAL;
	}
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* Keep SQLite's message (it changes with the next call) and turn rc into -errno. */
static int sql_err(struct db *db, int rc)
{
	set_err(db, "%s", sqlite3_errmsg(db->sq));
	return rc_errno(rc);
}

static sqlite3_stmt *stmt_get(struct db *db, enum stmt id)
{
	int rc;

	if (db->stmts[id])
		return db->stmts[id];
	rc = sqlite3_prepare_v3(db->sq, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
				&db->stmts[id], NULL);
	if (rc != SQLITE_OK) {
		sql_err(db, rc);
		db->stmts[id] = NULL;
	}
	return db->stmts[id];
}

/* Ready for the next use, and no pointer into the caller's buffers kept. */
static void stmt_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Run a statement that returns no rows; *changes (may be NULL) gets the rows touched. */
static int stmt_exec(struct db *db, sqlite3_stmt *s, int *changes)
{
	int rc = sqlite3_step(s), ret = 0;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = sql_err(db, rc);
	else if (changes)
		*changes = sqlite3_changes(db->sq);
	stmt_done(s);
	return ret;
}

static void bind_int_or_null(sqlite3_stmt *s, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

static void bind_blob_or_null(sqlite3_stmt *s, int i, const uint8_t *p, size_t len)
{
	if (len)
		sqlite3_bind_blob(s, i, p, (int)len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* Runs fn(row) for each row; a nonzero return from fn stops the walk and is returned. */
static int stmt_walk(struct db *db, sqlite3_stmt *s, int (*row)(struct db *db, sqlite3_stmt *s,
								void *ctx), void *ctx)
{
	int rc, ret = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ret = row(db, s, ctx);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sql_err(db, rc);
	stmt_done(s);
	return ret;
}

static int exec_sql(struct db *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db->sq, sql, NULL, NULL, &msg);

	if (rc == SQLITE_OK)
		return 0;
	set_err(db, "%s", msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return rc_errno(rc);
}

static int pragma_int(struct db *db, const char *sql, int64_t *v)
{
	sqlite3_stmt *s;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(db->sq, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_err(db, rc);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE) {
		set_err(db, "%s: no value", sql);
		ret = -ENOENT;
	} else
		ret = sql_err(db, rc);
	sqlite3_finalize(s);
	return ret;
}

/* One transaction per migration, version read inside it, so two processes opening a new
 * database at once do not both migrate. */
static int migrate(struct db *db, const char *path)
{
	const int64_t latest = (int64_t)ARRAY_SIZE(migrations);
	int64_t v;
	char sql[64];
	int ret;

	for (;;) {
		ret = exec_sql(db, "BEGIN IMMEDIATE");
		if (ret < 0)
			return ret;
		ret = pragma_int(db, "PRAGMA user_version", &v);
		if (ret < 0)
			goto fail;
		if (v > latest || v < 0) {
			set_err(db, "schema version %" PRId64 " is newer than this warren's (%" PRId64
				")", v, latest);
			ret = -EPROTONOSUPPORT;
			goto fail;
		}
		if (v == latest)
			return exec_sql(db, "COMMIT");
		ret = exec_sql(db, migrations[v]);
		if (ret < 0)
			goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %" PRId64, v + 1);
		ret = exec_sql(db, sql);
		if (ret < 0)
			goto fail;
		ret = exec_sql(db, "COMMIT");
		if (ret < 0)
			goto fail;
		log_info("database %s: schema migrated to version %" PRId64, path, v + 1);
	}
fail:
	sqlite3_exec(db->sq, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

static int configure(struct db *db)
{
	sqlite3_stmt *s;
	const char *mode;
	int64_t fk = 0;
	int rc, ret;

	sqlite3_extended_result_codes(db->sq, 1);
	sqlite3_busy_timeout(db->sq, 5000);
	rc = sqlite3_prepare_v2(db->sq, "PRAGMA journal_mode = WAL", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_err(db, rc);
	rc = sqlite3_step(s);
	mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
	ret = rc == SQLITE_ROW ? 0 : sql_err(db, rc);
	if (!ret && (!mode || strcmp(mode, "wal") != 0)) {
		set_err(db, "cannot switch to WAL journal (mode %s)", mode ? mode : "?");
		ret = -EIO;
	}
	sqlite3_finalize(s);
	if (ret < 0)
		return ret;
	ret = exec_sql(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;"
			     /* reads through the page cache rather than one read(2) per page */
			     " PRAGMA mmap_size = 268435456;");
	if (ret < 0)
		return ret;
	/* foreign_keys silently does nothing in a build without them */
	ret = pragma_int(db, "PRAGMA foreign_keys", &fk);
	if (ret < 0)
		return ret;
	if (fk != 1) {
		set_err(db, "this SQLite does not enforce foreign keys");
		return -ENOTSUP;
	}
	return 0;
}

int db_open(const char *path, struct db **out)
{
	struct db *db;
	int fd, rc, ret;

	*out = NULL;
	/* SQLite would create the file with the umask's mode; the WAL and shm files copy this one */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ret = -errno;
		log_err("database %s: %s", path, strerror(-ret));
		return ret;
	}
	close(fd);
	db = xcalloc(1, sizeof(*db));
	rc = sqlite3_open_v2(path, &db->sq, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		ret = db->sq ? sql_err(db, rc) : -ENOMEM;
		goto fail;
	}
	ret = configure(db);
	if (ret < 0)
		goto fail;
	ret = migrate(db, path);
	if (ret < 0)
		goto fail;
	*out = db;
	return 0;
fail:
	log_err("database %s: %s", path, db->err[0] ? db->err : strerror(-ret));
	db_close(db);
	return ret;
}

void db_close(struct db *db)
{
	size_t i;

	if (!db)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(db->stmts[i]);
	sqlite3_close(db->sq);
	free(db);
}

const char *db_errmsg(const struct db *db)
{
	return db && db->err[0] ? db->err : "no error";
}

int db_pragma_int(struct db *db, const char *name, int64_t *v)
{
	char sql[64];

	if (!name[0] || strspn(name, "abcdefghijklmnopqrstuvwxyz_") != strlen(name) ||
	    (size_t)snprintf(sql, sizeof(sql), "PRAGMA %s", name) >= sizeof(sql)) {
		set_err(db, "bad pragma name");
		return -EINVAL;
	}
	return pragma_int(db, sql, v);
}

static int run_simple(struct db *db, enum stmt id)
{
	sqlite3_stmt *s = stmt_get(db, id);

	return s ? stmt_exec(db, s, NULL) : -EIO;
}

int db_begin(struct db *db)
{
	return run_simple(db, ST_BEGIN);
}

int db_commit(struct db *db)
{
	return run_simple(db, ST_COMMIT);
}

int db_rollback(struct db *db)
{
	if (sqlite3_get_autocommit(db->sq))
		return 0;
	return run_simple(db, ST_ROLLBACK);
}

void db_user_wipe(struct db_user *u)
{
	sodium_memzero(u, sizeof(*u));
}

static int check_user(struct db *db, const struct db_user *u)
{
	if (u->private_key_enc_len > DB_SECRET_MAX || u->preshared_key_enc_len > DB_SECRET_MAX) {
		set_err(db, "user %s: encrypted key too long", u->name);
		return -EINVAL;
	}
	if ((unsigned int)u->disabled >= ARRAY_SIZE(disabled_names) ||
	    (unsigned int)u->quota_period > DB_QUOTA_MONTH) {
		set_err(db, "user %s: bad quota period or disabled reason", u->name);
		return -EINVAL;
	}
	if (u->quota_bytes > INT64_MAX) {
		set_err(db, "user %s: quota too large", u->name);
		return -EINVAL;
	}
	return 0;
}

/* Binds ?first.. in the order quota_bytes, quota_period, quota_reset_day, disabled_reason,
 * public_key, private_key_enc, preshared_key_enc, shared by add and update. */
static void bind_user_common(sqlite3_stmt *s, int first, const struct db_user *u,
			     const char *pub_b64)
{
	bind_int_or_null(s, first, (int64_t)u->quota_bytes);
	sqlite3_bind_text(s, first + 1, u->quota_period == DB_QUOTA_MONTH ? "month" : "total", -1,
			  SQLITE_STATIC);
	sqlite3_bind_int(s, first + 2, u->quota_reset_day ? u->quota_reset_day : 1);
	if (u->disabled == DB_ENABLED)
		sqlite3_bind_null(s, first + 3);
	else
		sqlite3_bind_text(s, first + 3, disabled_names[u->disabled], -1, SQLITE_STATIC);
	sqlite3_bind_text(s, first + 4, pub_b64, -1, SQLITE_STATIC);
	bind_blob_or_null(s, first + 5, u->private_key_enc, u->private_key_enc_len);
	bind_blob_or_null(s, first + 6, u->preshared_key_enc, u->preshared_key_enc_len);
}

int db_user_add(struct db *db, const struct db_user *u, int64_t *id)
{
	sqlite3_stmt *s;
	char pub[KEY_B64_LEN];
	int64_t created = u->created ? u->created : (int64_t)time(NULL);
	int ret;

	if (!u->name[0] || strnlen(u->name, sizeof(u->name)) > DB_USER_NAME_MAX) {
		set_err(db, "user name empty or too long");
		return -EINVAL;
	}
	ret = check_user(db, u);
	if (ret < 0)
		return ret;
	s = stmt_get(db, ST_USER_ADD);
	if (!s)
		return -EIO;
	key_to_base64(pub, u->public_key);
	sqlite3_bind_text(s, 1, u->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, created);
	bind_int_or_null(s, 3, u->expires);
	bind_user_common(s, 4, u, pub);
	sqlite3_bind_int64(s, 11, u->period_start ? u->period_start : created);
	ret = stmt_exec(db, s, NULL);
	if (ret == 0 && id)
		*id = sqlite3_last_insert_rowid(db->sq);
	if (ret == -EEXIST)
		set_err(db, "user %s: name or public key already exists", u->name);
	return ret;
}

static int copy_blob(sqlite3_stmt *s, int col, uint8_t *dst, size_t *len)
{
	const void *p = sqlite3_column_blob(s, col);
	int n = sqlite3_column_bytes(s, col);

	if (n < 0 || (size_t)n > DB_SECRET_MAX)
		return -EIO;
	if (n)
		memcpy(dst, p, (size_t)n);
	*len = (size_t)n;
	return 0;
}

static int read_user(struct db *db, sqlite3_stmt *s, struct db_user *u)
{
	const char *name = (const char *)sqlite3_column_text(s, 1);
	const char *period = (const char *)sqlite3_column_text(s, 5);
	const char *reason = (const char *)sqlite3_column_text(s, 7);
	const char *pub = (const char *)sqlite3_column_text(s, 8);
	size_t i;

	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(s, 0);
	if (!name || strlcpy_check(u->name, name, sizeof(u->name)) < 0)
		goto corrupt;
	u->created = sqlite3_column_int64(s, 2);
	u->expires = sqlite3_column_int64(s, 3);
	u->quota_bytes = (uint64_t)sqlite3_column_int64(s, 4);
	u->quota_period = period && strcmp(period, "month") == 0 ? DB_QUOTA_MONTH : DB_QUOTA_TOTAL;
	u->quota_reset_day = sqlite3_column_int(s, 6);
	u->disabled = DB_ENABLED;
	for (i = 1; reason && i < ARRAY_SIZE(disabled_names); i++)
		if (strcmp(reason, disabled_names[i]) == 0)
			u->disabled = (enum db_disabled)i;
	if (reason && u->disabled == DB_ENABLED)
		goto corrupt;
	if (!pub || key_from_base64(u->public_key, pub) < 0)
		goto corrupt;
	if (copy_blob(s, 9, u->private_key_enc, &u->private_key_enc_len) < 0 ||
	    copy_blob(s, 10, u->preshared_key_enc, &u->preshared_key_enc_len) < 0)
		goto corrupt;
	u->rx_total = (uint64_t)sqlite3_column_int64(s, 11);
	u->tx_total = (uint64_t)sqlite3_column_int64(s, 12);
	u->rx_period = (uint64_t)sqlite3_column_int64(s, 13);
	u->tx_period = (uint64_t)sqlite3_column_int64(s, 14);
	u->period_start = sqlite3_column_int64(s, 15);
	u->seen_rx = (uint64_t)sqlite3_column_int64(s, 16);
	u->seen_tx = (uint64_t)sqlite3_column_int64(s, 17);
	return 0;
corrupt:
	set_err(db, "user row %" PRId64 " is corrupt", u->id);
	db_user_wipe(u);
	return -EIO;
}

static int user_get_one(struct db *db, sqlite3_stmt *s, struct db_user *u)
{
	int rc = sqlite3_step(s), ret;

	if (rc == SQLITE_ROW)
		ret = read_user(db, s, u);
	else if (rc == SQLITE_DONE) {
		set_err(db, "no such user");
		ret = -ENOENT;
	} else
		ret = sql_err(db, rc);
	stmt_done(s);
	return ret;
}

int db_user_get(struct db *db, int64_t id, struct db_user *u)
{
	sqlite3_stmt *s = stmt_get(db, ST_USER_GET);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	return user_get_one(db, s, u);
}

int db_user_get_by_name(struct db *db, const char *name, struct db_user *u)
{
	sqlite3_stmt *s = stmt_get(db, ST_USER_GET_NAME);

	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	return user_get_one(db, s, u);
}

int db_user_get_by_key(struct db *db, const uint8_t public_key[KEY_LEN], struct db_user *u)
{
	sqlite3_stmt *s = stmt_get(db, ST_USER_GET_KEY);
	char pub[KEY_B64_LEN];

	if (!s)
		return -EIO;
	key_to_base64(pub, public_key);
	sqlite3_bind_text(s, 1, pub, -1, SQLITE_STATIC);
	return user_get_one(db, s, u);
}

struct user_walk {
	db_user_fn fn;
	void *arg;
};

static int user_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct user_walk *w = ctx;
	struct db_user u;
	int ret = read_user(db, s, &u);

	if (ret == 0)
		ret = w->fn(&u, w->arg);
	db_user_wipe(&u);
	return ret;
}

int db_user_list(struct db *db, db_user_fn fn, void *arg)
{
	sqlite3_stmt *s = stmt_get(db, ST_USER_LIST);
	struct user_walk w = { fn, arg };

	if (!s)
		return -EIO;
	return stmt_walk(db, s, user_row, &w);
}

/* -ENOENT when a statement meant for one row touched none. */
static int exec_one(struct db *db, sqlite3_stmt *s, const char *what)
{
	int changes = 0, ret = stmt_exec(db, s, &changes);

	if (ret == 0 && changes == 0) {
		set_err(db, "no such %s", what);
		ret = -ENOENT;
	}
	return ret;
}

int db_user_update(struct db *db, const struct db_user *u)
{
	sqlite3_stmt *s;
	char pub[KEY_B64_LEN];
	int ret = check_user(db, u);

	if (ret < 0)
		return ret;
	s = stmt_get(db, ST_USER_UPDATE);
	if (!s)
		return -EIO;
	key_to_base64(pub, u->public_key);
	sqlite3_bind_int64(s, 1, u->id);
	bind_int_or_null(s, 2, u->expires);
	bind_user_common(s, 3, u, pub);
	sqlite3_bind_int64(s, 10, u->period_start);
	return exec_one(db, s, "user");
}

int db_user_delete(struct db *db, int64_t id)
{
	sqlite3_stmt *s = stmt_get(db, ST_USER_DELETE);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	return exec_one(db, s, "user");
}

int db_user_next_expiry(struct db *db, int64_t *at)
{
	sqlite3_stmt *s = stmt_get(db, ST_USER_NEXT_EXPIRY);
	int rc, ret = -ENOENT;

	if (!s)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		*at = sqlite3_column_int64(s, 0);
		ret = 0;
	} else if (rc != SQLITE_ROW)
		ret = sql_err(db, rc);
	stmt_done(s);
	return ret;
}

int db_addr_add(struct db *db, int64_t user_id, const struct cidr *addr)
{
	sqlite3_stmt *s;
	char buf[CIDR_STRLEN];
	int ret;

	if (addr->family != AF_INET && addr->family != AF_INET6) {
		set_err(db, "address family %d", addr->family);
		return -EINVAL;
	}
	s = stmt_get(db, ST_ADDR_ADD);
	if (!s)
		return -EIO;
	ip_fmt(addr, buf);
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int(s, 2, addr->family == AF_INET ? 4 : 6);
	sqlite3_bind_text(s, 3, buf, -1, SQLITE_STATIC);
	ret = stmt_exec(db, s, NULL);
	if (ret == -EEXIST)
		set_err(db, "address %s already in use", buf);
	else if (ret == -ENOENT)
		set_err(db, "address %s: no user %" PRId64, buf, user_id);
	return ret;
}

struct addr_walk {
	db_addr_fn fn;
	void *arg;
};

static int addr_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct addr_walk *w = ctx;
	const char *text = (const char *)sqlite3_column_text(s, 1);
	struct cidr c;

	if (!text || ip_parse(&c, text) < 0) {
		set_err(db, "stored address \"%s\" is not an address", text ? text : "");
		return -EIO;
	}
	return w->fn(sqlite3_column_int64(s, 0), &c, w->arg);
}

int db_addr_list_family(struct db *db, int family, db_addr_fn fn, void *arg)
{
	sqlite3_stmt *s = stmt_get(db, ST_ADDR_FAMILY);
	struct addr_walk w = { fn, arg };

	if (!s)
		return -EIO;
	sqlite3_bind_int(s, 1, family == AF_INET ? 4 : 6);
	return stmt_walk(db, s, addr_row, &w);
}

int db_addr_list_all(struct db *db, db_addr_fn fn, void *arg)
{
	sqlite3_stmt *s = stmt_get(db, ST_ADDR_ALL);
	struct addr_walk w = { fn, arg };

	if (!s)
		return -EIO;
	return stmt_walk(db, s, addr_row, &w);
}

int db_addr_list_user(struct db *db, int64_t user_id, db_addr_fn fn, void *arg)
{
	sqlite3_stmt *s = stmt_get(db, ST_ADDR_USER);
	struct addr_walk w = { fn, arg };

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, user_id);
	return stmt_walk(db, s, addr_row, &w);
}

/* Deltas in ?2 and ?3, and two more values in ?4 and ?5 (bound only when the statement
 * has them). */
static int add_deltas(struct db *db, enum stmt id, int64_t row, uint64_t rx, uint64_t tx,
		      int64_t v4, int64_t v5, const char *what)
{
	sqlite3_stmt *s = stmt_get(db, id);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, row);
	sqlite3_bind_int64(s, 2, (int64_t)rx);
	sqlite3_bind_int64(s, 3, (int64_t)tx);
	sqlite3_bind_int64(s, 4, v4);
	if (sqlite3_bind_parameter_count(s) >= 5)
		sqlite3_bind_int64(s, 5, v5);
	return exec_one(db, s, what);
}

int db_counters_add(struct db *db, int64_t user_id, uint64_t rx_delta, uint64_t tx_delta,
		    uint64_t seen_rx, uint64_t seen_tx)
{
	return add_deltas(db, ST_COUNTERS_ADD, user_id, rx_delta, tx_delta, (int64_t)seen_rx,
			  (int64_t)seen_tx, "user");
}

int db_counters_reset_period(struct db *db, int64_t user_id, int64_t start)
{
	sqlite3_stmt *s = stmt_get(db, ST_PERIOD_RESET);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, start);
	return exec_one(db, s, "user");
}

static int check_text(struct db *db, const char *what, const char *v, size_t max)
{
	if (v && strlen(v) >= max) {
		set_err(db, "%s \"%s\" too long", what, v);
		return -EINVAL;
	}
	return 0;
}

int db_session_open(struct db *db, int64_t user_id, int64_t started, const char *endpoint,
		    const char *address, int64_t *id)
{
	sqlite3_stmt *s;
	int ret;

	if (check_text(db, "endpoint", endpoint, DB_ENDPOINT_MAX) < 0 ||
	    check_text(db, "address", address, CIDR_STRLEN) < 0)
		return -EINVAL;
	s = stmt_get(db, ST_SESS_OPEN);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, started);
	sqlite3_bind_text(s, 3, endpoint ? endpoint : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, address ? address : "", -1, SQLITE_STATIC);
	ret = stmt_exec(db, s, NULL);
	if (ret == 0 && id)
		*id = sqlite3_last_insert_rowid(db->sq);
	return ret;
}

int db_session_add_bytes(struct db *db, int64_t session_id, uint64_t rx_delta,
			 uint64_t tx_delta, int64_t last_seen)
{
	return add_deltas(db, ST_SESS_BYTES, session_id, rx_delta, tx_delta, last_seen, 0,
			  "session");
}

int db_session_close(struct db *db, int64_t session_id, int64_t ended)
{
	sqlite3_stmt *s = stmt_get(db, ST_SESS_CLOSE);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, session_id);
	sqlite3_bind_int64(s, 2, ended);
	return exec_one(db, s, "open session");
}

int db_session_add_endpoint(struct db *db, int64_t session_id, int64_t at,
			    const char *endpoint)
{
	sqlite3_stmt *s;

	if (check_text(db, "endpoint", endpoint, DB_ENDPOINT_MAX) < 0)
		return -EINVAL;
	s = stmt_get(db, ST_SESS_EP_ADD);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, session_id);
	sqlite3_bind_int64(s, 2, at);
	sqlite3_bind_text(s, 3, endpoint ? endpoint : "", -1, SQLITE_STATIC);
	return stmt_exec(db, s, NULL);
}

struct session_walk {
	db_session_fn fn;
	void *arg;
};

static int session_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct session_walk *w = ctx;
	const char *ep = (const char *)sqlite3_column_text(s, 4);
	const char *addr = (const char *)sqlite3_column_text(s, 5);
	struct db_session r = {
		.id = sqlite3_column_int64(s, 0),
		.user_id = sqlite3_column_int64(s, 1),
		.started = sqlite3_column_int64(s, 2),
		.ended = sqlite3_column_int64(s, 3),
		.rx = (uint64_t)sqlite3_column_int64(s, 6),
		.tx = (uint64_t)sqlite3_column_int64(s, 7),
		.last_seen = sqlite3_column_int64(s, 8),
	};

	if (strlcpy_check(r.endpoint, ep ? ep : "", sizeof(r.endpoint)) < 0 ||
	    strlcpy_check(r.address, addr ? addr : "", sizeof(r.address)) < 0) {
		set_err(db, "session row %" PRId64 " is corrupt", r.id);
		return -EIO;
	}
	return w->fn(&r, w->arg);
}

int db_session_list(struct db *db, const struct db_session_filter *f, db_session_fn fn,
		    void *arg)
{
	sqlite3_stmt *s = stmt_get(db, f->user_id ? ST_SESS_LIST_USER : ST_SESS_LIST_ALL);
	struct session_walk w = { fn, arg };

	if (!s)
		return -EIO;
	if (f->user_id)
		sqlite3_bind_int64(s, 1, f->user_id);
	sqlite3_bind_int64(s, 2, f->since);
	sqlite3_bind_int64(s, 3, f->until ? f->until : INT64_MAX);
	sqlite3_bind_int(s, 4, f->open_only);
	return stmt_walk(db, s, session_row, &w);
}

struct endpoint_walk {
	db_endpoint_fn fn;
	void *arg;
};

static int endpoint_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct endpoint_walk *w = ctx;
	const char *ep = (const char *)sqlite3_column_text(s, 1);

	return w->fn(sqlite3_column_int64(s, 0), ep ? ep : "", w->arg);
}

int db_session_endpoints(struct db *db, int64_t session_id, db_endpoint_fn fn, void *arg)
{
	sqlite3_stmt *s = stmt_get(db, ST_SESS_EP_LIST);
	struct endpoint_walk w = { fn, arg };

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, session_id);
	return stmt_walk(db, s, endpoint_row, &w);
}

int db_session_purge(struct db *db, int64_t before, uint64_t *n)
{
	sqlite3_stmt *s = stmt_get(db, ST_SESS_PURGE);
	int changes = 0, ret;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, before);
	ret = stmt_exec(db, s, &changes);
	if (n)
		*n = ret == 0 ? (uint64_t)changes : 0;
	return ret;
}

/* ---- devices and admin tokens ---- */

static int read_device(struct db *db, sqlite3_stmt *s, struct db_device *d)
{
	const char *name = (const char *)sqlite3_column_text(s, 2);

	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(s, 0);
	d->user_id = sqlite3_column_int64(s, 1);
	if (!name || strlcpy_check(d->name, name, sizeof(d->name)) < 0) {
		set_err(db, "device row %" PRId64 " is corrupt", d->id);
		return -EIO;
	}
	d->created = sqlite3_column_int64(s, 3);
	d->token_expires = sqlite3_column_int64(s, 4);
	d->enrolled = sqlite3_column_int64(s, 5);
	d->last_seen = sqlite3_column_int64(s, 6);
	d->profile_serial = (uint64_t)sqlite3_column_int64(s, 7);
	if (sqlite3_column_bytes(s, 8) == (int)sizeof(d->profile_hash)) {
		memcpy(d->profile_hash, sqlite3_column_blob(s, 8), sizeof(d->profile_hash));
		d->has_profile_hash = true;
	}
	d->profile_issued = sqlite3_column_int64(s, 9);
	return 0;
}

static int device_get_one(struct db *db, sqlite3_stmt *s, struct db_device *d)
{
	int rc = sqlite3_step(s), ret;

	if (rc == SQLITE_ROW)
		ret = read_device(db, s, d);
	else if (rc == SQLITE_DONE)
		ret = -ENOENT;
	else
		ret = sql_err(db, rc);
	stmt_done(s);
	return ret;
}

int db_device_add(struct db *db, int64_t user_id, const char *name,
		  const uint8_t token_hash[DB_HASH_LEN], int64_t token_expires, int64_t *id)
{
	sqlite3_stmt *s;
	int ret;

	if (check_text(db, "device name", name, DB_USER_NAME_MAX + 1) < 0)
		return -EINVAL;
	s = stmt_get(db, ST_DEV_ADD);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (int64_t)time(NULL));
	sqlite3_bind_blob(s, 4, token_hash, DB_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, token_expires);
	ret = stmt_exec(db, s, NULL);
	if (ret == 0 && id)
		*id = sqlite3_last_insert_rowid(db->sq);
	return ret;
}

int db_device_get(struct db *db, int64_t id, struct db_device *d)
{
	sqlite3_stmt *s = stmt_get(db, ST_DEV_GET);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	return device_get_one(db, s, d);
}

int db_device_get_by_user(struct db *db, int64_t user_id, struct db_device *d)
{
	sqlite3_stmt *s = stmt_get(db, ST_DEV_BY_USER);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, user_id);
	return device_get_one(db, s, d);
}

int db_device_get_by_name(struct db *db, const char *name, struct db_device *d)
{
	sqlite3_stmt *s = stmt_get(db, ST_DEV_BY_NAME);

	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	return device_get_one(db, s, d);
}

int db_device_get_by_token(struct db *db, const uint8_t hash[DB_HASH_LEN], int64_t now,
			   struct db_device *d)
{
	sqlite3_stmt *s = stmt_get(db, ST_DEV_BY_TOKEN);

	if (!s)
		return -EIO;
	sqlite3_bind_blob(s, 1, hash, DB_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	return device_get_one(db, s, d);
}

int db_device_get_by_credential(struct db *db, const uint8_t hash[DB_HASH_LEN],
				struct db_device *d)
{
	sqlite3_stmt *s = stmt_get(db, ST_DEV_BY_CRED);

	if (!s)
		return -EIO;
	sqlite3_bind_blob(s, 1, hash, DB_HASH_LEN, SQLITE_STATIC);
	return device_get_one(db, s, d);
}

struct device_walk {
	db_device_fn fn;
	void *arg;
};

static int device_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct device_walk *w = ctx;
	struct db_device d;
	int ret = read_device(db, s, &d);

	return ret < 0 ? ret : w->fn(&d, w->arg);
}

int db_device_list(struct db *db, db_device_fn fn, void *arg)
{
	sqlite3_stmt *s = stmt_get(db, ST_DEV_LIST);
	struct device_walk w = { fn, arg };

	if (!s)
		return -EIO;
	return stmt_walk(db, s, device_row, &w);
}

int db_device_delete(struct db *db, int64_t id)
{
	sqlite3_stmt *s = stmt_get(db, ST_DEV_DELETE);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	return exec_one(db, s, "device");
}

int db_device_enroll(struct db *db, int64_t id, const uint8_t credential_hash[DB_HASH_LEN],
		     int64_t now)
{
	sqlite3_stmt *s = stmt_get(db, ST_DEV_ENROLL);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_blob(s, 2, credential_hash, DB_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	return exec_one(db, s, "unenrolled device");
}

int db_device_seen(struct db *db, int64_t id, int64_t now)
{
	sqlite3_stmt *s = stmt_get(db, ST_DEV_SEEN);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	return exec_one(db, s, "device");
}

int db_device_set_profile(struct db *db, int64_t id, uint64_t serial,
			  const uint8_t hash[DB_HASH_LEN], int64_t issued)
{
	sqlite3_stmt *s = stmt_get(db, ST_DEV_PROFILE);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, (int64_t)serial);
	sqlite3_bind_blob(s, 3, hash, DB_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, issued);
	return exec_one(db, s, "device");
}

static int read_token(sqlite3_stmt *s, struct db_token *t)
{
	const char *name = (const char *)sqlite3_column_text(s, 1);

	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(s, 0);
	if (!name || strlcpy_check(t->name, name, sizeof(t->name)) < 0)
		return -EIO;
	t->created = sqlite3_column_int64(s, 2);
	t->last_used = sqlite3_column_int64(s, 3);
	return 0;
}

int db_token_add(struct db *db, const char *name, const uint8_t hash[DB_HASH_LEN])
{
	sqlite3_stmt *s;

	if (check_text(db, "token name", name, DB_USER_NAME_MAX + 1) < 0)
		return -EINVAL;
	s = stmt_get(db, ST_TOK_ADD);
	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (int64_t)time(NULL));
	sqlite3_bind_blob(s, 3, hash, DB_HASH_LEN, SQLITE_STATIC);
	return stmt_exec(db, s, NULL);
}

int db_token_check(struct db *db, const uint8_t hash[DB_HASH_LEN], int64_t now,
		   struct db_token *t)
{
	sqlite3_stmt *s = stmt_get(db, ST_TOK_BY_HASH);
	int rc, ret;

	if (!s)
		return -EIO;
	sqlite3_bind_blob(s, 1, hash, DB_HASH_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		ret = read_token(s, t) < 0 ? -EIO : 0;
	else
		ret = rc == SQLITE_DONE ? -ENOENT : sql_err(db, rc);
	stmt_done(s);
	if (ret < 0)
		return ret;
	s = stmt_get(db, ST_TOK_USED);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, t->id);
	sqlite3_bind_int64(s, 2, now);
	return exec_one(db, s, "token");
}

struct token_walk {
	db_token_fn fn;
	void *arg;
};

static int token_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct token_walk *w = ctx;
	struct db_token t;

	if (read_token(s, &t) < 0) {
		set_err(db, "admin token row is corrupt");
		return -EIO;
	}
	return w->fn(&t, w->arg);
}

int db_token_list(struct db *db, db_token_fn fn, void *arg)
{
	sqlite3_stmt *s = stmt_get(db, ST_TOK_LIST);
	struct token_walk w = { fn, arg };

	if (!s)
		return -EIO;
	return stmt_walk(db, s, token_row, &w);
}

int db_token_delete(struct db *db, const char *name)
{
	sqlite3_stmt *s = stmt_get(db, ST_TOK_DELETE);

	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	return exec_one(db, s, "token");
}
