/* DNS wire format for the built-in resolver: parsing clients' queries, building its own
 * answers, and turning an upstream's answer into the client's. Every input is hostile:
 * reads are bounds-checked, name decompression is bounded, nothing is allocated. */
#ifndef WARREN_SERVER_DNS_WIRE_H
#define WARREN_SERVER_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN 12
#define DNS_NAME_TEXT_MAX 253      /* a name as text, no trailing dot */
#define DNS_NAME_WIRE_MAX 255      /* the same name as labels */
#define DNS_UDP_MIN 512            /* without EDNS0 */
#define DNS_EDNS_SIZE 1232         /* the UDP size we advertise and cap at */
#define DNS_TCP_MAX 65535
#define DNS_OPT_LEN 11             /* our OPT record: root name, type, size, ttl, rdlen 0 */
#define DNS_PTR_NAME_MAX 74        /* dnswire_ptr_name's longest name, with the NUL */

/* header flags (the 16 bits after the id) */
#define DNS_F_QR 0x8000
#define DNS_F_OPCODE 0x7800
#define DNS_F_AA 0x0400
#define DNS_F_TC 0x0200
#define DNS_F_RD 0x0100
#define DNS_F_RA 0x0080
#define DNS_F_AD 0x0020
#define DNS_F_CD 0x0010
#define DNS_F_RCODE 0x000f

/* types and classes used */
enum { DNS_T_A = 1, DNS_T_NS = 2, DNS_T_CNAME = 5, DNS_T_SOA = 6, DNS_T_PTR = 12, DNS_T_MX = 15,
       DNS_T_TXT = 16, DNS_T_AAAA = 28, DNS_T_SRV = 33, DNS_T_OPT = 41, DNS_T_DS = 43,
       DNS_T_RRSIG = 46, DNS_T_NSEC = 47, DNS_T_DNSKEY = 48, DNS_T_NSEC3 = 50, DNS_T_HTTPS = 65,
       DNS_T_ANY = 255 };
enum { DNS_C_IN = 1, DNS_C_CH = 3 };
enum { DNS_R_NOERROR = 0, DNS_R_FORMERR = 1, DNS_R_SERVFAIL = 2, DNS_R_NXDOMAIN = 3,
       DNS_R_NOTIMP = 4, DNS_R_REFUSED = 5 };
/* Extended rcodes (> 15) go into the OPT record, so only to a client with EDNS. */
enum { DNS_R_BADVERS = 16 };
enum dns_section { DNS_S_ANSWER, DNS_S_AUTHORITY, DNS_S_ADDITIONAL };

struct dns_query {
	uint16_t id;
	uint16_t flags;            /* the query's header flags as sent (RD, CD, opcode ...) */
	char name[DNS_NAME_TEXT_MAX + 1];   /* lower case, no trailing dot; "" is the root */
	size_t name_len;
	uint16_t qtype, qclass;
	bool edns;                 /* an OPT record was present */
	/* what the client can take over UDP: 512 without EDNS, else
	 * max(512, min(its size, DNS_EDNS_SIZE)) */
	uint16_t udp_size;
	bool dnssec_ok;            /* the DO bit */
	uint8_t edns_version;      /* not 0: answer DNS_R_BADVERS (RFC 6891 6.1.3) */
	size_t question_len;       /* bytes of the question section (name + type + class) as sent */
};

/* Parse a query. 0; -EBADMSG when it cannot be answered at all (shorter than a header, QR
 * set): drop it; -EPROTO when a FORMERR is the answer (qdcount != 1, a bad name: label >
 * 63, name > 255 wire bytes, a compression pointer or reserved label type in the question,
 * a byte not allowed in a label; the question or a record the counts promise cut short; an
 * OPT not at the root or a second OPT); -EOPNOTSUPP when NOTIMP is (opcode not QUERY).
 * Bytes after the records the counts promise are tolerated. For -EPROTO/-EOPNOTSUPP
 * q->id and q->flags are filled so an error answer can be made; q->question_len is 0
 * there unless the question parsed (it may, for -EOPNOTSUPP), and q->edns, q->udp_size,
 * q->dnssec_ok hold what was found (no OPT: 512).
 * Labels may hold any byte from 0x21 to 0x7e but '.'; upper case letters are folded to
 * lower case; any other byte is -EPROTO. So a name's text needs no escapes. */
int dnswire_parse_query(const uint8_t *pkt, size_t len, struct dns_query *q);

/* Building an answer into a caller's buffer, names compressed. */
struct dns_builder {
	uint8_t *buf;
	size_t cap;                /* bytes of buf */
	/* the answer may not exceed this (q->udp_size over UDP, 65535 over TCP) */
	size_t max;
	size_t len;
	uint16_t counts[3];
	/* an RR did not fit: TC is set, the section's partial RRset is dropped */
	bool truncated;
	/* private: compression offsets of names written so far */
	uint16_t comp_off[32];
	unsigned n_comp;
	bool edns;                 /* an OPT goes at the end (the query had one) */
	/* private: the rest */
	uint32_t comp_hash[32];    /* of each suffix at comp_off, lower case */
	bool dnssec_ok;
	bool tc;                   /* truncated in the answer or authority section */
	unsigned rcode;
	size_t limit;              /* min(cap, max), less the OPT */
	int sect;                  /* the section written last */
	size_t set_start;          /* where the RRset written last begins */
	uint16_t set_type, set_count;
	unsigned set_comp;         /* n_comp before it */
};
/* Header (id, QR, opcode, RD and CD copied from q, RA set, AA as given, rcode) and the
 * question (q->name as parsed, lower case) echoed; no question when q->question_len is 0.
 * An rcode > 15 puts its high bits into the OPT (q->edns). cap must be at least
 * DNS_HEADER_LEN; when the question does not fit, the answer is a header with TC. */
void dnsbuild_start(struct dns_builder *b, uint8_t *buf, size_t cap, size_t max,
		    const struct dns_query *q, unsigned rcode, bool aa);
/* The same, but the question is the query's own bytes (pkt, as q was parsed from), so a
 * client that varies the case of its names (0x20) sees its spelling back, and owner names
 * compressed against the question take it too. */
void dnsbuild_start_query(struct dns_builder *b, uint8_t *buf, size_t cap, size_t max,
			  const struct dns_query *q, const uint8_t *pkt, unsigned rcode, bool aa);
/* Append one RR. Each returns 0, or -ENOSPC when it did not fit (b->truncated set; later
 * calls fail too; the RRs of the same name and type just before it in the section are
 * taken out again), -EINVAL for a name that is not one (empty label, label > 63, > 253
 * characters) or a section before one already written (RRs go in section order).
 * name is text (no trailing dot; "" is the root). Running out of room in the additional
 * section does not set TC (RFC 2181 9), only b->truncated. */
int dnsbuild_a(struct dns_builder *b, enum dns_section s, const char *name, uint32_t ttl,
	       const uint8_t addr[4]);
int dnsbuild_aaaa(struct dns_builder *b, enum dns_section s, const char *name, uint32_t ttl,
		  const uint8_t addr[16]);
/* CNAME, PTR, NS */
int dnsbuild_name(struct dns_builder *b, enum dns_section s, const char *name, uint16_t type,
		  uint32_t ttl, const char *target);
/* split into 255-byte strings; "" is one empty string */
int dnsbuild_txt(struct dns_builder *b, enum dns_section s, const char *name, uint32_t ttl,
		 const char *text);
int dnsbuild_srv(struct dns_builder *b, enum dns_section s, const char *name, uint32_t ttl,
		 uint16_t prio, uint16_t weight, uint16_t port, const char *target);
int dnsbuild_soa(struct dns_builder *b, enum dns_section s, const char *zone, uint32_t ttl,
		 const char *mname, const char *rname, uint32_t serial, uint32_t refresh,
		 uint32_t retry, uint32_t expire, uint32_t minimum);
/* Counts written, the OPT (our DNS_EDNS_SIZE, DO echoed) added when the query had EDNS,
 * TC set if truncated. Returns the length. */
/* (Calling it again returns the same; no RR may be added after it. The OPT is then
 * counted in counts[DNS_S_ADDITIONAL].) */
size_t dnsbuild_finish(struct dns_builder *b);
/* An answer with no records: header + question (+ OPT); for FORMERR of an unparsable
 * question, the question is omitted (qdcount 0); it is also omitted when q->question_len
 * is 0. The length, or 0 when cap is shorter than a header. */
size_t dnswire_error(uint8_t *buf, size_t cap, const struct dns_query *q, unsigned rcode,
		     bool with_question);

/* Make an upstream's answer (from libunbound: its own id, its question) the client's: into out
 * (cap bytes), with the client's id, the client's question bytes (copied from query, same length
 * since the names differ only by case; if the answer's question name differs otherwise: -EPROTO),
 * RD/CD from the client, the answer's rcode and records. When the client did not set DO, RRSIG,
 * NSEC, NSEC3 records of the answer/authority sections are left out (RFC 3225; only of types the
 * client did not ask for). The answer's OPT is replaced by ours (or dropped if the client had no
 * EDNS). If the result is longer than max: a truncated answer (TC, header + question + OPT only).
 * Answer sections are walked record by record with bounds checks (compressed names in the
 * answer may point anywhere before them; re-compress or copy with pointer rewriting: your choice,
 * but the output must be valid). 0 and *out_len, or -EBADMSG for an answer that does not parse. */
/* Details: names are decompressed and compressed again (pointers of the answer must point
 * backwards); names inside the rdata of RFC 1035 types are compressed, those of SRV, NAPTR,
 * DNAME, ... written in full, other rdata copied. DO clear: the DNSSEC records go from the
 * additional section too, and AD is cleared unless the client set AD. The answer's QR must
 * be set and its qdcount 0 or 1; a question of another type or class is -EPROTO as well.
 * -ENOSPC when cap cannot hold even the truncated answer; -EINVAL when q has no question
 * (q->question_len 0) or qlen is shorter than it. out must not overlap answer. */
int dnswire_adopt(const uint8_t *answer, size_t alen, const uint8_t *query, size_t qlen,
		  const struct dns_query *q, size_t max, uint8_t *out, size_t cap, size_t *out_len);

/* Reverse names: "4.3.2.1.in-addr.arpa" -> family AF_INET, addr 1.2.3.4; nibble form for
 * ip6.arpa. 0, or -EINVAL if not a full reverse name of an address. Either case; octets
 * are 0-255 without leading zeros. */
int dnswire_ptr_parse(const char *name, int *family, uint8_t addr[16]);
/* And back: writes "d.c.b.a.in-addr.arpa" or the 32-nibble ip6.arpa name into buf (>= 74
 * bytes); "" when size is too small or the family is neither AF_INET nor AF_INET6. */
void dnswire_ptr_name(int family, const uint8_t *addr, char *buf, size_t size);
/* Is name equal to zone or below it (text, lower case)? Any name is below the root (""). */
bool dnswire_name_under(const char *name, size_t len, const char *zone, size_t zlen);

/* Text (len bytes, no trailing dot, "" the root) to labels in out. The wire length, or
 * -EINVAL (empty label, label > 63, longer than DNS_NAME_TEXT_MAX), -ENOSPC (cap). */
int dnswire_name_pack(const char *name, size_t len, uint8_t *out, size_t cap);
/* The name at *off of pkt (len bytes) as lower case text into text (at least
 * DNS_NAME_TEXT_MAX + 1 bytes), *text_len set, *off moved past it. Pointers must point
 * backwards, at most 127 of them. 0, -EBADMSG (malformed, cut short, loops, > 255 bytes)
 * or -EINVAL (a byte dnswire_parse_query would not take, so no text for it). */
int dnswire_name_unpack(const uint8_t *pkt, size_t len, size_t *off, char *text,
			size_t *text_len);

/* The rcode of a message at least DNS_HEADER_LEN long (without the OPT's high bits). */
static inline unsigned dnswire_rcode(const uint8_t *pkt)
{
	return pkt[3] & 0x0f;
}

#endif
