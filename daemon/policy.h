/* SPDX-License-Identifier: GPL-2.0 */
/*
 * couchestord extent policy: a pure function from per-extent heat, per-volume
 * state, configuration and the current time to a migration plan.
 *
 * No I/O, no clock, no globals: the agent gathers heat and tier usage over
 * netlink, calls cs_policy_plan() and pushes the plan's moves as MIGRATE
 * requests in order.  Everything here is deterministic, so the agent's
 * decisions can be replayed from a recorded input.
 *
 * Algorithm (policy.c has the details):
 *
 * 1. Desired tier.  A tier's IOPS threshold becomes a heat threshold with the
 *    steady-state formula heat = iops * halflife / ln 2 * COUCHE_HEAT_SCALE.
 *    An extent's desired tier is the fastest whose threshold it meets (the
 *    slowest tier's threshold is 0).  Hysteresis: an extent that sits in a
 *    faster tier than that stays there until its IOPS fall below
 *    CS_HYST_NUM/CS_HYST_DEN (0.8) of that tier's threshold, so an extent
 *    hovering around a threshold does not ping-pong.
 *
 * 2. Target tier.  Movable extents (mapped, not pinned, not migrating)
 *    compete for room; a tier's room is slots - reserve minus what cannot
 *    move (pinned, migrating extents there); unusable tiers have none.
 *    Slowest boundary first, if more extents want a tier or slower than
 *    those tiers can hold, the hottest of them are lifted to the next faster
 *    tier (the coldest keep the slow tiers).  Then fastest tier first, each
 *    tier takes the hottest extents that want it (or a faster tier that had
 *    no room for them): a full tier sends the rest on to the next slower
 *    tier with room.  Extents on an unusable tier that want to stay there
 *    stay.  When comparing heat for room, an extent already in that tier or
 *    faster counts 1 / 0.8 = 1.25 times hotter, so room changes hands only
 *    for a clearly hotter extent: the threshold hysteresis, for capacity.
 *
 * 3. Plan.  Extents whose target differs from their tier are misplaced
 *    (want_up, want_down).  Those moved less than cooldown_s ago are held.
 *    Up to batch_size moves are planned: demotions first, coldest first,
 *    then promotions, hottest first, with the batch left.  Each move needs
 *    room in its destination right now, counting moves earlier in the plan
 *    but not the room that moves out of it will free (they may not have run
 *    yet): promotions stop at slots - reserve; demotions may use the reserve
 *    as transit room, which the kernel keeps for migrations (without it two
 *    full tiers could never swap extents).  Executing the plan, in any
 *    order, never puts more than slots extents in a tier, and never more
 *    than slots - reserve by a promotion.
 *
 * Cost: with 3 tiers, about six linear passes over the extents, a few
 * selections and a sort of the misplaced extents; about 0.1 s for a million
 * extents.  Memory: one transient 8-byte entry per movable extent, plus the
 * plan's moves (8 bytes each, at most batch_size).
 */
#ifndef COUCHESTORD_POLICY_H
#define COUCHESTORD_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/dm-couche.h>

/* Hysteresis: leave a faster tier only below 4/5 of its threshold. */
#define CS_HYST_NUM	4
#define CS_HYST_DEN	5

/*
 * The kernel stops adding to a heat score at this value (COUCHE_HEAT_MAX in
 * kernel/couche.h), so heat thresholds are clamped to it: a saturated extent
 * meets every threshold, even one no score could otherwise reach.
 */
#define CS_HEAT_SATURATED	0xff000000u

struct cs_tier_state {
	uint32_t slots;		/* extents the tier can hold */
	uint32_t used;		/* extents it holds (kernel's count) */
	uint32_t reserve;	/* slots first writes leave free */
	bool usable;		/* healthy, can take data */
	uint32_t iops_threshold; /* from config, by tier name; slowest tier 0 */
	/*
	 * Moves the agent queued into this tier that used does not count yet
	 * (0 if it waits for each plan to finish before the next).
	 */
	uint32_t incoming;
};

struct cs_policy_cfg {
	uint32_t cooldown_s;	/* don't move an extent again this soon */
	uint32_t batch_size;	/* max moves per cycle; 0 plans none */
	uint32_t halflife_s;	/* the volume's heat_halflife_s, >= 1 */
};

struct cs_volume_state {
	uint32_t nr_extents;
	/* per extent: time (s) of the last move the policy issued or saw, 0 = never */
	uint32_t *last_move;
};

struct cs_move {
	uint32_t extent;
	uint8_t from, to;
};

/*
 * Zero a plan before its first use; cs_policy_plan() reuses its moves array
 * from cycle to cycle.  Release it with cs_plan_free().
 */
struct cs_plan {
	struct cs_move *moves;	/* demotions, coldest first, then promotions */
	uint32_t nr_moves, cap;
	/* extents misplaced in total, before batch/cooldown/room limits */
	uint32_t want_up, want_down;
	/* misplaced but moved less than cooldown_s ago */
	uint32_t held_cooldown;
	/*
	 * movable extents targeted elsewhere than their desired tier, because
	 * it (or, for a lifted extent, the tiers below) is full
	 */
	uint32_t held_capacity;
	/*
	 * moves passed over in this plan, before the batch filled up: no room
	 * in the destination right now (earlier moves must run first)
	 */
	uint32_t held_room;
	/* extents each tier would hold once the plan and its successors ran */
	uint32_t per_tier_target[COUCHE_MAX_TIERS];
};

/*
 * Plan one cycle for one volume.  heat, tier and flags are parallel arrays of
 * nr_extents (struct couche_extent_info fields); tiers[] is fastest first.
 * vs may be NULL (no move history); otherwise vs->nr_extents must equal
 * nr_extents.  now is in the same clock as vs->last_move.
 * Returns 0, -EINVAL for bad arguments, or -ENOMEM (the plan is then empty).
 */
int cs_policy_plan(const struct cs_policy_cfg *cfg,
		   const struct cs_tier_state *tiers, unsigned int nr_tiers,
		   const uint32_t *heat, const uint8_t *tier,
		   const uint8_t *flags, uint32_t nr_extents,
		   const struct cs_volume_state *vs, uint32_t now,
		   struct cs_plan *plan);

void cs_plan_free(struct cs_plan *p);

/* Record that extent moved (or was seen moving) at now. */
void cs_policy_note_move(struct cs_volume_state *vs, uint32_t extent,
			 uint32_t now);

/* Record every move of a plan the agent issued at now. */
void cs_policy_note_moves(struct cs_volume_state *vs, const struct cs_plan *p,
			  uint32_t now);

#endif /* COUCHESTORD_POLICY_H */
