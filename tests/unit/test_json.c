/* The JSON writer (escaping, commas, numbers) and the strict reader. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

static void expect_str(const char *in, size_t len, const char *out)
{
	struct json j = { 0 };

	json_strn(&j, NULL, in, len);
	assert_string_equal(json_text(&j), out);
	assert_int_equal(json_len(&j), strlen(out));
	json_clear(&j);
}

static void test_escape_specials(void **state)
{
	(void)state;
	expect_str("", 0, "\"\"");
	expect_str("plain text", 10, "\"plain text\"");
	expect_str("a\"b", 3, "\"a\\\"b\"");
	expect_str("a\\b", 3, "\"a\\\\b\"");
	expect_str("/", 1, "\"/\"");
	expect_str("\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"");
	expect_str("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
	expect_str("nul\0in", 6, "\"nul\\u0000in\"");
	/* the terminal escape of a hostile interface name */
	expect_str("\x1b[2J", 4, "\"\\u001b[2J\"");
}

static void test_escape_utf8(void **state)
{
	(void)state;
	/* valid: 2, 3 and 4 byte sequences pass through */
	expect_str("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"");
	expect_str("\xe2\x82\xac", 3, "\"\xe2\x82\xac\"");
	expect_str("\xf0\x9f\x90\x87", 4, "\"\xf0\x9f\x90\x87\"");
	expect_str("\xef\xbf\xbf", 3, "\"\xef\xbf\xbf\"");
	/* invalid: each bad byte becomes U+FFFD */
	expect_str("\xff", 1, "\"\xef\xbf\xbd\"");
	expect_str("a\x80z", 3, "\"a\xef\xbf\xbdz\"");
	expect_str("\xc3", 1, "\"\xef\xbf\xbd\"");                          /* truncated */
	expect_str("\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");          /* overlong '/' */
	expect_str("\xe0\x80\xaf", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* overlong */
	expect_str("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* surrogate */
	expect_str("\xf4\x90\x80\x80", 4,                                   /* > U+10FFFF */
		   "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	expect_str("\xe2\x82z", 3, "\"\xef\xbf\xbd\xef\xbf\xbdz\"");
}

static void test_nesting_and_commas(void **state)
{
	struct json j = { 0 };
	char *s;
	size_t len;

	(void)state;
	json_obj_begin(&j, NULL);
	json_u64(&j, "version", 1);
	json_str(&j, "role", "agent");
	json_str(&j, "nothing", NULL);
	json_arr_begin(&j, "tunnels");
	json_obj_begin(&j, NULL);
	json_str(&j, "name", "hq");
	json_arr_begin(&j, "addresses");
	json_str(&j, NULL, "10.9.0.10/32");
	json_str(&j, NULL, "fd09::10/128");
	json_end(&j);
	json_arr_begin(&j, "peers");
	json_end(&j);
	json_obj_begin(&j, "empty");
	json_end(&j);
	json_end(&j);
	json_obj_begin(&j, NULL);
	json_bool(&j, "up", false);
	json_null(&j, "error");
	json_end(&j);
	json_end(&j);
	json_bool(&j, "ok", true);
	json_strf(&j, "pid", "%d-%s", 12, "x");
	json_end(&j);
	assert_int_equal(j.depth, 0);
	assert_string_equal(json_text(&j),
		"{\"version\":1,\"role\":\"agent\",\"nothing\":null,\"tunnels\":["
		"{\"name\":\"hq\",\"addresses\":[\"10.9.0.10/32\",\"fd09::10/128\"],"
		"\"peers\":[],\"empty\":{}},{\"up\":false,\"error\":null}],"
		"\"ok\":true,\"pid\":\"12-x\"}");
	s = json_steal(&j, &len);
	assert_int_equal(len, strlen(s));
	assert_null(j.buf);
	assert_string_equal(json_text(&j), "");
	free(s);

	/* keys are escaped too; reset keeps the buffer and starts over */
	json_obj_begin(&j, NULL);
	json_u64(&j, "a\"b\n", 0);
	json_end(&j);
	assert_string_equal(json_text(&j), "{\"a\\\"b\\n\":0}");
	json_reset(&j);
	assert_string_equal(json_text(&j), "");
	json_arr_begin(&j, NULL);
	json_end(&j);
	json_rawf(&j, "\n%s", "tail");
	assert_string_equal(json_text(&j), "[]\ntail");
	json_clear(&j);
	json_clear(&j);
}

static void test_numbers(void **state)
{
	struct json j = { 0 };

	(void)state;
	json_arr_begin(&j, NULL);
	json_u64(&j, NULL, 0);
	json_u64(&j, NULL, UINT64_MAX);
	json_i64(&j, NULL, INT64_MIN);
	json_i64(&j, NULL, INT64_MAX);
	json_i64(&j, NULL, -1);
	json_end(&j);
	assert_string_equal(json_text(&j), "[0,18446744073709551615,-9223372036854775808,"
					   "9223372036854775807,-1]");
	json_clear(&j);
}

static void test_parse_roundtrip(void **state)
{
	static const char doc[] =
		" {\"version\": 1, \"tunnels\": [ {\"name\": \"hq\", \"up\": true, \"x\": null,"
		"  \"rx\": 18446744073709551615, \"neg\": -9223372036854775808, \"f\": 1.5e3,"
		"  \"big\": 18446744073709551616, \"esc\": \"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\udc07\\u0000z\","
		"  \"utf8\": \"caf\xc3\xa9\"} ], \"dup\": 1, \"dup\": 2, \"e\": {}, \"a\": []}\n";
	struct json_value *v;
	const struct json_value *t, *x;
	uint64_t u;
	int64_t i;
	bool b;

	(void)state;
	assert_int_equal(json_parse(doc, strlen(doc), &v, NULL, NULL), 0);
	assert_int_equal(v->type, JSON_OBJECT);
	assert_true(json_get_u64(v, "version", &u));
	assert_int_equal(u, 1);
	t = json_get_arr(v, "tunnels");
	assert_non_null(t);
	assert_int_equal(t->n, 1);
	t = t->items[0];
	assert_string_equal(json_get_str(t, "name"), "hq");
	assert_true(json_get_bool(t, "up", &b) && b);
	x = json_get(t, "x");
	assert_non_null(x);
	assert_int_equal(x->type, JSON_NULL);
	assert_null(json_get_str(t, "x"));
	assert_true(json_get_u64(t, "rx", &u));
	assert_true(u == UINT64_MAX);
	assert_false(json_get_i64(t, "rx", &i));
	assert_true(json_get_i64(t, "neg", &i));
	assert_true(i == INT64_MIN);
	assert_false(json_get_u64(t, "neg", &u));
	x = json_get(t, "f");
	assert_int_equal(x->type, JSON_NUMBER);
	assert_false(x->is_i64 || x->is_u64);
	assert_true(x->d == 1500.0);
	assert_false(json_get_u64(t, "big", &u));
	x = json_get(t, "esc");
	assert_int_equal(x->slen, 17);
	assert_memory_equal(x->s, "a\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x90\x87\0z", 17);
	assert_string_equal(json_get_str(t, "utf8"), "caf\xc3\xa9");
	assert_true(json_get_u64(v, "dup", &u));
	assert_int_equal(u, 1);
	assert_int_equal(json_get_obj(v, "e")->n, 0);
	assert_int_equal(json_get_arr(v, "a")->n, 0);
	assert_null(json_get(v, "missing"));
	assert_null(json_get_arr(v, "version"));
	assert_null(json_get(NULL, "x"));
	json_value_free(v);
	json_value_free(NULL);
}

/* What the writer writes, the reader reads back, whatever the bytes. */
static void test_writer_reader_agree(void **state)
{
	struct json j = { 0 };
	struct json_value *v;
	char all[256];
	int c;

	(void)state;
	for (c = 0; c < 256; c++)
		all[c] = (char)c;
	json_obj_begin(&j, NULL);
	json_strn(&j, "bytes", all, sizeof(all));
	json_end(&j);
	assert_int_equal(json_parse(json_text(&j), json_len(&j), &v, NULL, NULL), 0);
	/* 128 ASCII bytes come back as they were, 128 others as U+FFFD each */
	assert_int_equal(json_get(v, "bytes")->slen, 128 + 128 * 3);
	assert_memory_equal(json_get(v, "bytes")->s, all, 128);
	json_value_free(v);
	json_clear(&j);
}

static void expect_bad(const char *doc, const char *why)
{
	struct json_value *v = (void *)1;
	const char *err = NULL;
	size_t off = 0;

	assert_int_equal(json_parse(doc, strlen(doc), &v, &err, &off), -EINVAL);
	assert_null(v);
	assert_non_null(err);
	if (why && !strstr(err, why))
		fail_msg("\"%s\": error \"%s\", wanted \"%s\"", doc, err, why);
}

static void test_parse_strict(void **state)
{
	char deep[2 * JSON_MAX_DEPTH + 8];
	struct json_value *v;
	int i;

	(void)state;
	expect_bad("", "end of input");
	expect_bad("   ", "end of input");
	expect_bad("{", NULL);
	expect_bad("[1,]", NULL);
	expect_bad("{\"a\":1,}", NULL);
	expect_bad("{\"a\" 1}", "':'");
	expect_bad("{a:1}", "key");
	expect_bad("[1 2]", "','");
	expect_bad("01", "leading zero");
	expect_bad("-", "number");
	expect_bad("1.", "decimal point");
	expect_bad("1e", "exponent");
	expect_bad(".5", NULL);
	expect_bad("+1", NULL);
	expect_bad("tru", NULL);
	expect_bad("nul", NULL);
	expect_bad("NaN", NULL);
	expect_bad("\"abc", "unterminated");
	expect_bad("\"a\nb\"", "control character");
	expect_bad("\"\\x\"", "bad escape");
	expect_bad("\"\\u12\"", NULL);
	expect_bad("\"\\u12g4\"", "hex");
	expect_bad("\"\\ud800\"", "surrogate");
	expect_bad("\"\\udc00\"", "surrogate");
	expect_bad("\"\\ud800\\u0041\"", "surrogate");
	expect_bad("\"\xff\"", "UTF-8");
	expect_bad("\"\xc0\xaf\"", "UTF-8");
	expect_bad("\"\xed\xa0\x80\"", "UTF-8");
	expect_bad("{} {}", "trailing");
	expect_bad("[]x", "trailing");
	expect_bad("'a'", NULL);

	/* nesting: JSON_MAX_DEPTH levels are fine, one more is not */
	for (i = 0; i < JSON_MAX_DEPTH; i++) {
		deep[i] = '[';
		deep[JSON_MAX_DEPTH + i] = ']';
	}
	assert_int_equal(json_parse(deep, 2 * JSON_MAX_DEPTH, &v, NULL, NULL), 0);
	json_value_free(v);
	memmove(deep + 1, deep, 2 * JSON_MAX_DEPTH);
	deep[2 * JSON_MAX_DEPTH + 1] = ']';
	deep[2 * JSON_MAX_DEPTH + 2] = '\0';
	expect_bad(deep, "deep");

	/* scalars are documents too; a length excludes what follows */
	assert_int_equal(json_parse("42 junk", 2, &v, NULL, NULL), 0);
	assert_true(v->is_u64 && v->u64 == 42);
	json_value_free(v);
	assert_int_equal(json_parse("-0", 2, &v, NULL, NULL), 0);
	assert_true(v->is_i64 && v->i64 == 0);
	json_value_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_specials),
		cmocka_unit_test(test_escape_utf8),
		cmocka_unit_test(test_nesting_and_commas),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_parse_roundtrip),
		cmocka_unit_test(test_writer_reader_agree),
		cmocka_unit_test(test_parse_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
