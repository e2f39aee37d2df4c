/* The warren.conf reader (libconfig into struct config) and the checks that span a whole configuration. */
#include <ctype.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <libconfig.h>
#include <sodium.h>

#include "conf.h"
#include "dns.h"
#include "policy.h"
#include "wgquick.h"
#include "../common/util.h"

#define CONF_FILE_MAX (1 << 20)
#define KEY_FILE_MAX 4096
/* Upper bound for durations and counts: keeps later signed arithmetic safe. */
#define CONF_INT_MAX INT32_MAX

struct pctx {
	struct config *c;
	struct diag *d;
	const char *path;       /* the file as named, for messages */
	char *dir;              /* its directory, for relative paths and @include */
	const char *obj;        /* "tunnel hq: peer 2"; NULL at the top level */
	/* per tunnel / peer: what the file itself gave (import fills the rest) */
	bool seen_key, seen_key_file, seen_pub;
	/* lines of the main file with an integer libconfig wrapped (already reported) */
	int *wrapped_lines;
	size_t n_wrapped;
};

struct key {
	const char *name;
	void (*fn)(struct pctx *p, const config_setting_t *s, void *obj);
};

/* ---- files ---- */

/* Reads up to max bytes; -EFBIG as soon as there are more. */
static int read_fd(int fd, size_t max, char **text, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap), *grown;
	ssize_t r;

	for (;;) {
		if (n + 1 >= cap) {
			if (n > max) {
				sodium_memzero(buf, n);
				free(buf);
				return -EFBIG;
			}
			/* not realloc: the old block may hold a key and must be wiped */
			grown = xmalloc(cap * 2);
			memcpy(grown, buf, n);
			sodium_memzero(buf, n);
			free(buf);
			buf = grown;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			sodium_memzero(buf, n);
			free(buf);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		sodium_memzero(buf, n);
		free(buf);
		return -EFBIG;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int conf_read_file(const char *path, char **text, size_t *len)
{
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = read_fd(fd, CONF_FILE_MAX, text, len);
	close(fd);
	return r;
}

/* Files named inside a configuration (imports, keys) must be regular files: checked
 * before opening, so a name like /dev/watchdog or a FIFO is never opened or waited on. */
static int read_regular(const char *path, size_t max, char **text, size_t *len, struct stat *st)
{
	int fd, r;

	if (stat(path, st) < 0)
		return -errno;
	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if (!S_ISREG(st->st_mode))
		return -ENOTSUP;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		r = -ENOTSUP;
		goto out;
	}
	r = read_fd(fd, max, text, len);
out:
	close(fd);
	return r;
}

static const char *file_error(int r)
{
	return r == -ENOTSUP ? "not a regular file" : strerror(-r);
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static char *join_path(const char *dir, const char *rel)
{
	if (rel[0] == '/' || strcmp(dir, ".") == 0)
		return xstrdup(rel);
	if (strcmp(dir, "/") == 0)
		return xasprintf("/%s", rel);
	return xasprintf("%s/%s", dir, rel);
}

/* ---- names ---- */

bool conf_name_valid(const char *name)
{
	size_t n = strlen(name), i;

	if (n < 1 || n > TUNNEL_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

/* The kernel's dev_valid_name(), with reasons. */
const char *conf_ifname_problem(const char *name)
{
	const char *s;

	if (!*name)
		return "empty";
	if (strlen(name) > IFNAME_MAX)
		return "longer than 15 bytes";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "not a valid interface name";
	for (s = name; *s; s++) {
		if (*s == '/')
			return "contains '/'";
		if (*s == ':')
			return "contains ':'";
		if (isspace((unsigned char)*s))
			return "contains white space";
	}
	return NULL;
}

/* RFC 1123 host name: labels of 1-63 letters, digits and '-', not starting or ending with
 * '-', 253 bytes at most; one trailing dot allowed. */
static bool hostname_valid(const char *h)
{
	size_t n = strlen(h), label = 0, i;

	if (n && h[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	for (i = 0; i <= n; i++) {
		char ch = i < n ? h[i] : '.';

		if (ch == '.') {
			if (label == 0 || label > 63 || h[i - 1] == '-')
				return false;
			label = 0;
		} else if (isalnum((unsigned char)ch) || ch == '-') {
			if (label == 0 && ch == '-')
				return false;
			label++;
		} else {
			return false;
		}
	}
	return true;
}

int conf_parse_endpoint(const char *s, char **host, uint16_t *port, const char **why)
{
	const char *p, *colon, *pct;
	char *h = NULL;
	struct cidr ip;
	unsigned long v = 0;

	*host = NULL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close) {
			*why = "missing ']'";
			return -EINVAL;
		}
		h = xstrndup(s + 1, (size_t)(close - s - 1));
		pct = strchr(h, '%');
		if (pct)
			h[pct - h] = '\0';
		if (ip_parse(&ip, h) < 0 || ip.family != AF_INET6 ||
		    (pct && conf_ifname_problem(pct + 1))) {
			*why = "not a valid IPv6 address";
			goto err;
		}
		if (pct)
			h[pct - h] = '%';
		if (close[1] != ':') {
			*why = close[1] ? "expected ':' after ']'" : "port missing";
			goto err;
		}
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon) {
			*why = "port missing";
			return -EINVAL;
		}
		h = xstrndup(s, (size_t)(colon - s));
		if (strchr(h, ':')) {
			*why = "an IPv6 address needs brackets, as in [2001:db8::1]:51820";
			goto err;
		}
		if (!*h) {
			*why = "host missing";
			goto err;
		}
		if (strspn(h, "0123456789.") == strlen(h)) {
			if (ip_parse(&ip, h) < 0) {
				*why = "not a valid IPv4 address";
				goto err;
			}
		} else if (!hostname_valid(h)) {
			*why = "not a valid host name";
			goto err;
		}
	}
	p = colon + 1;
	if (!*p) {
		*why = "port missing";
		goto err;
	}
	if (strspn(p, "0123456789") != strlen(p)) {
		*why = "port is not a number";
		goto err;
	}
	if (strlen(p) <= 5)
		v = strtoul(p, NULL, 10);
	if (v < 1 || v > 65535) {
		*why = "port out of range";
		goto err;
	}
	*host = h;
	*port = (uint16_t)v;
	return 0;
err:
	free(h);
	return -EINVAL;
}

/* ---- messages ---- */


static char *display_file(const struct pctx *p, const config_setting_t *s)
{
	/* libconfig records an @include'd file's name as written; it opened it in p->dir. */
	if (!s || !config_setting_source_file(s))
		return xstrdup(p->path);
	return join_path(p->dir, config_setting_source_file(s));
}

static void perr(struct pctx *p, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void perr(struct pctx *p, const config_setting_t *s, const char *fmt, ...)
{
	char *msg, *file = display_file(p, s), *esc, *esc_file;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	esc = diag_escape(msg);
	esc_file = diag_escape(file);
	diag_error(p->d, esc_file, s ? (int)config_setting_source_line(s) : 0, "%s%s%s",
		   p->obj ? p->obj : "", p->obj ? ": " : "", esc);
	free(esc_file);
	free(esc);
	free(msg);
	free(file);
}

/* The setting's own name, or for a list element, the name of the list. */
static const char *key_of(const config_setting_t *s)
{
	while (s && !config_setting_name(s))
		s = config_setting_parent(s);
	return s ? config_setting_name(s) : "?";
}

static const char *type_desc(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP: return "a group";
	case CONFIG_TYPE_INT: case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a float";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_ARRAY: return "an array";
	case CONFIG_TYPE_LIST: return "a list";
	}
	return "nothing";
}

static void type_error(struct pctx *p, const config_setting_t *s, const char *want)
{
	perr(p, s, "%s: expected %s, got %s", key_of(s), want, type_desc(config_setting_type(s)));
}

/* ---- typed values ---- */

static bool want_string(struct pctx *p, const config_setting_t *s, const char **out)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		type_error(p, s, "a string");
		return false;
	}
	*out = config_setting_get_string(s);
	return true;
}

static bool want_bool(struct pctx *p, const config_setting_t *s, bool *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		type_error(p, s, "a boolean (true or false)");
		return false;
	}
	*out = config_setting_get_bool(s) != 0;
	return true;
}

static bool int_wrapped(const struct pctx *p, const config_setting_t *s)
{
	size_t i;

	if (config_setting_source_file(s))
		return false;
	for (i = 0; i < p->n_wrapped; i++)
		if (p->wrapped_lines[i] == (int)config_setting_source_line(s))
			return true;
	return false;
}

static bool want_int(struct pctx *p, const config_setting_t *s, long long min, long long max,
		     long long *out)
{
	long long v;

	if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64) {
		type_error(p, s, "an integer");
		return false;
	}
	if (int_wrapped(p, s))
		return false;
	v = config_setting_get_int64(s);
	if (v < min && max == CONF_INT_MAX) {
		perr(p, s, "%s \"%lld\": must be at least %lld", key_of(s), v, min);
		return false;
	}
	if (v < min || v > max) {
		perr(p, s, "%s \"%lld\": out of range (%lld-%lld)", key_of(s), v, min, max);
		return false;
	}
	*out = v;
	return true;
}

static bool want_u32(struct pctx *p, const config_setting_t *s, long long min, uint32_t *out)
{
	long long v;

	if (!want_int(p, s, min, CONF_INT_MAX, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool want_u16(struct pctx *p, const config_setting_t *s, long long min, uint16_t *out)
{
	long long v;

	if (!want_int(p, s, min, 65535, &v))
		return false;
	*out = (uint16_t)v;
	return true;
}

static bool want_path(struct pctx *p, const config_setting_t *s, char **out)
{
	const char *v;

	if (!want_string(p, s, &v))
		return false;
	if (!*v) {
		perr(p, s, "%s \"\": empty path", key_of(s));
		return false;
	}
	free(*out);
	*out = join_path(p->dir, v);
	return true;
}

/* A list of strings: [ "a", "b" ] or ( "a", "b" ). Calls fn for each; false on a type error. */
static bool want_strings(struct pctx *p, const config_setting_t *s,
			 void (*fn)(struct pctx *p, const config_setting_t *e, const char *v, void *arg),
			 void *arg)
{
	int i, n;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST) {
		type_error(p, s, "a list of strings");
		return false;
	}
	n = config_setting_length(s);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			perr(p, e, "%s: expected a list of strings, got %s in it", key_of(s),
			     type_desc(config_setting_type(e)));
			return false;
		}
		fn(p, e, config_setting_get_string(e), arg);
	}
	return true;
}

/* How a prefix list treats bits beyond the prefix length. */
enum hostbits { HOSTBITS_ERROR, HOSTBITS_KEEP, HOSTBITS_MASK };

static int parse_prefix(struct pctx *p, const config_setting_t *e, const char *v,
			enum hostbits hb, struct cidr *out)
{
	char buf[CIDR_STRLEN];
	int r = cidr_parse(out, v);

	if (r == -ERANGE) {
		perr(p, e, "%s \"%s\": prefix length out of range", key_of(e), v);
		return r;
	}
	if (r < 0) {
		perr(p, e, "%s \"%s\": not an IP address or prefix", key_of(e), v);
		return r;
	}
	if (cidr_host_bits_set(out)) {
		if (hb == HOSTBITS_ERROR) {
			struct cidr m = *out;

			cidr_mask(&m);
			perr(p, e, "%s \"%s\": host bits set (the network is %s)", key_of(e), v,
			     cidr_fmt(&m, buf));
			return -EINVAL;
		}
		if (hb == HOSTBITS_MASK)
			cidr_mask(out);
	}
	return 0;
}

struct prefix_arg {
	struct cidrv *v;
	enum hostbits hb;
};

static void push_prefix(struct pctx *p, const config_setting_t *e, const char *v, void *arg)
{
	struct prefix_arg *a = arg;
	struct cidr c;

	if (parse_prefix(p, e, v, a->hb, &c) == 0)
		cidrv_push(a->v, &c);
}

/* Replaces *v: a key given beside `import` overrides what the file had. */
static void want_prefixes(struct pctx *p, const config_setting_t *s, struct cidrv *v, enum hostbits hb)
{
	struct prefix_arg a = { v, hb };

	cidrv_clear(v);
	want_strings(p, s, push_prefix, &a);
}

static bool want_key(struct pctx *p, const config_setting_t *s, uint8_t key[KEY_LEN], bool secret)
{
	const char *v;
	bool ok;

	if (!want_string(p, s, &v))
		return false;
	ok = key_from_base64(key, v) == 0;
	/* Never quote a secret, not even a malformed one: it may be a typo of the real key. */
	if (!ok && secret)
		perr(p, s, "%s: not a valid key (44 characters of base64)", key_of(s));
	else if (!ok)
		perr(p, s, "%s \"%s\": not a valid key (44 characters of base64)", key_of(s), v);
	if (secret)
		sodium_memzero((char *)v, strlen(v));
	return ok;
}

/* An interface name into buf (IFNAME_MAX + 1 bytes); the message names the key. */
static bool want_ifname(struct pctx *p, const config_setting_t *s, char *buf)
{
	const char *v, *why;

	if (!want_string(p, s, &v))
		return false;
	why = conf_ifname_problem(v);
	if (why) {
		perr(p, s, "%s \"%s\": %s", key_of(s), v, why);
		return false;
	}
	strlcpy_check(buf, v, IFNAME_MAX + 1);
	return true;
}

/* host:port, [v6]:port or a name; *host is replaced (the caller owns it). */
static bool want_endpoint(struct pctx *p, const config_setting_t *s, char **host, uint16_t *port)
{
	const char *v, *why = NULL;
	char *h = NULL;
	uint16_t n = 0;

	if (!want_string(p, s, &v))
		return false;
	if (conf_parse_endpoint(v, &h, &n, &why) < 0) {
		perr(p, s, "%s \"%s\": %s", key_of(s), v, why);
		return false;
	}
	free(*host);
	*host = h;
	*port = n;
	return true;
}

/* ---- daemon ---- */

static void k_backend(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct daemon_conf *dc = obj;
	const char *v;

	if (want_string(p, s, &v) && backend_from_name(v, &dc->backend) < 0)
		perr(p, s, "backend \"%s\": must be auto, kernel or userspace", v);
}

static void k_userspace_command(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct daemon_conf *dc = obj;
	const char *v;

	if (!want_string(p, s, &v))
		return;
	if (!*v) {
		perr(p, s, "userspace_command \"\": empty command");
		return;
	}
	free(dc->userspace_command);
	dc->userspace_command = xstrdup(v);
}

static void k_state_dir(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_path(p, s, &((struct daemon_conf *)obj)->state_dir);
}

static void k_socket(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct daemon_conf *dc = obj;
	struct sockaddr_un sun;

	if (want_path(p, s, &dc->socket) && strlen(dc->socket) >= sizeof(sun.sun_path))
		perr(p, s, "socket \"%s\": longer than %zu bytes, too long for a unix socket",
		     dc->socket, sizeof(sun.sun_path) - 1);
}

static void k_allow_hooks(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_bool(p, s, &((struct daemon_conf *)obj)->allow_hooks);
}

static void push_arg(struct pctx *p, const config_setting_t *e, const char *v, void *arg)
{
	(void)p;
	(void)e;
	strv_push(arg, v);
}

static void k_on_event(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct daemon_conf *dc = obj;

	strv_clear(&dc->on_event);
	if (!want_strings(p, s, push_arg, &dc->on_event))
		return;
	/* Run as argv, never through a shell: the first word is the program. */
	if (!dc->on_event.n || !dc->on_event.v[0][0])
		perr(p, s, "on_event: the first element must name a program");
}

static void k_route_protocol(struct pctx *p, const config_setting_t *s, void *obj)
{
	long long v;

	/* 0-4 are the kernel's own (unspec, redirect, kernel, boot, static). */
	if (want_int(p, s, 5, 255, &v))
		((struct daemon_conf *)obj)->route_protocol = (uint8_t)v;
}

static void k_rule_priority(struct pctx *p, const config_setting_t *s, void *obj)
{
	long long v;

	/* 100 priorities, all before the main table's rule at 32766. */
	if (want_int(p, s, 1, 32666, &v))
		((struct daemon_conf *)obj)->rule_priority = (uint32_t)v;
}

static void k_table_base(struct pctx *p, const config_setting_t *s, void *obj)
{
	long long v;

	if (!want_int(p, s, 1, 4294967295LL - 100, &v))
		return;
	/* 100 tables that must not include default (253), main (254) or local (255). */
	if (v <= 255 && v + 99 >= 253)
		perr(p, s, "table_base \"%lld\": tables %lld-%lld would include the kernel's tables 253-255",
		     v, v, v + 99);
	else
		((struct daemon_conf *)obj)->table_base = (uint32_t)v;
}

static void k_fwmark(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_u32(p, s, 1, &((struct daemon_conf *)obj)->fwmark);
}

static void k_fwmark_mask(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_u32(p, s, 1, &((struct daemon_conf *)obj)->fwmark_mask);
}

static const struct key daemon_keys[] = {
	{ "backend", k_backend },
	{ "route_protocol", k_route_protocol },
	{ "rule_priority", k_rule_priority },
	{ "table_base", k_table_base },
	{ "fwmark", k_fwmark },
	{ "fwmark_mask", k_fwmark_mask },
	{ "userspace_command", k_userspace_command },
	{ "state_dir", k_state_dir },
	{ "socket", k_socket },
	{ "allow_hooks", k_allow_hooks },
	{ "on_event", k_on_event },
	{ NULL, NULL }
};

/* ---- lan ---- */

static void push_ifname(struct pctx *p, const config_setting_t *e, const char *v, void *arg)
{
	const char *why = conf_ifname_problem(v);

	if (why)
		perr(p, e, "%s \"%s\": %s", key_of(e), v, why);
	else
		strv_push(arg, v);
}

static void k_lan_interfaces(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct lan_conf *l = obj;

	strv_clear(&l->interfaces);
	want_strings(p, s, push_ifname, &l->interfaces);
}

static void k_lan_subnets(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_prefixes(p, s, &((struct lan_conf *)obj)->subnets, HOSTBITS_ERROR);
}

static const struct key lan_keys[] = {
	{ "interfaces", k_lan_interfaces },
	{ "subnets", k_lan_subnets },
	{ NULL, NULL }
};

/* ---- portal ---- */

static void k_portal_url(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct portal_conf *pc = obj;
	const char *v;

	if (!want_string(p, s, &v))
		return;
	if (strncmp(v, "https://", 8) != 0) {
		perr(p, s, "url \"%s\": must start with https://", v);
		return;
	}
	if (!v[8] || v[8] == '/' || strpbrk(v, " \t\r\n")) {
		perr(p, s, "url \"%s\": not a valid URL", v);
		return;
	}
	free(pc->url);
	pc->url = xstrdup(v);
	pc->enabled = true;
}

static void k_portal_ca_file(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_path(p, s, &((struct portal_conf *)obj)->ca_file);
}

static void k_portal_interval(struct pctx *p, const config_setting_t *s, void *obj)
{
	long long v;

	/* The server holds a long poll at most 300 s. */
	if (want_int(p, s, 1, 300, &v))
		((struct portal_conf *)obj)->interval = (uint32_t)v;
}

static const struct key portal_keys[] = {
	{ "url", k_portal_url },
	{ "ca_file", k_portal_ca_file },
	{ "interval", k_portal_interval },
	{ NULL, NULL }
};

/* ---- peers ---- */

static void k_peer_public_key(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct peer *pe = obj;

	p->seen_pub = true;
	want_key(p, s, pe->public_key, false);
}

static void k_peer_preshared_key(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct peer *pe = obj;

	pe->has_preshared_key = want_key(p, s, pe->preshared_key, true);
}

static void k_peer_endpoint(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct peer *pe = obj;

	want_endpoint(p, s, &pe->endpoint_host, &pe->endpoint_port);
}

static void k_peer_allowed_ips(struct pctx *p, const config_setting_t *s, void *obj)
{
	/* wg masks host bits of allowed IPs itself; store them masked so they can be routes. */
	want_prefixes(p, s, &((struct peer *)obj)->allowed_ips, HOSTBITS_MASK);
}

static void k_peer_keepalive(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_u16(p, s, 0, &((struct peer *)obj)->persistent_keepalive);
}

static const struct key peer_keys[] = {
	{ "public_key", k_peer_public_key },
	{ "preshared_key", k_peer_preshared_key },
	{ "endpoint", k_peer_endpoint },
	{ "allowed_ips", k_peer_allowed_ips },
	{ "persistent_keepalive", k_peer_keepalive },
	{ NULL, NULL }
};

/* ---- probe ---- */

static void k_probe_target(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct probe *pr = obj;
	const char *v;

	if (!want_string(p, s, &v))
		return;
	if (ip_parse(&pr->target, v) < 0)
		perr(p, s, "target \"%s\": not an IP address", v);
}

static void k_probe_interval(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_u32(p, s, 1, &((struct probe *)obj)->interval_ms);
}

static void k_probe_timeout(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_u32(p, s, 1, &((struct probe *)obj)->timeout_ms);
}

static void k_probe_down_after(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_u32(p, s, 1, &((struct probe *)obj)->down_after);
}

static void k_probe_up_after(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_u32(p, s, 1, &((struct probe *)obj)->up_after);
}

static const struct key probe_keys[] = {
	{ "target", k_probe_target },
	{ "interval_ms", k_probe_interval },
	{ "timeout_ms", k_probe_timeout },
	{ "down_after", k_probe_down_after },
	{ "up_after", k_probe_up_after },
	{ NULL, NULL }
};

/* ---- groups of keys ---- */

static void parse_members(struct pctx *p, const config_setting_t *grp, const struct key *keys, void *obj)
{
	int i, n = config_setting_length(grp);

	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(grp, (unsigned int)i);
		const struct key *k;

		for (k = keys; k->name; k++)
			if (strcmp(k->name, config_setting_name(s)) == 0)
				break;
		if (!k->name)
			perr(p, s, "unknown setting \"%s\"", config_setting_name(s));
		else if (k->fn)
			k->fn(p, s, obj);
	}
}

/* A section that must be a group: "daemon = { ... };" */
static bool want_group(struct pctx *p, const config_setting_t *s)
{
	if (config_setting_is_group(s))
		return true;
	type_error(p, s, "a group { ... }");
	return false;
}

/* A list of groups: "tunnels = ( { ... }, { ... } );"; an empty [] is fine too. */
static bool want_group_list(struct pctx *p, const config_setting_t *s)
{
	if (config_setting_is_list(s) ||
	    (config_setting_is_array(s) && config_setting_length(s) == 0))
		return true;
	type_error(p, s, "a list of groups ( { ... }, ... )");
	return false;
}

/* ---- tunnels ---- */

static void k_tunnel_interface(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_ifname(p, s, ((struct tunnel *)obj)->ifname);
}

static void k_tunnel_private_key(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct tunnel *t = obj;

	p->seen_key = true;
	if (p->seen_key_file) {
		perr(p, s, "private_key and private_key_file exclude each other");
		return;
	}
	free(t->private_key_file);
	t->private_key_file = NULL;
	t->has_private_key = want_key(p, s, t->private_key, true);
	t->private_key_bad = !t->has_private_key;
}

static void k_tunnel_private_key_file(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct tunnel *t = obj;

	p->seen_key_file = true;
	if (p->seen_key) {
		perr(p, s, "private_key and private_key_file exclude each other");
		return;
	}
	if (want_path(p, s, &t->private_key_file)) {
		/* overrides a key from `import`; config_validate reads the file */
		sodium_memzero(t->private_key, sizeof(t->private_key));
		t->has_private_key = false;
	}
}

static void k_tunnel_address(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_prefixes(p, s, &((struct tunnel *)obj)->addresses, HOSTBITS_KEEP);
}

static void k_tunnel_listen_port(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct tunnel *t = obj;

	t->has_listen_port = want_u16(p, s, 0, &t->listen_port);
}

static void k_tunnel_mtu(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct tunnel *t = obj;
	long long v;

	if (!want_int(p, s, LLONG_MIN, LLONG_MAX, &v))
		return;
	if (v != 0 && (v < 1280 || v > 65535)) {
		perr(p, s, "mtu \"%lld\": out of range (1280-65535, or 0 for automatic)", v);
		return;
	}
	t->mtu = (uint32_t)v;
}

static void k_tunnel_routes(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct tunnel *t = obj;

	want_prefixes(p, s, &t->routes, HOSTBITS_ERROR);
	t->has_routes = true;
}

static void add_family(struct pctx *p, const config_setting_t *e, const char *v, void *arg)
{
	unsigned int *fam = arg;

	if (strcmp(v, "ipv4") == 0)
		*fam |= FAMILY_IPV4;
	else if (strcmp(v, "ipv6") == 0)
		*fam |= FAMILY_IPV6;
	else
		perr(p, e, "families \"%s\": must be \"ipv4\" or \"ipv6\"", v);
}

static void k_tunnel_families(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct tunnel *t = obj;
	unsigned int fam = 0;

	if (!want_strings(p, s, add_family, &fam))
		return;
	if (config_setting_length(s) == 0)
		perr(p, s, "families \"[]\": must name \"ipv4\", \"ipv6\" or both");
	else if (fam)
		t->families = fam;
}

static void k_tunnel_snat(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_bool(p, s, &((struct tunnel *)obj)->snat);
}

static void k_tunnel_allow_inbound(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_bool(p, s, &((struct tunnel *)obj)->allow_inbound);
}

static void k_tunnel_peers(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct tunnel *t = obj;
	const char *outer = p->obj;
	int i, n;

	if (!want_group_list(p, s))
		return;
	/* peers beside `import` replace the imported ones */
	for (i = 0; (size_t)i < t->n_peers; i++)
		peer_clear(&t->peers[i]);
	free(t->peers);
	t->peers = NULL;
	t->n_peers = 0;
	t->peers_imported = false;
	n = config_setting_length(s);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		char *label = xasprintf("%s: peer %d", outer, i + 1);
		struct peer *pe;

		p->obj = label;
		if (!config_setting_is_group(e)) {
			perr(p, e, "expected a group { ... }, got %s", type_desc(config_setting_type(e)));
		} else {
			pe = array_push(&t->peers, &t->n_peers, sizeof(*t->peers));
			pe->line = (int)config_setting_source_line(e);
			p->seen_pub = false;
			parse_members(p, e, peer_keys, pe);
			if (!p->seen_pub)
				perr(p, e, "public_key missing");
		}
		p->obj = outer;
		free(label);
	}
}

static void push_dns_server(struct pctx *p, const config_setting_t *e, const char *v, void *arg)
{
	struct cidrv *servers = arg;
	struct cidr a;
	size_t i;

	if (cidr_parse(&a, v) == 0 && strchr(v, '/')) {
		perr(p, e, "dns \"%s\": an address, not a prefix", v);
		return;
	}
	if (ip_parse(&a, v) < 0) {
		perr(p, e, "dns \"%s\": not an IP address", v);
		return;
	}
	for (i = 0; i < servers->n; i++)
		if (cidr_equal(&servers->v[i], &a)) {
			perr(p, e, "dns \"%s\": listed twice", v);
			return;
		}
	if (servers->n == DNS_MAX_SERVERS) {
		perr(p, e, "dns \"%s\": more than %d servers", v, DNS_MAX_SERVERS);
		return;
	}
	cidrv_push(servers, &a);
}

static void k_tunnel_dns(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct tunnel *t = obj;

	/* replaces what an import gave */
	cidrv_clear(&t->dns);
	want_strings(p, s, push_dns_server, &t->dns);
}

/* The domain without '~' and a trailing dot, for telling duplicates apart. */
static size_t domain_base(const char *d, const char **start)
{
	size_t n;

	*start = d + (d[0] == '~');
	n = strlen(*start);
	return n > 1 && (*start)[n - 1] == '.' ? n - 1 : n;
}

static void push_dns_domain(struct pctx *p, const config_setting_t *e, const char *v, void *arg)
{
	struct strv *domains = arg;
	const char *a, *b;
	size_t i, na, nb;

	if (!dns_domain_valid(v)) {
		perr(p, e, "dns_search \"%s\": not a domain name (a search domain, or ~domain to route queries only)", v);
		return;
	}
	na = domain_base(v, &a);
	for (i = 0; i < domains->n; i++) {
		nb = domain_base(domains->v[i], &b);
		if (na == nb && strncasecmp(a, b, na) == 0) {
			perr(p, e, "dns_search \"%s\": listed twice", v);
			return;
		}
	}
	if (domains->n == DNS_MAX_DOMAINS) {
		perr(p, e, "dns_search \"%s\": more than %d domains", v, DNS_MAX_DOMAINS);
		return;
	}
	strv_push(domains, v);
}

static void k_tunnel_dns_search(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct tunnel *t = obj;

	strv_clear(&t->dns_search);
	want_strings(p, s, push_dns_domain, &t->dns_search);
}

static void k_tunnel_probe(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct tunnel *t = obj;
	const char *outer = p->obj;
	char *label;

	if (!want_group(p, s))
		return;
	label = xasprintf("%s: probe", outer);
	p->obj = label;
	memset(&t->probe.target, 0, sizeof(t->probe.target));
	parse_members(p, s, probe_keys, &t->probe);
	if (!config_setting_get_member(s, "target"))
		perr(p, s, "target missing");
	t->probe.enabled = t->probe.target.family != 0;
	p->obj = outer;
	free(label);
}

static const struct key tunnel_keys[] = {
	{ "name", NULL },       /* read first, it names the tunnel in messages */
	{ "import", NULL },     /* read first, the other keys override it */
	{ "interface", k_tunnel_interface },
	{ "private_key", k_tunnel_private_key },
	{ "private_key_file", k_tunnel_private_key_file },
	{ "address", k_tunnel_address },
	{ "listen_port", k_tunnel_listen_port },
	{ "mtu", k_tunnel_mtu },
	{ "routes", k_tunnel_routes },
	{ "families", k_tunnel_families },
	{ "snat", k_tunnel_snat },
	{ "allow_inbound", k_tunnel_allow_inbound },
	{ "peers", k_tunnel_peers },
	{ "probe", k_tunnel_probe },
	{ "dns", k_tunnel_dns },
	{ "dns_search", k_tunnel_dns_search },
	{ NULL, NULL }
};

/* name = "..." of a tunnel or group: true and *name set when valid. */
static bool want_name(struct pctx *p, const config_setting_t *grp, const char **name)
{
	const config_setting_t *s = config_setting_get_member(grp, "name");

	if (!s) {
		perr(p, grp, "name missing");
		return false;
	}
	if (!want_string(p, s, name))
		return false;
	if (!conf_name_valid(*name)) {
		perr(p, s, "name \"%s\": must be 1-12 characters of a-z, 0-9, '_' and '-'", *name);
		return false;
	}
	return true;
}

static void tunnel_import(struct pctx *p, struct tunnel *t, const config_setting_t *s)
{
	char *path = NULL, *text = NULL;
	struct stat st;
	size_t len = 0;
	int r;

	if (!want_path(p, s, &path))
		return;
	r = read_regular(path, CONF_FILE_MAX, &text, &len, &st);
	if (r < 0) {
		perr(p, s, "import \"%s\": %s", path, file_error(r));
		goto out;
	}
	wgq_parse(t, path, text, len, p->d);
	t->peers_imported = true;
out:
	free(t->import);
	t->import = path;
	if (text) {
		sodium_memzero(text, len);
		free(text);
	}
}

static void parse_tunnel(struct pctx *p, const config_setting_t *s, int idx)
{
	struct config *c = p->c;
	const char *outer = p->obj, *name = NULL;
	const config_setting_t *imp;
	char *label = xasprintf("tunnel %d", idx);
	struct tunnel *t;
	bool named;

	p->obj = label;
	if (!config_setting_is_group(s)) {
		perr(p, s, "expected a group { ... }, got %s", type_desc(config_setting_type(s)));
		goto out;
	}
	t = array_push(&c->tunnels, &c->n_tunnels, sizeof(*c->tunnels));
	tunnel_init(t);
	named = want_name(p, s, &name);
	if (named) {
		free(label);
		label = xasprintf("tunnel %s", name);
		p->obj = label;
	}
	imp = config_setting_get_member(s, "import");
	if (imp)
		tunnel_import(p, t, imp);
	/* set after the import: wgq_parse fills a tunnel, not its identity */
	if (named) {
		strlcpy_check(t->name, name, sizeof(t->name));
		snprintf(t->ifname, sizeof(t->ifname), "wg-%s", name);
	} else {
		t->name[0] = t->ifname[0] = '\0';
	}
	free(t->source);
	t->source = display_file(p, s);
	t->line = (int)config_setting_source_line(s);
	p->seen_key = p->seen_key_file = false;
	parse_members(p, s, tunnel_keys, t);
out:
	p->obj = outer;
	free(label);
}

/* ---- groups ---- */

static void k_group_routes(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_prefixes(p, s, &((struct group *)obj)->routes, HOSTBITS_ERROR);
}

static void push_member(struct pctx *p, const config_setting_t *e, const char *v, void *arg)
{
	if (!conf_name_valid(v))
		perr(p, e, "members \"%s\": not a valid tunnel name", v);
	else
		strv_push(arg, v);
}

static void k_group_members(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct group *g = obj;

	strv_clear(&g->members);
	want_strings(p, s, push_member, &g->members);
}

static void push_source(struct pctx *p, const config_setting_t *e, const char *v, void *arg)
{
	char buf[CIDR_STRLEN];
	struct cidr c;

	if (strcmp(v, "lan") == 0 || strcmp(v, "host") == 0) {
		strv_push(arg, v);
		return;
	}
	if (cidr_parse(&c, v) < 0) {
		perr(p, e, "sources \"%s\": must be \"lan\", \"host\" or an IP prefix", v);
		return;
	}
	if (parse_prefix(p, e, v, HOSTBITS_ERROR, &c) == 0)
		strv_push(arg, cidr_fmt(&c, buf));
}

static void k_group_sources(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct group *g = obj;

	strv_clear(&g->sources);
	want_strings(p, s, push_source, &g->sources);
}

static void k_group_fallback(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct group *g = obj;
	const char *v;

	if (!want_string(p, s, &v))
		return;
	if (strcmp(v, "blackhole") == 0)
		g->fallback = FALLBACK_BLACKHOLE;
	else if (strcmp(v, "main") == 0)
		g->fallback = FALLBACK_MAIN;
	else
		perr(p, s, "fallback \"%s\": must be blackhole or main", v);
}

static void k_group_hold(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_u32(p, s, 0, &((struct group *)obj)->hold_ms);
}

static const struct key group_keys[] = {
	{ "name", NULL },
	{ "routes", k_group_routes },
	{ "members", k_group_members },
	{ "sources", k_group_sources },
	{ "fallback", k_group_fallback },
	{ "hold_ms", k_group_hold },
	{ NULL, NULL }
};

static void parse_group(struct pctx *p, const config_setting_t *s, int idx)
{
	struct config *c = p->c;
	const char *outer = p->obj, *name = NULL;
	char *label = xasprintf("group %d", idx);
	struct group *g;

	p->obj = label;
	if (!config_setting_is_group(s)) {
		perr(p, s, "expected a group { ... }, got %s", type_desc(config_setting_type(s)));
		goto out;
	}
	g = array_push(&c->groups, &c->n_groups, sizeof(*c->groups));
	g->line = (int)config_setting_source_line(s);
	g->fallback = FALLBACK_BLACKHOLE;
	g->hold_ms = 5000;
	if (want_name(p, s, &name)) {
		strlcpy_check(g->name, name, sizeof(g->name));
		free(label);
		label = xasprintf("group %s", name);
		p->obj = label;
	}
	parse_members(p, s, group_keys, g);
	if (!config_setting_get_member(s, "routes"))
		perr(p, s, "routes missing");
	else if (config_setting_length(config_setting_get_member(s, "routes")) == 0)
		perr(p, config_setting_get_member(s, "routes"), "routes \"[]\": no routes");
	if (!config_setting_get_member(s, "members"))
		perr(p, s, "members missing");
	else if (config_setting_length(config_setting_get_member(s, "members")) == 0)
		perr(p, config_setting_get_member(s, "members"), "members \"[]\": no members");
	if (!config_setting_get_member(s, "sources")) {
		strv_push(&g->sources, "lan");
		strv_push(&g->sources, "host");
	}
out:
	p->obj = outer;
	free(label);
}

/* ---- the file ---- */

static void parse_list(struct pctx *p, const config_setting_t *s,
		       void (*fn)(struct pctx *p, const config_setting_t *e, int idx))
{
	int i, n;

	if (!want_group_list(p, s))
		return;
	n = config_setting_length(s);
	for (i = 0; i < n; i++)
		fn(p, config_setting_get_elem(s, (unsigned int)i), i + 1);
}

static void parse_section(struct pctx *p, const config_setting_t *s, const struct key *keys, void *obj)
{
	const char *outer = p->obj;

	if (!want_group(p, s))
		return;
	p->obj = config_setting_name(s);
	parse_members(p, s, keys, obj);
	p->obj = outer;
}

/* libconfig 1.5 silently wraps integers that do not fit 32 bits (5000000000 reads as
 * 705032704): find such literals in the text itself. Skips strings and comments. */
static void check_int_literals(struct pctx *p, const char *text)
{
	const char *s = text, *start;
	int line = 1;

	while (*s) {
		if (*s == '\n') {
			line++;
			s++;
		} else if (*s == '#' || (s[0] == '/' && s[1] == '/')) {
			s += strcspn(s, "\n");
		} else if (s[0] == '/' && s[1] == '*') {
			for (s += 2; *s && !(s[0] == '*' && s[1] == '/'); s++)
				line += *s == '\n';
			if (*s)
				s += 2;
		} else if (*s == '"') {
			for (s++; *s && *s != '"'; s++) {
				line += *s == '\n';
				if (*s == '\\' && s[1])
					s++;
			}
			if (*s)
				s++;
		} else if (isalpha((unsigned char)*s) || *s == '*' || *s == '_') {
			while (isalnum((unsigned char)*s) || *s == '_' || *s == '-' || *s == '*')
				s++;
		} else if (isdigit((unsigned char)*s)) {
			bool neg = s > text && s[-1] == '-', hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
			size_t digits;
			bool big;

			start = s;
			if (hex) {
				s += 2;
				while (*s == '0')
					s++;
				digits = strspn(s, "0123456789abcdefABCDEF");
				s += digits;
				big = digits > 8;
			} else {
				digits = strspn(s, "0123456789");
				s += digits;
				if (*s == '.' || *s == 'e' || *s == 'E') {
					s += strspn(s, "0123456789.eE+-");
					continue;
				}
				big = digits > 10 ||
				      (digits == 10 && strncmp(start, neg ? "2147483648" : "2147483647", 10) > 0);
			}
			if (*s == 'L') {
				s += s[1] == 'L' ? 2 : 1;
				continue;
			}
			if (big) {
				diag_error(p->d, p->path, line,
					   "integer \"%s%.*s\" does not fit in 32 bits (64-bit integers end in L)",
					   neg ? "-" : "", (int)(s - start), start);
				*(int *)array_push(&p->wrapped_lines, &p->n_wrapped, sizeof(int)) = line;
			}
		} else {
			s++;
		}
	}
}

static void k_root_daemon(struct pctx *p, const config_setting_t *s, void *obj)
{
	parse_section(p, s, daemon_keys, &p->c->daemon);
}

static void k_root_lan(struct pctx *p, const config_setting_t *s, void *obj)
{
	parse_section(p, s, lan_keys, &p->c->lan);
}

static void k_root_portal(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct portal_conf *pc = &p->c->portal;

	parse_section(p, s, portal_keys, pc);
	if (config_setting_is_group(s) && !config_setting_get_member(s, "url")) {
		p->obj = "portal";
		perr(p, s, "url missing");
		p->obj = NULL;
	}
}

static void k_root_tunnels(struct pctx *p, const config_setting_t *s, void *obj)
{
	parse_list(p, s, parse_tunnel);
}

static void k_root_groups(struct pctx *p, const config_setting_t *s, void *obj)
{
	parse_list(p, s, parse_group);
}

/* ---- server ---- */

static void k_server_interface(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_ifname(p, s, ((struct server_conf *)obj)->ifname);
}

static void k_server_listen_port(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_u16(p, s, 1, &((struct server_conf *)obj)->listen_port);
}

static void k_server_private_key(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct server_conf *sc = obj;

	free(sc->private_key_file);
	sc->private_key_file = NULL;
	sc->has_private_key = want_key(p, s, sc->private_key, true);
	sc->private_key_bad = !sc->has_private_key;
}

static void k_server_private_key_file(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_path(p, s, &((struct server_conf *)obj)->private_key_file);
}

static void k_server_endpoint(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct server_conf *sc = obj;

	want_endpoint(p, s, &sc->endpoint_host, &sc->endpoint_port);
}

static void k_server_pool(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct server_conf *sc = obj;
	bool v4 = false, v6 = false;
	size_t i;

	want_prefixes(p, s, &sc->pool, HOSTBITS_ERROR);
	for (i = 0; i < sc->pool.n; i++) {
		bool *seen = sc->pool.v[i].family == AF_INET ? &v4 : &v6;
		char buf[CIDR_STRLEN];

		/* One pool per family: each user gets one address from each. */
		if (*seen)
			perr(p, s, "pool \"%s\": a second %s pool", cidr_fmt(&sc->pool.v[i], buf),
			     sc->pool.v[i].family == AF_INET ? "IPv4" : "IPv6");
		*seen = true;
		if (sc->pool.v[i].prefix > (sc->pool.v[i].family == AF_INET ? 30 : 126))
			perr(p, s, "pool \"%s\": too small for a server and a client",
			     cidr_fmt(&sc->pool.v[i], buf));
	}
}

static void k_server_dns(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct server_conf *sc = obj;
	size_t i;

	want_prefixes(p, s, &sc->dns, HOSTBITS_KEEP);
	for (i = 0; i < sc->dns.n; i++) {
		char buf[CIDR_STRLEN];

		if (sc->dns.v[i].prefix != (sc->dns.v[i].family == AF_INET ? 32 : 128))
			perr(p, s, "dns \"%s\": an address, not a prefix", cidr_fmt(&sc->dns.v[i], buf));
	}
}

static void k_server_client_allowed_ips(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_prefixes(p, s, &((struct server_conf *)obj)->client_allowed_ips, HOSTBITS_ERROR);
}

static void k_server_client_keepalive(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_u16(p, s, 0, &((struct server_conf *)obj)->client_keepalive);
}

static void k_server_mtu(struct pctx *p, const config_setting_t *s, void *obj)
{
	long long v = -1;

	if (want_int(p, s, 0, 65535, &v) && v && v < 1280)
		perr(p, s, "mtu \"%lld\": out of range (1280-65535, or 0 for automatic)", v);
	else if (v >= 0)
		((struct server_conf *)obj)->mtu = (uint32_t)v;
}

static void k_server_egress(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_ifname(p, s, ((struct server_conf *)obj)->egress);
}

static void k_server_snat(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_bool(p, s, &((struct server_conf *)obj)->snat);
}

static void k_server_database(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_path(p, s, &((struct server_conf *)obj)->database);
}

static void k_server_socket(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct server_conf *sc = obj;
	struct sockaddr_un sun;

	if (want_path(p, s, &sc->socket) && strlen(sc->socket) >= sizeof(sun.sun_path))
		perr(p, s, "socket \"%s\": longer than %zu bytes, too long for a unix socket",
		     sc->socket, sizeof(sun.sun_path) - 1);
}

static void k_server_session_idle_s(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_u32(p, s, 1, &((struct server_conf *)obj)->session_idle_s);
}

static void k_server_max_devices(struct pctx *p, const config_setting_t *s, void *obj)
{
	long long v;

	if (want_int(p, s, 1, 1000, &v))
		((struct server_conf *)obj)->max_devices = (uint32_t)v;
}

static void k_server_accounting_interval_ms(struct pctx *p, const config_setting_t *s, void *obj)
{
	long long v;

	if (want_int(p, s, 100, 3600000, &v))
		((struct server_conf *)obj)->accounting_interval_ms = (uint32_t)v;
}

static void k_server_session_retention_days(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_u32(p, s, 1, &((struct server_conf *)obj)->session_retention_days);
}

static void k_server_portal_listen(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct server_portal_conf *pc = obj;
	char *host = NULL;
	uint16_t port;

	struct in6_addr a6;
	struct in_addr a4;

	/* Checked as an endpoint, kept as written for the HTTP side to bind. */
	if (!want_endpoint(p, s, &host, &port))
		return;
	/* It binds before anything resolves names: an address, not a host name. */
	if (inet_pton(AF_INET, host, &a4) != 1 && inet_pton(AF_INET6, host, &a6) != 1) {
		perr(p, s, "listen \"%s\": an address to bind, such as \"[::]:8443\", not a host name",
		     config_setting_get_string(s));
		free(host);
		return;
	}
	free(host);
	free(pc->listen);
	pc->listen = xstrdup(config_setting_get_string(s));
	pc->enabled = true;
}

static void k_server_portal_cert(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_path(p, s, &((struct server_portal_conf *)obj)->tls_cert_file);
}

static void k_server_portal_key(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_path(p, s, &((struct server_portal_conf *)obj)->tls_key_file);
}

static void k_server_portal_name(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct server_portal_conf *pc = obj;
	const char *v;

	if (!want_string(p, s, &v))
		return;
	if (!conf_name_valid(v)) {
		perr(p, s, "name \"%s\": must be 1-12 characters of a-z, 0-9, '_' and '-'", v);
		return;
	}
	snprintf(pc->name, sizeof(pc->name), "%s", v);
}

static void k_server_portal_admin_totp(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct server_portal_conf *pc = obj;
	const char *v;

	if (!want_string(p, s, &v))
		return;
	if (strcmp(v, "optional") == 0)
		pc->admin_totp_required = false;
	else if (strcmp(v, "required") == 0)
		pc->admin_totp_required = true;
	else
		perr(p, s, "admin_totp \"%s\": must be optional or required", v);
}

static void k_server_portal_user(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct server_portal_conf *pc = obj;
	const char *v;

	if (!want_string(p, s, &v))
		return;
	if (!*v || strlen(v) >= sizeof(pc->user) || strchr(v, '/') || strchr(v, ':')) {
		perr(p, s, "user \"%s\": not a user name", v);
		return;
	}
	snprintf(pc->user, sizeof(pc->user), "%s", v);
}

static const struct key server_portal_keys[] = {
	{ "listen", k_server_portal_listen },
	{ "name", k_server_portal_name },
	{ "user", k_server_portal_user },
	{ "admin_totp", k_server_portal_admin_totp },
	{ "tls_cert_file", k_server_portal_cert },
	{ "tls_key_file", k_server_portal_key },
	{ NULL, NULL }
};

static void k_server_portal(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct server_portal_conf *pc = &((struct server_conf *)obj)->portal;

	parse_section(p, s, server_portal_keys, pc);
	if (!config_setting_get_member(s, "listen"))
		perr(p, s, "portal: listen missing");
	else if (pc->enabled && (!pc->tls_cert_file || !pc->tls_key_file))
		perr(p, s, "portal: tls_cert_file and tls_key_file are needed: the portal speaks only HTTPS");
}

/* A zone is an IANA name whose file the C library will read: no way out of the tree. */
#define ZONEINFO "/usr/share/zoneinfo"

static void k_server_timezone(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct server_conf *sc = obj;
	struct stat st;
	char *path;
	const char *v;

	if (!want_string(p, s, &v))
		return;
	if (!*v || *v == '/' || strstr(v, "..") || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789/_+-") != strlen(v)) {
		perr(p, s, "timezone \"%s\": not a zone name such as \"Europe/Berlin\"", v);
		return;
	}
	if (asprintf(&path, ZONEINFO "/%s", v) < 0)
		abort();
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		perr(p, s, "timezone \"%s\": no such zone in " ZONEINFO, v);
	else {
		free(sc->timezone);
		sc->timezone = xstrdup(v);
	}
	free(path);
}

/* A list field of the policy: a list of strings or one string, each item in the
 * policy's notation. */
struct plist_arg {
	struct policy *pol;
	bool dests;
};

static void push_plist(struct pctx *p, const config_setting_t *e, const char *v, void *arg)
{
	struct plist_arg *a = arg;
	char why[256];

	if (a->dests) {
		struct policy_dest *d;
		size_t n;

		if (policy_dests_parse(v, &d, &n, why, sizeof(why)) < 0) {
			perr(p, e, "destinations %s", why);
			return;
		}
		if (a->pol->n_dests + n > POLICY_DESTS_MAX) {
			perr(p, e, "destinations: more than %d", POLICY_DESTS_MAX);
			free(d);
			return;
		}
		a->pol->dests = xrealloc(a->pol->dests, (a->pol->n_dests + n + 1) * sizeof(*d));
		memcpy(a->pol->dests + a->pol->n_dests, d, n * sizeof(*d));
		a->pol->n_dests += n;
		free(d);
	} else {
		struct cidrv c;

		if (policy_sources_parse(v, &c, why, sizeof(why)) < 0) {
			perr(p, e, "sources %s", why);
			return;
		}
		if (a->pol->sources.n + c.n > POLICY_SOURCES_MAX)
			perr(p, e, "sources: more than %d", POLICY_SOURCES_MAX);
		else
			for (size_t i = 0; i < c.n; i++)
				cidrv_push(&a->pol->sources, &c.v[i]);
		cidrv_clear(&c);
	}
}

static void want_plist(struct pctx *p, const config_setting_t *s, struct policy *pol, bool dests)
{
	struct plist_arg a = { pol, dests };

	if (dests) {
		free(pol->dests);
		pol->dests = NULL;
		pol->n_dests = 0;
	} else {
		cidrv_clear(&pol->sources);
	}
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		push_plist(p, s, config_setting_get_string(s), &a);
	else
		want_strings(p, s, push_plist, &a);
}

static void k_policy_destinations(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_plist(p, s, ((struct server_conf *)obj)->policy, true);
}

static void k_policy_sources(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_plist(p, s, ((struct server_conf *)obj)->policy, false);
}

static void k_policy_schedule(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct policy_schedule sch;
	char why[256];
	const char *v;

	if (!want_string(p, s, &v))
		return;
	if (policy_schedule_parse(v, &sch, why, sizeof(why)) < 0)
		perr(p, s, "schedule %s", why);
	else
		((struct server_conf *)obj)->policy->schedule = sch;
}

static void k_policy_rate(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct policy_rate r;
	char why[256];
	const char *v;

	if (!want_string(p, s, &v))
		return;
	if (policy_rate_parse(v, &r, why, sizeof(why)) < 0)
		perr(p, s, "rate %s", why);
	else
		((struct server_conf *)obj)->policy->rate = r;
}

static void k_policy_isolate(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_bool(p, s, &((struct server_conf *)obj)->policy->isolate);
}

static void k_policy_portal_login(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct server_conf *sc = obj;

	if (want_bool(p, s, &sc->policy->portal_login))
		sc->portal_login_line = (int)config_setting_source_line(s);
}

static void k_policy_idle(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_u32(p, s, 0, &((struct server_conf *)obj)->policy->idle_s);
}

/* Drops sampled to the kernel log (rate-limited): a server-wide switch, not a group's. */
static void k_policy_log(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_bool(p, s, &((struct server_conf *)obj)->policy_log);
}

static void k_policy_max_maps(struct pctx *p, const config_setting_t *s, void *obj)
{
	long long v;

	if (want_int(p, s, 0, 65535, &v))
		((struct server_conf *)obj)->policy->max_maps = (uint32_t)v;
}

/* The section's keys see the whole server_conf: portal_login is checked against it. */
static const struct key server_policy_keys[] = {
	{ "destinations", k_policy_destinations },
	{ "schedule", k_policy_schedule },
	{ "sources", k_policy_sources },
	{ "rate", k_policy_rate },
	{ "isolate", k_policy_isolate },
	{ "portal_login", k_policy_portal_login },
	{ "idle", k_policy_idle },
	{ "max_maps", k_policy_max_maps },
	{ "log", k_policy_log },
	{ NULL, NULL }
};

static void k_server_policy(struct pctx *p, const config_setting_t *s, void *obj)
{
	parse_section(p, s, server_policy_keys, obj);
}

/* ---- server.resolver ---- */

/* "192.0.2.1", "192.0.2.1:5353", "2001:db8::1" or "[2001:db8::1]:5353": an address, not a
 * name (nothing resolves before the resolver), kept as libunbound writes it, ADDR[@PORT]. */
static void push_upstream(struct pctx *p, const config_setting_t *e, const char *v, void *arg)
{
	struct strv *up = arg;
	char host[INET6_ADDRSTRLEN + 1], out[INET6_ADDRSTRLEN + 8];
	const char *port = NULL, *colon = strrchr(v, ':');
	unsigned char a[16];
	size_t hl;

	if (*v == '[') {
		const char *close = strchr(v, ']');

		if (!close || (close[1] && close[1] != ':')) {
			perr(p, e, "upstream \"%s\": not an address such as \"192.0.2.53\" or \"[2001:db8::53]:5353\"", v);
			return;
		}
		hl = (size_t)(close - v - 1);
		if (hl >= sizeof(host))
			hl = sizeof(host) - 1;
		memcpy(host, v + 1, hl);
		host[hl] = 0;
		if (close[1] == ':')
			port = close + 2;
	} else if (colon && strchr(v, ':') == colon) {
		hl = (size_t)(colon - v);
		if (hl >= sizeof(host))
			hl = sizeof(host) - 1;
		memcpy(host, v, hl);
		host[hl] = 0;
		port = colon + 1;
	} else {
		snprintf(host, sizeof(host), "%s", v);
	}
	if (inet_pton(AF_INET, host, a) != 1 && inet_pton(AF_INET6, host, a) != 1) {
		perr(p, e, "upstream \"%s\": an address such as \"192.0.2.53\" or \"[2001:db8::53]:5353\", not a host name", v);
		return;
	}
	if (port) {
		char *end;
		unsigned long n = strtoul(port, &end, 10);

		if (!*port || *end || n == 0 || n > 65535) {
			perr(p, e, "upstream \"%s\": bad port", v);
			return;
		}
		snprintf(out, sizeof(out), "%s@%lu", host, n);
	} else {
		snprintf(out, sizeof(out), "%s", host);
	}
	if (up->n >= 16) {
		perr(p, e, "upstream: more than 16 servers");
		return;
	}
	strv_push(up, out);
}

static void k_resolver_enabled(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_bool(p, s, &((struct resolver_conf *)obj)->enabled);
}

static void k_resolver_upstream(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct resolver_conf *rc = obj;

	strv_clear(&rc->upstream);
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		push_upstream(p, s, config_setting_get_string(s), &rc->upstream);
	else
		want_strings(p, s, push_upstream, &rc->upstream);
}

static void k_resolver_domain(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct resolver_conf *rc = obj;
	char buf[sizeof(rc->domain)];
	const char *v;
	size_t n;

	if (!want_string(p, s, &v))
		return;
	n = strlen(v);
	if (n && v[n - 1] == '.')
		n--;
	if (!n || n >= sizeof(buf) || *v == '~' || *v == '.') {
		perr(p, s, "domain \"%s\": not a domain name such as \"vpn.internal\"", v);
		return;
	}
	memcpy(buf, v, n);
	buf[n] = 0;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
	if (!dns_domain_valid(buf)) {
		perr(p, s, "domain \"%s\": not a domain name such as \"vpn.internal\"", v);
		return;
	}
	memcpy(rc->domain, buf, n + 1);
}

static void k_resolver_dnssec(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_bool(p, s, &((struct resolver_conf *)obj)->dnssec);
}

static void k_resolver_trust_anchor(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_path(p, s, &((struct resolver_conf *)obj)->trust_anchor_file);
}

static void k_resolver_listen(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct resolver_conf *rc = obj;

	want_prefixes(p, s, &rc->listen, HOSTBITS_KEEP);
	for (size_t i = 0; i < rc->listen.n; i++) {
		char buf[CIDR_STRLEN];

		if (rc->listen.v[i].prefix != (rc->listen.v[i].family == AF_INET ? 32 : 128))
			perr(p, s, "listen \"%s\": an address, not a prefix", cidr_fmt(&rc->listen.v[i], buf));
	}
}

static void k_resolver_port(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_u16(p, s, 1, &((struct resolver_conf *)obj)->port);
}

static void k_resolver_cache_mb(struct pctx *p, const config_setting_t *s, void *obj)
{
	long long v;

	if (want_int(p, s, 1, 4096, &v))
		((struct resolver_conf *)obj)->cache_mb = (uint32_t)v;
}

static void k_resolver_ttl(struct pctx *p, const config_setting_t *s, void *obj)
{
	long long v;

	if (want_int(p, s, 0, 86400, &v))
		((struct resolver_conf *)obj)->ttl = (uint32_t)v;
}

static void k_resolver_blocked_answer(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct resolver_conf *rc = obj;
	const char *v;

	if (!want_string(p, s, &v))
		return;
	if (strcmp(v, "null") == 0)
		rc->blocked = RESOLVER_BLOCKED_NULL;
	else if (strcmp(v, "nxdomain") == 0)
		rc->blocked = RESOLVER_BLOCKED_NXDOMAIN;
	else
		perr(p, s, "blocked_answer \"%s\": must be null (0.0.0.0 and ::) or nxdomain", v);
}

static void k_resolver_redirect(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_bool(p, s, &((struct resolver_conf *)obj)->redirect);
}

static void k_resolver_refuse_dot(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_bool(p, s, &((struct resolver_conf *)obj)->refuse_dot);
}

static void k_resolver_doh(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_prefixes(p, s, &((struct resolver_conf *)obj)->doh, HOSTBITS_ERROR);
}

static void k_resolver_doh_builtin(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_bool(p, s, &((struct resolver_conf *)obj)->doh_builtin);
}

static void k_resolver_lists_refresh(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_u32(p, s, 60, &((struct resolver_conf *)obj)->lists_refresh_s);
}

static void k_resolver_rate_limit(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_u32(p, s, 0, &((struct resolver_conf *)obj)->rate_limit);
}

static void k_resolver_log_queries(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_bool(p, s, &((struct resolver_conf *)obj)->log_queries);
}

static void k_resolver_log_retention(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_u32(p, s, 1, &((struct resolver_conf *)obj)->log_retention_days);
}

static void k_resolver_log_rate(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_u32(p, s, 0, &((struct resolver_conf *)obj)->log_rate);
}

static void k_resolver_log_burst(struct pctx *p, const config_setting_t *s, void *obj)
{
	want_u32(p, s, 1, &((struct resolver_conf *)obj)->log_burst);
}

static const struct key resolver_log_keys[] = {
	{ "queries", k_resolver_log_queries },
	{ "retention_days", k_resolver_log_retention },
	{ "rate", k_resolver_log_rate },
	{ "burst", k_resolver_log_burst },
	{ NULL, NULL }
};

static void k_resolver_log(struct pctx *p, const config_setting_t *s, void *obj)
{
	parse_section(p, s, resolver_log_keys, obj);
}

static const struct key resolver_keys[] = {
	{ "enabled", k_resolver_enabled },
	{ "upstream", k_resolver_upstream },
	{ "domain", k_resolver_domain },
	{ "dnssec", k_resolver_dnssec },
	{ "trust_anchor_file", k_resolver_trust_anchor },
	{ "listen", k_resolver_listen },
	{ "port", k_resolver_port },
	{ "cache_mb", k_resolver_cache_mb },
	{ "ttl", k_resolver_ttl },
	{ "blocked_answer", k_resolver_blocked_answer },
	{ "redirect", k_resolver_redirect },
	{ "refuse_dot", k_resolver_refuse_dot },
	{ "doh", k_resolver_doh },
	{ "doh_builtin", k_resolver_doh_builtin },
	{ "lists_refresh", k_resolver_lists_refresh },
	{ "rate_limit", k_resolver_rate_limit },
	{ "log", k_resolver_log },
	{ NULL, NULL }
};

static void k_server_resolver(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct resolver_conf *rc = &((struct server_conf *)obj)->resolver;

	rc->enabled = true;
	rc->line = (int)config_setting_source_line(s);
	parse_section(p, s, resolver_keys, rc);
}

static const struct key server_keys[] = {
	{ "interface", k_server_interface },
	{ "listen_port", k_server_listen_port },
	{ "private_key", k_server_private_key },
	{ "private_key_file", k_server_private_key_file },
	{ "endpoint", k_server_endpoint },
	{ "pool", k_server_pool },
	{ "dns", k_server_dns },
	{ "client_allowed_ips", k_server_client_allowed_ips },
	{ "client_keepalive", k_server_client_keepalive },
	{ "mtu", k_server_mtu },
	{ "egress", k_server_egress },
	{ "snat", k_server_snat },
	{ "database", k_server_database },
	{ "socket", k_server_socket },
	{ "session_idle_s", k_server_session_idle_s },
	{ "session_retention_days", k_server_session_retention_days },
	{ "accounting_interval_ms", k_server_accounting_interval_ms },
	{ "max_devices", k_server_max_devices },
	{ "portal", k_server_portal },
	{ "timezone", k_server_timezone },
	{ "policy", k_server_policy },
	{ "resolver", k_server_resolver },
	{ NULL, NULL }
};

static void k_root_server(struct pctx *p, const config_setting_t *s, void *obj)
{
	struct server_conf *sc = &p->c->server;

	sc->enabled = true;
	sc->line = config_setting_source_line(s);
	parse_section(p, s, server_keys, sc);
	/* With a resolver and no dns, clients ask the server's own tunnel addresses: the
	 * first host of each pool (server/pool.h). */
	if (sc->resolver.enabled && !sc->dns.n) {
		for (size_t i = 0; i < sc->pool.n; i++) {
			struct cidr a = sc->pool.v[i];
			int last = a.family == AF_INET ? 3 : 15;

			cidr_mask(&a);
			for (int b = last; b >= 0 && ++a.addr[b] == 0; b--)
				;
			a.prefix = a.family == AF_INET ? 32 : 128;
			cidrv_push(&sc->dns, &a);
		}
	}
}

static const struct key root_keys[] = {
	{ "daemon", k_root_daemon },
	{ "lan", k_root_lan },
	{ "tunnels", k_root_tunnels },
	{ "groups", k_root_groups },
	{ "portal", k_root_portal },
	{ "server", k_root_server },
	{ NULL, NULL }
};

void conf_parse_libconfig(struct config *c, const char *path, const char *text, struct diag *d)
{
	struct pctx p = { .c = c, .d = d, .path = path };
	config_t cf;

	p.dir = dir_of(path);
	config_init(&cf);
	config_set_include_dir(&cf, p.dir);
	if (!config_read_string(&cf, text)) {
		const char *ef = config_error_file(&cf);
		char *file = ef ? join_path(p.dir, ef) : xstrdup(path), *esc = diag_escape(file);

		diag_error(d, esc, config_error_line(&cf), "%s", config_error_text(&cf));
		free(esc);
		free(file);
		goto out;
	}
	check_int_literals(&p, text);
	parse_members(&p, config_root_setting(&cf), root_keys, c);
out:
	config_destroy(&cf);
	free(p.wrapped_lines);
	free(p.dir);
}

/* ---- validation ---- */

static const char *tunnel_file(const struct config *c, const struct tunnel *t)
{
	return t->source ? t->source : c->path;
}

static char *tunnel_label(const struct tunnel *t, size_t idx)
{
	return t->name[0] ? xasprintf("tunnel %s", t->name) : xasprintf("tunnel %zu", idx + 1);
}

/* "line 12" in the same file, "FILE:12" in another */
static char *where(const char *file, int line, const char *here)
{
	if (file && here && strcmp(file, here) != 0)
		return xasprintf("%s:%d", file, line);
	return xasprintf("line %d", line);
}

/* Read a private key file into key: an error naming it when it is missing or bad, a
 * warning when others may read it. */
static void load_key(const char *path, uint8_t key[KEY_LEN], bool *has, const char *file,
		     int line, const char *label, struct diag *d)
{
	char *text = NULL, *b, *e, *name = diag_escape(path);
	struct stat st;
	size_t len = 0;
	int r;

	r = read_regular(path, KEY_FILE_MAX, &text, &len, &st);
	if (r < 0) {
		diag_error(d, file, line, "%s: private_key_file \"%s\": %s", label, name, file_error(r));
		goto out;
	}
	if (st.st_mode & (S_IRGRP | S_IROTH))
		diag_warn(d, file, line, "%s: private_key_file \"%s\": readable by group or others (mode %04o)",
			  label, name, (unsigned int)(st.st_mode & 07777));
	for (b = text; isspace((unsigned char)*b); b++)
		;
	for (e = text + len; e > b && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	if (key_from_base64(key, b) == 0)
		*has = true;
	else
		diag_error(d, file, line, "%s: private_key_file \"%s\": not a valid key (44 characters of base64)",
			   label, name);
	sodium_memzero(text, len);
	free(text);
out:
	free(name);
}

static void load_key_file(struct config *c, struct tunnel *t, const char *label, struct diag *d)
{
	load_key(t->private_key_file, t->private_key, &t->has_private_key, tunnel_file(c, t), t->line,
		 label, d);
}

static void warn_hooks(struct config *c, const struct tunnel *t, const char *label, struct diag *d)
{
	static const char *const names[] = { "PreUp", "PostUp", "PreDown", "PostDown" };
	const struct strv *v[] = { &t->hooks.pre_up, &t->hooks.post_up, &t->hooks.pre_down, &t->hooks.post_down };
	const char *file = t->import ? t->import : tunnel_file(c, t);
	size_t i, j;

	char *cmd;

	for (i = 0; i < ARRAY_SIZE(v); i++)
		for (j = 0; j < v[i]->n; j++) {
			cmd = diag_escape(v[i]->v[j]);
			diag_warn(d, file, 0, "%s: %s \"%s\" skipped: hooks run only with daemon.allow_hooks = true",
				  label, names[i], cmd);
			free(cmd);
		}
}

static void validate_peers(struct config *c, struct tunnel *t, const char *label, struct diag *d)
{
	const char *file = tunnel_file(c, t);
	char b64[KEY_B64_LEN];
	size_t i, j;

	for (i = 0; i < t->n_peers; i++) {
		if (key_is_zero(t->peers[i].public_key))
			continue;
		for (j = 0; j < i; j++) {
			if (sodium_memcmp(t->peers[i].public_key, t->peers[j].public_key, KEY_LEN) != 0)
				continue;
			key_to_base64(b64, t->peers[i].public_key);
			diag_error(d, file, t->peers[i].line, "%s: peer %zu: public_key \"%s\": also used by peer %zu",
				   label, i + 1, b64, j + 1);
			break;
		}
	}
}

static void validate_tunnel(struct config *c, size_t idx, struct diag *d)
{
	struct tunnel *t = &c->tunnels[idx];
	const char *file = tunnel_file(c, t);
	char *label = tunnel_label(t, idx), *w;
	bool same_name = false, same_if = false, same_port = false;
	size_t j;

	if (t->private_key_file && !t->has_private_key)
		load_key_file(c, t, label, d);
	else if (!t->has_private_key && !t->private_key_bad)
		diag_error(d, file, t->line, c->is_wgquick ? "%s: no PrivateKey" :
			   "%s: no private key: set private_key or private_key_file", label);
	/* each clash once, against the first tunnel it clashes with */
	for (j = 0; j < idx; j++) {
		const struct tunnel *o = &c->tunnels[j];
		char *olabel;

		if (!same_name && t->name[0] && strcmp(t->name, o->name) == 0) {
			same_name = true;
			w = where(tunnel_file(c, o), o->line, file);
			diag_error(d, file, t->line, "%s: name \"%s\": already used by the tunnel at %s",
				   label, t->name, w);
			free(w);
			continue;
		}
		olabel = tunnel_label(o, j);
		if (!same_if && t->ifname[0] && strcmp(t->ifname, o->ifname) == 0) {
			same_if = true;
			diag_error(d, file, t->line, "%s: interface \"%s\": already used by %s",
				   label, t->ifname, olabel);
		}
		if (!same_port && t->has_listen_port && o->has_listen_port && t->listen_port &&
		    t->listen_port == o->listen_port) {
			same_port = true;
			diag_error(d, file, t->line, "%s: listen_port \"%u\": already used by %s",
				   label, t->listen_port, olabel);
		}
		free(olabel);
	}
	for (j = 0; j < c->lan.interfaces.n; j++)
		if (t->ifname[0] && strcmp(t->ifname, c->lan.interfaces.v[j]) == 0)
			diag_error(d, file, t->line, "%s: interface \"%s\": is also a LAN interface",
				   label, t->ifname);
	/* wgq_parse checks the peers of a wg-quick file itself */
	if (!t->peers_imported && !c->is_wgquick)
		validate_peers(c, t, label, d);
	if (!c->daemon.allow_hooks)
		warn_hooks(c, t, label, d);
	free(label);
}

static void validate_group(struct config *c, size_t idx, struct diag *d)
{
	const struct group *g = &c->groups[idx];
	const char *file = c->path;
	char *label = g->name[0] ? xasprintf("group %s", g->name) : xasprintf("group %zu", idx + 1);
	size_t i, j;

	for (j = 0; j < idx; j++)
		if (g->name[0] && strcmp(g->name, c->groups[j].name) == 0)
			diag_error(d, file, g->line, "%s: name \"%s\": already used by the group at line %d",
				   label, g->name, c->groups[j].line);
	for (i = 0; i < g->members.n; i++) {
		const char *m = g->members.v[i];

		for (j = 0; j < i; j++)
			if (strcmp(m, g->members.v[j]) == 0)
				break;
		if (j < i)
			diag_error(d, file, g->line, "%s: members \"%s\": listed twice", label, m);
		else if (!config_find_tunnel(c, m))
			diag_error(d, file, g->line, "%s: members \"%s\": no such tunnel", label, m);
	}
	free(label);
}

/* What the server role cannot run without, and its key file. */
static void validate_server(struct config *c, struct diag *d)
{
	struct server_conf *sc = &c->server;

	if (sc->private_key_file && !sc->has_private_key)
		load_key(sc->private_key_file, sc->private_key, &sc->has_private_key, c->path, sc->line,
			 "server", d);
	else if (!sc->has_private_key && !sc->private_key_bad)
		diag_error(d, c->path, sc->line, "server: no private key: set private_key or private_key_file");
	if (!sc->client_allowed_ips.n) {
		struct cidr all;

		cidr_parse(&all, "0.0.0.0/0");
		cidrv_push(&sc->client_allowed_ips, &all);
		cidr_parse(&all, "::/0");
		cidrv_push(&sc->client_allowed_ips, &all);
	}
	if (!sc->pool.n)
		diag_error(d, c->path, sc->line, "server: pool missing: at least one prefix to give clients addresses from");
	if (!sc->endpoint_host)
		diag_error(d, c->path, sc->line, "server: endpoint missing: the host:port client configurations point at");
	if (sc->snat && !sc->egress[0])
		diag_error(d, c->path, sc->line, "server: snat needs egress: the link clients reach the world through");
	if (sc->portal.enabled && (!sc->portal.tls_cert_file || !sc->portal.tls_key_file))
		diag_error(d, c->path, sc->line, "server: portal: tls_cert_file and tls_key_file are required");
	if (sc->policy->portal_login && !sc->portal.enabled)
		diag_error(d, c->path, sc->portal_login_line,
			   "server.policy.portal_login needs server.portal");
	/* Both roles from one file: each keeps its own link and socket. */
	for (size_t i = 0; i < c->n_tunnels; i++)
		if (strcmp(c->tunnels[i].ifname, sc->ifname) == 0)
			diag_error(d, c->path, sc->line, "server: interface %s is also tunnel %s's link",
				   sc->ifname, c->tunnels[i].name);
	if (config_has_agent(c) &&
	    strcmp(config_socket(c, ROLE_AGENT), config_socket(c, ROLE_SERVER)) == 0)
		diag_error(d, c->path, sc->line, "server: socket %s is the agent's too: give the "
			   "server its own", config_socket(c, ROLE_SERVER));
}

void config_validate(struct config *c, struct diag *d)
{
	size_t i;

	for (i = 0; i < c->n_tunnels; i++)
		validate_tunnel(c, i, d);
	for (i = 0; i < c->n_groups; i++)
		validate_group(c, i, d);
	if (c->server.enabled)
		validate_server(c, d);
	/* Encrypted packets are told apart by the mask's bits: the mark must lie within them. */
	if (c->daemon.fwmark & ~c->daemon.fwmark_mask)
		diag_error(d, c->path, 0, "daemon: fwmark 0x%x has bits outside fwmark_mask 0x%x",
			   c->daemon.fwmark, c->daemon.fwmark_mask);
}
