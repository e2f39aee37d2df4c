/* One line of a DNS block list or one custom rule, parsed into the names it matches: hosts
 * files, plain domains, "*.d", adblock "||d^" and "@@||d^", dnsmasq "address=/d/". */
#ifndef WARREN_SERVER_DNS_LISTPARSE_H
#define WARREN_SERVER_DNS_LISTPARSE_H

#include <stddef.h>
#include <stdint.h>

/* What an entry matches and says (bits of listparse_entry.flags). A subtree ("||d^") is
 * LP_EXACT | LP_BELOW; "*.d" is LP_BELOW alone: the names below d, not d itself. */
#define LP_ALLOW 0x1u	  /* an exception ("@@"); otherwise a block */
#define LP_EXACT 0x2u	  /* the name itself */
#define LP_BELOW 0x4u	  /* every name below it */
#define LP_IMPORTANT 0x8u /* "$important": in a list, beats that class's opposite */

/* A line: lists read a plain domain as that name alone; rules read it as the name and
 * everything below ("=d" is the name alone, and is only for rules). */
enum listparse_mode { LISTPARSE_LIST = 0, LISTPARSE_RULE = 1 };

#define LISTPARSE_LINE_MAX 4096  /* longer lines are bad lines */
#define LISTPARSE_NAMES_MAX 128  /* names one line may hold (hosts, dnsmasq) */
#define LISTPARSE_NAME_MAX 253

struct listparse_entry {
	uint16_t off, len;	/* the name in listparse_line.buf: lower case, no trailing dot */
	uint8_t flags;
};

struct listparse_line {
	unsigned n;		/* entries; 0 for comments, blank lines and ignored names */
	struct listparse_entry e[LISTPARSE_NAMES_MAX];
	char buf[LISTPARSE_LINE_MAX];
};

/* Parse one line (without its newline; may hold a '\r', is not NUL-terminated). 0 with
 * out->n entries (none for a comment or blank line), or -EINVAL with *why set to a static
 * message and out->n = 0: a bad line yields no names at all. */
int listparse_line(const char *line, size_t len, enum listparse_mode mode,
		   struct listparse_line *out, const char **why);

/* Fold and check one name in place: 0 and *len without a trailing dot, or -EINVAL.
 * Labels are 1..63 of [a-z0-9-_] (upper case folded), the whole at most 253. */
int listparse_name(char *name, size_t *len);

#endif
