/* Bearer secrets of the portal: enrolment tokens, device credentials and admin API
 * tokens. 32 random bytes, base64url without padding; stored only as BLAKE2b-256. */
#ifndef WARREN_TOKEN_H
#define WARREN_TOKEN_H

#include <stdbool.h>
#include <stdint.h>

#define TOKEN_LEN 43            /* characters, without the NUL */
#define TOKEN_HASH_LEN 32

/* A new token in out (TOKEN_LEN + 1 bytes); the caller wipes it after use. */
void token_new(char out[TOKEN_LEN + 1]);
/* The hash of a token as the database keeps it: false (and h zeroed) for anything that is
 * not a well-formed token, so garbage never reaches a lookup. */
bool token_hash(const char *tok, uint8_t h[TOKEN_HASH_LEN]);

#endif
