/* systemd-resolved through sd-bus: each call is built once, then sent either blocking (with
 * a timeout) or on the loop, where sd-bus's descriptor and timeout join the epoll set. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "resolved.h"
#include "sdbus.h"
#include "../common/util.h"

#define RESOLVE1 "org.freedesktop.resolve1"
#define RESOLVE1_PATH "/org/freedesktop/resolve1"
#define RESOLVE1_MANAGER "org.freedesktop.resolve1.Manager"
#define SYSTEM_BUS_SOCKET "/run/dbus/system_bus_socket"
/* resolved answers within a millisecond; one that hangs must not hold `warren up`, nor the
 * agent's stop, for long. */
#define CALL_USEC (2 * 1000 * 1000)
#define CALLS_MAX 3

struct call {
	struct resolved *r;
	sd_bus_slot *slots[CALLS_MAX];
	size_t n_slots;
	size_t pending;
	bool probe;                 /* GetConnectionUnixProcessID: the answer is a pid */
	bool revert;                /* RevertLink: a link resolved does not know is fine */
	int result;
	char err[256];
	resolved_fn fn;
	void *ctx;
	struct call *next;
};

struct resolved {
	const struct sdbus_api *api;
	sd_bus *bus;                /* NULL after the connection broke, until the next call */
	struct loop *loop;          /* NULL: every call blocks */
	struct timer *timer;
	int fd;
	struct call *calls;         /* waiting for answers */
	char err[256];              /* why the last blocking call failed */
};

/* ---- answers ---- */

/* An error answer as -errno and one line. */
static int map_error(const sd_bus_error *e, int fallback, char *err, size_t size)
{
	static const struct { const char *name; int r; const char *text; } known[] = {
		{ "org.freedesktop.DBus.Error.NameHasNoOwner", -ENOENT, "systemd-resolved is not running" },
		{ "org.freedesktop.DBus.Error.ServiceUnknown", -ENOENT, "systemd-resolved is not running" },
		{ "org.freedesktop.resolve1.NoSuchLink", -ENODEV, "systemd-resolved does not know the link" },
		{ "org.freedesktop.DBus.Error.NoReply", -ETIMEDOUT, "systemd-resolved did not answer" },
		{ "org.freedesktop.DBus.Error.Timeout", -ETIMEDOUT, "systemd-resolved did not answer" },
		{ "org.freedesktop.DBus.Error.AccessDenied", -EACCES, NULL },
	};
	size_t i;

	for (i = 0; e && e->name && i < ARRAY_SIZE(known); i++) {
		if (strcmp(e->name, known[i].name) != 0)
			continue;
		snprintf(err, size, "%s", known[i].text ? known[i].text : e->message ? e->message : e->name);
		return known[i].r;
	}
	if (e && e->name) {
		snprintf(err, size, "systemd-resolved: %s", e->message ? e->message : e->name);
		return fallback < 0 ? fallback : -EIO;
	}
	snprintf(err, size, "system bus: %s", strerror(fallback < 0 ? -fallback : EIO));
	return fallback < 0 ? fallback : -EIO;
}

/* resolved learns of links through rtnetlink in its own namespace: one in another
 * namespace would take our link's index for one of its own. */
static int same_netns(uint32_t pid, char *err, size_t size)
{
	struct stat self, other;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
	/* Not visible (another pid namespace): nothing to tell them apart by. */
	if (stat("/proc/self/ns/net", &self) < 0 || stat(path, &other) < 0)
		return 0;
	if (self.st_ino == other.st_ino && self.st_dev == other.st_dev)
		return 0;
	snprintf(err, size, "systemd-resolved (pid %u) serves another network namespace", pid);
	return -EXDEV;
}

/* The answer to one call of c, into c's result. */
static void call_answer(struct call *c, sd_bus_message *m, const sd_bus_error *e, int k)
{
	uint32_t pid = 0;
	int r = k;

	if (r >= 0 && !e && c->probe) {
		r = c->r->api->message_read(m, "u", &pid);
		r = r < 0 ? map_error(NULL, r, c->err, sizeof(c->err)) :
			    same_netns(pid, c->err, sizeof(c->err));
	} else if (e || r < 0) {
		char why[sizeof(c->err)];

		r = map_error(e, r, why, sizeof(why));
		if (r == -ENODEV && c->revert)
			r = 0;
		else if (c->result == 0)
			snprintf(c->err, sizeof(c->err), "%s", why);
	} else {
		r = 0;
	}
	if (c->result == 0 && r < 0)
		c->result = r;
}

static void call_free(struct call *c)
{
	size_t i;

	for (i = 0; i < c->n_slots; i++)
		c->r->api->slot_unref(c->slots[i]);
	free(c);
}

static void call_unlink(struct call *c)
{
	struct call **pp;

	for (pp = &c->r->calls; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			return;
		}
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct call *c = userdata;

	(void)ret_error;
	call_answer(c, m, c->r->api->message_get_error(m), 0);
	if (--c->pending == 0) {
		resolved_fn fn = c->fn;
		void *ctx = c->ctx;
		char err[sizeof(c->err)];
		int r = c->result;

		/* Out of the list first: the callback may start or cancel calls. */
		call_unlink(c);
		snprintf(err, sizeof(err), "%s", c->err);
		call_free(c);
		fn(ctx, r, err);
	}
	return 0;
}

/* ---- the connection on the loop ---- */

static void bus_broken(struct resolved *r, int k);

static void bus_update(struct resolved *r)
{
	struct timespec ts;
	uint64_t usec, now;
	int ev;

	if (!r->loop || !r->bus)
		return;
	ev = r->api->get_events(r->bus);
	if (ev < 0) {
		bus_broken(r, ev);
		return;
	}
	loop_mod_fd(r->loop, r->fd, (ev & POLLIN ? EPOLLIN : 0) | (ev & POLLOUT ? EPOLLOUT : 0));
	if (r->api->get_timeout(r->bus, &usec) < 0 || usec == UINT64_MAX) {
		timer_disarm(r->timer);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	timer_arm(r->timer, usec > now ? (usec - now + 999) / 1000 : 0);
}

static void bus_run(struct resolved *r)
{
	int k;

	do
		k = r->api->process(r->bus, NULL);
	while (k > 0 && r->bus);
	if (k < 0)
		bus_broken(r, k);
	else
		bus_update(r);
}

static void on_io(struct loop *l, int fd, uint32_t events, void *data)
{
	(void)l;
	(void)fd;
	(void)events;
	bus_run(data);
}

static void on_timer(struct loop *l, struct timer *t, void *data)
{
	(void)l;
	(void)t;
	bus_run(data);
}

static void bus_close(struct resolved *r)
{
	if (r->loop && r->fd >= 0)
		loop_del_fd(r->loop, r->fd);
	if (r->timer)
		timer_disarm(r->timer);
	r->fd = -1;
	if (r->bus)
		r->api->flush_close_unref(r->bus);
	r->bus = NULL;
}

/* Calls still waiting get the error; the next call connects again. */
static void bus_broken(struct resolved *r, int k)
{
	struct call *c = r->calls, *next;
	char err[256];

	r->calls = NULL;
	/* Slots hold the bus: let go of them before it. */
	for (next = c; next; next = next->next) {
		size_t i;

		for (i = 0; i < next->n_slots; i++)
			r->api->slot_unref(next->slots[i]);
		next->n_slots = 0;
	}
	bus_close(r);
	map_error(NULL, k, err, sizeof(err));
	for (; c; c = next) {
		next = c->next;
		c->fn(c->ctx, k, err);
		free(c);
	}
}

static int bus_connect(struct resolved *r)
{
	int k;

	if (r->bus)
		return 0;
	k = r->api->open_system(&r->bus);
	if (k < 0) {
		r->bus = NULL;
		return k;
	}
	if (!r->loop)
		return 0;
	r->fd = r->api->get_fd(r->bus);
	k = r->fd < 0 ? r->fd : loop_add_fd(r->loop, r->fd, EPOLLIN, on_io, r);
	if (k < 0) {
		r->fd = -1;
		bus_close(r);
		return k;
	}
	bus_update(r);
	return 0;
}

int resolved_open(struct resolved **rp, struct loop *l)
{
	const struct sdbus_api *api;
	struct resolved *r;
	struct stat st;
	int k;

	*rp = NULL;
	/* sd-bus reads the same variable; without it the bus is at the well-known socket.
	 * Looked at first, so a host without a bus never loads libsystemd. */
	if (!getenv("DBUS_SYSTEM_BUS_ADDRESS") &&
	    (stat(SYSTEM_BUS_SOCKET, &st) < 0 || !S_ISSOCK(st.st_mode)))
		return -ENOENT;
	api = sdbus_load();
	if (!api)
		return -ENOENT;
	r = xcalloc(1, sizeof(*r));
	r->api = api;
	r->loop = l;
	r->fd = -1;
	if (l)
		r->timer = timer_new(l, on_timer, r);
	k = bus_connect(r);
	if (k < 0) {
		resolved_close(r);
		return k;
	}
	*rp = r;
	return 0;
}

void resolved_close(struct resolved *r)
{
	struct call *c, *next;

	if (!r)
		return;
	for (c = r->calls; c; c = next) {
		next = c->next;
		call_free(c);
	}
	r->calls = NULL;
	bus_close(r);
	if (r->timer)
		timer_free(r->timer);
	free(r);
}

const char *resolved_error(const struct resolved *r)
{
	return r->err;
}

void resolved_cancel(struct resolved *r, void *ctx)
{
	struct call **pp = &r->calls, *c;

	while ((c = *pp)) {
		if (c->ctx == ctx) {
			*pp = c->next;
			call_free(c);
		} else {
			pp = &c->next;
		}
	}
}

/* ---- messages ---- */

static int new_call(struct resolved *r, sd_bus_message **m, const char *member)
{
	return r->api->message_new_method_call(r->bus, m, RESOLVE1, RESOLVE1_PATH, RESOLVE1_MANAGER,
					      member);
}

static int build_dns(struct resolved *r, sd_bus_message **m, int ifindex, const struct cidrv *servers)
{
	const struct sdbus_api *api = r->api;
	size_t i;
	int k;

	k = new_call(r, m, "SetLinkDNS");
	if (k >= 0)
		k = api->message_append(*m, "i", ifindex);
	if (k >= 0)
		k = api->message_open_container(*m, 'a', "(iay)");
	for (i = 0; k >= 0 && i < servers->n; i++) {
		const struct cidr *s = &servers->v[i];

		k = api->message_open_container(*m, 'r', "iay");
		if (k >= 0)
			k = api->message_append(*m, "i", s->family);
		if (k >= 0)
			k = api->message_append_array(*m, 'y', s->addr, (size_t)cidr_addrlen(s));
		if (k >= 0)
			k = api->message_close_container(*m);
	}
	if (k >= 0)
		k = api->message_close_container(*m);
	return k;
}

void resolved_domains(const struct dns_conf *dc, const char ***names, bool **routing_only,
		      size_t *n, bool *default_route)
{
	bool root = false;
	size_t i, k = 0;

	*names = xcalloc(dc->domains.n + 1, sizeof(**names));
	*routing_only = xcalloc(dc->domains.n + 1, sizeof(**routing_only));
	for (i = 0; i < dc->domains.n; i++) {
		const char *d = dc->domains.v[i];
		bool ro = d[0] == '~';

		if (ro)
			d++;
		if (ro && strcmp(d, ".") == 0)
			root = true;
		(*names)[k] = d;
		(*routing_only)[k++] = ro;
	}
	/* "~.": every query goes to the full tunnel's servers, none leaks past it. */
	if (dc->full && !root) {
		(*names)[k] = ".";
		(*routing_only)[k++] = true;
		root = true;
	}
	*n = k;
	*default_route = root || dc->domains.n == 0;
}

static int build_domains(struct resolved *r, sd_bus_message **m, int ifindex,
			 const struct dns_conf *dc, bool *default_route)
{
	const struct sdbus_api *api = r->api;
	const char **names;
	bool *ro;
	size_t i, n;
	int k;

	resolved_domains(dc, &names, &ro, &n, default_route);
	k = new_call(r, m, "SetLinkDomains");
	if (k >= 0)
		k = api->message_append(*m, "i", ifindex);
	if (k >= 0)
		k = api->message_open_container(*m, 'a', "(sb)");
	for (i = 0; k >= 0 && i < n; i++)
		k = api->message_append(*m, "(sb)", names[i], (int)ro[i]);
	if (k >= 0)
		k = api->message_close_container(*m);
	free(names);
	free(ro);
	return k;
}

static int build_link_call(struct resolved *r, sd_bus_message **m, const char *member, int ifindex,
			   const int *flag)
{
	int k = new_call(r, m, member);

	if (k >= 0)
		k = r->api->message_append(*m, "i", ifindex);
	if (k >= 0 && flag)
		k = r->api->message_append(*m, "b", *flag);
	return k;
}

/* ---- sending ---- */

static void msgs_free(struct resolved *r, sd_bus_message **msgs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		r->api->message_unref(msgs[i]);
}

/* Send msgs in order; blocking mode answers through fn before returning. */
static int send_all(struct resolved *r, sd_bus_message **msgs, size_t n, bool probe, bool revert,
		    resolved_fn fn, void *ctx)
{
	struct call *c = xcalloc(1, sizeof(*c));
	size_t i;
	int k = 0;

	c->r = r;
	c->probe = probe;
	c->revert = revert;
	c->fn = fn;
	c->ctx = ctx;
	if (!r->loop || !fn) {
		for (i = 0; i < n && c->result == 0; i++) {
			sd_bus_error e = SD_BUS_ERROR_NULL;
			sd_bus_message *reply = NULL;

			k = r->api->call(r->bus, msgs[i], CALL_USEC, &e, &reply);
			call_answer(c, reply, e.name ? &e : NULL, k);
			r->api->error_free(&e);
			r->api->message_unref(reply);
		}
		k = c->result;
		snprintf(r->err, sizeof(r->err), "%s", c->err);
		free(c);
		if (k == -ENOTCONN || k == -ECONNRESET || k == -EPIPE)
			bus_broken(r, k);
		else
			bus_update(r);   /* answers to other calls may wait in sd-bus's queue now */
		if (fn)
			fn(ctx, k, r->err);
		return k;
	}
	for (i = 0; i < n; i++) {
		k = r->api->call_async(r->bus, &c->slots[c->n_slots], msgs[i], on_reply, c, CALL_USEC);
		if (k < 0)
			break;
		c->n_slots++;
		c->pending++;
	}
	if (k < 0) {
		call_free(c);
		bus_update(r);
		return k;
	}
	c->next = r->calls;
	r->calls = c;
	bus_update(r);
	return 0;
}

int resolved_probe(struct resolved *r, resolved_fn fn, void *ctx)
{
	sd_bus_message *m = NULL;
	int k = bus_connect(r);

	if (k >= 0)
		k = r->api->message_new_method_call(r->bus, &m, "org.freedesktop.DBus",
						   "/org/freedesktop/DBus", "org.freedesktop.DBus",
						   "GetConnectionUnixProcessID");
	if (k >= 0)
		k = r->api->message_append(m, "s", RESOLVE1);
	if (k >= 0)
		k = send_all(r, &m, 1, true, false, fn, ctx);
	if (m)
		r->api->message_unref(m);
	return k;
}

int resolved_set(struct resolved *r, int ifindex, const struct dns_conf *dc, resolved_fn fn,
		 void *ctx)
{
	sd_bus_message *msgs[CALLS_MAX] = { NULL };
	bool def = false;
	int k = bus_connect(r), flag;

	if (k >= 0)
		k = build_dns(r, &msgs[0], ifindex, &dc->servers);
	if (k >= 0)
		k = build_domains(r, &msgs[1], ifindex, dc, &def);
	flag = def;
	if (k >= 0)
		k = build_link_call(r, &msgs[2], "SetLinkDefaultRoute", ifindex, &flag);
	if (k >= 0)
		k = send_all(r, msgs, CALLS_MAX, false, false, fn, ctx);
	msgs_free(r, msgs, CALLS_MAX);
	return k;
}

int resolved_revert(struct resolved *r, int ifindex, resolved_fn fn, void *ctx)
{
	sd_bus_message *m = NULL;
	int k = bus_connect(r);

	if (k >= 0)
		k = build_link_call(r, &m, "RevertLink", ifindex, NULL);
	if (k >= 0)
		k = send_all(r, &m, 1, false, true, fn, ctx);
	if (m)
		r->api->message_unref(m);
	return k;
}
