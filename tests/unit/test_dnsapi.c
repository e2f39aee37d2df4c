/* The resolver's operations run as the socket, the console and the portal call them, on a
 * real database: the rows after each write, the audit, refusals naming the field with
 * nothing written, who may call what, the log's and the statistics' answers, and a
 * user's own /me/dns. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/json.h"
#include "profiles/model.h"
#include "server/account.h"
#include "server/api/api.h"
#include "server/db/db.h"
#include "server/server.h"

static struct server S;
static char dir[64], dbpath[96];
static int64_t alice_id, phone_id, staff_id;

struct answer {
	int status;
	char error[256];
	struct json_value *doc;
};

static void on_done(struct api_call *c)
{
	struct answer *a = c->data;

	a->status = c->status;
	snprintf(a->error, sizeof(a->error), "%s", c->error);
	a->doc = NULL;
	if (c->status < 400 && json_len(c->reply))
		json_parse(json_text(c->reply), json_len(c->reply), &a->doc, NULL, NULL);
}

/* Run op for who with request (JSON): the status; *a keeps the answer (free its doc).
 * A refusal before the operation (api_allowed, the parser) answers as the HTTP side
 * would: its status and why. */
static int run_as(const struct api_caller *who, const char *op_name, const char *request,
		  struct answer *a)
{
	const struct api_op *op = api_find(op_name);
	struct json_value *in = NULL;
	struct api_call *c;
	int r;

	assert_non_null(op);
	memset(a, 0, sizeof(*a));
	r = api_allowed(op, who, a->error, sizeof(a->error));
	if (r)
		return a->status = r;
	assert_int_equal(json_parse(request, strlen(request), &in, NULL, NULL), 0);
	c = api_call_new(&S, op, who, on_done, a);
	r = api_parse(op, in, c->req, a->error, sizeof(a->error));
	json_value_free(in);
	if (r < 0) {
		api_call_free(c);
		return a->status = 400;
	}
	api_run(c);
	return a->status;
}

static const struct api_caller root = { .kind = API_CALLER_SOCKET, .role = DB_ROLE_ADMIN,
					.source = "socket" };
static const struct api_caller admin = { .kind = API_CALLER_TOKEN, .role = DB_ROLE_ADMIN,
					 .id = 1, .name = "ops", .source = "192.0.2.1" };
static const struct api_caller viewer = { .kind = API_CALLER_TOKEN, .role = DB_ROLE_VIEWER,
					  .id = 2, .name = "peek", .source = "192.0.2.1" };

static int run(const char *op, const char *request, struct answer *a)
{
	return run_as(&root, op, request, a);
}

/* One number from the database, read on a connection of its own: what is committed. */
static int64_t count(const char *sql)
{
	sqlite3 *sq = NULL;
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	assert_int_equal(sqlite3_open_v2(dbpath, &sq, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(sq, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(sq));
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(sq);
	return n;
}

static void refused(const char *op, const char *request, int status, const char *why)
{
	struct answer a;
	int64_t before = count("SELECT (SELECT count(*) FROM dns_records) + "
			       "(SELECT count(*) FROM dns_rules) + (SELECT count(*) FROM dns_lists) + "
			       "(SELECT count(*) FROM dns_list_groups)");

	if (run(op, request, &a) != status || strcmp(a.error, why) != 0)
		fail_msg("%s %s: %d \"%s\", want %d \"%s\"", op, request, a.status, a.error,
			 status, why);
	json_value_free(a.doc);
	assert_int_equal(before, count("SELECT (SELECT count(*) FROM dns_records) + "
				       "(SELECT count(*) FROM dns_rules) + (SELECT count(*) FROM dns_lists) + "
				       "(SELECT count(*) FROM dns_list_groups)"));
}

static int setup(void **state)
{
	struct db_user u = { 0 };
	struct db_device d = { 0 };
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_dnsapi.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(dbpath, sizeof(dbpath), "%s/warren.db", dir);
	memset(&S, 0, sizeof(S));
	S.c = config_new();
	assert_int_equal(db_open(dbpath, &S.db), 0);
	assert_int_equal(db_group_add(S.db, "staff", &staff_id), 0);
	snprintf(u.name, sizeof(u.name), "alice");
	u.group_id = staff_id;
	assert_int_equal(db_user_add(S.db, &u, &alice_id), 0);
	d.user_id = alice_id;
	snprintf(d.name, sizeof(d.name), "phone");
	d.has_key = true;
	memset(d.public_key, 7, sizeof(d.public_key));
	assert_int_equal(db_device_add(S.db, &d, NULL, &phone_id), 0);
	assert_int_equal(account_load(&S), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	account_free(&S.acct);
	db_close(S.db);
	config_free(S.c);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void test_records(void **state)
{
	struct answer a;
	char req[128];
	int64_t id = 0;

	(void)state;
	assert_int_equal(run("dns.record.add",
			     "{\"name\":\"NAS.vpn.internal.\",\"type\":\"a\",\"value\":\"10.9.0.200\","
			     "\"ttl\":120}", &a), 201);
	assert_true(json_get_i64(a.doc, "id", &id));
	assert_string_equal(json_get_str(a.doc, "name"), "nas.vpn.internal");
	assert_string_equal(json_get_str(a.doc, "type"), "A");
	json_value_free(a.doc);
	assert_int_equal(count("SELECT count(*) FROM dns_records WHERE name = 'nas.vpn.internal' "
			       "AND type = 'A' AND value = '10.9.0.200' AND ttl = 120"), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE op = 'dns.record.add' AND "
			       "target = 'nas.vpn.internal A' AND status = 201"), 1);
	assert_int_equal(run("dns.record.add", "{\"name\":\"printer\",\"type\":\"A\","
			     "\"value\":\"10.9.0.201\"}", &a), 201);
	assert_string_equal(json_get_str(a.doc, "name"), "printer.vpn.internal");
	json_value_free(a.doc);
	refused("dns.record.add", "{\"name\":\"x.vpn.internal\",\"type\":\"A\",\"value\":\"1.2.3\"}",
		400, "value \"1.2.3\": not an IPv4 address");
	refused("dns.record.add", "{\"name\":\"x.vpn.internal\",\"type\":\"MX\",\"value\":\"a\"}",
		400, "type \"MX\": must be A, AAAA, CNAME, TXT or SRV");
	refused("dns.record.add", "{\"name\":\"x.vpn.internal\",\"type\":\"SRV\",\"value\":\"1 2\"}",
		400, "value \"1 2\": not PRIORITY WEIGHT PORT TARGET");
	refused("dns.record.add", "{\"name\":\"x.vpn.internal\",\"type\":\"A\"}", 400,
		"value: missing");
	refused("dns.record.add", "{\"name\":\"x.vpn.internal\",\"type\":\"A\",\"value\":\"1.2.3.4\","
		"\"ttl\":0}", 400, "ttl: 0 is out of range (1..604800)");
	refused("dns.record.add", "{\"name\":\"nas.vpn.internal\",\"type\":\"A\",\"value\":\"10.9.0.200\"}",
		409, "record nas.vpn.internal A 10.9.0.200: exists");
	assert_int_equal(run("dns.record.list", "{}", &a), 200);
	assert_int_equal(json_get_arr(a.doc, "records")->n, 2);
	json_value_free(a.doc);
	snprintf(req, sizeof(req), "{\"id\":%" PRId64 "}", id);
	assert_int_equal(run("dns.record.delete", req, &a), 204);
	assert_int_equal(count("SELECT count(*) FROM dns_records"), 1);
	assert_int_equal(run("dns.record.delete", req, &a), 404);
	assert_string_equal(a.error, "no record 1");
}

static void test_rules(void **state)
{
	const struct json_value *rules;
	struct answer a;

	(void)state;
	assert_int_equal(run("dns.rule.add", "{\"pattern\":\"ads.example.com\",\"action\":\"block\","
			     "\"note\":\"no ads\"}", &a), 201);
	assert_int_equal(json_get(a.doc, "group")->type, JSON_NULL);
	json_value_free(a.doc);
	assert_int_equal(run("dns.rule.add", "{\"pattern\":\"@@||ok.example.com^\","
			     "\"action\":\"allow\",\"group\":\"staff\"}", &a), 201);
	assert_string_equal(json_get_str(a.doc, "group"), "staff");
	json_value_free(a.doc);
	assert_int_equal(count("SELECT count(*) FROM dns_rules WHERE pattern = 'ads.example.com' "
			       "AND action = 'block' AND group_id IS NULL AND note = 'no ads'"), 1);
	assert_int_equal(count("SELECT count(*) FROM dns_rules WHERE action = 'allow' AND "
			       "group_id = (SELECT id FROM groups WHERE name = 'staff')"), 1);
	refused("dns.rule.add", "{\"pattern\":\"x.example\",\"action\":\"deny\"}", 400,
		"action: expected one of block, allow");
	refused("dns.rule.add", "{\"pattern\":\"x.example\",\"action\":\"block\",\"group\":\"nope\"}",
		400, "group: no group \"nope\"");
	{
		struct answer b;

		assert_int_equal(run("dns.rule.add", "{\"pattern\":\"not a domain\","
				     "\"action\":\"block\"}", &b), 400);
		assert_memory_equal(b.error, "pattern \"not a domain\": ", 24);
	}
	assert_int_equal(run("dns.rule.list", "{}", &a), 200);
	rules = json_get_arr(a.doc, "rules");
	assert_int_equal(rules->n, 2);
	assert_string_equal(json_get_str(rules->items[1], "action"), "allow");
	json_value_free(a.doc);
	assert_int_equal(run("dns.rule.delete", "{\"id\":1}", &a), 204);
	assert_int_equal(count("SELECT count(*) FROM dns_rules"), 1);
}

static void test_lists(void **state)
{
	const struct json_value *g;
	struct answer a;
	int64_t refresh = 0;

	(void)state;
	assert_int_equal(run("dns.list.add", "{\"name\":\"ads\",\"source\":\"/etc/ads.txt\","
			     "\"groups\":[\"staff\"],\"refresh\":\"12h\"}", &a), 201);
	assert_true(json_get_i64(a.doc, "refresh", &refresh));
	assert_int_equal(refresh, 43200);
	g = json_get_arr(a.doc, "groups");
	assert_int_equal(g->n, 1);
	assert_string_equal(g->items[0]->s, "staff");
	assert_int_equal(json_get(a.doc, "fetched_at")->type, JSON_NULL);
	json_value_free(a.doc);
	assert_int_equal(count("SELECT count(*) FROM dns_lists l JOIN dns_list_groups g ON "
			       "g.list_id = l.id WHERE l.name = 'ads' AND l.refresh_s = 43200 AND "
			       "l.enabled = 1"), 1);
	assert_int_equal(run("dns.list.add", "{\"name\":\"remote\",\"source\":"
			     "\"https://lists.example/x\",\"enabled\":false,\"refresh\":3600}", &a), 201);
	json_value_free(a.doc);
	refused("dns.list.add", "{\"name\":\"x\",\"source\":\"rel/path\"}", 400,
		"source \"rel/path\": not an absolute path or an http(s) URL");
	refused("dns.list.add", "{\"name\":\"x\",\"source\":\"/x\",\"refresh\":10}", 400,
		"refresh: 10 s is out of range (60 s..366 d)");
	refused("dns.list.add", "{\"name\":\"x\",\"source\":\"/x\",\"refresh\":true}", 400,
		"refresh: expected seconds or a duration such as 12h");
	refused("dns.list.add", "{\"name\":\"x\",\"source\":\"/x\",\"groups\":[\"nope\"]}", 400,
		"group: no group \"nope\"");
	refused("dns.list.add", "{\"name\":\"x\",\"source\":\"/x\",\"groups\":[\"staff\",\"staff\"]}",
		400, "groups: \"staff\" given twice");
	refused("dns.list.add", "{\"name\":\"ads\",\"source\":\"/x\"}", 409, "list \"ads\" exists");
	refused("dns.list.set", "{\"name\":\"ads\"}", 400,
		"nothing to change (enabled, groups, refresh)");
	assert_int_equal(run("dns.list.set", "{\"name\":\"ads\",\"refresh\":\"2h\"}", &a), 200);
	json_value_free(a.doc);
	assert_int_equal(count("SELECT refresh_s FROM dns_lists WHERE name = 'ads'"), 7200);
	assert_int_equal(run("dns.list.set", "{\"name\":\"ads\",\"enabled\":false,\"groups\":[]}",
			     &a), 200);
	json_value_free(a.doc);
	assert_int_equal(count("SELECT enabled + (SELECT count(*) FROM dns_list_groups) FROM "
			       "dns_lists WHERE name = 'ads'"), 0);
	assert_int_equal(run("dns.list.set", "{\"name\":\"ads\",\"groups\":[\"staff\",\"default\"]}",
			     &a), 200);
	json_value_free(a.doc);
	assert_int_equal(count("SELECT count(*) FROM dns_list_groups"), 2);
	assert_int_equal(run("dns.list.refresh", "{\"name\":\"ads\"}", &a), 202);
	json_value_free(a.doc);
	assert_int_equal(run("dns.list.show", "{\"name\":\"nope\"}", &a), 404);
	assert_int_equal(run("dns.list.delete", "{\"name\":\"remote\"}", &a), 204);
	assert_int_equal(count("SELECT count(*) FROM dns_lists"), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE op LIKE 'dns.list.%' AND status < 300"), 7);
}

static void test_roles(void **state)
{
	const struct api_caller user = { .kind = API_CALLER_USER, .id = alice_id,
					 .name = "alice", .source = "10.9.0.2" };
	const char *const writes[] = { "dns.record.add", "dns.record.delete", "dns.rule.add",
				       "dns.rule.delete", "dns.list.add", "dns.list.set",
				       "dns.list.delete", "dns.list.refresh" };
	const char *const reads[] = { "dns.record.list", "dns.rule.list", "dns.list.list",
				      "dns.list.show", "dns.log", "dns.stats", "dns.status" };
	char why[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		const struct api_op *op = api_find(writes[i]);

		assert_true(op->flags & API_CHANGES);
		assert_int_equal(api_allowed(op, &viewer, why, sizeof(why)), 403);
		assert_int_equal(api_allowed(op, &user, why, sizeof(why)), 403);
		assert_int_equal(api_allowed(op, &admin, why, sizeof(why)), 0);
	}
	for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		const struct api_op *op = api_find(reads[i]);

		assert_false(op->flags & API_CHANGES);
		assert_int_equal(api_allowed(op, &viewer, why, sizeof(why)), 0);
		assert_int_equal(api_allowed(op, &user, why, sizeof(why)), 403);
	}
	assert_int_equal(api_allowed(api_find("me.dns"), &user, why, sizeof(why)), 0);
	assert_int_equal(api_allowed(api_find("me.dns"), &viewer, why, sizeof(why)), 403);
	{
		struct answer a;

		assert_int_equal(run_as(&viewer, "dns.rule.add",
					"{\"pattern\":\"v.example\",\"action\":\"block\"}", &a), 403);
		assert_int_equal(count("SELECT count(*) FROM dns_rules WHERE pattern = 'v.example'"), 0);
	}
}

/* A few queries of alice's phone and one of an unknown source, then the log and stats. */
static void test_log_stats(void **state)
{
	struct db_dns_log rows[4] = { 0 };
	struct db_dns_hour_user hu = { 0 };
	const struct json_value *e, *top;
	struct answer a;
	int64_t now_ms = (int64_t)time(NULL) * 1000, hour = time(NULL) / 3600 * 3600;
	const char *s;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		rows[i].at_ms = now_ms - 4000 + (int64_t)i * 1000;
		rows[i].user_id = i < 3 ? alice_id : 0;
		rows[i].device_id = i < 3 ? phone_id : 0;
		rows[i].qtype = i == 1 ? 28 : 1;
		snprintf(rows[i].name, sizeof(rows[i].name), "%s",
			 i == 2 ? "ads.example.com" : i == 3 ? "stray.example" : "www.example.org");
	}
	rows[2].blocked = true;
	rows[2].list_id = 0;
	rows[3].rcode = 3;
	rows[0].upstream_us = 12400;
	assert_int_equal(db_dns_log_insert(S.db, rows, 4), 0);
	hu.user_id = alice_id;
	hu.queries = 3;
	hu.blocked = 1;
	hu.upstream_n = 1;
	hu.upstream_us_sum = 12400;
	assert_int_equal(db_dns_hourly_add(S.db, hour, &hu, 1, NULL, 0), 0);

	assert_int_equal(run("dns.log", "{}", &a), 200);
	e = json_get_arr(a.doc, "entries");
	assert_int_equal(e->n, 4);
	/* newest first: the stray query, from no known device */
	assert_int_equal(json_get(e->items[0], "user")->type, JSON_NULL);
	assert_string_equal(json_get_str(e->items[0], "rcode"), "NXDOMAIN");
	assert_string_equal(json_get_str(e->items[1], "list"), "rule");
	assert_true(json_get_bool(e->items[1], "blocked", &(bool){ false }));
	assert_string_equal(json_get_str(e->items[2], "type"), "AAAA");
	assert_string_equal(json_get_str(e->items[3], "user"), "alice");
	assert_string_equal(json_get_str(e->items[3], "device"), "phone");
	s = json_get_str(e->items[3], "at");
	assert_int_equal(strlen(s), 24);
	assert_int_equal(s[23], 'Z');
	assert_int_equal(json_get(e->items[3], "upstream_ms")->u64, 12);
	assert_int_equal(json_get(e->items[2], "upstream_ms")->type, JSON_NULL);
	json_value_free(a.doc);

	assert_int_equal(run("dns.log", "{\"user\":\"alice\",\"result\":\"blocked\"}", &a), 200);
	assert_int_equal(json_get_arr(a.doc, "entries")->n, 1);
	json_value_free(a.doc);
	assert_int_equal(run("dns.log", "{\"type\":\"AAAA\"}", &a), 200);
	assert_int_equal(json_get_arr(a.doc, "entries")->n, 1);
	json_value_free(a.doc);
	assert_int_equal(run("dns.log", "{\"q\":\"EXAMPLE.ORG\",\"limit\":1}", &a), 200);
	assert_int_equal(json_get_arr(a.doc, "entries")->n, 1);
	assert_non_null(json_get_str(a.doc, "next"));
	json_value_free(a.doc);
	assert_int_equal(run("dns.log", "{\"type\":\"BOGUS\"}", &a), 400);
	assert_string_equal(a.error, "type \"BOGUS\": not a query type (A, AAAA, MX, TXT, ... or TYPEn)");
	assert_int_equal(run("dns.log", "{\"device\":\"phone\"}", &a), 400);
	assert_string_equal(a.error, "device: goes with user");
	assert_int_equal(run("dns.log", "{\"user\":\"nobody\"}", &a), 404);
	assert_int_equal(run("dns.log", "{\"rcode\":\"BAD\"}", &a), 400);

	assert_int_equal(run("dns.stats", "{}", &a), 200);
	assert_int_equal(json_get(a.doc, "queries")->u64, 3);
	assert_int_equal(json_get(a.doc, "blocked")->u64, 1);
	assert_true(json_get(a.doc, "blocked_pct")->d > 33.32 && json_get(a.doc, "blocked_pct")->d < 33.34);
	assert_true(json_get(a.doc, "upstream_ms_avg")->d > 12.3);
	top = json_get_arr(a.doc, "top_users");
	assert_non_null(top);
	assert_int_equal(top->n, 1);
	assert_string_equal(json_get_str(top->items[0], "user"), "alice");
	assert_non_null(json_get_arr(a.doc, "top_names"));
	assert_non_null(json_get_arr(a.doc, "top_blocked"));
	json_value_free(a.doc);
	assert_int_equal(run("dns.stats", "{\"top\":101}", &a), 400);
	assert_string_equal(a.error, "top: 101 is out of range (0..100)");

	assert_int_equal(run("dns.status", "{}", &a), 200);
	assert_false(json_get_bool(a.doc, "running", &(bool){ true }) &&
		     json_get(a.doc, "running")->b);
	json_value_free(a.doc);
}

static void test_me(void **state)
{
	const struct api_caller user = { .kind = API_CALLER_USER, .id = alice_id,
					 .name = "alice", .source = "10.9.0.2" };
	const struct json_value *names, *recent;
	struct answer a;
	size_t i;

	(void)state;
	assert_int_equal(run_as(&user, "me.dns", "{}", &a), 200);
	assert_string_equal(json_get_str(a.doc, "domain"), "vpn.internal");
	assert_string_equal(json_get_str(a.doc, "user_name"), "alice.vpn.internal");
	names = json_get_arr(a.doc, "names");
	assert_int_equal(names->n, 1);
	assert_string_equal(json_get_str(names->items[0], "name"), "phone.alice.vpn.internal");
	assert_int_equal(json_get(a.doc, "queries_24h")->u64, 3);
	assert_int_equal(json_get(a.doc, "blocked_24h")->u64, 1);
	recent = json_get_arr(a.doc, "recent");
	/* its own only: the stray query is nobody's */
	assert_int_equal(recent->n, 3);
	for (i = 0; i < recent->n; i++)
		assert_string_equal(json_get_str(recent->items[i], "user"), "alice");
	json_value_free(a.doc);
	/* the socket has no portal user of its own */
	assert_int_equal(run("me.dns", "{}", &a), 400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_log_stats),
		cmocka_unit_test(test_me),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
