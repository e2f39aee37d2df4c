/* The server daemon's state, shared by its layers (docs/architecture.md): the database
 * (db/), accounting (account.c) and the link (link.c) at the bottom, the core (server.c),
 * the operations table (api/), and its callers on top: the control socket and the
 * portal's side (servercmd.c, portal/). */
#ifndef WARREN_SERVER_H
#define WARREN_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <sodium.h>

#include "account.h"
#include "db/db.h"
#include "pool.h"
#include "../agent/plan.h"
#include "../common/json.h"
#include "../netcfg/sysctl.h"

#define SERVER_MAX_POOLS 2      /* one per family */

/* How the layers above hear of the core's news, without the core calling up. */
struct server_hooks {
	void (*user_changed)(struct server *s, int64_t user_id);
	void (*polled)(struct server *s);                /* after each accounting reading */
	void (*child_exited)(struct server *s, pid_t pid);
	/* announcements for group_id (0: everyone) changed, or user_id's read marks */
	void (*announced)(struct server *s, int64_t group_id, int64_t user_id);
};

struct server {
	struct config *c;
	const char *path;
	struct db *db;
	struct nl *nl, *nfnl;
	struct wg_backend *wgb;
	struct loop *loop;
	struct ctl *ctl;
	struct monitor *mon;
	struct timer *poll_timer;       /* accounting */
	struct timer *deadline_timer;   /* the next expiry or quota period */
	struct timer *purge_timer;      /* session retention, daily */
	struct timer *repair_timer;     /* a converge soon after drift was seen */
	struct timer *watchdog_timer;   /* systemd's WATCHDOG=1 */
	uint8_t secret[crypto_secretbox_KEYBYTES];
	uint8_t public_key[KEY_LEN];
	struct plan plan;
	bool journaled;                 /* the link's journal is written */
	char old_sysctls[2][SYSCTL_VALUE_MAX];   /* forwarding before the server started */
	struct pool pools[SERVER_MAX_POOLS];
	struct pool_used used[SERVER_MAX_POOLS];
	size_t n_pools;
	struct account acct;
	int64_t started;
	int64_t deadline_at;            /* what deadline_timer is armed for; 0: nothing */
	uint64_t last_poll_ms;
	uint64_t last_repair_ms;
	uint64_t repairs;
	struct portalcore *portal;      /* signing key, HTTP process, long polls */
	struct events *events;          /* the live event streams of the console and portal */
	struct pwhash_pool *pw;         /* Argon2id, off the loop */
	struct websession_store *web;   /* console and portal sessions */
	struct throttle *throttle;      /* failed logins */
	struct totp_pending *totp;      /* secrets shown, not confirmed yet */
	char *file_settings[9];         /* the file's value of each runtime setting, as JSON */
	size_t n_totp;
	struct server_hooks hooks;
	struct engine *engine;          /* the access policy at work (engine.c) */
	struct dnsd *dnsd;              /* the built-in resolver (dns/dnsd.c), NULL: none */
	bool names_stale;               /* a user or device changed since its zone was made */
};

/* Something of user_id (0: of everyone, as the server's own settings) changed: whoever
 * set the user_changed hook hears of it (long polls of its devices, event streams). Any
 * layer says so; none calls up to do it. */
static inline void server_user_changed(struct server *s, int64_t user_id)
{
	s->names_stale = true;      /* the resolver's zone (dns/dnsd.c) is made again */
	if (s->hooks.user_changed)
		s->hooks.user_changed(s, user_id);
}

/* The announcements group_id sees (0: those for everyone, so every user's feed) were
 * added, changed or deleted; or, with user_id, that user marked one read. */
static inline void server_announced(struct server *s, int64_t group_id, int64_t user_id)
{
	if (s->hooks.announced)
		s->hooks.announced(s, group_id, user_id);
}



/* The daemon, in order (server.c). load: the file, errors printed, -EINVAL with any.
 * open: the database, accounting, the link's netlink sockets and monitor, the loop and
 * its signals, the login machinery. start: the runtime settings, the first converge, the
 * timers. stop: (ran: the last counters read, open sessions ended) the link and table
 * removed. close: everything freed, whatever was reached. 0 or -errno. */
int server_load(struct server *s, const char *path);
int server_open(struct server *s);
int server_start(struct server *s);
void server_stop(struct server *s, bool ran);
void server_close(struct server *s);
/* Re-read the file (SIGHUP, "reload"); its errors also go to reply (may be NULL). */
int server_reload(struct server *s, struct json *reply);
/* The status document's members but "users", into an open object. */
void server_status(struct server *s, struct json *j, size_t event_streams);

/* A TOTP secret an admin was shown and has not confirmed with a code yet. */
struct totp_pending {
	int64_t admin_id;
	uint8_t secret[20];
	int64_t made;
};

/* The runtime settings changed: the link, the table and every profile follow. */
void server_settings_changed(struct server *s);


#endif
