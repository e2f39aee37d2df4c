/* Groups of users (DESIGN 11): every user belongs to one; "default" always exists. Each
 * carries an access policy whose fields it sets or inherits from the file's
 * server.policy (a field set to null goes back to inheriting). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "../engine.h"
#include "../grouppolicy.h"
#include "../server.h"
#include "../../common/json.h"
#include "../../common/log.h"

/* The policy fields come as any JSON (text here): null, a string, a list, a number;
 * group_policy_field_set says what each may be. */
struct grp_req {
	char name[DB_NAME_MAX + 1];
	bool has_name;
	char *destinations;
	bool has_destinations;
	char *schedule;
	bool has_schedule;
	char *sources;
	bool has_sources;
	char *rate;
	bool has_rate;
	char *isolate;
	bool has_isolate;
	char *portal_login;
	bool has_portal_login;
	char *idle;
	bool has_idle;
	char *max_maps;
	bool has_max_maps;
};

#define POLICY_FIELDS \
	API_FIELD_ANY(struct grp_req, destinations, API_NULL), \
	API_FIELD_ANY(struct grp_req, schedule, API_NULL), \
	API_FIELD_ANY(struct grp_req, sources, API_NULL), \
	API_FIELD_ANY(struct grp_req, rate, API_NULL), \
	API_FIELD_ANY(struct grp_req, isolate, API_NULL), \
	API_FIELD_ANY(struct grp_req, portal_login, API_NULL), \
	API_FIELD_ANY(struct grp_req, idle, API_NULL), \
	API_FIELD_ANY(struct grp_req, max_maps, API_NULL)

static const struct api_field group_add_fields[] = {
	API_FIELD_L(struct grp_req, name, API_NAME, API_REQUIRED, "group name"),
	POLICY_FIELDS,
	API_FIELD_END,
};

static const struct api_field group_set_fields[] = {
	API_FIELD_L(struct grp_req, name, API_NAME, API_REQUIRED | API_PATH, "group name"),
	POLICY_FIELDS,
	API_FIELD_END,
};

static const struct api_field group_name_fields[] = {
	API_FIELD_L(struct grp_req, name, API_NAME, API_REQUIRED | API_PATH, "group name"),
	API_FIELD_END,
};

static const struct api_field no_fields[] = { API_FIELD_END };

/* The request's policy values by enum gp_field: JSON text, NULL when not given. */
static const char *given(const struct grp_req *q, enum gp_field f)
{
	const char *const v[GP_COUNT] = { q->destinations, q->schedule, q->sources, q->rate,
					  q->isolate, q->portal_login, q->idle, q->max_maps };

	return v[f];
}

/* The given fields over p: 0, or -EINVAL with why naming the field (p half changed:
 * the caller's copy). *n counts the fields given. */
static int apply(const struct grp_req *q, struct db_group_policy *p, size_t *n, char *why,
		 size_t whylen)
{
	int f, r = 0;

	*n = 0;
	for (f = 0; r == 0 && f < GP_COUNT; f++) {
		const char *text = given(q, (enum gp_field)f);
		struct json_value *v = NULL;

		if (!text)
			continue;
		(*n)++;
		if (json_parse(text, strlen(text), &v, NULL, NULL) < 0) {
			snprintf(why, whylen, "%s: not JSON", gp_field_names[f]);
			return -EINVAL;
		}
		r = group_policy_field_set(p, (enum gp_field)f, v, why, whylen);
		json_value_free(v);
	}
	return r;
}

static int check_policy(const void *req, char *why, size_t whylen, bool need_one)
{
	struct db_group_policy *p = calloc(1, sizeof(*p));
	size_t n;
	int r;

	if (!p)
		abort();
	r = apply(req, p, &n, why, whylen);
	free(p);
	if (r == 0 && need_one && !n) {
		snprintf(why, whylen, "nothing to change (destinations, schedule, sources, rate, "
			 "isolate, portal_login, idle, max_maps)");
		r = -EINVAL;
	}
	return r;
}

static int group_add_check(const void *req, char *why, size_t whylen)
{
	return check_policy(req, why, whylen, false);
}

static int group_set_check(const void *req, char *why, size_t whylen)
{
	return check_policy(req, why, whylen, true);
}

static void group_json(struct server *s, const struct db_group *g, struct json *j,
		       const char *key)
{
	struct policy eff;
	char why[300];

	json_obj_begin(j, key);
	json_str(j, "name", g->name);
	json_i64(j, "created", g->created);
	if (g->users >= 0) {
		json_i64(j, "users", g->users);
	} else {
		/* One group read alone: its users counted from memory, not the database. */
		size_t i, n = 0;

		for (i = 0; i < s->acct.n_users; i++)
			n += s->acct.users[i].group_id == g->id;
		json_u64(j, "users", n);
	}
	policy_init(&eff);
	if (group_policy_resolve(s->c->server.policy, g, NULL, &eff, why, sizeof(why)) < 0) {
		/* not written by this server: shown as the file's until someone sets it */
		log_warn("group %s: %s", g->name, why);
		group_policy_resolve(s->c->server.policy, NULL, NULL, &eff, why, sizeof(why));
	}
	group_policy_json(&eff, g, j, "policy");
	policy_clear(&eff);
	/* The schedule as the engine keeps it: open now, and the next change. */
	json_obj_begin(j, "state");
	engine_group_json(s, g->id, j);
	json_end(j);
	json_end(j);
}

static int list_row(const struct db_group *g, void *data)
{
	struct api_rows *x = data;

	group_json(x->s, g, x->j, NULL);
	return 0;
}

static int group_list(struct api_call *c)
{
	struct api_rows x = { c->s, c->reply };
	int r;

	json_obj_begin(c->reply, NULL);
	json_arr_begin(c->reply, "groups");
	r = db_group_list(c->s->db, list_row, &x);
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
	"The groups, each with its policy", NULL,
};

/* The group named in the request: 0 with *g, or -ENOENT said. */
static int find(struct api_call *c, const char *name, struct db_group *g)
{
	int r = db_group_get_by_name(c->s->db, name, g);

	snprintf(c->target, sizeof(c->target), "%s", name);
	if (r == -ENOENT)
		return api_fail(c, r, "no group \"%s\"", name);
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	return 0;
}

static int group_add(struct api_call *c)
{
	struct grp_req *q = c->req;
	struct db_group *g = calloc(1, sizeof(*g));
	size_t n;
	int64_t id;
	int r;

	if (!g)
		abort();
	snprintf(c->target, sizeof(c->target), "%s", q->name);
	/* checked already by group_add_check: cannot fail here */
	r = apply(q, &g->policy, &n, c->error, sizeof(c->error));
	if (r < 0)
		goto out;
	r = db_begin(c->s->db);
	if (r == 0)
		r = db_group_add(c->s->db, q->name, &id);
	if (r == 0 && n)
		r = db_group_set(c->s->db, id, &g->policy);
	if (r == 0)
		r = db_commit(c->s->db);
	if (r < 0) {
		db_rollback(c->s->db);
		if (r == -EEXIST)
			api_fail(c, r, "group \"%s\" exists already", q->name);
		else
			api_fail(c, r, "database: %s", db_errmsg(c->s->db));
		goto out;
	}
	if ((r = db_group_get(c->s->db, id, g)) < 0) {
		api_fail(c, r, "database: %s", db_errmsg(c->s->db));
		goto out;
	}
	g->users = 0;    /* a new group */
	/* The kernel first, so the answer's state is the new schedule's. */
	server_policy_changed(c->s, id, 0);
	group_json(c->s, g, c->reply, NULL);
	c->status = 201;
	log_info("group %s added", q->name);
out:
	free(g);
	return r;
}

const struct api_op op_group_add = {
	"group.add", "POST", "/api/v1/groups", API_ADMIN, API_CHANGES,
	sizeof(struct grp_req), group_add_fields, group_add,
	"Add a group, with any of its policy's fields", group_add_check,
};

static int group_show(struct api_call *c)
{
	struct grp_req *q = c->req;
	struct db_group *g = calloc(1, sizeof(*g));
	int r;

	if (!g)
		abort();
	r = find(c, q->name, g);
	if (r == 0) {
		g->users = -1;
		group_json(c->s, g, c->reply, NULL);
	}
	free(g);
	return r;
}

const struct api_op op_group_show = {
	"group.show", "GET", "/api/v1/groups/{name}", API_VIEWER, 0,
	sizeof(struct grp_req), group_name_fields, group_show,
	"A group and its policy, each field with where it comes from", NULL,
};

static int group_set(struct api_call *c)
{
	struct grp_req *q = c->req;
	struct db_group *g = calloc(1, sizeof(*g));
	size_t n;
	int r;

	if (!g)
		abort();
	if ((r = find(c, q->name, g)) < 0)
		goto out;
	if ((r = apply(q, &g->policy, &n, c->error, sizeof(c->error))) < 0)
		goto out;
	if ((r = db_group_set(c->s->db, g->id, &g->policy)) < 0 ||
	    (r = db_group_get(c->s->db, g->id, g)) < 0) {
		api_fail(c, r, "database: %s", db_errmsg(c->s->db));
		goto out;
	}
	g->users = -1;
	server_policy_changed(c->s, g->id, 0);
	group_json(c->s, g, c->reply, NULL);
	log_info("group %s: policy changed", g->name);
out:
	free(g);
	return r;
}

const struct api_op op_group_set = {
	"group.set", "PATCH", "/api/v1/groups/{name}", API_ADMIN, API_CHANGES,
	sizeof(struct grp_req), group_set_fields, group_set,
	"Change a group's policy; a field set to null goes back to the file's", group_set_check,
};

static int group_delete(struct api_call *c)
{
	struct grp_req *q = c->req;
	struct db_group *g = calloc(1, sizeof(*g));
	int r;

	if (!g)
		abort();
	r = db_group_get_by_name(c->s->db, q->name, g);
	snprintf(c->target, sizeof(c->target), "%s", q->name);
	if (r == -ENOENT) {
		r = api_fail(c, r, "no group \"%s\"", q->name);
		goto out;
	}
	if (r == 0)
		r = db_group_delete(c->s->db, g->id);
	if (r == -EBUSY) {
		r = api_fail(c, -EPERM, g->id == DB_GROUP_DEFAULT ? "the default group stays" :
			     "group %s %s", q->name, db_errmsg(c->s->db));
		goto out;
	}
	if (r < 0) {
		r = api_fail(c, r, "database: %s", db_errmsg(c->s->db));
		goto out;
	}
	server_announced(c->s, g->id, 0);    /* its announcements went with it */
	c->status = 204;
out:
	free(g);
	return r;
}

const struct api_op op_group_delete = {
	"group.delete", "DELETE", "/api/v1/groups/{name}", API_ADMIN, API_CHANGES,
	sizeof(struct grp_req), group_name_fields, group_delete,
	"Delete a group without users (not the default one)", NULL,
};
