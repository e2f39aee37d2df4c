/* Portal profiles: exact bytes built, round trips, signatures, ETags and every refusal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/util.h"
#include "profiles/profile.h"

#define P1 "QskunAMGW2ajaEorHds1utre+JztLMjKyvytRS8QTwQ="
#define S1 "dtOs0ifGmD9Dnxs0ZUXr6HkDWPdyksqAC4WaTyojOyY="
#define P2 "ZhbsBKVajPFAw/ULimHeRRYHWnyQEu2KcTNBOSEdmmE="

/* The documented example, with real keys: the exact bytes profile_build writes. */
#define EXAMPLE \
	"{\"version\":1,\"device\":\"gw1\",\"serial\":7,\"issued\":1795600000," \
	"\"tunnels\":[{\"name\":\"hq\",\"endpoint\":\"vpn.example.net:51820\"," \
	"\"public_key\":\"" P1 "\",\"preshared_key\":\"" S1 "\"," \
	"\"addresses\":[\"10.9.0.2/32\"],\"allowed_ips\":[\"0.0.0.0/0\",\"::/0\"]," \
	"\"dns\":[\"10.9.0.1\"],\"keepalive\":25,\"mtu\":1420}]}"

/* Pieces for refusals: DOC(tunnels) and a tunnel with one member replaced or added. */
#define HEAD "{\"version\":1,\"device\":\"gw1\",\"serial\":7,\"issued\":1795600000,\"tunnels\":["
#define DOC(t) HEAD t "]}"
#define TUN_(name, endpoint, key, addresses, allowed, dns, keepalive, mtu, extra) \
	"{\"name\":" name ",\"endpoint\":" endpoint ",\"public_key\":" key \
	",\"addresses\":" addresses ",\"allowed_ips\":" allowed ",\"dns\":" dns \
	",\"keepalive\":" keepalive ",\"mtu\":" mtu extra "}"
#define NAME "\"hq\""
#define EP "\"vpn.example.net:51820\""
#define KEY "\"" P1 "\""
#define ADDR "[\"10.9.0.2/32\"]"
#define ALLOW "[\"0.0.0.0/0\"]"
#define DNS "[\"10.9.0.1\"]"
#define TUN TUN_(NAME, EP, KEY, ADDR, ALLOW, DNS, "25", "1420", "")

static void add_cidr(struct cidrv *v, const char *s)
{
	struct cidr c;

	assert_int_equal(cidr_parse(&c, s), 0);
	cidrv_push(v, &c);
}

static void add_ip(struct cidrv *v, const char *s)
{
	struct cidr c;

	assert_int_equal(ip_parse(&c, s), 0);
	cidrv_push(v, &c);
}

static struct profile_tunnel *add_tunnel(struct profile *p, const char *name, const char *host,
					 uint16_t port, const char *pub, const char *psk)
{
	struct profile_tunnel *t = array_push(&p->tunnels, &p->n_tunnels, sizeof(*p->tunnels));

	snprintf(t->name, sizeof(t->name), "%s", name);
	t->endpoint_host = xstrdup(host);
	t->endpoint_port = port;
	assert_int_equal(key_from_base64(t->public_key, pub), 0);
	if (psk) {
		assert_int_equal(key_from_base64(t->preshared_key, psk), 0);
		t->has_preshared_key = true;
	}
	return t;
}

static void example(struct profile *p)
{
	struct profile_tunnel *t;

	memset(p, 0, sizeof(*p));
	snprintf(p->device, sizeof(p->device), "gw1");
	p->serial = 7;
	p->issued = 1795600000;
	t = add_tunnel(p, "hq", "vpn.example.net", 51820, P1, S1);
	add_cidr(&t->addresses, "10.9.0.2/32");
	add_cidr(&t->allowed_ips, "0.0.0.0/0");
	add_cidr(&t->allowed_ips, "::/0");
	add_ip(&t->dns, "10.9.0.1");
	t->keepalive = 25;
	t->mtu = 1420;
}

/* p built, parsed back, equal, and built again to the same bytes. */
static void assert_round_trip(const struct profile *p)
{
	struct profile q = { 0 };
	char why[256], *text, *text2;
	size_t len, len2;

	text = profile_build(p, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	if (profile_parse(text, len, &q, why, sizeof(why)) != 0)
		fail_msg("built text does not parse: %s\n%s", why, text);
	assert_true(profile_equal(p, &q));
	text2 = profile_build(&q, &len2);
	assert_non_null(text2);
	assert_string_equal(text, text2);
	profile_text_free(text, len);
	profile_text_free(text2, len2);
	profile_clear(&q);
}

static void test_build_exact(void **state)
{
	struct profile p;
	char *text;
	size_t len;

	(void)state;
	example(&p);
	text = profile_build(&p, &len);
	assert_non_null(text);
	assert_string_equal(text, EXAMPLE);
	assert_int_equal(len, strlen(EXAMPLE));
	profile_text_free(text, len);

	/* Without a preshared key the member is left out, not written empty. */
	p.tunnels[0].has_preshared_key = false;
	text = profile_build(&p, NULL);
	assert_non_null(text);
	assert_null(strstr(text, "preshared_key"));
	assert_non_null(strstr(text, "\"public_key\":\"" P1 "\",\"addresses\""));
	profile_text_free(text, strlen(text));
	profile_clear(&p);

	/* No tunnels at all is a valid answer: the device has none assigned. */
	snprintf(p.device, sizeof(p.device), "d");
	text = profile_build(&p, &len);
	assert_string_equal(text, "{\"version\":1,\"device\":\"d\",\"serial\":0,\"issued\":0,"
			    "\"tunnels\":[]}");
	profile_text_free(text, len);
}

static void test_round_trip(void **state)
{
	struct profile p, q = { 0 };
	struct profile_tunnel *t;
	char why[256];

	(void)state;
	example(&p);
	assert_round_trip(&p);

	/* IPv6 endpoint (bracketed in the text), no preshared key, v6 DNS, extremes. */
	p.serial = UINT64_MAX;
	p.issued = INT64_MIN;
	snprintf(p.device, sizeof(p.device), "branch-\"7\"\\x");
	t = add_tunnel(&p, "dc_2", "2001:db8::1", 65535, P2, NULL);
	add_cidr(&t->addresses, "10.9.1.2/24");
	add_cidr(&t->addresses, "fd00::2/64");
	add_cidr(&t->allowed_ips, "10.0.0.0/8");
	add_cidr(&t->allowed_ips, "fd00::/8");
	add_ip(&t->dns, "fd00::53");
	add_ip(&t->dns, "10.9.1.1");
	t->keepalive = 65535;
	t->mtu = 0;
	t = add_tunnel(&p, "z-9", "192.0.2.1", 1, P1, S1);
	t->mtu = 65535;
	t = add_tunnel(&p, "link", "fe80::1%eth0", 51820, P2, NULL);
	t->mtu = 1280;
	add_ip(&t->dns, "::1");
	assert_round_trip(&p);

	/* The IPv6 endpoint is written as [addr]:port and read back without brackets. */
	{
		char *text = profile_build(&p, NULL);

		assert_non_null(strstr(text, "\"endpoint\":\"[2001:db8::1]:65535\""));
		assert_non_null(strstr(text, "\"endpoint\":\"[fe80::1%eth0]:51820\""));
		assert_non_null(strstr(text, "\"device\":\"branch-\\\"7\\\"\\\\x\""));
		assert_int_equal(profile_parse(text, strlen(text), &q, why, sizeof(why)), 0);
		assert_string_equal(q.tunnels[1].endpoint_host, "2001:db8::1");
		assert_int_equal(q.tunnels[1].endpoint_port, 65535);
		assert_false(q.tunnels[1].has_preshared_key);
		assert_true(q.tunnels[2].has_preshared_key);
		assert_int_equal(q.serial, UINT64_MAX);
		assert_true(q.issued == INT64_MIN);
		profile_text_free(text, strlen(text));
		profile_clear(&q);
	}

	/* Different contents are told apart. */
	example(&q);
	assert_false(profile_equal(&p, &q));
	profile_clear(&q);
	profile_clear(&p);
	assert_null(p.tunnels);
	assert_int_equal(p.n_tunnels, 0);
	profile_clear(&p);      /* again: cleared is reusable */
	profile_clear(NULL);
}

/* Parsing accepts what the builder would not write byte for byte, as the same profile. */
static void test_parse_lenient_spelling(void **state)
{
	static const char text[] =
		" {\"tunnels\":[{\"mtu\":0,\"keepalive\":0,\"dns\":[],\"allowed_ips\":[],"
		"\"addresses\":[\"10.9.0.2\"],\"public_key\":\"" P1 "\",\"endpoint\":\"h:51820\","
		"\"name\":\"a\"}],\"issued\":-5,\"serial\":0,\"device\":\"x\",\"version\":1}\n";
	struct profile p = { 0 };
	char why[256];

	(void)state;
	assert_int_equal(profile_parse(text, strlen(text), &p, why, sizeof(why)), 0);
	assert_int_equal(p.n_tunnels, 1);
	assert_int_equal(p.tunnels[0].addresses.n, 1);
	assert_int_equal(p.tunnels[0].addresses.v[0].prefix, 32);
	assert_int_equal(p.issued, -5);
	assert_round_trip(&p);
	profile_clear(&p);
}

static void test_build_refuses(void **state)
{
	struct profile p;
	struct profile_tunnel *t;
	size_t i;

	(void)state;
#define REFUSED(change) do { example(&p); t = &p.tunnels[0]; (void)t; change; \
		assert_null(profile_build(&p, NULL)); profile_clear(&p); } while (0)
	REFUSED(snprintf(t->name, sizeof(t->name), "HQ"));
	REFUSED(t->name[0] = '\0');
	REFUSED(memset(t->name, 'a', sizeof(t->name)));   /* not even terminated */
	REFUSED(add_tunnel(&p, "hq", "h", 1, P1, NULL));
	REFUSED(p.device[0] = '\0');
	REFUSED(snprintf(p.device, sizeof(p.device), "gw 1"));
	REFUSED(memset(p.device, 'a', sizeof(p.device)));
	REFUSED(free(t->endpoint_host); t->endpoint_host = NULL);
	REFUSED(free(t->endpoint_host); t->endpoint_host = xstrdup(""));
	REFUSED(free(t->endpoint_host); t->endpoint_host = xstrdup("a:b"));
	REFUSED(free(t->endpoint_host); t->endpoint_host = xstrdup("bad_host"));
	REFUSED(t->endpoint_port = 0);
	REFUSED(t->mtu = 1279);
	REFUSED(t->mtu = 65536);
	REFUSED(add_cidr(&t->allowed_ips, "10.0.0.1/8"));
	REFUSED(t->addresses.v[0].family = 0);
	REFUSED(t->addresses.v[0].prefix = 33);
	REFUSED(for (i = 0; i < PROFILE_MAX_LIST; i++) add_ip(&t->dns, "10.0.0.1"));
	REFUSED(for (i = 1; i <= PROFILE_MAX_TUNNELS; i++) {
			char n[8];

			snprintf(n, sizeof(n), "t%zu", i);
			add_tunnel(&p, n, "h", 1, P1, NULL);
		});
#undef REFUSED

	/* The limits themselves are fine. */
	example(&p);
	for (i = 1; i < PROFILE_MAX_TUNNELS; i++) {
		char n[8];

		snprintf(n, sizeof(n), "t%zu", i);
		add_tunnel(&p, n, "h", 1, P1, NULL);
	}
	for (i = 1; i < PROFILE_MAX_LIST; i++)
		add_ip(&p.tunnels[0].dns, "10.0.0.1");
	memset(p.device, 'd', PROFILE_DEVICE_MAX);
	assert_round_trip(&p);
	profile_clear(&p);
}

static void keypair(uint8_t pk[crypto_sign_PUBLICKEYBYTES], uint8_t sk[crypto_sign_SECRETKEYBYTES],
		    uint8_t seedbyte)
{
	uint8_t seed[crypto_sign_SEEDBYTES];

	memset(seed, seedbyte, sizeof(seed));
	assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
}

static void test_sign_verify(void **state)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	uint8_t pk2[crypto_sign_PUBLICKEYBYTES], sk2[crypto_sign_SECRETKEYBYTES];
	char sig[PROFILE_SIG_B64_LEN], bad[PROFILE_SIG_B64_LEN + 2], text[] = EXAMPLE;
	size_t len = strlen(text);

	(void)state;
	keypair(pk, sk, 1);
	keypair(pk2, sk2, 2);
	profile_sign(sk, text, len, sig);
	assert_int_equal(strlen(sig), 88);
	assert_int_equal(sig[87], '=');
	assert_int_equal(profile_verify(pk, text, len, sig), 0);

	/* Ed25519 is deterministic: the same key and bytes give the same signature. */
	profile_sign(sk, text, len, bad);
	assert_string_equal(sig, bad);

	/* a flipped byte in the text, and one byte less */
	text[20] ^= 1;
	assert_int_equal(profile_verify(pk, text, len, sig), -EBADMSG);
	text[20] ^= 1;
	assert_int_equal(profile_verify(pk, text, len - 1, sig), -EBADMSG);

	/* a flipped bit in the signature (still valid base64) */
	memcpy(bad, sig, sizeof(sig));
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	assert_int_equal(profile_verify(pk, text, len, bad), -EBADMSG);

	/* another key */
	assert_int_equal(profile_verify(pk2, text, len, sig), -EBADMSG);
	profile_sign(sk2, text, len, bad);
	assert_int_equal(profile_verify(pk, text, len, bad), -EBADMSG);
	assert_int_equal(profile_verify(pk2, text, len, bad), 0);

	/* malformed base64: wrong characters, lengths, padding, spelling */
	assert_int_equal(profile_verify(pk, text, len, NULL), -EBADMSG);
	assert_int_equal(profile_verify(pk, text, len, ""), -EBADMSG);
	assert_int_equal(profile_verify(pk, text, len, "!!!!"), -EBADMSG);
	memcpy(bad, sig, sizeof(sig));
	bad[5] = '!';
	assert_int_equal(profile_verify(pk, text, len, bad), -EBADMSG);
	memcpy(bad, sig, sizeof(sig));
	bad[87] = 'A';                          /* padding replaced */
	assert_int_equal(profile_verify(pk, text, len, bad), -EBADMSG);
	memcpy(bad, sig, sizeof(sig));
	bad[86] = '\0';                         /* truncated */
	assert_int_equal(profile_verify(pk, text, len, bad), -EBADMSG);
	snprintf(bad, sizeof(bad), "%s\n", sig);   /* trailing newline */
	assert_int_equal(profile_verify(pk, text, len, bad), -EBADMSG);
	snprintf(bad, sizeof(bad), "%sAA", sig);   /* too long */
	assert_int_equal(profile_verify(pk, text, len, bad), -EBADMSG);
	memcpy(bad, sig, sizeof(sig));
	/* The last character before "==" carries 4 unused bits: setting one spells the
	 * same bytes differently, which is refused. */
	assert_int_equal(bad[86], '=');
	assert_non_null(strchr("AQgw", bad[85]));
	bad[85]++;
	assert_int_equal(profile_verify(pk, text, len, bad), -EBADMSG);
	/* the base64url alphabet is not the original one */
	memcpy(bad, sig, sizeof(sig));
	{
		size_t i;
		bool changed = false;

		for (i = 0; i < 86; i++) {
			if (bad[i] == '+' || bad[i] == '/') {
				bad[i] = bad[i] == '+' ? '-' : '_';
				changed = true;
			}
		}
		if (changed)
			assert_int_equal(profile_verify(pk, text, len, bad), -EBADMSG);
	}
}

static void test_etag(void **state)
{
	char e1[PROFILE_ETAG_LEN], e2[PROFILE_ETAG_LEN];
	size_t i;

	(void)state;
	/* BLAKE2b-256 of nothing is 0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8 */
	profile_etag("", 0, e1);
	assert_string_equal(e1, "\"0e5751c026e543b2e8ab2eb06099daa1\"");

	profile_etag(EXAMPLE, strlen(EXAMPLE), e1);
	assert_int_equal(strlen(e1), PROFILE_ETAG_LEN - 1);
	assert_int_equal(e1[0], '"');
	assert_int_equal(e1[PROFILE_ETAG_LEN - 2], '"');
	for (i = 1; i < PROFILE_ETAG_LEN - 2; i++)
		assert_non_null(strchr("0123456789abcdef", e1[i]));
	profile_etag(EXAMPLE, strlen(EXAMPLE), e2);
	assert_string_equal(e1, e2);
	profile_etag(EXAMPLE, strlen(EXAMPLE) - 1, e2);
	assert_string_not_equal(e1, e2);
}

struct bad {
	const char *text;
	const char *why;
};

static void expect_refusal(const char *text, size_t len, const char *want)
{
	struct profile p;
	char why[512];

	memset(&p, 0xa5, sizeof(p));            /* parse must not trust what p held */
	if (profile_parse(text, len, &p, why, sizeof(why)) != -EINVAL)
		fail_msg("accepted: %.200s", text);
	if (strcmp(why, want) != 0)
		fail_msg("for %.300s\n  got:  %s\n  want: %s", text, why, want);
	assert_null(strchr(why, '\n'));
	assert_null(p.tunnels);
	assert_int_equal(p.n_tunnels, 0);
	assert_int_equal(p.device[0], '\0');
}

static void test_parse_refusals(void **state)
{
	static const struct bad bad[] = {
		{ "", "not valid JSON at byte 0: unexpected end of input" },
		{ "[]", "not a JSON object" },
		{ DOC(TUN) "x", "not valid JSON at byte 281: trailing characters after the document" },
		{ DOC(TUN) ",{}", "not valid JSON at byte 281: trailing characters after the document" },
		{ "{\"version\":2,\"future\":true}", "version: 2 is not supported" },
		{ "{\"version\":\"1\"}", "version: not an integer" },
		{ "{\"version\":1.0}", "version: not an integer" },
		{ "{\"version\":1,\"device\":\"gw1\",\"serial\":7,\"issued\":1,\"tunnels\":[],\"foo\":1}",
		  "unknown member \"foo\"" },
		{ "{\"fo\\\"o\\n\":1}", "unknown member \"fo\\\"o\\x0a\"" },
		{ "{\"version\":1,\"device\":\"gw1\",\"serial\":7,\"serial\":8,\"issued\":1,\"tunnels\":[]}",
		  "member \"serial\" appears twice" },
		{ "{\"version\":1,\"device\":\"gw1\",\"serial\":7,\"tunnels\":[]}",
		  "missing member \"issued\"" },
		{ "{\"device\":\"gw1\",\"serial\":7,\"issued\":1,\"tunnels\":[]}",
		  "missing member \"version\"" },
		{ "{\"version\":1,\"device\":\"gw1\\u0000\",\"serial\":7,\"issued\":1,\"tunnels\":[]}",
		  "a string holds \\u0000" },
		{ "{\"version\":1,\"device\":\"gw1\",\"serial\":7,\"issued\":1,\"tunnels\":[],"
		  "\"version\\u0000x\":2}", "a string holds \\u0000" },
		{ "{\"version\":1,\"device\":5,\"serial\":7,\"issued\":1,\"tunnels\":[]}",
		  "device: not a string" },
		{ "{\"version\":1,\"device\":\"\",\"serial\":7,\"issued\":1,\"tunnels\":[]}",
		  "device: \"\" is not 1 to 64 printable ASCII characters without spaces" },
		{ "{\"version\":1,\"device\":\"gw 1\",\"serial\":7,\"issued\":1,\"tunnels\":[]}",
		  "device: \"gw 1\" is not 1 to 64 printable ASCII characters without spaces" },
		{ "{\"version\":1,\"device\":\"gw1\",\"serial\":-1,\"issued\":1,\"tunnels\":[]}",
		  "serial: not a non-negative integer" },
		{ "{\"version\":1,\"device\":\"gw1\",\"serial\":\"7\",\"issued\":1,\"tunnels\":[]}",
		  "serial: not a non-negative integer" },
		{ "{\"version\":1,\"device\":\"gw1\",\"serial\":18446744073709551616,\"issued\":1,"
		  "\"tunnels\":[]}", "serial: not a non-negative integer" },
		{ "{\"version\":1,\"device\":\"gw1\",\"serial\":7,\"issued\":1e9,\"tunnels\":[]}",
		  "issued: not an integer" },
		{ "{\"version\":1,\"device\":\"gw1\",\"serial\":7,\"issued\":1,\"tunnels\":{}}",
		  "tunnels: not an array" },
		{ DOC("null"), "tunnels[0]: not an object" },
		{ DOC(TUN_(NAME, EP, KEY, ADDR, ALLOW, DNS, "25", "1420", ",\"hooks\":[]")),
		  "tunnels[0]: unknown member \"hooks\"" },
		{ DOC("{\"name\":\"hq\"}"), "tunnels[0]: missing member \"endpoint\"" },
		{ DOC(TUN "," TUN_("\"HQ\"", EP, KEY, ADDR, ALLOW, DNS, "25", "1420", "")),
		  "tunnels[1].name: \"HQ\" is not [a-z0-9_-]{1,12}" },
		{ DOC(TUN_("\"abcdefghijklm\"", EP, KEY, ADDR, ALLOW, DNS, "25", "1420", "")),
		  "tunnels[0].name: \"abcdefghijklm\" is not [a-z0-9_-]{1,12}" },
		{ DOC(TUN_("\"h\\nq\"", EP, KEY, ADDR, ALLOW, DNS, "25", "1420", "")),
		  "tunnels[0].name: \"h\\x0aq\" is not [a-z0-9_-]{1,12}" },
		{ DOC(TUN_("\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\u00e9\\u00e9\"", EP, KEY, ADDR,
			   ALLOW, DNS, "25", "1420", "")),
		  "tunnels[0].name: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9\"... "
		  "is not [a-z0-9_-]{1,12}" },
		{ DOC(TUN_("7", EP, KEY, ADDR, ALLOW, DNS, "25", "1420", "")),
		  "tunnels[0].name: not a string" },
		{ DOC(TUN "," TUN), "tunnels[1].name: \"hq\" is also the name of tunnels[0]" },
		{ DOC(TUN_(NAME, "\"vpn.example.net:0\"", KEY, ADDR, ALLOW, DNS, "25", "1420", "")),
		  "tunnels[0].endpoint: port out of range" },
		{ DOC(TUN_(NAME, "\"vpn.example.net\"", KEY, ADDR, ALLOW, DNS, "25", "1420", "")),
		  "tunnels[0].endpoint: port missing" },
		{ DOC(TUN_(NAME, "\"2001:db8::1:51820\"", KEY, ADDR, ALLOW, DNS, "25", "1420", "")),
		  "tunnels[0].endpoint: an IPv6 address needs brackets, as in [2001:db8::1]:51820" },
		{ DOC(TUN_(NAME, "\"[fe80::1%\\u00e9]:1\"", KEY, ADDR, ALLOW, DNS, "25", "1420", "")),
		  "tunnels[0].endpoint: host is not printable ASCII" },
		{ DOC(TUN_(NAME, EP, "\"" P1 "x\"", ADDR, ALLOW, DNS, "25", "1420", "")),
		  "tunnels[0].public_key: not a valid key (44 characters of base64)" },
		{ DOC(TUN_(NAME, EP, "\"QskunAMGW2ajaEorHds1utre+JztLMjKyvytRS8QTwQ\"", ADDR, ALLOW,
			   DNS, "25", "1420", "")),
		  "tunnels[0].public_key: not a valid key (44 characters of base64)" },
		{ DOC(TUN_(NAME, EP, KEY, ADDR, ALLOW, DNS, "25", "1420", ",\"preshared_key\":null")),
		  "tunnels[0].preshared_key: not a string" },
		{ DOC(TUN_(NAME, EP, KEY, ADDR, ALLOW, DNS, "25", "1420",
			   ",\"preshared_key\":\"secret-but-bad\"")),
		  "tunnels[0].preshared_key: not a valid key (44 characters of base64)" },
		{ DOC(TUN_(NAME, EP, KEY, "\"10.9.0.2/32\"", ALLOW, DNS, "25", "1420", "")),
		  "tunnels[0].addresses: not an array" },
		{ DOC(TUN_(NAME, EP, KEY, "[\"10.9.0.300/32\"]", ALLOW, DNS, "25", "1420", "")),
		  "tunnels[0].addresses[0]: \"10.9.0.300/32\" is not an IP address or prefix" },
		{ DOC(TUN_(NAME, EP, KEY, "[\"10.9.0.2/32\",1]", ALLOW, DNS, "25", "1420", "")),
		  "tunnels[0].addresses[1]: not a string" },
		{ DOC(TUN_(NAME, EP, KEY, ADDR, "[\"0.0.0.0/0\",\"::/129\"]", DNS, "25", "1420", "")),
		  "tunnels[0].allowed_ips[1]: \"::/129\" has a prefix length out of range" },
		{ DOC(TUN_(NAME, EP, KEY, ADDR, "[\"10.0.0.1/8\"]", DNS, "25", "1420", "")),
		  "tunnels[0].allowed_ips[0]: \"10.0.0.1/8\" has host bits set (the network is 10.0.0.0/8)" },
		{ DOC(TUN_(NAME, EP, KEY, ADDR, ALLOW, "[\"10.9.0.1/32\"]", "25", "1420", "")),
		  "tunnels[0].dns[0]: \"10.9.0.1/32\" is not an IP address" },
		{ DOC(TUN_(NAME, EP, KEY, ADDR, ALLOW, "[\"dns.example.net\"]", "25", "1420", "")),
		  "tunnels[0].dns[0]: \"dns.example.net\" is not an IP address" },
		{ DOC(TUN_(NAME, EP, KEY, ADDR, ALLOW, DNS, "65536", "1420", "")),
		  "tunnels[0].keepalive: 65536 is out of range (0-65535)" },
		{ DOC(TUN_(NAME, EP, KEY, ADDR, ALLOW, DNS, "-1", "1420", "")),
		  "tunnels[0].keepalive: -1 is out of range (0-65535)" },
		{ DOC(TUN_(NAME, EP, KEY, ADDR, ALLOW, DNS, "true", "1420", "")),
		  "tunnels[0].keepalive: not an integer" },
		{ DOC(TUN_(NAME, EP, KEY, ADDR, ALLOW, DNS, "25", "576", "")),
		  "tunnels[0].mtu: 576 is out of range (1280-65535, or 0 for automatic)" },
		{ DOC(TUN_(NAME, EP, KEY, ADDR, ALLOW, DNS, "25", "1420.5", "")),
		  "tunnels[0].mtu: not an integer" },
	};
	size_t i;

	(void)state;
	/* The byte offsets above are the length of DOC(TUN). */
	assert_int_equal(strlen(DOC(TUN)), 281);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		expect_refusal(bad[i].text, strlen(bad[i].text), bad[i].why);
}

/* n tunnels t0..t(n-1), or one tunnel with n addresses. */
static char *many(size_t n, bool addresses)
{
	struct json j = { 0 };
	size_t i;

	json_raw(&j, HEAD, strlen(HEAD));
	if (addresses) {
		json_rawf(&j, "{\"name\":\"hq\",\"endpoint\":" EP ",\"public_key\":" KEY
			  ",\"allowed_ips\":[],\"dns\":[],\"keepalive\":0,\"mtu\":0,\"addresses\":[");
		for (i = 0; i < n; i++)
			json_rawf(&j, "%s\"10.0.%zu.%zu\"", i ? "," : "", i / 256, i % 256);
		json_rawf(&j, "]}");
	} else {
		for (i = 0; i < n; i++)
			json_rawf(&j, "%s" TUN_("\"t%zu\"", EP, KEY, ADDR, ALLOW, DNS, "25", "1420", ""),
				  i ? "," : "", i);
	}
	json_rawf(&j, "]}");
	return json_steal(&j, NULL);
}

static void test_parse_limits(void **state)
{
	struct profile p = { 0 };
	char why[256], *text;
	size_t n;

	(void)state;
	text = many(PROFILE_MAX_TUNNELS, false);
	assert_int_equal(profile_parse(text, strlen(text), &p, why, sizeof(why)), 0);
	assert_int_equal(p.n_tunnels, PROFILE_MAX_TUNNELS);
	profile_clear(&p);
	free(text);
	text = many(PROFILE_MAX_TUNNELS + 1, false);
	expect_refusal(text, strlen(text), "tunnels: more than 32 tunnels");
	free(text);

	text = many(PROFILE_MAX_LIST, true);
	assert_int_equal(profile_parse(text, strlen(text), &p, why, sizeof(why)), 0);
	assert_int_equal(p.tunnels[0].addresses.n, PROFILE_MAX_LIST);
	profile_clear(&p);
	free(text);
	text = many(PROFILE_MAX_LIST + 1, true);
	expect_refusal(text, strlen(text), "tunnels[0].addresses: more than 256 entries");
	free(text);

	/* Exactly PROFILE_MAX_BYTES is read (white space is allowed around the document);
	 * one more byte is refused before it is looked at. */
	n = strlen(EXAMPLE);
	text = xmalloc(PROFILE_MAX_BYTES + 1);
	memcpy(text, EXAMPLE, n);
	memset(text + n, ' ', PROFILE_MAX_BYTES + 1 - n);
	assert_int_equal(profile_parse(text, PROFILE_MAX_BYTES, &p, why, sizeof(why)), 0);
	profile_clear(&p);
	expect_refusal(text, PROFILE_MAX_BYTES + 1, "larger than 1048576 bytes");
	free(text);

	/* The text need not be NUL-terminated: len is the document. */
	text = xstrdup(EXAMPLE "garbage");
	assert_int_equal(profile_parse(text, strlen(EXAMPLE), &p, why, sizeof(why)), 0);
	profile_clear(&p);
	free(text);
}

static void test_parse_why_buffer(void **state)
{
	static const char text[] = "{\"version\":2}";
	struct profile p = { 0 };
	char why[8];

	(void)state;
	/* A short buffer gets a truncated message; no buffer is fine too. */
	assert_int_equal(profile_parse(text, strlen(text), &p, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "version");
	assert_int_equal(profile_parse(text, strlen(text), &p, NULL, 0), -EINVAL);
	assert_int_equal(profile_parse(EXAMPLE, strlen(EXAMPLE), &p, NULL, 0), 0);
	profile_clear(&p);
}

/* What an agent does: verify, then parse the same bytes, then compare serials. */
static void test_signed_example(void **state)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char sig[PROFILE_SIG_B64_LEN], why[256], *text;
	struct profile p, q = { 0 };
	size_t len;

	(void)state;
	keypair(pk, sk, 7);
	example(&p);
	text = profile_build(&p, &len);
	profile_sign(sk, text, len, sig);
	assert_int_equal(profile_verify(pk, text, len, sig), 0);
	assert_int_equal(profile_parse(text, len, &q, why, sizeof(why)), 0);
	assert_true(profile_equal(&p, &q));
	assert_int_equal(q.serial, 7);
	profile_text_free(text, len);
	profile_text_free(NULL, 0);
	profile_clear(&p);
	profile_clear(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_exact),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_parse_lenient_spelling),
		cmocka_unit_test(test_build_refuses),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_etag),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_parse_why_buffer),
		cmocka_unit_test(test_signed_example),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
