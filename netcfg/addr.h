/* Interface addresses over rtnetlink: add (idempotent), delete, dump. */
#ifndef WARREN_ADDR_H
#define WARREN_ADDR_H

#include <stddef.h>
#include <stdint.h>

#include "nl.h"
#include "../profiles/cidr.h"

/* Options for addr_add (not the kernel's IFA_F_* numbers, which callers cannot include). */
enum addr_flag {
	ADDR_NODAD = 1 << 0,          /* IPv6: usable at once, no duplicate address detection */
	ADDR_NOPREFIXROUTE = 1 << 1,  /* no route for the prefix in the main table */
};

struct addr {
	int ifindex;
	struct cidr addr;    /* the local address and the prefix length it was added with */
	uint32_t kflags;     /* IFA_F_* as the kernel reports them (IFA_FLAGS when present) */
	uint8_t scope;       /* RT_SCOPE_*: 0 universe, 253 link, 254 host */
};

/* Add an address; adding one that exists already succeeds (NLM_F_REPLACE). IPv6 keeps
 * duplicate address detection unless flags has ADDR_NODAD. 0 or -errno. */
int addr_add(struct nl *nl, int ifindex, const struct cidr *a, unsigned int flags);
/* -EADDRNOTAVAIL when the link has no such address. */
int addr_del(struct nl *nl, int ifindex, const struct cidr *a);
/* Addresses of family (AF_UNSPEC: both) on ifindex (0: every link) into a malloc'ed
 * array (free() it). */
int addr_dump(struct nl *nl, int family, int ifindex, struct addr **addrs, size_t *n);

enum addr_op {
	ADDR_OP_ADD,         /* RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE */
	ADDR_OP_DEL,         /* RTM_DELADDR */
};

/* The request behind addr_add / addr_del into buf (size bytes, 4-byte aligned), for
 * nl_talk or nl_talk_batch. 0, -EMSGSIZE, -EINVAL or -EAFNOSUPPORT. */
int addr_msg(struct nl *nl, void *buf, size_t size, enum addr_op op, int ifindex,
	     const struct cidr *a, unsigned int flags);

/* An RTM_NEWADDR/RTM_DELADDR message into a. 0, -EBADMSG or -EINVAL; -EAFNOSUPPORT for a
 * family other than IPv4 and IPv6. */
int addr_parse(const struct nlmsghdr *nlh, struct addr *a);

#endif
