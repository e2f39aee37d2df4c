/* warren's entry point: global options, then the command named first. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "../server/portal/portal.h"

static int usage(int status)
{
	FILE *f = status ? stderr : stdout;
	size_t i;

	fprintf(f, "usage: warren COMMAND [ARGS]\n"
		   "       warren --version | --help\n\n"
		   "WireGuard router: many tunnels, policy routing, failover.\n\n"
		   "commands:\n");
	for (i = 0; i < cli_n_commands; i++)
		fprintf(f, "  %-8s %s\n", cli_commands[i].name, cli_commands[i].summary);
	fprintf(f, "\n\"warren COMMAND --help\" describes one command; see warren(8).\n");
	return status;
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2)
		return usage(EXIT_USAGE);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)
		return usage(EXIT_OK);
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("warren %s\n", WARREN_VERSION);
		return EXIT_OK;
	}
	/* The server's unprivileged HTTP process, started by the server itself: not listed. */
	if (strcmp(argv[1], "portal") == 0)
		return cmd_portal(argc - 1, argv + 1);
	cmd = cli_find(argv[1]);
	if (!cmd) {
		fprintf(stderr, "warren: unknown command \"%s\"; see \"warren --help\"\n", argv[1]);
		return EXIT_USAGE;
	}
	if (cli_wants_help(argc - 1, argv + 1))
		return cli_usage(cmd, EXIT_OK);
	return cmd->fn(argc - 1, argv + 1);
}
