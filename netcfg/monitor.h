/* Notifications from rtnetlink and nftables about the objects warren owns, filtered. */
#ifndef WARREN_MONITOR_H
#define WARREN_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "link.h"
#include "route.h"
#include "rule.h"

/* The two sockets, also the indexes into monitor_fds' array. */
enum monitor_bus {
	MONITOR_RTNL,      /* links, IPv4/IPv6 addresses, routes and rules */
	MONITOR_NFT,       /* nftables: every commit, with its objects and generation */
	MONITOR_NBUS,
};

enum monitor_kind {
	MON_LINK,          /* a watched link changed, was renamed or deleted */
	MON_ADDR,          /* an address on a watched link came, changed or went */
	MON_ROUTE,         /* a route of the watched protocol */
	MON_RULE,          /* a rule of the watched protocol */
	MON_NFT,           /* a commit that was not ours touched the watched inet table */
	MON_OVERRUN,       /* the kernel dropped notifications on bus: reconcile everything */
};

struct monitor_event {
	enum monitor_kind kind;
	enum monitor_bus bus;
	bool deleted;            /* RTM_DEL*; MON_NFT: the commit left the table deleted */
	int ifindex;             /* MON_LINK, MON_ADDR; MON_ROUTE: its oif (0 for none) */
	char ifname[LINK_NAMSIZ];/* MON_LINK, MON_ADDR: the watched name of that link ("" when
	                            the interest set gave none), which a rename makes differ
	                            from link.name */
	uint32_t portid;         /* netlink port whose request caused it (nlmsg_pid); 0: the
	                            kernel itself or unknown */
	uint32_t nft_gen;        /* MON_NFT: the commit's generation; MON_OVERRUN: the last
	                            generation seen before the loss (0: none yet) */
	uint32_t nft_pid;        /* MON_NFT: process that committed (0: unknown) */
	char nft_comm[16];       /* MON_NFT: its command name, "" when unknown */
	union {                  /* the parsed object, for logging and reconciling */
		struct link link;    /* MON_LINK */
		struct addr addr;    /* MON_ADDR */
		struct route route;  /* MON_ROUTE */
		struct rule rule;    /* MON_RULE */
	} u;
};

/* Called for each reported event; it must not block, and must not free the monitor. */
typedef void (*monitor_fn)(const struct monitor_event *ev, void *data);

/* One link warren made. ifindex 0 means not known yet: it is learned from the first link
 * notification carrying the name. */
struct monitor_link {
	const char *name;
	int ifindex;
};

/* What the agent owns; everything else is dropped right after parsing. */
struct monitor_interest {
	const struct monitor_link *links;   /* MON_LINK and MON_ADDR for these */
	size_t n_links;
	uint8_t protocol;                   /* MON_ROUTE/MON_RULE for this RTPROT; 0: none */
	const char *nft_table;              /* MON_NFT for this inet table; NULL: none */
};

struct monitor;

/* A monitor with an empty interest set and no sockets yet; fn gets its events. */
struct monitor *monitor_new(monitor_fn fn, void *data);
void monitor_free(struct monitor *m);

/* Replace the interest set (copied; in may be freed afterwards). Learned ifindexes of
 * links named in both the old and new set are kept where in gives 0. 0, or -EINVAL for a
 * bad link name. */
int monitor_set_interest(struct monitor *m, const struct monitor_interest *in);

/* Record a generation our own nft_apply produced: a commit with it is not reported. The
 * last few are remembered, so several commits before the next read are all recognized.
 * 0 is ignored. */
void monitor_own_nft_gen(struct monitor *m, uint32_t gen);
/* The generation of the last nftables commit seen, 0 before the first. */
uint32_t monitor_nft_gen(const struct monitor *m);

/* Open both sockets, non-blocking, joined to their multicast groups, with a large receive
 * buffer (SO_RCVBUFFORCE where allowed). 0 or -errno (-EPERM: joining nftables' group
 * needs CAP_NET_ADMIN); on failure nothing stays open. Notifications queue from here on,
 * so open before the first dump to miss nothing. */
int monitor_open(struct monitor *m);
/* fds[MONITOR_RTNL] and fds[MONITOR_NFT] for the loop (EPOLLIN); -1 before monitor_open. */
void monitor_fds(const struct monitor *m, int fds[MONITOR_NBUS]);

/* Read what is queued on fd (one of monitor_fds) without blocking and report what passes
 * the filter. Stops at an empty queue or after a budget of datagrams, so a flood cannot
 * starve the loop (the fd then stays readable). A receive queue overflow (ENOBUFS) or a
 * truncated datagram is reported as MON_OVERRUN and reading goes on. Returns the number of
 * events reported, or -EBADF for a foreign fd, or -errno of a failing socket. */
int monitor_read(struct monitor *m, int fd);

/* What monitor_read does with one datagram (len bytes of messages) from bus; exposed so
 * the filter can be driven with crafted messages. Returns the number of events reported. */
int monitor_input(struct monitor *m, enum monitor_bus bus, const void *buf, size_t len);
/* What monitor_read does when a receive on bus fails with err (-errno): -ENOBUFS and
 * -EMSGSIZE (a truncated datagram) mean notifications were lost, reported as MON_OVERRUN
 * (returns 1); -EAGAIN and -EINTR are ignored (returns 0); anything else is returned. */
int monitor_input_error(struct monitor *m, enum monitor_bus bus, int err);

struct monitor_stats {
	uint64_t messages;      /* netlink messages examined */
	uint64_t reported;      /* events delivered, overruns included */
	uint64_t dropped;       /* well-formed, but not in the interest set */
	uint64_t malformed;     /* refused by a parser */
	uint64_t overruns;
};
void monitor_stats(const struct monitor *m, struct monitor_stats *st);

#endif
