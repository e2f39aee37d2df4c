/* The resolver's domain filter at 1,000,000 listed domains: parse and compile time, the
 * snapshot's memory (bytes held and RSS growth) and the time of one decision over 1,000,000
 * query names of 3 to 5 labels, half of them listed. */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/dns/filter.h"

#define NLIST 1000000
#define NQUERY 1000000
#define BATCH 100

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long rss_kb(void)
{
	long pages = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f && fscanf(f, "%ld %ld", &pages, &res) != 2)
		res = 0;
	if (f)
		fclose(f);
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static const char *const tlds[] = { "com", "net", "org", "io", "de", "info", "xyz", "co.uk" };

/* A label of 3 to 12 letters and digits. */
static size_t put_label(char *p)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t n = 3 + next() % 10, i;

	for (i = 0; i < n; i++)
		p[i] = al[next() % 36];
	return n;
}

/* A name of labels random labels and a top-level domain (labels + 1 or 2 in all). */
static size_t put_name(char *p, unsigned labels)
{
	size_t n = 0;
	const char *tld = tlds[next() % (sizeof(tlds) / sizeof(tlds[0]))];
	unsigned i;

	for (i = 0; i < labels; i++) {
		n += put_label(p + n);
		p[n++] = '.';
	}
	memcpy(p + n, tld, strlen(tld));
	return n + strlen(tld);
}

int main(void)
{
	/* Each listed name: its offset in the text, length and whether it covers a subtree. */
	static uint32_t loff[NLIST];
	static uint8_t llen[NLIST], lsub[NLIST];
	static uint32_t qoff[NQUERY];
	static uint8_t qlen[NQUERY];
	static double batch_ns[NQUERY / BATCH];
	size_t cap = (size_t)NLIST * 64, len = 0, qcap = (size_t)NQUERY * 80, qn = 0;
	char *text = malloc(cap), *qtext = malloc(qcap);
	struct filter_source_stats st;
	struct filter_builder *fb;
	struct filter *f;
	double t0, t1, t2, sum = 0;
	long rss0, rss1;
	size_t i, hits = 0, blocked = 0;
	int src;

	if (!text || !qtext)
		return 1;
	/* Mixed formats as real lists are: 70 % hosts, 20 % plain domains, 10 % adblock. */
	for (i = 0; i < NLIST; i++) {
		unsigned kind = (unsigned)(next() % 10);

		if (i % 1000 == 0)
			len += (size_t)sprintf(text + len, "# part %zu\n", i / 1000);
		if (kind < 7) {
			memcpy(text + len, "0.0.0.0 ", 8);
			len += 8;
		} else if (kind == 9) {
			memcpy(text + len, "||", 2);
			len += 2;
		}
		loff[i] = (uint32_t)len;
		llen[i] = (uint8_t)put_name(text + len, 2 + (unsigned)(next() % 2));
		lsub[i] = kind == 9;
		len += llen[i];
		if (kind == 9)
			text[len++] = '^';
		text[len++] = '\n';
	}
	/* Queries: half listed (the name, or a name below a subtree entry), half not. */
	for (i = 0; i < NQUERY; i++) {
		qoff[i] = (uint32_t)qn;
		if (next() % 2) {
			size_t k = next() % NLIST, n = 0;

			if (lsub[k]) {
				n = put_label(qtext + qn);
				qtext[qn + n++] = '.';
			}
			memcpy(qtext + qn + n, text + loff[k], llen[k]);
			qlen[i] = (uint8_t)(n + llen[k]);
			hits++;
		} else {
			qlen[i] = (uint8_t)put_name(qtext + qn, 2 + (unsigned)(next() % 3));
		}
		qn += qlen[i];
	}

	malloc_trim(0);
	rss0 = rss_kb();
	t0 = now_s();
	filter_builder_new(&fb);
	filter_builder_add_list(fb, 0, "generated", text, len, &st, NULL, NULL);
	t1 = now_s();
	if (filter_build(fb, &f) < 0)
		return 1;
	t2 = now_s();
	malloc_trim(0);
	rss1 = rss_kb();
	printf("list: %zu lines, %zu entries, %zu bad, %zu distinct names, %.1f MB of text\n",
	       st.lines, st.entries, st.bad, filter_entries(f), (double)len / 1e6);
	printf("load (parse + compile): %.3f s (parse %.3f s, compile %.3f s)   target <= 1.5 s\n",
	       t2 - t0, t1 - t0, t2 - t1);
	printf("snapshot: %.1f MB held (filter_bytes), RSS +%.1f MB   target <= 48 MB\n",
	       (double)filter_bytes(f) / 1048576.0, (double)(rss1 - rss0) / 1024.0);

	for (i = 0; i < NQUERY; i += BATCH) {
		double a = now_s(), b;
		size_t j;

		for (j = i; j < i + BATCH; j++)
			blocked += filter_decide(f, 1, qtext + qoff[j], qlen[j], &src) ==
				   FILTER_BLOCK;
		b = now_s();
		batch_ns[i / BATCH] = (b - a) * 1e9 / BATCH;
		sum += b - a;
	}
	qsort(batch_ns, NQUERY / BATCH, sizeof(batch_ns[0]), dbl_cmp);
	printf("decision: median %.0f ns, p99 %.0f ns, mean %.0f ns over %d lookups "
	       "(%zu listed, %zu blocked; median of batches of %d)   target <= 300 ns\n",
	       batch_ns[NQUERY / BATCH / 2], batch_ns[NQUERY / BATCH * 99 / 100],
	       sum * 1e9 / NQUERY, NQUERY, hits, blocked, BATCH);
	filter_free(f);
	free(text);
	free(qtext);
	if (blocked != hits)
		printf("warning: %zu listed queries but %zu blocked\n", hits, blocked);
	return 0;
}
