/* The arguments of the server's administration requests: parsed and checked the same way
 * by the CLI (which refuses bad input itself) and by the daemon (which trusts no request). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adminargs.h"
#include "values.h"

/* A value quoted in a message: at most 40 bytes, anything unprintable as '?', so the
 * message stays one line. */
static const char *clean(char out[44], const char *s)
{
	size_t i;

	for (i = 0; s[i] && i < 40; i++)
		out[i] = (unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f ? '?' : s[i];
	out[i] = '\0';
	return out;
}

/* --expires and --quota, shared by add and set. "never" and "none" clear them (set). */
int adminargs_user(const char *verb, int argc, char **argv, bool allow_clear,
			   bool allow_key, struct user_opts *o, char *why, size_t whylen)
{
	static const struct option opts[] = {
		{ "expires", required_argument, NULL, 'e' },
		{ "quota", required_argument, NULL, 'q' },
		{ "reset-day", required_argument, NULL, 'd' },
		{ "public-key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	char *end, q[44];
	long v;
	int c;

	memset(o, 0, sizeof(*o));
	/* NAME comes first and options after it: let getopt move them (optind 0 restarts it). */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			o->expires_set = true;
			if (allow_clear && strcmp(optarg, "never") == 0)
				o->expires = 0;
			else if (values_parse_expiry(optarg, time(NULL), &o->expires, why, whylen) < 0)
				return -EINVAL;
			break;
		case 'q':
			o->quota_set = true;
			if (allow_clear && strcmp(optarg, "none") == 0)
				o->quota = 0;
			else if (values_parse_size(optarg, &o->quota, &o->monthly, why, whylen) < 0)
				return -EINVAL;
			break;
		case 'd':
			v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 1 || v > 31) {
				snprintf(why, whylen, "--reset-day \"%s\": not a day of the month (1..31)",
					 clean(q, optarg));
				return -EINVAL;
			}
			o->reset_day_set = true;
			o->reset_day = (int)v;
			break;
		case 'k':
			if (!allow_key)
				goto usage;
			if (key_from_base64(o->key, optarg) < 0) {
				snprintf(why, whylen, "--public-key \"%s\": not a valid key", clean(q, optarg));
				return -EINVAL;
			}
			o->key_set = true;
			break;
		default:
			goto usage;
		}
	}
	if (optind == argc - 1)
		return values_user_name_ok(argv[optind], why, whylen) ? 0 : -EINVAL;
usage:
	if (strcmp(verb, "add") == 0)
		snprintf(why, whylen, "usage: user add NAME [--expires DATE|DURATION] "
			 "[--quota SIZE[/month]] [--reset-day DAY] [--public-key KEY]");
	else if (strcmp(verb, "set") == 0)
		snprintf(why, whylen, "usage: user set NAME [--expires DATE|DURATION|never] "
			 "[--quota SIZE[/month]|none] [--reset-day DAY]");
	else
		snprintf(why, whylen, "usage: user rotate NAME [--public-key KEY]");
	return -EINVAL;
}

/* argv[0] is "session". */
int adminargs_session(int argc, char **argv, struct session_opts *so, char *why,
			      size_t whylen)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "since", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	memset(so, 0, sizeof(*so));
	if (argc < 2 || strcmp(argv[1], "list") != 0)
		goto usage;
	optind = 0;
	opterr = 0;
	while ((o = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		switch (o) {
		case 'u':
			if (!values_user_name_ok(optarg, why, whylen))
				return -EINVAL;
			so->user = optarg;
			break;
		case 's':
			if (values_parse_date(optarg, &so->since, why, whylen) < 0)
				return -EINVAL;
			break;
		case 'j':
			so->json = true;
			break;
		default:
			goto usage;
		}
	}
	if (optind == argc - 1)
		return 0;
usage:
	snprintf(why, whylen, "usage: session list [--user NAME] [--since DATE] [--json]");
	return -EINVAL;
}

#define DEVICE_USAGE "usage: device add NAME --user USER [--expires DURATION] | list [--json] | delete NAME"

int adminargs_device(int argc, char **argv, struct device_opts *o, char *why, size_t whylen)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "expires", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *verb = argc > 1 ? argv[1] : "";
	int c;

	memset(o, 0, sizeof(*o));
	if (strcmp(verb, "list") == 0) {
		o->json = argc == 3 && strcmp(argv[2], "--json") == 0;
		if (argc == 2 || o->json)
			return 0;
		goto usage;
	}
	if (strcmp(verb, "delete") == 0) {
		if (argc != 3)
			goto usage;
		o->name = argv[2];
		return values_name_ok("device name", o->name, why, whylen) ? 0 : -EINVAL;
	}
	if (strcmp(verb, "add") != 0)
		goto usage;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			if (!values_user_name_ok(optarg, why, whylen))
				return -EINVAL;
			o->user = optarg;
			break;
		case 'e':
			if (values_parse_duration(optarg, &o->expires, why, whylen) < 0)
				return -EINVAL;
			/* An enrolment token is for handing over soon, not for keeping. */
			if (o->expires > 365 * 86400) {
				snprintf(why, whylen, "--expires: at most 365d for an enrolment token");
				return -EINVAL;
			}
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 2 || !o->user)
		goto usage;
	o->name = argv[optind + 1];
	/* Device names follow the rules of user names. */
	return values_name_ok("device name", o->name, why, whylen) ? 0 : -EINVAL;
usage:
	snprintf(why, whylen, DEVICE_USAGE);
	return -EINVAL;
}

int admin_check(int argc, char **argv, char *why, size_t whylen)
{
	struct user_opts uo;
	struct session_opts so;
	const char *verb = argc > 1 ? argv[1] : "";
	bool json = argc == 4 && strcmp(argv[3], "--json") == 0;

	if (argc < 1)
		goto usage;
	if (strcmp(argv[0], "session") == 0)
		return adminargs_session(argc, argv, &so, why, whylen);
	if (strcmp(argv[0], "device") == 0)
		return adminargs_device(argc, argv, &(struct device_opts){ 0 }, why, whylen);
	if (strcmp(argv[0], "token") == 0) {
		if (argc == 2 && strcmp(verb, "list") == 0)
			return 0;
		if (argc == 3 && (strcmp(verb, "add") == 0 || strcmp(verb, "delete") == 0))
			return values_name_ok("token name", argv[2], why, whylen) ? 0 : -EINVAL;
		snprintf(why, whylen, "usage: token add NAME | list | delete NAME");
		return -EINVAL;
	}
	if (strcmp(argv[0], "user") != 0)
		goto usage;
	if (strcmp(verb, "add") == 0 || strcmp(verb, "set") == 0 || strcmp(verb, "rotate") == 0) {
		int r = adminargs_user(verb, argc - 1, argv + 1, strcmp(verb, "set") == 0,
					strcmp(verb, "set") != 0, &uo, why, whylen);

		if (r == 0 && strcmp(verb, "set") == 0 && !uo.expires_set && !uo.quota_set &&
		    !uo.reset_day_set) {
			snprintf(why, whylen, "user set: nothing to change (--expires, --quota, --reset-day)");
			return -EINVAL;
		}
		if (r == 0 && strcmp(verb, "rotate") == 0 &&
		    (uo.expires_set || uo.quota_set || uo.reset_day_set)) {
			snprintf(why, whylen, "usage: user rotate NAME [--public-key KEY]");
			return -EINVAL;
		}
		return r;
	}
	if (strcmp(verb, "list") == 0) {
		if (argc == 2 || (argc == 3 && strcmp(argv[2], "--json") == 0))
			return 0;
		snprintf(why, whylen, "usage: user list [--json]");
		return -EINVAL;
	}
	if (strcmp(verb, "show") == 0 || strcmp(verb, "config") == 0 || strcmp(verb, "qr") == 0 ||
	    strcmp(verb, "disable") == 0 || strcmp(verb, "enable") == 0 ||
	    strcmp(verb, "delete") == 0) {
		if (argc != 3 && !(json && strcmp(verb, "show") == 0)) {
			snprintf(why, whylen, "usage: user %s NAME%s", verb,
				 strcmp(verb, "show") == 0 ? " [--json]" : "");
			return -EINVAL;
		}
		return values_user_name_ok(argv[2], why, whylen) ? 0 : -EINVAL;
	}
usage:
	snprintf(why, whylen, ADMIN_USER_USAGE);
	return -EINVAL;
}
