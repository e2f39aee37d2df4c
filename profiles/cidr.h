/* IP addresses and prefixes as the model stores them, with exact parsing and printing. */
#ifndef WARREN_CIDR_H
#define WARREN_CIDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct cidr {
	int family;          /* AF_INET or AF_INET6 */
	uint8_t addr[16];    /* network byte order; IPv4 uses the first 4 bytes */
	uint8_t prefix;
};

#define CIDR_STRLEN 50

/* Parse "a.b.c.d[/n]" or "v6[/n]"; without /n the prefix is the full length.
 * Returns 0, -EINVAL (not an address) or -ERANGE (prefix too long). */
int cidr_parse(struct cidr *c, const char *s);
/* Parse a bare address (no prefix allowed). */
int ip_parse(struct cidr *c, const char *s);
/* true when bits beyond the prefix are set (an error for routes, fine for addresses) */
bool cidr_host_bits_set(const struct cidr *c);
/* Clear host bits. */
void cidr_mask(struct cidr *c);
bool cidr_equal(const struct cidr *a, const struct cidr *b);
/* true when a contains b (same family, a's prefix <= b's and b within it) */
bool cidr_contains(const struct cidr *a, const struct cidr *b);
/* "addr/prefix" into buf of CIDR_STRLEN */
char *cidr_fmt(const struct cidr *c, char *buf);
/* "addr" only */
char *ip_fmt(const struct cidr *c, char *buf);
static inline int cidr_addrlen(const struct cidr *c) { return c->family == AF_INET ? 4 : 16; }

#endif
