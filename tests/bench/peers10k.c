/* Benchmark driver for tests/bench/peers10k.sh: the same N peers either written as a
 * `wg setconf` file or applied through netcfg/wg (get + diff + set, as warren does). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netcfg/wg.h"

static void key_n(uint8_t k[KEY_LEN], unsigned n, uint8_t tag)
{
	memset(k, 0, KEY_LEN);
	k[0] = (uint8_t)(n * 2654435761u >> 24);
	k[1] = (uint8_t)(n >> 16);
	k[2] = (uint8_t)(n >> 8);
	k[3] = (uint8_t)n;
	k[31] = tag;
}

/* Peer i: one IPv4 /32, every second one an IPv6 /128 too, a third with a preshared
 * key, a quarter with keepalive, a fifth with an IPv4 endpoint. */
static struct wg_device *build(const char *ifname, unsigned n)
{
	struct wg_device *d;
	unsigned i;

	if (wg_device_new(&d, ifname) < 0)
		return NULL;
	d->flags = WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_LISTEN_PORT;
	key_n(d->private_key, 0xffffff, 0x40);
	d->listen_port = 0;
	for (i = 0; i < n; i++) {
		uint8_t k[KEY_LEN];
		struct wg_peer *p;
		struct cidr a = { .family = AF_INET, .prefix = 32, .addr = { 10, (uint8_t)(i >> 16),
							(uint8_t)(i >> 8), (uint8_t)i } };

		key_n(k, i, 0x5a);
		p = wg_device_add_peer(d, k);
		wg_peer_add_allowed_ip(p, &a);
		if (i % 2 == 0) {
			struct cidr b = { .family = AF_INET6, .prefix = 128,
					  .addr = { 0xfd, 0x42, [13] = (uint8_t)(i >> 16),
						    [14] = (uint8_t)(i >> 8), [15] = (uint8_t)i } };

			wg_peer_add_allowed_ip(p, &b);
		}
		if (i % 3 == 0)
			key_n(p->preshared_key, i, 0x33);
		if (i % 4 == 0)
			p->persistent_keepalive = 25;
		if (i % 5 == 0) {
			p->endpoint.in.sin_family = AF_INET;
			p->endpoint.in.sin_port = htons((uint16_t)(1024 + i % 50000));
			p->endpoint.in.sin_addr.s_addr = htonl(0xc6336400u + (i & 0xff));
		}
	}
	return d;
}

static void write_conf(const struct wg_device *d)
{
	char b64[KEY_B64_LEN], ip[CIDR_STRLEN], ep[INET_ADDRSTRLEN];
	size_t i, j;

	key_to_base64(b64, d->private_key);
	printf("[Interface]\nPrivateKey = %s\n", b64);
	for (i = 0; i < d->n_peers; i++) {
		const struct wg_peer *p = &d->peers[i];

		key_to_base64(b64, p->public_key);
		printf("\n[Peer]\nPublicKey = %s\n", b64);
		if (!key_is_zero(p->preshared_key)) {
			key_to_base64(b64, p->preshared_key);
			printf("PresharedKey = %s\n", b64);
		}
		printf("AllowedIPs = ");
		for (j = 0; j < p->n_allowed_ips; j++)
			printf("%s%s", j ? ", " : "", cidr_fmt(&p->allowed_ips[j], ip));
		printf("\n");
		if (p->endpoint.sa.sa_family == AF_INET) {
			inet_ntop(AF_INET, &p->endpoint.in.sin_addr, ep, sizeof(ep));
			printf("Endpoint = %s:%u\n", ep, ntohs(p->endpoint.in.sin_port));
		}
		if (p->persistent_keepalive)
			printf("PersistentKeepalive = %u\n", p->persistent_keepalive);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *env = getenv("WARREN_BACKEND");
	enum backend kind = BACKEND_AUTO;
	struct wg_backend *b = NULL;
	struct wg_device *d;
	size_t touched = 0;
	double t0;
	int r;

	if (argc != 4 || (strcmp(argv[1], "conf") && strcmp(argv[1], "apply"))) {
		fprintf(stderr, "usage: peers10k conf|apply IFNAME N\n");
		return 2;
	}
	d = build(argv[2], (unsigned)atoi(argv[3]));
	if (!d)
		return 2;
	if (strcmp(argv[1], "conf") == 0) {
		write_conf(d);
		wg_device_free(d);
		return 0;
	}
	if (env && strcmp(env, "kernel") == 0)
		kind = BACKEND_KERNEL;
	else if (env && strcmp(env, "userspace") == 0)
		kind = BACKEND_USERSPACE;
	t0 = now_s();
	r = wg_backend_open(&b, kind);
	if (r == 0)
		r = wg_apply(b, d, &touched);
	if (r < 0) {
		fprintf(stderr, "peers10k: %s: %s\n", argv[2], b ? wg_strerror(b, r) : strerror(-r));
		return 1;
	}
	fprintf(stderr, "peers10k: %s: %zu peers applied in %.3f s\n", argv[2], touched, now_s() - t0);
	wg_backend_close(b);
	wg_device_free(d);
	return 0;
}
