/* Construction and destruction of the configuration model; secrets are wiped on free. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "model.h"
#include "policy.h"
#include "../common/util.h"

void strv_push(struct strv *v, const char *s)
{
	char **slot = array_push(&v->v, &v->n, sizeof(*v->v));

	*slot = xstrdup(s);
}

void strv_clear(struct strv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

void cidrv_push(struct cidrv *v, const struct cidr *c)
{
	struct cidr *slot = array_push(&v->v, &v->n, sizeof(*v->v));

	*slot = *c;
}

bool cidrv_equal(const struct cidrv *a, const struct cidrv *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (!cidr_equal(&a->v[i], &b->v[i]))
			return false;
	return true;
}

void cidrv_clear(struct cidrv *v)
{
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

void peer_clear(struct peer *p)
{
	sodium_memzero(p->preshared_key, sizeof(p->preshared_key));
	free(p->endpoint_host);
	cidrv_clear(&p->allowed_ips);
	memset(p, 0, sizeof(*p));
}

void tunnel_init(struct tunnel *t)
{
	memset(t, 0, sizeof(*t));
	t->families = FAMILY_BOTH;
	t->table_mode = TABLE_AUTO;
	t->probe.interval_ms = 200;
	t->probe.timeout_ms = 200;
	t->probe.down_after = 3;
	t->probe.up_after = 3;
}

static void hooks_clear(struct hooks *h)
{
	strv_clear(&h->pre_up);
	strv_clear(&h->post_up);
	strv_clear(&h->pre_down);
	strv_clear(&h->post_down);
}

void tunnel_clear(struct tunnel *t)
{
	size_t i;

	sodium_memzero(t->private_key, sizeof(t->private_key));
	free(t->private_key_file);
	cidrv_clear(&t->addresses);
	cidrv_clear(&t->routes);
	for (i = 0; i < t->n_peers; i++)
		peer_clear(&t->peers[i]);
	free(t->peers);
	cidrv_clear(&t->dns);
	strv_clear(&t->dns_search);
	hooks_clear(&t->hooks);
	free(t->import);
	free(t->source);
	memset(t, 0, sizeof(*t));
}

bool config_has_agent(const struct config *c)
{
	return c->n_tunnels || c->portal.enabled;
}

const char *config_socket(const struct config *c, enum config_role role)
{
	if (role == ROLE_AGENT)
		return c->daemon.socket ? c->daemon.socket : SOCKET_AGENT;
	/* A file of the server alone may name its socket in daemon, as for either role. */
	if (c->server.socket)
		return c->server.socket;
	if (c->daemon.socket && !config_has_agent(c))
		return c->daemon.socket;
	return SOCKET_SERVER;
}

struct config *config_new(void)
{
	struct config *c = xcalloc(1, sizeof(*c));

	c->daemon.backend = BACKEND_AUTO;
	c->daemon.userspace_command = xstrdup("wireguard-go");
	c->daemon.state_dir = xstrdup("/var/lib/warren");
	c->daemon.route_protocol = 57;
	c->daemon.rule_priority = 6200;
	c->daemon.table_base = 6200;
	c->daemon.fwmark = 0x5700;
	c->daemon.fwmark_mask = 0xff00;
	c->portal.interval = 60;
	snprintf(c->server.portal.name, sizeof(c->server.portal.name), "warren");
	snprintf(c->server.portal.user, sizeof(c->server.portal.user), "nobody");
	snprintf(c->server.ifname, sizeof(c->server.ifname), "wg0");
	c->server.listen_port = 51820;
	c->server.client_keepalive = 25;
	c->server.mtu = 1420;
	c->server.database = xstrdup("/var/lib/warren/warren.db");
	c->server.session_idle_s = 180;
	c->server.session_retention_days = 180;
	c->server.accounting_interval_ms = 2000;
	c->server.max_devices = 5;
	c->server.policy = xmalloc(sizeof(*c->server.policy));
	policy_init(c->server.policy);
	snprintf(c->server.resolver.domain, sizeof(c->server.resolver.domain), "vpn.internal");
	c->server.resolver.dnssec = true;
	c->server.resolver.port = 53;
	c->server.resolver.cache_mb = 32;
	c->server.resolver.ttl = 60;
	c->server.resolver.redirect = true;
	c->server.resolver.refuse_dot = true;
	c->server.resolver.doh_builtin = true;
	c->server.resolver.log_queries = true;
	c->server.resolver.log_retention_days = 30;
	c->server.resolver.log_rate = 50;
	c->server.resolver.log_burst = 200;
	c->server.resolver.lists_refresh_s = 86400;
	c->server.resolver.rate_limit = 200;
	return c;
}

void config_free(struct config *c)
{
	size_t i;

	if (!c)
		return;
	free(c->path);
	free(c->daemon.userspace_command);
	free(c->daemon.state_dir);
	free(c->daemon.socket);
	free(c->server.socket);
	strv_clear(&c->daemon.on_event);
	strv_clear(&c->lan.interfaces);
	cidrv_clear(&c->lan.subnets);
	for (i = 0; i < c->n_tunnels; i++)
		tunnel_clear(&c->tunnels[i]);
	free(c->tunnels);
	for (i = 0; i < c->n_groups; i++) {
		cidrv_clear(&c->groups[i].routes);
		strv_clear(&c->groups[i].members);
		strv_clear(&c->groups[i].sources);
	}
	free(c->groups);
	free(c->portal.url);
	free(c->portal.ca_file);
	sodium_memzero(c->server.private_key, sizeof(c->server.private_key));
	free(c->server.private_key_file);
	free(c->server.endpoint_host);
	cidrv_clear(&c->server.pool);
	cidrv_clear(&c->server.dns);
	cidrv_clear(&c->server.client_allowed_ips);
	free(c->server.database);
	free(c->server.portal.listen);
	free(c->server.portal.tls_cert_file);
	free(c->server.portal.tls_key_file);
	free(c->server.timezone);
	strv_clear(&c->server.resolver.upstream);
	free(c->server.resolver.trust_anchor_file);
	cidrv_clear(&c->server.resolver.listen);
	cidrv_clear(&c->server.resolver.doh);
	if (c->server.policy)
		policy_clear(c->server.policy);
	free(c->server.policy);
	free(c);
}

struct tunnel *config_find_tunnel(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_tunnels; i++)
		if (strcmp(c->tunnels[i].name, name) == 0)
			return &c->tunnels[i];
	return NULL;
}

int backend_from_name(const char *name, enum backend *out)
{
	static const char *const names[] = { "auto", "kernel", "userspace" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum backend)i;
			return 0;
		}
	}
	return -EINVAL;
}
