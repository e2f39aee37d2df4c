/* The internal zone, built whole: one table of owner names, each with its records, and one
 * of device addresses. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zone.h"
#include "../account.h"
#include "../../common/util.h"

struct rr {
	uint16_t type;
	uint32_t ttl;
	uint8_t addr[16];              /* A, AAAA */
	uint16_t prio, weight, port;   /* SRV */
	char *text;                    /* CNAME, PTR, NS, SRV targets; TXT */
};

struct node {
	char *name;
	uint64_t hash;
	struct rr *rrs;
	size_t n_rrs;
	bool foreign;                  /* outside the domain: an administrator's override */
};

struct caddr {
	int family;
	uint8_t addr[16];
	uint32_t client;               /* index into clients */
};

struct zone {
	char domain[DNS_NAME_TEXT_MAX + 1];
	size_t domain_len;
	char ns[DNS_NAME_TEXT_MAX + 1];
	uint32_t ttl, serial;
	struct node *nodes;
	size_t n_nodes, cap_nodes;
	uint32_t *slots;               /* node index + 1; 0 empty */
	size_t n_slots;
	struct cidrv pools;
	struct zone_client *clients;
	size_t n_clients;
	struct caddr *caddrs;          /* open addressing, n_cslots */
	size_t n_cslots;
};

static uint64_t name_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)s[i];
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (!n || n > DNS_NAME_TEXT_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (!label)
				return false;
			label = 0;
			continue;
		}
		if (!(islower(c) || isdigit(c) || c == '-' || c == '_' || c == '*'))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0;
}

static struct node *node_find(const struct zone *z, const char *name, size_t len)
{
	uint64_t h = name_hash(name, len);
	size_t mask = z->n_slots - 1, i = h & mask;

	for (; z->slots[i]; i = (i + 1) & mask) {
		struct node *n = &z->nodes[z->slots[i] - 1];

		if (n->hash == h && strlen(n->name) == len && memcmp(n->name, name, len) == 0)
			return n;
	}
	return NULL;
}

static void slots_grow(struct zone *z)
{
	size_t n = z->n_slots ? z->n_slots * 2 : 64;

	free(z->slots);
	z->slots = xcalloc(n, sizeof(*z->slots));
	z->n_slots = n;
	for (size_t k = 0; k < z->n_nodes; k++) {
		size_t i = z->nodes[k].hash & (n - 1);

		while (z->slots[i])
			i = (i + 1) & (n - 1);
		z->slots[i] = (uint32_t)k + 1;
	}
}

/* The node of name, made if missing. */
static struct node *node_get(struct zone *z, const char *name)
{
	size_t len = strlen(name);
	struct node *n;

	if (z->n_slots && (n = node_find(z, name, len)))
		return n;
	if (z->n_nodes == z->cap_nodes) {
		z->cap_nodes = z->cap_nodes ? z->cap_nodes * 2 : 64;
		z->nodes = xrealloc(z->nodes, z->cap_nodes * sizeof(*z->nodes));
	}
	n = &z->nodes[z->n_nodes++];
	memset(n, 0, sizeof(*n));
	n->name = xstrdup(name);
	n->hash = name_hash(name, len);
	if (z->n_nodes * 2 > z->n_slots) {
		slots_grow(z);
	} else {
		size_t i = n->hash & (z->n_slots - 1);

		while (z->slots[i])
			i = (i + 1) & (z->n_slots - 1);
		z->slots[i] = (uint32_t)z->n_nodes;
	}
	return n;
}

static struct rr *rr_add(struct zone *z, const char *name, uint16_t type, uint32_t ttl)
{
	struct node *n = node_get(z, name);
	struct rr *r;

	n->rrs = xrealloc(n->rrs, (n->n_rrs + 1) * sizeof(*n->rrs));
	r = &n->rrs[n->n_rrs++];
	memset(r, 0, sizeof(*r));
	r->type = type;
	r->ttl = ttl;
	return r;
}

static bool rr_same(const struct rr *a, const struct rr *b)
{
	if (a->type != b->type || memcmp(a->addr, b->addr, sizeof(a->addr)) ||
	    a->prio != b->prio || a->weight != b->weight || a->port != b->port)
		return false;
	return (!a->text && !b->text) || (a->text && b->text && strcmp(a->text, b->text) == 0);
}

static void rr_addr(struct zone *z, const char *name, const struct cidr *c, uint32_t ttl)
{
	struct node *n = node_get(z, name);
	struct rr r = { .type = c->family == AF_INET ? DNS_T_A : DNS_T_AAAA, .ttl = ttl };

	memcpy(r.addr, c->addr, c->family == AF_INET ? 4 : 16);
	for (size_t i = 0; i < n->n_rrs; i++)
		if (rr_same(&n->rrs[i], &r))
			return;
	*rr_add(z, name, r.type, ttl) = r;
}

static void fold(char *dst, const char *src, size_t size)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < size; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = 0;
	if (i && dst[i - 1] == '.')
		dst[i - 1] = 0;
}

/* "10 5 5060 sip.corp.example" */
static int srv_parse(const char *v, struct rr *r, char *target, size_t size)
{
	unsigned prio, weight, port;
	char t[DNS_NAME_TEXT_MAX + 2];
	int end = 0;

	if (sscanf(v, "%u %u %u %254s %n", &prio, &weight, &port, t, &end) != 4 || v[end] ||
	    prio > 65535 || weight > 65535 || port > 65535)
		return -EINVAL;
	fold(target, t, size);
	if (!name_ok(target))
		return -EINVAL;
	r->prio = (uint16_t)prio;
	r->weight = (uint16_t)weight;
	r->port = (uint16_t)port;
	return 0;
}

static int record_parse(const struct zone_record *rec, char *name, struct rr *r, char *why,
			size_t whylen)
{
	char target[DNS_NAME_TEXT_MAX + 2];

	memset(r, 0, sizeof(*r));
	r->ttl = rec->ttl;
	fold(name, rec->name ? rec->name : "", DNS_NAME_TEXT_MAX + 1);
	if (!name_ok(name)) {
		snprintf(why, whylen, "name \"%.60s\": not a domain name", rec->name ? rec->name : "");
		return -EINVAL;
	}
	if (!rec->type || !rec->value) {
		snprintf(why, whylen, "type and value are needed");
		return -EINVAL;
	}
	if (strcasecmp(rec->type, "A") == 0 || strcasecmp(rec->type, "AAAA") == 0) {
		bool v4 = strcasecmp(rec->type, "A") == 0;

		r->type = v4 ? DNS_T_A : DNS_T_AAAA;
		if (inet_pton(v4 ? AF_INET : AF_INET6, rec->value, r->addr) != 1) {
			snprintf(why, whylen, "value \"%.60s\": not an IPv%c address", rec->value,
				 v4 ? '4' : '6');
			return -EINVAL;
		}
	} else if (strcasecmp(rec->type, "CNAME") == 0) {
		r->type = DNS_T_CNAME;
		fold(target, rec->value, sizeof(target));
		if (!name_ok(target)) {
			snprintf(why, whylen, "value \"%.60s\": not a domain name", rec->value);
			return -EINVAL;
		}
		r->text = xstrdup(target);
	} else if (strcasecmp(rec->type, "TXT") == 0) {
		r->type = DNS_T_TXT;
		if (strlen(rec->value) > 1024) {
			snprintf(why, whylen, "value: longer than 1024 bytes");
			return -EINVAL;
		}
		r->text = xstrdup(rec->value);
	} else if (strcasecmp(rec->type, "SRV") == 0) {
		r->type = DNS_T_SRV;
		if (srv_parse(rec->value, r, target, sizeof(target)) < 0) {
			snprintf(why, whylen, "value \"%.60s\": not PRIORITY WEIGHT PORT TARGET", rec->value);
			return -EINVAL;
		}
		r->text = xstrdup(target);
	} else {
		snprintf(why, whylen, "type \"%.10s\": must be A, AAAA, CNAME, TXT or SRV", rec->type);
		return -EINVAL;
	}
	return 0;
}

int zone_record_check(const struct zone_record *r, char *name_out, char *why, size_t whylen)
{
	struct rr rr;
	int ret = record_parse(r, name_out, &rr, why, whylen);

	free(rr.text);
	return ret;
}

static bool under(const struct zone *z, const char *name, size_t len)
{
	return dnswire_name_under(name, len, z->domain, z->domain_len);
}

/* Every name between one under the domain and the domain exists (empty non-terminals). */
static void add_parents(struct zone *z, const char *name)
{
	const char *p = name;
	size_t len = strlen(name);

	if (!under(z, name, len))
		return;
	while ((p = strchr(p, '.')) && strlen(p + 1) > z->domain_len) {
		p++;
		node_get(z, p);
	}
}

static void client_add(struct zone *z, const struct cidr *c, uint32_t idx)
{
	size_t mask = z->n_cslots - 1, i = name_hash((const char *)c->addr, 16) & mask;

	while (z->caddrs[i].family)
		i = (i + 1) & mask;
	z->caddrs[i].family = c->family;
	memcpy(z->caddrs[i].addr, c->addr, 16);
	z->caddrs[i].client = idx;
}

struct zone_client *zone_client(struct zone *z, int family, const uint8_t *addr)
{
	uint8_t key[16] = { 0 };
	size_t mask, i;

	if (!z->n_cslots)
		return NULL;
	memcpy(key, addr, family == AF_INET ? 4 : 16);
	mask = z->n_cslots - 1;
	for (i = name_hash((const char *)key, 16) & mask; z->caddrs[i].family; i = (i + 1) & mask)
		if (z->caddrs[i].family == family && memcmp(z->caddrs[i].addr, key, 16) == 0)
			return &z->clients[z->caddrs[i].client];
	return NULL;
}

int zone_build(const struct account *a, const char *domain, const struct cidrv *pools,
	       const struct cidrv *server, const struct zone_record *recs, size_t n_recs,
	       uint32_t ttl, struct zone **out)
{
	struct zone *z = xcalloc(1, sizeof(*z));
	char name[3 * (DNS_NAME_TEXT_MAX + 1)], rev[80];
	size_t n_addrs = 0, i, k;

	fold(z->domain, domain, sizeof(z->domain));
	z->domain_len = strlen(z->domain);
	z->ttl = ttl;
	z->serial = (uint32_t)time(NULL);
	snprintf(z->ns, sizeof(z->ns), "ns.%s", z->domain);
	slots_grow(z);
	node_get(z, z->domain);
	rr_add(z, z->domain, DNS_T_NS, ttl)->text = xstrdup(z->ns);
	node_get(z, z->ns);
	for (i = 0; server && i < server->n; i++)
		rr_addr(z, z->ns, &server->v[i], ttl);
	for (i = 0; pools && i < pools->n; i++)
		cidrv_push(&z->pools, &pools->v[i]);

	for (i = 0; i < a->n_devs; i++)
		n_addrs += a->devs[i].n_addrs;
	z->n_cslots = 16;
	while (z->n_cslots < 2 * n_addrs)
		z->n_cslots *= 2;
	z->caddrs = xcalloc(z->n_cslots, sizeof(*z->caddrs));
	z->clients = xcalloc(a->n_devs ? a->n_devs : 1, sizeof(*z->clients));

	for (i = 0; i < a->n_devs; i++) {
		const struct acct_device *d = &a->devs[i];
		const struct acct_user *u = account_user((struct account *)a, d->user_id);
		char uname[DNS_NAME_TEXT_MAX + 1], dname[DNS_NAME_TEXT_MAX + 1];
		struct zone_client *c = &z->clients[z->n_clients];

		if (!u)
			continue;
		c->user_id = u->id;
		c->device_id = d->id;
		c->group_id = u->group_id;
		for (k = 0; k < d->n_addrs; k++)
			client_add(z, &d->addrs[k], (uint32_t)z->n_clients);
		z->n_clients++;

		snprintf(uname, sizeof(uname), "%s.%s", u->name, z->domain);
		if (strlen(u->name) + 1 + z->domain_len > DNS_NAME_TEXT_MAX || !name_ok(uname))
			continue;
		snprintf(name, sizeof(name), "%s.%s", d->name, uname);
		for (k = 0; k < d->n_addrs; k++)
			rr_addr(z, uname, &d->addrs[k], ttl);
		if (strlen(name) > DNS_NAME_TEXT_MAX || !name_ok(name))
			continue;
		memcpy(dname, name, strlen(name) + 1);
		for (k = 0; k < d->n_addrs; k++) {
			rr_addr(z, dname, &d->addrs[k], ttl);
			dnswire_ptr_name(d->addrs[k].family, d->addrs[k].addr, rev, sizeof(rev));
			rr_add(z, rev, DNS_T_PTR, ttl)->text = xstrdup(dname);
		}
	}

	for (i = 0; i < n_recs; i++) {
		char rname[DNS_NAME_TEXT_MAX + 1], why[128];
		struct rr r;
		struct node *n;

		if (record_parse(&recs[i], rname, &r, why, sizeof(why)) < 0) {
			free(r.text);
			continue;
		}
		n = node_get(z, rname);
		if (!under(z, rname, strlen(rname)))
			n->foreign = true;
		*rr_add(z, rname, r.type, r.ttl) = r;
	}
	/* Names made so far, then their parents (the node array grows while walking). */
	for (i = 0, k = z->n_nodes; i < k; i++) {
		char *copy = xstrdup(z->nodes[i].name);

		add_parents(z, copy);
		free(copy);
	}
	*out = z;
	return 0;
}

void zone_free(struct zone *z)
{
	if (!z)
		return;
	for (size_t i = 0; i < z->n_nodes; i++) {
		for (size_t k = 0; k < z->nodes[i].n_rrs; k++)
			free(z->nodes[i].rrs[k].text);
		free(z->nodes[i].rrs);
		free(z->nodes[i].name);
	}
	free(z->nodes);
	free(z->slots);
	cidrv_clear(&z->pools);
	free(z->clients);
	free(z->caddrs);
	free(z);
}

/* Both hold the devices in the account's order, by id: one walk pairs them. */
void zone_carry(struct zone *z, const struct zone *old)
{
	size_t i = 0, k = 0;

	while (i < z->n_clients && k < old->n_clients) {
		if (z->clients[i].device_id < old->clients[k].device_id) {
			i++;
		} else if (z->clients[i].device_id > old->clients[k].device_id) {
			k++;
		} else {
			z->clients[i].tokens = old->clients[k].tokens;
			z->clients[i].tokens_ms = old->clients[k].tokens_ms;
			i++;
			k++;
		}
	}
}

size_t zone_names(const struct zone *z)
{
	return z->n_nodes;
}

static int rr_put(struct dns_builder *b, enum dns_section s, const char *owner,
		  const struct rr *r)
{
	switch (r->type) {
	case DNS_T_A:
		return dnsbuild_a(b, s, owner, r->ttl, r->addr);
	case DNS_T_AAAA:
		return dnsbuild_aaaa(b, s, owner, r->ttl, r->addr);
	case DNS_T_CNAME:
	case DNS_T_PTR:
	case DNS_T_NS:
		return dnsbuild_name(b, s, owner, r->type, r->ttl, r->text);
	case DNS_T_TXT:
		return dnsbuild_txt(b, s, owner, r->ttl, r->text);
	case DNS_T_SRV:
		return dnsbuild_srv(b, s, owner, r->ttl, r->prio, r->weight, r->port, r->text);
	}
	return 0;
}

static void soa_put(const struct zone *z, struct dns_builder *b, const char *apex)
{
	char rname[DNS_NAME_TEXT_MAX + 16];

	snprintf(rname, sizeof(rname), "hostmaster.%s", z->domain);
	dnsbuild_soa(b, DNS_S_AUTHORITY, apex, z->ttl, z->ns, rname, z->serial, 3600, 600,
		     86400, z->ttl);
}

/* The reverse zone of a pool, cut at the octet (IPv4) or nibble (IPv6) of its prefix. */
static void reverse_apex(const struct cidr *pool, char *buf, size_t size)
{
	char full[80];
	size_t labels = pool->family == AF_INET ? pool->prefix / 8 : pool->prefix / 4;
	size_t all = pool->family == AF_INET ? 4 : 32;
	const char *p = full;

	dnswire_ptr_name(pool->family, pool->addr, full, sizeof(full));
	for (size_t i = 0; i < all - labels && p; i++) {
		p = strchr(p, '.');
		if (p)
			p++;
	}
	snprintf(buf, size, "%s", p ? p : full);
}

/* The records of node n answering qtype, following CNAMEs inside our data (at most 8). */
static void answer_node(const struct zone *z, const struct dns_query *q, const struct node *n,
			struct dns_builder *b, bool *any)
{
	for (int hops = 0; n && hops < 8; hops++) {
		const struct node *next = NULL;

		for (size_t i = 0; i < n->n_rrs; i++) {
			const struct rr *r = &n->rrs[i];

			if (r->type == q->qtype || q->qtype == DNS_T_ANY) {
				rr_put(b, DNS_S_ANSWER, n->name, r);
				*any = true;
			} else if (r->type == DNS_T_CNAME) {
				rr_put(b, DNS_S_ANSWER, n->name, r);
				*any = true;
				next = node_find(z, r->text, strlen(r->text));
			}
		}
		n = next;
	}
}

bool zone_answer(const struct zone *z, const struct dns_query *q, struct dns_builder *b,
		 uint8_t *buf, size_t cap, size_t max)
{
	const struct node *n = node_find(z, q->name, q->name_len);
	char apex[80];
	uint8_t addr[16];
	int family;
	bool any = false;

	if (q->qclass != DNS_C_IN && q->qclass != DNS_T_ANY)
		return false;
	if (under(z, q->name, q->name_len)) {
		dnsbuild_start(b, buf, cap, max, q, n ? DNS_R_NOERROR : DNS_R_NXDOMAIN, true);
		if (n)
			answer_node(z, q, n, b, &any);
		if (!any)
			soa_put(z, b, z->domain);
		return true;
	}
	if (n && n->foreign) {
		dnsbuild_start(b, buf, cap, max, q, DNS_R_NOERROR, true);
		answer_node(z, q, n, b, &any);
		return true;
	}
	if (dnswire_ptr_parse(q->name, &family, addr) == 0) {
		struct cidr c = { .family = family, .prefix = family == AF_INET ? 32 : 128 };

		memcpy(c.addr, addr, sizeof(addr));
		for (size_t i = 0; i < z->pools.n; i++) {
			if (!cidr_contains(&z->pools.v[i], &c))
				continue;
			dnsbuild_start(b, buf, cap, max, q, n ? DNS_R_NOERROR : DNS_R_NXDOMAIN, true);
			if (n)
				answer_node(z, q, n, b, &any);
			if (!any) {
				reverse_apex(&z->pools.v[i], apex, sizeof(apex));
				soa_put(z, b, apex);
			}
			return true;
		}
	}
	return false;
}
