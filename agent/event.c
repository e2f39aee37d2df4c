/* Running the on_event command: spawned directly, its environment carrying the event. */
#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "../common/log.h"
#include "../common/util.h"

extern char **environ;

static const char *const event_vars[] = {
	"WARREN_EVENT=", "WARREN_TUNNEL=", "WARREN_GROUP=", "WARREN_ACTIVE=", "WARREN_PREVIOUS=",
	"WARREN_REASON=",
};

static bool is_event_var(const char *e)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(event_vars); i++)
		if (strncmp(e, event_vars[i], strlen(event_vars[i])) == 0)
			return true;
	return false;
}

pid_t event_run(const struct strv *argv, const struct event *ev)
{
	const char *values[ARRAY_SIZE(event_vars)] = {
		ev->name, ev->tunnel, ev->group, ev->active, ev->previous, ev->reason,
	};
	char **args, **env;
	size_t n_env = 0, i, k = 0;
	pid_t pid = 0;
	int r;

	if (!argv->n)
		return 0;
	while (environ[n_env])
		n_env++;
	env = xcalloc(n_env + ARRAY_SIZE(event_vars) + 1, sizeof(*env));
	/* An inherited WARREN_* must not masquerade as this event's. */
	for (i = 0; i < n_env; i++)
		if (!is_event_var(environ[i]))
			env[k++] = environ[i];
	for (i = 0; i < ARRAY_SIZE(event_vars); i++)
		env[k++] = xasprintf("%s%s", event_vars[i], values[i] ? values[i] : "");
	args = xcalloc(argv->n + 1, sizeof(*args));
	memcpy(args, argv->v, argv->n * sizeof(*args));
	r = posix_spawnp(&pid, args[0], NULL, NULL, args, env);
	if (r != 0) {
		log_warn("on_event \"%s\": %s", args[0], strerror(r));
		pid = -r;
	}
	for (i = k - ARRAY_SIZE(event_vars); i < k; i++)
		free(env[i]);
	free(env);
	free(args);
	return pid;
}
