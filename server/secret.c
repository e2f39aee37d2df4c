/* The secretbox key file in state_dir and sealing with it; plain copies are wiped. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/util.h"
#include "secret.h"

static void secret_init(void)
{
	/* Idempotent; fails only without an entropy source. */
	if (sodium_init() < 0)
		abort();
}

static int read_key(int fd, const char *what, const char *path, uint8_t key[SECRET_KEY_LEN])
{
	struct stat st;
	size_t got = 0;

	if (fstat(fd, &st) < 0) {
		int r = -errno;

		log_err("%s %s: %s", what, path, strerror(-r));
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		log_err("%s %s: not a regular file", what, path);
		return -EINVAL;
	}
	if ((st.st_mode & 077) || st.st_uid != geteuid()) {
		log_err("%s %s: must be owned by uid %u with mode 0600 (is uid %u, mode %04o)",
			what, path, (unsigned)geteuid(), (unsigned)st.st_uid,
			(unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	if (st.st_size != SECRET_KEY_LEN) {
		log_err("%s %s: %lld bytes, expected %d", what, path, (long long)st.st_size,
			SECRET_KEY_LEN);
		return -EINVAL;
	}
	while (got < SECRET_KEY_LEN) {
		ssize_t n = read(fd, key + got, SECRET_KEY_LEN - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int r = n < 0 ? -errno : -EINVAL;

			log_err("%s %s: %s", what, path, n < 0 ? strerror(-r) : "short read");
			return r;
		}
		got += (size_t)n;
	}
	return 0;
}

static int create_key(int fd, const char *what, const char *path, uint8_t key[SECRET_KEY_LEN])
{
	size_t done = 0;

	randombytes_buf(key, SECRET_KEY_LEN);
	while (done < SECRET_KEY_LEN) {
		ssize_t n = write(fd, key + done, SECRET_KEY_LEN - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			goto fail;
		}
		done += (size_t)n;
	}
	if (fsync(fd) == 0)
		return 0;
fail:
	{
		int r = -errno;

		log_err("%s %s: cannot write: %s", what, path, strerror(-r));
		/* A partial key would be refused on the next start; leave nothing behind. */
		unlink(path);
		return r;
	}
}

/* Both key files are 32 random bytes: the secretbox key, and the seed of the portal's
 * Ed25519 signing key. */
_Static_assert(SECRET_KEY_LEN == crypto_sign_SEEDBYTES, "key files are 32 bytes");

static int key_file(const char *state_dir, const char *name, const char *what,
		    uint8_t key[SECRET_KEY_LEN])
{
	char *path = xasprintf("%s/%s", state_dir, name);
	int fd = -1, r;

	secret_init();
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0) {
		r = create_key(fd, what, path, key);
		if (r == 0)
			log_info("%s %s: created", what, path);
		goto out;
	}
	if (errno != EEXIST) {
		r = -errno;
		log_err("%s %s: cannot create: %s", what, path, strerror(-r));
		goto out;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		log_err("%s %s: %s", what, path,
			r == -ELOOP ? "is a symbolic link" : strerror(-r));
		goto out;
	}
	r = read_key(fd, what, path, key);
out:
	if (fd >= 0)
		close(fd);
	if (r < 0)
		sodium_memzero(key, SECRET_KEY_LEN);
	free(path);
	return r;
}

int secret_seal(const uint8_t key[SECRET_KEY_LEN], const uint8_t *plain, size_t len,
		uint8_t *out, size_t *outlen)
{
	secret_init();
	randombytes_buf(out, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, plain, len, out, key);
	*outlen = SECRET_SEALED_LEN(len);
	return 0;
}

int secret_open(const uint8_t key[SECRET_KEY_LEN], const uint8_t *sealed, size_t len,
		uint8_t *out, size_t *outlen)
{
	secret_init();
	if (len < SECRET_OVERHEAD)
		return -EBADMSG;
	if (crypto_secretbox_open_easy(out, sealed + crypto_secretbox_NONCEBYTES,
				       len - crypto_secretbox_NONCEBYTES, sealed, key) != 0) {
		sodium_memzero(out, len - SECRET_OVERHEAD);
		return -EBADMSG;
	}
	*outlen = len - SECRET_OVERHEAD;
	return 0;
}

int secret_key_load_or_create(const char *state_dir, uint8_t key[SECRET_KEY_LEN])
{
	return key_file(state_dir, "secret.key", "secret key", key);
}

int secret_sign_key_load_or_create(const char *state_dir,
				   uint8_t pk[crypto_sign_PUBLICKEYBYTES],
				   uint8_t sk[crypto_sign_SECRETKEYBYTES])
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	int r = key_file(state_dir, "portal-sign.key", "portal signing key", seed);

	if (r == 0)
		crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof(seed));
	return r;
}
