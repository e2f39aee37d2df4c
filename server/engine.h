/* The access policy at work (DESIGN 11): each group's resolved policy and schedule, each
 * device's endpoint and portal sign-in, the users' rate classes, kept in the kernel by the
 * table of enforce.c and the qdiscs of netcfg/tc.c. A change to one user touches its
 * elements only, a change to one group that group's chain and sets only. */
#ifndef WARREN_ENGINE_H
#define WARREN_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct acct_device;
struct json;
struct server;

/* At open: the table's handle and the timers. 0 or -errno. */
int engine_open(struct server *s);
void engine_close(struct server *s);
/* Everything from the file and the database, written only where the kernel differs (start,
 * reload, settings, repair): 1 when something was written, 0 when nothing was, -errno. */
int engine_converge(struct server *s);
/* d's peer was added, changed or removed (remove): its elements follow. */
void engine_device(struct server *s, const struct acct_device *d, bool remove);
/* A portal session of user_id began (true) or the user has none left (false). */
void engine_login(struct server *s, int64_t user_id, bool in);
/* At stop: the table and our qdiscs go. */
void engine_remove(struct server *s);

/* The daemon's clock for schedules: the wall clock plus the offset a test set. */
time_t engine_now(const struct server *s);
/* Tests only (WARREN_TEST_CLOCK=1 in the environment at start): move that clock. -EPERM
 * otherwise. */
int engine_clock_set(struct server *s, int64_t offset_s);

/* The policy state of one device for status and the portal: schedule, endpoint, sign-in,
 * blocked counters; and of one group. Members into an open object. */
void engine_device_json(struct server *s, const struct acct_device *d, struct json *j);
void engine_group_json(struct server *s, int64_t group_id, struct json *j);
/* DoT and DoH packets the table refused since it was made; 0 and 0 without a table. */
uint64_t engine_dns_refused(struct server *s);

#endif
