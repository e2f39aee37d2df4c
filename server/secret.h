/* Secrets at rest: the server's secretbox key file and sealing of users' private keys,
 * and the portal's signing key. */
#ifndef WARREN_SECRET_H
#define WARREN_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define SECRET_KEY_LEN crypto_secretbox_KEYBYTES
/* Sealed form: a random nonce, then XSalsa20-Poly1305 ciphertext and its MAC. */
#define SECRET_OVERHEAD (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
#define SECRET_SEALED_LEN(plain_len) ((plain_len) + SECRET_OVERHEAD)

/* Read STATE_DIR/secret.key (exactly SECRET_KEY_LEN raw bytes), or create it from
 * randombytes with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, fsynced. An existing file is
 * refused, never replaced, since every sealed key depends on it: -EPERM when it grants
 * group or others any access or is owned by another user, -EINVAL when it is not a
 * regular file or its size is wrong (also after a crash mid-create: restore it or remove
 * it knowingly), -ELOOP for a symlink, -errno otherwise. A failure is logged once, naming
 * the file. On failure key is zeroed. */
int secret_key_load_or_create(const char *state_dir, uint8_t key[SECRET_KEY_LEN]);

/* The portal's profile-signing key (docs/portal.md): its seed in
 * STATE_DIR/portal-sign.key, made and checked exactly as secret.key is. */
int secret_sign_key_load_or_create(const char *state_dir,
				   uint8_t pk[crypto_sign_PUBLICKEYBYTES],
				   uint8_t sk[crypto_sign_SECRETKEYBYTES]);

/* out (not overlapping plain) must hold SECRET_SEALED_LEN(len) bytes; *outlen is set to
 * that. Always 0. */
int secret_seal(const uint8_t key[SECRET_KEY_LEN], const uint8_t *plain, size_t len,
		uint8_t *out, size_t *outlen);

/* out (not overlapping sealed) must hold len - SECRET_OVERHEAD bytes. 0, or -EBADMSG
 * when sealed is too short, was altered or was sealed under another key (out is then
 * zeroed). */
int secret_open(const uint8_t key[SECRET_KEY_LEN], const uint8_t *sealed, size_t len,
		uint8_t *out, size_t *outlen);

#endif
