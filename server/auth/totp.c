/* TOTP codes, their verification with a window and replay refusal, and the otpauth URI. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sha1.h"
#include "totp.h"
#include "../../common/util.h"

void totp_secret_new(uint8_t secret[TOTP_SECRET_LEN])
{
	randombytes_buf(secret, TOTP_SECRET_LEN);
}

uint64_t totp_step(uint64_t unix_s)
{
	return unix_s / TOTP_PERIOD_S;
}

uint32_t totp_code(const uint8_t *key, size_t key_len, uint64_t counter, unsigned digits)
{
	static const uint32_t mod[] = { 1000000, 10000000, 100000000, 1000000000 };
	uint8_t msg[8], mac[SHA1_LEN];
	uint32_t bin;
	unsigned i, off;

	if (digits < 6 || digits > 9)
		digits = 6;
	for (i = 0; i < 8; i++)
		msg[i] = (uint8_t)(counter >> (56 - 8 * i));
	sha1_hmac(key, key_len, msg, sizeof(msg), mac);
	/* RFC 4226 section 5.3: dynamic truncation to 31 bits. */
	off = mac[SHA1_LEN - 1] & 0xf;
	bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
	      (uint32_t)mac[off + 2] << 8 | mac[off + 3];
	sodium_memzero(mac, sizeof(mac));
	return bin % mod[digits - 6];
}

int totp_verify(const uint8_t *key, size_t key_len, const char *code, uint64_t unix_s,
		uint64_t *last_step)
{
	uint64_t now = totp_step(unix_s), step, best = 0;
	char want[TOTP_DIGITS + 1];
	bool matched = false;
	int d;

	if (!code)
		return -EINVAL;
	for (d = 0; d < TOTP_DIGITS; d++)
		if (code[d] < '0' || code[d] > '9')
			return -EINVAL;
	if (code[TOTP_DIGITS] != '\0')
		return -EINVAL;
	/* Every step of the window is computed and compared, whichever matches, so the time
	 * taken says nothing about which one did. */
	for (d = -TOTP_WINDOW; d <= TOTP_WINDOW; d++) {
		if ((d < 0 && now < (uint64_t)-d) || (d > 0 && now > UINT64_MAX - (uint64_t)d))
			continue;
		step = now + (uint64_t)(int64_t)d;
		snprintf(want, sizeof(want), "%0*u", TOTP_DIGITS,
			 (unsigned)totp_code(key, key_len, step, TOTP_DIGITS));
		if (sodium_memcmp(want, code, TOTP_DIGITS) == 0) {
			matched = true;
			best = step;        /* ascending: the latest matching step wins */
		}
	}
	sodium_memzero(want, sizeof(want));
	if (!matched)
		return -EACCES;
	if (best <= *last_step)
		return -EALREADY;
	*last_step = best;
	return 0;
}

/* RFC 3986 unreserved characters stay, every other byte becomes %XX. */
static char *percent_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), o = 0, i;
	char *out = xmalloc(3 * n + 1);

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

int totp_uri(const char *issuer, const char *name, const uint8_t *key, size_t key_len,
	     char **out)
{
	size_t b32_size = BASE32_LEN(key_len) + 1;
	char *b32, *iss, *nm;

	*out = NULL;
	if (!*issuer || !*name || key_len == 0)
		return -EINVAL;
	b32 = xmalloc(b32_size);
	base32_encode(key, key_len, b32, b32_size);
	iss = percent_encode(issuer);
	nm = percent_encode(name);
	*out = xasprintf("otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=%d"
			 "&period=%d", iss, nm, b32, iss, TOTP_DIGITS, TOTP_PERIOD_S);
	sodium_memzero(b32, b32_size);
	free(b32);
	free(iss);
	free(nm);
	return 0;
}

void totp_uri_free(char *uri)
{
	if (!uri)
		return;
	sodium_memzero(uri, strlen(uri));
	free(uri);
}
