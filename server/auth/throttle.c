/* Set-associative tables of decaying failure counts, indexed by a keyed hash of the
 * address, the account name and address, or the account name (logins), and of the
 * address (voucher codes). */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "throttle.h"
#include "../../common/util.h"

#define WAYS 8
#define TAG_LEN 16

/* The login's three, then the codes'. */
enum { ADDR, PAIR, ACCOUNT, N_LOGIN, CODE = N_LOGIN, N_CLASSES };

struct class_rule {
	uint32_t free, decay_ms, base_ms, cap_ms;
	size_t entries;
};

static const struct class_rule rules[N_CLASSES] = {
	[ADDR] = { THROTTLE_ADDR_FREE, THROTTLE_ADDR_DECAY_MS, THROTTLE_ADDR_BASE_MS,
		   THROTTLE_ADDR_CAP_MS, THROTTLE_ADDR_ENTRIES },
	[PAIR] = { THROTTLE_PAIR_FREE, THROTTLE_PAIR_DECAY_MS, THROTTLE_PAIR_BASE_MS,
		   THROTTLE_PAIR_CAP_MS, THROTTLE_PAIR_ENTRIES },
	[ACCOUNT] = { THROTTLE_ACCOUNT_FREE, THROTTLE_ACCOUNT_DECAY_MS, THROTTLE_ACCOUNT_BASE_MS,
		      THROTTLE_ACCOUNT_CAP_MS, THROTTLE_ACCOUNT_ENTRIES },
	[CODE] = { THROTTLE_CODE_FREE, THROTTLE_CODE_DECAY_MS, THROTTLE_CODE_BASE_MS,
		   THROTTLE_CODE_CAP_MS, THROTTLE_CODE_ENTRIES },
};

struct entry {
	uint8_t tag[TAG_LEN];       /* keyed hash of what is counted */
	bool used;
	uint32_t fails;             /* as of since_ms */
	uint64_t since_ms;          /* decay counts from here, by whole periods, so that
				     * frequent attempts do not hold it back */
	uint64_t last_ms;           /* the last failure counted: the age for eviction */
	uint64_t next_ms;           /* no attempt before this */
};

struct table {
	struct entry *e;            /* sets of WAYS entries */
	size_t sets;                /* a power of two */
	uint32_t fails_max;         /* past where the wait reaches the cap, nothing changes */
};

struct throttle {
	uint8_t key[crypto_generichash_KEYBYTES];
	struct table tab[N_CLASSES];
};

_Static_assert((THROTTLE_ADDR_ENTRIES / WAYS & (THROTTLE_ADDR_ENTRIES / WAYS - 1)) == 0 &&
	       (THROTTLE_PAIR_ENTRIES / WAYS & (THROTTLE_PAIR_ENTRIES / WAYS - 1)) == 0 &&
	       (THROTTLE_ACCOUNT_ENTRIES / WAYS & (THROTTLE_ACCOUNT_ENTRIES / WAYS - 1)) == 0 &&
	       (THROTTLE_CODE_ENTRIES / WAYS & (THROTTLE_CODE_ENTRIES / WAYS - 1)) == 0,
	       "sets are a power of two");

static uint64_t elapsed(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

/* The wait after the f-th failure. */
static uint64_t wait_ms(const struct class_rule *r, uint32_t f)
{
	uint32_t k;

	if (f < r->free)
		return 0;
	k = f - r->free;
	if (k >= 32 || ((uint64_t)r->base_ms << k) >= r->cap_ms)
		return r->cap_ms;
	return (uint64_t)r->base_ms << k;
}

int throttle_new(struct throttle **tp)
{
	struct throttle *t;
	int c;

	*tp = NULL;
	if (sodium_init() < 0)
		return -EIO;
	t = xcalloc(1, sizeof(*t));
	crypto_generichash_keygen(t->key);
	for (c = 0; c < N_CLASSES; c++) {
		const struct class_rule *r = &rules[c];
		uint32_t f = r->free;

		t->tab[c].sets = r->entries / WAYS;
		t->tab[c].e = xcalloc(r->entries, sizeof(struct entry));
		/* One past the first count that waits the cap: at the cap, a failure per
		 * decay period keeps the count where it is, and once the attacks stop it
		 * is forgotten within fails_max decay periods. */
		while (wait_ms(r, f) < r->cap_ms)
			f++;
		t->tab[c].fails_max = f + 1;
	}
	*tp = t;
	return 0;
}

void throttle_free(struct throttle *t)
{
	int c;

	if (!t)
		return;
	for (c = 0; c < N_CLASSES; c++)
		free(t->tab[c].e);
	sodium_memzero(t->key, sizeof(t->key));
	free(t);
}

/* IPv4 (also mapped into IPv6) by /32, IPv6 by /64, anything else as one. */
static void addr_key(const struct sockaddr *sa, uint8_t key[9])
{
	const struct sockaddr_in6 *s6;

	memset(key, 0, 9);
	if (!sa)
		return;
	if (sa->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			key[0] = 4;
			memcpy(key + 1, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			key[0] = 6;
			memcpy(key + 1, s6->sin6_addr.s6_addr, 8);
		}
	}
}

/* Keyed BLAKE2b of the class, the address and the name (as each class needs): without
 * the key nobody can pick names or addresses that land in one set. */
static void make_tag(const struct throttle *t, uint8_t cls, const struct sockaddr *peer,
		     const char *name, uint8_t tag[TAG_LEN])
{
	crypto_generichash_state st;
	uint8_t addr[9];

	if (!name)
		name = "";
	addr_key(peer, addr);
	crypto_generichash_init(&st, t->key, sizeof(t->key), TAG_LEN);
	crypto_generichash_update(&st, &cls, 1);
	if (cls != ACCOUNT)
		crypto_generichash_update(&st, addr, sizeof(addr));
	if (cls == PAIR || cls == ACCOUNT)
		crypto_generichash_update(&st, (const uint8_t *)name, strlen(name));
	crypto_generichash_final(&st, tag, TAG_LEN);
}

static void make_tags(const struct throttle *t, const struct sockaddr *peer, const char *name,
		      uint8_t tags[N_LOGIN][TAG_LEN])
{
	uint8_t cls;

	for (cls = 0; cls < N_LOGIN; cls++)
		make_tag(t, cls, peer, name, tags[cls]);
}

/* Forget one failure per decay period gone by since since_ms. */
static void decay(const struct class_rule *r, struct entry *e, uint64_t now)
{
	uint64_t k = elapsed(now, e->since_ms) / r->decay_ms;

	if (k >= e->fails) {
		e->fails = 0;
		e->since_ms = now;
	} else {
		e->fails -= (uint32_t)k;
		e->since_ms += k * r->decay_ms;
	}
}

static uint32_t effective(const struct class_rule *r, const struct entry *e, uint64_t now)
{
	uint64_t k = elapsed(now, e->since_ms) / r->decay_ms;

	return k >= e->fails ? 0 : e->fails - (uint32_t)k;
}

static struct entry *entry_find(struct throttle *t, int cls, const uint8_t tag[TAG_LEN],
				uint64_t now, bool create)
{
	const struct class_rule *r = &rules[cls];
	struct table *tab = &t->tab[cls];
	struct entry *set, *victim = NULL;
	uint64_t idx;
	size_t i;

	memcpy(&idx, tag, sizeof(idx));
	set = &tab->e[(idx & (tab->sets - 1)) * WAYS];
	for (i = 0; i < WAYS; i++)
		if (set[i].used && memcmp(set[i].tag, tag, TAG_LEN) == 0)
			return &set[i];
	if (!create)
		return NULL;
	/* A free way, else one with nothing left to remember, else the oldest. */
	for (i = 0; i < WAYS; i++) {
		struct entry *e = &set[i];

		if (!e->used || (effective(r, e, now) == 0 && e->next_ms <= now)) {
			victim = e;
			break;
		}
		if (!victim || e->last_ms < victim->last_ms)
			victim = e;
	}
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->tag, tag, TAG_LEN);
	victim->used = true;
	victim->since_ms = victim->last_ms = now;
	return victim;
}

static void count_failure(struct throttle *t, int cls, struct entry *e, uint64_t now)
{
	const struct class_rule *r = &rules[cls];

	decay(r, e, now);
	if (e->fails < t->tab[cls].fails_max)
		e->fails++;
	e->last_ms = now;
	e->next_ms = e->fails >= r->free ? now + wait_ms(r, e->fails) : 0;
}

int throttle_attempt(struct throttle *t, const struct sockaddr *peer, const char *name,
		     uint64_t now_ms, struct throttle_verdict *v)
{
	uint8_t tags[N_LOGIN][TAG_LEN];
	struct entry *e[N_LOGIN];
	uint64_t wait = 0;
	int c;

	memset(v, 0, sizeof(*v));
	make_tags(t, peer, name, tags);
	for (c = 0; c < N_LOGIN; c++)
		e[c] = entry_find(t, c, tags[c], now_ms, false);
	for (c = 0; c < N_LOGIN; c++)
		if (c != ACCOUNT && e[c] && e[c]->next_ms > now_ms && e[c]->next_ms - now_ms > wait)
			wait = e[c]->next_ms - now_ms;
	if (wait) {
		v->retry_after_s = (unsigned)((wait + 999) / 1000);
		return -EAGAIN;
	}
	/* The account's wait is the one its failures so far have earned. */
	if (e[ACCOUNT])
		v->delay_ms = (unsigned)wait_ms(&rules[ACCOUNT],
						effective(&rules[ACCOUNT], e[ACCOUNT], now_ms));
	for (c = 0; c < N_LOGIN; c++) {
		if (!e[c])
			e[c] = entry_find(t, c, tags[c], now_ms, true);
		count_failure(t, c, e[c], now_ms);
	}
	sodium_memzero(tags, sizeof(tags));
	return 0;
}

void throttle_success(struct throttle *t, const struct sockaddr *peer, const char *name,
		      uint64_t now_ms)
{
	uint8_t tags[N_LOGIN][TAG_LEN];
	struct entry *e;
	int c;

	make_tags(t, peer, name, tags);
	for (c = 0; c < N_LOGIN; c++) {
		const struct class_rule *r = &rules[c];

		e = entry_find(t, c, tags[c], now_ms, false);
		if (!e)
			continue;
		if (c == PAIR) {
			memset(e, 0, sizeof(*e));
			continue;
		}
		/* Take back what throttle_attempt counted; the rest decays as before. */
		decay(r, e, now_ms);
		if (e->fails)
			e->fails--;
		e->next_ms = e->fails >= r->free ? e->last_ms + wait_ms(r, e->fails) : 0;
	}
	sodium_memzero(tags, sizeof(tags));
}

int throttle_code_attempt(struct throttle *t, const struct sockaddr *peer, uint64_t now_ms,
			  struct throttle_verdict *v)
{
	uint8_t tag[TAG_LEN];
	struct entry *e;

	memset(v, 0, sizeof(*v));
	make_tag(t, CODE, peer, NULL, tag);
	e = entry_find(t, CODE, tag, now_ms, false);
	if (e && e->next_ms > now_ms) {
		v->retry_after_s = (unsigned)((e->next_ms - now_ms + 999) / 1000);
		return -EAGAIN;
	}
	if (!e)
		e = entry_find(t, CODE, tag, now_ms, true);
	count_failure(t, CODE, e, now_ms);
	return 0;
}

void throttle_code_success(struct throttle *t, const struct sockaddr *peer, uint64_t now_ms)
{
	const struct class_rule *r = &rules[CODE];
	uint8_t tag[TAG_LEN];
	struct entry *e;

	make_tag(t, CODE, peer, NULL, tag);
	e = entry_find(t, CODE, tag, now_ms, false);
	if (!e)
		return;
	decay(r, e, now_ms);
	if (e->fails)
		e->fails--;
	e->next_ms = e->fails >= r->free ? e->last_ms + wait_ms(r, e->fails) : 0;
}
