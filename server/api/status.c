/* Live status from memory: per device its user, endpoint, addresses, handshake, bytes and
 * rates, paged for the console, and the users of the control socket's status document. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ops.h"
#include "../engine.h"
#include "../server.h"
#include "../../common/json.h"
#include "../../common/util.h"

static void put_addrs(struct json *j, const struct acct_device *d)
{
	char buf[CIDR_STRLEN];
	size_t k;

	for (k = 0; k < d->n_addrs; k++)
		json_str(j, NULL, cidr_fmt(&d->addrs[k], buf));
}

static void device_status(struct server *s, const struct acct_device *d, struct json *j,
			  bool with_user)
{
	const struct acct_user *u = account_user(&s->acct, d->user_id);

	json_obj_begin(j, NULL);
	if (with_user)
		json_str(j, "user", u ? u->name : "?");
	json_str(j, "device", d->name);
	json_str(j, "kind", api_kind_names[d->kind]);
	json_str(j, "state", u ? api_state_names[u->disabled] : "?");
	json_arr_begin(j, "addresses");
	put_addrs(j, d);
	json_end(j);
	json_u64(j, "rx_bytes", d->rx_total);
	json_u64(j, "tx_bytes", d->tx_total);
	account_device_json(d, j);
	engine_device_json(s, d, j);
	json_end(j);
}

void api_status_row(struct server *s, const struct acct_device *d, struct json *j)
{
	device_status(s, d, j, true);
}

void api_status_users(struct server *s, struct json *j)
{
	struct acct_device *d;
	size_t i, k;

	json_arr_begin(j, "users");
	for (i = 0; i < s->acct.n_users; i++) {
		const struct acct_user *u = &s->acct.users[i];
		const struct acct_device *best = NULL;
		uint64_t rx_rate = 0, tx_rate = 0;

		json_obj_begin(j, NULL);
		json_str(j, "name", u->name);
		json_str(j, "state", api_state_names[u->disabled]);
		json_arr_begin(j, "addresses");
		k = 0;
		while ((d = account_user_devices(&s->acct, u->id, &k))) {
			put_addrs(j, d);
			rx_rate += d->rx_rate;
			tx_rate += d->tx_rate;
			if (!best || d->handshake > best->handshake)
				best = d;
		}
		json_end(j);
		json_u64(j, "rx_bytes", u->rx_total);
		json_u64(j, "tx_bytes", u->tx_total);
		/* The user's line: online when a device is, where the one seen last is. */
		json_bool(j, "online", account_user_online(&s->acct, u->id));
		json_str(j, "endpoint", best && best->endpoint[0] ? best->endpoint : NULL);
		if (best && best->handshake)
			json_i64(j, "latest_handshake", best->handshake);
		else
			json_null(j, "latest_handshake");
		json_u64(j, "rx_rate", rx_rate);
		json_u64(j, "tx_rate", tx_rate);
		if (u->quota_bytes)
			json_u64(j, "quota_used", account_quota_used(u));
		else
			json_null(j, "quota_used");
		json_arr_begin(j, "devices");
		k = 0;
		while ((d = account_user_devices(&s->acct, u->id, &k)))
			device_status(s, d, j, false);
		json_end(j);
		json_end(j);
	}
	json_end(j);
}

/* ---- GET /api/v1/status ---- */

struct status_req {
	bool online;
	bool has_online;
	char q[128];
	bool has_q;
	uint64_t limit;
	bool has_limit;
	char cursor[DB_CURSOR_MAX + 1];
	bool has_cursor;
};

static const struct api_field status_fields[] = {
	API_FIELD(struct status_req, online, API_BOOL, 0),
	API_FIELD(struct status_req, q, API_STR, 0),
	API_FIELD_U64(struct status_req, limit, 1, DB_PAGE_MAX, 0),
	API_FIELD(struct status_req, cursor, API_CURSOR, 0),
	API_FIELD_END,
};

static bool matches(struct server *s, const struct acct_device *d, const struct status_req *q)
{
	const struct acct_user *u;
	char buf[CIDR_STRLEN];
	size_t k;

	if (q->online && !d->session_id)
		return false;
	if (!q->q[0])
		return true;
	u = account_user(&s->acct, d->user_id);
	if ((u && strcasestr(u->name, q->q)) || strcasestr(d->name, q->q) ||
	    strcasestr(d->endpoint, q->q))
		return true;
	for (k = 0; k < d->n_addrs; k++)
		if (strstr(cidr_fmt(&d->addrs[k], buf), q->q))
			return true;
	return false;
}

static int status(struct api_call *c)
{
	struct status_req *q = c->req;
	struct server *s = c->s;
	size_t limit = q->has_limit ? q->limit : 50, n = 0, i;
	int64_t after = 0, last = 0;
	uint64_t total = 0;
	char *end;

	/* The cursor is the last device id of the page before: devices are in id order. */
	if (q->cursor[0]) {
		after = strtoll(q->cursor, &end, 10);
		if (*end || after <= 0)
			return api_fail(c, -EINVAL, "cursor: not one this server gave");
	}
	json_obj_begin(c->reply, NULL);
	json_arr_begin(c->reply, "devices");
	for (i = 0; i < s->acct.n_devs; i++) {
		const struct acct_device *d = &s->acct.devs[i];

		if (!matches(s, d, q))
			continue;
		total++;
		if (d->id <= after || n == limit)
			continue;
		device_status(s, d, c->reply, true);
		last = d->id;
		n++;
	}
	json_end(c->reply);
	json_u64(c->reply, "total", total);
	/* More when a matching device follows the page. */
	{
		bool more = false;

		for (i = 0; n == limit && i < s->acct.n_devs && !more; i++)
			more = s->acct.devs[i].id > last && matches(s, &s->acct.devs[i], q);
		if (more)
			json_strf(c->reply, "next", "%" PRId64, last);
		else
			json_null(c->reply, "next");
	}
	json_u64(c->reply, "changes", s->acct.changes);
	json_end(c->reply);
	return 0;
}

const struct api_op op_status = {
	"status", "GET", "/api/v1/status", API_VIEWER, 0,
	sizeof(struct status_req), status_fields, status,
	"Live status per device, paged (?online=1 for those with a session)", NULL,
};
