/* `warren status` and `warren reload`: the CLI side of the control socket. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli.h"
#include "ctl.h"
#include "../common/json.h"
#include "../common/util.h"
#include "../profiles/conf.h"

/* A request can take the daemon a while (a reload applies the new configuration). */
#define CLIENT_TIMEOUT_MS 30000

struct target {
	char *socket;
	char *config_error;     /* why the config did not parse cleanly, as a hint */
};

/* The socket: -s, else daemon.socket of the -c file, else the default. Only the
 * daemon section matters here, so problems elsewhere in the file are no reason to stop;
 * an unreadable file is. 0, or an exit status. */
static int resolve_target(const char *sock, const char *conf, struct target *t)
{
	struct diag d = { 0 };
	struct config *c;
	char *text = NULL;
	size_t len = 0;
	int r;

	memset(t, 0, sizeof(*t));
	if (sock) {
		t->socket = xstrdup(sock);
		return 0;
	}
	if (!conf) {
		t->socket = xstrdup(CTL_DEFAULT_SOCKET);
		return 0;
	}
	r = conf_read_file(conf, &text, &len);
	if (r < 0) {
		fprintf(stderr, "warren: %s: %s\n", conf, strerror(-r));
		return EXIT_USAGE;
	}
	c = config_new();
	if (!conf_is_wgquick(text) && !memchr(text, '\0', len))
		conf_parse_libconfig(c, conf, text, &d);
	t->socket = xstrdup(c->daemon.socket);
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
	free(t->socket);
	free(t->config_error);
}

/* Send one request; 0 with *ok and reply filled, else prints why and gives exit 1. */
static int call(const struct target *t, int argc, char **argv, bool *ok, struct json *reply)
{
	int r = ctl_call(t->socket, argc, argv, CLIENT_TIMEOUT_MS, ok, reply);

	if (r == 0)
		return 0;
	if (r == -EPROTO || r == -EFBIG)
		fprintf(stderr, "warren: the daemon at %s: %s\n", t->socket,
			r == -EPROTO ? "reply outside the control protocol" : "reply too large");
	else
		fprintf(stderr, "warren: cannot reach the daemon at %s: %s%s\n", t->socket,
			strerror(-r), r == -ENOENT || r == -ECONNREFUSED ?
			" (is warren running?)" : "");
	if (t->config_error)
		fprintf(stderr, "warren: note: the socket path came from a configuration with errors: %s\n",
			t->config_error);
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
	return resolve_target(sock, conf, t);
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
	int r = resolve_target(sock, conf, &t);

	if (r == 0)
		r = call(&t, argc, argv, ok, reply);
	target_clear(&t);
	return r;
}

int cmd_status(int argc, char **argv)
{
	char *req[] = { "status", NULL };
	struct json reply = { 0 };
	struct json_value *doc = NULL;
	struct target t;
	bool json = false, ok;
	const char *err = NULL;
	size_t off = 0, len;
	int r;

	r = parse_opts("status", argc, argv, true, &json, &t);
	if (r)
		return r;
	r = call(&t, 1, req, &ok, &reply);
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
			t.socket, err ? err : "not an object", off);
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
	r = fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
out:
	json_value_free(doc);
	json_clear(&reply);
	target_clear(&t);
	return r;
}

int cmd_reload(int argc, char **argv)
{
	char *req[] = { "reload", NULL };
	struct json reply = { 0 };
	struct target t;
	bool ok;
	int r;

	r = parse_opts("reload", argc, argv, false, NULL, &t);
	if (r)
		return r;
	r = call(&t, 1, req, &ok, &reply);
	if (r == 0 && !ok) {
		print_error(&reply);
		r = EXIT_RUNTIME;
	}
	json_clear(&reply);
	target_clear(&t);
	return r;
}
