/* The server daemon's state, shared by its parts: the link (server.c), administration
 * over the control socket (admin.c), and accounting, sessions and enforcement
 * (account.c). */
#ifndef WARREN_SERVER_H
#define WARREN_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <sodium.h>

#include "account.h"
#include "db.h"
#include "pool.h"
#include "../agent/plan.h"
#include "../common/json.h"
#include "../netcfg/sysctl.h"

#define SERVER_MAX_POOLS 2      /* one per family */

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
	bool nft_applied;               /* table inet warren is ours to remove */
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
};

/* server.c: write exactly u's peer (remove: take it off). 0 or -errno. */
int server_sync_user(struct server *s, const struct acct_user *u, bool remove);
/* Converge the link with the database soon (rate-limited), saying why in the log (NULL:
 * quietly). */
void server_repair_soon(struct server *s, const char *why);

/* admin.c: the control socket's "user ..." and "session ..." commands. */
int admin_user(struct server *s, int argc, char **argv, struct json *reply);
int admin_session(struct server *s, int argc, char **argv, struct json *reply);


#endif
