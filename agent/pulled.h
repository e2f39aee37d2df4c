/* Tunnels pulled from a portal: a verified profile turned into tunnels of the agent's
 * model, next to those of its own file. */
#ifndef WARREN_PULLED_H
#define WARREN_PULLED_H

#include "../profiles/diag.h"
#include "../profiles/model.h"
#include "../profiles/profile.h"

/* Append p's tunnels to c, each with the enrolled private key, link "wg-NAME", one peer
 * (the server), SNAT of LAN sources, and routes from the peer's allowed IPs, as a tunnel
 * of the file would have. A tunnel whose name or link the file uses already is left out
 * with a warning in d: the file wins. Never any hook. */
void pulled_add(struct config *c, const struct profile *p, const uint8_t key[KEY_LEN],
		struct diag *d);

#endif
