/* The agent daemon: every tunnel of the configuration up at once, policy routing into
 * them, SNAT for the LAN, repair of what others change, and a clean stop. */
#ifndef WARREN_AGENT_H
#define WARREN_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan.h"

struct config;

/* Rule priorities, as offsets from daemon.rule_priority. */
enum agent_prio {
	PRIO_MARK_MAIN = 0,      /* encrypted packets (warren's mark) look up main ... */
	PRIO_MARK_STOP = 1,      /* ... and never reach a tunnel table when main has no route */
	PRIO_NATIVE = 2,         /* traffic from the host's own addresses stays on main */
	PRIO_SUPPRESS = 3,       /* main's specific routes win; its default does not */
	PRIO_TUNNELS = 10,       /* + slot: each tunnel's own table */
	PRIO_GROUPS = 60,        /* + group index: each group's table, per source */
	PRIO_COUNT = 100,
};

/* Tables, as offsets from daemon.table_base: tunnels take 0-49 by slot, groups 50-99. */
#define AGENT_GROUP_TABLES 50
#define AGENT_MAX_TUNNELS 50
#define AGENT_MAX_GROUPS 40

/* Which tunnels are usable, for the routing plan. */
struct agent_link {
	const char *ifname;
	int ifindex;            /* 0: the link is not up */
	unsigned int families;  /* FAMILY_IPV4 | FAMILY_IPV6 the tunnel carries */
	unsigned int slot;
};

/* The agent's own routing objects for config c, given the state of its tunnels (links,
 * in config order) and the host's own addresses (native, not on tunnels): rules in
 * warren's priority range and every group's table with its routes through the active
 * member (active[g]: index into links or -1), or the fallback. Pure: reads no kernel. */
void agent_plan_routing(struct plan *p, const struct config *c, const struct agent_link *links,
			size_t n_links, const int *active, const struct cidr *native, size_t n_native);

#endif
