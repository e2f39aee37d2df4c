/* `warren check`: parse and validate a file, print every problem, change nothing. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "../profiles/conf.h"

struct config *cli_load(const char *path, struct diag *d)
{
	const char *env = getenv("WARREN_BACKEND");
	struct config *c = conf_load(path, d);

	if (env && *env && backend_from_name(env, &c->daemon.backend) < 0)
		diag_error(d, NULL, 0, "WARREN_BACKEND \"%s\": expected auto, kernel or userspace", env);
	return c;
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DEFAULT_CONFIG;
	struct diag d = { 0 };
	struct config *c;
	int o, r;

	while ((o = getopt_long(argc, argv, "+c:", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			path = optarg;
			break;
		default:
			return cli_usage(cli_find("check"), EXIT_USAGE);
		}
	}
	if (optind < argc)
		path = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "warren check: unexpected argument \"%s\"\n", argv[optind]);
		return cli_usage(cli_find("check"), EXIT_USAGE);
	}
	c = conf_load(path, &d);
	diag_print(&d, stderr);
	if (d.errors) {
		r = EXIT_USAGE;
	} else {
		printf("configuration OK\n");
		r = EXIT_OK;
	}
	diag_clear(&d);
	config_free(c);
	return r;
}
