/* The storage of schema 6 (server/db/db.h) on real SQLite files: every function's answers
 * and errors, cascades, counters, the migration of a version-3 file, keyset paging
 * through 10,000 users in every order, search, cursors, and the time one page takes. */
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

#include "common/util.h"
#include "profiles/cidr.h"
#include "server/db/db.h"

#define STR_(x) #x
#define STR(x) STR_(x)

struct fixture {
	char dir[64];
	char path[96];
	struct db *db;
};

static int setup_empty(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/warren-test-store-XXXXXX");
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

/* ---- helpers ---- */

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

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *sq;
	char *msg = NULL;

	assert_int_equal(sqlite3_open_v2(path, &sq, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
					 NULL), SQLITE_OK);
	if (sqlite3_exec(sq, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(sq);
}

static void make_key(uint8_t key[KEY_LEN], unsigned int seed)
{
	memset(key, 0, KEY_LEN);
	memcpy(key, &seed, sizeof(seed));
	key[31] = 0x40;
}

static void make_user(struct db_user *u, const char *name)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", name);
}

static int64_t add_user(struct db *db, const char *name)
{
	struct db_user u;
	int64_t id = 0;

	make_user(&u, name);
	assert_int_equal(db_user_add(db, &u, &id), 0);
	return id;
}

/* A config device whose keys derive from seed. */
static void make_device(struct db_device *d, int64_t user, const char *name, unsigned int seed)
{
	memset(d, 0, sizeof(*d));
	d->user_id = user;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->kind = DB_DEVICE_CONFIG;
	d->has_key = true;
	make_key(d->public_key, seed);
	d->private_key_enc_len = 72;
	memset(d->private_key_enc, (int)(seed & 0xff), 72);
	d->private_key_enc[0] = 0; /* a NUL inside must survive: it is a blob */
	d->preshared_key_enc_len = 72;
	memset(d->preshared_key_enc, 0xa5, 72);
}

static int64_t add_device(struct db *db, int64_t user, const char *name, unsigned int seed)
{
	struct db_device d;
	int64_t id = 0;

	make_device(&d, user, name, seed);
	assert_int_equal(db_device_add(db, &d, NULL, &id), 0);
	return id;
}

static void add_addr(struct db *db, int64_t device, const char *text, int want)
{
	struct cidr c;

	assert_int_equal(ip_parse(&c, text), 0);
	assert_int_equal(db_addr_add(db, device, &c), want);
}

static int count_user(const struct db_user *u, void *arg)
{
	(void)u;
	(*(size_t *)arg)++;
	return 0;
}

static int stop_at_two(const struct db_user *u, void *arg)
{
	(void)u;
	return ++*(size_t *)arg == 2 ? 42 : 0;
}

static int count_device(const struct db_device *d, void *arg)
{
	(void)d;
	(*(size_t *)arg)++;
	return 0;
}

static int count_session(const struct db_session *s, void *arg)
{
	(void)s;
	(*(size_t *)arg)++;
	return 0;
}

struct addr_seen {
	size_t n;
	int64_t device_id;
	char first[CIDR_STRLEN];
	char last[CIDR_STRLEN];
};

static int collect_addr(int64_t device_id, const struct cidr *addr, void *arg)
{
	struct addr_seen *s = arg;

	if (s->n++ == 0)
		ip_fmt(addr, s->first);
	s->device_id = device_id;
	ip_fmt(addr, s->last);
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

/* ---- opening, versions, transactions ---- */

static void test_open_schema(void **state)
{
	struct fixture *f = *state;
	struct db_group g;
	struct stat st;
	sqlite3 *sq;
	sqlite3_stmt *s;
	int64_t v;

	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(db_pragma_int(f->db, "user_version", &v), 0);
	assert_int_equal(v, DB_SCHEMA_VERSION);
	assert_int_equal(v, 7);
	assert_int_equal(db_pragma_int(f->db, "foreign_keys", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(db_pragma_int(f->db, "busy_timeout", &v), 0);
	assert_int_equal(v, 5000);
	assert_int_equal(db_pragma_int(f->db, "synchronous", &v), 0);
	assert_int_equal(v, 1); /* NORMAL */
	assert_int_equal(db_pragma_int(f->db, "mmap_size", &v), 0);
	assert_true(v > 0);
	assert_int_equal(db_pragma_int(f->db, "user_version; DROP TABLE users", &v), -EINVAL);
	assert_int_equal(db_pragma_int(f->db, "", &v), -EINVAL);
	/* WAL is a property of the file: another connection sees it */
	assert_int_equal(sqlite3_open_v2(f->path, &sq, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(sq, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(sq);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
				 " AND name IN ('users', 'devices', 'addresses', 'sessions',"
				 " 'session_endpoints', 'groups', 'admins', 'admin_tokens', 'audit',"
				 " 'settings', 'traffic')"), 11);
	/* no table of the rebuild is left behind */
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_schema"
				 " WHERE name LIKE '%4'"), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM pragma_table_list"
				 " WHERE schema = 'main' AND name NOT LIKE 'sqlite%' AND strict = 0"), 0);
	assert_int_equal(db_group_get(f->db, DB_GROUP_DEFAULT, &g), 0);
	assert_string_equal(g.name, "default");
	db_close(NULL);
	assert_string_equal(db_errmsg(NULL), "no error");
	assert_string_equal(db_errmsg(f->db), "bad pragma name");
}

static void test_reopen_and_versions(void **state)
{
	struct fixture *f = *state;
	struct db_user got;
	struct db *db2;
	sqlite3 *sq;
	int64_t id, v;

	id = add_user(f->db, "alice");
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
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM groups"), 1);
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
	assert_int_equal(sqlite3_open_v2(f->path, &sq, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(sq, "PRAGMA user_version = " STR(DB_SCHEMA_VERSION), NULL,
				      NULL, NULL), SQLITE_OK);
	sqlite3_close(sq);
	assert_int_equal(db_open(f->path, &f->db), 0);

	/* a path that cannot be created */
	assert_int_equal(db_open("/nonexistent-dir/x.db", &db2), -ENOENT);
	assert_null(db2);
}

static void test_transactions(void **state)
{
	struct fixture *f = *state;
	struct db_user u;

	assert_int_equal(db_rollback(f->db), 0); /* none open: nothing to do */
	assert_int_equal(db_begin(f->db), 0);
	add_user(f->db, "alice");
	assert_int_equal(db_rollback(f->db), 0);
	assert_int_equal(db_user_get_by_name(f->db, "alice", &u), -ENOENT);
	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(db_begin(f->db), -EIO); /* no nesting */
	add_user(f->db, "alice");
	assert_int_equal(db_commit(f->db), 0);
	assert_int_equal(db_user_get_by_name(f->db, "alice", &u), 0);
	assert_int_equal(db_commit(f->db), -EIO); /* no transaction */
}

/* ---- users ---- */

static void test_users(void **state)
{
	struct fixture *f = *state;
	struct db_user a, b, got;
	uint64_t states[4];
	int64_t ida, idb, at, gid;
	size_t n = 0;

	make_user(&a, "alice");
	a.created = 1000;
	a.expires = 5000;
	a.quota_bytes = 50ull << 30;
	a.quota_period = DB_QUOTA_MONTH;
	a.quota_reset_day = 15;
	snprintf(a.email, sizeof(a.email), "alice@example.net");
	snprintf(a.password_hash, sizeof(a.password_hash), "$argon2id$v=19$m=65536,t=3,p=1$x$y");
	a.must_change_password = true;
	/* counters are not written by add */
	a.rx_total = 99;
	assert_int_equal(db_user_add(f->db, &a, &ida), 0);
	make_user(&b, "bob");
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
	assert_int_equal(got.period_start, 1000);
	assert_int_equal(got.disabled, DB_ENABLED);
	assert_int_equal(got.group_id, DB_GROUP_DEFAULT);
	assert_string_equal(got.email, "alice@example.net");
	assert_string_equal(got.password_hash, a.password_hash);
	assert_true(got.must_change_password);
	assert_int_equal(got.rx_total, 0);
	db_user_wipe(&got);
	assert_int_equal(got.name[0], 0);

	assert_int_equal(db_user_get(f->db, idb, &got), 0);
	assert_string_equal(got.name, "bob");
	assert_int_equal(got.expires, 0);
	assert_int_equal(got.quota_bytes, 0);
	assert_int_equal(got.quota_period, DB_QUOTA_TOTAL);
	assert_int_equal(got.quota_reset_day, 1);
	assert_string_equal(got.email, "");
	assert_string_equal(got.password_hash, "");
	assert_false(got.must_change_password);
	assert_true(got.created > 1600000000); /* now */
	assert_int_equal(got.period_start, got.created);
	assert_int_equal(db_user_get_by_name(f->db, "carol", &got), -ENOENT);
	assert_int_equal(db_user_get(f->db, 12345, &got), -ENOENT);

	/* duplicates and values out of range */
	make_user(&got, "alice");
	assert_int_equal(db_user_add(f->db, &got, NULL), -EEXIST);
	assert_non_null(strstr(db_errmsg(f->db), "alice"));
	make_user(&got, "carol");
	got.quota_reset_day = 40;
	assert_int_equal(db_user_add(f->db, &got, NULL), -EINVAL);
	make_user(&got, "");
	assert_int_equal(db_user_add(f->db, &got, NULL), -EINVAL);
	make_user(&got, "carol");
	memset(got.name, 'c', sizeof(got.name)); /* no terminating NUL */
	assert_int_equal(db_user_add(f->db, &got, NULL), -EINVAL);
	make_user(&got, "carol");
	got.disabled = 9;
	assert_int_equal(db_user_add(f->db, &got, NULL), -EINVAL);
	make_user(&got, "carol");
	got.quota_bytes = UINT64_MAX;
	assert_int_equal(db_user_add(f->db, &got, NULL), -EINVAL);
	make_user(&got, "carol");
	got.group_id = 77;
	assert_int_equal(db_user_add(f->db, &got, NULL), -ENOENT);
	assert_int_equal(db_user_get_by_name(f->db, "carol", &got), -ENOENT);

	assert_int_equal(db_user_list(f->db, count_user, &n), 0);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(db_user_list(f->db, stop_at_two, &n), 42);
	n = 0; /* the statement was reset: listing again works */
	assert_int_equal(db_user_list(f->db, count_user, &n), 0);
	assert_int_equal(n, 2);

	assert_int_equal(db_user_next_expiry(f->db, &at), 0);
	assert_int_equal(at, 5000);

	/* update writes expiry, quota, period, state, group and email; nothing else */
	assert_int_equal(db_group_add(f->db, "staff", &gid), 0);
	assert_int_equal(db_user_get(f->db, ida, &got), 0);
	got.disabled = DB_DISABLED_EXPIRED;
	got.quota_bytes = 0;
	got.quota_period = DB_QUOTA_TOTAL;
	got.period_start = 4242;
	got.group_id = gid;
	got.email[0] = '\0';
	snprintf(got.name, sizeof(got.name), "ignored");
	got.created = 1;
	got.password_hash[0] = '\0';
	got.rx_total = 77;
	assert_int_equal(db_user_update(f->db, &got), 0);
	assert_int_equal(db_user_get(f->db, ida, &a), 0);
	assert_string_equal(a.name, "alice");
	assert_int_equal(a.created, 1000);
	assert_int_equal(a.disabled, DB_DISABLED_EXPIRED);
	assert_int_equal(a.quota_bytes, 0);
	assert_int_equal(a.period_start, 4242);
	assert_int_equal(a.group_id, gid);
	assert_string_equal(a.email, "");
	assert_true(a.password_hash[0] != '\0');
	assert_int_equal(a.rx_total, 0);
	/* a disabled user's expiry no longer arms the timer */
	assert_int_equal(db_user_next_expiry(f->db, &at), -ENOENT);
	a.group_id = 999;
	assert_int_equal(db_user_update(f->db, &a), -ENOENT);
	a.group_id = 0; /* the default */
	a.disabled = DB_DISABLED_ADMIN;
	assert_int_equal(db_user_update(f->db, &a), 0);
	assert_int_equal(db_user_get(f->db, ida, &got), 0);
	assert_int_equal(got.disabled, DB_DISABLED_ADMIN);
	assert_int_equal(got.group_id, DB_GROUP_DEFAULT);
	a.quota_reset_day = 32;
	assert_int_equal(db_user_update(f->db, &a), -EINVAL);
	a.quota_reset_day = 1;
	a.id = 999999;
	assert_int_equal(db_user_update(f->db, &a), -ENOENT);

	/* passwords */
	assert_int_equal(db_user_set_password(f->db, idb, "$argon2id$new", true), 0);
	assert_int_equal(db_user_get(f->db, idb, &got), 0);
	assert_string_equal(got.password_hash, "$argon2id$new");
	assert_true(got.must_change_password);
	assert_int_equal(db_user_set_password(f->db, idb, "", false), 0);
	assert_int_equal(db_user_get(f->db, idb, &got), 0);
	assert_string_equal(got.password_hash, "");
	assert_false(got.must_change_password);
	assert_int_equal(db_user_set_password(f->db, 999999, "x", false), -ENOENT);
	{
		char long_hash[DB_PWHASH_MAX + 2];

		memset(long_hash, 'h', sizeof(long_hash) - 1);
		long_hash[sizeof(long_hash) - 1] = '\0';
		assert_int_equal(db_user_set_password(f->db, idb, long_hash, false), -EINVAL);
	}

	assert_int_equal(db_user_count_states(f->db, states), 0);
	assert_int_equal(states[DB_ENABLED], 1);
	assert_int_equal(states[DB_DISABLED_ADMIN], 1);
	assert_int_equal(states[DB_DISABLED_EXPIRED] + states[DB_DISABLED_QUOTA], 0);

	assert_int_equal(db_user_delete(f->db, ida), 0);
	assert_int_equal(db_user_get(f->db, ida, &got), -ENOENT);
	assert_int_equal(db_user_delete(f->db, ida), -ENOENT);
	db_user_wipe(&got);
	db_user_wipe(&a);
}

/* ---- devices and addresses ---- */

static void test_devices(void **state)
{
	struct fixture *f = *state;
	uint8_t t1[DB_HASH_LEN], t2[DB_HASH_LEN], c1[DB_HASH_LEN], ph[DB_HASH_LEN];
	struct db_device d, got;
	int64_t a, b, phone, gw, id;
	uint64_t n64;
	size_t n = 0;

	memset(t1, 1, sizeof(t1));
	memset(t2, 2, sizeof(t2));
	memset(c1, 3, sizeof(c1));
	memset(ph, 4, sizeof(ph));
	a = add_user(f->db, "alice");
	b = add_user(f->db, "bob");

	phone = add_device(f->db, a, "phone", 1);
	assert_int_equal(db_device_get(f->db, phone, &got), 0);
	assert_int_equal(got.user_id, a);
	assert_string_equal(got.name, "phone");
	assert_int_equal(got.kind, DB_DEVICE_CONFIG);
	assert_true(got.has_key);
	make_device(&d, a, "phone", 1);
	assert_memory_equal(got.public_key, d.public_key, KEY_LEN);
	assert_int_equal(got.private_key_enc_len, 72);
	assert_memory_equal(got.private_key_enc, d.private_key_enc, 72);
	assert_int_equal(got.preshared_key_enc_len, 72);
	assert_true(got.created > 1600000000);
	assert_string_equal(got.endpoint, "");
	assert_int_equal(got.token_expires, 0);
	assert_false(got.has_profile_hash);

	/* names are unique per user, keys across devices */
	make_device(&d, a, "phone", 2);
	assert_int_equal(db_device_add(f->db, &d, NULL, NULL), -EEXIST);
	make_device(&d, b, "phone", 2);
	assert_int_equal(db_device_add(f->db, &d, NULL, NULL), 0);
	make_device(&d, b, "laptop", 1);
	assert_int_equal(db_device_add(f->db, &d, NULL, NULL), -EEXIST);
	/* no such user; bad names; a config device needs a key and takes no token */
	make_device(&d, 9999, "x", 9);
	assert_int_equal(db_device_add(f->db, &d, NULL, NULL), -ENOENT);
	make_device(&d, a, "", 9);
	assert_int_equal(db_device_add(f->db, &d, NULL, NULL), -EINVAL);
	make_device(&d, a, "nokey", 9);
	d.has_key = false;
	d.private_key_enc_len = 0;
	assert_int_equal(db_device_add(f->db, &d, NULL, NULL), -EINVAL);
	make_device(&d, a, "tok", 9);
	d.token_expires = 100;
	assert_int_equal(db_device_add(f->db, &d, t2, NULL), -EINVAL);
	make_device(&d, a, "big", 9);
	d.private_key_enc_len = DB_SECRET_MAX + 1;
	assert_int_equal(db_device_add(f->db, &d, NULL, NULL), -EINVAL);
	make_device(&d, a, "kind", 9);
	d.kind = 7;
	assert_int_equal(db_device_add(f->db, &d, NULL, NULL), -EINVAL);

	/* an agent device without a key waits for enrolment */
	memset(&d, 0, sizeof(d));
	d.user_id = a;
	snprintf(d.name, sizeof(d.name), "gw1");
	d.kind = DB_DEVICE_AGENT;
	d.token_expires = 1000;
	d.created = 50;
	assert_int_equal(db_device_add(f->db, &d, t1, &gw), 0);
	d.private_key_enc_len = 3; /* keyless with a private key */
	snprintf(d.name, sizeof(d.name), "gw2");
	assert_int_equal(db_device_add(f->db, &d, t2, NULL), -EINVAL);
	d.private_key_enc_len = 0;
	assert_int_equal(db_device_add(f->db, &d, t1, NULL), -EEXIST); /* same token */
	assert_int_equal(db_device_get(f->db, gw, &got), 0);
	assert_false(got.has_key);
	assert_int_equal(got.kind, DB_DEVICE_AGENT);
	assert_int_equal(got.created, 50);
	assert_int_equal(got.token_expires, 1000);

	/* the token finds the device until it expires */
	assert_int_equal(db_device_get_by_token(f->db, t1, 999, &got), 0);
	assert_int_equal(got.id, gw);
	assert_int_equal(got.enrolled, 0);
	assert_int_equal(db_device_get_by_token(f->db, t1, 1000, &got), -ENOENT);
	assert_int_equal(db_device_get_by_token(f->db, t2, 10, &got), -ENOENT);

	/* enrolment uses it up, once, and stores the device's key */
	assert_int_equal(db_device_get(f->db, gw, &d), 0);
	assert_int_equal(db_device_enroll(f->db, &d, c1, 500), -EINVAL); /* no key */
	make_key(d.public_key, 1); /* alice's phone has it */
	d.has_key = true;
	d.preshared_key_enc_len = 72;
	memset(d.preshared_key_enc, 0x5a, 72);
	assert_int_equal(db_device_enroll(f->db, &d, c1, 500), -EEXIST);
	make_key(d.public_key, 3);
	assert_int_equal(db_device_enroll(f->db, &d, c1, 1000), -ENOENT); /* expired by then */
	assert_int_equal(db_device_enroll(f->db, &d, c1, 500), 0);
	assert_int_equal(db_device_enroll(f->db, &d, c1, 501), -ENOENT);
	assert_int_equal(db_device_get_by_token(f->db, t1, 600, &got), -ENOENT);
	assert_int_equal(db_device_get_by_credential(f->db, c1, &got), 0);
	assert_int_equal(got.id, gw);
	assert_int_equal(got.enrolled, 500);
	assert_int_equal(got.last_seen, 500);
	assert_int_equal(got.token_expires, 0);
	assert_true(got.has_key);
	assert_memory_equal(got.public_key, d.public_key, KEY_LEN);
	assert_int_equal(got.private_key_enc_len, 0);
	assert_int_equal(got.preshared_key_enc_len, 72);
	assert_int_equal(db_device_get_by_credential(f->db, t2, &got), -ENOENT);
	assert_int_equal(db_device_get_by_key(f->db, d.public_key, &got), 0);
	assert_int_equal(got.id, gw);
	make_key(d.public_key, 77);
	assert_int_equal(db_device_get_by_key(f->db, d.public_key, &got), -ENOENT);
	assert_int_equal(db_device_get_by_name(f->db, a, "gw1", &got), 0);
	assert_int_equal(got.id, gw);
	assert_int_equal(db_device_get_by_name(f->db, b, "gw1", &got), -ENOENT);

	assert_int_equal(db_device_seen(f->db, gw, 777), 0);
	assert_int_equal(db_device_seen(f->db, 9999, 777), -ENOENT);
	assert_int_equal(db_device_set_profile(f->db, gw, 7, ph, 1234), 0);
	assert_int_equal(db_device_set_profile(f->db, 9999, 7, ph, 1234), -ENOENT);
	assert_int_equal(db_device_get(f->db, gw, &got), 0);
	assert_int_equal(got.last_seen, 777);
	assert_int_equal(got.profile_serial, 7);
	assert_int_equal(got.profile_issued, 1234);
	assert_true(got.has_profile_hash);
	assert_memory_equal(got.profile_hash, ph, DB_HASH_LEN);

	/* endpoint */
	assert_int_equal(db_device_set_endpoint(f->db, phone, "[2001:db8::1]:51820"), 0);
	assert_int_equal(db_device_set_endpoint(f->db, 9999, "x"), -ENOENT);
	assert_int_equal(db_device_set_endpoint(f->db, phone, "an-endpoint-much-too-long-for-the-"
						"sixty-four-bytes-there-is-room-for:51820"), -EINVAL);
	assert_int_equal(db_device_get(f->db, phone, &got), 0);
	assert_string_equal(got.endpoint, "[2001:db8::1]:51820");

	/* rotation: new keys; counters, name and addresses stay; the link's seen counters
	 * start again for the new peer */
	add_addr(f->db, phone, "10.9.0.2", 0);
	assert_int_equal(db_counters_add(f->db, phone, a, 10, 20, 10, 20), 0);
	assert_int_equal(db_device_get(f->db, phone, &d), 0);
	assert_int_equal(db_device_set_keys(f->db, &d), 0); /* the same key: seen stays */
	assert_int_equal(db_device_get(f->db, phone, &got), 0);
	assert_int_equal(got.seen_rx, 10);
	make_key(d.public_key, 100);
	d.private_key_enc_len = 5;
	memset(d.private_key_enc, 9, 5);
	assert_int_equal(db_device_set_keys(f->db, &d), 0);
	assert_int_equal(db_device_get(f->db, phone, &got), 0);
	assert_memory_equal(got.public_key, d.public_key, KEY_LEN);
	assert_int_equal(got.private_key_enc_len, 5);
	assert_int_equal(got.rx_total, 10);
	assert_int_equal(got.tx_total, 20);
	assert_int_equal(got.seen_rx, 0);
	assert_int_equal(got.seen_tx, 0);
	assert_string_equal(got.name, "phone");
	{
		struct addr_seen s = { 0 };

		assert_int_equal(db_addr_list_device(f->db, phone, collect_addr, &s), 0);
		assert_int_equal(s.n, 1);
	}
	make_key(d.public_key, 3); /* gw1's */
	assert_int_equal(db_device_set_keys(f->db, &d), -EEXIST);
	d.has_key = false;
	d.private_key_enc_len = 0;
	assert_int_equal(db_device_set_keys(f->db, &d), -EINVAL); /* a config device */
	d.has_key = true;
	d.id = 9999;
	assert_int_equal(db_device_set_keys(f->db, &d), -ENOENT);

	assert_int_equal(db_device_list(f->db, 0, count_device, &n), 0);
	assert_int_equal(n, 3);
	n = 0;
	assert_int_equal(db_device_list(f->db, a, count_device, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(db_device_count(f->db, 0, &n64), 0);
	assert_int_equal(n64, 3);
	assert_int_equal(db_device_count(f->db, b, &n64), 0);
	assert_int_equal(n64, 1);

	/* delete: its addresses go, its sessions stay with their device_id */
	assert_int_equal(db_session_open(f->db, a, phone, 100, "192.0.2.1:1", "10.9.0.2", &id), 0);
	assert_int_equal(db_device_delete(f->db, phone), 0);
	assert_int_equal(db_device_delete(f->db, phone), -ENOENT);
	assert_int_equal(db_device_get(f->db, phone, &got), -ENOENT);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM addresses"), 0);
	{
		char q[96];

		snprintf(q, sizeof(q), "SELECT device_id FROM sessions WHERE id = %lld", (long long)id);
		assert_int_equal(raw_int(f->path, q), phone);
	}
	/* ids are never handed out again, not even the highest: the log keeps naming it */
	id = add_device(f->db, a, "phone", 1);
	assert_int_equal(db_device_delete(f->db, id), 0);
	assert_true(add_device(f->db, a, "phone", 1) > id);
	db_device_wipe(&got);
	assert_false(got.has_key);
	db_device_wipe(&d);
}

static void test_addresses(void **state)
{
	struct fixture *f = *state;
	struct addr_seen s = { 0 };
	struct cidr c;
	int64_t a, da, db2;

	a = add_user(f->db, "alice");
	da = add_device(f->db, a, "phone", 1);
	db2 = add_device(f->db, a, "laptop", 2);
	add_addr(f->db, da, "fd09::2", 0);
	add_addr(f->db, da, "10.9.0.2", 0);
	add_addr(f->db, db2, "10.9.0.3", 0);
	/* an address belongs to one device only, written differently too */
	add_addr(f->db, db2, "10.9.0.2", -EEXIST);
	add_addr(f->db, db2, "fd09:0:0::2", -EEXIST);
	/* one per family per device */
	add_addr(f->db, da, "10.9.0.9", -EEXIST);
	add_addr(f->db, 12345, "10.9.0.9", -ENOENT);
	memset(&c, 0, sizeof(c));
	c.family = AF_UNIX;
	assert_int_equal(db_addr_add(f->db, da, &c), -EINVAL);
	assert_int_equal(db_addr_list_family(f->db, AF_UNIX, collect_addr, &s), -EINVAL);

	assert_int_equal(db_addr_list_family(f->db, AF_INET, collect_addr, &s), 0);
	assert_int_equal(s.n, 2);
	memset(&s, 0, sizeof(s));
	assert_int_equal(db_addr_list_family(f->db, AF_INET6, collect_addr, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.device_id, da);
	assert_string_equal(s.last, "fd09::2");
	memset(&s, 0, sizeof(s));
	/* IPv4 first, whatever the order they came in */
	assert_int_equal(db_addr_list_device(f->db, da, collect_addr, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.first, "10.9.0.2");
	assert_string_equal(s.last, "fd09::2");
	memset(&s, 0, sizeof(s));
	assert_int_equal(db_addr_list_all(f->db, collect_addr, &s), 0);
	assert_int_equal(s.n, 3);
}

static void test_cascade(void **state)
{
	struct fixture *f = *state;
	struct addr_seen s = { 0 };
	struct ep_seen e = { 0 };
	struct db_session_query q = { 0 };
	uint64_t total;
	size_t n = 0;
	int64_t a, b, da1, da2, dbb, sa, sb;

	a = add_user(f->db, "alice");
	b = add_user(f->db, "bob");
	da1 = add_device(f->db, a, "phone", 1);
	da2 = add_device(f->db, a, "laptop", 2);
	dbb = add_device(f->db, b, "phone", 3);
	add_addr(f->db, da1, "10.9.0.2", 0);
	add_addr(f->db, da2, "10.9.0.3", 0);
	add_addr(f->db, dbb, "10.9.0.4", 0);
	assert_int_equal(db_session_open(f->db, a, da1, 100, "192.0.2.1:4000", "10.9.0.2", &sa), 0);
	assert_int_equal(db_session_add_endpoint(f->db, sa, 150, "192.0.2.7:4000"), 0);
	assert_int_equal(db_session_open(f->db, a, da2, 100, "192.0.2.1:4001", "10.9.0.3", NULL), 0);
	assert_int_equal(db_session_open(f->db, b, dbb, 100, "192.0.2.2:4000", "10.9.0.4", &sb), 0);
	assert_int_equal(db_session_add_endpoint(f->db, sb, 150, "192.0.2.8:4000"), 0);
	assert_int_equal(db_traffic_add(f->db, a, 3600, 1, 2), 0);

	assert_int_equal(db_user_delete(f->db, a), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM devices"), 1);
	assert_int_equal(db_addr_list_device(f->db, da1, collect_addr, &s), 0);
	assert_int_equal(db_addr_list_device(f->db, da2, collect_addr, &s), 0);
	assert_int_equal(s.n, 0);
	q.user_id = a;
	assert_int_equal(db_session_query(f->db, &q, count_session, &n, &total, NULL), 0);
	assert_int_equal(total, 0);
	assert_int_equal(db_session_endpoints(f->db, sa, collect_ep, &e), 0);
	assert_int_equal(e.n, 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM session_endpoints"), 1);
	/* the traffic history keeps a deleted user's bytes */
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM traffic"), 1);
	/* bob is untouched, and alice's addresses are free again */
	q.user_id = 0;
	assert_int_equal(db_session_query(f->db, &q, count_session, &n, &total, NULL), 0);
	assert_int_equal(total, 1);
	assert_int_equal(db_addr_list_family(f->db, AF_INET, collect_addr, &s), 0);
	assert_int_equal(s.n, 1);
	add_addr(f->db, dbb, "10.9.0.2", -EEXIST); /* one IPv4 already */
	add_addr(f->db, dbb, "fd09::2", 0);
	/* a session for a user that is gone, or a device that is not the user's */
	assert_int_equal(db_session_open(f->db, a, da1, 200, "", "", NULL), -ENOENT);
	assert_int_equal(db_session_open(f->db, b, da1, 200, "", "", NULL), -ENOENT);
	/* deleting the device alone takes its addresses, not its user */
	assert_int_equal(db_device_delete(f->db, dbb), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM addresses"), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM users"), 1);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sessions"), 1);
}

/* ---- counters and traffic ---- */

static void test_counters(void **state)
{
	struct fixture *f = *state;
	struct db_user got;
	struct db_device d;
	int64_t a, b, p, l, other;

	a = add_user(f->db, "alice");
	b = add_user(f->db, "bob");
	p = add_device(f->db, a, "phone", 1);
	l = add_device(f->db, a, "laptop", 2);
	other = add_device(f->db, b, "phone", 3);
	assert_int_equal(db_counters_add(f->db, p, a, 1000, 2000, 1000, 2000), 0);
	assert_int_equal(db_counters_add(f->db, p, a, 1, 2, 1001, 2002), 0);
	assert_int_equal(db_counters_add(f->db, l, a, 10, 20, 10, 20), 0);
	assert_int_equal(db_device_get(f->db, p, &d), 0);
	assert_int_equal(d.rx_total, 1001);
	assert_int_equal(d.tx_total, 2002);
	assert_int_equal(d.seen_rx, 1001);
	assert_int_equal(d.seen_tx, 2002);
	assert_int_equal(db_device_get(f->db, l, &d), 0);
	assert_int_equal(d.rx_total, 10);
	assert_int_equal(d.seen_tx, 20);
	/* the user's counters are over all its devices */
	assert_int_equal(db_user_get(f->db, a, &got), 0);
	assert_int_equal(got.rx_total, 1011);
	assert_int_equal(got.tx_total, 2022);
	assert_int_equal(got.rx_period, 1011);
	assert_int_equal(got.tx_period, 2022);

	assert_int_equal(db_counters_reset_period(f->db, a, 777), 0);
	assert_int_equal(db_counters_add(f->db, l, a, 5, 6, 15, 26), 0);
	assert_int_equal(db_user_get(f->db, a, &got), 0);
	assert_int_equal(got.rx_total, 1016);
	assert_int_equal(got.tx_total, 2028);
	assert_int_equal(got.rx_period, 5);
	assert_int_equal(got.tx_period, 6);
	assert_int_equal(got.period_start, 777);

	/* big values survive the signed columns, a link counter past 2^63 too */
	assert_int_equal(db_counters_add(f->db, p, a, 1ull << 40, 0, UINT64_MAX - 1, 0), 0);
	assert_int_equal(db_user_get(f->db, a, &got), 0);
	assert_int_equal(got.rx_total, (1ull << 40) + 1016);
	assert_int_equal(db_device_get(f->db, p, &d), 0);
	assert_true(d.seen_rx == UINT64_MAX - 1);

	/* a device of another user, or no device: nothing changes */
	assert_int_equal(db_counters_add(f->db, other, a, 1, 1, 1, 1), -ENOENT);
	assert_int_equal(db_counters_add(f->db, p + 100, a, 1, 1, 1, 1), -ENOENT);
	assert_int_equal(db_device_get(f->db, other, &d), 0);
	assert_int_equal(d.rx_total, 0);
	assert_int_equal(db_user_get(f->db, b, &got), 0);
	assert_int_equal(got.rx_total, 0);
	assert_int_equal(db_counters_reset_period(f->db, a + 100, 1), -ENOENT);
}

struct traffic_seen {
	size_t n;
	struct db_traffic_row r[16];
};

static int collect_traffic(const struct db_traffic_row *r, void *arg)
{
	struct traffic_seen *t = arg;

	if (t->n < 16)
		t->r[t->n] = *r;
	t->n++;
	return 0;
}

struct top_seen {
	size_t n;
	struct db_top_row r[8];
};

static int collect_top(const struct db_top_row *r, void *arg)
{
	struct top_seen *t = arg;

	if (t->n < 8)
		t->r[t->n] = *r;
	t->n++;
	return 0;
}

static int64_t local_time(int y, int mon, int d, int h)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mon - 1, .tm_mday = d, .tm_hour = h,
			 .tm_isdst = -1 };

	return (int64_t)mktime(&tm);
}

static void test_traffic(void **state)
{
	struct fixture *f = *state;
	struct traffic_seen t = { 0 };
	struct top_seen top = { 0 };
	char *tz = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	int64_t a, b, d28, d29, d30, d31, h;
	uint64_t n;

	/* days in a zone that moves its clocks: Berlin, 2026-03-29 has 23 hours */
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	d28 = local_time(2026, 3, 28, 0);
	d29 = local_time(2026, 3, 29, 0);
	d30 = local_time(2026, 3, 30, 0);
	d31 = local_time(2026, 3, 31, 0);
	assert_int_equal(d29 - d28, 86400);
	assert_int_equal(d30 - d29, 23 * 3600);

	a = add_user(f->db, "alice");
	b = add_user(f->db, "bob");
	/* every hour from the 28th to the 30th, local: 1 byte each for alice */
	for (h = d28; h < d31; h += 3600)
		assert_int_equal(db_traffic_add(f->db, a, h, 1, 10), 0);
	assert_int_equal(db_traffic_add(f->db, a, d29, 100, 0), 0); /* adds to the bucket */
	assert_int_equal(db_traffic_add(f->db, b, d30 + 3600, 5000, 5000), 0);
	assert_int_equal(db_traffic_add(f->db, a, d29 + 1, 1, 1), -EINVAL);
	assert_int_equal(db_traffic_add(f->db, 9999, d29, 1, 1), -ENOENT);

	assert_int_equal(db_traffic_sum(f->db, d28, d31, DB_STEP_DAY, 0, collect_traffic, &t), 0);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.r[0].start, d28);
	assert_int_equal(t.r[0].rx, 24);
	assert_int_equal(t.r[1].start, d29);
	assert_int_equal(t.r[1].rx, 23 + 100);
	assert_int_equal(t.r[1].tx, 230);
	assert_int_equal(t.r[2].start, d30);
	assert_int_equal(t.r[2].rx, 24 + 5000);
	memset(&t, 0, sizeof(t));
	assert_int_equal(db_traffic_sum(f->db, d28, d31, DB_STEP_DAY, a, collect_traffic, &t), 0);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.r[2].rx, 24);
	/* by hour: [from, to), buckets without traffic left out */
	memset(&t, 0, sizeof(t));
	assert_int_equal(db_traffic_sum(f->db, d30, d30 + 3 * 3600, DB_STEP_HOUR, 0,
					collect_traffic, &t), 0);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.r[1].start, d30 + 3600);
	assert_int_equal(t.r[1].rx, 5001);
	memset(&t, 0, sizeof(t));
	assert_int_equal(db_traffic_sum(f->db, d31, d31 + 86400, DB_STEP_HOUR, 0, collect_traffic,
					&t), 0);
	assert_int_equal(t.n, 0);
	assert_int_equal(db_traffic_sum(f->db, d28, d31, 5, 0, collect_traffic, &t), -EINVAL);

	assert_int_equal(db_traffic_top(f->db, d28, d31, 10, collect_top, &top), 0);
	assert_int_equal(top.n, 2);
	assert_int_equal(top.r[0].user_id, b);
	assert_int_equal(top.r[0].rx, 5000);
	assert_int_equal(top.r[1].user_id, a);
	assert_int_equal(top.r[1].rx, 71 + 100);
	memset(&top, 0, sizeof(top));
	assert_int_equal(db_traffic_top(f->db, d28, d30, 1, collect_top, &top), 0);
	assert_int_equal(top.n, 1);
	assert_int_equal(top.r[0].user_id, a);
	assert_int_equal(db_traffic_top(f->db, d28, d30, 0, collect_top, &top), -EINVAL);

	assert_int_equal(db_traffic_purge(f->db, d29, &n), 0);
	assert_int_equal(n, 24);
	assert_int_equal(db_traffic_purge(f->db, d29, NULL), 0);

	if (tz)
		setenv("TZ", tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(tz);
}

/* ---- sessions ---- */

struct sessions_seen {
	size_t n;
	int64_t ids[16];
	struct db_session last;
};

static int collect_session(const struct db_session *s, void *arg)
{
	struct sessions_seen *c = arg;

	if (c->n < 16)
		c->ids[c->n] = s->id;
	c->n++;
	c->last = *s;
	return 0;
}

static size_t query_sessions(struct db *db, const struct db_session_query *q,
			     struct sessions_seen *c, uint64_t *total)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(db_session_query(db, q, collect_session, c, total, NULL), 0);
	return c->n;
}

struct day_seen {
	size_t n;
	int64_t start[8];
	uint64_t count[8];
};

static int collect_day(int64_t start, uint64_t n, void *arg)
{
	struct day_seen *d = arg;

	if (d->n < 8) {
		d->start[d->n] = start;
		d->count[d->n] = n;
	}
	d->n++;
	return 0;
}

static void test_sessions(void **state)
{
	struct fixture *f = *state;
	struct db_session_query q = { 0 };
	struct sessions_seen c;
	struct ep_seen e = { 0 };
	struct day_seen days = { 0 };
	char next[DB_CURSOR_MAX + 1];
	int64_t a, b, da, da2, dbb, s1, s2, s3, d0;
	uint64_t n, total;

	a = add_user(f->db, "alice");
	b = add_user(f->db, "bob");
	da = add_device(f->db, a, "phone", 1);
	da2 = add_device(f->db, a, "laptop", 2);
	dbb = add_device(f->db, b, "phone", 3);

	/* alice: [100, 200] then [1000, open) on the laptop; bob: [500, 600] */
	assert_int_equal(db_session_open(f->db, a, da, 100, "192.0.2.1:4000", "10.9.0.2/32 fd09::2/128",
					 &s1), 0);
	assert_int_equal(db_session_add_bytes(f->db, s1, 10, 20, 120), 0);
	assert_int_equal(db_session_add_bytes(f->db, s1, 1, 2, 190), 0);
	assert_int_equal(db_session_add_endpoint(f->db, s1, 150, "[2001:db8::1]:4001"), 0);
	assert_int_equal(db_session_add_endpoint(f->db, s1, 160, "192.0.2.9:4002"), 0);
	assert_int_equal(db_session_close(f->db, s1, 200), 0);
	assert_int_equal(db_session_close(f->db, s1, 300), -ENOENT); /* already closed */
	assert_int_equal(db_session_open(f->db, b, dbb, 500, "198.51.100.1:51820", "10.9.0.3/32", &s2), 0);
	assert_int_equal(db_session_close(f->db, s2, 600), 0);
	assert_int_equal(db_session_open(f->db, a, da2, 1000, "192.0.2.1:4000", "10.9.0.4/32", &s3), 0);
	assert_int_equal(db_session_add_bytes(f->db, 99999, 1, 1, 1), -ENOENT);
	assert_int_equal(db_session_add_endpoint(f->db, 99999, 1, "x"), -ENOENT);
	assert_int_equal(db_session_close(f->db, 99999, 1), -ENOENT);
	assert_int_equal(db_session_open(f->db, a, da, 1, "a-very-long-endpoint-name-that-does-not-"
					 "fit-in-sixty-four-bytes:51820", "", NULL), -EINVAL);
	assert_int_equal(db_session_open(f->db, a, dbb, 1, "", "", NULL), -ENOENT);

	/* the open ones, for a start after a crash */
	memset(&c, 0, sizeof(c));
	assert_int_equal(db_session_list_open(f->db, collect_session, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.last.id, s3);
	assert_int_equal(c.last.device_id, da2);
	assert_int_equal(c.last.ended, 0);

	q.user_id = a;
	q.until = 150;
	assert_int_equal(query_sessions(f->db, &q, &c, &total), 1);
	assert_int_equal(total, 1);
	assert_int_equal(c.last.id, s1);
	assert_int_equal(c.last.user_id, a);
	assert_int_equal(c.last.device_id, da);
	assert_int_equal(c.last.started, 100);
	assert_int_equal(c.last.ended, 200);
	assert_string_equal(c.last.endpoint, "192.0.2.1:4000");
	assert_string_equal(c.last.address, "10.9.0.2/32 fd09::2/128");
	assert_int_equal(c.last.rx, 11);
	assert_int_equal(c.last.tx, 22);
	assert_int_equal(c.last.last_seen, 190);
	assert_int_equal(db_session_endpoints(f->db, s1, collect_ep, &e), 0);
	assert_int_equal(e.n, 2);
	assert_int_equal(e.at, 160);
	assert_string_equal(e.endpoint, "192.0.2.9:4002");

	/* newest first; the CLI's order oldest first */
	memset(&q, 0, sizeof(q));
	assert_int_equal(query_sessions(f->db, &q, &c, &total), 3);
	assert_int_equal(total, 3);
	assert_int_equal(c.ids[0], s3);
	assert_int_equal(c.ids[2], s1);
	q.oldest_first = true;
	assert_int_equal(query_sessions(f->db, &q, &c, NULL), 3);
	assert_int_equal(c.ids[0], s1);
	assert_int_equal(c.ids[2], s3);
	q.oldest_first = false;
	/* by user, device, window (sessions overlapping [since, until)), substring */
	q.user_id = b;
	assert_int_equal(query_sessions(f->db, &q, &c, &total), 1);
	q.user_id = 0;
	q.device_id = da2;
	assert_int_equal(query_sessions(f->db, &q, &c, &total), 1);
	assert_int_equal(c.ids[0], s3);
	q.user_id = a;
	assert_int_equal(query_sessions(f->db, &q, &c, &total), 1);
	q.device_id = 0;
	q.user_id = 0;
	q.since = 150;
	q.until = 550;
	assert_int_equal(query_sessions(f->db, &q, &c, &total), 2);  /* alice's 1st, bob's */
	q.until = 0;
	q.since = 201;
	assert_int_equal(query_sessions(f->db, &q, &c, &total), 2);  /* bob's, the open one */
	q.since = 601;
	assert_int_equal(query_sessions(f->db, &q, &c, &total), 1);
	q.since = 5000;
	assert_int_equal(query_sessions(f->db, &q, &c, &total), 1);  /* open: still going */
	q.since = 0;
	q.q = "198.51";
	assert_int_equal(query_sessions(f->db, &q, &c, &total), 1);
	assert_int_equal(c.ids[0], s2);
	q.q = "2001:DB8"; /* where it moved to, in any case */
	assert_int_equal(query_sessions(f->db, &q, &c, &total), 1);
	assert_int_equal(c.ids[0], s1);
	q.q = "fd09::2/";
	assert_int_equal(query_sessions(f->db, &q, &c, &total), 1);
	q.q = "10.9.0._"; /* _ is a character, not a wildcard */
	assert_int_equal(query_sessions(f->db, &q, &c, &total), 0);
	assert_int_equal(total, 0);
	q.q = NULL;

	/* pages of one */
	q.limit = 1;
	assert_int_equal(db_session_query(f->db, &q, collect_session, &c, &total, next), 0);
	assert_int_equal(total, 3);
	assert_true(next[0] != '\0');
	q.cursor = next;
	memset(&c, 0, sizeof(c));
	assert_int_equal(db_session_query(f->db, &q, collect_session, &c, &total, next), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ids[0], s2);
	memset(&c, 0, sizeof(c));
	assert_int_equal(db_session_query(f->db, &q, collect_session, &c, &total, next), 0);
	assert_int_equal(c.ids[0], s1);
	assert_string_equal(next, "");
	/* a cursor of the other order, or of another list, is not one of this */
	q.cursor = NULL;
	assert_int_equal(db_session_query(f->db, &q, collect_session, &c, NULL, next), 0);
	q.cursor = next;
	q.oldest_first = true;
	assert_int_equal(db_session_query(f->db, &q, collect_session, &c, NULL, NULL), -EINVAL);
	q.oldest_first = false;
	q.limit = DB_PAGE_MAX + 1;
	assert_int_equal(db_session_query(f->db, &q, collect_session, &c, NULL, NULL), -EINVAL);
	q.limit = 0;
	q.cursor = NULL;

	/* sessions started per local day */
	d0 = local_time(2026, 3, 1, 0);
	assert_int_equal(db_session_open(f->db, a, da, d0 + 3600, "", "", NULL), 0);
	assert_int_equal(db_session_open(f->db, a, da, d0 + 7200, "", "", NULL), 0);
	assert_int_equal(db_session_open(f->db, b, dbb, local_time(2026, 3, 3, 23), "", "", NULL), 0);
	assert_int_equal(db_session_per_day(f->db, d0, local_time(2026, 3, 5, 0), collect_day,
					    &days), 0);
	assert_int_equal(days.n, 2);
	assert_int_equal(days.start[0], d0);
	assert_int_equal(days.count[0], 2);
	assert_int_equal(days.start[1], local_time(2026, 3, 3, 0));
	assert_int_equal(days.count[1], 1);
	memset(&days, 0, sizeof(days));
	/* from inside a day: that day counts from `from` only */
	assert_int_equal(db_session_per_day(f->db, d0 + 5000, d0 + 86400, collect_day, &days), 0);
	assert_int_equal(days.n, 1);
	assert_int_equal(days.count[0], 1);

	/* purge what ended before 550: alice's first session and its endpoint changes */
	assert_int_equal(db_session_purge(f->db, 550, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM session_endpoints"), 0);
	/* open sessions are never purged */
	assert_int_equal(db_session_purge(f->db, INT64_MAX, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(query_sessions(f->db, &q, &c, &total), 4);
	assert_int_equal(db_session_purge(f->db, INT64_MAX, NULL), 0);
}

/* ---- groups, admins, tokens, audit, settings ---- */

static int count_group(const struct db_group *g, void *arg)
{
	(void)g;
	(*(size_t *)arg)++;
	return 0;
}

static void test_groups(void **state)
{
	struct fixture *f = *state;
	struct db_group g;
	struct db_user u;
	int64_t staff, guests, uid;
	size_t n = 0;

	assert_int_equal(db_group_add(f->db, "staff", &staff), 0);
	assert_int_equal(db_group_add(f->db, "guests", &guests), 0);
	assert_int_equal(db_group_add(f->db, "staff", NULL), -EEXIST);
	assert_int_equal(db_group_add(f->db, "default", NULL), -EEXIST);
	assert_int_equal(db_group_add(f->db, "", NULL), -EINVAL);
	assert_int_equal(db_group_get_by_name(f->db, "staff", &g), 0);
	assert_int_equal(g.id, staff);
	assert_true(g.created > 1600000000);
	assert_int_equal(db_group_get(f->db, guests, &g), 0);
	assert_string_equal(g.name, "guests");
	assert_int_equal(db_group_get(f->db, 999, &g), -ENOENT);
	assert_int_equal(db_group_get_by_name(f->db, "nobody", &g), -ENOENT);
	assert_int_equal(db_group_list(f->db, count_group, &n), 0);
	assert_int_equal(n, 3);

	make_user(&u, "alice");
	u.group_id = staff;
	assert_int_equal(db_user_add(f->db, &u, &uid), 0);
	assert_int_equal(db_group_delete(f->db, DB_GROUP_DEFAULT), -EBUSY);
	assert_int_equal(db_group_delete(f->db, staff), -EBUSY);
	assert_int_equal(db_group_delete(f->db, guests), 0);
	assert_int_equal(db_group_delete(f->db, guests), -ENOENT);
	assert_int_equal(db_user_delete(f->db, uid), 0);
	assert_int_equal(db_group_delete(f->db, staff), 0);
}

static int count_admin(const struct db_admin *a, void *arg)
{
	(void)a;
	(*(size_t *)arg)++;
	return 0;
}

static void test_admins(void **state)
{
	struct fixture *f = *state;
	struct db_admin a, got;
	uint8_t secret[40];
	int64_t root, view;
	uint64_t n64;
	size_t n = 0;

	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "root");
	a.role = DB_ROLE_ADMIN;
	snprintf(a.password_hash, sizeof(a.password_hash), "$argon2id$one-time");
	a.must_change_password = true;
	assert_int_equal(db_admin_add(f->db, &a, &root), 0);
	assert_int_equal(db_admin_add(f->db, &a, NULL), -EEXIST);
	snprintf(a.name, sizeof(a.name), "eve");
	a.role = DB_ROLE_VIEWER;
	a.created = 123;
	a.must_change_password = false;
	assert_int_equal(db_admin_add(f->db, &a, &view), 0);
	a.role = 5;
	snprintf(a.name, sizeof(a.name), "bad");
	assert_int_equal(db_admin_add(f->db, &a, NULL), -EINVAL);
	a.role = DB_ROLE_ADMIN;
	a.name[0] = '\0';
	assert_int_equal(db_admin_add(f->db, &a, NULL), -EINVAL);

	assert_int_equal(db_admin_get_by_name(f->db, "root", &got), 0);
	assert_int_equal(got.id, root);
	assert_int_equal(got.role, DB_ROLE_ADMIN);
	assert_string_equal(got.password_hash, "$argon2id$one-time");
	assert_true(got.must_change_password);
	assert_int_equal(got.totp_secret_enc_len, 0);
	assert_int_equal(got.last_login, 0);
	assert_true(got.created > 1600000000);
	assert_int_equal(db_admin_get(f->db, view, &got), 0);
	assert_string_equal(got.name, "eve");
	assert_int_equal(got.role, DB_ROLE_VIEWER);
	assert_int_equal(got.created, 123);
	assert_int_equal(db_admin_get(f->db, 999, &got), -ENOENT);
	assert_int_equal(db_admin_get_by_name(f->db, "mallory", &got), -ENOENT);
	assert_int_equal(db_admin_list(f->db, count_admin, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(db_admin_count(f->db, DB_ROLE_ADMIN, &n64), 0);
	assert_int_equal(n64, 1);
	assert_int_equal(db_admin_count(f->db, DB_ROLE_VIEWER, &n64), 0);
	assert_int_equal(n64, 1);

	assert_int_equal(db_admin_set_password(f->db, root, "$argon2id$mine", false), 0);
	assert_int_equal(db_admin_set_password(f->db, 999, "x", false), -ENOENT);
	assert_int_equal(db_admin_set_role(f->db, view, DB_ROLE_ADMIN), 0);
	assert_int_equal(db_admin_set_role(f->db, view, 9), -EINVAL);
	assert_int_equal(db_admin_set_role(f->db, 999, DB_ROLE_ADMIN), -ENOENT);
	assert_int_equal(db_admin_count(f->db, DB_ROLE_ADMIN, &n64), 0);
	assert_int_equal(n64, 2);

	memset(secret, 0x33, sizeof(secret));
	assert_int_equal(db_admin_set_totp(f->db, root, secret, sizeof(secret)), 0);
	assert_int_equal(db_admin_set_totp(f->db, root, secret, DB_SECRET_MAX + 1), -EINVAL);
	assert_int_equal(db_admin_set_totp(f->db, 999, secret, sizeof(secret)), -ENOENT);
	/* the step only moves forward: a code used once is refused */
	assert_int_equal(db_admin_set_totp_step(f->db, root, 1000), 0);
	assert_int_equal(db_admin_set_totp_step(f->db, root, 1000), -EEXIST);
	assert_int_equal(db_admin_set_totp_step(f->db, root, 999), -EEXIST);
	assert_int_equal(db_admin_set_totp_step(f->db, root, 1001), 0);
	assert_int_equal(db_admin_set_totp_step(f->db, 999, 5), -ENOENT);
	assert_int_equal(db_admin_logged_in(f->db, root, 4242), 0);
	assert_int_equal(db_admin_logged_in(f->db, 999, 4242), -ENOENT);
	assert_int_equal(db_admin_get(f->db, root, &got), 0);
	assert_string_equal(got.password_hash, "$argon2id$mine");
	assert_false(got.must_change_password);
	assert_int_equal(got.totp_secret_enc_len, sizeof(secret));
	assert_memory_equal(got.totp_secret_enc, secret, sizeof(secret));
	assert_int_equal(got.totp_last_step, 1001);
	assert_int_equal(got.last_login, 4242);
	/* a new secret counts its steps anew; none removes TOTP */
	assert_int_equal(db_admin_set_totp(f->db, root, NULL, 0), 0);
	assert_int_equal(db_admin_get(f->db, root, &got), 0);
	assert_int_equal(got.totp_secret_enc_len, 0);
	assert_int_equal(got.totp_last_step, 0);

	assert_int_equal(db_admin_delete(f->db, view), 0);
	assert_int_equal(db_admin_delete(f->db, view), -ENOENT);
	db_admin_wipe(&got);
	assert_int_equal(got.name[0], 0);
}

static int count_token(const struct db_token *t, void *arg)
{
	struct db_token *last = arg;

	*last = *t;
	return 0;
}

static void test_tokens(void **state)
{
	struct fixture *f = *state;
	uint8_t h[DB_HASH_LEN], other[DB_HASH_LEN];
	struct db_token t, last;

	memset(h, 9, sizeof(h));
	memset(other, 8, sizeof(other));
	assert_int_equal(db_token_add(f->db, "ops", DB_ROLE_ADMIN, h), 0);
	assert_int_equal(db_token_add(f->db, "ops", DB_ROLE_ADMIN, other), -EEXIST);
	assert_int_equal(db_token_add(f->db, "dash", DB_ROLE_VIEWER, h), -EEXIST); /* same hash */
	assert_int_equal(db_token_add(f->db, "dash", 3, other), -EINVAL);
	assert_int_equal(db_token_add(f->db, "", DB_ROLE_VIEWER, other), -EINVAL);
	assert_int_equal(db_token_add(f->db, "dash", DB_ROLE_VIEWER, other), 0);
	assert_int_equal(db_token_check(f->db, h, 10, &t), 0);
	assert_string_equal(t.name, "ops");
	assert_int_equal(t.role, DB_ROLE_ADMIN);
	assert_int_equal(t.last_used, 0);
	assert_int_equal(db_token_check(f->db, h, 20, &t), 0);
	assert_int_equal(t.last_used, 10);   /* as it was before this use */
	assert_int_equal(db_token_check(f->db, other, 20, &t), 0);
	assert_int_equal(t.role, DB_ROLE_VIEWER);
	assert_int_equal(db_token_list(f->db, count_token, &last), 0);
	assert_string_equal(last.name, "dash");
	assert_int_equal(last.last_used, 20);
	assert_int_equal(db_token_delete(f->db, "ops"), 0);
	assert_int_equal(db_token_check(f->db, h, 30, &t), -ENOENT);
	assert_int_equal(db_token_delete(f->db, "ops"), -ENOENT);
}

struct audit_seen {
	size_t n;
	int64_t at[8];
	struct db_audit last;
};

static int collect_audit(const struct db_audit *a, void *arg)
{
	struct audit_seen *s = arg;

	if (s->n < 8)
		s->at[s->n] = a->at;
	s->n++;
	s->last = *a;
	return 0;
}

static void test_audit(void **state)
{
	struct fixture *f = *state;
	struct db_audit a = { 0 };
	struct db_audit_query q = { .limit = 10 };
	struct audit_seen s = { 0 };
	char next[DB_CURSOR_MAX + 1];
	uint64_t total, n;
	int i;

	for (i = 0; i < 5; i++) {
		a.at = 100 + i * 10;
		snprintf(a.actor, sizeof(a.actor), i % 2 ? "admin:root" : "token:ops");
		snprintf(a.source, sizeof(a.source), "192.0.2.%d", i);
		snprintf(a.op, sizeof(a.op), i < 3 ? "user.add" : "user.delete");
		snprintf(a.target, sizeof(a.target), "user%d", i);
		a.status = 200 + i;
		snprintf(a.detail, sizeof(a.detail), "{\"n\":%d}", i);
		assert_int_equal(db_audit_add(f->db, &a), 0);
	}
	a.status = 99;
	assert_int_equal(db_audit_add(f->db, &a), -EINVAL);
	a.status = 200;
	memset(a.op, 'x', sizeof(a.op)); /* no NUL */
	assert_int_equal(db_audit_add(f->db, &a), -EINVAL);

	assert_int_equal(db_audit_query(f->db, &q, collect_audit, &s, &total, next), 0);
	assert_int_equal(s.n, 5);
	assert_int_equal(total, 5);
	assert_string_equal(next, "");
	assert_int_equal(s.at[0], 140); /* newest first */
	assert_int_equal(s.last.at, 100);
	assert_string_equal(s.last.actor, "token:ops");
	assert_string_equal(s.last.source, "192.0.2.0");
	assert_string_equal(s.last.op, "user.add");
	assert_string_equal(s.last.target, "user0");
	assert_int_equal(s.last.status, 200);
	assert_string_equal(s.last.detail, "{\"n\":0}");
	memset(&s, 0, sizeof(s));
	q.actor = "admin:root";
	assert_int_equal(db_audit_query(f->db, &q, collect_audit, &s, &total, next), 0);
	assert_int_equal(total, 2);
	q.actor = NULL;
	q.q = "DELETE";
	memset(&s, 0, sizeof(s));
	assert_int_equal(db_audit_query(f->db, &q, collect_audit, &s, &total, next), 0);
	assert_int_equal(total, 2);
	q.q = "user3";
	assert_int_equal(db_audit_query(f->db, &q, collect_audit, &s, &total, next), 0);
	assert_int_equal(total, 1);
	q.q = NULL;
	q.since = 110;
	q.until = 130;
	assert_int_equal(db_audit_query(f->db, &q, collect_audit, &s, &total, next), 0);
	assert_int_equal(total, 2);
	q.since = q.until = 0;
	/* pages of two */
	q.limit = 2;
	memset(&s, 0, sizeof(s));
	assert_int_equal(db_audit_query(f->db, &q, collect_audit, &s, &total, next), 0);
	q.cursor = next;
	assert_int_equal(db_audit_query(f->db, &q, collect_audit, &s, &total, next), 0);
	assert_int_equal(db_audit_query(f->db, &q, collect_audit, &s, &total, next), 0);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.at[2], 120);
	assert_int_equal(s.at[4], 100);
	assert_string_equal(next, "");
	q.cursor = "garbage";
	assert_int_equal(db_audit_query(f->db, &q, collect_audit, &s, &total, next), -EINVAL);
	q.cursor = NULL;
	q.limit = 0;
	assert_int_equal(db_audit_query(f->db, &q, collect_audit, &s, &total, next), -EINVAL);

	assert_int_equal(db_audit_purge(f->db, 120, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM audit"), 3);
}

struct setting_seen {
	size_t n;
	char key[DB_SETTING_KEY_MAX + 1];
	char by[64];
	int64_t updated;
};

static int collect_setting(const char *key, const char *value, int64_t updated,
			   const char *by, void *arg)
{
	struct setting_seen *s = arg;

	(void)value;
	s->n++;
	snprintf(s->key, sizeof(s->key), "%s", key);
	snprintf(s->by, sizeof(s->by), "%s", by);
	s->updated = updated;
	return 0;
}

static void test_settings(void **state)
{
	struct fixture *f = *state;
	struct setting_seen s = { 0 };
	char value[64], small[4], big[DB_SETTING_VALUE_MAX + 2];

	assert_int_equal(db_setting_get(f->db, "endpoint", value, sizeof(value)), -ENOENT);
	assert_int_equal(db_setting_set(f->db, "endpoint", "\"vpn.example.net:51820\"", 100,
					"admin:root"), 0);
	assert_int_equal(db_setting_set(f->db, "client_keepalive", "25", 200, "socket"), 0);
	assert_int_equal(db_setting_get(f->db, "endpoint", value, sizeof(value)), 0);
	assert_string_equal(value, "\"vpn.example.net:51820\"");
	assert_int_equal(db_setting_get(f->db, "endpoint", small, sizeof(small)), -EINVAL);
	assert_int_equal(db_setting_set(f->db, "endpoint", "\"other:1\"", 300, "token:ops"), 0);
	assert_int_equal(db_setting_get(f->db, "endpoint", value, sizeof(value)), 0);
	assert_string_equal(value, "\"other:1\"");
	assert_int_equal(db_setting_list(f->db, collect_setting, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.key, "endpoint"); /* by key */
	assert_string_equal(s.by, "token:ops");
	assert_int_equal(s.updated, 300);
	assert_int_equal(db_setting_set(f->db, "Bad Key", "1", 0, ""), -EINVAL);
	assert_int_equal(db_setting_set(f->db, "", "1", 0, ""), -EINVAL);
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(db_setting_set(f->db, "mtu", big, 0, ""), -EINVAL);
	assert_int_equal(db_setting_get(f->db, "no such key!", value, sizeof(value)), -EINVAL);
	assert_int_equal(db_setting_delete(f->db, "endpoint"), 0);
	assert_int_equal(db_setting_delete(f->db, "endpoint"), -ENOENT);
	assert_int_equal(db_setting_get(f->db, "endpoint", value, sizeof(value)), -ENOENT);
}

/* ---- the migration of a version-3 database ---- */

/* Schema versions 1 to 3 as warren wrote them. */
static const char v3_schema[] =
	"CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" created INTEGER NOT NULL, expires INTEGER, quota_bytes INTEGER CHECK (quota_bytes > 0),"
	" quota_period TEXT NOT NULL DEFAULT 'total' CHECK (quota_period IN ('total', 'month')),"
	" quota_reset_day INTEGER NOT NULL DEFAULT 1 CHECK (quota_reset_day BETWEEN 1 AND 31),"
	" disabled_reason TEXT CHECK (disabled_reason IN ('expired', 'quota', 'admin')),"
	" public_key TEXT NOT NULL UNIQUE, private_key_enc BLOB, preshared_key_enc BLOB,"
	" rx_total INTEGER NOT NULL DEFAULT 0, tx_total INTEGER NOT NULL DEFAULT 0,"
	" rx_period INTEGER NOT NULL DEFAULT 0, tx_period INTEGER NOT NULL DEFAULT 0,"
	" period_start INTEGER NOT NULL) STRICT;"
	"CREATE INDEX users_expires ON users(expires)"
	" WHERE expires IS NOT NULL AND disabled_reason IS NULL;"
	"CREATE TABLE addresses (user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" family INTEGER NOT NULL CHECK (family IN (4, 6)), address TEXT NOT NULL UNIQUE) STRICT;"
	"CREATE INDEX addresses_user ON addresses(user_id);"
	"CREATE INDEX addresses_family ON addresses(family);"
	"CREATE TABLE sessions (id INTEGER PRIMARY KEY,"
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" started INTEGER NOT NULL, ended INTEGER, endpoint TEXT NOT NULL DEFAULT '',"
	" address TEXT NOT NULL DEFAULT '', rx INTEGER NOT NULL DEFAULT 0,"
	" tx INTEGER NOT NULL DEFAULT 0) STRICT;"
	"CREATE INDEX sessions_user_started ON sessions(user_id, started);"
	"CREATE INDEX sessions_started ON sessions(started);"
	"CREATE INDEX sessions_ended ON sessions(ended) WHERE ended IS NOT NULL;"
	"CREATE TABLE session_endpoints ("
	" session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
	" at INTEGER NOT NULL, endpoint TEXT NOT NULL) STRICT;"
	"CREATE INDEX session_endpoints_session ON session_endpoints(session_id, at);"
	"ALTER TABLE users ADD COLUMN seen_rx INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE users ADD COLUMN seen_tx INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE sessions ADD COLUMN last_seen INTEGER;"
	"CREATE TABLE devices (id INTEGER PRIMARY KEY,"
	" user_id INTEGER NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,"
	" name TEXT NOT NULL UNIQUE, created INTEGER NOT NULL,"
	" token_hash BLOB UNIQUE CHECK (length(token_hash) = 32), token_expires INTEGER,"
	" credential_hash BLOB UNIQUE CHECK (length(credential_hash) = 32), enrolled INTEGER,"
	" last_seen INTEGER, profile_serial INTEGER NOT NULL DEFAULT 0,"
	" profile_issued INTEGER NOT NULL DEFAULT 0, profile_hash BLOB) STRICT;"
	"CREATE TABLE admin_tokens (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" created INTEGER NOT NULL, token_hash BLOB NOT NULL UNIQUE"
	" CHECK (length(token_hash) = 32), last_used INTEGER) STRICT;"
	"PRAGMA user_version = 3;";

/* The base64 of make_key(seed) for seeds 1..4, as v3 kept users' keys. */
static void key_b64(char out[KEY_B64_LEN], unsigned int seed)
{
	uint8_t k[KEY_LEN];

	make_key(k, seed);
	key_to_base64(out, k);
}

/* alice: an enrolled device gw1; bob: a device br1 waiting for enrolment; carol: no
 * device, two sessions with endpoint changes; dave: a waiting device named like him;
 * one admin token. */
static void write_v3(const char *path)
{
	char k[5][KEY_B64_LEN], *sql;

	for (unsigned int i = 1; i <= 4; i++)
		key_b64(k[i], i);
	raw_exec(path, "PRAGMA journal_mode = WAL");
	raw_exec(path, v3_schema);
	sql = xasprintf(
		"INSERT INTO users (id, name, created, expires, quota_bytes, quota_period,"
		" quota_reset_day, disabled_reason, public_key, private_key_enc, preshared_key_enc,"
		" rx_total, tx_total, rx_period, tx_period, period_start, seen_rx, seen_tx) VALUES"
		" (1, 'alice', 1000, NULL, NULL, 'total', 1, NULL, '%s', NULL, x'a1a1', 100, 200,"
		"  10, 20, 1000, 5, 6),"
		" (2, 'bob', 1100, 9000, 5000, 'total', 1, NULL, '%s', x'b0b0b0', x'b1b1', 1, 2, 1,"
		"  2, 1100, 1, 2),"
		" (3, 'carol', 1200, 8000, 1073741824, 'month', 15, 'quota', '%s', x'c0', x'c1',"
		"  1073741824, 7, 1073741824, 7, 1300, 1073741824, 7),"
		" (4, 'dave', 1300, NULL, NULL, 'total', 1, 'admin', '%s', x'd0', x'd1', 0, 0, 0, 0,"
		"  1300, 0, 0);"
		"INSERT INTO addresses (user_id, family, address) VALUES (1, 4, '10.9.0.2'),"
		" (1, 6, 'fd09::2'), (2, 4, '10.9.0.3'), (2, 6, 'fd09::3'), (3, 4, '10.9.0.4'),"
		" (4, 4, '10.9.0.5');"
		"INSERT INTO devices (id, user_id, name, created, token_hash, token_expires,"
		" credential_hash, enrolled, last_seen, profile_serial, profile_issued, profile_hash)"
		" VALUES (1, 1, 'gw1', 1500, NULL, NULL, zeroblob(32), 1600, 1700, 7, 1650,"
		"  randomblob(32)),"
		" (2, 2, 'br1', 1800, x'%s', 99999999999, NULL, NULL, NULL, 0, 0, NULL),"
		" (3, 4, 'dave', 1900, x'%s', 5, NULL, NULL, NULL, 0, 0, NULL);"
		"INSERT INTO sessions (id, user_id, started, ended, endpoint, address, rx, tx,"
		" last_seen) VALUES (1, 3, 100, 200, '192.0.2.1:1', '10.9.0.4/32', 11, 22, 190),"
		" (2, 3, 1000, NULL, '192.0.2.9:3', '10.9.0.4/32', 33, 44, 1050),"
		" (3, 1, 500, 600, '203.0.113.5:7', '10.9.0.2/32', 1, 1, 600);"
		"INSERT INTO session_endpoints (session_id, at, endpoint) VALUES"
		" (1, 150, '192.0.2.7:2'), (2, 1100, '198.51.100.4:4'), (2, 1050, '192.0.2.10:9');"
		"INSERT INTO admin_tokens (id, name, created, token_hash, last_used)"
		" VALUES (1, 'ops', 900, x'%s', 950);",
		k[1], k[2], k[3], k[4],
		"1111111111111111111111111111111111111111111111111111111111111111",
		"4444444444444444444444444444444444444444444444444444444444444444",
		"9999999999999999999999999999999999999999999999999999999999999999");
	raw_exec(path, sql);
	free(sql);
}

struct devs {
	size_t n;
	struct db_device d[4];
};

static int collect_device(const struct db_device *d, void *arg)
{
	struct devs *v = arg;

	if (v->n < 4)
		v->d[v->n] = *d;
	v->n++;
	return 0;
}

static void test_migrate_v3(void **state)
{
	struct fixture *f = *state;
	uint8_t tok[DB_HASH_LEN], cred[DB_HASH_LEN], key[KEY_LEN];
	struct db_session_query q = { .oldest_first = true };
	struct sessions_seen c;
	struct addr_seen s;
	struct ep_seen e = { 0 };
	struct db_device d;
	struct db_token t;
	struct db_user u;
	struct devs v;
	uint64_t total;
	int64_t ver;

	write_v3(f->path);
	assert_int_equal(db_open(f->path, &f->db), 0);
	assert_int_equal(db_pragma_int(f->db, "user_version", &ver), 0);
	assert_int_equal(ver, DB_SCHEMA_VERSION);
	assert_int_equal(db_pragma_int(f->db, "foreign_keys", &ver), 0);
	assert_int_equal(ver, 1);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	/* nothing was deleted by the rebuild: every row is still there */
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM users"), 4);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM devices"), 6);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM addresses"), 6);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sessions"), 3);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM session_endpoints"), 3);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM admin_tokens"), 1);

	/* alice: the enrolled device holds her key, counters, addresses and session */
	assert_int_equal(db_user_get_by_name(f->db, "alice", &u), 0);
	assert_int_equal(u.id, 1);
	assert_int_equal(u.created, 1000);
	assert_int_equal(u.group_id, DB_GROUP_DEFAULT);
	assert_int_equal(u.rx_total, 100);
	assert_int_equal(u.tx_total, 200);
	assert_int_equal(u.rx_period, 10);
	assert_int_equal(u.tx_period, 20);
	assert_string_equal(u.email, "");
	assert_string_equal(u.password_hash, "");
	memset(&v, 0, sizeof(v));
	assert_int_equal(db_device_list(f->db, 1, collect_device, &v), 0);
	assert_int_equal(v.n, 1);
	d = v.d[0];
	assert_int_equal(d.id, 1);
	assert_string_equal(d.name, "gw1");
	assert_int_equal(d.kind, DB_DEVICE_AGENT);
	assert_int_equal(d.created, 1500);
	assert_true(d.has_key);
	make_key(key, 1);
	assert_memory_equal(d.public_key, key, KEY_LEN);
	assert_int_equal(d.private_key_enc_len, 0);
	assert_int_equal(d.preshared_key_enc_len, 2);
	assert_int_equal(d.preshared_key_enc[0], 0xa1);
	assert_int_equal(d.rx_total, 100);
	assert_int_equal(d.tx_total, 200);
	assert_int_equal(d.seen_rx, 5);
	assert_int_equal(d.seen_tx, 6);
	assert_int_equal(d.enrolled, 1600);
	assert_int_equal(d.last_seen, 1700);
	assert_int_equal(d.profile_serial, 7);
	assert_int_equal(d.profile_issued, 1650);
	assert_true(d.has_profile_hash);
	assert_int_equal(d.token_expires, 0);
	assert_string_equal(d.endpoint, "203.0.113.5:7");
	memset(cred, 0, sizeof(cred));
	assert_int_equal(db_device_get_by_credential(f->db, cred, &d), 0);
	assert_int_equal(d.id, 1);
	assert_int_equal(db_device_get_by_key(f->db, key, &d), 0);
	assert_int_equal(d.id, 1);
	memset(&s, 0, sizeof(s));
	assert_int_equal(db_addr_list_device(f->db, 1, collect_addr, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.first, "10.9.0.2");
	assert_string_equal(s.last, "fd09::2");

	/* bob: a config device with his keys and addresses; the waiting one keeps its token */
	assert_int_equal(db_user_get_by_name(f->db, "bob", &u), 0);
	assert_int_equal(u.expires, 9000);
	assert_int_equal(u.quota_bytes, 5000);
	memset(&v, 0, sizeof(v));
	assert_int_equal(db_device_list(f->db, 2, collect_device, &v), 0);
	assert_int_equal(v.n, 2);
	assert_int_equal(v.d[0].id, 2);
	assert_string_equal(v.d[0].name, "br1");
	assert_int_equal(v.d[0].kind, DB_DEVICE_AGENT);
	assert_false(v.d[0].has_key);
	assert_int_equal(v.d[0].created, 1800);
	assert_int_equal(v.d[0].token_expires, 99999999999);
	assert_int_equal(v.d[0].rx_total, 0);
	assert_string_equal(v.d[1].name, "bob");
	assert_int_equal(v.d[1].kind, DB_DEVICE_CONFIG);
	assert_int_equal(v.d[1].created, 1100);
	assert_true(v.d[1].has_key);
	make_key(key, 2);
	assert_memory_equal(v.d[1].public_key, key, KEY_LEN);
	assert_int_equal(v.d[1].private_key_enc_len, 3);
	assert_memory_equal(v.d[1].private_key_enc, "\xb0\xb0\xb0", 3);
	assert_int_equal(v.d[1].rx_total, 1);
	assert_int_equal(v.d[1].seen_tx, 2);
	assert_string_equal(v.d[1].endpoint, "");
	assert_true(v.d[1].id > 3); /* after every version-3 device's */
	memset(tok, 0x11, sizeof(tok));
	assert_int_equal(db_device_get_by_token(f->db, tok, 2000, &d), 0);
	assert_int_equal(d.id, 2);
	memset(&s, 0, sizeof(s));
	assert_int_equal(db_addr_list_device(f->db, 2, collect_addr, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(db_addr_list_device(f->db, v.d[1].id, collect_addr, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.first, "10.9.0.3");

	/* carol: one config device, her sessions on it, where she was last seen */
	assert_int_equal(db_user_get_by_name(f->db, "carol", &u), 0);
	assert_int_equal(u.disabled, DB_DISABLED_QUOTA);
	assert_int_equal(u.quota_period, DB_QUOTA_MONTH);
	assert_int_equal(u.quota_reset_day, 15);
	assert_int_equal(u.period_start, 1300);
	assert_int_equal(u.expires, 8000);
	assert_int_equal(u.rx_period, 1073741824);
	memset(&v, 0, sizeof(v));
	assert_int_equal(db_device_list(f->db, 3, collect_device, &v), 0);
	assert_int_equal(v.n, 1);
	assert_string_equal(v.d[0].name, "carol");
	assert_string_equal(v.d[0].endpoint, "198.51.100.4:4");
	assert_int_equal(v.d[0].seen_rx, 1073741824);
	q.user_id = 3;
	assert_int_equal(query_sessions(f->db, &q, &c, &total), 2);
	assert_int_equal(c.ids[0], 1);
	assert_int_equal(c.ids[1], 2);
	assert_int_equal(c.last.device_id, v.d[0].id);
	assert_int_equal(c.last.started, 1000);
	assert_int_equal(c.last.ended, 0);
	assert_int_equal(c.last.rx, 33);
	assert_int_equal(c.last.last_seen, 1050);
	assert_string_equal(c.last.address, "10.9.0.4/32");
	q.user_id = 0;
	q.device_id = v.d[0].id;
	assert_int_equal(query_sessions(f->db, &q, &c, &total), 2);
	q.device_id = 1;
	assert_int_equal(query_sessions(f->db, &q, &c, &total), 1);
	assert_int_equal(c.last.id, 3);
	assert_int_equal(db_session_endpoints(f->db, 2, collect_ep, &e), 0);
	assert_int_equal(e.n, 2);
	assert_string_equal(e.endpoint, "198.51.100.4:4");
	memset(&c, 0, sizeof(c));
	assert_int_equal(db_session_list_open(f->db, collect_session, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.last.id, 2);

	/* dave: the waiting device keeps his name, his keys go to dave-config */
	memset(&v, 0, sizeof(v));
	assert_int_equal(db_device_list(f->db, 4, collect_device, &v), 0);
	assert_int_equal(v.n, 2);
	assert_string_equal(v.d[0].name, "dave");
	assert_false(v.d[0].has_key);
	assert_int_equal(v.d[0].token_expires, 5);
	assert_string_equal(v.d[1].name, "dave-config");
	assert_true(v.d[1].has_key);
	memset(tok, 0x44, sizeof(tok));
	assert_int_equal(db_device_get_by_token(f->db, tok, 4, &d), 0);
	assert_int_equal(db_device_get_by_token(f->db, tok, 5, &d), -ENOENT); /* expired */

	/* the token works, as an admin's */
	memset(tok, 0x99, sizeof(tok));
	assert_int_equal(db_token_check(f->db, tok, 1000, &t), 0);
	assert_string_equal(t.name, "ops");
	assert_int_equal(t.role, DB_ROLE_ADMIN);
	assert_int_equal(t.created, 900);
	assert_int_equal(t.last_used, 950);

	/* and the new schema works on the old data: a new device, then the cascade */
	assert_true(add_device(f->db, 1, "phone", 9) > v.d[1].id);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_sequence"
				 " WHERE name IN ('users', 'devices')"), 2);
	assert_int_equal(db_user_delete(f->db, 3), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sessions"), 1);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM session_endpoints"), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM addresses"), 5);
	assert_int_equal(db_user_delete(f->db, 1), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM devices"), 4);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM addresses"), 3);
	db_close(f->db);
	f->db = NULL;
	/* reopening does not migrate again */
	assert_int_equal(db_open(f->path, &f->db), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM users"), 2);
	db_user_wipe(&u);
}

/* Schema version 5 as warren wrote it (sqlite3 .schema of a new file), with its default
 * group. */
static const char v5_schema[] =
	"CREATE TABLE session_endpoints ( session_id INTEGER NOT NULL REFERENCES sessions(id) ON "
	"DELETE CASCADE, at INTEGER NOT NULL, endpoint TEXT NOT NULL) STRICT;\n"
	"CREATE INDEX session_endpoints_session ON session_endpoints(session_id, at);\n"
	"CREATE TABLE admin_tokens ( id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created "
	"INTEGER NOT NULL, token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32), "
	"last_used INTEGER, role TEXT NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', "
	"'viewer'))) STRICT;\n"
	"CREATE TABLE groups ( id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created "
	"INTEGER NOT NULL) STRICT;\n"
	"CREATE TABLE IF NOT EXISTS \"users\" ( id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT "
	"NOT NULL, created INTEGER NOT NULL, expires INTEGER, quota_bytes INTEGER CHECK "
	"(quota_bytes > 0), quota_period TEXT NOT NULL DEFAULT 'total' CHECK (quota_period IN "
	"('total', 'month')), quota_reset_day INTEGER NOT NULL DEFAULT 1 CHECK (quota_reset_day "
	"BETWEEN 1 AND 31), period_start INTEGER NOT NULL, disabled_reason TEXT CHECK "
	"(disabled_reason IN ('expired', 'quota', 'admin')), group_id INTEGER NOT NULL DEFAULT 1 "
	"REFERENCES groups(id), email TEXT, password_hash TEXT, must_change_password INTEGER NOT "
	"NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)), rx_total INTEGER NOT NULL "
	"DEFAULT 0, tx_total INTEGER NOT NULL DEFAULT 0, rx_period INTEGER NOT NULL DEFAULT 0, "
	"tx_period INTEGER NOT NULL DEFAULT 0) STRICT;\n"
	"CREATE TABLE IF NOT EXISTS \"devices\" ( id INTEGER PRIMARY KEY AUTOINCREMENT, user_id "
	"INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, name TEXT NOT NULL, kind TEXT "
	"NOT NULL CHECK (kind IN ('config', 'agent')), created INTEGER NOT NULL, public_key TEXT "
	"CHECK (length(public_key) = 44), private_key_enc BLOB, preshared_key_enc BLOB, endpoint "
	"TEXT NOT NULL DEFAULT '', rx_total INTEGER NOT NULL DEFAULT 0, tx_total INTEGER NOT "
	"NULL DEFAULT 0, seen_rx INTEGER NOT NULL DEFAULT 0, seen_tx INTEGER NOT NULL DEFAULT 0, "
	"token_hash BLOB CHECK (length(token_hash) = 32), token_expires INTEGER, credential_hash "
	"BLOB CHECK (length(credential_hash) = 32), enrolled INTEGER, last_seen INTEGER, "
	"profile_serial INTEGER NOT NULL DEFAULT 0, profile_issued INTEGER NOT NULL DEFAULT 0, "
	"profile_hash BLOB CHECK (length(profile_hash) = 32), CHECK (public_key IS NOT NULL OR "
	"(kind = 'agent' AND private_key_enc IS NULL)), CHECK (token_hash IS NULL OR kind = "
	"'agent')) STRICT;\n"
	"CREATE UNIQUE INDEX devices_user_name ON \"devices\"(user_id, name);\n"
	"CREATE TABLE IF NOT EXISTS \"addresses\" ( device_id INTEGER NOT NULL REFERENCES "
	"devices(id) ON DELETE CASCADE, family INTEGER NOT NULL CHECK (family IN (4, 6)), "
	"address TEXT NOT NULL) STRICT;\n"
	"CREATE TABLE IF NOT EXISTS \"sessions\" ( id INTEGER PRIMARY KEY, user_id INTEGER NOT "
	"NULL REFERENCES users(id) ON DELETE CASCADE, device_id INTEGER NOT NULL, started "
	"INTEGER NOT NULL, ended INTEGER, endpoint TEXT NOT NULL DEFAULT '', address TEXT NOT "
	"NULL DEFAULT '', rx INTEGER NOT NULL DEFAULT 0, tx INTEGER NOT NULL DEFAULT 0, "
	"last_seen INTEGER) STRICT;\n"
	"CREATE UNIQUE INDEX users_name ON users(name);\n"
	"CREATE INDEX users_created ON users(created, id);\n"
	"CREATE INDEX users_expires ON users(ifnull(expires, 9223372036854775807), id);\n"
	"CREATE INDEX users_used ON users((rx_total + tx_total), id);\n"
	"CREATE INDEX users_disabled ON users(disabled_reason);\n"
	"CREATE INDEX users_group ON users(group_id);\n"
	"CREATE INDEX users_next_expiry ON users(expires) WHERE expires IS NOT NULL AND "
	"disabled_reason IS NULL;\n"
	"CREATE UNIQUE INDEX devices_public_key ON devices(public_key);\n"
	"CREATE UNIQUE INDEX devices_token ON devices(token_hash);\n"
	"CREATE UNIQUE INDEX devices_credential ON devices(credential_hash);\n"
	"CREATE INDEX devices_search ON devices(name, endpoint, user_id);\n"
	"CREATE UNIQUE INDEX addresses_address ON addresses(address);\n"
	"CREATE UNIQUE INDEX addresses_device ON addresses(device_id, family);\n"
	"CREATE INDEX addresses_family ON addresses(family);\n"
	"CREATE INDEX sessions_started ON sessions(started, id);\n"
	"CREATE INDEX sessions_user_started ON sessions(user_id, started, id);\n"
	"CREATE INDEX sessions_device_started ON sessions(device_id, started, id);\n"
	"CREATE INDEX sessions_ended ON sessions(ended);\n"
	"CREATE TABLE admins ( id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT "
	"NULL CHECK (role IN ('admin', 'viewer')), created INTEGER NOT NULL, password_hash TEXT, "
	"must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)), "
	"totp_secret_enc BLOB, totp_last_step INTEGER NOT NULL DEFAULT 0, last_login INTEGER) "
	"STRICT;\n"
	"CREATE TABLE audit ( id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, "
	"source TEXT NOT NULL, op TEXT NOT NULL, target TEXT NOT NULL, status INTEGER NOT NULL "
	"CHECK (status BETWEEN 100 AND 599), detail TEXT NOT NULL) STRICT;\n"
	"CREATE INDEX audit_at ON audit(at, id);\n"
	"CREATE INDEX audit_actor ON audit(actor, at, id);\n"
	"CREATE TABLE settings ( key TEXT PRIMARY KEY, value TEXT NOT NULL, updated INTEGER NOT "
	"NULL, updated_by TEXT NOT NULL) STRICT, WITHOUT ROWID;\n"
	"CREATE TABLE traffic ( user_id INTEGER NOT NULL, hour INTEGER NOT NULL CHECK (hour % "
	"3600 = 0), rx INTEGER NOT NULL, tx INTEGER NOT NULL, PRIMARY KEY (user_id, hour)) "
	"STRICT, WITHOUT ROWID;\n"
	"CREATE INDEX traffic_hour ON traffic(hour, rx, tx);\n"
	"CREATE TABLE announcements ( id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, "
	"text TEXT NOT NULL, group_id INTEGER REFERENCES groups(id) ON DELETE CASCADE, pinned "
	"INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)), until INTEGER, created INTEGER NOT "
	"NULL, updated INTEGER NOT NULL, author TEXT NOT NULL) STRICT;\n"
	"CREATE INDEX announcements_feed ON announcements(pinned, created, id);\n"
	"CREATE INDEX announcements_group ON announcements(group_id);\n"
	"CREATE TABLE announcement_reads ( user_id INTEGER NOT NULL REFERENCES users(id) ON "
	"DELETE CASCADE, announcement_id INTEGER NOT NULL REFERENCES announcements(id) ON DELETE "
	"CASCADE, at INTEGER NOT NULL, PRIMARY KEY (user_id, announcement_id)) STRICT, WITHOUT "
	"ROWID;\n"
	"CREATE INDEX announcement_reads_announcement ON announcement_reads(announcement_id);\n"
	"CREATE TABLE services ( id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, address TEXT "
	"NOT NULL, description TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL) STRICT;\n"
	"CREATE TABLE service_groups ( service_id INTEGER NOT NULL REFERENCES services(id) ON "
	"DELETE CASCADE, group_id INTEGER NOT NULL REFERENCES groups(id), PRIMARY KEY "
	"(service_id, group_id)) STRICT, WITHOUT ROWID;\n"
	"CREATE INDEX service_groups_group ON service_groups(group_id);\n"
	"CREATE TABLE voucher_batches ( id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL "
	"UNIQUE, created INTEGER NOT NULL, created_by TEXT NOT NULL, duration INTEGER CHECK "
	"(duration > 0), quota_bytes INTEGER CHECK (quota_bytes > 0), quota_period TEXT NOT NULL "
	"DEFAULT 'total' CHECK (quota_period IN ('total', 'month')), group_id INTEGER REFERENCES "
	"groups(id) ON DELETE SET NULL, expires INTEGER, uses INTEGER NOT NULL DEFAULT 1 CHECK "
	"(uses >= 1), revoked INTEGER) STRICT;\n"
	"CREATE TABLE vouchers ( id INTEGER PRIMARY KEY, batch_id INTEGER NOT NULL REFERENCES "
	"voucher_batches(id) ON DELETE CASCADE, hash BLOB NOT NULL UNIQUE, used INTEGER NOT NULL "
	"DEFAULT 0 CHECK (used >= 0)) STRICT;\n"
	"CREATE INDEX vouchers_batch ON vouchers(batch_id, used);\n"
	"CREATE TABLE voucher_redemptions ( id INTEGER PRIMARY KEY, voucher_id INTEGER NOT NULL "
	"REFERENCES vouchers(id) ON DELETE CASCADE, batch_id INTEGER NOT NULL REFERENCES "
	"voucher_batches(id) ON DELETE CASCADE, user_name TEXT NOT NULL, at INTEGER NOT NULL, "
	"source TEXT NOT NULL, created_account INTEGER NOT NULL CHECK (created_account IN (0, "
	"1))) STRICT;\n"
	"CREATE INDEX voucher_redemptions_voucher ON voucher_redemptions(voucher_id, user_name);\n"
	"CREATE INDEX voucher_redemptions_batch ON voucher_redemptions(batch_id, id);\n"
	"INSERT INTO groups (id, name, created) VALUES (1, 'default', 1700000000);\n"
	"PRAGMA user_version = 5;\n";

/* A version-5 file with groups and users: they keep everything and inherit the whole
 * policy. */
static void test_migrate_v5(void **state)
{
	struct fixture *f = *state;
	struct db_group g;
	struct db_user u;
	int64_t ver;

	raw_exec(f->path, "PRAGMA journal_mode = WAL");
	raw_exec(f->path, v5_schema);
	raw_exec(f->path, "INSERT INTO groups (id, name, created) VALUES (2, 'staff', 1800);"
		 "INSERT INTO users (id, name, created, period_start, group_id, email)"
		 " VALUES (1, 'alice', 1000, 1000, 2, 'a@example.net'), (2, 'bob', 1100, 1100, 1, NULL);");
	assert_int_equal(db_open(f->path, &f->db), 0);
	assert_int_equal(db_pragma_int(f->db, "user_version", &ver), 0);
	assert_int_equal(ver, 7);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	assert_int_equal(db_group_get_by_name(f->db, "staff", &g), 0);
	assert_int_equal(g.id, 2);
	assert_int_equal(g.created, 1800);
	assert_false(g.policy.has_destinations || g.policy.has_schedule || g.policy.has_sources ||
		     g.policy.has_rate || g.policy.has_isolate || g.policy.has_portal_login ||
		     g.policy.has_idle || g.policy.has_max_maps);
	assert_int_equal(db_user_get_by_name(f->db, "alice", &u), 0);
	assert_int_equal(u.group_id, 2);
	assert_string_equal(u.email, "a@example.net");
	assert_string_equal(u.rate, "");
	/* the new columns work on the old rows */
	strcpy(u.rate, "1Mbit/1Mbit");
	assert_int_equal(db_user_update(f->db, &u), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM users WHERE rate = '1Mbit/1Mbit'"), 1);
	g.policy.has_isolate = true;
	g.policy.isolate = true;
	assert_int_equal(db_group_set(f->db, g.id, &g.policy), 0);
	assert_int_equal(raw_int(f->path, "SELECT isolate FROM groups WHERE id = 2"), 1);
	/* and reopening does not migrate again */
	db_close(f->db);
	assert_int_equal(db_open(f->path, &f->db), 0);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 7);
}

/* A group's policy: set, read back, NULL for what it inherits; "" is a value. */
static void test_group_policy(void **state)
{
	struct fixture *f = *state;
	struct db_group_policy p = { 0 };
	struct db_group g;
	struct db_user u = { 0 };
	int64_t id;

	assert_int_equal(db_group_add(f->db, "staff", &id), 0);
	assert_int_equal(db_group_get(f->db, id, &g), 0);
	assert_false(g.policy.has_destinations);
	assert_false(g.policy.has_idle);
	p.has_destinations = true;     /* "": what client_allowed_ips allows */
	p.has_schedule = true;
	strcpy(p.schedule, "Mon-Fri 08:00-18:00");
	p.has_rate = true;
	strcpy(p.rate, "20Mbit/5Mbit");
	p.has_portal_login = true;
	p.portal_login = false;
	p.has_idle = true;
	p.idle_s = 4294967295LL;
	p.has_max_maps = true;
	p.max_maps = 0;
	assert_int_equal(db_group_set(f->db, id, &p), 0);
	assert_int_equal(db_group_get_by_name(f->db, "staff", &g), 0);
	assert_true(g.policy.has_destinations);
	assert_string_equal(g.policy.destinations, "");
	assert_true(g.policy.has_schedule);
	assert_string_equal(g.policy.schedule, "Mon-Fri 08:00-18:00");
	assert_false(g.policy.has_sources);
	assert_string_equal(g.policy.rate, "20Mbit/5Mbit");
	assert_false(g.policy.has_isolate);
	assert_true(g.policy.has_portal_login);
	assert_false(g.policy.portal_login);
	assert_int_equal(g.policy.idle_s, 4294967295LL);
	assert_true(g.policy.has_max_maps);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM groups WHERE destinations = ''"
				 " AND sources IS NULL AND isolate IS NULL"), 1);
	/* back to inheriting everything */
	memset(&p, 0, sizeof(p));
	assert_int_equal(db_group_set(f->db, id, &p), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM groups WHERE id = 2 AND"
				 " coalesce(destinations, schedule, sources, rate, isolate,"
				 " portal_login, idle_s, max_maps) IS NULL"), 1);
	p.has_max_maps = true;
	p.max_maps = 65536;
	assert_int_equal(db_group_set(f->db, id, &p), -EINVAL);
	p.max_maps = 1;
	assert_int_equal(db_group_set(f->db, 999, &p), -ENOENT);
	assert_string_equal(db_errmsg(f->db), "no such group");

	/* a user's rate: "" is the group's */
	strcpy(u.name, "alice");
	strcpy(u.rate, "5Mbit/1Mbit");
	assert_int_equal(db_user_add(f->db, &u, &u.id), 0);
	assert_int_equal(db_user_get(f->db, u.id, &u), 0);
	assert_string_equal(u.rate, "5Mbit/1Mbit");
	u.rate[0] = '\0';
	assert_int_equal(db_user_update(f->db, &u), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM users WHERE rate IS NULL"), 1);
}

/* A migration that cannot finish leaves the version-3 file as it was. */
static void test_migrate_v3_fails_whole(void **state)
{
	struct fixture *f = *state;
	struct db *db = NULL;

	write_v3(f->path);
	/* an endpoint change of a session that is gone (written with foreign keys off):
	 * foreign_key_check refuses the result, and all of it is rolled back */
	raw_exec(f->path, "INSERT INTO session_endpoints (session_id, at, endpoint)"
		 " VALUES (42, 1, 'x')");
	assert_int_equal(db_open(f->path, &db), -EIO);
	assert_null(db);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 3);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM users"), 4);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM devices"), 3);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_schema"
				 " WHERE name IN ('groups', 'devices4', 'users4')"), 0);
}

/* ---- the console's users page ---- */

struct page_seen {
	size_t n, cap;
	int64_t *ids;
};

static int collect_page(const struct db_user *u, void *arg)
{
	struct page_seen *p = arg;

	assert_true(p->n < p->cap);
	p->ids[p->n++] = u->id;
	return 0;
}

/* Every page of q, in order, into seen; each page's total must be want_total. */
static size_t page_all(struct db *db, struct db_user_query q, struct page_seen *seen,
		       uint64_t want_total)
{
	char next[DB_CURSOR_MAX + 1], cur[DB_CURSOR_MAX + 1] = "";
	size_t pages = 0, before;
	uint64_t total;

	seen->n = 0;
	for (;;) {
		q.cursor = cur;
		before = seen->n;
		assert_int_equal(db_user_query(db, &q, collect_page, seen, &total, next), 0);
		assert_int_equal(total, want_total);
		pages++;
		if (!next[0])
			break;
		assert_int_equal(seen->n - before, q.limit); /* only the last page is short */
		assert_true(strlen(next) <= DB_CURSOR_MAX);
		strcpy(cur, next);
	}
	return pages;
}

static void test_search(void **state)
{
	struct fixture *f = *state;
	struct db_user_query q = { .state = -1, .limit = 10 };
	struct db_user u;
	struct db_device d;
	struct page_seen seen = { .cap = 16, .ids = calloc(16, sizeof(int64_t)) };
	int64_t ab, axb, pct, pcx, bs, dev, dev2, id;
	uint64_t total;

	ab = add_user(f->db, "a_b");
	axb = add_user(f->db, "axb");
	make_user(&u, "mail1");
	snprintf(u.email, sizeof(u.email), "100%%off@Example.NET");
	assert_int_equal(db_user_add(f->db, &u, &pct), 0);
	make_user(&u, "mail2");
	snprintf(u.email, sizeof(u.email), "100xoff@example.net");
	assert_int_equal(db_user_add(f->db, &u, &pcx), 0);
	make_user(&u, "mail3");
	snprintf(u.email, sizeof(u.email), "b\\s@example.net");
	assert_int_equal(db_user_add(f->db, &u, &bs), 0);
	dev = add_device(f->db, axb, "Pixel-7", 1);
	assert_int_equal(db_device_set_endpoint(f->db, dev, "[2001:db8::77]:4500"), 0);
	dev2 = add_device(f->db, ab, "laptop", 2);
	add_addr(f->db, dev2, "10.9.3.77", 0);

#define SEARCH(text, cnt) do { q.q = (text); seen.n = 0; \
		assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, &total, NULL), 0); \
		assert_int_equal(seen.n, (cnt)); assert_int_equal(total, (cnt)); } while (0)
	SEARCH("a_b", 1);           /* _ is a character */
	assert_int_equal(seen.ids[0], ab);
	SEARCH("%off", 1);          /* % too */
	assert_int_equal(seen.ids[0], pct);
	SEARCH("b\\s", 1);          /* and the escape character itself */
	assert_int_equal(seen.ids[0], bs);
	SEARCH("\\", 1);
	SEARCH("%", 1);
	SEARCH("_", 1);
	SEARCH("EXAMPLE.net", 3);   /* case-insensitive */
	SEARCH("pixel", 1);         /* a device's name */
	assert_int_equal(seen.ids[0], axb);
	SEARCH("db8::77]", 1);      /* its last endpoint */
	assert_int_equal(seen.ids[0], axb);
	SEARCH("9.3.77", 1);        /* an address */
	assert_int_equal(seen.ids[0], ab);
	SEARCH("a", 5);
	SEARCH("zzz", 0);
	SEARCH("", 5);              /* "" is no search */
#undef SEARCH
	(void)pcx;
	{
		char big[DB_QUERY_MAX + 2];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		q.q = big;
		assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, &total, NULL), -EINVAL);
	}
	q.q = NULL;

	/* filters: state and group */
	assert_int_equal(db_group_add(f->db, "g", &id), 0);
	assert_int_equal(db_user_get(f->db, axb, &u), 0);
	u.group_id = id;
	u.disabled = DB_DISABLED_QUOTA;
	assert_int_equal(db_user_update(f->db, &u), 0);
	q.state = DB_DISABLED_QUOTA;
	seen.n = 0;
	assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, &total, NULL), 0);
	assert_int_equal(total, 1);
	assert_int_equal(seen.ids[0], axb);
	q.state = DB_ENABLED;
	seen.n = 0;
	assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, &total, NULL), 0);
	assert_int_equal(total, 4);
	q.state = -1;
	q.group_id = id;
	seen.n = 0;
	assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, NULL, NULL), 0);
	assert_int_equal(seen.n, 1);
	q.group_id = DB_GROUP_DEFAULT;
	seen.n = 0;
	assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, &total, NULL), 0);
	assert_int_equal(total, 4);
	q.group_id = 0;

	/* arguments out of range */
	q.limit = 0;
	assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, &total, NULL), -EINVAL);
	q.limit = DB_PAGE_MAX + 1;
	assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, &total, NULL), -EINVAL);
	q.limit = 10;
	q.sort = 4;
	assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, &total, NULL), -EINVAL);
	q.sort = DB_SORT_NAME;
	q.state = 4;
	assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, &total, NULL), -EINVAL);
	q.state = -1;
	(void)d;
	db_user_wipe(&u);
	free(seen.ids);
}

static void test_cursors(void **state)
{
	struct fixture *f = *state;
	struct db_user_query q = { .state = -1, .limit = 2 };
	struct db_session_query sq = { .limit = 1 };
	struct page_seen seen = { .cap = 64, .ids = calloc(64, sizeof(int64_t)) };
	char next[DB_CURSOR_MAX + 1], bad[DB_CURSOR_MAX + 1], sess[DB_CURSOR_MAX + 1];
	char name[16], longer[200];
	struct sessions_seen c;
	int64_t u, d;
	size_t i, len;
	int sort;

	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "user%zu", i);
		u = add_user(f->db, name);
		d = add_device(f->db, u, "phone", (unsigned int)i + 1);
		assert_int_equal(db_session_open(f->db, u, d, 100 + (int64_t)i, "", "", NULL), 0);
	}
	assert_int_equal(db_session_query(f->db, &sq, collect_session, &c, NULL, sess), 0);
	assert_true(sess[0] != '\0');

	for (sort = DB_SORT_NAME; sort <= DB_SORT_USED; sort++) {
		q.sort = (enum db_user_sort)sort;
		q.desc = false;
		q.cursor = NULL;
		seen.n = 0;
		assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, NULL, next), 0);
		assert_true(next[0] != '\0');
		len = strlen(next);
		/* every single character changed: refused, never a crash */
		for (i = 0; i < len; i++) {
			strcpy(bad, next);
			bad[i] = bad[i] == 'A' ? 'B' : 'A';
			q.cursor = bad;
			assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, NULL, NULL),
					 -EINVAL);
		}
		/* shortened, lengthened, not base64url, too long */
		for (i = 0; i < len; i++) {
			snprintf(bad, sizeof(bad), "%.*s", (int)i, next);
			q.cursor = bad;
			assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, NULL, NULL),
					 i == 0 ? 0 : -EINVAL);
		}
		snprintf(bad, sizeof(bad), "%sA", next);
		q.cursor = bad;
		assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, NULL, NULL), -EINVAL);
		snprintf(bad, sizeof(bad), "%.*s+/", (int)len - 2, next);
		assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, NULL, NULL), -EINVAL);
		memset(longer, 'A', sizeof(longer) - 1);
		longer[sizeof(longer) - 1] = '\0';
		q.cursor = longer;
		assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, NULL, NULL), -EINVAL);
		/* a cursor of another order, direction or list */
		q.cursor = next;
		q.desc = true;
		assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, NULL, NULL), -EINVAL);
		q.desc = false;
		q.sort = (enum db_user_sort)((sort + 1) % 4);
		assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, NULL, NULL), -EINVAL);
		q.sort = (enum db_user_sort)sort;
		q.cursor = sess;
		assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, NULL, NULL), -EINVAL);
		/* the real one still works */
		q.cursor = next;
		assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, NULL, NULL), 0);
	}
	q.cursor = next;
	sq.cursor = next;
	assert_int_equal(db_session_query(f->db, &sq, collect_session, &c, NULL, NULL), -EINVAL);
	free(seen.ids);
}

/* ---- 10,000 users, 20,000 devices ---- */

#define N_USERS 10000

struct expect {
	int64_t id;
	char name[DB_NAME_MAX + 1];
	int64_t created, expires;
	uint64_t used;
	int state;
	int64_t group;
	char text[512];                /* the email, devices' names, endpoint, addresses */
};

static struct expect *want;
static bool want_desc;
static enum db_user_sort want_sort;

static int64_t want_key(const struct expect *e)
{
	switch (want_sort) {
	case DB_SORT_CREATED:
		return e->created;
	case DB_SORT_EXPIRES:
		return e->expires ? e->expires : INT64_MAX;
	default:
		return (int64_t)e->used;
	}
}

static int cmp_expect(const void *pa, const void *pb)
{
	const struct expect *a = pa, *b = pb;
	int64_t ka, kb;
	int c;

	if (want_sort == DB_SORT_NAME)
		c = strcmp(a->name, b->name);
	else {
		ka = want_key(a);
		kb = want_key(b);
		c = ka < kb ? -1 : ka > kb;
	}
	if (!c)
		c = a->id < b->id ? -1 : a->id > b->id;
	return want_desc ? -c : c;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fill_10k(struct db *db, int64_t group)
{
	struct db_user u;
	struct db_device d;
	char addr[48];
	int64_t id, phone, laptop;
	unsigned int i;

	assert_int_equal(db_begin(db), 0);
	for (i = 0; i < N_USERS; i++) {
		struct expect *e = &want[i];

		make_user(&u, "");
		/* names in another order than ids; keys with many ties */
		snprintf(u.name, sizeof(u.name), "u%05u", (i * 7919) % N_USERS);
		u.created = 1000 + i % 13;
		u.expires = i % 3 == 0 ? 0 : 2000000000 + (int64_t)(i % 17) * 3600;
		u.disabled = i % 10 == 0 ? DB_DISABLED_ADMIN : i % 10 == 1 ? DB_DISABLED_QUOTA
									      : DB_ENABLED;
		u.group_id = i % 4 == 0 ? group : 0;
		if (i % 100 == 7)
			snprintf(u.email, sizeof(u.email), "person%u@example.net", i);
		assert_int_equal(db_user_add(db, &u, &id), 0);
		make_device(&d, id, "phone", 2 * i + 1);
		assert_int_equal(db_device_add(db, &d, NULL, &phone), 0);
		make_device(&d, id, "laptop", 2 * i + 2);
		assert_int_equal(db_device_add(db, &d, NULL, &laptop), 0);
		snprintf(addr, sizeof(addr), "10.%u.%u.%u", 1 + i / 65536 * 2, (i >> 8) & 255, i & 255);
		add_addr(db, phone, addr, 0);
		snprintf(addr, sizeof(addr), "fd09::1:%x", i);
		add_addr(db, phone, addr, 0);
		snprintf(addr, sizeof(addr), "10.%u.%u.%u", 2 + i / 65536 * 2, (i >> 8) & 255, i & 255);
		add_addr(db, laptop, addr, 0);
		snprintf(addr, sizeof(addr), "fd09::2:%x", i);
		add_addr(db, laptop, addr, 0);
		snprintf(addr, sizeof(addr), "198.51.%u.%u:%u", i / 250, i % 250, 1024 + i);
		assert_int_equal(db_device_set_endpoint(db, phone, addr), 0);
		assert_int_equal(db_counters_add(db, phone, id, (i % 23) * 1000, i % 5, 0, 0), 0);

		e->id = id;
		snprintf(e->name, sizeof(e->name), "%s", u.name);
		e->created = u.created;
		e->expires = u.expires;
		e->used = (i % 23) * 1000 + i % 5;
		e->state = (int)u.disabled;
		e->group = u.group_id ? u.group_id : DB_GROUP_DEFAULT;
		snprintf(e->text, sizeof(e->text), "%s|%s|phone|laptop|%s|10.%u.%u.%u|fd09::1:%x|"
			 "10.%u.%u.%u|fd09::2:%x", u.name, u.email, addr, 1 + i / 65536 * 2,
			 (i >> 8) & 255, i & 255, i, 2 + i / 65536 * 2, (i >> 8) & 255, i & 255, i);
	}
	assert_int_equal(db_commit(db), 0);
}

/* The expected page order of q (its filter, sort, direction), by brute force. */
static size_t expected(const struct db_user_query *q, int64_t *ids)
{
	struct expect *sorted = calloc(N_USERS, sizeof(*sorted));
	size_t i, n = 0;

	for (i = 0; i < N_USERS; i++) {
		if (q->state >= 0 && want[i].state != q->state)
			continue;
		if (q->group_id && want[i].group != q->group_id)
			continue;
		if (q->q && q->q[0] && !strcasestr(want[i].text, q->q))
			continue;
		sorted[n++] = want[i];
	}
	want_sort = q->sort;
	want_desc = q->desc;
	qsort(sorted, n, sizeof(*sorted), cmp_expect);
	for (i = 0; i < n; i++)
		ids[i] = sorted[i].id;
	free(sorted);
	return n;
}

static void check_pages(struct db *db, const struct db_user_query *q, struct page_seen *seen)
{
	int64_t *ids = calloc(N_USERS, sizeof(*ids));
	size_t n = expected(q, ids), i;

	page_all(db, *q, seen, n);
	assert_int_equal(seen->n, n);
	for (i = 0; i < n; i++)
		if (seen->ids[i] != ids[i])
			fail_msg("sort %d desc %d q \"%s\" state %d group %lld: row %zu is %lld,"
				 " expected %lld", (int)q->sort, q->desc, q->q ? q->q : "", q->state,
				 (long long)q->group_id, i, (long long)seen->ids[i], (long long)ids[i]);
	free(ids);
}

static int nothing(const struct db_user *u, void *arg)
{
	(void)u;
	(void)arg;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median time of one page of 50 (with its total) over 21 runs, in ms: the machine
 * may be shared, and the median does not count the runs someone else slowed. */
static double time_page(struct db *db, struct db_user_query q)
{
	char next[DB_CURSOR_MAX + 1];
	double t[21], t0;
	uint64_t total;
	size_t i;

	q.limit = 50;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		t0 = now_s();
		assert_int_equal(db_user_query(db, &q, nothing, NULL, &total, next), 0);
		t[i] = (now_s() - t0) * 1e3;
	}
	qsort(t, ARRAY_SIZE(t), sizeof(t[0]), cmp_double);
	return t[ARRAY_SIZE(t) / 2];
}

static void test_10k(void **state)
{
	struct fixture *f = *state;
	struct page_seen seen = { .cap = N_USERS, .ids = calloc(N_USERS, sizeof(int64_t)) };
	struct db_user_query q = { .state = -1, .limit = 173 };
	char mid[DB_CURSOR_MAX + 1];
	double t0, t_fill, t_first, t_deep, t_sel, t_addr, t_all, t_state;
	uint64_t states[4], total;
	int64_t group;
	int sort, desc;
	size_t pages;

	want = calloc(N_USERS, sizeof(*want));
	assert_int_equal(db_group_add(f->db, "staff", &group), 0);
	t0 = now_s();
	fill_10k(f->db, group);
	t_fill = now_s() - t0;
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM devices"), 2 * N_USERS);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM addresses"), 4 * N_USERS);

	/* every order, both directions: every user exactly once, in order, total right */
	for (sort = DB_SORT_NAME; sort <= DB_SORT_USED; sort++)
		for (desc = 0; desc <= 1; desc++) {
			q.sort = (enum db_user_sort)sort;
			q.desc = desc;
			check_pages(f->db, &q, &seen);
		}
	/* the largest pages */
	q.limit = DB_PAGE_MAX;
	q.sort = DB_SORT_EXPIRES;
	pages = page_all(f->db, q, &seen, N_USERS);
	assert_int_equal(pages, N_USERS / DB_PAGE_MAX);
	/* filtered and searched pages */
	q.limit = 37;
	q.state = DB_DISABLED_QUOTA;
	q.sort = DB_SORT_USED;
	q.desc = true;
	check_pages(f->db, &q, &seen);
	q.state = -1;
	q.group_id = group;
	q.sort = DB_SORT_CREATED;
	check_pages(f->db, &q, &seen);
	q.group_id = 0;
	q.q = "U0012";                  /* names u00120..u00129 */
	q.sort = DB_SORT_NAME;
	check_pages(f->db, &q, &seen);
	assert_int_equal(seen.n, 10);
	q.q = "198.51.7.";              /* endpoints */
	q.sort = DB_SORT_EXPIRES;
	q.desc = false;
	check_pages(f->db, &q, &seen);
	assert_int_equal(seen.n, 250);
	q.q = "fd09::2:ab";             /* addresses */
	check_pages(f->db, &q, &seen);
	q.q = "@example";               /* emails */
	q.state = DB_ENABLED;
	check_pages(f->db, &q, &seen);
	q.q = NULL;
	q.state = -1;

	assert_int_equal(db_user_count_states(f->db, states), 0);
	assert_int_equal(states[DB_ENABLED], 8000);
	assert_int_equal(states[DB_DISABLED_QUOTA], 1000);
	assert_int_equal(states[DB_DISABLED_ADMIN], 1000);

	/* a cursor from the middle, for a deep page */
	q.sort = DB_SORT_USED;
	q.desc = true;
	q.limit = DB_PAGE_MAX;
	{
		char next[DB_CURSOR_MAX + 1] = "";
		int i;

		q.cursor = NULL;
		for (i = 0; i < 10; i++) {
			seen.n = 0;
			assert_int_equal(db_user_query(f->db, &q, collect_page, &seen, &total, next), 0);
			strcpy(mid, next);
			q.cursor = mid;
		}
	}

	/* the figure: one page of 50 with its total, a warm cache */
	q.cursor = NULL;
	q.sort = DB_SORT_NAME;
	q.desc = false;
	t_first = time_page(f->db, q);
	q.cursor = mid;
	q.sort = DB_SORT_USED;
	q.desc = true;
	t_deep = time_page(f->db, q);
	q.cursor = NULL;
	q.state = DB_DISABLED_QUOTA;
	q.sort = DB_SORT_EXPIRES;
	t_state = time_page(f->db, q);
	q.state = -1;
	q.sort = DB_SORT_NAME;
	q.q = "u0421";
	t_sel = time_page(f->db, q);
	q.q = "10.2.3";                 /* reads the addresses too */
	t_addr = time_page(f->db, q);
	q.q = "laptop";                 /* every user has one: the most a search can match */
	t_all = time_page(f->db, q);
	print_message("10,000 users, 20,000 devices, 40,000 addresses: filled in %.0f ms; one page"
		      " of 50 with its total: first %.2f ms, deep (by use, desc) %.2f ms, by state"
		      " %.2f ms; search \"u0421\" %.2f ms, \"10.2.3\" %.2f ms, \"laptop\" (matches"
		      " all) %.2f ms\n", t_fill * 1e3, t_first, t_deep, t_state, t_sel, t_addr, t_all);
	free(seen.ids);
	free(want);
	want = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_and_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cascade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_traffic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v3, setup_empty, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v3_fails_whole, setup_empty, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v5, setup_empty, teardown),
		cmocka_unit_test_setup_teardown(test_group_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_10k, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
