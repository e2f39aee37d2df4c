/* A group's policy fields: every parser good and bad with its reason, canonical text
 * that reads back the same, and schedules in time zones across DST. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profiles/policy.h"

static char why[256];
static char buf[POLICY_STRLEN];

/* UTC "YYYY-MM-DD HH:MM:SS" */
static time_t utc(const char *s)
{
	struct tm tm = { 0 };

	assert_non_null(strptime(s, "%Y-%m-%d %H:%M:%S", &tm));
	return timegm(&tm);
}

static void dests_ok(const char *in, const char *canon)
{
	struct policy_dest *v = NULL, *w = NULL;
	size_t n = 0, m = 0;

	why[0] = '\0';
	if (policy_dests_parse(in, &v, &n, why, sizeof(why)) != 0)
		fail_msg("%s: %s", in, why);
	assert_string_equal(policy_dests_fmt(v, n, buf, sizeof(buf)), canon);
	assert_int_equal(policy_dests_parse(buf, &w, &m, why, sizeof(why)), 0);
	assert_int_equal(m, n);
	if (n)
		assert_memory_equal(v, w, n * sizeof(*v));
	free(v);
	free(w);
}

static void dests_bad(const char *in, const char *reason)
{
	struct policy_dest *v = (struct policy_dest *)1;
	size_t n = 77;

	assert_int_equal(policy_dests_parse(in, &v, &n, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, reason);
	assert_ptr_equal(v, (struct policy_dest *)1);
	assert_int_equal(n, 77);
}

static void test_dests(void **state)
{
	struct policy_dest d;

	(void)state;
	dests_ok("", "");
	dests_ok("  ,, ", "");
	dests_ok("10.0.0.0/8", "10.0.0.0/8");
	dests_ok("10.1.2.3:443/tcp", "10.1.2.3:443/tcp");
	dests_ok("10.1.2.3/32:443/TCP", "10.1.2.3:443/tcp");
	dests_ok("[fd00::1]:1000-2000/udp", "[fd00::1]:1000-2000/udp");
	dests_ok("[fd00::]/64:53", "[fd00::]/64:53");
	dests_ok("192.168.0.0/16/udp", "192.168.0.0/16/udp");
	dests_ok("fd00::/8/tcp 0.0.0.0/0", "fd00::/8/tcp, 0.0.0.0/0");
	dests_ok("10.0.0.0/8,10.1.2.3:80-80 , [::1]", "10.0.0.0/8, 10.1.2.3:80, ::1");
	dests_ok("10.1.0.0/16:22", "10.1.0.0/16:22");

	assert_int_equal(policy_dest_parse("10.1.2.3:443/tcp", &d, why, sizeof(why)), 0);
	assert_int_equal(d.proto, IPPROTO_TCP);
	assert_int_equal(d.port_lo, 443);
	assert_int_equal(d.port_hi, 443);
	assert_int_equal(d.net.prefix, 32);
	assert_int_equal(policy_dest_parse("192.168.0.0/16/udp", &d, why, sizeof(why)), 0);
	assert_int_equal(d.proto, IPPROTO_UDP);
	assert_int_equal(d.port_lo, 0);
	assert_int_equal(policy_dest_parse("10.0.0.0/8 10.0.0.0/9", &d, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "\"10.0.0.0/8 10.0.0.0/9\": one destination has no blanks or commas");

	dests_bad("10.0.0.0/33", "\"10.0.0.0/33\": prefix longer than 32");
	dests_bad("10.0.0.0/8, fd00::/129", "\"fd00::/129\": prefix longer than 128");
	dests_bad("10.0.0.1/8", "\"10.0.0.1/8\": host bits set (the network is 10.0.0.0/8)");
	dests_bad("10.0.0.0/8/icmp", "\"10.0.0.0/8/icmp\": protocol must be tcp or udp");
	dests_bad("10.1.2.3:0", "\"10.1.2.3:0\": bad port (1-65535 or a range such as 1000-2000)");
	dests_bad("10.1.2.3:65536/tcp",
		  "\"10.1.2.3:65536/tcp\": bad port (1-65535 or a range such as 1000-2000)");
	dests_bad("10.1.2.3:2000-1000", "\"10.1.2.3:2000-1000\": port range runs backwards");
	dests_bad("10.1.2.3:", "\"10.1.2.3:\": bad port (1-65535 or a range such as 1000-2000)");
	dests_bad("example.com", "\"example.com\": not an address");
	dests_bad("10.1.2", "\"10.1.2\": not an address");
	dests_bad("[fd00::1:443", "\"[fd00::1:443\": missing ]");
	dests_bad("[10.1.2.3]:443", "\"[10.1.2.3]:443\": brackets are for IPv6 addresses");
	dests_bad("[fd00::1]x:443", "\"[fd00::1]x:443\": not an address");
}

static void test_dests_many(void **state)
{
	char *s = malloc(POLICY_DESTS_MAX * 20 + 32), *p = s;
	struct policy_dest *v;
	size_t n, i;

	(void)state;
	for (i = 0; i < POLICY_DESTS_MAX; i++)
		p += sprintf(p, "10.%zu.%zu.0/24 ", i / 256, i % 256);
	assert_int_equal(policy_dests_parse(s, &v, &n, why, sizeof(why)), 0);
	assert_int_equal(n, POLICY_DESTS_MAX);
	free(v);
	strcpy(p, "10.9.9.0/24");
	assert_int_equal(policy_dests_parse(s, &v, &n, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "\"10.9.9.0/24\": more than 256 destinations");
	free(s);
}

static void test_sources(void **state)
{
	struct cidrv v = { 0 }, w = { 0 };

	(void)state;
	assert_int_equal(policy_sources_parse("", &v, why, sizeof(why)), 0);
	assert_int_equal(v.n, 0);
	assert_string_equal(policy_sources_fmt(&v, buf, sizeof(buf)), "");
	assert_int_equal(policy_sources_parse("203.0.113.0/24, 198.51.100.7 2001:db8::/32", &v,
					      why, sizeof(why)), 0);
	assert_int_equal(v.n, 3);
	assert_string_equal(policy_sources_fmt(&v, buf, sizeof(buf)),
			    "203.0.113.0/24, 198.51.100.7, 2001:db8::/32");
	assert_int_equal(policy_sources_parse(buf, &w, why, sizeof(why)), 0);
	assert_true(cidrv_equal(&v, &w));
	cidrv_clear(&w);
	assert_int_equal(policy_sources_parse("10.0.0.0/8 10.0.0.0/33", &w, why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "\"10.0.0.0/33\": prefix longer than 32");
	assert_int_equal(w.n, 0);
	assert_int_equal(policy_sources_parse("203.0.113.1/24", &w, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "\"203.0.113.1/24\": host bits set (the network is 203.0.113.0/24)");
	assert_int_equal(policy_sources_parse("10.0.0.0/8:22", &w, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "\"10.0.0.0/8:22\": not an address");
	cidrv_clear(&v);
}

static void sched_ok(const char *in, const char *canon)
{
	struct policy_schedule a, b;

	why[0] = '\0';
	if (policy_schedule_parse(in, &a, why, sizeof(why)) != 0)
		fail_msg("%s: %s", in, why);
	assert_string_equal(policy_schedule_fmt(&a, buf, sizeof(buf)), canon);
	assert_int_equal(policy_schedule_parse(buf, &b, why, sizeof(why)), 0);
	assert_int_equal(a.n, b.n);
	assert_int_equal(a.never, b.never);
	assert_memory_equal(a.w, b.w, a.n * sizeof(a.w[0]));
}

static void sched_bad(const char *in, const char *reason)
{
	struct policy_schedule a;

	a.n = 99;
	assert_int_equal(policy_schedule_parse(in, &a, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, reason);
	assert_int_equal(a.n, 99);
}

static void test_schedule_parse(void **state)
{
	struct policy_schedule s;

	(void)state;
	sched_ok("always", "always");
	sched_ok(" Always ", "always");
	sched_ok("never", "never");
	sched_ok("Mon-Fri 08:00-18:00, Sat 22:00-02:00", "Mon-Fri 08:00-18:00, Sat 22:00-02:00");
	sched_ok("mon-fri 08:00-18:00,sat 22:00-02:00", "Mon-Fri 08:00-18:00, Sat 22:00-02:00");
	sched_ok("Sat-Mon 10:00-12:00", "Sat-Mon 10:00-12:00");
	sched_ok("Tue-Mon 10:00-12:00", "Tue-Mon 10:00-12:00");
	sched_ok("Mon 08:00-10:00, Tue 08:00-10:00", "Mon-Tue 08:00-10:00");
	sched_ok("Sun 22:00-24:00", "Sun 22:00-24:00");
	sched_ok("Sun 22:00-00:00", "Sun 22:00-24:00");
	sched_ok("Sat-Sun", "Sat-Sun 00:00-24:00");
	sched_ok("08:00-18:00", "Mon-Sun 08:00-18:00");
	sched_ok("Mon-Sun 08:00-09:00, Mon 08:00-09:00", "Mon-Sun 08:00-09:00, Mon 08:00-09:00");

	assert_int_equal(policy_schedule_parse("always", &s, why, sizeof(why)), 0);
	assert_int_equal(s.n, 0);
	assert_false(s.never);
	assert_int_equal(policy_schedule_parse("never", &s, why, sizeof(why)), 0);
	assert_true(s.never);
	assert_int_equal(policy_schedule_parse("Sat 22:00-02:00", &s, why, sizeof(why)), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.w[0].start, 5 * 1440 + 22 * 60);
	assert_int_equal(s.w[0].len, 240);
	assert_int_equal(policy_schedule_parse("Sun 23:00-01:00", &s, why, sizeof(why)), 0);
	assert_int_equal(s.w[0].start, 6 * 1440 + 23 * 60);
	assert_int_equal(s.w[0].len, 120);
	assert_int_equal(policy_schedule_parse("Fri-Mon 09:00-10:00", &s, why, sizeof(why)), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.w[3].start, 9 * 60);

	sched_bad("Mon-Fri 8:00-18", "\"Mon-Fri 8:00-18\": bad time");
	sched_bad("Mon-Fri 08:00-18:00, Sat 22:00-02:60", "\"Sat 22:00-02:60\": bad time");
	sched_bad("Mon 24:00-02:00", "\"Mon 24:00-02:00\": bad time");
	sched_bad("Mon 10:00-24:01", "\"Mon 10:00-24:01\": bad time");
	sched_bad("Mon 10:00", "\"Mon 10:00\": bad time");
	sched_bad("Mon 10:00-10:00", "\"Mon 10:00-10:00\": window is empty (start equals end)");
	sched_bad("Mo-Fr 08:00-18:00", "\"Mo-Fr 08:00-18:00\": bad day (Mon, Tue, ... Sun)");
	sched_bad("Mon 08:00-10:00,", "\"\": empty window");
	sched_bad("", "\"\": empty schedule (always, never or windows such as "
		  "\"Mon-Fri 08:00-18:00\")");
	sched_bad("always, Mon 08:00-10:00", "\"always\": bad day (Mon, Tue, ... Sun)");
	sched_bad("Mon-Sun 01:00-02:00, Mon-Sun 02:00-03:00, Mon-Sun 03:00-04:00, "
		  "Mon-Sun 04:00-05:00, Mon-Sun 05:00-06:00, Mon-Sun 06:00-07:00, "
		  "Mon-Sun 07:00-08:00, Mon-Sun 08:00-09:00, Mon-Sun 09:00-10:00, "
		  "Mon-Sun 10:00-11:00",
		  "\"Mon-Sun 10:00-11:00\": more than 64 windows in the week");
}

static void rate_ok(const char *in, uint64_t down, uint64_t up, const char *canon)
{
	struct policy_rate r, q;

	why[0] = '\0';
	if (policy_rate_parse(in, &r, why, sizeof(why)) != 0)
		fail_msg("%s: %s", in, why);
	assert_int_equal(r.down_bps, down);
	assert_int_equal(r.up_bps, up);
	assert_string_equal(policy_rate_fmt(&r, buf, sizeof(buf)), canon);
	assert_int_equal(policy_rate_parse(buf, &q, why, sizeof(why)), 0);
	assert_memory_equal(&r, &q, sizeof(r));
}

static void rate_bad(const char *in, const char *reason)
{
	struct policy_rate r = { 7, 7 };

	assert_int_equal(policy_rate_parse(in, &r, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, reason);
	assert_int_equal(r.down_bps, 7);
}

static void test_rate(void **state)
{
	(void)state;
	rate_ok("20Mbit/5Mbit", 20000000, 5000000, "20Mbit/5Mbit");
	rate_ok("unlimited", 0, 0, "unlimited");
	rate_ok("unlimited/unlimited", 0, 0, "unlimited");
	rate_ok("unlimited/5Mbit", 0, 5000000, "unlimited/5Mbit");
	rate_ok("20mbit/Unlimited", 20000000, 0, "20Mbit/unlimited");
	rate_ok("1.5Mbit/512kbit", 1500000, 512000, "1500kbit/512kbit");
	rate_ok("10Mbit", 10000000, 10000000, "10Mbit/10Mbit");
	rate_ok("1Gbit/999bit", 1000000000, 999, "1Gbit/999bit");
	rate_ok("1000Gbit/0.001kbit", 1000000000000ULL, 1, "1000Gbit/1bit");

	rate_bad("20Mbps/5Mbit", "\"20Mbps\": bad unit (bit, kbit, Mbit or Gbit)");
	rate_bad("20Mbit/5", "\"5\": bad unit (bit, kbit, Mbit or Gbit)");
	rate_bad("fast", "\"fast\": not a rate (such as 20Mbit, or unlimited)");
	rate_bad("0Mbit/1Mbit", "\"0Mbit\": zero (write unlimited for no limit)");
	rate_bad("1001Gbit", "\"1001Gbit\": more than 1000Gbit");
	rate_bad("99999999999999999999Gbit/1bit", "\"99999999999999999999Gbit\": more than 1000Gbit");
	rate_bad("1.5bit", "\"1.5bit\": not a whole number of bits per second");
	rate_bad("/5Mbit", "\"\": not a rate (such as 20Mbit, or unlimited)");
	rate_bad("1Mbit/2Mbit/3Mbit", "\"2Mbit/3Mbit\": bad unit (bit, kbit, Mbit or Gbit)");
}

static void parse_sched(const char *s, struct policy_schedule *sch)
{
	if (policy_schedule_parse(s, sch, why, sizeof(why)) != 0)
		fail_msg("%s: %s", s, why);
}

static void test_schedule_time(void **state)
{
	struct policy_schedule s;
	const char *b = "Europe/Berlin";

	(void)state;
	parse_sched("Mon-Fri 08:00-18:00, Sat 22:00-02:00", &s);
	/* Wed 2026-07-15 12:00 CEST = 10:00 UTC */
	assert_true(policy_schedule_open(&s, b, utc("2026-07-15 10:00:00")));
	assert_false(policy_schedule_open(&s, b, utc("2026-07-15 16:00:00")));
	assert_int_equal(policy_schedule_next(&s, b, utc("2026-07-15 10:00:00")),
			 utc("2026-07-15 16:00:00"));
	/* UTC it is 17:30 then, but in New York 13:30 */
	assert_true(policy_schedule_open(&s, "America/New_York", utc("2026-07-15 17:30:00")));
	assert_int_equal(policy_schedule_next(&s, "America/New_York", utc("2026-07-15 17:30:00")),
			 utc("2026-07-15 22:00:00"));
	assert_true(policy_schedule_open(&s, "UTC", utc("2026-07-15 17:30:00")));
	assert_int_equal(policy_schedule_next(&s, "UTC", utc("2026-07-15 17:30:00")),
			 utc("2026-07-15 18:00:00"));
	/* crossing midnight: Sat 22:00 CEST opens, Sun 02:00 closes */
	assert_int_equal(policy_schedule_next(&s, b, utc("2026-07-17 16:00:00")),
			 utc("2026-07-18 20:00:00"));
	assert_true(policy_schedule_open(&s, b, utc("2026-07-18 23:00:00")));
	assert_int_equal(policy_schedule_next(&s, b, utc("2026-07-18 20:00:00")),
			 utc("2026-07-19 00:00:00"));
	/* Sunday -> Monday: closed from Sun 02:00 to Mon 08:00 */
	assert_false(policy_schedule_open(&s, b, utc("2026-07-19 12:00:00")));
	assert_int_equal(policy_schedule_next(&s, b, utc("2026-07-19 00:00:00")),
			 utc("2026-07-20 06:00:00"));
	/* the next change is the first second that differs, from mid-minute too */
	assert_int_equal(policy_schedule_next(&s, b, utc("2026-07-20 05:59:59")),
			 utc("2026-07-20 06:00:00"));
	assert_int_equal(policy_schedule_next(&s, b, utc("2026-07-20 05:59:30") + 0),
			 utc("2026-07-20 06:00:00"));

	/* a window over the Sunday/Monday week end */
	parse_sched("Sun 23:00-01:00", &s);
	assert_true(policy_schedule_open(&s, "UTC", utc("2026-07-20 00:30:00")));
	assert_int_equal(policy_schedule_next(&s, "UTC", utc("2026-07-19 12:00:00")),
			 utc("2026-07-19 23:00:00"));
	assert_int_equal(policy_schedule_next(&s, "UTC", utc("2026-07-19 23:00:00")),
			 utc("2026-07-20 01:00:00"));
	assert_int_equal(policy_schedule_next(&s, "UTC", utc("2026-07-20 01:00:00")),
			 utc("2026-07-26 23:00:00"));
}

static void test_schedule_dst(void **state)
{
	struct policy_schedule s;
	const char *b = "Europe/Berlin";

	(void)state;
	/* 2026-03-29: 02:00 CET is 03:00 CEST; 02:30 never happens. The window opens at the
	 * first minute that exists, 03:00 CEST = 01:00 UTC, and closes 03:30 CEST. */
	parse_sched("Sun 02:30-03:30", &s);
	assert_int_equal(policy_schedule_next(&s, b, utc("2026-03-28 12:00:00")),
			 utc("2026-03-29 01:00:00"));
	assert_true(policy_schedule_open(&s, b, utc("2026-03-29 01:00:00")));
	assert_false(policy_schedule_open(&s, b, utc("2026-03-29 00:59:59")));
	assert_int_equal(policy_schedule_next(&s, b, utc("2026-03-29 01:00:00")),
			 utc("2026-03-29 01:30:00"));
	/* a week later it is summer time: 02:30 CEST = 00:30 UTC */
	assert_int_equal(policy_schedule_next(&s, b, utc("2026-03-29 01:30:00")),
			 utc("2026-04-05 00:30:00"));
	/* a window over the gap is an hour shorter */
	parse_sched("Sun 01:00-04:00", &s);
	assert_int_equal(policy_schedule_next(&s, b, utc("2026-03-29 00:00:00")),
			 utc("2026-03-29 02:00:00"));
	/* 08:00 local across the switch: 07:00 UTC in winter, 06:00 in summer */
	parse_sched("Mon-Fri 08:00-18:00", &s);
	assert_int_equal(policy_schedule_next(&s, b, utc("2026-03-27 17:30:00")),
			 utc("2026-03-30 06:00:00"));

	/* 2026-10-25: 03:00 CEST is 02:00 CET; 02:00-03:00 happens twice, and a window in
	 * it is open both times. */
	parse_sched("Sun 02:15-02:45", &s);
	assert_int_equal(policy_schedule_next(&s, b, utc("2026-10-24 12:00:00")),
			 utc("2026-10-25 00:15:00"));
	assert_int_equal(policy_schedule_next(&s, b, utc("2026-10-25 00:15:00")),
			 utc("2026-10-25 00:45:00"));
	assert_int_equal(policy_schedule_next(&s, b, utc("2026-10-25 00:45:00")),
			 utc("2026-10-25 01:15:00"));
	assert_int_equal(policy_schedule_next(&s, b, utc("2026-10-25 01:15:00")),
			 utc("2026-10-25 01:45:00"));
	parse_sched("Sat 22:00-04:00", &s);
	/* 22:00 CEST = 20:00 UTC to 04:00 CET = 03:00 UTC: seven hours */
	assert_int_equal(policy_schedule_next(&s, b, utc("2026-10-24 20:00:00")),
			 utc("2026-10-25 03:00:00"));

	/* New York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST */
	parse_sched("Sun 09:00-17:00", &s);
	assert_int_equal(policy_schedule_next(&s, "America/New_York", utc("2026-03-07 12:00:00")),
			 utc("2026-03-08 13:00:00"));
	assert_int_equal(policy_schedule_next(&s, "America/New_York", utc("2026-02-28 12:00:00")),
			 utc("2026-03-01 14:00:00"));
	assert_int_equal(policy_schedule_next(&s, "America/New_York", utc("2026-10-31 12:00:00")),
			 utc("2026-11-01 14:00:00"));
}

static void test_schedule_constant(void **state)
{
	struct policy_schedule s;
	time_t t = utc("2026-07-15 10:00:00");
	const char *tz = getenv("TZ");

	(void)state;
	parse_sched("always", &s);
	assert_true(policy_schedule_open(&s, "Europe/Berlin", t));
	assert_int_equal(policy_schedule_next(&s, "Europe/Berlin", t), 0);
	parse_sched("never", &s);
	assert_false(policy_schedule_open(&s, "Europe/Berlin", t));
	assert_int_equal(policy_schedule_next(&s, "Europe/Berlin", t), 0);
	/* windows that cover the whole week never change either */
	parse_sched("Mon-Sun 00:00-24:00", &s);
	assert_true(policy_schedule_open(&s, "Europe/Berlin", t));
	assert_int_equal(policy_schedule_next(&s, "Europe/Berlin", t), 0);
	parse_sched("Mon-Sun 20:00-10:00, 09:00-21:00", &s);
	assert_int_equal(policy_schedule_next(&s, "Europe/Berlin", t), 0);
	/* the process's zone is put back */
	assert_true((tz == NULL) == (getenv("TZ") == NULL));
	if (tz)
		assert_string_equal(getenv("TZ"), tz);
}

static void test_local_zone(void **state)
{
	struct policy_schedule s;

	(void)state;
	setenv("TZ", ":America/New_York", 1);
	tzset();
	parse_sched("Mon-Fri 08:00-18:00", &s);
	assert_int_equal(policy_schedule_next(&s, NULL, utc("2026-07-15 17:30:00")),
			 utc("2026-07-15 22:00:00"));
	assert_int_equal(policy_schedule_next(&s, "", utc("2026-07-15 17:30:00")),
			 utc("2026-07-15 22:00:00"));
	assert_int_equal(policy_schedule_next(&s, "Europe/Berlin", utc("2026-07-15 10:00:00")),
			 utc("2026-07-15 16:00:00"));
	assert_string_equal(getenv("TZ"), ":America/New_York");
	unsetenv("TZ");
	tzset();
}

static void test_copy(void **state)
{
	struct policy a, b;

	(void)state;
	policy_init(&a);
	policy_init(&b);
	assert_int_equal(a.idle_s, POLICY_IDLE_DEFAULT);
	assert_int_equal(policy_dests_parse("10.0.0.0/8 10.1.2.3:443/tcp", &a.dests, &a.n_dests,
					    why, sizeof(why)), 0);
	assert_int_equal(policy_sources_parse("203.0.113.0/24", &a.sources, why, sizeof(why)), 0);
	a.isolate = true;
	a.max_maps = 3;
	policy_copy(&b, &a);
	assert_ptr_not_equal(a.dests, b.dests);
	assert_int_equal(b.n_dests, 2);
	assert_memory_equal(a.dests, b.dests, 2 * sizeof(*a.dests));
	assert_true(cidrv_equal(&a.sources, &b.sources));
	assert_true(b.isolate);
	assert_int_equal(b.max_maps, 3);
	policy_copy(&b, &a);
	policy_clear(&a);
	assert_int_equal(a.n_dests, 0);
	assert_int_equal(b.n_dests, 2);
	policy_clear(&b);
	policy_clear(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dests),
		cmocka_unit_test(test_dests_many),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_schedule_parse),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_schedule_time),
		cmocka_unit_test(test_schedule_dst),
		cmocka_unit_test(test_schedule_constant),
		cmocka_unit_test(test_local_zone),
		cmocka_unit_test(test_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
