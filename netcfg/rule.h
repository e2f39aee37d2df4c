/* Policy routing rules (ip rule) over rtnetlink: add, exact delete, dump. */
#ifndef WARREN_RULE_H
#define WARREN_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nl.h"
#include "../profiles/cidr.h"

#define RULE_NAMSIZ 16

enum rule_action {
	RULE_TO_TABLE,       /* the zero value: look the packet up in table */
	RULE_UNREACHABLE,
	RULE_BLACKHOLE,
	RULE_PROHIBIT,
	RULE_OTHER,          /* goto, nop, ...: only seen in dumps */
};

struct rule {
	int family;                 /* AF_INET or AF_INET6 */
	uint32_t priority;          /* always sent; warren's range is 6200-6299 */
	uint32_t table;             /* for RULE_TO_TABLE; any u32 (FRA_TABLE) */
	uint32_t fwmark, fwmask;    /* fwmark 0 and mask 0: no mark match; mask 0 with a
	                               mark means all bits, as the kernel reads it */
	bool invert;                /* FIB_RULE_INVERT: "not" for every selector */
	int suppress_prefixlength;  /* -1 = none; 0 = ignore default routes of table */
	struct cidr src, dst;       /* prefix 0 (or family 0) = any */
	char iif[RULE_NAMSIZ];      /* "" = any; "lo" = locally originated */
	char oif[RULE_NAMSIZ];
	uint8_t protocol;           /* FRA_PROTOCOL; rule_init sets ROUTE_PROTO_WARREN (57) */
	enum rule_action action;
};

/* A to-table rule of family with no selectors, no suppression and warren's protocol. */
void rule_init(struct rule *r, int family);

/* Add r; an identical rule is -EEXIST (NLM_F_EXCL). 0 or -errno. */
int rule_add(struct nl *nl, const struct rule *r);
/* Delete the rule matching r: every field is sent (priority, table, protocol, selectors),
 * so a rule of another protocol is never hit. The kernel reads fields r leaves unset (no
 * mark, no iif/oif, suppress -1, prefix 0) as "any", so two warren rules at one priority
 * should not differ only by such a field. -ENOENT when absent. */
int rule_del(struct nl *nl, const struct rule *r);
/* Rules of family (AF_UNSPEC: IPv4 and IPv6) into a malloc'ed array (free() it). */
int rule_dump(struct nl *nl, int family, struct rule **rules, size_t *n);

/* Identical in every field, defaults normalized (mask of a bare fwmark, table of a
 * non-table action, prefixes of length 0). */
bool rule_equal(const struct rule *a, const struct rule *b);

enum rule_op {
	RULE_OP_ADD,         /* RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL */
	RULE_OP_DEL,         /* RTM_DELRULE */
};

/* The request for op on r into buf (size bytes, 4-byte aligned), for nl_talk or
 * nl_talk_batch. 0, -EMSGSIZE, or -EINVAL / -EAFNOSUPPORT for an inconsistent rule. */
int rule_msg(struct nl *nl, void *buf, size_t size, const struct rule *r, enum rule_op op);
/* An RTM_NEWRULE/RTM_DELRULE message into r. 0, -EBADMSG, -EINVAL, or -EAFNOSUPPORT. */
int rule_parse(const struct nlmsghdr *nlh, struct rule *r);

#endif
