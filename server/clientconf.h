/* Users' client configurations: the wg-quick file a user imports to reach the server. */
#ifndef WARREN_SERVER_CLIENTCONF_H
#define WARREN_SERVER_CLIENTCONF_H

#include <stdint.h>

#include "profiles/model.h"

/* What every client configuration shares: the server's side (DESIGN.md "Server role"). */
struct clientconf_server {
	uint8_t public_key[KEY_LEN];
	const char *endpoint_host;         /* name, IPv4, or IPv6 without brackets */
	uint16_t endpoint_port;
	const struct cidrv *dns;           /* NULL or empty: no DNS line */
	const struct cidrv *allowed_ips;   /* client_allowed_ips */
	uint16_t keepalive;                /* client_keepalive, 0 = off */
	uint32_t mtu;                      /* 0 = no MTU line */
};

/* One user's side. */
struct clientconf_user {
	const uint8_t *private_key;        /* NULL: the user supplied a public key and keeps
					    * the private one (see clientconf_write) */
	const uint8_t *public_key;         /* named in the comment when private_key is NULL;
					    * may be NULL */
	const uint8_t *preshared_key;      /* NULL: none */
	const struct cidrv *addresses;     /* the user's virtual addresses */
};

/* The user's wg-quick file: [Interface] PrivateKey, Address, DNS, MTU; one [Peer] for
 * the server with PublicKey, PresharedKey, AllowedIPs, Endpoint, PersistentKeepalive.
 * Written through wgq_write, so wgq_parse reads it back to the same values.
 *
 * Without a private key there is no PrivateKey line (a placeholder would make the file
 * unreadable by wg-quick and by warren); instead the file opens with the comment lines
 *   # PrivateKey missing: the server never saw it. Add under [Interface]:
 *   # PrivateKey = <the private key whose public key is KEY>
 * (without public_key: "<your private key>"). Until the user adds it, the file reads as
 * a tunnel without a private key, as wg-quick would read it.
 *
 * The text holds keys: free it with clientconf_text_free. NULL with errno EINVAL when
 * the endpoint host cannot be written (see wgq_write). */
char *clientconf_write(const struct clientconf_server *s, const struct clientconf_user *u);

/* Wipe and free; NULL is fine. */
void clientconf_text_free(char *text);

#endif
