/* The command table behind `warren CMD` and the helpers commands share (usage, --help). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "../server/portal/portal.h"

const struct command cli_commands[] = {
	{ "genkey", cmd_genkey, "print a new private key", "" },
	{ "pubkey", cmd_pubkey, "read a private key on stdin, print its public key", "< PRIVATE-KEY" },
	{ "genpsk", cmd_genpsk, "print a new preshared key", "" },
	{ "check", cmd_check, "validate a configuration or wg-quick file", "[-c FILE] [FILE]" },
	{ "up", cmd_up, "bring up every tunnel of FILE", "[-v] [--state-dir DIR] FILE" },
	{ "agent", cmd_agent, "run the agent: keep every tunnel of FILE up (foreground)",
	  "[-v] [-c FILE]" },
	{ "down", cmd_down, "remove everything \"up FILE\" made", "[--state-dir DIR] FILE" },
	{ "enroll", cmd_enroll, "enrol this agent with a server's portal",
	  "URL TOKEN|- [--ca FILE] [-c FILE]   (TOKEN - reads it from stdin)" },
	{ "server", cmd_server, "run the server role (foreground)", "[-c FILE]" },
	{ "user", cmd_user, "manage the server's users",
	  "add NAME [--expires DATE|DURATION] [--quota SIZE[/month]] [--reset-day DAY] "
	  "[--public-key KEY] [--device NAME|--no-device] [--group GROUP] [--email ADDRESS] "
	  "[--rate RATE] | list [--json] [--state STATE] [--group GROUP] [--search TEXT] | show NAME [--json] | "
	  "config NAME [--device NAME] | qr NAME [--device NAME] [--png F|--svg F] | "
	  "set NAME [--expires DATE|DURATION|never] [--quota SIZE[/month]|none] [--reset-day DAY] "
	  "[--group GROUP] [--email ADDRESS] [--rate RATE|--rate-inherit] | disable NAME | enable NAME | delete NAME | "
	  "rotate NAME [--device NAME] [--public-key KEY] | passwd NAME | export | "
	  "import FILE [--dry-run]   [-s SOCKET] [-c FILE]" },
	{ "session", cmd_session, "list the server's session log",
	  "list [--user NAME [--device NAME]] [--since DATE] [--until DATE] [--search TEXT] "
	  "[--json] [-s SOCKET] [-c FILE]" },
	{ "device", cmd_device, "manage users' devices (config devices, enrolling agents)",
	  "add NAME --user USER [--config [--public-key KEY]] [--expires DURATION] | "
	  "list [--user USER] [--json] | delete NAME --user USER [-s SOCKET] [-c FILE]" },
	{ "token", cmd_token, "manage the administration API's tokens",
	  "add NAME [--role admin|viewer] | list [--json] | delete NAME [-s SOCKET] [-c FILE]" },
	{ "group", cmd_group, "manage the server's groups of users",
	  "add NAME [POLICY] | list [--json] | show NAME [--json] | "
	  "set NAME [POLICY] [--inherit FIELD]... | delete NAME [-s SOCKET] [-c FILE]   "
	  "(POLICY: [--destinations LIST] [--schedule TEXT] [--sources LIST] [--rate RATE] "
	  "[--isolate|--no-isolate] [--portal-login|--no-portal-login] [--idle DURATION] "
	  "[--max-maps N])" },
	{ "voucher", cmd_voucher, "manage the server's prepaid vouchers",
	  "add --count N [--duration DURATION] [--quota SIZE[/month]] [--group GROUP] "
	  "[--expires DATE|DURATION] [--uses N] [--name BATCH] | list [--json] | "
	  "show BATCH [--json] | revoke BATCH | delete BATCH [-s SOCKET] [-c FILE]" },
	{ "announce", cmd_announce, "manage the announcements users see in the portal",
	  "add --title TITLE --text TEXT [--group GROUP] [--pinned] [--until DATE] | "
	  "list [--json] | show ID [--json] | set ID [--title TITLE] [--text TEXT] "
	  "[--group GROUP|--everyone] [--pinned|--unpinned] [--until DATE|--no-until] | "
	  "delete ID [-s SOCKET] [-c FILE]" },
	{ "service", cmd_service, "manage the services catalog users see in the portal",
	  "add NAME --address HOST:PORT|URL [--description TEXT] [--group GROUP]... | "
	  "list [--json] | show NAME [--json] | set NAME [--address HOST:PORT|URL] "
	  "[--description TEXT] [--group GROUP]...|--everyone | delete NAME [-s SOCKET] [-c FILE]" },
	{ "dns", cmd_dns, "manage the built-in resolver: records, rules, block lists, query log",
	  "record add NAME TYPE VALUE [--ttl SECONDS] | record list [--json] | record del ID | "
	  "rule add block|allow PATTERN [--group GROUP] [--note TEXT] | rule list [--json] | "
	  "rule del ID | list [--json] | list add NAME PATH|URL [--group GROUP]... [--disabled] "
	  "[--refresh DURATION] | list set NAME [--enable|--disable] [--group GROUP]...|"
	  "--all-groups [--refresh DURATION] | list show NAME [--json] | list refresh NAME | "
	  "list del NAME | log [--user USER [--device DEVICE]] [--domain TEXT] [--type TYPE] "
	  "[--blocked|--allowed] [--rcode RCODE] [--since DATE] [--until DATE] [--limit N] [--json] | "
	  "stats [--since DATE] [--until DATE] [--user USER] [--top N] [--json] "
	  "[-s SOCKET] [-c FILE]" },
	{ "settings", cmd_settings, "the server's runtime settings",
	  "show [--json] | set KEY VALUE [KEY VALUE ...] | reset KEY [KEY ...] [-s SOCKET] [-c FILE]" },
	{ "admin", cmd_admin, "manage the console's accounts",
	  "add NAME [--role admin|viewer] | list [--json] | passwd NAME | delete NAME "
	  "[-s SOCKET] [-c FILE]" },
	{ "status", cmd_status, "show the running daemon: tunnels and groups, or the server's users",
	  "[--json] [-s SOCKET] [-c FILE]" },
	{ "reload", cmd_reload, "make the running daemon re-read its configuration",
	  "[-s SOCKET] [-c FILE]" },
};

const size_t cli_n_commands = sizeof(cli_commands) / sizeof(cli_commands[0]);

const struct command *cli_find(const char *name)
{
	size_t i;

	for (i = 0; i < cli_n_commands; i++)
		if (strcmp(cli_commands[i].name, name) == 0)
			return &cli_commands[i];
	return NULL;
}

int cli_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

int cli_usage(const struct command *cmd, int status)
{
	FILE *f = status ? stderr : stdout;

	fprintf(f, "usage: warren %s%s%s\n%s\n", cmd->name, cmd->usage[0] ? " " : "", cmd->usage,
		cmd->summary);
	return status;
}

