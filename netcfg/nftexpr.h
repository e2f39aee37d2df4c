/* The pieces every nftables writer of warren shares: expressions as nft itself generates
 * them, a growing batch buffer, and a rule's expressions as comparable text. */
#ifndef WARREN_NFTEXPR_H
#define WARREN_NFTEXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "nl.h"
#include "../profiles/cidr.h"

#define NFTX_IFNAMSZ 16         /* IFNAMSIZ: meta iifname/oifname compare all 16 bytes */
#define NFTX_MSG_ROOM 8192      /* room reserved per message; none we build is larger */
#define NFTX_TEXT_MAX 4096      /* one rule's expressions as text */

/* libnftnl allocations abort on failure, as xmalloc does. */
void *nftx_must(void *p);
struct nftnl_expr *nftx_expr(const char *name);

/* Expressions appended to r; reg is a register (NFT_REG_1, NFT_REG32_01, ...). */
void nftx_meta(struct nftnl_rule *r, uint32_t key, uint32_t reg);
void nftx_meta_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg);
void nftx_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len);
void nftx_bitwise(struct nftnl_rule *r, const void *mask, uint32_t len);
void nftx_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
		  uint32_t reg);
void nftx_verdict(struct nftnl_rule *r, int verdict, const char *chain);
/* lookup reg @set [dreg]: dreg -1 for a plain set, NFT_REG_VERDICT for a vmap. */
void nftx_lookup(struct nftnl_rule *r, const char *set, uint32_t sreg, int dreg, bool inv);
/* iifname/oifname ==/!= name: the whole 16 bytes, NUL padded. */
void nftx_ifname(struct nftnl_rule *r, uint32_t key, uint32_t op, const char *name);
/* meta nfproto ipv4/ipv6 */
void nftx_nfproto(struct nftnl_rule *r, int family);
/* ip/ip6 saddr/daddr within c (meta nfproto first). */
void nftx_addr(struct nftnl_rule *r, const struct cidr *c, bool src);
/* ip/ip6 saddr/daddr into reg, after meta nfproto. */
void nftx_addr_load(struct nftnl_rule *r, int family, bool src, uint32_t reg);
/* meta l4proto P th dport PORT */
void nftx_dport(struct nftnl_rule *r, uint8_t proto, uint16_t port);

/* A batch being built: messages back to back. */
struct nftx_buf {
	char *p;
	size_t len, cap;
};

/* Room for one more message of at most NFTX_MSG_ROOM bytes, zeroed. */
char *nftx_room(struct nftx_buf *b);
void nftx_done(struct nftx_buf *b, const struct nlmsghdr *nlh);
void nftx_batch_begin(struct nl *nl, struct nftx_buf *b, uint32_t genid);
void nftx_batch_end(struct nl *nl, struct nftx_buf *b);
void nftx_put_table(struct nl *nl, struct nftx_buf *b, const char *table, uint16_t type,
		    uint16_t flags);
void nftx_put_rule(struct nl *nl, struct nftx_buf *b, struct nftnl_rule *r);

/* A rule's expressions as libnftnl prints them, without handle, position or counter
 * values; false when it does not fit in size. */
bool nftx_rule_text(const struct nftnl_rule *r, char *buf, size_t size);

/* A request header for a read (dumps end with DONE, others ask for the ACK). */
struct nlmsghdr *nftx_req(struct nl *nl, void *buf, uint16_t type, uint16_t family,
			  uint16_t flags);
bool nftx_msg_is(const struct nlmsghdr *nlh, uint16_t type);

#endif
