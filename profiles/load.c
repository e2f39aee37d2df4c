/* Loading a configuration file: telling warren.conf from a wg-quick file, then reading and validating it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "conf.h"
#include "wgquick.h"
#include "../common/util.h"

/* Keys only wg-quick spells so (warren.conf's are lower case with underscores). */
static bool is_wgquick_key(const char *p, size_t n)
{
	static const char *const keys[] = {
		"PrivateKey", "PublicKey", "PresharedKey", "AllowedIPs", "ListenPort",
		"PersistentKeepalive", "SaveConfig", "PreUp", "PostUp", "PreDown", "PostDown",
	};
	size_t i, k;

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		k = strlen(keys[i]);
		if (n > k && strncasecmp(p, keys[i], k) == 0 && (p[k] == '=' || p[k] == ' ' || p[k] == '\t'))
			return true;
	}
	return false;
}

/* A line that is only "[Interface]" or "[Peer]", or starts with a key only wg-quick
 * files have, can never be libconfig. */
static bool has_section_line(const char *s)
{
	while (*s) {
		size_t len = strcspn(s, "\n"), n;
		const char *p = s;

		while (*p == ' ' || *p == '\t')
			p++;
		n = len - (size_t)(p - s);
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
			n--;
		if ((n == 11 && strncasecmp(p, "[Interface]", 11) == 0) ||
		    (n == 6 && strncasecmp(p, "[Peer]", 6) == 0) || is_wgquick_key(p, n))
			return true;
		s += len + (s[len] == '\n');
	}
	return false;
}

bool conf_is_wgquick(const char *text)
{
	const char *s = text;

	if (has_section_line(text))
		return true;

	if (strncmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	for (;;) {
		s += strspn(s, " \t\r\n\v\f");
		if (*s == '#' || (s[0] == '/' && s[1] == '/')) {
			s += strcspn(s, "\n");
		} else if (s[0] == '/' && s[1] == '*') {
			const char *end = strstr(s + 2, "*/");

			if (!end)
				return false;
			s = end + 2;
		} else {
			return *s == '[';
		}
	}
}

static void load_wgquick(struct config *c, const char *path, const char *text, size_t len,
			 struct diag *d)
{
	struct tunnel *t = array_push(&c->tunnels, &c->n_tunnels, sizeof(*c->tunnels));
	char ifname[IFNAME_MAX + 1];

	tunnel_init(t);
	wgq_parse(t, path, text, len, d);
	/* wg-quick names the link after the file: /etc/wireguard/wg0.conf is wg0 */
	if (wgq_ifname(ifname, path) < 0) {
		diag_error(d, path, 0, "cannot name an interface after this file: "
			   "wg-quick files are named IFNAME.conf, IFNAME 1-15 bytes without '/', ':' or blanks");
	} else {
		strlcpy_check(t->ifname, ifname, sizeof(t->ifname));
		snprintf(t->name, sizeof(t->name), "%.*s", TUNNEL_NAME_MAX, ifname);
	}
	free(t->source);
	t->source = xstrdup(path);
}

bool conf_is_blank(const char *text, size_t len)
{
	size_t off = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;

	return strspn(text + off, " \t\r\n\v\f") == len - off;
}

struct config *conf_load(const char *path, struct diag *d)
{
	struct config *c = config_new();
	char *text = NULL;
	size_t len = 0;
	int r;

	c->path = xstrdup(path);
	r = conf_read_file(path, &text, &len);
	if (r < 0) {
		diag_error(d, path, 0, "%s", strerror(-r));
		goto out;
	}
	/* A truncated write or the wrong file: running "nothing" would hide either. */
	if (conf_is_blank(text, len)) {
		diag_error(d, path, 0, "the file is empty");
		goto out;
	}
	c->is_wgquick = conf_is_wgquick(text);
	if (c->is_wgquick) {
		load_wgquick(c, path, text, len, d);
	} else if (memchr(text, '\0', len)) {
		diag_error(d, path, 0, "not a text file: contains a NUL byte");
		goto out;
	} else {
		conf_parse_libconfig(c, path, text, d);
	}
	config_validate(c, d);
	if (!d->errors && !c->n_tunnels && !c->portal.enabled && !c->server.enabled)
		diag_error(d, path, 0, "nothing to run: no tunnels, portal or server section");
out:
	if (text) {
		sodium_memzero(text, len);
		free(text);
	}
	return c;
}
