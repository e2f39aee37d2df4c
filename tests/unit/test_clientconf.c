/* Client configurations: exact text, and warren's own wg-quick reader reading it back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profiles/wgquick.h"
#include "server/clientconf.h"

#define K1 "KLeLIKeNSHj6VO5UWFrJJhrKQpIZDBt6bM4My9eVFk4="
#define P1 "QskunAMGW2ajaEorHds1utre+JztLMjKyvytRS8QTwQ="
#define S1 "dtOs0ifGmD9Dnxs0ZUXr6HkDWPdyksqAC4WaTyojOyY="
#define P2 "ZhbsBKVajPFAw/ULimHeRRYHWnyQEu2KcTNBOSEdmmE="

struct fixture {
	struct cidrv addrs, dns, allowed;
	uint8_t priv[KEY_LEN], psk[KEY_LEN], user_pub[KEY_LEN];
	struct clientconf_server s;
	struct clientconf_user u;
};

static void push(struct cidrv *v, const char *s)
{
	struct cidr c;

	assert_int_equal(cidr_parse(&c, s), 0);
	cidrv_push(v, &c);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	push(&f->addrs, "10.9.0.2/32");
	push(&f->addrs, "fd09::2/128");
	push(&f->dns, "10.9.0.1");
	push(&f->dns, "fd09::1");
	push(&f->allowed, "0.0.0.0/0");
	push(&f->allowed, "::/0");
	assert_int_equal(key_from_base64(f->priv, K1), 0);
	assert_int_equal(key_from_base64(f->psk, S1), 0);
	assert_int_equal(key_from_base64(f->user_pub, P2), 0);
	assert_int_equal(key_from_base64(f->s.public_key, P1), 0);
	f->s.endpoint_host = "vpn.example.net";
	f->s.endpoint_port = 51820;
	f->s.dns = &f->dns;
	f->s.allowed_ips = &f->allowed;
	f->s.keepalive = 25;
	f->s.mtu = 1420;
	f->u.private_key = f->priv;
	f->u.preshared_key = f->psk;
	f->u.addresses = &f->addrs;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cidrv_clear(&f->addrs);
	cidrv_clear(&f->dns);
	cidrv_clear(&f->allowed);
	free(f);
	return 0;
}

static const char full[] =
	"[Interface]\n"
	"PrivateKey = " K1 "\n"
	"Address = 10.9.0.2/32, fd09::2/128\n"
	"DNS = 10.9.0.1, fd09::1\n"
	"MTU = 1420\n"
	"\n"
	"[Peer]\n"
	"PublicKey = " P1 "\n"
	"PresharedKey = " S1 "\n"
	"AllowedIPs = 0.0.0.0/0, ::/0\n"
	"Endpoint = vpn.example.net:51820\n"
	"PersistentKeepalive = 25\n";

/* Parse text with warren's reader; no errors, no warnings. */
static void parse(struct tunnel *t, const char *text)
{
	struct diag d = { 0 };

	tunnel_init(t);
	assert_int_equal(wgq_parse(t, "user.conf", text, strlen(text), &d), 0);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 0);
	diag_clear(&d);
}

static void test_exact(void **state)
{
	struct fixture *f = *state;
	char *text = clientconf_write(&f->s, &f->u);

	assert_non_null(text);
	assert_string_equal(text, full);
	clientconf_text_free(text);
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	char *text = clientconf_write(&f->s, &f->u);
	struct tunnel t;
	char buf[CIDR_STRLEN];

	assert_non_null(text);
	parse(&t, text);
	assert_true(t.has_private_key);
	assert_memory_equal(t.private_key, f->priv, KEY_LEN);
	assert_int_equal(t.addresses.n, 2);
	assert_string_equal(cidr_fmt(&t.addresses.v[0], buf), "10.9.0.2/32");
	assert_string_equal(cidr_fmt(&t.addresses.v[1], buf), "fd09::2/128");
	assert_int_equal(t.dns.n, 2);
	assert_string_equal(ip_fmt(&t.dns.v[1], buf), "fd09::1");
	assert_int_equal(t.mtu, 1420);
	assert_int_equal(t.n_peers, 1);
	assert_memory_equal(t.peers[0].public_key, f->s.public_key, KEY_LEN);
	assert_true(t.peers[0].has_preshared_key);
	assert_memory_equal(t.peers[0].preshared_key, f->psk, KEY_LEN);
	assert_int_equal(t.peers[0].allowed_ips.n, 2);
	assert_string_equal(cidr_fmt(&t.peers[0].allowed_ips.v[1], buf), "::/0");
	assert_string_equal(t.peers[0].endpoint_host, "vpn.example.net");
	assert_int_equal(t.peers[0].endpoint_port, 51820);
	assert_int_equal(t.peers[0].persistent_keepalive, 25);
	tunnel_clear(&t);
	clientconf_text_free(text);
}

/* A user who brought a public key: no PrivateKey line, a comment naming the key. */
static void test_no_private_key(void **state)
{
	struct fixture *f = *state;
	struct clientconf_user u = f->u;
	struct tunnel t;
	char *text;

	u.private_key = NULL;
	u.public_key = f->user_pub;
	text = clientconf_write(&f->s, &u);
	assert_non_null(text);
	assert_string_equal(text,
		"# PrivateKey missing: the server never saw it. Add under [Interface]:\n"
		"# PrivateKey = <the private key whose public key is " P2 ">\n"
		"[Interface]\n"
		"Address = 10.9.0.2/32, fd09::2/128\n"
		"DNS = 10.9.0.1, fd09::1\n"
		"MTU = 1420\n"
		"\n"
		"[Peer]\n"
		"PublicKey = " P1 "\n"
		"PresharedKey = " S1 "\n"
		"AllowedIPs = 0.0.0.0/0, ::/0\n"
		"Endpoint = vpn.example.net:51820\n"
		"PersistentKeepalive = 25\n");
	parse(&t, text);
	assert_false(t.has_private_key);
	assert_int_equal(t.n_peers, 1);
	tunnel_clear(&t);
	clientconf_text_free(text);

	u.public_key = NULL;
	text = clientconf_write(&f->s, &u);
	assert_non_null(text);
	assert_non_null(strstr(text, "# PrivateKey = <your private key>\n[Interface]\n"));
	clientconf_text_free(text);
}

/* Optional parts left out; an IPv6 endpoint gets brackets; wgq_equal on the round trip. */
static void test_minimal_v6(void **state)
{
	struct fixture *f = *state;
	struct clientconf_server s = f->s;
	struct clientconf_user u = f->u;
	struct cidrv one = { 0 };
	struct tunnel t;
	char *text, *again;

	push(&one, "fd09::7/128");
	s.endpoint_host = "2001:db8::1";
	s.dns = NULL;
	s.keepalive = 0;
	s.mtu = 0;
	u.preshared_key = NULL;
	u.addresses = &one;
	text = clientconf_write(&s, &u);
	assert_non_null(text);
	assert_string_equal(text,
		"[Interface]\n"
		"PrivateKey = " K1 "\n"
		"Address = fd09::7/128\n"
		"\n"
		"[Peer]\n"
		"PublicKey = " P1 "\n"
		"AllowedIPs = 0.0.0.0/0, ::/0\n"
		"Endpoint = [2001:db8::1]:51820\n");
	parse(&t, text);
	/* the parsed tunnel writes the same text again: nothing lost, nothing added */
	again = wgq_write(&t);
	assert_non_null(again);
	assert_string_equal(again, text);
	wgq_text_free(again);
	tunnel_clear(&t);
	clientconf_text_free(text);
	cidrv_clear(&one);
}

static void test_bad_endpoint(void **state)
{
	struct fixture *f = *state;
	struct clientconf_server s = f->s;

	s.endpoint_host = "bad host";
	errno = 0;
	assert_null(clientconf_write(&s, &f->u));
	assert_int_equal(errno, EINVAL);
	clientconf_text_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_private_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_minimal_v6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_endpoint, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
