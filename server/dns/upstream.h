/* The resolver's way out: forwarding to the configured upstreams with a cache and DNSSEC
 * validation (libunbound, loaded when the resolver starts), answered on the loop. */
#ifndef WARREN_DNS_UPSTREAM_H
#define WARREN_DNS_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct upstream;

struct upstream_conf {
	/* "192.0.2.1", "2001:db8::1", "192.0.2.1@5353" (unbound's notation), n_servers of
	 * them, at least one */
	const char *const *servers;
	size_t n_servers;
	bool dnssec;                  /* validate; answers that fail are SERVFAIL to the client */
	/* NULL: /usr/share/dns/root.key (Debian's dns-root-data); a file of DS or DNSKEY
	 * records (zone-file format; unbound's auto-trust-anchor-file is not used: read-only) */
	const char *trust_anchor_file;
	size_t cache_bytes;           /* 0: unbound's default (msg + rrset cache split) */
	/* A query libunbound has not answered by then ends with -ETIMEDOUT; 0: 5000 ms.
	 * (libunbound itself may retry an unreachable upstream for much longer.) */
	unsigned timeout_ms;
};

enum upstream_security { UPSTREAM_INSECURE = 0, UPSTREAM_SECURE = 1, UPSTREAM_BOGUS = 2 };

/* done runs on the loop, once per query not cancelled: err 0 with the answer packet (wire
 * format, its own id; valid only during the call), or -ETIMEDOUT / -EIO / -ECONNREFUSED...;
 * sec for validated answers (bogus answers come with err 0, pkt possibly NULL, sec BOGUS,
 * and why text if libunbound gives it); elapsed_us from send to answer.
 * Here a BOGUS answer always comes with pkt NULL: the data that failed is never handed on.
 * An upstream that does not answer ends with -ETIMEDOUT at timeout_ms (libunbound itself
 * keeps retrying longer); one that answers SERVFAIL or REFUSED comes as err 0 with that
 * packet (libunbound's own SERVFAIL when no upstream gave a usable answer). */
typedef void (*upstream_done_fn)(void *ctx, int err, const uint8_t *pkt, size_t len,
				 enum upstream_security sec, const char *why, uint32_t elapsed_us);

/* Load libunbound (dlopen), make the context (forward zone "." to servers, validator on or
 * off, cache size), register its fd on the loop. 0, or -ENOENT (library missing: logged),
 * -EINVAL with a message logged naming the bad server or file. */
int upstream_new(struct loop *l, const struct upstream_conf *c, struct upstream **out);
void upstream_free(struct upstream *u);   /* cancels all; no callback after */

/* Ask name (text, no trailing dot; "" root) type class. 0 and *handle (for cancel),
 * or -errno. */
int upstream_resolve(struct upstream *u, const char *name, uint16_t type, uint16_t cls,
		     upstream_done_fn done, void *ctx, int *handle);
void upstream_cancel(struct upstream *u, int handle);
size_t upstream_pending(const struct upstream *u);

#endif
