/* Named sets and maps of an inet table, their elements, and the chains that use them, as
 * messages of an nftables batch (nftexpr.h's buffer); and dumps of a set's elements. */
#ifndef WARREN_NFTSET_H
#define WARREN_NFTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nftexpr.h"

/* nft's own type numbers, so `nft list` prints the keys and data as addresses etc. */
#define NFTSET_T_VERDICT 1
#define NFTSET_T_INTEGER 4
#define NFTSET_T_IPADDR 7
#define NFTSET_T_IP6ADDR 8
#define NFTSET_T_INET_PROTO 12
#define NFTSET_T_INET_SERVICE 13
#define NFTSET_T_CLASSID 23
#define NFTSET_TYPE_BITS 6
#define NFTSET_CONCAT3(a, b, c) \
	(((uint32_t)(a) << (2 * NFTSET_TYPE_BITS)) | ((uint32_t)(b) << NFTSET_TYPE_BITS) | (c))

#define NFTSET_KEY_MAX 40          /* the longest concatenation: ip6 . proto . port = 24 */
#define NFTSET_NAME_MAX 32
#define NFTSET_PER_MSG 64          /* elements per NEWSETELEM/DELSETELEM message */

struct nftset_def {
	const char *name;
	uint32_t flags;            /* NFT_SET_INTERVAL, _MAP, _TIMEOUT, _EVAL, _CONCAT */
	uint32_t key_type, key_len;
	uint32_t data_type, data_len;   /* maps: NFT_DATA_VERDICT (len 0) or a type and len */
	uint8_t fields[4];         /* a concatenation's field lengths (unpadded), 0-ended */
	uint32_t size;             /* 0: no limit given */
};

struct nftset_elem {
	uint8_t key[NFTSET_KEY_MAX], key_end[NFTSET_KEY_MAX];
	uint32_t key_len;
	bool has_end;              /* key_end holds the last key of the range (concat) */
	uint32_t flags;            /* NFT_SET_ELEM_INTERVAL_END */
	char chain[NFTSET_NAME_MAX];   /* a vmap's goto target, or "" */
	bool has_data;
	uint32_t data;             /* host byte order, as meta priority takes it */
	uint64_t timeout_ms;       /* 0: none */
	/* filled by dumps only */
	uint64_t expires_ms;
	bool has_counter;
	uint64_t packets, bytes;
};

void nftset_put_set(struct nl *nl, struct nftx_buf *b, const char *table,
		    const struct nftset_def *d, uint16_t type, uint16_t flags);
/* NFT_MSG_NEWSETELEM (flags NLM_F_CREATE[|NLM_F_EXCL]) or NFT_MSG_DELSETELEM of n elements,
 * NFTSET_PER_MSG to a message. */
void nftset_put_elems(struct nl *nl, struct nftx_buf *b, const char *table, const char *set,
		      uint16_t type, uint16_t flags, const struct nftset_elem *v, size_t n);
/* Every element of the set removed. */
void nftset_put_flush(struct nl *nl, struct nftx_buf *b, const char *table, const char *set);

/* A base chain (type non-NULL: hook, priority, policy accept) or a regular one. */
struct nftnl_chain *nftset_chain_new(const char *table, const char *name, const char *type,
				     uint32_t hook, int32_t prio);
void nftset_put_chain(struct nl *nl, struct nftx_buf *b, struct nftnl_chain *c,
		      uint16_t type, uint16_t flags);
/* Every rule of the chain removed (the chain stays). */
void nftset_put_chain_flush(struct nl *nl, struct nftx_buf *b, const char *table,
			    const char *chain);

/* A named counter object of the table: NFT_MSG_NEWOBJ (flags NLM_F_CREATE[|NLM_F_EXCL]) or
 * NFT_MSG_DELOBJ. */
void nftset_put_counter(struct nl *nl, struct nftx_buf *b, const char *table, const char *name,
			uint16_t type, uint16_t flags);
/* Its values; -ENOENT when it is absent. */
int nftset_counter_get(struct nl *nl, const char *table, const char *name, uint64_t *packets,
		       uint64_t *bytes);
/* The names of the table's counter objects into *names (*n); other objects set *other. */
int nftset_counter_names(struct nl *nl, const char *table, char (**names)[NFTSET_NAME_MAX],
			 size_t *n, bool *other);

/* The set's elements, kernel order, into *v (*n); -ENOENT when the set is absent. */
int nftset_dump(struct nl *nl, const char *table, const char *set, struct nftset_elem **v,
		size_t *n);
/* The one element with this key: *found false when it is absent or timed out. */
int nftset_get(struct nl *nl, const char *table, const char *set, const void *key,
	       uint32_t len, bool *found, struct nftset_elem *out);

/* The elements of an interval (rbtree) set for ranges [lo, hi] (inclusive, len bytes each,
 * network order; sorted and disjoint): a start and, unless hi is the top of the space, an
 * end element one past hi. Appended to *v. */
void nftset_range_elems(const uint8_t *lo, const uint8_t *hi, uint32_t len,
			struct nftset_elem **v, size_t *n);

#endif
