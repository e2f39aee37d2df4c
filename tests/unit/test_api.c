/* The operations table: every route resolves to its operation, docs/api.yaml and the
 * table agree both ways, the one request parser refuses what it must (naming the
 * field), and who may call what. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "server/api/api.h"

/* A path with every {param} filled with "x". */
static void fill(const char *pattern, char *out, size_t size)
{
	size_t o = 0;

	for (; *pattern && o + 2 < size; pattern++) {
		if (*pattern == '{') {
			pattern = strchr(pattern, '}');
			out[o++] = 'x';
			continue;
		}
		out[o++] = *pattern;
	}
	out[o] = '\0';
}

static void test_routes_resolve(void **state)
{
	char params[API_MAX_PARAMS][DB_NAME_MAX * 3 + 1], allow[64], path[256];
	size_t i, n;
	int status;

	(void)state;
	for (i = 0; i < api_n_ops; i++) {
		const struct api_op *op = api_ops[i], *got;

		assert_ptr_equal(api_find(op->name), op);
		if (!op->path)
			continue;
		fill(op->path, path, sizeof(path));
		got = api_route(op->method, path, params, &n, &status, allow, sizeof(allow));
		if (got != op)
			fail_msg("%s %s resolves to %s", op->method, path, got ? got->name : "nothing");
	}
	assert_null(api_route("GET", "/api/v1/nope", params, &n, &status, allow, sizeof(allow)));
	assert_int_equal(status, 404);
	assert_null(api_route("PUT", "/api/v1/users", params, &n, &status, allow, sizeof(allow)));
	assert_int_equal(status, 405);
	assert_string_equal(allow, "GET, POST");
	/* a parameter is one decoded segment: no '/', no NUL, no empty one */
	assert_null(api_route("GET", "/api/v1/users/a%2Fb", params, &n, &status, allow, sizeof(allow)));
	assert_null(api_route("GET", "/api/v1/users/a%00", params, &n, &status, allow, sizeof(allow)));
	assert_null(api_route("GET", "/api/v1/users//devices", params, &n, &status, allow, sizeof(allow)));
	assert_non_null(api_route("GET", "/api/v1/users/al%69ce", params, &n, &status, allow, sizeof(allow)));
	assert_string_equal(params[0], "alice");
}

/* Every "METHOD PATH operationId" in docs/api.yaml, and in the table. */
struct doc_route {
	char method[8], path[160], id[64];
};

static size_t read_doc(struct doc_route *v, size_t max)
{
	/* tests/run.sh runs unit tests from the top of the tree */
	FILE *f = fopen("docs/api.yaml", "r");
	char line[512], path[160] = "", method[8] = "";
	size_t n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char m[16], id[64];

		if (strncmp(line, "  /api/", 7) == 0 && sscanf(line, "  %159[^:]:", path) == 1) {
			method[0] = '\0';
		} else if (sscanf(line, "    %15[a-z]:", m) == 1 && line[4] != ' ' &&
			   (!strcmp(m, "get") || !strcmp(m, "post") || !strcmp(m, "patch") ||
			    !strcmp(m, "delete") || !strcmp(m, "put"))) {
			size_t i;

			for (i = 0; m[i]; i++)
				method[i] = (char)(m[i] - 'a' + 'A');
			method[i] = '\0';
		} else if (sscanf(line, "      operationId: %63s", id) == 1 && method[0]) {
			assert_true(n < max);
			snprintf(v[n].method, sizeof(v[n].method), "%s", method);
			snprintf(v[n].path, sizeof(v[n].path), "%s", path);
			snprintf(v[n].id, sizeof(v[n].id), "%s", id);
			n++;
		}
	}
	fclose(f);
	return n;
}

static void test_doc_agrees(void **state)
{
	static struct doc_route doc[512];
	size_t n = read_doc(doc, 512), i, k, with_path = 0;

	(void)state;
	assert_true(n > 10);
	for (i = 0; i < api_n_ops; i++) {
		const struct api_op *op = api_ops[i];
		bool found = false;

		if (!op->path)
			continue;
		with_path++;
		for (k = 0; k < n && !found; k++)
			found = strcmp(doc[k].id, op->name) == 0 && strcmp(doc[k].method, op->method) == 0 &&
				strcmp(doc[k].path, op->path) == 0;
		if (!found)
			fail_msg("docs/api.yaml lacks %s %s (%s)", op->method, op->path, op->name);
	}
	for (k = 0; k < n; k++) {
		const struct api_op *op = api_find(doc[k].id);

		if (!op || !op->path || strcmp(op->method, doc[k].method) || strcmp(op->path, doc[k].path))
			fail_msg("docs/api.yaml has %s %s (%s), the table does not", doc[k].method,
				 doc[k].path, doc[k].id);
	}
	assert_int_equal(with_path, n);
}

/* ---- the parser ---- */

static int parse(const char *name, const char *method, const char *path, const char *query,
		 const char *body, char *why, size_t whylen)
{
	char params[API_MAX_PARAMS][DB_NAME_MAX * 3 + 1], allow[64];
	const struct api_op *op = name ? api_find(name) : NULL;
	struct json_value *in = NULL;
	size_t n = 0;
	int status, r;
	void *req;

	if (!op) {
		op = api_route(method, path, params, &n, &status, allow, sizeof(allow));
		assert_non_null(op);
	}
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
	assert_int_equal(parse(NULL, method, path, query, body, why_, sizeof(why_)), -22); \
	assert_string_equal(why_, want); \
} while (0)
#define ACCEPTED(method, path, query, body) do { \
	char why_[256]; \
	if (parse(NULL, method, path, query, body, why_, sizeof(why_)) != 0) \
		fail_msg("refused: %s", why_); \
} while (0)

static void test_parse(void **state)
{
	(void)state;
	ACCEPTED("POST", "/api/v1/users", NULL,
		 "{\"name\":\"alice\",\"expires\":\"2027-01-31\",\"quota\":\"50GiB/month\",\"reset_day\":15}");
	ACCEPTED("PATCH", "/api/v1/users/alice", NULL, "{\"expires\":null,\"quota\":null}");
	ACCEPTED("GET", "/api/v1/users", "q=al%20ice&state=enabled&sort=-used&limit=50", NULL);
	REFUSED("POST", "/api/v1/users", NULL, "{\"name\":\"alice\",\"colour\":\"red\"}",
		"colour: unknown field");
	REFUSED("POST", "/api/v1/users", NULL, "{\"name\":\"alice\",\"name\":\"bob\"}",
		"name: given twice");
	REFUSED("POST", "/api/v1/users", NULL, "{\"expires\":\"30d\"}", "user name: missing");
	REFUSED("POST", "/api/v1/users", NULL, "{\"name\":5}", "user name: expected a string");
	REFUSED("POST", "/api/v1/users", NULL, "{\"name\":\"Bad Name!\"}",
		"user name \"Bad Name!\": only a-z, 0-9, '.', '_' and '-' are allowed");
	REFUSED("POST", "/api/v1/users", NULL, "{\"name\":\"a\",\"expires\":\"2027-02-30\"}",
		"date \"2027-02-30\": day out of range");
	REFUSED("POST", "/api/v1/users", NULL, "{\"name\":\"a\",\"reset_day\":32}",
		"reset_day: 32 is out of range (1..31)");
	REFUSED("POST", "/api/v1/users", NULL, "{\"name\":\"a\",\"reset_day\":\"15\"}",
		"reset_day: expected a whole number");
	REFUSED("POST", "/api/v1/users", NULL, "{\"name\":\"a\",\"public_key\":\"nope\"}",
		"public_key: not a WireGuard public key");
	REFUSED("POST", "/api/v1/users", NULL, "{\"name\":\"a\",\"email\":\"x\\u0001y\"}",
		"email: control characters are not allowed");
	REFUSED("POST", "/api/v1/users", NULL, "{\"name\":\"a\",\"no_device\":null}",
		"no_device: null is not allowed");
	REFUSED("POST", "/api/v1/users", NULL, "[1]", "body: expected a JSON object");
	REFUSED("POST", "/api/v1/users", NULL, "{\"name\":", "body: unexpected end of input at byte 8");
	REFUSED("GET", "/api/v1/users", "state=gone", NULL,
		"state: expected one of enabled, expired, quota, disabled");
	REFUSED("GET", "/api/v1/users", "limit=501", NULL, "limit: 501 is out of range (1..500)");
	REFUSED("GET", "/api/v1/users", "limit=ten", NULL, "limit: expected a whole number");
	REFUSED("GET", "/api/v1/users", "cursor=%3Cx%3E", NULL, "cursor: not a cursor this server gave");
	REFUSED("GET", "/api/v1/users", "q=a&q=b", NULL, "q: given twice");
	REFUSED("GET", "/api/v1/users", "q=%zz", NULL, "query: bad percent-encoding");
	/* path parameters come from the path only */
	REFUSED("PATCH", "/api/v1/users/alice", NULL, "{\"user\":\"bob\"}", "user: belongs in the path");
	REFUSED("PATCH", "/api/v1/users/alice", "user=bob", NULL, "user: belongs in the path");
	/* vouchers: the code's form is checked with the other fields */
	ACCEPTED("POST", "/api/v1/vouchers", NULL,
		 "{\"count\":10000,\"duration\":\"30d\",\"quota\":\"10GiB/month\",\"uses\":3}");
	REFUSED("POST", "/api/v1/vouchers", NULL, "{\"count\":10001}",
		"count: 10001 is out of range (1..10000)");
	REFUSED("POST", "/api/v1/vouchers", NULL, "{\"duration\":\"30d\"}", "count: missing");
	REFUSED("POST", "/api/v1/vouchers", NULL, "{\"count\":1,\"duration\":\"30x\"}",
		"duration \"30x\": expected N followed by s, m, h or d");
	REFUSED("POST", "/api/v1/vouchers", NULL, "{\"count\":1,\"uses\":0}",
		"uses: 0 is out of range (1..1000)");
	REFUSED("POST", "/api/v1/vouchers", NULL, "{\"count\":1,\"name\":\"redeem\"}",
		"batch name \"redeem\": taken by the API's route");
	ACCEPTED("POST", "/api/v1/vouchers/redeem", NULL,
		 "{\"code\":\"28t5 cy4t qkff o3zd sem1\",\"name\":\"alice\",\"password\":\"x\"}");
	REFUSED("POST", "/api/v1/vouchers/redeem", NULL, "{\"code\":\"28T5-CY4T-QKFF-03ZD-SEM2\"}",
		"code: wrong check character, a typing error?");
	REFUSED("POST", "/api/v1/vouchers/redeem", NULL, "{\"code\":\"28T5-CY4T\"}",
		"code: 8 characters, expected 20 as in XXXX-XXXX-XXXX-XXXX-XXXX");
	REFUSED("POST", "/api/v1/vouchers/redeem", NULL, "{}", "code: missing");
	REFUSED("PATCH", "/api/v1/vouchers/spring", NULL, "{}", "revoked: missing");
}

/* A group's policy and a user's rate: each field checked by its parser, named in the
 * reason, before anything runs. */
static void test_parse_policy(void **state)
{
	(void)state;
	ACCEPTED("POST", "/api/v1/groups", NULL,
		 "{\"name\":\"staff\",\"destinations\":[\"10.0.0.0/8\",\"10.1.2.3:443/tcp\"],"
		 "\"schedule\":\"Mon-Fri 08:00-18:00\",\"sources\":\"203.0.113.0/24\","
		 "\"rate\":\"20Mbit/5Mbit\",\"isolate\":true,\"portal_login\":false,"
		 "\"idle\":\"30m\",\"max_maps\":2}");
	ACCEPTED("POST", "/api/v1/groups", NULL, "{\"name\":\"guests\"}");
	ACCEPTED("PATCH", "/api/v1/groups/staff", NULL,
		 "{\"destinations\":null,\"schedule\":null,\"sources\":null,\"rate\":null,"
		 "\"isolate\":null,\"portal_login\":null,\"idle\":null,\"max_maps\":null}");
	ACCEPTED("PATCH", "/api/v1/groups/staff", NULL, "{\"destinations\":[],\"idle\":0}");
	ACCEPTED("GET", "/api/v1/groups/staff", NULL, NULL);
	REFUSED("PATCH", "/api/v1/groups/staff", NULL, "{}",
		"nothing to change (destinations, schedule, sources, rate, isolate, portal_login, "
		"idle, max_maps)");
	REFUSED("PATCH", "/api/v1/groups/staff", NULL, "{\"destinations\":[\"10.0.0.0/33\"]}",
		"destinations: \"10.0.0.0/33\": prefix longer than 32");
	REFUSED("POST", "/api/v1/groups", NULL, "{\"name\":\"x\",\"destinations\":\"10.0.0.1/8\"}",
		"destinations: \"10.0.0.1/8\": host bits set (the network is 10.0.0.0/8)");
	REFUSED("PATCH", "/api/v1/groups/staff", NULL, "{\"destinations\":[5]}",
		"destinations: expected a list of strings, or null");
	REFUSED("PATCH", "/api/v1/groups/staff", NULL, "{\"schedule\":\"Mon-Fri 8:00-18\"}",
		"schedule: \"Mon-Fri 8:00-18\": bad time");
	REFUSED("PATCH", "/api/v1/groups/staff", NULL, "{\"schedule\":7}",
		"schedule: expected a string such as \"Mon-Fri 08:00-18:00\", always, never, or null");
	REFUSED("PATCH", "/api/v1/groups/staff", NULL, "{\"sources\":[\"anywhere\"]}",
		"sources: \"anywhere\": not an address");
	REFUSED("PATCH", "/api/v1/groups/staff", NULL, "{\"rate\":\"20Mbps/5Mbit\"}",
		"rate: \"20Mbps\": bad unit (bit, kbit, Mbit or Gbit)");
	REFUSED("PATCH", "/api/v1/groups/staff", NULL, "{\"isolate\":\"yes\"}",
		"isolate: expected true, false or null");
	REFUSED("PATCH", "/api/v1/groups/staff", NULL, "{\"idle\":\"soon\"}",
		"idle: duration \"soon\": expected N followed by s, m, h or d");
	REFUSED("PATCH", "/api/v1/groups/staff", NULL, "{\"idle\":-1}",
		"idle: expected seconds (0: none), a duration such as 30m, or null");
	REFUSED("PATCH", "/api/v1/groups/staff", NULL, "{\"max_maps\":65536}",
		"max_maps: expected a number 0..65535, or null");
	REFUSED("PATCH", "/api/v1/groups/staff", NULL, "{\"colour\":\"red\"}",
		"colour: unknown field");
	/* a user's own rate */
	ACCEPTED("PATCH", "/api/v1/users/alice", NULL, "{\"rate\":\"5Mbit/1Mbit\"}");
	ACCEPTED("PATCH", "/api/v1/users/alice", NULL, "{\"rate\":null}");
	ACCEPTED("POST", "/api/v1/users", NULL, "{\"name\":\"alice\",\"rate\":\"unlimited/1Mbit\"}");
	REFUSED("PATCH", "/api/v1/users/alice", NULL, "{\"rate\":\"fast\"}",
		"rate: \"fast\": not a rate (such as 20Mbit, or unlimited)");
	REFUSED("POST", "/api/v1/users", NULL, "{\"name\":\"alice\",\"rate\":\"1Mbit/0bit\"}",
		"rate: \"0bit\": zero (write unlimited for no limit)");
}

static void test_allowed(void **state)
{
	struct api_caller anon = { .kind = API_CALLER_ANON };
	struct api_caller viewer = { .kind = API_CALLER_ADMIN, .role = DB_ROLE_VIEWER };
	struct api_caller admin = { .kind = API_CALLER_TOKEN, .role = DB_ROLE_ADMIN };
	struct api_caller user = { .kind = API_CALLER_USER };
	struct api_caller sock = { .kind = API_CALLER_SOCKET };
	struct api_caller changing = { .kind = API_CALLER_ADMIN, .role = DB_ROLE_ADMIN,
				       .must_change_password = true };
	const struct api_op *add = api_find("user.add"), *list = api_find("user.list");
	const struct api_op *cfg = api_find("user.config");
	char why[64];

	(void)state;
	assert_int_equal(api_allowed(add, &anon, why, sizeof(why)), 401);
	assert_string_equal(why, "unauthorized");
	assert_int_equal(api_allowed(add, &viewer, why, sizeof(why)), 403);
	assert_string_equal(why, "forbidden");
	assert_int_equal(api_allowed(list, &viewer, why, sizeof(why)), 0);
	assert_int_equal(api_allowed(add, &admin, why, sizeof(why)), 0);
	assert_int_equal(api_allowed(list, &user, why, sizeof(why)), 403);
	assert_int_equal(api_allowed(add, &changing, why, sizeof(why)), 403);
	assert_string_equal(why, "password change required");
	/* socket-only operations have no route */
	assert_int_equal(api_allowed(cfg, &admin, why, sizeof(why)), 404);
	assert_int_equal(api_allowed(cfg, &sock, why, sizeof(why)), 0);
	assert_int_equal(api_allowed(add, &sock, why, sizeof(why)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes_resolve),
		cmocka_unit_test(test_doc_agrees),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_policy),
		cmocka_unit_test(test_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
