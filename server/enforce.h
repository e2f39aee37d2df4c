/* The server's table inet warren_server (DESIGN 4, 11): SNAT to the egress and the access
 * policy of every group, set- and map-based so that a change to one device touches its
 * elements only and a change to one group touches that group's chain and sets only.
 *
 *   forward, from the tunnel: ip saddr vmap @dev4 / ip6 saddr vmap @dev6  -> goto g_ID
 *   g_ID: DNS and the portal always; the schedule's gate (rules present while closed);
 *         sources (ip saddr @epok4 where the group has sources); portal login
 *         (ip saddr @login4, whose elements time out after the group's idle and are
 *         refreshed by the group's traffic); isolation; destinations as interval sets
 *         g_ID_net4/6 (address) and g_ID_port4/6 (address . l4proto . port); the rest
 *         is counted per device address in @blocked4/6 and dropped.
 *   rate: meta priority set from the maps @up4/@dn4 (device address -> HTB class) so the
 *         qdiscs of netcfg/tc.c shape it.
 *   resolver (DESIGN 12, no leaks): chain dns_dnat (nat prerouting, dstnat - 5) DNATs 53
 *         from the tunnel to the server's address of the family on dns_port; forward
 *         jumps to dns_refuse before the dispatch, which refuses 853 and 443 to
 *         @doh4/@doh6 with a reset or port-unreachable, counted in the named counter
 *         dns_refused.
 *
 * Pure data in, owned by the caller. Every call returns 0 or -errno with the kernel's
 * explanation in nl_strerror(nfnl, err). */
#ifndef WARREN_ENFORCE_H
#define WARREN_ENFORCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../netcfg/nl.h"
#include "../profiles/cidr.h"
#include "../profiles/policy.h"

struct enforce_conf {
	const char *ifname;            /* the tunnel link */
	const char *egress;            /* SNAT out of it (NULL or snat false: none) */
	bool snat;
	struct cidrv pool;             /* the clients' prefixes, SNAT's sources */
	struct cidrv server_addrs;     /* the server's own tunnel addresses (prefix ignored) */
	uint16_t portal_port;          /* TCP port of the portal on them; 0: none */
	bool policy;                   /* false: SNAT only, no forward filtering (no groups) */
	bool log;                      /* sample drops to the kernel log, rate-limited */
	/* The resolver on server_addrs (server/dns/): 0 none. */
	uint16_t dns_port;             /* its port on the server addresses (53 unless configured) */
	bool dns_redirect;             /* UDP and TCP 53 from the tunnel to any address is
	                                  answered by the resolver (DNAT to the server address
	                                  of the packet's family, dns_port) */
	bool refuse_dot;               /* TCP and UDP 853 (DoT, DoQ) from the tunnel refused */
	struct cidrv doh;              /* TCP and UDP 443 from the tunnel to these prefixes
	                                  refused (DoH, HTTP/3); v4 and v6 interval sets */
};

struct enforce_group {
	uint32_t id;                   /* the database's group id, > 0 */
	const struct policy *p;        /* resolved: the file's defaults already applied; its
	                                  dests empty means everything */
	bool open;                     /* the schedule is open now (the daemon decides) */
};

/* One device address (a device with IPv4 and IPv6 is two of these). */
struct enforce_dev {
	struct cidr addr;              /* full-length prefix */
	uint32_t group;                /* its user's group id; must be converged */
	bool ep_ok;                    /* its endpoint was seen inside the group's sources */
	bool logged_in;                /* portal_login: a web session is signed in */
	uint32_t login_timeout_s;      /* logged_in: the element's timeout (0: the group's idle,
	                                  or none without idle) */
	uint16_t class_up, class_dn;   /* HTB class minors for its user's rate; 0: none */
};

struct enforce;

struct enforce *enforce_new(struct nl *nfnl);
void enforce_free(struct enforce *e);

/* Make the whole table exactly this, in one transaction (start, reload, repair). */
int enforce_converge(struct enforce *e, const struct enforce_conf *c,
		     const struct enforce_group *g, size_t ng, const struct enforce_dev *d,
		     size_t nd);
/* Add or change one device address: its elements only. */
int enforce_dev_set(struct enforce *e, const struct enforce_dev *d);
int enforce_dev_del(struct enforce *e, const struct cidr *addr);
/* Add or change one group (policy, schedule open/closed): its chain and sets only. */
int enforce_group_set(struct enforce *e, const struct enforce_group *g);
/* -EBUSY while a device still points at it. */
int enforce_group_del(struct enforce *e, uint32_t id);

/* Is the address signed in to the portal in the kernel right now (its element has not
 * timed out)? */
int enforce_login_get(struct enforce *e, const struct cidr *addr, bool *logged_in);
/* DoT and DoH packets refused since the table was made (the named counter dns_refused);
 * 0 when nothing is refused. */
int enforce_dns_refused(struct enforce *e, uint64_t *packets);
/* Blocked traffic per device address since the table was made. */
typedef int (*enforce_blocked_fn)(const struct cidr *addr, uint64_t packets, uint64_t bytes,
				  void *arg);
int enforce_blocked(struct enforce *e, enforce_blocked_fn fn, void *arg);

/* *match = the table is what the last converge and the changes since made (elements that
 * timed out or were counted excepted). */
int enforce_matches(struct enforce *e, bool *match);
/* The ruleset generation our last commit produced (for the monitor). */
uint32_t enforce_gen(const struct enforce *e);
/* Delete the table; absent is fine. */
int enforce_remove(struct enforce *e);

/* Every batch, BATCH_BEGIN ... END as it goes to the kernel, is shown to fn first (tests,
 * benchmarks). With a netfilter handle that has no socket nothing is sent at all, so the
 * batches can be built without the kernel. */
typedef void (*enforce_batch_fn)(const void *buf, size_t len, void *arg);
void enforce_observe(struct enforce *e, enforce_batch_fn fn, void *arg);

#endif
