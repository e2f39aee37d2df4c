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
/* The agent or server that wrote p's journal still runs (false for `warren up`'s). */
bool journal_owner_running(const struct plan *p);
/* "agent", "up", "server", or "an earlier warren" for OWNER_UNKNOWN. */
const char *journal_owner_name(enum plan_owner o);
/* Every journal's interface name, for slot allocation and shared sysctls. */
int journal_list(const char *state_dir, char (**ifnames)[IFNAME_MAX + 1], size_t *n);

/* The sysctls of p that other journals in state_dir (any owner; not the journal named
 * self) hold too. With held (p->n_sysctls entries): held[k] = another still needs
 * sysctl k, so undoing p must leave it. Without: p->sysctls[k].old = the value from before
 * the first of them changed it, so the last one out restores that, not a warren value. */
void journal_sysctls_shared(const char *state_dir, const char *self, struct plan *p, bool *held);

#endif
