/* The arguments of `warren user ...` and `warren session ...` requests. */
#ifndef WARREN_ADMINARGS_H
#define WARREN_ADMINARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../profiles/key.h"

#define ADMIN_USER_USAGE "usage: user add|list|show|config|qr|set|disable|enable|delete|rotate ..."

/* Options of user add, set and rotate; *_set says which were given. */
struct user_opts {
	bool expires_set, quota_set, key_set, reset_day_set;
	int64_t expires;             /* set: 0 for "never" */
	uint64_t quota;              /* set: 0 for "none" */
	bool monthly;
	int reset_day;
	uint8_t key[KEY_LEN];
};

/* argv[0] is the verb ("add", "set", "rotate"), NAME and options follow (in any order);
 * allow_clear takes "never"/"none", allow_key --public-key. On success optind indexes
 * NAME, which is a valid user name. 0, or -EINVAL with one line in why. */
int adminargs_user(const char *verb, int argc, char **argv, bool allow_clear, bool allow_key,
		   struct user_opts *o, char *why, size_t whylen);

struct session_opts {
	const char *user;            /* NULL: every user */
	int64_t since;
	bool json;
};

/* argv[0] is "session", argv[1] "list". 0, or -EINVAL with one line in why. */
int adminargs_session(int argc, char **argv, struct session_opts *so, char *why,
		      size_t whylen);

struct device_opts {
	const char *name;            /* add, delete */
	const char *user;            /* add */
	int64_t expires;             /* add: the token's lifetime in seconds, 0: default */
	bool json;                   /* list */
};

/* argv[0] is "device": add NAME --user USER [--expires DURATION] | list [--json] |
 * delete NAME. 0, or -EINVAL with one line in why. */
int adminargs_device(int argc, char **argv, struct device_opts *o, char *why, size_t whylen);

/* A whole request (argv[0] is "user", "session", "device" or "token": token add NAME |
 * list | delete NAME), checked as the daemon checks it.
 * 0, or -EINVAL with one line in why. */
int admin_check(int argc, char **argv, char *why, size_t whylen);

#endif
