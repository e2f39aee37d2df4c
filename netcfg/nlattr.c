/* Policy-driven validation of netlink attributes, stricter than mnl_attr_parse. */
#include <errno.h>
#include <string.h>

#include "nlattr.h"

/* mnl_attr_parse stops quietly at a truncated attribute; here every byte must belong to a
 * whole attribute, so a short read or a corrupt length is reported, not half-used. */
static int nlattr_walk(const void *start, size_t len, const struct nlattr_policy *policy,
		       unsigned int maxtype, const struct nlattr **tb)
{
	const struct nlattr *attr = start;
	size_t left = len;

	memset(tb, 0, (maxtype + 1) * sizeof(*tb));
	while (left >= MNL_ATTR_HDRLEN) {
		size_t alen = attr->nla_len, step = MNL_ALIGN(alen);
		uint16_t type = mnl_attr_get_type(attr);

		if (alen < MNL_ATTR_HDRLEN || alen > left)
			return -EBADMSG;
		if (type <= maxtype && policy[type].type != MNL_TYPE_UNSPEC) {
			const struct nlattr_policy *p = &policy[type];
			size_t plen = mnl_attr_get_payload_len(attr);
			int r;

			if (p->type == MNL_TYPE_BINARY && p->len)
				r = mnl_attr_validate2(attr, MNL_TYPE_BINARY, p->len);
			else
				r = mnl_attr_validate(attr, (enum mnl_attr_data_type)p->type);
			if (r < 0)
				return -EINVAL;
			if ((p->type == MNL_TYPE_STRING || p->type == MNL_TYPE_NUL_STRING) &&
			    p->len && plen > p->len)
				return -EINVAL;
			tb[type] = attr;
		}
		/* The last attribute may lack its padding; anything else must be whole. */
		if (step >= left) {
			left = 0;
			break;
		}
		left -= step;
		attr = (const struct nlattr *)((const char *)attr + step);
	}
	return left ? -EBADMSG : 0;
}

int nlattr_parse(const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr_policy *policy,
		 unsigned int maxtype, const struct nlattr **tb)
{
	size_t off = MNL_ALIGN(hdrlen), payload;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN)
		return -EBADMSG;
	payload = nlh->nlmsg_len - MNL_NLMSG_HDRLEN;
	if (payload < hdrlen)
		return -EBADMSG;
	if (payload <= off)
		return nlattr_walk(NULL, 0, policy, maxtype, tb);
	return nlattr_walk((const char *)mnl_nlmsg_get_payload(nlh) + off, payload - off,
			   policy, maxtype, tb);
}

int nlattr_parse_nested(const struct nlattr *nest, const struct nlattr_policy *policy,
			unsigned int maxtype, const struct nlattr **tb)
{
	return nlattr_walk(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest),
			   policy, maxtype, tb);
}

int nlattr_get_addr(const struct nlattr *attr, int family, struct cidr *c)
{
	size_t want = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;

	if (!want || mnl_attr_get_payload_len(attr) != want)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->family = family;
	memcpy(c->addr, mnl_attr_get_payload(attr), want);
	c->prefix = (uint8_t)(want * 8);
	return 0;
}

static void zero_pad(struct nlmsghdr *nlh, size_t len)
{
	size_t pad = MNL_ALIGN(len) - len;

	memset((char *)mnl_nlmsg_get_payload_tail(nlh) - pad, 0, pad);
}

bool nlattr_put_strz(struct nlmsghdr *nlh, size_t size, uint16_t type, const char *s)
{
	if (!mnl_attr_put_strz_check(nlh, size, type, s))
		return false;
	zero_pad(nlh, strlen(s) + 1);
	return true;
}

bool nlattr_put_u8(struct nlmsghdr *nlh, size_t size, uint16_t type, uint8_t v)
{
	if (!mnl_attr_put_u8_check(nlh, size, type, v))
		return false;
	zero_pad(nlh, sizeof(v));
	return true;
}
