/* Byte counters in SQLite: a device's and its user's totals, the user's quota period,
 * and the hourly traffic the statistics sum by hour or local day. */
#include <errno.h>
#include <inttypes.h>

#include "dbint.h"

enum {
	ST_DEVICE_ADD, ST_USER_ADD, ST_RESET, ST_TRAFFIC_ADD, ST_SUM_ALL, ST_SUM_USER, ST_TOP,
	ST_PURGE, ST_COUNT
};

static const char *const sql[ST_COUNT] = {
	[ST_DEVICE_ADD] = "UPDATE devices SET rx_total = rx_total + ?3, tx_total = tx_total + ?4,"
		" seen_rx = ?5, seen_tx = ?6 WHERE id = ?1 AND user_id = ?2",
	[ST_USER_ADD] = "UPDATE users SET rx_total = rx_total + ?2, tx_total = tx_total + ?3,"
		" rx_period = rx_period + ?2, tx_period = tx_period + ?3 WHERE id = ?1",
	[ST_RESET] = "UPDATE users SET rx_period = 0, tx_period = 0, period_start = ?2"
		" WHERE id = ?1",
	/* traffic keeps no reference to users (a deleted user's bytes stay): check here */
	[ST_TRAFFIC_ADD] = "INSERT INTO traffic (user_id, hour, rx, tx) SELECT ?1, ?2, ?3, ?4"
		" WHERE EXISTS (SELECT 1 FROM users WHERE id = ?1)"
		" ON CONFLICT (user_id, hour) DO UPDATE SET rx = rx + excluded.rx,"
		" tx = tx + excluded.tx",
	[ST_SUM_ALL] = "SELECT hour, sum(rx), sum(tx) FROM traffic WHERE hour >= ?1 AND hour < ?2"
		" GROUP BY hour ORDER BY hour",
	[ST_SUM_USER] = "SELECT hour, rx, tx FROM traffic WHERE user_id = ?3 AND hour >= ?1"
		" AND hour < ?2 ORDER BY hour",
	[ST_TOP] = "SELECT user_id, sum(rx) AS r, sum(tx) AS t FROM traffic"
		" WHERE hour >= ?1 AND hour < ?2 GROUP BY user_id ORDER BY r + t DESC, user_id"
		" LIMIT ?3",
	[ST_PURGE] = "DELETE FROM traffic WHERE hour < ?1",
};

_Static_assert(ST_COUNT <= DBI_NOUN_STMTS, "too many statements");

#define STMT(db, id) dbi_stmt(db, DBI_COUNTERS, id, sql[id])

int db_counters_add(struct db *db, int64_t device_id, int64_t user_id, uint64_t rx_delta,
		    uint64_t tx_delta, uint64_t seen_rx, uint64_t seen_tx)
{
	sqlite3_stmt *s = STMT(db, ST_DEVICE_ADD);
	int ret;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_int64(s, 2, user_id);
	sqlite3_bind_int64(s, 3, (int64_t)rx_delta);
	sqlite3_bind_int64(s, 4, (int64_t)tx_delta);
	/* the link's 64-bit counters, stored as their two's complement */
	sqlite3_bind_int64(s, 5, (int64_t)seen_rx);
	sqlite3_bind_int64(s, 6, (int64_t)seen_tx);
	/* first the device, which names its user: past it the user exists (a reference) */
	ret = dbi_exec_one(db, s, "device of that user");
	if (ret < 0)
		return ret;
	s = STMT(db, ST_USER_ADD);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, (int64_t)rx_delta);
	sqlite3_bind_int64(s, 3, (int64_t)tx_delta);
	return dbi_exec_one(db, s, "user");
}

int db_counters_reset_period(struct db *db, int64_t user_id, int64_t start)
{
	sqlite3_stmt *s = STMT(db, ST_RESET);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, start);
	return dbi_exec_one(db, s, "user");
}

int db_traffic_add(struct db *db, int64_t user_id, int64_t hour, uint64_t rx, uint64_t tx)
{
	sqlite3_stmt *s;

	if (hour % 3600 != 0) {
		dbi_err(db, "traffic: %" PRId64 " does not start an hour", hour);
		return -EINVAL;
	}
	s = STMT(db, ST_TRAFFIC_ADD);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, hour);
	sqlite3_bind_int64(s, 3, (int64_t)rx);
	sqlite3_bind_int64(s, 4, (int64_t)tx);
	return dbi_exec_one(db, s, "user");
}

struct sum_walk {
	enum db_step step;
	db_traffic_fn fn;
	void *arg;
	struct db_traffic_row day;     /* the local day being summed */
	int64_t day_end;
	bool open;
};

static int sum_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct sum_walk *w = ctx;
	struct db_traffic_row r = {
		.start = sqlite3_column_int64(s, 0),
		.rx = (uint64_t)sqlite3_column_int64(s, 1),
		.tx = (uint64_t)sqlite3_column_int64(s, 2),
	};
	int ret;

	if (w->step == DB_STEP_HOUR)
		return w->fn(&r, w->arg);
	/* hours arrive in order: a day is done when one past its end comes */
	if (w->open && r.start >= w->day_end) {
		w->open = false;
		ret = w->fn(&w->day, w->arg);
		if (ret)
			return ret;
	}
	if (!w->open) {
		w->day.start = dbi_day_start(r.start);
		w->day_end = dbi_day_next(w->day.start);
		w->day.rx = w->day.tx = 0;
		w->open = true;
	}
	w->day.rx += r.rx;
	w->day.tx += r.tx;
	return 0;
}

int db_traffic_sum(struct db *db, int64_t from, int64_t to, enum db_step step,
		   int64_t user_id, db_traffic_fn fn, void *arg)
{
	struct sum_walk w = { .step = step, .fn = fn, .arg = arg };
	sqlite3_stmt *s;
	int ret;

	if ((unsigned int)step > DB_STEP_DAY) {
		dbi_err(db, "traffic: step %d", (int)step);
		return -EINVAL;
	}
	s = user_id ? STMT(db, ST_SUM_USER) : STMT(db, ST_SUM_ALL);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, to);
	if (user_id)
		sqlite3_bind_int64(s, 3, user_id);
	ret = dbi_walk(db, s, sum_row, &w);
	if (ret == 0 && w.open)
		ret = fn(&w.day, arg);
	return ret;
}

struct top_walk {
	db_top_fn fn;
	void *arg;
};

static int top_row(struct db *db, sqlite3_stmt *s, void *ctx)
{
	struct top_walk *w = ctx;
	struct db_top_row r = {
		.user_id = sqlite3_column_int64(s, 0),
		.rx = (uint64_t)sqlite3_column_int64(s, 1),
		.tx = (uint64_t)sqlite3_column_int64(s, 2),
	};

	return w->fn(&r, w->arg);
}

int db_traffic_top(struct db *db, int64_t from, int64_t to, size_t limit, db_top_fn fn,
		   void *arg)
{
	struct top_walk w = { fn, arg };
	sqlite3_stmt *s;

	if (limit < 1 || limit > DB_PAGE_MAX) {
		dbi_err(db, "traffic: limit %zu out of 1..%d", limit, DB_PAGE_MAX);
		return -EINVAL;
	}
	s = STMT(db, ST_TOP);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, to);
	sqlite3_bind_int64(s, 3, (int64_t)limit);
	return dbi_walk(db, s, top_row, &w);
}

int db_traffic_purge(struct db *db, int64_t before, uint64_t *n)
{
	sqlite3_stmt *s = STMT(db, ST_PURGE);
	int changes = 0, ret;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, before);
	ret = dbi_exec(db, s, &changes);
	if (n)
		*n = ret == 0 ? (uint64_t)changes : 0;
	return ret;
}
