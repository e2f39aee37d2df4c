/* Web sessions: ids kept as hashes, CSRF, idle and absolute expiry, ending by session and
 * by subject, renewal, the bounds, sweeping, export and restore, the listener told of
 * every end and the look that does not use; the cookie's parser on hostile headers and
 * its Set-Cookie forms. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "server/auth/websession.h"

#define MIN (60 * 1000ull)
#define T0 1700000000000ull     /* a wall clock in ms */

struct cred {
	char cookie[WEBSESSION_ID_LEN + 1];
	char csrf[WEBSESSION_CSRF_LEN + 1];
	struct websession_info info;
};

static struct websession_store *store(size_t max, size_t per_subject)
{
	struct websession_params p = { .max = max, .per_subject_max = per_subject };
	struct websession_store *s;

	assert_int_equal(websession_store_new(&p, &s), 0);
	return s;
}

static void login(struct websession_store *s, enum websession_kind k, int64_t id,
		  enum websession_role role, uint64_t now, struct cred *c)
{
	assert_int_equal(websession_new(s, k, id, role, now, c->cookie, c->csrf, &c->info), 0);
}

static int look(struct websession_store *s, const struct cred *c, uint64_t now)
{
	struct websession_info info;

	return websession_lookup(s, c->cookie, NULL, WEBSESSION_READ, now, &info);
}

static void test_new_and_lookup(void **state)
{
	struct websession_store *s = store(0, 0);
	struct websession_info info;
	struct cred a, other;
	uint8_t h[32];
	char bad[WEBSESSION_ID_LEN + 1];

	(void)state;
	login(s, WEBSESSION_ADMIN, 42, WEBSESSION_ROLE_VIEWER, T0, &a);
	assert_int_equal(strlen(a.cookie), WEBSESSION_ID_LEN);
	assert_int_equal(strlen(a.csrf), WEBSESSION_CSRF_LEN);
	assert_string_not_equal(a.cookie, a.csrf);
	/* kept as BLAKE2b-256 of the cookie text, never the cookie */
	crypto_generichash(h, sizeof(h), (const uint8_t *)a.cookie, WEBSESSION_ID_LEN, NULL, 0);
	assert_memory_equal(a.info.id_hash, h, 32);
	crypto_generichash(h, sizeof(h), (const uint8_t *)a.csrf, WEBSESSION_CSRF_LEN, NULL, 0);
	assert_memory_equal(a.info.csrf_hash, h, 32);
	assert_int_equal(a.info.created_ms, T0);
	assert_int_equal(a.info.last_used_ms, T0);

	assert_int_equal(websession_lookup(s, a.cookie, NULL, WEBSESSION_READ, T0 + 1000, &info), 0);
	assert_int_equal(info.kind, WEBSESSION_ADMIN);
	assert_int_equal(info.subject, 42);
	assert_int_equal(info.role, WEBSESSION_ROLE_VIEWER);
	assert_int_equal(info.created_ms, T0);
	assert_int_equal(info.last_used_ms, T0 + 1000);
	assert_memory_equal(info.id_hash, a.info.id_hash, 32);

	/* a change needs this session's token, not another's nor none */
	login(s, WEBSESSION_USER, 1, WEBSESSION_ROLE_USER, T0, &other);
	assert_int_equal(websession_lookup(s, a.cookie, NULL, WEBSESSION_CHANGE, T0, &info), -EPERM);
	assert_int_equal(websession_lookup(s, a.cookie, "", WEBSESSION_CHANGE, T0, &info), -EPERM);
	assert_int_equal(websession_lookup(s, a.cookie, other.csrf, WEBSESSION_CHANGE, T0, &info),
			 -EPERM);
	assert_int_equal(websession_lookup(s, a.cookie, a.cookie, WEBSESSION_CHANGE, T0, &info),
			 -EPERM);
	assert_int_equal(websession_lookup(s, a.cookie, a.csrf, WEBSESSION_CHANGE, T0, &info), 0);
	/* the token is not a cookie */
	assert_int_equal(websession_lookup(s, a.csrf, a.csrf, WEBSESSION_READ, T0, &info), -ENOENT);
	assert_int_equal(websession_lookup(s, NULL, NULL, WEBSESSION_READ, T0, &info), -ENOENT);
	assert_int_equal(websession_lookup(s, "", NULL, WEBSESSION_READ, T0, &info), -ENOENT);
	strcpy(bad, a.cookie);
	bad[0] = bad[0] == 'A' ? 'B' : 'A';
	assert_int_equal(websession_lookup(s, bad, NULL, WEBSESSION_READ, T0, &info), -ENOENT);
	bad[WEBSESSION_ID_LEN - 1] = '\0';
	assert_int_equal(websession_lookup(s, bad, NULL, WEBSESSION_READ, T0, &info), -ENOENT);
	assert_int_equal(info.subject, 0);      /* nothing left from before */
	assert_int_equal(websession_count(s), 2);
	websession_store_free(s);
	websession_store_free(NULL);
}

static void test_kind_and_role(void **state)
{
	struct websession_store *s = store(0, 0);
	struct cred c;

	(void)state;
	assert_int_equal(websession_new(s, WEBSESSION_ADMIN, 1, WEBSESSION_ROLE_USER, T0, c.cookie,
					c.csrf, NULL), -EINVAL);
	assert_int_equal(websession_new(s, WEBSESSION_USER, 1, WEBSESSION_ROLE_ADMIN, T0, c.cookie,
					c.csrf, NULL), -EINVAL);
	assert_int_equal(websession_new(s, WEBSESSION_USER, 1, WEBSESSION_ROLE_VIEWER, T0, c.cookie,
					c.csrf, NULL), -EINVAL);
	assert_int_equal(websession_new(s, (enum websession_kind)7, 1, WEBSESSION_ROLE_USER, T0,
					c.cookie, c.csrf, NULL), -EINVAL);
	assert_int_equal(websession_count(s), 0);
	assert_int_equal(websession_new(s, WEBSESSION_ADMIN, 1, WEBSESSION_ROLE_ADMIN, T0, c.cookie,
					c.csrf, NULL), 0);
	websession_store_free(s);

	{
		struct websession_params p = { .max = 4, .per_subject_max = 5 };

		assert_int_equal(websession_store_new(&p, &s), -EINVAL);
		assert_null(s);
	}
}

static void test_idle_and_absolute(void **state)
{
	struct websession_store *s = store(0, 0);
	struct websession_info info;
	struct cred a, b;
	uint64_t t;

	(void)state;
	login(s, WEBSESSION_USER, 5, WEBSESSION_ROLE_USER, T0, &a);
	assert_int_equal(look(s, &a, T0 + 30 * MIN - 1), 0);
	assert_int_equal(look(s, &a, T0 + 60 * MIN - 2), 0);        /* renewed: idle again */
	assert_int_equal(look(s, &a, T0 + 90 * MIN - 2), -ENOENT);  /* 30 min since */
	assert_int_equal(look(s, &a, T0 + 60 * MIN), -ENOENT);      /* and gone for good */
	assert_int_equal(websession_count(s), 0);

	/* used every 20 minutes, it still ends 12 hours after the login */
	login(s, WEBSESSION_USER, 5, WEBSESSION_ROLE_USER, T0, &a);
	for (t = T0 + 20 * MIN; t < T0 + 12 * 60 * MIN; t += 20 * MIN)
		assert_int_equal(look(s, &a, t), 0);
	assert_int_equal(look(s, &a, T0 + 12 * 60 * MIN - 1), 0);
	assert_int_equal(look(s, &a, T0 + 12 * 60 * MIN), -ENOENT);

	/* a refused change does not count as use */
	login(s, WEBSESSION_USER, 6, WEBSESSION_ROLE_USER, T0, &b);
	assert_int_equal(websession_lookup(s, b.cookie, "x", WEBSESSION_CHANGE, T0 + 29 * MIN,
					   &info), -EPERM);
	assert_int_equal(look(s, &b, T0 + 30 * MIN), -ENOENT);
	websession_store_free(s);

	/* other timeouts */
	{
		struct websession_params p = { .idle_ms = 1000, .absolute_ms = 5000 };

		assert_int_equal(websession_store_new(&p, &s), 0);
		login(s, WEBSESSION_USER, 5, WEBSESSION_ROLE_USER, 0, &a);
		assert_int_equal(look(s, &a, 999), 0);
		assert_int_equal(look(s, &a, 1998), 0);
		assert_int_equal(look(s, &a, 2997), 0);
		assert_int_equal(look(s, &a, 3996), 0);
		assert_int_equal(look(s, &a, 4995), 0);
		assert_int_equal(look(s, &a, 5000), -ENOENT);
		login(s, WEBSESSION_USER, 5, WEBSESSION_ROLE_USER, 0, &a);
		assert_int_equal(look(s, &a, 1000), -ENOENT);
		websession_store_free(s);
	}
}

/* A clock that steps back neither ends nor lengthens a session beyond its times. */
static void test_clock_back(void **state)
{
	struct websession_store *s = store(0, 0);
	struct websession_info info;
	struct cred a;

	(void)state;
	login(s, WEBSESSION_USER, 5, WEBSESSION_ROLE_USER, T0, &a);
	assert_int_equal(websession_lookup(s, a.cookie, NULL, WEBSESSION_READ, T0 - 60 * MIN,
					   &info), 0);
	assert_int_equal(info.last_used_ms, T0);
	assert_int_equal(look(s, &a, T0 + 30 * MIN), -ENOENT);
	websession_store_free(s);
}

static void test_end_and_subject(void **state)
{
	struct websession_store *s = store(0, 0);
	struct cred u7[3], u8, a7;
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		login(s, WEBSESSION_USER, 7, WEBSESSION_ROLE_USER, T0 + (uint64_t)i, &u7[i]);
	login(s, WEBSESSION_USER, 8, WEBSESSION_ROLE_USER, T0, &u8);
	login(s, WEBSESSION_ADMIN, 7, WEBSESSION_ROLE_ADMIN, T0, &a7);    /* admin 7 is not user 7 */
	assert_int_equal(websession_count(s), 5);

	assert_true(websession_end(s, u7[1].info.id_hash));
	assert_false(websession_end(s, u7[1].info.id_hash));
	assert_int_equal(look(s, &u7[1], T0 + 10), -ENOENT);
	assert_int_equal(look(s, &u7[0], T0 + 10), 0);

	assert_int_equal(websession_end_subject(s, WEBSESSION_USER, 7), 2);
	assert_int_equal(websession_end_subject(s, WEBSESSION_USER, 7), 0);
	assert_int_equal(websession_end_subject(s, WEBSESSION_USER, 12345), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(look(s, &u7[i], T0 + 10), -ENOENT);
	assert_int_equal(look(s, &u8, T0 + 10), 0);
	assert_int_equal(look(s, &a7, T0 + 10), 0);
	assert_int_equal(websession_count(s), 2);
	/* a subject that had everything ended can log in again */
	login(s, WEBSESSION_USER, 7, WEBSESSION_ROLE_USER, T0 + 20, &u7[0]);
	assert_int_equal(look(s, &u7[0], T0 + 21), 0);
	websession_store_free(s);
}

static void test_renew(void **state)
{
	struct websession_store *s = store(0, 0);
	struct websession_info info;
	struct cred a, n;

	(void)state;
	login(s, WEBSESSION_ADMIN, 3, WEBSESSION_ROLE_ADMIN, T0, &a);
	assert_int_equal(websession_renew(s, a.info.id_hash, T0 + MIN, n.cookie, n.csrf, &n.info), 0);
	assert_string_not_equal(n.cookie, a.cookie);
	assert_int_equal(look(s, &a, T0 + MIN), -ENOENT);
	assert_int_equal(websession_lookup(s, n.cookie, n.csrf, WEBSESSION_CHANGE, T0 + MIN, &info), 0);
	assert_int_equal(info.kind, WEBSESSION_ADMIN);
	assert_int_equal(info.subject, 3);
	assert_int_equal(info.role, WEBSESSION_ROLE_ADMIN);
	assert_int_equal(info.created_ms, T0 + MIN);
	/* the old CSRF token went with the old session */
	assert_int_equal(websession_lookup(s, n.cookie, a.csrf, WEBSESSION_CHANGE, T0 + MIN, &info),
			 -EPERM);
	assert_int_equal(websession_renew(s, a.info.id_hash, T0 + MIN, a.cookie, a.csrf, NULL),
			 -ENOENT);
	/* an expired one is not renewed */
	assert_int_equal(websession_renew(s, n.info.id_hash, T0 + 40 * MIN, a.cookie, a.csrf, NULL),
			 -ENOENT);
	assert_int_equal(websession_count(s), 0);
	websession_store_free(s);
}

static void test_per_subject_bound(void **state)
{
	struct websession_store *s = store(0, 3);
	struct cred c[5], other;
	int i;

	(void)state;
	login(s, WEBSESSION_USER, 2, WEBSESSION_ROLE_USER, T0, &other);
	for (i = 0; i < 5; i++)
		login(s, WEBSESSION_USER, 1, WEBSESSION_ROLE_USER, T0 + (uint64_t)i, &c[i]);
	/* the two oldest went, the newest three and the other subject's stay */
	assert_int_equal(look(s, &c[0], T0 + 10), -ENOENT);
	assert_int_equal(look(s, &c[1], T0 + 10), -ENOENT);
	for (i = 2; i < 5; i++)
		assert_int_equal(look(s, &c[i], T0 + 10), 0);
	assert_int_equal(look(s, &other, T0 + 10), 0);
	assert_int_equal(websession_count(s), 4);
	websession_store_free(s);

	/* a bound of one: each login ends the one before */
	s = store(0, 1);
	login(s, WEBSESSION_USER, 1, WEBSESSION_ROLE_USER, T0, &c[0]);
	login(s, WEBSESSION_USER, 1, WEBSESSION_ROLE_USER, T0, &c[1]);
	assert_int_equal(look(s, &c[0], T0), -ENOENT);
	assert_int_equal(look(s, &c[1], T0), 0);
	assert_int_equal(websession_count(s), 1);
	websession_store_free(s);
}

/* At the bound, the session idle longest goes; sessions in use survive a flood. */
static void test_capacity(void **state)
{
	struct websession_store *s = store(100, 0);
	struct cred *c = calloc(110, sizeof(*c));
	int i;

	(void)state;
	assert_non_null(c);
	for (i = 0; i < 100; i++)
		login(s, WEBSESSION_USER, i, WEBSESSION_ROLE_USER, T0, &c[i]);
	for (i = 0; i < 50; i++)
		assert_int_equal(look(s, &c[i], T0 + MIN), 0);
	for (i = 100; i < 110; i++)
		login(s, WEBSESSION_USER, i, WEBSESSION_ROLE_USER, T0 + 2 * MIN, &c[i]);
	assert_int_equal(websession_count(s), 100);
	for (i = 0; i < 110; i++)
		assert_int_equal(look(s, &c[i], T0 + 3 * MIN), i >= 50 && i < 60 ? -ENOENT : 0);
	free(c);
	websession_store_free(s);
}

/* The default bound holds: a flood of 100,005 logins by as many subjects leaves 100,000
 * and the newest of them work. */
static void test_default_bound(void **state)
{
	struct websession_store *s = store(0, 0);
	struct cred c;
	int i;

	(void)state;
	for (i = 0; i < (int)WEBSESSION_MAX + 5; i++)
		login(s, WEBSESSION_USER, i, WEBSESSION_ROLE_USER, T0 + (uint64_t)i / 100, &c);
	assert_int_equal(websession_count(s), WEBSESSION_MAX);
	assert_int_equal(look(s, &c, T0 + 1001), 0);
	websession_store_free(s);
}

static void test_sweep(void **state)
{
	struct websession_store *s = store(0, 0);
	struct cred c, last;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		login(s, WEBSESSION_USER, i, WEBSESSION_ROLE_USER, T0, &c);
	login(s, WEBSESSION_USER, 5000, WEBSESSION_ROLE_USER, T0 + 10 * MIN, &last);
	assert_int_equal(websession_sweep(s, T0 + 30 * MIN - 1), 0);
	assert_int_equal(websession_sweep(s, T0 + 30 * MIN), 1000);
	assert_int_equal(websession_count(s), 1);
	websession_store_free(s);

	/* without a timer: each call ends a few of the expired */
	s = store(0, 0);
	for (i = 0; i < 100; i++)
		login(s, WEBSESSION_USER, i, WEBSESSION_ROLE_USER, T0, &c);
	login(s, WEBSESSION_USER, 5000, WEBSESSION_ROLE_USER, T0 + 10 * MIN, &last);
	for (i = 0; i < 20; i++)
		assert_int_equal(look(s, &last, T0 + 31 * MIN), 0);
	assert_int_equal(websession_count(s), 1);
	websession_store_free(s);
}

struct dump {
	struct websession_info rec[8];
	size_t n;
};

static void collect(const struct websession_info *info, void *data)
{
	struct dump *d = data;

	assert_true(d->n < 8);
	d->rec[d->n++] = *info;
}

static void test_export_restore(void **state)
{
	struct websession_store *s = store(0, 0), *t;
	struct websession_info info, bad;
	struct dump d = { .n = 0 };
	struct cred c[4];
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		login(s, i == 3 ? WEBSESSION_ADMIN : WEBSESSION_USER, i,
		      i == 3 ? WEBSESSION_ROLE_ADMIN : WEBSESSION_ROLE_USER,
		      T0 + (uint64_t)i * MIN, &c[i]);
	assert_int_equal(look(s, &c[1], T0 + 25 * MIN), 0);
	/* c[0] has expired by then and is not exported */
	websession_foreach(s, T0 + 30 * MIN, collect, &d);
	assert_int_equal(d.n, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(d.rec[i].subject, i + 1);     /* oldest first */
	assert_int_equal(d.rec[0].last_used_ms, T0 + 25 * MIN);

	/* put back in another store, in reverse order: the cookies and tokens work there,
	 * and expiry still takes them in time order (c[2] last used at 2 min, c[3] at 3,
	 * c[1] at 25) */
	assert_int_equal(websession_store_new(NULL, &t), 0);
	for (i = 2; i >= 0; i--)
		assert_int_equal(websession_restore(t, &d.rec[i], T0 + 30 * MIN), 0);
	assert_int_equal(websession_restore(t, &d.rec[0], T0 + 30 * MIN), -EEXIST);
	assert_int_equal(websession_count(t), 3);
	assert_int_equal(websession_sweep(t, T0 + 32 * MIN + 30000), 1);
	assert_int_equal(look(t, &c[2], T0 + 32 * MIN + 30000), -ENOENT);
	assert_int_equal(websession_sweep(t, T0 + 33 * MIN), 1);
	assert_int_equal(websession_count(t), 1);
	assert_int_equal(websession_lookup(t, c[1].cookie, c[1].csrf, WEBSESSION_CHANGE,
					   T0 + 34 * MIN, &info), 0);
	assert_int_equal(info.kind, WEBSESSION_USER);
	assert_int_equal(info.subject, 1);
	assert_int_equal(info.created_ms, T0 + MIN);
	websession_store_free(t);

	bad = d.rec[0];
	bad.role = WEBSESSION_ROLE_ADMIN;
	assert_int_equal(websession_restore(s, &bad, T0), -EINVAL);
	assert_int_equal(websession_restore(s, &d.rec[0], T0 + 13 * 60 * MIN), -ESTALE);
	websession_store_free(s);
}

static const char idv[] = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE";

struct ended {
	uint8_t ids[8][WEBSESSION_HASH_LEN];
	size_t n;
};

static void on_end(const struct websession_info *info, void *data)
{
	struct ended *e = data;

	assert_true(e->n < 8);
	memcpy(e->ids[e->n++], info->id_hash, WEBSESSION_HASH_LEN);
}

static bool told(const struct ended *e, const struct cred *c)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (memcmp(e->ids[i], c->info.id_hash, WEBSESSION_HASH_LEN) == 0)
			return true;
	return false;
}

/* Every way a session ends reaches the listener; looking with alive uses nothing. */
static void test_end_listener(void **state)
{
	struct websession_store *s = store(3, 2);
	struct cred a, b, c, d, e2, f;
	struct ended e = { 0 };

	(void)state;
	websession_on_end(s, on_end, &e);
	login(s, WEBSESSION_USER, 1, WEBSESSION_ROLE_USER, T0, &a);
	login(s, WEBSESSION_USER, 2, WEBSESSION_ROLE_USER, T0, &b);
	assert_int_equal(e.n, 0);
	/* logout */
	assert_true(websession_end(s, a.info.id_hash));
	assert_int_equal(e.n, 1);
	assert_true(told(&e, &a));
	/* a subject's end */
	login(s, WEBSESSION_USER, 2, WEBSESSION_ROLE_USER, T0 + 1, &c);
	assert_int_equal(websession_end_subject(s, WEBSESSION_USER, 2), 2);
	assert_true(told(&e, &b) && told(&e, &c));
	/* a renewal ends the old one */
	login(s, WEBSESSION_ADMIN, 3, WEBSESSION_ROLE_ADMIN, T0 + 2, &d);
	assert_int_equal(websession_renew(s, d.info.id_hash, T0 + 3, e2.cookie, e2.csrf, &e2.info), 0);
	assert_int_equal(e.n, 4);
	assert_true(told(&e, &d));
	/* making room: the subject's oldest at its bound of 2 */
	login(s, WEBSESSION_ADMIN, 3, WEBSESSION_ROLE_ADMIN, T0 + 4, &f);
	login(s, WEBSESSION_ADMIN, 3, WEBSESSION_ROLE_ADMIN, T0 + 5, &a);
	assert_int_equal(e.n, 5);
	assert_true(told(&e, &e2));
	/* alive: true while live, without restarting its idle time; false once expired */
	assert_true(websession_alive(s, f.info.id_hash, T0 + 29 * MIN));
	assert_false(websession_alive(s, f.info.id_hash, T0 + 31 * MIN));
	assert_false(websession_alive(s, d.info.id_hash, T0));
	/* expiry found by a later call */
	assert_int_equal(look(s, &a, T0 + 40 * MIN), -ENOENT);
	assert_true(told(&e, &f) && told(&e, &a));
	/* nobody listens: ends go on */
	websession_on_end(s, NULL, NULL);
	login(s, WEBSESSION_USER, 9, WEBSESSION_ROLE_USER, T0 + 41 * MIN, &b);
	assert_true(websession_end(s, b.info.id_hash));
	assert_int_equal(e.n, 7);
	websession_store_free(s);
}

static void test_cookie_find(void **state)
{
	static const struct { const char *h; int r; } c[] = {
		{ "__Host-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE", 0 },
		{ "a=1; __Host-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE; b=2", 0 },
		{ "a=1;__Host-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE;b", 0 },
		{ "  __Host-warren = AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE\t;", 0 },
		{ ";;; noequals; =bare; __Host-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE;;", 0 },
		{ "x=\"quoted; stuff\"; __Host-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE", 0 },
		{ "", -ENOENT },
		{ ";", -ENOENT },
		{ "warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE", -ENOENT },
		{ "__host-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE", -ENOENT },
		{ "__HOST-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE", -ENOENT },
		{ "x__Host-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE", -ENOENT },
		{ "__Host-warrenx=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE", -ENOENT },
		{ "__Host-warren", -ENOENT },
		{ "__Host-warren=", -EINVAL },
		{ "__Host-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCd", -EINVAL },
		{ "__Host-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEf", -EINVAL },
		{ "__Host-warren=\"AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE\"", -EINVAL },
		{ "__Host-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/AbCdE", -EINVAL },
		{ "__Host-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbC E", -EINVAL },
		{ "__Host-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE=", -EINVAL },
		{ "__Host-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE; "
		  "__Host-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE", -EINVAL },
		{ "__Host-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE; __Host-warren=x", -EINVAL },
		{ "__Host-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE\r\nX-Evil: 1", -EINVAL },
		{ "a=\x01; __Host-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE", -EINVAL },
		{ "a=\x7f; __Host-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE", -EINVAL },
		{ "a=\xc3\xa9; __Host-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE", 0 },
	};
	char v[WEBSESSION_ID_LEN + 1], *big;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(v, 'z', sizeof(v));
		assert_int_equal(websession_cookie_find(c[i].h, v), c[i].r);
		if (c[i].r == 0)
			assert_string_equal(v, idv);
		else
			assert_string_equal(v, "");
	}

	assert_int_equal(websession_cookie_find(NULL, v), -ENOENT);

	/* the longest header taken, ours last; one byte more is refused unread */
	big = malloc(WEBSESSION_COOKIE_HEADER_MAX + 2);
	assert_non_null(big);
	n = WEBSESSION_COOKIE_HEADER_MAX - strlen(c[0].h) - 2;
	memset(big, 'a', n);
	big[1] = '=';
	strcpy(big + n, "; ");
	strcpy(big + n + 2, c[0].h);
	assert_int_equal(strlen(big), WEBSESSION_COOKIE_HEADER_MAX);
	assert_int_equal(websession_cookie_find(big, v), 0);
	memmove(big + 1, big, WEBSESSION_COOKIE_HEADER_MAX + 1);
	assert_int_equal(websession_cookie_find(big, v), -E2BIG);
	free(big);

	/* thousands of empty and nameless pairs */
	big = malloc(WEBSESSION_COOKIE_HEADER_MAX + 1);
	assert_non_null(big);
	for (i = 0; i < WEBSESSION_COOKIE_HEADER_MAX; i++)
		big[i] = i % 3 ? ';' : '=';
	big[WEBSESSION_COOKIE_HEADER_MAX] = '\0';
	assert_int_equal(websession_cookie_find(big, v), -ENOENT);
	free(big);
}

/* What the parser finds, a real session's cookie, leads to that session. */
static void test_cookie_round_trip(void **state)
{
	struct websession_store *s = store(0, 0);
	struct websession_info info;
	char set[WEBSESSION_SET_COOKIE_SIZE], hdr[256], v[WEBSESSION_ID_LEN + 1];
	struct cred a;

	(void)state;
	login(s, WEBSESSION_USER, 9, WEBSESSION_ROLE_USER, T0, &a);
	assert_int_equal(websession_set_cookie(set, a.cookie), 0);
	snprintf(hdr, sizeof(hdr), "lang=zh-CN; %.*s", (int)(strchr(set, ';') - set), set);
	assert_int_equal(websession_cookie_find(hdr, v), 0);
	assert_int_equal(websession_lookup(s, v, NULL, WEBSESSION_READ, T0, &info), 0);
	assert_int_equal(info.subject, 9);
	websession_store_free(s);
}

static void test_set_cookie(void **state)
{
	char out[WEBSESSION_SET_COOKIE_SIZE];
	static const char clear[] =
		"__Host-warren=; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age=0";

	(void)state;
	assert_int_equal(websession_set_cookie(out, idv), 0);
	assert_string_equal(out, "__Host-warren=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE"
			    "; Secure; HttpOnly; SameSite=Strict; Path=/");
	assert_int_equal(websession_set_cookie(out, NULL), 0);
	assert_string_equal(out, clear);
	assert_true(sizeof(clear) <= sizeof(out));
	/* nothing but a session value goes into the header */
	assert_int_equal(websession_set_cookie(out, "x\r\nSet-Cookie: evil=1"), -EINVAL);
	assert_string_equal(out, clear);
	assert_int_equal(websession_set_cookie(out, "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE;"),
			 -EINVAL);
	assert_int_equal(websession_set_cookie(out, ""), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_and_lookup),
		cmocka_unit_test(test_kind_and_role),
		cmocka_unit_test(test_idle_and_absolute),
		cmocka_unit_test(test_clock_back),
		cmocka_unit_test(test_end_and_subject),
		cmocka_unit_test(test_renew),
		cmocka_unit_test(test_per_subject_bound),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_default_bound),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_export_restore),
		cmocka_unit_test(test_end_listener),
		cmocka_unit_test(test_cookie_find),
		cmocka_unit_test(test_cookie_round_trip),
		cmocka_unit_test(test_set_cookie),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
