/* The server's side of the portal (docs/portal.md). */
#ifndef WARREN_PORTALCORE_H
#define WARREN_PORTALCORE_H

#include <stdint.h>
#include <sys/types.h>

struct json;
struct server;

/* Load (or make) the signing key and, with a server.portal section, start the HTTP
 * process. 0 or -errno (logged). */
int portalcore_open(struct server *s);
void portalcore_close(struct server *s);
/* Something a profile is made of may have changed, for user_id (0: for everyone, as the
 * server's own settings): answer the long polls it concerns. */
void portalcore_changed(struct server *s, int64_t user_id);
/* The event streams' side (server/events.c): answer request id by opening a stream for
 * audience, send an event to an audience's streams, end a stream. 0, or -ENOTCONN when no
 * portal runs, or portalproc's -errno. */
int portalcore_stream(struct server *s, uint32_t id, const char *audience);
int portalcore_event(struct server *s, const char *audience, const char *name,
		     const struct json *data);
int portalcore_end_stream(struct server *s, uint32_t id);
/* From the server's SIGCHLD handling: the HTTP process may have exited. */
void portalcore_child_exited(struct server *s, pid_t pid);

#endif
