/* The value syntaxes of the admin command line (DATE, DURATION, SIZE, user names) and
 * their output forms; pure functions, no I/O besides the local time zone. */
#ifndef WARREN_VALUES_H
#define WARREN_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every parser returns 0, or -EINVAL with one line in why (when why is not NULL) that
 * quotes the offending value, e.g. `date "2027-02-30": day out of range`. Quoted values
 * are cut to 40 characters and non-printable bytes shown as '?', so the line stays one. */

#define VALUES_USER_NAME_MAX 32
/* Big enough for any uint64_t ("16777216.0 TiB") and any 64-bit time. */
#define VALUES_SIZE_STRLEN 32
#define VALUES_TIME_STRLEN 32

/* DATE: YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM|-HH:MM]] in local time (the TZ of the process,
 * mktime with tm_isdst = -1), or in the zone given after a time (a browser's: Z is UTC,
 * offsets up to 14:59). Strict: four-digit year 1970..9999, two-digit fields, a real
 * calendar day (2028-02-29 yes, 2027-02-29 no), hours 00..23 (24:00 is refused), minutes
 * and seconds 00..59, nothing after. A bare date is 00:00 of that day (what --since
 * wants). A wall time that does not exist (skipped by a DST change) is moved forward by
 * mktime. */
int values_parse_date(const char *s, int64_t *unix_time, char *why, size_t whylen);

/* DURATION: N followed by s, m, h or d (N > 0, decimal digits only: no sign, spaces or
 * fraction); -EINVAL also when N times the unit does not fit an int64_t. */
int values_parse_duration(const char *s, int64_t *seconds, char *why, size_t whylen);

/* What --expires takes: a DURATION counted from now, or a DATE. A bare date means the
 * end of that day: the expiry is 00:00 of the next day, so `--expires 2027-01-31` keeps
 * the user working all through January 31. A time of day is taken as written. The result
 * may lie in the past; refusing that is the caller's call. */
int values_parse_expiry(const char *s, int64_t now, int64_t *unix_time, char *why,
			size_t whylen);

/* SIZE: N followed by B, KiB, MiB, GiB or TiB (binary, case-sensitive, no space, N > 0
 * in decimal digits), optionally "/month" (then *monthly is true). 0 is refused (no quota
 * is said differently) and so is anything above INT64_MAX bytes (what the database keeps). */
int values_parse_size(const char *s, uint64_t *bytes, bool *monthly, char *why,
		      size_t whylen);

/* "512 B", "50 GiB" when exact, else one decimal rounded down in the largest unit that
 * fits, up to TiB: "1.5 GiB", "1.0 GiB" for one byte more than 1 GiB. Returns buf. */
char *values_format_size(uint64_t bytes, char *buf, size_t len);

/* Local "YYYY-MM-DD HH:MM"; "?" when the time cannot be converted. Returns buf. */
char *values_format_time(int64_t unix_time, char *buf, size_t len);
/* An expiry, the instant access ends, as its meaning was typed: local
 * "YYYY-MM-DD HH:MM:SS", except that one at local midnight (what a bare date gives) is
 * the end of the day before, "YYYY-MM-DD 23:59:59". Returns buf. */
char *values_format_expiry(int64_t unix_time, char *buf, size_t len);

/* Monthly quota periods begin at 00:00 local time on the reset day (1..31; a day the
 * month lacks means its last day). values_period_start: the start of the period that
 * holds now. values_period_next: the first period start after start. */
int64_t values_period_start(int64_t now, int day);
int64_t values_period_next(int64_t start, int day);

/* A user name: 1 to VALUES_USER_NAME_MAX characters of a-z, 0-9, '.', '_' and '-',
 * starting with a letter or digit (so it is safe as a file name and in a config). Returns
 * true, or false with the reason in why. */
bool values_user_name_ok(const char *name, char *why, size_t whylen);
/* The same rules for other names (devices, tokens); what names it in the message. */
bool values_name_ok(const char *what, const char *name, char *why, size_t whylen);

#endif
