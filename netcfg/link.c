/* Links over rtnetlink: requests modelled on iproute2's iplink.c, replies validated. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "link.h"
#include "nlattr.h"
#include "../common/util.h"

_Static_assert(LINK_NAMSIZ == IFNAMSIZ, "LINK_NAMSIZ must match IFNAMSIZ");
_Static_assert(LINK_F_UP == IFF_UP, "LINK_F_UP must match IFF_UP");

#ifndef RTEXT_FILTER_SKIP_STATS
#define RTEXT_FILTER_SKIP_STATS (1 << 3)
#endif

#define REQ_WORDS 256       /* 1 KiB, 4-byte aligned: any single link request fits */

static const struct nlattr_policy link_policy[IFLA_MAX + 1] = {
	[IFLA_IFNAME] = { MNL_TYPE_NUL_STRING, IFNAMSIZ },
	[IFLA_MTU] = { MNL_TYPE_U32, 0 },
	[IFLA_LINKINFO] = { MNL_TYPE_NESTED, 0 },
};

static const struct nlattr_policy linkinfo_policy[IFLA_INFO_MAX + 1] = {
	[IFLA_INFO_KIND] = { MNL_TYPE_STRING, LINK_KINDSIZ },
};

static int valid_name(const char *ifname)
{
	size_t n = ifname ? strlen(ifname) : 0;

	return n > 0 && n < IFNAMSIZ && !strchr(ifname, '/') ? 0 : -EINVAL;
}

static struct ifinfomsg *link_hdr(struct nl *nl, void *buf, size_t size, uint16_t type,
				  uint16_t flags, int ifindex)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*ifi)))
		return NULL;
	nlh = nl_msg(nl, buf, type, flags);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return ifi;
}

static int link_create_build(struct nl *nl, void *buf, size_t size, const char *ifname,
			     const char *kind, int ifindex)
{
	struct nlmsghdr *nlh = buf;
	struct nlattr *info;

	if (valid_name(ifname) < 0 || !kind || !*kind || ifindex < 0)
		return -EINVAL;
	if (!link_hdr(nl, buf, size, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifindex))
		return -EMSGSIZE;
	if (!nlattr_put_strz(nlh, size, IFLA_IFNAME, ifname))
		return -EMSGSIZE;
	info = mnl_attr_nest_start_check(nlh, size, IFLA_LINKINFO);
	if (!info)
		return -EMSGSIZE;
	if (!nlattr_put_strz(nlh, size, IFLA_INFO_KIND, kind)) {
		mnl_attr_nest_cancel(nlh, info);
		return -EMSGSIZE;
	}
	mnl_attr_nest_end(nlh, info);
	return 0;
}

/* A failed build gives its sequence number back, so the messages a caller lays into one
 * batch stay consecutive and nl_talk_batch's failed index stays right. */
int link_create_msg(struct nl *nl, void *buf, size_t size, const char *ifname, const char *kind,
		    int ifindex)
{
	uint32_t seq = nl->seq;
	int r = link_create_build(nl, buf, size, ifname, kind, ifindex);

	if (r < 0)
		nl->seq = seq;
	return r;
}

int link_delete_msg(struct nl *nl, void *buf, size_t size, int ifindex)
{
	if (ifindex <= 0)
		return -EINVAL;
	return link_hdr(nl, buf, size, RTM_DELLINK, 0, ifindex) ? 0 : -EMSGSIZE;
}

int link_set_up_msg(struct nl *nl, void *buf, size_t size, int ifindex, bool up)
{
	struct ifinfomsg *ifi;

	if (ifindex <= 0)
		return -EINVAL;
	/* No NLM_F_CREATE: RTM_NEWLINK on an existing index only changes it. */
	ifi = link_hdr(nl, buf, size, RTM_NEWLINK, 0, ifindex);
	if (!ifi)
		return -EMSGSIZE;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	return 0;
}

int link_set_mtu_msg(struct nl *nl, void *buf, size_t size, int ifindex, uint32_t mtu)
{
	if (ifindex <= 0 || mtu == 0)
		return -EINVAL;
	if (!link_hdr(nl, buf, size, RTM_NEWLINK, 0, ifindex))
		return -EMSGSIZE;
	if (!mnl_attr_put_u32_check(buf, size, IFLA_MTU, mtu)) {
		nl->seq--;   /* give the number back, as link_create_msg does */
		return -EMSGSIZE;
	}
	return 0;
}

int link_parse(const struct nlmsghdr *nlh, struct link *l)
{
	const struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1];
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	int r;

	r = nlattr_parse(nlh, sizeof(*ifi), link_policy, IFLA_MAX, tb);
	if (r < 0)
		return r;
	memset(l, 0, sizeof(*l));
	l->index = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	if (!tb[IFLA_IFNAME] || l->index <= 0)
		return -EINVAL;
	snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (tb[IFLA_MTU])
		l->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_LINKINFO]) {
		r = nlattr_parse_nested(tb[IFLA_LINKINFO], linkinfo_policy, IFLA_INFO_MAX, info);
		if (r < 0)
			return r;
		/* The kind is a string attribute; copy by length, it need not end in NUL. */
		if (info[IFLA_INFO_KIND]) {
			size_t n = strnlen(mnl_attr_get_payload(info[IFLA_INFO_KIND]),
					   mnl_attr_get_payload_len(info[IFLA_INFO_KIND]));

			if (n >= sizeof(l->kind))
				return -EINVAL;
			memcpy(l->kind, mnl_attr_get_payload(info[IFLA_INFO_KIND]), n);
			l->kind[n] = '\0';
		}
	}
	return 0;
}

static int link_one_cb(const struct nlmsghdr *nlh, void *data)
{
	int r;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	r = link_parse(nlh, data);
	if (r < 0) {
		errno = -r;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* One link by name or by index: RTM_GETLINK without NLM_F_DUMP answers with that link. */
static int link_get_one(struct nl *nl, const char *ifname, int ifindex, struct link *out)
{
	uint32_t buf[REQ_WORDS];
	struct nlmsghdr *nlh;
	int r;

	if (ifname && valid_name(ifname) < 0)
		return -EINVAL;
	if (!link_hdr(nl, buf, sizeof(buf), RTM_GETLINK, 0, ifindex))
		return -EMSGSIZE;
	nlh = (struct nlmsghdr *)buf;
	if (ifname && !nlattr_put_strz(nlh, sizeof(buf), IFLA_IFNAME, ifname))
		return -EMSGSIZE;
	/* Counters are of no use here and make each reply several hundred bytes longer. */
	if (!mnl_attr_put_u32_check(nlh, sizeof(buf), IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS))
		return -EMSGSIZE;
	out->index = 0;
	r = nl_talk(nl, nlh, link_one_cb, out);
	if (r < 0)
		return r;
	return out->index > 0 ? 0 : -ENODEV;
}

int link_get(struct nl *nl, const char *ifname, struct link *out)
{
	if (!ifname)
		return -EINVAL;
	return link_get_one(nl, ifname, 0, out);
}

int link_get_by_index(struct nl *nl, int ifindex, struct link *out)
{
	if (ifindex <= 0)
		return -EINVAL;
	return link_get_one(nl, NULL, ifindex, out);
}

int link_index(struct nl *nl, const char *ifname, int *ifindex)
{
	struct link l;
	int r = link_get(nl, ifname, &l);

	if (r == 0)
		*ifindex = l.index;
	return r;
}

static int link_send(struct nl *nl, void *buf)
{
	return nl_talk(nl, buf, NULL, NULL);
}

int link_create(struct nl *nl, const char *ifname, const char *kind, int *ifindex)
{
	uint32_t buf[REQ_WORDS];
	struct link l = { .index = 0 };
	int r;

	r = link_create_msg(nl, buf, sizeof(buf), ifname, kind, 0);
	if (r < 0)
		return r;
	/* Kernels since 6.1 echo the new link to us, saving the lookup round trip. */
	((struct nlmsghdr *)buf)->nlmsg_flags |= NLM_F_ECHO;
	r = nl_talk(nl, (struct nlmsghdr *)buf, link_one_cb, &l);
	if (r < 0 || !ifindex)
		return r;
	if (l.index > 0 && strcmp(l.name, ifname) == 0) {
		*ifindex = l.index;
		return 0;
	}
	return link_index(nl, ifname, ifindex);
}

int link_delete(struct nl *nl, int ifindex)
{
	uint32_t buf[REQ_WORDS];
	int r = link_delete_msg(nl, buf, sizeof(buf), ifindex);

	return r < 0 ? r : link_send(nl, buf);
}

int link_set_up(struct nl *nl, int ifindex, bool up)
{
	uint32_t buf[REQ_WORDS];
	int r = link_set_up_msg(nl, buf, sizeof(buf), ifindex, up);

	return r < 0 ? r : link_send(nl, buf);
}

int link_set_mtu(struct nl *nl, int ifindex, uint32_t mtu)
{
	uint32_t buf[REQ_WORDS];
	int r = link_set_mtu_msg(nl, buf, sizeof(buf), ifindex, mtu);

	return r < 0 ? r : link_send(nl, buf);
}

struct link_list {
	struct link *v;
	size_t n;
};

static int link_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_list *list = data;
	struct link l;
	int r;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	r = link_parse(nlh, &l);
	if (r < 0) {
		errno = -r;
		return MNL_CB_ERROR;
	}
	*(struct link *)array_push(&list->v, &list->n, sizeof(l)) = l;
	return MNL_CB_OK;
}

int link_dump(struct nl *nl, struct link **links, size_t *n)
{
	struct link_list list = { NULL, 0 };
	uint32_t buf[REQ_WORDS];
	struct nlmsghdr *nlh;
	int r;

	if (!link_hdr(nl, buf, sizeof(buf), RTM_GETLINK, NLM_F_DUMP, 0))
		return -EMSGSIZE;
	nlh = (struct nlmsghdr *)buf;
	if (!mnl_attr_put_u32_check(nlh, sizeof(buf), IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS))
		return -EMSGSIZE;
	r = nl_dump(nl, nlh, link_dump_cb, &list, &list.v, &list.n);
	if (r < 0)
		return r;
	*links = list.v;
	*n = list.n;
	return 0;
}
