/* The query log at the resolver's rate: N queries (200 users, 400 devices, 100,000 names
 * of a skewed popularity, 10 % blocked) queued at RATE per second (0: as fast as the
 * caller can), then the figures: rows/s stored, bytes per query, writer CPU, and what
 * qlog_add costs the caller (median, p99, max). Usage: qlogbench [N [RATE [DIR]]]. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/db/db.h"
#include "server/dns/qlog.h"

#define NNAMES 100000
#define NUSERS 200

static int64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int64_t wall_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static uint64_t rnd_state = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* a name index with a skewed popularity: a few names most queries, a long tail */
static uint32_t pick_name(void)
{
	double u = (double)(rnd() % 1000000) / 1e6;

	return (uint32_t)((double)NNAMES * u * u * u) % NNAMES;
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	uint64_t rate = argc > 2 ? strtoull(argv[2], NULL, 10) : 20000;
	const char *dir = argc > 3 ? argv[3] : "/tmp";
	char path[256], wal[300];
	struct qlog_conf c = { .retention_days = 7, .rate = 0, .burst = 0 };
	struct qlog_entry e;
	struct qlog_stats st;
	struct qlog *q;
	struct db *db;
	uint32_t *lat = malloc(n * sizeof(*lat));
	int64_t t0, t1, t2, next, main_cpu, all_cpu;
	struct timespec tc;
	struct rusage ru;
	off_t size0, size1;
	uint64_t i;

	snprintf(path, sizeof(path), "%s/qlogbench-%d.db", dir, (int)getpid());
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(path);
	if (!lat || db_open(path, &db) < 0) {
		fprintf(stderr, "cannot open %s\n", path);
		return 1;
	}
	db_close(db);
	size0 = file_size(path);
	c.db_path = path;
	if (qlog_new(&c, &q) < 0) {
		fprintf(stderr, "qlog_new failed\n");
		return 1;
	}
	memset(&e, 0, sizeof(e));
	t0 = mono_ns();
	next = t0;
	for (i = 0; i < n; i++) {
		uint32_t name = pick_name(), dev = (uint32_t)(rnd() % (NUSERS * 2));
		int64_t a;

		if (rate && i % (rate / 1000 ? rate / 1000 : 1) == 0) {
			/* paced in 1 ms steps: sleep to the step's start */
			struct timespec ts;

			next += 1000000000LL / (int64_t)rate * (int64_t)(rate / 1000 ? rate / 1000 : 1);
			ts.tv_sec = next / 1000000000;
			ts.tv_nsec = next % 1000000000;
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		}
		e.time_ms = wall_ms();
		e.device_id = dev + 1;
		e.user_id = dev / 2 + 1;
		snprintf(e.name, sizeof(e.name), "%s%u.%s%u.%s", name % 3 ? "www" : "api", name,
			 name % 5 ? "example" : "cdn-tracker", name / 7, name % 2 ? "com" : "net");
		e.qtype = i % 4 == 3 ? 28 : i % 16 == 1 ? 65 : 1;
		e.blocked_by = name % 10 == 0 ? (int16_t)(name % 3) : -1;
		e.list_id = e.blocked_by >= 0 ? e.blocked_by + 1 : 0;
		e.rcode = e.blocked_by < 0 && i % 97 == 0 ? 3 : 0;
		e.upstream_us = e.blocked_by < 0 && i % 3 == 0 ? (uint32_t)(5000 + rnd() % 45000) : 0;
		a = mono_ns();
		qlog_add(q, &e);
		lat[i] = (uint32_t)(mono_ns() - a);
	}
	t1 = mono_ns();
	qlog_stats(q, &st);
	qlog_free(q);
	t2 = mono_ns();
	/* the writer's CPU: the process's less this thread's */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &tc);
	main_cpu = (int64_t)tc.tv_sec * 1000000000 + tc.tv_nsec;
	getrusage(RUSAGE_SELF, &ru);
	all_cpu = ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
		((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
	/* the last connection's close checkpointed the WAL into the file */
	size1 = file_size(path) + file_size(wal);
	qsort(lat, n, sizeof(*lat), cmp_u32);
	printf("qlog: %" PRIu64 " queries, rate %s%" PRIu64 "/s\n", n, rate ? "" : "unpaced ",
	       rate);
	printf("  queued in %.2f s (%.0f/s); all stored after %.2f s: %.0f rows/s sustained\n",
	       (double)(t1 - t0) / 1e9, (double)n * 1e9 / (double)(t1 - t0),
	       (double)(t2 - t0) / 1e9, (double)n * 1e9 / (double)(t2 - t0));
	printf("  written before the flush %" PRIu64 ", dropped %" PRIu64 "\n", st.written,
	       st.dropped);
	printf("  database growth: %.1f MB per million queries (%.1f bytes a query)\n",
	       (double)(size1 - size0) / (double)n, (double)(size1 - size0) / (double)n);
	printf("  qlog_add: median %u ns, p99 %u ns, p99.9 %u ns, max %u ns\n", lat[n / 2],
	       lat[n * 99 / 100], lat[n * 999 / 1000], lat[n - 1]);
	printf("  writer thread CPU: %.2f s, %.1f us a row, %.0f %% of a core over the run\n",
	       (double)(all_cpu - main_cpu) / 1e9, (double)(all_cpu - main_cpu) / 1e3 / (double)n,
	       100.0 * (double)(all_cpu - main_cpu) / (double)(t2 - t0));
	if (getenv("QLOG_KEEP"))
		printf("  kept %s\n", path);
	else
		unlink(path);
	free(lat);
	return 0;
}
