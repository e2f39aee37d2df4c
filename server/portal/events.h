/* The live event streams of the console and the portal (GET /api/v1/events, DESIGN 9 and
 * 10): which streams the portal holds and for whom, the status deltas after each
 * accounting poll and the user changes, each sent once per audience, and the end of a
 * stream when its session or token ends. Costs nothing while no stream is open. */
#ifndef WARREN_EVENTS_H
#define WARREN_EVENTS_H

#include <stddef.h>
#include <stdint.h>

struct api_caller;
struct server;

/* Sessions and tokens of open streams are checked this often; a session's end is heard
 * at once. */
#define EVENTS_CHECK_MS 10000u

/* s->events, after s->web and s->loop: 0 or -ENOMEM. */
int events_new(struct server *s);
void events_free(struct server *s);

/* An API_STREAM operation answered 200 for the portal's request id: open it as a stream
 * for audience ("all", "user:ID") on behalf of who. 0, or -errno when the portal could
 * not take it (the client left, no portal, too many streams). */
int events_open(struct server *s, uint32_t id, const struct api_caller *who,
		const char *audience);
/* The portal's CANCEL of id (the client left, or the portal died): forget the stream. */
void events_gone(struct server *s, uint32_t id);

/* Streams open now (for status). */
size_t events_count(const struct server *s);

/* After an accounting poll: the devices whose runtime changed since the last event. */
void events_status(struct server *s);
/* server_user_changed: user_id (0: anyone) was added, changed or deleted. Sent once
 * per round of the loop, however many changes came in it. */
void events_user(struct server *s, int64_t user_id);
/* server_announced: the announcements of group_id (0: everyone's) changed, or user_id
 * (nonzero) read one. Each user stream concerned gets "announcements" {"unread": N}
 * and the console's {} , once per round of the loop. */
void events_announcements(struct server *s, int64_t group_id, int64_t user_id);

#endif
