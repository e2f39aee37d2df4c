/* Runtime settings (DESIGN 9): database values laid over the file's in the running
 * configuration, each shown with where it comes from. */
#ifndef WARREN_SETTINGS_H
#define WARREN_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

struct json;
struct json_value;
struct server;

/* endpoint, dns, client_allowed_ips, client_keepalive, mtu, snat, session_idle_s,
 * session_retention_days, max_devices */
#define SETTINGS_N 9

/* Remember the file's values, then lay the database's over s->c->server. Called after
 * every (re)load of the file. 0 or -errno (the database could not be read: logged). */
int settings_overlay(struct server *s);
void settings_clear(struct server *s);
/* {"settings": [{key, value, file, origin, updated, updated_by}]} */
int settings_json(struct server *s, struct json *j);
/* Check a value for key (null: back to the file's) without changing anything. */
int settings_check(const char *key, const struct json_value *v, char *why, size_t whylen);
/* Store and apply one; v NULL or null goes back to the file's value. 0 or -errno, why. */
int settings_change(struct server *s, const char *key, const struct json_value *v,
		    const char *by, char *why, size_t whylen);
/* The i-th key, NULL past the last. */
const char *settings_key(size_t i);

#endif
