/* The userspace WireGuard backend: the cross-platform UAPI over /var/run/wireguard/IFNAME.sock
 * (text get/set), and starting and stopping the implementation (wireguard-go) behind it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "wg.h"
#include "../common/log.h"
#include "../common/util.h"

/* A get or set of 10,000s of peers takes a while; a wedged daemon must not hang us forever. */
#define UAPI_IO_TIMEOUT_S 30
#define START_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS 3000

/* ---- text buffer: it carries keys, so every copy it leaves behind is wiped ---- */

struct sbuf {
	char *p;
	size_t len, cap;
};

static void sbuf_reserve(struct sbuf *b, size_t more)
{
	char *n;

	if (b->len + more + 1 <= b->cap)
		return;
	b->cap = b->cap ? b->cap : 4096;
	while (b->len + more + 1 > b->cap)
		b->cap *= 2;
	n = xmalloc(b->cap);
	if (b->p) {
		memcpy(n, b->p, b->len);
		sodium_memzero(b->p, b->len);
		free(b->p);
	}
	b->p = n;
}

static void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	sbuf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sbuf_str(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

static void sbuf_hex(struct sbuf *b, const char *key, const uint8_t k[KEY_LEN])
{
	char hex[2 * KEY_LEN + 1];

	sbuf_str(b, key);
	sodium_bin2hex(hex, sizeof(hex), k, KEY_LEN);
	sbuf_add(b, hex, 2 * KEY_LEN);
	sbuf_add(b, "\n", 1);
	sodium_memzero(hex, sizeof(hex));
}

static void sbuf_num(struct sbuf *b, const char *key, uint64_t v)
{
	char num[24];

	sbuf_str(b, key);
	snprintf(num, sizeof(num), "%" PRIu64 "\n", v);
	sbuf_str(b, num);
}

static void sbuf_free(struct sbuf *b)
{
	if (b->p) {
		sodium_memzero(b->p, b->len);
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
}

/* ---- set text ---- */

static void endpoint_fmt(const union wg_endpoint *ep, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (ep->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &ep->in.sin_addr, a, sizeof(a));
		snprintf(buf, size, "%s:%u", a, ntohs(ep->in.sin_port));
	} else if (ep->in6.sin6_scope_id) {
		inet_ntop(AF_INET6, &ep->in6.sin6_addr, a, sizeof(a));
		snprintf(buf, size, "[%s%%%u]:%u", a, ep->in6.sin6_scope_id, ntohs(ep->in6.sin6_port));
	} else {
		inet_ntop(AF_INET6, &ep->in6.sin6_addr, a, sizeof(a));
		snprintf(buf, size, "[%s]:%u", a, ntohs(ep->in6.sin6_port));
	}
}

char *wg_uapi_set_text(const struct wg_device *dev, size_t *lenp)
{
	struct sbuf b = { 0 };
	char tmp[CIDR_STRLEN + 16];
	size_t i, j;

	sbuf_str(&b, "set=1\n");
	if (dev->flags & WG_DEVICE_HAS_PRIVATE_KEY)
		sbuf_hex(&b, "private_key=", dev->private_key);
	if (dev->flags & WG_DEVICE_HAS_LISTEN_PORT)
		sbuf_num(&b, "listen_port=", dev->listen_port);
	if (dev->flags & WG_DEVICE_HAS_FWMARK)
		sbuf_num(&b, "fwmark=", dev->fwmark);
	if (dev->flags & WG_DEVICE_REPLACE_PEERS)
		sbuf_str(&b, "replace_peers=true\n");
	for (i = 0; i < dev->n_peers; i++) {
		const struct wg_peer *p = &dev->peers[i];

		sbuf_hex(&b, "public_key=", p->public_key);
		if (p->flags & WG_PEER_REMOVE_ME) {
			sbuf_str(&b, "remove=true\n");
			continue;
		}
		if (p->flags & WG_PEER_UPDATE_ONLY)
			sbuf_str(&b, "update_only=true\n");
		if (p->flags & WG_PEER_HAS_PRESHARED_KEY)
			sbuf_hex(&b, "preshared_key=", p->preshared_key);
		if (p->endpoint.sa.sa_family == AF_INET || p->endpoint.sa.sa_family == AF_INET6) {
			endpoint_fmt(&p->endpoint, tmp, sizeof(tmp));
			sbuf_str(&b, "endpoint=");
			sbuf_str(&b, tmp);
			sbuf_add(&b, "\n", 1);
		}
		if (p->flags & WG_PEER_HAS_KEEPALIVE)
			sbuf_num(&b, "persistent_keepalive_interval=", p->persistent_keepalive);
		if (p->flags & WG_PEER_REPLACE_ALLOWEDIPS)
			sbuf_str(&b, "replace_allowed_ips=true\n");
		for (j = 0; j < p->n_allowed_ips; j++) {
			sbuf_str(&b, "allowed_ip=");
			sbuf_str(&b, cidr_fmt(&p->allowed_ips[j], tmp));
			sbuf_add(&b, "\n", 1);
		}
	}
	sbuf_add(&b, "\n", 1);
	*lenp = b.len;
	return b.p;
}

void wg_uapi_text_free(char *text, size_t len)
{
	if (!text)
		return;
	sodium_memzero(text, len);
	free(text);
}

/* ---- strict reply parsing ---- */

/* Unsigned decimal, digits only, no sign or space, at most max. */
static int parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return -EBADMSG;
	for (i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -EBADMSG;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EBADMSG;
		v = v * 10 + d;
	}
	if (v > max)
		return -EBADMSG;
	*out = v;
	return 0;
}

static int parse_hexkey(const char *s, size_t n, uint8_t key[KEY_LEN])
{
	size_t bin = 0, i;

	if (n != 2 * KEY_LEN)
		return -EBADMSG;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return -EBADMSG;
	if (sodium_hex2bin(key, KEY_LEN, s, n, NULL, &bin, NULL) != 0 || bin != KEY_LEN)
		return -EBADMSG;
	return 0;
}

/* "a.b.c.d:port" or "[v6]:port" or "[v6%zone]:port", as wireguard-go prints them. */
static int parse_endpoint(const char *s, size_t n, union wg_endpoint *ep)
{
	char host[INET6_ADDRSTRLEN + IFNAMSIZ + 2];
	const char *colon = NULL, *h = s;
	size_t hlen, i;
	uint64_t port;
	char *pct;

	memset(ep, 0, sizeof(*ep));
	for (i = n; i > 0; i--) {
		if (s[i - 1] == ':') {
			colon = s + i - 1;
			break;
		}
	}
	if (!colon || parse_u64(colon + 1, (size_t)(s + n - colon - 1), 65535, &port) < 0)
		return -EBADMSG;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		h = s + 1;
		hlen -= 2;
		if (hlen == 0 || hlen >= sizeof(host))
			return -EBADMSG;
		memcpy(host, h, hlen);
		host[hlen] = '\0';
		pct = strchr(host, '%');
		if (pct) {
			uint64_t scope;

			*pct++ = '\0';
			if (parse_u64(pct, strlen(pct), UINT32_MAX, &scope) == 0)
				ep->in6.sin6_scope_id = (uint32_t)scope;
			else if (!(ep->in6.sin6_scope_id = if_nametoindex(pct)))
				return -EBADMSG;
		}
		if (inet_pton(AF_INET6, host, &ep->in6.sin6_addr) != 1)
			return -EBADMSG;
		ep->in6.sin6_family = AF_INET6;
		ep->in6.sin6_port = htons((uint16_t)port);
		return 0;
	}
	if (hlen == 0 || hlen >= INET_ADDRSTRLEN)
		return -EBADMSG;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, &ep->in.sin_addr) != 1)
		return -EBADMSG;
	ep->in.sin_family = AF_INET;
	ep->in.sin_port = htons((uint16_t)port);
	return 0;
}

static bool key_is(const char *k, size_t kn, const char *name)
{
	return strlen(name) == kn && memcmp(k, name, kn) == 0;
}

static bool key_wellformed(const char *k, size_t kn)
{
	size_t i;

	for (i = 0; i < kn; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return false;
	return kn > 0;
}

/* One "key=value" line; *peer is the peer being described (NULL before the first). */
static int parse_line(const char *k, size_t kn, const char *v, size_t vn,
		      struct wg_device *dev, struct wg_peer **peer)
{
	struct wg_peer *p = *peer;
	uint8_t key[KEY_LEN];
	uint64_t num;
	struct cidr c;
	char tmp[CIDR_STRLEN];
	int r;

	if (key_is(k, kn, "public_key")) {
		if ((r = parse_hexkey(v, vn, key)) < 0)
			return r;
		*peer = wg_device_add_peer(dev, key);
		return 0;
	}
	if (!p) {
		if (key_is(k, kn, "private_key")) {
			if ((r = parse_hexkey(v, vn, dev->private_key)) < 0)
				return r;
			dev->flags |= WG_DEVICE_HAS_PRIVATE_KEY;
		} else if (key_is(k, kn, "listen_port")) {
			if ((r = parse_u64(v, vn, UINT16_MAX, &num)) < 0)
				return r;
			dev->listen_port = (uint16_t)num;
			dev->flags |= WG_DEVICE_HAS_LISTEN_PORT;
		} else if (key_is(k, kn, "fwmark")) {
			if ((r = parse_u64(v, vn, UINT32_MAX, &num)) < 0)
				return r;
			dev->fwmark = (uint32_t)num;
			dev->flags |= WG_DEVICE_HAS_FWMARK;
		} else if (!key_wellformed(k, kn) || key_is(k, kn, "allowed_ip") ||
			   key_is(k, kn, "endpoint") || key_is(k, kn, "preshared_key")) {
			return -EBADMSG;  /* garbage, or a peer key before any peer */
		}
		return 0;
	}
	if (key_is(k, kn, "preshared_key")) {
		if ((r = parse_hexkey(v, vn, p->preshared_key)) < 0)
			return r;
	} else if (key_is(k, kn, "endpoint")) {
		if ((r = parse_endpoint(v, vn, &p->endpoint)) < 0)
			return r;
	} else if (key_is(k, kn, "persistent_keepalive_interval")) {
		if ((r = parse_u64(v, vn, UINT16_MAX, &num)) < 0)
			return r;
		p->persistent_keepalive = (uint16_t)num;
	} else if (key_is(k, kn, "last_handshake_time_sec")) {
		if ((r = parse_u64(v, vn, INT64_MAX, &num)) < 0)
			return r;
		p->last_handshake_sec = (int64_t)num;
	} else if (key_is(k, kn, "last_handshake_time_nsec")) {
		if ((r = parse_u64(v, vn, 999999999, &num)) < 0)
			return r;
		p->last_handshake_nsec = (int64_t)num;
	} else if (key_is(k, kn, "rx_bytes")) {
		if ((r = parse_u64(v, vn, UINT64_MAX, &p->rx_bytes)) < 0)
			return r;
	} else if (key_is(k, kn, "tx_bytes")) {
		if ((r = parse_u64(v, vn, UINT64_MAX, &p->tx_bytes)) < 0)
			return r;
	} else if (key_is(k, kn, "protocol_version")) {
		if ((r = parse_u64(v, vn, UINT32_MAX, &num)) < 0)
			return r;
	} else if (key_is(k, kn, "allowed_ip")) {
		if (vn >= sizeof(tmp) || !memchr(v, '/', vn))
			return -EBADMSG;
		memcpy(tmp, v, vn);
		tmp[vn] = '\0';
		if (cidr_parse(&c, tmp) < 0)
			return -EBADMSG;
		wg_peer_add_allowed_ip(p, &c);
	} else if (!key_wellformed(k, kn) || key_is(k, kn, "private_key") ||
		   key_is(k, kn, "listen_port") || key_is(k, kn, "fwmark")) {
		return -EBADMSG;  /* garbage, or a device key inside a peer */
	}
	/* Other well-formed keys are newer protocol additions: ignored, as the protocol asks. */
	return 0;
}

/* The errno line's value: "0", "N" or "-N" (wireguard-go sends negative numbers). */
static int parse_errno_value(const char *v, size_t vn, int *err)
{
	uint64_t num;
	bool neg = vn > 0 && v[0] == '-';

	if (parse_u64(v + neg, vn - neg, INT_MAX, &num) < 0 || (neg && num == 0))
		return -EBADMSG;
	*err = -(int)num;
	return 0;
}

/* Walk "key=value\n" lines up to the mandatory final "errno=N\n\n". */
static int parse_reply(const char *text, size_t len, struct wg_device *dev, int *err)
{
	struct wg_peer *peer = NULL;
	size_t off = 0;
	bool seen_errno = false;
	int r;

	if (len < 2 || text[len - 1] != '\n' || text[len - 2] != '\n' || memchr(text, '\0', len))
		return -EBADMSG;
	while (off < len - 1) {
		const char *line = text + off, *nl = memchr(line, '\n', len - off), *eq;
		size_t n = (size_t)(nl - line);

		off += n + 1;
		if (seen_errno || n == 0)
			return -EBADMSG;  /* errno is last; the only blank line ends the reply */
		eq = memchr(line, '=', n);
		if (!eq || eq == line || eq == line + n - 1)
			return -EBADMSG;
		if (key_is(line, (size_t)(eq - line), "errno")) {
			r = parse_errno_value(eq + 1, (size_t)(line + n - eq - 1), err);
			if (r < 0)
				return r;
			seen_errno = true;
			continue;
		}
		if (!dev)
			return -EBADMSG;  /* a set reply carries nothing but errno */
		r = parse_line(line, (size_t)(eq - line), eq + 1, (size_t)(line + n - eq - 1), dev, &peer);
		if (r < 0)
			return r;
	}
	return seen_errno ? 0 : -EBADMSG;
}

int wg_uapi_parse_get(const char *text, size_t len, struct wg_device *dev)
{
	int err = 0, r = parse_reply(text, len, dev, &err);
	size_t i;

	if (r < 0)
		return r;
	/* Like the kernel, the protocol reports a zero key and keepalive 0 for "none". */
	for (i = 0; i < dev->n_peers; i++) {
		struct wg_peer *p = &dev->peers[i];

		if (!key_is_zero(p->preshared_key))
			p->flags |= WG_PEER_HAS_PRESHARED_KEY;
		if (p->persistent_keepalive)
			p->flags |= WG_PEER_HAS_KEEPALIVE;
	}
	return err;
}

int wg_uapi_parse_errno(const char *text, size_t len)
{
	int err = 0, r = parse_reply(text, len, NULL, &err);

	return r < 0 ? r : err;
}

/* ---- socket ---- */

/* The socket of an interface name; a name with '/' would reach outside the directory. */
static int sock_path(char *buf, size_t size, const char *ifname)
{
	size_t len = strlen(ifname);
	int n;

	if (len == 0 || strchr(ifname, '/'))
		return -EINVAL;
	if (len >= IFNAMSIZ)
		return -ENAMETOOLONG;
	n = snprintf(buf, size, WG_UAPI_DIR "/%s.sock", ifname);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Connect to IFNAME's socket: fd, or -ENODEV when nothing serves it, or -errno. */
static int uapi_connect(const char *ifname, int *refused)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = UAPI_IO_TIMEOUT_S };
	int fd, r;

	if (refused)
		*refused = 0;
	r = sock_path(sun.sun_path, sizeof(sun.sun_path), ifname);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		r = -errno;
		close(fd);
		if (r == -ECONNREFUSED && refused)
			*refused = 1;
		/* No file, or a file nobody listens on (the daemon died): no such device. */
		if (r == -ENOENT || r == -ECONNREFUSED)
			return -ENODEV;
		return r;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read until the blank line that ends every reply. */
static int read_reply(int fd, struct sbuf *b)
{
	for (;;) {
		size_t from = b->len ? b->len - 1 : 0;
		ssize_t n;

		sbuf_reserve(b, 65536);
		n = recv(fd, b->p + b->len, b->cap - b->len - 1, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		if (n == 0)
			return -EBADMSG;  /* closed before the reply ended */
		b->len += (size_t)n;
		b->p[b->len] = '\0';
		if ((b->len == 1 && b->p[0] == '\n') ||
		    memmem(b->p + from, b->len - from, "\n\n", 2))
			return 0;
	}
}

int wg_uapi_get(const char *ifname, struct wg_device **devp)
{
	struct wg_device *dev = NULL;
	struct sbuf b = { 0 };
	int fd = -1, r;

	r = wg_device_new(&dev, ifname);
	if (r < 0)
		goto out;
	fd = r = uapi_connect(ifname, NULL);
	if (r < 0)
		goto out;
	r = write_all(fd, "get=1\n\n", 7);
	if (r < 0)
		goto out;
	r = read_reply(fd, &b);
	if (r < 0)
		goto out;
	r = wg_uapi_parse_get(b.p, b.len, dev);
	if (r < 0)
		goto out;
	/* The protocol omits the device's public key; derive it as wg(8) does. */
	if ((dev->flags & WG_DEVICE_HAS_PRIVATE_KEY) && !key_is_zero(dev->private_key) &&
	    key_public(dev->public_key, dev->private_key) == 0)
		dev->flags |= WG_DEVICE_HAS_PUBLIC_KEY;
out:
	if (fd >= 0)
		close(fd);
	sbuf_free(&b);
	if (r < 0) {
		wg_device_free(dev);
		dev = NULL;
	}
	*devp = dev;
	return r;
}

int wg_uapi_set(const struct wg_device *dev)
{
	struct sbuf reply = { 0 };
	size_t len = 0;
	char *text = NULL;
	int fd, r, wr;

	fd = r = uapi_connect(dev->ifname, NULL);
	if (r < 0)
		return r;
	text = wg_uapi_set_text(dev, &len);
	wr = write_all(fd, text, len);
	/* After a rejected line the daemon answers and stops reading, so a failed write
	 * may still have an errno reply waiting. */
	r = read_reply(fd, &reply);
	if (r == 0)
		r = wg_uapi_parse_errno(reply.p, reply.len);
	else if (wr < 0)
		r = wr;
	close(fd);
	wg_uapi_text_free(text, len);
	sbuf_free(&reply);
	return r;
}

/* ---- the implementation's process ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 0 when IFNAME's socket accepts connections. */
static int uapi_probe(const char *ifname, int *refused)
{
	int fd = uapi_connect(ifname, refused);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* argv for "COMMAND -f IFNAME": COMMAND split on spaces and tabs, no shell. */
static char **command_argv(const char *command, const char *ifname, char **storage)
{
	char *s = xstrdup(command), *save = NULL, *tok;
	char **argv = NULL;
	size_t n = 0;

	for (tok = strtok_r(s, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
		*(char **)array_push(&argv, &n, sizeof(*argv)) = tok;
	if (n == 0) {
		free(s);
		free(argv);
		return NULL;
	}
	*(char **)array_push(&argv, &n, sizeof(*argv)) = (char *)"-f";
	*(char **)array_push(&argv, &n, sizeof(*argv)) = (char *)ifname;
	*(char **)array_push(&argv, &n, sizeof(*argv)) = NULL;
	*storage = s;
	return argv;
}

/* In the child: a clean session, signals and descriptors, then exec. Reports an exec
 * failure's errno on errfd (close-on-exec, so success closes it silently). */
static void __attribute__((noreturn))
child_exec(char **argv, int logfd, int errfd)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;
	int nul, e, s;

	setsid();
	/* A daemon blocks its signals for signalfd; the child must not inherit that mask. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (s = 1; s < NSIG; s++)
		sigaction(s, &sa, NULL);
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	/* Move everything above the standard descriptors before laying them out. */
	nul = fcntl(nul, F_DUPFD_CLOEXEC, 64);
	logfd = fcntl(logfd, F_DUPFD_CLOEXEC, 64);
	errfd = fcntl(errfd, F_DUPFD_CLOEXEC, 64);
	dup2(nul, 0);
	dup2(logfd >= 0 ? logfd : nul, 1);
	dup2(logfd >= 0 ? logfd : nul, 2);
	dup2(errfd, 3);
	fcntl(3, F_SETFD, FD_CLOEXEC);
	close_range(4, ~0U, 0);
	execvp(argv[0], argv);
	e = errno;
	if (write(3, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

/* The last non-empty line the child printed, for the error message. */
static void child_output_tail(int logfd, char *buf, size_t size)
{
	char tmp[4096];
	off_t end = lseek(logfd, 0, SEEK_END), from = end > (off_t)sizeof(tmp) - 1 ? end - (off_t)sizeof(tmp) + 1 : 0;
	ssize_t n = pread(logfd, tmp, sizeof(tmp) - 1, from);
	char *line, *last = NULL, *save = NULL;

	buf[0] = '\0';
	if (n <= 0)
		return;
	tmp[n] = '\0';
	for (line = strtok_r(tmp, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strspn(line, " \t\r") != strlen(line))
			last = line;
	if (last)
		snprintf(buf, size, "%s", last);
}

int wg_uapi_start(const char *command, const char *ifname, pid_t *pidp)
{
	char **argv = NULL, *storage = NULL, out[256];
	int logfd = -1, pipefd[2] = { -1, -1 }, r, st, e = 0, refused;
	struct wg_device *probe = NULL;
	int64_t deadline;
	pid_t pid = -1, w;
	ssize_t n;

	r = wg_device_new(&probe, ifname);  /* validates the name */
	wg_device_free(probe);
	if (r < 0)
		return r;
	argv = command_argv(command, ifname, &storage);
	if (!argv)
		return -EINVAL;
	if (uapi_probe(ifname, NULL) == 0) {
		r = -EEXIST;
		goto out;
	}
	if (mkdir(WG_UAPI_DIR, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		goto out;
	}
	/* Watch before starting, so the socket cannot appear unnoticed in between. */
	/* No inotify: closing an inotify instance waits for an RCU grace period, often
	 * longer than the implementation takes to start. A 1 ms probe costs less. */
	/* Output goes to an unlinked file: read back if the child dies during start, and
	 * gone with the child otherwise, so nothing grows on disk or blocks on a pipe. */
	logfd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0)
		child_exec(argv, logfd, pipefd[1]);
	close(pipefd[1]);
	pipefd[1] = -1;
	do
		n = read(pipefd[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n == sizeof(e)) {
		waitpid(pid, NULL, 0);
		log_err("%s: cannot run %s: %s", ifname, argv[0], strerror(e));
		pid = -1;
		r = -e;
		goto out;
	}

	deadline = now_ms() + START_TIMEOUT_MS;
	for (;;) {
		int64_t left;

		if (uapi_probe(ifname, &refused) == 0)
			break;
		w = waitpid(pid, &st, WNOHANG);
		if (w < 0 && errno == ECHILD && kill(pid, 0) < 0) {
			/* Reaped behind our back (SIGCHLD ignored): gone, status unknown. */
			child_output_tail(logfd, out, sizeof(out));
			log_err("%s: %s exited before its UAPI socket appeared%s%s", ifname, argv[0],
				out[0] ? ": " : "", out);
			pid = -1;
			r = -ECHILD;
			goto out;
		}
		if (w == pid) {
			child_output_tail(logfd, out, sizeof(out));
			if (WIFEXITED(st))
				log_err("%s: %s exited with status %d before its UAPI socket appeared%s%s",
					ifname, argv[0], WEXITSTATUS(st), out[0] ? ": " : "", out);
			else
				log_err("%s: %s killed by signal %d before its UAPI socket appeared%s%s",
					ifname, argv[0], WTERMSIG(st), out[0] ? ": " : "", out);
			pid = -1;
			r = -ECHILD;
			goto out;
		}
		left = deadline - now_ms();
		if (left <= 0) {
			log_err("%s: %s did not open its UAPI socket within %d ms", ifname, argv[0],
				START_TIMEOUT_MS);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			pid = -1;
			r = -ETIMEDOUT;
			goto out;
		}
		/* The socket appears a few ms after the start; probe every millisecond. */
		poll(NULL, 0, 1);
	}
	r = 0;
	if (pidp)
		*pidp = pid;
out:
	if (logfd >= 0)
		close(logfd);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	free(storage);
	free(argv);
	return r;
}

/* Wait for pid to exit: 0, or -ETIMEDOUT. */
static int wait_exit(pid_t pid, int pidfd, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;

	for (;;) {
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
		int64_t left = deadline - now_ms();

		if (pidfd < 0 && kill(pid, 0) < 0 && errno == ESRCH)
			return 0;
		if (left <= 0)
			return -ETIMEDOUT;
		if (pidfd >= 0) {
			if (poll(&pfd, 1, (int)left) > 0)
				return 0;
		} else {
			poll(NULL, 0, left < 10 ? (int)left : 10);
		}
	}
}

int wg_uapi_pid(const char *ifname, pid_t *pid)
{
	struct ucred cred = { 0 };
	socklen_t clen = sizeof(cred);
	int fd, refused = 0, r;

	fd = uapi_connect(ifname, &refused);
	if (fd < 0)
		return refused ? -ECONNREFUSED : fd;
	r = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	if (cred.pid <= 0)
		return -ESRCH;  /* served from another PID namespace */
	*pid = cred.pid;
	return 0;
}

int wg_uapi_stop(const char *ifname)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int pidfd = -1, r;
	pid_t pid;

	r = sock_path(path, sizeof(path), ifname);
	if (r < 0)
		return r;
	r = wg_uapi_pid(ifname, &pid);
	if (r == -ECONNREFUSED) {
		/* A socket nobody listens on is what a crashed daemon leaves behind. */
		return unlink(path) == 0 ? 0 : -ENODEV;
	}
	if (r < 0)
		return r;
	/* SIGTERM makes wireguard-go close its device: the TUN link and the socket go with it. */
	pidfd = pidfd_open(pid, 0);
	if (kill(pid, SIGTERM) < 0) {
		r = -errno;
		goto out;
	}
	if (wait_exit(pid, pidfd, STOP_TIMEOUT_MS) < 0) {
		log_warn("%s: UAPI daemon %d ignored SIGTERM, killing it", ifname, (int)pid);
		kill(pid, SIGKILL);
		wait_exit(pid, pidfd, STOP_TIMEOUT_MS);
	}
	if (unlink(path) < 0 && errno != ENOENT)
		r = -errno;
out:
	if (pidfd >= 0)
		close(pidfd);
	return r;
}
