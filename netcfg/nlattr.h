/* Policy-driven validation of netlink attributes in replies and notifications. */
#ifndef WARREN_NLATTR_H
#define WARREN_NLATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "../profiles/cidr.h"

/* How one attribute type must look. type is an enum mnl_attr_data_type; MNL_TYPE_UNSPEC
 * (the zero of an unlisted slot) means "not used here": such attributes are skipped, so a
 * newer kernel's additions never break parsing. len: exact payload length for
 * MNL_TYPE_BINARY (0 = any), largest payload including the NUL for strings (0 = any). */
struct nlattr_policy {
	uint8_t type;
	uint16_t len;
};

/* Index the attributes after a family header of hdrlen bytes into tb[0..maxtype] (zeroed
 * first), validating each against policy. Returns 0, -EBADMSG when the header or an
 * attribute is truncated or bytes trail the last attribute, or -EINVAL when an attribute
 * has the wrong length or form for its policy. */
int nlattr_parse(const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr_policy *policy,
		 unsigned int maxtype, const struct nlattr **tb);
/* The same for the attributes nested in nest. */
int nlattr_parse_nested(const struct nlattr *nest, const struct nlattr_policy *policy,
			unsigned int maxtype, const struct nlattr **tb);

/* mnl_attr_put_strz_check / _u8_check that also zero the attribute's padding: libmnl
 * 1.0.4 leaves those bytes as it found them, so requests would carry stale stack bytes
 * and differ from run to run. */
bool nlattr_put_strz(struct nlmsghdr *nlh, size_t size, uint16_t type, const char *s);
bool nlattr_put_u8(struct nlmsghdr *nlh, size_t size, uint16_t type, uint8_t v);

/* An address attribute into c (prefix = the full length): -EINVAL unless its payload is
 * exactly 4 bytes for AF_INET or 16 for AF_INET6. */
int nlattr_get_addr(const struct nlattr *attr, int family, struct cidr *c);

#endif
