/* Liveness probes through one tunnel: ICMP echo from a raw socket bound to the tunnel's
 * link, on the event loop, feeding the tunnel's health machine (health.h). */
#ifndef WARREN_PROBE_H
#define WARREN_PROBE_H

#include <stdint.h>

#include "health.h"
#include "loop.h"
#include "../profiles/model.h"

/* `struct probe` is the configuration (profiles/model.h); this is the running prober. */
struct prober;

/* Called on every UP/DOWN transition; reason is health's one line ("3 probes lost").
 * The callback may call anything here, probe_free(p) included. */
typedef void (*probe_fn)(struct prober *p, enum health_event ev, const char *reason, void *data);

struct probe_stats {
	uint64_t sent;                  /* echo requests tried, failed sends included */
	uint64_t received;              /* replies in time */
	uint32_t rtt_last_us, rtt_avg_us;  /* 0 before the first reply; avg is srtt */
	unsigned int loss_pct;          /* over the last HEALTH_WINDOW results */
	enum health_state health;
	uint64_t since_ms;              /* loop_now_ms() of the last transition (or start) */
	uint32_t transitions;
	char reason[HEALTH_REASON_MAX]; /* of the last transition, "" before one */
};

/*
 * Probe cfg->target through link ifname every cfg->interval_ms, starting at once.
 *
 * One raw ICMP (IPv4 target) or ICMPv6 socket per prober, nonblocking and close-on-exec,
 * bound with SO_BINDTODEVICE so requests leave through that link whatever the routes
 * say, and only replies that came in on it are read. Needs CAP_NET_RAW.
 *   IPv4: when no route through the link covers the target (none at all, or only
 *     others' or an unreachable/blackhole one), the kernel takes the target to be
 *     on-link through the bound device and the source to be the link's address; so a
 *     tunnel whose address is a /32 can be probed with no route at all.
 *   IPv6: the kernel insists on a route to the target through the link in a table the
 *     rules reach (the tunnel's own table, or the connected prefix of its address);
 *     without one every send fails with ENETUNREACH and counts as lost. Link-local
 *     targets (fe80::/10) get the link as their scope.
 * Each prober has a random 16-bit identifier and an 8-byte random payload, and numbers
 * its requests; anything else the socket sees (others' pings on the link) is ignored.
 *
 * Timing: requests go out on multiples of interval_ms of the monotonic clock (probes of
 * the same interval share one wakeup). A request is lost unless its reply is read within
 * timeout_ms of sending it; it is counted lost at the first timer wakeup at or after its
 * deadline (scheduled send + timeout_ms) -- with timeout_ms equal to interval_ms that is
 * the next send, so a healthy or dead tunnel costs one timer wakeup per interval; a reply
 * after that is ignored. DOWN after down_after losses thus takes between
 * (down_after - 1) x interval + timeout and down_after x interval + timeout.
 *
 * A send that fails (ENODEV, ENXIO: the link is gone; ENETDOWN, ENETUNREACH: it is down
 * or, for IPv6, has no route; EAGAIN: the socket is full) counts as a lost probe at once,
 * and the socket is opened and bound again before the next send,
 * so a link the agent deletes and recreates under the same name is probed again as soon
 * as it exists. A link missing at start is no error: every interval counts as lost until
 * it appears.
 *
 * Returns 0, -EINVAL (probe disabled, no target, interval 0, ifname too long), or the
 * -errno of socket() (-EPERM without CAP_NET_RAW).
 */
int probe_new(struct loop *l, const char *ifname, const struct probe *cfg, probe_fn fn,
	      void *data, struct prober **out);
/* Closes the socket and the timer; NULL is fine. */
void probe_free(struct prober *p);

void probe_stats(const struct prober *p, struct probe_stats *st);
const struct health *probe_health(const struct prober *p);
const char *probe_ifname(const struct prober *p);

/* The link was recreated (its ifindex changed): reopen and rebind before the next send.
 * Requests in flight are counted lost at their deadlines (their replies would reach
 * the old socket). Not needed for correctness: a failing send does the same. */
void probe_reset(struct prober *p);
/* Probe through another link from now on (probe_reset included). 0 or -ENAMETOOLONG. */
int probe_set_ifname(struct prober *p, const char *ifname);

/* Passive evidence that the tunnel cannot work (its link vanished, its peer's handshake
 * is older than WireGuard's 180 s limit): DOWN now with why as the reason, calling fn,
 * unless already DOWN. Probing goes on, and up_after replies bring it UP again. */
void probe_force_down(struct prober *p, const char *why);

#endif
