/* Voucher codes in Crockford's base32 with its mod-37 check symbol. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "voucher.h"

/* 0-9A-Z without I, L, O and U; then the five check-only symbols for 32..36. */
static const char symbols[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";

_Static_assert(sizeof(symbols) == 37 + 1, "37 symbols");
_Static_assert(VOUCHER_DATA * 5 <= VOUCHER_RAW_LEN * 8, "the bits fit");
_Static_assert(VOUCHER_TEXT_LEN == VOUCHER_SYMBOLS + VOUCHER_SYMBOLS / 4 - 1, "groups of four");

/* The value of a typed character: 0..36, or -1. Case and the look-alikes are forgiven. */
static int value_of(char c)
{
	const char *p;

	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c == 'O')
		c = '0';
	else if (c == 'I' || c == 'L')
		c = '1';
	if (!c)
		return -1;
	p = strchr(symbols, c);
	return p ? (int)(p - symbols) : -1;
}

/* The data symbols' number, mod 37: Horner's rule in base 32. */
static int check_of(const int v[VOUCHER_DATA])
{
	int i, r = 0;

	for (i = 0; i < VOUCHER_DATA; i++)
		r = (r * 32 + v[i]) % 37;
	return r;
}

static void format(const int v[VOUCHER_SYMBOLS], char out[VOUCHER_TEXT_LEN + 1])
{
	int i, o = 0;

	for (i = 0; i < VOUCHER_SYMBOLS; i++) {
		if (i && i % 4 == 0)
			out[o++] = '-';
		out[o++] = symbols[v[i]];
	}
	out[o] = '\0';
}

void voucher_from_raw(const uint8_t raw[VOUCHER_RAW_LEN], char out[VOUCHER_TEXT_LEN + 1])
{
	int v[VOUCHER_SYMBOLS], i;
	unsigned bit = 0;

	for (i = 0; i < VOUCHER_DATA; i++) {
		int k, s = 0;

		for (k = 0; k < 5; k++, bit++)
			s = s << 1 | ((raw[bit / 8] >> (7 - bit % 8)) & 1);
		v[i] = s;
	}
	v[VOUCHER_DATA] = check_of(v);
	format(v, out);
	sodium_memzero(v, sizeof(v));
}

void voucher_new(char out[VOUCHER_TEXT_LEN + 1])
{
	uint8_t raw[VOUCHER_RAW_LEN];

	randombytes_buf(raw, sizeof(raw));
	voucher_from_raw(raw, out);
	sodium_memzero(raw, sizeof(raw));
}

/* A character for a message: itself when printable, else its code. */
static void show(unsigned char c, char out[8])
{
	if (c >= 0x21 && c < 0x7f)
		snprintf(out, 8, "\"%c\"", c);
	else
		snprintf(out, 8, "0x%02x", c);
}

int voucher_parse(const char *in, char canon[VOUCHER_TEXT_LEN + 1], char *why, size_t whylen)
{
	int v[VOUCHER_SYMBOLS];
	size_t i, n = 0, len = strnlen(in, VOUCHER_INPUT_MAX + 1);
	char bad[8];
	int r = -EINVAL;

	canon[0] = '\0';
	if (!why)
		whylen = 0;
	if (len > VOUCHER_INPUT_MAX) {
		snprintf(why, whylen, "code: longer than %d characters", VOUCHER_INPUT_MAX);
		return r;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		int x;

		if (c == '-' || c == ' ')
			continue;
		x = value_of((char)c);
		if (x < 0) {
			show(c, bad);
			snprintf(why, whylen, "code: %s is not a character of a code", bad);
			return r;
		}
		if (n < VOUCHER_SYMBOLS)
			v[n] = x;
		n++;
	}
	if (n != VOUCHER_SYMBOLS) {
		snprintf(why, whylen, "code: %zu characters, expected %d as in XXXX-XXXX-XXXX-XXXX-XXXX",
			 n, VOUCHER_SYMBOLS);
		goto out;
	}
	/* The symbols only a check may be (*, ~, $, = and U) are no data. */
	for (i = 0; i < VOUCHER_DATA; i++) {
		if (v[i] >= 32) {
			show((unsigned char)symbols[v[i]], bad);
			snprintf(why, whylen, "code: %s is not a character of a code", bad);
			goto out;
		}
	}
	if (check_of(v) != v[VOUCHER_DATA]) {
		r = -EBADMSG;
		snprintf(why, whylen, "code: wrong check character, a typing error?");
		goto out;
	}
	format(v, canon);
	r = 0;
out:
	sodium_memzero(v, sizeof(v));
	return r;
}

void voucher_key(const uint8_t secret[32], uint8_t key[VOUCHER_KEY_LEN])
{
	_Static_assert(crypto_kdf_KEYBYTES == 32, "the server's secret is a KDF key");
	crypto_kdf_derive_from_key(key, VOUCHER_KEY_LEN, 1, "vouchers", secret);
}

void voucher_hash(const uint8_t key[VOUCHER_KEY_LEN], const char canon[VOUCHER_TEXT_LEN + 1],
		  uint8_t h[VOUCHER_HASH_LEN])
{
	crypto_generichash(h, VOUCHER_HASH_LEN, (const uint8_t *)canon, strlen(canon), key,
			   VOUCHER_KEY_LEN);
}
