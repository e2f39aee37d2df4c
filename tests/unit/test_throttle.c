/* Failed-login throttling: the backoff of one account at one address, success clearing
 * it, decay, the generous per-address count (an office behind NAT), an account attacked
 * from everywhere that still logs in, parallel attempts, address grouping, and fixed
 * memory under a flood. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "server/auth/throttle.h"

#define MIN (60 * 1000ull)
#define T0 1000000ull

static struct sockaddr_storage v4(uint32_t a)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin_family = AF_INET;
	s->sin_addr.s_addr = htonl(a);
	s->sin_port = htons((uint16_t)(a * 7));
	return ss;
}

static struct sockaddr_storage v6(const char *text)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, text, &s->sin6_addr), 1);
	return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

static int try(struct throttle *t, const struct sockaddr_storage *peer, const char *name,
	       uint64_t now, struct throttle_verdict *v)
{
	return throttle_attempt(t, (const struct sockaddr *)peer, name, now, v);
}

static struct throttle *fresh(void)
{
	struct throttle *t;

	assert_int_equal(throttle_new(&t), 0);
	return t;
}

/* Five free, then 1, 2, 4 ... s up to 15 min, where it stays; refused attempts do not
 * count. (Decay goes on meanwhile: one failure is forgotten per 15 min, so a wait can
 * repeat once on the way up.) */
static void test_pair_backoff(void **state)
{
	struct sockaddr_storage a = v4(0xc0000201);
	struct throttle *t = fresh();
	struct throttle_verdict v;
	uint64_t now = T0;
	unsigned prev = 1, repeats = 0;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		assert_int_equal(try(t, &a, "alice", now, &v), 0);
	assert_int_equal(try(t, &a, "alice", now, &v), -EAGAIN);
	assert_int_equal(v.retry_after_s, 1);
	assert_int_equal(v.delay_ms, 0);
	assert_int_equal(try(t, &a, "alice", now + 999, &v), -EAGAIN);
	for (i = 0; i < 30; i++) {
		now += prev * 1000ull;
		assert_int_equal(try(t, &a, "alice", now, &v), 0);
		assert_int_equal(try(t, &a, "alice", now, &v), -EAGAIN);
		/* hammering while refused changes nothing */
		assert_int_equal(try(t, &a, "alice", now + 500, &v), -EAGAIN);
		assert_true(v.retry_after_s == prev || v.retry_after_s == prev * 2 ||
			    v.retry_after_s == 900);
		assert_true(v.retry_after_s >= prev && v.retry_after_s <= 900);
		repeats += v.retry_after_s == prev && prev != 900;
		prev = v.retry_after_s;
	}
	assert_int_equal(prev, 900);
	assert_true(repeats <= 2);
	/* at the cap it stays there: one try per 15 minutes, about 100 a day */
	for (i = 0; i < 10; i++) {
		now += 900 * 1000;
		assert_int_equal(try(t, &a, "alice", now, &v), 0);
		assert_int_equal(try(t, &a, "alice", now, &v), -EAGAIN);
		assert_int_equal(v.retry_after_s, 900);
	}
	/* Retry-After rounds up */
	assert_int_equal(try(t, &a, "alice", now + 899500, &v), -EAGAIN);
	assert_int_equal(v.retry_after_s, 1);
	throttle_free(t);
	throttle_free(NULL);
}

static void test_success_clears_pair(void **state)
{
	struct sockaddr_storage a = v4(0xc0000201);
	struct throttle *t = fresh();
	struct throttle_verdict v;
	int round, i;

	(void)state;
	for (round = 0; round < 5; round++) {
		for (i = 0; i < 4; i++)
			assert_int_equal(try(t, &a, "alice", T0, &v), 0);
		assert_int_equal(try(t, &a, "alice", T0, &v), 0);
		throttle_success(t, SA(a), "alice", T0);
	}
	/* in backoff, then the right password after the wait clears it */
	for (i = 0; i < 5; i++)
		assert_int_equal(try(t, &a, "alice", T0, &v), 0);
	assert_int_equal(try(t, &a, "alice", T0, &v), -EAGAIN);
	assert_int_equal(try(t, &a, "alice", T0 + 1000, &v), 0);
	throttle_success(t, SA(a), "alice", T0 + 1000);
	for (i = 0; i < 5; i++)
		assert_int_equal(try(t, &a, "alice", T0 + 1000, &v), 0);
	/* a success with nothing counted is harmless */
	throttle_success(t, SA(a), "nobody", T0);
	throttle_free(t);
}

static void test_decay(void **state)
{
	struct sockaddr_storage a = v4(0x0a000001);
	struct throttle *t = fresh();
	struct throttle_verdict v;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		assert_int_equal(try(t, &a, "bob", T0, &v), 0);
	assert_int_equal(try(t, &a, "bob", T0 + 999, &v), -EAGAIN);
	/* 15 quiet minutes forget one: the next failure is the fifth again (a 1 s wait) */
	assert_int_equal(try(t, &a, "bob", T0 + 15 * MIN, &v), 0);
	assert_int_equal(try(t, &a, "bob", T0 + 15 * MIN, &v), -EAGAIN);
	assert_int_equal(v.retry_after_s, 1);
	/* 75 more minutes forget all five */
	for (i = 0; i < 5; i++)
		assert_int_equal(try(t, &a, "bob", T0 + 90 * MIN, &v), 0);
	assert_int_equal(try(t, &a, "bob", T0 + 90 * MIN, &v), -EAGAIN);
	throttle_free(t);
}

/* The wall between accounts, and between addresses. */
static void test_independent(void **state)
{
	struct sockaddr_storage a = v4(0xc0000201), b = v4(0xc6336401);
	struct throttle *t = fresh();
	struct throttle_verdict v;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		assert_int_equal(try(t, &a, "alice", T0, &v), 0);
	assert_int_equal(try(t, &a, "alice", T0, &v), -EAGAIN);
	assert_int_equal(try(t, &b, "alice", T0, &v), 0);      /* alice, elsewhere */
	assert_int_equal(try(t, &a, "bob", T0, &v), 0);        /* bob, same address */
	assert_int_equal(try(t, &a, "alicE", T0, &v), 0);      /* names are bytes */
	throttle_free(t);
}

/* 500 people behind one address log in at nine; 100 of them mistype twice first, and
 * 50 failures for names nobody has come on top. Nobody is refused or slowed. */
static void test_office_behind_nat(void **state)
{
	struct sockaddr_storage nat = v4(0xcb007101);
	struct throttle *t = fresh();
	struct throttle_verdict v;
	char name[32];
	uint64_t now = T0;
	int i, k;

	(void)state;
	for (i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "user%d", i);
		for (k = 0; k < (i % 5 == 0 ? 2 : 0); k++)
			assert_int_equal(try(t, &nat, name, now, &v), 0);
		assert_int_equal(try(t, &nat, name, now, &v), 0);
		assert_int_equal(v.delay_ms, 0);
		throttle_success(t, SA(nat), name, now);
		now += 100;
	}
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "typo%d", i);
		assert_int_equal(try(t, &nat, name, now, &v), 0);
	}
	/* and the office keeps logging in */
	for (i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "user%d", i);
		assert_int_equal(try(t, &nat, name, now, &v), 0);
		assert_int_equal(v.delay_ms, 0);
		throttle_success(t, SA(nat), name, now);
	}
	throttle_free(t);
}

/* One address spraying names: 300 in a burst, then about one per 3 s. */
static void test_address_spray(void **state)
{
	struct sockaddr_storage a = v6("2001:db8:1:2::99");
	struct throttle *t = fresh();
	struct throttle_verdict v;
	char name[32];
	uint64_t now = T0;
	int i, n = 0, refused = 0;

	(void)state;
	for (i = 0; i < (int)THROTTLE_ADDR_FREE; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(try(t, &a, name, now, &v), 0);
	}
	assert_int_equal(try(t, &a, "next", now, &v), -EAGAIN);
	assert_int_equal(v.retry_after_s, 1);
	/* try every 100 ms for 15 minutes, a new name each time */
	for (now = T0 + 100; now <= T0 + 15 * MIN; now += 100) {
		snprintf(name, sizeof(name), "m%d", n + refused);
		if (try(t, &a, name, now, &v) == 0)
			n++;
		else
			refused++;
	}
	assert_true(n >= 250 && n <= 330);
	/* the same /64 is the same client */
	a = v6("2001:db8:1:2:ffff:ffff:ffff:ffff");
	assert_int_equal(try(t, &a, "x", now, &v), -EAGAIN);
	a = v6("2001:db8:1:3::99");
	assert_int_equal(try(t, &a, "x", now, &v), 0);
	throttle_free(t);
}

/* An account attacked from a thousand addresses: never refused, at most 2 s slower, and
 * its owner logs in. */
static void test_account_under_attack(void **state)
{
	struct sockaddr_storage home = v4(0x0a0a0a0a), bot;
	struct throttle *t = fresh();
	struct throttle_verdict v;
	unsigned worst = 0;
	uint64_t now = T0;
	int i, k;

	(void)state;
	for (i = 0; i < 1000; i++) {
		bot = v4(0x64000000u + (uint32_t)i);
		for (k = 0; k < 5; k++) {
			assert_int_equal(try(t, &bot, "alice", now, &v), 0);
			assert_true(v.delay_ms <= THROTTLE_ACCOUNT_CAP_MS);
			if (v.delay_ms > worst)
				worst = v.delay_ms;
		}
		now += 10;
	}
	assert_int_equal(worst, THROTTLE_ACCOUNT_CAP_MS);
	assert_int_equal(try(t, &home, "alice", now, &v), 0);
	assert_int_equal(v.delay_ms, THROTTLE_ACCOUNT_CAP_MS);
	throttle_success(t, SA(home), "alice", now);
	/* the first failures cost nothing; the wait grows 0.25, 0.5, 1, 2 s */
	throttle_free(t);
	t = fresh();
	for (i = 0; i < 14; i++) {
		bot = v4(0x64000000u + (uint32_t)i);
		assert_int_equal(try(t, &bot, "carol", T0, &v), 0);
		assert_int_equal(v.delay_ms, i < 10 ? 0 : 250u << (i - 10));
	}
	/* quiet for a while, the delay is gone */
	assert_int_equal(try(t, &home, "carol", T0 + 15 * MIN, &v), 0);
	assert_int_equal(v.delay_ms, 0);
	throttle_free(t);
}

/* Attempts in flight count at once: twenty at one instant, five get through. */
static void test_parallel(void **state)
{
	struct sockaddr_storage a = v4(0x01020304);
	struct throttle *t = fresh();
	struct throttle_verdict v;
	int i, ok = 0;

	(void)state;
	for (i = 0; i < 20; i++)
		ok += try(t, &a, "alice", T0, &v) == 0;
	assert_int_equal(ok, 5);
	throttle_free(t);
}

/* Whatever the name, the same answers: nothing tells an unknown name from a known one. */
static void test_names_alike(void **state)
{
	struct sockaddr_storage a = v4(0x01020304), b = v4(0x01020305);
	struct throttle *t = fresh();
	struct throttle_verdict va, vb;
	uint64_t now;
	int i, ra, rb;

	(void)state;
	for (i = 0, now = T0; i < 40; i++, now += 700) {
		ra = try(t, &a, "alice", now, &va);
		rb = try(t, &b, "no-such-user-anywhere", now, &vb);
		assert_int_equal(ra, rb);
		assert_memory_equal(&va, &vb, sizeof(va));
	}
	/* the empty name and a very long one are names too */
	{
		static char longname[70000];

		memset(longname, 'q', sizeof(longname) - 1);
		assert_int_equal(try(t, &a, "", now, &va), 0);
		assert_int_equal(try(t, &a, longname, now, &va), 0);
	}
	/* NULL is the empty name */
	for (i = 0; i < 4; i++)
		assert_int_equal(try(t, &b, NULL, now, &va), 0);
	assert_int_equal(try(t, &b, "", now, &va), 0);
	assert_int_equal(try(t, &b, NULL, now, &va), -EAGAIN);
	throttle_free(t);
}

static void test_mapped_and_other_peers(void **state)
{
	struct sockaddr_storage m = v6("::ffff:192.0.2.1"), p = v4(0xc0000201);
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct throttle *t = fresh();
	struct throttle_verdict v;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		assert_int_equal(try(t, &m, "alice", T0, &v), 0);
	assert_int_equal(try(t, &p, "alice", T0, &v), -EAGAIN);
	for (i = 0; i < 5; i++)
		assert_int_equal(throttle_attempt(t, NULL, "bob", T0, &v), 0);
	assert_int_equal(throttle_attempt(t, (const struct sockaddr *)&un, "bob", T0, &v), -EAGAIN);
	throttle_free(t);
}

/* A flood of 200,000 addresses and names fits the fixed tables, and a pair that fails
 * after it is throttled as usual. */
static void test_flood(void **state)
{
	struct sockaddr_storage a, b = v4(0x7f000001);
	struct throttle *t = fresh();
	struct throttle_verdict v;
	char name[32];
	uint32_t i;

	(void)state;
	for (i = 0; i < 200000; i++) {
		a = v4(0x0b000000u + i);
		snprintf(name, sizeof(name), "f%u", i);
		assert_int_equal(try(t, &a, name, T0 + i / 100, &v), 0);
	}
	for (i = 0; i < 5; i++)
		assert_int_equal(try(t, &b, "alice", T0 + 3000, &v), 0);
	assert_int_equal(try(t, &b, "alice", T0 + 3000, &v), -EAGAIN);
	throttle_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pair_backoff),
		cmocka_unit_test(test_success_clears_pair),
		cmocka_unit_test(test_decay),
		cmocka_unit_test(test_independent),
		cmocka_unit_test(test_office_behind_nat),
		cmocka_unit_test(test_address_spray),
		cmocka_unit_test(test_account_under_attack),
		cmocka_unit_test(test_parallel),
		cmocka_unit_test(test_names_alike),
		cmocka_unit_test(test_mapped_and_other_peers),
		cmocka_unit_test(test_flood),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
