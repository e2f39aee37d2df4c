/* The web session store: sessions by id hash and by subject, kept in use order and in
 * creation order so expiry and eviction look only at the oldest; and the cookie. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <sodium.h>

#include "websession.h"
#include "../../common/util.h"

/* Expired sessions ended by each call, besides the one it is about: more than a call
 * can create, so the store never fills with the dead. */
#define SWEEP_STEP 8

struct subject;

struct session {
	struct websession_info info;
	LIST_ENTRY(session) by_id;          /* bucket of the id hash */
	TAILQ_ENTRY(session) by_use;        /* least recently used first */
	TAILQ_ENTRY(session) by_age;        /* oldest first */
	TAILQ_ENTRY(session) by_subject;    /* the subject's, oldest first */
	struct subject *subject;
};

LIST_HEAD(session_bucket, session);
TAILQ_HEAD(session_list, session);

struct subject {
	enum websession_kind kind;
	int64_t id;
	size_t n;
	struct session_list sessions;
	LIST_ENTRY(subject) by_key;
};

LIST_HEAD(subject_bucket, subject);

struct websession_store {
	uint64_t idle_ms, absolute_ms;
	size_t max, per_subject_max;
	struct session_bucket *ids;
	size_t n_ids;                       /* buckets, a power of two */
	size_t n;                           /* sessions */
	struct subject_bucket *subjects;
	size_t n_subject_buckets, n_subjects;
	struct session_list use, age;
	uint8_t seed[crypto_shorthash_KEYBYTES];   /* subject buckets cannot be aimed at */
	void (*on_end)(const struct websession_info *info, void *data);
	void *on_end_data;
};

#define BUCKETS_MIN 64

static uint64_t elapsed(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static bool expired(const struct websession_store *s, const struct session *w, uint64_t now)
{
	return elapsed(now, w->info.last_used_ms) >= s->idle_ms ||
	       elapsed(now, w->info.created_ms) >= s->absolute_ms;
}

static bool role_fits(enum websession_kind kind, enum websession_role role)
{
	if (kind == WEBSESSION_ADMIN)
		return role == WEBSESSION_ROLE_ADMIN || role == WEBSESSION_ROLE_VIEWER;
	return kind == WEBSESSION_USER && role == WEBSESSION_ROLE_USER;
}

/* ids are BLAKE2b output of 256 random bits: their first bytes are uniform already. */
static struct session_bucket *id_bucket(const struct websession_store *s, const uint8_t *h)
{
	uint64_t v;

	memcpy(&v, h, sizeof(v));
	return &s->ids[v & (s->n_ids - 1)];
}

static size_t subject_index(const struct websession_store *s, enum websession_kind kind,
			    int64_t id, size_t n_buckets)
{
	uint8_t key[9], h[crypto_shorthash_BYTES];
	uint64_t v;

	key[0] = (uint8_t)kind;
	memcpy(key + 1, &id, sizeof(id));
	crypto_shorthash(h, key, sizeof(key), s->seed);
	memcpy(&v, h, sizeof(v));
	return v & (n_buckets - 1);
}

int websession_store_new(const struct websession_params *params,
			 struct websession_store **sp)
{
	struct websession_params d = { 0 };
	struct websession_store *s;
	size_t i;

	*sp = NULL;
	if (sodium_init() < 0)
		return -EIO;
	if (params)
		d = *params;
	if (!d.idle_ms)
		d.idle_ms = WEBSESSION_IDLE_MS;
	if (!d.absolute_ms)
		d.absolute_ms = WEBSESSION_ABSOLUTE_MS;
	if (!d.max)
		d.max = WEBSESSION_MAX;
	if (!d.per_subject_max)
		d.per_subject_max = WEBSESSION_PER_SUBJECT_MAX;
	if (d.per_subject_max > d.max)
		return -EINVAL;
	s = xcalloc(1, sizeof(*s));
	s->idle_ms = d.idle_ms;
	s->absolute_ms = d.absolute_ms;
	s->max = d.max;
	s->per_subject_max = d.per_subject_max;
	s->n_ids = s->n_subject_buckets = BUCKETS_MIN;
	s->ids = xcalloc(s->n_ids, sizeof(*s->ids));
	s->subjects = xcalloc(s->n_subject_buckets, sizeof(*s->subjects));
	for (i = 0; i < BUCKETS_MIN; i++) {
		LIST_INIT(&s->ids[i]);
		LIST_INIT(&s->subjects[i]);
	}
	TAILQ_INIT(&s->use);
	TAILQ_INIT(&s->age);
	randombytes_buf(s->seed, sizeof(s->seed));
	*sp = s;
	return 0;
}

static void session_free(struct session *w)
{
	sodium_memzero(w, sizeof(*w));
	free(w);
}

void websession_store_free(struct websession_store *s)
{
	struct session *w;
	size_t i;

	if (!s)
		return;
	while ((w = TAILQ_FIRST(&s->age))) {
		TAILQ_REMOVE(&s->age, w, by_age);
		session_free(w);
	}
	for (i = 0; i < s->n_subject_buckets; i++) {
		struct subject *sub;

		while ((sub = LIST_FIRST(&s->subjects[i]))) {
			LIST_REMOVE(sub, by_key);
			free(sub);
		}
	}
	free(s->ids);
	free(s->subjects);
	sodium_memzero(s->seed, sizeof(s->seed));
	free(s);
}

/* Load at most one per bucket: double the buckets as the store grows. */
static void ids_grow(struct websession_store *s)
{
	struct session *w;
	size_t i;

	if (s->n < s->n_ids)
		return;
	free(s->ids);
	s->n_ids *= 2;
	s->ids = xcalloc(s->n_ids, sizeof(*s->ids));
	for (i = 0; i < s->n_ids; i++)
		LIST_INIT(&s->ids[i]);
	TAILQ_FOREACH(w, &s->age, by_age)
		LIST_INSERT_HEAD(id_bucket(s, w->info.id_hash), w, by_id);
}

static void subjects_grow(struct websession_store *s)
{
	struct subject_bucket *old = s->subjects;
	size_t n_old = s->n_subject_buckets, i;
	struct subject *sub;

	if (s->n_subjects < s->n_subject_buckets)
		return;
	s->n_subject_buckets *= 2;
	s->subjects = xcalloc(s->n_subject_buckets, sizeof(*s->subjects));
	for (i = 0; i < s->n_subject_buckets; i++)
		LIST_INIT(&s->subjects[i]);
	for (i = 0; i < n_old; i++) {
		while ((sub = LIST_FIRST(&old[i]))) {
			LIST_REMOVE(sub, by_key);
			LIST_INSERT_HEAD(&s->subjects[subject_index(s, sub->kind, sub->id,
								    s->n_subject_buckets)],
					 sub, by_key);
		}
	}
	free(old);
}

static struct subject *subject_find(struct websession_store *s, enum websession_kind kind,
				    int64_t id, bool create)
{
	struct subject_bucket *b;
	struct subject *sub;

	b = &s->subjects[subject_index(s, kind, id, s->n_subject_buckets)];
	LIST_FOREACH(sub, b, by_key)
		if (sub->kind == kind && sub->id == id)
			return sub;
	if (!create)
		return NULL;
	sub = xcalloc(1, sizeof(*sub));
	sub->kind = kind;
	sub->id = id;
	TAILQ_INIT(&sub->sessions);
	s->n_subjects++;
	subjects_grow(s);
	LIST_INSERT_HEAD(&s->subjects[subject_index(s, kind, id, s->n_subject_buckets)], sub,
			 by_key);
	return sub;
}

bool websession_subject_live(struct websession_store *s, enum websession_kind kind,
			     int64_t subject, uint64_t now_ms)
{
	struct subject *sub = subject_find(s, kind, subject, false);
	struct session *w;

	if (!sub)
		return false;
	TAILQ_FOREACH(w, &sub->sessions, by_subject)
		if (!expired(s, w, now_ms))
			return true;
	return false;
}

static void session_end(struct websession_store *s, struct session *w)
{
	struct subject *sub = w->subject;

	if (s->on_end)
		s->on_end(&w->info, s->on_end_data);
	LIST_REMOVE(w, by_id);
	TAILQ_REMOVE(&s->use, w, by_use);
	TAILQ_REMOVE(&s->age, w, by_age);
	TAILQ_REMOVE(&sub->sessions, w, by_subject);
	s->n--;
	if (--sub->n == 0) {
		LIST_REMOVE(sub, by_key);
		s->n_subjects--;
		free(sub);
	}
	session_free(w);
}

/* The oldest by use and by creation are the first to expire of each kind. */
static size_t sweep(struct websession_store *s, uint64_t now, size_t limit)
{
	struct session *w;
	size_t ended = 0;

	while (ended < limit) {
		w = TAILQ_FIRST(&s->use);
		if (!w || !expired(s, w, now)) {
			w = TAILQ_FIRST(&s->age);
			if (!w || !expired(s, w, now))
				break;
		}
		session_end(s, w);
		ended++;
	}
	return ended;
}

static struct session *session_find(struct websession_store *s, const uint8_t *id_hash)
{
	struct session *w;

	/* Equal hashes of secrets: the time taken tells nothing about an id. */
	LIST_FOREACH(w, id_bucket(s, id_hash), by_id)
		if (memcmp(w->info.id_hash, id_hash, WEBSESSION_HASH_LEN) == 0)
			return w;
	return NULL;
}

/* Both lists stay in time order also for records restored out of order or a clock that
 * stepped back; a session normally goes straight to the tail. */
static void use_insert(struct websession_store *s, struct session *w)
{
	struct session *p;

	for (p = TAILQ_LAST(&s->use, session_list);
	     p && p->info.last_used_ms > w->info.last_used_ms;
	     p = TAILQ_PREV(p, session_list, by_use))
		;
	if (p)
		TAILQ_INSERT_AFTER(&s->use, p, w, by_use);
	else
		TAILQ_INSERT_HEAD(&s->use, w, by_use);
}

static void age_insert(struct websession_store *s, struct session *w)
{
	struct session *p;

	for (p = TAILQ_LAST(&s->age, session_list);
	     p && p->info.created_ms > w->info.created_ms;
	     p = TAILQ_PREV(p, session_list, by_age))
		;
	if (p)
		TAILQ_INSERT_AFTER(&s->age, p, w, by_age);
	else
		TAILQ_INSERT_HEAD(&s->age, w, by_age);
}

/* Take in a session whose record is complete, making room first: the subject's oldest
 * when it is at its bound, then the one idle longest when the store is full. */
static void session_insert(struct websession_store *s, const struct websession_info *info,
			   uint64_t now)
{
	struct subject *sub;
	struct session *w;

	sweep(s, now, SWEEP_STEP);
	sub = subject_find(s, info->kind, info->subject, false);
	if (sub && sub->n >= s->per_subject_max)
		session_end(s, TAILQ_FIRST(&sub->sessions));
	if (s->n >= s->max)
		session_end(s, TAILQ_FIRST(&s->use));
	/* Found again: ending its last session above frees a subject. */
	sub = subject_find(s, info->kind, info->subject, true);
	w = xcalloc(1, sizeof(*w));
	w->info = *info;
	w->subject = sub;
	s->n++;
	ids_grow(s);
	LIST_INSERT_HEAD(id_bucket(s, info->id_hash), w, by_id);
	use_insert(s, w);
	age_insert(s, w);
	TAILQ_INSERT_TAIL(&sub->sessions, w, by_subject);
	sub->n++;
}

int websession_new(struct websession_store *s, enum websession_kind kind, int64_t subject,
		   enum websession_role role, uint64_t now_ms,
		   char cookie[WEBSESSION_ID_LEN + 1], char csrf[WEBSESSION_CSRF_LEN + 1],
		   struct websession_info *info)
{
	struct websession_info rec = { 0 };

	if (!role_fits(kind, role))
		return -EINVAL;
	/* 256 random bits: a collision with a held id does not happen. */
	token_new(cookie);
	token_new(csrf);
	token_hash(cookie, rec.id_hash);
	token_hash(csrf, rec.csrf_hash);
	rec.kind = kind;
	rec.subject = subject;
	rec.role = role;
	rec.created_ms = rec.last_used_ms = now_ms;
	session_insert(s, &rec, now_ms);
	if (info)
		*info = rec;
	return 0;
}

int websession_lookup(struct websession_store *s, const char *cookie, const char *csrf,
		      enum websession_use use, uint64_t now_ms, struct websession_info *info)
{
	uint8_t h[WEBSESSION_HASH_LEN];
	struct session *w;

	memset(info, 0, sizeof(*info));
	sweep(s, now_ms, SWEEP_STEP);
	if (!cookie || !token_hash(cookie, h))
		return -ENOENT;
	w = session_find(s, h);
	if (!w)
		return -ENOENT;
	if (expired(s, w, now_ms)) {
		session_end(s, w);
		return -ENOENT;
	}
	if (use != WEBSESSION_READ &&
	    (!csrf || !token_hash(csrf, h) ||
	     sodium_memcmp(h, w->info.csrf_hash, WEBSESSION_HASH_LEN) != 0))
		return -EPERM;
	if (now_ms > w->info.last_used_ms)
		w->info.last_used_ms = now_ms;
	TAILQ_REMOVE(&s->use, w, by_use);
	use_insert(s, w);
	*info = w->info;
	return 0;
}

bool websession_end(struct websession_store *s, const uint8_t id_hash[WEBSESSION_HASH_LEN])
{
	struct session *w = session_find(s, id_hash);

	if (!w)
		return false;
	session_end(s, w);
	return true;
}

size_t websession_end_subject(struct websession_store *s, enum websession_kind kind,
			      int64_t subject)
{
	struct subject *sub = subject_find(s, kind, subject, false);
	size_t n, i;

	if (!sub)
		return 0;
	/* The last session_end frees sub. */
	n = sub->n;
	for (i = 0; i < n; i++)
		session_end(s, TAILQ_FIRST(&sub->sessions));
	return n;
}

int websession_renew(struct websession_store *s, const uint8_t id_hash[WEBSESSION_HASH_LEN],
		     uint64_t now_ms, char cookie[WEBSESSION_ID_LEN + 1],
		     char csrf[WEBSESSION_CSRF_LEN + 1], struct websession_info *info)
{
	struct session *w = session_find(s, id_hash);
	enum websession_kind kind;
	enum websession_role role;
	int64_t subject;

	if (!w)
		return -ENOENT;
	if (expired(s, w, now_ms)) {
		session_end(s, w);
		return -ENOENT;
	}
	kind = w->info.kind;
	subject = w->info.subject;
	role = w->info.role;
	session_end(s, w);
	return websession_new(s, kind, subject, role, now_ms, cookie, csrf, info);
}

bool websession_alive(struct websession_store *s, const uint8_t id_hash[WEBSESSION_HASH_LEN],
		      uint64_t now_ms)
{
	struct session *w = session_find(s, id_hash);

	return w && !expired(s, w, now_ms);
}

void websession_on_end(struct websession_store *s,
		       void (*fn)(const struct websession_info *info, void *data), void *data)
{
	s->on_end = fn;
	s->on_end_data = data;
}

size_t websession_sweep(struct websession_store *s, uint64_t now_ms)
{
	return sweep(s, now_ms, SIZE_MAX);
}

size_t websession_count(const struct websession_store *s)
{
	return s->n;
}

void websession_foreach(const struct websession_store *s, uint64_t now_ms,
			void (*fn)(const struct websession_info *info, void *data), void *data)
{
	struct session *w;

	TAILQ_FOREACH(w, &s->age, by_age)
		if (!expired(s, w, now_ms))
			fn(&w->info, data);
}

int websession_restore(struct websession_store *s, const struct websession_info *info,
		       uint64_t now_ms)
{
	struct session tmp = { .info = *info };

	if (!role_fits(info->kind, info->role))
		return -EINVAL;
	if (expired(s, &tmp, now_ms))
		return -ESTALE;
	if (session_find(s, info->id_hash))
		return -EEXIST;
	session_insert(s, info, now_ms);
	return 0;
}

/* ---- the cookie ---- */

static bool b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

static bool id_form(const char *v, size_t n)
{
	size_t i;

	if (n != WEBSESSION_ID_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!b64url(v[i]))
			return false;
	return true;
}

static bool ows(char c)
{
	return c == ' ' || c == '\t';
}

int websession_cookie_find(const char *header, char value[WEBSESSION_ID_LEN + 1])
{
	static const char name[] = WEBSESSION_COOKIE;
	size_t len, i, start, end, eq;
	bool found = false;

	value[0] = '\0';
	if (!header)
		return -ENOENT;
	len = strnlen(header, WEBSESSION_COOKIE_HEADER_MAX + 1);
	if (len > WEBSESSION_COOKIE_HEADER_MAX)
		return -E2BIG;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)header[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -EINVAL;
	}
	/* RFC 6265 section 4.2.1: pairs separated by ';' and optional white space. Pairs
	 * without '=' or empty ones belong to others and are passed over. */
	for (start = 0; start <= len; start = end + 1) {
		const char *p;
		size_t a, b, vs;

		for (end = start; end < len && header[end] != ';'; end++)
			;
		for (a = start; a < end && ows(header[a]); a++)
			;
		for (b = end; b > a && ows(header[b - 1]); b--)
			;
		p = memchr(header + a, '=', b - a);
		if (!p)
			continue;
		eq = (size_t)(p - header);
		for (i = eq; i > a && ows(header[i - 1]); i--)
			;
		if (i - a != sizeof(name) - 1 || memcmp(header + a, name, i - a) != 0)
			continue;
		for (vs = eq + 1; vs < b && ows(header[vs]); vs++)
			;
		/* Twice is refused: which one would be ours? */
		if (found || !id_form(header + vs, b - vs)) {
			value[0] = '\0';
			return -EINVAL;
		}
		memcpy(value, header + vs, WEBSESSION_ID_LEN);
		value[WEBSESSION_ID_LEN] = '\0';
		found = true;
	}
	return found ? 0 : -ENOENT;
}

int websession_set_cookie(char out[WEBSESSION_SET_COOKIE_SIZE], const char *value)
{
	if (!value || !id_form(value, strnlen(value, WEBSESSION_ID_LEN + 1))) {
		snprintf(out, WEBSESSION_SET_COOKIE_SIZE,
			 WEBSESSION_COOKIE "=" WEBSESSION_SET_COOKIE_ATTRS "; Max-Age=0");
		return value ? -EINVAL : 0;
	}
	snprintf(out, WEBSESSION_SET_COOKIE_SIZE, WEBSESSION_COOKIE "=%s" WEBSESSION_SET_COOKIE_ATTRS,
		 value);
	return 0;
}
