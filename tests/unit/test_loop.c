/* The event loop: timer order and re-arming, fd readiness, removal during a round, signals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "agent/loop.h"

static char order[16];
static size_t n_order;

static void mark(struct loop *l, struct timer *t, void *data)
{
	(void)l;
	(void)t;
	order[n_order++] = *(const char *)data;
}

static void stop(struct loop *l, struct timer *t, void *data)
{
	(void)t;
	loop_stop(l, (int)(intptr_t)data);
}

static void test_timers_in_order(void **state)
{
	struct loop *l;
	struct timer *a, *b, *c, *s, *d;
	uint64_t t0;

	(void)state;
	assert_int_equal(loop_new(&l), 0);
	n_order = 0;
	a = timer_new(l, mark, "a");
	b = timer_new(l, mark, "b");
	c = timer_new(l, mark, "c");
	d = timer_new(l, mark, "d");
	s = timer_new(l, stop, (void *)(intptr_t)7);
	timer_arm(c, 30);
	timer_arm(a, 10);
	timer_arm(b, 20);
	timer_arm(d, 15);
	timer_disarm(d);            /* never fires */
	timer_arm(s, 50);
	assert_true(timer_armed(a));
	assert_false(timer_armed(d));
	t0 = loop_now_ms();
	assert_int_equal(loop_run(l), 7);
	assert_true(loop_now_ms() - t0 >= 50);
	assert_int_equal(n_order, 3);
	assert_memory_equal(order, "abc", 3);
	timer_free(b);
	loop_free(l);
}

static int rearms;

static void rearm(struct loop *l, struct timer *t, void *data)
{
	(void)data;
	if (++rearms == 5)
		loop_stop(l, 0);
	else
		timer_arm(t, 1);
}

static void test_timer_rearm_from_callback(void **state)
{
	struct loop *l;

	(void)state;
	assert_int_equal(loop_new(&l), 0);
	rearms = 0;
	timer_arm(timer_new(l, rearm, NULL), 1);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(rearms, 5);
	loop_free(l);
}

static int fds[2][2];
static int reads;

/* The first callback removes the other pipe's watch: it must not be called afterwards. */
static void on_read(struct loop *l, int fd, uint32_t events, void *data)
{
	char c;

	(void)data;
	assert_true(events & EPOLLIN);
	assert_int_equal(read(fd, &c, 1), 1);
	reads++;
	loop_del_fd(l, fd == fds[0][0] ? fds[1][0] : fds[0][0]);
	loop_del_fd(l, fd);
	loop_stop(l, 3);
}

static void test_fd_and_removal(void **state)
{
	struct loop *l;

	(void)state;
	assert_int_equal(loop_new(&l), 0);
	assert_int_equal(pipe(fds[0]), 0);
	assert_int_equal(pipe(fds[1]), 0);
	assert_int_equal(loop_add_fd(l, fds[0][0], EPOLLIN, on_read, NULL), 0);
	assert_int_equal(loop_add_fd(l, fds[1][0], EPOLLIN, on_read, NULL), 0);
	assert_int_equal(loop_add_fd(l, fds[0][0], EPOLLIN, on_read, NULL), -EEXIST);
	assert_int_equal(write(fds[0][1], "x", 1), 1);
	assert_int_equal(write(fds[1][1], "y", 1), 1);
	reads = 0;
	assert_int_equal(loop_run(l), 3);
	assert_int_equal(reads, 1);
	loop_free(l);
	close(fds[0][0]);
	close(fds[0][1]);
	close(fds[1][0]);
	close(fds[1][1]);
}

static int got_signal;

static void on_signal(struct loop *l, int signo, void *data)
{
	(void)data;
	got_signal = signo;
	loop_stop(l, 9);
}

static void test_signal(void **state)
{
	struct loop *l;

	(void)state;
	assert_int_equal(loop_new(&l), 0);
	assert_int_equal(loop_add_signal(l, SIGUSR1, on_signal, NULL), 0);
	assert_int_equal(loop_add_signal(l, SIGUSR2, on_signal, NULL), 0);
	kill(getpid(), SIGUSR2);
	assert_int_equal(loop_run(l), 9);
	assert_int_equal(got_signal, SIGUSR2);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_in_order),
		cmocka_unit_test(test_timer_rearm_from_callback),
		cmocka_unit_test(test_fd_and_removal),
		cmocka_unit_test(test_signal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
