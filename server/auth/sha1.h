/* SHA-1 (FIPS 180-4) and HMAC-SHA1 (RFC 2104), for TOTP only: authenticator apps expect
 * HMAC-SHA1 and libsodium has no SHA-1. Nothing else should use them. */
#ifndef WARREN_SERVER_AUTH_SHA1_H
#define WARREN_SERVER_AUTH_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_LEN 20
#define SHA1_BLOCK 64

struct sha1_ctx {
	uint32_t h[5];
	uint64_t len;               /* bytes hashed so far */
	uint8_t buf[SHA1_BLOCK];
	size_t used;                /* bytes waiting in buf */
};

void sha1_init(struct sha1_ctx *c);
void sha1_update(struct sha1_ctx *c, const void *data, size_t len);
/* Writes the digest and wipes c; c needs sha1_init before it is used again. */
void sha1_final(struct sha1_ctx *c, uint8_t out[SHA1_LEN]);

/* One-shot digest. */
void sha1_digest(const void *data, size_t len, uint8_t out[SHA1_LEN]);
/* HMAC-SHA1 of msg under key (any length); every key-derived buffer is wiped. */
void sha1_hmac(const uint8_t *key, size_t key_len, const void *msg, size_t msg_len,
	       uint8_t out[SHA1_LEN]);

#endif
