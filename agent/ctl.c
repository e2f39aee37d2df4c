/* The control socket: server on the loop, blocking client for the CLI, status text view. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "loop.h"
#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"

struct ctl_client {
	struct ctl *ctl;
	int fd;
	struct timer *timer;
	char in[CTL_MAX_REQUEST];
	size_t in_len;
	struct json out;
	size_t out_off;
	bool replying;
	uint64_t deferred;          /* waiting for ctl_answer with this id; 0: not */
	struct ctl_client *next;
};

struct ctl {
	struct loop *loop;
	char *path;
	int fd;
	dev_t dev;                  /* of the socket file we bound, to remove only ours */
	ino_t ino;
	ctl_handler_fn fn;
	void *data;
	unsigned timeout_ms;
	struct ctl_client *clients;
	size_t n_clients;
	struct timer *pause;        /* re-enables accept after EMFILE */
	struct ctl_client *current; /* the client whose request the handler runs */
	uint64_t next_id;
};

/* ---- server ---- */

static void client_free(struct ctl_client *cl)
{
	struct ctl *c = cl->ctl;
	struct ctl_client **p;

	for (p = &c->clients; *p; p = &(*p)->next) {
		if (*p == cl) {
			*p = cl->next;
			break;
		}
	}
	c->n_clients--;
	loop_del_fd(c->loop, cl->fd);
	close(cl->fd);
	timer_free(cl->timer);
	json_clear(&cl->out);
	free(cl);
}

static void client_timeout(struct loop *l, struct timer *t, void *data)
{
	struct ctl_client *cl = data;

	log_debug("control socket: dropping a client silent for %u ms", cl->ctl->timeout_ms);
	client_free(cl);
}

/* Reply sent: tell the client we are done, and read what it may still be sending, so
 * that closing with unread data does not turn its end-of-file into ECONNRESET. */
static void client_finish(struct ctl_client *cl)
{
	char sink[4096];
	int i;

	shutdown(cl->fd, SHUT_WR);
	for (i = 0; i < 16 && read(cl->fd, sink, sizeof(sink)) > 0; i++)
		;
	client_free(cl);
}

static void client_flush(struct ctl_client *cl)
{
	while (cl->out_off < json_len(&cl->out)) {
		ssize_t n = send(cl->fd, json_text(&cl->out) + cl->out_off,
				 json_len(&cl->out) - cl->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				/* A client that stops reading gets the timeout again per stall. */
				timer_arm(cl->timer, cl->ctl->timeout_ms);
				return;
			}
			log_debug("control socket: sending a reply: %s", strerror(errno));
			client_free(cl);
			return;
		}
		cl->out_off += (size_t)n;
	}
	client_finish(cl);
}

static void client_reply(struct ctl_client *cl)
{
	cl->replying = true;
	if (loop_mod_fd(cl->ctl->loop, cl->fd, EPOLLOUT) < 0) {
		client_free(cl);
		return;
	}
	timer_arm(cl->timer, cl->ctl->timeout_ms);
	client_flush(cl);
}

static void client_error(struct ctl_client *cl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void client_error(struct ctl_client *cl, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	json_reset(&cl->out);
	json_rawf(&cl->out, "error %s\n", msg ? msg : "out of memory");
	free(msg);
	client_reply(cl);
}

/* Decode %XX in place; false on a malformed escape or %00. */
static bool unescape(char *s)
{
	char *w = s;
	int hi, lo;

	for (; *s; s++) {
		if (*s != '%') {
			*w++ = *s;
			continue;
		}
		hi = hex_digit(s[1]);
		lo = hi < 0 ? -1 : hex_digit(s[2]);
		if (lo < 0 || (hi == 0 && lo == 0))
			return false;
		*w++ = (char)(hi << 4 | lo);
		s += 2;
	}
	*w = '\0';
	return true;
}

/* The sanitized first word of a bad request, for the error message. */
static void printable(char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = '?';
	if (i > 40)
		strcpy(s + 37, "...");
}

int ctl_parse_request(char *line, char **argv, int *argcp, char *err, size_t errsize)
{
	char *word, *save = NULL, *version;
	int argc = 0;

	version = strtok_r(line, " ", &save);
	if (!version) {
		snprintf(err, errsize, "empty request; expected \"%s COMMAND [ARG...]\"", CTL_PROTOCOL);
		return -EINVAL;
	}
	if (strcmp(version, CTL_PROTOCOL) != 0) {
		printable(version);
		if (strncmp(version, "warren/", 7) == 0)
			snprintf(err, errsize, "unsupported protocol version \"%s\"; this daemon speaks %s",
				 version, CTL_PROTOCOL);
		else
			snprintf(err, errsize, "not a warren request (\"%s\"); expected \"%s COMMAND [ARG...]\"",
				 version, CTL_PROTOCOL);
		return -EPROTO;
	}
	while ((word = strtok_r(NULL, " ", &save))) {
		if (argc == CTL_MAX_ARGS) {
			snprintf(err, errsize, "more than %d words in the request", CTL_MAX_ARGS);
			return -E2BIG;
		}
		if (!unescape(word)) {
			snprintf(err, errsize, "word %d: bad %%-escape", argc + 1);
			return -EINVAL;
		}
		argv[argc++] = word;
	}
	argv[argc] = NULL;
	if (argc == 0) {
		snprintf(err, errsize, "missing command; expected \"%s COMMAND [ARG...]\"", CTL_PROTOCOL);
		return -EINVAL;
	}
	*argcp = argc;
	return 0;
}

/* The answer to a request, as the handler returned it (now or through ctl_answer). */
static void client_answer(struct ctl_client *cl, const char *cmd, int r, const struct json *reply)
{
	json_reset(&cl->out);
	if (r >= 0) {
		json_raw(&cl->out, "ok\n", 3);
	} else if (json_len(reply) > 0) {
		json_raw(&cl->out, "error ", 6);
	} else if (r == -EOPNOTSUPP) {
		json_rawf(&cl->out, "error unknown command \"%s\"\n", cmd);
	} else {
		json_rawf(&cl->out, "error %s: %s\n", cmd, strerror(-r));
	}
	if (json_len(reply) > 0) {
		json_raw(&cl->out, json_text(reply), json_len(reply));
		if (json_text(reply)[json_len(reply) - 1] != '\n')
			json_raw(&cl->out, "\n", 1);
	}
	client_reply(cl);
}

static void client_request(struct ctl_client *cl, char *line)
{
	char *argv[CTL_MAX_ARGS + 1], err[160];
	struct json reply = { 0 };
	int argc = 0, r;

	if (ctl_parse_request(line, argv, &argc, err, sizeof(err)) < 0) {
		client_error(cl, "%s", err);
		return;
	}
	cl->ctl->current = cl;
	r = cl->ctl->fn(argc, argv, &reply, cl->ctl->data);
	cl->ctl->current = NULL;
	printable(argv[0]);
	if (r == CTL_DEFERRED && cl->deferred) {
		/* The work takes its time: the client waits as long as a slow reader may. */
		timer_arm(cl->timer, cl->ctl->timeout_ms * 6);
		loop_mod_fd(cl->ctl->loop, cl->fd, 0);
	} else {
		client_answer(cl, argv[0], r == CTL_DEFERRED ? -EIO : r, &reply);
	}
	json_clear(&reply);
}

uint64_t ctl_defer(struct ctl *c)
{
	if (!c->current)
		return 0;
	c->current->deferred = ++c->next_id;
	return c->current->deferred;
}

void ctl_answer(struct ctl *c, uint64_t id, int r, const struct json *reply)
{
	struct ctl_client *cl;

	for (cl = c->clients; cl; cl = cl->next) {
		if (id && cl->deferred == id) {
			cl->deferred = 0;
			client_answer(cl, "request", r, reply);
			return;
		}
	}
}

static void client_read(struct ctl_client *cl)
{
	char *nl;
	ssize_t n;

	for (;;) {
		n = read(cl->fd, cl->in + cl->in_len, sizeof(cl->in) - cl->in_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			client_free(cl);
			return;
		}
		if (n == 0) {
			/* Gone before finishing its line: nobody to answer. */
			client_free(cl);
			return;
		}
		nl = memchr(cl->in + cl->in_len, '\n', (size_t)n);
		cl->in_len += (size_t)n;
		if (nl) {
			if (memchr(cl->in, '\0', (size_t)(nl - cl->in))) {
				client_error(cl, "NUL byte in the request");
				return;
			}
			*nl = '\0';
			if (nl > cl->in && nl[-1] == '\r')
				nl[-1] = '\0';
			client_request(cl, cl->in);
			return;
		}
		if (cl->in_len == sizeof(cl->in)) {
			client_error(cl, "request longer than %d bytes", CTL_MAX_REQUEST);
			return;
		}
	}
}

static void client_event(struct loop *l, int fd, uint32_t events, void *data)
{
	struct ctl_client *cl = data;

	if (cl->replying) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			client_flush(cl);
		return;
	}
	/* Waiting for the handler's answer: only a hang-up matters. */
	if (cl->deferred) {
		if (events & (EPOLLERR | EPOLLHUP))
			client_free(cl);
		return;
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		client_read(cl);
}

static void ctl_resume_accept(struct loop *l, struct timer *t, void *data)
{
	struct ctl *c = data;

	loop_mod_fd(c->loop, c->fd, EPOLLIN);
}

static void ctl_accept(struct loop *l, int fd, uint32_t events, void *data)
{
	static const char busy[] = "error busy: too many control connections\n";
	struct ctl *c = data;
	struct ctl_client *cl;
	int cfd;

	for (;;) {
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			log_warn("control socket %s: accept: %s", c->path, strerror(errno));
			/* EMFILE and friends: the connection stays queued and epoll would wake
			 * us at once again; look again in a second. */
			loop_mod_fd(c->loop, c->fd, 0);
			timer_arm(c->pause, 1000);
			return;
		}
		if (c->n_clients >= CTL_MAX_CLIENTS) {
			if (send(cfd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				log_debug("control socket: %s", strerror(errno));
			close(cfd);
			continue;
		}
		cl = xcalloc(1, sizeof(*cl));
		cl->ctl = c;
		cl->fd = cfd;
		if (loop_add_fd(c->loop, cfd, EPOLLIN, client_event, cl) < 0) {
			close(cfd);
			free(cl);
			continue;
		}
		cl->timer = timer_new(c->loop, client_timeout, cl);
		timer_arm(cl->timer, c->timeout_ms);
		cl->next = c->clients;
		c->clients = cl;
		c->n_clients++;
	}
}

/* mkdir -p for the directories above path. */
static int make_parents(const char *path)
{
	char *dir = xstrdup(path), *p;
	int r = 0;

	for (p = dir + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			r = -errno;
			log_err("control socket %s: creating %s: %s", path, dir, strerror(errno));
			break;
		}
		*p = '/';
	}
	free(dir);
	return r;
}

static int fill_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	return strlcpy_check(sun->sun_path, path, sizeof(sun->sun_path));
}

/* Something at path: leave a live socket alone, remove a dead one. */
static int clear_stale(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_err("control socket %s: exists and is not a socket; not touching it", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) < 0 ? -errno : 0;
	close(fd);
	/* A full backlog (EAGAIN) also means someone listens. */
	if (r == 0 || r == -EAGAIN) {
		log_err("control socket %s: another warren is running (it answers there)", path);
		return -EADDRINUSE;
	}
	if (r != -ECONNREFUSED && r != -ENOENT) {
		log_err("control socket %s: %s", path, strerror(-r));
		return r;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		r = -errno;
		log_err("control socket %s: removing the stale socket: %s", path, strerror(errno));
		return r;
	}
	log_info("control socket %s: removed a stale socket", path);
	return 0;
}

int ctl_open(struct loop *l, const char *path, ctl_handler_fn fn, void *data, struct ctl **cp)
{
	struct sockaddr_un sun;
	struct ctl *c = NULL;
	struct stat st;
	mode_t old;
	int fd = -1, r;

	*cp = NULL;
	if (fill_addr(path, &sun) < 0 || !path[0]) {
		log_err("control socket %s: path too long for a unix socket", path);
		return -ENAMETOOLONG;
	}
	r = make_parents(path);
	if (r < 0)
		goto out;
	r = clear_stale(path, &sun);
	if (r < 0)
		goto out;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	/* Only root may talk to the daemon: the socket is born 0600, never wider. */
	old = umask(0177);
	r = bind(fd, (const struct sockaddr *)&sun, sizeof(sun)) < 0 ? -errno : 0;
	umask(old);
	if (r == -EADDRINUSE) {
		log_err("control socket %s: another warren is running (it appeared meanwhile)", path);
		goto out;
	}
	if (r < 0)
		goto fail;
	if (listen(fd, 16) < 0 || stat(path, &st) < 0) {
		r = -errno;
		unlink(path);
		goto fail;
	}
	c = xcalloc(1, sizeof(*c));
	c->loop = l;
	c->path = xstrdup(path);
	c->fd = fd;
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->fn = fn;
	c->data = data;
	c->timeout_ms = CTL_TIMEOUT_MS;
	r = loop_add_fd(l, fd, EPOLLIN, ctl_accept, c);
	if (r < 0) {
		unlink(path);
		free(c->path);
		free(c);
		c = NULL;
		goto fail;
	}
	c->pause = timer_new(l, ctl_resume_accept, c);
	*cp = c;
	return 0;
fail:
	log_err("control socket %s: %s", path, strerror(-r));
out:
	if (fd >= 0)
		close(fd);
	return r;
}

void ctl_close(struct ctl *c)
{
	struct stat st;

	if (!c)
		return;
	while (c->clients)
		client_free(c->clients);
	loop_del_fd(c->loop, c->fd);
	close(c->fd);
	timer_free(c->pause);
	/* Someone may have replaced it (a second daemon after a forced start): theirs now. */
	if (lstat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	free(c->path);
	free(c);
}

void ctl_set_timeout(struct ctl *c, unsigned ms)
{
	c->timeout_ms = ms;
}

/* ---- client ---- */

int ctl_encode_request(struct json *out, int argc, char *const *argv)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t start = json_len(out);
	const unsigned char *s;
	int i;

	if (argc < 1)
		return -EINVAL;
	if (argc > CTL_MAX_ARGS)
		return -E2BIG;
	json_raw(out, CTL_PROTOCOL, strlen(CTL_PROTOCOL));
	for (i = 0; i < argc; i++) {
		if (!argv[i][0]) {
			out->len = start;
			out->buf[start] = '\0';
			return -EINVAL;
		}
		json_raw(out, " ", 1);
		for (s = (const unsigned char *)argv[i]; *s; s++) {
			if (*s <= ' ' || *s == 0x7f || *s == '%') {
				char e[3] = { '%', hex[*s >> 4], hex[*s & 15] };

				json_raw(out, e, 3);
			} else {
				json_raw(out, (const char *)s, 1);
			}
		}
	}
	json_raw(out, "\n", 1);
	if (json_len(out) - start > CTL_MAX_REQUEST) {
		out->len = start;
		out->buf[start] = '\0';
		return -E2BIG;
	}
	return 0;
}

static int set_timeouts(int fd, int timeout_ms)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };

	if (timeout_ms <= 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

int ctl_call(const char *path, int argc, char *const *argv, int timeout_ms, bool *ok,
	     struct json *reply)
{
	struct json req = { 0 }, in = { 0 };
	struct sockaddr_un sun;
	const char *text, *nl;
	size_t off;
	int fd = -1, r;
	char buf[16384];
	ssize_t n;

	*ok = false;
	if (fill_addr(path, &sun) < 0)
		return -ENAMETOOLONG;
	r = ctl_encode_request(&req, argc, argv);
	if (r < 0)
		goto out;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = set_timeouts(fd, timeout_ms);
	if (r < 0)
		goto out;
	if (connect(fd, (const struct sockaddr *)&sun, sizeof(sun)) < 0) {
		r = errno == EAGAIN || errno == EINPROGRESS ? -ETIMEDOUT : -errno;
		goto out;
	}
	for (off = 0; off < json_len(&req); off += (size_t)n) {
		n = send(fd, json_text(&req) + off, json_len(&req) - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR) {
				n = 0;
				continue;
			}
			/* The daemon may have answered (and closed) already: read that. */
			if (errno == EPIPE || errno == ECONNRESET)
				break;
			r = errno == EAGAIN ? -ETIMEDOUT : -errno;
			goto out;
		}
	}
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* Closing with our bytes unread turns EOF into a reset: same end. */
			if (errno == ECONNRESET && json_len(&in) > 0)
				break;
			r = errno == EAGAIN ? -ETIMEDOUT : -errno;
			goto out;
		}
		if (n == 0)
			break;
		if (json_len(&in) + (size_t)n > CTL_MAX_REPLY) {
			r = -EFBIG;
			goto out;
		}
		json_raw(&in, buf, (size_t)n);
	}
	text = json_text(&in);
	nl = memchr(text, '\n', json_len(&in));
	if (!nl) {
		r = json_len(&in) ? -EPROTO : -ECONNRESET;
		goto out;
	}
	if (nl - text == 2 && memcmp(text, "ok", 2) == 0) {
		*ok = true;
		json_raw(reply, nl + 1, json_len(&in) - (size_t)(nl + 1 - text));
	} else if (strncmp(text, "error ", 6) == 0) {
		json_raw(reply, text + 6, json_len(&in) - 6);
		if (text[json_len(&in) - 1] != '\n')
			json_raw(reply, "\n", 1);
	} else {
		r = -EPROTO;
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	json_clear(&req);
	json_clear(&in);
	return r;
}

/* ---- status text view ---- */

/* Strings come from the daemon; keep terminal control sequences out of the view. */
static void put_clean(FILE *f, const char *s)
{
	if (!s) {
		fputc('?', f);
		return;
	}
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

static const char *str_or(const struct json_value *o, const char *key, const char *dflt)
{
	const char *s = json_get_str(o, key);

	return s ? s : dflt;
}

/* "a, b, c" of an array of strings; "none" when empty or absent. */
static void put_list(FILE *f, const struct json_value *arr)
{
	size_t i;

	if (!arr || arr->n == 0) {
		fputs("none", f);
		return;
	}
	for (i = 0; i < arr->n; i++) {
		if (i)
			fputs(", ", f);
		put_clean(f, arr->items[i]->type == JSON_STRING ? arr->items[i]->s : NULL);
	}
}

/* Clock time of t: "12:00:01" on the day of now, else "2025-11-24 12:00:01". */
static void put_clock(FILE *f, uint64_t t, time_t now)
{
	struct tm tm, tn;
	time_t tt = (time_t)t;
	char buf[32];

	if (t > (uint64_t)INT64_MAX || !localtime_r(&tt, &tm) || !localtime_r(&now, &tn)) {
		fputc('?', f);
		return;
	}
	if (tm.tm_year == tn.tm_year && tm.tm_yday == tn.tm_yday)
		strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	else
		strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	fputs(buf, f);
}

/* "never", "12s ago", "4m05s ago", "3h07m ago", "2d05h ago". */
static void put_ago(FILE *f, uint64_t t, time_t now)
{
	uint64_t d;

	if (t == 0) {
		fputs("never", f);
		return;
	}
	d = now > 0 && (uint64_t)now > t ? (uint64_t)now - t : 0;
	if (d < 60)
		fprintf(f, "%" PRIu64 "s ago", d);
	else if (d < 3600)
		fprintf(f, "%" PRIu64 "m%02" PRIu64 "s ago", d / 60, d % 60);
	else if (d < 86400)
		fprintf(f, "%" PRIu64 "h%02" PRIu64 "m ago", d / 3600, d / 60 % 60);
	else
		fprintf(f, "%" PRIu64 "d%02" PRIu64 "h ago", d / 86400, d / 3600 % 24);
}

/* "0 B", "999 B", "1.2 KiB", "3.4 MiB" ... with one decimal from KiB on. */
static void put_bytes(FILE *f, uint64_t n)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	size_t u = 0;
	double v;

	if (n < 1024) {
		fprintf(f, "%" PRIu64 " B", n);
		return;
	}
	v = (double)n / 1024;
	/* Move on while the rounded figure would read 1024.0 or more. */
	while (v >= 1023.95 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	fprintf(f, "%.1f %s", v, units[u]);
}

static void render_peer(FILE *f, const struct json_value *p, time_t now)
{
	const struct json_value *ep = json_get(p, "endpoint");
	uint64_t v;

	fputs("  peer ", f);
	put_clean(f, json_get_str(p, "public_key"));
	fputs("\n    endpoint ", f);
	if (ep && ep->type == JSON_STRING)
		put_clean(f, ep->s);
	else
		fputs("none", f);
	fputs("  handshake ", f);
	if (json_get_u64(p, "latest_handshake", &v))
		put_ago(f, v, now);
	else
		fputc('?', f);
	fputs("  rx ", f);
	if (json_get_u64(p, "rx_bytes", &v))
		put_bytes(f, v);
	else
		fputc('?', f);
	fputs("  tx ", f);
	if (json_get_u64(p, "tx_bytes", &v))
		put_bytes(f, v);
	else
		fputc('?', f);
	if (json_get_u64(p, "persistent_keepalive", &v) && v)
		fprintf(f, "  keepalive %" PRIu64 "s", v);
	fputs("\n    allowed ips ", f);
	put_list(f, json_get_arr(p, "allowed_ips"));
	fputc('\n', f);
}

static void render_tunnel(FILE *f, const struct json_value *t, time_t now)
{
	const struct json_value *peers = json_get_arr(t, "peers"), *probe, *dns;
	const char *state = str_or(t, "state", "?"), *s;
	bool full;
	uint64_t v;
	size_t i;

	fputs("tunnel ", f);
	put_clean(f, json_get_str(t, "name"));
	fputs(": ", f);
	put_clean(f, json_get_str(t, "interface"));
	fputs(" (", f);
	put_clean(f, json_get_str(t, "backend"));
	fputs(") ", f);
	put_clean(f, state);
	if (json_get_u64(t, "since", &v) && v) {
		fputs(" since ", f);
		put_clock(f, v, now);
	}
	fputc('\n', f);
	if ((s = json_get_str(t, "error"))) {
		fputs("  error: ", f);
		put_clean(f, s);
		fputc('\n', f);
	}
	fputs("  address ", f);
	put_list(f, json_get_arr(t, "addresses"));
	if (json_get_u64(t, "mtu", &v))
		fprintf(f, "  mtu %" PRIu64, v);
	if (json_get_u64(t, "table", &v))
		fprintf(f, "  table %" PRIu64, v);
	if (json_get_u64(t, "listen_port", &v) && v)
		fprintf(f, "  listen %" PRIu64, v);
	fputc('\n', f);
	if ((s = json_get_str(t, "public_key"))) {
		fputs("  public key ", f);
		put_clean(f, s);
		fputc('\n', f);
	}
	if ((probe = json_get_obj(t, "probe"))) {
		fputs("  probe ", f);
		put_clean(f, str_or(probe, "health", "?"));
		if (json_get_u64(probe, "since", &v) && v) {
			fputs(" since ", f);
			put_clock(f, v, now);
		}
		if (json_get_u64(probe, "rtt_us", &v))
			fprintf(f, "  rtt %" PRIu64 ".%" PRIu64 " ms", v / 1000, v % 1000 / 100);
		if (json_get_u64(probe, "loss_pct", &v))
			fprintf(f, "  loss %" PRIu64 "%%", v);
		fputc('\n', f);
	}
	for (i = 0; peers && i < peers->n; i++)
		render_peer(f, peers->items[i], now);
	fputs("  routes ", f);
	put_list(f, json_get_arr(t, "routes"));
	fputc('\n', f);
	if ((dns = json_get_obj(t, "dns"))) {
		fputs("  dns ", f);
		put_list(f, json_get_arr(dns, "servers"));
		fputs("  domains ", f);
		put_list(f, json_get_arr(dns, "domains"));
		if (json_get_bool(dns, "full", &full) && full)
			fputs("  (full)", f);
		fputs("  ", f);
		put_clean(f, str_or(dns, "state", "?"));
		if ((s = json_get_str(dns, "method"))) {
			fputs(" through ", f);
			put_clean(f, s);
		}
		if ((s = json_get_str(dns, "error"))) {
			fputs(": ", f);
			put_clean(f, s);
		}
		fputc('\n', f);
	}
}

static void render_group(FILE *f, const struct json_value *g)
{
	const char *active = json_get_str(g, "active");
	uint64_t v;

	fputs("group ", f);
	put_clean(f, json_get_str(g, "name"));
	fputs(": active ", f);
	put_clean(f, active ? active : "none");
	fputs(" (members ", f);
	put_list(f, json_get_arr(g, "members"));
	fputs("; fallback ", f);
	put_clean(f, json_get_str(g, "fallback"));
	if (json_get_u64(g, "switches", &v))
		fprintf(f, "; %" PRIu64 " switch%s", v, v == 1 ? "" : "es");
	fputs(")\n", f);
}

/* The server's own line, then one block per user. */
static void render_server(FILE *f, const struct json_value *sv)
{
	uint64_t v;

	fputs("server ", f);
	put_clean(f, json_get_str(sv, "interface"));
	if (json_get_u64(sv, "listen_port", &v))
		fprintf(f, " port %" PRIu64, v);
	fputs(" key ", f);
	put_clean(f, json_get_str(sv, "public_key"));
	if (json_get_u64(sv, "users", &v))
		fprintf(f, ": %" PRIu64 " user%s", v, v == 1 ? "" : "s");
	if (json_get_u64(sv, "online", &v))
		fprintf(f, ", %" PRIu64 " online", v);
	fputc('\n', f);
}

static void render_user(FILE *f, const struct json_value *u, time_t now)
{
	const struct json_value *ep = json_get(u, "endpoint");
	bool online = false;
	uint64_t v, rate;

	json_get_bool(u, "online", &online);
	fputs("  user ", f);
	put_clean(f, json_get_str(u, "name"));
	fputs(": ", f);
	/* online, offline, or why it is off: expired, quota, disabled */
	if (online)
		fputs("online", f);
	else if (strcmp(str_or(u, "state", "?"), "enabled") == 0)
		fputs("offline", f);
	else
		put_clean(f, str_or(u, "state", "?"));
	fputs("  ", f);
	put_list(f, json_get_arr(u, "addresses"));
	fputs("\n    endpoint ", f);
	put_clean(f, ep && ep->type == JSON_STRING ? ep->s : "none");
	fputs("  handshake ", f);
	put_ago(f, json_get_u64(u, "latest_handshake", &v) ? v : 0, now);
	fputs("  rx ", f);
	if (json_get_u64(u, "rx_bytes", &v))
		put_bytes(f, v);
	if (json_get_u64(u, "rx_rate", &rate) && rate) {
		fputs(" (", f);
		put_bytes(f, rate);
		fputs("/s)", f);
	}
	fputs("  tx ", f);
	if (json_get_u64(u, "tx_bytes", &v))
		put_bytes(f, v);
	if (json_get_u64(u, "tx_rate", &rate) && rate) {
		fputs(" (", f);
		put_bytes(f, rate);
		fputs("/s)", f);
	}
	fputc('\n', f);
}

void ctl_render_status(FILE *f, const struct json_value *st, time_t now)
{
	const struct json_value *server = json_get_obj(st, "server");
	const struct json_value *users = json_get_arr(st, "users");
	const struct json_value *tunnels = json_get_arr(st, "tunnels");
	const struct json_value *groups = json_get_arr(st, "groups");
	uint64_t v;
	size_t i;

	fputs("warren ", f);
	put_clean(f, str_or(st, "role", "daemon"));
	if (json_get_u64(st, "pid", &v))
		fprintf(f, " (pid %" PRIu64 ")", v);
	if (json_get_str(st, "config")) {
		fputs(": ", f);
		put_clean(f, json_get_str(st, "config"));
	}
	if (json_get_u64(st, "started", &v) && v) {
		fputs(", running since ", f);
		put_clock(f, v, now);
	}
	fputc('\n', f);
	for (i = 0; tunnels && i < tunnels->n; i++)
		render_tunnel(f, tunnels->items[i], now);
	for (i = 0; groups && i < groups->n; i++)
		render_group(f, groups->items[i]);
	if (server)
		render_server(f, server);
	for (i = 0; users && i < users->n; i++)
		render_user(f, users->items[i], now);
}
