// SPDX-License-Identifier: GPL-2.0
/*
 * dm-couche metadata: format, validation against the table, load, commit.
 * The layout and the commit protocol are described in format.h.
 */
#include <linux/bitmap.h>
#include <linux/blkdev.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/uuid.h>
#include <linux/vmalloc.h>

#include "couche.h"

#define DM_MSG_PREFIX "couche"
#define STAGE_BLOCKS 64

static int meta_io(struct couche *c, struct block_device *bdev, blk_opf_t opf,
		   sector_t sector, unsigned int nr_blocks, void *buf)
{
	struct dm_io_region where = {
		.bdev = bdev,
		.sector = sector,
		.count = (sector_t)nr_blocks * COUCHE_BLOCK_SECTORS,
	};
	struct dm_io_request req = {
		.bi_opf = opf,
		.client = c->io_client,
	};
	unsigned long error_bits = 0;

	if (is_vmalloc_addr(buf)) {
		req.mem.type = DM_IO_VMA;
		req.mem.ptr.vma = buf;
	} else {
		req.mem.type = DM_IO_KMEM;
		req.mem.ptr.addr = buf;
	}
	return dm_io(&req, 1, &where, &error_bits, IOPRIO_DEFAULT);
}

static int meta_read(struct couche *c, u64 block, unsigned int nr, void *buf)
{
	return meta_io(c, c->meta_dev->bdev, REQ_OP_READ,
		       block * COUCHE_BLOCK_SECTORS, nr, buf);
}

static int meta_write(struct couche *c, u64 block, unsigned int nr, void *buf,
		      blk_opf_t flags)
{
	return meta_io(c, c->meta_dev->bdev, REQ_OP_WRITE | REQ_SYNC | flags,
		       block * COUCHE_BLOCK_SECTORS, nr, buf);
}

/* Reads both superblock slots; returns the newest valid one in @g. */
static int read_superblock(struct couche *c, struct couche_geometry *g,
			   bool *blank, char **error)
{
	/* Geometries are large: keep them off the stack. */
	struct {
		u8 buf[2 * COUCHE_BLOCK_SIZE];
		struct couche_geometry slot[2];
	} *sb;
	struct couche_geometry *slot;
	const char *why[2] = { NULL, NULL };
	int ok[2], dr[2], r, i;
	bool zero = true;
	u8 *buf;

	sb = kmalloc(sizeof(*sb), GFP_KERNEL);
	buf = sb ? sb->buf : NULL;
	slot = sb ? sb->slot : NULL;
	if (!sb) {
		*error = "Cannot allocate superblock buffer";
		return -ENOMEM;
	}
	r = meta_read(c, 0, 2, buf);
	if (r) {
		*error = "Cannot read the metadata device";
		goto out;
	}
	for (i = 0; i < 2; i++) {
		dr[i] = couche_sb_decode(buf + i * COUCHE_BLOCK_SIZE, &slot[i], &why[i]);
		ok[i] = !dr[i];
		zero &= couche_block_is_zero(buf + i * COUCHE_BLOCK_SIZE);
	}
	*blank = false;
	if (dr[0] == -EOPNOTSUPP || dr[1] == -EOPNOTSUPP) {
		/* Not torn, but newer: the other slot may be just as foreign. */
		i = dr[1] == -EOPNOTSUPP;
		DMERR("metadata superblock slot %d: %s", i, why[i]);
		*error = "Metadata was written by a newer dm-couche: load it with that one";
		r = -EOPNOTSUPP;
	} else if (ok[0] && ok[1]) {
		*g = slot[slot[1].generation > slot[0].generation];
	} else if (ok[0] || ok[1]) {
		*g = slot[ok[1]];
	} else if (zero) {
		*blank = true;
	} else {
		DMERR("metadata superblock: %s; %s", why[0], why[1]);
		*error = "No valid couche superblock: zero the device to format it";
		r = -EILSEQ;
	}
out:
	kfree(sb);
	return r;
}

/* A blank device is formatted only if its first MiB is all zeros. */
static int check_blank(struct couche *c, char **error)
{
	unsigned int nr = min_t(u64, c->meta_blocks, STAGE_BLOCKS * 4);
	unsigned int b, i, n;
	int r;

	for (b = 0; b < nr; b += n) {
		n = min_t(unsigned int, nr - b, STAGE_BLOCKS);
		r = meta_read(c, b, n, c->stage);
		if (r) {
			*error = "Cannot read the metadata device";
			return r;
		}
		for (i = 0; i < n; i++)
			if (!couche_block_is_zero((u8 *)c->stage + i * COUCHE_BLOCK_SIZE)) {
				*error = "Metadata device is neither zeroed nor couche metadata";
				return -EILSEQ;
			}
	}
	return 0;
}

static void fill_geometry(struct couche *c, struct couche_geometry *g)
{
	unsigned int t;

	g->extent_sectors = c->extent_sectors;
	g->nr_extents = c->nr_extents;
	g->meta_blocks = c->meta_blocks;
	g->nr_tiers = c->nr_tiers;
	for (t = 0; t < c->nr_tiers; t++) {
		strscpy(g->tiers[t].name, c->tiers[t].name, COUCHE_TIER_NAME_LEN);
		g->tiers[t].kind = c->tiers[t].kind;
		g->tiers[t].nr_members = c->tiers[t].nr_members;
		g->tiers[t].k = c->tiers[t].k;
		g->tiers[t].chunk_sectors = c->tiers[t].chunk_sectors;
		g->tiers[t].nr_slots = c->tiers[t].slots.nr;
	}
}

/* Checks a formatted volume's geometry against the table. */
static int check_geometry(struct couche *c, const struct couche_geometry *g,
			  char **error)
{
	unsigned int t;

	if (g->extent_sectors != c->extent_sectors) {
		DMERR("metadata was formatted with extent_sectors %llu",
		      g->extent_sectors);
		*error = "Extent size differs from the one in the metadata";
		return -EINVAL;
	}
	if (g->nr_tiers != c->nr_tiers) {
		DMERR("metadata was formatted with %u tiers", g->nr_tiers);
		*error = "Number of tiers differs from the metadata";
		return -EINVAL;
	}
	if (c->nr_extents < g->nr_extents) {
		DMERR("metadata holds %llu extents, table asks for %u",
		      g->nr_extents, c->nr_extents);
		*error = "Volume is shorter than in the metadata; shrinking is not supported";
		return -EINVAL;
	}
	if (c->meta_blocks < COUCHE_SB_BLOCKS + 2ull * g->map_copy_blocks) {
		*error = "Metadata device is smaller than when it was formatted";
		return -EINVAL;
	}
	if (couche_map_blocks(c->nr_extents) > g->map_copy_blocks) {
		*error = "Metadata device was formatted too small for this volume length";
		return -ENOSPC;
	}
	for (t = 0; t < c->nr_tiers; t++) {
		const struct couche_tier *tier = &c->tiers[t];

		if (strcmp(g->tiers[t].name, tier->name) ||
		    g->tiers[t].kind != tier->kind ||
		    g->tiers[t].nr_members != tier->nr_members ||
		    g->tiers[t].k != tier->k ||
		    g->tiers[t].chunk_sectors != tier->chunk_sectors) {
			DMERR("tier %u is '%s' with %u member(s) in the metadata",
			      t, g->tiers[t].name, g->tiers[t].nr_members);
			*error = "Tier differs from the metadata (name, kind or members)";
			return -EINVAL;
		}
		if (tier->slots.nr < g->tiers[t].nr_slots) {
			DMERR("tier '%s' had %llu extents, its device now holds %u",
			      tier->name, g->tiers[t].nr_slots, tier->slots.nr);
			*error = "Tier device is smaller than when the volume was formatted";
			return -EINVAL;
		}
	}
	return 0;
}

/* Reads a member's identity header; -ENODATA if it carries none. */
static int read_member(struct couche *c, struct dm_dev *dev,
		       struct couche_disk_member *m, char **error)
{
	int r = meta_io(c, dev->bdev, REQ_OP_READ, 0, 1, c->stage);

	if (r) {
		DMERR("cannot read identity of %s", dev->name);
		*error = "Cannot read a member's identity header";
		return r;
	}
	return couche_member_decode(c->stage, m);
}

static int check_member(struct couche *c, struct dm_dev *dev, unsigned int t,
			unsigned int i, const struct couche_geometry *g, char **error)
{
	struct couche_disk_member m;
	int r = read_member(c, dev, &m, error);

	/* A raid6 member that cannot be read: the tier loads without it. */
	if (r && r != -ENODATA && c->tiers[t].kind == COUCHE_TIER_RAID6) {
		DMWARN("%s cannot be read: member %u of tier %s is dead, the tier degraded",
		       dev->name, i, c->tiers[t].name);
		c->tiers[t].members[i].dead = true;
		return 0;
	}

	/* A blank device in a raid6 slot replaces that member: rebuild it. */
	if (r == -ENODATA && c->tiers[t].kind == COUCHE_TIER_RAID6 &&
	    couche_block_is_zero(c->stage)) {
		DMINFO("%s is blank: member %u of tier %s will be rebuilt", dev->name, i,
		       c->tiers[t].name);
		c->tiers[t].members[i].rebuilding = true;
		return 0;
	}
	if (r == -ENODATA) {
		DMERR("%s carries no couche identity", dev->name);
		*error = "Member is not part of this volume (no identity header)";
		return -EINVAL;
	}
	if (r)
		return r;
	if (memcmp(m.uuid, g->uuid, 16)) {
		DMERR("%s belongs to volume %pUb, not %pUb", dev->name, m.uuid, g->uuid);
		*error = "Member device belongs to another couche volume";
		return -EINVAL;
	}
	if (le32_to_cpu(m.tier) != t || le32_to_cpu(m.slot) != i) {
		DMERR("%s is member %u of tier %u, named as member %u of tier %u",
		      dev->name, le32_to_cpu(m.slot), le32_to_cpu(m.tier), i, t);
		*error = "Member devices are given in the wrong order";
		return -EINVAL;
	}
	if (le32_to_cpu(m.nonce) != g->member_nonce[t][i]) {
		if (c->tiers[t].kind == COUCHE_TIER_RAID6) {
			/* An older device of this slot: its chunks may be stale. */
			DMINFO("%s is a stale member %u of tier %s: rebuilding it",
			       dev->name, i, c->tiers[t].name);
			c->tiers[t].members[i].rebuilding = true;
			return 0;
		}
		DMERR("%s is an old copy of member %u of tier %s", dev->name, i,
		      c->tiers[t].name);
		*error = "Member device is not the one this volume last used";
		return -EINVAL;
	}
	return 0;
}

static int check_blank_member(struct couche *c, struct dm_dev *dev, char **error)
{
	struct couche_disk_member m;
	int r = read_member(c, dev, &m, error);

	if (r == -ENODATA)
		return 0;
	if (r)
		return r;
	DMERR("%s belongs to volume %pUb", dev->name, m.uuid);
	*error = "Member belongs to a couche volume: wipe its first MiB to reuse it";
	return -EBUSY;
}

/* A raid6 tier cannot be read without more than two of its members. */
static int check_lost(struct couche_tier *tier, char **error)
{
	unsigned int lost = couche_tier_lost(tier);

	if (tier->kind != COUCHE_TIER_RAID6 || couche_tier_readable(tier))
		return 0;
	DMERR("tier %s: %u of its members are missing, unreadable, blank or stale",
	      tier->name, lost);
	*error = "More than two raid6 members are lost: the tier cannot be read";
	return -EINVAL;
}

/*
 * Each member's first block names its volume, tier and slot.  With
 * @blank, members must carry no identity yet; otherwise they must carry
 * this volume's, in this position.
 */
static int check_members(struct couche *c, const struct couche_geometry *g,
			 bool blank, char **error)
{
	unsigned int t, i;
	int r;

	for (t = 0; t < c->nr_tiers; t++) {
		for (i = 0; i < c->tiers[t].nr_members; i++) {
			struct couche_member *mem = &c->tiers[t].members[i];

			if (!mem->dev && blank) {
				*error = "A new volume needs every member: none may be \"-\"";
				return -EINVAL;
			}
			r = !mem->dev ? 0 : blank ? check_blank_member(c, mem->dev, error) :
				check_member(c, mem->dev, t, i, g, error);
			if (r)
				return r;
		}
		r = check_lost(&c->tiers[t], error);
		if (r)
			return r;
	}
	return 0;
}

static int format_volume(struct couche *c, char **error)
{
	struct couche_geometry *g = &c->geo;
	unsigned int t, i;
	u32 b, n, k;
	int r;

	if (c->params.read_only) {
		*error = "Blank metadata device and read_only table: nothing to load";
		return -EROFS;
	}
	r = check_members(c, NULL, true, error);
	if (r)
		return r;

	memset(g, 0, sizeof(*g));
	generate_random_uuid(g->uuid);
	fill_geometry(c, g);
	g->map_copy_blocks = (c->meta_blocks - COUCHE_SB_BLOCKS) / 2;

	for (t = 0; t < c->nr_tiers; t++) {
		for (i = 0; i < c->tiers[t].nr_members; i++) {
			if (WARN_ON_ONCE(!c->tiers[t].members[i].dev))
				return -EINVAL;
			g->member_nonce[t][i] = get_random_u32() | 1;
			couche_member_encode(c->stage, g->uuid, t, i, c->tiers[t].kind,
					     c->tiers[t].nr_members, c->extent_sectors,
					     g->member_nonce[t][i]);
			r = meta_io(c, c->tiers[t].members[i].dev->bdev,
				    REQ_OP_WRITE | REQ_SYNC | REQ_FUA, 0, 1, c->stage);
			if (r) {
				*error = "Cannot write a member's identity header";
				return r;
			}
		}
	}
	/* Map copy 0 as empty blocks; copy 1 is written by the first commit. */
	for (b = 0; b < c->map_blocks; b += n) {
		n = min_t(u32, c->map_blocks - b, STAGE_BLOCKS);
		for (k = 0; k < n; k++)
			couche_map_block_encode((u8 *)c->stage + k * COUCHE_BLOCK_SIZE,
						b + k, 0, NULL, 0);
		r = meta_write(c, couche_map_copy_start(g->map_copy_blocks, 0) + b,
			       n, c->stage, 0);
		if (r)
			goto fail;
	}
	couche_sb_encode(c->stage, g);
	r = meta_write(c, 0, 1, c->stage, REQ_PREFLUSH | REQ_FUA);
	if (r)
		goto fail;
	DMINFO("formatted volume %pUb: %u extents of %llu sectors, %u tiers",
	       g->uuid, c->nr_extents, (u64)c->extent_sectors, c->nr_tiers);
	return 0;
fail:
	*error = "Cannot write the metadata device";
	return r;
}

static void reset_slots(struct couche *c)
{
	unsigned int t;

	for (t = 0; t < c->nr_tiers; t++) {
		struct couche_slots *s = &c->tiers[t].slots;

		bitmap_zero(s->bitmap, s->nr);
		s->used = 0;
		s->hint = 0;
	}
}

/* Reads the map copy @g names into c->map and claims every slot it uses. */
static int load_map(struct couche *c, const struct couche_geometry *g,
		    char **error)
{
	u64 start = couche_map_copy_start(g->map_copy_blocks, g->generation & 1);
	u32 old_blocks = couche_map_blocks(g->nr_extents);
	const char *why;
	u32 b, n, k, i;
	int r;

	reset_slots(c);
	memset(c->map, 0, sizeof(u32) * c->nr_extents);
	for (b = 0; b < old_blocks; b += n) {
		n = min_t(u32, old_blocks - b, STAGE_BLOCKS);
		r = meta_read(c, start + b, n, c->stage);
		if (r) {
			*error = "Cannot read the metadata map";
			return r;
		}
		for (k = 0; k < n; k++) {
			u64 first = (u64)(b + k) * COUCHE_ENTRIES_PER_BLOCK;
			unsigned int nr = min_t(u64, COUCHE_ENTRIES_PER_BLOCK,
						g->nr_extents - first);

			r = couche_map_block_decode((u8 *)c->stage + k * COUCHE_BLOCK_SIZE,
						    b + k, g->generation, c->map + first, nr, &why);
			if (r) {
				DMERR("map block %u of copy %llu: %s", b + k,
				      g->generation & 1, why);
				*error = r != -ESTALE ? "Metadata map is corrupt" :
					"Map rewritten by a lost commit: run couchestorctl check";
				return r;
			}
		}
	}
	for (i = 0; i < c->nr_extents; i++) {
		u32 e = c->map[i];
		unsigned int t = ce_tier(e);

		if (!e)
			continue;
		if (t >= c->nr_tiers) {
			DMERR("extent %u names tier %u", i, t);
			*error = "Metadata map is corrupt";
			return -EILSEQ;
		}
		if (!(e & CE_MAPPED)) {
			/* Only a linear tier takes a first write: raid6 is corrupt. */
			if ((e & CE_PINNED) && c->tiers[t].kind != COUCHE_TIER_LINEAR) {
				DMERR("extent %u is pinned, never written, to raid6 tier %u", i, t);
				*error = "Metadata map is corrupt";
				return -EILSEQ;
			}
			continue;
		}
		r = couche_slot_claim(&c->tiers[t].slots, ce_slot(e));
		if (r) {
			DMERR("extent %u: slot %u of tier %u is %s", i, ce_slot(e), t,
			      r == -EEXIST ? "used twice" : "out of range");
			*error = "Metadata map is corrupt";
			return -EILSEQ;
		}
	}
	return 0;
}

/*
 * While a reload builds this table, the old one is live and may commit,
 * rewriting the copy being read.  Load until the superblock generation
 * is the same before and after.
 */
static int load_map_stable(struct couche *c, struct couche_geometry *g,
			   char **error)
{
	struct couche_geometry *now = kmalloc(sizeof(*now), GFP_KERNEL);
	int tries, r = -ENOMEM;
	bool blank;

	*error = "Cannot allocate memory for the metadata";
	for (tries = 0; now && tries < 8; tries++) {
		r = load_map(c, g, error);
		if (read_superblock(c, now, &blank, error) || blank) {
			r = r ? r : -EIO;
			goto out;
		}
		if (now->generation == g->generation)
			goto out;
		r = check_geometry(c, now, error);
		if (r)
			goto out;
		*g = *now;
	}
	if (now) {
		*error = "Metadata keeps changing while loading: is another table using it?";
		r = -EBUSY;
	}
out:
	kfree(now);
	return r;
}

/*
 * The members were checked against c->geo; @g, newer, may record some as
 * out of sync since (the old table of a reload committed meanwhile): they
 * missed writes, so they are rebuilt too.  More than two lost members of
 * a tier: it cannot be read.
 */
static int mark_stale_members(struct couche *c, const struct couche_geometry *g,
			      char **error)
{
	unsigned int t, i;
	int r;

	for (t = 0; t < c->nr_tiers; t++) {
		struct couche_tier *tier = &c->tiers[t];

		if (tier->kind != COUCHE_TIER_RAID6)
			continue;
		for (i = 0; i < tier->nr_members; i++) {
			struct couche_member *m = &tier->members[i];

			if (!g->member_nonce[t][i] && c->geo.member_nonce[t][i] &&
			    !m->dead && !m->rebuilding) {
				DMINFO("member %u of tier %s missed writes: rebuilding it",
				       i, tier->name);
				WRITE_ONCE(m->rebuilding, true);
			}
		}
		r = check_lost(tier, error);
		if (r)
			return r;
	}
	return 0;
}

/*
 * A missing member's size is unknown: the tier keeps the slots it had, so
 * that the device put back (or one of its size) still fits.
 */
static void keep_missing_tiers(struct couche *c, const struct couche_geometry *g)
{
	unsigned int t, i;

	for (t = 0; t < c->nr_tiers; t++) {
		struct couche_tier *tier = &c->tiers[t];

		for (i = 0; i < tier->nr_members; i++)
			if (!tier->members[i].dev && tier->slots.nr > g->tiers[t].nr_slots)
				tier->slots.nr = g->tiers[t].nr_slots;
	}
}

int couche_meta_open(struct couche *c, char **error)
{
	struct couche_geometry *g;
	bool blank;
	u32 need;
	int r;

	c->io_client = dm_io_client_create();
	if (IS_ERR(c->io_client)) {
		r = PTR_ERR(c->io_client);
		c->io_client = NULL;
		*error = "Cannot create dm-io client";
		return r;
	}
	c->stage = vmalloc(STAGE_BLOCKS * COUCHE_BLOCK_SIZE);
	c->map_blocks = couche_map_blocks(c->nr_extents);
	c->dirty = bitmap_zalloc(c->map_blocks, GFP_KERNEL);
	c->stale = bitmap_zalloc(c->map_blocks, GFP_KERNEL);
	c->work = bitmap_zalloc(c->map_blocks, GFP_KERNEL);
	if (!c->stage || !c->dirty || !c->stale || !c->work) {
		*error = "Cannot allocate metadata buffers";
		return -ENOMEM;
	}
	c->meta_blocks = bdev_nr_sectors(c->meta_dev->bdev) / COUCHE_BLOCK_SECTORS;
	need = COUCHE_SB_BLOCKS + 2 * c->map_blocks;
	if (c->meta_blocks < need) {
		DMERR("metadata device needs at least %u KiB for %u extents",
		      need * (COUCHE_BLOCK_SIZE / 1024), c->nr_extents);
		*error = "Metadata device is too small";
		return -ENOSPC;
	}

	g = kmalloc(sizeof(*g), GFP_KERNEL);
	if (!g) {
		*error = "Cannot allocate memory for the metadata";
		return -ENOMEM;
	}
	r = read_superblock(c, g, &blank, error);
	if (r)
		goto out;
	if (blank) {
		r = check_blank(c, error);
		if (!r)
			r = format_volume(c, error);
		if (r)
			goto out;
		*g = c->geo;
	} else {
		r = check_geometry(c, g, error);
		if (!r)
			r = check_members(c, g, false, error);
		if (r)
			goto out;
		keep_missing_tiers(c, g);
	}
	/* The members were checked against this one; the map may be newer. */
	c->geo = *g;
	r = load_map_stable(c, g, error);
	if (!r)
		r = mark_stale_members(c, g, error);
	if (r)
		goto out;

	/* The inactive copy's contents are unknown: the first commit rewrites it. */
	bitmap_fill(c->stale, c->map_blocks);
	c->geo = *g;
	fill_geometry(c, &c->geo);
	if (memcmp(g, &c->geo, sizeof(*g))) {
		/* Grown volume or devices: commit the new geometry. */
		bitmap_fill(c->dirty, c->map_blocks);
		c->dirty_seq++;
	}
	c->loaded = true;
	c->last_commit = jiffies;
out:
	kfree(g);
	return r;
}

/*
 * A table reload builds the new instance while the old one still runs; the
 * old one commits its last changes when it is suspended.  Before the new
 * instance takes I/O, reread the map if the generation moved on.
 */
int couche_meta_reload_if_changed(struct couche *c)
{
	struct couche_geometry *g = kmalloc(sizeof(*g), GFP_KERNEL);
	char *error = NULL;
	bool blank;
	int r;

	if (!g)
		return -ENOMEM;
	mutex_lock(&c->commit_lock);
	r = read_superblock(c, g, &blank, &error);
	if (!r && blank)
		r = -EILSEQ;
	if (r || g->generation == c->geo.generation)
		goto out;
	r = check_geometry(c, g, &error);
	if (!r)
		r = load_map(c, g, &error);
	if (r)
		goto out;
	DMINFO("reloaded map at generation %llu", g->generation);
	r = mark_stale_members(c, g, &error);
	if (r)
		goto out;
	fill_geometry(c, g);
	c->geo = *g;
	bitmap_fill(c->stale, c->map_blocks);
	bitmap_fill(c->dirty, c->map_blocks);
	c->dirty_seq++;
out:
	if (r)
		DMERR("cannot reload metadata: %s", error ? error : "I/O error");
	mutex_unlock(&c->commit_lock);
	kfree(g);
	return r;
}

void couche_meta_close(struct couche *c)
{
	bitmap_free(c->work);
	bitmap_free(c->stale);
	bitmap_free(c->dirty);
	vfree(c->stage);
	if (c->io_client)
		dm_io_client_destroy(c->io_client);
}

/* Caller holds c->lock and has just changed c->map[extent]. */
void couche_mark_dirty(struct couche *c, u32 extent)
{
	__set_bit(extent / COUCHE_ENTRIES_PER_BLOCK, c->dirty);
	c->dirty_seq++;
}

/*
 * Dead members are skipped: nothing is allocated on them once they are
 * dead, so no new mapping relies on their cache.  A member whose flush
 * fails is dead from then on.  A raid6 tier's stripes do without it; a
 * linear device's data may not be on it, so that commit is put off: the
 * volume stays writable and the next commit goes on without the device
 * (what it holds fails with I/O errors, as after any failure).
 */
static int flush_data_devices(struct couche *c)
{
	unsigned int t, i;
	bool failed;
	int r = 0;

	for (t = 0; t < c->nr_tiers; t++) {
		failed = false;
		for (i = 0; i < c->tiers[t].nr_members; i++) {
			struct couche_member *m = &c->tiers[t].members[i];

			if (!READ_ONCE(m->dead) && blkdev_issue_flush(m->dev->bdev)) {
				couche_member_failed(c, m, "flush failure");
				/* Its cache may have lost chunks this commit names. */
				WRITE_ONCE(m->missed, true);
				failed = true;
			}
		}
		/* A raid6 tier this leaves unreadable takes nothing new either. */
		if (failed && !couche_tier_readable(&c->tiers[t]))
			r = -EAGAIN;
	}
	return r;
}

/*
 * Commit lock held: a raid6 member that was dead when stripes were
 * written lacks their chunks, and this commit may name them.  Its nonce
 * goes from the superblock with it, so the device, if it comes back,
 * reads as stale and is rebuilt; 0 is never a device's nonce.  A member
 * that died and missed nothing (a read error) stays trusted.
 */
static void forget_dead_members(struct couche *c)
{
	unsigned int t, i;

	for (t = 0; t < c->nr_tiers; t++) {
		if (!couche_is_raid6(c, t))
			continue;
		for (i = 0; i < c->tiers[t].nr_members; i++) {
			if (!READ_ONCE(c->tiers[t].members[i].missed) || !c->geo.member_nonce[t][i])
				continue;
			DMWARN("member %u of tier %s missed writes: recorded out of sync",
			       i, c->tiers[t].name);
			c->geo.member_nonce[t][i] = 0;
		}
	}
}

static void encode_block(struct couche *c, u32 b, void *dst)
{
	u64 first = (u64)b * COUCHE_ENTRIES_PER_BLOCK;
	unsigned int nr = min_t(u64, COUCHE_ENTRIES_PER_BLOCK,
				c->nr_extents - first);

	spin_lock_irq(&c->lock);
	/* c->geo.generation + 1: the commit under way (commit_lock held). */
	couche_map_block_encode(dst, b, c->geo.generation + 1, c->map + first, nr);
	spin_unlock_irq(&c->lock);
}

/* Writes blocks in @set to map copy @copy, in runs of up to STAGE_BLOCKS. */
static int write_map_blocks(struct couche *c, unsigned long *set, unsigned int copy)
{
	u64 start = couche_map_copy_start(c->geo.map_copy_blocks, copy);
	unsigned int b = 0, n;
	int r;

	for (;;) {
		b = find_next_bit(set, c->map_blocks, b);
		if (b >= c->map_blocks)
			return 0;
		for (n = 0; n < STAGE_BLOCKS && b + n < c->map_blocks &&
		     test_bit(b + n, set); n++)
			encode_block(c, b + n, (u8 *)c->stage + n * COUCHE_BLOCK_SIZE);
		r = meta_write(c, start + b, n, c->stage, 0);
		if (r)
			return r;
		b += n;
	}
}

/*
 * A commit that must not be put off (suspend, destruction: the next table
 * reads the map): a device that failed its flush is dead now, and the
 * second try goes on without it.
 */
int couche_commit_final(struct couche *c)
{
	int r = couche_commit(c);

	return r == -EAGAIN ? couche_commit(c) : r;
}

/*
 * Makes the in-memory map durable: data devices first (so nothing the map
 * points at is still in a volatile cache), then the map blocks into the
 * inactive copy, then the superblock that switches copies.
 */
int couche_commit(struct couche *c)
{
	unsigned int copy;
	u64 seq;
	int r = 0;

	mutex_lock(&c->commit_lock);
	if (c->meta_failed) {
		r = -EIO;
		goto out;
	}
	if (!couche_uncommitted(c) || c->params.read_only)
		goto out;

	spin_lock_irq(&c->lock);
	bitmap_copy(c->work, c->dirty, c->map_blocks);
	bitmap_zero(c->dirty, c->map_blocks);
	seq = c->dirty_seq;
	spin_unlock_irq(&c->lock);

	r = flush_data_devices(c);
	if (r) {
		/* Nothing written: these blocks go with the next commit. */
		spin_lock_irq(&c->lock);
		bitmap_or(c->dirty, c->dirty, c->work, c->map_blocks);
		spin_unlock_irq(&c->lock);
		DMERR_LIMIT("commit put off: a tier device failed its flush (it is marked dead)");
		goto out;
	}

	/* c->geo changes only under commit_lock. */
	copy = (c->geo.generation + 1) & 1;
	bitmap_or(c->stale, c->stale, c->work, c->map_blocks);
	r = write_map_blocks(c, c->stale, copy);
	if (r)
		goto fail;
	forget_dead_members(c);
	c->geo.generation++;
	couche_sb_encode(c->stage, &c->geo);
	r = meta_write(c, copy, 1, c->stage, REQ_PREFLUSH | REQ_FUA);
	if (r) {
		c->geo.generation--;
		goto fail;
	}
	WRITE_ONCE(c->durable_seq, seq);
	/* The copy now inactive lacks exactly what this commit changed. */
	bitmap_copy(c->stale, c->work, c->map_blocks);
	c->last_commit = jiffies;
	goto out;
fail:
	DMERR("metadata commit failed (%d): volume is now read-only; check the metadata device",
	      r);
	c->meta_failed = true;
	couche_event(c, COUCHE_EVENT_METADATA_ERROR, -1, -1, 0, 0, 0, r);
	dm_table_event(c->ti->table);
out:
	mutex_unlock(&c->commit_lock);
	return r;
}
