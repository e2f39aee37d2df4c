/* netcfg against the real kernel, inside a private network namespace (root only). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netcfg/addr.h"
#include "netcfg/link.h"
#include "netcfg/nl.h"
#include "netcfg/route.h"
#include "netcfg/rule.h"
#include "netcfg/sysctl.h"

/* main() moves the whole process into a fresh netns before any test runs, so nothing
 * here can touch the host's links, routes or rules; every test still cleans up after
 * itself so they stay independent. Numeric constants carry the kernel's name in a comment
 * (only netcfg/ includes kernel headers). */
static bool live;
static const char *link_kind;   /* the first of dummy / ifb / bridge the kernel has */

#define NETLINK_ROUTE_BUS 0     /* NETLINK_ROUTE */
#define IFA_F_NODAD 0x02
#define IFA_F_TENTATIVE 0x40

static int setup(void **state)
{
	struct nl *nl = NULL;

	if (live && nl_open(&nl, NETLINK_ROUTE_BUS) < 0)
		return -1;
	*state = nl;
	return 0;
}

static int teardown(void **state)
{
	nl_close(*state);
	return 0;
}

/* The socket of a live run; anywhere else the test is skipped (skip() from a setup
 * function would count as a setup failure). */
static struct nl *live_nl(void **state)
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

/* A link to hang addresses and routes on. The host kernel may lack dummy (and always
 * lacks wireguard here), so fall back through kinds that need no extra attributes. */
static int make_link(struct nl *nl, const char *name, bool up)
{
	static const char *kinds[] = { "dummy", "ifb", "bridge" };
	int idx = 0, r = -EOPNOTSUPP;
	size_t i;

	if (link_kind)
		r = link_create(nl, name, link_kind, &idx);
	for (i = 0; !link_kind && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		r = link_create(nl, name, kinds[i], &idx);
		if (r == 0)
			link_kind = kinds[i];
	}
	if (r < 0)
		fail_msg("link %s: create: %s", name, nl_strerror(nl, r));
	if (up)
		assert_int_equal(link_set_up(nl, idx, true), 0);
	return idx;
}

static const struct link *find_link(const struct link *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static size_t count_routes(const struct route *v, size_t n, const struct route *want)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += route_equal(&v[i], want);
	return c;
}

static size_t count_rules(const struct rule *v, size_t n, const struct rule *want)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += rule_equal(&v[i], want);
	return c;
}

/* iproute2 as an independent reader of what we wrote; skipped where it is not installed. */
static void assert_ip_shows(const char *cmd, const char *needle)
{
	char line[512], out[8192] = "";
	FILE *p;

	if (access("/usr/sbin/ip", X_OK) != 0 && access("/sbin/ip", X_OK) != 0)
		return;
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		strncat(out, line, sizeof(out) - strlen(out) - 1);
	pclose(p);
	if (!strstr(out, needle))
		fail_msg("`%s` lacks \"%s\":\n%s", cmd, needle, out);
}

static void test_link_lifecycle(void **state)
{
	struct nl *nl = live_nl(state);
	uint32_t buf[256];
	struct link l, *links = NULL;
	const struct link *f;
	size_t n = 0;
	int idx, idx2, r;

	assert_int_equal(link_index(nl, "nope0", &idx), -ENODEV);
	idx = make_link(nl, "wt0", false);
	assert_true(idx > 0);
	/* exclusive create of a taken name */
	assert_int_equal(link_create(nl, "wt0", link_kind, NULL), -EEXIST);
	assert_string_not_equal(nl_strerror(nl, -EEXIST), "");

	assert_int_equal(link_get(nl, "wt0", &l), 0);
	assert_int_equal(l.index, idx);
	assert_string_equal(l.kind, link_kind);
	assert_false(l.flags & LINK_F_UP);
	assert_int_equal(link_set_mtu(nl, idx, 1380), 0);
	assert_int_equal(link_set_up(nl, idx, true), 0);
	assert_int_equal(link_get_by_index(nl, idx, &l), 0);
	assert_string_equal(l.name, "wt0");
	assert_int_equal(l.mtu, 1380);
	assert_true(l.flags & LINK_F_UP);

	assert_int_equal(link_dump(nl, &links, &n), 0);
	f = find_link(links, n, "wt0");
	assert_non_null(f);
	assert_int_equal(f->index, idx);
	assert_int_equal(f->mtu, 1380);
	assert_true(f->flags & LINK_F_UP);
	assert_string_equal(f->kind, link_kind);
	assert_non_null(find_link(links, n, "lo"));
	free(links);

	assert_int_equal(link_set_up(nl, idx, false), 0);
	assert_int_equal(link_get(nl, "wt0", &l), 0);
	assert_false(l.flags & LINK_F_UP);

	/* a pinned index lets one batch create a link and address it */
	assert_int_equal(link_create_msg(nl, buf, sizeof(buf), "wt9", link_kind, 4242), 0);
	assert_int_equal(nl_talk(nl, (struct nlmsghdr *)buf, NULL, NULL), 0);
	assert_int_equal(link_index(nl, "wt9", &idx2), 0);
	assert_int_equal(idx2, 4242);

	assert_int_equal(link_delete(nl, idx), 0);
	assert_int_equal(link_delete(nl, idx2), 0);
	assert_int_equal(link_index(nl, "wt0", &idx), -ENODEV);
	assert_int_equal(link_delete(nl, idx2), -ENODEV);

	/* the kernel explains a missing kind through the extended ACK */
	r = link_create(nl, "wg-hq", "wireguard", &idx);
	if (r == 0) {
		assert_int_equal(link_delete(nl, idx), 0);
	} else {
		assert_int_equal(r, -EOPNOTSUPP);
		assert_string_equal(nl_strerror(nl, r), "Unknown device type");
	}
	assert_int_equal(link_create(nl, "wt1", "no-such-kind", NULL), -EOPNOTSUPP);
	assert_string_equal(nl_strerror(nl, -EOPNOTSUPP), "Unknown device type");
	assert_int_equal(link_create(nl, "sixteen-chars-xx", link_kind, NULL), -EINVAL);
}

static const struct addr *find_addr(const struct addr *v, size_t n, const struct cidr *c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cidr_equal(&v[i].addr, c))
			return &v[i];
	return NULL;
}

static void test_addresses(void **state)
{
	struct nl *nl = live_nl(state);
	struct cidr v4 = C("10.1.2.3/24"), v6 = C("fd00:1::1/64");
	struct addr *addrs = NULL;
	const struct addr *a;
	size_t n = 0, i;
	int idx = make_link(nl, "wa0", true), other = make_link(nl, "wa1", true);

	assert_int_equal(addr_add(nl, idx, &v4, 0), 0);
	/* adding it again is not an error (NLM_F_REPLACE) */
	assert_int_equal(addr_add(nl, idx, &v4, 0), 0);
	assert_int_equal(addr_add(nl, idx, &v6, ADDR_NODAD), 0);
	assert_int_equal(addr_add(nl, other, &v4, 0), 0);

	assert_int_equal(addr_dump(nl, AF_UNSPEC, idx, &addrs, &n), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(addrs[i].ifindex, idx);
	a = find_addr(addrs, n, &v4);
	assert_non_null(a);
	a = find_addr(addrs, n, &v6);
	assert_non_null(a);
	/* NODAD: usable at once, never tentative */
	assert_true(a->kflags & IFA_F_NODAD);
	assert_false(a->kflags & IFA_F_TENTATIVE);
	free(addrs);

	assert_int_equal(addr_dump(nl, AF_INET, 0, &addrs, &n), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(addrs[i].addr.family, AF_INET);
	assert_non_null(find_addr(addrs, n, &v4));
	free(addrs);
	assert_ip_shows("ip -6 addr show dev wa0", "inet6 fd00:1::1/64 scope global nodad");

	assert_int_equal(addr_del(nl, idx, &v4), 0);
	assert_int_equal(addr_del(nl, idx, &v4), -EADDRNOTAVAIL);
	assert_int_equal(addr_del(nl, idx, &v6), 0);
	assert_int_equal(addr_dump(nl, AF_UNSPEC, idx, &addrs, &n), 0);
	assert_null(find_addr(addrs, n, &v4));
	assert_null(find_addr(addrs, n, &v6));
	free(addrs);
	/* the other link's copy is untouched */
	assert_int_equal(addr_dump(nl, AF_INET, other, &addrs, &n), 0);
	assert_non_null(find_addr(addrs, n, &v4));
	free(addrs);
	assert_int_equal(link_delete(nl, idx), 0);
	assert_int_equal(link_delete(nl, other), 0);
}

static void test_routes(void **state)
{
	struct nl *nl = live_nl(state);
	struct route want[7], theirs, bad, *routes = NULL;
	struct cidr local = C("10.30.0.1/24");
	size_t n = 0, i;
	int idx = make_link(nl, "wr0", true), r;

	assert_int_equal(addr_add(nl, idx, &local, 0), 0);
	for (i = 0; i < 7; i++)
		route_init(&want[i], AF_INET);
	/* 0: device route with metric and MTU in table 1000 */
	want[0].dst = C("10.20.0.0/16");
	want[0].table = 1000;
	want[0].oif = idx;
	want[0].metric = 10;
	want[0].mtu = 1400;
	/* 1: through a gateway */
	want[1].dst = C("10.40.0.0/16");
	want[1].table = 1000;
	want[1].gateway = C("10.30.0.254");
	want[1].oif = idx;
	/* 2-4: reject kinds */
	want[2].dst = C("10.66.0.0/16");
	want[2].table = 1000;
	want[2].type = ROUTE_BLACKHOLE;
	want[3].dst = C("10.67.0.0/16");
	want[3].table = 1000;
	want[3].type = ROUTE_PROHIBIT;
	want[4].dst = C("10.68.0.0/16");
	want[4].table = 1000;
	want[4].type = ROUTE_THROW;
	/* 5: IPv6 fail-closed default, the kernel puts it on lo */
	route_init(&want[5], AF_INET6);
	want[5].dst = C("::/0");
	want[5].table = 1000;
	want[5].type = ROUTE_UNREACHABLE;
	/* 6: a table the 8-bit header field cannot name */
	want[6].dst = C("10.0.0.0/8");
	want[6].table = 70000;
	want[6].oif = idx;

	for (i = 0; i < 7; i++) {
		r = route_add(nl, &want[i], false);
		if (r < 0)
			fail_msg("route %zu: %s", i, nl_strerror(nl, r));
	}
	/* exclusive add of the same route, then a replace that changes its MTU */
	assert_int_equal(route_add(nl, &want[0], false), -EEXIST);
	want[0].mtu = 1300;
	assert_int_equal(route_add(nl, &want[0], true), 0);

	assert_int_equal(route_dump(nl, AF_UNSPEC, 1000, &routes, &n), 0);
	assert_int_equal(n, 6);
	for (i = 0; i < 6; i++)
		if (count_routes(routes, n, &want[i]) != 1)
			fail_msg("route %zu missing from the dump of table 1000", i);
	free(routes);
	assert_int_equal(route_dump(nl, AF_INET, 0, &routes, &n), 0);
	assert_int_equal(count_routes(routes, n, &want[6]), 1);
	assert_int_equal(count_routes(routes, n, &want[5]), 0);   /* IPv6 left out */
	free(routes);
	assert_int_equal(route_dump(nl, AF_INET6, 1000, &routes, &n), 0);
	assert_int_equal(n, 1);
	assert_true(route_equal(&routes[0], &want[5]));
	free(routes);
	assert_ip_shows("ip route show table 1000",
			"10.20.0.0/16 dev wr0 proto 57 scope link metric 10 mtu 1300");
	assert_ip_shows("ip route show table 70000", "10.0.0.0/8 dev wr0 proto 57 scope link");
	assert_ip_shows("ip -6 route show table 1000", "unreachable default dev lo proto 57");

	/* someone else's route to the same prefix (another protocol and metric) survives
	 * the delete of ours, and ours cannot be deleted under their metric */
	theirs = want[0];
	theirs.protocol = 4;                       /* RTPROT_STATIC */
	theirs.metric = 20;
	theirs.mtu = 0;
	assert_int_equal(route_add(nl, &theirs, false), 0);
	bad = theirs;
	bad.protocol = ROUTE_PROTO_WARREN;
	assert_int_equal(route_del(nl, &bad), -ESRCH);
	for (i = 0; i < 7; i++) {
		r = route_del(nl, &want[i]);
		if (r < 0)
			fail_msg("route %zu: delete: %s", i, nl_strerror(nl, r));
	}
	assert_int_equal(route_del(nl, &want[0]), -ESRCH);
	assert_int_equal(route_dump(nl, AF_UNSPEC, 1000, &routes, &n), 0);
	assert_int_equal(n, 1);
	assert_true(route_equal(&routes[0], &theirs));
	free(routes);
	assert_int_equal(route_del(nl, &theirs), 0);

	/* the kernel's own words for a bad request reach the caller */
	route_init(&bad, AF_INET);
	bad.dst = C("10.99.0.0/16");
	bad.oif = 9999;
	assert_int_equal(route_add(nl, &bad, false), -ENODEV);
	bad.oif = idx;
	bad.gateway = C("192.0.2.1");              /* not on the link */
	r = route_add(nl, &bad, false);
	assert_true(r < 0);
	assert_string_equal(nl_strerror(nl, r), "Nexthop has invalid gateway");
	assert_int_equal(link_delete(nl, idx), 0);
}

static void test_route_get(void **state)
{
	struct nl *nl = live_nl(state);
	struct cidr a4 = C("10.50.0.1/24"), a6 = C("fd00:50::1/64"), dst;
	struct route r, got;
	struct rule u;
	char s[CIDR_STRLEN];
	int idx = make_link(nl, "wm0", true);

	assert_int_equal(link_set_mtu(nl, idx, 1450), 0);
	assert_int_equal(addr_add(nl, idx, &a4, 0), 0);
	assert_int_equal(addr_add(nl, idx, &a6, ADDR_NODAD), 0);
	route_init(&r, AF_INET);
	r.dst = C("192.0.2.0/24");
	r.oif = idx;
	r.mtu = 1300;
	assert_int_equal(route_add(nl, &r, false), 0);

	/* the route's own MTU wins */
	dst = C("192.0.2.7");
	assert_int_equal(route_get(nl, &dst, 0, &got), 0);
	assert_int_equal(got.oif, idx);
	assert_int_equal(got.mtu, 1300);
	assert_int_equal(got.table, 254);
	/* without one, the device's */
	dst = C("10.50.0.9");
	assert_int_equal(route_get(nl, &dst, 0, &got), 0);
	assert_int_equal(got.oif, idx);
	assert_int_equal(got.mtu, 1450);
	assert_string_equal(ip_fmt(&got.prefsrc, s), "10.50.0.1");
	dst = C("fd00:50::9");
	assert_int_equal(route_get(nl, &dst, 0, &got), 0);
	assert_int_equal(got.oif, idx);
	assert_int_equal(got.mtu, 1450);

	/* a mark steers the lookup through a rule into another table */
	route_init(&r, AF_INET);
	r.dst = C("198.51.100.0/24");
	r.table = 1001;
	r.gateway = C("10.50.0.254");
	r.oif = idx;
	assert_int_equal(route_add(nl, &r, false), 0);
	rule_init(&u, AF_INET);
	u.priority = 6210;
	u.fwmark = 0x77;
	u.table = 1001;
	assert_int_equal(rule_add(nl, &u), 0);
	dst = C("198.51.100.1");
	assert_int_equal(route_get(nl, &dst, 0x77, &got), 0);
	assert_int_equal(got.table, 1001);
	assert_string_equal(ip_fmt(&got.gateway, s), "10.50.0.254");
	assert_int_equal(got.mtu, 1450);
	assert_int_equal(route_get(nl, &dst, 0, &got), -ENETUNREACH);

	assert_int_equal(rule_del(nl, &u), 0);
	assert_int_equal(link_delete(nl, idx), 0);
}

static void test_rules(void **state)
{
	struct nl *nl = live_nl(state);
	struct rule want[5], foreign, *rules = NULL;
	uint32_t buf[128];
	size_t n = 0, i;
	int idx = make_link(nl, "wu0", true), r;

	for (i = 0; i < 4; i++)
		rule_init(&want[i], AF_INET);
	/* 0: fwmark with mask and suppress_prefixlength (wg-quick's pair, condensed) */
	want[0].priority = 6200;
	want[0].table = 1000;
	want[0].fwmark = 0x1;
	want[0].fwmask = 0xff;
	want[0].suppress_prefixlength = 0;
	/* 1: not fwmark */
	want[1].priority = 6201;
	want[1].table = 51820;
	want[1].fwmark = 51820;
	want[1].invert = true;
	/* 2: locally originated traffic to a prefix */
	want[2].priority = 6202;
	want[2].table = 1000;
	strcpy(want[2].iif, "lo");
	want[2].dst = C("10.0.0.0/8");
	/* 3: out of a device, dropped */
	want[3].priority = 6203;
	want[3].action = RULE_BLACKHOLE;
	strcpy(want[3].oif, "wu0");
	/* 4: IPv6 sources fail closed */
	rule_init(&want[4], AF_INET6);
	want[4].priority = 6299;
	want[4].action = RULE_UNREACHABLE;
	want[4].src = C("fd10::/64");

	for (i = 0; i < 5; i++) {
		r = rule_add(nl, &want[i]);
		if (r < 0)
			fail_msg("rule %zu: %s", i, nl_strerror(nl, r));
	}
	assert_int_equal(rule_add(nl, &want[0]), -EEXIST);
	/* the same selectors at the same priority under another protocol are another rule */
	foreign = want[0];
	foreign.protocol = 3;                      /* RTPROT_BOOT, as `ip rule add` makes */
	assert_int_equal(rule_add(nl, &foreign), 0);

	assert_int_equal(rule_dump(nl, AF_UNSPEC, &rules, &n), 0);
	for (i = 0; i < 5; i++)
		if (count_rules(rules, n, &want[i]) != 1)
			fail_msg("rule %zu missing from the dump", i);
	assert_int_equal(count_rules(rules, n, &foreign), 1);
	free(rules);
	assert_ip_shows("ip rule show",
			"6200:\tfrom all fwmark 0x1/0xff lookup 1000 suppress_prefixlength 0 proto 57");
	assert_ip_shows("ip rule show", "6201:\tnot from all fwmark 0xca6c lookup 51820 proto 57");
	assert_ip_shows("ip rule show", "6202:\tfrom all to 10.0.0.0/8 iif lo lookup 1000 proto 57");
	assert_ip_shows("ip -6 rule show", "6299:\tfrom fd10::/64 unreachable proto 57");

	/* delete names everything: ours goes, the foreign twin stays */
	for (i = 0; i < 5; i++) {
		r = rule_del(nl, &want[i]);
		if (r < 0)
			fail_msg("rule %zu: delete: %s", i, nl_strerror(nl, r));
	}
	assert_int_equal(rule_del(nl, &want[0]), -ENOENT);
	assert_int_equal(rule_dump(nl, AF_INET, &rules, &n), 0);
	assert_int_equal(count_rules(rules, n, &foreign), 1);
	for (i = 0; i < n; i++)
		assert_int_not_equal(rules[i].protocol, ROUTE_PROTO_WARREN);
	free(rules);
	assert_int_equal(rule_del(nl, &foreign), 0);

	/* an invalid combination the kernel rejects with its reason: an IPv4-sized
	 * destination in a request that says IPv6 */
	assert_int_equal(rule_msg(nl, buf, sizeof(buf), &want[2], RULE_OP_ADD), 0);
	((uint8_t *)buf)[16] = AF_INET6;           /* fib_rule_hdr.family */
	r = nl_talk(nl, (struct nlmsghdr *)buf, NULL, NULL);
	assert_int_equal(r, -EINVAL);
	assert_string_equal(nl_strerror(nl, r), "Invalid dst address");
	assert_int_equal(link_delete(nl, idx), 0);
}

/* `warren up` lays link, address, route and rule requests into one sendmsg. */
static void test_batch(void **state)
{
	struct nl *nl = live_nl(state);
	uint32_t buf[1024];
	struct cidr a = C("10.60.0.1/24");
	struct route r, bad, *routes = NULL;
	struct rule u, *rules = NULL;
	struct link l;
	size_t off = 0, n = 0;
	int failed, err;

#define ADD(call) do { \
		assert_int_equal(call, 0); \
		off += MNL_ALIGN(((struct nlmsghdr *)((char *)buf + off))->nlmsg_len); \
	} while (0)
#define AT ((char *)buf + off), (sizeof(buf) - off)

	route_init(&r, AF_INET);
	r.dst = C("10.61.0.0/16");
	r.table = 1002;
	r.oif = 4343;
	rule_init(&u, AF_INET);
	u.priority = 6220;
	u.table = 1002;
	u.fwmark = 0x5;
	/* the link is created with a pinned index so later requests can name it */
	ADD(link_create_msg(nl, AT, "wb0", link_kind, 4343));
	ADD(link_set_mtu_msg(nl, AT, 4343, 1420));
	ADD(link_set_up_msg(nl, AT, 4343, true));
	ADD(addr_msg(nl, AT, ADDR_OP_ADD, 4343, &a, 0));
	ADD(route_msg(nl, AT, &r, ROUTE_OP_ADD));
	ADD(rule_msg(nl, AT, &u, RULE_OP_ADD));
	err = nl_talk_batch(nl, buf, off, 0, &failed);
	if (err < 0)
		fail_msg("batch: message %d: %s", failed, nl_strerror(nl, err));
	assert_int_equal(failed, -1);
	assert_int_equal(link_get(nl, "wb0", &l), 0);
	assert_int_equal(l.mtu, 1420);
	assert_true(l.flags & LINK_F_UP);
	assert_int_equal(route_dump(nl, AF_INET, 1002, &routes, &n), 0);
	assert_int_equal(n, 1);
	assert_true(route_equal(&routes[0], &r));
	free(routes);
	assert_int_equal(rule_dump(nl, AF_INET, &rules, &n), 0);
	assert_int_equal(count_rules(rules, n, &u), 1);
	free(rules);

	/* a failure in the middle is reported with its index; the rest still applies */
	off = 0;
	route_init(&bad, AF_INET);
	bad.dst = C("10.62.0.0/16");
	bad.oif = 9999;
	r.dst = C("10.63.0.0/16");
	ADD(route_msg(nl, AT, &r, ROUTE_OP_ADD));
	ADD(route_msg(nl, AT, &bad, ROUTE_OP_ADD));
	ADD(rule_msg(nl, AT, &u, RULE_OP_DEL));
	err = nl_talk_batch(nl, buf, off, 0, &failed);
	assert_int_equal(err, -ENODEV);
	assert_int_equal(failed, 1);
	assert_string_not_equal(nl_strerror(nl, err), "");
	assert_int_equal(route_dump(nl, AF_INET, 1002, &routes, &n), 0);
	assert_int_equal(n, 2);
	free(routes);
	assert_int_equal(rule_dump(nl, AF_INET, &rules, &n), 0);
	assert_int_equal(count_rules(rules, n, &u), 0);
	free(rules);
	assert_int_equal(link_delete(nl, 4343), 0);
#undef ADD
#undef AT
}

/* /proc/sys/net follows the netns of whoever opens it: these are the test's own. */
static void test_sysctl_live(void **state)
{
	char old[32], cur[32];

	live_nl(state);
	assert_int_equal(sysctl_set("net/ipv4/conf/all/src_valid_mark", "1", old, sizeof(old)), 0);
	assert_string_equal(old, "0");
	assert_int_equal(sysctl_get("net/ipv4/conf/all/src_valid_mark", cur, sizeof(cur)), 0);
	assert_string_equal(cur, "1");
	assert_int_equal(sysctl_set("net/ipv4/conf/all/src_valid_mark", old, NULL, 0), 0);
	assert_int_equal(sysctl_get("net/ipv4/conf/all/src_valid_mark", cur, sizeof(cur)), 0);
	assert_string_equal(cur, "0");
	assert_int_equal(sysctl_set("net/ipv4/ip_forward", "1", old, sizeof(old)), 0);
	assert_string_equal(old, "0");
	assert_int_equal(sysctl_set("net/ipv4/ip_forward", old, NULL, 0), 0);
	assert_int_equal(sysctl_set("net/ipv4/no_such_switch", "1", NULL, 0), -ENOENT);
}

/* 10,000 route requests: more bytes than the socket sends at once and more ACKs than its
 * receive buffer holds. Each is answered, a failure is named by its index in the whole
 * batch, and deletes of routes already gone can be let pass. */
static void test_large_batch(void **state)
{
	enum { N = 10000, BAD = 7001 };
	struct nl *nl = live_nl(state);
	char *buf = malloc((size_t)N * 128);
	struct route r, *routes = NULL;
	size_t off, n = 0;
	int idx, failed, err, i;

	assert_non_null(buf);
	idx = make_link(nl, "wl0", true);
	for (int pass = 0; pass < 3; pass++) {
		off = 0;
		for (i = 0; i < N; i++) {
			route_init(&r, AF_INET);
			r.dst = (struct cidr){ AF_INET, { 10, 64, (uint8_t)(i >> 8), (uint8_t)i }, 32 };
			r.table = 1003;
			r.oif = pass == 0 && i == BAD ? 9999 : idx;
			assert_int_equal(route_msg(nl, buf + off, (size_t)N * 128 - off, &r,
						   pass == 0 ? ROUTE_OP_ADD : ROUTE_OP_DEL), 0);
			off += MNL_ALIGN(((struct nlmsghdr *)(buf + off))->nlmsg_len);
		}
		assert_true(off > 212992);              /* net.core.wmem_default */
		err = nl_talk_batch(nl, buf, off, pass == 1 ? ESRCH : 0, &failed);
		if (pass == 0) {
			assert_int_equal(err, -ENODEV);
			assert_int_equal(failed, BAD);
			assert_int_equal(route_dump(nl, AF_INET, 1003, &routes, &n), 0);
			assert_int_equal(n, N - 1);     /* all but the bad one, after it too */
			free(routes);
		} else if (pass == 1) {
			/* BAD was never added: its delete answers ESRCH, which is let pass */
			if (err < 0)
				fail_msg("delete: message %d: %s", failed, nl_strerror(nl, err));
			assert_int_equal(failed, -1);
			assert_int_equal(route_dump(nl, AF_INET, 1003, &routes, &n), 0);
			assert_int_equal(n, 0);
			free(routes);
		} else {
			assert_int_equal(err, -ESRCH);
			assert_int_equal(failed, 0);
		}
	}
	assert_int_equal(link_delete(nl, idx), 0);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_link_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysctl_live, setup, teardown),
	};

	if (geteuid() != 0)
		fprintf(stderr, "test_rtnl_live: not root, skipping\n");
	else if (unshare(CLONE_NEWNET) < 0)
		fprintf(stderr, "test_rtnl_live: unshare(CLONE_NEWNET): %s, skipping\n",
			strerror(errno));
	else
		live = true;
	if (live) {
		struct nl *nl = NULL;
		int idx;

		/* a fresh netns starts with lo down; IPv6 reject routes hang on it */
		if (nl_open(&nl, NETLINK_ROUTE_BUS) < 0 || link_set_up(nl, 1, true) < 0) {
			fprintf(stderr, "test_rtnl_live: no rtnetlink, skipping\n");
			live = false;
		} else {
			idx = make_link(nl, "probe0", false);
			link_delete(nl, idx);
			fprintf(stderr, "test_rtnl_live: links of kind %s\n", link_kind);
		}
		nl_close(nl);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
