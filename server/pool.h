/* Virtual address pools: which addresses of a prefix the server and its users get. */
#ifndef WARREN_SERVER_POOL_H
#define WARREN_SERVER_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profiles/cidr.h"
#include "profiles/diag.h"

/* An address as its distance from the pool's network address (fits any IPv6 prefix). */
typedef unsigned __int128 pool_off_t;

/* One IPv4 or IPv6 prefix. Offset 0 (the network address, or the IPv6 subnet-router
 * anycast address) is never given out, offset 1 is the server's, and for IPv4 the
 * broadcast address is never given out: clients get offsets 2 .. last. */
struct pool {
	struct cidr net;             /* host bits clear */
};

/* The addresses of one pool that are in use: sorted offsets, without duplicates. Built
 * once from what the database holds, then kept up to date with add/remove, so an
 * allocation is a binary search rather than a scan. */
struct pool_used {
	pool_off_t *v;
	size_t n, cap;
};

/* "10.9.0.0/24" or "fd09::/64". -EINVAL: not a prefix, or host bits set (with the
 * reason in d when d is not NULL); -ERANGE: too small to hold the server and one client
 * (IPv4 longer than /30, IPv6 longer than /126). */
int pool_parse(struct pool *p, const char *s, struct diag *d);

/* The server's address (offset 1) with the pool's prefix length, e.g. 10.9.0.1/24, as
 * the server link's Address. */
void pool_server_addr(const struct pool *p, struct cidr *addr);

/* true when addr's address (its prefix length is ignored) lies in the pool's prefix. */
bool pool_contains(const struct pool *p, const struct cidr *addr);

/* true when addr may be given to a client: inside, and neither the network, the
 * broadcast (IPv4) nor the server's address. */
bool pool_assignable(const struct pool *p, const struct cidr *addr);

/* How many addresses clients can get; saturates at UINT64_MAX (large IPv6 prefixes). */
uint64_t pool_size(const struct pool *p);

/* Fill u from addrs (any order, any family; addresses outside p are ignored,
 * duplicates counted once). Sorts once: O(n log n). pool_used_clear frees it. */
void pool_used_init(struct pool_used *u, const struct pool *p, const struct cidr *addrs,
		    size_t n);
/* Mark addr used / free. add: 0, -EEXIST when it already was, -EINVAL outside p;
 * remove: 0 or -ENOENT. */
int pool_used_add(struct pool_used *u, const struct pool *p, const struct cidr *addr);
int pool_used_remove(struct pool_used *u, const struct pool *p, const struct cidr *addr);
void pool_used_clear(struct pool_used *u);

/* The lowest address clients can get that u does not hold, as a host address (/32 or
 * /128) in *addr. It is not marked used: the caller adds it once it is stored.
 * 0, or -ENOSPC when the pool is exhausted, with "pool 10.9.0.0/29 is exhausted: all 5
 * client addresses are in use" in d (when not NULL). O(log n). */
int pool_alloc(const struct pool *p, const struct pool_used *u, struct cidr *addr,
	       struct diag *d);

#endif
