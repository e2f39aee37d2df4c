/* ctnetlink requests against hand-made bytes, dump-entry validation, NAT selection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcfg/conntrack.h"
#include "netcfg/nl.h"

/* Bytes are spelled out from the kernel's layouts (nlmsghdr, nfgenmsg, nlattr): headers in
 * host byte order, written little-endian here; ctnetlink's values (ports, ids, status,
 * zones) in network byte order. Constants stay numeric with the kernel's name beside
 * them, as only netcfg/ includes the kernel headers. */
#define LE16(v) (uint8_t)((v) & 0xff), (uint8_t)(((v) >> 8) & 0xff)
#define LE32(v) LE16((v) & 0xffff), LE16(((uint32_t)(v) >> 16) & 0xffff)
#define BE16(v) (uint8_t)(((v) >> 8) & 0xff), (uint8_t)((v) & 0xff)
#define BE32(v) BE16(((uint32_t)(v) >> 16) & 0xffff), BE16((v) & 0xffff)
#define NLHDR(len, type, flags, seq) LE32(len), LE16(type), LE16(flags), LE32(seq), LE32(0)
#define NLA(len, type) LE16(len), LE16(type)
#define NEST(len, type) NLA(len, 0x8000 | (type))   /* NLA_F_NESTED, as kernels since 5.2 */

#define CT_NEW 0x0100           /* NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW */
#define CT_GET 0x0101
#define CT_DELETE 0x0102
#define F_REQ_ACK 0x0005        /* NLM_F_REQUEST | NLM_F_ACK */
#define F_REQ_DUMP 0x0301       /* NLM_F_REQUEST | NLM_F_DUMP */
#define F_MULTI 0x0002

/* CTA_*: TUPLE_ORIG 1, TUPLE_REPLY 2, STATUS 3, PROTOINFO 4, TIMEOUT 7, MARK 8, USE 11,
 * ID 12, ZONE 18, FILTER 25, STATUS_MASK 26. CTA_TUPLE_*: IP 1, PROTO 2, ZONE 3.
 * CTA_IP_*: V4_SRC 1, V4_DST 2, V6_SRC 3, V6_DST 4. CTA_PROTO_*: NUM 1, SRC_PORT 2,
 * DST_PORT 3, ICMP_ID 4, ICMP_TYPE 5, ICMP_CODE 6, ICMPV6_ID 7, ICMPV6_TYPE 8,
 * ICMPV6_CODE 9. CTA_FILTER_REPLY_FLAGS 2. IPS_*: SEEN_REPLY 0x2, ASSURED 0x4,
 * CONFIRMED 0x8, SRC_NAT 0x10, SRC_NAT_DONE 0x80, DST_NAT_DONE 0x100. */

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

static struct cidr C(const char *s)
{
	struct cidr c;

	assert_int_equal(cidr_parse(&c, s), 0);
	return c;
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
	assert_bytes(buf, ((const struct nlmsghdr *)buf)->nlmsg_len, want, want_len);
}

/* Builders write into whatever the buffer held: stale bytes must never leak through. */
static void dirty(uint32_t *buf, size_t size)
{
	memset(buf, 0xa5, size);
}

/* ---- requests ---- */

static void test_dump_bytes(void **state)
{
	static const uint8_t v4[] = {
		NLHDR(64, CT_GET, F_REQ_DUMP, 1),
		2, 0, BE16(0),                              /* nfgenmsg: AF_INET, v0, res 0 */
		NEST(16, 2),                                /* CTA_TUPLE_REPLY */
		NEST(12, 1),                                /*  CTA_TUPLE_IP */
		NLA(8, 2), 10, 9, 0, 10,                    /*   CTA_IP_V4_DST */
		NEST(12, 25),                               /* CTA_FILTER */
		NLA(8, 2), LE32(1 << 1),                    /*  REPLY_FLAGS: CTA_IP_DST, host order */
		NLA(8, 3), BE32(0x10),                      /* CTA_STATUS: IPS_SRC_NAT */
		NLA(8, 26), BE32(0x10),                     /* CTA_STATUS_MASK */
	};
	/* IPv6: the status filter only (the kernel's IPv6 address match is inverted) */
	static const uint8_t v6[] = {
		NLHDR(36, CT_GET, F_REQ_DUMP, 2),
		10, 0, BE16(0),
		NLA(8, 3), BE32(0x10),
		NLA(8, 26), BE32(0x10),
	};
	static const uint8_t plain[] = {
		NLHDR(20, CT_GET, F_REQ_DUMP, 3),
		2, 0, BE16(0),
	};
	struct nl nl = fake_nl();
	struct cidr a4 = C("10.9.0.10/32"), a6 = C("fd09::10/128");
	uint32_t buf[64];

	(void)state;
	dirty(buf, sizeof(buf));
	assert_int_equal(conntrack_dump_msg(&nl, buf, sizeof(buf), &a4, true), 0);
	assert_msg(buf, v4, sizeof(v4));
	dirty(buf, sizeof(buf));
	assert_int_equal(conntrack_dump_msg(&nl, buf, sizeof(buf), &a6, true), 0);
	assert_msg(buf, v6, sizeof(v6));
	dirty(buf, sizeof(buf));
	assert_int_equal(conntrack_dump_msg(&nl, buf, sizeof(buf), &a4, false), 0);
	assert_msg(buf, plain, sizeof(plain));
}

/* 192.168.10.5:40000 -> 1.1.1.1:443 TCP, id 0x12345678, default zone */
static struct conntrack_entry tcp4_entry(void)
{
	struct conntrack_entry e;

	memset(&e, 0, sizeof(e));
	e.family = AF_INET;
	e.orig.src = C("192.168.10.5");
	e.orig.dst = C("1.1.1.1");
	e.orig.proto = IPPROTO_TCP;
	e.orig.l4 = CONNTRACK_L4_PORTS;
	e.orig.sport = 40000;
	e.orig.dport = 443;
	e.reply.src = C("1.1.1.1");
	e.reply.dst = C("10.9.0.10");
	e.reply.proto = IPPROTO_TCP;
	e.reply.l4 = CONNTRACK_L4_PORTS;
	e.reply.sport = 443;
	e.reply.dport = 40001;
	e.status = 0x19e;
	e.has_id = true;
	e.id = 0x12345678;
	return e;
}

/* fd10::5 -> 2001:db8::1 ICMPv6 echo id 0x1234, zone 7, no id */
static struct conntrack_entry icmp6_entry(void)
{
	struct conntrack_entry e;

	memset(&e, 0, sizeof(e));
	e.family = AF_INET6;
	e.orig.src = C("fd10::5");
	e.orig.dst = C("2001:db8::1");
	e.orig.proto = IPPROTO_ICMPV6;
	e.orig.l4 = CONNTRACK_L4_ICMP;
	e.orig.icmp_id = 0x1234;
	e.orig.icmp_type = 128;
	e.reply = e.orig;
	e.reply.src = C("2001:db8::1");
	e.reply.dst = C("fd09::10");
	e.reply.icmp_type = 129;
	e.status = 0x98;
	e.zone = 7;
	return e;
}

static void test_del_bytes(void **state)
{
	static const uint8_t tcp4[] = {
		NLHDR(80, CT_DELETE, F_REQ_ACK, 1),
		2, 0, BE16(0),
		NEST(52, 1),                                /* CTA_TUPLE_ORIG */
		NEST(20, 1),                                /*  CTA_TUPLE_IP */
		NLA(8, 1), 192, 168, 10, 5,
		NLA(8, 2), 1, 1, 1, 1,
		NEST(28, 2),                                /*  CTA_TUPLE_PROTO */
		NLA(5, 1), 6, 0, 0, 0,                      /*   NUM: TCP */
		NLA(6, 2), BE16(40000), 0, 0,               /*   SRC_PORT */
		NLA(6, 3), BE16(443), 0, 0,                 /*   DST_PORT */
		NLA(8, 12), BE32(0x12345678),               /* CTA_ID */
	};
	static const uint8_t icmp6[] = {
		NLHDR(112, CT_DELETE, F_REQ_ACK, 2),
		10, 0, BE16(0),
		NEST(84, 1),
		NEST(44, 1),
		NLA(20, 3), 0xfd, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5,
		NLA(20, 4), 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		NEST(36, 2),
		NLA(5, 1), 58, 0, 0, 0,                     /*   NUM: ICMPv6 */
		NLA(6, 7), BE16(0x1234), 0, 0,              /*   ICMPV6_ID */
		NLA(5, 8), 128, 0, 0, 0,                    /*   ICMPV6_TYPE */
		NLA(5, 9), 0, 0, 0, 0,                      /*   ICMPV6_CODE */
		NLA(6, 18), BE16(7), 0, 0,                  /* CTA_ZONE */
	};
	/* a zone for the original direction only travels inside the tuple */
	static const uint8_t tzone[] = {
		NLHDR(88, CT_DELETE, F_REQ_ACK, 3),
		2, 0, BE16(0),
		NEST(68, 1),
		NEST(20, 1),
		NLA(8, 1), 10, 0, 0, 1,
		NLA(8, 2), 10, 0, 0, 2,
		NEST(36, 2),
		NLA(5, 1), 1, 0, 0, 0,                      /*   NUM: ICMP */
		NLA(6, 4), BE16(9), 0, 0,                   /*   ICMP_ID */
		NLA(5, 5), 8, 0, 0, 0,                      /*   ICMP_TYPE */
		NLA(5, 6), 0, 0, 0, 0,                      /*   ICMP_CODE */
		NLA(6, 3), BE16(3), 0, 0,                   /*  CTA_TUPLE_ZONE */
	};
	/* a protocol conntrack follows by address only (GRE without keys would carry ports) */
	static const uint8_t bare[] = {
		NLHDR(56, CT_DELETE, F_REQ_ACK, 4),
		2, 0, BE16(0),
		NEST(36, 1),
		NEST(20, 1),
		NLA(8, 1), 10, 0, 0, 1,
		NLA(8, 2), 10, 0, 0, 2,
		NEST(12, 2),
		NLA(5, 1), 50, 0, 0, 0,                     /*   NUM: ESP */
	};
	struct nl nl = fake_nl();
	struct conntrack_entry e;
	uint32_t buf[64];

	(void)state;
	e = tcp4_entry();
	dirty(buf, sizeof(buf));
	assert_int_equal(conntrack_del_msg(&nl, buf, sizeof(buf), &e), 0);
	assert_msg(buf, tcp4, sizeof(tcp4));

	e = icmp6_entry();
	dirty(buf, sizeof(buf));
	assert_int_equal(conntrack_del_msg(&nl, buf, sizeof(buf), &e), 0);
	assert_msg(buf, icmp6, sizeof(icmp6));

	memset(&e, 0, sizeof(e));
	e.family = AF_INET;
	e.orig.src = C("10.0.0.1");
	e.orig.dst = C("10.0.0.2");
	e.orig.proto = IPPROTO_ICMP;
	e.orig.l4 = CONNTRACK_L4_ICMP;
	e.orig.icmp_id = 9;
	e.orig.icmp_type = 8;
	e.orig.has_zone = true;
	e.orig.zone = 3;
	dirty(buf, sizeof(buf));
	assert_int_equal(conntrack_del_msg(&nl, buf, sizeof(buf), &e), 0);
	assert_msg(buf, tzone, sizeof(tzone));

	e.orig.proto = 50;
	e.orig.l4 = CONNTRACK_L4_NONE;
	e.orig.has_zone = false;
	dirty(buf, sizeof(buf));
	assert_int_equal(conntrack_del_msg(&nl, buf, sizeof(buf), &e), 0);
	assert_msg(buf, bare, sizeof(bare));
}

static void test_builders_refuse(void **state)
{
	struct nl nl = fake_nl();
	struct conntrack_entry e;
	struct cidr a = C("10.9.0.10");
	uint32_t buf[64];
	size_t need;

	(void)state;
	e = tcp4_entry();
	e.family = AF_UNSPEC;
	assert_int_equal(conntrack_del_msg(&nl, buf, sizeof(buf), &e), -EAFNOSUPPORT);
	e = tcp4_entry();
	e.orig.dst = C("fd00::1");                      /* a tuple of the other family */
	assert_int_equal(conntrack_del_msg(&nl, buf, sizeof(buf), &e), -EINVAL);
	e = tcp4_entry();
	e.orig.l4 = CONNTRACK_L4_ICMP;                  /* ICMP fields on a TCP tuple */
	assert_int_equal(conntrack_del_msg(&nl, buf, sizeof(buf), &e), -EINVAL);
	e.orig.l4 = (enum conntrack_l4)9;
	assert_int_equal(conntrack_del_msg(&nl, buf, sizeof(buf), &e), -EINVAL);
	a.family = AF_UNSPEC;
	assert_int_equal(conntrack_dump_msg(&nl, buf, sizeof(buf), &a, true), -EAFNOSUPPORT);
	assert_int_equal(nl.seq, 0);                    /* refusals draw no sequence number */

	/* every size short of the whole message is refused, and gives its number back */
	e = tcp4_entry();
	assert_int_equal(conntrack_del_msg(&nl, buf, sizeof(buf), &e), 0);
	need = ((struct nlmsghdr *)buf)->nlmsg_len;
	for (size_t size = 0; size < need; size += 4) {
		nl.seq = 10;
		assert_int_equal(conntrack_del_msg(&nl, buf, size, &e), -EMSGSIZE);
		assert_int_equal(nl.seq, 10);
	}
	a = C("10.9.0.10");
	assert_int_equal(conntrack_dump_msg(&nl, buf, sizeof(buf), &a, true), 0);
	need = ((struct nlmsghdr *)buf)->nlmsg_len;
	for (size_t size = 0; size < need; size += 4) {
		nl.seq = 10;
		assert_int_equal(conntrack_dump_msg(&nl, buf, size, &a, true), -EMSGSIZE);
		assert_int_equal(nl.seq, 10);
	}
}

/* Deletes laid back to back for nl_talk_batch: consecutive numbers, each ACKed. */
static void test_batch_layout(void **state)
{
	struct nl nl = fake_nl();
	struct conntrack_entry e4 = tcp4_entry(), e6 = icmp6_entry();
	uint32_t buf[128];
	size_t off = 0;
	const struct nlmsghdr *m;
	int left, count = 0;

	(void)state;
	assert_int_equal(conntrack_del_msg(&nl, (char *)buf + off, sizeof(buf) - off, &e4), 0);
	off += ((struct nlmsghdr *)((char *)buf + off))->nlmsg_len;
	assert_int_equal(conntrack_del_msg(&nl, (char *)buf + off, sizeof(buf) - off, &e6), 0);
	off += ((struct nlmsghdr *)((char *)buf + off))->nlmsg_len;
	/* no room for a third: refused without disturbing the numbering */
	assert_int_equal(conntrack_del_msg(&nl, (char *)buf + off, 40, &e4), -EMSGSIZE);
	assert_int_equal(conntrack_del_msg(&nl, (char *)buf + off, sizeof(buf) - off, &e4), 0);
	off += ((struct nlmsghdr *)((char *)buf + off))->nlmsg_len;
	left = (int)off;
	for (m = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
		count++;
		assert_int_equal(m->nlmsg_seq, (uint32_t)count);
		assert_int_equal(m->nlmsg_type, CT_DELETE);
		assert_true(m->nlmsg_flags & 0x4);
	}
	assert_int_equal(count, 3);
	assert_int_equal(left, 0);
}

/* ---- dump entries ---- */

/* A masqueraded TCP flow as a dump sends it: 192.168.10.5:40000 -> 1.1.1.1:443 leaving as
 * 10.9.0.10:40001, with attributes warren does not use (timeout, protoinfo, use, mark,
 * an unknown type 40). Offsets: ORIG 20 (IP 24: V4_SRC 28, V4_DST 36; PROTO 44: NUM 48,
 * SRC_PORT 56, DST_PORT 64), REPLY 72 (IP 76: V4_SRC 80, V4_DST 88; PROTO 96: NUM 100,
 * SRC_PORT 108, DST_PORT 116), ID 124, STATUS 132, TIMEOUT 140, PROTOINFO 148, USE 164,
 * MARK 172, type 40 at 180. */
static const uint8_t tcp4_reply[] = {
	NLHDR(188, CT_NEW, F_MULTI, 7),
	2, 0, BE16(0),
	NEST(52, 1),
	NEST(20, 1), NLA(8, 1), 192, 168, 10, 5, NLA(8, 2), 1, 1, 1, 1,
	NEST(28, 2), NLA(5, 1), 6, 0, 0, 0, NLA(6, 2), BE16(40000), 0, 0, NLA(6, 3), BE16(443), 0, 0,
	NEST(52, 2),
	NEST(20, 1), NLA(8, 1), 1, 1, 1, 1, NLA(8, 2), 10, 9, 0, 10,
	NEST(28, 2), NLA(5, 1), 6, 0, 0, 0, NLA(6, 2), BE16(443), 0, 0, NLA(6, 3), BE16(40001), 0, 0,
	NLA(8, 12), BE32(0x12345678),
	NLA(8, 3), BE32(0x19e),
	NLA(8, 7), BE32(431999),
	NEST(16, 4), NEST(12, 1), NLA(5, 1), 3, 0, 0, 0,
	NLA(8, 11), BE32(1),
	NLA(8, 8), BE32(0),
	NLA(8, 40), 0xde, 0xad, 0xbe, 0xef,
};

/* A masqueraded UDP flow in zone 7, nests without NLA_F_NESTED as kernels before 5.2
 * sent them: fd10::5:5353 -> 2001:db8::53:53 leaving as fd09::10:5353. */
static const uint8_t udp6_reply[] = {
	NLHDR(196, CT_NEW, F_MULTI, 7),
	10, 0, BE16(0),
	NLA(76, 1),
	NLA(44, 1),
	NLA(20, 3), 0xfd, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5,
	NLA(20, 4), 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
	NLA(28, 2), NLA(5, 1), 17, 0, 0, 0, NLA(6, 2), BE16(5353), 0, 0, NLA(6, 3), BE16(53), 0, 0,
	NLA(76, 2),
	NLA(44, 1),
	NLA(20, 3), 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
	NLA(20, 4), 0xfd, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
	NLA(28, 2), NLA(5, 1), 17, 0, 0, 0, NLA(6, 2), BE16(53), 0, 0, NLA(6, 3), BE16(5353), 0, 0,
	NLA(8, 12), BE32(77),
	NLA(8, 3), BE32(0x98),
	NLA(6, 18), BE16(7), 0, 0,
};

/* An ICMP echo, NATed: 192.168.10.5 -> 8.8.8.8 id 0x777 leaving as 10.9.0.10. Offsets:
 * ORIG.PROTO 44 (NUM 48, ICMP_ID 56, ICMP_TYPE 64, ICMP_CODE 72). */
static const uint8_t icmp4_reply[] = {
	NLHDR(156, CT_NEW, F_MULTI, 7),
	2, 0, BE16(0),
	NEST(60, 1),
	NEST(20, 1), NLA(8, 1), 192, 168, 10, 5, NLA(8, 2), 8, 8, 8, 8,
	NEST(36, 2), NLA(5, 1), 1, 0, 0, 0, NLA(6, 4), BE16(0x777), 0, 0,
	NLA(5, 5), 8, 0, 0, 0, NLA(5, 6), 0, 0, 0, 0,
	NEST(60, 2),
	NEST(20, 1), NLA(8, 1), 8, 8, 8, 8, NLA(8, 2), 10, 9, 0, 10,
	NEST(36, 2), NLA(5, 1), 1, 0, 0, 0, NLA(6, 4), BE16(0x777), 0, 0,
	NLA(5, 5), 0, 0, 0, 0, NLA(5, 6), 0, 0, 0, 0,
	NLA(8, 12), BE32(5),
	NLA(8, 3), BE32(0x9a),
};

static uint32_t msgbuf[128];

static const struct nlmsghdr *load(const uint8_t *bytes, size_t len)
{
	memset(msgbuf, 0, sizeof(msgbuf));
	memcpy(msgbuf, bytes, len);
	return (const struct nlmsghdr *)msgbuf;
}

static void set_u16(size_t off, uint16_t v)
{
	memcpy((char *)msgbuf + off, &v, 2);
}

static void set_u32(size_t off, uint32_t v)
{
	memcpy((char *)msgbuf + off, &v, 4);
}

static void test_parse(void **state)
{
	struct conntrack_entry e;
	char s[CIDR_STRLEN];

	(void)state;
	assert_int_equal(conntrack_parse(load(tcp4_reply, sizeof(tcp4_reply)), &e), 0);
	assert_int_equal(e.family, AF_INET);
	assert_string_equal(ip_fmt(&e.orig.src, s), "192.168.10.5");
	assert_string_equal(ip_fmt(&e.orig.dst, s), "1.1.1.1");
	assert_int_equal(e.orig.proto, IPPROTO_TCP);
	assert_int_equal(e.orig.l4, CONNTRACK_L4_PORTS);
	assert_int_equal(e.orig.sport, 40000);
	assert_int_equal(e.orig.dport, 443);
	assert_false(e.orig.has_zone);
	assert_string_equal(ip_fmt(&e.reply.src, s), "1.1.1.1");
	assert_string_equal(ip_fmt(&e.reply.dst, s), "10.9.0.10");
	assert_int_equal(e.reply.sport, 443);
	assert_int_equal(e.reply.dport, 40001);
	assert_int_equal(e.status, 0x19e);
	assert_true(e.has_id);
	assert_int_equal(e.id, 0x12345678);
	assert_int_equal(e.zone, 0);

	assert_int_equal(conntrack_parse(load(udp6_reply, sizeof(udp6_reply)), &e), 0);
	assert_int_equal(e.family, AF_INET6);
	assert_string_equal(ip_fmt(&e.orig.src, s), "fd10::5");
	assert_string_equal(ip_fmt(&e.orig.dst, s), "2001:db8::53");
	assert_string_equal(ip_fmt(&e.reply.dst, s), "fd09::10");
	assert_int_equal(e.orig.proto, IPPROTO_UDP);
	assert_int_equal(e.orig.sport, 5353);
	assert_int_equal(e.reply.dport, 5353);
	assert_int_equal(e.status, 0x98);
	assert_int_equal(e.id, 77);
	assert_int_equal(e.zone, 7);

	assert_int_equal(conntrack_parse(load(icmp4_reply, sizeof(icmp4_reply)), &e), 0);
	assert_int_equal(e.orig.l4, CONNTRACK_L4_ICMP);
	assert_int_equal(e.orig.icmp_id, 0x777);
	assert_int_equal(e.orig.icmp_type, 8);
	assert_int_equal(e.orig.icmp_code, 0);
	assert_int_equal(e.reply.icmp_type, 0);

	/* no CTA_ID (type moved out of the way): parsed, deleted by tuple alone */
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u16(124 + 2, 30);
	assert_int_equal(conntrack_parse((const struct nlmsghdr *)msgbuf, &e), 0);
	assert_false(e.has_id);
}

/* The delete names the original tuple exactly as the dump gave it. */
static void test_roundtrip(void **state)
{
	struct nl nl = fake_nl();
	struct conntrack_entry e;
	uint32_t buf[64];
	const uint8_t *del = (const uint8_t *)buf;

	(void)state;
	assert_int_equal(conntrack_parse(load(tcp4_reply, sizeof(tcp4_reply)), &e), 0);
	assert_int_equal(conntrack_del_msg(&nl, buf, sizeof(buf), &e), 0);
	assert_memory_equal(del + 20, tcp4_reply + 20, 52);             /* CTA_TUPLE_ORIG */
	assert_memory_equal(del + 72, tcp4_reply + 124, 8);             /* CTA_ID */

	assert_int_equal(conntrack_parse(load(icmp4_reply, sizeof(icmp4_reply)), &e), 0);
	assert_int_equal(conntrack_del_msg(&nl, buf, sizeof(buf), &e), 0);
	assert_memory_equal(del + 20, icmp4_reply + 20, 60);

	/* the IPv6 dump had no NLA_F_NESTED; the request sets it, bytes otherwise equal */
	assert_int_equal(conntrack_parse(load(udp6_reply, sizeof(udp6_reply)), &e), 0);
	assert_int_equal(conntrack_del_msg(&nl, buf, sizeof(buf), &e), 0);
	{
		uint8_t want[76];

		memcpy(want, udp6_reply + 20, sizeof(want));
		want[3] |= 0x80;                        /* ORIG */
		want[7] |= 0x80;                        /* IP */
		want[4 + 44 + 3] |= 0x80;               /* PROTO */
		assert_memory_equal(del + 20, want, sizeof(want));
	}
	assert_memory_equal(del + 96, udp6_reply + 188, 8);             /* CTA_ZONE */
	assert_memory_equal(del + 104, udp6_reply + 172, 8);            /* CTA_ID */
}

static void test_parse_rejects(void **state)
{
	struct conntrack_entry e;
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)msgbuf;

	(void)state;
	/* truncated: the message ends inside the reply tuple */
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u32(0, 100);
	assert_int_equal(conntrack_parse(nlh, &e), -EBADMSG);
	/* cut inside an attribute header */
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u32(0, 20 + 2);
	assert_int_equal(conntrack_parse(nlh, &e), -EBADMSG);
	/* shorter than nfgenmsg */
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u32(0, 18);
	assert_int_equal(conntrack_parse(nlh, &e), -EBADMSG);
	/* bytes trailing the last attribute */
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u32(0, sizeof(tcp4_reply) + 2);
	assert_int_equal(conntrack_parse(nlh, &e), -EBADMSG);
	/* an attribute shorter than its own header */
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u16(124, 2);
	assert_int_equal(conntrack_parse(nlh, &e), -EBADMSG);
	/* a nested attribute overrunning its nest: PROTO claims 36 of ORIG's last 28 */
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u16(44, 36);
	assert_int_equal(conntrack_parse(nlh, &e), -EBADMSG);
	/* the tuple itself longer than the message */
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u16(72, 200);
	assert_int_equal(conntrack_parse(nlh, &e), -EBADMSG);

	/* wrong lengths */
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u16(28, 7);                                 /* V4_SRC of 3 bytes */
	assert_int_equal(conntrack_parse(nlh, &e), -EINVAL);
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u16(132, 6);                                /* CTA_STATUS of 2 bytes */
	assert_int_equal(conntrack_parse(nlh, &e), -EINVAL);
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u16(124, 5);                                /* CTA_ID of 1 byte */
	assert_int_equal(conntrack_parse(nlh, &e), -EINVAL);
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u16(108, 5);                                /* reply SRC_PORT of 1 byte */
	assert_int_equal(conntrack_parse(nlh, &e), -EINVAL);
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u16(100, 6);                                /* PROTO_NUM of 2 bytes */
	assert_int_equal(conntrack_parse(nlh, &e), -EINVAL);
	load(udp6_reply, sizeof(udp6_reply));
	set_u16(188, 8);                                /* CTA_ZONE of 4 bytes */
	assert_int_equal(conntrack_parse(nlh, &e), -EINVAL);

	/* missing parts: each attribute's type moved to one the parser does not know */
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u16(72 + 2, 0x8000 | 30);                   /* no CTA_TUPLE_REPLY */
	assert_int_equal(conntrack_parse(nlh, &e), -EINVAL);
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u16(20 + 2, 0x8000 | 30);                   /* no CTA_TUPLE_ORIG */
	assert_int_equal(conntrack_parse(nlh, &e), -EINVAL);
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u16(132 + 2, 30);                           /* no CTA_STATUS */
	assert_int_equal(conntrack_parse(nlh, &e), -EINVAL);
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u16(76 + 2, 0x8000 | 9);                    /* reply without CTA_TUPLE_IP */
	assert_int_equal(conntrack_parse(nlh, &e), -EINVAL);
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u16(44 + 2, 0x8000 | 9);                    /* orig without CTA_TUPLE_PROTO */
	assert_int_equal(conntrack_parse(nlh, &e), -EINVAL);
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u16(88 + 2, 9);                             /* reply without a destination */
	assert_int_equal(conntrack_parse(nlh, &e), -EINVAL);
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u16(48 + 2, 12);                            /* no protocol number */
	assert_int_equal(conntrack_parse(nlh, &e), -EINVAL);
	load(tcp4_reply, sizeof(tcp4_reply));
	set_u16(64 + 2, 12);                            /* a source port without its pair */
	assert_int_equal(conntrack_parse(nlh, &e), -EINVAL);
	load(icmp4_reply, sizeof(icmp4_reply));
	set_u16(72 + 2, 12);                            /* ICMP without its code */
	assert_int_equal(conntrack_parse(nlh, &e), -EINVAL);
	load(icmp4_reply, sizeof(icmp4_reply));
	set_u16(56 + 2, 7);                             /* IPv4 ICMP id given as ICMPv6's */
	assert_int_equal(conntrack_parse(nlh, &e), -EINVAL);

	/* addresses of the other family */
	load(tcp4_reply, sizeof(tcp4_reply));
	((uint8_t *)msgbuf)[16] = 10;                   /* AF_INET6 with IPv4 attributes */
	assert_int_equal(conntrack_parse(nlh, &e), -EINVAL);
	load(udp6_reply, sizeof(udp6_reply));
	((uint8_t *)msgbuf)[16] = 2;
	assert_int_equal(conntrack_parse(nlh, &e), -EINVAL);
	load(udp6_reply, sizeof(udp6_reply));
	set_u16(28, 12);                                /* V6_SRC of 8 bytes */
	assert_int_equal(conntrack_parse(nlh, &e), -EINVAL);
	/* neither IPv4 nor IPv6 */
	load(tcp4_reply, sizeof(tcp4_reply));
	((uint8_t *)msgbuf)[16] = 7;
	assert_int_equal(conntrack_parse(nlh, &e), -EAFNOSUPPORT);
}

/* ---- selection ---- */

static void test_select(void **state)
{
	struct conntrack_entry e4 = tcp4_entry(), e6 = icmp6_entry(), x;
	struct cidr a4 = C("10.9.0.10/24"), a6 = C("fd09::10/64");

	(void)state;
	/* the masquerade address, whatever prefix it is given with */
	assert_true(conntrack_nat_to(&e4, &a4));
	assert_true(conntrack_nat_to(&e6, &a6));
	assert_true(conntrack_nat_to(&e4, &(struct cidr){ .family = AF_INET,
							 .addr = { 10, 9, 0, 10 } }));
	/* another tunnel's address, the other family */
	assert_false(conntrack_nat_to(&e4, &(struct cidr){ .family = AF_INET,
							  .addr = { 10, 9, 0, 11 } }));
	assert_false(conntrack_nat_to(&e4, &a6));
	assert_false(conntrack_nat_to(&e6, &a4));
	assert_false(conntrack_nat_to(&e6, &(struct cidr){ .family = AF_INET6,
							  .addr = { 0xfd, 0x09, [15] = 0x11 } }));
	/* a flow the router itself opened from that address: the same reply destination,
	 * but no source NAT; it must keep its entry */
	x = e4;
	x.status &= ~(uint32_t)CONNTRACK_IPS_SRC_NAT;
	assert_false(conntrack_nat_to(&x, &a4));
	x = e6;
	x.status = 0x8;
	assert_false(conntrack_nat_to(&x, &a6));
	/* a connection into the LAN forwarded from that address (DNAT): the address is the
	 * original destination, the reply goes back to the remote peer */
	x = e4;
	x.orig.dst = C("10.9.0.10");
	x.reply.src = C("192.168.10.5");
	x.reply.dst = C("1.1.1.1");
	x.status = 0x8 | CONNTRACK_IPS_DST_NAT;
	assert_false(conntrack_nat_to(&x, &a4));
	/* source-NATed elsewhere */
	x = e4;
	x.reply.dst = C("172.16.0.2");
	assert_false(conntrack_nat_to(&x, &a4));
	/* not an address at all */
	x = e4;
	assert_false(conntrack_nat_to(&x, &(struct cidr){ .family = AF_UNSPEC }));
	x.family = AF_UNSPEC;
	x.reply.dst.family = AF_UNSPEC;
	assert_false(conntrack_nat_to(&x, &(struct cidr){ .family = AF_UNSPEC }));

	/* parsed entries select the same way */
	assert_int_equal(conntrack_parse(load(tcp4_reply, sizeof(tcp4_reply)), &x), 0);
	assert_true(conntrack_nat_to(&x, &a4));
	assert_int_equal(conntrack_parse(load(udp6_reply, sizeof(udp6_reply)), &x), 0);
	assert_true(conntrack_nat_to(&x, &a6));
	assert_false(conntrack_nat_to(&x, &a4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_dump_bytes, little_endian),
		cmocka_unit_test_setup(test_del_bytes, little_endian),
		cmocka_unit_test(test_builders_refuse),
		cmocka_unit_test(test_batch_layout),
		cmocka_unit_test_setup(test_parse, little_endian),
		cmocka_unit_test_setup(test_roundtrip, little_endian),
		cmocka_unit_test_setup(test_parse_rejects, little_endian),
		cmocka_unit_test_setup(test_select, little_endian),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
