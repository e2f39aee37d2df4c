/* DNS wire format: clients' queries parsed, our answers built, upstream answers made the
 * client's; bounds-checked, bounded name decompression, no allocation. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "server/dns/wire.h"

#define MAX_HOPS 127
#define COMP_MAX_OFF 0x4000        /* a pointer holds 14 bits */
#define ADOPT_COMP 256
#define HASH_SEED 2166136261u

enum { T_MD = 3, T_MF = 4, T_MB = 7, T_MG = 8, T_MR = 9, T_MINFO = 14, T_RP = 17,
       T_AFSDB = 18, T_RT = 21, T_PX = 26, T_NAPTR = 35, T_KX = 36, T_DNAME = 39 };

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* What a label may hold so that its text needs no escapes. */
static inline bool label_byte_ok(uint8_t c)
{
	return c > 0x20 && c < 0x7f && c != '.';
}

/* Reads the name at *off: labels in pkt up to end (a record's rdata), after a pointer
 * anywhere in the len bytes before. Each pointer must point before where the last one
 * went (or the name began) and past the header, so every chain ends; at most MAX_HOPS.
 * Writes the name uncompressed (case kept) to w; its length, or -EBADMSG. */
static int name_read(const uint8_t *pkt, size_t len, size_t end, size_t *off, uint8_t *w)
{
	size_t pos = *off, seg = *off, after = 0, lim = end, n = 0;
	unsigned hops = 0;

	for (;;) {
		uint8_t c;

		if (pos >= lim)
			return -EBADMSG;
		c = pkt[pos];
		if (c == 0) {
			w[n++] = 0;
			pos++;
			break;
		}
		if ((c & 0xc0) == 0xc0) {
			size_t t;

			if (pos + 1 >= lim)
				return -EBADMSG;
			t = (size_t)(c & 0x3f) << 8 | pkt[pos + 1];
			if (t >= seg || t < DNS_HEADER_LEN || hops == MAX_HOPS)
				return -EBADMSG;
			if (hops++ == 0)
				after = pos + 2;
			seg = pos = t;
			lim = len;
			continue;
		}
		if (c & 0xc0)
			return -EBADMSG;
		if (pos + 1 + c > lim || n + 1 + c + 1 > DNS_NAME_WIRE_MAX)
			return -EBADMSG;
		memcpy(w + n, pkt + pos, 1 + (size_t)c);
		n += 1 + (size_t)c;
		pos += 1 + (size_t)c;
	}
	*off = hops ? after : pos;
	return (int)n;
}

/* Moves *off past a name without following its pointer. 0 or -EPROTO. */
static int name_skip(const uint8_t *pkt, size_t len, size_t *off)
{
	size_t pos = *off, n = 0;

	for (;;) {
		uint8_t c;

		if (pos >= len)
			return -EPROTO;
		c = pkt[pos];
		if (c == 0) {
			pos++;
			break;
		}
		if ((c & 0xc0) == 0xc0) {
			if (pos + 2 > len)
				return -EPROTO;
			pos += 2;
			break;
		}
		if (c & 0xc0)
			return -EPROTO;
		n += 1 + (size_t)c;
		if (n + 1 > DNS_NAME_WIRE_MAX)
			return -EPROTO;
		pos += 1 + (size_t)c;
	}
	*off = pos;
	return 0;
}

static uint32_t hash_label(uint32_t h, const uint8_t *l)
{
	unsigned i;

	h = (h ^ l[0]) * 16777619u;
	for (i = 1; i <= l[0]; i++)
		h = (h ^ lower(l[i])) * 16777619u;
	return h;
}

/* Is the (possibly compressed) name at off of buf, which we wrote, the uncompressed w? */
static bool name_eq_at(const uint8_t *buf, size_t off, const uint8_t *w)
{
	unsigned hops = 0, i;

	for (;;) {
		uint8_t c = buf[off];

		if ((c & 0xc0) == 0xc0) {
			if (++hops > MAX_HOPS)
				return false;
			off = (size_t)(c & 0x3f) << 8 | buf[off + 1];
			continue;
		}
		if (c != *w)
			return false;
		if (c == 0)
			return true;
		for (i = 1; i <= c; i++)
			if (lower(buf[off + i]) != lower(w[i]))
				return false;
		off += 1 + (size_t)c;
		w += 1 + (size_t)c;
	}
}

/* The offsets of names (and their suffixes) written so far, with a hash of each. */
struct comp {
	uint16_t *off;
	uint32_t *hash;
	unsigned n, max;
};

/* Label starts of w and the hash of each suffix (h[nl] is the root's). Their count. */
static unsigned name_labels(const uint8_t *w, uint8_t starts[128], uint32_t h[129])
{
	unsigned nl = 0, k, i;

	for (i = 0; w[i]; i += 1u + w[i])
		starts[nl++] = (uint8_t)i;
	h[nl] = HASH_SEED;
	for (k = nl; k-- > 0;)
		h[k] = hash_label(h[k + 1], w + starts[k]);
	return nl;
}

static void comp_add(struct comp *c, size_t base, const uint8_t *starts, const uint32_t *h,
		     unsigned upto)
{
	unsigned k;

	for (k = 0; k < upto && c->n < c->max; k++) {
		if (base + starts[k] >= COMP_MAX_OFF)
			break;
		c->off[c->n] = (uint16_t)(base + starts[k]);
		c->hash[c->n++] = h[k];
	}
}

/* Appends the uncompressed name w (wn bytes) at buf + *len, no further than limit,
 * pointing at the longest suffix already written when compress; what it writes anew
 * becomes a target for later names either way. 0 or -ENOSPC. */
static int name_write(uint8_t *buf, size_t *len, size_t limit, struct comp *c,
		      const uint8_t *w, size_t wn, bool compress)
{
	uint8_t starts[128];
	uint32_t h[129];
	unsigned nl = name_labels(w, starts, h), k, j, match = nl;
	size_t plen, moff = 0;

	for (k = 0; compress && k < nl && match == nl; k++)
		for (j = 0; j < c->n; j++)
			if (c->hash[j] == h[k] && name_eq_at(buf, c->off[j], w + starts[k])) {
				match = k;
				moff = c->off[j];
				break;
			}
	plen = match < nl ? starts[match] : wn - 1;
	if (*len + plen + (match < nl ? 2 : 1) > limit)
		return -ENOSPC;
	memcpy(buf + *len, w, plen);
	comp_add(c, *len, starts, h, match);
	*len += plen;
	if (match < nl) {
		put16(buf + *len, 0xc000 | (unsigned)moff);
		*len += 2;
	} else {
		buf[(*len)++] = 0;
	}
	return 0;
}

int dnswire_name_pack(const char *name, size_t len, uint8_t *out, size_t cap)
{
	size_t i, lab = 0;

	if (len && name[len - 1] == '.')
		len--;
	if (len > DNS_NAME_TEXT_MAX)
		return -EINVAL;
	if (len == 0) {
		if (cap < 1)
			return -ENOSPC;
		out[0] = 0;
		return 1;
	}
	if (cap < len + 2)
		return -ENOSPC;
	/* character i goes to out[i + 1]; a dot there becomes the next label's length */
	for (i = 0; i < len; i++) {
		if (name[i] != '.') {
			out[i + 1] = (uint8_t)name[i];
			continue;
		}
		if (i == lab || i - lab > 63)
			return -EINVAL;
		out[lab] = (uint8_t)(i - lab);
		lab = i + 1;
	}
	if (i == lab || i - lab > 63)
		return -EINVAL;
	out[lab] = (uint8_t)(i - lab);
	out[len + 1] = 0;
	return (int)(len + 2);
}

/* Labels to text, lower case; -EINVAL for a byte text cannot carry unescaped. */
static int wire_to_text(const uint8_t *w, char *text, size_t *text_len)
{
	size_t t = 0, i;

	for (; *w; w += 1u + *w) {
		if (t)
			text[t++] = '.';
		for (i = 1; i <= *w; i++) {
			if (!label_byte_ok(w[i]))
				return -EINVAL;
			text[t++] = (char)lower(w[i]);
		}
	}
	text[t] = '\0';
	*text_len = t;
	return 0;
}

int dnswire_name_unpack(const uint8_t *pkt, size_t len, size_t *off, char *text,
			size_t *text_len)
{
	uint8_t w[DNS_NAME_WIRE_MAX];
	size_t pos = *off;
	int r = name_read(pkt, len, len, &pos, w);

	if (r < 0)
		return r;
	r = wire_to_text(w, text, text_len);
	if (r < 0)
		return r;
	*off = pos;
	return 0;
}

/* The question's name: no pointers, only bytes label_byte_ok takes. */
static int query_name(const uint8_t *pkt, size_t len, size_t *off, struct dns_query *q)
{
	size_t pos = *off, wn = 0, t = 0, i;

	for (;;) {
		uint8_t c;

		if (pos >= len)
			return -EPROTO;
		c = pkt[pos++];
		if (c == 0)
			break;
		if (c > 63)
			return -EPROTO;
		wn += 1 + (size_t)c;
		if (wn + 1 > DNS_NAME_WIRE_MAX || pos + c > len)
			return -EPROTO;
		if (t)
			q->name[t++] = '.';
		for (i = 0; i < c; i++) {
			uint8_t b = pkt[pos + i];

			if (!label_byte_ok(b))
				return -EPROTO;
			q->name[t++] = (char)lower(b);
		}
		pos += c;
	}
	q->name[t] = '\0';
	q->name_len = t;
	*off = pos;
	return 0;
}

static int query_question(const uint8_t *pkt, size_t len, size_t *pos, struct dns_query *q)
{
	size_t start = *pos;
	int r = query_name(pkt, len, pos, q);

	if (r < 0 || *pos + 4 > len) {
		q->name[0] = '\0';
		q->name_len = 0;
		return -EPROTO;
	}
	q->qtype = get16(pkt + *pos);
	q->qclass = get16(pkt + *pos + 2);
	*pos += 4;
	q->question_len = *pos - start;
	return 0;
}

int dnswire_parse_query(const uint8_t *pkt, size_t len, struct dns_query *q)
{
	unsigned an, ns, ar, i;
	size_t pos = DNS_HEADER_LEN;

	q->id = 0;
	q->flags = 0;
	q->name[0] = '\0';
	q->name_len = 0;
	q->qtype = q->qclass = 0;
	q->edns = false;
	q->udp_size = DNS_UDP_MIN;
	q->dnssec_ok = false;
	q->edns_version = 0;
	q->question_len = 0;
	if (len < DNS_HEADER_LEN)
		return -EBADMSG;
	q->id = get16(pkt);
	q->flags = get16(pkt + 2);
	if (q->flags & DNS_F_QR)
		return -EBADMSG;
	if (q->flags & DNS_F_OPCODE) {
		if (get16(pkt + 4) == 1 && query_question(pkt, len, &pos, q) < 0)
			q->question_len = 0;
		return -EOPNOTSUPP;
	}
	if (get16(pkt + 4) != 1)
		return -EPROTO;
	if (query_question(pkt, len, &pos, q) < 0)
		return -EPROTO;
	an = get16(pkt + 6);
	ns = get16(pkt + 8);
	ar = get16(pkt + 10);
	for (i = 0; i < an + ns + ar; i++) {
		size_t name = pos;
		uint16_t type, rdlen;

		if (name_skip(pkt, len, &pos) < 0 || pos + 10 > len)
			return -EPROTO;
		type = get16(pkt + pos);
		rdlen = get16(pkt + pos + 8);
		if (pos + 10 + rdlen > len)
			return -EPROTO;
		if (type == DNS_T_OPT && i >= an + ns) {
			uint16_t size = get16(pkt + pos + 2);

			if (q->edns || pos != name + 1)
				return -EPROTO;
			q->edns = true;
			q->udp_size = size < DNS_UDP_MIN ? DNS_UDP_MIN :
				      size > DNS_EDNS_SIZE ? DNS_EDNS_SIZE : size;
			q->edns_version = pkt[pos + 5];
			q->dnssec_ok = pkt[pos + 6] & 0x80;
		}
		pos += 10 + (size_t)rdlen;
	}
	return 0;
}

/* Builder */

static void build_begin(struct dns_builder *b, uint8_t *buf, size_t cap, size_t max,
			const struct dns_query *q, const uint8_t *qwire, size_t wn, unsigned rcode,
			bool aa)
{
	size_t limit = cap < max ? cap : max;
	unsigned flags;

	if (limit > DNS_TCP_MAX)
		limit = DNS_TCP_MAX;
	memset(b->counts, 0, sizeof(b->counts));
	b->buf = buf;
	b->cap = cap;
	b->max = max;
	b->len = 0;
	b->n_comp = 0;
	b->truncated = b->tc = false;
	b->edns = q->edns;
	b->dnssec_ok = q->dnssec_ok;
	b->rcode = rcode;
	b->sect = DNS_S_ANSWER;
	b->set_start = 0;
	b->set_type = b->set_count = 0;
	b->set_comp = 0;
	if (b->edns) {
		if (limit >= DNS_HEADER_LEN + DNS_OPT_LEN)
			limit -= DNS_OPT_LEN;
		else
			b->edns = false;
	}
	b->limit = limit;
	if (cap < DNS_HEADER_LEN) {
		b->truncated = true;
		b->limit = 0;
		return;
	}
	flags = DNS_F_QR | (q->flags & (DNS_F_OPCODE | DNS_F_RD | DNS_F_CD)) | DNS_F_RA |
		(aa ? DNS_F_AA : 0) | (rcode & DNS_F_RCODE);
	put16(buf, q->id);
	put16(buf + 2, flags);
	memset(buf + 4, 0, DNS_HEADER_LEN - 4);
	b->len = DNS_HEADER_LEN;
	if (!qwire)
		return;
	{
		struct comp c = { b->comp_off, b->comp_hash, 0, 32 };

		if (name_write(buf, &b->len, limit, &c, qwire, wn, false) < 0 ||
		    b->len + 4 > limit) {
			b->len = DNS_HEADER_LEN;
			b->truncated = b->tc = true;
			return;
		}
		b->n_comp = c.n;
		put16(buf + b->len, q->qtype);
		put16(buf + b->len + 2, q->qclass);
		b->len += 4;
		put16(buf + 4, 1);
	}
	b->set_start = b->len;
	b->set_comp = b->n_comp;
}

void dnsbuild_start(struct dns_builder *b, uint8_t *buf, size_t cap, size_t max,
		    const struct dns_query *q, unsigned rcode, bool aa)
{
	uint8_t w[DNS_NAME_WIRE_MAX];
	int wn = q->question_len ? dnswire_name_pack(q->name, q->name_len, w, sizeof(w)) : -1;

	build_begin(b, buf, cap, max, q, wn < 0 ? NULL : w, wn < 0 ? 0 : (size_t)wn, rcode, aa);
}

void dnsbuild_start_query(struct dns_builder *b, uint8_t *buf, size_t cap, size_t max,
			  const struct dns_query *q, const uint8_t *pkt, unsigned rcode, bool aa)
{
	const uint8_t *w = q->question_len > 4 ? pkt + DNS_HEADER_LEN : NULL;

	build_begin(b, buf, cap, max, q, w, w ? q->question_len - 4 : 0, rcode, aa);
}

/* Out of room: the RRset being written goes, and everything after it. */
static int build_full(struct dns_builder *b, enum dns_section s)
{
	b->truncated = true;
	if (s != DNS_S_ADDITIONAL)
		b->tc = true;
	b->len = b->set_start;
	b->n_comp = b->set_comp;
	b->counts[s] = (uint16_t)(b->counts[s] - b->set_count);
	b->set_count = 0;
	return -ENOSPC;
}

static int rr_check(const struct dns_builder *b, enum dns_section s)
{
	if (b->truncated)
		return -ENOSPC;
	if ((unsigned)s > DNS_S_ADDITIONAL || (int)s < b->sect)
		return -EINVAL;
	return 0;
}

/* Owner, type, class, ttl and a zero rdlen; *rd is where the rdlen goes. */
static int rr_open(struct dns_builder *b, enum dns_section s, const uint8_t *owner,
		   size_t on, uint16_t type, uint32_t ttl, size_t *rd)
{
	struct comp c = { b->comp_off, b->comp_hash, b->n_comp, 32 };

	if (!(b->set_count && (int)s == b->sect && type == b->set_type &&
	      name_eq_at(b->buf, b->set_start, owner))) {
		b->set_start = b->len;
		b->set_type = type;
		b->set_count = 0;
		b->set_comp = b->n_comp;
	}
	b->sect = (int)s;
	if (name_write(b->buf, &b->len, b->limit, &c, owner, on, true) < 0 ||
	    b->len + 10 > b->limit)
		return build_full(b, s);
	b->n_comp = c.n;
	put16(b->buf + b->len, type);
	put16(b->buf + b->len + 2, DNS_C_IN);
	put32(b->buf + b->len + 4, ttl);
	*rd = b->len + 8;
	b->len += 10;
	return 0;
}

static int rr_close(struct dns_builder *b, enum dns_section s, size_t rd)
{
	put16(b->buf + rd, (unsigned)(b->len - rd - 2));
	b->counts[s]++;
	b->set_count++;
	return 0;
}

static bool rr_put(struct dns_builder *b, const void *p, size_t n)
{
	if (b->len + n > b->limit)
		return false;
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	return true;
}

static bool rr_name(struct dns_builder *b, const uint8_t *w, size_t wn, bool compress)
{
	struct comp c = { b->comp_off, b->comp_hash, b->n_comp, 32 };

	if (name_write(b->buf, &b->len, b->limit, &c, w, wn, compress) < 0)
		return false;
	b->n_comp = c.n;
	return true;
}

static int pack(const char *name, uint8_t *w)
{
	return dnswire_name_pack(name, strlen(name), w, DNS_NAME_WIRE_MAX);
}

static int rr_fixed(struct dns_builder *b, enum dns_section s, const char *name, uint16_t type,
		    uint32_t ttl, const void *rdata, size_t n)
{
	uint8_t w[DNS_NAME_WIRE_MAX];
	int r = rr_check(b, s), wn;
	size_t rd;

	if (r < 0)
		return r;
	wn = pack(name, w);
	if (wn < 0)
		return -EINVAL;
	r = rr_open(b, s, w, (size_t)wn, type, ttl, &rd);
	if (r < 0)
		return r;
	if (!rr_put(b, rdata, n))
		return build_full(b, s);
	return rr_close(b, s, rd);
}

int dnsbuild_a(struct dns_builder *b, enum dns_section s, const char *name, uint32_t ttl,
	       const uint8_t addr[4])
{
	return rr_fixed(b, s, name, DNS_T_A, ttl, addr, 4);
}

int dnsbuild_aaaa(struct dns_builder *b, enum dns_section s, const char *name, uint32_t ttl,
		  const uint8_t addr[16])
{
	return rr_fixed(b, s, name, DNS_T_AAAA, ttl, addr, 16);
}

int dnsbuild_name(struct dns_builder *b, enum dns_section s, const char *name, uint16_t type,
		  uint32_t ttl, const char *target)
{
	uint8_t w[DNS_NAME_WIRE_MAX], t[DNS_NAME_WIRE_MAX];
	int r = rr_check(b, s), wn, tn;
	size_t rd;

	if (r < 0)
		return r;
	wn = pack(name, w);
	tn = pack(target, t);
	if (wn < 0 || tn < 0)
		return -EINVAL;
	r = rr_open(b, s, w, (size_t)wn, type, ttl, &rd);
	if (r < 0)
		return r;
	if (!rr_name(b, t, (size_t)tn, true))
		return build_full(b, s);
	return rr_close(b, s, rd);
}

int dnsbuild_txt(struct dns_builder *b, enum dns_section s, const char *name, uint32_t ttl,
		 const char *text)
{
	uint8_t w[DNS_NAME_WIRE_MAX];
	int r = rr_check(b, s), wn;
	size_t rd, len = strlen(text), done = 0;

	if (r < 0)
		return r;
	wn = pack(name, w);
	if (wn < 0)
		return -EINVAL;
	r = rr_open(b, s, w, (size_t)wn, DNS_T_TXT, ttl, &rd);
	if (r < 0)
		return r;
	do {
		size_t n = len - done > 255 ? 255 : len - done;
		uint8_t l = (uint8_t)n;

		if (!rr_put(b, &l, 1) || !rr_put(b, text + done, n))
			return build_full(b, s);
		done += n;
	} while (done < len);
	return rr_close(b, s, rd);
}

int dnsbuild_srv(struct dns_builder *b, enum dns_section s, const char *name, uint32_t ttl,
		 uint16_t prio, uint16_t weight, uint16_t port, const char *target)
{
	uint8_t w[DNS_NAME_WIRE_MAX], t[DNS_NAME_WIRE_MAX], fixed[6];
	int r = rr_check(b, s), wn, tn;
	size_t rd;

	if (r < 0)
		return r;
	wn = pack(name, w);
	tn = pack(target, t);
	if (wn < 0 || tn < 0)
		return -EINVAL;
	put16(fixed, prio);
	put16(fixed + 2, weight);
	put16(fixed + 4, port);
	r = rr_open(b, s, w, (size_t)wn, DNS_T_SRV, ttl, &rd);
	if (r < 0)
		return r;
	/* RFC 2782: the target is not compressed */
	if (!rr_put(b, fixed, 6) || !rr_name(b, t, (size_t)tn, false))
		return build_full(b, s);
	return rr_close(b, s, rd);
}

int dnsbuild_soa(struct dns_builder *b, enum dns_section s, const char *zone, uint32_t ttl,
		 const char *mname, const char *rname, uint32_t serial, uint32_t refresh,
		 uint32_t retry, uint32_t expire, uint32_t minimum)
{
	uint8_t w[DNS_NAME_WIRE_MAX], m[DNS_NAME_WIRE_MAX], rn[DNS_NAME_WIRE_MAX], fixed[20];
	int r = rr_check(b, s), wn, mn, rnn;
	size_t rd;

	if (r < 0)
		return r;
	wn = pack(zone, w);
	mn = pack(mname, m);
	rnn = pack(rname, rn);
	if (wn < 0 || mn < 0 || rnn < 0)
		return -EINVAL;
	put32(fixed, serial);
	put32(fixed + 4, refresh);
	put32(fixed + 8, retry);
	put32(fixed + 12, expire);
	put32(fixed + 16, minimum);
	r = rr_open(b, s, w, (size_t)wn, DNS_T_SOA, ttl, &rd);
	if (r < 0)
		return r;
	if (!rr_name(b, m, (size_t)mn, true) || !rr_name(b, rn, (size_t)rnn, true) ||
	    !rr_put(b, fixed, 20))
		return build_full(b, s);
	return rr_close(b, s, rd);
}

/* Our OPT: the size we take, extended rcode bits, version 0, DO as asked. */
static void opt_write(uint8_t *p, unsigned rcode, bool dnssec_ok)
{
	p[0] = 0;
	put16(p + 1, DNS_T_OPT);
	put16(p + 3, DNS_EDNS_SIZE);
	p[5] = (uint8_t)(rcode >> 4);
	p[6] = 0;
	put16(p + 7, dnssec_ok ? 0x8000 : 0);
	put16(p + 9, 0);
}

size_t dnsbuild_finish(struct dns_builder *b)
{
	if (b->cap < DNS_HEADER_LEN)
		return 0;
	/* once: the OPT is then one of the additional records */
	if (b->edns && b->len + DNS_OPT_LEN <= b->cap) {
		opt_write(b->buf + b->len, b->rcode, b->dnssec_ok);
		b->len += DNS_OPT_LEN;
		b->counts[DNS_S_ADDITIONAL]++;
		b->edns = false;
	}
	put16(b->buf + 6, b->counts[DNS_S_ANSWER]);
	put16(b->buf + 8, b->counts[DNS_S_AUTHORITY]);
	put16(b->buf + 10, b->counts[DNS_S_ADDITIONAL]);
	if (b->tc)
		b->buf[2] |= DNS_F_TC >> 8;
	return b->len;
}

size_t dnswire_error(uint8_t *buf, size_t cap, const struct dns_query *q, unsigned rcode,
		     bool with_question)
{
	struct dns_builder b;
	struct dns_query qq;

	if (with_question) {
		dnsbuild_start(&b, buf, cap, cap, q, rcode, false);
	} else {
		qq = *q;
		qq.question_len = 0;
		dnsbuild_start(&b, buf, cap, cap, &qq, rcode, false);
	}
	return dnsbuild_finish(&b);
}

/* Adopting an upstream's answer */

/* The rdata of type as fields: 'c' a name to compress, 'u' a name written in full,
 * 's' a character-string, '2' '4' '6' fixed bytes, 'S' SOA's 20; NULL: copied as is. */
static const char *rdata_layout(uint16_t type)
{
	switch (type) {
	case DNS_T_NS: case DNS_T_CNAME: case DNS_T_PTR:
	case T_MD: case T_MF: case T_MB: case T_MG: case T_MR:
		return "c";
	case DNS_T_SOA:
		return "ccS";
	case DNS_T_MX:
		return "2c";
	case T_MINFO:
		return "cc";
	case T_RP:
		return "uu";
	case T_AFSDB: case T_RT: case T_KX:
		return "2u";
	case DNS_T_SRV:
		return "6u";
	case T_PX:
		return "2uu";
	case T_NAPTR:
		return "4sssu";
	case T_DNAME:
		return "u";
	default:
		return NULL;
	}
}

/* Copies the rdata at rd (rdlen bytes) of a record of type to out + *olen, names
 * decompressed and written again; with no out only checked. -EBADMSG (it does not parse)
 * or -ENOSPC. */
static int rdata_copy(const uint8_t *a, size_t alen, size_t rd, size_t rdlen, uint16_t type,
		      uint8_t *out, size_t *olen, size_t limit, struct comp *c)
{
	const char *f = rdata_layout(type);
	size_t p = rd, end = rd + rdlen, n;
	uint8_t w[DNS_NAME_WIRE_MAX];

	if ((type == DNS_T_A && rdlen != 4) || (type == DNS_T_AAAA && rdlen != 16))
		return -EBADMSG;
	if (!f) {
		if (!out)
			return 0;
		if (*olen + rdlen > limit)
			return -ENOSPC;
		memcpy(out + *olen, a + rd, rdlen);
		*olen += rdlen;
		return 0;
	}
	for (; *f; f++) {
		if (*f == 'c' || *f == 'u') {
			int wn = name_read(a, alen, end, &p, w);

			if (wn < 0)
				return wn;
			if (out && name_write(out, olen, limit, c, w, (size_t)wn, *f == 'c') < 0)
				return -ENOSPC;
			continue;
		}
		if (*f == 's')
			n = p < end ? 1u + a[p] : 1;
		else
			n = *f == 'S' ? 20 : (size_t)(*f - '0');
		if (p + n > end)
			return -EBADMSG;
		p += n;
		if (!out)
			continue;
		if (*olen + n > limit)
			return -ENOSPC;
		memcpy(out + *olen, a + p - n, n);
		*olen += n;
	}
	return p == end ? 0 : -EBADMSG;
}

static bool wire_eq(const uint8_t *x, const uint8_t *y, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lower(x[i]) != lower(y[i]))
			return false;
	return true;
}

static bool dnssec_type(uint16_t t)
{
	return t == DNS_T_RRSIG || t == DNS_T_NSEC || t == DNS_T_NSEC3;
}

int dnswire_adopt(const uint8_t *answer, size_t alen, const uint8_t *query, size_t qlen,
		  const struct dns_query *q, size_t max, uint8_t *out, size_t cap, size_t *out_len)
{
	uint16_t offs[ADOPT_COMP];
	uint32_t hashes[ADOPT_COMP];
	struct comp c = { offs, hashes, 0, ADOPT_COMP };
	uint8_t w[DNS_NAME_WIRE_MAX], starts[128];
	uint32_t h[129];
	unsigned counts[3] = { 0 }, total[3], sec, i, aflags, flags, rcode, ext = 0;
	size_t pos = DNS_HEADER_LEN, qwn, olen, limit, opt = q->edns ? DNS_OPT_LEN : 0;
	const uint8_t *qwire = query + DNS_HEADER_LEN;
	bool over = false, had_opt = false;
	int r;

	if (q->question_len < 5 || qlen < DNS_HEADER_LEN + q->question_len)
		return -EINVAL;
	qwn = q->question_len - 4;
	if (alen < DNS_HEADER_LEN)
		return -EBADMSG;
	aflags = get16(answer + 2);
	if (!(aflags & DNS_F_QR) || get16(answer + 4) > 1)
		return -EBADMSG;
	if (get16(answer + 4) == 1) {
		r = name_read(answer, alen, alen, &pos, w);
		if (r < 0 || pos + 4 > alen)
			return -EBADMSG;
		if ((size_t)r != qwn || !wire_eq(w, qwire, qwn) ||
		    memcmp(answer + pos, qwire + qwn, 4) != 0)
			return -EPROTO;
		pos += 4;
	}
	olen = DNS_HEADER_LEN + q->question_len;
	if (cap < olen + opt)
		return -ENOSPC;
	limit = cap < max ? cap : max;
	if (limit > DNS_TCP_MAX)
		limit = DNS_TCP_MAX;
	limit = limit >= olen + opt ? limit - opt : olen;
	memcpy(out + DNS_HEADER_LEN, qwire, q->question_len);
	comp_add(&c, DNS_HEADER_LEN, starts, h, name_labels(qwire, starts, h));

	total[0] = get16(answer + 6);
	total[1] = get16(answer + 8);
	total[2] = get16(answer + 10);
	for (sec = 0; sec < 3; sec++) {
		for (i = 0; i < total[sec]; i++) {
			uint16_t type, rdlen;
			size_t rd, at;
			int wn = name_read(answer, alen, alen, &pos, w);

			if (wn < 0 || pos + 10 > alen)
				return -EBADMSG;
			type = get16(answer + pos);
			rdlen = get16(answer + pos + 8);
			rd = pos + 10;
			if (rd + rdlen > alen)
				return -EBADMSG;
			if (type == DNS_T_OPT) {
				if (!had_opt)
					ext = answer[pos + 4];
				had_opt = true;
				pos = rd + rdlen;
				continue;
			}
			if (!q->dnssec_ok && dnssec_type(type) && type != q->qtype) {
				pos = rd + rdlen;
				continue;
			}
			if (over) {
				/* nothing more is written, but all of it must parse */
				r = rdata_copy(answer, alen, rd, rdlen, type, NULL, NULL, 0, NULL);
				if (r < 0)
					return r;
				pos = rd + rdlen;
				continue;
			}
			r = name_write(out, &olen, limit, &c, w, (size_t)wn, true);
			if (r == 0 && olen + 10 > limit)
				r = -ENOSPC;
			if (r == 0) {
				memcpy(out + olen, answer + pos, 8);
				at = olen + 8;
				olen += 10;
				r = rdata_copy(answer, alen, rd, rdlen, type, out, &olen, limit, &c);
			}
			if (r == -EBADMSG)
				return r;
			if (r == 0) {
				put16(out + at, (unsigned)(olen - at - 2));
				counts[sec]++;
			} else {
				over = true;
				r = rdata_copy(answer, alen, rd, rdlen, type, NULL, NULL, 0, NULL);
				if (r < 0)
					return r;
			}
			pos = rd + rdlen;
		}
	}
	rcode = aflags & DNS_F_RCODE;
	flags = DNS_F_QR | (q->flags & (DNS_F_OPCODE | DNS_F_RD | DNS_F_CD)) | DNS_F_RA |
		(aflags & (DNS_F_AA | DNS_F_TC)) | rcode;
	if ((aflags & DNS_F_AD) && (q->dnssec_ok || (q->flags & DNS_F_AD)))
		flags |= DNS_F_AD;
	if (ext && !q->edns)
		flags = (flags & ~(unsigned)DNS_F_RCODE) | DNS_R_SERVFAIL;
	if (over) {
		olen = DNS_HEADER_LEN + q->question_len;
		memset(counts, 0, sizeof(counts));
		flags |= DNS_F_TC;
	}
	put16(out, q->id);
	put16(out + 2, flags);
	put16(out + 4, 1);
	put16(out + 6, counts[0]);
	put16(out + 8, counts[1]);
	put16(out + 10, counts[2] + (q->edns ? 1 : 0));
	if (q->edns) {
		opt_write(out + olen, ext << 4 | rcode, q->dnssec_ok);
		olen += DNS_OPT_LEN;
	}
	*out_len = olen;
	return 0;
}

/* Reverse names */

static bool suffix_is(const char *name, size_t len, const char *suf, size_t slen)
{
	size_t i;

	if (len < slen)
		return false;
	for (i = 0; i < slen; i++)
		if (lower((uint8_t)name[len - slen + i]) != (uint8_t)suf[i])
			return false;
	return true;
}

static int hexval(char ch)
{
	uint8_t c = lower((uint8_t)ch);

	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int dnswire_ptr_parse(const char *name, int *family, uint8_t addr[16])
{
	static const char v4[] = ".in-addr.arpa", v6[] = ".ip6.arpa";
	size_t len = strlen(name), i, p = 0;

	if (suffix_is(name, len, v4, sizeof(v4) - 1)) {
		size_t n = len - (sizeof(v4) - 1);

		for (i = 0; i < 4; i++) {
			unsigned v = 0, d = 0;

			if (i && (p >= n || name[p++] != '.'))
				return -EINVAL;
			while (p < n && name[p] >= '0' && name[p] <= '9' && d < 4) {
				v = v * 10 + (unsigned)(name[p++] - '0');
				d++;
			}
			if (d == 0 || d > 3 || v > 255 || (d > 1 && name[p - d] == '0'))
				return -EINVAL;
			addr[3 - i] = (uint8_t)v;
		}
		if (p != n)
			return -EINVAL;
		memset(addr + 4, 0, 12);
		*family = AF_INET;
		return 0;
	}
	if (suffix_is(name, len, v6, sizeof(v6) - 1) && len - (sizeof(v6) - 1) == 63) {
		memset(addr, 0, 16);
		for (i = 0; i < 32; i++) {
			int v = hexval(name[2 * i]);

			if (v < 0 || (i < 31 && name[2 * i + 1] != '.'))
				return -EINVAL;
			addr[15 - i / 2] |= (uint8_t)(i % 2 ? v << 4 : v);
		}
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

void dnswire_ptr_name(int family, const uint8_t *addr, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t p = 0;
	int i;

	if (family == AF_INET && size >= sizeof("255.255.255.255.in-addr.arpa")) {
		for (i = 3; i >= 0; i--) {
			unsigned v = addr[i];

			if (v >= 100)
				buf[p++] = (char)('0' + v / 100);
			if (v >= 10)
				buf[p++] = (char)('0' + v / 10 % 10);
			buf[p++] = (char)('0' + v % 10);
			buf[p++] = '.';
		}
		memcpy(buf + p, "in-addr.arpa", sizeof("in-addr.arpa"));
		return;
	}
	if (family == AF_INET6 && size >= 64 + sizeof("ip6.arpa")) {
		for (i = 15; i >= 0; i--) {
			buf[p++] = hex[addr[i] & 15];
			buf[p++] = '.';
			buf[p++] = hex[addr[i] >> 4];
			buf[p++] = '.';
		}
		memcpy(buf + p, "ip6.arpa", sizeof("ip6.arpa"));
		return;
	}
	if (size)
		buf[0] = '\0';
}

bool dnswire_name_under(const char *name, size_t len, const char *zone, size_t zlen)
{
	size_t i;

	if (zlen == 0)
		return true;
	if (len < zlen)
		return false;
	for (i = 0; i < zlen; i++)
		if (lower((uint8_t)name[len - zlen + i]) != lower((uint8_t)zone[i]))
			return false;
	return len == zlen || name[len - zlen - 1] == '.';
}
