/* Runtime settings in SQLite: one JSON value per key, with when and by whom it was set. */
#include <errno.h>
#include <string.h>

#include "dbint.h"

enum { ST_GET, ST_SET, ST_DELETE, ST_LIST, ST_COUNT };

static const char *const sql[ST_COUNT] = {
	[ST_GET] = "SELECT value FROM settings WHERE key = ?1",
	[ST_SET] = "INSERT INTO settings (key, value, updated, updated_by) VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
		" updated = excluded.updated, updated_by = excluded.updated_by",
	[ST_DELETE] = "DELETE FROM settings WHERE key = ?1",
	[ST_LIST] = "SELECT key, value, updated, updated_by FROM settings ORDER BY key",
};

_Static_assert(ST_COUNT <= DBI_NOUN_STMTS, "too many statements");

#define STMT(db, id) dbi_stmt(db, DBI_SETTING, id, sql[id])

/* Keys are names as the settings command spells them: a-z, 0-9, '_' and '.'. */
static int check_key(struct db *db, const char *key)
{
	size_t n = strnlen(key, DB_SETTING_KEY_MAX + 1);

	if (n == 0 || n > DB_SETTING_KEY_MAX ||
	    strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_.") != n) {
		dbi_err(db, "setting \"%.*s\": not a key", DB_SETTING_KEY_MAX, key);
		return -EINVAL;
	}
	return 0;
}

struct value_buf {
	char *value;
	size_t size;
};

static int value_one(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct value_buf *b = ctx;

	if (dbi_col_text(s, 0, b->value, b->size) < 0) {
		dbi_err(db, "setting: value longer than the %zu bytes given", b->size);
		return -EINVAL;
	}
	return 0;
}

int db_setting_get(struct db *db, const char *key, char *value, size_t size)
{
	struct value_buf b = { value, size };
	sqlite3_stmt *s;
	int ret = check_key(db, key);

	if (ret < 0)
		return ret;
	s = STMT(db, ST_GET);
	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	return dbi_get_one(db, s, value_one, &b, "setting");
}

int db_setting_set(struct db *db, const char *key, const char *value, int64_t at,
		   const char *by)
{
	sqlite3_stmt *s;
	int ret = check_key(db, key);

	if (ret == 0)
		ret = dbi_check_text(db, "setting value", value, DB_SETTING_VALUE_MAX + 1);
	if (ret == 0)
		ret = dbi_check_text(db, "setting author", by, DB_NAME_MAX + 16);
	if (ret < 0)
		return ret;
	s = STMT(db, ST_SET);
	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	dbi_bind_text(s, 2, value);
	sqlite3_bind_int64(s, 3, at ? at : dbi_now());
	dbi_bind_text(s, 4, by);
	return dbi_exec(db, s, NULL);
}

int db_setting_delete(struct db *db, const char *key)
{
	sqlite3_stmt *s = STMT(db, ST_DELETE);

	if (!s)
		return -EIO;
	dbi_bind_text(s, 1, key);
	return dbi_exec_one(db, s, "setting");
}

struct setting_walk {
	db_setting_fn fn;
	void *arg;
};

static int setting_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct setting_walk *w = ctx;
	const char *key = (const char *)sqlite3_column_text(s, 0);
	const char *value = (const char *)sqlite3_column_text(s, 1);
	const char *by = (const char *)sqlite3_column_text(s, 3);

	return w->fn(key ? key : "", value ? value : "", sqlite3_column_int64(s, 2),
		     by ? by : "", w->arg);
}

int db_setting_list(struct db *db, db_setting_fn fn, void *arg)
{
	sqlite3_stmt *s = STMT(db, ST_LIST);
	struct setting_walk w = { fn, arg };

	if (!s)
		return -EIO;
	return dbi_walk(db, s, setting_row, &w);
}
