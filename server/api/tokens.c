/* API tokens: bearer credentials for scripts, each with a role (admin or viewer), shown
 * once when made and kept only as a hash. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "ops.h"
#include "../server.h"
#include "../token.h"
#include "../../common/json.h"
#include "../../common/log.h"

struct token_req {
	char name[DB_NAME_MAX + 1];
	bool has_name;
	int role;
	bool has_role;
};

static const struct api_field token_add_fields[] = {
	API_FIELD_L(struct token_req, name, API_NAME, API_REQUIRED, "token name"),
	API_FIELD_ENUM(struct token_req, role, api_role_names, 0),
	API_FIELD_END,
};

static const struct api_field token_name_fields[] = {
	API_FIELD_L(struct token_req, name, API_NAME, API_REQUIRED | API_PATH, "token name"),
	API_FIELD_END,
};

static const struct api_field no_fields[] = { API_FIELD_END };

static void token_json(const struct db_token *t, struct json *j, const char *key)
{
	json_obj_begin(j, key);
	json_str(j, "name", t->name);
	json_str(j, "role", api_role_names[t->role]);
	json_i64(j, "created", t->created);
	if (t->last_used)
		json_i64(j, "last_used", t->last_used);
	else
		json_null(j, "last_used");
	json_end(j);
}

static int token_add(struct api_call *c)
{
	struct token_req *q = c->req;
	char tok[TOKEN_LEN + 1];
	uint8_t th[TOKEN_HASH_LEN];
	int r;

	snprintf(c->target, sizeof(c->target), "%s", q->name);
	token_new(tok);
	token_hash(tok, th);
	r = db_token_add(c->s->db, q->name, (enum db_role)q->role, th);
	sodium_memzero(th, sizeof(th));
	if (r == -EEXIST)
		api_fail(c, r, "token \"%s\" exists already", q->name);
	else if (r < 0)
		api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	if (r == 0) {
		json_obj_begin(c->reply, NULL);
		json_str(c->reply, "name", q->name);
		json_str(c->reply, "role", api_role_names[q->role]);
		json_str(c->reply, "token", tok);
		json_end(c->reply);
		c->status = 201;
		log_info("API token %s (%s) added", q->name, api_role_names[q->role]);
	}
	sodium_memzero(tok, sizeof(tok));
	return r;
}

const struct api_op op_token_add = {
	"token.add", "POST", "/api/v1/tokens", API_ADMIN, API_CHANGES,
	sizeof(struct token_req), token_add_fields, token_add,
	"Make an API token (shown once) with a role", NULL,
};

static int list_row(const struct db_token *t, void *data)
{
	token_json(t, data, NULL);
	return 0;
}

static int token_list(struct api_call *c)
{
	int r;

	json_obj_begin(c->reply, NULL);
	json_arr_begin(c->reply, "tokens");
	r = db_token_list(c->s->db, list_row, c->reply);
	json_end(c->reply);
	json_null(c->reply, "next");
	json_end(c->reply);
	if (r < 0) {
		json_reset(c->reply);
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	}
	return 0;
}

const struct api_op op_token_list = {
	"token.list", "GET", "/api/v1/tokens", API_VIEWER, 0,
	sizeof(struct token_req), no_fields, token_list,
	"The API tokens (never the tokens themselves)", NULL,
};

static int token_delete(struct api_call *c)
{
	struct token_req *q = c->req;
	int r = db_token_delete(c->s->db, q->name);

	snprintf(c->target, sizeof(c->target), "%s", q->name);
	if (r == -ENOENT)
		return api_fail(c, r, "no token \"%s\"", q->name);
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	c->status = 204;
	log_info("API token %s deleted", q->name);
	return 0;
}

const struct api_op op_token_delete = {
	"token.delete", "DELETE", "/api/v1/tokens/{name}", API_ADMIN, API_CHANGES,
	sizeof(struct token_req), token_name_fields, token_delete,
	"Delete an API token: it stops working at once", NULL,
};
