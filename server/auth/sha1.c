/* SHA-1 and HMAC-SHA1, written from FIPS 180-4 section 6.1 and RFC 2104. */
#include <string.h>

#include <sodium.h>

#include "sha1.h"

static uint32_t rol32(uint32_t x, unsigned n)
{
	return x << n | x >> (32 - n);
}

static uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void sha1_block(uint32_t h[5], const uint8_t p[SHA1_BLOCK])
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f, k, t;
	unsigned i;

	for (i = 0; i < 16; i++)
		w[i] = load_be32(p + 4 * i);
	for (i = 16; i < 80; i++)
		w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = rol32(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol32(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	/* In HMAC the schedule is derived from the key. */
	sodium_memzero(w, sizeof(w));
}

void sha1_init(struct sha1_ctx *c)
{
	static const uint32_t iv[5] = {
		0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0,
	};

	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
	c->used = 0;
}

void sha1_update(struct sha1_ctx *c, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (!len)
		return;         /* data may then be NULL, which memcpy must not see */
	c->len += len;
	if (c->used) {
		size_t n = SHA1_BLOCK - c->used;

		if (n > len)
			n = len;
		memcpy(c->buf + c->used, p, n);
		c->used += n;
		p += n;
		len -= n;
		if (c->used < SHA1_BLOCK)
			return;
		sha1_block(c->h, c->buf);
		c->used = 0;
	}
	for (; len >= SHA1_BLOCK; p += SHA1_BLOCK, len -= SHA1_BLOCK)
		sha1_block(c->h, p);
	memcpy(c->buf, p, len);
	c->used = len;
}

void sha1_final(struct sha1_ctx *c, uint8_t out[SHA1_LEN])
{
	uint64_t bits = c->len * 8;
	unsigned i;

	/* 0x80, zeros up to 56 bytes into a block, then the length in bits, big-endian. */
	c->buf[c->used++] = 0x80;
	if (c->used > SHA1_BLOCK - 8) {
		memset(c->buf + c->used, 0, SHA1_BLOCK - c->used);
		sha1_block(c->h, c->buf);
		c->used = 0;
	}
	memset(c->buf + c->used, 0, SHA1_BLOCK - 8 - c->used);
	store_be32(c->buf + SHA1_BLOCK - 8, (uint32_t)(bits >> 32));
	store_be32(c->buf + SHA1_BLOCK - 4, (uint32_t)bits);
	sha1_block(c->h, c->buf);
	for (i = 0; i < 5; i++)
		store_be32(out + 4 * i, c->h[i]);
	sodium_memzero(c, sizeof(*c));
}

void sha1_digest(const void *data, size_t len, uint8_t out[SHA1_LEN])
{
	struct sha1_ctx c;

	sha1_init(&c);
	sha1_update(&c, data, len);
	sha1_final(&c, out);
}

void sha1_hmac(const uint8_t *key, size_t key_len, const void *msg, size_t msg_len,
	       uint8_t out[SHA1_LEN])
{
	uint8_t k0[SHA1_BLOCK] = { 0 }, pad[SHA1_BLOCK], inner[SHA1_LEN];
	struct sha1_ctx c;
	unsigned i;

	/* RFC 2104 section 2: a key longer than a block is replaced by its digest. */
	if (key_len > SHA1_BLOCK)
		sha1_digest(key, key_len, k0);
	else if (key_len)
		memcpy(k0, key, key_len);

	for (i = 0; i < SHA1_BLOCK; i++)
		pad[i] = k0[i] ^ 0x36;
	sha1_init(&c);
	sha1_update(&c, pad, sizeof(pad));
	sha1_update(&c, msg, msg_len);
	sha1_final(&c, inner);

	for (i = 0; i < SHA1_BLOCK; i++)
		pad[i] = k0[i] ^ 0x5c;
	sha1_init(&c);
	sha1_update(&c, pad, sizeof(pad));
	sha1_update(&c, inner, sizeof(inner));
	sha1_final(&c, out);

	sodium_memzero(k0, sizeof(k0));
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
}
