/* What the event stream last told about each device and each user, and what differs
 * from it now: after an accounting poll an unchanged device costs one comparison and
 * only the changed ones are sent; a user's event after it is deleted still has its name.
 * Pure: it reads the account's arrays and keeps its own copy. */
#ifndef WARREN_DELTA_H
#define WARREN_DELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../account.h"

/* A device's runtime as a status row shows it. */
struct delta_device {
	int64_t id;
	bool online;
	int64_t handshake, session_started;
	uint64_t rx_bytes, tx_bytes, rx_rate, tx_rate;
	char endpoint[DB_ENDPOINT_MAX];
};

/* What a user's event is about: the row's fields a console shows in a list. */
struct delta_user {
	int64_t id;
	char name[DB_NAME_MAX + 1];
	enum db_disabled state;
	int64_t expires, group_id;
	uint64_t quota_bytes;
	enum db_quota_period quota_period;
};

/* Both in id order, as the account's arrays are. */
struct delta {
	struct delta_device *devs;
	size_t n_devs;
	struct delta_user *users;
	size_t n_users;
};

/* Take a as it is now for what was told: a client that opens a stream reads the lists
 * itself, so nothing from before is owed to it. */
void delta_reset(struct delta *d, const struct account *a);
void delta_free(struct delta *d);

/* The devices of a whose runtime differs from what was told, as indexes into a->devs in
 * id order, into *changed (grown as needed, *cap its room); how many. A device new since
 * counts when it has any runtime; one gone is forgotten (its user's event says so). What
 * was told is a's values afterwards. */
size_t delta_devices(struct delta *d, const struct account *a, size_t **changed, size_t *cap);

/* Told about a user: now (u) or after it was deleted (u NULL, name the one last told). */
typedef void (*delta_user_fn)(int64_t id, const struct acct_user *u, const char *name,
			      void *data);
/* User id changed (its row, or a device of it): fn once with it as it is now, even when
 * nothing told before differs; when it is gone, fn with its last name, or not at all when
 * it was never told. */
void delta_user(struct delta *d, const struct account *a, int64_t id, delta_user_fn fn,
		void *data);
/* Something of everyone may have changed: fn for each user that differs from what was
 * told (new, changed, gone), in id order. */
void delta_users(struct delta *d, const struct account *a, delta_user_fn fn, void *data);

#endif
