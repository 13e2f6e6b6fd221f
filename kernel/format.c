// SPDX-License-Identifier: GPL-2.0
/*
 * dm-couche on-disk encoding: pure functions, no I/O, tested by KUnit.
 */
#include <linux/crc32c.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/string.h>

#include "format.h"

static u32 block_csum(const void *block)
{
	return ~crc32c(~0u, (const u8 *)block + 4, COUCHE_BLOCK_SIZE - 4);
}

bool couche_block_is_zero(const void *block)
{
	return !memchr_inv(block, 0, COUCHE_BLOCK_SIZE);
}

void couche_sb_encode(void *block, const struct couche_geometry *g)
{
	struct couche_disk_sb *sb = block;
	unsigned int t, m;

	memset(block, 0, COUCHE_BLOCK_SIZE);
	sb->magic = cpu_to_le32(COUCHE_SB_MAGIC);
	sb->version = cpu_to_le32(COUCHE_FORMAT_VERSION);
	sb->generation = cpu_to_le64(g->generation);
	memcpy(sb->uuid, g->uuid, sizeof(sb->uuid));
	sb->extent_sectors = cpu_to_le64(g->extent_sectors);
	sb->nr_extents = cpu_to_le64(g->nr_extents);
	sb->meta_blocks = cpu_to_le64(g->meta_blocks);
	sb->map_copy_blocks = cpu_to_le32(g->map_copy_blocks);
	sb->nr_tiers = cpu_to_le32(g->nr_tiers);
	for (t = 0; t < g->nr_tiers; t++) {
		struct couche_disk_tier *dt = &sb->tiers[t];

		strscpy(dt->name, g->tiers[t].name, sizeof(dt->name));
		dt->kind = cpu_to_le32(g->tiers[t].kind);
		dt->nr_members = cpu_to_le32(g->tiers[t].nr_members);
		dt->k = cpu_to_le32(g->tiers[t].k);
		dt->chunk_sectors = cpu_to_le32(g->tiers[t].chunk_sectors);
		dt->nr_slots = cpu_to_le64(g->tiers[t].nr_slots);
		for (m = 0; m < COUCHE_MAX_MEMBERS; m++)
			sb->member_nonce[t][m] = cpu_to_le32(g->member_nonce[t][m]);
	}
	sb->csum = cpu_to_le32(block_csum(block));
}

int couche_sb_decode(const void *block, struct couche_geometry *g,
		     const char **why)
{
	const struct couche_disk_sb *sb = block;
	unsigned int t, m;

	if (le32_to_cpu(sb->magic) != COUCHE_SB_MAGIC) {
		*why = "bad superblock magic";
		return -EILSEQ;
	}
	if (le32_to_cpu(sb->csum) != block_csum(block)) {
		*why = "superblock checksum mismatch";
		return -EILSEQ;
	}
	if (le32_to_cpu(sb->version) != COUCHE_FORMAT_VERSION) {
		*why = "unsupported metadata format version";
		return -EOPNOTSUPP;
	}
	if (le32_to_cpu(sb->flags) & ~COUCHE_SB_INCOMPAT_KNOWN) {
		*why = "unknown features (a newer dm-couche wrote it)";
		return -EOPNOTSUPP;
	}
	memset(g, 0, sizeof(*g));
	g->generation = le64_to_cpu(sb->generation);
	memcpy(g->uuid, sb->uuid, sizeof(g->uuid));
	g->extent_sectors = le64_to_cpu(sb->extent_sectors);
	g->nr_extents = le64_to_cpu(sb->nr_extents);
	g->meta_blocks = le64_to_cpu(sb->meta_blocks);
	g->map_copy_blocks = le32_to_cpu(sb->map_copy_blocks);
	g->nr_tiers = le32_to_cpu(sb->nr_tiers);

	*why = "superblock geometry is inconsistent";
	if (!is_power_of_2(g->extent_sectors) ||
	    g->extent_sectors < COUCHE_MIN_EXTENT_SECTORS ||
	    g->extent_sectors > COUCHE_MAX_EXTENT_SECTORS)
		return -EILSEQ;
	if (!g->nr_tiers || g->nr_tiers > COUCHE_MAX_TIERS)
		return -EILSEQ;
	if (!g->nr_extents || g->map_copy_blocks < couche_map_blocks(g->nr_extents))
		return -EILSEQ;
	if (COUCHE_SB_BLOCKS + 2ull * g->map_copy_blocks > g->meta_blocks)
		return -EILSEQ;
	for (t = 0; t < g->nr_tiers; t++) {
		const struct couche_disk_tier *dt = &sb->tiers[t];

		if (!memchr(dt->name, 0, sizeof(dt->name)) || !dt->name[0])
			return -EILSEQ;
		memcpy(g->tiers[t].name, dt->name, sizeof(dt->name));
		g->tiers[t].kind = le32_to_cpu(dt->kind);
		g->tiers[t].nr_members = le32_to_cpu(dt->nr_members);
		g->tiers[t].k = le32_to_cpu(dt->k);
		g->tiers[t].chunk_sectors = le32_to_cpu(dt->chunk_sectors);
		g->tiers[t].nr_slots = le64_to_cpu(dt->nr_slots);
		if (g->tiers[t].kind == COUCHE_TIER_UNSPEC ||
		    g->tiers[t].kind >= __COUCHE_TIER_LAST)
			return -EILSEQ;
		if (!g->tiers[t].nr_members || g->tiers[t].nr_members > COUCHE_MAX_MEMBERS)
			return -EILSEQ;
		if (g->tiers[t].nr_slots > COUCHE_MAX_SLOTS)
			return -EILSEQ;
		for (m = 0; m < COUCHE_MAX_MEMBERS; m++)
			g->member_nonce[t][m] = le32_to_cpu(sb->member_nonce[t][m]);
	}
	*why = NULL;
	return 0;
}

void couche_map_block_encode(void *block, u32 index, u64 generation,
			     const u32 *entries, unsigned int nr)
{
	struct couche_disk_map_block *mb = block;
	unsigned int i;

	memset(block, 0, COUCHE_BLOCK_SIZE);
	mb->magic = cpu_to_le32(COUCHE_MAP_MAGIC);
	mb->index = cpu_to_le32(index);
	mb->generation = cpu_to_le32((u32)generation);
	for (i = 0; i < nr && i < COUCHE_ENTRIES_PER_BLOCK; i++)
		mb->entries[i] = cpu_to_le32(entries[i] & ~CE_BUSY);
	mb->csum = cpu_to_le32(block_csum(block));
}

int couche_map_block_decode(const void *block, u32 index, u64 generation,
			    u32 *entries, unsigned int nr, const char **why)
{
	const struct couche_disk_map_block *mb = block;
	unsigned int i;

	if (le32_to_cpu(mb->magic) != COUCHE_MAP_MAGIC) {
		*why = "bad map block magic";
		return -EILSEQ;
	}
	if (le32_to_cpu(mb->csum) != block_csum(block)) {
		*why = "map block checksum mismatch";
		return -EILSEQ;
	}
	if (le32_to_cpu(mb->index) != index) {
		*why = "map block is at the wrong place";
		return -EILSEQ;
	}
	/*
	 * A later commit's block is at most a few generations ahead (G + 2
	 * rewrites the copy of G); a block not rewritten for long is far
	 * behind, and 0 is a block written before stamps existed.
	 */
	if (le32_to_cpu(mb->generation) &&
	    le32_to_cpu(mb->generation) - (u32)generation - 1 < COUCHE_GEN_WINDOW) {
		*why = "map block is newer than its superblock: a later commit rewrote this copy";
		return -ESTALE;
	}
	for (i = 0; i < COUCHE_ENTRIES_PER_BLOCK; i++) {
		u32 e = le32_to_cpu(mb->entries[i]);

		/* Entries past the volume's end must be empty. */
		if ((e & CE_BUSY) || (i >= nr && e)) {
			*why = "map block holds an invalid entry";
			return -EILSEQ;
		}
		if (i < nr)
			entries[i] = e;
	}
	*why = NULL;
	return 0;
}

void couche_member_encode(void *block, const u8 *uuid, u32 tier, u32 slot,
			  u32 kind, u32 nr_members, u64 extent_sectors, u32 nonce)
{
	struct couche_disk_member *m = block;

	memset(block, 0, COUCHE_BLOCK_SIZE);
	m->magic = cpu_to_le32(COUCHE_MEMBER_MAGIC);
	m->version = cpu_to_le32(COUCHE_FORMAT_VERSION);
	m->tier = cpu_to_le32(tier);
	m->slot = cpu_to_le32(slot);
	m->kind = cpu_to_le32(kind);
	m->nr_members = cpu_to_le32(nr_members);
	m->nonce = cpu_to_le32(nonce);
	memcpy(m->uuid, uuid, sizeof(m->uuid));
	m->extent_sectors = cpu_to_le64(extent_sectors);
	m->csum = cpu_to_le32(block_csum(block));
}

/* Returns 0 and fills @m if @block is a valid member header, -ENODATA if not. */
int couche_member_decode(const void *block, struct couche_disk_member *m)
{
	const struct couche_disk_member *d = block;

	if (le32_to_cpu(d->magic) != COUCHE_MEMBER_MAGIC ||
	    le32_to_cpu(d->csum) != block_csum(block) ||
	    le32_to_cpu(d->version) != COUCHE_FORMAT_VERSION)
		return -ENODATA;
	memcpy(m, d, sizeof(*m));
	return 0;
}
