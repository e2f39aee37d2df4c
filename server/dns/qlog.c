/* The query log's queue and writer: the loop appends compact records to one buffer under
 * a mutex (no syscall unless the writer must be woken); a thread with its own connection
 * swaps the buffers and stores them, 1000 rows or one second to a transaction, with the
 * hourly roll-ups counted as the rows go and the retention purged a little each time. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qlog.h"
#include "../db/db.h"
#include "../../common/log.h"
#include "../../common/util.h"

#define BATCH 1000                   /* rows to a transaction */
#define BUF_INIT (256 * 1024)
#define BUF_MAX (32 * 1024 * 1024)   /* a buffer's bytes: ~400k queries of 50-byte names */
#define PURGE_MAX 5000               /* rows one purge pass deletes */
#define ROLLUP_FLUSH_MS 5000         /* roll-up counts to the database at least this often */
#define HOURLY_KEEP_S (400 * 86400)  /* the statistics keep a year and some */
#define NAME_CACHE 65536             /* name -> id slots, direct-mapped */

/* One queued query, name_len + 1 bytes of name after it, padded to 8. */
struct rec {
	int64_t time_ms, user_id, device_id, list_id;
	uint32_t upstream_us, collapsed;
	uint16_t qtype;
	uint8_t rcode, blocked;
	uint8_t name_len;
	char name[];
};

struct buf {
	uint8_t *p;
	size_t len, cap, n;
};

/* A device's token bucket (milli-entries) and the flood it is collapsing. */
struct dev {
	int64_t id;                  /* 0: free slot (device 0 lives in q->dev0) */
	int64_t tokens, last_ms;
	uint32_t over;               /* queries counted, not queued, since over_since */
	int64_t over_since;
	struct qlog_entry last;      /* the latest of them: the collapsed row's name */
};

struct name_slot {
	uint64_t hash;
	int64_t id;
	char *name;
};

/* The roll-up counts of one hour not yet in the database. */
struct agg {
	int64_t hour;                /* -1: none */
	struct db_dns_hour_user *users;
	size_t n_users, cap_users;
	struct db_dns_hour_name *names;
	size_t n_names, cap_names;
	uint32_t *name_idx;          /* open addressing: index + 1 into names, 0 free */
	size_t idx_cap;
	int64_t since_ms;            /* when the oldest unflushed count came */
};

struct qlog {
	struct qlog_conf conf;
	char *path;
	struct db *db;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	struct buf bufs[2];
	struct buf *cur;             /* the loop's; the other is the writer's */
	struct dev *devs;
	size_t dev_cap, dev_n;
	struct dev dev0;
	struct qlog_stats st;
	/* the writer's own */
	struct name_slot *names;
	struct db_dns_log *rows;
	struct agg agg;
	int64_t purge_at_ms;
	/* a transaction failed: the counts of these hours are made again from the log */
	bool repair;
	int64_t repair_hours[2];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

/* ---- the loop's side, under q->mu ---- */

static void push(struct qlog *q, const struct qlog_entry *e, uint32_t collapsed)
{
	struct buf *b = q->cur;
	size_t nlen = strnlen(e->name, sizeof(e->name) - 1), size;
	struct rec *r;

	size = (offsetof(struct rec, name) + nlen + 1 + 7) & ~(size_t)7;
	if (b->len + size > b->cap) {
		if (b->cap >= BUF_MAX) {
			q->st.dropped += collapsed ? collapsed : 1;
			return;
		}
		b->cap = b->cap ? b->cap * 2 : BUF_INIT;
		b->p = xrealloc(b->p, b->cap);
	}
	r = (struct rec *)(b->p + b->len);
	r->time_ms = e->time_ms;
	r->user_id = e->user_id;
	r->device_id = e->device_id;
	r->blocked = e->blocked_by >= 0;
	r->list_id = r->blocked ? e->list_id : 0;
	r->upstream_us = e->upstream_us;
	r->collapsed = collapsed;
	r->qtype = e->qtype;
	r->rcode = e->rcode;
	r->name_len = (uint8_t)nlen;
	memcpy(r->name, e->name, nlen);
	r->name[nlen] = '\0';
	b->len += size;
	b->n++;
	q->st.queued++;
	/* the writer sleeps up to a second otherwise: one wake-up per batch */
	if (b->n == BATCH)
		pthread_cond_signal(&q->cv);
}

static void emit_collapsed(struct qlog *q, struct dev *d)
{
	push(q, &d->last, d->over);
	d->over = 0;
}

static struct dev *dev_find(struct qlog *q, int64_t id)
{
	size_t i, mask;

	if (id == 0)
		return &q->dev0;
	if (q->dev_n * 2 >= q->dev_cap) {
		struct dev *old = q->devs;
		size_t old_cap = q->dev_cap;

		q->dev_cap = old_cap ? old_cap * 2 : 1024;
		q->devs = xcalloc(q->dev_cap, sizeof(*q->devs));
		mask = q->dev_cap - 1;
		for (i = 0; i < old_cap; i++) {
			size_t j;

			if (!old[i].id)
				continue;
			for (j = hash64((uint64_t)old[i].id) & mask; q->devs[j].id; j = (j + 1) & mask)
				;
			q->devs[j] = old[i];
		}
		free(old);
	}
	mask = q->dev_cap - 1;
	for (i = hash64((uint64_t)id) & mask; q->devs[i].id; i = (i + 1) & mask)
		if (q->devs[i].id == id)
			return &q->devs[i];
	q->devs[i].id = id;
	q->devs[i].tokens = -1;
	q->dev_n++;
	return &q->devs[i];
}

void qlog_add(struct qlog *q, const struct qlog_entry *e)
{
	int64_t cap, elapsed;
	struct dev *d;

	pthread_mutex_lock(&q->mu);
	if (!q->conf.rate) {
		push(q, e, 0);
		goto out;
	}
	d = dev_find(q, e->device_id);
	cap = (int64_t)(q->conf.burst ? q->conf.burst : q->conf.rate) * 1000;
	if (d->tokens < 0) {
		d->tokens = cap;
		d->last_ms = e->time_ms;
	}
	elapsed = e->time_ms - d->last_ms;
	if (elapsed > 0) {
		d->tokens += elapsed * (int64_t)q->conf.rate;
		if (d->tokens > cap)
			d->tokens = cap;
		d->last_ms = e->time_ms;
	}
	if (d->tokens >= 1000) {
		d->tokens -= 1000;
		/* the flood ended: its count first, then this query */
		if (d->over)
			emit_collapsed(q, d);
		push(q, e, 0);
		goto out;
	}
	if (!d->over)
		d->over_since = e->time_ms;
	d->over++;
	d->last = *e;
	q->st.collapsed++;
	if (e->time_ms - d->over_since >= 1000)
		emit_collapsed(q, d);
out:
	pthread_mutex_unlock(&q->mu);
}

/* Floods whose device went quiet: a count at most a second old is written. */
static void sweep(struct qlog *q, int64_t now)
{
	size_t i;

	if (q->dev0.over && now - q->dev0.over_since >= 1000)
		emit_collapsed(q, &q->dev0);
	for (i = 0; i < q->dev_cap; i++)
		if (q->devs[i].id && q->devs[i].over && now - q->devs[i].over_since >= 1000)
			emit_collapsed(q, &q->devs[i]);
}

static void sweep_all(struct qlog *q)
{
	size_t i;

	if (q->dev0.over)
		emit_collapsed(q, &q->dev0);
	for (i = 0; i < q->dev_cap; i++)
		if (q->devs[i].id && q->devs[i].over)
			emit_collapsed(q, &q->devs[i]);
}

void qlog_stats(struct qlog *q, struct qlog_stats *st)
{
	pthread_mutex_lock(&q->mu);
	*st = q->st;
	pthread_mutex_unlock(&q->mu);
}

/* ---- the writer's side ---- */

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static struct name_slot *name_slot(struct qlog *q, uint64_t h)
{
	return &q->names[h & (NAME_CACHE - 1)];
}

static void agg_reset(struct agg *a, int64_t hour, int64_t at)
{
	a->hour = hour;
	a->n_users = a->n_names = 0;
	if (a->name_idx)
		memset(a->name_idx, 0, a->idx_cap * sizeof(*a->name_idx));
	a->since_ms = at;
}

static struct db_dns_hour_user *agg_user(struct agg *a, int64_t user_id)
{
	size_t i;

	/* a handful of users an hour at a time: a scan from the end, where the busy ones are */
	for (i = a->n_users; i-- > 0;)
		if (a->users[i].user_id == user_id)
			return &a->users[i];
	if (a->n_users == a->cap_users) {
		a->cap_users = a->cap_users ? a->cap_users * 2 : 64;
		a->users = xrealloc(a->users, a->cap_users * sizeof(*a->users));
	}
	memset(&a->users[a->n_users], 0, sizeof(a->users[0]));
	a->users[a->n_users].user_id = user_id;
	return &a->users[a->n_users++];
}

static struct db_dns_hour_name *agg_name(struct agg *a, int64_t name_id)
{
	size_t i, mask;

	if ((a->n_names + 1) * 2 > a->idx_cap) {
		size_t k;

		a->idx_cap = a->idx_cap ? a->idx_cap * 2 : 4096;
		free(a->name_idx);
		a->name_idx = xcalloc(a->idx_cap, sizeof(*a->name_idx));
		mask = a->idx_cap - 1;
		for (k = 0; k < a->n_names; k++) {
			for (i = hash64((uint64_t)a->names[k].name_id) & mask; a->name_idx[i];
			     i = (i + 1) & mask)
				;
			a->name_idx[i] = (uint32_t)k + 1;
		}
	}
	mask = a->idx_cap - 1;
	for (i = hash64((uint64_t)name_id) & mask; a->name_idx[i]; i = (i + 1) & mask)
		if (a->names[a->name_idx[i] - 1].name_id == name_id)
			return &a->names[a->name_idx[i] - 1];
	if (a->n_names == a->cap_names) {
		a->cap_names = a->cap_names ? a->cap_names * 2 : 4096;
		a->names = xrealloc(a->names, a->cap_names * sizeof(*a->names));
	}
	memset(&a->names[a->n_names], 0, sizeof(a->names[0]));
	a->names[a->n_names].name_id = name_id;
	a->name_idx[i] = (uint32_t)a->n_names + 1;
	return &a->names[a->n_names++];
}

static void agg_count(struct agg *a, const struct db_dns_log *r)
{
	uint64_t n = r->collapsed ? r->collapsed : 1;
	struct db_dns_hour_user *u = agg_user(a, r->user_id);
	struct db_dns_hour_name *nm = agg_name(a, r->name_id);

	u->queries += n;
	nm->queries += n;
	if (r->blocked) {
		u->blocked += n;
		nm->blocked += n;
	} else if (r->rcode == 3)
		u->nxdomain += n;
	if (r->rcode == 2)
		u->servfail += n;
	if (r->upstream_us) {
		u->upstream_n++;
		u->upstream_us_sum += r->upstream_us;
	}
}

static int agg_flush(struct qlog *q)
{
	struct agg *a = &q->agg;
	int ret;

	if (a->hour < 0 || (!a->n_users && !a->n_names))
		return 0;
	ret = db_dns_hourly_add(q->db, a->hour * 3600, a->users, a->n_users, a->names,
				a->n_names);
	return ret;
}

/* n records from p into q->rows, names from the cache where it has them. */
static void to_rows(struct qlog *q, const uint8_t *p, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		const struct rec *r = (const struct rec *)p;
		struct db_dns_log *row = &q->rows[i];
		struct name_slot *sl;
		uint64_t h;

		row->id = 0;
		row->at_ms = r->time_ms;
		row->user_id = r->user_id;
		row->device_id = r->device_id;
		for (k = 0; k < r->name_len; k++) {
			char c = r->name[k];

			row->name[k] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
		}
		/* the root and trailing dots: the db's rules for a name */
		while (k > 1 && row->name[k - 1] == '.')
			k--;
		row->name[k] = '\0';
		if (k == 0 || (k == 1 && row->name[0] == '.'))
			strcpy(row->name, ".");
		h = name_hash(row->name);
		sl = name_slot(q, h);
		row->name_id = sl->name && sl->hash == h && strcmp(sl->name, row->name) == 0 ?
			sl->id : 0;
		row->qtype = r->qtype;
		row->rcode = r->rcode;
		row->blocked = r->blocked;
		row->list_id = r->list_id;
		row->upstream_us = r->upstream_us;
		row->collapsed = r->collapsed;
		p += (offsetof(struct rec, name) + r->name_len + 1 + 7) & ~(size_t)7;
	}
}

static void cache_names(struct qlog *q, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct db_dns_log *row = &q->rows[i];
		uint64_t h = name_hash(row->name);
		struct name_slot *sl = name_slot(q, h);

		if (sl->name && sl->hash == h && sl->id == row->name_id)
			continue;
		free(sl->name);
		sl->name = xstrdup(row->name);
		sl->hash = h;
		sl->id = row->name_id;
	}
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* One transaction: the rows, their roll-up counts when due, a purge pass. The counts of
 * an hour go to the database when the hour changes, every ROLLUP_FLUSH_MS and at the end
 * (final), in the transaction of the rows they count. */
static int write_chunk(struct qlog *q, size_t n, bool final)
{
	struct agg *a = &q->agg;
	int64_t now = now_ms();
	uint64_t purged = 0;
	size_t i;
	int ret;

	ret = db_begin(q->db);
	if (ret < 0)
		goto fail;
	if (q->repair) {
		if (q->repair_hours[0] >= 0 && q->repair_hours[0] != q->repair_hours[1])
			ret = db_dns_rollup_hour(q->db, q->repair_hours[0] * 3600);
		if (ret == 0 && q->repair_hours[1] >= 0)
			ret = db_dns_rollup_hour(q->db, q->repair_hours[1] * 3600);
		agg_reset(a, -1, now);
	}
	if (ret == 0)
		ret = db_dns_log_insert(q->db, q->rows, n);
	for (i = 0; ret == 0 && i < n; i++) {
		int64_t hour = q->rows[i].at_ms / 1000 / 3600;

		if (hour != a->hour) {
			ret = agg_flush(q);
			agg_reset(a, hour, now);
		}
		if (ret == 0)
			agg_count(a, &q->rows[i]);
	}
	if (ret == 0 && (final || now - a->since_ms >= ROLLUP_FLUSH_MS)) {
		ret = agg_flush(q);
		if (ret == 0)
			agg_reset(a, a->hour, now);
	}
	if (ret == 0 && q->conf.retention_days && now >= q->purge_at_ms) {
		ret = db_dns_log_purge(q->db, now - (int64_t)q->conf.retention_days * 86400000,
				       PURGE_MAX, &purged);
		/* more left: go on with the next chunk; else look again in a second */
		q->purge_at_ms = purged == PURGE_MAX ? 0 : now + 1000;
	}
	if (ret == 0)
		ret = db_commit(q->db);
	if (ret < 0)
		goto fail;
	q->repair = false;
	cache_names(q, n);
	return 0;
fail:
	db_rollback(q->db);
	/* the counts in memory may hold this chunk's rows, or lost a flush with it */
	if (!q->repair) {
		q->repair = true;
		q->repair_hours[0] = q->rows[0].at_ms / 3600000;
		q->repair_hours[1] = a->hour;
	}
	return ret;
}

static void write_buf(struct qlog *q, struct buf *b, bool final)
{
	const uint8_t *p = b->p;
	size_t left = b->n;
	int tries = 0;

	while (left) {
		size_t n = left < BATCH ? left : BATCH, i, bytes = 0;
		int ret;

		to_rows(q, p, n);
		ret = write_chunk(q, n, final && n == left);
		if (ret == -EBUSY && tries++ < 1000) {
			/* the daemon's connection holds the lock past the busy timeout: the rows
			 * stay and are tried again (the loop's buffer takes the new ones) */
			sleep_ms(100);
			continue;
		}
		for (i = 0; i < n; i++) {
			const struct rec *r = (const struct rec *)(p + bytes);

			bytes += (offsetof(struct rec, name) + r->name_len + 1 + 7) & ~(size_t)7;
		}
		pthread_mutex_lock(&q->mu);
		if (ret == 0)
			q->st.written += n;
		else
			q->st.dropped += n;
		pthread_mutex_unlock(&q->mu);
		if (ret < 0) {
			log_err("dns query log %s: %zu rows lost: %s", q->path, n,
				db_errmsg(q->db));
		}
		tries = 0;
		p += bytes;
		left -= n;
	}
	b->len = b->n = 0;
}

static void thread_cpu(struct qlog *q)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	pthread_mutex_lock(&q->mu);
	q->st.writer_cpu_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	pthread_mutex_unlock(&q->mu);
}

static void startup(struct qlog *q)
{
	int64_t id, at, hour, now = now_ms();

	/* a crash may have lost the counts of the last hour written */
	if (db_dns_log_last(q->db, &id, &at) == 0 && id) {
		hour = at / 1000 / 3600;
		if (at % 3600000 < 120000)
			db_dns_rollup_hour(q->db, (hour - 1) * 3600);
		db_dns_rollup_hour(q->db, hour * 3600);
	}
	if (q->conf.retention_days)
		db_dns_hourly_purge(q->db, now / 1000 - HOURLY_KEEP_S, NULL);
}

/* One purge pass in a transaction of its own, when no rows came to carry it. */
static void purge_pass(struct qlog *q)
{
	int64_t now = now_ms();
	uint64_t purged = 0;

	if (db_begin(q->db) < 0)
		return;
	if (db_dns_log_purge(q->db, now - (int64_t)q->conf.retention_days * 86400000, PURGE_MAX,
			     &purged) < 0 || db_commit(q->db) < 0) {
		db_rollback(q->db);
		q->purge_at_ms = now + 1000;
		return;
	}
	q->purge_at_ms = purged == PURGE_MAX ? 0 : now + 1000;
}

static void *writer(void *arg)
{
	struct qlog *q = arg;
	struct timespec dl;
	struct buf *mine;
	int64_t hourly_purge = now_ms() + 3600000;
	bool stop;

	startup(q);
	for (;;) {
		pthread_mutex_lock(&q->mu);
		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_sec += 1;
		while (!q->stop && q->cur->n < BATCH) {
			if (pthread_cond_timedwait(&q->cv, &q->mu, &dl) == ETIMEDOUT)
				break;
		}
		stop = q->stop;
		if (stop)
			sweep_all(q);
		else
			sweep(q, now_ms());
		mine = q->cur;
		q->cur = mine == &q->bufs[0] ? &q->bufs[1] : &q->bufs[0];
		pthread_mutex_unlock(&q->mu);
		write_buf(q, mine, stop);
		/* Counts of rows written a while ago reach the statistics even when no row
		 * follows them. */
		if (!stop && (q->agg.n_users || q->agg.n_names) &&
		    now_ms() - q->agg.since_ms >= ROLLUP_FLUSH_MS && agg_flush(q) == 0)
			agg_reset(&q->agg, q->agg.hour, now_ms());
		/* and the retention is kept on a quiet server too */
		if (!stop && q->conf.retention_days && now_ms() >= q->purge_at_ms)
			purge_pass(q);
		if (!stop && now_ms() >= hourly_purge) {
			db_dns_hourly_purge(q->db, now_ms() / 1000 - HOURLY_KEEP_S, NULL);
			hourly_purge = now_ms() + 3600000;
		}
		thread_cpu(q);
		if (stop)
			break;
	}
	/* what came between the last swap and the stop */
	pthread_mutex_lock(&q->mu);
	mine = q->cur;
	q->cur = mine == &q->bufs[0] ? &q->bufs[1] : &q->bufs[0];
	pthread_mutex_unlock(&q->mu);
	write_buf(q, mine, true);
	agg_flush(q);
	thread_cpu(q);
	return NULL;
}

int qlog_new(const struct qlog_conf *c, struct qlog **out)
{
	pthread_condattr_t ca;
	struct qlog *q;
	int ret;

	*out = NULL;
	if (!c->db_path)
		return -EINVAL;
	q = xcalloc(1, sizeof(*q));
	q->conf = *c;
	q->path = xstrdup(c->db_path);
	q->conf.db_path = q->path;
	q->agg.hour = -1;
	q->cur = &q->bufs[0];
	ret = db_open(q->path, &q->db);
	if (ret < 0)
		goto fail;
	q->names = xcalloc(NAME_CACHE, sizeof(*q->names));
	q->rows = xcalloc(BATCH, sizeof(*q->rows));
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	ret = -pthread_create(&q->thread, NULL, writer, q);
	if (ret < 0) {
		pthread_cond_destroy(&q->cv);
		pthread_mutex_destroy(&q->mu);
		goto fail;
	}
	*out = q;
	return 0;
fail:
	db_close(q->db);
	free(q->names);
	free(q->rows);
	free(q->path);
	free(q);
	return ret;
}

void qlog_free(struct qlog *q)
{
	size_t i;

	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	db_close(q->db);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	for (i = 0; i < NAME_CACHE; i++)
		free(q->names[i].name);
	free(q->names);
	free(q->rows);
	free(q->bufs[0].p);
	free(q->bufs[1].p);
	free(q->devs);
	free(q->agg.users);
	free(q->agg.names);
	free(q->agg.name_idx);
	free(q->path);
	free(q);
}
