/* Answers from upstream kept on the loop, in front of libunbound: a cached answer costs
 * one hash lookup and a copy instead of a round trip through libunbound's thread. Keyed by
 * name, type, class and the DO and CD bits; each answer's TTLs are counted down as it
 * ages, it goes at its smallest TTL, and the least recently used go first when the bytes
 * run out. */
#ifndef WARREN_DNS_CACHE_H
#define WARREN_DNS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct dns_cache;

struct dns_cache *dns_cache_new(size_t max_bytes);
void dns_cache_free(struct dns_cache *c);

/* Keep an upstream answer (its own id and question, as it came) for q's key. Answers
 * with a TTL of 0, or that do not parse, are not kept. */
void dns_cache_put(struct dns_cache *c, const struct dns_query *q, const uint8_t *pkt,
		   size_t len, uint64_t now_ms);
/* The answer for q, TTLs counted down to now, or NULL (*len 0). The bytes are good until
 * the next call. */
const uint8_t *dns_cache_get(struct dns_cache *c, const struct dns_query *q, uint64_t now_ms,
			     size_t *len);

void dns_cache_clear(struct dns_cache *c);
size_t dns_cache_entries(const struct dns_cache *c);
size_t dns_cache_bytes(const struct dns_cache *c);

#endif
