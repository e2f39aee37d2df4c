/* resolvconf(8), as wg-quick runs it: `resolvconf -a IFNAME -m 0 [-x]` with the servers and
 * search domains on stdin, `resolvconf -d IFNAME -f` to take them back. */
#ifndef WARREN_RESOLVCONF_H
#define WARREN_RESOLVCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../profiles/dns.h"

/* The record name for ifname: wg-quick's prefix where the classic resolvconf's
 * interface-order ranks records by one ("tun." for a "tun*" line), else ifname. */
void resolvconf_record(char *buf, size_t size, const char *ifname);

/* What -a reads on stdin: "nameserver ADDR" lines, then one "search D..." line of the
 * search domains. Routing-only domains ("~d") are left out: resolv.conf has no such thing.
 * The caller frees it. Pure. */
char *resolvconf_text(const struct dns_conf *dc);

/* Whether a resolvconf program is installed (in PATH or the usual directories). */
bool resolvconf_available(void);

/* Start resolvconf to add (dc) or delete (dc NULL) ifname's record; a full tunnel's record
 * is exclusive (-x), so only its servers answer. Its output goes to a file the caller
 * reads with resolvconf_output once it exited. 0 with *pid and *outfd, or -ENOENT when
 * resolvconf is not installed, -errno else. */
int resolvconf_start(const char *ifname, const struct dns_conf *dc, pid_t *pid, int *outfd);

/* Wait for pid at most timeout_ms: 0 with *status, -ETIMEDOUT (still running; it is left
 * to finish), -errno. */
int resolvconf_wait(pid_t pid, int timeout_ms, int *status);

/* The result of a finished run: 0, or -EIO with its last line of output (or how it ended)
 * in err. Closes outfd. */
int resolvconf_result(int status, int outfd, char *err, size_t size);

#endif
