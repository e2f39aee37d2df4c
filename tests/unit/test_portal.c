/* The portal's request decisions without sockets: routes and the messages they make,
 * the local 400/401/404/405/413/414/429 answers, the failed-authentication limiter on
 * an injected clock, and the launcher's listen address parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/portal/ipc.h"
#include "server/portal/portal.h"
#include "server/portal/portalproc.h"

#define TOKEN "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_01234"   /* 43 base64url characters */
#define PUBKEY "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="  /* as wg prints one */

static struct portal_limiter rl;
static struct sockaddr_in v4;
static struct sockaddr_in6 v6;
static struct ipc_out out;
static struct ipc_msg msg;
static uint64_t now = 1000000;

static int setup(void **state)
{
	(void)state;
	memset(&rl, 0, sizeof(rl));
	memset(&v4, 0, sizeof(v4));
	v4.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", &v4.sin_addr);
	memset(&v6, 0, sizeof(v6));
	v6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:1:2::5", &v6.sin6_addr);
	now = 1000000;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ipc_out_clear(&out);
	return 0;
}

static struct portal_req req(const char *method, const char *url, const char *auth,
			     const char *body)
{
	struct portal_req r = {
		.method = method, .url = url, .authorization = auth, .body = body,
		.body_len = body ? strlen(body) : 0, .peer = (struct sockaddr *)&v4,
		.id = 42, .now_ms = now, .limiter = &rl,
	};

	return r;
}

/* Route r: expect a local answer of status whose body mentions word. */
static void expect_local(struct portal_req r, int status, const char *word)
{
	struct portal_reply rep;

	assert_int_equal(portal_route(&r, &out, &rep), 0);
	if (rep.status != status)
		fail_msg("%s %s: status %d, expected %d (%s)", r.method, r.url, rep.status, status,
			 rep.body);
	if (word && !strstr(rep.body, word))
		fail_msg("%s %s: body %s lacks \"%s\"", r.method, r.url, rep.body, word);
}

/* Route r: expect a forwarded message of type, parsed into msg. */
static struct portal_reply expect_forward(struct portal_req r, uint16_t type)
{
	struct portal_reply rep;
	char why[160];

	if (portal_route(&r, &out, &rep) != 1)
		fail_msg("%s %s: answered %d locally: %s", r.method, r.url, rep.status, rep.body);
	assert_int_equal(rep.status, 0);
	assert_int_equal(ipc_parse(out.buf, out.len, &msg, why, sizeof(why)), 0);
	assert_int_equal(msg.type, type);
	assert_int_equal(msg.id, r.id);
	return rep;
}

static void field_is(enum ipc_tag tag, const char *want)
{
	char buf[512];

	if (!want) {
		assert_false(msg.f[tag].present);
		return;
	}
	assert_int_equal(ipc_field_str(&msg, tag, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

static void test_enroll(void **state)
{
	struct portal_reply rep;

	(void)state;
	rep = expect_forward(req("POST", "/api/v1/agent/enroll", NULL,
				 "{\"token\":\"" TOKEN "\",\"public_key\":\"" PUBKEY "\","
				 "\"name\":\"gw1.example\"}"), IPC_ENROLL);
	assert_int_equal(rep.route, PORTAL_ENROLL);
	field_is(IPC_T_PEER, "192.0.2.7");
	field_is(IPC_T_TOKEN, TOKEN);
	field_is(IPC_T_PUBLIC_KEY, PUBKEY);
	field_is(IPC_T_NAME, "gw1.example");

	/* name is optional (absent or null); whitespace and member order are free */
	expect_forward(req("POST", "/api/v1/agent/enroll", NULL,
			   " { \"public_key\" : \"" PUBKEY "\", \"token\":\"" TOKEN "\" } "),
		       IPC_ENROLL);
	field_is(IPC_T_NAME, NULL);
	expect_forward(req("POST", "/api/v1/agent/enroll?x=1", NULL,
			   "{\"token\":\"" TOKEN "\",\"public_key\":\"" PUBKEY "\",\"name\":null}"),
		       IPC_ENROLL);
	field_is(IPC_T_NAME, NULL);
}

static void test_enroll_400(void **state)
{
	static const char *const bad[][2] = {
		{ "", "not valid JSON" },
		{ "{", "not valid JSON" },
		{ "{\"token\":\"" TOKEN "\",\"public_key\":\"" PUBKEY "\"} x", "not valid JSON" },
		{ "[]", "expected a JSON object" },
		{ "\"" TOKEN "\"", "expected a JSON object" },
		{ "{\"public_key\":\"" PUBKEY "\"}", "token: missing" },
		{ "{\"token\":42,\"public_key\":\"" PUBKEY "\"}", "token: expected a string" },
		{ "{\"token\":\"" TOKEN "\"}", "public_key: missing" },
		{ "{\"token\":\"" TOKEN "\",\"public_key\":\"abc\"}", "public_key" },
		{ "{\"token\":\"" TOKEN "\",\"public_key\":\"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dh=\"}",
		  "public_key" },  /* 258 bits */
		{ "{\"token\":\"" TOKEN "\",\"public_key\":\"" PUBKEY "\",\"extra\":1}", "unknown member" },
		{ "{\"token\":\"" TOKEN "\",\"token\":\"" TOKEN "\",\"public_key\":\"" PUBKEY "\"}",
		  "repeated member" },
		{ "{\"token\":\"" TOKEN "\",\"public_key\":\"" PUBKEY "\",\"name\":\"a b\"}", "name" },
		{ "{\"token\":\"" TOKEN "\",\"public_key\":\"" PUBKEY "\",\"name\":\"\"}", "name" },
		{ "{\"token\":\"" TOKEN "\",\"public_key\":\"" PUBKEY "\",\"name\":7}", "name" },
		{ "{\"token\":\"" TOKEN "\",\"public_key\":\"" PUBKEY "\",\"name\":\"a\\u0000b\"}",
		  "name" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_local(req("POST", "/api/v1/agent/enroll", NULL, bad[i][0]), 400, bad[i][1]);
	/* none of these counted as a failed authentication */
	assert_int_equal(portal_limiter_check(&rl, (struct sockaddr *)&v4, now), 0);
	for (i = 0; i < PORTAL_RL_FAILS; i++)
		expect_local(req("POST", "/api/v1/agent/enroll", NULL, bad[0][0]), 400, NULL);
}

static void test_enroll_bad_token(void **state)
{
	(void)state;
	/* a token of the wrong form is refused as unauthorized, without asking the server */
	expect_local(req("POST", "/api/v1/agent/enroll", NULL,
			 "{\"token\":\"short\",\"public_key\":\"" PUBKEY "\"}"), 401, "unauthorized");
	expect_local(req("POST", "/api/v1/agent/enroll", NULL,
			 "{\"token\":\"" TOKEN "=\",\"public_key\":\"" PUBKEY "\"}"), 401, NULL);
	expect_local(req("POST", "/api/v1/agent/enroll", NULL,
			 "{\"token\":\"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ+/01234\",\"public_key\":\""
			 PUBKEY "\"}"), 401, NULL);
}

static void test_profile(void **state)
{
	struct portal_req r;
	struct portal_reply rep;

	(void)state;
	rep = expect_forward(req("GET", "/api/v1/agent/profile", "Bearer " TOKEN, NULL),
			     IPC_PROFILE);
	assert_int_equal(rep.route, PORTAL_PROFILE);
	assert_int_equal(rep.wait, 0);
	field_is(IPC_T_CREDENTIAL, TOKEN);
	field_is(IPC_T_PEER, "192.0.2.7");
	field_is(IPC_T_WAIT, NULL);
	field_is(IPC_T_ETAG, NULL);

	r = req("GET", "/api/v1/agent/profile?x=y&wait=300", "bearer   " TOKEN "  ", NULL);
	r.if_none_match = "\"0123456789abcdef0123456789abcdef\"";
	r.peer = (struct sockaddr *)&v6;
	rep = expect_forward(r, IPC_PROFILE);
	assert_int_equal(rep.wait, 300);
	field_is(IPC_T_WAIT, "300");
	field_is(IPC_T_ETAG, "\"0123456789abcdef0123456789abcdef\"");
	field_is(IPC_T_PEER, "2001:db8:1:2::5");

	/* leading zeros and percent-encoding of the key are read as a form would */
	rep = expect_forward(req("GET", "/api/v1/agent/profile?w%61it=060", "Bearer " TOKEN, NULL),
			     IPC_PROFILE);
	assert_int_equal(rep.wait, 60);
	field_is(IPC_T_WAIT, "60");
	rep = expect_forward(req("GET", "/api/v1/agent/profile?wait=0", "Bearer " TOKEN, NULL),
			     IPC_PROFILE);
	field_is(IPC_T_WAIT, "0");
}

static void test_profile_400(void **state)
{
	static const char *const waits[] = {
		"wait=301", "wait=", "wait", "wait=-1", "wait=1e2", "wait=%00", "wait=1&wait=2",
		"wait=0x10", "wait=1000", "wait=%zz",
	};
	struct portal_req r;
	char url[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		snprintf(url, sizeof(url), "/api/v1/agent/profile?%s", waits[i]);
		expect_local(req("GET", url, "Bearer " TOKEN, NULL), 400, "wait");
	}
	r = req("GET", "/api/v1/agent/profile", "Bearer " TOKEN, NULL);
	r.if_none_match = "\"a\x01\"";
	expect_local(r, 400, "If-None-Match");
	r.if_none_match = "";
	expect_local(r, 400, "If-None-Match");
}

static void test_unauthorized(void **state)
{
	static const char *const auths[] = {
		"", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer" TOKEN, "Bearer short",
		"Bearer " TOKEN " " TOKEN, "Bearer " TOKEN "x", "Token " TOKEN, "Bearer\n" TOKEN,
	};
	size_t i;

	(void)state;
	expect_local(req("GET", "/api/v1/agent/profile", NULL, NULL), 401, "unauthorized");
	/* The operations table's routes take a session cookie too: the server decides. */
	expect_forward(req("GET", "/api/v1/users", NULL, NULL), IPC_ADMIN);
	field_is(IPC_T_TOKEN, NULL);
	expect_local(req("GET", "/api/v1/users", "Bearer short", NULL), 401, "unauthorized");
	for (i = 0; i < sizeof(auths) / sizeof(auths[0]); i++) {
		now += 10000;    /* spread out, so the limiter does not step in */
		expect_local(req("GET", "/api/v1/agent/profile", auths[i], NULL), 401,
			     "{\"error\":\"unauthorized\"}");
	}
}

static void test_admin(void **state)
{
	struct portal_req r;
	struct portal_reply rep;

	(void)state;
	rep = expect_forward(req("GET", "/api/v1/users", "Bearer " TOKEN, NULL), IPC_ADMIN);
	assert_int_equal(rep.route, PORTAL_ADMIN);
	field_is(IPC_T_METHOD, "GET");
	field_is(IPC_T_PATH, "/api/v1/users");
	field_is(IPC_T_TOKEN, TOKEN);
	field_is(IPC_T_BODY, NULL);

	expect_forward(req("GET", "/api/v1/sessions?user=al%20ice&since=2026-01-01",
			   "Bearer " TOKEN, NULL), IPC_ADMIN);
	field_is(IPC_T_PATH, "/api/v1/sessions?user=al%20ice&since=2026-01-01");

	expect_forward(req("POST", "/api/v1/users", "Bearer " TOKEN, "{\"name\":\"bob\"}"),
		       IPC_ADMIN);
	field_is(IPC_T_METHOD, "POST");
	field_is(IPC_T_BODY, "{\"name\":\"bob\"}");

	expect_forward(req("DELETE", "/api/v1/users/bob", "Bearer " TOKEN, NULL), IPC_ADMIN);
	field_is(IPC_T_METHOD, "DELETE");
	field_is(IPC_T_PATH, "/api/v1/users/bob");

	/* a body is forwarded as bytes, NUL included */
	r = req("POST", "/api/v1/users", "Bearer " TOKEN, NULL);
	r.body = "a\0b";
	r.body_len = 3;
	expect_forward(r, IPC_ADMIN);
	assert_int_equal(msg.f[IPC_T_BODY].len, 3);
	assert_memory_equal(msg.f[IPC_T_BODY].p, "a\0b", 3);

	/* methods are the operations table's to check (PATCH is one of them) */
	expect_forward(req("PATCH", "/api/v1/users/bob", "Bearer " TOKEN, "{}"), IPC_ADMIN);
	field_is(IPC_T_METHOD, "PATCH");
	expect_forward(req("PUT", "/api/v1/users/bob", "Bearer " TOKEN, NULL), IPC_ADMIN);

	/* a session cookie and its CSRF token go along; a browser's cross-site request not */
	r = req("POST", "/api/v1/users", NULL, "{}");
	r.cookie = "__Host-warren=abc";
	r.csrf = "xyz";
	expect_forward(r, IPC_ADMIN);
	field_is(IPC_T_COOKIE, "__Host-warren=abc");
	field_is(IPC_T_CSRF, "xyz");
	r.fetch_site = "cross-site";
	expect_local(r, 403, "cross-site");
}

static void test_not_found(void **state)
{
	static const char *const urls[] = {
		"/", "/api", "/api/v1/", "/api/v1/agent/enroll/", "/api/v2/users",
		"/api/v1/users/", "/api/v1/users//bob", "/api/v1/users/./bob",
		"/api/v1/users/../agent/enroll", "/api/v1/sessions/..", "//api/v1/users",
		"/API/v1/users", "*", "http://example.net/api/v1/users", "",
	};
	/* Well-formed paths under /api/v1 are the operations table's to find or not. */
	static const char *const theirs[] = {
		"/api/v1", "/api/v1/agent", "/api/v1/agent/enroll/x", "/api/v1/agent/profiles",
		"/api/v1/usersx", "/api/v1/%75sers",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
		expect_local(req("GET", urls[i], "Bearer " TOKEN, NULL), 404,
			     "{\"error\":\"not found\"}");
	for (i = 0; i < sizeof(theirs) / sizeof(theirs[0]); i++)
		expect_forward(req("GET", theirs[i], "Bearer " TOKEN, NULL), IPC_ADMIN);
}

static void test_bad_target(void **state)
{
	char *url = malloc(PORTAL_MAX_URL + 2);

	(void)state;
	assert_non_null(url);
	expect_local(req("GET", "/api/v1/users/a\x01", "Bearer " TOKEN, NULL), 400, NULL);
	expect_local(req("GET", "/api/v1/users/a b", "Bearer " TOKEN, NULL), 400, NULL);
	expect_local(req("GET", "/api/v1/users/caf\xc3\xa9", "Bearer " TOKEN, NULL), 400, NULL);
	expect_local(req("GET", "/api/v1/users#x", "Bearer " TOKEN, NULL), 400, NULL);
	memset(url, 'a', PORTAL_MAX_URL + 1);
	memcpy(url, "/api/v1/users/", 14);
	url[PORTAL_MAX_URL + 1] = '\0';
	expect_local(req("GET", url, "Bearer " TOKEN, NULL), 414, NULL);
	url[PORTAL_MAX_URL] = '\0';
	expect_forward(req("GET", url, "Bearer " TOKEN, NULL), IPC_ADMIN);
	free(url);
}

static void test_methods(void **state)
{
	struct portal_req r;
	struct portal_reply rep;

	(void)state;
	r = req("GET", "/api/v1/agent/enroll", NULL, NULL);
	assert_int_equal(portal_route(&r, &out, &rep), 0);
	assert_int_equal(rep.status, 405);
	assert_string_equal(rep.allow, "POST");
	r = req("POST", "/api/v1/agent/profile", "Bearer " TOKEN, NULL);
	assert_int_equal(portal_route(&r, &out, &rep), 0);
	assert_int_equal(rep.status, 405);
	assert_string_equal(rep.allow, "GET");
	expect_local(req("HEAD", "/api/v1/agent/profile", "Bearer " TOKEN, NULL), 405, NULL);
	/* the operations table answers 405 with its own Allow for the rest */
	expect_forward(req("OPTIONS", "/api/v1/users", "Bearer " TOKEN, NULL), IPC_ADMIN);
	field_is(IPC_T_METHOD, "OPTIONS");
	/* but what is no method at all stops here, and never becomes a message */
	expect_local(req("get", "/api/v1/users", "Bearer " TOKEN, NULL), 405, NULL);
	expect_local(req("GET\xff", "/api/v1/users", "Bearer " TOKEN, NULL), 405, NULL);
	expect_local(req("", "/api/v1/users", "Bearer " TOKEN, NULL), 405, NULL);
	/* method before authentication: 405 costs no failed authentication */
	assert_int_equal(portal_limiter_check(&rl, (struct sockaddr *)&v4, now), 0);
}

static void test_too_large(void **state)
{
	struct portal_req r;

	(void)state;
	r = req("POST", "/api/v1/agent/enroll", NULL, NULL);
	r.body_too_large = true;
	expect_local(r, 413, "64 KiB");
	r = req("POST", "/api/v1/users", "Bearer " TOKEN, NULL);
	r.body_too_large = true;
	expect_local(r, 413, NULL);
	/* an unknown path stays 404, a wrong method 405, whatever the size */
	r = req("POST", "/nowhere", NULL, NULL);
	r.body_too_large = true;
	expect_local(r, 404, NULL);
	r = req("PUT", "/api/v1/agent/enroll", NULL, NULL);
	r.body_too_large = true;
	expect_local(r, 405, NULL);
}

static void test_limiter(void **state)
{
	struct sockaddr_in other = v4;
	struct portal_reply rep;
	struct portal_req r;
	int i;

	(void)state;
	inet_pton(AF_INET, "192.0.2.8", &other.sin_addr);
	for (i = 0; i < PORTAL_RL_FAILS - 1; i++) {
		expect_local(req("GET", "/api/v1/agent/profile", "Bearer x", NULL), 401, NULL);
		now += 1000;
	}
	/* 9 failures: still asking */
	expect_forward(req("GET", "/api/v1/agent/profile", "Bearer " TOKEN, NULL), IPC_PROFILE);
	/* the 10th, as the server's answer counts it */
	portal_limiter_fail(&rl, (struct sockaddr *)&v4, now);
	r = req("GET", "/api/v1/agent/profile", "Bearer " TOKEN, NULL);
	assert_int_equal(portal_route(&r, &out, &rep), 0);
	assert_int_equal(rep.status, 429);
	/* the window opened at the first failure, 9 s ago */
	assert_int_equal(rep.retry_after, 51);
	/* every route, even unknown ones, while blocked; other addresses are not */
	expect_local(req("POST", "/api/v1/agent/enroll", NULL, "{}"), 429, NULL);
	expect_local(req("GET", "/x", NULL, NULL), 429, NULL);
	r = req("GET", "/api/v1/agent/profile", "Bearer " TOKEN, NULL);
	r.peer = (struct sockaddr *)&other;
	expect_forward(r, IPC_PROFILE);

	now += 50500;      /* 59.5 s after the first failure */
	assert_int_equal(portal_limiter_check(&rl, (struct sockaddr *)&v4, now), 1);
	now += 500;        /* 60 s: the window is over */
	assert_int_equal(portal_limiter_check(&rl, (struct sockaddr *)&v4, now), 0);
	expect_forward(req("GET", "/api/v1/agent/profile", "Bearer " TOKEN, NULL), IPC_PROFILE);

	/* failures spread wider than the window never block */
	for (i = 0; i < 3 * PORTAL_RL_FAILS; i++) {
		portal_limiter_fail(&rl, (struct sockaddr *)&other, now);
		now += 7000;
		assert_int_equal(portal_limiter_check(&rl, (struct sockaddr *)&other, now), 0);
	}
	/* a clock going backwards does no harm */
	assert_int_equal(portal_limiter_check(&rl, (struct sockaddr *)&other, 5), 0);
}

static void test_limiter_prefixes(void **state)
{
	struct sockaddr_in6 same64 = v6, next64 = v6, mapped;
	struct sockaddr_un_like { sa_family_t family; } unix_peer = { AF_UNIX };
	int i;

	(void)state;
	inet_pton(AF_INET6, "2001:db8:1:2:ffff:ffff:ffff:ffff", &same64.sin6_addr);
	inet_pton(AF_INET6, "2001:db8:1:3::5", &next64.sin6_addr);
	for (i = 0; i < PORTAL_RL_FAILS; i++)
		portal_limiter_fail(&rl, (struct sockaddr *)&v6, now);
	assert_int_equal(portal_limiter_check(&rl, (struct sockaddr *)&same64, now), 60);
	assert_int_equal(portal_limiter_check(&rl, (struct sockaddr *)&next64, now), 0);

	/* IPv4 through an IPv6 socket is the same address as IPv4 */
	memset(&mapped, 0, sizeof(mapped));
	mapped.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &mapped.sin6_addr);
	for (i = 0; i < PORTAL_RL_FAILS; i++)
		portal_limiter_fail(&rl, (struct sockaddr *)&mapped, now);
	assert_int_equal(portal_limiter_check(&rl, (struct sockaddr *)&v4, now), 60);

	/* no address, or one of another family: nothing to count */
	portal_limiter_fail(&rl, NULL, now);
	portal_limiter_fail(&rl, (struct sockaddr *)&unix_peer, now);
	assert_int_equal(portal_limiter_check(&rl, NULL, now), 0);
}

/* A full table forgets the oldest windows, and keeps working. */
static void test_limiter_table(void **state)
{
	const uint32_t n = 4 * PORTAL_RL_SETS * PORTAL_RL_WAYS;
	struct sockaddr_in a = v4;
	uint32_t i, blocked = 0;
	int k;

	(void)state;
	portal_limiter_init(&rl);
	for (k = 0; k < PORTAL_RL_FAILS; k++)
		portal_limiter_fail(&rl, (struct sockaddr *)&v4, now);
	for (i = 0; i < n; i++) {
		a.sin_addr.s_addr = htonl(0x0a000000 + i);
		for (k = 0; k < PORTAL_RL_FAILS; k++)
			portal_limiter_fail(&rl, (struct sockaddr *)&a, now + 1 + i);
	}
	for (i = 0; i < n; i++) {
		a.sin_addr.s_addr = htonl(0x0a000000 + i);
		blocked += portal_limiter_check(&rl, (struct sockaddr *)&a, now + n) ? 1 : 0;
	}
	/* as many as the table holds (some sets fill less than others), no more */
	assert_true(blocked <= PORTAL_RL_SETS * PORTAL_RL_WAYS);
	assert_true(blocked >= PORTAL_RL_SETS * PORTAL_RL_WAYS * 9 / 10);
	/* the most recent address is always remembered; the oldest went first */
	a.sin_addr.s_addr = htonl(0x0a000000 + n - 1);
	assert_int_not_equal(portal_limiter_check(&rl, (struct sockaddr *)&a, now + n), 0);
	assert_int_equal(portal_limiter_check(&rl, (struct sockaddr *)&v4, now + n), 0);
}

static void test_peer_text(void **state)
{
	struct sockaddr_in6 mapped;
	char buf[INET6_ADDRSTRLEN];

	(void)state;
	portal_peer_text((struct sockaddr *)&v4, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.7");
	portal_peer_text((struct sockaddr *)&v6, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8:1:2::5");
	memset(&mapped, 0, sizeof(mapped));
	mapped.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:10.1.2.3", &mapped.sin6_addr);
	portal_peer_text((struct sockaddr *)&mapped, buf, sizeof(buf));
	assert_string_equal(buf, "10.1.2.3");
	portal_peer_text(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

static void test_listen_addr(void **state)
{
	static const char *const bad[] = {
		"", ":8443", "8443", "[::]", "[::]8443", "::1:8443", "[::1]:", "[::1]:0",
		"[::1]:65536", "127.0.0.1", "127.0.0.1:", "127.0.0.1:-1", "127.0.0.1:+80",
		"127.0.0.1:80x", "localhost:80", "[127.0.0.1]:80", "1.2.3:80", "[fe80::1%eth0]:80",
	};
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	char buf[INET6_ADDRSTRLEN];
	socklen_t len;
	size_t i;

	(void)state;
	assert_int_equal(portalproc_parse_addr("[::]:8443", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_int_equal(ntohs(s6->sin6_port), 8443);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr));
	assert_int_equal(portalproc_parse_addr("[2001:db8::1]:443", &ss, &len), 0);
	inet_ntop(AF_INET6, &s6->sin6_addr, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::1");
	assert_int_equal(portalproc_parse_addr("0.0.0.0:8443", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(portalproc_parse_addr("127.0.0.1:65535", &ss, &len), 0);
	assert_int_equal(ntohs(s4->sin_port), 65535);
	assert_int_equal(s4->sin_addr.s_addr, htonl(0x7f000001));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (portalproc_parse_addr(bad[i], &ss, &len) != -EINVAL)
			fail_msg("\"%s\" accepted", bad[i]);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_enroll),
		T(test_enroll_400),
		T(test_enroll_bad_token),
		T(test_profile),
		T(test_profile_400),
		T(test_unauthorized),
		T(test_admin),
		T(test_not_found),
		T(test_bad_target),
		T(test_methods),
		T(test_too_large),
		T(test_limiter),
		T(test_limiter_prefixes),
		T(test_limiter_table),
		T(test_peer_text),
		T(test_listen_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
