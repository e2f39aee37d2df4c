/* The resolver's tables in SQLite (schema 7): internal records, custom rules, block lists
 * and their groups, the query log with interned names, and its hourly roll-ups.
 *
 * Statements are prepared per call (and once per batch for the log's inserts): this file
 * has no slot in dbint.h's statement table, and none of its calls is frequent enough for
 * a prepare to matter next to the work it does. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbint.h"
#include "../../common/util.h"

/* a log page's cursor: not one of dbint.h's tags */
#define TAG_DNS_LOG 0x80

static sqlite3_stmt *prep(struct db *db, const char *text)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->sq, text, -1, &s, NULL);

	if (rc != SQLITE_OK) {
		dbi_sql_err(db, rc);
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

/* dbi_exec, then the statement goes */
static int exec_once(struct db *db, sqlite3_stmt *s, int *changes)
{
	int ret;

	if (!s)
		return -EIO;
	ret = dbi_exec(db, s, changes);
	sqlite3_finalize(s);
	return ret;
}

static int sql_run(struct db *db, const char *text)
{
	return exec_once(db, prep(db, text), NULL);
}

/* A savepoint: all or nothing inside a caller's transaction too; finish ends it. */
static int begin_sp(struct db *db)
{
	return sql_run(db, "SAVEPOINT dns");
}

static int finish_sp(struct db *db, int ret)
{
	char err[sizeof(db->err)];

	if (ret == 0)
		return sql_run(db, "RELEASE dns");
	memcpy(err, db->err, sizeof(err));
	sql_run(db, "ROLLBACK TO dns");
	sql_run(db, "RELEASE dns");
	memcpy(db->err, err, sizeof(err));
	return ret;
}

/* name lowered, its trailing dot dropped, into out: 1..DB_DNS_NAME_MAX bytes */
static int norm_name(struct db *db, const char *name, char out[DB_DNS_NAME_MAX + 1])
{
	size_t n = strnlen(name, DB_DNS_NAME_MAX + 2), i;

	/* the root stays "." */
	if (n > 1 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > DB_DNS_NAME_MAX) {
		dbi_err(db, "dns name: empty or longer than %d bytes", DB_DNS_NAME_MAX);
		return -EINVAL;
	}
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)name[i]);
	out[n] = '\0';
	return 0;
}

/* ---- records ---- */

static const char *const record_types[] = { "A", "AAAA", "CNAME", "TXT", "SRV" };

int db_dns_record_add(struct db *db, const struct db_dns_record *r, int64_t *id)
{
	char name[DB_DNS_NAME_MAX + 1];
	sqlite3_stmt *s;
	size_t i;
	int ret = norm_name(db, r->name, name);

	if (ret < 0)
		return ret;
	for (i = 0; i < ARRAY_SIZE(record_types); i++)
		if (strcmp(r->type, record_types[i]) == 0)
			break;
	if (i == ARRAY_SIZE(record_types)) {
		dbi_err(db, "record %s: type not one of A, AAAA, CNAME, TXT, SRV", name);
		return -EINVAL;
	}
	if (!r->value[0] || dbi_check_text(db, "record value", r->value, sizeof(r->value)) < 0 ||
	    r->ttl > INT32_MAX) {
		dbi_err(db, "record %s: empty or too long a value, or a bad ttl", name);
		return -EINVAL;
	}
	s = prep(db, "INSERT INTO dns_records (name, type, value, ttl, created)"
		 " VALUES (?1, ?2, ?3, ?4, ?5)");
	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, record_types[i], -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, r->value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, r->ttl ? r->ttl : 300);
	sqlite3_bind_int64(s, 5, r->created ? r->created : dbi_now());
	ret = exec_once(db, s, NULL);
	if (ret == 0 && id)
		*id = sqlite3_last_insert_rowid(db->sq);
	else if (ret == -EEXIST)
		dbi_err(db, "record %s %s %s exists", name, record_types[i], r->value);
	return ret;
}

int db_dns_record_delete(struct db *db, int64_t id)
{
	sqlite3_stmt *s = prep(db, "DELETE FROM dns_records WHERE id = ?1");
	int ret;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	ret = dbi_exec_one(db, s, "record");
	sqlite3_finalize(s);
	return ret;
}

struct walk {
	void *fn;
	void *arg;
};

static int record_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;
	struct db_dns_record r;

	memset(&r, 0, sizeof(r));
	r.id = sqlite3_column_int64(s, 0);
	r.ttl = (uint32_t)sqlite3_column_int64(s, 4);
	r.created = sqlite3_column_int64(s, 5);
	if (dbi_col_text(s, 1, r.name, sizeof(r.name)) < 0 ||
	    dbi_col_text(s, 2, r.type, sizeof(r.type)) < 0 ||
	    dbi_col_text(s, 3, r.value, sizeof(r.value)) < 0) {
		dbi_err(db, "record row %" PRId64 " is corrupt", r.id);
		return -EIO;
	}
	return ((db_dns_record_fn)w->fn)(&r, w->arg);
}

int db_dns_record_list(struct db *db, const char *name, db_dns_record_fn fn, void *arg)
{
	char norm[DB_DNS_NAME_MAX + 1];
	struct walk w = { (void *)fn, arg };
	sqlite3_stmt *s;
	int ret;

	if (name && name[0] && (ret = norm_name(db, name, norm)) < 0)
		return ret;
	s = prep(db, "SELECT id, name, type, value, ttl, created FROM dns_records"
		 " WHERE ?1 IS NULL OR name = ?1 ORDER BY name, type, id");
	if (!s)
		return -EIO;
	if (name && name[0])
		sqlite3_bind_text(s, 1, norm, -1, SQLITE_STATIC);
	ret = dbi_walk(db, s, record_row, &w);
	sqlite3_finalize(s);
	return ret;
}

/* ---- rules ---- */

int db_dns_rule_add(struct db *db, const struct db_dns_rule *r, int64_t *id)
{
	sqlite3_stmt *s;
	int ret;

	if (!r->pattern[0] || dbi_check_text(db, "pattern", r->pattern, sizeof(r->pattern)) < 0 ||
	    dbi_check_text(db, "note", r->note, sizeof(r->note)) < 0 ||
	    (r->action != DB_DNS_BLOCK && r->action != DB_DNS_ALLOW) || r->group_id < 0) {
		dbi_err(db, "rule: empty or too long a pattern or note, or a bad action or group");
		return -EINVAL;
	}
	s = prep(db, "INSERT INTO dns_rules (pattern, action, group_id, note, created)"
		 " VALUES (?1, ?2, ?3, ?4, ?5)");
	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, r->pattern, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->action == DB_DNS_BLOCK ? "block" : "allow", -1, SQLITE_STATIC);
	dbi_bind_int_or_null(s, 3, r->group_id);
	dbi_bind_text(s, 4, r->note);
	sqlite3_bind_int64(s, 5, r->created ? r->created : dbi_now());
	ret = exec_once(db, s, NULL);
	if (ret == 0 && id)
		*id = sqlite3_last_insert_rowid(db->sq);
	else if (ret == -EEXIST)
		dbi_err(db, "rule %s %s exists for that group",
			r->action == DB_DNS_BLOCK ? "block" : "allow", r->pattern);
	else if (ret == -ENOENT)
		dbi_err(db, "rule: no group %" PRId64, r->group_id);
	return ret;
}

int db_dns_rule_delete(struct db *db, int64_t id)
{
	sqlite3_stmt *s = prep(db, "DELETE FROM dns_rules WHERE id = ?1");
	int ret;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	ret = dbi_exec_one(db, s, "rule");
	sqlite3_finalize(s);
	return ret;
}

static int rule_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;
	struct db_dns_rule r;
	const char *action = (const char *)sqlite3_column_text(s, 2);

	memset(&r, 0, sizeof(r));
	r.id = sqlite3_column_int64(s, 0);
	r.action = action && strcmp(action, "allow") == 0 ? DB_DNS_ALLOW : DB_DNS_BLOCK;
	r.group_id = sqlite3_column_int64(s, 3);
	r.created = sqlite3_column_int64(s, 5);
	if (dbi_col_text(s, 1, r.pattern, sizeof(r.pattern)) < 0 ||
	    dbi_col_text(s, 4, r.note, sizeof(r.note)) < 0) {
		dbi_err(db, "rule row %" PRId64 " is corrupt", r.id);
		return -EIO;
	}
	return ((db_dns_rule_fn)w->fn)(&r, w->arg);
}

int db_dns_rule_list(struct db *db, db_dns_rule_fn fn, void *arg)
{
	struct walk w = { (void *)fn, arg };
	sqlite3_stmt *s = prep(db, "SELECT id, pattern, action, group_id, note, created"
			       " FROM dns_rules ORDER BY id");
	int ret;

	if (!s)
		return -EIO;
	ret = dbi_walk(db, s, rule_row, &w);
	sqlite3_finalize(s);
	return ret;
}

/* ---- lists ---- */

#define LIST_COLS "id, name, source, enabled, refresh_s, created, etag, last_modified," \
	" fetched_at, entries, bad_lines, error," \
	" (SELECT group_concat(group_id) FROM (SELECT group_id FROM dns_list_groups g" \
	" WHERE g.list_id = dns_lists.id ORDER BY group_id))"

static int put_groups(struct db *db, int64_t id, const int64_t *groups, size_t n)
{
	sqlite3_stmt *s;
	size_t i;
	int ret;

	if (n > DB_DNS_LIST_GROUPS_MAX) {
		dbi_err(db, "list: more than %d groups", DB_DNS_LIST_GROUPS_MAX);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (groups[i] <= 0) {
			dbi_err(db, "list: bad group id");
			return -EINVAL;
		}
	}
	s = prep(db, "DELETE FROM dns_list_groups WHERE list_id = ?1");
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	ret = exec_once(db, s, NULL);
	if (ret < 0)
		return ret;
	s = prep(db, "INSERT INTO dns_list_groups (list_id, group_id) VALUES (?1, ?2)"
		 " ON CONFLICT DO NOTHING");
	if (!s)
		return -EIO;
	for (i = 0; ret == 0 && i < n; i++) {
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, groups[i]);
		ret = dbi_exec(db, s, NULL);
		if (ret == -ENOENT)
			dbi_err(db, "list: no group %" PRId64, groups[i]);
	}
	sqlite3_finalize(s);
	return ret;
}

int db_dns_list_add(struct db *db, const struct db_dns_list *l, int64_t *id)
{
	sqlite3_stmt *s;
	int64_t new_id = 0;
	int ret = dbi_check_name(db, "list name", l->name, sizeof(l->name));

	if (ret < 0)
		return ret;
	if (!l->source[0] || dbi_check_text(db, "source", l->source, sizeof(l->source)) < 0) {
		dbi_err(db, "list %s: empty or too long a source", l->name);
		return -EINVAL;
	}
	ret = begin_sp(db);
	if (ret < 0)
		return ret;
	s = prep(db, "INSERT INTO dns_lists (name, source, enabled, refresh_s, created)"
		 " VALUES (?1, ?2, ?3, ?4, ?5)");
	if (!s)
		return finish_sp(db, -EIO);
	sqlite3_bind_text(s, 1, l->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, l->source, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, l->enabled);
	sqlite3_bind_int64(s, 4, l->refresh_s ? l->refresh_s : 86400);
	sqlite3_bind_int64(s, 5, l->created ? l->created : dbi_now());
	ret = exec_once(db, s, NULL);
	if (ret == -EEXIST)
		dbi_err(db, "list %s exists", l->name);
	if (ret == 0) {
		new_id = sqlite3_last_insert_rowid(db->sq);
		ret = put_groups(db, new_id, l->groups, l->n_groups);
	}
	ret = finish_sp(db, ret);
	if (ret == 0 && id)
		*id = new_id;
	return ret;
}

static int list_read(struct db *db, sqlite3_stmt *s, struct db_dns_list *l)
{
	const char *g = (const char *)sqlite3_column_text(s, 12);
	char *end;

	memset(l, 0, sizeof(*l));
	l->id = sqlite3_column_int64(s, 0);
	l->enabled = sqlite3_column_int(s, 3) != 0;
	l->refresh_s = (uint32_t)sqlite3_column_int64(s, 4);
	l->created = sqlite3_column_int64(s, 5);
	l->fetched_at = sqlite3_column_int64(s, 8);
	l->entries = (uint64_t)sqlite3_column_int64(s, 9);
	l->bad_lines = (uint64_t)sqlite3_column_int64(s, 10);
	if (dbi_col_text(s, 1, l->name, sizeof(l->name)) < 0 ||
	    dbi_col_text(s, 2, l->source, sizeof(l->source)) < 0 ||
	    dbi_col_text(s, 6, l->etag, sizeof(l->etag)) < 0 ||
	    dbi_col_text(s, 7, l->last_modified, sizeof(l->last_modified)) < 0 ||
	    dbi_col_text(s, 11, l->error, sizeof(l->error)) < 0)
		goto bad;
	while (g && *g) {
		if (l->n_groups == DB_DNS_LIST_GROUPS_MAX)
			goto bad;
		l->groups[l->n_groups++] = strtoll(g, &end, 10);
		g = *end == ',' ? end + 1 : end;
	}
	return 0;
bad:
	dbi_err(db, "list row %" PRId64 " is corrupt", l->id);
	return -EIO;
}

static int list_one(struct db *db, sqlite3_stmt *s, void *ctx)
{
	return list_read(db, s, ctx);
}

static int list_get(struct db *db, const char *text, int64_t id, const char *name,
		    struct db_dns_list *l)
{
	sqlite3_stmt *s = prep(db, text);
	int ret;

	if (!s)
		return -EIO;
	if (name)
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 1, id);
	ret = dbi_get_one(db, s, list_one, l, "list");
	sqlite3_finalize(s);
	return ret;
}

int db_dns_list_get(struct db *db, int64_t id, struct db_dns_list *l)
{
	return list_get(db, "SELECT " LIST_COLS " FROM dns_lists WHERE id = ?1", id, NULL, l);
}

int db_dns_list_get_by_name(struct db *db, const char *name, struct db_dns_list *l)
{
	return list_get(db, "SELECT " LIST_COLS " FROM dns_lists WHERE name = ?1", 0, name, l);
}

int db_dns_list_set_enabled(struct db *db, int64_t id, bool enabled)
{
	sqlite3_stmt *s = prep(db, "UPDATE dns_lists SET enabled = ?2 WHERE id = ?1");
	int ret;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, enabled);
	ret = dbi_exec_one(db, s, "list");
	sqlite3_finalize(s);
	return ret;
}

int db_dns_list_set_refresh(struct db *db, int64_t id, uint32_t refresh_s)
{
	sqlite3_stmt *s = prep(db, "UPDATE dns_lists SET refresh_s = ?2 WHERE id = ?1");
	int ret;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, refresh_s ? refresh_s : 86400);
	ret = dbi_exec_one(db, s, "list");
	sqlite3_finalize(s);
	return ret;
}

static int list_exists(struct db *db, int64_t id)
{
	sqlite3_stmt *s = prep(db, "SELECT count(*) FROM dns_lists WHERE id = ?1");
	int64_t n = 0;
	int ret;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	ret = dbi_int(db, s, &n);
	sqlite3_finalize(s);
	if (ret == 0 && n == 0) {
		dbi_err(db, "no such list");
		ret = -ENOENT;
	}
	return ret;
}

int db_dns_list_set_groups(struct db *db, int64_t id, const int64_t *groups, size_t n)
{
	int ret = begin_sp(db);

	if (ret < 0)
		return ret;
	ret = list_exists(db, id);
	if (ret == 0)
		ret = put_groups(db, id, groups, n);
	return finish_sp(db, ret);
}

int db_dns_list_set_fetch(struct db *db, const struct db_dns_list *l)
{
	sqlite3_stmt *s;
	int ret;

	if (dbi_check_text(db, "etag", l->etag, sizeof(l->etag)) < 0 ||
	    dbi_check_text(db, "last_modified", l->last_modified, sizeof(l->last_modified)) < 0 ||
	    dbi_check_text(db, "error", l->error, sizeof(l->error)) < 0)
		return -EINVAL;
	s = prep(db, "UPDATE dns_lists SET etag = ?2, last_modified = ?3, fetched_at = ?4,"
		 " entries = ?5, bad_lines = ?6, error = ?7 WHERE id = ?1");
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, l->id);
	dbi_bind_text_or_null(s, 2, l->etag);
	dbi_bind_text_or_null(s, 3, l->last_modified);
	dbi_bind_int_or_null(s, 4, l->fetched_at);
	sqlite3_bind_int64(s, 5, (int64_t)l->entries);
	sqlite3_bind_int64(s, 6, (int64_t)l->bad_lines);
	dbi_bind_text_or_null(s, 7, l->error);
	ret = dbi_exec_one(db, s, "list");
	sqlite3_finalize(s);
	return ret;
}

int db_dns_list_delete(struct db *db, int64_t id)
{
	sqlite3_stmt *s = prep(db, "DELETE FROM dns_lists WHERE id = ?1");
	int ret;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	ret = dbi_exec_one(db, s, "list");
	sqlite3_finalize(s);
	return ret;
}

static int list_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;
	struct db_dns_list *l = xmalloc(sizeof(*l));
	int ret = list_read(db, s, l);

	if (ret == 0)
		ret = ((db_dns_list_fn)w->fn)(l, w->arg);
	free(l);
	return ret;
}

int db_dns_list_list(struct db *db, db_dns_list_fn fn, void *arg)
{
	struct walk w = { (void *)fn, arg };
	sqlite3_stmt *s = prep(db, "SELECT " LIST_COLS " FROM dns_lists ORDER BY name");
	int ret;

	if (!s)
		return -EIO;
	ret = dbi_walk(db, s, list_row, &w);
	sqlite3_finalize(s);
	return ret;
}

/* ---- the query log ---- */

/* A row's time: its second from dns_log_seconds (the newest first row at or before it)
 * and its own millisecond. */
#define ROW_AT_MS(ID) "((SELECT t.at FROM dns_log_seconds t WHERE t.first_id <= " ID \
	" ORDER BY t.first_id DESC LIMIT 1) * 1000 + ms)"

/* The smallest id whose time is >= t (one past the newest when none): the first row of
 * t's second or of a later one, and within t's second the first of t's millisecond. */
static int id_at(struct db *db, int64_t t, int64_t *id)
{
	sqlite3_stmt *sec = prep(db, "SELECT at, first_id FROM dns_log_seconds WHERE at >= ?1"
				 " ORDER BY at LIMIT 2");
	sqlite3_stmt *row = NULL;
	int64_t sec_t = t >= 0 ? t / 1000 : 0, last_id, last_at, end;
	int rc, ret;

	if (!sec)
		return -EIO;
	ret = db_dns_log_last(db, &last_id, &last_at);
	if (ret < 0)
		goto out;
	*id = end = last_id + 1;
	sqlite3_bind_int64(sec, 1, sec_t);
	rc = sqlite3_step(sec);
	if (rc != SQLITE_ROW) {
		if (rc != SQLITE_DONE)
			ret = dbi_sql_err(db, rc);
		goto out;
	}
	*id = sqlite3_column_int64(sec, 1);
	if (sqlite3_column_int64(sec, 0) > sec_t || t <= 0)
		goto out;
	/* t's own second: its rows run to the next second's first */
	rc = sqlite3_step(sec);
	if (rc == SQLITE_ROW)
		end = sqlite3_column_int64(sec, 1);
	else if (rc != SQLITE_DONE) {
		ret = dbi_sql_err(db, rc);
		goto out;
	}
	row = prep(db, "SELECT id FROM dns_log WHERE id >= ?1 AND id < ?2 AND ms >= ?3"
		   " ORDER BY id LIMIT 1");
	if (!row) {
		ret = -EIO;
		goto out;
	}
	sqlite3_bind_int64(row, 1, *id);
	sqlite3_bind_int64(row, 2, end);
	sqlite3_bind_int64(row, 3, t - sec_t * 1000);
	rc = sqlite3_step(row);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(row, 0);
	else if (rc == SQLITE_DONE)
		*id = end;
	else
		ret = dbi_sql_err(db, rc);
out:
	sqlite3_finalize(row);
	sqlite3_finalize(sec);
	return ret;
}

int db_dns_log_last(struct db *db, int64_t *id, int64_t *at_ms)
{
	sqlite3_stmt *s = prep(db, "SELECT id, " ROW_AT_MS("dns_log.id")
			       " FROM dns_log ORDER BY id DESC LIMIT 1");
	int rc, ret = 0;

	*id = *at_ms = 0;
	if (!s)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		*at_ms = sqlite3_column_int64(s, 1);
	} else if (rc != SQLITE_DONE)
		ret = dbi_sql_err(db, rc);
	sqlite3_finalize(s);
	return ret;
}

struct intern {
	sqlite3_stmt *get, *put;
};

static int intern_name(struct db *db, struct intern *in, const char *name, int64_t *id)
{
	char norm[DB_DNS_NAME_MAX + 1];
	int rc, ret = norm_name(db, name, norm);

	if (ret < 0)
		return ret;
	if (!in->get && !(in->get = prep(db, "SELECT id FROM dns_names WHERE name = ?1")))
		return -EIO;
	sqlite3_bind_text(in->get, 1, norm, -1, SQLITE_STATIC);
	rc = sqlite3_step(in->get);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(in->get, 0);
		dbi_done(in->get);
		return 0;
	}
	ret = rc == SQLITE_DONE ? 0 : dbi_sql_err(db, rc);
	dbi_done(in->get);
	if (ret < 0)
		return ret;
	if (!in->put && !(in->put = prep(db, "INSERT INTO dns_names (name) VALUES (?1)")))
		return -EIO;
	sqlite3_bind_text(in->put, 1, norm, -1, SQLITE_STATIC);
	ret = dbi_exec(db, in->put, NULL);
	if (ret == 0)
		*id = sqlite3_last_insert_rowid(db->sq);
	return ret;
}

static void intern_done(struct intern *in)
{
	sqlite3_finalize(in->get);
	sqlite3_finalize(in->put);
}

int db_dns_name_id(struct db *db, const char *name, int64_t *id)
{
	struct intern in = { NULL, NULL };
	int ret = intern_name(db, &in, name, id);

	intern_done(&in);
	return ret;
}

#define SEEN 4096   /* devices a batch remembers having stored */

/* Rows in the caller's transaction. */
static int insert_rows(struct db *db, struct db_dns_log *rows, size_t n)
{
	struct intern in = { NULL, NULL };
	sqlite3_stmt *s = NULL, *dev = NULL, *sec = NULL;
	int64_t last_id, last_at, last_s, *seen;
	size_t i;
	int ret = db_dns_log_last(db, &last_id, &last_at);

	if (ret < 0)
		return ret;
	seen = xcalloc(SEEN, sizeof(*seen));
	last_s = last_id ? last_at / 1000 : -1;
	s = prep(db, "INSERT INTO dns_log (ms, user_id, device_id, name_id, qtype, rcode, list_id,"
		 " upstream_us, collapsed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	dev = prep(db, "INSERT INTO dns_log_devices (device_id, user_id) VALUES (?1, ?2)"
		   " ON CONFLICT DO NOTHING");
	/* REPLACE: a second left over from a log emptied some other way gives way */
	sec = prep(db, "INSERT OR REPLACE INTO dns_log_seconds (at, first_id) VALUES (?1, ?2)");
	if (!s || !dev || !sec) {
		ret = -EIO;
		goto out;
	}
	for (i = 0; i < n && ret == 0; i++) {
		struct db_dns_log *r = &rows[i];

		if (r->user_id < 0 || r->device_id < 0 || r->list_id < 0) {
			dbi_err(db, "log row: negative id");
			ret = -EINVAL;
			break;
		}
		if (!r->name_id && (ret = intern_name(db, &in, r->name, &r->name_id)) < 0)
			break;
		if (r->at_ms < last_at)
			r->at_ms = last_at;
		if (r->at_ms < 0)
			r->at_ms = 0;
		last_at = r->at_ms;
		/* a device's user never changes: once per device and batch is plenty */
		if (r->device_id && seen[r->device_id & (SEEN - 1)] != r->device_id) {
			sqlite3_bind_int64(dev, 1, r->device_id);
			sqlite3_bind_int64(dev, 2, r->user_id);
			ret = dbi_exec(db, dev, NULL);
			if (ret < 0)
				break;
			seen[r->device_id & (SEEN - 1)] = r->device_id;
		}
		sqlite3_bind_int64(s, 1, r->at_ms % 1000);
		sqlite3_bind_int64(s, 2, r->user_id);
		sqlite3_bind_int64(s, 3, r->device_id);
		sqlite3_bind_int64(s, 4, r->name_id);
		sqlite3_bind_int(s, 5, r->qtype);
		sqlite3_bind_int(s, 6, r->rcode);
		if (r->blocked)
			sqlite3_bind_int64(s, 7, r->list_id);
		else
			sqlite3_bind_null(s, 7);
		sqlite3_bind_int64(s, 8, r->upstream_us);
		sqlite3_bind_int64(s, 9, r->collapsed);
		ret = dbi_exec(db, s, NULL);
		if (ret < 0)
			break;
		r->id = sqlite3_last_insert_rowid(db->sq);
		if (r->at_ms / 1000 > last_s) {
			last_s = r->at_ms / 1000;
			sqlite3_bind_int64(sec, 1, last_s);
			sqlite3_bind_int64(sec, 2, r->id);
			ret = dbi_exec(db, sec, NULL);
		}
	}
out:
	free(seen);
	intern_done(&in);
	sqlite3_finalize(s);
	sqlite3_finalize(dev);
	sqlite3_finalize(sec);
	return ret;
}

int db_dns_log_insert(struct db *db, struct db_dns_log *rows, size_t n)
{
	bool own = sqlite3_get_autocommit(db->sq) != 0;
	int ret;

	if (n == 0)
		return 0;
	ret = own ? db_begin(db) : begin_sp(db);
	if (ret < 0)
		return ret;
	ret = insert_rows(db, rows, n);
	if (!own)
		return finish_sp(db, ret);
	if (ret == 0)
		return db_commit(db);
	{
		char err[sizeof(db->err)];

		memcpy(err, db->err, sizeof(err));
		db_rollback(db);
		memcpy(db->err, err, sizeof(err));
	}
	return ret;
}

#define LOG_COLS "id, " ROW_AT_MS("dns_log.id") ", user_id, device_id, name_id," \
	" (SELECT name FROM dns_names n WHERE n.id = name_id), qtype, rcode, list_id," \
	" upstream_us, collapsed"

static int log_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;
	struct db_dns_log r;

	memset(&r, 0, sizeof(r));
	r.id = sqlite3_column_int64(s, 0);
	r.at_ms = sqlite3_column_int64(s, 1);
	r.user_id = sqlite3_column_int64(s, 2);
	r.device_id = sqlite3_column_int64(s, 3);
	r.name_id = sqlite3_column_int64(s, 4);
	r.qtype = (uint16_t)sqlite3_column_int(s, 6);
	r.rcode = (uint8_t)sqlite3_column_int(s, 7);
	r.blocked = sqlite3_column_type(s, 8) != SQLITE_NULL;
	r.list_id = sqlite3_column_int64(s, 8);
	r.upstream_us = (uint32_t)sqlite3_column_int64(s, 9);
	r.collapsed = (uint32_t)sqlite3_column_int64(s, 10);
	if (dbi_col_text(s, 5, r.name, sizeof(r.name)) < 0) {
		dbi_err(db, "log row %" PRId64 " is corrupt", r.id);
		return -EIO;
	}
	return ((db_dns_log_fn)w->fn)(&r, w->arg);
}

/* The id range [*lo, *hi) of times [since_ms, until_ms); 0 leaves a side open. */
static int id_range(struct db *db, int64_t since_ms, int64_t until_ms, int64_t *lo, int64_t *hi)
{
	int ret = 0;

	*lo = 0;
	*hi = INT64_MAX;
	if (since_ms && (ret = id_at(db, since_ms, lo)) < 0)
		return ret;
	if (until_ms && (ret = id_at(db, until_ms, hi)) < 0)
		return ret;
	return 0;
}

int db_dns_log_query(struct db *db, const struct db_dns_log_query *q, db_dns_log_fn fn,
		     void *arg, char next[DB_CURSOR_MAX + 1])
{
	struct walk w = { (void *)fn, arg };
	char like[DBI_LIKE_MAX], where[512];
	struct dbi_cursor c = { 0 }, last = { 0 };
	sqlite3_stmt *s = NULL;
	int64_t lo, hi;
	bool more = false;
	char *text;
	int ret;

	if (q->limit < 1 || q->limit > DB_PAGE_MAX || q->user_id < 0 || q->device_id < 0) {
		dbi_err(db, "log query: limit not 1..%d, or a bad id", DB_PAGE_MAX);
		return -EINVAL;
	}
	if (q->cursor && q->cursor[0] &&
	    (ret = dbi_cursor_decode(db, q->cursor, TAG_DNS_LOG, false, &c)) < 0)
		return ret;
	if (q->q && q->q[0] && (ret = dbi_like(db, q->q, like)) < 0)
		return ret;
	ret = id_range(db, q->since_ms, q->until_ms, &lo, &hi);
	if (ret < 0)
		return ret;
	if (c.id && c.id < hi)
		hi = c.id;
	snprintf(where, sizeof(where), "id >= ?1 AND id < ?2%s%s%s%s%s%s",
		 q->user_id ? " AND user_id = ?3" : "",
		 /* a device's rows are on its user's index */
		 q->device_id ? " AND device_id = ?4 AND user_id ="
		 " (SELECT user_id FROM dns_log_devices WHERE device_id = ?4)" : "",
		 q->q && q->q[0] ? " AND name_id IN (SELECT id FROM dns_names"
		 " WHERE name LIKE ?5 ESCAPE '\\')" : "",
		 q->qtype ? " AND qtype = ?6" : "",
		 q->rcode >= 0 ? " AND rcode = ?7" : "",
		 q->result == DB_DNS_BLOCKED ? " AND list_id IS NOT NULL" :
		 q->result == DB_DNS_NOT_BLOCKED ? " AND list_id IS NULL" : "");
	text = xasprintf("SELECT " LOG_COLS " FROM dns_log WHERE %s ORDER BY id DESC LIMIT ?8",
			 where);
	s = prep(db, text);
	free(text);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, lo);
	sqlite3_bind_int64(s, 2, hi);
	sqlite3_bind_int64(s, 3, q->user_id);
	sqlite3_bind_int64(s, 4, q->device_id);
	if (q->q && q->q[0])
		sqlite3_bind_text(s, 5, like, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, q->qtype);
	sqlite3_bind_int(s, 7, q->rcode);
	sqlite3_bind_int64(s, 8, (int64_t)q->limit + 1);
	ret = dbi_page_walk(db, s, q->limit, 0, false, log_row, &w, &more, &last);
	sqlite3_finalize(s);
	if (ret == 0 && next) {
		if (more)
			dbi_cursor_encode(next, TAG_DNS_LOG, last.id, last.id, NULL);
		else
			next[0] = '\0';
	}
	return ret;
}

int db_dns_log_purge(struct db *db, int64_t before_ms, uint64_t max, uint64_t *n)
{
	sqlite3_stmt *s;
	int64_t hi;
	int changes = 0, ret;

	*n = 0;
	if (max < 1 || max > INT32_MAX) {
		dbi_err(db, "purge: max not 1..%d", INT32_MAX);
		return -EINVAL;
	}
	ret = id_at(db, before_ms, &hi);
	if (ret < 0)
		return ret;
	s = prep(db, "DELETE FROM dns_log WHERE id IN (SELECT id FROM dns_log WHERE id < ?1"
		 " ORDER BY id LIMIT ?2)");
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, hi);
	sqlite3_bind_int64(s, 2, (int64_t)max);
	ret = exec_once(db, s, &changes);
	if (ret < 0 || changes == 0)
		return ret;
	*n = (uint64_t)changes;
	/* the seconds before the oldest row left's own (all of them when none is left) */
	return sql_run(db, "DELETE FROM dns_log_seconds WHERE at < coalesce((SELECT s.at"
		       " FROM dns_log_seconds s WHERE s.first_id <= (SELECT min(id) FROM dns_log)"
		       " ORDER BY s.first_id DESC LIMIT 1), 9223372036854775807)");
}

/* ---- roll-ups ---- */

int db_dns_hourly_add(struct db *db, int64_t hour, const struct db_dns_hour_user *users,
		      size_t n_users, const struct db_dns_hour_name *names, size_t n_names)
{
	sqlite3_stmt *su = NULL, *sn = NULL;
	size_t i;
	int ret;

	if (hour < 0 || hour % 3600) {
		dbi_err(db, "roll-up: hour %" PRId64 " is not a multiple of 3600", hour);
		return -EINVAL;
	}
	ret = begin_sp(db);
	if (ret < 0)
		return ret;
	su = prep(db, "INSERT INTO dns_hourly (hour, user_id, queries, blocked, nxdomain, servfail,"
		  " upstream_n, upstream_us_sum) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
		  " ON CONFLICT (hour, user_id) DO UPDATE SET queries = queries + excluded.queries,"
		  " blocked = blocked + excluded.blocked, nxdomain = nxdomain + excluded.nxdomain,"
		  " servfail = servfail + excluded.servfail,"
		  " upstream_n = upstream_n + excluded.upstream_n,"
		  " upstream_us_sum = upstream_us_sum + excluded.upstream_us_sum");
	sn = prep(db, "INSERT INTO dns_hourly_names (hour, name_id, queries, blocked)"
		  " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (hour, name_id) DO UPDATE SET"
		  " queries = queries + excluded.queries, blocked = blocked + excluded.blocked");
	if (!su || !sn) {
		ret = -EIO;
		goto out;
	}
	for (i = 0; ret == 0 && i < n_users; i++) {
		const struct db_dns_hour_user *u = &users[i];

		sqlite3_bind_int64(su, 1, hour);
		sqlite3_bind_int64(su, 2, u->user_id);
		sqlite3_bind_int64(su, 3, (int64_t)u->queries);
		sqlite3_bind_int64(su, 4, (int64_t)u->blocked);
		sqlite3_bind_int64(su, 5, (int64_t)u->nxdomain);
		sqlite3_bind_int64(su, 6, (int64_t)u->servfail);
		sqlite3_bind_int64(su, 7, (int64_t)u->upstream_n);
		sqlite3_bind_int64(su, 8, (int64_t)u->upstream_us_sum);
		ret = dbi_exec(db, su, NULL);
	}
	for (i = 0; ret == 0 && i < n_names; i++) {
		sqlite3_bind_int64(sn, 1, hour);
		sqlite3_bind_int64(sn, 2, names[i].name_id);
		sqlite3_bind_int64(sn, 3, (int64_t)names[i].queries);
		sqlite3_bind_int64(sn, 4, (int64_t)names[i].blocked);
		ret = dbi_exec(db, sn, NULL);
	}
out:
	sqlite3_finalize(su);
	sqlite3_finalize(sn);
	return finish_sp(db, ret);
}

/* the queries a row stands for */
#define ROW_N "max(collapsed, 1)"
#define ROW_BLOCKED "CASE WHEN list_id IS NOT NULL THEN " ROW_N " ELSE 0 END"

int db_dns_rollup_hour(struct db *db, int64_t hour)
{
	sqlite3_stmt *s;
	int64_t lo, hi;
	int ret;

	if (hour < 0 || hour % 3600) {
		dbi_err(db, "roll-up: hour %" PRId64 " is not a multiple of 3600", hour);
		return -EINVAL;
	}
	ret = begin_sp(db);
	if (ret < 0)
		return ret;
	ret = id_range(db, hour * 1000, (hour + 3600) * 1000, &lo, &hi);
	if (ret == 0) {
		s = prep(db, "DELETE FROM dns_hourly WHERE hour = ?1");
		if (s)
			sqlite3_bind_int64(s, 1, hour);
		ret = exec_once(db, s, NULL);
	}
	if (ret == 0) {
		s = prep(db, "DELETE FROM dns_hourly_names WHERE hour = ?1");
		if (s)
			sqlite3_bind_int64(s, 1, hour);
		ret = exec_once(db, s, NULL);
	}
	if (ret == 0) {
		s = prep(db, "INSERT INTO dns_hourly (hour, user_id, queries, blocked, nxdomain,"
			 " servfail, upstream_n, upstream_us_sum) SELECT ?1, user_id,"
			 " sum(" ROW_N "), sum(" ROW_BLOCKED "),"
			 " sum(CASE WHEN rcode = 3 AND list_id IS NULL THEN " ROW_N " ELSE 0 END),"
			 " sum(CASE WHEN rcode = 2 THEN " ROW_N " ELSE 0 END),"
			 " sum(upstream_us > 0), sum(upstream_us)"
			 " FROM dns_log WHERE id >= ?2 AND id < ?3 GROUP BY user_id");
		if (s) {
			sqlite3_bind_int64(s, 1, hour);
			sqlite3_bind_int64(s, 2, lo);
			sqlite3_bind_int64(s, 3, hi);
		}
		ret = exec_once(db, s, NULL);
	}
	if (ret == 0) {
		s = prep(db, "INSERT INTO dns_hourly_names (hour, name_id, queries, blocked)"
			 " SELECT ?1, name_id, sum(" ROW_N "), sum(" ROW_BLOCKED ")"
			 " FROM dns_log WHERE id >= ?2 AND id < ?3 GROUP BY name_id");
		if (s) {
			sqlite3_bind_int64(s, 1, hour);
			sqlite3_bind_int64(s, 2, lo);
			sqlite3_bind_int64(s, 3, hi);
		}
		ret = exec_once(db, s, NULL);
	}
	return finish_sp(db, ret);
}

int db_dns_hourly_purge(struct db *db, int64_t before, uint64_t *n)
{
	sqlite3_stmt *s;
	int a = 0, b = 0, ret = begin_sp(db);

	if (ret < 0)
		return ret;
	s = prep(db, "DELETE FROM dns_hourly WHERE hour < ?1");
	if (s)
		sqlite3_bind_int64(s, 1, before);
	ret = exec_once(db, s, &a);
	if (ret == 0) {
		s = prep(db, "DELETE FROM dns_hourly_names WHERE hour < ?1");
		if (s)
			sqlite3_bind_int64(s, 1, before);
		ret = exec_once(db, s, &b);
	}
	ret = finish_sp(db, ret);
	if (ret == 0 && n)
		*n = (uint64_t)a + (uint64_t)b;
	return ret;
}

struct top_walk {
	enum db_dns_top kind;
	db_dns_top_fn fn;
	void *arg;
};

static int top_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct top_walk *w = ctx;
	struct db_dns_top_row r;
	const char *name = (const char *)sqlite3_column_text(s, 1);

	(void)db;
	r.kind = w->kind;
	r.id = sqlite3_column_int64(s, 0);
	r.name = name ? name : "";
	r.queries = (uint64_t)sqlite3_column_int64(s, 2);
	r.blocked = (uint64_t)sqlite3_column_int64(s, 3);
	return w->fn(&r, w->arg);
}

static int top(struct db *db, const char *text, enum db_dns_top kind, const int64_t *binds,
	       size_t n, db_dns_top_fn fn, void *arg)
{
	struct top_walk w = { kind, fn, arg };
	sqlite3_stmt *s = prep(db, text);
	size_t i;
	int ret;

	if (!s)
		return -EIO;
	for (i = 0; i < n; i++)
		sqlite3_bind_int64(s, (int)i + 1, binds[i]);
	ret = dbi_walk(db, s, top_row, &w);
	sqlite3_finalize(s);
	return ret;
}

#define NAME_OF(col) "(SELECT name FROM dns_names n WHERE n.id = " col ")"

int db_dns_stats(struct db *db, const struct db_dns_stats_query *q, struct db_dns_totals *t,
		 db_dns_top_fn fn, void *arg)
{
	int64_t b[2] = { 0, q->until ? q->until : INT64_MAX / 1000 };
	sqlite3_stmt *s;
	int rc, ret;

	memset(t, 0, sizeof(*t));
	if (q->top > DB_DNS_TOP_MAX || q->user_id < 0) {
		dbi_err(db, "stats: top more than %d, or a bad user", DB_DNS_TOP_MAX);
		return -EINVAL;
	}
	/* the hours that start in [since, until) */
	b[0] = q->since <= 0 ? 0 : (q->since + 3599) / 3600 * 3600;
	s = prep(db, "SELECT sum(queries), sum(blocked), sum(nxdomain), sum(servfail),"
		 " sum(upstream_n), sum(upstream_us_sum) FROM dns_hourly"
		 " WHERE hour >= ?1 AND hour < ?2 AND (?3 = 0 OR user_id = ?3)");
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, b[0]);
	sqlite3_bind_int64(s, 2, b[1]);
	sqlite3_bind_int64(s, 3, q->user_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		t->queries = (uint64_t)sqlite3_column_int64(s, 0);
		t->blocked = (uint64_t)sqlite3_column_int64(s, 1);
		t->nxdomain = (uint64_t)sqlite3_column_int64(s, 2);
		t->servfail = (uint64_t)sqlite3_column_int64(s, 3);
		t->upstream_n = (uint64_t)sqlite3_column_int64(s, 4);
		t->upstream_us_sum = (uint64_t)sqlite3_column_int64(s, 5);
		ret = 0;
	} else
		ret = dbi_sql_err(db, rc);
	sqlite3_finalize(s);
	if (ret < 0 || q->top == 0 || !fn)
		return ret;
	if (q->user_id == 0) {
		int64_t hb[3] = { b[0], b[1], (int64_t)q->top };

		ret = top(db, "SELECT name_id, " NAME_OF("name_id") ", sum(queries) AS nq,"
			  " sum(blocked) FROM dns_hourly_names WHERE hour >= ?1 AND hour < ?2"
			  " GROUP BY name_id ORDER BY nq DESC, name_id LIMIT ?3",
			  DB_DNS_TOP_NAMES, hb, 3, fn, arg);
		if (ret == 0)
			ret = top(db, "SELECT name_id, " NAME_OF("name_id") ", sum(queries),"
				  " sum(blocked) AS nb FROM dns_hourly_names WHERE hour >= ?1"
				  " AND hour < ?2 GROUP BY name_id HAVING nb > 0"
				  " ORDER BY nb DESC, name_id LIMIT ?3",
				  DB_DNS_TOP_BLOCKED, hb, 3, fn, arg);
		if (ret == 0)
			ret = top(db, "SELECT user_id, '', sum(queries) AS nq, sum(blocked)"
				  " FROM dns_hourly WHERE hour >= ?1 AND hour < ?2"
				  " GROUP BY user_id ORDER BY nq DESC, user_id LIMIT ?3",
				  DB_DNS_TOP_USERS, hb, 3, fn, arg);
		return ret;
	}
	/* one user's names: from its rows of the log, on its index */
	{
		int64_t lo, hi, ub[4];

		ret = id_range(db, b[0] * 1000, b[1] >= INT64_MAX / 1000 ? 0 : b[1] * 1000,
			       &lo, &hi);
		if (ret < 0)
			return ret;
		ub[0] = q->user_id;
		ub[1] = lo;
		ub[2] = hi;
		ub[3] = (int64_t)q->top;
		ret = top(db, "SELECT name_id, " NAME_OF("name_id") ", sum(" ROW_N ") AS nq,"
			  " sum(" ROW_BLOCKED ") FROM dns_log WHERE user_id = ?1 AND id >= ?2"
			  " AND id < ?3 GROUP BY name_id ORDER BY nq DESC, name_id LIMIT ?4",
			  DB_DNS_TOP_NAMES, ub, 4, fn, arg);
		if (ret == 0)
			ret = top(db, "SELECT name_id, " NAME_OF("name_id") ", sum(" ROW_N "),"
				  " sum(" ROW_BLOCKED ") AS nb FROM dns_log WHERE user_id = ?1"
				  " AND id >= ?2 AND id < ?3 GROUP BY name_id HAVING nb > 0"
				  " ORDER BY nb DESC, name_id LIMIT ?4",
				  DB_DNS_TOP_BLOCKED, ub, 4, fn, arg);
	}
	return ret;
}
