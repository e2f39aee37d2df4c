/* A profile's tunnels as the agent runs them: the same model a configuration file gives,
 * so a new profile is applied by the same diff as a reload. */
#include <stdio.h>
#include <string.h>

#include "pulled.h"
#include "../common/util.h"

static bool link_taken(const struct config *c, const char *ifname)
{
	size_t i;

	for (i = 0; i < c->n_tunnels; i++)
		if (strcmp(c->tunnels[i].ifname, ifname) == 0)
			return true;
	return false;
}

void pulled_add(struct config *c, const struct profile *p, const uint8_t key[KEY_LEN],
		struct diag *d)
{
	const char *src = "portal profile";
	size_t i, k;

	for (i = 0; i < p->n_tunnels; i++) {
		const struct profile_tunnel *pt = &p->tunnels[i];
		char ifname[IFNAME_MAX + 1];
		struct tunnel *t;
		struct peer *peer;

		snprintf(ifname, sizeof(ifname), "wg-%s", pt->name);
		if (config_find_tunnel(c, pt->name) || link_taken(c, ifname)) {
			diag_warn(d, src, 0, "tunnel %s: the configuration file has a tunnel of that "
				  "name or link; the file's is kept", pt->name);
			continue;
		}
		t = array_push(&c->tunnels, &c->n_tunnels, sizeof(*t));
		tunnel_init(t);
		snprintf(t->name, sizeof(t->name), "%s", pt->name);
		snprintf(t->ifname, sizeof(t->ifname), "%s", ifname);
		memcpy(t->private_key, key, KEY_LEN);
		t->has_private_key = true;
		for (k = 0; k < pt->addresses.n; k++)
			cidrv_push(&t->addresses, &pt->addresses.v[k]);
		for (k = 0; k < pt->dns.n; k++)
			cidrv_push(&t->dns, &pt->dns.v[k]);
		t->mtu = pt->mtu;
		/* A branch gateway sends its LAN through the tunnel: the server knows only
		 * the device's own addresses. */
		t->snat = true;
		t->source = xstrdup(src);
		peer = array_push(&t->peers, &t->n_peers, sizeof(*peer));
		memcpy(peer->public_key, pt->public_key, KEY_LEN);
		if (pt->has_preshared_key) {
			memcpy(peer->preshared_key, pt->preshared_key, KEY_LEN);
			peer->has_preshared_key = true;
		}
		peer->endpoint_host = xstrdup(pt->endpoint_host);
		peer->endpoint_port = pt->endpoint_port;
		for (k = 0; k < pt->allowed_ips.n; k++)
			cidrv_push(&peer->allowed_ips, &pt->allowed_ips.v[k]);
		peer->persistent_keepalive = pt->keepalive;
	}
}
