/* Accounts (users) in SQLite: add, read, change, delete, and the console's paged,
 * searched and sorted list. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dbint.h"
#include "../../common/util.h"

#define USER_COLS "id, name, created, expires, quota_bytes, quota_period, quota_reset_day," \
	" period_start, disabled_reason, group_id, email, password_hash, must_change_password," \
	" rx_total, tx_total, rx_period, tx_period, rate"
#define USER_NCOLS 18

enum {
	ST_ADD, ST_GET, ST_GET_NAME, ST_UPDATE, ST_PASSWORD, ST_DELETE, ST_NEXT_EXPIRY, ST_LIST,
	ST_STATES, ST_COUNT
};

static const char *const sql[ST_COUNT] = {
	[ST_ADD] = "INSERT INTO users (name, created, expires, quota_bytes, quota_period,"
		" quota_reset_day, period_start, disabled_reason, group_id, email, password_hash,"
		" must_change_password, rate)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[ST_GET] = "SELECT " USER_COLS " FROM users WHERE id = ?1",
	[ST_GET_NAME] = "SELECT " USER_COLS " FROM users WHERE name = ?1",
	[ST_UPDATE] = "UPDATE users SET expires = ?3, quota_bytes = ?4, quota_period = ?5,"
		" quota_reset_day = ?6, period_start = ?7, disabled_reason = ?8, group_id = ?9,"
		" email = ?10, rate = ?13 WHERE id = ?1",
	[ST_PASSWORD] = "UPDATE users SET password_hash = ?2, must_change_password = ?3"
		" WHERE id = ?1",
	[ST_DELETE] = "DELETE FROM users WHERE id = ?1",
	[ST_NEXT_EXPIRY] = "SELECT MIN(expires) FROM users"
		" WHERE expires IS NOT NULL AND disabled_reason IS NULL",
	[ST_LIST] = "SELECT " USER_COLS " FROM users ORDER BY id",
	[ST_STATES] = "SELECT disabled_reason, count(*) FROM users GROUP BY disabled_reason",
};

_Static_assert(ST_COUNT <= DBI_NOUN_STMTS, "too many statements");

#define STMT(db, id) dbi_stmt(db, DBI_USER, id, sql[id])

static const char *const disabled_names[] = {
	[DB_DISABLED_EXPIRED] = "expired",
	[DB_DISABLED_QUOTA] = "quota",
	[DB_DISABLED_ADMIN] = "admin",
};

static void bind_disabled(sqlite3_stmt *s, int i, enum db_disabled d)
{
	if (d == DB_ENABLED)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, disabled_names[d], -1, SQLITE_STATIC);
}

void db_user_wipe(struct db_user *u)
{
	sodium_memzero(u, sizeof(*u));
}

/* What add and update both write. */
static int check_user(struct db *db, const struct db_user *u)
{
	int ret;

	if ((unsigned int)u->disabled >= ARRAY_SIZE(disabled_names) ||
	    (unsigned int)u->quota_period > DB_QUOTA_MONTH) {
		dbi_err(db, "user %.*s: bad quota period or disabled reason", DB_NAME_MAX, u->name);
		return -EINVAL;
	}
	if (u->quota_bytes > INT64_MAX || u->quota_reset_day < 0 || u->quota_reset_day > 31 ||
	    u->group_id < 0) {
		dbi_err(db, "user %.*s: quota, reset day or group out of range", DB_NAME_MAX,
			u->name);
		return -EINVAL;
	}
	if ((ret = dbi_check_text(db, "email", u->email, sizeof(u->email))) < 0)
		return ret;
	return dbi_check_text(db, "rate", u->rate, sizeof(u->rate));
}

/* ?4 quota_bytes, ?5 quota_period, ?6 quota_reset_day, ?8 disabled_reason, ?9 group_id,
 * ?10 email, ?13 rate: shared by add and update. */
static void bind_common(sqlite3_stmt *s, const struct db_user *u)
{
	dbi_bind_int_or_null(s, 4, (int64_t)u->quota_bytes);
	sqlite3_bind_text(s, 5, u->quota_period == DB_QUOTA_MONTH ? "month" : "total", -1,
			  SQLITE_STATIC);
	sqlite3_bind_int(s, 6, u->quota_reset_day ? u->quota_reset_day : 1);
	bind_disabled(s, 8, u->disabled);
	sqlite3_bind_int64(s, 9, u->group_id ? u->group_id : DB_GROUP_DEFAULT);
	dbi_bind_text_or_null(s, 10, u->email);
	dbi_bind_text_or_null(s, 13, u->rate);
}

int db_user_add(struct db *db, const struct db_user *u, int64_t *id)
{
	int64_t created = u->created ? u->created : dbi_now();
	sqlite3_stmt *s;
	int ret;

	ret = dbi_check_name(db, "user name", u->name, sizeof(u->name));
	if (ret < 0)
		return ret;
	ret = check_user(db, u);
	if (ret < 0)
		return ret;
	ret = dbi_check_text(db, "password hash", u->password_hash, sizeof(u->password_hash));
	if (ret < 0)
		return ret;
	s = STMT(db, ST_ADD);
	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, u->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, created);
	dbi_bind_int_or_null(s, 3, u->expires);
	bind_common(s, u);
	sqlite3_bind_int64(s, 7, u->period_start ? u->period_start : created);
	dbi_bind_text_or_null(s, 11, u->password_hash);
	sqlite3_bind_int(s, 12, u->must_change_password);
	ret = dbi_exec(db, s, NULL);
	if (ret == 0 && id)
		*id = sqlite3_last_insert_rowid(db->sq);
	else if (ret == -EEXIST)
		dbi_err(db, "user %s exists already", u->name);
	else if (ret == -ENOENT)
		dbi_err(db, "user %s: no group %" PRId64, u->name, u->group_id);
	return ret;
}

static int read_user(struct db *db, sqlite3_stmt *s, struct db_user *u)
{
	const char *period = (const char *)sqlite3_column_text(s, 5);
	const char *reason = (const char *)sqlite3_column_text(s, 8);
	size_t i;

	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(s, 0);
	if (dbi_col_text(s, 1, u->name, sizeof(u->name)) < 0 || !u->name[0])
		goto corrupt;
	u->created = sqlite3_column_int64(s, 2);
	u->expires = sqlite3_column_int64(s, 3);
	u->quota_bytes = (uint64_t)sqlite3_column_int64(s, 4);
	u->quota_period = period && strcmp(period, "month") == 0 ? DB_QUOTA_MONTH : DB_QUOTA_TOTAL;
	u->quota_reset_day = sqlite3_column_int(s, 6);
	u->period_start = sqlite3_column_int64(s, 7);
	u->disabled = DB_ENABLED;
	for (i = 1; reason && i < ARRAY_SIZE(disabled_names); i++)
		if (strcmp(reason, disabled_names[i]) == 0)
			u->disabled = (enum db_disabled)i;
	if (reason && u->disabled == DB_ENABLED)
		goto corrupt;
	u->group_id = sqlite3_column_int64(s, 9);
	if (dbi_col_text(s, 10, u->email, sizeof(u->email)) < 0 ||
	    dbi_col_text(s, 11, u->password_hash, sizeof(u->password_hash)) < 0)
		goto corrupt;
	u->must_change_password = sqlite3_column_int(s, 12) != 0;
	u->rx_total = (uint64_t)sqlite3_column_int64(s, 13);
	u->tx_total = (uint64_t)sqlite3_column_int64(s, 14);
	u->rx_period = (uint64_t)sqlite3_column_int64(s, 15);
	u->tx_period = (uint64_t)sqlite3_column_int64(s, 16);
	if (dbi_col_text(s, 17, u->rate, sizeof(u->rate)) < 0)
		goto corrupt;
	return 0;
corrupt:
	dbi_err(db, "user row %" PRId64 " is corrupt", u->id);
	db_user_wipe(u);
	return -EIO;
}

static int user_one(struct db *db, sqlite3_stmt *s, void *ctx)
{
	return read_user(db, s, ctx);
}

int db_user_get(struct db *db, int64_t id, struct db_user *u)
{
	sqlite3_stmt *s = STMT(db, ST_GET);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	return dbi_get_one(db, s, user_one, u, "user");
}

int db_user_get_by_name(struct db *db, const char *name, struct db_user *u)
{
	sqlite3_stmt *s = STMT(db, ST_GET_NAME);

	if (!s)
		return -EIO;
	dbi_bind_text(s, 1, name);
	return dbi_get_one(db, s, user_one, u, "user");
}

int db_user_update(struct db *db, const struct db_user *u)
{
	sqlite3_stmt *s;
	int changes = 0, ret = check_user(db, u);

	if (ret < 0)
		return ret;
	s = STMT(db, ST_UPDATE);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, u->id);
	dbi_bind_int_or_null(s, 3, u->expires);
	bind_common(s, u);
	sqlite3_bind_int64(s, 7, u->period_start);
	ret = dbi_exec(db, s, &changes);
	if (ret == -ENOENT)
		dbi_err(db, "user %" PRId64 ": no group %" PRId64, u->id, u->group_id);
	else if (ret == 0 && changes == 0) {
		dbi_err(db, "no such user");
		ret = -ENOENT;
	}
	return ret;
}

int db_user_set_password(struct db *db, int64_t id, const char *password_hash, bool must_change)
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
	return dbi_exec_one(db, s, "user");
}

int db_user_delete(struct db *db, int64_t id)
{
	sqlite3_stmt *s = STMT(db, ST_DELETE);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	return dbi_exec_one(db, s, "user");
}

int db_user_next_expiry(struct db *db, int64_t *at)
{
	sqlite3_stmt *s = STMT(db, ST_NEXT_EXPIRY);
	int64_t v = 0;
	int ret;

	if (!s)
		return -EIO;
	ret = dbi_int(db, s, &v);
	if (ret < 0)
		return ret;
	if (!v) {
		dbi_err(db, "no enabled user expires");
		return -ENOENT;
	}
	*at = v;
	return 0;
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

/* A searched page's rows carry the total after the user's columns. */
struct page_walk {
	struct user_walk w;
	bool counted;
	int64_t total;
};

static int page_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct page_walk *p = ctx;

	if (!p->counted && sqlite3_column_count(s) > USER_NCOLS + 1) {
		p->total = sqlite3_column_int64(s, USER_NCOLS);
		p->counted = true;
	}
	return user_row(db, s, &p->w);
}

int db_user_list(struct db *db, db_user_fn fn, void *arg)
{
	sqlite3_stmt *s = STMT(db, ST_LIST);
	struct user_walk w = { fn, arg };

	if (!s)
		return -EIO;
	return dbi_walk(db, s, user_row, &w);
}

int db_user_count_states(struct db *db, uint64_t counts[4])
{
	sqlite3_stmt *s = STMT(db, ST_STATES);
	const char *reason;
	size_t i;
	int rc, ret = 0;

	if (!s)
		return -EIO;
	memset(counts, 0, 4 * sizeof(counts[0]));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		reason = (const char *)sqlite3_column_text(s, 0);
		for (i = 1; reason && i < ARRAY_SIZE(disabled_names); i++)
			if (strcmp(reason, disabled_names[i]) == 0)
				break;
		if (reason && i == ARRAY_SIZE(disabled_names)) {
			dbi_err(db, "disabled reason \"%s\" is unknown", reason);
			ret = -EIO;
			break;
		}
		counts[reason ? i : DB_ENABLED] = (uint64_t)sqlite3_column_int64(s, 1);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = dbi_sql_err(db, rc);
	dbi_done(s);
	return ret;
}

/* ---- the console's page ---- */

/* The sort keys, each matching an index of users (with id) expression for expression. */
static const char *const sort_keys[] = {
	[DB_SORT_NAME] = "name",
	[DB_SORT_CREATED] = "created",
	[DB_SORT_EXPIRES] = "ifnull(expires, " DBI_NEVER ")",
	[DB_SORT_USED] = "(rx_total + tx_total)",
};

/* ?4 anywhere in the user's name or email, or in a device's name, last endpoint or
 * address. The IN list is built once per statement, not once per user. */
#define Q_WHERE " AND (name LIKE ?4 ESCAPE '\\' OR email LIKE ?4 ESCAPE '\\' OR id IN" \
	" (SELECT user_id FROM devices WHERE name LIKE ?4 ESCAPE '\\'" \
	" OR endpoint LIKE ?4 ESCAPE '\\'%s))"
#define Q_ADDRESSES " UNION ALL SELECT user_id FROM devices WHERE id IN" \
	" (SELECT device_id FROM addresses WHERE address LIKE ?4 ESCAPE '\\')"

/* F_ADDR: q can be part of an address (see addr_text) */
enum { F_Q = 1, F_STATE = 2, F_GROUP = 4, F_ADDR = 8, F_BITS = 4 };

/* Addresses are stored as ip_fmt writes them: a search with any other character cannot
 * match one, and need not read the largest table. */
static bool addr_text(const char *q)
{
	return strspn(q, "0123456789abcdefABCDEF.:") == strlen(q);
}

static void filter_sql(unsigned int f, char *where, size_t size)
{
	char q[512] = "";

	if (f & F_Q)
		snprintf(q, sizeof(q), Q_WHERE, f & F_ADDR ? Q_ADDRESSES : "");
	snprintf(where, size, "%s%s%s", q, f & F_STATE ? " AND disabled_reason IS ?5" : "",
		 f & F_GROUP ? " AND group_id = ?6" : "");
}

static void bind_filter(sqlite3_stmt *s, const struct db_user_query *q, const char *like)
{
	if (like)
		sqlite3_bind_text(s, 4, like, -1, SQLITE_STATIC);
	if (q->state >= 0)
		bind_disabled(s, 5, (enum db_disabled)q->state);
	if (q->group_id)
		sqlite3_bind_int64(s, 6, q->group_id);
}

static sqlite3_stmt *count_stmt(struct db *db, unsigned int f)
{
	char where[1024], *text;
	sqlite3_stmt *s;

	if (db->dyn[DBI_DYN_USER_COUNT + f])
		return db->dyn[DBI_DYN_USER_COUNT + f];
	filter_sql(f, where, sizeof(where));
	text = xasprintf("SELECT count(*) FROM users WHERE 1%s", where);
	s = dbi_stmt_dyn(db, DBI_DYN_USER_COUNT + f, text);
	free(text);
	return s;
}

static sqlite3_stmt *page_stmt(struct db *db, const struct db_user_query *q, unsigned int f,
			       bool after)
{
	unsigned int slot = ((unsigned int)q->sort << 2 | (unsigned int)q->desc << 1 |
			     (unsigned int)after) << F_BITS | f;
	char with[2048] = "", where[1024], *text;
	struct dbi_page p = {
		.with = with,
		.cols = USER_COLS,
		.table = "users",
		.key = sort_keys[q->sort],
		.desc = q->desc,
		.after = after,
		.unique = q->sort == DB_SORT_NAME,
	};
	sqlite3_stmt *s;

	if (db->dyn[DBI_DYN_USER_PAGE + slot])
		return db->dyn[DBI_DYN_USER_PAGE + slot];
	filter_sql(f, where, sizeof(where));
	if (f & F_Q) {
		/* a search reads every device: once for the page and its total, not twice */
		snprintf(with, sizeof(with), "WITH m(id) AS MATERIALIZED"
			 " (SELECT id FROM users WHERE 1%s)", where);
		snprintf(where, sizeof(where), " AND id IN m");
		p.cols = USER_COLS ", (SELECT count(*) FROM m)";
	}
	p.where = where;
	text = dbi_page_sql(&p);
	s = dbi_stmt_dyn(db, DBI_DYN_USER_PAGE + (int)slot, text);
	free(text);
	return s;
}

static uint8_t cursor_tag(const struct db_user_query *q)
{
	return (uint8_t)(DBI_TAG_USER | (unsigned int)q->sort << 1 | (unsigned int)q->desc);
}

int db_user_query(struct db *db, const struct db_user_query *q, db_user_fn fn, void *arg,
		  uint64_t *total, char next[DB_CURSOR_MAX + 1])
{
	bool after = q->cursor && q->cursor[0], text = q->sort == DB_SORT_NAME, more = false;
	char like[DBI_LIKE_MAX];
	struct page_walk pw = { .w = { fn, arg } };
	struct dbi_cursor c, last = { 0 };
	unsigned int f = 0;
	sqlite3_stmt *s;
	int64_t n = 0;
	int ret;

	if (total)
		*total = 0;
	if (q->limit < 1 || q->limit > DB_PAGE_MAX || (unsigned int)q->sort > DB_SORT_USED ||
	    q->state < -1 || q->state > DB_DISABLED_ADMIN || q->group_id < 0) {
		dbi_err(db, "user query: limit, sort, state or group out of range");
		return -EINVAL;
	}
	if (q->q && q->q[0]) {
		ret = dbi_like(db, q->q, like);
		if (ret < 0)
			return ret;
		f |= F_Q | (addr_text(q->q) ? F_ADDR : 0);
	}
	if (q->state >= 0)
		f |= F_STATE;
	if (q->group_id)
		f |= F_GROUP;
	if (after) {
		ret = dbi_cursor_decode(db, q->cursor, cursor_tag(q), text, &c);
		if (ret < 0)
			return ret;
	}
	/* next may be the buffer the cursor came in */
	if (next)
		next[0] = '\0';
	s = page_stmt(db, q, f, after);
	if (!s)
		return -EIO;
	if (after) {
		if (text)
			sqlite3_bind_text(s, 1, c.text, -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(s, 1, c.key);
		sqlite3_bind_int64(s, 2, c.id);
	}
	/* one more than the page: whether there is a next one */
	sqlite3_bind_int64(s, 3, (int64_t)q->limit + 1);
	bind_filter(s, q, f & F_Q ? like : NULL);
	ret = dbi_page_walk(db, s, q->limit, f & F_Q ? USER_NCOLS + 1 : USER_NCOLS, text,
			    page_row, &pw, &more, &last);
	if (ret)
		return ret;
	if (more && next)
		dbi_cursor_encode(next, cursor_tag(q), last.id, last.key, text ? last.text : NULL);
	if (!total || pw.counted || (f & F_Q && !after)) {
		/* an empty first page of a search: nothing matched */
		if (total)
			*total = (uint64_t)pw.total;
		return 0;
	}
	s = count_stmt(db, f);
	if (!s)
		return -EIO;
	bind_filter(s, q, f & F_Q ? like : NULL);
	ret = dbi_int(db, s, &n);
	*total = (uint64_t)n;
	return ret;
}
