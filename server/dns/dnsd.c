/* The resolver at work. One query: parse (wire.c), who sent it (zone_client), its rate,
 * the canaries, the internal zone, the group's filter, the cache, then libunbound; the
 * answer sent and the query logged. Queries for the same key in flight wait on one
 * upstream request. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "dnsd.h"
#include "filter.h"
#include "lists.h"
#include "qlog.h"
#include "upstream.h"
#include "wire.h"
#include "zone.h"
#include "../engine.h"
#include "../server.h"
#include "../../agent/loop.h"
#include "../../common/json.h"
#include "../../common/log.h"
#include "../../common/util.h"

#define SOCKS_MAX 8              /* listening addresses */
#define BATCH 32                 /* datagrams per recvmmsg */
#define TCP_MAX 256              /* connections at once */
#define TCP_IDLE_MS 10000
#define PEND_BUCKETS 4096
#define PEND_MAX 20000           /* upstream requests in flight */
#define WAITERS_MAX 64           /* clients waiting on one request */
#define QBYTES (DNS_HEADER_LEN + DNS_NAME_WIRE_MAX + 4)
/* How often lists' refresh times are looked at: also the least time between two fetches of
 * a list whose URL fails. */
#define LISTS_CHECK_MS (300 * 1000)

/* Names a browser or OS asks to learn whether the network filters DNS: answered as
 * filtered, so encrypted DNS and relays that would bypass the resolver stay off. */
static const char *const canaries[] = {
	"use-application-dns.net",     /* Firefox: DoH off */
	"mask.icloud.com",             /* iCloud Private Relay */
	"mask-h2.icloud.com",
};

struct tcpc {
	int fd;
	uint64_t id;
	uint64_t active_ms;
	uint8_t *rbuf;                 /* 2 + DNS_TCP_MAX */
	size_t rlen;
	uint8_t *wbuf;
	size_t wlen, woff;
	struct sockaddr_storage peer;
	struct dnsd *d;
};

struct waiter {
	bool tcp;
	int fd;                        /* the UDP socket */
	uint64_t conn;                 /* the TCP connection's id */
	struct sockaddr_storage peer;
	socklen_t plen;
	struct dns_query q;
	uint8_t query[QBYTES];         /* header and question as the client sent them */
	size_t qlen;
	int64_t user_id, device_id;
};

struct pend {
	struct pend *next;
	uint64_t hash;
	int handle;
	struct dns_query key;
	struct waiter *w;
	size_t n_w;
	struct dnsd *d;
};

struct usock {
	int fd;
	bool tcp;
	struct dnsd *d;
};

struct dnsd {
	struct server *s;
	struct loop *l;
	struct usock socks[2 * SOCKS_MAX];
	size_t n_socks;
	struct upstream *up;
	struct dns_cache *cache;
	struct zone *zone;
	uint64_t zone_changes;
	uint64_t zone_ms;              /* when it was made */
	bool zone_stale;
	struct filter *filter;
	int64_t source_list[FILTER_SOURCES_MAX];
	struct dns_lists *lists;
	bool lists_building;
	uint64_t lists_check_ms;       /* when the lists' refresh times are looked at next */
	struct qlog *qlog;
	struct timer *tick;
	struct pend *pend[PEND_BUCKETS];
	size_t n_pend;
	struct tcpc *tcp[TCP_MAX];
	size_t n_tcp;
	uint64_t next_conn;
	char domain[DNS_NAME_TEXT_MAX + 1];
	uint32_t ttl;
	bool nxdomain;                 /* blocked_answer = "nxdomain" */
	uint32_t rate, burst;          /* per device, queries per second */
	/* Counters for status. */
	uint64_t queries, answered_local, answered_cache, forwarded, blocked, limited;
	uint64_t servfail, bogus, malformed, tcp_queries;
	uint32_t lists_ms;
	size_t lists_entries;
	/* recvmmsg buffers */
	uint8_t rx[BATCH][DNS_EDNS_SIZE > 4096 ? DNS_EDNS_SIZE : 4096];
	struct sockaddr_storage rx_from[BATCH];
	uint8_t tx[BATCH][DNS_EDNS_SIZE];
	size_t tx_len[BATCH];
};

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- who asked ---- */

static void peer_addr(const struct sockaddr_storage *ss, int *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET) {
		*family = AF_INET;
		memcpy(addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			*family = AF_INET;
			memcpy(addr, &a->s6_addr[12], 4);
		} else {
			*family = AF_INET6;
			memcpy(addr, a, 16);
		}
	}
}

struct records_collect {
	struct db_dns_record *rows;
	size_t n, cap;
};

static int record_collect(const struct db_dns_record *row, void *arg)
{
	struct records_collect *c = arg;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->rows = xrealloc(c->rows, c->cap * sizeof(*c->rows));
	}
	c->rows[c->n++] = *row;
	return 0;
}

/* The zone made again from the account and the records. */
static void zone_refresh(struct dnsd *d)
{
	struct server *s = d->s;
	struct records_collect c = { 0 };
	struct zone_record *recs;
	struct cidrv pools = { 0 }, server = { 0 };
	struct zone *z;

	if (db_dns_record_list(s->db, NULL, record_collect, &c) < 0)
		log_warn("resolver: records: %s", db_errmsg(s->db));
	recs = xcalloc(c.n ? c.n : 1, sizeof(*recs));
	for (size_t i = 0; i < c.n; i++)
		recs[i] = (struct zone_record){ c.rows[i].name, c.rows[i].type, c.rows[i].value,
						 c.rows[i].ttl };
	for (size_t i = 0; i < s->n_pools; i++) {
		struct cidr a;

		cidrv_push(&pools, &s->pools[i].net);
		pool_server_addr(&s->pools[i], &a);
		a.prefix = a.family == AF_INET ? 32 : 128;
		cidrv_push(&server, &a);
	}
	if (zone_build(&s->acct, d->domain, &pools, &server, recs, c.n, d->ttl, &z) == 0) {
		if (d->zone)
			zone_carry(z, d->zone);
		zone_free(d->zone);
		d->zone = z;
	}
	d->zone_changes = s->acct.changes;
	s->names_stale = false;
	d->zone_ms = loop_now_ms();
	d->zone_stale = false;
	cidrv_clear(&pools);
	cidrv_clear(&server);
	free(recs);
	free(c.rows);
}

/* A device over its rate loses the query: one token per query, rate a second, burst at most. */
static bool rate_ok(struct dnsd *d, struct zone_client *c, uint64_t now)
{
	double add;

	if (!c || !d->rate)
		return true;
	if (!c->tokens_ms) {
		c->tokens = d->burst;
		c->tokens_ms = now;
	}
	add = (double)(now - c->tokens_ms) * d->rate / 1000.0;
	if (add > 0) {
		c->tokens = c->tokens + add > d->burst ? d->burst : c->tokens + add;
		c->tokens_ms = now;
	}
	if (c->tokens < 1)
		return false;
	c->tokens -= 1;
	return true;
}

/* ---- the log ---- */

static void log_query(struct dnsd *d, const struct dns_query *q, int64_t user, int64_t device,
		      unsigned rcode, int source, int64_t list_id, uint32_t up_us)
{
	struct qlog_entry e;

	if (!d->qlog)
		return;
	e.time_ms = (int64_t)wall_ms();
	e.user_id = user;
	e.device_id = device;
	snprintf(e.name, sizeof(e.name), "%s", q->name[0] ? q->name : ".");
	e.qtype = q->qtype;
	e.rcode = (uint8_t)rcode;
	e.blocked_by = (int16_t)source;
	e.list_id = list_id;
	e.upstream_us = up_us;
	qlog_add(d->qlog, &e);
}

/* ---- sending ---- */

static void tcp_close(struct dnsd *d, struct tcpc *c);

static void tcp_flush(struct tcpc *c)
{
	while (c->woff < c->wlen) {
		ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			tcp_close(c->d, c);
			return;
		}
		c->woff += (size_t)n;
	}
	if (c->woff == c->wlen)
		c->woff = c->wlen = 0;
	loop_mod_fd(c->d->l, c->fd, EPOLLIN | (c->wlen ? EPOLLOUT : 0));
}

static void tcp_send(struct tcpc *c, const uint8_t *pkt, size_t len)
{
	if (c->wlen + len + 2 > 4 * (DNS_TCP_MAX + 2))
		return;                /* a client that does not read loses answers */
	c->wbuf = xrealloc(c->wbuf, c->wlen + len + 2);
	c->wbuf[c->wlen] = (uint8_t)(len >> 8);
	c->wbuf[c->wlen + 1] = (uint8_t)len;
	memcpy(c->wbuf + c->wlen + 2, pkt, len);
	c->wlen += len + 2;
	tcp_flush(c);
}

static struct tcpc *tcp_find(struct dnsd *d, uint64_t id)
{
	for (size_t i = 0; i < d->n_tcp; i++)
		if (d->tcp[i]->id == id)
			return d->tcp[i];
	return NULL;
}

static void waiter_send(struct dnsd *d, const struct waiter *w, const uint8_t *pkt, size_t len)
{
	if (w->tcp) {
		struct tcpc *c = tcp_find(d, w->conn);

		if (c)
			tcp_send(c, pkt, len);
	} else {
		sendto(w->fd, pkt, len, MSG_DONTWAIT, (const struct sockaddr *)&w->peer, w->plen);
	}
}

/* ---- answering ---- */

static bool is_canary(const struct dns_query *q)
{
	for (size_t i = 0; i < ARRAY_SIZE(canaries); i++)
		if (dnswire_name_under(q->name, q->name_len, canaries[i], strlen(canaries[i])))
			return true;
	return false;
}

static size_t answer_blocked(struct dnsd *d, const struct dns_query *q, uint8_t *out,
			     size_t cap, size_t max, bool nx)
{
	static const uint8_t zero[16];
	struct dns_builder b;

	dnsbuild_start(&b, out, cap, max, q, nx ? DNS_R_NXDOMAIN : DNS_R_NOERROR, false);
	if (!nx && q->qtype == DNS_T_A)
		dnsbuild_a(&b, DNS_S_ANSWER, q->name, d->ttl, zero);
	else if (!nx && q->qtype == DNS_T_AAAA)
		dnsbuild_aaaa(&b, DNS_S_ANSWER, q->name, d->ttl, zero);
	return dnsbuild_finish(&b);
}

static uint64_t key_hash(const struct dns_query *q)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < q->name_len; i++) {
		h ^= (uint8_t)q->name[i];
		h *= 1099511628211ULL;
	}
	h ^= (uint64_t)q->qtype << 32 | (uint64_t)q->qclass << 16 | (q->dnssec_ok ? 1u : 0u) |
	     ((q->flags & DNS_F_CD) ? 2u : 0u);
	return h * 1099511628211ULL;
}

static bool key_same(const struct dns_query *a, const struct dns_query *b)
{
	return a->qtype == b->qtype && a->qclass == b->qclass && a->dnssec_ok == b->dnssec_ok &&
	       (a->flags & DNS_F_CD) == (b->flags & DNS_F_CD) && a->name_len == b->name_len &&
	       memcmp(a->name, b->name, a->name_len) == 0;
}

static void pend_remove(struct dnsd *d, struct pend *p)
{
	struct pend **pp = &d->pend[p->hash % PEND_BUCKETS];

	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (*pp)
		*pp = p->next;
	d->n_pend--;
}

static void on_upstream(void *ctx, int err, const uint8_t *pkt, size_t len,
			enum upstream_security sec, const char *why, uint32_t elapsed_us)
{
	struct pend *p = ctx;
	struct dnsd *d = p->d;
	uint8_t out[DNS_TCP_MAX];

	pend_remove(d, p);
	if (sec == UPSTREAM_BOGUS) {
		d->bogus++;
		log_debug("resolver: %s: DNSSEC validation failed%s%s", p->key.name, why ? ": " : "",
			  why ? why : "");
	}
	if (!err && pkt && sec != UPSTREAM_BOGUS)
		dns_cache_put(d->cache, &p->key, pkt, len, loop_now_ms());
	for (size_t i = 0; i < p->n_w; i++) {
		const struct waiter *w = &p->w[i];
		size_t max = w->tcp ? DNS_TCP_MAX : w->q.udp_size, n = 0;
		unsigned rcode = DNS_R_SERVFAIL;

		if (!err && pkt && sec != UPSTREAM_BOGUS &&
		    dnswire_adopt(pkt, len, w->query, w->qlen, &w->q, max, out, sizeof(out), &n) == 0)
			rcode = out[3] & 0x0f;
		else
			n = 0;
		if (!n) {
			d->servfail++;
			n = dnswire_error(out, sizeof(out), &w->q, DNS_R_SERVFAIL, true);
		}
		waiter_send(d, w, out, n);
		log_query(d, &w->q, w->user_id, w->device_id, rcode, -1, 0, elapsed_us ? elapsed_us : 1);
	}
	free(p->w);
	free(p);
}

/* Wait for the answer of q's key: joins a request in flight or starts one. */
static void forward(struct dnsd *d, const struct waiter *w)
{
	uint64_t h = key_hash(&w->q);
	struct pend *p;
	int r;

	for (p = d->pend[h % PEND_BUCKETS]; p; p = p->next)
		if (p->hash == h && key_same(&p->key, &w->q))
			break;
	if (p) {
		if (p->n_w >= WAITERS_MAX)
			return;
		p->w = xrealloc(p->w, (p->n_w + 1) * sizeof(*p->w));
		p->w[p->n_w++] = *w;
		return;
	}
	if (d->n_pend >= PEND_MAX || !d->up) {
		uint8_t out[512];
		size_t n = dnswire_error(out, sizeof(out), &w->q, DNS_R_SERVFAIL, true);

		d->servfail++;
		waiter_send(d, w, out, n);
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->d = d;
	p->hash = h;
	p->key = w->q;
	p->w = xmalloc(sizeof(*p->w));
	p->w[0] = *w;
	p->n_w = 1;
	p->next = d->pend[h % PEND_BUCKETS];
	d->pend[h % PEND_BUCKETS] = p;
	d->n_pend++;
	d->forwarded++;
	/* The DO and CD bits are the client's: libunbound answers validated either way. */
	r = upstream_resolve(d->up, w->q.name, w->q.qtype, w->q.qclass, on_upstream, p, &p->handle);
	if (r < 0) {
		on_upstream(p, r, NULL, 0, UPSTREAM_INSECURE, NULL, 0);
	}
}

/* One query from peer. Answers now into out (returns its length) or hands it to forward
 * (returns 0); tcp: the connection's id, max the answer's limit. */
static size_t handle(struct dnsd *d, const uint8_t *pkt, size_t len,
		     const struct sockaddr_storage *peer, socklen_t plen, int fd, uint64_t tcp,
		     uint8_t *out, size_t cap)
{
	struct dns_query q;
	struct zone_client *c = NULL;
	struct dns_builder b;
	struct waiter w;
	int64_t user = 0, device = 0, group = DB_GROUP_DEFAULT, list = 0;
	uint8_t addr[16];
	int family, r, source = -1;
	size_t max, n;
	const uint8_t *hit;

	d->queries++;
	r = dnswire_parse_query(pkt, len, &q);
	if (r == -EBADMSG) {
		d->malformed++;
		return 0;
	}
	if (r < 0) {
		d->malformed++;
		return dnswire_error(out, cap, &q, r == -EOPNOTSUPP ? DNS_R_NOTIMP : DNS_R_FORMERR,
				     false);
	}
	if (q.edns && q.edns_version)
		return dnswire_error(out, cap, &q, DNS_R_BADVERS, true);
	max = tcp ? DNS_TCP_MAX : q.udp_size;
	if (max > cap)
		max = cap;
	peer_addr(peer, &family, addr);
	/* A user or device changed: names follow at once (at most 20 builds a second); the
	 * account's other news (endpoints, handshakes) at most four times a second. */
	if ((d->s->names_stale && loop_now_ms() - d->zone_ms >= 50) ||
	    (d->zone_changes != d->s->acct.changes && loop_now_ms() - d->zone_ms >= 250))
		zone_refresh(d);
	if (d->zone)
		c = zone_client(d->zone, family, addr);
	if (c) {
		user = c->user_id;
		device = c->device_id;
		group = c->group_id;
	}
	if (!rate_ok(d, c, loop_now_ms())) {
		d->limited++;
		return 0;
	}
	if (is_canary(&q)) {
		d->blocked++;
		n = answer_blocked(d, &q, out, cap, max, true);
		log_query(d, &q, user, device, DNS_R_NXDOMAIN, FILTER_SOURCES_MAX, 0, 0);
		return n;
	}
	if (d->zone && zone_answer(d->zone, &q, &b, out, cap, max)) {
		d->answered_local++;
		n = dnsbuild_finish(&b);
		log_query(d, &q, user, device, out[3] & 0x0f, -1, 0, 0);
		return n;
	}
	if (d->filter && q.name_len &&
	    filter_decide(d->filter, group, q.name, q.name_len, &source) == FILTER_BLOCK) {
		d->blocked++;
		if (source >= 0 && source < FILTER_SOURCES_MAX)
			list = d->source_list[source];
		n = answer_blocked(d, &q, out, cap, max, d->nxdomain);
		log_query(d, &q, user, device, d->nxdomain ? DNS_R_NXDOMAIN : DNS_R_NOERROR,
			  source < 0 ? 0 : source, list, 0);
		return n;
	}
	if ((hit = dns_cache_get(d->cache, &q, loop_now_ms(), &n)) &&
	    dnswire_adopt(hit, n, pkt, DNS_HEADER_LEN + q.question_len, &q, max, out, cap, &n) == 0) {
		d->answered_cache++;
		log_query(d, &q, user, device, out[3] & 0x0f, -1, 0, 0);
		return n;
	}
	memset(&w, 0, sizeof(w));
	w.tcp = tcp != 0;
	w.fd = fd;
	w.conn = tcp;
	memcpy(&w.peer, peer, plen);
	w.plen = plen;
	w.q = q;
	w.qlen = DNS_HEADER_LEN + q.question_len;
	if (w.qlen > sizeof(w.query))
		return dnswire_error(out, cap, &q, DNS_R_FORMERR, false);
	memcpy(w.query, pkt, w.qlen);
	w.user_id = user;
	w.device_id = device;
	forward(d, &w);
	return 0;
}

/* ---- UDP ---- */

static void on_udp(struct loop *l, int fd, uint32_t events, void *data)
{
	struct dnsd *d = ((struct usock *)data)->d;
	struct mmsghdr msgs[BATCH], out[BATCH];
	struct iovec iov[BATCH], oiov[BATCH];
	int n, k, m;

	for (int rounds = 0; rounds < 8; rounds++) {
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ d->rx[i], sizeof(d->rx[i]) };
			msgs[i].msg_hdr = (struct msghdr){ .msg_name = &d->rx_from[i],
				.msg_namelen = sizeof(d->rx_from[i]), .msg_iov = &iov[i], .msg_iovlen = 1 };
		}
		n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (k = 0, m = 0; k < n; k++) {
			size_t len = handle(d, d->rx[k], msgs[k].msg_len, &d->rx_from[k],
					    msgs[k].msg_hdr.msg_namelen, fd, 0, d->tx[m], sizeof(d->tx[m]));

			if (!len)
				continue;
			oiov[m] = (struct iovec){ d->tx[m], len };
			out[m].msg_hdr = (struct msghdr){ .msg_name = &d->rx_from[k],
				.msg_namelen = msgs[k].msg_hdr.msg_namelen, .msg_iov = &oiov[m],
				.msg_iovlen = 1 };
			m++;
		}
		if (m)
			sendmmsg(fd, out, (unsigned)m, MSG_DONTWAIT);
		if (n < BATCH)
			return;
	}
}

/* ---- TCP ---- */

static void tcp_close(struct dnsd *d, struct tcpc *c)
{
	for (size_t i = 0; i < d->n_tcp; i++) {
		if (d->tcp[i] != c)
			continue;
		d->tcp[i] = d->tcp[--d->n_tcp];
		break;
	}
	loop_del_fd(d->l, c->fd);
	close(c->fd);
	free(c->rbuf);
	free(c->wbuf);
	free(c);
}

static void on_tcp_conn(struct loop *l, int fd, uint32_t events, void *data)
{
	struct tcpc *c = data;
	struct dnsd *d = c->d;
	uint8_t out[DNS_TCP_MAX];

	if (events & EPOLLOUT)
		tcp_flush(c);
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		ssize_t n = recv(fd, c->rbuf + c->rlen, 2 + DNS_TCP_MAX - c->rlen, MSG_DONTWAIT);
		size_t need;

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			tcp_close(d, c);
			return;
		}
		if (n < 0)
			return;
		c->rlen += (size_t)n;
		c->active_ms = loop_now_ms();
		while (c->rlen >= 2 && c->rlen >= (need = 2 + ((size_t)c->rbuf[0] << 8 | c->rbuf[1]))) {
			uint64_t id = c->id;
			size_t len;

			d->tcp_queries++;
			len = handle(d, c->rbuf + 2, need - 2, &c->peer, sizeof(c->peer), -1, id, out,
				     sizeof(out));
			if (len)
				tcp_send(c, out, len);
			if (!tcp_find(d, id))
				return;            /* closed while sending */
			memmove(c->rbuf, c->rbuf + need, c->rlen - need);
			c->rlen -= need;
		}
	}
}

static void on_tcp_listen(struct loop *l, int fd, uint32_t events, void *data)
{
	struct dnsd *d = ((struct usock *)data)->d;

	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct tcpc *c;

		if (cfd < 0)
			return;
		if (d->n_tcp >= TCP_MAX) {
			close(cfd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->fd = cfd;
		c->d = d;
		c->id = ++d->next_conn;
		c->peer = ss;
		c->active_ms = loop_now_ms();
		c->rbuf = xmalloc(2 + DNS_TCP_MAX);
		if (loop_add_fd(d->l, cfd, EPOLLIN, on_tcp_conn, c) < 0) {
			close(cfd);
			free(c->rbuf);
			free(c);
			continue;
		}
		d->tcp[d->n_tcp++] = c;
	}
}

/* ---- sockets ---- */

static int sock_open(struct dnsd *d, const struct cidr *a, uint16_t port, bool tcp)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int fd, one = 1, r, size = 4 << 20;
	char buf[CIDR_STRLEN];

	if (a->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, a->addr, 4);
		sl = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, a->addr, 16);
		sl = sizeof(*in6);
	}
	fd = socket(a->family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* The tunnel's addresses may come a moment after: bind before they are there. */
	if (a->family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	}
	if (!tcp) {
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || (tcp && listen(fd, 128) < 0)) {
		r = -errno;
		log_err("resolver: %s %s port %u: %s", tcp ? "TCP" : "UDP", ip_fmt(a, buf), port,
			strerror(-r));
		close(fd);
		return r;
	}
	d->socks[d->n_socks] = (struct usock){ fd, tcp, d };
	r = loop_add_fd(d->l, fd, EPOLLIN, tcp ? on_tcp_listen : on_udp, &d->socks[d->n_socks]);
	if (r < 0) {
		close(fd);
		return r;
	}
	d->n_socks++;
	return 0;
}

static int socks_open(struct dnsd *d)
{
	struct server *s = d->s;
	const struct resolver_conf *rc = &s->c->server.resolver;
	struct cidrv addrs = { 0 };
	int r = 0;

	for (size_t i = 0; i < s->n_pools; i++) {
		struct cidr a;

		pool_server_addr(&s->pools[i], &a);
		cidrv_push(&addrs, &a);
	}
	for (size_t i = 0; i < rc->listen.n; i++)
		cidrv_push(&addrs, &rc->listen.v[i]);
	for (size_t i = 0; i < addrs.n && i < SOCKS_MAX && r == 0; i++) {
		r = sock_open(d, &addrs.v[i], rc->port, false);
		if (r == 0)
			r = sock_open(d, &addrs.v[i], rc->port, true);
	}
	cidrv_clear(&addrs);
	return r;
}

/* ---- the upstream servers ---- */

/* With no upstream in the file, the host's resolv.conf names them. */
static void resolvconf_servers(struct strv *v)
{
	FILE *f = fopen("/etc/resolv.conf", "re");
	char line[256], addr[64];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && v->n < 8) {
		struct cidr c;

		if (sscanf(line, " nameserver %63s", addr) == 1 && ip_parse(&c, addr) == 0)
			strv_push(v, addr);
	}
	fclose(f);
}

static int upstream_open(struct dnsd *d)
{
	const struct resolver_conf *rc = &d->s->c->server.resolver;
	struct strv servers = { 0 };
	struct upstream_conf uc = { 0 };
	int r;

	for (size_t i = 0; i < rc->upstream.n; i++)
		strv_push(&servers, rc->upstream.v[i]);
	if (!servers.n)
		resolvconf_servers(&servers);
	if (!servers.n) {
		log_err("resolver: no upstream servers: server.resolver.upstream is empty and "
			"/etc/resolv.conf names none");
		return -EINVAL;
	}
	uc.servers = (const char *const *)servers.v;
	uc.n_servers = servers.n;
	uc.dnssec = rc->dnssec;
	uc.trust_anchor_file = rc->trust_anchor_file;
	uc.cache_bytes = (size_t)rc->cache_mb << 20;
	r = upstream_new(d->l, &uc, &d->up);
	strv_clear(&servers);
	return r;
}

/* ---- lists ---- */

struct lists_collect {
	struct dns_list_src *v;
	size_t n;
	int64_t *known;	/* every list's id, disabled ones too */
	size_t n_known;
};

static int list_collect(const struct db_dns_list *l, void *arg)
{
	struct lists_collect *c = arg;
	struct dns_list_src *src;

	c->known = xrealloc(c->known, (c->n_known + 1) * sizeof(*c->known));
	c->known[c->n_known++] = l->id;
	if (!l->enabled)
		return 0;
	c->v = xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
	src = &c->v[c->n++];
	memset(src, 0, sizeof(*src));
	src->id = l->id;
	src->name = xstrdup(l->name);
	src->source = xstrdup(l->source);
	if (l->n_groups) {
		src->groups = xmalloc(l->n_groups * sizeof(*src->groups));
		memcpy(src->groups, l->groups, l->n_groups * sizeof(*src->groups));
		src->n_groups = l->n_groups;
	}
	src->etag = l->etag[0] ? xstrdup(l->etag) : NULL;
	src->last_modified = l->last_modified[0] ? xstrdup(l->last_modified) : NULL;
	return 0;
}

struct rules_collect {
	struct dns_rule_src *v;
	size_t n;
};

static int rule_collect(const struct db_dns_rule *r, void *arg)
{
	struct rules_collect *c = arg;

	c->v = xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
	c->v[c->n].pattern = xstrdup(r->pattern);
	c->v[c->n].action = r->action == DB_DNS_ALLOW ? FILTER_ALLOW : FILTER_BLOCK;
	c->v[c->n].group_id = r->group_id;
	c->n++;
	return 0;
}

struct groups_collect {
	int64_t *v;
	size_t n;
};

static int group_collect(const struct db_group *g, void *arg)
{
	struct groups_collect *c = arg;

	c->v = xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
	c->v[c->n++] = g->id;
	return 0;
}

static void lists_build(struct dnsd *d, bool fetch)
{
	struct server *s = d->s;
	struct lists_collect lc = { 0 };
	struct rules_collect rc = { 0 };
	struct groups_collect gc = { 0 };
	int r = db_dns_list_list(s->db, list_collect, &lc);

	/* only a whole answer tells which cached copies are a deleted list's */
	if (r == 0)
		dns_lists_prune(d->lists, lc.known, lc.n_known);
	if (r < 0 || db_dns_rule_list(s->db, rule_collect, &rc) < 0 ||
	    db_group_list(s->db, group_collect, &gc) < 0)
		log_warn("resolver: lists: %s", db_errmsg(s->db));
	r = dns_lists_build(d->lists, lc.v, lc.n, rc.v, rc.n, gc.v, gc.n, fetch);
	if (r < 0)
		log_warn("resolver: lists: %s", strerror(-r));
	else
		d->lists_building = true;
	for (size_t i = 0; i < lc.n; i++) {
		free(lc.v[i].name);
		free(lc.v[i].source);
		free(lc.v[i].groups);
		free(lc.v[i].etag);
		free(lc.v[i].last_modified);
	}
	for (size_t i = 0; i < rc.n; i++)
		free(rc.v[i].pattern);
	free(lc.v);
	free(lc.known);
	free(rc.v);
	free(gc.v);
	d->lists_check_ms = loop_now_ms() + LISTS_CHECK_MS;
}

/* Some list from a URL is due again: its own refresh has passed since its last fetch (or
 * it never worked). */
static int list_due(const struct db_dns_list *l, void *arg)
{
	int64_t now = *(int64_t *)arg;

	if (!l->enabled || (strncmp(l->source, "http://", 7) && strncmp(l->source, "https://", 8)))
		return 0;
	return !l->fetched_at || l->fetched_at + (int64_t)l->refresh_s <= now ? 1 : 0;
}

static void on_lists(void *ctx, struct filter *snapshot, const struct dns_list_result *res,
		     size_t n, uint32_t build_ms)
{
	struct dnsd *d = ctx;
	struct server *s = d->s;

	d->lists_building = false;
	for (size_t i = 0; i < n; i++) {
		struct db_dns_list l;

		if (!res[i].id)
			continue;
		if (db_dns_list_get(s->db, res[i].id, &l) < 0)
			continue;
		if (res[i].status != 304) {
			snprintf(l.etag, sizeof(l.etag), "%s", res[i].etag ? res[i].etag : "");
			snprintf(l.last_modified, sizeof(l.last_modified), "%s",
				 res[i].last_modified ? res[i].last_modified : "");
		}
		if (res[i].fetched_at)
			l.fetched_at = res[i].fetched_at;
		l.entries = res[i].entries;
		l.bad_lines = res[i].bad;
		snprintf(l.error, sizeof(l.error), "%s", res[i].error);
		if (db_dns_list_set_fetch(s->db, &l) < 0)
			log_warn("resolver: list %s: %s", l.name, db_errmsg(s->db));
		if (res[i].error[0])
			log_warn("resolver: list %s: %s", l.name, res[i].error);
	}
	if (!snapshot)
		return;
	for (size_t i = 0; i < FILTER_SOURCES_MAX; i++)
		d->source_list[i] = -1;
	for (size_t i = 0; i < n; i++)
		if (res[i].source_bit >= 0 && res[i].source_bit < FILTER_SOURCES_MAX)
			d->source_list[res[i].source_bit] = res[i].id;
	filter_free(d->filter);
	d->filter = snapshot;
	d->lists_ms = build_ms;
	d->lists_entries = filter_entries(snapshot);
	log_info("resolver: filter of %zu names (%zu lists) in %" PRIu32 " ms, %zu kB",
		 filter_entries(snapshot), n, build_ms, filter_bytes(snapshot) >> 10);
}

/* ---- the tick: the zone follows the account, idle TCP closes, lists refresh ---- */

static void on_tick(struct loop *l, struct timer *t, void *data)
{
	struct dnsd *d = data;
	uint64_t now = loop_now_ms();

	if (d->zone_stale || d->s->names_stale || d->zone_changes != d->s->acct.changes)
		zone_refresh(d);
	for (size_t i = 0; i < d->n_tcp;) {
		struct tcpc *c = d->tcp[i];

		if (now - c->active_ms > TCP_IDLE_MS)
			tcp_close(d, c);
		else
			i++;
	}
	if (!d->lists_building && now >= d->lists_check_ms) {
		int64_t wall = time(NULL);

		d->lists_check_ms = now + LISTS_CHECK_MS;
		if (db_dns_list_list(d->s->db, list_due, &wall) == 1)
			lists_build(d, true);
	}
	timer_arm(t, 1000);
}

/* ---- the whole ---- */

int dnsd_start(struct server *s)
{
	const struct resolver_conf *rc = &s->c->server.resolver;
	struct dnsd *d;
	char cache_dir[4096];
	int r;

	if (!rc->enabled || s->dnsd)
		return 0;
	d = xcalloc(1, sizeof(*d));
	d->s = s;
	d->l = s->loop;
	snprintf(d->domain, sizeof(d->domain), "%s", rc->domain);
	d->ttl = rc->ttl;
	d->nxdomain = rc->blocked == RESOLVER_BLOCKED_NXDOMAIN;
	d->rate = rc->rate_limit;
	d->burst = rc->rate_limit * 2;
	for (size_t i = 0; i < FILTER_SOURCES_MAX; i++)
		d->source_list[i] = -1;
	d->cache = dns_cache_new((size_t)rc->cache_mb << 20);
	s->dnsd = d;
	zone_refresh(d);
	if ((r = upstream_open(d)) < 0)
		goto fail;
	if (rc->log_queries) {
		struct qlog_conf qc = {
			.db_path = s->c->server.database, .retention_days = rc->log_retention_days,
			.rate = rc->log_rate, .burst = rc->log_burst,
		};

		if ((r = qlog_new(&qc, &d->qlog)) < 0) {
			log_err("resolver: the query log: %s", strerror(-r));
			goto fail;
		}
	}
	snprintf(cache_dir, sizeof(cache_dir), "%s/dns-lists", s->c->daemon.state_dir);
	if (mkdir(cache_dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		log_err("resolver: %s: %s", cache_dir, strerror(-r));
		goto fail;
	}
	if ((r = dns_lists_new(d->l, cache_dir, on_lists, d, &d->lists)) < 0)
		goto fail;
	if ((r = socks_open(d)) < 0)
		goto fail;
	d->tick = timer_new(d->l, on_tick, d);
	timer_arm(d->tick, 1000);
	lists_build(d, true);
	log_info("resolver: on port %u of the server's addresses, zone %s, %zu names",
		 rc->port, d->domain, zone_names(d->zone));
	return 0;
fail:
	dnsd_stop(s);
	return r;
}

void dnsd_stop(struct server *s)
{
	struct dnsd *d = s->dnsd;

	if (!d)
		return;
	s->dnsd = NULL;
	dns_lists_free(d->lists);
	upstream_free(d->up);          /* no callback after: the pending go below */
	for (size_t i = 0; i < PEND_BUCKETS; i++) {
		while (d->pend[i]) {
			struct pend *p = d->pend[i];

			d->pend[i] = p->next;
			free(p->w);
			free(p);
		}
	}
	while (d->n_tcp)
		tcp_close(d, d->tcp[0]);
	for (size_t i = 0; i < d->n_socks; i++) {
		loop_del_fd(d->l, d->socks[i].fd);
		close(d->socks[i].fd);
	}
	if (d->tick)
		timer_free(d->tick);
	qlog_free(d->qlog);
	dns_cache_free(d->cache);
	zone_free(d->zone);
	filter_free(d->filter);
	free(d);
}

int dnsd_reload(struct server *s)
{
	dnsd_stop(s);
	return dnsd_start(s);
}

void dnsd_changed(struct server *s, unsigned what)
{
	struct dnsd *d = s->dnsd;

	if (!d)
		return;
	if (what & DNSD_RECORDS)
		zone_refresh(d);
	if (what & (DNSD_RULES | DNSD_LISTS))
		lists_build(d, (what & DNSD_LISTS) != 0);
}

int64_t dnsd_list_of(struct server *s, int source)
{
	if (!s->dnsd || source < 0 || source >= FILTER_SOURCES_MAX)
		return -1;
	return s->dnsd->source_list[source];
}

void dnsd_status(struct server *s, struct json *j)
{
	struct dnsd *d = s->dnsd;

	json_obj_begin(j, "resolver");
	json_bool(j, "running", d != NULL);
	if (d) {
		struct qlog_stats qs = { 0 };

		json_u64(j, "queries", d->queries);
		json_u64(j, "tcp_queries", d->tcp_queries);
		json_u64(j, "local", d->answered_local);
		json_u64(j, "cached", d->answered_cache);
		json_u64(j, "forwarded", d->forwarded);
		json_u64(j, "blocked", d->blocked);
		json_u64(j, "rate_limited", d->limited);
		json_u64(j, "servfail", d->servfail);
		json_u64(j, "bogus", d->bogus);
		json_u64(j, "malformed", d->malformed);
		json_u64(j, "refused_dot_doh", engine_dns_refused(s));
		json_u64(j, "in_flight", d->n_pend);
		json_u64(j, "cache_entries", dns_cache_entries(d->cache));
		json_u64(j, "cache_bytes", dns_cache_bytes(d->cache));
		json_u64(j, "zone_names", d->zone ? zone_names(d->zone) : 0);
		json_u64(j, "filter_names", d->filter ? filter_entries(d->filter) : 0);
		json_u64(j, "filter_bytes", d->filter ? filter_bytes(d->filter) : 0);
		json_u64(j, "filter_build_ms", d->lists_ms);
		if (d->qlog) {
			qlog_stats(d->qlog, &qs);
			json_obj_begin(j, "log");
			json_u64(j, "queued", qs.queued);
			json_u64(j, "written", qs.written);
			json_u64(j, "collapsed", qs.collapsed);
			json_u64(j, "dropped", qs.dropped);
			json_end(j);
		}
	}
	json_end(j);
}
