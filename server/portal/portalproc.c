/* Starting, watching and restarting the portal process, and the server's end of its
 * socketpair: requests in, answers out, ids checked both ways. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "portal.h"
#include "portalproc.h"
#include "../../agent/loop.h"
#include "../../common/log.h"
#include "../../common/util.h"

#define TLS_FILE_MAX (512u << 10)
#define WRITE_QUEUE_MAX (64u << 20)
#define KILL_AFTER_MS 5000u

static void child_gone(struct portalproc *pp, bool have_status, int wstatus);
static int spawn(struct portalproc *pp);

/* ---- the listening socket ---- */

int portalproc_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *close;
	unsigned long port;
	char *end;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (!s)
		return -EINVAL;
	if (s[0] == '[') {
		close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		n = (size_t)(close - s - 1);
		colon = close + 1;
		if (n == 0 || n >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, n);
		host[n] = '\0';
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -EINVAL;
		s6->sin6_family = AF_INET6;
		*len = sizeof(*s6);
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		n = (size_t)(colon - s);
		if (n == 0 || n >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, n);
		host[n] = '\0';
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -EINVAL;
		s4->sin_family = AF_INET;
		*len = sizeof(*s4);
	}
	if (colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port == 0 || port > 65535)
		return -EINVAL;
	if (ss->ss_family == AF_INET6)
		s6->sin6_port = htons((uint16_t)port);
	else
		s4->sin_port = htons((uint16_t)port);
	return 0;
}

static int bind_listen(struct portalproc *pp)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, on = 1, off = 0, r;

	if (portalproc_parse_addr(pp->name, &ss, &len) < 0) {
		log_err("portal %s: expected [IPv6]:PORT or IPv4:PORT", pp->name);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		log_err("portal %s: socket: %s", pp->name, strerror(errno));
		return r;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
		goto fail;
	/* "[::]" serves IPv4 too; a specific IPv6 address only itself. */
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
		       IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&ss)->sin6_addr) ? &off : &on,
		       sizeof(int)) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 256) < 0)
		goto fail;
	pp->listen_fd = fd;
	return 0;
fail:
	r = -errno;
	log_err("portal %s: %s", pp->name, strerror(errno));
	close(fd);
	return r;
}

/* The portal holds a descriptor for each connection and inherits this process's limit:
 * raise the soft one toward what it needs, as far as the hard one lets (the portal says
 * when that is not enough). */
static void nofile_raise(void)
{
	rlim_t want = (rlim_t)PORTAL_CONNECTIONS + 1024;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_debug("RLIMIT_NOFILE: %s", strerror(errno));
}

/* ---- the certificate and key, sealed ---- */

static int read_small(const char *path, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), r = 0;
	size_t off = 0;
	ssize_t n;
	char *b;

	if (fd < 0)
		return -errno;
	b = xmalloc(TLS_FILE_MAX + 1);
	for (;;) {
		n = read(fd, b + off, TLS_FILE_MAX + 1 - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		off += (size_t)n;
		if (off > TLS_FILE_MAX) {
			r = -EFBIG;
			break;
		}
	}
	close(fd);
	if (r < 0) {
		sodium_memzero(b, TLS_FILE_MAX + 1);
		free(b);
		return r;
	}
	b[off] = '\0';
	*buf = b;
	*len = off;
	return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The chain, then the key, in a memfd nobody can change any more. */
static int tls_memfd(struct portalproc *pp, int *out)
{
	char *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	int fd = -1, r;

	if ((r = read_small(pp->cert_file, &cert, &cert_len)) < 0) {
		log_err("portal %s: %s: %s", pp->name, pp->cert_file, strerror(-r));
		goto out;
	}
	if ((r = read_small(pp->key_file, &key, &key_len)) < 0) {
		log_err("portal %s: %s: %s", pp->name, pp->key_file, strerror(-r));
		goto out;
	}
	r = -EINVAL;
	if (!strstr(cert, "-----BEGIN CERTIFICATE-----")) {
		log_err("portal %s: %s: no PEM certificate in it", pp->name, pp->cert_file);
		goto out;
	}
	if (!strstr(key, "PRIVATE KEY-----")) {
		log_err("portal %s: %s: no PEM private key in it", pp->name, pp->key_file);
		goto out;
	}
	if (strstr(key, "ENCRYPTED PRIVATE KEY")) {
		log_err("portal %s: %s: the key is encrypted; the portal needs it in clear",
			pp->name, pp->key_file);
		goto out;
	}
	if (strstr(cert, "PRIVATE KEY-----")) {
		log_err("portal %s: %s: holds a private key; give the key as key_file only",
			pp->name, pp->cert_file);
		goto out;
	}
	fd = memfd_create("warren-portal-tls", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || (r = write_all(fd, cert, cert_len)) < 0 || (r = write_all(fd, "\n", 1)) < 0 ||
	    (r = write_all(fd, key, key_len)) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		if (r == -EINVAL)
			r = -errno;
		log_err("portal %s: sealing the certificate and key: %s", pp->name, strerror(-r));
		if (fd >= 0)
			close(fd);
		fd = -1;
		goto out;
	}
	*out = fd;
	r = 0;
out:
	if (cert) {
		sodium_memzero(cert, cert_len);
		free(cert);
	}
	if (key) {
		sodium_memzero(key, key_len);
		free(key);
	}
	return r;
}

/* ---- open requests ---- */

static bool open_has(const struct portalproc *pp, uint32_t id, size_t *at)
{
	size_t i;

	for (i = 0; i < pp->n_open; i++) {
		if (pp->open[i] == id) {
			if (at)
				*at = i;
			return true;
		}
	}
	return false;
}

static bool open_take(struct portalproc *pp, uint32_t id)
{
	size_t i;

	if (!open_has(pp, id, &i))
		return false;
	pp->open[i] = pp->open[--pp->n_open];
	return true;
}

static void open_add(struct portalproc *pp, uint32_t id)
{
	if (pp->n_open == pp->cap_open) {
		pp->cap_open = pp->cap_open ? 2 * pp->cap_open : 64;
		pp->open = xrealloc(pp->open, pp->cap_open * sizeof(*pp->open));
	}
	pp->open[pp->n_open++] = id;
}

/* Event streams keep their request's id after the answer; few are opened or closed, so
 * a plain array will do. */
static bool stream_has(const struct portalproc *pp, uint32_t id, size_t *at)
{
	size_t i;

	for (i = 0; i < pp->n_streams; i++) {
		if (pp->streams[i] == id) {
			if (at)
				*at = i;
			return true;
		}
	}
	return false;
}

static bool stream_take(struct portalproc *pp, uint32_t id)
{
	size_t i;

	if (!stream_has(pp, id, &i))
		return false;
	pp->streams[i] = pp->streams[--pp->n_streams];
	return true;
}

static void stream_add(struct portalproc *pp, uint32_t id)
{
	if (pp->n_streams == pp->cap_streams) {
		pp->cap_streams = pp->cap_streams ? 2 * pp->cap_streams : 64;
		pp->streams = xrealloc(pp->streams, pp->cap_streams * sizeof(*pp->streams));
	}
	pp->streams[pp->n_streams++] = id;
}

/* ---- the socketpair ---- */

/* The buffers stay until the next start or stop: a message being handled may point
 * into the reader. */
static void ipc_close(struct portalproc *pp)
{
	if (pp->ipc_fd >= 0) {
		loop_del_fd(pp->loop, pp->ipc_fd);
		close(pp->ipc_fd);
	}
	pp->ipc_fd = -1;
	pp->writing = false;
}

static void ipc_clear(struct portalproc *pp)
{
	ipc_reader_clear(&pp->rd);
	ipc_writer_clear(&pp->wr);
}

static void on_kill_timer(struct loop *l, struct timer *t, void *data)
{
	struct portalproc *pp = data;

	if (pp->pid > 0) {
		log_warn("portal %s: pid %d ignored SIGTERM; killing it", pp->name, (int)pp->pid);
		kill(pp->pid, SIGKILL);
	}
}

/* End the process; its exit restarts it. */
static void end_child(struct portalproc *pp)
{
	ipc_close(pp);
	if (pp->pid > 0) {
		kill(pp->pid, SIGTERM);
		timer_arm(pp->kill_timer, KILL_AFTER_MS);
	}
}

/* The portal broke the protocol (or stopped reading). */
static void kill_child(struct portalproc *pp, const char *why)
{
	log_err("portal %s: %s; restarting it", pp->name, why);
	end_child(pp);
}

static void flush(struct portalproc *pp)
{
	int e = ipc_writer_flush(&pp->wr, pp->ipc_fd);
	bool want = e == -EAGAIN;

	if (e < 0 && e != -EAGAIN) {
		log_warn("portal %s: writing to the portal: %s", pp->name, strerror(-e));
		kill_child(pp, "the socketpair failed");
		return;
	}
	if (want != pp->writing) {
		pp->writing = want;
		loop_mod_fd(pp->loop, pp->ipc_fd, EPOLLIN | (want ? EPOLLOUT : 0));
	}
}

static void on_message(struct portalproc *pp, const uint8_t *buf, size_t len)
{
	struct ipc_msg m;
	char why[200], text[240];

	if (ipc_parse(buf, len, &m, why, sizeof(why)) < 0) {
		snprintf(text, sizeof(text), "refusing a message: %s", why);
		kill_child(pp, text);
		return;
	}
	switch (m.type) {
	case IPC_ENROLL:
	case IPC_PROFILE:
	case IPC_ADMIN:
		if (open_has(pp, m.id, NULL) || stream_has(pp, m.id, NULL)) {
			snprintf(text, sizeof(text), "request id %" PRIu32 " reused while open", m.id);
			kill_child(pp, text);
			return;
		}
		if (pp->n_open >= PORTALPROC_MAX_OPEN) {
			kill_child(pp, "too many open requests");
			return;
		}
		open_add(pp, m.id);
		pp->on_msg(&m, pp->data);
		return;
	case IPC_CANCEL:
		/* After an answer crossed it on the way, there is nothing left to cancel. */
		if (open_take(pp, m.id) || stream_take(pp, m.id))
			pp->on_msg(&m, pp->data);
		return;
	default:
		snprintf(text, sizeof(text), "refusing a %s message", ipc_type_name(m.type));
		kill_child(pp, text);
		return;
	}
}

static void on_ipc(struct loop *l, int fd, uint32_t events, void *data)
{
	struct portalproc *pp = data;
	const uint8_t *buf;
	size_t len;
	ssize_t n;
	int i;

	if (events & EPOLLOUT) {
		flush(pp);
		if (pp->ipc_fd < 0)
			return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (i = 0; i < 64 && pp->ipc_fd == fd; i++) {
		n = ipc_reader_fill(&pp->rd, fd);
		if (n == -EAGAIN)
			return;
		if (n == -EMSGSIZE) {
			kill_child(pp, "refusing a message over 16 MiB");
			return;
		}
		if (n == 0) {
			/* Usually the process is ending, and its exit is logged; make sure it does. */
			log_debug("portal %s: the portal closed the socketpair", pp->name);
			end_child(pp);
			return;
		}
		if (n < 0) {
			kill_child(pp, strerror((int)-n));
			return;
		}
		while (pp->ipc_fd == fd && ipc_reader_next(&pp->rd, &buf, &len) == 1)
			on_message(pp, buf, len);
	}
}

int portalproc_answer(struct portalproc *pp, uint32_t id, int status, const char *body,
		      size_t body_len, const char *etag, const char *sig, int retry_after)
{
	const struct portalproc_headers h = { .etag = etag, .sig = sig, .retry_after = retry_after };

	return portalproc_answer_with(pp, id, status, body, body_len, &h);
}

/* Queue the finished message in pp->out and send what the socket takes. */
static void send_out(struct portalproc *pp)
{
	ipc_writer_queue(&pp->wr, &pp->out);
	ipc_out_begin(&pp->out, IPC_CANCEL, 0);     /* wipes the body just queued */
	if (ipc_writer_pending(&pp->wr) > WRITE_QUEUE_MAX) {
		kill_child(pp, "the portal stopped reading");
		return;
	}
	flush(pp);
}

int portalproc_answer_with(struct portalproc *pp, uint32_t id, int status, const char *body,
			   size_t body_len, const struct portalproc_headers *h)
{
	char num[16];
	int r = 0;

	if (pp->ipc_fd < 0)
		return -ENOTCONN;
	if (!open_take(pp, id)) {
		log_debug("portal %s: no open request %" PRIu32 " to answer", pp->name, id);
		return -ENOENT;
	}
	if (status < 200 || status > 599)
		status = 500;
	ipc_out_begin(&pp->out, IPC_ANSWER, id);
	snprintf(num, sizeof(num), "%d", status);
	ipc_out_str(&pp->out, IPC_T_STATUS, num);
	if (body)
		ipc_out_field(&pp->out, IPC_T_BODY, body, body_len);
	ipc_out_str(&pp->out, IPC_T_ETAG, h->etag);
	ipc_out_str(&pp->out, IPC_T_SIGNATURE, h->sig);
	if (h->retry_after > 0) {
		snprintf(num, sizeof(num), "%d", h->retry_after);
		ipc_out_str(&pp->out, IPC_T_RETRY_AFTER, num);
	}
	ipc_out_str(&pp->out, IPC_T_CONTENT_TYPE, h->content_type);
	ipc_out_str(&pp->out, IPC_T_FILENAME, h->filename);
	ipc_out_str(&pp->out, IPC_T_SET_COOKIE, h->set_cookie);
	ipc_out_str(&pp->out, IPC_T_ALLOW, h->allow);
	if (ipc_out_finish(&pp->out) < 0) {
		log_err("portal %s: the answer to request %" PRIu32 " is over 16 MiB", pp->name, id);
		r = -EMSGSIZE;
		ipc_out_begin(&pp->out, IPC_ANSWER, id);
		ipc_out_str(&pp->out, IPC_T_STATUS, "502");
		ipc_out_str(&pp->out, IPC_T_BODY, "{\"error\":\"answer too large\"}");
		ipc_out_finish(&pp->out);
	}
	send_out(pp);
	return r;
}

int portalproc_stream(struct portalproc *pp, uint32_t id, const char *audience)
{
	static const char full[] = "{\"error\":\"too many event streams\"}";
	const struct portalproc_headers none = { 0 };

	if (pp->ipc_fd < 0)
		return -ENOTCONN;
	if (pp->n_streams >= PORTALPROC_MAX_STREAMS) {
		portalproc_answer_with(pp, id, 503, full, strlen(full), &none);
		return -ENOSPC;
	}
	if (!open_take(pp, id)) {
		log_debug("portal %s: no open request %" PRIu32 " to answer", pp->name, id);
		return -ENOENT;
	}
	ipc_out_begin(&pp->out, IPC_ANSWER, id);
	ipc_out_str(&pp->out, IPC_T_STATUS, "200");
	ipc_out_str(&pp->out, IPC_T_CONTENT_TYPE, "text/event-stream");
	ipc_out_str(&pp->out, IPC_T_AUDIENCE, audience);
	ipc_out_finish(&pp->out);
	stream_add(pp, id);
	send_out(pp);
	return 0;
}

int portalproc_event(struct portalproc *pp, const char *audience, const char *name,
		     const char *data, size_t len)
{
	if (pp->ipc_fd < 0)
		return -ENOTCONN;
	ipc_out_begin(&pp->out, IPC_EVENT, 0);
	ipc_out_str(&pp->out, IPC_T_AUDIENCE, audience);
	ipc_out_str(&pp->out, IPC_T_EVENT, name);
	ipc_out_field(&pp->out, IPC_T_BODY, data, len);
	if (ipc_out_finish(&pp->out) < 0) {
		log_err("portal %s: a %s event over 16 MiB was not sent", pp->name, name);
		ipc_out_begin(&pp->out, IPC_CANCEL, 0);
		return -EMSGSIZE;
	}
	send_out(pp);
	return 0;
}

int portalproc_close(struct portalproc *pp, uint32_t id)
{
	if (pp->ipc_fd < 0)
		return -ENOTCONN;
	if (!stream_take(pp, id))
		return -ENOENT;
	ipc_out_begin(&pp->out, IPC_CLOSE, id);
	ipc_out_finish(&pp->out);
	send_out(pp);
	return 0;
}

/* ---- the process ---- */

static void on_restart(struct loop *l, struct timer *t, void *data)
{
	struct portalproc *pp = data;

	if (spawn(pp) < 0) {
		timer_arm(pp->restart, pp->backoff_ms);
		log_warn("portal %s: trying again in %" PRIu64 " s", pp->name, pp->backoff_ms / 1000);
		pp->backoff_ms = pp->backoff_ms * 2 > PORTALPROC_BACKOFF_MAX_MS ?
				 PORTALPROC_BACKOFF_MAX_MS : pp->backoff_ms * 2;
	}
}

static void on_pidfd(struct loop *l, int fd, uint32_t events, void *data)
{
	struct portalproc *pp = data;
	siginfo_t si;
	int wstatus;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG) < 0) {
		/* Reaped already by the server's SIGCHLD handler: it is gone all the same. */
		child_gone(pp, false, 0);
		return;
	}
	if (si.si_pid == 0)
		return;
	wstatus = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0) : si.si_status & 0x7f;
	child_gone(pp, true, wstatus);
}

static void child_gone(struct portalproc *pp, bool have_status, int wstatus)
{
	uint64_t ran = loop_now_ms() - pp->started_ms;
	struct ipc_msg cancel;
	pid_t pid = pp->pid;

	if (pid <= 0)
		return;
	pp->pid = 0;
	timer_disarm(pp->kill_timer);
	if (pp->pidfd >= 0) {
		loop_del_fd(pp->loop, pp->pidfd);
		close(pp->pidfd);
		pp->pidfd = -1;
	}
	ipc_close(pp);
	if (!have_status)
		log_warn("portal %s: pid %d exited", pp->name, (int)pid);
	else if (WIFEXITED(wstatus))
		log_warn("portal %s: pid %d exited with status %d", pp->name, (int)pid,
			 WEXITSTATUS(wstatus));
	else
		log_warn("portal %s: pid %d killed by signal %d (%s)", pp->name, (int)pid,
			 WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));

	/* Its requests died with it: the server forgets them, and their ids never get an
	 * answer through the next process (which numbers its own requests). */
	memset(&cancel, 0, sizeof(cancel));
	cancel.type = IPC_CANCEL;
	while (pp->n_open) {
		cancel.id = pp->open[--pp->n_open];
		pp->on_msg(&cancel, pp->data);
	}
	while (pp->n_streams) {
		cancel.id = pp->streams[--pp->n_streams];
		pp->on_msg(&cancel, pp->data);
	}

	if (ran >= PORTALPROC_BACKOFF_MAX_MS)
		pp->backoff_ms = PORTALPROC_BACKOFF_MIN_MS;
	log_info("portal %s: restarting in %" PRIu64 " s", pp->name, pp->backoff_ms / 1000);
	timer_arm(pp->restart, pp->backoff_ms);
	pp->backoff_ms = pp->backoff_ms * 2 > PORTALPROC_BACKOFF_MAX_MS ?
			 PORTALPROC_BACKOFF_MAX_MS : pp->backoff_ms * 2;
}

bool portalproc_child_exited(struct portalproc *pp, pid_t pid)
{
	if (!pp || pp->pid <= 0 || pid != pp->pid)
		return false;
	child_gone(pp, false, 0);
	return true;
}

bool portalproc_running(const struct portalproc *pp)
{
	return pp && pp->pid > 0;
}

/* Runs between fork and exec: descriptors to 3, 4, 5, nothing else open, a clean
 * signal mask and environment. */
static void child(struct portalproc *pp, int ipc_end, char **argv, char **envp)
{
	sigset_t none;
	int a, b, c, null;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	a = fcntl(pp->listen_fd, F_DUPFD_CLOEXEC, 10);
	b = fcntl(ipc_end, F_DUPFD_CLOEXEC, 10);
	c = fcntl(pp->tls_fd, F_DUPFD_CLOEXEC, 10);
	if (a < 0 || b < 0 || c < 0 || dup2(a, 3) < 0 || dup2(b, 4) < 0 || dup2(c, 5) < 0)
		_exit(127);
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null > 0)
		dup2(null, 0);
	else if (null == 0)
		fcntl(0, F_SETFD, 0);
	close_range(6, ~0u, 0);
	execve("/proc/self/exe", argv, envp);
	_exit(127);
}

static int spawn(struct portalproc *pp)
{
	char *argv[8], *envp[2], *env_user;
	int sv[2], fd = -1, argc = 0, r;
	pid_t pid;

	/* A renewed certificate is picked up at each start; a broken file keeps the last. */
	if (tls_memfd(pp, &fd) == 0) {
		if (pp->tls_fd >= 0)
			close(pp->tls_fd);
		pp->tls_fd = fd;
	} else if (pp->tls_fd >= 0) {
		log_warn("portal %s: keeping the certificate and key read before", pp->name);
	} else {
		return -EINVAL;
	}
	ipc_clear(pp);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		log_err("portal %s: socketpair: %s", pp->name, strerror(errno));
		return r;
	}
	argv[argc++] = "warren";
	argv[argc++] = "portal";
	argv[argc++] = "--fds";
	argv[argc++] = "3,4,5";
	if (log_threshold >= LOG_LEVEL_DEBUG)
		argv[argc++] = "-v";
	if (log_syslog_prefix)
		argv[argc++] = "--syslog";
	argv[argc] = NULL;
	env_user = xasprintf("WARREN_PORTAL_USER=%s", pp->user);
	envp[0] = env_user;
	envp[1] = NULL;

	pid = fork();
	if (pid == 0)
		child(pp, sv[1], argv, envp);
	r = -errno;
	free(env_user);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		log_err("portal %s: fork: %s", pp->name, strerror(-r));
		return r;
	}
	pp->pid = pid;
	pp->started_ms = loop_now_ms();
	pp->ipc_fd = sv[0];
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	if ((r = loop_add_fd(pp->loop, sv[0], EPOLLIN, on_ipc, pp)) < 0) {
		log_err("portal %s: watching the socketpair: %s", pp->name, strerror(-r));
		ipc_close(pp);
		kill(pid, SIGTERM);
		timer_arm(pp->kill_timer, KILL_AFTER_MS);
		/* Its exit (pidfd or SIGCHLD) schedules the next try. */
	}
	pp->pidfd = pidfd_open(pid, 0);
	if (pp->pidfd >= 0 && loop_add_fd(pp->loop, pp->pidfd, EPOLLIN, on_pidfd, pp) < 0) {
		close(pp->pidfd);
		pp->pidfd = -1;
	}
	if (pp->pidfd < 0)
		log_debug("portal %s: no pidfd; relying on SIGCHLD", pp->name);
	log_info("portal %s: started pid %d as %s", pp->name, (int)pid, pp->user);
	return 0;
}

int portalproc_start(struct portalproc *pp, struct loop *l, const char *listen_addr,
		     const char *cert_file, const char *key_file, const char *user,
		     portalproc_msg_fn on_msg, void *data)
{
	int r;

	memset(pp, 0, sizeof(*pp));
	pp->listen_fd = pp->tls_fd = pp->ipc_fd = pp->pidfd = -1;
	pp->loop = l;
	pp->name = xstrdup(listen_addr ? listen_addr : "");
	pp->cert_file = xstrdup(cert_file ? cert_file : "");
	pp->key_file = xstrdup(key_file ? key_file : "");
	pp->user = xstrdup(user && user[0] ? user : "nobody");
	pp->on_msg = on_msg;
	pp->data = data;
	pp->backoff_ms = PORTALPROC_BACKOFF_MIN_MS;
	pp->restart = timer_new(l, on_restart, pp);
	pp->kill_timer = timer_new(l, on_kill_timer, pp);
	if (strchr(pp->user, '\n') || strchr(pp->user, '=')) {
		log_err("portal %s: user \"%s\": not a user name", pp->name, pp->user);
		r = -EINVAL;
		goto fail;
	}
	nofile_raise();
	if ((r = bind_listen(pp)) < 0 || (r = spawn(pp)) < 0)
		goto fail;
	return 0;
fail:
	portalproc_stop(pp);
	return r;
}

void portalproc_stop(struct portalproc *pp)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i, wstatus;
	pid_t r;

	if (!pp || !pp->loop)
		return;
	timer_free(pp->restart);
	timer_free(pp->kill_timer);
	pp->restart = pp->kill_timer = NULL;
	ipc_close(pp);
	ipc_clear(pp);
	if (pp->pid > 0) {
		kill(pp->pid, SIGTERM);
		for (i = 0; i < 300; i++) {
			r = waitpid(pp->pid, &wstatus, WNOHANG);
			if (r == pp->pid || (r < 0 && errno == ECHILD))
				break;
			nanosleep(&ts, NULL);
		}
		if (i == 300) {
			log_warn("portal %s: pid %d ignored SIGTERM; killing it", pp->name, (int)pp->pid);
			kill(pp->pid, SIGKILL);
			waitpid(pp->pid, &wstatus, 0);
		}
		log_info("portal %s: stopped", pp->name);
	}
	pp->pid = 0;
	if (pp->pidfd >= 0) {
		loop_del_fd(pp->loop, pp->pidfd);
		close(pp->pidfd);
	}
	if (pp->listen_fd >= 0)
		close(pp->listen_fd);
	if (pp->tls_fd >= 0)
		close(pp->tls_fd);
	ipc_out_clear(&pp->out);
	free(pp->open);
	free(pp->streams);
	free(pp->name);
	free(pp->cert_file);
	free(pp->key_file);
	free(pp->user);
	memset(pp, 0, sizeof(*pp));
	pp->listen_fd = pp->tls_fd = pp->ipc_fd = pp->pidfd = -1;
}
