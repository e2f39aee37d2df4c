/* How netlink batches are cut into sends and how big a socket's buffers must be for one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>

#include "netcfg/nl.h"

#define DEFAULT_BUF 212992        /* net.core.wmem_default / rmem_default as read back */

/* Messages of the given lengths (each a header and zeroed payload, seq 1, 2, ...) laid back
 * to back into buf; returns the bytes used. */
static size_t lay(void *buf, size_t size, const size_t *lens, size_t n)
{
	size_t off = 0, i;

	memset(buf, 0, size);
	for (i = 0; i < n; i++) {
		struct nlmsghdr *m = (struct nlmsghdr *)((char *)buf + off);

		assert_true(off + MNL_ALIGN(lens[i]) <= size);
		m->nlmsg_len = (uint32_t)lens[i];
		m->nlmsg_seq = (uint32_t)i + 1;
		off += MNL_ALIGN(lens[i]);
	}
	return off;
}

static void test_limits(void **state)
{
	size_t bytes, msgs;

	(void)state;
	/* the kernel refuses len > sk_sndbuf - 32; every ACK must fit the receive buffer */
	nl_send_limits(DEFAULT_BUF, DEFAULT_BUF, &bytes, &msgs);
	assert_int_equal(bytes, DEFAULT_BUF - 32);
	assert_int_equal(msgs, DEFAULT_BUF / NL_ACK_COST);
	assert_true(msgs * 832 <= DEFAULT_BUF);     /* 832: an ACK's truesize, measured */
	/* tiny buffers still let one message through, which the kernel then judges */
	nl_send_limits(0, 0, &bytes, &msgs);
	assert_int_equal(msgs, 1);
	assert_true(bytes >= 16);
}

/* nl_send_bufs is the inverse: buffers it asks for take the whole batch in one send. */
static void test_bufs(void **state)
{
	static const size_t lens[] = { 20, 600000, 3 * 1024 * 1024 };
	static const size_t ns[] = { 1, 4000, 20000 };
	size_t bytes, msgs, i;
	int snd, rcv;

	(void)state;
	for (i = 0; i < 3; i++) {
		nl_send_bufs(lens[i], ns[i], &snd, &rcv);
		nl_send_limits(snd, rcv, &bytes, &msgs);
		assert_true(bytes >= lens[i]);
		assert_true(msgs >= ns[i]);
	}
	/* the kernel clamps both to INT_MAX / 2; so is the request */
	nl_send_bufs((size_t)INT_MAX, (size_t)INT_MAX, &snd, &rcv);
	assert_int_equal(snd, INT_MAX / 2);
	assert_int_equal(rcv, INT_MAX / 2);
}

static void test_cut_by_count(void **state)
{
	size_t lens[10], n, off, end;
	uint32_t buf[256];
	size_t len, i;

	(void)state;
	for (i = 0; i < 10; i++)
		lens[i] = 52;
	len = lay(buf, sizeof(buf), lens, 10);
	/* 10 messages, 4 to a send: 4, 4, 2, then nothing */
	off = 0;
	end = nl_batch_cut(buf, len, off, 1 << 20, 4, &n);
	assert_int_equal(n, 4);
	assert_int_equal(end, 4 * 52);
	end = nl_batch_cut(buf, len, end, 1 << 20, 4, &n);
	assert_int_equal(n, 4);
	assert_int_equal(end, 8 * 52);
	end = nl_batch_cut(buf, len, end, 1 << 20, 4, &n);
	assert_int_equal(n, 2);
	assert_int_equal(end, len);
	end = nl_batch_cut(buf, len, end, 1 << 20, 4, &n);
	assert_int_equal(n, 0);
	assert_int_equal(end, len);
}

/* Sends end at a whole message, never past the byte limit unless one message alone is
 * larger (sent alone, for the kernel or the caller to refuse); padding counts. */
static void test_cut_by_bytes(void **state)
{
	static const size_t lens[] = { 40, 41, 100, 300, 20 };
	uint32_t buf[256];
	size_t len, n, end;

	(void)state;
	len = lay(buf, sizeof(buf), lens, 5);
	end = nl_batch_cut(buf, len, 0, 83, 100, &n);
	assert_int_equal(n, 1);                 /* 40 + 44 (41 padded) = 84 does not fit */
	assert_int_equal(end, 40);
	end = nl_batch_cut(buf, len, 0, 84, 100, &n);
	assert_int_equal(n, 2);
	assert_int_equal(end, 84);
	end = nl_batch_cut(buf, len, end, 200, 100, &n);
	assert_int_equal(n, 1);                 /* 100; 100 + 300 is over */
	end = nl_batch_cut(buf, len, end, 200, 100, &n);
	assert_int_equal(n, 1);                 /* 300 alone, over the limit */
	assert_int_equal(end, 84 + 100 + 300);
	end = nl_batch_cut(buf, len, end, 200, 100, &n);
	assert_int_equal(n, 1);
	assert_int_equal(end, len);
}

/* A truncated last message is not part of any send. */
static void test_cut_truncated(void **state)
{
	static const size_t lens[] = { 40, 40 };
	uint32_t buf[64];
	size_t len, n, end;

	(void)state;
	len = lay(buf, sizeof(buf), lens, 2);
	end = nl_batch_cut(buf, len - 4, 0, 1 << 20, 100, &n);
	assert_int_equal(n, 1);
	assert_int_equal(end, 40);
	assert_int_equal(nl_batch_cut(buf, len, len, 1 << 20, 100, &n), len);
	assert_int_equal(n, 0);
}

/* Walking a batch send by send visits each message once, in order: the index of a
 * message is the sum of the counts before its send plus its place in it. */
static void test_cut_covers_all(void **state)
{
	enum { N = 1000 };
	static uint32_t buf[N * 32];
	size_t lens[N], len, off = 0, seen = 0, n, i;

	(void)state;
	for (i = 0; i < N; i++)
		lens[i] = 20 + (i * 37) % 90;
	len = lay(buf, sizeof(buf), lens, N);
	for (;;) {
		const struct nlmsghdr *first = (const struct nlmsghdr *)((const char *)buf + off);
		size_t end = nl_batch_cut(buf, len, off, 2000, 30, &n);

		if (!n)
			break;
		assert_true(n <= 30);
		assert_int_equal(first->nlmsg_seq, seen + 1);
		assert_true(end - off <= 2000);
		seen += n;
		off = end;
	}
	assert_int_equal(seen, N);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_bufs),
		cmocka_unit_test(test_cut_by_count),
		cmocka_unit_test(test_cut_by_bytes),
		cmocka_unit_test(test_cut_truncated),
		cmocka_unit_test(test_cut_covers_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
