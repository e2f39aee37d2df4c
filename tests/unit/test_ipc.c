/* The server/portal socketpair protocol: exact bytes of each message, the parser's
 * refusals, and the stream reader and writer on a real socketpair. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/portal/ipc.h"

#define B(...) ((const uint8_t[]){ __VA_ARGS__ })

static void expect_bytes(const struct ipc_out *o, const uint8_t *want, size_t len)
{
	assert_int_equal(o->len, len);
	assert_memory_equal(o->buf, want, len);
}

static void test_encode_enroll(void **state)
{
	static const uint8_t want[] = {
		0x01, 0x00, 0x00, 0x00,             /* type ENROLL, flags */
		0x04, 0x03, 0x02, 0x01,             /* id 0x01020304 */
		0x1b, 0x00, 0x00, 0x00,             /* 27 bytes of payload */
		0x01, 0x04, 0x00, 0x00, 0x00, '1', '.', '2', '3',
		0x02, 0x02, 0x00, 0x00, 0x00, 't', 'k',
		0x03, 0x01, 0x00, 0x00, 0x00, 'K',
		0x04, 0x00, 0x00, 0x00, 0x00,       /* an empty name */
	};
	struct ipc_out o = { 0 };
	struct ipc_msg m;
	char why[128], s[8];

	(void)state;
	ipc_out_begin(&o, IPC_ENROLL, 0x01020304);
	ipc_out_str(&o, IPC_T_PEER, "1.23");
	ipc_out_str(&o, IPC_T_TOKEN, "tk");
	ipc_out_field(&o, IPC_T_PUBLIC_KEY, "K", 1);
	ipc_out_str(&o, IPC_T_NAME, "");
	ipc_out_str(&o, IPC_T_ETAG, NULL);     /* NULL writes nothing */
	assert_int_equal(ipc_out_finish(&o), 0);
	expect_bytes(&o, want, sizeof(want));

	assert_int_equal(ipc_parse(o.buf, o.len, &m, why, sizeof(why)), 0);
	assert_int_equal(m.type, IPC_ENROLL);
	assert_int_equal(m.id, 0x01020304);
	assert_true(m.f[IPC_T_PEER].present);
	assert_int_equal(m.f[IPC_T_PEER].len, 4);
	assert_memory_equal(m.f[IPC_T_PEER].p, "1.23", 4);
	assert_true(m.f[IPC_T_NAME].present);
	assert_int_equal(m.f[IPC_T_NAME].len, 0);
	assert_false(m.f[IPC_T_ETAG].present);
	assert_int_equal(ipc_field_str(&m, IPC_T_TOKEN, s, sizeof(s)), 0);
	assert_string_equal(s, "tk");
	assert_int_equal(ipc_field_str(&m, IPC_T_PEER, s, 4), -E2BIG);
	assert_int_equal(ipc_field_str(&m, IPC_T_PEER, s, 5), 0);
	assert_int_equal(ipc_field_str(&m, IPC_T_WAIT, s, sizeof(s)), -ENOENT);
	ipc_out_clear(&o);
	assert_null(o.buf);
}

static void test_encode_answer_and_cancel(void **state)
{
	static const uint8_t answer[] = {
		0x40, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x16, 0x00, 0x00, 0x00,
		0x0b, 0x03, 0x00, 0x00, 0x00, '3', '0', '4',
		0x0a, 0x03, 0x00, 0x00, 0x00, 'a', 0x00, 'b',   /* a body may hold NUL */
		0x0d, 0x01, 0x00, 0x00, 0x00, '0',
	};
	static const uint8_t cancel[] = {
		0x41, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	struct ipc_out o = { 0 };
	struct ipc_msg m;
	uint32_t v;

	(void)state;
	ipc_out_begin(&o, IPC_ANSWER, 0xffffffff);
	ipc_out_str(&o, IPC_T_STATUS, "304");
	ipc_out_field(&o, IPC_T_BODY, "a\0b", 3);
	ipc_out_str(&o, IPC_T_RETRY_AFTER, "0");
	assert_int_equal(ipc_out_finish(&o), 0);
	expect_bytes(&o, answer, sizeof(answer));
	assert_int_equal(ipc_parse(o.buf, o.len, &m, NULL, 0), 0);
	assert_int_equal(ipc_field_uint(&m, IPC_T_STATUS, &v), 0);
	assert_int_equal(v, 304);
	assert_int_equal(ipc_field_uint(&m, IPC_T_RETRY_AFTER, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(ipc_field_uint(&m, IPC_T_ETAG, &v), -ENOENT);
	assert_int_equal(m.f[IPC_T_BODY].len, 3);

	/* begin again on the same buffer starts a fresh message */
	ipc_out_begin(&o, IPC_CANCEL, 7);
	assert_int_equal(ipc_out_finish(&o), 0);
	expect_bytes(&o, cancel, sizeof(cancel));
	assert_int_equal(ipc_parse(o.buf, o.len, &m, NULL, 0), 0);
	assert_int_equal(m.type, IPC_CANCEL);
	assert_int_equal(m.id, 7);
	ipc_out_clear(&o);
}

static void test_encode_profile_admin(void **state)
{
	struct ipc_out o = { 0 };
	struct ipc_msg m;
	char why[128];

	(void)state;
	ipc_out_begin(&o, IPC_PROFILE, 1);
	ipc_out_str(&o, IPC_T_PEER, "2001:db8::1");
	ipc_out_str(&o, IPC_T_CREDENTIAL, "c");
	ipc_out_str(&o, IPC_T_ETAG, "\"00ff\"");
	ipc_out_str(&o, IPC_T_WAIT, "300");
	assert_int_equal(ipc_out_finish(&o), 0);
	assert_int_equal(ipc_parse(o.buf, o.len, &m, why, sizeof(why)), 0);

	ipc_out_begin(&o, IPC_ADMIN, 2);
	ipc_out_str(&o, IPC_T_PEER, "10.0.0.1");
	ipc_out_str(&o, IPC_T_TOKEN, "t");
	ipc_out_str(&o, IPC_T_METHOD, "DELETE");
	ipc_out_str(&o, IPC_T_PATH, "/api/v1/users/caf\xc3\xa9?x=1");
	assert_int_equal(ipc_out_finish(&o), 0);
	assert_int_equal(ipc_parse(o.buf, o.len, &m, why, sizeof(why)), 0);
	assert_false(m.f[IPC_T_BODY].present);
	ipc_out_clear(&o);
}

/* A message from raw bytes, expected to be refused with a reason that mentions `word`. */
static void refused(const uint8_t *buf, size_t len, const char *word)
{
	struct ipc_msg m;
	char why[160];

	assert_int_equal(ipc_parse(buf, len, &m, why, sizeof(why)), -EBADMSG);
	if (!strstr(why, word))
		fail_msg("reason \"%s\" does not mention \"%s\"", why, word);
}

#define HDR(type, plen) (type), 0, 0, 0, 1, 0, 0, 0, (plen), 0, 0, 0
#define CANCEL_HDR HDR(0x41, 0)

static void test_malformed(void **state)
{
	(void)state;
	/* 1. shorter than a header */
	refused(B(0x41, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0), 11, "shorter");
	/* 2. unknown types: 0, 4, 68 */
	refused(B(HDR(0, 0)), 12, "unknown type 0");
	refused(B(HDR(4, 0)), 12, "unknown type 4");
	refused(B(HDR(0x44, 0)), 12, "unknown type 68");
	/* 3. flags not 0 */
	refused(B(0x41, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0), 12, "flags");
	/* 4. payload length beyond the maximum */
	refused(B(0x41, 0, 0, 0, 1, 0, 0, 0, 0x01, 0x00, 0x00, 0x01), 12, "more than");
	/* 5. header length and bytes disagree, both ways */
	refused(B(HDR(0x41, 1)), 12, "1 bytes of payload, 0 follow");
	refused(B(CANCEL_HDR, 0), 13, "0 bytes of payload, 1 follow");
	/* 6. CANCEL carries no fields at all */
	refused(B(HDR(0x41, 5), 1, 0, 0, 0, 0), 17, "tag 1 not defined");
	/* 7. a field header cut short */
	refused(B(HDR(0x40, 3), 11, 1, 0), 15, "cut short");
	/* 8. a field that overruns the payload */
	refused(B(HDR(0x40, 7), 11, 3, 0, 0, 0, '2', '0'), 19, "overruns");
	refused(B(HDR(0x40, 8), 11, 0xff, 0xff, 0xff, 0xff, '2', '0', '0'), 20, "overruns");
	/* 9. a repeated tag */
	refused(B(HDR(0x40, 16), 11, 3, 0, 0, 0, '2', '0', '0', 11, 3, 0, 0, 0, '2', '0', '0'),
		28, "status repeated");
	/* 10. tag 0 and a tag beyond the last */
	refused(B(HDR(0x40, 5), 0, 0, 0, 0, 0), 17, "tag 0");
	refused(B(HDR(0x40, 5), 14, 0, 0, 0, 0), 17, "tag 14");
	/* 11. a tag the type does not define (WAIT in an ANSWER, STATUS in a PROFILE) */
	refused(B(HDR(0x40, 14), 11, 3, 0, 0, 0, '2', '0', '0', 7, 1, 0, 0, 0, '1'), 26,
		"tag 7 not defined");
	/* 12. a required tag missing */
	refused(B(HDR(0x40, 0)), 12, "ANSWER without status");
	refused(B(HDR(1, 12), 1, 1, 0, 0, 0, 'p', 2, 1, 0, 0, 0, 't'), 24,
		"ENROLL without public_key");
	/* 13. NUL inside a text field */
	refused(B(HDR(0x40, 14), 11, 3, 0, 0, 0, '2', '0', '0', 6, 1, 0, 0, 0, 0), 26,
		"NUL in etag");
	/* 14. invalid UTF-8 in a text field: a bare continuation, an overlong, a surrogate */
	refused(B(HDR(0x40, 14), 11, 3, 0, 0, 0, '2', '0', '0', 6, 1, 0, 0, 0, 0x80), 26, "UTF-8");
	refused(B(HDR(0x40, 15), 11, 3, 0, 0, 0, '2', '0', '0', 6, 2, 0, 0, 0, 0xc0, 0xaf), 27,
		"UTF-8");
	refused(B(HDR(0x40, 16), 11, 3, 0, 0, 0, '2', '0', '0', 6, 3, 0, 0, 0, 0xed, 0xa0, 0x80),
		28, "UTF-8");
	/* 15. numbers: status out of range or not canonical, wait above 300 */
	refused(B(HDR(0x40, 8), 11, 3, 0, 0, 0, '9', '9', '9'), 20, "out of range");
	refused(B(HDR(0x40, 7), 11, 2, 0, 0, 0, '9', '9'), 19, "out of range");
	refused(B(HDR(0x40, 8), 11, 3, 0, 0, 0, '0', '9', '9'), 20, "out of range");
	refused(B(HDR(0x40, 9), 11, 4, 0, 0, 0, '+', '2', '0', '0'), 21, "out of range");
	refused(B(HDR(2, 20), 1, 1, 0, 0, 0, 'p', 5, 1, 0, 0, 0, 'c', 7, 3, 0, 0, 0, '3', '0', '1'),
		32, "wait");
	refused(B(HDR(0x40, 23), 11, 3, 0, 0, 0, '2', '0', '0', 13, 10, 0, 0, 0,
		  '4', '2', '9', '4', '9', '6', '7', '2', '9', '6'), 35, "retry_after");
}

static void test_accepts_edges(void **state)
{
	struct ipc_msg m;

	(void)state;
	/* a body with every byte value, and wait 0 */
	assert_int_equal(ipc_parse(B(HDR(0x40, 16), 11, 3, 0, 0, 0, '2', '0', '0',
				     10, 3, 0, 0, 0, 0x00, 0xff, 0x80), 28, &m, NULL, 0), 0);
	assert_int_equal(ipc_parse(B(HDR(2, 18), 1, 1, 0, 0, 0, 'p', 5, 1, 0, 0, 0, 'c',
				     7, 1, 0, 0, 0, '0'), 30, &m, NULL, 0), 0);
	/* 4-byte UTF-8 in a name */
	assert_int_equal(ipc_parse(B(HDR(1, 27), 1, 1, 0, 0, 0, 'p', 2, 1, 0, 0, 0, 't',
				     3, 1, 0, 0, 0, 'k', 4, 4, 0, 0, 0, 0xf0, 0x9f, 0x90, 0x87),
				   39, &m, NULL, 0), 0);
	/* fields in any order */
	assert_int_equal(ipc_parse(B(HDR(1, 18), 3, 1, 0, 0, 0, 'k', 2, 1, 0, 0, 0, 't',
				     1, 1, 0, 0, 0, 'p'), 30, &m, NULL, 0), 0);
}

static void test_payload_len(void **state)
{
	uint32_t n;

	(void)state;
	assert_int_equal(ipc_payload_len(B(HDR(1, 0x22)), &n), 0);
	assert_int_equal(n, 0x22);
	assert_int_equal(ipc_payload_len(B(1, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x01), &n), 0);
	assert_int_equal(n, IPC_MAX_PAYLOAD);
	assert_int_equal(ipc_payload_len(B(1, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00, 0x01), &n),
			 -EMSGSIZE);
	assert_int_equal(ipc_payload_len(B(1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff), &n),
			 -EMSGSIZE);
}

static void test_finish_too_big(void **state)
{
	struct ipc_out o = { 0 };
	char *big = calloc(1, IPC_MAX_PAYLOAD);

	(void)state;
	assert_non_null(big);
	ipc_out_begin(&o, IPC_ANSWER, 1);
	ipc_out_field(&o, IPC_T_BODY, big, IPC_MAX_PAYLOAD - 5);   /* exactly the maximum */
	assert_int_equal(ipc_out_finish(&o), 0);
	ipc_out_field(&o, IPC_T_ETAG, "x", 1);
	assert_int_equal(ipc_out_finish(&o), -EMSGSIZE);
	ipc_out_clear(&o);
	free(big);
}

/* Two messages fed a byte at a time come out whole, once each. */
static void test_reader_feed(void **state)
{
	struct ipc_reader r = { 0 };
	struct ipc_out o = { 0 };
	uint8_t stream[256];
	const uint8_t *msg;
	size_t n = 0, len, i;
	int got = 0;

	(void)state;
	ipc_out_begin(&o, IPC_ANSWER, 5);
	ipc_out_str(&o, IPC_T_STATUS, "200");
	ipc_out_str(&o, IPC_T_BODY, "{}");
	assert_int_equal(ipc_out_finish(&o), 0);
	memcpy(stream, o.buf, o.len);
	n = o.len;
	ipc_out_begin(&o, IPC_CANCEL, 6);
	assert_int_equal(ipc_out_finish(&o), 0);
	memcpy(stream + n, o.buf, o.len);
	n += o.len;

	for (i = 0; i < n; i++) {
		assert_int_equal(ipc_reader_feed(&r, stream + i, 1), 0);
		while (ipc_reader_next(&r, &msg, &len) == 1) {
			struct ipc_msg m;

			assert_int_equal(ipc_parse(msg, len, &m, NULL, 0), 0);
			assert_int_equal(m.id, got == 0 ? 5 : 6);
			got++;
		}
	}
	assert_int_equal(got, 2);
	assert_int_equal(ipc_reader_pending(&r), 0);
	ipc_reader_clear(&r);
	ipc_out_clear(&o);
}

/* An oversized header is refused once its 12th byte is in, before any payload. */
static void test_reader_oversize(void **state)
{
	struct ipc_reader r = { 0 };
	const uint8_t *msg;
	size_t len;

	(void)state;
	assert_int_equal(ipc_reader_feed(&r, B(1, 0, 0, 0, 1, 0, 0, 0, 0x01, 0x00, 0x00), 11), 0);
	assert_int_equal(ipc_reader_next(&r, &msg, &len), 0);
	assert_int_equal(ipc_reader_feed(&r, B(0x01), 1), -EMSGSIZE);
	assert_int_equal(ipc_reader_next(&r, &msg, &len), -EMSGSIZE);
	assert_int_equal(ipc_reader_feed(&r, B(0), 1), -EMSGSIZE);
	ipc_reader_clear(&r);
}

static void test_reader_writer_socket(void **state)
{
	struct ipc_reader r = { 0 };
	struct ipc_writer w = { 0 };
	struct ipc_out o = { 0 };
	const uint8_t *msg;
	size_t len, body_len = 3u << 20;    /* more than a socket buffer */
	char *body = malloc(body_len);
	int sv[2], e, got = 0, rounds = 0;
	ssize_t n;

	(void)state;
	assert_non_null(body);
	memset(body, 'x', body_len);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);

	assert_int_equal(ipc_reader_fill(&r, sv[1]), -EAGAIN);
	ipc_out_begin(&o, IPC_ANSWER, 1);
	ipc_out_str(&o, IPC_T_STATUS, "200");
	ipc_out_field(&o, IPC_T_BODY, body, body_len);
	assert_int_equal(ipc_out_finish(&o), 0);
	ipc_writer_queue(&w, &o);
	ipc_out_begin(&o, IPC_CANCEL, 2);
	assert_int_equal(ipc_out_finish(&o), 0);
	ipc_writer_queue(&w, &o);
	assert_int_equal(ipc_writer_pending(&w), body_len + 5 + 8 + 2 * 12);

	/* Alternate: write what fits, read what came, until both messages are out. */
	do {
		e = ipc_writer_flush(&w, sv[0]);
		assert_true(e == 0 || e == -EAGAIN);
		while ((n = ipc_reader_fill(&r, sv[1])) > 0)
			;
		assert_int_equal(n, -EAGAIN);
		while (ipc_reader_next(&r, &msg, &len) == 1) {
			struct ipc_msg m;

			assert_int_equal(ipc_parse(msg, len, &m, NULL, 0), 0);
			if (got++ == 0)
				assert_int_equal(m.f[IPC_T_BODY].len, body_len);
			else
				assert_int_equal(m.type, IPC_CANCEL);
		}
		assert_true(++rounds < 10000);
	} while (e == -EAGAIN || got < 2);
	assert_int_equal(got, 2);
	assert_int_equal(ipc_writer_pending(&w), 0);

	/* end of file, then a writer to a closed peer */
	close(sv[0]);
	assert_int_equal(ipc_reader_fill(&r, sv[1]), 0);
	ipc_writer_queue(&w, &o);
	assert_int_equal(ipc_writer_flush(&w, sv[1]), -EPIPE);
	close(sv[1]);
	ipc_writer_clear(&w);
	ipc_reader_clear(&r);
	ipc_out_clear(&o);
	free(body);
}

/* The event stream's messages: an answer that opens one, an event, a close. */
static void test_encode_stream(void **state)
{
	static const uint8_t event[] = {
		0x42, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1b, 0x00, 0x00, 0x00,
		0x14, 0x06, 0x00, 0x00, 0x00, 'u', 's', 'e', 'r', ':', '7',
		0x15, 0x04, 0x00, 0x00, 0x00, 'u', 's', 'e', 'r',
		0x0a, 0x02, 0x00, 0x00, 0x00, '{', '}',
	};
	static const uint8_t close[] = {
		0x43, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	struct ipc_out o = { 0 };
	struct ipc_msg m;
	int64_t user;
	char why[128];

	(void)state;
	ipc_out_begin(&o, IPC_EVENT, 0);
	ipc_out_str(&o, IPC_T_AUDIENCE, "user:7");
	ipc_out_str(&o, IPC_T_EVENT, "user");
	ipc_out_str(&o, IPC_T_BODY, "{}");
	assert_int_equal(ipc_out_finish(&o), 0);
	expect_bytes(&o, event, sizeof(event));
	assert_int_equal(ipc_parse(o.buf, o.len, &m, why, sizeof(why)), 0);
	assert_int_equal(m.type, IPC_EVENT);
	assert_int_equal(ipc_audience_parse(m.f[IPC_T_AUDIENCE].p, m.f[IPC_T_AUDIENCE].len, &user), 0);
	assert_int_equal(user, 7);
	assert_string_equal(ipc_type_name(IPC_EVENT), "EVENT");

	ipc_out_begin(&o, IPC_CLOSE, 9);
	assert_int_equal(ipc_out_finish(&o), 0);
	expect_bytes(&o, close, sizeof(close));
	assert_int_equal(ipc_parse(o.buf, o.len, &m, why, sizeof(why)), 0);
	assert_int_equal(m.type, IPC_CLOSE);
	assert_int_equal(m.id, 9);

	/* an answer that opens a stream for everyone */
	ipc_out_begin(&o, IPC_ANSWER, 3);
	ipc_out_str(&o, IPC_T_STATUS, "200");
	ipc_out_str(&o, IPC_T_CONTENT_TYPE, "text/event-stream");
	ipc_out_str(&o, IPC_T_AUDIENCE, "all");
	assert_int_equal(ipc_out_finish(&o), 0);
	assert_int_equal(ipc_parse(o.buf, o.len, &m, why, sizeof(why)), 0);
	assert_int_equal(ipc_audience_parse(m.f[IPC_T_AUDIENCE].p, m.f[IPC_T_AUDIENCE].len, &user), 0);
	assert_int_equal(user, 0);
	ipc_out_clear(&o);
}

static void test_audience(void **state)
{
	static const char *const bad[] = {
		"", "al", "All", "all ", "user", "user:", "user:0", "user:07", "user:-1", "user:1x",
		"user:9223372036854775808", "user:99999999999999999999", "group:1", "user:+1",
	};
	int64_t id = -1;
	size_t i;

	(void)state;
	assert_int_equal(ipc_audience_parse("all", 3, &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(ipc_audience_parse("user:1", 6, &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(ipc_audience_parse("user:9223372036854775807", 24, &id), 0);
	assert_int_equal(id, INT64_MAX);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ipc_audience_parse(bad[i], strlen(bad[i]), &id) != -EINVAL)
			fail_msg("audience \"%s\" was taken", bad[i]);
	/* in a message: EVENT needs all three fields, well formed */
	refused(B(HDR(0x42, 0)), 12, "EVENT without body");
	refused(B(HDR(0x42, 21), 0x14, 3, 0, 0, 0, 'a', 'l', 'l', 0x15, 1, 0, 0, 0, 'X',
		  0x0a, 2, 0, 0, 0, '{', '}'), 33, "event \"X\" malformed");
	refused(B(HDR(0x42, 21), 0x14, 3, 0, 0, 0, 'A', 'l', 'l', 0x15, 1, 0, 0, 0, 'x',
		  0x0a, 2, 0, 0, 0, '{', '}'), 33, "audience \"All\" malformed");
	refused(B(HDR(0x42, 14), 0x14, 3, 0, 0, 0, 'a', 'l', 'l', 0x15, 1, 0, 0, 0, 'x'), 26,
		"EVENT without body");
	/* CLOSE carries nothing; an ADMIN request cannot name an audience */
	refused(B(HDR(0x43, 8), 0x14, 3, 0, 0, 0, 'a', 'l', 'l'), 20, "tag 20 not defined");
	refused(B(HDR(3, 25), 1, 1, 0, 0, 0, 'p', 8, 3, 0, 0, 0, 'G', 'E', 'T', 9, 1, 0, 0, 0, '/',
		  0x14, 0, 0, 0, 0), 37, "tag 20 not defined");
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(ipc_type_name(IPC_PROFILE), "PROFILE");
	assert_string_equal(ipc_type_name(IPC_CANCEL), "CANCEL");
	assert_string_equal(ipc_type_name(9), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_enroll),
		cmocka_unit_test(test_encode_answer_and_cancel),
		cmocka_unit_test(test_encode_profile_admin),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_accepts_edges),
		cmocka_unit_test(test_payload_len),
		cmocka_unit_test(test_finish_too_big),
		cmocka_unit_test(test_reader_feed),
		cmocka_unit_test(test_reader_oversize),
		cmocka_unit_test(test_reader_writer_socket),
		cmocka_unit_test(test_encode_stream),
		cmocka_unit_test(test_audience),
		cmocka_unit_test(test_type_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
