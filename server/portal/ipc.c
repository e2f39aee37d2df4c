/* The socketpair protocol between the server and its portal process: encoding,
 * strict parsing, and the non-blocking stream reader and writer both ends use. */
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc.h"
#include "../../common/util.h"

#define BIT(t) (1u << (t))

/* What each type carries: the tags it must have, and every tag it may have. */
static const struct {
	uint16_t type;
	const char *name;
	uint32_t required, allowed;
} rules[] = {
	{ IPC_ENROLL, "ENROLL",
	  BIT(IPC_T_PEER) | BIT(IPC_T_TOKEN) | BIT(IPC_T_PUBLIC_KEY),
	  BIT(IPC_T_PEER) | BIT(IPC_T_TOKEN) | BIT(IPC_T_PUBLIC_KEY) | BIT(IPC_T_NAME) },
	{ IPC_PROFILE, "PROFILE",
	  BIT(IPC_T_PEER) | BIT(IPC_T_CREDENTIAL),
	  BIT(IPC_T_PEER) | BIT(IPC_T_CREDENTIAL) | BIT(IPC_T_ETAG) | BIT(IPC_T_WAIT) },
	{ IPC_ADMIN, "ADMIN",
	  BIT(IPC_T_PEER) | BIT(IPC_T_METHOD) | BIT(IPC_T_PATH),
	  BIT(IPC_T_PEER) | BIT(IPC_T_TOKEN) | BIT(IPC_T_METHOD) | BIT(IPC_T_PATH) |
	  BIT(IPC_T_BODY) | BIT(IPC_T_COOKIE) | BIT(IPC_T_CSRF) },
	{ IPC_ANSWER, "ANSWER",
	  BIT(IPC_T_STATUS),
	  BIT(IPC_T_STATUS) | BIT(IPC_T_BODY) | BIT(IPC_T_ETAG) | BIT(IPC_T_SIGNATURE) |
	  BIT(IPC_T_RETRY_AFTER) | BIT(IPC_T_CONTENT_TYPE) | BIT(IPC_T_FILENAME) |
	  BIT(IPC_T_SET_COOKIE) | BIT(IPC_T_ALLOW) | BIT(IPC_T_AUDIENCE) },
	{ IPC_CANCEL, "CANCEL", 0, 0 },
	{ IPC_EVENT, "EVENT",
	  BIT(IPC_T_AUDIENCE) | BIT(IPC_T_EVENT) | BIT(IPC_T_BODY),
	  BIT(IPC_T_AUDIENCE) | BIT(IPC_T_EVENT) | BIT(IPC_T_BODY) },
	{ IPC_CLOSE, "CLOSE", 0, 0 },
};

static const char *const tag_names[IPC_T_MAX] = {
	[IPC_T_PEER] = "peer", [IPC_T_TOKEN] = "token", [IPC_T_PUBLIC_KEY] = "public_key",
	[IPC_T_NAME] = "name", [IPC_T_CREDENTIAL] = "credential", [IPC_T_ETAG] = "etag",
	[IPC_T_WAIT] = "wait", [IPC_T_METHOD] = "method", [IPC_T_PATH] = "path",
	[IPC_T_BODY] = "body", [IPC_T_STATUS] = "status", [IPC_T_SIGNATURE] = "signature",
	[IPC_T_RETRY_AFTER] = "retry_after", [IPC_T_COOKIE] = "cookie", [IPC_T_CSRF] = "csrf",
	[IPC_T_CONTENT_TYPE] = "content_type", [IPC_T_FILENAME] = "filename",
	[IPC_T_SET_COOKIE] = "set_cookie", [IPC_T_ALLOW] = "allow",
	[IPC_T_AUDIENCE] = "audience", [IPC_T_EVENT] = "event",
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

const char *ipc_type_name(uint16_t type)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rules); i++)
		if (rules[i].type == type)
			return rules[i].name;
	return "unknown";
}

/* ---- writing ---- */

static void out_reserve(struct ipc_out *o, size_t more)
{
	size_t cap = o->cap ? o->cap : 256;
	uint8_t *nb;

	if (o->len + more <= o->cap)
		return;
	while (cap < o->len + more)
		cap *= 2;
	/* Not xrealloc: the old buffer may hold a token, so it is wiped, not left behind. */
	nb = xmalloc(cap);
	if (o->len)
		memcpy(nb, o->buf, o->len);
	if (o->buf) {
		sodium_memzero(o->buf, o->cap);
		free(o->buf);
	}
	o->buf = nb;
	o->cap = cap;
}

void ipc_out_begin(struct ipc_out *o, uint16_t type, uint32_t id)
{
	if (o->buf)
		sodium_memzero(o->buf, o->len);
	o->len = 0;
	out_reserve(o, IPC_HEADER_LEN);
	put16(o->buf, type);
	put16(o->buf + 2, 0);
	put32(o->buf + 4, id);
	put32(o->buf + 8, 0);
	o->len = IPC_HEADER_LEN;
}

void ipc_out_field(struct ipc_out *o, enum ipc_tag tag, const void *p, size_t len)
{
	/* Four gigabytes in one field is a caller's bug; ipc_out_finish catches the rest. */
	if (len > UINT32_MAX || o->len < IPC_HEADER_LEN)
		abort();
	out_reserve(o, 5 + len);
	o->buf[o->len] = (uint8_t)tag;
	put32(o->buf + o->len + 1, (uint32_t)len);
	if (len)
		memcpy(o->buf + o->len + 5, p, len);
	o->len += 5 + len;
}

void ipc_out_str(struct ipc_out *o, enum ipc_tag tag, const char *s)
{
	if (s)
		ipc_out_field(o, tag, s, strlen(s));
}

int ipc_out_finish(struct ipc_out *o)
{
	if (o->len < IPC_HEADER_LEN)
		abort();
	if (o->len - IPC_HEADER_LEN > IPC_MAX_PAYLOAD)
		return -EMSGSIZE;
	put32(o->buf + 8, (uint32_t)(o->len - IPC_HEADER_LEN));
	return 0;
}

void ipc_out_clear(struct ipc_out *o)
{
	if (o->buf) {
		sodium_memzero(o->buf, o->cap);
		free(o->buf);
	}
	o->buf = NULL;
	o->len = o->cap = 0;
}

/* ---- parsing ---- */

int ipc_payload_len(const uint8_t hdr[IPC_HEADER_LEN], uint32_t *len)
{
	uint32_t n = get32(hdr + 8);

	if (n > IPC_MAX_PAYLOAD)
		return -EMSGSIZE;
	*len = n;
	return 0;
}

/* RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t c, min;

	while (i < len) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1, min = 0x80, c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, min = 0x800, c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, min = 0x10000, c &= 0x07;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/* Canonical decimal: digits only, no sign, no leading zero (except "0" itself). */
static bool decimal(const char *p, uint32_t len, uint32_t max, uint32_t *val)
{
	uint64_t v = 0;
	uint32_t i;

	if (len == 0 || len > 10 || (len > 1 && p[0] == '0'))
		return false;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (v > max)
		return false;
	if (val)
		*val = (uint32_t)v;
	return true;
}

int ipc_audience_parse(const char *p, size_t len, int64_t *user_id)
{
	uint64_t v = 0;
	size_t i;

	if (len == 3 && memcmp(p, "all", 3) == 0) {
		*user_id = 0;
		return 0;
	}
	if (len < 6 || len > 5 + 19 || memcmp(p, "user:", 5) != 0 || p[5] == '0')
		return -EINVAL;
	for (i = 5; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(p[i] - '0');
		if (v > INT64_MAX)
			return -EINVAL;
	}
	*user_id = (int64_t)v;
	return 0;
}

/* An event's name goes into the stream as it is: nothing that could end its line. */
static bool event_name(const char *p, uint32_t len)
{
	uint32_t i;

	if (len == 0 || len > 32)
		return false;
	for (i = 0; i < len; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || p[i] == '_'))
			return false;
	return true;
}

static int refuse(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

int ipc_parse(const uint8_t *buf, size_t len, struct ipc_msg *m, char *why, size_t whylen)
{
	uint32_t plen, flen, seen = 0, allowed, required, val;
	size_t r, off;
	uint16_t flags;
	uint8_t tag;

	memset(m, 0, sizeof(*m));
	if (why && whylen)
		why[0] = '\0';
	if (len < IPC_HEADER_LEN)
		return refuse(why, whylen, "%zu bytes, shorter than a header", len);
	m->type = get16(buf);
	flags = get16(buf + 2);
	m->id = get32(buf + 4);
	plen = get32(buf + 8);
	for (r = 0; r < ARRAY_SIZE(rules) && rules[r].type != m->type; r++)
		;
	if (r == ARRAY_SIZE(rules))
		return refuse(why, whylen, "unknown type %u", m->type);
	if (flags)
		return refuse(why, whylen, "%s: flags 0x%x, expected 0", rules[r].name, flags);
	if (plen > IPC_MAX_PAYLOAD)
		return refuse(why, whylen, "%s: payload of %u bytes, more than %u", rules[r].name,
			      plen, IPC_MAX_PAYLOAD);
	if (plen != len - IPC_HEADER_LEN)
		return refuse(why, whylen, "%s: header says %u bytes of payload, %zu follow",
			      rules[r].name, plen, len - IPC_HEADER_LEN);
	allowed = rules[r].allowed;
	required = rules[r].required;

	for (off = IPC_HEADER_LEN; off < len; off += 5 + (size_t)flen) {
		if (len - off < 5)
			return refuse(why, whylen, "%s: field header cut short at byte %zu",
				      rules[r].name, off);
		tag = buf[off];
		flen = get32(buf + off + 1);
		if (tag == 0 || tag >= IPC_T_MAX || !(allowed & BIT(tag)))
			return refuse(why, whylen, "%s: tag %u not defined for this type",
				      rules[r].name, tag);
		if (seen & BIT(tag))
			return refuse(why, whylen, "%s: %s repeated", rules[r].name, tag_names[tag]);
		if (flen > len - off - 5)
			return refuse(why, whylen, "%s: %s of %u bytes overruns the payload",
				      rules[r].name, tag_names[tag], flen);
		seen |= BIT(tag);
		m->f[tag].p = (const char *)buf + off + 5;
		m->f[tag].len = flen;
		m->f[tag].present = true;
	}
	if (required & ~seen) {
		for (tag = 1; tag < IPC_T_MAX && !((required & ~seen) & BIT(tag)); tag++)
			;
		return refuse(why, whylen, "%s without %s", rules[r].name, tag_names[tag]);
	}
	for (tag = 1; tag < IPC_T_MAX; tag++) {
		const struct ipc_field *f = &m->f[tag];

		if (!f->present || tag == IPC_T_BODY)
			continue;
		if (memchr(f->p, '\0', f->len))
			return refuse(why, whylen, "%s: NUL in %s", rules[r].name, tag_names[tag]);
		if (!utf8_valid((const uint8_t *)f->p, f->len))
			return refuse(why, whylen, "%s: %s is not UTF-8", rules[r].name,
				      tag_names[tag]);
		if ((tag == IPC_T_WAIT && !decimal(f->p, f->len, 300, NULL)) ||
		    (tag == IPC_T_STATUS && (!decimal(f->p, f->len, 599, &val) || val < 100)) ||
		    (tag == IPC_T_RETRY_AFTER && !decimal(f->p, f->len, UINT32_MAX, NULL)))
			return refuse(why, whylen, "%s: %s \"%.*s\" out of range", rules[r].name,
				      tag_names[tag], f->len > 16 ? 16 : (int)f->len, f->p);
		if ((tag == IPC_T_AUDIENCE && ipc_audience_parse(f->p, f->len, &(int64_t){ 0 }) < 0) ||
		    (tag == IPC_T_EVENT && !event_name(f->p, f->len)))
			return refuse(why, whylen, "%s: %s \"%.*s\" malformed", rules[r].name,
				      tag_names[tag], f->len > 24 ? 24 : (int)f->len, f->p);
	}
	return 0;
}

int ipc_field_str(const struct ipc_msg *m, enum ipc_tag tag, char *out, size_t size)
{
	const struct ipc_field *f;

	if ((unsigned)tag >= IPC_T_MAX || !m->f[tag].present)
		return -ENOENT;
	f = &m->f[tag];
	if (size == 0 || f->len > size - 1 || memchr(f->p, '\0', f->len))
		return -E2BIG;
	memcpy(out, f->p, f->len);
	out[f->len] = '\0';
	return 0;
}

int ipc_field_uint(const struct ipc_msg *m, enum ipc_tag tag, uint32_t *val)
{
	const struct ipc_field *f;

	if ((unsigned)tag >= IPC_T_MAX || !m->f[tag].present)
		return -ENOENT;
	f = &m->f[tag];
	return decimal(f->p, f->len, UINT32_MAX, val) ? 0 : -EINVAL;
}

/* ---- stream reader ---- */

/* The header at the front of the unread bytes, if there is one, announces a size we take. */
static int reader_check(const struct ipc_reader *r)
{
	uint32_t plen;

	if (r->len - r->off >= IPC_HEADER_LEN && ipc_payload_len(r->buf + r->off, &plen) < 0)
		return -EMSGSIZE;
	return 0;
}

/* Room for at least `more` bytes after len: drop what was handed out, then grow. */
static void reader_room(struct ipc_reader *r, size_t more)
{
	size_t keep = r->len - r->off, cap;
	uint8_t *nb;

	if (r->off) {
		memmove(r->buf, r->buf + r->off, keep);
		sodium_memzero(r->buf + keep, r->len - keep);
		r->off = 0;
		r->len = keep;
	}
	if (r->len + more <= r->cap)
		return;
	cap = r->cap ? r->cap : 4096;
	while (cap < r->len + more)
		cap *= 2;
	nb = xmalloc(cap);
	if (r->len)
		memcpy(nb, r->buf, r->len);
	if (r->buf) {
		sodium_memzero(r->buf, r->cap);
		free(r->buf);
	}
	r->buf = nb;
	r->cap = cap;
}

/* How much to read next: the rest of the message at the front (at least a header),
 * capped so one read never asks for more than 1 MiB. */
static size_t reader_want(const struct ipc_reader *r)
{
	size_t have = r->len - r->off, want = IPC_HEADER_LEN;
	uint32_t plen;

	if (have >= IPC_HEADER_LEN && ipc_payload_len(r->buf + r->off, &plen) == 0)
		want = IPC_HEADER_LEN + (size_t)plen;
	want = want > have ? want - have : 0;
	if (want < 65536)
		want = 65536;
	if (want > (1u << 20))
		want = 1u << 20;
	return want;
}

int ipc_reader_feed(struct ipc_reader *r, const void *p, size_t len)
{
	int e = reader_check(r);

	if (e < 0)
		return e;
	if (len) {
		reader_room(r, len);
		memcpy(r->buf + r->len, p, len);
		r->len += len;
	}
	return reader_check(r);
}

ssize_t ipc_reader_fill(struct ipc_reader *r, int fd)
{
	size_t want;
	ssize_t n;
	int e = reader_check(r);

	if (e < 0)
		return e;
	want = reader_want(r);
	reader_room(r, want);
	do
		n = read(fd, r->buf + r->len, want);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	r->len += (size_t)n;
	e = reader_check(r);
	return e < 0 ? e : n;
}

int ipc_reader_next(struct ipc_reader *r, const uint8_t **msg, size_t *len)
{
	size_t have = r->len - r->off;
	uint32_t plen;

	if (have < IPC_HEADER_LEN)
		return 0;
	if (ipc_payload_len(r->buf + r->off, &plen) < 0)
		return -EMSGSIZE;
	if (have - IPC_HEADER_LEN < plen)
		return 0;
	*msg = r->buf + r->off;
	*len = IPC_HEADER_LEN + (size_t)plen;
	r->off += *len;
	return 1;
}

size_t ipc_reader_pending(const struct ipc_reader *r)
{
	return r->len - r->off;
}

void ipc_reader_clear(struct ipc_reader *r)
{
	if (r->buf) {
		sodium_memzero(r->buf, r->cap);
		free(r->buf);
	}
	memset(r, 0, sizeof(*r));
}

/* ---- stream writer ---- */

void ipc_writer_queue(struct ipc_writer *w, const struct ipc_out *o)
{
	size_t keep = w->len - w->off, cap;
	uint8_t *nb;

	if (w->off) {
		memmove(w->buf, w->buf + w->off, keep);
		sodium_memzero(w->buf + keep, w->len - keep);
		w->off = 0;
		w->len = keep;
	}
	if (w->len + o->len > w->cap) {
		cap = w->cap ? w->cap : 4096;
		while (cap < w->len + o->len)
			cap *= 2;
		nb = xmalloc(cap);
		if (w->len)
			memcpy(nb, w->buf, w->len);
		if (w->buf) {
			sodium_memzero(w->buf, w->cap);
			free(w->buf);
		}
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, o->buf, o->len);
	w->len += o->len;
}

int ipc_writer_flush(struct ipc_writer *w, int fd)
{
	ssize_t n;

	while (w->off < w->len) {
		n = send(fd, w->buf + w->off, w->len - w->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return -EAGAIN;
			return -errno;
		}
		w->off += (size_t)n;
	}
	/* Everything went: wipe what was sent (tokens) and start over at the front. */
	if (w->len)
		sodium_memzero(w->buf, w->len);
	w->off = w->len = 0;
	return 0;
}

size_t ipc_writer_pending(const struct ipc_writer *w)
{
	return w->len - w->off;
}

void ipc_writer_clear(struct ipc_writer *w)
{
	if (w->buf) {
		sodium_memzero(w->buf, w->cap);
		free(w->buf);
	}
	memset(w, 0, sizeof(*w));
}
