/* The server daemon's state, shared by its parts: the link (server.c), administration
 * over the control socket (admin.c), and accounting, sessions and enforcement
 * (account.c). */
#ifndef WARREN_SERVER_H
#define WARREN_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <sodium.h>

#include "account.h"
#include "db/db.h"
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
	bool nft_applied;               /* table inet warren_server is ours to remove */
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
};

/* server.c: write exactly d's peer (remove: take it off). 0 or -errno. */
int server_sync_device(struct server *s, const struct acct_device *d, bool remove);
/* Something of user_id (0: of everyone, as the server's own settings) changed: long polls
 * of its devices and the console's event stream hear of it. */
void server_user_changed(struct server *s, int64_t user_id);
/* Converge the link with the database soon (rate-limited), saying why in the log (NULL:
 * quietly). */
void server_repair_soon(struct server *s, const char *why);

/* A TOTP secret an admin was shown and has not confirmed with a code yet. */
struct totp_pending {
	int64_t admin_id;
	uint8_t secret[20];
	int64_t made;
};

/* The runtime settings changed: the link, the table and every profile follow. */
void server_settings_changed(struct server *s);

/* api/ctl.c: the control socket's "api OP JSON" request: the operation run for root. */
int api_ctl(struct server *s, const char *op, const char *request, struct json *reply);
/* api/status.c: "users": [...] of the status document, each with its devices. */
void api_status_users(struct server *s, struct json *j);


#endif
