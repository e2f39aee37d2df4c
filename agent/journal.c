/* Journal files: one text record per object, so `down` and a restart after a crash know
 * exactly what warren made, even when the configuration changed meanwhile. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "linkdns.h"
#include "../common/util.h"

#define JOURNAL_MAGIC "warren-journal 1"

static int journal_dir(const char *state_dir, char *buf, size_t size, bool create)
{
	if ((size_t)snprintf(buf, size, "%s/journal", state_dir) >= size)
		return -ENAMETOOLONG;
	if (!create)
		return 0;
	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static const char *str_or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static const char *backend_name(enum backend b)
{
	return b == BACKEND_KERNEL ? "kernel" : "userspace";
}

static const char *const owner_names[] = {
	[OWNER_UNKNOWN] = NULL, [OWNER_AGENT] = "agent", [OWNER_UP] = "up", [OWNER_SERVER] = "server",
};

static void write_cidr(FILE *f, const struct cidr *c)
{
	char buf[CIDR_STRLEN];

	fprintf(f, " %s", c->family ? cidr_fmt(c, buf) : "-");
}

static void journal_format(FILE *f, const struct plan *p)
{
	size_t i;

	fprintf(f, "%s\n", JOURNAL_MAGIC);
	if (owner_names[p->owner])
		fprintf(f, "owner %s\n", owner_names[p->owner]);
	/* A daemon's journal says who holds it, so `warren down` tells a crash from a run. */
	if (p->owner == OWNER_AGENT || p->owner == OWNER_SERVER)
		fprintf(f, "pid %d\n", (int)getpid());
	fprintf(f, "tunnel %s %s %s %u %" PRIu32 "\n", p->name, str_or_dash(p->ifname),
		backend_name(p->backend), p->slot, p->mtu);
	for (i = 0; i < p->n_addrs; i++) {
		fprintf(f, "addr");
		write_cidr(f, &p->addrs[i]);
		fputc('\n', f);
	}
	for (i = 0; i < p->n_routes; i++) {
		const struct route *r = &p->routes[i];

		fprintf(f, "route");
		write_cidr(f, &r->dst);
		fprintf(f, " %" PRIu32 " %d %u %" PRIu32 "\n", r->table, (int)r->type, r->protocol,
			r->metric);
	}
	for (i = 0; i < p->n_rules; i++) {
		const struct rule *r = &p->rules[i];

		fprintf(f, "rule %d %" PRIu32 " %" PRIu32 " %" PRIu32 " %" PRIu32 " %d %d", r->family,
			r->priority, r->table, r->fwmark, r->fwmask, r->invert, r->suppress_prefixlength);
		write_cidr(f, &r->src);
		write_cidr(f, &r->dst);
		fprintf(f, " %s %s %u %d\n", str_or_dash(r->iif), str_or_dash(r->oif), r->protocol,
			(int)r->action);
	}
	for (i = 0; i < p->n_sysctls; i++)
		fprintf(f, "sysctl %s %s %s\n", p->sysctls[i].path, p->sysctls[i].value,
			str_or_dash(p->sysctls[i].old));
	if (p->dns_methods) {
		fprintf(f, "dns");
		for (i = 1; i <= LINKDNS_METHODS; i <<= 1)
			if (p->dns_methods & i)
				fprintf(f, " %s", linkdns_method_name((unsigned int)i));
		fputc('\n', f);
	}
}

int journal_write(const char *state_dir, const struct plan *p)
{
	char dir[4096], path[4096 + 32], tmp[4096 + 40];
	FILE *f = NULL;
	int fd = -1, r;

	r = journal_dir(state_dir, dir, sizeof(dir), true);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s", dir, p->ifname[0] ? p->ifname : JOURNAL_GLOBAL);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, p->ifname[0] ? p->ifname : JOURNAL_GLOBAL);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		goto out;
	}
	journal_format(f, p);
	/* The journal must be on disk before the objects it names exist. */
	if (fflush(f) != 0 || fdatasync(fd) < 0) {
		r = -errno;
		goto out;
	}
	if (rename(tmp, path) < 0)
		r = -errno;
out:
	if (f && fclose(f) != 0 && r == 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

static int read_cidr(const char *s, struct cidr *c)
{
	memset(c, 0, sizeof(*c));
	if (strcmp(s, "-") == 0)
		return 0;
	return cidr_parse(c, s) < 0 ? -EBADMSG : 0;
}

static int read_name(char *dst, size_t size, const char *s)
{
	if (strcmp(s, "-") == 0) {
		dst[0] = '\0';
		return 0;
	}
	return strlcpy_check(dst, s, size) < 0 ? -EBADMSG : 0;
}

/* One line into p; the file is warren's own, but a torn or edited one must not crash. */
static int journal_parse_line(struct plan *p, char *line)
{
	char a[64], b[64], c[64], d[64];
	unsigned int u1, u2, u3;
	int i1, i2, i3, n = 0;

	if (sscanf(line, "tunnel %63s %63s %63s %u %u%n", a, b, c, &u1, &u2, &n) == 5 && !line[n]) {
		if (read_name(p->name, sizeof(p->name), a) < 0 ||
		    read_name(p->ifname, sizeof(p->ifname), b) < 0 || u1 >= PLAN_SLOTS)
			return -EBADMSG;
		if (strcmp(c, "kernel") == 0)
			p->backend = BACKEND_KERNEL;
		else if (strcmp(c, "userspace") == 0)
			p->backend = BACKEND_USERSPACE;
		else
			return -EBADMSG;
		p->slot = u1;
		p->mtu = u2;
		return 0;
	}
	if (sscanf(line, "pid %d%n", &i1, &n) == 1 && !line[n]) {
		if (i1 <= 0)
			return -EBADMSG;
		p->owner_pid = i1;
		return 0;
	}
	if (sscanf(line, "owner %63s%n", a, &n) == 1 && !line[n]) {
		for (u1 = 0; u1 < ARRAY_SIZE(owner_names); u1++) {
			if (owner_names[u1] && strcmp(a, owner_names[u1]) == 0) {
				p->owner = (enum plan_owner)u1;
				return 0;
			}
		}
		return -EBADMSG;
	}
	if (sscanf(line, "addr %63s%n", a, &n) == 1 && !line[n]) {
		struct cidr *x = array_push(&p->addrs, &p->n_addrs, sizeof(*x));

		return read_cidr(a, x) < 0 || !x->family ? -EBADMSG : 0;
	}
	if (sscanf(line, "route %63s %u %d %u %u%n", a, &u1, &i1, &u2, &u3, &n) == 5 && !line[n]) {
		struct route *r = array_push(&p->routes, &p->n_routes, sizeof(*r));

		if (read_cidr(a, &r->dst) < 0 || !r->dst.family || i1 < 0 || i1 > ROUTE_OTHER || u2 > 255)
			return -EBADMSG;
		r->family = r->dst.family;
		r->table = u1;
		r->type = (enum route_type)i1;
		r->protocol = (uint8_t)u2;
		r->metric = u3;
		return 0;
	}
	if (strncmp(line, "rule ", 5) == 0) {
		struct rule *r = array_push(&p->rules, &p->n_rules, sizeof(*r));
		unsigned int mark, mask, prio, table;

		int action;

		if (sscanf(line, "rule %d %u %u %u %u %d %d %63s %63s %63s %63s %u %d%n", &i1, &prio,
			   &table, &mark, &mask, &i2, &i3, a, b, c, d, &u1, &action, &n) != 13 ||
		    line[n])
			return -EBADMSG;
		if ((i1 != AF_INET && i1 != AF_INET6) || read_cidr(a, &r->src) < 0 ||
		    read_cidr(b, &r->dst) < 0 || read_name(r->iif, sizeof(r->iif), c) < 0 ||
		    read_name(r->oif, sizeof(r->oif), d) < 0 || u1 > 255 || i3 < -1 || i3 > 128 ||
		    action < 0 || action > RULE_OTHER)
			return -EBADMSG;
		r->family = i1;
		r->priority = prio;
		r->table = table;
		r->fwmark = mark;
		r->fwmask = mask;
		r->invert = i2 != 0;
		r->suppress_prefixlength = i3;
		r->protocol = (uint8_t)u1;
		r->action = (enum rule_action)action;
		return 0;
	}
	if (sscanf(line, "sysctl %63s %63s %63s%n", a, b, c, &n) == 3 && !line[n]) {
		struct plan_sysctl *s = array_push(&p->sysctls, &p->n_sysctls, sizeof(*s));

		if (strstr(a, "..") || read_name(s->path, sizeof(s->path), a) < 0 ||
		    read_name(s->value, sizeof(s->value), b) < 0 ||
		    read_name(s->old, sizeof(s->old), c) < 0)
			return -EBADMSG;
		return 0;
	}
	if (strncmp(line, "dns ", 4) == 0) {
		char *save = NULL, *w;
		unsigned int m;

		for (w = strtok_r(line + 4, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
			if (linkdns_method_parse(w, &m) < 0)
				return -EBADMSG;
			p->dns_methods |= m;
		}
		return p->dns_methods ? 0 : -EBADMSG;
	}
	return -EBADMSG;
}

int journal_read(const char *state_dir, const char *ifname, struct plan *p)
{
	char dir[4096], path[4096 + 32], line[512];
	bool first = true;
	FILE *f;
	int r = 0;

	memset(p, 0, sizeof(*p));
	r = journal_dir(state_dir, dir, sizeof(dir), false);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s", dir, ifname);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (r == 0 && fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		if (len == 0 || line[len - 1] != '\n') {
			r = -EBADMSG;
			break;
		}
		line[len - 1] = '\0';
		if (first) {
			r = strcmp(line, JOURNAL_MAGIC) == 0 ? 0 : -EBADMSG;
			first = false;
			continue;
		}
		r = journal_parse_line(p, line);
	}
	if (r == 0 && (first || strcmp(p->ifname[0] ? p->ifname : JOURNAL_GLOBAL, ifname) != 0))
		r = -EBADMSG;
	fclose(f);
	if (r < 0)
		plan_clear(p);
	return r;
}

int journal_remove(const char *state_dir, const char *ifname)
{
	char dir[4096], path[4096 + 32];
	int r;

	r = journal_dir(state_dir, dir, sizeof(dir), false);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s", dir, ifname);
	return unlink(path) < 0 ? -errno : 0;
}

int journal_list(const char *state_dir, char (**ifnames)[IFNAME_MAX + 1], size_t *n)
{
	char dir[4096];
	struct dirent *de;
	DIR *dp;
	int r;

	*ifnames = NULL;
	*n = 0;
	r = journal_dir(state_dir, dir, sizeof(dir), false);
	if (r < 0)
		return r;
	dp = opendir(dir);
	if (!dp)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dp))) {
		char (*slot)[IFNAME_MAX + 1];

		if (de->d_name[0] == '.' || strlen(de->d_name) > IFNAME_MAX)
			continue;
		slot = array_push(ifnames, n, sizeof(**ifnames));
		memcpy(*slot, de->d_name, strlen(de->d_name) + 1);
	}
	closedir(dp);
	return 0;
}

void journal_sysctls_shared(const char *state_dir, const char *self, struct plan *p, bool *held)
{
	char (*names)[IFNAME_MAX + 1] = NULL, (*global)[IFNAME_MAX + 1];
	size_t n = 0, i, j, k;

	for (k = 0; held && k < p->n_sysctls; k++)
		held[k] = false;
	if (!p->n_sysctls || journal_list(state_dir, &names, &n) < 0)
		return;
	/* The agent's routing journal is hidden from journal_list, but holds sysctls too. */
	global = array_push(&names, &n, sizeof(*names));
	snprintf(*global, sizeof(*global), "%s", JOURNAL_GLOBAL);
	for (i = 0; i < n; i++) {
		struct plan other;

		if (strcmp(names[i], self) == 0 || journal_read(state_dir, names[i], &other) < 0)
			continue;
		for (j = 0; j < other.n_sysctls; j++) {
			for (k = 0; k < p->n_sysctls; k++) {
				if (strcmp(other.sysctls[j].path, p->sysctls[k].path) != 0)
					continue;
				if (held)
					held[k] = true;
				else
					memcpy(p->sysctls[k].old, other.sysctls[j].old, SYSCTL_VALUE_MAX);
			}
		}
		plan_clear(&other);
	}
	free(names);
}

bool journal_owner_running(const struct plan *p)
{
	char path[32], comm[32] = "";
	FILE *f;

	if (p->owner != OWNER_AGENT && p->owner != OWNER_SERVER)
		return false;
	/* Without a pid (an older journal) it may be running: assume so. */
	if (p->owner_pid <= 0)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/comm", p->owner_pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	/* A pid reused by another program is no warren. */
	return strncmp(comm, "warren", 6) == 0;
}

const char *journal_owner_name(enum plan_owner o)
{
	return owner_names[o] ? owner_names[o] : "an earlier warren";
}
