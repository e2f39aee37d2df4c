/* libFuzzer harness for DNS block lists (text a list URL or file serves) and custom rules:
 * every line parses to checked names or is refused with a reason and no names; the builder
 * counts what the lines say; each listed name then decides as listed (never PASS), and the
 * input's own bytes decide without harm. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/dns/filter.h"
#include "server/dns/listparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct listparse_line pl;
static char scratch[LISTPARSE_NAME_MAX + 2];

static void bad_cb(void *ctx, const char *file, unsigned line, const char *why)
{
	if (!why || !*why || !file || line == 0)
		abort();
	(*(unsigned *)ctx)++;
}

/* The names of pl decide as listed: the name itself, or one label below. */
static void check_listed(const struct filter *f)
{
	unsigned i;

	for (i = 0; i < pl.n; i++) {
		const struct listparse_entry *e = &pl.e[i];
		const char *name = pl.buf + e->off;
		int src;

		if (e->flags & LP_EXACT) {
			if (filter_decide(f, 0, name, e->len, &src) == FILTER_PASS || src < 0)
				abort();
		} else {
			scratch[0] = 'x';
			scratch[1] = '.';
			memcpy(scratch + 2, name, e->len);
			if (filter_decide(f, 0, scratch, e->len + 2, &src) == FILTER_PASS)
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *p = text, *end = text + size, *why;
	struct filter_source_stats st;
	struct filter_builder *fb;
	struct filter *f;
	size_t entries = 0, bad = 0, lines = 0;
	unsigned told = 0, i, source = size ? data[0] % FILTER_SOURCES_MAX : 0;
	enum filter_action act;
	char rule[256];

	if (size >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		int r = listparse_line(p, (size_t)(le - p), LISTPARSE_LIST, &pl, &why);

		lines++;
		if (r < 0) {
			if (r != -EINVAL || !why || pl.n)
				abort();
			bad++;
		} else if (why) {
			abort();
		}
		for (i = 0; i < pl.n; i++) {
			size_t n = pl.e[i].len;

			/* a name as kept is its own folded form, and has a meaning */
			memcpy(scratch, pl.buf + pl.e[i].off, n);
			if (n == 0 || n > LISTPARSE_NAME_MAX || listparse_name(scratch, &n) < 0 ||
			    n != pl.e[i].len || memcmp(scratch, pl.buf + pl.e[i].off, n) ||
			    !(pl.e[i].flags & (LP_EXACT | LP_BELOW)) || pl.e[i].flags > 0xf)
				abort();
		}
		entries += pl.n;
		p = nl ? nl + 1 : end;
	}

	if (filter_builder_new(&fb) < 0)
		abort();
	if (filter_builder_add_list(fb, source, "fuzz", text, size, &st, bad_cb, &told) < 0 ||
	    st.lines != lines || st.entries != entries || st.bad != bad ||
	    told != (bad < 20 ? bad : 20))
		abort();
	/* the first line again as a rule of another source, checked by filter_rule_parse */
	p = memchr(text, '\n', size);
	i = (unsigned)((p ? (size_t)(p - text) : size) < sizeof(rule) - 1 ?
		       (p ? (size_t)(p - text) : size) : sizeof(rule) - 1);
	memcpy(rule, text, i);
	rule[i] = '\0';
	act = size && data[size - 1] & 1 ? FILTER_ALLOW : FILTER_BLOCK;
	if ((filter_rule_parse(rule, &why) == 0) !=
	    (filter_builder_add_rule(fb, (source + 1) % FILTER_SOURCES_MAX, rule, act) == 0))
		abort();
	filter_builder_group(fb, 1, 0);
	if (filter_build(fb, &f) < 0 || !f)
		abort();
	if (filter_entries(f) > entries + LISTPARSE_NAMES_MAX)
		abort();

	/* each listed name is decided (default mask: every source), group 1 none */
	p = size >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? text + 3 : text;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		int src = 0;

		if (listparse_line(p, (size_t)(le - p), LISTPARSE_LIST, &pl, &why) == 0) {
			check_listed(f);
			if (pl.n && filter_decide(f, 1, pl.buf + pl.e[0].off, pl.e[0].len, &src) !=
			    FILTER_PASS)
				abort();
		}
		/* the raw line as a name: anything goes but a crash */
		filter_decide(f, 0, p, (size_t)(le - p), &src);
		if (src < -1 || src >= FILTER_SOURCES_MAX)
			abort();
		p = nl ? nl + 1 : end;
	}
	filter_free(f);
	return 0;
}
