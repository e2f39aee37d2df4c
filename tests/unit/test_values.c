/* Admin value syntaxes: DATE, DURATION, expiry, SIZE, user names, and their output forms. */
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
#include <unistd.h>

#include "server/values.h"

static int utc(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static void date_ok(const char *s, int64_t want)
{
	char why[128] = "";
	int64_t t = -42;

	assert_int_equal(values_parse_date(s, &t, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(t, want);
}

static void date_bad(const char *s, const char *want)
{
	char why[128] = "";
	int64_t t = -42;

	assert_int_equal(values_parse_date(s, &t, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, want);
	assert_int_equal(t, -42);
}

static void test_date_accepts(void **state)
{
	(void)state;
	date_ok("2027-01-31", 1801353600);
	date_ok("2027-01-31T12:00", 1801396800);
	date_ok("2027-01-31T12:00:00", 1801396800);
	date_ok("2027-12-31T23:59:59", 1830297599);
	date_ok("2028-02-29", 1835395200);   /* leap year */
	date_ok("2000-02-29", 951782400);    /* divisible by 400 */
	date_ok("1970-01-01", 0);
	date_ok("2027-01-31T00:00", 1801353600);
	/* a zone of its own: the same instant three ways */
	date_ok("2027-01-31T12:00Z", 1801396800);
	date_ok("2027-01-31T20:00:00+08:00", 1801396800);
	date_ok("2027-01-31T07:30-04:30", 1801396800);
	/* and whatever the server's own zone is */
	setenv("TZ", "XXX-8", 1);
	tzset();
	date_ok("2027-01-31T12:00", 1801396800 - 8 * 3600);
	date_ok("2027-01-31T12:00Z", 1801396800);
	date_ok("2027-02-01T00:00+08:00", 1801411200);
	setenv("TZ", "UTC", 1);
	tzset();
}

static void test_date_refuses(void **state)
{
	(void)state;
	date_bad("2027-02-29", "date \"2027-02-29\": day out of range");
	date_bad("2027-02-30", "date \"2027-02-30\": day out of range");
	date_bad("2100-02-29", "date \"2100-02-29\": day out of range");
	date_bad("2027-04-31", "date \"2027-04-31\": day out of range");
	date_bad("2027-01-32", "date \"2027-01-32\": day out of range");
	date_bad("2027-01-00", "date \"2027-01-00\": day out of range");
	date_bad("2027-13-01", "date \"2027-13-01\": month out of range");
	date_bad("2027-00-10", "date \"2027-00-10\": month out of range");
	date_bad("1969-12-31", "date \"1969-12-31\": year out of range");
	date_bad("2027-01-31T24:00", "date \"2027-01-31T24:00\": hour out of range");
	date_bad("2027-01-31T23:60", "date \"2027-01-31T23:60\": minute out of range");
	date_bad("2027-01-31T23:59:60", "date \"2027-01-31T23:59:60\": second out of range");
	date_bad("2027-1-31", "date \"2027-1-31\": expected YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]");
	date_bad("27-01-31", "date \"27-01-31\": expected YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]");
	date_bad("2027-01-31T", "date \"2027-01-31T\": expected YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]");
	date_bad("2027-01-31T1:00", "date \"2027-01-31T1:00\": expected YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]");
	date_bad("2027-01-31T12", "date \"2027-01-31T12\": expected YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]");
	date_bad("2027-01-31T12:00:", "date \"2027-01-31T12:00:\": expected YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]");
	date_bad("2027-01-31 12:00", "date \"2027-01-31 12:00\": expected YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]");
	date_bad("2027-01-31T12:00z", "date \"2027-01-31T12:00z\": expected YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]");
	date_bad("2027-01-31T12:00+15:00", "date \"2027-01-31T12:00+15:00\": zone offset out of range");
	date_bad("2027-01-31T12:00+08:60", "date \"2027-01-31T12:00+08:60\": zone offset out of range");
	date_bad("2027-01-31T12:00+0800", "date \"2027-01-31T12:00+0800\": expected YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]");
	date_bad("2027-01-31+08:00", "date \"2027-01-31+08:00\": expected YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]");
	date_bad("2027-01-31 ", "date \"2027-01-31 \": expected YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]");
	date_bad(" 2027-01-31", "date \" 2027-01-31\": expected YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]");
	date_bad("", "date \"\": expected YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]");
	date_bad("2027-01-31\n", "date \"2027-01-31?\": expected YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]");
}

static void test_error_quote_bounded(void **state)
{
	char why[128];
	int64_t t;

	(void)state;
	assert_int_equal(values_parse_date("2027-01-31T12:00xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
					   &t, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "date \"2027-01-31T12:00xxxxxxxxxxxxxxxxxxxxxxxx...\": "
			    "expected YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]");
	/* A short buffer truncates, and no buffer at all is fine. */
	assert_int_equal(values_parse_date("x", &t, why, 8), -EINVAL);
	assert_string_equal(why, "date \"x");
	assert_int_equal(values_parse_date("x", &t, NULL, 0), -EINVAL);
}

static void duration_ok(const char *s, int64_t want)
{
	char why[128] = "";
	int64_t v = -42;

	assert_int_equal(values_parse_duration(s, &v, why, sizeof(why)), 0);
	assert_int_equal(v, want);
}

static void duration_bad(const char *s, const char *reason)
{
	char why[128] = "", want[128];
	int64_t v = -42;

	snprintf(want, sizeof(want), "duration \"%s\": %s", s, reason);
	assert_int_equal(values_parse_duration(s, &v, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, want);
	assert_int_equal(v, -42);
}

static void test_duration(void **state)
{
	static const char syntax[] = "expected N followed by s, m, h or d";

	(void)state;
	duration_ok("30s", 30);
	duration_ok("15m", 900);
	duration_ok("12h", 43200);
	duration_ok("30d", 2592000);
	duration_ok("1d", 86400);
	duration_ok("007d", 7 * 86400);
	duration_ok("106751991167300d", INT64_C(106751991167300) * 86400);
	duration_ok("9223372036854775807s", INT64_MAX);

	duration_bad("30x", syntax);
	duration_bad("-5d", syntax);
	duration_bad("+5d", syntax);
	duration_bad("5 d", syntax);
	duration_bad(" 5d", syntax);
	duration_bad("5d ", syntax);
	duration_bad("1.5d", syntax);
	duration_bad("5D", syntax);
	duration_bad("5", syntax);
	duration_bad("d", syntax);
	duration_bad("", syntax);
	duration_bad("5dd", syntax);
	duration_bad("0d", "must be greater than 0");
	duration_bad("0s", "must be greater than 0");
	duration_bad("106751991167301d", "too large");
	duration_bad("9223372036854775808s", "too large");
	duration_bad("99999999999999999999999999s", "too large");
}

static void test_expiry(void **state)
{
	char why[160] = "";
	int64_t t = 0;

	(void)state;
	assert_int_equal(values_parse_expiry("30d", 1000, &t, why, sizeof(why)), 0);
	assert_int_equal(t, 1000 + 2592000);
	assert_int_equal(values_parse_expiry("2s", 1000, &t, why, sizeof(why)), 0);
	assert_int_equal(t, 1002);
	/* A bare date includes the whole day: it expires at 00:00 of the next one. */
	assert_int_equal(values_parse_expiry("2027-01-31", 1000, &t, why, sizeof(why)), 0);
	assert_int_equal(t, 1801440000);
	assert_int_equal(values_parse_expiry("2027-12-31", 1000, &t, why, sizeof(why)), 0);
	assert_int_equal(t, 1830297600);
	assert_int_equal(values_parse_expiry("2028-02-29", 1000, &t, why, sizeof(why)), 0);
	assert_int_equal(t, 1835481600);
	/* With a time it is taken as written. */
	assert_int_equal(values_parse_expiry("2027-01-31T12:00", 1000, &t, why, sizeof(why)), 0);
	assert_int_equal(t, 1801396800);

	t = -42;
	assert_int_equal(values_parse_expiry("2027-02-30", 1000, &t, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "date \"2027-02-30\": day out of range");
	assert_int_equal(values_parse_expiry("-5d", 1000, &t, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "duration \"-5d\": expected N followed by s, m, h or d");
	assert_int_equal(values_parse_expiry("30x", 1000, &t, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "expiry \"30x\": expected a date YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]] or "
			    "a duration N followed by s, m, h or d");
	assert_int_equal(values_parse_expiry("", 1000, &t, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "expiry \"\": expected a date YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]] or "
			    "a duration N followed by s, m, h or d");
	assert_int_equal(values_parse_expiry("9223372036854775807s", 1, &t, why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "expiry \"9223372036854775807s\": too far in the future");
	assert_int_equal(t, -42);
}

static void size_ok(const char *s, uint64_t want, bool want_monthly)
{
	char why[128] = "";
	uint64_t v = 42;
	bool monthly = !want_monthly;

	assert_int_equal(values_parse_size(s, &v, &monthly, why, sizeof(why)), 0);
	assert_true(v == want);
	assert_int_equal(monthly, want_monthly);
}

static void size_bad(const char *s, const char *reason)
{
	char why[160] = "", want[160];
	uint64_t v = 42;
	bool monthly = false;

	snprintf(want, sizeof(want), "size \"%s\": %s", s, reason);
	assert_int_equal(values_parse_size(s, &v, &monthly, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, want);
	assert_true(v == 42);
}

static void test_size(void **state)
{
	static const char syntax[] =
		"expected N followed by B, KiB, MiB, GiB or TiB, optionally /month";

	(void)state;
	size_ok("512B", 512, false);
	size_ok("1KiB", 1024, false);
	size_ok("1MiB", 1048576, false);
	size_ok("50GiB", UINT64_C(50) << 30, false);
	size_ok("50GiB/month", UINT64_C(50) << 30, true);
	size_ok("1TiB/month", UINT64_C(1) << 40, true);
	size_ok("1B/month", 1, true);
	size_ok("8388607TiB", UINT64_C(8388607) << 40, false);
	size_ok("9223372036854775807B", INT64_MAX, false);

	size_bad("1.5GiB", syntax);
	size_bad("50 GiB", syntax);
	size_bad("50gib", syntax);
	size_bad("50GB", syntax);
	size_bad("50G", syntax);
	size_bad("50", syntax);
	size_bad("GiB", syntax);
	size_bad("-1GiB", syntax);
	size_bad("+1GiB", syntax);
	size_bad("50GiB/", syntax);
	size_bad("50GiB/Month", syntax);
	size_bad("50GiB/month/", syntax);
	size_bad("50GiB /month", syntax);
	size_bad("50GiBs", syntax);
	size_bad("", syntax);
	size_bad("0GiB", "must be greater than 0");
	size_bad("0B/month", "must be greater than 0");
	size_bad("8388608TiB", "too large");
	size_bad("99999999999TiB", "too large");
	size_bad("9223372036854775808B", "too large");
	size_bad("99999999999999999999999B", "too large");
}

static void format_size_is(uint64_t v, const char *want)
{
	char buf[VALUES_SIZE_STRLEN];

	assert_string_equal(values_format_size(v, buf, sizeof(buf)), want);
}

static void test_format_size(void **state)
{
	(void)state;
	format_size_is(0, "0 B");
	format_size_is(512, "512 B");
	format_size_is(1023, "1023 B");
	format_size_is(1024, "1 KiB");
	format_size_is(1536, "1.5 KiB");
	format_size_is(1048575, "1023.9 KiB");
	format_size_is(UINT64_C(3) << 29, "1.5 GiB");
	format_size_is((UINT64_C(1) << 30) + 1, "1.0 GiB");
	format_size_is(UINT64_C(50) << 30, "50 GiB");
	format_size_is(UINT64_C(2048) << 40, "2048 TiB");
	format_size_is(UINT64_MAX, "16777215.9 TiB");
}

static void test_format_time_utc(void **state)
{
	char buf[VALUES_TIME_STRLEN];

	(void)state;
	assert_string_equal(values_format_time(1801396800, buf, sizeof(buf)), "2027-01-31 12:00");
	assert_string_equal(values_format_time(1830297599, buf, sizeof(buf)), "2027-12-31 23:59");
	assert_string_equal(values_format_time(0, buf, sizeof(buf)), "1970-01-01 00:00");
}

/* An expiry reads as it was typed: a bare date to the end of that day, a time as is. */
static void test_format_expiry(void **state)
{
	char buf[VALUES_TIME_STRLEN], why[128];
	int64_t t;

	(void)state;
	assert_int_equal(values_parse_expiry("2027-01-31", 0, &t, why, sizeof(why)), 0);
	assert_string_equal(values_format_expiry(t, buf, sizeof(buf)), "2027-01-31 23:59:59");
	assert_int_equal(values_parse_expiry("2027-01-31T18:00", 0, &t, why, sizeof(why)), 0);
	assert_string_equal(values_format_expiry(t, buf, sizeof(buf)), "2027-01-31 18:00:00");
	assert_int_equal(values_parse_expiry("2027-01-31T18:00:07", 0, &t, why, sizeof(why)), 0);
	assert_string_equal(values_format_expiry(t, buf, sizeof(buf)), "2027-01-31 18:00:07");
	/* midnight typed as a time is the same instant as the date before it */
	assert_int_equal(values_parse_expiry("2027-02-01T00:00", 0, &t, why, sizeof(why)), 0);
	assert_string_equal(values_format_expiry(t, buf, sizeof(buf)), "2027-01-31 23:59:59");
	assert_int_equal(values_parse_expiry("30d", 1801396800, &t, why, sizeof(why)), 0);
	assert_string_equal(values_format_expiry(t, buf, sizeof(buf)), "2027-03-02 12:00:00");
}

/* Local time is the process's zone, daylight saving included. */
static void test_local_zone(void **state)
{
	char buf[VALUES_TIME_STRLEN], why[128];
	int64_t t;

	(void)state;
	if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) != 0)
		skip();
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	date_ok("2027-01-31T12:00", 1801393200);   /* CET, UTC+1 */
	date_ok("2027-07-01T12:00", 1814436000);   /* CEST, UTC+2 */
	assert_string_equal(values_format_time(1801393200, buf, sizeof(buf)), "2027-01-31 12:00");
	assert_string_equal(values_format_time(1814436000, buf, sizeof(buf)), "2027-07-01 12:00");
	/* The day clocks go forward has 23 hours; the expiry still ends at local midnight. */
	date_ok("2027-03-28", 1806188400);
	assert_int_equal(values_parse_expiry("2027-03-28", 0, &t, why, sizeof(why)), 0);
	assert_int_equal(t, 1806271200);
	assert_int_equal(t - 1806188400, 23 * 3600);
	assert_string_equal(values_format_expiry(t, buf, sizeof(buf)), "2027-03-28 23:59:59");
	utc(NULL);
}

static void name_ok(const char *s)
{
	char why[128] = "";

	assert_true(values_user_name_ok(s, why, sizeof(why)));
	assert_string_equal(why, "");
}

static void name_bad(const char *s, const char *want)
{
	char why[128] = "";

	assert_false(values_user_name_ok(s, why, sizeof(why)));
	assert_string_equal(why, want);
}

static int64_t utc_time(const char *s)
{
	int64_t t;

	assert_int_equal(values_parse_date(s, &t, NULL, 0), 0);
	return t;
}

static void test_quota_period(void **state)
{
	(void)state;
	/* reset day 15: a time on the 20th belongs to the period from the 15th */
	assert_int_equal(values_period_start(utc_time("2027-03-20T10:00"), 15), utc_time("2027-03-15"));
	/* on the 10th it still belongs to last month's */
	assert_int_equal(values_period_start(utc_time("2027-03-10T10:00"), 15), utc_time("2027-02-15"));
	/* exactly at the reset it is the new one */
	assert_int_equal(values_period_start(utc_time("2027-03-15"), 15), utc_time("2027-03-15"));
	/* day 31 in a short month is its last day */
	assert_int_equal(values_period_start(utc_time("2027-03-01T01:00"), 31), utc_time("2027-02-28"));
	assert_int_equal(values_period_next(utc_time("2027-02-28"), 31), utc_time("2027-03-31"));
	assert_int_equal(values_period_next(utc_time("2028-01-31"), 31), utc_time("2028-02-29"));
	/* across the year */
	assert_int_equal(values_period_next(utc_time("2027-12-01"), 1), utc_time("2028-01-01"));
	assert_int_equal(values_period_start(utc_time("2027-01-01T00:30"), 2), utc_time("2026-12-02"));
	/* a start before this month's reset day (the day was changed) resets on it */
	assert_int_equal(values_period_next(utc_time("2027-05-03"), 20), utc_time("2027-05-20"));
	/* out of range days mean the 1st */
	assert_int_equal(values_period_next(utc_time("2027-05-03"), 0), utc_time("2027-06-01"));
}

static void test_user_names(void **state)
{
	static const char chars[] = "only a-z, 0-9, '.', '_' and '-' are allowed";
	char want[160];

	(void)state;
	name_ok("alice");
	name_ok("a");
	name_ok("0bob");
	name_ok("a.b_c-d");
	name_ok("x-");
	name_ok("abcdefghijklmnopqrstuvwxyz012345");   /* 32 */

	name_bad("", "user name \"\": must be 1 to 32 characters");
	name_bad("abcdefghijklmnopqrstuvwxyz0123456",
		 "user name \"abcdefghijklmnopqrstuvwxyz0123456\": must be 1 to 32 characters");
	snprintf(want, sizeof(want), "user name \"Alice\": %s", chars);
	name_bad("Alice", want);
	snprintf(want, sizeof(want), "user name \"al ice\": %s", chars);
	name_bad("al ice", want);
	snprintf(want, sizeof(want), "user name \"al/ice\": %s", chars);
	name_bad("al/ice", want);
	snprintf(want, sizeof(want), "user name \"al?ice\": %s", chars);
	name_bad("al\nice", want);
	snprintf(want, sizeof(want), "user name \"b??r\": %s", chars);
	name_bad("b\xc3\xa4r", want);
	name_bad(".alice", "user name \".alice\": must start with a letter or digit");
	name_bad("-alice", "user name \"-alice\": must start with a letter or digit");
	name_bad("_alice", "user name \"_alice\": must start with a letter or digit");
	name_bad("..", "user name \"..\": must start with a letter or digit");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_date_accepts, utc),
		cmocka_unit_test_setup(test_date_refuses, utc),
		cmocka_unit_test_setup(test_error_quote_bounded, utc),
		cmocka_unit_test(test_duration),
		cmocka_unit_test_setup(test_expiry, utc),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_format_size),
		cmocka_unit_test_setup(test_format_time_utc, utc),
		cmocka_unit_test_setup(test_format_expiry, utc),
		cmocka_unit_test_teardown(test_local_zone, utc),
		cmocka_unit_test(test_user_names),
		cmocka_unit_test_setup(test_quota_period, utc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
