/* What the storage files share: the connection with its statement caches, and the
 * helpers that bind, read, page and turn SQLite's answers into -errno. */
#ifndef WARREN_DBINT_H
#define WARREN_DBINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "db.h"

/* One statement table per file; each file indexes its own. */
enum dbi_noun {
	DBI_DB, DBI_USER, DBI_DEVICE, DBI_ADDR, DBI_COUNTERS, DBI_SESSION, DBI_GROUP,
	DBI_ADMIN, DBI_AUDIT, DBI_SETTING, DBI_VOUCHER, DBI_ANNOUNCE, DBI_SERVICE, DBI_NOUNS
};
#define DBI_NOUN_STMTS 24

/* Statements put together at run time (filters, sort orders): one slot for each
 * combination, so every one is prepared once and none is ever evicted. */
enum dbi_dyn {
	/* 256: sort, desc, after, q, state, group, address */
	DBI_DYN_USER_PAGE = 0,
	DBI_DYN_USER_COUNT = DBI_DYN_USER_PAGE + 256,   /* 16: q, state, group, address */
	DBI_DYN_SESSION_PAGE = DBI_DYN_USER_COUNT + 16, /* 32: desc, after, q, user, device */
	DBI_DYN_SESSION_COUNT = DBI_DYN_SESSION_PAGE + 32, /* 8: q, user, device */
	DBI_DYN_AUDIT_PAGE = DBI_DYN_SESSION_COUNT + 8,    /* 8: after, q, actor */
	DBI_DYN_AUDIT_COUNT = DBI_DYN_AUDIT_PAGE + 8,      /* 4: q, actor */
	DBI_DYN_COUNT = DBI_DYN_AUDIT_COUNT + 4
};

struct db {
	sqlite3 *sq;
	sqlite3_stmt *stmts[DBI_NOUNS][DBI_NOUN_STMTS];
	sqlite3_stmt *dyn[DBI_DYN_COUNT];
	char err[256];
};

/* The sort key of users without expiry: after every real one. */
#define DBI_NEVER "9223372036854775807"

void dbi_err(struct db *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int dbi_rc_errno(int rc);
/* Keep SQLite's message (the next call changes it) and map rc to -errno. */
int dbi_sql_err(struct db *db, int rc);

/* The cached statement id of a file's table, prepared at first use; NULL with the
 * reason in db->err. */
sqlite3_stmt *dbi_stmt(struct db *db, enum dbi_noun noun, int id, const char *sql);
/* The same for a statement put together at run time; sql is used only when the slot is
 * empty. */
sqlite3_stmt *dbi_stmt_dyn(struct db *db, int slot, const char *sql);
/* Ready for the next use, with no pointer into the caller's buffers kept. */
void dbi_done(sqlite3_stmt *s);
/* Run a statement that returns no rows; *changes (may be NULL) gets the rows touched. */
int dbi_exec(struct db *db, sqlite3_stmt *s, int *changes);
/* The same, and -ENOENT ("no such WHAT") when no row was touched. */
int dbi_exec_one(struct db *db, sqlite3_stmt *s, const char *what);
typedef int (*dbi_row_fn)(struct db *db, sqlite3_stmt *s, void *ctx);
/* row() for each row; a nonzero return stops the walk and is returned. */
int dbi_walk(struct db *db, sqlite3_stmt *s, dbi_row_fn row, void *ctx);
/* row() for the first row, or -ENOENT ("no such WHAT") when there is none. */
int dbi_get_one(struct db *db, sqlite3_stmt *s, dbi_row_fn row, void *ctx, const char *what);
/* The integer in the first column of the first row (0 for NULL). */
int dbi_int(struct db *db, sqlite3_stmt *s, int64_t *v);
int dbi_sql(struct db *db, const char *sql);

void dbi_bind_int_or_null(sqlite3_stmt *s, int i, int64_t v);
void dbi_bind_blob_or_null(sqlite3_stmt *s, int i, const void *p, size_t len);
/* "" binds NULL. */
void dbi_bind_text_or_null(sqlite3_stmt *s, int i, const char *v);
void dbi_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Column col into dst of size bytes ("" for NULL); -EIO when it does not fit. */
int dbi_col_text(sqlite3_stmt *s, int col, char *dst, size_t size);
/* Column col into dst of at most max bytes; *len 0 for NULL; -EIO when too long. */
int dbi_col_blob(sqlite3_stmt *s, int col, uint8_t *dst, size_t max, size_t *len);

/* A name of 1..DB_NAME_MAX bytes held in a buffer of size bytes. */
int dbi_check_name(struct db *db, const char *what, const char *name, size_t size);
/* NULL or shorter than size bytes. */
int dbi_check_text(struct db *db, const char *what, const char *v, size_t size);
/* The LIKE pattern that finds q anywhere, case-insensitively for ASCII, with %, _ and
 * the escape character \ in q taken literally (use with ESCAPE '\'). */
#define DBI_LIKE_MAX (2 * DB_QUERY_MAX + 3)
int dbi_like(struct db *db, const char *q, char out[DBI_LIKE_MAX]);

int64_t dbi_now(void);
/* Local midnight at or before t, and the one after day (DST-correct: 23- and 25-hour
 * days are what mktime makes of them). */
int64_t dbi_day_start(int64_t t);
int64_t dbi_day_next(int64_t day);

/* Keyset paging. A page statement orders by (key, id), ascending or descending, and
 * binds ?1 the cursor's key, ?2 its id and ?3 the row limit (-1: none); the row's last
 * column is the key. Filters use parameters from ?4 on. */
struct dbi_page {
	const char *with;              /* "" or a WITH clause for the whole statement */
	const char *cols;              /* the row's columns; "id" among them */
	const char *table;
	const char *key;               /* the sort expression; never NULL */
	const char *where;             /* "" or filters, each starting " AND " */
	bool desc;
	bool after;                    /* rows after a cursor, else the first page */
	bool unique;                   /* no two rows share a key: id need not break ties */
};
/* The statement's text (free it). Rows with the cursor's key come from an arm of their
 * own, limited on its own, so a page costs its rows, not the rows sharing its key. */
char *dbi_page_sql(const struct dbi_page *p);

/* A cursor names the last row of a page: what it was sorted by (tag), its id and key. */
struct dbi_cursor {
	int64_t id;
	int64_t key;
	char text[DB_NAME_MAX + 1];    /* the key, when it is text */
};
enum {
	DBI_TAG_USER = 0x10, DBI_TAG_SESSION = 0x20, DBI_TAG_AUDIT = 0x30,
	DBI_TAG_VOUCHER = 0x40, DBI_TAG_REDEMPTION = 0x41, DBI_TAG_ANNOUNCE = 0x60,
	DBI_TAG_SERVICE = 0x70,
};
void dbi_cursor_encode(char out[DB_CURSOR_MAX + 1], uint8_t tag, int64_t id, int64_t key,
		       const char *text);
/* -EINVAL, with the reason in db->err, for a cursor this code did not make for tag. */
int dbi_cursor_decode(struct db *db, const char *in, uint8_t tag, bool text,
		      struct dbi_cursor *c);

/* A page in rows: row() for each of the first limit rows (0: all), then *more says
 * whether another row followed and last holds the id (column 0) and key (column key_col)
 * of the last one passed. */
int dbi_page_walk(struct db *db, sqlite3_stmt *s, size_t limit, int key_col, bool text,
		  dbi_row_fn row, void *ctx, bool *more, struct dbi_cursor *last);

#endif
