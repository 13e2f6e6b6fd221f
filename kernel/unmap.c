// SPDX-License-Identifier: GPL-2.0
/*
 * dm-couche discards.  A discard that covers a whole extent unmaps it, as
 * dm-thin unmaps a whole block: the extent reads as zeros from then on and
 * its slot goes back to its tier.  The slot is freed only once the unmap
 * is committed and the I/O sent to the slot before it has drained, so a
 * crash leaves either the old mapping with the old data, or no mapping
 * (zeros); never a slot another extent has written since.  The discard
 * completes after that commit: once it has, the unmap is durable.
 *
 * With discard_passdown, the freed slot's range is discarded on its
 * devices after the commit and before the slot can be reused, and partial
 * discards go down to the device as they are.  Without it, partial
 * discards do nothing (a partly discarded extent still holds a slot).
 */
#include <linux/dm-io.h>

#include "couche.h"

#define DM_MSG_PREFIX "couche"

/* A discard, trimmed to its extent by map(): does it cover all of it? */
bool couche_discard_unmaps(struct couche *c, struct bio *bio)
{
	return bio_sectors(bio) == c->extent_sectors;
}

/*
 * Worker: unmaps @extent in memory for a discard of all of it; the commit
 * and the slot's release follow in couche_finish_unmaps().  Returns
 * -ENOMEM, with the bio untouched, if no op could be had.
 */
int couche_start_unmap(struct couche *c, struct bio *bio, u32 extent)
{
	struct couche_op *op = couche_op_alloc(c, extent, COUCHE_OP_UNMAP);
	u32 e;

	if (!op)
		return -ENOMEM;
	spin_lock_irq(&c->lock);
	e = c->map[extent];
	if (e & CE_BUSY) {
		couche_defer_to_busy(c, op, bio, extent);
		return 0;
	}
	if (!(e & CE_MAPPED)) {
		spin_unlock_irq(&c->lock);
		mempool_free(op, &c->op_pool);
		bio_endio(bio);
		return 0;
	}
	op->src_tier = ce_tier(e);
	op->src_slot = ce_slot(e);
	op->bio = bio;
	/*
	 * A pinned extent stays pinned to its tier, as one never written; not
	 * to a raid6 tier (a pin whose move has not run yet): new extents go
	 * to linear tiers.
	 */
	c->map[extent] = (e & CE_PINNED) && !couche_is_raid6(c, op->src_tier) ?
		e & (CE_PINNED | CE_TIER_MASK) : 0;
	couche_op_insert(c, op);
	couche_mark_dirty(c, extent);
	c->tiers[op->src_tier].outgoing++;
	c->nr_unmapping++;
	list_add_tail(&op->list, &c->unmap_ops);
	spin_unlock_irq(&c->lock);
	return 0;
}

/* dm-io: a passed-down discard ended; whatever the device said, the slot is free. */
static void passdown_done(unsigned long error, void *context)
{
	struct couche_op *op = context;
	struct couche *c = op->c;
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	list_add_tail(&op->list, &c->done_ops);
	spin_unlock_irqrestore(&c->lock, flags);
	queue_work(c->wq, &c->worker);
}

/* Discards the slot of @op on each live member of its tier. */
static int pass_down(struct couche *c, struct couche_op *op)
{
	struct couche_tier *t = &c->tiers[op->src_tier];
	struct dm_io_region where[COUCHE_MAX_MEMBERS];
	struct dm_io_request req = {
		.bi_opf = REQ_OP_DISCARD,
		.mem.type = DM_IO_KMEM,
		.mem.ptr.addr = NULL,
		.notify.fn = passdown_done,
		.notify.context = op,
		.client = c->io_client,
	};
	unsigned int i, n = 0;

	for (i = 0; i < t->nr_members; i++) {
		if (READ_ONCE(t->members[i].dead))
			continue;
		where[n].bdev = t->members[i].dev->bdev;
		if (t->kind == COUCHE_TIER_RAID6) {
			where[n].count = (sector_t)t->sps * t->chunk_sectors;
			where[n].sector = COUCHE_DATA_OFFSET + op->src_slot * where[n].count;
		} else {
			where[n].count = c->extent_sectors;
			where[n].sector = couche_slot_sector(c, op->src_slot);
		}
		n++;
	}
	if (!n)
		return -ENODEV;
	return dm_io(&req, n, where, NULL, IOPRIO_DEFAULT);
}

/* Worker: the unmap of @op is durable (or failed): end it. */
void couche_unmap_done(struct couche *c, struct couche_op *op)
{
	struct bio *bio = op->bio;
	struct bio_list bios;

	spin_lock_irq(&c->lock);
	couche_op_remove(c, op);
	c->tiers[op->src_tier].outgoing--;
	c->nr_unmapping--;
	if (!op->error) {
		couche_release_slot(c, op->src_tier, op->src_slot);
		c->stats.unmapped++;
	}
	bios = op->deferred;
	spin_unlock_irq(&c->lock);
	if (op->error)
		bio->bi_status = BLK_STS_IOERR;
	bio_endio(bio);
	couche_release_bios(c, &bios);
	mempool_free(op, &c->op_pool);
}

/*
 * Worker: commits the unmaps made since the last call, then frees their
 * slots once no I/O sent to them before the unmap is in flight.
 */
void couche_finish_unmaps(struct couche *c)
{
	struct couche_op *op, *tmp;
	LIST_HEAD(ops);
	int r;

	spin_lock_irq(&c->lock);
	list_splice_init(&c->unmap_ops, &ops);
	spin_unlock_irq(&c->lock);
	if (list_empty(&ops))
		return;

	/* An unmap needs nothing from a device: a put-off commit goes again. */
	r = couche_commit_final(c);
	if (r) {
		/* The map on disk still names the slots: so must memory. */
		spin_lock_irq(&c->lock);
		list_for_each_entry(op, &ops, list) {
			c->map[op->extent] = ce_make(op->src_tier, op->src_slot) |
				(c->map[op->extent] & (CE_PINNED | CE_BUSY));
			op->error = r;
		}
		spin_unlock_irq(&c->lock);
	} else {
		couche_epoch_drain(c);
	}
	list_for_each_entry_safe(op, tmp, &ops, list) {
		list_del_init(&op->list);
		if (!r && c->params.discard_passdown && !pass_down(c, op))
			continue;	/* ends in passdown_done() */
		couche_unmap_done(c, op);
	}
}
