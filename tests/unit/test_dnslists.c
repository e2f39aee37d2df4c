/* The block-list loader on a real loop: lists in each format, a missing file, URLs from an
 * HTTP server on 127.0.0.1 in a private network namespace (200 with an ETag, 304 keeping the
 * cached copy, 404 falling back to it), per-group masks and rules, a request queued behind a
 * running build (the latest wins) and a free while a build runs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "agent/loop.h"
#include "server/dns/filter.h"
#include "server/dns/lists.h"

static char dir[64];            /* files and the cache live here */
static char cache_dir[96];
static bool live;               /* in a private netns with the HTTP server up */
static int http_port;

/* ---- a tiny HTTP server: one thread per connection ---- */

static atomic_int hits_ok, hits_304, hits_404, hits_total;
static atomic_bool gone;        /* /flaky answers 404 once set */
static atomic_int version = 1;  /* /list.txt content and ETag */

static void respond(int fd, const char *status, const char *extra, const char *body)
{
	char buf[4096];
	int n = snprintf(buf, sizeof(buf),
			 "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n%s",
			 status, strlen(body), extra, body);

	(void)!write(fd, buf, (size_t)n);
}

static void *serve_one(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char req[4096], etag[32], extra[128], body[256];
	size_t len = 0;
	ssize_t n;
	int v = atomic_load(&version);

	while (len < sizeof(req) - 1 && (n = read(fd, req + len, sizeof(req) - 1 - len)) > 0) {
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[len] = '\0';
	atomic_fetch_add(&hits_total, 1);
	snprintf(etag, sizeof(etag), "\"v%d\"", v);
	snprintf(extra, sizeof(extra), "ETag: %s\r\nLast-Modified: Mon, 01 Jan 2024 00:00:0%d GMT\r\n",
		 etag, v % 10);
	if (!strncmp(req, "GET /list.txt ", 14)) {
		char inm[64];

		snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
		if (strstr(req, inm)) {
			atomic_fetch_add(&hits_304, 1);
			respond(fd, "304 Not Modified", extra, "");
		} else {
			atomic_fetch_add(&hits_ok, 1);
			snprintf(body, sizeof(body), "# version %d\nu%d.example\n||ua.example^\n",
				 v, v);
			respond(fd, "200 OK", extra, body);
		}
	} else if (!strncmp(req, "GET /flaky ", 11) && !atomic_load(&gone)) {
		atomic_fetch_add(&hits_ok, 1);
		respond(fd, "200 OK", "", "flaky.example\n");
	} else if (!strncmp(req, "GET /slow", 9)) {
		/* /slowN answers after N hundred milliseconds. */
		int tenths = atoi(req + 9);

		usleep((useconds_t)tenths * 100000u);
		respond(fd, "200 OK", "", "slow.example\n");
	} else {
		atomic_fetch_add(&hits_404, 1);
		respond(fd, "404 Not Found", "", "not here\n");
	}
	close(fd);
	return NULL;
}

static void *server_main(void *arg)
{
	int lfd = (int)(intptr_t)arg;

	for (;;) {
		pthread_t t;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		if (pthread_create(&t, NULL, serve_one, (void *)(intptr_t)fd) == 0)
			pthread_detach(t);
		else
			close(fd);
	}
	return NULL;
}

static int lo_up(void)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0), r = -1;

	if (s < 0)
		return -1;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return r;
}

static int server_start(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t sl = sizeof(sa);
	pthread_t t;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	http_port = ntohs(sa.sin_port);
	if (pthread_create(&t, NULL, server_main, (void *)(intptr_t)fd) != 0)
		return -1;
	pthread_detach(t);
	return 0;
}

/* ---- driving the loader ---- */

struct got {
	struct filter *snap;
	struct dns_list_result res[80];
	size_t n;
	uint32_t ms;
};

struct run {
	struct loop *loop;
	struct dns_lists *d;
	struct timer *guard;
	int want, calls;
	struct got got[4];
	bool free_in_callback;
};

static void guard_fired(struct loop *l, struct timer *t, void *data)
{
	loop_stop(l, -ETIMEDOUT);
}

static void done(void *ctx, struct filter *snap, const struct dns_list_result *res, size_t n,
		 uint32_t build_ms)
{
	struct run *r = ctx;
	struct got *g;
	size_t i;

	assert_true(r->calls < 4);
	g = &r->got[r->calls++];
	g->snap = snap;
	g->n = n;
	g->ms = build_ms;
	assert_true(n <= 80);
	for (i = 0; i < n; i++) {
		g->res[i] = res[i];
		g->res[i].etag = res[i].etag ? strdup(res[i].etag) : NULL;
		g->res[i].last_modified = res[i].last_modified ? strdup(res[i].last_modified) : NULL;
	}
	if (r->free_in_callback) {
		dns_lists_free(r->d);
		r->d = NULL;
	}
	if (r->calls >= r->want)
		loop_stop(r->loop, 0);
}

static void run_setup(struct run *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(loop_new(&r->loop), 0);
	assert_int_equal(dns_lists_new(r->loop, cache_dir, done, r, &r->d), 0);
	r->guard = timer_new(r->loop, guard_fired, NULL);
}

static void got_clear(struct got *g)
{
	size_t i;

	filter_free(g->snap);
	for (i = 0; i < g->n; i++) {
		free(g->res[i].etag);
		free(g->res[i].last_modified);
	}
	memset(g, 0, sizeof(*g));
}

static void run_teardown(struct run *r)
{
	int i;

	dns_lists_free(r->d);
	for (i = 0; i < 4; i++)
		got_clear(&r->got[i]);
	timer_free(r->guard);
	loop_free(r->loop);
}

/* Run the loop until want callbacks have come (or 10 s). */
static void run_wait(struct run *r, int want)
{
	r->want = want;
	timer_arm(r->guard, 10000);
	assert_int_equal(loop_run(r->loop), 0);
	timer_disarm(r->guard);
	assert_int_equal(r->calls, want);
}

/* One build and its result. */
static struct got *build1(struct run *r, const struct dns_list_src *l, size_t n,
			  const struct dns_rule_src *rules, size_t nr, const int64_t *groups,
			  size_t ng, bool fetch)
{
	int before = r->calls;

	assert_int_equal(dns_lists_build(r->d, l, n, rules, nr, groups, ng, fetch), 0);
	run_wait(r, before + 1);
	return &r->got[before];
}

static enum filter_action decide(const struct got *g, int64_t group, const char *name, int *src)
{
	int s = -1;
	enum filter_action a;

	assert_non_null(g->snap);
	a = filter_decide(g->snap, group, name, strlen(name), &s);
	if (src)
		*src = s;
	return a;
}

static char *path_of(const char *name)
{
	/* A ring, so the paths in one test's initialisers all stay valid. */
	static char p[32][160];
	static int k;
	char *out = p[k++ % 32];

	snprintf(out, 160, "%s/%s", dir, name);
	return out;
}

static void write_text(const char *name, const char *text)
{
	char p[160];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *url_of(const char *path)
{
	static char u[4][96];
	static int k;
	char *out = u[k++ % 4];

	snprintf(out, 96, "http://127.0.0.1:%d%s", http_port, path);
	return out;
}

static void cache_path(int64_t id, char *out, size_t size)
{
	snprintf(out, size, "%s/%lld.list", cache_dir, (long long)id);
}

/* ---- tests ---- */

static void test_formats(void **state)
{
	struct dns_list_src l[4] = {
		{ .id = 1, .name = "hosts", .source = path_of("hosts.txt") },
		{ .id = 2, .name = "plain", .source = path_of("plain.txt") },
		{ .id = 3, .name = "adblock", .source = path_of("adblock.txt") },
		{ .id = 4, .name = "dnsmasq", .source = path_of("dnsmasq.conf") },
	};
	struct run r;
	struct got *g;
	int src;
	size_t i;

	write_text("hosts.txt", "# a hosts file\n127.0.0.1 localhost\n0.0.0.0 ads.example\n"
		   "127.0.0.1 track.example\n");
	write_text("plain.txt", "plain.example\n*.wild.example\n\n# comment\n");
	write_text("adblock.txt", "! adblock\n||adb.example^\n@@||ok.adb.example^\n$$$ ***\n");
	write_text("dnsmasq.conf", "address=/dm.example/0.0.0.0\naddress=/dm2.example/\n");
	run_setup(&r);
	g = build1(&r, l, 4, NULL, 0, NULL, 0, false);
	assert_int_equal(g->n, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(g->res[i].id, l[i].id);
		assert_int_equal(g->res[i].status, 0);
		assert_int_equal(g->res[i].source_bit, (int)i);
		assert_true(g->res[i].fetched_at > 0);
	}
	assert_int_equal(g->res[0].entries, 2);
	assert_int_equal(g->res[1].entries, 2);
	assert_int_equal(g->res[3].entries, 2);
	assert_int_equal(g->res[2].bad, 1);
	/* The first bad line is named by file and line. */
	{
		char want[200];

		snprintf(want, sizeof(want), "%s:4: ", l[2].source);
		assert_non_null(strstr(g->res[2].error, want));
	}
	assert_int_equal(g->res[0].error[0], '\0');

	assert_int_equal(decide(g, 1, "ads.example", &src), FILTER_BLOCK);
	assert_int_equal(src, 0);
	assert_int_equal(decide(g, 1, "track.example", NULL), FILTER_BLOCK);
	assert_int_equal(decide(g, 1, "localhost", NULL), FILTER_PASS);
	assert_int_equal(decide(g, 1, "plain.example", &src), FILTER_BLOCK);
	assert_int_equal(src, 1);
	assert_int_equal(decide(g, 1, "a.wild.example", NULL), FILTER_BLOCK);
	assert_int_equal(decide(g, 1, "x.adb.example", &src), FILTER_BLOCK);
	assert_int_equal(src, 2);
	assert_int_equal(decide(g, 1, "ok.adb.example", NULL), FILTER_ALLOW);
	assert_int_equal(decide(g, 1, "dm.example", &src), FILTER_BLOCK);
	assert_int_equal(src, 3);
	assert_int_equal(decide(g, 1, "dm2.example", NULL), FILTER_BLOCK);
	assert_int_equal(decide(g, 1, "other.example", NULL), FILTER_PASS);
	assert_true(filter_entries(g->snap) >= 8);
	run_teardown(&r);
}

static void test_missing_file(void **state)
{
	struct dns_list_src l[3] = {
		{ .id = 1, .source = path_of("plain.txt") },
		{ .id = 2, .source = path_of("missing.txt") },
		{ .id = 3, .source = "ftp://example.net/list" },
	};
	struct run r;
	struct got *g;
	char want[200];

	write_text("plain.txt", "plain.example\n");
	run_setup(&r);
	g = build1(&r, l, 3, NULL, 0, NULL, 0, true);
	assert_int_equal(g->res[0].status, 0);
	assert_int_equal(g->res[1].status, -ENOENT);
	snprintf(want, sizeof(want), "open %s: No such file", l[1].source);
	assert_non_null(strstr(g->res[1].error, want));
	assert_int_equal(g->res[1].source_bit, -1);
	assert_int_equal(g->res[1].entries, 0);
	assert_int_equal(g->res[2].status, -EPROTONOSUPPORT);
	assert_int_equal(g->res[2].source_bit, -1);
	/* The others still load. */
	assert_int_equal(decide(g, 1, "plain.example", NULL), FILTER_BLOCK);
	run_teardown(&r);
}

/* A deleted list's cached copy goes; a known list's, a disabled one's, a download's
 * temporary file and anything else stay. */
static void test_prune(void **state)
{
	const char *names[] = { "21.list", "22.list", "23.list", "24.list.tmp.AbC123", "notes" };
	int64_t known[] = { 22, 23 };
	char p[256];
	struct run r;
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		FILE *f;

		snprintf(p, sizeof(p), "%s/%s", cache_dir, names[i]);
		assert_non_null(f = fopen(p, "w"));
		fputs("x.example\n", f);
		fclose(f);
	}
	run_setup(&r);
	dns_lists_prune(r.d, known, 2);
	for (i = 0; i < 5; i++) {
		snprintf(p, sizeof(p), "%s/%s", cache_dir, names[i]);
		assert_int_equal(access(p, F_OK) == 0, i != 0);
		unlink(p);
	}
	run_teardown(&r);
}

static void test_url_etag(void **state)
{
	struct dns_list_src l = { .id = 10, .name = "remote", .source = url_of("/list.txt") };
	char cp[160];
	struct stat st;
	struct run r;
	struct got *g;
	int ok0, n304;

	if (!live)
		skip();
	cache_path(10, cp, sizeof(cp));
	unlink(cp);
	atomic_store(&version, 1);
	ok0 = atomic_load(&hits_ok);
	n304 = atomic_load(&hits_304);
	run_setup(&r);

	/* First fetch: 200, validators and a 0600 cached copy. */
	g = build1(&r, &l, 1, NULL, 0, NULL, 0, true);
	assert_int_equal(g->res[0].status, 0);
	assert_string_equal(g->res[0].error, "");
	assert_int_equal(g->res[0].entries, 2);
	assert_non_null(g->res[0].etag);
	assert_string_equal(g->res[0].etag, "\"v1\"");
	assert_non_null(g->res[0].last_modified);
	assert_true(g->res[0].fetched_at >= time(NULL) - 5);
	assert_int_equal(atomic_load(&hits_ok), ok0 + 1);
	assert_int_equal(stat(cp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, strlen("# version 1\nu1.example\n||ua.example^\n"));
	assert_int_equal(decide(g, 1, "u1.example", NULL), FILTER_BLOCK);

	/* Second, with the ETag: 304, the cached copy's entries. */
	l.etag = g->res[0].etag;
	l.last_modified = g->res[0].last_modified;
	g = build1(&r, &l, 1, NULL, 0, NULL, 0, true);
	assert_int_equal(g->res[0].status, 304);
	assert_int_equal(atomic_load(&hits_304), n304 + 1);
	assert_int_equal(atomic_load(&hits_ok), ok0 + 1);
	assert_int_equal(g->res[0].entries, 2);
	assert_string_equal(g->res[0].etag, "\"v1\"");
	assert_int_equal(g->res[0].source_bit, 0);
	assert_int_equal(decide(g, 1, "u1.example", NULL), FILTER_BLOCK);
	assert_int_equal(decide(g, 1, "x.ua.example", NULL), FILTER_BLOCK);
	assert_int_equal(stat(cp, &st), 0);

	/* A reload without fetching asks nobody and uses the copy. */
	{
		int total = atomic_load(&hits_total);

		g = build1(&r, &l, 1, NULL, 0, NULL, 0, false);
		assert_int_equal(atomic_load(&hits_total), total);
		assert_int_equal(g->res[0].status, 0);
		assert_int_equal(g->res[0].entries, 2);
		assert_string_equal(g->res[0].etag, "\"v1\"");
		assert_int_equal(decide(g, 1, "u1.example", NULL), FILTER_BLOCK);
	}

	/* The list changes: the stale ETag gets the new one. */
	atomic_store(&version, 2);
	g = build1(&r, &l, 1, NULL, 0, NULL, 0, true);
	assert_int_equal(g->res[0].status, 0);
	assert_string_equal(g->res[0].etag, "\"v2\"");
	assert_int_equal(decide(g, 1, "u2.example", NULL), FILTER_BLOCK);
	assert_int_equal(decide(g, 1, "u1.example", NULL), FILTER_PASS);
	run_teardown(&r);
	atomic_store(&version, 1);
}

static void test_url_404(void **state)
{
	struct dns_list_src l[2] = {
		{ .id = 11, .name = "flaky", .source = url_of("/flaky"), .etag = "\"old\"" },
		{ .id = 12, .name = "never", .source = url_of("/nothing") },
	};
	char cp[160];
	struct run r;
	struct got *g;

	if (!live)
		skip();
	cache_path(11, cp, sizeof(cp));
	unlink(cp);
	cache_path(12, cp, sizeof(cp));
	unlink(cp);
	atomic_store(&gone, false);
	run_setup(&r);
	g = build1(&r, l, 2, NULL, 0, NULL, 0, true);
	assert_int_equal(g->res[0].status, 0);
	assert_int_equal(g->res[0].entries, 1);
	assert_int_equal(g->res[1].status, -ENOENT);
	assert_string_equal(g->res[1].error, "HTTP 404");
	assert_int_equal(g->res[1].source_bit, -1);

	/* Gone now: the cached copy stays in force, and the result says why. */
	atomic_store(&gone, true);
	g = build1(&r, l, 2, NULL, 0, NULL, 0, true);
	assert_int_equal(g->res[0].status, -ENOENT);
	assert_non_null(strstr(g->res[0].error, "HTTP 404"));
	assert_non_null(strstr(g->res[0].error, "cached copy"));
	assert_int_equal(g->res[0].entries, 1);
	assert_int_equal(g->res[0].source_bit, 0);
	assert_string_equal(g->res[0].etag, "\"old\"");
	assert_true(g->res[0].fetched_at > 0);
	assert_int_equal(decide(g, 1, "flaky.example", NULL), FILTER_BLOCK);
	run_teardown(&r);
	atomic_store(&gone, false);
}

static void test_groups(void **state)
{
	int64_t g2[] = { 2 }, g23[] = { 2, 3 }, all[] = { 2, 3, 4 };
	struct dns_list_src l[3] = {
		{ .id = 1, .source = path_of("for2.txt"), .groups = g2, .n_groups = 1 },
		{ .id = 2, .source = path_of("every.txt") },
		{ .id = 3, .source = path_of("for23.txt"), .groups = g23, .n_groups = 2 },
	};
	struct dns_rule_src rules[] = {
		{ .pattern = "r3.example", .action = FILTER_BLOCK, .group_id = 3 },
		{ .pattern = "ok.every.example", .action = FILTER_ALLOW, .group_id = 0 },
		{ .pattern = "rall.example", .action = FILTER_BLOCK, .group_id = 0 },
		{ .pattern = "bad$$rule", .action = FILTER_BLOCK, .group_id = 0 },
		{ .pattern = "r5.example", .action = FILTER_BLOCK, .group_id = 5 },
	};
	struct run r;
	struct got *g;
	int src;

	write_text("for2.txt", "two.example\n");
	write_text("every.txt", "every.example\n");
	write_text("for23.txt", "twothree.example\n");
	run_setup(&r);
	g = build1(&r, l, 3, rules, 5, all, 3, false);
	/* Three lists, then the rules of every group, of group 3 and of group 5. */
	assert_int_equal(g->n, 6);
	assert_int_equal(g->res[3].id, 0);
	assert_int_equal(g->res[3].group_id, 0);
	assert_int_equal(g->res[3].source_bit, 0);
	assert_int_equal(g->res[3].entries, 2);
	assert_int_equal(g->res[3].bad, 1);
	assert_non_null(strstr(g->res[3].error, "rule bad$$rule"));
	assert_int_equal(g->res[4].group_id, 3);
	assert_int_equal(g->res[4].source_bit, 1);
	assert_int_equal(g->res[4].entries, 1);
	assert_int_equal(g->res[5].group_id, 5);
	assert_int_equal(g->res[5].source_bit, 2);
	assert_int_equal(g->res[0].source_bit, 3);
	assert_int_equal(g->res[1].source_bit, 4);
	assert_int_equal(g->res[2].source_bit, 5);

	/* A list for group 2 blocks for 2, not for 3, 4 or a group made after. */
	assert_int_equal(decide(g, 2, "two.example", &src), FILTER_BLOCK);
	assert_int_equal(src, 3);
	assert_int_equal(decide(g, 3, "two.example", NULL), FILTER_PASS);
	assert_int_equal(decide(g, 4, "two.example", NULL), FILTER_PASS);
	assert_int_equal(decide(g, 99, "two.example", NULL), FILTER_PASS);
	assert_int_equal(decide(g, 2, "twothree.example", NULL), FILTER_BLOCK);
	assert_int_equal(decide(g, 3, "twothree.example", NULL), FILTER_BLOCK);
	assert_int_equal(decide(g, 4, "twothree.example", NULL), FILTER_PASS);
	/* A list for no group: every group, and the default. */
	assert_int_equal(decide(g, 2, "every.example", NULL), FILTER_BLOCK);
	assert_int_equal(decide(g, 4, "every.example", NULL), FILTER_BLOCK);
	assert_int_equal(decide(g, 99, "every.example", NULL), FILTER_BLOCK);
	/* A rule for group 3 only. */
	assert_int_equal(decide(g, 3, "r3.example", &src), FILTER_BLOCK);
	assert_int_equal(src, 1);
	assert_int_equal(decide(g, 2, "r3.example", NULL), FILTER_PASS);
	assert_int_equal(decide(g, 99, "r3.example", NULL), FILTER_PASS);
	/* Group 5 is in no list of groups, yet its rule holds for it. */
	assert_int_equal(decide(g, 5, "r5.example", NULL), FILTER_BLOCK);
	assert_int_equal(decide(g, 5, "every.example", NULL), FILTER_BLOCK);
	assert_int_equal(decide(g, 3, "r5.example", NULL), FILTER_PASS);
	/* Rules for every group, including the default. */
	assert_int_equal(decide(g, 4, "rall.example", &src), FILTER_BLOCK);
	assert_int_equal(src, 0);
	assert_int_equal(decide(g, 99, "rall.example", NULL), FILTER_BLOCK);
	assert_int_equal(decide(g, 2, "ok.every.example", NULL), FILTER_ALLOW);
	assert_int_equal(decide(g, 99, "ok.every.example", NULL), FILTER_ALLOW);
	run_teardown(&r);
}

static void test_too_many(void **state)
{
	struct dns_list_src l[FILTER_SOURCES_MAX + 2];
	struct dns_rule_src rule = { .pattern = "rule.example", .action = FILTER_BLOCK };
	struct run r;
	struct got *g;
	size_t i;

	write_text("every.txt", "every.example\n");
	memset(l, 0, sizeof(l));
	run_setup(&r);
	for (i = 0; i < FILTER_SOURCES_MAX + 2; i++) {
		l[i].id = (int64_t)i + 100;
		l[i].source = path_of("every.txt");
	}
	g = build1(&r, l, FILTER_SOURCES_MAX + 2, &rule, 1, NULL, 0, false);
	assert_int_equal(g->n, FILTER_SOURCES_MAX + 3);
	assert_int_equal(g->res[FILTER_SOURCES_MAX + 2].source_bit, 0);
	assert_int_equal(g->res[FILTER_SOURCES_MAX - 2].source_bit, FILTER_SOURCES_MAX - 1);
	assert_int_equal(g->res[FILTER_SOURCES_MAX - 1].source_bit, -1);
	assert_int_equal(g->res[FILTER_SOURCES_MAX - 1].status, -E2BIG);
	assert_int_equal(g->res[FILTER_SOURCES_MAX + 1].source_bit, -1);
	assert_int_equal(decide(g, 1, "every.example", NULL), FILTER_BLOCK);
	run_teardown(&r);
}

/* Three requests while the first runs: the first finishes, the third replaces the second,
 * one callback each for the two that ran. */
static void test_latest_wins(void **state)
{
	struct dns_list_src slow = { .id = 20, .source = url_of("/slow5") };
	struct dns_list_src b = { .id = 21, .source = path_of("b.txt") };
	struct dns_list_src c = { .id = 22, .source = path_of("c.txt") };
	struct run r;

	if (!live)
		skip();
	write_text("b.txt", "b.example\n");
	write_text("c.txt", "c.example\n");
	run_setup(&r);
	assert_int_equal(dns_lists_build(r.d, &slow, 1, NULL, 0, NULL, 0, true), 0);
	assert_true(dns_lists_busy(r.d));
	assert_int_equal(dns_lists_build(r.d, &b, 1, NULL, 0, NULL, 0, false), 0);
	assert_int_equal(dns_lists_build(r.d, &c, 1, NULL, 0, NULL, 0, false), 0);
	run_wait(&r, 2);
	assert_int_equal(r.got[0].res[0].id, 20);
	assert_int_equal(r.got[0].res[0].status, 0);
	assert_int_equal(decide(&r.got[0], 1, "slow.example", NULL), FILTER_BLOCK);
	assert_int_equal(r.got[1].n, 1);
	assert_int_equal(r.got[1].res[0].id, 22);
	assert_int_equal(decide(&r.got[1], 1, "c.example", NULL), FILTER_BLOCK);
	assert_int_equal(decide(&r.got[1], 1, "b.example", NULL), FILTER_PASS);
	assert_false(dns_lists_busy(r.d));

	/* Nothing else comes. */
	r.want = 3;
	timer_arm(r.guard, 700);
	assert_int_equal(loop_run(r.loop), -ETIMEDOUT);
	assert_int_equal(r.calls, 2);
	run_teardown(&r);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A free while a download runs cancels it without a callback. */
static void test_free_during_build(void **state)
{
	struct dns_list_src slow = { .id = 30, .source = url_of("/slow40") };
	struct run r;
	uint64_t t0;

	if (!live)
		skip();
	run_setup(&r);
	assert_int_equal(dns_lists_build(r.d, &slow, 1, NULL, 0, NULL, 0, true), 0);
	assert_int_equal(dns_lists_build(r.d, &slow, 1, NULL, 0, NULL, 0, true), 0);
	usleep(200000);
	t0 = now_ms();
	dns_lists_free(r.d);
	r.d = NULL;
	assert_true(now_ms() - t0 < 2500);
	r.want = 1;
	timer_arm(r.guard, 300);
	assert_int_equal(loop_run(r.loop), -ETIMEDOUT);
	assert_int_equal(r.calls, 0);
	run_teardown(&r);
}

/* A free from inside the callback, with another build queued. */
static void test_free_in_callback(void **state)
{
	struct dns_list_src b = { .id = 21, .source = path_of("b.txt") };
	struct run r;

	write_text("b.txt", "b.example\n");
	run_setup(&r);
	r.free_in_callback = true;
	assert_int_equal(dns_lists_build(r.d, &b, 1, NULL, 0, NULL, 0, false), 0);
	assert_int_equal(dns_lists_build(r.d, &b, 1, NULL, 0, NULL, 0, false), 0);
	run_wait(&r, 1);
	assert_null(r.d);
	r.want = 2;
	timer_arm(r.guard, 300);
	assert_int_equal(loop_run(r.loop), -ETIMEDOUT);
	assert_int_equal(r.calls, 1);
	run_teardown(&r);
}

static void rm_rf(const char *p)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	(void)!system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_prune),
		cmocka_unit_test(test_url_etag),
		cmocka_unit_test(test_url_404),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_latest_wins),
		cmocka_unit_test(test_free_during_build),
		cmocka_unit_test(test_free_in_callback),
	};
	int r;

	strcpy(dir, "/tmp/test_dnslists.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(cache_dir, sizeof(cache_dir), "%s/cache", dir);
	if (geteuid() != 0)
		fprintf(stderr, "test_dnslists: not root, skipping the URL tests\n");
	else if (unshare(CLONE_NEWNET) < 0)
		fprintf(stderr, "test_dnslists: unshare(CLONE_NEWNET): %s, skipping the URL tests\n",
			strerror(errno));
	else if (lo_up() < 0 || server_start() < 0)
		fprintf(stderr, "test_dnslists: no loopback HTTP server, skipping the URL tests\n");
	else
		live = true;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	rm_rf(dir);
	return r;
}
