/* Secrets at rest: the key file's creation and checks, sealing and tamper detection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/secret.h"

struct dir {
	char path[64];
	char key[96];
};

static int dir_setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	strcpy(d->path, "/tmp/warren-secret-XXXXXX");
	assert_non_null(mkdtemp(d->path));
	snprintf(d->key, sizeof(d->key), "%s/secret.key", d->path);
	*state = d;
	return 0;
}

static int dir_teardown(void **state)
{
	struct dir *d = *state;
	char link[128];

	snprintf(link, sizeof(link), "%s/target", d->path);
	unlink(d->key);
	unlink(link);
	rmdir(d->path);
	free(d);
	return 0;
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_key_created_and_reused(void **state)
{
	struct dir *d = *state;
	uint8_t k1[SECRET_KEY_LEN], k2[SECRET_KEY_LEN], zero[SECRET_KEY_LEN] = { 0 };
	struct stat st;

	assert_int_equal(secret_key_load_or_create(d->path, k1), 0);
	assert_int_equal(stat(d->key, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, SECRET_KEY_LEN);
	assert_memory_not_equal(k1, zero, SECRET_KEY_LEN);

	assert_int_equal(secret_key_load_or_create(d->path, k2), 0);
	assert_memory_equal(k1, k2, SECRET_KEY_LEN);
}

static void test_key_group_readable_refused(void **state)
{
	struct dir *d = *state;
	uint8_t raw[SECRET_KEY_LEN], k[SECRET_KEY_LEN], zero[SECRET_KEY_LEN] = { 0 };

	memset(raw, 0xab, sizeof(raw));
	write_file(d->key, raw, sizeof(raw), 0644);
	memset(k, 0x55, sizeof(k));
	assert_int_equal(secret_key_load_or_create(d->path, k), -EPERM);
	assert_memory_equal(k, zero, SECRET_KEY_LEN);
	assert_int_equal(chmod(d->key, 0640), 0);
	assert_int_equal(secret_key_load_or_create(d->path, k), -EPERM);
	assert_int_equal(chmod(d->key, 0602), 0);
	assert_int_equal(secret_key_load_or_create(d->path, k), -EPERM);
	/* Fixed by the admin, the very same key is used: never replaced. */
	assert_int_equal(chmod(d->key, 0600), 0);
	assert_int_equal(secret_key_load_or_create(d->path, k), 0);
	assert_memory_equal(k, raw, SECRET_KEY_LEN);
}

static void test_key_wrong_size_refused(void **state)
{
	struct dir *d = *state;
	uint8_t raw[SECRET_KEY_LEN + 1], k[SECRET_KEY_LEN];
	struct stat st;

	memset(raw, 1, sizeof(raw));
	write_file(d->key, raw, SECRET_KEY_LEN - 1, 0600);
	assert_int_equal(secret_key_load_or_create(d->path, k), -EINVAL);
	write_file(d->key, raw, SECRET_KEY_LEN + 1, 0600);
	assert_int_equal(secret_key_load_or_create(d->path, k), -EINVAL);
	write_file(d->key, raw, 0, 0600);
	assert_int_equal(secret_key_load_or_create(d->path, k), -EINVAL);
	/* Left as it was for the admin to look at. */
	assert_int_equal(stat(d->key, &st), 0);
	assert_int_equal(st.st_size, 0);
}

static void test_key_symlink_refused(void **state)
{
	struct dir *d = *state;
	uint8_t raw[SECRET_KEY_LEN], k[SECRET_KEY_LEN];
	char target[128];

	snprintf(target, sizeof(target), "%s/target", d->path);
	memset(raw, 2, sizeof(raw));
	write_file(target, raw, sizeof(raw), 0600);
	assert_int_equal(symlink(target, d->key), 0);
	assert_int_equal(secret_key_load_or_create(d->path, k), -ELOOP);
	/* A dangling link is not followed to create a file elsewhere either. */
	assert_int_equal(unlink(target), 0);
	assert_int_equal(secret_key_load_or_create(d->path, k), -ELOOP);
	assert_int_equal(access(target, F_OK), -1);
}

static void test_key_missing_dir(void **state)
{
	uint8_t k[SECRET_KEY_LEN];

	(void)state;
	assert_int_equal(secret_key_load_or_create("/nonexistent/warren", k), -ENOENT);
}

static void test_seal_roundtrip(void **state)
{
	uint8_t key[SECRET_KEY_LEN], plain[32], sealed[SECRET_SEALED_LEN(32)], sealed2[sizeof(sealed)];
	uint8_t back[32];
	size_t n = 0, m = 0;

	(void)state;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(plain, sizeof(plain));
	assert_int_equal(secret_seal(key, plain, sizeof(plain), sealed, &n), 0);
	assert_int_equal(n, 32 + 24 + 16);
	assert_int_equal(secret_open(key, sealed, n, back, &m), 0);
	assert_int_equal(m, 32);
	assert_memory_equal(back, plain, 32);
	/* A fresh nonce every time: the same plaintext never seals the same twice. */
	assert_int_equal(secret_seal(key, plain, sizeof(plain), sealed2, &n), 0);
	assert_memory_not_equal(sealed, sealed2, sizeof(sealed));
	/* Empty plaintext is still authenticated. */
	assert_int_equal(secret_seal(key, plain, 0, sealed, &n), 0);
	assert_int_equal(n, SECRET_OVERHEAD);
	assert_int_equal(secret_open(key, sealed, n, back, &m), 0);
	assert_int_equal(m, 0);
}

static void test_open_tampered(void **state)
{
	uint8_t key[SECRET_KEY_LEN], plain[32], sealed[SECRET_SEALED_LEN(32)], back[32];
	size_t n, m = 99, i;

	(void)state;
	randombytes_buf(key, sizeof(key));
	memset(plain, 7, sizeof(plain));
	assert_int_equal(secret_seal(key, plain, sizeof(plain), sealed, &n), 0);
	/* Every byte matters: nonce, MAC and ciphertext. */
	for (i = 0; i < n; i++) {
		sealed[i] ^= 0x01;
		memset(back, 0xee, sizeof(back));
		assert_int_equal(secret_open(key, sealed, n, back, &m), -EBADMSG);
		sealed[i] ^= 0x01;
	}
	assert_int_equal(m, 99);
	/* Truncated, or shorter than nonce + MAC. */
	assert_int_equal(secret_open(key, sealed, n - 1, back, &m), -EBADMSG);
	assert_int_equal(secret_open(key, sealed, SECRET_OVERHEAD - 1, back, &m), -EBADMSG);
	assert_int_equal(secret_open(key, sealed, 0, back, &m), -EBADMSG);
	assert_int_equal(secret_open(key, sealed, n, back, &m), 0);
	assert_memory_equal(back, plain, sizeof(plain));
}

static void test_open_wrong_key(void **state)
{
	uint8_t key[SECRET_KEY_LEN], other[SECRET_KEY_LEN], plain[32];
	uint8_t sealed[SECRET_SEALED_LEN(32)], back[32], zero[32] = { 0 };
	size_t n, m;

	(void)state;
	randombytes_buf(key, sizeof(key));
	memcpy(other, key, sizeof(other));
	other[31] ^= 0x80;
	memset(plain, 9, sizeof(plain));
	assert_int_equal(secret_seal(key, plain, sizeof(plain), sealed, &n), 0);
	memset(back, 0xee, sizeof(back));
	assert_int_equal(secret_open(other, sealed, n, back, &m), -EBADMSG);
	assert_memory_equal(back, zero, sizeof(back));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_key_created_and_reused, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_key_group_readable_refused, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_key_wrong_size_refused, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_key_symlink_refused, dir_setup, dir_teardown),
		cmocka_unit_test(test_key_missing_dir),
		cmocka_unit_test(test_seal_roundtrip),
		cmocka_unit_test(test_open_tampered),
		cmocka_unit_test(test_open_wrong_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
