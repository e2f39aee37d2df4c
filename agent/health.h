/* One tunnel's health as a pure state machine: probe results in, UP/DOWN transitions,
 * RTT, loss and flap damping out. No I/O; every function is given the time. */
#ifndef WARREN_HEALTH_H
#define WARREN_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

enum health_state { HEALTH_UNKNOWN, HEALTH_UP, HEALTH_DOWN };

enum health_event { HEALTH_EV_NONE, HEALTH_EV_UP, HEALTH_EV_DOWN };

#define HEALTH_WINDOW 20            /* loss is measured over this many results */
#define HEALTH_REASON_MAX 64
#define HEALTH_HISTORY 8            /* UP periods remembered for flap damping */
#define HEALTH_HOLD_MAX_SHIFT 4     /* the hold grows to at most 16 x base ... */
#define HEALTH_HOLD_CAP_MS 300000   /* ... and at most 5 min (never below base) */

/* One period the tunnel was UP: from an UP transition to the DOWN that ended it. */
struct health_up_period {
	uint64_t up_ms, down_ms;
};

/*
 * State: UNKNOWN at start; down_after consecutive failures make it DOWN and up_after
 * consecutive successes make it UP, from any state (a success resets the failure run
 * and vice versa). A transition returns HEALTH_EV_UP/DOWN, sets since_ms, counts in
 * transitions and leaves a one-line reason:
 *     "3 probes lost"            (DOWN through down_after = 3 failures)
 *     "3 replies, rtt 1.2 ms"    (UP through up_after = 3 replies; rtt is srtt, 0.1 ms)
 *     "<why>"                    (DOWN forced by health_force_down)
 *
 * RTT: rtt_last_us is the last reply's; srtt_us is TCP's smoothed RTT (RFC 6298):
 * the first reply sets it, each further one moves it 1/8 of the way:
 *     srtt = srtt + (rtt - srtt) / 8     (integer microseconds, truncated towards 0)
 * Loss: the share of losses among the last HEALTH_WINDOW results, in percent (rounded).
 *
 * Flap damping, for a group deciding whether a recovered member may win back:
 *     hold(k) = min(base << k, cap),  cap = max(base, min(16 x base, 5 min))
 * Level k starts at 0 and is computed by replaying the last HEALTH_HISTORY UP periods
 * (oldest first) and then the current one, if the tunnel is UP:
 *   - growth: an UP period ended by a DOWN less than 4 x hold(k) after it began (the
 *     member failed again soon after it recovered) raises k by one, while hold(k) is
 *     below the cap (so to 4 at most: 16 x base);
 *   - decay: otherwise, every full 4 x hold(k) of that period lowers k by one (the next
 *     step then takes 4 x hold(k-1)); the current UP period decays k the same way.
 * health_hold_ms returns hold(k): the time a member must have been UP (now - since_ms)
 * before it may take traffic back. A primary flapping at 1 Hz is UP for under a second
 * at a time, far below even the base hold, so it never wins back and the group does
 * not move; its level climbs to 16 x base within four flaps. Any member whose UP
 * periods are shorter than 4 x base wins back at most once: after that its hold outgrows
 * them. Once it is stable it needs hold(k) of UP to win back, and 4 x (16+8+4+2) x base
 * (10 min for base 5 s) of uninterrupted UP to decay all the way to base. Only the
 * last HEALTH_HISTORY periods are replayed (enough to reach any level from 0).
 */
struct health {
	enum health_state state;
	uint32_t down_after, up_after;
	uint32_t ok_run, fail_run;      /* consecutive successes / failures */
	uint32_t rtt_last_us, srtt_us;  /* 0 until the first reply */
	uint64_t sent, received;        /* results fed, and the successful ones */
	uint32_t window;                /* bit i: the result i before the last was a loss */
	uint32_t window_n;              /* results in the window, up to HEALTH_WINDOW */
	uint64_t since_ms;              /* last transition (or health_init) */
	uint32_t transitions;
	char reason[HEALTH_REASON_MAX]; /* why the last transition happened */
	struct health_up_period history[HEALTH_HISTORY];  /* ring, oldest at history_next */
	uint32_t history_n, history_next;
};

/* Start UNKNOWN at now_ms; thresholds of 0 count as 1. */
void health_init(struct health *h, uint32_t down_after, uint32_t up_after, uint64_t now_ms);

/* One probe result: ok with its RTT, or a loss (rtt_us ignored). */
enum health_event health_feed(struct health *h, bool ok, uint32_t rtt_us, uint64_t now_ms);

/* Passive evidence that the tunnel cannot work (its link is gone, ...): DOWN at once
 * with why as the reason, unless already DOWN. Not counted as a probe result. */
enum health_event health_force_down(struct health *h, const char *why, uint64_t now_ms);

/* Loss over the last HEALTH_WINDOW results in percent, 0 before any result. */
unsigned int health_loss_pct(const struct health *h);

/* The flap-damped hold for a group whose hold_ms is base_hold_ms (see above). */
uint32_t health_hold_ms(const struct health *h, uint32_t base_hold_ms, uint64_t now_ms);

/* How much longer h must stay UP before it may win back: 0 when it may now, UINT64_MAX
 * while it is not UP. */
uint64_t health_hold_left_ms(const struct health *h, uint32_t base_hold_ms, uint64_t now_ms);

const char *health_state_name(enum health_state s);

#endif
