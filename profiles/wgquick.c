/* wg-quick files: the reader (wg-quick(8) and wg(8) setconf rules) and the canonical writer. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "dns.h"
#include "wgquick.h"
#include "../common/util.h"

enum section { SEC_NONE, SEC_INTERFACE, SEC_PEER, SEC_UNKNOWN };

enum wgq_key {
	K_ADDRESS, K_DNS, K_MTU, K_TABLE, K_PREUP, K_POSTUP, K_PREDOWN, K_POSTDOWN,
	K_SAVECONFIG, K_LISTENPORT, K_FWMARK, K_PRIVATEKEY,
	K_PUBLICKEY, K_PRESHAREDKEY, K_ALLOWEDIPS, K_ENDPOINT, K_KEEPALIVE,
	K_MAX
};

struct ctx {
	struct tunnel *t;
	const char *path;
	struct diag *d;
	int line;
	enum section sec;
	int interface_line;
	size_t first_peer;          /* t->peers[first_peer..] come from this file */
	int *pk_line;               /* per peer of this file: line of its PublicKey, 0 if none */
	size_t n_pk_line;
	bool pk_bad;                /* the current peer's PublicKey was rejected */
	int seen[K_MAX];            /* line a single-valued key was last given, per section */
};

struct keydef {
	const char *name;
	enum section sec;
	/* wg-quick's own keys are matched on the trimmed key and see the trimmed value;
	 * wg(8) strips every blank from the line before it looks at keys and values. */
	bool wgquick;
	bool repeatable;
	void (*fn)(struct ctx *c, const char *value);
};

static const char blanks[] = " \t\r\v\f";

static bool is_blank(char ch)
{
	return ch && strchr(blanks, ch);
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}


/* FIELD "VALUE": message */
static void __attribute__((format(printf, 4, 5)))
bad(struct ctx *c, const char *field, const char *value, const char *fmt, ...)
{
	char *msg, *v = diag_escape(value);
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	diag_error(c->d, c->path, c->line, "%s \"%s\": %s", field, v, msg);
	free(msg);
	free(v);
}

/* Unsigned number in base 10 (or 16), nothing else: 0, -EINVAL or -ERANGE above max. */
static int parse_uint(const char *s, unsigned int base, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int dig;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (is_digit(*s))
			dig = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			dig = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			dig = (unsigned int)(*s - 'A' + 10);
		else
			return -EINVAL;
		if (v > max)
			continue; /* keep checking the characters; the value is already too big */
		v = v * base + dig;
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* A DNS name: labels of letters, digits, '-' and '_', at most 63 each, 253 in all; one
 * trailing dot allowed. */
static bool valid_hostname(const char *s)
{
	size_t len = strlen(s), label = 0, i;

	if (len && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (ch == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!(is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      ch == '-' || ch == '_'))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0;
}

static bool valid_ifname_char(char ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       ch == '_' || ch == '=' || ch == '+' || ch == '.' || ch == '-';
}

static bool valid_ifname(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > IFNAME_MAX)
		return false;
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (i = 0; i < len; i++)
		if (!valid_ifname_char(s[i]))
			return false;
	return true;
}

/* An IPv6 literal, optionally with a %zone as getaddrinfo accepts for link-local peers. */
static bool valid_ipv6_host(const char *s)
{
	char buf[INET6_ADDRSTRLEN];
	uint8_t a[16];
	const char *pct = strchr(s, '%');
	size_t alen = pct ? (size_t)(pct - s) : strlen(s);

	if (alen >= sizeof(buf))
		return false;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET6, buf, a) != 1)
		return false;
	return !pct || valid_ifname(pct + 1, strlen(pct + 1));
}

static bool all_digits_dots(const char *s)
{
	for (; *s; s++)
		if (!is_digit(*s) && *s != '.')
			return false;
	return true;
}

/* What the endpoint host is: NULL when fine, else why not. */
static const char *endpoint_host_problem(const char *host)
{
	uint8_t a[4];

	if (!*host)
		return "missing host";
	if (strchr(host, ':'))
		return valid_ipv6_host(host) ? NULL : "invalid IPv6 address";
	if (all_digits_dots(host))
		return inet_pton(AF_INET, host, a) == 1 ? NULL : "invalid IPv4 address";
	return valid_hostname(host) ? NULL : "invalid host name";
}

/* Split on commas and blanks as wg-quick's ${value//,/ } word splitting does; calls fn
 * for every non-empty item. value is modified. */
static void split_words(struct ctx *c, char *value, void (*fn)(struct ctx *, const char *))
{
	char *p = value;

	while (*p) {
		char *start;

		while (*p == ',' || is_blank(*p))
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && *p != ',' && !is_blank(*p))
			p++;
		if (*p)
			*p++ = '\0';
		fn(c, start);
	}
}

static void address_item(struct ctx *c, const char *s)
{
	struct cidr a;
	int r = cidr_parse(&a, s);

	if (r == -ERANGE)
		bad(c, "Address", s, "prefix length out of range");
	else if (r < 0)
		bad(c, "Address", s, "invalid address");
	else
		cidrv_push(&c->t->addresses, &a);
}

static void do_address(struct ctx *c, const char *value)
{
	char *v = xstrdup(value);

	split_words(c, v, address_item);
	free(v);
}

static void dns_item(struct ctx *c, const char *s)
{
	struct cidr a;

	/* wg-quick's own test: digits and dots, or anything with a colon, is a server. */
	if (all_digits_dots(s) || strchr(s, ':')) {
		if (ip_parse(&a, s) < 0)
			bad(c, "DNS", s, "invalid address");
		else if (c->t->dns.n == DNS_MAX_SERVERS)
			bad(c, "DNS", s, "more than %d servers", DNS_MAX_SERVERS);
		else
			cidrv_push(&c->t->dns, &a);
	} else if (!dns_domain_valid(s)) {
		/* "~corp.example" routes queries only, as systemd-resolved reads it */
		bad(c, "DNS", s, "neither an IP address nor a search domain");
	} else if (c->t->dns_search.n == DNS_MAX_DOMAINS) {
		bad(c, "DNS", s, "more than %d search domains", DNS_MAX_DOMAINS);
	} else {
		strv_push(&c->t->dns_search, s);
	}
}

static void do_dns(struct ctx *c, const char *value)
{
	char *v = xstrdup(value);

	split_words(c, v, dns_item);
	free(v);
}

static void do_mtu(struct ctx *c, const char *value)
{
	uint64_t v;
	int r;

	if (!*value) {   /* wg-quick: an empty MTU means automatic */
		c->t->mtu = 0;
		return;
	}
	r = parse_uint(value, 10, 65535, &v);
	if (r == -EINVAL)
		bad(c, "MTU", value, "not a number");
	else if (r < 0 || v < 1280)
		bad(c, "MTU", value, "out of range (1280-65535)");
	else
		c->t->mtu = (uint32_t)v;
}

static void do_table(struct ctx *c, const char *value)
{
	static const struct { const char *name; unsigned int id; } known[] = {
		{ "main", 254 }, { "local", 255 }, { "default", 253 },
	};
	uint64_t v;
	size_t i;
	int r;

	if (!*value || !strcasecmp(value, "auto")) {
		c->t->table_mode = TABLE_AUTO;
		return;
	}
	if (!strcasecmp(value, "off")) {
		c->t->table_mode = TABLE_OFF;
		return;
	}
	if (is_digit(value[0])) {
		r = parse_uint(value, 10, UINT32_MAX, &v);
		if (r == -EINVAL)
			bad(c, "Table", value, "not a number, \"auto\" or \"off\"");
		else if (r < 0 || v == 0)
			bad(c, "Table", value, "out of range (1-4294967295)");
		else {
			c->t->table_mode = TABLE_ID;
			c->t->table = (uint32_t)v;
		}
		return;
	}
	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (!strcmp(value, known[i].name)) {
			bad(c, "Table", value, "named routing tables are not supported, use %u",
			    known[i].id);
			return;
		}
	bad(c, "Table", value, "named routing tables are not supported, use a number");
}

static void do_hook(struct ctx *c, const char *value, struct strv *v)
{
	strv_push(v, value);
}

static void do_preup(struct ctx *c, const char *value) { do_hook(c, value, &c->t->hooks.pre_up); }
static void do_postup(struct ctx *c, const char *value) { do_hook(c, value, &c->t->hooks.post_up); }
static void do_predown(struct ctx *c, const char *value) { do_hook(c, value, &c->t->hooks.pre_down); }
static void do_postdown(struct ctx *c, const char *value) { do_hook(c, value, &c->t->hooks.post_down); }

static void do_saveconfig(struct ctx *c, const char *value)
{
	if (!strcasecmp(value, "true"))
		c->t->save_config = true;
	else if (!strcasecmp(value, "false"))
		c->t->save_config = false;
	else
		bad(c, "SaveConfig", value, "neither true nor false");
}

static void do_listenport(struct ctx *c, const char *value)
{
	uint64_t v;
	int r = parse_uint(value, 10, 65535, &v);

	if (r == -EINVAL)
		bad(c, "ListenPort", value, "not a port number");
	else if (r < 0)
		bad(c, "ListenPort", value, "port out of range");
	else {
		c->t->listen_port = (uint16_t)v;
		c->t->has_listen_port = true;
	}
}

static void do_fwmark(struct ctx *c, const char *value)
{
	uint64_t v = 0;
	int r;

	if (!strcasecmp(value, "off")) {
		c->t->fwmark = 0;
		return;
	}
	/* as wg: a lower-case "0x" prefix means hex, anything else is decimal */
	if (strlen(value) > 2 && value[0] == '0' && value[1] == 'x')
		r = parse_uint(value + 2, 16, UINT32_MAX, &v);
	else
		r = parse_uint(value, 10, UINT32_MAX, &v);
	if (r == -EINVAL)
		bad(c, "FwMark", value, "not a number or \"off\"");
	else if (r < 0)
		bad(c, "FwMark", value, "out of range (0-0xffffffff)");
	else
		c->t->fwmark = (uint32_t)v;
}

static void do_privatekey(struct ctx *c, const char *value)
{
	/* the value is a secret, even a malformed one: never quote it */
	if (key_from_base64(c->t->private_key, value) < 0) {
		diag_error(c->d, c->path, c->line, "PrivateKey: invalid key (not 44 characters of base64)");
		c->t->private_key_bad = true;
		return;
	}
	c->t->has_private_key = true;
	c->t->private_key_bad = false;
}

static struct peer *cur_peer(struct ctx *c)
{
	return &c->t->peers[c->t->n_peers - 1];
}

static void do_publickey(struct ctx *c, const char *value)
{
	struct peer *p = cur_peer(c);

	if (key_from_base64(p->public_key, value) < 0) {
		bad(c, "PublicKey", value, "invalid key (not 44 characters of base64)");
		memset(p->public_key, 0, sizeof(p->public_key));
		c->pk_line[c->n_pk_line - 1] = 0;
		c->pk_bad = true;
		return;
	}
	c->pk_line[c->n_pk_line - 1] = c->line;
	c->pk_bad = false;
}

static void do_presharedkey(struct ctx *c, const char *value)
{
	struct peer *p = cur_peer(c);

	if (key_from_base64(p->preshared_key, value) < 0) {
		diag_error(c->d, c->path, c->line, "PresharedKey: invalid key (not 44 characters of base64)");
		sodium_memzero(p->preshared_key, sizeof(p->preshared_key));
		p->has_preshared_key = false;
		return;
	}
	p->has_preshared_key = true;
}

static void do_allowedips(struct ctx *c, const char *value)
{
	struct peer *p = cur_peer(c);
	char *v = xstrdup(value), *rest = v, *item;

	/* wg splits on every comma: an empty item is an error there too */
	while ((item = strsep(&rest, ","))) {
		struct cidr a;
		char buf[CIDR_STRLEN];
		int r;

		if (!*item) {
			bad(c, "AllowedIPs", value, "empty entry in list");
			continue;
		}
		r = cidr_parse(&a, item);
		if (r == -ERANGE) {
			bad(c, "AllowedIPs", item, "prefix length out of range");
			continue;
		}
		if (r < 0) {
			bad(c, "AllowedIPs", item, "invalid prefix");
			continue;
		}
		if (cidr_host_bits_set(&a)) {
			char *e = diag_escape(item);

			cidr_mask(&a);
			diag_warn(c->d, c->path, c->line, "AllowedIPs \"%s\": host bits set, using %s",
				  e, cidr_fmt(&a, buf));
			free(e);
		}
		cidrv_push(&p->allowed_ips, &a);
	}
	free(v);
}

static void do_endpoint(struct ctx *c, const char *value)
{
	struct peer *p = cur_peer(c);
	char *v = xstrdup(value), *host, *port, *end;
	const char *problem;
	uint64_t n;
	int r;

	if (v[0] == '[') {
		host = v + 1;
		end = strchr(v, ']');
		if (!end) {
			bad(c, "Endpoint", value, "missing closing \"]\"");
			goto out;
		}
		*end++ = '\0';
		if (*end != ':' || !end[1]) {
			bad(c, "Endpoint", value, "missing port");
			goto out;
		}
		port = end + 1;
	} else {
		host = v;
		end = strrchr(v, ':');
		if (!end || !end[1]) {
			bad(c, "Endpoint", value, "missing port");
			goto out;
		}
		*end = '\0';
		port = end + 1;
	}
	problem = endpoint_host_problem(host);
	if (problem) {
		bad(c, "Endpoint", value, "%s", problem);
		goto out;
	}
	r = parse_uint(port, 10, 65535, &n);
	if (r == -EINVAL) {
		bad(c, "Endpoint", value, "invalid port");
		goto out;
	}
	if (r < 0 || n == 0) {
		bad(c, "Endpoint", value, "port out of range");
		goto out;
	}
	if (v[0] != '[' && strchr(host, ':')) {
		char *e = diag_escape(value);

		/* wg takes the last colon as the port separator; say how it was read */
		diag_warn(c->d, c->path, c->line,
			  "Endpoint \"%s\": IPv6 address without brackets, read as [%s]:%s", e, host, port);
		free(e);
	}
	free(p->endpoint_host);
	p->endpoint_host = xstrdup(host);
	p->endpoint_port = (uint16_t)n;
out:
	free(v);
}

static void do_keepalive(struct ctx *c, const char *value)
{
	uint64_t v;
	int r;

	if (!strcasecmp(value, "off")) {
		cur_peer(c)->persistent_keepalive = 0;
		return;
	}
	r = parse_uint(value, 10, 65535, &v);
	if (r == -EINVAL)
		bad(c, "PersistentKeepalive", value, "not a number of seconds or \"off\"");
	else if (r < 0)
		bad(c, "PersistentKeepalive", value, "out of range (0-65535)");
	else
		cur_peer(c)->persistent_keepalive = (uint16_t)v;
}

static const struct keydef keys[K_MAX] = {
	[K_ADDRESS]      = { "Address", SEC_INTERFACE, true, true, do_address },
	[K_DNS]          = { "DNS", SEC_INTERFACE, true, true, do_dns },
	[K_MTU]          = { "MTU", SEC_INTERFACE, true, false, do_mtu },
	[K_TABLE]        = { "Table", SEC_INTERFACE, true, false, do_table },
	[K_PREUP]        = { "PreUp", SEC_INTERFACE, true, true, do_preup },
	[K_POSTUP]       = { "PostUp", SEC_INTERFACE, true, true, do_postup },
	[K_PREDOWN]      = { "PreDown", SEC_INTERFACE, true, true, do_predown },
	[K_POSTDOWN]     = { "PostDown", SEC_INTERFACE, true, true, do_postdown },
	[K_SAVECONFIG]   = { "SaveConfig", SEC_INTERFACE, true, false, do_saveconfig },
	[K_LISTENPORT]   = { "ListenPort", SEC_INTERFACE, false, false, do_listenport },
	[K_FWMARK]       = { "FwMark", SEC_INTERFACE, false, false, do_fwmark },
	[K_PRIVATEKEY]   = { "PrivateKey", SEC_INTERFACE, false, false, do_privatekey },
	[K_PUBLICKEY]    = { "PublicKey", SEC_PEER, false, false, do_publickey },
	[K_PRESHAREDKEY] = { "PresharedKey", SEC_PEER, false, false, do_presharedkey },
	[K_ALLOWEDIPS]   = { "AllowedIPs", SEC_PEER, false, true, do_allowedips },
	[K_ENDPOINT]     = { "Endpoint", SEC_PEER, false, false, do_endpoint },
	[K_KEEPALIVE]    = { "PersistentKeepalive", SEC_PEER, false, false, do_keepalive },
};

static const char *section_name(enum section s)
{
	return s == SEC_PEER ? "[Peer]" : "[Interface]";
}

/* Copy of s without any blank, as wg(8) reads a line. */
static char *strip_blanks(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;

	for (; *s; s++)
		if (!is_blank(*s))
			*o++ = *s;
	*o = '\0';
	return out;
}

static void close_peer(struct ctx *c)
{
	if (c->sec != SEC_PEER)
		return;
	if (!c->pk_line[c->n_pk_line - 1] && !c->pk_bad)
		diag_error(c->d, c->path, cur_peer(c)->line, "[Peer] has no PublicKey");
}

/* array_push for peers, but a grown array never leaves preshared keys behind in freed
 * memory. Capacities stay the powers of two array_push assumes. */
static struct peer *peer_push(struct tunnel *t)
{
	size_t n = t->n_peers;

	if (n == 0 || (n & (n - 1)) == 0) {
		struct peer *v = xcalloc(n ? n * 2 : 1, sizeof(*v));

		if (n) {
			memcpy(v, t->peers, n * sizeof(*v));
			sodium_memzero(t->peers, n * sizeof(*v));
		}
		free(t->peers);
		t->peers = v;
	}
	memset(&t->peers[n], 0, sizeof(*t->peers));
	t->n_peers++;
	return &t->peers[n];
}

static void open_section(struct ctx *c, const char *header)
{
	struct peer *p;

	close_peer(c);
	memset(c->seen, 0, sizeof(c->seen));
	if (!strcasecmp(header, "[Interface]")) {
		if (c->interface_line)
			diag_warn(c->d, c->path, c->line,
				  "second [Interface] section (first at line %d), merged into it",
				  c->interface_line);
		else
			c->interface_line = c->line;
		c->sec = SEC_INTERFACE;
	} else if (!strcasecmp(header, "[Peer]")) {
		p = peer_push(c->t);
		p->line = c->line;
		*(int *)array_push(&c->pk_line, &c->n_pk_line, sizeof(int)) = 0;
		c->pk_bad = false;
		c->sec = SEC_PEER;
	} else {
		char *e = diag_escape(header);

		diag_error(c->d, c->path, c->line, "unknown section \"%s\"", e);
		free(e);
		c->sec = SEC_UNKNOWN;   /* its keys are not reported one by one */
	}
}

static int find_key(const char *key, const char *key_stripped)
{
	int i;

	for (i = 0; i < K_MAX; i++)
		if (!strcasecmp(keys[i].wgquick ? key : key_stripped, keys[i].name))
			return i;
	return -1;
}

static void process_line(struct ctx *c, char *line)
{
	char *eq, *key, *value, *end, *key_stripped = NULL, *value_stripped = NULL;
	const struct keydef *k;
	int i;

	if ((end = strchr(line, '#')))
		*end = '\0';
	while (is_blank(*line))
		line++;
	for (end = line + strlen(line); end > line && is_blank(end[-1]); end--)
		;
	*end = '\0';
	if (!*line)
		return;
	if (line[0] == '[') {
		open_section(c, line);
		return;
	}
	if (c->sec == SEC_UNKNOWN)
		return;
	eq = strchr(line, '=');
	if (!eq) {
		char *e = diag_escape(line);

		key_stripped = strip_blanks(line);
		i = find_key(line, key_stripped);
		/* a lone key name: the value was lost, do not also report the key missing */
		if (i == K_PUBLICKEY && c->sec == SEC_PEER)
			c->pk_bad = true;
		if (i >= 0)
			diag_error(c->d, c->path, c->line, "%s: missing \"= value\"", keys[i].name);
		else
			diag_error(c->d, c->path, c->line, "line is not \"Key = Value\": \"%s\"", e);
		free(e);
		goto out;
	}
	key = line;
	for (end = eq; end > key && is_blank(end[-1]); end--)
		;
	*end = '\0';
	for (value = eq + 1; is_blank(*value); value++)
		;
	key_stripped = strip_blanks(key);
	i = find_key(key, key_stripped);
	if (i < 0 || c->sec == SEC_NONE) {
		char *e = diag_escape(key);

		if (c->sec == SEC_NONE) {
			diag_error(c->d, c->path, c->line, "key \"%s\" outside a section", e);
			c->sec = SEC_UNKNOWN;   /* once is enough until a section starts */
		} else
			diag_error(c->d, c->path, c->line, "unknown key \"%s\" in %s", e,
				   section_name(c->sec));
		free(e);
		goto out;
	}
	k = &keys[i];
	if (k->sec != c->sec) {
		diag_error(c->d, c->path, c->line, "key \"%s\" belongs in %s, not %s",
			   k->name, section_name(k->sec), section_name(c->sec));
		goto out;
	}
	if (!k->wgquick) {
		value_stripped = strip_blanks(value);
		value = value_stripped;
		if (!*value) {
			diag_error(c->d, c->path, c->line, "%s: missing value", k->name);
			if (i == K_PUBLICKEY)
				c->pk_bad = true;
			goto out;
		}
	}
	if (!k->repeatable) {
		if (c->seen[i])
			diag_warn(c->d, c->path, c->line,
				  "%s given again (also at line %d), the last one wins", k->name,
				  c->seen[i]);
		c->seen[i] = c->line;
	}
	k->fn(c, value);
out:
	if (value_stripped) {
		sodium_memzero(value_stripped, strlen(value_stripped));
		free(value_stripped);
	}
	free(key_stripped);
}

struct dup {
	const uint8_t *key;
	size_t idx;        /* order in the file */
	int line;          /* of its PublicKey */
	int first_line;    /* of the first peer with the same key */
};

static int dup_by_key(const void *a, const void *b)
{
	const struct dup *x = a, *y = b;
	int r = memcmp(x->key, y->key, KEY_LEN);

	if (r)
		return r;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int dup_by_line(const void *a, const void *b)
{
	const struct dup *x = a, *y = b;

	return (x->line > y->line) - (x->line < y->line);
}

/* Two peers with one public key: wg would silently merge them. Sorting keeps this
 * O(n log n) for servers with 10,000 peers. */
static void check_duplicate_peers(struct ctx *c)
{
	struct dup *v = xcalloc(c->n_pk_line, sizeof(*v)), *dups = xcalloc(c->n_pk_line, sizeof(*v));
	size_t n = 0, i, ndup = 0;
	char b64[KEY_B64_LEN];
	int first = 0;

	for (i = 0; i < c->n_pk_line; i++)
		if (c->pk_line[i]) {
			v[n].key = c->t->peers[c->first_peer + i].public_key;
			v[n].idx = i;
			v[n].line = c->pk_line[i];
			n++;
		}
	qsort(v, n, sizeof(*v), dup_by_key);
	for (i = 0; i < n; i++) {
		if (i == 0 || memcmp(v[i].key, v[i - 1].key, KEY_LEN)) {
			first = v[i].line;
			continue;
		}
		dups[ndup] = v[i];
		dups[ndup++].first_line = first;
	}
	qsort(dups, ndup, sizeof(*dups), dup_by_line);
	for (i = 0; i < ndup; i++) {
		key_to_base64(b64, dups[i].key);
		diag_error(c->d, c->path, dups[i].line,
			   "PublicKey \"%s\": duplicate peer (also at line %d)", b64, dups[i].first_line);
	}
	free(dups);
	free(v);
}

int wgq_parse(struct tunnel *t, const char *path, const char *text, size_t len, struct diag *d)
{
	struct ctx c = { .t = t, .path = path, .d = d, .first_peer = t->n_peers };
	size_t errors = d->errors, pos = 0;
	char *buf = xmalloc(len + 1);

	if (len)
		memcpy(buf, text, len);
	buf[len] = '\0';
	/* editors on other systems sometimes save a byte order mark */
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		pos = 3;
	while (pos < len) {
		char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;

		c.line++;
		buf[end] = '\0';
		if (memchr(buf + pos, '\0', end - pos))
			diag_error(d, path, c.line, "line contains a NUL byte");
		else
			process_line(&c, buf + pos);
		pos = end + 1;
	}
	close_peer(&c);
	check_duplicate_peers(&c);
	sodium_memzero(buf, len + 1);
	free(buf);
	free(c.pk_line);
	return d->errors > errors ? -EINVAL : 0;
}

/* The writer builds into a buffer that never leaves key text behind in freed memory. */
struct sbuf {
	char *p;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3))) sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *p;

		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		p = xmalloc(cap);
		if (b->p) {
			memcpy(p, b->p, b->len + 1);
			sodium_memzero(b->p, b->cap);
			free(b->p);
		}
		b->p = p;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void sb_key(struct sbuf *b, const char *name, const uint8_t key[KEY_LEN])
{
	char b64[KEY_B64_LEN];

	key_to_base64(b64, key);
	sb_printf(b, "%s = %s\n", name, b64);
	sodium_memzero(b64, sizeof(b64));
}

static void sb_cidrs(struct sbuf *b, const char *name, const struct cidrv *v)
{
	char buf[CIDR_STRLEN];
	size_t i;

	if (!v->n)
		return;
	sb_printf(b, "%s = ", name);
	for (i = 0; i < v->n; i++)
		sb_printf(b, "%s%s", i ? ", " : "", cidr_fmt(&v->v[i], buf));
	sb_printf(b, "\n");
}

static bool hook_writable(const char *s)
{
	size_t n = strlen(s);

	if (strpbrk(s, "#\n"))
		return false;
	return !n || (!is_blank(s[0]) && !is_blank(s[n - 1]));
}

static bool writable(const struct tunnel *t)
{
	const struct strv *hooks[] = { &t->hooks.pre_up, &t->hooks.post_up,
				       &t->hooks.pre_down, &t->hooks.post_down };
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(hooks); i++)
		for (j = 0; j < hooks[i]->n; j++)
			if (!hook_writable(hooks[i]->v[j]))
				return false;
	for (i = 0; i < t->dns_search.n; i++)
		if (all_digits_dots(t->dns_search.v[i]) || !dns_domain_valid(t->dns_search.v[i]))
			return false;
	for (i = 0; i < t->n_peers; i++)
		if (t->peers[i].endpoint_host && endpoint_host_problem(t->peers[i].endpoint_host))
			return false;
	return true;
}

char *wgq_write(const struct tunnel *t)
{
	static const char *const hook_names[] = { "PreUp", "PostUp", "PreDown", "PostDown" };
	const struct strv *hooks[] = { &t->hooks.pre_up, &t->hooks.post_up,
				       &t->hooks.pre_down, &t->hooks.post_down };
	struct sbuf b = { 0 };
	char buf[CIDR_STRLEN];
	size_t i, j;

	if (!writable(t)) {
		errno = EINVAL;
		return NULL;
	}
	sb_printf(&b, "[Interface]\n");
	if (t->has_private_key)
		sb_key(&b, "PrivateKey", t->private_key);
	sb_cidrs(&b, "Address", &t->addresses);
	if (t->dns.n || t->dns_search.n) {
		sb_printf(&b, "DNS = ");
		for (i = 0; i < t->dns.n; i++)
			sb_printf(&b, "%s%s", i ? ", " : "", ip_fmt(&t->dns.v[i], buf));
		for (i = 0; i < t->dns_search.n; i++)
			sb_printf(&b, "%s%s", i + t->dns.n ? ", " : "", t->dns_search.v[i]);
		sb_printf(&b, "\n");
	}
	if (t->has_listen_port)
		sb_printf(&b, "ListenPort = %u\n", t->listen_port);
	if (t->fwmark)
		sb_printf(&b, "FwMark = 0x%x\n", t->fwmark);
	if (t->mtu)
		sb_printf(&b, "MTU = %u\n", t->mtu);
	if (t->table_mode == TABLE_OFF)
		sb_printf(&b, "Table = off\n");
	else if (t->table_mode == TABLE_ID)
		sb_printf(&b, "Table = %u\n", t->table);
	for (i = 0; i < ARRAY_SIZE(hooks); i++)
		for (j = 0; j < hooks[i]->n; j++)
			sb_printf(&b, "%s =%s%s\n", hook_names[i], *hooks[i]->v[j] ? " " : "",
				  hooks[i]->v[j]);
	if (t->save_config)
		sb_printf(&b, "SaveConfig = true\n");
	for (i = 0; i < t->n_peers; i++) {
		const struct peer *p = &t->peers[i];

		sb_printf(&b, "\n[Peer]\n");
		sb_key(&b, "PublicKey", p->public_key);
		if (p->has_preshared_key)
			sb_key(&b, "PresharedKey", p->preshared_key);
		sb_cidrs(&b, "AllowedIPs", &p->allowed_ips);
		if (p->endpoint_host)
			sb_printf(&b, strchr(p->endpoint_host, ':') ? "Endpoint = [%s]:%u\n" :
				  "Endpoint = %s:%u\n", p->endpoint_host, p->endpoint_port);
		if (p->persistent_keepalive)
			sb_printf(&b, "PersistentKeepalive = %u\n", p->persistent_keepalive);
	}
	return b.p;
}

void wgq_text_free(char *text)
{
	if (!text)
		return;
	sodium_memzero(text, strlen(text));
	free(text);
}

static bool strv_equal(const struct strv *a, const struct strv *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return false;
	return true;
}

static bool peer_equal(const struct peer *a, const struct peer *b)
{
	if (memcmp(a->public_key, b->public_key, KEY_LEN) ||
	    a->has_preshared_key != b->has_preshared_key ||
	    (a->has_preshared_key && sodium_memcmp(a->preshared_key, b->preshared_key, KEY_LEN)) ||
	    !cidrv_equal(&a->allowed_ips, &b->allowed_ips) ||
	    a->persistent_keepalive != b->persistent_keepalive ||
	    !a->endpoint_host != !b->endpoint_host)
		return false;
	return !a->endpoint_host || (!strcmp(a->endpoint_host, b->endpoint_host) &&
				     a->endpoint_port == b->endpoint_port);
}

bool wgq_equal(const struct tunnel *a, const struct tunnel *b)
{
	size_t i;

	if (a->has_private_key != b->has_private_key ||
	    (a->has_private_key && sodium_memcmp(a->private_key, b->private_key, KEY_LEN)) ||
	    !cidrv_equal(&a->addresses, &b->addresses) ||
	    a->has_listen_port != b->has_listen_port ||
	    (a->has_listen_port && a->listen_port != b->listen_port) ||
	    a->mtu != b->mtu || a->fwmark != b->fwmark || a->table_mode != b->table_mode ||
	    (a->table_mode == TABLE_ID && a->table != b->table) ||
	    !cidrv_equal(&a->dns, &b->dns) || !strv_equal(&a->dns_search, &b->dns_search) ||
	    !strv_equal(&a->hooks.pre_up, &b->hooks.pre_up) ||
	    !strv_equal(&a->hooks.post_up, &b->hooks.post_up) ||
	    !strv_equal(&a->hooks.pre_down, &b->hooks.pre_down) ||
	    !strv_equal(&a->hooks.post_down, &b->hooks.post_down) ||
	    a->save_config != b->save_config || a->n_peers != b->n_peers)
		return false;
	for (i = 0; i < a->n_peers; i++)
		if (!peer_equal(&a->peers[i], &b->peers[i]))
			return false;
	return true;
}

int wgq_ifname(char ifname[IFNAME_MAX + 1], const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len <= 5 || strcmp(base + len - 5, ".conf"))
		return -EINVAL;
	len -= 5;
	if (!valid_ifname(base, len))
		return -EINVAL;
	memcpy(ifname, base, len);
	ifname[len] = '\0';
	return 0;
}
