/* Profiles a portal hands to agents (docs/portal.md): the document, built by the server,
 * signed with its Ed25519 key, and parsed and verified by the agent. */
#ifndef WARREN_PROFILE_H
#define WARREN_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "cidr.h"
#include "key.h"
#include "model.h"                          /* struct cidrv */

#define PROFILE_VERSION 1
#define PROFILE_MAX_BYTES (1u << 20)       /* what an agent accepts */
#define PROFILE_MAX_TUNNELS 32
#define PROFILE_NAME_MAX 12                 /* [a-z0-9_-]{1,12} */
#define PROFILE_DEVICE_MAX 64
#define PROFILE_HOST_MAX 253
#define PROFILE_SIG_B64_LEN sodium_base64_ENCODED_LEN(crypto_sign_BYTES, \
						      sodium_base64_VARIANT_ORIGINAL)
#define PROFILE_ETAG_LEN 35                 /* "\"" + 32 hex + "\"" + NUL */
#define PROFILE_MAX_LIST 256                /* entries in addresses, allowed_ips, dns */

struct profile_tunnel {
	char name[PROFILE_NAME_MAX + 1];
	char *endpoint_host;                /* host name or address, no brackets; 1..253 bytes */
	uint16_t endpoint_port;
	uint8_t public_key[KEY_LEN];
	uint8_t preshared_key[KEY_LEN];
	bool has_preshared_key;
	struct cidrv addresses;             /* interface addresses: host bits kept */
	struct cidrv allowed_ips;           /* networks: no host bits set */
	struct cidrv dns;                   /* addresses: the prefix is not written */
	uint16_t keepalive;                 /* 0: off */
	uint32_t mtu;                       /* 0: automatic, else 1280..65535 as in warren.conf */
};

struct profile {
	char device[PROFILE_DEVICE_MAX + 1];  /* 1..64 of ASCII '!'..'~' */
	uint64_t serial;
	int64_t issued;
	struct profile_tunnel *tunnels;
	size_t n_tunnels;
};

void profile_clear(struct profile *p);     /* frees, wipes keys; p may be reused */
/* Same contents (dns compared by address only, as only the address is written). */
bool profile_equal(const struct profile *a, const struct profile *b);

/* The exact bytes of p as compact JSON, members in the documented order. The text holds
 * preshared keys: release it with profile_text_free. NULL only when p is invalid (a
 * bad name, too many tunnels: anything profile_parse would refuse), so what is built
 * always parses back to an equal profile. */
char *profile_build(const struct profile *p, size_t *len);
void profile_text_free(char *text, size_t len);

/* Ed25519 over the bytes; sig_b64 receives the base64 (original variant) signature. */
void profile_sign(const uint8_t sk[crypto_sign_SECRETKEYBYTES], const char *text, size_t len,
		  char sig_b64[PROFILE_SIG_B64_LEN]);
/* 0 when sig_b64 (NUL-terminated, canonical padded base64 of 64 bytes) is a valid
 * signature of the bytes under pk, else -EBADMSG. */
int profile_verify(const uint8_t pk[crypto_sign_PUBLICKEYBYTES], const char *text, size_t len,
		   const char *sig_b64);
/* The ETag of the bytes: "\"" + hex of the first 16 bytes of BLAKE2b-256 + "\"". */
void profile_etag(const char *text, size_t len, char etag[PROFILE_ETAG_LEN]);

/* Parse a profile (strict: version, every member's type and range, names, keys,
 * prefixes; unknown, duplicate and missing members are refused, so what was signed is
 * what is run; only preshared_key is optional). p is overwritten: pass it zeroed or
 * cleared. 0, or -EINVAL with one line naming the member in why ("tunnels[0].endpoint:
 * port out of range") and p cleared. Call profile_verify first: parse trusts nothing,
 * but only signed bytes are meant to reach it. */
int profile_parse(const char *text, size_t len, struct profile *p, char *why, size_t whylen);

#endif
