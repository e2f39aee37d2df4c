/* One tunnel's health: the UP/DOWN state machine, RTT and loss, and flap damping. */
#include <stdio.h>
#include <string.h>

#include "health.h"

#define WINDOW_MASK ((1u << HEALTH_WINDOW) - 1)

_Static_assert(HEALTH_WINDOW <= 32, "the loss window is a 32-bit mask");

void health_init(struct health *h, uint32_t down_after, uint32_t up_after, uint64_t now_ms)
{
	memset(h, 0, sizeof(*h));
	h->state = HEALTH_UNKNOWN;
	h->down_after = down_after ? down_after : 1;
	h->up_after = up_after ? up_after : 1;
	h->since_ms = now_ms;
}

const char *health_state_name(enum health_state s)
{
	switch (s) {
	case HEALTH_UP:
		return "up";
	case HEALTH_DOWN:
		return "down";
	default:
		return "unknown";
	}
}

static enum health_event transition(struct health *h, enum health_state to, uint64_t now_ms)
{
	if (h->state == HEALTH_UP && to == HEALTH_DOWN) {
		struct health_up_period *p = &h->history[h->history_next];

		p->up_ms = h->since_ms;
		p->down_ms = now_ms;
		h->history_next = (h->history_next + 1) % HEALTH_HISTORY;
		if (h->history_n < HEALTH_HISTORY)
			h->history_n++;
	}
	h->state = to;
	h->since_ms = now_ms;
	h->transitions++;
	return to == HEALTH_UP ? HEALTH_EV_UP : HEALTH_EV_DOWN;
}

enum health_event health_feed(struct health *h, bool ok, uint32_t rtt_us, uint64_t now_ms)
{
	h->sent++;
	h->window = ((h->window << 1) | (ok ? 0u : 1u)) & WINDOW_MASK;
	if (h->window_n < HEALTH_WINDOW)
		h->window_n++;

	if (ok) {
		h->received++;
		h->rtt_last_us = rtt_us;
		if (h->received == 1)
			h->srtt_us = rtt_us;
		else
			h->srtt_us = (uint32_t)((int64_t)h->srtt_us +
						((int64_t)rtt_us - (int64_t)h->srtt_us) / 8);
		h->fail_run = 0;
		if (h->ok_run < UINT32_MAX)
			h->ok_run++;
		if (h->state != HEALTH_UP && h->ok_run >= h->up_after) {
			/* srtt in tenths of a millisecond, rounded */
			uint32_t tenths = (h->srtt_us + 50) / 100;

			snprintf(h->reason, sizeof(h->reason), "%u %s, rtt %u.%u ms", h->up_after,
				 h->up_after == 1 ? "reply" : "replies", tenths / 10, tenths % 10);
			return transition(h, HEALTH_UP, now_ms);
		}
		return HEALTH_EV_NONE;
	}

	h->ok_run = 0;
	if (h->fail_run < UINT32_MAX)
		h->fail_run++;
	if (h->state != HEALTH_DOWN && h->fail_run >= h->down_after) {
		snprintf(h->reason, sizeof(h->reason), "%u %s lost", h->down_after,
			 h->down_after == 1 ? "probe" : "probes");
		return transition(h, HEALTH_DOWN, now_ms);
	}
	return HEALTH_EV_NONE;
}

enum health_event health_force_down(struct health *h, const char *why, uint64_t now_ms)
{
	/* Whatever succeeded before the link went away proves nothing about the next one. */
	h->ok_run = 0;
	if (h->state == HEALTH_DOWN)
		return HEALTH_EV_NONE;
	snprintf(h->reason, sizeof(h->reason), "%s", why);
	return transition(h, HEALTH_DOWN, now_ms);
}

unsigned int health_loss_pct(const struct health *h)
{
	uint32_t mask, lost;

	if (!h->window_n)
		return 0;
	mask = h->window_n >= 32 ? UINT32_MAX : (1u << h->window_n) - 1;
	lost = (uint32_t)__builtin_popcount(h->window & mask);
	return (lost * 100 + h->window_n / 2) / h->window_n;
}

/* ---- flap damping (the rule is in health.h) ---- */

static uint64_t hold_cap(uint64_t base)
{
	uint64_t cap = base << HEALTH_HOLD_MAX_SHIFT;

	if (cap > HEALTH_HOLD_CAP_MS)
		cap = HEALTH_HOLD_CAP_MS;
	return cap < base ? base : cap;
}

static uint64_t hold_at(uint64_t base, unsigned int k)
{
	uint64_t h = base << k, cap = hold_cap(base);

	return h < cap ? h : cap;
}

static unsigned int decay(uint64_t base, unsigned int k, uint64_t up_for)
{
	while (k > 0 && up_for >= 4 * hold_at(base, k)) {
		up_for -= 4 * hold_at(base, k);
		k--;
	}
	return k;
}

uint32_t health_hold_ms(const struct health *h, uint32_t base_hold_ms, uint64_t now_ms)
{
	uint64_t base = base_hold_ms;
	unsigned int k = 0;
	uint32_t i;

	for (i = 0; i < h->history_n; i++) {
		uint32_t at = (h->history_next + HEALTH_HISTORY - h->history_n + i) % HEALTH_HISTORY;
		const struct health_up_period *p = &h->history[at];
		uint64_t len = p->down_ms - p->up_ms;

		if (len < 4 * hold_at(base, k)) {
			if (k < HEALTH_HOLD_MAX_SHIFT && hold_at(base, k) < hold_cap(base))
				k++;
		} else {
			k = decay(base, k, len);
		}
	}
	if (h->state == HEALTH_UP && now_ms > h->since_ms)
		k = decay(base, k, now_ms - h->since_ms);
	return (uint32_t)hold_at(base, k);
}

uint64_t health_hold_left_ms(const struct health *h, uint32_t base_hold_ms, uint64_t now_ms)
{
	uint64_t hold, up_for;

	if (h->state != HEALTH_UP)
		return UINT64_MAX;
	hold = health_hold_ms(h, base_hold_ms, now_ms);
	up_for = now_ms > h->since_ms ? now_ms - h->since_ms : 0;
	return up_for >= hold ? 0 : hold - up_for;
}
