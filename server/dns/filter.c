/* The resolver's domain filter: a builder that reads block lists and rules, and the compiled
 * snapshot one query consults. A name is kept as the 64-bit hash of its labels only (not its
 * text), in one open-addressing table whose value picks one of a few distinct combinations
 * of source masks; a decision hashes each suffix of the query name and probes for each. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/util.h"
#include "server/dns/filter.h"
#include "server/dns/listparse.h"

#define BAD_REPORTED 20		/* bad lines of one list told to the callback */
#define LABELS_MAX 128		/* a name of 253 bytes has at most 127 labels */
#define EMPTY_COMBO 0u
#define NO_INDEX UINT32_MAX

/* Masks of one combination, indexed by (important ? 4 : 0) + (allow ? 2 : 0) + (below ? 1 : 0):
 * exact applies to the name itself, below to the names under it. */
enum { M_EXACT = 0, M_BELOW = 1, M_ALLOW = 2, M_IMPORTANT = 4, M_COUNT = 8 };

struct filter_combo {
	uint64_t m[M_COUNT];
};

struct filter_group {
	int64_t id;
	uint64_t mask;
	size_t seq;		/* order of the calls: the last for one id wins */
};

struct filter {
	uint64_t seed;
	uint64_t *keys;		/* name hashes; 0 is an empty slot */
	uint32_t *vals;		/* index into combos */
	size_t mask, n;
	struct filter_combo *combos;
	size_t ncombos;
	struct filter_group *groups;
	size_t ngroups;
	uint64_t defmask, rules;
	size_t bytes;
};

/* A u64 -> u32 open-addressing map whose keys are already well mixed and never 0. */
struct map {
	uint64_t *keys;
	uint32_t *vals;
	size_t cap, n;
};

struct filter_builder {
	uint64_t seed;
	struct map names;	/* name hash -> combo */
	struct map trans;	/* (combo, source, flags) -> combo */
	struct map intern;	/* combo content hash -> combo (compared on a hit) */
	struct filter_combo *combos;
	size_t ncombos;
	struct filter_group *groups;
	size_t ngroups;
	uint64_t defmask, lists, rules;
};

static inline uint64_t fmix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* The hash of label.suffix from the suffix's hash: a chain from the rightmost label, so a
 * query hashes all its suffixes in one pass over its bytes. */
static inline uint64_t label_step(uint64_t h, const char *p, size_t n)
{
	uint64_t v = h ^ ((uint64_t)n * 0x9e3779b97f4a7c15ULL), w;

	while (n >= 8) {
		memcpy(&w, p, 8);
		v = (v ^ w) * 0xbf58476d1ce4e5b9ULL;
		v ^= v >> 31;
		p += 8;
		n -= 8;
	}
	if (n) {
		w = 0;
		memcpy(&w, p, n);
		v = (v ^ w) * 0x94d049bb133111ebULL;
		v ^= v >> 29;
	}
	return fmix64(v);
}

static inline uint64_t key_of(uint64_t h)
{
	return h ? h : 1;
}

/* hs[i]: the key of the suffix of i + 1 labels. *whole: hs[n - 1] is the name itself. */
static size_t suffix_keys(uint64_t seed, const char *name, size_t len, uint64_t *hs,
			  bool *whole)
{
	size_t n = 0, end = len;
	uint64_t h = seed;

	*whole = false;
	while (n < LABELS_MAX) {
		size_t s = end;

		while (s > 0 && name[s - 1] != '.')
			s--;
		h = label_step(h, name + s, end - s);
		hs[n++] = key_of(h);
		if (s == 0) {
			*whole = true;
			break;
		}
		end = s - 1;
	}
	return n;
}

/* The key of a whole name (checked: at most 127 labels), as suffix_keys ends. */
static uint64_t name_key(uint64_t seed, const char *name, size_t len)
{
	size_t end = len, s;
	uint64_t h = seed;

	for (;;) {
		for (s = end; s > 0 && name[s - 1] != '.'; s--)
			;
		h = label_step(h, name + s, end - s);
		if (s == 0)
			return key_of(h);
		end = s - 1;
	}
}

static void map_init(struct map *m, size_t cap)
{
	m->cap = cap;
	m->n = 0;
	m->keys = xcalloc(cap, sizeof(*m->keys));
	m->vals = xmalloc(cap * sizeof(*m->vals));
}

static void map_free(struct map *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
}

/* The slot of key, or of the empty slot where it would go. */
static inline size_t map_slot(const struct map *m, uint64_t key)
{
	size_t mask = m->cap - 1, i = key & mask;

	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & mask;
	return i;
}

static void map_grow(struct map *m)
{
	struct map old = *m;
	size_t i;

	map_init(m, old.cap * 2);
	for (i = 0; i < old.cap; i++) {
		size_t j;

		if (!old.keys[i])
			continue;
		/* The first empty slot: intern may hold one key twice. */
		for (j = old.keys[i] & (m->cap - 1); m->keys[j]; j = (j + 1) & (m->cap - 1))
			;
		m->keys[j] = old.keys[i];
		m->vals[j] = old.vals[i];
	}
	m->n = old.n;
	map_free(&old);
}

/* The slot for key, claimed (with val init) when new; at most 60 % full, so a miss in the
 * snapshot's table ends within a few slots. */
static size_t map_claim(struct map *m, uint64_t key, uint32_t init)
{
	size_t i;

	if ((m->n + 1) * 10 > m->cap * 6)
		map_grow(m);
	i = map_slot(m, key);
	if (!m->keys[i]) {
		m->keys[i] = key;
		m->vals[i] = init;
		m->n++;
	}
	return i;
}

static uint64_t combo_hash(const struct filter_combo *c)
{
	uint64_t h = 0x6a09e667f3bcc908ULL;
	size_t i;

	for (i = 0; i < M_COUNT; i++)
		h = fmix64(h ^ c->m[i]) + i;
	return key_of(fmix64(h));
}

/* The index of combination c, added when new. */
static uint32_t combo_intern(struct filter_builder *fb, const struct filter_combo *c)
{
	uint64_t key = combo_hash(c);
	size_t mask, i;

	if ((fb->intern.n + 1) * 10 > fb->intern.cap * 6)
		map_grow(&fb->intern);
	mask = fb->intern.cap - 1;
	/* Content hashes may collide: probe on until the same content or an empty slot. */
	for (i = key & mask; fb->intern.keys[i]; i = (i + 1) & mask)
		if (fb->intern.keys[i] == key &&
		    memcmp(&fb->combos[fb->intern.vals[i]], c, sizeof(*c)) == 0)
			return fb->intern.vals[i];
	if ((fb->ncombos & (fb->ncombos - 1)) == 0)
		fb->combos = xrealloc(fb->combos, (fb->ncombos ? fb->ncombos * 2 : 1) *
				      sizeof(*fb->combos));
	fb->combos[fb->ncombos] = *c;
	fb->intern.keys[i] = key;
	fb->intern.vals[i] = (uint32_t)fb->ncombos;
	fb->intern.n++;
	return (uint32_t)fb->ncombos++;
}

/* The combination old with source's flags added: most names follow the same few steps, so
 * the answer is remembered per (old, source, flags). */
static uint32_t combo_add(struct filter_builder *fb, uint32_t old, unsigned source,
			  unsigned flags)
{
	uint64_t raw = ((uint64_t)old << 12 | (uint64_t)source << 4 | (flags & 0xf)) + 1;
	size_t i = map_claim(&fb->trans, fmix64(raw), NO_INDEX);
	struct filter_combo c;
	unsigned base;
	uint32_t idx;

	if (fb->trans.vals[i] != NO_INDEX)
		return fb->trans.vals[i];
	c = fb->combos[old];
	base = (flags & LP_IMPORTANT ? M_IMPORTANT : 0) | (flags & LP_ALLOW ? M_ALLOW : 0);
	if (flags & LP_EXACT)
		c.m[base | M_EXACT] |= 1ULL << source;
	if (flags & LP_BELOW)
		c.m[base | M_BELOW] |= 1ULL << source;
	idx = combo_intern(fb, &c);
	/* combo_intern may not move trans; the slot is still ours. */
	fb->trans.vals[i] = idx;
	return idx;
}

static void builder_add(struct filter_builder *fb, const char *name, size_t len,
			unsigned source, unsigned flags)
{
	size_t i = map_claim(&fb->names, name_key(fb->seed, name, len), EMPTY_COMBO);

	fb->names.vals[i] = combo_add(fb, fb->names.vals[i], source, flags);
}

int filter_builder_new(struct filter_builder **out)
{
	struct filter_builder *fb = xcalloc(1, sizeof(*fb));
	struct filter_combo none = { { 0 } };
	struct timespec t;

	/* A seed per snapshot: a list cannot be made of names that share probe chains. */
	if (getrandom(&fb->seed, sizeof(fb->seed), GRND_NONBLOCK) != sizeof(fb->seed)) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		fb->seed = fmix64((uint64_t)t.tv_nsec ^ (uint64_t)t.tv_sec << 32 ^
				  (uint64_t)(uintptr_t)fb);
	}
	map_init(&fb->names, 1024);
	map_init(&fb->trans, 64);
	map_init(&fb->intern, 64);
	fb->defmask = ~0ULL;
	combo_intern(fb, &none); /* EMPTY_COMBO */
	*out = fb;
	return 0;
}

void filter_builder_free(struct filter_builder *fb)
{
	if (!fb)
		return;
	map_free(&fb->names);
	map_free(&fb->trans);
	map_free(&fb->intern);
	free(fb->combos);
	free(fb->groups);
	free(fb);
}

int filter_builder_add_list(struct filter_builder *fb, unsigned source, const char *file,
			    const char *text, size_t len, struct filter_source_stats *st,
			    filter_bad_fn bad, void *ctx)
{
	struct filter_source_stats dummy;
	struct listparse_line *pl;
	const char *p = text, *end = text + len, *why;
	unsigned lineno = 0;
	size_t i;

	if (!st)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	if (!fb || source >= FILTER_SOURCES_MAX || ((fb->lists | fb->rules) >> source & 1) ||
	    (len && !text))
		return -EINVAL;
	fb->lists |= 1ULL << source;
	pl = xmalloc(sizeof(*pl));
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3; /* a UTF-8 byte order mark */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;

		lineno++;
		st->lines++;
		if (listparse_line(p, (size_t)(le - p), LISTPARSE_LIST, pl, &why) < 0) {
			if (st->bad++ < BAD_REPORTED && bad)
				bad(ctx, file ? file : "-", lineno, why);
		}
		for (i = 0; i < pl->n; i++)
			builder_add(fb, pl->buf + pl->e[i].off, pl->e[i].len, source,
				    pl->e[i].flags);
		st->entries += pl->n;
		p = nl ? nl + 1 : end;
	}
	free(pl);
	return 0;
}

int filter_rule_parse(const char *pattern, const char **why)
{
	struct listparse_line pl;
	const char *w = NULL;
	int r;

	if (!pattern) {
		w = "empty pattern";
		r = -EINVAL;
		goto out;
	}
	r = listparse_line(pattern, strlen(pattern), LISTPARSE_RULE, &pl, &w);
	if (r == 0 && pl.n == 0) {
		w = "empty pattern: nothing to match";
		r = -EINVAL;
	}
out:
	if (why)
		*why = r < 0 ? w : NULL;
	return r;
}

int filter_builder_add_rule(struct filter_builder *fb, unsigned source, const char *pattern,
			    enum filter_action action)
{
	struct listparse_line *pl;
	const char *why;
	unsigned i, extra;
	int r;

	if (!fb || !pattern || source >= FILTER_SOURCES_MAX || (fb->lists >> source & 1) ||
	    (action != FILTER_BLOCK && action != FILTER_ALLOW))
		return -EINVAL;
	pl = xmalloc(sizeof(*pl));
	r = listparse_line(pattern, strlen(pattern), LISTPARSE_RULE, pl, &why);
	if (r == 0 && pl->n == 0)
		r = -EINVAL;
	if (r < 0)
		goto out;
	fb->rules |= 1ULL << source;
	/* "@@" in a pattern allows whatever the action says. */
	extra = action == FILTER_ALLOW ? LP_ALLOW : 0;
	for (i = 0; i < pl->n; i++)
		builder_add(fb, pl->buf + pl->e[i].off, pl->e[i].len, source,
			    pl->e[i].flags | extra);
out:
	free(pl);
	return r;
}

void filter_builder_group(struct filter_builder *fb, int64_t group_id, uint64_t sources)
{
	struct filter_group *g = array_push(&fb->groups, &fb->ngroups, sizeof(*g));

	g->id = group_id;
	g->mask = sources;
	g->seq = fb->ngroups;
}

void filter_builder_default(struct filter_builder *fb, uint64_t sources)
{
	fb->defmask = sources;
}

static int group_cmp(const void *a, const void *b)
{
	const struct filter_group *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int filter_build(struct filter_builder *fb, struct filter **out)
{
	struct filter *f;
	size_t i, n = 0;

	*out = NULL;
	if (!fb)
		return -EINVAL;
	f = xcalloc(1, sizeof(*f));
	f->seed = fb->seed;
	f->keys = fb->names.keys;
	f->vals = fb->names.vals;
	f->mask = fb->names.cap - 1;
	f->n = fb->names.n;
	fb->names.keys = NULL;
	fb->names.vals = NULL;
	f->combos = fb->combos;
	f->ncombos = fb->ncombos;
	fb->combos = NULL;
	qsort(fb->groups, fb->ngroups, sizeof(*fb->groups), group_cmp);
	for (i = 0; i < fb->ngroups; i++) {
		if (n && fb->groups[n - 1].id == fb->groups[i].id)
			n--;
		fb->groups[n++] = fb->groups[i];
	}
	f->groups = fb->groups;
	f->ngroups = n;
	fb->groups = NULL;
	f->defmask = fb->defmask;
	f->rules = fb->rules;
	f->bytes = sizeof(*f) + (f->mask + 1) * (sizeof(*f->keys) + sizeof(*f->vals)) +
		   f->ncombos * sizeof(*f->combos) + fb->ngroups * sizeof(*f->groups);
	filter_builder_free(fb);
	*out = f;
	return 0;
}

void filter_free(struct filter *f)
{
	if (!f)
		return;
	free(f->keys);
	free(f->vals);
	free(f->combos);
	free(f->groups);
	free(f);
}

static uint64_t group_mask(const struct filter *f, int64_t id)
{
	size_t lo = 0, hi = f->ngroups;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->groups[mid].id == id)
			return f->groups[mid].mask;
		if (f->groups[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return f->defmask;
}

/* Classes from the strongest: a rule's allow, a rule's block, a list's important allow and
 * block, a list's allow, a list's block. */
enum { C_RULE_ALLOW, C_RULE_BLOCK, C_IMP_ALLOW, C_IMP_BLOCK, C_ALLOW, C_BLOCK, C_COUNT };

enum filter_action filter_decide(const struct filter *f, int64_t group_id, const char *name,
				 size_t len, int *source)
{
	uint64_t hs[LABELS_MAX], best[C_COUNT] = { 0 }, g, gr, gl;
	size_t n, i, k;
	bool whole;

	if (source)
		*source = -1;
	if (!f || !name || len == 0 || f->n == 0)
		return FILTER_PASS;
	g = group_mask(f, group_id);
	if (!g)
		return FILTER_PASS;
	gr = g & f->rules;
	gl = g & ~f->rules;
	n = suffix_keys(f->seed, name, len, hs, &whole);
	/* The probes of one name are independent: start their cache misses together. */
	for (i = 0; i < n; i++)
		__builtin_prefetch(&f->keys[hs[i] & f->mask]);
	/* From the top-level label down, so a more specific suffix overrides in its class. */
	for (i = 0; i < n; i++) {
		const struct filter_combo *c;
		size_t j = hs[i] & f->mask;
		unsigned sel;
		uint64_t x;

		while (f->keys[j] && f->keys[j] != hs[i])
			j = (j + 1) & f->mask;
		if (!f->keys[j])
			continue;
		c = &f->combos[f->vals[j]];
		sel = whole && i == n - 1 ? M_EXACT : M_BELOW;
		if ((x = (c->m[M_ALLOW | sel] | c->m[M_IMPORTANT | M_ALLOW | sel]) & gr))
			best[C_RULE_ALLOW] = x;
		if ((x = (c->m[sel] | c->m[M_IMPORTANT | sel]) & gr))
			best[C_RULE_BLOCK] = x;
		if ((x = c->m[M_IMPORTANT | M_ALLOW | sel] & gl))
			best[C_IMP_ALLOW] = x;
		if ((x = c->m[M_IMPORTANT | sel] & gl))
			best[C_IMP_BLOCK] = x;
		if ((x = c->m[M_ALLOW | sel] & gl))
			best[C_ALLOW] = x;
		if ((x = c->m[sel] & gl))
			best[C_BLOCK] = x;
	}
	for (k = 0; k < C_COUNT; k++) {
		if (!best[k])
			continue;
		if (source)
			*source = __builtin_ctzll(best[k]);
		return k == C_RULE_ALLOW || k == C_IMP_ALLOW || k == C_ALLOW ? FILTER_ALLOW :
									       FILTER_BLOCK;
	}
	return FILTER_PASS;
}

size_t filter_entries(const struct filter *f)
{
	return f ? f->n : 0;
}

size_t filter_bytes(const struct filter *f)
{
	return f ? f->bytes : 0;
}
