/* The server's storage: every SQL statement lives behind these typed functions (one
 * engine today, SQLite; DESIGN 13 adds PostgreSQL behind the same interface). Rows are
 * plain structs; secrets are stored as the ciphertext or hash the caller hands in, never
 * as plain keys or passwords. */
#ifndef WARREN_DB_H
#define WARREN_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../profiles/cidr.h"
#include "../../profiles/key.h"

struct db;

/* The schema version this code writes; a database with a higher one is refused. Version
 * 4 has accounts with devices, admins, roles, groups, settings, audit and traffic; 5 adds
 * announcements, services and vouchers; 6 a group's access policy and a user's rate; 7 the
 * resolver's records, rules, lists, query log and hourly roll-ups (dns.h). */
#define DB_SCHEMA_VERSION 7

#define DB_NAME_MAX 32           /* user, device, admin, token and group names */
#define DB_EMAIL_MAX 254
#define DB_PWHASH_MAX 128        /* crypto_pwhash_STRBYTES */
/* Room for a secretbox of a 32-byte key (24 nonce + 16 MAC + 32) and some to spare. */
#define DB_SECRET_MAX 128
#define DB_ENDPOINT_MAX 64
#define DB_HASH_LEN 32           /* BLAKE2b-256 of a token or credential */
#define DB_CURSOR_MAX 96         /* an opaque paging cursor, as text */
#define DB_PAGE_MAX 500          /* the most rows one page returns */
#define DB_QUERY_MAX 256         /* the longest search text (a query's q) */
#define DB_GROUP_DEFAULT 1       /* the group that always exists, named "default" */
/* A policy field as text (profiles/policy.h's notation, POLICY_STRLEN) and a rate. */
#define DB_POLICY_TEXT_MAX 8192
#define DB_RATE_MAX 64

/* Every function returns 0 or -errno: -EEXIST for a duplicate (name, public key,
 * address), -ENOENT for a missing row (or a reference to one), -EBUSY when locked past
 * the busy timeout, -EINVAL for a value out of range or a bad cursor, -EIO otherwise;
 * db_errmsg then says why.
 *
 * Callbacks of the list and query functions return 0 to go on; anything else stops the
 * walk and becomes the function's return value. The row is valid only during the call.
 * A callback may call other functions of this interface, but not the same list or query
 * again (its statement is the one running). */

/* Open or create PATH (new files are 0600): WAL, foreign keys, busy timeout, schema
 * migrated to DB_SCHEMA_VERSION (from any earlier version, data kept). -EPROTONOSUPPORT
 * when the database was written by a newer warren. A failure is logged once, naming the
 * file. */
int db_open(const char *path, struct db **out);
void db_close(struct db *db);
const char *db_errmsg(const struct db *db);
/* PRAGMA NAME ([a-z_]+) as an integer, for diagnostics and tests. */
int db_pragma_int(struct db *db, const char *name, int64_t *v);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK; rollback outside a transaction is a no-op. */
int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);

/* ---- accounts (users) ---- */

enum db_quota_period { DB_QUOTA_TOTAL, DB_QUOTA_MONTH };

/* Why a user is disabled; DB_ENABLED means it is not. */
enum db_disabled { DB_ENABLED, DB_DISABLED_EXPIRED, DB_DISABLED_QUOTA, DB_DISABLED_ADMIN };

struct db_user {
	int64_t id;                    /* filled by db_user_add */
	char name[DB_NAME_MAX + 1];
	int64_t created;               /* 0 on add: now */
	int64_t expires;               /* 0: never; the instant access ends */
	uint64_t quota_bytes;          /* 0: no quota */
	enum db_quota_period quota_period;
	int quota_reset_day;           /* 1..31 for DB_QUOTA_MONTH; 0 on add: 1 */
	int64_t period_start;          /* 0 on add: created */
	enum db_disabled disabled;
	int64_t group_id;              /* 0 on add: DB_GROUP_DEFAULT */
	char email[DB_EMAIL_MAX + 1];  /* "" none */
	/* The portal password, crypto_pwhash_str's text; "" none (no portal login). */
	char password_hash[DB_PWHASH_MAX + 1];
	bool must_change_password;     /* set by someone else: the first login must change it */
	/* Counters over all the user's devices: totals survive everything; the period ones
	 * restart with the quota period. Written only by db_counters_add/reset_period. */
	uint64_t rx_total, tx_total, rx_period, tx_period;
	/* Its own rate ("20Mbit/5Mbit", profiles/policy.h); "": the group's. Stored as
	 * given: the caller checks it. */
	char rate[DB_RATE_MAX + 1];
};

/* Filled by add and get; update writes expires, quota_*, period_start, disabled,
 * group_id, email and rate (not name, created, password or counters). */
int db_user_add(struct db *db, const struct db_user *u, int64_t *id);
int db_user_get(struct db *db, int64_t id, struct db_user *u);
int db_user_get_by_name(struct db *db, const char *name, struct db_user *u);
int db_user_update(struct db *db, const struct db_user *u);
/* password_hash "" clears it; must_change as given. */
int db_user_set_password(struct db *db, int64_t id, const char *password_hash, bool must_change);
/* Also removes the user's devices, their addresses and sessions; its traffic stays in
 * the statistics (user ids are never handed out again). */
int db_user_delete(struct db *db, int64_t id);
/* The earliest expiry of an enabled user, for the expiry timer: 0 with *at, or -ENOENT. */
int db_user_next_expiry(struct db *db, int64_t *at);
/* Wipe a struct that held a password hash. */
void db_user_wipe(struct db_user *u);

typedef int (*db_user_fn)(const struct db_user *u, void *arg);
/* Every user, ordered by id (what a start loads). */
int db_user_list(struct db *db, db_user_fn fn, void *arg);

/* One page of users for the console: keyset-paged, searched, filtered and sorted in the
 * database. */
enum db_user_sort { DB_SORT_NAME, DB_SORT_CREATED, DB_SORT_EXPIRES, DB_SORT_USED };
struct db_user_query {
	const char *q;                 /* NULL/"": all; else case-insensitive substring of the
	                                  name, email, a device's name, address or last endpoint */
	int state;                     /* -1: any; else an enum db_disabled */
	int64_t group_id;              /* 0: any */
	enum db_user_sort sort;
	bool desc;
	size_t limit;                  /* 1..DB_PAGE_MAX */
	const char *cursor;            /* NULL/"": the first page; else a previous page's next */
};
/* fn for each row of the page, in order; *total = rows matching the filter (all pages);
 * next (DB_CURSOR_MAX + 1 bytes) = the cursor of the following page, "" when this was the
 * last. Users without expiry sort after those with one (ascending); ties by id. total and
 * next may be NULL; next may be the buffer q->cursor points into. A cursor is valid only
 * for the sort and direction that made it (else -EINVAL); q is at most DB_QUERY_MAX
 * bytes. DB_SORT_USED sorts by rx_total + tx_total. */
int db_user_query(struct db *db, const struct db_user_query *q, db_user_fn fn, void *arg,
		  uint64_t *total, char next[DB_CURSOR_MAX + 1]);
/* How many users are in each state (index enum db_disabled), for the dashboard. */
int db_user_count_states(struct db *db, uint64_t counts[4]);

/* ---- devices: one peer on the link each ---- */

enum db_device_kind { DB_DEVICE_CONFIG, DB_DEVICE_AGENT };

struct db_device {
	int64_t id;                    /* filled by db_device_add */
	int64_t user_id;
	char name[DB_NAME_MAX + 1];    /* unique per user */
	enum db_device_kind kind;      /* a wg-quick file / QR, or an enrolled warren agent */
	int64_t created;               /* 0 on add: now */
	bool has_key;                  /* an agent device has none until it enrols */
	uint8_t public_key[KEY_LEN];   /* unique across devices */
	uint8_t private_key_enc[DB_SECRET_MAX];
	size_t private_key_enc_len;    /* 0: the client holds its private key */
	uint8_t preshared_key_enc[DB_SECRET_MAX];
	size_t preshared_key_enc_len;  /* 0: none */
	char endpoint[DB_ENDPOINT_MAX];/* where it was last seen, "" never */
	/* The device's share of its user's counters, and the link's own counters for this
	 * peer when they were last added (so restarts neither lose nor double them). */
	uint64_t rx_total, tx_total, seen_rx, seen_tx;
	/* Agent devices: enrolment and the profile they pull. */
	int64_t token_expires;         /* the enrolment token's end; 0 once enrolled or none */
	int64_t enrolled;              /* 0: not yet */
	int64_t last_seen;             /* last profile request */
	uint64_t profile_serial;
	int64_t profile_issued;
	uint8_t profile_hash[DB_HASH_LEN];
	bool has_profile_hash;
};

/* token_hash (agent devices; NULL for config devices, else -EINVAL) and token_expires as
 * given. Writes user_id, name, kind, created, the keys and the token; the counters,
 * endpoint, enrolment and profile start empty. Only an agent device may lack a key. */
int db_device_add(struct db *db, const struct db_device *d, const uint8_t *token_hash,
		  int64_t *id);
int db_device_get(struct db *db, int64_t id, struct db_device *d);
int db_device_get_by_name(struct db *db, int64_t user_id, const char *name,
			  struct db_device *d);
int db_device_get_by_key(struct db *db, const uint8_t public_key[KEY_LEN], struct db_device *d);
/* Only a token not used yet and not expired at now is found; else -ENOENT. */
int db_device_get_by_token(struct db *db, const uint8_t hash[DB_HASH_LEN], int64_t now,
			   struct db_device *d);
int db_device_get_by_credential(struct db *db, const uint8_t hash[DB_HASH_LEN],
				struct db_device *d);
/* Keys (has_key, public, private, preshared) of d->id; a rotation keeps counters, name
 * and addresses. A new public key also sets seen_rx/seen_tx to 0: it is a new peer on
 * the link, whose counters start from 0. */
int db_device_set_keys(struct db *db, const struct db_device *d);
int db_device_set_endpoint(struct db *db, int64_t id, const char *endpoint);
/* Use up the token, store the credential and the device's keys (d's), in one statement
 * or not at all; -ENOENT when the token was used meanwhile (or expired by now), -EEXIST
 * when another device holds d's public key, -EINVAL without one. */
int db_device_enroll(struct db *db, const struct db_device *d,
		     const uint8_t credential_hash[DB_HASH_LEN], int64_t now);
int db_device_seen(struct db *db, int64_t id, int64_t now);
int db_device_set_profile(struct db *db, int64_t id, uint64_t serial,
			  const uint8_t hash[DB_HASH_LEN], int64_t issued);
/* Also removes its addresses; its sessions stay in the log (device_id kept). */
int db_device_delete(struct db *db, int64_t id);
void db_device_wipe(struct db_device *d);

typedef int (*db_device_fn)(const struct db_device *d, void *arg);
/* Every device (user_id 0) or one user's, ordered by id. */
int db_device_list(struct db *db, int64_t user_id, db_device_fn fn, void *arg);
int db_device_count(struct db *db, int64_t user_id, uint64_t *n);

/* ---- addresses from the pools, one per family per device ---- */

int db_addr_add(struct db *db, int64_t device_id, const struct cidr *addr);
typedef int (*db_addr_fn)(int64_t device_id, const struct cidr *addr, void *arg);
/* Every address in no particular order (what a start reads), one family (AF_INET,
 * AF_INET6), or one device's (IPv4 first). */
int db_addr_list_all(struct db *db, db_addr_fn fn, void *arg);
int db_addr_list_family(struct db *db, int family, db_addr_fn fn, void *arg);
int db_addr_list_device(struct db *db, int64_t device_id, db_addr_fn fn, void *arg);

/* ---- counters ---- */

/* Add to the device's totals and its user's totals and period counters, and record the
 * link's counters they came from (seen_rx/seen_tx), in one transaction of the caller's. */
int db_counters_add(struct db *db, int64_t device_id, int64_t user_id, uint64_t rx_delta,
		    uint64_t tx_delta, uint64_t seen_rx, uint64_t seen_tx);
/* A new quota period for the user: period counters to 0, period_start = start. */
int db_counters_reset_period(struct db *db, int64_t user_id, int64_t start);

/* Traffic per user and hour, for statistics: add to the bucket that starts at hour
 * (a multiple of 3600). */
int db_traffic_add(struct db *db, int64_t user_id, int64_t hour, uint64_t rx, uint64_t tx);
enum db_step { DB_STEP_HOUR, DB_STEP_DAY };
struct db_traffic_row {
	int64_t start;                 /* the bucket's start (a day starts at local midnight) */
	uint64_t rx, tx;
};
typedef int (*db_traffic_fn)(const struct db_traffic_row *r, void *arg);
/* Sums over [from, to) by hour or local day, for one user (user_id) or all (0); buckets
 * without traffic are left out. An hour counts in the local day it starts in. */
int db_traffic_sum(struct db *db, int64_t from, int64_t to, enum db_step step,
		   int64_t user_id, db_traffic_fn fn, void *arg);
/* The users with the most traffic in [from, to), most first, at most limit (1..DB_PAGE_MAX).
 * A user deleted since may be among them (its traffic stays). */
struct db_top_row {
	int64_t user_id;
	uint64_t rx, tx;
};
typedef int (*db_top_fn)(const struct db_top_row *r, void *arg);
int db_traffic_top(struct db *db, int64_t from, int64_t to, size_t limit, db_top_fn fn,
		   void *arg);
int db_traffic_purge(struct db *db, int64_t before, uint64_t *n);

/* ---- the session log ---- */

struct db_session {
	int64_t id;
	int64_t user_id;
	int64_t device_id;
	int64_t started;
	int64_t ended;                 /* 0 while the session is open */
	char endpoint[DB_ENDPOINT_MAX];/* where it connected from; changes in session_endpoints */
	char address[CIDR_STRLEN * 2 + 2]; /* the device's virtual address(es), space apart */
	uint64_t rx, tx;
	int64_t last_seen;             /* last handshake or traffic; 0: none recorded */
};

/* -ENOENT unless device_id is one of user_id's devices. */
int db_session_open(struct db *db, int64_t user_id, int64_t device_id, int64_t started,
		    const char *endpoint, const char *address, int64_t *id);
int db_session_add_bytes(struct db *db, int64_t session_id, uint64_t rx_delta,
			 uint64_t tx_delta, int64_t last_seen);
/* -ENOENT when there is no such open session. */
int db_session_close(struct db *db, int64_t session_id, int64_t ended);
int db_session_add_endpoint(struct db *db, int64_t session_id, int64_t at,
			    const char *endpoint);

typedef int (*db_session_fn)(const struct db_session *s, void *arg);
/* Sessions a crash left open (to close them at start), ordered by id. */
int db_session_list_open(struct db *db, db_session_fn fn, void *arg);

/* One page of the session log, newest first. */
struct db_session_query {
	int64_t user_id;               /* 0: every user */
	int64_t device_id;             /* 0: every device */
	int64_t since, until;          /* sessions overlapping [since, until); 0 leaves a side open */
	const char *q;                 /* NULL/"": all; else a substring of the endpoint (where it
	                                  began or moved to) or the address */
	bool oldest_first;             /* the CLI's order; the console's is newest first */
	size_t limit;                  /* 1..DB_PAGE_MAX; 0: no limit (the CLI's list) */
	const char *cursor;
};
/* total, next and the cursor as for db_user_query. */
int db_session_query(struct db *db, const struct db_session_query *q, db_session_fn fn,
		     void *arg, uint64_t *total, char next[DB_CURSOR_MAX + 1]);
typedef int (*db_endpoint_fn)(int64_t at, const char *endpoint, void *arg);
int db_session_endpoints(struct db *db, int64_t session_id, db_endpoint_fn fn, void *arg);
/* Sessions started per local day in [from, to): day start and count; days without any
 * are left out. */
typedef int (*db_count_fn)(int64_t start, uint64_t n, void *arg);
int db_session_per_day(struct db *db, int64_t from, int64_t to, db_count_fn fn, void *arg);
/* Delete sessions that ended before `before` (open ones stay); *n how many, may be NULL. */
int db_session_purge(struct db *db, int64_t before, uint64_t *n);

/* ---- groups and their access policy ---- */

/* A group's own policy: each field either set here (has_X) or inherited from the file's
 * server.policy (NULL in the row). The text fields are in profiles/policy.h's notation,
 * stored as given: the caller parses them first. destinations "" is a value (what
 * client_allowed_ips allows), not inheritance. */
struct db_group_policy {
	bool has_destinations, has_schedule, has_sources, has_rate;
	bool has_isolate, has_portal_login, has_idle, has_max_maps;
	char destinations[DB_POLICY_TEXT_MAX];
	char schedule[DB_POLICY_TEXT_MAX];
	char sources[DB_POLICY_TEXT_MAX];
	char rate[DB_RATE_MAX + 1];
	bool isolate, portal_login;
	int64_t idle_s;                 /* 0 .. UINT32_MAX */
	int64_t max_maps;               /* 0 .. 65535 */
};

struct db_group {
	int64_t id;
	char name[DB_NAME_MAX + 1];
	int64_t created;
	int64_t users;                  /* how many users it holds (db_group_list; else -1) */
	struct db_group_policy policy;
};
typedef int (*db_group_fn)(const struct db_group *g, void *arg);
int db_group_add(struct db *db, const char *name, int64_t *id);
int db_group_get_by_name(struct db *db, const char *name, struct db_group *g);
int db_group_get(struct db *db, int64_t id, struct db_group *g);
int db_group_list(struct db *db, db_group_fn fn, void *arg);
/* Writes the policy columns (every one: has_X false writes NULL, inherit); -ENOENT for
 * no such group, -EINVAL for a value out of range. */
int db_group_set(struct db *db, int64_t id, const struct db_group_policy *p);
/* -EBUSY for the default group, one that still has users, or one a service is offered
 * to (db_errmsg says which). Its announcements go with it. */
int db_group_delete(struct db *db, int64_t id);

/* ---- announcements (DESIGN 9, 10): a feed for everyone or one group, with read marks ---- */

#define DB_TITLE_MAX 800                 /* bytes: 200 characters of UTF-8 */
#define DB_TEXT_MAX 80000                /* bytes: 20,000 characters */
#define DB_AUTHOR_MAX (DB_NAME_MAX + 16) /* "admin:NAME", "token:NAME", "socket" */

struct db_announcement {
	int64_t id;                    /* filled by db_announcement_add */
	char title[DB_TITLE_MAX + 1];
	/* Add and update read the caller's text; get fills a copy of its own
	 * (db_announcement_clear frees it); a walk's row has it for the call only. */
	char *text;
	int64_t group_id;              /* 0: everyone */
	bool pinned;
	int64_t until;                 /* shown while now < until; 0: until deleted */
	int64_t created, updated;      /* 0 on add (updated: on update): now */
	char author[DB_AUTHOR_MAX];
	uint64_t reads;                /* how many users marked it read (get, query) */
	bool read;                     /* the feed's user marked it read (feed only) */
};
typedef int (*db_announcement_fn)(const struct db_announcement *a, void *arg);
int db_announcement_add(struct db *db, const struct db_announcement *a, int64_t *id);
int db_announcement_get(struct db *db, int64_t id, struct db_announcement *a);
/* Writes title, text, group_id, pinned, until and updated. */
int db_announcement_update(struct db *db, const struct db_announcement *a);
/* Also removes its read marks. */
int db_announcement_delete(struct db *db, int64_t id);
void db_announcement_clear(struct db_announcement *a);

/* Every announcement, newest first, one page: total, next and the cursor as for
 * db_user_query. */
struct db_announcement_query {
	size_t limit;                  /* 1..DB_PAGE_MAX */
	const char *cursor;
};
int db_announcement_query(struct db *db, const struct db_announcement_query *q,
			  db_announcement_fn fn, void *arg, uint64_t *total,
			  char next[DB_CURSOR_MAX + 1]);

/* A user's feed: the announcements for everyone and for its group whose until is after
 * now, pinned first, then newest; each with read. At most limit rows (1..DB_PAGE_MAX);
 * total and unread count them all. total and unread may be NULL. */
struct db_feed {
	int64_t user_id, group_id, now;
	size_t limit;
};
int db_announcement_feed(struct db *db, const struct db_feed *f, db_announcement_fn fn,
			 void *arg, uint64_t *total, uint64_t *unread);
/* The counts alone (f->limit unused). */
int db_announcement_count(struct db *db, const struct db_feed *f, uint64_t *total,
			  uint64_t *unread);
/* How many of the feed's announcements its user read: from the user's own marks, so
 * cheap for each of many users of a group whose total is known. */
int db_announcement_read_count(struct db *db, const struct db_feed *f, uint64_t *read);
/* Mark announcement id read for f's user at f->now: -ENOENT unless it is in the feed.
 * *added (may be NULL): whether it was not read before. */
int db_announcement_read(struct db *db, const struct db_feed *f, int64_t id, bool *added);

/* ---- the services catalog: what users are offered, for every group or some ---- */

#define DB_ADDRESS_MAX 512               /* HOST:PORT or a URL */
#define DB_DESCRIPTION_MAX 1000
#define DB_SERVICE_GROUPS_MAX 64

struct db_service {
	int64_t id;                    /* filled by db_service_add */
	char name[DB_NAME_MAX + 1];
	char address[DB_ADDRESS_MAX + 1];
	char description[DB_DESCRIPTION_MAX + 1];  /* "" none */
	int64_t created;               /* 0 on add: now */
	int64_t groups[DB_SERVICE_GROUPS_MAX];     /* offered to these, ascending; none: all */
	size_t n_groups;
};
typedef int (*db_service_fn)(const struct db_service *sv, void *arg);
/* The row and its groups, all or nothing (inside a caller's transaction too): -ENOENT
 * for a group that does not exist. */
int db_service_add(struct db *db, const struct db_service *sv, int64_t *id);
int db_service_get_by_name(struct db *db, const char *name, struct db_service *sv);
/* Writes address, description and the groups (replaced), all or nothing. */
int db_service_update(struct db *db, const struct db_service *sv);
int db_service_delete(struct db *db, int64_t id);
/* Every service by name, one page: total, next and the cursor as for db_user_query. */
struct db_service_query {
	size_t limit;                  /* 1..DB_PAGE_MAX */
	const char *cursor;
};
int db_service_query(struct db *db, const struct db_service_query *q, db_service_fn fn,
		     void *arg, uint64_t *total, char next[DB_CURSOR_MAX + 1]);
/* The services offered to group_id (those for every group and those naming it), by name. */
int db_service_list_group(struct db *db, int64_t group_id, db_service_fn fn, void *arg);

/* ---- console accounts (admins) and API tokens ---- */

enum db_role { DB_ROLE_ADMIN, DB_ROLE_VIEWER };

struct db_admin {
	int64_t id;
	char name[DB_NAME_MAX + 1];
	enum db_role role;
	int64_t created;
	char password_hash[DB_PWHASH_MAX + 1];
	bool must_change_password;
	uint8_t totp_secret_enc[DB_SECRET_MAX];  /* sealed by the caller; len 0: no TOTP */
	size_t totp_secret_enc_len;
	int64_t totp_last_step;        /* replay guard: the last step accepted */
	int64_t last_login;            /* 0: never */
};
typedef int (*db_admin_fn)(const struct db_admin *a, void *arg);
int db_admin_add(struct db *db, const struct db_admin *a, int64_t *id);
int db_admin_get(struct db *db, int64_t id, struct db_admin *a);
int db_admin_get_by_name(struct db *db, const char *name, struct db_admin *a);
int db_admin_list(struct db *db, db_admin_fn fn, void *arg);
int db_admin_set_password(struct db *db, int64_t id, const char *password_hash, bool must_change);
int db_admin_set_role(struct db *db, int64_t id, enum db_role role);
/* len 0 removes TOTP. A new secret starts the replay guard again (totp_last_step 0). */
int db_admin_set_totp(struct db *db, int64_t id, const uint8_t *secret_enc, size_t len);
/* Only forward, in one statement: -EEXIST when step is not after the last one accepted (a
 * code used already, perhaps by a login at the same moment). */
int db_admin_set_totp_step(struct db *db, int64_t id, int64_t step);
int db_admin_logged_in(struct db *db, int64_t id, int64_t at);
int db_admin_delete(struct db *db, int64_t id);
int db_admin_count(struct db *db, enum db_role role, uint64_t *n);
void db_admin_wipe(struct db_admin *a);

struct db_token {
	int64_t id;
	char name[DB_NAME_MAX + 1];
	enum db_role role;
	int64_t created;
	int64_t last_used;             /* 0: never */
};
typedef int (*db_token_fn)(const struct db_token *t, void *arg);
int db_token_add(struct db *db, const char *name, enum db_role role,
		 const uint8_t hash[DB_HASH_LEN]);
/* The token with this hash (its last use recorded as now), or -ENOENT. */
int db_token_check(struct db *db, const uint8_t hash[DB_HASH_LEN], int64_t now,
		   struct db_token *t);
int db_token_list(struct db *db, db_token_fn fn, void *arg);
int db_token_delete(struct db *db, const char *name);

/* ---- the audit log: who changed what ---- */

struct db_audit {
	int64_t id;
	int64_t at;
	char actor[DB_NAME_MAX + 16];  /* "admin:NAME", "token:NAME", "user:NAME", "socket" */
	char source[64];               /* the client's address, or "socket" */
	char op[48];                   /* the operation's name, e.g. "user.add" */
	char target[96];               /* what it acted on, e.g. "alice" or "alice/phone" */
	int status;                    /* the HTTP status it answered */
	char detail[512];              /* the request's fields worth keeping, as JSON, no secrets */
};
typedef int (*db_audit_fn)(const struct db_audit *a, void *arg);
/* at 0: now; status 100..599. */
int db_audit_add(struct db *db, const struct db_audit *a);
struct db_audit_query {
	const char *actor;             /* NULL: any; else exact */
	const char *q;                 /* NULL: all; else a substring of op or target */
	int64_t since, until;          /* at in [since, until); 0 leaves a side open */
	size_t limit;                  /* 1..DB_PAGE_MAX */
	const char *cursor;
};
/* Newest first; total, next and the cursor as for db_user_query. */
int db_audit_query(struct db *db, const struct db_audit_query *q, db_audit_fn fn, void *arg,
		   uint64_t *total, char next[DB_CURSOR_MAX + 1]);
int db_audit_purge(struct db *db, int64_t before, uint64_t *n);

/* ---- prepaid vouchers: batches of codes, kept as keyed hashes, and who redeemed them ---- */

struct db_voucher_batch {
	int64_t id;                    /* filled by db_voucher_batch_add */
	char name[DB_NAME_MAX + 1];
	int64_t created;               /* 0 on add: now */
	char created_by[DB_NAME_MAX + 16];  /* as the audit names an actor */
	int64_t duration;              /* seconds added to an account's expiry; 0: none */
	uint64_t quota_bytes;          /* added to an account's quota; 0: none */
	enum db_quota_period quota_period;
	int64_t group_id;              /* 0: none (a new account goes to the default group) */
	int64_t expires;               /* the codes redeem until then; 0: no end */
	int uses;                      /* redemptions per code, at least 1 */
	int64_t revoked;               /* when it was revoked; 0: it was not */
	/* Filled by get and query (add ignores them): its codes, those never used, and the
	 * uses taken of all of them. */
	uint64_t codes, unused, redeemed;
};

/* The batch and the hashes of its n codes (1..), in one transaction: all or nothing.
 * -EEXIST for a name in use or a hash stored already (db_errmsg says which). */
int db_voucher_batch_add(struct db *db, const struct db_voucher_batch *b,
			 const uint8_t (*hashes)[DB_HASH_LEN], size_t n, int64_t *id);
int db_voucher_batch_get_by_name(struct db *db, const char *name, struct db_voucher_batch *b);
typedef int (*db_voucher_batch_fn)(const struct db_voucher_batch *b, void *arg);
/* One page of batches, newest first; limit 1..DB_PAGE_MAX; total, next and the cursor as
 * for db_user_query. */
int db_voucher_batch_query(struct db *db, size_t limit, const char *cursor,
			   db_voucher_batch_fn fn, void *arg, uint64_t *total,
			   char next[DB_CURSOR_MAX + 1]);
/* Revoked at `at` (its codes stop redeeming); at 0 takes the revocation back. */
int db_voucher_batch_revoke(struct db *db, int64_t id, int64_t at);
/* With its codes and their redemptions. */
int db_voucher_batch_delete(struct db *db, int64_t id);

struct db_voucher {
	int64_t id;
	int64_t batch_id;
	int used;                      /* uses taken, reserved ones included */
};
/* The code with this hash and its batch (without counts), or -ENOENT. */
int db_voucher_find(struct db *db, const uint8_t hash[DB_HASH_LEN], struct db_voucher *v,
		    struct db_voucher_batch *b);
/* Take one use of code id, in one statement, so that of any number of attempts at once
 * exactly as many as it has uses left succeed: -EPERM (nothing changed) when its uses
 * are taken, or its batch is revoked or expired at now. */
int db_voucher_reserve(struct db *db, int64_t id, int64_t now);
/* Give back a use reserved that was not redeemed after all. */
int db_voucher_release(struct db *db, int64_t id);

struct db_voucher_redemption {
	int64_t id;                    /* filled by the list */
	int64_t voucher_id;
	int64_t batch_id;              /* filled by db_voucher_redeemed from the voucher */
	char user_name[DB_NAME_MAX + 1];
	int64_t at;                    /* 0 on add: now */
	char source[64];               /* the client's address, or "socket" */
	bool created_account;          /* the code made the account, else it extended one */
};
/* A use reserved is redeemed: who, when, from where. */
int db_voucher_redeemed(struct db *db, const struct db_voucher_redemption *r);
/* Did user_name redeem code voucher_id before? */
int db_voucher_used_by(struct db *db, int64_t voucher_id, const char *user_name, bool *yes);
typedef int (*db_redemption_fn)(const struct db_voucher_redemption *r, void *arg);
/* One page of a batch's redemptions, newest first; next and the cursor as for
 * db_user_query. */
int db_voucher_redemptions(struct db *db, int64_t batch_id, size_t limit, const char *cursor,
			   db_redemption_fn fn, void *arg, char next[DB_CURSOR_MAX + 1]);
/* Uses reserved but never redeemed (a server stopped between the two) given back, at
 * start; *n (may be NULL) how many codes had some. */
int db_voucher_release_stale(struct db *db, uint64_t *n);

/* ---- runtime settings (DESIGN 9): what admins change while the server runs ---- */

#define DB_SETTING_KEY_MAX 48
#define DB_SETTING_VALUE_MAX 4096
typedef int (*db_setting_fn)(const char *key, const char *value, int64_t updated,
			     const char *by, void *arg);
/* value is JSON text, checked by the caller. -ENOENT for an unset key, -EINVAL for a key
 * not of [a-z0-9_.] or a value longer than size - 1 (or DB_SETTING_VALUE_MAX). at 0: now. */
int db_setting_get(struct db *db, const char *key, char *value, size_t size);
int db_setting_set(struct db *db, const char *key, const char *value, int64_t at,
		   const char *by);
int db_setting_delete(struct db *db, const char *key);
int db_setting_list(struct db *db, db_setting_fn fn, void *arg);

#include "dns.h"

#endif
