/* The monitor's filter against crafted notifications: what is reported, what is dropped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/table.h>

#include "netcfg/addr.h"
#include "netcfg/link.h"
#include "netcfg/monitor.h"
#include "netcfg/nft.h"
#include "netcfg/nl.h"
#include "netcfg/route.h"
#include "netcfg/rule.h"

/* Kernel numbers, named as the kernel does (only netcfg/ includes its headers). The
 * builders' requests are the same messages the kernel notifies with, apart from flags,
 * which the filter ignores; a DEL notification carries the whole object, so it is made by
 * retyping a NEW one. */
#define RTM_NEWLINK 16
#define RTM_DELLINK 17
#define RTM_DELADDR 21
#define RTM_DELROUTE 25
#define RTM_DELRULE 33
#define RTM_NEWNETCONF 80
#define RTM_F_CLONED 0x200
#define AF_BRIDGE_ 7
#define NFNL_SUBSYS_NFTABLES 10
#define NFT_MSG_NEWTABLE 0
#define NFT_MSG_DELTABLE 2
#define NFT_MSG_NEWCHAIN 3
#define NFT_MSG_NEWGEN 15
#define NFTA_GEN_ID 1
#define NFTA_GEN_PROC_PID 2
#define NFTA_GEN_PROC_NAME 3
#define NFPROTO_INET 1
#define NFPROTO_IPV4 2
#define RTPROT_BOOT 3
#define RTPROT_STATIC 4

#define MAX_EVENTS 16
#define BUFWORDS 1024

struct seen {
	struct monitor_event ev[MAX_EVENTS];
	size_t n;
};

struct fx {
	struct monitor *m;
	struct seen seen;
	struct nl nl;               /* socket-less: the builders only draw sequence numbers */
	uint32_t buf[BUFWORDS];     /* one message under construction */
};

static void collect(const struct monitor_event *ev, void *data)
{
	struct seen *s = data;

	assert_true(s->n < MAX_EVENTS);
	s->ev[s->n++] = *ev;
}

static const struct monitor_link watched[] = {
	{ "wg0", 0 },               /* index learned from its first link message */
	{ "wg-hq", 12 },            /* index known from creating it */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct monitor_interest in = {
		.links = watched, .n_links = 2, .protocol = 57, .nft_table = NFT_TABLE_AGENT,
	};

	if (!f)
		return -1;
	f->m = monitor_new(collect, &f->seen);
	if (monitor_set_interest(f->m, &in) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	monitor_free(f->m);
	free(f);
	return 0;
}

static struct cidr C(const char *s)
{
	struct cidr c;

	assert_int_equal(cidr_parse(&c, s), 0);
	return c;
}

static struct nlmsghdr *msg(struct fx *f)
{
	return (struct nlmsghdr *)f->buf;
}

/* Feed the message in f->buf as one datagram; returns how many events it produced. */
static size_t feed(struct fx *f, enum monitor_bus bus)
{
	size_t before = f->seen.n;
	int n = monitor_input(f->m, bus, f->buf, msg(f)->nlmsg_len);

	assert_int_equal((size_t)n, f->seen.n - before);
	return (size_t)n;
}

static const struct monitor_event *last(struct fx *f)
{
	assert_true(f->seen.n > 0);
	return &f->seen.ev[f->seen.n - 1];
}

static void link_msg(struct fx *f, const char *name, int ifindex, bool del)
{
	assert_int_equal(link_create_msg(&f->nl, f->buf, sizeof(f->buf), name, "wireguard",
					 ifindex), 0);
	if (del)
		msg(f)->nlmsg_type = RTM_DELLINK;
}

static void route_note(struct fx *f, const char *dst, uint8_t proto, bool del)
{
	struct route r;

	route_init(&r, strchr(dst, ':') ? AF_INET6 : AF_INET);
	r.dst = C(dst);
	r.table = 6200;
	r.type = ROUTE_UNREACHABLE;
	r.protocol = proto;
	assert_int_equal(route_msg(&f->nl, f->buf, sizeof(f->buf), &r,
				   del ? ROUTE_OP_DEL : ROUTE_OP_ADD), 0);
}

static void rule_note(struct fx *f, int family, uint8_t proto, bool del)
{
	struct rule r;

	rule_init(&r, family);
	r.priority = 6210;
	r.table = 6200;
	r.fwmark = 0x5157;
	r.protocol = proto;
	assert_int_equal(rule_msg(&f->nl, f->buf, sizeof(f->buf), &r,
				  del ? RULE_OP_DEL : RULE_OP_ADD), 0);
}

static void addr_note(struct fx *f, int ifindex, const char *a, bool del)
{
	struct cidr c = C(a);

	assert_int_equal(addr_msg(&f->nl, f->buf, sizeof(f->buf), del ? ADDR_OP_DEL : ADDR_OP_ADD,
				  ifindex, &c, 0), 0);
}

/* An nftables notification for an object of table family/name (a table or a chain). */
static void nft_note(struct fx *f, uint16_t type, uint16_t family, const char *table)
{
	struct nlmsghdr *nlh;

	memset(f->buf, 0, sizeof(f->buf));
	nlh = nftnl_nlmsg_build_hdr((char *)f->buf, type, family, 0, 1);
	if (type == NFT_MSG_NEWCHAIN) {
		struct nftnl_chain *c = nftnl_chain_alloc();

		assert_non_null(c);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
		nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, "input");
		nftnl_chain_nlmsg_build_payload(nlh, c);
		nftnl_chain_free(c);
	} else {
		struct nftnl_table *t = nftnl_table_alloc();

		assert_non_null(t);
		nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
		nftnl_table_nlmsg_build_payload(nlh, t);
		nftnl_table_free(t);
	}
	nlh->nlmsg_pid = 4242;
}

/* The end of a commit, as nf_tables_gen_notify writes it. */
static void gen_note(struct fx *f, uint32_t gen)
{
	struct nlmsghdr *nlh;

	memset(f->buf, 0, sizeof(f->buf));
	nlh = nftnl_nlmsg_build_hdr((char *)f->buf, NFT_MSG_NEWGEN, 0 /* AF_UNSPEC */, 0, 1);
	mnl_attr_put_u32(nlh, NFTA_GEN_ID, htonl(gen));
	mnl_attr_put_u32(nlh, NFTA_GEN_PROC_PID, htonl(777));
	mnl_attr_put_strz(nlh, NFTA_GEN_PROC_NAME, "nft");
}

static void assert_stats(struct fx *f, uint64_t reported, uint64_t dropped, uint64_t malformed)
{
	struct monitor_stats st;

	monitor_stats(f->m, &st);
	assert_int_equal(st.reported, reported);
	assert_int_equal(st.dropped, dropped);
	assert_int_equal(st.malformed, malformed);
}

static void test_routes(void **state)
{
	struct fx *f = *state;
	const struct monitor_event *ev;

	route_note(f, "10.50.0.0/16", 57, false);
	assert_int_equal(feed(f, MONITOR_RTNL), 1);
	ev = last(f);
	assert_int_equal(ev->kind, MON_ROUTE);
	assert_int_equal(ev->bus, MONITOR_RTNL);
	assert_false(ev->deleted);
	assert_int_equal(ev->u.route.table, 6200);
	assert_int_equal(ev->u.route.type, ROUTE_UNREACHABLE);
	assert_true(cidr_equal(&ev->u.route.dst, &(struct cidr){ AF_INET, { 10, 50 }, 16 }));

	route_note(f, "fd00:50::/64", 57, true);
	assert_int_equal(feed(f, MONITOR_RTNL), 1);
	assert_int_equal(last(f)->kind, MON_ROUTE);
	assert_true(last(f)->deleted);
	assert_int_equal(last(f)->u.route.family, AF_INET6);

	/* someone else's routes: static, boot, and a cached clone of ours */
	route_note(f, "10.51.0.0/16", RTPROT_STATIC, false);
	assert_int_equal(feed(f, MONITOR_RTNL), 0);
	route_note(f, "10.52.0.0/16", RTPROT_BOOT, true);
	assert_int_equal(feed(f, MONITOR_RTNL), 0);
	route_note(f, "10.53.0.0/16", 57, false);
	{
		uint8_t *rtm_flags = (uint8_t *)mnl_nlmsg_get_payload(msg(f)) + 8;
		uint32_t fl;

		memcpy(&fl, rtm_flags, sizeof(fl));
		fl |= RTM_F_CLONED;
		memcpy(rtm_flags, &fl, sizeof(fl));
	}
	assert_int_equal(feed(f, MONITOR_RTNL), 0);
	assert_stats(f, 2, 3, 0);
}

static void test_rules(void **state)
{
	struct fx *f = *state;

	rule_note(f, AF_INET, 57, false);
	assert_int_equal(feed(f, MONITOR_RTNL), 1);
	assert_int_equal(last(f)->kind, MON_RULE);
	assert_false(last(f)->deleted);
	assert_int_equal(last(f)->u.rule.priority, 6210);
	assert_int_equal(last(f)->u.rule.fwmark, 0x5157);

	rule_note(f, AF_INET6, 57, true);
	assert_int_equal(feed(f, MONITOR_RTNL), 1);
	assert_true(last(f)->deleted);
	assert_int_equal(last(f)->u.rule.family, AF_INET6);

	rule_note(f, AF_INET, RTPROT_BOOT, false);
	assert_int_equal(feed(f, MONITOR_RTNL), 0);
	rule_note(f, AF_INET6, 0, true);
	assert_int_equal(feed(f, MONITOR_RTNL), 0);
	assert_stats(f, 2, 2, 0);
}

static void test_protocol_configurable(void **state)
{
	struct fx *f = *state;
	struct monitor_interest in = { .links = watched, .n_links = 2, .protocol = 99 };

	assert_int_equal(monitor_set_interest(f->m, &in), 0);
	route_note(f, "10.50.0.0/16", 57, false);
	assert_int_equal(feed(f, MONITOR_RTNL), 0);
	route_note(f, "10.50.0.0/16", 99, false);
	assert_int_equal(feed(f, MONITOR_RTNL), 1);
	rule_note(f, AF_INET, 99, true);
	assert_int_equal(feed(f, MONITOR_RTNL), 1);

	/* protocol 0: routes and rules are not watched at all */
	in.protocol = 0;
	assert_int_equal(monitor_set_interest(f->m, &in), 0);
	route_note(f, "10.50.0.0/16", 0, false);
	assert_int_equal(feed(f, MONITOR_RTNL), 0);
	rule_note(f, AF_INET, 0, false);
	assert_int_equal(feed(f, MONITOR_RTNL), 0);
}

static void test_links_and_addresses(void **state)
{
	struct fx *f = *state;
	const struct monitor_event *ev;

	/* wg0's index is not known yet: its addresses cannot be told apart */
	addr_note(f, 7, "10.9.0.2/24", false);
	assert_int_equal(feed(f, MONITOR_RTNL), 0);

	link_msg(f, "wg0", 7, false);
	assert_int_equal(feed(f, MONITOR_RTNL), 1);
	ev = last(f);
	assert_int_equal(ev->kind, MON_LINK);
	assert_false(ev->deleted);
	assert_int_equal(ev->ifindex, 7);
	assert_string_equal(ev->ifname, "wg0");
	assert_string_equal(ev->u.link.name, "wg0");
	assert_string_equal(ev->u.link.kind, "wireguard");

	/* now learned */
	addr_note(f, 7, "10.9.0.2/24", false);
	assert_int_equal(feed(f, MONITOR_RTNL), 1);
	ev = last(f);
	assert_int_equal(ev->kind, MON_ADDR);
	assert_int_equal(ev->ifindex, 7);
	assert_string_equal(ev->ifname, "wg0");
	assert_true(cidr_equal(&ev->u.addr.addr, &(struct cidr){ AF_INET, { 10, 9, 0, 2 }, 24 }));

	/* wg-hq's index came with the interest set */
	addr_note(f, 12, "fd09::10/128", true);
	assert_int_equal(feed(f, MONITOR_RTNL), 1);
	assert_int_equal(last(f)->kind, MON_ADDR);
	assert_true(last(f)->deleted);
	assert_string_equal(last(f)->ifname, "wg-hq");

	/* other links and their addresses */
	link_msg(f, "eth0", 2, false);
	assert_int_equal(feed(f, MONITOR_RTNL), 0);
	addr_note(f, 2, "192.168.1.1/24", false);
	assert_int_equal(feed(f, MONITOR_RTNL), 0);
	link_msg(f, "wg00", 3, true);
	assert_int_equal(feed(f, MONITOR_RTNL), 0);

	/* a bridge's per-port copy of a link message is not the link's own */
	link_msg(f, "wg0", 7, false);
	((uint8_t *)mnl_nlmsg_get_payload(msg(f)))[0] = AF_BRIDGE_;
	assert_int_equal(feed(f, MONITOR_RTNL), 0);

	/* rename: reported under the watched name, then the index no longer counts */
	link_msg(f, "stolen", 7, false);
	assert_int_equal(feed(f, MONITOR_RTNL), 1);
	assert_int_equal(last(f)->kind, MON_LINK);
	assert_string_equal(last(f)->ifname, "wg0");
	assert_string_equal(last(f)->u.link.name, "stolen");
	addr_note(f, 7, "10.9.0.2/24", true);
	assert_int_equal(feed(f, MONITOR_RTNL), 0);
	link_msg(f, "stolen", 7, true);
	assert_int_equal(feed(f, MONITOR_RTNL), 0);

	/* a new wg0 at another index; then its deletion */
	link_msg(f, "wg0", 9, false);
	assert_int_equal(feed(f, MONITOR_RTNL), 1);
	addr_note(f, 9, "10.9.0.2/24", false);
	assert_int_equal(feed(f, MONITOR_RTNL), 1);
	link_msg(f, "wg0", 9, true);
	assert_int_equal(feed(f, MONITOR_RTNL), 1);
	assert_int_equal(last(f)->kind, MON_LINK);
	assert_true(last(f)->deleted);
	assert_int_equal(last(f)->ifindex, 9);
	addr_note(f, 9, "10.9.0.2/24", true);
	assert_int_equal(feed(f, MONITOR_RTNL), 0);

	/* a deleted link's index is forgotten */
	link_msg(f, "wg-hq", 12, true);
	assert_int_equal(feed(f, MONITOR_RTNL), 1);
	addr_note(f, 12, "fd09::10/128", false);
	assert_int_equal(feed(f, MONITOR_RTNL), 0);
}

static void test_interest_replaced(void **state)
{
	struct fx *f = *state;
	static const struct monitor_link one[] = { { "wg0", 0 } };
	static const struct monitor_link bad[] = { { "a-name-too-long-1", 0 } };
	static const struct monitor_link empty[] = { { "", 0 } };
	struct monitor_interest in = { .links = one, .n_links = 1, .protocol = 57 };

	link_msg(f, "wg0", 7, false);
	assert_int_equal(feed(f, MONITOR_RTNL), 1);
	/* the learned index survives a new set naming the same link */
	assert_int_equal(monitor_set_interest(f->m, &in), 0);
	addr_note(f, 7, "10.9.0.2/24", false);
	assert_int_equal(feed(f, MONITOR_RTNL), 1);
	/* wg-hq left the set */
	addr_note(f, 12, "10.9.0.3/24", false);
	assert_int_equal(feed(f, MONITOR_RTNL), 0);
	/* nft left it too (in.nft_table is NULL) */
	nft_note(f, NFT_MSG_DELTABLE, NFPROTO_INET, "warren");
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	gen_note(f, 5);
	assert_int_equal(feed(f, MONITOR_NFT), 0);

	in.links = bad;
	assert_int_equal(monitor_set_interest(f->m, &in), -EINVAL);
	in.links = empty;
	assert_int_equal(monitor_set_interest(f->m, &in), -EINVAL);
	in.links = NULL;
	assert_int_equal(monitor_set_interest(f->m, &in), -EINVAL);
	/* a refused set leaves the old one */
	addr_note(f, 7, "10.9.0.2/24", true);
	assert_int_equal(feed(f, MONITOR_RTNL), 1);
	in.n_links = 0;
	assert_int_equal(monitor_set_interest(f->m, &in), 0);
	addr_note(f, 7, "10.9.0.2/24", true);
	assert_int_equal(feed(f, MONITOR_RTNL), 0);
}

static void test_nft_tables(void **state)
{
	struct fx *f = *state;
	const struct monitor_event *ev;

	/* a foreign commit on inet warren: reported once, at its generation */
	nft_note(f, NFT_MSG_NEWCHAIN, NFPROTO_INET, "warren");
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	nft_note(f, NFT_MSG_NEWCHAIN, NFPROTO_INET, "warren");
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	gen_note(f, 41);
	assert_int_equal(feed(f, MONITOR_NFT), 1);
	ev = last(f);
	assert_int_equal(ev->kind, MON_NFT);
	assert_int_equal(ev->bus, MONITOR_NFT);
	assert_false(ev->deleted);
	assert_int_equal(ev->nft_gen, 41);
	assert_int_equal(ev->nft_pid, 777);
	assert_string_equal(ev->nft_comm, "nft");
	assert_int_equal(ev->portid, 4242);
	assert_int_equal(monitor_nft_gen(f->m), 41);

	/* the table deleted */
	nft_note(f, NFT_MSG_DELTABLE, NFPROTO_INET, "warren");
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	gen_note(f, 42);
	assert_int_equal(feed(f, MONITOR_NFT), 1);
	assert_true(last(f)->deleted);
	assert_int_equal(last(f)->nft_gen, 42);

	/* deleted and made again in one commit: it exists afterwards */
	nft_note(f, NFT_MSG_DELTABLE, NFPROTO_INET, "warren");
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	nft_note(f, NFT_MSG_NEWTABLE, NFPROTO_INET, "warren");
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	gen_note(f, 43);
	assert_int_equal(feed(f, MONITOR_NFT), 1);
	assert_false(last(f)->deleted);

	/* other tables: inet other, ip warren; and commits that touch nothing of ours */
	nft_note(f, NFT_MSG_NEWTABLE, NFPROTO_INET, "other");
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	nft_note(f, NFT_MSG_DELTABLE, NFPROTO_IPV4, "warren");
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	nft_note(f, NFT_MSG_NEWCHAIN, NFPROTO_INET, "warren2");
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	gen_note(f, 44);
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	gen_note(f, 45);
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	assert_int_equal(monitor_nft_gen(f->m), 45);
	assert_int_equal(f->seen.n, 3);
}

/* The server watches its own table: the agent's commits are not its business. */
static void test_nft_server_table(void **state)
{
	struct fx *f = *state;
	struct monitor_interest in = { .protocol = 57, .nft_table = NFT_TABLE_SERVER };

	assert_int_equal(monitor_set_interest(f->m, &in), 0);
	nft_note(f, NFT_MSG_DELTABLE, NFPROTO_INET, "warren");
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	gen_note(f, 50);
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	nft_note(f, NFT_MSG_DELTABLE, NFPROTO_INET, "warren_server");
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	gen_note(f, 51);
	assert_int_equal(feed(f, MONITOR_NFT), 1);
	assert_true(last(f)->deleted);
	assert_int_equal(f->seen.n, 1);
}

static void test_nft_own_commits(void **state)
{
	struct fx *f = *state;
	struct nft_tunnel t = { .ifname = "wg-hq", .families = FAMILY_IPV4, .snat = true };
	struct cidr lan = C("192.168.10.0/24");
	struct nft_spec spec = { .tunnels = &t, .n_tunnels = 1 };
	struct monitor_stats st;
	void *batch;
	size_t len;

	spec.lan_subnets.v = &lan;
	spec.lan_subnets.n = 1;
	/* nft_apply's own batch, read back as the notifications of its commit (the batch
	 * delimiters are of another subsystem and are skipped); all in one datagram */
	assert_int_equal(nft_batch_build(&f->nl, &spec, 0, &batch, &len), 0);
	monitor_own_nft_gen(f->m, 100);
	assert_int_equal(monitor_input(f->m, MONITOR_NFT, batch, len), 0);
	gen_note(f, 100);
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	assert_int_equal(f->seen.n, 0);

	/* a second own commit before the read; both are recognized */
	monitor_own_nft_gen(f->m, 101);
	monitor_own_nft_gen(f->m, 102);
	assert_int_equal(monitor_input(f->m, MONITOR_NFT, batch, len), 0);
	gen_note(f, 101);
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	assert_int_equal(monitor_input(f->m, MONITOR_NFT, batch, len), 0);
	gen_note(f, 102);
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	assert_int_equal(f->seen.n, 0);

	/* the same batch under an unknown generation is someone else's */
	assert_int_equal(monitor_input(f->m, MONITOR_NFT, batch, len), 0);
	gen_note(f, 103);
	assert_int_equal(feed(f, MONITOR_NFT), 1);
	assert_int_equal(last(f)->kind, MON_NFT);
	assert_int_equal(last(f)->nft_gen, 103);
	free(batch);
	monitor_stats(f->m, &st);
	assert_int_equal(st.malformed, 0);
	assert_int_equal(st.reported, 1);
}

static void test_overrun(void **state)
{
	struct fx *f = *state;

	assert_int_equal(monitor_input_error(f->m, MONITOR_RTNL, -ENOBUFS), 1);
	assert_int_equal(last(f)->kind, MON_OVERRUN);
	assert_int_equal(last(f)->bus, MONITOR_RTNL);

	/* an overrun mid-commit: the half seen is forgotten, the overrun stands for it */
	gen_note(f, 7);
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	nft_note(f, NFT_MSG_DELTABLE, NFPROTO_INET, "warren");
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	assert_int_equal(monitor_input_error(f->m, MONITOR_NFT, -ENOBUFS), 1);
	assert_int_equal(last(f)->kind, MON_OVERRUN);
	assert_int_equal(last(f)->bus, MONITOR_NFT);
	assert_int_equal(last(f)->nft_gen, 7);
	gen_note(f, 8);
	assert_int_equal(feed(f, MONITOR_NFT), 0);

	/* a truncated datagram lost a message too */
	assert_int_equal(monitor_input_error(f->m, MONITOR_RTNL, -EMSGSIZE), 1);
	assert_int_equal(last(f)->kind, MON_OVERRUN);
	/* an empty queue is no event; a broken socket is an error */
	assert_int_equal(monitor_input_error(f->m, MONITOR_RTNL, -EAGAIN), 0);
	assert_int_equal(monitor_input_error(f->m, MONITOR_RTNL, -EINTR), 0);
	assert_int_equal(monitor_input_error(f->m, MONITOR_RTNL, -EBADF), -EBADF);
	assert_int_equal(f->seen.n, 3);
	{
		struct monitor_stats st;

		monitor_stats(f->m, &st);
		assert_int_equal(st.overruns, 3);
	}
}

static void test_malformed(void **state)
{
	struct fx *f = *state;
	struct nlmsghdr *nlh;
	size_t full;

	/* cut inside the rtmsg header: refused, not read past */
	route_note(f, "10.50.0.0/16", 57, false);
	msg(f)->nlmsg_len = 16 + 6;
	assert_int_equal(feed(f, MONITOR_RTNL), 0);
	/* an attribute running past the message */
	route_note(f, "10.50.0.0/16", 57, false);
	full = msg(f)->nlmsg_len;
	msg(f)->nlmsg_len = (uint32_t)full - 2;
	assert_int_equal(feed(f, MONITOR_RTNL), 0);
	/* a link message without a name; one with an index of 0 */
	assert_int_equal(link_delete_msg(&f->nl, f->buf, sizeof(f->buf), 7), 0);
	msg(f)->nlmsg_type = RTM_DELLINK;
	assert_int_equal(feed(f, MONITOR_RTNL), 0);
	link_msg(f, "wg0", 0, false);
	assert_int_equal(feed(f, MONITOR_RTNL), 0);
	/* an address of the wrong length for its family */
	addr_note(f, 12, "10.9.0.2/24", false);
	nlh = msg(f);
	((uint8_t *)mnl_nlmsg_get_payload(nlh))[0] = AF_INET6;
	assert_int_equal(feed(f, MONITOR_RTNL), 0);
	/* nft: a table name that is not a string; a NEWGEN without its id */
	nft_note(f, NFT_MSG_DELTABLE, NFPROTO_INET, "warren");
	msg(f)->nlmsg_len = 16 + 4 + 4;   /* header, nfgenmsg, then an empty NFTA_TABLE_NAME */
	memcpy((uint8_t *)f->buf + 20, &(uint16_t[]){ 4, 1 }, 4);
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	assert_int_equal(f->seen.n, 0);
	assert_stats(f, 0, 0, 6);

	/* a malformed NEWGEN still ends a commit that touched our table: reported, gen 0 */
	nft_note(f, NFT_MSG_DELTABLE, NFPROTO_INET, "warren");
	assert_int_equal(feed(f, MONITOR_NFT), 0);
	gen_note(f, 9);
	msg(f)->nlmsg_len = 16 + 4;
	assert_int_equal(feed(f, MONITOR_NFT), 1);
	assert_int_equal(last(f)->kind, MON_NFT);
	assert_int_equal(last(f)->nft_gen, 0);
	assert_true(last(f)->deleted);

	/* types nobody reports, and a datagram with trailing garbage */
	route_note(f, "10.50.0.0/16", 57, false);
	msg(f)->nlmsg_type = RTM_NEWNETCONF;
	assert_int_equal(feed(f, MONITOR_RTNL), 0);
	route_note(f, "10.50.0.0/16", 57, false);
	full = msg(f)->nlmsg_len;
	assert_int_equal(monitor_input(f->m, MONITOR_RTNL, f->buf, full + 8), 1);
	assert_int_equal(monitor_input(f->m, MONITOR_RTNL, f->buf, 3), 0);
	assert_int_equal(monitor_input(f->m, MONITOR_RTNL, NULL, 0), 0);
}

static void test_one_datagram_many_messages(void **state)
{
	struct fx *f = *state;
	uint8_t dgram[4096];
	size_t off = 0, i;
	static const uint8_t protos[] = { 57, RTPROT_STATIC, 57, RTPROT_BOOT, 57 };

	for (i = 0; i < sizeof(protos); i++) {
		route_note(f, "10.50.0.0/16", protos[i], i % 2);
		memcpy(dgram + off, f->buf, msg(f)->nlmsg_len);
		off += MNL_ALIGN(msg(f)->nlmsg_len);
	}
	assert_int_equal(monitor_input(f->m, MONITOR_RTNL, dgram, off), 3);
	assert_int_equal(f->seen.n, 3);
}

/* Changing the interest set from inside the callback is allowed. */
static struct monitor *reentrant_m;

static void drop_all(const struct monitor_event *ev, void *data)
{
	struct monitor_interest none = { 0 };

	collect(ev, data);
	assert_int_equal(monitor_set_interest(reentrant_m, &none), 0);
}

static void test_reentrant_interest(void **state)
{
	struct fx *f = *state;
	struct monitor *m = monitor_new(drop_all, &f->seen);
	struct monitor_interest in = { .links = watched, .n_links = 2, .protocol = 57 };
	int fds[MONITOR_NBUS];

	reentrant_m = m;
	monitor_fds(m, fds);
	assert_int_equal(fds[MONITOR_RTNL], -1);
	assert_int_equal(fds[MONITOR_NFT], -1);
	assert_int_equal(monitor_read(m, -1), -EBADF);
	assert_int_equal(monitor_read(m, 0), -EBADF);
	assert_int_equal(monitor_set_interest(m, &in), 0);
	link_msg(f, "wg0", 7, true);
	assert_int_equal(monitor_input(m, MONITOR_RTNL, f->buf, msg(f)->nlmsg_len), 1);
	assert_int_equal(monitor_input(m, MONITOR_RTNL, f->buf, msg(f)->nlmsg_len), 0);
	monitor_free(m);
	monitor_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protocol_configurable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_links_and_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interest_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nft_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nft_server_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nft_own_commits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overrun, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_datagram_many_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reentrant_interest, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
