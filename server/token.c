/* Bearer secrets: made from the system's random source, kept as their hash. */
#include <string.h>

#include <sodium.h>

#include "token.h"

void token_new(char out[TOKEN_LEN + 1])
{
	uint8_t raw[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, TOKEN_LEN + 1, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

bool token_hash(const char *tok, uint8_t h[TOKEN_HASH_LEN])
{
	uint8_t raw[32];
	size_t len = 0, n = strnlen(tok, TOKEN_LEN + 1);
	const char *end = NULL;

	memset(h, 0, TOKEN_HASH_LEN);
	/* Exactly 43 characters that decode to 32 bytes, and nothing after them. */
	if (n != TOKEN_LEN ||
	    sodium_base642bin(raw, sizeof(raw), tok, n, NULL, &len, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != sizeof(raw) || end != tok + n) {
		sodium_memzero(raw, sizeof(raw));
		return false;
	}
	sodium_memzero(raw, sizeof(raw));
	crypto_generichash(h, TOKEN_HASH_LEN, (const uint8_t *)tok, n, NULL, 0);
	return true;
}
