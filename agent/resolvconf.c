/* Running resolvconf: spawned without a shell, its input and output in memory files, so
 * nothing it does can block the caller. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "resolvconf.h"
#include "../common/util.h"

extern char **environ;

#define INTERFACE_ORDER "/etc/resolvconf/interface-order"
/* Where it lives when PATH (a service's, a user's) leaves the sbin directories out. */
#define FALLBACK_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void resolvconf_record(char *buf, size_t size, const char *ifname)
{
	char line[256];
	FILE *f = fopen(INTERFACE_ORDER, "re");

	snprintf(buf, size, "%s", ifname);
	if (!f)
		return;
	/* wg-quick's resolvconf_iface_prefix: the first line that is NAME followed by '*' */
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\n");

		line[n] = '\0';
		if (n < 2 || line[n - 1] != '*' ||
		    strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") != n - 1)
			continue;
		line[n - 1] = '\0';
		snprintf(buf, size, "%s.%s", line, ifname);
		break;
	}
	fclose(f);
}

char *resolvconf_text(const struct dns_conf *dc)
{
	char *buf = NULL, ip[CIDR_STRLEN];
	size_t len = 0, i;
	bool search = false;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	for (i = 0; i < dc->servers.n; i++)
		fprintf(f, "nameserver %s\n", ip_fmt(&dc->servers.v[i], ip));
	for (i = 0; i < dc->domains.n; i++) {
		if (dc->domains.v[i][0] == '~')
			continue;
		fprintf(f, "%s%s", search ? " " : "search ", dc->domains.v[i]);
		search = true;
	}
	if (search)
		fputc('\n', f);
	if (fclose(f) != 0)
		abort();
	return buf;
}

/* The first executable resolvconf in PATH, then in the usual directories. */
static int find_program(char *path, size_t size)
{
	const char *dirs[] = { getenv("PATH"), FALLBACK_PATH };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *copy, *dir, *save = NULL;

		if (!dirs[i])
			continue;
		copy = xstrdup(dirs[i]);
		for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
			if (dir[0] != '/')
				continue;
			if ((size_t)snprintf(path, size, "%s/resolvconf", dir) < size &&
			    access(path, X_OK) == 0) {
				free(copy);
				return 0;
			}
		}
		free(copy);
	}
	return -ENOENT;
}

bool resolvconf_available(void)
{
	char path[4096];

	return find_program(path, sizeof(path)) == 0;
}

static int memfd_with(const char *name, const char *text)
{
	size_t len = text ? strlen(text) : 0, off = 0;
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			return (int)n;
		}
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		off = (size_t)errno;
		close(fd);
		return -(int)off;
	}
	return fd;
}

int resolvconf_start(const char *ifname, const struct dns_conf *dc, pid_t *pid, int *outfd)
{
	char prog[4096], record[64], *text = NULL;
	char *argv[8];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int in = -1, out = -1, r, n = 0;

	*outfd = -1;
	r = find_program(prog, sizeof(prog));
	if (r < 0)
		return r;
	resolvconf_record(record, sizeof(record), ifname);
	argv[n++] = (char *)"resolvconf";
	if (dc) {
		argv[n++] = (char *)"-a";
		argv[n++] = record;
		argv[n++] = (char *)"-m";
		argv[n++] = (char *)"0";
		if (dc->full)
			argv[n++] = (char *)"-x";
		text = resolvconf_text(dc);
	} else {
		argv[n++] = (char *)"-d";
		argv[n++] = record;
		argv[n++] = (char *)"-f";
	}
	argv[n] = NULL;
	in = memfd_with("resolvconf-input", text);
	out = in < 0 ? in : memfd_with("resolvconf-output", NULL);
	free(text);
	if (in < 0 || out < 0) {
		r = in < 0 ? in : out;
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawn_file_actions_adddup2(&fa, out, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	/* A daemon blocks its signals for signalfd; the script must get them as usual. */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	r = -posix_spawn(pid, prog, &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
out:
	if (in >= 0)
		close(in);
	if (r < 0) {
		if (out >= 0)
			close(out);
		return r;
	}
	*outfd = out;
	return 0;
}

int resolvconf_wait(pid_t pid, int timeout_ms, int *status)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0), r;
	struct pollfd p;

	if (fd >= 0) {
		p.fd = fd;
		p.events = POLLIN;
		do
			r = poll(&p, 1, timeout_ms);
		while (r < 0 && errno == EINTR);
		close(fd);
		if (r == 0)
			return -ETIMEDOUT;
	} else {
		/* No pidfd (old kernel): look every 10 ms. */
		struct timespec ten = { 0, 10 * 1000 * 1000 };
		int waited = 0;

		while ((r = (int)waitpid(pid, status, WNOHANG)) == 0 && waited < timeout_ms) {
			nanosleep(&ten, NULL);
			waited += 10;
		}
		if (r == pid)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		return -errno;
	}
	r = (int)waitpid(pid, status, 0);
	return r == pid ? 0 : -errno;
}

int resolvconf_result(int status, int outfd, char *err, size_t size)
{
	char tmp[2048], *line, *last = NULL, *save = NULL;
	off_t end;
	ssize_t n = 0;

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (outfd >= 0)
			close(outfd);
		return 0;
	}
	if (outfd >= 0) {
		end = lseek(outfd, 0, SEEK_END);
		n = pread(outfd, tmp, sizeof(tmp) - 1,
			  end > (off_t)sizeof(tmp) - 1 ? end - (off_t)sizeof(tmp) + 1 : 0);
		close(outfd);
	}
	tmp[n > 0 ? n : 0] = '\0';
	for (line = strtok_r(tmp, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strspn(line, " \t\r") != strlen(line))
			last = line;
	if (last)
		snprintf(err, size, "resolvconf: %s", last);
	else if (WIFEXITED(status))
		snprintf(err, size, "resolvconf exited with status %d", WEXITSTATUS(status));
	else
		snprintf(err, size, "resolvconf killed by signal %d", WTERMSIG(status));
	return -EIO;
}
