/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * dm-couche: interface shared by the kernel target and userspace.
 *
 * This header holds the enums every part of CoucheStor agrees on (tier
 * kinds, member states, limits).  The generic-netlink family "couche" that
 * carries them is added here as it is built; values are only ever appended.
 */
#ifndef _UAPI_LINUX_DM_COUCHE_H
#define _UAPI_LINUX_DM_COUCHE_H

#define COUCHE_TARGET_NAME	"couche"
#define COUCHE_GENL_NAME	"couche"
#define COUCHE_GENL_VERSION	1

#define COUCHE_MAX_TIERS	8
#define COUCHE_TIER_NAME_LEN	16	/* including the terminating NUL */

/* Extent size bounds, in 512-byte sectors: 1 MiB to 1 GiB, power of two. */
#define COUCHE_MIN_EXTENT_SECTORS	2048
#define COUCHE_MAX_EXTENT_SECTORS	2097152

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

#endif /* _UAPI_LINUX_DM_COUCHE_H */
