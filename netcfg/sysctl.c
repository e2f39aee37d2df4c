/* Reads and writes of /proc/sys entries for the few kernel switches warren flips. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sysctl.h"

static int sysctl_path(const char *path, char *full, size_t size)
{
	int n;

	if (!path || !*path || strstr(path, ".."))
		return -EINVAL;
	n = path[0] == '/' ? snprintf(full, size, "%s", path)
			   : snprintf(full, size, "/proc/sys/%s", path);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int sysctl_get(const char *path, char *buf, size_t size)
{
	char full[PATH_MAX];
	ssize_t n;
	int fd, r;

	if (!size)
		return -EINVAL;
	r = sysctl_path(path, full, sizeof(full));
	if (r < 0)
		return r;
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* One read: /proc/sys answers whole values; a full buffer means it did not fit. */
	n = read(fd, buf, size);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	if ((size_t)n == size)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int sysctl_set(const char *path, const char *value, char *old, size_t oldsize)
{
	char full[PATH_MAX], cur[256];
	size_t len = strlen(value);
	ssize_t n;
	int fd, r;

	r = sysctl_path(path, full, sizeof(full));
	if (r < 0)
		return r;
	r = sysctl_get(path, cur, sizeof(cur));
	if (r < 0)
		return r;
	if (old) {
		if (snprintf(old, oldsize, "%s", cur) >= (int)oldsize)
			return -ENAMETOOLONG;
	}
	if (strcmp(cur, value) == 0)
		return 0;
	fd = open(full, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	r = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}
