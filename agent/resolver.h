/* Endpoint names resolved off the loop (getaddrinfo_a), cached, retried with backoff. */
#ifndef WARREN_RESOLVER_H
#define WARREN_RESOLVER_H

#include <stdint.h>

#include "loop.h"
#include "../netcfg/wg.h"

struct resolver;

/* done(ctx) runs on the loop whenever a lookup finished (either way). */
int resolver_new(struct loop *l, void (*done)(void *ctx), void *ctx, struct resolver **rp);
void resolver_free(struct resolver *r);

/* The endpoint for host:port. Literals answer at once. A name answers from the cache, or
 * -EAGAIN while a lookup runs (one is started if none is), or -EADDRNOTAVAIL when the
 * last lookup failed less than the backoff ago (1 s, doubling to 60 s per failure). */
int resolver_lookup(struct resolver *r, const char *host, uint16_t port, union wg_endpoint *ep);
/* Matches plan_opts.resolve. */
int resolver_plan_cb(void *ctx, const char *host, uint16_t port, union wg_endpoint *ep);
/* Forget cached answers so names are looked up again (on reload). */
void resolver_flush(struct resolver *r);

#endif
