/* Addresses from the pools in SQLite: one per family per device, each in use once. */
#include <errno.h>
#include <inttypes.h>

#include "dbint.h"

enum { ST_ADD, ST_ALL, ST_FAMILY, ST_DEVICE, ST_COUNT };

static const char *const sql[ST_COUNT] = {
	[ST_ADD] = "INSERT INTO addresses (device_id, family, address) VALUES (?1, ?2, ?3)",
	/* one pass over the table, no index: what a start reads */
	[ST_ALL] = "SELECT device_id, address FROM addresses",
	[ST_FAMILY] = "SELECT device_id, address FROM addresses WHERE family = ?1",
	[ST_DEVICE] = "SELECT device_id, address FROM addresses WHERE device_id = ?1"
		" ORDER BY family",
};

_Static_assert(ST_COUNT <= DBI_NOUN_STMTS, "too many statements");

#define STMT(db, id) dbi_stmt(db, DBI_ADDR, id, sql[id])

int db_addr_add(struct db *db, int64_t device_id, const struct cidr *addr)
{
	char buf[CIDR_STRLEN];
	sqlite3_stmt *s;
	int ret;

	if (addr->family != AF_INET && addr->family != AF_INET6) {
		dbi_err(db, "address family %d", addr->family);
		return -EINVAL;
	}
	s = STMT(db, ST_ADD);
	if (!s)
		return -EIO;
	/* the canonical text, so one address written two ways is still one */
	ip_fmt(addr, buf);
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_int(s, 2, addr->family == AF_INET ? 4 : 6);
	sqlite3_bind_text(s, 3, buf, -1, SQLITE_STATIC);
	ret = dbi_exec(db, s, NULL);
	if (ret == -EEXIST)
		dbi_err(db, "address %s: in use, or device %" PRId64 " has one of its family",
			buf, device_id);
	else if (ret == -ENOENT)
		dbi_err(db, "address %s: no device %" PRId64, buf, device_id);
	return ret;
}

struct addr_walk {
	db_addr_fn fn;
	void *arg;
};

static int addr_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct addr_walk *w = ctx;
	const char *text = (const char *)sqlite3_column_text(s, 1);
	struct cidr c;

	if (!text || ip_parse(&c, text) < 0) {
		dbi_err(db, "stored address \"%s\" is not an address", text ? text : "");
		return -EIO;
	}
	return w->fn(sqlite3_column_int64(s, 0), &c, w->arg);
}

int db_addr_list_all(struct db *db, db_addr_fn fn, void *arg)
{
	sqlite3_stmt *s = STMT(db, ST_ALL);
	struct addr_walk w = { fn, arg };

	if (!s)
		return -EIO;
	return dbi_walk(db, s, addr_row, &w);
}

int db_addr_list_family(struct db *db, int family, db_addr_fn fn, void *arg)
{
	sqlite3_stmt *s;
	struct addr_walk w = { fn, arg };

	if (family != AF_INET && family != AF_INET6) {
		dbi_err(db, "address family %d", family);
		return -EINVAL;
	}
	s = STMT(db, ST_FAMILY);
	if (!s)
		return -EIO;
	sqlite3_bind_int(s, 1, family == AF_INET ? 4 : 6);
	return dbi_walk(db, s, addr_row, &w);
}

int db_addr_list_device(struct db *db, int64_t device_id, db_addr_fn fn, void *arg)
{
	sqlite3_stmt *s = STMT(db, ST_DEVICE);
	struct addr_walk w = { fn, arg };

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, device_id);
	return dbi_walk(db, s, addr_row, &w);
}
