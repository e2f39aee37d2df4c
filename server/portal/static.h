/* The web pages and their files, answered by the portal process itself: which request
 * targets they own, exact lookups in the embedded table, gzip and ETag negotiation. */
#ifndef WARREN_SERVER_PORTAL_STATIC_H
#define WARREN_SERVER_PORTAL_STATIC_H

#include <stdbool.h>
#include <stddef.h>

#include "assets.h"

struct mhd_api;
struct MHD_Connection;

#define STATIC_CONSOLE_INDEX "/console/index.html"
#define STATIC_PORTAL_INDEX "/portal/index.html"

/* One request as far as the pages care; header values are NULL when absent. */
struct static_req {
	const char *method;
	const char *url;                 /* the request target as received: path[?query] */
	const char *accept_encoding;
	const char *if_none_match;
};

struct static_answer {
	int status;                      /* 0: not the pages' (the API's); else 200, 301,
					  * 304, 404 or 405 */
	const struct web_asset *asset;   /* 200 and 304 */
	bool gzip;                       /* 200: send asset->gz, Content-Encoding: gzip */
	bool immutable;                  /* below /static/BUILD/: kept a year, else revalidated */
	const char *location;            /* 301 */
};

/* What req asks of bundle (DESIGN §10):
 *   /api and below                     the API's (status 0)
 *   any other method than GET, HEAD    405
 *   /admin                             301 to /admin/
 *   /admin/ and below                  the console's index.html
 *   /static/BUILD/PATH                 the file PATH of this build, else 404
 *   any other path                     the portal's index.html
 * A path with '%', an empty, "." or ".." segment, or a byte outside the printable
 * ASCII of a URL path is 404: nothing is decoded or normalised, and files are found
 * only by an exact match. */
void static_decide(const struct web_bundle *bundle, const struct static_req *req,
		   struct static_answer *a);

/* The asset at path (len bytes, leading '/'), or NULL. */
const struct web_asset *static_find(const struct web_bundle *bundle, const char *path,
				    size_t len);

/* Whether an Accept-Encoding value takes gzip (RFC 9110 §12.5.3: q-values, "*",
 * "x-gzip"); NULL (no header) does not. */
bool static_accepts_gzip(const char *accept_encoding);

/* Whether an If-None-Match value names etag (weak comparison, "*" names any). */
bool static_etag_matches(const char *if_none_match, const char *etag);

/* Answer the request on c when it is the pages': the libmicrohttpd result
 * (MHD_YES/MHD_NO), or -1 when it is the API's. */
int static_serve(const struct mhd_api *m, struct MHD_Connection *c, const char *method,
		 const char *url);

#endif
