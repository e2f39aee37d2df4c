/* Key generation and encoding on libsodium; every temporary copy of a secret is wiped. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "key.h"

static void key_init(void)
{
	/* sodium_init is idempotent and thread-safe; it fails only without entropy. */
	if (sodium_init() < 0)
		abort();
}

void key_generate_preshared(uint8_t key[KEY_LEN])
{
	key_init();
	randombytes_buf(key, KEY_LEN);
}

void key_generate_private(uint8_t key[KEY_LEN])
{
	key_generate_preshared(key);
	key[0] &= 248;
	key[31] = (key[31] & 127) | 64;
}

int key_public(uint8_t pub[KEY_LEN], const uint8_t priv[KEY_LEN])
{
	key_init();
	/* crypto_scalarmult_base clamps a copy itself, exactly as wg pubkey does. */
	if (crypto_scalarmult_curve25519_base(pub, priv) != 0)
		return -EINVAL;
	return 0;
}

bool key_is_zero(const uint8_t key[KEY_LEN])
{
	return sodium_is_zero(key, KEY_LEN) != 0;
}

int key_from_base64(uint8_t key[KEY_LEN], const char *b64)
{
	uint8_t tmp[KEY_LEN + 2];
	size_t len = 0;
	int r = -EINVAL;

	key_init();
	if (strlen(b64) != KEY_B64_LEN - 1 || b64[KEY_B64_LEN - 2] != '=')
		return -EINVAL;
	if (sodium_base642bin(tmp, sizeof(tmp), b64, KEY_B64_LEN - 1, NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) == 0 && len == KEY_LEN) {
		memcpy(key, tmp, KEY_LEN);
		r = 0;
	}
	sodium_memzero(tmp, sizeof(tmp));
	return r;
}

void key_to_base64(char b64[KEY_B64_LEN], const uint8_t key[KEY_LEN])
{
	key_init();
	sodium_bin2base64(b64, KEY_B64_LEN, key, KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
}

int key_read_file(uint8_t key[KEY_LEN], const char *path)
{
	char buf[128], *s, *e;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		goto out;
	buf[n] = '\0';
	for (s = buf; *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'; s++)
		;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'); e--)
		;
	*e = '\0';
	r = key_from_base64(key, s);
out:
	sodium_memzero(buf, sizeof(buf));
	return r;
}

int key_write_file(const char *path, const uint8_t key[KEY_LEN], bool overwrite)
{
	char b64[KEY_B64_LEN + 1];
	size_t len;
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (overwrite ? O_TRUNC : O_EXCL), 0600);
	if (fd < 0)
		return -errno;
	/* An existing file may have looser permissions: tighten before writing the secret. */
	if (fchmod(fd, 0600) < 0) {
		r = -errno;
		goto out;
	}
	key_to_base64(b64, key);
	len = strlen(b64);
	b64[len++] = '\n';
	if (write(fd, b64, len) != (ssize_t)len)
		r = errno ? -errno : -EIO;
out:
	sodium_memzero(b64, sizeof(b64));
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}
