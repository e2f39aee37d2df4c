/* tcshape: netcfg/tc from the command line, for the shaping scenario and bench.
 *
 *   tcshape IFNAME root-add [LINK_BPS] | root-del | root-get
 *   tcshape IFNAME class-set MINOR RATE_BPS [MINOR RATE_BPS]... | class-del MINOR...
 *   tcshape IFNAME bench N       add classes 1..N, then change class N; prints the times
 *
 * Exit status 0 on success, 1 with "tcshape: ...: why" on stderr otherwise; root-get
 * prints "ours" or "other". MINOR is decimal or 0x-hex. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/rtnetlink.h>

#include "netcfg/link.h"
#include "netcfg/nl.h"
#include "netcfg/tc.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(struct nl *nl, const char *what, int err)
{
	fprintf(stderr, "tcshape: %s: %s\n", what, nl_strerror(nl, err));
	return 1;
}

static int bench(struct nl *nl, int ifindex, unsigned long n)
{
	double t0, t1, t2;
	unsigned long i;
	int err;

	t0 = now();
	for (i = 1; i <= n; i++) {
		err = tc_class_set(nl, ifindex, (uint16_t)i, 1000000 + i * 1000);
		if (err < 0)
			return fail(nl, "class-set", err);
	}
	t1 = now();
	err = tc_class_set(nl, ifindex, (uint16_t)n, 2000000);
	if (err < 0)
		return fail(nl, "class-set", err);
	t2 = now();
	printf("add %lu classes: %.3f s (%.1f us each); change one at %lu: %.3f ms\n", n,
	       t1 - t0, (t1 - t0) / (double)n * 1e6, n, (t2 - t1) * 1e3);
	return 0;
}

int main(int argc, char **argv)
{
	struct nl *nl = NULL;
	int ifindex, err, rc = 0, i;
	bool ours;

	if (argc < 3) {
		fprintf(stderr, "usage: tcshape IFNAME root-add [BPS] | root-del | root-get | "
				"class-set MINOR BPS... | class-del MINOR... | bench N\n");
		return 2;
	}
	err = nl_open(&nl, NETLINK_ROUTE);
	if (err < 0)
		return fail(NULL, "netlink", err);
	err = link_index(nl, argv[1], &ifindex);
	if (err < 0) {
		rc = fail(nl, argv[1], err);
		goto out;
	}
	if (strcmp(argv[2], "root-add") == 0) {
		err = tc_root_add(nl, ifindex, argc > 3 ? strtoull(argv[3], NULL, 0) : 0);
	} else if (strcmp(argv[2], "root-del") == 0) {
		err = tc_root_del(nl, ifindex);
	} else if (strcmp(argv[2], "root-get") == 0) {
		err = tc_root_get(nl, ifindex, &ours);
		if (err == 0)
			printf("%s\n", ours ? "ours" : "other");
	} else if (strcmp(argv[2], "class-set") == 0) {
		for (i = 3, err = 0; i + 1 < argc && err == 0; i += 2)
			err = tc_class_set(nl, ifindex, (uint16_t)strtoul(argv[i], NULL, 0),
					   strtoull(argv[i + 1], NULL, 0));
	} else if (strcmp(argv[2], "class-del") == 0) {
		for (i = 3, err = 0; i < argc && err == 0; i++)
			err = tc_class_del(nl, ifindex, (uint16_t)strtoul(argv[i], NULL, 0));
	} else if (strcmp(argv[2], "bench") == 0 && argc > 3) {
		rc = bench(nl, ifindex, strtoul(argv[3], NULL, 0));
		goto out;
	} else {
		fprintf(stderr, "tcshape: unknown command %s\n", argv[2]);
		rc = 2;
		goto out;
	}
	if (err < 0)
		rc = fail(nl, argv[2], err);
out:
	nl_close(nl);
	return rc;
}
