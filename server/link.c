/* The server's link: its WireGuard device with a peer for every device of an enabled
 * user, its addresses and forwarding, the nftables table inet warren_server; each change
 * written to exactly the peer it concerns, and the whole converged again, soon and at
 * most once a second, when someone changes it behind the server's back. The bottom of
 * the server with the database and accounting: it calls nothing above it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <sodium.h>

#include "link.h"
#include "pool.h"
#include "secret.h"
#include "server.h"
#include "../agent/journal.h"
#include "../agent/loop.h"
#include "../agent/tunnel.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../netcfg/monitor.h"
#include "../netcfg/nft.h"
#include "engine.h"
#include "../netcfg/sysctl.h"

#define REPAIR_DELAY_MS 20          /* let a burst of changes settle */
#define REPAIR_MIN_GAP_MS 1000      /* at most one repair a second */

static const char *const forwarding[2] = { "net/ipv4/ip_forward", "net/ipv6/conf/all/forwarding" };

/* The peer of one device of an enabled user: its key, preshared key and addresses, all
 * from the account, which mirrors the database. */
static int device_peer(struct server *s, const struct acct_device *u, struct wg_device *dev)
{
	struct wg_peer *p = wg_device_add_peer(dev, u->key);
	uint8_t psk[KEY_LEN];
	size_t len = 0, i;

	p->flags = WG_PEER_REPLACE_ALLOWEDIPS | WG_PEER_HAS_PRESHARED_KEY;
	if (u->psk_enc_len &&
	    (secret_open(s->secret, u->psk_enc, u->psk_enc_len, psk, &len) < 0 || len != KEY_LEN)) {
		log_err("device %s: its preshared key does not decrypt with %s/secret.key", u->name,
			s->c->daemon.state_dir);
		sodium_memzero(psk, sizeof(psk));
		dev->n_peers--;
		return -EBADMSG;
	}
	if (len)
		memcpy(p->preshared_key, psk, KEY_LEN);
	sodium_memzero(psk, sizeof(psk));
	for (i = 0; i < u->n_addrs; i++)
		wg_peer_add_allowed_ip(p, &u->addrs[i]);
	return 0;
}

/* The link as the database says: key, port, the pools' first addresses, the peer of
 * every device of an enabled user. tunnel_apply then writes only what differs. */
int link_converge(struct server *s)
{
	const struct server_conf *sc = &s->c->server;
	struct tunnel_stats st;
	char err[256] = "";
	size_t i;
	int r;

	plan_clear(&s->plan);
	snprintf(s->plan.name, sizeof(s->plan.name), "server");
	s->plan.owner = OWNER_SERVER;
	snprintf(s->plan.ifname, sizeof(s->plan.ifname), "%s", sc->ifname);
	s->plan.backend = wg_backend_kind(s->wgb);
	s->plan.protocol = s->c->daemon.route_protocol;
	s->plan.mtu = sc->mtu;
	r = wg_device_new(&s->plan.dev, sc->ifname);
	if (r < 0)
		return r;
	s->plan.dev->flags = WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_LISTEN_PORT;
	memcpy(s->plan.dev->private_key, sc->private_key, KEY_LEN);
	s->plan.dev->listen_port = sc->listen_port;
	for (i = 0; i < sc->pool.n; i++) {
		struct pool p = { .net = sc->pool.v[i] };
		struct cidr *a = array_push(&s->plan.addrs, &s->plan.n_addrs, sizeof(*a));

		pool_server_addr(&p, a);
	}
	/* Clients reach the world through the server: it forwards, as long as it runs. */
	for (i = 0; i < 2; i++) {
		struct plan_sysctl *sy = array_push(&s->plan.sysctls, &s->plan.n_sysctls, sizeof(*sy));

		snprintf(sy->path, sizeof(sy->path), "%s", forwarding[i]);
		snprintf(sy->value, sizeof(sy->value), "1");
		if (!s->old_sysctls[i][0] && sysctl_get(sy->path, s->old_sysctls[i], SYSCTL_VALUE_MAX) < 0)
			snprintf(s->old_sysctls[i], SYSCTL_VALUE_MAX, "0");
		memcpy(sy->old, s->old_sysctls[i], SYSCTL_VALUE_MAX);
	}
	/* A user whose keys do not decrypt is logged and left out, not fatal for the rest. */
	for (i = 0; i < s->acct.n_devs; i++)
		if (account_on_link(&s->acct, &s->acct.devs[i]))
			device_peer(s, &s->acct.devs[i], s->plan.dev);
	/* What is made is journaled first, so a crash leaves nothing unaccounted for. */
	if (!s->journaled) {
		r = journal_write(s->c->daemon.state_dir, &s->plan);
		if (r < 0) {
			log_err("journal %s/journal/%s: %s", s->c->daemon.state_dir, sc->ifname,
				strerror(-r));
			return r;
		}
		s->journaled = true;
	}
	r = tunnel_apply(s->nl, s->wgb, &s->plan, s->c->daemon.userspace_command, NULL, &st, err,
			 sizeof(err));
	if (r < 0) {
		log_err("server link %s: %s", sc->ifname, err);
		return r;
	}
	if (st.created) {
		/* A new link: every peer's counters start from zero. */
		account_link_fresh(s);
	}
	if (st.created || st.peers || st.writes) {
		log_info("server link %s: %s%zu peer and %zu link writes", sc->ifname,
			 st.created ? "created, " : "", st.peers, st.writes);
		return 1;
	}
	return 0;
}

/* The table inet warren_server: SNAT to egress, the guard that lets nothing from egress
 * open a connection to a client, and every group's policy (engine.c). */
int link_nft(struct server *s)
{
	return engine_converge(s);
}

/* One peer, alone: add or update (enabled) or remove. Others are not touched. */
int link_sync_device(struct server *s, const struct acct_device *u, bool remove)
{
	struct wg_device *dev = NULL;
	int r = wg_device_new(&dev, s->c->server.ifname);

	if (r < 0)
		return r;
	if (remove) {
		struct wg_peer *p = wg_device_add_peer(dev, u->key);

		p->flags = WG_PEER_REMOVE_ME;
	} else {
		r = device_peer(s, u, dev);
	}
	if (r == 0)
		r = wg_set(s->wgb, dev);
	wg_device_free(dev);
	if (r == 0)
		engine_device(s, u, remove);
	return r;
}

/* ---- repair ---- */

static void on_repair(struct loop *l, struct timer *t, void *data)
{
	struct server *s = data;
	int r;

	(void)l;
	(void)t;
	s->last_repair_ms = loop_now_ms();
	/* Counted when something had to be put right. */
	r = link_converge(s);
	if (r >= 0 && (link_nft(s) > 0 || r > 0))
		s->repairs++;
}

void link_repair_soon(struct server *s, const char *why)
{
	uint64_t now = loop_now_ms(), delay = REPAIR_DELAY_MS;

	if (timer_armed(s->repair_timer))
		return;
	if (why)
		log_info("server link %s: %s; repairing", s->c->server.ifname, why);
	if (s->last_repair_ms && now + delay < s->last_repair_ms + REPAIR_MIN_GAP_MS)
		delay = s->last_repair_ms + REPAIR_MIN_GAP_MS - now;
	timer_arm(s->repair_timer, delay);
}

static void on_event(const struct monitor_event *ev, void *data)
{
	static const char *const what[] = { "link", "address on", "route", "rule",
					    "table inet " NFT_TABLE_SERVER, "notifications" };
	struct server *s = data;

	/* Our own changes come back as notifications too. */
	if (ev->portid && ev->portid == s->nl->portid)
		return;
	if (ev->kind == MON_NFT && ev->nft_pid == (uint32_t)getpid())
		return;
	if (ev->kind == MON_OVERRUN) {
		link_repair_soon(s, "netlink notifications were lost");
	} else if (ev->kind == MON_LINK || ev->kind == MON_ADDR || ev->kind == MON_NFT) {
		/* Changes are routine (the userspace implementation sets its link up, the
		 * kernel moves flags): check quietly; a deletion is worth a line. */
		if (ev->deleted)
			log_info("%s%s%s deleted by %s", what[ev->kind], ev->ifname[0] ? " " : "",
				 ev->ifname, ev->nft_comm[0] ? ev->nft_comm : "someone else");
		link_repair_soon(s, NULL);
	}
}

static void on_monitor(struct loop *l, int fd, uint32_t events, void *data)
{
	struct server *s = data;

	(void)l;
	(void)events;
	monitor_read(s->mon, fd);
}

int link_monitor_start(struct server *s)
{
	struct monitor_link link = { .name = s->c->server.ifname };
	/* nftables is watched even without snat: a reload may turn it on. */
	struct monitor_interest in = { .links = &link, .n_links = 1,
					.nft_table = NFT_TABLE_SERVER };
	int fds[MONITOR_NBUS], r, i;

	s->repair_timer = timer_new(s->loop, on_repair, s);
	if (!s->repair_timer)
		return -ENOMEM;
	s->mon = monitor_new(on_event, s);
	r = monitor_set_interest(s->mon, &in);
	if (r == 0)
		r = monitor_open(s->mon);
	if (r < 0) {
		log_err("netlink monitor: %s", strerror(-r));
		return r;
	}
	monitor_fds(s->mon, fds);
	for (i = 0; i < MONITOR_NBUS && r == 0; i++)
		r = loop_add_fd(s->loop, fds[i], EPOLLIN, on_monitor, s);
	return r;
}

/* Forwarding as it was before warren touched it: from the journal of a run that did not
 * stop cleanly, else from the agent's or `warren up`'s when they changed it first, else as
 * it is now (read at the first converge). -EBUSY when the link is another role's. */
int link_sysctls_load(struct server *s)
{
	const char *state_dir = s->c->daemon.state_dir, *ifname = s->c->server.ifname;
	struct plan j = { 0 };
	size_t i, k;
	int r;

	r = journal_read(state_dir, ifname, &j);
	if (r == 0 && j.owner != OWNER_SERVER && j.owner != OWNER_UNKNOWN) {
		log_err("server link %s: belongs to the running %s", ifname,
			journal_owner_name(j.owner));
		plan_clear(&j);
		return -EBUSY;
	}
	if (r == 0) {
		log_info("server link %s: taking over from a run that did not stop", ifname);
	} else {
		for (k = 0; k < 2; k++) {
			struct plan_sysctl *sy = array_push(&j.sysctls, &j.n_sysctls, sizeof(*sy));

			snprintf(sy->path, sizeof(sy->path), "%s", forwarding[k]);
		}
		journal_sysctls_shared(state_dir, ifname, &j, NULL);
	}
	for (i = 0; i < j.n_sysctls; i++)
		for (k = 0; k < 2; k++)
			if (strcmp(j.sysctls[i].path, forwarding[k]) == 0)
				memcpy(s->old_sysctls[k], j.sysctls[i].old, SYSCTL_VALUE_MAX);
	plan_clear(&j);
	return 0;
}

/* Take down what the server made: the link with its peers (forwarding stays on while the
 * agent or `warren up` tunnels still need it) and the table. The database stays. */
void link_remove(struct server *s)
{
	char err[256];

	if (s->journaled) {
		bool *keep = xcalloc(s->plan.n_sysctls + 1, sizeof(*keep));

		journal_sysctls_shared(s->c->daemon.state_dir, s->c->server.ifname, &s->plan, keep);
		if (tunnel_remove(s->nl, s->wgb, &s->plan, keep, err, sizeof(err)) < 0)
			log_err("server link: %s", err);
		else
			journal_remove(s->c->daemon.state_dir, s->c->server.ifname);
		free(keep);
	}
	engine_remove(s);
}
