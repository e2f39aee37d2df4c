/* A tunnel's DNS settings as the host's resolver gets them: checked names, servers by family,
 * and whether the tunnel is a full one. */
#include <string.h>

#include "dns.h"

static bool label_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

bool dns_domain_valid(const char *s)
{
	size_t len, label = 0, i;

	if (s[0] == '~') {
		s++;
		if (strcmp(s, ".") == 0)
			return true;
	}
	len = strlen(s);
	if (len && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			/* no empty label, none ending in '-' */
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (!label_char(s[i]) || ++label > 63 || (label == 1 && s[i] == '-')) {
			return false;
		}
	}
	return label > 0 && s[len - 1] != '-';
}

static bool carries(const struct tunnel *t, int family)
{
	return (t->families & (family == AF_INET ? FAMILY_IPV4 : FAMILY_IPV6)) != 0;
}

static bool has_default(const struct tunnel *t, const struct cidrv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (v->v[i].prefix == 0 && carries(t, v->v[i].family))
			return true;
	return false;
}

void dns_conf_from_tunnel(struct dns_conf *dc, const struct tunnel *t)
{
	size_t i;

	memset(dc, 0, sizeof(*dc));
	/* A server of a family the tunnel does not carry would be asked outside it. */
	for (i = 0; i < t->dns.n; i++)
		if (carries(t, t->dns.v[i].family))
			cidrv_push(&dc->servers, &t->dns.v[i]);
	for (i = 0; i < t->dns_search.n; i++)
		strv_push(&dc->domains, t->dns_search.v[i]);
	if (t->table_mode == TABLE_OFF)
		return;
	if (t->has_routes) {
		dc->full = has_default(t, &t->routes);
		return;
	}
	for (i = 0; i < t->n_peers && !dc->full; i++)
		dc->full = has_default(t, &t->peers[i].allowed_ips);
}

void dns_conf_clear(struct dns_conf *dc)
{
	cidrv_clear(&dc->servers);
	strv_clear(&dc->domains);
	dc->full = false;
}

void dns_conf_copy(struct dns_conf *dst, const struct dns_conf *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	for (i = 0; i < src->servers.n; i++)
		cidrv_push(&dst->servers, &src->servers.v[i]);
	for (i = 0; i < src->domains.n; i++)
		strv_push(&dst->domains, src->domains.v[i]);
	dst->full = src->full;
}

bool dns_conf_equal(const struct dns_conf *a, const struct dns_conf *b)
{
	size_t i;

	if (a->full != b->full || !cidrv_equal(&a->servers, &b->servers) ||
	    a->domains.n != b->domains.n)
		return false;
	for (i = 0; i < a->domains.n; i++)
		if (strcmp(a->domains.v[i], b->domains.v[i]) != 0)
			return false;
	return true;
}

bool dns_conf_empty(const struct dns_conf *dc)
{
	return dc->servers.n == 0 && dc->domains.n == 0;
}
