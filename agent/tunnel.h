/* Bringing one planned tunnel into the kernel, converging on what is there, and removing it. */
#ifndef WARREN_TUNNEL_H
#define WARREN_TUNNEL_H

#include <stddef.h>
#include <sys/types.h>

#include "plan.h"
#include "../netcfg/nl.h"
#include "../netcfg/wg.h"

/* What a tunnel_apply changed, for logs and for tests that count writes. */
struct tunnel_stats {
	size_t created;      /* 1 when the link was created */
	pid_t pid;           /* userspace: the implementation started for it, else 0 */
	size_t peers;        /* peers written */
	size_t writes;       /* rtnetlink requests sent */
};

/* Kernel state read once and shared by the tunnel_apply calls of one converge: each plan
 * owns different objects (its link, its tables, its rule range), so what one writes never
 * makes another's view wrong. */
struct tunnel_snapshot {
	struct addr *addrs;
	size_t n_addrs;
	struct route *routes;
	size_t n_routes;
	struct rule *rules;
	size_t n_rules;
};

int tunnel_snapshot_take(struct nl *nl, struct tunnel_snapshot *s);
void tunnel_snapshot_clear(struct tunnel_snapshot *s);

/* A plan with an empty ifname has no link: only its routes, rules and sysctls are
 * converged (the agent's own rules and group tables).
 *
 * Make the kernel hold what p asks for: create the link when it is missing (kernel:
 * rtnetlink; userspace: start userspace_command), converge the device with the fewest
 * peer writes, then add what is missing of MTU, addresses, link state, routes and rules
 * in one netlink batch. Nothing already right is written again. snap (NULL: dump now)
 * is what the kernel held. 0 or -errno, with one line naming the object and the cause in
 * err. */
int tunnel_apply(struct nl *nl, struct wg_backend *wgb, struct plan *p,
		 const char *userspace_command, const struct tunnel_snapshot *snap,
		 struct tunnel_stats *st, char *err, size_t errsize);

/* Remove what a journal names: rules, routes, the link (or the userspace implementation),
 * and restore sysctls whose value is still warren's (keep says which of them another
 * tunnel still needs). Objects already gone are fine. wgb (may be NULL) empties a kernel
 * link of its peers first: deleting one that holds thousands takes the kernel minutes. 0 or the first -errno, with err set;
 * it goes on after a failure so as much as possible is removed. */
int tunnel_remove(struct nl *nl, struct wg_backend *wgb, struct plan *p, const bool *keep_sysctl,
		  char *err, size_t errsize);

#endif
