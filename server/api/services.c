/* The services catalog and a user's resources (DESIGN 9, 10): admins name services (an
 * address to type, HOST:PORT or a URL, with a description) for every group or some; a
 * user sees those of its group, and the destinations its tunnel may reach: its group's
 * effective policy, or the runtime setting client_allowed_ips where that names none. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ops.h"
#include "../engine.h"
#include "../grouppolicy.h"
#include "../server.h"
#include "../values.h"
#include "../../common/json.h"
#include "../../common/log.h"
#include "../../profiles/cidr.h"

static void service_json(struct server *s, const struct db_service *sv, struct json *j)
{
	char group[DB_NAME_MAX + 1];
	size_t i;

	json_obj_begin(j, NULL);
	json_str(j, "name", sv->name);
	json_str(j, "address", sv->address);
	json_str(j, "description", sv->description);
	json_arr_begin(j, "groups");
	for (i = 0; i < sv->n_groups; i++) {
		api_group_name(s, sv->groups[i], group);
		json_str(j, NULL, group);
	}
	json_end(j);
	json_i64(j, "created", sv->created);
	json_end(j);
}

/* ---- the address: what a user types to reach it ---- */

/* A host name or IPv4 address: labels of letters, digits, '-' and '_', dot apart. */
static bool host_ok(const char *h, size_t n)
{
	size_t i, label = 0;

	if (n == 0 || n > 253)
		return false;
	if (h[0] == '[') {
		char a[INET6_ADDRSTRLEN];
		unsigned char buf[16];

		if (n < 3 || h[n - 1] != ']' || n - 2 >= sizeof(a))
			return false;
		memcpy(a, h + 1, n - 2);
		a[n - 2] = '\0';
		return inet_pton(AF_INET6, a, buf) == 1;
	}
	for (i = 0; i < n; i++) {
		char c = h[i];

		if (c == '.') {
			if (!label)
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0;
}

static bool port_ok(const char *p, size_t n)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return false;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* HOST[:PORT] (the port required unless url), where HOST may be [IPv6]. */
static bool hostport_ok(const char *s, size_t n, bool url)
{
	const char *colon = NULL;
	size_t i;

	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close)
			return false;
		if ((size_t)(close - s) + 1 < n) {
			if (close[1] != ':')
				return false;
			colon = close + 1;
		}
	} else {
		for (i = 0; i < n; i++)
			if (s[i] == ':')
				colon = s + i;
	}
	if (!colon)
		return url && host_ok(s, n);
	return host_ok(s, (size_t)(colon - s)) && port_ok(colon + 1, n - (size_t)(colon - s) - 1);
}

int api_service_address_ok(const char *a, char *why, size_t whylen)
{
	const char *rest = NULL, *p;
	size_t n;

	if (strncmp(a, "http://", 7) == 0)
		rest = a + 7;
	else if (strncmp(a, "https://", 8) == 0)
		rest = a + 8;
	if (!rest) {
		if (hostport_ok(a, strlen(a), false))
			return 0;
		goto bad;
	}
	n = strcspn(rest, "/?#");
	if (!hostport_ok(rest, n, true))
		goto bad;
	/* the rest of a URL: printable, nothing a browser would have to escape */
	for (p = rest + n; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || strchr("\"<>\\^`{|}", *p))
			goto bad;
	return 0;
bad:
	snprintf(why, whylen, "address \"%.60s\": expected HOST:PORT or an http:// or https:// URL", a);
	return -EINVAL;
}

/* ---- list ---- */

static int list_row(const struct db_service *sv, void *data)
{
	struct api_rows *l = data;

	service_json(l->s, sv, l->j);
	return 0;
}

static int service_list(struct api_call *c)
{
	struct api_page_req *q = c->req;
	struct db_service_query dq = { q->has_limit ? q->limit : 50, q->cursor };
	struct api_rows l = { c->s, c->reply };
	char next[DB_CURSOR_MAX + 1] = "";
	uint64_t total = 0;
	int r;

	json_obj_begin(c->reply, NULL);
	json_arr_begin(c->reply, "services");
	r = db_service_query(c->s->db, &dq, list_row, &l, &total, next);
	return api_page_end(c, r, &total, next);
}

const struct api_op op_service_list = {
	"service.list", "GET", "/api/v1/services", API_VIEWER, 0,
	sizeof(struct api_page_req), api_page_fields, service_list,
	"The services catalog, by name", NULL,
};

/* ---- add, show, set, delete ---- */

struct svc_req {
	char name[DB_NAME_MAX + 1];
	bool has_name;
	char address[DB_ADDRESS_MAX + 1];
	bool has_address;
	char description[DB_DESCRIPTION_MAX + 1];
	bool has_description;
	struct api_list groups;        /* [] or null: every group */
	bool has_groups;
};

static const struct api_field add_fields[] = {
	API_FIELD_L(struct svc_req, name, API_NAME, API_REQUIRED, "service name"),
	API_FIELD(struct svc_req, address, API_STR, API_REQUIRED),
	API_FIELD(struct svc_req, description, API_STR, 0),
	API_FIELD_LIST(struct svc_req, groups, DB_NAME_MAX + 1, DB_SERVICE_GROUPS_MAX, API_NULL),
	API_FIELD_END,
};

static const struct api_field set_fields[] = {
	API_FIELD_L(struct svc_req, name, API_NAME, API_REQUIRED | API_PATH, "service name"),
	API_FIELD(struct svc_req, address, API_STR, 0),
	API_FIELD(struct svc_req, description, API_STR, 0),
	API_FIELD_LIST(struct svc_req, groups, DB_NAME_MAX + 1, DB_SERVICE_GROUPS_MAX, API_NULL),
	API_FIELD_END,
};

static const struct api_field name_fields[] = {
	API_FIELD_L(struct svc_req, name, API_NAME, API_REQUIRED | API_PATH, "service name"),
	API_FIELD_END,
};

static int svc_check(const void *req, char *why, size_t whylen)
{
	const struct svc_req *q = req;
	size_t i;

	if (q->has_address && api_service_address_ok(q->address, why, whylen) < 0)
		return -EINVAL;
	for (i = 0; i < q->groups.n; i++)
		if (!values_name_ok("groups", q->groups.v[i], why, whylen))
			return -EINVAL;
	return 0;
}

static int set_check(const void *req, char *why, size_t whylen)
{
	const struct svc_req *q = req;

	if (!q->has_address && !q->has_description && !q->has_groups) {
		snprintf(why, whylen, "nothing to change (address, description, groups)");
		return -EINVAL;
	}
	return svc_check(req, why, whylen);
}

/* q's groups into sv by id, each once; a name that is no group is refused. */
static int put_groups(struct api_call *c, const struct svc_req *q, struct db_service *sv)
{
	struct db_group g;
	size_t i, k;
	int r;

	sv->n_groups = 0;
	for (i = 0; i < q->groups.n; i++) {
		r = db_group_get_by_name(c->s->db, q->groups.v[i], &g);
		if (r == -ENOENT)
			return api_fail(c, -EINVAL, "groups: no group \"%s\"", q->groups.v[i]);
		if (r < 0)
			return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
		for (k = 0; k < sv->n_groups && sv->groups[k] != g.id; k++)
			;
		if (k == sv->n_groups)
			sv->groups[sv->n_groups++] = g.id;
	}
	return 0;
}

static int answer(struct api_call *c, const char *name)
{
	struct db_service sv;
	int r = db_service_get_by_name(c->s->db, name, &sv);

	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	service_json(c->s, &sv, c->reply);
	return 0;
}

static int service_add(struct api_call *c)
{
	struct svc_req *q = c->req;
	struct db_service sv = { 0 };
	int r;

	snprintf(c->target, sizeof(c->target), "%s", q->name);
	snprintf(sv.name, sizeof(sv.name), "%s", q->name);
	snprintf(sv.address, sizeof(sv.address), "%s", q->address);
	snprintf(sv.description, sizeof(sv.description), "%s", q->description);
	r = put_groups(c, q, &sv);
	if (r < 0)
		return r;
	r = db_service_add(c->s->db, &sv, &sv.id);
	if (r == -EEXIST)
		return api_fail(c, r, "service \"%s\" exists already", q->name);
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	log_info("service %s added: %s", sv.name, sv.address);
	c->status = 201;
	return answer(c, sv.name);
}

const struct api_op op_service_add = {
	"service.add", "POST", "/api/v1/services", API_ADMIN, API_CHANGES,
	sizeof(struct svc_req), add_fields, service_add,
	"Add a service for every group or the groups named", svc_check,
};

static int find(struct api_call *c, const char *name, struct db_service *sv)
{
	int r = db_service_get_by_name(c->s->db, name, sv);

	snprintf(c->target, sizeof(c->target), "%s", name);
	if (r == -ENOENT)
		return api_fail(c, r, "no service \"%s\"", name);
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	return 0;
}

static int service_show(struct api_call *c)
{
	struct svc_req *q = c->req;
	struct db_service sv;
	int r = find(c, q->name, &sv);

	if (r < 0)
		return r;
	service_json(c->s, &sv, c->reply);
	return 0;
}

const struct api_op op_service_show = {
	"service.show", "GET", "/api/v1/services/{name}", API_VIEWER, 0,
	sizeof(struct svc_req), name_fields, service_show,
	"One service", NULL,
};

static int service_set(struct api_call *c)
{
	struct svc_req *q = c->req;
	struct db_service sv;
	int r = find(c, q->name, &sv);

	if (r < 0)
		return r;
	if (q->has_address)
		snprintf(sv.address, sizeof(sv.address), "%s", q->address);
	if (q->has_description)
		snprintf(sv.description, sizeof(sv.description), "%s", q->description);
	if (q->has_groups && (r = put_groups(c, q, &sv)) < 0)
		return r;
	r = db_service_update(c->s->db, &sv);
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	log_info("service %s changed", sv.name);
	return answer(c, sv.name);
}

const struct api_op op_service_set = {
	"service.set", "PATCH", "/api/v1/services/{name}", API_ADMIN, API_CHANGES,
	sizeof(struct svc_req), set_fields, service_set,
	"Change a service's address, description or groups ([] or null: every group)", set_check,
};

static int service_delete(struct api_call *c)
{
	struct svc_req *q = c->req;
	struct db_service sv;
	int r = find(c, q->name, &sv);

	if (r < 0)
		return r;
	r = db_service_delete(c->s->db, sv.id);
	if (r < 0)
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	log_info("service %s deleted", sv.name);
	c->status = 204;
	return 0;
}

const struct api_op op_service_delete = {
	"service.delete", "DELETE", "/api/v1/services/{name}", API_ADMIN, API_CHANGES,
	sizeof(struct svc_req), name_fields, service_delete,
	"Delete a service", NULL,
};

/* ---- a user's own ---- */

static const struct api_field no_fields[] = { API_FIELD_END };

static int me_row(const struct db_service *sv, void *data)
{
	struct json *j = data;

	json_obj_begin(j, NULL);
	json_str(j, "name", sv->name);
	json_str(j, "address", sv->address);
	json_str(j, "description", sv->description);
	json_end(j);
	return 0;
}

static int me_services(struct api_call *c)
{
	struct db_user u;
	int r = api_own_user(c, &u);

	if (r < 0)
		return r;
	json_obj_begin(c->reply, NULL);
	json_arr_begin(c->reply, "services");
	r = db_service_list_group(c->s->db, u.group_id ? u.group_id : DB_GROUP_DEFAULT, me_row,
				  c->reply);
	db_user_wipe(&u);
	if (r < 0) {
		json_reset(c->reply);
		return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
	}
	json_end(c->reply);
	json_end(c->reply);
	return 0;
}

const struct api_op op_me_services = {
	"me.services", "GET", "/api/v1/me/services", API_USER, 0,
	sizeof(struct svc_req), no_fields, me_services,
	"The services offered to the caller's group", NULL,
};

/* The host's zone name, for a server without server.timezone: /etc/localtime's link
 * into the zoneinfo tree; NULL when it is not one. */
static const char *host_zone(char *buf, size_t len)
{
	ssize_t n = readlink("/etc/localtime", buf, len - 1);
	const char *z;

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	z = strstr(buf, "zoneinfo/");
	return z ? z + strlen("zoneinfo/") : NULL;
}

/* What the caller's tunnel may reach: its effective policy's destinations (what
 * client_allowed_ips allows when the policy names none), and when. "resources" is the
 * older form, one {destination} each. */
static int me_resources(struct api_call *c)
{
	const struct cidrv *v = &c->s->c->server.client_allowed_ips;
	const char *tz = c->s->c->server.timezone;
	char buf[POLICY_STRLEN], zone[256], why[300];
	struct db_group *g = calloc(1, sizeof(*g));
	struct policy eff;
	struct db_user u;
	size_t i;
	time_t now = engine_now(c->s), next;
	int r = api_own_user(c, &u);

	if (!g)
		abort();
	policy_init(&eff);
	if (r < 0)
		goto out;
	r = db_group_get(c->s->db, u.group_id ? u.group_id : DB_GROUP_DEFAULT, g);
	if (r < 0 && r != -ENOENT) {
		r = api_fail(c, r, "database: %s", db_errmsg(c->s->db));
		goto out;
	}
	if (group_policy_resolve(c->s->c->server.policy, r == 0 ? g : NULL, u.rate, &eff, why,
				 sizeof(why)) < 0) {
		log_warn("user %s: %s", u.name, why);
		group_policy_resolve(c->s->c->server.policy, NULL, NULL, &eff, why, sizeof(why));
	}
	r = 0;
	json_obj_begin(c->reply, NULL);
	json_arr_begin(c->reply, "resources");
	if (eff.n_dests) {
		for (i = 0; i < eff.n_dests; i++) {
			json_obj_begin(c->reply, NULL);
			json_str(c->reply, "destination",
				 policy_dests_fmt(&eff.dests[i], 1, buf, sizeof(buf)));
			json_end(c->reply);
		}
	} else {
		for (i = 0; i < v->n; i++) {
			json_obj_begin(c->reply, NULL);
			json_str(c->reply, "destination", cidr_fmt(&v->v[i], buf));
			json_end(c->reply);
		}
	}
	json_end(c->reply);
	json_arr_begin(c->reply, "destinations");
	if (eff.n_dests) {
		for (i = 0; i < eff.n_dests; i++)
			group_policy_dest_json(&eff.dests[i], c->reply);
	} else {
		for (i = 0; i < v->n; i++) {
			struct policy_dest d = { .net = v->v[i] };

			cidr_mask(&d.net);
			group_policy_dest_json(&d, c->reply);
		}
	}
	json_end(c->reply);
	json_obj_begin(c->reply, "schedule");
	json_str(c->reply, "value", policy_schedule_fmt(&eff.schedule, buf, sizeof(buf)));
	json_bool(c->reply, "open", policy_schedule_open(&eff.schedule, tz, now));
	next = policy_schedule_next(&eff.schedule, tz, now);
	if (next) {
		struct tm tm;

		gmtime_r(&next, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_str(c->reply, "next", buf);
	} else {
		json_null(c->reply, "next");
	}
	json_str(c->reply, "timezone", tz ? tz : host_zone(zone, sizeof(zone)));
	json_end(c->reply);
	/* With portal_login the tunnel opens with a sign-in and closes after idle seconds. */
	json_bool(c->reply, "portal_login", eff.portal_login);
	json_u64(c->reply, "idle", eff.idle_s);
	json_end(c->reply);
out:
	db_user_wipe(&u);
	policy_clear(&eff);
	free(g);
	return r;
}

const struct api_op op_me_resources = {
	"me.resources", "GET", "/api/v1/me/resources", API_USER, 0,
	sizeof(struct svc_req), no_fields, me_resources,
	"The destinations the caller's tunnel may reach, and when", NULL,
};
