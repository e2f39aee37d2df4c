/* Announcements in SQLite: the admins' list, newest first, and each user's feed (its
 * group's and everyone's, until their end), with the user's read marks. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dbint.h"
#include "../../common/util.h"

#define COLS "id, title, text, group_id, pinned, until, created, updated, author"
#define NCOLS 9
/* who read it, on the announcement_reads_announcement index */
#define READS "(SELECT count(*) FROM announcement_reads r WHERE r.announcement_id = announcements.id)"
/* in the feed of user ?1 of group ?2 at ?3 */
#define VISIBLE "(group_id IS NULL OR group_id = ?2) AND (until IS NULL OR until > ?3)"
#define IS_READ "EXISTS (SELECT 1 FROM announcement_reads r WHERE r.user_id = ?1" \
	" AND r.announcement_id = announcements.id)"

enum {
	ST_ADD, ST_GET, ST_UPDATE, ST_DELETE, ST_PAGE, ST_PAGE_AFTER, ST_TOTAL, ST_FEED,
	ST_FEED_COUNT, ST_READ_COUNT, ST_VISIBLE, ST_MARK, ST_COUNT
};

static const char *const sql[ST_COUNT] = {
	[ST_ADD] = "INSERT INTO announcements (title, text, group_id, pinned, until, created,"
		" updated, author) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_GET] = "SELECT " COLS ", " READS " FROM announcements WHERE id = ?1",
	[ST_UPDATE] = "UPDATE announcements SET title = ?2, text = ?3, group_id = ?4, pinned = ?5,"
		" until = ?6, updated = ?7 WHERE id = ?1",
	[ST_DELETE] = "DELETE FROM announcements WHERE id = ?1",
	/* keyset pages on the id, which no two rows share: ?1 the cursor's, ?3 the limit */
	[ST_PAGE] = "SELECT " COLS ", " READS ", id AS sort_key FROM announcements"
		" ORDER BY id DESC LIMIT ?3",
	[ST_PAGE_AFTER] = "SELECT " COLS ", " READS ", id AS sort_key FROM announcements"
		" WHERE id < ?1 ORDER BY id DESC LIMIT ?3",
	[ST_TOTAL] = "SELECT count(*) FROM announcements",
	[ST_FEED] = "SELECT " COLS ", " IS_READ " FROM announcements WHERE " VISIBLE
		" ORDER BY pinned DESC, created DESC, id DESC LIMIT ?4",
	[ST_FEED_COUNT] = "SELECT count(*) FROM announcements WHERE " VISIBLE,
	/* from the user's own marks (its rows of the primary key), not a probe per
	 * announcement: the event streams count this for each user they tell */
	[ST_READ_COUNT] = "SELECT count(*) FROM announcement_reads r JOIN announcements a"
		" ON a.id = r.announcement_id WHERE r.user_id = ?1"
		" AND (a.group_id IS NULL OR a.group_id = ?2) AND (a.until IS NULL OR a.until > ?3)",
	[ST_VISIBLE] = "SELECT EXISTS (SELECT 1 FROM announcements WHERE id = ?4 AND " VISIBLE ")",
	[ST_MARK] = "INSERT INTO announcement_reads (user_id, announcement_id, at)"
		" VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
};

_Static_assert(ST_COUNT <= DBI_NOUN_STMTS, "too many statements");

#define STMT(db, id) dbi_stmt(db, DBI_ANNOUNCE, id, sql[id])

void db_announcement_clear(struct db_announcement *a)
{
	free(a->text);
	a->text = NULL;
}

static int check(struct db *db, const struct db_announcement *a)
{
	if (!a->title[0] || !a->text || !a->text[0] || a->group_id < 0 || a->until < 0) {
		dbi_err(db, "announcement: empty title or text, or a bad group or end");
		return -EINVAL;
	}
	if (dbi_check_text(db, "title", a->title, sizeof(a->title)) < 0 ||
	    dbi_check_text(db, "text", a->text, DB_TEXT_MAX + 1) < 0)
		return -EINVAL;
	return 0;
}

/* ?2 title, ?3 text, ?4 group, ?5 pinned, ?6 until, shifted by off for the insert */
static void bind_common(sqlite3_stmt *s, int off, const struct db_announcement *a)
{
	sqlite3_bind_text(s, 2 + off, a->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3 + off, a->text, -1, SQLITE_STATIC);
	dbi_bind_int_or_null(s, 4 + off, a->group_id);
	sqlite3_bind_int(s, 5 + off, a->pinned);
	dbi_bind_int_or_null(s, 6 + off, a->until);
}

int db_announcement_add(struct db *db, const struct db_announcement *a, int64_t *id)
{
	int64_t now = dbi_now();
	sqlite3_stmt *s;
	int ret = check(db, a);

	if (ret < 0)
		return ret;
	if (!a->author[0] || dbi_check_text(db, "author", a->author, sizeof(a->author)) < 0) {
		dbi_err(db, "announcement: no author");
		return -EINVAL;
	}
	s = STMT(db, ST_ADD);
	if (!s)
		return -EIO;
	bind_common(s, -1, a);
	sqlite3_bind_int64(s, 6, a->created ? a->created : now);
	sqlite3_bind_int64(s, 7, a->created ? a->created : now);
	sqlite3_bind_text(s, 8, a->author, -1, SQLITE_STATIC);
	ret = dbi_exec(db, s, NULL);
	if (ret == 0 && id)
		*id = sqlite3_last_insert_rowid(db->sq);
	else if (ret == -ENOENT)
		dbi_err(db, "announcement: no group %" PRId64, a->group_id);
	return ret;
}

/* Columns 0..NCOLS-1 into a; the text points into the row (copied by get). */
static int read_row(struct db *db, sqlite3_stmt *s, struct db_announcement *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(s, 0);
	a->text = (char *)sqlite3_column_text(s, 2);
	a->group_id = sqlite3_column_int64(s, 3);
	a->pinned = sqlite3_column_int(s, 4) != 0;
	a->until = sqlite3_column_int64(s, 5);
	a->created = sqlite3_column_int64(s, 6);
	a->updated = sqlite3_column_int64(s, 7);
	if (!a->text || dbi_col_text(s, 1, a->title, sizeof(a->title)) < 0 ||
	    dbi_col_text(s, 8, a->author, sizeof(a->author)) < 0) {
		dbi_err(db, "announcement row %" PRId64 " is corrupt", a->id);
		a->text = NULL;
		return -EIO;
	}
	return 0;
}

static int get_one(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct db_announcement *a = ctx;
	int ret = read_row(db, s, a);

	if (ret < 0)
		return ret;
	a->reads = (uint64_t)sqlite3_column_int64(s, NCOLS);
	a->text = xstrdup(a->text);
	return 0;
}

int db_announcement_get(struct db *db, int64_t id, struct db_announcement *a)
{
	sqlite3_stmt *s = STMT(db, ST_GET);

	a->text = NULL;
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	return dbi_get_one(db, s, get_one, a, "announcement");
}

int db_announcement_update(struct db *db, const struct db_announcement *a)
{
	sqlite3_stmt *s;
	int changes = 0, ret = check(db, a);

	if (ret < 0)
		return ret;
	s = STMT(db, ST_UPDATE);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, a->id);
	bind_common(s, 0, a);
	sqlite3_bind_int64(s, 7, a->updated ? a->updated : dbi_now());
	ret = dbi_exec(db, s, &changes);
	if (ret == -ENOENT)
		dbi_err(db, "announcement %" PRId64 ": no group %" PRId64, a->id, a->group_id);
	else if (ret == 0 && changes == 0) {
		dbi_err(db, "no such announcement");
		ret = -ENOENT;
	}
	return ret;
}

int db_announcement_delete(struct db *db, int64_t id)
{
	sqlite3_stmt *s = STMT(db, ST_DELETE);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	return dbi_exec_one(db, s, "announcement");
}

struct walk {
	db_announcement_fn fn;
	void *arg;
	bool feed;                  /* the column after the row: read (else reads) */
};

static int walk_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;
	struct db_announcement a;
	int ret = read_row(db, s, &a);

	if (ret < 0)
		return ret;
	if (w->feed)
		a.read = sqlite3_column_int(s, NCOLS) != 0;
	else
		a.reads = (uint64_t)sqlite3_column_int64(s, NCOLS);
	return w->fn(&a, w->arg);
}

int db_announcement_query(struct db *db, const struct db_announcement_query *q,
			  db_announcement_fn fn, void *arg, uint64_t *total,
			  char next[DB_CURSOR_MAX + 1])
{
	bool after = q->cursor && q->cursor[0], more = false;
	struct walk w = { fn, arg, false };
	struct dbi_cursor c, last = { 0 };
	sqlite3_stmt *s;
	int64_t n = 0;
	int ret;

	if (total)
		*total = 0;
	if (q->limit < 1 || q->limit > DB_PAGE_MAX) {
		dbi_err(db, "announcement query: limit %zu out of 1..%d", q->limit, DB_PAGE_MAX);
		return -EINVAL;
	}
	if (after && (ret = dbi_cursor_decode(db, q->cursor, DBI_TAG_ANNOUNCE, false, &c)) < 0)
		return ret;
	/* next may be the buffer the cursor came in */
	if (next)
		next[0] = '\0';
	s = after ? STMT(db, ST_PAGE_AFTER) : STMT(db, ST_PAGE);
	if (!s)
		return -EIO;
	if (after)
		sqlite3_bind_int64(s, 1, c.key);
	sqlite3_bind_int64(s, 3, (int64_t)q->limit + 1);
	ret = dbi_page_walk(db, s, q->limit, NCOLS + 1, false, walk_row, &w, &more, &last);
	if (ret)
		return ret;
	if (more && next)
		dbi_cursor_encode(next, DBI_TAG_ANNOUNCE, last.id, last.key, NULL);
	if (!total)
		return 0;
	s = STMT(db, ST_TOTAL);
	if (!s)
		return -EIO;
	ret = dbi_int(db, s, &n);
	*total = (uint64_t)n;
	return ret;
}

static void bind_feed(sqlite3_stmt *s, const struct db_feed *f)
{
	sqlite3_bind_int64(s, 1, f->user_id);
	sqlite3_bind_int64(s, 2, f->group_id);
	sqlite3_bind_int64(s, 3, f->now);
}

static int feed_int(struct db *db, int st, const struct db_feed *f, uint64_t *v)
{
	sqlite3_stmt *s = STMT(db, st);
	int64_t n = 0;
	int ret;

	if (!s)
		return -EIO;
	bind_feed(s, f);
	ret = dbi_int(db, s, &n);
	*v = (uint64_t)n;
	return ret;
}

int db_announcement_read_count(struct db *db, const struct db_feed *f, uint64_t *read)
{
	return feed_int(db, ST_READ_COUNT, f, read);
}

int db_announcement_count(struct db *db, const struct db_feed *f, uint64_t *total,
			  uint64_t *unread)
{
	uint64_t all = 0, read = 0;
	int ret = feed_int(db, ST_FEED_COUNT, f, &all);

	if (ret == 0 && unread)
		ret = db_announcement_read_count(db, f, &read);
	if (ret < 0)
		return ret;
	if (total)
		*total = all;
	if (unread)
		*unread = all > read ? all - read : 0;
	return 0;
}

int db_announcement_feed(struct db *db, const struct db_feed *f, db_announcement_fn fn,
			 void *arg, uint64_t *total, uint64_t *unread)
{
	struct walk w = { fn, arg, true };
	sqlite3_stmt *s;
	int ret;

	if (f->limit < 1 || f->limit > DB_PAGE_MAX) {
		dbi_err(db, "feed: limit %zu out of 1..%d", f->limit, DB_PAGE_MAX);
		return -EINVAL;
	}
	s = STMT(db, ST_FEED);
	if (!s)
		return -EIO;
	bind_feed(s, f);
	sqlite3_bind_int64(s, 4, (int64_t)f->limit);
	ret = dbi_walk(db, s, walk_row, &w);
	if (ret || (!total && !unread))
		return ret;
	return db_announcement_count(db, f, total, unread);
}

int db_announcement_read(struct db *db, const struct db_feed *f, int64_t id, bool *added)
{
	sqlite3_stmt *s = STMT(db, ST_VISIBLE);
	int64_t visible = 0;
	int changes = 0, ret;

	if (added)
		*added = false;
	if (!s)
		return -EIO;
	bind_feed(s, f);
	sqlite3_bind_int64(s, 4, id);
	ret = dbi_int(db, s, &visible);
	if (ret < 0)
		return ret;
	if (!visible) {
		dbi_err(db, "no such announcement in the feed");
		return -ENOENT;
	}
	s = STMT(db, ST_MARK);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, f->user_id);
	sqlite3_bind_int64(s, 2, id);
	sqlite3_bind_int64(s, 3, f->now);
	ret = dbi_exec(db, s, &changes);
	if (ret == -ENOENT)
		dbi_err(db, "no such announcement or user");
	if (ret == 0 && added)
		*added = changes > 0;
	return ret;
}
