/* The server's WireGuard link and nftables table, as the database says (link.c). */
#ifndef WARREN_SERVER_LINK_H
#define WARREN_SERVER_LINK_H

#include <stdbool.h>

struct acct_device;
struct server;

/* Forwarding as it was before warren: from the journal of a run that did not stop, else
 * from another role's, else read at the first converge. -EBUSY: the link is another
 * role's. */
int link_sysctls_load(struct server *s);
/* Watch the link, its addresses and the table; a change made by someone else converges
 * them again soon. 0 or -errno. */
int link_monitor_start(struct server *s);
/* The link as the database says, writing only what differs: 1 when something was
 * written, 0 when nothing was, or -errno (logged). */
int link_converge(struct server *s);
/* The table inet warren_server as the settings say (none without snat): 1, 0 or -errno. */
int link_nft(struct server *s);
/* Write exactly d's peer (remove: take it off); no other peer is touched. 0 or -errno. */
int link_sync_device(struct server *s, const struct acct_device *d, bool remove);
/* Converge the link and the table soon (rate-limited), saying why in the log (NULL:
 * quietly). */
void link_repair_soon(struct server *s, const char *why);
/* At stop: remove the link, its journal and the table; forwarding goes back unless
 * another role still needs it. */
void link_remove(struct server *s);

#endif
