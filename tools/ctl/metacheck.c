// SPDX-License-Identifier: GPL-2.0
/*
 * Offline check of a dm-couche metadata device: what the kernel would do
 * when a table loads it (which superblock, which map copy, accept or
 * refuse), and what it would not notice.  Read-only: pread() and nothing
 * else touches the device.
 *
 * Severities follow what the kernel does, not how odd a block looks: a
 * superblock slot torn by a crash during a commit is what the two-slot
 * design is for (a note), damage in the slot the kernel ignores is
 * tolerated (fsck's 1), anything that makes the kernel refuse the volume
 * is fatal (4), and not being able to read is operational (8).
 */
#define _GNU_SOURCE		/* O_DIRECT */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "metacheck.h"

#define MC_CHUNK_BLOCKS	64	/* blocks per read, as the kernel's STAGE_BLOCKS */
#define MC_MAX_DUPS	256	/* doubly used slots whose first user is named */
#define MC_TRIES	3	/* checks of a volume that keeps committing */
#define MC_NONE		UINT64_MAX

/* A superblock as couche_sb_decode() sees it. */
enum mc_sb_status {
	MC_SB_OK,
	MC_SB_BAD_MAGIC,
	MC_SB_BAD_CSUM,
	MC_SB_BAD_VERSION,
	MC_SB_BAD_GEOMETRY,
};

struct mc_geo {
	uint32_t version;
	uint64_t generation;
	uint8_t uuid[16];
	uint64_t extent_sectors;
	uint64_t nr_extents;
	uint64_t meta_blocks;
	uint32_t map_copy_blocks;
	uint32_t nr_tiers;
	struct mc_tier_info tiers[COUCHE_MAX_TIERS];
};

/* An extent whose slot another extent claimed first. */
struct mc_dup {
	uint32_t tier;
	uint32_t slot;
	uint64_t extent;
	uint64_t owner;		/* the first claimer, or MC_NONE */
};

struct mc_ctx {
	int fd;
	bool is_blk;
	uint64_t dev_blocks;
	struct mc_result *res;
	uint8_t *sb;		/* both slots as read, to notice a commit */
	uint8_t *buf;		/* MC_CHUNK_BLOCKS blocks */
	uint32_t *map;		/* the live map, one entry per extent */
	uint64_t *used[COUCHE_MAX_TIERS];	/* claimed slots, a bitmap per tier */
	struct mc_dup dups[MC_MAX_DUPS];
	unsigned int nr_dups;
	int worst;		/* highest severity reported, -1 if none */
	int verdict_level;	/* severity the verdict was written for, -1 if none */
};

static const int severity_exit[] = {
	[MC_NOTE] = MC_EXIT_CLEAN,
	[MC_TOLERATED] = MC_EXIT_TOLERATED,
	[MC_FATAL] = MC_EXIT_FATAL,
	[MC_IO] = MC_EXIT_OPERATIONAL,
};

const char *mc_severity_name(enum mc_severity s)
{
	static const char *const names[] = {
		[MC_NOTE] = "note",
		[MC_TOLERATED] = "tolerated",
		[MC_FATAL] = "fatal",
		[MC_IO] = "unreadable",
	};

	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *mc_slot_state_name(enum mc_slot_state s)
{
	static const char *const names[] = {
		[MC_SLOT_LIVE] = "live",
		[MC_SLOT_PREVIOUS] = "previous",
		[MC_SLOT_STALE] = "stale",
		[MC_SLOT_BLANK] = "blank",
		[MC_SLOT_TORN] = "torn",
		[MC_SLOT_BAD] = "damaged",
		[MC_SLOT_ODD] = "inconsistent",
	};

	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *mc_state_name(enum mc_state s)
{
	static const char *const names[] = {
		[MC_STATE_UNCHECKED] = "unchecked",
		[MC_STATE_BLANK] = "blank",
		[MC_STATE_NO_SB] = "no-superblock",
		[MC_STATE_CHECKED] = "checked",
	};

	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *mc_tier_kind_name(uint32_t kind)
{
	switch (kind) {
	case COUCHE_TIER_LINEAR:
		return "linear";
	case COUCHE_TIER_RAID6:
		return "raid6";
	default:
		return "unknown";
	}
}

void mc_format_uuid(const uint8_t *u, char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
		 u[11], u[12], u[13], u[14], u[15]);
}

/* ---- reporting ---- */

static void __attribute__((format(printf, 4, 5)))
mc_report(struct mc_ctx *ctx, uint64_t offset, enum mc_severity sev,
	  const char *fmt, ...)
{
	struct mc_result *res = ctx->res;
	struct mc_problem *p;
	va_list ap;

	res->exit_code |= severity_exit[sev];
	if ((int)sev > ctx->worst)
		ctx->worst = sev;
	if (res->nr_problems >= MC_MAX_PROBLEMS) {
		res->nr_dropped++;
		return;
	}
	/* Grow at 0, 1, 2, 4...: the capacity is the next power of two. */
	if (!(res->nr_problems & (res->nr_problems - 1))) {
		size_t n = res->nr_problems ? 2 * res->nr_problems : 1;

		p = realloc(res->problems, n * sizeof(*p));
		if (!p) {
			res->nr_dropped++;
			return;
		}
		res->problems = p;
	}
	p = &res->problems[res->nr_problems++];
	p->offset = offset;
	p->block = offset / MC_BLOCK_SIZE;
	p->severity = sev;
	va_start(ap, fmt);
	vsnprintf(p->message, sizeof(p->message), fmt, ap);
	va_end(ap);
}

/* The verdict names the first cause found at the worst severity. */
static void __attribute__((format(printf, 3, 4)))
mc_verdict(struct mc_ctx *ctx, enum mc_severity level, const char *fmt, ...)
{
	va_list ap;

	if ((int)level <= ctx->verdict_level)
		return;
	ctx->verdict_level = level;
	va_start(ap, fmt);
	vsnprintf(ctx->res->verdict, sizeof(ctx->res->verdict), fmt, ap);
	va_end(ap);
}

/* Not being able to check at all: no problem at an offset, just why. */
static void __attribute__((format(printf, 2, 3)))
mc_operational(struct mc_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	ctx->res->exit_code |= MC_EXIT_OPERATIONAL;
	if (ctx->worst < MC_IO)
		ctx->worst = MC_IO;
	ctx->verdict_level = MC_IO;
	va_start(ap, fmt);
	vsnprintf(ctx->res->verdict, sizeof(ctx->res->verdict), fmt, ap);
	va_end(ap);
}

static void mc_finish_verdict(struct mc_ctx *ctx)
{
	static const char *const fallback[] = {
		[MC_NOTE] = "metadata is clean; the notes above need no action",
		[MC_TOLERATED] = "the kernel loads this volume and works around the errors above; back up the metadata and check the device for media errors",
		[MC_FATAL] = "the kernel will refuse to load this volume; restore the metadata from a backup",
		[MC_IO] = "could not read all of the metadata (see above); check the device and the kernel log, then run check again",
	};

	if (ctx->worst < 0) {
		snprintf(ctx->res->verdict, sizeof(ctx->res->verdict),
			 "metadata is clean");
		return;
	}
	if (ctx->verdict_level != ctx->worst)
		snprintf(ctx->res->verdict, sizeof(ctx->res->verdict), "%s",
			 fallback[ctx->worst]);
}

/* ---- reading ---- */

/* Reads @n blocks at @block: 0, or a negative errno (-ENXIO past the end). */
static int mc_read(struct mc_ctx *ctx, uint64_t block, unsigned int n, void *buf)
{
	size_t len = (size_t)n * MC_BLOCK_SIZE, done = 0;
	off_t off = (off_t)(block * MC_BLOCK_SIZE);
	ssize_t r;

	while (done < len) {
		r = pread(ctx->fd, (uint8_t *)buf + done, len - done, off + done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ENXIO;
		done += r;
	}
	return 0;
}

static int mc_size(struct mc_ctx *ctx)
{
	struct stat st;
	uint64_t bytes;

	if (fstat(ctx->fd, &st))
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(ctx->fd, BLKGETSIZE64, &bytes))
			return -errno;
		ctx->is_blk = true;
	} else if (S_ISREG(st.st_mode)) {
		bytes = st.st_size;
	} else {
		return -ENOTBLK;
	}
	ctx->res->dev_bytes = bytes;
	/* The kernel counts whole blocks too (bdev_nr_sectors / 8). */
	ctx->dev_blocks = bytes / MC_BLOCK_SIZE;
	return 0;
}

static bool block_is_zero(const uint8_t *b)
{
	return !b[0] && !memcmp(b, b + 1, MC_BLOCK_SIZE - 1);
}

/* format.c's block_csum(): the standard crc32c of all but the csum field. */
static uint32_t block_csum(const uint8_t *b)
{
	return ~crc32c_calc(~0u, b + 4, MC_BLOCK_SIZE - 4);
}

/* ---- superblocks ---- */

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/*
 * Map blocks @nr extents take.  couche_map_blocks() returns 32 bits; the
 * difference shows only past 2^32 extents, which no table line can hold.
 */
static uint64_t map_blocks_for(uint64_t nr)
{
	return (nr + MC_ENTRIES_PER_BLOCK - 1) / MC_ENTRIES_PER_BLOCK;
}

static int decode_tier(const struct mc_disk_sb *sb, unsigned int t,
		       struct mc_tier_info *ti, char *why, size_t len)
{
	const struct mc_disk_tier *dt = &sb->tiers[t];
	unsigned int m;

	if (!memchr(dt->name, 0, sizeof(dt->name)) || !dt->name[0]) {
		snprintf(why, len, "tier %u has no name", t);
		return -1;
	}
	memset(ti, 0, sizeof(*ti));
	memcpy(ti->name, dt->name, sizeof(ti->name));
	ti->kind = le32toh(dt->kind);
	ti->nr_members = le32toh(dt->nr_members);
	ti->k = le32toh(dt->k);
	ti->chunk_sectors = le32toh(dt->chunk_sectors);
	ti->nr_slots = le64toh(dt->nr_slots);
	for (m = 0; m < MC_MAX_MEMBERS; m++)
		ti->nonce[m] = le32toh(sb->member_nonce[t][m]);
	if (ti->kind == COUCHE_TIER_UNSPEC || ti->kind >= __COUCHE_TIER_LAST)
		snprintf(why, len, "tier %u has unknown kind %u", t, ti->kind);
	else if (!ti->nr_members || ti->nr_members > MC_MAX_MEMBERS)
		snprintf(why, len, "tier %u has %u members, not 1 to %u", t,
			 ti->nr_members, MC_MAX_MEMBERS);
	else if (ti->nr_slots > MC_MAX_SLOTS)
		snprintf(why, len, "tier %u has %llu slots, more than 2^%u", t,
			 (unsigned long long)ti->nr_slots, MC_CE_SLOT_BITS);
	else
		return 0;
	return -1;
}

/* couche_sb_decode()'s geometry checks, each with its own reason. */
static int decode_geometry(const struct mc_disk_sb *sb, struct mc_geo *g,
			   char *why, size_t len)
{
	unsigned int t;

	g->extent_sectors = le64toh(sb->extent_sectors);
	g->nr_extents = le64toh(sb->nr_extents);
	g->meta_blocks = le64toh(sb->meta_blocks);
	g->map_copy_blocks = le32toh(sb->map_copy_blocks);
	g->nr_tiers = le32toh(sb->nr_tiers);

	if (!is_pow2(g->extent_sectors) ||
	    g->extent_sectors < COUCHE_MIN_EXTENT_SECTORS ||
	    g->extent_sectors > COUCHE_MAX_EXTENT_SECTORS)
		snprintf(why, len, "extent size %llu sectors is not a power of two from %u to %u",
			 (unsigned long long)g->extent_sectors,
			 COUCHE_MIN_EXTENT_SECTORS, COUCHE_MAX_EXTENT_SECTORS);
	else if (!g->nr_tiers || g->nr_tiers > COUCHE_MAX_TIERS)
		snprintf(why, len, "%u tiers, not 1 to %u", g->nr_tiers,
			 COUCHE_MAX_TIERS);
	else if (!g->nr_extents)
		snprintf(why, len, "the volume has no extents");
	else if (g->map_copy_blocks < map_blocks_for(g->nr_extents))
		snprintf(why, len, "%llu extents need %llu map blocks, a map copy has %u",
			 (unsigned long long)g->nr_extents,
			 (unsigned long long)map_blocks_for(g->nr_extents),
			 g->map_copy_blocks);
	else if (MC_SB_BLOCKS + 2ull * g->map_copy_blocks > g->meta_blocks)
		snprintf(why, len, "two map copies of %u blocks do not fit in %llu blocks",
			 g->map_copy_blocks, (unsigned long long)g->meta_blocks);
	else
		goto tiers;
	return -1;
tiers:
	for (t = 0; t < g->nr_tiers; t++)
		if (decode_tier(sb, t, &g->tiers[t], why, len))
			return -1;
	return 0;
}

/* In the order couche_sb_decode() checks, so the reason is the kernel's. */
static enum mc_sb_status sb_decode(const uint8_t *block, struct mc_geo *g,
				   char *why, size_t len)
{
	const struct mc_disk_sb *sb = (const void *)block;
	uint32_t stored = le32toh(sb->csum), csum = block_csum(block);

	memset(g, 0, sizeof(*g));
	if (le32toh(sb->magic) != MC_SB_MAGIC) {
		if (block_is_zero(block))
			snprintf(why, len, "all zeros");
		else
			snprintf(why, len, "bad magic 0x%08x", le32toh(sb->magic));
		return MC_SB_BAD_MAGIC;
	}
	if (stored != csum) {
		snprintf(why, len, "checksum mismatch (stored 0x%08x, computed 0x%08x)",
			 stored, csum);
		return MC_SB_BAD_CSUM;
	}
	g->version = le32toh(sb->version);
	g->generation = le64toh(sb->generation);
	memcpy(g->uuid, sb->uuid, sizeof(g->uuid));
	if (g->version != MC_FORMAT_VERSION) {
		snprintf(why, len, "format version %u, the kernel reads version %u",
			 g->version, MC_FORMAT_VERSION);
		return MC_SB_BAD_VERSION;
	}
	if (le32toh(sb->flags) & ~MC_SB_INCOMPAT_KNOWN) {
		snprintf(why, len, "features 0x%08x this dm-couche does not know (a newer one wrote it)",
			 le32toh(sb->flags) & ~MC_SB_INCOMPAT_KNOWN);
		return MC_SB_BAD_VERSION;
	}
	if (decode_geometry(sb, g, why, len))
		return MC_SB_BAD_GEOMETRY;
	return MC_SB_OK;
}

/* check_blank(): a device is formatted only if its first MiB is zeros. */
static void check_blank(struct mc_ctx *ctx)
{
	uint64_t nr = ctx->dev_blocks < MC_BLANK_BLOCKS ? ctx->dev_blocks : MC_BLANK_BLOCKS;
	uint64_t b;
	int r;

	for (b = MC_SB_BLOCKS; b < nr; b++) {
		r = mc_read(ctx, b, 1, ctx->buf);
		if (r) {
			mc_report(ctx, b * MC_BLOCK_SIZE, MC_IO, "cannot read: %s",
				  strerror(-r));
			return;
		}
		if (!block_is_zero(ctx->buf)) {
			ctx->res->state = MC_STATE_NO_SB;
			mc_report(ctx, b * MC_BLOCK_SIZE, MC_FATAL,
				  "both superblock slots are zeros but this block is not");
			mc_verdict(ctx, MC_FATAL,
				   "no superblock, and not blank either: the kernel will neither load nor format this device; restore the metadata from a backup (zeroing the first MiB makes the kernel format a new, empty volume)");
			return;
		}
	}
	ctx->res->state = MC_STATE_BLANK;
	mc_operational(ctx, "not formatted: the device is all zeros (as far as the kernel looks: the first MiB), so there is no metadata to check; the kernel formats it when a couche table first uses it");
}

static void check_no_superblock(struct mc_ctx *ctx, char why[2][160])
{
	struct mc_result *res = ctx->res;
	unsigned int i;

	for (i = 0; i < MC_SB_BLOCKS; i++)
		res->slot[i].state = block_is_zero(ctx->sb + i * MC_BLOCK_SIZE) ?
			MC_SLOT_BLANK : MC_SLOT_BAD;
	if (res->slot[0].state == MC_SLOT_BLANK && res->slot[1].state == MC_SLOT_BLANK) {
		check_blank(ctx);
		return;
	}
	res->state = MC_STATE_NO_SB;
	for (i = 0; i < MC_SB_BLOCKS; i++)
		mc_report(ctx, i * MC_BLOCK_SIZE, MC_FATAL, "superblock slot %u: %s",
			  i, why[i]);
	if (!res->slot[0].magic_ok && !res->slot[1].magic_ok)
		mc_verdict(ctx, MC_FATAL,
			   "no valid superblock: neither slot carries the dm-couche magic, so this is not a dm-couche metadata device (or its first 8 KiB were overwritten); the kernel refuses to load it");
	else
		mc_verdict(ctx, MC_FATAL,
			   "no valid superblock: the metadata is damaged beyond what the kernel will load; restore it from a backup");
}

static void take_live(struct mc_ctx *ctx, const struct mc_geo *g, int slot)
{
	struct mc_result *res = ctx->res;

	res->state = MC_STATE_CHECKED;
	res->live_slot = slot;
	res->slot[slot].state = MC_SLOT_LIVE;
	res->version = g->version;
	res->generation = g->generation;
	memcpy(res->uuid, g->uuid, sizeof(res->uuid));
	res->extent_sectors = g->extent_sectors;
	res->nr_extents = g->nr_extents;
	res->meta_blocks = g->meta_blocks;
	res->map_copy_blocks = g->map_copy_blocks;
	/* At most map_copy_blocks, so it fits: decode_geometry() checked. */
	res->map_blocks = (uint32_t)map_blocks_for(g->nr_extents);
	res->live_copy = g->generation & 1;
	res->nr_tiers = g->nr_tiers;
	memcpy(res->tiers, g->tiers, sizeof(res->tiers));
}

/* A valid superblock in the slot the kernel does not use. */
static void check_valid_other(struct mc_ctx *ctx, const struct mc_geo *g,
			      unsigned int o)
{
	struct mc_result *res = ctx->res;
	unsigned long long gen = g->generation, live = res->generation;
	uint64_t off = (uint64_t)o * MC_BLOCK_SIZE;
	char uuid[37];

	res->slot[o].state = MC_SLOT_ODD;
	if (memcmp(g->uuid, res->uuid, sizeof(g->uuid))) {
		mc_format_uuid(g->uuid, uuid);
		mc_report(ctx, off, MC_TOLERATED,
			  "superblock slot %u belongs to another volume (%s, generation %llu); the kernel ignores it while slot %d is valid",
			  o, uuid, gen, res->live_slot);
	} else if (gen == live) {
		mc_report(ctx, off, MC_TOLERATED,
			  "both superblock slots hold generation %llu, which a commit never does; the kernel uses slot 0",
			  gen);
	} else if (gen % 2 != o) {
		mc_report(ctx, off, MC_TOLERATED,
			  "superblock slot %u holds generation %llu, which belongs in slot %llu",
			  o, gen, gen % 2);
	} else if (gen + 1 == live) {
		res->slot[o].state = MC_SLOT_PREVIOUS;
		return;
	} else {
		res->slot[o].state = MC_SLOT_STALE;
		mc_report(ctx, off, MC_NOTE,
			  "superblock slot %u holds generation %llu, older than the previous commit (%llu): a write to it was lost; the kernel ignores it and its next commit rewrites it",
			  o, gen, live - 1);
		return;
	}
	mc_verdict(ctx, MC_TOLERATED,
		   "the kernel loads generation %llu from slot %d and ignores slot %u, which its next commit rewrites; check how slot %u came to be written",
		   live, res->live_slot, o, o);
}

/*
 * The slot the kernel does not use.  A commit writes the slot the live
 * superblock is not in, so a crash during one leaves that slot with the
 * magic intact, a failing checksum and a generation next to the live one
 * (the sectors written hold the new one, the others the old): that is
 * normal.  Anything else there is damage the kernel merely survives.
 */
static void check_other_slot(struct mc_ctx *ctx, const struct mc_geo *g,
			     enum mc_sb_status st, const char *why, unsigned int o)
{
	struct mc_result *res = ctx->res;
	unsigned long long gen = res->slot[o].generation, live = res->generation;
	uint64_t off = (uint64_t)o * MC_BLOCK_SIZE;

	if (st == MC_SB_OK) {
		check_valid_other(ctx, g, o);
		return;
	}
	if (st == MC_SB_BAD_MAGIC && block_is_zero(ctx->sb + off)) {
		res->slot[o].state = MC_SLOT_BLANK;
		if (!live)
			return;		/* formatted, never committed since */
		mc_report(ctx, off, MC_TOLERATED,
			  "superblock slot %u is all zeros, though generation %llu was committed there: it was erased",
			  o, live - 1);
	} else if (st == MC_SB_BAD_CSUM && (gen == live + 1 || (live && gen == live - 1))) {
		res->slot[o].state = MC_SLOT_TORN;
		mc_report(ctx, off, MC_NOTE,
			  "superblock slot %u is torn: %s in a block of generation %llu, as a crash during a commit leaves it; the kernel uses slot %d (generation %llu)",
			  o, why, gen, res->live_slot, live);
		mc_verdict(ctx, MC_NOTE,
			   "the superblock in slot %u is torn by an interrupted commit; the kernel uses slot %d (generation %llu): no action needed",
			   o, res->live_slot, live);
		return;
	} else {
		res->slot[o].state = MC_SLOT_BAD;
		mc_report(ctx, off, MC_TOLERATED, "superblock slot %u: %s", o, why);
	}
	mc_verdict(ctx, MC_TOLERATED,
		   "the superblock in slot %u is damaged; the kernel uses slot %d (generation %llu) and its next commit rewrites slot %u: nothing to repair, but check the device for media errors",
		   o, res->live_slot, live, o);
}

/* ---- what the kernel checks against the table ---- */

/* valid_tier_name() in kernel/target.c: 1 to 15 printable, no spaces. */
static bool valid_tier_name(const char *name)
{
	const char *p;

	if (!*name)
		return false;
	for (p = name; *p; p++)
		if (*p <= ' ' || *p > '~')
			return false;
	return true;
}

static const char *tier_rule_broken(const struct mc_tier_info *ti,
				    uint64_t extent_sectors)
{
	if (ti->kind == COUCHE_TIER_LINEAR) {
		if (ti->nr_members != 1 || ti->k || ti->chunk_sectors)
			return "a linear tier has one member and no k or chunk size";
		return NULL;
	}
	if (ti->k < 2 || ti->k > 16)
		return "raid6 k must be 2 to 16";
	if (ti->nr_members != ti->k + 2)
		return "a raid6 tier has k+2 members";
	if (!is_pow2(ti->chunk_sectors) || ti->chunk_sectors < 8 ||
	    ti->chunk_sectors > extent_sectors)
		return "a raid6 chunk is a power of two from 8 sectors to the extent size";
	return NULL;
}

/*
 * check_geometry() compares the superblock with the table, and the table
 * parser only accepts what these rules allow: a superblock that breaks
 * one matches no table, so every load is refused.
 */
static void check_tables_can_match(struct mc_ctx *ctx)
{
	struct mc_result *res = ctx->res;
	uint64_t base = (uint64_t)res->live_slot * MC_BLOCK_SIZE;
	const char *rule;
	unsigned int t, u;

	for (t = 0; t < res->nr_tiers; t++) {
		const struct mc_tier_info *ti = &res->tiers[t];
		uint64_t off = base + offsetof(struct mc_disk_sb, tiers) +
			t * sizeof(struct mc_disk_tier);

		rule = tier_rule_broken(ti, res->extent_sectors);
		if (!valid_tier_name(ti->name))
			rule = "a tier name is 1 to 15 printable characters without spaces";
		for (u = 0; u < t && !rule; u++)
			if (!strcmp(res->tiers[u].name, ti->name))
				rule = "two tiers have the same name";
		if (!rule)
			continue;
		mc_report(ctx, off, MC_FATAL,
			  "tier %u (%s, %u members, k %u, chunk %u) matches no table: %s",
			  t, mc_tier_kind_name(ti->kind), ti->nr_members, ti->k,
			  ti->chunk_sectors, rule);
		mc_verdict(ctx, MC_FATAL,
			   "the superblock describes a volume no table line can match, so the kernel refuses every table; restore the metadata from a backup");
	}
	if (res->nr_extents > UINT32_MAX) {
		mc_report(ctx, base + offsetof(struct mc_disk_sb, nr_extents), MC_FATAL,
			  "%llu extents: a table holds at most 2^32",
			  (unsigned long long)res->nr_extents);
		mc_verdict(ctx, MC_FATAL,
			   "the superblock describes a volume no table line can match, so the kernel refuses every table; restore the metadata from a backup");
	}
}

/* ---- the live map ---- */

static uint64_t map_start(const struct mc_result *res)
{
	return MC_SB_BLOCKS + (uint64_t)res->live_copy * res->map_copy_blocks;
}

static uint64_t entry_offset(const struct mc_result *res, uint64_t extent)
{
	return (map_start(res) + extent / MC_ENTRIES_PER_BLOCK) * MC_BLOCK_SIZE +
		offsetof(struct mc_disk_map_block, entries) +
		(extent % MC_ENTRIES_PER_BLOCK) * 4;
}

/* couche_meta_open() and check_geometry() need both map copies on the device. */
static bool check_size(struct mc_ctx *ctx)
{
	struct mc_result *res = ctx->res;
	uint64_t need = MC_SB_BLOCKS + 2ull * res->map_copy_blocks;

	if (ctx->dev_blocks >= need)
		return true;
	mc_report(ctx, (uint64_t)res->live_slot * MC_BLOCK_SIZE +
		  offsetof(struct mc_disk_sb, map_copy_blocks), MC_FATAL,
		  "two map copies of %u blocks need %llu blocks, the device has %llu",
		  res->map_copy_blocks, (unsigned long long)need,
		  (unsigned long long)ctx->dev_blocks);
	mc_verdict(ctx, MC_FATAL,
		   "the device is smaller than the metadata on it (truncated, or not the device that was formatted), so the kernel refuses it; use the whole device or restore it from a backup");
	/* The live copy may still be all there: worth checking anyway. */
	return map_start(res) + res->map_blocks <= ctx->dev_blocks;
}

static void map_corrupt(struct mc_ctx *ctx)
{
	mc_verdict(ctx, MC_FATAL,
		   "the live map (copy %u, generation %llu) is corrupt, so the kernel refuses to load this volume; restore the metadata from a backup",
		   ctx->res->live_copy, (unsigned long long)ctx->res->generation);
}

/* couche_map_block_decode(), reporting every bad entry, not just the first. */
static void check_map_block(struct mc_ctx *ctx, const uint8_t *block, uint32_t index)
{
	const struct mc_disk_map_block *mb = (const void *)block;
	struct mc_result *res = ctx->res;
	uint64_t off = (map_start(res) + index) * MC_BLOCK_SIZE;
	uint64_t first = (uint64_t)index * MC_ENTRIES_PER_BLOCK;
	uint64_t nr = res->nr_extents - first;
	uint32_t stored = le32toh(mb->csum), csum = block_csum(block), e;
	unsigned int i, copy = res->live_copy;
	bool bad = false;

	if (le32toh(mb->magic) != MC_MAP_MAGIC) {
		if (block_is_zero(block))
			mc_report(ctx, off, MC_FATAL, "map block %u of copy %u is all zeros",
				  index, copy);
		else
			mc_report(ctx, off, MC_FATAL, "map block %u of copy %u: bad magic 0x%08x",
				  index, copy, le32toh(mb->magic));
		goto corrupt;
	}
	if (stored != csum) {
		mc_report(ctx, off, MC_FATAL,
			  "map block %u of copy %u: checksum mismatch (stored 0x%08x, computed 0x%08x)",
			  index, copy, stored, csum);
		goto corrupt;
	}
	if (le32toh(mb->index) != index) {
		mc_report(ctx, off, MC_FATAL,
			  "map block %u of copy %u holds block %u: a write went to the wrong place",
			  index, copy, le32toh(mb->index));
		goto corrupt;
	}
	if (le32toh(mb->generation) &&
	    le32toh(mb->generation) - (uint32_t)res->generation - 1 < MC_GEN_WINDOW) {
		mc_report(ctx, off + offsetof(struct mc_disk_map_block, generation), MC_FATAL,
			  "map block %u of copy %u was written by generation %u, after its superblock's %llu: a later commit rewrote this copy and its superblock is lost, so the map is a mix",
			  index, copy, le32toh(mb->generation), (unsigned long long)res->generation);
		goto corrupt;
	}
	for (i = 0; i < MC_ENTRIES_PER_BLOCK; i++) {
		uint64_t eoff = off + offsetof(struct mc_disk_map_block, entries) + 4 * i;

		e = le32toh(mb->entries[i]);
		if (e & MC_CE_BUSY) {
			mc_report(ctx, eoff, MC_FATAL,
				  "extent %llu: entry 0x%08x has the in-memory BUSY bit, never written to disk",
				  (unsigned long long)(first + i), e);
			bad = true;
		} else if (i >= nr && e) {
			mc_report(ctx, eoff, MC_FATAL,
				  "entry %u of map block %u is past the last extent but holds 0x%08x",
				  i, index, e);
			bad = true;
		} else if (i < nr) {
			ctx->map[first + i] = e;
		}
	}
	if (!bad)
		return;
corrupt:
	map_corrupt(ctx);
}

static void read_map(struct mc_ctx *ctx)
{
	struct mc_result *res = ctx->res;
	uint64_t start = map_start(res);
	uint32_t b, k, n;
	int r, r1;

	for (b = 0; b < res->map_blocks; b += n) {
		n = res->map_blocks - b < MC_CHUNK_BLOCKS ? res->map_blocks - b :
			MC_CHUNK_BLOCKS;
		r = mc_read(ctx, start + b, n, ctx->buf);
		for (k = 0; k < n; k++) {
			uint8_t *block = ctx->buf + (size_t)k * MC_BLOCK_SIZE;

			/* After a failed run, find which blocks are unreadable. */
			r1 = r ? mc_read(ctx, start + b + k, 1, block) : 0;
			if (r1)
				mc_report(ctx, (start + b + k) * MC_BLOCK_SIZE, MC_IO,
					  "cannot read map block %u of copy %u: %s", b + k,
					  res->live_copy, strerror(-r1));
			else
				check_map_block(ctx, block, b + k);
		}
	}
}

static bool test_and_set(uint64_t *bitmap, uint32_t bit)
{
	uint64_t mask = 1ull << (bit % 64);
	bool was = bitmap[bit / 64] & mask;

	bitmap[bit / 64] |= mask;
	return was;
}

static int dup_cmp(const void *a, const void *b)
{
	const struct mc_dup *x = a, *y = b;

	if (x->tier != y->tier)
		return x->tier < y->tier ? -1 : 1;
	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	return x->extent < y->extent ? -1 : x->extent > y->extent;
}

/* The first duplicate not before @key (ctx->dups is sorted). */
static struct mc_dup *dup_lower_bound(struct mc_ctx *ctx, const struct mc_dup *key)
{
	unsigned int lo = 0, hi = ctx->nr_dups, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (dup_cmp(&ctx->dups[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return &ctx->dups[lo];
}

/* The first extent mapped to each doubly used slot: a second pass. */
static void find_dup_owners(struct mc_ctx *ctx)
{
	struct mc_result *res = ctx->res;
	struct mc_dup key, *d, *end = ctx->dups + ctx->nr_dups;
	uint64_t i;
	uint32_t e;

	qsort(ctx->dups, ctx->nr_dups, sizeof(*d), dup_cmp);
	for (i = 0; i < res->nr_extents; i++) {
		e = ctx->map[i];
		if (!(e & MC_CE_MAPPED))
			continue;
		key.tier = (e & MC_CE_TIER_MASK) >> MC_CE_TIER_SHIFT;
		key.slot = e & MC_CE_SLOT_MASK;
		key.extent = 0;
		for (d = dup_lower_bound(ctx, &key); d < end && d->tier == key.tier &&
		     d->slot == key.slot; d++)
			if (d->owner == MC_NONE)
				d->owner = i;
	}
}

static void report_dups(struct mc_ctx *ctx)
{
	struct mc_result *res = ctx->res;
	unsigned int i;

	if (!ctx->nr_dups)
		return;
	find_dup_owners(ctx);
	for (i = 0; i < ctx->nr_dups; i++) {
		const struct mc_dup *d = &ctx->dups[i];

		mc_report(ctx, entry_offset(res, d->extent), MC_FATAL,
			  "extent %llu is mapped to slot %u of tier %u (%s), which extent %llu also uses",
			  (unsigned long long)d->extent, d->slot, d->tier,
			  res->tiers[d->tier].name, (unsigned long long)d->owner);
	}
	map_corrupt(ctx);
}

/* A mapped entry: its slot must exist and be its alone. */
static void check_mapped(struct mc_ctx *ctx, uint64_t i, uint32_t e)
{
	struct mc_result *res = ctx->res;
	unsigned int t = (e & MC_CE_TIER_MASK) >> MC_CE_TIER_SHIFT;
	uint32_t slot = e & MC_CE_SLOT_MASK;
	struct mc_tier_info *ti = &res->tiers[t];

	if (slot >= ti->nr_slots) {
		mc_report(ctx, entry_offset(res, i), MC_FATAL,
			  "extent %llu is mapped to slot %u of tier %u (%s), which has %llu slots",
			  (unsigned long long)i, slot, t, ti->name,
			  (unsigned long long)ti->nr_slots);
		map_corrupt(ctx);
		return;
	}
	if (!test_and_set(ctx->used[t], slot)) {
		ti->mapped++;
		res->mapped++;
		return;
	}
	if (ctx->nr_dups < MC_MAX_DUPS) {
		ctx->dups[ctx->nr_dups++] = (struct mc_dup){
			.tier = t, .slot = slot, .extent = i, .owner = MC_NONE,
		};
		return;
	}
	mc_report(ctx, entry_offset(res, i), MC_FATAL,
		  "extent %llu is mapped to slot %u of tier %u (%s), which another extent also uses",
		  (unsigned long long)i, slot, t, ti->name);
}

/* load_map()'s second half: every entry names a tier, every slot one user. */
static void check_entries(struct mc_ctx *ctx)
{
	struct mc_result *res = ctx->res;
	unsigned int t;
	uint64_t i;
	uint32_t e;

	for (i = 0; i < res->nr_extents; i++) {
		e = ctx->map[i];
		if (!e)
			continue;
		t = (e & MC_CE_TIER_MASK) >> MC_CE_TIER_SHIFT;
		if (t >= res->nr_tiers) {
			mc_report(ctx, entry_offset(res, i), MC_FATAL,
				  "extent %llu names tier %u, the volume has %u (entry 0x%08x)",
				  (unsigned long long)i, t, res->nr_tiers, e);
			map_corrupt(ctx);
			continue;
		}
		res->pinned += !!(e & MC_CE_PINNED);
		if (e & MC_CE_MAPPED) {
			check_mapped(ctx, i, e);
			continue;
		}
		/* The kernel writes an unmapped entry as 0 or PINNED|tier only. */
		res->pinned_unmapped += !!(e & MC_CE_PINNED);
		if ((e & MC_CE_PINNED) && res->tiers[t].kind != COUCHE_TIER_LINEAR) {
			mc_report(ctx, entry_offset(res, i), MC_FATAL,
				  "extent %llu is pinned, never written, to raid6 tier %u (%s): only linear tiers take first writes",
				  (unsigned long long)i, t, res->tiers[t].name);
			map_corrupt(ctx);
			continue;
		}
		if (!(e & MC_CE_PINNED) || (e & MC_CE_SLOT_MASK))
			mc_report(ctx, entry_offset(res, i), MC_TOLERATED,
				  "extent %llu: unmapped entry 0x%08x carries bits the kernel never writes there (it treats the extent as unmapped)",
				  (unsigned long long)i, e);
	}
	report_dups(ctx);
}

static void check_map(struct mc_ctx *ctx)
{
	struct mc_result *res = ctx->res;
	unsigned int t;

	if (res->nr_extents > UINT32_MAX)
		return;		/* reported; and no memory to hold it */
	ctx->map = calloc(res->nr_extents, sizeof(*ctx->map));
	for (t = 0; t < res->nr_tiers; t++)
		ctx->used[t] = calloc(res->tiers[t].nr_slots / 64 + 1, sizeof(uint64_t));
	for (t = 0; ctx->map && t < res->nr_tiers && ctx->used[t]; t++)
		;
	if (!ctx->map || t < res->nr_tiers) {
		mc_operational(ctx, "cannot check the map: out of memory for %llu extents",
			       (unsigned long long)res->nr_extents);
		return;
	}
	read_map(ctx);
	check_entries(ctx);
}

/* ---- the whole check ---- */

static void check_once(struct mc_ctx *ctx)
{
	struct mc_result *res = ctx->res;
	struct mc_geo g[MC_SB_BLOCKS];
	enum mc_sb_status st[MC_SB_BLOCKS];
	char why[MC_SB_BLOCKS][160];
	int r, i, live;

	r = mc_read(ctx, 0, MC_SB_BLOCKS, ctx->sb);
	if (r) {
		mc_report(ctx, 0, MC_IO, "cannot read the superblock slots: %s",
			  strerror(-r));
		return;
	}
	for (i = 0; i < MC_SB_BLOCKS; i++) {
		const struct mc_disk_sb *sb = (const void *)(ctx->sb + i * MC_BLOCK_SIZE);

		st[i] = sb_decode(ctx->sb + i * MC_BLOCK_SIZE, &g[i], why[i], sizeof(why[i]));
		res->slot[i].magic_ok = le32toh(sb->magic) == MC_SB_MAGIC;
		res->slot[i].generation = le64toh(sb->generation);
	}
	/* read_superblock(): a slot from a newer format refuses the volume. */
	for (i = 0; i < MC_SB_BLOCKS; i++) {
		if (st[i] != MC_SB_BAD_VERSION)
			continue;
		mc_report(ctx, i * MC_BLOCK_SIZE, MC_FATAL,
			  "superblock slot %d: %s: the kernel refuses the volume; use the dm-couche that wrote it",
			  i, why[i]);
		return;
	}
	if (st[0] != MC_SB_OK && st[1] != MC_SB_OK) {
		check_no_superblock(ctx, why);
		return;
	}
	/* read_superblock(): the newer valid slot; slot 0 on a tie. */
	if (st[0] == MC_SB_OK && st[1] == MC_SB_OK)
		live = g[1].generation > g[0].generation;
	else
		live = st[1] == MC_SB_OK;
	take_live(ctx, &g[live], live);
	check_other_slot(ctx, &g[!live], st[!live], why[!live], !live);
	if (res->generation % 2 != (unsigned int)live)
		mc_report(ctx, live * MC_BLOCK_SIZE + offsetof(struct mc_disk_sb, generation),
			  MC_TOLERATED,
			  "superblock slot %d holds generation %llu, which belongs in slot %llu: the next commit overwrites this superblock in place",
			  live, (unsigned long long)res->generation,
			  (unsigned long long)res->generation % 2);
	check_tables_can_match(ctx);
	if (check_size(ctx))
		check_map(ctx);
}

static void ctx_release_map(struct mc_ctx *ctx)
{
	unsigned int t;

	free(ctx->map);
	ctx->map = NULL;
	for (t = 0; t < COUCHE_MAX_TIERS; t++) {
		free(ctx->used[t]);
		ctx->used[t] = NULL;
	}
	ctx->nr_dups = 0;
}

/* Starts @res over, keeping what is known of the device. */
static void reset_result(struct mc_ctx *ctx)
{
	struct mc_result *res = ctx->res;
	uint64_t bytes = res->dev_bytes;
	bool in_use = res->in_use;

	mc_result_free(res);
	memset(res, 0, sizeof(*res));
	res->dev_bytes = bytes;
	res->in_use = in_use;
	res->live_slot = -1;
	ctx->worst = -1;
	ctx->verdict_level = -1;
	ctx_release_map(ctx);
}

/*
 * A live volume commits while it is read: the map copy the superblock
 * named may be rewritten two commits later.  As load_map_stable() does,
 * a check counts only if the superblocks did not change meanwhile.
 */
static bool superblocks_changed(struct mc_ctx *ctx)
{
	if (mc_read(ctx, 0, MC_SB_BLOCKS, ctx->buf))
		return false;	/* reported by the check if it matters */
	return memcmp(ctx->buf, ctx->sb, MC_SB_BLOCKS * MC_BLOCK_SIZE);
}

static void check_device(struct mc_ctx *ctx)
{
	int tries;

	if (ctx->dev_blocks < MC_SB_BLOCKS) {
		mc_operational(ctx, "too small: %llu bytes cannot hold the two 4 KiB superblock slots",
			       (unsigned long long)ctx->res->dev_bytes);
		return;
	}
	for (tries = 1; ; tries++) {
		check_once(ctx);
		if (!superblocks_changed(ctx))
			return;
		if (tries == MC_TRIES)
			break;
		reset_result(ctx);
	}
	mc_operational(ctx, "the metadata kept changing while it was checked: a table is using it; check it while no table does");
}

static int mc_check(int fd, bool in_use, struct mc_result *res)
{
	struct mc_ctx ctx = { .fd = fd, .res = res };
	int flags = -1, r;
	void *mem = NULL;

	memset(res, 0, sizeof(*res));
	res->in_use = in_use;
	reset_result(&ctx);
	/* Aligned for O_DIRECT: both superblocks, then the chunk buffer. */
	if (posix_memalign(&mem, MC_BLOCK_SIZE,
			   (MC_SB_BLOCKS + MC_CHUNK_BLOCKS) * MC_BLOCK_SIZE)) {
		mc_operational(&ctx, "cannot check: out of memory");
		goto out;
	}
	ctx.sb = mem;
	ctx.buf = ctx.sb + MC_SB_BLOCKS * MC_BLOCK_SIZE;
	r = mc_size(&ctx);
	if (r) {
		mc_operational(&ctx, "cannot check: %s", strerror(-r));
		goto out;
	}
	/*
	 * dm writes the metadata with bios, past the block device's page
	 * cache: read around it too, or stale cached pages would be checked.
	 */
	if (ctx.is_blk) {
		flags = fcntl(fd, F_GETFL);
		if (flags >= 0 && fcntl(fd, F_SETFL, flags | O_DIRECT))
			flags = -1;
	}
	check_device(&ctx);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags);
out:
	mc_finish_verdict(&ctx);
	ctx_release_map(&ctx);
	free(mem);
	return res->exit_code;
}

int mc_check_fd(int fd, struct mc_result *res)
{
	return mc_check(fd, false, res);
}

int mc_check_path(const char *path, struct mc_result *res)
{
	bool in_use = false;
	int fd, err, code;

	/*
	 * O_EXCL on a block device fails with EBUSY while a holder (a dm
	 * table, a mount) has claimed it; and while this check holds it, no
	 * table can claim it, so the metadata cannot change underneath.
	 * Linux ignores O_EXCL without O_CREAT on other files.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_EXCL);
	if (fd < 0 && errno == EBUSY) {
		in_use = true;
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		err = errno;
		memset(res, 0, sizeof(*res));
		res->live_slot = -1;
		res->exit_code = MC_EXIT_OPERATIONAL;
		snprintf(res->verdict, sizeof(res->verdict), "cannot open %s: %s", path,
			 strerror(err));
		return res->exit_code;
	}
	code = mc_check(fd, in_use, res);
	close(fd);
	return code;
}

void mc_result_free(struct mc_result *res)
{
	free(res->problems);
	res->problems = NULL;
	res->nr_problems = 0;
}
