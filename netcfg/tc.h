/* Traffic shaping by rtnetlink (no tc(8)): one HTB root qdisc per link that warren made,
 * a class per rate-limited user chosen by the packet's priority (meta priority set by
 * nftables), fq_codel under each class. Everything warren adds carries its own handle
 * major (TC_MAJOR) so a dump tells ours from someone else's; a root qdisc that is not
 * ours is never replaced or deleted. */
#ifndef WARREN_TC_H
#define WARREN_TC_H

#include <stdbool.h>
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
int tc_class_del(struct nl *nl, int ifindex, uint16_t minor);

#endif
