/* Web sessions of the console and the portal (DESIGN 8): 256-bit random ids handed out
 * once as the __Host-warren cookie and kept only as their BLAKE2b-256 hash, a CSRF token
 * per session, idle and absolute expiry, ending by session or by subject, a bound on
 * their number; and the cookie's header forms. In memory, on the loop's thread. */
#ifndef WARREN_SERVER_AUTH_WEBSESSION_H
#define WARREN_SERVER_AUTH_WEBSESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../token.h"

#define WEBSESSION_COOKIE "__Host-warren"
#define WEBSESSION_ID_LEN TOKEN_LEN             /* the cookie value: base64url, 43 chars */
#define WEBSESSION_CSRF_LEN TOKEN_LEN           /* the X-CSRF-Token value, same form */
#define WEBSESSION_HASH_LEN TOKEN_HASH_LEN

#define WEBSESSION_IDLE_MS (30 * 60 * 1000ull)
#define WEBSESSION_ABSOLUTE_MS (12 * 60 * 60 * 1000ull)
/* At most this many sessions: at the bound, a new one ends the session idle longest. */
#define WEBSESSION_MAX 100000u
/* At most this many per subject: a new one ends that subject's oldest. So one account
 * logging in over and over cannot push everyone else's sessions out. */
#define WEBSESSION_PER_SUBJECT_MAX 16u
/* A Cookie header longer than this is refused unread. */
#define WEBSESSION_COOKIE_HEADER_MAX 8192u

#define WEBSESSION_SET_COOKIE_ATTRS "; Secure; HttpOnly; SameSite=Strict; Path=/"
/* Room for either Set-Cookie value, with its NUL. */
#define WEBSESSION_SET_COOKIE_SIZE \
	(sizeof(WEBSESSION_COOKIE "=" WEBSESSION_SET_COOKIE_ATTRS "; Max-Age=0") + WEBSESSION_ID_LEN)

enum websession_kind { WEBSESSION_ADMIN, WEBSESSION_USER };
/* Admins are admin or viewer; users are user. */
enum websession_role { WEBSESSION_ROLE_ADMIN, WEBSESSION_ROLE_VIEWER, WEBSESSION_ROLE_USER };
/* What a request does with the session: READ for GET and HEAD, CHANGE for anything else,
 * which needs the session's CSRF token. */
enum websession_use { WEBSESSION_READ, WEBSESSION_CHANGE };

/* Zero (or NULL params) means the default for each field. */
struct websession_params {
	uint64_t idle_ms;           /* WEBSESSION_IDLE_MS */
	uint64_t absolute_ms;       /* WEBSESSION_ABSOLUTE_MS */
	size_t max;                 /* WEBSESSION_MAX */
	size_t per_subject_max;     /* WEBSESSION_PER_SUBJECT_MAX */
};

/* One session as the store keeps it: no secret in it, only hashes. Also the record to
 * persist and to give back to websession_restore. */
struct websession_info {
	uint8_t id_hash[WEBSESSION_HASH_LEN];
	uint8_t csrf_hash[WEBSESSION_HASH_LEN];
	enum websession_kind kind;
	int64_t subject;            /* the admin's or the user's id */
	enum websession_role role;
	uint64_t created_ms;
	uint64_t last_used_ms;
};

struct websession_store;

/* Every now_ms below is the caller's clock in milliseconds, the same one each time (the
 * wall clock once sessions are persisted). A clock that steps back shortens nothing. */

/* 0, or -EINVAL for an idle or absolute timeout of zero length after defaults, or a
 * per-subject bound above the total. */
int websession_store_new(const struct websession_params *params,
			 struct websession_store **sp);
/* NULL is fine. */
void websession_store_free(struct websession_store *s);

/* A new session for a subject that has just proved who it is. cookie and csrf receive
 * the two secrets, each given to the client once (Set-Cookie, and the login answer's
 * "csrf") and never again; the caller wipes them after sending. info (may be NULL)
 * receives the record. Never fails for lack of room (see WEBSESSION_MAX and
 * WEBSESSION_PER_SUBJECT_MAX); -EINVAL for a role the kind cannot have. */
int websession_new(struct websession_store *s, enum websession_kind kind, int64_t subject,
		   enum websession_role role, uint64_t now_ms,
		   char cookie[WEBSESSION_ID_LEN + 1], char csrf[WEBSESSION_CSRF_LEN + 1],
		   struct websession_info *info);

/* The session of a request: cookie is the value from websession_cookie_find (NULL when
 * there was none), csrf the X-CSRF-Token header (NULL when absent). 0 with *info filled
 * and the session's idle time restarted; -ENOENT for no cookie, one that is not well
 * formed, unknown or expired (answer 401); -EPERM when use is WEBSESSION_CHANGE and csrf
 * is not this session's token (answer 403; the session is not renewed). */
int websession_lookup(struct websession_store *s, const char *cookie, const char *csrf,
		      enum websession_use use, uint64_t now_ms, struct websession_info *info);

/* Logout: end one session (by info.id_hash). false when it was not there. */
bool websession_end(struct websession_store *s, const uint8_t id_hash[WEBSESSION_HASH_LEN]);
/* End every session of a subject (password change, disable, delete); how many ended. */
size_t websession_end_subject(struct websession_store *s, enum websession_kind kind,
			      int64_t subject);
/* End one live session and issue its subject a new one with the same role, as at a
 * login that came with a session: cookie, csrf and info as for websession_new. -ENOENT
 * when id_hash is no live session. At a password change, end the subject's sessions
 * instead and then call websession_new. */
int websession_renew(struct websession_store *s, const uint8_t id_hash[WEBSESSION_HASH_LEN],
		     uint64_t now_ms, char cookie[WEBSESSION_ID_LEN + 1],
		     char csrf[WEBSESSION_CSRF_LEN + 1], struct websession_info *info);

/* Whether id_hash is a live session at now_ms, without using it: its idle time goes on.
 * For what holds on to a session after its request (an event stream). */
bool websession_alive(struct websession_store *s, const uint8_t id_hash[WEBSESSION_HASH_LEN],
		      uint64_t now_ms);
/* fn hears of every session that ends, whatever ends it (logout, its subject's end, a
 * renewal, making room, expiry found), with its record, before it is gone; NULL for
 * nobody. fn must not call into the store. Freeing the store tells nothing. */
void websession_on_end(struct websession_store *s,
		       void (*fn)(const struct websession_info *info, void *data), void *data);

/* Expired sessions are never found; every call above also ends a few of them, so the
 * store keeps itself small without a timer. This ends all of them now. How many. */
size_t websession_sweep(struct websession_store *s, uint64_t now_ms);
/* The subject has a live session at now_ms (none of them is used by asking). */
bool websession_subject_live(struct websession_store *s, enum websession_kind kind,
			     int64_t subject, uint64_t now_ms);
/* Sessions held, expired ones not yet swept included. */
size_t websession_count(const struct websession_store *s);

/* Each live session, oldest first, for persisting; fn must not change the store. */
void websession_foreach(const struct websession_store *s, uint64_t now_ms,
			void (*fn)(const struct websession_info *info, void *data), void *data);
/* Put back a persisted session. 0; -EINVAL for a kind and role that do not go together;
 * -ESTALE when it has expired by now_ms; -EEXIST when its id is held already. The
 * bounds apply as for websession_new. */
int websession_restore(struct websession_store *s, const struct websession_info *info,
		       uint64_t now_ms);

/* The session cookie in a Cookie request header (NUL-terminated, NULL when absent; join
 * repeated Cookie fields with "; " first). Strict about the one cookie it looks for,
 * indifferent to others: 0 with value set; -ENOENT when there is no __Host-warren (the
 * name is case sensitive); -EINVAL when it is there twice, or its value is not
 * WEBSESSION_ID_LEN base64url characters, or the header holds a control character;
 * -E2BIG when the header is longer than WEBSESSION_COOKIE_HEADER_MAX. */
int websession_cookie_find(const char *header, char value[WEBSESSION_ID_LEN + 1]);

/* The Set-Cookie value that hands out the session value:
 *   __Host-warren=VALUE; Secure; HttpOnly; SameSite=Strict; Path=/
 * or, for value NULL, the one that clears it (empty value and "; Max-Age=0" added).
 * 0, or -EINVAL when value is not WEBSESSION_ID_LEN base64url characters (then out
 * holds the clearing form). */
int websession_set_cookie(char out[WEBSESSION_SET_COOKIE_SIZE], const char *value);

#endif
