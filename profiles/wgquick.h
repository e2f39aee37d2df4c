/* wg-quick files: reading them as wg-quick does, and writing them back (the two round-trip). */
#ifndef WARREN_WGQUICK_H
#define WARREN_WGQUICK_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "model.h"

/* Parse a wg-quick file into t (already tunnel_init'ed; addresses, peers, DNS and hooks
 * are appended to what t holds). path is used for messages only; t->ifname, t->source
 * and t->import are left to the caller. Returns 0 or -EINVAL; every problem is in d as
 * "FILE:LINE: message" (warnings too, e.g. AllowedIPs with host bits, which are masked
 * as the kernel does). On -EINVAL t is partially filled: tunnel_clear it. */
int wgq_parse(struct tunnel *t, const char *path, const char *text, size_t len, struct diag *d);

/* The tunnel as a canonical wg-quick file, private and preshared keys included; free it
 * with wgq_text_free. Parsing the result gives a tunnel wgq_equal to t. NULL with errno
 * EINVAL when t holds what a wg-quick file cannot carry: a hook containing '#' or a
 * newline or starting/ending with white space, an invalid DNS search domain or
 * endpoint host. */
char *wgq_write(const struct tunnel *t);

/* Wipe (it holds keys) and free a text from wgq_write; NULL is fine. */
void wgq_text_free(char *text);

/* true when a and b agree on everything a wg-quick file carries (keys, addresses, DNS,
 * MTU, table, fwmark, listen port, hooks, SaveConfig, peers in order). */
bool wgq_equal(const struct tunnel *a, const struct tunnel *b);

/* Link name wg-quick would use for PATH: the basename without ".conf";
 * -EINVAL when that is not a valid interface name. */
int wgq_ifname(char ifname[IFNAME_MAX + 1], const char *path);

#endif
