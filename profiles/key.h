/* WireGuard keys: Curve25519 private/public keys and preshared keys, base64 as wg prints them. */
#ifndef WARREN_KEY_H
#define WARREN_KEY_H

#include <stdbool.h>
#include <stdint.h>

#define KEY_LEN 32
#define KEY_B64_LEN 45 /* 44 characters and NUL */

/* Random private key, clamped as `wg genkey` does. */
void key_generate_private(uint8_t key[KEY_LEN]);
/* Random preshared key (not clamped), as `wg genpsk`. */
void key_generate_preshared(uint8_t key[KEY_LEN]);
/* Public key of a private key; 0 or -EINVAL (a key whose public point is zero). */
int key_public(uint8_t pub[KEY_LEN], const uint8_t priv[KEY_LEN]);
/* Strict: exactly 44 characters of standard base64 ending in '=' encoding 32 bytes. */
int key_from_base64(uint8_t key[KEY_LEN], const char *b64);
void key_to_base64(char b64[KEY_B64_LEN], const uint8_t key[KEY_LEN]);
bool key_is_zero(const uint8_t key[KEY_LEN]);
/* Read a key file (base64, surrounding white space allowed); the buffer is wiped.
 * 0, -errno from open/read, or -EINVAL for bad content. */
int key_read_file(uint8_t key[KEY_LEN], const char *path);
/* Write base64 + newline to a new file created 0600 (O_EXCL unless overwrite). */
int key_write_file(const char *path, const uint8_t key[KEY_LEN], bool overwrite);

#endif
