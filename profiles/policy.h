/* A group's access policy (DESIGN 11): where its users may go, when, from where, how
 * fast, whether they see each other and whether they must sign in to the portal first.
 * Pure data with exact parsers and printers; the config file, the database and the API
 * all speak these strings. */
#ifndef WARREN_POLICY_H
#define WARREN_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cidr.h"
#include "model.h"

#define POLICY_DESTS_MAX 256          /* destinations of one group */
#define POLICY_SOURCES_MAX 64         /* endpoint CIDRs of one group */
#define POLICY_WINDOWS_MAX 64         /* weekly windows of one schedule */
#define POLICY_STRLEN 8192            /* the longest printed field, with its NUL */
#define POLICY_WEEK_MIN (7 * 24 * 60)
#define POLICY_IDLE_DEFAULT 1800      /* idle_s of policy_init and the file's default */

/* "10.0.0.0/8", "10.1.2.3:443/tcp", "[fd00::1]:1000-2000/udp", "192.168.0.0/16/udp". */
struct policy_dest {
	struct cidr net;             /* host bits clear */
	uint8_t proto;               /* 0: any protocol, IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port_lo, port_hi;   /* 0, 0: every port; with a port proto 0 means tcp+udp */
};

/* One weekly window: from minute start of the week (0 = Monday 00:00) for len minutes;
 * start + len may pass the week's end and wraps to Monday. */
struct policy_window {
	uint16_t start;              /* 0 .. POLICY_WEEK_MIN - 1 */
	uint16_t len;                /* 1 .. POLICY_WEEK_MIN */
};

/* n == 0: always open. "Mon-Fri 08:00-18:00, Sat 22:00-02:00" (the last crosses midnight
 * into Sunday); "always"; "never" (never open: len 0 with n = 1 is not used; see closed). */
struct policy_schedule {
	struct policy_window w[POLICY_WINDOWS_MAX];
	size_t n;
	bool never;                  /* "never": closed all the time */
};

/* "20Mbit/5Mbit": download (towards the client) / upload; 0: unlimited. Units bit, kbit,
 * Mbit, Gbit (decimal), also "unlimited". */
struct policy_rate {
	uint64_t down_bps, up_bps;
};

struct policy {
	struct policy_dest *dests;   /* n_dests == 0: what client_allowed_ips allows */
	size_t n_dests;
	struct cidrv sources;        /* n == 0: any endpoint */
	struct policy_schedule schedule;
	struct policy_rate rate;
	bool isolate;                /* clients may not reach other clients */
	bool portal_login;           /* nothing but DNS and the portal before a web sign-in */
	uint32_t idle_s;             /* portal_login: signed out after this long without traffic
	                                (0: only by logout or the session's end) */
	uint32_t max_maps;           /* port maps and sites users may publish themselves */
};

/* Every parser takes the whole field and returns 0, or -EINVAL with a reason naming the
 * bad item in why (whylen bytes): e.g. `"10.0.0.0/33": prefix longer than 32`. Nothing
 * is written to the output on error. */
int policy_dests_parse(const char *s, struct policy_dest **v, size_t *n, char *why,
		       size_t whylen);
int policy_sources_parse(const char *s, struct cidrv *v, char *why, size_t whylen);
int policy_schedule_parse(const char *s, struct policy_schedule *sch, char *why,
			  size_t whylen);
int policy_rate_parse(const char *s, struct policy_rate *r, char *why, size_t whylen);
/* One destination, for the pieces of a list. */
int policy_dest_parse(const char *s, struct policy_dest *d, char *why, size_t whylen);

/* Canonical text, parseable back to the same value (buf of POLICY_STRLEN); "" for an
 * empty list, "always" for an always-open schedule, "unlimited" for no rate. */
char *policy_dests_fmt(const struct policy_dest *v, size_t n, char *buf, size_t len);
char *policy_sources_fmt(const struct cidrv *v, char *buf, size_t len);
char *policy_schedule_fmt(const struct policy_schedule *sch, char *buf, size_t len);
char *policy_rate_fmt(const struct policy_rate *r, char *buf, size_t len);

/* Schedules in a time zone: is it open at t, and when does that change next (the first
 * second after t where policy_schedule_open differs; 0 for a schedule that never changes).
 * tz is an IANA name ("Europe/Berlin"; NULL or "": the process's local zone); the daemon
 * computes transitions itself, DST included, so the kernel's clock plays no part. */
bool policy_schedule_open(const struct policy_schedule *sch, const char *tz, time_t t);
time_t policy_schedule_next(const struct policy_schedule *sch, const char *tz, time_t t);

void policy_init(struct policy *p);
void policy_clear(struct policy *p);
/* Deep copy; dst is cleared first. */
void policy_copy(struct policy *dst, const struct policy *src);

#endif
