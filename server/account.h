/* What the server keeps in memory between database writes: per user its limits and
 * totals over all its devices; per device (one peer on the link) the link's counters as
 * last accounted, the latest handshake and endpoint, the open session and rates; and the
 * deadlines of expiry and quota periods. */
#ifndef WARREN_ACCOUNT_H
#define WARREN_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "../profiles/cidr.h"
#include "../profiles/key.h"
#include "../profiles/policy.h"

struct json;
struct server;

/* A sealed 32-byte key: nonce, MAC and the key (secret.h). */
#define ACCT_PSK_ENC_MAX 80

struct acct_user {
	int64_t id;
	char name[DB_NAME_MAX + 1];
	enum db_disabled disabled;
	int64_t expires;                  /* 0: never */
	uint64_t quota_bytes;             /* 0: none */
	enum db_quota_period quota_period;
	int quota_reset_day;
	int64_t period_start;
	int64_t period_next;              /* DB_QUOTA_MONTH: when the next period begins */
	int64_t group_id;
	uint64_t rx_total, tx_total, rx_period, tx_period;
	uint32_t dev_first, n_devs;       /* its devices: by_user[dev_first ...] */
	bool has_rate;                    /* its own rate, over its group's */
	struct policy_rate rate;
	uint16_t rate_minor;              /* its HTB class (engine.c), 0: none */
	struct policy_rate rate_sent;     /* what that class was last set to */
};

struct acct_device {
	int64_t id;
	int64_t user_id;
	char name[DB_NAME_MAX + 1];
	enum db_device_kind kind;
	bool has_key;                     /* an agent device before it enrols has none */
	bool has_private;                 /* the server holds its private key (sealed) */
	uint8_t key[KEY_LEN];
	uint8_t psk_enc[ACCT_PSK_ENC_MAX];   /* the preshared key as stored: sealed */
	size_t psk_enc_len;
	uint64_t rx_total, tx_total;
	uint64_t seen_rx, seen_tx;        /* the link's counters last accounted */
	struct cidr addrs[2];
	size_t n_addrs;
	int64_t handshake;                /* latest handshake on the link, 0: none */
	char endpoint[DB_ENDPOINT_MAX];   /* where the peer was last seen, "" none */
	char stored_endpoint[DB_ENDPOINT_MAX];   /* what the database has, to write changes only */
	int64_t session_id;               /* the open session, 0: none */
	int64_t session_started;
	int64_t active;                   /* last handshake or traffic of that session */
	uint64_t rx_rate, tx_rate;        /* bytes per second over the last reading */
	bool on_link;                     /* present in the last reading */
	bool ep_ok;                       /* its endpoint was seen inside its group's sources */
	bool logged_in;                   /* portal_login: its user is signed in to the portal */
	uint64_t blocked_packets, blocked_bytes;   /* refused by its policy (engine.c) */
};

/* Users and devices in id order; devices also by public key (open addressing). */
struct account {
	struct acct_user *users;
	size_t n_users;
	struct acct_device *devs;
	size_t n_devs;
	uint32_t *slots;                  /* device index + 1; 0 is empty */
	size_t n_slots;                   /* a power of two, at least 2 n_devs */
	uint32_t *by_user;                /* device indexes grouped by user, each in id order */
	uint64_t changes;                 /* grows with every change, for the status stream */
};

/* Fill the account from the database: users, devices, addresses, sessions a crash left
 * open. 0 or -errno. */
int account_load(struct server *s);
void account_free(struct account *a);

struct acct_user *account_user(struct account *a, int64_t id);
struct acct_user *account_user_by_name(struct account *a, const char *name);
struct acct_device *account_device(struct account *a, int64_t id);
struct acct_device *account_find_key(struct account *a, const uint8_t key[KEY_LEN]);
/* The user's devices, one after the other: start with *i = 0; NULL after the last. */
struct acct_device *account_user_devices(struct account *a, int64_t user_id, size_t *i);
/* The device's peer belongs on the link: it has a key and its user is enabled. */
bool account_on_link(struct account *a, const struct acct_device *d);

/* Add u or d, or update the entry with its id after a change of the row: what is only
 * known at runtime stays unless the key changed. Pointers into the account are good
 * until the next update or forget. */
struct acct_user *account_update_user(struct server *s, const struct db_user *u);
struct acct_device *account_update_device(struct server *s, const struct db_device *d);
/* Gone from the database (a user's devices go with it). */
void account_forget_user(struct server *s, int64_t id);
void account_forget_device(struct server *s, int64_t id);

/* Read the link's counters into the totals and sessions, and enforce quotas. Drift (a
 * peer the database does not know, a device missing) asks for a repair. */
int account_poll(struct server *s);
/* d's peer was (re)created: its counters start again from zero. */
void account_peer_fresh(struct server *s, struct acct_device *d);
/* The link was (re)created: every counter starts again from zero. */
void account_link_fresh(struct server *s);

/* Change a user's state: the row, then its devices' peers, then what the account knows;
 * closes their sessions when it goes. reason DB_ENABLED enables. 0 or -errno, with why. */
int account_set_state(struct server *s, struct acct_user *u, enum db_disabled reason,
		      char *why, size_t whylen);
/* Enforce what is due now (expiries, new quota periods) and arm the timer for the next. */
void account_deadlines(struct server *s);
/* u changed (added, set): enforce it now and move the timer earlier if needed. */
void account_check_user(struct server *s, struct acct_user *u);
/* Close d's open session at `at`. */
void account_close_session(struct server *s, struct acct_device *d, int64_t at);
/* Every open session of u's devices. */
void account_close_user_sessions(struct server *s, struct acct_user *u, int64_t at);

/* What a quota counts: this period's bytes, or all bytes for a total quota. */
uint64_t account_quota_used(const struct acct_user *u);
/* Any of u's devices has an open session. */
bool account_user_online(struct account *a, int64_t user_id);

/* The runtime members of one device (online, endpoint, handshake, session, rates). */
void account_device_json(const struct acct_device *d, struct json *j);

#endif
