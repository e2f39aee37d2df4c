/* Server-Sent Events framing: the exact bytes of an event, a comment and the retry hint,
 * data of several lines (every line ending), ids counting per queue, names refused, the
 * bound that drops a client that does not read (but not one large event), and reading
 * out in pieces. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/portal/sse.h"

/* Everything waiting, as a string (the queue is drained). */
static char *drain(struct sse_queue *q)
{
	size_t n = sse_queue_pending(q), got;
	char *s = malloc(n + 1);

	assert_non_null(s);
	got = sse_queue_read(q, s, n + 10);
	assert_int_equal(got, n);
	s[n] = '\0';
	assert_int_equal(sse_queue_pending(q), 0);
	return s;
}

static void expect(struct sse_queue *q, const char *want)
{
	char *got = drain(q);

	assert_string_equal(got, want);
	free(got);
}

static void test_event(void **state)
{
	struct sse_queue q = { 0 };

	(void)state;
	assert_int_equal(sse_queue_retry(&q, 3000), 0);
	expect(&q, "retry: 3000\n\n");
	assert_int_equal(sse_queue_event(&q, "user", "{\"name\":\"alice\"}", 16), 0);
	expect(&q, "id: 1\nevent: user\ndata: {\"name\":\"alice\"}\n\n");
	assert_int_equal(sse_queue_event(&q, "status", "{}", 2), 0);
	assert_int_equal(sse_queue_event(&q, "status", "[]", 2), 0);
	expect(&q, "id: 2\nevent: status\ndata: {}\n\nid: 3\nevent: status\ndata: []\n\n");
	assert_int_equal(q.last_id, 3);
	assert_int_equal(sse_queue_comment(&q, ""), 0);
	assert_int_equal(sse_queue_comment(&q, "hello"), 0);
	expect(&q, ":\n: hello\n");
	sse_queue_clear(&q);
}

/* Data comes back as it was: each line a data field, CR LF and CR read as LF. */
static void test_lines(void **state)
{
	struct sse_queue q = { 0 };

	(void)state;
	assert_int_equal(sse_queue_event(&q, "x", "a\nb", 3), 0);
	expect(&q, "id: 1\nevent: x\ndata: a\ndata: b\n\n");
	assert_int_equal(sse_queue_event(&q, "x", "a\r\nb\rc", 6), 0);
	expect(&q, "id: 2\nevent: x\ndata: a\ndata: b\ndata: c\n\n");
	/* a line ending at the end is an empty last line: the client gets "a\n" back */
	assert_int_equal(sse_queue_event(&q, "x", "a\n", 2), 0);
	expect(&q, "id: 3\nevent: x\ndata: a\ndata: \n\n");
	assert_int_equal(sse_queue_event(&q, "x", "\n\n", 2), 0);
	expect(&q, "id: 4\nevent: x\ndata: \ndata: \ndata: \n\n");
	assert_int_equal(sse_queue_event(&q, "x", "", 0), 0);
	expect(&q, "id: 5\nevent: x\ndata: \n\n");
	/* bytes after a NUL still go out: the length counts, not the terminator */
	assert_int_equal(sse_queue_event(&q, "x", "a\0b", 3), 0);
	{
		char *got = drain(&q);

		assert_memory_equal(got, "id: 6\nevent: x\ndata: a\0b\n\n", 27);
		free(got);
	}
	sse_queue_clear(&q);
}

static void test_refused(void **state)
{
	struct sse_queue q = { 0 };

	(void)state;
	assert_int_equal(sse_queue_event(&q, "", "{}", 2), -EINVAL);
	assert_int_equal(sse_queue_event(&q, "a\nb", "{}", 2), -EINVAL);
	assert_int_equal(sse_queue_event(&q, "a\rb", "{}", 2), -EINVAL);
	assert_int_equal(sse_queue_event(&q, "a:b", "{}", 2), -EINVAL);
	assert_int_equal(sse_queue_event(&q, "abcdefghijklmnopqrstuvwxyzabcdefg", "{}", 2), -EINVAL);
	assert_int_equal(sse_queue_comment(&q, "a\nb"), -EINVAL);
	assert_int_equal(sse_queue_pending(&q), 0);
	assert_int_equal(q.last_id, 0);
	sse_queue_clear(&q);
}

/* A client that does not read hits the bound; one large event alone does not. */
static void test_bound(void **state)
{
	struct sse_queue q = { .max = 1000 };
	char big[5000], small[100];
	size_t n = 0;
	int r;

	(void)state;
	memset(big, 'b', sizeof(big));
	memset(small, 's', sizeof(small));
	assert_int_equal(sse_queue_event(&q, "status", big, sizeof(big)), 0);
	assert_true(sse_queue_pending(&q) > 5000);
	/* anything more waits behind 5 KB: over the bound */
	assert_int_equal(sse_queue_event(&q, "user", small, sizeof(small)), -ENOBUFS);
	assert_int_equal(sse_queue_comment(&q, ""), -ENOBUFS);
	assert_int_equal(q.last_id, 1);
	free(drain(&q));
	sse_queue_clear(&q);

	q.max = 1000;
	for (;;) {
		r = sse_queue_event(&q, "user", small, sizeof(small));
		if (r < 0)
			break;
		n++;
		assert_true(n < 100);
	}
	assert_int_equal(r, -ENOBUFS);
	assert_true(sse_queue_pending(&q) <= 1000);
	/* nothing of the refused event went in */
	assert_int_equal(sse_queue_pending(&q) % (strlen("id: 1\nevent: user\ndata: \n\n") + 100), 0);
	/* reading makes room again */
	{
		char buf[400];

		assert_int_equal(sse_queue_read(&q, buf, sizeof(buf)), sizeof(buf));
		assert_int_equal(sse_queue_event(&q, "user", small, sizeof(small)), 0);
	}
	sse_queue_clear(&q);
	assert_int_equal(SSE_QUEUE_MAX, 256 * 1024);
}

/* Read out in small pieces, with events queued in between: the bytes in order. */
static void test_pieces(void **state)
{
	struct sse_queue q = { 0 };
	char want[4096], got[4096], data[64];
	size_t wn = 0, gn = 0, k;
	int i;

	(void)state;
	for (i = 0; i < 40; i++) {
		int n = snprintf(data, sizeof(data), "{\"i\":%d}", i);

		assert_int_equal(sse_queue_event(&q, "e", data, (size_t)n), 0);
		wn += (size_t)snprintf(want + wn, sizeof(want) - wn, "id: %d\nevent: e\ndata: %s\n\n",
				       i + 1, data);
		for (k = 0; k < 2; k++)
			gn += sse_queue_read(&q, got + gn, 7);
	}
	while (sse_queue_pending(&q))
		gn += sse_queue_read(&q, got + gn, 5);
	assert_int_equal(gn, wn);
	assert_memory_equal(got, want, wn);
	assert_int_equal(sse_queue_read(&q, got, sizeof(got)), 0);
	sse_queue_clear(&q);
	sse_queue_clear(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
