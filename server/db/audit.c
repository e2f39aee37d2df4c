/* The audit log in SQLite: who changed what, newest first, with retention. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "dbint.h"
#include "../../common/util.h"

#define AUDIT_COLS "id, at, actor, source, op, target, status, detail"
#define AUDIT_NCOLS 8

enum { ST_ADD, ST_PURGE, ST_COUNT };

static const char *const sql[ST_COUNT] = {
	[ST_ADD] = "INSERT INTO audit (at, actor, source, op, target, status, detail)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_PURGE] = "DELETE FROM audit WHERE at < ?1",
};

_Static_assert(ST_COUNT <= DBI_NOUN_STMTS, "too many statements");

#define STMT(db, id) dbi_stmt(db, DBI_AUDIT, id, sql[id])

int db_audit_add(struct db *db, const struct db_audit *a)
{
	sqlite3_stmt *s;

	if (dbi_check_text(db, "audit actor", a->actor, sizeof(a->actor)) < 0 ||
	    dbi_check_text(db, "audit source", a->source, sizeof(a->source)) < 0 ||
	    dbi_check_text(db, "audit operation", a->op, sizeof(a->op)) < 0 ||
	    dbi_check_text(db, "audit target", a->target, sizeof(a->target)) < 0 ||
	    dbi_check_text(db, "audit detail", a->detail, sizeof(a->detail)) < 0)
		return -EINVAL;
	if (a->status < 100 || a->status > 599) {
		dbi_err(db, "audit: status %d", a->status);
		return -EINVAL;
	}
	s = STMT(db, ST_ADD);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, a->at ? a->at : dbi_now());
	dbi_bind_text(s, 2, a->actor);
	dbi_bind_text(s, 3, a->source);
	dbi_bind_text(s, 4, a->op);
	dbi_bind_text(s, 5, a->target);
	sqlite3_bind_int(s, 6, a->status);
	dbi_bind_text(s, 7, a->detail);
	return dbi_exec(db, s, NULL);
}

struct audit_walk {
	db_audit_fn fn;
	void *arg;
};

static int audit_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct audit_walk *w = ctx;
	struct db_audit a = {
		.id = sqlite3_column_int64(s, 0),
		.at = sqlite3_column_int64(s, 1),
		.status = sqlite3_column_int(s, 6),
	};

	if (dbi_col_text(s, 2, a.actor, sizeof(a.actor)) < 0 ||
	    dbi_col_text(s, 3, a.source, sizeof(a.source)) < 0 ||
	    dbi_col_text(s, 4, a.op, sizeof(a.op)) < 0 ||
	    dbi_col_text(s, 5, a.target, sizeof(a.target)) < 0 ||
	    dbi_col_text(s, 7, a.detail, sizeof(a.detail)) < 0) {
		dbi_err(db, "audit row %" PRId64 " is corrupt", a.id);
		return -EIO;
	}
	return w->fn(&a, w->arg);
}

/* ?4 the search, ?5 the actor, ?7 until, ?8 since */
#define WINDOW " AND at >= ?8 AND at < ?7"
enum { F_Q = 1, F_ACTOR = 2 };

static void filter_sql(unsigned int f, char *where, size_t size)
{
	snprintf(where, size, "%s%s" WINDOW,
		 f & F_Q ? " AND (op LIKE ?4 ESCAPE '\\' OR target LIKE ?4 ESCAPE '\\')" : "",
		 f & F_ACTOR ? " AND actor = ?5" : "");
}

static void bind_filter(sqlite3_stmt *s, const struct db_audit_query *q, const char *like)
{
	if (like)
		sqlite3_bind_text(s, 4, like, -1, SQLITE_STATIC);
	if (q->actor)
		sqlite3_bind_text(s, 5, q->actor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, q->until ? q->until : INT64_MAX);
	sqlite3_bind_int64(s, 8, q->since);
}

int db_audit_query(struct db *db, const struct db_audit_query *q, db_audit_fn fn, void *arg,
		   uint64_t *total, char next[DB_CURSOR_MAX + 1])
{
	bool after = q->cursor && q->cursor[0], more = false;
	struct dbi_page p = {
		.with = "", .cols = AUDIT_COLS, .table = "audit", .key = "at", .desc = true,
		.after = after,
	};
	struct audit_walk w = { fn, arg };
	struct dbi_cursor c, last = { 0 };
	char like[DBI_LIKE_MAX], where[256], *text;
	unsigned int f = 0;
	sqlite3_stmt *s;
	int64_t n = 0;
	int slot, ret;

	if (total)
		*total = 0;
	if (q->limit < 1 || q->limit > DB_PAGE_MAX) {
		dbi_err(db, "audit query: limit %zu out of 1..%d", q->limit, DB_PAGE_MAX);
		return -EINVAL;
	}
	if (q->q && q->q[0]) {
		ret = dbi_like(db, q->q, like);
		if (ret < 0)
			return ret;
		f |= F_Q;
	}
	if (q->actor)
		f |= F_ACTOR;
	if (after) {
		ret = dbi_cursor_decode(db, q->cursor, DBI_TAG_AUDIT, false, &c);
		if (ret < 0)
			return ret;
	}
	/* next may be the buffer the cursor came in */
	if (next)
		next[0] = '\0';
	filter_sql(f, where, sizeof(where));
	slot = DBI_DYN_AUDIT_PAGE + (int)((unsigned int)after << 2 | f);
	s = db->dyn[slot];
	if (!s) {
		p.where = where;
		text = dbi_page_sql(&p);
		s = dbi_stmt_dyn(db, slot, text);
		free(text);
		if (!s)
			return -EIO;
	}
	if (after) {
		sqlite3_bind_int64(s, 1, c.key);
		sqlite3_bind_int64(s, 2, c.id);
	}
	sqlite3_bind_int64(s, 3, (int64_t)q->limit + 1);
	bind_filter(s, q, f & F_Q ? like : NULL);
	ret = dbi_page_walk(db, s, q->limit, AUDIT_NCOLS, false, audit_row, &w, &more, &last);
	if (ret)
		return ret;
	if (more && next)
		dbi_cursor_encode(next, DBI_TAG_AUDIT, last.id, last.key, NULL);
	if (!total)
		return 0;
	slot = DBI_DYN_AUDIT_COUNT + (int)f;
	s = db->dyn[slot];
	if (!s) {
		text = xasprintf("SELECT count(*) FROM audit WHERE 1%s", where);
		s = dbi_stmt_dyn(db, slot, text);
		free(text);
		if (!s)
			return -EIO;
	}
	bind_filter(s, q, f & F_Q ? like : NULL);
	ret = dbi_int(db, s, &n);
	*total = (uint64_t)n;
	return ret;
}

int db_audit_purge(struct db *db, int64_t before, uint64_t *n)
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
