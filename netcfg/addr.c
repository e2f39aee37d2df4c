/* Interface addresses over rtnetlink, requests shaped like iproute2's `ip address`. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "addr.h"
#include "nlattr.h"
#include "../common/util.h"

#define REQ_WORDS 128       /* 512 bytes: an address request is under 100 */

static const struct nlattr_policy addr_policy[IFA_MAX + 1] = {
	[IFA_ADDRESS] = { MNL_TYPE_BINARY, 0 },   /* length checked against the family */
	[IFA_LOCAL] = { MNL_TYPE_BINARY, 0 },
	[IFA_LABEL] = { MNL_TYPE_NUL_STRING, 16 },
	[IFA_FLAGS] = { MNL_TYPE_U32, 0 },
};

static int addr_valid(const struct cidr *a)
{
	if (a->family == AF_INET)
		return a->prefix <= 32 ? 0 : -EINVAL;
	if (a->family == AF_INET6)
		return a->prefix <= 128 ? 0 : -EINVAL;
	return -EAFNOSUPPORT;
}

static int addr_build(struct nl *nl, void *buf, size_t size, enum addr_op op, int ifindex,
		      const struct cidr *a, unsigned int flags)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	uint32_t kflags = 0;
	int r = addr_valid(a);

	if (r < 0)
		return r;
	if (ifindex <= 0 || (op != ADDR_OP_ADD && op != ADDR_OP_DEL))
		return -EINVAL;
	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*ifa)))
		return -EMSGSIZE;
	if (flags & ADDR_NODAD)
		kflags |= IFA_F_NODAD;
	if (flags & ADDR_NOPREFIXROUTE)
		kflags |= IFA_F_NOPREFIXROUTE;
	if (op == ADDR_OP_ADD)
		nlh = nl_msg(nl, buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
	else
		nlh = nl_msg(nl, buf, RTM_DELADDR, 0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)a->family;
	ifa->ifa_prefixlen = a->prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	/* As iproute2: the 8-bit field when the flags fit, else the 32-bit IFA_FLAGS. */
	if (kflags <= 0xff)
		ifa->ifa_flags = (uint8_t)kflags;
	/* Both attributes, as iproute2 sends them: IPv4 keys on IFA_LOCAL, and IFA_ADDRESS
	 * equal to it says "no point-to-point peer". */
	if (!mnl_attr_put_check(nlh, size, IFA_LOCAL, (size_t)cidr_addrlen(a), a->addr) ||
	    !mnl_attr_put_check(nlh, size, IFA_ADDRESS, (size_t)cidr_addrlen(a), a->addr))
		return -EMSGSIZE;
	if (kflags > 0xff && !mnl_attr_put_u32_check(nlh, size, IFA_FLAGS, kflags))
		return -EMSGSIZE;
	return 0;
}

/* A failed build gives its sequence number back, so the messages a caller lays into one
 * batch stay consecutive and nl_talk_batch's failed index stays right. */
int addr_msg(struct nl *nl, void *buf, size_t size, enum addr_op op, int ifindex,
	     const struct cidr *a, unsigned int flags)
{
	uint32_t seq = nl->seq;
	int r = addr_build(nl, buf, size, op, ifindex, a, flags);

	if (r < 0)
		nl->seq = seq;
	return r;
}

static int addr_send(struct nl *nl, enum addr_op op, int ifindex, const struct cidr *a,
		     unsigned int flags)
{
	uint32_t buf[REQ_WORDS];
	int r = addr_msg(nl, buf, sizeof(buf), op, ifindex, a, flags);

	return r < 0 ? r : nl_talk(nl, (struct nlmsghdr *)buf, NULL, NULL);
}

int addr_add(struct nl *nl, int ifindex, const struct cidr *a, unsigned int flags)
{
	return addr_send(nl, ADDR_OP_ADD, ifindex, a, flags);
}

int addr_del(struct nl *nl, int ifindex, const struct cidr *a)
{
	return addr_send(nl, ADDR_OP_DEL, ifindex, a, 0);
}

int addr_parse(const struct nlmsghdr *nlh, struct addr *a)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1], *local;
	int r;

	r = nlattr_parse(nlh, sizeof(*ifa), addr_policy, IFA_MAX, tb);
	if (r < 0)
		return r;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return -EAFNOSUPPORT;
	memset(a, 0, sizeof(*a));
	a->ifindex = (int)ifa->ifa_index;
	a->scope = ifa->ifa_scope;
	a->kflags = tb[IFA_FLAGS] ? mnl_attr_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
	/* IFA_LOCAL is ours on a point-to-point link (IFA_ADDRESS is then the peer); IPv6
	 * without a peer sends only IFA_ADDRESS. */
	local = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!local || a->ifindex <= 0)
		return -EINVAL;
	r = nlattr_get_addr(local, ifa->ifa_family, &a->addr);
	if (r < 0)
		return r;
	if (ifa->ifa_prefixlen > a->addr.prefix)
		return -EINVAL;
	a->addr.prefix = ifa->ifa_prefixlen;
	/* A peer address, when present, must still be well formed. */
	if (tb[IFA_ADDRESS] && tb[IFA_ADDRESS] != local) {
		struct cidr peer;

		r = nlattr_get_addr(tb[IFA_ADDRESS], ifa->ifa_family, &peer);
		if (r < 0)
			return r;
	}
	return 0;
}

struct addr_filter {
	int ifindex;
	struct addr *v;
	size_t n;
};

static int addr_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_filter *f = data;
	struct addr a;
	int r;

	if (nlh->nlmsg_type != RTM_NEWADDR)
		return MNL_CB_OK;
	r = addr_parse(nlh, &a);
	if (r == -EAFNOSUPPORT)
		return MNL_CB_OK;
	if (r < 0) {
		errno = -r;
		return MNL_CB_ERROR;
	}
	/* Filtered here: the kernel only honours ifa_index with strict checking on. */
	if (f->ifindex && a.ifindex != f->ifindex)
		return MNL_CB_OK;
	*(struct addr *)array_push(&f->v, &f->n, sizeof(a)) = a;
	return MNL_CB_OK;
}

int addr_dump(struct nl *nl, int family, int ifindex, struct addr **addrs, size_t *n)
{
	struct addr_filter f = { ifindex, NULL, 0 };
	uint32_t buf[REQ_WORDS];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int r;

	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	nlh = nl_msg(nl, buf, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	r = nl_dump(nl, nlh, addr_dump_cb, &f, &f.v, &f.n);
	if (r < 0)
		return r;
	*addrs = f.v;
	*n = f.n;
	return 0;
}
