/* The table inet warren against the real kernel, inside a private network namespace (root only). */
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
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#include "netcfg/nft.h"
#include "netcfg/nl.h"

/* main() moves the process into a fresh netns before any test runs, so the host's ruleset
 * is never seen or touched; every test starts from an empty ruleset and leaves one. The
 * nft tool is the independent reader (and the "someone else" that edits our table). */
static bool live, have_nft;

#define NFT_MSG_NEWTABLE 0
#define NFT_MSG_NEWRULE 6
#define NFTA_RULE_CHAIN 2
#define NFPROTO_INET 1
#define NFT_TABLE_F_OWNER 2

static int setup(void **state)
{
	struct nl *nl = NULL;

	if (live && nl_open(&nl, NFT_NETLINK_BUS) < 0)
		return -1;
	*state = nl;
	return 0;
}

static int teardown(void **state)
{
	if (have_nft)
		(void)!system("nft flush ruleset");
	nl_close(*state);
	return 0;
}

static struct nl *live_nl(void **state)
{
	if (!live || !have_nft)
		skip();
	return *state;
}

static struct cidr C(const char *s)
{
	struct cidr c;

	assert_int_equal(cidr_parse(&c, s), 0);
	return c;
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

static void run(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fail_msg("`%s` exited %d", cmd, rc);
}

static void assert_output(const char *cmd, const char *want)
{
	char *out = sh(cmd);

	if (strcmp(out, want) != 0)
		fail_msg("`%s` gave:\n%s\nwanted:\n%s", cmd, out, want);
	free(out);
}

static bool matches(struct nl *nl, const struct nft_spec *s)
{
	bool m = true;
	int err = nft_matches(nl, s, &m);

	if (err < 0)
		fail_msg("nft_matches: %s", nl_strerror(nl, err));
	return m;
}

static void apply(struct nl *nl, const struct nft_spec *s)
{
	int err = nft_apply(nl, s, NULL);

	if (err < 0)
		fail_msg("nft_apply: %s", nl_strerror(nl, err));
}

/* The brief's example plus an IPv4-only tunnel that SNATs to a fixed address and lets
 * connections in, and a second LAN link. */
static char *lan_ifs[] = { "eth1", "br-lan" };
static struct cidr lan_subnets[3], hq_addrs[2], warp_addrs[1];
static struct nft_tunnel tunnels[2];

static struct nft_spec spec(void)
{
	struct nft_spec s;

	lan_subnets[0] = C("192.168.10.0/24");
	lan_subnets[1] = C("fd10::/64");
	lan_subnets[2] = C("10.20.16.0/20");
	hq_addrs[0] = C("10.9.0.10/32");
	hq_addrs[1] = C("fd09::10/128");
	warp_addrs[0] = C("172.16.0.2/32");
	memset(tunnels, 0, sizeof(tunnels));
	tunnels[0].ifname = "wg-hq";
	tunnels[0].families = FAMILY_BOTH;
	tunnels[0].snat = true;
	tunnels[0].addrs.v = hq_addrs;
	tunnels[0].addrs.n = 2;
	tunnels[1].ifname = "wg-warp";
	tunnels[1].families = FAMILY_IPV4;
	tunnels[1].snat = true;
	tunnels[1].snat_to4 = C("172.16.0.2");
	tunnels[1].addrs.v = warp_addrs;
	tunnels[1].addrs.n = 1;
	tunnels[1].allow_inbound = true;
	memset(&s, 0, sizeof(s));
	s.lan_ifs.v = lan_ifs;
	s.lan_ifs.n = 2;
	s.lan_subnets.v = lan_subnets;
	s.lan_subnets.n = 3;
	s.tunnels = tunnels;
	s.n_tunnels = 2;
	return s;
}

static const char spec_listing[] =
	"table inet warren {\n"
	"\tchain prerouting {\n"
	"\t\ttype filter hook prerouting priority raw; policy accept;\n"
	"\t\tip daddr 10.9.0.10 iifname != \"wg-hq\" fib saddr type != local drop\n"
	"\t\tip6 daddr fd09::10 iifname != \"wg-hq\" fib saddr type != local drop\n"
	"\t\tip daddr 172.16.0.2 iifname != \"wg-warp\" fib saddr type != local drop\n"
	"\t}\n"
	"\n"
	"\tchain forward {\n"
	"\t\ttype filter hook forward priority filter; policy accept;\n"
	"\t\ttcp flags syn / syn,rst jump mss\n"
	"\t\tiifname \"wg-hq\" oifname \"eth1\" ct state ! established,related drop\n"
	"\t\tiifname \"wg-hq\" oifname \"br-lan\" ct state ! established,related drop\n"
	"\t}\n"
	"\n"
	"\tchain mss {\n"
	"\t\toifname \"wg-hq\" tcp option maxseg size set rt mtu\n"
	"\t\tiifname \"wg-hq\" tcp option maxseg size set rt mtu\n"
	"\t\toifname \"wg-warp\" meta nfproto ipv4 tcp option maxseg size set rt mtu\n"
	"\t\tiifname \"wg-warp\" meta nfproto ipv4 tcp option maxseg size set rt mtu\n"
	"\t}\n"
	"\n"
	"\tchain postrouting {\n"
	"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	"\t\toifname \"wg-hq\" ip saddr 192.168.10.0/24 masquerade\n"
	"\t\toifname \"wg-hq\" ip6 saddr fd10::/64 masquerade\n"
	"\t\toifname \"wg-hq\" ip saddr 10.20.16.0/20 masquerade\n"
	"\t\toifname \"wg-warp\" ip saddr 192.168.10.0/24 snat ip to 172.16.0.2\n"
	"\t\toifname \"wg-warp\" ip saddr 10.20.16.0/20 snat ip to 172.16.0.2\n"
	"\t}\n"
	"}\n";

static void test_apply_and_list(void **state)
{
	struct nl *nl = live_nl(state);
	struct nft_spec s = spec();
	uint32_t gen = 0, now = 0;

	assert_false(matches(nl, &s));
	assert_int_equal(nft_apply(nl, &s, &gen), 0);
	assert_int_equal(nft_gen(nl, &now), 0);
	assert_int_equal(gen, now);    /* the generation our own commit made */
	assert_output("nft list table inet warren", spec_listing);
	assert_true(matches(nl, &s));
}

/* Our expressions are exactly what nft compiles from the listing: the table nft rebuilds
 * from our text still matches the spec. */
static void test_nft_agrees(void **state)
{
	struct nl *nl = live_nl(state);
	struct nft_spec s = spec();
	char path[] = "/tmp/test_nft_live.XXXXXX", cmd[256];
	int fd;

	apply(nl, &s);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "nft list table inet warren > %s && "
		 "nft delete table inet warren && nft -f %s", path, path);
	run(cmd);
	unlink(path);
	assert_true(matches(nl, &s));
}

/* Someone else edits our table: every kind of drift is seen, and apply repairs it. */
static void test_drift(void **state)
{
	static const char *edits[] = {
		/* a rule deleted */
		"nft delete rule inet warren postrouting handle $(nft -a list chain inet warren "
		"postrouting | sed -n 's/.*masquerade # handle //p' | head -n1)",
		/* a rule replaced by a different one in the same place */
		"nft replace rule inet warren postrouting handle $(nft -a list chain inet warren "
		"postrouting | sed -n 's/.*masquerade # handle //p' | head -n1) "
		"oifname \\\"wg-hq\\\" ip saddr 192.168.10.0/24 accept",
		/* a rule added */
		"nft add rule inet warren forward accept",
		"nft insert rule inet warren mss counter",
		/* a chain flushed, one added, one's policy changed */
		"nft flush chain inet warren mss",
		"nft add chain inet warren extra",
		"nft add chain inet warren forward '{ type filter hook forward priority filter; "
		"policy drop; }'",
		/* the table switched off, then gone */
		"nft add table inet warren '{ flags dormant; }'",
		"nft delete table inet warren",
	};
	struct nl *nl = live_nl(state);
	struct nft_spec s = spec();
	size_t i;

	apply(nl, &s);
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		run(edits[i]);
		if (matches(nl, &s))
			fail_msg("still matching after `%s`", edits[i]);
		apply(nl, &s);
		if (!matches(nl, &s))
			fail_msg("apply did not repair `%s`", edits[i]);
		assert_output("nft list table inet warren", spec_listing);
	}
}

/* A different spec does not match the table of another. */
static void test_spec_changes(void **state)
{
	struct nl *nl = live_nl(state);
	struct nft_spec s = spec(), t;
	static const struct nft_spec empty;

	apply(nl, &s);
	t = spec();
	tunnels[0].allow_inbound = true;
	assert_false(matches(nl, &t));
	t = spec();
	tunnels[1].snat_to4.family = 0;       /* masquerade instead of a fixed address */
	assert_false(matches(nl, &t));
	t = spec();
	t.lan_subnets.n = 2;
	assert_false(matches(nl, &t));
	t = spec();
	tunnels[1].families = FAMILY_BOTH;
	assert_false(matches(nl, &t));
	assert_false(matches(nl, &empty));
	s = spec();
	assert_true(matches(nl, &s));
	/* and the new one replaces the old in one go */
	tunnels[0].allow_inbound = true;
	apply(nl, &s);
	assert_true(matches(nl, &s));
	assert_output("nft list chain inet warren forward",
		      "table inet warren {\n"
		      "\tchain forward {\n"
		      "\t\ttype filter hook forward priority filter; policy accept;\n"
		      "\t\ttcp flags syn / syn,rst jump mss\n"
		      "\t}\n"
		      "}\n");
}

/* Tables of others, including one named like ours in another family, are never touched,
 * and remove leaves the ruleset exactly as it was. */
static void test_foreign_untouched(void **state)
{
	struct nl *nl = live_nl(state);
	struct nft_spec s = spec();
	static const struct nft_spec empty;
	uint32_t g1, g2;
	char *before, *after, *other, *ipw;

	run("nft add table inet other && "
	    "nft add chain inet other forward '{ type filter hook forward priority 0; }' && "
	    "nft add rule inet other forward iifname \\\"wg-hq\\\" counter accept && "
	    "nft add chain inet other postrouting '{ type nat hook postrouting priority 100; }' && "
	    "nft add rule inet other postrouting oifname \\\"eth0\\\" masquerade && "
	    "nft add table ip warren && nft add chain ip warren c && "
	    "nft add rule ip warren c ip saddr 10.0.0.1 drop");
	before = sh("nft list ruleset");
	other = sh("nft list table inet other");
	ipw = sh("nft list table ip warren");
	assert_true(matches(nl, &empty));      /* ip warren is not ours */
	apply(nl, &s);
	assert_true(matches(nl, &s));
	apply(nl, &s);
	assert_output("nft list table inet other", other);
	assert_output("nft list table ip warren", ipw);
	assert_int_equal(nft_remove(nl, NULL), 0);
	after = sh("nft list ruleset");
	assert_string_equal(after, before);
	assert_true(matches(nl, &empty));
	/* removing what is absent is fine and writes nothing */
	assert_int_equal(nft_gen(nl, &g1), 0);
	assert_int_equal(nft_remove(nl, NULL), 0);
	assert_int_equal(nft_apply(nl, &empty, &g2), 0);
	assert_int_equal(g2, 0);
	assert_int_equal(nft_gen(nl, &g2), 0);
	assert_int_equal(g1, g2);
	free(before);
	free(after);
	free(other);
	free(ipw);
}

/* The agent's table and the server's live side by side: each is written, checked and
 * removed without a change to the other. */
static void test_two_roles(void **state)
{
	struct nl *nl = live_nl(state);
	struct nft_spec agent = spec(), server = spec();
	struct nft_spec no_agent = { 0 }, no_server = { .table = NFT_TABLE_SERVER };
	char *a1, *s1;

	server.table = NFT_TABLE_SERVER;
	apply(nl, &agent);
	a1 = sh("nft list table inet warren");
	apply(nl, &server);
	assert_true(matches(nl, &agent));
	assert_true(matches(nl, &server));
	assert_output("nft list table inet warren", a1);
	s1 = sh("nft list table inet warren_server");
	assert_non_null(strstr(s1, "table inet warren_server {"));
	/* tamper with the agent's: the server's still matches */
	run("nft flush chain inet warren forward");
	assert_false(matches(nl, &agent));
	assert_true(matches(nl, &server));
	apply(nl, &agent);
	assert_int_equal(nft_remove(nl, NFT_TABLE_AGENT), 0);
	assert_true(matches(nl, &no_agent));
	assert_output("nft list table inet warren_server", s1);
	apply(nl, &agent);
	assert_int_equal(nft_remove(nl, NFT_TABLE_SERVER), 0);
	assert_true(matches(nl, &no_server));
	assert_output("nft list table inet warren", a1);
	assert_int_equal(nft_remove(nl, NFT_TABLE_AGENT), 0);
	assert_output("nft list ruleset", "");
	/* a name that is no table of warren's is refused before anything is sent */
	server.table = "filter";
	assert_int_equal(nft_apply(nl, &server, NULL), -EINVAL);
	free(a1);
	free(s1);
}

static void test_apply_twice(void **state)
{
	struct nl *nl = live_nl(state);
	struct nft_spec s = spec();
	uint32_t g1, g2;

	assert_int_equal(nft_apply(nl, &s, &g1), 0);
	assert_int_equal(nft_apply(nl, &s, &g2), 0);
	assert_int_equal(g2, g1 + 1);          /* one commit each, nothing else */
	assert_true(matches(nl, &s));
	assert_output("nft list table inet warren", spec_listing);
}

/* Nothing changes the generation but commits; reading is free of writes. */
static void test_gen(void **state)
{
	struct nl *nl = live_nl(state);
	struct nft_spec s = spec();
	uint32_t g1, g2, g3;

	assert_int_equal(nft_gen(nl, &g1), 0);
	assert_int_not_equal(g1, 0);
	apply(nl, &s);
	assert_int_equal(nft_gen(nl, &g2), 0);
	assert_int_equal(g2, g1 + 1);
	assert_true(matches(nl, &s));
	assert_int_equal(nft_gen(nl, &g3), 0);
	assert_int_equal(g3, g2);
	run("nft add table inet other");
	assert_int_equal(nft_gen(nl, &g3), 0);
	assert_int_not_equal(g3, g2);
}

/* Point the first rule of chain at a chain that does not exist (same length, so the message
 * stays well formed); returns its index in the batch. */
static int break_rule(void *buf, size_t len, const char *chain)
{
	struct nlmsghdr *m;
	struct nlattr *a;
	int left = (int)len, i = 0;

	for (m = buf; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left), i++) {
		if ((m->nlmsg_type & 0xff) != NFT_MSG_NEWRULE || (m->nlmsg_type >> 8) != 10)
			continue;
		mnl_attr_for_each(a, m, 4) {
			char *name = mnl_attr_get_payload(a);

			if (mnl_attr_get_type(a) == NFTA_RULE_CHAIN && strcmp(name, chain) == 0) {
				name[strlen(name) - 1] = 'X';
				return i;
			}
		}
	}
	fail_msg("no rule in chain %s", chain);
	return -1;
}

/* A batch that fails in its middle leaves the previous table exactly as it was. */
static void test_atomic(void **state)
{
	struct nl *nl = live_nl(state);
	struct nft_spec s = spec(), t;
	void *buf = NULL;
	size_t len = 0;
	char *before;
	uint32_t g1, g2;
	int failed = -1, idx, err;

	apply(nl, &s);
	before = sh("nft list ruleset");
	t = spec();
	tunnels[0].allow_inbound = true;
	tunnels[1].snat = false;
	assert_int_equal(nft_gen(nl, &g1), 0);
	assert_int_equal(nft_batch_build(nl, &t, 0, &buf, &len), 0);
	idx = break_rule(buf, len, "postrouting");
	err = nl_talk_atomic(nl, buf, len, &failed);
	assert_int_equal(err, -ENOENT);
	assert_int_equal(failed, idx);
	free(buf);
	assert_int_equal(nft_gen(nl, &g2), 0);
	assert_int_equal(g1, g2);               /* nothing was committed */
	s = spec();
	assert_true(matches(nl, &s));
	assert_output("nft list ruleset", before);
	free(before);
	/* the socket is still in step: the next batch goes through */
	t = spec();
	tunnels[0].allow_inbound = true;
	apply(nl, &t);
	assert_true(matches(nl, &t));
}

/* A batch pinned to a generation that has passed is refused whole, without waiting on
 * ACKs that never come. */
static void test_stale_generation(void **state)
{
	struct nl *nl = live_nl(state);
	struct nft_spec s = spec();
	static const struct nft_spec empty;
	void *buf = NULL;
	size_t len = 0;
	uint32_t g;
	int failed = -1;

	apply(nl, &s);
	assert_int_equal(nft_gen(nl, &g), 0);
	assert_int_equal(nft_batch_build(nl, &empty, g - 1, &buf, &len), 0);
	assert_int_equal(nl_talk_atomic(nl, buf, len, &failed), -ERESTART);
	assert_int_equal(failed, 0);            /* the batch begin message */
	free(buf);
	assert_true(matches(nl, &s));
	assert_int_equal(nft_batch_build(nl, &empty, g, &buf, &len), 0);
	assert_int_equal(nl_talk_atomic(nl, buf, len, &failed), 0);
	free(buf);
	assert_true(matches(nl, &empty));
}

/* Our table's name held by another process (an owner table): apply fails, names the
 * object, changes nothing; once the holder is gone apply succeeds. */
static void test_error_names_object(void **state)
{
	struct nl *nl = live_nl(state), *other = NULL;
	struct nft_spec s = spec();
	struct nftnl_table *t = nftnl_table_alloc();
	uint32_t buf[256];
	struct nlmsghdr *nlh;
	size_t len = 0;
	int failed, err;

	assert_int_equal(nl_open(&other, NFT_NETLINK_BUS), 0);
	nlh = nftnl_batch_begin((char *)buf, ++other->seq);
	len += nlh->nlmsg_len;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, "warren");
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, NFT_TABLE_F_OWNER);
	nlh = nftnl_table_nlmsg_build_hdr((char *)buf + len, NFT_MSG_NEWTABLE, NFPROTO_INET,
					  NLM_F_CREATE | NLM_F_ACK, ++other->seq);
	nftnl_table_nlmsg_build_payload(nlh, t);
	len += nlh->nlmsg_len;
	nlh = nftnl_batch_end((char *)buf + len, ++other->seq);
	len += nlh->nlmsg_len;
	nftnl_table_free(t);
	assert_int_equal(nl_talk_atomic(other, buf, len, &failed), 0);

	err = nft_apply(nl, &s, NULL);
	assert_int_equal(err, -EPERM);
	if (strncmp(nl_strerror(nl, err), "table inet warren: ", 19) != 0)
		fail_msg("error text: %s", nl_strerror(nl, err));
	assert_false(matches(nl, &s));
	nl_close(other);                        /* the kernel drops an owner's table with it */
	apply(nl, &s);
	assert_true(matches(nl, &s));
}

/* A table larger than a socket's default buffers (one SNAT rule per LAN subnet, thousands
 * of them) still goes in one send, its thousands of ACKs all read. */
static void test_large_batch(void **state)
{
	enum { N = 4000 };
	struct nl *nl = live_nl(state);
	struct cidr *subnets = calloc(N, sizeof(*subnets));
	struct nft_spec s = spec();
	void *buf = NULL;
	size_t len = 0, i;
	char *out;
	int snd = 0;
	socklen_t sl = sizeof(snd);

	assert_non_null(subnets);
	for (i = 0; i < N; i++)
		subnets[i] = (struct cidr){ AF_INET, { 10, (uint8_t)(100 + i / 256), (uint8_t)i }, 24 };
	s.lan_subnets.v = subnets;
	s.lan_subnets.n = N;
	s.n_tunnels = 1;
	assert_int_equal(nft_batch_build(nl, &s, 0, &buf, &len), 0);
	assert_true(len > 212992);              /* net.core.wmem_default */
	free(buf);
	apply(nl, &s);
	assert_true(matches(nl, &s));
	assert_int_equal(getsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_SNDBUF, &snd, &sl), 0);
	assert_true((size_t)snd >= len);
	out = sh("nft list chain inet warren postrouting | grep -c masquerade");
	assert_int_equal(atoi(out), N);
	free(out);
	/* and back to a small table through the same socket */
	s = spec();
	apply(nl, &s);
	assert_true(matches(nl, &s));
	assert_output("nft list table inet warren", spec_listing);
	free(subnets);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply_and_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nft_agrees, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drift, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spec_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_roles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_generation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_names_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_batch, setup, teardown),
	};

	have_nft = access("/usr/sbin/nft", X_OK) == 0 || access("/sbin/nft", X_OK) == 0;
	if (geteuid() != 0)
		fprintf(stderr, "test_nft_live: not root, skipping\n");
	else if (unshare(CLONE_NEWNET) < 0)
		fprintf(stderr, "test_nft_live: unshare(CLONE_NEWNET): %s, skipping\n",
			strerror(errno));
	else
		live = true;
	if (live && !have_nft)
		fprintf(stderr, "test_nft_live: no nft to check with, skipping\n");
	if (live) {
		struct nl *nl = NULL;
		uint32_t g;

		if (nl_open(&nl, NFT_NETLINK_BUS) < 0 || nft_gen(nl, &g) < 0) {
			fprintf(stderr, "test_nft_live: no nf_tables, skipping\n");
			live = false;
		}
		nl_close(nl);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
