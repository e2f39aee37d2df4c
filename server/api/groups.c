/* Groups of users (DESIGN 11): every user belongs to one; "default" always exists. Issue
 * 14's access policy hangs off them; here they are names to file users under. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"
#include "../server.h"
#include "../../common/json.h"
#include "../../common/log.h"

struct grp_req {
	char name[DB_NAME_MAX + 1];
	bool has_name;
};

static const struct api_field group_add_fields[] = {
	API_FIELD_L(struct grp_req, name, API_NAME, API_REQUIRED, "group name"),
	API_FIELD_END,
};

static const struct api_field group_name_fields[] = {
	API_FIELD_L(struct grp_req, name, API_NAME, API_REQUIRED | API_PATH, "group name"),
	API_FIELD_END,
};

static const struct api_field no_fields[] = { API_FIELD_END };

static void group_json(const struct db_group *g, struct json *j, const char *key)
{
	json_obj_begin(j, key);
	json_str(j, "name", g->name);
	json_i64(j, "created", g->created);
	json_i64(j, "users", g->users);
	json_end(j);
}

static int list_row(const struct db_group *g, void *data)
{
	group_json(g, data, NULL);
	return 0;
}

static int group_list(struct api_call *c)
{
	int r;

	json_obj_begin(c->reply, NULL);
	json_arr_begin(c->reply, "groups");
	r = db_group_list(c->s->db, list_row, c->reply);
	json_end(c->reply);
	json_null(c->reply, "next");
	json_end(c->reply);
	if (r < 0) {
		json_reset(c->reply);
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	}
	return 0;
}

const struct api_op op_group_list = {
	"group.list", "GET", "/api/v1/groups", API_VIEWER, 0,
	sizeof(struct grp_req), no_fields, group_list,
	"The groups", NULL,
};

static int group_add(struct api_call *c)
{
	struct grp_req *q = c->req;
	struct db_group g;
	int64_t id;
	int r = db_group_add(c->s->db, q->name, &id);

	snprintf(c->target, sizeof(c->target), "%s", q->name);
	if (r == -EEXIST)
		return api_fail(c, r, "group \"%s\" exists already", q->name);
	if (r < 0 || (r = db_group_get(c->s->db, id, &g)) < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	g.users = 0;    /* a new group */
	group_json(&g, c->reply, NULL);
	c->status = 201;
	log_info("group %s added", q->name);
	return 0;
}

const struct api_op op_group_add = {
	"group.add", "POST", "/api/v1/groups", API_ADMIN, API_CHANGES,
	sizeof(struct grp_req), group_add_fields, group_add,
	"Add a group", NULL,
};

static int group_delete(struct api_call *c)
{
	struct grp_req *q = c->req;
	struct db_group g;
	int r = db_group_get_by_name(c->s->db, q->name, &g);

	snprintf(c->target, sizeof(c->target), "%s", q->name);
	if (r == -ENOENT)
		return api_fail(c, r, "no group \"%s\"", q->name);
	if (r == 0)
		r = db_group_delete(c->s->db, g.id);
	if (r == -EBUSY)
		return api_fail(c, -EPERM, g.id == DB_GROUP_DEFAULT ? "the default group stays" :
				"group %s %s", q->name, db_errmsg(c->s->db));
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	server_announced(c->s, g.id, 0);    /* its announcements went with it */
	c->status = 204;
	return 0;
}

const struct api_op op_group_delete = {
	"group.delete", "DELETE", "/api/v1/groups/{name}", API_ADMIN, API_CHANGES,
	sizeof(struct grp_req), group_name_fields, group_delete,
	"Delete a group without users (not the default one)", NULL,
};
