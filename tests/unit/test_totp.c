/* TOTP: the RFC 4226 and RFC 6238 vectors, the window, replay refusal, malformed codes and
 * the otpauth URI. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "server/auth/totp.h"

static const uint8_t rfc_key[] = "12345678901234567890";
#define RFC_KEY_LEN 20

/* RFC 4226 appendix D. */
static void test_hotp_vectors(void **state)
{
	static const uint32_t want[] = {
		755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
	};
	uint64_t i;

	(void)state;
	for (i = 0; i < 10; i++)
		assert_int_equal(totp_code(rfc_key, RFC_KEY_LEN, i, 6), want[i]);
}

/* RFC 6238 appendix B, SHA-1 rows: 8 digits there; 6 digits are the same number mod 10^6. */
static void test_totp_vectors(void **state)
{
	static const struct { uint64_t t; uint32_t code; } v[] = {
		{ 59, 94287082 },
		{ 1111111109, 7081804 },
		{ 1111111111, 14050471 },
		{ 1234567890, 89005924 },
		{ 2000000000, 69279037 },
		{ 20000000000ull, 65353130 },
	};
	char code[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint64_t last = 0;

		assert_int_equal(totp_code(rfc_key, RFC_KEY_LEN, totp_step(v[i].t), 8), v[i].code);
		assert_int_equal(totp_code(rfc_key, RFC_KEY_LEN, totp_step(v[i].t), 6),
				 v[i].code % 1000000);
		snprintf(code, sizeof(code), "%06u", (unsigned)(v[i].code % 1000000));
		assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, code, v[i].t, &last), 0);
		assert_int_equal(last, totp_step(v[i].t));
	}
	/* digits outside 6..9 mean 6 */
	assert_int_equal(totp_code(rfc_key, RFC_KEY_LEN, 1, 3), 287082);
	assert_int_equal(totp_code(rfc_key, RFC_KEY_LEN, 1, 12), 287082);
}

static void code_at(uint64_t step, char out[TOTP_DIGITS + 1])
{
	snprintf(out, TOTP_DIGITS + 1, "%06u",
		 (unsigned)totp_code(rfc_key, RFC_KEY_LEN, step, TOTP_DIGITS));
}

static void test_window_and_replay(void **state)
{
	const uint64_t t = 1700000000, s = t / 30;
	char prev[8], cur[8], next[8], far[8];
	uint64_t last;

	(void)state;
	code_at(s - 1, prev);
	code_at(s, cur);
	code_at(s + 1, next);
	code_at(s + 2, far);

	last = 0;
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, prev, t, &last), 0);
	assert_int_equal(last, s - 1);
	/* the same code again, as an observer would replay it */
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, prev, t, &last), -EALREADY);
	assert_int_equal(last, s - 1);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, cur, t, &last), 0);
	assert_int_equal(last, s);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, prev, t, &last), -EALREADY);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, next, t, &last), 0);
	assert_int_equal(last, s + 1);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, cur, t, &last), -EALREADY);

	/* two steps away is outside the window either way */
	last = 0;
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, far, t, &last), -EACCES);
	code_at(s - 2, far);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, far, t, &last), -EACCES);
	assert_int_equal(last, 0);

	/* the last second of a step still takes the next one's code, the first does not
	 * take the one two ahead */
	last = 0;
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, next, s * 30 + 29, &last), 0);
	last = 0;
	code_at(s + 2, far);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, far, s * 30, &last), -EACCES);

	/* time 0: no step before the first */
	last = 0;
	code_at(0, cur);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, cur, 0, &last), -EALREADY);
	code_at(1, cur);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, cur, 0, &last), 0);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"", "12345", "1234567", "12345a", " 12345", "123 456", "12345\n", "-12345",
		"+12345", "１２３４５６",
	};
	uint64_t last = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, bad[i], 59, &last), -EINVAL);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, NULL, 59, &last), -EINVAL);
	assert_int_equal(last, 0);
}

static void test_wrong_key(void **state)
{
	uint8_t a[TOTP_SECRET_LEN], b[TOTP_SECRET_LEN];
	char code[8];
	uint64_t last = 0, t = 1700000000;

	(void)state;
	totp_secret_new(a);
	totp_secret_new(b);
	assert_memory_not_equal(a, b, sizeof(a));
	snprintf(code, sizeof(code), "%06u",
		 (unsigned)totp_code(a, sizeof(a), totp_step(t), TOTP_DIGITS));
	/* b's window might hold the same code by chance (3 in 10^6); then only skip */
	if (totp_verify(b, sizeof(b), code, t, &last) != -EACCES)
		skip();
	assert_int_equal(totp_verify(a, sizeof(a), code, t, &last), 0);
}

static void test_uri(void **state)
{
	uint8_t key[TOTP_SECRET_LEN];
	char *uri;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	assert_int_equal(totp_uri("warren", "alice", key, sizeof(key), &uri), 0);
	assert_string_equal(uri, "otpauth://totp/warren:alice?secret=AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT"
			    "&issuer=warren&algorithm=SHA1&digits=6&period=30");
	totp_uri_free(uri);

	assert_int_equal(totp_uri("ACME VPN: HQ", "bob@example.com/x?y&z=1#2", key, 5, &uri), 0);
	assert_string_equal(uri, "otpauth://totp/ACME%20VPN%3A%20HQ:bob%40example.com%2Fx%3Fy%26z%3D1%232"
			    "?secret=AAAQEAYE&issuer=ACME%20VPN%3A%20HQ&algorithm=SHA1&digits=6&period=30");
	totp_uri_free(uri);

	/* UTF-8 is encoded byte by byte, unreserved marks stay */
	assert_int_equal(totp_uri("w-a.r_r~en", "\xe5\xbc\xa0", key, 5, &uri), 0);
	assert_string_equal(uri, "otpauth://totp/w-a.r_r~en:%E5%BC%A0?secret=AAAQEAYE"
			    "&issuer=w-a.r_r~en&algorithm=SHA1&digits=6&period=30");
	totp_uri_free(uri);

	uri = (char *)1;
	assert_int_equal(totp_uri("", "alice", key, 5, &uri), -EINVAL);
	assert_null(uri);
	assert_int_equal(totp_uri("warren", "", key, 5, &uri), -EINVAL);
	assert_int_equal(totp_uri("warren", "alice", key, 0, &uri), -EINVAL);
	totp_uri_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hotp_vectors),
		cmocka_unit_test(test_totp_vectors),
		cmocka_unit_test(test_window_and_replay),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_uri),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
