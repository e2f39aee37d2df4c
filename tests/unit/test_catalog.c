/* Announcements and the services catalog in storage (server/db/announce.c, service.c) on
 * real SQLite files: feeds by audience and end, pinned first; read marks and what removes
 * them; keyset pages; a service's groups written whole or not at all; a group a service
 * names stays. And the operations' parsing of their requests (server/api/). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "server/api/api.h"
#include "server/db/db.h"

struct fixture {
	char dir[64];
	char path[96];
	struct db *db;
	int64_t staff, alice, bob;     /* alice in staff, bob in default */
};

static int64_t add_user(struct db *db, const char *name, int64_t group)
{
	struct db_user u = { 0 };
	int64_t id = 0;

	snprintf(u.name, sizeof(u.name), "%s", name);
	u.group_id = group;
	assert_int_equal(db_user_add(db, &u, &id), 0);
	return id;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/warren-test-catalog-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/warren.db", f->dir);
	if (db_open(f->path, &f->db) < 0)
		return -1;
	if (db_group_add(f->db, "staff", &f->staff) < 0)
		return -1;
	f->alice = add_user(f->db, "alice", f->staff);
	f->bob = add_user(f->db, "bob", DB_GROUP_DEFAULT);
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

static int64_t announce(struct db *db, const char *title, int64_t group, bool pinned,
			int64_t until, int64_t created)
{
	struct db_announcement a = { 0 };
	int64_t id = 0;

	snprintf(a.title, sizeof(a.title), "%s", title);
	a.text = (char *)"text";
	a.group_id = group;
	a.pinned = pinned;
	a.until = until;
	a.created = created;
	snprintf(a.author, sizeof(a.author), "socket");
	assert_int_equal(db_announcement_add(db, &a, &id), 0);
	return id;
}

/* "id:read ..." of a feed */
struct text {
	char s[512];
};

static int feed_row(const struct db_announcement *a, void *arg)
{
	struct text *t = arg;
	size_t n = strlen(t->s);

	snprintf(t->s + n, sizeof(t->s) - n, "%s%s:%d", n ? " " : "", a->title, a->read);
	return 0;
}

static const char *feed(struct fixture *f, int64_t user, int64_t group, int64_t now,
			uint64_t *total, uint64_t *unread, struct text *t)
{
	struct db_feed fd = { user, group, now, DB_PAGE_MAX };

	t->s[0] = '\0';
	assert_int_equal(db_announcement_feed(f->db, &fd, feed_row, t, total, unread), 0);
	return t->s;
}

static void test_feed(void **state)
{
	struct fixture *f = *state;
	struct db_feed fa = { f->alice, f->staff, 2000, 1 }, fb = { f->bob, DB_GROUP_DEFAULT, 2000, 1 };
	struct db_announcement a;
	uint64_t total, unread;
	struct text t;
	int64_t old, team, pin, ended, later;
	bool added;

	old = announce(f->db, "old", 0, false, 0, 1000);
	team = announce(f->db, "team", f->staff, false, 0, 1100);
	pin = announce(f->db, "pin", 0, true, 0, 900);
	ended = announce(f->db, "ended", 0, false, 1500, 1200);
	later = announce(f->db, "later", 0, false, 3000, 1300);
	/* pinned first, then newest; the ended one gone; the group's only for its users */
	assert_string_equal(feed(f, f->alice, f->staff, 2000, &total, &unread, &t),
			    "pin:0 later:0 team:0 old:0");
	assert_int_equal(total, 4);
	assert_int_equal(unread, 4);
	assert_string_equal(feed(f, f->bob, DB_GROUP_DEFAULT, 2000, &total, &unread, &t),
			    "pin:0 later:0 old:0");
	/* before its end it was there; at its end it is not */
	assert_string_equal(feed(f, f->bob, DB_GROUP_DEFAULT, 1499, NULL, NULL, &t),
			    "pin:0 later:0 ended:0 old:0");
	assert_string_equal(feed(f, f->bob, DB_GROUP_DEFAULT, 3000, NULL, NULL, &t), "pin:0 old:0");

	/* read marks: once, only for what the feed has */
	assert_int_equal(db_announcement_read(f->db, &fa, team, &added), 0);
	assert_true(added);
	assert_int_equal(db_announcement_read(f->db, &fa, team, &added), 0);
	assert_false(added);
	assert_int_equal(db_announcement_read(f->db, &fb, team, &added), -ENOENT);
	assert_int_equal(db_announcement_read(f->db, &fb, ended, NULL), -ENOENT);
	assert_int_equal(db_announcement_read(f->db, &fb, 9999, NULL), -ENOENT);
	assert_int_equal(db_announcement_read(f->db, &fb, old, NULL), 0);
	assert_string_equal(feed(f, f->alice, f->staff, 2000, &total, &unread, &t),
			    "pin:0 later:0 team:1 old:0");
	assert_int_equal(unread, 3);
	assert_int_equal(db_announcement_count(f->db, &fb, &total, &unread), 0);
	assert_int_equal(total, 3);
	assert_int_equal(unread, 2);
	assert_int_equal(db_announcement_get(f->db, old, &a), 0);
	assert_int_equal(a.reads, 1);
	assert_string_equal(a.text, "text");
	assert_string_equal(a.author, "socket");
	db_announcement_clear(&a);

	/* audience moved: bob sees it, alice's read mark stays with it */
	assert_int_equal(db_announcement_get(f->db, team, &a), 0);
	a.group_id = 0;
	a.updated = 5000;
	assert_int_equal(db_announcement_update(f->db, &a), 0);
	db_announcement_clear(&a);
	assert_int_equal(db_announcement_get(f->db, team, &a), 0);
	assert_int_equal(a.group_id, 0);
	assert_int_equal(a.updated, 5000);
	assert_int_equal(a.created, 1100);
	assert_int_equal(a.reads, 1);
	a.group_id = 77;
	assert_int_equal(db_announcement_update(f->db, &a), -ENOENT);
	db_announcement_clear(&a);
	assert_string_equal(feed(f, f->bob, DB_GROUP_DEFAULT, 2000, NULL, NULL, &t),
			    "pin:0 later:0 team:0 old:1");

	/* a deletion takes its marks; a user's deletion takes the user's */
	assert_int_equal(db_announcement_delete(f->db, team), 0);
	assert_int_equal(db_announcement_delete(f->db, team), -ENOENT);
	assert_int_equal(db_announcement_get(f->db, team, &a), -ENOENT);
	assert_null(a.text);
	assert_int_equal(db_user_delete(f->db, f->bob), 0);
	assert_int_equal(db_announcement_get(f->db, old, &a), 0);
	assert_int_equal(a.reads, 0);
	db_announcement_clear(&a);
	(void)pin;
	(void)later;
}

static void test_bad_announcements(void **state)
{
	struct fixture *f = *state;
	struct db_announcement a = { 0 };
	int64_t id;

	snprintf(a.author, sizeof(a.author), "socket");
	a.text = (char *)"x";
	assert_int_equal(db_announcement_add(f->db, &a, &id), -EINVAL);      /* no title */
	snprintf(a.title, sizeof(a.title), "t");
	a.text = (char *)"";
	assert_int_equal(db_announcement_add(f->db, &a, &id), -EINVAL);      /* no text */
	a.text = (char *)"x";
	a.group_id = 4242;
	assert_int_equal(db_announcement_add(f->db, &a, &id), -ENOENT);      /* no such group */
	a.group_id = 0;
	a.author[0] = '\0';
	assert_int_equal(db_announcement_add(f->db, &a, &id), -EINVAL);
}

static void test_group_delete(void **state)
{
	struct fixture *f = *state;
	struct db_feed fa = { f->alice, 0, 2000, 1 };
	struct db_announcement a;
	struct db_service sv = { 0 };
	int64_t temp, id;

	assert_int_equal(db_group_add(f->db, "temp", &temp), 0);
	id = announce(f->db, "for temp", temp, false, 0, 1000);
	fa.group_id = temp;
	assert_int_equal(db_announcement_read(f->db, &fa, id, NULL), 0);
	/* the group's announcements and their read marks go with it */
	assert_int_equal(db_group_delete(f->db, temp), 0);
	assert_int_equal(db_announcement_get(f->db, id, &a), -ENOENT);
	assert_int_equal(db_announcement_read(f->db, &fa, id, NULL), -ENOENT);

	/* a group a service names stays */
	assert_int_equal(db_group_add(f->db, "lab", &temp), 0);
	snprintf(sv.name, sizeof(sv.name), "printer");
	snprintf(sv.address, sizeof(sv.address), "10.0.0.7:631");
	sv.groups[sv.n_groups++] = temp;
	assert_int_equal(db_service_add(f->db, &sv, &sv.id), 0);
	assert_int_equal(db_group_delete(f->db, temp), -EBUSY);
	assert_string_equal(db_errmsg(f->db), "is named by services (change their groups first)");
	sv.n_groups = 0;
	assert_int_equal(db_service_update(f->db, &sv), 0);
	assert_int_equal(db_group_delete(f->db, temp), 0);
	assert_int_equal(db_group_delete(f->db, f->staff), -EBUSY);
	assert_string_equal(db_errmsg(f->db), "still has users");
}

static int count_row(const struct db_announcement *a, void *arg)
{
	(void)a;
	(*(size_t *)arg)++;
	return 0;
}

static void test_announcement_pages(void **state)
{
	struct fixture *f = *state;
	struct db_announcement_query q = { 7, NULL };
	char next[DB_CURSOR_MAX + 1] = "", cursor[DB_CURSOR_MAX + 1];
	uint64_t total = 0;
	size_t n = 0, pages = 0, i;

	for (i = 0; i < 30; i++)
		announce(f->db, "a", i % 2 ? f->staff : 0, false, 0, 1000);
	do {
		size_t before = n;

		q.cursor = next[0] ? strcpy(cursor, next) : NULL;
		assert_int_equal(db_announcement_query(f->db, &q, count_row, &n, &total, next), 0);
		assert_true(n - before <= 7);
		pages++;
	} while (next[0]);
	assert_int_equal(n, 30);
	assert_int_equal(total, 30);
	assert_int_equal(pages, 5);
	q.cursor = "AAAA";
	assert_int_equal(db_announcement_query(f->db, &q, count_row, &n, &total, next), -EINVAL);
	q.cursor = NULL;
	q.limit = 0;
	assert_int_equal(db_announcement_query(f->db, &q, count_row, &n, &total, next), -EINVAL);
}

/* "name[groups]" of services */
static int service_row(const struct db_service *sv, void *arg)
{
	struct text *t = arg;
	size_t n = strlen(t->s), i;

	n += (size_t)snprintf(t->s + n, sizeof(t->s) - n, "%s%s[", n ? " " : "", sv->name);
	for (i = 0; i < sv->n_groups; i++)
		n += (size_t)snprintf(t->s + n, sizeof(t->s) - n, "%s%lld", i ? "," : "",
				      (long long)sv->groups[i]);
	snprintf(t->s + n, sizeof(t->s) - n, "]");
	return 0;
}

static void add_service(struct db *db, const char *name, const int64_t *groups, size_t n)
{
	struct db_service sv = { 0 };

	snprintf(sv.name, sizeof(sv.name), "%s", name);
	snprintf(sv.address, sizeof(sv.address), "%s.internal:443", name);
	if (n)
		memcpy(sv.groups, groups, n * sizeof(*groups));
	sv.n_groups = n;
	assert_int_equal(db_service_add(db, &sv, NULL), 0);
}

static void test_services(void **state)
{
	struct fixture *f = *state;
	int64_t both[] = { f->staff, DB_GROUP_DEFAULT }, staff[] = { f->staff }, bad[] = { 1, 999 };
	struct db_service_query q = { 2, NULL };
	char next[DB_CURSOR_MAX + 1] = "", cursor[DB_CURSOR_MAX + 1];
	struct db_service sv = { 0 };
	uint64_t total;
	struct text t = { "" };

	add_service(f->db, "wiki", NULL, 0);
	add_service(f->db, "git", staff, 1);
	add_service(f->db, "mail", both, 2);
	/* all or nothing: a group that does not exist leaves no service behind */
	snprintf(sv.name, sizeof(sv.name), "broken");
	snprintf(sv.address, sizeof(sv.address), "x:1");
	memcpy(sv.groups, bad, sizeof(bad));
	sv.n_groups = 2;
	assert_int_equal(db_service_add(f->db, &sv, NULL), -ENOENT);
	assert_int_equal(db_service_get_by_name(f->db, "broken", &sv), -ENOENT);
	/* and inside a caller's transaction */
	assert_int_equal(db_begin(f->db), 0);
	snprintf(sv.name, sizeof(sv.name), "broken");
	snprintf(sv.address, sizeof(sv.address), "x:1");
	memcpy(sv.groups, bad, sizeof(bad));
	sv.n_groups = 2;
	assert_int_equal(db_service_add(f->db, &sv, NULL), -ENOENT);
	add_service(f->db, "inside", NULL, 0);
	assert_int_equal(db_commit(f->db), 0);
	assert_int_equal(db_service_get_by_name(f->db, "broken", &sv), -ENOENT);
	assert_int_equal(db_service_get_by_name(f->db, "inside", &sv), 0);
	assert_int_equal(db_service_delete(f->db, sv.id), 0);
	assert_int_equal(db_service_delete(f->db, sv.id), -ENOENT);
	add_service(f->db, "dup", NULL, 0);
	snprintf(sv.name, sizeof(sv.name), "dup");
	sv.n_groups = 0;
	assert_int_equal(db_service_add(f->db, &sv, NULL), -EEXIST);
	assert_int_equal(db_service_get_by_name(f->db, "dup", &sv), 0);
	assert_int_equal(db_service_delete(f->db, sv.id), 0);

	assert_int_equal(db_service_list_group(f->db, f->staff, service_row, &t), 0);
	assert_string_equal(t.s, "git[2] mail[1,2] wiki[]");
	t.s[0] = '\0';
	assert_int_equal(db_service_list_group(f->db, DB_GROUP_DEFAULT, service_row, &t), 0);
	assert_string_equal(t.s, "mail[1,2] wiki[]");

	/* an update replaces the groups whole, or leaves them */
	assert_int_equal(db_service_get_by_name(f->db, "mail", &sv), 0);
	memcpy(sv.groups, bad, sizeof(bad));
	sv.n_groups = 2;
	snprintf(sv.description, sizeof(sv.description), "changed");
	assert_int_equal(db_service_update(f->db, &sv), -ENOENT);
	assert_int_equal(db_service_get_by_name(f->db, "mail", &sv), 0);
	assert_int_equal(sv.n_groups, 2);
	assert_string_equal(sv.description, "");
	sv.groups[0] = f->staff;
	sv.n_groups = 1;
	assert_int_equal(db_service_update(f->db, &sv), 0);
	t.s[0] = '\0';
	assert_int_equal(db_service_list_group(f->db, DB_GROUP_DEFAULT, service_row, &t), 0);
	assert_string_equal(t.s, "wiki[]");

	/* pages by name */
	t.s[0] = '\0';
	assert_int_equal(db_service_query(f->db, &q, service_row, &t, &total, next), 0);
	assert_string_equal(t.s, "git[2] mail[2]");
	assert_int_equal(total, 3);
	q.cursor = strcpy(cursor, next);
	assert_int_equal(db_service_query(f->db, &q, service_row, &t, &total, next), 0);
	assert_string_equal(t.s, "git[2] mail[2] wiki[]");
	assert_string_equal(next, "");
}

/* ---- at scale: figures, not limits ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int nothing(const struct db_announcement *a, void *arg)
{
	(void)a;
	(*(size_t *)arg)++;
	return 0;
}

/* 10,000 users in 10 groups, 500 announcements (half for everyone, 25 for each group),
 * every user has read 20: what one feed, one unread count, one user's read marks in its
 * feed (the event streams' cost per user told) and one page of the admins' list take. */
static void test_scale(void **state)
{
	struct fixture *f = *state;
	int64_t groups[10], users[10000], ids[500], total_reads = 0;
	struct db_announcement_query q = { 50, NULL };
	uint64_t total = 0, unread = 0;
	double t0, t_fill, t_feed, t_count, t_read, t_page;
	char name[32], next[DB_CURSOR_MAX + 1];
	size_t i, k, n = 0;
	struct db_feed fd;

	t0 = now_s();
	assert_int_equal(db_begin(f->db), 0);
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "g%zu", i);
		assert_int_equal(db_group_add(f->db, name, &groups[i]), 0);
	}
	for (i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "u%05zu", i);
		users[i] = add_user(f->db, name, groups[i % 10]);
	}
	for (i = 0; i < 500; i++)
		ids[i] = announce(f->db, "news", i % 2 ? groups[(i / 2) % 10] : 0, i % 50 == 0, 0,
				  1000 + (int64_t)i);
	for (i = 0; i < 10000; i++) {
		struct db_feed r = { users[i], groups[i % 10], 2000, 1 };

		for (k = 0; k < 20; k++)
			if (db_announcement_read(f->db, &r, ids[(i + k * 2) % 500 & ~(size_t)1], NULL) == 0)
				total_reads++;
	}
	assert_int_equal(db_commit(f->db), 0);
	t_fill = now_s() - t0;

	fd = (struct db_feed){ users[4321], groups[1], 2000, DB_PAGE_MAX };
	t0 = now_s();
	for (i = 0; i < 20; i++) {
		n = 0;
		assert_int_equal(db_announcement_feed(f->db, &fd, nothing, &n, &total, &unread), 0);
	}
	t_feed = (now_s() - t0) / 20;
	assert_int_equal(n, 275);
	assert_int_equal(total, 275);
	assert_true(unread < total);
	t0 = now_s();
	for (i = 0; i < 1000; i++) {
		fd.user_id = users[i * 10 + 1];
		assert_int_equal(db_announcement_count(f->db, &fd, NULL, &unread), 0);
	}
	t_count = (now_s() - t0) / 1000;
	t0 = now_s();
	for (i = 0; i < 1000; i++) {
		uint64_t read = 0;

		fd.user_id = users[i * 10 + 1];
		assert_int_equal(db_announcement_read_count(f->db, &fd, &read), 0);
		assert_int_equal(read, 20);
	}
	t_read = (now_s() - t0) / 1000;
	t0 = now_s();
	for (i = 0; i < 20; i++) {
		n = 0;
		assert_int_equal(db_announcement_query(f->db, &q, nothing, &n, &total, next), 0);
	}
	t_page = (now_s() - t0) / 20;
	assert_int_equal(n, 50);
	assert_int_equal(total, 500);
	print_message("10,000 users, 500 announcements, %lld read marks: filled in %.0f ms; one feed (275 items with counts) %.2f ms, one unread count %.3f ms (of which the user's own marks %.3f ms: the event streams' cost per user told), a page of 50 for the admins %.2f ms\n",
		      (long long)total_reads, t_fill * 1e3, t_feed * 1e3, t_count * 1e3, t_read * 1e3,
		      t_page * 1e3);
}

/* ---- the operations' requests ---- */

static int parse(const char *method, const char *path, const char *query, const char *body,
		 char *why, size_t whylen)
{
	char params[API_MAX_PARAMS][DB_NAME_MAX * 3 + 1], allow[64];
	struct json_value *in = NULL;
	const struct api_op *op;
	size_t n = 0;
	int status, r;
	void *req;

	op = api_route(method, path, params, &n, &status, allow, sizeof(allow));
	assert_non_null(op);
	why[0] = '\0';
	r = api_input(op, params, n, query, body, body ? strlen(body) : 0, &in, why, whylen);
	if (r < 0)
		return r;
	req = calloc(1, op->req_size);
	r = api_parse(op, in, req, why, whylen);
	if (r == 0)
		api_req_clear(op, req);
	free(req);
	json_value_free(in);
	return r;
}

#define REFUSED(method, path, query, body, want) do { \
	char why_[256]; \
	assert_int_equal(parse(method, path, query, body, why_, sizeof(why_)), -22); \
	assert_string_equal(why_, want); \
} while (0)
#define ACCEPTED(method, path, query, body) do { \
	char why_[256]; \
	if (parse(method, path, query, body, why_, sizeof(why_)) != 0) \
		fail_msg("refused: %s", why_); \
} while (0)

static void test_requests(void **state)
{
	char title[260];

	(void)state;
	ACCEPTED("POST", "/api/v1/announcements", NULL,
		 "{\"title\":\"Maintenance\",\"text\":\"a\\nb\\tc\",\"group\":\"staff\",\"pinned\":true,\"until\":\"2027-01-31\"}");
	ACCEPTED("POST", "/api/v1/announcements", NULL, "{\"title\":\"t\",\"text\":\"x\",\"group\":null,\"until\":null}");
	ACCEPTED("PATCH", "/api/v1/announcements/12", NULL, "{\"group\":null,\"until\":null}");
	ACCEPTED("GET", "/api/v1/announcements", "limit=10", NULL);
	ACCEPTED("POST", "/api/v1/me/announcements/3/read", NULL, NULL);
	REFUSED("POST", "/api/v1/announcements", NULL, "{\"text\":\"x\"}", "title: missing");
	REFUSED("POST", "/api/v1/announcements", NULL, "{\"title\":\"\",\"text\":\"x\"}", "title: empty");
	REFUSED("POST", "/api/v1/announcements", NULL, "{\"title\":\" \",\"text\":\"x\"}", "title: empty");
	REFUSED("POST", "/api/v1/announcements", NULL, "{\"title\":\"t\",\"text\":\"\\n\"}", "text: empty");
	REFUSED("POST", "/api/v1/announcements", NULL, "{\"title\":\"a\\nb\",\"text\":\"x\"}",
		"title: control characters are not allowed");
	memset(title, 'x', 201);
	title[201] = '\0';
	{
		char body[400];

		snprintf(body, sizeof(body), "{\"title\":\"%s\",\"text\":\"x\"}", title);
		REFUSED("POST", "/api/v1/announcements", NULL, body, "title: longer than 200 characters");
		title[200] = '\0';
		snprintf(body, sizeof(body), "{\"title\":\"%s\",\"text\":\"x\"}", title);
		ACCEPTED("POST", "/api/v1/announcements", NULL, body);
	}
	REFUSED("POST", "/api/v1/announcements", NULL, "{\"title\":\"t\",\"text\":\"x\",\"until\":\"soon\"}",
		"until: date \"soon\": expected YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]");
	REFUSED("POST", "/api/v1/announcements", NULL, "{\"title\":\"t\",\"text\":\"x\",\"pinned\":null}",
		"pinned: null is not allowed");
	REFUSED("PATCH", "/api/v1/announcements/12", NULL, "{}",
		"nothing to change (title, text, group, pinned, until)");
	REFUSED("PATCH", "/api/v1/announcements/x", NULL, "{\"pinned\":true}", "id: expected a whole number");
	REFUSED("GET", "/api/v1/announcements/-1", NULL, NULL, "id: expected a whole number");
	REFUSED("GET", "/api/v1/announcements/0", NULL, NULL, "id: 0 is out of range (1..9223372036854775807)");
	REFUSED("GET", "/api/v1/announcements/99999999999999999999", NULL, NULL, "id: expected a whole number");
	REFUSED("GET", "/api/v1/me/announcements", "unread=1", NULL, "unread: unknown field");

	ACCEPTED("POST", "/api/v1/services", NULL,
		 "{\"name\":\"wiki\",\"address\":\"https://wiki.example.net/a?b=c#d\",\"groups\":[\"staff\"]}");
	ACCEPTED("POST", "/api/v1/services", NULL, "{\"name\":\"git\",\"address\":\"git.internal:22\"}");
	ACCEPTED("POST", "/api/v1/services", NULL, "{\"name\":\"v6\",\"address\":\"[fd00::1]:443\"}");
	ACCEPTED("POST", "/api/v1/services", NULL, "{\"name\":\"u6\",\"address\":\"http://[fd00::1]/\"}");
	ACCEPTED("POST", "/api/v1/services", NULL, "{\"name\":\"ip\",\"address\":\"10.0.0.1:8080\"}");
	ACCEPTED("PATCH", "/api/v1/services/wiki", NULL, "{\"groups\":null}");
	ACCEPTED("PATCH", "/api/v1/services/wiki", NULL, "{\"groups\":[]}");
	REFUSED("POST", "/api/v1/services", NULL, "{\"name\":\"x\",\"address\":\"x\"}",
		"address \"x\": expected HOST:PORT or an http:// or https:// URL");
	REFUSED("POST", "/api/v1/services", NULL, "{\"name\":\"x\",\"address\":\"fd00::1:443\"}",
		"address \"fd00::1:443\": expected HOST:PORT or an http:// or https:// URL");
	REFUSED("POST", "/api/v1/services", NULL, "{\"name\":\"x\",\"address\":\"https://x/a b\"}",
		"address \"https://x/a b\": expected HOST:PORT or an http:// or https:// URL");
	REFUSED("POST", "/api/v1/services", NULL, "{\"name\":\"x\",\"address\":\"x:99999\"}",
		"address \"x:99999\": expected HOST:PORT or an http:// or https:// URL");
	REFUSED("POST", "/api/v1/services", NULL, "{\"name\":\"x\",\"address\":\"x:1\",\"groups\":[\"Bad\"]}",
		"groups \"Bad\": only a-z, 0-9, '.', '_' and '-' are allowed");
	REFUSED("POST", "/api/v1/services", NULL, "{\"address\":\"x:1\"}", "service name: missing");
	REFUSED("PATCH", "/api/v1/services/wiki", NULL, "{}",
		"nothing to change (address, description, groups)");
	REFUSED("GET", "/api/v1/me/resources", "ports=1", NULL, "ports: unknown field");
}

static void test_roles(void **state)
{
	struct api_caller viewer = { .kind = API_CALLER_ADMIN, .role = DB_ROLE_VIEWER };
	struct api_caller user = { .kind = API_CALLER_USER };
	char why[64];

	(void)state;
	assert_int_equal(api_allowed(api_find("announcement.list"), &viewer, why, sizeof(why)), 0);
	assert_int_equal(api_allowed(api_find("announcement.add"), &viewer, why, sizeof(why)), 403);
	assert_int_equal(api_allowed(api_find("service.set"), &viewer, why, sizeof(why)), 403);
	assert_int_equal(api_allowed(api_find("announcement.list"), &user, why, sizeof(why)), 403);
	assert_int_equal(api_allowed(api_find("me.announcements"), &user, why, sizeof(why)), 0);
	assert_int_equal(api_allowed(api_find("me.announcements"), &viewer, why, sizeof(why)), 403);
	assert_int_equal(api_allowed(api_find("me.resources"), &user, why, sizeof(why)), 0);
	assert_true(api_find("me.announcement.read")->flags & API_CHANGES);   /* CSRF */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_feed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_announcements, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_announcement_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_services, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scale, setup, teardown),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_roles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
