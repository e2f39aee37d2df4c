/* The built-in resolver of the server (DESIGN 12, docs/dns.md), on the server's loop: UDP and
 * TCP on the server's tunnel addresses; the internal zone (zone.c) answered from memory;
 * the filter's snapshot (filter.c, built off the loop by lists.c) per group; everything
 * else through the answer cache (cache.c) and libunbound (upstream.c); every query logged
 * against its device (qlog.c). */
#ifndef WARREN_DNS_DNSD_H
#define WARREN_DNS_DNSD_H

#include <stdint.h>

struct json;
struct server;

/* What changed in the database, for dnsd_changed. */
enum {
	DNSD_RECORDS = 1,     /* the zone is made again */
	DNSD_RULES = 2,       /* the filter is compiled again from the cached lists */
	DNSD_LISTS = 4,       /* lists are fetched again, then compiled */
};

/* With server.resolver: sockets, libunbound, the log's writer, the first zone and the
 * first build of the lists. Without it: nothing. 0 or -errno (logged). */
int dnsd_start(struct server *s);
/* Everything closed and freed; queries in flight are dropped. */
void dnsd_stop(struct server *s);
/* The file was read again: started, stopped or started again as it now says. */
int dnsd_reload(struct server *s);
void dnsd_changed(struct server *s, unsigned what);
/* "resolver": {...} into an open object: counters, cache, lists, log. */
void dnsd_status(struct server *s, struct json *j);
/* The source bit's list id (0: custom rules) in the filter in use; -1 unknown. */
int64_t dnsd_list_of(struct server *s, int source);

#endif
