/* Framing Server-Sent Events into a stream's bounded byte queue. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"
#include "../../common/util.h"

/* A drained queue that grew past this gives its memory back: thousands of streams idle
 * between events, and one large event should not keep its room in each. */
#define KEEP_CAP 16384u

static size_t bound(const struct sse_queue *q)
{
	return q->max ? q->max : SSE_QUEUE_MAX;
}

/* Room for n more bytes: 0 with q->buf[q->len..] writable, or -ENOBUFS past the bound.
 * An empty queue takes anything: one large event is not a slow client. */
static int reserve(struct sse_queue *q, size_t n)
{
	size_t waiting = q->len - q->off, cap;
	char *nb;

	if (waiting && (n > bound(q) || waiting > bound(q) - n))
		return -ENOBUFS;
	if (q->off && q->len + n > q->cap) {
		memmove(q->buf, q->buf + q->off, waiting);
		q->off = 0;
		q->len = waiting;
	}
	if (q->len + n <= q->cap)
		return 0;
	cap = q->cap ? q->cap : 1024;
	while (cap < q->len + n)
		cap *= 2;
	nb = xrealloc(q->buf, cap);
	q->buf = nb;
	q->cap = cap;
	return 0;
}

static void put(struct sse_queue *q, const void *p, size_t n)
{
	memcpy(q->buf + q->len, p, n);
	q->len += n;
}

/* The length of the line at data[0..len) and of what ends it (0 at the very end). */
static size_t line(const char *data, size_t len, size_t *eol)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (data[i] == '\n') {
			*eol = 1;
			return i;
		}
		if (data[i] == '\r') {
			*eol = i + 1 < len && data[i + 1] == '\n' ? 2 : 1;
			return i;
		}
	}
	*eol = 0;
	return len;
}

int sse_queue_event(struct sse_queue *q, const char *name, const char *data, size_t len)
{
	char id[48];
	size_t nlen = strlen(name), total, off, n, eol;
	int idlen, r;

	if (nlen == 0 || nlen > 32 || strpbrk(name, "\r\n:"))
		return -EINVAL;
	idlen = snprintf(id, sizeof(id), "id: %" PRIu64 "\n", q->last_id + 1);
	/* id line, "event: NAME\n", each line as "data: LINE\n", the blank line. */
	total = (size_t)idlen + 7 + nlen + 1 + 1;
	off = 0;
	do {
		n = line(data + off, len - off, &eol);
		total += 6 + n + 1;
		off += n + eol;
	} while (off < len || (eol && off == len && len));
	r = reserve(q, total);
	if (r < 0)
		return r;
	put(q, id, (size_t)idlen);
	put(q, "event: ", 7);
	put(q, name, nlen);
	put(q, "\n", 1);
	off = 0;
	do {
		n = line(data + off, len - off, &eol);
		put(q, "data: ", 6);
		put(q, data + off, n);
		put(q, "\n", 1);
		off += n + eol;
	} while (off < len || (eol && off == len && len));
	put(q, "\n", 1);
	q->last_id++;
	return 0;
}

int sse_queue_comment(struct sse_queue *q, const char *text)
{
	size_t n = strlen(text);
	int r;

	if (strpbrk(text, "\r\n"))
		return -EINVAL;
	r = reserve(q, n + 3);
	if (r < 0)
		return r;
	put(q, n ? ": " : ":", n ? 2 : 1);
	put(q, text, n);
	put(q, "\n", 1);
	return 0;
}

int sse_queue_retry(struct sse_queue *q, unsigned ms)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "retry: %u\n\n", ms), r;

	r = reserve(q, (size_t)n);
	if (r < 0)
		return r;
	put(q, text, (size_t)n);
	return 0;
}

size_t sse_queue_read(struct sse_queue *q, char *out, size_t max)
{
	size_t n = q->len - q->off;

	if (n > max)
		n = max;
	if (n)
		memcpy(out, q->buf + q->off, n);
	q->off += n;
	if (q->off == q->len) {
		q->off = q->len = 0;
		if (q->cap > KEEP_CAP) {
			free(q->buf);
			q->buf = NULL;
			q->cap = 0;
		}
	}
	return n;
}

size_t sse_queue_pending(const struct sse_queue *q)
{
	return q->len - q->off;
}

void sse_queue_clear(struct sse_queue *q)
{
	free(q->buf);
	q->buf = NULL;
	q->off = q->len = q->cap = 0;
}
