/* Textual IP prefixes: strict parsing (no inet_aton shortcuts) and canonical printing. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

int ip_parse(struct cidr *c, const char *s)
{
	memset(c, 0, sizeof(*c));
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, c->addr) != 1)
			return -EINVAL;
		c->family = AF_INET6;
		c->prefix = 128;
	} else {
		if (inet_pton(AF_INET, s, c->addr) != 1)
			return -EINVAL;
		c->family = AF_INET;
		c->prefix = 32;
	}
	return 0;
}

int cidr_parse(struct cidr *c, const char *s)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long p;
	char *end;
	int r;

	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	r = ip_parse(c, buf);
	if (r < 0)
		return r;
	if (!slash)
		return 0;
	slash++;
	if (*slash < '0' || *slash > '9' || strlen(slash) > 3)
		return -EINVAL;
	p = strtoul(slash, &end, 10);
	if (*end)
		return -EINVAL;
	if (p > (unsigned long)(c->family == AF_INET ? 32 : 128))
		return -ERANGE;
	c->prefix = (uint8_t)p;
	return 0;
}

bool cidr_host_bits_set(const struct cidr *c)
{
	struct cidr m = *c;

	cidr_mask(&m);
	return memcmp(m.addr, c->addr, sizeof(m.addr)) != 0;
}

void cidr_mask(struct cidr *c)
{
	int len = cidr_addrlen(c), i;

	for (i = 0; i < 16; i++) {
		int bits = (int)c->prefix - i * 8;

		if (i >= len || bits <= 0)
			c->addr[i] = 0;
		else if (bits < 8)
			c->addr[i] &= (uint8_t)(0xff << (8 - bits));
	}
}

bool cidr_equal(const struct cidr *a, const struct cidr *b)
{
	return a->family == b->family && a->prefix == b->prefix &&
	       memcmp(a->addr, b->addr, (size_t)cidr_addrlen(a)) == 0;
}

bool cidr_contains(const struct cidr *a, const struct cidr *b)
{
	struct cidr n = *b;

	if (a->family != b->family || a->prefix > b->prefix)
		return false;
	n.prefix = a->prefix;
	cidr_mask(&n);
	return memcmp(n.addr, a->addr, (size_t)cidr_addrlen(a)) == 0;
}

char *ip_fmt(const struct cidr *c, char *buf)
{
	if (!inet_ntop(c->family, c->addr, buf, CIDR_STRLEN))
		snprintf(buf, CIDR_STRLEN, "?");
	return buf;
}

char *cidr_fmt(const struct cidr *c, char *buf)
{
	size_t n;

	ip_fmt(c, buf);
	n = strlen(buf);
	snprintf(buf + n, CIDR_STRLEN - n, "/%u", c->prefix);
	return buf;
}
