/* Users' client configurations, built as a model tunnel and written by the wg-quick writer. */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "clientconf.h"
#include "common/util.h"
#include "profiles/wgquick.h"

static void cidrv_copy(struct cidrv *dst, const struct cidrv *src)
{
	size_t i;

	for (i = 0; src && i < src->n; i++)
		cidrv_push(dst, &src->v[i]);
}

char *clientconf_write(const struct clientconf_server *s, const struct clientconf_user *u)
{
	char pub[KEY_B64_LEN], *text = NULL, *out = NULL;
	struct tunnel t;
	struct peer *p;
	int err = 0;

	tunnel_init(&t);
	if (u->private_key) {
		memcpy(t.private_key, u->private_key, KEY_LEN);
		t.has_private_key = true;
	}
	cidrv_copy(&t.addresses, u->addresses);
	cidrv_copy(&t.dns, s->dns);
	t.mtu = s->mtu;

	p = array_push(&t.peers, &t.n_peers, sizeof(*t.peers));
	memcpy(p->public_key, s->public_key, KEY_LEN);
	if (u->preshared_key) {
		memcpy(p->preshared_key, u->preshared_key, KEY_LEN);
		p->has_preshared_key = true;
	}
	cidrv_copy(&p->allowed_ips, s->allowed_ips);
	p->endpoint_host = s->endpoint_host ? xstrdup(s->endpoint_host) : NULL;
	p->endpoint_port = s->endpoint_port;
	p->persistent_keepalive = s->keepalive;

	text = wgq_write(&t);
	if (!text) {
		err = errno ? errno : EINVAL;
		goto out;
	}
	if (u->private_key) {
		out = text;
		text = NULL;
		goto out;
	}
	/* Naming the public key tells a user with several keys which one belongs here. */
	if (u->public_key) {
		key_to_base64(pub, u->public_key);
		out = xasprintf("# PrivateKey missing: the server never saw it. Add under "
				"[Interface]:\n# PrivateKey = <the private key whose public key "
				"is %s>\n%s", pub, text);
	} else {
		out = xasprintf("# PrivateKey missing: the server never saw it. Add under "
				"[Interface]:\n# PrivateKey = <your private key>\n%s", text);
	}
out:
	wgq_text_free(text);
	tunnel_clear(&t);
	if (!out)
		errno = err;
	return out;
}

void clientconf_text_free(char *text)
{
	wgq_text_free(text);
}
