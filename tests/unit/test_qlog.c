/* The query log's writer (server/dns/qlog.h) on a real file: rows land with their user,
 * device and name, one device's flood collapses while another's rows all land, freeing
 * flushes, and 100,000 queries arrive without one lost. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "server/db/db.h"
#include "server/dns/qlog.h"

struct fixture {
	char dir[64];
	char path[96];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct db *db;

	strcpy(f->dir, "/tmp/warren-test-qlog-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/warren.db", f->dir);
	*state = f;
	/* the daemon's connection made the file first */
	if (db_open(f->path, &db) < 0)
		return -1;
	db_close(db);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char p[128];

	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3 *sq;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(path, &sq, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(sq, 5000);
	assert_int_equal(sqlite3_prepare_v2(sq, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(sq);
	return v;
}

static int64_t wall_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void entry(struct qlog_entry *e, int64_t t, int64_t user, int64_t dev, const char *name)
{
	memset(e, 0, sizeof(*e));
	e->time_ms = t;
	e->user_id = user;
	e->device_id = dev;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->qtype = 1;
	e->blocked_by = -1;
}

static void test_rows_land(void **state)
{
	struct fixture *f = *state;
	struct qlog_conf c = { .db_path = f->path, .retention_days = 30 };
	struct qlog_entry e;
	struct qlog_stats st;
	struct qlog *q;
	int64_t t = wall_ms();

	assert_int_equal(qlog_new(&c, &q), 0);
	entry(&e, t, 4, 40, "WWW.Example.ORG.");
	e.upstream_us = 1500;
	qlog_add(q, &e);
	entry(&e, t + 1, 5, 50, "ads.tracker.example");
	e.blocked_by = 3;
	e.list_id = 9;
	e.rcode = 3;
	qlog_add(q, &e);
	entry(&e, t + 2, 0, 0, "printer.local");
	e.qtype = 28;
	qlog_add(q, &e);
	qlog_free(q);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dns_log"), 3);
	assert_int_equal(raw_int(f->path, "SELECT l.device_id FROM dns_log l JOIN dns_names n"
				 " ON n.id = l.name_id WHERE n.name = 'www.example.org'"
				 " AND l.user_id = 4 AND l.upstream_us = 1500 AND l.list_id IS NULL"), 40);
	assert_int_equal(raw_int(f->path, "SELECT l.list_id FROM dns_log l JOIN dns_names n"
				 " ON n.id = l.name_id WHERE n.name = 'ads.tracker.example'"
				 " AND l.user_id = 5 AND l.device_id = 50 AND l.rcode = 3"), 9);
	assert_int_equal(raw_int(f->path, "SELECT qtype FROM dns_log WHERE user_id = 0"), 28);
	/* the roll-up went with the rows at the end */
	assert_int_equal(raw_int(f->path, "SELECT sum(queries) FROM dns_hourly"), 3);
	assert_int_equal(raw_int(f->path, "SELECT sum(blocked) FROM dns_hourly"), 1);
	assert_int_equal(raw_int(f->path, "SELECT sum(queries) FROM dns_hourly_names"), 3);
	/* a second writer on the same file goes on counting the same hour */
	assert_int_equal(qlog_new(&c, &q), 0);
	entry(&e, wall_ms(), 4, 40, "www.example.org");
	qlog_add(q, &e);
	qlog_stats(q, &st);
	assert_int_equal(st.queued, 1);
	qlog_free(q);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dns_names"), 3);
	assert_int_equal(raw_int(f->path, "SELECT sum(queries) FROM dns_hourly"), 4);
}

static void test_collapse(void **state)
{
	struct fixture *f = *state;
	struct qlog_conf c = { .db_path = f->path, .rate = 10, .burst = 20 };
	struct qlog_entry e;
	struct qlog_stats st;
	struct qlog *q;
	int64_t t = wall_ms();
	char name[64];
	int i;

	assert_int_equal(qlog_new(&c, &q), 0);
	/* device 1 floods 1000 queries in 100 ms; device 2 asks 10 in the same time */
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "flood%d.example", i);
		entry(&e, t + i / 10, 1, 1, name);
		qlog_add(q, &e);
		if (i % 100 == 0) {
			entry(&e, t + i / 10, 2, 2, "calm.example");
			qlog_add(q, &e);
		}
	}
	qlog_stats(q, &st);
	/* the burst passes (100 ms refill a token less than one), the rest is counted */
	assert_int_equal(st.collapsed, 1000 - 20);
	/* the flood ends: the count is written within about a second */
	for (i = 0; i < 50; i++) {
		usleep(100000);
		if (raw_int(f->path, "SELECT count(*) FROM dns_log WHERE collapsed > 0") > 0)
			break;
	}
	assert_int_equal(raw_int(f->path, "SELECT sum(collapsed) FROM dns_log WHERE device_id = 1"),
			 1000 - 20);
	qlog_free(q);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dns_log WHERE device_id = 2"), 10);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dns_log WHERE device_id = 1"), 21);
	/* the statistics count the queries a row stands for */
	assert_int_equal(raw_int(f->path, "SELECT sum(queries) FROM dns_hourly WHERE user_id = 1"),
			 1000);
}

static void test_many(void **state)
{
	struct fixture *f = *state;
	struct qlog_conf c = { .db_path = f->path, .retention_days = 1 };
	struct qlog_entry e;
	struct qlog_stats st;
	struct qlog *q;
	struct db *db;
	int64_t t = wall_ms();
	char name[64];
	int i;

	assert_int_equal(qlog_new(&c, &q), 0);
	/* the daemon's own connection writes meanwhile */
	assert_int_equal(db_open(f->path, &db), 0);
	for (i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "n%d.example.com", i % 5000);
		entry(&e, t + i / 100, 1 + i % 50, 100 + i % 50, name);
		qlog_add(q, &e);
		if (i % 10000 == 0) {
			struct db_dns_record r = { .type = "A", .value = "10.0.0.1" };

			snprintf(r.name, sizeof(r.name), "h%d.vpn.internal", i);
			assert_int_equal(db_dns_record_add(db, &r, NULL), 0);
		}
	}
	db_close(db);
	qlog_free(q);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dns_log"), 100000);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dns_names"), 5000);
	assert_int_equal(raw_int(f->path, "SELECT count(DISTINCT device_id) FROM dns_log"), 50);
	assert_int_equal(raw_int(f->path, "SELECT sum(queries) FROM dns_hourly"), 100000);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dns_records"), 10);
	(void)st;
}

/* Rows older than the retention go as the writer passes, a chunk at a time; newer stay. */
static void test_retention(void **state)
{
	struct fixture *f = *state;
	struct qlog_conf c = { .db_path = f->path, .retention_days = 1 };
	struct qlog_entry e;
	struct qlog *q;
	int64_t t = wall_ms();
	int i;

	assert_int_equal(qlog_new(&c, &q), 0);
	for (i = 0; i < 12000; i++) {
		entry(&e, t - 3 * 86400000LL + i, 1, 100, "old.example.com");
		qlog_add(q, &e);
	}
	for (i = 0; i < 10; i++) {
		entry(&e, t, 2, 200, "new.example.com");
		qlog_add(q, &e);
	}
	/* the passes go on with no rows coming: within a few seconds the old are gone */
	for (i = 0; i < 100 && raw_int(f->path, "SELECT count(*) FROM dns_log") != 10; i++)
		usleep(100000);
	qlog_free(q);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dns_log"), 10);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dns_log WHERE user_id = 2"), 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows_land, setup, teardown),
		cmocka_unit_test_setup_teardown(test_collapse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
