/* The session log in SQLite: sessions of a device, their endpoint changes, the paged
 * log, sessions per local day and retention. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbint.h"
#include "../../common/util.h"

#define SESSION_COLS "id, user_id, device_id, started, ended, endpoint, address, rx, tx," \
	" last_seen"
#define SESSION_NCOLS 10

enum {
	ST_OPEN, ST_BYTES, ST_CLOSE, ST_EP_ADD, ST_EP_LIST, ST_LIST_OPEN, ST_DAY, ST_PURGE,
	ST_COUNT
};

static const char *const sql[ST_COUNT] = {
	/* the device must be the user's: the log never names a device of someone else */
	[ST_OPEN] = "INSERT INTO sessions (user_id, device_id, started, endpoint, address)"
		" SELECT ?1, ?2, ?3, ?4, ?5"
		" WHERE EXISTS (SELECT 1 FROM devices WHERE id = ?2 AND user_id = ?1)",
	[ST_BYTES] = "UPDATE sessions SET rx = rx + ?2, tx = tx + ?3, last_seen = ?4"
		" WHERE id = ?1",
	[ST_CLOSE] = "UPDATE sessions SET ended = ?2 WHERE id = ?1 AND ended IS NULL",
	[ST_EP_ADD] = "INSERT INTO session_endpoints (session_id, at, endpoint)"
		" VALUES (?1, ?2, ?3)",
	[ST_EP_LIST] = "SELECT at, endpoint FROM session_endpoints WHERE session_id = ?1"
		" ORDER BY at, rowid",
	[ST_LIST_OPEN] = "SELECT " SESSION_COLS " FROM sessions WHERE ended IS NULL ORDER BY id",
	[ST_DAY] = "SELECT count(*) FROM sessions WHERE started >= ?1 AND started < ?2",
	[ST_PURGE] = "DELETE FROM sessions WHERE ended IS NOT NULL AND ended < ?1",
};

_Static_assert(ST_COUNT <= DBI_NOUN_STMTS, "too many statements");

#define STMT(db, id) dbi_stmt(db, DBI_SESSION, id, sql[id])

int db_session_open(struct db *db, int64_t user_id, int64_t device_id, int64_t started,
		    const char *endpoint, const char *address, int64_t *id)
{
	sqlite3_stmt *s;
	int ret;

	if (dbi_check_text(db, "endpoint", endpoint, DB_ENDPOINT_MAX) < 0 ||
	    dbi_check_text(db, "address", address, CIDR_STRLEN * 2 + 2) < 0)
		return -EINVAL;
	s = STMT(db, ST_OPEN);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, device_id);
	sqlite3_bind_int64(s, 3, started);
	dbi_bind_text(s, 4, endpoint);
	dbi_bind_text(s, 5, address);
	ret = dbi_exec_one(db, s, "device of that user");
	if (ret == 0 && id)
		*id = sqlite3_last_insert_rowid(db->sq);
	return ret;
}

int db_session_add_bytes(struct db *db, int64_t session_id, uint64_t rx_delta,
			 uint64_t tx_delta, int64_t last_seen)
{
	sqlite3_stmt *s = STMT(db, ST_BYTES);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, session_id);
	sqlite3_bind_int64(s, 2, (int64_t)rx_delta);
	sqlite3_bind_int64(s, 3, (int64_t)tx_delta);
	dbi_bind_int_or_null(s, 4, last_seen);
	return dbi_exec_one(db, s, "session");
}

int db_session_close(struct db *db, int64_t session_id, int64_t ended)
{
	sqlite3_stmt *s = STMT(db, ST_CLOSE);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, session_id);
	sqlite3_bind_int64(s, 2, ended);
	return dbi_exec_one(db, s, "open session");
}

int db_session_add_endpoint(struct db *db, int64_t session_id, int64_t at,
			    const char *endpoint)
{
	sqlite3_stmt *s;
	int ret;

	if (dbi_check_text(db, "endpoint", endpoint, DB_ENDPOINT_MAX) < 0)
		return -EINVAL;
	s = STMT(db, ST_EP_ADD);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, session_id);
	sqlite3_bind_int64(s, 2, at);
	dbi_bind_text(s, 3, endpoint);
	ret = dbi_exec(db, s, NULL);
	if (ret == -ENOENT)
		dbi_err(db, "no such session");
	return ret;
}

struct session_walk {
	db_session_fn fn;
	void *arg;
};

static int session_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct session_walk *w = ctx;
	struct db_session r = {
		.id = sqlite3_column_int64(s, 0),
		.user_id = sqlite3_column_int64(s, 1),
		.device_id = sqlite3_column_int64(s, 2),
		.started = sqlite3_column_int64(s, 3),
		.ended = sqlite3_column_int64(s, 4),
		.rx = (uint64_t)sqlite3_column_int64(s, 7),
		.tx = (uint64_t)sqlite3_column_int64(s, 8),
		.last_seen = sqlite3_column_int64(s, 9),
	};

	if (dbi_col_text(s, 5, r.endpoint, sizeof(r.endpoint)) < 0 ||
	    dbi_col_text(s, 6, r.address, sizeof(r.address)) < 0) {
		dbi_err(db, "session row %" PRId64 " is corrupt", r.id);
		return -EIO;
	}
	return w->fn(&r, w->arg);
}

int db_session_list_open(struct db *db, db_session_fn fn, void *arg)
{
	sqlite3_stmt *s = STMT(db, ST_LIST_OPEN);
	struct session_walk w = { fn, arg };

	if (!s)
		return -EIO;
	return dbi_walk(db, s, session_row, &w);
}

/* ---- the paged log ---- */

/* ?7 until, ?8 since: sessions overlapping the window (an open one still goes on) */
#define WINDOW " AND started < ?7 AND (ended IS NULL OR ended >= ?8)"
#define Q_WHERE " AND (endpoint LIKE ?4 ESCAPE '\\' OR address LIKE ?4 ESCAPE '\\'" \
	" OR user_id IN (SELECT id FROM users WHERE name LIKE ?4 ESCAPE '\\')" \
	" OR device_id IN (SELECT id FROM devices WHERE name LIKE ?4 ESCAPE '\\')" \
	" OR EXISTS (SELECT 1 FROM session_endpoints e WHERE e.session_id = sessions.id" \
	" AND e.endpoint LIKE ?4 ESCAPE '\\'))"

enum { F_Q = 1, F_USER = 2, F_DEVICE = 4 };

static void filter_sql(unsigned int f, char *where, size_t size)
{
	snprintf(where, size, "%s%s%s" WINDOW, f & F_Q ? Q_WHERE : "",
		 f & F_USER ? " AND user_id = ?5" : "", f & F_DEVICE ? " AND device_id = ?6" : "");
}

static void bind_filter(sqlite3_stmt *s, const struct db_session_query *q, const char *like)
{
	if (like)
		sqlite3_bind_text(s, 4, like, -1, SQLITE_STATIC);
	if (q->user_id)
		sqlite3_bind_int64(s, 5, q->user_id);
	if (q->device_id)
		sqlite3_bind_int64(s, 6, q->device_id);
	sqlite3_bind_int64(s, 7, q->until ? q->until : INT64_MAX);
	sqlite3_bind_int64(s, 8, q->since);
}

static sqlite3_stmt *page_stmt(struct db *db, unsigned int f, bool desc, bool after)
{
	unsigned int slot = (unsigned int)desc << 4 | (unsigned int)after << 3 | f;
	struct dbi_page p = {
		.with = "", .cols = SESSION_COLS, .table = "sessions", .key = "started",
		.desc = desc, .after = after,
	};
	char where[512], *text;
	sqlite3_stmt *s;

	if (db->dyn[DBI_DYN_SESSION_PAGE + slot])
		return db->dyn[DBI_DYN_SESSION_PAGE + slot];
	filter_sql(f, where, sizeof(where));
	p.where = where;
	text = dbi_page_sql(&p);
	s = dbi_stmt_dyn(db, DBI_DYN_SESSION_PAGE + (int)slot, text);
	free(text);
	return s;
}

static sqlite3_stmt *count_stmt(struct db *db, unsigned int f)
{
	char where[512], *text;
	sqlite3_stmt *s;

	if (db->dyn[DBI_DYN_SESSION_COUNT + f])
		return db->dyn[DBI_DYN_SESSION_COUNT + f];
	filter_sql(f, where, sizeof(where));
	text = xasprintf("SELECT count(*) FROM sessions WHERE 1%s", where);
	s = dbi_stmt_dyn(db, DBI_DYN_SESSION_COUNT + (int)f, text);
	free(text);
	return s;
}

int db_session_query(struct db *db, const struct db_session_query *q, db_session_fn fn,
		     void *arg, uint64_t *total, char next[DB_CURSOR_MAX + 1])
{
	bool after = q->cursor && q->cursor[0], desc = !q->oldest_first, more = false;
	uint8_t tag = (uint8_t)(DBI_TAG_SESSION | (unsigned int)desc);
	struct session_walk w = { fn, arg };
	struct dbi_cursor c, last = { 0 };
	char like[DBI_LIKE_MAX];
	unsigned int f = 0;
	sqlite3_stmt *s;
	int64_t n = 0;
	int ret;

	if (total)
		*total = 0;
	if (q->limit > DB_PAGE_MAX || q->user_id < 0 || q->device_id < 0) {
		dbi_err(db, "session query: limit, user or device out of range");
		return -EINVAL;
	}
	if (q->q && q->q[0]) {
		ret = dbi_like(db, q->q, like);
		if (ret < 0)
			return ret;
		f |= F_Q;
	}
	if (q->user_id)
		f |= F_USER;
	if (q->device_id)
		f |= F_DEVICE;
	if (after) {
		ret = dbi_cursor_decode(db, q->cursor, tag, false, &c);
		if (ret < 0)
			return ret;
	}
	/* next may be the buffer the cursor came in */
	if (next)
		next[0] = '\0';
	s = page_stmt(db, f, desc, after);
	if (!s)
		return -EIO;
	if (after) {
		sqlite3_bind_int64(s, 1, c.key);
		sqlite3_bind_int64(s, 2, c.id);
	}
	sqlite3_bind_int64(s, 3, q->limit ? (int64_t)q->limit + 1 : -1);
	bind_filter(s, q, f & F_Q ? like : NULL);
	ret = dbi_page_walk(db, s, q->limit, SESSION_NCOLS, false, session_row, &w, &more,
			    &last);
	if (ret)
		return ret;
	if (more && next)
		dbi_cursor_encode(next, tag, last.id, last.key, NULL);
	if (!total)
		return 0;
	s = count_stmt(db, f);
	if (!s)
		return -EIO;
	bind_filter(s, q, f & F_Q ? like : NULL);
	ret = dbi_int(db, s, &n);
	*total = (uint64_t)n;
	return ret;
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
	sqlite3_stmt *s = STMT(db, ST_EP_LIST);
	struct endpoint_walk w = { fn, arg };

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, session_id);
	return dbi_walk(db, s, endpoint_row, &w);
}

/* One count per local day, each a range of the index on started. */
int db_session_per_day(struct db *db, int64_t from, int64_t to, db_count_fn fn, void *arg)
{
	int64_t day, end, lo, n;
	sqlite3_stmt *s;
	int ret;

	if (from >= to)
		return 0;
	for (day = dbi_day_start(from); day < to; day = end) {
		end = dbi_day_next(day);
		lo = day < from ? from : day;
		s = STMT(db, ST_DAY);
		if (!s)
			return -EIO;
		sqlite3_bind_int64(s, 1, lo);
		sqlite3_bind_int64(s, 2, end < to ? end : to);
		ret = dbi_int(db, s, &n);
		if (ret < 0)
			return ret;
		if (n) {
			ret = fn(day, (uint64_t)n, arg);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int db_session_purge(struct db *db, int64_t before, uint64_t *n)
{
	sqlite3_stmt *s = STMT(db, ST_PURGE);
	int changes = 0, ret;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, before);
	ret = dbi_exec(db, s, &changes);
	if (n)
		*n = ret == 0 ? (uint64_t)changes : 0;
	return ret;
}
