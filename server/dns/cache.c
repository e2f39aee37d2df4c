/* The answer cache: open addressing on a hash of the key, an LRU list through the entries. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "../../common/util.h"

#define TTL_MAX 86400
#define OFFS_MAX 64              /* answers with more records are not kept */

struct entry {
	uint64_t hash;
	char *name;
	uint16_t qtype, qclass, bits;
	uint8_t *pkt;
	size_t len;
	uint32_t ttl[OFFS_MAX];      /* the TTLs as they came */
	uint16_t off[OFFS_MAX];      /* where each is in pkt */
	unsigned n_off;
	uint64_t stored_ms, expires_ms;
	uint64_t aged_s;             /* pkt's TTLs are those of this age */
	struct entry *prev, *next;   /* most recently used first */
};

struct dns_cache {
	struct entry **slots;
	size_t n_slots, n_entries;
	size_t bytes, max_bytes;
	struct entry *head, *tail;
};

static uint16_t key_bits(const struct dns_query *q)
{
	return (uint16_t)((q->dnssec_ok ? 1 : 0) | ((q->flags & 0x0010) ? 2 : 0));
}

static uint64_t key_hash(const struct dns_query *q)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < q->name_len; i++) {
		h ^= (uint8_t)q->name[i];
		h *= 1099511628211ULL;
	}
	h ^= ((uint64_t)q->qtype << 32) | ((uint64_t)q->qclass << 16) | key_bits(q);
	h *= 1099511628211ULL;
	return h ? h : 1;
}

struct dns_cache *dns_cache_new(size_t max_bytes)
{
	struct dns_cache *c = xcalloc(1, sizeof(*c));

	c->max_bytes = max_bytes ? max_bytes : 32u << 20;
	c->n_slots = 1024;
	c->slots = xcalloc(c->n_slots, sizeof(*c->slots));
	return c;
}

static size_t entry_cost(const struct entry *e)
{
	return sizeof(*e) + e->len + strlen(e->name) + 1 + 2 * sizeof(void *);
}

static void lru_unlink(struct dns_cache *c, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_front(struct dns_cache *c, struct entry *e)
{
	e->next = c->head;
	e->prev = NULL;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (!c->tail)
		c->tail = e;
}

static size_t slot_of(const struct dns_cache *c, const struct entry *e)
{
	size_t mask = c->n_slots - 1, i = e->hash & mask;

	while (c->slots[i] != e)
		i = (i + 1) & mask;
	return i;
}

/* Backward-shift deletion keeps probe chains whole without tombstones. */
static void slot_remove(struct dns_cache *c, size_t i)
{
	size_t mask = c->n_slots - 1, j = i;

	c->slots[i] = NULL;
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!c->slots[j])
			return;
		home = c->slots[j]->hash & mask;
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			c->slots[i] = c->slots[j];
			c->slots[j] = NULL;
			i = j;
		}
	}
}

static void entry_drop(struct dns_cache *c, struct entry *e)
{
	slot_remove(c, slot_of(c, e));
	lru_unlink(c, e);
	c->bytes -= entry_cost(e);
	c->n_entries--;
	free(e->pkt);
	free(e->name);
	free(e);
}

static void slots_insert(struct dns_cache *c, struct entry *e)
{
	size_t mask = c->n_slots - 1, i = e->hash & mask;

	while (c->slots[i])
		i = (i + 1) & mask;
	c->slots[i] = e;
}

static void grow(struct dns_cache *c)
{
	struct entry **old = c->slots;
	size_t n = c->n_slots;

	c->n_slots *= 2;
	c->slots = xcalloc(c->n_slots, sizeof(*c->slots));
	for (size_t i = 0; i < n; i++)
		if (old[i])
			slots_insert(c, old[i]);
	free(old);
}

static struct entry *find(struct dns_cache *c, const struct dns_query *q, uint64_t h)
{
	size_t mask = c->n_slots - 1, i = h & mask;
	uint16_t bits = key_bits(q);

	for (; c->slots[i]; i = (i + 1) & mask) {
		struct entry *e = c->slots[i];

		if (e->hash == h && e->qtype == q->qtype && e->qclass == q->qclass &&
		    e->bits == bits && strlen(e->name) == q->name_len &&
		    memcmp(e->name, q->name, q->name_len) == 0)
			return e;
	}
	return NULL;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void dns_cache_put(struct dns_cache *c, const struct dns_query *q, const uint8_t *pkt,
		   size_t len, uint64_t now_ms)
{
	uint64_t h = key_hash(q);
	uint16_t off[OFFS_MAX];
	uint32_t min = TTL_MAX;
	struct entry *e;
	int n;

	n = dnswire_ttl_offsets(pkt, len, off, OFFS_MAX);
	if (n < 0 || len > DNS_TCP_MAX)
		return;
	for (int i = 0; i < n; i++)
		if (rd32(pkt + off[i]) < min)
			min = rd32(pkt + off[i]);
	if (!min)
		return;
	if ((e = find(c, q, h)))
		entry_drop(c, e);
	e = xcalloc(1, sizeof(*e));
	e->hash = h;
	e->name = xstrndup(q->name, q->name_len);
	e->qtype = q->qtype;
	e->qclass = q->qclass;
	e->bits = key_bits(q);
	e->pkt = xmalloc(len);
	memcpy(e->pkt, pkt, len);
	e->len = len;
	e->n_off = (unsigned)n;
	for (int i = 0; i < n; i++) {
		e->off[i] = off[i];
		e->ttl[i] = rd32(pkt + off[i]);
	}
	e->stored_ms = now_ms;
	e->expires_ms = now_ms + (uint64_t)min * 1000;
	if ((c->n_entries + 1) * 2 > c->n_slots)
		grow(c);
	slots_insert(c, e);
	lru_front(c, e);
	c->n_entries++;
	c->bytes += entry_cost(e);
	while (c->bytes > c->max_bytes && c->tail && c->tail != e)
		entry_drop(c, c->tail);
}

const uint8_t *dns_cache_get(struct dns_cache *c, const struct dns_query *q, uint64_t now_ms,
			     size_t *len)
{
	struct entry *e = find(c, q, key_hash(q));
	uint64_t age;

	*len = 0;
	if (!e)
		return NULL;
	if (now_ms >= e->expires_ms) {
		entry_drop(c, e);
		return NULL;
	}
	age = (now_ms - e->stored_ms) / 1000;
	if (age != e->aged_s) {
		for (unsigned i = 0; i < e->n_off; i++)
			wr32(e->pkt + e->off[i], e->ttl[i] > age ? e->ttl[i] - (uint32_t)age : 0);
		e->aged_s = age;
	}
	if (c->head != e) {
		lru_unlink(c, e);
		lru_front(c, e);
	}
	*len = e->len;
	return e->pkt;
}

void dns_cache_clear(struct dns_cache *c)
{
	while (c->head)
		entry_drop(c, c->head);
}

void dns_cache_free(struct dns_cache *c)
{
	if (!c)
		return;
	dns_cache_clear(c);
	free(c->slots);
	free(c);
}

size_t dns_cache_entries(const struct dns_cache *c)
{
	return c->n_entries;
}

size_t dns_cache_bytes(const struct dns_cache *c)
{
	return c->bytes;
}
