/* The WireGuard backends against a real implementation, in a private network namespace
 * (root only): wireguard-go through the UAPI socket, or wireguard.ko (WARREN_BACKEND=kernel,
 * run inside the kernel-tier VM by tests/kernel/t_wg_kernel.sh). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netcfg/link.h"
#include "netcfg/nl.h"
#include "netcfg/wg.h"

#define NETLINK_ROUTE_BUS 0   /* NETLINK_ROUTE */
#define N_PEERS 10000
#define N_IPS 10000

static bool live;
static enum backend kind;
static const char *command = "wireguard-go";
static unsigned seq;

struct ctx {
	struct nl *nl;
	struct wg_backend *wgb;
	char ifname[IFNAMSIZ];
	pid_t pid;              /* userspace: the wireguard-go we started */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Names are unique per process: UAPI sockets are shared by every namespace. */
static void next_name(char *buf)
{
	snprintf(buf, IFNAMSIZ, "wgl%x-%u", (unsigned)getpid() & 0xfffff, seq++);
}

static int dev_create(struct ctx *c)
{
	next_name(c->ifname);
	if (kind == BACKEND_KERNEL)
		return link_create(c->nl, c->ifname, "wireguard", NULL);
	return wg_uapi_start(command, c->ifname, &c->pid);
}

static void dev_destroy(struct ctx *c)
{
	int idx, st;

	if (kind == BACKEND_USERSPACE && c->pid > 0) {
		assert_int_equal(wg_uapi_stop(c->ifname), 0);
		assert_int_equal(waitpid(c->pid, &st, 0), c->pid);
		c->pid = 0;
	}
	if (kind == BACKEND_KERNEL) {
		/* See wg_clear_peers: deleting a link with 10,000 peers takes minutes on 6.1. */
		double t0 = now_s();

		assert_int_equal(wg_clear_peers(c->wgb, c->ifname), 0);
		print_message("# clear peers: %.3f s\n", now_s() - t0);
	}
	if (link_index(c->nl, c->ifname, &idx) == 0)
		link_delete(c->nl, idx);
}

static int setup(void **state)
{
	struct ctx *c;

	if (!live)
		skip();
	c = calloc(1, sizeof(*c));
	assert_int_equal(nl_open(&c->nl, NETLINK_ROUTE_BUS), 0);
	assert_int_equal(wg_backend_open(&c->wgb, kind), 0);
	assert_int_equal(dev_create(c), 0);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	double t0 = now_s();

	dev_destroy(c);
	print_message("# remove the device: %.3f s\n", now_s() - t0);
	wg_backend_close(c->wgb);
	nl_close(c->nl);
	free(c);
	return 0;
}

static void key_n(uint8_t k[KEY_LEN], unsigned n)
{
	/* Distinct, well spread keys; the implementations accept any 32 bytes as a key. */
	memset(k, 0, KEY_LEN);
	k[0] = (uint8_t)(n * 2654435761u >> 24);
	k[1] = (uint8_t)(n >> 16);
	k[2] = (uint8_t)(n >> 8);
	k[3] = (uint8_t)n;
	k[31] = 0x5a;
}

static struct cidr ip_n(unsigned n, bool v6)
{
	struct cidr c = { 0 };

	if (v6) {
		c.family = AF_INET6;
		c.addr[0] = 0xfd;
		c.addr[1] = 0x42;
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

static struct wg_device *desired_many(const char *ifname)
{
	struct wg_device *d;
	unsigned i;

	assert_int_equal(wg_device_new(&d, ifname), 0);
	d->flags = WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_LISTEN_PORT | WG_DEVICE_HAS_FWMARK;
	key_generate_private(d->private_key);
	d->listen_port = (uint16_t)(20000 + (getpid() % 20000));
	d->fwmark = 0x5700;
	for (i = 0; i < N_PEERS; i++) {
		uint8_t k[KEY_LEN];
		struct wg_peer *p;
		struct cidr a;

		key_n(k, i);
		p = wg_device_add_peer(d, k);
		a = ip_n(i, false);
		wg_peer_add_allowed_ip(p, &a);
		if (i % 2 == 0) {
			a = ip_n(i, true);
			wg_peer_add_allowed_ip(p, &a);
		}
		if (i % 3 == 0)
			memset(p->preshared_key, (int)(i % 251) + 1, KEY_LEN);
		if (i % 4 == 0)
			p->persistent_keepalive = (uint16_t)(1 + i % 60);
		if (i % 5 == 0) {
			p->endpoint.in.sin_family = AF_INET;
			p->endpoint.in.sin_port = htons((uint16_t)(1024 + i));
			p->endpoint.in.sin_addr.s_addr = htonl(0xc6336400u + (i & 0xff)); /* 198.51.100.x */
		} else if (i % 7 == 0) {
			p->endpoint.in6.sin6_family = AF_INET6;
			p->endpoint.in6.sin6_port = htons((uint16_t)(2048 + i));
			inet_pton(AF_INET6, "2001:db8::7", &p->endpoint.in6.sin6_addr);
		}
	}
	return d;
}

/* Everything read back matches desired: nothing left to change, and the contents agree
 * field by field (the diff compares values; this checks the counts and keys directly). */
static void assert_matches(struct ctx *c, const struct wg_device *want)
{
	struct wg_device *got = NULL, *change = NULL;
	size_t i, ips_got = 0, ips_want = 0;
	double t0 = now_s();

	assert_int_equal(wg_get(c->wgb, c->ifname, &got), 0);
	print_message("# get %zu peers: %.3f s\n", got->n_peers, now_s() - t0);
	assert_string_equal(got->ifname, c->ifname);
	assert_int_equal(got->n_peers, want->n_peers);
	for (i = 0; i < got->n_peers; i++)
		ips_got += got->peers[i].n_allowed_ips;
	for (i = 0; i < want->n_peers; i++) {
		const struct wg_peer *w = &want->peers[i], *g = wg_device_find_peer(got, w->public_key);

		ips_want += w->n_allowed_ips;
		if (i % 97 != 0)
			continue;  /* wg_device_find_peer is linear: sample */
		assert_non_null(g);
		assert_memory_equal(g->preshared_key, w->preshared_key, KEY_LEN);
		assert_int_equal(g->persistent_keepalive, w->persistent_keepalive);
		if (w->endpoint.sa.sa_family)
			assert_true(wg_endpoint_equal(&g->endpoint, &w->endpoint));
		assert_int_equal(g->n_allowed_ips, w->n_allowed_ips);
	}
	assert_int_equal(ips_got, ips_want);
	if (want->flags & WG_DEVICE_HAS_PRIVATE_KEY) {
		uint8_t pub[KEY_LEN];

		assert_true(got->flags & WG_DEVICE_HAS_PRIVATE_KEY);
		assert_memory_equal(got->private_key, want->private_key, KEY_LEN);
		assert_int_equal(key_public(pub, want->private_key), 0);
		assert_true(got->flags & WG_DEVICE_HAS_PUBLIC_KEY);
		assert_memory_equal(got->public_key, pub, KEY_LEN);
	}
	if (want->flags & WG_DEVICE_HAS_LISTEN_PORT)
		assert_int_equal(got->listen_port, want->listen_port);
	if (want->flags & WG_DEVICE_HAS_FWMARK)
		assert_int_equal(got->fwmark, want->fwmark);
	assert_int_equal(wg_diff(got, want, &change), 0);
	assert_true(wg_device_change_empty(change));
	wg_device_free(change);
	wg_device_free(got);
}

static void test_get_missing(void **state)
{
	struct ctx *c = *state;
	struct wg_device *d = (void *)1;

	assert_int_equal(wg_get(c->wgb, "wgl-nonexist", &d), -ENODEV);
	assert_null(d);
	/* A fresh device: no key, no peers. */
	assert_int_equal(wg_get(c->wgb, c->ifname, &d), 0);
	assert_int_equal(d->n_peers, 0);
	assert_false(d->flags & WG_DEVICE_HAS_PRIVATE_KEY);
	wg_device_free(d);
}

static void test_10k_peers(void **state)
{
	struct ctx *c = *state;
	struct wg_device *want = desired_many(c->ifname), *change = NULL;
	struct wg_peer *p;
	size_t touched;
	double t0;

	t0 = now_s();
	assert_int_equal(wg_apply(c->wgb, want, &touched), 0);
	print_message("# apply %d peers from scratch: %.3f s\n", N_PEERS, now_s() - t0);
	assert_int_equal(touched, N_PEERS);
	assert_matches(c, want);

	/* Applying the same again writes nothing. */
	assert_int_equal(wg_apply(c->wgb, want, &touched), 0);
	assert_int_equal(touched, 0);

	/* One peer changes: the change holds that peer only, and afterwards all agree. */
	p = &want->peers[4242];
	p->endpoint.in.sin_family = AF_INET;
	p->endpoint.in.sin_port = htons(4242);
	p->endpoint.in.sin_addr.s_addr = htonl(0xcb007101u);  /* 203.0.113.1 */
	p->allowed_ips[0] = ip_n(99999, false);
	t0 = now_s();
	assert_int_equal(wg_apply(c->wgb, want, &touched), 0);
	print_message("# apply a one-peer change among %d: %.4f s\n", N_PEERS, now_s() - t0);
	assert_int_equal(touched, 1);
	assert_matches(c, want);

	/* One peer goes. */
	free(want->peers[17].allowed_ips);
	want->peers[17] = want->peers[--want->n_peers];
	assert_int_equal(wg_apply(c->wgb, want, &touched), 0);
	assert_int_equal(touched, 1);
	assert_matches(c, want);
	wg_device_free(change);
	wg_device_free(want);
}

static void test_one_peer_10k_ips(void **state)
{
	struct ctx *c = *state;
	struct wg_device *want, *got = NULL;
	struct wg_peer *p;
	uint8_t k[KEY_LEN];
	size_t touched;
	unsigned i;

	assert_int_equal(wg_device_new(&want, c->ifname), 0);
	key_n(k, 7);
	p = wg_device_add_peer(want, k);
	for (i = 0; i < N_IPS; i++) {
		struct cidr a = ip_n(i, i % 2);

		wg_peer_add_allowed_ip(p, &a);
	}
	assert_int_equal(wg_apply(c->wgb, want, &touched), 0);
	assert_int_equal(touched, 1);
	assert_int_equal(wg_get(c->wgb, c->ifname, &got), 0);
	assert_int_equal(got->n_peers, 1);
	assert_int_equal(got->peers[0].n_allowed_ips, N_IPS);
	wg_device_free(got);
	assert_matches(c, want);

	/* Replacing them with a different 10,000 (REPLACE_ALLOWEDIPS, split across messages). */
	for (i = 0; i < N_IPS; i++)
		p->allowed_ips[i] = ip_n(i + 50000, i % 2);
	assert_int_equal(wg_apply(c->wgb, want, &touched), 0);
	assert_int_equal(touched, 1);
	assert_matches(c, want);
	wg_device_free(want);
}

/* Userspace only: the daemon's life cycle. */
static void test_start_stop(void **state)
{
	struct ctx *c = *state;
	char path[128], other[IFNAMSIZ];
	struct stat sb;
	pid_t pid;
	int idx;

	if (kind != BACKEND_USERSPACE)
		skip();
	snprintf(path, sizeof(path), WG_UAPI_DIR "/%s.sock", c->ifname);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(link_index(c->nl, c->ifname, &idx), 0);
	assert_int_equal(wg_uapi_start(command, c->ifname, &pid), -EEXIST);

	assert_int_equal(wg_uapi_stop(c->ifname), 0);
	assert_int_equal(waitpid(c->pid, NULL, 0), c->pid);
	c->pid = 0;
	assert_int_equal(stat(path, &sb), -1);
	assert_int_equal(link_index(c->nl, c->ifname, &idx), -ENODEV);
	assert_int_equal(wg_uapi_stop(c->ifname), -ENODEV);

	/* Failures name their cause. */
	next_name(other);
	assert_int_equal(wg_uapi_start("/nonexistent/wireguard-go", other, &pid), -ENOENT);
	assert_int_equal(wg_uapi_start("false", other, &pid), -ECHILD);
	/* Extra arguments in the command are passed through (wireguard-go rejects this one). */
	assert_int_equal(wg_uapi_start("wireguard-go --bogus", other, &pid), -ECHILD);

	/* A stale socket (its daemon killed outright) is cleaned up. */
	assert_int_equal(wg_uapi_start(command, other, &pid), 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	snprintf(path, sizeof(path), WG_UAPI_DIR "/%s.sock", other);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(wg_uapi_stop(other), 0);
	assert_int_equal(stat(path, &sb), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_10k_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_peer_10k_ips, setup, teardown),
	};
	const char *env = getenv("WARREN_BACKEND");

	setvbuf(stdout, NULL, _IOLBF, 0);  /* timings stream out through a pipe, too */
	if (getenv("WARREN_USERSPACE_COMMAND"))
		command = getenv("WARREN_USERSPACE_COMMAND");
	if (geteuid() != 0) {
		fprintf(stderr, "test_wg_live: not root, skipping\n");
	} else if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "test_wg_live: unshare(CLONE_NEWNET): %s, skipping\n", strerror(errno));
	} else {
		live = true;
		if (env && strcmp(env, "kernel") == 0)
			kind = BACKEND_KERNEL;
		else if (env && strcmp(env, "userspace") == 0)
			kind = BACKEND_USERSPACE;
		else
			kind = wg_backend_detect();
		if (kind == BACKEND_USERSPACE && system("command -v wireguard-go >/dev/null 2>&1") != 0 &&
		    !getenv("WARREN_USERSPACE_COMMAND")) {
			fprintf(stderr, "test_wg_live: no wireguard-go, skipping\n");
			live = false;
		}
		fprintf(stderr, "test_wg_live: %s backend\n", kind == BACKEND_KERNEL ? "kernel" : "userspace");
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
