/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels dm-couche builds for (6.1, 6.12)
 * lives here, so the logic files carry no version checks.
 */
#ifndef DM_COUCHE_COMPAT_H
#define DM_COUCHE_COMPAT_H

#include <linux/version.h>
#include <linux/device-mapper.h>

/*
 * From 6.3 dm core splits discards on max_io_len only when asked; before
 * that the target trims them itself with dm_accept_partial_bio().
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
static inline void couche_split_discards(struct dm_target *ti)
{
	ti->max_discard_granularity = true;
}
#else
static inline void couche_split_discards(struct dm_target *ti)
{
}
#endif

#endif /* DM_COUCHE_COMPAT_H */
