/* The agent's side of the portal (docs/portal.md): the enrolment files under
 * state_dir/portal, the signed profile cache, and the long-poll pull of the profile
 * through libcurl's multi socket interface on the agent's loop. */
#ifndef WARREN_PORTAL_H
#define WARREN_PORTAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sodium.h>

#include "../profiles/model.h"
#include "../profiles/profile.h"

#define PORTAL_SUBDIR "portal"                /* under daemon.state_dir */
#define PORTAL_CREDENTIAL_LEN 43              /* base64url of 32 bytes, no padding */
#define PORTAL_INTERVAL_DEFAULT 60
#define PORTAL_INTERVAL_MAX 300               /* the server's longest long poll */
#define PORTAL_RETRY_MIN_MS 1000u
#define PORTAL_RETRY_MAX_MS 60000u
#define PORTAL_AUTH_RETRY_MS 60000u           /* after 401/403 */
#define PORTAL_POLL_FLOOR_MS 1000u            /* at most one request a second */
#define PORTAL_ETAG_MAX 128                   /* an ETag header value, with NUL */
#define PORTAL_ANSWER_MAX (64u << 10)         /* an enrolment answer */

struct loop;
struct json;
struct portal_client;

/* Called with every new verified profile: first, from portal_client_new, with the
 * cached one, then with each one the portal sends that differs from the last. p is
 * valid only during the call. The callback must not free the client. */
typedef void (*portal_profile_fn)(const struct profile *p, void *data);

/* Start pulling: reads state_dir/portal/{credential,signing.pub,url}, runs the cached
 * profile (state_dir/portal/profile.json + .sig, verified again) through on_profile,
 * then polls conf->url (or the enrolled url when conf->url is NULL) on l. conf is
 * copied. fwmark (0: none) marks the pull's connections, so they take the main table.
 * 0, or -errno (the reason logged): -ENOENT when this host is not enrolled,
 * -EINVAL for bad enrolment files. */
int portal_client_new(struct portal_client **pc, struct loop *l, const char *state_dir,
		      const struct portal_conf *conf, uint32_t fwmark, portal_profile_fn on_profile,
		      void *data);
/* Cancels a request in flight; wipes the credential. NULL is fine. */
void portal_client_free(struct portal_client *pc);
/* The profile running now (the last one handed to on_profile), parsed again into p,
 * for a reload that rebuilds the configuration: 0 (profile_clear(p) after use), or
 * -ENOENT when there is none yet. */
int portal_client_profile(const struct portal_client *pc, struct profile *p);
/* Writes the member "portal": {url, state, interval, last_success, last_error,
 * last_error_at, device, serial, etag, failures} into the object open in j. */
void portal_client_status(const struct portal_client *pc, struct json *j);

/* An https:// URL with a host and no blanks or control characters. */
bool portal_url_valid(const char *u);

/* ---- pure parts, exposed for the tests ---- */

/* The response headers the client keeps. A value that does not fit, or holds a
 * control character, marks the header bad (and empty). */
struct portal_headers {
	char etag[PORTAL_ETAG_MAX];
	char sig[PROFILE_SIG_B64_LEN];
	bool etag_bad, sig_bad;
};

/* Feed one header line as libcurl hands it (with CRLF, not NUL-terminated). Names
 * match case-insensitively; surrounding blanks are trimmed; a status line ("HTTP/")
 * starts a new response and clears h. */
void portal_header_line(struct portal_headers *h, const char *line, size_t len);

/* Delay before retry number `failures` (1, 2, ...): 1 s doubling to 60 s, each drawn
 * uniformly within ±25 %. uniform(n) returns 0..n-1 (randombytes_uniform). */
uint64_t portal_backoff_ms(unsigned int failures, uint32_t (*uniform)(uint32_t upper));

/* The replay rule: 0 when a profile with serial next may replace the current one
 * (have: a current one exists), -ESTALE when next is lower. */
int portal_serial_check(bool have, uint64_t current, uint64_t next);

/* Write data to dir/name through a temporary file in dir (fsync, rename, fsync of
 * dir), created with mode. 0 or -errno. */
int portal_write_file(const char *dir, const char *name, const void *data, size_t len,
		      mode_t mode);
/* Read dir/name (at most max bytes, else -EFBIG) into a NUL-terminated buffer; the
 * caller wipes and frees it. 0 or -errno. */
int portal_read_file(const char *dir, const char *name, size_t max, char **data, size_t *len);

/* The cache: profile.json (the exact signed bytes) and profile.sig (base64 + newline),
 * both 0600, both staged and fsynced before either is renamed into place. */
int portal_cache_write(const char *dir, const char *text, size_t len, const char *sig_b64);
/* Read and verify the cache under pk: 0 with *text (NUL-terminated; the caller wipes
 * and frees it), *len and sig; -ENOENT when there is none, -EBADMSG when it does not
 * verify, other -errno. */
int portal_cache_read(const char *dir, const uint8_t pk[crypto_sign_PUBLICKEYBYTES],
		      char **text, size_t *len, char sig[PROFILE_SIG_B64_LEN]);

/* The pinned signing key: signing.pub, base64 of 32 bytes (surrounding blanks allowed).
 * 0, -errno, or -EINVAL. */
int portal_read_signing_key(const char *dir, uint8_t pk[crypto_sign_PUBLICKEYBYTES]);
/* The credential file: one line of PORTAL_CREDENTIAL_LEN base64url characters. */
int portal_read_credential(const char *dir, char cred[PORTAL_CREDENTIAL_LEN + 1]);
/* true when s is a valid credential (43 base64url characters decoding to 32 bytes). */
bool portal_credential_valid(const char *s, size_t len);

/* The answer to POST /api/v1/agent/enroll. */
struct portal_enrollment {
	char device[PROFILE_DEVICE_MAX + 1];
	char credential[PORTAL_CREDENTIAL_LEN + 1];
	uint8_t signing_key[crypto_sign_PUBLICKEYBYTES];
	char signing_key_b64[KEY_B64_LEN];
	char profile_path[256];              /* "" when the answer had none */
};

/* Strict: an object with "device" (1-64 printable ASCII characters, no spaces), "credential"
 * (base64url, 43 characters), "signing_key" (base64 of 32 bytes) and optionally
 * "profile" (a path starting with "/"), each a string; other members are ignored.
 * 0, or -EINVAL with why set. */
int portal_enroll_parse(const char *body, size_t len, struct portal_enrollment *e, char *why,
			size_t whylen);
/* Wipes the credential. */
void portal_enrollment_clear(struct portal_enrollment *e);

/* The {"error": "..."} text of an error answer, made printable and cut to fit out;
 * "" when the body holds none. */
void portal_error_text(const char *body, size_t len, char *out, size_t outlen);

#endif
