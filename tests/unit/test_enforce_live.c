/* The server's enforcing table against the real kernel and real packets: clients, a
 * destination host and the server in network namespaces (root only).
 *
 *   c1 (10.7.0.2/32) --veth--+                               +--veth-- srv 192.0.2.2
 *                            br "wgt" 10.7.0.1  [this netns]  eg0 192.0.2.1   198.51.100.1
 *   c2 (10.7.0.3/32) --veth--+   (plays the tunnel link)                      198.51.100.2
 *
 * The clients route everything, each other included, through the server, so their traffic
 * crosses its forward (and input) hooks from "wgt". The resolver's tests listen on
 * 10.7.0.1:5353 in this netns themselves; 198.51.100.53 is routed to srv but nobody has it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "netcfg/nft.h"
#include "netcfg/nl.h"
#include "profiles/policy.h"
#include "server/dns/doh.h"
#include "server/enforce.h"

static bool live;
static char ns_c1[32], ns_c2[32], ns_srv[32];
static pid_t peers[3];
static const char *peer_py = "tests/netns/enforce_peer.py";

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *out(const char *cmd)
{
	size_t len = 0, cap = 1 << 16, n;
	char *o = malloc(cap);
	FILE *p = popen(cmd, "r");

	assert_non_null(p);
	while ((n = fread(o + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len < 2)
			o = realloc(o, cap *= 2);
	}
	o[len] = '\0';
	pclose(p);
	return o;
}

static pid_t spawn(const char *ns, const char *args)
{
	char cmd[512];
	pid_t pid = fork();

	if (pid == 0) {
		if (ns)
			snprintf(cmd, sizeof(cmd), "exec ip netns exec %s python3 %s serve %s", ns,
				 peer_py, args);
		else
			snprintf(cmd, sizeof(cmd), "exec python3 %s serve %s", peer_py, args);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static bool reach(const char *ns, const char *kind, const char *host, int port)
{
	if (strcmp(kind, "ping") == 0)
		return sh("ip netns exec %s ping -c1 -W1 -q %s >/dev/null 2>&1", ns, host) == 0;
	return sh("ip netns exec %s python3 %s %s %s %d", ns, peer_py, kind, host, port) == 0;
}

static int topo_up(void)
{
	int pid = (int)getpid(), err = 0;

	snprintf(ns_c1, sizeof(ns_c1), "penf-c1-%d", pid);
	snprintf(ns_c2, sizeof(ns_c2), "penf-c2-%d", pid);
	snprintf(ns_srv, sizeof(ns_srv), "penf-srv-%d", pid);
	err |= sh("ip netns add %s && ip netns add %s && ip netns add %s", ns_c1, ns_c2, ns_srv);
	err |= sh("ip link set lo up && ip link add wgt type bridge && ip link set wgt up && "
		  "ip addr add 10.7.0.1/24 dev wgt && sysctl -qw net.ipv4.ip_forward=1 "
		  "net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.wgt.send_redirects=0");
	err |= sh("ip link add r-c1 type veth peer name eth0 netns %s && "
		  "ip link add r-c2 type veth peer name eth0 netns %s && "
		  "ip link set r-c1 master wgt up && ip link set r-c2 master wgt up", ns_c1, ns_c2);
	err |= sh("for n in %s:10.7.0.2 %s:10.7.0.3; do ns=${n%%:*} a=${n#*:}; "
		  "ip -n $ns link set lo up && ip -n $ns link set eth0 up && "
		  "ip -n $ns addr add $a/32 dev eth0 && ip -n $ns route add 10.7.0.1 dev eth0 && "
		  "ip -n $ns route add default via 10.7.0.1 && "
		  "ip netns exec $ns sysctl -qw net.ipv4.conf.all.accept_redirects=0 "
		  "net.ipv4.conf.eth0.accept_redirects=0 || exit 1; done", ns_c1, ns_c2);
	err |= sh("ip link add eg0 type veth peer name eth0 netns %s && ip link set eg0 up && "
		  "ip addr add 192.0.2.1/24 dev eg0 && ip -n %s link set lo up && "
		  "ip -n %s link set eth0 up && ip -n %s addr add 192.0.2.2/24 dev eth0 && "
		  "ip -n %s addr add 198.51.100.1/32 dev lo && ip -n %s addr add 198.51.100.2/32 dev lo && "
		  "ip route add 198.51.100.0/24 via 192.0.2.2",
		  ns_srv, ns_srv, ns_srv, ns_srv, ns_srv, ns_srv);
	peers[0] = spawn(ns_srv, "tcp:80 tcp:443 tcp:853 udp:853:198.51.100.1,198.51.100.2 "
			 "udp:5000:198.51.100.1,198.51.100.2 udp:5001:198.51.100.1,198.51.100.2");
	peers[1] = spawn(NULL, "udp:53:10.7.0.1 tcp:53 tcp:8443 tcp:2222");
	peers[2] = spawn(ns_c2, "tcp:7000");
	usleep(500 * 1000);
	return err;
}

static void topo_down(void)
{
	size_t i;

	for (i = 0; i < 3; i++)
		if (peers[i] > 0) {
			kill(peers[i], SIGTERM);
			waitpid(peers[i], NULL, 0);
		}
	(void)!sh("ip netns del %s; ip netns del %s; ip netns del %s", ns_c1, ns_c2, ns_srv);
}

static struct cidr C(const char *s)
{
	struct cidr c;

	assert_int_equal(cidr_parse(&c, s), 0);
	return c;
}

struct fixture {
	struct nl *nl;
	struct enforce *e;
	struct enforce_conf conf;
	struct policy p;
	struct enforce_group g;
	struct enforce_dev d[2];
	struct policy_dest dests[8];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct cidr c;

	if (live && nl_open(&f->nl, NFT_NETLINK_BUS) < 0)
		return -1;
	f->e = enforce_new(f->nl);
	f->conf.ifname = "wgt";
	f->conf.egress = "eg0";
	f->conf.snat = true;
	f->conf.policy = true;
	f->conf.portal_port = 8443;
	c = C("10.7.0.0/24");
	cidrv_push(&f->conf.pool, &c);
	c = C("10.7.0.1");
	cidrv_push(&f->conf.server_addrs, &c);
	memset(&f->p, 0, sizeof(f->p));
	f->p.dests = f->dests;
	f->dests[0] = (struct policy_dest){ .net = C("198.51.100.1/32") };
	f->dests[1] = (struct policy_dest){ .net = C("198.51.100.2/32"), .proto = IPPROTO_TCP,
					    .port_lo = 80, .port_hi = 80 };
	f->dests[2] = (struct policy_dest){ .net = C("198.51.100.2/32"), .proto = IPPROTO_UDP,
					    .port_lo = 5000, .port_hi = 5000 };
	/* overlapping the one above: made disjoint before the kernel sees it */
	f->dests[3] = (struct policy_dest){ .net = C("198.51.100.0/24"), .proto = IPPROTO_UDP,
					    .port_lo = 4990, .port_hi = 4999 };
	f->dests[4] = (struct policy_dest){ .net = C("192.0.2.2/32"), .port_lo = 7, .port_hi = 9 };
	f->p.n_dests = 5;
	f->g.id = 1;
	f->g.p = &f->p;
	f->g.open = true;
	f->d[0] = (struct enforce_dev){ .addr = C("10.7.0.2"), .group = 1, .ep_ok = true };
	f->d[1] = (struct enforce_dev){ .addr = C("10.7.0.3"), .group = 1, .ep_ok = true };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->e && live)
		enforce_remove(f->e);
	enforce_free(f->e);
	cidrv_clear(&f->p.sources);
	cidrv_clear(&f->conf.pool);
	cidrv_clear(&f->conf.server_addrs);
	cidrv_clear(&f->conf.doh);
	nl_close(f->nl);
	free(f);
	return 0;
}

static struct fixture *live_f(void **state)
{
	if (!live)
		skip();
	return *state;
}

static void converge(struct fixture *f)
{
	int err = enforce_converge(f->e, &f->conf, &f->g, 1, f->d, 2);

	if (err)
		fprintf(stderr, "converge: %s\n", nl_strerror(f->nl, err));
	assert_int_equal(err, 0);
}

static bool matches(struct fixture *f)
{
	bool m = false;

	assert_int_equal(enforce_matches(f->e, &m), 0);
	return m;
}

struct blocked {
	struct cidr a;
	uint64_t packets;
};

static int blocked_cb(const struct cidr *a, uint64_t packets, uint64_t bytes, void *arg)
{
	struct blocked *b = arg;

	if (cidr_equal(a, &b->a))
		b->packets = packets;
	return 0;
}

static uint64_t blocked(struct fixture *f, const char *addr)
{
	struct blocked b = { .a = C(addr) };

	assert_int_equal(enforce_blocked(f->e, blocked_cb, &b), 0);
	return b.packets;
}

static void test_dests(void **state)
{
	struct fixture *f = live_f(state);
	uint64_t before;

	converge(f);
	assert_true(matches(f));
	assert_true(reach(ns_c1, "tcp", "198.51.100.1", 80));
	assert_true(reach(ns_c1, "udp", "198.51.100.1", 5000));
	assert_true(reach(ns_c1, "ping", "198.51.100.1", 0));
	assert_true(reach(ns_c1, "tcp", "198.51.100.2", 80));
	assert_true(reach(ns_c1, "udp", "198.51.100.2", 5000));
	before = blocked(f, "10.7.0.2");
	assert_false(reach(ns_c1, "tcp", "198.51.100.2", 443));
	assert_false(reach(ns_c1, "udp", "198.51.100.2", 5001));
	assert_false(reach(ns_c1, "ping", "198.51.100.2", 0));
	assert_true(blocked(f, "10.7.0.2") >= before + 3);
	/* a port range with proto 0: tcp and udp; the server itself only by DNS/portal */
	assert_false(reach(ns_c1, "tcp", "10.7.0.1", 2222));
	assert_true(reach(ns_c1, "udp", "10.7.0.1", 53));
	assert_true(reach(ns_c1, "tcp", "10.7.0.1", 8443));
	/* an address not in the map: nothing but DNS and the portal */
	f->d[1].group = 1;
	assert_int_equal(enforce_dev_del(f->e, &f->d[1].addr), 0);
	assert_false(reach(ns_c2, "tcp", "198.51.100.1", 80));
	assert_true(reach(ns_c2, "udp", "10.7.0.1", 53));
	assert_true(matches(f));
	assert_int_equal(enforce_dev_set(f->e, &f->d[1]), 0);
	assert_true(reach(ns_c2, "tcp", "198.51.100.1", 80));
	assert_true(matches(f));
}

static void test_schedule(void **state)
{
	struct fixture *f = live_f(state);

	converge(f);
	f->g.open = false;
	assert_int_equal(enforce_group_set(f->e, &f->g), 0);
	assert_true(matches(f));
	assert_false(reach(ns_c1, "tcp", "198.51.100.1", 80));
	assert_false(reach(ns_c1, "ping", "198.51.100.1", 0));
	assert_true(reach(ns_c1, "udp", "10.7.0.1", 53));
	assert_true(reach(ns_c1, "tcp", "10.7.0.1", 53));
	assert_true(reach(ns_c1, "tcp", "10.7.0.1", 8443));
	assert_false(reach(ns_c1, "tcp", "10.7.0.1", 2222));
	f->g.open = true;
	assert_int_equal(enforce_group_set(f->e, &f->g), 0);
	assert_true(reach(ns_c1, "tcp", "198.51.100.1", 80));
	assert_true(matches(f));
}

static void test_sources(void **state)
{
	struct fixture *f = live_f(state);
	struct cidr src = C("203.0.113.0/24");

	cidrv_push(&f->p.sources, &src);
	f->d[0].ep_ok = false;
	converge(f);
	assert_false(reach(ns_c1, "tcp", "198.51.100.1", 80));
	assert_true(reach(ns_c2, "tcp", "198.51.100.1", 80));
	f->d[0].ep_ok = true;
	assert_int_equal(enforce_dev_set(f->e, &f->d[0]), 0);
	assert_true(reach(ns_c1, "tcp", "198.51.100.1", 80));
	assert_true(matches(f));
}

static bool logged_in(struct fixture *f, const struct cidr *a)
{
	bool in = true;

	assert_int_equal(enforce_login_get(f->e, a, &in), 0);
	return in;
}

static void test_login(void **state)
{
	struct fixture *f = live_f(state);

	f->p.portal_login = true;
	f->p.idle_s = 2;
	converge(f);
	assert_false(logged_in(f, &f->d[0].addr));
	assert_false(reach(ns_c1, "tcp", "198.51.100.1", 80));
	assert_true(reach(ns_c1, "udp", "10.7.0.1", 53));
	assert_true(reach(ns_c1, "tcp", "10.7.0.1", 8443));
	f->d[0].logged_in = true;
	assert_int_equal(enforce_dev_set(f->e, &f->d[0]), 0);
	assert_true(logged_in(f, &f->d[0].addr));
	assert_true(reach(ns_c1, "tcp", "198.51.100.1", 80));
	/* traffic keeps it alive past the idle time ... */
	sleep(1);
	assert_true(reach(ns_c1, "ping", "198.51.100.1", 0));
	sleep(1);
	assert_true(reach(ns_c1, "ping", "198.51.100.1", 0));
	usleep(800 * 1000);
	assert_true(logged_in(f, &f->d[0].addr));
	/* ... and without it the element times out */
	sleep(3);
	assert_false(logged_in(f, &f->d[0].addr));
	assert_false(reach(ns_c1, "tcp", "198.51.100.1", 80));
	assert_true(matches(f));
	/* signing out an element the kernel already dropped is fine */
	f->d[0].logged_in = false;
	assert_int_equal(enforce_dev_set(f->e, &f->d[0]), 0);
	assert_true(matches(f));
}

static void test_isolation(void **state)
{
	struct fixture *f = live_f(state);

	converge(f);
	assert_true(reach(ns_c1, "tcp", "10.7.0.3", 7000));
	f->p.isolate = true;
	assert_int_equal(enforce_group_set(f->e, &f->g), 0);
	assert_false(reach(ns_c1, "tcp", "10.7.0.3", 7000));
	assert_true(reach(ns_c1, "tcp", "198.51.100.1", 80));
	assert_true(matches(f));
}

struct count {
	size_t msgs, elems, other;
	uint8_t key[4];
};

static void count_cb(const void *buf, size_t len, void *arg)
{
	struct count *c = arg;
	const struct nlmsghdr *m;
	int left = (int)len;

	for (m = buf; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
		int type = m->nlmsg_type & 0xff;
		const struct nlattr *a, *list, *el, *k;

		if ((m->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES)
			continue;
		c->msgs++;
		if (type != NFT_MSG_NEWSETELEM && type != NFT_MSG_DELSETELEM) {
			c->other++;
			continue;
		}
		mnl_attr_for_each(a, m, sizeof(struct nfgenmsg)) {
			if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
				continue;
			list = a;
			mnl_attr_for_each_nested(el, list) {
				c->elems++;
				mnl_attr_for_each_nested(k, el) {
					const struct nlattr *d;

					if (mnl_attr_get_type(k) != NFTA_SET_ELEM_KEY)
						continue;
					d = mnl_attr_get_payload(k);
					if (memcmp(mnl_attr_get_payload(d), c->key, 4) != 0)
						c->other++;
				}
			}
		}
	}
}

static void test_one_dev_change(void **state)
{
	struct fixture *f = live_f(state);
	struct enforce_dev *many = calloc(1000, sizeof(*many)), d;
	struct count c = { .key = { 10, 7, 4, 7 } };
	size_t i;

	for (i = 0; i < 1000; i++)
		many[i] = (struct enforce_dev){ .addr = C("10.7.0.0"), .group = 1,
						.class_up = (uint16_t)(i + 1),
						.class_dn = (uint16_t)(i + 1001) };
	for (i = 0; i < 1000; i++) {
		many[i].addr.addr[2] = (uint8_t)(i / 250 + 1);
		many[i].addr.addr[3] = (uint8_t)(i % 250 + 1);
	}
	assert_int_equal(enforce_converge(f->e, &f->conf, &f->g, 1, many, 1000), 0);
	d = many[3 * 250 + 6];    /* 10.7.4.7 */
	d.ep_ok = true;
	d.class_up = 4000;
	enforce_observe(f->e, count_cb, &c);
	assert_int_equal(enforce_dev_set(f->e, &d), 0);
	enforce_observe(f->e, NULL, NULL);
	/* epok add, up del + add: three messages, one element each, all this address */
	assert_int_equal(c.msgs, 3);
	assert_int_equal(c.elems, 3);
	assert_int_equal(c.other, 0);
	assert_true(matches(f));
	free(many);
}

static void test_tamper(void **state)
{
	struct fixture *f = live_f(state);
	char *o;

	converge(f);
	assert_true(matches(f));
	assert_int_equal(sh("nft delete element inet warren_server dev4 '{ 10.7.0.2 }'"), 0);
	assert_false(matches(f));
	converge(f);
	assert_true(matches(f));
	assert_int_equal(sh("nft add element inet warren_server epok4 '{ 10.7.0.99 }'"), 0);
	assert_false(matches(f));
	converge(f);
	assert_int_equal(sh("nft delete element inet warren_server g_1_port4 "
			    "'{ 198.51.100.2 . tcp . 80 }'"), 0);
	assert_false(matches(f));
	converge(f);
	assert_int_equal(sh("nft flush chain inet warren_server g_1"), 0);
	assert_false(matches(f));
	converge(f);
	assert_int_equal(sh("nft add rule inet warren_server forward accept"), 0);
	assert_false(matches(f));
	converge(f);
	/* dynamic sets' contents are not ours to check */
	assert_int_equal(sh("nft add element inet warren_server login4 '{ 10.7.0.50 timeout 1h }'"),
			 0);
	assert_true(matches(f));
	assert_int_equal(sh("nft delete table inet warren_server"), 0);
	assert_false(matches(f));
	converge(f);
	assert_true(matches(f));
	assert_int_equal(enforce_remove(f->e), 0);
	o = out("nft list tables");
	assert_null(strstr(o, "warren_server"));
	free(o);
	assert_true(matches(f));   /* removed and known to be */
}

/* ---- the resolver ---- */

enum { P_OK, P_REFUSED, P_SILENT };

static struct sockaddr_in sin_of(const char *host, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	assert_int_equal(inet_pton(AF_INET, host, &a.sin_addr), 1);
	return a;
}

/* In the child: into netns ns, or _exit(3). */
static void enter(const char *ns)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		_exit(3);
	close(fd);
}

/* From ns: a TCP connect, or a UDP datagram answered from host:port itself (the socket is
 * connected, so an answer from anywhere else is not seen). P_REFUSED: a reset or an ICMP
 * port unreachable; P_SILENT: nothing within a second. */
static int probe(const char *ns, int type, const char *host, int port)
{
	struct sockaddr_in to = sin_of(host, port);
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct timeval tv = { .tv_sec = 1 };
		char buf[64];
		int fd;

		enter(ns);
		fd = socket(AF_INET, type, 0);
		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
			_exit(3);
		if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
			_exit(errno == ECONNREFUSED ? P_REFUSED : P_SILENT);
		if (type == SOCK_STREAM)
			_exit(P_OK);
		if (send(fd, "ping", 4, 0) != 4)
			_exit(errno == ECONNREFUSED ? P_REFUSED : P_SILENT);
		if (recv(fd, buf, sizeof(buf), 0) < 0)
			_exit(errno == ECONNREFUSED ? P_REFUSED : P_SILENT);
		_exit(P_OK);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) <= P_SILENT);
	return WEXITSTATUS(st);
}

/* A query for example.com A, as a stub resolver sends it. */
static const uint8_t query[] = {
	0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
};

struct dns_seen {
	bool at_resolver;      /* the resolver's socket (10.7.0.1:5353) got it from c1 */
	bool answered;         /* c1 got the answer, from the address and port it asked */
};

/* c1 asks host:53 over UDP; this netns plays the resolver on 10.7.0.1:5353. */
static struct dns_seen dns_ask(const char *host)
{
	struct sockaddr_in at = sin_of("10.7.0.1", 5353), to = sin_of(host, 53), from;
	struct dns_seen seen = { false, false };
	int one = 1, fd = socket(AF_INET, SOCK_DGRAM, 0), st;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	socklen_t flen = sizeof(from);
	uint8_t buf[512];
	pid_t pid;
	ssize_t n;

	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&at, sizeof(at)), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct timeval tv = { .tv_sec = 2 };
		int c;

		enter(ns_c1);
		c = socket(AF_INET, SOCK_DGRAM, 0);
		if (c < 0 || setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
		    connect(c, (struct sockaddr *)&to, sizeof(to)) < 0 ||
		    send(c, query, sizeof(query), 0) != (ssize_t)sizeof(query))
			_exit(3);
		n = recv(c, buf, sizeof(buf), 0);
		_exit(n == (ssize_t)sizeof(query) && buf[0] == 0x12 && (buf[2] & 0x80) ? 0 : 1);
	}
	if (poll(&pfd, 1, 1500) == 1) {
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		seen.at_resolver = n == (ssize_t)sizeof(query) &&
				   !memcmp(buf, query, sizeof(query)) &&
				   from.sin_addr.s_addr == sin_of("10.7.0.2", 0).sin_addr.s_addr;
		buf[2] |= 0x80;   /* QR: an answer */
		if (seen.at_resolver)
			assert_int_equal(sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from,
						flen), n);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	close(fd);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) <= 1);
	seen.answered = WEXITSTATUS(st) == 0;
	return seen;
}

/* The resolver on 5353, 53 redirected, DoT refused, DoH to 198.51.100.1 and the built-in
 * list refused. */
static void dns_on(struct fixture *f)
{
	struct cidr c = C("198.51.100.1/32");
	size_t i;

	for (i = 0; i < doh_builtin_n; i++) {
		struct cidr b = C(doh_builtin[i]);

		cidrv_push(&f->conf.doh, &b);
	}

	f->conf.dns_port = 5353;
	f->conf.dns_redirect = true;
	f->conf.refuse_dot = true;
	cidrv_push(&f->conf.doh, &c);
	c = C("2001:db8:53::/48");
	cidrv_push(&f->conf.doh, &c);
}

static uint64_t refused(struct fixture *f)
{
	uint64_t n = 99;

	assert_int_equal(enforce_dns_refused(f->e, &n), 0);
	return n;
}

static void test_dns_redirect(void **state)
{
	struct fixture *f = live_f(state);
	struct sockaddr_in at = sin_of("10.7.0.1", 5353);
	struct dns_seen seen;
	char *o;
	int one = 1, tcp;

	dns_on(f);
	converge(f);
	assert_true(matches(f));
	if (getenv("ENFORCE_LIST")) {
		o = out("nft list table inet warren_server");
		fprintf(stderr, "%s", o);
		free(o);
	}
	/* any address's 53 is answered by the resolver, and the answer comes from where the
	 * query went (conntrack undoes the DNAT) */
	seen = dns_ask("198.51.100.53");
	assert_true(seen.at_resolver);
	assert_true(seen.answered);
	/* the server's own 53 reaches the resolver's port too */
	seen = dns_ask("10.7.0.1");
	assert_true(seen.at_resolver);
	assert_true(seen.answered);
	/* TCP as well */
	tcp = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(bind(tcp, (struct sockaddr *)&at, sizeof(at)), 0);
	assert_int_equal(listen(tcp, 8), 0);
	assert_int_equal(probe(ns_c1, SOCK_STREAM, "198.51.100.53", 53), P_OK);
	assert_int_equal(probe(ns_c2, SOCK_STREAM, "8.8.8.8", 53), P_OK);
	close(tcp);
	/* the rest still as the group says */
	assert_true(reach(ns_c1, "tcp", "198.51.100.1", 80));
	assert_false(reach(ns_c1, "tcp", "10.7.0.1", 2222));
	assert_true(matches(f));
}

static void test_dns_no_redirect(void **state)
{
	struct fixture *f = live_f(state);
	struct dns_seen seen;

	dns_on(f);
	f->conf.dns_redirect = false;
	converge(f);
	assert_true(matches(f));
	/* elsewhere's 53 is not the resolver's (and the group does not allow it) */
	seen = dns_ask("198.51.100.53");
	assert_false(seen.at_resolver);
	assert_false(seen.answered);
	/* the server's own still is, on its port */
	seen = dns_ask("10.7.0.1");
	assert_true(seen.at_resolver);
	assert_true(seen.answered);
	/* with the resolver off, 53 on the server is what listens there (an echo) */
	f->conf.dns_port = 0;
	f->conf.refuse_dot = false;
	cidrv_clear(&f->conf.doh);
	converge(f);
	seen = dns_ask("10.7.0.1");
	assert_false(seen.at_resolver);
	assert_true(reach(ns_c1, "udp", "10.7.0.1", 53));
	assert_true(matches(f));
}

static void test_dns_refuse(void **state)
{
	struct fixture *f = live_f(state);
	uint64_t before;

	/* the group lets 198.51.100.2:443 through; 198.51.100.1 is wholly allowed */
	f->dests[5] = (struct policy_dest){ .net = C("198.51.100.2/32"), .proto = IPPROTO_TCP,
					    .port_lo = 443, .port_hi = 443 };
	f->p.n_dests = 6;
	converge(f);
	/* off: DoT and DoH pass wherever the group lets them */
	assert_int_equal(probe(ns_c1, SOCK_STREAM, "198.51.100.1", 853), P_OK);
	assert_int_equal(probe(ns_c1, SOCK_DGRAM, "198.51.100.1", 853), P_OK);
	assert_int_equal(probe(ns_c1, SOCK_STREAM, "198.51.100.1", 443), P_OK);
	assert_int_equal(refused(f), 0);
	dns_on(f);
	converge(f);
	assert_true(matches(f));
	before = refused(f);
	assert_int_equal(before, 0);
	/* DoT and DoQ anywhere: a reset, a port unreachable, counted */
	assert_int_equal(probe(ns_c1, SOCK_STREAM, "198.51.100.1", 853), P_REFUSED);
	assert_int_equal(refused(f), 1);
	assert_int_equal(probe(ns_c1, SOCK_DGRAM, "198.51.100.1", 853), P_REFUSED);
	assert_int_equal(refused(f), 2);
	/* refused before the group: where it would have dropped, the client hears a reset */
	assert_int_equal(probe(ns_c2, SOCK_STREAM, "198.51.100.2", 853), P_REFUSED);
	assert_int_equal(refused(f), 3);
	/* DoH to a known resolver refused; 443 elsewhere, and its other ports, pass */
	assert_int_equal(probe(ns_c1, SOCK_STREAM, "198.51.100.1", 443), P_REFUSED);
	assert_int_equal(refused(f), 4);
	assert_int_equal(probe(ns_c1, SOCK_STREAM, "198.51.100.2", 443), P_OK);
	assert_int_equal(probe(ns_c1, SOCK_STREAM, "198.51.100.1", 80), P_OK);
	assert_int_equal(probe(ns_c1, SOCK_DGRAM, "198.51.100.1", 5000), P_OK);
	assert_int_equal(refused(f), 4);
	assert_true(matches(f));
	/* DoT alone: 443 is back */
	cidrv_clear(&f->conf.doh);
	converge(f);
	assert_int_equal(probe(ns_c1, SOCK_STREAM, "198.51.100.1", 443), P_OK);
	assert_int_equal(probe(ns_c1, SOCK_STREAM, "198.51.100.1", 853), P_REFUSED);
	assert_int_equal(refused(f), 1);   /* a converge makes the table anew */
	assert_true(matches(f));
}

static void test_dns_tamper(void **state)
{
	struct fixture *f = live_f(state);
	char *a, *b;

	dns_on(f);
	converge(f);
	assert_true(matches(f));
	/* a second converge of the same makes the same table: nothing for a repair to do */
	a = out("nft list table inet warren_server");
	converge(f);
	b = out("nft list table inet warren_server");
	assert_string_equal(a, b);
	free(a);
	free(b);
	assert_true(matches(f));
	assert_int_equal(sh("nft flush chain inet warren_server dns_dnat"), 0);
	assert_false(matches(f));
	converge(f);
	assert_true(matches(f));
	/* the DNAT rule pointed elsewhere */
	assert_int_equal(sh("nft flush chain inet warren_server dns_dnat && "
			    "nft add rule inet warren_server dns_dnat iifname wgt udp dport 53 "
			    "dnat ip to 10.7.0.1:5354"), 0);
	assert_false(matches(f));
	converge(f);
	assert_true(matches(f));
	assert_int_equal(sh("nft insert rule inet warren_server dns_dnat accept"), 0);
	assert_false(matches(f));
	converge(f);
	assert_int_equal(sh("nft delete element inet warren_server doh4 '{ 198.51.100.1 }'"), 0);
	assert_false(matches(f));
	converge(f);
	assert_int_equal(sh("nft delete element inet warren_server doh4 '{ 8.8.8.8 }'"), 0);
	assert_false(matches(f));
	converge(f);
	assert_int_equal(sh("nft add element inet warren_server doh6 '{ 2001:db9::/32 }'"), 0);
	assert_false(matches(f));
	converge(f);
	assert_int_equal(sh("nft flush chain inet warren_server dns_refuse"), 0);
	assert_false(matches(f));
	converge(f);
	assert_int_equal(sh("nft add counter inet warren_server other"), 0);
	assert_false(matches(f));
	converge(f);
	assert_int_equal(sh("nft add quota inet warren_server q 1 mbytes"), 0);
	assert_false(matches(f));
	converge(f);
	/* the chain made anew at another priority */
	assert_int_equal(sh("nft flush chain inet warren_server dns_dnat && "
			    "nft delete chain inet warren_server dns_dnat && "
			    "nft 'add chain inet warren_server dns_dnat "
			    "{ type nat hook prerouting priority 0; }' && "
			    "nft add rule inet warren_server dns_dnat iifname wgt "
			    "meta nfproto ipv4 udp dport 53 dnat ip to 10.7.0.1:5353 && "
			    "nft add rule inet warren_server dns_dnat iifname wgt "
			    "meta nfproto ipv4 tcp dport 53 dnat ip to 10.7.0.1:5353"), 0);
	assert_false(matches(f));
	converge(f);
	assert_true(matches(f));
	/* the resolver off: none of it is left */
	f->conf.dns_port = 0;
	f->conf.dns_redirect = f->conf.refuse_dot = false;
	cidrv_clear(&f->conf.doh);
	converge(f);
	assert_true(matches(f));
	a = out("nft list table inet warren_server");
	assert_null(strstr(a, "dns_dnat"));
	assert_null(strstr(a, "dns_refuse"));
	assert_null(strstr(a, "doh"));
	assert_null(strstr(a, "counter dns_refused"));
	assert_null(strstr(a, "dnat"));
	free(a);
	assert_int_equal(sh("nft add counter inet warren_server dns_refused"), 0);
	assert_false(matches(f));
	/* and back on, then removed: nothing left at all */
	dns_on(f);
	converge(f);
	assert_true(matches(f));
	assert_int_equal(enforce_remove(f->e), 0);
	a = out("nft list tables");
	assert_null(strstr(a, "warren_server"));
	free(a);
}

static void test_snat_only(void **state)
{
	struct fixture *f = live_f(state);
	char *o;

	f->conf.policy = false;
	converge(f);
	assert_true(matches(f));
	o = out("nft list table inet warren_server");
	assert_non_null(strstr(o, "masquerade"));
	assert_null(strstr(o, "dispatch"));
	free(o);
	/* everything goes through, masqueraded */
	assert_true(reach(ns_c1, "tcp", "198.51.100.2", 443));
	f->conf.snat = false;
	f->conf.egress = NULL;
	converge(f);
	o = out("nft list tables");
	assert_null(strstr(o, "warren_server"));
	free(o);
	assert_true(matches(f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schedule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_isolation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_dev_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snat_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_redirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_no_redirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_refuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_tamper, setup, teardown),
	};
	int rc;

	if (geteuid() != 0)
		fprintf(stderr, "test_enforce_live: not root, skipping\n");
	else if (access("/usr/sbin/nft", X_OK) != 0 || access(peer_py, R_OK) != 0 ||
		 sh("command -v python3 >/dev/null") != 0)
		fprintf(stderr, "test_enforce_live: no nft, python3 or %s, skipping\n", peer_py);
	else if (unshare(CLONE_NEWNET) < 0)
		fprintf(stderr, "test_enforce_live: unshare: %s, skipping\n", strerror(errno));
	else if (topo_up() != 0)
		fprintf(stderr, "test_enforce_live: topology failed, skipping\n");
	else
		live = true;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (live)
		topo_down();
	return rc;
}
