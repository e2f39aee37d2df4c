/* The control socket between the CLI and a running daemon: the server on the event loop,
 * the blocking client the CLI uses, and the text view of a status document.
 *
 * Protocol (docs/status-json.md): the client sends one line
 *     warren/1 COMMAND [ARG...]\n
 * words separated by spaces; in every word the bytes %, space, control characters and
 * DEL are sent as %XX (hex). The server answers
 *     ok\n PAYLOAD            or            error MESSAGE\n [more message lines]
 * and closes the connection. A request is at most CTL_MAX_REQUEST bytes. */
#ifndef WARREN_CTL_H
#define WARREN_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define CTL_PROTOCOL "warren/1"
#define CTL_MAX_REQUEST 65536           /* bytes, the newline included: a CSV piece fits */
#define CTL_MAX_ARGS 64                 /* words after the version, the command included */
#define CTL_TIMEOUT_MS 5000             /* to send the request; then per reply write */
#define CTL_MAX_CLIENTS 64              /* at once; more are answered "error busy" */
#define CTL_MAX_REPLY (64u << 20)       /* what the client accepts */

struct ctl;
struct json;
struct json_value;
struct loop;

/* Answers one request. argv[0] is the command, argv[1..argc-1] its decoded arguments,
 * argv[argc] is NULL (so getopt works on them); all are valid until the handler returns.
 * The handler writes into reply (json_* for a document, json_raw/json_rawf for text):
 *   return 0            -> "ok\n" + reply (a newline is added when reply lacks one)
 *   return -EOPNOTSUPP  -> the command is unknown; reply empty gives
 *                          "error unknown command \"CMD\""
 *   return other -errno -> "error " + reply, or strerror when reply is empty; a
 *                          message of several lines (one per config error) is fine.
 * It runs on the loop and must not block; it must not call ctl_close (stop the loop
 * instead). The reply is sent without blocking, however large. */
typedef int (*ctl_handler_fn)(int argc, char **argv, struct json *reply, void *data);

/* A handler whose work runs off the loop (a password hash) takes the request with
 * ctl_defer, inside the handler, and returns CTL_DEFERRED; it answers later with
 * ctl_answer(id, r, reply) as it would have returned. An id whose client went away (or
 * timed out) is ignored. */
#define CTL_DEFERRED 1
uint64_t ctl_defer(struct ctl *c);
void ctl_answer(struct ctl *c, uint64_t id, int r, const struct json *reply);

/* Split a request line (without its newline, NUL-terminated, modified in place) into
 * argv (CTL_MAX_ARGS + 1 slots; argv[argc] = NULL), checking the version and decoding
 * %XX. 0, or -EINVAL / -EPROTO / -E2BIG with the reason in err. */
int ctl_parse_request(char *line, char **argv, int *argc, char *err, size_t errsize);

/* Listen on path: creates missing parent directories (0755), replaces a stale socket
 * (one nobody answers on), binds with mode 0600 and accepts on loop l. Fails with
 * -EADDRINUSE when another process answers on path, -EEXIST when path is not a socket,
 * -ENAMETOOLONG when it does not fit a sockaddr_un; logs the cause of any failure. */
int ctl_open(struct loop *l, const char *path, ctl_handler_fn fn, void *data, struct ctl **cp);
/* Drops every client, stops listening and removes the socket file (only if it is still
 * the one ctl_open made). NULL is fine. */
void ctl_close(struct ctl *c);
/* Change CTL_TIMEOUT_MS for clients accepted from now on (tests). */
void ctl_set_timeout(struct ctl *c, unsigned ms);

/* Client side. Append the request line for argv[0..argc-1] (command first) to out:
 * 0, -EINVAL for argc < 1 or an empty word, -E2BIG beyond CTL_MAX_REQUEST or
 * CTL_MAX_ARGS. */
int ctl_encode_request(struct json *out, int argc, char *const *argv);
/* Connect to path, send the request, read the whole reply (timeout_ms per step; 0 for
 * none). 0 with *ok set and reply holding the payload ("ok") or the message ("error",
 * without the word, each line newline-terminated); or -errno when the daemon cannot be
 * reached (-ENOENT, -ECONNREFUSED ...), -ETIMEDOUT, -EPROTO for a reply outside the
 * protocol, -EFBIG beyond CTL_MAX_REPLY. */
int ctl_call(const char *path, int argc, char *const *argv, int timeout_ms, bool *ok,
	     struct json *reply);

/* Readable view of a status document (docs/status-json.md) as of now; times are local.
 * Unknown members are ignored and missing ones shown as "?". */
void ctl_render_status(FILE *f, const struct json_value *status, time_t now);

#endif
