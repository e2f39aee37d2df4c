/* Collects messages so `warren check` can report every problem of a file at once. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "../common/util.h"

static void diag_add(struct diag *d, int is_error, const char *file, int line,
		     const char *fmt, va_list ap)
{
	struct diag_item *it = array_push(&d->items, &d->n, sizeof(*d->items));
	char *msg, *prefix;

	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	if (file && line > 0)
		prefix = xasprintf("%s:%d: ", file, line);
	else if (file)
		prefix = xasprintf("%s: ", file);
	else
		prefix = xstrdup("");
	it->is_error = is_error;
	it->text = xasprintf("%s%s%s", prefix, is_error ? "" : "warning: ", msg);
	free(prefix);
	free(msg);
	if (is_error)
		d->errors++;
	else
		d->warnings++;
}

void diag_error(struct diag *d, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_add(d, 1, file, line, fmt, ap);
	va_end(ap);
}

void diag_warn(struct diag *d, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_add(d, 0, file, line, fmt, ap);
	va_end(ap);
}

void diag_print(const struct diag *d, FILE *f)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		fprintf(f, "%s\n", d->items[i].text);
}

const char *diag_first_error(const struct diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->items[i].is_error)
			return d->items[i].text;
	return NULL;
}

void diag_clear(struct diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->items[i].text);
	free(d->items);
	d->items = NULL;
	d->n = d->errors = d->warnings = 0;
}

char *diag_escape(const char *s)
{
	char *out = xmalloc(strlen(s) * 4 + 1), *o = out;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch == 0x7f)
			o += sprintf(o, "\\x%02x", ch);
		else
			*o++ = (char)ch;
	}
	*o = '\0';
	return out;
}
