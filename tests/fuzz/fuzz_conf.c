/* libFuzzer harness for the warren.conf reader and validation: any input is read, checked and freed cleanly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/resolvconf.h"
#include "profiles/conf.h"
#include "profiles/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* libconfig 1.5 (Debian 12) leaks the buffer of a string token that ends in a syntax
 * error (the input '""' is enough); only allocations made inside libconfig match. */
const char *__lsan_default_suppressions(void)
{
	return "leak:libconfig.so\n";
}

/* The directory does not exist, so relative imports, key files and @include find
 * nothing; the reader never writes files. */
#define FUZZ_PATH "/nonexistent/warren-fuzz/warren.conf"

/* A configuration cannot add lines to what resolvconf reads: one per server, one of
 * search domains, each of them one word after its keyword. */
static void check_dns(const struct tunnel *t)
{
	struct dns_conf dc;
	char *text, *line, *save = NULL;
	size_t lines = 0, search = 0, i;

	dns_conf_from_tunnel(&dc, t);
	for (i = 0; i < dc.domains.n; i++)
		search |= dc.domains.v[i][0] != '~';
	text = resolvconf_text(&dc);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), lines++)
		if (strncmp(line, "nameserver ", 11) != 0 && strncmp(line, "search ", 7) != 0) {
			fprintf(stderr, "resolvconf input has a line \"%s\"\n", line);
			abort();
		}
	if (lines != dc.servers.n + search || dc.servers.n > DNS_MAX_SERVERS ||
	    dc.domains.n > DNS_MAX_DOMAINS) {
		fprintf(stderr, "resolvconf input of %zu lines for %zu servers\n", lines, dc.servers.n);
		abort();
	}
	free(text);
	dns_conf_clear(&dc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = config_new();
	struct diag d = { 0 };
	char *text = malloc(size + 1);
	size_t i;

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	(void)conf_is_wgquick(text);
	c->path = strdup(FUZZ_PATH);
	conf_parse_libconfig(c, FUZZ_PATH, text, &d);
	config_validate(c, &d);

	for (i = 0; i < d.n; i++)
		if (strchr(d.items[i].text, '\n')) {
			fprintf(stderr, "message spans lines: %s\n", d.items[i].text);
			abort();
		}
	if (d.errors == 0) {
		/* what the reader accepted obeys the contract */
		for (i = 0; i < c->n_tunnels; i++) {
			const struct tunnel *t = &c->tunnels[i];

			if (!conf_name_valid(t->name) || conf_ifname_problem(t->ifname) || !t->has_private_key) {
				fprintf(stderr, "accepted an invalid tunnel \"%s\" (%s)\n", t->name, t->ifname);
				abort();
			}
			check_dns(t);
		}
		for (i = 0; i < c->n_groups; i++)
			if (!c->groups[i].members.n || !config_find_tunnel(c, c->groups[i].members.v[0])) {
				fprintf(stderr, "accepted a group with an unknown member\n");
				abort();
			}
	}
	diag_clear(&d);
	config_free(c);
	free(text);
	return 0;
}
