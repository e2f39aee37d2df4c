/* `warren server`: the layers put together. The core (server.c) with the database,
 * accounting and the link below it; on top, the control socket and the portal's side in
 * this process, both callers of the operations table, and the event streams; they hear
 * of changes through the core's hooks. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "server.h"
#include "api/api.h"
#include "portal/events.h"
#include "portal/portalcore.h"
#include "../agent/cli.h"
#include "../agent/ctl.h"
#include "../agent/loop.h"
#include "../agent/sdnotify.h"
#include "../common/json.h"
#include "../common/log.h"

/* Long polls of the user's agents and the event streams hear of every change. */
static void on_user_changed(struct server *s, int64_t user_id)
{
	portalcore_changed(s, user_id);
	events_user(s, user_id);
}

/* The portals' unread counts follow without polling. */
static void on_announced(struct server *s, int64_t group_id, int64_t user_id)
{
	events_announcements(s, group_id, user_id);
}

static void on_polled(struct server *s)
{
	events_status(s);
}

static void on_child_exited(struct server *s, pid_t pid)
{
	portalcore_child_exited(s, pid);
}

static void status(struct server *s, struct json *j)
{
	json_obj_begin(j, NULL);
	server_status(s, j, events_count(s));
	api_status_users(s, j);
	json_end(j);
}

static int on_ctl(int argc, char **argv, struct json *reply, void *data)
{
	struct server *s = data;

	if (strcmp(argv[0], "api") == 0 && argc == 3)
		return api_ctl(s, argv[1], argv[2], reply);
	if (strcmp(argv[0], "status") == 0 && argc == 1) {
		status(s, reply);
		return 0;
	}
	if (strcmp(argv[0], "reload") == 0 && argc == 1)
		return server_reload(s, reply);
	/* Tests move the schedules' clock (WARREN_TEST_CLOCK=1 at start), never the host's. */
	if (strcmp(argv[0], "clock") == 0 && argc == 2)
		return engine_clock_set(s, strtoll(argv[1], NULL, 10));
	return -EOPNOTSUPP;
}

int cmd_server(int argc, char **argv)
{
	struct server s = { 0 };
	const char *path = DEFAULT_CONFIG;
	bool ran = false;
	int o, r;

	optind = 1;
	while ((o = getopt(argc, argv, "+c:")) != -1) {
		if (o != 'c')
			return cli_usage(cli_find("server"), EXIT_USAGE);
		path = optarg;
	}
	if (optind < argc)
		return cli_usage(cli_find("server"), EXIT_USAGE);
	if (server_load(&s, path) < 0) {
		server_close(&s);
		return EXIT_USAGE;
	}
	r = server_open(&s);
	if (r < 0)
		goto out;
	if ((r = events_new(&s)) < 0) {
		log_err("setup: the event streams: %s", strerror(-r));
		goto out;
	}
	s.hooks.user_changed = on_user_changed;
	s.hooks.polled = on_polled;
	s.hooks.child_exited = on_child_exited;
	s.hooks.announced = on_announced;
	r = ctl_open(s.loop, config_socket(s.c, ROLE_SERVER), on_ctl, &s, &s.ctl);
	if (r < 0)
		goto out;
	r = server_start(&s);
	if (r >= 0)
		r = portalcore_open(&s);
	if (r < 0)
		goto stop;
	sd_notify_ready();
	log_info("server running on %s with %zu users and %zu devices in %s", s.c->server.ifname,
		 s.acct.n_users, s.acct.n_devs, s.c->server.database);
	r = loop_run(s.loop);
	sd_notify_stopping();
	ran = true;
stop:
	/* Leave nothing behind: the link with its peers, the table. The database stays. */
	server_stop(&s, ran);
out:
	portalcore_close(&s);
	events_free(&s);
	ctl_close(s.ctl);
	s.ctl = NULL;
	server_close(&s);
	return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}
