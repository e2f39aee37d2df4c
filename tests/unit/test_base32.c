/* Base32: the RFC 4648 vectors, round trips, and what the decoder refuses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "server/auth/base32.h"

static const struct { const char *plain, *b32; } vectors[] = {
	{ "", "" },
	{ "f", "MY" },
	{ "fo", "MZXQ" },
	{ "foo", "MZXW6" },
	{ "foob", "MZXW6YQ" },
	{ "fooba", "MZXW6YTB" },
	{ "foobar", "MZXW6YTBOI" },
};

static void test_rfc4648(void **state)
{
	char out[32];
	uint8_t bin[16];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		size_t len = strlen(vectors[i].plain);

		assert_int_equal(BASE32_LEN(len), strlen(vectors[i].b32));
		assert_int_equal(base32_encode((const uint8_t *)vectors[i].plain, len, out,
					       sizeof(out)), 0);
		assert_string_equal(out, vectors[i].b32);
		assert_int_equal(base32_decode(vectors[i].b32, strlen(vectors[i].b32), bin,
					       sizeof(bin), &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(bin, vectors[i].plain, len);
	}
}

static void test_lenient_where_people_are(void **state)
{
	uint8_t bin[16];
	size_t n;
	const char *s = "mzxw 6ytb oi";

	(void)state;
	assert_int_equal(base32_decode(s, strlen(s), bin, sizeof(bin), &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(bin, "foobar", 6);
	assert_int_equal(base32_decode("MzXw6YtBoI", 10, bin, sizeof(bin), &n), 0);
	assert_memory_equal(bin, "foobar", 6);
	assert_int_equal(base32_decode("   ", 3, bin, sizeof(bin), &n), 0);
	assert_int_equal(n, 0);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"MZXW6YQ=",         /* padding */
		"MZXW6YTBOI======",
		"MZXW6YT1",         /* 1 is not in the alphabet */
		"MZXW6YT8",
		"MZXW-6YTB",
		"MZXW\t6YTB",
		"MZXW\n6YTB",
		"M",                /* lengths no byte string has */
		"MZX",
		"MZXW6Y",
		"MZ",               /* canonical form of "f" is MY: low bits must be zero */
		"MZXR",
		"MZXW6YTBOJ",
	};
	uint8_t bin[16];
	size_t i, n = 99;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 99;
		assert_int_equal(base32_decode(bad[i], strlen(bad[i]), bin, sizeof(bin), &n),
				 -EINVAL);
		assert_int_equal(n, 0);
	}
	/* a NUL inside the given length is a character like any other */
	assert_int_equal(base32_decode("MZ\0W6YTB", 8, bin, sizeof(bin), &n), -EINVAL);
}

static void test_sizes(void **state)
{
	uint8_t in[64], bin[64];
	char out[128];
	size_t len, n, i;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 37 + 11);
	for (len = 0; len <= sizeof(in); len++) {
		assert_int_equal(base32_encode(in, len, out, BASE32_LEN(len)), -ENOSPC);
		assert_int_equal(base32_encode(in, len, out, BASE32_LEN(len) + 1), 0);
		assert_int_equal(strlen(out), BASE32_LEN(len));
		assert_int_equal(base32_decode(out, strlen(out), bin, len, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(bin, in, len);
		if (len) {
			memset(bin, 0x5a, sizeof(bin));
			assert_int_equal(base32_decode(out, strlen(out), bin, len - 1, &n), -ENOSPC);
			assert_int_equal(bin[0], 0x5a);     /* nothing written */
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648),
		cmocka_unit_test(test_lenient_where_people_are),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
