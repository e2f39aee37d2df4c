/* Routes over rtnetlink: add/replace, delete, dump by table, single-destination lookups. */
#ifndef WARREN_ROUTE_H
#define WARREN_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nl.h"
#include "../profiles/cidr.h"

#define ROUTE_PROTO_WARREN 57   /* RTPROT marking warren's routes and rules (DESIGN 4) */
#define ROUTE_TABLE_MAIN 254
#define ROUTE_TABLE_LOCAL 255
#define ROUTE_IP6_DEFAULT_METRIC 1024   /* what the kernel gives an IPv6 route without one */

enum route_type {
	ROUTE_UNICAST,       /* the zero value: a normal route through oif / gateway */
	ROUTE_UNREACHABLE,   /* fail with EHOSTUNREACH (ICMP unreachable) */
	ROUTE_BLACKHOLE,     /* drop silently */
	ROUTE_PROHIBIT,      /* fail with EACCES (ICMP prohibited) */
	ROUTE_THROW,         /* end lookup in this table; rules continue */
	ROUTE_LOCAL,         /* kernel-made kinds, only seen in dumps */
	ROUTE_BROADCAST,
	ROUTE_ANYCAST,
	ROUTE_MULTICAST,
	ROUTE_OTHER,
};

struct route {
	int family;             /* AF_INET or AF_INET6 */
	struct cidr dst;        /* prefix 0 = default route; host bits must be clear */
	uint32_t table;         /* RTA_TABLE (any u32); 0 means main (254) */
	int oif;                /* output ifindex, 0 for none (required for unicast w/o gateway) */
	enum route_type type;
	uint8_t protocol;       /* RTPROT_*; route_init sets ROUTE_PROTO_WARREN */
	uint32_t metric;        /* RTA_PRIORITY; 0 = kernel default (IPv6: 1024) */
	struct cidr gateway;    /* family 0 = none */
	struct cidr prefsrc;    /* family 0 = none */
	uint32_t mtu;           /* RTAX_MTU in RTA_METRICS; 0 = none (route_get: effective) */
};

/* A unicast route in the main table with warren's protocol and nothing else set. */
void route_init(struct route *r, int family);

/* Add r; with replace an existing route with the same destination, table and metric is
 * overwritten (NLM_F_REPLACE), without it that is -EEXIST (NLM_F_EXCL). 0 or -errno. */
int route_add(struct nl *nl, const struct route *r, bool replace);
/* Delete the route matching r: destination, table, metric, type, protocol and (for
 * unicast) oif/gateway, so a same-prefix route of someone else's survives. -ESRCH when
 * absent. */
int route_del(struct nl *nl, const struct route *r);
/* Routes of family (AF_UNSPEC: IPv4 and IPv6) in table (0: every table) into a malloc'ed
 * array (free() it). Cached/cloned entries and other families (multicast routing) are
 * left out. */
int route_dump(struct nl *nl, int family, uint32_t table, struct route **routes, size_t *n);
/* Ask the kernel which route a packet to dst (a host address; prefix ignored) with
 * firewall mark (0: none) would take, as `ip route get`. out gets the type, table, oif,
 * gateway, prefsrc and the path MTU: the route's RTAX_MTU, else the MTU of oif. */
int route_get(struct nl *nl, const struct cidr *dst, uint32_t mark, struct route *out);

/* Same kernel object: family, destination, table and metric (what NLM_F_REPLACE keys on
 * for IPv4 and, with the same metric, IPv6). Defaults are normalized (table 0 = main,
 * IPv6 metric 0 = 1024). */
bool route_key_equal(const struct route *a, const struct route *b);
/* An order on the same key as route_key_equal (0 exactly when it is true), for sorting
 * and binary search. */
int route_key_cmp(const struct route *a, const struct route *b);
/* route_key_equal and identical in every field warren sets; oif and gateway only count
 * for unicast routes (the kernel attaches IPv6 reject routes to lo). */
bool route_equal(const struct route *a, const struct route *b);

enum route_op {
	ROUTE_OP_ADD,        /* RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL */
	ROUTE_OP_REPLACE,    /* RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE */
	ROUTE_OP_DEL,        /* RTM_DELROUTE */
};

/* The request for op on r into buf (size bytes, 4-byte aligned) from nl_msg, for nl_talk
 * or to be laid back to back for nl_talk_batch. 0, -EMSGSIZE when it does not fit, or
 * -EINVAL / -EAFNOSUPPORT for an inconsistent route. */
int route_msg(struct nl *nl, void *buf, size_t size, const struct route *r, enum route_op op);
/* An RTM_NEWROUTE/RTM_DELROUTE message into r. 0, -EBADMSG, -EINVAL, or -EAFNOSUPPORT for
 * a family other than IPv4/IPv6. */
int route_parse(const struct nlmsghdr *nlh, struct route *r);
/* true for a cached/cloned entry (RTM_F_CLONED), which dumps leave out. */
bool route_msg_is_clone(const struct nlmsghdr *nlh);

#endif
