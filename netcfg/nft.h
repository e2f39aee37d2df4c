/* warren's nftables tables, inet warren (agent) and inet warren_server (server): their
 * description, atomic replacement and check. */
#ifndef WARREN_NFT_H
#define WARREN_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nl.h"
#include "../profiles/cidr.h"
#include "../profiles/model.h"

/* Family inet; each role owns one table and no other table is ever touched. */
#define NFT_TABLE_AGENT "warren"
#define NFT_TABLE_SERVER "warren_server"
#define NFT_NETLINK_BUS 12        /* NETLINK_NETFILTER, for nl_open outside netcfg/ */

/* What the table holds for one tunnel link. */
struct nft_tunnel {
	const char *ifname;          /* the tunnel's link, 1-15 bytes, no '/', ':' or blanks */
	unsigned int families;       /* FAMILY_IPV4 | FAMILY_IPV6: limits SNAT and MSS clamping;
	                                the inbound guard covers both, fail closed */
	bool snat;                   /* source-NAT the LAN subnets leaving through it */
	struct cidr snat_to4;        /* family 0: masquerade; AF_INET: snat ip to this address */
	struct cidr snat_to6;        /* family 0: masquerade; AF_INET6: snat ip6 to this address
	                                (prefixes of both are ignored) */
	struct cidrv addrs;          /* its own addresses (prefix ignored): packets for them
	                                arriving on another link from a non-local source are
	                                dropped, as wg-quick does; one owner per address */
	bool allow_inbound;          /* new connections from it into the LAN are let through */
};

/* The whole table. Pure data, owned by the caller: nothing here is freed or kept. With no
 * tunnels the table must not exist at all. */
struct nft_spec {
	const char *table;           /* NFT_TABLE_AGENT (also when NULL) or NFT_TABLE_SERVER */
	struct strv lan_ifs;         /* LAN-facing links */
	struct cidrv lan_subnets;    /* sources that SNAT rewrites; host bits must be clear */
	const struct nft_tunnel *tunnels;
	size_t n_tunnels;
};

/* Every call takes a netfilter socket (nl_open(&nl, NFT_NETLINK_BUS)) and returns
 * 0 or -errno; nl_strerror(nl, err) then names the failing object and gives the kernel's
 * explanation (or the reason a spec was refused). */

/* -EINVAL (-ENAMETOOLONG for a long link name) when spec cannot be written, with the
 * reason in why (whylen bytes; may be NULL). */
int nft_spec_check(const struct nft_spec *spec, char *why, size_t whylen);

/* Make the table exactly spec in one transaction: the old table is deleted and the new one
 * added in the same batch, so packets never see a half-made or missing ruleset. An empty
 * spec removes the table, writing nothing when it is already absent. *gen (may be NULL)
 * gets the ruleset generation our commit produced (0 when nothing was written); a
 * concurrent writer makes the batch retry rather than race it. */
int nft_apply(struct nl *nl, const struct nft_spec *spec, uint32_t *gen);
/* Delete the table (NULL: the agent's) if it exists; absent is fine and writes nothing. */
int nft_remove(struct nl *nl, const char *table);
/* One of the two names above. */
bool nft_table_name_valid(const char *name);
/* *match = the table is exactly what nft_apply(spec) writes: same flags, chains (type,
 * hook, priority, policy) and rules in order, expression by expression; handles and
 * counters are ignored. For an empty spec, *match = the table is absent. Reads only. */
int nft_matches(struct nl *nl, const struct nft_spec *spec, bool *match);
/* The ruleset generation: it changes with every commit to any table, so a caller that
 * remembers the value nft_apply gave can skip nft_matches while it is unchanged. */
int nft_gen(struct nl *nl, uint32_t *gen);

/* The batch nft_apply sends, BATCH_BEGIN ... BATCH_END, into a malloc'ed *buf of *len
 * bytes (free() it). genid != 0 makes the kernel refuse it with -ERESTART unless the
 * ruleset is still at that generation. Sequence numbers come from nl->seq, so nl needs no
 * socket. A non-empty spec gives: NEWTABLE, DELTABLE, NEWTABLE, NEWCHAIN..., NEWRULE...;
 * an empty one: NEWTABLE, DELTABLE (removal that cannot fail on an absent table). */
int nft_batch_build(struct nl *nl, const struct nft_spec *spec, uint32_t genid, void **buf,
		    size_t *len);

#endif
