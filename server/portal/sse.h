/* Server-Sent Events as the portal writes them (text/event-stream, WHATWG HTML 9.2):
 * events, comments and the reconnection hint framed into one stream's bounded queue of
 * bytes waiting for its client. Pure: no sockets, no clock. */
#ifndef WARREN_SERVER_PORTAL_SSE_H
#define WARREN_SERVER_PORTAL_SSE_H

#include <stddef.h>
#include <stdint.h>

/* Bytes a stream may have waiting: a client that reads less than the events it is sent
 * is dropped at this, not buffered without end. */
#define SSE_QUEUE_MAX (256u << 10)

struct sse_queue {
	char *buf;
	size_t off, len, cap;       /* buf[off, len) waits */
	size_t max;                 /* the bound; 0 is SSE_QUEUE_MAX */
	uint64_t last_id;           /* the id of the last event queued; the first is 1 */
};

/* Queue one event:
 *     id: N\nevent: NAME\ndata: LINE\n[data: LINE\n...]\n
 * N counts this queue's events from 1; each line of data (lines end at CR LF, CR or LF)
 * is a data field of its own, so the client gets data back as it was, with LF between
 * lines. name is 1..32 characters without CR, LF or ':'. 0; -EINVAL for a bad name;
 * -ENOBUFS when bytes wait already and it would take them past the bound (nothing is
 * queued then): an empty queue takes an event of any size. */
int sse_queue_event(struct sse_queue *q, const char *name, const char *data, size_t len);
/* ": TEXT\n" (":\n" for ""): a comment, which clients ignore; it keeps proxies from
 * closing an idle stream. text holds no CR or LF (-EINVAL). 0 or -ENOBUFS. */
int sse_queue_comment(struct sse_queue *q, const char *text);
/* "retry: MS\n\n": how long a client waits before it connects again. 0 or -ENOBUFS. */
int sse_queue_retry(struct sse_queue *q, unsigned ms);

/* Move up to max waiting bytes to out; how many (0 when nothing waits). */
size_t sse_queue_read(struct sse_queue *q, char *out, size_t max);
size_t sse_queue_pending(const struct sse_queue *q);
void sse_queue_clear(struct sse_queue *q);

#endif
