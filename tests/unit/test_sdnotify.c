/* systemd notifications: the exact datagrams, path and abstract sockets, no-op when unset, watchdog. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent/sdnotify.h"

struct sock {
	int fd;
	char dir[64];
	char path[108];
};

/* A datagram socket bound to a fresh path, exported as NOTIFY_SOCKET. */
static int setup_path(void **state)
{
	struct sock *s = calloc(1, sizeof(*s));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	assert_non_null(s);
	snprintf(s->dir, sizeof(s->dir), "/tmp/wsdn.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/notify", s->dir);
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s->fd >= 0);
	memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setenv("NOTIFY_SOCKET", s->path, 1);
	*state = s;
	return 0;
}

static int teardown_path(void **state)
{
	struct sock *s = *state;

	unsetenv("NOTIFY_SOCKET");
	close(s->fd);
	unlink(s->path);
	rmdir(s->dir);
	free(s);
	return 0;
}

/* The next datagram, NUL-terminated; "" when none is waiting. */
static const char *next_msg(int fd)
{
	static char buf[1024];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static unsigned long long mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
}

static void test_exact_datagrams(void **state)
{
	struct sock *s = *state;

	assert_int_equal(sd_notify_ready(), 0);
	assert_string_equal(next_msg(s->fd), "READY=1");
	assert_int_equal(sd_notify_stopping(), 0);
	assert_string_equal(next_msg(s->fd), "STOPPING=1");
	assert_int_equal(sd_notify_watchdog(), 0);
	assert_string_equal(next_msg(s->fd), "WATCHDOG=1");
	assert_int_equal(sd_notify_status("%d tunnels up, %s", 2, "hq active"), 0);
	assert_string_equal(next_msg(s->fd), "STATUS=2 tunnels up, hq active");
	assert_int_equal(sd_notify_send("EXTEND_TIMEOUT_USEC=5000000"), 0);
	assert_string_equal(next_msg(s->fd), "EXTEND_TIMEOUT_USEC=5000000");
	assert_string_equal(next_msg(s->fd), "");
}

static void test_status_stays_one_line(void **state)
{
	struct sock *s = *state;

	assert_int_equal(sd_notify_status("a\nREADY=1\r\nb"), 0);
	assert_string_equal(next_msg(s->fd), "STATUS=a READY=1  b");
}

static void test_reloading_carries_monotonic_time(void **state)
{
	struct sock *s = *state;
	unsigned long long before, after, got;
	const char *m;
	char *end;

	before = mono_usec();
	assert_int_equal(sd_notify_reloading(), 0);
	after = mono_usec();
	m = next_msg(s->fd);
	assert_int_equal(strncmp(m, "RELOADING=1\nMONOTONIC_USEC=", 27), 0);
	got = strtoull(m + 27, &end, 10);
	assert_int_equal(*end, '\0');
	assert_true(got >= before && got <= after);
	assert_int_equal(sd_notify_ready(), 0);
	assert_string_equal(next_msg(s->fd), "READY=1");
}

static void test_abstract_socket(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char name[64], env[66];
	socklen_t len;
	int fd;

	(void)state;
	/* Abstract names are length-delimited: bind without a trailing NUL, as systemd does,
	 * so a sender that counted one would miss. */
	snprintf(name, sizeof(name), "warren-test-sdnotify-%ld", (long)getpid());
	memcpy(sa.sun_path + 1, name, strlen(name));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
	snprintf(env, sizeof(env), "@%s", name);
	setenv("NOTIFY_SOCKET", env, 1);
	assert_int_equal(sd_notify_ready(), 0);
	assert_string_equal(next_msg(fd), "READY=1");
	assert_int_equal(sd_notify_status("up"), 0);
	assert_string_equal(next_msg(fd), "STATUS=up");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
}

static void test_unset_is_a_noop(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(sd_notify_ready(), 0);
	assert_int_equal(sd_notify_reloading(), 0);
	assert_int_equal(sd_notify_stopping(), 0);
	assert_int_equal(sd_notify_watchdog(), 0);
	assert_int_equal(sd_notify_status("x %s", "y"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	assert_int_equal(sd_notify_ready(), 0);
	unsetenv("NOTIFY_SOCKET");
}

static void test_bad_socket_reports_without_failing(void **state)
{
	(void)state;
	/* Nobody listens: an error comes back, nothing blocks or raises a signal. */
	setenv("NOTIFY_SOCKET", "/nonexistent/warren/notify", 1);
	assert_int_equal(sd_notify_ready(), -ENOENT);
	setenv("NOTIFY_SOCKET", "relative/notify", 1);
	assert_int_equal(sd_notify_ready(), -EAFNOSUPPORT);
	setenv("NOTIFY_SOCKET", "@", 1);
	assert_int_equal(sd_notify_ready(), -EINVAL);
	setenv("NOTIFY_SOCKET", "/a/very/long/path/that/does/not/fit/into/sun_path/because/"
				"sun_path/holds/only/one/hundred/and/eight/bytes/in/total", 1);
	assert_int_equal(sd_notify_ready(), -EINVAL);
	unsetenv("NOTIFY_SOCKET");
}

static void test_watchdog_interval(void **state)
{
	char pid[32];

	(void)state;
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	assert_int_equal(sd_watchdog_interval_ms(), 0);
	setenv("WATCHDOG_USEC", "30000000", 1);
	assert_int_equal(sd_watchdog_interval_ms(), 30000);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(sd_watchdog_interval_ms(), 30000);
	/* Meant for another process (we are a child that inherited the environment). */
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(sd_watchdog_interval_ms(), 0);
	setenv("WATCHDOG_PID", "12x", 1);
	assert_int_equal(sd_watchdog_interval_ms(), 0);
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "500", 1);
	assert_int_equal(sd_watchdog_interval_ms(), 1);
	setenv("WATCHDOG_USEC", "0", 1);
	assert_int_equal(sd_watchdog_interval_ms(), 0);
	setenv("WATCHDOG_USEC", "-5", 1);
	assert_int_equal(sd_watchdog_interval_ms(), 0);
	setenv("WATCHDOG_USEC", "30s", 1);
	assert_int_equal(sd_watchdog_interval_ms(), 0);
	setenv("WATCHDOG_USEC", "", 1);
	assert_int_equal(sd_watchdog_interval_ms(), 0);
	unsetenv("WATCHDOG_USEC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exact_datagrams, setup_path, teardown_path),
		cmocka_unit_test_setup_teardown(test_status_stays_one_line, setup_path, teardown_path),
		cmocka_unit_test_setup_teardown(test_reloading_carries_monotonic_time, setup_path,
						teardown_path),
		cmocka_unit_test(test_abstract_socket),
		cmocka_unit_test(test_unset_is_a_noop),
		cmocka_unit_test(test_bad_socket_reports_without_failing),
		cmocka_unit_test(test_watchdog_interval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
