/* Accounting: the link's counters read every few seconds into per-device and per-user
 * totals that survive counter resets, sessions opened by handshakes and closed by
 * silence, and enforcement of expiry and quotas over all of a user's devices, driven by
 * one timer and by counter deltas. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "link.h"
#include "server.h"
#include "values.h"
#include "../agent/loop.h"
#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../netcfg/wg.h"

/* Clocks can be set: the deadline timer never sleeps longer than this before looking. */
#define DEADLINE_MAX_S 3600

/* ---- the tables ---- */

static size_t key_hash(const uint8_t key[KEY_LEN])
{
	uint64_t h;

	/* Public keys are uniformly random: their first bytes are a good hash. */
	memcpy(&h, key, sizeof(h));
	return (size_t)h;
}

static void slots_insert(struct account *a, size_t idx)
{
	size_t m = a->n_slots - 1, i = key_hash(a->devs[idx].key) & m;

	while (a->slots[i])
		i = (i + 1) & m;
	a->slots[i] = (uint32_t)idx + 1;
}

static struct acct_user *find_user(struct account *a, int64_t id);

/* Every user's devices, found in O(1) by the pages that show thousands of users: a
 * counting sort of the device indexes by user. */
static void by_user_rebuild(struct account *a)
{
	struct acct_user *u;
	size_t i;
	uint32_t at = 0;

	for (i = 0; i < a->n_users; i++)
		a->users[i].n_devs = 0;
	for (i = 0; i < a->n_devs; i++)
		if ((u = find_user(a, a->devs[i].user_id)))
			u->n_devs++;
	for (i = 0; i < a->n_users; i++) {
		a->users[i].dev_first = at;
		at += a->users[i].n_devs;
		a->users[i].n_devs = 0;
	}
	free(a->by_user);
	a->by_user = a->n_devs ? xcalloc(a->n_devs, sizeof(*a->by_user)) : NULL;
	for (i = 0; i < a->n_devs; i++)
		if ((u = find_user(a, a->devs[i].user_id)))
			a->by_user[u->dev_first + u->n_devs++] = (uint32_t)i;
}

/* After every change of who is in the tables: the key slots and the index by user. */
static void slots_rebuild(struct account *a)
{
	size_t i, want = 16;

	by_user_rebuild(a);

	while (want < a->n_devs * 2 + 2)
		want *= 2;
	if (want != a->n_slots) {
		free(a->slots);
		a->slots = xcalloc(want, sizeof(*a->slots));
		a->n_slots = want;
	} else {
		memset(a->slots, 0, want * sizeof(*a->slots));
	}
	for (i = 0; i < a->n_devs; i++)
		if (a->devs[i].has_key)
			slots_insert(a, i);
}

struct acct_device *account_find_key(struct account *a, const uint8_t key[KEY_LEN])
{
	size_t m, i;

	if (!a->n_slots)
		return NULL;
	m = a->n_slots - 1;
	for (i = key_hash(key) & m; a->slots[i]; i = (i + 1) & m) {
		struct acct_device *d = &a->devs[a->slots[i] - 1];

		if (memcmp(d->key, key, KEY_LEN) == 0)
			return d;
	}
	return NULL;
}

/* Both arrays are kept in id order: the database hands rows out by id and new ids are
 * larger. The first entry whose id is not below id. */
#define LOWER_BOUND(v, n, want, out) do { \
	size_t lo_ = 0, hi_ = (n); \
	while (lo_ < hi_) { \
		size_t mid_ = lo_ + (hi_ - lo_) / 2; \
		if ((v)[mid_].id < (want)) \
			lo_ = mid_ + 1; \
		else \
			hi_ = mid_; \
	} \
	(out) = lo_; \
} while (0)

static struct acct_user *find_user(struct account *a, int64_t id)
{
	size_t i;

	LOWER_BOUND(a->users, a->n_users, id, i);
	return i < a->n_users && a->users[i].id == id ? &a->users[i] : NULL;
}

struct acct_user *account_user(struct account *a, int64_t id)
{
	return find_user(a, id);
}

struct acct_user *account_user_by_name(struct account *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n_users; i++)
		if (strcmp(a->users[i].name, name) == 0)
			return &a->users[i];
	return NULL;
}

struct acct_device *account_device(struct account *a, int64_t id)
{
	size_t i;

	LOWER_BOUND(a->devs, a->n_devs, id, i);
	return i < a->n_devs && a->devs[i].id == id ? &a->devs[i] : NULL;
}

struct acct_device *account_user_devices(struct account *a, int64_t user_id, size_t *i)
{
	const struct acct_user *u = find_user(a, user_id);

	if (!u || *i >= u->n_devs)
		return NULL;
	return &a->devs[a->by_user[u->dev_first + (*i)++]];
}

bool account_on_link(struct account *a, const struct acct_device *d)
{
	const struct acct_user *u = account_user(a, d->user_id);

	return d->has_key && u && u->disabled == DB_ENABLED;
}

bool account_user_online(struct account *a, int64_t user_id)
{
	struct acct_device *d;
	size_t i = 0;

	while ((d = account_user_devices(a, user_id, &i)))
		if (d->session_id)
			return true;
	return false;
}

void account_free(struct account *a)
{
	free(a->users);
	free(a->devs);
	free(a->by_user);
	free(a->slots);
	memset(a, 0, sizeof(*a));
}

static void copy_user(struct acct_user *u, const struct db_user *row)
{
	u->id = row->id;
	snprintf(u->name, sizeof(u->name), "%s", row->name);
	u->disabled = row->disabled;
	u->expires = row->expires;
	u->quota_bytes = row->quota_bytes;
	u->quota_period = row->quota_period;
	u->quota_reset_day = row->quota_reset_day ? row->quota_reset_day : 1;
	u->period_start = row->period_start;
	u->period_next = u->quota_bytes && u->quota_period == DB_QUOTA_MONTH ?
			 values_period_next(u->period_start, u->quota_reset_day) : 0;
	u->group_id = row->group_id;
	u->rx_total = row->rx_total;
	u->tx_total = row->tx_total;
	u->rx_period = row->rx_period;
	u->tx_period = row->tx_period;
	/* Its own rate, over its group's; the API stored it parsed, so it parses. */
	u->has_rate = row->rate[0] && policy_rate_parse(row->rate, &u->rate, NULL, 0) == 0;
}

static void copy_device(struct acct_device *d, const struct db_device *row)
{
	d->id = row->id;
	d->user_id = row->user_id;
	snprintf(d->name, sizeof(d->name), "%s", row->name);
	d->kind = row->kind;
	d->has_key = row->has_key;
	d->has_private = row->private_key_enc_len > 0;
	memcpy(d->key, row->public_key, KEY_LEN);
	d->psk_enc_len = row->preshared_key_enc_len <= sizeof(d->psk_enc) ?
			 row->preshared_key_enc_len : 0;
	memcpy(d->psk_enc, row->preshared_key_enc, d->psk_enc_len);
	d->rx_total = row->rx_total;
	d->tx_total = row->tx_total;
	snprintf(d->stored_endpoint, sizeof(d->stored_endpoint), "%s", row->endpoint);
}

static int collect_addr(int64_t device_id, const struct cidr *addr, void *data)
{
	struct acct_device *d = account_device(data, device_id);
	size_t i;

	if (!d || d->n_addrs == ARRAY_SIZE(d->addrs))
		return 0;
	/* IPv4 first, as db_addr_list_device gives them. */
	for (i = d->n_addrs; i > 0 && d->addrs[i - 1].family > addr->family; i--)
		d->addrs[i] = d->addrs[i - 1];
	d->addrs[i] = *addr;
	d->n_addrs++;
	return 0;
}

struct acct_user *account_update_user(struct server *s, const struct db_user *row)
{
	struct account *a = &s->acct;
	struct acct_user *u = account_user(a, row->id);
	size_t at;

	a->changes++;
	if (!u) {
		LOWER_BOUND(a->users, a->n_users, row->id, at);
		array_push(&a->users, &a->n_users, sizeof(*u));
		memmove(&a->users[at + 1], &a->users[at], (a->n_users - 1 - at) * sizeof(*u));
		u = &a->users[at];
		memset(u, 0, sizeof(*u));
	}
	copy_user(u, row);
	return u;
}

struct acct_device *account_update_device(struct server *s, const struct db_device *row)
{
	struct account *a = &s->acct;
	struct acct_device *d = account_device(a, row->id);
	bool new_key;
	size_t at;

	a->changes++;
	if (!d) {
		LOWER_BOUND(a->devs, a->n_devs, row->id, at);
		array_push(&a->devs, &a->n_devs, sizeof(*d));
		memmove(&a->devs[at + 1], &a->devs[at], (a->n_devs - 1 - at) * sizeof(*d));
		d = &a->devs[at];
		memset(d, 0, sizeof(*d));
		copy_device(d, row);
		d->seen_rx = row->seen_rx;
		d->seen_tx = row->seen_tx;
		db_addr_list_device(s->db, row->id, collect_addr, a);
		d = account_device(a, row->id);
		slots_rebuild(a);
		return d;
	}
	new_key = d->has_key != row->has_key || memcmp(d->key, row->public_key, KEY_LEN) != 0;
	copy_device(d, row);
	if (new_key) {
		d->handshake = 0;
		d->endpoint[0] = '\0';
		d->rx_rate = d->tx_rate = 0;
		d->n_addrs = 0;
		db_addr_list_device(s->db, row->id, collect_addr, a);
		slots_rebuild(a);
		d = account_device(a, row->id);
	}
	return d;
}

void account_forget_device(struct server *s, int64_t id)
{
	struct account *a = &s->acct;
	struct acct_device *d = account_device(a, id);

	if (!d)
		return;
	a->changes++;
	memmove(d, d + 1, (size_t)(a->devs + a->n_devs - (d + 1)) * sizeof(*d));
	a->n_devs--;
	slots_rebuild(a);
}

void account_forget_user(struct server *s, int64_t id)
{
	struct account *a = &s->acct;
	struct acct_user *u = account_user(a, id);
	size_t i, o = 0;

	if (!u)
		return;
	a->changes++;
	memmove(u, u + 1, (size_t)(a->users + a->n_users - (u + 1)) * sizeof(*u));
	a->n_users--;
	for (i = 0; i < a->n_devs; i++)
		if (a->devs[i].user_id != id)
			a->devs[o++] = a->devs[i];
	a->n_devs = o;
	slots_rebuild(a);
}

static int load_user(const struct db_user *row, void *data)
{
	struct account *a = data;

	copy_user(array_push(&a->users, &a->n_users, sizeof(*a->users)), row);
	return 0;
}

static int load_device(const struct db_device *row, void *data)
{
	struct account *a = data;
	struct acct_device *d = array_push(&a->devs, &a->n_devs, sizeof(*d));

	copy_device(d, row);
	d->seen_rx = row->seen_rx;
	d->seen_tx = row->seen_tx;
	return 0;
}

/* A session the daemon left open when it stopped: it goes on if the peer is still
 * talking (the first reading decides), so only its bookkeeping is restored here. */
struct load_ctx {
	struct db *db;
	struct account *a;
};

static int last_endpoint(int64_t at, const char *endpoint, void *data)
{
	(void)at;
	snprintf(data, DB_ENDPOINT_MAX, "%s", endpoint);
	return 0;
}

static int load_session(const struct db_session *row, void *data)
{
	struct load_ctx *l = data;
	struct acct_device *d = account_device(l->a, row->device_id);

	if (d && !d->session_id) {
		d->session_id = row->id;
		d->session_started = row->started;
		d->active = row->last_seen ? row->last_seen : row->started;
		/* Where it was last seen, so a move is told from a restart. */
		snprintf(d->endpoint, sizeof(d->endpoint), "%s", row->endpoint);
		db_session_endpoints(l->db, row->id, last_endpoint, d->endpoint);
	}
	return 0;
}

int account_load(struct server *s)
{
	int r;

	account_free(&s->acct);
	r = db_user_list(s->db, load_user, &s->acct);
	if (r == 0)
		r = db_device_list(s->db, 0, load_device, &s->acct);
	if (r == 0)
		r = db_addr_list_all(s->db, collect_addr, &s->acct);
	if (r == 0)
		r = db_session_list_open(s->db, load_session, &(struct load_ctx){ s->db, &s->acct });
	if (r < 0) {
		log_err("database: %s", db_errmsg(s->db));
		return r;
	}
	slots_rebuild(&s->acct);
	return 0;
}

/* ---- sessions ---- */

static const char *user_name(struct server *s, int64_t id)
{
	const struct acct_user *u = account_user(&s->acct, id);

	return u ? u->name : "?";
}

void account_close_session(struct server *s, struct acct_device *d, int64_t at)
{
	if (!d->session_id)
		return;
	if (at < d->session_started)
		at = d->session_started;
	if (db_session_close(s->db, d->session_id, at) < 0 && db_errmsg(s->db)[0])
		log_warn("device %s/%s: closing its session: %s", user_name(s, d->user_id), d->name,
			 db_errmsg(s->db));
	log_info("device %s/%s: session ended after %" PRId64 " s", user_name(s, d->user_id),
		 d->name, at - d->session_started);
	d->session_id = 0;
	s->acct.changes++;
}

void account_close_user_sessions(struct server *s, struct acct_user *u, int64_t at)
{
	struct acct_device *d;
	size_t i = 0;

	while ((d = account_user_devices(&s->acct, u->id, &i)))
		account_close_session(s, d, d->session_id && at ? at : d->active);
}

static void open_session(struct server *s, struct acct_device *d, int64_t at)
{
	char addr[CIDR_STRLEN * 2 + 2] = "", buf[CIDR_STRLEN];
	size_t i;

	for (i = 0; i < d->n_addrs; i++)
		snprintf(addr + strlen(addr), sizeof(addr) - strlen(addr), "%s%s", i ? " " : "",
			 cidr_fmt(&d->addrs[i], buf));
	if (db_session_open(s->db, d->user_id, d->id, at, d->endpoint, addr, &d->session_id) < 0) {
		log_warn("device %s/%s: opening a session: %s", user_name(s, d->user_id), d->name,
			 db_errmsg(s->db));
		d->session_id = 0;
		return;
	}
	d->session_started = at;
	d->active = at;
	s->acct.changes++;
	log_info("device %s/%s: session started from %s", user_name(s, d->user_id), d->name,
		 d->endpoint[0] ? d->endpoint : "?");
}

/* ---- accounting ---- */

uint64_t account_quota_used(const struct acct_user *u)
{
	return u->quota_period == DB_QUOTA_MONTH ? u->rx_period + u->tx_period :
	       u->rx_total + u->tx_total;
}

void account_peer_fresh(struct server *s, struct acct_device *d)
{
	d->seen_rx = d->seen_tx = 0;
	if (db_counters_add(s->db, d->id, d->user_id, 0, 0, 0, 0) < 0)
		log_warn("device %s: %s", d->name, db_errmsg(s->db));
}

void account_link_fresh(struct server *s)
{
	size_t i;

	db_begin(s->db);
	for (i = 0; i < s->acct.n_devs; i++)
		account_peer_fresh(s, &s->acct.devs[i]);
	db_commit(s->db);
}

/* One peer's reading: counters into the totals (a counter below what was seen means the
 * peer was made anew, so all of it is new), then the session. */
static void account_peer(struct server *s, struct acct_device *d, struct acct_user *u,
			 const struct wg_peer *p, int64_t now, uint64_t dt_ms)
{
	int64_t idle = (int64_t)s->c->server.session_idle_s;
	uint64_t drx, dtx;
	char ep[DB_ENDPOINT_MAX];

	if (p->rx_bytes < d->seen_rx || p->tx_bytes < d->seen_tx) {
		drx = p->rx_bytes;
		dtx = p->tx_bytes;
	} else {
		drx = p->rx_bytes - d->seen_rx;
		dtx = p->tx_bytes - d->seen_tx;
	}
	if (dt_ms) {
		uint64_t rx_rate = drx * 1000 / dt_ms, tx_rate = dtx * 1000 / dt_ms;

		/* A rate that falls to zero moves no counter, and still changes the status. */
		if (rx_rate != d->rx_rate || tx_rate != d->tx_rate)
			s->acct.changes++;
		d->rx_rate = rx_rate;
		d->tx_rate = tx_rate;
	}
	if (drx || dtx || p->rx_bytes != d->seen_rx || p->tx_bytes != d->seen_tx) {
		if (db_counters_add(s->db, d->id, u->id, drx, dtx, p->rx_bytes, p->tx_bytes) < 0) {
			log_warn("device %s/%s: counters: %s", u->name, d->name, db_errmsg(s->db));
			return;
		}
		if ((drx || dtx) && db_traffic_add(s->db, u->id, now - now % 3600, drx, dtx) < 0)
			log_warn("user %s: traffic: %s", u->name, db_errmsg(s->db));
		d->rx_total += drx;
		d->tx_total += dtx;
		u->rx_total += drx;
		u->tx_total += dtx;
		u->rx_period += drx;
		u->tx_period += dtx;
		d->seen_rx = p->rx_bytes;
		d->seen_tx = p->tx_bytes;
		s->acct.changes++;
	}

	wg_endpoint_fmt(&p->endpoint, ep, sizeof(ep));
	if (p->last_handshake_sec > d->handshake) {
		d->handshake = p->last_handshake_sec;
		s->acct.changes++;
		/* A session begins at the first handshake after idle. */
		if (!d->session_id && now - d->handshake <= idle) {
			snprintf(d->endpoint, sizeof(d->endpoint), "%s", ep);
			open_session(s, d, d->handshake);
		}
	}
	if (d->session_id) {
		if (d->handshake > d->active)
			d->active = d->handshake;
		if (drx || dtx) {
			d->active = now;
			if (db_session_add_bytes(s->db, d->session_id, drx, dtx, d->active) < 0)
				log_warn("device %s/%s: session: %s", u->name, d->name, db_errmsg(s->db));
		}
		if (ep[0] && strcmp(ep, d->endpoint) != 0) {
			if (db_session_add_endpoint(s->db, d->session_id, now, ep) < 0)
				log_warn("device %s/%s: session: %s", u->name, d->name, db_errmsg(s->db));
			log_info("device %s/%s: endpoint %s -> %s", u->name, d->name,
				 d->endpoint[0] ? d->endpoint : "?", ep);
		}
		/* WireGuard renews keys every two minutes while it talks: silence past
		 * session_idle_s means the client went away. */
		if (now - (d->handshake > d->active ? d->handshake : d->active) > idle)
			account_close_session(s, d, d->active);
	}
	if (ep[0] && strcmp(ep, d->endpoint) != 0) {
		snprintf(d->endpoint, sizeof(d->endpoint), "%s", ep);
		s->acct.changes++;
	}
	/* The last endpoint is searchable in the console: written when it moves. */
	if (ep[0] && strcmp(ep, d->stored_endpoint) != 0 &&
	    db_device_set_endpoint(s->db, d->id, ep) == 0)
		snprintf(d->stored_endpoint, sizeof(d->stored_endpoint), "%s", ep);
}

int account_poll(struct server *s)
{
	struct wg_device *dev = NULL;
	int64_t *over = NULL;
	size_t n_over = 0, drift = 0, i, k;
	uint64_t now_ms = loop_now_ms(), dt = s->last_poll_ms ? now_ms - s->last_poll_ms : 0;
	int64_t now = time(NULL);
	char why[160];
	int r;

	r = wg_get(s->wgb, s->c->server.ifname, &dev);
	if (r < 0) {
		link_repair_soon(s, r == -ENODEV ? "the link is gone" : strerror(-r));
		return r;
	}
	s->last_poll_ms = now_ms;
	for (i = 0; i < s->acct.n_devs; i++)
		s->acct.devs[i].on_link = false;
	db_begin(s->db);
	for (i = 0; i < dev->n_peers; i++) {
		struct acct_device *d = account_find_key(&s->acct, dev->peers[i].public_key);
		struct acct_user *u = d ? account_user(&s->acct, d->user_id) : NULL;

		if (!d || !u || u->disabled != DB_ENABLED) {
			drift++;
			continue;
		}
		d->on_link = true;
		account_peer(s, d, u, &dev->peers[i], now, dt);
		if (u->quota_bytes && account_quota_used(u) >= u->quota_bytes) {
			for (k = 0; k < n_over && over[k] != u->id; k++)
				;
			if (k == n_over)
				*(int64_t *)array_push(&over, &n_over, sizeof(*over)) = u->id;
		}
	}
	if (db_commit(s->db) < 0)
		log_warn("database: %s", db_errmsg(s->db));
	for (i = 0; i < s->acct.n_devs; i++) {
		struct acct_device *d = &s->acct.devs[i];

		if (account_on_link(&s->acct, d) && !d->on_link) {
			drift++;
			/* The repair makes its peer anew, with counters from zero. */
			if (d->seen_rx || d->seen_tx)
				account_peer_fresh(s, d);
		}
		if (!d->on_link) {
			if (d->rx_rate || d->tx_rate)
				s->acct.changes++;
			d->rx_rate = d->tx_rate = 0;
			if (d->session_id && now - d->active > (int64_t)s->c->server.session_idle_s)
				account_close_session(s, d, d->active);
		}
	}
	wg_device_free(dev);
	/* Quotas are checked on the deltas just read: the users over it, and nobody else. */
	for (i = 0; i < n_over; i++) {
		struct acct_user *u = account_user(&s->acct, over[i]);

		if (!u)
			continue;
		log_info("user %s: quota reached (%" PRIu64 " of %" PRIu64 " bytes)", u->name,
			 account_quota_used(u), u->quota_bytes);
		if (account_set_state(s, u, DB_DISABLED_QUOTA, why, sizeof(why)) < 0)
			log_err("%s", why);
	}
	free(over);
	if (drift)
		link_repair_soon(s, "peers differ from the database");
	return 0;
}

/* ---- enforcement ---- */

int account_set_state(struct server *s, struct acct_user *u, enum db_disabled reason,
		      char *why, size_t whylen)
{
	static const char *const verb[] = { "enabled", "disabled: expired", "disabled: quota reached",
					    "disabled" };
	struct acct_device *d;
	struct db_user row;
	int64_t id = u->id;
	size_t i = 0;
	int r;

	if (u->disabled == reason)
		return 0;
	r = db_user_get(s->db, u->id, &row);
	if (r < 0) {
		snprintf(why, whylen, "user %s: database: %s", u->name, db_errmsg(s->db));
		return r;
	}
	row.disabled = reason;
	r = db_user_update(s->db, &row);
	if (r < 0) {
		snprintf(why, whylen, "user %s: database: %s", u->name, db_errmsg(s->db));
		goto out;
	}
	u->disabled = reason;
	s->acct.changes++;
	if (reason != DB_ENABLED)
		account_close_user_sessions(s, u, time(NULL));
	while ((d = account_user_devices(&s->acct, id, &i))) {
		if (!d->has_key)
			continue;
		r = link_sync_device(s, d, reason != DB_ENABLED);
		if (r < 0) {
			snprintf(why, whylen, "device %s/%s: its peer: %s", u->name, d->name,
				 strerror(-r));
			goto out;
		}
		if (reason == DB_ENABLED)
			account_peer_fresh(s, d);
	}
	server_user_changed(s, id);
	log_info("user %s %s", u->name, verb[reason]);
out:
	db_user_wipe(&row);
	return r;
}

/* The next moment u needs attention, or 0. */
static int64_t user_deadline(const struct acct_user *u)
{
	int64_t at = 0;

	if (u->disabled == DB_ENABLED && u->expires)
		at = u->expires;
	if (u->period_next && (!at || u->period_next < at))
		at = u->period_next;
	return at;
}

static void arm(struct server *s, int64_t at, int64_t now)
{
	int64_t wait;

	if (!at || at - now > DEADLINE_MAX_S)
		at = now + DEADLINE_MAX_S;
	wait = at > now ? at - now : 0;
	s->deadline_at = at;
	/* A second late rather than early: the deadline is checked against the wall clock. */
	timer_arm(s->deadline_timer, (uint64_t)wait * 1000 + 50);
}

/* What is due for u at now. */
static void enforce(struct server *s, struct acct_user *u, int64_t now)
{
	char why[160];

	if (u->period_next && u->period_next <= now) {
		int64_t start = values_period_start(now, u->quota_reset_day);

		if (db_counters_reset_period(s->db, u->id, start) < 0) {
			log_warn("user %s: new quota period: %s", u->name, db_errmsg(s->db));
		} else {
			u->rx_period = u->tx_period = 0;
			u->period_start = start;
			u->period_next = values_period_next(start, u->quota_reset_day);
			log_info("user %s: a new quota period begins", u->name);
		}
	}
	if (u->disabled == DB_ENABLED && u->expires && u->expires <= now) {
		if (account_set_state(s, u, DB_DISABLED_EXPIRED, why, sizeof(why)) < 0)
			log_err("%s", why);
	} else if (u->disabled == DB_ENABLED && u->quota_bytes &&
		   account_quota_used(u) >= u->quota_bytes) {
		if (account_set_state(s, u, DB_DISABLED_QUOTA, why, sizeof(why)) < 0)
			log_err("%s", why);
	} else if ((u->disabled == DB_DISABLED_EXPIRED && (!u->expires || u->expires > now) &&
		    !(u->quota_bytes && account_quota_used(u) >= u->quota_bytes)) ||
		   (u->disabled == DB_DISABLED_QUOTA &&
		    (!u->quota_bytes || account_quota_used(u) < u->quota_bytes) &&
		    (!u->expires || u->expires > now))) {
		/* Extended, or a new period: back on. */
		if (account_set_state(s, u, DB_ENABLED, why, sizeof(why)) < 0)
			log_err("%s", why);
	}
}

void account_deadlines(struct server *s)
{
	int64_t now = time(NULL), next = 0, at;
	size_t i;

	/* Bytes up to this moment count before an expiry or a period ends. */
	for (i = 0; i < s->acct.n_users; i++) {
		at = user_deadline(&s->acct.users[i]);
		if (at && at <= now)
			break;
	}
	if (i < s->acct.n_users)
		account_poll(s);
	for (i = 0; i < s->acct.n_users; i++) {
		struct acct_user *u = &s->acct.users[i];

		at = user_deadline(u);
		if (at && at <= now)
			enforce(s, u, now);
		u = &s->acct.users[i];
		at = user_deadline(u);
		if (at && (!next || at < next))
			next = at;
	}
	arm(s, next, now);
}

void account_check_user(struct server *s, struct acct_user *u)
{
	int64_t now = time(NULL), at, id = u->id;

	enforce(s, u, now);
	u = account_user(&s->acct, id);
	if (!u)
		return;
	at = user_deadline(u);
	if (at && (!s->deadline_at || at < s->deadline_at))
		arm(s, at, now);
}

/* ---- status ---- */

void account_device_json(const struct acct_device *d, struct json *j)
{
	json_bool(j, "online", d->session_id != 0);
	if (d->endpoint[0])
		json_str(j, "endpoint", d->endpoint);
	else
		json_null(j, "endpoint");
	if (d->handshake)
		json_i64(j, "latest_handshake", d->handshake);
	else
		json_null(j, "latest_handshake");
	if (d->session_id)
		json_i64(j, "session_started", d->session_started);
	else
		json_null(j, "session_started");
	json_u64(j, "rx_rate", d->rx_rate);
	json_u64(j, "tx_rate", d->tx_rate);
}
