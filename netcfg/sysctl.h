/* Kernel settings under /proc/sys, changed with the old value kept for restoring. */
#ifndef WARREN_SYSCTL_H
#define WARREN_SYSCTL_H

#include <stddef.h>

/* path is relative to /proc/sys with '/' separators ("net/ipv4/conf/all/src_valid_mark"),
 * or absolute. Values are compared and returned without the trailing newline. */

/* Read the value into buf (size bytes). 0, -ENAMETOOLONG when it does not fit, or -errno. */
int sysctl_get(const char *path, char *buf, size_t size);
/* Set value; when old (oldsize bytes) is not NULL it receives the previous value, to be
 * given back to sysctl_set on teardown. A value already in place is not rewritten (no
 * needless netconf events). 0 or -errno. */
int sysctl_set(const char *path, const char *value, char *old, size_t oldsize);

#endif
