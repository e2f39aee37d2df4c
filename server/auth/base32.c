/* Base32 without padding: encoding, and a strict decoder for what a person pastes. */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "base32.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int base32_encode(const uint8_t *in, size_t len, char *out, size_t size)
{
	size_t i, o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (len > (SIZE_MAX - 4) / 8 || size < BASE32_LEN(len) + 1)
		return -ENOSPC;
	for (i = 0; i < len; i++) {
		acc = (acc << 8 | in[i]) & 0xfff;       /* at most 12 bits are ever pending */
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = alphabet[(acc >> bits) & 31];
		}
	}
	if (bits)
		out[o++] = alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return 0;
}

static int symbol(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

int base32_decode(const char *in, size_t len, uint8_t *out, size_t size, size_t *outlen)
{
	size_t i, n = 0, o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	*outlen = 0;
	/* First pass: every character allowed, and a length some byte string encodes to
	 * (8 symbols make 5 bytes; 1, 3 or 6 left over cannot happen). */
	for (i = 0; i < len; i++) {
		if (in[i] == ' ')
			continue;
		if (symbol(in[i]) < 0)
			return -EINVAL;
		n++;
	}
	if (n % 8 == 1 || n % 8 == 3 || n % 8 == 6)
		return -EINVAL;
	if (n * 5 / 8 > size)
		return -ENOSPC;
	for (i = 0; i < len; i++) {
		if (in[i] == ' ')
			continue;
		acc = (acc << 5 | (uint32_t)symbol(in[i])) & 0xfff;   /* 12 bits at most */
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (acc & ((1u << bits) - 1)) {
		sodium_memzero(out, o);
		return -EINVAL;
	}
	*outlen = o;
	return 0;
}
