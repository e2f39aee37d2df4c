/* Prepaid voucher codes: 95 random bits as 19 Crockford base32 symbols and a check
 * symbol (the number mod 37), shown in groups of four, XXXX-XXXX-XXXX-XXXX-XXXX; read
 * back as a person types them; kept only as a hash keyed from the server's secret. */
#ifndef WARREN_SERVER_AUTH_VOUCHER_H
#define WARREN_SERVER_AUTH_VOUCHER_H

#include <stddef.h>
#include <stdint.h>

#define VOUCHER_DATA 19                 /* symbols of 5 random bits each */
#define VOUCHER_SYMBOLS 20              /* with the check symbol */
#define VOUCHER_RAW_LEN 12              /* bytes that hold the 95 bits */
#define VOUCHER_TEXT_LEN 24             /* XXXX-XXXX-XXXX-XXXX-XXXX, without the NUL */
#define VOUCHER_INPUT_MAX 64            /* the longest text voucher_parse reads */
#define VOUCHER_KEY_LEN 32
#define VOUCHER_HASH_LEN 32

/* A new code from randombytes_buf into out; the caller wipes it after use. */
void voucher_new(char out[VOUCHER_TEXT_LEN + 1]);
/* The code of the first 95 bits of raw (the last bit is ignored), for tests. */
void voucher_from_raw(const uint8_t raw[VOUCHER_RAW_LEN], char out[VOUCHER_TEXT_LEN + 1]);

/* What a person typed, as the canonical text voucher_new gives: either case, O read as
 * 0, I and L as 1, dashes and spaces anywhere ignored. 0; -EINVAL for another length or
 * a character that is no symbol (or a check symbol among the data); -EBADMSG when only
 * the check symbol disagrees (a typing error). why (may be NULL) gets the message,
 * starting "code: ". */
int voucher_parse(const char *in, char canon[VOUCHER_TEXT_LEN + 1], char *why, size_t whylen);

/* The hashing key of vouchers, derived from the server's 32-byte secret (a subkey of
 * its own: the secret itself never hashes codes). */
void voucher_key(const uint8_t secret[32], uint8_t key[VOUCHER_KEY_LEN]);
/* The keyed BLAKE2b-256 of a canonical code, what the database keeps. */
void voucher_hash(const uint8_t key[VOUCHER_KEY_LEN], const char canon[VOUCHER_TEXT_LEN + 1],
		  uint8_t h[VOUCHER_HASH_LEN]);

#endif
