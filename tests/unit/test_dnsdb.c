/* The resolver's storage (server/db/dns.h) on real SQLite files: records, rules and lists
 * with their uniqueness and references, the query log's search filters and paging, the
 * roll-ups and the statistics that sum them, the incremental purge, and the migration of
 * a version-6 file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "server/db/db.h"

struct fixture {
	char dir[64];
	char path[96];
	struct db *db;
};

static int setup_empty(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/warren-test-dnsdb-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/warren.db", f->dir);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	struct fixture *f;

	if (setup_empty(state) < 0)
		return -1;
	f = *state;
	return db_open(f->path, &f->db) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char p[128];

	db_close(f->db);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *sq;

	assert_int_equal(sqlite3_open_v2(path, &sq, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(sq, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(sq);
}

static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3 *sq;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(path, &sq, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(sq, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(sq);
	return v;
}

static int count_record(const struct db_dns_record *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static void test_records(void **state)
{
	struct fixture *f = *state;
	struct db_dns_record r = { .type = "A", .value = "10.0.0.5" };
	int64_t id, id2;
	int n = 0;

	strcpy(r.name, "NAS.vpn.Internal.");
	assert_int_equal(db_dns_record_add(f->db, &r, &id), 0);
	assert_int_equal(db_dns_record_add(f->db, &r, NULL), -EEXIST);
	strcpy(r.type, "MX");
	assert_int_equal(db_dns_record_add(f->db, &r, NULL), -EINVAL);
	strcpy(r.type, "SRV");
	strcpy(r.value, "10 5 5060 sip.vpn.internal");
	assert_int_equal(db_dns_record_add(f->db, &r, &id2), 0);
	r.value[0] = '\0';
	assert_int_equal(db_dns_record_add(f->db, &r, NULL), -EINVAL);
	assert_int_equal(db_dns_record_list(f->db, "nas.vpn.internal", count_record, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(raw_int(f->path, "SELECT ttl FROM dns_records WHERE type = 'A'"
				 " AND name = 'nas.vpn.internal'"), 300);
	assert_int_equal(db_dns_record_delete(f->db, id), 0);
	assert_int_equal(db_dns_record_delete(f->db, id), -ENOENT);
	n = 0;
	assert_int_equal(db_dns_record_list(f->db, NULL, count_record, &n), 0);
	assert_int_equal(n, 1);
}

static int count_rule(const struct db_dns_rule *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static void test_rules(void **state)
{
	struct fixture *f = *state;
	struct db_dns_rule r = { .pattern = "||ads.example^", .action = DB_DNS_BLOCK };
	int64_t gid, id;
	int n = 0;

	assert_int_equal(db_dns_rule_add(f->db, &r, &id), 0);
	/* every group's rule is unique too, though its group is NULL */
	assert_int_equal(db_dns_rule_add(f->db, &r, NULL), -EEXIST);
	r.action = DB_DNS_ALLOW;
	assert_int_equal(db_dns_rule_add(f->db, &r, NULL), 0);
	r.group_id = 99;
	assert_int_equal(db_dns_rule_add(f->db, &r, NULL), -ENOENT);
	assert_int_equal(db_group_add(f->db, "kids", &gid), 0);
	r.group_id = gid;
	assert_int_equal(db_dns_rule_add(f->db, &r, NULL), 0);
	assert_int_equal(db_dns_rule_add(f->db, &r, NULL), -EEXIST);
	assert_int_equal(db_dns_rule_list(f->db, count_rule, &n), 0);
	assert_int_equal(n, 3);
	/* the group's rules go with it */
	assert_int_equal(db_group_delete(f->db, gid), 0);
	n = 0;
	assert_int_equal(db_dns_rule_list(f->db, count_rule, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(db_dns_rule_delete(f->db, id), 0);
	assert_int_equal(db_dns_rule_delete(f->db, id), -ENOENT);
}

static int list_names(const struct db_dns_list *l, void *arg)
{
	strcat(arg, l->name);
	strcat(arg, " ");
	return 0;
}

static void test_lists(void **state)
{
	struct fixture *f = *state;
	struct db_dns_list l, got;
	char names[256] = "";
	int64_t gid, id;

	memset(&l, 0, sizeof(l));
	strcpy(l.name, "oisd");
	strcpy(l.source, "https://big.oisd.nl/domainswild");
	l.enabled = true;
	assert_int_equal(db_group_add(f->db, "kids", &gid), 0);
	l.groups[0] = gid;
	l.n_groups = 1;
	assert_int_equal(db_dns_list_add(f->db, &l, &id), 0);
	assert_int_equal(db_dns_list_add(f->db, &l, NULL), -EEXIST);
	strcpy(l.name, "hosts");
	l.groups[0] = 99;
	assert_int_equal(db_dns_list_add(f->db, &l, NULL), -ENOENT);
	/* all or nothing: the row of the failed add is not there */
	assert_int_equal(db_dns_list_get_by_name(f->db, "hosts", &got), -ENOENT);
	strcpy(l.name, "a-name-longer-than-thirty-two-bytes");
	assert_int_equal(db_dns_list_add(f->db, &l, NULL), -EINVAL);
	strcpy(l.name, "hosts");
	strcpy(l.source, "/etc/warren/hosts.txt");
	l.n_groups = 0;
	assert_int_equal(db_dns_list_add(f->db, &l, NULL), 0);
	assert_int_equal(db_dns_list_get(f->db, id, &got), 0);
	assert_string_equal(got.name, "oisd");
	assert_int_equal(got.refresh_s, 86400);
	assert_int_equal(got.n_groups, 1);
	assert_int_equal(got.groups[0], gid);
	assert_int_equal(got.fetched_at, 0);
	/* a group a list names is not deleted (the list would become everyone's) */
	assert_int_equal(db_group_delete(f->db, gid), -EBUSY);
	assert_string_equal(db_errmsg(f->db), "is named by DNS block lists (change their groups first)");
	assert_int_equal(db_dns_list_set_groups(f->db, id, NULL, 0), 0);
	assert_int_equal(db_dns_list_set_groups(f->db, 999, NULL, 0), -ENOENT);
	assert_int_equal(db_dns_list_set_enabled(f->db, id, false), 0);
	strcpy(got.etag, "\"abc\"");
	strcpy(got.last_modified, "Tue, 01 Oct 2024 10:00:00 GMT");
	got.fetched_at = 1727776800;
	got.entries = 120000;
	got.bad_lines = 3;
	strcpy(got.error, "");
	assert_int_equal(db_dns_list_set_fetch(f->db, &got), 0);
	assert_int_equal(db_dns_list_get_by_name(f->db, "oisd", &got), 0);
	assert_false(got.enabled);
	assert_int_equal(got.n_groups, 0);
	assert_string_equal(got.etag, "\"abc\"");
	assert_int_equal(got.entries, 120000);
	assert_int_equal(got.bad_lines, 3);
	assert_int_equal(got.fetched_at, 1727776800);
	assert_int_equal(db_dns_list_list(f->db, list_names, names), 0);
	assert_string_equal(names, "hosts oisd ");
	assert_int_equal(db_dns_list_delete(f->db, id), 0);
	assert_int_equal(db_dns_list_delete(f->db, id), -ENOENT);
	assert_int_equal(db_group_delete(f->db, gid), 0);
}

/* 0 .. n-1 at 1000 ms apart from t0: user 1 + i % 3, device 10 + i % 3, names n0..n9,
 * every 4th blocked by list 7, every 5th NXDOMAIN (when not blocked) */
#define T0 1700000000000LL
static void fill(struct db *db, int n)
{
	struct db_dns_log *rows = calloc((size_t)n, sizeof(*rows));
	int i;

	for (i = 0; i < n; i++) {
		rows[i].at_ms = T0 + i * 1000LL;
		rows[i].user_id = 1 + i % 3;
		rows[i].device_id = 10 + i % 3;
		snprintf(rows[i].name, sizeof(rows[i].name), "Host%d.Example.com.", i % 10);
		rows[i].qtype = i % 2 ? 28 : 1;
		rows[i].blocked = i % 4 == 0;
		rows[i].list_id = 7;
		rows[i].rcode = !rows[i].blocked && i % 5 == 0 ? 3 : 0;
		rows[i].upstream_us = rows[i].blocked ? 0 : 1000;
	}
	assert_int_equal(db_dns_log_insert(db, rows, (size_t)n), 0);
	free(rows);
}

struct page {
	int n;
	int64_t first, last;
	bool ok;
	int64_t user, device;
};

static int page_row(const struct db_dns_log *r, void *arg)
{
	struct page *p = arg;

	if (p->n == 0)
		p->first = r->id;
	else if (r->id >= p->last)
		p->ok = false;
	if ((p->user && r->user_id != p->user) || (p->device && r->device_id != p->device))
		p->ok = false;
	p->last = r->id;
	p->n++;
	return 0;
}

/* every page of q, counting rows */
static int walk_all(struct db *db, struct db_dns_log_query *q, struct page *p)
{
	char next[DB_CURSOR_MAX + 1] = "", cur[DB_CURSOR_MAX + 1];
	int pages = 0;

	p->ok = true;
	do {
		strcpy(cur, next);
		q->cursor = cur;
		assert_int_equal(db_dns_log_query(db, q, page_row, p, next), 0);
		pages++;
	} while (next[0]);
	return pages;
}

static int first_row(const struct db_dns_log *r, void *arg)
{
	*(struct db_dns_log *)arg = *r;
	return 1;
}

static void test_log_search(void **state)
{
	struct fixture *f = *state;
	struct db_dns_log_query q = { .rcode = -1, .limit = 7 };
	struct db_dns_log r;
	struct page p;
	int64_t id, nid;

	fill(f->db, 300);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dns_names"), 10);
	assert_int_equal(db_dns_name_id(f->db, "HOST3.example.com", &id), 0);
	assert_int_equal(db_dns_name_id(f->db, "host3.example.com.", &nid), 0);
	assert_int_equal(id, nid);
	/* newest first, the row as stored */
	assert_int_equal(db_dns_log_query(f->db, &q, first_row, &r, NULL), 1);
	assert_int_equal(r.at_ms, T0 + 299000);
	assert_string_equal(r.name, "host9.example.com");
	assert_int_equal(r.user_id, 3);
	assert_int_equal(r.device_id, 12);
	assert_int_equal(r.qtype, 28);
	assert_false(r.blocked);
	memset(&p, 0, sizeof(p));
	assert_int_equal(walk_all(f->db, &q, &p), 43);
	assert_int_equal(p.n, 300);
	assert_true(p.ok);
	memset(&p, 0, sizeof(p));
	p.user = q.user_id = 2;
	walk_all(f->db, &q, &p);
	assert_int_equal(p.n, 100);
	assert_true(p.ok);
	q.user_id = 0;
	memset(&p, 0, sizeof(p));
	p.device = q.device_id = 11;
	walk_all(f->db, &q, &p);
	assert_int_equal(p.n, 100);
	assert_true(p.ok);
	q.device_id = 0;
	memset(&p, 0, sizeof(p));
	q.q = "ST3.EXA";
	walk_all(f->db, &q, &p);
	assert_int_equal(p.n, 30);
	q.q = "%";
	memset(&p, 0, sizeof(p));
	walk_all(f->db, &q, &p);
	assert_int_equal(p.n, 0);
	q.q = NULL;
	q.result = DB_DNS_BLOCKED;
	memset(&p, 0, sizeof(p));
	walk_all(f->db, &q, &p);
	assert_int_equal(p.n, 75);
	q.result = DB_DNS_NOT_BLOCKED;
	q.rcode = 3;
	memset(&p, 0, sizeof(p));
	walk_all(f->db, &q, &p);
	assert_int_equal(p.n, 45);
	q.rcode = -1;
	q.result = DB_DNS_ANY;
	q.qtype = 28;
	memset(&p, 0, sizeof(p));
	walk_all(f->db, &q, &p);
	assert_int_equal(p.n, 150);
	q.qtype = 0;
	/* [since, until): rows 100..199 */
	q.since_ms = T0 + 99500;
	q.until_ms = T0 + 200000;
	memset(&p, 0, sizeof(p));
	walk_all(f->db, &q, &p);
	assert_int_equal(p.n, 100);
	q.since_ms = T0 + 400000;
	q.until_ms = 0;
	memset(&p, 0, sizeof(p));
	walk_all(f->db, &q, &p);
	assert_int_equal(p.n, 0);
	q.since_ms = 0;
	q.cursor = "bogus";
	assert_int_equal(db_dns_log_query(f->db, &q, page_row, &p, NULL), -EINVAL);
	q.cursor = NULL;
	q.limit = 0;
	assert_int_equal(db_dns_log_query(f->db, &q, page_row, &p, NULL), -EINVAL);
	/* a row earlier than the newest is stored at the newest's time */
	memset(&r, 0, sizeof(r));
	r.at_ms = T0;
	strcpy(r.name, "late.example.com");
	assert_int_equal(db_dns_log_insert(f->db, &r, 1), 0);
	{
		int64_t last, at;

		assert_int_equal(db_dns_log_last(f->db, &last, &at), 0);
		assert_int_equal(last, 301);
		assert_int_equal(at, T0 + 299000);
	}
}

static int top_collect(const struct db_dns_top_row *r, void *arg)
{
	char *out = arg;
	char line[128];

	snprintf(line, sizeof(line), "%d:%s:%llu:%llu;", r->kind, r->kind == DB_DNS_TOP_USERS ?
		 "u" : r->name, (unsigned long long)r->queries, (unsigned long long)r->blocked);
	strcat(out, line);
	return 0;
}

static void test_stats(void **state)
{
	struct fixture *f = *state;
	struct db_dns_stats_query q = { .top = 1 };
	struct db_dns_hour_user u = { .user_id = 1, .queries = 5, .blocked = 1 };
	struct db_dns_hour_name nm = { .name_id = 0, .queries = 5, .blocked = 1 };
	struct db_dns_totals t;
	int64_t hour = T0 / 1000 / 3600 * 3600;
	char out[1024] = "";

	/* 300 rows over 300 s from T0, in one hour or two */
	fill(f->db, 300);
	assert_int_equal(db_dns_rollup_hour(f->db, hour), 0);
	assert_int_equal(db_dns_rollup_hour(f->db, hour + 3600), 0);
	/* again: replaced, not added */
	assert_int_equal(db_dns_rollup_hour(f->db, hour), 0);
	assert_int_equal(db_dns_rollup_hour(f->db, 17), -EINVAL);
	q.since = hour;
	q.until = hour + 7200;
	assert_int_equal(db_dns_stats(f->db, &q, &t, top_collect, out), 0);
	assert_int_equal(t.queries, 300);
	assert_int_equal(t.blocked, 75);
	assert_int_equal(t.nxdomain, 45);
	assert_int_equal(t.upstream_n, 225);
	assert_int_equal(t.upstream_us_sum, 225000);
	/* host0 (i % 10 == 0: blocked every other time) is the most queried with a tie broken
	 * by id, and the most blocked; users tie at 100 */
	assert_string_equal(out, "0:host0.example.com:30:15;1:host0.example.com:30:15;2:u:100:25;");
	/* one user's, its names from the log */
	q.user_id = 2;
	out[0] = '\0';
	assert_int_equal(db_dns_stats(f->db, &q, &t, top_collect, out), 0);
	assert_int_equal(t.queries, 100);
	assert_string_equal(out, "0:host0.example.com:10:5;1:host0.example.com:10:5;");
	/* the writer's increments add up */
	assert_int_equal(db_dns_name_id(f->db, "host1.example.com", &nm.name_id), 0);
	assert_int_equal(db_dns_hourly_add(f->db, hour, &u, 1, &nm, 1), 0);
	q.user_id = 0;
	assert_int_equal(db_dns_stats(f->db, &q, &t, NULL, NULL), 0);
	assert_int_equal(t.queries, 305);
	assert_int_equal(t.blocked, 76);
	assert_int_equal(db_dns_hourly_add(f->db, hour + 1, &u, 1, &nm, 1), -EINVAL);
	/* outside the window: nothing */
	q.since = hour + 7200;
	q.until = 0;
	assert_int_equal(db_dns_stats(f->db, &q, &t, NULL, NULL), 0);
	assert_int_equal(t.queries, 0);
	assert_int_equal(db_dns_hourly_purge(f->db, hour + 3600, NULL), 0);
	q.since = 0;
	assert_int_equal(db_dns_stats(f->db, &q, &t, NULL, NULL), 0);
	assert_true(t.queries < 305);
}

static void test_purge(void **state)
{
	struct fixture *f = *state;
	uint64_t n;
	int64_t id, at;

	fill(f->db, 300);
	/* rows before T0 + 250 s: 250 of them, at most 100 a call */
	assert_int_equal(db_dns_log_purge(f->db, T0 + 250000, 100, &n), 0);
	assert_int_equal(n, 100);
	assert_int_equal(db_dns_log_purge(f->db, T0 + 250000, 100, &n), 0);
	assert_int_equal(n, 100);
	assert_int_equal(db_dns_log_purge(f->db, T0 + 250000, 100, &n), 0);
	assert_int_equal(n, 50);
	assert_int_equal(db_dns_log_purge(f->db, T0 + 250000, 100, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(db_dns_log_purge(f->db, T0, 0, &n), -EINVAL);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dns_log"), 50);
	assert_int_equal(raw_int(f->path, "SELECT min(id) FROM dns_log"), 251);
	/* the seconds before the oldest row's went with their rows */
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dns_log_seconds"), 50);
	assert_int_equal(raw_int(f->path, "SELECT min(at) FROM dns_log_seconds"), T0 / 1000 + 250);
	assert_int_equal(db_dns_log_last(f->db, &id, &at), 0);
	assert_int_equal(id, 300);
	assert_int_equal(at, T0 + 299000);
}

struct times {
	int n;
	int64_t at[64];
};

static int time_row(const struct db_dns_log *r, void *arg)
{
	struct times *t = arg;

	if (t->n < 64)
		t->at[t->n] = r->at_ms;
	t->n++;
	return 0;
}

/* Four rows a second: each keeps its millisecond, a range cuts inside a second, and a
 * purge keeps the second of the oldest row left though that second's first row went. */
static void test_log_ms(void **state)
{
	struct fixture *f = *state;
	struct db_dns_log rows[40];
	struct db_dns_log_query q = { .limit = 64, .rcode = -1 };
	struct times t = { 0 };
	uint64_t n;
	int64_t id, at;
	int i;

	memset(rows, 0, sizeof(rows));
	for (i = 0; i < 40; i++) {
		rows[i].at_ms = T0 + i * 250LL;
		rows[i].user_id = 1;
		rows[i].device_id = 10;
		strcpy(rows[i].name, "ms.example.com");
	}
	assert_int_equal(db_dns_log_insert(f->db, rows, 40), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dns_log_seconds"), 10);
	assert_int_equal(db_dns_log_query(f->db, &q, time_row, &t, NULL), 0);
	assert_int_equal(t.n, 40);
	for (i = 0; i < 40; i++)
		assert_int_equal(t.at[i], T0 + (39 - i) * 250LL);
	/* [T0 + 1.25 s, T0 + 2.6 s): rows 5..10 */
	q.since_ms = T0 + 1250;
	q.until_ms = T0 + 2600;
	t.n = 0;
	assert_int_equal(db_dns_log_query(f->db, &q, time_row, &t, NULL), 0);
	assert_int_equal(t.n, 6);
	assert_int_equal(t.at[0], T0 + 2500);
	assert_int_equal(t.at[5], T0 + 1250);
	/* one past a second's last row, and past the newest */
	q.since_ms = T0 + 1800;
	q.until_ms = T0 + 2000;
	t.n = 0;
	assert_int_equal(db_dns_log_query(f->db, &q, time_row, &t, NULL), 0);
	assert_int_equal(t.n, 0);
	q.since_ms = T0 + 9751;
	q.until_ms = 0;
	assert_int_equal(db_dns_log_query(f->db, &q, time_row, &t, NULL), 0);
	assert_int_equal(t.n, 0);
	/* before T0 + 5.1 s: rows 0..20; row 21 is second 5's second row */
	assert_int_equal(db_dns_log_purge(f->db, T0 + 5100, 1000, &n), 0);
	assert_int_equal(n, 21);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dns_log_seconds"), 5);
	q.since_ms = 0;
	t.n = 0;
	assert_int_equal(db_dns_log_query(f->db, &q, time_row, &t, NULL), 0);
	assert_int_equal(t.n, 19);
	assert_int_equal(t.at[18], T0 + 5250);
	assert_int_equal(db_dns_log_purge(f->db, T0 + 20000, 1000, &n), 0);
	assert_int_equal(n, 19);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dns_log_seconds"), 0);
	/* an emptied log starts again */
	rows[0].at_ms = T0 + 30123;
	assert_int_equal(db_dns_log_insert(f->db, rows, 1), 0);
	assert_int_equal(db_dns_log_last(f->db, &id, &at), 0);
	assert_int_equal(at, T0 + 30123);
}

/* A version-6 file (what this code makes, less schema 7) keeps its data. */
static void test_migrate_v6(void **state)
{
	struct fixture *f = *state;
	struct db_dns_rule r = { .pattern = "*.ads.example", .action = DB_DNS_BLOCK };
	struct db_user u;
	int64_t v;

	assert_int_equal(db_open(f->path, &f->db), 0);
	db_close(f->db);
	f->db = NULL;
	raw_exec(f->path, "DROP TABLE dns_records; DROP TABLE dns_rules; DROP TABLE dns_list_groups;"
		 " DROP TABLE dns_lists; DROP TABLE dns_names; DROP TABLE dns_log;"
		 " DROP TABLE dns_log_seconds; DROP TABLE dns_log_devices; DROP TABLE dns_hourly; DROP TABLE dns_hourly_names;"
		 " INSERT INTO groups (id, name, created) VALUES (2, 'staff', 1800);"
		 " INSERT INTO users (id, name, created, period_start, group_id, rate)"
		 " VALUES (1, 'alice', 1000, 1000, 2, '1Mbit/1Mbit');"
		 " PRAGMA user_version = 6;");
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_schema"
				 " WHERE name LIKE 'dns%'"), 0);
	assert_int_equal(db_open(f->path, &f->db), 0);
	assert_int_equal(db_pragma_int(f->db, "user_version", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(db_user_get_by_name(f->db, "alice", &u), 0);
	assert_int_equal(u.group_id, 2);
	assert_string_equal(u.rate, "1Mbit/1Mbit");
	r.group_id = 2;
	assert_int_equal(db_dns_rule_add(f->db, &r, NULL), 0);
	fill(f->db, 10);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM pragma_table_list"
				 " WHERE name LIKE 'dns%' AND strict = 0"), 0);
	db_close(f->db);
	assert_int_equal(db_open(f->path, &f->db), 0);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 7);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dns_log"), 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_search, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_ms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v6, setup_empty, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
