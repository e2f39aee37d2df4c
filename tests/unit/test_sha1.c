/* SHA-1 and HMAC-SHA1 against RFC 3174 and RFC 2202, whole and fed in pieces. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/auth/sha1.h"

static void hex(const uint8_t d[SHA1_LEN], char out[2 * SHA1_LEN + 1])
{
	int i;

	for (i = 0; i < SHA1_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void check_digest(const void *data, size_t len, const char *want)
{
	uint8_t d[SHA1_LEN];
	char h[2 * SHA1_LEN + 1];

	sha1_digest(data, len, d);
	hex(d, h);
	assert_string_equal(h, want);
}

/* RFC 3174 section 7.3, and the empty message. */
static void test_rfc3174(void **state)
{
	static const char rep[] = "0123456701234567012345670123456701234567012345670123456701234567";
	struct sha1_ctx c;
	uint8_t d[SHA1_LEN];
	char h[2 * SHA1_LEN + 1], *mil;
	int i;

	(void)state;
	check_digest("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	check_digest(NULL, 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	check_digest("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
	check_digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		     "84983e441c3bd26ebaae4aa1f95129e5e54670f1");

	mil = malloc(1000000);
	assert_non_null(mil);
	memset(mil, 'a', 1000000);
	check_digest(mil, 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	free(mil);

	sha1_init(&c);
	for (i = 0; i < 10; i++)
		sha1_update(&c, rep, 64);
	sha1_final(&c, d);
	hex(d, h);
	assert_string_equal(h, "dea356a2cddd90c7a7ecedc5ebb563934f460452");
}

/* Every split of a message across two updates, and bytewise, gives the same digest:
 * the partial-block paths and the padding edge at 55, 56 and 64 bytes. */
static void test_pieces(void **state)
{
	uint8_t msg[200], whole[SHA1_LEN], part[SHA1_LEN];
	struct sha1_ctx c;
	size_t len, cut, i;

	(void)state;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 1);
	for (len = 0; len <= sizeof(msg); len++) {
		sha1_digest(msg, len, whole);
		for (cut = 0; cut <= len; cut += (len > 70 ? 13 : 1)) {
			sha1_init(&c);
			sha1_update(&c, msg, cut);
			sha1_update(&c, msg + cut, len - cut);
			sha1_final(&c, part);
			assert_memory_equal(whole, part, SHA1_LEN);
		}
		sha1_init(&c);
		for (i = 0; i < len; i++)
			sha1_update(&c, msg + i, 1);
		sha1_final(&c, part);
		assert_memory_equal(whole, part, SHA1_LEN);
	}
}

struct hmac_case {
	uint8_t key[80];
	size_t key_len;
	uint8_t data[80];
	size_t data_len;
	const char *want;
};

/* RFC 2202 section 3, all seven cases. */
static void test_rfc2202(void **state)
{
	static struct hmac_case c[7];
	uint8_t d[SHA1_LEN];
	char h[2 * SHA1_LEN + 1];
	size_t i;

	(void)state;
	memset(c[0].key, 0x0b, c[0].key_len = 20);
	memcpy(c[0].data, "Hi There", c[0].data_len = 8);
	c[0].want = "b617318655057264e28bc0b6fb378c8ef146be00";
	memcpy(c[1].key, "Jefe", c[1].key_len = 4);
	memcpy(c[1].data, "what do ya want for nothing?", c[1].data_len = 28);
	c[1].want = "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79";
	memset(c[2].key, 0xaa, c[2].key_len = 20);
	memset(c[2].data, 0xdd, c[2].data_len = 50);
	c[2].want = "125d7342b9ac11cd91a39af48aa17b4f63f175d3";
	for (i = 0; i < 25; i++)
		c[3].key[i] = (uint8_t)(i + 1);
	c[3].key_len = 25;
	memset(c[3].data, 0xcd, c[3].data_len = 50);
	c[3].want = "4c9007f4026250c6bc8414f9bf50c86c2d7235da";
	memset(c[4].key, 0x0c, c[4].key_len = 20);
	memcpy(c[4].data, "Test With Truncation", c[4].data_len = 20);
	c[4].want = "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04";
	memset(c[5].key, 0xaa, c[5].key_len = 80);
	memcpy(c[5].data, "Test Using Larger Than Block-Size Key - Hash Key First",
	       c[5].data_len = 54);
	c[5].want = "aa4ae5e15272d00e95705637ce8a3b55ed402112";
	memset(c[6].key, 0xaa, c[6].key_len = 80);
	memcpy(c[6].data, "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
	       c[6].data_len = 73);
	c[6].want = "e8e99d0f45237d786d6bbaa7965c7808bbff1a91";

	for (i = 0; i < 7; i++) {
		sha1_hmac(c[i].key, c[i].key_len, c[i].data, c[i].data_len, d);
		hex(d, h);
		assert_string_equal(h, c[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3174),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_rfc2202),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
