/* `warren enroll URL TOKEN`: make this agent's WireGuard key, enrol it with a portal and
 * keep what the portal answers in state_dir/portal (docs/portal.md, "Agent side"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "curlapi.h"
#include "portal.h"
#include "../common/json.h"
#include "../common/util.h"
#include "../profiles/conf.h"

#define ENROLL_TIMEOUT_MS 30000L
#define TOKEN_MAX 512

struct answer {
	char *buf;               /* holds the credential: wiped */
	size_t len;
	bool too_big;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *data)
{
	struct answer *a = data;
	size_t n = size * nmemb;

	if (n > PORTAL_ANSWER_MAX - a->len) {
		a->too_big = true;
		return 0;
	}
	memcpy(a->buf + a->len, ptr, n);
	a->len += n;
	return n;
}

/* daemon.state_dir (and portal.ca_file) of the -c file. Only those matter here, so
 * problems elsewhere in the file are no reason to stop; an unreadable file named with
 * -c is. A missing default file means the defaults. 0, or an exit status. */
static int read_config(const char *path, bool given, char **state_dir, char **ca_file)
{
	struct diag d = { 0 };
	struct config *c = config_new();
	char *text = NULL;
	size_t len = 0;
	int r = conf_read_file(path, &text, &len);

	if (r < 0 && (given || r != -ENOENT)) {
		fprintf(stderr, "warren enroll: %s: %s\n", path, strerror(-r));
		config_free(c);
		return EXIT_USAGE;
	}
	if (r == 0 && conf_is_blank(text, len)) {
		fprintf(stderr, "warren enroll: %s: the file is empty\n", path);
		config_free(c);
		free(text);
		return EXIT_USAGE;
	}
	if (r == 0 && !conf_is_wgquick(text) && !memchr(text, '\0', len))
		conf_parse_libconfig(c, path, text, &d);
	*state_dir = xstrdup(c->daemon.state_dir);
	*ca_file = c->portal.ca_file ? xstrdup(c->portal.ca_file) : NULL;
	diag_clear(&d);
	config_free(c);
	if (text) {
		sodium_memzero(text, len);
		free(text);
	}
	return 0;
}

/* TOKEN "-": one line from standard input, which keeps it out of ps and shell history. */
static int read_token(char *tok, size_t size)
{
	size_t n;

	if (!fgets(tok, (int)size, stdin))
		return -EINVAL;
	n = strlen(tok);
	if (n && tok[n - 1] != '\n' && !feof(stdin))
		return -E2BIG;
	while (n && (tok[n - 1] == '\n' || tok[n - 1] == '\r'))
		tok[--n] = '\0';
	return 0;
}

static bool token_valid(const char *t)
{
	size_t i, n = strlen(t);

	if (n == 0 || n >= TOKEN_MAX)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)t[i] <= 0x20 || t[i] == 0x7f)
			return false;
	return true;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char *p = xstrdup(path), *s;
	int r = 0;

	for (s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST) {
				r = -errno;
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	return r;
}

static int usage(void)
{
	const struct command *cmd = cli_find("enroll");

	if (cmd)
		return cli_usage(cmd, EXIT_USAGE);
	fprintf(stderr, "usage: warren enroll URL TOKEN|- [--ca FILE] [-c FILE]\n");
	return EXIT_USAGE;
}

/* Options anywhere, as the usage shows them after URL and TOKEN. Not getopt: a token is
 * base64url and may start with "-", which must not read as an option; only the exact
 * option words (and --ca=, --config=) are options, and "--" ends them. 0 with pos[0]
 * (URL) and pos[1] (TOKEN) set, or an exit status. */
static int parse_args(int argc, char **argv, const char *pos[2], const char **conf,
		      const char **ca, bool *conf_given)
{
	bool options = true;
	int i, n = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], **dst = NULL;

		if (options && strcmp(a, "--") == 0) {
			options = false;
			continue;
		}
		if (options && (strcmp(a, "--ca") == 0 || strncmp(a, "--ca=", 5) == 0)) {
			dst = ca;
			a += 4;
		} else if (options && (strcmp(a, "--config") == 0 || strncmp(a, "--config=", 9) == 0)) {
			dst = conf;
			a += 8;
			*conf_given = true;
		} else if (options && strcmp(a, "-c") == 0) {
			dst = conf;
			a += 2;
			*conf_given = true;
		}
		if (dst) {
			if (*a == '=')
				a++;
			else if (!*a && ++i < argc)
				a = argv[i];
			else if (!*a) {
				fprintf(stderr, "warren enroll: %s needs a value\n", argv[i - 1]);
				return usage();
			}
			*dst = a;
			continue;
		}
		if (n == 2) {
			fprintf(stderr, "warren enroll: unexpected argument \"%s\"\n", a);
			return usage();
		}
		pos[n++] = a;
	}
	if (n < 2) {
		fprintf(stderr, "warren enroll: URL and TOKEN are required\n");
		return usage();
	}
	return 0;
}

/* POST the enrolment; 0 with the answer parsed into e, else the exit status (printed). */
static int post(const char *endpoint, const char *ca_file, const char *body, size_t body_len,
		struct portal_enrollment *e)
{
	char errbuf[CURL_ERROR_SIZE] = "", why[256], text[128];
	struct curl_slist *h = NULL;
	struct answer a = { 0 };
	long status = 0;
	CURLcode res;
	CURL *c;
	int r = EXIT_RUNTIME;

	const struct curl_api *cu = curlapi_load();

	if (!cu)
		return EXIT_RUNTIME;
	if (cu->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(c = cu->easy_init())) {
		fprintf(stderr, "warren enroll: libcurl does not initialise\n");
		return EXIT_RUNTIME;
	}
	a.buf = xmalloc(PORTAL_ANSWER_MAX + 1);
	h = cu->slist_append(h, "Content-Type: application/json");
	h = cu->slist_append(h, "Accept: application/json");
	if (cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
	    cu->easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https") != CURLE_OK) {
		fprintf(stderr, "warren enroll: this libcurl has no HTTPS\n");
		goto out;
	}
	cu->easy_setopt(c, CURLOPT_URL, endpoint);
	cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	cu->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	cu->easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (ca_file)
		cu->easy_setopt(c, CURLOPT_CAINFO, ca_file);
	cu->easy_setopt(c, CURLOPT_TIMEOUT_MS, ENROLL_TIMEOUT_MS);
	cu->easy_setopt(c, CURLOPT_HTTPHEADER, h);
	cu->easy_setopt(c, CURLOPT_POSTFIELDS, body);
	cu->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	cu->easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)PORTAL_ANSWER_MAX);
	cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	cu->easy_setopt(c, CURLOPT_WRITEDATA, &a);
	cu->easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	cu->easy_setopt(c, CURLOPT_USERAGENT, "warren/" WARREN_VERSION);

	res = cu->easy_perform(c);
	if (a.too_big || res == CURLE_FILESIZE_EXCEEDED) {
		fprintf(stderr, "warren enroll: %s: answer larger than %u bytes\n", endpoint,
			PORTAL_ANSWER_MAX);
		goto out;
	}
	if (res != CURLE_OK) {
		fprintf(stderr, "warren enroll: %s: %s\n", endpoint,
			errbuf[0] ? errbuf : cu->easy_strerror(res));
		goto out;
	}
	cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	a.buf[a.len] = '\0';
	if (status != 200) {
		portal_error_text(a.buf, a.len, text, sizeof(text));
		fprintf(stderr, "warren enroll: %s: %ld %s\n", endpoint, status,
			text[0] ? text : "(no error text)");
		goto out;
	}
	if (portal_enroll_parse(a.buf, a.len, e, why, sizeof(why)) < 0) {
		fprintf(stderr, "warren enroll: %s: bad answer: %s\n", endpoint, why);
		goto out;
	}
	r = 0;
out:
	sodium_memzero(a.buf, PORTAL_ANSWER_MAX + 1);
	free(a.buf);
	cu->slist_free_all(h);
	cu->easy_cleanup(c);
	cu->global_cleanup();
	return r;
}

int cmd_enroll(int argc, char **argv)
{
	const char *conf = DEFAULT_CONFIG, *ca_arg = NULL, *pos[2];
	char *state_dir = NULL, *ca_file = NULL, *dir = NULL, *url = NULL, *endpoint = NULL;
	char *cred_path = NULL, *key_path = NULL;
	char token[TOKEN_MAX + 2] = "", host[256], pub_b64[KEY_B64_LEN], line[PORTAL_CREDENTIAL_LEN + 2];
	uint8_t priv[KEY_LEN], pub[KEY_LEN];
	struct portal_enrollment e = { 0 };
	struct json j = { 0 };
	bool conf_given = false;
	struct stat st;
	size_t n;
	int r;

	r = parse_args(argc, argv, pos, &conf, &ca_arg, &conf_given);
	if (r)
		return r;
	url = xstrdup(pos[0]);
	n = strlen(url);
	while (n > 8 && url[n - 1] == '/')
		url[--n] = '\0';
	if (!portal_url_valid(url)) {
		fprintf(stderr, "warren enroll: \"%s\": not an https:// URL\n", pos[0]);
		free(url);
		return EXIT_USAGE;
	}
	if (strcmp(pos[1], "-") == 0) {
		r = read_token(token, sizeof(token));
		if (r < 0) {
			fprintf(stderr, "warren enroll: %s\n", r == -E2BIG ?
				"the token on standard input is too long" :
				"no token on standard input");
			r = EXIT_USAGE;
			goto out;
		}
	} else if (strlen(pos[1]) < sizeof(token)) {
		strcpy(token, pos[1]);
	}
	if (!token_valid(token)) {
		fprintf(stderr, "warren enroll: the token is empty, too long or holds blanks\n");
		r = EXIT_USAGE;
		goto out;
	}

	r = read_config(conf, conf_given, &state_dir, &ca_file);
	if (r)
		goto out;
	if (ca_arg) {
		free(ca_file);
		ca_file = xstrdup(ca_arg);
	}
	if (ca_file && access(ca_file, R_OK) < 0) {
		fprintf(stderr, "warren enroll: %s: %s\n", ca_file, strerror(errno));
		r = EXIT_USAGE;
		goto out;
	}
	dir = xasprintf("%s/%s", state_dir, PORTAL_SUBDIR);
	cred_path = xasprintf("%s/credential", dir);
	key_path = xasprintf("%s/wg.key", dir);
	if (lstat(cred_path, &st) == 0) {
		fprintf(stderr, "warren enroll: %s exists: this host is already enrolled; "
			"to enrol again, stop the agent and remove %s\n", cred_path, dir);
		r = EXIT_RUNTIME;
		goto out;
	}
	r = mkdir_p(dir, 0700);
	if (r < 0) {
		fprintf(stderr, "warren enroll: %s: %s\n", dir, strerror(-r));
		r = EXIT_RUNTIME;
		goto out;
	}

	/* The key first: without it, an answer from the portal would be of no use. A key
	 * left by an enrolment that failed is replaced: it was never registered. */
	key_generate_private(priv);
	if (key_public(pub, priv) < 0 || (r = key_write_file(key_path, priv, true)) < 0) {
		fprintf(stderr, "warren enroll: %s: %s\n", key_path, strerror(r < 0 ? -r : EINVAL));
		r = EXIT_RUNTIME;
		goto out;
	}
	key_to_base64(pub_b64, pub);

	json_obj_begin(&j, NULL);
	json_str(&j, "token", token);
	json_str(&j, "public_key", pub_b64);
	if (gethostname(host, sizeof(host) - 1) == 0) {
		host[sizeof(host) - 1] = '\0';
		/* Only a name the portal takes: it is a label for the log, never worth failing. */
		if (host[0] && strspn(host, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				      "0123456789.-_") == strlen(host) && strlen(host) <= 253)
			json_str(&j, "name", host);
	}
	json_end(&j);

	endpoint = xasprintf("%s/api/v1/agent/enroll", url);
	r = post(endpoint, ca_file, json_text(&j), json_len(&j), &e);
	if (r)
		goto out;

	/* The credential last: its presence is what says this host is enrolled. */
	r = portal_write_file(dir, "signing.pub", e.signing_key_b64, strlen(e.signing_key_b64), 0644);
	if (r == 0)
		r = portal_write_file(dir, "url", url, strlen(url), 0644);
	if (r == 0) {
		n = (size_t)snprintf(line, sizeof(line), "%s\n", e.credential);
		r = portal_write_file(dir, "credential", line, n, 0600);
		sodium_memzero(line, sizeof(line));
	}
	if (r < 0) {
		fprintf(stderr, "warren enroll: writing %s: %s (the portal enrolled this host; "
			"an administrator must issue a new token)\n", dir, strerror(-r));
		r = EXIT_RUNTIME;
		goto out;
	}
	printf("enrolled as %s with %s; signing key %s\n", e.device, url, e.signing_key_b64);
	r = EXIT_OK;
out:
	sodium_memzero(token, sizeof(token));
	sodium_memzero(priv, sizeof(priv));
	if (j.buf) {
		sodium_memzero(j.buf, j.cap);
		json_clear(&j);
	}
	portal_enrollment_clear(&e);
	free(endpoint);
	free(cred_path);
	free(key_path);
	free(dir);
	free(state_dir);
	free(ca_file);
	free(url);
	return r;
}
