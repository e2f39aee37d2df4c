/* netcfg/tc's requests against hand-made bytes, its burst and leaf handles, qdisc replies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "netcfg/nl.h"
#include "netcfg/tc.h"

/* Bytes spelled out from the kernel's layouts (nlmsghdr, tcmsg, nlattr, tc_htb_glob,
 * tc_htb_opt) in host byte order, which these tables write little-endian. */
#define LE16(v) (uint8_t)((v) & 0xff), (uint8_t)(((v) >> 8) & 0xff)
#define LE32(v) LE16((v) & 0xffff), LE16(((uint32_t)(v) >> 16) & 0xffff)
#define NLHDR(len, type, flags) LE32(len), LE16(type), LE16(flags), LE32(1), LE32(0)
#define NLA(len, type) LE16(len), LE16(type)
/* tcmsg: family 0, pads, ifindex, handle, parent, info 0 */
#define TCMSG(ifindex, handle, parent) 0, 0, LE16(0), LE32(ifindex), LE32(handle), \
	LE32(parent), LE32(0)

#define RTM_NEWQDISC 36
#define RTM_DELQDISC 37
#define RTM_NEWTCLASS 40
#define RTM_DELTCLASS 41
#define F_REQ_ACK 0x0005          /* NLM_F_REQUEST | NLM_F_ACK */
#define F_CREATE 0x0405           /* ... | NLM_F_CREATE */
#define F_CREATE_EXCL 0x0605      /* ... | NLM_F_CREATE | NLM_F_EXCL */
#define F_CREATE_REPLACE 0x0505   /* ... | NLM_F_CREATE | NLM_F_REPLACE */
#define NESTED 0x8000             /* NLA_F_NESTED */
#define TCA_KIND 1
#define TCA_OPTIONS 2
#define TCA_HTB_PARMS 1
#define TCA_HTB_INIT 2
#define TCA_HTB_RATE64 6
#define TCA_HTB_CEIL64 7
#define H_ROOT 0xffffffffu

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

static struct nl fake_nl(void)
{
	struct nl nl;

	memset(&nl, 0, sizeof(nl));
	return nl;
}

static void assert_msg(const uint32_t *buf, const uint8_t *want, size_t want_len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const uint8_t *g = (const uint8_t *)buf;
	size_t i, got_len = nlh->nlmsg_len;

	if (got_len == want_len && memcmp(buf, want, want_len) == 0)
		return;
	fprintf(stderr, "length got %zu want %zu\n", got_len, want_len);
	for (i = 0; i < (got_len > want_len ? got_len : want_len); i++)
		fprintf(stderr, "%3zu: got %02x want %02x%s\n", i, i < got_len ? g[i] : 0,
			i < want_len ? want[i] : 0,
			i < got_len && i < want_len && g[i] == want[i] ? "" : "  <--");
	fail_msg("message differs from the expected bytes");
}

static void test_root_bytes(void **state)
{
	static const uint8_t want[] = {
		NLHDR(72, RTM_NEWQDISC, F_CREATE_EXCL),
		TCMSG(7, 0x57520000, H_ROOT),
		NLA(8, TCA_KIND), 'h', 't', 'b', 0,
		NLA(28, NESTED | TCA_OPTIONS),
		NLA(24, TCA_HTB_INIT),
		/* version 3, rate2quantum 10, defcls ffff, debug 0, direct_pkts 0 */
		LE32(3), LE32(10), LE32(0xffff), LE32(0), LE32(0),
	};
	struct nl nl = fake_nl();
	uint32_t buf[64];

	(void)state;
	assert_int_equal(tc_root_msg(&nl, buf, sizeof(buf), 7), 0);
	assert_msg(buf, want, sizeof(want));
}

static void test_class_bytes(void **state)
{
	/* 20 Mbit: 2,500,000 B/s; burst 25,000 + 1,600 B = 10.64 ms = 166,250 ticks of 64 ns;
	 * quantum 250,000 held to HTB's 200,000. */
	static const uint8_t want[] = {
		NLHDR(96, RTM_NEWTCLASS, F_CREATE),
		TCMSG(7, 0x57520005, 0x57520000),
		NLA(8, TCA_KIND), 'h', 't', 'b', 0,
		NLA(52, NESTED | TCA_OPTIONS),
		NLA(48, TCA_HTB_PARMS),
		/* rate: cell_log 0, linklayer 1 (ethernet), overhead 0, cell_align 0, mpu 0 */
		0, 1, LE16(0), LE16(0), LE16(0), LE32(2500000),
		0, 1, LE16(0), LE16(0), LE16(0), LE32(2500000),            /* ceil */
		LE32(166250), LE32(166250),                                  /* buffer, cbuffer */
		LE32(200000), LE32(0), LE32(0),                              /* quantum, level, prio */
	};
	struct nl nl = fake_nl();
	uint32_t buf[64];

	(void)state;
	assert_int_equal(tc_class_msg(&nl, buf, sizeof(buf), 7, 5, 20000000), 0);
	assert_msg(buf, want, sizeof(want));
}

/* Above 2^32 bytes per second the 32-bit fields saturate and RATE64/CEIL64 carry it. */
static void test_class_rate64(void **state)
{
	static const uint8_t tail[] = {
		NLA(12, TCA_HTB_RATE64), LE32(705032704), LE32(1),       /* 5e9 B/s */
		NLA(12, TCA_HTB_CEIL64), LE32(705032704), LE32(1),
	};
	struct nl nl = fake_nl();
	uint32_t buf[64];
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const uint8_t *b = (const uint8_t *)buf;
	uint32_t rate;

	(void)state;
	assert_int_equal(tc_class_msg(&nl, buf, sizeof(buf), 7, 9, 40000000000ull), 0);
	assert_int_equal(nlh->nlmsg_len, 96 + sizeof(tail));
	assert_memory_equal(b + 96, tail, sizeof(tail));
	memcpy(&rate, b + 36 + 8 + 4 + 4 + 8, sizeof(rate));
	assert_int_equal(rate, UINT32_MAX);
	/* Nest length covers the 64-bit rates too. */
	assert_int_equal(b[44] | b[45] << 8, 52 + sizeof(tail));
}

static void test_leaf_and_del_bytes(void **state)
{
	static const uint8_t leaf[] = {
		NLHDR(52, RTM_NEWQDISC, F_CREATE_REPLACE),
		TCMSG(7, 0x00050000, 0x57520005),
		NLA(13, TCA_KIND), 'f', 'q', '_', 'c', 'o', 'd', 'e', 'l', 0, 0, 0, 0,
	};
	static const uint8_t leaf_ours[] = {
		NLHDR(52, RTM_NEWQDISC, F_CREATE_REPLACE),
		TCMSG(7, 0xffff0000, 0x57525752),
		NLA(13, TCA_KIND), 'f', 'q', '_', 'c', 'o', 'd', 'e', 'l', 0, 0, 0, 0,
	};
	static const uint8_t cdel[] = {
		NLHDR(36, RTM_DELTCLASS, F_REQ_ACK), TCMSG(7, 0x57520005, 0x57520000),
	};
	static const uint8_t rdel[] = {
		NLHDR(36, RTM_DELQDISC, F_REQ_ACK), TCMSG(7, 0x57520000, H_ROOT),
	};
	struct nl nl;
	uint32_t buf[64];

	(void)state;
	nl = fake_nl();
	assert_int_equal(tc_leaf_msg(&nl, buf, sizeof(buf), 7, 5), 0);
	assert_msg(buf, leaf, sizeof(leaf));
	nl = fake_nl();
	assert_int_equal(tc_leaf_msg(&nl, buf, sizeof(buf), 7, 0x5752), 0);
	assert_msg(buf, leaf_ours, sizeof(leaf_ours));
	nl = fake_nl();
	assert_int_equal(tc_class_del_msg(&nl, buf, sizeof(buf), 7, 5), 0);
	assert_msg(buf, cdel, sizeof(cdel));
	nl = fake_nl();
	assert_int_equal(tc_root_del_msg(&nl, buf, sizeof(buf), 7), 0);
	assert_msg(buf, rdel, sizeof(rdel));
}

static void test_invalid(void **state)
{
	struct nl nl = fake_nl();
	uint32_t buf[64];

	(void)state;
	assert_int_equal(tc_root_msg(&nl, buf, sizeof(buf), 0), -EINVAL);
	assert_int_equal(tc_class_msg(&nl, buf, sizeof(buf), 7, 0, 1000000), -EINVAL);
	assert_int_equal(tc_class_msg(&nl, buf, sizeof(buf), 7, 5, 7), -EINVAL);  /* 0 B/s */
	assert_int_equal(tc_leaf_msg(&nl, buf, sizeof(buf), 7, 0xffff), -EINVAL);  /* default */
	assert_int_equal(tc_class_del_msg(&nl, buf, sizeof(buf), -1, 5), -EINVAL);
	assert_int_equal(tc_class_set(&nl, 7, 0xffff, 1000000), -EINVAL);
	assert_int_equal(tc_class_set(&nl, 7, 0, 1000000), -EINVAL);
	assert_int_equal(tc_class_del(&nl, 7, 0xffff), -EINVAL);
	assert_int_equal(nl.seq, 0);
	/* Too small: nothing half-built is left numbered. */
	assert_int_equal(tc_root_msg(&nl, buf, 40, 7), -EMSGSIZE);
	assert_int_equal(tc_class_msg(&nl, buf, 60, 7, 5, 1000000), -EMSGSIZE);
	assert_int_equal(tc_class_msg(&nl, buf, 100, 7, 5, 40000000000ull), -EMSGSIZE);
	assert_int_equal(tc_leaf_msg(&nl, buf, 40, 7, 5), -EMSGSIZE);
	assert_int_equal(nl.seq, 0);
}

static void test_burst_and_leaf_major(void **state)
{
	(void)state;
	assert_int_equal(tc_burst(1000000), 125000 / TC_BURST_HZ + TC_BURST_MTU);
	assert_int_equal(tc_burst(20000000), 26600);
	assert_int_equal(tc_burst(100000000), 126600);
	/* At 1 Mbit the bucket holds at least one frame and the 10 ms: it never starves. */
	assert_true(tc_burst(1000000) >= 1514);
	assert_int_equal(tc_burst(UINT64_MAX), UINT32_MAX);
	assert_int_equal(tc_leaf_major(1), 1);
	assert_int_equal(tc_leaf_major(0xfffe), 0xfffe);
	assert_int_equal(tc_leaf_major(TC_MAJOR), 0xffff);
	assert_int_equal(TC_CLASSID(5), 0x57520005);
}

static void test_qdisc_parse(void **state)
{
	static const uint8_t reply[] = {
		NLHDR(52, RTM_NEWQDISC, 0x0002),
		TCMSG(3, 0x57520000, H_ROOT),
		NLA(8, TCA_KIND), 'h', 't', 'b', 0,
		NLA(8, 7), LE32(2),                            /* TCA_STATS2-like: skipped */
	};
	static const uint8_t bad_kind[] = {
		NLHDR(40, RTM_NEWQDISC, 0x0002), TCMSG(3, 0, H_ROOT), NLA(4, TCA_KIND),
	};
	static const uint8_t truncated[] = {
		NLHDR(44, RTM_NEWQDISC, 0x0002), TCMSG(3, 0, H_ROOT), NLA(12, TCA_KIND), 'x', 0,
		0, 0,
	};
	static const uint8_t tclass[] = {
		NLHDR(36, RTM_NEWTCLASS, 0x0002), TCMSG(3, 0x57520005, 0x57520000),
	};
	uint32_t buf[64];
	struct tc_qdisc q;

	(void)state;
	memcpy(buf, reply, sizeof(reply));
	assert_int_equal(tc_qdisc_parse((struct nlmsghdr *)buf, &q), 0);
	assert_int_equal(q.ifindex, 3);
	assert_int_equal(q.handle, 0x57520000);
	assert_int_equal(q.parent, H_ROOT);
	assert_string_equal(q.kind, "htb");
	memcpy(buf, bad_kind, sizeof(bad_kind));
	assert_int_equal(tc_qdisc_parse((struct nlmsghdr *)buf, &q), -EINVAL);
	memcpy(buf, truncated, sizeof(truncated));
	assert_int_equal(tc_qdisc_parse((struct nlmsghdr *)buf, &q), -EBADMSG);
	memcpy(buf, tclass, sizeof(tclass));
	assert_int_equal(tc_qdisc_parse((struct nlmsghdr *)buf, &q), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_root_bytes, little_endian),
		cmocka_unit_test_setup(test_class_bytes, little_endian),
		cmocka_unit_test_setup(test_class_rate64, little_endian),
		cmocka_unit_test_setup(test_leaf_and_del_bytes, little_endian),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_burst_and_leaf_major),
		cmocka_unit_test_setup(test_qdisc_parse, little_endian),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
