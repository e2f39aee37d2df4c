/* Virtual address pools: parsing, the server's address and lowest-free allocation. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "common/util.h"

static int bits_of(const struct pool *p)
{
	return (p->net.family == AF_INET ? 32 : 128) - p->net.prefix;
}

/* All host bits set: the highest offset inside the prefix. */
static pool_off_t host_mask(const struct pool *p)
{
	int bits = bits_of(p);

	return bits >= 128 ? ~(pool_off_t)0 : ((pool_off_t)1 << bits) - 1;
}

/* The highest offset a client can get: IPv4 keeps the broadcast address out. */
static pool_off_t last_client(const struct pool *p)
{
	return host_mask(p) - (p->net.family == AF_INET ? 1 : 0);
}

#define FIRST_CLIENT ((pool_off_t)2)

static pool_off_t addr_value(const struct cidr *c)
{
	int i, len = cidr_addrlen(c);
	pool_off_t v = 0;

	for (i = 0; i < len; i++)
		v = v << 8 | c->addr[i];
	return v;
}

static void off_to_addr(const struct pool *p, pool_off_t off, struct cidr *out)
{
	pool_off_t v = addr_value(&p->net) | off;
	int i, len = cidr_addrlen(&p->net);

	memset(out, 0, sizeof(*out));
	out->family = p->net.family;
	out->prefix = (uint8_t)(len * 8);
	for (i = len - 1; i >= 0; i--) {
		out->addr[i] = (uint8_t)v;
		v >>= 8;
	}
}

int pool_parse(struct pool *p, const char *s, struct diag *d)
{
	char buf[CIDR_STRLEN];
	struct cidr c;
	int r;

	memset(p, 0, sizeof(*p));
	r = cidr_parse(&c, s);
	if (r == -ERANGE) {
		if (d)
			diag_error(d, NULL, 0, "pool \"%s\": prefix length out of range", s);
		return -EINVAL;
	}
	if (r < 0) {
		if (d)
			diag_error(d, NULL, 0, "pool \"%s\": not an IPv4 or IPv6 prefix", s);
		return -EINVAL;
	}
	if (cidr_host_bits_set(&c)) {
		cidr_mask(&c);
		if (d)
			diag_error(d, NULL, 0, "pool \"%s\": host bits set (the prefix is %s)", s,
				   cidr_fmt(&c, buf));
		return -EINVAL;
	}
	if (c.prefix > (c.family == AF_INET ? 30 : 126)) {
		if (d)
			diag_error(d, NULL, 0, "pool \"%s\": too small for the server and a client "
				   "(at most /%d)", s, c.family == AF_INET ? 30 : 126);
		return -ERANGE;
	}
	p->net = c;
	return 0;
}

void pool_server_addr(const struct pool *p, struct cidr *addr)
{
	off_to_addr(p, 1, addr);
	addr->prefix = p->net.prefix;
}

bool pool_contains(const struct pool *p, const struct cidr *addr)
{
	struct cidr host = *addr;

	host.prefix = (uint8_t)(cidr_addrlen(addr) * 8);
	return cidr_contains(&p->net, &host);
}

bool pool_assignable(const struct pool *p, const struct cidr *addr)
{
	pool_off_t off;

	if (!pool_contains(p, addr))
		return false;
	off = addr_value(addr) & host_mask(p);
	return off >= FIRST_CLIENT && off <= last_client(p);
}

uint64_t pool_size(const struct pool *p)
{
	pool_off_t n = last_client(p) - FIRST_CLIENT + 1;

	return n > UINT64_MAX ? UINT64_MAX : (uint64_t)n;
}

static int cmp_off(const void *a, const void *b)
{
	pool_off_t x = *(const pool_off_t *)a, y = *(const pool_off_t *)b;

	return x < y ? -1 : x > y;
}

/* First index whose offset is >= off. */
static size_t lower_bound(const struct pool_used *u, pool_off_t off)
{
	size_t lo = 0, hi = u->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u->v[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void pool_used_init(struct pool_used *u, const struct pool *p, const struct cidr *addrs,
		    size_t n)
{
	size_t i, j;

	memset(u, 0, sizeof(*u));
	u->cap = n ? n : 1;
	u->v = xmalloc(u->cap * sizeof(*u->v));
	for (i = 0; i < n; i++)
		if (pool_contains(p, &addrs[i]))
			u->v[u->n++] = addr_value(&addrs[i]) & host_mask(p);
	qsort(u->v, u->n, sizeof(*u->v), cmp_off);
	for (i = j = 0; i < u->n; i++)
		if (!j || u->v[j - 1] != u->v[i])
			u->v[j++] = u->v[i];
	u->n = j;
}

int pool_used_add(struct pool_used *u, const struct pool *p, const struct cidr *addr)
{
	pool_off_t off;
	size_t i;

	if (!pool_contains(p, addr))
		return -EINVAL;
	off = addr_value(addr) & host_mask(p);
	i = lower_bound(u, off);
	if (i < u->n && u->v[i] == off)
		return -EEXIST;
	if (u->n == u->cap) {
		u->cap = u->cap ? u->cap * 2 : 16;
		u->v = xrealloc(u->v, u->cap * sizeof(*u->v));
	}
	memmove(&u->v[i + 1], &u->v[i], (u->n - i) * sizeof(*u->v));
	u->v[i] = off;
	u->n++;
	return 0;
}

int pool_used_remove(struct pool_used *u, const struct pool *p, const struct cidr *addr)
{
	pool_off_t off;
	size_t i;

	if (!pool_contains(p, addr))
		return -ENOENT;
	off = addr_value(addr) & host_mask(p);
	i = lower_bound(u, off);
	if (i == u->n || u->v[i] != off)
		return -ENOENT;
	memmove(&u->v[i], &u->v[i + 1], (u->n - i - 1) * sizeof(*u->v));
	u->n--;
	return 0;
}

void pool_used_clear(struct pool_used *u)
{
	free(u->v);
	memset(u, 0, sizeof(*u));
}

int pool_alloc(const struct pool *p, const struct pool_used *u, struct cidr *addr,
	       struct diag *d)
{
	size_t k = lower_bound(u, FIRST_CLIENT), lo = 0, hi = u->n - k;
	char buf[CIDR_STRLEN];
	pool_off_t off;

	/* Offsets are distinct and sorted, so u->v[k + j] == FIRST_CLIENT + j holds for a
	 * run of j from 0 and fails ever after: the first failure is the lowest gap. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u->v[k + mid] == FIRST_CLIENT + mid)
			lo = mid + 1;
		else
			hi = mid;
	}
	off = FIRST_CLIENT + lo;
	if (off > last_client(p)) {
		if (d)
			diag_error(d, NULL, 0, "pool %s is exhausted: all %" PRIu64
				   " client addresses are in use", cidr_fmt(&p->net, buf),
				   pool_size(p));
		return -ENOSPC;
	}
	off_to_addr(p, off, addr);
	return 0;
}
