// SPDX-License-Identifier: GPL-2.0
/*
 * dm-couche per-extent heat.
 *
 * The I/O path only counts: reads and writes, and a score that gains
 * COUCHE_HEAT_UNIT per I/O.  A periodic tick multiplies every score by
 * 2^(-1/COUCHE_DECAY_STEPS), so a score halves every heat_halflife_s
 * seconds.  Decaying in bulk keeps the per-extent state at three counters,
 * with no timestamp: a scan of a million extents takes a few milliseconds.
 */
#include <linux/jiffies.h>
#include <linux/math64.h>
#include <linux/sched.h>

#include "couche.h"

/* 2^(-1/8) in 16.16 fixed point */
#define DECAY_FACTOR	60097u

u32 couche_heat_decay(u32 score, unsigned int steps)
{
	u64 s = score;

	while (steps-- && s)
		s = (s * DECAY_FACTOR) >> 16;
	return (u32)s;
}

unsigned long couche_decay_period(u32 halflife_s)
{
	return max_t(unsigned long, 1,
		     msecs_to_jiffies(halflife_s * 1000u / COUCHE_DECAY_STEPS));
}

void couche_heat_tick(struct couche *c)
{
	unsigned long period = couche_decay_period(c->params.heat_halflife_s);
	unsigned long now = jiffies;
	unsigned int steps;
	u32 i;

	if (time_before(now, c->last_decay + period))
		return;
	steps = min_t(unsigned long, (now - c->last_decay) / period, 64);
	c->last_decay += (unsigned long)steps * period;
	if (time_after(now, c->last_decay + period))
		c->last_decay = now;

	for (i = 0; i < c->nr_extents; i++) {
		u32 s = atomic_read(&c->score[i]);

		/* An I/O counted between read and set is lost: heat is a hint. */
		if (s)
			atomic_set(&c->score[i], couche_heat_decay(s, steps));
		if (!(i & 4095))
			cond_resched();
	}
}
