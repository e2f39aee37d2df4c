/* A tunnel's DNS: the names both readers accept, and what the tunnel asks of the host's resolver. */
#ifndef WARREN_DNS_H
#define WARREN_DNS_H

#include <stdbool.h>

#include "model.h"

/* Limits that keep what the host's resolver gets small: glibc asks three servers at most,
 * and a list longer than these is a mistake, not a configuration. */
#define DNS_MAX_SERVERS 16
#define DNS_MAX_DOMAINS 64

/* A search domain ("corp.example"), or with a leading '~' one that only routes queries
 * ("~corp.example"; "~." routes every query). Labels of letters, digits, '-' and '_' (not
 * starting or ending with '-'), at most 63 bytes each and 253 in all, one trailing dot
 * allowed. */
bool dns_domain_valid(const char *s);

/* What a tunnel's DNS comes to once its routes are known. */
struct dns_conf {
	struct cidrv servers;        /* only of the families the tunnel carries */
	struct strv domains;         /* as configured: "~d" routes only, "d" is also searched */
	bool full;                   /* a default route (0.0.0.0/0 or ::/0) goes through it */
};

/* dc from t: servers of the families t carries, its domains, and whether its routes (its
 * own routes, else its peers' allowed IPs) hold a default route. */
void dns_conf_from_tunnel(struct dns_conf *dc, const struct tunnel *t);
void dns_conf_clear(struct dns_conf *dc);
void dns_conf_copy(struct dns_conf *dst, const struct dns_conf *src);
bool dns_conf_equal(const struct dns_conf *a, const struct dns_conf *b);
/* Nothing to apply: no server and no domain. */
bool dns_conf_empty(const struct dns_conf *dc);

#endif
