/* ICMP echo probes through one tunnel's link, on the event loop, into its health machine. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"
#include "../common/log.h"
#include "../common/util.h"

/* <linux/icmp.h>: which ICMP types a raw IPv4 socket drops (a bit per type) */
#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif
#ifndef SOL_RAW
#define SOL_RAW 255
#endif

#define RING 64                 /* requests in flight at most; more are counted lost */
#define COOKIE_LEN 8
#define ICMP_LEN (8 + COOKIE_LEN)

struct inflight {
	bool active;
	uint16_t seq;
	uint64_t sent_us;           /* CLOCK_MONOTONIC when it left */
	uint64_t deadline_ms;       /* loop_now_ms() after which it is lost */
};

struct prober {
	struct loop *loop;
	struct timer *timer;
	char ifname[IFNAME_MAX + 1];
	struct probe cfg;
	probe_fn fn;
	void *data;
	int fd;                     /* -1: (re)open before the next send */
	int last_err;               /* last socket or send error logged, to log each once */
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} dst;
	socklen_t dst_len;
	uint16_t id, seq;
	uint8_t cookie[COOKIE_LEN];
	uint64_t next_send_ms;
	uint64_t sent;
	struct inflight ring[RING];
	struct health health;
	unsigned int busy;          /* inside fn: probe_free only marks dead */
	bool dead;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void rand_bytes(void *buf, size_t n)
{
	/* Not a secret, only distinct from other pingers: fall back to the clock. */
	if (getrandom(buf, n, GRND_NONBLOCK) != (ssize_t)n) {
		uint64_t x = now_us() ^ ((uint64_t)getpid() << 32);

		for (size_t i = 0; i < n; i++, x = x * 6364136223846793005ULL + 1442695040888963407ULL)
			((uint8_t *)buf)[i] = (uint8_t)(x >> 56);
	}
}

static bool is_v6(const struct prober *p)
{
	return p->cfg.target.family == AF_INET6;
}

static void destroy(struct prober *p)
{
	if (p->fd >= 0) {
		loop_del_fd(p->loop, p->fd);
		close(p->fd);
	}
	timer_free(p->timer);
	free(p);
}

/* Tell the owner; true when it freed p meanwhile, and p must not be touched again. */
static bool notify(struct prober *p, enum health_event ev)
{
	if (ev == HEALTH_EV_NONE || !p->fn)
		return false;
	p->busy++;
	p->fn(p, ev, p->health.reason, p->data);
	p->busy--;
	if (p->dead && !p->busy) {
		destroy(p);
		return true;
	}
	return p->dead;
}

static bool result(struct prober *p, bool ok, uint32_t rtt_us)
{
	return notify(p, health_feed(&p->health, ok, rtt_us, loop_now_ms()));
}

static void sock_close(struct prober *p)
{
	if (p->fd < 0)
		return;
	loop_del_fd(p->loop, p->fd);
	close(p->fd);
	p->fd = -1;
}

static void log_error(struct prober *p, const char *what, int err)
{
	if (err == p->last_err)
		return;
	p->last_err = err;
	log_debug("probe %s: %s: %s", p->ifname, what, strerror(err));
}

static void on_readable(struct loop *l, int fd, uint32_t events, void *data);

static int sock_open(struct prober *p)
{
	int v6 = is_v6(p), fd, r;

	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, p->ifname, (socklen_t)strlen(p->ifname) + 1) < 0)
		goto fail;
	/* Raw sockets see every ICMP message that arrives on the link: keep echo replies. */
	if (v6) {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) < 0)
			goto fail;
		if (IN6_IS_ADDR_LINKLOCAL(&p->dst.in6.sin6_addr)) {
			p->dst.in6.sin6_scope_id = if_nametoindex(p->ifname);
			if (!p->dst.in6.sin6_scope_id)
				goto fail;
		}
	} else {
		uint32_t blocked = ~(1u << ICMP_ECHOREPLY);

		if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &blocked, sizeof(blocked)) < 0)
			goto fail;
	}
	r = loop_add_fd(p->loop, fd, EPOLLIN, on_readable, p);
	if (r < 0) {
		close(fd);
		return r;
	}
	p->fd = fd;
	return 0;
fail:
	r = -errno;
	close(fd);
	return r;
}

static uint16_t icmp_checksum(const uint8_t *b, size_t n)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The request to the in-flight slot seq; false when the send failed. */
static bool send_echo(struct prober *p, uint16_t seq)
{
	uint8_t pkt[ICMP_LEN] = { 0 };
	int r;

	if (p->fd < 0 && (r = sock_open(p)) < 0) {
		log_error(p, "socket", -r);
		return false;
	}
	pkt[0] = is_v6(p) ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
	pkt[4] = (uint8_t)(p->id >> 8);
	pkt[5] = (uint8_t)p->id;
	pkt[6] = (uint8_t)(seq >> 8);
	pkt[7] = (uint8_t)seq;
	memcpy(pkt + 8, p->cookie, COOKIE_LEN);
	if (!is_v6(p)) {                /* the kernel sums ICMPv6 itself */
		uint16_t c = icmp_checksum(pkt, sizeof(pkt));

		pkt[2] = (uint8_t)(c >> 8);
		pkt[3] = (uint8_t)c;
	}
	if (sendto(p->fd, pkt, sizeof(pkt), 0, &p->dst.sa, p->dst_len) < 0) {
		/* The link may be down or gone, or be a new link of the same name: bind again
		 * before the next send. */
		log_error(p, "send", errno);
		sock_close(p);
		return false;
	}
	p->last_err = 0;
	return true;
}

static void on_reply(struct prober *p, const uint8_t *icmp, size_t n, uint64_t t_us);

static bool same_source(const struct prober *p, const void *src)
{
	if (is_v6(p))
		return memcmp(&((const struct sockaddr_in6 *)src)->sin6_addr,
			      &p->dst.in6.sin6_addr, 16) == 0;
	return ((const struct sockaddr_in *)src)->sin_addr.s_addr == p->dst.in.sin_addr.s_addr;
}

/* Read every reply waiting; true when a callback freed p. */
static bool drain(struct prober *p)
{
	uint8_t buf[1500];

	while (p->fd >= 0) {
		struct sockaddr_in6 from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(p->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		const uint8_t *icmp = buf;
		size_t len;

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_error(p, "receive", errno);
			return false;
		}
		len = (size_t)n;
		if (!same_source(p, &from))
			continue;
		if (!is_v6(p)) {        /* raw IPv4 sockets read the IP header too */
			size_t ihl;

			if (len < 20)
				continue;
			ihl = (size_t)(buf[0] & 0x0f) * 4;
			if (ihl < 20 || len < ihl)
				continue;
			icmp += ihl;
			len -= ihl;
		}
		p->busy++;
		on_reply(p, icmp, len, now_us());
		p->busy--;
		if (p->dead) {
			if (!p->busy)
				destroy(p);
			return true;
		}
	}
	return false;
}

static void on_reply(struct prober *p, const uint8_t *icmp, size_t n, uint64_t t_us)
{
	struct inflight *f;
	uint16_t id, seq;
	uint64_t rtt;

	if (n < ICMP_LEN || icmp[0] != (is_v6(p) ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY) || icmp[1])
		return;
	id = (uint16_t)(icmp[4] << 8 | icmp[5]);
	seq = (uint16_t)(icmp[6] << 8 | icmp[7]);
	if (id != p->id || memcmp(icmp + 8, p->cookie, COOKIE_LEN) != 0)
		return;
	f = &p->ring[seq % RING];
	if (!f->active || f->seq != seq)
		return;                 /* a duplicate, or late: counted lost already */
	f->active = false;
	rtt = t_us - f->sent_us;
	if (rtt > (uint64_t)p->cfg.timeout_ms * 1000) {
		result(p, false, 0);
		return;
	}
	result(p, true, rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt);
}

static void schedule(struct prober *p)
{
	uint64_t when = p->next_send_ms, now = loop_now_ms();
	size_t i;

	for (i = 0; i < RING; i++)
		if (p->ring[i].active && p->ring[i].deadline_ms < when)
			when = p->ring[i].deadline_ms;
	timer_arm(p->timer, when > now ? when - now : 0);
}

static void on_readable(struct loop *l, int fd, uint32_t events, void *data)
{
	struct prober *p = data;

	if (drain(p))
		return;
	/* A reply in time empties the slot: the timer may go back to the next send. */
	schedule(p);
}

static void on_timer(struct loop *l, struct timer *t, void *data)
{
	struct prober *p = data;
	uint64_t now, slot;
	size_t i;

	/* Replies that came in before this wakeup count, even when epoll reports them after. */
	if (drain(p))
		return;
	now = loop_now_ms();
	for (i = 0; i < RING; i++) {
		struct inflight *f = &p->ring[i];

		if (f->active && f->deadline_ms <= now) {
			f->active = false;
			if (result(p, false, 0))
				return;
		}
	}
	if (now >= p->next_send_ms) {
		struct inflight *f;
		uint16_t seq = p->seq++;

		/* Deadlines count from the slot, not from when the loop got round to it, so
		 * that with timeout = interval the loss is seen at the next send. The first
		 * request, and one after a stall of the whole process, start from now. */
		slot = p->next_send_ms && now - p->next_send_ms < p->cfg.interval_ms ?
			p->next_send_ms : now;
		p->next_send_ms = (now / p->cfg.interval_ms + 1) * p->cfg.interval_ms;
		f = &p->ring[seq % RING];
		if (f->active) {         /* timeout over RING intervals: make room */
			f->active = false;
			if (result(p, false, 0))
				return;
		}
		p->sent++;
		if (send_echo(p, seq)) {
			f->active = true;
			f->seq = seq;
			f->sent_us = now_us();
			f->deadline_ms = slot + p->cfg.timeout_ms;
		} else if (result(p, false, 0)) {
			return;
		}
	}
	schedule(p);
}

int probe_new(struct loop *l, const char *ifname, const struct probe *cfg, probe_fn fn,
	      void *data, struct prober **out)
{
	struct prober *p;
	int r;

	if (!cfg->enabled || !cfg->interval_ms ||
	    (cfg->target.family != AF_INET && cfg->target.family != AF_INET6))
		return -EINVAL;
	p = xcalloc(1, sizeof(*p));
	if (strlcpy_check(p->ifname, ifname, sizeof(p->ifname)) < 0 || !ifname[0]) {
		free(p);
		return -EINVAL;
	}
	p->loop = l;
	p->cfg = *cfg;
	if (!p->cfg.timeout_ms)
		p->cfg.timeout_ms = p->cfg.interval_ms;
	p->fn = fn;
	p->data = data;
	p->fd = -1;
	if (cfg->target.family == AF_INET) {
		p->dst.in.sin_family = AF_INET;
		memcpy(&p->dst.in.sin_addr, cfg->target.addr, 4);
		p->dst_len = sizeof(p->dst.in);
	} else {
		p->dst.in6.sin6_family = AF_INET6;
		memcpy(&p->dst.in6.sin6_addr, cfg->target.addr, 16);
		p->dst_len = sizeof(p->dst.in6);
	}
	rand_bytes(&p->id, sizeof(p->id));
	rand_bytes(&p->seq, sizeof(p->seq));
	rand_bytes(p->cookie, sizeof(p->cookie));
	health_init(&p->health, cfg->down_after, cfg->up_after, loop_now_ms());

	/* Only a socket we may never have is an error; a missing link may appear later. */
	r = sock_open(p);
	if (r < 0 && r != -ENODEV) {
		free(p);
		return r;
	}
	if (r < 0)
		log_error(p, "bind", -r);
	p->timer = timer_new(l, on_timer, p);
	p->next_send_ms = 0;       /* the first request goes out at once */
	timer_arm(p->timer, 0);
	*out = p;
	return 0;
}

void probe_free(struct prober *p)
{
	if (!p)
		return;
	if (p->busy) {
		/* Inside our own callback: the caller up the stack frees it. Stop now. */
		p->dead = true;
		p->fn = NULL;
		timer_disarm(p->timer);
		return;
	}
	destroy(p);
}

void probe_stats(const struct prober *p, struct probe_stats *st)
{
	const struct health *h = &p->health;

	memset(st, 0, sizeof(*st));
	st->sent = p->sent;
	st->received = h->received;
	st->rtt_last_us = h->rtt_last_us;
	st->rtt_avg_us = h->srtt_us;
	st->loss_pct = health_loss_pct(h);
	st->health = h->state;
	st->since_ms = h->since_ms;
	st->transitions = h->transitions;
	memcpy(st->reason, h->reason, sizeof(st->reason));
}

const struct health *probe_health(const struct prober *p)
{
	return &p->health;
}

const char *probe_ifname(const struct prober *p)
{
	return p->ifname;
}

void probe_reset(struct prober *p)
{
	sock_close(p);
	p->last_err = 0;
}

int probe_set_ifname(struct prober *p, const char *ifname)
{
	char name[IFNAME_MAX + 1];

	if (strlcpy_check(name, ifname, sizeof(name)) < 0 || !ifname[0])
		return -ENAMETOOLONG;
	memcpy(p->ifname, name, sizeof(name));
	probe_reset(p);
	return 0;
}

void probe_force_down(struct prober *p, const char *why)
{
	notify(p, health_force_down(&p->health, why, loop_now_ms()));
}
