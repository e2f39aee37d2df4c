/* The server's side of the portal (docs/portal.md): binds the listening socket as root,
 * starts `warren portal` unprivileged with the socket, a socketpair and the certificate
 * in a sealed memfd, restarts it when it exits, and carries messages both ways. */
#ifndef WARREN_PORTALPROC_H
#define WARREN_PORTALPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "ipc.h"

struct loop;
struct timer;

/* A request from the portal: ENROLL, PROFILE or ADMIN (answer each exactly once with
 * portalproc_answer, now or later), or CANCEL (the client of msg->id left, or the
 * portal process died with the request open: forget it, do not answer; for an event
 * stream the answer opened, the stream is gone). msg and its fields are valid only
 * during the call. */
typedef void (*portalproc_msg_fn)(const struct ipc_msg *msg, void *data);

#define PORTALPROC_BACKOFF_MIN_MS 1000u
#define PORTALPROC_BACKOFF_MAX_MS 60000u
#define PORTALPROC_MAX_OPEN 4096            /* requests open at once; more is a broken portal */
#define PORTALPROC_MAX_STREAMS 65536        /* event streams; the portal holds fewer connections */

/* Treat as opaque; it lives in the caller's struct. */
struct portalproc {
	struct loop *loop;
	char *name;                 /* the listen address as configured: "[::]:8443" */
	char *cert_file, *key_file, *user;
	int listen_fd, tls_fd, ipc_fd, pidfd;
	pid_t pid;                  /* 0: not running */
	uint64_t started_ms;
	uint64_t backoff_ms;
	struct timer *restart, *kill_timer;
	bool writing;
	struct ipc_reader rd;
	struct ipc_writer wr;
	struct ipc_out out;
	uint32_t *open;             /* ids the portal waits on */
	size_t n_open, cap_open;
	uint32_t *streams;          /* ids of the event streams answers opened */
	size_t n_streams, cap_streams;
	portalproc_msg_fn on_msg;
	void *data;
};

/* "[::]:8443", "[2001:db8::1]:443", "0.0.0.0:8443", "127.0.0.1:8443": 0 or -EINVAL. */
int portalproc_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/* Bind listen_addr (SO_REUSEADDR; "[::]" also takes IPv4), check and seal the certificate
 * chain and key, and start the portal process as `user` (NULL: "nobody"). Problems are
 * logged as "portal ADDR: ..."; 0 or -errno. The listening socket lives until
 * portalproc_stop, across restarts; the certificate files are read again at each
 * restart (the previous copy stays if that fails). */
int portalproc_start(struct portalproc *pp, struct loop *l, const char *listen_addr,
		     const char *cert_file, const char *key_file, const char *user,
		     portalproc_msg_fn on_msg, void *data);

/* Answer request id: status (HTTP), body (NULL for none), etag, sig (base64 signature),
 * retry_after (seconds, 0 for none). 0; -ENOENT when id is not open (answered,
 * cancelled, or from a portal process that has since died); -ENOTCONN when no portal
 * runs; -EMSGSIZE when it does not fit a message (the client then gets a 502). */
int portalproc_answer(struct portalproc *pp, uint32_t id, int status, const char *body,
		      size_t body_len, const char *etag, const char *sig, int retry_after);

/* The headers an answer may carry besides its status and body; NULL or 0: none. */
struct portalproc_headers {
	const char *etag, *sig;
	int retry_after;
	const char *content_type;      /* default application/json */
	const char *filename;          /* Content-Disposition: attachment */
	const char *set_cookie;
	const char *allow;
};
int portalproc_answer_with(struct portalproc *pp, uint32_t id, int status, const char *body,
			   size_t body_len, const struct portalproc_headers *h);

/* Answer request id by opening an event stream for audience ("all", "user:ID"): a 200 of
 * text/event-stream the portal keeps open. The id stays taken until portalproc_close or
 * the portal's CANCEL. 0; -ENOENT and -ENOTCONN as above; -ENOSPC when
 * PORTALPROC_MAX_STREAMS are open (then the client gets a 503). */
int portalproc_stream(struct portalproc *pp, uint32_t id, const char *audience);

/* An event for every stream of audience ("all", "user:ID"): name and data (JSON). 0;
 * -ENOTCONN when no portal runs; -EMSGSIZE when it does not fit a message. */
int portalproc_event(struct portalproc *pp, const char *audience, const char *name,
		     const char *data, size_t len);
/* End the stream of request id (its session ended). 0, or -ENOENT when it is not open. */
int portalproc_close(struct portalproc *pp, uint32_t id);

/* For the server's SIGCHLD handler, with each pid its waitpid(-1, ...) reaped: true when
 * it was the portal (then a restart is scheduled). The portal is also watched through a
 * pidfd, so this is a safety net; calling it for other pids is harmless. */
bool portalproc_child_exited(struct portalproc *pp, pid_t pid);

/* Whether a portal process runs now (for status). */
bool portalproc_running(const struct portalproc *pp);

/* SIGTERM the process and reap it (SIGKILL after 3 s), close everything. Open requests
 * are dropped without CANCEL. A zeroed or stopped struct is fine; not from on_msg. */
void portalproc_stop(struct portalproc *pp);

#endif
