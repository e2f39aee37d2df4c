/* Conntrack entries over ctnetlink: finding and deleting the flows source-NATed to an address. */
#ifndef WARREN_CONNTRACK_H
#define WARREN_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nl.h"
#include "../profiles/cidr.h"

#define CONNTRACK_NETLINK_BUS 12     /* NETLINK_NETFILTER, for nl_open outside netcfg/ */
#define CONNTRACK_IPS_SRC_NAT 0x10   /* IPS_SRC_NAT: the entry's source was rewritten */
#define CONNTRACK_IPS_DST_NAT 0x20   /* IPS_DST_NAT */

/* What a tuple carries beyond its protocol number, as the kernel's l4 protocol dumps it. */
enum conntrack_l4 {
	CONNTRACK_L4_NONE,           /* protocols conntrack tracks by addresses only */
	CONNTRACK_L4_PORTS,          /* TCP, UDP, UDP-Lite, SCTP, DCCP, GRE (keys as ports) */
	CONNTRACK_L4_ICMP,           /* ICMP or ICMPv6 (by proto): id, type, code */
};

/* One direction of a connection. */
struct conntrack_tuple {
	struct cidr src, dst;        /* the entry's family, full-length prefixes */
	uint8_t proto;               /* IPPROTO_* */
	enum conntrack_l4 l4;
	uint16_t sport, dport;       /* CONNTRACK_L4_PORTS, host byte order */
	uint16_t icmp_id;            /* CONNTRACK_L4_ICMP, host byte order */
	uint8_t icmp_type, icmp_code;
	bool has_zone;               /* CTA_TUPLE_ZONE: a zone for this direction only */
	uint16_t zone;
};

/* One conntrack entry: what selection needs and what a delete must name. */
struct conntrack_entry {
	int family;                  /* AF_INET or AF_INET6 */
	struct conntrack_tuple orig, reply;
	uint32_t status;             /* IPS_* bits (CTA_STATUS) */
	bool has_id;
	uint32_t id;                 /* CTA_ID, so a delete cannot hit a newer entry that
	                                reuses the tuple */
	uint16_t zone;               /* CTA_ZONE; 0 (the default zone) when absent */
};

/* Delete every conntrack entry of addr's family whose source was NATed to addr
 * (masquerade or snat to the tunnel address): the next packet of each such flow creates a
 * fresh entry through whatever route is current and is NATed anew. Entries of flows that
 * addr's own sockets originated (not NATed) are left alone. nl is a netfilter socket
 * (nl_open(&nl, CONNTRACK_NETLINK_BUS)); addr's prefix is ignored.
 * *deleted = how many selected entries are gone when it returns: deleted here or, in the
 * rare race, expired or deleted by someone else between the dump and the delete (ENOENT
 * is no error).
 * An entry the parser refuses is skipped; the others are still deleted, then its error
 * (-EBADMSG or -EINVAL) is returned.
 * Returns 0 or -errno: -EPROTONOSUPPORT when the kernel has no ctnetlink
 * (nf_conntrack_netlink not built or loadable; nl_open on a kernel without nfnetlink
 * fails with the same code) - nothing can be flushed then, and nl_strerror says so;
 * -EAFNOSUPPORT for an addr that is not IPv4/IPv6; -EPERM without CAP_NET_ADMIN. */
int conntrack_flush_nat(struct nl *nl, const struct cidr *addr, size_t *deleted);

/* Delete the n entries of v, many to a send (nl_talk_batch). *gone = how many of them are
 * gone when it returns: deleted here, or already gone (ENOENT: expired, deleted by
 * someone else, or its tuple now held by a newer entry, which CTA_ID keeps the delete
 * from hitting). 0 or the first other -errno, *gone then counting those before it. */
int conntrack_delete(struct nl *nl, const struct conntrack_entry *v, size_t n, size_t *gone);

/* The pieces, exposed for tests. Builders take buf of size bytes (4-byte aligned), draw a
 * sequence number from nl (which needs no socket) and give it back on failure; they
 * return 0, -EMSGSIZE, or -EAFNOSUPPORT / -EINVAL for what cannot be written. */

/* IPCTNL_MSG_CT_GET dump of addr's family. With filter the kernel is asked to send only
 * entries with IPS_SRC_NAT set (CTA_STATUS + CTA_STATUS_MASK) and, for IPv4 only, with
 * addr as reply destination (CTA_FILTER, Linux 5.10 on; its IPv6 address match is
 * inverted, still in 6.18). Kernels without these ignore them and send
 * everything, so the caller always selects again with conntrack_nat_to. */
int conntrack_dump_msg(struct nl *nl, void *buf, size_t size, const struct cidr *addr,
		       bool filter);
/* IPCTNL_MSG_CT_DELETE of e: its original tuple (with a per-direction zone), CTA_ZONE
 * when not the default zone, and CTA_ID when known. With NLM_F_ACK, for nl_talk_batch. */
int conntrack_del_msg(struct nl *nl, void *buf, size_t size, const struct conntrack_entry *e);
/* An IPCTNL_MSG_CT_NEW (dump reply or event) or IPCTNL_MSG_CT_DELETE message into e.
 * Both tuples (addresses of the message's family, protocol number, ports or ICMP fields
 * complete) and CTA_STATUS are required. 0, -EBADMSG (truncated), -EINVAL (a wrong
 * length, a missing or incomplete part) or -EAFNOSUPPORT (family not IPv4/IPv6). */
int conntrack_parse(const struct nlmsghdr *nlh, struct conntrack_entry *e);
/* true when e was source-NATed to addr: IPS_SRC_NAT set and the reply tuple's
 * destination is addr (prefix ignored). */
bool conntrack_nat_to(const struct conntrack_entry *e, const struct cidr *addr);

#endif
