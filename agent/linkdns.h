/* A link's DNS on this host: through systemd-resolved where it serves this network
 * namespace, else through resolvconf; the method goes into the link's journal before it is
 * used, so DNS is undone after a crash too, whatever the configuration says by then. */
#ifndef WARREN_LINKDNS_H
#define WARREN_LINKDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "loop.h"
#include "../profiles/dns.h"

/* Methods, as bits: a journal records every one that may hold something of the link. */
enum linkdns_method { LINKDNS_RESOLVED = 1, LINKDNS_RESOLVCONF = 2 };
#define LINKDNS_METHODS 3

/* "resolved" or "resolvconf" for one bit; NULL for 0. */
const char *linkdns_method_name(unsigned int method);
/* The bit for a name: 0 or -EINVAL. */
int linkdns_method_parse(const char *name, unsigned int *method);

struct linkdns_ops {
	/* Record methods in ifname's journal: before a method is first used, and once fewer
	 * hold something. 0 or -errno (the change then fails and uses none). */
	int (*journal)(void *ctx, const char *ifname, unsigned int methods);
	/* On the loop: a change of ifname ended, 0 or -errno with err. May be NULL. */
	void (*done)(void *ctx, const char *ifname, int r, const char *err);
};

struct linkdns;

/* With a loop, changes run on it: resolved's calls answer through the loop, resolvconf's
 * exit through linkdns_reaped. Without one (l NULL), every call blocks until done. */
struct linkdns *linkdns_new(struct loop *l, const struct linkdns_ops *ops, void *ctx);
/* Forgets every link without undoing anything; NULL is fine. */
void linkdns_free(struct linkdns *d);
/* pid was reaped with status by the caller's SIGCHLD handler: true when it was ours. */
bool linkdns_reaped(struct linkdns *d, pid_t pid, int status);

/* Make ifname's DNS dc (NULL or empty: none) for tunnel name. methods: what the link's
 * journal held before this process first saw the link (a restart after a crash). Without
 * a loop: done on return, 0 or -errno with err (a method that is missing altogether is a
 * warning, not an error). With one: 0, the work runs or waits for the current change;
 * only what changed is applied again (or a new ifindex for resolved). */
int linkdns_set(struct linkdns *d, const char *name, const char *ifname, int ifindex,
		const struct dns_conf *dc, unsigned int methods, char *err, size_t errsize);

/* Undo ifname's DNS by every method in methods (and what this process applied), blocking
 * even on a loop, since the link is about to go; then forget the link. ifindex 0: the link
 * is gone already, which resolved has noticed itself. 0 or -errno with err. */
int linkdns_remove(struct linkdns *d, const char *ifname, int ifindex, unsigned int methods,
		   char *err, size_t errsize);

/* For status: ifname's method in use (0: none), "applied", "applying", "failed",
 * "unavailable" (neither method exists) or "none", and the last error. false when the
 * link has no DNS here. */
struct linkdns_status {
	unsigned int method;
	const char *state;
	const char *error;
};
bool linkdns_status(const struct linkdns *d, const char *ifname, struct linkdns_status *st);

#endif
