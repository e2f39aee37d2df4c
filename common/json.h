/* JSON: a streaming writer into a growable buffer (commas and nesting tracked for the
 * caller), and a small strict reader into a tree, enough for the CLI to read a status. */
#ifndef WARREN_JSON_H
#define WARREN_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deeper documents are refused by the reader; the writer aborts beyond it (a bug). */
#define JSON_MAX_DEPTH 64

/* ---- writer ---- */

struct json {
	char *buf;                   /* always NUL-terminated once anything was written */
	size_t len, cap;
	unsigned depth;
	bool had_member[JSON_MAX_DEPTH + 1];  /* per level: a comma is due before the next */
	bool in_array[JSON_MAX_DEPTH + 1];
};

/* A zeroed struct json is an empty writer too; json_init only spells it out. */
void json_init(struct json *j);
/* Frees the buffer and leaves j empty and reusable. */
void json_clear(struct json *j);
/* Forget the contents, keep the allocation. */
void json_reset(struct json *j);
/* The text so far ("" when nothing was written) and its length. */
const char *json_text(const struct json *j);
size_t json_len(const struct json *j);
/* Hand the buffer (NUL-terminated, never NULL) to the caller, who frees it; j is empty. */
char *json_steal(struct json *j, size_t *len);

/* Every value takes the member name as key inside an object and NULL inside an array
 * or at the top level. Strings are escaped: ", \ and control characters; valid UTF-8 is
 * copied; each byte of invalid UTF-8 becomes U+FFFD, so the output is always valid. */
void json_obj_begin(struct json *j, const char *key);
void json_arr_begin(struct json *j, const char *key);
/* Closes the innermost object or array. */
void json_end(struct json *j);
/* val NULL writes null. */
void json_str(struct json *j, const char *key, const char *val);
void json_strn(struct json *j, const char *key, const char *val, size_t len);
void json_strf(struct json *j, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void json_u64(struct json *j, const char *key, uint64_t val);
void json_i64(struct json *j, const char *key, int64_t val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);

/* A parsed value written out again (the CLI's --json of paged lists). */
struct json_value;
void json_write_value(struct json *j, const char *key, const struct json_value *v);
/* A value that is JSON text already (written by this program), as key's value. */
void json_value_raw(struct json *j, const char *key, const char *text, size_t len);

/* Append bytes verbatim, outside the JSON bookkeeping: for plain-text replies and
 * framing around a document. */
void json_raw(struct json *j, const char *s, size_t len);
void json_rawf(struct json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- reader ---- */

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_value {
	enum json_type type;
	bool b;                      /* JSON_BOOL */
	char *s;                     /* JSON_STRING: valid UTF-8, NUL-terminated ... */
	size_t slen;                 /* ... but may hold \u0000, so slen is the length */
	double d;                    /* JSON_NUMBER, always */
	bool is_i64, is_u64;         /* JSON_NUMBER: an integer that fits exactly */
	int64_t i64;
	uint64_t u64;
	size_t n;                    /* JSON_ARRAY / JSON_OBJECT: number of items */
	struct json_value **items;
	char **keys;                 /* JSON_OBJECT: keys[i] names items[i] */
};

/* Parse exactly one document (RFC 8259; surrounding whitespace allowed, nothing else):
 * strings must be valid UTF-8 without raw control characters, surrogates must pair,
 * nesting is limited to JSON_MAX_DEPTH. 0 with *out set, or -EINVAL with *err (if not
 * NULL) pointing at a static description and *err_off (if not NULL) at the byte offset. */
int json_parse(const char *text, size_t len, struct json_value **out, const char **err,
	       size_t *err_off);
void json_value_free(struct json_value *v);

/* Lookups that tolerate a NULL or mistyped v: NULL / false when absent or of another type.
 * Duplicate keys: the first wins. */
const struct json_value *json_get(const struct json_value *obj, const char *key);
const char *json_get_str(const struct json_value *obj, const char *key);
const struct json_value *json_get_arr(const struct json_value *obj, const char *key);
const struct json_value *json_get_obj(const struct json_value *obj, const char *key);
bool json_get_u64(const struct json_value *obj, const char *key, uint64_t *val);
bool json_get_i64(const struct json_value *obj, const char *key, int64_t *val);
bool json_get_bool(const struct json_value *obj, const char *key, bool *val);

#endif
