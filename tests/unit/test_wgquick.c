/* wg-quick reader and writer: the data corpus, exact error messages, rules one by one, round-trips. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "profiles/wgquick.h"

#define K1 "KLeLIKeNSHj6VO5UWFrJJhrKQpIZDBt6bM4My9eVFk4="
#define P1 "QskunAMGW2ajaEorHds1utre+JztLMjKyvytRS8QTwQ="
#define S1 "dtOs0ifGmD9Dnxs0ZUXr6HkDWPdyksqAC4WaTyojOyY="
#define P2 "ZhbsBKVajPFAw/ULimHeRRYHWnyQEu2KcTNBOSEdmmE="
#define P3 "rvvFwafhlR4ONENZJX2ic1nigRx2aDz72W8PfHM9wQE="

static const char *srcdir(void)
{
	const char *s = getenv("WARREN_SRCDIR");

	return s && *s ? s : ".";
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Paths of the *.conf files directly in DIR (relative to the source tree), sorted. */
static struct strv list_confs(const char *dir)
{
	struct strv v = { 0 };
	char *path = xasprintf("%s/%s", srcdir(), dir);
	struct dirent *e;
	DIR *d = opendir(path);

	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char *p;

		if (n <= 5 || strcmp(e->d_name + n - 5, ".conf"))
			continue;
		p = xasprintf("%s/%s", path, e->d_name);
		strv_push(&v, p);
		free(p);
	}
	closedir(d);
	free(path);
	qsort(v.v, v.n, sizeof(*v.v), cmp_str);
	return v;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = xmalloc(1 << 20);

	assert_non_null(f);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static int parse_str(struct tunnel *t, const char *text, struct diag *d)
{
	tunnel_init(t);
	return wgq_parse(t, "t.conf", text, strlen(text), d);
}

/* text must fail with exactly these errors ("LINE: message" each, in order). */
static void expect_errors(const char *text, ...)
{
	struct tunnel t;
	struct diag d = { 0 };
	const char *want;
	size_t n = 0, i = 0;
	va_list ap;

	assert_int_equal(parse_str(&t, text, &d), -EINVAL);
	va_start(ap, text);
	while ((want = va_arg(ap, const char *))) {
		char *full = xasprintf("t.conf:%s", want);

		while (i < d.n && !d.items[i].is_error)
			i++;
		if (i == d.n)
			fail_msg("missing error \"%s\"", full);
		assert_string_equal(d.items[i].text, full);
		free(full);
		i++;
		n++;
	}
	va_end(ap);
	if (d.errors != n) {
		diag_print(&d, stderr);
		fail_msg("%zu errors, expected %zu", d.errors, n);
	}
	tunnel_clear(&t);
	diag_clear(&d);
}
#define expect_error(text, msg) expect_errors(text, msg, NULL)

/* text must parse without errors into t (caller clears). */
static void parse_ok(struct tunnel *t, const char *text)
{
	struct diag d = { 0 };

	if (parse_str(t, text, &d) != 0 || d.errors) {
		diag_print(&d, stderr);
		fail_msg("unexpected errors");
	}
	diag_clear(&d);
}

static void expect_warning(const char *text, const char *msg)
{
	struct tunnel t;
	struct diag d = { 0 };
	char *full = xasprintf("t.conf:%s", msg);
	size_t i;

	assert_int_equal(parse_str(&t, text, &d), 0);
	for (i = 0; i < d.n; i++)
		if (!strcmp(d.items[i].text, full))
			break;
	if (i == d.n) {
		diag_print(&d, stderr);
		fail_msg("no warning \"%s\"", full);
	}
	free(full);
	tunnel_clear(&t);
	diag_clear(&d);
}

static void assert_roundtrip(const struct tunnel *t)
{
	struct tunnel t2;
	struct diag d = { 0 };
	char *text = wgq_write(t), *text2;

	assert_non_null(text);
	tunnel_init(&t2);
	if (wgq_parse(&t2, "written.conf", text, strlen(text), &d) != 0 || d.n) {
		diag_print(&d, stderr);
		fail_msg("written file does not parse cleanly:\n%s", text);
	}
	assert_true(wgq_equal(t, &t2));
	/* canonical: writing the re-read tunnel gives the same text */
	text2 = wgq_write(&t2);
	assert_non_null(text2);
	assert_string_equal(text, text2);
	wgq_text_free(text);
	wgq_text_free(text2);
	tunnel_clear(&t2);
	diag_clear(&d);
}

static void test_corpus_good(void **state)
{
	struct strv files = list_confs("tests/data");
	size_t i, len;

	(void)state;
	assert_true(files.n >= 8);
	for (i = 0; i < files.n; i++) {
		char ifname[IFNAME_MAX + 1], *text = slurp(files.v[i], &len);
		struct tunnel t;
		struct diag d = { 0 };

		tunnel_init(&t);
		if (wgq_parse(&t, files.v[i], text, len, &d) != 0 || d.errors) {
			diag_print(&d, stderr);
			fail_msg("%s does not parse", files.v[i]);
		}
		assert_int_equal(wgq_ifname(ifname, files.v[i]), 0);
		assert_roundtrip(&t);
		tunnel_clear(&t);
		diag_clear(&d);
		free(text);
	}
	strv_clear(&files);
}

/* Each broken file starts with "# expect: LINE: message" lines, one per error. */
static void test_corpus_broken(void **state)
{
	struct strv files = list_confs("tests/data/broken");
	size_t i, len;

	(void)state;
	assert_true(files.n >= 20);
	for (i = 0; i < files.n; i++) {
		char *text = slurp(files.v[i], &len), *p = text;
		struct tunnel t;
		struct diag d = { 0 };
		size_t nexp = 0, j = 0;

		tunnel_init(&t);
		assert_int_equal(wgq_parse(&t, files.v[i], text, len, &d), -EINVAL);
		while (!strncmp(p, "# expect: ", 10)) {
			char *nl = strchr(p, '\n'), *want;

			assert_non_null(nl);
			want = xasprintf("%s:%.*s", files.v[i], (int)(nl - p - 10), p + 10);
			while (j < d.n && !d.items[j].is_error)
				j++;
			if (j == d.n || strcmp(d.items[j].text, want)) {
				diag_print(&d, stderr);
				fail_msg("%s: expected \"%s\"", files.v[i], want);
			}
			free(want);
			j++;
			nexp++;
			p = nl + 1;
		}
		if (nexp == 0)
			fail_msg("%s has no \"# expect:\" line", files.v[i]);
		if (d.errors != nexp) {
			diag_print(&d, stderr);
			fail_msg("%s: %zu errors, expected %zu", files.v[i], d.errors, nexp);
		}
		tunnel_clear(&t);
		diag_clear(&d);
		free(text);
	}
	strv_clear(&files);
}

static void test_fields(void **state)
{
	struct tunnel t;
	char buf[CIDR_STRLEN];
	uint8_t key[KEY_LEN];

	(void)state;
	parse_ok(&t,
		 "[Interface]\n"
		 "PrivateKey = " K1 "\n"
		 "Address = 10.0.0.2/24\n"
		 "ListenPort = 51820\n"
		 "FwMark = 0x1234\n"
		 "MTU = 1420\n"
		 "Table = 1000\n"
		 "DNS = 192.0.2.53\n"
		 "\n"
		 "[Peer]\n"
		 "PublicKey = " P1 "\n"
		 "PresharedKey = " S1 "\n"
		 "AllowedIPs = 0.0.0.0/0\n"
		 "Endpoint = vpn.example.net:51820\n"
		 "PersistentKeepalive = 25\n");
	assert_true(t.has_private_key);
	assert_int_equal(key_from_base64(key, K1), 0);
	assert_memory_equal(t.private_key, key, KEY_LEN);
	assert_int_equal(t.addresses.n, 1);
	assert_string_equal(cidr_fmt(&t.addresses.v[0], buf), "10.0.0.2/24");
	assert_true(t.has_listen_port);
	assert_int_equal(t.listen_port, 51820);
	assert_int_equal(t.fwmark, 0x1234);
	assert_int_equal(t.mtu, 1420);
	assert_int_equal(t.table_mode, TABLE_ID);
	assert_int_equal(t.table, 1000);
	assert_int_equal(t.dns.n, 1);
	assert_int_equal(t.n_peers, 1);
	assert_int_equal(key_from_base64(key, P1), 0);
	assert_memory_equal(t.peers[0].public_key, key, KEY_LEN);
	assert_true(t.peers[0].has_preshared_key);
	assert_int_equal(key_from_base64(key, S1), 0);
	assert_memory_equal(t.peers[0].preshared_key, key, KEY_LEN);
	assert_string_equal(t.peers[0].endpoint_host, "vpn.example.net");
	assert_int_equal(t.peers[0].endpoint_port, 51820);
	assert_int_equal(t.peers[0].persistent_keepalive, 25);
	assert_int_equal(t.peers[0].line, 10);
	assert_int_equal(t.peers[0].allowed_ips.n, 1);
	assert_roundtrip(&t);
	tunnel_clear(&t);
}

static void test_syntax(void **state)
{
	struct tunnel t;

	(void)state;
	/* comments, blank lines, blanks around everything, case-insensitive keys and
	 * sections, CRLF endings, no final newline */
	parse_ok(&t,
		 "# leading comment\n"
		 "\n"
		 "  [INTERFACE]  # trailing comment\r\n"
		 "\tprivatekey\t=\t" K1 "   # key comment\r\n"
		 "   \n"
		 "[peer]\n"
		 "PUBLICKEY=" P1 "\n"
		 "allowedIPs=10.0.0.0/8#no space before the comment");
	assert_true(t.has_private_key);
	assert_int_equal(t.n_peers, 1);
	assert_int_equal(t.peers[0].allowed_ips.n, 1);
	tunnel_clear(&t);

	/* wg(8) drops every blank of a line: blanks inside keys and values of its keys */
	parse_ok(&t, "[Interface]\nListen Port = 5 1820\n[Peer]\nPublic Key = " P1 "\n"
		     "Endpoint = vpn.example.net : 51820\n");
	assert_int_equal(t.listen_port, 51820);
	assert_string_equal(t.peers[0].endpoint_host, "vpn.example.net");
	tunnel_clear(&t);

	/* a byte order mark is skipped; an empty file is an empty tunnel */
	parse_ok(&t, "\xef\xbb\xbf[Interface]\nMTU = 1280\n");
	assert_int_equal(t.mtu, 1280);
	tunnel_clear(&t);
	parse_ok(&t, "");
	assert_int_equal(t.n_peers, 0);
	tunnel_clear(&t);
	parse_ok(&t, "# nothing but comments\n\n");
	tunnel_clear(&t);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	expect_error("PrivateKey = " K1 "\n", "1: key \"PrivateKey\" outside a section");
	/* reported once, until a section starts */
	expect_errors("# lost header\nPrivateKey = " K1 "\nAddress = x\n[Interface]\nFoo = 1\n",
		      "2: key \"PrivateKey\" outside a section",
		      "5: unknown key \"Foo\" in [Interface]", NULL);
	expect_error("[Interface]\n[Tunnel]\nFoo = bar\nBaz = 1\n[Peer]\nPublicKey = " P1 "\n",
		     "2: unknown section \"[Tunnel]\"");
	expect_errors("[Interface]\n[Tunnel]\n[Peer]\nPublicKey = " P1 "\nBar = 1\n",
		      "2: unknown section \"[Tunnel]\"", "5: unknown key \"Bar\" in [Peer]", NULL);
	expect_error("[ Interface ]\n", "1: unknown section \"[ Interface ]\"");
	expect_error("[Interface]\nFoo = 1\n", "2: unknown key \"Foo\" in [Interface]");
	expect_error("[Interface]\n= 1\n", "2: unknown key \"\" in [Interface]");
	expect_error("[Interface]\nPrivateKey\n", "2: PrivateKey: missing \"= value\"");
	expect_error("[Peer]\nPublic Key\n", "2: PublicKey: missing \"= value\"");
	expect_error("[Interface]\nhello world\n", "2: line is not \"Key = Value\": \"hello world\"");
	/* wg-quick's own keys must be written without blanks inside */
	expect_error("[Interface]\nPost Up = true\n", "2: unknown key \"Post Up\" in [Interface]");
	expect_error("[Peer]\nPublicKey = " P1 "\nMTU = 1420\n",
		     "3: key \"MTU\" belongs in [Interface], not [Peer]");
	expect_error("[Interface]\nAllowedIPs = 10.0.0.0/8\n",
		     "2: key \"AllowedIPs\" belongs in [Peer], not [Interface]");
	expect_error("[Interface]\nListenPort =\n", "2: ListenPort: missing value");
	expect_error("[Peer]\nPublicKey = \n", "2: PublicKey: missing value");
	expect_error("[Peer]\nPublicKey = " P1 "\nAllowedIPs =\n", "3: AllowedIPs: missing value");
	expect_error("[Interface]\nFoo = \x01\n", "2: unknown key \"Foo\" in [Interface]");
	expect_error("[Interface]\nTable = a\x01" "b\n",
		     "2: Table \"a\\x01b\": named routing tables are not supported, use a number");
	{
		static const char text[] = "[Interface]\nMTU = 14\0" "20\nMTU = 1280\n";
		struct tunnel t;
		struct diag d = { 0 };

		tunnel_init(&t);
		assert_int_equal(wgq_parse(&t, "t.conf", text, sizeof(text) - 1, &d), -EINVAL);
		assert_int_equal(d.errors, 1);
		assert_string_equal(diag_first_error(&d), "t.conf:2: line contains a NUL byte");
		assert_int_equal(t.mtu, 1280);
		tunnel_clear(&t);
		diag_clear(&d);
	}
	/* every error is reported, not only the first */
	expect_errors("[Interface]\nMTU = 1\nListenPort = x\n[Peer]\nEndpoint = h\n",
		      "2: MTU \"1\": out of range (1280-65535)",
		      "3: ListenPort \"x\": not a port number",
		      "5: Endpoint \"h\": missing port",
		      "4: [Peer] has no PublicKey", NULL);
}

static void test_repeated(void **state)
{
	struct tunnel t;
	char buf[CIDR_STRLEN];

	(void)state;
	parse_ok(&t,
		 "[Interface]\n"
		 "Address = 10.0.0.1/24,10.0.1.1/24\n"
		 "Address = fd00::1/64 , fd01::1/64\n"
		 "Address = 10.0.2.1/24 10.0.3.1/24\n"
		 "DNS = 192.0.2.1\n"
		 "DNS = 192.0.2.2,2001:db8::53 , example.com\n"
		 "DNS = corp.example.net\n"
		 "[Peer]\n"
		 "PublicKey = " P1 "\n"
		 "AllowedIPs = 10.0.0.0/8,192.168.0.0/16\n"
		 "AllowedIPs = fd00::/8, 172.16.0.0/12\n");
	assert_int_equal(t.addresses.n, 6);
	assert_string_equal(cidr_fmt(&t.addresses.v[2], buf), "fd00::1/64");
	assert_string_equal(cidr_fmt(&t.addresses.v[5], buf), "10.0.3.1/24");
	assert_int_equal(t.dns.n, 3);
	assert_string_equal(ip_fmt(&t.dns.v[2], buf), "2001:db8::53");
	assert_int_equal(t.dns_search.n, 2);
	assert_string_equal(t.dns_search.v[0], "example.com");
	assert_string_equal(t.dns_search.v[1], "corp.example.net");
	assert_int_equal(t.peers[0].allowed_ips.n, 4);
	assert_string_equal(cidr_fmt(&t.peers[0].allowed_ips.v[3], buf), "172.16.0.0/12");
	assert_roundtrip(&t);
	tunnel_clear(&t);

	/* a single-valued key given twice: the last wins, with a warning */
	parse_ok(&t, "[Interface]\nMTU = 1400\nMTU = 1420\n");
	assert_int_equal(t.mtu, 1420);
	tunnel_clear(&t);
	expect_warning("[Interface]\nMTU = 1400\nMTU = 1420\n",
		       "3: warning: MTU given again (also at line 2), the last one wins");
	expect_warning("[Interface]\nMTU = 1400\n[Peer]\nPublicKey = " P1 "\n[Interface]\nMTU = 1420\n",
		       "5: warning: second [Interface] section (first at line 1), merged into it");
}

static void test_address(void **state)
{
	struct tunnel t;
	char buf[CIDR_STRLEN];

	(void)state;
	parse_ok(&t, "[Interface]\nAddress = 10.0.0.7, fd00::7, 10.1.2.3/16\nAddress =\n");
	assert_int_equal(t.addresses.n, 3);
	assert_string_equal(cidr_fmt(&t.addresses.v[0], buf), "10.0.0.7/32");
	assert_string_equal(cidr_fmt(&t.addresses.v[1], buf), "fd00::7/128");
	/* host bits stay: they are the interface's own address */
	assert_string_equal(cidr_fmt(&t.addresses.v[2], buf), "10.1.2.3/16");
	tunnel_clear(&t);
	expect_error("[Interface]\nAddress = 10.0.0.256/24\n",
		     "2: Address \"10.0.0.256/24\": invalid address");
	expect_error("[Interface]\nAddress = 10.0.0.1/33\n",
		     "2: Address \"10.0.0.1/33\": prefix length out of range");
	expect_error("[Interface]\nAddress = vpn.example.net\n",
		     "2: Address \"vpn.example.net\": invalid address");
	expect_errors("[Interface]\nAddress = 10.0.0.1/24, x, fd00::1/200\n",
		      "2: Address \"x\": invalid address",
		      "2: Address \"fd00::1/200\": prefix length out of range", NULL);
}

static void test_dns(void **state)
{
	struct tunnel t;

	(void)state;
	parse_ok(&t, "[Interface]\nDNS = 1.1.1.1, 2606:4700:4700::1111, lan, home.example.net.\n");
	assert_int_equal(t.dns.n, 2);
	assert_int_equal(t.dns.v[0].family, AF_INET);
	assert_int_equal(t.dns.v[1].family, AF_INET6);
	assert_int_equal(t.dns_search.n, 2);
	assert_string_equal(t.dns_search.v[0], "lan");
	assert_string_equal(t.dns_search.v[1], "home.example.net.");
	assert_roundtrip(&t);
	tunnel_clear(&t);
	/* wg-quick: digits and dots, or anything with a colon, is a server address */
	expect_error("[Interface]\nDNS = 1.1.1\n", "2: DNS \"1.1.1\": invalid address");
	expect_error("[Interface]\nDNS = fe80::1%eth0\n", "2: DNS \"fe80::1%eth0\": invalid address");
	expect_error("[Interface]\nDNS = 1.1.1.1/32\n",
		     "2: DNS \"1.1.1.1/32\": neither an IP address nor a search domain");
	/* "~d" routes queries only, as systemd-resolved (and its resolvconf) read it */
	parse_ok(&t, "[Interface]\nDNS = 10.0.0.1, ~example.com, ~.\n");
	assert_int_equal(t.dns_search.n, 2);
	assert_string_equal(t.dns_search.v[0], "~example.com");
	assert_string_equal(t.dns_search.v[1], "~.");
	assert_roundtrip(&t);
	tunnel_clear(&t);
	expect_error("[Interface]\nDNS = ~\n", "2: DNS \"~\": neither an IP address nor a search domain");
	expect_error("[Interface]\nDNS = ~~example.com\n",
		     "2: DNS \"~~example.com\": neither an IP address nor a search domain");
	expect_error("[Interface]\nDNS = a..b\n", "2: DNS \"a..b\": neither an IP address nor a search domain");
	/* what resolvconf reads in one go stays small */
	expect_error("[Interface]\nDNS = 10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4, 10.0.0.5, 10.0.0.6, "
		     "10.0.0.7, 10.0.0.8, 10.0.0.9, 10.0.0.10, 10.0.0.11, 10.0.0.12, 10.0.0.13, "
		     "10.0.0.14, 10.0.0.15, 10.0.0.16, 10.0.0.17\n",
		     "2: DNS \"10.0.0.17\": more than 16 servers");
}

static void test_mtu_table(void **state)
{
	struct tunnel t;

	(void)state;
	parse_ok(&t, "[Interface]\nMTU = 1280\n");
	assert_int_equal(t.mtu, 1280);
	tunnel_clear(&t);
	parse_ok(&t, "[Interface]\nMTU = 65535\n");
	assert_int_equal(t.mtu, 65535);
	tunnel_clear(&t);
	parse_ok(&t, "[Interface]\nMTU = 1400\nMTU =\n");
	assert_int_equal(t.mtu, 0);
	tunnel_clear(&t);
	expect_error("[Interface]\nMTU = 1279\n", "2: MTU \"1279\": out of range (1280-65535)");
	expect_error("[Interface]\nMTU = 65536\n", "2: MTU \"65536\": out of range (1280-65535)");
	expect_error("[Interface]\nMTU = 99999999999999999999999\n",
		     "2: MTU \"99999999999999999999999\": out of range (1280-65535)");
	expect_error("[Interface]\nMTU = -1\n", "2: MTU \"-1\": not a number");
	expect_error("[Interface]\nMTU = 0x500\n", "2: MTU \"0x500\": not a number");

	parse_ok(&t, "[Interface]\nTable = off\n");
	assert_int_equal(t.table_mode, TABLE_OFF);
	assert_roundtrip(&t);
	tunnel_clear(&t);
	parse_ok(&t, "[Interface]\nTable = Off\nTable = auto\n");
	assert_int_equal(t.table_mode, TABLE_AUTO);
	tunnel_clear(&t);
	parse_ok(&t, "[Interface]\nTable = 4294967295\n");
	assert_int_equal(t.table_mode, TABLE_ID);
	assert_int_equal(t.table, 4294967295u);
	assert_roundtrip(&t);
	tunnel_clear(&t);
	parse_ok(&t, "[Interface]\nTable = 51820\nTable =\n");
	assert_int_equal(t.table_mode, TABLE_AUTO);
	tunnel_clear(&t);
	expect_error("[Interface]\nTable = main\n",
		     "2: Table \"main\": named routing tables are not supported, use 254");
	expect_error("[Interface]\nTable = local\n",
		     "2: Table \"local\": named routing tables are not supported, use 255");
	expect_error("[Interface]\nTable = wg\n",
		     "2: Table \"wg\": named routing tables are not supported, use a number");
	expect_error("[Interface]\nTable = 0\n", "2: Table \"0\": out of range (1-4294967295)");
	expect_error("[Interface]\nTable = 12ab\n", "2: Table \"12ab\": not a number, \"auto\" or \"off\"");
}

static void test_interface_numbers(void **state)
{
	struct tunnel t;

	(void)state;
	parse_ok(&t, "[Interface]\nListenPort = 0\nFwMark = 51820\n");
	assert_true(t.has_listen_port);
	assert_int_equal(t.listen_port, 0);
	assert_int_equal(t.fwmark, 51820);
	assert_roundtrip(&t);
	tunnel_clear(&t);
	parse_ok(&t, "[Interface]\nListenPort = 65535\nFwMark = 0xffffffff\n");
	assert_int_equal(t.listen_port, 65535);
	assert_int_equal(t.fwmark, 0xffffffffu);
	assert_roundtrip(&t);
	tunnel_clear(&t);
	parse_ok(&t, "[Interface]\nFwMark = 0x10\nFwMark = OFF\n");
	assert_int_equal(t.fwmark, 0);
	tunnel_clear(&t);
	expect_error("[Interface]\nListenPort = 65536\n", "2: ListenPort \"65536\": port out of range");
	expect_error("[Interface]\nListenPort = 51820/udp\n", "2: ListenPort \"51820/udp\": not a port number");
	expect_error("[Interface]\nFwMark = 4294967296\n", "2: FwMark \"4294967296\": out of range (0-0xffffffff)");
	expect_error("[Interface]\nFwMark = 0x\n", "2: FwMark \"0x\": not a number or \"off\"");
	expect_error("[Interface]\nFwMark = 0XFF\n", "2: FwMark \"0XFF\": not a number or \"off\"");
	expect_error("[Interface]\nFwMark = 0xfg\n", "2: FwMark \"0xfg\": not a number or \"off\"");
	expect_error("[Interface]\nFwMark = mark\n", "2: FwMark \"mark\": not a number or \"off\"");

	parse_ok(&t, "[Interface]\nSaveConfig = TRUE\n");
	assert_true(t.save_config);
	assert_roundtrip(&t);
	tunnel_clear(&t);
	parse_ok(&t, "[Interface]\nSaveConfig = true\nSaveConfig = false\n");
	assert_false(t.save_config);
	tunnel_clear(&t);
	expect_error("[Interface]\nSaveConfig = 1\n", "2: SaveConfig \"1\": neither true nor false");
	expect_error("[Interface]\nSaveConfig =\n", "2: SaveConfig \"\": neither true nor false");
}

static void test_hooks(void **state)
{
	struct tunnel t;

	(void)state;
	parse_ok(&t,
		 "[Interface]\n"
		 "PreUp = echo one\n"
		 "PostUp =   iptables -A FORWARD -i %i -j ACCEPT; echo \"a=b\"   \n"
		 "PostUp = ip route add 10.0.0.0/8 dev %i # cut here, as wg-quick does\n"
		 "PreDown = true\n"
		 "PostDown = logger 'down  %i'\n"
		 "PostDown =\n");
	assert_int_equal(t.hooks.pre_up.n, 1);
	assert_string_equal(t.hooks.pre_up.v[0], "echo one");
	assert_int_equal(t.hooks.post_up.n, 2);
	assert_string_equal(t.hooks.post_up.v[0], "iptables -A FORWARD -i %i -j ACCEPT; echo \"a=b\"");
	assert_string_equal(t.hooks.post_up.v[1], "ip route add 10.0.0.0/8 dev %i");
	assert_int_equal(t.hooks.pre_down.n, 1);
	assert_int_equal(t.hooks.post_down.n, 2);
	assert_string_equal(t.hooks.post_down.v[0], "logger 'down  %i'");
	assert_string_equal(t.hooks.post_down.v[1], "");
	assert_roundtrip(&t);
	tunnel_clear(&t);
}

static void test_keys(void **state)
{
	struct tunnel t;
	struct diag d = { 0 };

	(void)state;
	expect_error("[Interface]\nPrivateKey = KLeLIKeNSHj6VO5UWFrJJhrKQpIZDBt6bM4My9eVFk=\n",
		     "2: PrivateKey: invalid key (not 44 characters of base64)");
	/* a secret, even a broken one, never reaches a message */
	assert_int_equal(parse_str(&t, "[Interface]\nPrivateKey = x" K1 "\n", &d), -EINVAL);
	assert_int_equal(d.errors, 1);
	assert_null(strstr(diag_first_error(&d), "KLeLIKeNSHj6"));
	assert_false(t.has_private_key);
	tunnel_clear(&t);
	diag_clear(&d);
	expect_error("[Peer]\nPublicKey = " P1 "\nPresharedKey = !!!\n",
		     "3: PresharedKey: invalid key (not 44 characters of base64)");
	expect_error("[Peer]\nPublicKey = QskunAMGW2ajaEorHds1utre+JztLMjKyvytRS8QTwQ\n",
		     "2: PublicKey \"QskunAMGW2ajaEorHds1utre+JztLMjKyvytRS8QTwQ\": invalid key (not 44 characters of base64)");
	/* an invalid PublicKey is reported once, not again as a missing one */
	expect_error("[Peer]\nPublicKey = abc=\n",
		     "2: PublicKey \"abc=\": invalid key (not 44 characters of base64)");
	expect_error("[Interface]\nPrivateKey = " K1 "\n\n[Peer]\nAllowedIPs = 10.0.0.0/8\n",
		     "4: [Peer] has no PublicKey");
	expect_errors("[Peer]\n[Peer]\nPublicKey = " P1 "\n[Peer]\n",
		      "1: [Peer] has no PublicKey", "4: [Peer] has no PublicKey", NULL);
	/* a repeated PublicKey in one peer: the last wins */
	parse_ok(&t, "[Peer]\nPublicKey = " P1 "\nPublicKey = " P2 "\n");
	assert_int_equal(t.n_peers, 1);
	tunnel_clear(&t);
}

static void test_duplicate_peers(void **state)
{
	(void)state;
	expect_error("[Peer]\nPublicKey = " P1 "\n[Peer]\nPublicKey = " P1 "\n",
		     "4: PublicKey \"" P1 "\": duplicate peer (also at line 2)");
	expect_errors("[Peer]\nPublicKey = " P2 "\n"
		      "[Peer]\nPublicKey = " P1 "\n"
		      "[Peer]\nPublicKey = " P3 "\n"
		      "[Peer]\nPublicKey = " P1 "\n"
		      "[Peer]\nPublicKey = " P2 "\n"
		      "[Peer]\nPublicKey = " P1 "\n",
		      "8: PublicKey \"" P1 "\": duplicate peer (also at line 4)",
		      "10: PublicKey \"" P2 "\": duplicate peer (also at line 2)",
		      "12: PublicKey \"" P1 "\": duplicate peer (also at line 4)", NULL);
}

static void test_allowed_ips(void **state)
{
	struct tunnel t;
	char buf[CIDR_STRLEN];

	(void)state;
	parse_ok(&t, "[Peer]\nPublicKey = " P1 "\nAllowedIPs = 10.0.0.1, fd00::1, 0.0.0.0/0, ::/0\n");
	assert_int_equal(t.peers[0].allowed_ips.n, 4);
	assert_string_equal(cidr_fmt(&t.peers[0].allowed_ips.v[0], buf), "10.0.0.1/32");
	assert_string_equal(cidr_fmt(&t.peers[0].allowed_ips.v[1], buf), "fd00::1/128");
	tunnel_clear(&t);
	/* host bits: accepted as wg does, masked as the kernel does */
	parse_ok(&t, "[Peer]\nPublicKey = " P1 "\nAllowedIPs = 10.1.2.3/8\n");
	assert_string_equal(cidr_fmt(&t.peers[0].allowed_ips.v[0], buf), "10.0.0.0/8");
	assert_roundtrip(&t);
	tunnel_clear(&t);
	expect_warning("[Peer]\nPublicKey = " P1 "\nAllowedIPs = 10.1.2.3/8\n",
		       "3: warning: AllowedIPs \"10.1.2.3/8\": host bits set, using 10.0.0.0/8");
	expect_error("[Peer]\nPublicKey = " P1 "\nAllowedIPs = 10.0.0.0/8,\n",
		     "3: AllowedIPs \"10.0.0.0/8,\": empty entry in list");
	expect_error("[Peer]\nPublicKey = " P1 "\nAllowedIPs = +10.0.0.0/8\n",
		     "3: AllowedIPs \"+10.0.0.0/8\": invalid prefix");
	expect_error("[Peer]\nPublicKey = " P1 "\nAllowedIPs = 10.0.0.0/8 192.168.0.0/16\n",
		     "3: AllowedIPs \"10.0.0.0/8192.168.0.0/16\": invalid prefix");
	expect_error("[Peer]\nPublicKey = " P1 "\nAllowedIPs = ::/129\n",
		     "3: AllowedIPs \"::/129\": prefix length out of range");
}

static void test_endpoint(void **state)
{
	struct tunnel t;

	(void)state;
	parse_ok(&t,
		 "[Peer]\nPublicKey = " P1 "\nEndpoint = 192.0.2.1:51820\n"
		 "[Peer]\nPublicKey = " P2 "\nEndpoint = [2001:db8::1]:443\n"
		 "[Peer]\nPublicKey = " P3 "\nEndpoint = [fe80::1%eth0]:1\n");
	assert_string_equal(t.peers[0].endpoint_host, "192.0.2.1");
	assert_int_equal(t.peers[0].endpoint_port, 51820);
	assert_string_equal(t.peers[1].endpoint_host, "2001:db8::1");
	assert_int_equal(t.peers[1].endpoint_port, 443);
	assert_string_equal(t.peers[2].endpoint_host, "fe80::1%eth0");
	assert_int_equal(t.peers[2].endpoint_port, 1);
	assert_roundtrip(&t);
	tunnel_clear(&t);
	parse_ok(&t, "[Peer]\nPublicKey = " P1 "\nEndpoint = VPN-1.Example.NET.:65535\n");
	assert_string_equal(t.peers[0].endpoint_host, "VPN-1.Example.NET.");
	assert_int_equal(t.peers[0].endpoint_port, 65535);
	assert_roundtrip(&t);
	tunnel_clear(&t);
	/* as wg: without brackets the last colon separates the port */
	parse_ok(&t, "[Peer]\nPublicKey = " P1 "\nEndpoint = 2001:db8::1:51820\n");
	assert_string_equal(t.peers[0].endpoint_host, "2001:db8::1");
	assert_int_equal(t.peers[0].endpoint_port, 51820);
	tunnel_clear(&t);
	expect_warning("[Peer]\nPublicKey = " P1 "\nEndpoint = 2001:db8::1:51820\n",
		       "3: warning: Endpoint \"2001:db8::1:51820\": IPv6 address without brackets, "
		       "read as [2001:db8::1]:51820");

#define EP(v, msg) expect_error("[Peer]\nPublicKey = " P1 "\nEndpoint = " v "\n", \
				"3: Endpoint \"" v "\": " msg)
	EP("vpn.example.com:99999", "port out of range");
	EP("vpn.example.com:0", "port out of range");
	EP("vpn.example.com:123456789012345678901234567890", "port out of range");
	EP("vpn.example.com:-1", "invalid port");
	EP("vpn.example.com:", "missing port");
	EP("vpn.example.com", "missing port");
	EP(":51820", "missing host");
	EP("[]:51820", "missing host");
	EP("[2001:db8::1]", "missing port");
	EP("[2001:db8::1]51820", "missing port");
	EP("[2001:db8::1]:", "missing port");
	EP("[2001:db8::1:51820", "missing closing \"]\"");
	EP("[2001:db8:::1]:51820", "invalid IPv6 address");
	EP("[fe80::1%]:51820", "invalid IPv6 address");
	EP("2001:db8::1", "invalid IPv6 address");
	EP("192.0.2:51820", "invalid IPv4 address");
	EP("192.0.2.256:51820", "invalid IPv4 address");
	EP("vpn..example.com:51820", "invalid host name");
	EP("vpn_1.example.com/x:51820", "invalid host name");
#undef EP
}

static void test_keepalive(void **state)
{
	struct tunnel t;

	(void)state;
	parse_ok(&t, "[Peer]\nPublicKey = " P1 "\nPersistentKeepalive = 65535\n"
		     "[Peer]\nPublicKey = " P2 "\nPersistentKeepalive = 25\nPersistentKeepalive = off\n");
	assert_int_equal(t.peers[0].persistent_keepalive, 65535);
	assert_int_equal(t.peers[1].persistent_keepalive, 0);
	assert_roundtrip(&t);
	tunnel_clear(&t);
	expect_error("[Peer]\nPublicKey = " P1 "\nPersistentKeepalive = 65536\n",
		     "3: PersistentKeepalive \"65536\": out of range (0-65535)");
	expect_error("[Peer]\nPublicKey = " P1 "\nPersistentKeepalive = never\n",
		     "3: PersistentKeepalive \"never\": not a number of seconds or \"off\"");
}

static void test_write_canonical(void **state)
{
	struct tunnel t;
	char *text;

	(void)state;
	parse_ok(&t,
		 "[Peer]\npersistentkeepalive=5\nendpoint=[2001:db8::9]:7\nallowedips=10.0.0.0/8,::/0\n"
		 "presharedkey=" S1 "\npublickey=" P1 "\n"
		 "[interface]\npostdown=b\npreup=a\nsaveconfig=true\ntable=off\nmtu=1280\n"
		 "fwmark=255\nlistenport=1\ndns=example.com,192.0.2.1\naddress=10.0.0.1/8\n"
		 "privatekey=" K1 "\n"
		 "[Peer]\npublickey=" P2 "\n");
	text = wgq_write(&t);
	assert_string_equal(text,
			    "[Interface]\n"
			    "PrivateKey = " K1 "\n"
			    "Address = 10.0.0.1/8\n"
			    "DNS = 192.0.2.1, example.com\n"
			    "ListenPort = 1\n"
			    "FwMark = 0xff\n"
			    "MTU = 1280\n"
			    "Table = off\n"
			    "PreUp = a\n"
			    "PostDown = b\n"
			    "SaveConfig = true\n"
			    "\n"
			    "[Peer]\n"
			    "PublicKey = " P1 "\n"
			    "PresharedKey = " S1 "\n"
			    "AllowedIPs = 10.0.0.0/8, ::/0\n"
			    "Endpoint = [2001:db8::9]:7\n"
			    "PersistentKeepalive = 5\n"
			    "\n"
			    "[Peer]\n"
			    "PublicKey = " P2 "\n");
	wgq_text_free(text);
	assert_roundtrip(&t);
	tunnel_clear(&t);

	tunnel_init(&t);
	text = wgq_write(&t);
	assert_string_equal(text, "[Interface]\n");
	wgq_text_free(text);
	wgq_text_free(NULL);
}

static void test_write_unrepresentable(void **state)
{
	static const char *const bad_hooks[] = { "echo # comment", "a\nb", " a", "a\t" };
	struct tunnel t;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad_hooks); i++) {
		tunnel_init(&t);
		strv_push(&t.hooks.post_up, bad_hooks[i]);
		errno = 0;
		assert_null(wgq_write(&t));
		assert_int_equal(errno, EINVAL);
		tunnel_clear(&t);
	}
	tunnel_init(&t);
	strv_push(&t.dns_search, "bad domain");
	assert_null(wgq_write(&t));
	tunnel_clear(&t);
	tunnel_init(&t);
	strv_push(&t.dns_search, "1.2.3");   /* would read back as a server */
	assert_null(wgq_write(&t));
	tunnel_clear(&t);
	tunnel_init(&t);
	array_push(&t.peers, &t.n_peers, sizeof(*t.peers));
	t.peers[0].endpoint_host = xstrdup("vpn.example.net:1");
	t.peers[0].endpoint_port = 1;
	assert_null(wgq_write(&t));
	tunnel_clear(&t);
}

static void test_equal(void **state)
{
	struct tunnel a, b;

	(void)state;
	parse_ok(&a, "[Interface]\nPrivateKey = " K1 "\n[Peer]\nPublicKey = " P1 "\nEndpoint = h.example:1\n");
	parse_ok(&b, "[Interface]\nPrivateKey = " K1 "\n[Peer]\nPublicKey = " P1 "\nEndpoint = h.example:1\n");
	assert_true(wgq_equal(&a, &b));
	b.peers[0].endpoint_port = 2;
	assert_false(wgq_equal(&a, &b));
	b.peers[0].endpoint_port = 1;
	b.private_key[5] ^= 1;
	assert_false(wgq_equal(&a, &b));
	b.private_key[5] ^= 1;
	b.peers[0].persistent_keepalive = 1;
	assert_false(wgq_equal(&a, &b));
	b.peers[0].persistent_keepalive = 0;
	strv_push(&b.hooks.pre_down, "x");
	assert_false(wgq_equal(&a, &b));
	tunnel_clear(&a);
	tunnel_clear(&b);
}

/* A server-sized file: parsing and the duplicate check stay fast. */
static void test_many_peers(void **state)
{
	enum { N = 10000 };
	struct tunnel t;
	struct diag d = { 0 };
	size_t cap = N * 128 + 64, len = 0, i;
	char *text = xmalloc(cap);
	uint8_t k[KEY_LEN] = { 0 };
	char b64[KEY_B64_LEN];
	clock_t start;

	(void)state;
	len += (size_t)snprintf(text + len, cap - len, "[Interface]\nListenPort = 51820\n");
	for (i = 0; i < N; i++) {
		k[0] = (uint8_t)i;
		k[1] = (uint8_t)(i >> 8);
		k[2] = i == N - 1;   /* the last one repeats the first */
		if (i == N - 1)
			k[0] = k[1] = k[2] = 0;
		key_to_base64(b64, k);
		len += (size_t)snprintf(text + len, cap - len,
					"[Peer]\nPublicKey = %s\nAllowedIPs = 10.%zu.%zu.0/24\n",
					b64, (i >> 8) & 255, i & 255);
	}
	start = clock();
	tunnel_init(&t);
	assert_int_equal(wgq_parse(&t, "t.conf", text, len, &d), -EINVAL);
	assert_true(clock() - start < 2 * CLOCKS_PER_SEC);
	assert_int_equal(t.n_peers, N);
	assert_int_equal(d.errors, 1);
	assert_string_equal(diag_first_error(&d),
			    "t.conf:30001: PublicKey \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\": "
			    "duplicate peer (also at line 4)");
	tunnel_clear(&t);
	diag_clear(&d);
	free(text);
}

static void test_append(void **state)
{
	struct tunnel t;
	struct diag d = { 0 };
	static const char text[] = "[Interface]\nAddress = 10.0.0.2/32\n[Peer]\nPublicKey = " P2 "\n";

	(void)state;
	/* a tunnel that already has peers: a second file appends and is checked on its own */
	parse_ok(&t, "[Interface]\nAddress = 10.0.0.1/32\n[Peer]\nPublicKey = " P1 "\n");
	assert_int_equal(wgq_parse(&t, "u.conf", text, strlen(text), &d), 0);
	assert_int_equal(t.addresses.n, 2);
	assert_int_equal(t.n_peers, 2);
	tunnel_clear(&t);
	diag_clear(&d);
}

static void test_ifname(void **state)
{
	char n[IFNAME_MAX + 1];

	(void)state;
	assert_int_equal(wgq_ifname(n, "/etc/wireguard/wg0.conf"), 0);
	assert_string_equal(n, "wg0");
	assert_int_equal(wgq_ifname(n, "wgcf-profile.conf"), 0);
	assert_string_equal(n, "wgcf-profile");
	assert_int_equal(wgq_ifname(n, "./a/b/A_z=0+9.-x.conf"), 0);
	assert_string_equal(n, "A_z=0+9.-x");
	assert_int_equal(wgq_ifname(n, "/x/123456789012345.conf"), 0);
	assert_string_equal(n, "123456789012345");
	assert_int_equal(wgq_ifname(n, "/x/1234567890123456.conf"), -EINVAL);
	assert_int_equal(wgq_ifname(n, "/x/.conf"), -EINVAL);
	assert_int_equal(wgq_ifname(n, "/x/..conf"), -EINVAL);
	assert_int_equal(wgq_ifname(n, "/x/...conf"), -EINVAL);
	assert_int_equal(wgq_ifname(n, "/x/wg 0.conf"), -EINVAL);
	assert_int_equal(wgq_ifname(n, "/x/wg:0.conf"), -EINVAL);
	assert_int_equal(wgq_ifname(n, "/x/wg0.cfg"), -EINVAL);
	assert_int_equal(wgq_ifname(n, "/x/wg0.conf/"), -EINVAL);
	assert_int_equal(wgq_ifname(n, "wg0"), -EINVAL);
	assert_int_equal(wgq_ifname(n, ""), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_good),
		cmocka_unit_test(test_corpus_broken),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_repeated),
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_dns),
		cmocka_unit_test(test_mtu_table),
		cmocka_unit_test(test_interface_numbers),
		cmocka_unit_test(test_hooks),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_duplicate_peers),
		cmocka_unit_test(test_allowed_ips),
		cmocka_unit_test(test_endpoint),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_write_canonical),
		cmocka_unit_test(test_write_unrepresentable),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_many_peers),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_ifname),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
