/* netcfg/tc against the real kernel on a veth pair in a private network namespace (root only). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <linux/rtnetlink.h>

#include "netcfg/link.h"
#include "netcfg/nl.h"
#include "netcfg/tc.h"

/* main() moves the process into a fresh netns first, so the host's links are never seen;
 * each test gets a new veth pair tcl0/tcl1 (a veth's own root is the kernel's noqueue) and
 * deletes it. tc(8) is the independent reader, and the "someone else" with a root. */
static bool live, have_fq_codel;

struct fix {
	struct nl *nl;
	int ifindex;
};

static struct fix fx;

static void run(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fail_msg("`%s` exited %d", cmd, rc);
}

/* Everything cmd prints on stdout, malloc'ed. */
static char *sh(const char *cmd)
{
	size_t len = 0, cap = 4096, n;
	char *out = malloc(cap);
	FILE *p = popen(cmd, "r");

	assert_non_null(out);
	assert_non_null(p);
	while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len < 2) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
	}
	out[len] = '\0';
	pclose(p);
	return out;
}

static bool has(const char *cmd, const char *want)
{
	char *out = sh(cmd);
	bool r = strstr(out, want) != NULL;

	free(out);
	return r;
}

static void assert_has(const char *cmd, const char *want)
{
	char *out = sh(cmd);

	if (!strstr(out, want))
		fail_msg("`%s` has no \"%s\":\n%s", cmd, want, out);
	free(out);
}

static int setup(void **state)
{
	if (!live)
		return 0;
	if (system("ip link add tcl0 type veth peer name tcl1 && ip link set tcl0 up && "
		   "ip link set tcl1 up && ip addr add 10.77.0.1/24 dev tcl0 && "
		   /* A peer address that is not local and needs no ARP: sends leave by tcl0. */
		   "ip neigh add 10.77.0.2 lladdr 02:00:00:00:77:02 dev tcl0") != 0)
		return -1;
	if (nl_open(&fx.nl, NETLINK_ROUTE) < 0 || link_index(fx.nl, "tcl0", &fx.ifindex) < 0)
		return -1;
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	if (!live)
		return 0;
	(void)!system("ip link del tcl0 2>/dev/null");
	nl_close(fx.nl);
	fx.nl = NULL;
	return 0;
}

static struct fix *live_fix(void **state)
{
	if (!live)
		skip();
	return *state;
}

static bool ours(struct fix *f)
{
	bool o = false;

	assert_int_equal(tc_root_get(f->nl, f->ifindex, &o), 0);
	return o;
}

static void test_root_add_idempotent(void **state)
{
	struct fix *f = live_fix(state);
	char *out;

	/* The kernel's own root (noqueue, handle 0) is replaced. */
	assert_false(ours(f));
	assert_has("tc qdisc show dev tcl0", "qdisc noqueue 0: root");
	assert_int_equal(tc_root_add(f->nl, f->ifindex, 0), 0);
	assert_true(ours(f));
	assert_has("tc -j qdisc show dev tcl0", "\"kind\":\"htb\",\"handle\":\"5752:\","
		       "\"root\":true");
	assert_has("tc -j qdisc show dev tcl0", "\"default\":\"0xffff\"");
	assert_has("tc class show dev tcl0", "class htb 5752:ffff root prio 0 rate 10Gbit "
		       "ceil 10Gbit");
	assert_int_equal(tc_root_add(f->nl, f->ifindex, 0), 0);
	assert_int_equal(tc_root_add(f->nl, f->ifindex, 1000000000), 0);
	assert_has("tc class show dev tcl0", "5752:ffff root prio 0 rate 1Gbit ceil 1Gbit");
	/* Still one root and one default class. */
	out = sh("tc qdisc show dev tcl0 | grep -c 'qdisc htb'; tc class show dev tcl0 | wc -l");
	assert_string_equal(out, "1\n1\n");
	free(out);
}

static void test_foreign_root(void **state)
{
	struct fix *f = live_fix(state);
	char *before, *after;

	run("tc qdisc add dev tcl0 root handle 1: htb default 1");
	run("tc class add dev tcl0 parent 1: classid 1:1 htb rate 3mbit");
	before = sh("tc qdisc show dev tcl0; tc class show dev tcl0");
	assert_int_equal(tc_root_add(f->nl, f->ifindex, 0), -EEXIST);
	assert_non_null(strstr(nl_strerror(f->nl, -EEXIST), "htb 1:"));
	assert_false(ours(f));
	assert_int_equal(tc_root_del(f->nl, f->ifindex), 0);
	assert_int_equal(tc_class_set(f->nl, f->ifindex, 1, 1000000), -ENOENT);
	assert_non_null(strstr(nl_strerror(f->nl, -ENOENT), "class 5752:1 on link"));
	assert_int_equal(tc_class_del(f->nl, f->ifindex, 1), 0);
	after = sh("tc qdisc show dev tcl0; tc class show dev tcl0");
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void test_classes(void **state)
{
	struct fix *f = live_fix(state);

	assert_int_equal(tc_root_add(f->nl, f->ifindex, 0), 0);
	assert_int_equal(tc_class_set(f->nl, f->ifindex, 5, 20000000), 0);
	assert_int_equal(tc_class_set(f->nl, f->ifindex, TC_MAJOR, 5000000), 0);
	assert_int_equal(tc_class_set(f->nl, f->ifindex, 0xfffe, 100000000), 0);
	assert_has("tc class show dev tcl0", "class htb 5752:5 root");
	assert_has("tc class show dev tcl0",
			"5752:5 root prio 0 rate 20Mbit ceil 20Mbit burst 26600b cburst 26600b");
	assert_has("tc class show dev tcl0", "5752:5752 root prio 0 rate 5Mbit ceil 5Mbit");
	assert_has("tc class show dev tcl0", "5752:fffe root prio 0 rate 100Mbit");
	if (have_fq_codel) {
		assert_has("tc qdisc show dev tcl0", "qdisc fq_codel 5: parent 5752:5 ");
		assert_has("tc qdisc show dev tcl0", "qdisc fq_codel ffff: parent 5752:5752 ");
		assert_has("tc qdisc show dev tcl0", "qdisc fq_codel fffe: parent 5752:fffe ");
	}
	/* Change: the rate moves, the leaf stays. */
	assert_int_equal(tc_class_set(f->nl, f->ifindex, 5, 1000000), 0);
	assert_has("tc class show dev tcl0", "5752:5 root prio 0 rate 1Mbit ceil 1Mbit");
	if (have_fq_codel)
		assert_has("tc qdisc show dev tcl0", "qdisc fq_codel 5: parent 5752:5 ");
	assert_int_equal(tc_class_del(f->nl, f->ifindex, 5), 0);
	assert_false(has("tc class show dev tcl0", "5752:5 "));
	assert_false(has("tc qdisc show dev tcl0", "parent 5752:5 "));
	assert_int_equal(tc_class_del(f->nl, f->ifindex, 5), 0);   /* absent is fine */
	assert_has("tc class show dev tcl0", "5752:5752 root");
	/* Root del takes every class and leaf and leaves the kernel's default. */
	assert_int_equal(tc_root_del(f->nl, f->ifindex), 0);
	assert_false(ours(f));
	assert_has("tc qdisc show dev tcl0", "qdisc noqueue 0: root");
	assert_false(has("tc qdisc show dev tcl0 | grep -v noqueue", "qdisc"));
	assert_false(has("tc class show dev tcl0", "class"));
	assert_int_equal(tc_root_del(f->nl, f->ifindex), 0);      /* absent is fine */
}

/* The class is picked by skb->priority (what nftables' meta priority sets) alone. */
static void test_priority_selects_class(void **state)
{
	struct fix *f = live_fix(state);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	int s, prio = (int)TC_CLASSID(7), i;
	char *out;

	assert_int_equal(tc_root_add(f->nl, f->ifindex, 0), 0);
	assert_int_equal(tc_class_set(f->nl, f->ifindex, 7, 50000000), 0);
	assert_int_equal(tc_class_set(f->nl, f->ifindex, 8, 50000000), 0);
	inet_pton(AF_INET, "10.77.0.2", &to.sin_addr);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	assert_int_equal(setsockopt(s, SOL_SOCKET, SO_PRIORITY, &prio, sizeof(prio)), 0);
	assert_int_equal(bind(s, (struct sockaddr *)&(struct sockaddr_in){
		.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x0a4d0001) }, sizeof(to)), 0);
	for (i = 0; i < 17; i++)
		assert_int_equal(sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	close(s);
	out = sh("tc -s class show dev tcl0 classid 5752:7 | sed -n 's/.* \\([0-9]*\\) pkt.*/\\1/p'");
	assert_int_equal(atoi(out), 17);
	free(out);
	out = sh("tc -s class show dev tcl0 classid 5752:8 | sed -n 's/.* \\([0-9]*\\) pkt.*/\\1/p'");
	assert_int_equal(atoi(out), 0);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_root_add_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priority_selects_class, setup, teardown),
	};

	if (geteuid() != 0)
		fprintf(stderr, "test_tc_live: not root, skipping\n");
	else if (unshare(CLONE_NEWNET) < 0)
		fprintf(stderr, "test_tc_live: unshare(CLONE_NEWNET): %s, skipping\n",
			strerror(errno));
	else if (system("tc -V >/dev/null 2>&1") != 0)
		fprintf(stderr, "test_tc_live: no tc to check with, skipping\n");
	else if (system("ip link add tcp0 type veth peer name tcp1 && "
			"tc qdisc add dev tcp0 root handle 1: htb 2>/dev/null") != 0)
		fprintf(stderr, "test_tc_live: no veth or sch_htb here, skipping\n");
	else
		live = true;
	if (live) {
		/* Without sch_fq_codel classes keep HTB's pfifo leaf. */
		have_fq_codel = system("tc qdisc add dev tcp1 root fq_codel 2>/dev/null") == 0;
		if (!have_fq_codel)
			fprintf(stderr, "test_tc_live: no fq_codel in this kernel, leaves not checked\n");
	}
	(void)!system("ip link del tcp0 2>/dev/null");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
