/* The services catalog in SQLite: a service (name, address, description) and the groups
 * it is offered to; one without groups is every group's. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dbint.h"
#include "../../common/util.h"

#define COLS "id, name, address, description, created"
#define NCOLS 5
/* its groups as "1,4,7", NULL for none */
#define GROUPS "(SELECT group_concat(group_id) FROM service_groups g" \
	" WHERE g.service_id = services.id)"

enum {
	ST_ADD, ST_GET_NAME, ST_UPDATE, ST_CLEAR_GROUPS, ST_ADD_GROUP, ST_DELETE, ST_PAGE,
	ST_PAGE_AFTER, ST_TOTAL, ST_GROUP, ST_SAVEPOINT, ST_RELEASE, ST_ROLLBACK_TO, ST_COUNT
};

static const char *const sql[ST_COUNT] = {
	[ST_ADD] = "INSERT INTO services (name, address, description, created)"
		" VALUES (?1, ?2, ?3, ?4)",
	[ST_GET_NAME] = "SELECT " COLS ", " GROUPS " FROM services WHERE name = ?1",
	[ST_UPDATE] = "UPDATE services SET address = ?2, description = ?3 WHERE id = ?1",
	[ST_CLEAR_GROUPS] = "DELETE FROM service_groups WHERE service_id = ?1",
	[ST_ADD_GROUP] = "INSERT INTO service_groups (service_id, group_id) VALUES (?1, ?2)"
		" ON CONFLICT DO NOTHING",
	[ST_DELETE] = "DELETE FROM services WHERE id = ?1",
	/* keyset pages on the name, which no two rows share */
	[ST_PAGE] = "SELECT " COLS ", " GROUPS ", name AS sort_key FROM services"
		" ORDER BY name LIMIT ?3",
	[ST_PAGE_AFTER] = "SELECT " COLS ", " GROUPS ", name AS sort_key FROM services"
		" WHERE name > ?1 ORDER BY name LIMIT ?3",
	[ST_TOTAL] = "SELECT count(*) FROM services",
	[ST_GROUP] = "SELECT " COLS ", " GROUPS " FROM services"
		" WHERE NOT EXISTS (SELECT 1 FROM service_groups g WHERE g.service_id = services.id)"
		" OR EXISTS (SELECT 1 FROM service_groups g WHERE g.service_id = services.id"
		" AND g.group_id = ?1) ORDER BY name",
	/* a savepoint, not BEGIN: all or nothing inside a caller's transaction too */
	[ST_SAVEPOINT] = "SAVEPOINT service",
	[ST_RELEASE] = "RELEASE service",
	[ST_ROLLBACK_TO] = "ROLLBACK TO service",
};

_Static_assert(ST_COUNT <= DBI_NOUN_STMTS, "too many statements");

#define STMT(db, id) dbi_stmt(db, DBI_SERVICE, id, sql[id])

static int run(struct db *db, int id)
{
	sqlite3_stmt *s = STMT(db, id);

	return s ? dbi_exec(db, s, NULL) : -EIO;
}

static int check(struct db *db, const struct db_service *sv)
{
	size_t i;

	if (!sv->address[0]) {
		dbi_err(db, "service %.*s: no address", DB_NAME_MAX, sv->name);
		return -EINVAL;
	}
	if (dbi_check_text(db, "address", sv->address, sizeof(sv->address)) < 0 ||
	    dbi_check_text(db, "description", sv->description, sizeof(sv->description)) < 0)
		return -EINVAL;
	if (sv->n_groups > DB_SERVICE_GROUPS_MAX) {
		dbi_err(db, "service %.*s: more than %d groups", DB_NAME_MAX, sv->name,
			DB_SERVICE_GROUPS_MAX);
		return -EINVAL;
	}
	for (i = 0; i < sv->n_groups; i++) {
		if (sv->groups[i] <= 0) {
			dbi_err(db, "service %.*s: bad group id", DB_NAME_MAX, sv->name);
			return -EINVAL;
		}
	}
	return 0;
}

/* The groups of service id replaced by sv's; in the caller's savepoint. */
static int put_groups(struct db *db, int64_t id, const struct db_service *sv)
{
	sqlite3_stmt *s = STMT(db, ST_CLEAR_GROUPS);
	size_t i;
	int ret;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	ret = dbi_exec(db, s, NULL);
	for (i = 0; ret == 0 && i < sv->n_groups; i++) {
		s = STMT(db, ST_ADD_GROUP);
		if (!s)
			return -EIO;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, sv->groups[i]);
		ret = dbi_exec(db, s, NULL);
		if (ret == -ENOENT)
			dbi_err(db, "service %.*s: no group %" PRId64, DB_NAME_MAX, sv->name,
				sv->groups[i]);
	}
	return ret;
}

/* End the savepoint: kept when ret is 0, else undone (db->err kept). */
static int finish(struct db *db, int ret)
{
	char err[sizeof(db->err)];

	if (ret == 0)
		return run(db, ST_RELEASE);
	memcpy(err, db->err, sizeof(err));
	run(db, ST_ROLLBACK_TO);
	run(db, ST_RELEASE);
	memcpy(db->err, err, sizeof(err));
	return ret;
}

int db_service_add(struct db *db, const struct db_service *sv, int64_t *id)
{
	sqlite3_stmt *s;
	int64_t new_id = 0;
	int ret = dbi_check_name(db, "service name", sv->name, sizeof(sv->name));

	if (ret < 0 || (ret = check(db, sv)) < 0)
		return ret;
	ret = run(db, ST_SAVEPOINT);
	if (ret < 0)
		return ret;
	s = STMT(db, ST_ADD);
	if (!s)
		return finish(db, -EIO);
	sqlite3_bind_text(s, 1, sv->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, sv->address, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, sv->description, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, sv->created ? sv->created : dbi_now());
	ret = dbi_exec(db, s, NULL);
	if (ret == -EEXIST)
		dbi_err(db, "service %s exists already", sv->name);
	if (ret == 0) {
		new_id = sqlite3_last_insert_rowid(db->sq);
		ret = put_groups(db, new_id, sv);
	}
	ret = finish(db, ret);
	if (ret == 0 && id)
		*id = new_id;
	return ret;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int read_row(struct db *db, sqlite3_stmt *s, struct db_service *sv)
{
	const char *g = (const char *)sqlite3_column_text(s, NCOLS);
	char *end;

	memset(sv, 0, sizeof(*sv));
	sv->id = sqlite3_column_int64(s, 0);
	sv->created = sqlite3_column_int64(s, 4);
	if (dbi_col_text(s, 1, sv->name, sizeof(sv->name)) < 0 ||
	    dbi_col_text(s, 2, sv->address, sizeof(sv->address)) < 0 ||
	    dbi_col_text(s, 3, sv->description, sizeof(sv->description)) < 0)
		goto corrupt;
	while (g && *g) {
		if (sv->n_groups == DB_SERVICE_GROUPS_MAX)
			goto corrupt;
		sv->groups[sv->n_groups++] = strtoll(g, &end, 10);
		if (end == g || (*end && *end != ','))
			goto corrupt;
		g = *end ? end + 1 : end;
	}
	qsort(sv->groups, sv->n_groups, sizeof(sv->groups[0]), cmp_i64);
	return 0;
corrupt:
	dbi_err(db, "service row %" PRId64 " is corrupt", sv->id);
	return -EIO;
}

static int get_one(struct db *db, sqlite3_stmt *s, void *ctx)
{
	return read_row(db, s, ctx);
}

int db_service_get_by_name(struct db *db, const char *name, struct db_service *sv)
{
	sqlite3_stmt *s = STMT(db, ST_GET_NAME);

	if (!s)
		return -EIO;
	dbi_bind_text(s, 1, name);
	return dbi_get_one(db, s, get_one, sv, "service");
}

int db_service_update(struct db *db, const struct db_service *sv)
{
	sqlite3_stmt *s;
	int changes = 0, ret = check(db, sv);

	if (ret < 0 || (ret = run(db, ST_SAVEPOINT)) < 0)
		return ret;
	s = STMT(db, ST_UPDATE);
	if (!s)
		return finish(db, -EIO);
	sqlite3_bind_int64(s, 1, sv->id);
	sqlite3_bind_text(s, 2, sv->address, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, sv->description, -1, SQLITE_STATIC);
	ret = dbi_exec(db, s, &changes);
	if (ret == 0 && changes == 0) {
		dbi_err(db, "no such service");
		ret = -ENOENT;
	}
	if (ret == 0)
		ret = put_groups(db, sv->id, sv);
	return finish(db, ret);
}

int db_service_delete(struct db *db, int64_t id)
{
	sqlite3_stmt *s = STMT(db, ST_DELETE);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	return dbi_exec_one(db, s, "service");
}

struct walk {
	db_service_fn fn;
	void *arg;
};

static int walk_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;
	struct db_service sv;
	int ret = read_row(db, s, &sv);

	return ret ? ret : w->fn(&sv, w->arg);
}

int db_service_query(struct db *db, const struct db_service_query *q, db_service_fn fn,
		     void *arg, uint64_t *total, char next[DB_CURSOR_MAX + 1])
{
	bool after = q->cursor && q->cursor[0], more = false;
	struct walk w = { fn, arg };
	struct dbi_cursor c, last = { 0 };
	sqlite3_stmt *s;
	int64_t n = 0;
	int ret;

	if (total)
		*total = 0;
	if (q->limit < 1 || q->limit > DB_PAGE_MAX) {
		dbi_err(db, "service query: limit %zu out of 1..%d", q->limit, DB_PAGE_MAX);
		return -EINVAL;
	}
	if (after && (ret = dbi_cursor_decode(db, q->cursor, DBI_TAG_SERVICE, true, &c)) < 0)
		return ret;
	if (next)
		next[0] = '\0';
	s = after ? STMT(db, ST_PAGE_AFTER) : STMT(db, ST_PAGE);
	if (!s)
		return -EIO;
	if (after)
		sqlite3_bind_text(s, 1, c.text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (int64_t)q->limit + 1);
	ret = dbi_page_walk(db, s, q->limit, NCOLS + 1, true, walk_row, &w, &more, &last);
	if (ret)
		return ret;
	if (more && next)
		dbi_cursor_encode(next, DBI_TAG_SERVICE, last.id, 0, last.text);
	if (!total)
		return 0;
	s = STMT(db, ST_TOTAL);
	if (!s)
		return -EIO;
	ret = dbi_int(db, s, &n);
	*total = (uint64_t)n;
	return ret;
}

int db_service_list_group(struct db *db, int64_t group_id, db_service_fn fn, void *arg)
{
	sqlite3_stmt *s = STMT(db, ST_GROUP);
	struct walk w = { fn, arg };

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, group_id);
	return dbi_walk(db, s, walk_row, &w);
}
