/* A group's effective policy from the file's defaults, the group's own fields and the
 * user's rate, and the policy's fields as the API reads and writes them. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grouppolicy.h"
#include "values.h"
#include "../common/json.h"
#include "../common/util.h"

const char *const gp_field_names[GP_COUNT + 1] = {
	"destinations", "schedule", "sources", "rate", "isolate", "portal_login", "idle",
	"max_maps", NULL,
};

static bool group_has(const struct db_group_policy *p, enum gp_field f)
{
	switch (f) {
	case GP_DESTINATIONS: return p->has_destinations;
	case GP_SCHEDULE: return p->has_schedule;
	case GP_SOURCES: return p->has_sources;
	case GP_RATE: return p->has_rate;
	case GP_ISOLATE: return p->has_isolate;
	case GP_PORTAL_LOGIN: return p->has_portal_login;
	case GP_IDLE: return p->has_idle;
	case GP_MAX_MAPS: return p->has_max_maps;
	case GP_COUNT: break;
	}
	return false;
}

const char *group_policy_from(const struct db_group *g, enum gp_field f)
{
	return g && group_has(&g->policy, f) ? "group" : "file";
}

static int stored(char *why, size_t whylen, const char *field, const char *reason)
{
	snprintf(why, whylen, "%s: stored value does not parse: %s", field, reason);
	return -EINVAL;
}

int group_policy_resolve(const struct policy *file_defaults, const struct db_group *g,
			 const char *user_rate, struct policy *out, char *why, size_t whylen)
{
	const struct db_group_policy *p = g ? &g->policy : NULL;
	char reason[256];
	int r = 0;

	policy_copy(out, file_defaults);
	if (p && p->has_destinations) {
		struct policy_dest *d;
		size_t n;

		if (policy_dests_parse(p->destinations, &d, &n, reason, sizeof(reason)) < 0) {
			r = stored(why, whylen, "destinations", reason);
			goto out;
		}
		free(out->dests);
		out->dests = d;
		out->n_dests = n;
	}
	if (p && p->has_sources) {
		struct cidrv v;

		if (policy_sources_parse(p->sources, &v, reason, sizeof(reason)) < 0) {
			r = stored(why, whylen, "sources", reason);
			goto out;
		}
		cidrv_clear(&out->sources);
		out->sources = v;
	}
	if (p && p->has_schedule &&
	    policy_schedule_parse(p->schedule, &out->schedule, reason, sizeof(reason)) < 0) {
		r = stored(why, whylen, "schedule", reason);
		goto out;
	}
	if (p && p->has_rate &&
	    policy_rate_parse(p->rate, &out->rate, reason, sizeof(reason)) < 0) {
		r = stored(why, whylen, "rate", reason);
		goto out;
	}
	/* the user's own rate wins over the group's and the file's */
	if (user_rate && *user_rate &&
	    policy_rate_parse(user_rate, &out->rate, reason, sizeof(reason)) < 0) {
		r = stored(why, whylen, "user rate", reason);
		goto out;
	}
	if (p && p->has_isolate)
		out->isolate = p->isolate;
	if (p && p->has_portal_login)
		out->portal_login = p->portal_login;
	if (p && p->has_idle)
		out->idle_s = (uint32_t)p->idle_s;
	if (p && p->has_max_maps)
		out->max_maps = (uint32_t)p->max_maps;
out:
	if (r < 0)
		policy_clear(out);
	return r;
}

static int bad(char *why, size_t whylen, enum gp_field f, const char *reason)
{
	snprintf(why, whylen, "%s: %s", f < GP_COUNT ? gp_field_names[f] : "policy", reason);
	return -EINVAL;
}

/* Strings with a NUL inside would be cut short: refused. */
static bool whole_string(const struct json_value *v)
{
	return v->type == JSON_STRING && strlen(v->s) == v->slen;
}

/* A list field as one text: a string, or an array of strings joined by ", ". NULL with
 * why when it is neither. */
static char *list_text(const struct json_value *v, enum gp_field f, char *why, size_t whylen)
{
	size_t i, len = 1;
	char *s;

	if (whole_string(v))
		return xstrdup(v->s);
	if (v->type != JSON_ARRAY) {
		bad(why, whylen, f, "expected a list of strings, or null");
		return NULL;
	}
	for (i = 0; i < v->n; i++) {
		if (!whole_string(v->items[i])) {
			bad(why, whylen, f, "expected a list of strings, or null");
			return NULL;
		}
		len += v->items[i]->slen + 2;
	}
	s = xmalloc(len);
	s[0] = '\0';
	for (i = 0; i < v->n; i++) {
		if (i)
			strcat(s, ", ");
		strcat(s, v->items[i]->s);
	}
	return s;
}

int group_policy_field_set(struct db_group_policy *p, enum gp_field f,
			   const struct json_value *v, char *why, size_t whylen)
{
	char reason[256], *text = NULL, *canon = NULL;
	int r = 0;

	if (v->type == JSON_NULL) {
		switch (f) {
		case GP_DESTINATIONS: p->has_destinations = false; break;
		case GP_SCHEDULE: p->has_schedule = false; break;
		case GP_SOURCES: p->has_sources = false; break;
		case GP_RATE: p->has_rate = false; break;
		case GP_ISOLATE: p->has_isolate = false; break;
		case GP_PORTAL_LOGIN: p->has_portal_login = false; break;
		case GP_IDLE: p->has_idle = false; break;
		case GP_MAX_MAPS: p->has_max_maps = false; break;
		case GP_COUNT: return bad(why, whylen, f, "no such field");
		}
		return 0;
	}
	switch (f) {
	case GP_DESTINATIONS:
	case GP_SOURCES: {
		struct policy_dest *d = NULL;
		struct cidrv c = { 0 };
		size_t n;

		if (!(text = list_text(v, f, why, whylen)))
			return -EINVAL;
		canon = xmalloc(POLICY_STRLEN);
		if (f == GP_DESTINATIONS) {
			r = policy_dests_parse(text, &d, &n, reason, sizeof(reason));
			if (r == 0)
				policy_dests_fmt(d, n, canon, POLICY_STRLEN);
		} else {
			r = policy_sources_parse(text, &c, reason, sizeof(reason));
			if (r == 0)
				policy_sources_fmt(&c, canon, POLICY_STRLEN);
		}
		free(d);
		cidrv_clear(&c);
		if (r < 0) {
			bad(why, whylen, f, reason);
			break;
		}
		if (f == GP_DESTINATIONS) {
			snprintf(p->destinations, sizeof(p->destinations), "%s", canon);
			p->has_destinations = true;
		} else {
			snprintf(p->sources, sizeof(p->sources), "%s", canon);
			p->has_sources = true;
		}
		break;
	}
	case GP_SCHEDULE: {
		struct policy_schedule sch;

		if (!whole_string(v))
			return bad(why, whylen, f, "expected a string such as "
				   "\"Mon-Fri 08:00-18:00\", always, never, or null");
		if (policy_schedule_parse(v->s, &sch, reason, sizeof(reason)) < 0)
			return bad(why, whylen, f, reason);
		policy_schedule_fmt(&sch, p->schedule, sizeof(p->schedule));
		p->has_schedule = true;
		break;
	}
	case GP_RATE: {
		struct policy_rate rt;

		if (!whole_string(v))
			return bad(why, whylen, f, "expected a string such as \"20Mbit/5Mbit\", "
				   "unlimited, or null");
		if (policy_rate_parse(v->s, &rt, reason, sizeof(reason)) < 0)
			return bad(why, whylen, f, reason);
		policy_rate_fmt(&rt, p->rate, sizeof(p->rate));
		p->has_rate = true;
		break;
	}
	case GP_ISOLATE:
	case GP_PORTAL_LOGIN:
		if (v->type != JSON_BOOL)
			return bad(why, whylen, f, "expected true, false or null");
		if (f == GP_ISOLATE) {
			p->isolate = v->b;
			p->has_isolate = true;
		} else {
			p->portal_login = v->b;
			p->has_portal_login = true;
		}
		break;
	case GP_IDLE: {
		int64_t secs;

		if (v->type == JSON_NUMBER && v->is_u64 && v->u64 <= UINT32_MAX) {
			secs = (int64_t)v->u64;
		} else if (whole_string(v)) {
			if (values_parse_duration(v->s, &secs, reason, sizeof(reason)) < 0)
				return bad(why, whylen, f, reason);
			if (secs > UINT32_MAX)
				return bad(why, whylen, f, "longer than 4294967295 seconds");
		} else {
			return bad(why, whylen, f, "expected seconds (0: none), a duration such as "
				   "30m, or null");
		}
		p->idle_s = secs;
		p->has_idle = true;
		break;
	}
	case GP_MAX_MAPS:
		if (v->type != JSON_NUMBER || !v->is_u64 || v->u64 > 65535)
			return bad(why, whylen, f, "expected a number 0..65535, or null");
		p->max_maps = (int64_t)v->u64;
		p->has_max_maps = true;
		break;
	case GP_COUNT:
		return bad(why, whylen, f, "no such field");
	}
	free(text);
	free(canon);
	return r;
}

void group_policy_dest_json(const struct policy_dest *d, struct json *j)
{
	char buf[128], net[CIDR_STRLEN];

	json_obj_begin(j, NULL);
	json_str(j, "destination", policy_dests_fmt(d, 1, buf, sizeof(buf)));
	json_str(j, "network", cidr_fmt(&d->net, net));
	json_str(j, "protocol", d->proto == 6 ? "tcp" : d->proto == 17 ? "udp" : "any");
	if (!d->port_lo)
		json_null(j, "ports");
	else if (d->port_lo == d->port_hi)
		json_strf(j, "ports", "%u", d->port_lo);
	else
		json_strf(j, "ports", "%u-%u", d->port_lo, d->port_hi);
	json_end(j);
}

static void from(struct json *j, const struct db_group *g, enum gp_field f)
{
	json_str(j, "from", group_policy_from(g, f));
	json_end(j);
}

void group_policy_json(const struct policy *eff, const struct db_group *g, struct json *j,
		       const char *key)
{
	char *buf = xmalloc(POLICY_STRLEN);
	size_t i;

	json_obj_begin(j, key);
	json_obj_begin(j, "destinations");
	json_arr_begin(j, "value");
	for (i = 0; i < eff->n_dests; i++)
		json_str(j, NULL, policy_dests_fmt(&eff->dests[i], 1, buf, POLICY_STRLEN));
	json_end(j);
	from(j, g, GP_DESTINATIONS);
	json_obj_begin(j, "schedule");
	json_str(j, "value", policy_schedule_fmt(&eff->schedule, buf, POLICY_STRLEN));
	from(j, g, GP_SCHEDULE);
	json_obj_begin(j, "sources");
	json_arr_begin(j, "value");
	for (i = 0; i < eff->sources.n; i++) {
		struct cidrv one = { &eff->sources.v[i], 1 };

		json_str(j, NULL, policy_sources_fmt(&one, buf, POLICY_STRLEN));
	}
	json_end(j);
	from(j, g, GP_SOURCES);
	json_obj_begin(j, "rate");
	json_str(j, "value", policy_rate_fmt(&eff->rate, buf, POLICY_STRLEN));
	from(j, g, GP_RATE);
	json_obj_begin(j, "isolate");
	json_bool(j, "value", eff->isolate);
	from(j, g, GP_ISOLATE);
	json_obj_begin(j, "portal_login");
	json_bool(j, "value", eff->portal_login);
	from(j, g, GP_PORTAL_LOGIN);
	json_obj_begin(j, "idle");
	json_u64(j, "value", eff->idle_s);
	from(j, g, GP_IDLE);
	json_obj_begin(j, "max_maps");
	json_u64(j, "value", eff->max_maps);
	from(j, g, GP_MAX_MAPS);
	json_end(j);
	free(buf);
}
