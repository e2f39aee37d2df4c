/* Voucher batches, their codes (keyed hashes only) and redemptions in SQLite. A use of a
 * code is taken by one conditional UPDATE, so concurrent attempts cannot both have it. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "dbint.h"

/* The batch's columns, then its three counts (on the vouchers_batch index). */
#define BATCH_COLS "id, name, created, created_by, duration, quota_bytes, quota_period," \
	" group_id, expires, uses, revoked"
#define BATCH_COUNTS \
	", (SELECT count(*) FROM vouchers v WHERE v.batch_id = voucher_batches.id)" \
	", (SELECT count(*) FROM vouchers v WHERE v.batch_id = voucher_batches.id AND v.used = 0)" \
	", (SELECT coalesce(sum(v.used), 0) FROM vouchers v WHERE v.batch_id = voucher_batches.id)"
#define BATCH_NCOLS 14
#define REDEMPTION_COLS "id, voucher_id, batch_id, user_name, at, source, created_account"
#define REDEMPTION_NCOLS 7

enum {
	ST_BATCH_ADD, ST_CODE_ADD, ST_GET_NAME, ST_PAGE, ST_PAGE_AFTER, ST_COUNT_BATCHES,
	ST_REVOKE, ST_DELETE, ST_FIND, ST_RESERVE, ST_RELEASE, ST_REDEEMED, ST_USED_BY,
	ST_REDEMPTIONS, ST_REDEMPTIONS_AFTER, ST_STALE, ST_COUNT
};

static const char *const sql[ST_COUNT] = {
	[ST_BATCH_ADD] = "INSERT INTO voucher_batches (name, created, created_by, duration,"
		" quota_bytes, quota_period, group_id, expires, uses, revoked)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_CODE_ADD] = "INSERT INTO vouchers (batch_id, hash) VALUES (?1, ?2)",
	[ST_GET_NAME] = "SELECT " BATCH_COLS BATCH_COUNTS " FROM voucher_batches WHERE name = ?1",
	/* ids only grow (AUTOINCREMENT): newest first is id descending */
	[ST_PAGE] = "SELECT " BATCH_COLS BATCH_COUNTS ", id AS sort_key FROM voucher_batches"
		" ORDER BY id DESC LIMIT ?3",
	[ST_PAGE_AFTER] = "SELECT " BATCH_COLS BATCH_COUNTS ", id AS sort_key FROM voucher_batches"
		" WHERE id < ?1 ORDER BY id DESC LIMIT ?3",
	[ST_COUNT_BATCHES] = "SELECT count(*) FROM voucher_batches",
	[ST_REVOKE] = "UPDATE voucher_batches SET revoked = ?2 WHERE id = ?1",
	[ST_DELETE] = "DELETE FROM voucher_batches WHERE id = ?1",
	[ST_FIND] = "SELECT v.id, v.batch_id, v.used, b.id, b.name, b.created, b.created_by,"
		" b.duration, b.quota_bytes, b.quota_period, b.group_id, b.expires, b.uses, b.revoked"
		" FROM vouchers v JOIN voucher_batches b ON b.id = v.batch_id WHERE v.hash = ?1",
	/* the check and the use in one statement: of attempts at once, one wins each use */
	[ST_RESERVE] = "UPDATE vouchers SET used = used + 1 WHERE id = ?1 AND used <"
		" (SELECT b.uses FROM voucher_batches b WHERE b.id = vouchers.batch_id"
		" AND b.revoked IS NULL AND (b.expires IS NULL OR b.expires > ?2))",
	[ST_RELEASE] = "UPDATE vouchers SET used = used - 1 WHERE id = ?1 AND used > 0",
	[ST_REDEEMED] = "INSERT INTO voucher_redemptions (voucher_id, batch_id, user_name, at,"
		" source, created_account)"
		" SELECT ?1, batch_id, ?2, ?3, ?4, ?5 FROM vouchers WHERE id = ?1",
	[ST_USED_BY] = "SELECT EXISTS (SELECT 1 FROM voucher_redemptions WHERE voucher_id = ?1"
		" AND user_name = ?2)",
	[ST_REDEMPTIONS] = "SELECT " REDEMPTION_COLS ", id AS sort_key FROM voucher_redemptions"
		" WHERE batch_id = ?4 ORDER BY id DESC LIMIT ?3",
	[ST_REDEMPTIONS_AFTER] = "SELECT " REDEMPTION_COLS ", id AS sort_key"
		" FROM voucher_redemptions WHERE batch_id = ?4 AND id < ?1 ORDER BY id DESC LIMIT ?3",
#define REDEEMED_OF "(SELECT count(*) FROM voucher_redemptions r WHERE r.voucher_id = vouchers.id)"
	[ST_STALE] = "UPDATE vouchers SET used = " REDEEMED_OF
		" WHERE used > 0 AND used <> " REDEEMED_OF,
#undef REDEEMED_OF
};

_Static_assert(ST_COUNT <= DBI_NOUN_STMTS, "too many statements");

#define STMT(db, id) dbi_stmt(db, DBI_VOUCHER, id, sql[id])

static const char *period_name(enum db_quota_period p)
{
	return p == DB_QUOTA_MONTH ? "month" : "total";
}

int db_voucher_batch_add(struct db *db, const struct db_voucher_batch *b,
			 const uint8_t (*hashes)[DB_HASH_LEN], size_t n, int64_t *id)
{
	sqlite3_stmt *s;
	int64_t bid;
	size_t i;
	int ret;

	if (dbi_check_name(db, "batch name", b->name, sizeof(b->name)) < 0 ||
	    dbi_check_text(db, "batch creator", b->created_by, sizeof(b->created_by)) < 0)
		return -EINVAL;
	if (n == 0 || b->uses < 1 || b->duration < 0 || b->quota_bytes > INT64_MAX) {
		dbi_err(db, "batch %s: no codes, no uses or a value out of range", b->name);
		return -EINVAL;
	}
	ret = db_begin(db);
	if (ret < 0)
		return ret;
	s = STMT(db, ST_BATCH_ADD);
	if (!s) {
		ret = -EIO;
		goto fail;
	}
	dbi_bind_text(s, 1, b->name);
	sqlite3_bind_int64(s, 2, b->created ? b->created : dbi_now());
	dbi_bind_text(s, 3, b->created_by);
	dbi_bind_int_or_null(s, 4, b->duration);
	dbi_bind_int_or_null(s, 5, (int64_t)b->quota_bytes);
	sqlite3_bind_text(s, 6, period_name(b->quota_period), -1, SQLITE_STATIC);
	dbi_bind_int_or_null(s, 7, b->group_id);
	dbi_bind_int_or_null(s, 8, b->expires);
	sqlite3_bind_int(s, 9, b->uses);
	dbi_bind_int_or_null(s, 10, b->revoked);
	ret = dbi_exec(db, s, NULL);
	if (ret == -EEXIST) {
		dbi_err(db, "batch %s exists already", b->name);
		goto fail;
	}
	if (ret == -ENOENT)
		dbi_err(db, "batch %s: no such group", b->name);
	if (ret < 0)
		goto fail;
	bid = sqlite3_last_insert_rowid(db->sq);
	s = STMT(db, ST_CODE_ADD);
	if (!s) {
		ret = -EIO;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(s, 1, bid);
		sqlite3_bind_blob(s, 2, hashes[i], DB_HASH_LEN, SQLITE_STATIC);
		ret = dbi_exec(db, s, NULL);
		if (ret == -EEXIST)
			dbi_err(db, "batch %s: code %zu: its hash is stored already", b->name, i + 1);
		if (ret < 0)
			goto fail;
	}
	ret = db_commit(db);
	if (ret < 0)
		goto fail;
	if (id)
		*id = bid;
	return 0;
fail:
	{
		/* the message of what failed, not of the rollback */
		char keep[sizeof(db->err)];

		memcpy(keep, db->err, sizeof(keep));
		db_rollback(db);
		memcpy(db->err, keep, sizeof(keep));
	}
	return ret;
}

/* The batch's columns from col on. */
static int batch_cols(struct db *db, sqlite3_stmt *s, int col, struct db_voucher_batch *b)
{
	const char *period;

	memset(b, 0, sizeof(*b));
	b->id = sqlite3_column_int64(s, col);
	b->created = sqlite3_column_int64(s, col + 2);
	b->duration = sqlite3_column_int64(s, col + 4);
	b->quota_bytes = (uint64_t)sqlite3_column_int64(s, col + 5);
	period = (const char *)sqlite3_column_text(s, col + 6);
	b->quota_period = period && strcmp(period, "month") == 0 ? DB_QUOTA_MONTH : DB_QUOTA_TOTAL;
	b->group_id = sqlite3_column_int64(s, col + 7);
	b->expires = sqlite3_column_int64(s, col + 8);
	b->uses = sqlite3_column_int(s, col + 9);
	b->revoked = sqlite3_column_int64(s, col + 10);
	if (dbi_col_text(s, col + 1, b->name, sizeof(b->name)) < 0 ||
	    dbi_col_text(s, col + 3, b->created_by, sizeof(b->created_by)) < 0) {
		dbi_err(db, "voucher batch row %" PRId64 " is corrupt", b->id);
		return -EIO;
	}
	return 0;
}

static int batch_one(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct db_voucher_batch *b = ctx;
	int ret = batch_cols(db, s, 0, b);

	b->codes = (uint64_t)sqlite3_column_int64(s, 11);
	b->unused = (uint64_t)sqlite3_column_int64(s, 12);
	b->redeemed = (uint64_t)sqlite3_column_int64(s, 13);
	return ret;
}

int db_voucher_batch_get_by_name(struct db *db, const char *name, struct db_voucher_batch *b)
{
	sqlite3_stmt *s = STMT(db, ST_GET_NAME);

	if (!s)
		return -EIO;
	dbi_bind_text(s, 1, name);
	return dbi_get_one(db, s, batch_one, b, "voucher batch");
}

struct batch_walk {
	db_voucher_batch_fn fn;
	void *arg;
};

static int batch_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct batch_walk *w = ctx;
	struct db_voucher_batch b;
	int ret = batch_one(db, s, &b);

	return ret ? ret : w->fn(&b, w->arg);
}

/* A page by id, newest first: the statements bind ?1 the cursor's id, ?3 the limit and
 * ?4 (bind, when given) a filter; the key column is the id again. */
static int id_page(struct db *db, int first, int after, uint8_t tag, size_t limit,
		   const char *cursor, int key_col, int64_t filter, dbi_row_fn row, void *ctx,
		   char next[DB_CURSOR_MAX + 1])
{
	bool more = false, is_after = cursor && cursor[0];
	struct dbi_cursor c, last = { 0 };
	sqlite3_stmt *s;
	int ret;

	if (limit < 1 || limit > DB_PAGE_MAX) {
		dbi_err(db, "limit %zu out of 1..%d", limit, DB_PAGE_MAX);
		return -EINVAL;
	}
	if (is_after && (ret = dbi_cursor_decode(db, cursor, tag, false, &c)) < 0)
		return ret;
	/* next may be the buffer the cursor came in */
	if (next)
		next[0] = '\0';
	s = STMT(db, is_after ? after : first);
	if (!s)
		return -EIO;
	if (is_after)
		sqlite3_bind_int64(s, 1, c.id);
	sqlite3_bind_int64(s, 3, (int64_t)limit + 1);
	if (filter)
		sqlite3_bind_int64(s, 4, filter);
	ret = dbi_page_walk(db, s, limit, key_col, false, row, ctx, &more, &last);
	if (ret == 0 && more && next)
		dbi_cursor_encode(next, tag, last.id, last.id, NULL);
	return ret;
}

int db_voucher_batch_query(struct db *db, size_t limit, const char *cursor,
			   db_voucher_batch_fn fn, void *arg, uint64_t *total,
			   char next[DB_CURSOR_MAX + 1])
{
	struct batch_walk w = { fn, arg };
	sqlite3_stmt *s;
	int64_t n = 0;
	int ret;

	if (total)
		*total = 0;
	ret = id_page(db, ST_PAGE, ST_PAGE_AFTER, DBI_TAG_VOUCHER, limit, cursor, BATCH_NCOLS, 0,
		      batch_row, &w, next);
	if (ret || !total)
		return ret;
	s = STMT(db, ST_COUNT_BATCHES);
	if (!s)
		return -EIO;
	ret = dbi_int(db, s, &n);
	*total = (uint64_t)n;
	return ret;
}

int db_voucher_batch_revoke(struct db *db, int64_t id, int64_t at)
{
	sqlite3_stmt *s = STMT(db, ST_REVOKE);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	dbi_bind_int_or_null(s, 2, at);
	return dbi_exec_one(db, s, "voucher batch");
}

int db_voucher_batch_delete(struct db *db, int64_t id)
{
	sqlite3_stmt *s = STMT(db, ST_DELETE);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	return dbi_exec_one(db, s, "voucher batch");
}

struct find_ctx {
	struct db_voucher *v;
	struct db_voucher_batch *b;
};

static int find_one(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct find_ctx *f = ctx;

	f->v->id = sqlite3_column_int64(s, 0);
	f->v->batch_id = sqlite3_column_int64(s, 1);
	f->v->used = sqlite3_column_int(s, 2);
	return batch_cols(db, s, 3, f->b);
}

int db_voucher_find(struct db *db, const uint8_t hash[DB_HASH_LEN], struct db_voucher *v,
		    struct db_voucher_batch *b)
{
	sqlite3_stmt *s = STMT(db, ST_FIND);
	struct find_ctx f = { v, b };

	if (!s)
		return -EIO;
	memset(v, 0, sizeof(*v));
	sqlite3_bind_blob(s, 1, hash, DB_HASH_LEN, SQLITE_STATIC);
	return dbi_get_one(db, s, find_one, &f, "voucher");
}

int db_voucher_reserve(struct db *db, int64_t id, int64_t now)
{
	sqlite3_stmt *s = STMT(db, ST_RESERVE);
	int changes = 0, ret;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	ret = dbi_exec(db, s, &changes);
	if (ret == 0 && changes == 0) {
		dbi_err(db, "voucher %" PRId64 ": no use left, revoked or expired", id);
		ret = -EPERM;
	}
	return ret;
}

int db_voucher_release(struct db *db, int64_t id)
{
	sqlite3_stmt *s = STMT(db, ST_RELEASE);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	return dbi_exec_one(db, s, "reserved voucher");
}

int db_voucher_redeemed(struct db *db, const struct db_voucher_redemption *r)
{
	sqlite3_stmt *s;

	if (dbi_check_name(db, "user name", r->user_name, sizeof(r->user_name)) < 0 ||
	    dbi_check_text(db, "source", r->source, sizeof(r->source)) < 0)
		return -EINVAL;
	s = STMT(db, ST_REDEEMED);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, r->voucher_id);
	dbi_bind_text(s, 2, r->user_name);
	sqlite3_bind_int64(s, 3, r->at ? r->at : dbi_now());
	dbi_bind_text(s, 4, r->source);
	sqlite3_bind_int(s, 5, r->created_account ? 1 : 0);
	return dbi_exec_one(db, s, "voucher");
}

int db_voucher_used_by(struct db *db, int64_t voucher_id, const char *user_name, bool *yes)
{
	sqlite3_stmt *s = STMT(db, ST_USED_BY);
	int64_t v = 0;
	int ret;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, voucher_id);
	dbi_bind_text(s, 2, user_name);
	ret = dbi_int(db, s, &v);
	*yes = v != 0;
	return ret;
}

struct redemption_walk {
	db_redemption_fn fn;
	void *arg;
};

static int redemption_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct redemption_walk *w = ctx;
	struct db_voucher_redemption r = {
		.id = sqlite3_column_int64(s, 0),
		.voucher_id = sqlite3_column_int64(s, 1),
		.batch_id = sqlite3_column_int64(s, 2),
		.at = sqlite3_column_int64(s, 4),
		.created_account = sqlite3_column_int(s, 6) != 0,
	};

	if (dbi_col_text(s, 3, r.user_name, sizeof(r.user_name)) < 0 ||
	    dbi_col_text(s, 5, r.source, sizeof(r.source)) < 0) {
		dbi_err(db, "voucher redemption row %" PRId64 " is corrupt", r.id);
		return -EIO;
	}
	return w->fn(&r, w->arg);
}

int db_voucher_redemptions(struct db *db, int64_t batch_id, size_t limit, const char *cursor,
			   db_redemption_fn fn, void *arg, char next[DB_CURSOR_MAX + 1])
{
	struct redemption_walk w = { fn, arg };

	return id_page(db, ST_REDEMPTIONS, ST_REDEMPTIONS_AFTER, DBI_TAG_REDEMPTION, limit, cursor,
		       REDEMPTION_NCOLS, batch_id ? batch_id : -1, redemption_row, &w, next);
}

int db_voucher_release_stale(struct db *db, uint64_t *n)
{
	sqlite3_stmt *s = STMT(db, ST_STALE);
	int changes = 0, ret;

	if (!s)
		return -EIO;
	ret = dbi_exec(db, s, &changes);
	if (n)
		*n = ret == 0 ? (uint64_t)changes : 0;
	return ret;
}
