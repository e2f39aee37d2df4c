/* The portal process (docs/portal.md): the unprivileged HTTPS front of the server. It
 * turns API requests into socketpair messages (server/ipc.h) and answers into HTTP
 * responses; it holds only connections and failed-authentication counters. */
#ifndef WARREN_SERVER_PORTAL_H
#define WARREN_SERVER_PORTAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ipc_out;

#define PORTAL_MAX_BODY (64u << 10)          /* request bodies; more is 413 */
#define PORTAL_MAX_URL 4096                  /* longer request targets are 414 */
#define PORTAL_TOKEN_LEN 43                  /* base64url of 32 bytes, no padding */
#define PORTAL_WAIT_MAX 300                  /* longest long poll, seconds */
#define PORTAL_REQUEST_TIMEOUT 10            /* seconds to receive a request */
/* Connections at once, event streams included: an office of hundreds behind one NAT
 * address keeps the console or the portal open in every browser. Each takes a
 * descriptor; fewer are held when RLIMIT_NOFILE is lower (portal_connection_limit). */
#define PORTAL_CONNECTIONS 16384
#define PORTAL_CONNECTIONS_PER_IP 1024
#define PORTAL_COOKIE_MAX 8192                /* a longer Cookie header is 431 */
/* Event streams (GET /api/v1/events): what a client is told to wait before it connects
 * again, a comment after this long without bytes so proxies keep it open, how often
 * that is looked at, and the blocks handed to libmicrohttpd. */
#define PORTAL_SSE_RETRY_MS 3000
#define PORTAL_SSE_HEARTBEAT_MS 18000u
#define PORTAL_SSE_BEAT_TICK_MS 5000u
#define PORTAL_SSE_BLOCK 8192

/* Failed authentications per client address (IPv4 /32, IPv6 /64): PORTAL_RL_FAILS
 * within PORTAL_RL_WINDOW_MS of the first one block the address until that window
 * ends. A fixed table: when a set is full the oldest window is forgotten. */
#define PORTAL_RL_FAILS 10
#define PORTAL_RL_WINDOW_MS 60000u
#define PORTAL_RL_WAYS 8
#define PORTAL_RL_SETS 128

struct portal_rl_slot {
	uint8_t key[9];             /* family byte, then the /32 or the /64 */
	bool used;
	uint32_t fails;
	uint64_t start_ms;          /* the window's first failure */
};

struct portal_limiter {
	uint8_t seed[16];           /* keys the set index, so one set cannot be aimed at */
	struct portal_rl_slot slot[PORTAL_RL_SETS][PORTAL_RL_WAYS];
};

/* A zeroed limiter works (seed 0); portal_limiter_init draws a random seed. */
void portal_limiter_init(struct portal_limiter *rl);
/* Count one failed authentication of peer at now_ms. */
void portal_limiter_fail(struct portal_limiter *rl, const struct sockaddr *peer, uint64_t now_ms);
/* 0 when peer may ask, else the seconds until its window ends (at least 1). */
unsigned portal_limiter_check(struct portal_limiter *rl, const struct sockaddr *peer,
			      uint64_t now_ms);

/* One HTTP request as the portal sees it once it has been received. */
struct portal_req {
	const char *method;
	const char *url;              /* the request target as received: path[?query] */
	const char *authorization;    /* header values, NULL when absent */
	const char *if_none_match;
	const char *cookie;           /* the Cookie header */
	const char *csrf;             /* X-CSRF-Token */
	const char *fetch_site;       /* Sec-Fetch-Site */
	const char *body;             /* body_len bytes, not NUL-terminated */
	size_t body_len;
	bool body_too_large;          /* more than PORTAL_MAX_BODY arrived or was announced */
	const struct sockaddr *peer;  /* AF_INET or AF_INET6 */
	uint32_t id;                  /* the id a forwarded message carries */
	uint64_t now_ms;              /* the rate limiter's clock */
	struct portal_limiter *limiter;
};

/* What portal_route decided: status 0 means "forwarded": out holds the message for the
 * server. Otherwise the portal answers at once with status and body (JSON). */
struct portal_reply {
	int status;
	char body[96];
	unsigned retry_after;         /* seconds for a Retry-After header, 0 for none */
	const char *allow;            /* for 405: the Allow header */
	enum { PORTAL_NONE, PORTAL_ENROLL, PORTAL_PROFILE, PORTAL_ADMIN } route;
	unsigned wait;                /* PROFILE: the long poll asked for, seconds */
};

/* Decide one request without sockets: 1 when forwarded (out holds the ENROLL, PROFILE or
 * ADMIN message, finished), 0 when answered locally (reply->status, body ...). A local
 * 401 counts against the peer in req->limiter. Routes (docs/portal.md, docs/api.yaml):
 *   POST /api/v1/agent/enroll        body {"token","public_key","name"?}  -> ENROLL
 *   GET  /api/v1/agent/profile[?wait=N]  Bearer credential, If-None-Match -> PROFILE
 *   any other /api/v1/...            Bearer token or the session cookie  -> ADMIN
 *                                     (the server's operations table routes it)
 * A request a browser marks Sec-Fetch-Site: cross-site is refused here.
 * ADMIN's path is the request target as received (path and query, still
 * percent-encoded); the server decodes it. */
int portal_route(const struct portal_req *req, struct ipc_out *out, struct portal_reply *reply);

/* The client address as text for the PEER field: "192.0.2.1", "2001:db8::1" (an
 * IPv4-mapped IPv6 address is shown as IPv4). */
void portal_peer_text(const struct sockaddr *sa, char *out, size_t size);

/* The connections to hold: PORTAL_CONNECTIONS, or fewer (logged) when RLIMIT_NOFILE
 * does not leave a descriptor for each. */
unsigned portal_connection_limit(void);

/* The process: reads the certificate chain and key (PEM) from tls_fd and closes it,
 * drops privileges when root (user from WARREN_PORTAL_USER, default "nobody"), then
 * serves HTTPS on listen_fd and talks to the server on ipc_fd until ipc_fd closes (0) or
 * something fails (1). */
int portal_main(int listen_fd, int ipc_fd, int tls_fd);

/* The hidden command `warren portal --fds L,I,T [-v] [--syslog]`, started by the server
 * (server/portalproc.c); -v logs at debug level, --syslog adds journald prefixes. */
int cmd_portal(int argc, char **argv);

#endif
