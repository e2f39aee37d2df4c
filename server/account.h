/* What the server keeps of each user between database writes: the link's counters as last
 * accounted, the latest handshake and endpoint, the open session, rates, and the
 * deadlines of expiry and quota periods. */
#ifndef WARREN_ACCOUNT_H
#define WARREN_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "../profiles/cidr.h"
#include "../profiles/key.h"

struct json;
struct server;

/* A sealed 32-byte key: nonce, MAC and the key (secret.h). */
#define ACCT_PSK_ENC_MAX 80

struct acct_user {
	int64_t id;
	char name[DB_USER_NAME_MAX + 1];
	uint8_t key[KEY_LEN];
	uint8_t psk_enc[ACCT_PSK_ENC_MAX];   /* the preshared key as stored: sealed */
	size_t psk_enc_len;
	enum db_disabled disabled;
	int64_t expires;                  /* 0: never */
	uint64_t quota_bytes;             /* 0: none */
	enum db_quota_period quota_period;
	int quota_reset_day;
	int64_t period_start;
	int64_t period_next;              /* DB_QUOTA_MONTH: when the next period begins */
	uint64_t rx_total, tx_total, rx_period, tx_period;
	uint64_t seen_rx, seen_tx;        /* the link's counters last accounted */
	struct cidr addrs[2];
	size_t n_addrs;
	int64_t handshake;                /* latest handshake on the link, 0: none */
	char endpoint[DB_ENDPOINT_MAX];   /* where the peer was last seen, "" none */
	int64_t session_id;               /* the open session, 0: none */
	int64_t session_started;
	int64_t active;                   /* last handshake or traffic of that session */
	uint64_t rx_rate, tx_rate;        /* bytes per second over the last reading */
	bool on_link;                     /* present in the last reading */
};

/* Users by public key (open addressing over indexes into v). */
struct account {
	struct acct_user *v;
	size_t n, cap;
	uint32_t *slots;                  /* index + 1; 0 is empty */
	size_t n_slots;                   /* a power of two, at least 2n */
};

/* Fill the account from the database: users, addresses, sessions a crash left open.
 * 0 or -errno. */
int account_load(struct server *s);
void account_free(struct account *a);

struct acct_user *account_find_key(struct account *a, const uint8_t key[KEY_LEN]);
struct acct_user *account_find_id(struct account *a, int64_t id);
/* Add u, or update the user with its id after a change of the row (keys, expiry, quota,
 * state): what is only known at runtime stays unless the key changed. */
struct acct_user *account_update(struct server *s, const struct db_user *u);
/* The user is gone from the database. */
void account_forget(struct server *s, int64_t id);

/* Read the link's counters into the totals and sessions, and enforce quotas. Drift (a
 * peer the database does not know, an enabled user missing) asks for a repair. */
int account_poll(struct server *s);
/* u's peer was (re)created: its counters start again from zero. */
void account_peer_fresh(struct server *s, struct acct_user *u);
/* The link was (re)created: every counter starts again from zero. */
void account_link_fresh(struct server *s);

/* Change a user's state: the row, then its peer, then what the account knows; closes its
 * session when it goes. reason DB_ENABLED enables. 0 or -errno, with why filled. */
int account_set_state(struct server *s, struct acct_user *u, enum db_disabled reason,
		      char *why, size_t whylen);
/* Enforce what is due now (expiries, new quota periods) and arm the timer for the next. */
void account_deadlines(struct server *s);
/* u changed (added, set): enforce it now and move the timer earlier if needed. */
void account_check_user(struct server *s, struct acct_user *u);
/* Close u's open session at `at`. */
void account_close_session(struct server *s, struct acct_user *u, int64_t at);

/* "users": [...] of the status document. */
void account_status(struct server *s, struct json *j);
/* The runtime members of one user's show output. */
void account_user_json(struct server *s, const struct acct_user *u, struct json *j);

/* What a quota counts: this period's bytes, or all bytes for a total quota. */
uint64_t account_quota_used(const struct acct_user *u);

#endif
