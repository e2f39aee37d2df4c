/* The one administration API (DESIGN 9): a table of typed operations {name, method, path,
 * role, fields, fn}. The control socket (the CLI), the HTTPS API and the web pages are thin
 * callers of this table; a request is parsed and checked once, from JSON, into the
 * operation's own struct, and every change leaves an audit entry. */
#ifndef WARREN_API_H
#define WARREN_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../db/db.h"

struct json;
struct json_value;
struct server;

/* Who may call an operation: anyone; a VPN user's own portal session (API_USER); that or
 * any console account or token (API_SELF: a user sees only its own); a viewer or admin;
 * an admin. */
enum api_role { API_ANYONE, API_USER, API_SELF, API_VIEWER, API_ADMIN };

enum api_caller_kind {
	API_CALLER_ANON,               /* no credentials */
	API_CALLER_SOCKET,             /* root on the control socket: everything */
	API_CALLER_ADMIN,              /* a console session of an admin or viewer */
	API_CALLER_TOKEN,              /* an API token, with its role */
	API_CALLER_USER,               /* a portal session of a VPN user */
};

struct api_caller {
	enum api_caller_kind kind;
	enum db_role role;             /* ADMIN and TOKEN: what they may do */
	int64_t id;                    /* admin, token or user id; 0 otherwise */
	char name[DB_NAME_MAX + 1];
	char source[64];               /* "socket", or the client's address */
	bool must_change_password;     /* a session whose password was set by someone else */
	bool must_enrol_totp;          /* an admin without TOTP where admin_totp is required */
	bool has_session;
	uint8_t session_hash[32];      /* the web session's, for logout and renewal */
};

/* Whose work a request is, for fair shares of what is scarce (password hashing): the
 * client's IPv4 address or IPv6 /64; 0 for the socket. */
uint64_t api_caller_owner(const struct api_caller *who);
/* As the audit names the caller: "admin:NAME", "token:NAME", "user:NAME", "socket" or
 * "anonymous". */
void api_caller_name(const struct api_caller *who, char *out, size_t size);
struct sockaddr_storage;
/* The client's address as the throttle counts it (AF_UNSPEC for the socket). */
void api_caller_sockaddr(const struct api_caller *who, struct sockaddr_storage *ss);

/* The field types a request is made of. Each parses from JSON (and from a query string,
 * where every value is text) and is checked by the same code for every caller. */
enum api_type {
	API_STR,                       /* a printable UTF-8 string of at most size - 1 bytes
	                                  (and min..max characters when max is set) */
	API_NAME,                      /* a name: values_name_ok */
	API_BOOL,
	API_U64,                       /* a non-negative integer within [min, max] */
	API_EXPIRY,                    /* DATE or DURATION (from now), or null: never -> int64 */
	API_DATE,                      /* DATE -> int64 unix time (null: 0) */
	API_SIZE,                      /* SIZE[/month], or null: none -> struct api_size */
	API_KEY,                       /* a WireGuard public key in base64 -> uint8_t[32] */
	API_ENUM,                      /* one of choices -> int index */
	API_CURSOR,                    /* an opaque paging cursor -> char[DB_CURSOR_MAX + 1] */
	API_TEXT,                      /* a large text (CSV): size bytes at most -> char *;
	                                  lines and tabs allowed; min..max characters as STR */
	API_LIST,                      /* an array of at most max printable strings, each
	                                  shorter than min bytes -> struct api_list */
	API_ANY,                       /* any JSON value, kept as its text -> char *; the op's
	                                  check says what it may be */
};

struct api_list {
	char **v;
	size_t n;
	bool null;                     /* given as null (API_NULL): back to the default */
};

struct api_size {
	uint64_t bytes;                /* 0: none */
	bool monthly;
};

#define API_REQUIRED 0x1u          /* must be present */
#define API_PATH 0x2u              /* comes from the URL path ({name} in the route) */
#define API_NULL 0x4u              /* null allowed (EXPIRY, SIZE: never, none; STR, NAME:
                                      "", DATE: 0, each with has_ set) */
#define API_SECRET 0x8u            /* never in the audit log (passwords) */

struct api_field {
	const char *name;
	enum api_type type;
	size_t off;                    /* of the value in the request struct */
	size_t set_off;                /* of a bool that says it was given */
	size_t size;                   /* API_STR, API_NAME, API_TEXT: room in bytes */
	uint64_t min, max;             /* API_U64 */
	const char *const *choices;    /* API_ENUM: NULL-terminated */
	unsigned flags;
	const char *label;             /* how messages name it; NULL: the name */
};

#define API_FIELD_L(st, member, ty, fl, lbl) \
	{ #member, ty, offsetof(st, member), offsetof(st, has_##member), \
	  sizeof(((st *)0)->member), 0, 0, NULL, fl, lbl }
#define API_FIELD(st, member, ty, fl) API_FIELD_L(st, member, ty, fl, NULL)
#define API_FIELD_U64(st, member, lo, hi, fl) \
	{ #member, API_U64, offsetof(st, member), offsetof(st, has_##member), \
	  sizeof(((st *)0)->member), lo, hi, NULL, fl, NULL }
#define API_FIELD_ENUM(st, member, names, fl) \
	{ #member, API_ENUM, offsetof(st, member), offsetof(st, has_##member), \
	  sizeof(((st *)0)->member), 0, 0, names, fl, NULL }
#define API_FIELD_LIST(st, member, item_max, n_max, fl) \
	{ #member, API_LIST, offsetof(st, member), offsetof(st, has_##member), \
	  sizeof(((st *)0)->member), item_max, n_max, NULL, fl, NULL }
#define API_FIELD_TEXT(st, member, bytes, fl) \
	{ #member, API_TEXT, offsetof(st, member), offsetof(st, has_##member), \
	  bytes, 0, 0, NULL, fl, NULL }
/* Text of lo..hi characters (UTF-8 code points), in a buffer (STR) or allocated (TEXT)
 * of bytes that hold hi of them. */
#define API_FIELD_CHARS(st, member, ty, lo, hi, bytes, fl) \
	{ #member, ty, offsetof(st, member), offsetof(st, has_##member), \
	  bytes, lo, hi, NULL, fl, NULL }
#define API_FIELD_ANY(st, member, fl) \
	{ #member, API_ANY, offsetof(st, member), offsetof(st, has_##member), \
	  0, 0, 0, NULL, fl, NULL }
#define API_FIELD_END { NULL, 0, 0, 0, 0, 0, 0, NULL, 0, NULL }

/* What an operation's fn has to work with, and what it answers. */
struct api_call {
	struct server *s;
	const struct api_op *op;
	struct api_caller who;
	void *req;                     /* the op's request struct, parsed and checked */
	struct json *reply;            /* the answer: JSON unless content_type says */
	int status;                    /* 200 unless fn says otherwise (201, 204, ...) */
	const char *content_type;      /* NULL: application/json */
	char filename[80];             /* "" or an attachment's name */
	char target[96];               /* what it acted on, for the audit */
	char error[256];               /* on failure: the one-line message */
	char set_cookie[200];          /* login, logout, password: the session cookie */
	char csrf[64];                 /* login, password: the new CSRF token */
	char stream[32];               /* API_STREAM: whose events it gets, "all" or "user:ID" */
	unsigned retry_after;          /* 429: seconds for Retry-After */
	bool no_audit;                 /* a change that did not happen (nothing to record) */
	void (*done)(struct api_call *c);  /* the caller's: send the answer */
	void *data;                    /* the caller's */
	void *op_data;                 /* the op's, across a deferral */
};

/* fn returns 0 (c->status, default 200), -errno (the status api_status gives, c->error
 * says why), or API_DEFERRED: its work runs off the loop (a password hash) and it calls
 * api_finish later. */
#define API_DEFERRED 1
typedef int (*api_fn)(struct api_call *c);

#define API_CHANGES 0x1u           /* changes state: audited; a cookie caller needs CSRF */
#define API_BEFORE_CHANGE 0x2u     /* allowed before a forced password change */
#define API_SOCKET 0x4u            /* only on the control socket */
#define API_STREAM 0x8u            /* text/event-stream: answered by the portal's fan-out */

struct api_op {
	const char *name;              /* "user.add": the CLI's and the audit's name */
	const char *method;            /* GET, POST, PATCH, DELETE */
	const char *path;              /* "/api/v1/users/{user}"; NULL: socket only */
	enum api_role role;
	unsigned flags;
	size_t req_size;
	const struct api_field *fields;
	api_fn fn;
	const char *summary;           /* one line, as docs/api.yaml says it */
	/* Checks across fields, run by api_parse after every field parsed (NULL: none):
	 * 0, or -EINVAL with why. Pure, like the parser. */
	int (*check)(const void *req, char *why, size_t whylen);
};

/* The table, in the order docs/api.yaml lists it. */
extern const struct api_op *const api_ops[];
extern const size_t api_n_ops;

const struct api_op *api_find(const char *name);

/* The operation for METHOD and PATH (no query), its path parameters copied into params
 * (n of them, in order). NULL with *status 404 (no such path) or 405 (*allow then lists
 * the methods the path has, "GET, POST"). */
#define API_MAX_PARAMS 3
const struct api_op *api_route(const char *method, const char *path,
			       char params[API_MAX_PARAMS][DB_NAME_MAX * 3 + 1], size_t *n,
			       int *status, char *allow, size_t allow_size);

/* The request object of a call over HTTP: the path's parameters (by the route's names),
 * the query's members (text turned into the field's type: "50" for a number, "true" for
 * a boolean) and the body's members (a JSON object, or nothing). A member given twice is
 * refused. 0 with *out (json_value_free it), or -EINVAL with why. */
int api_input(const struct api_op *op, char params[API_MAX_PARAMS][DB_NAME_MAX * 3 + 1],
	      size_t n_params, const char *query, const char *body, size_t body_len,
	      struct json_value **out, char *why, size_t whylen);

/* Parse in (an object: the body's members, the query's and the path's) into req
 * (op->req_size bytes, zeroed here). Unknown or repeated members, wrong types, values out
 * of range and missing required fields are refused: -EINVAL with why = "FIELD: reason".
 * Pure: no state, no clock but the local zone (a DURATION stays relative: see
 * api_expiry). The CLI runs it before sending anything. */
int api_parse(const struct api_op *op, const struct json_value *in, void *req, char *why,
	      size_t whylen);
/* Free what api_parse allocated in req (API_TEXT) and wipe it. */
void api_req_clear(const struct api_op *op, void *req);

/* An API_EXPIRY field is kept as its text; this turns it into the instant at now. */
struct api_expiry {
	char text[40];                 /* "" for null (never) */
};
int api_expiry_at(const struct api_expiry *e, int64_t now, int64_t *at);

/* May who call op at all (role, socket-only, forced password change)? 0, or the HTTP
 * status to refuse with (401, 403) and why. */
int api_allowed(const struct api_op *op, const struct api_caller *who, char *why,
		size_t whylen);

/* A call of op for who: the request struct allocated, reply empty; done is called once
 * with the answer, then the call is freed (by api_finish). */
struct api_call *api_call_new(struct server *s, const struct api_op *op,
			      const struct api_caller *who, void (*done)(struct api_call *c),
			      void *data);
/* Run the parsed call: fn, then (now or after its deferral) api_finish. */
void api_run(struct api_call *c);
/* The end of a call: its status from r, the audit entry of a change, done, then free. */
void api_finish(struct api_call *c, int r);
/* Free a call that never ran (refused before fn). */
void api_call_free(struct api_call *c);

/* The status for a -errno from a handler: -ENOENT 404, -EEXIST 409, -EINVAL 400,
 * -EPERM 409, -EACCES 403, -EKEYREJECTED 401, -EAGAIN 429, -EBUSY 503, -E2BIG 413,
 * -ENOSPC 409, else 500. */
int api_status(int r);

/* Who a caller is, as the audit names it: "admin:NAME", "token:NAME", "user:NAME",
 * "socket", "anonymous". */
void api_caller_name(const struct api_caller *who, char *out, size_t size);

/* ctl.c: the control socket's "api OP JSON" request: the operation run for root. */
int api_ctl(struct server *s, const char *op, const char *request, struct json *reply);
/* status.c: "users": [...] of the status document, each with its devices. */
void api_status_users(struct server *s, struct json *j);

#endif
