/* The portal's answers for the web pages: routing of request targets to embedded
 * files, content negotiation and caching headers. The decision is pure (static_decide);
 * static_serve turns it into a libmicrohttpd response. */
#include <string.h>
#include <strings.h>

#include "static.h"
#include "respond.h"
#include "mhd.h"
#include "portal.h"
#include "../../common/util.h"

#define IMMUTABLE "public, max-age=31536000, immutable"

static bool is_api(const char *path, size_t len)
{
	return (len == 4 && memcmp(path, "/api", 4) == 0) ||
	       (len > 4 && memcmp(path, "/api/", 5) == 0);
}

/* RFC 3986 pchar and '/', without pct-encoded: whatever else is there is not a path the
 * pages gave out. */
static bool path_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("-._~!$&'()*+,;=:@/", c));
}

/* No empty segment ("//"; a trailing '/' is fine), none "." or "..". */
static bool path_ok(const char *p, size_t len)
{
	size_t i, start;

	if (len == 0 || p[0] != '/')
		return false;
	for (i = 0; i < len; i++)
		if (!path_char((unsigned char)p[i]))
			return false;
	for (i = 1; i <= len; i = start + 1) {
		start = i;
		while (start < len && p[start] != '/')
			start++;
		if (start == i) {
			if (start < len)
				return false;        /* "//" */
			break;                       /* the trailing '/' */
		}
		if ((start - i == 1 && p[i] == '.') ||
		    (start - i == 2 && p[i] == '.' && p[i + 1] == '.'))
			return false;
	}
	return true;
}

static bool query_ok(const char *q)
{
	for (; *q; q++)
		if ((unsigned char)*q < 0x21 || (unsigned char)*q > 0x7e || *q == '#')
			return false;
	return true;
}

const struct web_asset *static_find(const struct web_bundle *b, const char *path, size_t len)
{
	size_t lo = 0, hi = b->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strncmp(b->assets[mid].path, path, len);
		if (c == 0 && b->assets[mid].path[len] != '\0')
			c = 1;
		if (c == 0)
			return &b->assets[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const char *ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* A qvalue in thousandths: "0" ["." 0*3DIGIT] / "1" ["." 0*3"0"]; -1 when malformed. */
static int qvalue(const char *s, size_t len)
{
	int v, scale = 100;
	size_t i;

	if (len == 0 || (s[0] != '0' && s[0] != '1') || len > 5 || (len > 1 && s[1] != '.'))
		return -1;
	v = (s[0] - '0') * 1000;
	for (i = 2; i < len; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v += (s[i] - '0') * scale;
	}
	return v > 1000 ? -1 : v;
}

bool static_accepts_gzip(const char *ae)
{
	int gz = -1, star = -1, q;
	const char *p = ae, *end, *semi, *name_end;
	size_t nl;

	if (!ae)
		return false;
	while (*p) {
		p = ows(p);
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		semi = memchr(p, ';', (size_t)(end - p));
		name_end = semi ? semi : end;
		while (name_end > p && (name_end[-1] == ' ' || name_end[-1] == '\t'))
			name_end--;
		nl = (size_t)(name_end - p);
		q = 1000;
		if (semi) {
			const char *v = ows(semi + 1), *ve;

			if ((v[0] == 'q' || v[0] == 'Q') && v[1] == '=') {
				v += 2;
				for (ve = v; ve < end && *ve != ' ' && *ve != '\t' && *ve != ';'; ve++)
					;
				q = qvalue(v, (size_t)(ve - v));
			} else {
				q = -1;              /* a parameter other than q: not ours */
			}
		}
		if (q >= 0) {
			if ((nl == 4 && strncasecmp(p, "gzip", 4) == 0) ||
			    (nl == 6 && strncasecmp(p, "x-gzip", 6) == 0))
				gz = gz < 0 || q > gz ? q : gz;
			else if (nl == 1 && *p == '*')
				star = q;
		}
		p = *end ? end + 1 : end;
	}
	return gz > 0 || (gz < 0 && star > 0);
}

bool static_etag_matches(const char *inm, const char *etag)
{
	const char *p = inm, *close;
	size_t el;

	if (!inm || !etag)
		return false;
	el = strlen(etag);
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			return false;
		if (*p == '*')
			return true;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		if (*p != '"')
			return false;
		close = strchr(p + 1, '"');
		if (!close)
			return false;
		if ((size_t)(close + 1 - p) == el && memcmp(p, etag, el) == 0)
			return true;
		p = close + 1;
	}
}

static void answer_asset(const struct web_bundle *b, const struct static_req *req,
			 const char *path, size_t len, bool immutable, struct static_answer *a)
{
	const char *etag;

	a->asset = static_find(b, path, len);
	if (!a->asset) {
		a->status = 404;
		return;
	}
	a->immutable = immutable;
	a->gzip = a->asset->gz && static_accepts_gzip(req->accept_encoding);
	etag = a->gzip ? a->asset->etag_gz : a->asset->etag;
	a->status = static_etag_matches(req->if_none_match, etag) ? 304 : 200;
}

void static_decide(const struct web_bundle *b, const struct static_req *req,
		   struct static_answer *a)
{
	const char *url = req->url, *q, *rest;
	size_t len, bl;

	memset(a, 0, sizeof(*a));
	if (!url || url[0] != '/')
		return;                          /* the API answers what is not a path */
	q = strchr(url, '?');
	len = q ? (size_t)(q - url) : strlen(url);
	if (is_api(url, len))
		return;
	if (len > PORTAL_MAX_URL || !path_ok(url, len) || (q && !query_ok(q + 1))) {
		a->status = 404;
		return;
	}
	if (!req->method || (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)) {
		a->status = 405;
		return;
	}
	if (len == 6 && memcmp(url, "/admin", 6) == 0) {
		a->status = 301;
		a->location = "/admin/";
		return;
	}
	if (len >= 7 && memcmp(url, "/admin/", 7) == 0) {
		answer_asset(b, req, STATIC_CONSOLE_INDEX, strlen(STATIC_CONSOLE_INDEX), false, a);
		return;
	}
	if ((len == 7 && memcmp(url, "/static", 7) == 0) ||
	    (len > 7 && memcmp(url, "/static/", 8) == 0)) {
		rest = url + 8;
		bl = strlen(b->build);
		if (len < 8 + bl + 2 || memcmp(rest, b->build, bl) != 0 || rest[bl] != '/') {
			a->status = 404;
			return;
		}
		answer_asset(b, req, rest + bl, len - 8 - bl, true, a);
		return;
	}
	answer_asset(b, req, STATIC_PORTAL_INDEX, strlen(STATIC_PORTAL_INDEX), false, a);
}

/* ---- libmicrohttpd ---- */

static struct MHD_Response *error_response(const struct mhd_api *m, const char *json)
{
	struct MHD_Response *r;

	r = m->create_response_from_buffer_with_free_callback_cls(strlen(json), json, NULL, NULL);
	if (r) {
		m->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
		m->add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	}
	return r;
}

int static_serve(const struct mhd_api *m, struct MHD_Connection *c, const char *method,
		 const char *url)
{
	struct static_req req = { .method = method, .url = url };
	const struct web_asset *as;
	struct static_answer a;
	struct MHD_Response *r;

	req.accept_encoding = m->lookup_connection_value(c, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT_ENCODING);
	req.if_none_match = m->lookup_connection_value(c, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_IF_NONE_MATCH);
	static_decide(&web_bundle, &req, &a);
	as = a.asset;
	switch (a.status) {
	case 0:
		return -1;
	case 200:
		r = m->create_response_from_buffer_with_free_callback_cls(
			a.gzip ? as->gz_len : as->len, a.gzip ? as->gz : as->data, NULL, NULL);
		break;
	case 301:
	case 304:
		r = m->create_response_from_buffer_with_free_callback_cls(0, "", NULL, NULL);
		break;
	case 405:
		r = error_response(m, "{\"error\":\"method not allowed\"}");
		break;
	default:
		r = error_response(m, "{\"error\":\"not found\"}");
		break;
	}
	if (!r)
		return MHD_NO;
	if (as) {
		if (a.status == 200)
			m->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, as->type);
		if (a.gzip && a.status == 200)
			m->add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
		if (as->gz)
			m->add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
		m->add_response_header(r, MHD_HTTP_HEADER_ETAG, a.gzip ? as->etag_gz : as->etag);
		/* Pages are looked at again each time, so a new build is seen at once; what they
		 * name carries the build in its path and never changes. */
		m->add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
				       a.immutable ? IMMUTABLE : "no-cache");
	}
	if (a.location)
		m->add_response_header(r, MHD_HTTP_HEADER_LOCATION, a.location);
	if (a.status == 405)
		m->add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	return respond_queue(m, c, (unsigned)a.status, r);
}
