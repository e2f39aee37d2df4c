/* Messages between the server and its unprivileged portal process (docs/portal.md): a
 * 12-byte header, then tagged, length-prefixed fields; every read is bounds-checked. */
#ifndef WARREN_IPC_H
#define WARREN_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IPC_HEADER_LEN 12
#define IPC_MAX_PAYLOAD (16u << 20)

enum ipc_type {
	IPC_ENROLL = 1,
	IPC_PROFILE = 2,
	IPC_ADMIN = 3,
	IPC_ANSWER = 64,
	IPC_CANCEL = 65,
	IPC_EVENT = 66,         /* server -> portal: one event for the streams of an audience */
	IPC_CLOSE = 67,         /* server -> portal: end the stream opened by request id */
};

enum ipc_tag {
	IPC_T_PEER = 1,         /* client address, text */
	IPC_T_TOKEN,            /* enrolment or admin token, text */
	IPC_T_PUBLIC_KEY,       /* base64 */
	IPC_T_NAME,             /* agent's host name */
	IPC_T_CREDENTIAL,       /* device credential, text */
	IPC_T_ETAG,             /* If-None-Match, or the answer's ETag */
	IPC_T_WAIT,             /* seconds, decimal text 0..300 */
	IPC_T_METHOD,
	IPC_T_PATH,             /* path with query */
	IPC_T_BODY,
	IPC_T_STATUS,           /* decimal HTTP status */
	IPC_T_SIGNATURE,        /* base64 Ed25519 signature of the body */
	IPC_T_RETRY_AFTER,      /* seconds, decimal text */
	IPC_T_COOKIE,           /* ADMIN: the Cookie header as received */
	IPC_T_CSRF,             /* ADMIN: X-CSRF-Token */
	IPC_T_CONTENT_TYPE,     /* ANSWER: when not application/json */
	IPC_T_FILENAME,         /* ANSWER: an attachment's name */
	IPC_T_SET_COOKIE,       /* ANSWER: the session cookie to set or clear */
	IPC_T_ALLOW,            /* ANSWER: a 405's methods */
	IPC_T_AUDIENCE,         /* ANSWER: keep it open as an event stream for this audience;
				 * EVENT: whose streams get it. "all" or "user:ID" */
	IPC_T_EVENT,            /* EVENT: its name, [a-z_]{1,32} */
	IPC_T_MAX
};

/* One field as read: points into the message buffer, not NUL-terminated. */
struct ipc_field {
	const char *p;
	uint32_t len;
	bool present;
};

struct ipc_msg {
	uint16_t type;
	uint32_t id;
	struct ipc_field f[IPC_T_MAX];
};

/* A message being written: header, then fields; ipc_out_finish fills in the length. */
struct ipc_out {
	uint8_t *buf;
	size_t len, cap;
};

void ipc_out_begin(struct ipc_out *o, uint16_t type, uint32_t id);
void ipc_out_field(struct ipc_out *o, enum ipc_tag tag, const void *p, size_t len);
void ipc_out_str(struct ipc_out *o, enum ipc_tag tag, const char *s);   /* NULL: nothing */
/* 0, or -EMSGSIZE beyond IPC_MAX_PAYLOAD. */
int ipc_out_finish(struct ipc_out *o);
void ipc_out_clear(struct ipc_out *o);   /* wipes: fields may hold tokens */

/* From a header (IPC_HEADER_LEN bytes): the payload length that follows, or -EMSGSIZE
 * when it exceeds IPC_MAX_PAYLOAD. */
int ipc_payload_len(const uint8_t hdr[IPC_HEADER_LEN], uint32_t *len);

/* Parse a whole message (header + payload, exactly len bytes). Checks: known type, flags
 * 0, payload length matches, fields within bounds, no repeated or unknown tag, the tags
 * the type requires are present and those it does not define absent, text fields (all
 * but BODY) valid UTF-8 free of NUL, WAIT (0..300), STATUS (100..599) and
 * RETRY_AFTER canonical decimals, AUDIENCE as ipc_audience_parse takes it and EVENT a
 * name of [a-z_]. 0, or -EBADMSG with the reason in why (one line,
 * naming the type and field). m points into buf. */
int ipc_parse(const uint8_t *buf, size_t len, struct ipc_msg *m, char *why, size_t whylen);

/* A field as a NUL-terminated copy in out (size bytes): 0, -ENOENT when absent,
 * -E2BIG when it does not fit. */
int ipc_field_str(const struct ipc_msg *m, enum ipc_tag tag, char *out, size_t size);

/* An audience as AUDIENCE carries it: "all" (*user_id 0) or "user:ID" with ID a
 * canonical decimal 1..INT64_MAX (*user_id ID). 0 or -EINVAL. */
int ipc_audience_parse(const char *p, size_t len, int64_t *user_id);

/* A decimal field (WAIT, STATUS, RETRY_AFTER; ipc_parse already checked their form):
 * 0, -ENOENT when absent, -EINVAL when not decimal or beyond UINT32_MAX. */
int ipc_field_uint(const struct ipc_msg *m, enum ipc_tag tag, uint32_t *val);

/* The name of a type ("ENROLL" ...) or "unknown", for log lines. */
const char *ipc_type_name(uint16_t type);

/* ---- a SOCK_STREAM end, non-blocking ---- */

/* Bytes as they arrive, cut into whole messages. A header announcing more than
 * IPC_MAX_PAYLOAD is refused as soon as its 12 bytes are in, before the payload. */
struct ipc_reader {
	uint8_t *buf;
	size_t off, len, cap;       /* buf[off, len) is not yet handed out */
};

/* One read(2) of fd into r: the byte count (> 0), 0 at end of file, -EAGAIN when
 * nothing is there, -EMSGSIZE when a buffered header is oversized, or -errno. */
ssize_t ipc_reader_fill(struct ipc_reader *r, int fd);
/* Append bytes without a descriptor (tests, fuzzing). 0 or -EMSGSIZE as above. */
int ipc_reader_feed(struct ipc_reader *r, const void *p, size_t len);
/* The next whole message: 1 with *msg and *len set (valid until the next fill, feed or
 * clear), 0 when it is not complete yet, -EMSGSIZE when its header is oversized. */
int ipc_reader_next(struct ipc_reader *r, const uint8_t **msg, size_t *len);
/* Bytes buffered and not handed out yet. */
size_t ipc_reader_pending(const struct ipc_reader *r);
void ipc_reader_clear(struct ipc_reader *r);    /* wipes and frees */

/* Messages waiting to be written. */
struct ipc_writer {
	uint8_t *buf;
	size_t off, len, cap;       /* buf[off, len) is still to be written */
};

/* Copy a finished message (ipc_out_finish returned 0) to the queue. */
void ipc_writer_queue(struct ipc_writer *w, const struct ipc_out *o);
/* Write what the socket takes: 0 when the queue is empty, -EAGAIN when bytes remain
 * (wait for EPOLLOUT), or -errno (EPIPE when the other end is gone). */
int ipc_writer_flush(struct ipc_writer *w, int fd);
size_t ipc_writer_pending(const struct ipc_writer *w);
void ipc_writer_clear(struct ipc_writer *w);    /* wipes and frees */

#endif
