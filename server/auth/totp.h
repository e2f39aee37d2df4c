/* Time-based one-time passwords (RFC 6238) as authenticator apps make them: HMAC-SHA1,
 * 30-second steps, 6 digits; secrets of 20 random bytes shown in base32. */
#ifndef WARREN_SERVER_AUTH_TOTP_H
#define WARREN_SERVER_AUTH_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "base32.h"

#define TOTP_SECRET_LEN 20                      /* bytes, the size of an HMAC-SHA1 output */
#define TOTP_SECRET_B32_LEN BASE32_LEN(TOTP_SECRET_LEN)   /* 32 characters */
#define TOTP_PERIOD_S 30
#define TOTP_DIGITS 6
#define TOTP_WINDOW 1                           /* steps accepted either side of now */

/* A new secret from the system's random source; the caller wipes it after use. */
void totp_secret_new(uint8_t secret[TOTP_SECRET_LEN]);

/* The step that unix_s (seconds since 1970, UTC) falls in. */
uint64_t totp_step(uint64_t unix_s);

/* The HOTP value (RFC 4226) of key for counter (a TOTP step), to that many decimal
 * digits (6 to 9; outside that range, 6). */
uint32_t totp_code(const uint8_t *key, size_t key_len, uint64_t counter, unsigned digits);

/* Check code (exactly TOTP_DIGITS ASCII digits, NUL-terminated; NULL is malformed)
 * against the steps TOTP_WINDOW around unix_s, comparing in constant time. *last_step is
 * the step of the last code this account had accepted (0 for none): a code of that step
 * or earlier is refused, so a code works once. On success *last_step is set to the
 * matched step, and the caller stores it before it answers.
 * 0 accepted; -EINVAL not TOTP_DIGITS digits; -EACCES wrong; -EALREADY a code already
 * used (or older than the one used). */
int totp_verify(const uint8_t *key, size_t key_len, const char *code, uint64_t unix_s,
		uint64_t *last_step);

/* The enrolment URI for a QR code:
 *   otpauth://totp/ISSUER:NAME?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
 * with issuer and name percent-encoded (all but RFC 3986 unreserved characters). 0 with
 * *out allocated, or -EINVAL when issuer, name or key is empty. *out holds the secret:
 * free it with totp_uri_free. */
int totp_uri(const char *issuer, const char *name, const uint8_t *key, size_t key_len,
	     char **out);
/* Wipes and frees a URI from totp_uri; NULL is fine. */
void totp_uri_free(char *uri);

#endif
