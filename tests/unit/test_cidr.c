/* Prefix parsing: strictness, host bits, containment, printing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "profiles/cidr.h"

static void test_parse_valid(void **state)
{
	struct cidr c;
	char buf[CIDR_STRLEN];

	(void)state;
	assert_int_equal(cidr_parse(&c, "10.9.0.10/32"), 0);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.prefix, 32);
	assert_string_equal(cidr_fmt(&c, buf), "10.9.0.10/32");
	assert_int_equal(cidr_parse(&c, "0.0.0.0/0"), 0);
	assert_int_equal(c.prefix, 0);
	assert_int_equal(cidr_parse(&c, "fd09::10/128"), 0);
	assert_int_equal(c.family, AF_INET6);
	assert_string_equal(cidr_fmt(&c, buf), "fd09::10/128");
	assert_int_equal(cidr_parse(&c, "::/0"), 0);
	assert_string_equal(cidr_fmt(&c, buf), "::/0");
	/* no prefix: a host */
	assert_int_equal(cidr_parse(&c, "192.0.2.1"), 0);
	assert_int_equal(c.prefix, 32);
	assert_int_equal(cidr_parse(&c, "2001:db8::1"), 0);
	assert_int_equal(c.prefix, 128);
}

static void test_parse_invalid(void **state)
{
	struct cidr c;

	(void)state;
	assert_int_equal(cidr_parse(&c, "10.0.0.0/33"), -ERANGE);
	assert_int_equal(cidr_parse(&c, "fd00::/129"), -ERANGE);
	assert_int_equal(cidr_parse(&c, "10.0.0/24"), -EINVAL);
	assert_int_equal(cidr_parse(&c, "10.0.0.256/24"), -EINVAL);
	assert_int_equal(cidr_parse(&c, "10.0.0.1/"), -EINVAL);
	assert_int_equal(cidr_parse(&c, "10.0.0.1/-1"), -EINVAL);
	assert_int_equal(cidr_parse(&c, "10.0.0.1/24x"), -EINVAL);
	assert_int_equal(cidr_parse(&c, "10.0.0.1/ 24"), -EINVAL);
	assert_int_equal(cidr_parse(&c, "/24"), -EINVAL);
	assert_int_equal(cidr_parse(&c, ""), -EINVAL);
	assert_int_equal(cidr_parse(&c, "example.net/24"), -EINVAL);
	assert_int_equal(cidr_parse(&c, "fd00:::1/64"), -EINVAL);
	assert_int_equal(ip_parse(&c, "10.0.0.1/32"), -EINVAL);
}

static void test_host_bits(void **state)
{
	struct cidr c;
	char buf[CIDR_STRLEN];

	(void)state;
	cidr_parse(&c, "192.168.10.1/24");
	assert_true(cidr_host_bits_set(&c));
	cidr_mask(&c);
	assert_string_equal(cidr_fmt(&c, buf), "192.168.10.0/24");
	assert_false(cidr_host_bits_set(&c));
	cidr_parse(&c, "fd10::1/64");
	assert_true(cidr_host_bits_set(&c));
	cidr_parse(&c, "10.128.0.0/9");
	assert_false(cidr_host_bits_set(&c));
	cidr_parse(&c, "10.192.0.0/9");
	assert_true(cidr_host_bits_set(&c));
}

static void test_contains(void **state)
{
	struct cidr a, b;

	(void)state;
	cidr_parse(&a, "0.0.0.0/0");
	cidr_parse(&b, "203.0.113.5/32");
	assert_true(cidr_contains(&a, &b));
	assert_false(cidr_contains(&b, &a));
	cidr_parse(&a, "172.16.0.0/12");
	cidr_parse(&b, "172.32.0.1");
	assert_false(cidr_contains(&a, &b));
	cidr_parse(&b, "::/0");
	assert_false(cidr_contains(&a, &b));
	cidr_parse(&a, "fd09::/64");
	cidr_parse(&b, "fd09::10/128");
	assert_true(cidr_contains(&a, &b));
	assert_true(cidr_equal(&a, &a));
	assert_false(cidr_equal(&a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_host_bits),
		cmocka_unit_test(test_contains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
