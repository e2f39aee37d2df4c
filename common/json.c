/* JSON writer (streaming, into a growable buffer) and strict reader (into a tree). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

/* ---- UTF-8 ---- */

/* Length of the well-formed UTF-8 sequence at s (Unicode 15, table 3-7: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* ---- writer ---- */

static void grow(struct json *j, size_t more)
{
	size_t need = j->len + more + 1;

	if (need <= j->cap)
		return;
	if (j->cap == 0)
		j->cap = 256;
	while (j->cap < need)
		j->cap *= 2;
	j->buf = xrealloc(j->buf, j->cap);
}

void json_raw(struct json *j, const char *s, size_t len)
{
	grow(j, len);
	if (len)
		memcpy(j->buf + j->len, s, len);
	j->len += len;
	j->buf[j->len] = '\0';
}

static void vrawf(struct json *j, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void vrawf(struct json *j, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return;
	grow(j, (size_t)n);
	vsnprintf(j->buf + j->len, (size_t)n + 1, fmt, ap);
	j->len += (size_t)n;
}

void json_rawf(struct json *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vrawf(j, fmt, ap);
	va_end(ap);
}

static void putc_(struct json *j, char c)
{
	json_raw(j, &c, 1);
}

void json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
}

void json_clear(struct json *j)
{
	free(j->buf);
	json_init(j);
}

void json_reset(struct json *j)
{
	char *buf = j->buf;
	size_t cap = j->cap;

	json_init(j);
	j->buf = buf;
	j->cap = cap;
	if (buf)
		buf[0] = '\0';
}

const char *json_text(const struct json *j)
{
	return j->buf ? j->buf : "";
}

size_t json_len(const struct json *j)
{
	return j->len;
}

char *json_steal(struct json *j, size_t *len)
{
	char *p = j->buf ? j->buf : xstrdup("");

	if (len)
		*len = j->len;
	json_init(j);
	return p;
}

static void escape(struct json *j, const char *val, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)val;
	size_t i = 0, run;

	putc_(j, '"');
	while (i < len) {
		/* Copy the longest stretch that needs no escaping in one go. */
		for (run = i; run < len && s[run] >= 0x20 && s[run] < 0x7f && s[run] != '"' &&
			      s[run] != '\\'; run++)
			;
		if (run > i) {
			json_raw(j, val + i, run - i);
			i = run;
			continue;
		}
		switch (s[i]) {
		case '"': json_raw(j, "\\\"", 2); break;
		case '\\': json_raw(j, "\\\\", 2); break;
		case '\b': json_raw(j, "\\b", 2); break;
		case '\f': json_raw(j, "\\f", 2); break;
		case '\n': json_raw(j, "\\n", 2); break;
		case '\r': json_raw(j, "\\r", 2); break;
		case '\t': json_raw(j, "\\t", 2); break;
		default:
			if (s[i] < 0x20 || s[i] == 0x7f) {
				char u[6] = { '\\', 'u', '0', '0', hex[s[i] >> 4], hex[s[i] & 15] };

				json_raw(j, u, sizeof(u));
			} else {
				size_t n = utf8_seq(s + i, len - i);

				if (n) {
					json_raw(j, val + i, n);
					i += n;
					continue;
				}
				json_raw(j, "\xef\xbf\xbd", 3);   /* U+FFFD for each bad byte */
			}
		}
		i++;
	}
	putc_(j, '"');
}

static void misuse(const char *what)
{
	fprintf(stderr, "warren: json writer misuse: %s\n", what);
	abort();
}

/* Comma and key before a value; inside an object a NULL key is written as "". */
static void member(struct json *j, const char *key)
{
	unsigned d = j->depth;

	if (d > 0) {
		if (j->had_member[d])
			putc_(j, ',');
		j->had_member[d] = true;
		if (!j->in_array[d]) {
			escape(j, key ? key : "", key ? strlen(key) : 0);
			putc_(j, ':');
		}
	}
}

static void open_(struct json *j, const char *key, bool array)
{
	member(j, key);
	if (j->depth >= JSON_MAX_DEPTH)
		misuse("nested too deep");
	j->depth++;
	j->had_member[j->depth] = false;
	j->in_array[j->depth] = array;
	putc_(j, array ? '[' : '{');
}

void json_obj_begin(struct json *j, const char *key)
{
	open_(j, key, false);
}

void json_write_value(struct json *j, const char *key, const struct json_value *v)
{
	size_t i;

	switch (v->type) {
	case JSON_NULL:
		json_null(j, key);
		break;
	case JSON_BOOL:
		json_bool(j, key, v->b);
		break;
	case JSON_NUMBER:
		if (v->is_u64)
			json_u64(j, key, v->u64);
		else if (v->is_i64)
			json_i64(j, key, v->i64);
		else {
			member(j, key);
			json_rawf(j, "%.17g", v->d);
		}
		break;
	case JSON_STRING:
		json_strn(j, key, v->s, v->slen);
		break;
	case JSON_ARRAY:
		json_arr_begin(j, key);
		for (i = 0; i < v->n; i++)
			json_write_value(j, NULL, v->items[i]);
		json_end(j);
		break;
	case JSON_OBJECT:
		json_obj_begin(j, key);
		for (i = 0; i < v->n; i++)
			json_write_value(j, v->keys[i], v->items[i]);
		json_end(j);
		break;
	}
}

void json_value_raw(struct json *j, const char *key, const char *text, size_t len)
{
	member(j, key);
	json_raw(j, text, len);
}

void json_arr_begin(struct json *j, const char *key)
{
	open_(j, key, true);
}

void json_end(struct json *j)
{
	if (j->depth == 0)
		misuse("json_end without an open object or array");
	putc_(j, j->in_array[j->depth] ? ']' : '}');
	j->depth--;
}

void json_strn(struct json *j, const char *key, const char *val, size_t len)
{
	member(j, key);
	if (val)
		escape(j, val, len);
	else
		json_raw(j, "null", 4);
}

void json_str(struct json *j, const char *key, const char *val)
{
	json_strn(j, key, val, val ? strlen(val) : 0);
}

void json_strf(struct json *j, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		misuse("out of memory");
	json_strn(j, key, s, (size_t)n);
	free(s);
}

void json_u64(struct json *j, const char *key, uint64_t val)
{
	member(j, key);
	json_rawf(j, "%" PRIu64, val);
}

void json_i64(struct json *j, const char *key, int64_t val)
{
	member(j, key);
	json_rawf(j, "%" PRId64, val);
}

void json_bool(struct json *j, const char *key, bool val)
{
	member(j, key);
	json_raw(j, val ? "true" : "false", val ? 4 : 5);
}

void json_null(struct json *j, const char *key)
{
	member(j, key);
	json_raw(j, "null", 4);
}

/* ---- reader ---- */

struct parser {
	const unsigned char *s;
	size_t len, pos;
	const char *err;
};

static struct json_value *parse_value(struct parser *p, unsigned depth);

static int fail(struct parser *p, const char *err)
{
	if (!p->err)
		p->err = err;
	return -EINVAL;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static bool literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return false;
	p->pos += n;
	return true;
}

static int hex4(struct parser *p, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (p->len - p->pos < 4)
		return fail(p, "truncated \\u escape");
	for (i = 0; i < 4; i++) {
		unsigned char c = p->s[p->pos + i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return fail(p, "bad hex digit in \\u escape");
	}
	p->pos += 4;
	*out = v;
	return 0;
}

static void put_utf8(struct json *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	json_raw(b, u, n);
}

/* At the opening quote; fills *s (allocated, NUL-terminated) and *slen. */
static int parse_string(struct parser *p, char **s, size_t *slen)
{
	struct json b = { 0 };
	unsigned cp, lo;
	size_t start, n;

	p->pos++;
	for (;;) {
		start = p->pos;
		while (p->pos < p->len && p->s[p->pos] != '"' && p->s[p->pos] != '\\' &&
		       p->s[p->pos] >= 0x20 && p->s[p->pos] < 0x80)
			p->pos++;
		json_raw(&b, (const char *)p->s + start, p->pos - start);
		if (p->pos >= p->len) {
			fail(p, "unterminated string");
			goto bad;
		}
		if (p->s[p->pos] == '"') {
			p->pos++;
			break;
		}
		if (p->s[p->pos] < 0x20) {
			fail(p, "control character in string");
			goto bad;
		}
		if (p->s[p->pos] >= 0x80) {
			n = utf8_seq(p->s + p->pos, p->len - p->pos);
			if (!n) {
				fail(p, "invalid UTF-8 in string");
				goto bad;
			}
			json_raw(&b, (const char *)p->s + p->pos, n);
			p->pos += n;
			continue;
		}
		/* a backslash */
		if (++p->pos >= p->len) {
			fail(p, "unterminated string");
			goto bad;
		}
		switch (p->s[p->pos++]) {
		case '"': putc_(&b, '"'); break;
		case '\\': putc_(&b, '\\'); break;
		case '/': putc_(&b, '/'); break;
		case 'b': putc_(&b, '\b'); break;
		case 'f': putc_(&b, '\f'); break;
		case 'n': putc_(&b, '\n'); break;
		case 'r': putc_(&b, '\r'); break;
		case 't': putc_(&b, '\t'); break;
		case 'u':
			if (hex4(p, &cp) < 0)
				goto bad;
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				fail(p, "unpaired surrogate in \\u escape");
				goto bad;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (!literal(p, "\\u") || hex4(p, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff) {
					fail(p, "unpaired surrogate in \\u escape");
					goto bad;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			put_utf8(&b, cp);
			break;
		default:
			p->pos--;
			fail(p, "bad escape in string");
			goto bad;
		}
	}
	*s = json_steal(&b, slen);
	return 0;
bad:
	json_clear(&b);
	return -EINVAL;
}

static int parse_number(struct parser *p, struct json_value *v)
{
	size_t start = p->pos;
	bool integer = true;
	char *tok, *end;

	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
		return fail(p, "bad number");
	if (p->s[p->pos] == '0') {
		p->pos++;
	} else {
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && p->s[p->pos] == '.') {
		integer = false;
		p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			return fail(p, "bad number: digits must follow the decimal point");
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		integer = false;
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			return fail(p, "bad number: digits must follow the exponent");
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		return fail(p, "bad number: leading zero");
	tok = xstrndup((const char *)p->s + start, p->pos - start);
	v->type = JSON_NUMBER;
	v->d = strtod(tok, NULL);
	if (integer) {
		errno = 0;
		v->i64 = strtoll(tok, &end, 10);
		v->is_i64 = errno == 0 && *end == '\0';
		if (tok[0] != '-') {
			errno = 0;
			v->u64 = strtoull(tok, &end, 10);
			v->is_u64 = errno == 0 && *end == '\0';
		}
	}
	free(tok);
	return 0;
}

static void push(struct json_value *v, size_t *cap, char *key, struct json_value *item)
{
	if (v->n == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		v->items = xrealloc(v->items, *cap * sizeof(*v->items));
		if (v->type == JSON_OBJECT)
			v->keys = xrealloc(v->keys, *cap * sizeof(*v->keys));
	}
	if (v->type == JSON_OBJECT)
		v->keys[v->n] = key;
	v->items[v->n++] = item;
}

static int parse_container(struct parser *p, struct json_value *v, unsigned depth)
{
	bool object = p->s[p->pos] == '{';
	char close = object ? '}' : ']';
	size_t cap = 0, slen;
	struct json_value *item;
	char *key = NULL;

	v->type = object ? JSON_OBJECT : JSON_ARRAY;
	if (depth >= JSON_MAX_DEPTH)
		return fail(p, "nested too deep");
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		skip_ws(p);
		if (object) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, "expected a string as key");
			if (parse_string(p, &key, &slen) < 0)
				return -EINVAL;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':') {
				free(key);
				return fail(p, "expected ':' after key");
			}
			p->pos++;
		}
		item = parse_value(p, depth + 1);
		if (!item) {
			free(key);
			return -EINVAL;
		}
		push(v, &cap, key, item);
		key = NULL;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			return 0;
		}
		return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static struct json_value *parse_value(struct parser *p, unsigned depth)
{
	struct json_value *v = xcalloc(1, sizeof(*v));
	int r = 0;

	skip_ws(p);
	if (p->pos >= p->len) {
		r = fail(p, "unexpected end of input");
	} else {
		switch (p->s[p->pos]) {
		case '{':
		case '[':
			r = parse_container(p, v, depth);
			break;
		case '"':
			v->type = JSON_STRING;
			r = parse_string(p, &v->s, &v->slen);
			break;
		case 't':
		case 'f':
			v->type = JSON_BOOL;
			v->b = p->s[p->pos] == 't';
			if (!literal(p, v->b ? "true" : "false"))
				r = fail(p, "unexpected character");
			break;
		case 'n':
			v->type = JSON_NULL;
			if (!literal(p, "null"))
				r = fail(p, "unexpected character");
			break;
		default:
			if (p->s[p->pos] == '-' || (p->s[p->pos] >= '0' && p->s[p->pos] <= '9'))
				r = parse_number(p, v);
			else
				r = fail(p, "unexpected character");
		}
	}
	if (r < 0) {
		json_value_free(v);
		return NULL;
	}
	return v;
}

int json_parse(const char *text, size_t len, struct json_value **out, const char **err,
	       size_t *err_off)
{
	struct parser p = { .s = (const unsigned char *)text, .len = len };
	struct json_value *v;

	*out = NULL;
	v = parse_value(&p, 0);
	if (v) {
		skip_ws(&p);
		if (p.pos < p.len) {
			fail(&p, "trailing characters after the document");
			json_value_free(v);
			v = NULL;
		}
	}
	if (!v) {
		if (err)
			*err = p.err;
		if (err_off)
			*err_off = p.pos;
		return -EINVAL;
	}
	*out = v;
	return 0;
}

void json_value_free(struct json_value *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		json_value_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->s);
	free(v);
}

const struct json_value *json_get(const struct json_value *obj, const char *key)
{
	size_t i;

	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	return NULL;
}

const char *json_get_str(const struct json_value *obj, const char *key)
{
	const struct json_value *v = json_get(obj, key);

	return v && v->type == JSON_STRING ? v->s : NULL;
}

const struct json_value *json_get_arr(const struct json_value *obj, const char *key)
{
	const struct json_value *v = json_get(obj, key);

	return v && v->type == JSON_ARRAY ? v : NULL;
}

const struct json_value *json_get_obj(const struct json_value *obj, const char *key)
{
	const struct json_value *v = json_get(obj, key);

	return v && v->type == JSON_OBJECT ? v : NULL;
}

bool json_get_u64(const struct json_value *obj, const char *key, uint64_t *val)
{
	const struct json_value *v = json_get(obj, key);

	if (!v || v->type != JSON_NUMBER || !v->is_u64)
		return false;
	*val = v->u64;
	return true;
}

bool json_get_i64(const struct json_value *obj, const char *key, int64_t *val)
{
	const struct json_value *v = json_get(obj, key);

	if (!v || v->type != JSON_NUMBER || !v->is_i64)
		return false;
	*val = v->i64;
	return true;
}

bool json_get_bool(const struct json_value *obj, const char *key, bool *val)
{
	const struct json_value *v = json_get(obj, key);

	if (!v || v->type != JSON_BOOL)
		return false;
	*val = v->b;
	return true;
}
