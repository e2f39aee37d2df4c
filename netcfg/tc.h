/* Traffic shaping by rtnetlink (no tc(8)): one HTB root qdisc per link that warren made,
 * a class per rate-limited user chosen by the packet's priority (meta priority set by
 * nftables), fq_codel under each class. Everything warren adds carries its own handle
 * major (TC_MAJOR) so a dump tells ours from someone else's; a root qdisc that is not
 * ours is never replaced or deleted. */
#ifndef WARREN_TC_H
#define WARREN_TC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nl.h"

#define TC_MAJOR 0x5752u             /* "WR": our qdisc handle 5752: */
#define TC_CLASS_DEFAULT 0xffffu     /* unclassified traffic: not shaped */
#define TC_CLASSID(minor) ((TC_MAJOR << 16) | (minor))

/* Every call takes a rtnetlink socket and returns 0 or -errno (nl_strerror names the
 * object). -EEXIST from tc_root_add when a root qdisc that is not ours is present. */

/* Our HTB root on ifindex with a default class that does not shape; a no-op when it is
 * already there. link_bps is the ceiling of the default class (0: 10 Gbit). */
int tc_root_add(struct nl *nl, int ifindex, uint64_t link_bps);
/* Remove our root (and so every class under it); absent is fine. */
int tc_root_del(struct nl *nl, int ifindex);
/* *ours = our HTB root is on ifindex. */
int tc_root_get(struct nl *nl, int ifindex, bool *ours);
/* Add or change class minor (1 .. 0xfffe) to rate bits per second (rate = ceil), with an
 * fq_codel leaf. */
int tc_class_set(struct nl *nl, int ifindex, uint16_t minor, uint64_t rate_bps);
/* Remove class minor and its leaf; absent is fine. */
int tc_class_del(struct nl *nl, int ifindex, uint16_t minor);

/* The pieces, pure, for tests. */

/* Burst (and cburst) of a class at rate_bps, in bytes: what the rate delivers in one tick
 * of a TC_BURST_HZ clock, plus one full-sized frame. HTB refills a class's tokens only
 * when it dequeues, and dequeues wait for its hrtimer and then for the softirq that runs
 * the queue, which a busy or emulated CPU defers by up to a jiffy (4 ms at Debian's
 * HZ=250, 10 ms at HZ=100). A bucket smaller than that gap caps tokens that were due
 * and the class runs below its rate (at 1 Mbit one frame alone is 12 ms, hence the MTU
 * term); a larger one only lets an idle class send that much at line rate: 10 ms is
 * 12.5 kB at 10 Mbit, 125 kB at 100 Mbit. */
#define TC_BURST_HZ 100u
#define TC_BURST_MTU 1600u
uint32_t tc_burst(uint64_t rate_bps);
/* The major of class minor's fq_codel leaf (its handle is major:0): minor itself, and
 * 0xffff for minor TC_MAJOR. */
uint16_t tc_leaf_major(uint16_t minor);

#define TC_KINDSIZ 16
struct tc_qdisc {
	int ifindex;
	uint32_t handle;
	uint32_t parent;          /* 0xffffffff (TC_H_ROOT) for a root */
	char kind[TC_KINDSIZ];
};

/* Requests into buf (size bytes, 4-byte aligned) from nl_msg: 0, -EINVAL, -EMSGSIZE.
 * tc_root_msg: NEWQDISC htb TC_MAJOR:0 as root (CREATE | EXCL), default TC_CLASS_DEFAULT.
 * tc_class_msg: NEWTCLASS TC_CLASSID(minor) under the root (CREATE: add or change).
 * tc_leaf_msg: NEWQDISC fq_codel tc_leaf_major(minor):0 under it (CREATE | REPLACE). */
int tc_root_msg(struct nl *nl, void *buf, size_t size, int ifindex);
int tc_class_msg(struct nl *nl, void *buf, size_t size, int ifindex, uint16_t minor,
		 uint64_t rate_bps);
int tc_leaf_msg(struct nl *nl, void *buf, size_t size, int ifindex, uint16_t minor);
int tc_class_del_msg(struct nl *nl, void *buf, size_t size, int ifindex, uint16_t minor);
int tc_root_del_msg(struct nl *nl, void *buf, size_t size, int ifindex);
/* An RTM_NEWQDISC message into q: 0, -EBADMSG, -EINVAL. */
int tc_qdisc_parse(const struct nlmsghdr *nlh, struct tc_qdisc *q);

#endif
