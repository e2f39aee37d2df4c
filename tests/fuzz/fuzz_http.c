/* libFuzzer harness for the portal's request decisions: the input is cut into method,
 * request target, Authorization, If-None-Match and body at newlines (a first byte of
 * flags picks the peer, an oversized body and the clock's step). Whatever portal_route
 * decides must be a message the server accepts, of the route it names, or a local
 * answer with a status from the short list and a JSON body. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "server/portal/ipc.h"
#include "server/portal/portal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct portal_limiter rl;
static uint64_t now = 1;

/* The next part up to a newline, NUL-terminated in its own allocation (NULL at the end
 * of input when absent is wanted). */
static char *part(const uint8_t **p, const uint8_t *end, size_t *len)
{
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, *p, n);
	s[n] = '\0';
	*p = nl ? nl + 1 : end;
	if (len)
		*len = n;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[] = { 400, 401, 404, 405, 413, 414, 429 };
	const uint8_t *p = data, *end = data + size;
	struct sockaddr_in v4 = { .sin_family = AF_INET };
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6 };
	struct portal_reply rep;
	struct portal_req req;
	struct ipc_out out = { 0 };
	struct json_value *v;
	struct ipc_msg m;
	char *method, *url, *auth, *inm;
	uint8_t flags;
	size_t i, body_len = 0;
	int r;

	if (size < 1)
		return 0;
	flags = *p++;
	method = part(&p, end, NULL);
	url = part(&p, end, NULL);
	auth = part(&p, end, NULL);
	inm = part(&p, end, NULL);
	body_len = (size_t)(end - p);

	v4.sin_addr.s_addr = htonl(0xc0000200 | (flags & 3));
	v6.sin6_addr.s6_addr[0] = 0x20;
	v6.sin6_addr.s6_addr[15] = flags & 3;
	if (flags & 0x80) {
		v6.sin6_addr.s6_addr[10] = v6.sin6_addr.s6_addr[11] = 0xff;   /* mapped IPv4 */
		v6.sin6_addr.s6_addr[0] = 0;
	}
	now += (flags >> 2 & 7) * 5000;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.authorization = (flags & 0x20) ? NULL : auth;
	req.if_none_match = (flags & 0x40) ? inm : NULL;
	req.body = (const char *)p;
	req.body_len = body_len;
	req.body_too_large = (flags & 0x10) && (flags & 0x08);
	req.peer = (flags & 0x01) ? (struct sockaddr *)&v6 : (struct sockaddr *)&v4;
	req.id = 7;
	req.now_ms = now;
	req.limiter = &rl;

	r = portal_route(&req, &out, &rep);
	if (r == 1) {
		if (rep.status != 0 || ipc_parse(out.buf, out.len, &m, NULL, 0) != 0 || m.id != 7)
			abort();
		if ((rep.route == PORTAL_ENROLL && m.type != IPC_ENROLL) ||
		    (rep.route == PORTAL_PROFILE && m.type != IPC_PROFILE) ||
		    (rep.route == PORTAL_ADMIN && m.type != IPC_ADMIN) || rep.route == PORTAL_NONE)
			abort();
		if (rep.wait > PORTAL_WAIT_MAX)
			abort();
	} else if (r == 0) {
		for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
			if (rep.status == statuses[i])
				break;
		if (i == sizeof(statuses) / sizeof(statuses[0]))
			abort();
		if (!memchr(rep.body, '\0', sizeof(rep.body)) ||
		    json_parse(rep.body, strlen(rep.body), &v, NULL, NULL) != 0)
			abort();
		if (!json_get_str(v, "error"))
			abort();
		json_value_free(v);
		if ((rep.status == 429) != (rep.retry_after > 0))
			abort();
		if ((rep.status == 405) != (rep.allow != NULL))
			abort();
	} else {
		abort();
	}
	ipc_out_clear(&out);
	free(method);
	free(url);
	free(auth);
	free(inm);
	return 0;
}
