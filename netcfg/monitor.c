/* The monitor's two multicast sockets and the filter that turns kernel notifications into
 * events about warren's own links, addresses, routes, rules and nftables table. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "monitor.h"
#include "nft.h"
#include "nlattr.h"
#include "../common/log.h"
#include "../common/util.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Kernels from 6.3 on have DESTROY variants; their notifications still use DEL types, but
 * a table that goes is recognized under either. */
#define NFT_MSG_DESTROYTABLE_ 26

/* Every nftables object message names its table in attribute 1, whatever the object. */
_Static_assert(NFTA_TABLE_NAME == 1 && NFTA_CHAIN_TABLE == 1 && NFTA_RULE_TABLE == 1 &&
	       NFTA_SET_TABLE == 1 && NFTA_SET_ELEM_LIST_TABLE == 1 && NFTA_OBJ_TABLE == 1 &&
	       NFTA_FLOWTABLE_TABLE == 1, "table name attribute");
#define NFTA_ANY_TABLE 1
_Static_assert(NFT_NETLINK_BUS == NETLINK_NETFILTER, "netfilter bus");

#define MON_BUFSIZE (64 * 1024)        /* any one notification; larger ones are truncated */
#define MON_RCVBUF (8 * 1024 * 1024)   /* a reconcile's worth of routes without overrun */
#define MON_BUDGET 1024                /* datagrams per monitor_read */
#define MON_OWN_GENS 8

struct mon_link {
	char name[LINK_NAMSIZ];
	int ifindex;
};

struct monitor {
	monitor_fn fn;
	void *data;
	int fd[MONITOR_NBUS];
	void *buf;

	struct mon_link *links;
	size_t n_links;
	uint8_t protocol;
	char nft_table[32];      /* "" watches no table */

	uint32_t own_gens[MON_OWN_GENS];
	size_t own_next;
	uint32_t last_gen;
	/* Object messages of a commit come first, its NEWGEN last: remember what the commit
	 * did to our table until its generation tells whether it was ours. */
	bool batch_touched, batch_deleted;
	uint32_t batch_portid;

	struct monitor_stats st;
};

struct monitor *monitor_new(monitor_fn fn, void *data)
{
	struct monitor *m = xcalloc(1, sizeof(*m));

	m->fn = fn;
	m->data = data;
	m->fd[MONITOR_RTNL] = m->fd[MONITOR_NFT] = -1;
	return m;
}

static void close_fds(struct monitor *m)
{
	int i;

	for (i = 0; i < MONITOR_NBUS; i++) {
		if (m->fd[i] >= 0)
			close(m->fd[i]);
		m->fd[i] = -1;
	}
}

void monitor_free(struct monitor *m)
{
	if (!m)
		return;
	close_fds(m);
	free(m->buf);
	free(m->links);
	free(m);
}

static struct mon_link *link_by_name(struct monitor *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->n_links; i++)
		if (strcmp(m->links[i].name, name) == 0)
			return &m->links[i];
	return NULL;
}

static struct mon_link *link_by_index(struct monitor *m, int ifindex)
{
	size_t i;

	if (ifindex <= 0)
		return NULL;
	for (i = 0; i < m->n_links; i++)
		if (m->links[i].ifindex == ifindex)
			return &m->links[i];
	return NULL;
}

int monitor_set_interest(struct monitor *m, const struct monitor_interest *in)
{
	struct mon_link *v = NULL, *old;
	size_t i;

	if (in->n_links) {
		if (!in->links)
			return -EINVAL;
		v = xcalloc(in->n_links, sizeof(*v));
	}
	for (i = 0; i < in->n_links; i++) {
		const char *name = in->links[i].name;

		if (!name || !name[0] || strlen(name) >= LINK_NAMSIZ || in->links[i].ifindex < 0) {
			free(v);
			return -EINVAL;
		}
		memcpy(v[i].name, name, strlen(name) + 1);
		v[i].ifindex = in->links[i].ifindex;
		old = link_by_name(m, name);
		if (!v[i].ifindex && old)
			v[i].ifindex = old->ifindex;
	}
	free(m->links);
	m->links = v;
	m->n_links = in->n_links;
	m->protocol = in->protocol;
	snprintf(m->nft_table, sizeof(m->nft_table), "%s", in->nft_table ? in->nft_table : "");
	return 0;
}

void monitor_own_nft_gen(struct monitor *m, uint32_t gen)
{
	if (!gen)
		return;
	m->own_gens[m->own_next] = gen;
	m->own_next = (m->own_next + 1) % MON_OWN_GENS;
}

uint32_t monitor_nft_gen(const struct monitor *m)
{
	return m->last_gen;
}

static bool own_gen(const struct monitor *m, uint32_t gen)
{
	size_t i;

	for (i = 0; i < MON_OWN_GENS; i++)
		if (gen && m->own_gens[i] == gen)
			return true;
	return false;
}

void monitor_stats(const struct monitor *m, struct monitor_stats *st)
{
	*st = m->st;
}

/* ---- sockets ---- */

static int open_bus(int bus, const unsigned int *groups, size_t n)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd, size = MON_RCVBUF, r;
	size_t i;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, bus);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	/* Root may pass net.core.rmem_max; otherwise the kernel caps SO_RCVBUF there. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i],
			       sizeof(groups[i])) < 0)
			goto fail;
	return fd;
fail:
	r = -errno;
	close(fd);
	return r;
}

int monitor_open(struct monitor *m)
{
	static const unsigned int rtnl_groups[] = {
		RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE,
		RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE,
	};
	static const unsigned int nft_groups[] = { NFNLGRP_NFTABLES };
	int r;

	if (m->fd[MONITOR_RTNL] >= 0)
		return -EALREADY;
	r = open_bus(NETLINK_ROUTE, rtnl_groups, ARRAY_SIZE(rtnl_groups));
	if (r < 0)
		goto out;
	m->fd[MONITOR_RTNL] = r;
	r = open_bus(NETLINK_NETFILTER, nft_groups, ARRAY_SIZE(nft_groups));
	if (r < 0)
		goto out;
	m->fd[MONITOR_NFT] = r;
	if (!m->buf)
		m->buf = xmalloc(MON_BUFSIZE);
	m->batch_touched = m->batch_deleted = false;
	return 0;
out:
	close_fds(m);
	return r;
}

void monitor_fds(const struct monitor *m, int fds[MONITOR_NBUS])
{
	fds[MONITOR_RTNL] = m->fd[MONITOR_RTNL];
	fds[MONITOR_NFT] = m->fd[MONITOR_NFT];
}

int monitor_read(struct monitor *m, int fd)
{
	enum monitor_bus bus;
	int total = 0, i, r;

	if (fd < 0)
		return -EBADF;
	if (fd == m->fd[MONITOR_RTNL])
		bus = MONITOR_RTNL;
	else if (fd == m->fd[MONITOR_NFT])
		bus = MONITOR_NFT;
	else
		return -EBADF;
	for (i = 0; i < MON_BUDGET; i++) {
		struct sockaddr_nl sa;
		struct iovec iov = { m->buf, MON_BUFSIZE };
		struct msghdr msg = {
			.msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1,
		};
		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			r = monitor_input_error(m, bus, -errno);
			if (r < 0)
				return r;
			total += r;
			continue;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			total += monitor_input_error(m, bus, -EMSGSIZE);
			continue;
		}
		/* Only the kernel speaks on these groups; a root process could inject. */
		if (msg.msg_namelen != sizeof(sa) || sa.nl_family != AF_NETLINK || sa.nl_pid != 0) {
			m->st.dropped++;
			continue;
		}
		total += monitor_input(m, bus, m->buf, (size_t)n);
	}
	return total;
}

/* ---- the filter ---- */

static int report(struct monitor *m, struct monitor_event *ev)
{
	m->st.reported++;
	if (m->fn)
		m->fn(ev, m->data);
	return 1;
}

int monitor_input_error(struct monitor *m, enum monitor_bus bus, int err)
{
	struct monitor_event ev;

	switch (err) {
	case -EAGAIN:
	case -EINTR:
		return 0;
	case -ENOBUFS:
	case -EMSGSIZE:
		break;
	default:
		return err;
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = MON_OVERRUN;
	ev.bus = bus;
	ev.nft_gen = m->last_gen;
	m->st.overruns++;
	/* Part of a commit may be gone; the full reconcile the overrun asks for covers it. */
	if (bus == MONITOR_NFT)
		m->batch_touched = m->batch_deleted = false;
	return report(m, &ev);
}

/* A parser's verdict on a message: malformed, or merely of a family we do not follow. */
static int refused(struct monitor *m, const struct nlmsghdr *nlh, int err)
{
	if (err == -EAFNOSUPPORT) {
		m->st.dropped++;
		return 0;
	}
	m->st.malformed++;
	log_debug("monitor: malformed notification type %u: %s", nlh->nlmsg_type,
		  strerror(-err));
	return 0;
}

static int on_link(struct monitor *m, const struct nlmsghdr *nlh, struct monitor_event *ev)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct mon_link *by_idx, *by_name;
	int err = link_parse(nlh, &ev->u.link);

	if (err < 0)
		return refused(m, nlh, err);
	/* link_parse checked the header is whole. Bridges repeat port changes as AF_BRIDGE
	 * messages on the same group; only the generic link message speaks for the link. */
	if (ifi->ifi_family != AF_UNSPEC) {
		m->st.dropped++;
		return 0;
	}
	by_idx = link_by_index(m, ev->u.link.index);
	by_name = link_by_name(m, ev->u.link.name);
	if (!by_idx && !by_name) {
		m->st.dropped++;
		return 0;
	}
	ev->kind = MON_LINK;
	ev->deleted = nlh->nlmsg_type == RTM_DELLINK;
	ev->ifindex = ev->u.link.index;
	/* A rename keeps the index: name the link as warren knows it. */
	memcpy(ev->ifname, (by_idx ? by_idx : by_name)->name, LINK_NAMSIZ);
	/* Learn before reporting, as the callback may replace the interest set. */
	if (ev->deleted) {
		if (by_idx)
			by_idx->ifindex = 0;
		if (by_name && by_name->ifindex == ev->ifindex)
			by_name->ifindex = 0;
	} else {
		if (by_idx && by_idx != by_name)
			by_idx->ifindex = 0;   /* renamed away: the name no longer means it */
		if (by_name)
			by_name->ifindex = ev->ifindex;
	}
	return report(m, ev);
}

static int on_addr(struct monitor *m, const struct nlmsghdr *nlh, struct monitor_event *ev)
{
	struct mon_link *l;
	int err = addr_parse(nlh, &ev->u.addr);

	if (err < 0)
		return refused(m, nlh, err);
	l = link_by_index(m, ev->u.addr.ifindex);
	if (!l) {
		m->st.dropped++;
		return 0;
	}
	ev->kind = MON_ADDR;
	ev->deleted = nlh->nlmsg_type == RTM_DELADDR;
	ev->ifindex = ev->u.addr.ifindex;
	memcpy(ev->ifname, l->name, LINK_NAMSIZ);
	return report(m, ev);
}

static int on_route(struct monitor *m, const struct nlmsghdr *nlh, struct monitor_event *ev)
{
	struct mon_link *l;
	int err;

	/* The protocol byte decides almost every message; skip the full parse for others. */
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(struct rtmsg)) {
		const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

		if (!m->protocol || rtm->rtm_protocol != m->protocol) {
			m->st.dropped++;
			return 0;
		}
	}
	err = route_parse(nlh, &ev->u.route);
	if (err < 0)
		return refused(m, nlh, err);
	if (route_msg_is_clone(nlh)) {
		m->st.dropped++;
		return 0;
	}
	ev->kind = MON_ROUTE;
	ev->deleted = nlh->nlmsg_type == RTM_DELROUTE;
	ev->ifindex = ev->u.route.oif;
	l = link_by_index(m, ev->ifindex);
	if (l)
		memcpy(ev->ifname, l->name, LINK_NAMSIZ);
	return report(m, ev);
}

static int on_rule(struct monitor *m, const struct nlmsghdr *nlh, struct monitor_event *ev)
{
	int err = rule_parse(nlh, &ev->u.rule);

	if (err < 0)
		return refused(m, nlh, err);
	if (!m->protocol || ev->u.rule.protocol != m->protocol) {
		m->st.dropped++;
		return 0;
	}
	ev->kind = MON_RULE;
	ev->deleted = nlh->nlmsg_type == RTM_DELRULE;
	return report(m, ev);
}

static int on_rtnl(struct monitor *m, const struct nlmsghdr *nlh)
{
	struct monitor_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.bus = MONITOR_RTNL;
	ev.portid = nlh->nlmsg_pid;
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		return on_link(m, nlh, &ev);
	case RTM_NEWADDR:
	case RTM_DELADDR:
		return on_addr(m, nlh, &ev);
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		return on_route(m, nlh, &ev);
	case RTM_NEWRULE:
	case RTM_DELRULE:
		return on_rule(m, nlh, &ev);
	default:
		m->st.dropped++;
		return 0;
	}
}

static const struct nlattr_policy gen_policy[NFTA_GEN_MAX + 1] = {
	[NFTA_GEN_ID] = { MNL_TYPE_U32, 0 },
	[NFTA_GEN_PROC_PID] = { MNL_TYPE_U32, 0 },
	[NFTA_GEN_PROC_NAME] = { MNL_TYPE_STRING, 0 },
};

static const struct nlattr_policy table_name_policy[NFTA_ANY_TABLE + 1] = {
	[NFTA_ANY_TABLE] = { MNL_TYPE_STRING, NFT_TABLE_MAXNAMELEN },
};

/* A string attribute equal to s, with or without its NUL. */
static bool attr_str_is(const struct nlattr *a, const char *s)
{
	size_t n = strlen(s), len = mnl_attr_get_payload_len(a);
	const char *p = mnl_attr_get_payload(a);

	return (len == n || (len > n && p[n] == '\0')) && memcmp(p, s, n) == 0;
}

/* The end of a commit: report it if it touched our table and was not our own. */
static int on_gen(struct monitor *m, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[NFTA_GEN_MAX + 1];
	struct monitor_event ev;
	bool touched = m->batch_touched, deleted = m->batch_deleted;
	int err;

	m->batch_touched = m->batch_deleted = false;
	memset(&ev, 0, sizeof(ev));
	err = nlattr_parse(nlh, sizeof(struct nfgenmsg), gen_policy, NFTA_GEN_MAX, tb);
	if (err == 0 && !tb[NFTA_GEN_ID])
		err = -EBADMSG;
	if (err < 0) {
		refused(m, nlh, err);
		/* Still the end of a commit; unsure whose, so a touch is reported. */
	} else {
		m->last_gen = ntohl(mnl_attr_get_u32(tb[NFTA_GEN_ID]));
		ev.nft_gen = m->last_gen;
		if (tb[NFTA_GEN_PROC_PID])
			ev.nft_pid = ntohl(mnl_attr_get_u32(tb[NFTA_GEN_PROC_PID]));
		if (tb[NFTA_GEN_PROC_NAME]) {
			const struct nlattr *a = tb[NFTA_GEN_PROC_NAME];
			size_t n = strnlen(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));

			if (n >= sizeof(ev.nft_comm))
				n = sizeof(ev.nft_comm) - 1;
			memcpy(ev.nft_comm, mnl_attr_get_payload(a), n);
		}
	}
	if (!touched || !m->nft_table[0] || (err == 0 && own_gen(m, ev.nft_gen))) {
		m->st.dropped++;
		return 0;
	}
	ev.kind = MON_NFT;
	ev.bus = MONITOR_NFT;
	ev.deleted = deleted;
	ev.portid = m->batch_portid;
	return report(m, &ev);
}

static int on_nft(struct monitor *m, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[NFTA_ANY_TABLE + 1];
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	uint16_t type = nlh->nlmsg_type & 0xff;
	int err;

	if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES) {
		m->st.dropped++;
		return 0;
	}
	if (type == NFT_MSG_NEWGEN)
		return on_gen(m, nlh);
	err = nlattr_parse(nlh, sizeof(*nfg), table_name_policy, NFTA_ANY_TABLE, tb);
	if (err < 0)
		return refused(m, nlh, err);
	if (nfg->nfgen_family != NFPROTO_INET || !tb[NFTA_ANY_TABLE] ||
	    !m->nft_table[0] || !attr_str_is(tb[NFTA_ANY_TABLE], m->nft_table)) {
		m->st.dropped++;
		return 0;
	}
	/* Neither reported nor dropped yet: the commit's NEWGEN settles it. */
	m->batch_touched = true;
	m->batch_portid = nlh->nlmsg_pid;
	if (type == NFT_MSG_DELTABLE || type == NFT_MSG_DESTROYTABLE_)
		m->batch_deleted = true;
	else if (type == NFT_MSG_NEWTABLE)
		m->batch_deleted = false;
	return 0;
}

int monitor_input(struct monitor *m, enum monitor_bus bus, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int left = len > INT_MAX ? INT_MAX : (int)len, n = 0;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		m->st.messages++;
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE) {
			m->st.dropped++;   /* NOOP, DONE, ERROR: nothing a notification carries */
			continue;
		}
		n += bus == MONITOR_NFT ? on_nft(m, nlh) : on_rtnl(m, nlh);
	}
	if (left > 0)
		m->st.malformed++;   /* trailing bytes that are no whole message */
	return n;
}
