/* The session log and the statistics drawn from it: sessions paged and searched, traffic
 * per hour or day, sessions per day, the top users, and the dashboard's counts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops.h"
#include "../server.h"
#include "../../common/json.h"
#include "../../common/util.h"

static const char *const order_names[] = { "newest", "oldest", NULL };

struct session_req {
	char user[DB_NAME_MAX + 1];
	bool has_user;
	char device[DB_NAME_MAX + 1];
	bool has_device;
	int64_t since;
	bool has_since;
	int64_t until;
	bool has_until;
	char q[128];
	bool has_q;
	int order;
	bool has_order;
	uint64_t limit;
	bool has_limit;
	char cursor[DB_CURSOR_MAX + 1];
	bool has_cursor;
};

static const struct api_field session_fields[] = {
	API_FIELD_L(struct session_req, user, API_NAME, 0, "user name"),
	API_FIELD_L(struct session_req, device, API_NAME, 0, "device name"),
	API_FIELD(struct session_req, since, API_DATE, 0),
	API_FIELD(struct session_req, until, API_DATE, 0),
	API_FIELD(struct session_req, q, API_STR, 0),
	API_FIELD_ENUM(struct session_req, order, order_names, 0),
	API_FIELD_U64(struct session_req, limit, 1, DB_PAGE_MAX, 0),
	API_FIELD(struct session_req, cursor, API_CURSOR, 0),
	API_FIELD_END,
};

struct session_ctx {
	struct server *s;
	struct json *j;
	int64_t now;
};

static int endpoint_json(int64_t at, const char *endpoint, void *data)
{
	struct json *j = data;

	json_obj_begin(j, NULL);
	json_i64(j, "at", at);
	json_str(j, "endpoint", endpoint);
	json_end(j);
	return 0;
}

static int session_row(const struct db_session *r, void *data)
{
	struct session_ctx *x = data;
	const struct acct_user *u = account_user(&x->s->acct, r->user_id);
	const struct acct_device *d = account_device(&x->s->acct, r->device_id);
	struct json *j = x->j;

	json_obj_begin(j, NULL);
	json_i64(j, "id", r->id);
	json_str(j, "user", u ? u->name : "?");
	json_str(j, "device", d ? d->name : NULL);
	json_i64(j, "started", r->started);
	if (r->ended)
		json_i64(j, "ended", r->ended);
	else
		json_null(j, "ended");
	json_i64(j, "duration_s", (r->ended ? r->ended : x->now) - r->started);
	json_str(j, "endpoint", r->endpoint);
	json_str(j, "address", r->address);
	json_u64(j, "rx_bytes", r->rx);
	json_u64(j, "tx_bytes", r->tx);
	json_arr_begin(j, "endpoint_changes");
	db_session_endpoints(x->s->db, r->id, endpoint_json, j);
	json_end(j);
	json_end(j);
	return 0;
}

static int session_list(struct api_call *c)
{
	struct session_req *q = c->req;
	struct db_session_query dq = { 0 };
	struct session_ctx x = { c->s, c->reply, time(NULL) };
	char next[DB_CURSOR_MAX + 1] = "";
	struct db_device d;
	struct db_user u;
	uint64_t total = 0;
	int r;

	if (q->has_device && !q->has_user)
		return api_fail(c, -EINVAL, "device: goes with user");
	if (q->has_user) {
		r = api_user_find(c, q->user, &u);
		if (r < 0)
			return r;
		dq.user_id = u.id;
		if (q->has_device) {
			r = api_device_find(c, &u, q->device, &d);
			if (r < 0) {
				db_user_wipe(&u);
				return r;
			}
			dq.device_id = d.id;
			db_device_wipe(&d);
		}
		db_user_wipe(&u);
	}
	dq.since = q->since;
	dq.until = q->until;
	dq.q = q->q;
	dq.oldest_first = q->order == 1;
	dq.limit = q->has_limit ? q->limit : 50;
	dq.cursor = q->cursor;
	json_obj_begin(c->reply, NULL);
	json_arr_begin(c->reply, "sessions");
	r = db_session_query(c->s->db, &dq, session_row, &x, &total, next);
	return api_page_end(c, r, &total, next);
}

const struct api_op op_session_list = {
	"session.list", "GET", "/api/v1/sessions", API_VIEWER, 0,
	sizeof(struct session_req), session_fields, session_list,
	"One page of the session log, newest first", NULL,
};

/* ---- statistics ---- */

static const char *const step_names[] = { "hour", "day", NULL };

struct stats_req {
	int64_t from;
	bool has_from;
	int64_t to;
	bool has_to;
	int step;
	bool has_step;
	char user[DB_NAME_MAX + 1];
	bool has_user;
};

static const struct api_field stats_fields[] = {
	API_FIELD(struct stats_req, from, API_DATE, 0),
	API_FIELD(struct stats_req, to, API_DATE, 0),
	API_FIELD_ENUM(struct stats_req, step, step_names, 0),
	API_FIELD_L(struct stats_req, user, API_NAME, 0, "user name"),
	API_FIELD_END,
};

static int traffic_row(const struct db_traffic_row *r, void *data)
{
	struct json *j = data;

	json_obj_begin(j, NULL);
	json_i64(j, "start", r->start);
	json_u64(j, "rx_bytes", r->rx);
	json_u64(j, "tx_bytes", r->tx);
	json_end(j);
	return 0;
}

/* The window asked for: by default the last 24 hours by hour, or 30 days by day. */
static int stats_window(struct api_call *c, struct stats_req *q, int64_t *from, int64_t *to)
{
	int64_t now = time(NULL);

	*to = q->has_to ? q->to : now + 1;
	*from = q->has_from ? q->from : *to - (q->step == 1 ? 30 * 86400 : 86400);
	if (*from >= *to)
		return api_fail(c, -EINVAL, "from: must come before to");
	if ((*to - *from) / (q->step == 1 ? 86400 : 3600) > 5000)
		return api_fail(c, -EINVAL, "to: at most 5000 steps at once");
	return 0;
}

static int stats_traffic(struct api_call *c)
{
	struct stats_req *q = c->req;
	int64_t from, to, user_id = 0;
	struct db_user u;
	int r;

	if ((r = stats_window(c, q, &from, &to)) < 0)
		return r;
	/* A user sees only its own. */
	if (c->who.kind == API_CALLER_USER) {
		user_id = c->who.id;
	} else if (q->has_user) {
		if ((r = api_user_find(c, q->user, &u)) < 0)
			return r;
		user_id = u.id;
		db_user_wipe(&u);
	}
	json_obj_begin(c->reply, NULL);
	json_i64(c->reply, "from", from);
	json_i64(c->reply, "to", to);
	json_str(c->reply, "step", step_names[q->step]);
	json_arr_begin(c->reply, "traffic");
	r = db_traffic_sum(c->s->db, from, to, (enum db_step)q->step, user_id, traffic_row, c->reply);
	json_end(c->reply);
	json_end(c->reply);
	if (r < 0) {
		json_reset(c->reply);
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	}
	return 0;
}

const struct api_op op_stats_traffic = {
	"stats.traffic", "GET", "/api/v1/stats/traffic", API_SELF, 0,
	sizeof(struct stats_req), stats_fields, stats_traffic,
	"Traffic summed by hour or day (a user: its own)", NULL,
};

static int count_row(int64_t start, uint64_t n, void *data)
{
	struct json *j = data;

	json_obj_begin(j, NULL);
	json_i64(j, "start", start);
	json_u64(j, "sessions", n);
	json_end(j);
	return 0;
}

struct top_ctx {
	struct server *s;
	struct json *j;
};

static int top_row(const struct db_top_row *r, void *data)
{
	struct top_ctx *t = data;
	const struct acct_user *u = account_user(&t->s->acct, r->user_id);

	json_obj_begin(t->j, NULL);
	json_str(t->j, "user", u ? u->name : "?");
	json_u64(t->j, "rx_bytes", r->rx);
	json_u64(t->j, "tx_bytes", r->tx);
	json_end(t->j);
	return 0;
}

static int stats_sessions(struct api_call *c)
{
	struct stats_req *q = c->req;
	struct top_ctx t = { c->s, c->reply };
	int64_t from, to;
	int r;

	q->step = 1;
	if (q->has_user)
		return api_fail(c, -EINVAL, "user: not for these statistics");
	if ((r = stats_window(c, q, &from, &to)) < 0)
		return r;
	json_obj_begin(c->reply, NULL);
	json_i64(c->reply, "from", from);
	json_i64(c->reply, "to", to);
	json_arr_begin(c->reply, "per_day");
	r = db_session_per_day(c->s->db, from, to, count_row, c->reply);
	json_end(c->reply);
	json_arr_begin(c->reply, "top_users");
	if (r == 0)
		r = db_traffic_top(c->s->db, from, to, 10, top_row, &t);
	json_end(c->reply);
	json_end(c->reply);
	if (r < 0) {
		json_reset(c->reply);
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	}
	return 0;
}

const struct api_op op_stats_sessions = {
	"stats.sessions", "GET", "/api/v1/stats/sessions", API_VIEWER, 0,
	sizeof(struct stats_req), stats_fields, stats_sessions,
	"Sessions per day and the users with the most traffic", NULL,
};

struct empty_req {
	bool unused;
};

static const struct api_field no_fields[] = { API_FIELD_END };

static int dashboard(struct api_call *c)
{
	struct server *s = c->s;
	uint64_t states[4] = { 0 }, online = 0, devices_online = 0;
	size_t i;
	int r = db_user_count_states(s->db, states);

	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(s->db));
	for (i = 0; i < s->acct.n_users; i++)
		online += account_user_online(&s->acct, s->acct.users[i].id);
	for (i = 0; i < s->acct.n_devs; i++)
		devices_online += s->acct.devs[i].session_id != 0;
	json_obj_begin(c->reply, NULL);
	json_u64(c->reply, "users", states[0] + states[1] + states[2] + states[3]);
	json_u64(c->reply, "enabled", states[DB_ENABLED]);
	json_u64(c->reply, "expired", states[DB_DISABLED_EXPIRED]);
	json_u64(c->reply, "over_quota", states[DB_DISABLED_QUOTA]);
	json_u64(c->reply, "disabled", states[DB_DISABLED_ADMIN]);
	json_u64(c->reply, "online", online);
	json_u64(c->reply, "devices", s->acct.n_devs);
	json_u64(c->reply, "devices_online", devices_online);
	json_end(c->reply);
	return 0;
}

const struct api_op op_dashboard = {
	"dashboard", "GET", "/api/v1/dashboard", API_VIEWER, 0,
	sizeof(struct empty_req), no_fields, dashboard,
	"Counts for the dashboard: users by state, online", NULL,
};
