/* Runtime settings (DESIGN 9): what admins change while the server runs, kept in the
 * database and laid over the file's values in the running configuration, so everything
 * that reads server_conf sees the effective value; the file's value is kept to show and
 * to fall back to. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "settings.h"
#include "server.h"
#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../profiles/conf.h"

enum kind { K_ENDPOINT, K_ADDRS, K_PREFIXES, K_U32, K_BOOL };

static const struct setting {
	const char *key;
	enum kind kind;
	uint32_t min, max;
} table[] = {
	{ "endpoint", K_ENDPOINT, 0, 0 },
	{ "dns", K_ADDRS, 0, 8 },
	{ "client_allowed_ips", K_PREFIXES, 0, 64 },
	{ "client_keepalive", K_U32, 0, 65535 },
	{ "mtu", K_U32, 1280, 9000 },
	{ "snat", K_BOOL, 0, 0 },
	{ "session_idle_s", K_U32, 30, 86400 },
	{ "session_retention_days", K_U32, 1, 3650 },
	{ "max_devices", K_U32, 1, 1000 },
};

_Static_assert(sizeof(table) / sizeof(table[0]) == SETTINGS_N, "SETTINGS_N");

static int find(const char *key)
{
	size_t i;

	for (i = 0; i < SETTINGS_N; i++)
		if (strcmp(table[i].key, key) == 0)
			return (int)i;
	return -1;
}

/* The value of setting k in c as JSON text (malloc'ed). */
static char *current(const struct server_conf *sc, int k)
{
	struct json j = { 0 };
	char buf[CIDR_STRLEN];
	const struct cidrv *v;
	size_t i;

	switch (k) {
	case 0:
		if (strchr(sc->endpoint_host, ':'))
			json_strf(&j, NULL, "[%s]:%u", sc->endpoint_host, sc->endpoint_port);
		else
			json_strf(&j, NULL, "%s:%u", sc->endpoint_host, sc->endpoint_port);
		break;
	case 1:
	case 2:
		v = k == 1 ? &sc->dns : &sc->client_allowed_ips;
		json_arr_begin(&j, NULL);
		for (i = 0; i < v->n; i++)   /* DNS servers are addresses, not prefixes */
			json_str(&j, NULL, k == 1 ? ip_fmt(&v->v[i], buf) : cidr_fmt(&v->v[i], buf));
		json_end(&j);
		break;
	case 3:
		json_u64(&j, NULL, sc->client_keepalive);
		break;
	case 4:
		json_u64(&j, NULL, sc->mtu);
		break;
	case 5:
		json_bool(&j, NULL, sc->snat);
		break;
	case 6:
		json_u64(&j, NULL, sc->session_idle_s);
		break;
	case 7:
		json_u64(&j, NULL, sc->session_retention_days);
		break;
	case 8:
		json_u64(&j, NULL, sc->max_devices);
		break;
	}
	return json_steal(&j, NULL);
}

/* Check v for setting k and, when sc is not NULL, put it there. 0 or -EINVAL (why). */
static int apply(struct server_conf *sc, int k, const struct json_value *v, char *why,
		 size_t whylen)
{
	const struct setting *t = &table[k];
	struct cidrv list = { 0 };
	char *host = NULL;
	const char *reason;
	uint16_t port;
	size_t i;

	switch (t->kind) {
	case K_ENDPOINT:
		if (v->type != JSON_STRING ||
		    conf_parse_endpoint(v->s, &host, &port, &reason) < 0) {
			snprintf(why, whylen, "endpoint: %s", v->type == JSON_STRING ? reason :
				 "expected \"host:port\"");
			return -EINVAL;
		}
		if (sc) {
			free(sc->endpoint_host);
			sc->endpoint_host = host;
			sc->endpoint_port = port;
		} else {
			free(host);
		}
		return 0;
	case K_ADDRS:
	case K_PREFIXES:
		if (v->type != JSON_ARRAY || v->n > t->max) {
			snprintf(why, whylen, "%s: expected a list of at most %u %s", t->key, t->max,
				 t->kind == K_ADDRS ? "addresses" : "prefixes");
			return -EINVAL;
		}
		for (i = 0; i < v->n; i++) {
			struct cidr c, m;

			if (v->items[i]->type != JSON_STRING || cidr_parse(&c, v->items[i]->s) < 0) {
				snprintf(why, whylen, "%s: item %zu: not %s", t->key, i + 1,
					 t->kind == K_ADDRS ? "an address" : "a prefix");
				cidrv_clear(&list);
				return -EINVAL;
			}
			m = c;
			cidr_mask(&m);
			if ((t->kind == K_ADDRS && c.prefix != (c.family == AF_INET ? 32 : 128)) ||
			    (t->kind == K_PREFIXES && memcmp(m.addr, c.addr, sizeof(c.addr)) != 0)) {
				snprintf(why, whylen, "%s: \"%.50s\": %s", t->key, v->items[i]->s,
					 t->kind == K_ADDRS ? "an address, not a prefix" :
					 "host bits set");
				cidrv_clear(&list);
				return -EINVAL;
			}
			cidrv_push(&list, &c);
		}
		if (sc) {
			struct cidrv *dst = t->kind == K_ADDRS ? &sc->dns : &sc->client_allowed_ips;

			cidrv_clear(dst);
			*dst = list;
		} else {
			cidrv_clear(&list);
		}
		return 0;
	case K_U32:
		if (v->type != JSON_NUMBER || !v->is_u64 || v->u64 < t->min || v->u64 > t->max) {
			snprintf(why, whylen, "%s: expected a whole number from %u to %u", t->key,
				 t->min, t->max);
			return -EINVAL;
		}
		if (!sc)
			return 0;
		if (k == 3)
			sc->client_keepalive = (uint16_t)v->u64;
		else if (k == 4)
			sc->mtu = (uint32_t)v->u64;
		else if (k == 6)
			sc->session_idle_s = (uint32_t)v->u64;
		else if (k == 7)
			sc->session_retention_days = (uint32_t)v->u64;
		else
			sc->max_devices = (uint32_t)v->u64;
		return 0;
	case K_BOOL:
		if (v->type != JSON_BOOL) {
			snprintf(why, whylen, "%s: expected true or false", t->key);
			return -EINVAL;
		}
		if (v->b && sc && !sc->egress[0]) {
			snprintf(why, whylen, "snat: needs server.egress in the file");
			return -EINVAL;
		}
		if (sc)
			sc->snat = v->b;
		return 0;
	}
	return -EINVAL;
}

static int apply_text(struct server_conf *sc, int k, const char *text, char *why, size_t whylen)
{
	struct json_value *v = NULL;
	int r;

	if (json_parse(text, strlen(text), &v, NULL, NULL) < 0) {
		snprintf(why, whylen, "%s: not JSON", table[k].key);
		return -EINVAL;
	}
	r = apply(sc, k, v, why, whylen);
	json_value_free(v);
	return r;
}

struct load_ctx {
	struct server *s;
};

static int load_one(const char *key, const char *value, int64_t updated, const char *by,
		    void *data)
{
	struct server *s = ((struct load_ctx *)data)->s;
	int k = find(key);
	char why[200];

	(void)updated;
	(void)by;
	if (k < 0) {
		log_warn("settings: %s in the database is no setting of this warren; ignored", key);
		return 0;
	}
	if (apply_text(&s->c->server, k, value, why, sizeof(why)) < 0)
		log_warn("settings: %s in the database: %s; the file's value stays", key, why);
	return 0;
}

void settings_clear(struct server *s)
{
	size_t i;

	for (i = 0; i < SETTINGS_N; i++) {
		free(s->file_settings[i]);
		s->file_settings[i] = NULL;
	}
}

int settings_overlay(struct server *s)
{
	struct load_ctx l = { s };
	size_t i;
	int r;

	settings_clear(s);
	for (i = 0; i < SETTINGS_N; i++)
		s->file_settings[i] = current(&s->c->server, (int)i);
	r = db_setting_list(s->db, load_one, &l);
	if (r < 0)
		log_err("settings: %s", db_errmsg(s->db));
	return r;
}

struct show_ctx {
	struct server *s;
	struct json *j;
	bool seen[SETTINGS_N];
	int64_t updated[SETTINGS_N];
	char by[SETTINGS_N][64];
};

static int note(const char *key, const char *value, int64_t updated, const char *by, void *data)
{
	struct show_ctx *x = data;
	int k = find(key);

	(void)value;
	if (k >= 0) {
		x->seen[k] = true;
		x->updated[k] = updated;
		snprintf(x->by[k], sizeof(x->by[k]), "%s", by);
	}
	return 0;
}

int settings_json(struct server *s, struct json *j)
{
	struct show_ctx x = { s, j, { false }, { 0 }, { { 0 } } };
	size_t i;
	int r = db_setting_list(s->db, note, &x);

	if (r < 0)
		return r;
	json_obj_begin(j, NULL);
	json_arr_begin(j, "settings");
	for (i = 0; i < SETTINGS_N; i++) {
		char *now = current(&s->c->server, (int)i);

		json_obj_begin(j, NULL);
		json_str(j, "key", table[i].key);
		json_value_raw(j, "value", now, strlen(now));
		json_value_raw(j, "file", s->file_settings[i], strlen(s->file_settings[i]));
		json_str(j, "origin", x.seen[i] ? "database" : "file");
		if (x.seen[i]) {
			json_i64(j, "updated", x.updated[i]);
			json_str(j, "updated_by", x.by[i]);
		}
		json_end(j);
		free(now);
	}
	json_end(j);
	json_end(j);
	return 0;
}

int settings_change(struct server *s, const char *key, const struct json_value *v,
		    const char *by, char *why, size_t whylen)
{
	struct json out = { 0 };
	int k = find(key), r;

	if (k < 0) {
		snprintf(why, whylen, "%.40s: no such setting", key);
		return -EINVAL;
	}
	if (!v || v->type == JSON_NULL) {
		/* Back to the file's value. */
		r = db_setting_delete(s->db, key);
		if (r < 0 && r != -ENOENT) {
			snprintf(why, whylen, "database: %s", db_errmsg(s->db));
			return r;
		}
		return apply_text(&s->c->server, k, s->file_settings[k], why, whylen);
	}
	r = apply(NULL, k, v, why, whylen);
	if (r < 0)
		return r;
	if (table[k].kind == K_BOOL && v->b && !s->c->server.egress[0]) {
		snprintf(why, whylen, "snat: needs server.egress in the file");
		return -EINVAL;
	}
	json_write_value(&out, NULL, v);
	r = db_setting_set(s->db, key, json_text(&out), time(NULL), by);
	if (r < 0)
		snprintf(why, whylen, "database: %s", db_errmsg(s->db));
	else
		r = apply(&s->c->server, k, v, why, whylen);
	json_clear(&out);
	return r;
}

int settings_check(const char *key, const struct json_value *v, char *why, size_t whylen)
{
	int k = find(key);

	if (k < 0) {
		snprintf(why, whylen, "%.40s: no such setting", key);
		return -EINVAL;
	}
	return !v || v->type == JSON_NULL ? 0 : apply(NULL, k, v, why, whylen);
}

const char *settings_key(size_t i)
{
	return i < SETTINGS_N ? table[i].key : NULL;
}
