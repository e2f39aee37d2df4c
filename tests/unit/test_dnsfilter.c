/* The resolver's domain filter: list line formats, bad lines, rules, precedence, groups. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/dns/filter.h"
#include "server/dns/listparse.h"

/* --- the line parser --- */

static void line_is(const char *line, enum listparse_mode mode, const char *want)
{
	struct listparse_line pl;
	const char *why = "x";
	char got[1024] = "";
	size_t n = 0;
	unsigned i;

	assert_int_equal(listparse_line(line, strlen(line), mode, &pl, &why), 0);
	assert_null(why);
	for (i = 0; i < pl.n; i++)
		n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%.*s/%s%s%s%s", i ? " " : "",
				      (int)pl.e[i].len, pl.buf + pl.e[i].off,
				      pl.e[i].flags & LP_ALLOW ? "a" : "b",
				      pl.e[i].flags & LP_EXACT ? "e" : "",
				      pl.e[i].flags & LP_BELOW ? "s" : "",
				      pl.e[i].flags & LP_IMPORTANT ? "!" : "");
	assert_string_equal(got, want);
}

static void line_bad(const char *line, enum listparse_mode mode, const char *want)
{
	struct listparse_line pl;
	const char *why = NULL;

	if (listparse_line(line, strlen(line), mode, &pl, &why) != -EINVAL)
		fail_msg("accepted: %s", line);
	assert_int_equal(pl.n, 0);
	assert_non_null(why);
	assert_string_equal(why, want);
}

static void test_line_formats(void **state)
{
	(void)state;
	/* skipped */
	line_is("", LISTPARSE_LIST, "");
	line_is("   \t\r", LISTPARSE_LIST, "");
	line_is("# a comment", LISTPARSE_LIST, "");
	line_is("! adblock comment", LISTPARSE_LIST, "");
	line_is("[Adblock Plus 2.0]", LISTPARSE_LIST, "");
	/* hosts */
	line_is("0.0.0.0 ads.example.com", LISTPARSE_LIST, "ads.example.com/be");
	line_is("127.0.0.1\tA.example.COM. b.example.com  c  # three", LISTPARSE_LIST,
		"a.example.com/be b.example.com/be c/be");
	line_is(":: x.example", LISTPARSE_LIST, "x.example/be");
	line_is("::1 localhost ip6-localhost ip6-loopback", LISTPARSE_LIST, "");
	line_is("fe80::1%lo0 localhost", LISTPARSE_LIST, "");
	line_is("0.0.0.0 0.0.0.0", LISTPARSE_LIST, "");
	line_is("127.0.0.1 localhost localhost.localdomain local broadcasthost ad.test\r",
		LISTPARSE_LIST, "ad.test/be");
	line_is("0.0.0.0 xn--bcher-kva.example a_b.example", LISTPARSE_LIST,
		"xn--bcher-kva.example/be a_b.example/be");
	/* plain, wildcard */
	line_is("ads.example.com", LISTPARSE_LIST, "ads.example.com/be");
	line_is("  Ads.Example.Com.  ", LISTPARSE_LIST, "ads.example.com/be");
	line_is("*.example.com", LISTPARSE_LIST, "example.com/bs");
	/* adblock */
	line_is("||example.com^", LISTPARSE_LIST, "example.com/bes");
	line_is("||example.com", LISTPARSE_LIST, "example.com/bes");
	line_is("@@||example.com^", LISTPARSE_LIST, "example.com/aes");
	line_is("||example.com^$important", LISTPARSE_LIST, "example.com/bes!");
	line_is("@@||example.com^$important", LISTPARSE_LIST, "example.com/aes!");
	/* dnsmasq */
	line_is("address=/example.com/0.0.0.0", LISTPARSE_LIST, "example.com/bes");
	line_is("address=/example.com/", LISTPARSE_LIST, "example.com/bes");
	line_is("address=/example.com/::", LISTPARSE_LIST, "example.com/bes");
	line_is("address=/example.com/#", LISTPARSE_LIST, "example.com/bes");
	line_is("address=/a.com/B.com/", LISTPARSE_LIST, "a.com/bes b.com/bes");
	/* rule mode: a plain domain is a subtree, =d exact */
	line_is("example.com", LISTPARSE_RULE, "example.com/bes");
	line_is("=example.com", LISTPARSE_RULE, "example.com/be");
	line_is("*.example.com", LISTPARSE_RULE, "example.com/bs");
	line_is("@@||example.com^", LISTPARSE_RULE, "example.com/aes");
}

static void test_line_bad(void **state)
{
	char longname[300], longlabel[80];

	(void)state;
	line_bad("ads..example.com", LISTPARSE_LIST, "not a domain name");
	line_bad(".example.com", LISTPARSE_LIST, "not a domain name");
	line_bad("exa mple", LISTPARSE_LIST, "several words and the first is not an address");
	line_bad("0.0.0.0", LISTPARSE_LIST, "address without names");
	line_bad("0.0.0.0 ok.example bad!name", LISTPARSE_LIST, "not a domain name");
	line_bad("0.0.0.0 ads.example#x", LISTPARSE_LIST, "not a domain name");
	line_bad("example.com##.banner", LISTPARSE_LIST, "not a domain name");
	line_bad("*", LISTPARSE_LIST, "not a domain name");
	line_bad("*example.com", LISTPARSE_LIST, "not a domain name");
	line_bad("*.*.example.com", LISTPARSE_LIST, "not a domain name");
	line_bad("||example.com^$third-party", LISTPARSE_LIST,
		 "adblock option other than $important");
	line_bad("||example.com^$important,third-party", LISTPARSE_LIST,
		 "adblock option other than $important");
	line_bad("||example.com/ads^", LISTPARSE_LIST,
		 "adblock rule with a path, port or wildcard (only ||domain^)");
	line_bad("||ex*ample.com^", LISTPARSE_LIST,
		 "adblock rule with a path, port or wildcard (only ||domain^)");
	line_bad("||example.com^|", LISTPARSE_LIST, "adblock rule with text after '^'");
	line_bad("|http://example.com/", LISTPARSE_LIST, "adblock address rule (only ||domain^)");
	line_bad("@@example.com", LISTPARSE_LIST,
		 "adblock exception not of the form @@||domain^");
	line_bad("server=/example.com/1.1.1.1", LISTPARSE_LIST,
		 "dnsmasq server= forwards, it does not block");
	line_bad("address=/example.com", LISTPARSE_LIST, "dnsmasq address= without /domain/");
	line_bad("address=/example.com/nope", LISTPARSE_LIST,
		 "dnsmasq address= with an answer that is not an address");
	line_bad("address=/a.com//", LISTPARSE_LIST, "not a domain name");
	line_bad("=example.com", LISTPARSE_LIST, "'=domain' is for custom rules, not lists");
	line_bad("ads.exämple.com", LISTPARSE_LIST, "not a domain name");
	memset(longlabel, 'a', 64);
	strcpy(longlabel + 64, ".com");
	line_bad(longlabel, LISTPARSE_LIST, "not a domain name");
	longlabel[0] = 'b';	/* 63 fit */
	{
		char want[96];

		snprintf(want, sizeof(want), "%s/be", longlabel + 1);
		line_is(longlabel + 1, LISTPARSE_LIST, want);
	}
	/* 253 bytes fit, 254 do not */
	memset(longname, 'a', sizeof(longname));
	for (size_t i = 50; i < 253; i += 50)
		longname[i] = '.';
	longname[253] = '\0';
	{
		struct listparse_line pl;
		const char *why;

		assert_int_equal(listparse_line(longname, 253, LISTPARSE_LIST, &pl, &why), 0);
		assert_int_equal(pl.n, 1);
		longname[253] = 'a';
		longname[254] = '\0';
		assert_int_equal(listparse_line(longname, 254, LISTPARSE_LIST, &pl, &why),
				 -EINVAL);
		longname[253] = '.';	/* a trailing dot does not count */
		assert_int_equal(listparse_line(longname, 254, LISTPARSE_LIST, &pl, &why), 0);
	}
}

/* --- the filter --- */

struct bad_seen {
	unsigned n;
	char text[32][160];
};

static void bad_cb(void *ctx, const char *file, unsigned line, const char *why)
{
	struct bad_seen *b = ctx;

	if (b->n < 32)
		snprintf(b->text[b->n], sizeof(b->text[0]), "%s:%u: %s", file, line, why);
	b->n++;
}

static void add_list(struct filter_builder *fb, unsigned src, const char *text)
{
	struct filter_source_stats st;

	assert_int_equal(filter_builder_add_list(fb, src, "t", text, strlen(text), &st, NULL,
						 NULL), 0);
}

static struct filter *build(struct filter_builder *fb)
{
	struct filter *f = NULL;

	assert_int_equal(filter_build(fb, &f), 0);
	assert_non_null(f);
	return f;
}

static enum filter_action dec(const struct filter *f, int64_t g, const char *name, int *src)
{
	int s = -7;
	enum filter_action a = filter_decide(f, g, name, strlen(name), &s);

	if (a == FILTER_PASS)
		assert_int_equal(s, -1);
	else
		assert_in_range(s, 0, 63);
	if (src)
		*src = s;
	return a;
}

#define BLOCKED(f, name, src) do { int s_; \
	assert_int_equal(dec(f, 0, name, &s_), FILTER_BLOCK); assert_int_equal(s_, src); } while (0)
#define ALLOWED(f, name, src) do { int s_; \
	assert_int_equal(dec(f, 0, name, &s_), FILTER_ALLOW); assert_int_equal(s_, src); } while (0)
#define PASSED(f, name) assert_int_equal(dec(f, 0, name, NULL), FILTER_PASS)

static void test_mixed_file(void **state)
{
	static const char text[] =
		"# mixed\n"
		"0.0.0.0 hosts.example\n"
		"127.0.0.1 h1.example h2.example # inline\r\n"
		"plain.example\n"
		"*.wild.example\n"
		"||ad.example^\n"
		"@@||ok.ad.example^\n"
		"address=/dm1.example/dm2.example/0.0.0.0\n"
		"\n"
		"! done\n"
		"0.0.0.0 localhost\n"
		"last.example";	/* no final newline */
	struct filter_source_stats st;
	struct filter_builder *fb;
	struct filter *f;

	(void)state;
	assert_int_equal(filter_builder_new(&fb), 0);
	assert_int_equal(filter_builder_add_list(fb, 3, "mixed.txt", text, strlen(text), &st,
						 NULL, NULL), 0);
	assert_int_equal(st.lines, 12);
	assert_int_equal(st.entries, 10);
	assert_int_equal(st.bad, 0);
	f = build(fb);
	assert_int_equal(filter_entries(f), 10);
	BLOCKED(f, "hosts.example", 3);
	PASSED(f, "sub.hosts.example");	/* hosts: exact */
	BLOCKED(f, "h1.example", 3);
	BLOCKED(f, "h2.example", 3);
	BLOCKED(f, "plain.example", 3);
	PASSED(f, "a.plain.example");	/* a plain domain in a list: exact */
	BLOCKED(f, "x.wild.example", 3);
	BLOCKED(f, "y.x.wild.example", 3);
	PASSED(f, "wild.example");	/* "*.d" does not match d */
	BLOCKED(f, "ad.example", 3);
	BLOCKED(f, "deep.er.ad.example", 3);
	ALLOWED(f, "ok.ad.example", 3);
	ALLOWED(f, "x.ok.ad.example", 3);
	BLOCKED(f, "dm1.example", 3);
	BLOCKED(f, "x.dm2.example", 3);
	PASSED(f, "localhost");
	BLOCKED(f, "last.example", 3);
	PASSED(f, "example");
	PASSED(f, "notad.example");	/* a suffix is whole labels */
	PASSED(f, "ad.example.com");
	filter_free(f);
}

static void test_bad_lines(void **state)
{
	struct bad_seen b = { 0 };
	struct filter_source_stats st;
	struct filter_builder *fb;
	struct filter *f;
	char *text = malloc(64 * 40);
	size_t n = 0;
	int i;

	(void)state;
	n += (size_t)sprintf(text + n, "good.example\n");			/* 1 */
	n += (size_t)sprintf(text + n, "||x.example/path^\n");			/* 2 */
	n += (size_t)sprintf(text + n, "# fine\n");				/* 3 */
	n += (size_t)sprintf(text + n, "server=/x.example/1.1.1.1\n");		/* 4 */
	n += (size_t)sprintf(text + n, "0.0.0.0 ok.example b@d\n");		/* 5 */
	n += (size_t)sprintf(text + n, "||y.example^$third-party\n");		/* 6 */
	for (i = 0; i < 30; i++)						/* 7..36 */
		n += (size_t)sprintf(text + n, "bad_%d..example\n", i);
	n += (size_t)sprintf(text + n, "good2.example\n");			/* 37 */
	assert_int_equal(filter_builder_new(&fb), 0);
	assert_int_equal(filter_builder_add_list(fb, 0, "list.txt", text, n, &st, bad_cb, &b),
			 0);
	assert_int_equal(st.lines, 37);
	assert_int_equal(st.bad, 34);
	assert_int_equal(st.entries, 2);
	assert_int_equal(b.n, 20);	/* the first 20 told */
	assert_string_equal(b.text[0], "list.txt:2: adblock rule with a path, port or wildcard "
			    "(only ||domain^)");
	assert_string_equal(b.text[1], "list.txt:4: dnsmasq server= forwards, it does not block");
	assert_string_equal(b.text[2], "list.txt:5: not a domain name");
	assert_string_equal(b.text[3], "list.txt:6: adblock option other than $important");
	assert_string_equal(b.text[4], "list.txt:7: not a domain name");
	assert_string_equal(b.text[19], "list.txt:22: not a domain name");
	f = build(fb);
	BLOCKED(f, "good.example", 0);
	BLOCKED(f, "good2.example", 0);
	PASSED(f, "ok.example");	/* its line was bad: none of it taken */
	filter_free(f);
	free(text);
}

static void test_precedence(void **state)
{
	struct filter_builder *fb;
	struct filter *f;

	(void)state;
	assert_int_equal(filter_builder_new(&fb), 0);
	add_list(fb, 5, "||ads.example^\n@@||good.ads.example^\nexact.example\n"
		 "*.wild.example\n||blockme.example^\n");
	add_list(fb, 9, "@@||allowlisted.example^\nads.example\n||ads.example^\n");
	add_list(fb, 2, "@@||blockme.example^\n");
	assert_int_equal(filter_builder_add_rule(fb, 60, "ruleallow.ads.example", FILTER_ALLOW),
			 0);
	assert_int_equal(filter_builder_add_rule(fb, 61, "allowlisted.example", FILTER_BLOCK), 0);
	assert_int_equal(filter_builder_add_rule(fb, 61, "=exact.rule", FILTER_BLOCK), 0);
	assert_int_equal(filter_builder_add_rule(fb, 61, "*.wild.rule", FILTER_BLOCK), 0);
	f = build(fb);
	/* the lowest deciding source */
	BLOCKED(f, "ads.example", 5);
	BLOCKED(f, "x.ads.example", 5);
	/* @@ in a list beats the list's block */
	ALLOWED(f, "good.ads.example", 5);
	ALLOWED(f, "x.good.ads.example", 5);
	/* a list's allow beats another list's block */
	ALLOWED(f, "blockme.example", 2);
	ALLOWED(f, "a.blockme.example", 2);
	/* an allow rule beats a block list */
	ALLOWED(f, "ruleallow.ads.example", 60);
	ALLOWED(f, "x.ruleallow.ads.example", 60);
	/* a block rule beats a list's allow */
	BLOCKED(f, "allowlisted.example", 61);
	BLOCKED(f, "x.allowlisted.example", 61);
	/* exact vs subtree */
	BLOCKED(f, "exact.example", 5);
	PASSED(f, "x.exact.example");
	BLOCKED(f, "exact.rule", 61);
	PASSED(f, "x.exact.rule");
	BLOCKED(f, "x.wild.example", 5);
	PASSED(f, "wild.example");
	BLOCKED(f, "x.wild.rule", 61);
	PASSED(f, "wild.rule");
	/* whole labels only */
	PASSED(f, "notads.example");
	PASSED(f, "ads.example.org");
	PASSED(f, "example");
	filter_free(f);
}

static void test_specific_and_important(void **state)
{
	struct filter_builder *fb;
	struct filter *f;

	(void)state;
	assert_int_equal(filter_builder_new(&fb), 0);
	add_list(fb, 1, "||example.com^\n@@||free.imp.example^\n");
	add_list(fb, 7, "||b.example.com^\n||imp.example^$important\n");
	add_list(fb, 8, "@@||a.b.example.com^$important\n");
	add_list(fb, 4, "@@||c.example.com^\n");
	add_list(fb, 3, "||x.c.example.com^\n");
	f = build(fb);
	/* one class: the most specific suffix names the source */
	BLOCKED(f, "example.com", 1);
	BLOCKED(f, "z.b.example.com", 7);
	BLOCKED(f, "b.example.com", 7);
	/* an important block beats a list's allow; an important allow beats that */
	BLOCKED(f, "free.imp.example", 7);
	ALLOWED(f, "a.b.example.com", 8);
	/* a list's allow above beats a list's block below: class before specificity */
	ALLOWED(f, "x.c.example.com", 4);
	filter_free(f);
}

static void test_rules(void **state)
{
	static const char *const good[] = {
		"example.com", "=example.com", "*.example.com", "||example.com^",
		"||example.com^$important", "@@||example.com^", "address=/a.com/b.com/",
		"0.0.0.0 a.example b.example", "Example.COM.",
	};
	static const struct { const char *p, *why; } bad[] = {
		{ "", "empty pattern: nothing to match" },
		{ "# just a comment", "empty pattern: nothing to match" },
		{ "exa mple.com", "several words and the first is not an address" },
		{ "||example.com/x^",
		  "adblock rule with a path, port or wildcard (only ||domain^)" },
		{ "a..b", "not a domain name" },
		{ "server=/a.com/", "dnsmasq server= forwards, it does not block" },
	};
	struct filter_builder *fb;
	struct filter *f;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		why = "x";
		assert_int_equal(filter_rule_parse(good[i], &why), 0);
		assert_null(why);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(filter_rule_parse(bad[i].p, &why), -EINVAL);
		assert_string_equal(why, bad[i].why);
	}
	assert_int_equal(filter_rule_parse(NULL, &why), -EINVAL);

	assert_int_equal(filter_builder_new(&fb), 0);
	assert_int_equal(filter_builder_add_rule(fb, 0, "a..b", FILTER_BLOCK), -EINVAL);
	assert_int_equal(filter_builder_add_rule(fb, 0, "", FILTER_BLOCK), -EINVAL);
	assert_int_equal(filter_builder_add_rule(fb, 0, "x.example", FILTER_PASS), -EINVAL);
	assert_int_equal(filter_builder_add_rule(fb, 64, "x.example", FILTER_BLOCK), -EINVAL);
	assert_int_equal(filter_builder_add_rule(fb, 0, "Sub.Example", FILTER_BLOCK), 0);
	assert_int_equal(filter_builder_add_rule(fb, 0, "@@||ok.sub.example^", FILTER_BLOCK), 0);
	assert_int_equal(filter_builder_add_rule(fb, 0, "=only.example", FILTER_ALLOW), 0);
	/* a rule's bit is not a list's */
	assert_int_equal(filter_builder_add_list(fb, 0, "t", "x.example", 9, NULL, NULL, NULL),
			 -EINVAL);
	add_list(fb, 1, "||only.example^\n");
	assert_int_equal(filter_builder_add_rule(fb, 1, "y.example", FILTER_BLOCK), -EINVAL);
	f = build(fb);
	BLOCKED(f, "sub.example", 0);	/* a plain domain in a rule: the subtree */
	BLOCKED(f, "a.b.sub.example", 0);
	ALLOWED(f, "ok.sub.example", 0);
	ALLOWED(f, "only.example", 0);
	BLOCKED(f, "x.only.example", 1);
	PASSED(f, "example");
	filter_free(f);
}

static void test_sources(void **state)
{
	struct filter_builder *fb;
	struct filter *f;
	char text[64], name[64];
	unsigned i;

	(void)state;
	assert_int_equal(filter_builder_new(&fb), 0);
	assert_int_equal(filter_builder_add_list(fb, 64, "t", "a.b", 3, NULL, NULL, NULL),
			 -EINVAL);
	for (i = 0; i < 64; i++) {
		snprintf(text, sizeof(text), "s%u.example\nshared.example\n", i);
		add_list(fb, 63 - i, text);
	}
	assert_int_equal(filter_builder_add_list(fb, 7, "t", "a.b", 3, NULL, NULL, NULL),
			 -EINVAL);	/* used twice */
	filter_builder_group(fb, 42, 1ULL << 63);
	filter_builder_group(fb, -5, (1ULL << 10) | (1ULL << 20));
	f = build(fb);
	assert_int_equal(filter_entries(f), 65);
	for (i = 0; i < 64; i++) {
		int s;

		snprintf(name, sizeof(name), "s%u.example", i);
		assert_int_equal(dec(f, 0, name, &s), FILTER_BLOCK);
		assert_int_equal(s, 63 - (int)i);
		assert_int_equal(dec(f, 42, name, &s), i == 0 ? FILTER_BLOCK : FILTER_PASS);
	}
	BLOCKED(f, "shared.example", 0);
	assert_int_equal(dec(f, 42, "shared.example", NULL), FILTER_BLOCK);
	{
		int s;

		assert_int_equal(dec(f, 42, "shared.example", &s), FILTER_BLOCK);
		assert_int_equal(s, 63);
		assert_int_equal(dec(f, -5, "shared.example", &s), FILTER_BLOCK);
		assert_int_equal(s, 10);
		assert_int_equal(dec(f, -5, "s43.example", &s), FILTER_BLOCK);
		assert_int_equal(s, 20);
	}
	filter_free(f);
}

static void test_groups(void **state)
{
	struct filter_builder *fb;
	struct filter *f;
	int s;

	(void)state;
	assert_int_equal(filter_builder_new(&fb), 0);
	add_list(fb, 0, "ads.example\n");
	add_list(fb, 1, "tracker.example\n");
	assert_int_equal(filter_builder_add_rule(fb, 2, "ads.example", FILTER_ALLOW), 0);
	filter_builder_default(fb, 1ULL << 1);
	filter_builder_group(fb, 10, 1ULL << 0);
	filter_builder_group(fb, 11, 0);
	filter_builder_group(fb, 12, 0x7);
	filter_builder_group(fb, 10, 0x3);	/* the last for one group wins */
	filter_builder_group(fb, INT64_MIN, 1ULL << 0);
	f = build(fb);
	/* unmapped groups: the default */
	assert_int_equal(dec(f, 99, "ads.example", NULL), FILTER_PASS);
	assert_int_equal(dec(f, 99, "tracker.example", &s), FILTER_BLOCK);
	assert_int_equal(s, 1);
	assert_int_equal(dec(f, 10, "ads.example", &s), FILTER_BLOCK);
	assert_int_equal(s, 0);
	assert_int_equal(dec(f, 10, "tracker.example", NULL), FILTER_BLOCK);
	assert_int_equal(dec(f, 11, "ads.example", NULL), FILTER_PASS);
	assert_int_equal(dec(f, 11, "tracker.example", NULL), FILTER_PASS);
	assert_int_equal(dec(f, 12, "ads.example", &s), FILTER_ALLOW);
	assert_int_equal(s, 2);
	assert_int_equal(dec(f, INT64_MIN, "ads.example", NULL), FILTER_BLOCK);
	assert_int_equal(dec(f, INT64_MIN, "tracker.example", NULL), FILTER_PASS);
	filter_free(f);

	/* no default set: every source */
	assert_int_equal(filter_builder_new(&fb), 0);
	add_list(fb, 33, "ads.example\n");
	f = build(fb);
	assert_int_equal(dec(f, 1234, "ads.example", &s), FILTER_BLOCK);
	assert_int_equal(s, 33);
	filter_free(f);
}

static void test_empty_and_odd(void **state)
{
	struct filter_builder *fb;
	struct filter *f;
	char deep[1024];
	size_t i;

	(void)state;
	assert_int_equal(filter_build(NULL, &f), -EINVAL);
	filter_builder_free(NULL);
	filter_free(NULL);
	assert_int_equal(filter_decide(NULL, 0, "a", 1, NULL), FILTER_PASS);
	assert_int_equal(filter_builder_new(&fb), 0);
	f = build(fb);
	assert_int_equal(filter_entries(f), 0);
	assert_true(filter_bytes(f) > 0);
	PASSED(f, "ads.example");
	filter_free(f);

	assert_int_equal(filter_builder_new(&fb), 0);
	add_list(fb, 0, "||com^\n");
	f = build(fb);
	PASSED(f, "");
	BLOCKED(f, "com", 0);
	BLOCKED(f, "a.com", 0);
	PASSED(f, "a.com.");	/* callers strip the dot: "" is no label of anything listed */
	PASSED(f, ".");
	PASSED(f, "a..org");
	/* deeper than any name may be: the suffixes still count */
	for (i = 0; i + 2 < sizeof(deep) - 4; i += 2)
		memcpy(deep + i, "a.", 2);
	strcpy(deep + i, "com");
	BLOCKED(f, deep, 0);
	filter_free(f);
}

static void test_large(void **state)
{
	enum { N = 100000 };
	struct filter_source_stats st;
	struct filter_builder *fb;
	struct filter *f;
	char *text = malloc((size_t)N * 40), name[64];
	size_t n = 0, i;

	(void)state;
	for (i = 0; i < N; i++)
		n += (size_t)sprintf(text + n, i % 3 ? "0.0.0.0 host%zu.ads%zu.example\n" :
				     "||host%zu.ads%zu.example^\n", i, i % 97);
	assert_int_equal(filter_builder_new(&fb), 0);
	assert_int_equal(filter_builder_add_list(fb, 0, "big", text, n, &st, NULL, NULL), 0);
	assert_int_equal(st.entries, N);
	assert_int_equal(st.bad, 0);
	f = build(fb);
	assert_int_equal(filter_entries(f), N);
	/* the hashes only: 64-byte buckets of 5 about 60 % full, few combinations */
	assert_true(filter_bytes(f) >= (size_t)N * 12);
	assert_true(filter_bytes(f) <= (size_t)N * 12 * 4);
	for (i = 0; i < N; i += 7) {
		snprintf(name, sizeof(name), "host%zu.ads%zu.example", i, i % 97);
		BLOCKED(f, name, 0);
		snprintf(name, sizeof(name), "sub.host%zu.ads%zu.example", i, i % 97);
		if (i % 3)
			PASSED(f, name);
		else
			BLOCKED(f, name, 0);
		snprintf(name, sizeof(name), "host%zu.ads%zu.example", i, (i + 1) % 97);
		PASSED(f, name);
	}
	filter_free(f);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_formats),
		cmocka_unit_test(test_line_bad),
		cmocka_unit_test(test_mixed_file),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_specific_and_important),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_empty_and_odd),
		cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
