/* GET /api/v1/events: who a live event stream is for. The stream itself is the portal's
 * (it holds the connection) and server/events.c's (it decides what each stream hears). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "ops.h"

struct events_req {
	bool unused;
};

static const struct api_field events_fields[] = { API_FIELD_END };

/* A console account or a token sees everything; a VPN user its own user and devices. */
static int events(struct api_call *c)
{
	if (c->who.kind == API_CALLER_SOCKET)
		return api_fail(c, -EINVAL, "events: a stream for HTTPS clients");
	if (c->who.kind == API_CALLER_USER)
		snprintf(c->stream, sizeof(c->stream), "user:%" PRId64, c->who.id);
	else
		snprintf(c->stream, sizeof(c->stream), "all");
	c->content_type = "text/event-stream";
	return 0;
}

const struct api_op op_events = {
	"events", "GET", "/api/v1/events", API_SELF, API_STREAM,
	sizeof(struct events_req), events_fields, events,
	"Live changes as Server-Sent Events: status deltas and user changes (a user: its own)",
	NULL,
};
