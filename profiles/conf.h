/* Reading a configuration file into the model: a warren libconfig file or a wg-quick file. */
#ifndef WARREN_CONF_H
#define WARREN_CONF_H

#include "diag.h"
#include "model.h"

/* Read PATH, telling the two formats apart by content (conf_is_wgquick), then validate.
 * Always returns a config (possibly partial); it is usable only when d->errors == 0.
 * Errors and warnings are "FILE:LINE: message" in d. Touches nothing outside memory
 * and the files it reads. */
struct config *conf_load(const char *path, struct diag *d);

/* true when text is a wg-quick file: its first line that is not blank or a comment is a
 * "[Section]" header. */
bool conf_is_wgquick(const char *text);

/* The libconfig reader: fills c from text (path is used for messages and for resolving
 * relative paths). Cross-object checks are left to config_validate. */
void conf_parse_libconfig(struct config *c, const char *path, const char *text, struct diag *d);

/* Checks that span objects: duplicate tunnel names, interface names, peer keys and listen
 * ports; groups naming unknown tunnels; key files readable by others (warning); keys
 * present. Fills private keys from private_key_file. */
void config_validate(struct config *c, struct diag *d);

/* Read a whole file (at most 1 MiB) into a NUL-terminated buffer; 0 or -errno. */
int conf_read_file(const char *path, char **text, size_t *len);

#endif
