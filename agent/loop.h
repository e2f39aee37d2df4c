/* The one event loop of a process: file descriptors on epoll, timers on one timerfd,
 * signals on a signalfd. Nothing in a callback may block. */
#ifndef WARREN_LOOP_H
#define WARREN_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

struct loop;
struct timer;

typedef void (*loop_fd_fn)(struct loop *l, int fd, uint32_t events, void *data);
typedef void (*loop_timer_fn)(struct loop *l, struct timer *t, void *data);
typedef void (*loop_signal_fn)(struct loop *l, int signo, void *data);

int loop_new(struct loop **lp);
/* Frees the loop and every timer still registered; file descriptors stay open. */
void loop_free(struct loop *l);

/* Watch fd for events (EPOLLIN, EPOLLOUT ...); one registration per fd. 0 or -errno. */
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *data);
int loop_mod_fd(struct loop *l, int fd, uint32_t events);
void loop_del_fd(struct loop *l, int fd);

/* Block these signals and deliver them through the loop (SIGTERM, SIGHUP, SIGCHLD ...). */
int loop_add_signal(struct loop *l, int signo, loop_signal_fn fn, void *data);

/* Timers fire once per arm; a callback may re-arm, disarm or free its own timer. */
struct timer *timer_new(struct loop *l, loop_timer_fn fn, void *data);
void timer_arm(struct timer *t, uint64_t delay_ms);
void timer_disarm(struct timer *t);
bool timer_armed(const struct timer *t);
void timer_free(struct timer *t);

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t loop_now_ms(void);

/* Run until loop_stop; returns the value given to it. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l, int status);

#endif
