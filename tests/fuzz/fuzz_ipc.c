/* libFuzzer harness for the socketpair protocol: whatever ipc_parse accepts must encode
 * back to a message it accepts again with the same fields (fields in tag order), and the
 * stream reader must cut the same bytes into the same messages however they arrive. An
 * EVENT the parser accepts must be one the portal can frame: its audience parses, and its
 * body, framed as Server-Sent Events and read back as a browser reads them, is the body
 * again (CR LF and CR as LF). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/portal/ipc.h"
#include "server/portal/sse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The event stream interpretation (WHATWG HTML 9.2.6), enough for one event: the data
 * field's lines joined with LF; the name in name. false when it is not one event. */
static int sse_read_back(const char *s, size_t n, char *name, size_t name_size, char **out,
			 size_t *out_len)
{
	size_t i = 0, o = 0, events = 0;
	char *d = malloc(n + 1);

	name[0] = '\0';
	while (i < n) {
		size_t start = i, end, colon;

		while (i < n && s[i] != '\n' && s[i] != '\r')
			i++;
		end = i;
		if (i < n && s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			i++;
		if (i >= n) {
			free(d);
			return 0;   /* every line ends */
		}
		i++;
		if (end == start) {
			events++;
			continue;
		}
		for (colon = start; colon < end && s[colon] != ':'; colon++)
			;
		if (colon == start)
			continue;   /* a comment */
		{
			size_t vstart = colon < end ? colon + 1 : end;

			if (vstart < end && s[vstart] == ' ')
				vstart++;
			if (colon - start == 4 && memcmp(s + start, "data", 4) == 0) {
				memcpy(d + o, s + vstart, end - vstart);
				o += end - vstart;
				d[o++] = '\n';
			} else if (colon - start == 5 && memcmp(s + start, "event", 5) == 0) {
				if (end - vstart >= name_size) {
					free(d);
					return 0;
				}
				memcpy(name, s + vstart, end - vstart);
				name[end - vstart] = '\0';
			}
		}
	}
	if (events != 1 || o == 0) {
		free(d);
		return 0;
	}
	*out = d;
	*out_len = o - 1;   /* the last LF goes */
	return 1;
}

static void frame(const struct ipc_msg *m)
{
	struct sse_queue q = { 0 };
	const struct ipc_field *b = &m->f[IPC_T_BODY];
	char name[40], got[40], *text, *back, *want;
	size_t len, back_len, i, w = 0;
	int64_t user;

	if (ipc_audience_parse(m->f[IPC_T_AUDIENCE].p, m->f[IPC_T_AUDIENCE].len, &user) < 0 ||
	    user < 0)
		abort();
	if (ipc_field_str(m, IPC_T_EVENT, name, sizeof(name)) < 0)
		abort();
	/* into an empty queue an event of any size goes */
	if (sse_queue_event(&q, name, b->p, b->len) != 0)
		abort();
	len = sse_queue_pending(&q);
	text = malloc(len + 1);
	if (sse_queue_read(&q, text, len) != len || sse_queue_pending(&q))
		abort();
	if (!sse_read_back(text, len, got, sizeof(got), &back, &back_len) || strcmp(got, name) != 0)
		abort();
	want = malloc(b->len + 1);
	for (i = 0; i < b->len; i++) {
		if (b->p[i] == '\r') {
			want[w++] = '\n';
			if (i + 1 < b->len && b->p[i + 1] == '\n')
				i++;
		} else {
			want[w++] = b->p[i];
		}
	}
	if (w != back_len || memcmp(want, back, w) != 0)
		abort();
	free(want);
	free(back);
	free(text);
	sse_queue_clear(&q);
}

static void round_trip(const uint8_t *data, size_t size)
{
	struct ipc_msg m, m2;
	struct ipc_out o = { 0 };
	char why[200];
	int t;

	if (ipc_parse(data, size, &m, why, sizeof(why)) != 0) {
		if (!memchr(why, '\0', sizeof(why)) || why[0] == '\0')
			abort();    /* a refusal always says why */
		return;
	}
	if (m.type == IPC_EVENT)
		frame(&m);
	ipc_out_begin(&o, m.type, m.id);
	for (t = 1; t < IPC_T_MAX; t++)
		if (m.f[t].present)
			ipc_out_field(&o, (enum ipc_tag)t, m.f[t].p, m.f[t].len);
	if (ipc_out_finish(&o) != 0)
		abort();
	if (o.len > size)
		abort();    /* same fields, same framing: never longer */
	if (ipc_parse(o.buf, o.len, &m2, why, sizeof(why)) != 0)
		abort();
	if (m2.type != m.type || m2.id != m.id)
		abort();
	for (t = 1; t < IPC_T_MAX; t++) {
		if (m.f[t].present != m2.f[t].present || m.f[t].len != m2.f[t].len)
			abort();
		if (m.f[t].present && memcmp(m.f[t].p, m2.f[t].p, m.f[t].len) != 0)
			abort();
	}
	ipc_out_clear(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_reader whole = { 0 }, bits = { 0 };
	const uint8_t *a, *b;
	size_t alen, blen, off, step;
	int ra, rb, fed_ok;

	round_trip(data, size);

	/* The stream: all at once, and in pieces sized by the input's first byte. */
	ra = ipc_reader_feed(&whole, data, size);
	step = size ? (size_t)(data[0] % 13) + 1 : 1;
	rb = 0;
	for (off = 0; off < size && rb == 0; off += step)
		rb = ipc_reader_feed(&bits, data + off, size - off < step ? size - off : step);
	if ((ra < 0) != (rb < 0))
		abort();
	fed_ok = ra == 0;
	for (;;) {
		ra = ipc_reader_next(&whole, &a, &alen);
		rb = ipc_reader_next(&bits, &b, &blen);
		if (ra != rb)
			abort();
		if (ra != 1)
			break;
		if (alen != blen || memcmp(a, b, alen) != 0)
			abort();
		round_trip(a, alen);
	}
	/* Feeding in pieces stops at a refused header, so only then may they differ. */
	if (fed_ok && ipc_reader_pending(&whole) != ipc_reader_pending(&bits))
		abort();
	ipc_reader_clear(&whole);
	ipc_reader_clear(&bits);
	return 0;
}
