/* Links' DNS: choosing the method, journaling it before use, applying and undoing it, either
 * blocking (one-shot commands, removals) or as a small state machine per link on the loop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "linkdns.h"
#include "resolvconf.h"
#include "resolved.h"
#include "../common/log.h"
#include "../common/util.h"

#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 60000
/* resolved learns of a new link from rtnetlink a moment after it exists. */
#define NODEV_RETRY_MS 100
#define NODEV_TRIES 30
/* openresolv waits up to 10 s for its own lock; on the loop a removal waits less and
 * leaves a slow run to finish by itself. */
#define RESOLVCONF_WAIT_MS 12000
#define RESOLVCONF_WAIT_LOOP_MS 3000

enum step { ST_IDLE, ST_PROBE, ST_REVERT, ST_APPLY };

enum link_state { LS_NONE, LS_APPLYING, LS_APPLIED, LS_FAILED, LS_UNAVAILABLE };

static const char *const state_name[] = { "none", "applying", "applied", "failed", "unavailable" };

struct link {
	struct linkdns *d;
	char name[TUNNEL_NAME_MAX + 1];
	char ifname[IFNAME_MAX + 1];
	int ifindex;
	struct dns_conf want;        /* what the configuration asks for now */
	struct dns_conf job;         /* what the change under way applies */
	struct dns_conf have;        /* what is in place, when have_valid */
	bool have_valid;
	unsigned int have_method;
	int have_ifindex;
	unsigned int methods;        /* as the journal records them */
	unsigned int target;         /* the change's method (0: none) */
	unsigned int todo;           /* methods still to revert in this change */
	enum step step;
	bool dirty;                  /* want changed during the change */
	enum link_state state;
	char error[256];
	pid_t pid;                   /* resolvconf running for the change */
	int outfd;
	unsigned int nodev;
	uint32_t backoff_ms;
	struct timer *timer;
	bool warned;
};

struct linkdns {
	struct loop *loop;
	const struct linkdns_ops *ops;
	void *ctx;
	struct resolved *res;
	struct link **links;
	size_t n_links;
};

const char *linkdns_method_name(unsigned int method)
{
	return method == LINKDNS_RESOLVED ? "resolved" : method == LINKDNS_RESOLVCONF ? "resolvconf" : NULL;
}

int linkdns_method_parse(const char *name, unsigned int *method)
{
	if (strcmp(name, "resolved") == 0)
		*method = LINKDNS_RESOLVED;
	else if (strcmp(name, "resolvconf") == 0)
		*method = LINKDNS_RESOLVCONF;
	else
		return -EINVAL;
	return 0;
}

struct linkdns *linkdns_new(struct loop *l, const struct linkdns_ops *ops, void *ctx)
{
	struct linkdns *d = xcalloc(1, sizeof(*d));

	d->loop = l;
	d->ops = ops;
	d->ctx = ctx;
	return d;
}

static void link_free(struct linkdns *d, struct link *l)
{
	if (d->res)
		resolved_cancel(d->res, l);
	if (l->timer)
		timer_free(l->timer);
	/* A resolvconf still running finishes by itself; the SIGCHLD handler reaps it. */
	if (l->outfd >= 0)
		close(l->outfd);
	dns_conf_clear(&l->want);
	dns_conf_clear(&l->job);
	dns_conf_clear(&l->have);
	free(l);
}

void linkdns_free(struct linkdns *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n_links; i++)
		link_free(d, d->links[i]);
	free(d->links);
	resolved_close(d->res);
	free(d);
}

static struct link *link_find(const struct linkdns *d, const char *ifname, size_t *idx)
{
	size_t i;

	for (i = 0; i < d->n_links; i++)
		if (strcmp(d->links[i]->ifname, ifname) == 0) {
			if (idx)
				*idx = i;
			return d->links[i];
		}
	return NULL;
}

static struct resolved *bus(struct linkdns *d)
{
	/* Cheap to try again: without a bus socket it is one stat(). */
	if (!d->res && resolved_open(&d->res, d->loop) < 0)
		d->res = NULL;
	return d->res;
}

static int journal(struct linkdns *d, const char *ifname, unsigned int methods, char *err,
		   size_t size)
{
	int r = d->ops->journal(d->ctx, ifname, methods);

	if (r < 0)
		snprintf(err, size, "recording the DNS method in the journal: %s", strerror(-r));
	return r;
}

static void warn_unavailable(const char *name, const char *why)
{
	log_warn("tunnel %s: DNS not applied: neither systemd-resolved%s%s%s nor resolvconf is available",
		 name, why[0] ? " (" : "", why, why[0] ? ")" : "");
}

/* ---- blocking ---- */

static int resolvconf_run(const char *ifname, const struct dns_conf *dc, int wait_ms, char *err,
			  size_t size)
{
	int r, outfd, status = 0;
	pid_t pid;

	r = resolvconf_start(ifname, dc, &pid, &outfd);
	if (r < 0) {
		snprintf(err, size, "resolvconf: %s", r == -ENOENT ? "not installed" : strerror(-r));
		return r;
	}
	r = resolvconf_wait(pid, wait_ms, &status);
	if (r == -ETIMEDOUT) {
		close(outfd);
		snprintf(err, size, "resolvconf still running after %d s; left to finish", wait_ms / 1000);
		return r;
	}
	if (r < 0) {
		close(outfd);
		snprintf(err, size, "resolvconf: %s", strerror(-r));
		return r;
	}
	return resolvconf_result(status, outfd, err, size);
}

/* Undo what each method in methods may hold of ifname. */
static int revert_blocking(struct linkdns *d, const char *ifname, int ifindex, unsigned int methods,
			   char *err, size_t size)
{
	int r = 0, k;

	if ((methods & LINKDNS_RESOLVED) && ifindex > 0 && bus(d)) {
		k = resolved_revert(d->res, ifindex, NULL, NULL);
		/* Not running any more: what it held went with it. */
		if (k < 0 && k != -ENOENT) {
			snprintf(err, size, "%s", resolved_error(d->res));
			r = k;
		}
	}
	if (methods & LINKDNS_RESOLVCONF) {
		char why[256];

		k = resolvconf_run(ifname, NULL, d->loop ? RESOLVCONF_WAIT_LOOP_MS : RESOLVCONF_WAIT_MS,
				   why, sizeof(why));
		/* Uninstalled meanwhile: nothing can hold the record any more. */
		if (k < 0 && k != -ENOENT && r == 0) {
			snprintf(err, size, "%s", why);
			r = k;
		}
	}
	return r;
}

/* The method that serves this host now (0: none; why in why). */
static unsigned int choose_blocking(struct linkdns *d, char *why, size_t size)
{
	int k = -ENOENT;

	why[0] = '\0';
	if (bus(d)) {
		k = resolved_probe(d->res, NULL, NULL);
		if (k == 0)
			return LINKDNS_RESOLVED;
		if (k != -ENOENT)
			snprintf(why, size, "%s", resolved_error(d->res));
	}
	return resolvconf_available() ? LINKDNS_RESOLVCONF : 0;
}

static int set_blocking(struct linkdns *d, const char *name, const char *ifname, int ifindex,
			const struct dns_conf *dc, unsigned int methods, char *err, size_t size)
{
	struct timespec wait = { 0, NODEV_RETRY_MS * 1000 * 1000 };
	unsigned int target = 0, tries;
	char why[256];
	int r;

	if (dc && !dns_conf_empty(dc)) {
		target = choose_blocking(d, why, sizeof(why));
		if (!target)
			warn_unavailable(name, why);
	}
	if (target & ~methods) {
		r = journal(d, ifname, methods | target, err, size);
		if (r < 0)
			return r;
		methods |= target;
	}
	if (methods & ~target) {
		r = revert_blocking(d, ifname, ifindex, methods & ~target, err, size);
		if (r < 0)
			return r;
		r = journal(d, ifname, target, err, size);
		if (r < 0)
			return r;
	}
	if (target == LINKDNS_RESOLVCONF)
		return resolvconf_run(ifname, dc, RESOLVCONF_WAIT_MS, err, size);
	if (target != LINKDNS_RESOLVED)
		return 0;
	for (tries = 0;; tries++) {
		r = resolved_set(d->res, ifindex, dc, NULL, NULL);
		if (r != -ENODEV || tries == NODEV_TRIES)
			break;
		nanosleep(&wait, NULL);
	}
	if (r < 0)
		snprintf(err, size, "%s", resolved_error(d->res));
	return r;
}

/* ---- on the loop ---- */

static void job_start(struct link *l);
static void job_next(struct link *l);

static void job_done(struct link *l)
{
	struct linkdns *d = l->d;

	dns_conf_clear(&l->have);
	dns_conf_copy(&l->have, &l->job);
	l->have_valid = true;
	l->have_method = l->target;
	l->have_ifindex = l->ifindex;
	l->step = ST_IDLE;
	l->backoff_ms = 0;
	l->error[0] = '\0';
	if (l->target) {
		l->state = LS_APPLIED;
		l->warned = false;
		log_info("tunnel %s: DNS on %s through %s", l->name, l->ifname,
			 l->target == LINKDNS_RESOLVED ? "systemd-resolved" : "resolvconf");
	} else {
		l->state = dns_conf_empty(&l->job) ? LS_NONE : LS_UNAVAILABLE;
	}
	if (d->ops->done)
		d->ops->done(d->ctx, l->ifname, 0, "");
	if (l->dirty || !dns_conf_equal(&l->want, &l->have))
		job_start(l);
}

static void job_fail(struct link *l, int r, const char *err)
{
	struct linkdns *d = l->d;

	l->step = ST_IDLE;
	l->state = LS_FAILED;
	snprintf(l->error, sizeof(l->error), "%s", err[0] ? err : strerror(-r));
	log_err("tunnel %s: DNS on %s: %s", l->name, l->ifname, l->error);
	l->backoff_ms = l->backoff_ms ? l->backoff_ms * 2 : RETRY_MIN_MS;
	if (l->backoff_ms > RETRY_MAX_MS)
		l->backoff_ms = RETRY_MAX_MS;
	if (d->ops->done)
		d->ops->done(d->ctx, l->ifname, r, l->error);
	if (l->dirty)
		job_start(l);
	else
		timer_arm(l->timer, l->backoff_ms);
}

static void on_timer(struct loop *lp, struct timer *t, void *data)
{
	struct link *l = data;

	(void)lp;
	(void)t;
	if (l->step == ST_APPLY)
		job_next(l);           /* resolved did not know the link yet */
	else if (l->step == ST_IDLE && l->state == LS_FAILED)
		job_start(l);
}

static void on_resolved(void *ctx, int r, const char *err)
{
	struct link *l = ctx;

	if (l->step == ST_APPLY && r == -ENODEV && l->nodev++ < NODEV_TRIES) {
		timer_arm(l->timer, NODEV_RETRY_MS);
		return;
	}
	if (r < 0 && !(l->step == ST_REVERT && r == -ENOENT)) {
		job_fail(l, r, err);
		return;
	}
	if (l->step == ST_APPLY)
		job_done(l);
	else
		job_next(l);
}

static void on_probe(void *ctx, int r, const char *err)
{
	struct link *l = ctx;
	struct linkdns *d = l->d;
	char jerr[256];

	l->target = r == 0 ? LINKDNS_RESOLVED : resolvconf_available() ? LINKDNS_RESOLVCONF : 0;
	if (r < 0 && r != -ENOENT)
		log_info("tunnel %s: %s", l->name, err);
	if (!l->target && !l->warned) {
		warn_unavailable(l->name, r < 0 && r != -ENOENT ? err : "");
		l->warned = true;
	}
	if (l->target & ~l->methods) {
		if (journal(d, l->ifname, l->methods | l->target, jerr, sizeof(jerr)) < 0) {
			job_fail(l, -EIO, jerr);
			return;
		}
		l->methods |= l->target;
	}
	l->todo = l->methods & ~l->target;
	l->step = ST_REVERT;
	job_next(l);
}

static void job_start(struct link *l)
{
	struct linkdns *d = l->d;

	l->dirty = false;
	dns_conf_clear(&l->job);
	dns_conf_copy(&l->job, &l->want);
	l->state = LS_APPLYING;
	l->nodev = 0;
	timer_disarm(l->timer);
	if (dns_conf_empty(&l->job)) {
		l->target = 0;
		l->todo = l->methods;
		l->step = ST_REVERT;
		job_next(l);
		return;
	}
	l->step = ST_PROBE;
	if (bus(d) && resolved_probe(d->res, on_probe, l) == 0)
		return;
	on_probe(l, -ENOENT, "");
}

static void job_spawn(struct link *l, const struct dns_conf *dc)
{
	int r = resolvconf_start(l->ifname, dc, &l->pid, &l->outfd);

	if (r < 0) {
		l->pid = 0;
		job_fail(l, r, r == -ENOENT ? "resolvconf: not installed" : strerror(-r));
	}
}

static void job_next(struct link *l)
{
	struct linkdns *d = l->d;
	char err[256];

	if (l->step == ST_REVERT) {
		if (l->todo & LINKDNS_RESOLVED) {
			l->todo &= ~LINKDNS_RESOLVED;
			if (l->ifindex > 0 && bus(d) && resolved_revert(d->res, l->ifindex, on_resolved, l) == 0)
				return;
		}
		if (l->todo & LINKDNS_RESOLVCONF) {
			l->todo &= ~LINKDNS_RESOLVCONF;
			if (resolvconf_available()) {
				job_spawn(l, NULL);
				return;
			}
		}
		if (l->methods != l->target) {
			if (journal(d, l->ifname, l->target, err, sizeof(err)) < 0) {
				job_fail(l, -EIO, err);
				return;
			}
			l->methods = l->target;
		}
		l->step = ST_APPLY;
	}
	if (l->target == LINKDNS_RESOLVCONF) {
		job_spawn(l, &l->job);
	} else if (l->target == LINKDNS_RESOLVED) {
		int r = l->ifindex > 0 && bus(d) ? resolved_set(d->res, l->ifindex, &l->job, on_resolved, l)
						   : -ENODEV;

		if (r < 0)
			job_fail(l, r, l->ifindex > 0 ? strerror(-r) : "the link has no index");
	} else {
		job_done(l);
	}
}

bool linkdns_reaped(struct linkdns *d, pid_t pid, int status)
{
	char err[256] = "";
	struct link *l = NULL;
	size_t i;
	int r;

	for (i = 0; d && i < d->n_links && !l; i++)
		if (d->links[i]->pid == pid)
			l = d->links[i];
	if (!l || pid <= 0)
		return false;
	r = resolvconf_result(status, l->outfd, err, sizeof(err));
	l->pid = 0;
	l->outfd = -1;
	if (r < 0)
		job_fail(l, r, err);
	else if (l->step == ST_APPLY)
		job_done(l);
	else
		job_next(l);
	return true;
}

static struct link *link_add(struct linkdns *d, const char *name, const char *ifname,
			     unsigned int methods)
{
	struct link *l = xcalloc(1, sizeof(*l));

	l->d = d;
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->ifname, sizeof(l->ifname), "%s", ifname);
	l->methods = methods;
	l->outfd = -1;
	l->timer = timer_new(d->loop, on_timer, l);
	*(struct link **)array_push(&d->links, &d->n_links, sizeof(*d->links)) = l;
	return l;
}

int linkdns_set(struct linkdns *d, const char *name, const char *ifname, int ifindex,
		const struct dns_conf *dc, unsigned int methods, char *err, size_t errsize)
{
	struct dns_conf none = { 0 };
	struct link *l;
	bool changed, needed;

	err[0] = '\0';
	if (!dc)
		dc = &none;
	if (!d->loop)
		return set_blocking(d, name, ifname, ifindex, dc, methods, err, errsize);
	l = link_find(d, ifname, NULL);
	if (!l) {
		if (dns_conf_empty(dc) && !methods)
			return 0;
		l = link_add(d, name, ifname, methods);
	}
	snprintf(l->name, sizeof(l->name), "%s", name);
	changed = !dns_conf_equal(&l->want, dc);
	if (changed) {
		dns_conf_clear(&l->want);
		dns_conf_copy(&l->want, dc);
	}
	if (l->step != ST_IDLE) {
		l->dirty |= changed || ifindex != l->ifindex;
		l->ifindex = ifindex;
		return 0;
	}
	l->ifindex = ifindex;
	/* A failed change waits for its retry unless the configuration moved on. */
	if (l->state == LS_FAILED && !changed && timer_armed(l->timer))
		return 0;
	needed = !l->have_valid || !dns_conf_equal(&l->have, &l->want) ||
		 (l->have_method == LINKDNS_RESOLVED && l->have_ifindex != ifindex) ||
		 (l->methods & ~l->have_method);
	if (needed)
		job_start(l);
	return 0;
}

int linkdns_remove(struct linkdns *d, const char *ifname, int ifindex, unsigned int methods,
		   char *err, size_t errsize)
{
	struct link *l;
	size_t idx;
	int status;

	err[0] = '\0';
	l = link_find(d, ifname, &idx);
	if (l) {
		methods |= l->methods;
		if (d->res)
			resolved_cancel(d->res, l);
		/* Let a run under way end first, so its add cannot land after our delete. */
		if (l->pid > 0 && resolvconf_wait(l->pid, RESOLVCONF_WAIT_LOOP_MS, &status) == 0)
			l->pid = 0;
		d->links[idx] = d->links[--d->n_links];
		link_free(d, l);
	}
	if (!methods)
		return 0;
	return revert_blocking(d, ifname, ifindex, methods, err, errsize);
}

bool linkdns_status(const struct linkdns *d, const char *ifname, struct linkdns_status *st)
{
	const struct link *l = link_find(d, ifname, NULL);

	if (!l || (l->state == LS_NONE && dns_conf_empty(&l->want)))
		return false;
	st->method = l->state == LS_APPLYING ? l->target : l->have_method;
	st->state = state_name[l->state];
	st->error = l->error;
	return true;
}
