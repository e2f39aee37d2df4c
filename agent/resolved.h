/* systemd-resolved over the system bus: a link's DNS servers, domains and default route, and
 * their revert. */
#ifndef WARREN_RESOLVED_H
#define WARREN_RESOLVED_H

#include <stdbool.h>
#include <stddef.h>

#include "loop.h"
#include "../profiles/dns.h"

struct resolved;

/* An answer: 0 or -errno, with one line saying why in err. -ENOENT: resolved is not on the
 * bus; -EXDEV: it serves another network namespace; -ENODEV: it does not know the link
 * (yet: it learns of new links from rtnetlink); -ETIMEDOUT: no answer in time. */
typedef void (*resolved_fn)(void *ctx, int r, const char *err);

/* Connect to the system bus: with a loop the calls run on it and answer through their
 * callback; without one (l NULL), or without a callback (fn NULL), a call blocks for at
 * most two seconds, answers through fn (if any) before it returns and returns the answer.
 * -ENOENT when there is no system bus or no libsystemd. */
int resolved_open(struct resolved **rp, struct loop *l);
void resolved_close(struct resolved *r);

/* Whether org.freedesktop.resolve1 runs, in this network namespace. */
int resolved_probe(struct resolved *r, resolved_fn fn, void *ctx);
/* SetLinkDNS, SetLinkDomains and SetLinkDefaultRoute for ifindex from dc. */
int resolved_set(struct resolved *r, int ifindex, const struct dns_conf *dc, resolved_fn fn,
		 void *ctx);
/* RevertLink: resolved forgets what was set; a link it does not know is fine. */
int resolved_revert(struct resolved *r, int ifindex, resolved_fn fn, void *ctx);
/* Why the last blocking call failed. */
const char *resolved_error(const struct resolved *r);
/* Drop every pending call made with ctx; their callbacks are not called. */
void resolved_cancel(struct resolved *r, void *ctx);

/* The domains resolved gets for dc, as SetLinkDomains takes them: n names (without '~')
 * with routing_only[i] set for routing-only ones; a full tunnel gets "." routing-only
 * (the "~." domain) so no query leaves outside it. *default_route says whether its
 * servers also answer names no link claims: yes for a full tunnel, one routing "~.", or
 * one without domains; no for a split tunnel with domains of its own. Pure; the caller
 * frees names (the strings point into dc). */
void resolved_domains(const struct dns_conf *dc, const char ***names, bool **routing_only,
		      size_t *n, bool *default_route);

#endif
