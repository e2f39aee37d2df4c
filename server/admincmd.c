/* `warren user|device|session|token|group|announce|service|voucher|dns ...`: the command line as a thin caller of the
 * operations table. Arguments become the operation's JSON request, checked here by the
 * same parser the server runs (bad input: exit 2, nothing sent), then sent over the
 * control socket; the JSON answer is printed as text (or as JSON with --json). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "qr.h"
#include "values.h"
#include "api/api.h"
#include "../agent/cli.h"
#include "../common/json.h"
#include "../common/util.h"

#define MAX_ARGS 24
#define PAGE 500

/* One option: --flag becomes member field (a value, or true for a bare flag; a bare
 * flag's field "NAME=JSON" gives NAME that value instead, "group=null"). A field that is
 * a list takes each use of its option as one more item. */
struct opt {
	const char *flag;
	const char *field;
	bool bare;                     /* takes no value */
};

enum render {
	R_NONE, R_USER_ADDED, R_USER_LIST, R_JSON, R_TEXT, R_QR, R_USER_SET, R_ROTATED,
	R_SESSIONS, R_DEVICE_ADDED, R_DEVICES, R_TOKEN_ADDED, R_TOKENS, R_PASSWORD, R_ADMINS,
	R_SETTINGS, R_GROUPS, R_IMPORT, R_CODES, R_VOUCHERS, R_VOUCHER,
	R_ANN_ADDED, R_ANNOUNCEMENTS, R_ANN_SHOW, R_ANN_LINE,
	R_SERVICES, R_SVC_SHOW, R_SVC_LINE, R_GROUP_SHOW,
	R_DNS_RECORD, R_DNS_RECORDS, R_DNS_RULE, R_DNS_RULES, R_DNS_LIST, R_DNS_LISTS,
	R_DNS_REFRESH, R_DNS_LOG, R_DNS_STATS,
};

struct verb {
	const char *noun, *verb, *op;
	const char *positional;        /* the fields the words go to, in order ("name type
	                                  value"); NULL: none */
	const struct opt *opts;
	enum render render;
	const char *usage;
};

static const struct opt user_add_opts[] = {
	{ "--expires", "expires", false }, { "--quota", "quota", false },
	{ "--reset-day", "reset_day", false }, { "--public-key", "public_key", false },
	{ "--device", "device", false }, { "--no-device", "no_device", true },
	{ "--group", "group", false }, { "--email", "email", false },
	{ "--rate", "rate", false }, { NULL, NULL, false },
};
static const struct opt user_set_opts[] = {
	{ "--expires", "expires", false }, { "--quota", "quota", false },
	{ "--reset-day", "reset_day", false }, { "--group", "group", false },
	{ "--email", "email", false }, { "--rate", "rate", false },
	{ "--rate-inherit", "rate=null", true }, { NULL, NULL, false },
};
/* A group's policy; --inherit FIELD (group set) sets FIELD to null: the file's again. */
#define GROUP_POLICY_OPTS \
	{ "--destinations", "destinations", false }, { "--schedule", "schedule", false }, \
	{ "--sources", "sources", false }, { "--rate", "rate", false }, \
	{ "--isolate", "isolate=true", true }, { "--no-isolate", "isolate=false", true }, \
	{ "--portal-login", "portal_login=true", true }, \
	{ "--no-portal-login", "portal_login=false", true }, \
	{ "--idle", "idle", false }, { "--max-maps", "max_maps", false }
#define INHERIT "--inherit"
static const struct opt group_add_opts[] = { GROUP_POLICY_OPTS, { NULL, NULL, false } };
static const struct opt group_set_opts[] = {
	GROUP_POLICY_OPTS, { INHERIT, "", false }, { NULL, NULL, false },
};
static const struct opt user_list_opts[] = {
	{ "--state", "state", false }, { "--group", "group", false },
	{ "--search", "q", false }, { "--sort", "sort", false }, { NULL, NULL, false },
};
static const struct opt device_opt[] = {
	{ "--device", "device", false }, { NULL, NULL, false },
};
static const struct opt rotate_opts[] = {
	{ "--device", "device", false }, { "--public-key", "public_key", false },
	{ NULL, NULL, false },
};
static const struct opt device_add_opts[] = {
	{ "--user", "user", false }, { "--public-key", "public_key", false },
	{ "--expires", "token_expires", false }, { "--config", "kind", true },
	{ NULL, NULL, false },
};
static const struct opt user_opt[] = { { "--user", "user", false }, { NULL, NULL, false } };
static const struct opt session_opts[] = {
	{ "--user", "user", false }, { "--device", "device", false },
	{ "--since", "since", false }, { "--until", "until", false },
	{ "--search", "q", false }, { NULL, NULL, false },
};
static const struct opt token_add_opts[] = { { "--role", "role", false }, { NULL, NULL, false } };
static const struct opt voucher_add_opts[] = {
	{ "--count", "count", false }, { "--duration", "duration", false },
	{ "--quota", "quota", false }, { "--group", "group", false },
	{ "--expires", "expires", false }, { "--uses", "uses", false },
	{ "--name", "name", false }, { NULL, NULL, false },
};
static const struct opt no_opts[] = { { NULL, NULL, false } };
static const struct opt announce_add_opts[] = {
	{ "--title", "title", false }, { "--text", "text", false }, { "--group", "group", false },
	{ "--pinned", "pinned", true }, { "--until", "until", false }, { NULL, NULL, false },
};
static const struct opt announce_set_opts[] = {
	{ "--title", "title", false }, { "--text", "text", false }, { "--group", "group", false },
	{ "--everyone", "group=null", true }, { "--pinned", "pinned", true },
	{ "--unpinned", "pinned=false", true }, { "--until", "until", false },
	{ "--no-until", "until=null", true }, { NULL, NULL, false },
};
static const struct opt service_opts[] = {
	{ "--address", "address", false }, { "--description", "description", false },
	{ "--group", "groups", false }, { "--everyone", "groups=[]", true }, { NULL, NULL, false },
};

static const struct opt dns_record_opts[] = { { "--ttl", "ttl", false }, { NULL, NULL, false } };
static const struct opt dns_rule_opts[] = {
	{ "--group", "group", false }, { "--note", "note", false }, { NULL, NULL, false },
};
static const struct opt dns_list_add_opts[] = {
	{ "--group", "groups", false }, { "--disabled", "enabled=false", true },
	{ "--refresh", "refresh", false }, { NULL, NULL, false },
};
static const struct opt dns_list_set_opts[] = {
	{ "--enable", "enabled=true", true }, { "--disable", "enabled=false", true },
	{ "--group", "groups", false }, { "--all-groups", "groups=[]", true },
	{ "--refresh", "refresh", false }, { NULL, NULL, false },
};
static const struct opt dns_log_opts[] = {
	{ "--user", "user", false }, { "--device", "device", false },
	{ "--domain", "q", false }, { "--type", "type", false },
	{ "--blocked", "result=\"blocked\"", true }, { "--allowed", "result=\"allowed\"", true },
	{ "--rcode", "rcode", false }, { "--since", "since", false }, { "--until", "until", false },
	{ "--limit", "limit", false }, { NULL, NULL, false },
};
static const struct opt dns_stats_opts[] = {
	{ "--since", "since", false }, { "--until", "until", false },
	{ "--user", "user", false }, { "--top", "top", false }, { NULL, NULL, false },
};

static const struct verb verbs[] = {
	{ "user", "add", "user.add", "name", user_add_opts, R_USER_ADDED,
	  "user add NAME [--expires DATE|DURATION] [--quota SIZE[/month]] [--reset-day DAY] "
	  "[--public-key KEY] [--device NAME|--no-device] [--group GROUP] [--email ADDRESS] "
	  "[--rate RATE]" },
	{ "user", "list", "user.list", NULL, user_list_opts, R_USER_LIST,
	  "user list [--json] [--state STATE] [--group GROUP] [--search TEXT] [--sort name|created|expires|used]" },
	{ "user", "show", "user.show", "user", no_opts, R_JSON, "user show NAME [--json]" },
	{ "user", "config", "user.config", "user", device_opt, R_TEXT, "user config NAME [--device NAME]" },
	{ "user", "qr", "user.qr", "user", device_opt, R_QR,
	  "user qr NAME [--device NAME] [--png FILE|--svg FILE]" },
	{ "user", "set", "user.set", "user", user_set_opts, R_USER_SET,
	  "user set NAME [--expires DATE|DURATION|never] [--quota SIZE[/month]|none] "
	  "[--reset-day DAY] [--group GROUP] [--email ADDRESS] [--rate RATE|--rate-inherit]" },
	{ "user", "disable", "user.disable", "user", no_opts, R_NONE, "user disable NAME" },
	{ "user", "enable", "user.enable", "user", no_opts, R_NONE, "user enable NAME" },
	{ "user", "delete", "user.delete", "user", no_opts, R_NONE, "user delete NAME" },
	{ "user", "rotate", "user.rotate", "user", rotate_opts, R_ROTATED,
	  "user rotate NAME [--device NAME] [--public-key KEY]" },
	{ "device", "add", "device.add", "name", device_add_opts, R_DEVICE_ADDED,
	  "device add NAME --user USER [--config [--public-key KEY]] [--expires DURATION]" },
	{ "device", "list", "device.all", NULL, user_opt, R_DEVICES, "device list [--user USER] [--json]" },
	{ "device", "delete", "device.delete", "device", user_opt, R_NONE, "device delete NAME --user USER" },
	{ "session", "list", "session.list", NULL, session_opts, R_SESSIONS,
	  "session list [--user NAME [--device NAME]] [--since DATE] [--until DATE] [--search TEXT] [--json]" },
	{ "token", "add", "token.add", "name", token_add_opts, R_TOKEN_ADDED,
	  "token add NAME [--role admin|viewer]" },
	{ "token", "list", "token.list", NULL, no_opts, R_TOKENS, "token list [--json]" },
	{ "token", "delete", "token.delete", "name", no_opts, R_NONE, "token delete NAME" },
	{ "user", "passwd", "user.password", "user", no_opts, R_PASSWORD, "user passwd NAME" },
	{ "admin", "add", "admin.add", "name", token_add_opts, R_PASSWORD,
	  "admin add NAME [--role admin|viewer]" },
	{ "admin", "list", "admin.list", NULL, no_opts, R_ADMINS, "admin list [--json]" },
	{ "admin", "passwd", "admin.password", "name", no_opts, R_PASSWORD, "admin passwd NAME" },
	{ "admin", "delete", "admin.delete", "name", no_opts, R_NONE, "admin delete NAME" },
	{ "group", "add", "group.add", "name", group_add_opts, R_NONE,
	  "group add NAME [--destinations LIST] [--schedule TEXT] [--sources LIST] [--rate RATE] "
	  "[--isolate|--no-isolate] [--portal-login|--no-portal-login] [--idle DURATION] "
	  "[--max-maps N]" },
	{ "group", "list", "group.list", NULL, no_opts, R_GROUPS, "group list [--json]" },
	{ "group", "show", "group.show", "name", no_opts, R_GROUP_SHOW,
	  "group show NAME [--json]" },
	{ "group", "set", "group.set", "name", group_set_opts, R_GROUP_SHOW,
	  "group set NAME [--destinations LIST] [--schedule TEXT] [--sources LIST] [--rate RATE] "
	  "[--isolate|--no-isolate] [--portal-login|--no-portal-login] [--idle DURATION] "
	  "[--max-maps N] [--inherit FIELD]..." },
	{ "group", "delete", "group.delete", "name", no_opts, R_NONE, "group delete NAME" },
	{ "settings", "show", "settings.show", NULL, no_opts, R_SETTINGS, "settings show [--json]" },
	/* set KEY VALUE..., reset KEY...: built by build_settings */
	{ "settings", "set", "settings.set", NULL, no_opts, R_SETTINGS,
	  "settings set KEY VALUE [KEY VALUE ...]   (a list: comma-separated)" },
	{ "settings", "reset", "settings.set", NULL, no_opts, R_SETTINGS,
	  "settings reset KEY [KEY ...]   (back to the file's value)" },
	{ "user", "export", "user.export", NULL, no_opts, R_TEXT, "user export" },
	{ "user", "import", "user.import", NULL, no_opts, R_IMPORT, "user import FILE [--dry-run]" },
	{ "voucher", "add", "voucher.add", NULL, voucher_add_opts, R_CODES,
	  "voucher add --count N [--duration DURATION] [--quota SIZE[/month]] [--group GROUP] "
	  "[--expires DATE|DURATION] [--uses N] [--name BATCH]" },
	{ "voucher", "list", "voucher.list", NULL, no_opts, R_VOUCHERS, "voucher list [--json]" },
	{ "voucher", "show", "voucher.show", "name", no_opts, R_VOUCHER, "voucher show BATCH [--json]" },
	/* {"revoked": true} added by build */
	{ "voucher", "revoke", "voucher.set", "name", no_opts, R_NONE, "voucher revoke BATCH" },
	{ "voucher", "delete", "voucher.delete", "name", no_opts, R_NONE, "voucher delete BATCH" },
	{ "announce", "add", "announcement.add", NULL, announce_add_opts, R_ANN_ADDED,
	  "announce add --title TITLE --text TEXT [--group GROUP] [--pinned] [--until DATE]" },
	{ "announce", "list", "announcement.list", NULL, no_opts, R_ANNOUNCEMENTS,
	  "announce list [--json]" },
	{ "announce", "show", "announcement.show", "id", no_opts, R_ANN_SHOW,
	  "announce show ID [--json]" },
	{ "announce", "set", "announcement.set", "id", announce_set_opts, R_ANN_LINE,
	  "announce set ID [--title TITLE] [--text TEXT] [--group GROUP|--everyone] "
	  "[--pinned|--unpinned] [--until DATE|--no-until]" },
	{ "announce", "delete", "announcement.delete", "id", no_opts, R_NONE, "announce delete ID" },
	{ "service", "add", "service.add", "name", service_opts, R_SVC_LINE,
	  "service add NAME --address HOST:PORT|URL [--description TEXT] [--group GROUP]..." },
	{ "service", "list", "service.list", NULL, no_opts, R_SERVICES, "service list [--json]" },
	{ "service", "show", "service.show", "name", no_opts, R_SVC_SHOW, "service show NAME [--json]" },
	{ "service", "set", "service.set", "name", service_opts, R_SVC_LINE,
	  "service set NAME [--address HOST:PORT|URL] [--description TEXT] [--group GROUP]...|--everyone" },
	{ "service", "delete", "service.delete", "name", no_opts, R_NONE, "service delete NAME" },
	{ "dns record", "add", "dns.record.add", "name type value", dns_record_opts, R_DNS_RECORD,
	  "dns record add NAME A|AAAA|CNAME|TXT|SRV VALUE [--ttl SECONDS]" },
	{ "dns record", "list", "dns.record.list", NULL, no_opts, R_DNS_RECORDS,
	  "dns record list [--json]" },
	{ "dns record", "del", "dns.record.delete", "id", no_opts, R_NONE, "dns record del ID" },
	{ "dns rule", "add", "dns.rule.add", "action pattern", dns_rule_opts, R_DNS_RULE,
	  "dns rule add block|allow PATTERN [--group GROUP] [--note TEXT]" },
	{ "dns rule", "list", "dns.rule.list", NULL, no_opts, R_DNS_RULES, "dns rule list [--json]" },
	{ "dns rule", "del", "dns.rule.delete", "id", no_opts, R_NONE, "dns rule del ID" },
	{ "dns list", "add", "dns.list.add", "name source", dns_list_add_opts, R_DNS_LIST,
	  "dns list add NAME PATH|URL [--group GROUP]... [--disabled] [--refresh DURATION]" },
	{ "dns list", "set", "dns.list.set", "name", dns_list_set_opts, R_DNS_LIST,
	  "dns list set NAME [--enable|--disable] [--group GROUP]...|--all-groups "
	  "[--refresh DURATION]" },
	{ "dns list", "del", "dns.list.delete", "name", no_opts, R_NONE, "dns list del NAME" },
	{ "dns list", "show", "dns.list.show", "name", no_opts, R_DNS_LIST,
	  "dns list show NAME [--json]" },
	{ "dns list", "refresh", "dns.list.refresh", "name", no_opts, R_DNS_REFRESH,
	  "dns list refresh NAME" },
	{ "dns list", "list", "dns.list.list", NULL, no_opts, R_DNS_LISTS, "dns list [--json]" },
	{ "dns", "log", "dns.log", NULL, dns_log_opts, R_DNS_LOG,
	  "dns log [--user USER [--device DEVICE]] [--domain TEXT] [--type TYPE] "
	  "[--blocked|--allowed] [--rcode RCODE] [--since DATE] [--until DATE] [--limit N] [--json]" },
	{ "dns", "stats", "dns.stats", NULL, dns_stats_opts, R_DNS_STATS,
	  "dns stats [--since DATE] [--until DATE] [--user USER] [--top N] [--json]" },
};

struct cli {
	const struct verb *v;
	const struct api_op *op;
	const char *sock, *conf, *png, *svg;
	bool json;
	struct json req;               /* the request being built */
	const char *file;              /* user import */
	bool dry_run;
	const char *list_field;        /* the list option's items, written at the end */
	const char *list[MAX_ARGS];
	size_t n_list;
	const char *set_field[MAX_ARGS], *set_flag[MAX_ARGS];   /* which option set which field */
	size_t n_set;
};


static int usage(const char *noun, const char *line)
{
	char top[16];

	/* "dns record" is a part of "dns": its usage is the command's */
	snprintf(top, sizeof(top), "%.*s", (int)strcspn(noun, " "), noun);
	if (line)
		fprintf(stderr, "warren %s: usage: %s\n", noun, line);
	else
		cli_usage(cli_find(top), EXIT_USAGE);
	return EXIT_USAGE;
}

/* The field the n-th word goes to (0-based), or NULL when the verb takes fewer. */
static const char *positional(const struct verb *v, size_t n, char *buf, size_t size)
{
	const char *p = v->positional;
	size_t len;

	while (p && *p) {
		len = strcspn(p, " ");
		if (n-- == 0) {
			snprintf(buf, size, "%.*s", (int)len, p);
			return buf;
		}
		p += len + (p[len] == ' ');
	}
	return NULL;
}

static const struct api_field *field_of(const struct api_op *op, const char *name)
{
	const struct api_field *f;

	for (f = op->fields; f && f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

/* A value as the field's JSON: numbers for numbers, null for never/none, else text. */
static void put_value(struct cli *c, const char *field, const char *val)
{
	const struct api_field *f = field_of(c->op, field);

	if (f && (f->type == API_U64 || f->type == API_ANY) && *val &&
	    strspn(val, "0123456789") == strlen(val) && strlen(val) < 19)
		json_u64(&c->req, field, strtoull(val, NULL, 10));
	else if (f && (f->flags & API_NULL) &&
		 ((f->type == API_EXPIRY && strcmp(val, "never") == 0) ||
		  (f->type == API_SIZE && strcmp(val, "none") == 0)))
		json_null(&c->req, field);
	else
		json_str(&c->req, field, val);
}

/* settings set KEY VALUE ... / reset KEY ...: a value is JSON when it reads as JSON
 * (numbers, true, false, [...]), a comma list for the list settings, else text. */
static int build_settings(const char *noun, int argc, char **argv, struct cli *c)
{
	bool reset = strcmp(c->v->verb, "reset") == 0;
	int a, step = reset ? 1 : 2;

	if (argc < 3 || (argc - 2) % step)
		return usage(noun, c->v->usage);
	for (a = 2; a + step - 1 < argc; a += step) {
		const char *key = argv[a], *val = reset ? NULL : argv[a + 1];
		struct json_value *v = NULL;

		if (reset) {
			json_null(&c->req, key);
		} else if (json_parse(val, strlen(val), &v, NULL, NULL) == 0) {
			json_write_value(&c->req, key, v);
			json_value_free(v);
		} else if (strcmp(key, "dns") == 0 || strcmp(key, "client_allowed_ips") == 0) {
			const char *p = val;

			json_arr_begin(&c->req, key);
			while (*p) {
				size_t n = strcspn(p, ",");

				json_strn(&c->req, NULL, p, n);
				p += n + (p[n] == ',');
			}
			json_end(&c->req);
		} else {
			json_str(&c->req, key, val);
		}
	}
	json_end(&c->req);
	return 0;
}

/* The member an option's field names: up to a '='. */
static size_t field_len(const char *field)
{
	return strcspn(field, "=");
}

/* Option o sets its member: refused (true, said) when another option set it already. */
static bool set_once(const char *noun, struct cli *c, const struct opt *o)
{
	size_t i, n = field_len(o->field);

	for (i = 0; i < c->n_set; i++) {
		if (field_len(c->set_field[i]) != n || strncmp(c->set_field[i], o->field, n) != 0)
			continue;
		if (strcmp(c->set_flag[i], o->flag) == 0)
			fprintf(stderr, "warren %s: %s: given twice\n", noun, o->flag);
		else
			fprintf(stderr, "warren %s: %s and %s: one or the other\n", noun,
				c->set_flag[i], o->flag);
		return true;
	}
	if (c->n_set < MAX_ARGS) {
		c->set_field[c->n_set] = o->field;
		c->set_flag[c->n_set++] = o->flag;
	}
	return false;
}

/* --inherit FIELD: the policy field (its API name, '-' for '_' allowed) set to null. */
static int inherit(const char *noun, struct cli *c, const char *name)
{
	static const struct opt fields[] = {
		{ INHERIT, "destinations", false }, { INHERIT, "schedule", false },
		{ INHERIT, "sources", false }, { INHERIT, "rate", false },
		{ INHERIT, "isolate", false }, { INHERIT, "portal_login", false },
		{ INHERIT, "idle", false }, { INHERIT, "max_maps", false },
	};
	char want[32];
	size_t i;

	snprintf(want, sizeof(want), "%s", name);
	for (i = 0; want[i]; i++)
		if (want[i] == '-')
			want[i] = '_';
	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		if (strcmp(fields[i].field, want) != 0)
			continue;
		if (set_once(noun, c, &fields[i]))
			return EXIT_USAGE;
		json_null(&c->req, fields[i].field);
		return 0;
	}
	fprintf(stderr, "warren %s: --inherit \"%.40s\": not a policy field (destinations, "
		"schedule, sources, rate, isolate, portal_login, idle, max_maps)\n", noun, name);
	return EXIT_USAGE;
}

/* argv (noun first) into c->req; 0, or an exit status after saying why. */
static int build(const char *noun, int argc, char **argv, struct cli *c)
{
	const struct opt *o;
	size_t i, n_pos = 0;
	char pos[32];
	int a, r;

	memset(c, 0, sizeof(*c));
	if (argc < 2)
		return usage(noun, NULL);
	for (i = 0; i < ARRAY_SIZE(verbs); i++)
		if (strcmp(verbs[i].noun, noun) == 0 && strcmp(verbs[i].verb, argv[1]) == 0)
			c->v = &verbs[i];
	if (!c->v) {
		fprintf(stderr, "warren %s: unknown command \"%.40s\":", noun, argv[1]);
		for (i = 0; i < ARRAY_SIZE(verbs); i++)
			if (strcmp(verbs[i].noun, noun) == 0)
				fprintf(stderr, " %s", verbs[i].verb);
		fputc('\n', stderr);
		return EXIT_USAGE;
	}
	c->op = api_find(c->v->op);
	json_obj_begin(&c->req, NULL);
	/* The socket options come out first, wherever they stand. */
	for (a = 2; a + 1 < argc; a++) {
		if (strcmp(argv[a], "-s") == 0 || strcmp(argv[a], "-c") == 0) {
			if (argv[a][1] == 's')
				c->sock = argv[a + 1];
			else
				c->conf = argv[a + 1];
			memmove(&argv[a], &argv[a + 2], (size_t)(argc - a - 2) * sizeof(*argv));
			argc -= 2;
			a--;
		}
	}
	if (strcmp(noun, "settings") == 0 && strcmp(c->v->verb, "show") != 0)
		return build_settings(noun, argc, argv, c);
	if (c->v->render == R_IMPORT) {
		for (a = 2; a < argc; a++) {
			if (strcmp(argv[a], "--dry-run") == 0)
				c->dry_run = true;
			else if (!c->file && argv[a][0] != '-')
				c->file = argv[a];
			else
				return usage(noun, c->v->usage);
		}
		if (!c->file)
			return usage(noun, c->v->usage);
		json_end(&c->req);
		return 0;
	}
	for (a = 2; a < argc; a++) {
		const char *arg = argv[a];

		if (strcmp(arg, "-s") == 0 || strcmp(arg, "-c") == 0 || strcmp(arg, "--png") == 0 ||
		    strcmp(arg, "--svg") == 0) {
			if (a + 1 >= argc)
				return usage(noun, c->v->usage);
			if (arg[1] == 's')
				c->sock = argv[++a];
			else if (arg[1] == 'c')
				c->conf = argv[++a];
			else if (c->v->render != R_QR) {
				fprintf(stderr, "warren %s: --png and --svg go with qr, one of them\n", noun);
				return EXIT_USAGE;
			}
			else if (arg[2] == 'p')
				c->png = argv[++a];
			else
				c->svg = argv[++a];
			continue;
		}
		if (strcmp(arg, "--json") == 0 &&
		    (c->v->render == R_USER_LIST || c->v->render == R_JSON || c->v->render == R_SETTINGS ||
		     c->v->render == R_GROUPS || c->v->render == R_VOUCHERS ||
		     c->v->render == R_VOUCHER ||
		     c->v->render == R_ANNOUNCEMENTS ||
		     c->v->render == R_ANN_SHOW || c->v->render == R_SERVICES ||
		     c->v->render == R_SVC_SHOW || c->v->render == R_GROUP_SHOW ||
		     c->v->render == R_SESSIONS || c->v->render == R_DEVICES ||
		     c->v->render == R_TOKENS || c->v->render == R_ADMINS ||
		     c->v->render == R_DNS_RECORDS || c->v->render == R_DNS_RULES ||
		     c->v->render == R_DNS_LISTS || c->v->render == R_DNS_LOG ||
		     c->v->render == R_DNS_STATS ||
		     (c->v->render == R_DNS_LIST && strcmp(c->v->verb, "show") == 0))) {
			c->json = true;
			continue;
		}
		if (arg[0] == '-' && arg[1]) {
			const char *eq;
			char field[48];
			const struct api_field *f;

			for (o = c->v->opts; o->flag && strcmp(o->flag, arg) != 0; o++)
				;
			if (!o->flag)
				return usage(noun, c->v->usage);
			if (strcmp(o->flag, INHERIT) == 0) {
				if (a + 1 >= argc)
					return usage(noun, c->v->usage);
				r = inherit(noun, c, argv[++a]);
				if (r)
					return r;
				continue;
			}
			eq = strchr(o->field, '=');
			snprintf(field, sizeof(field), "%.*s", eq ? (int)(eq - o->field) : 47, o->field);
			f = field_of(c->op, field);
			if ((!f || f->type != API_LIST || o->bare) && set_once(noun, c, o))
				return EXIT_USAGE;
			if (o->bare) {
				if (strcmp(o->field, "kind") == 0)
					json_str(&c->req, "kind", "config");
				else if (eq)
					json_value_raw(&c->req, field, eq + 1, strlen(eq + 1));
				else
					json_bool(&c->req, o->field, true);
				continue;
			}
			if (a + 1 >= argc)
				return usage(noun, c->v->usage);
			if (f && f->type == API_LIST) {
				if (!c->n_list && set_once(noun, c, o))
					return EXIT_USAGE;
				c->list_field = f->name;
				c->list[c->n_list++] = argv[++a];
				continue;
			}
			put_value(c, o->field, argv[++a]);
			continue;
		}
		if (!positional(c->v, n_pos, pos, sizeof(pos)))
			return usage(noun, c->v->usage);
		put_value(c, pos, arg);
		n_pos++;
	}
	if (positional(c->v, n_pos, pos, sizeof(pos)))
		return usage(noun, c->v->usage);
	if (c->png && c->svg) {
		fprintf(stderr, "warren %s: --png and --svg go with qr, one of them\n", noun);
		return EXIT_USAGE;
	}
	if (c->list_field) {
		json_arr_begin(&c->req, c->list_field);
		for (i = 0; i < c->n_list; i++)
			json_str(&c->req, NULL, c->list[i]);
		json_end(&c->req);
	}
	/* An agent device unless --config says otherwise, as device add always made. */
	if (strcmp(c->v->op, "device.add") == 0 && !strstr(json_text(&c->req), "\"kind\""))
		json_str(&c->req, "kind", "agent");
	if (strcmp(c->v->op, "voucher.set") == 0)
		json_bool(&c->req, "revoked", true);
	json_end(&c->req);
	return 0;
}

/* The server's own parser, run here first: what it would refuse is not sent. */
static int check(const char *noun, struct cli *c)
{
	struct json_value *doc = NULL;
	void *req = xcalloc(1, c->op->req_size + 1);
	char why[256];
	int r;

	r = json_parse(json_text(&c->req), json_len(&c->req), &doc, NULL, NULL);
	if (r == 0)
		r = api_parse(c->op, doc, req, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "the request is not JSON");
	if (r == 0)
		api_req_clear(c->op, req);
	json_value_free(doc);
	free(req);
	if (r < 0) {
		const struct opt *o;
		size_t n;

		/* The message names the field; here it is named by its option. */
		for (o = c->v->opts; o->flag; o++) {
			const struct api_field *f = field_of(c->op, o->field);
			const char *as = f && f->label ? f->label : o->field;

			n = strlen(as);
			if (strncmp(why, as, n) == 0 && (why[n] == ':' || why[n] == ' ')) {
				fprintf(stderr, "warren %s: %s%s\n", noun, o->flag, why + n);
				return EXIT_USAGE;
			}
		}
		fprintf(stderr, "warren %s: %s\n", noun, why);
		return EXIT_USAGE;
	}
	return 0;
}

/* One call: 0 with the answer parsed into *doc (text answers: *doc NULL, text in reply),
 * else an exit status after printing the server's refusal. */
static int call(struct cli *c, const char *request, struct json *reply, struct json_value **doc)
{
	char *argv[] = { "api", (char *)c->op->name, (char *)request, NULL };
	bool ok = false;
	int r = ctl_client_call(c->sock, c->conf, 3, argv, &ok, reply);

	*doc = NULL;
	if (r)
		return r;
	if (!ok) {
		fputs(json_text(reply), stderr);
		return EXIT_RUNTIME;
	}
	if (json_len(reply) && json_text(reply)[0] == '{' &&
	    json_parse(json_text(reply), json_len(reply), doc, NULL, NULL) < 0) {
		fprintf(stderr, "warren: the server's answer is not JSON\n");
		return EXIT_RUNTIME;
	}
	return 0;
}

/* ---- text forms ---- */

static const char *str(const struct json_value *o, const char *key, const char *dflt)
{
	const char *s = json_get_str(o, key);

	return s ? s : dflt;
}

static void print_addrs(const struct json_value *arr)
{
	size_t i;

	for (i = 0; arr && i < arr->n; i++)
		if (arr->items[i]->type == JSON_STRING)
			printf(" %s", arr->items[i]->s);
}

static void print_user_line(const struct json_value *u)
{
	char exp[VALUES_TIME_STRLEN] = "never", quota[VALUES_SIZE_STRLEN] = "none";
	char used[VALUES_SIZE_STRLEN];
	uint64_t v = 0, rx = 0, tx = 0;
	int64_t t;
	bool online = false;

	if (json_get_i64(u, "expires", &t))
		values_format_expiry(t, exp, sizeof(exp));
	if (json_get_u64(u, "quota_bytes", &v))
		values_format_size(v, quota, sizeof(quota));
	json_get_u64(u, "rx_bytes", &rx);
	json_get_u64(u, "tx_bytes", &tx);
	if (!json_get_u64(u, "quota_used", &v))
		v = rx + tx;
	values_format_size(v, used, sizeof(used));
	json_get_bool(u, "online", &online);
	printf("%-20s %-8s %-7s expires %-19s quota %s%s used %s", str(u, "name", "?"),
	       str(u, "state", "?"), online ? "online" : "-", exp, quota,
	       strcmp(str(u, "quota_period", ""), "month") == 0 ? "/month" : "", used);
	print_addrs(json_get_arr(u, "addresses"));
	putchar('\n');
}

static void print_session(const struct json_value *r)
{
	const struct json_value *ch = json_get_arr(r, "endpoint_changes");
	char t1[VALUES_TIME_STRLEN], t2[VALUES_TIME_STRLEN] = "open", t[VALUES_TIME_STRLEN];
	char rx[VALUES_SIZE_STRLEN], tx[VALUES_SIZE_STRLEN];
	int64_t started = 0, ended = 0, dur = 0, at;
	uint64_t vrx = 0, vtx = 0;
	size_t i;

	json_get_i64(r, "started", &started);
	json_get_i64(r, "duration_s", &dur);
	json_get_u64(r, "rx_bytes", &vrx);
	json_get_u64(r, "tx_bytes", &vtx);
	values_format_time(started, t1, sizeof(t1));
	if (json_get_i64(r, "ended", &ended))
		values_format_time(ended, t2, sizeof(t2));
	printf("%-20s %-16s %-16s %7" PRId64 "s %-24s %-18s rx %s tx %s\n", str(r, "user", "?"),
	       t1, t2, dur, *str(r, "endpoint", "") ? str(r, "endpoint", "") : "-",
	       str(r, "address", ""), values_format_size(vrx, rx, sizeof(rx)),
	       values_format_size(vtx, tx, sizeof(tx)));
	for (i = 0; ch && i < ch->n; i++)
		if (json_get_i64(ch->items[i], "at", &at))
			printf("    %s moved to %s\n", values_format_time(at, t, sizeof(t)),
			       str(ch->items[i], "endpoint", "?"));
}

static void print_device(const struct json_value *d)
{
	char t[VALUES_TIME_STRLEN] = "never";
	int64_t at;

	if (json_get_i64(d, "last_seen", &at))
		values_format_time(at, t, sizeof(t));
	if (strcmp(str(d, "kind", ""), "agent") == 0) {
		printf("%-20s user %-20s %-14s last seen %s\n", str(d, "name", "?"),
		       str(d, "user", "?"), str(d, "state", "?"), t);
	} else {
		printf("%-20s user %-20s %-14s", str(d, "name", "?"), str(d, "user", "?"), "config");
		print_addrs(json_get_arr(d, "addresses"));
		putchar('\n');
	}
}

static void print_admin(const struct json_value *a)
{
	char l[VALUES_TIME_STRLEN] = "never";
	bool totp = false, change = false;
	int64_t at;

	if (json_get_i64(a, "last_login", &at))
		values_format_time(at, l, sizeof(l));
	json_get_bool(a, "totp", &totp);
	json_get_bool(a, "must_change_password", &change);
	printf("%-20s %-6s %s%slast login %s\n", str(a, "name", "?"), str(a, "role", "?"),
	       totp ? "totp " : "", change ? "(one-time password) " : "", l);
}

static void print_group(const struct json_value *g)
{
	uint64_t n = 0;

	json_get_u64(g, "users", &n);
	printf("%-20s %" PRIu64 " user%s\n", str(g, "name", "?"), n, n == 1 ? "" : "s");
}

/* A group and its policy, each field marked "(file)" where the group inherits it. */
static void print_group_long(const struct json_value *g)
{
	static const char *const fields[] = { "destinations", "schedule", "sources", "rate",
					      "isolate", "portal_login", "idle", "max_maps" };
	const struct json_value *pol = json_get_obj(g, "policy");
	uint64_t n;
	size_t i, k;

	printf("%-13s %s\n", "name", str(g, "name", "?"));
	if (json_get_u64(g, "users", &n))
		printf("%-13s %" PRIu64 "\n", "users", n);
	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		const struct json_value *f = json_get_obj(pol, fields[i]), *v = NULL;
		bool inherited = strcmp(str(f, "from", "file"), "file") == 0;

		for (k = 0; f && k < f->n; k++)
			if (strcmp(f->keys[k], "value") == 0)
				v = f->items[k];
		printf("%-13s ", fields[i]);
		if (!v) {
			fputs("?", stdout);
		} else if (v->type == JSON_ARRAY) {
			for (k = 0; k < v->n; k++)
				if (v->items[k]->type == JSON_STRING)
					printf("%s%s", k ? ", " : "", v->items[k]->s);
			if (!v->n)
				fputs(i == 0 ? "what client_allowed_ips allows" : "any", stdout);
		} else if (v->type == JSON_STRING) {
			fputs(v->s, stdout);
		} else if (v->type == JSON_BOOL) {
			fputs(v->b ? "yes" : "no", stdout);
		} else if (v->type == JSON_NUMBER) {
			printf("%" PRIu64 "%s", v->u64, strcmp(fields[i], "idle") == 0 ? "s" : "");
		}
		printf("%s\n", inherited ? " (file)" : "");
	}
}

static void print_time_or(const struct json_value *o, const char *key, const char *none)
{
	char t[VALUES_TIME_STRLEN];
	int64_t at;

	fputs(json_get_i64(o, key, &at) ? values_format_time(at, t, sizeof(t)) : none, stdout);
}

static void print_announcement(const struct json_value *a)
{
	uint64_t reads = 0;
	int64_t id = 0;
	bool pinned = false;

	json_get_i64(a, "id", &id);
	json_get_u64(a, "reads", &reads);
	json_get_bool(a, "pinned", &pinned);
	printf("%-5" PRId64 " %-6s %-20s until ", id, pinned ? "pinned" : "-",
	       str(a, "group", "everyone"));
	print_time_or(a, "until", "-");
	printf("  reads %-5" PRIu64 " %s\n", reads, str(a, "title", "?"));
}

static void print_announcement_long(const struct json_value *a)
{
	uint64_t reads = 0;
	int64_t id = 0;
	bool pinned = false;

	json_get_i64(a, "id", &id);
	json_get_u64(a, "reads", &reads);
	json_get_bool(a, "pinned", &pinned);
	printf("id       %" PRId64 "\ntitle    %s\ngroup    %s\npinned   %s\nuntil    ", id,
	       str(a, "title", "?"), str(a, "group", "everyone"), pinned ? "yes" : "no");
	print_time_or(a, "until", "never");
	fputs("\ncreated  ", stdout);
	print_time_or(a, "created", "?");
	fputs("\nupdated  ", stdout);
	print_time_or(a, "updated", "?");
	printf("\nauthor   %s\nreads    %" PRIu64 "\n\n%s\n", str(a, "author", "?"), reads,
	       str(a, "text", ""));
}

/* The groups of a service, comma-separated, or "every group". */
static void print_groups(const struct json_value *sv)
{
	const struct json_value *g = json_get_arr(sv, "groups");
	size_t i;

	if (!g || !g->n)
		fputs("every group", stdout);
	for (i = 0; g && i < g->n; i++)
		printf("%s%s", i ? "," : "", g->items[i]->type == JSON_STRING ? g->items[i]->s : "?");
}

static void print_service(const struct json_value *sv)
{
	printf("%-20s %-32s ", str(sv, "name", "?"), str(sv, "address", "?"));
	print_groups(sv);
	if (*str(sv, "description", ""))
		printf("  %s", str(sv, "description", ""));
	putchar('\n');
}

static void print_service_long(const struct json_value *sv)
{
	printf("name         %s\naddress      %s\ndescription  %s\ngroups       ",
	       str(sv, "name", "?"), str(sv, "address", "?"), str(sv, "description", ""));
	print_groups(sv);
	fputs("\ncreated      ", stdout);
	print_time_or(sv, "created", "?");
	putchar('\n');
}

/* A setting's value as one would type it: text bare, lists comma-separated. */
static void print_value(const struct json_value *v)
{
	size_t i;

	if (!v)
		fputs("?", stdout);
	else if (v->type == JSON_STRING)
		fputs(v->s, stdout);
	else if (v->type == JSON_BOOL)
		fputs(v->b ? "true" : "false", stdout);
	else if (v->type == JSON_NUMBER && v->is_u64)
		printf("%" PRIu64, v->u64);
	else if (v->type == JSON_ARRAY) {
		for (i = 0; i < v->n; i++)
			printf("%s%s", i ? "," : "", v->items[i]->type == JSON_STRING ? v->items[i]->s : "?");
		if (!v->n)
			fputs("(none)", stdout);
	}
}

static void print_settings(const struct json_value *doc)
{
	const struct json_value *arr = json_get_arr(doc, "settings");
	char t[VALUES_TIME_STRLEN];
	size_t i;

	for (i = 0; arr && i < arr->n; i++) {
		const struct json_value *st = arr->items[i];
		int64_t at;

		printf("%-24s ", str(st, "key", "?"));
		print_value(json_get(st, "value"));
		if (strcmp(str(st, "origin", ""), "database") == 0) {
			printf("   (set by %s", str(st, "updated_by", "?"));
			if (json_get_i64(st, "updated", &at))
				printf(" at %s", values_format_time(at, t, sizeof(t)));
			fputs("; the file says ", stdout);
			print_value(json_get(st, "file"));
			fputs(")\n", stdout);
		} else {
			fputs("   (the file)\n", stdout);
		}
	}
}

static void print_token(const struct json_value *t)
{
	char c[VALUES_TIME_STRLEN] = "?", l[VALUES_TIME_STRLEN] = "never";
	int64_t at;

	if (json_get_i64(t, "created", &at))
		values_format_time(at, c, sizeof(c));
	if (json_get_i64(t, "last_used", &at))
		values_format_time(at, l, sizeof(l));
	printf("%-20s %-6s created %s  last used %s\n", str(t, "name", "?"), str(t, "role", "?"),
	       c, l);
}

/* A voucher's duration as it would be typed: whole days, hours or minutes if it is one. */
static void format_duration(int64_t d, char *buf, size_t len)
{
	if (d % 86400 == 0)
		snprintf(buf, len, "%" PRId64 "d", d / 86400);
	else if (d % 3600 == 0)
		snprintf(buf, len, "%" PRId64 "h", d / 3600);
	else if (d % 60 == 0)
		snprintf(buf, len, "%" PRId64 "m", d / 60);
	else
		snprintf(buf, len, "%" PRId64 "s", d);
}

/* What a batch's codes give: "30d, 10 GiB/month, group staff", or "nothing". */
static void print_gives(const struct json_value *b)
{
	char dur[32], size[VALUES_SIZE_STRLEN];
	const char *sep = "";
	uint64_t q;
	int64_t d;

	if (json_get_i64(b, "duration", &d)) {
		format_duration(d, dur, sizeof(dur));
		printf("%s", dur);
		sep = ", ";
	}
	if (json_get_u64(b, "quota", &q)) {
		printf("%s%s%s", sep, values_format_size(q, size, sizeof(size)),
		       strcmp(str(b, "quota_period", ""), "month") == 0 ? "/month" : "");
		sep = ", ";
	}
	if (json_get_str(b, "group")) {
		printf("%sgroup %s", sep, json_get_str(b, "group"));
		sep = ", ";
	}
	if (!*sep)
		fputs("nothing but an account", stdout);
}

static void print_batch(const struct json_value *b)
{
	char t[VALUES_TIME_STRLEN] = "?", e[VALUES_TIME_STRLEN] = "never";
	uint64_t codes = 0, unused = 0, redeemed = 0, uses = 1;
	int64_t at;

	if (json_get_i64(b, "created", &at))
		values_format_time(at, t, sizeof(t));
	if (json_get_i64(b, "expires", &at))
		values_format_expiry(at, e, sizeof(e));
	json_get_u64(b, "codes", &codes);
	json_get_u64(b, "unused", &unused);
	json_get_u64(b, "redeemed", &redeemed);
	json_get_u64(b, "uses", &uses);
	printf("%-20s %s  %" PRIu64 " code%s (%" PRIu64 " unused, %" PRIu64 " redeemed",
	       str(b, "name", "?"), t, codes, codes == 1 ? "" : "s", unused, redeemed);
	if (uses > 1)
		printf(", %" PRIu64 " uses each", uses);
	printf(")  ");
	print_gives(b);
	printf("  until %s%s\n", e, json_get_i64(b, "revoked", &at) ? "  revoked" : "");
}

static void print_redemption(const struct json_value *r)
{
	char t[VALUES_TIME_STRLEN] = "?";
	bool made = false;
	int64_t at;

	if (json_get_i64(r, "at", &at))
		values_format_time(at, t, sizeof(t));
	json_get_bool(r, "created_account", &made);
	printf("  %s  %-20s from %-20s %s\n", t, str(r, "user", "?"), str(r, "source", "?"),
	       made ? "account made" : "account extended");
}

/* ---- the resolver's ---- */

static void print_dns_record(const struct json_value *r)
{
	int64_t id = 0;
	uint64_t ttl = 0;

	json_get_i64(r, "id", &id);
	json_get_u64(r, "ttl", &ttl);
	printf("%-5" PRId64 " %-40s %-5s %-6" PRIu64 " %s\n", id, str(r, "name", "?"),
	       str(r, "type", "?"), ttl, str(r, "value", "?"));
}

static void print_dns_rule(const struct json_value *r)
{
	int64_t id = 0;

	json_get_i64(r, "id", &id);
	printf("%-5" PRId64 " %-5s %-40s %-20s %s\n", id, str(r, "action", "?"),
	       str(r, "pattern", "?"), str(r, "group", "every group"), str(r, "note", ""));
}

/* A time given in seconds as it would be typed: 1d, 12h, 90m. */
static void print_refresh(const struct json_value *l)
{
	char d[32];
	int64_t v = 0;

	json_get_i64(l, "refresh", &v);
	format_duration(v, d, sizeof(d));
	fputs(d, stdout);
}

static void print_dns_list(const struct json_value *l)
{
	uint64_t entries = 0;
	bool enabled = false;

	json_get_u64(l, "entries", &entries);
	json_get_bool(l, "enabled", &enabled);
	printf("%-20s %-8s %-8" PRIu64 " every ", str(l, "name", "?"),
	       enabled ? "enabled" : "disabled", entries);
	print_refresh(l);
	fputs("  ", stdout);
	print_groups(l);
	printf("  %s%s%s\n", str(l, "source", "?"), json_get_str(l, "error") ? "  error: " : "",
	       str(l, "error", ""));
}

static void print_dns_list_long(const struct json_value *l)
{
	uint64_t entries = 0, bad = 0;
	bool enabled = false;

	json_get_u64(l, "entries", &entries);
	json_get_u64(l, "bad_lines", &bad);
	json_get_bool(l, "enabled", &enabled);
	printf("name        %s\nsource      %s\nstate       %s\nrefresh     every ",
	       str(l, "name", "?"), str(l, "source", "?"), enabled ? "enabled" : "disabled");
	print_refresh(l);
	fputs("\ngroups      ", stdout);
	print_groups(l);
	printf("\nfetched     %s\nentries     %" PRIu64 "\nbad lines   %" PRIu64 "\n"
	       "error       %s\n", str(l, "fetched_at", "never"), entries, bad,
	       str(l, "error", "-"));
}

/* A log entry's ISO time in local time, to the second. */
static void print_log_time(const struct json_value *e)
{
	char t[32] = "?";
	int64_t ms;
	struct tm tm;

	if (json_get_i64(e, "at_ms", &ms)) {
		time_t at = (time_t)(ms / 1000);

		if (localtime_r(&at, &tm))
			strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S", &tm);
	}
	printf("%-19s", t);
}

static void print_dns_entry(const struct json_value *e)
{
	char result[64];
	uint64_t ms, n = 0;
	bool blocked = false;

	json_get_bool(e, "blocked", &blocked);
	if (blocked)
		snprintf(result, sizeof(result), "blocked(%s)", str(e, "list", "?"));
	else
		snprintf(result, sizeof(result), "%s", str(e, "rcode", "?"));
	print_log_time(e);
	printf(" %-16s %-16s %-6s %-40s %-16s ", str(e, "user", "-"), str(e, "device", "-"),
	       str(e, "type", "?"), str(e, "name", "?"), result);
	if (json_get_u64(e, "upstream_ms", &ms))
		printf("%" PRIu64, ms);
	else
		fputs("-", stdout);
	if (json_get_u64(e, "collapsed", &n) && n)
		printf("  (%" PRIu64 " queries over the rate)", n);
	putchar('\n');
}

static void print_top(const struct json_value *doc, const char *key, const char *title,
		      const char *label)
{
	const struct json_value *arr = json_get_arr(doc, key);
	size_t i;

	if (!arr)
		return;
	printf("%s:%s\n", title, arr->n ? "" : " none");
	for (i = 0; i < arr->n; i++) {
		uint64_t q = 0, b = 0;

		json_get_u64(arr->items[i], "queries", &q);
		json_get_u64(arr->items[i], "blocked", &b);
		printf("  %10" PRIu64 " queries %10" PRIu64 " blocked  %s\n", q, b,
		       str(arr->items[i], label, "?"));
	}
}

static void print_dns_stats(const struct json_value *doc)
{
	const struct json_value *pct = json_get(doc, "blocked_pct"), *ms;
	uint64_t q = 0, b = 0, nx = 0, sf = 0;

	json_get_u64(doc, "queries", &q);
	json_get_u64(doc, "blocked", &b);
	json_get_u64(doc, "nxdomain", &nx);
	json_get_u64(doc, "servfail", &sf);
	ms = json_get(doc, "upstream_ms_avg");
	printf("since     %s\nuntil     %s\n", str(doc, "since", "?"), str(doc, "until", "?"));
	if (json_get_str(doc, "user"))
		printf("user      %s\n", json_get_str(doc, "user"));
	printf("queries   %" PRIu64 "\nblocked   %" PRIu64 " (%.2f %%)\nnxdomain  %" PRIu64
	       "\nservfail  %" PRIu64 "\nupstream  ", q, b,
	       pct && pct->type == JSON_NUMBER ? pct->d : 0.0, nx, sf);
	if (ms && ms->type == JSON_NUMBER)
		printf("%.2f ms on average\n", ms->d);
	else
		fputs("no answers from upstream\n", stdout);
	print_top(doc, "top_names", "top names", "name");
	print_top(doc, "top_blocked", "top blocked", "name");
	print_top(doc, "top_users", "top users", "user");
}

/* The SVG holds the device's private key: private from its first byte. */
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

/* A listing over every page: the request again with each next cursor. With --json the
 * rows of every page make one array, as the server wrote each. */
static int list_all(struct cli *c, const char *member, void (*row)(const struct json_value *))
{
	const char *base = json_text(&c->req);
	size_t blen = strlen(base) - 1;       /* without the closing brace */
	bool empty = blen == 1;
	char *cursor = NULL;
	struct json out = { 0 };
	int r = 0;

	if (c->json)
		json_arr_begin(&out, NULL);
	do {
		struct json req = { 0 }, reply = { 0 };
		struct json_value *doc = NULL;
		const struct json_value *arr;
		const char *next;
		size_t i;

		json_raw(&req, base, blen);
		if (field_of(c->op, "limit")) {
			json_rawf(&req, "%s\"limit\":%d", empty ? "" : ",", PAGE);
			empty = false;
		}
		if (c->v->render == R_SESSIONS)
			json_rawf(&req, ",\"order\":\"oldest\"");
		if (cursor)
			json_rawf(&req, "%s\"cursor\":\"%s\"", empty ? "" : ",", cursor);
		json_raw(&req, "}", 1);
		empty = blen == 1;
		r = call(c, json_text(&req), &reply, &doc);
		json_clear(&req);
		free(cursor);
		cursor = NULL;
		arr = json_get_arr(doc, member);
		for (i = 0; r == 0 && arr && i < arr->n; i++) {
			if (c->json)
				json_write_value(&out, NULL, arr->items[i]);
			else
				row(arr->items[i]);
		}
		next = json_get_str(doc, "next");
		if (r == 0 && next)
			cursor = xstrdup(next);
		json_value_free(doc);
		json_clear(&reply);
	} while (r == 0 && cursor);
	if (c->json) {
		json_end(&out);
		if (r == 0)
			printf("%s\n", json_text(&out));
	}
	json_clear(&out);
	return r;
}

/* voucher show: the batch, then every page of its redemptions; with --json one object
 * holding them all. */
static int show_batch(struct cli *c)
{
	const char *base = json_text(&c->req);
	size_t blen = strlen(base) - 1;
	struct json out = { 0 };
	char *cursor = NULL;
	bool first = true;
	int r = 0;

	do {
		struct json req = { 0 }, reply = { 0 };
		struct json_value *doc = NULL;
		const struct json_value *arr;
		const char *next;
		size_t i, k;

		json_raw(&req, base, blen);
		json_rawf(&req, ",\"limit\":%d", PAGE);
		if (cursor)
			json_rawf(&req, ",\"cursor\":\"%s\"", cursor);
		json_raw(&req, "}", 1);
		r = call(c, json_text(&req), &reply, &doc);
		json_clear(&req);
		free(cursor);
		cursor = NULL;
		arr = json_get_arr(doc, "redemptions");
		if (r == 0 && first) {
			if (c->json) {
				/* the batch's members, then the redemptions of every page */
				json_obj_begin(&out, NULL);
				for (k = 0; doc && k < doc->n; k++)
					if (strcmp(doc->keys[k], "redemptions") && strcmp(doc->keys[k], "next"))
						json_write_value(&out, doc->keys[k], doc->items[k]);
				json_arr_begin(&out, "redemptions");
			} else {
				print_batch(doc);
				printf("%s\n", arr && arr->n ? "redeemed:" : "never redeemed");
			}
			first = false;
		}
		for (i = 0; r == 0 && arr && i < arr->n; i++) {
			if (c->json)
				json_write_value(&out, NULL, arr->items[i]);
			else
				print_redemption(arr->items[i]);
		}
		next = json_get_str(doc, "next");
		if (r == 0 && next)
			cursor = xstrdup(next);
		json_value_free(doc);
		json_clear(&reply);
	} while (r == 0 && cursor);
	if (c->json && r == 0) {
		json_end(&out);
		json_end(&out);
		printf("%s\n", json_text(&out));
	}
	json_clear(&out);
	return r;
}

/* user import FILE: the file in pieces the socket takes, each with the header line;
 * each refused line is said with its line number in the file. */
#define IMPORT_PIECE 20000

static int import(struct cli *c)
{
	char *text = NULL, *p, *header_end;
	size_t len = 0, header_len;
	uint64_t added = 0, refused = 0;
	int line = 2, r = 0;
	FILE *f = strcmp(c->file, "-") == 0 ? stdin : fopen(c->file, "re");

	if (!f) {
		fprintf(stderr, "warren user import: %s: %s\n", c->file, strerror(errno));
		return EXIT_USAGE;
	}
	{
		FILE *m = open_memstream(&text, &len);
		char buf[8192];
		size_t n;

		while (m && (n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, m);
		if (m)
			fclose(m);
	}
	if (f != stdin)
		fclose(f);
	if (!text || !len || !(header_end = strchr(text, '\n'))) {
		fprintf(stderr, "warren user import: %s: no header line\n", c->file);
		free(text);
		return EXIT_USAGE;
	}
	header_len = (size_t)(header_end - text) + 1;
	p = header_end + 1;
	while (*p && r == 0) {
		size_t take = 0, lines = 0;
		struct json req = { 0 }, reply = { 0 };
		struct json_value *doc = NULL;
		const struct json_value *failed;
		char *piece;
		size_t i;
		uint64_t v;

		/* Whole lines, up to the piece's size (a longer line goes alone). */
		while (p[take] && (take == 0 || take < IMPORT_PIECE)) {
			size_t n = strcspn(p + take, "\n");

			if (take && take + n + 1 > IMPORT_PIECE)
				break;
			take += n + (p[take + n] == '\n');
			lines++;
		}
		piece = xmalloc(header_len + take + 1);
		memcpy(piece, text, header_len);
		memcpy(piece + header_len, p, take);
		piece[header_len + take] = '\0';
		json_obj_begin(&req, NULL);
		json_str(&req, "csv", piece);
		if (c->dry_run)
			json_bool(&req, "dry_run", true);
		json_end(&req);
		free(piece);
		r = call(c, json_text(&req), &reply, &doc);
		json_clear(&req);
		if (r == 0) {
			if (json_get_u64(doc, c->dry_run ? "valid" : "added", &v))
				added += v;
			failed = json_get_arr(doc, "failed");
			for (i = 0; failed && i < failed->n; i++) {
				uint64_t l = 0;

				json_get_u64(failed->items[i], "line", &l);
				fprintf(stderr, "warren user import: %s:%" PRIu64 ": %s\n", c->file,
					(uint64_t)line + l - 2, str(failed->items[i], "error", "?"));
				refused++;
			}
		}
		json_value_free(doc);
		json_clear(&reply);
		p += take;
		line += (int)lines;
	}
	sodium_memzero(text, len);
	free(text);
	if (r)
		return r;
	printf("%" PRIu64 " users %s, %" PRIu64 " refused\n", added,
	       c->dry_run ? "would be added" : "added", refused);
	return refused ? EXIT_RUNTIME : EXIT_OK;
}

static int run(const char *noun, int argc, char **argv)
{
	struct json reply = { 0 };
	struct json_value *doc = NULL;
	struct cli c;
	int r;

	r = build(noun, argc, argv, &c);
	/* An import is checked piece by piece, by the server, row by row. */
	if (r == 0 && c.v->render != R_IMPORT)
		r = check(noun, &c);
	if (r)
		goto out;
	switch (c.v->render) {
	case R_USER_LIST:
		r = list_all(&c, "users", print_user_line);
		goto out;
	case R_SESSIONS:
		r = list_all(&c, "sessions", print_session);
		goto out;
	case R_DEVICES:
		r = list_all(&c, "devices", print_device);
		goto out;
	case R_TOKENS:
		r = list_all(&c, "tokens", print_token);
		goto out;
	case R_ADMINS:
		r = list_all(&c, "admins", print_admin);
		goto out;
	case R_GROUPS:
		r = list_all(&c, "groups", print_group);
		goto out;
	case R_ANNOUNCEMENTS:
		r = list_all(&c, "announcements", print_announcement);
		goto out;
	case R_SERVICES:
		r = list_all(&c, "services", print_service);
		goto out;
	case R_DNS_RECORDS:
		r = list_all(&c, "records", print_dns_record);
		goto out;
	case R_DNS_RULES:
		r = list_all(&c, "rules", print_dns_rule);
		goto out;
	case R_DNS_LISTS:
		r = list_all(&c, "lists", print_dns_list);
		goto out;
	case R_IMPORT:
		r = import(&c);
		goto out;
	case R_VOUCHERS:
		r = list_all(&c, "vouchers", print_batch);
		goto out;
	case R_VOUCHER:
		r = show_batch(&c);
		goto out;
	default:
		break;
	}
	r = call(&c, json_text(&c.req), &reply, &doc);
	if (r)
		goto out;
	switch (c.v->render) {
	case R_NONE:
		break;
	case R_JSON:
		printf("%s\n", json_text(&reply));
		break;
	case R_TEXT:
		fputs(json_text(&reply), stdout);
		break;
	case R_QR:
		if (c.png)
			r = qr_png(json_text(&reply), c.png);
		else if (c.svg)
			r = write_svg(json_text(&reply), c.svg);
		else
			r = qr_utf8(json_text(&reply), stdout);
		if (r < 0) {
			fprintf(stderr, "warren user qr: %s: %s\n", c.png ? c.png : c.svg ? c.svg :
				"stdout", strerror(-r));
			r = EXIT_RUNTIME;
		}
		break;
	case R_USER_ADDED:
		printf("user %s added:", str(doc, "name", "?"));
		print_addrs(json_get_arr(doc, "addresses"));
		putchar('\n');
		break;
	case R_USER_SET: {
		char exp[VALUES_TIME_STRLEN] = "never", quota[VALUES_SIZE_STRLEN] = "none";
		uint64_t v;
		int64_t t;

		if (json_get_i64(doc, "expires", &t))
			values_format_expiry(t, exp, sizeof(exp));
		if (json_get_u64(doc, "quota_bytes", &v))
			values_format_size(v, quota, sizeof(quota));
		printf("user %s: %s, expires %s, quota %s%s\n", str(doc, "name", "?"),
		       str(doc, "state", "?"), exp, quota,
		       strcmp(str(doc, "quota_period", ""), "month") == 0 ? "/month" : "");
		break;
	}
	case R_ROTATED:
		if (strcmp(str(doc, "name", ""), str(doc, "user", "")) == 0)
			printf("user %s rotated: public key %s\n", str(doc, "user", "?"),
			       str(doc, "public_key", "?"));
		else
			printf("device %s/%s rotated: public key %s\n", str(doc, "user", "?"),
			       str(doc, "name", "?"), str(doc, "public_key", "?"));
		break;
	case R_DEVICE_ADDED:
		if (json_get_str(doc, "token")) {
			printf("%s\n", json_get_str(doc, "token"));
		} else {
			printf("device %s/%s added:", str(doc, "user", "?"), str(doc, "name", "?"));
			print_addrs(json_get_arr(doc, "addresses"));
			putchar('\n');
		}
		break;
	case R_TOKEN_ADDED:
		printf("%s\n", str(doc, "token", "?"));
		break;
	case R_PASSWORD:
		printf("%s\n", str(doc, "password", "?"));
		break;
	case R_CODES: {
		/* one code a line, nothing else: for a script or a printer */
		const struct json_value *codes = json_get_arr(doc, "codes");
		size_t i;

		for (i = 0; codes && i < codes->n; i++)
			if (codes->items[i]->type == JSON_STRING)
				printf("%s\n", codes->items[i]->s);
		break;
	}
	case R_ANN_ADDED: {
		int64_t id = 0;

		json_get_i64(doc, "id", &id);
		printf("%" PRId64 "\n", id);
		break;
	}
	case R_ANN_LINE:
		print_announcement(doc);
		break;
	case R_SVC_LINE:
		print_service(doc);
		break;
	case R_ANN_SHOW:
	case R_SVC_SHOW:
		if (c.json)
			printf("%s\n", json_text(&reply));
		else if (c.v->render == R_ANN_SHOW)
			print_announcement_long(doc);
		else
			print_service_long(doc);
		break;
	case R_GROUP_SHOW:
		if (c.json)
			printf("%s\n", json_text(&reply));
		else
			print_group_long(doc);
		break;
	case R_DNS_RECORD:
		print_dns_record(doc);
		break;
	case R_DNS_RULE:
		print_dns_rule(doc);
		break;
	case R_DNS_LIST:
		if (c.json)
			printf("%s\n", json_text(&reply));
		else
			print_dns_list_long(doc);
		break;
	case R_DNS_REFRESH: {
		bool fetching = false;

		json_get_bool(doc, "fetching", &fetching);
		printf("list %s: %s\n", str(doc, "name", "?"), fetching ?
		       "fetching (dns list show tells the result)" :
		       "the resolver is not running: fetched when it starts");
		break;
	}
	case R_DNS_LOG: {
		const struct json_value *arr = json_get_arr(doc, "entries");
		size_t i;

		if (c.json) {
			printf("%s\n", json_text(&reply));
			break;
		}
		for (i = 0; arr && i < arr->n; i++)
			print_dns_entry(arr->items[i]);
		break;
	}
	case R_DNS_STATS:
		if (c.json)
			printf("%s\n", json_text(&reply));
		else
			print_dns_stats(doc);
		break;
	case R_SETTINGS:
		if (c.json)
			printf("%s\n", json_text(&reply));
		else
			print_settings(doc);
		break;
	default:
		break;
	}
	if (r == 0 && fflush(stdout) != 0)
		r = EXIT_RUNTIME;
out:
	if (json_len(&reply))
		sodium_memzero(reply.buf, json_len(&reply));
	json_value_free(doc);
	json_clear(&reply);
	json_clear(&c.req);
	return r;
}

int cmd_user(int argc, char **argv)
{
	return run("user", argc, argv);
}

int cmd_device(int argc, char **argv)
{
	return run("device", argc, argv);
}

int cmd_session(int argc, char **argv)
{
	return run("session", argc, argv);
}

int cmd_token(int argc, char **argv)
{
	return run("token", argc, argv);
}

int cmd_admin(int argc, char **argv)
{
	return run("admin", argc, argv);
}

int cmd_group(int argc, char **argv)
{
	return run("group", argc, argv);
}

int cmd_settings(int argc, char **argv)
{
	return run("settings", argc, argv);
}

int cmd_voucher(int argc, char **argv)
{
	return run("voucher", argc, argv);
}

int cmd_announce(int argc, char **argv)
{
	return run("announce", argc, argv);
}

int cmd_service(int argc, char **argv)
{
	return run("service", argc, argv);
}

/* dns record|rule|list ... go to their part; dns log|stats are dns's own; a bare
 * `dns list` (or with --json only) lists the lists. */
int cmd_dns(int argc, char **argv)
{
	static const char *const parts[] = { "record", "rule", "list" };
	char noun[16];
	size_t i;

	if (argc < 2)
		return usage("dns", NULL);
	for (i = 0; i < ARRAY_SIZE(parts); i++) {
		if (strcmp(argv[1], parts[i]) != 0)
			continue;
		snprintf(noun, sizeof(noun), "dns %s", parts[i]);
		if (i == 2 && (argc == 2 || argv[2][0] == '-')) {
			/* "list" twice: the part, then its verb */
			char **v = xcalloc((size_t)argc + 1, sizeof(*v));
			int r;

			v[0] = argv[1];
			v[1] = (char *)"list";
			memcpy(&v[2], &argv[2], (size_t)(argc - 2) * sizeof(*v));
			r = run(noun, argc, v);
			free(v);
			return r;
		}
		return run(noun, argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "log") == 0 || strcmp(argv[1], "stats") == 0)
		return run("dns", argc, argv);
	fprintf(stderr, "warren dns: unknown command \"%.40s\": record rule list log stats\n",
		argv[1]);
	return EXIT_USAGE;
}
