/* The built-in resolver's part of the storage (DESIGN 12): the internal zone's records,
 * custom rules, block lists, the query log with its interned names, and the hourly
 * roll-ups the statistics sum. Included by db.h; the conventions of db.h hold (0 or
 * -errno, callbacks for lists, db_errmsg says why). */
#ifndef WARREN_DB_DNS_H
#define WARREN_DB_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

#define DB_DNS_NAME_MAX 253          /* an FQDN as text, no trailing dot */
#define DB_DNS_VALUE_MAX 1024        /* a record's value (TXT: the text) */
#define DB_DNS_PATTERN_MAX 256       /* a rule's pattern */
#define DB_DNS_NOTE_MAX 256
#define DB_DNS_SOURCE_MAX 1024       /* a list's path or http(s) URL */
#define DB_DNS_ETAG_MAX 256
#define DB_DNS_ERROR_MAX 256
#define DB_DNS_LIST_GROUPS_MAX 64
#define DB_DNS_TOP_MAX 100           /* the most rows one top list returns */

/* ---- the internal zone's records ---- */

struct db_dns_record {
	int64_t id;                    /* filled by add */
	char name[DB_DNS_NAME_MAX + 1];/* lower case, no trailing dot (add lowers it, drops it) */
	char type[8];                  /* "A", "AAAA", "CNAME", "TXT", "SRV" */
	char value[DB_DNS_VALUE_MAX + 1]; /* SRV: "prio weight port target"; stored as given */
	uint32_t ttl;                  /* 0 on add: 300 */
	int64_t created;               /* 0 on add: now */
};
typedef int (*db_dns_record_fn)(const struct db_dns_record *r, void *arg);
/* -EEXIST for the same (name, type, value), -EINVAL for a bad type or an empty name or
 * value. The caller checks the value's syntax. */
int db_dns_record_add(struct db *db, const struct db_dns_record *r, int64_t *id);
int db_dns_record_delete(struct db *db, int64_t id);
/* name NULL/"": every record, by name, type, id; else that name's. */
int db_dns_record_list(struct db *db, const char *name, db_dns_record_fn fn, void *arg);

/* ---- custom rules ---- */

enum db_dns_action { DB_DNS_BLOCK, DB_DNS_ALLOW };

struct db_dns_rule {
	int64_t id;                    /* filled by add */
	char pattern[DB_DNS_PATTERN_MAX + 1];
	enum db_dns_action action;
	int64_t group_id;              /* 0: every group; a group's rules go with it */
	char note[DB_DNS_NOTE_MAX + 1];/* "" none */
	int64_t created;               /* 0 on add: now */
};
typedef int (*db_dns_rule_fn)(const struct db_dns_rule *r, void *arg);
/* -EEXIST for the same (pattern, action, group), -ENOENT for no such group. The caller
 * checks the pattern's syntax. */
int db_dns_rule_add(struct db *db, const struct db_dns_rule *r, int64_t *id);
int db_dns_rule_delete(struct db *db, int64_t id);
/* Every rule, by id. */
int db_dns_rule_list(struct db *db, db_dns_rule_fn fn, void *arg);

/* ---- block lists ---- */

struct db_dns_list {
	int64_t id;                    /* filled by add */
	char name[DB_NAME_MAX + 1];    /* unique; DB_NAME_MAX rules as for groups */
	char source[DB_DNS_SOURCE_MAX + 1];  /* a path or an http(s) URL, stored as given */
	bool enabled;
	uint32_t refresh_s;            /* 0 on add: 86400 */
	int64_t created;               /* 0 on add: now */
	int64_t groups[DB_DNS_LIST_GROUPS_MAX];  /* applies to these, ascending; none: all */
	size_t n_groups;
	/* The last fetch (written by db_dns_list_set_fetch, ignored by add). */
	char etag[DB_DNS_ETAG_MAX + 1];
	char last_modified[64];
	int64_t fetched_at;            /* 0: never */
	uint64_t entries, bad_lines;
	char error[DB_DNS_ERROR_MAX + 1];    /* "" the last fetch worked */
};
typedef int (*db_dns_list_fn)(const struct db_dns_list *l, void *arg);
/* The row and its groups, all or nothing: -EEXIST for a name in use, -ENOENT for a
 * group that does not exist. */
int db_dns_list_add(struct db *db, const struct db_dns_list *l, int64_t *id);
int db_dns_list_get(struct db *db, int64_t id, struct db_dns_list *l);
int db_dns_list_get_by_name(struct db *db, const char *name, struct db_dns_list *l);
int db_dns_list_set_enabled(struct db *db, int64_t id, bool enabled);
/* Replaces the groups (n 0: every group), all or nothing. */
int db_dns_list_set_groups(struct db *db, int64_t id, const int64_t *groups, size_t n);
/* Writes etag, last_modified, fetched_at, entries, bad_lines and error of l->id. */
int db_dns_list_set_fetch(struct db *db, const struct db_dns_list *l);
int db_dns_list_delete(struct db *db, int64_t id);
/* Every list with its groups, by name. */
int db_dns_list_list(struct db *db, db_dns_list_fn fn, void *arg);

/* ---- the query log ---- */

/* A row of the log. list_id: NULL in the database for an answer not blocked; 0 a custom
 * rule blocked it; else the dns_lists id whose entry did (a list deleted since keeps its
 * id here). collapsed: 0 for one query; N >= 1 for a row that stands for N queries of a
 * device over its rate (name, qtype and rcode are then the last of them). Users and
 * devices are no references: a deleted one keeps its id in the log. */
struct db_dns_log {
	int64_t id;                    /* filled by query; ascending with time */
	int64_t at_ms;                 /* wall clock, ms; kept non-decreasing by the insert */
	int64_t user_id, device_id;    /* 0: not a known device */
	int64_t name_id;               /* the interned name; 0 on insert: intern name */
	char name[DB_DNS_NAME_MAX + 1];
	uint16_t qtype;
	uint8_t rcode;
	bool blocked;
	int64_t list_id;               /* meaningful when blocked */
	uint32_t upstream_us;          /* 0: answered locally (cache, zone, filter) */
	uint32_t collapsed;
};

/* The id of name (lower case, 1..DB_DNS_NAME_MAX bytes), interned when new. */
int db_dns_name_id(struct db *db, const char *name, int64_t *id);
/* n rows in the caller's transaction (or one of its own when there is none), all or
 * nothing. A row with name_id 0 has its name interned (rows[i].name_id is filled). A
 * row's at_ms earlier than the log's latest is stored as the latest (the log's ids and
 * times ascend together, which its searches by time rely on). */
int db_dns_log_insert(struct db *db, struct db_dns_log *rows, size_t n);

enum db_dns_result { DB_DNS_ANY, DB_DNS_BLOCKED, DB_DNS_NOT_BLOCKED };
struct db_dns_log_query {
	int64_t user_id;               /* 0: every user */
	int64_t device_id;             /* 0: every device */
	const char *q;                 /* NULL/"": every name; else a case-insensitive
	                                  substring of the name (at most DB_QUERY_MAX bytes) */
	int qtype;                     /* 0: any */
	int rcode;                     /* -1: any */
	enum db_dns_result result;
	int64_t since_ms, until_ms;    /* at in [since, until); 0 leaves a side open */
	size_t limit;                  /* 1..DB_PAGE_MAX */
	const char *cursor;
};
typedef int (*db_dns_log_fn)(const struct db_dns_log *r, void *arg);
/* Newest first; next and the cursor as for db_user_query (no total: a log has millions
 * of rows, counting them is the statistics' job). */
int db_dns_log_query(struct db *db, const struct db_dns_log_query *q, db_dns_log_fn fn,
		     void *arg, char next[DB_CURSOR_MAX + 1]);
/* Delete at most max rows (1..) older than before_ms, oldest first; *n how many (fewer
 * than max: nothing older is left). */
int db_dns_log_purge(struct db *db, int64_t before_ms, uint64_t max, uint64_t *n);
/* The newest row's id and time, 0 and 0 for an empty log. */
int db_dns_log_last(struct db *db, int64_t *id, int64_t *at_ms);

/* ---- hourly roll-ups: what the statistics sum over a day or a week ---- */

/* Counts of one user (or name) in one hour; the roll-up adds them to what is there. */
struct db_dns_hour_user {
	int64_t user_id;
	uint64_t queries, blocked, nxdomain, servfail;
	uint64_t upstream_n, upstream_us_sum;   /* answers from upstream and their time */
};
struct db_dns_hour_name {
	int64_t name_id;
	uint64_t queries, blocked;
};
/* Add counts to hour (a multiple of 3600, seconds), in the caller's transaction or one
 * of its own: what the query log's writer does as rows arrive. */
int db_dns_hourly_add(struct db *db, int64_t hour, const struct db_dns_hour_user *users,
		      size_t n_users, const struct db_dns_hour_name *names, size_t n_names);
/* The roll-up of hour made again from the log's rows in it (what was there replaced),
 * e.g. for an hour a crash left half counted. */
int db_dns_rollup_hour(struct db *db, int64_t hour);
/* Delete the roll-ups of hours before `before` (seconds); *n (may be NULL) how many rows. */
int db_dns_hourly_purge(struct db *db, int64_t before, uint64_t *n);

struct db_dns_totals {
	uint64_t queries, blocked, nxdomain, servfail;
	uint64_t upstream_n, upstream_us_sum;   /* mean upstream time: sum / n */
};
enum db_dns_top { DB_DNS_TOP_NAMES, DB_DNS_TOP_BLOCKED, DB_DNS_TOP_USERS };
struct db_dns_top_row {
	enum db_dns_top kind;
	int64_t id;                    /* the name's id, or the user's */
	const char *name;              /* the name (users: "") */
	uint64_t queries, blocked;
};
typedef int (*db_dns_top_fn)(const struct db_dns_top_row *r, void *arg);
struct db_dns_stats_query {
	int64_t since, until;          /* seconds; the hours that start in [since, until) */
	int64_t user_id;               /* 0: everyone; else that user's (its top names are
	                                  counted from the log, within its retention) */
	size_t top;                    /* 0..DB_DNS_TOP_MAX rows of each top list */
};
/* *t the totals; fn for the top names (most queried), then the top blocked names (most
 * blocked), then (every user only) the top users, each most first, ties by id. The
 * blocked share is 100 * blocked / queries. */
int db_dns_stats(struct db *db, const struct db_dns_stats_query *q, struct db_dns_totals *t,
		 db_dns_top_fn fn, void *arg);

#endif
