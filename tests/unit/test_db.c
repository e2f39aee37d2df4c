/* The server database on a real SQLite file: schema, migrations, users, addresses,
 * counters, sessions, and 10,000 users in one transaction. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "profiles/cidr.h"
#include "server/db.h"

#define STR_(x) #x
#define STR(x) STR_(x)

struct fixture {
	char dir[64];
	char path[96];
	struct db *db;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/warren-test-db-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/warren.db", f->dir);
	if (db_open(f->path, &f->db) < 0)
		return -1;
	*state = f;
	return 0;
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

/* A user whose public key and ciphertexts are derived from seed. */
static void make_user(struct db_user *u, const char *name, unsigned int seed)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", name);
	memset(u->public_key, 0, KEY_LEN);
	memcpy(u->public_key, &seed, sizeof(seed));
	u->public_key[31] = 0x40;
	u->private_key_enc_len = 72;
	memset(u->private_key_enc, (int)(seed & 0xff), 72);
	u->private_key_enc[0] = 0; /* a NUL inside must survive: it is a blob */
	u->preshared_key_enc_len = 72;
	memset(u->preshared_key_enc, 0xa5, 72);
}

/* Query the file through a connection of its own. */
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

static void test_open_schema(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	sqlite3 *sq;
	sqlite3_stmt *s;
	int64_t v;

	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(db_pragma_int(f->db, "user_version", &v), 0);
	assert_int_equal(v, DB_SCHEMA_VERSION);
	assert_int_equal(db_pragma_int(f->db, "foreign_keys", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(db_pragma_int(f->db, "busy_timeout", &v), 0);
	assert_int_equal(v, 5000);
	assert_int_equal(db_pragma_int(f->db, "synchronous", &v), 0);
	assert_int_equal(v, 1); /* NORMAL */
	assert_int_equal(db_pragma_int(f->db, "user_version; DROP TABLE users", &v), -EINVAL);
	/* WAL is a property of the file: another connection sees it */
	assert_int_equal(sqlite3_open_v2(f->path, &sq, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(sq, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(sq);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
				 " AND name IN ('users', 'addresses', 'sessions', 'session_endpoints')"), 4);
	db_close(NULL);
	assert_string_equal(db_errmsg(NULL), "no error");
}

static void test_reopen_and_versions(void **state)
{
	struct fixture *f = *state;
	struct db_user u, got;
	struct db *db2;
	sqlite3 *sq;
	int64_t id, v;

	make_user(&u, "alice", 1);
	assert_int_equal(db_user_add(f->db, &u, &id), 0);
	db_close(f->db);
	f->db = NULL;
	/* reopening is idempotent: the migrations do not run twice and the data stays */
	assert_int_equal(db_open(f->path, &f->db), 0);
	assert_int_equal(db_open(f->path, &db2), 0);
	assert_int_equal(db_pragma_int(db2, "user_version", &v), 0);
	assert_int_equal(v, DB_SCHEMA_VERSION);
	db_close(db2);
	assert_int_equal(db_user_get_by_name(f->db, "alice", &got), 0);
	assert_int_equal(got.id, id);
	db_close(f->db);
	f->db = NULL;

	/* a database from a newer warren is refused, and left alone */
	assert_int_equal(sqlite3_open_v2(f->path, &sq, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(sq, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(sq);
	db2 = (struct db *)&v; /* must be reset to NULL */
	assert_int_equal(db_open(f->path, &db2), -EPROTONOSUPPORT);
	assert_null(db2);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 99);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM users"), 1);
	/* put it back so teardown and the fixture work */
	assert_int_equal(sqlite3_open_v2(f->path, &sq, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(sq, "PRAGMA user_version = " STR(DB_SCHEMA_VERSION), NULL, NULL,
				      NULL), SQLITE_OK);
	sqlite3_close(sq);
	assert_int_equal(db_open(f->path, &f->db), 0);

	/* a path that cannot be created */
	assert_int_equal(db_open("/nonexistent-dir/x.db", &db2), -ENOENT);
	assert_null(db2);
}

static int count_user(const struct db_user *u, void *arg)
{
	(void)u;
	(*(size_t *)arg)++;
	return 0;
}

static int stop_at_two(const struct db_user *u, void *arg)
{
	return ++*(size_t *)arg == 2 ? 42 : 0;
}

static void test_users(void **state)
{
	struct fixture *f = *state;
	struct db_user a, b, got;
	int64_t ida, idb, at;
	size_t n = 0;

	make_user(&a, "alice", 1);
	a.created = 1000;
	a.expires = 5000;
	a.quota_bytes = 50ull << 30;
	a.quota_period = DB_QUOTA_MONTH;
	a.quota_reset_day = 15;
	assert_int_equal(db_user_add(f->db, &a, &ida), 0);
	make_user(&b, "bob", 2);
	b.private_key_enc_len = 0; /* bob brought his own public key */
	assert_int_equal(db_user_add(f->db, &b, &idb), 0);
	assert_true(idb > ida);

	assert_int_equal(db_user_get_by_name(f->db, "alice", &got), 0);
	assert_int_equal(got.id, ida);
	assert_string_equal(got.name, "alice");
	assert_int_equal(got.created, 1000);
	assert_int_equal(got.expires, 5000);
	assert_int_equal(got.quota_bytes, 50ull << 30);
	assert_int_equal(got.quota_period, DB_QUOTA_MONTH);
	assert_int_equal(got.quota_reset_day, 15);
	assert_int_equal(got.disabled, DB_ENABLED);
	assert_memory_equal(got.public_key, a.public_key, KEY_LEN);
	assert_int_equal(got.private_key_enc_len, 72);
	assert_memory_equal(got.private_key_enc, a.private_key_enc, 72);
	assert_int_equal(got.preshared_key_enc_len, 72);
	assert_memory_equal(got.preshared_key_enc, a.preshared_key_enc, 72);
	assert_int_equal(got.period_start, 1000);
	db_user_wipe(&got);

	assert_int_equal(db_user_get_by_key(f->db, b.public_key, &got), 0);
	assert_string_equal(got.name, "bob");
	assert_int_equal(got.private_key_enc_len, 0);
	assert_int_equal(got.expires, 0);
	assert_int_equal(got.quota_bytes, 0);
	assert_int_equal(got.quota_period, DB_QUOTA_TOTAL);
	assert_true(got.created > 1600000000); /* now */
	assert_int_equal(db_user_get(f->db, idb, &got), 0);
	assert_string_equal(got.name, "bob");
	assert_int_equal(db_user_get_by_name(f->db, "carol", &got), -ENOENT);

	/* duplicates: name, public key */
	make_user(&got, "alice", 3);
	assert_int_equal(db_user_add(f->db, &got, NULL), -EEXIST);
	assert_non_null(strstr(db_errmsg(f->db), "alice"));
	make_user(&got, "carol", 1);
	assert_int_equal(db_user_add(f->db, &got, NULL), -EEXIST);
	/* values the schema refuses */
	make_user(&got, "carol", 3);
	got.quota_reset_day = 40;
	assert_int_equal(db_user_add(f->db, &got, NULL), -EINVAL);
	make_user(&got, "", 3);
	assert_int_equal(db_user_add(f->db, &got, NULL), -EINVAL);
	make_user(&got, "carol", 3);
	got.private_key_enc_len = DB_SECRET_MAX + 1;
	assert_int_equal(db_user_add(f->db, &got, NULL), -EINVAL);

	assert_int_equal(db_user_list(f->db, count_user, &n), 0);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(db_user_list(f->db, stop_at_two, &n), 42);
	/* the statement was reset: listing again works */
	n = 0;
	assert_int_equal(db_user_list(f->db, count_user, &n), 0);
	assert_int_equal(n, 2);

	assert_int_equal(db_user_next_expiry(f->db, &at), 0);
	assert_int_equal(at, 5000);

	/* update: disable, new key (rotation), no quota; name and created stay */
	assert_int_equal(db_user_get(f->db, ida, &got), 0);
	got.disabled = DB_DISABLED_EXPIRED;
	got.quota_bytes = 0;
	got.public_key[0] ^= 0xff;
	got.private_key_enc_len = 10;
	memset(got.private_key_enc, 7, 10);
	snprintf(got.name, sizeof(got.name), "ignored");
	assert_int_equal(db_user_update(f->db, &got), 0);
	assert_int_equal(db_user_get(f->db, ida, &a), 0);
	assert_string_equal(a.name, "alice");
	assert_int_equal(a.disabled, DB_DISABLED_EXPIRED);
	assert_int_equal(a.quota_bytes, 0);
	assert_int_equal(a.private_key_enc_len, 10);
	assert_memory_equal(a.public_key, got.public_key, KEY_LEN);
	assert_int_equal(a.created, 1000);
	/* a disabled user's expiry no longer arms the timer */
	assert_int_equal(db_user_next_expiry(f->db, &at), -ENOENT);
	a.disabled = DB_DISABLED_ADMIN;
	assert_int_equal(db_user_update(f->db, &a), 0);
	assert_int_equal(db_user_get(f->db, ida, &got), 0);
	assert_int_equal(got.disabled, DB_DISABLED_ADMIN);
	/* a key another user has is refused */
	memcpy(a.public_key, b.public_key, KEY_LEN);
	assert_int_equal(db_user_update(f->db, &a), -EEXIST);
	a.id = 999999;
	assert_int_equal(db_user_update(f->db, &a), -ENOENT);

	assert_int_equal(db_user_delete(f->db, ida), 0);
	assert_int_equal(db_user_get(f->db, ida, &got), -ENOENT);
	assert_int_equal(db_user_delete(f->db, ida), -ENOENT);
	db_user_wipe(&got);
}

struct addr_seen {
	size_t n;
	int64_t user_id;
	char last[CIDR_STRLEN];
};

static int collect_addr(int64_t user_id, const struct cidr *addr, void *arg)
{
	struct addr_seen *s = arg;

	s->n++;
	s->user_id = user_id;
	ip_fmt(addr, s->last);
	return 0;
}

static void add_addr(struct db *db, int64_t user, const char *text, int want)
{
	struct cidr c;

	assert_int_equal(ip_parse(&c, text), 0);
	assert_int_equal(db_addr_add(db, user, &c), want);
}

static void test_addresses(void **state)
{
	struct fixture *f = *state;
	struct db_user u;
	struct addr_seen s = { 0 };
	int64_t a, b;

	make_user(&u, "alice", 1);
	assert_int_equal(db_user_add(f->db, &u, &a), 0);
	make_user(&u, "bob", 2);
	assert_int_equal(db_user_add(f->db, &u, &b), 0);
	add_addr(f->db, a, "10.9.0.2", 0);
	add_addr(f->db, a, "fd09::2", 0);
	add_addr(f->db, b, "10.9.0.3", 0);
	/* an address belongs to one user only; the same address written differently too */
	add_addr(f->db, b, "10.9.0.2", -EEXIST);
	add_addr(f->db, b, "fd09:0:0::2", -EEXIST);
	/* no such user */
	add_addr(f->db, 12345, "10.9.0.9", -ENOENT);

	assert_int_equal(db_addr_list_family(f->db, AF_INET, collect_addr, &s), 0);
	assert_int_equal(s.n, 2);
	memset(&s, 0, sizeof(s));
	assert_int_equal(db_addr_list_family(f->db, AF_INET6, collect_addr, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.user_id, a);
	assert_string_equal(s.last, "fd09::2");
	memset(&s, 0, sizeof(s));
	assert_int_equal(db_addr_list_user(f->db, b, collect_addr, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.last, "10.9.0.3");
}

static int count_session(const struct db_session *s, void *arg)
{
	(void)s;
	(*(size_t *)arg)++;
	return 0;
}

static int copy_session(const struct db_session *s, void *arg)
{
	*(struct db_session *)arg = *s;
	return 0;
}

struct ep_seen {
	size_t n;
	int64_t at;
	char endpoint[DB_ENDPOINT_MAX];
};

static int collect_ep(int64_t at, const char *endpoint, void *arg)
{
	struct ep_seen *e = arg;

	e->n++;
	e->at = at;
	snprintf(e->endpoint, sizeof(e->endpoint), "%s", endpoint);
	return 0;
}

static size_t sessions(struct db *db, int64_t user, int64_t since, int64_t until, bool open)
{
	struct db_session_filter fl = { .user_id = user, .since = since, .until = until,
					.open_only = open };
	size_t n = 0;

	assert_int_equal(db_session_list(db, &fl, count_session, &n), 0);
	return n;
}

static void test_cascade(void **state)
{
	struct fixture *f = *state;
	struct db_user u;
	struct addr_seen s = { 0 };
	struct ep_seen e = { 0 };
	int64_t a, b, sa, sb;

	make_user(&u, "alice", 1);
	assert_int_equal(db_user_add(f->db, &u, &a), 0);
	make_user(&u, "bob", 2);
	assert_int_equal(db_user_add(f->db, &u, &b), 0);
	add_addr(f->db, a, "10.9.0.2", 0);
	add_addr(f->db, b, "10.9.0.3", 0);
	assert_int_equal(db_session_open(f->db, a, 100, "192.0.2.1:4000", "10.9.0.2", &sa), 0);
	assert_int_equal(db_session_add_endpoint(f->db, sa, 150, "192.0.2.7:4000"), 0);
	assert_int_equal(db_session_open(f->db, b, 100, "192.0.2.2:4000", "10.9.0.3", &sb), 0);

	assert_int_equal(db_user_delete(f->db, a), 0);
	assert_int_equal(db_addr_list_user(f->db, a, collect_addr, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(sessions(f->db, a, 0, 0, false), 0);
	assert_int_equal(db_session_endpoints(f->db, sa, collect_ep, &e), 0);
	assert_int_equal(e.n, 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM session_endpoints"), 0);
	/* bob is untouched, and alice's address is free again */
	assert_int_equal(sessions(f->db, 0, 0, 0, false), 1);
	assert_int_equal(db_addr_list_family(f->db, AF_INET, collect_addr, &s), 0);
	assert_int_equal(s.n, 1);
	add_addr(f->db, b, "10.9.0.2", 0);
	/* a session for a user that is gone */
	assert_int_equal(db_session_open(f->db, a, 200, "", "", NULL), -ENOENT);
}

static void test_counters(void **state)
{
	struct fixture *f = *state;
	struct db_user u, got;
	int64_t id;

	make_user(&u, "alice", 1);
	assert_int_equal(db_user_add(f->db, &u, &id), 0);
	assert_int_equal(db_counters_add(f->db, id, 1000, 2000, 1000, 2000), 0);
	assert_int_equal(db_counters_add(f->db, id, 1, 2, 1001, 2002), 0);
	assert_int_equal(db_user_get(f->db, id, &got), 0);
	assert_int_equal(got.seen_rx, 1001);
	assert_int_equal(got.seen_tx, 2002);
	assert_int_equal(got.rx_total, 1001);
	assert_int_equal(got.tx_total, 2002);
	assert_int_equal(got.rx_period, 1001);
	assert_int_equal(got.tx_period, 2002);

	assert_int_equal(db_counters_reset_period(f->db, id, 777), 0);
	assert_int_equal(db_counters_add(f->db, id, 5, 6, 5, 6), 0);
	assert_int_equal(db_user_get(f->db, id, &got), 0);
	assert_int_equal(got.rx_total, 1006);
	assert_int_equal(got.tx_total, 2008);
	assert_int_equal(got.rx_period, 5);
	assert_int_equal(got.tx_period, 6);
	assert_int_equal(got.period_start, 777);

	/* rotation (an update with new keys) keeps the totals */
	got.public_key[1] ^= 1;
	assert_int_equal(db_user_update(f->db, &got), 0);
	assert_int_equal(db_user_get(f->db, id, &got), 0);
	assert_int_equal(got.rx_total, 1006);
	assert_int_equal(got.tx_period, 6);

	/* big values survive the signed column */
	assert_int_equal(db_counters_add(f->db, id, 1ull << 40, 0, 1ull << 40, 0), 0);
	assert_int_equal(db_user_get(f->db, id, &got), 0);
	assert_int_equal(got.rx_total, (1ull << 40) + 1006);

	assert_int_equal(db_counters_add(f->db, id + 100, 1, 1, 1, 1), -ENOENT);
	assert_int_equal(db_counters_reset_period(f->db, id + 100, 1), -ENOENT);
}

static void test_sessions(void **state)
{
	struct fixture *f = *state;
	struct db_user u;
	struct db_session s;
	struct db_session_filter fl = { 0 };
	struct ep_seen e = { 0 };
	int64_t a, b, s1, s2, s3;
	uint64_t n;

	make_user(&u, "alice", 1);
	assert_int_equal(db_user_add(f->db, &u, &a), 0);
	make_user(&u, "bob", 2);
	assert_int_equal(db_user_add(f->db, &u, &b), 0);

	/* alice: [100, 200] then [1000, open); bob: [500, 600] */
	assert_int_equal(db_session_open(f->db, a, 100, "192.0.2.1:4000", "10.9.0.2", &s1), 0);
	assert_int_equal(db_session_add_bytes(f->db, s1, 10, 20, 120), 0);
	assert_int_equal(db_session_add_bytes(f->db, s1, 1, 2, 190), 0);
	assert_int_equal(db_session_add_endpoint(f->db, s1, 150, "[2001:db8::1]:4001"), 0);
	assert_int_equal(db_session_add_endpoint(f->db, s1, 160, "192.0.2.9:4002"), 0);
	assert_int_equal(db_session_close(f->db, s1, 200), 0);
	assert_int_equal(db_session_close(f->db, s1, 300), -ENOENT); /* already closed */
	assert_int_equal(db_session_open(f->db, b, 500, "198.51.100.1:51820", "10.9.0.3", &s2), 0);
	assert_int_equal(db_session_close(f->db, s2, 600), 0);
	assert_int_equal(db_session_open(f->db, a, 1000, "192.0.2.1:4000", "10.9.0.2", &s3), 0);
	assert_int_equal(db_session_add_bytes(f->db, 99999, 1, 1, 1), -ENOENT);
	assert_int_equal(db_session_add_endpoint(f->db, 99999, 1, "x"), -ENOENT);
	assert_int_equal(db_session_open(f->db, a, 1, "a-very-long-endpoint-name-that-does-not-fit"
					 "-in-sixty-four-bytes:51820", "", NULL), -EINVAL);

	fl.user_id = a;
	fl.until = 150;
	memset(&s, 0, sizeof(s));
	assert_int_equal(db_session_list(f->db, &fl, copy_session, &s), 0);
	assert_int_equal(s.id, s1);
	assert_int_equal(s.user_id, a);
	assert_int_equal(s.started, 100);
	assert_int_equal(s.ended, 200);
	assert_string_equal(s.endpoint, "192.0.2.1:4000");
	assert_string_equal(s.address, "10.9.0.2");
	assert_int_equal(s.rx, 11);
	assert_int_equal(s.tx, 22);
	assert_int_equal(s.last_seen, 190);
	assert_int_equal(db_session_endpoints(f->db, s1, collect_ep, &e), 0);
	assert_int_equal(e.n, 2);
	assert_int_equal(e.at, 160);
	assert_string_equal(e.endpoint, "192.0.2.9:4002");

	/* by user, by window (sessions overlapping [since, until)), open ones */
	assert_int_equal(sessions(f->db, 0, 0, 0, false), 3);
	assert_int_equal(sessions(f->db, a, 0, 0, false), 2);
	assert_int_equal(sessions(f->db, b, 0, 0, false), 1);
	assert_int_equal(sessions(f->db, 0, 150, 550, false), 2); /* alice 1, bob */
	assert_int_equal(sessions(f->db, 0, 201, 0, false), 2);   /* bob's, alice's open one */
	assert_int_equal(sessions(f->db, 0, 601, 0, false), 1);   /* the open one only */
	assert_int_equal(sessions(f->db, a, 201, 999, false), 0);
	assert_int_equal(sessions(f->db, a, 5000, 0, false), 1);  /* open: still going */
	assert_int_equal(sessions(f->db, 0, 0, 0, true), 1);
	assert_int_equal(sessions(f->db, b, 0, 0, true), 0);

	/* purge what ended before 550: alice's first session and its endpoint changes */
	assert_int_equal(db_session_purge(f->db, 550, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sessions(f->db, 0, 0, 0, false), 2);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM session_endpoints"), 0);
	/* open sessions are never purged */
	assert_int_equal(db_session_purge(f->db, 1000000, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sessions(f->db, 0, 0, 0, false), 1);
	assert_int_equal(sessions(f->db, 0, 0, 0, true), 1);
	assert_int_equal(db_session_purge(f->db, 1000000, NULL), 0);
}

static void test_transactions(void **state)
{
	struct fixture *f = *state;
	struct db_user u;

	assert_int_equal(db_rollback(f->db), 0); /* none open: nothing to do */
	assert_int_equal(db_begin(f->db), 0);
	make_user(&u, "alice", 1);
	assert_int_equal(db_user_add(f->db, &u, NULL), 0);
	assert_int_equal(db_rollback(f->db), 0);
	assert_int_equal(db_user_get_by_name(f->db, "alice", &u), -ENOENT);
	assert_int_equal(db_begin(f->db), 0);
	make_user(&u, "alice", 1);
	assert_int_equal(db_user_add(f->db, &u, NULL), 0);
	assert_int_equal(db_commit(f->db), 0);
	assert_int_equal(db_user_get_by_name(f->db, "alice", &u), 0);
	assert_int_equal(db_commit(f->db), -EIO); /* no transaction */
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_10k_users(void **state)
{
	struct fixture *f = *state;
	struct db_user u, got;
	struct cidr c;
	char name[32];
	double t0, t_add, t_list, t_get;
	size_t n = 0;
	unsigned int i;
	int64_t id;

	t0 = now_s();
	assert_int_equal(db_begin(f->db), 0);
	for (i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "user%05u", i);
		make_user(&u, name, i + 1);
		assert_int_equal(db_user_add(f->db, &u, &id), 0);
		memset(&c, 0, sizeof(c));
		c.family = AF_INET;
		c.addr[0] = 10;
		c.addr[1] = 9;
		c.addr[2] = (uint8_t)((i + 2) >> 8);
		c.addr[3] = (uint8_t)(i + 2);
		c.prefix = 32;
		assert_int_equal(db_addr_add(f->db, id, &c), 0);
	}
	assert_int_equal(db_commit(f->db), 0);
	t_add = now_s() - t0;

	t0 = now_s();
	assert_int_equal(db_user_list(f->db, count_user, &n), 0);
	t_list = now_s() - t0;
	assert_int_equal(n, 10000);

	t0 = now_s();
	assert_int_equal(db_begin(f->db), 0);
	make_user(&u, "one-more", 20000);
	assert_int_equal(db_user_add(f->db, &u, &id), 0);
	assert_int_equal(db_commit(f->db), 0);
	assert_int_equal(db_user_get_by_name(f->db, "user04242", &got), 0);
	t_get = now_s() - t0;

	print_message("10,000 users + addresses in one transaction: %.1f ms; list: %.1f ms; "
		      "one more user + lookup: %.3f ms\n", t_add * 1e3, t_list * 1e3, t_get * 1e3);
	assert_true(t_add < 1.0);
	assert_true(t_list < 1.0);
	db_user_wipe(&u);
	db_user_wipe(&got);
}

static int count_device(const struct db_device *d, void *arg)
{
	(void)d;
	(*(size_t *)arg)++;
	return 0;
}

static void test_devices(void **state)
{
	struct fixture *f = *state;
	uint8_t t1[DB_HASH_LEN], t2[DB_HASH_LEN], c1[DB_HASH_LEN];
	struct db_device d;
	struct db_user u;
	int64_t a, b, id;
	size_t n = 0;

	memset(t1, 1, sizeof(t1));
	memset(t2, 2, sizeof(t2));
	memset(c1, 3, sizeof(c1));
	make_user(&u, "alice", 1);
	assert_int_equal(db_user_add(f->db, &u, &a), 0);
	make_user(&u, "bob", 2);
	assert_int_equal(db_user_add(f->db, &u, &b), 0);

	assert_int_equal(db_device_add(f->db, a, "gw1", t1, 1000, &id), 0);
	/* one device per user, names unique */
	assert_int_equal(db_device_add(f->db, a, "gw2", t2, 1000, NULL), -EEXIST);
	assert_int_equal(db_device_add(f->db, b, "gw1", t2, 1000, NULL), -EEXIST);
	assert_int_equal(db_device_add(f->db, b, "gw2", t2, 1000, NULL), 0);

	/* the token finds the device until it expires */
	assert_int_equal(db_device_get_by_token(f->db, t1, 999, &d), 0);
	assert_int_equal(d.id, id);
	assert_string_equal(d.name, "gw1");
	assert_int_equal(d.user_id, a);
	assert_int_equal(d.enrolled, 0);
	assert_int_equal(db_device_get_by_token(f->db, t1, 1000, &d), -ENOENT);
	/* enrolment uses it up, once */
	assert_int_equal(db_device_enroll(f->db, id, c1, 500), 0);
	assert_int_equal(db_device_enroll(f->db, id, c1, 501), -ENOENT);
	assert_int_equal(db_device_get_by_token(f->db, t1, 600, &d), -ENOENT);
	assert_int_equal(db_device_get_by_credential(f->db, c1, &d), 0);
	assert_int_equal(d.enrolled, 500);
	assert_int_equal(d.token_expires, 0);
	assert_false(d.has_profile_hash);

	assert_int_equal(db_device_set_profile(f->db, id, 7, t2, 1234), 0);
	assert_int_equal(db_device_get(f->db, id, &d), 0);
	assert_int_equal(d.profile_serial, 7);
	assert_int_equal(d.profile_issued, 1234);
	assert_true(d.has_profile_hash);
	assert_memory_equal(d.profile_hash, t2, DB_HASH_LEN);

	assert_int_equal(db_device_list(f->db, count_device, &n), 0);
	assert_int_equal(n, 2);
	/* a user's device goes with the user */
	assert_int_equal(db_user_delete(f->db, a), 0);
	assert_int_equal(db_device_get(f->db, id, &d), -ENOENT);
	assert_int_equal(db_device_get_by_name(f->db, "gw2", &d), 0);
	assert_int_equal(db_device_delete(f->db, d.id), 0);
	assert_int_equal(db_device_delete(f->db, d.id), -ENOENT);
}

static void test_tokens(void **state)
{
	struct fixture *f = *state;
	uint8_t h[DB_HASH_LEN], other[DB_HASH_LEN];
	struct db_token t;

	memset(h, 9, sizeof(h));
	memset(other, 8, sizeof(other));
	assert_int_equal(db_token_add(f->db, "ops", h), 0);
	assert_int_equal(db_token_add(f->db, "ops", other), -EEXIST);
	assert_int_equal(db_token_check(f->db, other, 10, &t), -ENOENT);
	assert_int_equal(db_token_check(f->db, h, 10, &t), 0);
	assert_string_equal(t.name, "ops");
	assert_int_equal(db_token_check(f->db, h, 20, &t), 0);
	assert_int_equal(t.last_used, 10);   /* as it was before this use */
	assert_int_equal(db_token_delete(f->db, "ops"), 0);
	assert_int_equal(db_token_check(f->db, h, 30, &t), -ENOENT);
	assert_int_equal(db_token_delete(f->db, "ops"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_and_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cascade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_10k_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
