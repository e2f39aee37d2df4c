/* The built-in resolver's operations (DESIGN 12): the internal zone's records, the custom
 * rules, the block lists, the query log and its statistics, the resolver's counters, and
 * a user's own names and queries. Every change is told to the resolver (dnsd_changed),
 * which rebuilds what it concerns off the queries' way. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops.h"
#include "../server.h"
#include "../values.h"
#include "../dns/dnsd.h"
#include "../dns/filter.h"
#include "../dns/zone.h"
#include "../../common/json.h"
#include "../../common/log.h"
#include "../../common/util.h"

#define TTL_MAX 604800                 /* a week */
#define REFRESH_MIN 60
#define REFRESH_MAX (366 * 86400)
#define STATS_DEFAULT_S 86400
#define RECENT 20

static const struct api_field no_fields[] = { API_FIELD_END };

/* ---- names of query types and answer codes ---- */

static const struct {
	const char *name;
	uint16_t type;
} qtypes[] = {
	{ "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 }, { "PTR", 12 }, { "HINFO", 13 },
	{ "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 }, { "SRV", 33 }, { "NAPTR", 35 },
	{ "DS", 43 }, { "RRSIG", 46 }, { "NSEC", 47 }, { "DNSKEY", 48 }, { "TLSA", 52 },
	{ "SVCB", 64 }, { "HTTPS", 65 }, { "AXFR", 252 }, { "ANY", 255 }, { "CAA", 257 },
};

static const char *const rcode_names[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", NULL,
};

static const char *const result_names[] = { "blocked", "allowed", NULL };
static const char *const action_names[] = { "block", "allow", NULL };

/* "A", "TYPE65" or "65": 0 with *type; -EINVAL for anything else. */
static int qtype_parse(const char *s, uint16_t *type)
{
	const char *digits = s;
	char *end;
	unsigned long v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(qtypes); i++) {
		if (strcasecmp(qtypes[i].name, s) == 0) {
			*type = qtypes[i].type;
			return 0;
		}
	}
	if (strncasecmp(s, "TYPE", 4) == 0)
		digits = s + 4;
	if (!isdigit((unsigned char)digits[0]))
		return -EINVAL;
	v = strtoul(digits, &end, 10);
	if (*end || v == 0 || v > 65535)
		return -EINVAL;
	*type = (uint16_t)v;
	return 0;
}

static void qtype_name(uint16_t type, char buf[16])
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(qtypes); i++) {
		if (qtypes[i].type == type) {
			snprintf(buf, 16, "%s", qtypes[i].name);
			return;
		}
	}
	snprintf(buf, 16, "TYPE%u", type);
}

static void rcode_name(uint8_t rcode, char buf[16])
{
	if (rcode < ARRAY_SIZE(rcode_names) - 1)
		snprintf(buf, 16, "%s", rcode_names[rcode]);
	else
		snprintf(buf, 16, "RCODE%u", rcode);
}

/* An instant as the other routes print one in text: ISO 8601 in UTC. */
static void iso_time(int64_t at, char buf[32])
{
	time_t t = (time_t)at;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void iso_time_ms(int64_t at_ms, char buf[32])
{
	time_t t = (time_t)(at_ms / 1000);
	struct tm tm;
	char s[24];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, 32, "%s.%03dZ", s, (int)(at_ms % 1000));
}

static int db_failed(struct api_call *c, int r)
{
	return api_fail(c, r, "database: %s", db_errmsg(c->s->db));
}

/* ---- records ---- */

struct rec_req {
	uint64_t id;
	bool has_id;
	char name[DB_DNS_NAME_MAX + 2];
	bool has_name;
	char type[8];
	bool has_type;
	char value[DB_DNS_VALUE_MAX + 1];
	bool has_value;
	uint64_t ttl;
	bool has_ttl;
};

static const struct api_field record_add_fields[] = {
	API_FIELD(struct rec_req, name, API_STR, API_REQUIRED),
	API_FIELD(struct rec_req, type, API_STR, API_REQUIRED),
	API_FIELD(struct rec_req, value, API_STR, API_REQUIRED),
	API_FIELD_U64(struct rec_req, ttl, 1, TTL_MAX, 0),
	API_FIELD_END,
};

static const struct api_field record_id_fields[] = {
	API_FIELD_U64(struct rec_req, id, 1, INT64_MAX, API_REQUIRED | API_PATH),
	API_FIELD_END,
};

static int record_check(const void *req, char *why, size_t whylen)
{
	const struct rec_req *q = req;
	struct zone_record zr = { q->name, q->type, q->value, (uint32_t)q->ttl };
	char name[DNS_NAME_TEXT_MAX + 1];

	return zone_record_check(&zr, name, why, whylen);
}

static void record_json(const struct db_dns_record *r, struct json *j)
{
	json_obj_begin(j, NULL);
	json_i64(j, "id", r->id);
	json_str(j, "name", r->name);
	json_str(j, "type", r->type);
	json_str(j, "value", r->value);
	json_u64(j, "ttl", r->ttl);
	json_i64(j, "created", r->created);
	json_end(j);
}

static int record_row(const struct db_dns_record *r, void *data)
{
	record_json(r, data);
	return 0;
}

static int do_record_list(struct api_call *c)
{
	int r;

	json_obj_begin(c->reply, NULL);
	json_arr_begin(c->reply, "records");
	r = db_dns_record_list(c->s->db, NULL, record_row, c->reply);
	if (r < 0) {
		json_reset(c->reply);
		return db_failed(c, r);
	}
	json_end(c->reply);
	json_null(c->reply, "next");
	json_end(c->reply);
	return 0;
}

const struct api_op op_dns_record_list = {
	"dns.record.list", "GET", "/api/v1/dns/records", API_VIEWER, 0,
	sizeof(struct rec_req), no_fields, do_record_list,
	"The internal zone's records, by name", NULL,
};

struct rec_find {
	int64_t id;
	struct db_dns_record r;
	bool found;
};

static int record_match(const struct db_dns_record *r, void *data)
{
	struct rec_find *f = data;

	if (r->id == f->id) {
		f->r = *r;
		f->found = true;
	}
	return 0;
}

static int do_record_add(struct api_call *c)
{
	struct rec_req *q = c->req;
	struct zone_record zr = { q->name, q->type, q->value, (uint32_t)q->ttl };
	struct db_dns_record rec = { 0 };
	struct rec_find f = { 0 };
	char why[200];
	size_t i;
	int r;

	if (zone_record_check(&zr, rec.name, why, sizeof(why)) < 0)
		return api_fail(c, -EINVAL, "%s", why);
	/* A bare name ("nas") is one of the internal zone's: nas.vpn.internal. */
	if (!strchr(rec.name, '.')) {
		const char *dom = c->s->c->server.resolver.domain;

		if (strlen(rec.name) + 1 + strlen(dom) > DNS_NAME_TEXT_MAX)
			return api_fail(c, -EINVAL, "name \"%s\": too long with .%s", rec.name, dom);
		snprintf(rec.name + strlen(rec.name), sizeof(rec.name) - strlen(rec.name), ".%s", dom);
	}
	for (i = 0; q->type[i] && i + 1 < sizeof(rec.type); i++)
		rec.type[i] = (char)toupper((unsigned char)q->type[i]);
	snprintf(rec.value, sizeof(rec.value), "%s", q->value);
	rec.ttl = q->has_ttl ? (uint32_t)q->ttl : 0;
	snprintf(c->target, sizeof(c->target), "%.60s %s", rec.name, rec.type);
	r = db_dns_record_add(c->s->db, &rec, &f.id);
	if (r == -EEXIST)
		return api_fail(c, r, "record %s %s %s: exists", rec.name, rec.type, rec.value);
	if (r < 0)
		return db_failed(c, r);
	log_info("dns record %" PRId64 " added: %s %s %s", f.id, rec.name, rec.type, rec.value);
	dnsd_changed(c->s, DNSD_RECORDS);
	r = db_dns_record_list(c->s->db, rec.name, record_match, &f);
	if (r < 0)
		return db_failed(c, r);
	if (!f.found)
		return api_fail(c, -EIO, "record %" PRId64 ": gone after its add", f.id);
	record_json(&f.r, c->reply);
	c->status = 201;
	return 0;
}

const struct api_op op_dns_record_add = {
	"dns.record.add", "POST", "/api/v1/dns/records", API_ADMIN, API_CHANGES,
	sizeof(struct rec_req), record_add_fields, do_record_add,
	"Add a record to the internal zone (A, AAAA, CNAME, TXT, SRV)", record_check,
};

static int do_record_delete(struct api_call *c)
{
	struct rec_req *q = c->req;
	int r;

	snprintf(c->target, sizeof(c->target), "%" PRIu64, q->id);
	r = db_dns_record_delete(c->s->db, (int64_t)q->id);
	if (r == -ENOENT)
		return api_fail(c, r, "no record %" PRIu64, q->id);
	if (r < 0)
		return db_failed(c, r);
	log_info("dns record %" PRIu64 " deleted", q->id);
	dnsd_changed(c->s, DNSD_RECORDS);
	c->status = 204;
	return 0;
}

const struct api_op op_dns_record_delete = {
	"dns.record.delete", "DELETE", "/api/v1/dns/records/{id}", API_ADMIN, API_CHANGES,
	sizeof(struct rec_req), record_id_fields, do_record_delete,
	"Delete a record of the internal zone", NULL,
};

/* ---- custom rules ---- */

struct rule_req {
	uint64_t id;
	bool has_id;
	char pattern[DB_DNS_PATTERN_MAX + 1];
	bool has_pattern;
	int action;
	bool has_action;
	char group[DB_NAME_MAX + 1];   /* "" given as null: every group */
	bool has_group;
	char note[DB_DNS_NOTE_MAX + 1];
	bool has_note;
};

static const struct api_field rule_add_fields[] = {
	API_FIELD(struct rule_req, pattern, API_STR, API_REQUIRED),
	API_FIELD_ENUM(struct rule_req, action, action_names, API_REQUIRED),
	API_FIELD_L(struct rule_req, group, API_NAME, API_NULL, "group"),
	API_FIELD(struct rule_req, note, API_STR, 0),
	API_FIELD_END,
};

static const struct api_field rule_id_fields[] = {
	API_FIELD_U64(struct rule_req, id, 1, INT64_MAX, API_REQUIRED | API_PATH),
	API_FIELD_END,
};

static int rule_check(const void *req, char *why, size_t whylen)
{
	const struct rule_req *q = req;
	const char *reason = NULL;

	if (!q->has_pattern)
		return 0;
	if (filter_rule_parse(q->pattern, &reason) < 0) {
		snprintf(why, whylen, "pattern \"%.80s\": %s", q->pattern,
			 reason ? reason : "not a rule");
		return -EINVAL;
	}
	return 0;
}

static void rule_json(struct server *s, const struct db_dns_rule *r, struct json *j)
{
	char group[DB_NAME_MAX + 1];

	json_obj_begin(j, NULL);
	json_i64(j, "id", r->id);
	json_str(j, "pattern", r->pattern);
	json_str(j, "action", r->action == DB_DNS_ALLOW ? "allow" : "block");
	if (r->group_id) {
		api_group_name(s, r->group_id, group);
		json_str(j, "group", group);
	} else {
		json_null(j, "group");
	}
	json_str(j, "note", r->note);
	json_i64(j, "created", r->created);
	json_end(j);
}

static int rule_row(const struct db_dns_rule *r, void *data)
{
	struct api_rows *x = data;

	rule_json(x->s, r, x->j);
	return 0;
}

static int do_rule_list(struct api_call *c)
{
	struct api_rows x = { c->s, c->reply };
	int r;

	json_obj_begin(c->reply, NULL);
	json_arr_begin(c->reply, "rules");
	r = db_dns_rule_list(c->s->db, rule_row, &x);
	if (r < 0) {
		json_reset(c->reply);
		return db_failed(c, r);
	}
	json_end(c->reply);
	json_null(c->reply, "next");
	json_end(c->reply);
	return 0;
}

const struct api_op op_dns_rule_list = {
	"dns.rule.list", "GET", "/api/v1/dns/rules", API_VIEWER, 0,
	sizeof(struct rule_req), no_fields, do_rule_list,
	"The custom block and allow rules, by id", NULL,
};

struct rule_find {
	int64_t id;
	struct db_dns_rule r;
	bool found;
};

static int rule_match(const struct db_dns_rule *r, void *data)
{
	struct rule_find *f = data;

	if (r->id == f->id) {
		f->r = *r;
		f->found = true;
	}
	return 0;
}

static int do_rule_add(struct api_call *c)
{
	struct rule_req *q = c->req;
	struct db_dns_rule rule = { 0 };
	struct rule_find f = { 0 };
	int r;

	snprintf(rule.pattern, sizeof(rule.pattern), "%s", q->pattern);
	rule.action = q->action == 1 ? DB_DNS_ALLOW : DB_DNS_BLOCK;
	snprintf(rule.note, sizeof(rule.note), "%s", q->note);
	if (q->has_group && q->group[0] && (r = api_group_id(c, q->group, &rule.group_id)) < 0)
		return r;
	snprintf(c->target, sizeof(c->target), "%s %.80s", action_names[q->action], q->pattern);
	r = db_dns_rule_add(c->s->db, &rule, &f.id);
	if (r == -EEXIST)
		return api_fail(c, r, "rule %s %s: exists%s%s", action_names[q->action], q->pattern,
				rule.group_id ? " for group " : "", rule.group_id ? q->group : "");
	if (r == -ENOENT)
		return api_fail(c, -EINVAL, "group: no group \"%s\"", q->group);
	if (r < 0)
		return db_failed(c, r);
	log_info("dns rule %" PRId64 " added: %s %s", f.id, action_names[q->action], q->pattern);
	dnsd_changed(c->s, DNSD_RULES);
	r = db_dns_rule_list(c->s->db, rule_match, &f);
	if (r < 0)
		return db_failed(c, r);
	if (!f.found)
		return api_fail(c, -EIO, "rule %" PRId64 ": gone after its add", f.id);
	rule_json(c->s, &f.r, c->reply);
	c->status = 201;
	return 0;
}

const struct api_op op_dns_rule_add = {
	"dns.rule.add", "POST", "/api/v1/dns/rules", API_ADMIN, API_CHANGES,
	sizeof(struct rule_req), rule_add_fields, do_rule_add,
	"Add a block or allow rule, for every group or one", rule_check,
};

static int do_rule_delete(struct api_call *c)
{
	struct rule_req *q = c->req;
	int r;

	snprintf(c->target, sizeof(c->target), "%" PRIu64, q->id);
	r = db_dns_rule_delete(c->s->db, (int64_t)q->id);
	if (r == -ENOENT)
		return api_fail(c, r, "no rule %" PRIu64, q->id);
	if (r < 0)
		return db_failed(c, r);
	log_info("dns rule %" PRIu64 " deleted", q->id);
	dnsd_changed(c->s, DNSD_RULES);
	c->status = 204;
	return 0;
}

const struct api_op op_dns_rule_delete = {
	"dns.rule.delete", "DELETE", "/api/v1/dns/rules/{id}", API_ADMIN, API_CHANGES,
	sizeof(struct rule_req), rule_id_fields, do_rule_delete,
	"Delete a custom rule", NULL,
};

/* ---- block lists ---- */

struct list_req {
	char name[DB_NAME_MAX + 1];
	bool has_name;
	char source[DB_DNS_SOURCE_MAX + 1];
	bool has_source;
	struct api_list groups;        /* [] or null: every group */
	bool has_groups;
	bool enabled;
	bool has_enabled;
	char *refresh;                 /* seconds, or a DURATION */
	bool has_refresh;
};

static const struct api_field list_add_fields[] = {
	API_FIELD_L(struct list_req, name, API_NAME, API_REQUIRED, "list name"),
	API_FIELD(struct list_req, source, API_STR, API_REQUIRED),
	API_FIELD_LIST(struct list_req, groups, DB_NAME_MAX + 1, DB_DNS_LIST_GROUPS_MAX, API_NULL),
	API_FIELD(struct list_req, enabled, API_BOOL, 0),
	API_FIELD_ANY(struct list_req, refresh, 0),
	API_FIELD_END,
};

static const struct api_field list_set_fields[] = {
	API_FIELD_L(struct list_req, name, API_NAME, API_REQUIRED | API_PATH, "list name"),
	API_FIELD_LIST(struct list_req, groups, DB_NAME_MAX + 1, DB_DNS_LIST_GROUPS_MAX, API_NULL),
	API_FIELD(struct list_req, enabled, API_BOOL, 0),
	API_FIELD_ANY(struct list_req, refresh, 0),
	API_FIELD_END,
};

static const struct api_field list_name_fields[] = {
	API_FIELD_L(struct list_req, name, API_NAME, API_REQUIRED | API_PATH, "list name"),
	API_FIELD_END,
};

/* refresh as JSON text: a whole number of seconds or a DURATION. */
static int refresh_parse(const char *text, uint32_t *secs, char *why, size_t whylen)
{
	struct json_value *v = NULL;
	int64_t d = -1;
	int r = 0;

	if (json_parse(text, strlen(text), &v, NULL, NULL) < 0) {
		snprintf(why, whylen, "refresh: not JSON");
		return -EINVAL;
	}
	if (v->type == JSON_NUMBER && v->is_u64 && v->u64 <= INT64_MAX) {
		d = (int64_t)v->u64;
	} else if (v->type == JSON_STRING) {
		char reason[160];

		if (values_parse_duration(v->s, &d, reason, sizeof(reason)) < 0) {
			snprintf(why, whylen, "refresh: %s", reason);
			r = -EINVAL;
		}
	} else {
		snprintf(why, whylen, "refresh: expected seconds or a duration such as 12h");
		r = -EINVAL;
	}
	if (r == 0 && (d < REFRESH_MIN || d > REFRESH_MAX)) {
		snprintf(why, whylen, "refresh: %" PRId64 " s is out of range (%d s..%d d)", d,
			 REFRESH_MIN, REFRESH_MAX / 86400);
		r = -EINVAL;
	}
	if (r == 0)
		*secs = (uint32_t)d;
	json_value_free(v);
	return r;
}

static bool source_ok(const char *s)
{
	const char *host;

	if (s[0] == '/')
		return s[1] != '\0';
	if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else
		return false;
	return *host && *host != '/' && !strpbrk(s, " \t");
}

static int list_check(const void *req, char *why, size_t whylen)
{
	const struct list_req *q = req;
	uint32_t secs;
	size_t i, k;

	if (q->has_source && !source_ok(q->source)) {
		snprintf(why, whylen, "source \"%.80s\": not an absolute path or an http(s) URL",
			 q->source);
		return -EINVAL;
	}
	if (q->has_refresh && refresh_parse(q->refresh, &secs, why, whylen) < 0)
		return -EINVAL;
	for (i = 0; i < q->groups.n; i++) {
		if (!values_name_ok("group", q->groups.v[i], why, whylen))
			return -EINVAL;
		for (k = 0; k < i; k++) {
			if (strcmp(q->groups.v[k], q->groups.v[i]) == 0) {
				snprintf(why, whylen, "groups: \"%s\" given twice", q->groups.v[i]);
				return -EINVAL;
			}
		}
	}
	if (!q->has_source && !q->has_groups && !q->has_enabled && !q->has_refresh) {
		snprintf(why, whylen, "nothing to change (enabled, groups, refresh)");
		return -EINVAL;
	}
	return 0;
}

/* The ids of the groups named in q, ascending. */
static int group_ids(struct api_call *c, const struct list_req *q, int64_t *ids, size_t *n)
{
	size_t i, k;
	int r;

	*n = 0;
	for (i = 0; i < q->groups.n; i++) {
		int64_t id;

		r = api_group_id(c, q->groups.v[i], &id);
		if (r < 0)
			return r;
		for (k = *n; k > 0 && ids[k - 1] > id; k--)
			ids[k] = ids[k - 1];
		ids[k] = id;
		(*n)++;
	}
	return 0;
}

static void list_json(struct server *s, const struct db_dns_list *l, struct json *j)
{
	char group[DB_NAME_MAX + 1], t[32];
	size_t i;

	json_obj_begin(j, NULL);
	json_i64(j, "id", l->id);
	json_str(j, "name", l->name);
	json_str(j, "source", l->source);
	json_bool(j, "enabled", l->enabled);
	json_u64(j, "refresh", l->refresh_s);
	json_arr_begin(j, "groups");
	for (i = 0; i < l->n_groups; i++) {
		api_group_name(s, l->groups[i], group);
		json_str(j, NULL, group);
	}
	json_end(j);
	json_i64(j, "created", l->created);
	if (l->fetched_at) {
		iso_time(l->fetched_at, t);
		json_str(j, "fetched_at", t);
	} else {
		json_null(j, "fetched_at");
	}
	json_u64(j, "entries", l->entries);
	json_u64(j, "bad_lines", l->bad_lines);
	json_str(j, "error", l->error[0] ? l->error : NULL);
	json_end(j);
}

static int list_row(const struct db_dns_list *l, void *data)
{
	struct api_rows *x = data;

	list_json(x->s, l, x->j);
	return 0;
}

static int do_list_list(struct api_call *c)
{
	struct api_rows x = { c->s, c->reply };
	int r;

	json_obj_begin(c->reply, NULL);
	json_arr_begin(c->reply, "lists");
	r = db_dns_list_list(c->s->db, list_row, &x);
	if (r < 0) {
		json_reset(c->reply);
		return db_failed(c, r);
	}
	json_end(c->reply);
	json_null(c->reply, "next");
	json_end(c->reply);
	return 0;
}

const struct api_op op_dns_list_list = {
	"dns.list.list", "GET", "/api/v1/dns/lists", API_VIEWER, 0,
	sizeof(struct list_req), no_fields, do_list_list,
	"The block lists, by name, each with its last fetch", NULL,
};

static int list_find(struct api_call *c, const char *name, struct db_dns_list *l)
{
	int r = db_dns_list_get_by_name(c->s->db, name, l);

	snprintf(c->target, sizeof(c->target), "%s", name);
	if (r == -ENOENT)
		return api_fail(c, r, "no list \"%s\"", name);
	if (r < 0)
		return db_failed(c, r);
	return 0;
}

static int list_answer(struct api_call *c, const char *name)
{
	struct db_dns_list *l = xcalloc(1, sizeof(*l));
	int r = list_find(c, name, l);

	if (r == 0)
		list_json(c->s, l, c->reply);
	free(l);
	return r;
}

static int do_list_add(struct api_call *c)
{
	struct list_req *q = c->req;
	struct db_dns_list *l = xcalloc(1, sizeof(*l));
	char why[200];
	int64_t id;
	int r;

	snprintf(c->target, sizeof(c->target), "%s", q->name);
	snprintf(l->name, sizeof(l->name), "%s", q->name);
	snprintf(l->source, sizeof(l->source), "%s", q->source);
	l->enabled = q->has_enabled ? q->enabled : true;
	l->refresh_s = c->s->c->server.resolver.lists_refresh_s;
	if (q->has_refresh && refresh_parse(q->refresh, &l->refresh_s, why, sizeof(why)) < 0) {
		r = api_fail(c, -EINVAL, "%s", why);
		goto out;
	}
	r = group_ids(c, q, l->groups, &l->n_groups);
	if (r < 0)
		goto out;
	r = db_dns_list_add(c->s->db, l, &id);
	if (r == -EEXIST) {
		r = api_fail(c, r, "list \"%s\" exists", q->name);
		goto out;
	}
	if (r < 0) {
		r = db_failed(c, r);
		goto out;
	}
	log_info("dns list %s added: %s", q->name, q->source);
	if (l->enabled)
		dnsd_changed(c->s, DNSD_LISTS);
	c->status = 201;
	r = list_answer(c, q->name);
out:
	free(l);
	return r;
}

const struct api_op op_dns_list_add = {
	"dns.list.add", "POST", "/api/v1/dns/lists", API_ADMIN, API_CHANGES,
	sizeof(struct list_req), list_add_fields, do_list_add,
	"Add a block list from a file or an http(s) URL, for every group or some", list_check,
};

static int do_list_show(struct api_call *c)
{
	struct list_req *q = c->req;

	return list_answer(c, q->name);
}

const struct api_op op_dns_list_show = {
	"dns.list.show", "GET", "/api/v1/dns/lists/{name}", API_VIEWER, 0,
	sizeof(struct list_req), list_name_fields, do_list_show,
	"One block list and its last fetch", NULL,
};

static int do_list_set(struct api_call *c)
{
	struct list_req *q = c->req;
	struct db_dns_list *l = xcalloc(1, sizeof(*l));
	int64_t ids[DB_DNS_LIST_GROUPS_MAX];
	uint32_t refresh = 0;
	char why[200];
	size_t n = 0;
	int r = list_find(c, q->name, l);

	if (r < 0)
		goto out;
	if (q->has_refresh) {
		if (refresh_parse(q->refresh, &refresh, why, sizeof(why)) < 0) {
			r = api_fail(c, -EINVAL, "%s", why);
			goto out;
		}
	}
	if (q->has_groups && (r = group_ids(c, q, ids, &n)) < 0)
		goto out;
	r = db_begin(c->s->db);
	if (r == 0 && q->has_enabled)
		r = db_dns_list_set_enabled(c->s->db, l->id, q->enabled);
	if (r == 0 && q->has_groups)
		r = db_dns_list_set_groups(c->s->db, l->id, ids, n);
	if (r == 0 && q->has_refresh && refresh != l->refresh_s)
		r = db_dns_list_set_refresh(c->s->db, l->id, refresh);
	if (r == 0) {
		r = db_commit(c->s->db);
	} else {
		why[0] = '\0';
		snprintf(why, sizeof(why), "%s", db_errmsg(c->s->db));
		db_rollback(c->s->db);
		r = api_fail(c, r, "database: %s", why);
		goto out;
	}
	if (r < 0) {
		r = db_failed(c, r);
		goto out;
	}
	log_info("dns list %s changed", q->name);
	dnsd_changed(c->s, DNSD_LISTS);
	r = list_answer(c, q->name);
out:
	free(l);
	return r;
}

const struct api_op op_dns_list_set = {
	"dns.list.set", "PATCH", "/api/v1/dns/lists/{name}", API_ADMIN, API_CHANGES,
	sizeof(struct list_req), list_set_fields, do_list_set,
	"Enable or disable a block list, or change its groups ([] or null: every group) or refresh",
	list_check,
};

static int do_list_delete(struct api_call *c)
{
	struct list_req *q = c->req;
	struct db_dns_list *l = xcalloc(1, sizeof(*l));
	int r = list_find(c, q->name, l);

	if (r == 0) {
		r = db_dns_list_delete(c->s->db, l->id);
		if (r < 0) {
			r = db_failed(c, r);
		} else {
			log_info("dns list %s deleted", q->name);
			dnsd_changed(c->s, DNSD_LISTS);
			c->status = 204;
		}
	}
	free(l);
	return r;
}

const struct api_op op_dns_list_delete = {
	"dns.list.delete", "DELETE", "/api/v1/dns/lists/{name}", API_ADMIN, API_CHANGES,
	sizeof(struct list_req), list_name_fields, do_list_delete,
	"Delete a block list (the query log keeps its id)", NULL,
};

static int do_list_refresh(struct api_call *c)
{
	struct list_req *q = c->req;
	struct db_dns_list *l = xcalloc(1, sizeof(*l));
	int r = list_find(c, q->name, l);

	if (r == 0) {
		log_info("dns list %s: fetched again on request", q->name);
		dnsd_changed(c->s, DNSD_LISTS);
		json_obj_begin(c->reply, NULL);
		json_str(c->reply, "name", l->name);
		json_bool(c->reply, "fetching", c->s->dnsd != NULL);
		json_end(c->reply);
		c->status = 202;
	}
	free(l);
	return r;
}

const struct api_op op_dns_list_refresh = {
	"dns.list.refresh", "POST", "/api/v1/dns/lists/{name}/refresh", API_ADMIN, API_CHANGES,
	sizeof(struct list_req), list_name_fields, do_list_refresh,
	"Fetch the block lists again now; GET the list later for the result", NULL,
};

/* ---- the query log ---- */

struct log_req {
	char user[DB_NAME_MAX + 1];
	bool has_user;
	char device[DB_NAME_MAX + 1];
	bool has_device;
	char q[DB_QUERY_MAX + 1];
	bool has_q;
	char type[16];
	bool has_type;
	int result;
	bool has_result;
	int rcode;
	bool has_rcode;
	int64_t since;
	bool has_since;
	int64_t until;
	bool has_until;
	uint64_t limit;
	bool has_limit;
	char cursor[DB_CURSOR_MAX + 1];
	bool has_cursor;
};

static const struct api_field log_fields[] = {
	API_FIELD_L(struct log_req, user, API_NAME, 0, "user name"),
	API_FIELD_L(struct log_req, device, API_NAME, 0, "device name"),
	API_FIELD(struct log_req, q, API_STR, 0),
	API_FIELD(struct log_req, type, API_STR, 0),
	API_FIELD_ENUM(struct log_req, result, result_names, 0),
	API_FIELD_ENUM(struct log_req, rcode, rcode_names, 0),
	API_FIELD(struct log_req, since, API_DATE, 0),
	API_FIELD(struct log_req, until, API_DATE, 0),
	API_FIELD_U64(struct log_req, limit, 1, DB_PAGE_MAX, 0),
	API_FIELD(struct log_req, cursor, API_CURSOR, 0),
	API_FIELD_END,
};

static int log_check(const void *req, char *why, size_t whylen)
{
	const struct log_req *q = req;
	uint16_t t;

	if (q->has_type && qtype_parse(q->type, &t) < 0) {
		snprintf(why, whylen, "type \"%.15s\": not a query type (A, AAAA, MX, TXT, ... "
			 "or TYPEn)", q->type);
		return -EINVAL;
	}
	if (q->has_device && !q->has_user) {
		snprintf(why, whylen, "device: goes with user");
		return -EINVAL;
	}
	if (q->has_since && q->has_until && q->until <= q->since) {
		snprintf(why, whylen, "until: not after since");
		return -EINVAL;
	}
	return 0;
}

/* What a log row needs besides itself: the names of users, devices and lists. */
struct log_ctx {
	struct server *s;
	struct json *j;
	int64_t *list_ids;
	char (*list_names)[DB_NAME_MAX + 1];
	size_t n_lists, cap_lists;
};

static int collect_list(const struct db_dns_list *l, void *data)
{
	struct log_ctx *x = data;

	if (x->n_lists == x->cap_lists) {
		x->cap_lists = x->cap_lists ? 2 * x->cap_lists : 16;
		x->list_ids = xrealloc(x->list_ids, x->cap_lists * sizeof(*x->list_ids));
		x->list_names = xrealloc(x->list_names, x->cap_lists * sizeof(*x->list_names));
	}
	x->list_ids[x->n_lists] = l->id;
	snprintf(x->list_names[x->n_lists], sizeof(x->list_names[0]), "%s", l->name);
	x->n_lists++;
	return 0;
}

static void log_ctx_init(struct log_ctx *x, struct server *s, struct json *j)
{
	memset(x, 0, sizeof(*x));
	x->s = s;
	x->j = j;
	/* a list deleted since is named by its id */
	db_dns_list_list(s->db, collect_list, x);
}

static void log_ctx_clear(struct log_ctx *x)
{
	free(x->list_ids);
	free(x->list_names);
}

static void log_json(struct log_ctx *x, const struct db_dns_log *e)
{
	const struct acct_user *u = e->user_id ? account_user(&x->s->acct, e->user_id) : NULL;
	const struct acct_device *d = e->device_id ? account_device(&x->s->acct, e->device_id)
						   : NULL;
	struct json *j = x->j;
	char buf[40];
	size_t i;

	json_obj_begin(j, NULL);
	json_i64(j, "id", e->id);
	iso_time_ms(e->at_ms, buf);
	json_str(j, "at", buf);
	json_i64(j, "at_ms", e->at_ms);
	if (u)
		json_str(j, "user", u->name);
	else if (e->user_id)
		json_strf(j, "user", "#%" PRId64, e->user_id);
	else
		json_null(j, "user");
	if (d)
		json_str(j, "device", d->name);
	else if (e->device_id)
		json_strf(j, "device", "#%" PRId64, e->device_id);
	else
		json_null(j, "device");
	json_str(j, "name", e->name);
	qtype_name(e->qtype, buf);
	json_str(j, "type", buf);
	rcode_name(e->rcode, buf);
	json_str(j, "rcode", buf);
	json_bool(j, "blocked", e->blocked);
	if (!e->blocked) {
		json_null(j, "list");
	} else if (e->list_id == 0) {
		json_str(j, "list", "rule");
	} else {
		for (i = 0; i < x->n_lists && x->list_ids[i] != e->list_id; i++)
			;
		if (i < x->n_lists)
			json_str(j, "list", x->list_names[i]);
		else
			json_strf(j, "list", "#%" PRId64, e->list_id);
	}
	if (e->upstream_us)
		json_u64(j, "upstream_ms", (e->upstream_us + 500) / 1000);
	else
		json_null(j, "upstream_ms");
	json_u64(j, "collapsed", e->collapsed);
	json_end(j);
}

static int log_row(const struct db_dns_log *e, void *data)
{
	log_json(data, e);
	return 0;
}

/* The user (and device) a query names: ids, or -ENOENT said. */
static int who_of(struct api_call *c, bool has_user, const char *user, bool has_device,
		  const char *device, int64_t *user_id, int64_t *device_id)
{
	struct db_device d;
	struct db_user u;
	int r;

	*user_id = *device_id = 0;
	if (!has_user)
		return 0;
	r = api_user_find(c, user, &u);
	if (r < 0)
		return r;
	*user_id = u.id;
	if (has_device) {
		r = api_device_find(c, &u, device, &d);
		if (r == 0) {
			*device_id = d.id;
			db_device_wipe(&d);
		}
	}
	db_user_wipe(&u);
	return r;
}

static int dns_log(struct api_call *c)
{
	struct log_req *q = c->req;
	struct db_dns_log_query dq = { 0 };
	char next[DB_CURSOR_MAX + 1] = "";
	struct log_ctx x;
	uint16_t t = 0;
	int r;

	r = who_of(c, q->has_user, q->user, q->has_device, q->device, &dq.user_id,
		   &dq.device_id);
	if (r < 0)
		return r;
	if (q->has_type)
		qtype_parse(q->type, &t);
	dq.q = q->q;
	dq.qtype = t;
	dq.rcode = q->has_rcode ? q->rcode : -1;
	dq.result = !q->has_result ? DB_DNS_ANY : q->result == 0 ? DB_DNS_BLOCKED :
		    DB_DNS_NOT_BLOCKED;
	dq.since_ms = q->has_since ? q->since * 1000 : 0;
	dq.until_ms = q->has_until ? q->until * 1000 : 0;
	dq.limit = q->has_limit ? q->limit : 50;
	dq.cursor = q->cursor;
	log_ctx_init(&x, c->s, c->reply);
	json_obj_begin(c->reply, NULL);
	json_arr_begin(c->reply, "entries");
	r = db_dns_log_query(c->s->db, &dq, log_row, &x, next);
	log_ctx_clear(&x);
	return api_page_end(c, r, NULL, next);
}

const struct api_op op_dns_log = {
	"dns.log", "GET", "/api/v1/dns/log", API_VIEWER, 0,
	sizeof(struct log_req), log_fields, dns_log,
	"One page of the query log, newest first, searched by user, device, name, type, "
	"result, answer code and time", log_check,
};

/* ---- statistics ---- */

struct stats_req {
	int64_t since;
	bool has_since;
	int64_t until;
	bool has_until;
	char user[DB_NAME_MAX + 1];
	bool has_user;
	uint64_t top;
	bool has_top;
};

static const struct api_field stats_fields[] = {
	API_FIELD(struct stats_req, since, API_DATE, 0),
	API_FIELD(struct stats_req, until, API_DATE, 0),
	API_FIELD_L(struct stats_req, user, API_NAME, 0, "user name"),
	API_FIELD_U64(struct stats_req, top, 0, DB_DNS_TOP_MAX, 0),
	API_FIELD_END,
};

static int stats_check(const void *req, char *why, size_t whylen)
{
	const struct stats_req *q = req;

	if (q->has_since && q->has_until && q->until <= q->since) {
		snprintf(why, whylen, "until: not after since");
		return -EINVAL;
	}
	return 0;
}

struct top_ctx {
	struct server *s;
	struct json *j;
	int kind;                      /* the array open now, -1 none */
};

static const char *const top_keys[] = { "top_names", "top_blocked", "top_users" };

static void top_open(struct top_ctx *x, int kind)
{
	while (x->kind < kind) {
		if (x->kind >= 0)
			json_end(x->j);
		x->kind++;
		json_arr_begin(x->j, top_keys[x->kind]);
	}
}

static int top_row(const struct db_dns_top_row *t, void *data)
{
	struct top_ctx *x = data;
	const struct acct_user *u;

	top_open(x, (int)t->kind);
	json_obj_begin(x->j, NULL);
	if (t->kind == DB_DNS_TOP_USERS) {
		u = account_user(&x->s->acct, t->id);
		if (u)
			json_str(x->j, "user", u->name);
		else
			json_strf(x->j, "user", "#%" PRId64, t->id);
	} else {
		json_str(x->j, "name", t->name);
	}
	json_u64(x->j, "queries", t->queries);
	json_u64(x->j, "blocked", t->blocked);
	json_end(x->j);
	return 0;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? (double)((part * 10000 + whole / 2) / whole) / 100.0 : 0.0;
}

static void number(struct json *j, const char *key, double v)
{
	char text[40];

	json_value_raw(j, key, text, (size_t)snprintf(text, sizeof(text), "%.2f", v));
}

static int dns_stats(struct api_call *c)
{
	struct stats_req *q = c->req;
	struct db_dns_stats_query dq = { 0 };
	struct db_dns_totals t = { 0 };
	struct top_ctx x = { c->s, c->reply, -1 };
	int64_t now = time(NULL), dev;
	char buf[32];
	int r;

	r = who_of(c, q->has_user, q->user, false, NULL, &dq.user_id, &dev);
	if (r < 0)
		return r;
	dq.until = q->has_until ? q->until : now + 1;
	dq.since = q->has_since ? q->since : now - STATS_DEFAULT_S;
	/* the roll-ups are hours: the one since falls in counts */
	dq.since -= dq.since % 3600;
	dq.top = q->has_top ? q->top : 10;
	json_obj_begin(c->reply, NULL);
	iso_time(dq.since, buf);
	json_str(c->reply, "since", buf);
	iso_time(dq.until, buf);
	json_str(c->reply, "until", buf);
	if (q->has_user)
		json_str(c->reply, "user", q->user);
	r = db_dns_stats(c->s->db, &dq, &t, top_row, &x);
	if (r < 0) {
		json_reset(c->reply);
		return db_failed(c, r);
	}
	top_open(&x, dq.user_id ? DB_DNS_TOP_BLOCKED : DB_DNS_TOP_USERS);
	json_end(c->reply);
	json_u64(c->reply, "queries", t.queries);
	json_u64(c->reply, "blocked", t.blocked);
	number(c->reply, "blocked_pct", pct(t.blocked, t.queries));
	json_u64(c->reply, "nxdomain", t.nxdomain);
	json_u64(c->reply, "servfail", t.servfail);
	if (t.upstream_n)
		number(c->reply, "upstream_ms_avg",
		       (double)t.upstream_us_sum / (double)t.upstream_n / 1000.0);
	else
		json_null(c->reply, "upstream_ms_avg");
	json_end(c->reply);
	return 0;
}

const struct api_op op_dns_stats = {
	"dns.stats", "GET", "/api/v1/dns/stats", API_VIEWER, 0,
	sizeof(struct stats_req), stats_fields, dns_stats,
	"Query counts, blocked share, failures, upstream time and the top names and users "
	"over the hours from since (default 24 h ago) to until", stats_check,
};

/* ---- the resolver's own counters ---- */

static int dns_status(struct api_call *c)
{
	struct json tmp = { 0 };
	struct json_value *doc = NULL;
	const struct json_value *res;
	size_t i;

	json_obj_begin(&tmp, NULL);
	dnsd_status(c->s, &tmp);
	json_end(&tmp);
	json_obj_begin(c->reply, NULL);
	if (json_parse(json_text(&tmp), json_len(&tmp), &doc, NULL, NULL) == 0 &&
	    (res = json_get_obj(doc, "resolver"))) {
		for (i = 0; i < res->n; i++)
			json_write_value(c->reply, res->keys[i], res->items[i]);
	} else {
		json_bool(c->reply, "running", false);
	}
	json_end(c->reply);
	json_value_free(doc);
	json_clear(&tmp);
	return 0;
}

const struct api_op op_dns_status = {
	"dns.status", "GET", "/api/v1/dns/status", API_VIEWER, 0,
	sizeof(struct api_page_req), no_fields, dns_status,
	"The resolver's counters: queries, answers by kind, cache, filter, log", NULL,
};

/* ---- a user's own ---- */

static const char *domain_of(struct server *s)
{
	const char *d = s->c ? s->c->server.resolver.domain : "";

	return d[0] ? d : "vpn.internal";
}

static int me_dns(struct api_call *c)
{
	struct db_dns_log_query lq = { 0 };
	struct db_dns_stats_query sq = { 0 };
	struct db_dns_totals t = { 0 };
	const struct acct_device *d;
	const char *domain = domain_of(c->s);
	char next[DB_CURSOR_MAX + 1], buf[CIDR_STRLEN];
	struct log_ctx x;
	struct db_user u;
	int64_t now = time(NULL);
	size_t i = 0, k;
	int r = api_own_user(c, &u);

	if (r < 0)
		return r;
	json_obj_begin(c->reply, NULL);
	json_bool(c->reply, "enabled", c->s->c && c->s->c->server.resolver.enabled);
	json_str(c->reply, "domain", domain);
	json_strf(c->reply, "user_name", "%s.%s", u.name, domain);
	json_arr_begin(c->reply, "names");
	while ((d = account_user_devices(&c->s->acct, u.id, &i))) {
		json_obj_begin(c->reply, NULL);
		json_str(c->reply, "device", d->name);
		json_strf(c->reply, "name", "%s.%s.%s", d->name, u.name, domain);
		json_arr_begin(c->reply, "addresses");
		for (k = 0; k < d->n_addrs; k++) {
			json_str(c->reply, NULL, ip_fmt(&d->addrs[k], buf));
		}
		json_end(c->reply);
		json_end(c->reply);
	}
	json_end(c->reply);
	sq.user_id = u.id;
	sq.since = now - STATS_DEFAULT_S;
	sq.since -= sq.since % 3600;
	sq.until = now + 1;
	r = db_dns_stats(c->s->db, &sq, &t, NULL, NULL);
	if (r < 0)
		goto fail;
	json_u64(c->reply, "queries_24h", t.queries);
	json_u64(c->reply, "blocked_24h", t.blocked);
	lq.user_id = u.id;
	lq.rcode = -1;
	lq.limit = RECENT;
	log_ctx_init(&x, c->s, c->reply);
	json_arr_begin(c->reply, "recent");
	r = db_dns_log_query(c->s->db, &lq, log_row, &x, next);
	log_ctx_clear(&x);
	if (r < 0)
		goto fail;
	json_end(c->reply);
	json_end(c->reply);
	db_user_wipe(&u);
	return 0;
fail:
	db_user_wipe(&u);
	json_reset(c->reply);
	return db_failed(c, r);
}

const struct api_op op_me_dns = {
	"me.dns", "GET", "/api/v1/me/dns", API_USER, 0,
	sizeof(struct api_page_req), no_fields, me_dns,
	"The caller's names in the internal zone, its query counts of the last 24 h and its "
	"latest queries", NULL,
};
