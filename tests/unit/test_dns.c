/* Unit tests of a tunnel's DNS: domain names, full or split, what resolvconf reads on stdin,
 * the domains systemd-resolved gets, and the journal's record of the methods. */
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

#include <cmocka.h>

#include "agent/journal.h"
#include "agent/linkdns.h"
#include "agent/resolvconf.h"
#include "agent/resolved.h"
#include "common/util.h"
#include "profiles/dns.h"

static void test_domain_valid(void **state)
{
	static const char *const good[] = {
		"corp.example", "corp.example.", "lan", "_sip._udp.example", "a-b.example",
		"~corp.example", "~.", "~lan", "xn--bcher-kva.example",
	};
	static const char *const bad[] = {
		"", ".", "~", "~~corp.example", "corp..example", ".corp", "corp example", "-corp.example",
		"corp-.example", "corp.example-", "co/rp", "c:rp", "~.corp", "10.0.0.1\n",
	};
	char label64[80], long254[320];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(good); i++)
		assert_true(dns_domain_valid(good[i]));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (dns_domain_valid(bad[i]))
			fail_msg("\"%s\" accepted", bad[i]);
	memset(label64, 'a', 64);
	label64[64] = '\0';
	assert_false(dns_domain_valid(label64));
	label64[63] = '\0';
	assert_true(dns_domain_valid(label64));
	/* 253 bytes in all: 63 + 1 + 63 + 1 + 63 + 1 + 61 */
	snprintf(long254, sizeof(long254), "%s.%s.%s.%.61s", label64, label64, label64, label64);
	assert_int_equal(strlen(long254), 253);
	assert_true(dns_domain_valid(long254));
	strcat(long254, "a");
	assert_false(dns_domain_valid(long254));
}

static void push_cidr(struct cidrv *v, const char *s)
{
	struct cidr c;

	assert_int_equal(cidr_parse(&c, s), 0);
	cidrv_push(v, &c);
}

static void test_conf_from_tunnel(void **state)
{
	struct dns_conf dc, copy;
	struct tunnel t;
	struct peer *p;

	(void)state;
	tunnel_init(&t);
	push_cidr(&t.dns, "10.9.0.1");
	push_cidr(&t.dns, "fd09::1");
	strv_push(&t.dns_search, "corp.example");
	p = array_push(&t.peers, &t.n_peers, sizeof(*t.peers));
	push_cidr(&p->allowed_ips, "10.9.0.0/24");
	dns_conf_from_tunnel(&dc, &t);
	assert_int_equal(dc.servers.n, 2);
	assert_int_equal(dc.domains.n, 1);
	assert_false(dc.full);
	dns_conf_copy(&copy, &dc);
	assert_true(dns_conf_equal(&dc, &copy));
	dns_conf_clear(&dc);

	/* a default route among the allowed IPs makes it a full tunnel, in the families it
	 * carries; a server of another family is left out */
	push_cidr(&p->allowed_ips, "::/0");
	t.families = FAMILY_IPV4;
	dns_conf_from_tunnel(&dc, &t);
	assert_int_equal(dc.servers.n, 1);
	assert_int_equal(dc.servers.v[0].family, AF_INET);
	assert_false(dc.full);
	assert_false(dns_conf_equal(&dc, &copy));
	dns_conf_clear(&dc);
	t.families = FAMILY_BOTH;
	dns_conf_from_tunnel(&dc, &t);
	assert_true(dc.full);
	dns_conf_clear(&dc);

	/* explicit routes decide, not the allowed IPs; Table = off routes nothing */
	t.has_routes = true;
	push_cidr(&t.routes, "172.16.0.0/16");
	dns_conf_from_tunnel(&dc, &t);
	assert_false(dc.full);
	dns_conf_clear(&dc);
	push_cidr(&t.routes, "0.0.0.0/0");
	dns_conf_from_tunnel(&dc, &t);
	assert_true(dc.full);
	dns_conf_clear(&dc);
	t.table_mode = TABLE_OFF;
	dns_conf_from_tunnel(&dc, &t);
	assert_false(dc.full);
	assert_false(dns_conf_empty(&dc));
	dns_conf_clear(&dc);

	dns_conf_clear(&copy);
	assert_true(dns_conf_empty(&copy));
	tunnel_clear(&t);
}

static void test_resolvconf_text(void **state)
{
	struct dns_conf dc = { 0 };
	char *text;

	(void)state;
	text = resolvconf_text(&dc);
	assert_string_equal(text, "");
	free(text);
	push_cidr(&dc.servers, "10.9.0.1");
	push_cidr(&dc.servers, "fd09::53");
	text = resolvconf_text(&dc);
	assert_string_equal(text, "nameserver 10.9.0.1\nnameserver fd09::53\n");
	free(text);
	/* routing-only domains have no place in resolv.conf */
	strv_push(&dc.domains, "corp.example");
	strv_push(&dc.domains, "~example.net");
	strv_push(&dc.domains, "lan");
	strv_push(&dc.domains, "~.");
	text = resolvconf_text(&dc);
	assert_string_equal(text, "nameserver 10.9.0.1\nnameserver fd09::53\nsearch corp.example lan\n");
	free(text);
	dns_conf_clear(&dc);
	strv_push(&dc.domains, "~only.example");
	text = resolvconf_text(&dc);
	assert_string_equal(text, "");
	free(text);
	dns_conf_clear(&dc);
}

static void check_domains(const struct dns_conf *dc, const char *want, bool want_default)
{
	char buf[512] = "";
	const char **names;
	bool *ro, def;
	size_t n, i;

	resolved_domains(dc, &names, &ro, &n, &def);
	for (i = 0; i < n; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s:%s", i ? " " : "",
			 names[i], ro[i] ? "route" : "search");
	free(names);
	free(ro);
	assert_string_equal(buf, want);
	assert_int_equal(def, want_default);
}

static void test_resolved_domains(void **state)
{
	struct dns_conf dc = { 0 };

	(void)state;
	/* servers only: they answer what no link claims */
	check_domains(&dc, "", true);
	/* a split tunnel with domains answers only those */
	strv_push(&dc.domains, "corp.example");
	strv_push(&dc.domains, "~example.net");
	check_domains(&dc, "corp.example:search example.net:route", false);
	/* a full tunnel takes every query: ~. */
	dc.full = true;
	check_domains(&dc, "corp.example:search example.net:route .:route", true);
	/* ~. given already is not given twice */
	strv_push(&dc.domains, "~.");
	check_domains(&dc, "corp.example:search example.net:route .:route", true);
	dc.full = false;
	check_domains(&dc, "corp.example:search example.net:route .:route", true);
	dns_conf_clear(&dc);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void test_journal_methods(void **state)
{
	char dir[] = "/tmp/warren-test-dns.XXXXXX", path[64];
	struct plan p = { 0 }, back;
	unsigned int m;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(p.name, sizeof(p.name), "hq");
	snprintf(p.ifname, sizeof(p.ifname), "wg-hq");
	p.backend = BACKEND_USERSPACE;
	assert_int_equal(journal_write(dir, &p), 0);
	assert_int_equal(journal_read(dir, "wg-hq", &back), 0);
	assert_int_equal(back.dns_methods, 0);
	plan_clear(&back);
	p.dns_methods = LINKDNS_RESOLVED | LINKDNS_RESOLVCONF;
	assert_int_equal(journal_write(dir, &p), 0);
	assert_int_equal(journal_read(dir, "wg-hq", &back), 0);
	assert_int_equal(back.dns_methods, LINKDNS_RESOLVED | LINKDNS_RESOLVCONF);
	plan_clear(&back);
	/* an unknown method is not a journal warren wrote */
	snprintf(path, sizeof(path), "%s/journal/wg-hq", dir);
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("dns nscd\n", f);
	fclose(f);
	assert_int_equal(journal_read(dir, "wg-hq", &back), -EBADMSG);
	assert_int_equal(nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS), 0);

	assert_int_equal(linkdns_method_parse("resolved", &m), 0);
	assert_int_equal(m, LINKDNS_RESOLVED);
	assert_int_equal(linkdns_method_parse("resolvconf", &m), 0);
	assert_string_equal(linkdns_method_name(m), "resolvconf");
	assert_int_equal(linkdns_method_parse("-", &m), -EINVAL);
	assert_null(linkdns_method_name(0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domain_valid),
		cmocka_unit_test(test_conf_from_tunnel),
		cmocka_unit_test(test_resolvconf_text),
		cmocka_unit_test(test_resolved_domains),
		cmocka_unit_test(test_journal_methods),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
