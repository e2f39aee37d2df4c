/* Runtime settings over the API: what each is and where it comes from, and changing them
 * (null goes back to the file's value). A change of the endpoint, client DNS, allowed IPs,
 * keepalive or MTU reaches every client configuration and every agent's profile. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "../server.h"
#include "../settings.h"
#include "../../common/json.h"
#include "../../common/log.h"

struct settings_req {
	char *endpoint;
	bool has_endpoint;
	char *dns;
	bool has_dns;
	char *client_allowed_ips;
	bool has_client_allowed_ips;
	char *client_keepalive;
	bool has_client_keepalive;
	char *mtu;
	bool has_mtu;
	char *snat;
	bool has_snat;
	char *session_idle_s;
	bool has_session_idle_s;
	char *session_retention_days;
	bool has_session_retention_days;
	char *max_devices;
	bool has_max_devices;
};

static const struct api_field settings_fields[] = {
	API_FIELD_ANY(struct settings_req, endpoint, API_NULL),
	API_FIELD_ANY(struct settings_req, dns, API_NULL),
	API_FIELD_ANY(struct settings_req, client_allowed_ips, API_NULL),
	API_FIELD_ANY(struct settings_req, client_keepalive, API_NULL),
	API_FIELD_ANY(struct settings_req, mtu, API_NULL),
	API_FIELD_ANY(struct settings_req, snat, API_NULL),
	API_FIELD_ANY(struct settings_req, session_idle_s, API_NULL),
	API_FIELD_ANY(struct settings_req, session_retention_days, API_NULL),
	API_FIELD_ANY(struct settings_req, max_devices, API_NULL),
	API_FIELD_END,
};

static const struct api_field no_fields[] = { API_FIELD_END };

/* The request's values in the table's order: text (NULL when not given). */
static const char *value_of(const struct settings_req *q, size_t i)
{
	const char *const v[] = { q->endpoint, q->dns, q->client_allowed_ips, q->client_keepalive,
				  q->mtu, q->snat, q->session_idle_s, q->session_retention_days,
				  q->max_devices };

	return i < sizeof(v) / sizeof(v[0]) ? v[i] : NULL;
}

static int each(const struct settings_req *q, int (*fn)(const char *key, const struct json_value *v,
							 void *data, char *why, size_t whylen),
		void *data, char *why, size_t whylen)
{
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && settings_key(i); i++) {
		const char *text = value_of(q, i);
		struct json_value *v = NULL;

		if (!text)
			continue;
		if (json_parse(text, strlen(text), &v, NULL, NULL) < 0)
			return -EINVAL;
		r = fn(settings_key(i), v, data, why, whylen);
		json_value_free(v);
	}
	return r;
}

static int check_one(const char *key, const struct json_value *v, void *data, char *why,
		     size_t whylen)
{
	(void)data;
	return settings_check(key, v, why, whylen);
}

static int settings_set_check(const void *req, char *why, size_t whylen)
{
	const struct settings_req *q = req;
	size_t i, n = 0;

	for (i = 0; settings_key(i); i++)
		n += value_of(q, i) != NULL;
	if (!n) {
		snprintf(why, whylen, "nothing to change");
		return -EINVAL;
	}
	return each(q, check_one, NULL, why, whylen);
}

static int show(struct api_call *c)
{
	int r = settings_json(c->s, c->reply);

	return r < 0 ? api_fail(c, r, "database: %s", db_errmsg(c->s->db)) : 0;
}

const struct api_op op_settings_show = {
	"settings.show", "GET", "/api/v1/settings", API_VIEWER, 0,
	sizeof(struct settings_req), no_fields, show,
	"Every runtime setting, its value, the file's and where the value comes from", NULL,
};

struct change_ctx {
	struct api_call *c;
	char by[80];
};

static int change_one(const char *key, const struct json_value *v, void *data, char *why,
		      size_t whylen)
{
	struct change_ctx *x = data;
	int r = settings_change(x->c->s, key, v, x->by, why, whylen);

	if (r == 0)
		log_info("settings: %s set by %s", key, x->by);
	return r;
}

static int set(struct api_call *c)
{
	struct change_ctx x = { c, "" };
	char why[256];
	int r;

	snprintf(x.by, sizeof(x.by), "%s%s%s", c->who.kind == API_CALLER_SOCKET ? "socket" :
		 c->who.kind == API_CALLER_TOKEN ? "token:" : "admin:", c->who.name,
		 c->who.kind == API_CALLER_SOCKET ? "" : "");
	snprintf(c->target, sizeof(c->target), "settings");
	r = each(c->req, change_one, &x, why, sizeof(why));
	/* What did change applies, also when a later one failed. */
	server_settings_changed(c->s);
	if (r < 0)
		return api_fail(c, r, "%s", why);
	return show(c);
}

const struct api_op op_settings_set = {
	"settings.set", "PATCH", "/api/v1/settings", API_ADMIN, API_CHANGES,
	sizeof(struct settings_req), settings_fields, set,
	"Change runtime settings; null puts one back to the file's value", settings_set_check,
};
