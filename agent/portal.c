/* The agent's pull client: enrolment files, the signed profile cache, and the long poll
 * of GET /api/v1/agent/profile through libcurl's multi socket interface on the loop. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "loop.h"
#include "curlapi.h"
#include "portal.h"
#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"

/* libcurl, loaded when the first client starts (agent/curlapi.h says why). */
static const struct curl_api *cu;

/* ---- headers ---- */

static void header_set(char *dst, size_t size, bool *bad, const char *v, size_t vlen)
{
	size_t i;

	/* A header given twice has no one meaning: refuse it rather than pick one. */
	if (dst[0] || *bad || vlen >= size)
		goto bad;
	for (i = 0; i < vlen; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			goto bad;
	memcpy(dst, v, vlen);
	dst[vlen] = '\0';
	return;
bad:
	dst[0] = '\0';
	*bad = true;
}

void portal_header_line(struct portal_headers *h, const char *line, size_t len)
{
	const char *colon, *v, *end = line + len;
	size_t nlen;

	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		memset(h, 0, sizeof(*h));
		return;
	}
	colon = memchr(line, ':', len);
	if (!colon)
		return;
	nlen = (size_t)(colon - line);
	v = colon + 1;
	while (end > v && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	if (nlen == 4 && strncasecmp(line, "etag", 4) == 0)
		header_set(h->etag, sizeof(h->etag), &h->etag_bad, v, (size_t)(end - v));
	else if (nlen == 18 && strncasecmp(line, "x-warren-signature", 18) == 0)
		header_set(h->sig, sizeof(h->sig), &h->sig_bad, v, (size_t)(end - v));
}

/* ---- schedule and rules ---- */

uint64_t portal_backoff_ms(unsigned int failures, uint32_t (*uniform)(uint32_t upper))
{
	uint64_t base = PORTAL_RETRY_MIN_MS;
	unsigned int i;

	for (i = 1; i < failures && base < PORTAL_RETRY_MAX_MS; i++)
		base *= 2;
	if (base > PORTAL_RETRY_MAX_MS)
		base = PORTAL_RETRY_MAX_MS;
	/* base - 25 % + uniform over half of base: base ± 25 %. Many agents that lost the
	 * same portal then come back spread out, not all in the same second. */
	return base - base / 4 + uniform((uint32_t)(base / 2) + 1);
}

int portal_serial_check(bool have, uint64_t current, uint64_t next)
{
	return have && next < current ? -ESTALE : 0;
}

/* ---- files ---- */

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write dir/.name.tmp, fsynced; *tmp_out is its path. */
static int stage(const char *dir, const char *name, const void *data, size_t len, mode_t mode,
		 char **tmp_out)
{
	char *tmp = xasprintf("%s/.%s.tmp", dir, name);
	int fd, r;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	/* A temporary file left by a crash may have other permissions. */
	r = fchmod(fd, mode) < 0 ? -errno : 0;
	if (r == 0)
		r = write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
out:
	if (r < 0)
		free(tmp);
	else
		*tmp_out = tmp;
	return r;
}

static int commit(const char *dir, const char *name, char *tmp)
{
	char *path = xasprintf("%s/%s", dir, name);
	int r = rename(tmp, path) < 0 ? -errno : 0;

	if (r < 0)
		unlink(tmp);
	free(path);
	free(tmp);
	return r;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

int portal_write_file(const char *dir, const char *name, const void *data, size_t len,
		      mode_t mode)
{
	char *tmp;
	int r = stage(dir, name, data, len, mode, &tmp);

	if (r < 0)
		return r;
	r = commit(dir, name, tmp);
	return r < 0 ? r : fsync_dir(dir);
}

int portal_read_file(const char *dir, const char *name, size_t max, char **data, size_t *len)
{
	char *path = xasprintf("%s/%s", dir, name), *buf = NULL;
	struct stat st;
	size_t got = 0;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		r = -EFBIG;
		goto out;
	}
	/* The files are replaced by rename, never rewritten in place: the size holds. */
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			goto out;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	buf = NULL;
out:
	if (buf) {
		sodium_memzero(buf, (size_t)st.st_size + 1);
		free(buf);
	}
	close(fd);
	return r;
}

static void wipe_free(char *p, size_t len)
{
	if (!p)
		return;
	sodium_memzero(p, len);
	free(p);
}

static size_t trim_len(const char *s, size_t len)
{
	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' ||
		       s[len - 1] == '\t'))
		len--;
	return len;
}

int portal_cache_write(const char *dir, const char *text, size_t len, const char *sig_b64)
{
	char sigline[PROFILE_SIG_B64_LEN + 1], *tmp_json = NULL, *tmp_sig = NULL;
	size_t slen = strlen(sig_b64);
	int r;

	if (slen >= PROFILE_SIG_B64_LEN)
		return -EINVAL;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	memcpy(sigline, sig_b64, slen);
	sigline[slen++] = '\n';
	/* Both staged before either moves: a crash between the two renames leaves a pair
	 * that does not verify, which the next start refuses rather than runs. */
	r = stage(dir, "profile.json", text, len, 0600, &tmp_json);
	if (r == 0)
		r = stage(dir, "profile.sig", sigline, slen, 0600, &tmp_sig);
	if (r < 0) {
		if (tmp_json) {
			unlink(tmp_json);
			free(tmp_json);
		}
		return r;
	}
	r = commit(dir, "profile.json", tmp_json);
	if (r < 0) {
		unlink(tmp_sig);
		free(tmp_sig);
		return r;
	}
	r = commit(dir, "profile.sig", tmp_sig);
	return r < 0 ? r : fsync_dir(dir);
}

int portal_cache_read(const char *dir, const uint8_t pk[crypto_sign_PUBLICKEYBYTES],
		      char **text, size_t *len, char sig[PROFILE_SIG_B64_LEN])
{
	char *t = NULL, *s = NULL;
	size_t tlen = 0, slen = 0;
	int r;

	r = portal_read_file(dir, "profile.json", PROFILE_MAX_BYTES, &t, &tlen);
	if (r < 0)
		return r;
	r = portal_read_file(dir, "profile.sig", PROFILE_SIG_B64_LEN + 2, &s, &slen);
	if (r < 0) {
		if (r == -EFBIG)
			r = -EBADMSG;
		goto out;
	}
	slen = trim_len(s, slen);
	s[slen] = '\0';
	if (slen >= PROFILE_SIG_B64_LEN || profile_verify(pk, t, tlen, s) < 0) {
		r = -EBADMSG;
		goto out;
	}
	memcpy(sig, s, slen + 1);
	*text = t;
	*len = tlen;
	t = NULL;
out:
	wipe_free(t, tlen);
	free(s);
	return r;
}

int portal_read_signing_key(const char *dir, uint8_t pk[crypto_sign_PUBLICKEYBYTES])
{
	char *buf = NULL, *p;
	size_t len = 0;
	int r = portal_read_file(dir, "signing.pub", 256, &buf, &len);

	if (r < 0)
		return r;
	len = trim_len(buf, len);
	buf[len] = '\0';
	for (p = buf; *p == ' ' || *p == '\t'; p++)
		;
	r = key_from_base64(pk, p) < 0 ? -EINVAL : 0;
	free(buf);
	return r;
}

bool portal_credential_valid(const char *s, size_t len)
{
	uint8_t bin[64];
	size_t i, blen = 0;
	const char *end;
	bool ok;

	if (len != PORTAL_CREDENTIAL_LEN)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	ok = sodium_base642bin(bin, sizeof(bin), s, len, NULL, &blen, &end,
			       sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
	     end == s + len && blen == 32;
	sodium_memzero(bin, sizeof(bin));
	return ok;
}

int portal_read_credential(const char *dir, char cred[PORTAL_CREDENTIAL_LEN + 1])
{
	char *buf = NULL;
	size_t len = 0, blen;
	int r = portal_read_file(dir, "credential", 256, &buf, &len);

	if (r < 0)
		return r;
	blen = len;
	len = trim_len(buf, len);
	if (!portal_credential_valid(buf, len)) {
		r = -EINVAL;
	} else {
		memcpy(cred, buf, len);
		cred[len] = '\0';
	}
	sodium_memzero(buf, blen);
	free(buf);
	return r;
}

/* ---- enrolment answer ---- */

static bool printable(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* As profiles name devices: the name is printed and compared with theirs. */
static bool device_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > PROFILE_DEVICE_MAX)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static const struct json_value *member_str(const struct json_value *o, const char *key,
					   bool required, char *why, size_t whylen)
{
	const struct json_value *v = json_get(o, key);

	if (!v) {
		if (required)
			snprintf(why, whylen, "%s: missing", key);
		return NULL;
	}
	if (v->type != JSON_STRING) {
		snprintf(why, whylen, "%s: not a string", key);
		return NULL;
	}
	return v;
}

int portal_enroll_parse(const char *body, size_t len, struct portal_enrollment *e, char *why,
			size_t whylen)
{
	const struct json_value *v;
	struct json_value *root = NULL;
	const char *err = NULL;
	int r = -EINVAL;

	memset(e, 0, sizeof(*e));
	if (json_parse(body, len, &root, &err, NULL) < 0) {
		snprintf(why, whylen, "not JSON: %s", err ? err : "syntax error");
		return -EINVAL;
	}
	if (root->type != JSON_OBJECT) {
		snprintf(why, whylen, "not a JSON object");
		goto out;
	}
	v = member_str(root, "device", true, why, whylen);
	if (!v)
		goto out;
	if (!device_valid(v->s, v->slen)) {
		snprintf(why, whylen, "device: not 1-%d printable ASCII characters without spaces",
			 PROFILE_DEVICE_MAX);
		goto out;
	}
	memcpy(e->device, v->s, v->slen + 1);

	v = member_str(root, "credential", true, why, whylen);
	if (!v)
		goto out;
	if (!portal_credential_valid(v->s, v->slen)) {
		snprintf(why, whylen, "credential: not %d base64url characters of 32 bytes",
			 PORTAL_CREDENTIAL_LEN);
		goto out;
	}
	memcpy(e->credential, v->s, v->slen + 1);

	v = member_str(root, "signing_key", true, why, whylen);
	if (!v)
		goto out;
	if (v->slen != KEY_B64_LEN - 1 || key_from_base64(e->signing_key, v->s) < 0) {
		snprintf(why, whylen, "signing_key: not base64 of 32 bytes");
		goto out;
	}
	memcpy(e->signing_key_b64, v->s, v->slen + 1);

	why[0] = '\0';
	v = member_str(root, "profile", false, why, whylen);
	if (!v && why[0])
		goto out;
	if (v) {
		if (v->slen == 0 || v->s[0] != '/' || v->slen >= sizeof(e->profile_path) ||
		    strlen(v->s) != v->slen || !printable(v->s, v->slen)) {
			snprintf(why, whylen, "profile: not a path");
			goto out;
		}
		memcpy(e->profile_path, v->s, v->slen + 1);
	}
	r = 0;
out:
	/* The tree holds the credential. */
	if (root && root->type == JSON_OBJECT) {
		const struct json_value *c = json_get(root, "credential");

		if (c && c->type == JSON_STRING)
			sodium_memzero(c->s, c->slen);
	}
	json_value_free(root);
	if (r < 0)
		portal_enrollment_clear(e);
	return r;
}

void portal_enrollment_clear(struct portal_enrollment *e)
{
	sodium_memzero(e, sizeof(*e));
}

void portal_error_text(const char *body, size_t len, char *out, size_t outlen)
{
	struct json_value *root = NULL;
	const char *s;
	size_t i, n;

	out[0] = '\0';
	if (!body || !len || outlen == 0 || json_parse(body, len, &root, NULL, NULL) < 0)
		return;
	s = json_get_str(root, "error");
	if (s) {
		n = strlen(s);
		if (n >= outlen)
			n = outlen - 1;
		for (i = 0; i < n; i++)
			out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
		out[n] = '\0';
	}
	json_value_free(root);
}

/* ---- the client ---- */

enum portal_state {
	PS_CONNECTING,      /* no answer yet */
	PS_POLLING,         /* the last answer was good */
	PS_RETRYING,        /* after a network error, 5xx or a refused profile */
	PS_UNAUTHORIZED,    /* 401/403: the credential is refused */
};

static const char *const state_name[] = {
	[PS_CONNECTING] = "connecting",
	[PS_POLLING] = "polling",
	[PS_RETRYING] = "retrying",
	[PS_UNAUTHORIZED] = "unauthorized",
};

struct portal_client {
	struct loop *loop;
	char *dir;                   /* state_dir/portal */
	char *url;                   /* base, no trailing slash */
	char *endpoint;              /* the profile URL with ?wait= */
	char *ca_file;
	uint32_t interval;
	uint32_t fwmark;             /* on the pull's sockets; 0: none */
	char *auth;                  /* "Authorization: Bearer ...": secret */
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	portal_profile_fn on_profile;
	void *data;

	CURLM *multi;
	CURL *easy;
	struct curl_slist *headers;
	struct timer *curl_timer;    /* libcurl's own timeouts */
	struct timer *poll_timer;    /* the next request */
	int *fds;                    /* sockets registered on the loop */
	size_t n_fds;
	bool busy;
	uint64_t started_ms;
	char errbuf[CURL_ERROR_SIZE];

	/* the answer being received */
	char *body;                  /* may hold preshared keys: wiped */
	size_t body_len, body_cap;
	bool too_big;
	struct portal_headers hdr;

	/* what is running */
	bool have;
	uint64_t serial;
	char device[PROFILE_DEVICE_MAX + 1];
	char *cur_text;              /* its verified bytes (secret: preshared keys) */
	size_t cur_len;
	char cur_etag[PROFILE_ETAG_LEN];   /* computed from the bytes */
	char etag[PORTAL_ETAG_MAX];        /* sent as If-None-Match */

	enum portal_state state;
	unsigned int failures;
	time_t last_success;
	time_t last_error_at;
	char last_error[256];
	bool error_logged;           /* last_error was logged and nothing good came since */
};

static void body_reset(struct portal_client *pc)
{
	if (pc->body)
		sodium_memzero(pc->body, pc->body_cap);
	pc->body_len = 0;
	pc->too_big = false;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *data)
{
	struct portal_client *pc = data;
	size_t n = size * nmemb;

	if (n > PROFILE_MAX_BYTES - pc->body_len) {
		pc->too_big = true;
		return 0;
	}
	if (pc->body_len + n + 1 > pc->body_cap) {
		size_t cap = pc->body_cap ? pc->body_cap : 4096;
		char *nb;

		while (cap < pc->body_len + n + 1)
			cap *= 2;
		if (cap > PROFILE_MAX_BYTES + 1)
			cap = PROFILE_MAX_BYTES + 1;
		/* Not realloc: it could leave a copy of the keys in freed memory. */
		nb = xmalloc(cap);
		if (pc->body) {
			memcpy(nb, pc->body, pc->body_len);
			sodium_memzero(pc->body, pc->body_cap);
			free(pc->body);
		}
		pc->body = nb;
		pc->body_cap = cap;
	}
	memcpy(pc->body + pc->body_len, ptr, n);
	pc->body_len += n;
	pc->body[pc->body_len] = '\0';
	return n;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *data)
{
	struct portal_client *pc = data;

	portal_header_line(&pc->hdr, buf, size * nitems);
	return size * nitems;
}

static void fd_track(struct portal_client *pc, int fd, bool add)
{
	size_t i;

	for (i = 0; i < pc->n_fds; i++) {
		if (pc->fds[i] == fd) {
			if (!add)
				pc->fds[i] = pc->fds[--pc->n_fds];
			return;
		}
	}
	if (add)
		*(int *)array_push(&pc->fds, &pc->n_fds, sizeof(int)) = fd;
}

static void check_done(struct portal_client *pc);

static void on_fd(struct loop *l, int fd, uint32_t events, void *data)
{
	struct portal_client *pc = data;
	int flags = 0, running;

	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	cu->multi_socket_action(pc->multi, fd, flags, &running);
	check_done(pc);
}

static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct portal_client *pc = userp;
	uint32_t ev = 0;
	int r;

	if (what == CURL_POLL_REMOVE) {
		if (socketp) {
			loop_del_fd(pc->loop, s);
			fd_track(pc, s, false);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev |= EPOLLOUT;
	if (socketp)
		return loop_mod_fd(pc->loop, s, ev) < 0 ? -1 : 0;
	r = loop_add_fd(pc->loop, s, ev, on_fd, pc);
	if (r < 0) {
		log_err("portal %s: watching socket %d: %s", pc->url, s, strerror(-r));
		return -1;
	}
	fd_track(pc, s, true);
	/* Any non-NULL pointer: tells later calls for s that it is on the loop. */
	cu->multi_assign(pc->multi, s, pc);
	return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct portal_client *pc = userp;

	/* Never call libcurl from here: a zero timeout fires from the loop, next round. */
	if (timeout_ms < 0)
		timer_disarm(pc->curl_timer);
	else
		timer_arm(pc->curl_timer, (uint64_t)timeout_ms);
	return 0;
}

static void on_curl_timeout(struct loop *l, struct timer *t, void *data)
{
	struct portal_client *pc = data;
	int running;

	cu->multi_socket_action(pc->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(pc);
}

static void schedule(struct portal_client *pc, uint64_t delay_ms)
{
	timer_arm(pc->poll_timer, delay_ms);
}

/* Good answer: poll again at once, but never more than once a second, so a portal that
 * answers without waiting cannot make the agent spin. */
static void schedule_next(struct portal_client *pc)
{
	uint64_t since = loop_now_ms() - pc->started_ms;

	schedule(pc, since >= PORTAL_POLL_FLOOR_MS ? 0 : PORTAL_POLL_FLOOR_MS - since);
}

static void succeeded(struct portal_client *pc)
{
	if (pc->state == PS_UNAUTHORIZED)
		log_info("portal %s: the credential is accepted again", pc->url);
	else if (pc->failures && pc->error_logged)
		log_info("portal %s: answering again after %u failed attempts", pc->url,
			 pc->failures);
	pc->state = PS_POLLING;
	pc->failures = 0;
	pc->error_logged = false;
	pc->last_success = time(NULL);
	schedule_next(pc);
}

static void failed(struct portal_client *pc, bool refusal, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A failure: logged when it is news (a repeat of the same error goes to debug), then a
 * retry after the backoff. */
static void failed(struct portal_client *pc, bool refusal, const char *fmt, ...)
{
	char msg[sizeof(pc->last_error)];
	uint64_t delay;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pc->failures++;
	delay = portal_backoff_ms(pc->failures, randombytes_uniform);
	if (!pc->error_logged || strcmp(msg, pc->last_error) != 0) {
		if (refusal)
			log_err("portal %s: %s; keeping %s; retry in %llu s", pc->url, msg,
				pc->have ? "the profile running" : "no profile",
				(unsigned long long)(delay + 500) / 1000);
		else
			log_warn("portal %s: %s; retry in %llu s", pc->url, msg,
				 (unsigned long long)(delay + 500) / 1000);
		pc->error_logged = true;
	} else {
		log_debug("portal %s: %s (attempt %u); retry in %llu ms", pc->url, msg,
			  pc->failures, (unsigned long long)delay);
	}
	memcpy(pc->last_error, msg, sizeof(msg));
	pc->last_error_at = time(NULL);
	pc->state = PS_RETRYING;
	schedule(pc, delay);
}

static void unauthorized(struct portal_client *pc, long status)
{
	char text[128];

	portal_error_text(pc->body, pc->body_len, text, sizeof(text));
	pc->failures++;
	if (pc->state != PS_UNAUTHORIZED)
		log_err("portal %s: %ld %s: the portal refuses this agent's credential; "
			"retrying every %u s (re-enrol with \"warren enroll\" if it was revoked)",
			pc->url, status, text[0] ? text : "unauthorized", PORTAL_AUTH_RETRY_MS / 1000);
	snprintf(pc->last_error, sizeof(pc->last_error), "%ld %s", status,
		 text[0] ? text : "unauthorized");
	pc->last_error_at = time(NULL);
	pc->error_logged = true;
	pc->state = PS_UNAUTHORIZED;
	schedule(pc, PORTAL_AUTH_RETRY_MS);
}

/* Accept bytes that verified: parse, check the serial, cache, hand over. 0, or -errno
 * with why filled. */
static int accept_profile(struct portal_client *pc, const char *text, size_t len,
			  const char *sig, bool cache, char *why, size_t whylen)
{
	struct profile p = { 0 };
	char etag[PROFILE_ETAG_LEN];
	int r;

	profile_etag(text, len, etag);
	r = profile_parse(text, len, &p, why, whylen);
	if (r < 0)
		goto out;
	if (portal_serial_check(pc->have, pc->serial, p.serial) < 0) {
		snprintf(why, whylen, "serial %llu is lower than the running %llu (a replayed profile)",
			 (unsigned long long)p.serial, (unsigned long long)pc->serial);
		r = -ESTALE;
		goto out;
	}
	if (cache) {
		r = portal_cache_write(pc->dir, text, len, sig);
		if (r < 0)
			log_err("portal: caching the profile in %s: %s (it runs, but a restart "
				"starts from the previous one)", pc->dir, strerror(-r));
		r = 0;
	}
	wipe_free(pc->cur_text, pc->cur_len);
	pc->cur_text = xmalloc(len + 1);
	memcpy(pc->cur_text, text, len);
	pc->cur_text[len] = '\0';
	pc->cur_len = len;
	pc->have = true;
	pc->serial = p.serial;
	memcpy(pc->device, p.device, sizeof(pc->device));
	memcpy(pc->cur_etag, etag, sizeof(etag));
	log_info("portal: profile %llu for %s: %zu tunnel%s", (unsigned long long)p.serial,
		 p.device, p.n_tunnels, p.n_tunnels == 1 ? "" : "s");
	pc->on_profile(&p, pc->data);
out:
	profile_clear(&p);
	return r;
}

static void handle_profile(struct portal_client *pc)
{
	char why[256], etag[PROFILE_ETAG_LEN];

	if (pc->hdr.sig_bad || !pc->hdr.sig[0]) {
		failed(pc, true, "profile refused: %s X-Warren-Signature header",
		       pc->hdr.sig_bad ? "a malformed" : "no");
		return;
	}
	if (profile_verify(pc->pk, pc->body ? pc->body : "", pc->body_len, pc->hdr.sig) < 0) {
		failed(pc, true, "profile refused: the signature does not verify under the pinned key");
		return;
	}
	profile_etag(pc->body, pc->body_len, etag);
	if (!(pc->have && strcmp(etag, pc->cur_etag) == 0) &&
	    accept_profile(pc, pc->body, pc->body_len, pc->hdr.sig, true, why, sizeof(why)) < 0) {
		failed(pc, true, "profile refused: %s", why);
		return;
	}
	/* The server's ETag is what it compares If-None-Match with; ours when it sent none. */
	if (pc->hdr.etag[0])
		memcpy(pc->etag, pc->hdr.etag, sizeof(pc->etag));
	else
		memcpy(pc->etag, etag, sizeof(etag));
	succeeded(pc);
}

static void finish(struct portal_client *pc, CURLcode res)
{
	long status = 0;
	char text[128];

	cu->easy_getinfo(pc->easy, CURLINFO_RESPONSE_CODE, &status);
	if (pc->too_big || res == CURLE_FILESIZE_EXCEEDED) {
		failed(pc, false, "answer larger than %u bytes", PROFILE_MAX_BYTES);
	} else if (res != CURLE_OK) {
		failed(pc, false, "%s", pc->errbuf[0] ? pc->errbuf : cu->easy_strerror(res));
	} else if (status == 200) {
		handle_profile(pc);
	} else if (status == 304) {
		succeeded(pc);
	} else if (status == 401 || status == 403) {
		unauthorized(pc, status);
	} else {
		portal_error_text(pc->body, pc->body_len, text, sizeof(text));
		failed(pc, false, "HTTP %ld%s%s", status, text[0] ? " " : "", text);
	}
	body_reset(pc);
}

static void check_done(struct portal_client *pc)
{
	CURLMsg *m;
	int left;

	while ((m = cu->multi_info_read(pc->multi, &left))) {
		CURLcode res;

		if (m->msg != CURLMSG_DONE || m->easy_handle != pc->easy)
			continue;
		res = m->data.result;
		cu->multi_remove_handle(pc->multi, pc->easy);
		pc->busy = false;
		finish(pc, res);
	}
}

static void headers_free(struct portal_client *pc)
{
	struct curl_slist *s;

	for (s = pc->headers; s; s = s->next)
		sodium_memzero(s->data, strlen(s->data));
	cu->slist_free_all(pc->headers);
	pc->headers = NULL;
}

static void start_request(struct portal_client *pc)
{
	char inm[PORTAL_ETAG_MAX + 32];
	CURLMcode mr;

	headers_free(pc);
	pc->headers = cu->slist_append(NULL, pc->auth);
	pc->headers = cu->slist_append(pc->headers, "Accept: application/json");
	if (pc->etag[0]) {
		snprintf(inm, sizeof(inm), "If-None-Match: %s", pc->etag);
		pc->headers = cu->slist_append(pc->headers, inm);
	}
	if (!pc->headers) {
		failed(pc, false, "out of memory");
		return;
	}
	cu->easy_setopt(pc->easy, CURLOPT_HTTPHEADER, pc->headers);
	body_reset(pc);
	memset(&pc->hdr, 0, sizeof(pc->hdr));
	pc->errbuf[0] = '\0';
	pc->started_ms = loop_now_ms();
	mr = cu->multi_add_handle(pc->multi, pc->easy);
	if (mr != CURLM_OK) {
		failed(pc, false, "starting the request: %s", cu->multi_strerror(mr));
		return;
	}
	pc->busy = true;
}

static void on_poll(struct loop *l, struct timer *t, void *data)
{
	struct portal_client *pc = data;

	if (!pc->busy)
		start_request(pc);
}

bool portal_url_valid(const char *u)
{
	size_t i;

	if (strncmp(u, "https://", 8) != 0 || !u[8] || u[8] == '/')
		return false;
	for (i = 0; u[i]; i++)
		if ((unsigned char)u[i] <= 0x20 || u[i] == 0x7f)
			return false;
	return true;
}

/* The enrolled URL (one line), when the configuration gives none. */
static int read_url(const char *dir, char **url)
{
	char *buf = NULL;
	size_t len = 0;
	int r = portal_read_file(dir, "url", 4096, &buf, &len);

	if (r < 0)
		return r;
	buf[trim_len(buf, len)] = '\0';
	*url = buf;
	return 0;
}

/* The pull carries warren's mark, as the encrypted packets do: it leaves by the main
 * table, never through a tunnel, not even the one the portal hands out (whose server is
 * the portal: were the tunnel to break, say for a new server key, the agent could never
 * fetch the profile that mends it). */
static int on_curl_sockopt(void *data, curl_socket_t fd, curlsocktype purpose)
{
	const struct portal_client *pc = data;

	if (purpose == CURLSOCKTYPE_IPCXN &&
	    setsockopt(fd, SOL_SOCKET, SO_MARK, &pc->fwmark, sizeof(pc->fwmark)) < 0)
		log_warn("portal: marking the connection: %s", strerror(errno));
	return CURL_SOCKOPT_OK;
}

static int setup_curl(struct portal_client *pc)
{
	CURL *e;

	pc->multi = cu->multi_init();
	pc->easy = e = cu->easy_init();
	if (!pc->multi || !e)
		return -ENOMEM;
	cu->multi_setopt(pc->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	cu->multi_setopt(pc->multi, CURLMOPT_SOCKETDATA, pc);
	cu->multi_setopt(pc->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	cu->multi_setopt(pc->multi, CURLMOPT_TIMERDATA, pc);

	if (cu->easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
	    cu->easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https") != CURLE_OK)
		return -EPROTONOSUPPORT;
	cu->easy_setopt(e, CURLOPT_URL, pc->endpoint);
	cu->easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	cu->easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	cu->easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	cu->easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (pc->ca_file && cu->easy_setopt(e, CURLOPT_CAINFO, pc->ca_file) != CURLE_OK)
		return -EINVAL;
	cu->easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 15000L);
	/* The server holds the answer up to wait seconds; beyond that plus a margin, the
	 * connection is dead. */
	cu->easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(pc->interval + 15) * 1000L);
	cu->easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	cu->easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)PROFILE_MAX_BYTES);
	cu->easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	cu->easy_setopt(e, CURLOPT_WRITEDATA, pc);
	cu->easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	cu->easy_setopt(e, CURLOPT_HEADERDATA, pc);
	cu->easy_setopt(e, CURLOPT_ERRORBUFFER, pc->errbuf);
	cu->easy_setopt(e, CURLOPT_USERAGENT, "warren/" WARREN_VERSION);
	cu->easy_setopt(e, CURLOPT_PRIVATE, pc);
	if (pc->fwmark) {
		cu->easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, on_curl_sockopt);
		cu->easy_setopt(e, CURLOPT_SOCKOPTDATA, pc);
	}
	return 0;
}

/* Run the cached profile, if it still verifies under the pinned key. */
static void load_cache(struct portal_client *pc)
{
	char sig[PROFILE_SIG_B64_LEN], why[256];
	char *text = NULL;
	size_t len = 0;
	int r = portal_cache_read(pc->dir, pc->pk, &text, &len, sig);

	if (r == -ENOENT)
		return;
	if (r < 0) {
		log_err("portal: cached profile %s/profile.json: %s; waiting for the portal",
			pc->dir, r == -EBADMSG ? "the signature does not verify" : strerror(-r));
		return;
	}
	if (accept_profile(pc, text, len, sig, false, why, sizeof(why)) < 0)
		log_err("portal: cached profile %s/profile.json: %s; waiting for the portal",
			pc->dir, why);
	else
		profile_etag(text, len, pc->etag);
	wipe_free(text, len);
}

int portal_client_new(struct portal_client **pcp, struct loop *l, const char *state_dir,
		      const struct portal_conf *conf, uint32_t fwmark, portal_profile_fn on_profile,
		      void *data)
{
	struct portal_client *pc = xcalloc(1, sizeof(*pc));
	char cred[PORTAL_CREDENTIAL_LEN + 1];
	char *url = NULL;
	size_t n;
	int r;

	/* randombytes_uniform for the jitter wants it; idempotent. */
	if (sodium_init() < 0) {
		free(pc);
		return -EIO;
	}
	pc->loop = l;
	pc->fwmark = fwmark;
	pc->on_profile = on_profile;
	pc->data = data;
	pc->dir = xasprintf("%s/%s", state_dir, PORTAL_SUBDIR);
	pc->interval = conf && conf->interval ? conf->interval : PORTAL_INTERVAL_DEFAULT;
	if (pc->interval > PORTAL_INTERVAL_MAX)
		pc->interval = PORTAL_INTERVAL_MAX;
	if (conf && conf->ca_file)
		pc->ca_file = xstrdup(conf->ca_file);

	if (conf && conf->url) {
		url = xstrdup(conf->url);
	} else if ((r = read_url(pc->dir, &url)) < 0) {
		log_err("portal: %s/url: %s%s", pc->dir, strerror(-r),
			r == -ENOENT ? " (not enrolled: run \"warren enroll\")" : "");
		goto fail;
	}
	n = strlen(url);
	while (n > 8 && url[n - 1] == '/')
		url[--n] = '\0';
	if (!portal_url_valid(url)) {
		log_err("portal: url \"%s\": not an https:// URL", url);
		free(url);
		r = -EINVAL;
		goto fail;
	}
	pc->url = url;
	pc->endpoint = xasprintf("%s/api/v1/agent/profile?wait=%u", url, pc->interval);

	r = portal_read_signing_key(pc->dir, pc->pk);
	if (r < 0) {
		log_err("portal: %s/signing.pub: %s%s", pc->dir,
			r == -EINVAL ? "not a base64 key of 32 bytes" : strerror(-r),
			r == -ENOENT ? " (not enrolled: run \"warren enroll\")" : "");
		goto fail;
	}
	r = portal_read_credential(pc->dir, cred);
	if (r < 0) {
		log_err("portal: %s/credential: %s%s", pc->dir,
			r == -EINVAL ? "not a credential" : strerror(-r),
			r == -ENOENT ? " (not enrolled: run \"warren enroll\")" : "");
		goto fail;
	}
	pc->auth = xasprintf("Authorization: Bearer %s", cred);
	sodium_memzero(cred, sizeof(cred));

	cu = curlapi_load();
	if (!cu) {
		r = -ENOENT;
		goto fail;
	}
	if (cu->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_err("portal: libcurl does not initialise");
		r = -ENOMEM;
		goto fail;
	}
	pc->curl_timer = timer_new(l, on_curl_timeout, pc);
	pc->poll_timer = timer_new(l, on_poll, pc);
	r = setup_curl(pc);
	if (r < 0) {
		log_err("portal %s: libcurl: %s", pc->url,
			r == -EPROTONOSUPPORT ? "no HTTPS support" : strerror(-r));
		portal_client_free(pc);
		return r;
	}
	/* Tunnels come up from the cache before the portal answers, or when it never does. */
	load_cache(pc);
	schedule(pc, 0);
	*pcp = pc;
	return 0;
fail:
	if (pc->auth)
		wipe_free(pc->auth, strlen(pc->auth));
	free(pc->endpoint);
	free(pc->url);
	free(pc->ca_file);
	free(pc->dir);
	free(pc);
	return r;
}

void portal_client_free(struct portal_client *pc)
{
	size_t i;

	if (!pc)
		return;
	if (pc->multi && pc->easy && pc->busy)
		cu->multi_remove_handle(pc->multi, pc->easy);
	if (pc->easy)
		cu->easy_cleanup(pc->easy);
	if (pc->multi)
		cu->multi_cleanup(pc->multi);
	/* Whatever libcurl did not say REMOVE for is off the loop too. */
	for (i = 0; i < pc->n_fds; i++)
		loop_del_fd(pc->loop, pc->fds[i]);
	free(pc->fds);
	if (pc->curl_timer || pc->poll_timer) {
		timer_free(pc->curl_timer);
		timer_free(pc->poll_timer);
		cu->global_cleanup();
	}
	headers_free(pc);
	if (pc->auth)
		wipe_free(pc->auth, strlen(pc->auth));
	wipe_free(pc->body, pc->body_cap);
	wipe_free(pc->cur_text, pc->cur_len);
	free(pc->endpoint);
	free(pc->url);
	free(pc->ca_file);
	free(pc->dir);
	sodium_memzero(pc, sizeof(*pc));
	free(pc);
}

int portal_client_profile(const struct portal_client *pc, struct profile *p)
{
	char why[256];

	if (!pc->have)
		return -ENOENT;
	return profile_parse(pc->cur_text, pc->cur_len, p, why, sizeof(why));
}

void portal_client_status(const struct portal_client *pc, struct json *j)
{
	json_obj_begin(j, "portal");
	json_str(j, "url", pc->url);
	json_str(j, "state", state_name[pc->state]);
	json_u64(j, "interval", pc->interval);
	json_u64(j, "last_success", (uint64_t)pc->last_success);
	if (pc->last_error[0]) {
		json_str(j, "last_error", pc->last_error);
		json_u64(j, "last_error_at", (uint64_t)pc->last_error_at);
	} else {
		json_null(j, "last_error");
		json_null(j, "last_error_at");
	}
	if (pc->have) {
		json_str(j, "device", pc->device);
		json_u64(j, "serial", pc->serial);
	} else {
		json_null(j, "device");
		json_null(j, "serial");
	}
	if (pc->etag[0])
		json_str(j, "etag", pc->etag);
	else
		json_null(j, "etag");
	json_u64(j, "failures", pc->failures);
	json_end(j);
}
