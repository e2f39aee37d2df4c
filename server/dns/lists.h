/* The resolver's block lists: reading files and fetching URLs off the loop, and compiling
 * them with the custom rules into one filter snapshot on a worker thread.
 *
 * Source bits. The custom rules come first: bit 0 holds the rules for every group (when there
 * are any), then one bit for each group that has rules of its own (in the order the rules
 * name them). The lists take the bits after those, in the order given, up to
 * FILTER_SOURCES_MAX in all; a list beyond that, or one with nothing to load, gets no bit
 * (source_bit -1). A group in all_groups gets the lists that name it or name no group, the
 * rules for every group and its own rules; groups not given (one created after the build)
 * get the default: the lists that name no group and the rules for every group. */
#ifndef WARREN_DNS_LISTS_H
#define WARREN_DNS_LISTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter.h"

struct loop;
struct dns_lists;

/* One source as the resolver wants it compiled. */
struct dns_list_src {
	int64_t id;              /* dns_lists row id (0: the custom rules source) */
	char *name;
	char *source;            /* a path, or an http:// or https:// URL */
	uint64_t groups_mask_placeholder; /* unused */
	int64_t *groups; size_t n_groups;   /* groups that use it; none = every group */
	char *etag, *last_modified;   /* from the last fetch, to send as If-None-Match / If-Modified-Since */
};
struct dns_rule_src { char *pattern; enum filter_action action; int64_t group_id; /* 0: every group */ };

/* What a finished build tells the loop: per list, the fetch/parse result to store in the
 * database. res[] holds the lists in the order given, then one entry per rule source that
 * exists (id 0; group_id 0 for the rules of every group, else the group's own rules), so
 * every source bit of the snapshot is named by exactly one entry. A download that failed but
 * had a cached copy keeps its -errno status and error ("HTTP 404 (kept the cached copy)")
 * and still has its entries and source bit. */
struct dns_list_result {
	int64_t id;
	int status;              /* 0 ok, 304 kept the cached copy, or -errno */
	char error[256];         /* "HTTP 404", "open /x: No such file", first bad line "FILE:LINE: why" */
	char *etag, *last_modified;
	size_t entries, bad;
	int64_t fetched_at;
	int source_bit;          /* the filter source bit it got, -1 if not in the snapshot */
	int64_t group_id;        /* rule entries (id 0): the group they are for, 0 every group */
};

/* build_ms: the time spent parsing and compiling (downloads not counted). res is valid during
 * the call only. The callback may call dns_lists_build and dns_lists_free. */
typedef void (*dns_lists_done_fn)(void *ctx, struct filter *snapshot /* owned by callee now; NULL on failure */, const struct dns_list_result *res, size_t n, uint32_t build_ms);

/* cache_dir (made 0700 when missing) keeps the last download of each URL as ID.list (0600);
 * NULL keeps none. */
int dns_lists_new(struct loop *l, const char *cache_dir, dns_lists_done_fn done, void *ctx, struct dns_lists **out);
void dns_lists_free(struct dns_lists *d);   /* cancels a running build (joins the thread), no callback after */
/* Start a build of these lists + rules + groups (copied; the caller may free after). fetch: true downloads URLs (conditional GET with the stored ETag / Last-Modified; a 304 or a failed download uses the cached copy in cache_dir/ID.list if any, and the result says so), false uses the cached copies only (a reload of rules). At most one build runs; a new request while one runs is queued (the latest wins). 0 or -errno. */
int dns_lists_build(struct dns_lists *d, const struct dns_list_src *lists, size_t n, const struct dns_rule_src *rules, size_t n_rules, const int64_t *all_groups, size_t n_groups, bool fetch);

/* Remove the cached copies of lists whose id is not in known (deleted lists: ids are never
 * reused). Called on the loop with every list in the database, enabled or not. */
void dns_lists_prune(struct dns_lists *d, const int64_t *known, size_t n);

/* True while a build runs or waits. */
bool dns_lists_busy(const struct dns_lists *d);

#endif
