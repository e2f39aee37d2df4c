/* Base32 (RFC 4648 section 6) without padding, the form authenticator apps take a TOTP
 * secret in. */
#ifndef WARREN_SERVER_AUTH_BASE32_H
#define WARREN_SERVER_AUTH_BASE32_H

#include <stddef.h>
#include <stdint.h>

/* Characters for n bytes, without the NUL. */
#define BASE32_LEN(n) (((n) * 8 + 4) / 5)

/* Upper case, no padding, NUL-terminated. 0, or -ENOSPC when size < BASE32_LEN(len) + 1. */
int base32_encode(const uint8_t *in, size_t len, char *out, size_t size);

/* Decode len characters of in: either case, spaces ignored (apps show the secret in
 * groups), nothing else; no '=' padding; the unused low bits of the last character must
 * be zero, so each byte string has one spelling. 0 with *outlen set, -EINVAL for
 * anything else, -ENOSPC when the result is longer than size. On failure nothing of out
 * is left written. */
int base32_decode(const char *in, size_t len, uint8_t *out, size_t size, size_t *outlen);

#endif
