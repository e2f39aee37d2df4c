/* systemd's notification protocol: one datagram per state change to $NOTIFY_SOCKET. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sdnotify.h"

/* Fills *sa from NOTIFY_SOCKET; 1 when set, 0 when unset, -errno when unusable. */
static int notify_addr(struct sockaddr_un *sa, socklen_t *len)
{
	const char *e = getenv("NOTIFY_SOCKET");
	size_t n;

	if (!e || !*e)
		return 0;
	/* vsock: and relative paths (systemd >= 254 forms) are not for a local daemon. */
	if (e[0] != '/' && e[0] != '@')
		return -EAFNOSUPPORT;
	n = strlen(e);
	if (n >= sizeof(sa->sun_path) || (e[0] == '@' && n < 2))
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, e, n);
	if (e[0] == '@') {
		/* Abstract names are length-delimited: no trailing NUL is part of the name. */
		sa->sun_path[0] = '\0';
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	return 1;
}

int sd_notify_send(const char *state)
{
	struct sockaddr_un sa;
	socklen_t salen = 0;
	size_t len = strlen(state);
	ssize_t n;
	int fd, r;

	r = notify_addr(&sa, &salen);
	if (r <= 0)
		return r;
	/* A socket per message: nothing to keep across fork, reload or a restarted manager;
	 * the manager learns our pid from SO_PASSCRED on its side. */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	n = sendto(fd, state, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	r = n < 0 ? -errno : (size_t)n != len ? -EMSGSIZE : 0;
	close(fd);
	return r;
}

int sd_notify_ready(void)
{
	return sd_notify_send("READY=1");
}

int sd_notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return -errno;
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	return sd_notify_send(msg);
}

int sd_notify_stopping(void)
{
	return sd_notify_send("STOPPING=1");
}

int sd_notify_watchdog(void)
{
	return sd_notify_send("WATCHDOG=1");
}

int sd_notify_status(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	char *p;
	int n;

	if (!getenv("NOTIFY_SOCKET"))
		return 0;
	memcpy(msg, "STATUS=", 7);
	va_start(ap, fmt);
	n = vsnprintf(msg + 7, sizeof(msg) - 7, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	/* A newline would start a new assignment: the text stays one STATUS line. */
	for (p = msg + 7; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return sd_notify_send(msg);
}

uint64_t sd_watchdog_interval_ms(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long v, p;
	char *end;

	if (!usec || !*usec)
		return 0;
	/* WATCHDOG_PID names the process the watchdog is for; a child inherits the
	 * environment but not the duty. */
	if (pid && *pid) {
		errno = 0;
		p = strtoull(pid, &end, 10);
		if (errno || *end || p == 0 || p != (unsigned long long)getpid())
			return 0;
	}
	if (*usec < '0' || *usec > '9')
		return 0;
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno || *end || v == 0)
		return 0;
	return v < 1000 ? 1 : v / 1000;
}
