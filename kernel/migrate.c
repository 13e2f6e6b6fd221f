// SPDX-License-Identifier: GPL-2.0
/*
 * dm-couche migration: move extents between tiers while I/O continues.
 *
 * A migration marks its extent busy (writes wait, reads go on from the
 * source), waits out writes already in flight, copies with kcopyd, then
 * points the map at the copy and commits.  Only when the commit is durable
 * and reads still in flight to the source have drained is the source slot
 * freed: after a crash the map names the source or the copy, and whichever
 * it names holds the extent's data.
 */
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "couche.h"

#define DM_MSG_PREFIX "couche"

int couche_queue_migration(struct couche *c, u32 first, u32 last,
			   unsigned int tier, bool pin)
{
	/* NOIO: callers may hold locks a suspend-load-resume of a volume waits for. */
	struct couche_mig_req *req = kmalloc(sizeof(*req), GFP_NOIO);

	if (!req)
		return -ENOMEM;
	req->next = first;
	req->last = last;
	req->tier = tier;
	req->pin = pin;
	spin_lock_irq(&c->lock);
	list_add_tail(&req->list, &c->mig_queue);
	c->mig_queued += (u64)last - first + 1;
	spin_unlock_irq(&c->lock);
	couche_wake(c);
	return 0;
}

void couche_cancel_migrations(struct couche *c)
{
	struct couche_mig_req *req, *tmp;

	spin_lock_irq(&c->lock);
	list_for_each_entry_safe(req, tmp, &c->mig_queue, list) {
		list_del(&req->list);
		kfree(req);
	}
	c->mig_queued = 0;
	spin_unlock_irq(&c->lock);
}

/*
 * Token bucket in KiB; false while migration_mbps is used up, and then
 * the waker is brought forward to when the next extent may start.  The
 * bucket holds one extent or 20 ms of bandwidth, whichever is more, so a
 * throttled migration paces its copies instead of starting a second's
 * worth at once: foreground I/O queues behind one copy, not several.
 * The waker is only ever brought forward, so commits and heat ticks keep
 * their period.
 */
static bool throttle_allows(struct couche *c)
{
	u32 mbps = READ_ONCE(c->params.migration_mbps);
	s64 extent_kib = c->extent_sectors / 2;
	u64 now = ktime_get_ns();
	u64 elapsed = min_t(u64, now - c->mig_tokens_ns, NSEC_PER_SEC);
	s64 rate = (s64)mbps * 1024;	/* KiB per second */
	s64 cap = max_t(s64, extent_kib, div_s64(rate, 50));
	u64 wait_ns;

	c->mig_tokens_ns = now;
	if (!mbps) {
		c->mig_tokens = 0;
		return true;
	}
	c->mig_tokens += div_u64(elapsed * rate, NSEC_PER_SEC);
	if (c->mig_tokens > cap)
		c->mig_tokens = cap;
	if (c->mig_tokens > 0)
		return true;
	/* Never later than the waker's own period: it credits at most 1 s. */
	wait_ns = div_u64((u64)(1 - c->mig_tokens) * NSEC_PER_SEC, rate);
	mod_delayed_work(c->wq, &c->waker,
			 min_t(unsigned long, nsecs_to_jiffies(wait_ns) + 1, HZ / 10));
	return false;
}

/* Takes the next extent off the queue; false if the queue is empty. */
static bool next_request(struct couche *c, u32 *extent, u8 *tier, bool *pin)
{
	struct couche_mig_req *req;

	req = list_first_entry_or_null(&c->mig_queue, struct couche_mig_req, list);
	if (!req)
		return false;
	*extent = req->next;
	*tier = req->tier;
	*pin = req->pin;
	c->mig_queued--;
	if (req->next++ == req->last) {
		list_del(&req->list);
		kfree(req);
	}
	return true;
}

/* Puts an extent back at the head of the queue (it was busy). */
static void requeue(struct couche *c, u32 extent, u8 tier, bool pin)
{
	struct couche_mig_req *req;

	req = list_first_entry_or_null(&c->mig_queue, struct couche_mig_req, list);
	if (req && req->next == extent + 1 && req->tier == tier && req->pin == pin) {
		req->next = extent;
	} else {
		req = kmalloc(sizeof(*req), GFP_ATOMIC);
		if (!req) {
			c->stats.mig_failed++;
			return;
		}
		req->next = extent;
		req->last = extent;
		req->tier = tier;
		req->pin = pin;
		list_add(&req->list, &c->mig_queue);
	}
	c->mig_queued++;
}

/*
 * Worker: start migrations up to max_migrations and the throttle: the
 * kernel's own demotions first (space.c), then queued requests.  While
 * writes wait for room, demotions skip the throttle and run even when
 * the device is being suspended.
 */
void couche_start_migrations(struct couche *c)
{
	struct couche_op *op, *tmp;
	LIST_HEAD(started);
	bool pin, urgent;
	u32 extent, e, skipped = 0;
	u8 tier;
	int r;

	c->room_why = COUCHE_ROOM_OK;
	if (!c->active)
		return;		/* a table not resumed yet moves nothing */
	while (!c->meta_failed && !c->params.read_only &&
	       c->mig_running < READ_ONCE(c->params.max_migrations)) {
		urgent = READ_ONCE(c->nr_nospace) > 0;
		if (READ_ONCE(c->quiescing) && !urgent)
			break;
		if (!urgent && !READ_ONCE(c->mig_queued) && !couche_room_due(c))
			break;
		if (!urgent && !throttle_allows(c))
			break;
		op = couche_op_alloc(c, 0, COUCHE_OP_MIGRATE);
		if (!op)
			break;	/* retried when an op completes */
		if (couche_room_next(c, op, urgent)) {
			/* What writes wait for is not charged to the others. */
			if (!urgent)
				c->mig_tokens -= c->extent_sectors / 2;
			list_add_tail(&op->list, &started);
			continue;
		}
		spin_lock_irq(&c->lock);
		/* Checked under the lock presuspend sets it with. */
		if (c->quiescing || !next_request(c, &extent, &tier, &pin)) {
			spin_unlock_irq(&c->lock);
			mempool_free(op, &c->op_pool);
			break;
		}
		e = c->map[extent];
		if (e & CE_BUSY) {
			/* Being written for the first time: retry when that ends. */
			requeue(c, extent, tier, pin);
			spin_unlock_irq(&c->lock);
			mempool_free(op, &c->op_pool);
			break;
		}
		if (!(e & CE_MAPPED) || ce_tier(e) == tier ||
		    ((e & CE_PINNED) && !pin)) {
			/* Nothing to move: a range over a sparse volume skips fast. */
			spin_unlock_irq(&c->lock);
			mempool_free(op, &c->op_pool);
			if (!(++skipped & 4095))
				cond_resched();
			continue;
		}
		r = couche_tier_usable(c, tier) ?
			couche_slot_alloc(&c->tiers[tier].slots, &op->dst_slot) : -EIO;
		if (r) {
			c->stats.mig_failed++;
			spin_unlock_irq(&c->lock);
			mempool_free(op, &c->op_pool);
			couche_event(c, COUCHE_EVENT_MIGRATION_FAILED, tier, -1, extent, 0, 0, r);
			DMWARN_LIMIT("tier %s is %s: extent %u not moved", c->tiers[tier].name,
				     r == -EIO ? "failed" : "full", extent);
			continue;
		}
		op->extent = extent;
		op->src_tier = ce_tier(e);
		op->src_slot = ce_slot(e);
		op->dst_tier = tier;
		couche_op_insert(c, op);
		c->tiers[op->src_tier].outgoing++;
		c->mig_running++;
		couche_check_reserve(c, tier);
		spin_unlock_irq(&c->lock);
		c->mig_tokens -= c->extent_sectors / 2;
		list_add_tail(&op->list, &started);
	}
	if (list_empty(&started))
		return;

	/* Writes mapped before the extents turned busy must land before the copy. */
	couche_epoch_drain(c);
	list_for_each_entry_safe(op, tmp, &started, list) {
		struct dm_io_region from, to;

		list_del_init(&op->list);
		/* A raid6 member may be missing ("-"): no region from members[0]. */
		if (couche_is_raid6(c, op->src_tier) || couche_is_raid6(c, op->dst_tier)) {
			couche_r6_queue_copy(c, op);
			continue;
		}
		from.bdev = c->tiers[op->src_tier].members[0].dev->bdev;
		from.sector = couche_slot_sector(c, op->src_slot);
		from.count = c->extent_sectors;
		to.bdev = c->tiers[op->dst_tier].members[0].dev->bdev;
		to.sector = couche_slot_sector(c, op->dst_slot);
		to.count = c->extent_sectors;
		dm_kcopyd_copy(c->kcopyd, &from, 1, &to, 0, couche_op_done, op);
	}
}

static void note_missed(struct couche *c, struct couche_op *op)
{
	unsigned int i;

	for (i = 0; i < c->tiers[op->dst_tier].nr_members; i++)
		if (op->missed & BIT(i))
			WRITE_ONCE(c->tiers[op->dst_tier].members[i].missed, true);
}

/* The device an op copied to failed since: the copy may not be there. */
static bool dst_failed(struct couche *c, struct couche_op *op)
{
	return !couche_tier_readable(&c->tiers[op->dst_tier]);
}

/*
 * A commit put off because a device failed its flush: moves onto that
 * device go back to their source, the others commit now (the device is
 * dead, so the flush goes on without it).
 */
static int retry_commit(struct couche *c, struct list_head *ops)
{
	struct couche_op *op;

	spin_lock_irq(&c->lock);
	list_for_each_entry(op, ops, list) {
		if (op->error || !dst_failed(c, op))
			continue;
		c->map[op->extent] = ce_make(op->src_tier, op->src_slot) | CE_BUSY |
			(c->map[op->extent] & CE_PINNED);
		couche_mark_dirty(c, op->extent);
		op->error = -EIO;
	}
	spin_unlock_irq(&c->lock);
	return couche_commit(c);
}

/* Worker: migrations whose copy ended, successfully or not. */
void couche_finish_migrations(struct couche *c, struct list_head *ops)
{
	struct couche_op *op, *tmp;
	struct bio_list bios, failed;
	bool moved = false;
	struct bio *bio;
	int r;

	bio_list_init(&bios);
	bio_list_init(&failed);
	spin_lock_irq(&c->lock);
	list_for_each_entry(op, ops, list) {
		c->mig_running--;
		c->mig_committing++;
		if (op->error)
			continue;
		/* Stripes this commit names lack their chunks: record them first. */
		note_missed(c, op);
		c->map[op->extent] = ce_make(op->dst_tier, op->dst_slot) | CE_BUSY |
			(c->map[op->extent] & CE_PINNED);
		couche_mark_dirty(c, op->extent);
		moved = true;
	}
	spin_unlock_irq(&c->lock);

	/*
	 * A commit flushes devices and can take as long as a copy: keep the
	 * next copies running meanwhile, and the next commit takes them all.
	 */
	couche_start_migrations(c);
	/* Commit flushes the copies to their devices, then the map. */
	r = moved ? couche_commit(c) : 0;
	if (r == -EAGAIN)
		r = retry_commit(c, ops);

	spin_lock_irq(&c->lock);
	list_for_each_entry(op, ops, list) {
		if (r && !op->error) {
			/* The map on disk still names the source: so must memory. */
			c->map[op->extent] = ce_make(op->src_tier, op->src_slot) | CE_BUSY |
				(c->map[op->extent] & CE_PINNED);
			op->error = r;
		}
		couche_op_remove(c, op);
		/* A write that needed the extent moved up fails with the move. */
		bio_list_merge(op->promote && op->error ? &failed : &bios, &op->deferred);
		c->mig_committing--;
		if (op->error) {
			couche_release_slot(c, op->dst_tier, op->dst_slot);
			c->tiers[op->src_tier].outgoing--;
			c->stats.mig_failed++;
		} else {
			c->stats.mig_done++;
			c->stats.demoted += op->demote;
		}
	}
	spin_unlock_irq(&c->lock);
	wake_up_all(&c->mig_wait);
	while ((bio = bio_list_pop(&failed)))
		bio_io_error(bio);
	couche_release_bios(c, &bios);

	/*
	 * Free the sources once the new map is durable and no read that was
	 * sent to them is still in flight.  If the commit failed, keep them:
	 * the map on disk still names them.
	 */
	if (moved && !r)
		couche_epoch_drain(c);
	spin_lock_irq(&c->lock);
	list_for_each_entry(op, ops, list) {
		if (op->error)
			continue;
		couche_release_slot(c, op->src_tier, op->src_slot);
		c->tiers[op->src_tier].outgoing--;
	}
	spin_unlock_irq(&c->lock);

	list_for_each_entry_safe(op, tmp, ops, list) {
		if (op->error)
			DMWARN_LIMIT("migration of extent %u to tier %s failed",
				     op->extent, c->tiers[op->dst_tier].name);
		couche_event(c, op->error ? COUCHE_EVENT_MIGRATION_FAILED :
			     COUCHE_EVENT_MIGRATION_DONE, op->dst_tier, -1, op->extent,
			     0, 0, op->error);
		list_del(&op->list);
		mempool_free(op, &c->op_pool);
	}
}

/*
 * Worker: a write to an extent in a raid6 tier.  Stripes there are never
 * rewritten in place, so the extent first moves to a linear tier, chosen
 * as for a new extent; the write waits for that, and for room first if no
 * linear tier has a free slot.  Writes to raid6 extents are always
 * deferred, so none is in flight to drain.
 */
int couche_promote(struct couche *c, struct bio *bio, u32 extent)
{
	struct couche_op *op = couche_op_alloc(c, extent, COUCHE_OP_MIGRATE);
	int t;
	u32 e;

	if (!op)
		return -ENOMEM;
	spin_lock_irq(&c->lock);
	e = c->map[extent];
	if (e & CE_BUSY) {
		couche_defer_to_busy(c, op, bio, extent);
		return 0;
	}
	/* Its pin, if any, names the raid6 tier it is in: place it as new. */
	t = couche_pick_new_tier(c, e & ~CE_PINNED);
	if (t >= 0 && couche_slot_alloc(&c->tiers[t].slots, &op->dst_slot))
		t = -ENOSPC;
	if (t < 0) {
		if (t == -ENOSPC)
			couche_wait_for_room(c, bio);
		spin_unlock_irq(&c->lock);
		mempool_free(op, &c->op_pool);
		if (t == -ENOSPC) {
			couche_wake(c);
		} else {
			DMERR_LIMIT("no healthy linear tier can take a write to extent %u",
				    extent);
			bio_io_error(bio);
		}
		return 0;
	}
	op->src_tier = ce_tier(e);
	op->src_slot = ce_slot(e);
	op->dst_tier = t;
	op->promote = true;
	couche_check_reserve(c, t);
	couche_op_insert(c, op);
	bio_list_add(&op->deferred, bio);
	c->tiers[op->src_tier].outgoing++;
	c->mig_running++;
	spin_unlock_irq(&c->lock);
	couche_r6_queue_copy(c, op);
	return 0;
}
