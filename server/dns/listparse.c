/* The line parser of DNS block lists and custom rules: the format is told by the line
 * itself, so one file may mix hosts, plain domain, wildcard, adblock and dnsmasq lines. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "server/dns/listparse.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

int listparse_name(char *name, size_t *len)
{
	size_t n = *len, i, label = 0;

	if (n && name[n - 1] == '.')
		n--;
	if (n == 0 || n > LISTPARSE_NAME_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (c >= 'A' && c <= 'Z')
			name[i] = c = (char)(c - 'A' + 'a');
		if (c == '.') {
			if (label == 0)
				return -EINVAL;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return -EINVAL;
		if (++label > 63)
			return -EINVAL;
	}
	if (label == 0)
		return -EINVAL;
	*len = n;
	return 0;
}

/* An IPv4 or IPv6 address (an IPv6 zone "%eth0" allowed), as the first word of a hosts line
 * or the answer of a dnsmasq address=. */
static bool is_address(const char *p, size_t n)
{
	char tmp[INET6_ADDRSTRLEN + 1];
	unsigned char bin[16];
	const char *pct = memchr(p, '%', n);

	if (pct)
		n = (size_t)(pct - p);
	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	return inet_pton(AF_INET, tmp, bin) == 1 || inet_pton(AF_INET6, tmp, bin) == 1;
}

/* Names a hosts file maps for the machine itself, not to block anything. */
static bool hosts_ignored(const char *p, size_t n)
{
	static const char *const names[] = {
		"localhost", "localhost.localdomain", "local", "broadcasthost", "0.0.0.0",
	};
	size_t i;

	if (n >= 4 && memcmp(p, "ip6-", 4) == 0)
		return true;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && memcmp(names[i], p, n) == 0)
			return true;
	return false;
}

/* Append the name p[0..n) folded and checked, with flags. */
static int add_name(struct listparse_line *out, size_t *used, const char *p, size_t n,
		    unsigned flags, const char **why)
{
	char *dst = out->buf + *used;

	if (out->n >= LISTPARSE_NAMES_MAX) {
		*why = "too many names on one line";
		return -EINVAL;
	}
	if (n > LISTPARSE_NAME_MAX + 1 || *used + n > sizeof(out->buf)) {
		*why = "name too long";
		return -EINVAL;
	}
	memcpy(dst, p, n);
	if (listparse_name(dst, &n) < 0) {
		*why = "not a domain name";
		return -EINVAL;
	}
	out->e[out->n].off = (uint16_t)*used;
	out->e[out->n].len = (uint16_t)n;
	out->e[out->n].flags = (uint8_t)flags;
	out->n++;
	*used += n;
	return 0;
}

/* "||d^", "||d^$important", "@@||d^" (p after the "||"). */
static int parse_adblock(const char *p, size_t n, unsigned flags, struct listparse_line *out,
			 size_t *used, const char **why)
{
	size_t d = 0;
	const char *opt;
	size_t optn;

	while (d < n && p[d] != '^' && p[d] != '$' && p[d] != '/' && p[d] != '*' &&
	       p[d] != '|' && p[d] != ':')
		d++;
	if (d < n && p[d] != '^' && p[d] != '$') {
		*why = "adblock rule with a path, port or wildcard (only ||domain^)";
		return -EINVAL;
	}
	opt = p + d;
	optn = n - d;
	if (optn && *opt == '^') {
		opt++;
		optn--;
	}
	if (optn) {
		if (optn == 10 && memcmp(opt, "$important", 10) == 0) {
			flags |= LP_IMPORTANT;
		} else if (*opt == '$') {
			*why = "adblock option other than $important";
			return -EINVAL;
		} else {
			*why = "adblock rule with text after '^'";
			return -EINVAL;
		}
	}
	return add_name(out, used, p, d, flags | LP_EXACT | LP_BELOW, why);
}

/* "address=/a/b/ANSWER" with ANSWER empty, '#' or an address (p after "address=/"). */
static int parse_dnsmasq(const char *p, size_t n, struct listparse_line *out, size_t *used,
			 const char **why)
{
	const char *last = memrchr(p, '/', n), *q = p;
	size_t ansn;
	int r;

	if (!last || last == p) {
		*why = "dnsmasq address= without /domain/";
		return -EINVAL;
	}
	ansn = (size_t)(p + n - last - 1);
	if (ansn && !(ansn == 1 && last[1] == '#') && !is_address(last + 1, ansn)) {
		*why = "dnsmasq address= with an answer that is not an address";
		return -EINVAL;
	}
	while (q < last) {
		const char *s = memchr(q, '/', (size_t)(last - q) + 1);

		r = add_name(out, used, q, (size_t)(s - q), LP_EXACT | LP_BELOW, why);
		if (r < 0)
			return r;
		q = s + 1;
	}
	return 0;
}

/* One word with no spaces: every format but hosts. */
static int parse_word(const char *p, size_t n, enum listparse_mode mode,
		      struct listparse_line *out, size_t *used, const char **why)
{
	if (n >= 2 && p[0] == '@' && p[1] == '@') {
		if (n >= 4 && p[2] == '|' && p[3] == '|')
			return parse_adblock(p + 4, n - 4, LP_ALLOW, out, used, why);
		*why = "adblock exception not of the form @@||domain^";
		return -EINVAL;
	}
	if (n >= 2 && p[0] == '|' && p[1] == '|')
		return parse_adblock(p + 2, n - 2, 0, out, used, why);
	if (p[0] == '|') {
		*why = "adblock address rule (only ||domain^)";
		return -EINVAL;
	}
	if (n >= 9 && memcmp(p, "address=/", 9) == 0)
		return parse_dnsmasq(p + 9, n - 9, out, used, why);
	if (n >= 8 && memcmp(p, "server=/", 8) == 0) {
		*why = "dnsmasq server= forwards, it does not block";
		return -EINVAL;
	}
	if (n >= 2 && p[0] == '*' && p[1] == '.')
		return add_name(out, used, p + 2, n - 2, LP_BELOW, why);
	if (p[0] == '=') {
		if (mode != LISTPARSE_RULE) {
			*why = "'=domain' is for custom rules, not lists";
			return -EINVAL;
		}
		return add_name(out, used, p + 1, n - 1, LP_EXACT, why);
	}
	if (is_address(p, n)) {
		*why = "address without names";
		return -EINVAL;
	}
	return add_name(out, used, p, n,
			mode == LISTPARSE_RULE ? LP_EXACT | LP_BELOW : LP_EXACT, why);
}

/* "ADDRESS name..." (p at the first word, which ends at w). */
static int parse_hosts(const char *p, size_t n, size_t w, struct listparse_line *out,
		       size_t *used, const char **why)
{
	size_t i = w;

	if (!is_address(p, w)) {
		*why = "several words and the first is not an address";
		return -EINVAL;
	}
	while (i < n) {
		size_t s;

		while (i < n && is_space(p[i]))
			i++;
		s = i;
		while (i < n && !is_space(p[i]))
			i++;
		if (i == s)
			break;
		if (add_name(out, used, p + s, i - s, LP_EXACT, why) < 0)
			return -EINVAL;
		/* Checked (and folded) first, so a bad name among ignored ones is still bad. */
		if (hosts_ignored(out->buf + out->e[out->n - 1].off, out->e[out->n - 1].len)) {
			*used -= out->e[out->n - 1].len;
			out->n--;
		}
	}
	return 0;
}

int listparse_line(const char *line, size_t len, enum listparse_mode mode,
		   struct listparse_line *out, const char **why)
{
	const char *p = line, *e = line + len;
	size_t used = 0, w;
	const char *h;
	int r;

	out->n = 0;
	*why = NULL;
	/* A comment begins a line or follows white space (so "d##.ad", cosmetic adblock, is a
	 * bad word rather than a domain with a comment). */
	for (h = p; h < e; h++)
		if (*h == '#' && (h == p || is_space(h[-1])))
			break;
	e = h;
	while (p < e && is_space(*p))
		p++;
	while (e > p && is_space(e[-1]))
		e--;
	if (p == e || *p == '!')
		return 0;
	if (*p == '[' && e[-1] == ']')
		return 0; /* "[Adblock Plus 2.0]" */
	if ((size_t)(e - p) > LISTPARSE_LINE_MAX) {
		*why = "line too long";
		return -EINVAL;
	}
	for (w = 0; p + w < e && !is_space(p[w]); w++)
		;
	if (p + w == e)
		r = parse_word(p, w, mode, out, &used, why);
	else
		r = parse_hosts(p, (size_t)(e - p), w, out, &used, why);
	if (r < 0)
		out->n = 0;
	return r;
}
