/* The event streams on the server's side: each one the portal holds is known here by
 * its request id, with who opened it and whose events it gets. Events are built once per
 * audience and the portal fans them out; a user's stream gets events of its own, made
 * here from the rows that concern it, so the portal never reads what it forwards. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delta.h"
#include "events.h"
#include "ipc.h"
#include "portalcore.h"
#include "../server.h"
#include "../api/ops.h"
#include "../auth/websession.h"
#include "../../agent/loop.h"
#include "../../common/json.h"
#include "../../common/log.h"
#include "../../common/util.h"

struct events_stream {
	uint32_t id;                /* the portal's request that opened it */
	enum api_caller_kind kind;  /* ADMIN, TOKEN or USER */
	int64_t subject;            /* the admin's, token's or user's id */
	int64_t user_id;            /* the audience: 0 for all, else this user's events */
	bool has_session;
	uint8_t session_hash[WEBSESSION_HASH_LEN];
};

/* A changed device of a user who has a stream, for that user's status event. */
struct user_row {
	int64_t user_id;
	size_t dev;                 /* index into s->acct.devs */
};

struct events {
	struct events_stream *streams;
	size_t n_streams;
	size_t n_all;               /* of audience "all" */
	int64_t *watched;           /* the users with a stream of their own, sorted, unique */
	size_t n_watched;
	bool watched_stale;         /* streams came or went: sort again before use */
	struct delta told;          /* what the streams were last told, while any is open */
	uint64_t changes;           /* s->acct.changes when told was brought up to date */
	int64_t *dirty;             /* users changed since the last flush */
	size_t n_dirty;
	bool dirty_all;
	/* announcements changed since the last flush: for these groups' users, everyone's
	 * (ann_everyone), these users' (read marks) */
	bool ann_pending, ann_everyone;
	int64_t *ann_groups, *ann_users;
	size_t n_ann_groups, n_ann_users;
	struct timer *flush;        /* user changes go out once a round of the loop */
	struct timer *check;        /* sessions and tokens of open streams */
	size_t *changed;            /* scratch: changed devices of one poll */
	size_t changed_cap;
	struct user_row *rows;      /* scratch: those of watched users */
	size_t rows_cap;
	struct json j;              /* scratch: one event's data */
};

/* ---- the streams ---- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Made again when used after streams came or went, not at each: thousands of streams
 * end at once when the portal restarts. */
static void watched_rebuild(struct events *e)
{
	size_t i, n = 0;

	if (!e->watched_stale)
		return;
	e->watched_stale = false;
	free(e->watched);
	e->watched = xcalloc(e->n_streams + 1, sizeof(*e->watched));
	for (i = 0; i < e->n_streams; i++)
		if (e->streams[i].user_id)
			e->watched[n++] = e->streams[i].user_id;
	qsort(e->watched, n, sizeof(*e->watched), cmp_i64);
	e->n_watched = 0;
	for (i = 0; i < n; i++)
		if (!e->n_watched || e->watched[e->n_watched - 1] != e->watched[i])
			e->watched[e->n_watched++] = e->watched[i];
}

static bool watched(struct events *e, int64_t user_id)
{
	watched_rebuild(e);
	return e->n_watched &&
	       bsearch(&user_id, e->watched, e->n_watched, sizeof(*e->watched), cmp_i64);
}

/* Stream i is over: forget it. With none left, the record of what was told goes too. */
static void stream_drop(struct server *s, size_t i)
{
	struct events *e = s->events;

	if (!e->streams[i].user_id)
		e->n_all--;
	else
		e->watched_stale = true;
	e->streams[i] = e->streams[--e->n_streams];
	if (!e->n_streams) {
		delta_free(&e->told);
		e->n_dirty = 0;
		e->dirty_all = false;
		e->ann_pending = e->ann_everyone = false;
		e->n_ann_groups = e->n_ann_users = 0;
		timer_disarm(e->flush);
		timer_disarm(e->check);
	}
}

/* End stream i from here: the portal closes its connection. */
static void stream_end(struct server *s, size_t i, const char *why)
{
	struct events_stream *st = &s->events->streams[i];

	log_debug("events: stream %" PRIu32 " ends: %s", st->id, why);
	portalcore_end_stream(s, st->id);
	stream_drop(s, i);
}

int events_open(struct server *s, uint32_t id, const struct api_caller *who,
		const char *audience)
{
	struct events *e = s->events;
	struct events_stream *st;
	int64_t user_id;
	int r;

	if (ipc_audience_parse(audience, strlen(audience), &user_id) < 0)
		return -EINVAL;
	r = portalcore_stream(s, id, audience);
	if (r < 0)
		return r;
	/* The first stream: from now on, what it is told is a difference from this. */
	if (!e->n_streams) {
		delta_reset(&e->told, &s->acct);
		e->changes = s->acct.changes;
		timer_arm(e->check, EVENTS_CHECK_MS);
	}
	st = array_push(&e->streams, &e->n_streams, sizeof(*st));
	st->id = id;
	st->kind = who->kind;
	st->subject = who->id;
	st->user_id = user_id;
	st->has_session = who->has_session;
	memcpy(st->session_hash, who->session_hash, sizeof(st->session_hash));
	if (!user_id)
		e->n_all++;
	else
		e->watched_stale = true;
	log_debug("events: stream %" PRIu32 " for %s from %s", id, audience, who->source);
	return 0;
}

void events_gone(struct server *s, uint32_t id)
{
	struct events *e = s->events;
	size_t i;

	for (i = 0; e && i < e->n_streams; i++) {
		if (e->streams[i].id == id) {
			stream_drop(s, i);
			return;
		}
	}
}

/* Whatever ended a session (logout, a password change, the account disabled or
 * deleted, expiry), its streams end with it. */
static void on_session_end(const struct websession_info *info, void *data)
{
	struct server *s = data;
	struct events *e = s->events;
	size_t i = 0;

	while (i < e->n_streams) {
		if (e->streams[i].has_session &&
		    memcmp(e->streams[i].session_hash, info->id_hash, WEBSESSION_HASH_LEN) == 0)
			stream_end(s, i, "its session ended");
		else
			i++;
	}
}

struct token_ids {
	int64_t *ids;
	size_t n;
	bool failed;                /* the database failed: revoke nothing this time */
};

static int collect_token(const struct db_token *t, void *data)
{
	struct token_ids *tk = data;

	*(int64_t *)array_push(&tk->ids, &tk->n, sizeof(*tk->ids)) = t->id;
	return 0;
}

static bool token_exists(struct server *s, struct token_ids *tk, bool *listed, int64_t id)
{
	size_t k;

	if (!*listed) {
		*listed = true;
		if (db_token_list(s->db, collect_token, tk) < 0) {
			log_warn("events: tokens: %s", db_errmsg(s->db));
			tk->failed = true;
		}
	}
	for (k = 0; k < tk->n && tk->ids[k] != id; k++)
		;
	return tk->failed || k < tk->n;
}

/* A session that expired is found here (nothing but a request ends it), a deleted token
 * too; the other ends of a session are heard at once. */
static void on_check(struct loop *l, struct timer *t, void *data)
{
	struct server *s = data;
	struct events *e = s->events;
	uint64_t now_ms = (uint64_t)time(NULL) * 1000;
	struct token_ids tokens = { 0 };
	bool listed = false;
	size_t i = 0;

	while (i < e->n_streams) {
		struct events_stream *st = &e->streams[i];

		if (st->has_session && !websession_alive(s->web, st->session_hash, now_ms))
			stream_end(s, i, "its session expired");
		else if (st->kind == API_CALLER_TOKEN && !token_exists(s, &tokens, &listed, st->subject))
			stream_end(s, i, "its token was deleted");
		else
			i++;
	}
	free(tokens.ids);
	if (e->n_streams)
		timer_arm(t, EVENTS_CHECK_MS);
}

size_t events_count(const struct server *s)
{
	return s->events ? s->events->n_streams : 0;
}

/* ---- status ---- */

static void send_event(struct server *s, const char *audience, const char *name)
{
	struct events *e = s->events;

	if (portalcore_event(s, audience, name, &e->j) < 0)
		log_debug("events: a %s event for %s was not sent", name, audience);
}

static int cmp_row(const void *a, const void *b)
{
	const struct user_row *x = a, *y = b;

	if (x->user_id != y->user_id)
		return (x->user_id > y->user_id) - (x->user_id < y->user_id);
	return (x->dev > y->dev) - (x->dev < y->dev);
}

/* {"devices":[ROW...]}: rows as GET /api/v1/status has them. */
static void status_begin(struct events *e)
{
	json_reset(&e->j);
	json_obj_begin(&e->j, NULL);
	json_arr_begin(&e->j, "devices");
}

static void status_end(struct events *e)
{
	json_end(&e->j);
	json_end(&e->j);
}

void events_status(struct server *s)
{
	struct events *e = s->events;
	char audience[32];
	size_t n, i, k, n_rows = 0;

	if (!e || !e->n_streams || s->acct.changes == e->changes)
		return;
	e->changes = s->acct.changes;
	n = delta_devices(&e->told, &s->acct, &e->changed, &e->changed_cap);
	if (!n)
		return;
	if (e->n_all) {
		status_begin(e);
		for (i = 0; i < n; i++)
			api_status_row(s, &s->acct.devs[e->changed[i]], &e->j);
		status_end(e);
		send_event(s, "all", "status");
	}
	/* Users watching their own: the changed rows of each, one event per user. */
	for (i = 0; e->n_all < e->n_streams && i < n; i++) {
		const struct acct_device *d = &s->acct.devs[e->changed[i]];

		if (!watched(e, d->user_id))
			continue;
		if (n_rows == e->rows_cap) {
			e->rows_cap = e->rows_cap ? e->rows_cap * 2 : 16;
			e->rows = xrealloc(e->rows, e->rows_cap * sizeof(*e->rows));
		}
		e->rows[n_rows].user_id = d->user_id;
		e->rows[n_rows++].dev = e->changed[i];
	}
	qsort(e->rows, n_rows, sizeof(*e->rows), cmp_row);
	for (i = 0; i < n_rows; i = k) {
		status_begin(e);
		for (k = i; k < n_rows && e->rows[k].user_id == e->rows[i].user_id; k++)
			api_status_row(s, &s->acct.devs[e->rows[k].dev], &e->j);
		status_end(e);
		snprintf(audience, sizeof(audience), "user:%" PRId64, e->rows[i].user_id);
		send_event(s, audience, "status");
	}
}

/* ---- users ---- */

static void tell_user(int64_t id, const struct acct_user *u, const char *name, void *data)
{
	struct server *s = data;
	struct events *e = s->events;
	char audience[32];

	json_reset(&e->j);
	json_obj_begin(&e->j, NULL);
	json_str(&e->j, "name", name);
	if (u)
		json_str(&e->j, "state", api_state_names[u->disabled]);
	else
		json_null(&e->j, "state");
	json_bool(&e->j, "deleted", !u);
	json_end(&e->j);
	if (e->n_all)
		send_event(s, "all", "user");
	if (watched(e, id)) {
		snprintf(audience, sizeof(audience), "user:%" PRId64, id);
		send_event(s, audience, "user");
	}
}

/* ---- announcements ---- */

static bool has_id(const int64_t *v, size_t n, int64_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == id)
			return true;
	return false;
}

static void push_id(int64_t **v, size_t *n, int64_t id)
{
	if (!has_id(*v, *n, id))
		*(int64_t *)array_push(v, n, sizeof(**v)) = id;
}

/* A feed's total for a group, counted once per flush. */
struct group_total {
	int64_t group_id;
	uint64_t total;
};

/* The console hears that something changed; each user concerned, its unread count: the
 * group's total (once per group) less the user's read marks in it (its own rows). */
static void flush_announcements(struct server *s)
{
	struct events *e = s->events;
	struct group_total *totals = NULL;
	size_t i, k, n_totals = 0;
	char audience[32];
	uint64_t read;

	if (!e->ann_pending)
		return;
	if (e->n_all) {
		json_reset(&e->j);
		json_obj_begin(&e->j, NULL);
		json_end(&e->j);
		send_event(s, "all", "announcements");
	}
	watched_rebuild(e);
	for (i = 0; e->n_all < e->n_streams && i < e->n_watched; i++) {
		const struct acct_user *u = account_user(&s->acct, e->watched[i]);
		struct db_feed f = { 0 };

		if (!u || (!e->ann_everyone && !has_id(e->ann_groups, e->n_ann_groups, u->group_id) &&
			   !has_id(e->ann_users, e->n_ann_users, u->id)))
			continue;
		f.user_id = u->id;
		f.group_id = u->group_id ? u->group_id : DB_GROUP_DEFAULT;
		f.now = time(NULL);
		for (k = 0; k < n_totals && totals[k].group_id != f.group_id; k++)
			;
		if (k == n_totals) {
			struct group_total *g = array_push(&totals, &n_totals, sizeof(*totals));

			g->group_id = f.group_id;
			if (db_announcement_count(s->db, &f, &g->total, NULL) < 0) {
				log_warn("events: announcements of group %" PRId64 ": %s", f.group_id,
					 db_errmsg(s->db));
				g->group_id = -1;
				continue;
			}
		}
		if (db_announcement_read_count(s->db, &f, &read) < 0) {
			log_warn("events: announcements of user %s: %s", u->name, db_errmsg(s->db));
			continue;
		}
		json_reset(&e->j);
		json_obj_begin(&e->j, NULL);
		json_u64(&e->j, "unread", totals[k].total > read ? totals[k].total - read : 0);
		json_end(&e->j);
		snprintf(audience, sizeof(audience), "user:%" PRId64, u->id);
		send_event(s, audience, "announcements");
	}
	free(totals);
	e->ann_pending = e->ann_everyone = false;
	e->n_ann_groups = e->n_ann_users = 0;
}

void events_announcements(struct server *s, int64_t group_id, int64_t user_id)
{
	struct events *e = s->events;

	if (!e || !e->n_streams)
		return;
	e->ann_pending = true;
	if (user_id)
		push_id(&e->ann_users, &e->n_ann_users, user_id);
	else if (group_id)
		push_id(&e->ann_groups, &e->n_ann_groups, group_id);
	else
		e->ann_everyone = true;
	if (!timer_armed(e->flush))
		timer_arm(e->flush, 0);
}

static void on_flush(struct loop *l, struct timer *t, void *data)
{
	struct server *s = data;
	struct events *e = s->events;
	size_t i;

	/* The users named first, each told even when its row is the same (a device of it
	 * changed); then, after a change of everyone's, those that differ. */
	for (i = 0; i < e->n_dirty && e->n_streams; i++)
		delta_user(&e->told, &s->acct, e->dirty[i], tell_user, s);
	if (e->dirty_all && e->n_streams)
		delta_users(&e->told, &s->acct, tell_user, s);
	e->n_dirty = 0;
	e->dirty_all = false;
	if (e->n_streams)
		flush_announcements(s);
}

void events_user(struct server *s, int64_t user_id)
{
	struct events *e = s->events;
	size_t i;

	if (!e || !e->n_streams)
		return;
	if (!user_id) {
		e->dirty_all = true;
	} else {
		for (i = 0; i < e->n_dirty && e->dirty[i] != user_id; i++)
			;
		if (i == e->n_dirty)
			*(int64_t *)array_push(&e->dirty, &e->n_dirty, sizeof(*e->dirty)) = user_id;
	}
	if (!timer_armed(e->flush))
		timer_arm(e->flush, 0);
}

/* ---- lifetime ---- */

int events_new(struct server *s)
{
	struct events *e = xcalloc(1, sizeof(*e));

	s->events = e;
	e->flush = timer_new(s->loop, on_flush, s);
	e->check = timer_new(s->loop, on_check, s);
	if (!e->flush || !e->check)
		return -ENOMEM;
	websession_on_end(s->web, on_session_end, s);
	return 0;
}

void events_free(struct server *s)
{
	struct events *e = s->events;

	if (!e)
		return;
	if (s->web)
		websession_on_end(s->web, NULL, NULL);
	timer_free(e->flush);
	timer_free(e->check);
	free(e->streams);
	free(e->watched);
	delta_free(&e->told);
	free(e->dirty);
	free(e->ann_groups);
	free(e->ann_users);
	free(e->changed);
	free(e->rows);
	json_clear(&e->j);
	free(e);
	s->events = NULL;
}
