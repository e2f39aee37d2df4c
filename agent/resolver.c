/* Asynchronous name lookups for peer endpoints: glibc's getaddrinfo_a runs them on its own
 * threads and signals completion, which reaches the loop through its signalfd. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "resolver.h"
#include "../common/log.h"
#include "../common/util.h"

#define RESOLVER_SIGNAL (SIGRTMIN + 1)
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000

enum entry_state { ENTRY_PENDING, ENTRY_OK, ENTRY_FAILED };

struct entry {
	char *host;
	enum entry_state state;
	struct gaicb cb;
	struct addrinfo hints;
	union wg_endpoint ep;       /* port 0; the caller's port is put in */
	uint64_t failed_at;
	uint32_t backoff_ms;
	int error;                  /* EAI_* of the last failure */
};

struct resolver {
	struct loop *loop;
	void (*done)(void *ctx);
	void *ctx;
	struct entry **entries;
	size_t n;
};

static void resolver_signal(struct loop *l, int signo, void *data);

int resolver_new(struct loop *l, void (*done)(void *ctx), void *ctx, struct resolver **rp)
{
	struct resolver *r = xcalloc(1, sizeof(*r));
	int e;

	r->loop = l;
	r->done = done;
	r->ctx = ctx;
	e = loop_add_signal(l, RESOLVER_SIGNAL, resolver_signal, r);
	if (e < 0) {
		free(r);
		return e;
	}
	*rp = r;
	return 0;
}

static void entry_free(struct entry *e)
{
	/* A lookup still running owns cb: cancel it, or leave the entry to leak rather than
	 * free memory glibc's thread will write. */
	if (e->state == ENTRY_PENDING && gai_cancel(&e->cb) != EAI_CANCELED)
		return;
	if (e->cb.ar_result)
		freeaddrinfo(e->cb.ar_result);
	free(e->host);
	free(e);
}

void resolver_flush(struct resolver *r)
{
	size_t i, kept = 0;

	for (i = 0; i < r->n; i++) {
		if (r->entries[i]->state == ENTRY_PENDING)
			r->entries[kept++] = r->entries[i];
		else
			entry_free(r->entries[i]);
	}
	r->n = kept;
}

void resolver_free(struct resolver *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		entry_free(r->entries[i]);
	free(r->entries);
	free(r);
}

static int entry_start(struct entry *e)
{
	struct gaicb *list[1] = { &e->cb };
	struct sigevent sev = { 0 };
	int r;

	if (e->cb.ar_result) {
		freeaddrinfo(e->cb.ar_result);
		e->cb.ar_result = NULL;
	}
	memset(&e->hints, 0, sizeof(e->hints));
	e->hints.ai_family = AF_UNSPEC;
	e->hints.ai_socktype = SOCK_DGRAM;
	e->cb.ar_name = e->host;
	e->cb.ar_service = NULL;
	e->cb.ar_request = &e->hints;
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = RESOLVER_SIGNAL;
	e->state = ENTRY_PENDING;
	r = getaddrinfo_a(GAI_NOWAIT, list, 1, &sev);
	if (r != 0) {
		e->state = ENTRY_FAILED;
		e->error = r;
		return -EAGAIN;
	}
	return 0;
}

/* Collect every finished lookup; signals may coalesce, so look at all of them. */
static void resolver_signal(struct loop *l, int signo, void *data)
{
	struct resolver *r = data;
	bool any = false;
	size_t i;

	(void)l;
	(void)signo;
	for (i = 0; i < r->n; i++) {
		struct entry *e = r->entries[i];
		struct addrinfo *ai;
		int err;

		if (e->state != ENTRY_PENDING)
			continue;
		err = gai_error(&e->cb);
		if (err == EAI_INPROGRESS)
			continue;
		any = true;
		for (ai = err == 0 ? e->cb.ar_result : NULL; ai; ai = ai->ai_next) {
			if ((ai->ai_family == AF_INET && ai->ai_addrlen == sizeof(e->ep.in)) ||
			    (ai->ai_family == AF_INET6 && ai->ai_addrlen == sizeof(e->ep.in6)))
				break;
		}
		if (ai) {
			memset(&e->ep, 0, sizeof(e->ep));
			memcpy(&e->ep, ai->ai_addr, ai->ai_addrlen);
			e->state = ENTRY_OK;
			e->backoff_ms = 0;
			log_debug("endpoint %s resolved", e->host);
		} else {
			e->state = ENTRY_FAILED;
			e->error = err ? err : EAI_NODATA;
			e->failed_at = loop_now_ms();
			e->backoff_ms = e->backoff_ms ? e->backoff_ms * 2 : BACKOFF_MIN_MS;
			if (e->backoff_ms > BACKOFF_MAX_MS)
				e->backoff_ms = BACKOFF_MAX_MS;
			log_warn("endpoint \"%s\": %s; retrying in %u s", e->host, gai_strerror(e->error),
				 e->backoff_ms / 1000);
		}
	}
	if (any && r->done)
		r->done(r->ctx);
}

static void set_port(union wg_endpoint *ep, uint16_t port)
{
	if (ep->sa.sa_family == AF_INET)
		ep->in.sin_port = htons(port);
	else
		ep->in6.sin6_port = htons(port);
}

int resolver_lookup(struct resolver *r, const char *host, uint16_t port, union wg_endpoint *ep)
{
	struct entry *e = NULL, **slot;
	size_t i;

	memset(ep, 0, sizeof(*ep));
	if (inet_pton(AF_INET, host, &ep->in.sin_addr) == 1) {
		ep->in.sin_family = AF_INET;
		set_port(ep, port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &ep->in6.sin6_addr) == 1) {
		ep->in6.sin6_family = AF_INET6;
		set_port(ep, port);
		return 0;
	}
	for (i = 0; i < r->n && !e; i++)
		if (strcmp(r->entries[i]->host, host) == 0)
			e = r->entries[i];
	if (!e) {
		e = xcalloc(1, sizeof(*e));
		e->host = xstrdup(host);
		slot = array_push(&r->entries, &r->n, sizeof(*r->entries));
		*slot = e;
		return entry_start(e) < 0 ? -EADDRNOTAVAIL : -EAGAIN;
	}
	switch (e->state) {
	case ENTRY_OK:
		*ep = e->ep;
		set_port(ep, port);
		return 0;
	case ENTRY_PENDING:
		return -EAGAIN;
	case ENTRY_FAILED:
		if (loop_now_ms() - e->failed_at < e->backoff_ms)
			return -EADDRNOTAVAIL;
		return entry_start(e) < 0 ? -EADDRNOTAVAIL : -EAGAIN;
	}
	return -EINVAL;
}

int resolver_plan_cb(void *ctx, const char *host, uint16_t port, union wg_endpoint *ep)
{
	int r = resolver_lookup(ctx, host, port, ep);

	/* For the plan, "failed recently" is also "not yet": the tunnel waits and retries. */
	return r == -EADDRNOTAVAIL ? -EAGAIN : r;
}
