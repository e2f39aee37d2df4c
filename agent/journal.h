/* The journal: per link, every kernel object warren made for it, written before applying. */
#ifndef WARREN_JOURNAL_H
#define WARREN_JOURNAL_H

#include "plan.h"

/* Journals live in DIR/journal/IFNAME (DIR is daemon.state_dir); a plan without a link
 * (the agent's rules, group tables and sysctls) in DIR/journal/.agent. */
#define JOURNAL_GLOBAL ".agent"

/* Write p (link, backend, slot, addresses, routes, rules, sysctls with their old values,
 * the methods holding its DNS; never keys) atomically: temporary file, fdatasync, rename.
 * 0 or -errno. */
int journal_write(const char *state_dir, const struct plan *p);
/* Read IFNAME's journal into p (p->dev stays NULL). -ENOENT when there is none, -EBADMSG
 * when it is not a journal warren wrote. */
int journal_read(const char *state_dir, const char *ifname, struct plan *p);
int journal_remove(const char *state_dir, const char *ifname);
/* Every journal's interface name, for slot allocation and shared sysctls. */
int journal_list(const char *state_dir, char (**ifnames)[IFNAME_MAX + 1], size_t *n);

#endif
