/* The resolver's own names (DESIGN 12): DEVICE.USER.DOMAIN and USER.DOMAIN for the devices'
 * addresses, PTR for the pools, the administrator's records, and which device a query's
 * source address is. Built whole from the account and the records, immutable after, so a
 * query reads it without locks or the database; rebuilt when either changes. */
#ifndef WARREN_DNS_ZONE_H
#define WARREN_DNS_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"
#include "../../profiles/model.h"               /* struct cidrv */

struct account;
struct zone;

/* An administrator's record as stored: type "A", "AAAA", "CNAME", "TXT", "SRV" (value "PRIO
 * WEIGHT PORT TARGET"), name and value as text. */
struct zone_record {
	const char *name;
	const char *type;
	const char *value;
	uint32_t ttl;
};

/* Who sent a query: a device of the account, by its tunnel address. */
struct zone_client {
	int64_t user_id, device_id, group_id;
	/* The device's query rate (dnsd.c): tokens left and when they were counted. */
	double tokens;
	uint64_t tokens_ms;
};

/* Check one record before it is stored: 0, or -EINVAL with why ("value: not an IPv4
 * address"). The name is folded to lower case into name_out (DNS_NAME_TEXT_MAX + 1). */
int zone_record_check(const struct zone_record *r, char *name_out, char *why, size_t whylen);

/* domain: the internal zone ("vpn.internal"); pools: the prefixes whose reverse names are
 * ours; server: the server's own addresses (ns.DOMAIN). Records that do not check are
 * skipped (they were checked when stored). 0 or -ENOMEM. */
int zone_build(const struct account *a, const char *domain, const struct cidrv *pools,
	       const struct cidrv *server, const struct zone_record *recs, size_t n_recs,
	       uint32_t ttl, struct zone **out);
void zone_free(struct zone *z);

/* The device whose tunnel address this is, or NULL. Mutable for its rate counter only. */
struct zone_client *zone_client(struct zone *z, int family, const uint8_t *addr);

/* Answer q if the name is ours (under the domain, a pool's reverse name, or a name with an
 * administrator's record): the answer is built into b (started by the caller with the
 * builder's buffers; this restarts it with the right rcode) and true returned. false: not
 * ours, forward it. */
bool zone_answer(const struct zone *z, const struct dns_query *q, struct dns_builder *b,
		 uint8_t *buf, size_t cap, size_t max);

size_t zone_names(const struct zone *z);

#endif
