/* The portal process: libmicrohttpd with TLS on the process's one epoll loop, routing of
 * API requests into socketpair messages, long polls held as suspended connections, and
 * the failed-authentication limiter. It runs without privileges and without threads. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mhd.h"
#include "portal.h"
#include "ipc.h"
#include "respond.h"
#include "sse.h"
#include "static.h"
#include "../../agent/loop.h"
#include "../../common/json.h"
#include "../../common/log.h"
#include "../../common/util.h"

/* The HTTP library, loaded when this process starts (server/mhd.h says why). */
static const struct mhd_api *mhd;

#define PORTAL_TLS_MAX (1u << 20)            /* certificate chain and key, PEM */
#define PORTAL_ANSWER_GRACE_S 30             /* beyond a request's wait, for the server */
#define PORTAL_IPC_QUEUE_MAX (64u << 20)     /* unsent bytes to the server before giving up */
#define PORTAL_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define PORTAL_FDS_SPARE 64                  /* descriptors besides connections */

/* ---- the failed-authentication limiter ---- */

void portal_limiter_init(struct portal_limiter *rl)
{
	memset(rl, 0, sizeof(*rl));
	randombytes_buf(rl->seed, sizeof(rl->seed));
}

/* IPv4 (also when mapped into IPv6) by /32, IPv6 by /64. */
static bool rl_key(const struct sockaddr *sa, uint8_t key[9])
{
	const struct sockaddr_in6 *s6;

	memset(key, 0, 9);
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family != AF_INET6)
		return false;
	s6 = (const struct sockaddr_in6 *)sa;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		key[0] = 4;
		memcpy(key + 1, s6->sin6_addr.s6_addr + 12, 4);
	} else {
		key[0] = 6;
		memcpy(key + 1, s6->sin6_addr.s6_addr, 8);
	}
	return true;
}

static uint64_t elapsed(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static struct portal_rl_slot *rl_find(struct portal_limiter *rl, const uint8_t key[9],
				      uint64_t now, bool create)
{
	unsigned char h[crypto_shorthash_BYTES];
	struct portal_rl_slot *set, *victim = NULL;
	uint64_t idx;
	size_t i;

	crypto_shorthash(h, key, 9, rl->seed);
	memcpy(&idx, h, sizeof(idx));
	set = rl->slot[idx % PORTAL_RL_SETS];
	for (i = 0; i < PORTAL_RL_WAYS; i++)
		if (set[i].used && memcmp(set[i].key, key, 9) == 0)
			return &set[i];
	if (!create)
		return NULL;
	/* A free way, else one whose window is over, else the oldest window. */
	for (i = 0; i < PORTAL_RL_WAYS; i++) {
		if (!set[i].used || elapsed(now, set[i].start_ms) >= PORTAL_RL_WINDOW_MS) {
			victim = &set[i];
			break;
		}
		if (!victim || set[i].start_ms < victim->start_ms)
			victim = &set[i];
	}
	memcpy(victim->key, key, 9);
	victim->used = true;
	victim->fails = 0;
	victim->start_ms = now;
	return victim;
}

void portal_limiter_fail(struct portal_limiter *rl, const struct sockaddr *peer, uint64_t now_ms)
{
	struct portal_rl_slot *s;
	uint8_t key[9];

	if (!rl || !rl_key(peer, key))
		return;
	s = rl_find(rl, key, now_ms, true);
	if (elapsed(now_ms, s->start_ms) >= PORTAL_RL_WINDOW_MS) {
		s->start_ms = now_ms;
		s->fails = 0;
	}
	if (s->fails < UINT32_MAX)
		s->fails++;
}

unsigned portal_limiter_check(struct portal_limiter *rl, const struct sockaddr *peer,
			      uint64_t now_ms)
{
	struct portal_rl_slot *s;
	uint64_t e;
	uint8_t key[9];

	if (!rl || !rl_key(peer, key))
		return 0;
	s = rl_find(rl, key, now_ms, false);
	if (!s)
		return 0;
	e = elapsed(now_ms, s->start_ms);
	if (e >= PORTAL_RL_WINDOW_MS) {
		s->used = false;
		return 0;
	}
	if (s->fails < PORTAL_RL_FAILS)
		return 0;
	return (unsigned)((PORTAL_RL_WINDOW_MS - e + 999) / 1000);
}

/* ---- routing: one request to one message, or a local answer ---- */

void portal_peer_text(const struct sockaddr *sa, char *out, size_t size)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	if (size == 0)
		return;
	out[0] = '\0';
	if (!sa)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)size);
	else if (sa->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		inet_ntop(AF_INET, s6->sin6_addr.s6_addr + 12, out, (socklen_t)size);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &s6->sin6_addr, out, (socklen_t)size);
}

static int local(struct portal_reply *r, int status, const char *error)
{
	struct json j = { 0 };

	r->status = status;
	json_obj_begin(&j, NULL);
	json_str(&j, "error", error);
	json_end(&j);
	if (strlcpy_check(r->body, json_text(&j), sizeof(r->body)) < 0)
		strcpy(r->body, "{\"error\":\"error\"}");
	json_clear(&j);
	return 0;
}

static int unauthorized(const struct portal_req *req, struct portal_reply *r)
{
	portal_limiter_fail(req->limiter, req->peer, req->now_ms);
	return local(r, 401, "unauthorized");
}

static bool b64url_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

static bool token_form(const char *s, size_t len)
{
	size_t i;

	if (len != PORTAL_TOKEN_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!b64url_char(s[i]))
			return false;
	return true;
}

/* "Bearer TOKEN" (scheme in any case, RFC 6750): the token into tok, else false. */
static bool bearer(const char *h, char tok[PORTAL_TOKEN_LEN + 1])
{
	size_t n;

	if (!h)
		return false;
	while (*h == ' ' || *h == '\t')
		h++;
	if (strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t'))
		return false;
	h += 6;
	while (*h == ' ' || *h == '\t')
		h++;
	for (n = 0; h[n] && h[n] != ' ' && h[n] != '\t'; n++)
		;
	if (!token_form(h, n))
		return false;
	memcpy(tok, h, n);
	tok[n] = '\0';
	for (h += n; *h == ' ' || *h == '\t'; h++)
		;
	return *h == '\0';
}

/* A WireGuard key as wg prints it: 43 base64 characters and "=", the last character one
 * whose two low bits are zero (32 bytes are 256 bits, not 258). */
static bool wg_key_form(const char *s, size_t len)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p;
	size_t i;

	if (len != 44 || s[43] != '=')
		return false;
	for (i = 0; i < 43; i++)
		if (!s[i] || !strchr(b64, s[i]))
			return false;
	p = strchr(b64, s[42]);
	return ((p - b64) & 3) == 0;
}

static bool host_name_form(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_'))
			return false;
	}
	return true;
}

/* Percent-decode s[0, len) into out (size bytes, NUL-terminated); '+' is a space as in
 * forms. false on a bad escape, %00, or when it does not fit. */
static bool pct_decode(const char *s, size_t len, char *out, size_t size)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			if (len - i < 3 || (hi = hex_digit(s[i + 1])) < 0 || (lo = hex_digit(s[i + 2])) < 0 ||
			    (hi | lo) == 0)
				return false;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (o + 1 >= size)
			return false;
		out[o++] = c;
	}
	out[o] = '\0';
	return true;
}

/* The one value of key in a query string: 1 found, 0 absent, -1 malformed or repeated. */
static int query_get(const char *q, const char *key, char *val, size_t size)
{
	const char *p = q, *amp, *eq;
	char k[32];
	int found = 0;

	while (p && *p) {
		amp = strchr(p, '&');
		if (!amp)
			amp = p + strlen(p);
		eq = memchr(p, '=', (size_t)(amp - p));
		if (amp > p) {
			if (!pct_decode(p, (size_t)((eq ? eq : amp) - p), k, sizeof(k)))
				k[0] = '\0';      /* a long or odd key is not ours */
			if (strcmp(k, key) == 0) {
				if (found || !eq || !pct_decode(eq + 1, (size_t)(amp - eq - 1), val, size))
					return -1;
				found = 1;
			}
		}
		p = *amp ? amp + 1 : NULL;
	}
	return found;
}

/* 0..PORTAL_WAIT_MAX as plain decimal. */
static bool wait_form(const char *s, unsigned *w)
{
	unsigned v = 0;
	size_t i;

	if (!s[0] || strlen(s) > 3)
		return false;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > PORTAL_WAIT_MAX)
		return false;
	*w = v;
	return true;
}

static bool printable_ascii(const char *s, size_t len, bool space)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < (space ? 0x20 : 0x21) || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* Every segment of the path is a name: no "", "." or "..". */
static bool path_segments_ok(const char *path, size_t len)
{
	size_t i = 1, start;

	if (len == 0 || path[0] != '/')
		return false;
	while (i <= len) {
		start = i;
		while (i < len && path[i] != '/')
			i++;
		if (i == start || (i - start == 1 && path[start] == '.') ||
		    (i - start == 2 && path[start] == '.' && path[start + 1] == '.'))
			return false;
		i++;
	}
	return true;
}

static bool under(const char *path, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(path, prefix, n) == 0 && (len == n || path[n] == '/');
}

static bool is_path(const char *path, size_t len, const char *p)
{
	return len == strlen(p) && memcmp(path, p, len) == 0;
}

/* {"token": T, "public_key": K, "name": N?}: exactly these members, strings, once each. */
static int route_enroll(const struct portal_req *req, const char *peer, struct ipc_out *out,
			struct portal_reply *r)
{
	struct json_value *v = NULL;
	const struct json_value *tok = NULL, *key = NULL, *name = NULL, **slot;
	size_t i;
	int ret;

	if (json_parse(req->body ? req->body : "", req->body_len, &v, NULL, NULL) < 0)
		return local(r, 400, "body: not valid JSON");
	if (v->type != JSON_OBJECT) {
		ret = local(r, 400, "body: expected a JSON object");
		goto out;
	}
	for (i = 0; i < v->n; i++) {
		if (strcmp(v->keys[i], "token") == 0)
			slot = &tok;
		else if (strcmp(v->keys[i], "public_key") == 0)
			slot = &key;
		else if (strcmp(v->keys[i], "name") == 0)
			slot = &name;
		else {
			ret = local(r, 400, "body: unknown member");
			goto out;
		}
		if (*slot) {
			ret = local(r, 400, "body: repeated member");
			goto out;
		}
		*slot = v->items[i];
	}
	if (!tok) {
		ret = local(r, 400, "token: missing");
		goto out;
	}
	if (tok->type != JSON_STRING) {
		ret = local(r, 400, "token: expected a string");
		goto out;
	}
	if (!key) {
		ret = local(r, 400, "public_key: missing");
		goto out;
	}
	if (key->type != JSON_STRING || !wg_key_form(key->s, key->slen)) {
		ret = local(r, 400, "public_key: expected a WireGuard public key");
		goto out;
	}
	if (name && name->type == JSON_NULL)
		name = NULL;
	if (name && (name->type != JSON_STRING || !host_name_form(name->s, name->slen))) {
		ret = local(r, 400, "name: expected a host name");
		goto out;
	}
	/* A token of the wrong form is a bad token: no need to ask. */
	if (!token_form(tok->s, tok->slen)) {
		ret = unauthorized(req, r);
		goto out;
	}
	ipc_out_begin(out, IPC_ENROLL, req->id);
	ipc_out_str(out, IPC_T_PEER, peer);
	ipc_out_field(out, IPC_T_TOKEN, tok->s, tok->slen);
	ipc_out_field(out, IPC_T_PUBLIC_KEY, key->s, key->slen);
	if (name)
		ipc_out_field(out, IPC_T_NAME, name->s, name->slen);
	r->route = PORTAL_ENROLL;
	ret = ipc_out_finish(out) == 0 ? 1 : local(r, 413, "request too large");
out:
	if (v && v->type == JSON_OBJECT && tok && tok->type == JSON_STRING)
		sodium_memzero(tok->s, tok->slen);
	json_value_free(v);
	return ret;
}

static int route_profile(const struct portal_req *req, const char *query, const char *peer,
			 struct ipc_out *out, struct portal_reply *r)
{
	char tok[PORTAL_TOKEN_LEN + 1], wait[8];
	const char *inm = req->if_none_match;
	int q = query ? query_get(query, "wait", wait, sizeof(wait)) : 0;

	if (q < 0 || (q > 0 && !wait_form(wait, &r->wait)))
		return local(r, 400, "wait: expected 0..300 seconds");
	if (inm && (inm[0] == '\0' || strlen(inm) > 256 || !printable_ascii(inm, strlen(inm), true)))
		return local(r, 400, "If-None-Match: malformed");
	if (!bearer(req->authorization, tok))
		return unauthorized(req, r);
	ipc_out_begin(out, IPC_PROFILE, req->id);
	ipc_out_str(out, IPC_T_PEER, peer);
	ipc_out_str(out, IPC_T_CREDENTIAL, tok);
	ipc_out_str(out, IPC_T_ETAG, inm);
	if (q > 0) {
		snprintf(wait, sizeof(wait), "%u", r->wait);    /* canonical: "060" is "60" */
		ipc_out_str(out, IPC_T_WAIT, wait);
	}
	sodium_memzero(tok, sizeof(tok));
	r->route = PORTAL_PROFILE;
	return ipc_out_finish(out) == 0 ? 1 : local(r, 413, "request too large");
}

static int route_admin(const struct portal_req *req, const char *peer, struct ipc_out *out,
		       struct portal_reply *r)
{
	char tok[PORTAL_TOKEN_LEN + 1];
	bool have_token = false;

	/* The table's methods are words of capitals; anything else is no method of ours (and
	 * could not travel as a text field). */
	if (!req->method || !*req->method || strlen(req->method) > 16 ||
	    strspn(req->method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(req->method)) {
		r->allow = "GET, POST, PATCH, DELETE";
		return local(r, 405, "method not allowed");
	}
	/* A page of another site cannot make a browser act with its session here. */
	if (req->fetch_site && strcmp(req->fetch_site, "cross-site") == 0)
		return local(r, 403, "cross-site request refused");
	if (req->authorization) {
		if (!bearer(req->authorization, tok))
			return unauthorized(req, r);
		have_token = true;
	}
	if ((req->cookie && strlen(req->cookie) > PORTAL_COOKIE_MAX) ||
	    (req->csrf && strlen(req->csrf) > 128))
		return local(r, 431, "request header fields too large");
	ipc_out_begin(out, IPC_ADMIN, req->id);
	ipc_out_str(out, IPC_T_PEER, peer);
	if (have_token)
		ipc_out_str(out, IPC_T_TOKEN, tok);
	ipc_out_str(out, IPC_T_METHOD, req->method);
	ipc_out_str(out, IPC_T_PATH, req->url);
	ipc_out_str(out, IPC_T_COOKIE, req->cookie);
	ipc_out_str(out, IPC_T_CSRF, req->csrf);
	if (req->body_len)
		ipc_out_field(out, IPC_T_BODY, req->body, req->body_len);
	sodium_memzero(tok, sizeof(tok));
	r->route = PORTAL_ADMIN;
	return ipc_out_finish(out) == 0 ? 1 : local(r, 413, "request too large");
}

int portal_route(const struct portal_req *req, struct ipc_out *out, struct portal_reply *r)
{
	const char *url = req->url, *method = req->method ? req->method : "", *query;
	char peer[INET6_ADDRSTRLEN];
	size_t len, plen;
	unsigned retry;

	memset(r, 0, sizeof(*r));
	if (!url || url[0] != '/')
		return local(r, 404, "not found");
	len = strlen(url);
	if (len > PORTAL_MAX_URL)
		return local(r, 414, "request target too long");
	if (!printable_ascii(url, len, false) || memchr(url, '#', len))
		return local(r, 400, "malformed request target");
	query = strchr(url, '?');
	plen = query ? (size_t)(query - url) : len;
	if (query)
		query++;

	retry = portal_limiter_check(req->limiter, req->peer, req->now_ms);
	if (retry) {
		r->retry_after = retry;
		return local(r, 429, "too many failed authentications");
	}
	if (!path_segments_ok(url, plen))
		return local(r, 404, "not found");
	portal_peer_text(req->peer, peer, sizeof(peer));

	if (is_path(url, plen, "/api/v1/agent/enroll")) {
		if (strcmp(method, "POST") != 0) {
			r->allow = "POST";
			return local(r, 405, "method not allowed");
		}
		if (req->body_too_large)
			return local(r, 413, "request body over 64 KiB");
		return route_enroll(req, peer, out, r);
	}
	if (is_path(url, plen, "/api/v1/agent/profile")) {
		if (strcmp(method, "GET") != 0) {
			r->allow = "GET";
			return local(r, 405, "method not allowed");
		}
		if (req->body_too_large)
			return local(r, 413, "request body over 64 KiB");
		return route_profile(req, query, peer, out, r);
	}
	if (under(url, plen, "/api/v1")) {
		if (req->body_too_large)
			return local(r, 413, "request body over 64 KiB");
		return route_admin(req, peer, out, r);
	}
	return local(r, 404, "not found");
}

/* ---- the HTTP side ---- */

struct portal;

enum rq_state {
	RQ_READING,                 /* headers in, body arriving */
	RQ_WAITING,                 /* forwarded, connection suspended */
	RQ_ANSWERED,                /* resumed with an answer to send */
	RQ_GONE,                    /* resumed to be closed: the client left */
};

struct preq {
	struct portal *p;
	struct MHD_Connection *conn;
	char *url;
	struct sockaddr_storage peer;
	bool started;
	enum rq_state state;
	char *body;
	size_t body_len;
	bool too_large;
	uint64_t start_ms;
	uint32_t id;
	int fd;                     /* watched for the client leaving while suspended */
	struct timer *deadline;
	struct preq *next;          /* in p->waiting */
	/* the answer */
	int status;
	char *abody;
	size_t abody_len;
	char *etag, *sig;
	unsigned retry_after;
	char *content_type, *filename, *set_cookie, *allow;
	bool bearer;                /* a 401 means a bad credential (logins count elsewhere) */
	/* an event stream, once the server's answer opened it */
	bool stream;
	int64_t audience;           /* 0: every event for all; else this user's */
	struct sse_queue q;
	bool linked;                /* in p->streams: events go into it */
	bool parked;                /* suspended in the content reader until bytes wait */
	bool ending;                /* the server ended it: close after what waits */
	bool dropped;               /* closed from here: the client left or reads too slowly */
	uint64_t sent_ms;           /* bytes last went to libmicrohttpd */
	LIST_ENTRY(preq) by_stream;
};

LIST_HEAD(stream_list, preq);

/* A connection, while no request of it is under way (from its start, and from each
 * answer on): it has PORTAL_REQUEST_TIMEOUT to finish the TLS handshake and the next
 * request's headers. libmicrohttpd times out only silence, so one that sends a byte
 * every few seconds would otherwise hold its place for ever. */
struct pconn {
	int fd;
	uint64_t since_ms;
	bool idle;                  /* on p->idle, oldest first */
	TAILQ_ENTRY(pconn) link;
};

TAILQ_HEAD(pconn_list, pconn);

struct portal {
	struct loop *loop;
	struct MHD_Daemon *mhd;
	int mhd_fd;
	struct timer *mhd_timer;
	int ipc_fd;
	bool ipc_writing;           /* EPOLLOUT asked for */
	bool ipc_dead;              /* the server is gone: nothing more to send */
	struct ipc_reader rd;
	struct ipc_writer wr;
	struct ipc_out out;
	struct portal_limiter rl;
	uint32_t next_id;
	struct preq *waiting;
	struct stream_list streams;
	size_t n_streams;
	struct timer *beat;         /* heartbeats of idle streams */
	bool started;               /* MHD is up: its messages are per connection now */
	struct pconn_list idle;     /* connections without a request under way */
	struct timer *idle_timer;   /* when the oldest of them runs out of time */
	uint64_t n_cut;             /* connections cut off for being too slow */
};

/* A response body that is wiped when libmicrohttpd lets go of it: profiles carry keys. */
struct wbuf {
	size_t len;
	char data[];
};

static void wbuf_free(void *cls)
{
	struct wbuf *b = cls;

	sodium_memzero(b->data, b->len);
	free(b);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct portal *p = cls;
	char buf[512];
	size_t n;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (p->started)
		log_debug("portal: %s", buf);
	else
		log_err("portal: %s", buf);
}

/* The server is gone or misbehaves: stop serving. */
static void portal_fail(struct portal *p, int status)
{
	p->ipc_dead = true;
	loop_stop(p->loop, status);
}

static void ipc_flush(struct portal *p)
{
	int e = ipc_writer_flush(&p->wr, p->ipc_fd);
	bool want = e == -EAGAIN;

	if (e < 0 && e != -EAGAIN) {
		log_info("portal: writing to the server: %s; exiting", strerror(-e));
		portal_fail(p, 0);
		return;
	}
	if (want != p->ipc_writing) {
		p->ipc_writing = want;
		loop_mod_fd(p->loop, p->ipc_fd, EPOLLIN | (want ? EPOLLOUT : 0));
	}
}

static void ipc_send(struct portal *p, const struct ipc_out *o)
{
	if (p->ipc_dead)
		return;
	ipc_writer_queue(&p->wr, o);
	if (ipc_writer_pending(&p->wr) > PORTAL_IPC_QUEUE_MAX) {
		log_err("portal: the server stopped reading (%zu bytes queued); exiting",
			ipc_writer_pending(&p->wr));
		portal_fail(p, 1);
		return;
	}
	ipc_flush(p);
}

static void send_cancel(struct portal *p, uint32_t id)
{
	ipc_out_begin(&p->out, IPC_CANCEL, id);
	if (ipc_out_finish(&p->out) == 0)
		ipc_send(p, &p->out);
}

/* Let libmicrohttpd run again on the next round of the loop. */
static void mhd_soon(struct portal *p)
{
	timer_arm(p->mhd_timer, 0);
}

static void mhd_reschedule(struct portal *p, uint64_t floor_ms)
{
	MHD_UNSIGNED_LONG_LONG t;

	if (mhd->get_timeout(p->mhd, &t) == MHD_YES)
		timer_arm(p->mhd_timer, t < floor_ms ? floor_ms : (uint64_t)t);
	else
		timer_disarm(p->mhd_timer);
}

static void mhd_run(struct portal *p, uint64_t floor_ms)
{
	mhd->run(p->mhd);
	mhd_reschedule(p, floor_ms);
}

static void on_mhd_fd(struct loop *l, int fd, uint32_t events, void *data)
{
	mhd_run(data, 0);
}

static void on_mhd_timer(struct loop *l, struct timer *t, void *data)
{
	struct portal *p = data;
	MHD_UNSIGNED_LONG_LONG left;
	int i;

	/* After a resumed connection libmicrohttpd asks to run again at once, a step or two
	 * per answer: run it here while it does, rather than through a 1 ms timer each time
	 * (a zero timeout re-armed from here would fire in the same round). */
	for (i = 0; i < 8; i++) {
		mhd->run(p->mhd);
		if (mhd->get_timeout(p->mhd, &left) != MHD_YES || left > 0)
			break;
	}
	mhd_reschedule(p, 1);
}

static void waiting_unlink(struct preq *rq)
{
	struct preq **pp;

	for (pp = &rq->p->waiting; *pp; pp = &(*pp)->next) {
		if (*pp == rq) {
			*pp = rq->next;
			break;
		}
	}
	rq->next = NULL;
}

static void unwatch(struct preq *rq)
{
	if (rq->fd >= 0) {
		loop_del_fd(rq->p->loop, rq->fd);
		rq->fd = -1;
	}
	timer_disarm(rq->deadline);
}

/* Out of RQ_WAITING: the handler runs again and answers, or closes. */
static void resume(struct preq *rq, enum rq_state state)
{
	unwatch(rq);
	waiting_unlink(rq);
	rq->state = state;
	mhd->resume_connection(rq->conn);
	mhd_soon(rq->p);
}

static void answer_local(struct preq *rq, int status, const char *error)
{
	struct portal_reply r;

	local(&r, status, error);
	rq->status = status;
	rq->abody = xstrdup(r.body);
	rq->abody_len = strlen(r.body);
}

static void on_client_gone(struct loop *l, int fd, uint32_t events, void *data)
{
	struct preq *rq = data;

	if (!(events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	log_debug("portal: request %" PRIu32 ": the client went away", rq->id);
	send_cancel(rq->p, rq->id);
	resume(rq, RQ_GONE);
}

static void on_deadline(struct loop *l, struct timer *t, void *data)
{
	struct preq *rq = data;

	log_warn("portal: request %" PRIu32 ": no answer from the server in time", rq->id);
	send_cancel(rq->p, rq->id);
	answer_local(rq, 504, "the server did not answer");
	resume(rq, RQ_ANSWERED);
}

static bool header_safe(const char *s)
{
	return s && s[0] && printable_ascii(s, strlen(s), true);
}

/* What an answer carries besides status and body; NULL or 0: none. */
struct hdrs {
	const char *etag, *sig, *allow, *content_type, *filename, *set_cookie;
	unsigned retry_after;
};

/* An attachment's name goes into a quoted header value: only a plain file name. */
static bool filename_safe(const char *s)
{
	return s && *s && strlen(s) < 80 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == strlen(s) && s[0] != '.';
}

static enum MHD_Result queue(struct MHD_Connection *c, int status, const char *body, size_t len,
			     const struct hdrs *h)
{
	struct wbuf *b = xmalloc(sizeof(*b) + len + 1);
	struct MHD_Response *resp;
	char num[16], disp[128];

	b->len = len;
	if (len)
		memcpy(b->data, body, len);
	resp = mhd->create_response_from_buffer_with_free_callback_cls(len, b->data, wbuf_free, b);
	if (!resp) {
		wbuf_free(b);
		return MHD_NO;
	}
	if (len)
		mhd->add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					 header_safe(h->content_type) ? h->content_type :
					 "application/json");
	mhd->add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (header_safe(h->etag))
		mhd->add_response_header(resp, MHD_HTTP_HEADER_ETAG, h->etag);
	if (header_safe(h->sig))
		mhd->add_response_header(resp, "X-Warren-Signature", h->sig);
	if (h->retry_after) {
		snprintf(num, sizeof(num), "%u", h->retry_after);
		mhd->add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, num);
	}
	if (header_safe(h->allow))
		mhd->add_response_header(resp, MHD_HTTP_HEADER_ALLOW, h->allow);
	if (filename_safe(h->filename)) {
		snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", h->filename);
		mhd->add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disp);
	}
	if (header_safe(h->set_cookie))
		mhd->add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, h->set_cookie);
	if (status == 401 && !h->set_cookie)
		mhd->add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	return respond_queue(mhd, c, (unsigned)status, resp);
}

static enum MHD_Result queue_reply(struct MHD_Connection *c, const struct portal_reply *r)
{
	const struct hdrs h = { .allow = r->allow, .retry_after = r->retry_after };

	return queue(c, r->status, r->body, strlen(r->body), &h);
}

/* More than one Authorization header is as good as a garbled one. */
static enum MHD_Result count_auth(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	if (strcasecmp(key, MHD_HTTP_HEADER_AUTHORIZATION) == 0)
		(*(int *)cls)++;
	return MHD_YES;
}

static void fill_req(struct preq *rq, const char *method, struct portal_req *req)
{
	struct MHD_Connection *c = rq->conn;
	int n_auth = 0;

	memset(req, 0, sizeof(*req));
	req->method = method;
	req->url = rq->url;
	req->authorization = mhd->lookup_connection_value(c, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_AUTHORIZATION);
	mhd->get_connection_values(c, MHD_HEADER_KIND, count_auth, &n_auth);
	if (n_auth > 1)
		req->authorization = "";
	req->if_none_match = mhd->lookup_connection_value(c, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_IF_NONE_MATCH);
	req->cookie = mhd->lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE);
	req->csrf = mhd->lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
	req->fetch_site = mhd->lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
	req->body = rq->body;
	req->body_len = rq->body_len;
	req->body_too_large = rq->too_large;
	req->peer = rq->peer.ss_family ? (const struct sockaddr *)&rq->peer : NULL;
	req->now_ms = loop_now_ms();
	req->limiter = &rq->p->rl;
}

static void drop_body(struct preq *rq)
{
	if (rq->body) {
		sodium_memzero(rq->body, rq->body_len);
		free(rq->body);
	}
	rq->body = NULL;
	rq->body_len = 0;
}

static uint32_t new_id(struct portal *p)
{
	struct preq *w;
	uint32_t id;

	do {
		id = p->next_id++;
		for (w = p->waiting; w && w->id != id; w = w->next)
			;
		if (!w)
			LIST_FOREACH(w, &p->streams, by_stream)
				if (w->id == id)
					break;
	} while (id == 0 || w);
	return id;
}

/* The whole request is in: answer it here or hand it to the server and wait. */
static enum MHD_Result dispatch(struct preq *rq, const char *method)
{
	struct portal *p = rq->p;
	const union MHD_ConnectionInfo *ci;
	struct portal_reply r;
	struct portal_req req;
	uint64_t limit_s;
	int f;

	/* The web pages and their files are answered here; the rest is the API's. */
	f = static_serve(mhd, rq->conn, method, rq->url);
	if (f >= 0) {
		drop_body(rq);
		return (enum MHD_Result)f;
	}
	fill_req(rq, method, &req);
	req.id = new_id(p);
	f = portal_route(&req, &p->out, &r);
	drop_body(rq);
	if (f == 0) {
		ipc_out_begin(&p->out, IPC_CANCEL, 0);    /* wipes what a refusal left */
		return queue_reply(rq->conn, &r);
	}
	rq->id = req.id;
	rq->bearer = r.route != PORTAL_ADMIN || req.authorization;
	ipc_send(p, &p->out);
	ipc_out_begin(&p->out, IPC_CANCEL, 0);
	rq->state = RQ_WAITING;
	rq->next = p->waiting;
	p->waiting = rq;
	mhd->suspend_connection(rq->conn);
	ci = mhd->get_connection_info(rq->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	rq->fd = ci ? ci->connect_fd : -1;
	if (rq->fd >= 0 && loop_add_fd(p->loop, rq->fd, EPOLLRDHUP, on_client_gone, rq) < 0)
		rq->fd = -1;
	limit_s = (r.route == PORTAL_PROFILE ? r.wait : 0) + PORTAL_ANSWER_GRACE_S;
	if (!rq->deadline)
		rq->deadline = timer_new(p->loop, on_deadline, rq);
	timer_arm(rq->deadline, limit_s * 1000);
	log_debug("portal: request %" PRIu32 ": %s %s forwarded", rq->id, method,
		  r.route == PORTAL_ENROLL ? "enroll" : r.route == PORTAL_PROFILE ? "profile" : "admin");
	return MHD_YES;
}

static enum MHD_Result queue_stream(struct preq *rq);

static enum MHD_Result send_answer(struct preq *rq)
{
	const struct hdrs h = { rq->etag, rq->sig, rq->allow, rq->content_type, rq->filename,
				rq->set_cookie, rq->retry_after };

	if (rq->stream)
		return queue_stream(rq);
	return queue(rq->conn, rq->status, rq->abody, rq->abody_len, &h);
}

/* ---- connections too slow to ask ---- */

static void idle_arm(struct portal *p)
{
	struct pconn *pc = TAILQ_FIRST(&p->idle);
	uint64_t now = loop_now_ms(), due;

	if (!pc) {
		timer_disarm(p->idle_timer);
		return;
	}
	due = pc->since_ms + PORTAL_REQUEST_TIMEOUT * 1000u;
	timer_arm(p->idle_timer, due > now ? due - now : 0);
}

static void idle_begin(struct portal *p, struct pconn *pc)
{
	if (pc->idle)
		TAILQ_REMOVE(&p->idle, pc, link);
	pc->since_ms = loop_now_ms();
	pc->idle = true;
	TAILQ_INSERT_TAIL(&p->idle, pc, link);
	if (TAILQ_FIRST(&p->idle) == pc)
		idle_arm(p);
}

static void idle_end(struct portal *p, struct pconn *pc)
{
	bool first = TAILQ_FIRST(&p->idle) == pc;

	if (!pc->idle)
		return;
	TAILQ_REMOVE(&p->idle, pc, link);
	pc->idle = false;
	if (first)
		idle_arm(p);
}

/* Shut the socket down: libmicrohttpd then reads its end and closes the connection in its
 * own time, so nothing here frees what it still holds. */
static void on_idle_timer(struct loop *l, struct timer *t, void *data)
{
	struct portal *p = data;
	uint64_t now = loop_now_ms();
	struct pconn *pc;

	(void)l;
	(void)t;
	while ((pc = TAILQ_FIRST(&p->idle)) &&
	       now - pc->since_ms >= PORTAL_REQUEST_TIMEOUT * 1000u) {
		TAILQ_REMOVE(&p->idle, pc, link);
		pc->idle = false;
		if (pc->fd >= 0)
			shutdown(pc->fd, SHUT_RDWR);
		if (p->n_cut++ % 1000 == 0)
			log_info("portal: a connection sent no whole request within %d s; cut off "
				 "(%" PRIu64 " so far)", PORTAL_REQUEST_TIMEOUT, p->n_cut);
	}
	idle_arm(p);
	mhd_soon(p);
}

static struct pconn *pconn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		mhd->get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct portal *p = cls;
	struct pconn *pc = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		pc = xcalloc(1, sizeof(*pc));
		ci = mhd->get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		pc->fd = ci ? ci->connect_fd : -1;
		*socket_context = pc;
		idle_begin(p, pc);
		return;
	}
	if (pc) {
		idle_end(p, pc);
		free(pc);
		*socket_context = NULL;
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct preq *rq = *con_cls;
	unsigned long long n;
	const char *cl;
	char *end;

	if (!rq)
		return MHD_NO;          /* the URI callback always makes one */
	switch (rq->state) {
	case RQ_GONE:
		return MHD_NO;
	case RQ_ANSWERED:
		return send_answer(rq);
	case RQ_WAITING:
		return MHD_YES;
	case RQ_READING:
		break;
	}
	if (!rq->started) {
		struct pconn *pc = pconn_of(c);

		/* The headers are in: from here the body's own deadline holds. */
		if (pc)
			idle_end(rq->p, pc);
		rq->started = true;
		rq->start_ms = loop_now_ms();
		cl = mhd->lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl) {
			errno = 0;
			n = strtoull(cl, &end, 10);
			if (errno || *end || n > PORTAL_MAX_BODY)
				rq->too_large = true;
		}
		/* Refused before its body is read (libmicrohttpd then closes the connection). */
		if (rq->too_large)
			return dispatch(rq, method);
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (loop_now_ms() - rq->start_ms > PORTAL_REQUEST_TIMEOUT * 1000u) {
			log_debug("portal: a request body took over %d s", PORTAL_REQUEST_TIMEOUT);
			return MHD_NO;
		}
		if (!rq->too_large && rq->body_len + *upload_data_size > PORTAL_MAX_BODY) {
			rq->too_large = true;
			drop_body(rq);
		}
		if (!rq->too_large) {
			/* Not realloc: a body may hold a token, the old copy is wiped. */
			size_t total = rq->body_len + *upload_data_size;
			char *nb = xmalloc(total);

			if (rq->body_len)
				memcpy(nb, rq->body, rq->body_len);
			memcpy(nb + rq->body_len, upload_data, *upload_data_size);
			drop_body(rq);
			rq->body = nb;
			rq->body_len = total;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	return dispatch(rq, method);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct portal *p = cls;
	struct preq *rq = xcalloc(1, sizeof(*rq));
	const union MHD_ConnectionInfo *ci;

	rq->p = p;
	rq->conn = c;
	rq->fd = -1;
	rq->url = xstrndup(uri ? uri : "", PORTAL_MAX_URL + 1);
	ci = mhd->get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		if (ci->client_addr->sa_family == AF_INET)
			memcpy(&rq->peer, ci->client_addr, sizeof(struct sockaddr_in));
		else if (ci->client_addr->sa_family == AF_INET6)
			memcpy(&rq->peer, ci->client_addr, sizeof(struct sockaddr_in6));
	}
	return rq;
}

/* ---- event streams ---- */

/* A stream's connection sleeps in libmicrohttpd while nothing waits for its client, and
 * wakes when an event comes: no polling. While it sleeps, libmicrohttpd does not see the
 * client leave, so the socket is watched here, as for a long poll. */

static void on_stream_gone(struct loop *l, int fd, uint32_t events, void *data);

static void park(struct preq *rq)
{
	const union MHD_ConnectionInfo *ci;

	mhd->suspend_connection(rq->conn);
	rq->parked = true;
	ci = mhd->get_connection_info(rq->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	rq->fd = ci ? ci->connect_fd : -1;
	if (rq->fd >= 0 && loop_add_fd(rq->p->loop, rq->fd, EPOLLRDHUP, on_stream_gone, rq) < 0)
		rq->fd = -1;
}

static void unpark(struct preq *rq)
{
	if (!rq->parked)
		return;
	if (rq->fd >= 0)
		loop_del_fd(rq->p->loop, rq->fd);
	rq->fd = -1;
	rq->parked = false;
	mhd->resume_connection(rq->conn);
	mhd_soon(rq->p);
}

static void stream_unlink(struct preq *rq)
{
	if (!rq->linked)
		return;
	LIST_REMOVE(rq, by_stream);
	rq->linked = false;
	rq->p->n_streams--;
}

/* Close a stream from here: the server hears of it, the connection goes. */
static void stream_drop(struct preq *rq)
{
	const union MHD_ConnectionInfo *ci;

	if (rq->linked)
		send_cancel(rq->p, rq->id);
	stream_unlink(rq);
	rq->dropped = true;
	sse_queue_clear(&rq->q);
	if (rq->parked) {
		unpark(rq);
		return;
	}
	/* Busy writing to a client that does not read: libmicrohttpd would wait for its
	 * timeout; a shut socket fails its next write at once. */
	ci = mhd->get_connection_info(rq->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci && ci->connect_fd >= 0)
		shutdown(ci->connect_fd, SHUT_RDWR);
}

static void on_stream_gone(struct loop *l, int fd, uint32_t events, void *data)
{
	struct preq *rq = data;

	if (!(events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	log_debug("portal: stream %" PRIu32 ": the client went away", rq->id);
	stream_drop(rq);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct preq *rq = cls;
	size_t n;

	if (rq->dropped)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = sse_queue_read(&rq->q, buf, max);
	if (n) {
		rq->sent_ms = loop_now_ms();
		return (ssize_t)n;
	}
	if (rq->ending)
		return MHD_CONTENT_READER_END_OF_STREAM;
	park(rq);
	return 0;
}

static enum MHD_Result queue_stream(struct preq *rq)
{
	struct MHD_Response *resp;

	resp = mhd->create_response_from_callback(MHD_SIZE_UNKNOWN, PORTAL_SSE_BLOCK, stream_read,
						  rq, NULL);
	if (!resp)
		return MHD_NO;
	mhd->add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	mhd->add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	/* A proxy in front (nginx) would otherwise hold events back to fill its buffer. */
	mhd->add_response_header(resp, "X-Accel-Buffering", "no");
	rq->sent_ms = loop_now_ms();
	return respond_queue(mhd, rq->conn, 200, resp);
}

/* Wake a stream that has bytes waiting now. */
static void stream_kick(struct preq *rq)
{
	if (sse_queue_pending(&rq->q))
		unpark(rq);
}

static void on_beat(struct loop *l, struct timer *t, void *data)
{
	struct portal *p = data;
	uint64_t now = loop_now_ms();
	struct preq *rq, *next;

	/* Only streams idle that long: they opened at different times, so the comments
	 * spread out rather than waking every connection at once. */
	for (rq = LIST_FIRST(&p->streams); rq; rq = next) {
		next = LIST_NEXT(rq, by_stream);
		if (now - rq->sent_ms < PORTAL_SSE_HEARTBEAT_MS || sse_queue_pending(&rq->q))
			continue;
		if (sse_queue_comment(&rq->q, "") == 0)
			stream_kick(rq);
	}
	if (p->n_streams)
		timer_arm(t, PORTAL_SSE_BEAT_TICK_MS);
}

/* The server opened request rq as a stream for audience. */
static void stream_open(struct preq *rq, int64_t audience)
{
	struct portal *p = rq->p;

	rq->stream = true;
	rq->audience = audience;
	sse_queue_retry(&rq->q, PORTAL_SSE_RETRY_MS);
	LIST_INSERT_HEAD(&p->streams, rq, by_stream);
	rq->linked = true;
	p->n_streams++;
	if (!timer_armed(p->beat))
		timer_arm(p->beat, PORTAL_SSE_BEAT_TICK_MS);
}

static void on_event(struct portal *p, const struct ipc_msg *m)
{
	const struct ipc_field *body = &m->f[IPC_T_BODY];
	struct preq *rq, *next;
	char name[40];
	int64_t audience;

	if (ipc_audience_parse(m->f[IPC_T_AUDIENCE].p, m->f[IPC_T_AUDIENCE].len, &audience) < 0 ||
	    ipc_field_str(m, IPC_T_EVENT, name, sizeof(name)) < 0)
		return;     /* ipc_parse checked both */
	for (rq = LIST_FIRST(&p->streams); rq; rq = next) {
		next = LIST_NEXT(rq, by_stream);
		if (rq->audience != audience)
			continue;
		if (sse_queue_event(&rq->q, name, body->p, body->len) < 0) {
			log_warn("portal: stream %" PRIu32 ": its client left %zu bytes unread; "
				 "dropped", rq->id, sse_queue_pending(&rq->q));
			stream_drop(rq);
			continue;
		}
		stream_kick(rq);
	}
}

static void on_close(struct portal *p, const struct ipc_msg *m)
{
	struct preq *rq;

	LIST_FOREACH(rq, &p->streams, by_stream)
		if (rq->id == m->id)
			break;
	if (!rq)
		return;
	log_debug("portal: stream %" PRIu32 ": ended by the server", rq->id);
	/* The server has forgotten it: no CANCEL. What waits still goes out. */
	stream_unlink(rq);
	rq->ending = true;
	unpark(rq);
}

static void rq_free(struct preq *rq)
{
	drop_body(rq);
	timer_free(rq->deadline);
	free(rq->url);
	if (rq->abody) {
		sodium_memzero(rq->abody, rq->abody_len);
		free(rq->abody);
	}
	free(rq->etag);
	free(rq->sig);
	free(rq->content_type);
	free(rq->filename);
	free(rq->allow);
	if (rq->set_cookie)
		sodium_memzero(rq->set_cookie, strlen(rq->set_cookie));
	free(rq->set_cookie);
	sse_queue_clear(&rq->q);
	free(rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct preq *rq = *con_cls;
	struct pconn *pc = pconn_of(c);

	/* Kept alive, the connection has the same time for its next request; closing, it
	 * leaves the list again at once. */
	if (pc)
		idle_begin(cls, pc);
	if (!rq)
		return;
	if (rq->state == RQ_WAITING) {
		send_cancel(rq->p, rq->id);
		unwatch(rq);
		waiting_unlink(rq);
	}
	if (rq->stream) {
		if (rq->linked)
			send_cancel(rq->p, rq->id);
		stream_unlink(rq);
		if (rq->parked && rq->fd >= 0)
			loop_del_fd(rq->p->loop, rq->fd);
	}
	rq_free(rq);
	*con_cls = NULL;
}

/* ---- the server's side of the socketpair ---- */

static char *field_dup(const struct ipc_msg *m, enum ipc_tag tag)
{
	return m->f[tag].present ? xstrndup(m->f[tag].p, m->f[tag].len) : NULL;
}

static void on_answer(struct portal *p, const struct ipc_msg *m)
{
	struct preq *rq;
	uint32_t v;

	for (rq = p->waiting; rq && rq->id != m->id; rq = rq->next)
		;
	if (!rq) {
		log_debug("portal: an answer for request %" PRIu32 ", which is not waiting", m->id);
		return;
	}
	ipc_field_uint(m, IPC_T_STATUS, &v);
	rq->status = v < 200 ? 502 : (int)v;
	if (rq->status == 200 && m->f[IPC_T_AUDIENCE].present) {
		int64_t audience = 0;

		ipc_audience_parse(m->f[IPC_T_AUDIENCE].p, m->f[IPC_T_AUDIENCE].len, &audience);
		log_debug("portal: request %" PRIu32 ": an event stream", rq->id);
		resume(rq, RQ_ANSWERED);
		stream_open(rq, audience);
		return;
	}
	if (m->f[IPC_T_BODY].present) {
		rq->abody_len = m->f[IPC_T_BODY].len;
		rq->abody = xmalloc(rq->abody_len + 1);
		memcpy(rq->abody, m->f[IPC_T_BODY].p, rq->abody_len);
	}
	rq->etag = field_dup(m, IPC_T_ETAG);
	rq->sig = field_dup(m, IPC_T_SIGNATURE);
	rq->content_type = field_dup(m, IPC_T_CONTENT_TYPE);
	rq->filename = field_dup(m, IPC_T_FILENAME);
	rq->set_cookie = field_dup(m, IPC_T_SET_COOKIE);
	rq->allow = field_dup(m, IPC_T_ALLOW);
	if (ipc_field_uint(m, IPC_T_RETRY_AFTER, &v) == 0)
		rq->retry_after = v;
	/* A wrong password is the server's throttle's to count, not this limiter's. */
	if (rq->status == 401 && rq->bearer)
		portal_limiter_fail(&p->rl, rq->peer.ss_family ? (struct sockaddr *)&rq->peer : NULL,
				    loop_now_ms());
	log_debug("portal: request %" PRIu32 ": answered %d", rq->id, rq->status);
	resume(rq, RQ_ANSWERED);
}

static void on_ipc(struct loop *l, int fd, uint32_t events, void *data)
{
	struct portal *p = data;
	const uint8_t *buf;
	struct ipc_msg m;
	char why[160];
	size_t len;
	ssize_t n;
	int i, e;

	if (events & EPOLLOUT)
		ipc_flush(p);
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (i = 0; i < 64; i++) {
		n = ipc_reader_fill(&p->rd, fd);
		if (n == -EAGAIN)
			break;
		if (n == 0) {
			log_info("portal: the server closed the socketpair; exiting");
			portal_fail(p, 0);
			return;
		}
		if (n < 0 && n != -EMSGSIZE) {
			log_info("portal: reading from the server: %s; exiting", strerror((int)-n));
			portal_fail(p, 0);
			return;
		}
		while ((e = ipc_reader_next(&p->rd, &buf, &len)) == 1) {
			if (ipc_parse(buf, len, &m, why, sizeof(why)) < 0) {
				log_err("portal: refusing a message from the server: %s", why);
				portal_fail(p, 1);
				return;
			}
			if (m.type == IPC_ANSWER) {
				on_answer(p, &m);
			} else if (m.type == IPC_EVENT) {
				on_event(p, &m);
			} else if (m.type == IPC_CLOSE) {
				on_close(p, &m);
			} else {
				log_err("portal: refusing a %s message from the server",
					ipc_type_name(m.type));
				portal_fail(p, 1);
				return;
			}
		}
		if (e < 0) {
			log_err("portal: refusing a message from the server: over %u bytes",
				IPC_MAX_PAYLOAD);
			portal_fail(p, 1);
			return;
		}
	}
}

/* ---- process setup ---- */

static void on_signal(struct loop *l, int signo, void *data)
{
	log_info("portal: %s: stopping", strsignal(signo));
	loop_stop(l, 0);
}

static int read_tls(int fd, char **buf, size_t *len)
{
	struct stat st;
	size_t off = 0;
	ssize_t n;
	char *b;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size <= 0 || (uint64_t)st.st_size > PORTAL_TLS_MAX)
		return -EFBIG;
	b = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		n = pread(fd, b + off, (size_t)st.st_size - off, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? -errno : -EIO;

			sodium_memzero(b, (size_t)st.st_size);
			free(b);
			return e;
		}
		off += (size_t)n;
	}
	b[off] = '\0';
	*buf = b;
	*len = off;
	return 0;
}

/* Split PEM into every CERTIFICATE block (the chain, in order) and the one private key. */
static int pem_split(const char *pem, size_t len, char **cert, char **key, const char **why)
{
	const char *p = pem, *end = pem + len, *b, *lab, *labend, *e, *stop;
	struct json c = { 0 }, k = { 0 };
	char endmark[96];
	int nkeys = 0;

	*why = NULL;
	while ((b = memmem(p, (size_t)(end - p), "-----BEGIN ", 11))) {
		lab = b + 11;
		labend = memmem(lab, (size_t)(end - lab), "-----", 5);
		if (!labend || labend - lab > 64 || memchr(lab, '\n', (size_t)(labend - lab))) {
			*why = "malformed PEM";
			goto fail;
		}
		snprintf(endmark, sizeof(endmark), "-----END %.*s-----", (int)(labend - lab), lab);
		e = memmem(labend, (size_t)(end - labend), endmark, strlen(endmark));
		if (!e) {
			*why = "PEM block without its END line";
			goto fail;
		}
		stop = e + strlen(endmark);
		if ((size_t)(labend - lab) == 11 && memcmp(lab, "CERTIFICATE", 11) == 0) {
			json_raw(&c, b, (size_t)(stop - b));
			json_raw(&c, "\n", 1);
		} else if ((size_t)(labend - lab) >= 11 && memcmp(labend - 11, "PRIVATE KEY", 11) == 0) {
			if (memmem(lab, (size_t)(labend - lab), "ENCRYPTED", 9)) {
				*why = "the private key is encrypted";
				goto fail;
			}
			nkeys++;
			json_raw(&k, b, (size_t)(stop - b));
			json_raw(&k, "\n", 1);
		}
		p = stop;
	}
	if (json_len(&c) == 0) {
		*why = "no certificate";
		goto fail;
	}
	if (nkeys != 1) {
		*why = nkeys ? "more than one private key" : "no private key";
		goto fail;
	}
	*cert = json_steal(&c, NULL);
	*key = json_steal(&k, NULL);
	return 0;
fail:
	json_clear(&c);
	if (k.buf)
		sodium_memzero(k.buf, k.cap);
	json_clear(&k);
	return -EINVAL;
}

static bool caps_all_zero(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	bool ok = true;

	if (!f)
		return true;          /* no /proc: setresuid from root cleared them anyway */
	while (fgets(line, sizeof(line), f)) {
		if ((strncmp(line, "CapPrm:", 7) == 0 || strncmp(line, "CapEff:", 7) == 0 ||
		     strncmp(line, "CapAmb:", 7) == 0) &&
		    strspn(line + 7, " \t0\n") != strlen(line + 7))
			ok = false;
	}
	fclose(f);
	return ok;
}

static int drop_privileges(void)
{
	const char *user = getenv("WARREN_PORTAL_USER");
	struct passwd *pw;
	uid_t uid;
	gid_t gid;
	int cap;

	if (!user || !user[0])
		user = "nobody";
	if (geteuid() != 0) {
		log_debug("portal: not root; staying uid %u", (unsigned)geteuid());
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			return -errno;
		return 0;
	}
	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		log_err("portal: user \"%s\": %s", user, errno ? strerror(errno) : "no such user");
		return -ENOENT;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0 || gid == 0) {
		log_err("portal: user \"%s\" is root; refusing to run the portal as root", user);
		return -EPERM;
	}
	/* Empty the bounding set while we still may, so nothing can ever regain a capability. */
	for (cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
			break;
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0) {
		log_err("portal: switching to user \"%s\": %s", user, strerror(errno));
		return -EPERM;
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_err("portal: PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -EPERM;
	}
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0 || getuid() != uid ||
	    geteuid() != uid || getgid() != gid || getegid() != gid || getgroups(0, NULL) != 0 ||
	    !caps_all_zero()) {
		log_err("portal: dropping privileges to \"%s\" did not hold", user);
		return -EPERM;
	}
	log_debug("portal: running as %s (%u:%u)", user, (unsigned)uid, (unsigned)gid);
	return 0;
}

static void wipe_str(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

unsigned portal_connection_limit(void)
{
	struct rlimit rl;
	unsigned n = PORTAL_CONNECTIONS;

	/* Past the descriptors it has, accept would fail over and over: hold fewer, and
	 * say so (warren-server.service has LimitNOFILE=65536). */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)PORTAL_CONNECTIONS + PORTAL_FDS_SPARE) {
		n = rl.rlim_cur > 2 * PORTAL_FDS_SPARE ? (unsigned)rl.rlim_cur - PORTAL_FDS_SPARE :
		    PORTAL_FDS_SPARE;
		log_warn("portal: %llu file descriptors (RLIMIT_NOFILE): at most %u connections "
			 "instead of %u", (unsigned long long)rl.rlim_cur, n, PORTAL_CONNECTIONS);
	}
	return n;
}

int portal_main(int listen_fd, int ipc_fd, int tls_fd)
{
	struct portal p = { .mhd_fd = -1, .ipc_fd = ipc_fd };
	char *tls = NULL, *cert = NULL, *key = NULL;
	const union MHD_DaemonInfo *di;
	unsigned connections;
	const char *why;
	struct preq *rq;
	size_t tls_len = 0;
	int r, status = 1;

	/* Started through /proc/self/exe, it would be "exe" in ps and top. */
	prctl(PR_SET_NAME, "warren-portal", 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	mhd = mhd_load();
	if (!mhd) {
		close(tls_fd);
		return 1;
	}
	if (sodium_init() < 0) {
		log_err("portal: libsodium failed to initialize");
		close(tls_fd);
		return 1;
	}
	r = read_tls(tls_fd, &tls, &tls_len);
	close(tls_fd);
	if (r < 0) {
		log_err("portal: reading the certificate and key: %s", strerror(-r));
		return 1;
	}
	r = pem_split(tls, tls_len, &cert, &key, &why);
	sodium_memzero(tls, tls_len);
	free(tls);
	if (r < 0) {
		log_err("portal: the certificate and key: %s", why);
		return 1;
	}
	if (drop_privileges() < 0)
		goto out;

	portal_limiter_init(&p.rl);
	LIST_INIT(&p.streams);
	TAILQ_INIT(&p.idle);
	connections = portal_connection_limit();
	p.next_id = randombytes_uniform(UINT32_MAX - 1) + 1;
	if (loop_new(&p.loop) < 0) {
		log_err("portal: creating the event loop: %s", strerror(errno));
		goto out;
	}
	p.idle_timer = timer_new(p.loop, on_idle_timer, &p);
	if (fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    fcntl(ipc_fd, F_SETFL, fcntl(ipc_fd, F_GETFL) | O_NONBLOCK) < 0) {
		log_err("portal: non-blocking descriptors: %s", strerror(errno));
		goto out;
	}
	p.mhd = mhd->start_daemon(
		MHD_USE_TLS | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
		0, NULL, NULL, on_request, &p,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, &p,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
		MHD_OPTION_HTTPS_MEM_CERT, cert,
		MHD_OPTION_HTTPS_MEM_KEY, key,
		MHD_OPTION_HTTPS_PRIORITIES, PORTAL_TLS_PRIORITIES,
		MHD_OPTION_CONNECTION_LIMIT, connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)PORTAL_CONNECTIONS_PER_IP,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)PORTAL_REQUEST_TIMEOUT,
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, &p,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, &p,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, &p,
		MHD_OPTION_END);
	/* GnuTLS holds its own copy of the key now (libmicrohttpd only keeps the pointer, used
	 * while starting): ours goes. */
	wipe_str(key);
	key = NULL;
	if (!p.mhd) {
		log_err("portal: libmicrohttpd did not start (certificate, key or socket refused)");
		goto out;
	}
	p.started = true;
	di = mhd->get_daemon_info(p.mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!di || di->epoll_fd < 0) {
		log_err("portal: libmicrohttpd has no epoll descriptor");
		goto out;
	}
	p.mhd_fd = di->epoll_fd;
	p.mhd_timer = timer_new(p.loop, on_mhd_timer, &p);
	p.beat = timer_new(p.loop, on_beat, &p);
	if ((r = loop_add_fd(p.loop, p.mhd_fd, EPOLLIN, on_mhd_fd, &p)) < 0 ||
	    (r = loop_add_fd(p.loop, ipc_fd, EPOLLIN, on_ipc, &p)) < 0 ||
	    (r = loop_add_signal(p.loop, SIGTERM, on_signal, &p)) < 0 ||
	    (r = loop_add_signal(p.loop, SIGINT, on_signal, &p)) < 0) {
		log_err("portal: event loop: %s", strerror(-r));
		goto out;
	}
	signal(SIGHUP, SIG_IGN);
	mhd_run(&p, 0);
	log_info("portal: serving");
	status = loop_run(p.loop);
	if (status < 0)
		status = 1;
out:
	/* Resume what waits, to be closed with the daemon, and tell the server. */
	while ((rq = p.waiting)) {
		send_cancel(&p, rq->id);
		resume(rq, RQ_GONE);
	}
	while ((rq = LIST_FIRST(&p.streams))) {
		send_cancel(&p, rq->id);
		stream_unlink(rq);
		rq->ending = true;
		unpark(rq);
	}
	if (p.mhd) {
		mhd->run(p.mhd);
		mhd->stop_daemon(p.mhd);
	}
	if (!p.ipc_dead && ipc_writer_pending(&p.wr))
		ipc_writer_flush(&p.wr, p.ipc_fd);
	timer_free(p.mhd_timer);
	timer_free(p.beat);
	timer_free(p.idle_timer);
	loop_free(p.loop);
	ipc_reader_clear(&p.rd);
	ipc_writer_clear(&p.wr);
	ipc_out_clear(&p.out);
	wipe_str(key);
	free(cert);
	return status;
}

static int parse_fd(const char *s, char **end)
{
	long v;

	errno = 0;
	v = strtol(s, end, 10);
	if (errno || *end == s || v < 0 || v > INT_MAX)
		return -1;
	return (int)v;
}

int cmd_portal(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "fds", required_argument, NULL, 'f' },
		{ "syslog", no_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int fds[3] = { -1, -1, -1 }, o, i;
	char *p, *end;

	while ((o = getopt_long(argc, argv, "+v", opts, NULL)) != -1) {
		switch (o) {
		case 'f':
			p = optarg;
			for (i = 0; i < 3; i++) {
				fds[i] = parse_fd(p, &end);
				if (fds[i] < 0 || *end != (i < 2 ? ',' : '\0'))
					goto usage;
				p = end + 1;
			}
			break;
		case 's':
			log_syslog_prefix = 1;
			break;
		case 'v':
			log_threshold = LOG_LEVEL_DEBUG;
			break;
		default:
			goto usage;
		}
	}
	if (optind < argc || fds[0] < 0 || fds[0] == fds[1] || fds[1] == fds[2] ||
	    fds[0] == fds[2])
		goto usage;
	for (i = 0; i < 3; i++) {
		if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) < 0) {
			fprintf(stderr, "warren portal: descriptor %d: %s\n", fds[i], strerror(errno));
			return 2;
		}
	}
	return portal_main(fds[0], fds[1], fds[2]);
usage:
	fprintf(stderr, "usage: warren portal --fds LISTEN,IPC,TLS [-v] [--syslog]\n"
		"internal: the server starts it; it is not meant to be run by hand\n");
	return 2;
}
