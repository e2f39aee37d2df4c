/* Network links over rtnetlink: look up, create, delete, bring up, set MTU, dump. */
#ifndef WARREN_LINK_H
#define WARREN_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nl.h"

#define LINK_NAMSIZ 16   /* IFNAMSIZ, including the NUL */
#define LINK_KINDSIZ 32

struct link {
	int index;
	char name[LINK_NAMSIZ];
	char kind[LINK_KINDSIZ];  /* IFLA_INFO_KIND ("wireguard", "dummy"), "" for none */
	unsigned int flags;       /* IFF_* from the ifinfomsg (IFF_UP = 0x1) */
	uint32_t mtu;
};

#define LINK_F_UP 0x1u       /* IFF_UP, for callers that cannot include <net/if.h> */

/* Every call takes an rtnetlink socket (nl_open(&nl, NETLINK_ROUTE)) and returns 0 or
 * -errno; on failure nl_strerror(nl, err) gives the kernel's explanation. */

/* -ENODEV when no link has that name. */
int link_get(struct nl *nl, const char *ifname, struct link *out);
int link_get_by_index(struct nl *nl, int ifindex, struct link *out);
int link_index(struct nl *nl, const char *ifname, int *ifindex);
/* Create a link of kind ("wireguard"); -EEXIST when the name is taken, -EOPNOTSUPP when the
 * kernel lacks the kind. *ifindex (may be NULL) receives the new link's index. */
int link_create(struct nl *nl, const char *ifname, const char *kind, int *ifindex);
int link_delete(struct nl *nl, int ifindex);
int link_set_up(struct nl *nl, int ifindex, bool up);
int link_set_mtu(struct nl *nl, int ifindex, uint32_t mtu);
/* All links into a malloc'ed array (free() it); *links is NULL when there are none. */
int link_dump(struct nl *nl, struct link **links, size_t *n);

/* Message builders: one request in buf (size bytes, 4-byte aligned) from nl_msg, ready for
 * nl_talk or to be laid back to back for nl_talk_batch. -EMSGSIZE when it does not fit,
 * -EINVAL for a bad argument. ifindex in link_create_msg pins the new link's index (0 lets
 * the kernel choose), so a batch can address the link it creates. */
int link_create_msg(struct nl *nl, void *buf, size_t size, const char *ifname, const char *kind,
		    int ifindex);
int link_delete_msg(struct nl *nl, void *buf, size_t size, int ifindex);
int link_set_up_msg(struct nl *nl, void *buf, size_t size, int ifindex, bool up);
int link_set_mtu_msg(struct nl *nl, void *buf, size_t size, int ifindex, uint32_t mtu);

/* An RTM_NEWLINK/RTM_DELLINK message (a dump entry or a notification) into l. 0, or
 * -EBADMSG/-EINVAL when it is malformed. */
int link_parse(const struct nlmsghdr *nlh, struct link *l);

#endif
