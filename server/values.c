/* Parsers and formatters for the admin command line's DATE, DURATION, SIZE and names. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "values.h"

#define QUOTE_MAX 40

/* The bad value as it goes into an error line: bounded and free of control bytes. */
static void quote(char out[QUOTE_MAX + 4], const char *s)
{
	size_t i;

	for (i = 0; s[i] && i < QUOTE_MAX; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

static int fail(char *why, size_t whylen, const char *what, const char *s, const char *reason)
{
	char q[QUOTE_MAX + 4];

	if (why && whylen) {
		quote(q, s);
		snprintf(why, whylen, "%s \"%s\": %s", what, q, reason);
	}
	return -EINVAL;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Exactly n digits at s. */
static bool fixed_digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/* A positive decimal number of digits only, at most max; *end after the last digit.
 * 1 when it is too large, -1 when there are no digits, 0 otherwise. */
static int leading_number(const char *s, uint64_t max, uint64_t *v, const char **end)
{
	const char *p = s;

	*v = 0;
	for (; is_digit(*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (*v > (max - d) / 10) {
			while (is_digit(*p))
				p++;
			*end = p;
			return 1;
		}
		*v = *v * 10 + d;
	}
	*end = p;
	return p == s ? -1 : 0;
}

static bool leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

static int parse_date(const char *s, bool end_of_day, int64_t *unix_time, char *why,
		      size_t whylen)
{
	static const char syntax[] = "expected YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]";
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
	bool bare = true, zoned = false;
	long off = 0;
	struct tm tm;
	time_t t;

	if (!fixed_digits(s, 4, &y) || s[4] != '-' || !fixed_digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !fixed_digits(s + 8, 2, &d))
		return fail(why, whylen, "date", s, syntax);
	if (s[10] != '\0') {
		const char *p = s + 10;

		bare = false;
		if (p[0] != 'T' || !fixed_digits(p + 1, 2, &h) || p[3] != ':' ||
		    !fixed_digits(p + 4, 2, &mi))
			return fail(why, whylen, "date", s, syntax);
		p += 6;
		if (*p == ':') {
			if (!fixed_digits(p + 1, 2, &sec))
				return fail(why, whylen, "date", s, syntax);
			p += 3;
		}
		/* A zone of its own (a browser's, say): Z or +HH:MM / -HH:MM from UTC. */
		if (*p == 'Z' && p[1] == '\0') {
			zoned = true;
		} else if ((*p == '+' || *p == '-') && fixed_digits(p + 1, 2, &oh) && p[3] == ':' &&
			   fixed_digits(p + 4, 2, &om) && p[6] == '\0') {
			if (oh > 14 || om > 59)
				return fail(why, whylen, "date", s, "zone offset out of range");
			zoned = true;
			off = (*p == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
		} else if (*p != '\0') {
			return fail(why, whylen, "date", s, syntax);
		}
	}
	if (y < 1970)
		return fail(why, whylen, "date", s, "year out of range");
	if (mo < 1 || mo > 12)
		return fail(why, whylen, "date", s, "month out of range");
	if (d < 1 || d > days_in_month(y, mo))
		return fail(why, whylen, "date", s, "day out of range");
	if (h > 23)
		return fail(why, whylen, "date", s, "hour out of range");
	if (mi > 59)
		return fail(why, whylen, "date", s, "minute out of range");
	if (sec > 59)
		return fail(why, whylen, "date", s, "second out of range");

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	/* mktime carries the 32nd into the next month and year. */
	tm.tm_mday = d + (bare && end_of_day ? 1 : 0);
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	if (zoned) {
		*unix_time = (int64_t)timegm(&tm) - off;
		return 0;
	}
	errno = 0;
	t = mktime(&tm);
	if (t == (time_t)-1 && errno != 0)
		return fail(why, whylen, "date", s, "not a representable local time");
	*unix_time = (int64_t)t;
	return 0;
}

int values_parse_date(const char *s, int64_t *unix_time, char *why, size_t whylen)
{
	return parse_date(s, false, unix_time, why, whylen);
}

int values_parse_duration(const char *s, int64_t *seconds, char *why, size_t whylen)
{
	static const char syntax[] = "expected N followed by s, m, h or d";
	const char *end;
	uint64_t n, unit;
	int r;

	r = leading_number(s, INT64_MAX, &n, &end);
	if (r < 0 || !end[0] || end[1])
		return fail(why, whylen, "duration", s, syntax);
	switch (end[0]) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default:
		return fail(why, whylen, "duration", s, syntax);
	}
	if (r > 0 || n > (uint64_t)INT64_MAX / unit)
		return fail(why, whylen, "duration", s, "too large");
	if (n == 0)
		return fail(why, whylen, "duration", s, "must be greater than 0");
	*seconds = (int64_t)(n * unit);
	return 0;
}

int values_parse_expiry(const char *s, int64_t now, int64_t *unix_time, char *why,
			size_t whylen)
{
	size_t len = strlen(s);
	int64_t d;
	int r;

	if (len >= 5 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) &&
	    is_digit(s[3]) && s[4] == '-')
		return parse_date(s, true, unix_time, why, whylen);
	if (len == 0 || !strchr("smhd", s[len - 1]))
		return fail(why, whylen, "expiry", s,
			    "expected a date YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]] or a duration N followed by s, m, h or d");
	r = values_parse_duration(s, &d, why, whylen);
	if (r < 0)
		return r;
	if (now > INT64_MAX - d)
		return fail(why, whylen, "expiry", s, "too far in the future");
	*unix_time = now + d;
	return 0;
}

static const struct {
	const char *name;
	unsigned shift;
} size_units[] = {
	{ "B", 0 }, { "KiB", 10 }, { "MiB", 20 }, { "GiB", 30 }, { "TiB", 40 },
};

int values_parse_size(const char *s, uint64_t *bytes, bool *monthly, char *why,
		      size_t whylen)
{
	static const char syntax[] =
		"expected N followed by B, KiB, MiB, GiB or TiB, optionally /month";
	const char *end, *suffix;
	size_t i, ulen;
	uint64_t n;
	int r;

	r = leading_number(s, INT64_MAX, &n, &end);
	if (r < 0)
		return fail(why, whylen, "size", s, syntax);
	for (i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++) {
		ulen = strlen(size_units[i].name);
		if (strncmp(end, size_units[i].name, ulen) == 0)
			break;
	}
	if (i == sizeof(size_units) / sizeof(size_units[0]))
		return fail(why, whylen, "size", s, syntax);
	suffix = end + ulen;
	if (*suffix != '\0' && strcmp(suffix, "/month") != 0)
		return fail(why, whylen, "size", s, syntax);
	if (r > 0 || n > (uint64_t)INT64_MAX >> size_units[i].shift)
		return fail(why, whylen, "size", s, "too large");
	if (n == 0)
		return fail(why, whylen, "size", s, "must be greater than 0");
	*bytes = n << size_units[i].shift;
	*monthly = *suffix != '\0';
	return 0;
}

char *values_format_size(uint64_t bytes, char *buf, size_t len)
{
	size_t i = sizeof(size_units) / sizeof(size_units[0]) - 1;
	uint64_t unit, whole, tenth;

	while (i > 0 && bytes < (UINT64_C(1) << size_units[i].shift))
		i--;
	unit = UINT64_C(1) << size_units[i].shift;
	whole = bytes / unit;
	/* bytes % unit < 2^40, so times 10 cannot overflow; rounding down never shows
	 * "1024.0 KiB" for a value just under 1 MiB. */
	tenth = (bytes % unit) * 10 / unit;
	if (bytes % unit == 0)
		snprintf(buf, len, "%llu %s", (unsigned long long)whole, size_units[i].name);
	else
		snprintf(buf, len, "%llu.%llu %s", (unsigned long long)whole,
			 (unsigned long long)tenth, size_units[i].name);
	return buf;
}

char *values_format_time(int64_t unix_time, char *buf, size_t len)
{
	time_t t = (time_t)unix_time;
	struct tm tm;

	if (!localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, len, "?");
	return buf;
}

char *values_format_expiry(int64_t unix_time, char *buf, size_t len)
{
	time_t t = (time_t)unix_time;
	struct tm tm;

	if (!localtime_r(&t, &tm))
		goto bad;
	if (tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0) {
		t--;
		if (!localtime_r(&t, &tm))
			goto bad;
	}
	if (strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) != 0)
		return buf;
bad:
	snprintf(buf, len, "?");
	return buf;
}

bool values_name_ok(const char *what, const char *name, char *why, size_t whylen)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > VALUES_USER_NAME_MAX) {
		fail(why, whylen, what, name, "must be 1 to 32 characters");
		return false;
	}
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!(c >= 'a' && c <= 'z') && !is_digit(c) && c != '.' && c != '_' && c != '-') {
			fail(why, whylen, what, name, "only a-z, 0-9, '.', '_' and '-' are allowed");
			return false;
		}
	}
	if (!(name[0] >= 'a' && name[0] <= 'z') && !is_digit(name[0])) {
		fail(why, whylen, what, name, "must start with a letter or digit");
		return false;
	}
	return true;
}

bool values_user_name_ok(const char *name, char *why, size_t whylen)
{
	return values_name_ok("user name", name, why, whylen);
}

/* 00:00 local time on `day` (clamped to the month's length) of month m (0-based, may run
 * past 11 or below 0) of year y. */
static int64_t reset_time(int y, int m, int day)
{
	struct tm tm = { 0 };

	y += m / 12 - (m % 12 < 0);
	m = ((m % 12) + 12) % 12;
	tm.tm_year = y - 1900;
	tm.tm_mon = m;
	tm.tm_mday = day < days_in_month(y, m + 1) ? day : days_in_month(y, m + 1);
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

int64_t values_period_start(int64_t now, int day)
{
	time_t t = (time_t)now;
	struct tm tm;
	int64_t start;

	if (day < 1 || day > 31)
		day = 1;
	if (!localtime_r(&t, &tm))
		return now;
	start = reset_time(tm.tm_year + 1900, tm.tm_mon, day);
	return start <= now ? start : reset_time(tm.tm_year + 1900, tm.tm_mon - 1, day);
}

int64_t values_period_next(int64_t start, int day)
{
	time_t t = (time_t)start;
	struct tm tm;
	int64_t next;

	if (day < 1 || day > 31)
		day = 1;
	if (!localtime_r(&t, &tm))
		return start + 28 * 86400;
	/* The reset of this month when start lies before it (a start from before the day was
	 * set), else next month's. */
	next = reset_time(tm.tm_year + 1900, tm.tm_mon, day);
	return next > start ? next : reset_time(tm.tm_year + 1900, tm.tm_mon + 1, day);
}
