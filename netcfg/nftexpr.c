/* Expression builders, batch buffer and rule text shared by nft.c and nftset.c. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libnftnl/common.h>
#include <libnftnl/table.h>

#include "nftexpr.h"
#include "../common/util.h"

void *nftx_must(void *p)
{
	if (!p) {
		fputs("warren: out of memory\n", stderr);
		abort();
	}
	return p;
}

struct nftnl_expr *nftx_expr(const char *name)
{
	return nftx_must(nftnl_expr_alloc(name));
}

void nftx_meta(struct nftnl_rule *r, uint32_t key, uint32_t reg)
{
	struct nftnl_expr *e = nftx_expr("meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, reg);
	nftnl_rule_add_expr(r, e);
}

void nftx_meta_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg)
{
	struct nftnl_expr *e = nftx_expr("meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, sreg);
	nftnl_rule_add_expr(r, e);
}

void nftx_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftx_expr("cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	nftnl_rule_add_expr(r, e);
}

void nftx_bitwise(struct nftnl_rule *r, const void *mask, uint32_t len)
{
	static const uint8_t zero[16];
	struct nftnl_expr *e = nftx_expr("bitwise");

	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
	nftnl_rule_add_expr(r, e);
}

void nftx_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len, uint32_t reg)
{
	struct nftnl_expr *e = nftx_expr("payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_rule_add_expr(r, e);
}

void nftx_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e = nftx_expr("immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	nftnl_rule_add_expr(r, e);
}

void nftx_lookup(struct nftnl_rule *r, const char *set, uint32_t sreg, int dreg, bool inv)
{
	struct nftnl_expr *e = nftx_expr("lookup");

	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	if (dreg >= 0)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, (uint32_t)dreg);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	/* always: the kernel dumps the flags back, 0 included */
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, inv ? NFT_LOOKUP_F_INV : 0);
	nftnl_rule_add_expr(r, e);
}

void nftx_ifname(struct nftnl_rule *r, uint32_t key, uint32_t op, const char *name)
{
	char buf[NFTX_IFNAMSZ] = { 0 };

	memcpy(buf, name, strnlen(name, NFTX_IFNAMSZ - 1));
	nftx_meta(r, key, NFT_REG_1);
	nftx_cmp(r, op, buf, sizeof(buf));
}

void nftx_nfproto(struct nftnl_rule *r, int family)
{
	uint8_t p = family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;

	nftx_meta(r, NFT_META_NFPROTO, NFT_REG_1);
	nftx_cmp(r, NFT_CMP_EQ, &p, sizeof(p));
}

static uint32_t addr_off(int family, bool src)
{
	return family == AF_INET ? (src ? 12 : 16) : (src ? 8 : 24);
}

void nftx_addr_load(struct nftnl_rule *r, int family, bool src, uint32_t reg)
{
	nftx_nfproto(r, family);
	nftx_payload(r, NFT_PAYLOAD_NETWORK_HEADER, addr_off(family, src),
		     family == AF_INET ? 4 : 16, reg);
}

void nftx_addr(struct nftnl_rule *r, const struct cidr *c, bool src)
{
	uint32_t whole = (uint32_t)c->prefix / 8u, bytes = whole;
	uint8_t data[16] = { 0 }, mask[16] = { 0 };

	nftx_nfproto(r, c->family);
	if (!c->prefix)
		return;
	/* Whole bytes compare directly; a prefix ending mid-byte loads the address and masks
	 * it, as nft does, so nft lists it back as a prefix. */
	if (c->prefix % 8) {
		bytes = (uint32_t)cidr_addrlen(c);
		memset(mask, 0xff, whole);
		mask[whole] = (uint8_t)(0xff << (8 - c->prefix % 8));
	}
	memcpy(data, c->addr, whole + (c->prefix % 8 ? 1 : 0));
	nftx_payload(r, NFT_PAYLOAD_NETWORK_HEADER, addr_off(c->family, src), bytes, NFT_REG_1);
	if (c->prefix % 8) {
		data[whole] &= mask[whole];
		nftx_bitwise(r, mask, bytes);
	}
	nftx_cmp(r, NFT_CMP_EQ, data, bytes);
}

void nftx_dport(struct nftnl_rule *r, uint8_t proto, uint16_t port)
{
	uint16_t p = htons(port);

	nftx_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	nftx_cmp(r, NFT_CMP_EQ, &proto, sizeof(proto));
	nftx_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	nftx_cmp(r, NFT_CMP_EQ, &p, sizeof(p));
}

/* ---- the batch ---- */

char *nftx_room(struct nftx_buf *b)
{
	if (b->cap - b->len < NFTX_MSG_ROOM) {
		b->cap = b->cap * 2 + NFTX_MSG_ROOM;
		b->p = xrealloc(b->p, b->cap);
	}
	/* libmnl leaves attribute padding as it finds it. */
	memset(b->p + b->len, 0, NFTX_MSG_ROOM);
	return b->p + b->len;
}

void nftx_done(struct nftx_buf *b, const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_len > NFTX_MSG_ROOM)
		abort();   /* larger than any message we build: memory is already corrupt */
	b->len += nlh->nlmsg_len;
}

void nftx_batch_begin(struct nl *nl, struct nftx_buf *b, uint32_t genid)
{
	struct nlmsghdr *nlh;

	/* Batch delimiters ask for no ACK: kernels before 6.0 never send one. */
	nlh = nftnl_batch_begin(nftx_room(b), ++nl->seq);
	if (genid && !mnl_attr_put_u32_check(nlh, NFTX_MSG_ROOM, NFNL_BATCH_GENID, htonl(genid)))
		abort();
	nftx_done(b, nlh);
}

void nftx_batch_end(struct nl *nl, struct nftx_buf *b)
{
	nftx_done(b, nftnl_batch_end(nftx_room(b), ++nl->seq));
}

void nftx_put_table(struct nl *nl, struct nftx_buf *b, const char *table, uint16_t type,
		    uint16_t flags)
{
	struct nftnl_table *t = nftx_must(nftnl_table_alloc());
	struct nlmsghdr *nlh;

	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nlh = nftnl_table_nlmsg_build_hdr(nftx_room(b), type, NFPROTO_INET, flags | NLM_F_ACK,
					  ++nl->seq);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftx_done(b, nlh);
	nftnl_table_free(t);
}

void nftx_put_rule(struct nl *nl, struct nftx_buf *b, struct nftnl_rule *r)
{
	struct nlmsghdr *nlh;

	nlh = nftnl_rule_nlmsg_build_hdr(nftx_room(b), NFT_MSG_NEWRULE, NFPROTO_INET,
					 NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, ++nl->seq);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftx_done(b, nlh);
}

/* ---- reading ---- */

bool nftx_rule_text(const struct nftnl_rule *r, char *buf, size_t size)
{
	struct nftnl_expr_iter *it = nftx_must(nftnl_expr_iter_create(r));
	struct nftnl_expr *e;
	size_t off = 0;
	bool ok = true;
	int n;

	buf[0] = '\0';
	while (ok && (e = nftnl_expr_iter_next(it))) {
		n = snprintf(buf + off, size - off, "[ %s ",
			     nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
		if (n < 0 || (size_t)n >= size - off) {
			ok = false;
			break;
		}
		off += (size_t)n;
		n = nftnl_expr_snprintf(buf + off, size - off, e, NFTNL_OUTPUT_DEFAULT, 0);
		if (n < 0 || (size_t)n >= size - off) {
			ok = false;
			break;
		}
		off += (size_t)n;
		n = snprintf(buf + off, size - off, "] ");
		if (n < 0 || (size_t)n >= size - off)
			ok = false;
		else
			off += (size_t)n;
	}
	nftnl_expr_iter_destroy(it);
	return ok;
}

struct nlmsghdr *nftx_req(struct nl *nl, void *buf, uint16_t type, uint16_t family,
			  uint16_t flags)
{
	if ((flags & NLM_F_DUMP) != NLM_F_DUMP)
		flags |= NLM_F_ACK;
	return nftnl_nlmsg_build_hdr(buf, type, family, flags, ++nl->seq);
}

bool nftx_msg_is(const struct nlmsghdr *nlh, uint16_t type)
{
	return nlh->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | type);
}
