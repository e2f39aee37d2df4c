/* Portal profiles: the signed JSON document carrying an agent's tunnels, built by the
 * server, parsed strictly by the agent, and the signature and ETag over its bytes. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "profile.h"
#include "conf.h"
#include "../common/json.h"
#include "../common/util.h"

/* The same range as warren.conf's mtu, so a profile asks for nothing a file could not. */
#define MTU_MIN 1280
#define MTU_MAX 65535

/* "[" host "]:" port NUL */
#define ENDPOINT_BUF (PROFILE_HOST_MAX + 10)

/* Quoted values in messages: at most this many bytes of the value. */
#define QUOTE_MAX 40
#define QUOTE_BUF (2 + QUOTE_MAX * 4 + 3 + 1)

enum list_kind {
	LIST_ADDRESSES,     /* interface addresses: a prefix, host bits kept */
	LIST_NETWORKS,      /* allowed IPs: a prefix without host bits */
	LIST_SERVERS,       /* DNS servers: a bare address */
};

static const char *const top_members[] = { "version", "device", "serial", "issued", "tunnels" };

static const char *const tunnel_members[] = {
	"name", "endpoint", "public_key", "preshared_key", "addresses", "allowed_ips", "dns",
	"keepalive", "mtu",
};
#define TUNNEL_OPTIONAL (1u << 3)   /* preshared_key */

static void crypto_init(void)
{
	/* Idempotent; it fails only without entropy, which signing does not need anyway. */
	if (sodium_init() < 0)
		abort();
}

/* ---- the model ---- */

static void ptunnel_clear(struct profile_tunnel *t)
{
	free(t->endpoint_host);
	cidrv_clear(&t->addresses);
	cidrv_clear(&t->allowed_ips);
	cidrv_clear(&t->dns);
	sodium_memzero(t, sizeof(*t));
}

void profile_clear(struct profile *p)
{
	size_t i;

	if (!p)
		return;
	if (p->tunnels)
		for (i = 0; i < p->n_tunnels; i++)
			ptunnel_clear(&p->tunnels[i]);
	free(p->tunnels);
	memset(p, 0, sizeof(*p));
}

static bool cidrv_same(const struct cidrv *a, const struct cidrv *b, bool address_only)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		struct cidr x = a->v[i], y = b->v[i];

		if (address_only)
			x.prefix = y.prefix = 0;
		if (!cidr_equal(&x, &y))
			return false;
	}
	return true;
}

static bool ptunnel_equal(const struct profile_tunnel *a, const struct profile_tunnel *b)
{
	return strcmp(a->name, b->name) == 0 &&
	       !a->endpoint_host == !b->endpoint_host &&
	       (!a->endpoint_host || strcmp(a->endpoint_host, b->endpoint_host) == 0) &&
	       a->endpoint_port == b->endpoint_port &&
	       memcmp(a->public_key, b->public_key, KEY_LEN) == 0 &&
	       a->has_preshared_key == b->has_preshared_key &&
	       (!a->has_preshared_key ||
		sodium_memcmp(a->preshared_key, b->preshared_key, KEY_LEN) == 0) &&
	       cidrv_same(&a->addresses, &b->addresses, false) &&
	       cidrv_same(&a->allowed_ips, &b->allowed_ips, false) &&
	       cidrv_same(&a->dns, &b->dns, true) &&
	       a->keepalive == b->keepalive && a->mtu == b->mtu;
}

bool profile_equal(const struct profile *a, const struct profile *b)
{
	size_t i;

	if (strcmp(a->device, b->device) != 0 || a->serial != b->serial ||
	    a->issued != b->issued || a->n_tunnels != b->n_tunnels)
		return false;
	for (i = 0; i < a->n_tunnels; i++)
		if (!ptunnel_equal(&a->tunnels[i], &b->tunnels[i]))
			return false;
	return true;
}

/* ---- rules shared by the builder and the parser ---- */

/* ASCII '!'..'~': names that print, need no quoting in a shell and survive any encoding. */
static bool printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return false;
	return true;
}

static bool device_ok(const char *s, size_t n)
{
	return n >= 1 && n <= PROFILE_DEVICE_MAX && printable(s, n);
}

static void endpoint_fmt(char buf[ENDPOINT_BUF], const char *host, uint16_t port)
{
	if (strchr(host, ':'))
		snprintf(buf, ENDPOINT_BUF, "[%s]:%u", host, port);
	else
		snprintf(buf, ENDPOINT_BUF, "%s:%u", host, port);
}

/* The endpoint as written must read back as the same host and port; that also holds
 * the host to conf.c's rules (an address, or an RFC 1123 name). */
static bool endpoint_ok(const char *host, uint16_t port)
{
	char buf[ENDPOINT_BUF], *h = NULL;
	const char *why;
	uint16_t pt = 0;
	size_t n;
	bool ok;

	if (!host)
		return false;
	n = strnlen(host, PROFILE_HOST_MAX + 1);
	if (n == 0 || n > PROFILE_HOST_MAX || !printable(host, n))
		return false;
	endpoint_fmt(buf, host, port);
	ok = conf_parse_endpoint(buf, &h, &pt, &why) == 0 && strcmp(h, host) == 0 && pt == port;
	free(h);
	return ok;
}

static bool list_ok(const struct cidrv *v, enum list_kind kind)
{
	size_t i;

	if (v->n > PROFILE_MAX_LIST || (v->n && !v->v))
		return false;
	for (i = 0; i < v->n; i++) {
		const struct cidr *c = &v->v[i];

		if (c->family != AF_INET && c->family != AF_INET6)
			return false;
		if (kind != LIST_SERVERS && c->prefix > (c->family == AF_INET ? 32 : 128))
			return false;
		if (kind == LIST_NETWORKS && cidr_host_bits_set(c))
			return false;
	}
	return true;
}

static bool mtu_ok(int64_t mtu)
{
	return mtu == 0 || (mtu >= MTU_MIN && mtu <= MTU_MAX);
}

/* Everything profile_parse checks, on the model: what the builder writes must parse. */
static bool profile_ok(const struct profile *p)
{
	size_t i, k;

	if (!device_ok(p->device, strnlen(p->device, sizeof(p->device))) ||
	    p->n_tunnels > PROFILE_MAX_TUNNELS || (p->n_tunnels && !p->tunnels))
		return false;
	for (i = 0; i < p->n_tunnels; i++) {
		const struct profile_tunnel *t = &p->tunnels[i];

		if (strnlen(t->name, sizeof(t->name)) > PROFILE_NAME_MAX ||
		    !conf_name_valid(t->name) || !endpoint_ok(t->endpoint_host, t->endpoint_port) ||
		    !list_ok(&t->addresses, LIST_ADDRESSES) ||
		    !list_ok(&t->allowed_ips, LIST_NETWORKS) || !list_ok(&t->dns, LIST_SERVERS) ||
		    !mtu_ok(t->mtu))
			return false;
		for (k = 0; k < i; k++)
			if (strcmp(p->tunnels[k].name, t->name) == 0)
				return false;
	}
	return true;
}

/* ---- the builder ---- */

/* More than the text can take: only '"' and '\\' are escaped in what profile_ok lets
 * through (printable ASCII), and they at most double a string. */
static size_t build_bound(const struct profile *p)
{
	size_t n = 256 + 2 * PROFILE_DEVICE_MAX, i;

	for (i = 0; i < p->n_tunnels; i++) {
		const struct profile_tunnel *t = &p->tunnels[i];

		n += 512 + 2 * PROFILE_HOST_MAX +
		     (t->addresses.n + t->allowed_ips.n + t->dns.n) * (CIDR_STRLEN + 3);
	}
	return n;
}

static void write_list(struct json *j, const char *key, const struct cidrv *v, bool address_only)
{
	char buf[CIDR_STRLEN];
	size_t i;

	json_arr_begin(j, key);
	for (i = 0; i < v->n; i++)
		json_str(j, NULL, address_only ? ip_fmt(&v->v[i], buf) : cidr_fmt(&v->v[i], buf));
	json_end(j);
}

char *profile_build(const struct profile *p, size_t *len)
{
	struct json j = { 0 };
	char key[KEY_B64_LEN], ep[ENDPOINT_BUF];
	size_t i;

	if (!profile_ok(p))
		return NULL;
	/* Sized up front so the writer never reallocates: a realloc would leave a copy of
	 * the preshared keys in freed memory, out of profile_text_free's reach. */
	j.cap = build_bound(p);
	j.buf = xmalloc(j.cap);
	j.buf[0] = '\0';

	json_obj_begin(&j, NULL);
	json_u64(&j, "version", PROFILE_VERSION);
	json_str(&j, "device", p->device);
	json_u64(&j, "serial", p->serial);
	json_i64(&j, "issued", p->issued);
	json_arr_begin(&j, "tunnels");
	for (i = 0; i < p->n_tunnels; i++) {
		const struct profile_tunnel *t = &p->tunnels[i];

		json_obj_begin(&j, NULL);
		json_str(&j, "name", t->name);
		endpoint_fmt(ep, t->endpoint_host, t->endpoint_port);
		json_str(&j, "endpoint", ep);
		key_to_base64(key, t->public_key);
		json_str(&j, "public_key", key);
		if (t->has_preshared_key) {
			key_to_base64(key, t->preshared_key);
			json_str(&j, "preshared_key", key);
			sodium_memzero(key, sizeof(key));
		}
		write_list(&j, "addresses", &t->addresses, false);
		write_list(&j, "allowed_ips", &t->allowed_ips, false);
		write_list(&j, "dns", &t->dns, true);
		json_u64(&j, "keepalive", t->keepalive);
		json_u64(&j, "mtu", t->mtu);
		json_end(&j);
	}
	json_end(&j);
	json_end(&j);
	return json_steal(&j, len);
}

void profile_text_free(char *text, size_t len)
{
	if (!text)
		return;
	sodium_memzero(text, len);
	free(text);
}

/* ---- signature and ETag ---- */

void profile_sign(const uint8_t sk[crypto_sign_SECRETKEYBYTES], const char *text, size_t len,
		  char sig_b64[PROFILE_SIG_B64_LEN])
{
	uint8_t sig[crypto_sign_BYTES];

	crypto_init();
	crypto_sign_detached(sig, NULL, (const unsigned char *)text, len, sk);
	sodium_bin2base64(sig_b64, PROFILE_SIG_B64_LEN, sig, sizeof(sig),
			  sodium_base64_VARIANT_ORIGINAL);
}

int profile_verify(const uint8_t pk[crypto_sign_PUBLICKEYBYTES], const char *text, size_t len,
		   const char *sig_b64)
{
	uint8_t sig[crypto_sign_BYTES];
	size_t n, binlen = 0;

	crypto_init();
	if (!sig_b64)
		return -EBADMSG;
	/* Exactly the canonical length: no white space, no missing padding, nothing after. */
	n = strnlen(sig_b64, PROFILE_SIG_B64_LEN);
	if (n != PROFILE_SIG_B64_LEN - 1)
		return -EBADMSG;
	/* Without an end pointer libsodium refuses any character it cannot decode and
	 * non-zero trailing bits, so one signature has one spelling. */
	if (sodium_base642bin(sig, sizeof(sig), sig_b64, n, NULL, &binlen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || binlen != sizeof(sig))
		return -EBADMSG;
	if (crypto_sign_verify_detached(sig, (const unsigned char *)text, len, pk) != 0)
		return -EBADMSG;
	return 0;
}

void profile_etag(const char *text, size_t len, char etag[PROFILE_ETAG_LEN])
{
	uint8_t h[crypto_generichash_BYTES];

	crypto_init();
	crypto_generichash(h, sizeof(h), (const unsigned char *)text, len, NULL, 0);
	etag[0] = '"';
	sodium_bin2hex(etag + 1, PROFILE_ETAG_LEN - 2, h, 16);
	etag[PROFILE_ETAG_LEN - 2] = '"';
	etag[PROFILE_ETAG_LEN - 1] = '\0';
}

/* ---- the parser ---- */

struct pctx {
	char *why;
	size_t whylen;
};

/* "PATH: message", or the message alone at the top; always -EINVAL. */
static int __attribute__((format(printf, 3, 4)))
fail(struct pctx *c, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->why && c->whylen)
		snprintf(c->why, c->whylen, "%s%s%s", path, *path ? ": " : "", msg);
	return -EINVAL;
}

/* s (n bytes) as a short quotation for a message: control bytes, quotes and backslashes
 * escaped, so the message stays one line; cut at QUOTE_MAX bytes on a character
 * boundary, with "..." after the closing quote. */
static const char *quote(char out[QUOTE_BUF], const char *s, size_t n)
{
	size_t i, cut = n > QUOTE_MAX ? QUOTE_MAX : n;
	char *o = out;

	while (cut < n && cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;
	*o++ = '"';
	for (i = 0; i < cut; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f) {
			o += sprintf(o, "\\x%02x", ch);
		} else {
			if (ch == '"' || ch == '\\')
				*o++ = '\\';
			*o++ = (char)ch;
		}
	}
	*o++ = '"';
	if (cut < n) {
		memcpy(o, "...", 3);
		o += 3;
	}
	*o = '\0';
	return out;
}

/* The reader keeps \u0000 inside strings and gives keys no length, so a key spelt
 * "name\u0000x" would pass for "name" here and mean something else to another reader.
 * text is valid JSON already, which keeps this scan simple. */
static bool has_nul_escape(const char *text, size_t len)
{
	bool in_string = false;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!in_string) {
			in_string = text[i] == '"';
		} else if (text[i] == '"') {
			in_string = false;
		} else if (text[i] == '\\') {
			if (len - i >= 6 && memcmp(text + i + 1, "u0000", 5) == 0)
				return true;
			i++;
		}
	}
	return false;
}

/* Unknown, repeated and missing members of obj; names[k] is optional when bit k of
 * optional is set. */
static int check_members(struct pctx *c, const char *path, const struct json_value *obj,
			 const char *const names[], size_t n, unsigned optional)
{
	char q[QUOTE_BUF];
	unsigned seen = 0;
	size_t i, k;

	for (i = 0; i < obj->n; i++) {
		const char *key = obj->keys[i];

		for (k = 0; k < n && strcmp(key, names[k]) != 0; k++)
			;
		if (k == n)
			return fail(c, path, "unknown member %s", quote(q, key, strlen(key)));
		/* json_get takes the first of two; another reader may take the last. */
		if (seen & (1u << k))
			return fail(c, path, "member \"%s\" appears twice", names[k]);
		seen |= 1u << k;
	}
	for (k = 0; k < n; k++)
		if (!(seen & (1u << k)) && !(optional & (1u << k)))
			return fail(c, path, "missing member \"%s\"", names[k]);
	return 0;
}

static int get_str(struct pctx *c, const char *path, const struct json_value *v, const char **s)
{
	if (v->type != JSON_STRING)
		return fail(c, path, "not a string");
	if (strlen(v->s) != v->slen)
		return fail(c, path, "contains a NUL character");
	*s = v->s;
	return 0;
}

static int get_int(struct pctx *c, const char *path, const struct json_value *v, int64_t *out)
{
	if (v->type != JSON_NUMBER || !v->is_i64)
		return fail(c, path, "not an integer");
	*out = v->i64;
	return 0;
}

static int get_array(struct pctx *c, const char *path, const struct json_value *v, size_t max,
		     const char *what)
{
	if (v->type != JSON_ARRAY)
		return fail(c, path, "not an array");
	if (v->n > max)
		return fail(c, path, "more than %zu %s", max, what);
	return 0;
}

static int parse_key(struct pctx *c, const char *path, const struct json_value *v,
		     uint8_t key[KEY_LEN])
{
	const char *s = NULL;
	int r = get_str(c, path, v, &s);

	if (r < 0)
		return r;
	/* Never quoted: a malformed preshared key may be one typo from the real one. */
	if (key_from_base64(key, s) < 0)
		return fail(c, path, "not a valid key (44 characters of base64)");
	return 0;
}

static int parse_list(struct pctx *c, const char *path, const struct json_value *v,
		      enum list_kind kind, struct cidrv *out)
{
	char ipath[64], q[QUOTE_BUF], buf[CIDR_STRLEN];
	struct cidr a;
	const char *s = NULL;
	size_t i;
	int r;

	r = get_array(c, path, v, PROFILE_MAX_LIST, "entries");
	if (r < 0)
		return r;
	for (i = 0; i < v->n; i++) {
		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		r = get_str(c, ipath, v->items[i], &s);
		if (r < 0)
			return r;
		if (kind == LIST_SERVERS) {
			if (ip_parse(&a, s) < 0)
				return fail(c, ipath, "%s is not an IP address",
					    quote(q, s, strlen(s)));
		} else {
			r = cidr_parse(&a, s);
			if (r == -ERANGE)
				return fail(c, ipath, "%s has a prefix length out of range",
					    quote(q, s, strlen(s)));
			if (r < 0)
				return fail(c, ipath, "%s is not an IP address or prefix",
					    quote(q, s, strlen(s)));
			if (kind == LIST_NETWORKS && cidr_host_bits_set(&a)) {
				struct cidr m = a;

				cidr_mask(&m);
				return fail(c, ipath, "%s has host bits set (the network is %s)",
					    quote(q, s, strlen(s)), cidr_fmt(&m, buf));
			}
		}
		cidrv_push(out, &a);
	}
	return 0;
}

static int parse_endpoint(struct pctx *c, const char *path, const struct json_value *v,
			  struct profile_tunnel *t)
{
	const char *s = NULL, *why = "invalid";
	char *host = NULL;
	uint16_t port = 0;
	size_t n;
	int r = get_str(c, path, v, &s);

	if (r < 0)
		return r;
	if (conf_parse_endpoint(s, &host, &port, &why) < 0)
		return fail(c, path, "%s", why);
	n = strlen(host);
	/* conf.c lets a trailing dot make a name 254 bytes, and an IPv6 scope hold any byte
	 * an interface name may; the profile keeps to what prints. */
	if (n > PROFILE_HOST_MAX)
		r = fail(c, path, "host longer than %d bytes", PROFILE_HOST_MAX);
	else if (!printable(host, n))
		r = fail(c, path, "host is not printable ASCII");
	if (r < 0) {
		free(host);
		return r;
	}
	t->endpoint_host = host;
	t->endpoint_port = port;
	return 0;
}

/* Tunnel i into p->tunnels[i]; names of tunnels before it are known, for duplicates. */
static int parse_tunnel(struct pctx *c, struct profile *p, size_t i, const struct json_value *v)
{
	struct profile_tunnel *t = &p->tunnels[i];
	char path[32], mpath[64], q[QUOTE_BUF];
	const struct json_value *m;
	const char *s = NULL;
	int64_t n = 0;
	size_t k;
	int r;

	snprintf(path, sizeof(path), "tunnels[%zu]", i);
	if (v->type != JSON_OBJECT)
		return fail(c, path, "not an object");
	r = check_members(c, path, v, tunnel_members, ARRAY_SIZE(tunnel_members), TUNNEL_OPTIONAL);
	if (r < 0)
		return r;

	snprintf(mpath, sizeof(mpath), "%s.name", path);
	r = get_str(c, mpath, json_get(v, "name"), &s);
	if (r < 0)
		return r;
	if (!conf_name_valid(s))
		return fail(c, mpath, "%s is not [a-z0-9_-]{1,%d}", quote(q, s, strlen(s)),
			    PROFILE_NAME_MAX);
	for (k = 0; k < i; k++)
		if (strcmp(p->tunnels[k].name, s) == 0)
			return fail(c, mpath, "%s is also the name of tunnels[%zu]",
				    quote(q, s, strlen(s)), k);
	memcpy(t->name, s, strlen(s) + 1);

	snprintf(mpath, sizeof(mpath), "%s.endpoint", path);
	r = parse_endpoint(c, mpath, json_get(v, "endpoint"), t);
	if (r < 0)
		return r;

	snprintf(mpath, sizeof(mpath), "%s.public_key", path);
	r = parse_key(c, mpath, json_get(v, "public_key"), t->public_key);
	if (r < 0)
		return r;

	m = json_get(v, "preshared_key");
	if (m) {
		snprintf(mpath, sizeof(mpath), "%s.preshared_key", path);
		r = parse_key(c, mpath, m, t->preshared_key);
		if (r < 0)
			return r;
		t->has_preshared_key = true;
	}

	snprintf(mpath, sizeof(mpath), "%s.addresses", path);
	r = parse_list(c, mpath, json_get(v, "addresses"), LIST_ADDRESSES, &t->addresses);
	if (r < 0)
		return r;
	snprintf(mpath, sizeof(mpath), "%s.allowed_ips", path);
	r = parse_list(c, mpath, json_get(v, "allowed_ips"), LIST_NETWORKS, &t->allowed_ips);
	if (r < 0)
		return r;
	snprintf(mpath, sizeof(mpath), "%s.dns", path);
	r = parse_list(c, mpath, json_get(v, "dns"), LIST_SERVERS, &t->dns);
	if (r < 0)
		return r;

	snprintf(mpath, sizeof(mpath), "%s.keepalive", path);
	r = get_int(c, mpath, json_get(v, "keepalive"), &n);
	if (r < 0)
		return r;
	if (n < 0 || n > 65535)
		return fail(c, mpath, "%" PRId64 " is out of range (0-65535)", n);
	t->keepalive = (uint16_t)n;

	snprintf(mpath, sizeof(mpath), "%s.mtu", path);
	r = get_int(c, mpath, json_get(v, "mtu"), &n);
	if (r < 0)
		return r;
	if (!mtu_ok(n))
		return fail(c, mpath, "%" PRId64 " is out of range (%d-%d, or 0 for automatic)", n,
			    MTU_MIN, MTU_MAX);
	t->mtu = (uint32_t)n;
	return 0;
}

static int parse_root(struct pctx *c, const struct json_value *root, struct profile *p)
{
	const struct json_value *v;
	char q[QUOTE_BUF];
	const char *s = NULL;
	int64_t n = 0;
	size_t i;
	int r;

	if (root->type != JSON_OBJECT)
		return fail(c, "", "not a JSON object");
	/* The version first: a newer profile is refused for what it is, not for the
	 * members it added. */
	v = json_get(root, "version");
	if (v) {
		r = get_int(c, "version", v, &n);
		if (r < 0)
			return r;
		if (n != PROFILE_VERSION)
			return fail(c, "version", "%" PRId64 " is not supported", n);
	}
	r = check_members(c, "", root, top_members, ARRAY_SIZE(top_members), 0);
	if (r < 0)
		return r;

	r = get_str(c, "device", json_get(root, "device"), &s);
	if (r < 0)
		return r;
	if (!device_ok(s, strlen(s)))
		return fail(c, "device", "%s is not 1 to %d printable ASCII characters without spaces",
			    quote(q, s, strlen(s)), PROFILE_DEVICE_MAX);
	memcpy(p->device, s, strlen(s) + 1);

	v = json_get(root, "serial");
	if (v->type != JSON_NUMBER || !v->is_u64)
		return fail(c, "serial", "not a non-negative integer");
	p->serial = v->u64;

	r = get_int(c, "issued", json_get(root, "issued"), &p->issued);
	if (r < 0)
		return r;

	v = json_get(root, "tunnels");
	r = get_array(c, "tunnels", v, PROFILE_MAX_TUNNELS, "tunnels");
	if (r < 0)
		return r;
	if (v->n) {
		/* Zeroed and counted at once, so profile_clear frees a half-parsed list. */
		p->tunnels = xcalloc(v->n, sizeof(*p->tunnels));
		p->n_tunnels = v->n;
	}
	for (i = 0; i < v->n; i++) {
		r = parse_tunnel(c, p, i, v->items[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Every string of the tree is wiped before it is freed: preshared keys are among them. */
static void tree_wipe(struct json_value *v)
{
	size_t i;

	if (!v)
		return;
	if (v->s)
		sodium_memzero(v->s, v->slen);
	for (i = 0; i < v->n; i++)
		tree_wipe(v->items[i]);
}

int profile_parse(const char *text, size_t len, struct profile *p, char *why, size_t whylen)
{
	struct pctx c = { why, whylen };
	struct json_value *root = NULL;
	const char *err = NULL;
	size_t off = 0;
	int r;

	memset(p, 0, sizeof(*p));
	if (why && whylen)
		why[0] = '\0';
	if (len > PROFILE_MAX_BYTES) {
		r = fail(&c, "", "larger than %u bytes", PROFILE_MAX_BYTES);
		goto out;
	}
	if (json_parse(text, len, &root, &err, &off) < 0) {
		r = fail(&c, "", "not valid JSON at byte %zu: %s", off, err ? err : "syntax error");
		goto out;
	}
	if (has_nul_escape(text, len)) {
		r = fail(&c, "", "a string holds \\u0000");
		goto out;
	}
	r = parse_root(&c, root, p);
out:
	tree_wipe(root);
	json_value_free(root);
	if (r < 0)
		profile_clear(p);
	return r;
}
