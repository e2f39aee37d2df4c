/* `warren status` and `warren reload`: the CLI side of the control socket. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "ctl.h"
#include "../common/json.h"
#include "../common/util.h"
#include "../profiles/conf.h"

/* A request can take the daemon a while (a reload applies the new configuration). */
#define CLIENT_TIMEOUT_MS 30000

/* Which daemon a command is for: the server's commands go to the server, status and
 * reload to whichever runs (both, on a host that runs both). */
enum want { WANT_ANY, WANT_SERVER };

struct target {
	char *socket[2];        /* the agent's first; socket[1] only for WANT_ANY */
	size_t n;
	char *config_error;     /* why the config did not parse cleanly, as a hint */
};

static void target_add(struct target *t, const char *path)
{
	t->socket[t->n++] = xstrdup(path);
}

/* The sockets: -s, else those of the roles the -c file runs, else the defaults. Only the
 * daemon and server sections matter here, so problems elsewhere in the file are no
 * reason to stop; an unreadable file is. 0, or an exit status. */
static int resolve_target(const char *sock, const char *conf, enum want want, struct target *t)
{
	struct diag d = { 0 };
	struct config *c;
	char *text = NULL;
	size_t len = 0;
	int r;

	memset(t, 0, sizeof(*t));
	if (sock) {
		target_add(t, sock);
		return 0;
	}
	if (!conf) {
		if (want == WANT_ANY)
			target_add(t, SOCKET_AGENT);
		target_add(t, SOCKET_SERVER);
		return 0;
	}
	r = conf_read_file(conf, &text, &len);
	if (r < 0) {
		fprintf(stderr, "warren: %s: %s\n", conf, strerror(-r));
		return EXIT_USAGE;
	}
	if (conf_is_blank(text, len)) {
		fprintf(stderr, "warren: %s: the file is empty\n", conf);
		free(text);
		return EXIT_USAGE;
	}
	c = config_new();
	if (!conf_is_wgquick(text) && !memchr(text, '\0', len))
		conf_parse_libconfig(c, conf, text, &d);
	if (want == WANT_ANY && (config_has_agent(c) || !c->server.enabled))
		target_add(t, config_socket(c, ROLE_AGENT));
	if (want == WANT_SERVER || c->server.enabled)
		target_add(t, config_socket(c, ROLE_SERVER));
	if (d.errors)
		t->config_error = xstrdup(diag_first_error(&d));
	diag_clear(&d);
	config_free(c);
	sodium_memzero(text, len);
	free(text);
	return 0;
}

static void target_clear(struct target *t)
{
	free(t->socket[0]);
	free(t->socket[1]);
	free(t->config_error);
}

static void call_failed(const struct target *t, const char *socket, int r)
{
	if (r == -EPROTO || r == -EFBIG)
		fprintf(stderr, "warren: the daemon at %s: %s\n", socket,
			r == -EPROTO ? "reply outside the control protocol" : "reply too large");
	else
		fprintf(stderr, "warren: cannot reach the daemon at %s: %s%s\n", socket,
			strerror(-r), r == -ENOENT || r == -ECONNREFUSED ?
			" (is warren running?)" : "");
	if (t->config_error)
		fprintf(stderr, "warren: note: the socket path came from a configuration with errors: %s\n",
			t->config_error);
}

/* Send one request to socket i; 0 with *ok and reply filled, else prints why and gives
 * exit 1. */
static int call(const struct target *t, size_t i, int argc, char **argv, bool *ok,
		struct json *reply)
{
	int r = ctl_call(t->socket[i], argc, argv, CLIENT_TIMEOUT_MS, ok, reply);

	if (r == 0)
		return 0;
	call_failed(t, t->socket[i], r);
	return EXIT_RUNTIME;
}

/* Which of t's daemons run: reachable[i]. With two candidates one that is not there is
 * no error; with none there, the first one's absence is. 0 or an exit status. */
static int probe_targets(const struct target *t, bool reachable[2])
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++) {
		reachable[i] = access(t->socket[i], F_OK) == 0;
		n += reachable[i];
	}
	if (n || t->n == 1) {
		if (t->n == 1)
			reachable[0] = true;
		return 0;
	}
	fprintf(stderr, "warren: cannot reach the daemon at %s or %s: %s (is warren running?)\n",
		t->socket[0], t->socket[1], strerror(ENOENT));
	return EXIT_RUNTIME;
}

/* Parse the common options; 0 and *argi set, or an exit status. */
static int parse_opts(const char *name, int argc, char **argv, bool allow_json, bool *json,
		      struct target *t)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *conf = NULL;
	int o;

	while ((o = getopt_long(argc, argv, allow_json ? "+js:c:" : "+s:c:", opts, NULL)) != -1) {
		switch (o) {
		case 'j':
			if (!allow_json)
				return cli_usage(cli_find(name), EXIT_USAGE);
			*json = true;
			break;
		case 's':
			sock = optarg;
			break;
		case 'c':
			conf = optarg;
			break;
		default:
			return cli_usage(cli_find(name), EXIT_USAGE);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "warren %s: unexpected argument \"%s\"\n", name, argv[optind]);
		return cli_usage(cli_find(name), EXIT_USAGE);
	}
	return resolve_target(sock, conf, WANT_ANY, t);
}

/* The daemon's message, one line each, as it wrote them. */
static void print_error(const struct json *reply)
{
	fputs(json_text(reply), stderr);
}

int ctl_client_call(const char *sock, const char *conf, int argc, char **argv, bool *ok,
		    struct json *reply)
{
	struct target t;
	int r = resolve_target(sock, conf, WANT_SERVER, &t);

	if (r == 0)
		r = call(&t, 0, argc, argv, ok, reply);
	target_clear(&t);
	return r;
}

/* One daemon's status, as JSON or text. 0 or an exit status. */
static int status_one(const struct target *t, size_t i, bool json)
{
	char *req[] = { "status", NULL };
	struct json reply = { 0 };
	struct json_value *doc = NULL;
	const char *err = NULL;
	size_t off = 0, len;
	bool ok;
	int r;

	r = call(t, i, 1, req, &ok, &reply);
	if (r)
		goto out;
	if (!ok) {
		print_error(&reply);
		r = EXIT_RUNTIME;
		goto out;
	}
	if (json_parse(json_text(&reply), json_len(&reply), &doc, &err, &off) < 0 ||
	    doc->type != JSON_OBJECT) {
		fprintf(stderr, "warren: the daemon at %s: bad status document: %s at byte %zu\n",
			t->socket[i], err ? err : "not an object", off);
		r = EXIT_RUNTIME;
		goto out;
	}
	if (json) {
		/* Exactly as received, one newline-terminated document. */
		len = json_len(&reply);
		while (len > 0 && json_text(&reply)[len - 1] == '\n')
			len--;
		fwrite(json_text(&reply), 1, len, stdout);
		fputc('\n', stdout);
	} else {
		ctl_render_status(stdout, doc, time(NULL));
	}
out:
	json_value_free(doc);
	json_clear(&reply);
	return r;
}

int cmd_status(int argc, char **argv)
{
	bool json = false, reachable[2] = { false, false }, first = true;
	struct target t;
	size_t i;
	int r, e;

	r = parse_opts("status", argc, argv, true, &json, &t);
	if (r)
		return r;
	r = probe_targets(&t, reachable);
	if (r)
		goto out;
	/* A host running both roles shows both: a blank line apart, or a document each. */
	for (i = 0; i < t.n; i++) {
		if (!reachable[i])
			continue;
		if (!first && !json)
			fputc('\n', stdout);
		first = false;
		e = status_one(&t, i, json);
		r = r ? r : e;
	}
	if (r == 0 && fflush(stdout) != 0)
		r = EXIT_RUNTIME;
out:
	target_clear(&t);
	return r;
}

int cmd_reload(int argc, char **argv)
{
	char *req[] = { "reload", NULL };
	bool reachable[2] = { false, false }, ok;
	struct json reply = { 0 };
	struct target t;
	size_t i;
	int r, e;

	r = parse_opts("reload", argc, argv, false, NULL, &t);
	if (r)
		return r;
	/* reachable stays all false when neither runs. */
	r = probe_targets(&t, reachable);
	for (i = 0; i < t.n; i++) {
		if (!reachable[i])
			continue;
		e = call(&t, i, 1, req, &ok, &reply);
		if (e == 0 && !ok) {
			print_error(&reply);
			e = EXIT_RUNTIME;
		}
		json_clear(&reply);
		r = r ? r : e;
	}
	target_clear(&t);
	return r;
}
