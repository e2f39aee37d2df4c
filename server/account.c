/* Accounting: the link's counters read every few seconds into per-user totals that survive
 * counter resets, sessions opened by handshakes and closed by silence, and enforcement of
 * expiry and quotas driven by one timer and by counter deltas. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "server.h"
#include "values.h"
#include "../agent/loop.h"
#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../netcfg/wg.h"

/* Clocks can be set: the deadline timer never sleeps longer than this before looking. */
#define DEADLINE_MAX_S 3600

/* ---- the table ---- */

static size_t key_hash(const uint8_t key[KEY_LEN])
{
	uint64_t h;

	/* Public keys are uniformly random: their first bytes are a good hash. */
	memcpy(&h, key, sizeof(h));
	return (size_t)h;
}

static void slots_insert(struct account *a, size_t idx)
{
	size_t m = a->n_slots - 1, i = key_hash(a->v[idx].key) & m;

	while (a->slots[i])
		i = (i + 1) & m;
	a->slots[i] = (uint32_t)idx + 1;
}

static void slots_rebuild(struct account *a)
{
	size_t i, want = 16;

	while (want < a->n * 2 + 2)
		want *= 2;
	if (want != a->n_slots) {
		free(a->slots);
		a->slots = xcalloc(want, sizeof(*a->slots));
		a->n_slots = want;
	} else {
		memset(a->slots, 0, want * sizeof(*a->slots));
	}
	for (i = 0; i < a->n; i++)
		slots_insert(a, i);
}

struct acct_user *account_find_key(struct account *a, const uint8_t key[KEY_LEN])
{
	size_t m, i;

	if (!a->n_slots)
		return NULL;
	m = a->n_slots - 1;
	for (i = key_hash(key) & m; a->slots[i]; i = (i + 1) & m) {
		struct acct_user *u = &a->v[a->slots[i] - 1];

		if (memcmp(u->key, key, KEY_LEN) == 0)
			return u;
	}
	return NULL;
}

/* v is kept in id order: the database hands users out by id and new ids are larger. */
struct acct_user *account_find_id(struct account *a, int64_t id)
{
	size_t lo = 0, hi = a->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a->v[mid].id == id)
			return &a->v[mid];
		if (a->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void account_free(struct account *a)
{
	free(a->v);
	free(a->slots);
	memset(a, 0, sizeof(*a));
}

static void copy_row(struct acct_user *u, const struct db_user *row)
{
	u->id = row->id;
	snprintf(u->name, sizeof(u->name), "%s", row->name);
	memcpy(u->key, row->public_key, KEY_LEN);
	u->psk_enc_len = row->preshared_key_enc_len <= sizeof(u->psk_enc) ?
			 row->preshared_key_enc_len : 0;
	memcpy(u->psk_enc, row->preshared_key_enc, u->psk_enc_len);
	u->disabled = row->disabled;
	u->expires = row->expires;
	u->quota_bytes = row->quota_bytes;
	u->quota_period = row->quota_period;
	u->quota_reset_day = row->quota_reset_day ? row->quota_reset_day : 1;
	u->period_start = row->period_start;
	u->period_next = u->quota_bytes && u->quota_period == DB_QUOTA_MONTH ?
			 values_period_next(u->period_start, u->quota_reset_day) : 0;
	u->rx_total = row->rx_total;
	u->tx_total = row->tx_total;
	u->rx_period = row->rx_period;
	u->tx_period = row->tx_period;
}

static int collect_addr(int64_t user_id, const struct cidr *addr, void *data)
{
	struct acct_user *u = account_find_id(data, user_id);

	size_t i;

	if (!u || u->n_addrs == ARRAY_SIZE(u->addrs))
		return 0;
	/* IPv4 first, as db_addr_list_user gives them. */
	for (i = u->n_addrs; i > 0 && u->addrs[i - 1].family > addr->family; i--)
		u->addrs[i] = u->addrs[i - 1];
	u->addrs[i] = *addr;
	u->n_addrs++;
	return 0;
}

struct acct_user *account_update(struct server *s, const struct db_user *row)
{
	struct account *a = &s->acct;
	struct acct_user *u = account_find_id(a, row->id);
	bool new_key;

	if (!u) {
		size_t at = a->n;

		/* New rows come last (SQLite's rowid is max + 1); keep id order regardless. */
		array_push(&a->v, &a->n, sizeof(*u));
		while (at > 0 && a->v[at - 1].id > row->id)
			at--;
		memmove(&a->v[at + 1], &a->v[at], (a->n - 1 - at) * sizeof(*u));
		u = &a->v[at];
		memset(u, 0, sizeof(*u));
		copy_row(u, row);
		u->seen_rx = row->seen_rx;
		u->seen_tx = row->seen_tx;
		db_addr_list_user(s->db, row->id, collect_addr, a);
		if (at != a->n - 1 || a->n * 2 + 2 > a->n_slots)
			slots_rebuild(a);
		else
			slots_insert(a, at);
		return u;
	}
	new_key = memcmp(u->key, row->public_key, KEY_LEN) != 0;
	copy_row(u, row);
	if (new_key) {
		u->handshake = 0;
		u->endpoint[0] = '\0';
		u->rx_rate = u->tx_rate = 0;
		slots_rebuild(a);
	}
	return u;
}

void account_forget(struct server *s, int64_t id)
{
	struct account *a = &s->acct;
	struct acct_user *u = account_find_id(a, id);

	if (!u)
		return;
	memmove(u, u + 1, (size_t)(a->v + a->n - (u + 1)) * sizeof(*u));
	a->n--;
	slots_rebuild(a);
}

static int load_user(const struct db_user *row, void *data)
{
	struct account *a = data;
	struct acct_user *u = array_push(&a->v, &a->n, sizeof(*u));

	copy_row(u, row);
	u->seen_rx = row->seen_rx;
	u->seen_tx = row->seen_tx;
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
	struct acct_user *u = account_find_id(l->a, row->user_id);

	if (u && !u->session_id) {
		u->session_id = row->id;
		u->session_started = row->started;
		u->active = row->last_seen ? row->last_seen : row->started;
		/* Where it was last seen, so a move is told from a restart. */
		snprintf(u->endpoint, sizeof(u->endpoint), "%s", row->endpoint);
		db_session_endpoints(l->db, row->id, last_endpoint, u->endpoint);
	}
	return 0;
}

int account_load(struct server *s)
{
	struct db_session_filter open = { .open_only = true };
	int r;

	account_free(&s->acct);
	r = db_user_list(s->db, load_user, &s->acct);
	if (r == 0)
		r = db_addr_list_all(s->db, collect_addr, &s->acct);
	if (r == 0)
		r = db_session_list(s->db, &open, load_session, &(struct load_ctx){ s->db, &s->acct });
	if (r < 0) {
		log_err("database: %s", db_errmsg(s->db));
		return r;
	}
	slots_rebuild(&s->acct);
	return 0;
}

/* ---- sessions ---- */

void account_close_session(struct server *s, struct acct_user *u, int64_t at)
{
	if (!u->session_id)
		return;
	if (at < u->session_started)
		at = u->session_started;
	if (db_session_close(s->db, u->session_id, at) < 0 && db_errmsg(s->db)[0])
		log_warn("user %s: closing its session: %s", u->name, db_errmsg(s->db));
	log_info("user %s: session ended after %" PRId64 " s", u->name, at - u->session_started);
	u->session_id = 0;
}

static void open_session(struct server *s, struct acct_user *u, int64_t at)
{
	char addr[CIDR_STRLEN] = "";

	if (u->n_addrs)
		cidr_fmt(&u->addrs[0], addr);
	if (db_session_open(s->db, u->id, at, u->endpoint, addr, &u->session_id) < 0) {
		log_warn("user %s: opening a session: %s", u->name, db_errmsg(s->db));
		u->session_id = 0;
		return;
	}
	u->session_started = at;
	u->active = at;
	log_info("user %s: session started from %s", u->name, u->endpoint[0] ? u->endpoint : "?");
}

static void endpoint_fmt(const union wg_endpoint *ep, char *buf, size_t size)
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

/* ---- accounting ---- */

uint64_t account_quota_used(const struct acct_user *u)
{
	return u->quota_period == DB_QUOTA_MONTH ? u->rx_period + u->tx_period :
	       u->rx_total + u->tx_total;
}

void account_peer_fresh(struct server *s, struct acct_user *u)
{
	u->seen_rx = u->seen_tx = 0;
	if (db_counters_add(s->db, u->id, 0, 0, 0, 0) < 0)
		log_warn("user %s: %s", u->name, db_errmsg(s->db));
}

void account_link_fresh(struct server *s)
{
	size_t i;

	db_begin(s->db);
	for (i = 0; i < s->acct.n; i++)
		account_peer_fresh(s, &s->acct.v[i]);
	db_commit(s->db);
}

/* One peer's reading: counters into the totals (a counter below what was seen means the
 * peer was made anew, so all of it is new), then the session. */
static void account_peer(struct server *s, struct acct_user *u, const struct wg_peer *p,
			 int64_t now, uint64_t dt_ms)
{
	int64_t idle = (int64_t)s->c->server.session_idle_s;
	uint64_t drx, dtx;
	char ep[DB_ENDPOINT_MAX];

	if (p->rx_bytes < u->seen_rx || p->tx_bytes < u->seen_tx) {
		drx = p->rx_bytes;
		dtx = p->tx_bytes;
	} else {
		drx = p->rx_bytes - u->seen_rx;
		dtx = p->tx_bytes - u->seen_tx;
	}
	if (dt_ms) {
		u->rx_rate = drx * 1000 / dt_ms;
		u->tx_rate = dtx * 1000 / dt_ms;
	}
	if (drx || dtx || p->rx_bytes != u->seen_rx || p->tx_bytes != u->seen_tx) {
		if (db_counters_add(s->db, u->id, drx, dtx, p->rx_bytes, p->tx_bytes) < 0) {
			log_warn("user %s: counters: %s", u->name, db_errmsg(s->db));
			return;
		}
		u->rx_total += drx;
		u->tx_total += dtx;
		u->rx_period += drx;
		u->tx_period += dtx;
		u->seen_rx = p->rx_bytes;
		u->seen_tx = p->tx_bytes;
	}

	endpoint_fmt(&p->endpoint, ep, sizeof(ep));
	if (p->last_handshake_sec > u->handshake) {
		u->handshake = p->last_handshake_sec;
		/* A session begins at the first handshake after idle. */
		if (!u->session_id && now - u->handshake <= idle) {
			snprintf(u->endpoint, sizeof(u->endpoint), "%s", ep);
			open_session(s, u, u->handshake);
		}
	}
	if (u->session_id) {
		if (u->handshake > u->active)
			u->active = u->handshake;
		if (drx || dtx) {
			u->active = now;
			if (db_session_add_bytes(s->db, u->session_id, drx, dtx, u->active) < 0)
				log_warn("user %s: session: %s", u->name, db_errmsg(s->db));
		}
		if (ep[0] && strcmp(ep, u->endpoint) != 0) {
			if (db_session_add_endpoint(s->db, u->session_id, now, ep) < 0)
				log_warn("user %s: session: %s", u->name, db_errmsg(s->db));
			log_info("user %s: endpoint %s -> %s", u->name,
				 u->endpoint[0] ? u->endpoint : "?", ep);
		}
		/* WireGuard renews keys every two minutes while it talks: silence past
		 * session_idle_s means the client went away. */
		if (now - (u->handshake > u->active ? u->handshake : u->active) > idle)
			account_close_session(s, u, u->active);
	}
	if (ep[0])
		snprintf(u->endpoint, sizeof(u->endpoint), "%s", ep);
}

int account_poll(struct server *s)
{
	struct wg_device *dev = NULL;
	struct acct_user **over = NULL;
	size_t n_over = 0, drift = 0, i;
	uint64_t now_ms = loop_now_ms(), dt = s->last_poll_ms ? now_ms - s->last_poll_ms : 0;
	int64_t now = time(NULL);
	char why[160];
	int r;

	r = wg_get(s->wgb, s->c->server.ifname, &dev);
	if (r < 0) {
		server_repair_soon(s, r == -ENODEV ? "the link is gone" : strerror(-r));
		return r;
	}
	s->last_poll_ms = now_ms;
	for (i = 0; i < s->acct.n; i++)
		s->acct.v[i].on_link = false;
	db_begin(s->db);
	for (i = 0; i < dev->n_peers; i++) {
		struct acct_user *u = account_find_key(&s->acct, dev->peers[i].public_key);

		if (!u || u->disabled != DB_ENABLED) {
			drift++;
			continue;
		}
		u->on_link = true;
		account_peer(s, u, &dev->peers[i], now, dt);
		if (u->quota_bytes && account_quota_used(u) >= u->quota_bytes)
			*(struct acct_user **)array_push(&over, &n_over, sizeof(*over)) = u;
	}
	if (db_commit(s->db) < 0)
		log_warn("database: %s", db_errmsg(s->db));
	for (i = 0; i < s->acct.n; i++) {
		struct acct_user *u = &s->acct.v[i];

		if (u->disabled == DB_ENABLED && !u->on_link) {
			drift++;
			/* The repair makes its peer anew, with counters from zero. */
			if (u->seen_rx || u->seen_tx)
				account_peer_fresh(s, u);
		}
		if (!u->on_link) {
			u->rx_rate = u->tx_rate = 0;
			if (u->session_id && now - u->active > (int64_t)s->c->server.session_idle_s)
				account_close_session(s, u, u->active);
		}
	}
	wg_device_free(dev);
	/* Quotas are checked on the deltas just read: the users over it, and nobody else. */
	for (i = 0; i < n_over; i++) {
		log_info("user %s: quota reached (%" PRIu64 " of %" PRIu64 " bytes)", over[i]->name,
			 account_quota_used(over[i]), over[i]->quota_bytes);
		if (account_set_state(s, over[i], DB_DISABLED_QUOTA, why, sizeof(why)) < 0)
			log_err("%s", why);
	}
	free(over);
	if (drift)
		server_repair_soon(s, "peers differ from the database");
	return 0;
}

/* ---- enforcement ---- */

int account_set_state(struct server *s, struct acct_user *u, enum db_disabled reason,
		      char *why, size_t whylen)
{
	static const char *const verb[] = { "enabled", "disabled: expired", "disabled: quota reached",
					    "disabled" };
	struct db_user row;
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
	if (reason != DB_ENABLED)
		account_close_session(s, u, u->session_id ? time(NULL) : 0);
	r = server_sync_user(s, u, reason != DB_ENABLED);
	if (r < 0) {
		snprintf(why, whylen, "user %s: its peer: %s", u->name, strerror(-r));
		goto out;
	}
	if (reason == DB_ENABLED)
		account_peer_fresh(s, u);
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

/* What is due for u at now; false when nothing. */
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
	for (i = 0; i < s->acct.n; i++) {
		at = user_deadline(&s->acct.v[i]);
		if (at && at <= now)
			break;
	}
	if (i < s->acct.n)
		account_poll(s);
	for (i = 0; i < s->acct.n; i++) {
		struct acct_user *u = &s->acct.v[i];

		at = user_deadline(u);
		if (at && at <= now)
			enforce(s, u, now);
		at = user_deadline(u);
		if (at && (!next || at < next))
			next = at;
	}
	arm(s, next, now);
}

void account_check_user(struct server *s, struct acct_user *u)
{
	int64_t now = time(NULL), at;

	enforce(s, u, now);
	at = user_deadline(u);
	if (at && (!s->deadline_at || at < s->deadline_at))
		arm(s, at, now);
}

/* ---- status ---- */

void account_user_json(struct server *s, const struct acct_user *u, struct json *j)
{
	(void)s;
	json_bool(j, "online", u->session_id != 0);
	if (u->endpoint[0])
		json_str(j, "endpoint", u->endpoint);
	else
		json_null(j, "endpoint");
	if (u->handshake)
		json_i64(j, "latest_handshake", u->handshake);
	else
		json_null(j, "latest_handshake");
	if (u->session_id)
		json_i64(j, "session_started", u->session_started);
	else
		json_null(j, "session_started");
	json_u64(j, "rx_rate", u->rx_rate);
	json_u64(j, "tx_rate", u->tx_rate);
	if (u->quota_bytes)
		json_u64(j, "quota_used", account_quota_used(u));
	else
		json_null(j, "quota_used");
}

static const char *const state_name[] = { "enabled", "expired", "quota", "disabled" };

void account_status(struct server *s, struct json *j)
{
	char buf[CIDR_STRLEN];
	size_t i, k;

	json_arr_begin(j, "users");
	for (i = 0; i < s->acct.n; i++) {
		const struct acct_user *u = &s->acct.v[i];

		json_obj_begin(j, NULL);
		json_str(j, "name", u->name);
		json_str(j, "state", state_name[u->disabled]);
		json_arr_begin(j, "addresses");
		for (k = 0; k < u->n_addrs; k++)
			json_str(j, NULL, cidr_fmt(&u->addrs[k], buf));
		json_end(j);
		json_u64(j, "rx_bytes", u->rx_total);
		json_u64(j, "tx_bytes", u->tx_total);
		account_user_json(s, u, j);
		json_end(j);
	}
	json_end(j);
}
