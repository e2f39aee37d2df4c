/* libFuzzer harness for the DNS wire codec (what VPN clients send to the resolver, and
 * what upstream servers send back through libunbound): the input as a query is parsed and,
 * when it parses, answered with several records, when not, with an error; the input as an
 * upstream answer is adopted for a client's query made from its question (or a fixed one).
 * Every message produced must read back with a checker of the harness's own: counts as
 * the records there are, every pointer backwards, rdata names inside their rdata, no more
 * than the size allowed. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/dns/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned g16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* The offset after the name at off, or 0; every pointer goes before the one before. */
static size_t chk_name(const uint8_t *p, size_t len, size_t off, size_t end)
{
	size_t after = 0, seg = off, total = 0;
	unsigned hops = 0;

	for (;;) {
		if (off >= (hops ? len : end))
			return 0;
		if ((p[off] & 0xc0) == 0xc0) {
			size_t t;

			if (off + 1 >= (hops ? len : end))
				return 0;
			t = (size_t)(p[off] & 0x3f) << 8 | p[off + 1];
			if (t >= seg || t < DNS_HEADER_LEN || ++hops > 127)
				return 0;
			if (hops == 1)
				after = off + 2;
			seg = off = t;
			continue;
		}
		if (p[off] & 0xc0)
			return 0;
		total += 1u + p[off];
		if (total > DNS_NAME_WIRE_MAX)
			return 0;
		if (p[off] == 0)
			return hops ? after : off + 1;
		off += 1u + p[off];
	}
}

/* A message as a client would read it; aborts when it does not read. */
static void check(const uint8_t *p, size_t len, size_t max)
{
	size_t off = DNS_HEADER_LEN;
	unsigned i, total;

	if (len < DNS_HEADER_LEN || len > max || !(p[2] & 0x80) || g16(p + 4) > 1)
		abort();
	if (g16(p + 4)) {
		off = chk_name(p, len, off, len);
		if (!off || off + 4 > len)
			abort();
		off += 4;
	}
	total = g16(p + 6) + g16(p + 8) + g16(p + 10);
	for (i = 0; i < total; i++) {
		size_t rd, end, n;
		unsigned type;

		off = chk_name(p, len, off, len);
		if (!off || off + 10 > len)
			abort();
		type = g16(p + off);
		rd = off + 10;
		end = rd + g16(p + off + 8);
		if (end > len)
			abort();
		switch (type) {
		case DNS_T_CNAME: case DNS_T_NS: case DNS_T_PTR:
			if (chk_name(p, len, rd, end) != end)
				abort();
			break;
		case DNS_T_MX:
			if (rd + 2 > end || chk_name(p, len, rd + 2, end) != end)
				abort();
			break;
		case DNS_T_SRV:
			/* written in full */
			if (rd + 6 > end || chk_name(p, end, rd + 6, end) != end)
				abort();
			break;
		case DNS_T_SOA:
			n = chk_name(p, len, rd, end);
			n = n ? chk_name(p, len, n, end) : 0;
			if (!n || n + 20 != end)
				abort();
			break;
		case DNS_T_A:
			if (end - rd != 4)
				abort();
			break;
		case DNS_T_AAAA:
			if (end - rd != 16)
				abort();
			break;
		}
		off = end;
	}
	if (off != len)
		abort();
}

static void answer_query(const uint8_t *data, size_t size)
{
	static const uint8_t a4[4] = { 10, 9, 0, 1 }, a6[16] = { 0xfd, 9, [15] = 1 };
	uint8_t buf[DNS_TCP_MAX];
	struct dns_builder b;
	struct dns_query q;
	size_t len, max;
	int r = dnswire_parse_query(data, size, &q);
	unsigned i;

	if (r == -EPROTO || r == -EOPNOTSUPP) {
		len = dnswire_error(buf, sizeof(buf), &q, r == -EPROTO ? DNS_R_FORMERR :
				    DNS_R_NOTIMP, q.question_len != 0);
		check(buf, len, sizeof(buf));
		if (q.id != g16(buf) || (q.question_len && g16(buf + 4) != 1))
			abort();
		return;
	}
	if (r == -EBADMSG)
		return;
	if (r != 0 || q.name_len != strlen(q.name) || q.udp_size < 512 ||
	    q.udp_size > DNS_EDNS_SIZE || (!q.edns && q.udp_size != 512))
		abort();
	max = size % 2 ? DNS_TCP_MAX : q.udp_size;
	if (size % 3 == 0)
		dnsbuild_start(&b, buf, sizeof(buf), max, &q, DNS_R_NOERROR, true);
	else
		dnsbuild_start_query(&b, buf, sizeof(buf), max, &q, data, DNS_R_NOERROR, true);
	/* enough records that UDP answers run out of room */
	for (i = 0; i < 8; i++) {
		dnsbuild_name(&b, DNS_S_ANSWER, q.name, DNS_T_CNAME, 60, "target.vpn.internal");
		dnsbuild_a(&b, DNS_S_ANSWER, "target.vpn.internal", 60, a4);
		dnsbuild_aaaa(&b, DNS_S_ANSWER, "target.vpn.internal", 60, a6);
		dnsbuild_txt(&b, DNS_S_ANSWER, q.name, 60, q.name);
		dnsbuild_srv(&b, DNS_S_ANSWER, q.name, 60, 1, 2, 3, q.name);
	}
	dnsbuild_soa(&b, DNS_S_AUTHORITY, "vpn.internal", 60, "ns.vpn.internal",
		     "hostmaster.vpn.internal", 1, 2, 3, 4, 5);
	dnsbuild_name(&b, DNS_S_ADDITIONAL, q.name, DNS_T_PTR, 60, q.name);
	len = dnsbuild_finish(&b);
	check(buf, len, max);
	if (g16(buf) != q.id || g16(buf + 4) != 1)
		abort();
}

/* A client's query made of the input's question, so adopt gets past its check. */
static void adopt_answer(const uint8_t *data, size_t size)
{
	static const uint8_t fixed[] = {
		0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1,
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		0, 1, 0, 1,
		0, 0, 41, 4, 0xd0, 0, 0, 0x80, 0, 0, 0,
	};
	uint8_t query[512], out[DNS_TCP_MAX];
	struct dns_query q;
	size_t qlen = 0, len, max, i;
	int r = -1;

	if (size >= DNS_HEADER_LEN) {
		/* header bits of the input say: EDNS or not, DO or not */
		memcpy(query, data, DNS_HEADER_LEN);
		query[2] &= 0x7f;
		query[4] = query[6] = query[7] = query[8] = query[9] = query[10] = 0;
		query[5] = 1;
		query[11] = 0;
		for (i = DNS_HEADER_LEN; i < size && i < DNS_HEADER_LEN + 260; i++)
			query[i] = data[i];
		qlen = i;
		r = dnswire_parse_query(query, qlen, &q);
		if (r == 0) {
			qlen = DNS_HEADER_LEN + q.question_len;
			if (data[1] & 1) {
				static const uint8_t opt[11] = { 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0 };

				memcpy(query + qlen, opt, sizeof(opt));
				query[qlen + 7] = data[1] & 2 ? 0x80 : 0;
				qlen += sizeof(opt);
			}
			r = dnswire_parse_query(query, qlen, &q);
		}
	}
	if (r != 0) {
		memcpy(query, fixed, sizeof(fixed));
		qlen = sizeof(fixed);
		if (dnswire_parse_query(query, qlen, &q) != 0)
			abort();
	}
	max = size >= 2 && data[1] & 4 ? DNS_TCP_MAX : q.udp_size;
	r = dnswire_adopt(data, size, query, qlen, &q, max, out, sizeof(out), &len);
	if (r == -EBADMSG || r == -EPROTO)
		return;
	if (r != 0)
		abort();
	check(out, len, max);
	if (g16(out) != q.id || memcmp(out + DNS_HEADER_LEN, query + DNS_HEADER_LEN,
				       q.question_len) != 0 ||
	    ((out[3] & 0x0f) != (data[3] & 0x0f) && (out[3] & 0x0f) != DNS_R_SERVFAIL))
		abort();
	/* the DNSSEC records went when DO was clear */
	if (!q.dnssec_ok && !(out[2] & 2)) {
		size_t off = DNS_HEADER_LEN + q.question_len;
		unsigned n = g16(out + 6) + g16(out + 8) + g16(out + 10);

		for (i = 0; i < n; i++) {
			unsigned type;

			off = chk_name(out, len, off, len);
			type = g16(out + off);
			if ((type == DNS_T_RRSIG || type == DNS_T_NSEC || type == DNS_T_NSEC3) &&
			    type != q.qtype)
				abort();
			off += 10 + g16(out + off + 8);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	answer_query(data, size);
	adopt_answer(data, size);
	return 0;
}
