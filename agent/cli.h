/* The command table behind `warren CMD`, and the helpers commands share. */
#ifndef WARREN_CLI_H
#define WARREN_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* Exit statuses, DESIGN.md section 2. */
#define EXIT_OK 0
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

#define DEFAULT_CONFIG "/etc/warren/warren.conf"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const char *usage;    /* the text after "usage: warren NAME" */
};

/* The table, in the order --help lists it. */
extern const struct command cli_commands[];
extern const size_t cli_n_commands;

/* true when argv holds -h or --help before any "--"; the command then prints its usage. */
int cli_wants_help(int argc, char **argv);
int cli_usage(const struct command *cmd, int status);

struct config;
struct diag;
/* conf_load, then WARREN_BACKEND (auto, kernel, userspace) from the environment overrides
 * daemon.backend; a bad value is an error in d. */
struct config *cli_load(const char *path, struct diag *d);

struct json;
/* One request to the daemon at -s SOCK, else the -c CONF file's daemon.socket, else the
 * default: 0 with *ok and reply filled, or an exit status (the reason printed). */
int ctl_client_call(const char *sock, const char *conf, int argc, char **argv, bool *ok,
		    struct json *reply);
int cmd_server(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_session(int argc, char **argv);
int cmd_enroll(int argc, char **argv);
int cmd_device(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_admin(int argc, char **argv);
int cmd_group(int argc, char **argv);
int cmd_settings(int argc, char **argv);
int cmd_voucher(int argc, char **argv);
int cmd_announce(int argc, char **argv);
int cmd_service(int argc, char **argv);
int cmd_dns(int argc, char **argv);
const struct command *cli_find(const char *name);

int cmd_genkey(int argc, char **argv);
int cmd_pubkey(int argc, char **argv);
int cmd_genpsk(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_reload(int argc, char **argv);

#endif
