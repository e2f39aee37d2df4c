/* The WireGuard device model, the pure diff between two devices, and backend dispatch. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "nl.h"
#include "wg.h"
#include "../common/log.h"
#include "../common/util.h"

struct wg_backend {
	enum backend kind;
	struct nl *nl;          /* kernel: generic netlink socket */
	uint16_t family;        /* kernel: the "wireguard" family id, resolved once */
};

static int ifname_check(const char *ifname)
{
	size_t len = strlen(ifname);

	if (len == 0 || strchr(ifname, '/') || strchr(ifname, ' '))
		return -EINVAL;
	if (len >= IFNAMSIZ)
		return -ENAMETOOLONG;
	return 0;
}

int wg_device_new(struct wg_device **devp, const char *ifname)
{
	struct wg_device *dev;
	int r = ifname_check(ifname);

	if (r < 0)
		return r;
	dev = xcalloc(1, sizeof(*dev));
	memcpy(dev->ifname, ifname, strlen(ifname) + 1);
	*devp = dev;
	return 0;
}

static void peer_wipe(struct wg_peer *p)
{
	free(p->allowed_ips);
	sodium_memzero(p, sizeof(*p));
}

/* Grow an array to hold one more item. The old block is wiped before it is freed
 * because peers carry preshared keys, which realloc would leave behind in the heap. */
static void *grow_wiped(void *arr, size_t n, size_t *cap, size_t elem)
{
	void *p;

	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 4;
	p = xmalloc(*cap * elem);
	if (arr) {
		memcpy(p, arr, n * elem);
		sodium_memzero(arr, n * elem);
		free(arr);
	}
	return p;
}

void wg_device_free(struct wg_device *dev)
{
	size_t i;

	if (!dev)
		return;
	for (i = 0; i < dev->n_peers; i++)
		peer_wipe(&dev->peers[i]);
	free(dev->peers);
	sodium_memzero(dev, sizeof(*dev));
	free(dev);
}

struct wg_peer *wg_device_add_peer(struct wg_device *dev, const uint8_t public_key[KEY_LEN])
{
	struct wg_peer *p;

	dev->peers = grow_wiped(dev->peers, dev->n_peers, &dev->cap_peers, sizeof(*p));
	p = &dev->peers[dev->n_peers++];
	memset(p, 0, sizeof(*p));
	memcpy(p->public_key, public_key, KEY_LEN);
	return p;
}

void wg_peer_add_allowed_ip(struct wg_peer *peer, const struct cidr *c)
{
	if (peer->n_allowed_ips == peer->cap_allowed_ips) {
		peer->cap_allowed_ips = peer->cap_allowed_ips ? peer->cap_allowed_ips * 2 : 4;
		peer->allowed_ips = xrealloc(peer->allowed_ips,
					     peer->cap_allowed_ips * sizeof(*c));
	}
	peer->allowed_ips[peer->n_allowed_ips++] = *c;
}

struct wg_peer *wg_device_find_peer(const struct wg_device *dev, const uint8_t public_key[KEY_LEN])
{
	size_t i;

	for (i = 0; i < dev->n_peers; i++)
		if (memcmp(dev->peers[i].public_key, public_key, KEY_LEN) == 0)
			return &dev->peers[i];
	return NULL;
}

bool wg_device_change_empty(const struct wg_device *dev)
{
	return !(dev->flags & (WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_LISTEN_PORT |
			       WG_DEVICE_HAS_FWMARK | WG_DEVICE_REPLACE_PEERS)) &&
	       dev->n_peers == 0;
}

static struct wg_peer *peer_copy(struct wg_device *dst, const struct wg_peer *src, bool with_ips)
{
	struct wg_peer *p = wg_device_add_peer(dst, src->public_key);
	struct cidr *ips = p->allowed_ips;

	*p = *src;
	p->allowed_ips = NULL;
	p->n_allowed_ips = p->cap_allowed_ips = 0;
	free(ips);
	if (with_ips && src->n_allowed_ips) {
		p->cap_allowed_ips = src->n_allowed_ips;
		p->allowed_ips = xmalloc(src->n_allowed_ips * sizeof(*src->allowed_ips));
		memcpy(p->allowed_ips, src->allowed_ips, src->n_allowed_ips * sizeof(*src->allowed_ips));
		p->n_allowed_ips = src->n_allowed_ips;
	}
	return p;
}

struct wg_device *wg_device_dup(const struct wg_device *dev)
{
	struct wg_device *d = xcalloc(1, sizeof(*d));
	size_t i;

	memcpy(d->ifname, dev->ifname, sizeof(d->ifname));
	d->flags = dev->flags;
	memcpy(d->private_key, dev->private_key, KEY_LEN);
	memcpy(d->public_key, dev->public_key, KEY_LEN);
	d->listen_port = dev->listen_port;
	d->fwmark = dev->fwmark;
	for (i = 0; i < dev->n_peers; i++)
		peer_copy(d, &dev->peers[i], true);
	return d;
}

bool wg_endpoint_equal(const union wg_endpoint *a, const union wg_endpoint *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	switch (a->sa.sa_family) {
	case AF_INET:
		return a->in.sin_port == b->in.sin_port &&
		       a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	case AF_INET6:
		return a->in6.sin6_port == b->in6.sin6_port &&
		       a->in6.sin6_scope_id == b->in6.sin6_scope_id &&
		       memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
	default:
		return true;
	}
}

/* ---- diff ---- */

static int peer_ptr_cmp(const void *a, const void *b)
{
	const struct wg_peer *const *x = a, *const *y = b;

	return memcmp((*x)->public_key, (*y)->public_key, KEY_LEN);
}

static int cidr_cmp(const void *a, const void *b)
{
	const struct cidr *x = a, *y = b;
	int r;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	r = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (r)
		return r;
	return (int)x->prefix - (int)y->prefix;
}

/* Peers sorted by public key, so both sides are walked once in O(n log n). */
static const struct wg_peer **peers_sorted(const struct wg_device *dev)
{
	const struct wg_peer **v = xmalloc((dev ? dev->n_peers : 0) * sizeof(*v) + 1);
	size_t i;

	for (i = 0; dev && i < dev->n_peers; i++)
		v[i] = &dev->peers[i];
	if (dev)
		qsort(v, dev->n_peers, sizeof(*v), peer_ptr_cmp);
	return v;
}

/* The set an implementation would store: host bits cleared (the kernel masks them),
 * sorted, duplicates dropped. */
static struct cidr *ips_normalized(const struct wg_peer *p, size_t *np)
{
	struct cidr *v = xmalloc(p->n_allowed_ips * sizeof(*v) + 1);
	size_t i, n = 0;

	for (i = 0; i < p->n_allowed_ips; i++) {
		v[i] = p->allowed_ips[i];
		cidr_mask(&v[i]);
		memset(v[i].addr + cidr_addrlen(&v[i]), 0, 16 - (size_t)cidr_addrlen(&v[i]));
	}
	qsort(v, p->n_allowed_ips, sizeof(*v), cidr_cmp);
	for (i = 0; i < p->n_allowed_ips; i++)
		if (n == 0 || cidr_cmp(&v[n - 1], &v[i]) != 0)
			v[n++] = v[i];
	*np = n;
	return v;
}

static void peer_set_ips(struct wg_peer *p, const struct cidr *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		wg_peer_add_allowed_ip(p, &v[i]);
}

static void diff_new_peer(struct wg_device *change, const struct wg_peer *d)
{
	struct wg_peer *p = peer_copy(change, d, false);
	struct cidr *ips;
	size_t n;

	p->flags = 0;
	p->last_handshake_sec = p->last_handshake_nsec = 0;
	p->rx_bytes = p->tx_bytes = 0;
	if (!key_is_zero(d->preshared_key))
		p->flags |= WG_PEER_HAS_PRESHARED_KEY;
	if (d->persistent_keepalive)
		p->flags |= WG_PEER_HAS_KEEPALIVE;
	ips = ips_normalized(d, &n);
	peer_set_ips(p, ips, n);
	free(ips);
}

static void diff_peer(struct wg_device *change, const struct wg_peer *c, const struct wg_peer *d)
{
	struct cidr *cv, *dv, *missing = NULL;
	size_t cn, dn, i = 0, j = 0, n_missing = 0;
	bool psk, ka, ep, subset = true;
	struct wg_peer *p;

	psk = sodium_memcmp(c->preshared_key, d->preshared_key, KEY_LEN) != 0;
	ka = c->persistent_keepalive != d->persistent_keepalive;
	ep = d->endpoint.sa.sa_family != 0 && !wg_endpoint_equal(&c->endpoint, &d->endpoint);

	/* Both sets are sorted: one merge tells equal, subset (only additions) or neither. */
	cv = ips_normalized(c, &cn);
	dv = ips_normalized(d, &dn);
	missing = xmalloc(dn * sizeof(*missing) + 1);
	while (i < cn || j < dn) {
		int r = i == cn ? 1 : j == dn ? -1 : cidr_cmp(&cv[i], &dv[j]);

		if (r == 0) {
			i++, j++;
		} else if (r < 0) {
			subset = false;  /* current has one desired lacks */
			i++;
		} else {
			missing[n_missing++] = dv[j++];
		}
	}
	if (!psk && !ka && !ep && subset && n_missing == 0)
		goto out;

	p = wg_device_add_peer(change, d->public_key);
	p->flags = WG_PEER_UPDATE_ONLY;
	if (psk) {
		p->flags |= WG_PEER_HAS_PRESHARED_KEY;
		memcpy(p->preshared_key, d->preshared_key, KEY_LEN);
	}
	if (ka) {
		p->flags |= WG_PEER_HAS_KEEPALIVE;
		p->persistent_keepalive = d->persistent_keepalive;
	}
	if (ep)
		p->endpoint = d->endpoint;
	if (!subset) {
		p->flags |= WG_PEER_REPLACE_ALLOWEDIPS;
		peer_set_ips(p, dv, dn);
	} else {
		peer_set_ips(p, missing, n_missing);
	}
out:
	free(cv);
	free(dv);
	free(missing);
}

int wg_diff(const struct wg_device *current, const struct wg_device *desired,
	    struct wg_device **changep)
{
	const struct wg_peer **cs = NULL, **ds = NULL;
	struct wg_device *change = xcalloc(1, sizeof(*change));
	size_t i = 0, j = 0, cn = current ? current->n_peers : 0, dn = desired->n_peers;
	uint32_t cur_flags = current ? current->flags : 0;
	int r = 0;

	memcpy(change->ifname, desired->ifname, sizeof(change->ifname));
	ds = peers_sorted(desired);
	for (j = 1; j < dn; j++) {
		if (peer_ptr_cmp(&ds[j - 1], &ds[j]) == 0) {
			r = -EINVAL;
			goto out;
		}
	}
	j = 0;

	if (desired->flags & WG_DEVICE_REPLACE_PEERS) {
		/* Asked for explicitly: the whole desired device, replacing every peer. */
		wg_device_free(change);
		change = wg_device_dup(desired);
		change->flags &= ~WG_DEVICE_HAS_PUBLIC_KEY;
		if (!change->listen_port)
			change->flags &= ~WG_DEVICE_HAS_LISTEN_PORT;
		for (i = 0; i < change->n_peers; i++) {
			struct wg_peer *p = &change->peers[i];

			p->flags = 0;
			if (!key_is_zero(p->preshared_key))
				p->flags |= WG_PEER_HAS_PRESHARED_KEY;
			if (p->persistent_keepalive)
				p->flags |= WG_PEER_HAS_KEEPALIVE;
		}
		goto out;
	}

	if ((desired->flags & WG_DEVICE_HAS_PRIVATE_KEY) &&
	    (!(cur_flags & WG_DEVICE_HAS_PRIVATE_KEY) ?
		     !key_is_zero(desired->private_key) :
		     sodium_memcmp(current->private_key, desired->private_key, KEY_LEN) != 0)) {
		change->flags |= WG_DEVICE_HAS_PRIVATE_KEY;
		memcpy(change->private_key, desired->private_key, KEY_LEN);
	}
	/* Port 0 asks for any port: whatever the implementation picked is fine. */
	if ((desired->flags & WG_DEVICE_HAS_LISTEN_PORT) && desired->listen_port &&
	    (!(cur_flags & WG_DEVICE_HAS_LISTEN_PORT) ||
	     current->listen_port != desired->listen_port)) {
		change->flags |= WG_DEVICE_HAS_LISTEN_PORT;
		change->listen_port = desired->listen_port;
	}
	if ((desired->flags & WG_DEVICE_HAS_FWMARK) &&
	    ((cur_flags & WG_DEVICE_HAS_FWMARK) ? current->fwmark : 0) != desired->fwmark) {
		change->flags |= WG_DEVICE_HAS_FWMARK;
		change->fwmark = desired->fwmark;
	}

	cs = peers_sorted(current);
	i = 0;
	while (i < cn || j < dn) {
		int c = i == cn ? 1 : j == dn ? -1 : peer_ptr_cmp(&cs[i], &ds[j]);

		if (c == 0) {
			diff_peer(change, cs[i++], ds[j++]);
		} else if (c < 0) {
			struct wg_peer *p = wg_device_add_peer(change, cs[i++]->public_key);

			p->flags = WG_PEER_REMOVE_ME;
		} else {
			diff_new_peer(change, ds[j++]);
		}
	}
out:
	free(cs);
	free(ds);
	if (r < 0) {
		wg_device_free(change);
		change = NULL;
	}
	*changep = change;
	return r;
}

/* ---- backends ---- */

static int kernel_open(struct wg_backend *b)
{
	int r = nl_open(&b->nl, NETLINK_GENERIC);

	if (r < 0)
		return r;
	return wg_kernel_family(b->nl, &b->family);
}

enum backend wg_backend_detect(void)
{
	struct wg_backend b = { .kind = BACKEND_KERNEL };
	int r = kernel_open(&b);

	nl_close(b.nl);
	return r == 0 ? BACKEND_KERNEL : BACKEND_USERSPACE;
}

int wg_backend_open(struct wg_backend **bp, enum backend kind)
{
	struct wg_backend *b = xcalloc(1, sizeof(*b));
	int r = 0;

	if (kind == BACKEND_AUTO) {
		/* One probe: the kernel socket we open to detect is the one we keep. */
		b->kind = kernel_open(b) == 0 ? BACKEND_KERNEL : BACKEND_USERSPACE;
		if (b->kind == BACKEND_USERSPACE) {
			nl_close(b->nl);
			b->nl = NULL;
		}
		goto out;
	}
	b->kind = kind;
	if (kind == BACKEND_KERNEL)
		r = kernel_open(b);
	else if (kind != BACKEND_USERSPACE)
		r = -EINVAL;
out:
	if (r < 0) {
		wg_backend_close(b);
		b = NULL;
	}
	*bp = b;
	return r;
}

void wg_backend_close(struct wg_backend *b)
{
	if (!b)
		return;
	nl_close(b->nl);
	free(b);
}

enum backend wg_backend_kind(const struct wg_backend *b)
{
	return b->kind;
}

int wg_get(struct wg_backend *b, const char *ifname, struct wg_device **devp)
{
	int r = ifname_check(ifname);

	*devp = NULL;
	if (r < 0)
		return r;
	if (b->kind == BACKEND_KERNEL)
		return wg_kernel_get(b->nl, b->family, ifname, devp);
	return wg_uapi_get(ifname, devp);
}

int wg_set(struct wg_backend *b, const struct wg_device *dev)
{
	int r = ifname_check(dev->ifname);

	if (r < 0)
		return r;
	if (wg_device_change_empty(dev))
		return 0;
	if (b->kind == BACKEND_KERNEL)
		return wg_kernel_set(b->nl, b->family, dev);
	return wg_uapi_set(dev);
}

int wg_apply(struct wg_backend *b, const struct wg_device *desired, size_t *n_peers)
{
	struct wg_device *cur = NULL, *change = NULL;
	int r;

	if (n_peers)
		*n_peers = 0;
	r = wg_get(b, desired->ifname, &cur);
	if (r < 0)
		goto out;
	r = wg_diff(cur, desired, &change);
	if (r < 0)
		goto out;
	if (n_peers)
		*n_peers = change->n_peers;
	r = wg_set(b, change);
out:
	wg_device_free(cur);
	wg_device_free(change);
	return r;
}

int wg_clear_peers(struct wg_backend *b, const char *ifname)
{
	struct wg_device *dev;
	int r = wg_device_new(&dev, ifname);

	if (r < 0)
		return r;
	dev->flags = WG_DEVICE_REPLACE_PEERS;
	r = wg_set(b, dev);
	wg_device_free(dev);
	return r;
}

const char *wg_strerror(const struct wg_backend *b, int err)
{
	if (b && b->kind == BACKEND_KERNEL)
		return nl_strerror(b->nl, err);
	return strerror(err < 0 ? -err : err);
}

void wg_endpoint_fmt(const union wg_endpoint *ep, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ep->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &ep->in.sin_addr, a, sizeof(a));
		snprintf(buf, size, "%s:%u", a, ntohs(ep->in.sin_port));
	} else if (ep->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &ep->in6.sin6_addr, a, sizeof(a));
		snprintf(buf, size, "[%s]:%u", a, ntohs(ep->in6.sin6_port));
	} else {
		buf[0] = '\0';
	}
}
