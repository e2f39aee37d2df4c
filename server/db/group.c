/* User groups in SQLite; the default group always exists. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "dbint.h"

enum {
	ST_ADD, ST_GET, ST_GET_NAME, ST_LIST, ST_USERS, ST_SERVICES, ST_LISTS, ST_DELETE, ST_SET,
	ST_COUNT
};

/* columns 4 on: the policy, NULL where the file's default holds */
#define POLICY_COLS "destinations, schedule, sources, rate, isolate, portal_login, idle_s, max_maps"

/* members, counted on the users_group index */
#define USERS "(SELECT COUNT(*) FROM users WHERE group_id = groups.id)"

static const char *const sql[ST_COUNT] = {
	[ST_ADD] = "INSERT INTO groups (name, created) VALUES (?1, ?2)",
	/* looked up for every user shown: no count here */
	[ST_GET] = "SELECT id, name, created, -1, " POLICY_COLS " FROM groups WHERE id = ?1",
	[ST_GET_NAME] = "SELECT id, name, created, -1, " POLICY_COLS " FROM groups WHERE name = ?1",
	[ST_LIST] = "SELECT id, name, created, " USERS ", " POLICY_COLS " FROM groups ORDER BY id",
	[ST_USERS] = "SELECT EXISTS (SELECT 1 FROM users WHERE group_id = ?1)",
	[ST_SERVICES] = "SELECT EXISTS (SELECT 1 FROM service_groups WHERE group_id = ?1)",
	[ST_LISTS] = "SELECT EXISTS (SELECT 1 FROM dns_list_groups WHERE group_id = ?1)",
	[ST_DELETE] = "DELETE FROM groups WHERE id = ?1",
	[ST_SET] = "UPDATE groups SET destinations = ?2, schedule = ?3, sources = ?4, rate = ?5,"
		" isolate = ?6, portal_login = ?7, idle_s = ?8, max_maps = ?9 WHERE id = ?1",
};

_Static_assert(ST_COUNT <= DBI_NOUN_STMTS, "too many statements");

#define STMT(db, id) dbi_stmt(db, DBI_GROUP, id, sql[id])

int db_group_add(struct db *db, const char *name, int64_t *id)
{
	sqlite3_stmt *s;
	int ret = dbi_check_name(db, "group name", name, DB_NAME_MAX + 1);

	if (ret < 0)
		return ret;
	s = STMT(db, ST_ADD);
	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, dbi_now());
	ret = dbi_exec(db, s, NULL);
	if (ret == 0 && id)
		*id = sqlite3_last_insert_rowid(db->sq);
	else if (ret == -EEXIST)
		dbi_err(db, "group %s exists already", name);
	return ret;
}

static bool has(sqlite3_stmt *s, int col)
{
	return sqlite3_column_type(s, col) != SQLITE_NULL;
}

static int policy_cols(sqlite3_stmt *s, int c, struct db_group_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->has_destinations = has(s, c);
	p->has_schedule = has(s, c + 1);
	p->has_sources = has(s, c + 2);
	p->has_rate = has(s, c + 3);
	p->has_isolate = has(s, c + 4);
	p->has_portal_login = has(s, c + 5);
	p->has_idle = has(s, c + 6);
	p->has_max_maps = has(s, c + 7);
	p->isolate = sqlite3_column_int(s, c + 4) != 0;
	p->portal_login = sqlite3_column_int(s, c + 5) != 0;
	p->idle_s = sqlite3_column_int64(s, c + 6);
	p->max_maps = sqlite3_column_int64(s, c + 7);
	if (dbi_col_text(s, c, p->destinations, sizeof(p->destinations)) < 0 ||
	    dbi_col_text(s, c + 1, p->schedule, sizeof(p->schedule)) < 0 ||
	    dbi_col_text(s, c + 2, p->sources, sizeof(p->sources)) < 0 ||
	    dbi_col_text(s, c + 3, p->rate, sizeof(p->rate)) < 0)
		return -EIO;
	return 0;
}

static int group_one(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct db_group *g = ctx;

	g->id = sqlite3_column_int64(s, 0);
	g->created = sqlite3_column_int64(s, 2);
	g->users = sqlite3_column_int64(s, 3);
	if (dbi_col_text(s, 1, g->name, sizeof(g->name)) < 0 || policy_cols(s, 4, &g->policy) < 0) {
		dbi_err(db, "group row %" PRId64 " is corrupt", g->id);
		return -EIO;
	}
	return 0;
}

int db_group_get(struct db *db, int64_t id, struct db_group *g)
{
	sqlite3_stmt *s = STMT(db, ST_GET);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	return dbi_get_one(db, s, group_one, g, "group");
}

int db_group_get_by_name(struct db *db, const char *name, struct db_group *g)
{
	sqlite3_stmt *s = STMT(db, ST_GET_NAME);

	if (!s)
		return -EIO;
	dbi_bind_text(s, 1, name);
	return dbi_get_one(db, s, group_one, g, "group");
}

struct group_walk {
	db_group_fn fn;
	void *arg;
};

static int group_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct group_walk *w = ctx;
	struct db_group g;
	int ret = group_one(db, s, &g);

	return ret ? ret : w->fn(&g, w->arg);
}

int db_group_list(struct db *db, db_group_fn fn, void *arg)
{
	sqlite3_stmt *s = STMT(db, ST_LIST);
	struct group_walk w = { fn, arg };

	if (!s)
		return -EIO;
	return dbi_walk(db, s, group_row, &w);
}

/* Is there a row of what in the statement's answer for group id? */
static int group_used(struct db *db, int st, int64_t id, bool *used)
{
	sqlite3_stmt *s = STMT(db, st);
	int64_t v = 0;
	int ret;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	ret = dbi_int(db, s, &v);
	*used = v != 0;
	return ret;
}

int db_group_delete(struct db *db, int64_t id)
{
	sqlite3_stmt *s;
	bool users = false, services = false, lists = false;
	int changes = 0, ret;

	if (id == DB_GROUP_DEFAULT) {
		dbi_err(db, "the default group stays");
		return -EBUSY;
	}
	if ((ret = group_used(db, ST_USERS, id, &users)) < 0 ||
	    (ret = group_used(db, ST_SERVICES, id, &services)) < 0 ||
	    (ret = group_used(db, ST_LISTS, id, &lists)) < 0)
		return ret;
	/* A service or a block list for it alone would become everyone's: its groups
	 * change first. */
	if (users || services || lists) {
		dbi_err(db, users ? "still has users" : services ?
			"is named by services (change their groups first)" :
			"is named by DNS block lists (change their groups first)");
		return -EBUSY;
	}
	s = STMT(db, ST_DELETE);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	ret = dbi_exec(db, s, &changes);
	if (ret == -ENOENT) {
		/* another process gave it a user, a service or a list since the check */
		dbi_err(db, "still has users, services or DNS block lists");
		return -EBUSY;
	}
	if (ret == 0 && changes == 0) {
		dbi_err(db, "no such group");
		ret = -ENOENT;
	}
	return ret;
}

/* Text that is set is bound even when empty: "" is a value, NULL inheritance. */
static void bind_text_if(sqlite3_stmt *s, int i, bool set, const char *v)
{
	if (set)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

int db_group_set(struct db *db, int64_t id, const struct db_group_policy *p)
{
	sqlite3_stmt *s;
	int ret;

	if ((p->has_idle && (p->idle_s < 0 || p->idle_s > UINT32_MAX)) ||
	    (p->has_max_maps && (p->max_maps < 0 || p->max_maps > 65535))) {
		dbi_err(db, "group %" PRId64 ": idle or max_maps out of range", id);
		return -EINVAL;
	}
	if ((ret = dbi_check_text(db, "destinations", p->destinations, sizeof(p->destinations))) ||
	    (ret = dbi_check_text(db, "schedule", p->schedule, sizeof(p->schedule))) ||
	    (ret = dbi_check_text(db, "sources", p->sources, sizeof(p->sources))) ||
	    (ret = dbi_check_text(db, "rate", p->rate, sizeof(p->rate))))
		return ret;
	s = STMT(db, ST_SET);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	bind_text_if(s, 2, p->has_destinations, p->destinations);
	bind_text_if(s, 3, p->has_schedule, p->schedule);
	bind_text_if(s, 4, p->has_sources, p->sources);
	bind_text_if(s, 5, p->has_rate, p->rate);
	if (p->has_isolate)
		sqlite3_bind_int(s, 6, p->isolate);
	if (p->has_portal_login)
		sqlite3_bind_int(s, 7, p->portal_login);
	if (p->has_idle)
		sqlite3_bind_int64(s, 8, p->idle_s);
	if (p->has_max_maps)
		sqlite3_bind_int64(s, 9, p->max_maps);
	return dbi_exec_one(db, s, "group");
}
