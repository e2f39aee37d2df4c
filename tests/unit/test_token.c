/* Bearer tokens: their form, their hash, and that anything else is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <sodium.h>

#include "server/token.h"

static void test_new_and_hash(void **state)
{
	char a[TOKEN_LEN + 1], b[TOKEN_LEN + 1];
	uint8_t ha[TOKEN_HASH_LEN], hb[TOKEN_HASH_LEN], want[TOKEN_HASH_LEN];
	size_t i;

	(void)state;
	token_new(a);
	token_new(b);
	assert_int_equal(strlen(a), TOKEN_LEN);
	assert_string_not_equal(a, b);
	for (i = 0; i < TOKEN_LEN; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", a[i]));
	assert_true(token_hash(a, ha));
	assert_true(token_hash(b, hb));
	assert_memory_not_equal(ha, hb, TOKEN_HASH_LEN);
	/* the hash is BLAKE2b-256 of the text, as stored */
	crypto_generichash(want, sizeof(want), (const uint8_t *)a, TOKEN_LEN, NULL, 0);
	assert_memory_equal(ha, want, TOKEN_HASH_LEN);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"short",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",   /* padding */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   /* 44 */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",    /* not url-safe */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
	};
	uint8_t h[TOKEN_HASH_LEN], zero[TOKEN_HASH_LEN] = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(h, 0xff, sizeof(h));
		assert_false(token_hash(bad[i], h));
		assert_memory_equal(h, zero, sizeof(h));
	}
	/* 43 characters whose last one carries bits beyond 32 bytes are not canonical */
	assert_false(token_hash("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", h));
	assert_true(token_hash("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", h));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_and_hash),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
