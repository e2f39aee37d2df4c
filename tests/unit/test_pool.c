/* Address pools: parsing, reserved addresses, lowest-free allocation, exhaustion, scale. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/pool.h"

static const char *fmt(const struct cidr *c)
{
	static char buf[4][CIDR_STRLEN];
	static int i;

	i = (i + 1) % 4;
	return cidr_fmt(c, buf[i]);
}

static struct cidr ip(const char *s)
{
	struct cidr c;

	assert_int_equal(cidr_parse(&c, s), 0);
	return c;
}

static void test_parse(void **state)
{
	struct diag d = { 0 };
	struct pool p;
	struct cidr a;

	(void)state;
	assert_int_equal(pool_parse(&p, "10.9.0.0/24", &d), 0);
	assert_string_equal(fmt(&p.net), "10.9.0.0/24");
	pool_server_addr(&p, &a);
	assert_string_equal(fmt(&a), "10.9.0.1/24");
	assert_int_equal(pool_size(&p), 253);

	assert_int_equal(pool_parse(&p, "10.9.0.1/24", &d), -EINVAL);
	assert_string_equal(diag_first_error(&d),
			    "pool \"10.9.0.1/24\": host bits set (the prefix is 10.9.0.0/24)");
	diag_clear(&d);
	assert_int_equal(pool_parse(&p, "10.9.0.0/31", &d), -ERANGE);
	assert_string_equal(diag_first_error(&d),
			    "pool \"10.9.0.0/31\": too small for the server and a client (at most /30)");
	diag_clear(&d);
	assert_int_equal(pool_parse(&p, "fd09::/127", NULL), -ERANGE);
	assert_int_equal(pool_parse(&p, "10.9.0.0/33", NULL), -EINVAL);
	assert_int_equal(pool_parse(&p, "vpn/24", &d), -EINVAL);
	assert_string_equal(diag_first_error(&d), "pool \"vpn/24\": not an IPv4 or IPv6 prefix");
	diag_clear(&d);

	assert_int_equal(pool_parse(&p, "10.9.0.0/30", NULL), 0);
	assert_int_equal(pool_size(&p), 1);
	assert_int_equal(pool_parse(&p, "fd09::/64", NULL), 0);
	assert_int_equal(pool_size(&p), UINT64_MAX - 1);   /* 2^64 - 2 */
	pool_server_addr(&p, &a);
	assert_string_equal(fmt(&a), "fd09::1/64");
	assert_int_equal(pool_parse(&p, "fd09::/120", NULL), 0);
	assert_int_equal(pool_size(&p), 254);          /* all but ::0 and ::1 */
	assert_int_equal(pool_parse(&p, "fd09::/63", NULL), 0);
	assert_int_equal(pool_size(&p), UINT64_MAX);       /* saturated */
	assert_int_equal(pool_parse(&p, "::/0", NULL), 0);
	assert_int_equal(pool_size(&p), UINT64_MAX);
	assert_int_equal(pool_parse(&p, "0.0.0.0/0", NULL), 0);
	assert_int_equal(pool_size(&p), 4294967293u);
}

static void test_contains(void **state)
{
	struct pool p;
	struct cidr a;

	(void)state;
	assert_int_equal(pool_parse(&p, "10.9.0.0/24", NULL), 0);
	a = ip("10.9.0.77/32");
	assert_true(pool_contains(&p, &a));
	assert_true(pool_assignable(&p, &a));
	a = ip("10.9.0.0/32");
	assert_true(pool_contains(&p, &a));
	assert_false(pool_assignable(&p, &a));
	a = ip("10.9.0.1");
	assert_false(pool_assignable(&p, &a));
	a = ip("10.9.0.255");
	assert_true(pool_contains(&p, &a));
	assert_false(pool_assignable(&p, &a));
	a = ip("10.9.0.254/24");                       /* prefix length is ignored */
	assert_true(pool_assignable(&p, &a));
	a = ip("10.9.1.2");
	assert_false(pool_contains(&p, &a));
	a = ip("fd09::2");
	assert_false(pool_contains(&p, &a));
	assert_int_equal(pool_parse(&p, "fd09::/64", NULL), 0);
	assert_true(pool_contains(&p, &a));
	assert_true(pool_assignable(&p, &a));
	a = ip("fd09::ffff:ffff:ffff:ffff");              /* no broadcast in IPv6 */
	assert_true(pool_assignable(&p, &a));
	a = ip("fd09::");
	assert_false(pool_assignable(&p, &a));
	a = ip("fd09::1");
	assert_false(pool_assignable(&p, &a));
}

/* Allocate and mark, as the server does for each new user. */
static int take(const struct pool *p, struct pool_used *u, struct cidr *a, struct diag *d)
{
	int r = pool_alloc(p, u, a, d);

	if (r == 0)
		assert_int_equal(pool_used_add(u, p, a), 0);
	return r;
}

static void test_v4_order(void **state)
{
	struct pool_used u;
	struct pool p;
	struct cidr a, used[3];
	char want[CIDR_STRLEN];
	int i;

	(void)state;
	assert_int_equal(pool_parse(&p, "10.9.0.0/24", NULL), 0);
	/* What a database may hold: the reserved ones, an address of another pool, a
	 * duplicate. None of them confuses the allocator. */
	used[0] = ip("10.9.0.1/24");
	used[1] = ip("fd09::2/128");
	used[2] = ip("10.9.0.1/32");
	pool_used_init(&u, &p, used, 3);
	for (i = 2; i <= 254; i++) {
		assert_int_equal(take(&p, &u, &a, NULL), 0);
		snprintf(want, sizeof(want), "10.9.0.%d/32", i);
		assert_string_equal(fmt(&a), want);
		assert_true(pool_assignable(&p, &a));
	}
	assert_int_equal(pool_alloc(&p, &u, &a, NULL), -ENOSPC);
	assert_int_equal(pool_used_add(&u, &p, &used[2]), -EEXIST);
	assert_int_equal(pool_used_add(&u, &p, &used[1]), -EINVAL);
	pool_used_clear(&u);
}

static void test_exhaust_29(void **state)
{
	struct diag d = { 0 };
	struct pool_used u;
	struct pool p;
	struct cidr a;
	int i;

	(void)state;
	assert_int_equal(pool_parse(&p, "10.9.0.0/29", NULL), 0);
	assert_int_equal(pool_size(&p), 5);
	pool_used_init(&u, &p, NULL, 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(take(&p, &u, &a, &d), 0);
	assert_string_equal(fmt(&a), "10.9.0.6/32");   /* .7 is the broadcast address */
	assert_int_equal(d.errors, 0);
	assert_int_equal(pool_alloc(&p, &u, &a, &d), -ENOSPC);
	assert_string_equal(diag_first_error(&d),
			    "pool 10.9.0.0/29 is exhausted: all 5 client addresses are in use");
	diag_clear(&d);
	/* freeing one makes exactly that one available again */
	a = ip("10.9.0.4");
	assert_int_equal(pool_used_remove(&u, &p, &a), 0);
	assert_int_equal(pool_used_remove(&u, &p, &a), -ENOENT);
	assert_int_equal(take(&p, &u, &a, &d), 0);
	assert_string_equal(fmt(&a), "10.9.0.4/32");
	assert_int_equal(pool_alloc(&p, &u, &a, &d), -ENOSPC);
	diag_clear(&d);
	pool_used_clear(&u);
}

static void test_v6(void **state)
{
	struct diag d = { 0 };
	struct pool_used u;
	struct pool p;
	struct cidr a, used[2];

	(void)state;
	assert_int_equal(pool_parse(&p, "fd09::/64", NULL), 0);
	used[0] = ip("fd09::2/128");
	used[1] = ip("fd09::4/128");
	pool_used_init(&u, &p, used, 2);
	assert_int_equal(take(&p, &u, &a, NULL), 0);
	assert_string_equal(fmt(&a), "fd09::3/128");
	assert_int_equal(take(&p, &u, &a, NULL), 0);
	assert_string_equal(fmt(&a), "fd09::5/128");
	pool_used_clear(&u);

	/* the run of used addresses crosses a byte boundary */
	pool_used_init(&u, &p, NULL, 0);
	for (int i = 0; i < 300; i++)
		assert_int_equal(take(&p, &u, &a, NULL), 0);
	assert_string_equal(fmt(&a), "fd09::12d/128");
	a = ip("fd09::100");
	assert_int_equal(pool_used_remove(&u, &p, &a), 0);
	assert_int_equal(take(&p, &u, &a, NULL), 0);
	assert_string_equal(fmt(&a), "fd09::100/128");
	a = ip("10.9.0.2");
	assert_int_equal(pool_used_add(&u, &p, &a), -EINVAL);
	pool_used_clear(&u);

	assert_int_equal(pool_parse(&p, "2001:db8:0:1::fffc/126", NULL), 0);
	assert_int_equal(pool_size(&p), 2);
	pool_used_init(&u, &p, NULL, 0);
	assert_int_equal(take(&p, &u, &a, NULL), 0);
	assert_string_equal(fmt(&a), "2001:db8:0:1::fffe/128");
	assert_int_equal(take(&p, &u, &a, NULL), 0);
	assert_string_equal(fmt(&a), "2001:db8:0:1::ffff/128");
	assert_int_equal(pool_alloc(&p, &u, &a, &d), -ENOSPC);
	assert_string_equal(diag_first_error(&d), "pool 2001:db8:0:1::fffc/126 is exhausted: "
			    "all 2 client addresses are in use");
	diag_clear(&d);
	pool_used_clear(&u);
}

static void test_gap_reuse(void **state)
{
	struct pool_used u;
	struct pool p;
	struct cidr a, used[5];

	(void)state;
	assert_int_equal(pool_parse(&p, "10.9.0.0/24", NULL), 0);
	/* unsorted, as a database returns them */
	used[0] = ip("10.9.0.6");
	used[1] = ip("10.9.0.2");
	used[2] = ip("10.9.0.5");
	used[3] = ip("10.9.0.3");
	used[4] = ip("10.9.0.4");
	pool_used_init(&u, &p, used, 5);
	assert_int_equal(pool_alloc(&p, &u, &a, NULL), 0);
	assert_string_equal(fmt(&a), "10.9.0.7/32");
	/* a user deleted: its address is the lowest free and comes back first */
	assert_int_equal(pool_used_remove(&u, &p, &used[3]), 0);
	assert_int_equal(take(&p, &u, &a, NULL), 0);
	assert_string_equal(fmt(&a), "10.9.0.3/32");
	assert_int_equal(take(&p, &u, &a, NULL), 0);
	assert_string_equal(fmt(&a), "10.9.0.7/32");
	/* two gaps: the lower one first */
	assert_int_equal(pool_used_remove(&u, &p, &used[0]), 0);
	assert_int_equal(pool_used_remove(&u, &p, &used[1]), 0);
	assert_int_equal(take(&p, &u, &a, NULL), 0);
	assert_string_equal(fmt(&a), "10.9.0.2/32");
	assert_int_equal(take(&p, &u, &a, NULL), 0);
	assert_string_equal(fmt(&a), "10.9.0.6/32");
	assert_int_equal(take(&p, &u, &a, NULL), 0);
	assert_string_equal(fmt(&a), "10.9.0.8/32");
	pool_used_clear(&u);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* 10,000 users in each family: allocate one by one, then rebuild from an unsorted
 * list and allocate once more, as a server with 10,000 users adding one does. */
static void test_scale(void **state)
{
	static const char *const nets[] = { "10.9.0.0/16", "fd09::/64" };
	enum { N = 10000 };
	struct cidr *all = calloc(N, sizeof(*all)), a;
	struct pool_used u;
	struct pool p;
	double t0, t_alloc, t_init, t_one;
	size_t i, k;

	(void)state;
	assert_non_null(all);
	for (k = 0; k < 2; k++) {
		assert_int_equal(pool_parse(&p, nets[k], NULL), 0);
		pool_used_init(&u, &p, NULL, 0);
		t0 = now_ms();
		for (i = 0; i < N; i++)
			assert_int_equal(take(&p, &u, &all[i], NULL), 0);
		t_alloc = now_ms() - t0;
		assert_int_equal(u.n, N);
		/* distinct and ascending */
		for (i = 1; i < N; i++)
			assert_true(memcmp(all[i - 1].addr, all[i].addr, 16) < 0);
		pool_used_clear(&u);

		/* shuffle (deterministic), drop one in the middle, rebuild */
		srand(42);
		for (i = N - 1; i > 0; i--) {
			size_t j = (size_t)rand() % (i + 1);
			struct cidr tmp = all[i];

			all[i] = all[j];
			all[j] = tmp;
		}
		for (i = 0; i < N; i++)
			if (pool_assignable(&p, &all[i]) &&
			    !memcmp(all[i].addr, (k ? "\xfd\x09\0\0\0\0\0\0\0\0\0\0\0\0\x13\x89"
						     : "\x0a\x09\x13\x89"), k ? 16 : 4))
				break;
		assert_true(i < N);                  /* offset 5001 */
		all[i] = all[N - 1];
		t0 = now_ms();
		pool_used_init(&u, &p, all, N - 1);
		t_init = now_ms() - t0;
		t0 = now_ms();
		assert_int_equal(pool_alloc(&p, &u, &a, NULL), 0);
		t_one = now_ms() - t0;
		assert_string_equal(fmt(&a), k ? "fd09::1389/128" : "10.9.19.137/32");
		pool_used_clear(&u);
		printf("pool %s: %d allocations %.2f ms (%.2f us each); rebuild from %d "
		       "unsorted %.2f ms; one allocation %.3f ms\n", nets[k], N, t_alloc,
		       t_alloc * 1e3 / N, N - 1, t_init, t_one);
		assert_true(t_alloc < 2000);
	}
	free(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_v4_order),
		cmocka_unit_test(test_exhaust_29),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_gap_reuse),
		cmocka_unit_test(test_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
