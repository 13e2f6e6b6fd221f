/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-couche on-disk format.
 *
 * Metadata device, in 4 KiB blocks:
 *
 *   block 0, 1          superblock slots; a commit of generation G writes
 *                       slot G % 2, so a torn write leaves the other intact
 *   block 2 .. 2+M-1    map copy 0
 *   block 2+M .. 2+2M-1 map copy 1
 *
 * The superblock of generation G describes map copy G % 2.  A commit writes
 * the changed map blocks into the copy the live superblock does not point
 * at, flushes, then writes the new superblock with FUA: the map a
 * superblock names is always complete on disk before that superblock is.
 * Each map block carries the generation that wrote it: a copy holding a
 * block newer than its superblock was partly rewritten by a later commit
 * (whose superblock is lost), and is refused rather than loaded mixed.
 *
 * Each member device starts with COUCHE_DATA_OFFSET sectors holding its
 * identity header (volume UUID, tier, slot); extents follow.
 *
 * All integers are little endian; every block carries a crc32c.
 */
#ifndef DM_COUCHE_FORMAT_H
#define DM_COUCHE_FORMAT_H

#include <linux/bits.h>
#include <linux/types.h>
#include <uapi/linux/dm-couche.h>

#define COUCHE_BLOCK_SIZE	4096
#define COUCHE_BLOCK_SECTORS	(COUCHE_BLOCK_SIZE >> 9)
#define COUCHE_DATA_OFFSET	2048	/* sectors (1 MiB) before a member's first extent */

#define COUCHE_SB_MAGIC		0x48435543	/* "CUCH" */
#define COUCHE_MAP_MAGIC	0x504d5543	/* "CUMP" */
#define COUCHE_MEMBER_MAGIC	0x424d5543	/* "CUMB" */
#define COUCHE_FORMAT_VERSION	1
/*
 * Superblock flags: incompatible features, all of which a module must know
 * to load the volume (none yet; a newer module that adds one refuses to
 * be read by this one rather than being misread).
 */
#define COUCHE_SB_INCOMPAT_KNOWN	0u
/* A map block 1..COUCHE_GEN_WINDOW generations after its superblock: a lost commit's. */
#define COUCHE_GEN_WINDOW	65536u

#define COUCHE_SB_BLOCKS	2
#define COUCHE_MAX_MEMBERS	18	/* raid6: 16 data + 2 parity */
#define COUCHE_MAP_HDR_SIZE	16
#define COUCHE_ENTRIES_PER_BLOCK ((COUCHE_BLOCK_SIZE - COUCHE_MAP_HDR_SIZE) / 4)

/*
 * A map entry, 32 bits, the same in memory and on disk (BUSY is never
 * written).  An unmapped extent may still be PINNED: its TIER field then
 * names the tier it will be written to.
 */
#define CE_SLOT_BITS		26
#define CE_SLOT_MASK		((1u << CE_SLOT_BITS) - 1)
#define CE_TIER_SHIFT		CE_SLOT_BITS
#define CE_TIER_MASK		(7u << CE_TIER_SHIFT)
#define CE_BUSY			BIT(29)
#define CE_PINNED		BIT(30)
#define CE_MAPPED		BIT(31)
#define COUCHE_MAX_SLOTS	BIT(CE_SLOT_BITS)

static inline unsigned int ce_tier(u32 e)
{
	return (e & CE_TIER_MASK) >> CE_TIER_SHIFT;
}

static inline u32 ce_slot(u32 e)
{
	return e & CE_SLOT_MASK;
}

static inline u32 ce_make(unsigned int tier, u32 slot)
{
	return CE_MAPPED | (tier << CE_TIER_SHIFT) | (slot & CE_SLOT_MASK);
}

struct couche_disk_tier {
	char name[COUCHE_TIER_NAME_LEN];
	__le32 kind;
	__le32 nr_members;
	__le32 k;		/* raid6: data members */
	__le32 chunk_sectors;	/* raid6: chunk size */
	__le64 nr_slots;
	__le64 reserved[2];
} __packed;

struct couche_disk_sb {
	__le32 csum;		/* crc32c of the rest of the block */
	__le32 magic;
	__le32 version;
	__le32 flags;
	__le64 generation;
	__u8 uuid[16];
	__le64 extent_sectors;
	__le64 nr_extents;
	__le64 meta_blocks;	/* size of the metadata device at format */
	__le32 map_copy_blocks;	/* M: blocks in each map copy */
	__le32 nr_tiers;
	struct couche_disk_tier tiers[COUCHE_MAX_TIERS];
	/*
	 * Each member's header carries its nonce; a raid6 member rebuilt onto
	 * a new device gets a new one, so the old device reads as stale.
	 */
	__le32 member_nonce[COUCHE_MAX_TIERS][COUCHE_MAX_MEMBERS];
} __packed;

struct couche_disk_map_block {
	__le32 csum;
	__le32 magic;
	__le32 index;		/* block number within its copy */
	__le32 generation;	/* low 32 bits of the commit that wrote it (0: older) */
	__le32 entries[COUCHE_ENTRIES_PER_BLOCK];
} __packed;

struct couche_disk_member {
	__le32 csum;
	__le32 magic;
	__le32 version;
	__le32 tier;
	__le32 slot;
	__le32 kind;
	__le32 nr_members;
	__le32 nonce;
	__u8 uuid[16];
	__le64 extent_sectors;
} __packed;

/* What a superblock says, decoded and checked for internal consistency. */
struct couche_geometry {
	u64 generation;
	u8 uuid[16];
	u64 extent_sectors;
	u64 nr_extents;
	u64 meta_blocks;
	u32 map_copy_blocks;
	u32 nr_tiers;
	struct {
		char name[COUCHE_TIER_NAME_LEN];
		u32 kind;
		u32 nr_members;
		u32 k;
		u32 chunk_sectors;
		u64 nr_slots;
	} tiers[COUCHE_MAX_TIERS];
	u32 member_nonce[COUCHE_MAX_TIERS][COUCHE_MAX_MEMBERS];
};

static inline u32 couche_map_blocks(u64 nr_extents)
{
	return (u32)((nr_extents + COUCHE_ENTRIES_PER_BLOCK - 1) /
		     COUCHE_ENTRIES_PER_BLOCK);
}

static inline u64 couche_map_copy_start(u32 map_copy_blocks, unsigned int copy)
{
	return COUCHE_SB_BLOCKS + (u64)copy * map_copy_blocks;
}

bool couche_block_is_zero(const void *block);
void couche_sb_encode(void *block, const struct couche_geometry *g);
int couche_sb_decode(const void *block, struct couche_geometry *g,
		     const char **why);
void couche_map_block_encode(void *block, u32 index, u64 generation,
			     const u32 *entries, unsigned int nr);
int couche_map_block_decode(const void *block, u32 index, u64 generation,
			    u32 *entries, unsigned int nr, const char **why);
void couche_member_encode(void *block, const u8 *uuid, u32 tier, u32 slot,
			  u32 kind, u32 nr_members, u64 extent_sectors, u32 nonce);
int couche_member_decode(const void *block, struct couche_disk_member *m);

#endif /* DM_COUCHE_FORMAT_H */
