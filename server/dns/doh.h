/* The built-in list of well-known public DNS-over-HTTPS/TLS resolver addresses, which the
 * server's table refuses on 443 and 853 from the tunnel so clients cannot bypass the
 * built-in resolver (DESIGN 12, no leaks). */
#ifndef WARREN_DNS_DOH_H
#define WARREN_DNS_DOH_H

#include <stddef.h>

/* Prefixes as text ("1.1.1.1/32", "2606:4700:4700::1111/128"), each parsable by
 * cidr_parse; doh_builtin_n of them. */
extern const char *const doh_builtin[];
extern const size_t doh_builtin_n;

#endif
