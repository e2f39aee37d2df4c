/* The password hashing pool on a real loop: results, 50 verifies at once while a timer
 * keeps its time, a full queue, cancellation, shutdown with work in flight, the fixed
 * hash for unknown names, the production parameters; and the password policy. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/loop.h"
#include "server/auth/pwhash.h"

/* Cheap parameters: each hash takes a few milliseconds, still on the workers. */
#define TEST_MEM ((size_t)4 << 20)
#define TEST_OPS 1ull

struct run {
	struct loop *loop;
	struct pwhash_pool *pool;
	int want;                   /* callbacks to wait for, then stop */
	int calls;
	int matches, mismatches, errors;
	char encoded[PWHASH_STR_LEN];
	int seen[64];               /* per job tag: how often its callback ran */
	int order[64], n_order;     /* tags in the order their callbacks ran */
	bool last_rehash;
	bool free_in_callback;
	struct timer *guard;
};

struct tag {
	struct run *run;
	int n;
	bool want_match;
};

static void guard_fired(struct loop *l, struct timer *t, void *data)
{
	(void)t;
	(void)data;
	loop_stop(l, -ETIMEDOUT);
}

static void run_setup(struct run *r, const struct pwhash_params *pp)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(loop_new(&r->loop), 0);
	assert_int_equal(pwhash_pool_new(r->loop, pp, &r->pool), 0);
	r->guard = timer_new(r->loop, guard_fired, NULL);
}

static void run_teardown(struct run *r)
{
	pwhash_pool_free(r->pool);
	loop_free(r->loop);
}

/* Run until want callbacks have come, 20 s at most. */
static void run_until(struct run *r, int want)
{
	r->want = want;
	if (r->calls >= want)
		return;
	timer_arm(r->guard, 20000);
	assert_int_equal(loop_run(r->loop), 0);
	timer_disarm(r->guard);
}

static void stopper(struct loop *l, struct timer *t, void *data)
{
	(void)t;
	(void)data;
	loop_stop(l, 0);
}

/* Let the loop run for ms, whatever happens meanwhile. */
static void run_for(struct run *r, uint64_t ms)
{
	struct timer *t = timer_new(r->loop, stopper, NULL);

	r->want = 1 << 30;
	timer_arm(t, ms);
	assert_int_equal(loop_run(r->loop), 0);
	timer_free(t);
}

static void count(struct run *r)
{
	if (++r->calls >= r->want)
		loop_stop(r->loop, 0);
}

static void on_hash(void *data, int err, const char *encoded)
{
	struct run *r = data;

	assert_int_equal(err, 0);
	assert_non_null(encoded);
	assert_true(strlen(encoded) < sizeof(r->encoded));
	strcpy(r->encoded, encoded);
	count(r);
}

static void on_verify(void *data, const struct pwhash_verdict *v)
{
	struct tag *t = data;
	struct run *r = t->run;

	if (v->err)
		r->errors++;
	else if (v->match)
		r->matches++;
	else
		r->mismatches++;
	assert_int_equal(v->match, t->want_match);
	assert_false(v->needs_rehash && !v->match);
	r->last_rehash = v->needs_rehash;
	r->seen[t->n]++;
	if (r->n_order < 64)
		r->order[r->n_order++] = t->n;
	if (r->free_in_callback) {
		pwhash_pool_free(r->pool);
		r->pool = NULL;
		loop_stop(r->loop, 0);
		return;
	}
	count(r);
}

static void make_hash(struct run *r, const char *pw)
{
	int before = r->calls;

	assert_int_equal(pwhash_hash(r->pool, 0, pw, strlen(pw), on_hash, r, NULL), 0);
	run_until(r, before + 1);
}

static const struct pwhash_params cheap = { .threads = 2, .opslimit = TEST_OPS,
					    .memlimit = TEST_MEM };

static void test_hash_and_verify(void **state)
{
	struct run r;
	struct tag ok = { &r, 0, true }, bad = { &r, 1, false }, unknown = { &r, 2, false };
	char want[64];

	(void)state;
	run_setup(&r, &cheap);
	make_hash(&r, "correct horse battery");
	snprintf(want, sizeof(want), "$argon2id$v=19$m=%zu,t=%llu,p=1$", TEST_MEM >> 10, TEST_OPS);
	assert_memory_equal(r.encoded, want, strlen(want));

	assert_int_equal(pwhash_verify(r.pool, 0, r.encoded, "correct horse battery", 21, on_verify,
				       &ok, NULL), 0);
	run_until(&r, 2);
	assert_int_equal(r.matches, 1);
	assert_false(r.last_rehash);
	assert_int_equal(pwhash_verify(r.pool, 0, r.encoded, "correct horse batterY", 21, on_verify,
				       &bad, NULL), 0);
	run_until(&r, 3);
	assert_int_equal(r.mismatches, 1);
	/* an unknown name, even with the very password of some account */
	assert_int_equal(pwhash_verify(r.pool, 0, NULL, "correct horse battery", 21, on_verify,
				       &unknown, NULL), 0);
	run_until(&r, 4);
	assert_int_equal(r.mismatches, 2);
	assert_int_equal(r.errors, 0);

	/* the empty password and embedded NULs are passwords like others */
	make_hash(&r, "");
	ok.n = 3;
	assert_int_equal(pwhash_verify(r.pool, 0, r.encoded, "", 0, on_verify, &ok, NULL), 0);
	run_until(&r, 6);
	assert_int_equal(pwhash_hash(r.pool, 0, "a\0b", 3, on_hash, &r, NULL), 0);
	run_until(&r, 7);
	bad.n = 4;
	assert_int_equal(pwhash_verify(r.pool, 0, r.encoded, "a\0c", 3, on_verify, &bad, NULL), 0);
	run_until(&r, 8);
	ok.n = 5;
	assert_int_equal(pwhash_verify(r.pool, 0, r.encoded, "a\0b", 3, on_verify, &ok, NULL), 0);
	run_until(&r, 9);
	assert_int_equal(r.matches, 3);
	assert_int_equal(r.errors, 0);
	run_teardown(&r);
}

static void test_refused_input(void **state)
{
	static const char *const bad[] = {
		"",
		"password",
		"$argon2i$v=19$m=4096,t=1,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
		"$argon2id$",
		"$argon2id$v=19$m=4096,t=1,p=1$",
		"$argon2id$v=19$m=x,t=1,p=1$c29tZXNhbHRzYWx0$RdescudvJCsgt3ub+b+dWRWJTmaaJObGRdescudvJCs",
	};
	struct run r;
	struct tag t = { &r, 0, false };
	char big[PWHASH_INPUT_MAX + 1], longstr[300];
	uint64_t id = 77;
	size_t i;

	(void)state;
	run_setup(&r, &cheap);
	memset(big, 'x', sizeof(big));
	assert_int_equal(pwhash_hash(r.pool, 0, big, sizeof(big), on_hash, &r, &id), -E2BIG);
	assert_int_equal(id, 0);
	assert_int_equal(pwhash_verify(r.pool, 0, NULL, big, sizeof(big), on_verify, &t, NULL),
			 -E2BIG);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pwhash_verify(r.pool, 0, bad[i], "pw", 2, on_verify, &t, NULL),
				 -EINVAL);
	assert_int_equal(pwhash_verify(r.pool, 0, NULL, "pw", 2, NULL, &t, NULL), -EINVAL);
	assert_int_equal(pwhash_hash(r.pool, 0, "pw", 2, NULL, &t, NULL), -EINVAL);
	memset(longstr, 'a', sizeof(longstr) - 1);
	longstr[sizeof(longstr) - 1] = '\0';
	memcpy(longstr, "$argon2id$", 10);
	assert_int_equal(pwhash_verify(r.pool, 0, longstr, "pw", 2, on_verify, &t, NULL), -EINVAL);
	/* the longest password taken still works */
	assert_int_equal(pwhash_hash(r.pool, 0, big, PWHASH_INPUT_MAX, on_hash, &r, &id), 0);
	assert_true(id > 0);
	run_until(&r, 1);
	run_for(&r, 20);
	assert_int_equal(r.calls, 1);
	run_teardown(&r);

	/* parameters libsodium refuses */
	{
		struct pwhash_params pp = cheap;
		struct pwhash_pool *p = (struct pwhash_pool *)1;
		struct loop *l;

		assert_int_equal(loop_new(&l), 0);
		pp.memlimit = 1024;
		assert_int_equal(pwhash_pool_new(l, &pp, &p), -EINVAL);
		assert_null(p);
		pp = cheap;
		pp.threads = PWHASH_THREADS_MAX + 1;
		assert_int_equal(pwhash_pool_new(l, &pp, &p), -EINVAL);
		loop_free(l);
	}
}

/* A hash made with other parameters verifies, and says it wants redoing. */
static void test_needs_rehash(void **state)
{
	struct pwhash_params other = cheap;
	struct run r;
	struct tag ok = { &r, 0, true };
	char old[PWHASH_STR_LEN];

	(void)state;
	other.opslimit = TEST_OPS + 1;
	run_setup(&r, &other);
	make_hash(&r, "an older password");
	strcpy(old, r.encoded);
	run_teardown(&r);

	run_setup(&r, &cheap);
	assert_int_equal(pwhash_verify(r.pool, 0, old, "an older password", 17, on_verify, &ok,
				       NULL), 0);
	run_until(&r, 1);
	assert_int_equal(r.matches, 1);
	assert_true(r.last_rehash);
	run_teardown(&r);
}

struct ticker {
	struct timer *t;
	uint64_t due;
	uint64_t worst;
	int ticks;
};

static void tick(struct loop *l, struct timer *t, void *data)
{
	struct ticker *k = data;
	uint64_t now = loop_now_ms();

	(void)l;
	if (now - k->due > k->worst)
		k->worst = now - k->due;
	k->ticks++;
	k->due = now + 5;
	timer_arm(t, 5);
}

/* 50 verifies submitted at once, half right and half wrong, on two workers with hashes
 * of some cost: all come back right, and a 5 ms timer fires on time throughout. */
static void test_fifty_while_loop_runs(void **state)
{
	struct pwhash_params pp = { .threads = 2, .opslimit = 2, .memlimit = (size_t)16 << 20 };
	struct tag tags[50];
	struct ticker k = { 0 };
	struct run r;
	uint64_t t0, took;
	int i;

	(void)state;
	run_setup(&r, &pp);
	make_hash(&r, "the right one");
	r.calls = 0;
	k.t = timer_new(r.loop, tick, &k);
	k.due = loop_now_ms() + 5;
	timer_arm(k.t, 5);
	t0 = loop_now_ms();
	for (i = 0; i < 50; i++) {
		tags[i].run = &r;
		tags[i].n = i;
		tags[i].want_match = i % 2 == 0;
		/* 50 clients: one alone would fill its lane */
		assert_int_equal(pwhash_verify(r.pool, (uint64_t)i, r.encoded,
					       i % 2 ? "the wrong one" : "the right one", 13,
					       on_verify, &tags[i], NULL), 0);
	}
	/* submitting is only a copy and a queue append */
	assert_true(loop_now_ms() - t0 < 50);
	run_until(&r, 50);
	took = loop_now_ms() - t0;
	assert_int_equal(r.matches, 25);
	assert_int_equal(r.mismatches, 25);
	assert_int_equal(r.errors, 0);
	for (i = 0; i < 50; i++)
		assert_int_equal(r.seen[i], 1);
	/* The work took a while and the timer kept ticking through it. The bounds are
	 * relative, as a machine busy with other work delays any thread: hashes on the
	 * loop would make one tick wait for all of them. */
	assert_true(took >= 100);
	assert_true(k.ticks >= (int)(took / 5) / 4);
	assert_true(k.worst < took / 4);
	timer_free(k.t);
	run_teardown(&r);
}

static void test_queue_full(void **state)
{
	struct pwhash_params pp = { .threads = 1, .queue_max = 4, .opslimit = 2,
				    .memlimit = (size_t)16 << 20 };
	struct tag t[16];
	struct run r;
	int accepted = 0, i, rc;

	(void)state;
	run_setup(&r, &pp);
	for (i = 0; i < 16; i++)
		t[i] = (struct tag){ &r, i, false };
	for (i = 0; i < 15; i++) {
		rc = pwhash_verify(r.pool, 0, NULL, "guess", 5, on_verify, &t[i], NULL);
		if (rc == -EBUSY)
			break;
		assert_int_equal(rc, 0);
		accepted++;
	}
	/* 4 waiting, and what the worker has taken meanwhile: normally one at most (a
	 * hash is far slower than a submission), a few if this thread was held up */
	assert_true(accepted >= 4 && accepted <= 8);
	assert_int_equal(pwhash_verify(r.pool, 0, NULL, "guess", 5, on_verify, &t[15], NULL),
			 -EBUSY);
	run_until(&r, accepted);
	assert_int_equal(r.mismatches, accepted);
	assert_int_equal(r.seen[15], 0);
	/* room again */
	assert_int_equal(pwhash_verify(r.pool, 0, NULL, "guess", 5, on_verify, &t[15], NULL), 0);
	run_until(&r, accepted + 1);
	assert_int_equal(r.seen[15], 1);
	run_teardown(&r);
}

/* One owner's flood waits behind itself: another owner's job is taken next and, when the
 * queue is full, pushes out the flooder's newest (told -EBUSY) rather than being refused;
 * the flooder itself is refused. */
static void test_lanes(void **state)
{
	struct pwhash_params pp = { .threads = 1, .queue_max = 8, .opslimit = 2,
				    .memlimit = (size_t)16 << 20 };
	struct tag t[40];
	struct run r;
	int flood = 0, other = -1, i, rc, pos;

	(void)state;
	run_setup(&r, &pp);
	for (i = 0; i < 40; i++)
		t[i] = (struct tag){ &r, i, false };
	for (i = 0; i < 30; i++) {
		rc = pwhash_verify(r.pool, 1, NULL, "guess", 5, on_verify, &t[i], NULL);
		if (rc == -EBUSY)
			break;
		assert_int_equal(rc, 0);
		flood++;
	}
	/* the queue's 8, and what the worker took meanwhile */
	assert_true(flood >= 8 && flood <= 12);
	/* another owner: in another lane but for a 1-in-64 chance, so try a few */
	for (i = 0; i < 8 && other < 0; i++) {
		rc = pwhash_verify(r.pool, 100 + (uint64_t)i, NULL, "guess", 5, on_verify, &t[30 + i],
				   NULL);
		if (rc == 0)
			other = 30 + i;
		else
			assert_int_equal(rc, -EBUSY);
	}
	assert_true(other >= 0);
	assert_int_equal(pwhash_verify(r.pool, 1, NULL, "guess", 5, on_verify, &t[39], NULL),
			 -EBUSY);
	run_until(&r, flood + 1);
	assert_int_equal(r.seen[other], 1);
	assert_int_equal(r.errors, 1);          /* the flooder's newest, pushed out */
	assert_int_equal(r.seen[flood - 1], 1);
	for (pos = 0; pos < r.n_order && r.order[pos] != other; pos++)
		;
	/* delivered after the pushed-out one and the flooder's job in hand, and no more than
	 * the few the worker had taken before it came */
	assert_true(pos <= 2 + (flood - 8));
	run_teardown(&r);
}

static void test_cancel(void **state)
{
	struct pwhash_params pp = { .threads = 1, .opslimit = 1, .memlimit = (size_t)8 << 20 };
	struct tag t[12];
	uint64_t id[12];
	struct run r;
	int i;

	(void)state;
	run_setup(&r, &pp);
	for (i = 0; i < 10; i++) {
		t[i] = (struct tag){ &r, i, false };
		assert_int_equal(pwhash_verify(r.pool, 0, NULL, "x", 1, on_verify, &t[i], &id[i]), 0);
		assert_true(id[i] > 0);
		if (i)
			assert_true(id[i] > id[i - 1]);
	}
	/* the first is probably running, the others waiting */
	for (i = 0; i < 10; i += 2)
		assert_true(pwhash_cancel(r.pool, id[i]));
	assert_false(pwhash_cancel(r.pool, id[0]));
	assert_false(pwhash_cancel(r.pool, id[9] + 100));
	assert_false(pwhash_cancel(r.pool, 0));
	assert_false(pwhash_cancel(NULL, id[1]));
	run_until(&r, 5);
	run_for(&r, 50);
	assert_int_equal(r.calls, 5);
	for (i = 0; i < 10; i++)
		assert_int_equal(r.seen[i], i % 2);
	/* an id whose callback has run is harmless to cancel */
	assert_false(pwhash_cancel(r.pool, id[1]));

	/* finished but not yet delivered: the loop has not run since */
	t[10] = (struct tag){ &r, 10, false };
	assert_int_equal(pwhash_verify(r.pool, 0, NULL, "x", 1, on_verify, &t[10], &id[10]), 0);
	usleep(300000);
	assert_true(pwhash_cancel(r.pool, id[10]));
	run_for(&r, 50);
	assert_int_equal(r.seen[10], 0);
	assert_int_equal(r.calls, 5);
	run_teardown(&r);

	/* running (most likely, with a slow hash and the worker idle): cancelled once, and
	 * the worker frees it when it is done */
	pp.memlimit = (size_t)32 << 20;
	pp.opslimit = 3;
	run_setup(&r, &pp);
	usleep(400000);
	t[11] = (struct tag){ &r, 11, false };
	assert_int_equal(pwhash_verify(r.pool, 0, NULL, "x", 1, on_verify, &t[11], &id[11]), 0);
	usleep(20000);
	assert_true(pwhash_cancel(r.pool, id[11]));
	assert_false(pwhash_cancel(r.pool, id[11]));
	run_for(&r, 400);
	assert_int_equal(r.calls, 0);
	run_teardown(&r);
}

/* Freeing the pool with jobs waiting, running and done: nothing is called, nothing leaks
 * (under SANITIZE=1), and it returns. Then freeing it from inside a callback. */
static void test_free_in_flight(void **state)
{
	struct pwhash_params pp = { .threads = 2, .opslimit = 1, .memlimit = (size_t)8 << 20 };
	struct tag t[20];
	struct run r;
	int i;

	(void)state;
	run_setup(&r, &pp);
	for (i = 0; i < 20; i++) {
		t[i] = (struct tag){ &r, i, false };
		assert_int_equal(pwhash_verify(r.pool, (uint64_t)i, NULL, "x", 1, on_verify, &t[i],
					       NULL), 0);
	}
	usleep(20000);
	pwhash_pool_free(r.pool);
	r.pool = NULL;
	assert_int_equal(r.calls, 0);
	run_for(&r, 20);
	assert_int_equal(r.calls, 0);
	run_teardown(&r);

	run_setup(&r, &pp);
	for (i = 0; i < 20; i++) {
		t[i] = (struct tag){ &r, i, false };
		assert_int_equal(pwhash_verify(r.pool, (uint64_t)i, NULL, "x", 1, on_verify, &t[i],
					       NULL), 0);
	}
	/* let several finish so the first delivery round has more than one */
	usleep(200000);
	r.free_in_callback = true;
	timer_arm(r.guard, 20000);
	assert_int_equal(loop_run(r.loop), 0);
	assert_null(r.pool);
	assert_int_equal(r.mismatches, 1);
	run_for(&r, 20);
	assert_int_equal(r.mismatches, 1);
	run_teardown(&r);
}

/* The fixed hash stands in for a real one: a verify against it takes about as long as a
 * verify against an account's hash. Each the minimum of several runs, taken in turns, so
 * load elsewhere on the machine does not decide. */
static uint64_t time_verify(struct run *r, const char *encoded, struct tag *t)
{
	int before = r->calls;
	uint64_t t0 = loop_now_ms();

	assert_int_equal(pwhash_verify(r->pool, 0, encoded, "not it", 6, on_verify, t, NULL), 0);
	run_until(r, before + 1);
	return loop_now_ms() - t0;
}

static void test_unknown_takes_as_long(void **state)
{
	struct pwhash_params pp = { .threads = 1, .opslimit = 2, .memlimit = (size_t)32 << 20 };
	struct run r;
	struct tag t = { &r, 0, false };
	uint64_t known = UINT64_MAX, unknown = UINT64_MAX, d;
	int i;

	(void)state;
	run_setup(&r, &pp);
	make_hash(&r, "some account's password");
	for (i = 0; i < 6; i++) {
		d = time_verify(&r, r.encoded, &t);
		if (d < known)
			known = d;
		d = time_verify(&r, NULL, &t);
		if (d < unknown)
			unknown = d;
	}
	assert_true(known >= 5);
	assert_true(unknown * 2 >= known && unknown <= known * 2);
	run_teardown(&r);
}

/* The defaults are DESIGN 8's: Argon2id, 64 MiB, 3 passes, as the encoded string says. */
static void test_production_defaults(void **state)
{
	struct pwhash_params pp = { .threads = 1 };
	struct run r;

	(void)state;
	run_setup(&r, &pp);
	make_hash(&r, "production");
	assert_memory_equal(r.encoded, "$argon2id$v=19$m=65536,t=3,p=1$", 31);
	run_teardown(&r);
	assert_int_equal(PWHASH_MEMLIMIT, 64u << 20);
	assert_int_equal(PWHASH_OPSLIMIT, 3);
}

/* The workers block every signal the loop may want from its signalfd. */
static void test_workers_block_signals(void **state)
{
	struct run r;
	char path[300], line[256];
	struct dirent *e;
	int checked = 0;
	DIR *d;

	(void)state;
	run_setup(&r, &cheap);
	d = opendir("/proc/self/task");
	assert_non_null(d);
	while ((e = readdir(d))) {
		unsigned long long mask = 0;
		FILE *f;

		if (e->d_name[0] == '.' || atoi(e->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "SigBlk: %llx", &mask) == 1)
				break;
		fclose(f);
		assert_true(mask & (1ull << (SIGTERM - 1)));
		assert_true(mask & (1ull << (SIGHUP - 1)));
		assert_true(mask & (1ull << (SIGINT - 1)));
		assert_true(mask & (1ull << (SIGCHLD - 1)));
		checked++;
	}
	closedir(d);
	assert_true(checked >= 2);
	run_teardown(&r);
}

static void test_policy(void **state)
{
	static const struct { const char *pw; size_t len; const char *name, *why; } c[] = {
		{ "", 0, NULL, "shorter than 8 bytes" },
		{ "1234567", 7, NULL, "shorter than 8 bytes" },
		{ "12345678", 8, NULL, NULL },
		{ "aaaaaaaa", 8, NULL, "one character repeated" },
		{ "aaaaaaaA", 8, NULL, NULL },
		{ "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8, NULL, "one character repeated" },
		{ "\xe5\xaf\x86\xe7\xa0\x81\xe5\xaf\x86\xe7\xa0\x81", 12, NULL, NULL },
		{ "\xe5\xaf\x86", 3, NULL, "shorter than 8 bytes" },
		{ "abcdefg\xff", 8, NULL, "not valid UTF-8" },
		{ "abcdefg\xc3", 8, NULL, "not valid UTF-8" },             /* cut short */
		{ "abcdef\xc0\xaf", 8, NULL, "not valid UTF-8" },         /* overlong '/' */
		{ "abcde\xe0\x80\xaf", 8, NULL, "not valid UTF-8" },      /* overlong */
		{ "abcde\xed\xa0\x80", 8, NULL, "not valid UTF-8" },      /* surrogate */
		{ "abcd\xf4\x90\x80\x80", 8, NULL, "not valid UTF-8" },   /* past U+10FFFF */
		{ "abcd\xf0\x9f\x94\x91", 8, NULL, NULL },                /* U+1F511 */
		{ "abcd\xf8\x88\x80\x80\x80", 9, NULL, "not valid UTF-8" },
		{ "abc\0defgh", 9, NULL, "contains a NUL character" },
		{ "administrator", 13, "administrator", "the same as the account name" },
		{ "Administrator", 13, "administrator", "the same as the account name" },
		{ "administrator1", 14, "administrator", NULL },
		{ "administrator", 13, "admin", NULL },
		{ "administrator", 13, NULL, NULL },
	};
	char longest[PWHASH_PASSWORD_MAX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		const char *why = pwhash_password_problem(c[i].pw, c[i].len, c[i].name);

		if (!c[i].why)
			assert_null(why);
		else
			assert_string_equal(why, c[i].why);
	}
	memset(longest, 'a', sizeof(longest));
	longest[0] = 'b';
	assert_null(pwhash_password_problem(longest, PWHASH_PASSWORD_MAX, NULL));
	assert_string_equal(pwhash_password_problem(longest, PWHASH_PASSWORD_MAX + 1, NULL),
			    "longer than 128 bytes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_hash_and_verify),
		cmocka_unit_test(test_refused_input),
		cmocka_unit_test(test_needs_rehash),
		cmocka_unit_test(test_fifty_while_loop_runs),
		cmocka_unit_test(test_queue_full),
		cmocka_unit_test(test_lanes),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_free_in_flight),
		cmocka_unit_test(test_unknown_takes_as_long),
		cmocka_unit_test(test_production_defaults),
		cmocka_unit_test(test_workers_block_signals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
