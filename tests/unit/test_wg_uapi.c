/* The userspace backend's UAPI text: set requests built exactly, get and set replies parsed
 * strictly. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "netcfg/wg.h"

#define K1 "1111111111111111111111111111111111111111111111111111111111111111"
#define K2 "2222222222222222222222222222222222222222222222222222222222222222"
#define K3 "3333333333333333333333333333333333333333333333333333333333333333"
#define K4 "4444444444444444444444444444444444444444444444444444444444444444"

static void test_set_text(void **state)
{
	struct wg_device *d;
	struct wg_peer *p;
	uint8_t k[KEY_LEN];
	struct cidr c;
	size_t len;
	char *t;

	assert_int_equal(wg_device_new(&d, "wgu0"), 0);
	d->flags = WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_LISTEN_PORT | WG_DEVICE_HAS_FWMARK |
		   WG_DEVICE_REPLACE_PEERS;
	memset(d->private_key, 0x11, KEY_LEN);
	d->listen_port = 51820;
	d->fwmark = 87;
	memset(k, 0x22, KEY_LEN);
	p = wg_device_add_peer(d, k);
	p->flags = WG_PEER_UPDATE_ONLY | WG_PEER_HAS_PRESHARED_KEY | WG_PEER_HAS_KEEPALIVE |
		   WG_PEER_REPLACE_ALLOWEDIPS;
	memset(p->preshared_key, 0x33, KEY_LEN);
	p->persistent_keepalive = 25;
	p->endpoint.in6.sin6_family = AF_INET6;
	p->endpoint.in6.sin6_port = htons(443);
	inet_pton(AF_INET6, "2001:db8::1", &p->endpoint.in6.sin6_addr);
	cidr_parse(&c, "10.0.0.0/8");
	wg_peer_add_allowed_ip(p, &c);
	cidr_parse(&c, "fd00::/64");
	wg_peer_add_allowed_ip(p, &c);
	memset(k, 0x44, KEY_LEN);
	p = wg_device_add_peer(d, k);
	p->flags = WG_PEER_REMOVE_ME;
	wg_peer_add_allowed_ip(p, &c);  /* never sent for a removed peer */
	memset(k, 0x55, KEY_LEN);
	p = wg_device_add_peer(d, k);
	p->endpoint.in.sin_family = AF_INET;
	p->endpoint.in.sin_port = htons(1);
	inet_pton(AF_INET, "192.0.2.9", &p->endpoint.in.sin_addr);

	t = wg_uapi_set_text(d, &len);
	assert_string_equal(t,
		"set=1\n"
		"private_key=" K1 "\n"
		"listen_port=51820\n"
		"fwmark=87\n"
		"replace_peers=true\n"
		"public_key=" K2 "\n"
		"update_only=true\n"
		"preshared_key=" K3 "\n"
		"endpoint=[2001:db8::1]:443\n"
		"persistent_keepalive_interval=25\n"
		"replace_allowed_ips=true\n"
		"allowed_ip=10.0.0.0/8\n"
		"allowed_ip=fd00::/64\n"
		"public_key=" K4 "\n"
		"remove=true\n"
		"public_key=5555555555555555555555555555555555555555555555555555555555555555\n"
		"endpoint=192.0.2.9:1\n"
		"\n");
	assert_int_equal(len, strlen(t));
	wg_uapi_text_free(t, len);
	wg_device_free(d);
}

static const char good[] =
	"private_key=" K1 "\n"
	"listen_port=51820\n"
	"fwmark=7\n"
	"public_key=" K2 "\n"
	"preshared_key=" K3 "\n"
	"protocol_version=1\n"
	"endpoint=[fe80::1%2]:5\n"
	"last_handshake_time_sec=1700000000\n"
	"last_handshake_time_nsec=5\n"
	"tx_bytes=10\n"
	"rx_bytes=18446744073709551615\n"
	"persistent_keepalive_interval=25\n"
	"allowed_ip=10.0.0.0/24\n"
	"allowed_ip=fd00::/64\n"
	"some_future_key=whatever\n"
	"public_key=" K4 "\n"
	"preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
	"endpoint=192.0.2.1:51820\n"
	"persistent_keepalive_interval=0\n"
	"errno=0\n"
	"\n";

static void test_parse_get(void **state)
{
	struct wg_device *d;
	struct wg_peer *p;
	char buf[64];

	assert_int_equal(wg_device_new(&d, "wgu0"), 0);
	assert_int_equal(wg_uapi_parse_get(good, strlen(good), d), 0);
	assert_int_equal(d->flags, WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_LISTEN_PORT | WG_DEVICE_HAS_FWMARK);
	assert_int_equal(d->private_key[0], 0x11);
	assert_int_equal(d->listen_port, 51820);
	assert_int_equal(d->fwmark, 7);
	assert_int_equal(d->n_peers, 2);
	p = &d->peers[0];
	assert_int_equal(p->public_key[31], 0x22);
	assert_int_equal(p->flags, WG_PEER_HAS_PRESHARED_KEY | WG_PEER_HAS_KEEPALIVE);
	assert_int_equal(p->preshared_key[0], 0x33);
	assert_int_equal(p->endpoint.sa.sa_family, AF_INET6);
	assert_int_equal(p->endpoint.in6.sin6_scope_id, 2);
	assert_int_equal(ntohs(p->endpoint.in6.sin6_port), 5);
	assert_int_equal(p->last_handshake_sec, 1700000000);
	assert_int_equal(p->last_handshake_nsec, 5);
	assert_int_equal(p->tx_bytes, 10);
	assert_true(p->rx_bytes == UINT64_MAX);
	assert_int_equal(p->persistent_keepalive, 25);
	assert_int_equal(p->n_allowed_ips, 2);
	assert_string_equal(cidr_fmt(&p->allowed_ips[1], buf), "fd00::/64");
	p = &d->peers[1];
	assert_int_equal(p->flags, 0);  /* zero key and keepalive 0 are "none" */
	assert_int_equal(p->endpoint.sa.sa_family, AF_INET);
	assert_int_equal(ntohs(p->endpoint.in.sin_port), 51820);
	wg_device_free(d);
}

static void test_parse_get_errno(void **state)
{
	struct wg_device *d;

	assert_int_equal(wg_device_new(&d, "wgu0"), 0);
	/* wireguard-go sends negative numbers, others positive ones. */
	assert_int_equal(wg_uapi_parse_get("errno=-19\n\n", 11, d), -ENODEV);
	assert_int_equal(wg_uapi_parse_get("errno=19\n\n", 10, d), -ENODEV);
	assert_int_equal(wg_uapi_parse_get("errno=0\n\n", 9, d), 0);
	assert_int_equal(d->n_peers, 0);
	wg_device_free(d);
	assert_int_equal(wg_uapi_parse_errno("errno=0\n\n", 9), 0);
	assert_int_equal(wg_uapi_parse_errno("errno=-22\n\n", 11), -EINVAL);
	assert_int_equal(wg_uapi_parse_errno("errno=0\n", 8), -EBADMSG);
	assert_int_equal(wg_uapi_parse_errno("\n\n", 2), -EBADMSG);
	assert_int_equal(wg_uapi_parse_errno("listen_port=1\nerrno=0\n\n", 23), -EBADMSG);
	assert_int_equal(wg_uapi_parse_errno("errno=-0\n\n", 10), -EBADMSG);
	assert_int_equal(wg_uapi_parse_errno("errno=x\n\n", 9), -EBADMSG);
	assert_int_equal(wg_uapi_parse_errno("errno=99999999999\n\n", 19), -EBADMSG);
}

static void test_parse_get_malformed(void **state)
{
	static const char *bad[] = {
		"",                                                  /* nothing */
		"listen_port=1\n\n",                                 /* no errno */
		"errno=0\n",                                         /* no blank line */
		"errno=0\nlisten_port=1\n\n",                        /* errno not last */
		"errno=0\n\n\n",                                     /* more after the end */
		"listen_port\nerrno=0\n\n",                          /* no '=' */
		"=1\nerrno=0\n\n",                                   /* no key */
		"listen_port=\nerrno=0\n\n",                         /* no value */
		"listen_port=65536\nerrno=0\n\n",                    /* out of range */
		"listen_port=-1\nerrno=0\n\n",
		"listen_port=+1\nerrno=0\n\n",
		"listen_port= 1\nerrno=0\n\n",
		"listen_port=01\nerrno=0\n\n",
		"fwmark=4294967296\nerrno=0\n\n",
		"private_key=111\nerrno=0\n\n",                      /* short key */
		"private_key=" K1 "1\nerrno=0\n\n",                  /* long key */
		"private_key=g111111111111111111111111111111111111111111111111111111111111111\nerrno=0\n\n",
		"allowed_ip=10.0.0.0/8\nerrno=0\n\n",                /* peer key before a peer */
		"Bad-Key=1\nerrno=0\n\n",                            /* not a key at all */
		"public_key=" K1 "\nlisten_port=1\nerrno=0\n\n",     /* device key inside a peer */
		"public_key=" K1 "\nallowed_ip=10.0.0.0\nerrno=0\n\n",   /* no prefix */
		"public_key=" K1 "\nallowed_ip=10.0.0.0/33\nerrno=0\n\n",
		"public_key=" K1 "\nallowed_ip=10.0.0/8\nerrno=0\n\n",
		"public_key=" K1 "\nendpoint=1.2.3.4\nerrno=0\n\n",      /* no port */
		"public_key=" K1 "\nendpoint=1.2.3.4:70000\nerrno=0\n\n",
		"public_key=" K1 "\nendpoint=fd00::1:5\nerrno=0\n\n",    /* v6 without brackets */
		"public_key=" K1 "\nendpoint=[fd00::1:5\nerrno=0\n\n",
		"public_key=" K1 "\nendpoint=[1.2.3.4]:5\nerrno=0\n\n",
		"public_key=" K1 "\nendpoint=host.example:5\nerrno=0\n\n",
		"public_key=" K1 "\npersistent_keepalive_interval=65536\nerrno=0\n\n",
		"public_key=" K1 "\nlast_handshake_time_nsec=1000000000\nerrno=0\n\n",
		"public_key=" K1 "\nrx_bytes=18446744073709551616\nerrno=0\n\n",
		"public_key=" K1 "\npreshared_key=zz\nerrno=0\n\n",
		"public_key=\nerrno=0\n\n",
	};
	struct wg_device *d;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(wg_device_new(&d, "wgu0"), 0);
		if (wg_uapi_parse_get(bad[i], strlen(bad[i]), d) != -EBADMSG)
			fail_msg("accepted: %s", bad[i]);
		wg_device_free(d);
	}
	/* A NUL inside the text is malformed too. */
	assert_int_equal(wg_device_new(&d, "wgu0"), 0);
	assert_int_equal(wg_uapi_parse_get("fwmark=1\0\nerrno=0\n\n", 19, d), -EBADMSG);
	wg_device_free(d);
}

/* The daemon-side helpers refuse bad input before touching anything. */
static void test_start_args(void **state)
{
	pid_t pid;

	assert_int_equal(wg_uapi_start("wireguard-go", "bad/name", &pid), -EINVAL);
	assert_int_equal(wg_uapi_start("   ", "wgu0", &pid), -EINVAL);
	assert_int_equal(wg_uapi_start("wireguard-go", "much-too-long-name", &pid), -ENAMETOOLONG);
	/* A name must not lead the socket path out of its directory. */
	assert_int_equal(wg_uapi_stop("../../tmp/x"), -EINVAL);
	assert_int_equal(wg_uapi_stop(""), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_text),
		cmocka_unit_test(test_parse_get),
		cmocka_unit_test(test_parse_get_errno),
		cmocka_unit_test(test_parse_get_malformed),
		cmocka_unit_test(test_start_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
