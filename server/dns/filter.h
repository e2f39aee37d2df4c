/* The resolver's domain filter: block lists and custom rules compiled into an immutable
 * snapshot that one query consults with a few hash probes (one per suffix of the name).
 * A builder collects up to 64 sources (each a bit); filter_build turns it into a snapshot
 * that is freed whole with filter_free. A builder is one thread's; snapshots are read-only
 * and may be shared between threads. */
#ifndef WARREN_SERVER_DNS_FILTER_H
#define WARREN_SERVER_DNS_FILTER_H

#include <stddef.h>
#include <stdint.h>

#define FILTER_SOURCES_MAX 64
enum filter_action { FILTER_PASS = 0, FILTER_BLOCK = 1, FILTER_ALLOW = 2 };   /* ALLOW: explicitly allowed */
struct filter;            /* immutable snapshot */
struct filter_builder;
struct filter_source_stats { size_t lines, entries, bad; };
typedef void (*filter_bad_fn)(void *ctx, const char *file, unsigned line, const char *why);
int filter_builder_new(struct filter_builder **out);
void filter_builder_free(struct filter_builder *fb);
/* The text of one list (not NUL-terminated necessarily) as source bit `source`; file names the lines in messages. 0 or -errno (-EINVAL for a source out of range or used twice); bad lines go to bad() (may be NULL) and st. */
int filter_builder_add_list(struct filter_builder *fb, unsigned source, const char *file, const char *text, size_t len, struct filter_source_stats *st, filter_bad_fn bad, void *ctx);
/* A rule (custom, from the console): pattern as filter_rule_parse accepts; action FILTER_BLOCK or FILTER_ALLOW; source marks the rules' bit (one bit for all custom rules of one scope is fine: the caller picks). -EINVAL for a bad pattern. */
int filter_builder_add_rule(struct filter_builder *fb, unsigned source, const char *pattern, enum filter_action action);
/* Which sources a group uses; groups not set use the default mask. */
void filter_builder_group(struct filter_builder *fb, int64_t group_id, uint64_t sources);
void filter_builder_default(struct filter_builder *fb, uint64_t sources);
/* Compile; fb is consumed (freed) either way. 0 or -ENOMEM. */
int filter_build(struct filter_builder *fb, struct filter **out);
void filter_free(struct filter *f);
/* name: lower case, no trailing dot, len bytes. *source: the deciding source bit, or -1 for PASS. */
enum filter_action filter_decide(const struct filter *f, int64_t group_id, const char *name, size_t len, int *source);
size_t filter_entries(const struct filter *f);   /* distinct names */
size_t filter_bytes(const struct filter *f);     /* memory held */
/* Validate a rule pattern: 0, or -EINVAL with *why set to a static message. */
int filter_rule_parse(const char *pattern, const char **why);

#endif
