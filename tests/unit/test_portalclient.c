/* The agent's portal client: header parsing, the retry schedule, the replay rule, the
 * signed cache on disk, the enrolment answer, and the start from the cache. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/loop.h"
#include "agent/portal.h"
#include "common/json.h"
#include "common/log.h"

/* Keys from RFC 7748 section 6.1, as base64. */
#define PEER_KEY "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08="
#define PROFILE_TEXT \
	"{\"version\":1,\"device\":\"gw1\",\"serial\":7,\"issued\":1795600000," \
	"\"tunnels\":[{\"name\":\"hq\",\"endpoint\":\"vpn.example.net:51820\"," \
	"\"public_key\":\"" PEER_KEY "\",\"addresses\":[\"10.9.0.2/32\"]," \
	"\"allowed_ips\":[\"0.0.0.0/0\",\"::/0\"],\"dns\":[\"10.9.0.1\"]," \
	"\"keepalive\":25,\"mtu\":1420}]}"

/* ---- headers ---- */

static void feed(struct portal_headers *h, const char *line)
{
	portal_header_line(h, line, strlen(line));
}

static void test_headers_basic(void **state)
{
	struct portal_headers h = { 0 };

	feed(&h, "HTTP/1.1 200 OK\r\n");
	feed(&h, "Content-Type: application/json\r\n");
	feed(&h, "ETag: \"0123456789abcdef0123456789abcdef\"\r\n");
	feed(&h, "X-Warren-Signature:   c2lnbmF0dXJl  \r\n");
	feed(&h, "\r\n");
	assert_string_equal(h.etag, "\"0123456789abcdef0123456789abcdef\"");
	assert_string_equal(h.sig, "c2lnbmF0dXJl");
	assert_false(h.etag_bad);
	assert_false(h.sig_bad);
}

static void test_headers_case(void **state)
{
	struct portal_headers h = { 0 };

	feed(&h, "etag:\"a\"\r\n");
	feed(&h, "x-WARREN-signature:\tAbC=\n");
	assert_string_equal(h.etag, "\"a\"");
	assert_string_equal(h.sig, "AbC=");
}

static void test_headers_other_names(void **state)
{
	struct portal_headers h = { 0 };

	feed(&h, "ETagX: \"no\"\r\n");
	feed(&h, "X-Warren-Signature-Old: no\r\n");
	feed(&h, "X-Etag: no\r\n");
	feed(&h, "no colon here\r\n");
	feed(&h, " ETag: \"folded\"\r\n");
	assert_string_equal(h.etag, "");
	assert_string_equal(h.sig, "");
	assert_false(h.etag_bad || h.sig_bad);
}

static void test_headers_bounds(void **state)
{
	struct portal_headers h = { 0 };
	char line[512], value[PROFILE_SIG_B64_LEN + 1];

	/* The longest signature that fits: 88 characters. */
	memset(value, 'A', PROFILE_SIG_B64_LEN - 1);
	value[PROFILE_SIG_B64_LEN - 1] = '\0';
	snprintf(line, sizeof(line), "X-Warren-Signature: %s\r\n", value);
	feed(&h, line);
	assert_false(h.sig_bad);
	assert_int_equal(strlen(h.sig), PROFILE_SIG_B64_LEN - 1);

	/* One more is refused, not cut. */
	memset(&h, 0, sizeof(h));
	memset(value, 'A', PROFILE_SIG_B64_LEN);
	value[PROFILE_SIG_B64_LEN] = '\0';
	snprintf(line, sizeof(line), "X-Warren-Signature: %s\r\n", value);
	feed(&h, line);
	assert_true(h.sig_bad);
	assert_string_equal(h.sig, "");

	memset(line, 'e', sizeof(line));
	memcpy(line, "ETag: ", 6);
	portal_header_line(&h, line, sizeof(line));
	assert_true(h.etag_bad);
	assert_string_equal(h.etag, "");
}

static void test_headers_not_terminated(void **state)
{
	struct portal_headers h = { 0 };
	const char buf[] = "ETag: \"abc\"\r\nX-Warren-Signature: zzz";

	/* Only the first line's bytes are handed over. */
	portal_header_line(&h, buf, 13);
	assert_string_equal(h.etag, "\"abc\"");
	assert_string_equal(h.sig, "");
}

static void test_headers_control_and_repeat(void **state)
{
	struct portal_headers h = { 0 };

	feed(&h, "ETag: \"a\x01\"\r\n");
	assert_true(h.etag_bad);

	memset(&h, 0, sizeof(h));
	feed(&h, "X-Warren-Signature: one\r\n");
	feed(&h, "X-Warren-Signature: two\r\n");
	assert_true(h.sig_bad);
	assert_string_equal(h.sig, "");
}

static void test_headers_status_resets(void **state)
{
	struct portal_headers h = { 0 };

	feed(&h, "HTTP/1.1 100 Continue\r\n");
	feed(&h, "ETag: \"old\"\r\n");
	feed(&h, "HTTP/1.1 200 OK\r\n");
	assert_string_equal(h.etag, "");
	feed(&h, "ETag: \"new\"\r\n");
	assert_string_equal(h.etag, "\"new\"");
	assert_false(h.etag_bad);
}

/* ---- backoff ---- */

static uint32_t last_upper;

static uint32_t rnd_zero(uint32_t upper)
{
	last_upper = upper;
	return 0;
}

static uint32_t rnd_max(uint32_t upper)
{
	last_upper = upper;
	return upper - 1;
}

static uint32_t rnd_mid(uint32_t upper)
{
	return upper / 2;
}

static void test_backoff_schedule(void **state)
{
	static const uint64_t base[] = { 1000, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000 };
	unsigned int f;

	for (f = 0; f < sizeof(base) / sizeof(base[0]); f++) {
		assert_int_equal(portal_backoff_ms(f, rnd_zero), base[f] * 3 / 4);
		assert_int_equal(last_upper, base[f] / 2 + 1);
		assert_int_equal(portal_backoff_ms(f, rnd_max), base[f] * 5 / 4);
		assert_int_equal(portal_backoff_ms(f, rnd_mid), base[f]);
	}
	/* No overflow however long the portal stays away. */
	assert_int_equal(portal_backoff_ms(100000, rnd_mid), 60000);
	assert_int_equal(portal_backoff_ms(~0u, rnd_max), 75000);
}

static void test_backoff_random(void **state)
{
	unsigned int i;

	assert_int_equal(sodium_init() < 0, 0);
	for (i = 0; i < 1000; i++) {
		uint64_t d = portal_backoff_ms(3, randombytes_uniform);

		assert_true(d >= 3000 && d <= 5000);
	}
}

/* ---- replay ---- */

static void test_serial_rule(void **state)
{
	assert_int_equal(portal_serial_check(false, 0, 0), 0);
	assert_int_equal(portal_serial_check(false, 9, 1), 0);
	assert_int_equal(portal_serial_check(true, 7, 8), 0);
	assert_int_equal(portal_serial_check(true, 7, 7), 0);
	assert_int_equal(portal_serial_check(true, 7, 6), -ESTALE);
	assert_int_equal(portal_serial_check(true, UINT64_MAX, 0), -ESTALE);
}

/* ---- files ---- */

struct fixture {
	char root[64];
	char dir[96];
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	char sig[PROFILE_SIG_B64_LEN];
};

static int fx_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(sodium_init() < 0, 0);
	strcpy(f->root, "/tmp/warren-portal-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->dir, sizeof(f->dir), "%s/portal", f->root);
	crypto_sign_keypair(f->pk, f->sk);
	profile_sign(f->sk, PROFILE_TEXT, strlen(PROFILE_TEXT), f->sig);
	*state = f;
	return 0;
}

static void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char p[512];

	if (!d) {
		unlink(path);
		return;
	}
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		rm_tree(p);
	}
	closedir(d);
	rmdir(path);
}

static int fx_teardown(void **state)
{
	struct fixture *f = *state;

	rm_tree(f->root);
	free(f);
	return 0;
}

static void put(const char *dir, const char *name, const char *text)
{
	assert_int_equal(portal_write_file(dir, name, text, strlen(text), 0600), 0);
}

static mode_t mode_of(const char *dir, const char *name)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(stat(p, &st), 0);
	return st.st_mode & 07777;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")))
			n++;
	closedir(d);
	return n;
}

static void test_cache_roundtrip(void **state)
{
	struct fixture *f = *state;
	char sig[PROFILE_SIG_B64_LEN], *text = NULL;
	size_t len = 0;

	assert_int_equal(portal_cache_read(f->dir, f->pk, &text, &len, sig), -ENOENT);
	assert_int_equal(portal_cache_write(f->dir, PROFILE_TEXT, strlen(PROFILE_TEXT), f->sig), 0);
	assert_int_equal(mode_of(f->dir, "profile.json"), 0600);
	assert_int_equal(mode_of(f->dir, "profile.sig"), 0600);
	/* No temporary file left behind. */
	assert_int_equal(count_entries(f->dir), 2);

	assert_int_equal(portal_cache_read(f->dir, f->pk, &text, &len, sig), 0);
	assert_int_equal(len, strlen(PROFILE_TEXT));
	assert_memory_equal(text, PROFILE_TEXT, len);
	assert_int_equal(text[len], '\0');
	assert_string_equal(sig, f->sig);
	free(text);

	/* Rewriting replaces both. */
	assert_int_equal(portal_cache_write(f->dir, PROFILE_TEXT, strlen(PROFILE_TEXT), f->sig), 0);
	assert_int_equal(count_entries(f->dir), 2);
}

static void test_cache_refused(void **state)
{
	struct fixture *f = *state;
	char sig[PROFILE_SIG_B64_LEN], bad[PROFILE_SIG_B64_LEN + 1], *text = NULL, *tampered;
	uint8_t pk2[crypto_sign_PUBLICKEYBYTES], sk2[crypto_sign_SECRETKEYBYTES];
	size_t len = 0;

	assert_int_equal(portal_cache_write(f->dir, PROFILE_TEXT, strlen(PROFILE_TEXT), f->sig), 0);

	/* A corrupted signature. */
	strcpy(bad, f->sig);
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	strcat(bad, "\n");
	put(f->dir, "profile.sig", bad);
	assert_int_equal(portal_cache_read(f->dir, f->pk, &text, &len, sig), -EBADMSG);
	assert_null(text);

	/* Not base64 at all, and too long to be a signature. */
	put(f->dir, "profile.sig", "not a signature\n");
	assert_int_equal(portal_cache_read(f->dir, f->pk, &text, &len, sig), -EBADMSG);
	memset(bad, 'A', sizeof(bad) - 1);
	bad[sizeof(bad) - 1] = '\0';
	put(f->dir, "profile.sig", bad);
	assert_int_equal(portal_cache_read(f->dir, f->pk, &text, &len, sig), -EBADMSG);

	/* The right signature, other bytes. */
	tampered = strdup(PROFILE_TEXT);
	tampered[strlen(tampered) - 5] = '0';
	assert_int_equal(portal_cache_write(f->dir, tampered, strlen(tampered), f->sig), 0);
	assert_int_equal(portal_cache_read(f->dir, f->pk, &text, &len, sig), -EBADMSG);
	free(tampered);

	/* Another key. */
	assert_int_equal(portal_cache_write(f->dir, PROFILE_TEXT, strlen(PROFILE_TEXT), f->sig), 0);
	crypto_sign_keypair(pk2, sk2);
	assert_int_equal(portal_cache_read(f->dir, pk2, &text, &len, sig), -EBADMSG);

	/* No signature file. */
	rm_tree(f->dir);
	mkdir(f->dir, 0700);
	put(f->dir, "profile.json", PROFILE_TEXT);
	assert_int_equal(portal_cache_read(f->dir, f->pk, &text, &len, sig), -ENOENT);
}

static void test_write_file_mode(void **state)
{
	struct fixture *f = *state;
	char *data = NULL;
	size_t len = 0;

	mkdir(f->dir, 0700);
	assert_int_equal(portal_write_file(f->dir, "url", "https://x", 9, 0644), 0);
	assert_int_equal(mode_of(f->dir, "url"), 0644);
	assert_int_equal(portal_write_file(f->dir, "credential", "c", 1, 0600), 0);
	assert_int_equal(mode_of(f->dir, "credential"), 0600);
	assert_int_equal(portal_read_file(f->dir, "url", 100, &data, &len), 0);
	assert_string_equal(data, "https://x");
	free(data);
	assert_int_equal(portal_read_file(f->dir, "url", 8, &data, &len), -EFBIG);
	assert_int_equal(portal_read_file(f->dir, "nothing", 8, &data, &len), -ENOENT);
	assert_int_equal(portal_write_file("/nonexistent-warren-dir", "x", "x", 1, 0600), -ENOENT);
}

static void make_credential(char out[PORTAL_CREDENTIAL_LEN + 1])
{
	uint8_t b[32];

	randombytes_buf(b, sizeof(b));
	sodium_bin2base64(out, PORTAL_CREDENTIAL_LEN + 1, b, sizeof(b),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void test_credential_and_key_files(void **state)
{
	struct fixture *f = *state;
	char cred[PORTAL_CREDENTIAL_LEN + 1], got[PORTAL_CREDENTIAL_LEN + 1], line[64];
	uint8_t pk[32];

	mkdir(f->dir, 0700);
	assert_int_equal(portal_read_credential(f->dir, got), -ENOENT);
	make_credential(cred);
	snprintf(line, sizeof(line), "%s\n", cred);
	put(f->dir, "credential", line);
	assert_int_equal(portal_read_credential(f->dir, got), 0);
	assert_string_equal(got, cred);
	put(f->dir, "credential", "short\n");
	assert_int_equal(portal_read_credential(f->dir, got), -EINVAL);

	assert_true(portal_credential_valid(cred, strlen(cred)));
	assert_false(portal_credential_valid(cred, strlen(cred) - 1));
	cred[5] = '+';
	assert_false(portal_credential_valid(cred, strlen(cred)));

	put(f->dir, "signing.pub", "  " PEER_KEY "\n");
	assert_int_equal(portal_read_signing_key(f->dir, pk), 0);
	put(f->dir, "signing.pub", "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK0=\n");
	assert_int_equal(portal_read_signing_key(f->dir, pk), -EINVAL);
}

/* ---- enrolment answer ---- */

#define SIGNING_KEY PEER_KEY
#define CRED "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"

static int enroll(const char *body, struct portal_enrollment *e, char *why, size_t whylen)
{
	return portal_enroll_parse(body, strlen(body), e, why, whylen);
}

static void test_enroll_valid(void **state)
{
	struct portal_enrollment e;
	char why[256];
	uint8_t want[32];

	assert_int_equal(enroll("{\"device\":\"gw1\",\"credential\":\"" CRED "\","
				"\"signing_key\":\"" SIGNING_KEY "\","
				"\"profile\":\"/api/v1/agent/profile\",\"future\":[1,2]}",
				&e, why, sizeof(why)), 0);
	assert_string_equal(e.device, "gw1");
	assert_string_equal(e.credential, CRED);
	assert_string_equal(e.signing_key_b64, SIGNING_KEY);
	assert_int_equal(key_from_base64(want, SIGNING_KEY), 0);
	assert_memory_equal(e.signing_key, want, 32);
	assert_string_equal(e.profile_path, "/api/v1/agent/profile");
	portal_enrollment_clear(&e);
	assert_string_equal(e.credential, "");

	assert_int_equal(enroll(" {\"signing_key\":\"" SIGNING_KEY "\",\"credential\":\"" CRED
				"\",\"device\":\"branch-7.example\"} ", &e, why, sizeof(why)), 0);
	assert_string_equal(e.profile_path, "");
}

static void test_enroll_invalid(void **state)
{
	static const struct {
		const char *body, *why;
	} cases[] = {
		{ "", "not JSON" },
		{ "{\"device\":\"gw1\"", "not JSON" },
		{ "[1]", "not a JSON object" },
		{ "{\"credential\":\"" CRED "\",\"signing_key\":\"" SIGNING_KEY "\"}", "device: missing" },
		{ "{\"device\":7,\"credential\":\"" CRED "\",\"signing_key\":\"" SIGNING_KEY "\"}",
		  "device: not a string" },
		{ "{\"device\":\"\",\"credential\":\"" CRED "\",\"signing_key\":\"" SIGNING_KEY "\"}",
		  "device: not" },
		{ "{\"device\":\"a b\",\"credential\":\"" CRED "\",\"signing_key\":\"" SIGNING_KEY "\"}",
		  "device: not" },
		{ "{\"device\":\"gw\\n1\",\"credential\":\"" CRED "\",\"signing_key\":\"" SIGNING_KEY "\"}",
		  "device: not" },
		{ "{\"device\":\"gw1\",\"signing_key\":\"" SIGNING_KEY "\"}", "credential: missing" },
		{ "{\"device\":\"gw1\",\"credential\":null,\"signing_key\":\"" SIGNING_KEY "\"}",
		  "credential: not a string" },
		{ "{\"device\":\"gw1\",\"credential\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh\","
		  "\"signing_key\":\"" SIGNING_KEY "\"}", "credential: not" },
		{ "{\"device\":\"gw1\",\"credential\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+\","
		  "\"signing_key\":\"" SIGNING_KEY "\"}", "credential: not" },
		{ "{\"device\":\"gw1\",\"credential\":\"" CRED "\"}", "signing_key: missing" },
		{ "{\"device\":\"gw1\",\"credential\":\"" CRED "\",\"signing_key\":\"AAAA\"}",
		  "signing_key: not" },
		{ "{\"device\":\"gw1\",\"credential\":\"" CRED "\","
		  "\"signing_key\":\"" SIGNING_KEY "x\"}", "signing_key: not" },
		{ "{\"device\":\"gw1\",\"credential\":\"" CRED "\",\"signing_key\":\"" SIGNING_KEY "\","
		  "\"profile\":7}", "profile: not a string" },
		{ "{\"device\":\"gw1\",\"credential\":\"" CRED "\",\"signing_key\":\"" SIGNING_KEY "\","
		  "\"profile\":\"api/v1\"}", "profile: not a path" },
	};
	struct portal_enrollment e;
	char why[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(why, 0, sizeof(why));
		if (enroll(cases[i].body, &e, why, sizeof(why)) != -EINVAL)
			fail_msg("case %zu accepted: %s", i, cases[i].body);
		if (strncmp(why, cases[i].why, strlen(cases[i].why)) != 0)
			fail_msg("case %zu: \"%s\", expected \"%s...\"", i, why, cases[i].why);
		/* Nothing half-filled is left for a caller that ignores the result. */
		assert_string_equal(e.credential, "");
	}
}

static void test_error_text(void **state)
{
	char out[16];

	portal_error_text("{\"error\":\"unauthorized\"}", 24, out, sizeof(out));
	assert_string_equal(out, "unauthorized");
	portal_error_text("{\"error\":\"a\\nb\"}", 16, out, sizeof(out));
	assert_string_equal(out, "a?b");
	portal_error_text("{\"error\":\"a very long error text\"}", 34, out, sizeof(out));
	assert_string_equal(out, "a very long err");
	portal_error_text("<html>", 6, out, sizeof(out));
	assert_string_equal(out, "");
	portal_error_text("{\"error\":7}", 11, out, sizeof(out));
	assert_string_equal(out, "");
	portal_error_text(NULL, 0, out, sizeof(out));
	assert_string_equal(out, "");
}

/* ---- the client's start ---- */

struct seen {
	int calls;
	uint64_t serial;
	char device[PROFILE_DEVICE_MAX + 1];
	size_t n_tunnels;
};

static void on_profile(const struct profile *p, void *data)
{
	struct seen *s = data;

	s->calls++;
	s->serial = p->serial;
	s->n_tunnels = p->n_tunnels;
	strcpy(s->device, p->device);
}

static void enrol_files(struct fixture *f, bool with_url)
{
	char cred[PORTAL_CREDENTIAL_LEN + 1], b64[KEY_B64_LEN];

	mkdir(f->dir, 0700);
	make_credential(cred);
	put(f->dir, "credential", cred);
	key_to_base64(b64, f->pk);
	put(f->dir, "signing.pub", b64);
	if (with_url)
		put(f->dir, "url", "https://127.0.0.1:9/\n");
}

static void test_client_not_enrolled(void **state)
{
	struct fixture *f = *state;
	struct portal_conf conf = { .enabled = true, .url = "https://127.0.0.1:9", .interval = 60 };
	struct portal_client *pc = NULL;
	struct seen s = { 0 };
	struct loop *l;

	assert_int_equal(loop_new(&l), 0);
	assert_int_equal(portal_client_new(&pc, l, f->root, &conf, 0, on_profile, &s), -ENOENT);
	assert_null(pc);
	/* No url in the configuration nor in the enrolment. */
	enrol_files(f, false);
	conf.url = NULL;
	assert_int_equal(portal_client_new(&pc, l, f->root, &conf, 0, on_profile, &s), -ENOENT);
	conf.url = "http://127.0.0.1:9";
	assert_int_equal(portal_client_new(&pc, l, f->root, &conf, 0, on_profile, &s), -EINVAL);
	assert_int_equal(s.calls, 0);
	loop_free(l);
}

static void test_client_starts_from_cache(void **state)
{
	struct fixture *f = *state;
	struct portal_conf conf = { .enabled = true, .interval = 1000 };
	struct portal_client *pc = NULL;
	struct seen s = { 0 };
	struct json j = { 0 };
	struct loop *l;
	char etag[PROFILE_ETAG_LEN], hex[33];

	enrol_files(f, true);
	assert_int_equal(portal_cache_write(f->dir, PROFILE_TEXT, strlen(PROFILE_TEXT), f->sig), 0);
	assert_int_equal(loop_new(&l), 0);
	assert_int_equal(portal_client_new(&pc, l, f->root, &conf, 0, on_profile, &s), 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.serial, 7);
	assert_int_equal(s.n_tunnels, 1);
	assert_string_equal(s.device, "gw1");

	{
		struct profile p;

		assert_int_equal(portal_client_profile(pc, &p), 0);
		assert_int_equal(p.serial, 7);
		assert_string_equal(p.tunnels[0].name, "hq");
		profile_clear(&p);
	}
	json_obj_begin(&j, NULL);
	portal_client_status(pc, &j);
	json_end(&j);
	profile_etag(PROFILE_TEXT, strlen(PROFILE_TEXT), etag);
	assert_non_null(strstr(json_text(&j), "\"url\":\"https://127.0.0.1:9\""));
	assert_non_null(strstr(json_text(&j), "\"state\":\"connecting\""));
	assert_non_null(strstr(json_text(&j), "\"serial\":7"));
	assert_non_null(strstr(json_text(&j), "\"interval\":300"));
	memcpy(hex, etag + 1, 32);
	hex[32] = '\0';
	assert_non_null(strstr(json_text(&j), hex));
	assert_null(strstr(json_text(&j), "Bearer"));
	json_clear(&j);
	portal_client_free(pc);
	loop_free(l);
}

static void test_client_refuses_bad_cache(void **state)
{
	struct fixture *f = *state;
	struct portal_conf conf = { .enabled = true, .url = "https://127.0.0.1:9", .interval = 5 };
	struct portal_client *pc = NULL;
	struct seen s = { 0 };
	struct loop *l;
	char bad[PROFILE_SIG_B64_LEN];

	enrol_files(f, false);
	strcpy(bad, f->sig);
	bad[3] = bad[3] == 'A' ? 'B' : 'A';
	assert_int_equal(portal_cache_write(f->dir, PROFILE_TEXT, strlen(PROFILE_TEXT), bad), 0);
	assert_int_equal(loop_new(&l), 0);
	assert_int_equal(portal_client_new(&pc, l, f->root, &conf, 0, on_profile, &s), 0);
	assert_int_equal(s.calls, 0);
	{
		struct profile p;

		assert_int_equal(portal_client_profile(pc, &p), -ENOENT);
	}
	portal_client_free(pc);
	portal_client_free(NULL);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_basic),
		cmocka_unit_test(test_headers_case),
		cmocka_unit_test(test_headers_other_names),
		cmocka_unit_test(test_headers_bounds),
		cmocka_unit_test(test_headers_not_terminated),
		cmocka_unit_test(test_headers_control_and_repeat),
		cmocka_unit_test(test_headers_status_resets),
		cmocka_unit_test(test_backoff_schedule),
		cmocka_unit_test(test_backoff_random),
		cmocka_unit_test(test_serial_rule),
		cmocka_unit_test_setup_teardown(test_cache_roundtrip, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cache_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_write_file_mode, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_credential_and_key_files, fx_setup, fx_teardown),
		cmocka_unit_test(test_enroll_valid),
		cmocka_unit_test(test_enroll_invalid),
		cmocka_unit_test(test_error_text),
		cmocka_unit_test_setup_teardown(test_client_not_enrolled, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_client_starts_from_cache, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_client_refuses_bad_cache, fx_setup, fx_teardown),
	};

	log_threshold = LOG_LEVEL_ERR;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
