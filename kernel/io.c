// SPDX-License-Identifier: GPL-2.0
/*
 * dm-couche I/O path.
 *
 * map() remaps I/O to a mapped, idle extent directly.  Everything else is
 * deferred to the worker: writes to extents never written (they get a slot
 * first: start_provision()), writes to extents being migrated, discards
 * of whole extents (unmap.c), and flushes or FUA writes while the map has
 * changes not yet committed.
 *
 * I/O epochs let the worker wait out every bio that may have looked at a
 * map entry before it changed (couche_epoch_drain()): a slot is freed, or
 * a copy started, only once no I/O from before the change is in flight.
 */
#include <linux/blkdev.h>
#include <linux/hash.h>

#include "couche.h"

#define DM_MSG_PREFIX "couche"

/* The count of an epoch reaches zero on nearly every completion at low queue depth. */
static void epoch_wake(struct couche *c)
{
	/*
	 * Only a drain waits.  The caller's atomic_dec_and_test() is a full
	 * barrier: it orders the count before this check, as the waiter's
	 * queueing is ordered before its read of the count.
	 */
	if (waitqueue_active(&c->epoch_wait))
		wake_up(&c->epoch_wait);
}

static void epoch_enter(struct couche *c, struct couche_bio *pb)
{
	unsigned int e;

	for (;;) {
		e = READ_ONCE(c->epoch);
		atomic_inc(&c->epoch_count[e]);
		/* Pairs with the barriers in couche_epoch_drain(). */
		smp_mb__after_atomic();
		if (likely(READ_ONCE(c->epoch) == e))
			break;
		if (atomic_dec_and_test(&c->epoch_count[e]))
			epoch_wake(c);
	}
	pb->epoch = e;
}

static void epoch_exit(struct couche *c, struct couche_bio *pb)
{
	if (pb->epoch < 0)
		return;
	if (atomic_dec_and_test(&c->epoch_count[pb->epoch]))
		epoch_wake(c);
	pb->epoch = -1;
}

/* Worker only: returns once all I/O mapped before the call has completed. */
void couche_epoch_drain(struct couche *c)
{
	unsigned int old = c->epoch;

	/* Map changes before the flip; pairs with epoch_enter()'s barrier. */
	smp_mb();
	WRITE_ONCE(c->epoch, !old);
	/* The flip before reading the old epoch's count. */
	smp_mb();
	wait_event(c->epoch_wait, !atomic_read(&c->epoch_count[old]));
}

static void defer_bio(struct couche *c, struct bio *bio, struct bio_list *list)
{
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	bio_list_add(list, bio);
	spin_unlock_irqrestore(&c->lock, flags);
	queue_work(c->wq, &c->worker);
}

static void remap(struct couche *c, struct bio *bio, struct couche_bio *pb,
		  u32 e, sector_t offset)
{
	unsigned int t = ce_tier(e);

	bio_set_dev(bio, c->tiers[t].members[0].dev->bdev);
	bio->bi_iter.bi_sector = couche_slot_sector(c, ce_slot(e)) +
		(offset & (c->extent_sectors - 1));
	pb->tier = t;
	pb->member = 0;
}

/*
 * A read of a raid6 extent goes to the member holding its chunk, trimmed
 * to the chunk.  False if that member is dead: the worker rebuilds it.
 */
static bool remap_raid6(struct couche *c, struct bio *bio, struct couche_bio *pb,
			u32 e, sector_t offset)
{
	struct couche_tier *t = &c->tiers[ce_tier(e)];
	sector_t sector, left;
	unsigned int m;

	couche_r6_locate(t, ce_slot(e), offset & (c->extent_sectors - 1), &m,
			 &sector, &left);
	if (!couche_member_readable(&t->members[m]))
		return false;
	if (bio_sectors(bio) > left)
		dm_accept_partial_bio(bio, left);
	pb->saved = bio->bi_iter;
	pb->e = e;
	bio_set_dev(bio, t->members[m].dev->bdev);
	bio->bi_iter.bi_sector = sector;
	pb->tier = ce_tier(e);
	pb->member = m;
	return true;
}

/*
 * Empty flushes come once per member (num_flush_bios), numbered.  Only
 * linear devices hold what the user wrote: raid6 members are written by
 * migrations alone (each commit flushes them) and scrub (with FUA).
 * False if this one needs no flush (the caller ends it).
 */
static bool remap_flush(struct couche *c, struct bio *bio, struct couche_bio *pb)
{
	unsigned int nr = dm_bio_get_target_bio_nr(bio);
	unsigned int t;

	for (t = 0; t < c->nr_tiers; t++) {
		if (nr < c->tiers[t].nr_members)
			break;
		nr -= c->tiers[t].nr_members;
	}
	if (WARN_ON_ONCE(t >= c->nr_tiers)) {
		t = 0;
		nr = 0;
	}
	/*
	 * A dead linear device holding extents still gets it: writes may have
	 * reached its cache, and only its flush can say whether they are
	 * durable.  One that holds none has nothing to lose.
	 */
	if (couche_is_raid6(c, t) ||
	    (READ_ONCE(c->tiers[t].members[nr].dead) && !READ_ONCE(c->tiers[t].slots.used)))
		return false;
	bio_set_dev(bio, c->tiers[t].members[nr].dev->bdev);
	pb->tier = t;
	pb->member = nr;
	return true;
}

/* Partial discards of a mapped extent go to its device if it takes them. */
static bool passes_down(struct couche *c, u32 e)
{
	return (e & CE_MAPPED) && c->params.discard_passdown &&
		!couche_is_raid6(c, ce_tier(e)) &&
		bdev_max_discard_sectors(c->tiers[ce_tier(e)].members[0].dev->bdev);
}

static bool is_empty_flush(struct bio *bio)
{
	return (bio->bi_opf & REQ_PREFLUSH) && !bio_sectors(bio);
}

int couche_map(struct dm_target *ti, struct bio *bio)
{
	struct couche *c = ti->private;
	struct couche_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	bool write = op_is_write(bio_op(bio));
	bool discard = bio_op(bio) == REQ_OP_DISCARD;
	sector_t offset;
	u32 extent, e;

	pb->epoch = -1;
	pb->tier = -1;
	pb->member = -1;
	pb->retried = false;
	pb->op = NULL;

	if (is_empty_flush(bio)) {
		if (couche_uncommitted(c)) {
			defer_bio(c, bio, &c->flush_bios);
			return DM_MAPIO_SUBMITTED;
		}
		if (remap_flush(c, bio, pb))
			return DM_MAPIO_REMAPPED;
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}
	if (write && (c->params.read_only || READ_ONCE(c->meta_failed)))
		return DM_MAPIO_KILL;

	offset = dm_target_offset(ti, bio->bi_iter.bi_sector);
	extent = offset >> c->extent_shift;
	if (discard) {
		sector_t left = c->extent_sectors - (offset & (c->extent_sectors - 1));

		if (bio_sectors(bio) > left)
			dm_accept_partial_bio(bio, left);
	} else {
		couche_heat_count(c, extent, write);
	}

	epoch_enter(c, pb);
	e = READ_ONCE(c->map[extent]);
	if (bio->bi_opf & REQ_FUA) {
		/*
		 * The entry before the commit state: a new entry is published
		 * after the dirty_seq bump that makes it uncommitted.
		 */
		smp_rmb();
		if (couche_uncommitted(c)) {
			epoch_exit(c, pb);
			defer_bio(c, bio, &c->flush_bios);
			return DM_MAPIO_SUBMITTED;
		}
	}
	if (discard && !(e & CE_BUSY) && !couche_discard_unmaps(c, bio)) {
		/* Part of an extent: to its device, or nowhere. */
		if (passes_down(c, e)) {
			remap(c, bio, pb, e, offset);
			return DM_MAPIO_REMAPPED;
		}
		e = 0;
	}
	if (discard) {
		/* Never written (or only partly discarded): nothing to do. */
		if (!(e & (CE_MAPPED | CE_BUSY))) {
			epoch_exit(c, pb);
			bio_endio(bio);
			return DM_MAPIO_SUBMITTED;
		}
	} else if ((e & CE_MAPPED) && couche_is_raid6(c, ce_tier(e))) {
		/* Reads go to the chunk; writes move the extent up first. */
		if (!write && remap_raid6(c, bio, pb, e, offset))
			return DM_MAPIO_REMAPPED;
	} else if ((e & CE_MAPPED) && !(write && (e & CE_BUSY))) {
		remap(c, bio, pb, e, offset);
		return DM_MAPIO_REMAPPED;
	}
	epoch_exit(c, pb);

	if (!(e & CE_MAPPED) && !write) {
		/* Never written: reads as zeros. */
		zero_fill_bio(bio);
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}
	defer_bio(c, bio, &c->deferred_bios);
	return DM_MAPIO_SUBMITTED;
}

static bool is_device_error(blk_status_t s)
{
	return s != BLK_STS_OK && s != BLK_STS_AGAIN && s != BLK_STS_NOSPC &&
		s != BLK_STS_NOTSUPP && s != BLK_STS_RESOURCE;
}

/* Marks a member dead (once) and raises a dm event; any context. */
void couche_member_failed(struct couche *c, struct couche_member *m,
			  const char *why)
{
	unsigned int t, i;

	if (!xchg(&m->dead, true)) {
		DMERR_LIMIT("%s on %s: member marked dead", why, m->dev->name);
		/* Writes waiting for room may have to go elsewhere, or fail. */
		WRITE_ONCE(c->room_freed, true);
		for (t = 0; t < c->nr_tiers; t++)
			for (i = 0; i < c->tiers[t].nr_members; i++)
				if (&c->tiers[t].members[i] == m)
					couche_event(c, COUCHE_EVENT_MEMBER_FAILED, t, i,
						     0, 0, 0, -EIO);
		/* dm_table_event() sleeps: raise it from the worker. */
		set_bit(0, &c->event_pending);
		queue_work(c->wq, &c->worker);
	}
}

int couche_end_io(struct dm_target *ti, struct bio *bio, blk_status_t *error)
{
	struct couche *c = ti->private;
	struct couche_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	bool failed = *error && pb->tier >= 0 && is_device_error(*error);
	/* raid6 read errors are the worker's: rewritten from parity. */
	bool r6_read = failed && couche_is_raid6(c, pb->tier) && bio_op(bio) == REQ_OP_READ;

	if (failed && !r6_read)
		couche_member_failed(c, &c->tiers[pb->tier].members[pb->member],
				     "I/O error");
	if (pb->op) {
		/*
		 * A first write that filled its slot: it ends once mapped, when
		 * finish_provision() ends it again and this runs a second time.
		 */
		struct couche_op *op = pb->op;

		pb->op = NULL;
		couche_op_done(*error ? 1 : 0, 0, op);
		return DM_ENDIO_INCOMPLETE;
	}
	if (r6_read && !pb->retried) {
		/* Read the stripes again, all members; still in its epoch. */
		pb->retried = true;
		bio->bi_iter = pb->saved;
		bio->bi_status = BLK_STS_OK;
		couche_r6_queue_read(c, bio, pb->e);
		return DM_ENDIO_INCOMPLETE;
	}
	epoch_exit(c, pb);
	return DM_ENDIO_DONE;
}

struct couche_op *couche_op_find(struct couche *c, u32 extent)
{
	struct couche_op *op;

	hlist_for_each_entry(op, &c->op_hash[hash_32(extent, COUCHE_OP_HASH_BITS)], hash)
		if (op->extent == extent)
			return op;
	return NULL;
}

/*
 * Lock held, released here: @extent turned busy since the caller looked (a
 * scrub took it), so @bio waits behind that op; @op, unused, is freed.
 */
void couche_defer_to_busy(struct couche *c, struct couche_op *op, struct bio *bio,
			  u32 extent)
	__releases(&c->lock)
{
	struct couche_op *busy = couche_op_find(c, extent);

	if (busy)
		bio_list_add(&busy->deferred, bio);
	spin_unlock_irq(&c->lock);
	mempool_free(op, &c->op_pool);
	if (WARN_ON_ONCE(!busy))
		bio_io_error(bio);
}

void couche_op_insert(struct couche *c, struct couche_op *op)
{
	hlist_add_head(&op->hash, &c->op_hash[hash_32(op->extent, COUCHE_OP_HASH_BITS)]);
	c->map[op->extent] |= CE_BUSY;
}

void couche_op_remove(struct couche *c, struct couche_op *op)
{
	hlist_del(&op->hash);
	c->map[op->extent] &= ~CE_BUSY;
}

/*
 * Ops are freed only by the worker, so the worker must not sleep waiting
 * for one: on failure the caller retries when an op completes (or at the
 * next waker tick).
 */
struct couche_op *couche_op_alloc(struct couche *c, u32 extent, u8 kind)
{
	struct couche_op *op = mempool_alloc(&c->op_pool, GFP_NOWAIT | __GFP_NOWARN);

	if (!op)
		return NULL;
	memset(op, 0, sizeof(*op));
	op->c = c;
	op->extent = extent;
	op->kind = kind;
	INIT_LIST_HEAD(&op->list);
	bio_list_init(&op->deferred);
	return op;
}

/* kcopyd callback: hand the op back to the worker. */
void couche_op_done(int read_err, unsigned long write_err, void *context)
{
	struct couche_op *op = context;
	struct couche *c = op->c;
	unsigned long flags;

	op->error = (read_err || write_err) ? -EIO : 0;
	spin_lock_irqsave(&c->lock, flags);
	list_add_tail(&op->list, &c->done_ops);
	spin_unlock_irqrestore(&c->lock, flags);
	queue_work(c->wq, &c->worker);
}

/* Worker: submit a bio whose extent is mapped and not busy for it. */
static void submit_mapped(struct couche *c, struct bio *bio, u32 e)
{
	struct couche_bio *pb = dm_per_bio_data(bio, sizeof(*pb));

	epoch_enter(c, pb);
	remap(c, bio, pb, e, dm_target_offset(c->ti, bio->bi_iter.bi_sector));
	submit_bio_noacct(bio);
}

/*
 * Lock held: the tier a new extent goes to: its pinned tier, else the
 * fastest healthy linear tier with room above its low watermark, else
 * the fastest with any free slot.  -ENOSPC if none has one, -EIO if no
 * linear tier is usable.
 */
int couche_pick_new_tier(struct couche *c, u32 e)
{
	const struct couche_slots *slots[COUCHE_MAX_TIERS];
	u32 reserve[COUCHE_MAX_TIERS];
	bool usable = false;
	unsigned int t;

	/* A pin names a linear tier; one naming raid6 is corrupt: ignore it. */
	if ((e & CE_PINNED) && !couche_is_raid6(c, ce_tier(e))) {
		t = ce_tier(e);
		if (!couche_tier_usable(c, t))
			return -EIO;
		return c->tiers[t].slots.used < c->tiers[t].slots.nr ? t : -ENOSPC;
	}
	for (t = 0; t < c->nr_tiers; t++) {
		slots[t] = &c->tiers[t].slots;
		reserve[t] = U32_MAX;
		if (couche_tier_usable(c, t) && !couche_is_raid6(c, t)) {
			reserve[t] = c->tiers[t].reserve;
			usable = true;
		}
	}
	return usable ? couche_pick_tier(slots, reserve, c->nr_tiers) : -EIO;
}

/* A plain write of a whole extent needs no zeroed slot under it. */
static bool fills_extent(struct couche *c, struct bio *bio)
{
	return bio_op(bio) == REQ_OP_WRITE &&
		!(bio->bi_opf & (REQ_FUA | REQ_PREFLUSH)) &&
		bio_sectors(bio) == c->extent_sectors;
}

/*
 * A first write to an extent gets it a slot.  A write of the whole extent
 * goes straight to the slot, and the extent is mapped when it has landed;
 * any other is held until the slot is zeroed, so the parts it does not
 * write read as zeros.  Until then the extent is busy: other writes to it
 * wait, reads see zeros.  With no free linear slot, the write waits for
 * room (space.c).  Returns -ENOMEM (bio untouched) if no op could be had.
 */
static int start_provision(struct couche *c, struct bio *bio, u32 extent)
{
	struct couche_op *op = couche_op_alloc(c, extent, COUCHE_OP_PROVISION);
	struct dm_io_region where;
	int tier;

	if (!op)
		return -ENOMEM;
	spin_lock_irq(&c->lock);
	tier = couche_pick_new_tier(c, c->map[extent]);
	if (tier >= 0 && couche_slot_alloc(&c->tiers[tier].slots, &op->dst_slot))
		tier = -ENOSPC;
	if (tier < 0) {
		if (tier == -ENOSPC)
			couche_wait_for_room(c, bio);
		spin_unlock_irq(&c->lock);
		mempool_free(op, &c->op_pool);
		if (tier == -ENOSPC) {
			couche_wake(c);
		} else {
			DMERR_LIMIT("no healthy tier can take a write to extent %u", extent);
			bio_io_error(bio);
		}
		return 0;
	}
	op->dst_tier = tier;
	couche_op_insert(c, op);
	couche_check_reserve(c, tier);
	if (fills_extent(c, bio)) {
		struct couche_bio *pb = dm_per_bio_data(bio, sizeof(*pb));

		op->bio = bio;
		spin_unlock_irq(&c->lock);
		pb->op = op;
		remap(c, bio, pb, ce_make(tier, op->dst_slot), 0);
		submit_bio_noacct(bio);
		return 0;
	}
	bio_list_add(&op->deferred, bio);
	spin_unlock_irq(&c->lock);

	where.bdev = c->tiers[tier].members[0].dev->bdev;
	where.sector = couche_slot_sector(c, op->dst_slot);
	where.count = c->extent_sectors;
	dm_kcopyd_zero(c->kcopyd, 1, &where, 0, couche_op_done, op);
	return 0;
}

/*
 * Worker: route one bio by the current state of its extent.  Returns
 * -ENOMEM, with the bio untouched, if it must be retried later.
 */
static int process_bio(struct couche *c, struct bio *bio, bool committed)
{
	u32 extent = dm_target_offset(c->ti, bio->bi_iter.bi_sector) >> c->extent_shift;
	bool write = op_is_write(bio_op(bio));
	struct couche_op *op;
	u32 e;

	if (write && (c->params.read_only || READ_ONCE(c->meta_failed))) {
		bio_io_error(bio);
		return 0;
	}
	if (!committed && (bio->bi_opf & REQ_FUA) && couche_uncommitted(c)) {
		defer_bio(c, bio, &c->flush_bios);
		return 0;
	}
	spin_lock_irq(&c->lock);
	e = c->map[extent];
	if ((e & CE_BUSY) && (write || !(e & CE_MAPPED))) {
		op = couche_op_find(c, extent);
		if (!WARN_ON_ONCE(!op)) {
			bio_list_add(&op->deferred, bio);
			spin_unlock_irq(&c->lock);
			return 0;
		}
	}
	spin_unlock_irq(&c->lock);

	if (bio_op(bio) == REQ_OP_DISCARD) {
		if ((e & CE_MAPPED) && couche_discard_unmaps(c, bio))
			return couche_start_unmap(c, bio, extent);
		if (passes_down(c, e))
			submit_mapped(c, bio, e);
		else
			bio_endio(bio);
	} else if ((e & CE_MAPPED) && couche_is_raid6(c, ce_tier(e))) {
		if (!write) {
			epoch_enter(c, dm_per_bio_data(bio, sizeof(struct couche_bio)));
			couche_r6_queue_read(c, bio, e);
		} else {
			return couche_promote(c, bio, extent);
		}
	} else if (e & CE_MAPPED) {
		submit_mapped(c, bio, e);
	} else if (!write) {
		zero_fill_bio(bio);
		bio_endio(bio);
	} else {
		return start_provision(c, bio, extent);
	}
	return 0;
}

/* Puts @bio, then @rest, back at the head of @to, in order. */
static void requeue_bios(struct couche *c, struct bio *bio, struct bio_list *rest,
			 struct bio_list *to)
{
	struct bio_list l;

	bio_list_init(&l);
	bio_list_add(&l, bio);
	bio_list_merge(&l, rest);
	bio_list_init(rest);
	spin_lock_irq(&c->lock);
	bio_list_merge(&l, to);
	*to = l;
	spin_unlock_irq(&c->lock);
}

void couche_release_bios(struct couche *c, struct bio_list *bios)
{
	struct bio *bio;

	while ((bio = bio_list_pop(bios))) {
		if (process_bio(c, bio, false) == -ENOMEM) {
			requeue_bios(c, bio, bios, &c->deferred_bios);
			return;
		}
	}
}

static void fail_bios(struct bio_list *bios, blk_status_t status)
{
	struct bio *bio;

	while ((bio = bio_list_pop(bios))) {
		bio->bi_status = status;
		bio_endio(bio);
	}
}

void couche_process_deferred(struct couche *c)
{
	struct bio_list bios, flushes;
	struct bio *bio;
	int r;

	spin_lock_irq(&c->lock);
	bios = c->deferred_bios;
	bio_list_init(&c->deferred_bios);
	if (READ_ONCE(c->room_freed)) {
		/* Writes waiting for room go first: they came first. */
		WRITE_ONCE(c->room_freed, false);
		bio_list_merge_head(&bios, &c->nospace_bios);
		bio_list_init(&c->nospace_bios);
		c->nr_nospace = 0;
	}
	flushes = c->flush_bios;
	bio_list_init(&c->flush_bios);
	spin_unlock_irq(&c->lock);

	couche_release_bios(c, &bios);
	if (bio_list_empty(&flushes))
		return;

	r = couche_commit(c);
	if (r) {
		fail_bios(&flushes, BLK_STS_IOERR);
		return;
	}
	while ((bio = bio_list_pop(&flushes))) {
		if (is_empty_flush(bio)) {
			if (remap_flush(c, bio, dm_per_bio_data(bio, sizeof(struct couche_bio))))
				submit_bio_noacct(bio);
			else
				bio_endio(bio);
		} else if (process_bio(c, bio, true) == -ENOMEM) {
			requeue_bios(c, bio, &flushes, &c->flush_bios);
			return;
		}
	}
}

static void finish_provision(struct couche *c, struct couche_op *op)
{
	struct bio_list bios;
	u32 e;

	spin_lock_irq(&c->lock);
	couche_op_remove(c, op);
	e = c->map[op->extent];
	if (!op->error) {
		couche_mark_dirty(c, op->extent);
		/* Uncommitted before mapped: map() reads them the other way round. */
		smp_wmb();
		WRITE_ONCE(c->map[op->extent], ce_make(op->dst_tier, op->dst_slot) |
			   (e & CE_PINNED));
	} else {
		couche_release_slot(c, op->dst_tier, op->dst_slot);
	}
	bios = op->deferred;
	spin_unlock_irq(&c->lock);

	if (op->bio) {
		/* The write that filled the slot; its status is the device's. */
		bio_endio(op->bio);
	} else if (op->error) {
		DMERR_LIMIT("cannot zero a new extent on tier %s",
			    c->tiers[op->dst_tier].name);
		fail_bios(&bios, BLK_STS_IOERR);
	}
	couche_release_bios(c, &bios);
	mempool_free(op, &c->op_pool);
}

/* Worker: ops whose kcopyd job ended. */
void couche_complete_ops(struct couche *c)
{
	struct couche_op *op, *tmp;
	LIST_HEAD(done);
	LIST_HEAD(migrations);

	spin_lock_irq(&c->lock);
	list_splice_init(&c->done_ops, &done);
	spin_unlock_irq(&c->lock);

	list_for_each_entry_safe(op, tmp, &done, list) {
		list_del_init(&op->list);
		if (op->kind == COUCHE_OP_PROVISION)
			finish_provision(c, op);
		else if (op->kind == COUCHE_OP_UNMAP)
			couche_unmap_done(c, op);
		else
			list_add_tail(&op->list, &migrations);
	}
	if (!list_empty(&migrations))
		couche_finish_migrations(c, &migrations);
}
