/* The operations table's machinery: routes, the one request parser every caller goes
 * through, who may call what, and the audit entry of each change. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "api.h"
#include "../server.h"
#include "../values.h"
#include "../../common/json.h"
#include "../../common/log.h"
#include "../../common/util.h"

const struct api_op *api_find(const char *name)
{
	size_t i;

	for (i = 0; i < api_n_ops; i++)
		if (strcmp(api_ops[i]->name, name) == 0)
			return api_ops[i];
	return NULL;
}

/* ---- routes ---- */

/* Percent-decode one path segment; false for a bad escape, a NUL, a '/' or no room. */
static bool seg_decode(const char *s, size_t n, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= n || hex_digit(s[i + 1]) < 0 || hex_digit(s[i + 2]) < 0)
				return false;
			c = hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]);
			i += 2;
		}
		if (c == 0 || c == '/' || o + 1 >= size)
			return false;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return o > 0;
}

/* Does path match the route's pattern? Parameters go to params. */
static bool route_match(const char *pattern, const char *path,
			char params[API_MAX_PARAMS][DB_NAME_MAX * 3 + 1], size_t *n)
{
	const char *p = pattern, *q = path;

	*n = 0;
	for (;;) {
		size_t pl = strcspn(p, "/"), ql = strcspn(q, "/");

		if (pl && p[0] == '{') {
			if (*n == API_MAX_PARAMS || !seg_decode(q, ql, params[*n], sizeof(params[0])))
				return false;
			(*n)++;
		} else if (pl != ql || memcmp(p, q, pl) != 0) {
			return false;
		}
		p += pl;
		q += ql;
		if (!*p || !*q)
			return !*p && !*q;
		p++;
		q++;
	}
}

const struct api_op *api_route(const char *method, const char *path,
			       char params[API_MAX_PARAMS][DB_NAME_MAX * 3 + 1], size_t *n,
			       int *status, char *allow, size_t allow_size)
{
	const struct api_op *found = NULL;
	size_t i, k, used = 0;

	*status = 404;
	if (allow_size)
		allow[0] = '\0';
	for (i = 0; i < api_n_ops && !found; i++) {
		const struct api_op *op = api_ops[i];

		if (!op->path || !route_match(op->path, path, params, &k))
			continue;
		if (strcmp(op->method, method) == 0) {
			found = op;
			*n = k;
			break;
		}
		*status = 405;
		if (!strstr(allow, op->method) && used + strlen(op->method) + 3 < allow_size)
			used += (size_t)snprintf(allow + used, allow_size - used, "%s%s",
						 used ? ", " : "", op->method);
	}
	if (found)
		*status = 0;
	return found;
}

/* ---- building the request object ---- */

static struct json_value *jv_new(enum json_type t)
{
	struct json_value *v = xcalloc(1, sizeof(*v));

	v->type = t;
	return v;
}

static struct json_value *jv_str(const char *s)
{
	struct json_value *v = jv_new(JSON_STRING);

	v->s = xstrdup(s);
	v->slen = strlen(s);
	return v;
}

static void jv_add(struct json_value *obj, const char *key, struct json_value *v)
{
	obj->keys = xrealloc(obj->keys, (obj->n + 1) * sizeof(*obj->keys));
	obj->items = xrealloc(obj->items, (obj->n + 1) * sizeof(*obj->items));
	obj->keys[obj->n] = xstrdup(key);
	obj->items[obj->n] = v;
	obj->n++;
}

static const struct api_field *field_find(const struct api_op *op, const char *name)
{
	const struct api_field *f;

	for (f = op->fields; f && f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

/* A query value as the field's type: numbers and booleans are written as text there. */
static struct json_value *query_value(const struct api_field *f, const char *text)
{
	struct json_value *v;
	char *end;

	if (f && f->type == API_U64 && *text && strspn(text, "0123456789") == strlen(text) &&
	    strlen(text) < 20) {
		v = jv_new(JSON_NUMBER);
		v->u64 = strtoull(text, &end, 10);
		v->i64 = (int64_t)v->u64;
		v->is_u64 = v->is_i64 = true;
		v->d = (double)v->u64;
		return v;
	}
	if (f && f->type == API_BOOL && (strcmp(text, "true") == 0 || strcmp(text, "1") == 0 ||
					 strcmp(text, "false") == 0 || strcmp(text, "0") == 0)) {
		v = jv_new(JSON_BOOL);
		v->b = text[0] == 't' || text[0] == '1';
		return v;
	}
	return jv_str(text);
}

static bool has_key(const struct json_value *obj, const char *key)
{
	size_t i;

	for (i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return true;
	return false;
}

/* Percent-decode a query part (with '+' as space) into a new string; NULL when bad. */
static char *query_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= n || hex_digit(s[i + 1]) < 0 || hex_digit(s[i + 2]) < 0)
				goto bad;
			c = hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c == 0)
			goto bad;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

int api_input(const struct api_op *op, char params[API_MAX_PARAMS][DB_NAME_MAX * 3 + 1],
	      size_t n_params, const char *query, const char *body, size_t body_len,
	      struct json_value **out, char *why, size_t whylen)
{
	struct json_value *doc = NULL;
	const struct api_field *f;
	const char *err = NULL, *p, *pat;
	size_t off = 0, i, k = 0;

	*out = NULL;
	if (body && body_len) {
		if (json_parse(body, body_len, &doc, &err, &off) < 0) {
			snprintf(why, whylen, "body: %s at byte %zu", err ? err : "not JSON", off);
			return -EINVAL;
		}
		if (doc->type != JSON_OBJECT) {
			snprintf(why, whylen, "body: expected a JSON object");
			goto fail;
		}
		for (i = 0; i < doc->n; i++) {
			for (k = 0; k < i; k++) {
				if (strcmp(doc->keys[i], doc->keys[k]) == 0) {
					snprintf(why, whylen, "%.40s: given twice", doc->keys[i]);
					goto fail;
				}
			}
			f = field_find(op, doc->keys[i]);
			if (f && (f->flags & API_PATH)) {
				snprintf(why, whylen, "%.40s: belongs in the path", doc->keys[i]);
				goto fail;
			}
		}
	} else {
		doc = jv_new(JSON_OBJECT);
	}
	/* The path's parameters, named as the pattern names them. */
	for (pat = op->path, k = 0; pat && (pat = strchr(pat, '{')) && k < n_params; k++) {
		char name[32];
		size_t len = strcspn(pat + 1, "}");

		snprintf(name, sizeof(name), "%.*s", (int)len, pat + 1);
		/* text like the query's: an {id} is a number */
		jv_add(doc, name, query_value(field_find(op, name), params[k]));
		pat += len + 1;
	}
	for (p = query; p && *p;) {
		size_t len = strcspn(p, "&"), eq = strcspn(p, "=");
		char *key, *val;

		if (len == 0) {
			p++;
			continue;
		}
		if (eq > len)
			eq = len;
		key = query_decode(p, eq);
		val = eq < len ? query_decode(p + eq + 1, len - eq - 1) : xstrdup("");
		if (!key || !val || !*key) {
			free(key);
			free(val);
			snprintf(why, whylen, "query: bad percent-encoding");
			goto fail;
		}
		f = field_find(op, key);
		if ((f && (f->flags & API_PATH)) || has_key(doc, key)) {
			snprintf(why, whylen, "%.40s: %s", key, f && (f->flags & API_PATH) ?
				 "belongs in the path" : "given twice");
			free(key);
			free(val);
			goto fail;
		}
		jv_add(doc, key, query_value(f, val));
		free(key);
		free(val);
		p += len;
	}
	*out = doc;
	return 0;
fail:
	json_value_free(doc);
	return -EINVAL;
}

/* ---- parsing ---- */

static const char *label(const struct api_field *f)
{
	return f->label ? f->label : f->name;
}

/* Printable text: no control characters and no NUL inside. */
static bool text_ok(const struct json_value *v, bool lines)
{
	size_t i;

	if (v->slen != strlen(v->s))
		return false;
	for (i = 0; i < v->slen; i++) {
		unsigned char c = (unsigned char)v->s[i];

		if ((c < 0x20 && !(lines && (c == '\n' || c == '\r' || c == '\t'))) || c == 0x7f)
			return false;
	}
	return true;
}

static int bad(char *why, size_t whylen, const struct api_field *f, const char *reason)
{
	snprintf(why, whylen, "%s: %s", label(f), reason);
	return -EINVAL;
}

/* Characters (code points) of text the JSON reader has checked is UTF-8. */
static size_t utf8_chars(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

/* A length in characters, for fields that give one (max): min..max. */
static int check_chars(const struct api_field *f, const struct json_value *v, char *why,
		       size_t whylen)
{
	size_t n;

	if (!f->max)
		return 0;
	n = utf8_chars(v->s, v->slen);
	if (n < f->min)
		return bad(why, whylen, f, f->min == 1 ? "empty" : "too short");
	if (n > f->max) {
		snprintf(why, whylen, "%s: longer than %llu characters", label(f),
			 (unsigned long long)f->max);
		return -EINVAL;
	}
	return 0;
}

static int parse_field(const struct api_field *f, const struct json_value *v, char *base,
		       char *why, size_t whylen)
{
	void *dst = base + f->off;

	if (v->type == JSON_NULL && !(f->flags & API_NULL))
		return bad(why, whylen, f, "null is not allowed");
	switch (f->type) {
	case API_STR:
	case API_NAME:
		if (v->type == JSON_NULL) {
			/* allowed (API_NULL): "" with has_ set, back to the default */
			*(char *)dst = '\0';
			return 0;
		}
		if (v->type != JSON_STRING)
			return bad(why, whylen, f, "expected a string");
		if (!text_ok(v, false))
			return bad(why, whylen, f, "control characters are not allowed");
		if (check_chars(f, v, why, whylen) < 0)
			return -EINVAL;
		if (v->slen >= f->size) {
			snprintf(why, whylen, "%s: longer than %zu bytes", label(f), f->size - 1);
			return -EINVAL;
		}
		if (f->type == API_NAME && !values_name_ok(label(f), v->s, why, whylen))
			return -EINVAL;
		memcpy(dst, v->s, v->slen + 1);
		return 0;
	case API_TEXT:
		if (v->type != JSON_STRING)
			return bad(why, whylen, f, "expected a string");
		if (!text_ok(v, true))
			return bad(why, whylen, f, "control characters are not allowed");
		if (check_chars(f, v, why, whylen) < 0)
			return -EINVAL;
		if (v->slen >= f->size)
			return bad(why, whylen, f, "too long");
		*(char **)dst = xstrdup(v->s);
		return 0;
	case API_BOOL:
		if (v->type != JSON_BOOL)
			return bad(why, whylen, f, "expected true or false");
		*(bool *)dst = v->b;
		return 0;
	case API_U64:
		if (v->type != JSON_NUMBER || !v->is_u64)
			return bad(why, whylen, f, "expected a whole number");
		if (v->u64 < f->min || v->u64 > f->max) {
			snprintf(why, whylen, "%s: %llu is out of range (%llu..%llu)", label(f),
				 (unsigned long long)v->u64, (unsigned long long)f->min,
				 (unsigned long long)f->max);
			return -EINVAL;
		}
		if (f->size == sizeof(uint64_t))
			*(uint64_t *)dst = v->u64;
		else
			*(int *)dst = (int)v->u64;
		return 0;
	case API_EXPIRY: {
		struct api_expiry *e = dst;
		int64_t at;

		if (v->type == JSON_NULL)
			return 0;
		if (v->type != JSON_STRING || v->slen >= sizeof(e->text))
			return bad(why, whylen, f, "expected a date YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]], a duration such as 30d, or null");
		if (values_parse_expiry(v->s, 0, &at, why, whylen) < 0)
			return -EINVAL;
		memcpy(e->text, v->s, v->slen + 1);
		return 0;
	}
	case API_DATE:
		if (v->type == JSON_NULL) {
			*(int64_t *)dst = 0;    /* allowed (API_NULL): none */
			return 0;
		}
		if (v->type != JSON_STRING)
			return bad(why, whylen, f, "expected a date YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]");
		if (values_parse_date(v->s, (int64_t *)dst, why, whylen) < 0) {
			char reason[200];

			/* named: a request may have more than one date */
			snprintf(reason, sizeof(reason), "%s", why);
			snprintf(why, whylen, "%s: %s", label(f), reason);
			return -EINVAL;
		}
		return 0;
	case API_SIZE: {
		struct api_size *sz = dst;

		if (v->type == JSON_NULL)
			return 0;
		if (v->type != JSON_STRING)
			return bad(why, whylen, f, "expected a size such as 50GiB or 50GiB/month, or null");
		return values_parse_size(v->s, &sz->bytes, &sz->monthly, why, whylen);
	}
	case API_KEY:
		if (v->type != JSON_STRING || key_from_base64(dst, v->s) < 0 ||
		    sodium_is_zero(dst, KEY_LEN))
			return bad(why, whylen, f, "not a WireGuard public key");
		return 0;
	case API_ENUM: {
		size_t i;

		if (v->type != JSON_STRING)
			return bad(why, whylen, f, "expected a string");
		for (i = 0; f->choices[i]; i++) {
			if (strcmp(f->choices[i], v->s) == 0) {
				*(int *)dst = (int)i;
				return 0;
			}
		}
		{
			char list[160] = "";
			size_t used = 0;

			for (i = 0; f->choices[i] && used + 20 < sizeof(list); i++)
				used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
							 i ? ", " : "", f->choices[i]);
			snprintf(why, whylen, "%s: expected one of %s", label(f), list);
		}
		return -EINVAL;
	}
	case API_LIST: {
		struct api_list *l = dst;
		size_t i;

		if (v->type == JSON_NULL) {
			l->null = true;
			return 0;
		}
		if (v->type != JSON_ARRAY)
			return bad(why, whylen, f, "expected a list of strings");
		if (v->n > f->max) {
			snprintf(why, whylen, "%s: at most %llu items", label(f),
				 (unsigned long long)f->max);
			return -EINVAL;
		}
		l->v = xcalloc(v->n + 1, sizeof(*l->v));
		for (i = 0; i < v->n; i++) {
			const struct json_value *it = v->items[i];

			if (it->type != JSON_STRING || !text_ok(it, false) || it->slen >= f->min) {
				snprintf(why, whylen, "%s: item %zu: expected a string of at most %llu bytes",
					 label(f), i + 1, (unsigned long long)(f->min - 1));
				return -EINVAL;
			}
			l->v[l->n++] = xstrdup(it->s);
		}
		return 0;
	}
	case API_ANY: {
		struct json j = { 0 };

		json_write_value(&j, NULL, v);
		*(char **)dst = json_steal(&j, NULL);
		return 0;
	}
	case API_CURSOR:
		if (v->type != JSON_STRING || v->slen > DB_CURSOR_MAX ||
		    strspn(v->s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~") != v->slen)
			return bad(why, whylen, f, "not a cursor this server gave");
		memcpy(dst, v->s, v->slen + 1);
		return 0;
	}
	return bad(why, whylen, f, "unknown type");
}

int api_parse(const struct api_op *op, const struct json_value *in, void *req, char *why,
	      size_t whylen)
{
	const struct api_field *f;
	char *base = req;
	size_t i, k;
	int r;

	memset(req, 0, op->req_size);
	if (!in || in->type != JSON_OBJECT) {
		snprintf(why, whylen, "request: expected a JSON object");
		return -EINVAL;
	}
	for (i = 0; i < in->n; i++) {
		for (k = 0; k < i; k++) {
			if (strcmp(in->keys[i], in->keys[k]) == 0) {
				snprintf(why, whylen, "%.40s: given twice", in->keys[i]);
				goto fail;
			}
		}
		f = field_find(op, in->keys[i]);
		if (!f) {
			char q[44];
			size_t n;

			for (n = 0; in->keys[i][n] && n < 40; n++)
				q[n] = (unsigned char)in->keys[i][n] < 0x20 ||
				       (unsigned char)in->keys[i][n] >= 0x7f ? '?' : in->keys[i][n];
			q[n] = '\0';
			snprintf(why, whylen, "%s: unknown field", q);
			goto fail;
		}
		r = parse_field(f, in->items[i], base, why, whylen);
		if (r < 0)
			goto fail;
		*(bool *)(base + f->set_off) = true;
	}
	for (f = op->fields; f && f->name; f++) {
		if ((f->flags & API_REQUIRED) && !*(bool *)(base + f->set_off)) {
			snprintf(why, whylen, "%s: missing", label(f));
			goto fail;
		}
	}
	if (op->check && op->check(req, why, whylen) < 0)
		goto fail;
	return 0;
fail:
	api_req_clear(op, req);
	return -EINVAL;
}

void api_req_clear(const struct api_op *op, void *req)
{
	const struct api_field *f;

	for (f = op->fields; f && f->name; f++) {
		if (f->type == API_TEXT || f->type == API_ANY) {
			char **t = (char **)((char *)req + f->off);

			if (*t) {
				sodium_memzero(*t, strlen(*t));
				free(*t);
				*t = NULL;
			}
		} else if (f->type == API_LIST) {
			struct api_list *l = (struct api_list *)((char *)req + f->off);
			size_t i;

			for (i = 0; i < l->n; i++)
				free(l->v[i]);
			free(l->v);
			memset(l, 0, sizeof(*l));
		}
	}
	sodium_memzero(req, op->req_size);
}

int api_expiry_at(const struct api_expiry *e, int64_t now, int64_t *at)
{
	if (!e->text[0]) {
		*at = 0;
		return 0;
	}
	return values_parse_expiry(e->text, now, at, NULL, 0);
}

/* ---- who may call what ---- */

int api_allowed(const struct api_op *op, const struct api_caller *who, char *why,
		size_t whylen)
{
	if (who->kind == API_CALLER_SOCKET)
		return 0;
	if ((op->flags & API_SOCKET) || !op->path) {
		snprintf(why, whylen, "not found");
		return 404;
	}
	if (op->role == API_ANYONE)
		return 0;
	if (who->kind == API_CALLER_ANON) {
		snprintf(why, whylen, "unauthorized");
		return 401;
	}
	if (who->must_change_password && !(op->flags & API_BEFORE_CHANGE)) {
		snprintf(why, whylen, "password change required");
		return 403;
	}
	if (who->must_enrol_totp && !(op->flags & API_BEFORE_CHANGE)) {
		snprintf(why, whylen, "TOTP enrolment required");
		return 403;
	}
	switch (op->role) {
	case API_USER:
		if (who->kind == API_CALLER_USER)
			return 0;
		break;
	case API_SELF:
		if (who->kind == API_CALLER_USER || who->kind == API_CALLER_ADMIN ||
		    who->kind == API_CALLER_TOKEN)
			return 0;
		break;
	case API_VIEWER:
		if (who->kind == API_CALLER_ADMIN || who->kind == API_CALLER_TOKEN)
			return 0;
		break;
	case API_ADMIN:
		if ((who->kind == API_CALLER_ADMIN || who->kind == API_CALLER_TOKEN) &&
		    who->role == DB_ROLE_ADMIN)
			return 0;
		break;
	default:
		break;
	}
	snprintf(why, whylen, "forbidden");
	return 403;
}

int api_status(int r)
{
	switch (r) {
	case 0:
		return 200;
	case -ENOENT:
		return 404;
	case -EEXIST:
	case -EPERM:
	case -ENOSPC:
		return 409;
	case -EINVAL:
		return 400;
	case -EACCES:
		return 403;
	case -EKEYREJECTED:
		return 401;
	case -EAGAIN:
		return 429;
	case -EBUSY:
		return 503;
	case -E2BIG:
		return 413;
	default:
		return 500;
	}
}

uint64_t api_caller_owner(const struct api_caller *who)
{
	uint8_t a[16];
	uint32_t v4;
	uint64_t v6;

	if (inet_pton(AF_INET, who->source, &v4) == 1)
		return (1ull << 32) | ntohl(v4);
	if (inet_pton(AF_INET6, who->source, a) != 1)
		return 0;
	if (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		memcpy(&v4, a + 12, 4);
		return (1ull << 32) | ntohl(v4);
	}
	memcpy(&v6, a, 8);    /* the /64: one site, one owner */
	return v6;
}

/* ---- running, and the audit ---- */

void api_caller_name(const struct api_caller *who, char *out, size_t size)
{
	static const char *const kind[] = { "anonymous", "socket", "admin", "token", "user" };

	if (who->kind == API_CALLER_SOCKET || who->kind == API_CALLER_ANON || !who->name[0])
		snprintf(out, size, "%s", kind[who->kind]);
	else
		snprintf(out, size, "%s:%s", kind[who->kind], who->name);
}

void api_caller_sockaddr(const struct api_caller *who, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, who->source, &in->sin_addr) == 1)
		in->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, who->source, &in6->sin6_addr) == 1)
		in6->sin6_family = AF_INET6;
}

/* The request's fields worth keeping: everything but secrets and large texts. */
static void audit_detail(const struct api_op *op, const void *req, char *out, size_t size)
{
	const struct api_field *f;
	const char *base = req;
	struct json j = { 0 };
	char key[KEY_B64_LEN];

	json_obj_begin(&j, NULL);
	for (f = op->fields; f && f->name; f++) {
		const void *v = base + f->off;

		if (!*(const bool *)(base + f->set_off) || (f->flags & (API_SECRET | API_PATH)))
			continue;
		switch (f->type) {
		case API_STR:
		case API_NAME:
		case API_CURSOR:
			/* "" given as null (API_NULL) is written as it came */
			json_str(&j, f->name, (f->flags & API_NULL) && !*(const char *)v ? NULL : v);
			break;
		case API_BOOL:
			json_bool(&j, f->name, *(const bool *)v);
			break;
		case API_U64:
			json_u64(&j, f->name, f->size == sizeof(uint64_t) ? *(const uint64_t *)v :
					      (uint64_t)*(const int *)v);
			break;
		case API_EXPIRY:
			json_str(&j, f->name, ((const struct api_expiry *)v)->text[0] ?
				 ((const struct api_expiry *)v)->text : NULL);
			break;
		case API_DATE:
			if ((f->flags & API_NULL) && !*(const int64_t *)v)
				json_null(&j, f->name);
			else
				json_i64(&j, f->name, *(const int64_t *)v);
			break;
		case API_SIZE:
			if (((const struct api_size *)v)->bytes)
				json_u64(&j, f->name, ((const struct api_size *)v)->bytes);
			else
				json_null(&j, f->name);
			break;
		case API_KEY:
			key_to_base64(key, v);
			json_str(&j, f->name, key);
			break;
		case API_ENUM:
			json_str(&j, f->name, f->choices[*(const int *)v]);
			break;
		case API_TEXT:
			json_u64(&j, f->name, strlen(*(char *const *)v));
			break;
		case API_ANY:
			json_value_raw(&j, f->name, *(char *const *)v, strlen(*(char *const *)v));
			break;
		case API_LIST: {
			const struct api_list *l = v;
			size_t i;

			if (l->null) {
				json_null(&j, f->name);
				break;
			}
			json_arr_begin(&j, f->name);
			for (i = 0; i < l->n && i < 20; i++)
				json_str(&j, NULL, l->v[i]);
			json_end(&j);
			break;
		}
		}
	}
	json_end(&j);
	if (json_len(&j) < size)
		snprintf(out, size, "%s", json_text(&j));
	else
		snprintf(out, size, "{\"truncated\":true}");
	json_clear(&j);
}

struct api_call *api_call_new(struct server *s, const struct api_op *op,
			      const struct api_caller *who, void (*done)(struct api_call *c),
			      void *data)
{
	struct api_call *c = xcalloc(1, sizeof(*c));

	c->s = s;
	c->op = op;
	c->who = *who;
	c->req = xcalloc(1, op->req_size ? op->req_size : 1);
	c->reply = xcalloc(1, sizeof(*c->reply));
	c->done = done;
	c->data = data;
	return c;
}

void api_call_free(struct api_call *c)
{
	if (!c)
		return;
	api_req_clear(c->op, c->req);
	free(c->req);
	json_clear(c->reply);
	free(c->reply);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

void api_run(struct api_call *c)
{
	int r;

	if (!c->status)
		c->status = 200;
	r = c->op->fn(c);
	if (r != API_DEFERRED)
		api_finish(c, r);
}

void api_finish(struct api_call *c, int r)
{
	struct db_audit a = { 0 };

	if (!c->status)
		c->status = 200;
	if (r < 0) {
		c->status = api_status(r);
		if (!c->error[0])
			snprintf(c->error, sizeof(c->error), "%s", strerror(-r));
	}
	if ((c->op->flags & API_CHANGES) && !c->no_audit) {
		a.at = time(NULL);
		api_caller_name(&c->who, a.actor, sizeof(a.actor));
		snprintf(a.source, sizeof(a.source), "%s", c->who.source);
		snprintf(a.op, sizeof(a.op), "%s", c->op->name);
		snprintf(a.target, sizeof(a.target), "%s", c->target);
		a.status = c->status;
		audit_detail(c->op, c->req, a.detail, sizeof(a.detail));
		if (db_audit_add(c->s->db, &a) < 0)
			log_warn("audit: %s", db_errmsg(c->s->db));
	}
	if (c->done)
		c->done(c);
	api_call_free(c);
}
