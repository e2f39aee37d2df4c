/* `warren up FILE` and `warren down FILE`: one-shot tunnels, journaled so down is exact. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "journal.h"
#include "linkdns.h"
#include "tunnel.h"
#include "../common/util.h"
#include "../netcfg/link.h"
#include "../netcfg/sysctl.h"
#include "../profiles/conf.h"
#include "../profiles/dns.h"

struct oneshot {
	const char *cmd;
	const char *path;
	const char *state_dir;   /* --state-dir, else the file's daemon.state_dir */
	int verbose;
};

static int oneshot_args(struct oneshot *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->cmd = argv[0];
	optind = 1;
	while ((c = getopt_long(argc, argv, "+S:v", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			o->state_dir = optarg;
			break;
		case 'v':
			o->verbose = 1;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "warren %s: %s\n", o->cmd,
			optind >= argc ? "a configuration or wg-quick file is required"
				       : "only one file is accepted");
		return -EINVAL;
	}
	o->path = argv[optind];
	return 0;
}

/* Load and validate; every problem is printed, and nothing is touched on error. */
static struct config *oneshot_load(const struct oneshot *o)
{
	struct diag d = { 0 };
	struct config *c = cli_load(o->path, &d);

	diag_print(&d, stderr);
	if (d.errors) {
		config_free(c);
		c = NULL;
	}
	diag_clear(&d);
	return c;
}

/* Lowest slot no other journal holds, so tables and rule priorities never collide. */
static int oneshot_slot(const char *state_dir, unsigned int *slot)
{
	char (*names)[IFNAME_MAX + 1];
	bool used[PLAN_SLOTS] = { false };
	size_t n, i;
	int r;

	r = journal_list(state_dir, &names, &n);
	if (r < 0)
		return r;
	for (i = 0; i < n; i++) {
		struct plan j;

		/* The server's link takes no routing table or rule. */
		if (journal_read(state_dir, names[i], &j) == 0) {
			used[j.slot] |= j.owner != OWNER_SERVER;
			plan_clear(&j);
		}
	}
	free(names);
	for (i = 0; i < PLAN_SLOTS; i++) {
		if (!used[i]) {
			*slot = (unsigned int)i;
			return 0;
		}
	}
	return -ENOSPC;
}

/* For each of p's sysctls: the value before warren, taken from another journal when one
 * changed it already; keep[i] (when not NULL) says another still needs it. */
static void oneshot_sysctls(const char *state_dir, struct plan *p, bool *keep)
{
	size_t k;

	for (k = 0; !keep && k < p->n_sysctls; k++)
		if (sysctl_get(p->sysctls[k].path, p->sysctls[k].old, SYSCTL_VALUE_MAX) < 0)
			p->sysctls[k].old[0] = '\0';
	journal_sysctls_shared(state_dir, p->ifname, p, keep);
}

static void oneshot_hooks(const struct config *c, const struct tunnel *t, const struct strv *hooks,
			  const char *what)
{
	size_t i;

	for (i = 0; i < hooks->n; i++) {
		char *cmd, *at;
		pid_t pid;
		int status;

		if (!c->daemon.allow_hooks) {
			fprintf(stderr, "warren: warning: tunnel %s: %s \"%s\" skipped: hooks run only with daemon.allow_hooks = true\n",
				t->name, what, hooks->v[i]);
			continue;
		}
		/* %i is the interface, as wg-quick substitutes it. */
		cmd = xstrdup(hooks->v[i]);
		while ((at = strstr(cmd, "%i"))) {
			char *next = xasprintf("%.*s%s%s", (int)(at - cmd), cmd, t->ifname, at + 2);

			free(cmd);
			cmd = next;
		}
		pid = fork();
		if (pid == 0) {
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
			_exit(127);
		}
		if (pid > 0 && waitpid(pid, &status, 0) == pid &&
		    (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
			fprintf(stderr, "warren: warning: tunnel %s: %s \"%s\" failed\n", t->name, what, cmd);
		free(cmd);
	}
}

/* The plan whose journal records the DNS methods linkdns reports. */
struct oneshot_dns {
	const char *state_dir;
	struct plan *p;
};

static int oneshot_journal(void *ctx, const char *ifname, unsigned int methods)
{
	struct oneshot_dns *od = ctx;

	(void)ifname;
	od->p->dns_methods = methods;
	return journal_write(od->state_dir, od->p);
}

static const struct linkdns_ops oneshot_dns_ops = { oneshot_journal, NULL };

/* Undo what the journal's DNS methods hold; false (and said why) when that failed. */
static bool oneshot_dns_remove(struct nl *nl, const struct plan *j, const char *name)
{
	struct oneshot_dns od = { NULL, NULL };
	struct linkdns *dns;
	char err[256] = "";
	struct link l;
	int r;

	if (!j->dns_methods)
		return true;
	dns = linkdns_new(NULL, &oneshot_dns_ops, &od);
	r = linkdns_remove(dns, j->ifname, link_get(nl, j->ifname, &l) == 0 ? l.index : 0,
			   j->dns_methods, err, sizeof(err));
	linkdns_free(dns);
	if (r < 0)
		fprintf(stderr, "warren: tunnel %s: DNS: %s\n", name, err);
	return r == 0;
}

/* Undo one tunnel from its journal and forget it. A DNS that could not be undone keeps
 * the journal, so the next down tries again. */
static int oneshot_remove(struct nl *nl, struct wg_backend *wgb, const char *state_dir,
			  const char *ifname, const char *name)
{
	char err[256] = "";
	struct plan j;
	bool *keep, dns_ok;
	int r;

	r = journal_read(state_dir, ifname, &j);
	if (r < 0)
		return r;
	/* A daemon's links are its own while it runs; after a crash, down cleans up. */
	if (journal_owner_running(&j)) {
		fprintf(stderr, "warren: tunnel %s: link %s belongs to the running %s, not to "
			"\"warren up\"\n", name, ifname, journal_owner_name(j.owner));
		plan_clear(&j);
		return -EBUSY;
	}
	dns_ok = oneshot_dns_remove(nl, &j, name);
	keep = xcalloc(j.n_sysctls, sizeof(*keep));
	oneshot_sysctls(state_dir, &j, keep);
	r = tunnel_remove(nl, wgb, &j, keep, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "warren: tunnel %s: %s\n", name, err);
	else if (dns_ok)
		journal_remove(state_dir, ifname);
	else
		r = -EIO;
	free(keep);
	plan_clear(&j);
	return r;
}

/* The tunnel's DNS onto its link, or what an earlier up applied taken back. */
static int oneshot_dns(struct nl *nl, const struct tunnel *t, const char *state_dir, struct plan *p)
{
	struct oneshot_dns od = { state_dir, p };
	struct dns_conf dc;
	struct linkdns *dns;
	char err[256] = "";
	struct link l;
	int r = 0;

	dns_conf_from_tunnel(&dc, t);
	if (!dns_conf_empty(&dc) || p->dns_methods) {
		dns = linkdns_new(NULL, &oneshot_dns_ops, &od);
		r = linkdns_set(dns, t->name, t->ifname, link_get(nl, t->ifname, &l) == 0 ? l.index : 0,
				&dc, p->dns_methods, err, sizeof(err));
		linkdns_free(dns);
		if (r < 0)
			fprintf(stderr, "warren: tunnel %s: DNS: %s\n", t->name, err);
	}
	dns_conf_clear(&dc);
	return r;
}

static int oneshot_up_one(struct nl *nl, struct wg_backend *wgb, const struct config *c,
			  const struct tunnel *t, const char *state_dir, bool *fresh)
{
	struct plan_opts opts = { 0 };
	struct tunnel_stats st;
	struct diag d = { 0 };
	char err[256] = "";
	unsigned int slot, dns_methods = 0;
	struct plan old, p;
	struct link l;
	int r;

	*fresh = false;
	r = journal_read(state_dir, t->ifname, &old);
	if (r == 0 && journal_owner_running(&old)) {
		fprintf(stderr, "warren: tunnel %s: link %s belongs to the running %s\n", t->name,
			t->ifname, journal_owner_name(old.owner));
		plan_clear(&old);
		return -EBUSY;
	} else if (r == 0) {
		slot = old.slot;
		dns_methods = old.dns_methods;
		plan_clear(&old);
	} else if (r == -ENOENT) {
		/* Never take over a link someone else made. */
		if (link_get(nl, t->ifname, &l) == 0) {
			fprintf(stderr, "warren: tunnel %s: link %s exists and was not made by warren\n",
				t->name, t->ifname);
			return -EEXIST;
		}
		r = oneshot_slot(state_dir, &slot);
		if (r < 0) {
			fprintf(stderr, "warren: tunnel %s: no free routing table: %s\n", t->name,
				strerror(-r));
			return r;
		}
		*fresh = true;
	} else {
		fprintf(stderr, "warren: tunnel %s: journal %s/journal/%s: %s\n", t->name, state_dir,
			t->ifname, r == -EBADMSG ? "not a warren journal" : strerror(-r));
		return r;
	}
	opts.backend = wg_backend_kind(wgb);
	opts.slot = slot;
	r = plan_tunnel(&p, c, t, &opts, nl, &d);
	diag_print(&d, stderr);
	diag_clear(&d);
	if (r < 0)
		return r;
	p.owner = OWNER_UP;
	oneshot_sysctls(state_dir, &p, NULL);
	p.dns_methods = dns_methods;
	if (*fresh)
		oneshot_hooks(c, t, &t->hooks.pre_up, "PreUp");
	/* Written before the first object exists, so a crash midway still leaves a record. */
	r = journal_write(state_dir, &p);
	if (r < 0) {
		fprintf(stderr, "warren: tunnel %s: writing journal in %s: %s\n", t->name, state_dir,
			strerror(-r));
		goto out;
	}
	r = tunnel_apply(nl, wgb, &p, c->daemon.userspace_command, NULL, &st, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "warren: tunnel %s: %s\n", t->name, err);
		goto out;
	}
	/* As wg-quick: DNS once the link and its routes are in place, before PostUp. */
	r = oneshot_dns(nl, t, state_dir, &p);
	if (r < 0)
		goto out;
	if (*fresh)
		oneshot_hooks(c, t, &t->hooks.post_up, "PostUp");
out:
	plan_clear(&p);
	return r;
}

int cmd_up(int argc, char **argv)
{
	struct wg_backend *wgb = NULL;
	struct config *c = NULL;
	struct nl *nl = NULL;
	struct oneshot o;
	const char *state_dir;
	bool *fresh = NULL;
	size_t i, done = 0;
	int r;

	if (oneshot_args(&o, argc, argv) < 0)
		return cli_usage(cli_find(argv[0]), EXIT_USAGE);
	c = oneshot_load(&o);
	if (!c)
		return EXIT_USAGE;
	state_dir = o.state_dir ? o.state_dir : c->daemon.state_dir;
	r = nl_open(&nl, NETLINK_ROUTE);
	if (r == 0)
		r = wg_backend_open(&wgb, c->daemon.backend);
	if (r < 0) {
		fprintf(stderr, "warren up: %s backend: %s\n",
			c->daemon.backend == BACKEND_KERNEL ? "kernel" : "WireGuard", strerror(-r));
		goto out;
	}
	fresh = xcalloc(c->n_tunnels, sizeof(*fresh));
	for (i = 0; i < c->n_tunnels; i++, done++) {
		r = oneshot_up_one(nl, wgb, c, &c->tunnels[i], state_dir, &fresh[i]);
		if (r < 0)
			break;
		if (o.verbose)
			fprintf(stderr, "warren: tunnel %s: up on %s\n", c->tunnels[i].name,
				c->tunnels[i].ifname);
	}
	if (r < 0) {
		/* Roll back what this run created, the failed tunnel included; tunnels that were
		 * up before this run stay as they were. */
		for (i = done + 1; i-- > 0;)
			if (fresh[i])
				oneshot_remove(nl, wgb, state_dir, c->tunnels[i].ifname,
					       c->tunnels[i].name);
	}
out:
	free(fresh);
	wg_backend_close(wgb);
	nl_close(nl);
	config_free(c);
	return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}

int cmd_down(int argc, char **argv)
{
	struct wg_backend *wgb = NULL;
	struct config *c;
	struct nl *nl = NULL;
	struct oneshot o;
	const char *state_dir;
	int r, ret = EXIT_OK;
	size_t i;

	if (oneshot_args(&o, argc, argv) < 0)
		return cli_usage(cli_find(argv[0]), EXIT_USAGE);
	c = oneshot_load(&o);
	if (!c)
		return EXIT_USAGE;
	state_dir = o.state_dir ? o.state_dir : c->daemon.state_dir;
	r = nl_open(&nl, NETLINK_ROUTE);
	if (r < 0) {
		fprintf(stderr, "warren down: netlink: %s\n", strerror(-r));
		config_free(c);
		return EXIT_RUNTIME;
	}
	/* Only to empty kernel links before deleting them; userspace needs no handle. */
	if (wg_backend_open(&wgb, BACKEND_AUTO) < 0)
		wgb = NULL;
	for (i = c->n_tunnels; i-- > 0;) {
		const struct tunnel *t = &c->tunnels[i];

		oneshot_hooks(c, t, &t->hooks.pre_down, "PreDown");
		r = oneshot_remove(nl, wgb, state_dir, t->ifname, t->name);
		if (r == -ENOENT)
			fprintf(stderr, "warren: tunnel %s: %s is not up (no journal in %s/journal)\n",
				t->name, t->ifname, state_dir);
		else if (r == -EBADMSG)
			fprintf(stderr, "warren: tunnel %s: journal %s/journal/%s: not a warren journal\n",
				t->name, state_dir, t->ifname);
		if (r < 0) {
			ret = EXIT_RUNTIME;
			continue;
		}
		oneshot_hooks(c, t, &t->hooks.post_down, "PostDown");
	}
	wg_backend_close(wgb);
	nl_close(nl);
	config_free(c);
	return ret;
}
