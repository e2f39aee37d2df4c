/* The resolver's query log: entries queued on the event loop without blocking it, and a
 * writer thread with a connection of its own that stores them in batches (server/db/dns.h),
 * keeps the hourly roll-ups, purges by retention and collapses one device's flood. */
#ifndef WARREN_DNS_QLOG_H
#define WARREN_DNS_QLOG_H

#include <stdint.h>

struct qlog;

struct qlog_entry {
	int64_t time_ms;              /* wall clock, ms */
	int64_t user_id, device_id;   /* 0 when not a known device */
	char name[254];               /* the query name, no trailing dot (lowered by the log) */
	uint16_t qtype;
	uint8_t rcode;
	/* -1 not blocked; else the filter source bit. Only whether it is >= 0 is stored:
	 * the bit means something only to the running resolver; list_id is what stays. */
	int16_t blocked_by;
	int64_t list_id;              /* the dns_lists id or 0 for a custom rule, meaningful
	                                 when blocked_by >= 0 */
	uint32_t upstream_us;         /* 0 when answered locally */
};

struct qlog_conf {
	const char *db_path;
	uint32_t retention_days;      /* 0: keep every row */
	uint32_t rate;                /* entries per device per second before collapsing; 0 none */
	uint32_t burst;               /* entries a device may send at once (0: rate) */
};

/* Opens its own db connection (db_open on the same file) on a writer thread. */
int qlog_new(const struct qlog_conf *c, struct qlog **out);
/* Flushes what is queued, joins. NULL is fine. */
void qlog_free(struct qlog *q);
/* Queue one; O(1), no syscall in the common case. Over a device's rate: counted, not
 * queued; the count is written as one row (collapsed N queries) when the flood ends or
 * every second. */
void qlog_add(struct qlog *q, const struct qlog_entry *e);

struct qlog_stats {
	uint64_t queued, written, collapsed, dropped;  /* dropped: the queue was full (or a
	                                                  write failed other than busy) */
	uint64_t writer_cpu_ns;       /* CPU time the writer thread used so far */
};
void qlog_stats(struct qlog *q, struct qlog_stats *st);

#endif
