/* ICMP probes against a real peer over veth links between two private network
 * namespaces (root only): detection and recovery times, RTT, late replies, binding to
 * one link, links deleted and recreated, IPv6. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/loop.h"
#include "agent/probe.h"
#include "profiles/cidr.h"

/*
 * main() moves the process into a fresh netns ("here"); a child holds a second one
 * ("peer") for as long as this process lives. Two veth pairs join them:
 *
 *   here                                          peer
 *   a0  10.77.0.1/32 fd77::1/128 fe80::77:1  ===  a1  10.77.0.2/32 fd77::2/128 fe80::77:2
 *   b0  10.78.0.1/32                         ===  b1  10.78.0.2/32
 *
 *   here: default dev b0, unreachable 10.77.0.0/16, fd77::2 dev a0 (IPv6 needs one)
 *   peer: 10.77.0.1 dev a1, 10.78.0.1 dev b1, fd77::1 dev a1;
 *         nft table inet wt, chain in (input hook), empty until a test blocks echo
 *
 * IPv4 has no route to 10.77.0.2 through a0 here: probes rely on the kernel taking a
 * target on-link through the bound device.
 */

static bool live;
static pid_t peer_pid, responder_pid;
static char wg_links[2][16];    /* wireguard-go links to delete (which ends their daemons) */
static int peer_ns = -1;

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int vrun(bool in_peer, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static int vrun(bool in_peer, const char *fmt, va_list ap)
{
	char cmd[1024];
	pid_t pid;
	int st;

	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (in_peer && setns(peer_ns, CLONE_NEWNET) < 0)
			_exit(127);
		if (null >= 0 && !getenv("PROBE_LIVE_VERBOSE"))
			dup2(null, 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A shell command here, or in the peer's namespace; its exit status. */
static int here(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int peer(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int here(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vrun(false, fmt, ap);
	va_end(ap);
	return r;
}

static int peer(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vrun(true, fmt, ap);
	va_end(ap);
	return r;
}

#define HERE(...) assert_int_equal(here(__VA_ARGS__), 0)
#define PEER(...) assert_int_equal(peer(__VA_ARGS__), 0)

/* The a pair (x = 'a') or the b pair, addressed and routed as drawn above. */
static void make_pair(char x)
{
	int n = x == 'a' ? 77 : 78;

	HERE("ip link add %c0 type veth peer name %c1 netns /proc/%d/ns/net", x, x, (int)peer_pid);
	HERE("ip link set %c0 up && ip addr add 10.%d.0.1/32 dev %c0", x, n, x);
	PEER("ip link set %c1 up && ip addr add 10.%d.0.2/32 dev %c1 && "
	     "ip route add 10.%d.0.1 dev %c1", x, n, x, n, x);
	if (x == 'a') {
		HERE("ip -6 addr add fd77::1/128 dev a0 nodad && "
		     "ip -6 addr add fe80::77:1/64 dev a0 nodad && ip -6 route add fd77::2 dev a0");
		PEER("ip -6 addr add fd77::2/128 dev a1 nodad && "
		     "ip -6 addr add fe80::77:2/64 dev a1 nodad && ip -6 route add fd77::1 dev a1");
	}
}

static int setup_world(void **state)
{
	int sync[2], hold[2];
	char path[64], c;

	(void)state;
	if (!live)
		return 0;
	if (pipe(sync) < 0 || pipe(hold) < 0)
		return -1;
	peer_pid = fork();
	if (peer_pid < 0)
		return -1;
	if (peer_pid == 0) {
		/* Hold the peer namespace until the test process goes away. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sync[0]);
		close(hold[1]);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		if (write(sync[1], "x", 1) != 1)
			_exit(1);
		while (read(hold[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(sync[1]);
	close(hold[0]);         /* hold[1] stays open: the holder lives while we do */
	if (read(sync[0], &c, 1) != 1)
		return -1;
	close(sync[0]);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)peer_pid);
	peer_ns = open(path, O_RDONLY | O_CLOEXEC);
	if (peer_ns < 0)
		return -1;

	if (here("ip link set lo up && sysctl -qw net.ipv4.conf.all.rp_filter=0 "
		 "net.ipv4.conf.default.rp_filter=0 net.ipv6.conf.all.accept_dad=0 "
		 "net.ipv6.conf.default.accept_dad=0") != 0 ||
	    peer("ip link set lo up && sysctl -qw net.ipv4.conf.all.rp_filter=0 "
		 "net.ipv4.conf.default.rp_filter=0 net.ipv6.conf.all.accept_dad=0 "
		 "net.ipv6.conf.default.accept_dad=0") != 0)
		return -1;
	make_pair('a');
	make_pair('b');
	/* Routes here that must not matter to a probe bound to a0. */
	if (here("ip route add default dev b0 && ip route add unreachable 10.77.0.0/16") != 0)
		return -1;
	if (peer("nft add table inet wt && nft add chain inet wt in "
		 "'{ type filter hook input priority 0; policy accept; }'") != 0)
		return -1;
	return 0;
}

static int teardown_world(void **state)
{
	(void)state;
	if (peer_pid > 0) {
		kill(peer_pid, SIGKILL);
		waitpid(peer_pid, NULL, 0);
	}
	return 0;
}

/* Put back what a failed test may have left changed. */
static int restore(void **state)
{
	(void)state;
	if (!live)
		return 0;
	if (responder_pid > 0) {
		kill(responder_pid, SIGKILL);
		waitpid(responder_pid, NULL, 0);
		responder_pid = 0;
	}
	peer("nft flush chain inet wt in; sysctl -qw net.ipv4.icmp_echo_ignore_all=0");
	here("ip link del c0");
	if (wg_links[0][0])
		here("ip link del %s", wg_links[0]);
	if (wg_links[1][0])
		peer("ip link del %s", wg_links[1]);
	wg_links[0][0] = wg_links[1][0] = 0;
	if (here("ip link show dev a0 >/dev/null") != 0) {
		here("ip link del a0");
		make_pair('a');
	}
	peer("ip route replace 10.77.0.1 dev a1");
	here("ip -6 route replace fd77::2 dev a0");
	return 0;
}

static void block(void)
{
	PEER("nft add rule inet wt in icmp type echo-request drop && "
	     "nft add rule inet wt in icmpv6 type echo-request drop");
}

static void unblock(void)
{
	PEER("nft flush chain inet wt in");
}

/* ---- the loop side ---- */

struct rec {
	struct loop *loop;
	enum health_event want;     /* stop the loop on this one */
	unsigned int ups, downs;
	uint64_t t_up, t_down;      /* mono_us of the last of each */
	char reason[HEALTH_REASON_MAX];
	bool free_on_event;
	struct prober **slot;
};

static void on_event(struct prober *p, enum health_event ev, const char *reason, void *data)
{
	struct rec *r = data;

	if (ev == HEALTH_EV_UP) {
		r->ups++;
		r->t_up = mono_us();
	} else {
		r->downs++;
		r->t_down = mono_us();
	}
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	if (r->free_on_event) {
		probe_free(p);
		*r->slot = NULL;
	}
	if (ev == r->want)
		loop_stop(r->loop, 1);
}

static void on_deadline(struct loop *l, struct timer *t, void *data)
{
	(void)t;
	(void)data;
	loop_stop(l, 0);
}

/* Run the loop for ms, or until r sees the event it wants: true when it did. */
static bool run(struct loop *l, struct rec *r, enum health_event want, uint64_t ms)
{
	struct timer *t = timer_new(l, on_deadline, NULL);
	int got;

	if (r)
		r->want = want;
	timer_arm(t, ms);
	got = loop_run(l);
	timer_free(t);
	if (r)
		r->want = HEALTH_EV_NONE;
	return got == 1;
}

static struct probe cfg(const char *target, uint32_t interval, uint32_t timeout)
{
	struct probe c = { .enabled = true, .interval_ms = interval, .timeout_ms = timeout,
			   .down_after = 3, .up_after = 3 };

	assert_int_equal(ip_parse(&c.target, target), 0);
	return c;
}

static struct prober *start(struct loop *l, const char *ifname, const struct probe *c,
			    struct rec *r)
{
	struct prober *p = NULL;

	memset(r, 0, sizeof(*r));
	r->loop = l;
	assert_int_equal(probe_new(l, ifname, c, on_event, r, &p), 0);
	assert_non_null(p);
	return p;
}

static void live_only(void)
{
	if (!live)
		skip();
}

/* Echo replies this namespace received, from /proc/net/snmp. */
static unsigned long in_echo_reps(void)
{
	char line[1024], head[1024] = "";
	unsigned long v = 0;
	FILE *f = fopen("/proc/net/snmp", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *hs, *vs, *hp, *vp;

		if (strncmp(line, "Icmp:", 5) != 0)
			continue;
		if (!head[0]) {
			snprintf(head, sizeof(head), "%s", line);
			continue;
		}
		/* the values line: find the column named InEchoReps */
		hp = strtok_r(head, " \n", &hs);
		vp = strtok_r(line, " \n", &vs);
		while (hp && vp) {
			if (strcmp(hp, "InEchoReps") == 0)
				v = strtoul(vp, NULL, 10);
			hp = strtok_r(NULL, " \n", &hs);
			vp = strtok_r(NULL, " \n", &vs);
		}
		break;
	}
	fclose(f);
	return v;
}

/* ---- tests ---- */

static void test_up_rtt(void **state)
{
	struct probe c = cfg("10.77.0.2", 200, 200);
	struct probe_stats st;
	struct loop *l;
	struct prober *p;
	struct rec r;
	uint64_t t0;

	(void)state;
	live_only();
	assert_int_equal(loop_new(&l), 0);
	t0 = mono_us();
	p = start(l, "a0", &c, &r);
	assert_true(run(l, &r, HEALTH_EV_UP, 3000));
	probe_stats(p, &st);
	print_message("# UP after %.0f ms: %s\n", (double)(r.t_up - t0) / 1000, r.reason);
	/* the first request at once, the third one or two intervals later */
	assert_in_range(r.t_up - t0, 150000, 650000);
	assert_int_equal(st.health, HEALTH_UP);
	assert_int_equal(st.received, 3);
	assert_in_range(st.sent, 3, 4);
	assert_in_range(st.rtt_avg_us, 1, 20000);
	assert_in_range(st.rtt_last_us, 1, 20000);
	assert_int_equal(st.loss_pct, 0);
	assert_int_equal(st.transitions, 1);
	assert_string_equal(st.reason, r.reason);
	assert_memory_equal(r.reason, "3 replies, rtt ", 15);
	/* steady: one request and one reply an interval, nothing lost */
	assert_false(run(l, &r, HEALTH_EV_DOWN, 1000));
	probe_stats(p, &st);
	assert_in_range(st.received, 7, 9);
	assert_in_range(st.sent - st.received, 0, 1);   /* one may be in flight */
	assert_int_equal(st.loss_pct, 0);
	probe_free(p);
	loop_free(l);
}

/* Block echo at the peer: DOWN after about down_after intervals; unblock: UP again. */
static void detection(uint32_t interval, uint32_t timeout)
{
	struct probe c = cfg("10.77.0.2", interval, timeout);
	struct probe_stats st;
	struct loop *l;
	struct prober *p;
	struct rec r;
	double dmin = 1e9, dmax = 0, dsum = 0, umin = 1e9, umax = 0, usum = 0;
	const int reps = 5;

	assert_int_equal(loop_new(&l), 0);
	p = start(l, "a0", &c, &r);
	assert_true(run(l, &r, HEALTH_EV_UP, 3000));
	for (int i = 0; i < reps; i++) {
		uint64_t t0, t1, t2;
		double d, u;

		/* block at a different phase of the interval each time */
		run(l, NULL, HEALTH_EV_NONE, interval + (uint64_t)(rand() % (int)interval));
		t0 = mono_us();
		block();
		t1 = mono_us();
		assert_true(run(l, &r, HEALTH_EV_DOWN, 5000));
		assert_string_equal(r.reason, "3 probes lost");
		d = (double)(r.t_down - t1) / 1000;
		/* at least two intervals and a timeout after the block took effect (it may have
		 * caught a request already on its way), at most three and a timeout */
		assert_true(r.t_down - t0 >= (2 * interval + timeout - 10) * 1000);
		assert_true(r.t_down - t1 <= (3 * interval + timeout + 60) * 1000);
		unblock();
		t2 = mono_us();
		assert_true(run(l, &r, HEALTH_EV_UP, 5000));
		u = (double)(r.t_up - t2) / 1000;
		assert_true(r.t_up - t2 <= (3 * interval + 60) * 1000);
		dmin = d < dmin ? d : dmin;
		dmax = d > dmax ? d : dmax;
		dsum += d;
		umin = u < umin ? u : umin;
		umax = u > umax ? u : umax;
		usum += u;
		print_message("# interval %u ms, timeout %u ms: DOWN %.0f ms after the block "
			      "(nft took %.1f ms), UP %.0f ms after unblocking\n", interval, timeout,
			      d, (double)(t1 - t0) / 1000, u);
	}
	print_message("# interval %u ms, timeout %u ms, down_after 3: detection min %.0f avg "
		      "%.0f max %.0f ms; recovery (up_after 3) min %.0f avg %.0f max %.0f ms\n",
		      interval, timeout, dmin, dsum / reps, dmax, umin, usum / reps, umax);
	probe_stats(p, &st);
	assert_int_equal(st.transitions, 1 + 2 * reps);
	probe_free(p);
	loop_free(l);
}

static void test_detection_200ms(void **state)
{
	(void)state;
	live_only();
	detection(200, 200);
}

static void test_detection_50ms(void **state)
{
	(void)state;
	live_only();
	detection(50, 50);
}

/* A probe through a0 whose replies the peer routes back through b1 sees none of them,
 * even while a probe through b0 takes its own from the same socket buffer's link. */
static void test_bound_to_link(void **state)
{
	struct probe c = cfg("10.77.0.2", 100, 100);
	struct probe_stats sa, sb;
	struct loop *l;
	struct prober *pa, *pb;
	struct rec ra, rb;
	unsigned long reps0, reps;

	(void)state;
	live_only();
	PEER("ip route replace 10.77.0.1 dev b1");
	assert_int_equal(loop_new(&l), 0);
	reps0 = in_echo_reps();
	pa = start(l, "a0", &c, &ra);
	pb = start(l, "b0", &c, &rb);
	run(l, NULL, HEALTH_EV_NONE, 1500);
	probe_stats(pa, &sa);
	probe_stats(pb, &sb);
	reps = in_echo_reps() - reps0;
	print_message("# via a0: sent %llu received %llu (%s); via b0: sent %llu received %llu "
		      "(%s); echo replies that reached this namespace: %lu\n",
		      (unsigned long long)sa.sent, (unsigned long long)sa.received,
		      health_state_name(sa.health), (unsigned long long)sb.sent,
		      (unsigned long long)sb.received, health_state_name(sb.health), reps);
	assert_int_equal(sa.received, 0);
	assert_int_equal(sa.health, HEALTH_DOWN);
	assert_int_equal(ra.downs, 1);
	assert_true(sb.received >= 10);
	assert_int_equal(sb.health, HEALTH_UP);
	assert_int_equal(rb.downs, 0);
	/* a0's replies did arrive, on b0 */
	assert_true(reps >= sb.received + sa.sent - 2);
	probe_free(pa);
	probe_free(pb);
	loop_free(l);
	PEER("ip route replace 10.77.0.1 dev a1");
}

/* The link goes away: sends fail and count as lost at once. A new link of the same
 * name (a new ifindex) is probed again without anyone telling the prober. */
static void test_link_recreated(void **state)
{
	struct probe c = cfg("10.77.0.2", 100, 100);
	struct probe_stats st;
	struct loop *l;
	struct prober *p;
	struct rec r;
	uint64_t t0;

	(void)state;
	live_only();
	assert_int_equal(loop_new(&l), 0);
	p = start(l, "a0", &c, &r);
	assert_true(run(l, &r, HEALTH_EV_UP, 3000));
	t0 = mono_us();
	HERE("ip link del a0");
	assert_true(run(l, &r, HEALTH_EV_DOWN, 3000));
	print_message("# link deleted: DOWN after %.0f ms (%s)\n",
		      (double)(r.t_down - t0) / 1000, r.reason);
	assert_true(r.t_down - t0 <= 400000);
	run(l, NULL, HEALTH_EV_NONE, 300);      /* probes go on failing meanwhile */
	make_pair('a');
	t0 = mono_us();
	assert_true(run(l, &r, HEALTH_EV_UP, 3000));
	print_message("# link recreated: UP after %.0f ms\n", (double)(r.t_up - t0) / 1000);
	assert_true(r.t_up - t0 <= 500000);
	probe_stats(p, &st);
	assert_int_equal(st.transitions, 3);
	probe_free(p);

	/* A link that does not exist yet is no error: DOWN until it appears. */
	p = start(l, "c0", &c, &r);
	assert_true(run(l, &r, HEALTH_EV_DOWN, 1000));
	HERE("ip link add c0 type veth peer name c1 netns /proc/%d/ns/net && ip link set c0 up && "
	     "ip addr add 10.79.0.1/32 dev c0", (int)peer_pid);
	PEER("ip link set c1 up && ip addr add 10.77.0.2/32 dev c1 2>/dev/null; "
	     "ip route add 10.79.0.1 dev c1");
	assert_true(run(l, &r, HEALTH_EV_UP, 3000));
	/* and after probe_set_ifname the probe follows another link */
	HERE("ip link set c0 down");
	assert_true(run(l, &r, HEALTH_EV_DOWN, 3000));
	assert_int_equal(probe_set_ifname(p, "a0"), 0);
	assert_string_equal(probe_ifname(p), "a0");
	assert_true(run(l, &r, HEALTH_EV_UP, 3000));
	assert_int_equal(probe_set_ifname(p, "sixteen-chars-xx"), -ENAMETOOLONG);
	probe_free(p);
	HERE("ip link del c0");
	loop_free(l);
}

/* Replies from a userspace responder in the peer, after a chosen delay; it is ready
 * when this returns. */
static pid_t responder(unsigned int delay_ms)
{
	int sync[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(sync), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint8_t buf[1500];
		int fd;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (setns(peer_ns, CLONE_NEWNET) < 0)
			_exit(1);
		fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
		if (fd < 0 || write(sync[1], "x", 1) != 1)
			_exit(1);
		for (;;) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
			struct timespec ts = { delay_ms / 1000, (long)(delay_ms % 1000) * 1000000 };
			uint32_t sum = 0;
			uint8_t *icmp;
			size_t ihl, len, i;

			if (n < 28)
				continue;
			ihl = (size_t)(buf[0] & 0xf) * 4;
			icmp = buf + ihl;
			len = (size_t)n - ihl;
			if (icmp[0] != ICMP_ECHO)
				continue;
			icmp[0] = ICMP_ECHOREPLY;
			icmp[2] = icmp[3] = 0;
			for (i = 0; i + 1 < len; i += 2)
				sum += (uint32_t)(icmp[i] << 8 | icmp[i + 1]);
			if (len & 1)
				sum += (uint32_t)icmp[len - 1] << 8;
			while (sum >> 16)
				sum = (sum & 0xffff) + (sum >> 16);
			icmp[2] = (uint8_t)(~sum >> 8);
			icmp[3] = (uint8_t)~sum;
			nanosleep(&ts, NULL);
			sendto(fd, icmp, len, 0, (struct sockaddr *)&from, fl);
		}
	}
	close(sync[1]);
	assert_int_equal(read(sync[0], &c, 1), 1);
	close(sync[0]);
	responder_pid = pid;
	return pid;
}

static void stop_responder(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	responder_pid = 0;
}

/* RTT is measured, and a reply later than timeout_ms is a loss, however it comes. */
static void test_rtt_and_late_replies(void **state)
{
	struct probe c = cfg("10.77.0.2", 200, 200);
	struct probe_stats st, st2;
	struct loop *l;
	struct prober *p;
	struct rec r;
	unsigned long reps0;
	pid_t pid;

	(void)state;
	live_only();
	PEER("sysctl -qw net.ipv4.icmp_echo_ignore_all=1");
	pid = responder(60);
	assert_int_equal(loop_new(&l), 0);
	p = start(l, "a0", &c, &r);
	assert_true(run(l, &r, HEALTH_EV_UP, 3000));
	run(l, NULL, HEALTH_EV_NONE, 1000);
	probe_stats(p, &st);
	print_message("# responder 60 ms: rtt last %.1f avg %.1f ms, %s\n",
		      st.rtt_last_us / 1000.0, st.rtt_avg_us / 1000.0, r.reason);
	assert_in_range(st.rtt_last_us, 60000, 80000);
	assert_in_range(st.rtt_avg_us, 60000, 80000);
	assert_int_equal(st.loss_pct, 0);
	stop_responder(pid);

	/* 250 ms: every reply arrives, and every one too late */
	pid = responder(250);
	assert_true(run(l, &r, HEALTH_EV_DOWN, 3000));
	reps0 = in_echo_reps();
	probe_stats(p, &st);
	run(l, NULL, HEALTH_EV_NONE, 1500);
	probe_stats(p, &st2);
	print_message("# responder 250 ms: %lu late replies in 1.5 s, received %llu -> %llu, "
		      "loss %u%%\n", in_echo_reps() - reps0, (unsigned long long)st.received,
		      (unsigned long long)st2.received, st2.loss_pct);
	assert_true(in_echo_reps() - reps0 >= 4);
	assert_int_equal(st2.received, st.received);
	assert_int_equal(st2.health, HEALTH_DOWN);
	assert_true(st2.loss_pct >= 50);
	stop_responder(pid);
	probe_free(p);
	loop_free(l);
	PEER("sysctl -qw net.ipv4.icmp_echo_ignore_all=0");
}

static void test_ipv6(void **state)
{
	struct probe c = cfg("fd77::2", 100, 100), ll = cfg("fe80::77:2", 100, 100);
	struct probe_stats st;
	struct loop *l;
	struct prober *p, *q;
	struct rec r, rq;

	(void)state;
	live_only();
	assert_int_equal(loop_new(&l), 0);
	p = start(l, "a0", &c, &r);
	q = start(l, "a0", &ll, &rq);
	assert_true(run(l, &r, HEALTH_EV_UP, 3000));
	run(l, NULL, HEALTH_EV_NONE, 500);
	probe_stats(p, &st);
	print_message("# IPv6 fd77::2: %s, rtt %.3f ms\n", r.reason, st.rtt_avg_us / 1000.0);
	assert_in_range(st.rtt_avg_us, 1, 20000);
	probe_stats(q, &st);
	assert_int_equal(st.health, HEALTH_UP);     /* link-local, scoped to the link */
	/* without a route through the link IPv6 cannot send */
	HERE("ip -6 route del fd77::2 dev a0");
	assert_true(run(l, &r, HEALTH_EV_DOWN, 2000));
	probe_stats(q, &st);
	assert_int_equal(st.health, HEALTH_UP);
	HERE("ip -6 route add fd77::2 dev a0");
	assert_true(run(l, &r, HEALTH_EV_UP, 2000));
	/* echo blocked at the peer */
	block();
	assert_true(run(l, &r, HEALTH_EV_DOWN, 2000));
	assert_string_equal(r.reason, "3 probes lost");
	unblock();
	assert_true(run(l, &r, HEALTH_EV_UP, 2000));
	probe_free(p);
	probe_free(q);
	loop_free(l);
}

/* Wakeups: one timer an interval and the reply, no more; nothing busy while DOWN. */
static void test_wakeups(void **state)
{
	struct probe c = cfg("10.77.0.2", 200, 200);
	struct loop *l;
	struct prober *p;
	struct rec r;
	struct rusage ru0, ru1;
	long up, down;

	(void)state;
	live_only();
	assert_int_equal(loop_new(&l), 0);
	p = start(l, "a0", &c, &r);
	assert_true(run(l, &r, HEALTH_EV_UP, 3000));
	getrusage(RUSAGE_SELF, &ru0);
	run(l, NULL, HEALTH_EV_NONE, 2000);
	getrusage(RUSAGE_SELF, &ru1);
	up = ru1.ru_nvcsw - ru0.ru_nvcsw;
	block();
	assert_true(run(l, &r, HEALTH_EV_DOWN, 3000));
	getrusage(RUSAGE_SELF, &ru0);
	run(l, NULL, HEALTH_EV_NONE, 2000);
	getrusage(RUSAGE_SELF, &ru1);
	down = ru1.ru_nvcsw - ru0.ru_nvcsw;
	unblock();
	print_message("# wakeups in 2 s at 200 ms: %ld while UP (timer + reply), %ld while "
		      "DOWN\n", up, down);
	/* over veth the reply is often queued before the loop sleeps again */
	assert_in_range(up, 8, 24);
	assert_in_range(down, 8, 13);
	probe_free(p);
	loop_free(l);
}

/* The real thing: a WireGuard tunnel (wireguard-go at both ends) over the b pair. The
 * IPv4 probe has no route through the tunnel here; main's default points at b0. */
static void test_wireguard_go(void **state)
{
	struct probe c4 = cfg("10.90.0.2", 200, 200), c6 = cfg("fd90::2", 200, 200);
	char dir[] = "/tmp/probe-live-XXXXXX", wa[16], wb[16];
	struct probe_stats st;
	struct loop *l;
	struct prober *p4, *p6;
	struct rec r4, r6;
	uint64_t t0;

	(void)state;
	live_only();
	if (here("command -v wireguard-go wg >/dev/null") != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	/* UAPI sockets are shared by every namespace: names unique to this process */
	snprintf(wa, sizeof(wa), "wpa%04x", (unsigned int)getpid() & 0xffff);
	snprintf(wb, sizeof(wb), "wpb%04x", (unsigned int)getpid() & 0xffff);
	snprintf(wg_links[0], sizeof(wg_links[0]), "%s", wa);
	snprintf(wg_links[1], sizeof(wg_links[1]), "%s", wb);
	HERE("umask 077 && cd %s && wg genkey > ka && wg pubkey < ka > pa && "
	     "wg genkey > kb && wg pubkey < kb > pb", dir);
	HERE("wireguard-go %s >/dev/null 2>&1", wa);
	PEER("wireguard-go %s >/dev/null 2>&1", wb);
	HERE("wg set %s private-key %s/ka listen-port 51901 peer $(cat %s/pb) "
	     "endpoint 10.78.0.2:51902 allowed-ips 10.90.0.2/32,fd90::2/128 && "
	     "ip addr add 10.90.0.1/32 dev %s && ip -6 addr add fd90::1/128 dev %s nodad && "
	     "ip link set %s up && ip -6 route add fd90::2 dev %s", wa, dir, dir, wa, wa, wa, wa);
	PEER("wg set %s private-key %s/kb listen-port 51902 peer $(cat %s/pa) "
	     "endpoint 10.78.0.1:51901 allowed-ips 10.90.0.1/32,fd90::1/128 && "
	     "ip addr add 10.90.0.2/32 dev %s && ip -6 addr add fd90::2/128 dev %s nodad && "
	     "ip link set %s up && ip route add 10.90.0.1 dev %s && ip -6 route add fd90::1 dev %s",
	     wb, dir, dir, wb, wb, wb, wb, wb);
	HERE("rm -r %s", dir);

	assert_int_equal(loop_new(&l), 0);
	t0 = mono_us();
	p4 = start(l, wa, &c4, &r4);
	p6 = start(l, wa, &c6, &r6);
	assert_true(run(l, &r4, HEALTH_EV_UP, 5000));
	run(l, NULL, HEALTH_EV_NONE, 1000);
	probe_stats(p4, &st);
	print_message("# wireguard-go: UP %.0f ms after start (first handshake), %s, rtt avg "
		      "%.2f ms\n", (double)(r4.t_up - t0) / 1000, r4.reason, st.rtt_avg_us / 1000.0);
	assert_in_range(st.rtt_avg_us, 1, 50000);
	probe_stats(p6, &st);
	assert_int_equal(st.health, HEALTH_UP);
	for (int i = 0; i < 3; i++) {
		run(l, NULL, HEALTH_EV_NONE, 200 + (uint64_t)(rand() % 200));
		block();
		t0 = mono_us();
		assert_true(run(l, &r4, HEALTH_EV_DOWN, 3000));
		print_message("# wireguard-go, interval 200 ms: DOWN %.0f ms after the block\n",
			      (double)(r4.t_down - t0) / 1000);
		assert_true(r4.t_down - t0 <= 900000);
		unblock();
		assert_true(run(l, &r4, HEALTH_EV_UP, 3000));
	}
	probe_free(p4);
	probe_free(p6);
	loop_free(l);
	HERE("ip link del %s", wa);
	PEER("ip link del %s", wb);
	wg_links[0][0] = wg_links[1][0] = 0;
}

/* The owner may free the prober from its own callback. */
static void test_free_in_callback(void **state)
{
	struct probe c = cfg("10.77.0.2", 50, 50);
	struct loop *l;
	struct prober *p;
	struct rec r;

	(void)state;
	live_only();
	assert_int_equal(loop_new(&l), 0);
	p = start(l, "a0", &c, &r);
	r.free_on_event = true;
	r.slot = &p;
	assert_true(run(l, &r, HEALTH_EV_UP, 3000));
	assert_null(p);
	assert_false(run(l, &r, HEALTH_EV_UP, 300));    /* nothing left to fire */
	assert_int_equal(r.ups, 1);
	/* and from a forced DOWN */
	p = start(l, "a0", &c, &r);
	assert_true(run(l, &r, HEALTH_EV_UP, 3000));
	r.free_on_event = true;
	r.slot = &p;
	probe_force_down(p, "link gone");
	assert_null(p);
	assert_string_equal(r.reason, "link gone");
	loop_free(l);
}

static void test_bad_config(void **state)
{
	struct probe c = cfg("10.77.0.2", 200, 200);
	struct loop *l;
	struct prober *p = NULL;

	(void)state;
	assert_int_equal(loop_new(&l), 0);
	c.enabled = false;
	assert_int_equal(probe_new(l, "a0", &c, on_event, NULL, &p), -EINVAL);
	c.enabled = true;
	c.interval_ms = 0;
	assert_int_equal(probe_new(l, "a0", &c, on_event, NULL, &p), -EINVAL);
	c.interval_ms = 200;
	assert_int_equal(probe_new(l, "sixteen-chars-xx", &c, on_event, NULL, &p), -EINVAL);
	assert_int_equal(probe_new(l, "", &c, on_event, NULL, &p), -EINVAL);
	c.target.family = 0;
	assert_int_equal(probe_new(l, "a0", &c, on_event, NULL, &p), -EINVAL);
	assert_null(p);
	probe_free(NULL);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_bad_config, restore),
		cmocka_unit_test_teardown(test_up_rtt, restore),
		cmocka_unit_test_teardown(test_detection_200ms, restore),
		cmocka_unit_test_teardown(test_detection_50ms, restore),
		cmocka_unit_test_teardown(test_bound_to_link, restore),
		cmocka_unit_test_teardown(test_link_recreated, restore),
		cmocka_unit_test_teardown(test_rtt_and_late_replies, restore),
		cmocka_unit_test_teardown(test_ipv6, restore),
		cmocka_unit_test_teardown(test_wakeups, restore),
		cmocka_unit_test_teardown(test_wireguard_go, restore),
		cmocka_unit_test_teardown(test_free_in_callback, restore),
	};

	srand((unsigned int)getpid());
	if (geteuid() != 0)
		fprintf(stderr, "test_probe_live: not root, skipping\n");
	else if (unshare(CLONE_NEWNET) < 0)
		fprintf(stderr, "test_probe_live: unshare(CLONE_NEWNET): %s, skipping\n",
			strerror(errno));
	else if (access("/usr/sbin/nft", X_OK) != 0 && access("/sbin/nft", X_OK) != 0)
		fprintf(stderr, "test_probe_live: no nft, skipping\n");
	else
		live = true;
	return cmocka_run_group_tests(tests, setup_world, teardown_world);
}
