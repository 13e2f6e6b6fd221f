/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * dm-couche: interface shared by the kernel target and userspace.
 *
 * The generic-netlink family "couche" (version 1) drives dm-couche volumes.
 * A request names its volume by dm name (COUCHE_DEV_A_NAME) or by device
 * number (COUCHE_DEV_A_MAJOR and COUCHE_DEV_A_MINOR).  Values are only
 * ever appended, so old tools keep working with new modules.
 *
 * Commands:
 *
 * COUCHE_CMD_GET_DEVICE (do, or dump for every volume)
 *	request: the volume (do only)
 *	reply:	 NAME, MAJOR, MINOR, UUID, LEN_SECTORS, EXTENT_SECTORS,
 *		 NR_EXTENTS, META_USED, META_TOTAL (4 KiB blocks), FLAGS,
 *		 PARAMS (nest of COUCHE_PARAM_A_*), TIERS (nest of
 *		 COUCHE_DEV_A_TIER, each a nest of COUCHE_TIER_A_*), MIG_*,
 *		 CACHE_*, SCRUB_*, DEMOTED, WAITING, NOSPACE, UNMAPPED
 *
 * COUCHE_CMD_GET_EXTENTS (dump)
 *	request: the volume; optional FIRST/LAST (range), FILTER_TIER,
 *		 MAPPED_ONLY, TOP or BOTTOM (the N hottest or coldest,
 *		 hottest first or coldest first)
 *	reply:	 messages with NAME and EXTENTS, an array of
 *		 struct couche_extent_info.  The dump is consistent: if the
 *		 map changes while it runs, NLM_F_DUMP_INTR is set and the
 *		 reader should start again.
 *
 * COUCHE_CMD_MIGRATE	the volume, FIRST, [LAST], TIER_INDEX or TIER_NAME
 * COUCHE_CMD_PIN	the volume, FIRST, [LAST], TIER_INDEX or TIER_NAME
 * COUCHE_CMD_UNPIN	the volume, FIRST, [LAST]
 * COUCHE_CMD_SET_PARAMS the volume, PARAMS (a nest of COUCHE_PARAM_A_*)
 * COUCHE_CMD_SCRUB	the volume
 *	These change the volume and need CAP_SYS_ADMIN.  MIGRATE and PIN
 *	reply with QUEUED, the number of extents queued to move.
 *
 * COUCHE_CMD_EVENT	sent by the kernel to the "events" multicast group:
 *	EVENT (enum couche_event), NAME, MAJOR, MINOR, and per event FIRST,
 *	TIER, MEMBER, DONE/TOTAL, ERROR.
 */
#ifndef _UAPI_LINUX_DM_COUCHE_H
#define _UAPI_LINUX_DM_COUCHE_H

#include <linux/types.h>

#define COUCHE_TARGET_NAME	"couche"
#define COUCHE_GENL_NAME	"couche"
#define COUCHE_GENL_VERSION	1
#define COUCHE_GENL_MCGRP_EVENTS "events"

#define COUCHE_MAX_TIERS	8
#define COUCHE_TIER_NAME_LEN	16	/* including the terminating NUL */
#define COUCHE_DEV_NAME_LEN	128	/* DM_NAME_LEN, including the NUL */

/* Extent size bounds, in 512-byte sectors: 1 MiB to 1 GiB, power of two. */
#define COUCHE_MIN_EXTENT_SECTORS	2048
#define COUCHE_MAX_EXTENT_SECTORS	2097152

/* Runtime knob ranges (SET_PARAMS, the table line and the "set" message). */
#define COUCHE_MAX_MIGRATIONS_MAX	64
#define COUCHE_MIGRATION_MBPS_MAX	100000
#define COUCHE_HALFLIFE_S_MAX		604800
#define COUCHE_RESERVE_PCT_MAX		50

/* GET_EXTENTS: TOP and BOTTOM rank at most this many extents. */
#define COUCHE_MAX_RANK		65536

/* Heat scores count COUCHE_HEAT_SCALE per access, decaying by half-life. */
#define COUCHE_HEAT_SCALE	256

enum couche_tier_kind {
	COUCHE_TIER_UNSPEC,
	COUCHE_TIER_LINEAR,
	COUCHE_TIER_RAID6,
	__COUCHE_TIER_LAST
};

/* One character per member in `dmsetup status`, as dm-raid does. */
enum couche_member_state {
	COUCHE_MEMBER_ALIVE,		/* 'A': alive and in sync */
	COUCHE_MEMBER_REBUILDING,	/* 'a': alive, being rebuilt */
	COUCHE_MEMBER_DEAD,		/* 'D': failed or missing */
	__COUCHE_MEMBER_LAST
};

enum couche_cmd {
	COUCHE_CMD_UNSPEC,
	COUCHE_CMD_GET_DEVICE,
	COUCHE_CMD_GET_EXTENTS,
	COUCHE_CMD_MIGRATE,
	COUCHE_CMD_PIN,
	COUCHE_CMD_UNPIN,
	COUCHE_CMD_SET_PARAMS,
	COUCHE_CMD_SCRUB,
	COUCHE_CMD_EVENT,
	__COUCHE_CMD_MAX
};

#define COUCHE_CMD_MAX (__COUCHE_CMD_MAX - 1)

/* COUCHE_DEV_A_FLAGS */
enum couche_dev_flags {
	COUCHE_DEV_F_READ_ONLY		= 1 << 0,	/* table feature read_only */
	COUCHE_DEV_F_META_FAILED	= 1 << 1,	/* a commit failed: read-only */
	COUCHE_DEV_F_SUSPENDED		= 1 << 2,
	COUCHE_DEV_F_DEGRADED		= 1 << 3,	/* a member is dead or rebuilding */
	COUCHE_DEV_F_DISCARD_PASSDOWN	= 1 << 4,
};

enum couche_dev_attr {
	COUCHE_DEV_A_UNSPEC,
	COUCHE_DEV_A_PAD,
	COUCHE_DEV_A_NAME,		/* string: dm name */
	COUCHE_DEV_A_MAJOR,		/* u32 */
	COUCHE_DEV_A_MINOR,		/* u32 */
	COUCHE_DEV_A_UUID,		/* string: volume UUID (metadata) */
	COUCHE_DEV_A_LEN_SECTORS,	/* u64 */
	COUCHE_DEV_A_EXTENT_SECTORS,	/* u64 */
	COUCHE_DEV_A_NR_EXTENTS,	/* u32 */
	COUCHE_DEV_A_META_USED,		/* u64: 4 KiB blocks */
	COUCHE_DEV_A_META_TOTAL,	/* u64: 4 KiB blocks */
	COUCHE_DEV_A_FLAGS,		/* u32: enum couche_dev_flags */
	COUCHE_DEV_A_PARAMS,		/* nest: COUCHE_PARAM_A_* */
	COUCHE_DEV_A_TIERS,		/* nest of COUCHE_DEV_A_TIER */
	COUCHE_DEV_A_TIER,		/* nest: COUCHE_TIER_A_* */
	COUCHE_DEV_A_MIG_QUEUED,	/* u64: extents waiting to move */
	COUCHE_DEV_A_MIG_RUNNING,	/* u32 */
	COUCHE_DEV_A_MIG_DONE,		/* u64 */
	COUCHE_DEV_A_MIG_FAILED,	/* u64 */
	COUCHE_DEV_A_CACHE_HITS,	/* u64 */
	COUCHE_DEV_A_CACHE_MISSES,	/* u64 */
	COUCHE_DEV_A_SCRUB_RUNNING,	/* u8: 0 or 1 */
	COUCHE_DEV_A_SCRUB_CHECKED,	/* u64: stripes checked */
	COUCHE_DEV_A_SCRUB_REPAIRED,	/* u64 */
	COUCHE_DEV_A_SCRUB_UNREPAIRABLE, /* u64 */
	COUCHE_DEV_A_SCRUB_TOTAL,	/* u64: stripes to check */
	/* requests */
	COUCHE_DEV_A_FIRST,		/* u32: first extent */
	COUCHE_DEV_A_LAST,		/* u32: last extent (default: FIRST) */
	COUCHE_DEV_A_TIER_INDEX,	/* u8: a tier by index */
	COUCHE_DEV_A_TIER_NAME,		/* string: a tier by name */
	COUCHE_DEV_A_FILTER_TIER,	/* u8: GET_EXTENTS: only this tier */
	COUCHE_DEV_A_TOP,		/* u32: GET_EXTENTS: the N hottest */
	COUCHE_DEV_A_BOTTOM,		/* u32: GET_EXTENTS: the N coldest */
	COUCHE_DEV_A_EXTENTS,		/* binary: struct couche_extent_info[] */
	COUCHE_DEV_A_QUEUED,		/* u64: MIGRATE/PIN reply */
	/* events */
	COUCHE_DEV_A_EVENT,		/* u8: enum couche_event */
	COUCHE_DEV_A_MEMBER,		/* u8: member index in TIER_INDEX */
	COUCHE_DEV_A_DONE,		/* u64: progress so far */
	COUCHE_DEV_A_TOTAL,		/* u64: progress at the end */
	COUCHE_DEV_A_ERROR,		/* u32: errno (positive) */
	COUCHE_DEV_A_EVENTS_DROPPED,	/* u64: events lost to a full queue */
	COUCHE_DEV_A_MAPPED_ONLY,	/* flag: GET_EXTENTS: only written extents */
	COUCHE_DEV_A_DEMOTED,		/* u64: extents the kernel moved down for room */
	COUCHE_DEV_A_WAITING,		/* u32: writes waiting for room now */
	COUCHE_DEV_A_NOSPACE,		/* u64: writes failed with ENOSPC */
	COUCHE_DEV_A_UNMAPPED,		/* u64: extents freed by discards */
	COUCHE_DEV_A_READ_CORRECTED,	/* u64: raid6 read errors rewritten from parity */
	COUCHE_DEV_A_READ_UNCORRECTABLE, /* u64: raid6 reads failed beyond parity */
	__COUCHE_DEV_A_MAX
};

#define COUCHE_DEV_A_MAX (__COUCHE_DEV_A_MAX - 1)

enum couche_param_attr {
	COUCHE_PARAM_A_UNSPEC,
	COUCHE_PARAM_A_MAX_MIGRATIONS,	/* u32: 1 to 64 */
	COUCHE_PARAM_A_MIGRATION_MBPS,	/* u32: 0 (unthrottled) to 100000 */
	COUCHE_PARAM_A_HEAT_HALFLIFE_S,	/* u32: 1 to 604800 */
	COUCHE_PARAM_A_CACHE_MB,	/* u32: 0 (the read cache is not built yet) */
	COUCHE_PARAM_A_RESERVE_PCT,	/* u32: read only, set in the table */
	__COUCHE_PARAM_A_MAX
};

#define COUCHE_PARAM_A_MAX (__COUCHE_PARAM_A_MAX - 1)

enum couche_tier_attr {
	COUCHE_TIER_A_UNSPEC,
	COUCHE_TIER_A_INDEX,		/* u8 */
	COUCHE_TIER_A_NAME,		/* string */
	COUCHE_TIER_A_KIND,		/* u8: enum couche_tier_kind */
	COUCHE_TIER_A_K,		/* u32: raid6 data members */
	COUCHE_TIER_A_CHUNK_SECTORS,	/* u32: raid6 */
	COUCHE_TIER_A_SLOTS,		/* u32: extents it can hold */
	COUCHE_TIER_A_USED,		/* u32: extents it holds */
	COUCHE_TIER_A_RESERVE,		/* u32: low watermark: below it the kernel demotes */
	COUCHE_TIER_A_REBUILD_DONE,	/* u32: raid6 slots rebuilt, while rebuilding */
	COUCHE_TIER_A_MEMBERS,		/* nest of COUCHE_TIER_A_MEMBER */
	COUCHE_TIER_A_MEMBER,		/* nest: COUCHE_MEMBER_A_* */
	COUCHE_TIER_A_WM_HIGH,		/* u32: ... until this many slots are free */
	__COUCHE_TIER_A_MAX
};

#define COUCHE_TIER_A_MAX (__COUCHE_TIER_A_MAX - 1)

enum couche_member_attr {
	COUCHE_MEMBER_A_UNSPEC,
	COUCHE_MEMBER_A_INDEX,		/* u8 */
	COUCHE_MEMBER_A_DEV,		/* string: "major:minor" */
	COUCHE_MEMBER_A_STATE,		/* u8: enum couche_member_state */
	COUCHE_MEMBER_A_PAD,
	COUCHE_MEMBER_A_READ_ERRORS,	/* u64: raid6 read errors rewritten from parity */
	__COUCHE_MEMBER_A_MAX
};

#define COUCHE_MEMBER_A_MAX (__COUCHE_MEMBER_A_MAX - 1)

/* COUCHE_EXTENT_F_* in couche_extent_info.flags */
enum couche_extent_flags {
	COUCHE_EXTENT_F_MAPPED		= 1 << 0,	/* has a place: tier is valid */
	COUCHE_EXTENT_F_PINNED		= 1 << 1,
	COUCHE_EXTENT_F_MIGRATING	= 1 << 2,	/* being provisioned or moved */
};

#define COUCHE_TIER_NONE	0xff	/* couche_extent_info.tier if unmapped */

/* One extent in a GET_EXTENTS reply; 20 bytes, native byte order. */
struct couche_extent_info {
	__u32 index;
	__u32 reads;		/* since load */
	__u32 writes;		/* since load */
	__u32 heat;		/* decayed score, COUCHE_HEAT_SCALE per access */
	__u8 tier;		/* or COUCHE_TIER_NONE */
	__u8 flags;		/* enum couche_extent_flags */
	__u16 reserved;
};

enum couche_event {
	COUCHE_EVENT_UNSPEC,
	COUCHE_EVENT_MIGRATION_DONE,	/* FIRST moved to TIER_INDEX */
	COUCHE_EVENT_MIGRATION_FAILED,	/* FIRST stays; ERROR */
	COUCHE_EVENT_MEMBER_FAILED,	/* TIER_INDEX, MEMBER */
	COUCHE_EVENT_REBUILD_PROGRESS,	/* TIER_INDEX, DONE/TOTAL slots */
	COUCHE_EVENT_REBUILD_DONE,	/* TIER_INDEX */
	COUCHE_EVENT_RESERVE_LOW,	/* TIER_INDEX: new writes skip it */
	COUCHE_EVENT_METADATA_ERROR,	/* ERROR: the volume is read-only now */
	COUCHE_EVENT_SCRUB_DONE,	/* DONE stripes checked, TOTAL */
	COUCHE_EVENT_MAKING_ROOM,	/* TIER_INDEX below its low watermark */
	COUCHE_EVENT_NO_SPACE,		/* DONE writes failed with ENOSPC; FIRST */
	__COUCHE_EVENT_MAX
};

#endif /* _UAPI_LINUX_DM_COUCHE_H */
