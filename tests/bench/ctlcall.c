/* tests/bench/ctlcall.c: one warren/1 request over the control socket, timed inside
 * the process, for tests/bench/server.sh. Prints the microseconds from connect() to the
 * server's close (accept, the command, the reply) on stdout; with -p the reply's payload
 * follows. No process start, no CLI parsing: what is left is the daemon's own time plus
 * a few microseconds of socket work.
 *
 *   ctlcall [-p] [-w MS] SOCKET WORD...
 *
 * -w MS retries connect() every millisecond for up to MS ms while the socket is missing
 * or refuses (a daemon starting up); the printed time then starts at the connect() that
 * succeeded. Exit 0 on "ok", 1 on an error reply (printed on stderr), 2 on a failure.
 * Built by server.sh with cc; it depends on libc only. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t c = *cap ? *cap : 4096;
		char *p;

		while (*len + n + 1 > c)
			c *= 2;
		p = realloc(*buf, c);
		if (!p)
			return -1;
		*buf = p;
		*cap = c;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = 0;
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char req[4096], chunk[65536], *reply = NULL;
	size_t rl = 0, rlen = 0, rcap = 0;
	int o, fd = -1, print = 0, i;
	long wait_ms = 0;
	long long t0, t1, deadline;
	ssize_t n;

	while ((o = getopt(argc, argv, "+pw:")) != -1) {
		if (o == 'p')
			print = 1;
		else if (o == 'w')
			wait_ms = strtol(optarg, NULL, 10);
		else
			return 2;
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: ctlcall [-p] [-w MS] SOCKET WORD...\n");
		return 2;
	}
	if (strlen(argv[optind]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ctlcall: socket path too long\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[optind]);
	rl = (size_t)snprintf(req, sizeof(req), "warren/1");
	for (i = optind + 1; i < argc; i++) {
		const unsigned char *c;

		req[rl++] = ' ';
		for (c = (const unsigned char *)argv[i]; *c && rl < sizeof(req) - 8; c++) {
			if (*c == '%' || *c <= ' ' || *c == 0x7f)
				rl += (size_t)snprintf(req + rl, 4, "%%%02X", *c);
			else
				req[rl++] = (char)*c;
		}
	}
	req[rl++] = '\n';

	deadline = now_us() + wait_ms * 1000;
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			perror("ctlcall: socket");
			return 2;
		}
		t0 = now_us();
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		if ((errno != ENOENT && errno != ECONNREFUSED) || now_us() >= deadline) {
			fprintf(stderr, "ctlcall: %s: %s\n", sa.sun_path, strerror(errno));
			return 2;
		}
		close(fd);
		usleep(1000);
	}
	if (write(fd, req, rl) != (ssize_t)rl) {
		perror("ctlcall: write");
		return 2;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("ctlcall: read");
			return 2;
		}
		if (append(&reply, &rlen, &rcap, chunk, (size_t)n) < 0) {
			fprintf(stderr, "ctlcall: out of memory\n");
			return 2;
		}
	}
	t1 = now_us();
	close(fd);
	printf("%lld\n", t1 - t0);
	if (!reply || strncmp(reply, "ok\n", 3) != 0) {
		fprintf(stderr, "ctlcall: %s", reply ? reply : "no reply\n");
		return 1;
	}
	if (print)
		fputs(reply + 3, stdout);
	free(reply);
	return 0;
}
