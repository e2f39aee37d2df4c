/* Queueing every response of the portal with the headers that protect the pages. */
#include "respond.h"
#include "../../common/util.h"

static const struct {
	const char *name, *value;
} secure[] = {
	{ "Content-Security-Policy", RESPOND_CSP },
	{ "X-Content-Type-Options", "nosniff" },
	{ "Referrer-Policy", "no-referrer" },
	{ "Strict-Transport-Security", "max-age=31536000" },
};

enum MHD_Result respond_queue(const struct mhd_api *m, struct MHD_Connection *c,
			      unsigned status, struct MHD_Response *r)
{
	enum MHD_Result ret;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(secure); i++)
		m->add_response_header(r, secure[i].name, secure[i].value);
	ret = m->queue_response(c, status, r);
	m->destroy_response(r);
	return ret;
}
