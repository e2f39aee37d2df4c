/* The files of web/ as they are embedded into the binary: the table that the build
 * writes into build/gen/web_assets.c (server/portal/embedgen.c) and the portal serves. */
#ifndef WARREN_SERVER_PORTAL_ASSETS_H
#define WARREN_SERVER_PORTAL_ASSETS_H

#include <stddef.h>

struct web_asset {
	const char *path;                /* below web/, with a leading '/': "/console/app.js" */
	const char *type;                /* Content-Type, with a charset for text */
	const unsigned char *data;
	size_t len;
	const unsigned char *gz;         /* gzip of data, NULL when it would not be smaller */
	size_t gz_len;
	const char *etag;                /* strong, quoted: a hash of data */
	const char *etag_gz;             /* the gzip representation's, NULL without gz */
};

struct web_bundle {
	const char *build;               /* a hash over every file: the /static/BUILD/ segment */
	const struct web_asset *assets;  /* sorted by path (strcmp) */
	size_t n;
};

/* The bundle of this binary. */
extern const struct web_bundle web_bundle;

#endif
