/* Unit tests of the warren.conf reader and validation: every rule, with its exact message. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/util.h"
#include "profiles/conf.h"
#include "profiles/policy.h"

/* K1 is a private key, P1 its public key; P2, P3 other public keys. */
#define K1 "4EivZGluNRMxXHyk4ZygoZGH9mFGyo8lqJbdV9PTh3U="
#define P1 "fryXkA1EVC5Ub2uWHhLgMiDLhAtE3JEISdkMT6X9r3o="
#define K2 "EPN46GkU5YjSlrNWg6KJwfNAHJku9XzscsCGlbdQ32o="
#define P2 "M5+scYkorL9nKNqXpgAzNquF8PSV0hQVqfvX6BGm71A="
#define P3 "Q9VmUb1b6ShjK8FE+Pg98QojOwiqarhE70ZsNuar/x4="
#define PSK "zqpFd67SgBqAFI6C6HvQlu2/cDNF6+bK4g5T9Q/58E4="

/* One tunnel "hq" with a key; BODY is on line 2. */
#define T(body) "tunnels = ( { name = \"hq\"; private_key = \"" K1 "\";\n" body "\n} );\n"
/* One peer of "hq" with a public key; BODY is on line 2 inside the peer. */
#define PEER(body) T("peers = ( { public_key = \"" P1 "\"; " body " } );")

static char tmpdir[64];
static char oldcwd[4096];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	strcpy(tmpdir, "/tmp/warren-test-conf.XXXXXX");
	if (!mkdtemp(tmpdir) || !getcwd(oldcwd, sizeof(oldcwd)) || chdir(tmpdir) < 0)
		return -1;
	/* messages name files as given: tests use relative names */
	umask(077);
	return 0;
}

static int teardown(void **state)
{
	if (chdir(oldcwd) < 0)
		return -1;
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *name, const char *text, mode_t mode)
{
	FILE *f;

	unlink(name);
	f = fopen(name, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(name, mode), 0);
}

static struct config *load(const char *text, struct diag *d)
{
	write_file("warren.conf", text, 0600);
	return conf_load("warren.conf", d);
}

/* The file must produce exactly these messages, in this order. */
static void expect_msgs(const char *text, const char *const *want, size_t n)
{
	struct diag d = { 0 };
	struct config *c = load(text, &d);
	size_t i;

	if (d.n != n) {
		fprintf(stderr, "got %zu messages, want %zu:\n", d.n, n);
		diag_print(&d, stderr);
	}
	assert_int_equal(d.n, n);
	for (i = 0; i < n; i++)
		assert_string_equal(d.items[i].text, want[i]);
	diag_clear(&d);
	config_free(c);
}

#define EXPECT(text, ...) do { \
	static const char *const want_[] = { __VA_ARGS__ }; \
	expect_msgs(text, want_, ARRAY_SIZE(want_)); \
} while (0)
#define EXPECT_OK(text) expect_msgs(text, NULL, 0)

/* Load a file that must be valid, for checking model values. */
static struct config *load_ok(const char *text)
{
	struct diag d = { 0 };
	struct config *c = load(text, &d);

	if (d.n)
		diag_print(&d, stderr);
	assert_int_equal(d.n, 0);
	diag_clear(&d);
	return c;
}

static void assert_cidr(const struct cidr *c, const char *want)
{
	char buf[CIDR_STRLEN];

	assert_string_equal(cidr_fmt(c, buf), want);
}

static void assert_key(const uint8_t key[KEY_LEN], const char *b64)
{
	char buf[KEY_B64_LEN];

	key_to_base64(buf, key);
	assert_string_equal(buf, b64);
}

/* ---- a full file ---- */

static const char wgcf[] =
	"[Interface]\n"
	"PrivateKey = " K2 "\n"
	"Address = 172.16.0.2/32, 2606:4700:110::2/128\n"
	"DNS = 1.1.1.1\n"
	"MTU = 1280\n"
	"\n"
	"[Peer]\n"
	"PublicKey = " P3 "\n"
	"AllowedIPs = 0.0.0.0/0, ::/0\n"
	"Endpoint = engage.cloudflareclient.com:2408\n";

static void test_full(void **state)
{
	struct config *c;
	struct tunnel *t;
	struct group *g;
	struct peer *pe;

	assert_int_equal(mkdir("keys", 0700), 0);
	write_file("keys/hq.key", K1 "\n", 0600);
	write_file("wgcf-profile.conf", wgcf, 0600);
	c = load_ok(
		"daemon = {\n"
		"  backend = \"userspace\";\n"
		"  userspace_command = \"/usr/bin/wireguard-go\";\n"
		"  state_dir = \"/var/lib/warren2\";\n"
		"  socket = \"/run/w.sock\";\n"
		"  allow_hooks = true;\n"
		"};\n"
		"lan = {\n"
		"  interfaces = [ \"eth1\", \"eth2\" ];\n"
		"  subnets = [ \"192.168.10.0/24\", \"fd10::/64\" ];\n"
		"};\n"
		"tunnels = (\n"
		"  { name = \"hq\";\n"
		"    interface = \"wg-office\";\n"
		"    private_key_file = \"keys/hq.key\";\n"
		"    address = [ \"10.9.0.10/24\", \"fd09::10/128\" ];\n"
		"    listen_port = 51820;  mtu = 1420;\n"
		"    routes = [ \"172.16.0.0/16\" ];\n"
		"    families = [ \"ipv4\", \"ipv6\" ];\n"
		"    snat = true; allow_inbound = true;\n"
		"    peers = ( { public_key = \"" P2 "\"; preshared_key = \"" PSK "\";\n"
		"                endpoint = \"vpn1.example.net:51820\"; allowed_ips = [ \"0.0.0.0/0\" ];\n"
		"                persistent_keepalive = 25; },\n"
		"              { public_key = \"" P3 "\"; endpoint = \"[2001:db8::1]:4500\";\n"
		"                allowed_ips = [ \"10.1.2.3/8\" ]; } );\n"
		"    probe = { target = \"10.9.0.1\"; interval_ms = 250; timeout_ms = 150;\n"
		"              down_after = 4; up_after = 5; };\n"
		"  },\n"
		"  { name = \"warp\"; import = \"wgcf-profile.conf\"; families = [ \"ipv4\" ]; }\n"
		");\n"
		"groups = (\n"
		"  { name = \"internet\"; routes = [ \"0.0.0.0/0\", \"::/0\" ]; members = [ \"hq\", \"warp\" ];\n"
		"    sources = [ \"lan\", \"host\", \"10.20.0.0/16\" ];\n"
		"    fallback = \"main\";\n"
		"    hold_ms = 7000; }\n"
		");\n"
		"portal = { url = \"https://portal.example.net\";\n"
		"           ca_file = \"portal-ca.pem\"; interval = 90; };\n"
		"server = { interface = \"wg0\"; listen_port = 51820; private_key = \"" K1 "\";\n"
		"  endpoint = \"vpn.example.net:51820\"; pool = [ \"10.9.0.0/24\" ]; };\n");

	assert_string_equal(c->path, "warren.conf");
	assert_false(c->is_wgquick);
	assert_int_equal(c->daemon.backend, BACKEND_USERSPACE);
	assert_string_equal(c->daemon.userspace_command, "/usr/bin/wireguard-go");
	assert_string_equal(c->daemon.state_dir, "/var/lib/warren2");
	assert_string_equal(c->daemon.socket, "/run/w.sock");
	assert_true(c->daemon.allow_hooks);
	assert_int_equal(c->lan.interfaces.n, 2);
	assert_string_equal(c->lan.interfaces.v[1], "eth2");
	assert_int_equal(c->lan.subnets.n, 2);
	assert_cidr(&c->lan.subnets.v[0], "192.168.10.0/24");
	assert_cidr(&c->lan.subnets.v[1], "fd10::/64");

	assert_int_equal(c->n_tunnels, 2);
	t = &c->tunnels[0];
	assert_string_equal(t->name, "hq");
	assert_string_equal(t->ifname, "wg-office");
	assert_string_equal(t->private_key_file, "keys/hq.key");
	assert_true(t->has_private_key);
	assert_key(t->private_key, K1);
	assert_int_equal(t->addresses.n, 2);
	assert_cidr(&t->addresses.v[0], "10.9.0.10/24");
	assert_cidr(&t->addresses.v[1], "fd09::10/128");
	assert_true(t->has_listen_port);
	assert_int_equal(t->listen_port, 51820);
	assert_int_equal(t->mtu, 1420);
	assert_true(t->has_routes);
	assert_int_equal(t->routes.n, 1);
	assert_cidr(&t->routes.v[0], "172.16.0.0/16");
	assert_int_equal(t->families, FAMILY_BOTH);
	assert_true(t->snat);
	assert_true(t->allow_inbound);
	assert_int_equal(t->line, 13);
	assert_string_equal(t->source, "warren.conf");
	assert_null(t->import);
	assert_int_equal(t->n_peers, 2);
	pe = &t->peers[0];
	assert_key(pe->public_key, P2);
	assert_true(pe->has_preshared_key);
	assert_key(pe->preshared_key, PSK);
	assert_string_equal(pe->endpoint_host, "vpn1.example.net");
	assert_int_equal(pe->endpoint_port, 51820);
	assert_int_equal(pe->allowed_ips.n, 1);
	assert_cidr(&pe->allowed_ips.v[0], "0.0.0.0/0");
	assert_int_equal(pe->persistent_keepalive, 25);
	assert_int_equal(pe->line, 21);
	pe = &t->peers[1];
	assert_key(pe->public_key, P3);
	assert_false(pe->has_preshared_key);
	assert_string_equal(pe->endpoint_host, "2001:db8::1");
	assert_int_equal(pe->endpoint_port, 4500);
	assert_cidr(&pe->allowed_ips.v[0], "10.0.0.0/8");  /* host bits masked, as wg does */
	assert_int_equal(pe->persistent_keepalive, 0);
	assert_true(t->probe.enabled);
	assert_cidr(&t->probe.target, "10.9.0.1/32");
	assert_int_equal(t->probe.interval_ms, 250);
	assert_int_equal(t->probe.timeout_ms, 150);
	assert_int_equal(t->probe.down_after, 4);
	assert_int_equal(t->probe.up_after, 5);

	t = &c->tunnels[1];
	assert_string_equal(t->name, "warp");
	assert_string_equal(t->ifname, "wg-warp");
	assert_string_equal(t->import, "wgcf-profile.conf");
	assert_true(t->has_private_key);
	assert_key(t->private_key, K2);
	assert_int_equal(t->addresses.n, 2);
	assert_cidr(&t->addresses.v[0], "172.16.0.2/32");
	assert_int_equal(t->mtu, 1280);
	assert_int_equal(t->dns.n, 1);
	assert_int_equal(t->families, FAMILY_IPV4);
	assert_false(t->has_routes);
	assert_false(t->snat);
	assert_false(t->allow_inbound);
	assert_false(t->probe.enabled);
	assert_int_equal(t->n_peers, 1);
	assert_key(t->peers[0].public_key, P3);
	assert_string_equal(t->peers[0].endpoint_host, "engage.cloudflareclient.com");
	assert_int_equal(t->peers[0].endpoint_port, 2408);

	assert_int_equal(c->n_groups, 1);
	g = &c->groups[0];
	assert_string_equal(g->name, "internet");
	assert_int_equal(g->routes.n, 2);
	assert_cidr(&g->routes.v[1], "::/0");
	assert_int_equal(g->members.n, 2);
	assert_string_equal(g->members.v[0], "hq");
	assert_string_equal(g->members.v[1], "warp");
	assert_int_equal(g->sources.n, 3);
	assert_string_equal(g->sources.v[0], "lan");
	assert_string_equal(g->sources.v[1], "host");
	assert_string_equal(g->sources.v[2], "10.20.0.0/16");
	assert_int_equal(g->fallback, FALLBACK_MAIN);
	assert_int_equal(g->hold_ms, 7000);

	assert_true(c->portal.enabled);
	assert_string_equal(c->portal.url, "https://portal.example.net");
	assert_string_equal(c->portal.ca_file, "portal-ca.pem");
	assert_int_equal(c->portal.interval, 90);
	config_free(c);
}

static void test_defaults(void **state)
{
	struct config *c = load_ok(T("") "groups = ( { name = \"g\"; routes = [ \"0.0.0.0/0\" ]; members = [ \"hq\" ]; } );\n");
	struct tunnel *t = &c->tunnels[0];

	assert_int_equal(c->daemon.backend, BACKEND_AUTO);
	assert_string_equal(c->daemon.userspace_command, "wireguard-go");
	assert_string_equal(c->daemon.state_dir, "/var/lib/warren");
	assert_null(c->daemon.socket);
	assert_string_equal(config_socket(c, ROLE_AGENT), "/run/warren/warren.sock");
	assert_string_equal(config_socket(c, ROLE_SERVER), "/run/warren/server.sock");
	assert_false(c->daemon.allow_hooks);
	assert_string_equal(t->ifname, "wg-hq");
	assert_false(t->has_listen_port);
	assert_int_equal(t->mtu, 0);
	assert_false(t->has_routes);
	assert_int_equal(t->families, FAMILY_BOTH);
	assert_false(t->snat);
	assert_false(t->probe.enabled);
	assert_int_equal(t->probe.interval_ms, 200);
	assert_int_equal(t->probe.timeout_ms, 200);
	assert_int_equal(t->probe.down_after, 3);
	assert_int_equal(t->probe.up_after, 3);
	assert_int_equal(c->groups[0].fallback, FALLBACK_BLACKHOLE);
	assert_int_equal(c->groups[0].hold_ms, 5000);
	assert_int_equal(c->groups[0].sources.n, 2);
	assert_string_equal(c->groups[0].sources.v[0], "lan");
	assert_string_equal(c->groups[0].sources.v[1], "host");
	assert_false(c->portal.enabled);
	assert_int_equal(c->portal.interval, 60);
	config_free(c);
}

/* ---- syntax, unknown keys, types ---- */

static void test_syntax_error(void **state)
{
	EXPECT("daemon = {\n  backend = ;\n};\n", "warren.conf:2: syntax error");
	EXPECT("a = 1;\na = 2;\n", "warren.conf:2: duplicate setting name");
}

static void test_unknown_keys(void **state)
{
	EXPECT(T("fo = 1;"), "warren.conf:2: tunnel hq: unknown setting \"fo\"");
	EXPECT("tunnel = ();\n", "warren.conf:1: unknown setting \"tunnel\"");
	EXPECT("daemon = { x = 1; };\n", "warren.conf:1: daemon: unknown setting \"x\"");
	EXPECT("lan = { x = 1; };\n", "warren.conf:1: lan: unknown setting \"x\"");
	EXPECT("portal = { url = \"https://p\";\nx = 1; };\n", "warren.conf:2: portal: unknown setting \"x\"");
	EXPECT(PEER("x = 1;"), "warren.conf:2: tunnel hq: peer 1: unknown setting \"x\"");
	EXPECT(T("probe = { target = \"10.0.0.1\"; x = 1; };"),
	       "warren.conf:2: tunnel hq: probe: unknown setting \"x\"");
	EXPECT(T("") "groups = ( { name = \"g\"; routes = [ \"0.0.0.0/0\" ]; members = [ \"hq\" ];\nx = 1; } );\n",
	       "warren.conf:5: group g: unknown setting \"x\"");
}

static void test_server_skipped(void **state)
{
	/* The server section is read like the others: unknown settings are errors. */
	EXPECT("server = { private_key = \"" K1 "\"; endpoint = \"v:1\"; pool = [ \"10.9.0.0/24\" ];\n"
	       "  anything = ( 1, \"x\" ); };\n",
	       "warren.conf:2: server: unknown setting \"anything\"");
}

static void test_types(void **state)
{
	EXPECT(T("mtu = \"1420\";"), "warren.conf:2: tunnel hq: mtu: expected an integer, got a string");
	EXPECT(T("mtu = 1420.5;"), "warren.conf:2: tunnel hq: mtu: expected an integer, got a float");
	EXPECT(T("snat = 1;"), "warren.conf:2: tunnel hq: snat: expected a boolean (true or false), got an integer");
	EXPECT(T("allow_inbound = \"yes\";"),
	       "warren.conf:2: tunnel hq: allow_inbound: expected a boolean (true or false), got a string");
	EXPECT(T("address = \"10.0.0.1/32\";"),
	       "warren.conf:2: tunnel hq: address: expected a list of strings, got a string");
	EXPECT(T("address = ( \"10.0.0.1/32\", 5 );"),
	       "warren.conf:2: tunnel hq: address: expected a list of strings, got an integer in it");
	EXPECT(T("peers = { public_key = \"" P1 "\"; };"),
	       "warren.conf:2: tunnel hq: peers: expected a list of groups ( { ... }, ... ), got a group");
	EXPECT(T("peers = ( 5 );"), "warren.conf:2: tunnel hq: peer 1: expected a group { ... }, got an integer");
	EXPECT(T("probe = ( );"), "warren.conf:2: tunnel hq: probe: expected a group { ... }, got a list");
	EXPECT("daemon = 5;\n", "warren.conf:1: daemon: expected a group { ... }, got an integer");
	EXPECT("tunnels = { };\n", "warren.conf:1: tunnels: expected a list of groups ( { ... }, ... ), got a group");
	EXPECT("tunnels = ( 5 );\n", "warren.conf:1: tunnel 1: expected a group { ... }, got an integer");
	EXPECT("daemon = { allow_hooks = \"yes\"; };\n",
	       "warren.conf:1: daemon: allow_hooks: expected a boolean (true or false), got a string");
	EXPECT("tunnels = [ ];\ngroups = ( );\n",
	       "warren.conf: nothing to run: no tunnels, portal or server section");
}

static void test_int_wraparound(void **state)
{
	/* libconfig 1.5 would read this as 705032704 */
	EXPECT("groups = ( { name = \"g\"; routes = [ \"0.0.0.0/0\" ]; members = [ \"hq\" ];\nhold_ms = 5000000000; } );\n" T(""),
	       "warren.conf:2: integer \"5000000000\" does not fit in 32 bits (64-bit integers end in L)");
	EXPECT(T("listen_port = -2147483649;"),
	       "warren.conf:2: integer \"-2147483649\" does not fit in 32 bits (64-bit integers end in L)");
	EXPECT(T("listen_port = 0x100000000;"),
	       "warren.conf:2: integer \"0x100000000\" does not fit in 32 bits (64-bit integers end in L)");
	EXPECT(T("listen_port = 5000000000L;"),
	       "warren.conf:2: tunnel hq: listen_port \"5000000000\": out of range (0-65535)");
	/* numbers in strings and comments are not integers */
	EXPECT_OK(T("# 5000000000\nlisten_port = 0x0000000000ff; /* 99999999999 */ address = [ \"10.0.0.1/32\" ]; // 77777777777"));
}

/* ---- names ---- */

static void test_tunnel_name(void **state)
{
	EXPECT("tunnels = ( { name = \"HQ\"; private_key = \"" K1 "\"; } );\n",
	       "warren.conf:1: tunnel 1: name \"HQ\": must be 1-12 characters of a-z, 0-9, '_' and '-'");
	EXPECT("tunnels = ( { name = \"abcdefghijklm\"; private_key = \"" K1 "\"; } );\n",
	       "warren.conf:1: tunnel 1: name \"abcdefghijklm\": must be 1-12 characters of a-z, 0-9, '_' and '-'");
	EXPECT("tunnels = ( { name = \"\"; private_key = \"" K1 "\"; } );\n",
	       "warren.conf:1: tunnel 1: name \"\": must be 1-12 characters of a-z, 0-9, '_' and '-'");
	EXPECT("tunnels = ( { private_key = \"" K1 "\"; } );\n", "warren.conf:1: tunnel 1: name missing");
	EXPECT_OK("tunnels = ( { name = \"abcdefghij_-\"; private_key = \"" K1 "\"; } );\n");
}

static void test_interface_name(void **state)
{
	EXPECT(T("interface = \"wg-0123456789abc\";"),
	       "warren.conf:2: tunnel hq: interface \"wg-0123456789abc\": longer than 15 bytes");
	EXPECT(T("interface = \"wg/0\";"), "warren.conf:2: tunnel hq: interface \"wg/0\": contains '/'");
	EXPECT(T("interface = \"wg 0\";"), "warren.conf:2: tunnel hq: interface \"wg 0\": contains white space");
	EXPECT(T("interface = \"wg:0\";"), "warren.conf:2: tunnel hq: interface \"wg:0\": contains ':'");
	EXPECT(T("interface = \".\";"), "warren.conf:2: tunnel hq: interface \".\": not a valid interface name");
	EXPECT(T("interface = \"..\";"), "warren.conf:2: tunnel hq: interface \"..\": not a valid interface name");
	EXPECT(T("interface = \"\";"), "warren.conf:2: tunnel hq: interface \"\": empty");
	EXPECT_OK(T("interface = \"wg-0123456789ab\";"));
	EXPECT("lan = { interfaces = [ \"eth0\", \"a b\" ]; };\n",
	       "warren.conf:1: lan: interfaces \"a b\": contains white space");
}

static void test_interface_default(void **state)
{
	struct config *c = load_ok("tunnels = ( { name = \"abcdefghijkl\"; private_key = \"" K1 "\"; } );\n");

	assert_string_equal(c->tunnels[0].ifname, "wg-abcdefghijkl");
	config_free(c);
}

/* ---- prefixes ---- */

static void test_prefixes(void **state)
{
	EXPECT(T("address = [ \"10.0.0.300/32\" ];"),
	       "warren.conf:2: tunnel hq: address \"10.0.0.300/32\": not an IP address or prefix");
	EXPECT(T("address = [ \"10.0.0.1/33\" ];"),
	       "warren.conf:2: tunnel hq: address \"10.0.0.1/33\": prefix length out of range");
	EXPECT(T("address = [ \"fd00::1/129\" ];"),
	       "warren.conf:2: tunnel hq: address \"fd00::1/129\": prefix length out of range");
	EXPECT(T("address = [ \"10.0.0.1/x\" ];"),
	       "warren.conf:2: tunnel hq: address \"10.0.0.1/x\": not an IP address or prefix");
	/* host bits: fine in address and allowed_ips, an error for routes and subnets */
	EXPECT_OK(T("address = [ \"10.0.0.1/24\", \"fd00::1/64\" ];"));
	EXPECT_OK(PEER("allowed_ips = [ \"10.0.0.1/24\" ];"));
	EXPECT(T("routes = [ \"172.16.0.1/16\" ];"),
	       "warren.conf:2: tunnel hq: routes \"172.16.0.1/16\": host bits set (the network is 172.16.0.0/16)");
	EXPECT(T("routes = [ \"fd00::1/64\" ];"),
	       "warren.conf:2: tunnel hq: routes \"fd00::1/64\": host bits set (the network is fd00::/64)");
	EXPECT(T("") "groups = ( { name = \"g\"; routes = [ \"0.0.0.1/0\" ]; members = [ \"hq\" ]; } );\n",
	       "warren.conf:4: group g: routes \"0.0.0.1/0\": host bits set (the network is 0.0.0.0/0)");
	EXPECT("lan = { subnets = [ \"192.168.10.1/24\" ]; };\n",
	       "warren.conf:1: lan: subnets \"192.168.10.1/24\": host bits set (the network is 192.168.10.0/24)");
}

static void test_routes_empty_list(void **state)
{
	struct config *c = load_ok(T("routes = [ ];"));

	assert_true(c->tunnels[0].has_routes);
	assert_int_equal(c->tunnels[0].routes.n, 0);
	config_free(c);
}

/* ---- endpoints ---- */

static void test_endpoint(void **state)
{
	EXPECT(PEER("endpoint = \"x:99999\";"),
	       "warren.conf:2: tunnel hq: peer 1: endpoint \"x:99999\": port out of range");
	EXPECT(PEER("endpoint = \"x:0\";"), "warren.conf:2: tunnel hq: peer 1: endpoint \"x:0\": port out of range");
	EXPECT(PEER("endpoint = \"x:123456789012\";"),
	       "warren.conf:2: tunnel hq: peer 1: endpoint \"x:123456789012\": port out of range");
	EXPECT(PEER("endpoint = \"x\";"), "warren.conf:2: tunnel hq: peer 1: endpoint \"x\": port missing");
	EXPECT(PEER("endpoint = \"x:\";"), "warren.conf:2: tunnel hq: peer 1: endpoint \"x:\": port missing");
	EXPECT(PEER("endpoint = \"x:https\";"),
	       "warren.conf:2: tunnel hq: peer 1: endpoint \"x:https\": port is not a number");
	EXPECT(PEER("endpoint = \":51820\";"), "warren.conf:2: tunnel hq: peer 1: endpoint \":51820\": host missing");
	EXPECT(PEER("endpoint = \"fd00::1:51820\";"),
	       "warren.conf:2: tunnel hq: peer 1: endpoint \"fd00::1:51820\": an IPv6 address needs brackets, as in [2001:db8::1]:51820");
	EXPECT(PEER("endpoint = \"[fd00::1]\";"), "warren.conf:2: tunnel hq: peer 1: endpoint \"[fd00::1]\": port missing");
	EXPECT(PEER("endpoint = \"[fd00::1:51820\";"),
	       "warren.conf:2: tunnel hq: peer 1: endpoint \"[fd00::1:51820\": missing ']'");
	EXPECT(PEER("endpoint = \"[10.0.0.1]:1\";"),
	       "warren.conf:2: tunnel hq: peer 1: endpoint \"[10.0.0.1]:1\": not a valid IPv6 address");
	EXPECT(PEER("endpoint = \"[fd00::1]x1\";"),
	       "warren.conf:2: tunnel hq: peer 1: endpoint \"[fd00::1]x1\": expected ':' after ']'");
	EXPECT(PEER("endpoint = \"1.2.3.999:1\";"),
	       "warren.conf:2: tunnel hq: peer 1: endpoint \"1.2.3.999:1\": not a valid IPv4 address");
	EXPECT(PEER("endpoint = \"-vpn.example.net:1\";"),
	       "warren.conf:2: tunnel hq: peer 1: endpoint \"-vpn.example.net:1\": not a valid host name");
	EXPECT(PEER("endpoint = \"vpn-.example.net:1\";"),
	       "warren.conf:2: tunnel hq: peer 1: endpoint \"vpn-.example.net:1\": not a valid host name");
	EXPECT(PEER("endpoint = \"vpn..net:1\";"),
	       "warren.conf:2: tunnel hq: peer 1: endpoint \"vpn..net:1\": not a valid host name");
	EXPECT(PEER("endpoint = \"vpn_1.net:1\";"),
	       "warren.conf:2: tunnel hq: peer 1: endpoint \"vpn_1.net:1\": not a valid host name");
	EXPECT(PEER("endpoint = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.net:1\";"),
	       "warren.conf:2: tunnel hq: peer 1: endpoint \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.net:1\": not a valid host name");
	/* control bytes are escaped so a message stays one line */
	EXPECT(PEER("endpoint = \"a\\nb:1\";"),
	       "warren.conf:2: tunnel hq: peer 1: endpoint \"a\\x0ab:1\": not a valid host name");
	EXPECT_OK(PEER("endpoint = \"1.2.3.4:1\";"));
	EXPECT_OK(PEER("endpoint = \"[fe80::1%eth0]:65535\";"));
	EXPECT_OK(PEER("endpoint = \"vpn.example.net.:51820\";"));
	EXPECT_OK(PEER("endpoint = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.net:1\";"));
}

static void test_endpoint_api(void **state)
{
	const char *why = NULL;
	uint16_t port = 0;
	char *host = NULL;

	assert_int_equal(conf_parse_endpoint("[2001:db8::1]:51820", &host, &port, &why), 0);
	assert_string_equal(host, "2001:db8::1");
	assert_int_equal(port, 51820);
	free(host);
	assert_int_equal(conf_parse_endpoint("vpn:65536", &host, &port, &why), -EINVAL);
	assert_null(host);
	assert_string_equal(why, "port out of range");
}

/* ---- keys ---- */

static void test_keys(void **state)
{
	EXPECT(T("peers = ( { public_key = \"abc\"; } );"),
	       "warren.conf:2: tunnel hq: peer 1: public_key \"abc\": not a valid key (44 characters of base64)");
	EXPECT(T("peers = ( { public_key = \"" P1 "\"; },\n{ endpoint = \"a:1\"; } );"),
	       "warren.conf:3: tunnel hq: peer 2: public_key missing");
	/* secrets are never quoted, not even malformed ones */
	EXPECT(PEER("preshared_key = \"secretsecret\";"),
	       "warren.conf:2: tunnel hq: peer 1: preshared_key: not a valid key (44 characters of base64)");
	/* a bad key is one error, not also "no private key" */
	EXPECT("tunnels = ( { name = \"hq\";\nprivate_key = \"" K1 "x\"; } );\n",
	       "warren.conf:2: tunnel hq: private_key: not a valid key (44 characters of base64)");
}

static void test_private_key_exclusive(void **state)
{
	EXPECT(T("private_key_file = \"k\";"),
	       "warren.conf:2: tunnel hq: private_key and private_key_file exclude each other");
	EXPECT("tunnels = ( { name = \"hq\"; } );\n",
	       "warren.conf:1: tunnel hq: no private key: set private_key or private_key_file");
}

static void test_private_key_file(void **state)
{
	struct config *c;

	assert_int_equal(mkdir("sub", 0700), 0);
	write_file("sub/hq.key", "\n  " K1 "  \n", 0600);
	/* relative to the file's directory, not the working directory */
	write_file("sub/warren.conf", "tunnels = ( { name = \"hq\"; private_key_file = \"hq.key\"; } );\n", 0600);
	{
		struct diag d = { 0 };

		c = conf_load("sub/warren.conf", &d);
		assert_int_equal(d.n, 0);
		assert_string_equal(c->tunnels[0].private_key_file, "sub/hq.key");
		assert_true(c->tunnels[0].has_private_key);
		assert_key(c->tunnels[0].private_key, K1);
		config_free(c);
	}
	EXPECT("tunnels = ( { name = \"hq\"; private_key_file = \"nope.key\"; } );\n",
	       "warren.conf:1: tunnel hq: private_key_file \"nope.key\": No such file or directory");
	EXPECT("tunnels = ( { name = \"hq\"; private_key_file = \"sub\"; } );\n",
	       "warren.conf:1: tunnel hq: private_key_file \"sub\": Is a directory");
	EXPECT("tunnels = ( { name = \"hq\"; private_key_file = \"/dev/null\"; } );\n",
	       "warren.conf:1: tunnel hq: private_key_file \"/dev/null\": not a regular file");
	EXPECT("tunnels = ( { name = \"hq\"; private_key_file = \"\"; } );\n",
	       "warren.conf:1: tunnel hq: private_key_file \"\": empty path",
	       "warren.conf:1: tunnel hq: no private key: set private_key or private_key_file");
	write_file("bad.key", "not a key\n", 0600);
	EXPECT("tunnels = ( { name = \"hq\"; private_key_file = \"bad.key\"; } );\n",
	       "warren.conf:1: tunnel hq: private_key_file \"bad.key\": not a valid key (44 characters of base64)");
	write_file("open.key", K1 "\n", 0644);
	EXPECT("tunnels = ( { name = \"hq\"; private_key_file = \"open.key\"; } );\n",
	       "warren.conf:1: warning: tunnel hq: private_key_file \"open.key\": readable by group or others (mode 0644)");
	write_file("open.key", K1 "\n", 0640);
	EXPECT("tunnels = ( { name = \"hq\"; private_key_file = \"open.key\"; } );\n",
	       "warren.conf:1: warning: tunnel hq: private_key_file \"open.key\": readable by group or others (mode 0640)");
	write_file("open.key", K1 "\n", 0400);
	EXPECT_OK("tunnels = ( { name = \"hq\"; private_key_file = \"open.key\"; } );\n");
}

/* ---- numbers ---- */

static void test_ranges(void **state)
{
	EXPECT(T("listen_port = 65536;"), "warren.conf:2: tunnel hq: listen_port \"65536\": out of range (0-65535)");
	EXPECT(T("listen_port = -1;"), "warren.conf:2: tunnel hq: listen_port \"-1\": out of range (0-65535)");
	EXPECT_OK(T("listen_port = 0;"));
	EXPECT_OK(T("listen_port = 65535;"));
	EXPECT(T("mtu = 1279;"), "warren.conf:2: tunnel hq: mtu \"1279\": out of range (1280-65535, or 0 for automatic)");
	EXPECT(T("mtu = 65536;"), "warren.conf:2: tunnel hq: mtu \"65536\": out of range (1280-65535, or 0 for automatic)");
	EXPECT_OK(T("mtu = 0;"));
	EXPECT_OK(T("mtu = 1280;"));
	EXPECT(PEER("persistent_keepalive = 65536;"),
	       "warren.conf:2: tunnel hq: peer 1: persistent_keepalive \"65536\": out of range (0-65535)");
	EXPECT(PEER("persistent_keepalive = -1;"),
	       "warren.conf:2: tunnel hq: peer 1: persistent_keepalive \"-1\": out of range (0-65535)");
	EXPECT_OK(PEER("persistent_keepalive = 0;"));
	EXPECT("portal = { url = \"https://p\"; interval = 0; };\n",
	       "warren.conf:1: portal: interval \"0\": out of range (1-300)");
	EXPECT(T("") "groups = ( { name = \"g\"; routes = [ \"0.0.0.0/0\" ]; members = [ \"hq\" ]; hold_ms = -1; } );\n",
	       "warren.conf:4: group g: hold_ms \"-1\": must be at least 0");
}

static void test_on_event(void **state)
{
	struct config *c;

	EXPECT("daemon = { on_event = [ ]; };\n",
	       "warren.conf:1: daemon: on_event: the first element must name a program");
	EXPECT("daemon = { on_event = \"/bin/logger\"; };\n",
	       "warren.conf:1: daemon: on_event: expected a list of strings, got a string");
	c = load_ok("daemon = { on_event = [ \"/usr/bin/logger\", \"-t\", \"warren\" ]; };\n" T(""));
	assert_int_equal(c->daemon.on_event.n, 3);
	assert_string_equal(c->daemon.on_event.v[0], "/usr/bin/logger");
	assert_string_equal(c->daemon.on_event.v[2], "warren");
	config_free(c);
}

static void test_server_section(void **state)
{
	struct config *c;
	char buf[CIDR_STRLEN];

	(void)state;
	write_file("server.key", K1 "\n", 0600);
	c = load_ok("server = {\n"
		    "  interface = \"wg0\"; listen_port = 51820; private_key_file = \"server.key\";\n"
		    "  endpoint = \"vpn.example.net:51820\";\n"
		    "  pool = [ \"10.9.0.0/24\", \"fd09::/64\" ];\n"
		    "  dns = [ \"10.9.0.1\" ];\n"
		    "  client_keepalive = 25; mtu = 1420;\n"
		    "  egress = \"eth0\"; snat = true;\n"
		    "  database = \"warren.db\";\n"
		    "  session_idle_s = 180; session_retention_days = 180; max_devices = 3;\n"
		    "  portal = { listen = \"[::]:8443\"; tls_cert_file = \"portal.crt\"; tls_key_file = \"portal.key\";\n"
		    "             admin_totp = \"required\"; };\n"
		    "};\n");
	assert_true(c->server.enabled);
	assert_string_equal(c->server.ifname, "wg0");
	assert_true(c->server.has_private_key);
	assert_key(c->server.private_key, K1);
	assert_string_equal(c->server.endpoint_host, "vpn.example.net");
	assert_int_equal(c->server.endpoint_port, 51820);
	assert_int_equal(c->server.pool.n, 2);
	assert_cidr(&c->server.pool.v[1], "fd09::/64");
	assert_int_equal(c->server.client_allowed_ips.n, 2);   /* default: everything */
	assert_string_equal(cidr_fmt(&c->server.client_allowed_ips.v[1], buf), "::/0");
	assert_string_equal(c->server.egress, "eth0");
	assert_true(c->server.snat);
	assert_string_equal(c->server.database + strlen(c->server.database) - 9, "warren.db");
	assert_true(c->server.portal.enabled);
	assert_string_equal(c->server.portal.listen, "[::]:8443");
	assert_int_equal(c->server.max_devices, 3);
	assert_true(c->server.portal.admin_totp_required);
	config_free(c);

	EXPECT("server = { private_key = \"" K1 "\"; endpoint = \"v:1\"; pool = [ \"10.9.0.0/24\" ];\n"
	       "  max_devices = 1001; };\n",
	       "warren.conf:2: server: max_devices \"1001\": out of range (1-1000)");
	EXPECT("server = { private_key = \"" K1 "\"; endpoint = \"v:1\"; pool = [ \"10.9.0.0/24\" ];\n"
	       "  portal = { listen = \"[::]:1\"; tls_cert_file = \"c\"; tls_key_file = \"k\"; admin_totp = \"yes\"; }; };\n",
	       "warren.conf:2: portal: admin_totp \"yes\": must be optional or required");

	EXPECT("server = { private_key = \"" K1 "\"; endpoint = \"v:1\";\n"
	       "  pool = [ \"10.9.0.0/24\", \"10.10.0.0/24\" ]; };\n",
	       "warren.conf:2: server: pool \"10.10.0.0/24\": a second IPv4 pool");
	EXPECT("server = { private_key = \"" K1 "\"; endpoint = \"v:1\"; pool = [ \"10.9.0.0/31\" ]; };\n",
	       "warren.conf:1: server: pool \"10.9.0.0/31\": too small for a server and a client");
	EXPECT("server = { private_key = \"" K1 "\"; pool = [ \"10.9.0.0/24\" ]; };\n",
	       "warren.conf:1: server: endpoint missing: the host:port client configurations point at");
	EXPECT("server = { endpoint = \"v:1\"; pool = [ \"10.9.0.0/24\" ]; snat = true; };\n",
	       "warren.conf:1: server: no private key: set private_key or private_key_file",
	       "warren.conf:1: server: snat needs egress: the link clients reach the world through");
	EXPECT("server = { private_key = \"" K1 "\"; endpoint = \"v:99999\"; pool = [ \"10.9.0.0/24\" ]; };\n",
	       "warren.conf:1: server: endpoint \"v:99999\": port out of range",
	       "warren.conf:1: server: endpoint missing: the host:port client configurations point at");
	EXPECT("server = { private_key = \"" K1 "\"; endpoint = \"v:1\"; pool = [ \"10.9.0.0/24\" ];\n"
	       "  dns = [ \"10.9.0.0/24\" ]; };\n",
	       "warren.conf:2: server: dns \"10.9.0.0/24\": an address, not a prefix");
}

/* server.timezone and server.policy, the defaults every group inherits. */
static void test_server_policy(void **state)
{
#define SRVP(extra) "server = { private_key = \"" K1 "\"; endpoint = \"v:1\"; pool = [ \"10.9.0.0/24\" ];\n" extra " };\n"
	char buf[POLICY_STRLEN];
	struct config *c;

	(void)state;
	c = load_ok(SRVP(""));
	assert_null(c->server.timezone);
	assert_int_equal(c->server.policy->n_dests, 0);
	assert_int_equal(c->server.policy->schedule.n, 0);
	assert_false(c->server.policy->schedule.never);
	assert_int_equal(c->server.policy->idle_s, POLICY_IDLE_DEFAULT);
	assert_false(c->server.policy->portal_login);
	config_free(c);

	c = load_ok(SRVP("  timezone = \"Europe/Berlin\";\n"
			 "  portal = { listen = \"[::]:8443\"; tls_cert_file = \"c\"; tls_key_file = \"k\"; };\n"
			 "  policy = { destinations = [ \"10.0.0.0/8\", \"10.1.2.3:443/tcp, [fd00::1]:53/udp\" ];\n"
			 "    schedule = \"Mon-Fri 08:00-18:00, Sat 22:00-02:00\";\n"
			 "    sources = [ \"203.0.113.0/24\" ]; rate = \"20Mbit/5Mbit\";\n"
			 "    isolate = true; portal_login = true; idle = 600; max_maps = 2; };"));
	assert_string_equal(c->server.timezone, "Europe/Berlin");
	assert_string_equal(policy_dests_fmt(c->server.policy->dests, c->server.policy->n_dests,
					     buf, sizeof(buf)),
			    "10.0.0.0/8, 10.1.2.3:443/tcp, [fd00::1]:53/udp");
	assert_string_equal(policy_schedule_fmt(&c->server.policy->schedule, buf, sizeof(buf)),
			    "Mon-Fri 08:00-18:00, Sat 22:00-02:00");
	assert_string_equal(policy_sources_fmt(&c->server.policy->sources, buf, sizeof(buf)),
			    "203.0.113.0/24");
	assert_int_equal(c->server.policy->rate.down_bps, 20000000);
	assert_int_equal(c->server.policy->rate.up_bps, 5000000);
	assert_true(c->server.policy->isolate);
	assert_true(c->server.policy->portal_login);
	assert_int_equal(c->server.policy->idle_s, 600);
	assert_int_equal(c->server.policy->max_maps, 2);
	config_free(c);
	/* one string for a list, and idle 0 */
	c = load_ok(SRVP("  policy = { destinations = \"10.0.0.0/8 192.168.0.0/16/udp\"; idle = 0;"
			 " schedule = \"never\"; };"));
	assert_int_equal(c->server.policy->n_dests, 2);
	assert_int_equal(c->server.policy->idle_s, 0);
	assert_true(c->server.policy->schedule.never);
	config_free(c);

	EXPECT(SRVP("  timezone = \"Mars/Olympus\";"),
	       "warren.conf:2: server: timezone \"Mars/Olympus\": no such zone in /usr/share/zoneinfo");
	EXPECT(SRVP("  timezone = \"../etc/passwd\";"),
	       "warren.conf:2: server: timezone \"../etc/passwd\": not a zone name such as \"Europe/Berlin\"");
	EXPECT(SRVP("  timezone = 1;"),
	       "warren.conf:2: server: timezone: expected a string, got an integer");
	EXPECT(SRVP("  policy = { destinations = [ \"10.0.0.0/8\",\n \"10.0.0.0/33\" ]; };"),
	       "warren.conf:3: policy: destinations \"10.0.0.0/33\": prefix longer than 32");
	EXPECT(SRVP("  policy = { destinations = [ \"10.0.0.1/8\" ]; };"),
	       "warren.conf:2: policy: destinations \"10.0.0.1/8\": host bits set (the network is 10.0.0.0/8)");
	EXPECT(SRVP("  policy = {\n schedule = \"Mon-Fri 8:00-18\"; };"),
	       "warren.conf:3: policy: schedule \"Mon-Fri 8:00-18\": bad time");
	EXPECT(SRVP("  policy = { sources = [ \"nowhere\" ]; };"),
	       "warren.conf:2: policy: sources \"nowhere\": not an address");
	EXPECT(SRVP("  policy = { rate = \"20Mbps/5Mbit\"; };"),
	       "warren.conf:2: policy: rate \"20Mbps\": bad unit (bit, kbit, Mbit or Gbit)");
	EXPECT(SRVP("  policy = { isolate = 1; };"),
	       "warren.conf:2: policy: isolate: expected a boolean (true or false), got an integer");
	EXPECT(SRVP("  policy = { idle = -1; };"),
	       "warren.conf:2: policy: idle \"-1\": must be at least 0");
	EXPECT(SRVP("  policy = { max_maps = 70000; };"),
	       "warren.conf:2: policy: max_maps \"70000\": out of range (0-65535)");
	EXPECT(SRVP("  policy = { colour = \"red\"; };"),
	       "warren.conf:2: policy: unknown setting \"colour\"");
	EXPECT(SRVP("  policy = {\n portal_login = true; };"),
	       "warren.conf:3: server.policy.portal_login needs server.portal");
#undef SRVP
}

/* One file for both roles: each its own link and socket. */
static void test_both_roles(void **state)
{
#define SRV(extra) "server = { private_key = \"" K1 "\"; endpoint = \"v:1\"; pool = [ \"10.9.0.0/24\" ];" extra " };\n"
	struct config *c;

	(void)state;
	c = load_ok(T("") SRV(""));
	assert_string_equal(config_socket(c, ROLE_AGENT), "/run/warren/warren.sock");
	assert_string_equal(config_socket(c, ROLE_SERVER), "/run/warren/server.sock");
	config_free(c);
	/* daemon.socket is the agent's once the file has tunnels; the server keeps its own */
	c = load_ok("daemon = { socket = \"/run/a.sock\"; };\n" T("") SRV(""));
	assert_string_equal(config_socket(c, ROLE_AGENT), "/run/a.sock");
	assert_string_equal(config_socket(c, ROLE_SERVER), "/run/warren/server.sock");
	config_free(c);
	/* ...but names a server-only file's socket */
	c = load_ok("daemon = { socket = \"/run/a.sock\"; };\n" SRV(""));
	assert_string_equal(config_socket(c, ROLE_SERVER), "/run/a.sock");
	config_free(c);
	c = load_ok("daemon = { socket = \"/run/a.sock\"; };\n" T("") SRV(" socket = \"/run/s.sock\";"));
	assert_string_equal(config_socket(c, ROLE_SERVER), "/run/s.sock");
	config_free(c);
	EXPECT("daemon = { socket = \"/run/a.sock\"; };\n" T("") SRV(" socket = \"/run/a.sock\";"),
	       "warren.conf:5: server: socket /run/a.sock is the agent's too: give the server its own");
	EXPECT(T("interface = \"wg0\";") SRV(""),
	       "warren.conf:4: server: interface wg0 is also tunnel hq's link");
#undef SRV
}

static void test_detect_wgquick_keys(void **state)
{
	(void)state;
	/* A file that lost its [Interface] line is still told apart by wg-quick's keys. */
	assert_true(conf_is_wgquick("# copied\nPrivateKey = abc\nAddress = 10.0.0.2/32\n"));
	assert_true(conf_is_wgquick("  allowedips=0.0.0.0/0\n"));
	assert_true(conf_is_wgquick("tunnels = ();\n[Peer]\n"));
	assert_false(conf_is_wgquick("tunnels = ( { name = \"a\"; mtu = 1420; address = [ \"10.0.0.1/32\" ]; } );\n"));
	assert_false(conf_is_wgquick("daemon = { fwmark = 0x5700; };\n"));
	assert_false(conf_is_wgquick("private_key_file = \"k\";\n"));
}

static void test_kernel_ownership(void **state)
{
	struct config *c;

	EXPECT("daemon = { route_protocol = 4; };\n",
	       "warren.conf:1: daemon: route_protocol \"4\": out of range (5-255)");
	EXPECT("daemon = { rule_priority = 32667; };\n",
	       "warren.conf:1: daemon: rule_priority \"32667\": out of range (1-32666)");
	EXPECT("daemon = { table_base = 200; };\n",
	       "warren.conf:1: daemon: table_base \"200\": tables 200-299 would include the kernel's tables 253-255");
	EXPECT("daemon = { fwmark = 0x10000; };\n",
	       "warren.conf: daemon: fwmark 0x10000 has bits outside fwmark_mask 0xff00");
	EXPECT("daemon = { fwmark_mask = 0; };\n",
	       "warren.conf:1: daemon: fwmark_mask \"0\": must be at least 1");
	EXPECT_OK("daemon = { table_base = 256; };\n" T(""));
	c = load_ok("daemon = { route_protocol = 99; rule_priority = 1000; table_base = 1000;\n"
		    "  fwmark = 0x40000; fwmark_mask = 0xf0000; };\n" T(""));
	assert_int_equal(c->daemon.route_protocol, 99);
	assert_int_equal(c->daemon.rule_priority, 1000);
	assert_int_equal(c->daemon.table_base, 1000);
	assert_int_equal(c->daemon.fwmark, 0x40000);
	assert_int_equal(c->daemon.fwmark_mask, 0xf0000);
	config_free(c);
	c = load_ok(T(""));
	assert_int_equal(c->daemon.route_protocol, 57);
	assert_int_equal(c->daemon.rule_priority, 6200);
	assert_int_equal(c->daemon.table_base, 6200);
	assert_int_equal(c->daemon.fwmark, 0x5700);
	assert_int_equal(c->daemon.fwmark_mask, 0xff00);
	config_free(c);
}

static void test_probe(void **state)
{
	EXPECT(T("probe = { target = \"10.0.0.1\"; interval_ms = 0; };"),
	       "warren.conf:2: tunnel hq: probe: interval_ms \"0\": must be at least 1");
	EXPECT(T("probe = { target = \"10.0.0.1\"; timeout_ms = 0; };"),
	       "warren.conf:2: tunnel hq: probe: timeout_ms \"0\": must be at least 1");
	EXPECT(T("probe = { target = \"10.0.0.1\"; down_after = 0; };"),
	       "warren.conf:2: tunnel hq: probe: down_after \"0\": must be at least 1");
	EXPECT(T("probe = { target = \"10.0.0.1\"; up_after = 0; };"),
	       "warren.conf:2: tunnel hq: probe: up_after \"0\": must be at least 1");
	EXPECT(T("probe = { target = \"10.0.0.1\"; interval_ms = 2147483648L; };"),
	       "warren.conf:2: tunnel hq: probe: interval_ms \"2147483648\": out of range (1-2147483647)");
	EXPECT(T("probe = { target = \"10.0.0.0/24\"; };"),
	       "warren.conf:2: tunnel hq: probe: target \"10.0.0.0/24\": not an IP address");
	EXPECT(T("probe = { interval_ms = 100; };"), "warren.conf:2: tunnel hq: probe: target missing");
	EXPECT_OK(T("probe = { target = \"fd09::1\"; interval_ms = 1; timeout_ms = 1; down_after = 1; up_after = 1; };"));
}

/* ---- enumerations ---- */

static void test_enums(void **state)
{
	EXPECT(T("families = [ \"ip4\" ];"), "warren.conf:2: tunnel hq: families \"ip4\": must be \"ipv4\" or \"ipv6\"");
	EXPECT(T("families = [ ];"), "warren.conf:2: tunnel hq: families \"[]\": must name \"ipv4\", \"ipv6\" or both");
	EXPECT("daemon = { backend = \"fast\"; };\n",
	       "warren.conf:1: daemon: backend \"fast\": must be auto, kernel or userspace");
	EXPECT(T("") "groups = ( { name = \"g\"; routes = [ \"0.0.0.0/0\" ]; members = [ \"hq\" ]; fallback = \"open\"; } );\n",
	       "warren.conf:4: group g: fallback \"open\": must be blackhole or main");
	{
		struct config *c = load_ok(T("families = [ \"ipv6\" ];") "daemon = { backend = \"kernel\"; };\n");

		assert_int_equal(c->tunnels[0].families, FAMILY_IPV6);
		assert_int_equal(c->daemon.backend, BACKEND_KERNEL);
		config_free(c);
	}
}

/* ---- daemon, portal ---- */

static void test_daemon_paths(void **state)
{
	struct config *c;

	EXPECT("daemon = { socket = \"/run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"; };\n",
	       "warren.conf:1: daemon: socket \"/run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": longer than 107 bytes, too long for a unix socket");
	EXPECT("daemon = { userspace_command = \"\"; };\n",
	       "warren.conf:1: daemon: userspace_command \"\": empty command");
	assert_int_equal(mkdir("d", 0700), 0);
	write_file("d/warren.conf", "daemon = { state_dir = \"state\"; };\n" T(""), 0600);
	{
		struct diag d = { 0 };

		c = conf_load("d/warren.conf", &d);
		assert_int_equal(d.n, 0);
		assert_string_equal(c->daemon.state_dir, "d/state");
		config_free(c);
	}
}

static void test_portal(void **state)
{
	EXPECT("portal = { url = \"http://portal.example.net\"; };\n",
	       "warren.conf:1: portal: url \"http://portal.example.net\": must start with https://");
	EXPECT("portal = { url = \"https://\"; };\n", "warren.conf:1: portal: url \"https://\": not a valid URL");
	EXPECT("portal = { interval = 5; };\n", "warren.conf:1: portal: url missing");
}

/* ---- groups ---- */

static void test_groups(void **state)
{
	EXPECT(T("") "groups = ( { name = \"g\"; routes = [ \"0.0.0.0/0\" ]; members = [ \"hq\", \"zz\" ]; } );\n",
	       "warren.conf:4: group g: members \"zz\": no such tunnel");
	EXPECT(T("") "groups = ( { name = \"g\"; routes = [ \"0.0.0.0/0\" ]; members = [ \"hq\", \"hq\" ]; } );\n",
	       "warren.conf:4: group g: members \"hq\": listed twice");
	EXPECT(T("") "groups = ( { name = \"g\"; routes = [ \"0.0.0.0/0\" ]; members = [ \"HQ\" ]; } );\n",
	       "warren.conf:4: group g: members \"HQ\": not a valid tunnel name");
	EXPECT(T("") "groups = ( { name = \"g\"; routes = [ \"0.0.0.0/0\" ]; members = [ \"hq\" ]; },\n"
	       "{ name = \"g\"; routes = [ \"::/0\" ]; members = [ \"hq\" ]; } );\n",
	       "warren.conf:5: group g: name \"g\": already used by the group at line 4");
	EXPECT(T("") "groups = ( { name = \"G\"; routes = [ \"0.0.0.0/0\" ]; members = [ \"hq\" ]; } );\n",
	       "warren.conf:4: group 1: name \"G\": must be 1-12 characters of a-z, 0-9, '_' and '-'");
	EXPECT(T("") "groups = ( { name = \"g\"; members = [ \"hq\" ]; } );\n", "warren.conf:4: group g: routes missing");
	EXPECT(T("") "groups = ( { name = \"g\"; routes = [ ]; members = [ \"hq\" ]; } );\n",
	       "warren.conf:4: group g: routes \"[]\": no routes");
	EXPECT(T("") "groups = ( { name = \"g\"; routes = [ \"0.0.0.0/0\" ]; } );\n", "warren.conf:4: group g: members missing");
	EXPECT(T("") "groups = ( { name = \"g\"; routes = [ \"0.0.0.0/0\" ]; members = [ ]; } );\n",
	       "warren.conf:4: group g: members \"[]\": no members");
}

static void test_group_sources(void **state)
{
	EXPECT(T("") "groups = ( { name = \"g\"; routes = [ \"0.0.0.0/0\" ]; members = [ \"hq\" ]; sources = [ \"wan\" ]; } );\n",
	       "warren.conf:4: group g: sources \"wan\": must be \"lan\", \"host\" or an IP prefix");
	EXPECT(T("") "groups = ( { name = \"g\"; routes = [ \"0.0.0.0/0\" ]; members = [ \"hq\" ]; sources = [ \"10.0.0.1/8\" ]; } );\n",
	       "warren.conf:4: group g: sources \"10.0.0.1/8\": host bits set (the network is 10.0.0.0/8)");
	EXPECT_OK(T("") "groups = ( { name = \"g\"; routes = [ \"0.0.0.0/0\" ]; members = [ \"hq\" ]; sources = [ \"host\", \"fd00::/8\", \"10.1.1.1\" ]; } );\n");
}

/* ---- duplicates across objects ---- */

static void test_duplicates(void **state)
{
	EXPECT("tunnels = ( { name = \"hq\"; private_key = \"" K1 "\"; },\n"
	       "{ name = \"hq\"; private_key = \"" K1 "\"; } );\n",
	       "warren.conf:2: tunnel hq: name \"hq\": already used by the tunnel at line 1");
	EXPECT("tunnels = ( { name = \"a\"; private_key = \"" K1 "\"; interface = \"wg0\"; },\n"
	       "{ name = \"b\"; private_key = \"" K1 "\"; interface = \"wg0\"; } );\n",
	       "warren.conf:2: tunnel b: interface \"wg0\": already used by tunnel a");
	EXPECT("tunnels = ( { name = \"a\"; private_key = \"" K1 "\"; interface = \"wg-b\"; },\n"
	       "{ name = \"b\"; private_key = \"" K1 "\"; } );\n",
	       "warren.conf:2: tunnel b: interface \"wg-b\": already used by tunnel a");
	EXPECT("tunnels = ( { name = \"a\"; private_key = \"" K1 "\"; listen_port = 51820; },\n"
	       "{ name = \"b\"; private_key = \"" K1 "\"; listen_port = 51820; } );\n",
	       "warren.conf:2: tunnel b: listen_port \"51820\": already used by tunnel a");
	EXPECT("tunnels = ( { name = \"a\"; private_key = \"" K1 "\"; listen_port = 1; },\n"
	       "{ name = \"b\"; private_key = \"" K1 "\"; listen_port = 1; },\n"
	       "{ name = \"c\"; private_key = \"" K1 "\"; listen_port = 1; } );\n",
	       "warren.conf:2: tunnel b: listen_port \"1\": already used by tunnel a",
	       "warren.conf:3: tunnel c: listen_port \"1\": already used by tunnel a");
	EXPECT_OK("tunnels = ( { name = \"a\"; private_key = \"" K1 "\"; listen_port = 0; },\n"
		  "{ name = \"b\"; private_key = \"" K1 "\"; listen_port = 0; } );\n");
	EXPECT(T("peers = ( { public_key = \"" P1 "\"; },\n{ public_key = \"" P2 "\"; },\n{ public_key = \"" P1 "\"; } );"),
	       "warren.conf:4: tunnel hq: peer 3: public_key \"" P1 "\": also used by peer 1");
	/* the same peer in two tunnels is fine */
	EXPECT_OK("tunnels = ( { name = \"a\"; private_key = \"" K1 "\"; peers = ( { public_key = \"" P1 "\"; } ); },\n"
		  "{ name = \"b\"; private_key = \"" K1 "\"; peers = ( { public_key = \"" P1 "\"; } ); } );\n");
	EXPECT("lan = { interfaces = [ \"wg-hq\" ]; };\n" T(""),
	       "warren.conf:2: tunnel hq: interface \"wg-hq\": is also a LAN interface");
}

/* ---- import ---- */

static void test_import(void **state)
{
	struct config *c;
	struct tunnel *t;

	write_file("wgcf.conf", wgcf, 0600);
	/* keys beside import override the file's */
	c = load_ok("tunnels = ( { name = \"warp\"; import = \"wgcf.conf\"; mtu = 1400;\n"
		    "address = [ \"10.5.0.2/32\" ]; private_key = \"" K1 "\"; interface = \"cf0\";\n"
		    "peers = ( { public_key = \"" P1 "\"; endpoint = \"1.2.3.4:2408\"; } ); } );\n");
	t = &c->tunnels[0];
	assert_string_equal(t->name, "warp");
	assert_string_equal(t->ifname, "cf0");
	assert_int_equal(t->mtu, 1400);
	assert_int_equal(t->addresses.n, 1);
	assert_cidr(&t->addresses.v[0], "10.5.0.2/32");
	assert_key(t->private_key, K1);
	assert_int_equal(t->dns.n, 1);      /* not overridden */
	assert_int_equal(t->n_peers, 1);
	assert_key(t->peers[0].public_key, P1);
	assert_false(t->peers_imported);
	assert_string_equal(t->import, "wgcf.conf");
	config_free(c);

	EXPECT("tunnels = ( { name = \"warp\"; import = \"missing.conf\"; } );\n",
	       "warren.conf:1: tunnel warp: import \"missing.conf\": No such file or directory",
	       "warren.conf:1: tunnel warp: no private key: set private_key or private_key_file");
	/* the imported file's own errors name that file */
	write_file("broken.conf", "[Interface]\nPrivateKey = " K1 "\nMTU = lots\n", 0600);
	{
		struct diag d = { 0 };

		c = load("tunnels = ( { name = \"warp\"; import = \"broken.conf\"; } );\n", &d);
		assert_int_equal(d.errors, 1);
		assert_int_equal(strncmp(d.items[0].text, "broken.conf:3: ", 15), 0);
		diag_clear(&d);
		config_free(c);
	}
	/* an import without a private key needs one beside it */
	write_file("nokey.conf", "[Interface]\nAddress = 10.0.0.2/32\n", 0600);
	EXPECT("tunnels = ( { name = \"warp\"; import = \"nokey.conf\"; } );\n",
	       "warren.conf:1: tunnel warp: no private key: set private_key or private_key_file");
	write_file("k.key", K1, 0600);
	EXPECT_OK("tunnels = ( { name = \"warp\"; import = \"nokey.conf\"; private_key_file = \"k.key\"; } );\n");
}

static void test_tunnel_dns(void **state)
{
	struct config *c;
	struct tunnel *t;

	(void)state;
	c = load_ok(T("dns = [ \"10.9.0.1\", \"fd09::1\" ]; dns_search = [ \"corp.example\", \"~example.net\", \"~.\" ];"));
	t = &c->tunnels[0];
	assert_int_equal(t->dns.n, 2);
	assert_cidr(&t->dns.v[0], "10.9.0.1/32");
	assert_cidr(&t->dns.v[1], "fd09::1/128");
	assert_int_equal(t->dns_search.n, 3);
	assert_string_equal(t->dns_search.v[0], "corp.example");
	assert_string_equal(t->dns_search.v[1], "~example.net");
	assert_string_equal(t->dns_search.v[2], "~.");
	config_free(c);
	EXPECT_OK(T("dns = [ ]; dns_search = ( );"));
	EXPECT(T("dns = [ \"10.9.0.1/24\", \"dns.example\", \"10.9.0.256\" ];"),
	       "warren.conf:2: tunnel hq: dns \"10.9.0.1/24\": an address, not a prefix",
	       "warren.conf:2: tunnel hq: dns \"dns.example\": not an IP address",
	       "warren.conf:2: tunnel hq: dns \"10.9.0.256\": not an IP address");
	EXPECT(T("dns = [ \"10.9.0.1\", \"10.9.0.1\" ];"),
	       "warren.conf:2: tunnel hq: dns \"10.9.0.1\": listed twice");
	EXPECT(T("dns = \"10.9.0.1\";"),
	       "warren.conf:2: tunnel hq: dns: expected a list of strings, got a string");
	EXPECT(T("dns = [ 1 ];"),
	       "warren.conf:2: tunnel hq: dns: expected a list of strings, got an integer in it");
	EXPECT(T("dns_search = [ \"corp example\", \"~\", \"-.\", \"a..b\", \"ok.example\" ];"),
	       "warren.conf:2: tunnel hq: dns_search \"corp example\": not a domain name (a search domain, or ~domain to route queries only)",
	       "warren.conf:2: tunnel hq: dns_search \"~\": not a domain name (a search domain, or ~domain to route queries only)",
	       "warren.conf:2: tunnel hq: dns_search \"-.\": not a domain name (a search domain, or ~domain to route queries only)",
	       "warren.conf:2: tunnel hq: dns_search \"a..b\": not a domain name (a search domain, or ~domain to route queries only)");
	/* one name is searched or routed, not both */
	EXPECT(T("dns_search = [ \"corp.example\", \"~Corp.Example.\" ];"),
	       "warren.conf:2: tunnel hq: dns_search \"~Corp.Example.\": listed twice");
	EXPECT(T("dns = [ \"10.0.0.1\", \"10.0.0.2\", \"10.0.0.3\", \"10.0.0.4\", \"10.0.0.5\", \"10.0.0.6\", "
		 "\"10.0.0.7\", \"10.0.0.8\", \"10.0.0.9\", \"10.0.0.10\", \"10.0.0.11\", \"10.0.0.12\", "
		 "\"10.0.0.13\", \"10.0.0.14\", \"10.0.0.15\", \"10.0.0.16\", \"10.0.0.17\" ];"),
	       "warren.conf:2: tunnel hq: dns \"10.0.0.17\": more than 16 servers");

	/* beside import, each key replaces what the file gave; the other stays */
	write_file("wgdns.conf", "[Interface]\nPrivateKey = " K2 "\nDNS = 1.1.1.1, corp.example\n", 0600);
	c = load_ok("tunnels = ( { name = \"warp\"; import = \"wgdns.conf\"; dns = [ \"9.9.9.9\" ]; } );\n");
	t = &c->tunnels[0];
	assert_int_equal(t->dns.n, 1);
	assert_cidr(&t->dns.v[0], "9.9.9.9/32");
	assert_int_equal(t->dns_search.n, 1);
	assert_string_equal(t->dns_search.v[0], "corp.example");
	config_free(c);
	c = load_ok("tunnels = ( { name = \"warp\"; import = \"wgdns.conf\"; dns_search = [ ]; } );\n");
	assert_int_equal(c->tunnels[0].dns.n, 1);
	assert_int_equal(c->tunnels[0].dns_search.n, 0);
	config_free(c);
}

static void test_import_duplicate_peers(void **state)
{
	struct diag d = { 0 };
	struct config *c;

	write_file("dup.conf", "[Interface]\nPrivateKey = " K1 "\n[Peer]\nPublicKey = " P1 "\n[Peer]\nPublicKey = " P1 "\n", 0600);
	c = load("tunnels = ( { name = \"warp\"; import = \"dup.conf\"; } );\n", &d);
	/* reported once, by the wg-quick reader, against the wg-quick file */
	assert_int_equal(d.errors, 1);
	assert_int_equal(strncmp(d.items[0].text, "dup.conf:6: ", 12), 0);
	diag_clear(&d);
	config_free(c);
}

static void test_hooks(void **state)
{
	struct config *c;

	write_file("hooks.conf", "[Interface]\nPrivateKey = " K1 "\nPostUp = echo up\nPreDown = echo down\n", 0600);
	EXPECT("tunnels = ( { name = \"warp\"; import = \"hooks.conf\"; } );\n",
	       "hooks.conf: warning: tunnel warp: PostUp \"echo up\" skipped: hooks run only with daemon.allow_hooks = true",
	       "hooks.conf: warning: tunnel warp: PreDown \"echo down\" skipped: hooks run only with daemon.allow_hooks = true");
	c = load_ok("daemon = { allow_hooks = true; };\ntunnels = ( { name = \"warp\"; import = \"hooks.conf\"; } );\n");
	assert_int_equal(c->tunnels[0].hooks.post_up.n, 1);
	config_free(c);
}

/* ---- includes, loading, format detection ---- */

static void test_include(void **state)
{
	assert_int_equal(mkdir("inc", 0700), 0);
	write_file("inc/tunnels.conf", "tunnels = (\n{ name = \"hq\"; private_key = \"" K1 "\"; fo = 1; } );\n", 0600);
	write_file("inc/main.conf", "# main\n@include \"tunnels.conf\"\n", 0600);
	{
		struct diag d = { 0 };
		struct config *c = conf_load("inc/main.conf", &d);

		assert_int_equal(d.n, 1);
		assert_string_equal(d.items[0].text, "inc/tunnels.conf:2: tunnel hq: unknown setting \"fo\"");
		assert_string_equal(c->tunnels[0].source, "inc/tunnels.conf");
		diag_clear(&d);
		config_free(c);
	}
	write_file("inc/syntax.conf", "a = 1;\nb = ;\n", 0600);
	write_file("inc/main.conf", "@include \"syntax.conf\"\n", 0600);
	{
		struct diag d = { 0 };
		struct config *c = conf_load("inc/main.conf", &d);

		assert_int_equal(d.n, 1);
		assert_string_equal(d.items[0].text, "inc/syntax.conf:2: syntax error");
		diag_clear(&d);
		config_free(c);
	}
}

static void test_collects_all_errors(void **state)
{
	EXPECT("daemon = { backend = \"x\"; };\n"
	       "tunnels = ( { name = \"hq\"; mtu = 1; listen_port = 99999;\n"
	       "peers = ( { public_key = \"" P1 "\"; endpoint = \"x:99999\"; } ); } );\n"
	       "portal = { url = \"ftp://x\"; };\n",
	       "warren.conf:1: daemon: backend \"x\": must be auto, kernel or userspace",
	       "warren.conf:2: tunnel hq: mtu \"1\": out of range (1280-65535, or 0 for automatic)",
	       "warren.conf:2: tunnel hq: listen_port \"99999\": out of range (0-65535)",
	       "warren.conf:3: tunnel hq: peer 1: endpoint \"x:99999\": port out of range",
	       "warren.conf:4: portal: url \"ftp://x\": must start with https://",
	       "warren.conf:2: tunnel hq: no private key: set private_key or private_key_file");
}

static void test_load_errors(void **state)
{
	struct diag d = { 0 };
	struct config *c;

	c = conf_load("does-not-exist.conf", &d);
	assert_int_equal(d.errors, 1);
	assert_string_equal(d.items[0].text, "does-not-exist.conf: No such file or directory");
	assert_string_equal(c->path, "does-not-exist.conf");
	diag_clear(&d);
	config_free(c);

	assert_int_equal(mkdir("adir", 0700), 0);
	c = conf_load("adir", &d);
	assert_string_equal(d.items[0].text, "adir: Is a directory");
	diag_clear(&d);
	config_free(c);

	{
		size_t n = (1 << 20) + 1;
		char *big = xmalloc(n + 1), *text = NULL;
		size_t len = 0;

		memset(big, '#', n);
		big[n] = '\0';
		write_file("big.conf", big, 0600);
		free(big);
		assert_int_equal(conf_read_file("big.conf", &text, &len), -EFBIG);
		c = conf_load("big.conf", &d);
		assert_string_equal(d.items[0].text, "big.conf: File too large");
		diag_clear(&d);
		config_free(c);
	}
}

static void test_read_file(void **state)
{
	char *text = NULL;
	size_t len = 0;

	write_file("r.txt", "abc", 0600);
	assert_int_equal(conf_read_file("r.txt", &text, &len), 0);
	assert_int_equal(len, 3);
	assert_string_equal(text, "abc");
	free(text);
	assert_int_equal(conf_read_file("nope", &text, &len), -ENOENT);
}

static void test_is_wgquick(void **state)
{
	assert_true(conf_is_wgquick("[Interface]\n"));
	assert_true(conf_is_wgquick("\n  # comment\n\t[Interface]\n"));
	assert_true(conf_is_wgquick("// c\n/* a\n[x] */ [Interface]\n"));
	assert_true(conf_is_wgquick("\xef\xbb\xbf[Interface]\n"));
	assert_false(conf_is_wgquick("tunnels = ();\n"));
	assert_false(conf_is_wgquick("# [Interface]\ndaemon = {};\n"));
	assert_false(conf_is_wgquick("/* [Interface]\n"));
	assert_false(conf_is_wgquick(""));
}

static void test_load_wgquick(void **state)
{
	struct diag d = { 0 };
	struct config *c;

	write_file("wg7.conf", wgcf, 0600);
	c = conf_load("wg7.conf", &d);
	assert_int_equal(d.n, 0);
	assert_true(c->is_wgquick);
	assert_int_equal(c->n_tunnels, 1);
	assert_string_equal(c->tunnels[0].name, "wg7");
	assert_string_equal(c->tunnels[0].ifname, "wg7");
	assert_key(c->tunnels[0].private_key, K2);
	assert_int_equal(c->tunnels[0].mtu, 1280);
	config_free(c);

	write_file("wg8.conf", "[Interface]\nAddress = 10.0.0.1/24\n", 0600);
	c = conf_load("wg8.conf", &d);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.items[0].text, "wg8.conf: tunnel wg8: no PrivateKey");
	diag_clear(&d);
	config_free(c);

	write_file("bad name.conf", wgcf, 0600);
	c = conf_load("bad name.conf", &d);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.items[0].text, "bad name.conf: cannot name an interface after this file: "
			    "wg-quick files are named IFNAME.conf, IFNAME 1-15 bytes without '/', ':' or blanks");
	diag_clear(&d);
	config_free(c);
}

static void test_validate_direct(void **state)
{
	/* config_validate on a model built in memory, as the portal client does */
	struct config *c = config_new();
	struct diag d = { 0 };
	struct group *g;
	struct tunnel *t;

	c->path = xstrdup("mem");
	t = array_push(&c->tunnels, &c->n_tunnels, sizeof(*t));
	tunnel_init(t);
	strcpy(t->name, "a");
	strcpy(t->ifname, "wg-a");
	t->has_private_key = true;
	g = array_push(&c->groups, &c->n_groups, sizeof(*g));
	strcpy(g->name, "g");
	g->line = 3;
	strv_push(&g->members, "b");
	config_validate(c, &d);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.items[0].text, "mem:3: group g: members \"b\": no such tunnel");
	diag_clear(&d);
	config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_server_skipped),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_int_wraparound),
		cmocka_unit_test(test_tunnel_name),
		cmocka_unit_test(test_interface_name),
		cmocka_unit_test(test_interface_default),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_routes_empty_list),
		cmocka_unit_test(test_endpoint),
		cmocka_unit_test(test_endpoint_api),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_private_key_exclusive),
		cmocka_unit_test(test_private_key_file),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_daemon_paths),
		cmocka_unit_test(test_portal),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_group_sources),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_import_duplicate_peers),
		cmocka_unit_test(test_tunnel_dns),
		cmocka_unit_test(test_hooks),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_collects_all_errors),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_is_wgquick),
		cmocka_unit_test(test_load_wgquick),
		cmocka_unit_test(test_validate_direct),
		cmocka_unit_test(test_kernel_ownership),
		cmocka_unit_test(test_detect_wgquick_keys),
		cmocka_unit_test(test_on_event),
		cmocka_unit_test(test_server_section),
		cmocka_unit_test(test_both_roles),
		cmocka_unit_test(test_server_policy),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
