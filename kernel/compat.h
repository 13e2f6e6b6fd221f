/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels dm-couche builds for (6.1, 6.12)
 * lives here, so the logic files carry no version checks.  Features are
 * detected from the kernel headers by Kbuild (COUCHE_HAVE_* defines).
 */
#ifndef DM_COUCHE_COMPAT_H
#define DM_COUCHE_COMPAT_H

#include <linux/device-mapper.h>

/*
 * From 6.3 dm core splits discards on max_io_len only when asked; before
 * that the target trims them itself with dm_accept_partial_bio().
 */
static inline void couche_split_discards(struct dm_target *ti)
{
#ifdef COUCHE_HAVE_MAX_DISCARD_GRANULARITY
	ti->max_discard_granularity = true;
#endif
}

#endif /* DM_COUCHE_COMPAT_H */
