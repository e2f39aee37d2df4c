/* Keys: clamping, base64 strictness, public key derivation, key files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profiles/key.h"

/* RFC 7748 section 6.1: Alice's private and public key. */
static const char *alice_priv_hex = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
static const char *alice_pub_hex = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";

static void from_hex(uint8_t *out, const char *hex)
{
	size_t i;

	for (i = 0; i < KEY_LEN; i++) {
		unsigned int v;

		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static void test_public_rfc7748(void **state)
{
	uint8_t priv[KEY_LEN], pub[KEY_LEN], want[KEY_LEN];

	(void)state;
	from_hex(priv, alice_priv_hex);
	from_hex(want, alice_pub_hex);
	assert_int_equal(key_public(pub, priv), 0);
	assert_memory_equal(pub, want, KEY_LEN);
}

static void test_genkey_clamped(void **state)
{
	uint8_t k[KEY_LEN], k2[KEY_LEN];
	int i;

	(void)state;
	for (i = 0; i < 64; i++) {
		key_generate_private(k);
		assert_int_equal(k[0] & 7, 0);
		assert_int_equal(k[31] & 128, 0);
		assert_int_equal(k[31] & 64, 64);
	}
	key_generate_private(k2);
	assert_memory_not_equal(k, k2, KEY_LEN);
}

static void test_base64_roundtrip(void **state)
{
	uint8_t k[KEY_LEN], back[KEY_LEN];
	char b64[KEY_B64_LEN];

	(void)state;
	key_generate_preshared(k);
	key_to_base64(b64, k);
	assert_int_equal(strlen(b64), 44);
	assert_int_equal(b64[43], '=');
	assert_int_equal(key_from_base64(back, b64), 0);
	assert_memory_equal(k, back, KEY_LEN);
}

static void test_base64_strict(void **state)
{
	uint8_t k[KEY_LEN];

	(void)state;
	/* valid: all zero key */
	assert_int_equal(key_from_base64(k, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), 0);
	assert_true(key_is_zero(k));
	/* too short, too long, no padding, bad character, non-canonical last character */
	assert_int_equal(key_from_base64(k, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), -EINVAL);
	assert_int_equal(key_from_base64(k, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), -EINVAL);
	assert_int_equal(key_from_base64(k, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), -EINVAL);
	assert_int_equal(key_from_base64(k, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA*="), -EINVAL);
	assert_int_equal(key_from_base64(k, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB="), -EINVAL);
	assert_int_equal(key_from_base64(k, ""), -EINVAL);
}

static void test_key_file(void **state)
{
	char dir[] = "/tmp/warren-keytest-XXXXXX", path[64];
	uint8_t k[KEY_LEN], back[KEY_LEN];
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k", dir);
	key_generate_private(k);
	assert_int_equal(key_write_file(path, k, false), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* O_EXCL: an existing file is not overwritten unless asked */
	assert_int_equal(key_write_file(path, k, false), -EEXIST);
	assert_int_equal(key_read_file(back, path), 0);
	assert_memory_equal(k, back, KEY_LEN);
	/* surrounding white space is accepted, garbage is not */
	f = fopen(path, "w");
	fprintf(f, "  \nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\n");
	fclose(f);
	assert_int_equal(key_read_file(back, path), 0);
	assert_true(key_is_zero(back));
	f = fopen(path, "w");
	fprintf(f, "not a key\n");
	fclose(f);
	assert_int_equal(key_read_file(back, path), -EINVAL);
	unlink(path);
	assert_int_equal(key_read_file(back, path), -ENOENT);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_public_rfc7748),
		cmocka_unit_test(test_genkey_clamped),
		cmocka_unit_test(test_base64_roundtrip),
		cmocka_unit_test(test_base64_strict),
		cmocka_unit_test(test_key_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
