/* libFuzzer harness for the portal's page decisions: the input is cut into method,
 * request target, Accept-Encoding and If-None-Match at newlines. Whatever static_decide
 * answers must be a status from the short list, a file only where the target names it
 * exactly under this build or is a page's route, never a path with an escape, an empty
 * or a dot segment, and gzip only where a gzip copy exists. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/portal/assets.h"
#include "server/portal/static.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *part(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, *p, n);
	s[n] = '\0';
	*p = nl ? nl + 1 : end;
	return s;
}

static bool hostile(const char *path, size_t len)
{
	size_t i;

	if (memchr(path, '%', len) || memmem(path, len, "//", 2))
		return true;
	for (i = 0; i + 1 < len; i++)
		if (path[i] == '/' && path[i + 1] == '.' &&
		    (i + 2 == len || path[i + 2] == '/' ||
		     (path[i + 2] == '.' && (i + 3 == len || path[i + 3] == '/'))))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct web_bundle *b = &web_bundle;
	const uint8_t *p = data, *end = data + size;
	struct static_answer a;
	struct static_req req;
	char *method, *url, *ae, *inm, want[256];
	const char *q;
	size_t len;

	method = part(&p, end);
	url = part(&p, end);
	ae = part(&p, end);
	inm = part(&p, end);
	req.method = method;
	req.url = url;
	req.accept_encoding = ae[0] ? ae : NULL;
	req.if_none_match = inm[0] ? inm : NULL;
	static_decide(b, &req, &a);

	q = strchr(url, '?');
	len = q ? (size_t)(q - url) : strlen(url);
	switch (a.status) {
	case 0:
		if (url[0] == '/' && !(len == 4 && memcmp(url, "/api", 4) == 0) &&
		    strncmp(url, "/api/", 5) != 0)
			abort();
		break;
	case 200:
	case 304:
		if (!a.asset || a.asset < b->assets || a.asset >= b->assets + b->n)
			abort();
		if (hostile(url, len) || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0))
			abort();
		if (a.gzip && !a.asset->gz)
			abort();
		if (a.immutable) {
			snprintf(want, sizeof(want), "/static/%s%s", b->build, a.asset->path);
			if (strlen(want) != len || memcmp(want, url, len) != 0)
				abort();
		} else if (strcmp(a.asset->path, STATIC_CONSOLE_INDEX) != 0 &&
			   strcmp(a.asset->path, STATIC_PORTAL_INDEX) != 0) {
			abort();
		}
		break;
	case 301:
		if (!a.location || strcmp(a.location, "/admin/") != 0)
			abort();
		break;
	case 404:
	case 405:
		if (a.asset)
			abort();
		break;
	default:
		abort();
	}
	static_accepts_gzip(ae);
	static_etag_matches(inm, "\"0123\"");
	free(method);
	free(url);
	free(ae);
	free(inm);
	return 0;
}
