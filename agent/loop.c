/* epoll, one timerfd for every timer (deadlines kept sorted) and one signalfd. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "../common/log.h"
#include "../common/util.h"

struct watch {
	int fd;
	loop_fd_fn fn;
	void *data;
	struct watch *next;
};

struct sigwatch {
	int signo;
	loop_signal_fn fn;
	void *data;
};

struct timer {
	struct loop *loop;
	uint64_t deadline;          /* 0: not armed */
	loop_timer_fn fn;
	void *data;
	struct timer *next;         /* armed timers, earliest first */
	struct timer *all_next;     /* every timer, for loop_free */
};

struct loop {
	int epfd, tfd, sfd;
	sigset_t sigs;
	struct watch *watches;
	struct watch *dead;         /* removed during a round, freed after it */
	struct sigwatch *sigwatches;
	size_t n_sigwatches;
	struct timer *armed;
	struct timer *all;
	uint64_t tfd_deadline;      /* what the timerfd is set to, 0 = nothing */
	bool running;
	int status;
};

static void loop_reap(struct loop *l);

/* Markers in epoll data for the loop's own descriptors. */
static struct watch timer_marker, signal_marker;

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int loop_new(struct loop **lp)
{
	struct loop *l = xcalloc(1, sizeof(*l));
	struct epoll_event ev = { .events = EPOLLIN };
	int r;

	l->tfd = l->sfd = -1;
	sigemptyset(&l->sigs);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		goto fail;
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (l->tfd < 0)
		goto fail;
	ev.data.ptr = &timer_marker;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->tfd, &ev) < 0)
		goto fail;
	*lp = l;
	return 0;
fail:
	r = -errno;
	loop_free(l);
	return r;
}

void loop_free(struct loop *l)
{
	struct watch *w, *wn;
	struct timer *t, *tn;

	if (!l)
		return;
	for (w = l->watches; w; w = wn) {
		wn = w->next;
		free(w);
	}
	loop_reap(l);
	for (t = l->all; t; t = tn) {
		tn = t->all_next;
		free(t);
	}
	free(l->sigwatches);
	if (l->sfd >= 0) {
		close(l->sfd);
		sigprocmask(SIG_UNBLOCK, &l->sigs, NULL);
	}
	if (l->tfd >= 0)
		close(l->tfd);
	if (l->epfd >= 0)
		close(l->epfd);
	free(l);
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *data)
{
	struct watch *w = xcalloc(1, sizeof(*w));
	struct epoll_event ev = { .events = events, .data.ptr = w };

	w->fd = fd;
	w->fn = fn;
	w->data = data;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = -errno;

		free(w);
		return r;
	}
	w->next = l->watches;
	l->watches = w;
	return 0;
}

static struct watch *loop_find(struct loop *l, int fd, struct watch ***prevp)
{
	struct watch **p;

	for (p = &l->watches; *p; p = &(*p)->next) {
		if ((*p)->fd == fd) {
			if (prevp)
				*prevp = p;
			return *p;
		}
	}
	return NULL;
}

int loop_mod_fd(struct loop *l, int fd, uint32_t events)
{
	struct watch *w = loop_find(l, fd, NULL);
	struct epoll_event ev = { .events = events };

	if (!w)
		return -ENOENT;
	ev.data.ptr = w;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void loop_del_fd(struct loop *l, int fd)
{
	struct watch **prev, *w = loop_find(l, fd, &prev);

	if (!w)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	*prev = w->next;
	/* An event later in this round may still point at it: free it after the round. */
	w->fn = NULL;
	w->next = l->dead;
	l->dead = w;
}

static void loop_reap(struct loop *l)
{
	struct watch *w, *wn;

	for (w = l->dead; w; w = wn) {
		wn = w->next;
		free(w);
	}
	l->dead = NULL;
}

int loop_add_signal(struct loop *l, int signo, loop_signal_fn fn, void *data)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &signal_marker };
	struct sigwatch *s;
	int fd;

	sigaddset(&l->sigs, signo);
	if (sigprocmask(SIG_BLOCK, &l->sigs, NULL) < 0)
		return -errno;
	fd = signalfd(l->sfd, &l->sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (l->sfd < 0) {
		l->sfd = fd;
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return -errno;
	}
	s = array_push(&l->sigwatches, &l->n_sigwatches, sizeof(*s));
	s->signo = signo;
	s->fn = fn;
	s->data = data;
	return 0;
}

/* Point the timerfd at the earliest deadline; a no-op when it already is. */
static void loop_rearm(struct loop *l)
{
	struct itimerspec its = { 0 };
	uint64_t d = l->armed ? l->armed->deadline : 0;

	if (d == l->tfd_deadline)
		return;
	l->tfd_deadline = d;
	if (d) {
		its.it_value.tv_sec = (time_t)(d / 1000);
		its.it_value.tv_nsec = (long)(d % 1000) * 1000000;
	}
	timerfd_settime(l->tfd, d ? TFD_TIMER_ABSTIME : 0, &its, NULL);
}

struct timer *timer_new(struct loop *l, loop_timer_fn fn, void *data)
{
	struct timer *t = xcalloc(1, sizeof(*t));

	t->loop = l;
	t->fn = fn;
	t->data = data;
	t->all_next = l->all;
	l->all = t;
	return t;
}

static void timer_unlink(struct timer *t)
{
	struct timer **p;

	for (p = &t->loop->armed; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	t->next = NULL;
	t->deadline = 0;
}

void timer_arm(struct timer *t, uint64_t delay_ms)
{
	struct timer **p;

	if (t->deadline)
		timer_unlink(t);
	t->deadline = loop_now_ms() + delay_ms;
	if (!t->deadline)
		t->deadline = 1;
	for (p = &t->loop->armed; *p && (*p)->deadline <= t->deadline; p = &(*p)->next)
		;
	t->next = *p;
	*p = t;
	loop_rearm(t->loop);
}

void timer_disarm(struct timer *t)
{
	if (!t || !t->deadline)
		return;
	timer_unlink(t);
	loop_rearm(t->loop);
}

bool timer_armed(const struct timer *t)
{
	return t && t->deadline != 0;
}

void timer_free(struct timer *t)
{
	struct timer **p;

	if (!t)
		return;
	timer_disarm(t);
	for (p = &t->loop->all; *p; p = &(*p)->all_next) {
		if (*p == t) {
			*p = t->all_next;
			break;
		}
	}
	free(t);
}

static void loop_timers(struct loop *l)
{
	uint64_t expirations, now = loop_now_ms();

	if (read(l->tfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_debug("timerfd: %s", strerror(errno));
	l->tfd_deadline = 0;
	/* Fire what is due; callbacks may arm new timers, which then wait for the next round
	 * unless already due. */
	while (l->armed && l->armed->deadline <= now) {
		struct timer *t = l->armed;

		timer_unlink(t);
		t->fn(l, t, t->data);
	}
	loop_rearm(l);
}

static void loop_signals(struct loop *l)
{
	struct signalfd_siginfo si;
	size_t i;

	while (read(l->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		for (i = 0; i < l->n_sigwatches; i++)
			if (l->sigwatches[i].signo == (int)si.ssi_signo)
				l->sigwatches[i].fn(l, (int)si.ssi_signo, l->sigwatches[i].data);
	}
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[16];

	l->running = true;
	while (l->running) {
		int n = epoll_wait(l->epfd, evs, ARRAY_SIZE(evs), -1), i;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			return -errno;
		}
		for (i = 0; i < n && l->running; i++) {
			struct watch *w = evs[i].data.ptr;

			if (w == &timer_marker)
				loop_timers(l);
			else if (w == &signal_marker)
				loop_signals(l);
			else if (w->fn)
				w->fn(l, w->fd, evs[i].events, w->data);
		}
		loop_reap(l);
	}
	return l->status;
}

void loop_stop(struct loop *l, int status)
{
	l->running = false;
	l->status = status;
}
