/* Sets, maps, their elements and chains of warren's tables, as batch messages and dumps. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/object.h>
#include <libnftnl/set.h>

#include "nftset.h"
#include "../common/util.h"

static uint32_t set_ids;

void nftset_put_set(struct nl *nl, struct nftx_buf *b, const char *table,
		    const struct nftset_def *d, uint16_t type, uint16_t flags)
{
	struct nftnl_set *s = nftx_must(nftnl_set_alloc());
	struct nlmsghdr *nlh;
	size_t nf = strnlen((const char *)d->fields, sizeof(d->fields));

	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, d->name);
	if (type == NFT_MSG_NEWSET) {
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, d->flags);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, d->key_type);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, d->key_len);
		/* Not from nl->seq: a batch's sequence numbers must run on unbroken. */
		nftnl_set_set_u32(s, NFTNL_SET_ID, ++set_ids);
		if (d->flags & NFT_SET_MAP) {
			nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, d->data_type);
			nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, d->data_len);
		}
		if (nf)
			nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, d->fields, (uint32_t)nf);
		if (d->size)
			nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, d->size);
	}
	nlh = nftnl_nlmsg_build_hdr(nftx_room(b), type, NFPROTO_INET, flags | NLM_F_ACK,
				    ++nl->seq);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftx_done(b, nlh);
	nftnl_set_free(s);
}

static struct nftnl_set_elem *elem_new(const struct nftset_elem *v)
{
	struct nftnl_set_elem *e = nftx_must(nftnl_set_elem_alloc());

	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, v->key, v->key_len);
	if (v->has_end)
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, v->key_end, v->key_len);
	if (v->flags)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, v->flags);
	if (v->chain[0]) {
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, (uint32_t)NFT_GOTO);
		nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, v->chain);
	}
	if (v->has_data)
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, &v->data, sizeof(v->data));
	if (v->timeout_ms)
		nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, v->timeout_ms);
	return e;
}

static struct nftnl_set *set_ref(const char *table, const char *set)
{
	struct nftnl_set *s = nftx_must(nftnl_set_alloc());

	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	return s;
}

void nftset_put_elems(struct nl *nl, struct nftx_buf *b, const char *table, const char *set,
		      uint16_t type, uint16_t flags, const struct nftset_elem *v, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i += NFTSET_PER_MSG) {
		struct nftnl_set *s = set_ref(table, set);
		struct nlmsghdr *nlh;

		for (k = i; k < n && k < i + NFTSET_PER_MSG; k++)
			nftnl_set_elem_add(s, elem_new(&v[k]));
		nlh = nftnl_nlmsg_build_hdr(nftx_room(b), type, NFPROTO_INET, flags | NLM_F_ACK,
					    ++nl->seq);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftx_done(b, nlh);
		nftnl_set_free(s);
	}
}

void nftset_put_flush(struct nl *nl, struct nftx_buf *b, const char *table, const char *set)
{
	struct nftnl_set *s = set_ref(table, set);
	struct nlmsghdr *nlh;

	/* A DELSETELEM without elements empties the set. */
	nlh = nftnl_nlmsg_build_hdr(nftx_room(b), NFT_MSG_DELSETELEM, NFPROTO_INET, NLM_F_ACK,
				    ++nl->seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftx_done(b, nlh);
	nftnl_set_free(s);
}

struct nftnl_chain *nftset_chain_new(const char *table, const char *name, const char *type,
				     uint32_t hook, int32_t prio)
{
	struct nftnl_chain *c = nftx_must(nftnl_chain_alloc());

	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (type) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	return c;
}

void nftset_put_chain(struct nl *nl, struct nftx_buf *b, struct nftnl_chain *c, uint16_t type,
		      uint16_t flags)
{
	struct nlmsghdr *nlh;

	nlh = nftnl_chain_nlmsg_build_hdr(nftx_room(b), type, NFPROTO_INET, flags | NLM_F_ACK,
					  ++nl->seq);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftx_done(b, nlh);
}

void nftset_put_chain_flush(struct nl *nl, struct nftx_buf *b, const char *table,
			    const char *chain)
{
	struct nftnl_rule *r = nftx_must(nftnl_rule_alloc());
	struct nlmsghdr *nlh;

	/* A DELRULE naming a chain and no handle deletes all its rules. */
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nlh = nftnl_rule_nlmsg_build_hdr(nftx_room(b), NFT_MSG_DELRULE, NFPROTO_INET, NLM_F_ACK,
					 ++nl->seq);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftx_done(b, nlh);
	nftnl_rule_free(r);
}

/* ---- dumps ---- */

static int counter_cb(struct nftnl_expr *e, void *data)
{
	struct nftset_elem *v = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (name && strcmp(name, "counter") == 0) {
		v->has_counter = true;
		v->packets = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
		v->bytes = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
	}
	return 0;
}

static void elem_read(struct nftnl_set_elem *e, struct nftset_elem *v)
{
	const void *p;
	const char *s;
	uint32_t len = 0;

	memset(v, 0, sizeof(*v));
	p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
	if (p && len <= NFTSET_KEY_MAX) {
		memcpy(v->key, p, len);
		v->key_len = len;
	}
	p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &len);
	if (p && len <= NFTSET_KEY_MAX) {
		memcpy(v->key_end, p, len);
		v->has_end = true;
	}
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
		v->flags = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS);
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN) &&
	    (s = nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN)))
		snprintf(v->chain, sizeof(v->chain), "%s", s);
	p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len);
	if (p && len == sizeof(v->data)) {
		memcpy(&v->data, p, len);
		v->has_data = true;
	}
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT))
		v->timeout_ms = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT);
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION))
		v->expires_ms = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_EXPIRATION);
	nftnl_set_elem_expr_foreach(e, counter_cb, v);
}

struct dump {
	struct nftset_elem *v;
	size_t n;
};

static int elems_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct nftnl_set *s;
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;

	if (!nftx_msg_is(nlh, NFT_MSG_NEWSETELEM))
		return MNL_CB_OK;
	s = nftx_must(nftnl_set_alloc());
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
		nftnl_set_free(s);
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	it = nftx_must(nftnl_set_elems_iter_create(s));
	while ((e = nftnl_set_elems_iter_next(it)))
		elem_read(e, array_push(&d->v, &d->n, sizeof(*d->v)));
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

int nftset_dump(struct nl *nl, const char *table, const char *set, struct nftset_elem **v,
		size_t *n)
{
	struct dump d = { NULL, 0 };
	int err = -EINTR, tries;

	for (tries = 0; tries < NL_DUMP_TRIES && err == -EINTR; tries++) {
		uint32_t buf[256] = { 0 };
		struct nftnl_set *s = set_ref(table, set);
		struct nlmsghdr *nlh = nftx_req(nl, buf, NFT_MSG_GETSETELEM, NFPROTO_INET,
						NLM_F_DUMP);

		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		free(d.v);
		d.v = NULL;
		d.n = 0;
		err = nl_talk(nl, nlh, elems_cb, &d);
	}
	if (err < 0) {
		free(d.v);
		d.v = NULL;
		d.n = 0;
	}
	*v = d.v;
	*n = d.n;
	return err;
}

int nftset_get(struct nl *nl, const char *table, const char *set, const void *key,
	       uint32_t len, bool *found, struct nftset_elem *out)
{
	uint32_t buf[256] = { 0 };
	struct nftnl_set *s = set_ref(table, set);
	struct nftnl_set_elem *e = nftx_must(nftnl_set_elem_alloc());
	struct dump d = { NULL, 0 };
	struct nlmsghdr *nlh = nftx_req(nl, buf, NFT_MSG_GETSETELEM, NFPROTO_INET, 0);
	int err;

	*found = false;
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, len);
	nftnl_set_elem_add(s, e);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	err = nl_talk(nl, nlh, elems_cb, &d);
	if (err == -ENOENT) {
		nl->err[0] = '\0';
		err = 0;
	}
	if (err == 0 && d.n) {
		*found = true;
		if (out)
			*out = d.v[0];
	}
	free(d.v);
	return err;
}

/* ---- counter objects ---- */

static struct nftnl_obj *counter_ref(const char *table, const char *name)
{
	struct nftnl_obj *o = nftx_must(nftnl_obj_alloc());

	nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, NFPROTO_INET);
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, table);
	if (name)
		nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	return o;
}

void nftset_put_counter(struct nl *nl, struct nftx_buf *b, const char *table, const char *name,
			uint16_t type, uint16_t flags)
{
	struct nftnl_obj *o = counter_ref(table, name);
	struct nlmsghdr *nlh;

	if (type == NFT_MSG_NEWOBJ) {
		nftnl_obj_set_u64(o, NFTNL_OBJ_CTR_PKTS, 0);
		nftnl_obj_set_u64(o, NFTNL_OBJ_CTR_BYTES, 0);
	}
	nlh = nftnl_nlmsg_build_hdr(nftx_room(b), type, NFPROTO_INET, flags | NLM_F_ACK,
				    ++nl->seq);
	nftnl_obj_nlmsg_build_payload(nlh, o);
	nftx_done(b, nlh);
	nftnl_obj_free(o);
}

struct objs {
	char (*names)[NFTSET_NAME_MAX];
	size_t n;
	bool other;
	uint64_t packets, bytes;
};

static int obj_cb(const struct nlmsghdr *nlh, void *data)
{
	struct objs *d = data;
	struct nftnl_obj *o;

	if (!nftx_msg_is(nlh, NFT_MSG_NEWOBJ))
		return MNL_CB_OK;
	o = nftx_must(nftnl_obj_alloc());
	if (nftnl_obj_nlmsg_parse(nlh, o) < 0) {
		nftnl_obj_free(o);
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE) != NFT_OBJECT_COUNTER) {
		d->other = true;
	} else {
		snprintf(*(char (*)[NFTSET_NAME_MAX])array_push(&d->names, &d->n,
							       sizeof(*d->names)),
			 NFTSET_NAME_MAX, "%s", nftnl_obj_get_str(o, NFTNL_OBJ_NAME));
		d->packets = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS);
		d->bytes = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_BYTES);
	}
	nftnl_obj_free(o);
	return MNL_CB_OK;
}

int nftset_counter_get(struct nl *nl, const char *table, const char *name, uint64_t *packets,
		       uint64_t *bytes)
{
	uint32_t buf[256] = { 0 };
	struct nftnl_obj *o = counter_ref(table, name);
	struct nlmsghdr *nlh = nftx_req(nl, buf, NFT_MSG_GETOBJ, NFPROTO_INET, 0);
	struct objs d = { NULL, 0, false, 0, 0 };
	int err;

	nftnl_obj_nlmsg_build_payload(nlh, o);
	nftnl_obj_free(o);
	err = nl_talk(nl, nlh, obj_cb, &d);
	if (err == 0 && d.n != 1)
		err = -ENOENT;
	if (packets)
		*packets = err == 0 ? d.packets : 0;
	if (bytes)
		*bytes = err == 0 ? d.bytes : 0;
	free(d.names);
	return err;
}

int nftset_counter_names(struct nl *nl, const char *table, char (**names)[NFTSET_NAME_MAX],
			 size_t *n, bool *other)
{
	struct objs d = { NULL, 0, false, 0, 0 };
	int err = -EINTR, tries;

	for (tries = 0; tries < NL_DUMP_TRIES && err == -EINTR; tries++) {
		uint32_t buf[256] = { 0 };
		struct nftnl_obj *o = nftx_must(nftnl_obj_alloc());
		struct nlmsghdr *nlh = nftx_req(nl, buf, NFT_MSG_GETOBJ, NFPROTO_INET,
						NLM_F_DUMP);

		/* the table only: no type, or the kernel would dump that type alone */
		nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, table);
		nftnl_obj_nlmsg_build_payload(nlh, o);
		nftnl_obj_free(o);
		free(d.names);
		d.names = NULL;
		d.n = 0;
		d.other = false;
		err = nl_talk(nl, nlh, obj_cb, &d);
	}
	if (err < 0) {
		free(d.names);
		d.names = NULL;
		d.n = 0;
	}
	*names = d.names;
	*n = d.n;
	*other = d.other;
	return err;
}

void nftset_range_elems(const uint8_t *lo, const uint8_t *hi, uint32_t len,
			struct nftset_elem **v, size_t *n)
{
	struct nftset_elem *e = array_push(v, n, sizeof(**v));
	int i;

	memcpy(e->key, lo, len);
	e->key_len = len;
	/* hi + 1, unless hi is all ones: a start with no end runs to the top. */
	for (i = 0; i < (int)len && hi[i] == 0xff; i++)
		;
	if (i == (int)len)
		return;
	e = array_push(v, n, sizeof(**v));
	memcpy(e->key, hi, len);
	e->key_len = len;
	e->flags = NFT_SET_ELEM_INTERVAL_END;
	for (i = (int)len - 1; i >= 0; i--)
		if (++e->key[i] != 0)
			break;
}
