/* Users in bulk: disable, enable or delete many at once, and CSV export and import. Each
 * row goes through the same operation, parser and checks as one user would. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops.h"
#include "../server.h"
#include "../values.h"
#include "../../common/json.h"
#include "../../common/log.h"
#include "../../common/util.h"

#define BULK_MAX 500
#define CSV_MAX (60u << 10)            /* under the portal's 64 KiB body: a client splits */

/* A sub-call of one operation for one row, with its own answer. */
static int run_one(struct api_call *c, const struct api_op *op, const char *request,
		   char *why, size_t whylen)
{
	struct json_value *in = NULL;
	struct json reply = { 0 };
	struct api_call sub = { 0 };
	void *req = xcalloc(1, op->req_size);
	int r = json_parse(request, strlen(request), &in, NULL, NULL);

	if (r == 0)
		r = api_parse(op, in, req, why, whylen);
	else
		snprintf(why, whylen, "not JSON");
	json_value_free(in);
	if (r == 0) {
		sub.s = c->s;
		sub.op = op;
		sub.who = c->who;
		sub.req = req;
		sub.reply = &reply;
		r = op->fn(&sub);
		if (r < 0)
			snprintf(why, whylen, "%s", sub.error[0] ? sub.error : strerror(-r));
	}
	api_req_clear(op, req);
	free(req);
	json_clear(&reply);
	return r;
}

/* ---- bulk ---- */

static const char *const action_names[] = { "disable", "enable", "delete", NULL };

struct bulk_req {
	int action;
	bool has_action;
	struct api_list names;
	bool has_names;
};

static const struct api_field bulk_fields[] = {
	API_FIELD_ENUM(struct bulk_req, action, action_names, API_REQUIRED),
	API_FIELD_LIST(struct bulk_req, names, DB_NAME_MAX + 1, BULK_MAX, API_REQUIRED),
	API_FIELD_END,
};

static int bulk(struct api_call *c)
{
	static const struct api_op *const ops[] = { &op_user_disable, &op_user_enable, &op_user_delete };
	struct bulk_req *q = c->req;
	struct json failed = { 0 };
	uint64_t done = 0, bad = 0;
	char why[256], *request;
	size_t i;

	snprintf(c->target, sizeof(c->target), "%zu users", q->names.n);
	json_obj_begin(c->reply, NULL);
	json_arr_begin(c->reply, "done");
	json_arr_begin(&failed, NULL);
	for (i = 0; i < q->names.n; i++) {
		struct json r = { 0 };

		json_obj_begin(&r, NULL);
		json_str(&r, "user", q->names.v[i]);
		json_end(&r);
		request = json_steal(&r, NULL);
		if (run_one(c, ops[q->action], request, why, sizeof(why)) == 0) {
			json_str(c->reply, NULL, q->names.v[i]);
			done++;
		} else {
			json_obj_begin(&failed, NULL);
			json_str(&failed, "name", q->names.v[i]);
			json_str(&failed, "error", why);
			json_end(&failed);
			bad++;
		}
		free(request);
	}
	json_end(c->reply);
	json_end(&failed);
	json_value_raw(c->reply, "failed", json_text(&failed), json_len(&failed));
	json_end(c->reply);
	json_clear(&failed);
	log_info("users %s in bulk: %" PRIu64 " done, %" PRIu64 " failed",
		 action_names[q->action], done, bad);
	return 0;
}

const struct api_op op_user_bulk = {
	"user.bulk", "POST", "/api/v1/users/bulk", API_ADMIN, API_CHANGES,
	sizeof(struct bulk_req), bulk_fields, bulk,
	"Disable, enable or delete up to 500 users at once", NULL,
};

/* ---- CSV ---- */

static void csv_field(struct json *out, const char *s, bool last)
{
	if (strpbrk(s, ",\"\r\n") || (*s && (s[0] == ' ' || s[strlen(s) - 1] == ' '))) {
		json_raw(out, "\"", 1);
		for (; *s; s++) {
			if (*s == '"')
				json_raw(out, "\"", 1);
			json_raw(out, s, 1);
		}
		json_raw(out, "\"", 1);
	} else {
		json_raw(out, s, strlen(s));
	}
	json_raw(out, last ? "\r\n" : ",", last ? 2 : 1);
}

/* An expiry in the DATE syntax the import takes back: a bare date for the end of a day. */
static void expiry_text(int64_t at, char *buf, size_t size)
{
	time_t t = (time_t)at;
	struct tm tm;

	buf[0] = '\0';
	if (!at || !localtime_r(&t, &tm))
		return;
	if (tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0) {
		t--;
		localtime_r(&t, &tm);
		strftime(buf, size, "%Y-%m-%d", &tm);
	} else {
		strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	}
}

/* A quota in the SIZE syntax: the largest unit it is a whole number of. */
static void quota_text(const struct db_user *u, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	uint64_t v = u->quota_bytes;
	size_t i = 0;

	buf[0] = '\0';
	if (!v)
		return;
	while (i + 1 < ARRAY_SIZE(units) && v % 1024 == 0) {
		v /= 1024;
		i++;
	}
	snprintf(buf, size, "%" PRIu64 "%s%s", v, units[i],
		 u->quota_period == DB_QUOTA_MONTH ? "/month" : "");
}

struct export_ctx {
	struct server *s;
	struct json *out;
};

static int export_row(const struct db_user *u, void *data)
{
	struct export_ctx *x = data;
	char exp[40], quota[40], group[DB_NAME_MAX + 1], num[24], addrs[256] = "", buf[CIDR_STRLEN];
	const struct acct_device *d;
	size_t i = 0, k;

	expiry_text(u->expires, exp, sizeof(exp));
	quota_text(u, quota, sizeof(quota));
	api_group_name(x->s, u->group_id, group);
	while ((d = account_user_devices(&x->s->acct, u->id, &i)))
		for (k = 0; k < d->n_addrs; k++)
			snprintf(addrs + strlen(addrs), sizeof(addrs) - strlen(addrs), "%s%s",
				 addrs[0] ? " " : "", cidr_fmt(&d->addrs[k], buf));
	csv_field(x->out, u->name, false);
	csv_field(x->out, api_state_names[u->disabled], false);
	csv_field(x->out, group, false);
	csv_field(x->out, u->email, false);
	csv_field(x->out, exp, false);
	csv_field(x->out, quota, false);
	snprintf(num, sizeof(num), "%" PRId64, u->created);
	csv_field(x->out, num, false);
	snprintf(num, sizeof(num), "%" PRIu64, u->rx_total);
	csv_field(x->out, num, false);
	snprintf(num, sizeof(num), "%" PRIu64, u->tx_total);
	csv_field(x->out, num, false);
	csv_field(x->out, addrs, true);
	return 0;
}

static const char *const export_header[] = {
	"name", "state", "group", "email", "expires", "quota", "created", "rx_bytes",
	"tx_bytes", "addresses", NULL,
};

struct empty_req {
	bool unused;
};

static const struct api_field no_fields[] = { API_FIELD_END };

static int export_users(struct api_call *c)
{
	struct export_ctx x = { c->s, c->reply };
	size_t i;
	int r;

	for (i = 0; export_header[i]; i++)
		csv_field(c->reply, export_header[i], !export_header[i + 1]);
	r = db_user_list(c->s->db, export_row, &x);
	if (r < 0) {
		json_reset(c->reply);
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	}
	c->content_type = "text/csv; charset=utf-8";
	snprintf(c->filename, sizeof(c->filename), "users.csv");
	return 0;
}

const struct api_op op_user_export = {
	"user.export", "GET", "/api/v1/users/export", API_VIEWER, 0,
	sizeof(struct empty_req), no_fields, export_users,
	"Every user as CSV", NULL,
};

/* One CSV record from *p (RFC 4180: quotes, doubled quotes, CRLF or LF): fields into v
 * (at most max), *p past it. -1 for a malformed record, else the number of fields. */
static int csv_record(const char **p, char **v, int max, char *buf, size_t size)
{
	const char *s = *p;
	size_t o = 0;
	int n = 0;

	if (!*s)
		return 0;
	for (;;) {
		bool quoted = *s == '"';

		if (n == max)
			return -1;
		v[n++] = buf + o;
		if (quoted) {
			s++;
			for (;;) {
				if (!*s)
					return -1;
				if (*s == '"' && s[1] == '"') {
					s += 2;
					if (o + 1 >= size)
						return -1;
					buf[o++] = '"';
					continue;
				}
				if (*s == '"') {
					s++;
					break;
				}
				if (o + 1 >= size)
					return -1;
				buf[o++] = *s++;
			}
		} else {
			while (*s && *s != ',' && *s != '\n' && *s != '\r') {
				if (*s == '"' || o + 1 >= size)
					return -1;
				buf[o++] = *s++;
			}
		}
		buf[o++] = '\0';
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s == '\r')
			s++;
		if (*s == '\n')
			s++;
		else if (*s)
			return -1;
		*p = s;
		return n;
	}
}

struct import_req {
	char *csv;
	bool has_csv;
	bool dry_run;
	bool has_dry_run;
};

static const struct api_field import_fields[] = {
	API_FIELD_TEXT(struct import_req, csv, CSV_MAX, API_REQUIRED),
	API_FIELD(struct import_req, dry_run, API_BOOL, 0),
	API_FIELD_END,
};

/* The import's columns: those of user.add, and the export's others, which it ignores. */
static const char *const import_cols[] = { "name", "expires", "quota", "group", "email", NULL };
static const char *const ignored_cols[] = { "state", "created", "rx_bytes", "tx_bytes",
					    "addresses", NULL };

static int column(const char *name, const char *const *list)
{
	int i;

	for (i = 0; list[i]; i++)
		if (strcmp(list[i], name) == 0)
			return i;
	return -1;
}

static int import_users(struct api_call *c)
{
	struct import_req *q = c->req;
	const char *p = q->csv;
	char *head[16], *row[16], hbuf[512], rbuf[2048], why[256];
	int map[16], nh, n, i, line = 1;
	struct json failed = { 0 };
	uint64_t added = 0, bad = 0;
	bool have_name = false;

	nh = csv_record(&p, head, 16, hbuf, sizeof(hbuf));
	if (nh <= 0)
		return api_fail(c, -EINVAL, "csv: line 1: expected a header such as name,expires,quota,group,email");
	for (i = 0; i < nh; i++) {
		map[i] = column(head[i], import_cols);
		if (map[i] < 0 && column(head[i], ignored_cols) < 0)
			return api_fail(c, -EINVAL, "csv: line 1: column \"%.32s\": not one of name, "
					"expires, quota, group, email", head[i]);
		have_name |= map[i] == 0;
	}
	if (!have_name)
		return api_fail(c, -EINVAL, "csv: line 1: a name column is needed");
	json_obj_begin(c->reply, NULL);
	json_arr_begin(&failed, NULL);
	while (*p) {
		struct json r = { 0 };
		char *request;
		int rc;

		line++;
		n = csv_record(&p, row, 16, rbuf, sizeof(rbuf));
		if (n == 1 && !row[0][0])
			continue;   /* an empty line */
		if (n != nh) {
			json_obj_begin(&failed, NULL);
			json_u64(&failed, "line", (uint64_t)line);
			json_str(&failed, "error", n < 0 ? "malformed CSV" : "a different number of columns than the header");
			json_end(&failed);
			bad++;
			if (n < 0)
				break;
			continue;
		}
		json_obj_begin(&r, NULL);
		for (i = 0; i < n; i++)
			if (map[i] >= 0 && row[i][0])
				json_str(&r, import_cols[map[i]], row[i]);
		json_end(&r);
		request = json_steal(&r, NULL);
		if (q->dry_run) {
			struct json_value *in = NULL;
			void *req = xcalloc(1, op_user_add.req_size);

			json_parse(request, strlen(request), &in, NULL, NULL);
			rc = api_parse(&op_user_add, in, req, why, sizeof(why));
			if (rc == 0) {
				api_req_clear(&op_user_add, req);
				if (db_user_get_by_name(c->s->db, row[0], &(struct db_user){ 0 }) == 0) {
					snprintf(why, sizeof(why), "user \"%s\" exists already", row[0]);
					rc = -EEXIST;
				}
			}
			json_value_free(in);
			free(req);
		} else {
			rc = run_one(c, &op_user_add, request, why, sizeof(why));
		}
		free(request);
		if (rc == 0) {
			added++;
		} else {
			json_obj_begin(&failed, NULL);
			json_u64(&failed, "line", (uint64_t)line);
			json_str(&failed, "error", why);
			json_end(&failed);
			bad++;
		}
	}
	json_end(&failed);
	json_u64(c->reply, q->dry_run ? "valid" : "added", added);
	json_value_raw(c->reply, "failed", json_text(&failed), json_len(&failed));
	json_end(c->reply);
	json_clear(&failed);
	snprintf(c->target, sizeof(c->target), "%" PRIu64 " users", added);
	c->no_audit = q->dry_run;
	if (!q->dry_run)
		log_info("users imported: %" PRIu64 " added, %" PRIu64 " refused", added, bad);
	return 0;
}

const struct api_op op_user_import = {
	"user.import", "POST", "/api/v1/users/import", API_ADMIN, API_CHANGES,
	sizeof(struct import_req), import_fields, import_users,
	"Add users from CSV (name, expires, quota, group, email), each checked as user.add", NULL,
};
