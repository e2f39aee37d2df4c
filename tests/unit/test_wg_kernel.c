/* The kernel backend's netlink messages: SET_DEVICE split across messages and read back,
 * known bytes, and strict parsing of malformed replies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcfg/nl.h"
#include "netcfg/wg.h"

static void key_n(uint8_t k[KEY_LEN], unsigned n)
{
	memset(k, 0xa5, KEY_LEN);
	k[1] = (uint8_t)(n >> 16);
	k[2] = (uint8_t)(n >> 8);
	k[3] = (uint8_t)n;
}

static struct cidr ip_n(unsigned n)
{
	struct cidr c = { 0 };

	if (n % 3 == 2) {
		c.family = AF_INET6;
		c.addr[0] = 0xfd;
		c.addr[12] = (uint8_t)(n >> 24);
		c.addr[13] = (uint8_t)(n >> 16);
		c.addr[14] = (uint8_t)(n >> 8);
		c.addr[15] = (uint8_t)n;
		c.prefix = 128;
	} else {
		c.family = AF_INET;
		c.addr[0] = 10;
		c.addr[1] = (uint8_t)(n >> 16);
		c.addr[2] = (uint8_t)(n >> 8);
		c.addr[3] = (uint8_t)n;
		c.prefix = 32;
	}
	return c;
}

/* Build every message of dev into buffers of size bytes, check each fits, decode them all
 * into one device (as a GET dump is merged) and return it. */
static struct wg_device *roundtrip(const struct wg_device *dev, size_t size, size_t *n_msgs)
{
	struct wg_set_cursor cur = { 0 };
	struct wg_device *out;
	char *buf = malloc(size);
	int more;

	assert_int_equal(wg_device_new(&out, dev->ifname), 0);
	*n_msgs = 0;
	do {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

		nlh->nlmsg_type = 0x20;
		more = wg_kernel_build_set(nlh, size, dev, &cur);
		assert_true(more >= 0);
		assert_true(nlh->nlmsg_len <= size);
		assert_int_equal(wg_kernel_parse(nlh, out), 0);
		(*n_msgs)++;
		assert_true(*n_msgs < 1000000);
	} while (more);
	free(buf);
	return out;
}

static void assert_same(const struct wg_device *a, const struct wg_device *b)
{
	size_t i, j;

	assert_int_equal(a->flags & ~WG_DEVICE_HAS_PUBLIC_KEY, b->flags);
	assert_memory_equal(a->private_key, b->private_key, KEY_LEN);
	assert_int_equal(a->listen_port, b->listen_port);
	assert_int_equal(a->fwmark, b->fwmark);
	assert_int_equal(a->n_peers, b->n_peers);
	for (i = 0; i < a->n_peers; i++) {
		const struct wg_peer *p = &a->peers[i], *q = &b->peers[i];

		assert_memory_equal(p->public_key, q->public_key, KEY_LEN);
		assert_int_equal(p->flags, q->flags);
		if (p->flags & WG_PEER_HAS_PRESHARED_KEY)
			assert_memory_equal(p->preshared_key, q->preshared_key, KEY_LEN);
		if (p->flags & WG_PEER_HAS_KEEPALIVE)
			assert_int_equal(p->persistent_keepalive, q->persistent_keepalive);
		assert_true(wg_endpoint_equal(&p->endpoint, &q->endpoint));
		assert_int_equal(p->n_allowed_ips, q->n_allowed_ips);
		for (j = 0; j < p->n_allowed_ips; j++)
			assert_true(cidr_equal(&p->allowed_ips[j], &q->allowed_ips[j]));
	}
}

static struct wg_device *one_peer_many_ips(size_t n)
{
	struct wg_device *d;
	struct wg_peer *p;
	uint8_t k[KEY_LEN];
	size_t i;

	assert_int_equal(wg_device_new(&d, "wgk0"), 0);
	d->flags = WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_LISTEN_PORT | WG_DEVICE_REPLACE_PEERS;
	memset(d->private_key, 0x42, KEY_LEN);
	d->listen_port = 51820;
	key_n(k, 1);
	p = wg_device_add_peer(d, k);
	p->flags = WG_PEER_REPLACE_ALLOWEDIPS | WG_PEER_HAS_PRESHARED_KEY | WG_PEER_HAS_KEEPALIVE;
	memset(p->preshared_key, 0x33, KEY_LEN);
	p->persistent_keepalive = 25;
	p->endpoint.in6.sin6_family = AF_INET6;
	p->endpoint.in6.sin6_port = htons(51820);
	inet_pton(AF_INET6, "2001:db8::1", &p->endpoint.in6.sin6_addr);
	for (i = 0; i < n; i++) {
		struct cidr c = ip_n((unsigned)i);

		wg_peer_add_allowed_ip(p, &c);
	}
	return d;
}

static struct wg_device *many_peers(size_t n)
{
	struct wg_device *d;
	size_t i;

	assert_int_equal(wg_device_new(&d, "wgk1"), 0);
	d->flags = WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_FWMARK;
	memset(d->private_key, 0x24, KEY_LEN);
	d->fwmark = 0x1234;
	for (i = 0; i < n; i++) {
		uint8_t k[KEY_LEN];
		struct wg_peer *p;
		struct cidr c;

		key_n(k, (unsigned)i);
		p = wg_device_add_peer(d, k);
		c = ip_n((unsigned)(2 * i));
		wg_peer_add_allowed_ip(p, &c);
		c = ip_n((unsigned)(2 * i + 1));
		wg_peer_add_allowed_ip(p, &c);
		if (i % 7 == 0) {
			p->flags |= WG_PEER_HAS_PRESHARED_KEY;
			memset(p->preshared_key, (int)i, KEY_LEN);
		}
		if (i % 5 == 0) {
			p->endpoint.in.sin_family = AF_INET;
			p->endpoint.in.sin_port = htons((uint16_t)(1000 + i));
			p->endpoint.in.sin_addr.s_addr = htonl(0xc0000200u + (uint32_t)i);
		}
		if (i % 11 == 0)
			p->flags |= WG_PEER_REMOVE_ME;
		if (i % 13 == 0)
			p->flags |= WG_PEER_UPDATE_ONLY | WG_PEER_REPLACE_ALLOWEDIPS;
	}
	return d;
}

/* Removed peers carry no allowed IPs on the wire. */
static void strip_removed_ips(struct wg_device *d)
{
	size_t i;

	for (i = 0; i < d->n_peers; i++)
		if (d->peers[i].flags & WG_PEER_REMOVE_ME)
			d->peers[i].n_allowed_ips = 0;
}

static void test_one_peer_10k_ips(void **state)
{
	struct wg_device *d = one_peer_many_ips(10000), *back;
	size_t msgs;

	back = roundtrip(d, NL_BUFSIZE, &msgs);
	assert_true(msgs > 1);
	assert_same(d, back);
	print_message("one peer, 10000 allowed IPs: %zu messages of <= %d bytes\n", msgs, (int)NL_BUFSIZE);
	wg_device_free(back);
	wg_device_free(d);
}

static void test_10k_peers(void **state)
{
	struct wg_device *d = many_peers(10000), *back;
	size_t msgs;

	back = roundtrip(d, NL_BUFSIZE, &msgs);
	assert_true(msgs > 1);
	strip_removed_ips(d);
	assert_same(d, back);
	print_message("10000 peers: %zu messages of <= %d bytes\n", msgs, (int)NL_BUFSIZE);
	wg_device_free(back);
	wg_device_free(d);
}

/* Every split point: small buffers cut inside peer heads and allowed IP lists. */
static void test_small_buffers(void **state)
{
	struct wg_device *d = many_peers(60), *back;
	size_t size, msgs;

	strip_removed_ips(d);
	for (size = 200; size < 1200; size += 4) {
		back = roundtrip(d, size, &msgs);
		assert_same(d, back);
		wg_device_free(back);
	}
	wg_device_free(d);
	d = one_peer_many_ips(300);
	for (size = 200; size < 600; size += 4) {
		back = roundtrip(d, size, &msgs);
		assert_same(d, back);
		wg_device_free(back);
	}
	wg_device_free(d);
}

/* The follow-on message repeats the key without REPLACE_ALLOWEDIPS (which would undo the
 * first message's IPs) and with UPDATE_ONLY; the peer's other fields are not repeated. */
static void test_continuation_flags(void **state)
{
	struct wg_device *d = one_peer_many_ips(10000), *m;
	struct wg_set_cursor cur = { 0 };
	char *buf = malloc(NL_BUFSIZE);
	struct nlmsghdr *nlh;
	int more, i;

	for (i = 0; i < 2; i++) {
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = 0x20;
		more = wg_kernel_build_set(nlh, NL_BUFSIZE, d, &cur);
		assert_int_equal(more, 1);
		assert_int_equal(wg_device_new(&m, "x"), 0);
		assert_int_equal(wg_kernel_parse(nlh, m), 0);
		assert_string_equal(m->ifname, "wgk0");
		assert_int_equal(m->n_peers, 1);
		assert_true(m->peers[0].n_allowed_ips > 0);
		if (i == 0) {
			assert_int_equal(m->flags, WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_LISTEN_PORT |
						   WG_DEVICE_REPLACE_PEERS);
			assert_int_equal(m->peers[0].flags, WG_PEER_REPLACE_ALLOWEDIPS |
				WG_PEER_HAS_PRESHARED_KEY | WG_PEER_HAS_KEEPALIVE);
		} else {
			assert_int_equal(m->flags, 0);
			assert_int_equal(m->peers[0].flags, WG_PEER_UPDATE_ONLY);
			assert_int_equal(m->peers[0].endpoint.sa.sa_family, 0);
		}
		wg_device_free(m);
	}
	free(buf);
	wg_device_free(d);
}

static void test_too_small(void **state)
{
	struct wg_device *d = one_peer_many_ips(3);
	struct wg_set_cursor cur = { 0 };
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	assert_int_equal(wg_kernel_build_set(nlh, 40, d, &cur), -EMSGSIZE);
	wg_device_free(d);
}

static void test_known_bytes(void **state)
{
	static const uint8_t want[] = {
		0x01, 0x01, 0x00, 0x00,                          /* SET_DEVICE, version 1 */
		0x08, 0x00, 0x02, 0x00, 'w', 'g', '0', 0x00,     /* IFNAME */
		0x4c, 0x00, 0x08, 0x80,                          /* PEERS | NLA_F_NESTED */
		0x48, 0x00, 0x00, 0x80,                          /*  peer 0 */
		0x24, 0x00, 0x01, 0x00,                          /*   PUBLIC_KEY */
		0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
		0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
		0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
		0x20, 0x00, 0x09, 0x80,                          /*   ALLOWEDIPS */
		0x1c, 0x00, 0x00, 0x80,                          /*    allowed IP 0 */
		0x06, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,  /*     FAMILY AF_INET */
		0x08, 0x00, 0x02, 0x00, 10, 0, 0, 1,             /*     IPADDR */
		0x05, 0x00, 0x03, 0x00, 32, 0x00, 0x00, 0x00,    /*     CIDR_MASK */
	};
	struct wg_set_cursor cur = { 0 };
	struct wg_device *d;
	struct wg_peer *p;
	uint8_t k[KEY_LEN];
	struct cidr c;
	char buf[512] = { 0 };  /* libmnl leaves attribute padding as it finds it */
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	assert_int_equal(wg_device_new(&d, "wg0"), 0);
	memset(k, 0x11, KEY_LEN);
	p = wg_device_add_peer(d, k);
	assert_int_equal(cidr_parse(&c, "10.0.0.1/32"), 0);
	wg_peer_add_allowed_ip(p, &c);
	assert_int_equal(wg_kernel_build_set(nlh, sizeof(buf), d, &cur), 0);
	assert_int_equal(mnl_nlmsg_get_payload_len(nlh), sizeof(want));
	assert_memory_equal(mnl_nlmsg_get_payload(nlh), want, sizeof(want));
	wg_device_free(d);
}

/* A hand-made GET_DEVICE reply with one peer; mutate returns it broken in one place. */
static struct nlmsghdr *reply(char *buf, int mutate)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlattr *peers, *peer, *ips, *ip;
	uint8_t key[KEY_LEN + 1];
	uint8_t addr[4] = { 10, 0, 0, 0 };
	uint8_t *g;

	memset(key, 0x77, sizeof(key));
	nlh->nlmsg_type = 0x20;
	g = mnl_nlmsg_put_extra_header(nlh, 4);
	g[0] = 0;
	g[1] = 1;
	mnl_attr_put_u32(nlh, 1, 7);                                   /* IFINDEX */
	mnl_attr_put_strz(nlh, 2, mutate == 1 ? "an-interface-name-too-long" : "wgk9");
	mnl_attr_put_u16(nlh, 6, 51820);                               /* LISTEN_PORT */
	if (mutate == 2)
		mnl_attr_put_u16(nlh, 7, 1);                           /* FWMARK as u16 */
	else
		mnl_attr_put_u32(nlh, 7, 0);
	mnl_attr_put(nlh, 4, mutate == 3 ? KEY_LEN + 1 : KEY_LEN, key); /* PUBLIC_KEY */
	peers = mnl_attr_nest_start(nlh, 8);
	peer = mnl_attr_nest_start(nlh, 0);
	if (mutate != 4)
		mnl_attr_put(nlh, 1, KEY_LEN, key);
	mnl_attr_put(nlh, 2, KEY_LEN, key + 1);
	mnl_attr_put_u16(nlh, 5, 25);
	mnl_attr_put_u64(nlh, 7, 1000);
	mnl_attr_put_u64(nlh, 8, 2000);
	mnl_attr_put_u32(nlh, 10, 1);
	mnl_attr_put_u32(nlh, 99, 1);                                  /* unknown: ignored */
	ips = mnl_attr_nest_start(nlh, 9);
	ip = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put_u16(nlh, 1, mutate == 5 ? AF_INET6 : AF_INET);
	mnl_attr_put(nlh, 2, 4, addr);
	mnl_attr_put_u8(nlh, 3, mutate == 6 ? 33 : 8);
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_nest_end(nlh, ips);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	if (mutate == 7)
		nlh->nlmsg_len -= 4;  /* truncated: the nests now overrun the message */
	if (mutate == 8) {
		/* trailing half attribute */
		memset((char *)nlh + nlh->nlmsg_len, 0, 4);
		((uint8_t *)nlh)[nlh->nlmsg_len] = 8;
		nlh->nlmsg_len += 4;
	}
	return nlh;
}

static void test_parse_reply(void **state)
{
	char buf[1024];
	struct wg_device *d;
	int m;

	assert_int_equal(wg_device_new(&d, "x"), 0);
	assert_int_equal(wg_kernel_parse(reply(buf, 0), d), 0);
	assert_string_equal(d->ifname, "wgk9");
	assert_int_equal(d->listen_port, 51820);
	assert_true(d->flags & WG_DEVICE_HAS_PUBLIC_KEY);
	assert_int_equal(d->n_peers, 1);
	assert_int_equal(d->peers[0].persistent_keepalive, 25);
	assert_int_equal(d->peers[0].rx_bytes, 1000);
	assert_int_equal(d->peers[0].tx_bytes, 2000);
	assert_int_equal(d->peers[0].n_allowed_ips, 1);
	assert_int_equal(d->peers[0].allowed_ips[0].prefix, 8);
	/* The same peer again in a following message continues it. */
	assert_int_equal(wg_kernel_parse(reply(buf, 0), d), 0);
	assert_int_equal(d->n_peers, 1);
	assert_int_equal(d->peers[0].n_allowed_ips, 2);
	wg_device_free(d);

	for (m = 1; m <= 8; m++) {
		assert_int_equal(wg_device_new(&d, "x"), 0);
		if (wg_kernel_parse(reply(buf, m), d) != -EBADMSG)
			fail_msg("mutation %d was accepted", m);
		wg_device_free(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_peer_10k_ips),
		cmocka_unit_test(test_10k_peers),
		cmocka_unit_test(test_small_buffers),
		cmocka_unit_test(test_continuation_flags),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_known_bytes),
		cmocka_unit_test(test_parse_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
