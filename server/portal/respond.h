/* The one place a response leaves the portal: the security headers every answer
 * carries (the pages', their files', the API's and its errors'), then the queue. */
#ifndef WARREN_SERVER_PORTAL_RESPOND_H
#define WARREN_SERVER_PORTAL_RESPOND_H

#include "mhd.h"

/* DESIGN §10: nothing inline, nothing from another origin, never framed. */
#define RESPOND_CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
	"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; " \
	"base-uri 'none'; form-action 'self'"

/* Add the security headers to r, queue it on c with status and let go of r. */
enum MHD_Result respond_queue(const struct mhd_api *m, struct MHD_Connection *c,
			      unsigned status, struct MHD_Response *r);

#endif
