/* The audit log: who changed what, when, from where, and what the server answered. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"
#include "../server.h"
#include "../../common/json.h"

struct audit_req {
	char actor[DB_NAME_MAX + 16];
	bool has_actor;
	char q[128];
	bool has_q;
	int64_t since;
	bool has_since;
	int64_t until;
	bool has_until;
	uint64_t limit;
	bool has_limit;
	char cursor[DB_CURSOR_MAX + 1];
	bool has_cursor;
};

static const struct api_field audit_fields[] = {
	API_FIELD(struct audit_req, actor, API_STR, 0),
	API_FIELD(struct audit_req, q, API_STR, 0),
	API_FIELD(struct audit_req, since, API_DATE, 0),
	API_FIELD(struct audit_req, until, API_DATE, 0),
	API_FIELD_U64(struct audit_req, limit, 1, DB_PAGE_MAX, 0),
	API_FIELD(struct audit_req, cursor, API_CURSOR, 0),
	API_FIELD_END,
};

static int audit_row(const struct db_audit *a, void *data)
{
	struct json *j = data;

	json_obj_begin(j, NULL);
	json_i64(j, "id", a->id);
	json_i64(j, "at", a->at);
	json_str(j, "actor", a->actor);
	json_str(j, "source", a->source);
	json_str(j, "op", a->op);
	json_str(j, "target", a->target);
	json_u64(j, "status", (uint64_t)a->status);
	/* The detail is JSON the server wrote: copied as it is. */
	json_value_raw(j, "detail", a->detail[0] ? a->detail : "{}",
		       a->detail[0] ? strlen(a->detail) : 2);
	json_end(j);
	return 0;
}

static int audit_list(struct api_call *c)
{
	struct audit_req *q = c->req;
	struct db_audit_query dq = { 0 };
	char next[DB_CURSOR_MAX + 1] = "";
	uint64_t total = 0;
	int r;

	dq.actor = q->has_actor ? q->actor : NULL;
	dq.q = q->q;
	dq.since = q->since;
	dq.until = q->until;
	dq.limit = q->has_limit ? q->limit : 50;
	dq.cursor = q->cursor;
	json_obj_begin(c->reply, NULL);
	json_arr_begin(c->reply, "audit");
	r = db_audit_query(c->s->db, &dq, audit_row, c->reply, &total, next);
	return api_page_end(c, r, &total, next);
}

const struct api_op op_audit_list = {
	"audit.list", "GET", "/api/v1/audit", API_VIEWER, 0,
	sizeof(struct audit_req), audit_fields, audit_list,
	"Who changed what, newest first", NULL,
};
