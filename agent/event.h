/* Events for the outside world: daemon.on_event run with the event in its environment. */
#ifndef WARREN_EVENT_H
#define WARREN_EVENT_H

#include <sys/types.h>

#include "../profiles/model.h"

struct event {
	const char *name;       /* tunnel-up, tunnel-down, group-switch */
	const char *tunnel;     /* NULL: not about one tunnel */
	const char *group;
	const char *active;     /* group-switch: the new active member, NULL for none */
	const char *previous;
	const char *reason;
};

/* Start argv (no shell) with WARREN_EVENT, WARREN_TUNNEL, WARREN_GROUP, WARREN_ACTIVE,
 * WARREN_PREVIOUS and WARREN_REASON set; does not wait (the SIGCHLD handler reaps it).
 * Returns the child's pid, 0 when argv is empty, or -errno. */
pid_t event_run(const struct strv *argv, const struct event *ev);

#endif
