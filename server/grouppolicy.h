/* A group's effective access policy: the file's server.policy, overridden field by field
 * by what the group sets in the database, and the rate by the user's own; where each
 * field came from, for the API; and the one notice that a group's or user's policy
 * changed. */
#ifndef WARREN_GROUPPOLICY_H
#define WARREN_GROUPPOLICY_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "../profiles/policy.h"

struct json;
struct json_value;
struct server;

/* The fields, in the order the API and the CLI show them. */
enum gp_field {
	GP_DESTINATIONS, GP_SCHEDULE, GP_SOURCES, GP_RATE, GP_ISOLATE, GP_PORTAL_LOGIN,
	GP_IDLE, GP_MAX_MAPS, GP_COUNT
};
/* "destinations", ..., "idle", "max_maps": the API's and the database's names. */
extern const char *const gp_field_names[GP_COUNT + 1];

/* out = file_defaults with g's own fields (g NULL: none) and then user_rate (NULL or "":
 * the group's) over them. 0, or -EINVAL with why naming the field when a stored value no
 * longer parses (out is left as policy_init makes it). out must hold a policy (from
 * policy_init or an earlier resolve): it is cleared first. */
int group_policy_resolve(const struct policy *file_defaults, const struct db_group *g,
			 const char *user_rate, struct policy *out, char *why, size_t whylen);

/* Where field f of g's effective policy comes from: "group" or "file" (g NULL: "file"). */
const char *group_policy_from(const struct db_group *g, enum gp_field f);

/* A field's value from the API or the CLI into p: null -> inherit (has_X false); a
 * string or a list of strings for destinations and sources, a string for schedule and
 * rate (stored in canonical text), true/false for isolate and portal_login, a number of
 * seconds or a DURATION ("30m") for idle, a number for max_maps. 0, or -EINVAL with
 * why = "FIELD: reason" (p untouched). Pure. */
int group_policy_field_set(struct db_group_policy *p, enum gp_field f,
			   const struct json_value *v, char *why, size_t whylen);

/* "policy": { FIELD: {"value": ..., "from": "group"|"file"}, ... } of the resolved
 * policy eff of g. */
void group_policy_json(const struct policy *eff, const struct db_group *g, struct json *j,
		       const char *key);
/* One destination as the portal shows it: {destination, network, protocol, ports}. */
void group_policy_dest_json(const struct policy_dest *d, struct json *j);

/* The policy of group_id (0: every group) or of user_id (0: none) changed: the
 * enforcement recomputes what it concerns. Called after the database holds the change.
 * (engine.c) */
void server_policy_changed(struct server *s, int64_t group_id, int64_t user_id);

#endif
