/* The health machine: transitions, counters, loss window, srtt, reasons, flap damping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "agent/health.h"

static void feed_n(struct health *h, int n, bool ok, uint32_t rtt, uint64_t *t, uint64_t step,
		   enum health_event want_last)
{
	for (int i = 0; i < n; i++) {
		enum health_event ev = health_feed(h, ok, rtt, *t);

		assert_int_equal(ev, i == n - 1 ? want_last : HEALTH_EV_NONE);
		*t += step;
	}
}

static void test_init(void **state)
{
	struct health h;

	(void)state;
	health_init(&h, 3, 3, 1234);
	assert_int_equal(h.state, HEALTH_UNKNOWN);
	assert_int_equal(h.since_ms, 1234);
	assert_int_equal(h.transitions, 0);
	assert_int_equal(h.sent, 0);
	assert_int_equal(h.received, 0);
	assert_int_equal(h.rtt_last_us, 0);
	assert_int_equal(h.srtt_us, 0);
	assert_int_equal(health_loss_pct(&h), 0);
	assert_string_equal(h.reason, "");
	assert_string_equal(health_state_name(h.state), "unknown");
	assert_string_equal(health_state_name(HEALTH_UP), "up");
	assert_string_equal(health_state_name(HEALTH_DOWN), "down");
	/* zero thresholds count as one */
	health_init(&h, 0, 0, 0);
	assert_int_equal(h.down_after, 1);
	assert_int_equal(h.up_after, 1);
}

static void test_unknown_to_up(void **state)
{
	struct health h;

	(void)state;
	health_init(&h, 3, 3, 0);
	assert_int_equal(health_feed(&h, true, 1000, 100), HEALTH_EV_NONE);
	assert_int_equal(health_feed(&h, true, 1800, 200), HEALTH_EV_NONE);
	assert_int_equal(h.state, HEALTH_UNKNOWN);
	assert_int_equal(h.since_ms, 0);
	/* srtt: 1000, then 1000 + 800/8 = 1100, then 1100 + 800/8 = 1200 */
	assert_int_equal(health_feed(&h, true, 1900, 300), HEALTH_EV_UP);
	assert_int_equal(h.state, HEALTH_UP);
	assert_int_equal(h.since_ms, 300);
	assert_int_equal(h.transitions, 1);
	assert_int_equal(h.srtt_us, 1200);
	assert_int_equal(h.rtt_last_us, 1900);
	assert_string_equal(h.reason, "3 replies, rtt 1.2 ms");
	assert_int_equal(h.sent, 3);
	assert_int_equal(h.received, 3);
	/* more replies: no event, since and reason stay */
	assert_int_equal(health_feed(&h, true, 1200, 400), HEALTH_EV_NONE);
	assert_int_equal(h.since_ms, 300);
	assert_int_equal(h.transitions, 1);
	assert_string_equal(h.reason, "3 replies, rtt 1.2 ms");
}

static void test_unknown_to_down(void **state)
{
	struct health h;
	uint64_t t = 200;

	(void)state;
	health_init(&h, 3, 3, 0);
	feed_n(&h, 3, false, 0, &t, 200, HEALTH_EV_DOWN);
	assert_int_equal(h.state, HEALTH_DOWN);
	assert_int_equal(h.since_ms, 600);
	assert_int_equal(h.transitions, 1);
	assert_string_equal(h.reason, "3 probes lost");
	assert_int_equal(h.sent, 3);
	assert_int_equal(h.received, 0);
	assert_int_equal(health_loss_pct(&h), 100);
	assert_int_equal(h.srtt_us, 0);
	/* further losses: nothing new */
	feed_n(&h, 5, false, 0, &t, 200, HEALTH_EV_NONE);
	assert_int_equal(h.transitions, 1);
	assert_int_equal(h.since_ms, 600);
}

/* Only consecutive results count: a success in between restarts the run. */
static void test_runs_are_consecutive(void **state)
{
	struct health h;
	uint64_t t = 0;

	(void)state;
	health_init(&h, 3, 2, 0);
	feed_n(&h, 2, true, 500, &t, 100, HEALTH_EV_UP);
	feed_n(&h, 2, false, 0, &t, 100, HEALTH_EV_NONE);
	feed_n(&h, 1, true, 500, &t, 100, HEALTH_EV_NONE);
	feed_n(&h, 2, false, 0, &t, 100, HEALTH_EV_NONE);
	assert_int_equal(h.state, HEALTH_UP);
	assert_int_equal(h.fail_run, 2);
	feed_n(&h, 1, false, 0, &t, 100, HEALTH_EV_DOWN);
	assert_int_equal(h.since_ms, 700);
	assert_int_equal(h.transitions, 2);
	assert_string_equal(h.reason, "3 probes lost");
	/* DOWN -> UP after up_after in a row, not counting an interrupted run */
	feed_n(&h, 1, true, 2500, &t, 100, HEALTH_EV_NONE);
	feed_n(&h, 1, false, 0, &t, 100, HEALTH_EV_NONE);
	assert_int_equal(h.state, HEALTH_DOWN);
	feed_n(&h, 2, true, 2500, &t, 100, HEALTH_EV_UP);
	assert_int_equal(h.state, HEALTH_UP);
	assert_int_equal(h.since_ms, 1100);
	assert_int_equal(h.transitions, 3);
	assert_int_equal(h.sent, 12);
	assert_int_equal(h.received, 6);
}

static void test_singular_reasons(void **state)
{
	struct health h;

	(void)state;
	health_init(&h, 1, 1, 0);
	assert_int_equal(health_feed(&h, true, 49, 1), HEALTH_EV_UP);
	assert_string_equal(h.reason, "1 reply, rtt 0.0 ms");
	assert_int_equal(health_feed(&h, false, 0, 2), HEALTH_EV_DOWN);
	assert_string_equal(h.reason, "1 probe lost");
	assert_int_equal(health_feed(&h, true, 250000, 3), HEALTH_EV_UP);
	/* srtt 49 + (250000 - 49) / 8 = 31292 -> 31.3 ms */
	assert_int_equal(h.srtt_us, 31292);
	assert_string_equal(h.reason, "1 reply, rtt 31.3 ms");
	assert_int_equal(h.transitions, 3);
}

static void test_srtt(void **state)
{
	struct health h;

	(void)state;
	health_init(&h, 3, 3, 0);
	health_feed(&h, true, 8000, 0);
	assert_int_equal(h.srtt_us, 8000);
	health_feed(&h, true, 0, 0);                /* 8000 - 8000/8 */
	assert_int_equal(h.srtt_us, 7000);
	health_feed(&h, false, 123456, 0);          /* losses leave rtt alone */
	assert_int_equal(h.srtt_us, 7000);
	assert_int_equal(h.rtt_last_us, 0);
	health_feed(&h, true, 7007, 0);             /* 7000 + 7/8 truncates to 7000 */
	assert_int_equal(h.srtt_us, 7000);
	health_feed(&h, true, 6993, 0);             /* 7000 - 7/8 truncates towards 0 */
	assert_int_equal(h.srtt_us, 7000);
	health_feed(&h, true, 15000, 0);
	assert_int_equal(h.srtt_us, 8000);
	assert_int_equal(h.rtt_last_us, 15000);
	/* converges on a steady rtt */
	for (int i = 0; i < 200; i++)
		health_feed(&h, true, 2000, 0);
	assert_in_range(h.srtt_us, 2000, 2008);
}

static void test_loss_window(void **state)
{
	struct health h;
	uint64_t t = 0;

	(void)state;
	health_init(&h, 100, 100, 0);
	feed_n(&h, 2, true, 1, &t, 1, HEALTH_EV_NONE);
	feed_n(&h, 1, false, 0, &t, 1, HEALTH_EV_NONE);
	assert_int_equal(health_loss_pct(&h), 33);  /* 1 of 3 */
	feed_n(&h, 1, false, 0, &t, 1, HEALTH_EV_NONE);
	assert_int_equal(health_loss_pct(&h), 50);
	feed_n(&h, 2, false, 0, &t, 1, HEALTH_EV_NONE);
	assert_int_equal(health_loss_pct(&h), 67);  /* 4 of 6, rounded */
	/* fill the window: 10 ok, 10 lost of the last 20 */
	health_init(&h, 100, 100, 0);
	feed_n(&h, 30, true, 1, &t, 1, HEALTH_EV_NONE);
	assert_int_equal(health_loss_pct(&h), 0);
	feed_n(&h, 10, false, 0, &t, 1, HEALTH_EV_NONE);
	assert_int_equal(h.window_n, HEALTH_WINDOW);
	assert_int_equal(health_loss_pct(&h), 50);
	feed_n(&h, 1, false, 0, &t, 1, HEALTH_EV_NONE);
	assert_int_equal(health_loss_pct(&h), 55);  /* 11 of 20 */
	feed_n(&h, 9, false, 0, &t, 1, HEALTH_EV_NONE);
	assert_int_equal(health_loss_pct(&h), 100);
	/* old losses slide out one per result */
	feed_n(&h, 1, true, 1, &t, 1, HEALTH_EV_NONE);
	assert_int_equal(health_loss_pct(&h), 95);
	feed_n(&h, 19, true, 1, &t, 1, HEALTH_EV_NONE);
	assert_int_equal(health_loss_pct(&h), 0);
	assert_int_equal(h.sent, 70);
	assert_int_equal(h.received, 50);
}

static void test_force_down(void **state)
{
	struct health h;
	uint64_t t = 0;

	(void)state;
	health_init(&h, 3, 3, 0);
	feed_n(&h, 3, true, 1000, &t, 100, HEALTH_EV_UP);
	assert_int_equal(health_force_down(&h, "link gone", 1000), HEALTH_EV_DOWN);
	assert_int_equal(h.state, HEALTH_DOWN);
	assert_int_equal(h.since_ms, 1000);
	assert_int_equal(h.transitions, 2);
	assert_string_equal(h.reason, "link gone");
	assert_int_equal(h.sent, 3);                /* not a probe result */
	assert_int_equal(health_force_down(&h, "again", 1100), HEALTH_EV_NONE);
	assert_string_equal(h.reason, "link gone");
	/* the run before the loss does not count towards UP */
	health_init(&h, 3, 3, 0);
	t = 0;
	feed_n(&h, 2, true, 1000, &t, 100, HEALTH_EV_NONE);
	assert_int_equal(health_force_down(&h, "handshake older than 180 s", t), HEALTH_EV_DOWN);
	feed_n(&h, 3, true, 1000, &t, 100, HEALTH_EV_UP);
	/* forced DOWN ends an UP period like any other */
	assert_int_equal(h.history_n, 0);
	assert_int_equal(health_force_down(&h, "link gone", t), HEALTH_EV_DOWN);
	assert_int_equal(h.history_n, 1);
}

/* ---- flap damping ---- */

#define BASE 5000

/* A group of two: the primary (h) and an always-healthy secondary. The primary takes
 * traffic back once it has been UP for its hold; traffic leaves it when it goes DOWN. */
struct group_sim {
	bool on_primary;
	unsigned int switches;
};

static void group_step(struct group_sim *g, const struct health *h, uint64_t now)
{
	bool want;

	if (g->on_primary)
		want = h->state == HEALTH_UP;
	else
		want = health_hold_left_ms(h, BASE, now) == 0;
	if (want != g->on_primary) {
		g->on_primary = want;
		g->switches++;
	}
}

/* Probes every 100 ms for ms milliseconds, replies while (t / half) is even. */
static void flap(struct health *h, struct group_sim *g, uint64_t *t, uint64_t ms, uint64_t half,
		 unsigned int *ups, unsigned int *downs)
{
	uint64_t end = *t + ms;

	for (; *t < end; *t += 100) {
		enum health_event ev = health_feed(h, (*t / half) % 2 == 0, 800, *t);

		*ups += ev == HEALTH_EV_UP;
		*downs += ev == HEALTH_EV_DOWN;
		group_step(g, h, *t);
	}
}

static void stable_up(struct health *h, uint64_t *t)
{
	health_init(h, 3, 3, *t);
	feed_n(h, 3, true, 800, t, 100, HEALTH_EV_UP);
	*t += 3600 * 1000;          /* an hour without trouble */
}

static void test_hold_base(void **state)
{
	struct health h;
	uint64_t t = 0;

	(void)state;
	health_init(&h, 3, 3, 0);
	assert_int_equal(health_hold_ms(&h, BASE, 0), BASE);
	assert_int_equal(health_hold_left_ms(&h, BASE, 0), UINT64_MAX);   /* not UP */
	feed_n(&h, 3, true, 800, &t, 100, HEALTH_EV_UP);
	assert_int_equal(h.since_ms, 200);
	assert_int_equal(health_hold_left_ms(&h, BASE, 2200), 3000);
	assert_int_equal(health_hold_left_ms(&h, BASE, 5199), 1);
	assert_int_equal(health_hold_left_ms(&h, BASE, 5200), 0);
	assert_int_equal(health_hold_left_ms(&h, 0, 200), 0);
	assert_int_equal(health_hold_ms(&h, 0, 200), 0);
}

/* The issue: a primary flapping at 1 Hz must not make the group flap. */
static void test_flapping_1hz(void **state)
{
	struct health h;
	struct group_sim g = { .on_primary = true };
	unsigned int ups = 0, downs = 0;
	uint64_t t = 0, expect = BASE;

	(void)state;
	stable_up(&h, &t);
	group_step(&g, &h, t);
	assert_true(g.on_primary);
	assert_int_equal(g.switches, 0);
	/* the first loss after an hour of UP is no flap: the hold stays at base */
	t = (t / 1000 + 1) * 1000 + 500;   /* start in a "lost" half second */
	for (int i = 0; i < 5; i++) {
		unsigned int d0 = downs;

		flap(&h, &g, &t, 1000, 500, &ups, &downs);
		assert_int_equal(downs, d0 + 1);
		assert_int_equal(health_hold_ms(&h, BASE, t), expect);
		if (expect < 16 * BASE)
			expect *= 2;
	}
	/* five DOWNs: 5 s -> 10 -> 20 -> 40 -> 80 s, and no further */
	assert_int_equal(health_hold_ms(&h, BASE, t), 16 * BASE);
	flap(&h, &g, &t, 60000, 500, &ups, &downs);
	assert_int_equal(health_hold_ms(&h, BASE, t), 16 * BASE);
	assert_true(ups >= 60 && downs >= 60);
	/* the group left the primary once and never came back */
	assert_false(g.on_primary);
	assert_int_equal(g.switches, 1);
}

/* Slower flapping (8 s up, 2 s down) outlasts the base hold once; then the hold grows
 * past the UP periods and the group stays put. UP periods of 4 x base and more are no
 * flapping: the hold stays at base. */
static void test_flapping_slow(void **state)
{
	struct health h;
	struct group_sim g = { .on_primary = true };
	unsigned int ups = 0, downs = 0;
	uint64_t t = 0, end;

	(void)state;
	stable_up(&h, &t);
	t = (t / 10000 + 1) * 10000 + 8000;
	for (end = t + 600000; t < end;) {
		enum health_event ev = health_feed(&h, (t % 10000) < 8000, 800, t);

		ups += ev == HEALTH_EV_UP;
		downs += ev == HEALTH_EV_DOWN;
		group_step(&g, &h, t);
		t += 100;
	}
	assert_int_equal(downs, 60);
	assert_int_equal(ups, 60);
	/* away, back after 5 s of UP, away again 3 s later: then never back */
	assert_int_equal(g.switches, 3);
	assert_false(g.on_primary);
	assert_int_equal(health_hold_ms(&h, BASE, t), 16 * BASE);

	stable_up(&h, &t);
	g = (struct group_sim){ .on_primary = true };
	t = (t / 25000 + 1) * 25000 + 21000;
	for (end = t + 600000, downs = 0; t < end; t += 100) {
		downs += health_feed(&h, (t % 25000) < 21000, 800, t) == HEALTH_EV_DOWN;
		group_step(&g, &h, t);
		assert_int_equal(health_hold_ms(&h, BASE, t), BASE);
	}
	assert_int_equal(downs, 24);
	assert_int_equal(g.switches, 48);
}

static void test_hold_cap(void **state)
{
	struct health h;
	struct group_sim g = { 0 };
	unsigned int ups = 0, downs = 0;
	uint64_t t = 0;

	(void)state;
	stable_up(&h, &t);
	flap(&h, &g, &t, 30000, 500, &ups, &downs);
	assert_int_equal(health_hold_ms(&h, BASE, t), 80000);
	/* 16 x base, but no more than 5 min ... */
	assert_int_equal(health_hold_ms(&h, 60000, t), 300000);
	/* ... nor less than base */
	assert_int_equal(health_hold_ms(&h, 400000, t), 400000);
	assert_int_equal(health_hold_ms(&h, 0, t), 0);
}

/* After the flapping stops, each 4 x hold of uninterrupted UP halves the hold. */
static void test_hold_decay(void **state)
{
	struct health h;
	struct group_sim g = { 0 };
	unsigned int ups = 0, downs = 0;
	uint64_t t = 0, up;

	(void)state;
	stable_up(&h, &t);
	flap(&h, &g, &t, 30000, 500, &ups, &downs);
	while (h.state != HEALTH_DOWN)
		health_feed(&h, false, 0, t += 100);
	t += 100;
	feed_n(&h, 3, true, 800, &t, 100, HEALTH_EV_UP);
	up = h.since_ms;
	assert_int_equal(health_hold_ms(&h, BASE, up), 80000);
	assert_int_equal(health_hold_left_ms(&h, BASE, up + 79999), 1);
	assert_int_equal(health_hold_left_ms(&h, BASE, up + 80000), 0);
	assert_int_equal(health_hold_ms(&h, BASE, up + 319999), 80000);
	assert_int_equal(health_hold_ms(&h, BASE, up + 320000), 40000);
	assert_int_equal(health_hold_ms(&h, BASE, up + 479999), 40000);
	assert_int_equal(health_hold_ms(&h, BASE, up + 480000), 20000);
	assert_int_equal(health_hold_ms(&h, BASE, up + 560000), 10000);
	assert_int_equal(health_hold_ms(&h, BASE, up + 599999), 10000);
	assert_int_equal(health_hold_ms(&h, BASE, up + 600000), BASE);
	assert_int_equal(health_hold_ms(&h, BASE, up + 3600000), BASE);

	/* The decay is kept once the period ends: DOWN after 8 min of UP leaves 20 s, and a
	 * flap right after the next recovery doubles from there. */
	t = up + 480000;
	feed_n(&h, 3, false, 0, &t, 100, HEALTH_EV_DOWN);
	assert_int_equal(health_hold_ms(&h, BASE, t), 20000);
	feed_n(&h, 3, true, 800, &t, 100, HEALTH_EV_UP);
	feed_n(&h, 3, false, 0, &t, 100, HEALTH_EV_DOWN);
	assert_int_equal(health_hold_ms(&h, BASE, t), 40000);
	/* an UP period just short of 4 x hold is a flap, one of 4 x hold is not */
	feed_n(&h, 3, true, 800, &t, 100, HEALTH_EV_UP);
	t = h.since_ms + 159700;
	feed_n(&h, 3, false, 0, &t, 100, HEALTH_EV_DOWN);
	assert_int_equal(health_hold_ms(&h, BASE, t), 80000);
	feed_n(&h, 3, true, 800, &t, 100, HEALTH_EV_UP);
	t = h.since_ms + 320000 - 200;
	feed_n(&h, 3, false, 0, &t, 100, HEALTH_EV_DOWN);
	assert_int_equal(health_hold_ms(&h, BASE, t), 40000);
}

/* The history holds HEALTH_HISTORY periods; older ones are forgotten. */
static void test_hold_history(void **state)
{
	struct health h;
	uint64_t t = 0;

	(void)state;
	health_init(&h, 1, 1, 0);
	for (int i = 0; i < 20; i++) {
		health_feed(&h, true, 100, t);
		t += 100;
		health_feed(&h, false, 0, t);
		t += 100;
	}
	assert_int_equal(h.history_n, HEALTH_HISTORY);
	assert_int_equal(health_hold_ms(&h, BASE, t), 16 * BASE);
	/* one long period at the end decays it, wherever it sits in the ring */
	health_feed(&h, true, 100, t);
	t += 4 * 80000 + 4 * 40000;
	health_feed(&h, false, 0, t);
	assert_int_equal(health_hold_ms(&h, BASE, t), 20000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_unknown_to_up),
		cmocka_unit_test(test_unknown_to_down),
		cmocka_unit_test(test_runs_are_consecutive),
		cmocka_unit_test(test_singular_reasons),
		cmocka_unit_test(test_srtt),
		cmocka_unit_test(test_loss_window),
		cmocka_unit_test(test_force_down),
		cmocka_unit_test(test_hold_base),
		cmocka_unit_test(test_flapping_1hz),
		cmocka_unit_test(test_flapping_slow),
		cmocka_unit_test(test_hold_cap),
		cmocka_unit_test(test_hold_decay),
		cmocka_unit_test(test_hold_history),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
