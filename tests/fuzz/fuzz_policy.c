/* libFuzzer harness for a group's policy fields (what the file, the API and the CLI hand
 * to profiles/policy.c): every parser on the input; what one accepts prints to canonical
 * text that parses to the identical value and prints the same again; a refusal says why
 * and writes nothing; a schedule's next change is the first second that differs. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profiles/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char a[POLICY_STRLEN], b[POLICY_STRLEN], why[256];

static void dests(const char *in)
{
	struct policy_dest *v = (struct policy_dest *)&why, *w = NULL;
	size_t n = 99, m = 0;

	why[0] = '\0';
	if (policy_dests_parse(in, &v, &n, why, sizeof(why)) < 0) {
		if (!why[0] || n != 99)
			abort();
		return;
	}
	policy_dests_fmt(v, n, a, sizeof(a));
	if (strlen(a) >= sizeof(a) - 1 || policy_dests_parse(a, &w, &m, why, sizeof(why)) < 0 ||
	    m != n || (n && memcmp(v, w, n * sizeof(*v))))
		abort();
	if (strcmp(policy_dests_fmt(w, m, b, sizeof(b)), a) != 0)
		abort();
	free(v);
	free(w);
}

static void sources(const char *in)
{
	struct cidrv v = { 0 }, w = { 0 };

	why[0] = '\0';
	if (policy_sources_parse(in, &v, why, sizeof(why)) < 0) {
		if (!why[0] || v.n)
			abort();
		return;
	}
	policy_sources_fmt(&v, a, sizeof(a));
	if (policy_sources_parse(a, &w, why, sizeof(why)) < 0 || !cidrv_equal(&v, &w))
		abort();
	if (strcmp(policy_sources_fmt(&w, b, sizeof(b)), a) != 0)
		abort();
	cidrv_clear(&v);
	cidrv_clear(&w);
}

static void schedule(const char *in, time_t t)
{
	struct policy_schedule s, u;
	time_t next;
	bool open;

	why[0] = '\0';
	s.n = 999;
	if (policy_schedule_parse(in, &s, why, sizeof(why)) < 0) {
		if (!why[0] || s.n != 999)
			abort();
		return;
	}
	policy_schedule_fmt(&s, a, sizeof(a));
	if (policy_schedule_parse(a, &u, why, sizeof(why)) < 0 || u.n != s.n ||
	    u.never != s.never || memcmp(u.w, s.w, s.n * sizeof(s.w[0])))
		abort();
	if (strcmp(policy_schedule_fmt(&u, b, sizeof(b)), a) != 0)
		abort();
	/* the process's zone (UTC where the fuzzer runs): no zone file read per input */
	open = policy_schedule_open(&s, NULL, t);
	next = policy_schedule_next(&s, NULL, t);
	if (next && (next <= t || next - t > 15 * 86400 ||
		     policy_schedule_open(&s, NULL, next) == open ||
		     policy_schedule_open(&s, NULL, next - 1) != open))
		abort();
	if ((s.never || !s.n) && next)
		abort();
}

static void rate(const char *in)
{
	struct policy_rate r = { 7, 7 }, q;

	why[0] = '\0';
	if (policy_rate_parse(in, &r, why, sizeof(why)) < 0) {
		if (!why[0] || r.down_bps != 7 || r.up_bps != 7)
			abort();
		return;
	}
	policy_rate_fmt(&r, a, sizeof(a));
	if (policy_rate_parse(a, &q, why, sizeof(why)) < 0 || memcmp(&r, &q, sizeof(r)))
		abort();
	if (strcmp(policy_rate_fmt(&q, b, sizeof(b)), a) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in;
	time_t t = 1785000000;    /* mid-2026 */
	size_t i;

	if (size > 16384)
		return 0;
	/* the first bytes, if any, move the instant the schedule is asked about */
	for (i = 0; i < size && i < 3; i++)
		t += (time_t)data[i] * 3607 * (time_t)(i + 1);
	in = malloc(size + 1);
	if (!in)
		abort();
	memcpy(in, data, size);
	in[size] = '\0';
	dests(in);
	sources(in);
	schedule(in, t);
	rate(in);
	free(in);
	return 0;
}
