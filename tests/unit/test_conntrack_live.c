/* conntrack_flush_nat against real masqueraded flows in private network namespaces (root only). */
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "netcfg/conntrack.h"
#include "netcfg/nl.h"

/* main() moves the process into a fresh netns, the router; a second one, the peer, is
 * made with ip netns. Flows start in the router from local sockets so no third namespace
 * is needed: a source on lo (10.99.0.1, fd99::1) leaving through a veth is masqueraded.
 *
 *   router (this process)                          peer (ip netns ctlive-PID)
 *   lo: 10.99.0.1 fd99::1  (the "LAN" sources)
 *   veth0 10.77.0.1 fd77::1 ------------------------ veth1 10.77.0.2 fd77::2
 *   veth2 10.78.0.1 fd78::1 ------------------------ veth3 10.78.0.2 fd78::2
 *   nat postrouting: sources 10.99.0.0/24 and fd99::/64 masquerade on veth0 and veth2
 *
 * veth0's addresses stand for the dead tunnel's, veth2's for another tunnel's. Entries
 * are checked through a plain dump parsed by conntrack_parse and, where the kernel has
 * it, independently through /proc/net/nf_conntrack. */
static bool live;
static char peer[64];
static int self_ns = -1, peer_ns = -1;

#define CT_NEW 0x0100           /* NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW */
#define MANY 1000               /* flows for the batching test: several sends' worth */

static struct cidr C(const char *s)
{
	struct cidr c;

	assert_int_equal(cidr_parse(&c, s), 0);
	return c;
}

/* Run a shell command; false (and the command named on stderr) when it fails. */
static bool sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "test_conntrack_live: `%s` exited %d\n", cmd, rc);
	return rc == 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (peer_ns >= 0)
		close(peer_ns);
	peer_ns = -1;
	if (peer[0] && !sh("ip netns del %s", peer))
		fprintf(stderr, "test_conntrack_live: netns %s left behind\n", peer);
	peer[0] = '\0';
	return 0;
}

/* Any step failing removes what was made: cmocka runs no group teardown then. */
static int group_setup(void **state)
{
	static const char ruleset[] =
		"table inet ctlive {\n"
		" chain post {\n"
		"  type nat hook postrouting priority srcnat; policy accept;\n"
		"  oifname { \"veth0\", \"veth2\" } ip saddr 10.99.0.0/24 masquerade\n"
		"  oifname { \"veth0\", \"veth2\" } ip6 saddr fd99::/64 masquerade\n"
		" }\n"
		"}\n";
	char path[128];
	FILE *f;
	bool ok;

	if (!live)
		return 0;
	snprintf(peer, sizeof(peer), "ctlive-%d", (int)getpid());
	if (!sh("ip netns add %s", peer)) {
		peer[0] = '\0';
		return -1;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", peer);
	peer_ns = open(path, O_RDONLY | O_CLOEXEC);
	ok = peer_ns >= 0 &&
	     sh("ip link set lo up && ip -n %s link set lo up", peer) &&
	     sh("ip addr add 10.99.0.1/32 dev lo && ip addr add fd99::1/128 dev lo") &&
	     sh("ip link add veth0 type veth peer name veth1 netns %s", peer) &&
	     sh("ip link add veth2 type veth peer name veth3 netns %s", peer) &&
	     sh("ip addr add 10.77.0.1/24 dev veth0 && ip addr add fd77::1/64 dev veth0 nodad") &&
	     sh("ip addr add 10.78.0.1/24 dev veth2 && ip addr add fd78::1/64 dev veth2 nodad") &&
	     sh("ip -n %s addr add 10.77.0.2/24 dev veth1 && "
		"ip -n %s addr add fd77::2/64 dev veth1 nodad", peer, peer) &&
	     sh("ip -n %s addr add 10.78.0.2/24 dev veth3 && "
		"ip -n %s addr add fd78::2/64 dev veth3 nodad", peer, peer) &&
	     sh("ip link set veth0 up && ip link set veth2 up") &&
	     sh("ip -n %s link set veth1 up && ip -n %s link set veth3 up", peer, peer);
	if (ok) {
		f = popen("nft -f -", "w");
		ok = f && fputs(ruleset, f) >= 0;
		ok = f && pclose(f) == 0 && ok;
	}
	if (!ok) {
		group_teardown(state);
		return -1;
	}
	return 0;
}

static int setup(void **state)
{
	struct nl *nl = NULL;

	if (live && nl_open(&nl, CONNTRACK_NETLINK_BUS) < 0)
		return -1;
	*state = nl;
	return 0;
}

static int teardown(void **state)
{
	nl_close(*state);
	return 0;
}

static struct nl *live_nl(void **state)
{
	if (!live)
		skip();
	return *state;
}

/* ---- sockets on either side ---- */

static void sockaddr_of(const char *ip, uint16_t port, struct sockaddr_storage *ss,
			socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
		*len = sizeof(*s4);
	}
}

/* A socket of type bound to ip:port, made in the peer namespace when in_peer. */
static int sock_at(bool in_peer, int type, const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	sockaddr_of(ip, port, &ss, &len);
	if (in_peer)
		assert_int_equal(setns(peer_ns, CLONE_NEWNET), 0);
	fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (in_peer)
		assert_int_equal(setns(self_ns, CLONE_NEWNET), 0);
	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		fail_msg("bind %s:%u: %s", ip, port, strerror(errno));
	if (type == SOCK_STREAM && in_peer)
		assert_int_equal(listen(fd, 16), 0);
	return fd;
}

static void connect_to(int fd, const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;

	sockaddr_of(ip, port, &ss, &len);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		fail_msg("connect %s:%u: %s", ip, port, strerror(errno));
}

/* A TCP connection from src to dst:port (a listener in the peer); the client end. */
static int tcp_flow(const char *src, const char *dst, uint16_t port)
{
	int fd = sock_at(false, SOCK_STREAM, src, 0);

	connect_to(fd, dst, port);
	return fd;
}

/* One UDP datagram from src to dst:port; the sending end. */
static int udp_flow(const char *src, const char *dst, uint16_t port)
{
	int fd = sock_at(false, SOCK_DGRAM, src, 0);

	connect_to(fd, dst, port);
	assert_int_equal(send(fd, "x", 1, 0), 1);
	return fd;
}

static uint16_t local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					     : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 3000) != 1)
		fail_msg("nothing arrived within 3 s");
}

/* ---- the table as the kernel has it ---- */

struct table {
	struct conntrack_entry *v;
	size_t n;
};

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct table *t = data;
	struct conntrack_entry e;

	if (nlh->nlmsg_type != CT_NEW)
		return MNL_CB_OK;
	if (conntrack_parse(nlh, &e) < 0) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	t->v = realloc(t->v, (t->n + 1) * sizeof(e));
	assert_non_null(t->v);
	t->v[t->n++] = e;
	return MNL_CB_OK;
}

/* Every entry of family (plain), or what the filtered dump for addr gives. */
static struct table dump(struct nl *nl, const struct cidr *addr, bool filter)
{
	struct table t = { NULL, 0 };
	uint32_t buf[64];
	int err;

	assert_int_equal(conntrack_dump_msg(nl, buf, sizeof(buf), addr, filter), 0);
	err = nl_talk(nl, (struct nlmsghdr *)buf, table_cb, &t);
	if (err < 0)
		fail_msg("dump: %s", nl_strerror(nl, err));
	return t;
}

static size_t count_nat_to(const struct table *t, const struct cidr *addr)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		n += conntrack_nat_to(&t->v[i], addr);
	return n;
}

/* The entry whose original direction is src:sport -> dst:dport over proto, or NULL. */
static const struct conntrack_entry *find(const struct table *t, uint8_t proto, const char *src,
					  uint16_t sport, const char *dst, uint16_t dport)
{
	struct cidr s = C(src), d = C(dst);
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct conntrack_tuple *o = &t->v[i].orig;

		if (o->proto == proto && o->l4 == CONNTRACK_L4_PORTS && cidr_equal(&o->src, &s) &&
		    cidr_equal(&o->dst, &d) && o->sport == sport && o->dport == dport)
			return &t->v[i];
	}
	return NULL;
}

/* Lines of /proc/net/nf_conntrack holding needle; -1 without the file (kernels built
 * without NF_CONNTRACK_PROCFS). */
static int proc_count(const char *needle)
{
	FILE *f = fopen("/proc/net/nf_conntrack", "r");
	char line[1024];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* The same flow seen by the independent reader: its original direction. */
static void assert_proc(const char *src, uint16_t sport, const char *dst, uint16_t dport,
			int want)
{
	char needle[160];
	int n;

	snprintf(needle, sizeof(needle), "src=%s dst=%s sport=%u dport=%u ", src, dst, sport,
		 dport);
	n = proc_count(needle);
	if (n >= 0 && n != want)
		fail_msg("/proc/net/nf_conntrack has %d entries of %s, wanted %d", n, needle, want);
}

static size_t flush(struct nl *nl, const struct cidr *addr)
{
	size_t deleted = 99;
	int err = conntrack_flush_nat(nl, addr, &deleted);

	if (err < 0)
		fail_msg("conntrack_flush_nat: %s", nl_strerror(nl, err));
	return deleted;
}

/* The kernel-side filter may only narrow the dump to what selection takes anyway. */
static void assert_filter_keeps(struct nl *nl, const struct cidr *addr)
{
	struct table all = dump(nl, addr, false), some = dump(nl, addr, true);
	size_t i, j;

	assert_int_equal(count_nat_to(&some, addr), count_nat_to(&all, addr));
	for (i = 0; i < all.n; i++) {
		if (!conntrack_nat_to(&all.v[i], addr))
			continue;
		for (j = 0; j < some.n && some.v[j].id != all.v[i].id; j++)
			;
		assert_true(j < some.n);
	}
	free(all.v);
	free(some.v);
}

/* ---- tests ---- */

static void test_flush_v4(void **state)
{
	struct nl *nl = live_nl(state);
	struct cidr dead = C("10.77.0.1"), other = C("10.78.0.1"), other6 = C("fd78::1");
	int la = sock_at(true, SOCK_STREAM, "0.0.0.0", 5001);
	int lc = sock_at(true, SOCK_STREAM, "0.0.0.0", 5003);
	int ld = sock_at(true, SOCK_STREAM, "0.0.0.0", 5004);
	int l6 = sock_at(true, SOCK_STREAM, "::", 5005);
	int ub = sock_at(true, SOCK_DGRAM, "0.0.0.0", 5002);
	int a, b, c, d, e, acc;
	uint16_t pa, pb, pc, pd, pe;
	const struct conntrack_entry *x;
	struct table t;
	char buf[8];

	/* A, B: LAN flows masqueraded to the dead tunnel's address (TCP, UDP) */
	a = tcp_flow("10.99.0.1", "10.77.0.2", 5001);
	b = udp_flow("10.99.0.1", "10.77.0.2", 5002);
	/* C: the router's own connection from that address - same reply destination, no NAT */
	c = tcp_flow("10.77.0.1", "10.77.0.2", 5003);
	/* D: a LAN flow masqueraded to the other tunnel; E: the same over IPv6 */
	d = tcp_flow("10.99.0.1", "10.78.0.2", 5004);
	e = tcp_flow("fd99::1", "fd78::2", 5005);
	pa = local_port(a), pb = local_port(b), pc = local_port(c), pd = local_port(d);
	pe = local_port(e);

	t = dump(nl, &dead, false);
	assert_int_equal(count_nat_to(&t, &dead), 2);
	assert_non_null(x = find(&t, IPPROTO_TCP, "10.99.0.1", pa, "10.77.0.2", 5001));
	assert_true(conntrack_nat_to(x, &dead));
	assert_non_null(x = find(&t, IPPROTO_UDP, "10.99.0.1", pb, "10.77.0.2", 5002));
	assert_true(conntrack_nat_to(x, &dead));
	assert_non_null(x = find(&t, IPPROTO_TCP, "10.77.0.1", pc, "10.77.0.2", 5003));
	assert_false(conntrack_nat_to(x, &dead));
	assert_true(cidr_equal(&x->reply.dst, &dead));  /* what status alone tells apart */
	free(t.v);
	assert_proc("10.99.0.1", pa, "10.77.0.2", 5001, 1);
	assert_filter_keeps(nl, &dead);

	assert_int_equal(flush(nl, &dead), 2);

	t = dump(nl, &dead, false);
	assert_int_equal(count_nat_to(&t, &dead), 0);
	assert_null(find(&t, IPPROTO_TCP, "10.99.0.1", pa, "10.77.0.2", 5001));
	assert_null(find(&t, IPPROTO_UDP, "10.99.0.1", pb, "10.77.0.2", 5002));
	assert_non_null(find(&t, IPPROTO_TCP, "10.77.0.1", pc, "10.77.0.2", 5003));
	assert_non_null(x = find(&t, IPPROTO_TCP, "10.99.0.1", pd, "10.78.0.2", 5004));
	assert_true(conntrack_nat_to(x, &other));
	free(t.v);
	t = dump(nl, &other6, false);
	assert_non_null(x = find(&t, IPPROTO_TCP, "fd99::1", pe, "fd78::2", 5005));
	assert_true(conntrack_nat_to(x, &other6));
	free(t.v);
	assert_proc("10.99.0.1", pa, "10.77.0.2", 5001, 0);
	assert_proc("10.99.0.1", pb, "10.77.0.2", 5002, 0);
	assert_proc("10.77.0.1", pc, "10.77.0.2", 5003, 1);
	assert_proc("10.99.0.1", pd, "10.78.0.2", 5004, 1);

	/* nothing left to do */
	assert_int_equal(flush(nl, &dead), 0);

	/* The next packet of each flow makes a fresh entry, NATed again, and gets through. */
	assert_int_equal(write(a, "ping", 4), 4);
	assert_int_equal(send(b, "y", 1, 0), 1);
	acc = accept(la, NULL, NULL);
	assert_true(acc >= 0);
	wait_readable(acc);
	assert_int_equal(read(acc, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "ping", 4);
	wait_readable(ub);
	t = dump(nl, &dead, false);
	assert_int_equal(count_nat_to(&t, &dead), 2);
	assert_non_null(find(&t, IPPROTO_TCP, "10.99.0.1", pa, "10.77.0.2", 5001));
	free(t.v);

	close(acc);
	close(a), close(b), close(c), close(d), close(e);
	close(la), close(lc), close(ld), close(l6), close(ub);
}

static void test_flush_v6(void **state)
{
	struct nl *nl = live_nl(state);
	struct cidr dead = C("fd77::1"), other = C("fd78::1"), other4 = C("10.78.0.1");
	int la = sock_at(true, SOCK_STREAM, "::", 6001);
	int lc = sock_at(true, SOCK_STREAM, "::", 6003);
	int ld = sock_at(true, SOCK_STREAM, "::", 6004);
	int l4 = sock_at(true, SOCK_STREAM, "0.0.0.0", 6005);
	int ub = sock_at(true, SOCK_DGRAM, "::", 6002);
	int a, b, c, d, e;
	uint16_t pa, pb, pc, pd, pe;
	const struct conntrack_entry *x;
	struct table t;

	a = tcp_flow("fd99::1", "fd77::2", 6001);
	b = udp_flow("fd99::1", "fd77::2", 6002);
	c = tcp_flow("fd77::1", "fd77::2", 6003);
	d = tcp_flow("fd99::1", "fd78::2", 6004);
	e = tcp_flow("10.99.0.1", "10.78.0.2", 6005);
	pa = local_port(a), pb = local_port(b), pc = local_port(c), pd = local_port(d);
	pe = local_port(e);

	t = dump(nl, &dead, false);
	assert_int_equal(count_nat_to(&t, &dead), 2);
	assert_non_null(x = find(&t, IPPROTO_TCP, "fd99::1", pa, "fd77::2", 6001));
	assert_true(conntrack_nat_to(x, &dead));
	assert_non_null(x = find(&t, IPPROTO_TCP, "fd77::1", pc, "fd77::2", 6003));
	assert_false(conntrack_nat_to(x, &dead));
	free(t.v);
	assert_filter_keeps(nl, &dead);

	assert_int_equal(flush(nl, &dead), 2);

	t = dump(nl, &dead, false);
	assert_int_equal(count_nat_to(&t, &dead), 0);
	assert_null(find(&t, IPPROTO_TCP, "fd99::1", pa, "fd77::2", 6001));
	assert_null(find(&t, IPPROTO_UDP, "fd99::1", pb, "fd77::2", 6002));
	assert_non_null(find(&t, IPPROTO_TCP, "fd77::1", pc, "fd77::2", 6003));
	assert_non_null(x = find(&t, IPPROTO_TCP, "fd99::1", pd, "fd78::2", 6004));
	assert_true(conntrack_nat_to(x, &other));
	free(t.v);
	t = dump(nl, &other4, false);
	assert_non_null(x = find(&t, IPPROTO_TCP, "10.99.0.1", pe, "10.78.0.2", 6005));
	assert_true(conntrack_nat_to(x, &other4));
	free(t.v);
	assert_proc("fd99:0000:0000:0000:0000:0000:0000:0001", pa,
		    "fd77:0000:0000:0000:0000:0000:0000:0002", 6001, 0);
	assert_proc("fd77:0000:0000:0000:0000:0000:0000:0001", pc,
		    "fd77:0000:0000:0000:0000:0000:0000:0002", 6003, 1);

	assert_int_equal(flush(nl, &dead), 0);

	close(a), close(b), close(c), close(d), close(e);
	close(la), close(lc), close(ld), close(l4), close(ub);
}

/* More flows than one send carries: every batch is sent and every ACK collected. */
static void test_flush_many(void **state)
{
	struct nl *nl = live_nl(state);
	struct cidr dead = C("10.77.0.1");
	struct sockaddr_storage ss;
	socklen_t len;
	struct table t;
	size_t before;
	int fd, i;

	/* earlier tests may have left entries NATed to the same address; they go too */
	t = dump(nl, &dead, false);
	before = count_nat_to(&t, &dead);
	free(t.v);
	fd = sock_at(false, SOCK_DGRAM, "10.99.0.1", 0);
	for (i = 0; i < MANY; i++) {
		sockaddr_of("10.77.0.2", (uint16_t)(20000 + i), &ss, &len);
		assert_int_equal(sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len), 1);
	}
	t = dump(nl, &dead, false);
	assert_int_equal(count_nat_to(&t, &dead), before + MANY);
	free(t.v);
	assert_int_equal(flush(nl, &dead), before + MANY);
	t = dump(nl, &dead, false);
	assert_int_equal(count_nat_to(&t, &dead), 0);
	free(t.v);
	close(fd);
}

/* Entries gone between dump and delete, or whose tuple a newer entry took (another id),
 * answer ENOENT: counted as gone, and the rest of the batch still deleted. */
static void test_delete_gone(void **state)
{
	struct nl *nl = live_nl(state);
	struct cidr dead = C("10.77.0.1");
	struct conntrack_entry v[4];
	struct table t;
	size_t gone = 99, i, n = 0;
	int fd[3];

	for (i = 0; i < 3; i++)
		fd[i] = udp_flow("10.99.0.1", "10.77.0.2", (uint16_t)(7000 + i));
	t = dump(nl, &dead, false);
	for (i = 0; i < t.n; i++) {
		const struct conntrack_tuple *o = &t.v[i].orig;

		if (conntrack_nat_to(&t.v[i], &dead) && o->proto == IPPROTO_UDP &&
		    o->dport >= 7000 && o->dport < 7003) {
			assert_true(n < 3);
			v[1 + n++] = t.v[i];
		}
	}
	free(t.v);
	assert_int_equal(n, 3);
	/* first in line: the first entry again under an id it does not have */
	v[0] = v[1];
	v[0].id ^= 1;
	assert_int_equal(conntrack_delete(nl, v, 4, &gone), 0);
	assert_int_equal(gone, 4);
	t = dump(nl, &dead, false);
	for (i = 0; i < 3; i++)
		assert_null(find(&t, IPPROTO_UDP, "10.99.0.1", local_port(fd[i]), "10.77.0.2",
				 (uint16_t)(7000 + i)));
	free(t.v);
	/* all gone already: each answers ENOENT */
	assert_int_equal(conntrack_delete(nl, v, 4, &gone), 0);
	assert_int_equal(gone, 4);
	for (i = 0; i < 3; i++)
		close(fd[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flush_v4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_v6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_gone, setup, teardown),
	};
	bool have_tools = (access("/usr/sbin/nft", X_OK) == 0 || access("/sbin/nft", X_OK) == 0) &&
			  (access("/usr/sbin/ip", X_OK) == 0 || access("/sbin/ip", X_OK) == 0 ||
			   access("/usr/bin/ip", X_OK) == 0 || access("/bin/ip", X_OK) == 0);

	if (geteuid() != 0)
		fprintf(stderr, "test_conntrack_live: not root, skipping\n");
	else if (!have_tools)
		fprintf(stderr, "test_conntrack_live: no ip or nft, skipping\n");
	else if (unshare(CLONE_NEWNET) < 0)
		fprintf(stderr, "test_conntrack_live: unshare(CLONE_NEWNET): %s, skipping\n",
			strerror(errno));
	else
		live = true;
	if (live) {
		struct cidr probe = C("192.0.2.1");
		struct nl *nl = NULL;
		size_t n;
		int err = nl_open(&nl, CONNTRACK_NETLINK_BUS);

		if (err == 0)
			err = conntrack_flush_nat(nl, &probe, &n);
		if (err < 0) {
			fprintf(stderr, "test_conntrack_live: %s, skipping\n",
				err == -EPROTONOSUPPORT ? "no ctnetlink (nf_conntrack_netlink) in this kernel"
							: nl_strerror(nl, err));
			live = false;
		}
		nl_close(nl);
		self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (live && self_ns < 0) {
			fprintf(stderr, "test_conntrack_live: /proc/self/ns/net: %s, skipping\n",
				strerror(errno));
			live = false;
		}
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
