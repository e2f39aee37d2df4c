/* Devices in SQLite: one peer each, with its keys, last endpoint, counters, and for agent
 * devices the enrolment token, credential and pulled profile. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "dbint.h"

#define DEVICE_COLS "id, user_id, name, kind, created, public_key, private_key_enc," \
	" preshared_key_enc, endpoint, rx_total, tx_total, seen_rx, seen_tx, token_expires," \
	" enrolled, last_seen, profile_serial, profile_issued, profile_hash"

enum {
	ST_ADD, ST_GET, ST_GET_NAME, ST_GET_KEY, ST_GET_TOKEN, ST_GET_CRED, ST_KEYS, ST_ENDPOINT,
	ST_ENROLL, ST_SEEN, ST_PROFILE, ST_DELETE, ST_LIST, ST_LIST_USER, ST_COUNT_ALL,
	ST_COUNT_USER, ST_COUNT
};

static const char *const sql[ST_COUNT] = {
	[ST_ADD] = "INSERT INTO devices (user_id, name, kind, created, public_key, private_key_enc,"
		" preshared_key_enc, token_hash, token_expires)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_GET] = "SELECT " DEVICE_COLS " FROM devices WHERE id = ?1",
	[ST_GET_NAME] = "SELECT " DEVICE_COLS " FROM devices WHERE user_id = ?1 AND name = ?2",
	[ST_GET_KEY] = "SELECT " DEVICE_COLS " FROM devices WHERE public_key = ?1",
	/* an enrolment token works until it is used or expires */
	[ST_GET_TOKEN] = "SELECT " DEVICE_COLS " FROM devices WHERE token_hash = ?1"
		" AND enrolled IS NULL AND token_expires > ?2",
	[ST_GET_CRED] = "SELECT " DEVICE_COLS " FROM devices WHERE credential_hash = ?1",
	/* a new key is a new peer on the link, whose counters start again from 0 */
	[ST_KEYS] = "UPDATE devices SET seen_rx = CASE WHEN public_key IS ?2 THEN seen_rx ELSE 0"
		" END, seen_tx = CASE WHEN public_key IS ?2 THEN seen_tx ELSE 0 END,"
		" public_key = ?2, private_key_enc = ?3, preshared_key_enc = ?4 WHERE id = ?1",
	[ST_ENDPOINT] = "UPDATE devices SET endpoint = ?2 WHERE id = ?1",
	[ST_ENROLL] = "UPDATE devices SET token_hash = NULL, token_expires = NULL,"
		" credential_hash = ?2, enrolled = ?3, last_seen = ?3, public_key = ?4,"
		" private_key_enc = ?5, preshared_key_enc = ?6, seen_rx = 0, seen_tx = 0"
		" WHERE id = ?1 AND token_hash IS NOT NULL AND enrolled IS NULL"
		" AND token_expires > ?3",
	[ST_SEEN] = "UPDATE devices SET last_seen = ?2 WHERE id = ?1",
	[ST_PROFILE] = "UPDATE devices SET profile_serial = ?2, profile_hash = ?3,"
		" profile_issued = ?4 WHERE id = ?1",
	[ST_DELETE] = "DELETE FROM devices WHERE id = ?1",
	[ST_LIST] = "SELECT " DEVICE_COLS " FROM devices ORDER BY id",
	[ST_LIST_USER] = "SELECT " DEVICE_COLS " FROM devices WHERE user_id = ?1 ORDER BY id",
	[ST_COUNT_ALL] = "SELECT count(*) FROM devices",
	[ST_COUNT_USER] = "SELECT count(*) FROM devices WHERE user_id = ?1",
};

_Static_assert(ST_COUNT <= DBI_NOUN_STMTS, "too many statements");

#define STMT(db, id) dbi_stmt(db, DBI_DEVICE, id, sql[id])

void db_device_wipe(struct db_device *d)
{
	sodium_memzero(d, sizeof(*d));
}

/* The keys as add, set_keys and enroll write them: ?k public, ?k+1 private, ?k+2
 * preshared; pub holds the text public_key points into. */
static int bind_keys(struct db *db, sqlite3_stmt *s, int k, const struct db_device *d,
		     char pub[KEY_B64_LEN])
{
	if (d->private_key_enc_len > DB_SECRET_MAX || d->preshared_key_enc_len > DB_SECRET_MAX) {
		dbi_err(db, "device %.*s: encrypted key too long", DB_NAME_MAX, d->name);
		return -EINVAL;
	}
	if (!d->has_key && (d->kind != DB_DEVICE_AGENT || d->private_key_enc_len)) {
		dbi_err(db, "device %.*s: only an agent device waits for its key", DB_NAME_MAX,
			d->name);
		return -EINVAL;
	}
	if (d->has_key) {
		key_to_base64(pub, d->public_key);
		sqlite3_bind_text(s, k, pub, -1, SQLITE_STATIC);
	} else
		sqlite3_bind_null(s, k);
	dbi_bind_blob_or_null(s, k + 1, d->private_key_enc, d->private_key_enc_len);
	dbi_bind_blob_or_null(s, k + 2, d->preshared_key_enc, d->preshared_key_enc_len);
	return 0;
}

int db_device_add(struct db *db, const struct db_device *d, const uint8_t *token_hash,
		  int64_t *id)
{
	char pub[KEY_B64_LEN];
	sqlite3_stmt *s;
	int ret;

	ret = dbi_check_name(db, "device name", d->name, sizeof(d->name));
	if (ret < 0)
		return ret;
	if ((unsigned int)d->kind > DB_DEVICE_AGENT || (token_hash && d->kind != DB_DEVICE_AGENT)) {
		dbi_err(db, "device %s: bad kind, or a token for a config device", d->name);
		return -EINVAL;
	}
	s = STMT(db, ST_ADD);
	if (!s)
		return -EIO;
	ret = bind_keys(db, s, 5, d, pub);
	if (ret < 0) {
		dbi_done(s);
		return ret;
	}
	sqlite3_bind_int64(s, 1, d->user_id);
	sqlite3_bind_text(s, 2, d->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, d->kind == DB_DEVICE_AGENT ? "agent" : "config", -1,
			  SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, d->created ? d->created : dbi_now());
	dbi_bind_blob_or_null(s, 8, token_hash, token_hash ? DB_HASH_LEN : 0);
	dbi_bind_int_or_null(s, 9, token_hash ? d->token_expires : 0);
	ret = dbi_exec(db, s, NULL);
	if (ret == 0 && id)
		*id = sqlite3_last_insert_rowid(db->sq);
	else if (ret == -EEXIST)
		dbi_err(db, "device %s: the user has one of that name, or its key or token is"
			" another device's", d->name);
	else if (ret == -ENOENT)
		dbi_err(db, "device %s: no user %" PRId64, d->name, d->user_id);
	return ret;
}

static int read_device(struct db *db, sqlite3_stmt *s, struct db_device *d)
{
	const char *kind = (const char *)sqlite3_column_text(s, 3);
	const char *pub = (const char *)sqlite3_column_text(s, 5);
	size_t n;

	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(s, 0);
	d->user_id = sqlite3_column_int64(s, 1);
	if (dbi_col_text(s, 2, d->name, sizeof(d->name)) < 0 || !d->name[0] || !kind)
		goto corrupt;
	if (strcmp(kind, "agent") == 0)
		d->kind = DB_DEVICE_AGENT;
	else if (strcmp(kind, "config") == 0)
		d->kind = DB_DEVICE_CONFIG;
	else
		goto corrupt;
	d->created = sqlite3_column_int64(s, 4);
	if (pub) {
		if (key_from_base64(d->public_key, pub) < 0)
			goto corrupt;
		d->has_key = true;
	}
	if (dbi_col_blob(s, 6, d->private_key_enc, DB_SECRET_MAX, &d->private_key_enc_len) < 0 ||
	    dbi_col_blob(s, 7, d->preshared_key_enc, DB_SECRET_MAX, &d->preshared_key_enc_len) < 0 ||
	    dbi_col_text(s, 8, d->endpoint, sizeof(d->endpoint)) < 0)
		goto corrupt;
	d->rx_total = (uint64_t)sqlite3_column_int64(s, 9);
	d->tx_total = (uint64_t)sqlite3_column_int64(s, 10);
	d->seen_rx = (uint64_t)sqlite3_column_int64(s, 11);
	d->seen_tx = (uint64_t)sqlite3_column_int64(s, 12);
	d->token_expires = sqlite3_column_int64(s, 13);
	d->enrolled = sqlite3_column_int64(s, 14);
	d->last_seen = sqlite3_column_int64(s, 15);
	d->profile_serial = (uint64_t)sqlite3_column_int64(s, 16);
	d->profile_issued = sqlite3_column_int64(s, 17);
	if (dbi_col_blob(s, 18, d->profile_hash, DB_HASH_LEN, &n) < 0 || (n && n != DB_HASH_LEN))
		goto corrupt;
	d->has_profile_hash = n == DB_HASH_LEN;
	return 0;
corrupt:
	dbi_err(db, "device row %" PRId64 " is corrupt", d->id);
	db_device_wipe(d);
	return -EIO;
}

static int device_one(struct db *db, sqlite3_stmt *s, void *ctx)
{
	return read_device(db, s, ctx);
}

int db_device_get(struct db *db, int64_t id, struct db_device *d)
{
	sqlite3_stmt *s = STMT(db, ST_GET);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	return dbi_get_one(db, s, device_one, d, "device");
}

int db_device_get_by_name(struct db *db, int64_t user_id, const char *name,
			  struct db_device *d)
{
	sqlite3_stmt *s = STMT(db, ST_GET_NAME);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, user_id);
	dbi_bind_text(s, 2, name);
	return dbi_get_one(db, s, device_one, d, "device");
}

int db_device_get_by_key(struct db *db, const uint8_t public_key[KEY_LEN], struct db_device *d)
{
	sqlite3_stmt *s = STMT(db, ST_GET_KEY);
	char pub[KEY_B64_LEN];

	if (!s)
		return -EIO;
	key_to_base64(pub, public_key);
	sqlite3_bind_text(s, 1, pub, -1, SQLITE_STATIC);
	return dbi_get_one(db, s, device_one, d, "device with that key");
}

int db_device_get_by_token(struct db *db, const uint8_t hash[DB_HASH_LEN], int64_t now,
			   struct db_device *d)
{
	sqlite3_stmt *s = STMT(db, ST_GET_TOKEN);

	if (!s)
		return -EIO;
	sqlite3_bind_blob(s, 1, hash, DB_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	return dbi_get_one(db, s, device_one, d, "enrolment token");
}

int db_device_get_by_credential(struct db *db, const uint8_t hash[DB_HASH_LEN],
				struct db_device *d)
{
	sqlite3_stmt *s = STMT(db, ST_GET_CRED);

	if (!s)
		return -EIO;
	sqlite3_bind_blob(s, 1, hash, DB_HASH_LEN, SQLITE_STATIC);
	return dbi_get_one(db, s, device_one, d, "device credential");
}

/* A key that another device holds is -EEXIST; a config device without one -EINVAL. */
static int keys_err(struct db *db, int ret, const struct db_device *d)
{
	if (ret == -EEXIST)
		dbi_err(db, "device %" PRId64 ": its public key is another device's", d->id);
	else if (ret == -EINVAL)
		dbi_err(db, "device %" PRId64 ": a config device needs a key", d->id);
	return ret;
}

int db_device_set_keys(struct db *db, const struct db_device *d)
{
	sqlite3_stmt *s = STMT(db, ST_KEYS);
	char pub[KEY_B64_LEN];
	int ret;

	if (!s)
		return -EIO;
	ret = bind_keys(db, s, 2, d, pub);
	if (ret < 0) {
		dbi_done(s);
		return ret;
	}
	sqlite3_bind_int64(s, 1, d->id);
	return keys_err(db, dbi_exec_one(db, s, "device"), d);
}

int db_device_set_endpoint(struct db *db, int64_t id, const char *endpoint)
{
	sqlite3_stmt *s;
	int ret = dbi_check_text(db, "endpoint", endpoint, DB_ENDPOINT_MAX);

	if (ret < 0)
		return ret;
	s = STMT(db, ST_ENDPOINT);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	dbi_bind_text(s, 2, endpoint);
	return dbi_exec_one(db, s, "device");
}

int db_device_enroll(struct db *db, const struct db_device *d,
		     const uint8_t credential_hash[DB_HASH_LEN], int64_t now)
{
	sqlite3_stmt *s = STMT(db, ST_ENROLL);
	char pub[KEY_B64_LEN];
	int ret;

	if (!s)
		return -EIO;
	if (!d->has_key) {
		dbi_err(db, "device %" PRId64 ": enrolment needs the device's key", d->id);
		return -EINVAL;
	}
	ret = bind_keys(db, s, 4, d, pub);
	if (ret < 0) {
		dbi_done(s);
		return ret;
	}
	sqlite3_bind_int64(s, 1, d->id);
	sqlite3_bind_blob(s, 2, credential_hash, DB_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	return keys_err(db, dbi_exec_one(db, s, "device waiting for enrolment"), d);
}

int db_device_seen(struct db *db, int64_t id, int64_t now)
{
	sqlite3_stmt *s = STMT(db, ST_SEEN);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	return dbi_exec_one(db, s, "device");
}

int db_device_set_profile(struct db *db, int64_t id, uint64_t serial,
			  const uint8_t hash[DB_HASH_LEN], int64_t issued)
{
	sqlite3_stmt *s = STMT(db, ST_PROFILE);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, (int64_t)serial);
	sqlite3_bind_blob(s, 3, hash, DB_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, issued);
	return dbi_exec_one(db, s, "device");
}

int db_device_delete(struct db *db, int64_t id)
{
	sqlite3_stmt *s = STMT(db, ST_DELETE);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	return dbi_exec_one(db, s, "device");
}

struct device_walk {
	db_device_fn fn;
	void *arg;
};

static int device_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct device_walk *w = ctx;
	struct db_device d;
	int ret = read_device(db, s, &d);

	if (ret == 0)
		ret = w->fn(&d, w->arg);
	db_device_wipe(&d);
	return ret;
}

int db_device_list(struct db *db, int64_t user_id, db_device_fn fn, void *arg)
{
	sqlite3_stmt *s = user_id ? STMT(db, ST_LIST_USER) : STMT(db, ST_LIST);
	struct device_walk w = { fn, arg };

	if (!s)
		return -EIO;
	if (user_id)
		sqlite3_bind_int64(s, 1, user_id);
	return dbi_walk(db, s, device_row, &w);
}

int db_device_count(struct db *db, int64_t user_id, uint64_t *n)
{
	sqlite3_stmt *s = user_id ? STMT(db, ST_COUNT_USER) : STMT(db, ST_COUNT_ALL);
	int64_t v = 0;
	int ret;

	if (!s)
		return -EIO;
	if (user_id)
		sqlite3_bind_int64(s, 1, user_id);
	ret = dbi_int(db, s, &v);
	*n = (uint64_t)v;
	return ret;
}
