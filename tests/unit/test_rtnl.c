/* rtnetlink message builders against hand-made bytes, reply validation, equality, sysctl. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netcfg/addr.h"
#include "netcfg/link.h"
#include "netcfg/nl.h"
#include "netcfg/route.h"
#include "netcfg/rule.h"
#include "netcfg/sysctl.h"

/* The expected bytes below are spelled out from the kernel's struct layouts (nlmsghdr,
 * ifinfomsg, ifaddrmsg, rtmsg, fib_rule_hdr, nlattr) in host byte order, which these
 * tables write little-endian. Constants are kept numeric with the kernel's name beside
 * them, as only netcfg/ includes the kernel headers. */
#define LE16(v) (uint8_t)((v) & 0xff), (uint8_t)(((v) >> 8) & 0xff)
#define LE32(v) LE16((v) & 0xffff), LE16(((uint32_t)(v) >> 16) & 0xffff)
/* nlmsghdr: length, type, flags, seq 1, port 0 */
#define NLHDR(len, type, flags) LE32(len), LE16(type), LE16(flags), LE32(1), LE32(0)
/* one attribute header */
#define NLA(len, type) LE16(len), LE16(type)

#define RTM_NEWLINK 16
#define RTM_DELLINK 17
#define RTM_NEWADDR 20
#define RTM_DELADDR 21
#define RTM_NEWROUTE 24
#define RTM_DELROUTE 25
#define RTM_NEWRULE 32
#define F_REQ_ACK 0x0005          /* NLM_F_REQUEST | NLM_F_ACK */
#define F_CREATE_EXCL 0x0605      /* ... | NLM_F_CREATE | NLM_F_EXCL */
#define F_CREATE_REPLACE 0x0505   /* ... | NLM_F_CREATE | NLM_F_REPLACE */
#define F_DUMP_MULTI 0x0002       /* NLM_F_MULTI, as in dump replies */

static int little_endian(void **state)
{
	const uint16_t one = 1;

	(void)state;
	if (*(const uint8_t *)&one != 1) {
		fprintf(stderr, "byte tables are little-endian; skipped on this host\n");
		skip();
	}
	return 0;
}

/* A socket-less nl: the builders only draw sequence numbers from it. */
static struct nl fake_nl(void)
{
	struct nl nl;

	memset(&nl, 0, sizeof(nl));
	return nl;
}

static void assert_bytes(const void *got, size_t got_len, const uint8_t *want, size_t want_len)
{
	const uint8_t *g = got;
	size_t i;

	if (got_len == want_len && memcmp(got, want, want_len) == 0)
		return;
	fprintf(stderr, "length got %zu want %zu\n", got_len, want_len);
	for (i = 0; i < (got_len > want_len ? got_len : want_len); i++)
		fprintf(stderr, "%3zu: got %02x want %02x%s\n", i, i < got_len ? g[i] : 0,
			i < want_len ? want[i] : 0,
			i < got_len && i < want_len && g[i] == want[i] ? "" : "  <--");
	fail_msg("message differs from the expected bytes");
}

static void assert_msg(const uint32_t *buf, const uint8_t *want, size_t want_len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

	assert_bytes(buf, nlh->nlmsg_len, want, want_len);
}

static struct cidr C(const char *s)
{
	struct cidr c;

	assert_int_equal(cidr_parse(&c, s), 0);
	return c;
}

/* ---- builders against known bytes ---- */

static void test_link_create_bytes(void **state)
{
	static const uint8_t want[] = {
		NLHDR(64, RTM_NEWLINK, F_CREATE_EXCL),
		/* ifinfomsg: family 0, pad, type 0, index 0, flags 0, change 0 */
		0, 0, LE16(0), LE32(0), LE32(0), LE32(0),
		NLA(10, 3), 'w', 'g', '-', 'h', 'q', 0, 0, 0,          /* IFLA_IFNAME */
		NLA(20, 0x8000 | 18),                                    /* IFLA_LINKINFO, nested */
		NLA(14, 1), 'w', 'i', 'r', 'e', 'g', 'u', 'a', 'r', 'd', 0, 0, 0, /* INFO_KIND */
	};
	struct nl nl = fake_nl();
	uint32_t buf[64];

	(void)state;
	assert_int_equal(link_create_msg(&nl, buf, sizeof(buf), "wg-hq", "wireguard", 0), 0);
	assert_msg(buf, want, sizeof(want));
}

static void test_link_set_bytes(void **state)
{
	static const uint8_t up[] = {
		NLHDR(32, RTM_NEWLINK, F_REQ_ACK),
		/* index 7, flags IFF_UP, change IFF_UP */
		0, 0, LE16(0), LE32(7), LE32(1), LE32(1),
	};
	static const uint8_t down[] = {
		NLHDR(32, RTM_NEWLINK, F_REQ_ACK),
		0, 0, LE16(0), LE32(7), LE32(0), LE32(1),
	};
	static const uint8_t mtu[] = {
		NLHDR(40, RTM_NEWLINK, F_REQ_ACK),
		0, 0, LE16(0), LE32(7), LE32(0), LE32(0),
		NLA(8, 4), LE32(1420),                                   /* IFLA_MTU */
	};
	static const uint8_t del[] = {
		NLHDR(32, RTM_DELLINK, F_REQ_ACK),
		0, 0, LE16(0), LE32(7), LE32(0), LE32(0),
	};
	struct nl nl = fake_nl();
	uint32_t buf[64];

	(void)state;
	assert_int_equal(link_set_up_msg(&nl, buf, sizeof(buf), 7, true), 0);
	assert_msg(buf, up, sizeof(up));
	nl.seq = 0;
	assert_int_equal(link_set_up_msg(&nl, buf, sizeof(buf), 7, false), 0);
	assert_msg(buf, down, sizeof(down));
	nl.seq = 0;
	assert_int_equal(link_set_mtu_msg(&nl, buf, sizeof(buf), 7, 1420), 0);
	assert_msg(buf, mtu, sizeof(mtu));
	nl.seq = 0;
	assert_int_equal(link_delete_msg(&nl, buf, sizeof(buf), 7), 0);
	assert_msg(buf, del, sizeof(del));
	/* arguments the kernel would refuse anyway */
	assert_int_equal(link_create_msg(&nl, buf, sizeof(buf), "sixteen-chars-xx", "dummy", 0),
			 -EINVAL);
	assert_int_equal(link_create_msg(&nl, buf, sizeof(buf), "", "dummy", 0), -EINVAL);
	assert_int_equal(link_create_msg(&nl, buf, sizeof(buf), "a/b", "dummy", 0), -EINVAL);
	assert_int_equal(link_set_mtu_msg(&nl, buf, sizeof(buf), 0, 1420), -EINVAL);
	assert_int_equal(link_set_mtu_msg(&nl, buf, sizeof(buf), 7, 0), -EINVAL);
}

static void test_addr_bytes(void **state)
{
	static const uint8_t v4[] = {
		NLHDR(40, RTM_NEWADDR, F_CREATE_REPLACE),
		/* ifaddrmsg: AF_INET, prefixlen 32, flags 0, scope universe, index 5 */
		2, 32, 0, 0, LE32(5),
		NLA(8, 2), 10, 9, 0, 10,                                 /* IFA_LOCAL */
		NLA(8, 1), 10, 9, 0, 10,                                 /* IFA_ADDRESS */
	};
	static const uint8_t v6[] = {
		NLHDR(64, RTM_NEWADDR, F_CREATE_REPLACE),
		/* AF_INET6, /64, IFA_F_NODAD (0x02), universe, index 5 */
		10, 64, 0x02, 0, LE32(5),
		NLA(20, 2), 0xfd, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
		NLA(20, 1), 0xfd, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
	};
	static const uint8_t v6_noprefix[] = {
		NLHDR(72, RTM_NEWADDR, F_CREATE_REPLACE),
		/* flags above 0xff go in IFA_FLAGS only, as iproute2 sends them */
		10, 64, 0, 0, LE32(5),
		NLA(20, 2), 0xfd, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
		NLA(20, 1), 0xfd, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
		NLA(8, 8), LE32(0x202),                  /* IFA_FLAGS: NODAD | NOPREFIXROUTE */
	};
	static const uint8_t del[] = {
		NLHDR(40, RTM_DELADDR, F_REQ_ACK),
		2, 24, 0, 0, LE32(5),
		NLA(8, 2), 192, 168, 1, 1,
		NLA(8, 1), 192, 168, 1, 1,
	};
	struct nl nl = fake_nl();
	struct cidr a = C("10.9.0.10/32"), b = C("fd09::10/64"), c = C("192.168.1.1/24");
	uint32_t buf[64];

	(void)state;
	assert_int_equal(addr_msg(&nl, buf, sizeof(buf), ADDR_OP_ADD, 5, &a, 0), 0);
	assert_msg(buf, v4, sizeof(v4));
	nl.seq = 0;
	assert_int_equal(addr_msg(&nl, buf, sizeof(buf), ADDR_OP_ADD, 5, &b, ADDR_NODAD), 0);
	assert_msg(buf, v6, sizeof(v6));
	nl.seq = 0;
	assert_int_equal(addr_msg(&nl, buf, sizeof(buf), ADDR_OP_ADD, 5, &b,
				  ADDR_NODAD | ADDR_NOPREFIXROUTE), 0);
	assert_msg(buf, v6_noprefix, sizeof(v6_noprefix));
	nl.seq = 0;
	assert_int_equal(addr_msg(&nl, buf, sizeof(buf), ADDR_OP_DEL, 5, &c, 0), 0);
	assert_msg(buf, del, sizeof(del));
	assert_int_equal(addr_msg(&nl, buf, sizeof(buf), ADDR_OP_ADD, 0, &c, 0), -EINVAL);
}

static void test_route_bytes(void **state)
{
	static const uint8_t add[] = {
		NLHDR(72, RTM_NEWROUTE, F_CREATE_EXCL),
		/* rtmsg: AF_INET, dst_len 16, src_len 0, tos 0, table RT_TABLE_UNSPEC (1000 does
		 * not fit), protocol 57, scope link (253), type unicast, flags 0 */
		2, 16, 0, 0, 0, 57, 253, 1, LE32(0),
		NLA(8, 15), LE32(1000),                                  /* RTA_TABLE */
		NLA(8, 1), 10, 20, 0, 0,                                 /* RTA_DST */
		NLA(8, 6), LE32(10),                                     /* RTA_PRIORITY */
		NLA(8, 4), LE32(7),                                      /* RTA_OIF */
		NLA(12, 0x8000 | 8), NLA(8, 2), LE32(1400),              /* RTA_METRICS{MTU} */
	};
	static const uint8_t replace_gw[] = {
		NLHDR(44, RTM_NEWROUTE, F_CREATE_REPLACE),
		/* default via a gateway in main: table 254 fits the header, scope universe */
		2, 0, 0, 0, 254, 57, 0, 1, LE32(0),
		NLA(8, 15), LE32(254),
		NLA(8, 5), 192, 0, 2, 1,                                 /* RTA_GATEWAY */
	};
	static const uint8_t unreach6[] = {
		NLHDR(36, RTM_NEWROUTE, F_CREATE_EXCL),
		/* AF_INET6 default, table 1000, proto 57, universe, RTN_UNREACHABLE (7) */
		10, 0, 0, 0, 0, 57, 0, 7, LE32(0),
		NLA(8, 15), LE32(1000),
	};
	static const uint8_t del[] = {
		NLHDR(72, RTM_DELROUTE, F_REQ_ACK),
		/* a delete names everything but leaves the scope to the kernel (NOWHERE) */
		2, 16, 0, 0, 0, 57, 255, 1, LE32(0),
		NLA(8, 15), LE32(1000),
		NLA(8, 1), 10, 20, 0, 0,
		NLA(8, 6), LE32(10),
		NLA(8, 4), LE32(7),
		NLA(12, 0x8000 | 8), NLA(8, 2), LE32(1400),
	};
	struct nl nl = fake_nl();
	uint32_t buf[64];
	struct route r;

	(void)state;
	route_init(&r, AF_INET);
	r.dst = C("10.20.0.0/16");
	r.table = 1000;
	r.oif = 7;
	r.metric = 10;
	r.mtu = 1400;
	assert_int_equal(route_msg(&nl, buf, sizeof(buf), &r, ROUTE_OP_ADD), 0);
	assert_msg(buf, add, sizeof(add));
	nl.seq = 0;
	assert_int_equal(route_msg(&nl, buf, sizeof(buf), &r, ROUTE_OP_DEL), 0);
	assert_msg(buf, del, sizeof(del));

	route_init(&r, AF_INET);
	r.dst = C("0.0.0.0/0");
	r.gateway = C("192.0.2.1");
	nl.seq = 0;
	assert_int_equal(route_msg(&nl, buf, sizeof(buf), &r, ROUTE_OP_REPLACE), 0);
	assert_msg(buf, replace_gw, sizeof(replace_gw));

	route_init(&r, AF_INET6);
	r.dst = C("::/0");
	r.table = 1000;
	r.type = ROUTE_UNREACHABLE;
	nl.seq = 0;
	assert_int_equal(route_msg(&nl, buf, sizeof(buf), &r, ROUTE_OP_ADD), 0);
	assert_msg(buf, unreach6, sizeof(unreach6));
}

static void test_route_invalid(void **state)
{
	struct nl nl = fake_nl();
	uint32_t buf[64];
	struct route r;

	(void)state;
	route_init(&r, AF_INET);
	r.dst = C("10.20.0.0/16");
	/* unicast needs a device or a gateway */
	assert_int_equal(route_msg(&nl, buf, sizeof(buf), &r, ROUTE_OP_ADD), -EINVAL);
	r.oif = 3;
	assert_int_equal(route_msg(&nl, buf, sizeof(buf), &r, ROUTE_OP_ADD), 0);
	/* host bits beyond the prefix */
	r.dst = C("10.20.0.1/16");
	assert_int_equal(route_msg(&nl, buf, sizeof(buf), &r, ROUTE_OP_ADD), -EINVAL);
	r.dst = C("10.20.0.0/16");
	/* a reject route with a device: the kernel refuses it, so do we */
	r.type = ROUTE_BLACKHOLE;
	assert_int_equal(route_msg(&nl, buf, sizeof(buf), &r, ROUTE_OP_ADD), -EINVAL);
	r.oif = 0;
	assert_int_equal(route_msg(&nl, buf, sizeof(buf), &r, ROUTE_OP_ADD), 0);
	/* mixed families */
	r.type = ROUTE_UNICAST;
	r.gateway = C("fe80::1");
	assert_int_equal(route_msg(&nl, buf, sizeof(buf), &r, ROUTE_OP_ADD), -EINVAL);
	r.gateway = C("192.0.2.1");
	r.dst = C("fd00::/8");
	assert_int_equal(route_msg(&nl, buf, sizeof(buf), &r, ROUTE_OP_ADD), -EINVAL);
	r.family = AF_UNIX;
	assert_int_equal(route_msg(&nl, buf, sizeof(buf), &r, ROUTE_OP_ADD), -EAFNOSUPPORT);
	/* dump-only kinds cannot be requested */
	route_init(&r, AF_INET);
	r.type = ROUTE_LOCAL;
	assert_int_equal(route_msg(&nl, buf, sizeof(buf), &r, ROUTE_OP_ADD), -EINVAL);
}

static void test_rule_bytes(void **state)
{
	static const uint8_t mark_suppress[] = {
		NLHDR(76, RTM_NEWRULE, F_CREATE_EXCL),
		/* fib_rule_hdr: AF_INET, dst_len 0, src_len 0, tos 0, table RT_TABLE_UNSPEC,
		 * res1, res2, action FR_ACT_TO_TBL (1), flags 0 */
		2, 0, 0, 0, 0, 0, 0, 1, LE32(0),
		NLA(8, 6), LE32(6200),                                   /* FRA_PRIORITY */
		NLA(8, 15), LE32(1000),                                  /* FRA_TABLE */
		NLA(8, 10), LE32(0x1),                                   /* FRA_FWMARK */
		NLA(8, 16), LE32(0xff),                                  /* FRA_FWMASK */
		NLA(8, 14), LE32(0),                                     /* SUPPRESS_PREFIXLEN */
		NLA(5, 21), 57, 0, 0, 0,                                 /* FRA_PROTOCOL */
	};
	static const uint8_t not_mark[] = {
		NLHDR(76, RTM_NEWRULE, F_CREATE_EXCL),
		/* wg-quick's "not fwmark 51820 table 51820": FIB_RULE_INVERT (2); a bare mark
		 * is sent with the all-ones mask the kernel would give it */
		2, 0, 0, 0, 0, 0, 0, 1, LE32(2),
		NLA(8, 6), LE32(6201),
		NLA(8, 15), LE32(51820),
		NLA(8, 10), LE32(51820),
		NLA(8, 16), LE32(0xffffffff),
		NLA(7, 3), 'l', 'o', 0, 0,                               /* FRA_IIFNAME */
		NLA(5, 21), 57, 0, 0, 0,
	};
	static const uint8_t src_unreach6[] = {
		NLHDR(64, RTM_NEWRULE, F_CREATE_EXCL),
		/* AF_INET6 from fd10::/64 unreachable (FR_ACT_UNREACHABLE 7): no table */
		10, 0, 64, 0, 0, 0, 0, 7, LE32(0),
		NLA(8, 6), LE32(6299),
		NLA(20, 2), 0xfd, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* FRA_SRC */
		NLA(5, 21), 57, 0, 0, 0,
	};
	static const uint8_t main_suppress[] = {
		NLHDR(60, RTM_NEWRULE, F_CREATE_EXCL),
		/* table main fits the header; suppress_prefixlength 0 */
		2, 0, 0, 0, 254, 0, 0, 1, LE32(0),
		NLA(8, 6), LE32(6202),
		NLA(8, 15), LE32(254),
		NLA(8, 14), LE32(0),
		NLA(5, 21), 57, 0, 0, 0,
	};
	struct nl nl = fake_nl();
	uint32_t buf[64];
	struct rule r;

	(void)state;
	rule_init(&r, AF_INET);
	r.priority = 6200;
	r.table = 1000;
	r.fwmark = 0x1;
	r.fwmask = 0xff;
	r.suppress_prefixlength = 0;
	assert_int_equal(rule_msg(&nl, buf, sizeof(buf), &r, RULE_OP_ADD), 0);
	assert_msg(buf, mark_suppress, sizeof(mark_suppress));

	rule_init(&r, AF_INET);
	r.priority = 6201;
	r.table = 51820;
	r.fwmark = 51820;
	r.invert = true;
	strcpy(r.iif, "lo");
	nl.seq = 0;
	assert_int_equal(rule_msg(&nl, buf, sizeof(buf), &r, RULE_OP_ADD), 0);
	assert_msg(buf, not_mark, sizeof(not_mark));

	rule_init(&r, AF_INET6);
	r.priority = 6299;
	r.action = RULE_UNREACHABLE;
	r.src = C("fd10::/64");
	nl.seq = 0;
	assert_int_equal(rule_msg(&nl, buf, sizeof(buf), &r, RULE_OP_ADD), 0);
	assert_msg(buf, src_unreach6, sizeof(src_unreach6));

	rule_init(&r, AF_INET);
	r.priority = 6202;
	r.table = 254;
	r.suppress_prefixlength = 0;
	nl.seq = 0;
	assert_int_equal(rule_msg(&nl, buf, sizeof(buf), &r, RULE_OP_ADD), 0);
	assert_msg(buf, main_suppress, sizeof(main_suppress));
}

static void test_rule_invalid(void **state)
{
	struct nl nl = fake_nl();
	uint32_t buf[64];
	struct rule r;

	(void)state;
	rule_init(&r, AF_INET);
	r.priority = 6200;
	assert_int_equal(rule_msg(&nl, buf, sizeof(buf), &r, RULE_OP_ADD), -EINVAL); /* table 0 */
	r.table = 10;
	r.suppress_prefixlength = 33;
	assert_int_equal(rule_msg(&nl, buf, sizeof(buf), &r, RULE_OP_ADD), -EINVAL);
	r.suppress_prefixlength = -1;
	r.dst = C("fd00::/8");
	assert_int_equal(rule_msg(&nl, buf, sizeof(buf), &r, RULE_OP_ADD), -EINVAL);
	r.dst = C("10.0.0.1/8");
	assert_int_equal(rule_msg(&nl, buf, sizeof(buf), &r, RULE_OP_ADD), -EINVAL);
	r.dst = C("10.0.0.0/8");
	assert_int_equal(rule_msg(&nl, buf, sizeof(buf), &r, RULE_OP_ADD), 0);
	memset(r.iif, 'x', sizeof(r.iif));   /* no NUL within IFNAMSIZ */
	assert_int_equal(rule_msg(&nl, buf, sizeof(buf), &r, RULE_OP_ADD), -EINVAL);
}

/* Every builder checks the room it has, header included, and says -EMSGSIZE. */
static void test_msg_size_checked(void **state)
{
	struct nl nl = fake_nl();
	uint32_t buf[64];
	struct cidr a = C("fd09::10/64");
	struct route r;
	struct rule u;
	size_t size;

	(void)state;
	route_init(&r, AF_INET6);
	r.dst = C("fd00::/8");
	r.oif = 2;
	r.mtu = 1280;
	rule_init(&u, AF_INET);
	u.priority = 1;
	u.table = 2;
	strcpy(u.oif, "eth0");
	/* exact sizes: route 76, address 64, link 60, rule 64 */
	for (size = 0; size <= 96; size += 4) {
		assert_int_equal(route_msg(&nl, buf, size, &r, ROUTE_OP_ADD),
				 size >= 76 ? 0 : -EMSGSIZE);
		assert_int_equal(addr_msg(&nl, buf, size, ADDR_OP_ADD, 1, &a, 0),
				 size >= 64 ? 0 : -EMSGSIZE);
		assert_int_equal(link_create_msg(&nl, buf, size, "wg0", "wireguard", 0),
				 size >= 60 ? 0 : -EMSGSIZE);
		assert_int_equal(rule_msg(&nl, buf, size, &u, RULE_OP_ADD),
				 size >= 64 ? 0 : -EMSGSIZE);
	}
	/* failed builds give their sequence numbers back */
	assert_int_equal(nl.seq, 6 + 9 + 10 + 9);   /* only the successes */
	assert_int_equal(link_set_mtu_msg(&nl, buf, 39, 1, 1280), -EMSGSIZE);
	assert_int_equal(nl.seq, 34);
	assert_int_equal(link_set_mtu_msg(&nl, buf, 40, 1, 1280), 0);
	assert_int_equal(link_set_up_msg(&nl, buf, 31, 1, true), -EMSGSIZE);
	assert_int_equal(link_set_up_msg(&nl, buf, 32, 1, true), 0);
}

/* Builders lay requests back to back for nl_talk_batch, each with its own sequence. */
static void test_batch_layout(void **state)
{
	struct nl nl = fake_nl();
	uint32_t buf[256];
	struct cidr a = C("10.9.0.10/32");
	struct route r;
	size_t off = 0;
	const struct nlmsghdr *m;
	int left, count = 0;

	(void)state;
	route_init(&r, AF_INET);
	r.dst = C("10.0.0.0/8");
	r.oif = 4;
	assert_int_equal(link_set_mtu_msg(&nl, (char *)buf + off, sizeof(buf) - off, 4, 1420), 0);
	off += MNL_ALIGN(((struct nlmsghdr *)((char *)buf + off))->nlmsg_len);
	assert_int_equal(addr_msg(&nl, (char *)buf + off, sizeof(buf) - off, ADDR_OP_ADD, 4, &a, 0), 0);
	off += MNL_ALIGN(((struct nlmsghdr *)((char *)buf + off))->nlmsg_len);
	assert_int_equal(route_msg(&nl, (char *)buf + off, sizeof(buf) - off, &r, ROUTE_OP_ADD), 0);
	off += MNL_ALIGN(((struct nlmsghdr *)((char *)buf + off))->nlmsg_len);
	left = (int)off;
	for (m = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
		count++;
		assert_int_equal(m->nlmsg_seq, (uint32_t)count);
		assert_true(m->nlmsg_flags & 0x4);   /* NLM_F_ACK on each */
	}
	assert_int_equal(count, 3);
	assert_int_equal(left, 0);
}

/* ---- parsing replies ---- */

/* A dump entry as the kernel sends it: 10.20.0.0/16 table 1000 proto 57 dev 7 metric 10
 * mtu 1400, with attributes warren ignores (RTA_CACHEINFO, an unknown type 250). */
static const uint8_t route_reply[] = {
	NLHDR(108, RTM_NEWROUTE, F_DUMP_MULTI),
	2, 16, 0, 0, 252, 57, 253, 1, LE32(0),      /* table 252 = RT_TABLE_COMPAT */
	NLA(8, 15), LE32(1000),
	NLA(8, 1), 10, 20, 0, 0,
	NLA(8, 6), LE32(10),
	NLA(8, 4), LE32(7),
	NLA(12, 8), NLA(8, 2), LE32(1400),
	NLA(20, 12), LE32(0), LE32(0), LE32(0), LE32(0),  /* RTA_CACHEINFO, 16 of its 32 bytes */
	NLA(8, 250), LE32(0xdeadbeef),
	NLA(8, 7), 10, 20, 0, 1,                    /* RTA_PREFSRC */
};

static void copy_msg(uint32_t *buf, const uint8_t *bytes, size_t len)
{
	memset(buf, 0, 256);
	memcpy(buf, bytes, len);
}

static void set_u16(uint32_t *buf, size_t off, uint16_t v)
{
	memcpy((char *)buf + off, &v, 2);
}

static void set_u32(uint32_t *buf, size_t off, uint32_t v)
{
	memcpy((char *)buf + off, &v, 4);
}

static void test_route_parse(void **state)
{
	uint32_t buf[64];
	struct route r, want;
	char s[CIDR_STRLEN];

	(void)state;
	copy_msg(buf, route_reply, sizeof(route_reply));
	assert_int_equal(route_parse((struct nlmsghdr *)buf, &r), 0);
	assert_int_equal(r.family, AF_INET);
	assert_string_equal(cidr_fmt(&r.dst, s), "10.20.0.0/16");
	assert_int_equal(r.table, 1000);
	assert_int_equal(r.protocol, 57);
	assert_int_equal(r.type, ROUTE_UNICAST);
	assert_int_equal(r.oif, 7);
	assert_int_equal(r.metric, 10);
	assert_int_equal(r.mtu, 1400);
	assert_string_equal(ip_fmt(&r.prefsrc, s), "10.20.0.1");
	assert_int_equal(r.gateway.family, 0);
	assert_false(route_msg_is_clone((struct nlmsghdr *)buf));

	route_init(&want, AF_INET);
	want.dst = C("10.20.0.0/16");
	want.table = 1000;
	want.oif = 7;
	want.metric = 10;
	want.mtu = 1400;
	want.prefsrc = C("10.20.0.1");
	assert_true(route_equal(&r, &want));
	want.mtu = 1300;
	assert_false(route_equal(&r, &want));
	assert_true(route_key_equal(&r, &want));

	/* RTM_F_CLONED (0x200) marks a cache entry */
	set_u32(buf, 16 + 8, 0x200);
	assert_true(route_msg_is_clone((struct nlmsghdr *)buf));
}

static void test_route_parse_rejects(void **state)
{
	uint32_t buf[64];
	struct route r;

	(void)state;
	/* an attribute longer than what is left of the message */
	copy_msg(buf, route_reply, sizeof(route_reply));
	set_u16(buf, 28 + 8, 12);                   /* RTA_DST claims 12 bytes, 8 exist */
	set_u32(buf, 0, 16 + 12 + 8 + 8);           /* message ends after RTA_DST */
	assert_int_equal(route_parse((struct nlmsghdr *)buf, &r), -EBADMSG);
	/* the same with the message cut in the middle of an attribute header */
	copy_msg(buf, route_reply, sizeof(route_reply));
	set_u32(buf, 0, 16 + 12 + 8 + 2);
	assert_int_equal(route_parse((struct nlmsghdr *)buf, &r), -EBADMSG);
	/* an attribute length below its own header */
	copy_msg(buf, route_reply, sizeof(route_reply));
	set_u16(buf, 28, 2);
	assert_int_equal(route_parse((struct nlmsghdr *)buf, &r), -EBADMSG);
	/* header shorter than struct rtmsg */
	copy_msg(buf, route_reply, sizeof(route_reply));
	set_u32(buf, 0, 16 + 8);
	assert_int_equal(route_parse((struct nlmsghdr *)buf, &r), -EBADMSG);
	/* RTA_OIF of two bytes: the wrong length for a u32 */
	copy_msg(buf, route_reply, sizeof(route_reply));
	set_u16(buf, 28 + 24, 6);
	assert_int_equal(route_parse((struct nlmsghdr *)buf, &r), -EINVAL);
	/* RTA_TABLE typed as something else's length */
	copy_msg(buf, route_reply, sizeof(route_reply));
	set_u16(buf, 28, 5);
	assert_int_equal(route_parse((struct nlmsghdr *)buf, &r), -EINVAL);
	/* an IPv6-sized destination in an IPv4 route: claim AF_INET6 with 4-byte RTA_DST */
	copy_msg(buf, route_reply, sizeof(route_reply));
	((uint8_t *)buf)[16] = 10;
	assert_int_equal(route_parse((struct nlmsghdr *)buf, &r), -EINVAL);
	/* prefix length beyond the address */
	copy_msg(buf, route_reply, sizeof(route_reply));
	((uint8_t *)buf)[17] = 33;
	assert_int_equal(route_parse((struct nlmsghdr *)buf, &r), -EINVAL);
	/* RTAX_MTU inside RTA_METRICS shortened to 2 bytes */
	copy_msg(buf, route_reply, sizeof(route_reply));
	set_u16(buf, 28 + 32 + 4, 6);
	assert_int_equal(route_parse((struct nlmsghdr *)buf, &r), -EINVAL);
	/* RTA_METRICS whose inner attribute overruns the nest */
	copy_msg(buf, route_reply, sizeof(route_reply));
	set_u16(buf, 28 + 32 + 4, 12);
	assert_int_equal(route_parse((struct nlmsghdr *)buf, &r), -EBADMSG);
	/* bytes trailing the last attribute */
	copy_msg(buf, route_reply, sizeof(route_reply));
	set_u32(buf, 0, sizeof(route_reply) + 2);
	assert_int_equal(route_parse((struct nlmsghdr *)buf, &r), -EBADMSG);
	/* not IP at all: a multicast routing table entry (RTNL_FAMILY_IPMR 128) */
	copy_msg(buf, route_reply, sizeof(route_reply));
	((uint8_t *)buf)[16] = 128;
	assert_int_equal(route_parse((struct nlmsghdr *)buf, &r), -EAFNOSUPPORT);
}

static const uint8_t link_reply[] = {
	NLHDR(88, RTM_NEWLINK, F_DUMP_MULTI),
	0, 0, LE16(65534), LE32(9), LE32(0x1043), LE32(0),  /* UP|RUNNING|LOWER... */
	NLA(10, 3), 'w', 'g', '-', 'h', 'q', 0, 0, 0,
	NLA(8, 4), LE32(1420),
	NLA(5, 16), 0, 0, 0, 0,                     /* IFLA_OPERSTATE, ignored */
	NLA(20, 18), NLA(14, 1), 'w', 'i', 'r', 'e', 'g', 'u', 'a', 'r', 'd', 0, 0, 0,
	NLA(8, 13), LE32(1000),                     /* IFLA_TXQLEN, ignored */
};

static void test_link_parse(void **state)
{
	uint32_t buf[64];
	struct link l;

	(void)state;
	copy_msg(buf, link_reply, sizeof(link_reply));
	assert_int_equal(link_parse((struct nlmsghdr *)buf, &l), 0);
	assert_int_equal(l.index, 9);
	assert_string_equal(l.name, "wg-hq");
	assert_string_equal(l.kind, "wireguard");
	assert_int_equal(l.mtu, 1420);
	assert_true(l.flags & LINK_F_UP);

	/* IFLA_IFNAME without its NUL */
	copy_msg(buf, link_reply, sizeof(link_reply));
	((uint8_t *)buf)[32 + 4 + 5] = 'x';
	assert_int_equal(link_parse((struct nlmsghdr *)buf, &l), -EINVAL);
	/* IFLA_MTU as a u16 */
	copy_msg(buf, link_reply, sizeof(link_reply));
	set_u16(buf, 44, 6);
	assert_int_equal(link_parse((struct nlmsghdr *)buf, &l), -EINVAL);
	/* a nested kind running past IFLA_LINKINFO */
	copy_msg(buf, link_reply, sizeof(link_reply));
	set_u16(buf, 60 + 4, 18);
	assert_int_equal(link_parse((struct nlmsghdr *)buf, &l), -EBADMSG);
	/* truncated in the middle of IFLA_LINKINFO */
	copy_msg(buf, link_reply, sizeof(link_reply));
	set_u32(buf, 0, 70);
	assert_int_equal(link_parse((struct nlmsghdr *)buf, &l), -EBADMSG);
	/* no name at all */
	copy_msg(buf, link_reply, sizeof(link_reply));
	set_u16(buf, 32 + 2, 200);                  /* IFLA_IFNAME becomes an unknown type */
	assert_int_equal(link_parse((struct nlmsghdr *)buf, &l), -EINVAL);
}

/* The request builders produce what the parsers read back: the kernel echoes the same
 * layout in notifications. */
static void test_roundtrip(void **state)
{
	struct nl nl = fake_nl();
	uint32_t buf[64];
	struct route r, r2;
	struct rule u, u2;
	struct link l;
	struct addr a;
	struct cidr c = C("fd09::10/64");

	(void)state;
	route_init(&r, AF_INET6);
	r.dst = C("2001:db8::/32");
	r.table = 70000;
	r.gateway = C("fe80::1");
	r.oif = 3;
	r.metric = 5;
	r.mtu = 1380;
	r.prefsrc = C("fd09::10");
	assert_int_equal(route_msg(&nl, buf, sizeof(buf), &r, ROUTE_OP_REPLACE), 0);
	assert_int_equal(route_parse((struct nlmsghdr *)buf, &r2), 0);
	assert_true(route_equal(&r, &r2));

	rule_init(&u, AF_INET6);
	u.priority = 6250;
	u.table = 70000;
	u.fwmark = 0x20000;
	u.fwmask = 0xf0000;
	u.invert = true;
	u.dst = C("2001:db8::/32");
	u.src = C("fd10::/64");
	strcpy(u.iif, "eth1");
	strcpy(u.oif, "wg-hq");
	assert_int_equal(rule_msg(&nl, buf, sizeof(buf), &u, RULE_OP_ADD), 0);
	assert_int_equal(rule_parse((struct nlmsghdr *)buf, &u2), 0);
	assert_true(rule_equal(&u, &u2));
	u2.protocol = 0;
	assert_false(rule_equal(&u, &u2));

	assert_int_equal(link_create_msg(&nl, buf, sizeof(buf), "wg-x", "wireguard", 42), 0);
	assert_int_equal(link_parse((struct nlmsghdr *)buf, &l), 0);
	assert_int_equal(l.index, 42);
	assert_string_equal(l.name, "wg-x");
	assert_string_equal(l.kind, "wireguard");

	assert_int_equal(addr_msg(&nl, buf, sizeof(buf), ADDR_OP_ADD, 4, &c, ADDR_NODAD), 0);
	assert_int_equal(addr_parse((struct nlmsghdr *)buf, &a), 0);
	assert_int_equal(a.ifindex, 4);
	assert_true(cidr_equal(&a.addr, &c));
	assert_int_equal(a.kflags, 0x02);
	/* 16-byte addresses in a message that claims AF_INET */
	((uint8_t *)buf)[16] = 2;
	assert_int_equal(addr_parse((struct nlmsghdr *)buf, &a), -EINVAL);
}

static const uint8_t rule_reply[] = {
	NLHDR(96, RTM_NEWRULE, F_DUMP_MULTI),
	2, 0, 0, 0, 0, 0, 0, 1, LE32(2),
	NLA(8, 15), LE32(51820),
	NLA(8, 6), LE32(6201),
	NLA(8, 10), LE32(51820),
	NLA(8, 16), LE32(0xffffffff),
	NLA(7, 3), 'l', 'o', 0, 0,
	NLA(5, 21), 57, 0, 0, 0,
	NLA(8, 14), LE32(0xffffffff),               /* suppress_prefixlength -1 */
	NLA(12, 20), LE32(0), LE32(0xffffffff),     /* FRA_UID_RANGE, not modelled */
};

static void test_rule_parse(void **state)
{
	uint32_t buf[64];
	struct rule r, want;

	(void)state;
	copy_msg(buf, rule_reply, sizeof(rule_reply));
	assert_int_equal(rule_parse((struct nlmsghdr *)buf, &r), 0);
	rule_init(&want, AF_INET);
	want.priority = 6201;
	want.table = 51820;
	want.fwmark = 51820;          /* mask 0: the kernel's all-ones */
	want.invert = true;
	strcpy(want.iif, "lo");
	assert_true(rule_equal(&r, &want));
	assert_int_equal(r.suppress_prefixlength, -1);

	/* FRA_PROTOCOL as four bytes */
	copy_msg(buf, rule_reply, sizeof(rule_reply));
	set_u16(buf, 28 + 8 * 4 + 8, 8);
	assert_int_equal(rule_parse((struct nlmsghdr *)buf, &r), -EINVAL);
	/* FRA_IIFNAME not terminated */
	copy_msg(buf, rule_reply, sizeof(rule_reply));
	((uint8_t *)buf)[28 + 32 + 6] = 'x';
	assert_int_equal(rule_parse((struct nlmsghdr *)buf, &r), -EINVAL);
	/* a source prefix length with no FRA_SRC */
	copy_msg(buf, rule_reply, sizeof(rule_reply));
	((uint8_t *)buf)[18] = 8;
	assert_int_equal(rule_parse((struct nlmsghdr *)buf, &r), -EINVAL);
}

static void test_equality_defaults(void **state)
{
	struct route a, b;
	struct rule x, y;

	(void)state;
	/* table 0 is main; an IPv6 route without a metric gets 1024 from the kernel */
	route_init(&a, AF_INET6);
	a.dst = C("fd00::/8");
	a.oif = 2;
	b = a;
	a.table = 0;
	b.metric = 1024;
	assert_true(route_equal(&a, &b));
	/* IPv6 reject routes are dumped on lo: the device does not count */
	a.type = b.type = ROUTE_UNREACHABLE;
	a.oif = 0;
	b.oif = 1;
	assert_true(route_equal(&a, &b));
	b.protocol = 0;
	assert_false(route_equal(&a, &b));
	assert_true(route_key_equal(&a, &b));
	/* IPv4 metric 0 is a metric of its own */
	route_init(&a, AF_INET);
	a.oif = 2;
	b = a;
	b.metric = 1024;
	assert_false(route_key_equal(&a, &b));

	rule_init(&x, AF_INET);
	x.priority = 6200;
	x.action = RULE_BLACKHOLE;
	y = x;
	y.table = 5;                   /* ignored for a non-table action */
	assert_true(rule_equal(&x, &y));
	y.src = C("0.0.0.0/0");        /* prefix 0 = any */
	assert_true(rule_equal(&x, &y));
	y.suppress_prefixlength = 0;
	assert_false(rule_equal(&x, &y));
}

/* ---- sysctl on plain files ---- */

static void test_sysctl(void **state)
{
	char dir[] = "/tmp/warren-sysctl-XXXXXX", path[64], old[16], cur[16];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/forwarding", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("0\n", f);
	fclose(f);

	assert_int_equal(sysctl_set(path, "1", old, sizeof(old)), 0);
	assert_string_equal(old, "0");
	assert_int_equal(sysctl_get(path, cur, sizeof(cur)), 0);
	assert_string_equal(cur, "1");
	/* already set: the old value is still reported */
	assert_int_equal(sysctl_set(path, "1", old, sizeof(old)), 0);
	assert_string_equal(old, "1");
	assert_int_equal(sysctl_set(path, "0", NULL, 0), 0);
	assert_int_equal(sysctl_get(path, cur, sizeof(cur)), 0);
	assert_string_equal(cur, "0");
	/* the old value does not fit */
	assert_int_equal(sysctl_set(path, "1", old, 1), -ENAMETOOLONG);
	assert_int_equal(sysctl_get(path, cur, 1), -ENAMETOOLONG);

	assert_int_equal(sysctl_get("net/ipv4/../../../etc/passwd", cur, sizeof(cur)), -EINVAL);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(sysctl_set(path, "1", NULL, 0), -ENOENT);
	snprintf(path, sizeof(path), "%s/forwarding", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_link_create_bytes, little_endian),
		cmocka_unit_test_setup(test_link_set_bytes, little_endian),
		cmocka_unit_test_setup(test_addr_bytes, little_endian),
		cmocka_unit_test_setup(test_route_bytes, little_endian),
		cmocka_unit_test(test_route_invalid),
		cmocka_unit_test_setup(test_rule_bytes, little_endian),
		cmocka_unit_test(test_rule_invalid),
		cmocka_unit_test(test_msg_size_checked),
		cmocka_unit_test(test_batch_layout),
		cmocka_unit_test_setup(test_route_parse, little_endian),
		cmocka_unit_test_setup(test_route_parse_rejects, little_endian),
		cmocka_unit_test_setup(test_link_parse, little_endian),
		cmocka_unit_test_setup(test_roundtrip, little_endian),
		cmocka_unit_test_setup(test_rule_parse, little_endian),
		cmocka_unit_test(test_equality_defaults),
		cmocka_unit_test(test_sysctl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
