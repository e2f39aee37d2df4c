/* What one tunnel needs in the kernel, worked out from the model before anything changes. */
#ifndef WARREN_PLAN_H
#define WARREN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../netcfg/route.h"
#include "../netcfg/rule.h"
#include "../netcfg/wg.h"
#include "../profiles/diag.h"
#include "../profiles/model.h"

#define SYSCTL_PATH_MAX 96
#define SYSCTL_VALUE_MAX 32

/* A kernel setting warren changes, and what it was before (filled when applied). */
struct plan_sysctl {
	char path[SYSCTL_PATH_MAX];
	char value[SYSCTL_VALUE_MAX];
	char old[SYSCTL_VALUE_MAX];
};

/* Who made a plan's objects. The agent, `warren up` and the server may run on one host and
 * share state_dir: each sweeps only journals of its own. Journals written before owners
 * were recorded read as OWNER_UNKNOWN, which the agent and `warren down` both accept. */
enum plan_owner { OWNER_UNKNOWN, OWNER_AGENT, OWNER_UP, OWNER_SERVER };

/* Routes and rules carry oif 0 here: the link's index is known only once it exists. */
struct plan {
	char name[TUNNEL_NAME_MAX + 1];
	enum plan_owner owner;
	int owner_pid;                 /* the agent's or server's process, from the journal */
	char ifname[IFNAME_MAX + 1];
	enum backend backend;          /* kernel or userspace, never auto */
	unsigned int slot;             /* which of warren's tables and rule priorities */
	struct wg_device *dev;         /* private key, port, fwmark, peers (endpoints resolved) */
	uint32_t mtu;
	struct cidr *addrs;
	size_t n_addrs;
	struct route *routes;          /* through the tunnel: oif is the link */
	size_t n_routes;
	struct rule *rules;
	size_t n_rules;
	uint8_t protocol;              /* on routes and rules: tells ours from others' */
	uint32_t prio_first;           /* rule priorities owned by this plan (prune range) */
	uint32_t prio_count;
	uint32_t table_first;          /* routing tables owned by this plan (prune range) */
	uint32_t table_count;
	bool prune_by_link;            /* also ours: routes of our protocol through the link */
	struct plan_sysctl *sysctls;
	size_t n_sysctls;
	unsigned int dns_methods;      /* what may hold the link's DNS (enum linkdns_method bits) */
};

/* How many slots there are: each takes two rule priorities out of 100. */
#define PLAN_SLOTS 50

/* How to plan: one-shot (wg-quick's routing) or for the agent. */
struct plan_opts {
	enum backend backend;          /* kernel or userspace */
	unsigned int slot;
	/* Agent: every route goes into the tunnel's own table and rules are the agent's;
	 * one-shot: routes go to main, a default route behind two rules of the slot. */
	bool agent;
	/* The routes of the groups this tunnel is a member of: allowed IPs as wide as one of
	 * them (or wider) are the group's to route, not the member's. */
	const struct cidrv *group_routes;
	/* Endpoint lookup; NULL resolves synchronously with plan_resolve. A resolver may
	 * return -EAGAIN (not known yet): the plan fails with it and says nothing. */
	int (*resolve)(void *ctx, const char *host, uint16_t port, union wg_endpoint *ep);
	void *resolve_ctx;
};

/* Work out the plan for tunnel t of config c. nl (rtnetlink) is only read, to find the
 * path MTU towards the endpoints when t->mtu is automatic. 0 or -errno with the reason in
 * d ("tunnel hq: peer 1: endpoint ..."). The plan holds a copy of the private key;
 * plan_clear wipes it. */
int plan_tunnel(struct plan *p, const struct config *c, const struct tunnel *t,
		const struct plan_opts *o, struct nl *nl, struct diag *d);
void plan_clear(struct plan *p);

/* Resolve "host" and port into an endpoint; numeric addresses need no lookup. 0 or
 * -EADDRNOTAVAIL (no address), -EAGAIN (temporary failure). */
int plan_resolve(union wg_endpoint *ep, const char *host, uint16_t port);

#endif
