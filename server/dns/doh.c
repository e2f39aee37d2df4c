/* The well-known public resolvers whose DoH (443) and DoT/DoQ (853) the server refuses from
 * the tunnel. A maintained list: only addresses the services dedicate to DNS (never shared
 * web front ends, which would break unrelated sites). server.resolver.doh adds more
 * prefixes; server.resolver.doh_builtin = false drops this list. Port 53 to any of them
 * is still answered, by warren's own resolver, since prerouting redirects it first. */
#include "doh.h"

const char *const doh_builtin[] = {
	/* Cloudflare 1.1.1.1 (one.one.one.one, cloudflare-dns.com) */
	"1.1.1.1/32", "1.0.0.1/32",
	"2606:4700:4700::1111/128", "2606:4700:4700::1001/128",
	/* Cloudflare for Families: malware (security.cloudflare-dns.com) */
	"1.1.1.2/32", "1.0.0.2/32",
	"2606:4700:4700::1112/128", "2606:4700:4700::1002/128",
	/* Cloudflare for Families: malware and adult (family.cloudflare-dns.com) */
	"1.1.1.3/32", "1.0.0.3/32",
	"2606:4700:4700::1113/128", "2606:4700:4700::1003/128",
	/* Google Public DNS (dns.google) */
	"8.8.8.8/32", "8.8.4.4/32",
	"2001:4860:4860::8888/128", "2001:4860:4860::8844/128",
	/* Google Public DNS64 */
	"2001:4860:4860::6464/128", "2001:4860:4860::64/128",
	/* Quad9, filtering (dns.quad9.net) */
	"9.9.9.9/32", "149.112.112.112/32",
	"2620:fe::fe/128", "2620:fe::9/128",
	/* Quad9, unfiltered (dns10.quad9.net) */
	"9.9.9.10/32", "149.112.112.10/32",
	"2620:fe::10/128", "2620:fe::fe:10/128",
	/* Quad9, filtering with ECS (dns11.quad9.net) */
	"9.9.9.11/32", "149.112.112.11/32",
	"2620:fe::11/128", "2620:fe::fe:11/128",
	/* AdGuard DNS, default (dns.adguard-dns.com) */
	"94.140.14.14/32", "94.140.15.15/32",
	"2a10:50c0::ad1:ff/128", "2a10:50c0::ad2:ff/128",
	/* AdGuard DNS, family (family.adguard-dns.com) */
	"94.140.14.15/32", "94.140.15.16/32",
	"2a10:50c0::bad1:ff/128", "2a10:50c0::bad2:ff/128",
	/* AdGuard DNS, unfiltered (unfiltered.adguard-dns.com) */
	"94.140.14.140/32", "94.140.14.141/32",
	"2a10:50c0::1:ff/128", "2a10:50c0::2:ff/128",
	/* OpenDNS (Cisco Umbrella) */
	"208.67.222.222/32", "208.67.220.220/32",
	"2620:119:35::35/128", "2620:119:53::53/128",
	/* OpenDNS FamilyShield */
	"208.67.222.123/32", "208.67.220.123/32",
	"2620:119:35::123/128", "2620:119:53::123/128",
	/* OpenDNS DoH (doh.opendns.com, doh.familyshield.opendns.com) */
	"146.112.41.2/32", "146.112.41.3/32", "2620:119:fc::2/128", "2620:119:fc::3/128",
	/* CleanBrowsing, security filter (security-filter-dns.cleanbrowsing.org) */
	"185.228.168.9/32", "185.228.169.9/32",
	"2a0d:2a00:1::2/128", "2a0d:2a00:2::2/128",
	/* CleanBrowsing, adult filter (adult-filter-dns.cleanbrowsing.org) */
	"185.228.168.10/32", "185.228.169.11/32",
	"2a0d:2a00:1::1/128", "2a0d:2a00:2::1/128",
	/* CleanBrowsing, family filter (family-filter-dns.cleanbrowsing.org) */
	"185.228.168.168/32", "185.228.169.168/32",
	"2a0d:2a00:1::/128", "2a0d:2a00:2::/128",
	/* NextDNS: its anycast prefixes carry nothing but its resolvers */
	"45.90.28.0/24", "45.90.30.0/24",
	"2a07:a8c0::/32", "2a07:a8c1::/32",
	/* Mullvad DNS (dns.mullvad.net and its filtering variants) */
	"194.242.2.2/32", "194.242.2.3/32", "194.242.2.4/32", "194.242.2.5/32",
	"194.242.2.6/32", "194.242.2.9/32",
	"2a07:e340::2/128", "2a07:e340::3/128", "2a07:e340::4/128", "2a07:e340::5/128",
	"2a07:e340::6/128", "2a07:e340::9/128",
	/* DNS.SB */
	"185.222.222.222/32", "45.11.45.11/32", "2a09::/128", "2a11::/128",
};

const size_t doh_builtin_n = sizeof(doh_builtin) / sizeof(doh_builtin[0]);
