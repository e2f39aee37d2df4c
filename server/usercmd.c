/* `warren user ...` and `warren session ...`: administration of the running server over
 * its socket; QR codes are drawn here, from the configuration the server sends. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "qr.h"
#include "../agent/cli.h"
#include "../common/json.h"

/* Everything but -s/-c goes to the server as is; its reply is printed. */
int cmd_session(int argc, char **argv)
{
	const char *sock = NULL, *conf = NULL;
	char *args[16];
	struct json reply = { 0 };
	int n = 0, i, r;
	bool ok = false;

	for (i = 0; i < argc; i++) {
		if ((strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "-c") == 0) && i + 1 < argc) {
			if (argv[i][1] == 's')
				sock = argv[i + 1];
			else
				conf = argv[i + 1];
			i++;
			continue;
		}
		if (n == (int)(sizeof(args) / sizeof(args[0])) - 1)
			return cli_usage(cli_find("session"), EXIT_USAGE);
		args[n++] = argv[i];
	}
	args[n] = NULL;
	if (n < 2 || strcmp(args[1], "list") != 0)
		return cli_usage(cli_find("session"), EXIT_USAGE);
	r = ctl_client_call(sock, conf, n, args, &ok, &reply);
	if (r == 0) {
		fputs(json_text(&reply), ok ? stdout : stderr);
		r = ok ? EXIT_OK : EXIT_RUNTIME;
	}
	json_clear(&reply);
	return r;
}

int cmd_user(int argc, char **argv)
{
	const char *sock = NULL, *conf = NULL, *png = NULL, *svg = NULL;
	char *args[16];
	struct json reply = { 0 };
	int n = 0, i, r;
	bool ok = false, qr;

	/* -s/-c are ours; --png/--svg belong to qr; everything else goes to the server. */
	for (i = 0; i < argc && n < (int)(sizeof(args) / sizeof(args[0])) - 1; i++) {
		if ((strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "-c") == 0 ||
		     strcmp(argv[i], "--png") == 0 || strcmp(argv[i], "--svg") == 0) && i + 1 < argc) {
			const char **slot = argv[i][1] == 's' ? &sock : argv[i][1] == 'c' ? &conf :
					    argv[i][2] == 'p' ? &png : &svg;

			*slot = argv[++i];
			continue;
		}
		args[n++] = argv[i];
	}
	args[n] = NULL;
	if (n < 2)
		return cli_usage(cli_find("user"), EXIT_USAGE);
	qr = strcmp(args[1], "qr") == 0;
	if (qr) {
		if (n != 3)
			return cli_usage(cli_find("user"), EXIT_USAGE);
		args[1] = "config";
	}
	r = ctl_client_call(sock, conf, n, args, &ok, &reply);
	if (r)
		goto out;
	if (!ok) {
		fputs(json_text(&reply), stderr);
		r = EXIT_RUNTIME;
		goto out;
	}
	if (!qr) {
		fputs(json_text(&reply), stdout);
		goto out;
	}
	if (png)
		r = qr_png(json_text(&reply), png);
	else if (svg) {
		FILE *f = fopen(svg, "w");

		r = f ? qr_svg(json_text(&reply), f) : -errno;
		if (f && fclose(f) != 0 && r == 0)
			r = -errno;
	} else {
		r = qr_utf8(json_text(&reply), stdout);
	}
	if (r < 0) {
		fprintf(stderr, "warren user qr: %s: %s\n", png ? png : svg ? svg : "stdout", strerror(-r));
		r = EXIT_RUNTIME;
	}
out:
	json_clear(&reply);
	return r;
}
