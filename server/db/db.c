/* The SQLite connection behind server/db/db.h: opening and configuring the file, the
 * schema's migrations, transactions, the statement caches, error mapping, and the
 * keyset paging and cursors every list shares. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "dbint.h"
#include "../../common/log.h"
#include "../../common/util.h"

/* The main device of a version-3 user u (the one holding its key), once devices4 is
 * filled. */
#define M4_MAIN_DEVICE(u) "(SELECT n.id FROM devices4 n WHERE n.user_id = " u \
	" AND n.public_key IS NOT NULL)"
/* Where version-3 user u was last seen: its latest session's last endpoint. */
#define M4_LAST_ENDPOINT "coalesce((SELECT coalesce((SELECT e.endpoint FROM session_endpoints e" \
	" WHERE e.session_id = s.id ORDER BY e.at DESC, e.rowid DESC LIMIT 1), s.endpoint)" \
	" FROM sessions s WHERE s.user_id = u.id ORDER BY s.started DESC, s.id DESC LIMIT 1), '')"

/* Migration N takes the schema from user_version N to N + 1; append, never edit. Each
 * runs in one transaction with foreign keys off (so a rebuilt table's DROP deletes
 * nothing that refers to it), checked by foreign_key_check before its commit. */
static const char *const migrations[] = {
	/* 1: users, addresses, sessions */
	"CREATE TABLE users ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" created INTEGER NOT NULL,"
	" expires INTEGER,"
	" quota_bytes INTEGER CHECK (quota_bytes > 0),"
	" quota_period TEXT NOT NULL DEFAULT 'total' CHECK (quota_period IN ('total', 'month')),"
	" quota_reset_day INTEGER NOT NULL DEFAULT 1 CHECK (quota_reset_day BETWEEN 1 AND 31),"
	" disabled_reason TEXT CHECK (disabled_reason IN ('expired', 'quota', 'admin')),"
	" public_key TEXT NOT NULL UNIQUE,"
	" private_key_enc BLOB,"
	" preshared_key_enc BLOB,"
	" rx_total INTEGER NOT NULL DEFAULT 0,"
	" tx_total INTEGER NOT NULL DEFAULT 0,"
	" rx_period INTEGER NOT NULL DEFAULT 0,"
	" tx_period INTEGER NOT NULL DEFAULT 0,"
	" period_start INTEGER NOT NULL"
	") STRICT;"
	/* the expiry timer asks for the earliest expiry of an enabled user */
	"CREATE INDEX users_expires ON users(expires)"
	" WHERE expires IS NOT NULL AND disabled_reason IS NULL;"
	"CREATE TABLE addresses ("
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" family INTEGER NOT NULL CHECK (family IN (4, 6)),"
	" address TEXT NOT NULL UNIQUE"
	") STRICT;"
	"CREATE INDEX addresses_user ON addresses(user_id);"
	"CREATE INDEX addresses_family ON addresses(family);"
	"CREATE TABLE sessions ("
	" id INTEGER PRIMARY KEY,"
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" started INTEGER NOT NULL,"
	" ended INTEGER,"
	" endpoint TEXT NOT NULL DEFAULT '',"
	" address TEXT NOT NULL DEFAULT '',"
	" rx INTEGER NOT NULL DEFAULT 0,"
	" tx INTEGER NOT NULL DEFAULT 0"
	") STRICT;"
	"CREATE INDEX sessions_user_started ON sessions(user_id, started);"
	"CREATE INDEX sessions_started ON sessions(started);"
	/* retention purges closed sessions by their end */
	"CREATE INDEX sessions_ended ON sessions(ended) WHERE ended IS NOT NULL;"
	"CREATE TABLE session_endpoints ("
	" session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
	" at INTEGER NOT NULL,"
	" endpoint TEXT NOT NULL"
	") STRICT;"
	"CREATE INDEX session_endpoints_session ON session_endpoints(session_id, at);",
	/* 2: the link's counters as last accounted, so a restart neither loses nor counts
	 * twice what happened while the daemon was away; a session's last activity, so one
	 * left open by a crash is closed at the right time */
	"ALTER TABLE users ADD COLUMN seen_rx INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE users ADD COLUMN seen_tx INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE sessions ADD COLUMN last_seen INTEGER;",
	/* 3: devices enrolled through the portal (one per user: it holds the user's key),
	 * and the administrators' API tokens; secrets only as BLAKE2b-256 hashes */
	"CREATE TABLE devices ("
	" id INTEGER PRIMARY KEY,"
	" user_id INTEGER NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,"
	" name TEXT NOT NULL UNIQUE,"
	" created INTEGER NOT NULL,"
	" token_hash BLOB UNIQUE CHECK (length(token_hash) = 32),"
	" token_expires INTEGER,"
	" credential_hash BLOB UNIQUE CHECK (length(credential_hash) = 32),"
	" enrolled INTEGER,"
	" last_seen INTEGER,"
	" profile_serial INTEGER NOT NULL DEFAULT 0,"
	" profile_issued INTEGER NOT NULL DEFAULT 0,"
	" profile_hash BLOB"
	") STRICT;"
	"CREATE TABLE admin_tokens ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" created INTEGER NOT NULL,"
	" token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),"
	" last_used INTEGER"
	") STRICT;",
	/* 4: a user is an account with devices, each one peer with its own keys, addresses
	 * and counters; groups, console admins, roles for tokens, audit, settings and hourly
	 * traffic. users loses its keys (a UNIQUE column cannot be dropped: the tables are
	 * rebuilt, the documented way). Every version-3 user becomes one device holding its
	 * keys, counters, addresses and sessions: its enrolled device if it had one, else a
	 * config device named like it; a device still waiting for enrolment becomes a second,
	 * keyless agent device keeping its token. AUTOINCREMENT: a deleted device's id stays
	 * in the session log, a deleted user's in the traffic, so neither is handed out
	 * again. */
	"CREATE TABLE groups ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" created INTEGER NOT NULL"
	") STRICT;"
	"INSERT INTO groups (id, name, created)"
	" VALUES (1, 'default', CAST(strftime('%s', 'now') AS INTEGER));"
	"CREATE TABLE users4 ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" expires INTEGER,"
	" quota_bytes INTEGER CHECK (quota_bytes > 0),"
	" quota_period TEXT NOT NULL DEFAULT 'total' CHECK (quota_period IN ('total', 'month')),"
	" quota_reset_day INTEGER NOT NULL DEFAULT 1 CHECK (quota_reset_day BETWEEN 1 AND 31),"
	" period_start INTEGER NOT NULL,"
	" disabled_reason TEXT CHECK (disabled_reason IN ('expired', 'quota', 'admin')),"
	" group_id INTEGER NOT NULL DEFAULT 1 REFERENCES groups(id),"
	" email TEXT,"
	" password_hash TEXT,"
	" must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),"
	" rx_total INTEGER NOT NULL DEFAULT 0,"
	" tx_total INTEGER NOT NULL DEFAULT 0,"
	" rx_period INTEGER NOT NULL DEFAULT 0,"
	" tx_period INTEGER NOT NULL DEFAULT 0"
	") STRICT;"
	"INSERT INTO users4 (id, name, created, expires, quota_bytes, quota_period, quota_reset_day,"
	" period_start, disabled_reason, rx_total, tx_total, rx_period, tx_period)"
	" SELECT id, name, created, expires, quota_bytes, quota_period, quota_reset_day,"
	" period_start, disabled_reason, rx_total, tx_total, rx_period, tx_period"
	" FROM users ORDER BY id;"
	"CREATE TABLE devices4 ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" name TEXT NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('config', 'agent')),"
	" created INTEGER NOT NULL,"
	" public_key TEXT CHECK (length(public_key) = 44),"
	" private_key_enc BLOB,"
	" preshared_key_enc BLOB,"
	" endpoint TEXT NOT NULL DEFAULT '',"
	" rx_total INTEGER NOT NULL DEFAULT 0,"
	" tx_total INTEGER NOT NULL DEFAULT 0,"
	" seen_rx INTEGER NOT NULL DEFAULT 0,"
	" seen_tx INTEGER NOT NULL DEFAULT 0,"
	" token_hash BLOB CHECK (length(token_hash) = 32),"
	" token_expires INTEGER,"
	" credential_hash BLOB CHECK (length(credential_hash) = 32),"
	" enrolled INTEGER,"
	" last_seen INTEGER,"
	" profile_serial INTEGER NOT NULL DEFAULT 0,"
	" profile_issued INTEGER NOT NULL DEFAULT 0,"
	" profile_hash BLOB CHECK (length(profile_hash) = 32),"
	/* only an agent waits for its key, which it brings at enrolment */
	" CHECK (public_key IS NOT NULL OR (kind = 'agent' AND private_key_enc IS NULL)),"
	" CHECK (token_hash IS NULL OR kind = 'agent')"
	") STRICT;"
	/* before the copies: the look-ups of a user's main device below use it */
	"CREATE UNIQUE INDEX devices_user_name ON devices4(user_id, name);"
	"INSERT INTO devices4 (id, user_id, name, kind, created, public_key, private_key_enc,"
	" preshared_key_enc, endpoint, rx_total, tx_total, seen_rx, seen_tx, credential_hash,"
	" enrolled, last_seen, profile_serial, profile_issued, profile_hash)"
	" SELECT d.id, u.id, d.name, 'agent', d.created, u.public_key, u.private_key_enc,"
	" u.preshared_key_enc, " M4_LAST_ENDPOINT ", u.rx_total, u.tx_total, u.seen_rx, u.seen_tx,"
	" d.credential_hash, d.enrolled, d.last_seen, d.profile_serial, d.profile_issued,"
	" d.profile_hash"
	" FROM devices d JOIN users u ON u.id = d.user_id WHERE d.enrolled IS NOT NULL"
	" ORDER BY d.id;"
	"INSERT INTO devices4 (id, user_id, name, kind, created, token_hash, token_expires,"
	" last_seen, profile_serial, profile_issued, profile_hash)"
	" SELECT id, user_id, name, 'agent', created, token_hash, token_expires, last_seen,"
	" profile_serial, profile_issued, profile_hash"
	" FROM devices WHERE enrolled IS NULL ORDER BY id;"
	/* a waiting device may carry its user's name, which the config device then cannot */
	"INSERT INTO devices4 (user_id, name, kind, created, public_key, private_key_enc,"
	" preshared_key_enc, endpoint, rx_total, tx_total, seen_rx, seen_tx)"
	" SELECT u.id, CASE WHEN EXISTS (SELECT 1 FROM devices d WHERE d.user_id = u.id"
	" AND d.name = u.name) THEN substr(u.name, 1, 25) || '-config' ELSE u.name END,"
	" 'config', u.created, u.public_key, u.private_key_enc, u.preshared_key_enc, "
	M4_LAST_ENDPOINT ", u.rx_total, u.tx_total, u.seen_rx, u.seen_tx"
	" FROM users u WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.user_id = u.id"
	" AND d.enrolled IS NOT NULL) ORDER BY u.id;"
	"CREATE TABLE addresses4 ("
	" device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
	" family INTEGER NOT NULL CHECK (family IN (4, 6)),"
	" address TEXT NOT NULL"
	") STRICT;"
	"INSERT INTO addresses4 (device_id, family, address)"
	" SELECT " M4_MAIN_DEVICE("a.user_id") ", a.family, a.address FROM addresses a"
	" ORDER BY a.rowid;"
	/* device_id is no reference: a deleted device's sessions stay in the log */
	"CREATE TABLE sessions4 ("
	" id INTEGER PRIMARY KEY,"
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" device_id INTEGER NOT NULL,"
	" started INTEGER NOT NULL,"
	" ended INTEGER,"
	" endpoint TEXT NOT NULL DEFAULT '',"
	" address TEXT NOT NULL DEFAULT '',"
	" rx INTEGER NOT NULL DEFAULT 0,"
	" tx INTEGER NOT NULL DEFAULT 0,"
	" last_seen INTEGER"
	") STRICT;"
	"INSERT INTO sessions4 (id, user_id, device_id, started, ended, endpoint, address, rx, tx,"
	" last_seen)"
	" SELECT s.id, s.user_id, " M4_MAIN_DEVICE("s.user_id") ", s.started, s.ended, s.endpoint,"
	" s.address, s.rx, s.tx, s.last_seen FROM sessions s ORDER BY s.id;"
	"DROP TABLE addresses;"
	"DROP TABLE sessions;"
	"DROP TABLE devices;"
	"DROP TABLE users;"
	"ALTER TABLE users4 RENAME TO users;"
	"ALTER TABLE devices4 RENAME TO devices;"
	"ALTER TABLE addresses4 RENAME TO addresses;"
	"ALTER TABLE sessions4 RENAME TO sessions;"
	"CREATE UNIQUE INDEX users_name ON users(name);"
	/* the console's sort orders, each with the id that breaks its ties */
	"CREATE INDEX users_created ON users(created, id);"
	"CREATE INDEX users_expires ON users(ifnull(expires, " DBI_NEVER "), id);"
	"CREATE INDEX users_used ON users((rx_total + tx_total), id);"
	"CREATE INDEX users_disabled ON users(disabled_reason);"
	"CREATE INDEX users_group ON users(group_id);"
	/* the expiry timer asks for the earliest expiry of an enabled user */
	"CREATE INDEX users_next_expiry ON users(expires)"
	" WHERE expires IS NOT NULL AND disabled_reason IS NULL;"
	"CREATE UNIQUE INDEX devices_public_key ON devices(public_key);"
	"CREATE UNIQUE INDEX devices_token ON devices(token_hash);"
	"CREATE UNIQUE INDEX devices_credential ON devices(credential_hash);"
	/* the users page searches every device's name and endpoint: this is narrower to
	 * read than the rows with their keys */
	"CREATE INDEX devices_search ON devices(name, endpoint, user_id);"
	"CREATE UNIQUE INDEX addresses_address ON addresses(address);"
	"CREATE UNIQUE INDEX addresses_device ON addresses(device_id, family);"
	"CREATE INDEX addresses_family ON addresses(family);"
	"CREATE INDEX sessions_started ON sessions(started, id);"
	"CREATE INDEX sessions_user_started ON sessions(user_id, started, id);"
	"CREATE INDEX sessions_device_started ON sessions(device_id, started, id);"
	/* open sessions (NULL) at start, closed ones by their end for retention */
	"CREATE INDEX sessions_ended ON sessions(ended);"
	"CREATE TABLE admins ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" role TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),"
	" created INTEGER NOT NULL,"
	" password_hash TEXT,"
	" must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),"
	" totp_secret_enc BLOB,"
	" totp_last_step INTEGER NOT NULL DEFAULT 0,"
	" last_login INTEGER"
	") STRICT;"
	/* the tokens made before roles could do everything */
	"ALTER TABLE admin_tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'"
	" CHECK (role IN ('admin', 'viewer'));"
	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY,"
	" at INTEGER NOT NULL,"
	" actor TEXT NOT NULL,"
	" source TEXT NOT NULL,"
	" op TEXT NOT NULL,"
	" target TEXT NOT NULL,"
	" status INTEGER NOT NULL CHECK (status BETWEEN 100 AND 599),"
	" detail TEXT NOT NULL"
	") STRICT;"
	"CREATE INDEX audit_at ON audit(at, id);"
	"CREATE INDEX audit_actor ON audit(actor, at, id);"
	"CREATE TABLE settings ("
	" key TEXT PRIMARY KEY,"
	" value TEXT NOT NULL,"
	" updated INTEGER NOT NULL,"
	" updated_by TEXT NOT NULL"
	") STRICT, WITHOUT ROWID;"
	/* no reference to users: a deleted user's bytes stay in the server's history */
	"CREATE TABLE traffic ("
	" user_id INTEGER NOT NULL,"
	" hour INTEGER NOT NULL CHECK (hour % 3600 = 0),"
	" rx INTEGER NOT NULL,"
	" tx INTEGER NOT NULL,"
	" PRIMARY KEY (user_id, hour)"
	") STRICT, WITHOUT ROWID;"
	/* covers the sums over a window for all users */
	"CREATE INDEX traffic_hour ON traffic(hour, rx, tx);",
	/* 5: announcements with read marks, the services catalog, voucher batches and codes */
	"CREATE TABLE announcements ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" title TEXT NOT NULL,"
	" text TEXT NOT NULL,"
	/* NULL: everyone */
	" group_id INTEGER REFERENCES groups(id) ON DELETE CASCADE,"
	" pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),"
	/* NULL: shown until deleted */
	" until INTEGER,"
	" created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL,"
	" author TEXT NOT NULL"
	") STRICT;"
	/* a feed: pinned first, then newest */
	"CREATE INDEX announcements_feed ON announcements(pinned, created, id);"
	/* a group's deletion finds its announcements */
	"CREATE INDEX announcements_group ON announcements(group_id);"
	"CREATE TABLE announcement_reads ("
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" announcement_id INTEGER NOT NULL REFERENCES announcements(id) ON DELETE CASCADE,"
	" at INTEGER NOT NULL,"
	" PRIMARY KEY (user_id, announcement_id)"
	") STRICT, WITHOUT ROWID;"
	"CREATE INDEX announcement_reads_announcement ON announcement_reads(announcement_id);"
	"CREATE TABLE services ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	/* an address, HOST:PORT or a URL, as the user should type it */
	" address TEXT NOT NULL,"
	" description TEXT NOT NULL DEFAULT '',"
	" created INTEGER NOT NULL"
	") STRICT;"
	/* no row for a service: every group sees it. A group named here is not deleted (a
	 * service for one group would become everyone's): no cascade from groups. */
	"CREATE TABLE service_groups ("
	" service_id INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,"
	" group_id INTEGER NOT NULL REFERENCES groups(id),"
	" PRIMARY KEY (service_id, group_id)"
	") STRICT, WITHOUT ROWID;"
	"CREATE INDEX service_groups_group ON service_groups(group_id);"
	"CREATE TABLE voucher_batches ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL UNIQUE,"
	" created INTEGER NOT NULL,"
	" created_by TEXT NOT NULL,"
	/* seconds added to the account's expiry; NULL: the expiry is left alone */
	" duration INTEGER CHECK (duration > 0),"
	" quota_bytes INTEGER CHECK (quota_bytes > 0),"
	" quota_period TEXT NOT NULL DEFAULT 'total' CHECK (quota_period IN ('total', 'month')),"
	/* NULL: a new account goes to the default group, an extended one keeps its own */
	" group_id INTEGER REFERENCES groups(id) ON DELETE SET NULL,"
	/* the codes redeem until then; NULL: no end */
	" expires INTEGER,"
	" uses INTEGER NOT NULL DEFAULT 1 CHECK (uses >= 1),"
	" revoked INTEGER"
	") STRICT;"
	/* a code is kept only as its keyed hash */
	"CREATE TABLE vouchers ("
	" id INTEGER PRIMARY KEY,"
	" batch_id INTEGER NOT NULL REFERENCES voucher_batches(id) ON DELETE CASCADE,"
	" hash BLOB NOT NULL UNIQUE,"
	" used INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0)"
	") STRICT;"
	"CREATE INDEX vouchers_batch ON vouchers(batch_id, used);"
	/* no reference to users: who redeemed what outlives the account */
	"CREATE TABLE voucher_redemptions ("
	" id INTEGER PRIMARY KEY,"
	" voucher_id INTEGER NOT NULL REFERENCES vouchers(id) ON DELETE CASCADE,"
	/* the voucher's, so a batch's redemptions page without a join */
	" batch_id INTEGER NOT NULL REFERENCES voucher_batches(id) ON DELETE CASCADE,"
	" user_name TEXT NOT NULL,"
	" at INTEGER NOT NULL,"
	" source TEXT NOT NULL,"
	" created_account INTEGER NOT NULL CHECK (created_account IN (0, 1))"
	") STRICT;"
	"CREATE INDEX voucher_redemptions_voucher ON voucher_redemptions(voucher_id, user_name);"
	"CREATE INDEX voucher_redemptions_batch ON voucher_redemptions(batch_id, id);",
	/* 6: a group's access policy, each column NULL where the group takes the file's
	 * server.policy; a user's own rate, NULL for the group's */
	"ALTER TABLE groups ADD COLUMN destinations TEXT;"
	"ALTER TABLE groups ADD COLUMN schedule TEXT;"
	"ALTER TABLE groups ADD COLUMN sources TEXT;"
	"ALTER TABLE groups ADD COLUMN rate TEXT;"
	"ALTER TABLE groups ADD COLUMN isolate INTEGER CHECK (isolate IN (0, 1));"
	"ALTER TABLE groups ADD COLUMN portal_login INTEGER CHECK (portal_login IN (0, 1));"
	"ALTER TABLE groups ADD COLUMN idle_s INTEGER CHECK (idle_s BETWEEN 0 AND 4294967295);"
	"ALTER TABLE groups ADD COLUMN max_maps INTEGER CHECK (max_maps BETWEEN 0 AND 65535);"
	"ALTER TABLE users ADD COLUMN rate TEXT;",
	/* 7: the resolver's internal records, custom rules, block lists, the query log with
	 * its names interned, and hourly roll-ups for the statistics */
	"CREATE TABLE dns_records ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL CHECK (name <> '' AND name = lower(name)),"
	" type TEXT NOT NULL CHECK (type IN ('A', 'AAAA', 'CNAME', 'TXT', 'SRV')),"
	" value TEXT NOT NULL CHECK (value <> ''),"
	" ttl INTEGER NOT NULL DEFAULT 300 CHECK (ttl BETWEEN 0 AND 2147483647),"
	" created INTEGER NOT NULL,"
	" UNIQUE (name, type, value)"
	") STRICT;"
	"CREATE TABLE dns_rules ("
	" id INTEGER PRIMARY KEY,"
	" pattern TEXT NOT NULL CHECK (pattern <> ''),"
	" action TEXT NOT NULL CHECK (action IN ('block', 'allow')),"
	/* NULL: every group */
	" group_id INTEGER REFERENCES groups(id) ON DELETE CASCADE,"
	" note TEXT NOT NULL DEFAULT '',"
	" created INTEGER NOT NULL"
	") STRICT;"
	/* NULLs are distinct in a UNIQUE constraint: every group's rule would repeat */
	"CREATE UNIQUE INDEX dns_rules_unique ON dns_rules(pattern, action, ifnull(group_id, 0));"
	"CREATE INDEX dns_rules_group ON dns_rules(group_id);"
	/* AUTOINCREMENT: the query log keeps a deleted list's id */
	"CREATE TABLE dns_lists ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL UNIQUE,"
	" source TEXT NOT NULL CHECK (source <> ''),"
	" enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),"
	" refresh_s INTEGER NOT NULL DEFAULT 86400 CHECK (refresh_s > 0),"
	" etag TEXT,"
	" last_modified TEXT,"
	" fetched_at INTEGER,"
	" entries INTEGER NOT NULL DEFAULT 0,"
	" bad_lines INTEGER NOT NULL DEFAULT 0,"
	" error TEXT,"
	" created INTEGER NOT NULL"
	") STRICT;"
	/* no row for a list: every group. As for services, a group named here is not
	 * deleted (a list for one group would become everyone's): no cascade from groups. */
	"CREATE TABLE dns_list_groups ("
	" list_id INTEGER NOT NULL REFERENCES dns_lists(id) ON DELETE CASCADE,"
	" group_id INTEGER NOT NULL REFERENCES groups(id),"
	" PRIMARY KEY (list_id, group_id)"
	") STRICT, WITHOUT ROWID;"
	"CREATE INDEX dns_list_groups_group ON dns_list_groups(group_id);"
	"CREATE TABLE dns_names ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE"
	") STRICT;"
	/* One row a query, as small as SQLite stores it: ids ascend with time (the writer
	 * keeps it non-decreasing), so a row holds only its millisecond and the second is
	 * dns_log_seconds' (a full time would take 7 bytes a row); a time range is an id
	 * range. Zeros and NULLs take no bytes. list_id NULL: not blocked, 0: a custom
	 * rule. No references: a deleted user's, device's or list's id stays. */
	"CREATE TABLE dns_log ("
	" id INTEGER PRIMARY KEY,"
	" ms INTEGER NOT NULL DEFAULT 0,"
	" user_id INTEGER NOT NULL,"
	" device_id INTEGER NOT NULL,"
	" name_id INTEGER NOT NULL,"
	" qtype INTEGER NOT NULL,"
	" rcode INTEGER NOT NULL,"
	" list_id INTEGER,"
	" upstream_us INTEGER NOT NULL DEFAULT 0,"
	" collapsed INTEGER NOT NULL DEFAULT 0"
	") STRICT;"
	/* by user (and so by device, one user's), by name; each entry ends with the id, so
	 * newest first and a time range are read off the index */
	"CREATE INDEX dns_log_user ON dns_log(user_id);"
	"CREATE INDEX dns_log_name ON dns_log(name_id);"
	/* the log's clock: the first row of each second that has rows (Unix seconds) */
	"CREATE TABLE dns_log_seconds ("
	" at INTEGER PRIMARY KEY,"
	" first_id INTEGER NOT NULL UNIQUE"
	") STRICT;"
	/* each device the log has seen, with its user: a search by device reads its user's
	 * index, also once the device is deleted */
	"CREATE TABLE dns_log_devices ("
	" device_id INTEGER PRIMARY KEY,"
	" user_id INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE dns_hourly ("
	" hour INTEGER NOT NULL CHECK (hour % 3600 = 0),"
	" user_id INTEGER NOT NULL,"
	" queries INTEGER NOT NULL DEFAULT 0,"
	" blocked INTEGER NOT NULL DEFAULT 0,"
	" nxdomain INTEGER NOT NULL DEFAULT 0,"
	" servfail INTEGER NOT NULL DEFAULT 0,"
	" upstream_n INTEGER NOT NULL DEFAULT 0,"
	" upstream_us_sum INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (hour, user_id)"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE dns_hourly_names ("
	" hour INTEGER NOT NULL CHECK (hour % 3600 = 0),"
	" name_id INTEGER NOT NULL,"
	" queries INTEGER NOT NULL DEFAULT 0,"
	" blocked INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (hour, name_id)"
	") STRICT, WITHOUT ROWID;",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == DB_SCHEMA_VERSION,
	       "DB_SCHEMA_VERSION must match the migrations");

enum { ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_FK_CHECK, ST_COUNT };

static const char *const sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_FK_CHECK] = "PRAGMA foreign_key_check",
};

_Static_assert(ST_COUNT <= DBI_NOUN_STMTS, "too many statements");

void dbi_err(struct db *db, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(db->err, sizeof(db->err), fmt, ap);
	va_end(ap);
}

int dbi_rc_errno(int rc)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return -EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return -ENOENT;
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
	case SQLITE_CONSTRAINT_DATATYPE:
		return -EINVAL;
	}
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

int dbi_sql_err(struct db *db, int rc)
{
	dbi_err(db, "%s", sqlite3_errmsg(db->sq));
	return dbi_rc_errno(rc);
}

static sqlite3_stmt *prepare(struct db *db, sqlite3_stmt **slot, const char *text)
{
	int rc;

	if (*slot)
		return *slot;
	rc = sqlite3_prepare_v3(db->sq, text, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
	if (rc != SQLITE_OK) {
		dbi_sql_err(db, rc);
		*slot = NULL;
	}
	return *slot;
}

sqlite3_stmt *dbi_stmt(struct db *db, enum dbi_noun noun, int id, const char *text)
{
	return prepare(db, &db->stmts[noun][id], text);
}

sqlite3_stmt *dbi_stmt_dyn(struct db *db, int slot, const char *text)
{
	return prepare(db, &db->dyn[slot], text);
}

void dbi_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

int dbi_exec(struct db *db, sqlite3_stmt *s, int *changes)
{
	int rc = sqlite3_step(s), ret = 0;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = dbi_sql_err(db, rc);
	else if (changes)
		*changes = sqlite3_changes(db->sq);
	dbi_done(s);
	return ret;
}

int dbi_exec_one(struct db *db, sqlite3_stmt *s, const char *what)
{
	int changes = 0, ret = dbi_exec(db, s, &changes);

	if (ret == 0 && changes == 0) {
		dbi_err(db, "no such %s", what);
		ret = -ENOENT;
	}
	return ret;
}

int dbi_walk(struct db *db, sqlite3_stmt *s, dbi_row_fn row, void *ctx)
{
	int rc, ret = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ret = row(db, s, ctx);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = dbi_sql_err(db, rc);
	dbi_done(s);
	return ret;
}

int dbi_get_one(struct db *db, sqlite3_stmt *s, dbi_row_fn row, void *ctx, const char *what)
{
	int rc = sqlite3_step(s), ret;

	if (rc == SQLITE_ROW)
		ret = row(db, s, ctx);
	else if (rc == SQLITE_DONE) {
		dbi_err(db, "no such %s", what);
		ret = -ENOENT;
	} else
		ret = dbi_sql_err(db, rc);
	dbi_done(s);
	return ret;
}

int dbi_int(struct db *db, sqlite3_stmt *s, int64_t *v)
{
	int rc = sqlite3_step(s), ret = 0;

	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE)
		*v = 0;
	else
		ret = dbi_sql_err(db, rc);
	dbi_done(s);
	return ret;
}

int dbi_sql(struct db *db, const char *text)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db->sq, text, NULL, NULL, &msg);

	if (rc == SQLITE_OK)
		return 0;
	dbi_err(db, "%s", msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return dbi_rc_errno(rc);
}

void dbi_bind_int_or_null(sqlite3_stmt *s, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

void dbi_bind_blob_or_null(sqlite3_stmt *s, int i, const void *p, size_t len)
{
	if (len)
		sqlite3_bind_blob(s, i, p, (int)len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

void dbi_bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
	if (v && v[0])
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

void dbi_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_STATIC);
}

int dbi_col_text(sqlite3_stmt *s, int col, char *dst, size_t size)
{
	const char *v = (const char *)sqlite3_column_text(s, col);

	return strlcpy_check(dst, v ? v : "", size) < 0 ? -EIO : 0;
}

int dbi_col_blob(sqlite3_stmt *s, int col, uint8_t *dst, size_t max, size_t *len)
{
	const void *p = sqlite3_column_blob(s, col);
	int n = sqlite3_column_bytes(s, col);

	*len = 0;
	if (n < 0 || (size_t)n > max)
		return -EIO;
	if (n)
		memcpy(dst, p, (size_t)n);
	*len = (size_t)n;
	return 0;
}

int dbi_check_name(struct db *db, const char *what, const char *name, size_t size)
{
	size_t n = strnlen(name, size);

	if (n == 0 || n > DB_NAME_MAX || n == size) {
		dbi_err(db, "%s: empty or longer than %d bytes", what, DB_NAME_MAX);
		return -EINVAL;
	}
	return 0;
}

int dbi_check_text(struct db *db, const char *what, const char *v, size_t size)
{
	if (v && strnlen(v, size) >= size) {
		dbi_err(db, "%s: longer than %zu bytes", what, size - 1);
		return -EINVAL;
	}
	return 0;
}

int dbi_like(struct db *db, const char *q, char out[DBI_LIKE_MAX])
{
	size_t n = 0;

	if (strnlen(q, DB_QUERY_MAX + 1) > DB_QUERY_MAX) {
		dbi_err(db, "search text longer than %d bytes", DB_QUERY_MAX);
		return -EINVAL;
	}
	out[n++] = '%';
	for (; *q; q++) {
		if (*q == '%' || *q == '_' || *q == '\\')
			out[n++] = '\\';
		out[n++] = *q;
	}
	out[n++] = '%';
	out[n] = '\0';
	return 0;
}

int64_t dbi_now(void)
{
	return (int64_t)time(NULL);
}

/* mktime of a local date at 00:00, the zone's offset found for that very day. */
static int64_t local_midnight(struct tm *tm)
{
	tm->tm_hour = tm->tm_min = tm->tm_sec = 0;
	tm->tm_isdst = -1;
	return (int64_t)mktime(tm);
}

int64_t dbi_day_start(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm))
		return t - t % 86400;
	return local_midnight(&tm);
}

int64_t dbi_day_next(int64_t day)
{
	time_t tt = (time_t)day;
	struct tm tm;
	int64_t next;

	if (!localtime_r(&tt, &tm))
		return day + 86400;
	tm.tm_mday++;
	next = local_midnight(&tm);
	/* a zone whose midnight does not exist: mktime may land before it; never loop */
	return next > day ? next : day + 86400;
}

char *dbi_page_sql(const struct dbi_page *p)
{
	const char *dir = p->desc ? "DESC" : "ASC", *cmp = p->desc ? "<" : ">";

	if (!p->after)
		return xasprintf("%s SELECT %s, %s AS sort_key FROM %s WHERE 1%s"
				 " ORDER BY sort_key %s, id %s LIMIT ?3",
				 p->with, p->cols, p->key, p->table, p->where, dir, dir);
	if (p->unique)
		return xasprintf("%s SELECT %s, %s AS sort_key FROM %s WHERE %s %s ?1%s"
				 " ORDER BY sort_key %s, id %s LIMIT ?3",
				 p->with, p->cols, p->key, p->table, p->key, cmp, p->where, dir,
				 dir);
	/* (key, id) > (?1, ?2) as a row value uses only the key of the index: a page deep
	 * inside many equal keys would walk all that come before it */
	return xasprintf("%s SELECT * FROM (SELECT %s, %s AS sort_key FROM %s"
			 " WHERE %s = ?1 AND id %s ?2%s ORDER BY id %s LIMIT ?3)"
			 " UNION ALL SELECT %s, %s AS sort_key FROM %s WHERE %s %s ?1%s"
			 " ORDER BY sort_key %s, id %s LIMIT ?3",
			 p->with, p->cols, p->key, p->table, p->key, cmp, p->where, dir,
			 p->cols, p->key, p->table, p->key, cmp, p->where, dir, dir);
}

/* tag, id, key (8 bytes, or the text), then a check over all of it */
#define CURSOR_CHECK 4
#define CURSOR_BIN_MAX (1 + 8 + DB_NAME_MAX + CURSOR_CHECK)

static void put64(uint8_t *p, int64_t v)
{
	uint64_t u = (uint64_t)v;
	int i;

	for (i = 7; i >= 0; i--, u >>= 8)
		p[i] = (uint8_t)u;
}

static int64_t get64(const uint8_t *p)
{
	uint64_t u = 0;
	int i;

	for (i = 0; i < 8; i++)
		u = u << 8 | p[i];
	return (int64_t)u;
}

static void cursor_check(uint8_t out[CURSOR_CHECK], const uint8_t *p, size_t n)
{
	uint8_t h[crypto_generichash_BYTES_MIN];

	crypto_generichash(h, sizeof(h), p, n, NULL, 0);
	memcpy(out, h, CURSOR_CHECK);
}

void dbi_cursor_encode(char out[DB_CURSOR_MAX + 1], uint8_t tag, int64_t id, int64_t key,
		       const char *text)
{
	uint8_t bin[CURSOR_BIN_MAX];
	size_t n = 0, len;

	bin[n++] = tag;
	put64(bin + n, id);
	n += 8;
	if (text) {
		len = strnlen(text, DB_NAME_MAX);
		memcpy(bin + n, text, len);
		n += len;
	} else {
		put64(bin + n, key);
		n += 8;
	}
	cursor_check(bin + n, bin, n);
	n += CURSOR_CHECK;
	_Static_assert(sodium_base64_ENCODED_LEN(CURSOR_BIN_MAX,
		       sodium_base64_VARIANT_URLSAFE_NO_PADDING) <= DB_CURSOR_MAX + 1,
		       "cursor does not fit");
	sodium_bin2base64(out, DB_CURSOR_MAX + 1, bin, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int dbi_cursor_decode(struct db *db, const char *in, uint8_t tag, bool text,
		      struct dbi_cursor *c)
{
	uint8_t bin[CURSOR_BIN_MAX], check[CURSOR_CHECK];
	size_t len = strnlen(in, DB_CURSOR_MAX + 1), n = 0, keylen;
	char canon[DB_CURSOR_MAX + 1];
	const char *end = NULL;

	memset(c, 0, sizeof(*c));
	if (len > DB_CURSOR_MAX ||
	    sodium_base642bin(bin, sizeof(bin), in, len, NULL, &n, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    end != in + len || n < 1 + 8 + CURSOR_CHECK)
		goto bad;
	keylen = n - 1 - 8 - CURSOR_CHECK;
	cursor_check(check, bin, n - CURSOR_CHECK);
	if (memcmp(check, bin + n - CURSOR_CHECK, CURSOR_CHECK) != 0 || bin[0] != tag)
		goto bad;
	c->id = get64(bin + 1);
	if (text) {
		if (keylen == 0 || keylen > DB_NAME_MAX || memchr(bin + 9, '\0', keylen))
			goto bad;
		memcpy(c->text, bin + 9, keylen);
		c->text[keylen] = '\0';
	} else {
		if (keylen != 8)
			goto bad;
		c->key = get64(bin + 9);
	}
	/* one text per cursor: base64 that differs only in its unused bits is not it */
	dbi_cursor_encode(canon, tag, c->id, c->key, text ? c->text : NULL);
	if (strcmp(canon, in) != 0)
		goto bad;
	return 0;
bad:
	dbi_err(db, "not a cursor of this list (a page's \"next\", for the same sort)");
	return -EINVAL;
}

int dbi_page_walk(struct db *db, sqlite3_stmt *s, size_t limit, int key_col, bool text,
		  dbi_row_fn row, void *ctx, bool *more, struct dbi_cursor *last)
{
	size_t n = 0;
	int rc, ret = 0;

	*more = false;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (limit && n == limit) {
			*more = true;
			break;
		}
		n++;
		last->id = sqlite3_column_int64(s, 0);
		if (text) {
			if (dbi_col_text(s, key_col, last->text, sizeof(last->text)) < 0) {
				dbi_err(db, "row %" PRId64 ": sort key too long", last->id);
				ret = -EIO;
				break;
			}
		} else
			last->key = sqlite3_column_int64(s, key_col);
		ret = row(db, s, ctx);
		if (ret)
			break;
	}
	if (!ret && !*more && rc != SQLITE_DONE)
		ret = dbi_sql_err(db, rc);
	dbi_done(s);
	return ret;
}

static int pragma_int(struct db *db, const char *text, int64_t *v)
{
	sqlite3_stmt *s;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(db->sq, text, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return dbi_sql_err(db, rc);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE) {
		dbi_err(db, "%s: no value", text);
		ret = -ENOENT;
	} else
		ret = dbi_sql_err(db, rc);
	sqlite3_finalize(s);
	return ret;
}

/* After a migration, inside its transaction: every reference still points at a row. */
static int fk_check(struct db *db)
{
	sqlite3_stmt *s = dbi_stmt(db, DBI_DB, ST_FK_CHECK, sql[ST_FK_CHECK]);
	const char *table;
	int rc, ret = 0;

	if (!s)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		table = (const char *)sqlite3_column_text(s, 0);
		dbi_err(db, "table %s, row %" PRId64 ": refers to a row that does not exist",
			table ? table : "?", (int64_t)sqlite3_column_int64(s, 1));
		ret = -EIO;
	} else if (rc != SQLITE_DONE)
		ret = dbi_sql_err(db, rc);
	dbi_done(s);
	return ret;
}

/* One transaction per migration, the version read inside it, so two processes opening a
 * new database at once do not both migrate. Foreign keys can only be switched outside a
 * transaction: off for the whole run, on again whatever happened. */
static int migrate(struct db *db, const char *path)
{
	const int64_t latest = (int64_t)ARRAY_SIZE(migrations);
	int64_t v;
	char text[64];
	int ret;

	ret = dbi_sql(db, "PRAGMA foreign_keys = OFF");
	if (ret < 0)
		return ret;
	for (;;) {
		ret = dbi_sql(db, "BEGIN IMMEDIATE");
		if (ret < 0)
			goto out;
		ret = pragma_int(db, "PRAGMA user_version", &v);
		if (ret < 0)
			goto fail;
		if (v > latest || v < 0) {
			dbi_err(db, "schema version %" PRId64 " is newer than this warren's (%" PRId64
				")", v, latest);
			ret = -EPROTONOSUPPORT;
			goto fail;
		}
		if (v == latest) {
			ret = dbi_sql(db, "COMMIT");
			goto out;
		}
		ret = dbi_sql(db, migrations[v]);
		if (ret < 0)
			goto fail;
		ret = fk_check(db);
		if (ret < 0)
			goto fail;
		snprintf(text, sizeof(text), "PRAGMA user_version = %" PRId64, v + 1);
		ret = dbi_sql(db, text);
		if (ret < 0)
			goto fail;
		ret = dbi_sql(db, "COMMIT");
		if (ret < 0)
			goto fail;
		log_info("database %s: schema migrated to version %" PRId64, path, v + 1);
	}
fail:
	sqlite3_exec(db->sq, "ROLLBACK", NULL, NULL, NULL);
out:
	if (sqlite3_exec(db->sq, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK &&
	    ret == 0)
		ret = dbi_sql_err(db, SQLITE_ERROR);
	return ret;
}

static int configure(struct db *db)
{
	sqlite3_stmt *s;
	const char *mode;
	int64_t fk = 0;
	int rc, ret;

	sqlite3_extended_result_codes(db->sq, 1);
	sqlite3_busy_timeout(db->sq, 5000);
	rc = sqlite3_prepare_v2(db->sq, "PRAGMA journal_mode = WAL", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return dbi_sql_err(db, rc);
	rc = sqlite3_step(s);
	mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
	ret = rc == SQLITE_ROW ? 0 : dbi_sql_err(db, rc);
	if (!ret && (!mode || strcmp(mode, "wal") != 0)) {
		dbi_err(db, "cannot switch to WAL journal (mode %s)", mode ? mode : "?");
		ret = -EIO;
	}
	sqlite3_finalize(s);
	if (ret < 0)
		return ret;
	ret = dbi_sql(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;"
			  /* reads through the page cache rather than one read(2) per page */
			  " PRAGMA mmap_size = 268435456;");
	if (ret < 0)
		return ret;
	/* foreign_keys silently does nothing in a build without them */
	ret = pragma_int(db, "PRAGMA foreign_keys", &fk);
	if (ret < 0)
		return ret;
	if (fk != 1) {
		dbi_err(db, "this SQLite does not enforce foreign keys");
		return -ENOTSUP;
	}
	return 0;
}

int db_open(const char *path, struct db **out)
{
	struct db *db;
	int fd, rc, ret;

	*out = NULL;
	/* SQLite would create the file with the umask's mode; the WAL and shm files copy this
	 * one. Only a file made here is closed here: closing any descriptor of a file drops
	 * every POSIX lock the process holds on it, a second connection's open included, and
	 * with them the first connection's claim on the WAL. */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && errno != EEXIST) {
		ret = -errno;
		log_err("database %s: %s", path, strerror(-ret));
		return ret;
	}
	if (fd >= 0)
		close(fd);
	db = xcalloc(1, sizeof(*db));
	rc = sqlite3_open_v2(path, &db->sq, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		ret = db->sq ? dbi_sql_err(db, rc) : -ENOMEM;
		goto fail;
	}
	ret = configure(db);
	if (ret < 0)
		goto fail;
	ret = migrate(db, path);
	if (ret < 0)
		goto fail;
	*out = db;
	return 0;
fail:
	log_err("database %s: %s", path, db->err[0] ? db->err : strerror(-ret));
	db_close(db);
	return ret;
}

void db_close(struct db *db)
{
	size_t i, j;

	if (!db)
		return;
	for (i = 0; i < DBI_NOUNS; i++)
		for (j = 0; j < DBI_NOUN_STMTS; j++)
			sqlite3_finalize(db->stmts[i][j]);
	for (i = 0; i < DBI_DYN_COUNT; i++)
		sqlite3_finalize(db->dyn[i]);
	sqlite3_close(db->sq);
	free(db);
}

const char *db_errmsg(const struct db *db)
{
	return db && db->err[0] ? db->err : "no error";
}

int db_pragma_int(struct db *db, const char *name, int64_t *v)
{
	char text[64];

	if (!name[0] || strspn(name, "abcdefghijklmnopqrstuvwxyz_") != strlen(name) ||
	    (size_t)snprintf(text, sizeof(text), "PRAGMA %s", name) >= sizeof(text)) {
		dbi_err(db, "bad pragma name");
		return -EINVAL;
	}
	return pragma_int(db, text, v);
}

static int run_simple(struct db *db, int id)
{
	sqlite3_stmt *s = dbi_stmt(db, DBI_DB, id, sql[id]);

	return s ? dbi_exec(db, s, NULL) : -EIO;
}

int db_begin(struct db *db)
{
	return run_simple(db, ST_BEGIN);
}

int db_commit(struct db *db)
{
	return run_simple(db, ST_COMMIT);
}

int db_rollback(struct db *db)
{
	if (sqlite3_get_autocommit(db->sq))
		return 0;
	return run_simple(db, ST_ROLLBACK);
}
