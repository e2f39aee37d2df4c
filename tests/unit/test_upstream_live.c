/* server/dns/upstream against a real signed authoritative server (nsd, tests/netns/dnsauth.sh)
 * on loopback inside a private network namespace (root only). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include "agent/loop.h"
#include "server/dns/unboundapi.h"
#include "server/dns/upstream.h"

#define PORT "5300"
#define DEAD_PORT "5399"        /* nothing listens there */

static bool live;
static char dir[64];
static char anchors[128];

/* ---------------------------------------------------------------- fixture */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int nsd_restart(void)
{
	/* The same zones and keys again, so anchors.key stays right. */
	return sh("nsd -c %s/nsd.conf && for i in $(seq 50); do dig +short +time=1 +tries=1 "
		  "@127.0.0.1 -p " PORT " test.example SOA | grep -q hostmaster && exit 0; "
		  "sleep 0.1; done; exit 1", dir);
}

static void nsd_stop(void)
{
	sh("bash -c '. tests/netns/dnsauth.sh && dnsauth_stop %s'", dir);
}

static void cleanup(void)
{
	if (!dir[0])
		return;
	nsd_stop();
	sh("rm -rf %s", dir);
	dir[0] = '\0';
}

static bool mapped(void)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "libunbound"))
			found = true;
	fclose(f);
	return found;
}

/* ---------------------------------------------------------------- answers */

struct res {
	int calls;
	int err;
	int rcode;
	enum upstream_security sec;
	char why[256];
	uint32_t elapsed_us;
	char addrs[256];         /* the A/AAAA of the answer section, space separated */
	bool cname;
	char txt[64];
};

static int outstanding;
static struct loop *loop;

static size_t skip_name(const uint8_t *p, size_t len, size_t off)
{
	while (off < len) {
		if ((p[off] & 0xc0) == 0xc0)
			return off + 2;
		if (!p[off])
			return off + 1;
		off += p[off] + 1;
	}
	return len + 1;
}

static void parse(struct res *r, const uint8_t *p, size_t len)
{
	size_t off = 12, i, an;
	char a[INET6_ADDRSTRLEN];

	assert_true(len >= 12);
	r->rcode = p[3] & 0x0f;
	an = (size_t)p[6] << 8 | p[7];
	for (i = 0; i < ((size_t)p[4] << 8 | p[5]); i++)
		off = skip_name(p, len, off) + 4;
	for (i = 0; i < an && off < len; i++) {
		uint16_t type, rdlen;

		off = skip_name(p, len, off);
		assert_true(off + 10 <= len);
		type = (uint16_t)(p[off] << 8 | p[off + 1]);
		rdlen = (uint16_t)(p[off + 8] << 8 | p[off + 9]);
		off += 10;
		assert_true(off + rdlen <= len);
		if ((type == 1 && rdlen == 4) || (type == 28 && rdlen == 16)) {
			inet_ntop(type == 1 ? AF_INET : AF_INET6, p + off, a, sizeof(a));
			if (r->addrs[0])
				strcat(r->addrs, " ");
			strcat(r->addrs, a);
		} else if (type == 5) {
			r->cname = true;
		} else if (type == 16 && rdlen > 1 && p[off] < sizeof(r->txt)) {
			memcpy(r->txt, p + off + 1, p[off]);
			r->txt[p[off]] = '\0';
		}
		off += rdlen;
	}
}

static void on_done(void *ctx, int err, const uint8_t *pkt, size_t len,
		    enum upstream_security sec, const char *why, uint32_t elapsed_us)
{
	struct res *r = ctx;

	r->calls++;
	r->err = err;
	r->rcode = -1;
	r->sec = sec;
	r->elapsed_us = elapsed_us;
	if (why)
		snprintf(r->why, sizeof(r->why), "%s", why);
	if (pkt)
		parse(r, pkt, len);
	if (--outstanding == 0)
		loop_stop(loop, 0);
}

static void on_guard(struct loop *l, struct timer *t, void *data)
{
	loop_stop(l, -ETIMEDOUT);
}

/* Run the loop until every query asked has been answered, or ms passed: 0 or -ETIMEDOUT. */
static int wait_all(unsigned ms)
{
	struct timer *t = timer_new(loop, on_guard, NULL);
	int r = 0;

	timer_arm(t, ms);
	if (outstanding > 0)
		r = loop_run(loop);
	timer_free(t);
	return r;
}

/* Let the loop run for ms whatever happens. */
static void idle(unsigned ms)
{
	struct timer *t = timer_new(loop, on_guard, NULL);

	timer_arm(t, ms);
	loop_run(loop);
	timer_free(t);
}

static const char *const fixture[] = { "127.0.0.1@" PORT };
static const char *const dead[] = { "127.0.0.1@" DEAD_PORT };

static struct upstream *make(bool dnssec, const char *const *servers)
{
	struct upstream_conf c = {
		.servers = servers, .n_servers = 1, .dnssec = dnssec,
		.trust_anchor_file = anchors,
	};
	struct upstream *u = NULL;

	assert_int_equal(upstream_new(loop, &c, &u), 0);
	assert_non_null(u);
	return u;
}

static void ask(struct upstream *u, const char *name, uint16_t type, struct res *r)
{
	int h = -1;

	memset(r, 0, sizeof(*r));
	assert_int_equal(upstream_resolve(u, name, type, 1, on_done, r, &h), 0);
	outstanding++;
}

static void resolve(struct upstream *u, const char *name, uint16_t type, struct res *r)
{
	ask(u, name, type, r);
	assert_int_equal(wait_all(10000), 0);
	assert_int_equal(r->calls, 1);
}

static void need_live(void)
{
	if (!live)
		skip();
}

static int setup(void **state)
{
	if (live && loop_new(&loop) < 0)
		return -1;
	outstanding = 0;
	return 0;
}

static int teardown(void **state)
{
	loop_free(loop);
	loop = NULL;
	return 0;
}

/* ---------------------------------------------------------------- tests */

/* Runs first: nothing before upstream_new maps the library. */
static void test_loaded_only_when_used(void **state)
{
	struct upstream *u;

	need_live();
	assert_false(mapped());
	u = make(true, fixture);
	assert_true(mapped());
	upstream_free(u);
}

static void test_secure(void **state)
{
	struct upstream *u;
	struct res r;

	need_live();
	u = make(true, fixture);
	resolve(u, "www.test.example", 1, &r);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.rcode, 0);
	assert_int_equal(r.sec, UPSTREAM_SECURE);
	assert_string_equal(r.addrs, "192.0.2.80");

	resolve(u, "mail.test.example", 28, &r);
	assert_int_equal(r.sec, UPSTREAM_SECURE);
	assert_string_equal(r.addrs, "2001:db8::25");

	resolve(u, "txt.test.example", 16, &r);
	assert_int_equal(r.sec, UPSTREAM_SECURE);
	assert_string_equal(r.txt, "hello");

	resolve(u, "alias.test.example", 1, &r);
	assert_int_equal(r.sec, UPSTREAM_SECURE);
	assert_true(r.cname);
	assert_string_equal(r.addrs, "192.0.2.80");

	resolve(u, "nothere.test.example", 1, &r);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.rcode, 3);   /* NXDOMAIN, proven by NSEC */
	assert_int_equal(r.sec, UPSTREAM_SECURE);
	assert_string_equal(r.addrs, "");
	upstream_free(u);
}

static void test_bogus(void **state)
{
	struct upstream *u;
	struct res r;

	need_live();
	u = make(true, fixture);
	resolve(u, "www.bad.example", 1, &r);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.sec, UPSTREAM_BOGUS);
	assert_int_equal(r.rcode, -1);  /* no packet: the failed data is not handed on */
	print_message("bogus: %s\n", r.why[0] ? r.why : "(no reason)");
	assert_true(r.why[0] != '\0');
	/* Only the changed RRset fails: the rest of the zone is still secure. */
	resolve(u, "mail.bad.example", 28, &r);
	assert_int_equal(r.sec, UPSTREAM_SECURE);
	assert_string_equal(r.addrs, "2001:db8::25");
	upstream_free(u);
}

static void test_insecure(void **state)
{
	struct upstream *u;
	struct res r;

	need_live();
	u = make(true, fixture);
	resolve(u, "www.unsigned.example", 1, &r);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.rcode, 0);
	assert_int_equal(r.sec, UPSTREAM_INSECURE);
	assert_string_equal(r.addrs, "192.0.2.90");
	upstream_free(u);
}

static void test_no_validation(void **state)
{
	struct upstream *u;
	struct res r;

	need_live();
	u = make(false, fixture);
	resolve(u, "www.bad.example", 1, &r);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.rcode, 0);
	assert_int_equal(r.sec, UPSTREAM_INSECURE);
	assert_string_equal(r.addrs, "192.0.2.66");
	resolve(u, "www.test.example", 1, &r);
	assert_int_equal(r.sec, UPSTREAM_INSECURE);
	assert_string_equal(r.addrs, "192.0.2.80");
	upstream_free(u);
}

static void test_cache(void **state)
{
	struct upstream *u;
	struct res r;
	uint32_t first;

	need_live();
	u = make(true, fixture);
	resolve(u, "www.test.example", 1, &r);
	assert_int_equal(r.sec, UPSTREAM_SECURE);
	first = r.elapsed_us;
	nsd_stop();
	resolve(u, "www.test.example", 1, &r);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.sec, UPSTREAM_SECURE);
	assert_string_equal(r.addrs, "192.0.2.80");
	print_message("first answer %u us, from the cache %u us\n", first, r.elapsed_us);
	assert_true(r.elapsed_us < 20000);
	upstream_free(u);
	assert_int_equal(nsd_restart(), 0);
}

static void test_cache_size(void **state)
{
	struct upstream_conf c = {
		.servers = fixture, .n_servers = 1, .dnssec = true,
		.trust_anchor_file = anchors, .cache_bytes = 3 << 20,
	};
	struct upstream *u = NULL;
	struct res r;

	need_live();
	assert_int_equal(upstream_new(loop, &c, &u), 0);
	resolve(u, "www.test.example", 1, &r);
	assert_int_equal(r.sec, UPSTREAM_SECURE);
	assert_string_equal(r.addrs, "192.0.2.80");
	upstream_free(u);
}

/* An upstream that is not there: unbound's answer is SERVFAIL (err 0, rcode 2) once it
 * gives up, or our own -ETIMEDOUT at timeout_ms, whichever comes first. */
static void test_unreachable(void **state)
{
	struct upstream_conf c = { .servers = dead, .n_servers = 1, .timeout_ms = 3000 };
	struct upstream *u = NULL;
	struct res r;

	need_live();
	assert_int_equal(upstream_new(loop, &c, &u), 0);
	ask(u, "www.test.example", 1, &r);
	assert_int_equal(wait_all(6000), 0);
	assert_int_equal(r.calls, 1);
	print_message("unreachable upstream: err %d (%s), rcode %d after %u ms\n", r.err,
		      r.err ? strerror(-r.err) : "none", r.rcode, r.elapsed_us / 1000);
	assert_true(r.err == -ETIMEDOUT || (r.err == 0 && r.rcode == 2));
	assert_true(r.elapsed_us <= 3500000);
	assert_int_equal(upstream_pending(u), 0);
	upstream_free(u);
}

static void test_cancel(void **state)
{
	struct upstream *u;
	struct res r[3];
	int h = -1;

	need_live();
	u = make(true, fixture);
	memset(r, 0, sizeof(r));
	assert_int_equal(upstream_resolve(u, "www.test.example", 1, 1, on_done, &r[0], &h), 0);
	assert_int_equal(upstream_pending(u), 1);
	upstream_cancel(u, h);
	assert_int_equal(upstream_pending(u), 0);
	upstream_cancel(u, h);          /* twice, or an unknown handle: nothing */
	upstream_cancel(u, 12345);
	idle(500);
	assert_int_equal(r[0].calls, 0);

	/* Freed with queries pending: no callback after. */
	assert_int_equal(upstream_resolve(u, "mail.test.example", 28, 1, on_done, &r[1], &h), 0);
	assert_int_equal(upstream_resolve(u, "txt.test.example", 16, 1, on_done, &r[2], &h), 0);
	upstream_free(u);
	idle(500);
	assert_int_equal(r[1].calls + r[2].calls, 0);
}

static struct upstream *victim;
static int calls_after_free;

static void on_done_free(void *ctx, int err, const uint8_t *pkt, size_t len,
			 enum upstream_security sec, const char *why, uint32_t elapsed_us)
{
	if (!victim) {
		calls_after_free++;
		return;
	}
	/* Freed from inside its own callback, other answers possibly still in the pipe. */
	upstream_free(victim);
	victim = NULL;
	loop_stop(loop, 0);
}

static void test_free_in_callback(void **state)
{
	struct res r;
	int i, h;

	need_live();
	victim = make(true, fixture);
	resolve(victim, "www.test.example", 1, &r);    /* cached now */
	calls_after_free = 0;
	for (i = 0; i < 20; i++)
		assert_int_equal(upstream_resolve(victim, "www.test.example", 1, 1, on_done_free,
						  NULL, &h), 0);
	idle(2000);
	assert_null(victim);
	assert_int_equal(calls_after_free, 0);
}

static void test_bad_conf(void **state)
{
	static const char *const bad[] = { "not an address" };
	struct upstream_conf c = { .servers = bad, .n_servers = 1 };
	struct upstream *u = (struct upstream *)1;
	char junk[160];
	FILE *f;

	need_live();
	assert_int_equal(upstream_new(loop, &c, &u), -EINVAL);
	assert_null(u);
	c.n_servers = 0;
	assert_int_equal(upstream_new(loop, &c, &u), -EINVAL);
	c.servers = fixture;
	c.n_servers = 1;
	c.dnssec = true;
	c.trust_anchor_file = "/nonexistent/anchors.key";
	assert_int_equal(upstream_new(loop, &c, &u), -EINVAL);
	snprintf(junk, sizeof(junk), "%s/junk.key", dir);
	f = fopen(junk, "w");
	assert_non_null(f);
	fputs("this is not a zone file\n", f);
	fclose(f);
	c.trust_anchor_file = junk;
	assert_int_equal(upstream_new(loop, &c, &u), -EINVAL);
	assert_null(u);
}

/* ---------------------------------------------------------------- figures */

static struct upstream *bench_u;
static long bench_left, bench_done;

static void on_bench(void *ctx, int err, const uint8_t *pkt, size_t len,
		     enum upstream_security sec, const char *why, uint32_t elapsed_us)
{
	int h;

	if (err || sec != UPSTREAM_SECURE)
		fail_msg("cached answer: err %d sec %d", err, sec);
	bench_done++;
	if (bench_left > 0) {
		bench_left--;
		if (upstream_resolve(bench_u, "www.test.example", 1, 1, on_bench, NULL, &h))
			fail_msg("upstream_resolve");
	} else if (upstream_pending(bench_u) == 0) {
		loop_stop(loop, 0);
	}
}

/* CPU seconds of the whole process, the libunbound worker thread included. */
static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Cached answers per second through upstream_resolve, with depth queries kept in flight;
 * then plain ub_resolve (synchronous, from the cache) for comparison. */
static void test_cached_qps(void **state)
{
	static const int depths[] = { 1, 64, 512, 4096 };
	const struct unbound_api *ub;
	struct ub_ctx *ctx;
	struct ub_result *res;
	struct res r;
	double t, c;
	long n = 200000, i;
	size_t d;
	int h;

	need_live();
	bench_u = make(true, fixture);
	resolve(bench_u, "www.test.example", 1, &r);
	assert_int_equal(r.sec, UPSTREAM_SECURE);
	for (d = 0; d < sizeof(depths) / sizeof(depths[0]); d++) {
		bench_done = 0;
		bench_left = n - depths[d];
		t = secs();
		c = cpu();
		for (i = 0; i < depths[d]; i++)
			assert_int_equal(upstream_resolve(bench_u, "www.test.example", 1, 1,
							  on_bench, NULL, &h), 0);
		outstanding = 1;        /* wait_all runs the loop; on_bench stops it */
		assert_int_equal(wait_all(60000), 0);
		outstanding = 0;
		t = secs() - t;
		c = cpu() - c;
		assert_int_equal(bench_done, n);
		print_message("cached qps, upstream_resolve, %d in flight: %.0f (%.1f us CPU each)\n",
			      depths[d], (double)n / t, c * 1e6 / (double)n);
	}
	upstream_free(bench_u);

	ub = unboundapi_load();
	assert_non_null(ub);
	ctx = ub->ctx_create();
	assert_non_null(ctx);
	assert_int_equal(ub->ctx_set_fwd(ctx, fixture[0]), 0);
	assert_int_equal(ub->ctx_set_option(ctx, "do-not-query-localhost:", "no"), 0);
	assert_int_equal(ub->ctx_add_ta_file(ctx, anchors), 0);
	assert_int_equal(ub->resolve(ctx, "www.test.example", 1, 1, &res), 0);
	assert_true(res->secure);
	ub->resolve_free(res);
	/* Each call sets up a worker of its own: a few thousand a second, so fewer. */
	n = 10000;
	t = secs();
	for (i = 0; i < n; i++) {
		assert_int_equal(ub->resolve(ctx, "www.test.example", 1, 1, &res), 0);
		ub->resolve_free(res);
	}
	t = secs() - t;
	print_message("cached qps, ub_resolve (synchronous): %.0f\n", (double)n / t);
	ub->ctx_delete(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_loaded_only_when_used, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bogus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insecure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_in_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_conf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cached_qps, setup, teardown),
	};
	int rc;

	if (geteuid() != 0) {
		fprintf(stderr, "test_upstream_live: not root, skipping\n");
	} else if (access("/usr/sbin/nsd", X_OK) || access("/usr/bin/ldns-signzone", X_OK)) {
		fprintf(stderr, "test_upstream_live: no nsd or ldnsutils, skipping\n");
	} else if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "test_upstream_live: unshare(CLONE_NEWNET): %s, skipping\n",
			strerror(errno));
	} else if (sh("ip link set lo up") != 0) {
		fprintf(stderr, "test_upstream_live: no loopback, skipping\n");
	} else {
		snprintf(dir, sizeof(dir), "/tmp/upstream-live.XXXXXX");
		if (!mkdtemp(dir)) {
			dir[0] = '\0';
		} else {
			atexit(cleanup);
			snprintf(anchors, sizeof(anchors), "%s/anchors.key", dir);
			if (sh("bash -c '. tests/netns/dnsauth.sh && "
			       "dnsauth_start %s 127.0.0.1 " PORT "'", dir) == 0)
				live = true;
			else
				fprintf(stderr, "test_upstream_live: the nsd fixture did not start, "
					"skipping\n");
		}
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	cleanup();
	return rc;
}
