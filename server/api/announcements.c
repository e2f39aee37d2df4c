/* Announcements (DESIGN 9, 10): admins write them for everyone or one group, with an
 * optional end and a pin; each user reads its feed (its group's and everyone's, pinned
 * first, then newest) and marks what it read. A change is told to the event streams of
 * those it concerns, so a portal's unread count follows without polling. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ops.h"
#include "../server.h"
#include "../../common/json.h"
#include "../../common/log.h"

#define TITLE_CHARS 200
#define TEXT_CHARS 20000

void api_feed_of(const struct db_user *u, struct db_feed *f)
{
	memset(f, 0, sizeof(*f));
	f->user_id = u->id;
	f->group_id = u->group_id ? u->group_id : DB_GROUP_DEFAULT;
	f->now = time(NULL);
	f->limit = DB_PAGE_MAX;
}

/* Only white space: as good as empty. */
static bool blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

static void announcement_json(struct server *s, const struct db_announcement *a,
			      struct json *j, const char *key)
{
	char group[DB_NAME_MAX + 1];

	json_obj_begin(j, key);
	json_i64(j, "id", a->id);
	json_str(j, "title", a->title);
	json_str(j, "text", a->text);
	if (a->group_id) {
		api_group_name(s, a->group_id, group);
		json_str(j, "group", group);
	} else {
		json_null(j, "group");
	}
	json_bool(j, "pinned", a->pinned);
	if (a->until)
		json_i64(j, "until", a->until);
	else
		json_null(j, "until");
	json_i64(j, "created", a->created);
	json_i64(j, "updated", a->updated);
	json_str(j, "author", a->author);
	json_u64(j, "reads", a->reads);
	json_end(j);
}

/* ---- the admins' list ---- */

static int list_row(const struct db_announcement *a, void *data)
{
	struct api_rows *l = data;

	announcement_json(l->s, a, l->j, NULL);
	return 0;
}

static int announce_list(struct api_call *c)
{
	struct api_page_req *q = c->req;
	struct db_announcement_query dq = { q->has_limit ? q->limit : 50, q->cursor };
	struct api_rows l = { c->s, c->reply };
	char next[DB_CURSOR_MAX + 1] = "";
	uint64_t total = 0;
	int r;

	json_obj_begin(c->reply, NULL);
	json_arr_begin(c->reply, "announcements");
	r = db_announcement_query(c->s->db, &dq, list_row, &l, &total, next);
	return api_page_end(c, r, &total, next);
}

const struct api_op op_announce_list = {
	"announcement.list", "GET", "/api/v1/announcements", API_VIEWER, 0,
	sizeof(struct api_page_req), api_page_fields, announce_list,
	"Every announcement, newest first, with how many users read each", NULL,
};

/* ---- add, set ---- */

struct ann_req {
	uint64_t id;
	bool has_id;
	char title[DB_TITLE_MAX + 1];
	bool has_title;
	char *text;
	bool has_text;
	char group[DB_NAME_MAX + 1];   /* "" given as null: everyone */
	bool has_group;
	bool pinned;
	bool has_pinned;
	int64_t until;                 /* 0 given as null: no end */
	bool has_until;
};

static const struct api_field add_fields[] = {
	API_FIELD_CHARS(struct ann_req, title, API_STR, 1, TITLE_CHARS, DB_TITLE_MAX + 1,
			API_REQUIRED),
	API_FIELD_CHARS(struct ann_req, text, API_TEXT, 1, TEXT_CHARS, DB_TEXT_MAX + 1,
			API_REQUIRED),
	API_FIELD_L(struct ann_req, group, API_NAME, API_NULL, "group"),
	API_FIELD(struct ann_req, pinned, API_BOOL, 0),
	API_FIELD(struct ann_req, until, API_DATE, API_NULL),
	API_FIELD_END,
};

static const struct api_field set_fields[] = {
	API_FIELD_U64(struct ann_req, id, 1, INT64_MAX, API_REQUIRED | API_PATH),
	API_FIELD_CHARS(struct ann_req, title, API_STR, 1, TITLE_CHARS, DB_TITLE_MAX + 1, 0),
	API_FIELD_CHARS(struct ann_req, text, API_TEXT, 1, TEXT_CHARS, DB_TEXT_MAX + 1, 0),
	API_FIELD_L(struct ann_req, group, API_NAME, API_NULL, "group"),
	API_FIELD(struct ann_req, pinned, API_BOOL, 0),
	API_FIELD(struct ann_req, until, API_DATE, API_NULL),
	API_FIELD_END,
};

static const struct api_field id_fields[] = {
	API_FIELD_U64(struct ann_req, id, 1, INT64_MAX, API_REQUIRED | API_PATH),
	API_FIELD_END,
};

static int ann_check(const void *req, char *why, size_t whylen)
{
	const struct ann_req *q = req;

	if (q->has_title && blank(q->title))
		snprintf(why, whylen, "title: empty");
	else if (q->has_text && blank(q->text))
		snprintf(why, whylen, "text: empty");
	else if (q->has_id && !q->has_title && !q->has_text && !q->has_group && !q->has_pinned &&
		 !q->has_until)
		snprintf(why, whylen, "nothing to change (title, text, group, pinned, until)");
	else
		return 0;
	return -EINVAL;
}

/* The group named in q (0: everyone), or -EINVAL naming the field. */
static int audience(struct api_call *c, const struct ann_req *q, int64_t *group_id)
{
	*group_id = 0;
	if (!q->has_group || !q->group[0])
		return 0;
	return api_group_id(c, q->group, group_id);
}

/* Tell the streams of those who see a (before and after a change: both audiences). */
static void tell(struct server *s, int64_t group_id)
{
	server_announced(s, group_id, 0);
}

static int answer(struct api_call *c, int64_t id)
{
	struct db_announcement a;
	int r = db_announcement_get(c->s->db, id, &a);

	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	announcement_json(c->s, &a, c->reply, NULL);
	db_announcement_clear(&a);
	return 0;
}

static int announce_add(struct api_call *c)
{
	struct ann_req *q = c->req;
	struct db_announcement a = { 0 };
	int64_t id;
	int r;

	r = audience(c, q, &a.group_id);
	if (r < 0)
		return r;
	snprintf(a.title, sizeof(a.title), "%s", q->title);
	a.text = q->text;
	a.pinned = q->pinned;
	a.until = q->until;
	api_caller_name(&c->who, a.author, sizeof(a.author));
	r = db_announcement_add(c->s->db, &a, &id);
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	snprintf(c->target, sizeof(c->target), "%" PRId64, id);
	log_info("announcement %" PRId64 " added for %s", id, a.group_id ? q->group : "everyone");
	tell(c->s, a.group_id);
	c->status = 201;
	return answer(c, id);
}

const struct api_op op_announce_add = {
	"announcement.add", "POST", "/api/v1/announcements", API_ADMIN, API_CHANGES,
	sizeof(struct ann_req), add_fields, announce_add,
	"Add an announcement for everyone or one group", ann_check,
};

static int find(struct api_call *c, const struct ann_req *q, struct db_announcement *a)
{
	int r = db_announcement_get(c->s->db, (int64_t)q->id, a);

	snprintf(c->target, sizeof(c->target), "%" PRIu64, q->id);
	if (r == -ENOENT)
		return api_fail(c, r, "no announcement %" PRIu64, q->id);
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	return 0;
}

static int announce_show(struct api_call *c)
{
	struct db_announcement a;
	int r = find(c, c->req, &a);

	if (r < 0)
		return r;
	announcement_json(c->s, &a, c->reply, NULL);
	db_announcement_clear(&a);
	return 0;
}

const struct api_op op_announce_show = {
	"announcement.show", "GET", "/api/v1/announcements/{id}", API_VIEWER, 0,
	sizeof(struct ann_req), id_fields, announce_show,
	"One announcement", NULL,
};

static int announce_set(struct api_call *c)
{
	struct ann_req *q = c->req;
	struct db_announcement a;
	int64_t before;
	char *stored;
	int r = find(c, q, &a);

	if (r < 0)
		return r;
	before = a.group_id;
	stored = a.text;
	if (q->has_group && (r = audience(c, q, &a.group_id)) < 0)
		goto out;
	if (q->has_title)
		snprintf(a.title, sizeof(a.title), "%s", q->title);
	if (q->has_text)
		a.text = q->text;
	if (q->has_pinned)
		a.pinned = q->pinned;
	if (q->has_until)
		a.until = q->until;
	a.updated = 0;
	r = db_announcement_update(c->s->db, &a);
	if (r < 0) {
		api_fail(c, r, "database: %s", db_errmsg(c->s->db));
		goto out;
	}
	tell(c->s, before);
	if (a.group_id != before)
		tell(c->s, a.group_id);
	r = answer(c, a.id);
out:
	a.text = stored;
	db_announcement_clear(&a);
	return r;
}

const struct api_op op_announce_set = {
	"announcement.set", "PATCH", "/api/v1/announcements/{id}", API_ADMIN, API_CHANGES,
	sizeof(struct ann_req), set_fields, announce_set,
	"Change an announcement's title, text, audience (group null: everyone), pin or end",
	ann_check,
};

static int announce_delete(struct api_call *c)
{
	struct db_announcement a;
	int r = find(c, c->req, &a);

	if (r < 0)
		return r;
	r = db_announcement_delete(c->s->db, a.id);
	if (r < 0) {
		db_announcement_clear(&a);
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	}
	log_info("announcement %" PRId64 " deleted", a.id);
	tell(c->s, a.group_id);
	db_announcement_clear(&a);
	c->status = 204;
	return 0;
}

const struct api_op op_announce_delete = {
	"announcement.delete", "DELETE", "/api/v1/announcements/{id}", API_ADMIN, API_CHANGES,
	sizeof(struct ann_req), id_fields, announce_delete,
	"Delete an announcement and its read marks", NULL,
};

/* ---- a user's feed ---- */

static const struct api_field no_fields[] = { API_FIELD_END };

int api_own_user(struct api_call *c, struct db_user *u)
{
	int r;

	if (c->who.kind != API_CALLER_USER)
		return api_fail(c, -EINVAL, "%s: a user's own, from its portal session", c->op->name);
	r = db_user_get(c->s->db, c->who.id, u);
	if (r < 0)
		return api_fail(c, r, "no such user");
	return 0;
}

static int feed_row(const struct db_announcement *a, void *data)
{
	struct json *j = data;

	json_obj_begin(j, NULL);
	json_i64(j, "id", a->id);
	json_str(j, "title", a->title);
	json_str(j, "text", a->text);
	json_bool(j, "pinned", a->pinned);
	json_i64(j, "created", a->created);
	if (a->until)
		json_i64(j, "until", a->until);
	else
		json_null(j, "until");
	json_bool(j, "read", a->read);
	json_end(j);
	return 0;
}

static int me_announcements(struct api_call *c)
{
	struct db_feed f;
	struct db_user u;
	uint64_t total = 0, unread = 0;
	int r = api_own_user(c, &u);

	if (r < 0)
		return r;
	api_feed_of(&u, &f);
	db_user_wipe(&u);
	json_obj_begin(c->reply, NULL);
	json_arr_begin(c->reply, "announcements");
	r = db_announcement_feed(c->s->db, &f, feed_row, c->reply, &total, &unread);
	if (r < 0) {
		json_reset(c->reply);
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	}
	json_end(c->reply);
	json_u64(c->reply, "total", total);
	json_u64(c->reply, "unread", unread);
	json_end(c->reply);
	return 0;
}

const struct api_op op_me_announcements = {
	"me.announcements", "GET", "/api/v1/me/announcements", API_USER, 0,
	sizeof(struct api_page_req), no_fields, me_announcements,
	"The caller's feed: its group's announcements and everyone's, pinned first, with read marks",
	NULL,
};

static int me_announcement_read(struct api_call *c)
{
	struct ann_req *q = c->req;
	struct db_feed f;
	struct db_user u;
	bool added = false;
	int r;

	snprintf(c->target, sizeof(c->target), "%" PRIu64, q->id);
	r = api_own_user(c, &u);
	if (r < 0)
		return r;
	api_feed_of(&u, &f);
	db_user_wipe(&u);
	r = db_announcement_read(c->s->db, &f, (int64_t)q->id, &added);
	if (r == -ENOENT)
		return api_fail(c, r, "no announcement %" PRIu64, q->id);
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	if (added)
		server_announced(c->s, 0, f.user_id);   /* the user's other tabs and devices */
	else
		c->no_audit = true;                      /* read before: nothing changed */
	c->status = 204;
	return 0;
}

const struct api_op op_me_announcement_read = {
	"me.announcement.read", "POST", "/api/v1/me/announcements/{id}/read", API_USER,
	API_CHANGES, sizeof(struct ann_req), id_fields, me_announcement_read,
	"Mark an announcement of the caller's feed read (again: no change)", NULL,
};
