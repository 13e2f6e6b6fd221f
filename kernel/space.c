// SPDX-License-Identifier: GPL-2.0
/*
 * dm-couche room: a volume takes every byte its table accepts.
 *
 * New extents go to linear tiers only: raid6 stripes are written whole, by
 * migrations, so a write to a raid6 extent first moves it to a linear
 * tier.  Each linear tier keeps free slots between two watermarks derived
 * from reserve_pct: low = ceil(slots * reserve_pct / 100) (the reserve)
 * and high = 2 * low.  New extents go to the fastest tier with more free
 * slots than its low watermark, else to the fastest with any.  When a
 * tier's free slots, counting those that moves out of it will free, fall
 * below low, the kernel moves its coldest unpinned extents (by its own
 * heat) to the next slower tier with free slots above its low watermark
 * (raid6 tiers: any free slot), or failing that to the next with any,
 * until the tier is back at high.  These demotions are migrations: they
 * count in max_migrations and keep to migration_mbps.
 *
 * A write that needs a linear slot and finds none waits on nospace_bios.
 * The demotions that free one then run at once: unthrottled, and even
 * while the device is being suspended (the suspend waits for the write).
 * It fails with ENOSPC only once nothing is moving and nothing can: every
 * slower tier is full or degraded, or only pinned extents could move.
 */
#include <linux/jiffies.h>
#include <linux/sched.h>

#include "couche.h"

#define DM_MSG_PREFIX "couche"

static u32 tier_free(const struct couche_tier *tier)
{
	return tier->slots.nr - tier->slots.used;
}

static bool movable(u32 e, unsigned int t)
{
	return (e & (CE_MAPPED | CE_PINNED | CE_BUSY)) == CE_MAPPED && ce_tier(e) == t;
}

/* Lock held: frees a slot; writes waiting for room try again. */
void couche_release_slot(struct couche *c, unsigned int t, u32 slot)
{
	couche_slot_free(&c->tiers[t].slots, slot);
	couche_check_reserve(c, t);
	if (!couche_is_raid6(c, t))
		WRITE_ONCE(c->room_freed, true);
}

/* Lock held: @bio waits until a linear slot is freed (or nothing can be). */
void couche_wait_for_room(struct couche *c, struct bio *bio)
{
	bio_list_add(&c->nospace_bios, bio);
	c->nr_nospace++;
}

/* A linear tier that should give up extents, as far as a racy look tells. */
bool couche_room_due(struct couche *c)
{
	unsigned int t;

	for (t = 0; t < c->nr_tiers; t++) {
		struct couche_tier *tier = &c->tiers[t];

		if (couche_is_raid6(c, t))
			continue;
		if (READ_ONCE(tier->demoting) ||
		    tier_free(tier) + READ_ONCE(tier->outgoing) < tier->reserve)
			return true;
	}
	return false;
}

/* Lock held: whether tier @t should start another demotion. */
static bool needs_room(struct couche *c, unsigned int t, bool urgent)
{
	struct couche_tier *tier = &c->tiers[t];
	u32 avail = tier_free(tier) + tier->outgoing;

	if (couche_is_raid6(c, t) || !couche_tier_usable(c, t))
		return false;
	if (avail < tier->reserve && !tier->demoting) {
		WRITE_ONCE(tier->demoting, true);
		couche_event(c, COUCHE_EVENT_MAKING_ROOM, t, -1, 0, tier_free(tier),
			     tier->wm_high, 0);
	} else if (avail >= tier->wm_high && tier->demoting) {
		WRITE_ONCE(tier->demoting, false);
	}
	return tier->demoting || (urgent && !avail);
}

/* Lock held: the tier extents of @t go down to, or -1 if none has room. */
static int demote_dest(struct couche *c, unsigned int t)
{
	int d, any = -1;

	for (d = t + 1; d < c->nr_tiers; d++) {
		struct couche_tier *tier = &c->tiers[d];
		u32 keep = couche_is_raid6(c, d) ? 0 : tier->reserve;

		if (!couche_tier_usable(c, d) || !tier_free(tier))
			continue;
		if (tier_free(tier) > keep)
			return d;
		if (any < 0)
			any = d;
	}
	return any;
}

/*
 * Worker, no lock: the coldest movable extents of tier @t, coldest first.
 * A scan that finds none, and no extent busy that may become movable,
 * is not repeated until the map changes.
 */
static void scan_coldest(struct couche *c, unsigned int t)
{
	struct couche_rank *cand = c->cand + t * COUCHE_ROOM_BATCH;
	struct couche_tier *tier = &c->tiers[t];
	u64 seq = READ_ONCE(c->dirty_seq);
	bool busy = false;
	u32 i, nr = 0;

	for (i = 0; i < c->nr_extents; i++) {
		u32 e = READ_ONCE(c->map[i]);
		struct couche_rank x;

		if (!(i & 4095))
			cond_resched();
		if (!movable(e, t)) {
			busy |= (e & (CE_MAPPED | CE_BUSY)) == (CE_MAPPED | CE_BUSY) &&
				ce_tier(e) == t;
			continue;
		}
		x.index = i;
		x.heat = atomic_read(&c->score[i]);
		couche_rank_push(cand, &nr, COUCHE_ROOM_BATCH, x, false);
	}
	couche_rank_sort(cand, nr, false);
	spin_lock_irq(&c->lock);
	tier->nr_cand = nr;
	tier->cand_next = 0;
	tier->cand_time = jiffies;
	if (!nr && !busy)
		tier->cand_empty_seq = seq;
	spin_unlock_irq(&c->lock);
}

/*
 * Lock held: whether to scan tier @t for candidates now.  A scan that
 * found nothing is repeated once the map has changed if nothing was busy
 * (a pin, a write, a move), else after a tenth of a second: the extents
 * busy then may be movable.
 */
static bool scan_due(struct couche_tier *tier, u64 seq)
{
	if (tier->nr_cand)
		return true;
	if (tier->cand_empty_seq == seq)
		return false;
	return time_after(jiffies, tier->cand_time + HZ / 10) || !tier->cand_time;
}

/*
 * Worker: sets @op up as the next demotion that makes room, slowest linear
 * tier first (what it frees lets faster tiers move down into it).  False
 * if none is due or none can start; then c->room_why says why not.
 */
bool couche_room_next(struct couche *c, struct couche_op *op, bool urgent)
{
	unsigned long scanned = 0;
	bool full = false, pinned = false;
	struct couche_tier *tier;
	int t, d;

again:
	spin_lock_irq(&c->lock);
	for (t = c->nr_tiers - 1; t >= 0; t--) {
		if (!needs_room(c, t, urgent))
			continue;
		d = demote_dest(c, t);
		if (d < 0) {
			full = true;
			continue;
		}
		tier = &c->tiers[t];
		/* Heat moves on: candidates older than a second are scanned again. */
		if (tier->nr_cand && time_after(jiffies, tier->cand_time + HZ))
			tier->nr_cand = 0;
		while (tier->cand_next < tier->nr_cand) {
			u32 x = c->cand[t * COUCHE_ROOM_BATCH + tier->cand_next++].index;

			if (!movable(c->map[x], t) ||
			    couche_slot_alloc(&c->tiers[d].slots, &op->dst_slot))
				continue;
			op->extent = x;
			op->src_tier = t;
			op->src_slot = ce_slot(c->map[x]);
			op->dst_tier = d;
			op->demote = true;
			couche_op_insert(c, op);
			c->tiers[t].outgoing++;
			c->mig_running++;
			couche_check_reserve(c, d);
			spin_unlock_irq(&c->lock);
			return true;
		}
		if (tier->cand_next >= tier->nr_cand)
			tier->nr_cand = 0;	/* used up */
		if (!(scanned & BIT(t)) && scan_due(tier, c->dirty_seq)) {
			scanned |= BIT(t);
			spin_unlock_irq(&c->lock);
			scan_coldest(c, t);
			goto again;
		}
		pinned = true;	/* nothing in it can move now */
	}
	spin_unlock_irq(&c->lock);
	if (pinned)
		c->room_why = COUCHE_ROOM_PINNED;
	else if (full)
		c->room_why = COUCHE_ROOM_FULL;
	return false;
}

/*
 * Worker, after starting migrations: writes waiting for room fail once
 * nothing that could free a slot is under way and no demotion could
 * start (ENOSPC), or at once if they can never be written here (EIO).
 */
void couche_room_check(struct couche *c)
{
	blk_status_t status = BLK_STS_NOSPC;
	struct bio_list bios;
	struct bio *bio;
	u32 n;

	spin_lock_irq(&c->lock);
	if (!c->nr_nospace) {
		spin_unlock_irq(&c->lock);
		return;
	}
	if (c->meta_failed || c->params.read_only ||
	    couche_pick_new_tier(c, 0) == -EIO) {
		status = BLK_STS_IOERR;
	} else if (READ_ONCE(c->room_freed)) {
		/* A slot came free since they were last tried. */
		spin_unlock_irq(&c->lock);
		couche_wake(c);
		return;
	} else if (c->mig_running || c->mig_committing || c->nr_unmapping ||
		   c->room_why == COUCHE_ROOM_OK) {
		spin_unlock_irq(&c->lock);
		return;
	}
	bios = c->nospace_bios;
	bio_list_init(&c->nospace_bios);
	n = c->nr_nospace;
	c->nr_nospace = 0;
	if (status == BLK_STS_NOSPC)
		c->stats.nospace += n;
	spin_unlock_irq(&c->lock);

	if (status == BLK_STS_NOSPC) {
		DMERR_LIMIT("%u write(s) failed with ENOSPC: no free linear slot, and %s", n,
			    c->room_why == COUCHE_ROOM_PINNED ?
			    "only pinned extents could move: unpin some or migrate them down" :
			    "no slower tier can take an extent (full or degraded)");
		bio = bio_list_peek(&bios);
		couche_event(c, COUCHE_EVENT_NO_SPACE, -1, -1,
			     dm_target_offset(c->ti, bio->bi_iter.bi_sector) >> c->extent_shift,
			     n, 0, -ENOSPC);
	} else {
		DMERR_LIMIT("%u write(s) waiting for room failed: read-only or no linear tier",
			    n);
	}
	while ((bio = bio_list_pop(&bios))) {
		bio->bi_status = status;
		bio_endio(bio);
	}
}
