/* `warren user|session|device|token ...`: administration of the running server over
 * its socket. Arguments are checked here first (bad input: exit 2, nothing sent); QR codes
 * are drawn here, from the configuration the server sends. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qr.h"
#include "adminargs.h"
#include "../agent/cli.h"
#include "../common/json.h"

#define MAX_ARGS 16

struct admin_args {
	const char *sock, *conf, *png, *svg;
	char *v[MAX_ARGS + 1];
	int n;
};

/* -s/-c are ours, --png/--svg belong to qr; the rest goes to the server, argv[0] (the
 * noun) included. 0, or an exit status after saying why. */
static int split_args(const char *noun, int argc, char **argv, struct admin_args *a)
{
	char why[200];
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < argc; i++) {
		const char **slot = strcmp(argv[i], "-s") == 0 ? &a->sock :
				    strcmp(argv[i], "-c") == 0 ? &a->conf :
				    strcmp(argv[i], "--png") == 0 ? &a->png :
				    strcmp(argv[i], "--svg") == 0 ? &a->svg : NULL;

		if (slot && i + 1 < argc) {
			*slot = argv[++i];
			continue;
		}
		if (a->n == MAX_ARGS) {
			fprintf(stderr, "warren %s: too many arguments\n", noun);
			return EXIT_USAGE;
		}
		a->v[a->n++] = argv[i];
	}
	a->v[a->n] = NULL;
	if ((a->png || a->svg) && (a->n < 2 || strcmp(a->v[1], "qr") != 0 || (a->png && a->svg))) {
		fprintf(stderr, "warren %s: --png and --svg go with qr, one of them\n", noun);
		return EXIT_USAGE;
	}
	if (a->n < 2)
		return cli_usage(cli_find(noun), EXIT_USAGE);
	if (admin_check(a->n, a->v, why, sizeof(why)) < 0) {
		fprintf(stderr, "warren %s: %s\n", noun, why);
		return EXIT_USAGE;
	}
	return 0;
}

/* The daemon's reply: to stdout when it agreed, else to stderr with exit 1. */
static int call(struct admin_args *a, struct json *reply, bool print)
{
	bool ok = false;
	int r = ctl_client_call(a->sock, a->conf, a->n, a->v, &ok, reply);

	if (r)
		return r;
	if (!ok) {
		fputs(json_text(reply), stderr);
		return EXIT_RUNTIME;
	}
	if (print)
		fputs(json_text(reply), stdout);
	return EXIT_OK;
}

static int forward(const char *noun, int argc, char **argv)
{
	struct admin_args a;
	struct json reply = { 0 };
	int r = split_args(noun, argc, argv, &a);

	if (r == 0)
		r = call(&a, &reply, true);
	json_clear(&reply);
	return r;
}

int cmd_session(int argc, char **argv)
{
	return forward("session", argc, argv);
}

int cmd_device(int argc, char **argv)
{
	return forward("device", argc, argv);
}

int cmd_token(int argc, char **argv)
{
	return forward("token", argc, argv);
}

/* The SVG holds the user's private key: private from its first byte. */
static int write_svg(const char *text, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	FILE *f;
	int r;

	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600) < 0 || !(f = fdopen(fd, "w"))) {
		r = -errno;
		close(fd);
		return r;
	}
	r = qr_svg(text, f);
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

int cmd_user(int argc, char **argv)
{
	struct admin_args a;
	struct json reply = { 0 };
	bool qr;
	int r;

	r = split_args("user", argc, argv, &a);
	if (r)
		return r;
	qr = strcmp(a.v[1], "qr") == 0;
	if (qr)
		a.v[1] = "config";
	r = call(&a, &reply, !qr);
	if (r || !qr)
		goto out;
	if (a.png)
		r = qr_png(json_text(&reply), a.png);
	else if (a.svg)
		r = write_svg(json_text(&reply), a.svg);
	else
		r = qr_utf8(json_text(&reply), stdout);
	if (r < 0) {
		fprintf(stderr, "warren user qr: %s: %s\n", a.png ? a.png : a.svg ? a.svg : "stdout",
			strerror(-r));
		r = EXIT_RUNTIME;
	}
out:
	json_clear(&reply);
	return r;
}
