/* The resolver's internal zone (server/dns/zone.c) and answer cache (cache.c): answers read
 * back from the wire, as a client would see them. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "server/account.h"
#include "server/dns/cache.h"
#include "server/dns/wire.h"
#include "server/dns/zone.h"

static struct acct_user users[2];
static struct acct_device devs[3];
static struct account acct;

static void account_make(void)
{
	memset(users, 0, sizeof(users));
	memset(devs, 0, sizeof(devs));
	users[0] = (struct acct_user){ .id = 1, .name = "alice", .group_id = 1 };
	users[1] = (struct acct_user){ .id = 2, .name = "bob", .group_id = 7 };
	devs[0] = (struct acct_device){ .id = 1, .user_id = 1, .name = "phone", .n_addrs = 2 };
	cidr_parse(&devs[0].addrs[0], "10.9.0.2/32");
	cidr_parse(&devs[0].addrs[1], "fd09::2/128");
	devs[1] = (struct acct_device){ .id = 2, .user_id = 1, .name = "laptop", .n_addrs = 1 };
	cidr_parse(&devs[1].addrs[0], "10.9.0.3/32");
	devs[2] = (struct acct_device){ .id = 5, .user_id = 2, .name = "pc", .n_addrs = 1 };
	cidr_parse(&devs[2].addrs[0], "10.9.0.9/32");
	acct = (struct account){ .users = users, .n_users = 2, .devs = devs, .n_devs = 3 };
}

static struct zone *zone_make(void)
{
	static const struct zone_record recs[] = {
		{ "git.vpn.internal", "A", "10.20.0.5", 300 },
		{ "Intranet.Corp.Example.", "CNAME", "git.vpn.internal", 300 },
		{ "_sip._udp.vpn.internal", "SRV", "10 5 5060 pbx.vpn.internal", 300 },
		{ "a.b.vpn.internal", "TXT", "hello", 300 },
		{ "bad.vpn.internal", "A", "not-an-address", 300 },
	};
	struct cidrv pools = { 0 }, server = { 0 };
	struct cidr c;
	struct zone *z = NULL;

	account_make();
	cidr_parse(&c, "10.9.0.0/24");
	cidrv_push(&pools, &c);
	cidr_parse(&c, "fd09::/64");
	cidrv_push(&pools, &c);
	cidr_parse(&c, "10.9.0.1/32");
	cidrv_push(&server, &c);
	assert_int_equal(zone_build(&acct, "vpn.internal", &pools, &server, recs, 5, 60, &z), 0);
	cidrv_clear(&pools);
	cidrv_clear(&server);
	return z;
}

/* A query for name/type as a client sends it, parsed. */
static void query(const char *name, uint16_t type, struct dns_query *q, uint8_t *pkt, size_t *len)
{
	size_t n = DNS_HEADER_LEN;
	int w;

	memset(pkt, 0, DNS_HEADER_LEN);
	pkt[0] = 0x12;
	pkt[1] = 0x34;
	pkt[2] = 0x01;                 /* RD */
	pkt[5] = 1;
	w = dnswire_name_pack(name, strlen(name), pkt + n, 300);
	assert_true(w > 0);
	n += (size_t)w;
	pkt[n++] = (uint8_t)(type >> 8);
	pkt[n++] = (uint8_t)type;
	pkt[n++] = 0;
	pkt[n++] = 1;
	*len = n;
	assert_int_equal(dnswire_parse_query(pkt, n, q), 0);
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Answer q from z: rcode, answer count, and whether it was ours. */
static bool ask(const struct zone *z, const char *name, uint16_t type, uint8_t *out,
		size_t *len)
{
	struct dns_query q;
	struct dns_builder b;
	uint8_t pkt[512];
	size_t n;

	query(name, type, &q, pkt, &n);
	if (!zone_answer(z, &q, &b, out, 4096, 4096))
		return false;
	*len = dnsbuild_finish(&b);
	return true;
}

static void test_device_names(void **state)
{
	struct zone *z = zone_make();
	uint8_t out[4096];
	size_t len = 0;

	assert_true(ask(z, "phone.alice.vpn.internal", DNS_T_A, out, &len));
	assert_int_equal(out[3] & 0x0f, DNS_R_NOERROR);
	assert_true(out[2] & 0x04);                    /* AA */
	assert_int_equal(rd16(out + 6), 1);
	assert_non_null(memmem(out, len, "\x00\x04\x0a\x09\x00\x02", 6));   /* rdlen 4, 10.9.0.2 */
	zone_free(z);
}

static void test_user_name_and_aaaa(void **state)
{
	struct zone *z = zone_make();
	uint8_t out[4096];
	size_t len = 0;

	assert_true(ask(z, "alice.vpn.internal", DNS_T_A, out, &len));
	assert_int_equal(rd16(out + 6), 2);            /* both devices' IPv4 addresses */
	assert_true(ask(z, "phone.alice.vpn.internal", DNS_T_AAAA, out, &len));
	assert_int_equal(rd16(out + 6), 1);
	assert_true(ask(z, "laptop.alice.vpn.internal", DNS_T_AAAA, out, &len));
	assert_int_equal(out[3] & 0x0f, DNS_R_NOERROR);   /* no data, the name exists */
	assert_int_equal(rd16(out + 6), 0);
	assert_int_equal(rd16(out + 8), 1);            /* the SOA */
	zone_free(z);
}

static void test_nxdomain_and_not_ours(void **state)
{
	struct zone *z = zone_make();
	uint8_t out[4096];
	size_t len = 0;

	assert_true(ask(z, "nobody.vpn.internal", DNS_T_A, out, &len));
	assert_int_equal(out[3] & 0x0f, DNS_R_NXDOMAIN);
	assert_int_equal(rd16(out + 8), 1);
	assert_true(ask(z, "b.vpn.internal", DNS_T_A, out, &len));   /* an empty non-terminal */
	assert_int_equal(out[3] & 0x0f, DNS_R_NOERROR);
	assert_false(ask(z, "www.example.com", DNS_T_A, out, &len));
	assert_false(ask(z, "xvpn.internal", DNS_T_A, out, &len));
	assert_true(ask(z, "bad.vpn.internal", DNS_T_A, out, &len));  /* skipped: not an address */
	assert_int_equal(out[3] & 0x0f, DNS_R_NXDOMAIN);
	zone_free(z);
}

static void test_ptr(void **state)
{
	struct zone *z = zone_make();
	uint8_t out[4096];
	size_t len = 0;

	assert_true(ask(z, "3.0.9.10.in-addr.arpa", DNS_T_PTR, out, &len));
	assert_int_equal(rd16(out + 6), 1);
	assert_non_null(memmem(out, len, "\x06laptop\x05" "alice", 13));
	assert_true(ask(z, "250.0.9.10.in-addr.arpa", DNS_T_PTR, out, &len));
	assert_int_equal(out[3] & 0x0f, DNS_R_NXDOMAIN);
	assert_non_null(memmem(out, len, "\x01" "0\x01" "9\x02" "10\x07in-addr", 14));  /* SOA of 0.9.10 */
	assert_false(ask(z, "4.3.2.1.in-addr.arpa", DNS_T_PTR, out, &len));   /* not a pool */
	zone_free(z);
}

static void test_records(void **state)
{
	struct zone *z = zone_make();
	uint8_t out[4096];
	size_t len = 0;

	assert_true(ask(z, "intranet.corp.example", DNS_T_A, out, &len));
	assert_int_equal(rd16(out + 6), 2);            /* the CNAME and its target's A */
	assert_true(ask(z, "_sip._udp.vpn.internal", DNS_T_SRV, out, &len));
	assert_int_equal(rd16(out + 6), 1);
	assert_true(ask(z, "intranet.corp.example", DNS_T_TXT, out, &len));
	zone_free(z);
}

static void test_clients(void **state)
{
	struct zone *z = zone_make(), *z2 = zone_make();
	uint8_t a[16] = { 10, 9, 0, 9 };
	struct zone_client *c = zone_client(z, AF_INET, a);

	assert_non_null(c);
	assert_int_equal(c->user_id, 2);
	assert_int_equal(c->device_id, 5);
	assert_int_equal(c->group_id, 7);
	inet_pton(AF_INET6, "fd09::2", a);
	c = zone_client(z, AF_INET6, a);
	assert_non_null(c);
	assert_int_equal(c->device_id, 1);
	c->tokens = 3.5;
	c->tokens_ms = 42;
	zone_carry(z2, z);
	c = zone_client(z2, AF_INET6, a);
	assert_true(c->tokens == 3.5 && c->tokens_ms == 42);
	inet_pton(AF_INET, "10.9.0.77", a);
	assert_null(zone_client(z, AF_INET, a));
	zone_free(z);
	zone_free(z2);
}

static void test_record_check(void **state)
{
	char name[DNS_NAME_TEXT_MAX + 1], why[128];
	struct zone_record r = { "Git.Corp.", "A", "10.1.2.3", 0 };

	assert_int_equal(zone_record_check(&r, name, why, sizeof(why)), 0);
	assert_string_equal(name, "git.corp");
	r.value = "10.1.2";
	assert_int_equal(zone_record_check(&r, name, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "value \"10.1.2\": not an IPv4 address");
	r = (struct zone_record){ "x.corp", "MX", "10 mail", 0 };
	assert_int_equal(zone_record_check(&r, name, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "type \"MX\": must be A, AAAA, CNAME, TXT or SRV");
	r = (struct zone_record){ "x..corp", "A", "10.0.0.1", 0 };
	assert_int_equal(zone_record_check(&r, name, why, sizeof(why)), -EINVAL);
	r = (struct zone_record){ "s.corp", "SRV", "1 2 70000 t.corp", 0 };
	assert_int_equal(zone_record_check(&r, name, why, sizeof(why)), -EINVAL);
}

/* An upstream answer: www.example.com A 192.0.2.1, TTL ttl. */
static size_t upstream_answer(uint8_t *p, uint32_t ttl)
{
	struct dns_query q;
	struct dns_builder b;
	uint8_t pkt[512];
	size_t n;
	const uint8_t a[4] = { 192, 0, 2, 1 };

	query("www.example.com", DNS_T_A, &q, pkt, &n);
	dnsbuild_start(&b, p, 512, 512, &q, DNS_R_NOERROR, false);
	dnsbuild_a(&b, DNS_S_ANSWER, "www.example.com", ttl, a);
	return dnsbuild_finish(&b);
}

static uint32_t first_ttl(const uint8_t *p, size_t len)
{
	uint16_t off[4];

	assert_true(dnswire_ttl_offsets(p, len, off, 4) >= 1);
	return (uint32_t)p[off[0]] << 24 | (uint32_t)p[off[0] + 1] << 16 | p[off[0] + 2] << 8 |
	       p[off[0] + 3];
}

static void test_cache(void **state)
{
	struct dns_cache *c = dns_cache_new(1 << 20);
	struct dns_query q, q6;
	uint8_t pkt[512], ans[512];
	size_t n, alen = upstream_answer(ans, 300), len;
	const uint8_t *hit;

	query("www.example.com", DNS_T_A, &q, pkt, &n);
	query("www.example.com", DNS_T_AAAA, &q6, pkt, &n);
	dns_cache_put(c, &q, ans, alen, 1000);
	assert_int_equal(dns_cache_entries(c), 1);
	assert_null(dns_cache_get(c, &q6, 1000, &len));          /* another type, another key */
	hit = dns_cache_get(c, &q, 1000, &len);
	assert_non_null(hit);
	assert_int_equal(len, alen);
	assert_int_equal(first_ttl(hit, len), 300);
	hit = dns_cache_get(c, &q, 1000 + 100500, &len);          /* 100.5 s later */
	assert_int_equal(first_ttl(hit, len), 200);
	assert_null(dns_cache_get(c, &q, 1000 + 300000, &len));   /* expired */
	assert_int_equal(dns_cache_entries(c), 0);
	alen = upstream_answer(ans, 0);
	dns_cache_put(c, &q, ans, alen, 1000);                    /* TTL 0 is not kept */
	assert_int_equal(dns_cache_entries(c), 0);
	dns_cache_free(c);
}

static void test_cache_evicts(void **state)
{
	struct dns_cache *c = dns_cache_new(64 << 10);
	uint8_t ans[512], pkt[512];
	size_t alen = upstream_answer(ans, 300), n, len;
	struct dns_query q;
	char name[64];

	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "n%d.example.com", i);
		query(name, DNS_T_A, &q, pkt, &n);
		dns_cache_put(c, &q, ans, alen, 1000);
	}
	assert_true(dns_cache_bytes(c) <= 64 << 10);
	assert_true(dns_cache_entries(c) > 100 && dns_cache_entries(c) < 2000);
	assert_non_null(dns_cache_get(c, &q, 1000, &len));        /* the newest stays */
	query("n0.example.com", DNS_T_A, &q, pkt, &n);
	assert_null(dns_cache_get(c, &q, 1000, &len));            /* the oldest went */
	dns_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_device_names),
		cmocka_unit_test(test_user_name_and_aaaa),
		cmocka_unit_test(test_nxdomain_and_not_ours),
		cmocka_unit_test(test_ptr),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_clients),
		cmocka_unit_test(test_record_check),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_cache_evicts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
