/* Forwarding through libunbound: one context whose worker thread keeps the cache and does
 * the validation, its answers read on the loop from the context's pipe. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "upstream.h"
#include "unboundapi.h"
#include "../../agent/loop.h"
#include "../../common/log.h"
#include "../../common/util.h"

#define DEFAULT_TRUST_ANCHOR "/usr/share/dns/root.key"
#define DEFAULT_TIMEOUT_MS 5000

struct uq {
	struct upstream *u;
	int id;                     /* libunbound's async id, our handle */
	upstream_done_fn done;
	void *ctx;
	uint64_t t0_us;
	uint64_t deadline_ms;
	struct uq *prev, *next;     /* in send order: with one timeout, also deadline order */
	struct uq *hnext;           /* bucket chain by id */
};

struct upstream {
	const struct unbound_api *ub;
	struct ub_ctx *ctx;
	struct loop *loop;
	int fd;                     /* -1 once the worker is gone */
	struct timer *timer;
	unsigned timeout_ms;
	struct uq *head, *tail;
	struct uq **buckets;
	size_t n_buckets;           /* a power of two */
	size_t pending;
	int busy;                   /* inside ub_process or the timer: free waits */
	bool doomed;                /* upstream_free was called while busy */
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---------------------------------------------------------------- libunbound's log */

/* libunbound logs to one process-wide FILE (ub_ctx_debugout). This one turns its lines
 * into ours; it lives as long as the process because libunbound keeps using it after a
 * context is gone. It is written from the worker thread too: stdio locks the FILE around
 * each write, so the line buffer below is never used by two threads at once. */
static char ublog_line[1024];
static size_t ublog_len;

static void ublog_emit(void)
{
	/* "[time] libunbound[pid:tid] type: text" */
	char *s = ublog_line, *p;
	bool warn = false;

	ublog_line[ublog_len] = '\0';
	p = strstr(s, "] ");
	if (p && (p = strstr(p + 2, "] ")))
		s = p + 2;
	if (!strncmp(s, "error: ", 7) || !strncmp(s, "warning: ", 9)) {
		warn = true;
		s = strchr(s, ' ') + 1;
	} else if ((p = strstr(s, ": ")) && p - s < 10) {
		s = p + 2;
	}
	if (warn)
		log_warn("resolver: %s", s);
	else
		log_debug("resolver: %s", s);
	ublog_len = 0;
}

static ssize_t ublog_write(void *cookie, const char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++) {
		if (buf[i] == '\n') {
			ublog_emit();
			continue;
		}
		if (ublog_len < sizeof(ublog_line) - 1)
			ublog_line[ublog_len++] = buf[i];
	}
	return (ssize_t)size;
}

static FILE *ublog_file(void)
{
	static FILE *f;

	if (!f) {
		cookie_io_functions_t io = { .write = ublog_write };

		f = fopencookie(NULL, "w", io);
		if (f)
			setvbuf(f, NULL, _IOLBF, 0);
	}
	return f;
}

/* ---------------------------------------------------------------- pending queries */

static struct uq **bucket(struct upstream *u, int id)
{
	return &u->buckets[(unsigned)id & (u->n_buckets - 1)];
}

static void grow(struct upstream *u)
{
	struct uq **old = u->buckets, *q, *next;
	size_t n = u->n_buckets, i;

	u->n_buckets = n * 2;
	u->buckets = xcalloc(u->n_buckets, sizeof(*u->buckets));
	for (i = 0; i < n; i++) {
		for (q = old[i]; q; q = next) {
			next = q->hnext;
			q->hnext = *bucket(u, q->id);
			*bucket(u, q->id) = q;
		}
	}
	free(old);
}

static void track(struct upstream *u, struct uq *q)
{
	if (u->pending >= u->n_buckets)
		grow(u);
	q->hnext = *bucket(u, q->id);
	*bucket(u, q->id) = q;
	q->prev = u->tail;
	q->next = NULL;
	if (u->tail)
		u->tail->next = q;
	else
		u->head = q;
	u->tail = q;
	u->pending++;
	if (!timer_armed(u->timer))
		timer_arm(u->timer, u->timeout_ms);
}

static struct uq *find(struct upstream *u, int id)
{
	struct uq *q;

	for (q = *bucket(u, id); q; q = q->hnext)
		if (q->id == id)
			return q;
	return NULL;
}

static void untrack(struct upstream *u, struct uq *q)
{
	struct uq **pp;

	for (pp = bucket(u, q->id); *pp; pp = &(*pp)->hnext) {
		if (*pp == q) {
			*pp = q->hnext;
			break;
		}
	}
	if (q->prev)
		q->prev->next = q->next;
	else
		u->head = q->next;
	if (q->next)
		q->next->prev = q->prev;
	else
		u->tail = q->prev;
	u->pending--;
}

static int ub_errno(int err)
{
	switch (err) {
	case UB_NOERROR: return 0;
	case UB_NOMEM: return -ENOMEM;
	case UB_SYNTAX: return -EINVAL;
	case UB_NOID: return -ENOENT;
	case UB_PIPE: return -EPIPE;
	default: return -EIO;
	}
}

/* ---------------------------------------------------------------- answers */

static void destroy(struct upstream *u);

static uint32_t elapsed(const struct uq *q)
{
	uint64_t d = now_us() - q->t0_us;

	return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

/* Runs inside ub_process, on the loop. A cancelled query never comes here. */
static void on_answer(void *arg, int err, struct ub_result *r)
{
	struct uq *q = arg;
	struct upstream *u = q->u;
	enum upstream_security sec = UPSTREAM_INSECURE;
	const uint8_t *pkt = NULL;
	size_t len = 0;
	const char *why = NULL;

	untrack(u, q);
	if (!err && r) {
		/* A bogus answer carries the data that failed: never handed on. */
		if (!r->bogus && r->answer_packet && r->answer_len > 0) {
			pkt = r->answer_packet;
			len = (size_t)r->answer_len;
		}
		sec = r->bogus ? UPSTREAM_BOGUS : r->secure ? UPSTREAM_SECURE : UPSTREAM_INSECURE;
		why = r->why_bogus;
	}
	q->done(q->ctx, err ? ub_errno(err) : 0, pkt, len, sec, why, elapsed(q));
	free(q);
	if (r)
		u->ub->resolve_free(r);
}

/* Every query still pending ends with err; the callbacks may free u (doomed then). */
static void fail_all(struct upstream *u, int err)
{
	struct uq *q;

	while ((q = u->head) && !u->doomed) {
		untrack(u, q);
		u->ub->cancel(u->ctx, q->id);
		q->done(q->ctx, err, NULL, 0, UPSTREAM_INSECURE, NULL, elapsed(q));
		free(q);
	}
}

static void on_readable(struct loop *l, int fd, uint32_t events, void *data)
{
	struct upstream *u = data;
	int r;

	u->busy++;
	r = u->ub->process(u->ctx);
	if (r && !u->doomed) {
		/* The worker thread is gone (its pipe closed): nothing more will come. */
		log_err("resolver: libunbound: %s", u->ub->strerror(r));
		loop_del_fd(u->loop, u->fd);
		u->fd = -1;
		fail_all(u, -EIO);
	}
	if (--u->busy == 0 && u->doomed)
		destroy(u);
}

/* One timer for all: queries were sent in deadline order. */
static void on_timer(struct loop *l, struct timer *t, void *data)
{
	struct upstream *u = data;
	uint64_t now = loop_now_ms();
	struct uq *q;

	u->busy++;
	while ((q = u->head) && q->deadline_ms <= now && !u->doomed) {
		untrack(u, q);
		/* libunbound forgets it; an answer after this gets no callback. */
		u->ub->cancel(u->ctx, q->id);
		q->done(q->ctx, -ETIMEDOUT, NULL, 0, UPSTREAM_INSECURE, NULL, elapsed(q));
		free(q);
	}
	if (!u->doomed && u->head)
		timer_arm(u->timer, u->head->deadline_ms > now ? u->head->deadline_ms - now : 0);
	if (--u->busy == 0 && u->doomed)
		destroy(u);
}

/* ---------------------------------------------------------------- setup */

static int set_opt(struct upstream *u, const char *opt, const char *val)
{
	int r = u->ub->ctx_set_option(u->ctx, opt, val);

	if (r) {
		log_err("resolver: libunbound option %s %s: %s", opt, val, u->ub->strerror(r));
		return -EINVAL;
	}
	return 0;
}

static int configure(struct upstream *u, const struct upstream_conf *c)
{
	const char *ta = c->trust_anchor_file ? c->trust_anchor_file : DEFAULT_TRUST_ANCHOR;
	char num[32];
	size_t i;
	int r;

	if (!c->n_servers) {
		log_err("resolver: no upstream server");
		return -EINVAL;
	}
	/* A thread, not a forked process: a fork would copy the server's sockets and
	 * database handles into a second process, and the cache would live there. */
	r = u->ub->ctx_async(u->ctx, 1);
	if (r) {
		log_err("resolver: libunbound has no threads: %s", u->ub->strerror(r));
		return -EINVAL;
	}
	for (i = 0; i < c->n_servers; i++) {
		if (!c->servers[i] || u->ub->ctx_set_fwd(u->ctx, c->servers[i])) {
			log_err("resolver: bad upstream server %s",
				c->servers[i] ? c->servers[i] : "(null)");
			return -EINVAL;
		}
	}
	/* unbound refuses to send queries to loopback addresses by default: a local
	 * resolver (127.0.0.1@5353, ::1) is a normal upstream here. */
	r = set_opt(u, "do-not-query-localhost:", "no");
	/* An upstream that was down is tried again at once, not after infra-host-ttl. */
	r = r ?: set_opt(u, "infra-keep-probing:", "yes");
	/* Popular names are fetched again before they expire, so they stay cached. */
	r = r ?: set_opt(u, "prefetch:", "yes");
	/* No key-tag queries (RFC 8145) leave through the upstreams. */
	r = r ?: set_opt(u, "trust-anchor-signaling:", "no");
	/* Level 2 keeps the reason of a validation failure (why_bogus); it comes as log
	 * lines too, which ublog turns into debug lines. */
	r = r ?: set_opt(u, "val-log-level:", c->dnssec ? "2" : "0");
	r = r ?: set_opt(u, "module-config:", c->dnssec ? "validator iterator" : "iterator");
	if (r)
		return r;
	if (c->cache_bytes) {
		/* unbound's own split: the rrset cache twice the message cache. */
		snprintf(num, sizeof(num), "%zu", c->cache_bytes / 3);
		r = set_opt(u, "msg-cache-size:", num);
		snprintf(num, sizeof(num), "%zu", c->cache_bytes - c->cache_bytes / 3);
		r = r ?: set_opt(u, "rrset-cache-size:", num);
		if (r)
			return r;
	}
	if (c->dnssec) {
		if (access(ta, R_OK) < 0) {
			log_err("resolver: trust anchor file %s: %s", ta, strerror(errno));
			return -EINVAL;
		}
		r = u->ub->ctx_add_ta_file(u->ctx, ta);
		if (r) {
			log_err("resolver: trust anchor file %s: %s", ta, u->ub->strerror(r));
			return -EINVAL;
		}
	}
	/* Removing a zone that is not there finalises the context: the trust anchors are
	 * read and the modules set up now, so a bad file fails here and not at the first
	 * query. */
	r = u->ub->ctx_zone_remove(u->ctx, "upstream.warren.invalid.");
	if (r) {
		log_err("resolver: libunbound setup%s%s: %s", c->dnssec ? " with trust anchors " : "",
			c->dnssec ? ta : "", u->ub->strerror(r));
		return -EINVAL;
	}
	return 0;
}

int upstream_new(struct loop *l, const struct upstream_conf *c, struct upstream **out)
{
	const struct unbound_api *ub = unboundapi_load();
	struct upstream *u = NULL;
	FILE *logf;
	int r;

	*out = NULL;
	if (!ub)
		return -ENOENT;
	u = xcalloc(1, sizeof(*u));
	u->ub = ub;
	u->loop = l;
	u->fd = -1;
	u->timeout_ms = c->timeout_ms ? c->timeout_ms : DEFAULT_TIMEOUT_MS;
	u->n_buckets = 64;
	u->buckets = xcalloc(u->n_buckets, sizeof(*u->buckets));
	u->timer = timer_new(l, on_timer, u);
	u->ctx = ub->ctx_create();
	if (!u->ctx) {
		log_err("resolver: cannot create a libunbound context");
		r = -ENOMEM;
		goto out;
	}
	logf = ublog_file();
	if (logf)
		ub->ctx_debugout(u->ctx, logf);
	r = configure(u, c);
	if (r)
		goto out;
	/* The read end of the answer pipe; the worker thread starts with the first query. */
	u->fd = ub->fd(u->ctx);
	if (u->fd < 0) {
		log_err("resolver: libunbound gives no descriptor");
		r = -EIO;
		goto out;
	}
	r = loop_add_fd(l, u->fd, EPOLLIN, on_readable, u);
	if (r) {
		u->fd = -1;
		goto out;
	}
	log_info("resolver: forwarding to %zu upstream%s through libunbound %s%s",
		 c->n_servers, c->n_servers == 1 ? "" : "s", ub->version(),
		 c->dnssec ? ", validating" : "");
	*out = u;
	return 0;
out:
	upstream_free(u);
	return r;
}

static void destroy(struct upstream *u)
{
	if (u->fd >= 0)
		loop_del_fd(u->loop, u->fd);
	/* Stops and joins the worker thread. */
	if (u->ctx)
		u->ub->ctx_delete(u->ctx);
	timer_free(u->timer);
	free(u->buckets);
	free(u);
}

void upstream_free(struct upstream *u)
{
	struct uq *q;

	if (!u || u->doomed)
		return;
	while ((q = u->head)) {
		untrack(u, q);
		u->ub->cancel(u->ctx, q->id);
		free(q);
	}
	if (u->busy) {
		/* Inside one of our callbacks: ub_process (or the timer loop) still uses u. */
		u->doomed = true;
		return;
	}
	destroy(u);
}

int upstream_resolve(struct upstream *u, const char *name, uint16_t type, uint16_t cls,
		     upstream_done_fn done, void *ctx, int *handle)
{
	struct uq *q;
	int r, id = 0;

	if (u->doomed || u->fd < 0)
		return -EIO;
	if (!name || strlen(name) > 253)
		return -EINVAL;
	q = xcalloc(1, sizeof(*q));
	q->u = u;
	q->done = done;
	q->ctx = ctx;
	q->t0_us = now_us();
	q->deadline_ms = loop_now_ms() + u->timeout_ms;
	/* libunbound takes "" as no name: the root is "." to it. */
	r = u->ub->resolve_async(u->ctx, *name ? name : ".", type, cls, q, on_answer, &id);
	if (r) {
		free(q);
		return ub_errno(r);
	}
	q->id = id;
	track(u, q);
	if (handle)
		*handle = id;
	return 0;
}

void upstream_cancel(struct upstream *u, int handle)
{
	struct uq *q = find(u, handle);

	if (!q)
		return;
	untrack(u, q);
	u->ub->cancel(u->ctx, q->id);
	free(q);
}

size_t upstream_pending(const struct upstream *u)
{
	return u->pending;
}
