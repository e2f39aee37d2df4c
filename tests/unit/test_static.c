/* The portal's web pages without sockets: which request targets are the pages', exact
 * lookups, hostile paths, methods, gzip and If-None-Match negotiation on a small bundle,
 * and the bundle this binary embeds (sorted, gzip copies that inflate to the bytes,
 * every file a page names found under its build). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "server/portal/assets.h"
#include "server/portal/static.h"

#define BUILD "0123456789abcdef"

static const unsigned char bytes[] = "x";

static const struct web_asset assets[] = {
	{ "/app.js", "text/javascript; charset=utf-8", bytes, 1, bytes, 1, "\"js\"", "\"js-gz\"" },
	{ "/console/index.html", "text/html; charset=utf-8", bytes, 1, bytes, 1, "\"con\"",
	  "\"con-gz\"" },
	{ "/portal/index.html", "text/html; charset=utf-8", bytes, 1, NULL, 0, "\"por\"", NULL },
	{ "/x/y.css", "text/css; charset=utf-8", bytes, 1, NULL, 0, "\"css\"", NULL },
};

static const struct web_bundle bundle = { BUILD, assets, 4 };

static struct static_answer ask(const char *method, const char *url, const char *ae,
				const char *inm)
{
	struct static_req req = { method, url, ae, inm };
	struct static_answer a;

	static_decide(&bundle, &req, &a);
	return a;
}

static void expect(const char *method, const char *url, int status, const char *path)
{
	struct static_answer a = ask(method, url, NULL, NULL);

	if (a.status != status)
		fail_msg("%s %s: status %d, want %d", method, url, a.status, status);
	if (path && (!a.asset || strcmp(a.asset->path, path) != 0))
		fail_msg("%s %s: asset %s, want %s", method, url, a.asset ? a.asset->path : "none",
			 path);
	if (!path && a.asset && status != 200)
		fail_msg("%s %s: an asset with status %d", method, url, status);
}

static void test_api_is_not_ours(void **state)
{
	static const char *const api[] = { "/api", "/api/", "/api/v1/login", "/api/v1/users?q=a",
					   "/api/v1/../x", "*", "http://example.net/", "" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(api) / sizeof(api[0]); i++)
		expect("POST", api[i], 0, NULL);
	expect("GET", NULL, 0, NULL);
}

static void test_pages(void **state)
{
	struct static_answer a;

	(void)state;
	expect("GET", "/", 200, "/portal/index.html");
	expect("GET", "/devices/laptop?x=1", 200, "/portal/index.html");
	expect("GET", "/apix", 200, "/portal/index.html");
	expect("GET", "/administrator", 200, "/portal/index.html");
	expect("GET", "/staticx", 200, "/portal/index.html");
	expect("GET", "/admin/", 200, "/console/index.html");
	expect("HEAD", "/admin/users/alice", 200, "/console/index.html");
	expect("GET", "/admin/users/", 200, "/console/index.html");
	a = ask("GET", "/admin", NULL, NULL);
	assert_int_equal(a.status, 301);
	assert_string_equal(a.location, "/admin/");
	a = ask("GET", "/admin?next=users", NULL, NULL);
	assert_int_equal(a.status, 301);
	a = ask("GET", "/", NULL, NULL);
	assert_false(a.immutable);
}

static void test_static_files(void **state)
{
	struct static_answer a;

	(void)state;
	expect("GET", "/static/" BUILD "/app.js", 200, "/app.js");
	expect("GET", "/static/" BUILD "/x/y.css?v=2", 200, "/x/y.css");
	expect("GET", "/static/" BUILD "/console/index.html", 200, "/console/index.html");
	a = ask("GET", "/static/" BUILD "/app.js", NULL, NULL);
	assert_true(a.immutable);
	expect("GET", "/static/fedcba9876543210/app.js", 404, NULL);    /* a stale build */
	expect("GET", "/static/" BUILD "0/app.js", 404, NULL);
	expect("GET", "/static/0123456789abcde/app.js", 404, NULL);
	expect("GET", "/static", 404, NULL);
	expect("GET", "/static/", 404, NULL);
	expect("GET", "/static/" BUILD, 404, NULL);
	expect("GET", "/static/" BUILD "/", 404, NULL);
	expect("GET", "/static/" BUILD "/nope.js", 404, NULL);
	expect("GET", "/static/" BUILD "/app.j", 404, NULL);
	expect("GET", "/static/" BUILD "/app.jsx", 404, NULL);
	expect("GET", "/static/" BUILD "/app.js/", 404, NULL);
	expect("GET", "/static/" BUILD "/x", 404, NULL);
	expect("GET", "/static/" BUILD "/X/Y.CSS", 404, NULL);
}

static void test_hostile(void **state)
{
	static const char *const bad[] = {
		"/static/" BUILD "/%61pp.js", "/static/" BUILD "/../" BUILD "/app.js",
		"/static/" BUILD "//app.js", "/static/" BUILD "/./app.js", "/static/./" BUILD "/app.js",
		"/static/" BUILD "/x/../app.js", "/static/" BUILD "/x/y.css%00",
		"/static/" BUILD "/app.js%2f", "/a/../admin/", "//", "//admin/", "/admin/..",
		"/admin/./", "/.", "/..", "/x%00", "/%2e%2e/", "/x\\y", "/\xc3\xa9", "/a b", "/a\tb",
		"/a\x01", "/a#b", "/?a b", "/?a\x7f", "/admin/?#",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect("GET", bad[i], 404, NULL);
}

static void test_methods(void **state)
{
	(void)state;
	expect("POST", "/", 405, NULL);
	expect("PUT", "/admin/", 405, NULL);
	expect("DELETE", "/static/" BUILD "/app.js", 405, NULL);
	expect("OPTIONS", "/admin", 405, NULL);
	expect("get", "/", 405, NULL);
	expect(NULL, "/", 405, NULL);
	expect("POST", "/static/" BUILD "/%00", 404, NULL);    /* the path is looked at first */
	expect("HEAD", "/static/" BUILD "/app.js", 200, "/app.js");
}

static void test_accepts_gzip(void **state)
{
	static const char *const yes[] = {
		"gzip", "GZIP", "gzip, deflate, br", "deflate, gzip", "*", "x-gzip", "gzip;q=0.001",
		"gzip ; q=0.5", "br, *;q=0.1", "gzip;q=1", "gzip;q=1.000", " gzip ", "gzip;q=0, gzip",
		"deflate,,gzip",
	};
	static const char *const no[] = {
		"", "deflate", "br, identity", "gzip;q=0", "gzip;q=0.000", "gzip;q=0.000, *",
		"*;q=0", "*, gzip;q=0", "gzip;q=1.5", "gzip;q=2", "gzip;q=0.0001", "gzip;q=", "gzip;level=9",
		"gzipx", "gzi", "identity;q=1, *;q=0", "gzip;q=abc",
	};
	size_t i;

	(void)state;
	assert_false(static_accepts_gzip(NULL));
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!static_accepts_gzip(yes[i]))
			fail_msg("\"%s\" should take gzip", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (static_accepts_gzip(no[i]))
			fail_msg("\"%s\" should not take gzip", no[i]);
}

static void test_etag_matches(void **state)
{
	(void)state;
	assert_true(static_etag_matches("\"abc\"", "\"abc\""));
	assert_true(static_etag_matches("W/\"abc\"", "\"abc\""));
	assert_true(static_etag_matches("\"x\", \"abc\"", "\"abc\""));
	assert_true(static_etag_matches("\"x\",W/\"abc\"", "\"abc\""));
	assert_true(static_etag_matches("*", "\"abc\""));
	assert_false(static_etag_matches("\"ab\"", "\"abc\""));
	assert_false(static_etag_matches("\"abcd\"", "\"abc\""));
	assert_false(static_etag_matches("abc", "\"abc\""));
	assert_false(static_etag_matches("\"abc", "\"abc\""));
	assert_false(static_etag_matches("", "\"abc\""));
	assert_false(static_etag_matches(NULL, "\"abc\""));
	assert_false(static_etag_matches("\"abc\"", NULL));
}

static void test_negotiation(void **state)
{
	struct static_answer a;

	(void)state;
	a = ask("GET", "/static/" BUILD "/app.js", "gzip, br", NULL);
	assert_int_equal(a.status, 200);
	assert_true(a.gzip);
	a = ask("GET", "/static/" BUILD "/app.js", "br", NULL);
	assert_false(a.gzip);
	a = ask("GET", "/", "gzip", NULL);                /* no gzip copy */
	assert_int_equal(a.status, 200);
	assert_false(a.gzip);
	/* Each representation has its own ETag. */
	a = ask("GET", "/admin/", NULL, "\"con\"");
	assert_int_equal(a.status, 304);
	a = ask("GET", "/admin/", "gzip", "\"con-gz\"");
	assert_int_equal(a.status, 304);
	assert_true(a.gzip);
	a = ask("GET", "/admin/", "gzip", "\"con\"");
	assert_int_equal(a.status, 200);
	a = ask("GET", "/admin/", NULL, "\"con-gz\"");
	assert_int_equal(a.status, 200);
	a = ask("HEAD", "/static/" BUILD "/x/y.css", NULL, "W/\"css\"");
	assert_int_equal(a.status, 304);
	a = ask("GET", "/static/nope/x/y.css", NULL, "*");
	assert_int_equal(a.status, 404);
}

static void test_find(void **state)
{
	(void)state;
	assert_non_null(static_find(&bundle, "/app.js", 7));
	assert_non_null(static_find(&bundle, "/app.js.map", 7));   /* len bytes only */
	assert_null(static_find(&bundle, "/app.js", 6));
	assert_null(static_find(&bundle, "/app.jsx", 8));
	assert_null(static_find(&bundle, "/", 1));
	assert_null(static_find(&bundle, "", 0));
	assert_non_null(static_find(&bundle, "/x/y.css", 8));
	assert_non_null(static_find(&bundle, "/portal/index.html", 18));
}

static bool inflates_to(const struct web_asset *as)
{
	unsigned char *buf = malloc(as->len + 1);
	z_stream z = { 0 };
	bool ok;

	assert_non_null(buf);
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (unsigned char *)as->gz;
	z.avail_in = (uInt)as->gz_len;
	z.next_out = buf;
	z.avail_out = (uInt)as->len + 1;
	ok = inflate(&z, Z_FINISH) == Z_STREAM_END && z.total_out == as->len &&
	     memcmp(buf, as->data, as->len) == 0;
	inflateEnd(&z);
	free(buf);
	return ok;
}

/* Every "/static/..." a page names is served with its build. */
static void check_references(const struct web_asset *page)
{
	const char *p = (const char *)page->data, *end = p + page->len, *s, *e;
	char url[512], want[64];
	struct static_req req = { "GET", url, NULL, NULL };
	struct static_answer a;
	int n = 0;

	snprintf(want, sizeof(want), "/static/%s/", web_bundle.build);
	while ((s = memmem(p, (size_t)(end - p), "/static/", 8))) {
		e = s;
		while (e < end && *e != '"' && *e != '\'' && *e != ' ' && *e != '>')
			e++;
		assert_true((size_t)(e - s) < sizeof(url));
		memcpy(url, s, (size_t)(e - s));
		url[e - s] = '\0';
		if (strncmp(url, want, strlen(want)) != 0)
			fail_msg("%s names %s, not under %s", page->path, url, want);
		static_decide(&web_bundle, &req, &a);
		if (a.status != 200)
			fail_msg("%s names %s: %d", page->path, url, a.status);
		n++;
		p = e;
	}
	if (n == 0)
		fail_msg("%s names no file under /static/", page->path);
	assert_null(memmem(page->data, page->len, "%BUILD%", 7));
}

static void test_embedded_bundle(void **state)
{
	const struct web_bundle *b = &web_bundle;
	size_t i;

	(void)state;
	assert_int_equal(strlen(b->build), 16);
	assert_true(strspn(b->build, "0123456789abcdef") == 16);
	assert_true(b->n > 2);
	assert_non_null(static_find(b, STATIC_CONSOLE_INDEX, strlen(STATIC_CONSOLE_INDEX)));
	assert_non_null(static_find(b, STATIC_PORTAL_INDEX, strlen(STATIC_PORTAL_INDEX)));
	for (i = 0; i < b->n; i++) {
		const struct web_asset *as = &b->assets[i];

		if (i && strcmp(b->assets[i - 1].path, as->path) >= 0)
			fail_msg("%s: not sorted after %s", as->path, b->assets[i - 1].path);
		assert_non_null(as->type);
		assert_true(as->etag[0] == '"' && as->etag[strlen(as->etag) - 1] == '"');
		if (as->gz) {
			assert_true(as->gz_len < as->len);
			assert_non_null(as->etag_gz);
			assert_string_not_equal(as->etag, as->etag_gz);
			if (!inflates_to(as))
				fail_msg("%s: the gzip copy does not inflate to the file", as->path);
		} else {
			assert_null(as->etag_gz);
		}
		if (strncmp(as->type, "text/html", 9) == 0)
			check_references(as);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_is_not_ours),
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_static_files),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_accepts_gzip),
		cmocka_unit_test(test_etag_matches),
		cmocka_unit_test(test_negotiation),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_embedded_bundle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
