/* Reading a configuration file into the model: a warren libconfig file or a wg-quick file. */
#ifndef WARREN_CONF_H
#define WARREN_CONF_H

#include <stdint.h>

#include "diag.h"
#include "model.h"

/* Read PATH, telling the two formats apart by content (conf_is_wgquick), then validate.
 * Always returns a config (possibly partial); it is usable only when d->errors == 0.
 * Errors and warnings are "FILE:LINE: message" in d. Touches nothing outside memory
 * and the files it reads. */
struct config *conf_load(const char *path, struct diag *d);

/* true when text is a wg-quick file: a line is just "[Interface]" or "[Peer]" (any case),
 * or the first line that is not blank or a comment is a "[Section]" header. */
bool conf_is_wgquick(const char *text);

/* true when text (len bytes) holds only blanks, perhaps after a byte order mark: every
 * command that reads a configuration refuses such a file. */
bool conf_is_blank(const char *text, size_t len);

/* The libconfig reader: fills c from text (path is used for messages and for resolving
 * relative paths). Cross-object checks are left to config_validate. */
void conf_parse_libconfig(struct config *c, const char *path, const char *text, struct diag *d);

/* Checks that span objects: duplicate tunnel names, interface names, peer keys and listen
 * ports; groups naming unknown tunnels; key files readable by others (warning); keys
 * present. Fills private keys from private_key_file. */
void config_validate(struct config *c, struct diag *d);

/* Read a whole file (at most 1 MiB, else -EFBIG) into a NUL-terminated buffer the caller
 * frees (wiping it when it may hold keys); 0 or -errno. */
int conf_read_file(const char *path, char **text, size_t *len);

/* true for a valid tunnel or group name: [a-z0-9_-]{1,12} */
bool conf_name_valid(const char *name);

/* NULL when name is a valid Linux interface name, else why not ("longer than 15 bytes"). */
const char *conf_ifname_problem(const char *name);

/* "host:port", "[v6]:port" (a %scope allowed) or "name:port" (RFC 1123), port 1-65535.
 * 0 with *host allocated (IPv6 without brackets), or -EINVAL with *why set. */
int conf_parse_endpoint(const char *s, char **host, uint16_t *port, const char **why);

#endif
