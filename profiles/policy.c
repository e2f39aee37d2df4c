/* A group's access policy as data: exact parsers and canonical printers of its fields,
 * and the weekly schedule evaluated in an IANA time zone. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "policy.h"

#define SEPS ", \t\r\n"
#define ITEM_MAX 128                 /* the longest list item quoted back in a reason */
#define RATE_MAX 1000000000000ULL    /* 1000Gbit */

static int fail(char *why, size_t whylen, const char *item, size_t ilen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int fail(char *why, size_t whylen, const char *item, size_t ilen, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(reason, sizeof(reason), fmt, ap);
		va_end(ap);
		if (ilen > ITEM_MAX)
			snprintf(why, whylen, "\"%.*s...\": %s", ITEM_MAX, item, reason);
		else
			snprintf(why, whylen, "\"%.*s\": %s", (int)ilen, item, reason);
	}
	return -EINVAL;
}

/* The next item of a list separated by commas and blanks: *len bytes at the returned
 * pointer, or NULL at the end. */
static const char *next_item(const char **s, size_t *len)
{
	const char *p = *s + strspn(*s, SEPS);

	if (!*p)
		return NULL;
	*len = strcspn(p, SEPS);
	*s = p + *len;
	return p;
}

/* ---- prefixes ---- */

/* A prefix of text t (n bytes, NUL-free), host bits clear. */
static int net_parse(const char *item, size_t ilen, const char *t, size_t n, struct cidr *c,
		     char *why, size_t whylen)
{
	char buf[80];
	int r;

	if (n == 0 || n >= sizeof(buf))
		return fail(why, whylen, item, ilen, "not an address");
	memcpy(buf, t, n);
	buf[n] = '\0';
	r = cidr_parse(c, buf);
	if (r == -ERANGE)
		return fail(why, whylen, item, ilen, "prefix longer than %d",
			    strchr(buf, ':') ? 128 : 32);
	if (r < 0)
		return fail(why, whylen, item, ilen, "not an address");
	if (cidr_host_bits_set(c)) {
		struct cidr m = *c;
		char mb[CIDR_STRLEN];

		cidr_mask(&m);
		return fail(why, whylen, item, ilen, "host bits set (the network is %s)",
			    cidr_fmt(&m, mb));
	}
	return 0;
}

/* A prefix, without its length when it is a single address. */
static char *net_fmt(const struct cidr *c, char *buf)
{
	return c->prefix == (c->family == AF_INET ? 32 : 128) ? ip_fmt(c, buf) : cidr_fmt(c, buf);
}

/* ---- destinations ---- */

static int port_parse(const char *t, size_t n, uint16_t *v)
{
	unsigned long x = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (t[i] < '0' || t[i] > '9')
			return -EINVAL;
		x = x * 10 + (unsigned long)(t[i] - '0');
	}
	if (x < 1 || x > 65535)
		return -ERANGE;
	*v = (uint16_t)x;
	return 0;
}

static int dest_parse_n(const char *s, size_t len, struct policy_dest *out, char *why,
			size_t whylen)
{
	struct policy_dest d = { 0 };
	const char *end = s + len, *net, *netend, *ports = NULL, *slash, *dash;
	size_t plen = 0;
	int r;

	/* a trailing /tcp or /udp: anything else after the last slash is a prefix length */
	slash = memrchr(s, '/', len);
	if (slash && slash + 1 < end && !isdigit((unsigned char)slash[1])) {
		size_t n = (size_t)(end - slash - 1);

		if (n == 3 && strncasecmp(slash + 1, "tcp", 3) == 0)
			d.proto = IPPROTO_TCP;
		else if (n == 3 && strncasecmp(slash + 1, "udp", 3) == 0)
			d.proto = IPPROTO_UDP;
		else
			return fail(why, whylen, s, len, "protocol must be tcp or udp");
		end = slash;
	}
	net = s;
	netend = end;
	if (net < end && *net == '[') {
		const char *rb = memchr(net, ']', (size_t)(end - net));
		char buf[80];
		size_t alen;

		if (!rb)
			return fail(why, whylen, s, len, "missing ]");
		alen = (size_t)(rb - net - 1);
		if (!memchr(net + 1, ':', alen))
			return fail(why, whylen, s, len, "brackets are for IPv6 addresses");
		/* [v6]/n:ports or [v6]:ports: the prefix length is pasted behind the address */
		const char *after = rb + 1, *colon = memchr(after, ':', (size_t)(end - after));
		size_t tail = (size_t)((colon ? colon : end) - after);

		if (tail && *after != '/')
			return fail(why, whylen, s, len, "not an address");
		if (alen + tail >= sizeof(buf))
			return fail(why, whylen, s, len, "not an address");
		memcpy(buf, net + 1, alen);
		memcpy(buf + alen, after, tail);
		if ((r = net_parse(s, len, buf, alen + tail, &d.net, why, whylen)) < 0)
			return r;
		if (colon) {
			ports = colon + 1;
			plen = (size_t)(end - ports);
		}
	} else {
		const char *colon = memchr(net, ':', (size_t)(end - net));

		/* one colon: IPv4 with a port; more: a bare IPv6 prefix, which has none */
		if (colon && !memchr(colon + 1, ':', (size_t)(end - colon - 1))) {
			netend = colon;
			ports = colon + 1;
			plen = (size_t)(end - ports);
		}
		if ((r = net_parse(s, len, net, (size_t)(netend - net), &d.net, why, whylen)) < 0)
			return r;
		if (ports && d.net.family != AF_INET)
			return fail(why, whylen, s, len, "not an address");
	}
	if (ports) {
		dash = memchr(ports, '-', plen);
		if (port_parse(ports, dash ? (size_t)(dash - ports) : plen, &d.port_lo) < 0 ||
		    port_parse(dash ? dash + 1 : ports,
			       dash ? (size_t)(ports + plen - dash - 1) : plen, &d.port_hi) < 0)
			return fail(why, whylen, s, len,
				    "bad port (1-65535 or a range such as 1000-2000)");
		if (d.port_lo > d.port_hi)
			return fail(why, whylen, s, len, "port range runs backwards");
	}
	*out = d;
	return 0;
}

int policy_dest_parse(const char *s, struct policy_dest *d, char *why, size_t whylen)
{
	size_t n = strlen(s);

	if (n == 0)
		return fail(why, whylen, s, 0, "empty destination");
	if (strcspn(s, SEPS) != n)
		return fail(why, whylen, s, n, "one destination has no blanks or commas");
	return dest_parse_n(s, n, d, why, whylen);
}

static char *dest_fmt(const struct policy_dest *d, char *buf, size_t len)
{
	char nb[CIDR_STRLEN], pb[16] = "", proto[8] = "";

	net_fmt(&d->net, nb);
	if (d->port_lo) {
		if (d->port_lo == d->port_hi)
			snprintf(pb, sizeof(pb), ":%u", d->port_lo);
		else
			snprintf(pb, sizeof(pb), ":%u-%u", d->port_lo, d->port_hi);
	}
	if (d->proto == IPPROTO_TCP)
		snprintf(proto, sizeof(proto), "/tcp");
	else if (d->proto == IPPROTO_UDP)
		snprintf(proto, sizeof(proto), "/udp");
	if (d->port_lo && d->net.family == AF_INET6) {
		char *slash = strchr(nb, '/');

		if (slash) {
			*slash = '\0';
			snprintf(buf, len, "[%s]/%s%s%s", nb, slash + 1, pb, proto);
		} else {
			snprintf(buf, len, "[%s]%s%s", nb, pb, proto);
		}
	} else {
		snprintf(buf, len, "%s%s%s", nb, pb, proto);
	}
	return buf;
}

char *policy_dests_fmt(const struct policy_dest *v, size_t n, char *buf, size_t len)
{
	size_t i, off = 0;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < n && off + 1 < len; i++) {
		char one[96];

		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					dest_fmt(&v[i], one, sizeof(one)));
	}
	return buf;
}

int policy_dests_parse(const char *s, struct policy_dest **v, size_t *n, char *why,
		       size_t whylen)
{
	struct policy_dest *d = NULL;
	const char *p = s, *item;
	size_t k = 0, ilen;
	char *buf;
	int r = 0;

	while ((item = next_item(&p, &ilen))) {
		if (k == POLICY_DESTS_MAX) {
			r = fail(why, whylen, item, ilen, "more than %d destinations",
				 POLICY_DESTS_MAX);
			goto out;
		}
		d = xrealloc(d, (k + 1) * sizeof(*d));
		if ((r = dest_parse_n(item, ilen, &d[k], why, whylen)) < 0)
			goto out;
		k++;
	}
	/* what cannot be printed whole would not read back the same */
	buf = xmalloc(POLICY_STRLEN + 1);
	if (strlen(policy_dests_fmt(d, k, buf, POLICY_STRLEN + 1)) >= POLICY_STRLEN)
		r = fail(why, whylen, s, strlen(s), "longer than %d bytes when written out",
			 POLICY_STRLEN - 1);
	free(buf);
out:
	if (r < 0) {
		free(d);
		return r;
	}
	*v = d;
	*n = k;
	return 0;
}

/* ---- sources ---- */

int policy_sources_parse(const char *s, struct cidrv *v, char *why, size_t whylen)
{
	struct cidrv out = { 0 };
	const char *p = s, *item;
	size_t ilen;
	int r;

	while ((item = next_item(&p, &ilen))) {
		struct cidr c;

		if (out.n == POLICY_SOURCES_MAX) {
			r = fail(why, whylen, item, ilen, "more than %d sources",
				 POLICY_SOURCES_MAX);
			goto err;
		}
		if ((r = net_parse(item, ilen, item, ilen, &c, why, whylen)) < 0)
			goto err;
		cidrv_push(&out, &c);
	}
	*v = out;
	return 0;
err:
	cidrv_clear(&out);
	return r;
}

char *policy_sources_fmt(const struct cidrv *v, char *buf, size_t len)
{
	size_t i, off = 0;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < v->n && off + 1 < len; i++) {
		char one[CIDR_STRLEN];

		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					net_fmt(&v->v[i], one));
	}
	return buf;
}

/* ---- schedule ---- */

static const char *const day_names[7] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

static int day_parse(const char *t, size_t n)
{
	int i;

	if (n != 3)
		return -1;
	for (i = 0; i < 7; i++)
		if (strncasecmp(t, day_names[i], 3) == 0)
			return i;
	return -1;
}

/* "HH:MM" into minutes of the day; 24:00 only where end allows it. */
static int time_parse(const char *t, size_t n, bool end)
{
	int h, m;

	if (n != 5 || !isdigit((unsigned char)t[0]) || !isdigit((unsigned char)t[1]) ||
	    t[2] != ':' || !isdigit((unsigned char)t[3]) || !isdigit((unsigned char)t[4]))
		return -1;
	h = (t[0] - '0') * 10 + (t[1] - '0');
	m = (t[3] - '0') * 10 + (t[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && (m || !end)))
		return -1;
	return h * 60 + m;
}

/* One item: [DAY[-DAY]] [HH:MM-HH:MM]; at least one of them. */
static int window_item(const char *s, size_t len, struct policy_schedule *sch, char *why,
		       size_t whylen)
{
	const char *p = s, *end = s + len, *sp;
	int d0 = 0, d1 = 6, t0 = 0, t1 = 24 * 60, d, ndays;
	bool have_days = false;

	while (p < end && isblank((unsigned char)*p))
		p++;
	while (end > p && isblank((unsigned char)end[-1]))
		end--;
	/* the reasons quote the item without the blanks around it */
	s = p;
	len = (size_t)(end - p);
	if (p == end)
		return fail(why, whylen, s, len, "empty window");
	if (isalpha((unsigned char)*p)) {
		const char *dash;

		sp = p;
		while (sp < end && !isblank((unsigned char)*sp))
			sp++;
		dash = memchr(p, '-', (size_t)(sp - p));
		d0 = day_parse(p, dash ? (size_t)(dash - p) : (size_t)(sp - p));
		d1 = dash ? day_parse(dash + 1, (size_t)(sp - dash - 1)) : d0;
		if (d0 < 0 || d1 < 0)
			return fail(why, whylen, s, len, "bad day (Mon, Tue, ... Sun)");
		have_days = true;
		p = sp;
		while (p < end && isblank((unsigned char)*p))
			p++;
	}
	if (p < end) {
		const char *dash = memchr(p, '-', (size_t)(end - p));

		if (!dash)
			return fail(why, whylen, s, len, "bad time");
		t0 = time_parse(p, (size_t)(dash - p), false);
		t1 = time_parse(dash + 1, (size_t)(end - dash - 1), true);
		if (t0 < 0 || t1 < 0)
			return fail(why, whylen, s, len, "bad time");
		if (t0 == t1)
			return fail(why, whylen, s, len, "window is empty (start equals end)");
	} else if (!have_days) {
		return fail(why, whylen, s, len, "bad time");
	}
	ndays = (d1 - d0 + 7) % 7 + 1;
	if (sch->n + (size_t)ndays > POLICY_WINDOWS_MAX)
		return fail(why, whylen, s, len, "more than %d windows in the week",
			    POLICY_WINDOWS_MAX);
	for (d = 0; d < ndays; d++) {
		struct policy_window *w = &sch->w[sch->n++];

		w->start = (uint16_t)(((d0 + d) % 7) * 1440 + t0);
		/* crossing midnight goes on into the next day */
		w->len = (uint16_t)(t1 > t0 ? t1 - t0 : 1440 - t0 + t1);
	}
	return 0;
}

int policy_schedule_parse(const char *s, struct policy_schedule *out, char *why,
			  size_t whylen)
{
	struct policy_schedule *sch = xcalloc(1, sizeof(*sch));
	const char *p = s;
	size_t n = strlen(s);
	int r = 0;

	/* the words, alone, blanks around them allowed */
	const char *a = s + strspn(s, " \t");
	size_t alen = strcspn(a, " \t");

	if (a[alen + strspn(a + alen, " \t")] == '\0' &&
	    ((alen == 6 && strncasecmp(a, "always", 6) == 0) ||
	     (alen == 5 && strncasecmp(a, "never", 5) == 0))) {
		sch->never = alen == 5;
		goto done;
	}
	if (!*a) {
		r = fail(why, whylen, s, n, "empty schedule (always, never or windows such as "
			 "\"Mon-Fri 08:00-18:00\")");
		goto out;
	}
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t ilen = comma ? (size_t)(comma - p) : strlen(p);

		if ((r = window_item(p, ilen, sch, why, whylen)) < 0)
			goto out;
		if (!comma)
			break;
		p = comma + 1;
	}
done:
	*out = *sch;
out:
	free(sch);
	return r;
}

static void hm(char *buf, size_t len, unsigned int m)
{
	snprintf(buf, len, "%02u:%02u", m / 60, m % 60);
}

char *policy_schedule_fmt(const struct policy_schedule *sch, char *buf, size_t len)
{
	size_t i = 0, off = 0;

	if (sch->never) {
		snprintf(buf, len, "never");
		return buf;
	}
	if (sch->n == 0) {
		snprintf(buf, len, "always");
		return buf;
	}
	if (len)
		buf[0] = '\0';
	while (i < sch->n && off + 1 < len) {
		const struct policy_window *w = &sch->w[i];
		unsigned int day = w->start / 1440, t0 = w->start % 1440;
		unsigned int t1 = (t0 + w->len) % 1440, run = 1;
		char a[8], b[8];

		/* windows of the following days at the same time read as a day range: that is
		 * what the parser makes of one */
		while (i + run < sch->n && run < 7 && w->len <= 1440 &&
		       sch->w[i + run].len == w->len &&
		       sch->w[i + run].start == ((day + run) % 7) * 1440 + t0)
			run++;
		hm(a, sizeof(a), t0);
		/* a window that ends at midnight ends at 24:00 (the parser never makes one
		 * longer than a day) */
		hm(b, sizeof(b), t1 == 0 && t0 + w->len == 1440 ? 1440 : t1);
		if (run > 1)
			off += (size_t)snprintf(buf + off, len - off, "%s%s-%s %s-%s",
						off ? ", " : "", day_names[day],
						day_names[(day + run - 1) % 7], a, b);
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%s %s-%s",
						off ? ", " : "", day_names[day], a, b);
		i += run;
	}
	return buf;
}

/* ---- schedule in time ---- */

/* The zone is switched for the process (TZ=":NAME", tzset) around one computation and put
 * back: glibc then reads the zoneinfo file itself, DST rules and history included. The
 * daemon is single-threaded, so nothing else sees the switch. */
struct tzsave {
	char *old;
	bool had, switched;
};

static void tz_enter(struct tzsave *s, const char *tz)
{
	const char *cur = getenv("TZ");
	char *want;

	s->switched = tz && *tz;
	if (!s->switched)
		return;
	s->had = cur != NULL;
	s->old = cur ? xstrdup(cur) : NULL;
	if (asprintf(&want, ":%s", tz) < 0)
		abort();
	setenv("TZ", want, 1);
	free(want);
	tzset();
}

static void tz_leave(struct tzsave *s)
{
	if (!s->switched)
		return;
	if (s->had)
		setenv("TZ", s->old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(s->old);
}

/* Local minute of the week (0 = Monday 00:00), seconds into it and the UTC offset. */
static unsigned int week_minute(time_t t, int *sec, long *gmtoff)
{
	struct tm tm;

	localtime_r(&t, &tm);
	if (sec)
		*sec = tm.tm_sec;
	if (gmtoff)
		*gmtoff = tm.tm_gmtoff;
	return (unsigned int)(((tm.tm_wday + 6) % 7) * 1440 + tm.tm_hour * 60 + tm.tm_min);
}

static bool open_at(const struct policy_schedule *sch, unsigned int m)
{
	size_t i;

	for (i = 0; i < sch->n; i++)
		if ((m + POLICY_WEEK_MIN - sch->w[i].start) % POLICY_WEEK_MIN < sch->w[i].len)
			return true;
	return false;
}

bool policy_schedule_open(const struct policy_schedule *sch, const char *tz, time_t t)
{
	struct tzsave s;
	bool open;

	if (sch->never)
		return false;
	if (sch->n == 0)
		return true;
	tz_enter(&s, tz);
	open = open_at(sch, week_minute(t, NULL, NULL));
	tz_leave(&s);
	return open;
}

/* Minutes from m to the next window edge after it (1 .. POLICY_WEEK_MIN). */
static unsigned int to_edge(const struct policy_schedule *sch, unsigned int m)
{
	unsigned int best = POLICY_WEEK_MIN, e, d;
	size_t i;
	int k;

	for (i = 0; i < sch->n; i++)
		for (k = 0; k < 2; k++) {
			e = (sch->w[i].start + (k ? sch->w[i].len : 0u)) % POLICY_WEEK_MIN;
			d = (e + POLICY_WEEK_MIN - m) % POLICY_WEEK_MIN;
			if (d && d < best)
				best = d;
		}
	return best;
}

time_t policy_schedule_next(const struct policy_schedule *sch, const char *tz, time_t t)
{
	struct tzsave s;
	time_t x = t, y, ret = 0;
	bool cur;
	int sec, i;
	long off, off2;

	if (sch->never || sch->n == 0)
		return 0;
	tz_enter(&s, tz);
	cur = open_at(sch, week_minute(t, NULL, NULL));
	/* From edge to edge in local time; an offset change between two edges (DST) is a
	 * step of its own, found by bisection: a window starting in a gap opens at the
	 * first minute that exists, one in a repeated hour is open both times. Two weeks
	 * without a change: the windows cover the week or overlap into it. */
	for (i = 0; i < 8 * POLICY_WINDOWS_MAX + 16 && x - t < 15 * 86400; i++) {
		unsigned int m = week_minute(x, &sec, &off);

		y = x + (time_t)to_edge(sch, m) * 60 - sec;
		week_minute(y, NULL, &off2);
		if (off2 != off) {
			time_t lo = x, hi = y;

			while (hi - lo > 1) {
				time_t mid = lo + (hi - lo) / 2;

				week_minute(mid, NULL, &off2);
				if (off2 != off)
					hi = mid;
				else
					lo = mid;
			}
			y = hi;
		}
		if (open_at(sch, week_minute(y, NULL, NULL)) != cur) {
			ret = y;
			break;
		}
		x = y;
	}
	tz_leave(&s);
	return ret;
}

/* ---- rate ---- */

static int one_rate(const char *item, size_t ilen, const char *t, size_t n, uint64_t *bps,
		    char *why, size_t whylen)
{
	static const struct { const char *name; uint64_t mul; } units[] = {
		{ "bit", 1 }, { "kbit", 1000 }, { "mbit", 1000000 }, { "gbit", 1000000000 },
	};
	uint64_t whole = 0, frac = 0, fdiv = 1, mul = 0;
	size_t i = 0, u;
	bool digits = false;

	if (n == 9 && strncasecmp(t, "unlimited", 9) == 0) {
		*bps = 0;
		return 0;
	}
	for (; i < n && isdigit((unsigned char)t[i]); i++, digits = true) {
		if (whole > RATE_MAX)
			return fail(why, whylen, item, ilen, "more than 1000Gbit");
		whole = whole * 10 + (uint64_t)(t[i] - '0');
	}
	if (i < n && t[i] == '.') {
		for (i++; i < n && isdigit((unsigned char)t[i]); i++, digits = true) {
			if (fdiv >= 1000000000)
				return fail(why, whylen, item, ilen, "too many decimals");
			frac = frac * 10 + (uint64_t)(t[i] - '0');
			fdiv *= 10;
		}
	}
	if (!digits)
		return fail(why, whylen, item, ilen, "not a rate (such as 20Mbit, or unlimited)");
	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++)
		if (n - i == strlen(units[u].name) && strncasecmp(t + i, units[u].name, n - i) == 0)
			mul = units[u].mul;
	if (!mul)
		return fail(why, whylen, item, ilen, "bad unit (bit, kbit, Mbit or Gbit)");
	if (whole > RATE_MAX / mul)
		return fail(why, whylen, item, ilen, "more than 1000Gbit");
	if ((frac * mul) % fdiv)
		return fail(why, whylen, item, ilen, "not a whole number of bits per second");
	*bps = whole * mul + frac * mul / fdiv;
	if (*bps > RATE_MAX)
		return fail(why, whylen, item, ilen, "more than 1000Gbit");
	if (!*bps)
		return fail(why, whylen, item, ilen, "zero (write unlimited for no limit)");
	return 0;
}

int policy_rate_parse(const char *s, struct policy_rate *r, char *why, size_t whylen)
{
	const char *a = s + strspn(s, " \t"), *slash;
	size_t n = strlen(a);
	struct policy_rate v;
	int ret;

	while (n && (a[n - 1] == ' ' || a[n - 1] == '\t'))
		n--;
	slash = memchr(a, '/', n);
	if (!slash) {
		/* one figure: both ways */
		if ((ret = one_rate(a, n, a, n, &v.down_bps, why, whylen)) < 0)
			return ret;
		v.up_bps = v.down_bps;
	} else {
		size_t dn = (size_t)(slash - a), un = (size_t)(a + n - slash - 1);

		if ((ret = one_rate(a, dn, a, dn, &v.down_bps, why, whylen)) < 0 ||
		    (ret = one_rate(slash + 1, un, slash + 1, un, &v.up_bps, why, whylen)) < 0)
			return ret;
	}
	*r = v;
	return 0;
}

static char *bps_fmt(uint64_t v, char *buf, size_t len)
{
	if (!v)
		snprintf(buf, len, "unlimited");
	else if (v % 1000000000 == 0)
		snprintf(buf, len, "%" PRIu64 "Gbit", v / 1000000000);
	else if (v % 1000000 == 0)
		snprintf(buf, len, "%" PRIu64 "Mbit", v / 1000000);
	else if (v % 1000 == 0)
		snprintf(buf, len, "%" PRIu64 "kbit", v / 1000);
	else
		snprintf(buf, len, "%" PRIu64 "bit", v);
	return buf;
}

char *policy_rate_fmt(const struct policy_rate *r, char *buf, size_t len)
{
	char a[32], b[32];

	if (!r->down_bps && !r->up_bps)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%s/%s", bps_fmt(r->down_bps, a, sizeof(a)),
			 bps_fmt(r->up_bps, b, sizeof(b)));
	return buf;
}

/* ---- the whole ---- */

void policy_init(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->idle_s = POLICY_IDLE_DEFAULT;
}

void policy_clear(struct policy *p)
{
	free(p->dests);
	cidrv_clear(&p->sources);
	policy_init(p);
}

void policy_copy(struct policy *dst, const struct policy *src)
{
	size_t i;

	policy_clear(dst);
	*dst = *src;
	dst->dests = NULL;
	if (src->n_dests) {
		dst->dests = xmalloc(src->n_dests * sizeof(*dst->dests));
		memcpy(dst->dests, src->dests, src->n_dests * sizeof(*dst->dests));
	}
	memset(&dst->sources, 0, sizeof(dst->sources));
	for (i = 0; i < src->sources.n; i++)
		cidrv_push(&dst->sources, &src->sources.v[i]);
}
