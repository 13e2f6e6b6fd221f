// SPDX-License-Identifier: GPL-2.0
/*
 * dm-couche raid6 tiers: k data + P + Q members, the kernel's RAID-6
 * library (raid6_pq) for syndromes and recovery.
 *
 * Layout: a slot is sps stripes; stripe s of slot n is global stripe
 * g = n * sps + s, at member offset COUCHE_DATA_OFFSET + g * chunk.  The
 * roles rotate with g: P on member g % (k+2), Q on the next, data chunk d
 * on member (g + 2 + d) % (k+2).
 *
 * Stripes are only ever written whole, by a migration into the tier, and
 * never updated in place: a user write to an extent here first moves it to
 * a linear tier.  A crash can therefore never leave parity that disagrees
 * with the data a committed map points at (no write hole): until the
 * commit that names the new stripes, nothing reads them.
 */
#include <linux/blkdev.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/raid/pq.h>
#include <linux/vmalloc.h>

#include "couche.h"

#define DM_MSG_PREFIX "couche"
#define BATCH_DATA_SECTORS 2048	/* about 1 MiB of data per step */

/*
 * Stripes per step of a copy, rebuild or scrub, so that the buffers stay
 * about a MiB of data whatever the extent size (a 1 GiB extent is never
 * held whole).
 */
static u32 batch_stripes(const struct couche_tier *t)
{
	return max_t(u32, 1, BATCH_DATA_SECTORS / ((u32)t->k * t->chunk_sectors));
}

static int member_io(struct couche *c, struct couche_member *m, blk_opf_t opf,
		     sector_t sector, sector_t count, void *buf)
{
	struct dm_io_region where = {
		.bdev = m->dev->bdev, .sector = sector, .count = count,
	};
	struct dm_io_request req = {
		.bi_opf = opf,
		.mem.type = DM_IO_VMA,
		.mem.ptr.vma = buf,
		.client = c->io_client,
	};
	unsigned long error_bits = 0;

	return dm_io(&req, 1, &where, &error_bits, IOPRIO_DEFAULT);
}

/* A read-only volume or table writes nothing to its members. */
static bool members_writable(struct couche *c)
{
	return !c->params.read_only && (dm_table_get_mode(c->ti->table) & FMODE_WRITE);
}

/* Recomputes P and Q of stripes g0..g0+n-1 from their data. */
static void gen_parity(struct couche_tier *t, u64 g0, u32 n, u8 *mb, size_t mlen)
{
	size_t cb = (size_t)t->chunk_sectors << SECTOR_SHIFT;
	void *ptrs[COUCHE_MAX_MEMBERS];
	unsigned int r;
	u32 s;

	for (s = 0; s < n; s++) {
		for (r = 0; r < t->k + 2; r++)
			ptrs[r] = mb + couche_r6_role_member(t->k, g0 + s, r) * mlen + s * cb;
		raid6_call.gen_syndrome(t->k + 2, cb, ptrs);
	}
}

/*
 * Rebuilds the chunks of the members in @lost (a mask), stripe by stripe.
 * With one lost, P and Q are rebuilt too and, if @check, the rest checked
 * against the parity left over: -EILSEQ if it disagrees.  With two, data
 * only.  @scratch: two pages.
 */
static int recover_stripes(struct couche_tier *t, u64 g0, u32 n, u8 *mb, size_t mlen,
			   u32 lost, bool check, u8 *scratch)
{
	size_t cb = (size_t)t->chunk_sectors << SECTOR_SHIFT;
	bool failed[COUCHE_MAX_MEMBERS];
	void *ptrs[COUCHE_MAX_MEMBERS];
	unsigned int m, r, one = 0;
	u32 s;
	int err;

	for (s = 0; s < n; s++) {
		for (r = 0; r < t->k + 2; r++) {
			m = couche_r6_role_member(t->k, g0 + s, r);
			ptrs[r] = mb + m * mlen + s * cb;
			failed[r] = lost & BIT(m);
			if (failed[r])
				one = r;
		}
		if (hweight32(lost) == 1) {
			err = couche_r6_recover_one(t->k, cb, ptrs, one, scratch);
			if (err && check)
				return err;
			if (err) {
				/* A rebuild has nothing better to write; scrub may tell. */
				DMERR_LIMIT("tier %s stripe %llu: parity disagrees, rebuilt from P",
					    t->name, g0 + s);
				couche_r6_recover(t->k, cb, ptrs, failed);
			}
		} else if (couche_r6_recover(t->k, cb, ptrs, failed)) {
			return -EIO;
		}
	}
	return 0;
}

/*
 * Counts a read error on member @mi at member sector @where: rewritten
 * from parity (@corrected) or not.  The same place failing again within a
 * second counts once towards the limit (bios over one bad chunk, as in a
 * readahead window, fail together).  Past
 * COUCHE_MAX_READ_ERRORS lately, and if @may_fail, the member is failed,
 * unless the tier has lost two members already (decided under c->lock,
 * so two of these cannot both take the last redundancy).
 */
static void note_read_error(struct couche *c, struct couche_tier *t, unsigned int mi,
			    sector_t where, bool corrected, bool may_fail)
{
	struct couche_member *m = &t->members[mi];
	time64_t now = ktime_get_seconds(), hours;

	spin_lock_irq(&c->lock);
	hours = div_s64(now - m->last_error, 3600);
	if (hours > 0) {
		m->recent_errors = hours >= 32 ? 0 : m->recent_errors >> hours;
		m->last_error += hours * 3600;
	}
	if (corrected) {
		m->read_corrected++;
		c->stats.read_corrected++;
	}
	if (where != m->last_where || now - m->last_counted > 1) {
		m->last_where = where;
		m->last_counted = now;
		m->recent_errors++;
	}
	if (m->recent_errors > COUCHE_MAX_READ_ERRORS && may_fail) {
		if (couche_tier_lost(t) < 2)
			couche_member_failed(c, m, "too many read errors");
		else
			DMERR_LIMIT("%s: too many read errors, kept: tier %s cannot do without it",
				    m->dev->name, t->name);
	}
	spin_unlock_irq(&c->lock);
}

static void log_read_error(struct couche_tier *t, unsigned int mi, sector_t where,
			   sector_t len, const char *what)
{
	DMWARN_LIMIT("read error on %s (tier %s member %u, sectors %llu+%llu): %s",
		     t->members[mi].dev->name, t->name, mi, (u64)where, (u64)len, what);
}

/*
 * Writes member @mi's chunks, rebuilt from the others, over the range
 * that failed to read (a disk remaps a bad sector when it is written), and
 * reads them again.  The member fails if either fails, or past
 * COUCHE_MAX_READ_ERRORS.  True if that read failed: @buf is then undefined.
 */
static bool rewrite_chunks(struct couche *c, struct couche_tier *t, unsigned int mi,
			   u64 g0, u32 n, u8 *buf)
{
	struct couche_member *mem = &t->members[mi];
	sector_t where = COUCHE_DATA_OFFSET + g0 * t->chunk_sectors;
	sector_t len = (sector_t)n * t->chunk_sectors;

	if (!members_writable(c)) {
		/* Failing it would leave a tier no read-only load can rebuild. */
		log_read_error(t, mi, where, len, "rebuilt from parity, not rewritten (read-only)");
		note_read_error(c, t, mi, where, false, false);
		return false;
	}
	if (member_io(c, mem, REQ_OP_WRITE | REQ_FUA, where, len, buf)) {
		couche_member_failed(c, mem, "read error, then a write error");
		return false;
	}
	if (member_io(c, mem, REQ_OP_READ, where, len, buf)) {
		couche_member_failed(c, mem, "read error not corrected by a rewrite");
		return true;
	}
	log_read_error(t, mi, where, len, "rewritten from parity");
	note_read_error(c, t, mi, where, true, true);
	return false;
}

/* Counters status reads under c->lock; copies and scrub add to them at once. */
static void add_count(struct couche *c, u64 *v, u64 n)
{
	spin_lock_irq(&c->lock);
	*v += n;
	spin_unlock_irq(&c->lock);
}

static void count_uncorrectable(struct couche *c)
{
	add_count(c, &c->stats.read_uncorrectable, 1);
}

static int read_stripes(struct couche *c, struct couche_tier *t, u32 slot, u32 s0, u32 n,
			u8 *mb, size_t mlen, bool check, u32 *unread);

/* read_stripes() one stripe at a time, into the same buffers. */
static int read_each_stripe(struct couche *c, struct couche_tier *t, u32 slot, u32 s0,
			    u32 n, u8 *mb, size_t mlen, bool check)
{
	size_t cb = (size_t)t->chunk_sectors << SECTOR_SHIFT;
	int r = 0;
	u32 s;

	for (s = 0; s < n; s++)
		r = read_stripes(c, t, slot, s0 + s, 1, mb + s * cb, mlen, check, NULL) ?: r;
	return r;
}

/*
 * Reads stripes s0..s0+n-1 of @slot: member m's n chunks land at
 * mb + m * mlen.  Chunks of dead members are rebuilt (and, with one
 * missing and @check, the rest checked against parity).  A member whose
 * read fails is not dropped for it, as md does not drop one: its chunks
 * are rebuilt and written back (rewrite_chunks()).  -EIO if the stripes
 * cannot be rebuilt; members that failed to read stay, counted.
 * @unread (if set) gets the members whose chunks were not read.
 */
static int read_stripes(struct couche *c, struct couche_tier *t, u32 slot, u32 s0, u32 n,
			u8 *mb, size_t mlen, bool check, u32 *unread)
{
	u64 g0 = (u64)slot * t->sps + s0;
	sector_t where = COUCHE_DATA_OFFSET + g0 * t->chunk_sectors;
	sector_t len = (sector_t)n * t->chunk_sectors;
	u32 lost = 0, bad = 0, again = 0;
	u8 *scratch = NULL;
	unsigned int m;
	int r = 0;

	for (m = 0; m < t->nr_members; m++) {
		struct couche_member *mem = &t->members[m];

		if (!couche_member_readable(mem))
			lost |= BIT(m);
		else if (member_io(c, mem, REQ_OP_READ, where, len, mb + m * mlen))
			bad |= BIT(m);
	}
	if (unread)
		*unread = lost | bad;
	if (hweight32(lost | bad) > 2) {
		if (!bad)
			return -EIO;
		if (n > 1)	/* errors in different stripes may each be covered */
			return read_each_stripe(c, t, slot, s0, n, mb, mlen, check);
		DMERR_LIMIT("tier %s stripe %llu: more members unreadable than parity covers",
			    t->name, g0);
		count_uncorrectable(c);
		for (m = 0; m < t->nr_members; m++)
			if (bad & BIT(m))
				note_read_error(c, t, m, where, false, false);
		return -EIO;
	}
	if (!(lost | bad))
		return 0;
	/* One chunk lost: rebuilt from P, checked against Q, page by page. */
	if (hweight32(lost | bad) == 1) {
		scratch = kmalloc(2 * PAGE_SIZE, GFP_NOIO);
		if (!scratch)
			return -ENOMEM;
	}
	r = recover_stripes(t, g0, n, mb, mlen, lost | bad, check, scratch);
	if (r == -EILSEQ && n > 1) {
		/* Only the stripe that disagrees is lost. */
		r = read_each_stripe(c, t, slot, s0, n, mb, mlen, check);
		goto out;
	}
	if (r == -EILSEQ) {
		DMERR_LIMIT("tier %s stripe %llu: chunks disagree with parity: not served",
			    t->name, g0);
		count_uncorrectable(c);
		r = -EIO;
	}
	if (r || !bad)
		goto out;
	if (hweight32(lost | bad) == 2)
		gen_parity(t, g0, n, mb, mlen);	/* recovery rebuilt data only */
	for (m = 0; m < t->nr_members; m++)
		if ((bad & BIT(m)) && rewrite_chunks(c, t, m, g0, n, mb + m * mlen))
			again |= BIT(m);
	if (again && recover_stripes(t, g0, n, mb, mlen, lost | bad, false, scratch))
		r = -EIO;
out:
	kfree(scratch);
	return r;
}

/*
 * Writes whole stripes: data from mb, P and Q computed here.  Members dead
 * meanwhile, which lack these chunks, are added to @missed.
 */
static int write_stripes(struct couche *c, struct couche_tier *t, u32 slot,
			 u32 s0, u32 n, u8 *mb, size_t mlen, u32 *missed)
{
	u64 g0 = (u64)slot * t->sps + s0;
	unsigned int m, nd = 0;

	gen_parity(t, g0, n, mb, mlen);
	for (m = 0; m < t->nr_members; m++) {
		struct couche_member *mem = &t->members[m];

		if (!READ_ONCE(mem->dead) &&
		    member_io(c, mem, REQ_OP_WRITE, COUCHE_DATA_OFFSET + g0 * t->chunk_sectors,
			      (sector_t)n * t->chunk_sectors, mb + m * mlen))
			couche_member_failed(c, mem, "write error");
		if (READ_ONCE(mem->dead))
			*missed |= BIT(m);
		nd += READ_ONCE(mem->dead);
	}
	return nd > 2 ? -EIO : 0;
}

static int scrub_stripe(struct couche *c, struct couche_tier *t, u64 g, void **ptrs,
			u8 *saved_p, u8 *saved_q, u8 *saved_d);

/*
 * Checks stripes g0..g0+n-1, every member read, against P and Q, and
 * repairs what one bad chunk explains (scrub_stripe()).  Returns how many
 * no single chunk explains, or -EIO on a write error.
 */
static int check_stripes(struct couche *c, struct couche_tier *t, u64 g0, u32 n,
			 u8 *mb, size_t mlen, u8 *spare)
{
	size_t cb = (size_t)t->chunk_sectors << SECTOR_SHIFT;
	void *ptrs[COUCHE_MAX_MEMBERS];
	unsigned int r6;
	int r, bad = 0;
	u32 s;

	for (s = 0; s < n; s++) {
		for (r6 = 0; r6 < t->k + 2; r6++)
			ptrs[r6] = mb + couche_r6_role_member(t->k, g0 + s, r6) * mlen + s * cb;
		r = scrub_stripe(c, t, g0 + s, ptrs, spare, spare + cb, spare + 2 * cb);
		if (r == 1) {
			DMWARN_LIMIT("tier %s stripe %llu: a chunk disagreed with parity, repaired",
				     t->name, g0 + s);
			add_count(c, &c->scrub.repaired, 1);
		} else if (r == -EILSEQ) {
			add_count(c, &c->scrub.unrepairable, 1);
			bad++;
		} else if (r) {
			return r;
		}
	}
	return bad;
}

/* Copies between data order (dbuf) and member buffers, stripe by stripe. */
static void gather(struct couche_tier *t, u64 g0, u32 n, u8 *mb, size_t mlen,
		   u8 *dbuf, bool to_members)
{
	size_t cb = (size_t)t->chunk_sectors << SECTOR_SHIFT;
	unsigned int d, m;
	u32 s;

	for (s = 0; s < n; s++) {
		for (d = 0; d < t->k; d++) {
			u8 *chunk, *data = dbuf + ((size_t)s * t->k + d) * cb;

			m = couche_r6_role_member(t->k, g0 + s, d);
			chunk = mb + m * mlen + s * cb;
			if (to_members)
				memcpy(chunk, data, cb);
			else
				memcpy(data, chunk, cb);
		}
	}
}

/*
 * Moves an extent into or out of a raid6 tier, batch by batch of whole
 * stripes.  Runs in a work item; sleeps on I/O.
 */
static int r6_copy(struct couche *c, struct couche_op *op)
{
	struct couche_tier *src = &c->tiers[op->src_tier];
	struct couche_tier *dst = &c->tiers[op->dst_tier];
	struct couche_tier *t = src->kind == COUCHE_TIER_RAID6 ? src : dst;
	struct couche_tier *lin = t == src ? dst : src;
	u32 slot = t == src ? op->src_slot : op->dst_slot;
	sector_t lin_start = couche_slot_sector(c, t == src ? op->dst_slot : op->src_slot);
	sector_t stripe_data = (sector_t)t->k * t->chunk_sectors;
	u32 batch = batch_stripes(t);
	size_t mlen = ((size_t)batch * t->chunk_sectors) << SECTOR_SHIFT;
	u8 *mb, *dbuf, *spare = NULL;
	u32 s0, n;
	int r = 0;

	if (lin->kind != COUCHE_TIER_LINEAR) {
		DMWARN_LIMIT("migration between two raid6 tiers is not supported");
		return -EOPNOTSUPP;
	}
	mb = vzalloc(mlen * t->nr_members);
	dbuf = vzalloc(mlen * t->k);
	if (t == src)	/* for check_stripes() */
		spare = vmalloc(3 * ((size_t)t->chunk_sectors << SECTOR_SHIFT));
	if (!mb || !dbuf || (t == src && !spare)) {
		r = -ENOMEM;
		goto out;
	}
	for (s0 = 0; s0 < t->sps && !r; s0 += n) {
		sector_t off = s0 * stripe_data, len;

		n = min(batch, t->sps - s0);
		len = min_t(sector_t, n * stripe_data, c->extent_sectors - off);
		if (t == dst) {
			memset(dbuf, 0, mlen * t->k);
			r = member_io(c, &lin->members[0], REQ_OP_READ, lin_start + off, len, dbuf);
			if (r)
				break;
			gather(t, (u64)slot * t->sps + s0, n, mb, mlen, dbuf, true);
			r = write_stripes(c, t, slot, s0, n, mb, mlen, &op->missed);
		} else {
			/*
			 * Every member was read anyway: check against parity
			 * too, so silent corruption is caught without extra
			 * reads, and no wrong data moves.
			 */
			r = read_stripes(c, t, slot, s0, n, mb, mlen, true, NULL);
			if (!r && !couche_tier_lost(t))
				r = check_stripes(c, t, (u64)slot * t->sps + s0, n, mb, mlen,
						  spare);
			if (r > 0)
				DMERR_LIMIT("tier %s slot %u: parity disagrees beyond repair",
					    t->name, slot);
			if (r) {
				r = -EIO;
				break;
			}
			gather(t, (u64)slot * t->sps + s0, n, mb, mlen, dbuf, false);
			r = member_io(c, &lin->members[0], REQ_OP_WRITE, lin_start + off,
				      len, dbuf);
		}
	}
out:
	vfree(spare);
	vfree(dbuf);
	vfree(mb);
	return r;
}

/*
 * Reads a bio's range of a raid6 extent through read_stripes().  @retried:
 * the member whose direct read of it failed, or -1.
 */
static void r6_read_bio(struct couche *c, struct bio *bio, u32 e, int retried)
{
	struct couche_tier *t = &c->tiers[ce_tier(e)];
	sector_t off = dm_target_offset(c->ti, bio->bi_iter.bi_sector) &
		(c->extent_sectors - 1);
	sector_t stripe_data = (sector_t)t->k * t->chunk_sectors;
	u32 s0 = div64_u64(off, stripe_data);
	u32 n = div64_u64(off + bio_sectors(bio) - 1, stripe_data) - s0 + 1;
	size_t mlen = ((size_t)n * t->chunk_sectors) << SECTOR_SHIFT;
	size_t cb = (size_t)t->chunk_sectors << SECTOR_SHIFT;
	u64 g0 = (u64)ce_slot(e) * t->sps + s0;
	struct bvec_iter iter;
	struct bio_vec bv;
	u32 unread = 0;
	u8 *mb;

	mb = vmalloc(mlen * t->nr_members);
	if (!mb || read_stripes(c, t, ce_slot(e), s0, n, mb, mlen, true, &unread)) {
		vfree(mb);
		bio_io_error(bio);
		return;
	}
	/* It read this time: a transient error, counted all the same. */
	if (retried >= 0 && !(unread & BIT(retried))) {
		sector_t where, left;
		unsigned int m;

		couche_r6_locate(t, ce_slot(e), off, &m, &where, &left);
		log_read_error(t, retried, where, min_t(sector_t, left, bio_sectors(bio)),
			       "went away on a second read");
		note_read_error(c, t, retried, where, false, members_writable(c));
	}
	off -= (sector_t)s0 * stripe_data;	/* now relative to stripe s0 */
	bio_for_each_segment(bv, bio, iter) {
		u8 *dst = bvec_kmap_local(&bv);
		size_t done = 0;

		while (done < bv.bv_len) {
			size_t pos = (off << SECTOR_SHIFT) + done;
			u32 s = pos / (cb * t->k);
			size_t within = pos - (size_t)s * cb * t->k;
			unsigned int d = within / cb;
			size_t coff = within - (size_t)d * cb;
			size_t len = min(bv.bv_len - done, cb - coff);
			unsigned int m = couche_r6_role_member(t->k, g0 + s, d);

			memcpy(dst + done, mb + m * mlen + s * cb + coff, len);
			done += len;
		}
		kunmap_local(dst);
		off += bv.bv_len >> SECTOR_SHIFT;
	}
	vfree(mb);
	bio->bi_status = BLK_STS_OK;
	bio_endio(bio);
}

/*
 * Copies and degraded reads allocate their buffers as they go, and writes
 * to the volume may wait for them (a promotion, a demotion for room):
 * reclaim must not write back to the volume meanwhile.
 */
static void do_copy(struct work_struct *ws)
{
	struct couche_op *op = container_of(ws, struct couche_op, copy_work);
	unsigned int noio = memalloc_noio_save();

	couche_op_done(r6_copy(op->c, op) ? 1 : 0, 0, op);
	memalloc_noio_restore(noio);
}

/* Runs a migration into or out of a raid6 tier; ends in couche_op_done(). */
void couche_r6_queue_copy(struct couche *c, struct couche_op *op)
{
	INIT_WORK(&op->copy_work, do_copy);
	queue_work(c->r6_wq, &op->copy_work);
}

static void do_read(struct work_struct *ws)
{
	struct couche_bio *pb = container_of(ws, struct couche_bio, work);
	unsigned int noio = memalloc_noio_save();

	r6_read_bio(pb->c, dm_bio_from_per_bio_data(pb, sizeof(*pb)), pb->e,
		    pb->retried ? pb->member : -1);
	memalloc_noio_restore(noio);
}

/*
 * Reads a bio of a raid6 extent with entry @e, rebuilding what dead
 * members hold.  The caller holds the bio in an I/O epoch, so the slot
 * stays the extent's until the bio ends.
 */
void couche_r6_queue_read(struct couche *c, struct bio *bio, u32 e)
{
	struct couche_bio *pb = dm_per_bio_data(bio, sizeof(*pb));

	pb->c = c;
	pb->e = e;
	INIT_WORK(&pb->work, do_read);
	queue_work(c->r6_wq, &pb->work);
}

/* A read-only volume or table writes nothing: its rebuild waits. */
bool couche_r6_needs_rebuild(struct couche *c)
{
	unsigned int t, m;

	if (!members_writable(c))
		return false;

	for (t = 0; t < c->nr_tiers; t++)
		for (m = 0; m < c->tiers[t].nr_members; m++)
			if (READ_ONCE(c->tiers[t].members[m].rebuilding))
				return true;
	return false;
}

/* Stays within migration_mbps, as migrations do. */
static void rebuild_throttle(struct couche *c, size_t bytes)
{
	u32 mbps = READ_ONCE(c->params.migration_mbps);

	if (mbps)
		msleep_interruptible(div_u64((u64)bytes * 1000, (u64)mbps << 20));
}

/*
 * Writes member @mi's chunks of every used slot, rebuilt from the other
 * members, then its identity header: until that header is on disk the
 * member reads as blank and a later load starts the rebuild again.
 * -EAGAIN when the device is being suspended (resume goes on from there).
 */
/* Rebuilds member @mi's chunks of stripes s0..s0+n-1 of @slot. */
static int rebuild_stripes(struct couche *c, struct couche_tier *tier, unsigned int mi,
			   u32 slot, u32 s0, u32 n, u8 *mb, size_t mlen)
{
	u64 g0 = (u64)slot * tier->sps + s0;
	int r;

	r = read_stripes(c, tier, slot, s0, n, mb, mlen, false, NULL);
	if (r)
		return r;
	/* Data is whole again; recovery leaves P and Q to this. */
	gen_parity(tier, g0, n, mb, mlen);
	return member_io(c, &tier->members[mi], REQ_OP_WRITE,
			 COUCHE_DATA_OFFSET + g0 * tier->chunk_sectors,
			 (sector_t)n * tier->chunk_sectors, mb + mi * mlen);
}

static int rebuild_member(struct couche *c, unsigned int t, unsigned int mi)
{
	struct couche_tier *tier = &c->tiers[t];
	struct couche_member *mem = &tier->members[mi];
	u32 batch = batch_stripes(tier);
	size_t mlen = ((size_t)batch * tier->chunk_sectors) << SECTOR_SHIFT;
	u32 slot, done = 0, s0, nonce = 0;
	bool used;
	u8 *mb;
	int r = 0;

	mb = vmalloc(mlen * tier->nr_members);
	if (!mb)
		return -ENOMEM;
	/* Progress kept by a suspend is this member's only. */
	if (tier->rebuild_member != (int)mi) {
		tier->rebuild_member = mi;
		tier->rebuild_next = 0;
	}
	for (slot = tier->rebuild_next; slot < tier->slots.nr && !r; slot++) {
		if (READ_ONCE(c->quiescing)) {
			tier->rebuild_next = slot;
			vfree(mb);
			return -EAGAIN;
		}
		/* Progress every tenth of the tier, used slots or not. */
		if (slot && div_u64((u64)slot * 10, tier->slots.nr) !=
		    div_u64((u64)(slot - 1) * 10, tier->slots.nr))
			couche_event(c, COUCHE_EVENT_REBUILD_PROGRESS, t, mi, 0,
				     slot, tier->slots.nr, 0);
		spin_lock_irq(&c->lock);
		used = test_bit(slot, tier->slots.bitmap);
		spin_unlock_irq(&c->lock);
		if (!used)
			continue;
		for (s0 = 0; s0 < tier->sps && !r; s0 += batch) {
			u32 n = min(batch, tier->sps - s0);

			/* A suspend waits for a batch, not a whole (1 GiB) slot. */
			if (READ_ONCE(c->quiescing)) {
				tier->rebuild_next = slot;
				vfree(mb);
				return -EAGAIN;
			}
			r = rebuild_stripes(c, tier, mi, slot, s0, n, mb, mlen);
			rebuild_throttle(c, mlen);
			cond_resched();
		}
		WRITE_ONCE(tier->rebuild_next, slot + 1);
		done++;
	}
	if (!r)
		r = blkdev_issue_flush(mem->dev->bdev);
	/* Failed meanwhile (a commit's flush): it is not in sync, say nothing. */
	if (!r && READ_ONCE(mem->dead))
		r = -EIO;
	if (!r) {
		/*
		 * A new nonce, in the header first and then in the superblock:
		 * a crash in between leaves them different, and the member is
		 * rebuilt again; the device it replaced never matches again.
		 */
		nonce = get_random_u32() | 1;
		couche_member_encode(mb, c->geo.uuid, t, mi, tier->kind, tier->nr_members,
				     c->extent_sectors, nonce);
		r = member_io(c, mem, REQ_OP_WRITE | REQ_FUA, 0, COUCHE_BLOCK_SECTORS, mb);
	}
	vfree(mb);
	if (r)
		return r;
	/* The next member to rebuild starts from the first slot. */
	tier->rebuild_member = -1;
	WRITE_ONCE(tier->rebuild_next, 0);
	mutex_lock(&c->commit_lock);
	c->geo.member_nonce[t][mi] = nonce;
	mutex_unlock(&c->commit_lock);
	spin_lock_irq(&c->lock);
	c->dirty_seq++;
	spin_unlock_irq(&c->lock);
	c->commit_due = true;
	WRITE_ONCE(mem->rebuilding, false);
	DMINFO("rebuilt %s, member %u of tier %s: %u extents", mem->dev->name, mi,
	       tier->name, done);
	couche_event(c, COUCHE_EVENT_REBUILD_DONE, t, mi, 0, done, done, 0);
	set_bit(0, &c->event_pending);
	queue_work(c->wq, &c->worker);
	return 0;
}

/* Work item: rebuilds every blank raid6 member, one at a time. */
void couche_r6_rebuild(struct work_struct *ws)
{
	struct couche *c = container_of(ws, struct couche, rebuild_work);
	unsigned int t, m;
	int r;

	for (t = 0; t < c->nr_tiers; t++) {
		for (m = 0; m < c->tiers[t].nr_members; m++) {
			struct couche_member *mem = &c->tiers[t].members[m];

			if (!READ_ONCE(mem->rebuilding) || READ_ONCE(mem->dead))
				continue;
			r = rebuild_member(c, t, m);
			/* Short of memory for a MiB or two: wait, do not fail it. */
			while (r == -ENOMEM && !READ_ONCE(c->quiescing)) {
				msleep(1000);
				r = rebuild_member(c, t, m);
			}
			if (r == -EAGAIN || (r == -ENOMEM && READ_ONCE(c->quiescing)))
				return;
			if (r) {
				DMERR("rebuild of %s failed (%d): replace it and reload",
				      mem->dev->name, r);
				couche_member_failed(c, mem, "rebuild failure");
				c->tiers[t].rebuild_member = -1;
				WRITE_ONCE(c->tiers[t].rebuild_next, 0);
			}
		}
	}
}

/*
 * Checks one stripe against its P and Q and repairs what a single bad
 * chunk explains: P alone, Q alone, or one data chunk (the one whose
 * rebuild from Q makes P agree).  Returns 0 clean, 1 repaired, -EILSEQ
 * if no single chunk explains it, -EIO on a write error.
 */
static int scrub_stripe(struct couche *c, struct couche_tier *t, u64 g, void **ptrs,
			u8 *saved_p, u8 *saved_q, u8 *saved_d)
{
	size_t cb = (size_t)t->chunk_sectors << SECTOR_SHIFT;
	sector_t where = COUCHE_DATA_OFFSET + g * t->chunk_sectors;
	bool failed[COUCHE_MAX_MEMBERS] = {};
	unsigned int k = t->k, z, role;
	bool p_ok, q_ok;

	memcpy(saved_p, ptrs[k], cb);
	memcpy(saved_q, ptrs[k + 1], cb);
	raid6_call.gen_syndrome(k + 2, cb, ptrs);
	p_ok = !memcmp(ptrs[k], saved_p, cb);
	q_ok = !memcmp(ptrs[k + 1], saved_q, cb);
	if (p_ok && q_ok)
		return 0;
	if (p_ok != q_ok) {
		role = p_ok ? k + 1 : k;	/* rewrite the one that disagrees */
		goto write;
	}
	for (z = 0; z < k; z++) {
		memcpy(saved_d, ptrs[z], cb);
		memcpy(ptrs[k + 1], saved_q, cb);
		failed[z] = true;
		couche_r6_recover(k, cb, ptrs, failed);	/* D_z from Q; P recomputed */
		failed[z] = false;
		if (!memcmp(ptrs[k], saved_p, cb)) {
			role = z;
			goto write;
		}
		memcpy(ptrs[z], saved_d, cb);
	}
	return -EILSEQ;
write:
	/* FUA: no commit follows a repair, and user flushes skip raid6 members. */
	return member_io(c, &t->members[couche_r6_role_member(k, g, role)],
			 REQ_OP_WRITE | REQ_FUA, where, t->chunk_sectors, ptrs[role]) ? -EIO : 1;
}

/*
 * Reads a slot batch by batch (read errors are rewritten from parity) and
 * checks every stripe against P and Q.  -EIO once a member has failed:
 * nothing can be checked without it.
 */
static int scrub_slot(struct couche *c, struct couche_tier *t, u32 slot, u8 *mb,
		      size_t mlen, u8 *spare)
{
	u32 batch = batch_stripes(t), s0, n;
	int r;

	for (s0 = 0; s0 < t->sps; s0 += n) {
		n = min(batch, t->sps - s0);
		r = read_stripes(c, t, slot, s0, n, mb, mlen, true, NULL);
		if (couche_tier_lost(t))
			return -EIO;
		if (r) {
			add_count(c, &c->scrub.unrepairable, n);	/* beyond parity */
			continue;
		}
		r = check_stripes(c, t, (u64)slot * t->sps + s0, n, mb, mlen, spare);
		if (r < 0)
			return r;
		add_count(c, &c->scrub.checked, n);
		cond_resched();
	}
	return 0;
}

/*
 * Work item: scrubs every extent of every raid6 tier.  Each extent is held
 * busy while its slot is checked (writes to it wait, as for a migration).
 */
void couche_r6_scrub(struct work_struct *ws)
{
	struct couche *c = container_of(ws, struct couche, scrub_work);
	unsigned int noio = memalloc_noio_save();
	struct couche_tier *t, *sized = NULL;	/* the tier mb and spare fit */
	struct couche_op *op;
	struct bio_list bios;
	u8 *mb = NULL, *spare = NULL;
	size_t mlen = 0;
	u32 i, e;
	int r = 0;

	for (i = 0; i < c->nr_extents && !r; i++) {
		if (READ_ONCE(c->quiescing))
			break;
		op = couche_op_alloc(c, i, COUCHE_OP_SCRUB);
		if (!op) {
			msleep(20);
			i--;
			continue;
		}
		spin_lock_irq(&c->lock);
		e = c->map[i];
		if (!(e & CE_MAPPED) || (e & CE_BUSY) || !couche_is_raid6(c, ce_tier(e))) {
			spin_unlock_irq(&c->lock);
			mempool_free(op, &c->op_pool);
			if (!(i & 4095))
				cond_resched();
			continue;
		}
		couche_op_insert(c, op);
		spin_unlock_irq(&c->lock);

		/* NOIO: writes to this extent wait for the scrub. */
		t = &c->tiers[ce_tier(e)];
		if (t != sized) {
			vfree(mb);
			vfree(spare);
			mlen = ((size_t)batch_stripes(t) * t->chunk_sectors) << SECTOR_SHIFT;
			mb = vmalloc(mlen * t->nr_members);
			spare = vmalloc(3 * ((size_t)t->chunk_sectors << SECTOR_SHIFT));
			sized = mb && spare ? t : NULL;
		}
		r = sized ? scrub_slot(c, t, ce_slot(e), mb, mlen, spare) : -ENOMEM;

		spin_lock_irq(&c->lock);
		couche_op_remove(c, op);
		bios = op->deferred;
		bio_list_merge(&c->deferred_bios, &bios);
		spin_unlock_irq(&c->lock);
		mempool_free(op, &c->op_pool);
		queue_work(c->wq, &c->worker);
		cond_resched();
	}
	vfree(spare);
	vfree(mb);
	memalloc_noio_restore(noio);
	DMINFO("scrub %s: %llu stripes checked, %llu repaired, %llu unrepairable",
	       r ? "stopped by an error" : READ_ONCE(c->quiescing) ? "interrupted" : "done",
	       c->scrub.checked, c->scrub.repaired, c->scrub.unrepairable);
	couche_event(c, COUCHE_EVENT_SCRUB_DONE, -1, -1, 0, c->scrub.checked,
		     c->scrub.total, r ?: READ_ONCE(c->quiescing) ? -EINTR : 0);
	WRITE_ONCE(c->scrub.running, false);
	set_bit(0, &c->event_pending);
	queue_work(c->wq, &c->worker);
}
