/* The control socket's side of the operations table: `api OP JSON` runs OP for root,
 * with the same parser, checks and audit as the HTTPS API. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "../server.h"
#include "../../agent/ctl.h"
#include "../../common/json.h"
#include "../../common/util.h"

struct ctl_wait {
	struct server *s;
	struct json *reply;            /* the handler's, while inside it */
	bool inside, finished;
	int r;
	uint64_t id;
};

static void answer(struct api_call *c, struct json *out)
{
	if (c->status < 400) {
		json_raw(out, json_text(c->reply), json_len(c->reply));
		return;
	}
	json_rawf(out, "%s\n", c->error[0] ? c->error : "failed");
}

static void on_done(struct api_call *c)
{
	struct ctl_wait *w = c->data;
	int r = c->status < 400 ? 0 : -EINVAL;

	if (w->inside) {
		answer(c, w->reply);
		w->r = r;
		w->finished = true;
		return;
	}
	{
		struct json out = { 0 };

		answer(c, &out);
		ctl_answer(w->s->ctl, w->id, r, &out);
		json_clear(&out);
	}
	free(w);
}

int api_ctl(struct server *s, const char *name, const char *request, struct json *reply)
{
	const struct api_op *op = api_find(name);
	struct api_caller who = { .kind = API_CALLER_SOCKET, .role = DB_ROLE_ADMIN };
	struct json_value *in = NULL;
	struct ctl_wait *w;
	struct api_call *c;
	const char *err = NULL;
	char why[256];
	size_t off = 0;
	int r;

	if (!op) {
		json_rawf(reply, "unknown operation \"%.40s\"\n", name);
		return -EOPNOTSUPP;
	}
	snprintf(who.source, sizeof(who.source), "socket");
	if (json_parse(request, strlen(request), &in, &err, &off) < 0) {
		json_rawf(reply, "request: %s at byte %zu\n", err ? err : "not JSON", off);
		return -EINVAL;
	}
	w = xcalloc(1, sizeof(*w));
	w->s = s;
	w->reply = reply;
	w->inside = true;
	c = api_call_new(s, op, &who, on_done, w);
	r = api_parse(op, in, c->req, why, sizeof(why));
	json_value_free(in);
	if (r < 0) {
		json_rawf(reply, "%s\n", why);
		api_call_free(c);
		free(w);
		return r;
	}
	api_run(c);
	if (w->finished) {
		r = w->r;
		free(w);
		return r;
	}
	w->inside = false;
	w->id = ctl_defer(s->ctl);
	return CTL_DEFERRED;
}
