/* The server's table inet warren_server: SNAT, the inbound guard, the resolver's redirect
 * and DoT/DoH refusal, and every group's access policy, written in atomic batches that touch
 * only what a change is about. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <linux/netfilter/nf_nat.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "enforce.h"
#include "../common/util.h"
#include "../netcfg/nft.h"
#include "../netcfg/nftexpr.h"
#include "../netcfg/nftset.h"
#include "../netcfg/tc.h"

#define TABLE NFT_TABLE_SERVER
#define TRIES 5
#define BLOCKED_MAX 65536          /* device addresses counted in @blocked4/6 */
#define LOG_PREFIX "warren-blocked "
#define LOG_RATE 10                /* sampled drops per second */
#define DNS_REFUSED "dns_refused"   /* the named counter of refused DoT and DoH */
#define DNS_PRIO (-105)            /* dstnat - 5: before anyone's DNAT */
#define CT_ESTABLISHED_RELATED \
	(NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED))

struct egroup {
	uint32_t id;
	struct policy p;
	bool open;
};

struct enforce {
	struct nl *nl;
	bool made;                 /* our table is (supposed to be) there */
	/* the conf of the last converge, copied */
	char *ifname, *egress;
	bool snat, policy, log;
	struct cidrv pool, server_addrs;
	uint16_t portal_port;
	uint16_t dns_port;
	bool dns_redirect, refuse_dot;
	struct cidrv doh;
	struct egroup *g;
	size_t ng;
	struct enforce_dev *d;
	size_t nd;
	uint32_t gen;
	enforce_batch_fn observe;
	void *observe_arg;
};

/* ---- the model ---- */

/* A group's policy as enforce keeps it: what the table is made of, deep-copied. */
static void pol_copy(struct policy *dst, const struct policy *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!src)
		return;
	*dst = *src;
	dst->dests = NULL;
	dst->sources = (struct cidrv){ 0 };
	if (src->n_dests) {
		dst->dests = xcalloc(src->n_dests, sizeof(*dst->dests));
		memcpy(dst->dests, src->dests, src->n_dests * sizeof(*dst->dests));
	}
	for (size_t i = 0; i < src->sources.n; i++)
		cidrv_push(&dst->sources, &src->sources.v[i]);
}

static void pol_free(struct policy *p)
{
	free(p->dests);
	cidrv_clear(&p->sources);
	memset(p, 0, sizeof(*p));
}

static struct egroup *group_find(const struct enforce *e, uint32_t id)
{
	size_t i;

	for (i = 0; i < e->ng; i++)
		if (e->g[i].id == id)
			return &e->g[i];
	return NULL;
}

static bool same_addr(const struct cidr *a, const struct cidr *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, (size_t)cidr_addrlen(a)) == 0;
}

static struct enforce_dev *dev_find(const struct enforce *e, const struct cidr *a)
{
	size_t i;

	for (i = 0; i < e->nd; i++)
		if (same_addr(&e->d[i].addr, a))
			return &e->d[i];
	return NULL;
}

static void model_clear(struct enforce *e)
{
	size_t i;

	for (i = 0; i < e->ng; i++)
		pol_free(&e->g[i].p);
	free(e->g);
	free(e->d);
	free(e->ifname);
	free(e->egress);
	cidrv_clear(&e->pool);
	cidrv_clear(&e->server_addrs);
	cidrv_clear(&e->doh);
	e->g = NULL;
	e->d = NULL;
	e->ng = e->nd = 0;
	e->ifname = e->egress = NULL;
}

struct enforce *enforce_new(struct nl *nfnl)
{
	struct enforce *e = xcalloc(1, sizeof(*e));

	e->nl = nfnl;
	return e;
}

void enforce_free(struct enforce *e)
{
	if (!e)
		return;
	model_clear(e);
	free(e);
}

void enforce_observe(struct enforce *e, enforce_batch_fn fn, void *arg)
{
	e->observe = fn;
	e->observe_arg = arg;
}

/* ---- names ---- */

static void chain_name(char *buf, size_t len, uint32_t id)
{
	snprintf(buf, len, "g_%u", id);
}

static void gset_name(char *buf, size_t len, uint32_t id, const char *what, int family)
{
	snprintf(buf, len, "g_%u_%s%c", id, what, family == AF_INET ? '4' : '6');
}

static const char *fam_set(const char *base4, const char *base6, int family)
{
	return family == AF_INET ? base4 : base6;
}

static const int fams[2] = { AF_INET, AF_INET6 };

/* ---- sets ---- */

static uint32_t addr_type(int f)
{
	return f == AF_INET ? NFTSET_T_IPADDR : NFTSET_T_IP6ADDR;
}

static uint32_t addr_len(int f)
{
	return f == AF_INET ? 4 : 16;
}

static struct nftset_def def_plain(const char *name, int f, uint32_t flags)
{
	struct nftset_def d = { .name = name, .flags = flags, .key_type = addr_type(f),
				.key_len = addr_len(f) };
	return d;
}

/* The sets every table with a policy has, in creation order. */
static size_t fixed_sets(struct nftset_def *v)
{
	size_t n = 0;
	int i;

	for (i = 0; i < 2; i++) {
		int f = fams[i];

		v[n] = def_plain(fam_set("dev4", "dev6", f), f, NFT_SET_MAP);
		v[n].data_type = NFT_DATA_VERDICT;
		n++;
		v[n++] = def_plain(fam_set("epok4", "epok6", f), f, 0);
		v[n++] = def_plain(fam_set("login4", "login6", f), f,
				   NFT_SET_TIMEOUT | NFT_SET_EVAL);
		v[n] = def_plain(fam_set("up4", "up6", f), f, NFT_SET_MAP);
		v[n].data_type = NFTSET_T_CLASSID;
		v[n].data_len = 4;
		n++;
		v[n] = def_plain(fam_set("dn4", "dn6", f), f, NFT_SET_MAP);
		v[n].data_type = NFTSET_T_CLASSID;
		v[n].data_len = 4;
		n++;
		v[n] = def_plain(fam_set("blocked4", "blocked6", f), f, NFT_SET_EVAL);
		v[n].size = BLOCKED_MAX;
		n++;
	}
	return n;
}
#define FIXED_SETS 12

/* A group's sets: net4, net6, port4, port6; names in names[4][NFTSET_NAME_MAX]. */
static void group_sets(uint32_t id, struct nftset_def *v, char names[4][NFTSET_NAME_MAX])
{
	int i;

	for (i = 0; i < 2; i++) {
		int f = fams[i];

		gset_name(names[i], NFTSET_NAME_MAX, id, "net", f);
		v[i] = def_plain(names[i], f, NFT_SET_INTERVAL);
		gset_name(names[2 + i], NFTSET_NAME_MAX, id, "port", f);
		v[2 + i] = (struct nftset_def){
			.name = names[2 + i], .flags = NFT_SET_INTERVAL | NFT_SET_CONCAT,
			.key_type = NFTSET_CONCAT3(addr_type(f), NFTSET_T_INET_PROTO,
						   NFTSET_T_INET_SERVICE),
			.key_len = addr_len(f) + 8,
			.fields = { (uint8_t)addr_len(f), 1, 2, 0 },
		};
	}
}

/* ---- a group's destinations as set elements ---- */

struct prange {
	int family;
	uint8_t lo[16], hi[16];
	uint8_t proto;
	uint16_t plo, phi;
	uint8_t prefix;
};

static void net_bounds(const struct cidr *c, uint8_t *lo, uint8_t *hi)
{
	int len = cidr_addrlen(c), i;

	for (i = 0; i < len; i++) {
		int bits = (int)c->prefix - i * 8;
		uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));

		lo[i] = c->addr[i] & mask;
		hi[i] = (uint8_t)(lo[i] | (uint8_t)~mask);
	}
}

static int prange_cmp(const void *a, const void *b)
{
	const struct prange *x = a, *y = b;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	return memcmp(x->lo, y->lo, 16);
}

static bool nets_overlap(const struct prange *a, const struct prange *b, uint32_t len)
{
	return memcmp(a->lo, b->hi, len) <= 0 && memcmp(b->lo, a->hi, len) <= 0;
}

/* Port tuples made disjoint: pipapo refuses an element overlapping another. Wider nets
 * come first; a narrower one keeps only the ports its wider neighbours do not cover. */
static void ports_disjoint(struct prange *in, size_t nin, struct prange **out, size_t *nout)
{
	size_t i, k;

	qsort(in, nin, sizeof(*in), prange_cmp);
	for (i = 0; i < nin; i++) {
		struct prange *pieces = NULL;
		size_t np = 0, p;

		*(struct prange *)array_push(&pieces, &np, sizeof(*pieces)) = in[i];
		for (k = 0; k < *nout; k++) {
			const struct prange *o = &(*out)[k];
			struct prange *next = NULL;
			size_t nn = 0;

			for (p = 0; p < np; p++) {
				struct prange t = pieces[p];

				if (o->family != t.family || o->proto != t.proto ||
				    !nets_overlap(o, &t, addr_len(t.family)) ||
				    o->phi < t.plo || o->plo > t.phi) {
					*(struct prange *)array_push(&next, &nn, sizeof(t)) = t;
					continue;
				}
				if (t.plo < o->plo) {
					struct prange l = t;

					l.phi = (uint16_t)(o->plo - 1);
					*(struct prange *)array_push(&next, &nn, sizeof(l)) = l;
				}
				if (t.phi > o->phi) {
					struct prange h = t;

					h.plo = (uint16_t)(o->phi + 1);
					*(struct prange *)array_push(&next, &nn, sizeof(h)) = h;
				}
			}
			free(pieces);
			pieces = next;
			np = nn;
		}
		for (p = 0; p < np; p++)
			*(struct prange *)array_push(out, nout, sizeof(**out)) = pieces[p];
		free(pieces);
	}
}

static int lo_cmp4(const void *a, const void *b)
{
	return memcmp(((const struct prange *)a)->lo, ((const struct prange *)b)->lo, 16);
}

/* The elements of an interval set for these nets (any order, overlapping or not). Intervals
 * merged: the rbtree refuses overlapping ones. */
static void nets_elems(struct prange *nets, size_t nn, uint32_t len, struct nftset_elem **net,
		       size_t *nnet)
{
	size_t i, k;

	qsort(nets, nn, sizeof(*nets), lo_cmp4);
	for (i = 0; i < nn; i = k) {
		uint8_t hi[16];

		memcpy(hi, nets[i].hi, 16);
		for (k = i + 1; k < nn; k++) {
			uint8_t next[16];
			int j;

			/* adjacent too: hi + 1 == lo */
			memcpy(next, hi, 16);
			for (j = (int)len - 1; j >= 0; j--)
				if (++next[j] != 0)
					break;
			if (memcmp(nets[k].lo, hi, len) > 0 &&
			    (j < 0 || memcmp(nets[k].lo, next, len) > 0))
				break;
			if (memcmp(nets[k].hi, hi, len) > 0)
				memcpy(hi, nets[k].hi, 16);
		}
		nftset_range_elems(nets[i].lo, hi, len, net, nnet);
	}
}

/* The elements of g_ID_net<f> and g_ID_port<f>. */
static void dest_elems(const struct policy *p, int f, struct nftset_elem **net, size_t *nnet,
		       struct nftset_elem **port, size_t *nport)
{
	struct prange *nets = NULL, *ports = NULL, *disj = NULL;
	size_t nn = 0, np = 0, nd = 0, i;
	uint32_t len = addr_len(f);

	for (i = 0; i < p->n_dests; i++) {
		const struct policy_dest *d = &p->dests[i];
		struct prange r = { .family = f, .prefix = d->net.prefix };

		if (d->net.family != f)
			continue;
		net_bounds(&d->net, r.lo, r.hi);
		if (!d->proto && !d->port_lo && !d->port_hi) {
			*(struct prange *)array_push(&nets, &nn, sizeof(r)) = r;
			continue;
		}
		r.plo = d->port_lo;
		r.phi = d->port_lo || d->port_hi ? d->port_hi : 65535;
		if (r.phi < r.plo)
			r.phi = r.plo;
		r.proto = d->proto ? d->proto : IPPROTO_TCP;
		*(struct prange *)array_push(&ports, &np, sizeof(r)) = r;
		if (!d->proto) {
			r.proto = IPPROTO_UDP;
			*(struct prange *)array_push(&ports, &np, sizeof(r)) = r;
		}
	}
	nets_elems(nets, nn, len, net, nnet);
	ports_disjoint(ports, np, &disj, &nd);
	for (i = 0; i < nd; i++) {
		struct nftset_elem *e = array_push(port, nport, sizeof(**port));
		uint16_t plo = htons(disj[i].plo), phi = htons(disj[i].phi);

		e->key_len = len + 8;
		e->has_end = true;
		memcpy(e->key, disj[i].lo, len);
		memcpy(e->key_end, disj[i].hi, len);
		e->key[len] = e->key_end[len] = disj[i].proto;
		memcpy(e->key + len + 4, &plo, 2);
		memcpy(e->key_end + len + 4, &phi, 2);
	}
	free(nets);
	free(ports);
	free(disj);
}

/* ---- the resolver ---- */

/* Is the refusal of DoT and DoH there, and are the sets @doh4/@doh6? */
static bool refuse_wanted(const struct enforce *e)
{
	return e->refuse_dot || e->doh.n;
}

/* The server's first address of the family, the resolver's there; NULL: none. */
static const struct cidr *server_addr(const struct enforce *e, int f)
{
	size_t i;

	for (i = 0; i < e->server_addrs.n; i++)
		if (e->server_addrs.v[i].family == f)
			return &e->server_addrs.v[i];
	return NULL;
}

/* Anything for prerouting: all of 53 redirected, or the server's own 53 moved to
 * dns_port. */
static bool dnat_wanted(const struct enforce *e)
{
	return e->dns_port && (e->dns_redirect || e->dns_port != 53) &&
	       (server_addr(e, AF_INET) || server_addr(e, AF_INET6));
}

static void doh_sets(struct nftset_def v[2])
{
	v[0] = def_plain("doh4", AF_INET, NFT_SET_INTERVAL);
	v[1] = def_plain("doh6", AF_INET6, NFT_SET_INTERVAL);
}

/* The elements of @doh4 (f AF_INET) or @doh6. */
static void doh_elems(const struct enforce *e, int f, struct nftset_elem **v, size_t *n)
{
	struct prange *nets = NULL;
	size_t nn = 0, i;

	for (i = 0; i < e->doh.n; i++) {
		struct prange r = { .family = f, .prefix = e->doh.v[i].prefix };

		if (e->doh.v[i].family != f)
			continue;
		net_bounds(&e->doh.v[i], r.lo, r.hi);
		*(struct prange *)array_push(&nets, &nn, sizeof(r)) = r;
	}
	nets_elems(nets, nn, addr_len(f), v, n);
	free(nets);
}

/* ---- a device's elements ---- */

enum dset { DS_DEV, DS_EPOK, DS_LOGIN, DS_UP, DS_DN, DS_N };
static const char *const dset_names[DS_N][2] = {
	{ "dev4", "dev6" }, { "epok4", "epok6" }, { "login4", "login6" },
	{ "up4", "up6" }, { "dn4", "dn6" },
};

static const char *dset(enum dset s, int family)
{
	return dset_names[s][family == AF_INET ? 0 : 1];
}

/* The element of set s for device d; false when d has none there. */
static bool dev_elem(const struct enforce *e, const struct enforce_dev *d, enum dset s,
		     struct nftset_elem *v)
{
	const struct egroup *g;

	memset(v, 0, sizeof(*v));
	v->key_len = (uint32_t)cidr_addrlen(&d->addr);
	memcpy(v->key, d->addr.addr, v->key_len);
	switch (s) {
	case DS_DEV:
		chain_name(v->chain, sizeof(v->chain), d->group);
		return true;
	case DS_EPOK:
		return d->ep_ok;
	case DS_LOGIN:
		if (!d->logged_in)
			return false;
		g = group_find(e, d->group);
		v->timeout_ms = (uint64_t)(d->login_timeout_s ? d->login_timeout_s :
					   g ? g->p.idle_s : 0) * 1000;
		return true;
	case DS_UP:
	case DS_DN:
		v->has_data = true;
		v->data = TC_CLASSID(s == DS_UP ? d->class_up : d->class_dn);
		return s == DS_UP ? d->class_up != 0 : d->class_dn != 0;
	default:
		return false;
	}
}

/* ---- rules ---- */

struct chain {
	char name[NFTSET_NAME_MAX];
	const char *type;
	uint32_t hook;
	int32_t prio;
	struct nftnl_rule **r;
	size_t n;
};

struct plan {
	struct chain *c;
	size_t n;
};

static struct chain *plan_chain(struct plan *p, const char *name, const char *type,
				uint32_t hook, int32_t prio)
{
	struct chain *c = array_push(&p->c, &p->n, sizeof(*p->c));

	snprintf(c->name, sizeof(c->name), "%s", name);
	c->type = type;
	c->hook = hook;
	c->prio = prio;
	return c;
}

static struct nftnl_rule *rule(struct chain *c)
{
	struct nftnl_rule *r = nftx_must(nftnl_rule_alloc());

	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, c->name);
	*(struct nftnl_rule **)array_push(&c->r, &c->n, sizeof(r)) = r;
	return r;
}

static void chain_free(struct chain *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		nftnl_rule_free(c->r[i]);
	free(c->r);
	c->r = NULL;
	c->n = 0;
}

static void plan_free(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		chain_free(&p->c[i]);
	free(p->c);
	p->c = NULL;
	p->n = 0;
}

/* [nfproto f] saddr/daddr lookup [!]@set [verdict] */
static void r_lookup(struct chain *c, int f, bool src, const char *set, bool inv, int verdict,
		     const char *to)
{
	struct nftnl_rule *r = rule(c);

	nftx_addr_load(r, f, src, NFT_REG_1);
	nftx_lookup(r, set, NFT_REG_1, -1, inv);
	nftx_verdict(r, verdict, to);
}

static void group_rules(const struct enforce *e, const struct egroup *g, struct chain *c)
{
	char names[4][NFTSET_NAME_MAX];
	struct nftset_def defs[4];
	struct nftnl_rule *r;
	int i;

	group_sets(g->id, defs, names);
	/* The schedule's gate: present while closed, so opening or closing rewrites this
	 * chain alone. */
	if (!g->open || g->p.schedule.never)
		nftx_verdict(rule(c), NFT_GOTO, "blocked");
	if (g->p.sources.n)
		for (i = 0; i < 2; i++)
			r_lookup(c, fams[i], true, fam_set("epok4", "epok6", fams[i]), true,
				 NFT_GOTO, "blocked");
	if (g->p.portal_login) {
		for (i = 0; i < 2; i++)
			r_lookup(c, fams[i], true, fam_set("login4", "login6", fams[i]), true,
				 NFT_GOTO, "blocked");
		/* Traffic keeps the sign-in alive; update refreshes, it never adds here
		 * since the address was just found in the set. */
		for (i = 0; g->p.idle_s && i < 2; i++) {
			struct nftnl_expr *x = nftx_expr("dynset");

			r = rule(c);
			nftx_addr_load(r, fams[i], true, NFT_REG_1);
			nftnl_expr_set_u32(x, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
			nftnl_expr_set_u32(x, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
			nftnl_expr_set_u64(x, NFTNL_EXPR_DYNSET_TIMEOUT,
					   (uint64_t)g->p.idle_s * 1000);
			nftnl_expr_set_str(x, NFTNL_EXPR_DYNSET_SET_NAME,
					   fam_set("login4", "login6", fams[i]));
			nftnl_rule_add_expr(r, x);
		}
	}
	/* Client to client: the isolation decides alone. */
	r = rule(c);
	nftx_ifname(r, NFT_META_OIFNAME, NFT_CMP_EQ, e->ifname);
	if (g->p.isolate)
		nftx_verdict(r, NFT_GOTO, "blocked");
	else
		nftx_verdict(r, NF_ACCEPT, NULL);
	if (!g->p.n_dests) {
		nftx_verdict(rule(c), NF_ACCEPT, NULL);
		return;
	}
	for (i = 0; i < 2; i++)
		r_lookup(c, fams[i], false, names[i], false, NF_ACCEPT, NULL);
	for (i = 0; i < 2; i++) {
		int f = fams[i];

		r = rule(c);
		/* daddr . l4proto . th dport, each in its own 32-bit register as nft lays a
		 * concatenation out */
		nftx_addr_load(r, f, false, NFT_REG_1);   /* = NFT_REG32_00, dumped so */
		nftx_meta(r, NFT_META_L4PROTO, f == AF_INET ? NFT_REG32_01 : NFT_REG_2);
		nftx_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2,
			     f == AF_INET ? NFT_REG32_02 : NFT_REG32_05);
		nftx_lookup(r, names[2 + i], NFT_REG_1, -1, false);
		nftx_verdict(r, NF_ACCEPT, NULL);
	}
	nftx_verdict(rule(c), NFT_GOTO, "blocked");
}

/* meta priority set saddr/daddr map @set */
static void r_prio(struct chain *c, const char *ifname, bool in, int f, const char *set)
{
	struct nftnl_rule *r = rule(c);

	nftx_ifname(r, in ? NFT_META_IIFNAME : NFT_META_OIFNAME, NFT_CMP_EQ, ifname);
	nftx_addr_load(r, f, in, NFT_REG_1);
	nftx_lookup(r, set, NFT_REG_1, NFT_REG_1, false);
	nftx_meta_set(r, NFT_META_PRIORITY, NFT_REG_1);
}

/* dnat ip/ip6 to ADDR:PORT, as nft writes it */
static void r_dnat(struct nftnl_rule *r, const struct cidr *to, uint16_t port)
{
	uint16_t p = htons(port);
	struct nftnl_expr *x = nftx_expr("immediate");

	nftnl_expr_set_u32(x, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
	nftnl_expr_set(x, NFTNL_EXPR_IMM_DATA, to->addr, (uint32_t)cidr_addrlen(to));
	nftnl_rule_add_expr(r, x);
	x = nftx_expr("immediate");
	nftnl_expr_set_u32(x, NFTNL_EXPR_IMM_DREG, NFT_REG_2);
	nftnl_expr_set(x, NFTNL_EXPR_IMM_DATA, &p, sizeof(p));
	nftnl_rule_add_expr(r, x);
	x = nftx_expr("nat");
	nftnl_expr_set_u32(x, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(x, NFTNL_EXPR_NAT_FAMILY,
			   to->family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6);
	/* max = min and MAP_IPS, as the kernel dumps them back */
	nftnl_expr_set_u32(x, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_expr_set_u32(x, NFTNL_EXPR_NAT_REG_ADDR_MAX, NFT_REG_1);
	nftnl_expr_set_u32(x, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
	nftnl_expr_set_u32(x, NFTNL_EXPR_NAT_REG_PROTO_MAX, NFT_REG_2);
	nftnl_expr_set_u32(x, NFTNL_EXPR_NAT_FLAGS,
			   NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED);
	nftnl_rule_add_expr(r, x);
}

/* counter name dns_refused; reject with tcp reset (TCP) or icmpx port-unreachable (UDP) */
static void r_refuse(struct nftnl_rule *r, uint8_t proto)
{
	struct nftnl_expr *x = nftx_expr("objref");

	nftnl_expr_set_u32(x, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
	nftnl_expr_set_str(x, NFTNL_EXPR_OBJREF_IMM_NAME, DNS_REFUSED);
	nftnl_rule_add_expr(r, x);
	x = nftx_expr("reject");
	if (proto == IPPROTO_TCP) {
		nftnl_expr_set_u32(x, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_TCP_RST);
	} else {
		nftnl_expr_set_u32(x, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_ICMPX_UNREACH);
		nftnl_expr_set_u8(x, NFTNL_EXPR_REJECT_CODE, NFT_REJECT_ICMPX_PORT_UNREACH);
	}
	nftnl_rule_add_expr(r, x);
}

static const uint8_t dns_protos[2] = { IPPROTO_UDP, IPPROTO_TCP };

/* prerouting: 53 from the tunnel to the resolver (every address, or the server's own when
 * only the port differs). */
static void dns_dnat(const struct enforce *e, struct chain *c)
{
	struct nftnl_rule *r;
	size_t i;
	int k, j;

	for (k = 0; k < 2; k++) {
		const struct cidr *to = server_addr(e, fams[k]);

		for (j = 0; to && e->dns_redirect && j < 2; j++) {
			r = rule(c);
			nftx_ifname(r, NFT_META_IIFNAME, NFT_CMP_EQ, e->ifname);
			nftx_nfproto(r, fams[k]);
			nftx_dport(r, dns_protos[j], 53);
			r_dnat(r, to, e->dns_port);
		}
		for (i = 0; to && !e->dns_redirect && i < e->server_addrs.n; i++) {
			struct cidr a = e->server_addrs.v[i];

			if (a.family != fams[k])
				continue;
			a.prefix = (uint8_t)(cidr_addrlen(&a) * 8);
			for (j = 0; j < 2; j++) {
				r = rule(c);
				nftx_ifname(r, NFT_META_IIFNAME, NFT_CMP_EQ, e->ifname);
				nftx_addr(r, &a, false);
				nftx_dport(r, dns_protos[j], 53);
				r_dnat(r, &a, e->dns_port);
			}
		}
	}
}

/* dns_refuse, jumped to from the tunnel before the groups: DoT and DoQ anywhere, DoH and
 * HTTP/3 to the known resolvers. */
static void dns_refuse(const struct enforce *e, struct chain *c)
{
	struct nftnl_rule *r;
	int k, j;

	for (j = 0; e->refuse_dot && j < 2; j++) {
		r = rule(c);
		nftx_dport(r, dns_protos[j], 853);
		r_refuse(r, dns_protos[j]);
	}
	for (k = 0; e->doh.n && k < 2; k++)
		for (j = 0; j < 2; j++) {
			r = rule(c);
			nftx_addr_load(r, fams[k], false, NFT_REG_1);
			nftx_lookup(r, fam_set("doh4", "doh6", fams[k]), NFT_REG_1, -1, false);
			nftx_dport(r, dns_protos[j], 443);
			r_refuse(r, dns_protos[j]);
		}
}

static void plan_build(const struct enforce *e, struct plan *p)
{
	struct chain *c;
	struct nftnl_rule *r;
	struct nftnl_expr *x;
	size_t i;
	int k;

	memset(p, 0, sizeof(*p));
	if (e->policy) {
		c = plan_chain(p, "input", "filter", NF_INET_LOCAL_IN, 0);
		r = rule(c);
		nftx_ifname(r, NFT_META_IIFNAME, NFT_CMP_EQ, e->ifname);
		nftx_verdict(r, NFT_GOTO, "in_tun");
	}
	c = plan_chain(p, "forward", "filter", NF_INET_FORWARD, 0);
	if (e->egress) {
		/* Nothing from the egress opens a connection to a client. */
		uint32_t mask = CT_ESTABLISHED_RELATED, zero = 0;

		r = rule(c);
		nftx_ifname(r, NFT_META_IIFNAME, NFT_CMP_EQ, e->egress);
		nftx_ifname(r, NFT_META_OIFNAME, NFT_CMP_EQ, e->ifname);
		x = nftx_expr("ct");
		nftnl_expr_set_u32(x, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
		nftnl_expr_set_u32(x, NFTNL_EXPR_CT_DREG, NFT_REG_1);
		nftnl_rule_add_expr(r, x);
		nftx_bitwise(r, &mask, sizeof(mask));
		nftx_cmp(r, NFT_CMP_EQ, &zero, sizeof(zero));
		nftx_verdict(r, NF_DROP, NULL);
	}
	if (e->policy) {
		for (k = 0; k < 2; k++)
			r_prio(c, e->ifname, false, fams[k], fam_set("dn4", "dn6", fams[k]));
		for (k = 0; k < 2; k++)
			r_prio(c, e->ifname, true, fams[k], fam_set("up4", "up6", fams[k]));
	}
	if (refuse_wanted(e)) {
		r = rule(c);
		nftx_ifname(r, NFT_META_IIFNAME, NFT_CMP_EQ, e->ifname);
		nftx_verdict(r, NFT_JUMP, "dns_refuse");
	}
	if (e->policy) {
		r = rule(c);
		nftx_ifname(r, NFT_META_IIFNAME, NFT_CMP_EQ, e->ifname);
		nftx_verdict(r, NFT_GOTO, "dispatch");
	}
	if (e->egress && e->snat && e->pool.n) {
		c = plan_chain(p, "postrouting", "nat", NF_INET_POST_ROUTING, 100);
		for (i = 0; i < e->pool.n; i++) {
			struct cidr net = e->pool.v[i];

			cidr_mask(&net);
			r = rule(c);
			nftx_ifname(r, NFT_META_OIFNAME, NFT_CMP_EQ, e->egress);
			nftx_addr(r, &net, true);
			nftnl_rule_add_expr(r, nftx_expr("masq"));
		}
	}
	if (dnat_wanted(e))
		dns_dnat(e, plan_chain(p, "dns_dnat", "nat", NF_INET_PRE_ROUTING, DNS_PRIO));
	if (refuse_wanted(e))
		dns_refuse(e, plan_chain(p, "dns_refuse", NULL, 0, 0));
	if (!e->policy)
		return;
	/* DNS (the resolver's port, which prerouting moved 53 to) and the portal, always;
	 * then the group of the source address. */
	c = plan_chain(p, "in_tun", NULL, 0, 0);
	nftx_dport(rule(c), IPPROTO_UDP, e->dns_port ? e->dns_port : 53);
	nftx_verdict(c->r[c->n - 1], NF_ACCEPT, NULL);
	nftx_dport(rule(c), IPPROTO_TCP, e->dns_port ? e->dns_port : 53);
	nftx_verdict(c->r[c->n - 1], NF_ACCEPT, NULL);
	for (i = 0; e->portal_port && i < e->server_addrs.n; i++) {
		struct cidr a = e->server_addrs.v[i];

		a.prefix = (uint8_t)(cidr_addrlen(&a) * 8);
		r = rule(c);
		nftx_addr(r, &a, false);
		nftx_dport(r, IPPROTO_TCP, e->portal_port);
		nftx_verdict(r, NF_ACCEPT, NULL);
	}
	nftx_verdict(rule(c), NFT_GOTO, "dispatch");

	c = plan_chain(p, "dispatch", NULL, 0, 0);
	for (k = 0; k < 2; k++) {
		r = rule(c);
		nftx_addr_load(r, fams[k], true, NFT_REG_1);
		nftx_lookup(r, fam_set("dev4", "dev6", fams[k]), NFT_REG_1, NFT_REG_VERDICT,
			    false);
	}
	nftx_verdict(rule(c), NF_DROP, NULL);

	c = plan_chain(p, "blocked", NULL, 0, 0);
	for (k = 0; k < 2; k++) {
		r = rule(c);
		nftx_addr_load(r, fams[k], true, NFT_REG_1);
		x = nftx_expr("dynset");
		nftnl_expr_set_u32(x, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
		nftnl_expr_set_u32(x, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_ADD);
		nftnl_expr_set_str(x, NFTNL_EXPR_DYNSET_SET_NAME,
				   fam_set("blocked4", "blocked6", fams[k]));
		nftnl_expr_add_expr(x, NFTNL_EXPR_DYNSET_EXPRESSIONS, nftx_expr("counter"));
		nftnl_rule_add_expr(r, x);
	}
	if (e->log) {
		r = rule(c);
		x = nftx_expr("limit");
		nftnl_expr_set_u64(x, NFTNL_EXPR_LIMIT_RATE, LOG_RATE);
		nftnl_expr_set_u64(x, NFTNL_EXPR_LIMIT_UNIT, 1);
		nftnl_expr_set_u32(x, NFTNL_EXPR_LIMIT_BURST, 5);
		nftnl_expr_set_u32(x, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
		nftnl_rule_add_expr(r, x);
		x = nftx_expr("log");
		nftnl_expr_set_str(x, NFTNL_EXPR_LOG_PREFIX, LOG_PREFIX);
		nftnl_rule_add_expr(r, x);
	}
	nftx_verdict(rule(c), NF_DROP, NULL);

	for (i = 0; i < e->ng; i++) {
		char name[NFTSET_NAME_MAX];

		chain_name(name, sizeof(name), e->g[i].id);
		group_rules(e, &e->g[i], plan_chain(p, name, NULL, 0, 0));
	}
}

/* ---- batches ---- */

static void put_chain(struct nl *nl, struct nftx_buf *b, const struct chain *c, uint16_t type,
		      uint16_t flags)
{
	struct nftnl_chain *ch = nftset_chain_new(TABLE, c->name, c->type, c->hook, c->prio);

	nftset_put_chain(nl, b, ch, type, flags);
	nftnl_chain_free(ch);
}

static void put_group_sets(struct enforce *e, struct nftx_buf *b, const struct egroup *g,
			   bool create)
{
	char names[4][NFTSET_NAME_MAX];
	struct nftset_def defs[4];
	struct nftset_elem *v[4] = { NULL };
	size_t n[4] = { 0 };
	int i;

	group_sets(g->id, defs, names);
	for (i = 0; i < 2; i++)
		dest_elems(&g->p, fams[i], &v[i], &n[i], &v[2 + i], &n[2 + i]);
	for (i = 0; i < 4; i++) {
		if (create)
			nftset_put_set(e->nl, b, TABLE, &defs[i], NFT_MSG_NEWSET,
				       NLM_F_CREATE | NLM_F_EXCL);
		else
			nftset_put_flush(e->nl, b, TABLE, defs[i].name);
		nftset_put_elems(e->nl, b, TABLE, defs[i].name, NFT_MSG_NEWSETELEM,
				 NLM_F_CREATE | NLM_F_EXCL, v[i], n[i]);
		free(v[i]);
	}
}

static bool table_wanted(const struct enforce *e)
{
	return e->policy || e->egress || dnat_wanted(e) || refuse_wanted(e);
}

static void build_converge(struct enforce *e, struct nftx_buf *b)
{
	struct nftset_def defs[FIXED_SETS];
	struct plan p;
	size_t i, k, n;
	int s, f;

	nftx_put_table(e->nl, b, TABLE, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	nftx_put_table(e->nl, b, TABLE, NFT_MSG_DELTABLE, 0);
	if (!table_wanted(e))
		return;
	nftx_put_table(e->nl, b, TABLE, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL);
	plan_build(e, &p);
	for (i = 0; i < p.n; i++)
		put_chain(e->nl, b, &p.c[i], NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL);
	if (e->policy) {
		n = fixed_sets(defs);
		for (i = 0; i < n; i++)
			nftset_put_set(e->nl, b, TABLE, &defs[i], NFT_MSG_NEWSET,
				       NLM_F_CREATE | NLM_F_EXCL);
		for (i = 0; i < e->ng; i++)
			put_group_sets(e, b, &e->g[i], true);
		for (s = 0; s < DS_N; s++) {
			for (f = 0; f < 2; f++) {
				struct nftset_elem *v = NULL;
				size_t nv = 0;

				for (k = 0; k < e->nd; k++) {
					if (e->d[k].addr.family != fams[f])
						continue;
					if (!dev_elem(e, &e->d[k], (enum dset)s,
						      array_push(&v, &nv, sizeof(*v))))
						nv--;
				}
				nftset_put_elems(e->nl, b, TABLE, dset((enum dset)s, fams[f]),
						 NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL,
						 v, nv);
				free(v);
			}
		}
	}
	if (e->doh.n) {
		doh_sets(defs);
		for (f = 0; f < 2; f++) {
			struct nftset_elem *v = NULL;
			size_t nv = 0;

			nftset_put_set(e->nl, b, TABLE, &defs[f], NFT_MSG_NEWSET,
				       NLM_F_CREATE | NLM_F_EXCL);
			doh_elems(e, fams[f], &v, &nv);
			nftset_put_elems(e->nl, b, TABLE, defs[f].name, NFT_MSG_NEWSETELEM,
					 NLM_F_CREATE | NLM_F_EXCL, v, nv);
			free(v);
		}
	}
	if (refuse_wanted(e))
		nftset_put_counter(e->nl, b, TABLE, DNS_REFUSED, NFT_MSG_NEWOBJ,
				   NLM_F_CREATE | NLM_F_EXCL);
	for (i = 0; i < p.n; i++)
		for (k = 0; k < p.c[i].n; k++)
			nftx_put_rule(e->nl, b, p.c[i].r[k]);
	plan_free(&p);
}

/* One group's chain and sets; create: they are new. */
static void build_group(struct enforce *e, struct nftx_buf *b, const struct egroup *g,
			bool create)
{
	struct chain c = { .type = NULL };
	size_t k;

	chain_name(c.name, sizeof(c.name), g->id);
	if (create)
		put_chain(e->nl, b, &c, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL);
	else
		nftset_put_chain_flush(e->nl, b, TABLE, c.name);
	put_group_sets(e, b, g, create);
	group_rules(e, g, &c);
	for (k = 0; k < c.n; k++)
		nftx_put_rule(e->nl, b, c.r[k]);
	chain_free(&c);
}

static void put_one(struct enforce *e, struct nftx_buf *b, enum dset s,
		    const struct nftset_elem *v, uint16_t type, uint16_t flags, int family)
{
	nftset_put_elems(e->nl, b, TABLE, dset(s, family), type, flags, v, 1);
}

/* old -> new for one address (either may be NULL): only the elements that differ. */
static size_t build_dev(struct enforce *e, struct nftx_buf *b, const struct enforce_dev *old,
			const struct enforce_dev *new)
{
	const struct enforce_dev *any = new ? new : old;
	int f = any->addr.family, s;
	size_t n = 0;

	for (s = 0; s < DS_N; s++) {
		struct nftset_elem a, z;
		bool ha = old && dev_elem(e, old, (enum dset)s, &a);
		bool hz = new && dev_elem(e, new, (enum dset)s, &z);

		if (s == DS_LOGIN) {
			/* Dynamic: it may have timed out, so it is made sure of before it goes;
			 * one signed in stays as the kernel keeps it. */
			if (ha && !hz) {
				put_one(e, b, (enum dset)s, &a, NFT_MSG_NEWSETELEM, NLM_F_CREATE, f);
				put_one(e, b, (enum dset)s, &a, NFT_MSG_DELSETELEM, 0, f);
				n += 2;
			} else if (hz && !ha) {
				put_one(e, b, (enum dset)s, &z, NFT_MSG_NEWSETELEM, NLM_F_CREATE, f);
				n++;
			}
			continue;
		}
		if (ha && hz && memcmp(&a, &z, sizeof(a)) == 0)
			continue;
		if (ha) {
			put_one(e, b, (enum dset)s, &a, NFT_MSG_DELSETELEM, 0, f);
			n++;
		}
		if (hz) {
			put_one(e, b, (enum dset)s, &z, NFT_MSG_NEWSETELEM,
				NLM_F_CREATE | NLM_F_EXCL, f);
			n++;
		}
	}
	return n;
}

/* ---- sending ---- */

static const char *msg_what(uint16_t type)
{
	switch (type) {
	case NFT_MSG_NEWTABLE: case NFT_MSG_DELTABLE: return "table";
	case NFT_MSG_NEWCHAIN: case NFT_MSG_DELCHAIN: return "chain";
	case NFT_MSG_NEWRULE: case NFT_MSG_DELRULE: return "rule";
	case NFT_MSG_NEWSET: case NFT_MSG_DELSET: return "set";
	case NFT_MSG_NEWSETELEM: return "set elements (add)";
	case NFT_MSG_DELSETELEM: return "set elements (delete)";
	default: return "message";
	}
}

/* nl->err = "table inet warren_server: set NAME: why" for message idx of the batch. */
static void describe(struct nl *nl, const void *buf, size_t len, int idx, int err)
{
	char why[sizeof(nl->err)], name[64] = "";
	const struct nlmsghdr *m;
	int left = (int)len, i = 0;

	snprintf(why, sizeof(why), "%s", nl_strerror(nl, err));
	for (m = buf; idx >= 0 && mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left), i++) {
		const struct nlattr *a;
		uint16_t want;

		if (i != idx)
			continue;
		switch (m->nlmsg_type & 0xff) {
		case NFT_MSG_NEWCHAIN: case NFT_MSG_DELCHAIN: want = NFTA_CHAIN_NAME; break;
		case NFT_MSG_NEWRULE: case NFT_MSG_DELRULE: want = NFTA_RULE_CHAIN; break;
		case NFT_MSG_NEWSET: case NFT_MSG_DELSET: want = NFTA_SET_NAME; break;
		case NFT_MSG_NEWSETELEM: case NFT_MSG_DELSETELEM: want = NFTA_SET_ELEM_LIST_SET;
			break;
		default: want = 0;
		}
		mnl_attr_for_each(a, m, sizeof(struct nfgenmsg))
			if (want && mnl_attr_get_type(a) == want)
				snprintf(name, sizeof(name), " %.*s",
					 (int)mnl_attr_get_payload_len(a),
					 (const char *)mnl_attr_get_payload(a));
		if (snprintf(nl->err, sizeof(nl->err), "table inet %s: %s%s: %s", TABLE,
			     msg_what(m->nlmsg_type & 0xff), name, why) >= (int)sizeof(nl->err))
			nl->err[sizeof(nl->err) - 1] = '\0';
		return;
	}
}

typedef void (*build_fn)(struct enforce *e, struct nftx_buf *b, const void *arg);

static int send_batch(struct enforce *e, build_fn fn, const void *arg)
{
	uint32_t g = 0;
	int err = -ERESTART, tries, failed = -1;

	for (tries = 0; tries < TRIES && err == -ERESTART; tries++) {
		struct nftx_buf b = { NULL, 0, 0 };

		if (e->nl->sock) {
			err = nft_gen(e->nl, &g);
			if (err < 0)
				return err;
		}
		nftx_batch_begin(e->nl, &b, g);
		fn(e, &b, arg);
		nftx_batch_end(e->nl, &b);
		if (e->observe)
			e->observe(b.p, b.len, e->observe_arg);
		err = 0;
		if (e->nl->sock)
			err = nl_talk_atomic(e->nl, b.p, b.len, &failed);
		if (err < 0 && err != -ERESTART)
			describe(e->nl, b.p, b.len, failed, err);
		free(b.p);
	}
	if (err == -ERESTART)
		snprintf(e->nl->err, sizeof(e->nl->err),
			 "table inet %s: ruleset kept changing, %d tries", TABLE, TRIES);
	if (err < 0)
		return err;
	e->gen = g + 1 ? g + 1 : 1;
	return 0;
}

static void b_converge(struct enforce *e, struct nftx_buf *b, const void *arg)
{
	(void)arg;
	build_converge(e, b);
}

/* ---- the calls ---- */

static int conf_check(struct enforce *e, const struct enforce_conf *c,
		      const struct enforce_group *g, size_t ng, const struct enforce_dev *d,
		      size_t nd)
{
	size_t i, k;

	if (!c->ifname || !c->ifname[0] || strlen(c->ifname) >= NFTX_IFNAMSZ ||
	    (c->egress && (!c->egress[0] || strlen(c->egress) >= NFTX_IFNAMSZ))) {
		snprintf(e->nl->err, sizeof(e->nl->err), "table inet %s: bad link name", TABLE);
		return -EINVAL;
	}
	for (i = 0; i < c->doh.n; i++)
		if (c->doh.v[i].family != AF_INET && c->doh.v[i].family != AF_INET6) {
			snprintf(e->nl->err, sizeof(e->nl->err), "table inet %s: a DoH prefix "
				 "of no family", TABLE);
			return -EINVAL;
		}
	for (i = 0; i < ng; i++) {
		for (k = 0; k < i; k++)
			if (!g[i].id || g[k].id == g[i].id) {
				snprintf(e->nl->err, sizeof(e->nl->err),
					 "group %u: zero or given twice", g[i].id);
				return -EINVAL;
			}
	}
	for (i = 0; i < nd; i++) {
		for (k = 0; k < ng && g[k].id != d[i].group; k++)
			;
		if (k == ng || (d[i].addr.family != AF_INET && d[i].addr.family != AF_INET6)) {
			char buf[CIDR_STRLEN];

			snprintf(e->nl->err, sizeof(e->nl->err), "device %s: group %u unknown",
				 d[i].addr.family ? ip_fmt(&d[i].addr, buf) : "?", d[i].group);
			return -EINVAL;
		}
	}
	return 0;
}

int enforce_converge(struct enforce *e, const struct enforce_conf *c,
		     const struct enforce_group *g, size_t ng, const struct enforce_dev *d,
		     size_t nd)
{
	size_t i;
	int err;

	err = conf_check(e, c, g, c->policy ? ng : 0, d, c->policy ? nd : 0);
	if (err < 0)
		return err;
	model_clear(e);
	e->ifname = xstrdup(c->ifname);
	e->egress = c->egress ? xstrdup(c->egress) : NULL;
	e->snat = c->snat;
	e->policy = c->policy;
	e->log = c->log;
	e->portal_port = c->portal_port;
	e->dns_port = c->dns_port;
	e->dns_redirect = c->dns_redirect;
	e->refuse_dot = c->refuse_dot;
	for (i = 0; i < c->doh.n; i++)
		cidrv_push(&e->doh, &c->doh.v[i]);
	for (i = 0; i < c->pool.n; i++)
		cidrv_push(&e->pool, &c->pool.v[i]);
	for (i = 0; i < c->server_addrs.n; i++)
		cidrv_push(&e->server_addrs, &c->server_addrs.v[i]);
	/* array_push's growth is what dev_set and group_set extend later */
	for (i = 0; c->policy && i < ng; i++) {
		struct egroup *eg = array_push(&e->g, &e->ng, sizeof(*e->g));

		eg->id = g[i].id;
		eg->open = g[i].open;
		pol_copy(&eg->p, g[i].p);
	}
	for (i = 0; c->policy && i < nd; i++)
		*(struct enforce_dev *)array_push(&e->d, &e->nd, sizeof(*e->d)) = d[i];
	err = send_batch(e, b_converge, NULL);
	e->made = err == 0 && table_wanted(e);
	return err;
}

struct dev_change {
	const struct enforce_dev *old, *new;
};

static void b_dev(struct enforce *e, struct nftx_buf *b, const void *arg)
{
	const struct dev_change *ch = arg;

	build_dev(e, b, ch->old, ch->new);
}

int enforce_dev_set(struct enforce *e, const struct enforce_dev *d)
{
	struct enforce_dev *old;
	struct dev_change ch;
	int err;

	if (!e->policy || !e->made)
		return -ENOTCONN;
	if (!group_find(e, d->group)) {
		snprintf(e->nl->err, sizeof(e->nl->err), "group %u: not in the table", d->group);
		return -ENOENT;
	}
	old = dev_find(e, &d->addr);
	ch.old = old;
	ch.new = d;
	err = send_batch(e, b_dev, &ch);
	if (err < 0)
		return err;
	if (old)
		*old = *d;
	else
		*(struct enforce_dev *)array_push(&e->d, &e->nd, sizeof(*e->d)) = *d;
	return 0;
}

int enforce_dev_del(struct enforce *e, const struct cidr *addr)
{
	struct enforce_dev *old;
	struct dev_change ch;
	int err;

	if (!e->policy || !e->made)
		return -ENOTCONN;
	old = dev_find(e, addr);
	if (!old)
		return 0;
	ch.old = old;
	ch.new = NULL;
	err = send_batch(e, b_dev, &ch);
	if (err < 0)
		return err;
	*old = e->d[--e->nd];
	return 0;
}

struct group_change {
	const struct egroup *g;
	bool create, del;
};

static void b_group(struct enforce *e, struct nftx_buf *b, const void *arg)
{
	const struct group_change *ch = arg;
	char names[4][NFTSET_NAME_MAX], name[NFTSET_NAME_MAX];
	struct nftset_def defs[4];
	struct chain c = { .type = NULL };
	int i;

	if (!ch->del) {
		build_group(e, b, ch->g, ch->create);
		return;
	}
	chain_name(name, sizeof(name), ch->g->id);
	snprintf(c.name, sizeof(c.name), "%s", name);
	nftset_put_chain_flush(e->nl, b, TABLE, name);
	put_chain(e->nl, b, &c, NFT_MSG_DELCHAIN, 0);
	group_sets(ch->g->id, defs, names);
	for (i = 0; i < 4; i++)
		nftset_put_set(e->nl, b, TABLE, &defs[i], NFT_MSG_DELSET, 0);
}

int enforce_group_set(struct enforce *e, const struct enforce_group *g)
{
	struct egroup *old, next = { .id = g->id, .open = g->open };
	struct group_change ch = { .g = &next };
	int err;

	if (!e->policy || !e->made)
		return -ENOTCONN;
	if (!g->id)
		return -EINVAL;
	pol_copy(&next.p, g->p);
	old = group_find(e, g->id);
	ch.create = !old;
	err = send_batch(e, b_group, &ch);
	if (err < 0) {
		pol_free(&next.p);
		return err;
	}
	if (old) {
		pol_free(&old->p);
		*old = next;
	} else {
		*(struct egroup *)array_push(&e->g, &e->ng, sizeof(*e->g)) = next;
	}
	return 0;
}

int enforce_group_del(struct enforce *e, uint32_t id)
{
	struct egroup *g = group_find(e, id);
	struct group_change ch = { .g = g, .del = true };
	size_t i;
	int err;

	if (!g)
		return 0;
	for (i = 0; i < e->nd; i++)
		if (e->d[i].group == id)
			return -EBUSY;
	err = send_batch(e, b_group, &ch);
	if (err < 0)
		return err;
	pol_free(&g->p);
	*g = e->g[--e->ng];
	return 0;
}

int enforce_login_get(struct enforce *e, const struct cidr *addr, bool *logged_in)
{
	*logged_in = false;
	if (!e->policy || !e->made)
		return 0;
	return nftset_get(e->nl, TABLE, dset(DS_LOGIN, addr->family), addr->addr,
			  (uint32_t)cidr_addrlen(addr), logged_in, NULL);
}

int enforce_blocked(struct enforce *e, enforce_blocked_fn fn, void *arg)
{
	int f, err = 0;
	size_t i;

	if (!e->policy || !e->made)
		return 0;
	for (f = 0; f < 2 && err == 0; f++) {
		struct nftset_elem *v = NULL;
		size_t n = 0;

		err = nftset_dump(e->nl, TABLE, fam_set("blocked4", "blocked6", fams[f]), &v, &n);
		for (i = 0; err == 0 && i < n; i++) {
			struct cidr a = { .family = fams[f] };

			if (v[i].key_len != addr_len(fams[f]))
				continue;
			memcpy(a.addr, v[i].key, v[i].key_len);
			a.prefix = (uint8_t)(v[i].key_len * 8);
			err = fn(&a, v[i].packets, v[i].bytes, arg);
		}
		free(v);
	}
	return err;
}

int enforce_dns_refused(struct enforce *e, uint64_t *packets)
{
	*packets = 0;
	if (!e->made || !refuse_wanted(e))
		return 0;
	return nftset_counter_get(e->nl, TABLE, DNS_REFUSED, packets, NULL);
}

uint32_t enforce_gen(const struct enforce *e)
{
	return e->gen;
}

int enforce_remove(struct enforce *e)
{
	int err = nft_remove(e->nl, TABLE);

	if (err == 0)
		e->made = false;
	return err;
}

/* ---- checking ---- */

struct dumped {
	struct nftnl_chain **c;
	size_t nc;
	struct nftnl_rule **r;
	size_t nr;
	char (*sets)[NFTSET_NAME_MAX];
	size_t ns;
	char (*objs)[NFTSET_NAME_MAX];   /* counters */
	size_t no;
	bool foreign;                    /* unparsable, or an object other than a counter */
};

static void dumped_free(struct dumped *d)
{
	size_t i;

	for (i = 0; i < d->nc; i++)
		nftnl_chain_free(d->c[i]);
	for (i = 0; i < d->nr; i++)
		nftnl_rule_free(d->r[i]);
	free(d->c);
	free(d->r);
	free(d->sets);
	free(d->objs);
	memset(d, 0, sizeof(*d));
}

static bool ours(const char *table, uint32_t family)
{
	return table && strcmp(table, TABLE) == 0 && family == NFPROTO_INET;
}

static int dchain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dumped *d = data;
	struct nftnl_chain *c;

	if (!nftx_msg_is(nlh, NFT_MSG_NEWCHAIN))
		return MNL_CB_OK;
	c = nftx_must(nftnl_chain_alloc());
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0) {
		d->foreign = true;
		nftnl_chain_free(c);
		return MNL_CB_OK;
	}
	if (!ours(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE),
		  nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY))) {
		nftnl_chain_free(c);
		return MNL_CB_OK;
	}
	*(struct nftnl_chain **)array_push(&d->c, &d->nc, sizeof(c)) = c;
	return MNL_CB_OK;
}

static int drule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dumped *d = data;
	struct nftnl_rule *r;

	if (!nftx_msg_is(nlh, NFT_MSG_NEWRULE))
		return MNL_CB_OK;
	r = nftx_must(nftnl_rule_alloc());
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		d->foreign = true;
		nftnl_rule_free(r);
		return MNL_CB_OK;
	}
	if (!ours(nftnl_rule_get_str(r, NFTNL_RULE_TABLE),
		  nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY))) {
		nftnl_rule_free(r);
		return MNL_CB_OK;
	}
	*(struct nftnl_rule **)array_push(&d->r, &d->nr, sizeof(r)) = r;
	return MNL_CB_OK;
}

static int dset_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dumped *d = data;
	struct nftnl_set *s;

	if (!nftx_msg_is(nlh, NFT_MSG_NEWSET))
		return MNL_CB_OK;
	s = nftx_must(nftnl_set_alloc());
	if (nftnl_set_nlmsg_parse(nlh, s) == 0 &&
	    ours(nftnl_set_get_str(s, NFTNL_SET_TABLE), nftnl_set_get_u32(s, NFTNL_SET_FAMILY)))
		snprintf(*(char (*)[NFTSET_NAME_MAX])array_push(&d->sets, &d->ns,
							       sizeof(*d->sets)),
			 NFTSET_NAME_MAX, "%s", nftnl_set_get_str(s, NFTNL_SET_NAME));
	nftnl_set_free(s);
	return MNL_CB_OK;
}

static int table_exists(struct nl *nl, bool *found)
{
	uint32_t buf[128] = { 0 };
	struct nftnl_table *t = nftx_must(nftnl_table_alloc());
	struct nlmsghdr *nlh = nftx_req(nl, buf, NFT_MSG_GETTABLE, NFPROTO_INET, 0);
	int err;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, TABLE);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	err = nl_talk(nl, nlh, NULL, NULL);
	*found = err == 0;
	if (err == -ENOENT) {
		nl->err[0] = '\0';
		err = 0;
	}
	return err;
}

static int dump_all(struct nl *nl, struct dumped *d)
{
	uint32_t buf[128];
	struct nlmsghdr *nlh;
	struct nftnl_chain *c;
	struct nftnl_rule *r;
	struct nftnl_set *s;
	bool other = false;
	int err;

	memset(buf, 0, sizeof(buf));
	nlh = nftx_req(nl, buf, NFT_MSG_GETCHAIN, NFPROTO_INET, NLM_F_DUMP);
	c = nftx_must(nftnl_chain_alloc());
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, TABLE);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	err = nl_talk(nl, nlh, dchain_cb, d);
	if (err < 0)
		return err;
	memset(buf, 0, sizeof(buf));
	nlh = nftx_req(nl, buf, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP);
	r = nftx_must(nftnl_rule_alloc());
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, TABLE);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	err = nl_talk(nl, nlh, drule_cb, d);
	if (err < 0)
		return err;
	memset(buf, 0, sizeof(buf));
	nlh = nftx_req(nl, buf, NFT_MSG_GETSET, NFPROTO_INET, NLM_F_DUMP);
	s = nftx_must(nftnl_set_alloc());
	nftnl_set_set_str(s, NFTNL_SET_TABLE, TABLE);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	err = nl_talk(nl, nlh, dset_cb, d);
	if (err == 0)
		err = nftset_counter_names(nl, TABLE, &d->objs, &d->no, &other);
	d->foreign |= other;
	return err;
}

static bool str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static bool chain_ok(const struct chain *want, const struct nftnl_chain *have)
{
	bool base = nftnl_chain_is_set(have, NFTNL_CHAIN_HOOKNUM);

	if (base != (want->type != NULL))
		return false;
	if (!base)
		return true;
	return nftnl_chain_get_u32(have, NFTNL_CHAIN_HOOKNUM) == want->hook &&
	       nftnl_chain_get_s32(have, NFTNL_CHAIN_PRIO) == want->prio &&
	       str_eq(nftnl_chain_get_str(have, NFTNL_CHAIN_TYPE), want->type) &&
	       nftnl_chain_is_set(have, NFTNL_CHAIN_POLICY) &&
	       nftnl_chain_get_u32(have, NFTNL_CHAIN_POLICY) == NF_ACCEPT;
}

static bool rule_ok(const struct nftnl_rule *want, const struct nftnl_rule *have)
{
	char *a = xmalloc(NFTX_TEXT_MAX), *b = xmalloc(NFTX_TEXT_MAX);
	bool eq = nftx_rule_text(want, a, NFTX_TEXT_MAX) && nftx_rule_text(have, b, NFTX_TEXT_MAX);
	char *t;

	/* A dynset is dumped with "timeout 0ms", which a set without timeouts refuses. */
	while (eq && (t = strstr(b, "timeout 0ms ")))
		memmove(t, t + 12, strlen(t + 12) + 1);
	eq = eq && strcmp(a, b) == 0;

	free(a);
	free(b);
	return eq;
}

static bool plan_ok(const struct plan *p, const struct dumped *d)
{
	size_t c, k, i;

	if (d->foreign || d->nc != p->n)
		return false;
	for (c = 0; c < p->n; c++) {
		const struct chain *ch = &p->c[c];

		for (k = 0; k < d->nc; k++)
			if (str_eq(nftnl_chain_get_str(d->c[k], NFTNL_CHAIN_NAME), ch->name))
				break;
		if (k == d->nc || !chain_ok(ch, d->c[k]))
			return false;
		for (i = 0, k = 0; k < d->nr; k++) {
			if (!str_eq(nftnl_rule_get_str(d->r[k], NFTNL_RULE_CHAIN), ch->name))
				continue;
			if (i >= ch->n || !rule_ok(ch->r[i], d->r[k]))
				return false;
			i++;
		}
		if (i != ch->n)
			return false;
	}
	return true;
}

static int elem_cmp(const void *a, const void *b)
{
	const struct nftset_elem *x = a, *y = b;
	int c;

	if (x->key_len != y->key_len)
		return x->key_len < y->key_len ? -1 : 1;
	c = memcmp(x->key, y->key, x->key_len);
	if (c)
		return c;
	if (x->flags != y->flags)
		return x->flags < y->flags ? -1 : 1;
	return memcmp(x->key_end, y->key_end, x->key_len);
}

/* Same keys, ends, flags and data, in any order. */
static bool elems_same(struct nftset_elem *want, size_t nw, struct nftset_elem *have,
		       size_t nh)
{
	size_t i;

	if (nw != nh)
		return false;
	qsort(want, nw, sizeof(*want), elem_cmp);
	qsort(have, nh, sizeof(*have), elem_cmp);
	for (i = 0; i < nw; i++) {
		if (elem_cmp(&want[i], &have[i]) != 0 || want[i].has_end != have[i].has_end ||
		    strcmp(want[i].chain, have[i].chain) != 0 ||
		    want[i].has_data != have[i].has_data ||
		    (want[i].has_data && want[i].data != have[i].data))
			return false;
	}
	return true;
}

static int set_ok(struct enforce *e, const char *set, struct nftset_elem *want, size_t nw,
		  bool *ok)
{
	struct nftset_elem *have = NULL;
	size_t nh = 0, i;
	int err = nftset_dump(e->nl, TABLE, set, &have, &nh);

	if (err == -ENOENT) {
		e->nl->err[0] = '\0';
		*ok = false;
		return 0;
	}
	/* What the kernel does not keep on a copy of ours. */
	for (i = 0; i < nw; i++)
		want[i].timeout_ms = 0;
	if (err == 0)
		*ok = elems_same(want, nw, have, nh);
	free(have);
	return err;
}

static int elems_ok(struct enforce *e, bool *ok)
{
	size_t i, k;
	int s, f, err = 0;

	*ok = true;
	for (f = 0; e->doh.n && f < 2 && *ok && err == 0; f++) {
		struct nftset_elem *v = NULL;
		size_t nv = 0;

		doh_elems(e, fams[f], &v, &nv);
		err = set_ok(e, fam_set("doh4", "doh6", fams[f]), v, nv, ok);
		free(v);
	}
	if (!e->policy)
		return err;
	for (s = 0; s < DS_N && *ok && err == 0; s++) {
		if (s == DS_LOGIN)
			continue;
		for (f = 0; f < 2 && *ok && err == 0; f++) {
			struct nftset_elem *v = NULL;
			size_t nv = 0;

			for (k = 0; k < e->nd; k++) {
				if (e->d[k].addr.family != fams[f])
					continue;
				if (!dev_elem(e, &e->d[k], (enum dset)s,
					      array_push(&v, &nv, sizeof(*v))))
					nv--;
			}
			err = set_ok(e, dset((enum dset)s, fams[f]), v, nv, ok);
			free(v);
		}
	}
	for (i = 0; i < e->ng && *ok && err == 0; i++) {
		char names[4][NFTSET_NAME_MAX];
		struct nftset_def defs[4];
		struct nftset_elem *v[4] = { NULL };
		size_t n[4] = { 0 };
		int j;

		group_sets(e->g[i].id, defs, names);
		for (j = 0; j < 2; j++)
			dest_elems(&e->g[i].p, fams[j], &v[j], &n[j], &v[2 + j], &n[2 + j]);
		for (j = 0; j < 4; j++) {
			if (*ok && err == 0)
				err = set_ok(e, names[j], v[j], n[j], ok);
			free(v[j]);
		}
	}
	return err;
}

static bool named(char (*v)[NFTSET_NAME_MAX], size_t n, const char *name)
{
	size_t k;

	for (k = 0; k < n && strcmp(v[k], name); k++)
		;
	return k < n;
}

/* The fixed sets, @doh4/6 and the counter there, and no more sets or objects than ours
 * (the groups' sets are checked by their elements). */
static bool sets_ok(const struct enforce *e, const struct dumped *d)
{
	struct nftset_def defs[FIXED_SETS + 2];
	size_t n = e->policy ? fixed_sets(defs) : 0, i;

	if (e->doh.n) {
		doh_sets(defs + n);
		n += 2;
	}
	if (d->ns != n + (e->policy ? 4 * e->ng : 0))
		return false;
	for (i = 0; i < n; i++)
		if (!named(d->sets, d->ns, defs[i].name))
			return false;
	if (d->no != (refuse_wanted(e) ? 1u : 0u))
		return false;
	return !d->no || named(d->objs, d->no, DNS_REFUSED);
}

int enforce_matches(struct enforce *e, bool *match)
{
	struct dumped d = { 0 };
	uint32_t gen0, gen1;
	bool found = false, ok = false;
	struct plan p;
	int err = -EINTR, tries;

	*match = false;
	plan_build(e, &p);
	for (tries = 0; tries < TRIES && err == -EINTR; tries++) {
		dumped_free(&d);
		ok = false;
		err = nft_gen(e->nl, &gen0);
		if (err < 0)
			break;
		err = table_exists(e->nl, &found);
		if (err < 0)
			break;
		if (found && e->made) {
			err = dump_all(e->nl, &d);
			if (err == 0 && plan_ok(&p, &d) && sets_ok(e, &d))
				err = elems_ok(e, &ok);
			if (err < 0 && err != -EINTR)
				break;
		}
		if (err == 0) {
			err = nft_gen(e->nl, &gen1);
			if (err == 0 && gen1 != gen0)
				err = -EINTR;
		}
	}
	if (err == 0)
		*match = e->made ? found && ok : !found;
	dumped_free(&d);
	plan_free(&p);
	return err;
}
