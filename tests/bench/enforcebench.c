/* The server's enforcing table at scale: converge 10,000 device addresses in 50 groups, then
 * 1000 single-device changes and one group change, timed; run in a private netns. */
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netcfg/nft.h"
#include "netcfg/nl.h"
#include "server/enforce.h"

#define NDEV 10000
#define NGROUP 50
#define NCHANGE 1000

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void count_cb(const void *buf, size_t len, void *arg)
{
	(void)buf;
	*(size_t *)arg = len;
}

static long slab_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

int main(void)
{
	static struct policy p[NGROUP];
	static struct policy_dest dests[NGROUP][4];
	static struct enforce_group g[NGROUP];
	static struct enforce_dev d[NDEV];
	static double t[NCHANGE];
	struct enforce_conf c = { .ifname = "wgb", .egress = "eth9", .snat = true, .policy = true,
				  .portal_port = 8443 };
	struct cidr pool = { .family = AF_INET, .addr = { 10, 100 }, .prefix = 16 };
	struct nl *nl = NULL;
	struct enforce *e;
	double t0, conv, grp;
	size_t i, bytes = 0;
	long slab0, slab1;
	bool m;

	if (unshare(CLONE_NEWNET) < 0 || nl_open(&nl, NFT_NETLINK_BUS) < 0) {
		fprintf(stderr, "enforcebench: needs root and nf_tables: %s\n", strerror(errno));
		return 1;
	}
	cidrv_push(&c.pool, &pool);
	for (i = 0; i < NGROUP; i++) {
		dests[i][0] = (struct policy_dest){ .net = { .family = AF_INET,
			.addr = { 172, 16, (uint8_t)i }, .prefix = 24 } };
		dests[i][1] = (struct policy_dest){ .net = { .family = AF_INET,
			.addr = { 192, 168, (uint8_t)i, 10 }, .prefix = 32 }, .proto = IPPROTO_TCP,
			.port_lo = 443, .port_hi = 443 };
		dests[i][2] = (struct policy_dest){ .net = { .family = AF_INET6,
			.addr = { 0xfd, 0, (uint8_t)i }, .prefix = 48 } };
		dests[i][3] = (struct policy_dest){ .net = { .family = AF_INET,
			.addr = { 192, 168, (uint8_t)i, 0 }, .prefix = 24 }, .port_lo = 8000,
			.port_hi = 8100 };
		p[i].dests = dests[i];
		p[i].n_dests = 4;
		p[i].isolate = i % 2;
		p[i].portal_login = i % 5 == 0;
		p[i].idle_s = 600;
		g[i] = (struct enforce_group){ .id = (uint32_t)i + 1, .p = &p[i], .open = true };
	}
	for (i = 0; i < NDEV; i++) {
		d[i] = (struct enforce_dev){ .addr = { .family = AF_INET,
			.addr = { 10, 100, (uint8_t)(i >> 8), (uint8_t)i }, .prefix = 32 },
			.group = (uint32_t)(i % NGROUP) + 1, .ep_ok = true,
			.logged_in = i % 3 == 0,
			.class_up = (uint16_t)(i + 1), .class_dn = (uint16_t)(i + 20001) };
	}
	e = enforce_new(nl);
	slab0 = slab_kb();
	t0 = now_ms();
	if (enforce_converge(e, &c, g, NGROUP, d, NDEV) < 0) {
		fprintf(stderr, "converge: %s\n", nl_strerror(nl, -1));
		return 1;
	}
	conv = now_ms() - t0;
	slab1 = slab_kb();
	enforce_observe(e, count_cb, &bytes);
	for (i = 0; i < NCHANGE; i++) {
		struct enforce_dev x = d[(i * 7919) % NDEV];

		x.group = (uint32_t)((x.group + i) % NGROUP) + 1;
		x.class_up = (uint16_t)(30000 + i);
		t0 = now_ms();
		if (enforce_dev_set(e, &x) < 0) {
			fprintf(stderr, "dev_set: %s\n", nl_strerror(nl, -1));
			return 1;
		}
		t[i] = now_ms() - t0;
	}
	qsort(t, NCHANGE, sizeof(t[0]), dbl_cmp);
	p[7].isolate = !p[7].isolate;
	g[7].open = false;
	t0 = now_ms();
	if (enforce_group_set(e, &g[7]) < 0)
		return 1;
	grp = now_ms() - t0;
	enforce_observe(e, NULL, NULL);
	t0 = now_ms();
	if (enforce_matches(e, &m) < 0)
		return 1;
	printf("enforce: converge %d devices in %d groups: %.1f ms\n", NDEV, NGROUP, conv);
	printf("enforce: one device change at %d devices: p50 %.3f ms, p99 %.3f ms, max %.3f ms "
	       "(batch of the last: %zu bytes)\n", NDEV, t[NCHANGE / 2], t[NCHANGE * 99 / 100],
	       t[NCHANGE - 1], bytes);
	printf("enforce: one group change (closed, isolation toggled): %.2f ms\n", grp);
	printf("enforce: full check (enforce_matches): %.1f ms, match %s\n", now_ms() - t0,
	       m ? "yes" : "NO");
	printf("enforce: kernel slab growth for the table: %ld kB\n", slab1 - slab0);
	enforce_free(e);
	nl_close(nl);
	cidrv_clear(&c.pool);
	return m ? 0 : 1;
}
