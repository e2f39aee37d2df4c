/* libFuzzer harness for the socketpair protocol: whatever ipc_parse accepts must encode
 * back to a message it accepts again with the same fields (fields in tag order), and the
 * stream reader must cut the same bytes into the same messages however they arrive. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
