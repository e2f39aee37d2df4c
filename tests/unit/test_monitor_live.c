/* The monitor against the real kernel, inside a private network namespace (root only). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netcfg/addr.h"
#include "netcfg/link.h"
#include "netcfg/monitor.h"
#include "netcfg/nft.h"
#include "netcfg/nl.h"
#include "netcfg/route.h"
#include "netcfg/rule.h"

/* main() moves the whole process into a fresh netns before any test runs, so the host's
 * links, routes, rules and ruleset are never touched. Each test opens its own monitor,
 * changes things through netcfg (or ip/nft as "someone else") in this same process, and
 * reads the monitor's fds with poll: the events must come, carry the right fields, and
 * nothing must come for foreign objects. */
static bool live, have_nft, have_ip;
static const char *link_kind;

#define NETLINK_ROUTE_BUS 0     /* NETLINK_ROUTE */
#define PROTO 57
#define RTPROT_STATIC 4
#define TABLE 6200
#define WAIT_MS 1000            /* an event later than this counts as missing */
#define QUIET_MS 50             /* how long "nothing more comes" is watched for */
#define KEEP 256

struct live {
	struct monitor *m;
	struct nl *rt, *nf;
	int fds[MONITOR_NBUS];
	struct monitor_event ev[KEEP];   /* since the last settle(), the first KEEP */
	uint64_t at[KEEP];               /* when each was delivered, in microseconds */
	size_t n, total;
	size_t cur;                      /* ev[] before this were matched by expect() */
	size_t count[MON_OVERRUN + 1][2];/* by kind and deleted, over the whole test */
};

/* Latency from the start of a change to its event, and from the change's return. */
static uint64_t lat_sum, lat_max, lat_n, ret_max;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void collect(const struct monitor_event *ev, void *data)
{
	struct live *L = data;

	if (L->n < KEEP) {
		L->ev[L->n] = *ev;
		L->at[L->n] = now_us();
		L->n++;
	}
	L->total++;
	L->count[ev->kind][ev->deleted]++;
}

static const struct monitor_link watched[] = { { "wmon0", 0 } };

static int setup(void **state)
{
	struct monitor_interest in = {
		.links = watched, .n_links = 1, .protocol = PROTO, .nft_table = NFT_TABLE_AGENT,
	};
	struct live *L;

	if (!live) {
		*state = NULL;
		return 0;
	}
	L = calloc(1, sizeof(*L));
	if (!L)
		return -1;
	L->m = monitor_new(collect, L);
	if (monitor_set_interest(L->m, &in) < 0 || monitor_open(L->m) < 0 ||
	    nl_open(&L->rt, NETLINK_ROUTE_BUS) < 0 || nl_open(&L->nf, NFT_NETLINK_BUS) < 0)
		return -1;
	monitor_fds(L->m, L->fds);
	*state = L;
	return 0;
}

static int teardown(void **state)
{
	struct live *L = *state;
	static const char *names[] = { "wmon0", "wmon9", "other0" };
	size_t i;
	int idx;

	if (!L)
		return 0;
	/* a failed test leaves its links; the next one must not trip over them */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (link_index(L->rt, names[i], &idx) == 0)
			link_delete(L->rt, idx);
	if (have_nft)
		(void)!system("nft flush ruleset");
	monitor_free(L->m);
	nl_close(L->rt);
	nl_close(L->nf);
	free(L);
	return 0;
}

static struct live *live_state(void **state)
{
	if (!live)
		skip();
	return *state;
}

static struct cidr C(const char *s)
{
	struct cidr c;

	assert_int_equal(cidr_parse(&c, s), 0);
	return c;
}

/* Wait up to timeout_ms for either fd and read what is there; the number of events. */
static int pump(struct live *L, int timeout_ms)
{
	struct pollfd p[MONITOR_NBUS] = {
		{ .fd = L->fds[MONITOR_RTNL], .events = POLLIN },
		{ .fd = L->fds[MONITOR_NFT], .events = POLLIN },
	};
	int i, r, n = 0;

	r = poll(p, MONITOR_NBUS, timeout_ms);
	assert_true(r >= 0);
	for (i = 0; i < MONITOR_NBUS; i++) {
		if (!(p[i].revents & POLLIN))
			continue;
		r = monitor_read(L->m, p[i].fd);
		assert_true(r >= 0);
		n += r;
	}
	return n;
}

/* Read until QUIET_MS pass without data, then forget what came. */
static void settle(struct live *L)
{
	while (pump(L, QUIET_MS) > 0 || L->n == KEEP)
		L->n = 0;
	L->n = L->cur = 0;
}

/* Nothing at all is reported for a while: the change was someone else's. */
static void quiet(struct live *L, const char *what)
{
	size_t i;

	pump(L, QUIET_MS);
	for (i = 0; i < L->n; i++)
		fprintf(stderr, "  unexpected: kind %d deleted %d ifname %s\n", L->ev[i].kind,
			L->ev[i].deleted, L->ev[i].ifname);
	if (L->n)
		fail_msg("%s: %zu events reported", what, L->n);
}

/* The next event of kind (and deletion state) delivered after t0, waiting for it; t0 and
 * t1 are when the change was started and returned. Events before it are passed over. */
static const struct monitor_event *expect(struct live *L, enum monitor_kind kind, bool deleted,
					  uint64_t t0, uint64_t t1)
{
	uint64_t end = now_us() + WAIT_MS * 1000u;
	size_t i = L->cur;

	for (;;) {
		for (; i < L->n; i++) {
			if (L->ev[i].kind != kind || L->ev[i].deleted != deleted ||
			    L->at[i] < t0)
				continue;
			L->cur = i + 1;
			lat_sum += L->at[i] - t0;
			lat_n++;
			if (L->at[i] - t0 > lat_max)
				lat_max = L->at[i] - t0;
			if (L->at[i] > t1 && L->at[i] - t1 > ret_max)
				ret_max = L->at[i] - t1;
			return &L->ev[i];
		}
		if (now_us() >= end)
			fail_msg("no event of kind %d (deleted %d) within %d ms", kind, deleted,
				 WAIT_MS);
		pump(L, 10);
	}
}

/* Run a change, remembering when it started and returned. A command run through the
 * shell counts from its return: spawning it is no part of the notification's way. */
#define TIMED(t0, t1, call) do { t0 = now_us(); call; t1 = now_us(); } while (0)
#define TIMED_SH(t0, t1, cmd) do { sh(cmd); t0 = t1 = now_us(); } while (0)

static int make_link(struct nl *nl, const char *name)
{
	int idx = 0, r = link_create(nl, name, link_kind, &idx);

	if (r < 0)
		fail_msg("link %s: create: %s", name, nl_strerror(nl, r));
	return idx;
}

static void sh(const char *cmd)
{
	if (system(cmd) != 0)
		fail_msg("`%s` failed", cmd);
}

static void test_links_and_addresses(void **state)
{
	struct live *L = live_state(state);
	const struct monitor_event *ev;
	struct cidr a4 = C("10.77.0.1/24"), a6 = C("fd77::1/64"), o4 = C("10.78.0.1/24");
	uint64_t t0, t1;
	int idx, other;

	TIMED(t0, t1, idx = make_link(L->rt, "wmon0"));
	ev = expect(L, MON_LINK, false, t0, t1);
	assert_string_equal(ev->ifname, "wmon0");
	assert_string_equal(ev->u.link.name, "wmon0");
	assert_int_equal(ev->ifindex, idx);
	assert_string_equal(ev->u.link.kind, link_kind);
	settle(L);

	other = make_link(L->rt, "other0");
	quiet(L, "a foreign link");

	TIMED(t0, t1, assert_int_equal(link_set_up(L->rt, idx, true), 0));
	ev = expect(L, MON_LINK, false, t0, t1);
	assert_true(ev->u.link.flags & LINK_F_UP);
	settle(L);

	TIMED(t0, t1, assert_int_equal(addr_add(L->rt, idx, &a4, 0), 0));
	ev = expect(L, MON_ADDR, false, t0, t1);
	assert_string_equal(ev->ifname, "wmon0");
	assert_int_equal(ev->ifindex, idx);
	assert_true(cidr_equal(&ev->u.addr.addr, &a4));
	settle(L);
	TIMED(t0, t1, assert_int_equal(addr_add(L->rt, idx, &a6, ADDR_NODAD), 0));
	ev = expect(L, MON_ADDR, false, t0, t1);
	assert_true(cidr_equal(&ev->u.addr.addr, &a6));
	settle(L);

	assert_int_equal(addr_add(L->rt, other, &o4, 0), 0);
	quiet(L, "an address on a foreign link");
	assert_int_equal(addr_del(L->rt, other, &o4), 0);
	quiet(L, "an address gone from a foreign link");

	TIMED(t0, t1, assert_int_equal(addr_del(L->rt, idx, &a4), 0));
	ev = expect(L, MON_ADDR, true, t0, t1);
	assert_true(cidr_equal(&ev->u.addr.addr, &a4));
	TIMED(t0, t1, assert_int_equal(addr_del(L->rt, idx, &a6), 0));
	ev = expect(L, MON_ADDR, true, t0, t1);
	assert_true(cidr_equal(&ev->u.addr.addr, &a6));
	settle(L);

	if (have_ip) {
		/* a rename is reported under the name warren gave the link */
		assert_int_equal(link_set_up(L->rt, idx, false), 0);
		settle(L);
		TIMED_SH(t0, t1, "ip link set dev wmon0 name wmon9");
		ev = expect(L, MON_LINK, false, t0, t1);
		assert_string_equal(ev->ifname, "wmon0");
		assert_string_equal(ev->u.link.name, "wmon9");
		assert_int_equal(ev->ifindex, idx);
		settle(L);
		TIMED_SH(t0, t1, "ip link set dev wmon9 name wmon0");
		ev = expect(L, MON_LINK, false, t0, t1);
		assert_string_equal(ev->u.link.name, "wmon0");
		settle(L);
	}

	TIMED(t0, t1, assert_int_equal(link_delete(L->rt, idx), 0));
	ev = expect(L, MON_LINK, true, t0, t1);
	assert_string_equal(ev->ifname, "wmon0");
	assert_int_equal(ev->ifindex, idx);
	settle(L);
	assert_int_equal(link_delete(L->rt, other), 0);
	quiet(L, "a foreign link deleted");
}

static void test_routes(void **state)
{
	struct live *L = live_state(state);
	const struct monitor_event *ev;
	struct cidr a4 = C("10.77.0.1/24");
	struct route r4, r6, foreign;
	uint64_t t0, t1;
	int idx;

	idx = make_link(L->rt, "wmon0");
	assert_int_equal(link_set_up(L->rt, idx, true), 0);
	assert_int_equal(addr_add(L->rt, idx, &a4, 0), 0);
	settle(L);

	route_init(&r4, AF_INET);
	r4.dst = C("10.50.0.0/16");
	r4.table = TABLE;
	r4.oif = idx;
	TIMED(t0, t1, assert_int_equal(route_add(L->rt, &r4, false), 0));
	ev = expect(L, MON_ROUTE, false, t0, t1);
	assert_int_equal(ev->u.route.table, TABLE);
	assert_int_equal(ev->u.route.protocol, PROTO);
	assert_int_equal(ev->ifindex, idx);
	assert_string_equal(ev->ifname, "wmon0");
	assert_true(cidr_equal(&ev->u.route.dst, &r4.dst));
	assert_int_equal(ev->portid, L->rt->portid);
	settle(L);

	route_init(&r6, AF_INET6);
	r6.dst = C("fd50::/64");
	r6.table = TABLE;
	r6.type = ROUTE_UNREACHABLE;
	TIMED(t0, t1, assert_int_equal(route_add(L->rt, &r6, false), 0));
	ev = expect(L, MON_ROUTE, false, t0, t1);
	assert_int_equal(ev->u.route.family, AF_INET6);
	assert_int_equal(ev->u.route.type, ROUTE_UNREACHABLE);
	settle(L);

	/* proto static, same table, even through warren's link */
	foreign = r4;
	foreign.dst = C("10.51.0.0/16");
	foreign.protocol = RTPROT_STATIC;
	assert_int_equal(route_add(L->rt, &foreign, false), 0);
	quiet(L, "a static route");
	if (have_ip) {
		sh("ip route add 10.52.0.0/16 dev wmon0 table 6200");
		quiet(L, "a boot-protocol route from ip");
		sh("ip route del 10.52.0.0/16 dev wmon0 table 6200");
		quiet(L, "a boot-protocol route deleted by ip");
	}
	assert_int_equal(route_del(L->rt, &foreign), 0);
	quiet(L, "a static route deleted");

	TIMED(t0, t1, assert_int_equal(route_del(L->rt, &r4), 0));
	ev = expect(L, MON_ROUTE, true, t0, t1);
	assert_true(cidr_equal(&ev->u.route.dst, &r4.dst));
	TIMED(t0, t1, assert_int_equal(route_del(L->rt, &r6), 0));
	ev = expect(L, MON_ROUTE, true, t0, t1);
	assert_true(cidr_equal(&ev->u.route.dst, &r6.dst));
	settle(L);
	assert_int_equal(link_delete(L->rt, idx), 0);
	settle(L);
}

static void test_rules(void **state)
{
	struct live *L = live_state(state);
	const struct monitor_event *ev;
	struct rule r4, r6, foreign;
	uint64_t t0, t1;

	rule_init(&r4, AF_INET);
	r4.priority = 6200;
	r4.table = TABLE;
	r4.fwmark = 0x5157;
	TIMED(t0, t1, assert_int_equal(rule_add(L->rt, &r4), 0));
	ev = expect(L, MON_RULE, false, t0, t1);
	assert_true(rule_equal(&ev->u.rule, &r4));
	settle(L);

	rule_init(&r6, AF_INET6);
	r6.priority = 6201;
	r6.table = TABLE;
	TIMED(t0, t1, assert_int_equal(rule_add(L->rt, &r6), 0));
	ev = expect(L, MON_RULE, false, t0, t1);
	assert_true(rule_equal(&ev->u.rule, &r6));
	settle(L);

	foreign = r4;
	foreign.priority = 6250;
	foreign.protocol = RTPROT_STATIC;
	assert_int_equal(rule_add(L->rt, &foreign), 0);
	quiet(L, "a static rule");
	assert_int_equal(rule_del(L->rt, &foreign), 0);
	quiet(L, "a static rule deleted");

	TIMED(t0, t1, assert_int_equal(rule_del(L->rt, &r4), 0));
	ev = expect(L, MON_RULE, true, t0, t1);
	assert_true(rule_equal(&ev->u.rule, &r4));
	TIMED(t0, t1, assert_int_equal(rule_del(L->rt, &r6), 0));
	ev = expect(L, MON_RULE, true, t0, t1);
	assert_true(rule_equal(&ev->u.rule, &r6));
	settle(L);
}

static void test_nft(void **state)
{
	struct live *L = live_state(state);
	const struct monitor_event *ev;
	struct nft_tunnel t = { .ifname = "wg-mon", .families = FAMILY_IPV4, .snat = true };
	struct cidr lan = C("192.168.10.0/24");
	struct nft_spec spec = { .tunnels = &t, .n_tunnels = 1 };
	static const struct nft_spec empty;
	uint32_t gen = 0, gen2 = 0;
	uint64_t t0, t1;
	int err;

	if (!have_nft)
		skip();
	spec.lan_subnets.v = &lan;
	spec.lan_subnets.n = 1;

	/* our own commit, recorded as the agent does right after nft_apply */
	err = nft_apply(L->nf, &spec, &gen);
	if (err < 0)
		fail_msg("nft_apply: %s", nl_strerror(L->nf, err));
	monitor_own_nft_gen(L->m, gen);
	quiet(L, "our own commit");
	assert_int_equal(monitor_nft_gen(L->m), gen);

	/* the same commit not recorded as ours looks like someone else's */
	TIMED(t0, t1, assert_int_equal(nft_apply(L->nf, &spec, &gen2), 0));
	ev = expect(L, MON_NFT, false, t0, t1);
	assert_int_equal(ev->nft_gen, gen2);
	assert_int_equal(ev->bus, MONITOR_NFT);
	assert_int_equal(ev->portid, L->nf->portid);
	settle(L);

	sh("nft add table inet other");
	quiet(L, "table inet other");
	sh("nft add chain inet other c");
	quiet(L, "a chain in inet other");
	sh("nft add table ip warren");
	quiet(L, "table ip warren");

	TIMED_SH(t0, t1, "nft add chain inet warren extra");
	ev = expect(L, MON_NFT, false, t0, t1);
	assert_int_equal(ev->nft_gen, monitor_nft_gen(L->m));
	assert_true(ev->nft_gen != gen2);
	assert_string_equal(ev->nft_comm, "nft");
	assert_true(ev->nft_pid > 0);
	settle(L);

	TIMED_SH(t0, t1, "nft delete table inet warren");
	ev = expect(L, MON_NFT, true, t0, t1);
	settle(L);

	/* our table back, then everybody's flushed */
	assert_int_equal(nft_apply(L->nf, &spec, &gen), 0);
	monitor_own_nft_gen(L->m, gen);
	quiet(L, "our own commit again");
	TIMED_SH(t0, t1, "nft flush ruleset");
	ev = expect(L, MON_NFT, true, t0, t1);
	settle(L);

	/* removal by us is ours too */
	assert_int_equal(nft_apply(L->nf, &spec, &gen), 0);
	monitor_own_nft_gen(L->m, gen);
	assert_int_equal(nft_apply(L->nf, &empty, &gen), 0);
	monitor_own_nft_gen(L->m, gen);
	quiet(L, "two own commits before a read");
}

/* n unreachable /32 routes of ours in table, through batches of requests. */
static void route_burst(struct nl *nl, uint32_t table, uint32_t first, uint32_t n,
			enum route_op op)
{
	enum { PER_BATCH = 64 };
	uint8_t *buf = malloc(NL_BUFSIZE);
	size_t len = 0, k = 0;
	uint32_t i;
	int failed, err;

	assert_non_null(buf);
	for (i = first; i < first + n; i++) {
		struct route r;
		struct nlmsghdr *nlh = (struct nlmsghdr *)(buf + len);

		route_init(&r, AF_INET);
		r.type = ROUTE_UNREACHABLE;
		r.table = table;
		r.dst = (struct cidr){ AF_INET, { 10, (uint8_t)(100 + (i >> 16)),
						  (uint8_t)(i >> 8), (uint8_t)i }, 32 };
		assert_int_equal(route_msg(nl, nlh, NL_BUFSIZE - len, &r, op), 0);
		len += MNL_ALIGN(nlh->nlmsg_len);
		if (++k == PER_BATCH || i + 1 == first + n) {
			err = nl_talk_batch(nl, buf, len, 0, &failed);
			if (err < 0)
				fail_msg("route batch: %s (message %d)", nl_strerror(nl, err), failed);
			len = k = 0;
		}
	}
	free(buf);
}

/* Read until quiet; how long it took in microseconds. */
static uint64_t drain(struct live *L)
{
	uint64_t t0 = now_us();

	while (pump(L, 100) > 0)
		;
	return now_us() - t0;
}

static void test_burst(void **state)
{
	struct live *L = live_state(state);
	const struct monitor_event *ev;
	enum { N = 10000 };
	uint64_t t0, t1, took;
	size_t added, gone;
	struct route r;

	route_burst(L->rt, TABLE + 1, 0, N, ROUTE_OP_ADD);
	took = drain(L);
	added = L->count[MON_ROUTE][0];
	fprintf(stderr, "  burst of %d routes: %zu seen, %zu overruns, drained in %llu ms\n", N,
		added, L->count[MON_OVERRUN][0], (unsigned long long)(took / 1000));
	assert_true(added == N || L->count[MON_OVERRUN][0] > 0);
	assert_true(added <= N);

	route_burst(L->rt, TABLE + 1, 0, N, ROUTE_OP_DEL);
	drain(L);
	gone = L->count[MON_ROUTE][1];
	fprintf(stderr, "  %d deletions: %zu seen, %zu overruns in all\n", N, gone,
		L->count[MON_OVERRUN][0]);
	assert_true(gone == N || L->count[MON_OVERRUN][0] > 0);
	settle(L);

	/* the socket still works */
	route_init(&r, AF_INET);
	r.type = ROUTE_BLACKHOLE;
	r.table = TABLE + 1;
	r.dst = C("10.99.0.0/16");
	TIMED(t0, t1, assert_int_equal(route_add(L->rt, &r, false), 0));
	ev = expect(L, MON_ROUTE, false, t0, t1);
	assert_true(cidr_equal(&ev->u.route.dst, &r.dst));
	assert_int_equal(route_del(L->rt, &r), 0);
	settle(L);
}

static void test_overrun(void **state)
{
	struct live *L = live_state(state);
	const struct monitor_event *ev;
	enum { N = 3000 };
	int tiny = 1;
	uint64_t t0, t1;
	struct route r;

	/* the smallest queue the kernel allows: a burst must overflow it */
	assert_int_equal(setsockopt(L->fds[MONITOR_RTNL], SOL_SOCKET, SO_RCVBUF, &tiny,
				    sizeof(tiny)), 0);
	route_burst(L->rt, TABLE + 2, 0, N, ROUTE_OP_ADD);
	drain(L);
	fprintf(stderr, "  %d routes into a tiny queue: %zu seen, %zu overruns\n", N,
		L->count[MON_ROUTE][0], L->count[MON_OVERRUN][0]);
	assert_true(L->count[MON_OVERRUN][0] > 0);
	assert_true(L->count[MON_ROUTE][0] < N);
	settle(L);

	/* after the loss, events flow again */
	route_init(&r, AF_INET);
	r.type = ROUTE_PROHIBIT;
	r.table = TABLE + 2;
	r.dst = C("10.98.0.0/16");
	TIMED(t0, t1, assert_int_equal(route_add(L->rt, &r, false), 0));
	ev = expect(L, MON_ROUTE, false, t0, t1);
	assert_true(cidr_equal(&ev->u.route.dst, &r.dst));
	assert_int_equal(route_del(L->rt, &r), 0);
	route_burst(L->rt, TABLE + 2, 0, N, ROUTE_OP_DEL);
	drain(L);
}

/* What an overrun event carries, on a socket overflowed while nobody read. */
static void test_overrun_event(void **state)
{
	struct live *L = live_state(state);
	int tiny = 1;
	size_t i, n = 0;

	assert_int_equal(setsockopt(L->fds[MONITOR_RTNL], SOL_SOCKET, SO_RCVBUF, &tiny,
				    sizeof(tiny)), 0);
	route_burst(L->rt, TABLE + 3, 0, 500, ROUTE_OP_ADD);
	L->n = 0;
	assert_true(pump(L, 100) > 0);
	for (i = 0; i < L->n; i++) {
		if (L->ev[i].kind != MON_OVERRUN)
			continue;
		assert_int_equal(L->ev[i].bus, MONITOR_RTNL);
		n++;
	}
	assert_true(n >= 1);
	drain(L);
	route_burst(L->rt, TABLE + 3, 0, 500, ROUTE_OP_DEL);
	drain(L);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_links_and_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nft, setup, teardown),
		cmocka_unit_test_setup_teardown(test_burst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overrun, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overrun_event, setup, teardown),
	};
	int r;

	have_nft = access("/usr/sbin/nft", X_OK) == 0 || access("/sbin/nft", X_OK) == 0;
	have_ip = access("/usr/sbin/ip", X_OK) == 0 || access("/sbin/ip", X_OK) == 0 ||
		  access("/usr/bin/ip", X_OK) == 0 || access("/bin/ip", X_OK) == 0;
	if (geteuid() != 0)
		fprintf(stderr, "test_monitor_live: not root, skipping\n");
	else if (unshare(CLONE_NEWNET) < 0)
		fprintf(stderr, "test_monitor_live: unshare(CLONE_NEWNET): %s, skipping\n",
			strerror(errno));
	else
		live = true;
	if (live) {
		static const char *kinds[] = { "dummy", "ifb", "bridge" };
		struct nl *nl = NULL;
		size_t i;
		int idx;

		/* a fresh netns starts with lo down; IPv6 reject routes hang on it */
		if (nl_open(&nl, NETLINK_ROUTE_BUS) < 0 || link_set_up(nl, 1, true) < 0) {
			fprintf(stderr, "test_monitor_live: no rtnetlink, skipping\n");
			live = false;
		}
		for (i = 0; live && !link_kind && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
			if (link_create(nl, "probe0", kinds[i], &idx) == 0) {
				link_kind = kinds[i];
				link_delete(nl, idx);
			}
		}
		if (live && !link_kind) {
			fprintf(stderr, "test_monitor_live: no dummy, ifb or bridge links, skipping\n");
			live = false;
		}
		nl_close(nl);
	}
	if (live && !have_nft)
		fprintf(stderr, "test_monitor_live: no nft, the nftables test is skipped\n");
	r = cmocka_run_group_tests(tests, NULL, NULL);
	if (lat_n)
		fprintf(stderr, "test_monitor_live: %llu events, change start to event: "
			"mean %llu us, max %llu us; change return to event: max %llu us\n",
			(unsigned long long)lat_n, (unsigned long long)(lat_sum / lat_n),
			(unsigned long long)lat_max, (unsigned long long)ret_max);
	return r;
}
