/* wg_diff: the minimal change between two WireGuard devices, and the model around it. */
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

static void key_n(uint8_t k[KEY_LEN], unsigned n)
{
	memset(k, 0, KEY_LEN);
	k[0] = 0x40;
	k[1] = (uint8_t)(n >> 16);
	k[2] = (uint8_t)(n >> 8);
	k[3] = (uint8_t)n;
}

static struct wg_device *dev_new(void)
{
	struct wg_device *d;

	assert_int_equal(wg_device_new(&d, "wgt0"), 0);
	return d;
}

static struct wg_peer *peer_add(struct wg_device *d, unsigned n, const char *ips)
{
	uint8_t k[KEY_LEN];
	struct wg_peer *p;
	char buf[512], *s, *save = NULL;

	key_n(k, n);
	p = wg_device_add_peer(d, k);
	snprintf(buf, sizeof(buf), "%s", ips ? ips : "");
	for (s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		struct cidr c;

		assert_int_equal(cidr_parse(&c, s), 0);
		wg_peer_add_allowed_ip(p, &c);
	}
	return p;
}

static void set_ep4(struct wg_peer *p, const char *ip, uint16_t port)
{
	memset(&p->endpoint, 0, sizeof(p->endpoint));
	p->endpoint.in.sin_family = AF_INET;
	p->endpoint.in.sin_port = htons(port);
	inet_pton(AF_INET, ip, &p->endpoint.in.sin_addr);
}

static struct wg_device *diff(const struct wg_device *cur, const struct wg_device *des)
{
	struct wg_device *ch = NULL;

	assert_int_equal(wg_diff(cur, des, &ch), 0);
	assert_non_null(ch);
	return ch;
}

static void ips_are(const struct wg_peer *p, const char *want)
{
	char buf[64], got[1024] = "";
	size_t i;

	for (i = 0; i < p->n_allowed_ips; i++) {
		if (i)
			strcat(got, ",");
		strcat(got, cidr_fmt(&p->allowed_ips[i], buf));
	}
	assert_string_equal(got, want);
}

static void test_free_null(void **state)
{
	struct wg_device *d;

	wg_device_free(NULL);
	assert_int_equal(wg_device_new(&d, "this-name-is-too-long"), -ENAMETOOLONG);
	assert_int_equal(wg_device_new(&d, ""), -EINVAL);
	assert_int_equal(wg_device_new(&d, "a/b"), -EINVAL);
}

static void test_nothing_changed(void **state)
{
	struct wg_device *cur = dev_new(), *des = dev_new(), *ch;
	struct wg_peer *p;

	cur->flags = WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_LISTEN_PORT | WG_DEVICE_HAS_FWMARK;
	key_n(cur->private_key, 999);
	cur->listen_port = 51820;
	des->flags = cur->flags;
	memcpy(des->private_key, cur->private_key, KEY_LEN);
	des->listen_port = 51820;
	p = peer_add(cur, 1, "10.0.0.0/24,fd00::/64");
	set_ep4(p, "192.0.2.1", 51820);
	p->persistent_keepalive = 25;
	p->rx_bytes = 1234;  /* counters never count as a difference */
	p = peer_add(des, 1, "fd00::1/64,10.0.0.7/24,10.0.0.0/24");  /* order, host bits, dup */
	set_ep4(p, "192.0.2.1", 51820);
	p->persistent_keepalive = 25;
	peer_add(cur, 2, "10.0.1.0/24");
	peer_add(des, 2, "10.0.1.0/24");

	ch = diff(cur, des);
	assert_true(wg_device_change_empty(ch));
	assert_int_equal(ch->n_peers, 0);
	assert_int_equal(ch->flags, 0);
	wg_device_free(ch);
	wg_device_free(cur);
	wg_device_free(des);
}

static void test_add_peer(void **state)
{
	struct wg_device *cur = dev_new(), *des = dev_new(), *ch;
	struct wg_peer *p;

	peer_add(cur, 1, "10.0.0.1/32");
	peer_add(des, 1, "10.0.0.1/32");
	p = peer_add(des, 2, "10.0.0.2/32,fd00::2/128");
	memset(p->preshared_key, 0x55, KEY_LEN);
	p->persistent_keepalive = 25;
	set_ep4(p, "198.51.100.1", 1234);

	ch = diff(cur, des);
	assert_int_equal(ch->n_peers, 1);
	p = &ch->peers[0];
	assert_memory_equal(p->public_key, des->peers[1].public_key, KEY_LEN);
	assert_int_equal(p->flags, WG_PEER_HAS_PRESHARED_KEY | WG_PEER_HAS_KEEPALIVE);
	assert_int_equal(p->persistent_keepalive, 25);
	assert_int_equal(p->preshared_key[0], 0x55);
	assert_int_equal(p->endpoint.sa.sa_family, AF_INET);
	ips_are(p, "10.0.0.2/32,fd00::2/128");
	assert_int_equal(ch->flags, 0);
	wg_device_free(ch);

	/* A fresh device (no current at all) gets every peer. */
	ch = diff(NULL, des);
	assert_int_equal(ch->n_peers, 2);
	wg_device_free(ch);
	wg_device_free(cur);
	wg_device_free(des);
}

static void test_remove_peer(void **state)
{
	struct wg_device *cur = dev_new(), *des = dev_new(), *ch;

	peer_add(cur, 1, "10.0.0.1/32");
	peer_add(cur, 2, "10.0.0.2/32");
	peer_add(des, 1, "10.0.0.1/32");

	ch = diff(cur, des);
	assert_int_equal(ch->n_peers, 1);
	assert_memory_equal(ch->peers[0].public_key, cur->peers[1].public_key, KEY_LEN);
	assert_int_equal(ch->peers[0].flags, WG_PEER_REMOVE_ME);
	assert_int_equal(ch->peers[0].n_allowed_ips, 0);
	assert_false(ch->flags & WG_DEVICE_REPLACE_PEERS);
	wg_device_free(ch);
	wg_device_free(cur);
	wg_device_free(des);
}

static void test_update_endpoint_only(void **state)
{
	struct wg_device *cur = dev_new(), *des = dev_new(), *ch;
	struct wg_peer *p;

	p = peer_add(cur, 1, "10.0.0.1/32");
	set_ep4(p, "192.0.2.1", 51820);
	p = peer_add(des, 1, "10.0.0.1/32");
	set_ep4(p, "192.0.2.2", 51820);

	ch = diff(cur, des);
	assert_int_equal(ch->n_peers, 1);
	p = &ch->peers[0];
	assert_int_equal(p->flags, WG_PEER_UPDATE_ONLY);
	assert_true(wg_endpoint_equal(&p->endpoint, &des->peers[0].endpoint));
	assert_int_equal(p->n_allowed_ips, 0);
	wg_device_free(ch);

	/* No endpoint wanted: whatever the peer roamed to stays. */
	memset(&des->peers[0].endpoint, 0, sizeof(des->peers[0].endpoint));
	ch = diff(cur, des);
	assert_true(wg_device_change_empty(ch));
	wg_device_free(ch);
	wg_device_free(cur);
	wg_device_free(des);
}

static void test_update_psk_keepalive(void **state)
{
	struct wg_device *cur = dev_new(), *des = dev_new(), *ch;
	struct wg_peer *p;

	p = peer_add(cur, 1, "10.0.0.1/32");
	memset(p->preshared_key, 7, KEY_LEN);
	p->flags = WG_PEER_HAS_PRESHARED_KEY;
	p = peer_add(des, 1, "10.0.0.1/32");
	p->persistent_keepalive = 15;

	ch = diff(cur, des);
	assert_int_equal(ch->n_peers, 1);
	p = &ch->peers[0];
	/* The preshared key is removed by writing zeros. */
	assert_int_equal(p->flags, WG_PEER_UPDATE_ONLY | WG_PEER_HAS_PRESHARED_KEY | WG_PEER_HAS_KEEPALIVE);
	assert_true(key_is_zero(p->preshared_key));
	assert_int_equal(p->persistent_keepalive, 15);
	assert_int_equal(p->n_allowed_ips, 0);
	wg_device_free(ch);
	wg_device_free(cur);
	wg_device_free(des);
}

static void test_allowed_ips_changed(void **state)
{
	struct wg_device *cur = dev_new(), *des = dev_new(), *ch;

	peer_add(cur, 1, "10.0.0.0/24,10.0.1.0/24");
	peer_add(des, 1, "10.0.2.0/24,10.0.0.0/24");
	ch = diff(cur, des);
	assert_int_equal(ch->n_peers, 1);
	assert_int_equal(ch->peers[0].flags, WG_PEER_UPDATE_ONLY | WG_PEER_REPLACE_ALLOWEDIPS);
	ips_are(&ch->peers[0], "10.0.0.0/24,10.0.2.0/24");
	wg_device_free(ch);

	/* Only additions: send the new ones, no replacement. */
	wg_device_free(des);
	des = dev_new();
	peer_add(des, 1, "10.0.1.0/24,10.0.3.0/24,10.0.0.0/24");
	ch = diff(cur, des);
	assert_int_equal(ch->n_peers, 1);
	assert_int_equal(ch->peers[0].flags, WG_PEER_UPDATE_ONLY);
	ips_are(&ch->peers[0], "10.0.3.0/24");
	wg_device_free(ch);

	/* Removing all of them is a replacement with nothing. */
	wg_device_free(des);
	des = dev_new();
	peer_add(des, 1, NULL);
	ch = diff(cur, des);
	assert_int_equal(ch->n_peers, 1);
	assert_int_equal(ch->peers[0].flags, WG_PEER_UPDATE_ONLY | WG_PEER_REPLACE_ALLOWEDIPS);
	assert_int_equal(ch->peers[0].n_allowed_ips, 0);
	wg_device_free(ch);
	wg_device_free(cur);
	wg_device_free(des);
}

static void test_device_fields(void **state)
{
	struct wg_device *cur = dev_new(), *des = dev_new(), *ch;

	cur->flags = WG_DEVICE_HAS_LISTEN_PORT | WG_DEVICE_HAS_FWMARK;
	cur->listen_port = 40000;  /* picked at random by the implementation */
	des->flags = WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_LISTEN_PORT | WG_DEVICE_HAS_FWMARK;
	key_n(des->private_key, 7);
	des->listen_port = 0;
	des->fwmark = 0x57;
	ch = diff(cur, des);
	assert_int_equal(ch->flags, WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_FWMARK);
	assert_memory_equal(ch->private_key, des->private_key, KEY_LEN);
	assert_int_equal(ch->fwmark, 0x57);
	assert_int_equal(ch->n_peers, 0);
	wg_device_free(ch);

	des->listen_port = 51820;
	ch = diff(cur, des);
	assert_true(ch->flags & WG_DEVICE_HAS_LISTEN_PORT);
	assert_int_equal(ch->listen_port, 51820);
	wg_device_free(ch);

	/* Fields desired does not specify are left alone. */
	des->flags = 0;
	ch = diff(cur, des);
	assert_true(wg_device_change_empty(ch));
	wg_device_free(ch);
	wg_device_free(cur);
	wg_device_free(des);
}

static void test_duplicate_key(void **state)
{
	struct wg_device *des = dev_new(), *ch = (void *)1;

	peer_add(des, 1, NULL);
	peer_add(des, 1, NULL);
	assert_int_equal(wg_diff(NULL, des, &ch), -EINVAL);
	assert_null(ch);
	wg_device_free(des);
}

static void test_replace_peers_explicit(void **state)
{
	struct wg_device *cur = dev_new(), *des = dev_new(), *ch;

	peer_add(cur, 1, "10.0.0.1/32");
	peer_add(des, 1, "10.0.0.1/32");
	peer_add(des, 2, "10.0.0.2/32");
	des->flags = WG_DEVICE_REPLACE_PEERS;
	ch = diff(cur, des);
	assert_true(ch->flags & WG_DEVICE_REPLACE_PEERS);
	assert_int_equal(ch->n_peers, 2);
	wg_device_free(ch);
	wg_device_free(cur);
	wg_device_free(des);
}

/* 10,000 peers, one changes: the change holds that one only. */
static void test_many_one_changed(void **state)
{
	struct wg_device *cur = dev_new(), *des = dev_new(), *ch;
	char ip[32];
	unsigned i;

	for (i = 0; i < 10000; i++) {
		snprintf(ip, sizeof(ip), "10.%u.%u.0/24", i / 256, i % 256);
		peer_add(cur, i, ip);
	}
	/* Desired lists them in reverse order: order never matters. */
	for (i = 10000; i-- > 0;) {
		snprintf(ip, sizeof(ip), "10.%u.%u.0/24", i / 256, i % 256);
		peer_add(des, i, i == 4321 ? "172.16.0.0/16" : ip);
	}
	ch = diff(cur, des);
	assert_int_equal(ch->n_peers, 1);
	assert_memory_equal(ch->peers[0].public_key, cur->peers[4321].public_key, KEY_LEN);
	ips_are(&ch->peers[0], "172.16.0.0/16");
	wg_device_free(ch);
	wg_device_free(cur);
	wg_device_free(des);
}

static void test_dup(void **state)
{
	struct wg_device *d = dev_new(), *c;
	struct wg_peer *p = peer_add(d, 3, "10.0.0.0/8,fd00::/8");

	memset(p->preshared_key, 9, KEY_LEN);
	c = wg_device_dup(d);
	assert_int_equal(c->n_peers, 1);
	assert_int_equal(c->peers[0].n_allowed_ips, 2);
	assert_ptr_not_equal(c->peers[0].allowed_ips, p->allowed_ips);
	assert_memory_equal(c->peers[0].preshared_key, p->preshared_key, KEY_LEN);
	assert_non_null(wg_device_find_peer(c, p->public_key));
	wg_device_free(c);
	wg_device_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_null),
		cmocka_unit_test(test_nothing_changed),
		cmocka_unit_test(test_add_peer),
		cmocka_unit_test(test_remove_peer),
		cmocka_unit_test(test_update_endpoint_only),
		cmocka_unit_test(test_update_psk_keepalive),
		cmocka_unit_test(test_allowed_ips_changed),
		cmocka_unit_test(test_device_fields),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_replace_peers_explicit),
		cmocka_unit_test(test_many_one_changed),
		cmocka_unit_test(test_dup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
