/* The DNS wire codec: queries as clients send them, answers we build read back by a
 * decoder of the test's own, upstream answers adopted, reverse names and zones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "server/dns/wire.h"

/* Raw packets, written by hand. */
struct raw {
	uint8_t b[8192];
	size_t n;
};

static void w8(struct raw *r, unsigned v)
{
	r->b[r->n++] = (uint8_t)v;
}

static void w16(struct raw *r, unsigned v)
{
	w8(r, v >> 8);
	w8(r, v & 0xff);
}

static void w32(struct raw *r, uint32_t v)
{
	w16(r, v >> 16);
	w16(r, v & 0xffff);
}

static void wbytes(struct raw *r, const void *p, size_t n)
{
	memcpy(r->b + r->n, p, n);
	r->n += n;
}

/* Labels of "a.b.c" without the terminating zero (so a pointer may follow). */
static void wlabels(struct raw *r, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		w8(r, (unsigned)l);
		wbytes(r, name, l);
		name += l + (dot ? 1 : 0);
	}
}

static void wname(struct raw *r, const char *name)
{
	wlabels(r, name);
	w8(r, 0);
}

static void wptr(struct raw *r, unsigned off)
{
	w16(r, 0xc000 | off);
}

static void whdr(struct raw *r, unsigned id, unsigned flags, unsigned qd, unsigned an,
		 unsigned ns, unsigned ar)
{
	r->n = 0;
	w16(r, id);
	w16(r, flags);
	w16(r, qd);
	w16(r, an);
	w16(r, ns);
	w16(r, ar);
}

static void wopt(struct raw *r, unsigned size, unsigned ver, bool dnssec_ok)
{
	w8(r, 0);
	w16(r, DNS_T_OPT);
	w16(r, size);
	w8(r, 0);
	w8(r, ver);
	w16(r, dnssec_ok ? 0x8000 : 0);
	w16(r, 0);
}

/* A query as dig sends it; size 0: no OPT. */
static void mkquery(struct raw *r, unsigned id, unsigned flags, const char *name,
		    unsigned type, unsigned size, bool dnssec_ok)
{
	whdr(r, id, flags, 1, 0, 0, size ? 1 : 0);
	wname(r, name);
	w16(r, type);
	w16(r, DNS_C_IN);
	if (size)
		wopt(r, size, 0, dnssec_ok);
}

/* The test's own decoder. */
struct rr {
	char name[300];
	unsigned type, cls, rdlen;
	uint32_t ttl;
	size_t rdata;               /* offset in the packet */
	char target[300];           /* the name in NS, CNAME, PTR, SRV, MX; SOA's mname */
	char target2[300];          /* SOA's rname */
	bool target_compressed;
};

struct msg {
	unsigned id, flags, qd, an, ns, ar;
	char qname[300];
	unsigned qtype, qclass;
	struct rr rr[512];
	unsigned n;
	bool opt;
	unsigned opt_size, opt_ext, opt_flags;
};

/* -1 when malformed; else the offset after the name. */
static long dec_name(const uint8_t *p, size_t len, size_t off, char *out, bool *compressed)
{
	size_t o = 0, end = 0;
	unsigned hops = 0;
	bool jumped = false;

	out[0] = '\0';
	for (;;) {
		if (off >= len)
			return -1;
		if ((p[off] & 0xc0) == 0xc0) {
			if (off + 1 >= len || ++hops > 100)
				return -1;
			if (!jumped)
				end = off + 2;
			jumped = true;
			off = (size_t)(p[off] & 0x3f) << 8 | p[off + 1];
			continue;
		}
		if (p[off] & 0xc0)
			return -1;
		if (p[off] == 0)
			break;
		if (off + 1 + p[off] > len || o + p[off] + 2 > 290)
			return -1;
		if (o)
			out[o++] = '.';
		memcpy(out + o, p + off + 1, p[off]);
		o += p[off];
		off += 1 + (size_t)p[off];
	}
	out[o] = '\0';
	if (compressed)
		*compressed = jumped;
	return (long)(jumped ? end : off + 1);
}

static unsigned g16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* 0 when the whole message parses and ends where its records end. */
static int decode(const uint8_t *p, size_t len, struct msg *m)
{
	size_t off = DNS_HEADER_LEN;
	unsigned i, total;
	long r;

	memset(m, 0, sizeof(*m));
	if (len < DNS_HEADER_LEN)
		return -1;
	m->id = g16(p);
	m->flags = g16(p + 2);
	m->qd = g16(p + 4);
	m->an = g16(p + 6);
	m->ns = g16(p + 8);
	m->ar = g16(p + 10);
	if (m->qd > 1)
		return -1;
	if (m->qd) {
		r = dec_name(p, len, off, m->qname, NULL);
		if (r < 0 || (size_t)r + 4 > len)
			return -1;
		off = (size_t)r;
		m->qtype = g16(p + off);
		m->qclass = g16(p + off + 2);
		off += 4;
	}
	total = m->an + m->ns + m->ar;
	for (i = 0; i < total; i++) {
		struct rr *x = &m->rr[m->n];

		if (m->n >= 512)
			return -1;
		r = dec_name(p, len, off, x->name, NULL);
		if (r < 0 || (size_t)r + 10 > len)
			return -1;
		off = (size_t)r;
		x->type = g16(p + off);
		x->cls = g16(p + off + 2);
		x->ttl = (uint32_t)g16(p + off + 4) << 16 | g16(p + off + 6);
		x->rdlen = g16(p + off + 8);
		x->rdata = off + 10;
		if (x->rdata + x->rdlen > len)
			return -1;
		off = x->rdata + x->rdlen;
		if (x->type == DNS_T_OPT) {
			m->opt = true;
			m->opt_size = x->cls;
			m->opt_ext = x->ttl >> 24;
			m->opt_flags = x->ttl & 0xffff;
		}
		if (x->type == DNS_T_CNAME || x->type == DNS_T_NS || x->type == DNS_T_PTR) {
			r = dec_name(p, len, x->rdata, x->target, &x->target_compressed);
			if (r != (long)off)
				return -1;
		} else if (x->type == DNS_T_SRV || x->type == DNS_T_MX) {
			size_t at = x->rdata + (x->type == DNS_T_SRV ? 6 : 2);

			r = dec_name(p, len, at, x->target, &x->target_compressed);
			if (r != (long)off)
				return -1;
		} else if (x->type == DNS_T_SOA) {
			r = dec_name(p, len, x->rdata, x->target, NULL);
			if (r < 0)
				return -1;
			r = dec_name(p, len, (size_t)r, x->target2, NULL);
			if (r < 0 || (size_t)r + 20 != off)
				return -1;
		}
		m->n++;
	}
	return off == len ? 0 : -1;
}

/* Queries */

static void test_parse_query(void **state)
{
	struct raw r;
	struct dns_query q;

	(void)state;
	mkquery(&r, 0x1234, DNS_F_RD | DNS_F_CD, "WwW.Example.COM", DNS_T_AAAA, 0, false);
	assert_int_equal(dnswire_parse_query(r.b, r.n, &q), 0);
	assert_int_equal(q.id, 0x1234);
	assert_int_equal(q.flags, DNS_F_RD | DNS_F_CD);
	assert_string_equal(q.name, "www.example.com");
	assert_int_equal(q.name_len, 15);
	assert_int_equal(q.qtype, DNS_T_AAAA);
	assert_int_equal(q.qclass, DNS_C_IN);
	assert_false(q.edns);
	assert_int_equal(q.udp_size, 512);
	assert_int_equal(q.question_len, 17 + 4);

	/* the root, and bytes after the records */
	whdr(&r, 7, 0, 1, 0, 0, 0);
	wname(&r, "");
	w16(&r, DNS_T_NS);
	w16(&r, DNS_C_IN);
	w32(&r, 0xdeadbeef);
	assert_int_equal(dnswire_parse_query(r.b, r.n, &q), 0);
	assert_string_equal(q.name, "");
	assert_int_equal(q.name_len, 0);
	assert_int_equal(q.question_len, 5);

	/* labels of the bytes allowed, 63 long, and a name of 253 characters */
	{
		char name[300];

		memset(name, 'a', 63);
		strcpy(name + 63, ".b_-*!~");
		mkquery(&r, 1, 0, name, DNS_T_A, 0, false);
		assert_int_equal(dnswire_parse_query(r.b, r.n, &q), 0);
		assert_string_equal(q.name, name);
		/* 4 labels of 63 and one of 1: 4*64 + 2 = 258 > 255 */
		memset(name, 'a', 63 * 4 + 4);
		name[63] = name[127] = name[191] = '.';
		name[255] = '.';
		name[256] = 'z';
		name[257] = '\0';
		mkquery(&r, 1, 0, name, DNS_T_A, 0, false);
		assert_int_equal(dnswire_parse_query(r.b, r.n, &q), -EPROTO);
		/* 253 characters: 3 labels of 63, one of 61 */
		name[253] = '\0';
		name[255] = 'a';
		mkquery(&r, 1, 0, name, DNS_T_A, 0, false);
		assert_int_equal(dnswire_parse_query(r.b, r.n, &q), 0);
		assert_int_equal(q.name_len, 253);
		assert_int_equal(q.question_len, 255 + 4);
	}
}

static void test_parse_edns(void **state)
{
	static const struct { unsigned size, want; } sizes[] = {
		{ 4096, DNS_EDNS_SIZE }, { 100, 512 }, { 0, 512 }, { 1000, 1000 }, { 1232, 1232 },
		{ 65535, DNS_EDNS_SIZE },
	};
	struct raw r;
	struct dns_query q;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		mkquery(&r, 1, DNS_F_RD, "a.b", DNS_T_A, 1, i % 2);
		r.b[r.n - 8] = (uint8_t)(sizes[i].size >> 8);   /* the OPT's class */
		r.b[r.n - 7] = (uint8_t)sizes[i].size;
		assert_int_equal(dnswire_parse_query(r.b, r.n, &q), 0);
		assert_true(q.edns);
		assert_int_equal(q.udp_size, sizes[i].want);
		assert_int_equal(q.dnssec_ok, i % 2);
		assert_int_equal(q.edns_version, 0);
	}
	/* version 1, and an OPT after a record (a cookie-less TSIG-like one) */
	whdr(&r, 1, 0, 1, 0, 0, 2);
	wname(&r, "x");
	w16(&r, DNS_T_A);
	w16(&r, DNS_C_IN);
	wptr(&r, 12);
	w16(&r, 250);
	w16(&r, 255);
	w32(&r, 0);
	w16(&r, 3);
	wbytes(&r, "abc", 3);
	wopt(&r, 1400, 1, true);
	assert_int_equal(dnswire_parse_query(r.b, r.n, &q), 0);
	assert_true(q.edns);
	assert_true(q.dnssec_ok);
	assert_int_equal(q.edns_version, 1);
	assert_int_equal(q.udp_size, 1232);
	/* an OPT in the answer section is not EDNS */
	r.b[7] = 1;
	r.b[11] = 1;
	assert_int_equal(dnswire_parse_query(r.b, r.n, &q), 0);
	assert_true(q.edns);
	r.b[7] = 2;
	r.b[11] = 0;
	assert_int_equal(dnswire_parse_query(r.b, r.n, &q), 0);
	assert_false(q.edns);
	assert_int_equal(q.udp_size, 512);
}

static void test_parse_refused(void **state)
{
	struct raw r;
	struct dns_query q;

	(void)state;
	mkquery(&r, 0x4242, DNS_F_RD, "a.b", DNS_T_A, 0, false);
	assert_int_equal(dnswire_parse_query(r.b, 11, &q), -EBADMSG);
	r.b[2] |= 0x80;                                     /* QR: an answer */
	assert_int_equal(dnswire_parse_query(r.b, r.n, &q), -EBADMSG);

	/* qdcount 0 and 2: FORMERR, id and flags kept for it */
	mkquery(&r, 0x4242, DNS_F_RD, "a.b", DNS_T_A, 0, false);
	r.b[5] = 0;
	assert_int_equal(dnswire_parse_query(r.b, r.n, &q), -EPROTO);
	assert_int_equal(q.id, 0x4242);
	assert_int_equal(q.flags, DNS_F_RD);
	assert_int_equal(q.question_len, 0);
	r.b[5] = 2;
	assert_int_equal(dnswire_parse_query(r.b, r.n, &q), -EPROTO);

	/* a label of 64 */
	{
		char name[80];

		memset(name, 'q', 64);
		name[64] = '\0';
		mkquery(&r, 1, 0, name, DNS_T_A, 0, false);
		assert_int_equal(dnswire_parse_query(r.b, r.n, &q), -EPROTO);
	}
	/* a pointer in the question */
	whdr(&r, 1, 0, 1, 0, 0, 0);
	wlabels(&r, "a");
	wptr(&r, 12);
	w16(&r, 1);
	w16(&r, 1);
	assert_int_equal(dnswire_parse_query(r.b, r.n, &q), -EPROTO);
	/* reserved label type 0x40 */
	whdr(&r, 1, 0, 1, 0, 0, 0);
	w8(&r, 0x41);
	w8(&r, 'a');
	w8(&r, 0);
	w16(&r, 1);
	w16(&r, 1);
	assert_int_equal(dnswire_parse_query(r.b, r.n, &q), -EPROTO);
	/* bytes a label may not hold */
	{
		static const char bad[] = { ' ', 0x7f, '.', 0, '\n', (char)0xc3 };
		size_t i;

		for (i = 0; i < sizeof(bad); i++) {
			whdr(&r, 1, 0, 1, 0, 0, 0);
			w8(&r, 3);
			w8(&r, 'a');
			w8(&r, (uint8_t)bad[i]);
			w8(&r, 'b');
			w8(&r, 0);
			w16(&r, 1);
			w16(&r, 1);
			assert_int_equal(dnswire_parse_query(r.b, r.n, &q), -EPROTO);
		}
	}
	/* cut short: in the name, in the type, in a promised record */
	mkquery(&r, 1, 0, "abc.def", DNS_T_A, 0, false);
	assert_int_equal(dnswire_parse_query(r.b, 12 + 3, &q), -EPROTO);
	assert_int_equal(dnswire_parse_query(r.b, r.n - 1, &q), -EPROTO);
	mkquery(&r, 1, 0, "abc.def", DNS_T_A, 1232, false);
	assert_int_equal(dnswire_parse_query(r.b, r.n - 1, &q), -EPROTO);
	/* two OPTs, an OPT not at the root */
	mkquery(&r, 1, 0, "abc.def", DNS_T_A, 1232, false);
	wopt(&r, 1232, 0, false);
	r.b[11] = 2;
	assert_int_equal(dnswire_parse_query(r.b, r.n, &q), -EPROTO);
	assert_int_equal(q.question_len, 13);             /* the question did parse */
	whdr(&r, 1, 0, 1, 0, 0, 1);
	wname(&r, "x");
	w16(&r, 1);
	w16(&r, 1);
	wptr(&r, 12);
	w16(&r, DNS_T_OPT);
	w16(&r, 1232);
	w32(&r, 0);
	w16(&r, 0);
	assert_int_equal(dnswire_parse_query(r.b, r.n, &q), -EPROTO);

	/* opcodes other than QUERY: NOTIMP, with the question when it parses */
	mkquery(&r, 9, 4 << 11 | DNS_F_AA, "zone.example", 6, 0, false);    /* NOTIFY */
	assert_int_equal(dnswire_parse_query(r.b, r.n, &q), -EOPNOTSUPP);
	assert_int_equal(q.id, 9);
	assert_int_equal(q.flags, 4 << 11 | DNS_F_AA);
	assert_string_equal(q.name, "zone.example");
	assert_int_equal(q.question_len, 18);
	whdr(&r, 9, 5 << 11, 3, 0, 0, 0);                         /* UPDATE */
	assert_int_equal(dnswire_parse_query(r.b, r.n, &q), -EOPNOTSUPP);
	assert_int_equal(q.question_len, 0);
}

/* Building */

static void query_of(struct dns_query *q, const char *name, unsigned type, unsigned size,
		     bool dnssec_ok)
{
	struct raw r;

	mkquery(&r, 0xabcd, DNS_F_RD, name, type, size, dnssec_ok);
	assert_int_equal(dnswire_parse_query(r.b, r.n, q), 0);
}

static void test_build(void **state)
{
	static const uint8_t a4[4] = { 10, 9, 0, 7 };
	static const uint8_t a6[16] = { 0xfd, 9, [15] = 7 };
	uint8_t buf[4096];
	struct dns_builder b;
	struct dns_query q;
	struct msg m;
	char text[301];
	size_t len;

	(void)state;
	query_of(&q, "Phone.Alice.VPN.internal", DNS_T_A, 4096, true);
	dnsbuild_start(&b, buf, sizeof(buf), q.udp_size, &q, DNS_R_NOERROR, true);
	memset(text, 'x', 300);
	text[300] = '\0';
	assert_int_equal(dnsbuild_name(&b, DNS_S_ANSWER, "phone.alice.vpn.internal", DNS_T_CNAME,
				       60, "laptop.alice.vpn.internal"), 0);
	assert_int_equal(dnsbuild_a(&b, DNS_S_ANSWER, "laptop.alice.vpn.internal", 60, a4), 0);
	assert_int_equal(dnsbuild_aaaa(&b, DNS_S_ANSWER, "laptop.alice.vpn.internal", 60, a6), 0);
	assert_int_equal(dnsbuild_txt(&b, DNS_S_ANSWER, "vpn.internal", 5, text), 0);
	assert_int_equal(dnsbuild_txt(&b, DNS_S_ANSWER, "vpn.internal", 5, ""), 0);
	assert_int_equal(dnsbuild_srv(&b, DNS_S_ANSWER, "_sip._udp.vpn.internal", 5, 1, 2, 5060,
				      "pbx.vpn.internal"), 0);
	assert_int_equal(dnsbuild_soa(&b, DNS_S_AUTHORITY, "vpn.internal", 300,
				      "ns.vpn.internal", "hostmaster.vpn.internal", 2024010101,
				      3600, 600, 86400, 60), 0);
	assert_int_equal(dnsbuild_name(&b, DNS_S_ADDITIONAL, "4.3.2.1.in-addr.arpa", DNS_T_PTR,
				       1, "pbx.vpn.internal"), 0);
	/* sections go in order; names are checked */
	assert_int_equal(dnsbuild_a(&b, DNS_S_ANSWER, "x.vpn.internal", 60, a4), -EINVAL);
	assert_int_equal(dnsbuild_a(&b, DNS_S_ADDITIONAL, "x..internal", 60, a4), -EINVAL);
	assert_false(b.truncated);
	len = dnsbuild_finish(&b);
	assert_int_equal(decode(buf, len, &m), 0);
	assert_int_equal(m.id, 0xabcd);
	assert_int_equal(m.flags, DNS_F_QR | DNS_F_AA | DNS_F_RD | DNS_F_RA);
	assert_int_equal(m.qd, 1);
	assert_string_equal(m.qname, "phone.alice.vpn.internal");
	assert_int_equal(m.qtype, DNS_T_A);
	assert_int_equal(m.an, 6);
	assert_int_equal(m.ns, 1);
	assert_int_equal(m.ar, 2);
	assert_string_equal(m.rr[0].name, "phone.alice.vpn.internal");
	assert_int_equal(m.rr[0].type, DNS_T_CNAME);
	assert_string_equal(m.rr[0].target, "laptop.alice.vpn.internal");
	assert_true(m.rr[0].target_compressed);
	assert_int_equal(m.rr[1].type, DNS_T_A);
	assert_int_equal(m.rr[1].ttl, 60);
	assert_int_equal(m.rr[1].rdlen, 4);
	assert_memory_equal(buf + m.rr[1].rdata, a4, 4);
	assert_string_equal(m.rr[2].name, "laptop.alice.vpn.internal");
	assert_memory_equal(buf + m.rr[2].rdata, a6, 16);
	/* 300 bytes of text: strings of 255 and 45 */
	assert_int_equal(m.rr[3].rdlen, 302);
	assert_int_equal(buf[m.rr[3].rdata], 255);
	assert_int_equal(buf[m.rr[3].rdata + 256], 45);
	assert_int_equal(m.rr[4].rdlen, 1);
	assert_int_equal(m.rr[5].type, DNS_T_SRV);
	assert_string_equal(m.rr[5].name, "_sip._udp.vpn.internal");
	assert_string_equal(m.rr[5].target, "pbx.vpn.internal");
	assert_false(m.rr[5].target_compressed);
	assert_int_equal(g16(buf + m.rr[5].rdata + 4), 5060);
	assert_int_equal(m.rr[6].type, DNS_T_SOA);
	assert_string_equal(m.rr[6].target, "ns.vpn.internal");
	assert_string_equal(m.rr[6].target2, "hostmaster.vpn.internal");
	assert_int_equal(g16(buf + m.rr[6].rdata + m.rr[6].rdlen - 2), 60);
	assert_string_equal(m.rr[7].target, "pbx.vpn.internal");
	assert_true(m.rr[7].target_compressed);
	assert_true(m.opt);
	assert_int_equal(m.opt_size, DNS_EDNS_SIZE);
	assert_int_equal(m.opt_flags, 0x8000);
	/* compressed: "vpn.internal" is written once, and again in SRV's target */
	{
		size_t i, seen = 0;

		for (i = 0; i + 13 <= len; i++)
			seen += memcmp(buf + i, "\003vpn\010internal", 13) == 0;
		assert_int_equal(seen, 2);
	}
}

/* The question as the client spelled it, and owners compressed against it. */
static void test_build_echo(void **state)
{
	static const uint8_t a4[4] = { 1, 2, 3, 4 };
	uint8_t buf[512];
	struct raw r;
	struct dns_builder b;
	struct dns_query q;
	struct msg m;
	size_t len;

	(void)state;
	mkquery(&r, 5, 0, "HoSt.Vpn.Internal", DNS_T_A, 0, false);
	assert_int_equal(dnswire_parse_query(r.b, r.n, &q), 0);
	dnsbuild_start_query(&b, buf, sizeof(buf), q.udp_size, &q, r.b, DNS_R_NOERROR, true);
	assert_int_equal(dnsbuild_a(&b, DNS_S_ANSWER, q.name, 60, a4), 0);
	len = dnsbuild_finish(&b);
	assert_int_equal(decode(buf, len, &m), 0);
	assert_string_equal(m.qname, "HoSt.Vpn.Internal");
	assert_string_equal(m.rr[0].name, "HoSt.Vpn.Internal");
	assert_int_equal(len, 12 + 19 + 4 + 2 + 10 + 4);
	assert_false(m.flags & DNS_F_RD);
}

static void test_build_truncated(void **state)
{
	uint8_t buf[4096], addr[4] = { 10, 0, 0, 0 };
	struct dns_builder b;
	struct dns_query q;
	struct msg m;
	size_t len;
	unsigned i;
	int r = 0;

	(void)state;
	query_of(&q, "many.vpn.internal", DNS_T_A, 0, false);
	assert_int_equal(q.udp_size, 512);
	dnsbuild_start(&b, buf, sizeof(buf), q.udp_size, &q, DNS_R_NOERROR, true);
	assert_int_equal(dnsbuild_a(&b, DNS_S_ANSWER, "many.vpn.internal", 60, addr), 0);
	for (i = 0; i < 100 && r == 0; i++) {
		addr[3] = (uint8_t)i;
		r = dnsbuild_a(&b, DNS_S_ANSWER, "other.vpn.internal", 60, addr);
	}
	assert_int_equal(r, -ENOSPC);
	assert_true(b.truncated);
	assert_int_equal(dnsbuild_a(&b, DNS_S_AUTHORITY, "x.vpn.internal", 60, addr), -ENOSPC);
	len = dnsbuild_finish(&b);
	assert_true(len <= 512);
	assert_int_equal(decode(buf, len, &m), 0);
	assert_true(m.flags & DNS_F_TC);
	/* the partial RRset of "other" went; "many" stays */
	assert_int_equal(m.an, 1);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.rr[0].name, "many.vpn.internal");

	/* within one RRset written in parts with another type between: only the last goes */
	query_of(&q, "many.vpn.internal", DNS_T_ANY, 600, false);
	assert_int_equal(q.udp_size, 600);
	dnsbuild_start(&b, buf, sizeof(buf), q.udp_size, &q, DNS_R_NOERROR, true);
	for (i = 0; i < 10; i++)
		assert_int_equal(dnsbuild_a(&b, DNS_S_ANSWER, "many.vpn.internal", 60, addr), 0);
	assert_int_equal(dnsbuild_txt(&b, DNS_S_ANSWER, "many.vpn.internal", 60, "t"), 0);
	for (i = 0; r == 0 || i < 1; i++) {
		r = dnsbuild_a(&b, DNS_S_ANSWER, "many.vpn.internal", 60, addr);
		if (i > 100)
			fail();
	}
	len = dnsbuild_finish(&b);
	assert_true(len <= 600);
	assert_int_equal(decode(buf, len, &m), 0);
	assert_true(m.flags & DNS_F_TC);
	assert_int_equal(m.an, 11);
	assert_int_equal(m.rr[10].type, DNS_T_TXT);
	assert_true(m.opt);

	/* out of room in the additional section: no TC */
	query_of(&q, "many.vpn.internal", DNS_T_A, 0, false);
	dnsbuild_start(&b, buf, sizeof(buf), q.udp_size, &q, DNS_R_NOERROR, true);
	assert_int_equal(dnsbuild_a(&b, DNS_S_ANSWER, "many.vpn.internal", 60, addr), 0);
	for (i = 0, r = 0; r == 0 && i < 100; i++)
		r = dnsbuild_txt(&b, DNS_S_ADDITIONAL, "many.vpn.internal", 60, "some text here");
	assert_int_equal(r, -ENOSPC);
	len = dnsbuild_finish(&b);
	assert_int_equal(decode(buf, len, &m), 0);
	assert_false(m.flags & DNS_F_TC);
	assert_true(b.truncated);
	assert_int_equal(m.an, 1);
	assert_int_equal(m.ar, 0);

	/* no room even for the question: a header with TC */
	query_of(&q, "many.vpn.internal", DNS_T_A, 0, false);
	dnsbuild_start(&b, buf, 20, 20, &q, DNS_R_NOERROR, true);
	len = dnsbuild_finish(&b);
	assert_int_equal(len, 12);
	assert_int_equal(decode(buf, len, &m), 0);
	assert_true(m.flags & DNS_F_TC);
	assert_int_equal(m.qd, 0);
}

static void test_error(void **state)
{
	uint8_t buf[512];
	struct raw r;
	struct dns_query q;
	struct msg m;
	size_t len;

	(void)state;
	mkquery(&r, 0x77, DNS_F_RD, "a.b", DNS_T_A, 0, false);
	r.b[5] = 2;
	assert_int_equal(dnswire_parse_query(r.b, r.n, &q), -EPROTO);
	len = dnswire_error(buf, sizeof(buf), &q, DNS_R_FORMERR, false);
	assert_int_equal(len, 12);
	assert_int_equal(decode(buf, len, &m), 0);
	assert_int_equal(m.id, 0x77);
	assert_int_equal(m.flags, DNS_F_QR | DNS_F_RD | DNS_F_RA | DNS_R_FORMERR);
	assert_int_equal(m.qd, 0);

	query_of(&q, "Blocked.Example", DNS_T_A, 1232, true);
	len = dnswire_error(buf, sizeof(buf), &q, DNS_R_NXDOMAIN, true);
	assert_int_equal(decode(buf, len, &m), 0);
	assert_int_equal(m.flags & DNS_F_RCODE, DNS_R_NXDOMAIN);
	assert_string_equal(m.qname, "blocked.example");
	assert_int_equal(m.ar, 1);
	assert_true(m.opt);
	assert_int_equal(m.opt_flags, 0x8000);

	/* BADVERS: 16 is 1 in the OPT, 0 in the header */
	q.edns_version = 1;
	len = dnswire_error(buf, sizeof(buf), &q, DNS_R_BADVERS, true);
	assert_int_equal(decode(buf, len, &m), 0);
	assert_int_equal(m.flags & DNS_F_RCODE, 0);
	assert_int_equal(m.opt_ext, 1);
	assert_int_equal(dnswire_error(buf, 11, &q, DNS_R_SERVFAIL, true), 0);
}

/* Adopting upstream answers */

struct upstream {
	struct raw r;
	size_t qname_off;
};

/* An answer as libunbound gives one: id 0, its own (lower case) question, compressed. */
static void mkanswer(struct upstream *u, const char *qname, unsigned type, bool sigs)
{
	struct raw *r = &u->r;
	static const uint8_t addr[4] = { 192, 0, 2, 1 };

	whdr(r, 0, DNS_F_QR | DNS_F_RD | DNS_F_RA | DNS_F_AD, 1, sigs ? 3 : 2, sigs ? 2 : 1,
	     1);
	u->qname_off = r->n;
	wname(r, qname);
	w16(r, type);
	w16(r, DNS_C_IN);
	/* www CNAME web.example.com */
	wptr(r, 12);
	w16(r, DNS_T_CNAME);
	w16(r, DNS_C_IN);
	w32(r, 300);
	w16(r, 6);
	wlabels(r, "web");
	wptr(r, 12 + 4);                                  /* example.com of the question */
	/* web.example.com A */
	wptr(r, r->n - 6);
	w16(r, DNS_T_A);
	w16(r, DNS_C_IN);
	w32(r, 300);
	w16(r, 4);
	wbytes(r, addr, 4);
	if (sigs) {
		wptr(r, r->n - 16 - 6);
		w16(r, DNS_T_RRSIG);
		w16(r, DNS_C_IN);
		w32(r, 300);
		w16(r, 18 + 13 + 4);
		w16(r, DNS_T_A);
		w8(r, 13);
		w8(r, 3);
		w32(r, 300);
		w32(r, 2000000000);
		w32(r, 1000000000);
		w16(r, 4711);
		wname(r, "example.com");
		w32(r, 0x01020304);
	}
	/* authority: example.com NS ns1.example.com */
	wptr(r, 12 + 4);
	w16(r, DNS_T_NS);
	w16(r, DNS_C_IN);
	w32(r, 3600);
	w16(r, 6);
	wlabels(r, "ns1");
	wptr(r, 12 + 4);
	if (sigs) {
		wptr(r, 12 + 4);
		w16(r, DNS_T_NSEC);
		w16(r, DNS_C_IN);
		w32(r, 3600);
		w16(r, 18);
		wname(r, "a.example.com");               /* never compressed (RFC 4034) */
		w8(r, 0);
		w8(r, 1);
		w8(r, 0x40);
	}
	wopt(r, 4096, 0, true);
}

static void client(struct raw *r, struct dns_query *q, const char *name, unsigned type,
		   unsigned size, bool dnssec_ok)
{
	mkquery(r, 0xbeef, DNS_F_RD | DNS_F_CD, name, type, size, dnssec_ok);
	assert_int_equal(dnswire_parse_query(r->b, r->n, q), 0);
}

static void test_adopt(void **state)
{
	struct upstream u;
	struct raw cq;
	struct dns_query q;
	struct msg m;
	uint8_t out[4096];
	size_t len;

	(void)state;
	mkanswer(&u, "www.example.com", DNS_T_A, true);
	client(&cq, &q, "WwW.ExAmPlE.cOm", DNS_T_A, 1232, false);
	assert_int_equal(dnswire_adopt(u.r.b, u.r.n, cq.b, cq.n, &q, q.udp_size, out, sizeof(out),
				       &len), 0);
	assert_int_equal(decode(out, len, &m), 0);
	assert_int_equal(m.id, 0xbeef);
	assert_memory_equal(out + 12, cq.b + 12, q.question_len);
	assert_string_equal(m.qname, "WwW.ExAmPlE.cOm");
	assert_int_equal(m.flags, DNS_F_QR | DNS_F_RD | DNS_F_RA | DNS_F_CD);   /* no AD */
	/* RRSIG and NSEC gone */
	assert_int_equal(m.an, 2);
	assert_int_equal(m.ns, 1);
	assert_int_equal(m.ar, 1);
	assert_string_equal(m.rr[0].name, "WwW.ExAmPlE.cOm");
	assert_int_equal(m.rr[0].type, DNS_T_CNAME);
	assert_string_equal(m.rr[0].target, "web.ExAmPlE.cOm");
	assert_string_equal(m.rr[1].name, "web.ExAmPlE.cOm");
	assert_int_equal(m.rr[1].type, DNS_T_A);
	assert_int_equal(m.rr[1].ttl, 300);
	assert_int_equal(m.rr[2].type, DNS_T_NS);
	assert_string_equal(m.rr[2].target, "ns1.ExAmPlE.cOm");
	assert_true(m.opt);
	assert_int_equal(m.opt_size, DNS_EDNS_SIZE);
	assert_int_equal(m.opt_flags, 0);

	/* DO set: they stay, and AD with them */
	client(&cq, &q, "www.example.com", DNS_T_A, 1232, true);
	assert_int_equal(dnswire_adopt(u.r.b, u.r.n, cq.b, cq.n, &q, q.udp_size, out, sizeof(out),
				       &len), 0);
	assert_int_equal(decode(out, len, &m), 0);
	assert_int_equal(m.an, 3);
	assert_int_equal(m.ns, 2);
	assert_true(m.flags & DNS_F_AD);
	assert_int_equal(m.rr[2].type, DNS_T_RRSIG);
	assert_int_equal(m.rr[2].rdlen, 35);
	assert_string_equal(m.rr[2].name, "web.example.com");
	assert_memory_equal(out + m.rr[2].rdata, u.r.b + 12 + 17 + 4 + 12 + 6 + 12 + 4 + 12, 35);
	assert_int_equal(m.rr[4].type, DNS_T_NSEC);
	assert_int_equal(m.opt_flags, 0x8000);

	/* asked for the RRSIGs themselves: kept without DO */
	mkanswer(&u, "www.example.com", DNS_T_RRSIG, true);
	client(&cq, &q, "www.example.com", DNS_T_RRSIG, 0, false);
	assert_int_equal(dnswire_adopt(u.r.b, u.r.n, cq.b, cq.n, &q, q.udp_size, out, sizeof(out),
				       &len), 0);
	assert_int_equal(decode(out, len, &m), 0);
	assert_int_equal(m.an, 3);
	assert_int_equal(m.ns, 1);
	/* no EDNS from the client: no OPT */
	assert_int_equal(m.ar, 0);
	assert_false(m.opt);
	assert_true(len <= 512);
}

static void test_adopt_refused(void **state)
{
	struct upstream u;
	struct raw cq, *r = &u.r;
	struct dns_query q;
	uint8_t out[4096];
	size_t len;

	(void)state;
	client(&cq, &q, "www.example.com", DNS_T_A, 1232, false);
	/* another name, another type */
	mkanswer(&u, "www.example.org", DNS_T_A, false);
	assert_int_equal(dnswire_adopt(r->b, r->n, cq.b, cq.n, &q, 1232, out, sizeof(out), &len),
			 -EPROTO);
	mkanswer(&u, "www.example.com", DNS_T_AAAA, false);
	assert_int_equal(dnswire_adopt(r->b, r->n, cq.b, cq.n, &q, 1232, out, sizeof(out), &len),
			 -EPROTO);
	mkanswer(&u, "www.example.com", DNS_T_A, false);
	assert_int_equal(dnswire_adopt(r->b, r->n, cq.b, cq.n, &q, 1232, out, sizeof(out), &len),
			 0);
	/* cut anywhere: never read past, always refused */
	{
		size_t n;

		for (n = 0; n < r->n; n++)
			assert_int_equal(dnswire_adopt(r->b, n, cq.b, cq.n, &q, 1232, out,
						       sizeof(out), &len), -EBADMSG);
	}
	/* QR clear */
	r->b[2] &= 0x7f;
	assert_int_equal(dnswire_adopt(r->b, r->n, cq.b, cq.n, &q, 1232, out, sizeof(out), &len),
			 -EBADMSG);
	r->b[2] |= 0x80;
	/* a pointer to itself, forward, into the header, and two at each other */
	{
		size_t rec = 12 + 17 + 4;             /* the first answer's owner, a pointer */
		static const unsigned bad[] = { 0, 1, 5, 200 };
		size_t i;

		for (i = 0; i < 4; i++) {
			mkanswer(&u, "www.example.com", DNS_T_A, false);
			if (bad[i] == 0) {
				r->b[rec] = (uint8_t)(0xc0 | rec >> 8);
				r->b[rec + 1] = (uint8_t)rec;
			} else {
				r->b[rec] = 0xc0;
				r->b[rec + 1] = (uint8_t)bad[i];
			}
			assert_int_equal(dnswire_adopt(r->b, r->n, cq.b, cq.n, &q, 1232, out,
						       sizeof(out), &len), -EBADMSG);
		}
		/* the CNAME's target "web" + pointer pointed back at its own owner pointer,
		 * which now points at the target: a loop of two */
		mkanswer(&u, "www.example.com", DNS_T_A, false);
		r->b[rec] = 0xc0;
		r->b[rec + 1] = (uint8_t)(rec + 12);
		r->b[rec + 12 + 4] = 0xc0;
		r->b[rec + 12 + 5] = (uint8_t)rec;
		assert_int_equal(dnswire_adopt(r->b, r->n, cq.b, cq.n, &q, 1232, out,
					       sizeof(out), &len), -EBADMSG);
	}
	/* a name of more than 255 bytes through pointers */
	{
		unsigned i;
		size_t prev;

		whdr(r, 0, DNS_F_QR, 0, 1, 0, 0);
		prev = r->n;
		wname(r, "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0");
		for (i = 0; i < 5; i++) {
			size_t at = r->n;

			wlabels(r, "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0");
			wptr(r, (unsigned)prev);
			prev = at;
		}
		r->b[7] = 1;
		wptr(r, (unsigned)prev);
		w16(r, DNS_T_A);
		w16(r, DNS_C_IN);
		w32(r, 1);
		w16(r, 4);
		w32(r, 0);
		assert_int_equal(dnswire_adopt(r->b, r->n, cq.b, cq.n, &q, 1232, out,
					       sizeof(out), &len), -EBADMSG);
	}
	/* an A record of 5 bytes */
	mkanswer(&u, "www.example.com", DNS_T_A, false);
	r->b[12 + 17 + 4 + 12 + 6 + 11] = 5;
	assert_int_equal(dnswire_adopt(r->b, r->n, cq.b, cq.n, &q, 1232, out, sizeof(out), &len),
			 -EBADMSG);
}

static void test_adopt_truncated(void **state)
{
	struct raw a, cq;
	struct dns_query q;
	struct msg m;
	uint8_t out[65536];
	size_t len;
	unsigned i;

	(void)state;
	client(&cq, &q, "big.example", DNS_T_TXT, 1232, false);
	whdr(&a, 0, DNS_F_QR | DNS_F_RA | DNS_R_NOERROR, 1, 100, 0, 0);
	wname(&a, "big.example");
	w16(&a, DNS_T_TXT);
	w16(&a, DNS_C_IN);
	for (i = 0; i < 100; i++) {
		wptr(&a, 12);
		w16(&a, DNS_T_TXT);
		w16(&a, DNS_C_IN);
		w32(&a, 60);
		w16(&a, 21);
		w8(&a, 20);
		wbytes(&a, "01234567890123456789", 20);
	}
	assert_int_equal(dnswire_adopt(a.b, a.n, cq.b, cq.n, &q, q.udp_size, out, sizeof(out),
				       &len), 0);
	assert_int_equal(len, 12 + q.question_len + DNS_OPT_LEN);
	assert_int_equal(decode(out, len, &m), 0);
	assert_true(m.flags & DNS_F_TC);
	assert_int_equal(m.an, 0);
	assert_int_equal(m.ar, 1);
	assert_string_equal(m.qname, "big.example");
	/* over TCP it all goes */
	assert_int_equal(dnswire_adopt(a.b, a.n, cq.b, cq.n, &q, DNS_TCP_MAX, out, sizeof(out),
				       &len), 0);
	assert_int_equal(decode(out, len, &m), 0);
	assert_false(m.flags & DNS_F_TC);
	assert_int_equal(m.an, 100);
	assert_int_equal(len, a.n + DNS_OPT_LEN);
	/* a buffer too small for even the truncated answer */
	assert_int_equal(dnswire_adopt(a.b, a.n, cq.b, cq.n, &q, 512, out, 20, &len), -ENOSPC);
}

/* The upstream's rcode and AA go through; its extended rcode only to a client with EDNS. */
static void test_adopt_rcode(void **state)
{
	struct raw a, cq;
	struct dns_query q;
	struct msg m;
	uint8_t out[1500];
	size_t len, again;

	(void)state;
	client(&cq, &q, "nx.example", DNS_T_A, 1232, false);
	whdr(&a, 0, DNS_F_QR | DNS_F_AA | DNS_F_RA | DNS_R_NXDOMAIN, 1, 0, 1, 1);
	wname(&a, "nx.example");
	w16(&a, DNS_T_A);
	w16(&a, DNS_C_IN);
	wptr(&a, 15);
	w16(&a, DNS_T_SOA);
	w16(&a, DNS_C_IN);
	w32(&a, 900);
	w16(&a, 5 + 11 + 20);
	wlabels(&a, "ns");
	wptr(&a, 15);
	wname(&a, "h.example");
	w32(&a, 1);
	w32(&a, 2);
	w32(&a, 3);
	w32(&a, 4);
	w32(&a, 5);
	wopt(&a, 1232, 0, false);
	a.b[a.n - 6] = 1;                                /* extended rcode 1: 16 + 3 */
	assert_int_equal(dnswire_adopt(a.b, a.n, cq.b, cq.n, &q, 1232, out, sizeof(out), &len),
			 0);
	assert_int_equal(decode(out, len, &m), 0);
	assert_int_equal(m.flags & DNS_F_RCODE, DNS_R_NXDOMAIN);
	assert_true(m.flags & DNS_F_AA);
	assert_int_equal(m.ns, 1);
	assert_string_equal(m.rr[0].name, "example");
	assert_string_equal(m.rr[0].target, "ns.example");
	assert_string_equal(m.rr[0].target2, "h.example");
	assert_int_equal(m.opt_ext, 1);
	client(&cq, &q, "nx.example", DNS_T_A, 0, false);
	assert_int_equal(dnswire_adopt(a.b, a.n, cq.b, cq.n, &q, 512, out, sizeof(out), &len), 0);
	assert_int_equal(decode(out, len, &m), 0);
	assert_int_equal(m.flags & DNS_F_RCODE, DNS_R_SERVFAIL);

	/* no question in the answer: the client's all the same */
	whdr(&a, 0, DNS_F_QR | DNS_R_REFUSED, 0, 0, 0, 0);
	assert_int_equal(dnswire_adopt(a.b, a.n, cq.b, cq.n, &q, 512, out, sizeof(out), &len), 0);
	assert_int_equal(decode(out, len, &m), 0);
	assert_int_equal(m.flags & DNS_F_RCODE, DNS_R_REFUSED);
	assert_string_equal(m.qname, "nx.example");
	assert_int_equal(m.id, 0xbeef);
	/* a query that is not q's own */
	q.question_len = 0;
	assert_int_equal(dnswire_adopt(a.b, a.n, cq.b, cq.n, &q, 512, out, sizeof(out), &len),
			 -EINVAL);

	/* dnsbuild_finish twice gives the same */
	{
		struct dns_builder b;

		client(&cq, &q, "x.example", DNS_T_A, 1232, false);
		dnsbuild_start(&b, out, sizeof(out), q.udp_size, &q, DNS_R_NOERROR, false);
		len = dnsbuild_finish(&b);
		again = dnsbuild_finish(&b);
		assert_int_equal(len, again);
		assert_int_equal(decode(out, len, &m), 0);
		assert_int_equal(m.ar, 1);
	}
}

/* Names and reverse names */

static void test_ptr(void **state)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 0xcd };
	char name[DNS_PTR_NAME_MAX];
	uint8_t addr[16];
	int family;

	(void)state;
	assert_int_equal(dnswire_ptr_parse("4.3.2.1.in-addr.arpa", &family, addr), 0);
	assert_int_equal(family, AF_INET);
	assert_memory_equal(addr, "\x01\x02\x03\x04", 4);
	assert_int_equal(dnswire_ptr_parse("255.0.100.10.IN-ADDR.ARPA", &family, addr), 0);
	assert_memory_equal(addr, "\x0a\x64\x00\xff", 4);
	dnswire_ptr_name(AF_INET, addr, name, sizeof(name));
	assert_string_equal(name, "255.0.100.10.in-addr.arpa");

	dnswire_ptr_name(AF_INET6, v6, name, sizeof(name));
	assert_string_equal(name,
		"d.c.b.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
	assert_int_equal(strlen(name) + 1, 73);
	memset(addr, 0, sizeof(addr));
	assert_int_equal(dnswire_ptr_parse(name, &family, addr), 0);
	assert_int_equal(family, AF_INET6);
	assert_memory_equal(addr, v6, 16);
	name[0] = 'D';
	assert_int_equal(dnswire_ptr_parse(name, &family, addr), 0);
	assert_int_equal(addr[15], 0xcd);

	static const char *bad[] = {
		"3.2.1.in-addr.arpa", "5.4.3.2.1.in-addr.arpa", "256.1.1.1.in-addr.arpa",
		"01.1.1.1.in-addr.arpa", "1..1.1.in-addr.arpa", "a.1.1.1.in-addr.arpa",
		"1.1.1.1.in-addr.arpa.x", "in-addr.arpa", ".in-addr.arpa", "1.1.1.1in-addr.arpa",
		"1.1.1.1.xin-addr.arpa", "-1.1.1.1.in-addr.arpa", "1000.1.1.1.in-addr.arpa",
		"8.b.d.0.1.0.0.2.ip6.arpa", "ip6.arpa",
		"g.c.b.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
		"dc.b.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2..ip6.arpa",
		"d.c.b.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.0.ip6.arpa",
		"", "example.com",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dnswire_ptr_parse(bad[i], &family, addr), -EINVAL);
	dnswire_ptr_name(AF_INET6, v6, name, 72);
	assert_string_equal(name, "");
	dnswire_ptr_name(AF_UNIX, v6, name, sizeof(name));
	assert_string_equal(name, "");
}

static bool under(const char *name, const char *zone)
{
	return dnswire_name_under(name, strlen(name), zone, strlen(zone));
}

static void test_name_under(void **state)
{
	(void)state;
	assert_true(under("vpn.internal", "vpn.internal"));
	assert_true(under("a.vpn.internal", "vpn.internal"));
	assert_true(under("b.a.vpn.internal", "vpn.internal"));
	assert_true(under("A.VPN.Internal", "vpn.internal"));
	assert_false(under("xvpn.internal", "vpn.internal"));
	assert_false(under("vpn.internal.com", "vpn.internal"));
	assert_false(under("internal", "vpn.internal"));
	assert_false(under("", "vpn.internal"));
	assert_true(under("anything", ""));
	assert_true(under("", ""));
	assert_false(under("nternal", "internal"));
	assert_true(under(".internal", "internal"));
}

static void test_names(void **state)
{
	uint8_t w[300];
	char name[300], text[DNS_NAME_TEXT_MAX + 1];
	struct raw r;
	size_t off, tl;

	(void)state;
	assert_int_equal(dnswire_name_pack("", 0, w, sizeof(w)), 1);
	assert_int_equal(w[0], 0);
	assert_int_equal(dnswire_name_pack("a.bc", 4, w, sizeof(w)), 6);
	assert_memory_equal(w, "\001a\002bc", 6);
	assert_int_equal(dnswire_name_pack("a.bc.", 5, w, sizeof(w)), 6);
	assert_int_equal(dnswire_name_pack("a.bc", 4, w, 5), -ENOSPC);
	assert_int_equal(dnswire_name_pack("a..bc", 5, w, sizeof(w)), -EINVAL);
	assert_int_equal(dnswire_name_pack(".a", 2, w, sizeof(w)), -EINVAL);
	assert_int_equal(dnswire_name_pack("..", 2, w, sizeof(w)), -EINVAL);
	memset(name, 'a', 64);
	assert_int_equal(dnswire_name_pack(name, 63, w, sizeof(w)), 65);
	assert_int_equal(dnswire_name_pack(name, 64, w, sizeof(w)), -EINVAL);
	memset(name, 'a', 254);
	name[63] = name[127] = name[191] = '.';
	assert_int_equal(dnswire_name_pack(name, 253, w, sizeof(w)), 255);
	assert_int_equal(dnswire_name_pack(name, 254, w, sizeof(w)), -EINVAL);

	/* unpack: a compressed name, one with a byte text cannot hold */
	whdr(&r, 0, 0, 0, 0, 0, 0);
	wname(&r, "Example.COM");
	wlabels(&r, "www");
	wptr(&r, 12);
	off = 12 + 13;
	assert_int_equal(dnswire_name_unpack(r.b, r.n, &off, text, &tl), 0);
	assert_string_equal(text, "www.example.com");
	assert_int_equal(tl, 15);
	assert_int_equal(off, r.n);
	off = 12 + 13;
	assert_int_equal(dnswire_name_unpack(r.b, r.n - 1, &off, text, &tl), -EBADMSG);
	r.b[13] = ' ';
	off = 12;
	assert_int_equal(dnswire_name_unpack(r.b, r.n, &off, text, &tl), -EINVAL);
	assert_int_equal(off, 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_query),
		cmocka_unit_test(test_parse_edns),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_build_echo),
		cmocka_unit_test(test_build_truncated),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_adopt),
		cmocka_unit_test(test_adopt_refused),
		cmocka_unit_test(test_adopt_truncated),
		cmocka_unit_test(test_adopt_rcode),
		cmocka_unit_test(test_ptr),
		cmocka_unit_test(test_name_under),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
