/* The server's SQLite database: users, their addresses, counters and session log. */
#ifndef WARREN_DB_H
#define WARREN_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../profiles/cidr.h"
#include "../profiles/key.h"

struct db;

/* The schema version this code writes; a database with a higher one is refused. */
#define DB_SCHEMA_VERSION 3

#define DB_USER_NAME_MAX 64
/* Room for a secretbox of a 32-byte key (24 nonce + 16 MAC + 32) and some to spare. */
#define DB_SECRET_MAX 128
#define DB_ENDPOINT_MAX 64

enum db_quota_period { DB_QUOTA_TOTAL, DB_QUOTA_MONTH };

/* Why a user is disabled; DB_ENABLED means it is not. Stored as NULL, 'expired', 'quota'
 * or 'admin'. */
enum db_disabled { DB_ENABLED, DB_DISABLED_EXPIRED, DB_DISABLED_QUOTA, DB_DISABLED_ADMIN };

/* One row of users. Times are unix seconds. The *_enc fields are ciphertext as the key
 * module made it: this layer stores and returns the bytes and never sees a plain key. */
struct db_user {
	int64_t id;                    /* filled by db_user_add */
	char name[DB_USER_NAME_MAX + 1];
	int64_t created;               /* 0 on add: now */
	int64_t expires;               /* 0: never */
	uint64_t quota_bytes;          /* 0: no quota */
	enum db_quota_period quota_period;
	int quota_reset_day;           /* 1..31, for DB_QUOTA_MONTH; 0 on add: 1 */
	enum db_disabled disabled;
	uint8_t public_key[KEY_LEN];
	uint8_t private_key_enc[DB_SECRET_MAX];
	size_t private_key_enc_len;    /* 0: the client holds its private key */
	uint8_t preshared_key_enc[DB_SECRET_MAX];
	size_t preshared_key_enc_len;  /* 0: none */
	/* Counters: totals survive everything; the period ones restart with the quota period. */
	uint64_t rx_total, tx_total, rx_period, tx_period;
	int64_t period_start;          /* 0 on add: created */
	/* The link's own counters for this peer when they were last added to the totals. */
	uint64_t seen_rx, seen_tx;
};

struct db_session {
	int64_t id;
	int64_t user_id;
	int64_t started;
	int64_t ended;                 /* 0 while the session is open */
	char endpoint[DB_ENDPOINT_MAX]; /* where it connected from; changes in session_endpoints */
	char address[CIDR_STRLEN];      /* the user's virtual address(es) */
	uint64_t rx, tx;
	int64_t last_seen;             /* last handshake or traffic; 0: none recorded */
};

/* Sessions of one user (or all when user_id is 0) that overlap [since, until); 0 leaves a
 * side open. open_only: just the sessions not ended yet (to close them after a crash). */
struct db_session_filter {
	int64_t user_id;
	int64_t since;
	int64_t until;
	bool open_only;
};

/* Callbacks for the list functions: return 0 to go on; anything else stops the walk and
 * becomes the list function's return value. The row is only valid during the call, and a
 * callback must not start the same list again (the statement is shared). */
typedef int (*db_user_fn)(const struct db_user *u, void *arg);
typedef int (*db_addr_fn)(int64_t user_id, const struct cidr *addr, void *arg);
typedef int (*db_session_fn)(const struct db_session *s, void *arg);
typedef int (*db_endpoint_fn)(int64_t at, const char *endpoint, void *arg);

/* Open or create PATH (new files are 0600): WAL, foreign keys, busy timeout, schema
 * migrated to DB_SCHEMA_VERSION. 0 or -errno; -EPROTONOSUPPORT when the database was
 * written by a newer warren. A failure is logged once, naming the file. */
int db_open(const char *path, struct db **out);
void db_close(struct db *db);
/* The SQLite (or db) message behind the last failure on db. */
const char *db_errmsg(const struct db *db);

/* The integer value of PRAGMA NAME ([a-z_]+) on this connection, for diagnostics
 * (user_version, foreign_keys, busy_timeout, synchronous). */
int db_pragma_int(struct db *db, const char *name, int64_t *v);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK; rollback outside a transaction is a no-op. */
int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);

/* All return 0 or -errno: -EEXIST for a duplicate name, public key or address, -ENOENT
 * for a missing row (or a reference to one), -EBUSY when locked past the busy timeout,
 * -EINVAL for a value out of range, -EIO otherwise. */
int db_user_add(struct db *db, const struct db_user *u, int64_t *id);
int db_user_get(struct db *db, int64_t id, struct db_user *u);
int db_user_get_by_name(struct db *db, const char *name, struct db_user *u);
int db_user_get_by_key(struct db *db, const uint8_t public_key[KEY_LEN], struct db_user *u);
/* Every user, ordered by id. */
int db_user_list(struct db *db, db_user_fn fn, void *arg);
/* Write expiry, quota, disabled state, keys and period_start of u->id; name, created and
 * counters stay (rotation keeps the totals). */
int db_user_update(struct db *db, const struct db_user *u);
/* Also removes the user's addresses and sessions. */
int db_user_delete(struct db *db, int64_t id);
/* The earliest expiry of an enabled user, for the expiry timer: 0 with *at, or -ENOENT. */
int db_user_next_expiry(struct db *db, int64_t *at);
/* Wipe a struct that held ciphertext copies. */
void db_user_wipe(struct db_user *u);

int db_addr_add(struct db *db, int64_t user_id, const struct cidr *addr);
/* Addresses in use for one family (AF_INET or AF_INET6), for the pool allocator. */
int db_addr_list_family(struct db *db, int family, db_addr_fn fn, void *arg);
int db_addr_list_user(struct db *db, int64_t user_id, db_addr_fn fn, void *arg);
/* Every address, in no particular order. */
int db_addr_list_all(struct db *db, db_addr_fn fn, void *arg);

/* Add to the totals and the period counters, and record the link's counters they came
 * from (seen_rx/seen_tx). */
int db_counters_add(struct db *db, int64_t user_id, uint64_t rx_delta, uint64_t tx_delta,
		    uint64_t seen_rx, uint64_t seen_tx);
/* A new quota period: period counters to 0, period_start = start. */
int db_counters_reset_period(struct db *db, int64_t user_id, int64_t start);

int db_session_open(struct db *db, int64_t user_id, int64_t started, const char *endpoint,
		    const char *address, int64_t *id);
int db_session_add_bytes(struct db *db, int64_t session_id, uint64_t rx_delta,
			 uint64_t tx_delta, int64_t last_seen);
/* -ENOENT when there is no such open session. */
int db_session_close(struct db *db, int64_t session_id, int64_t ended);
int db_session_add_endpoint(struct db *db, int64_t session_id, int64_t at,
			    const char *endpoint);
/* Ordered by start. */
int db_session_list(struct db *db, const struct db_session_filter *f, db_session_fn fn,
		    void *arg);
int db_session_endpoints(struct db *db, int64_t session_id, db_endpoint_fn fn, void *arg);
/* Delete sessions that ended before `before` (open ones stay); *n how many, may be NULL. */
int db_session_purge(struct db *db, int64_t before, uint64_t *n);

/* ---- devices (docs/portal.md) and admin API tokens ---- */

#define DB_HASH_LEN 32          /* BLAKE2b-256 of a token or credential */

struct db_device {
	int64_t id;
	int64_t user_id;               /* the user whose key the device holds */
	char name[DB_USER_NAME_MAX + 1];
	int64_t created;
	int64_t token_expires;         /* 0 once enrolled */
	int64_t enrolled;              /* 0: not yet */
	int64_t last_seen;
	uint64_t profile_serial;        /* grows with every change of the device's profile */
	int64_t profile_issued;         /* when that serial was made */
	uint8_t profile_hash[DB_HASH_LEN];   /* of the profile's content, to see a change */
	bool has_profile_hash;
};

struct db_token {
	int64_t id;
	char name[DB_USER_NAME_MAX + 1];
	int64_t created;
	int64_t last_used;             /* 0: never */
};

typedef int (*db_device_fn)(const struct db_device *d, void *arg);
typedef int (*db_token_fn)(const struct db_token *t, void *arg);

/* -EEXIST for a name (or a user) that has a device already. */
int db_device_add(struct db *db, int64_t user_id, const char *name,
		  const uint8_t token_hash[DB_HASH_LEN], int64_t token_expires, int64_t *id);
int db_device_get(struct db *db, int64_t id, struct db_device *d);
int db_device_get_by_name(struct db *db, const char *name, struct db_device *d);
int db_device_get_by_user(struct db *db, int64_t user_id, struct db_device *d);
/* Only a token not used yet and not expired at now is found; else -ENOENT. */
int db_device_get_by_token(struct db *db, const uint8_t hash[DB_HASH_LEN], int64_t now,
			   struct db_device *d);
int db_device_get_by_credential(struct db *db, const uint8_t hash[DB_HASH_LEN],
				struct db_device *d);
int db_device_list(struct db *db, db_device_fn fn, void *arg);
int db_device_delete(struct db *db, int64_t id);
/* Use up the token and store the credential; -ENOENT when the token was used meanwhile. */
int db_device_enroll(struct db *db, int64_t id, const uint8_t credential_hash[DB_HASH_LEN],
		     int64_t now);
int db_device_seen(struct db *db, int64_t id, int64_t now);
int db_device_set_profile(struct db *db, int64_t id, uint64_t serial,
			  const uint8_t hash[DB_HASH_LEN], int64_t issued);

int db_token_add(struct db *db, const char *name, const uint8_t hash[DB_HASH_LEN]);
/* The token with this hash (its last use recorded as now), or -ENOENT. */
int db_token_check(struct db *db, const uint8_t hash[DB_HASH_LEN], int64_t now,
		   struct db_token *t);
int db_token_list(struct db *db, db_token_fn fn, void *arg);
int db_token_delete(struct db *db, const char *name);

#endif
