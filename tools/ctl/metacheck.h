/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Offline, read-only checker of a dm-couche metadata device (what
 * "couchestorctl check" runs).  It never writes to the device.
 *
 * The on-disk layout below mirrors kernel/format.h, which is the source of
 * truth: that header needs kernel headers, so userspace cannot include it.
 * Change both together.  format.h has no BUILD_BUG_ON; the sizes asserted
 * here are what its __packed structs give (checked with pahole on
 * kernel/format.o).  The loading rules mirrored are those of
 * couche_sb_decode(), couche_map_block_decode() (kernel/format.c) and
 * read_superblock(), check_blank(), load_map() (kernel/metadata.c).
 */
#ifndef COUCHESTORCTL_METACHECK_H
#define COUCHESTORCTL_METACHECK_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/dm-couche.h>

/*
 * Metadata device, in 4 KiB blocks: superblock slots 0 and 1, then map
 * copy 0 (M blocks), then map copy 1.  The superblock of generation G sits
 * in slot G % 2 and describes map copy G % 2.
 */
#define MC_BLOCK_SIZE		4096
#define MC_SB_BLOCKS		2
#define MC_MAX_MEMBERS		18	/* raid6: 16 data + 2 parity */
#define MC_MAP_HDR_SIZE		16
#define MC_ENTRIES_PER_BLOCK	((MC_BLOCK_SIZE - MC_MAP_HDR_SIZE) / 4)
#define MC_BLANK_BLOCKS		256	/* check_blank(): the first MiB */

#define MC_SB_MAGIC		0x48435543	/* "CUCH" */
#define MC_MAP_MAGIC		0x504d5543	/* "CUMP" */
#define MC_FORMAT_VERSION	1
#define MC_SB_INCOMPAT_KNOWN	0u	/* COUCHE_SB_INCOMPAT_KNOWN */
#define MC_GEN_WINDOW		65536u	/* COUCHE_GEN_WINDOW */

/* A map entry (CE_* in format.h): 32 bits, little endian on disk. */
#define MC_CE_SLOT_BITS		26
#define MC_CE_SLOT_MASK		((1u << MC_CE_SLOT_BITS) - 1)
#define MC_CE_TIER_SHIFT	MC_CE_SLOT_BITS
#define MC_CE_TIER_MASK		(7u << MC_CE_TIER_SHIFT)
#define MC_CE_BUSY		(1u << 29)	/* in memory only, never on disk */
#define MC_CE_PINNED		(1u << 30)
#define MC_CE_MAPPED		(1u << 31)
#define MC_MAX_SLOTS		(1u << MC_CE_SLOT_BITS)

struct mc_disk_tier {
	char name[COUCHE_TIER_NAME_LEN];
	__le32 kind;
	__le32 nr_members;
	__le32 k;
	__le32 chunk_sectors;
	__le64 nr_slots;
	__le64 reserved[2];
} __attribute__((packed));

struct mc_disk_sb {
	__le32 csum;		/* crc32c of the rest of the block */
	__le32 magic;
	__le32 version;
	__le32 flags;
	__le64 generation;
	__u8 uuid[16];
	__le64 extent_sectors;
	__le64 nr_extents;
	__le64 meta_blocks;
	__le32 map_copy_blocks;
	__le32 nr_tiers;
	struct mc_disk_tier tiers[COUCHE_MAX_TIERS];
	__le32 member_nonce[COUCHE_MAX_TIERS][MC_MAX_MEMBERS];
} __attribute__((packed));

struct mc_disk_map_block {
	__le32 csum;
	__le32 magic;
	__le32 index;		/* block number within its copy */
	__le32 generation;	/* of the commit that wrote it */
	__le32 entries[MC_ENTRIES_PER_BLOCK];
} __attribute__((packed));

_Static_assert(sizeof(struct mc_disk_tier) == 56, "couche_disk_tier is 56 bytes");
_Static_assert(sizeof(struct mc_disk_sb) == 1096, "couche_disk_sb is 1096 bytes");
_Static_assert(offsetof(struct mc_disk_sb, tiers) == 72, "tiers at 72");
_Static_assert(offsetof(struct mc_disk_sb, member_nonce) == 520, "nonces at 520");
_Static_assert(sizeof(struct mc_disk_map_block) == MC_BLOCK_SIZE,
	       "a map block fills its block");

/* Codes as fsck's; a result ORs every condition found (4|1 = 5). */
enum {
	MC_EXIT_CLEAN = 0,	/* no errors; notes need no action */
	MC_EXIT_TOLERATED = 1,	/* errors the kernel works around */
	MC_EXIT_FATAL = 4,	/* errors the kernel refuses to load */
	MC_EXIT_OPERATIONAL = 8, /* could not check: I/O, too small, blank */
	MC_EXIT_USAGE = 16,	/* bad command line (cmd_check.c) */
};

enum mc_severity {
	MC_NOTE,		/* normal (e.g. after a crash): no action */
	MC_TOLERATED,		/* damage the kernel works around */
	MC_FATAL,		/* the kernel would refuse the volume */
	MC_IO,			/* could not read what must be checked */
};

enum mc_state {
	MC_STATE_UNCHECKED,	/* could not open, size or read the device */
	MC_STATE_BLANK,		/* all zeros: the kernel formats it on first load */
	MC_STATE_NO_SB,		/* neither slot holds a valid superblock */
	MC_STATE_CHECKED,	/* a live superblock was found; its map checked */
};

enum mc_slot_state {
	MC_SLOT_LIVE,		/* the superblock the kernel loads */
	MC_SLOT_PREVIOUS,	/* valid, the generation before the live one */
	MC_SLOT_STALE,		/* valid, but older than that: a write was lost */
	MC_SLOT_BLANK,		/* all zeros: never written */
	MC_SLOT_TORN,		/* checksum fails as a torn commit write does */
	MC_SLOT_BAD,		/* anything else the kernel would not load */
	MC_SLOT_ODD,		/* valid, but not what a commit leaves there */
};

struct mc_problem {
	uint64_t offset;	/* byte offset on the device */
	uint64_t block;		/* offset / MC_BLOCK_SIZE */
	enum mc_severity severity;
	char message[256];
};

struct mc_slot_info {
	enum mc_slot_state state;
	bool magic_ok;
	uint64_t generation;	/* as stored, even if the slot is invalid */
};

struct mc_tier_info {
	char name[COUCHE_TIER_NAME_LEN];
	uint32_t kind;		/* enum couche_tier_kind */
	uint32_t nr_members;
	uint32_t k;		/* raid6 */
	uint32_t chunk_sectors;	/* raid6 */
	uint64_t nr_slots;
	uint64_t mapped;	/* extents the live map puts in this tier */
	uint32_t nonce[MC_MAX_MEMBERS];
};

/* The problem list keeps this many; the rest are counted in nr_dropped. */
#define MC_MAX_PROBLEMS		1000

struct mc_result {
	uint64_t dev_bytes;
	bool in_use;		/* a block device someone holds open exclusively */
	enum mc_state state;
	int exit_code;		/* the MC_EXIT_* bits of every problem */
	char verdict[300];	/* one line: what it means, what to do */

	/* The live superblock (valid when state == MC_STATE_CHECKED). */
	struct mc_slot_info slot[MC_SB_BLOCKS];
	int live_slot;		/* -1 if none */
	uint32_t version;
	uint64_t generation;
	uint8_t uuid[16];
	uint64_t extent_sectors;
	uint64_t nr_extents;
	uint64_t meta_blocks;
	uint32_t map_copy_blocks;
	uint32_t map_blocks;	/* blocks of each copy the map uses */
	unsigned int live_copy;	/* generation % 2 */
	uint32_t nr_tiers;
	struct mc_tier_info tiers[COUCHE_MAX_TIERS];

	/* The live map. */
	uint64_t mapped;
	uint64_t pinned;
	uint64_t pinned_unmapped; /* pinned to a tier, not written yet */

	struct mc_problem *problems;
	unsigned int nr_problems;
	uint64_t nr_dropped;
};

/*
 * Checks the metadata on @fd (a block device or an image file), read with
 * pread() only.  Fills @res, which mc_result_free() releases; returns
 * res->exit_code.
 */
int mc_check_fd(int fd, struct mc_result *res);

/* Opens @path read-only (and notes whether it is in use), then checks it. */
int mc_check_path(const char *path, struct mc_result *res);

void mc_result_free(struct mc_result *res);

const char *mc_severity_name(enum mc_severity s);
const char *mc_slot_state_name(enum mc_slot_state s);
const char *mc_state_name(enum mc_state s);
const char *mc_tier_kind_name(uint32_t kind);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", as the kernel's %pUb. */
void mc_format_uuid(const uint8_t *uuid, char out[37]);

#endif /* COUCHESTORCTL_METACHECK_H */
