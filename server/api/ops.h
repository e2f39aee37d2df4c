/* What the operations share: the operations themselves (for the table) and the helpers
 * that find, write and describe users and devices the same way for every route. */
#ifndef WARREN_API_OPS_H
#define WARREN_API_OPS_H

#include "api.h"
#include "../account.h"
#include "../db/db.h"

struct json;

extern const char *const api_state_names[];      /* by enum db_disabled */
extern const char *const api_kind_names[];       /* by enum db_device_kind */
extern const char *const api_role_names[];       /* by enum db_role */

/* users.c */
extern const struct api_op op_user_add, op_user_list, op_user_show, op_user_set,
	op_user_delete, op_user_disable, op_user_enable;
/* devices.c */
extern const struct api_op op_device_list, op_device_all, op_device_add, op_device_show,
	op_device_config, op_device_qr, op_device_rotate, op_device_delete, op_user_config,
	op_user_qr, op_user_rotate;
extern const struct api_op op_me_device_add, op_me_device_config, op_me_device_qr,
	op_me_device_rotate, op_me_device_delete;
/* sessions.c */
extern const struct api_op op_session_list, op_stats_traffic, op_stats_sessions,
	op_dashboard;
/* status.c */
extern const struct api_op op_status;
/* events.c */
extern const struct api_op op_events;
/* tokens.c, audit.c */
extern const struct api_op op_token_add, op_token_list, op_token_delete, op_audit_list;
/* auth.c: login, logout, password, me, TOTP */
extern const struct api_op op_login, op_logout, op_password, op_me, op_totp_begin,
	op_totp_confirm;
/* settings.c, groups.c, bulk.c */
extern const struct api_op op_settings_show, op_settings_set, op_group_list, op_group_add,
	op_group_show, op_group_set, op_group_delete, op_user_bulk, op_user_export, op_user_import;
/* vouchers.c */
extern const struct api_op op_voucher_list, op_voucher_add, op_voucher_redeem,
	op_voucher_show, op_voucher_set, op_voucher_delete;
/* access.c: console accounts, one-time passwords */
extern const struct api_op op_admin_add, op_admin_list, op_admin_set, op_admin_delete,
	op_admin_password, op_user_password;
/* announcements.c: the admins' list and a user's feed */
extern const struct api_op op_announce_list, op_announce_add, op_announce_show,
	op_announce_set, op_announce_delete, op_me_announcements, op_me_announcement_read;
/* services.c: the catalog, a user's services and resources */
extern const struct api_op op_service_list, op_service_add, op_service_show, op_service_set,
	op_service_delete, op_me_services, op_me_resources;
/* dns.c: the resolver's records, rules, lists, query log, statistics; a user's own */
extern const struct api_op op_dns_record_list, op_dns_record_add, op_dns_record_delete,
	op_dns_rule_list, op_dns_rule_add, op_dns_rule_delete, op_dns_list_list, op_dns_list_add,
	op_dns_list_show, op_dns_list_set, op_dns_list_delete, op_dns_list_refresh, op_dns_log,
	op_dns_stats, op_dns_status, op_me_dns;

/* A service's address: HOST:PORT (HOST a name, IPv4 or [IPv6]) or an http(s) URL. 0, or
 * -EINVAL with why. */
int api_service_address_ok(const char *address, char *why, size_t whylen);
/* The caller's own user (db_user_wipe it): for a portal session only (the socket and
 * console accounts have no feed, services or resources of their own): else -EINVAL. */
int api_own_user(struct api_call *c, struct db_user *u);
/* The feed of user u now (its group's announcements and everyone's): for counts. */
void api_feed_of(const struct db_user *u, struct db_feed *f);

/* A new user from u (name, expiry, quota, group, email and password hash as given) and,
 * unless device is NULL, its first device of that name (keys made here unless
 * public_key); nothing is left half made. 0 with *u as the database has it now (wipe
 * it), or -errno with c->error (-EEXIST: the name is taken). */
int api_user_create(struct api_call *c, struct db_user *u, const char *device,
		    const uint8_t *public_key);
/* The user named name: 0 with *u (db_user_wipe it), or -ENOENT with c->error said. */
int api_user_find(struct api_call *c, const char *name, struct db_user *u);
/* The device named name of user u, likewise. */
int api_device_find(struct api_call *c, const struct db_user *u, const char *name,
		    struct db_device *d);
/* A user's device when none is named: its only one, else the one named like the user. */
int api_device_default(struct api_call *c, const struct db_user *u, struct db_device *d);

/* A new device of u: keys made here (the private one sealed) unless public_key is given,
 * a preshared key, the lowest free address of each pool; written, and its peer put on
 * the link when its user is enabled. 0 with *d filled, or -errno with c->error. */
int api_device_create(struct api_call *c, const struct db_user *u, const char *name,
		      const uint8_t *public_key, struct db_device *d);
/* New keys for d (public_key given, or made here), same addresses and counters: the old
 * peer goes, the new one comes. */
int api_device_rekey(struct api_call *c, struct db_device *d, const uint8_t *public_key);
/* Take d off the link and out of the database, its addresses back to the pools. */
int api_device_remove(struct api_call *c, const struct db_device *d);
/* An agent device enrols: its key (the agent made it), a preshared key, addresses when it
 * has none, the credential's hash; its peer goes on the link. -ENOENT when the token was
 * used meanwhile, -EEXIST for a key another device has; why says it. */
int api_device_enroll(struct server *s, struct db_device *d, const uint8_t key[KEY_LEN],
		      const uint8_t credential_hash[DB_HASH_LEN], char *why, size_t whylen);
/* d's wg-quick file (secret: clientconf_text_free it), or NULL with c->error. */
char *api_device_config(struct api_call *c, const struct db_user *u, const struct db_device *d);

/* One row of GET /api/v1/status, for the status events too. */
void api_status_row(struct server *s, const struct acct_device *d, struct json *j);

/* The JSON object of a user (with its devices) and of a device, for every route. */
void api_user_json(struct server *s, const struct db_user *u, struct json *j, const char *key);
/* The same, into an object the caller has open. */
void api_user_fields(struct server *s, const struct db_user *u, struct json *j);
/* The bytes a user's quota counts (this month's for a monthly quota), or all its bytes
 * when it has none; from memory while the account holds the user. */
uint64_t api_user_used(struct server *s, const struct db_user *u);
void api_device_json(struct server *s, const struct db_device *d, struct json *j,
		     const char *key);

/* The group's name for an id ("default" when unknown), and the id for a name. */
void api_group_name(struct server *s, int64_t id, char name[DB_NAME_MAX + 1]);
int api_group_id(struct api_call *c, const char *name, int64_t *id);

/* Write the c->error message and return r. */
int api_fail(struct api_call *c, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A plain keyset page's request (?limit=&cursor=), and what row callbacks write with. */
struct api_page_req {
	uint64_t limit;
	bool has_limit;
	char cursor[DB_CURSOR_MAX + 1];
	bool has_cursor;
};
extern const struct api_field api_page_fields[];
struct api_rows {
	struct server *s;
	struct json *j;
};
/* The end of a keyset page whose rows a query r wrote into an array the caller opened in
 * an open object: closes both with "total" (when total is not NULL) and "next"; or, for
 * r < 0, drops the reply and fails (-EINVAL: a cursor this server did not give). */
int api_page_end(struct api_call *c, int r, const uint64_t *total, const char *next);

#endif
