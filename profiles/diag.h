/* Diagnostics from parsing and validation: every error and warning, as "FILE:LINE: message". */
#ifndef WARREN_DIAG_H
#define WARREN_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct diag_item {
	int is_error;
	char *text;      /* fully formatted: "FILE:LINE: message" */
};

struct diag {
	struct diag_item *items;
	size_t n;
	size_t errors;
	size_t warnings;
};

/* line <= 0 leaves out ":LINE"; file NULL leaves out "FILE:". */
void diag_error(struct diag *d, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void diag_warn(struct diag *d, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Print every item to f, errors plain, warnings prefixed "warning: ". */
void diag_print(const struct diag *d, FILE *f);
/* The text of the first error, or NULL. */
const char *diag_first_error(const struct diag *d);
void diag_clear(struct diag *d);
/* s with control bytes as \xNN, so a quoted value keeps its message on one line; the
 * caller frees it. */
char *diag_escape(const char *s);

#endif
