/* SPDX-License-Identifier: GPL-2.0 */
/* libcouche: a volume as GET_DEVICE describes it. */
#ifndef LIBCOUCHE_VOL_H
#define LIBCOUCHE_VOL_H

#include <stdint.h>
#include <linux/dm-couche.h>

#include "nl.h"

#define COUCHE_VOL_MAX_MEMBERS 18

struct couche_vol_member {
	char dev[32];
	int state;		/* enum couche_member_state */
	uint64_t read_errors;	/* raid6: rewritten from parity */
};

struct couche_vol_tier {
	char name[COUCHE_TIER_NAME_LEN];
	int kind;		/* enum couche_tier_kind */
	uint32_t k, chunk_sectors;
	uint32_t slots, used, reserve, wm_high;
	int rebuilding;
	uint32_t rebuild_done;	/* slots, while rebuilding */
	int nr_members;
	struct couche_vol_member members[COUCHE_VOL_MAX_MEMBERS];
};

struct couche_vol {
	char name[COUCHE_DEV_NAME_LEN];
	unsigned int major, minor;
	char uuid[40];
	uint64_t len_sectors, extent_sectors;
	uint32_t nr_extents;
	uint64_t meta_used, meta_total;
	uint32_t flags;		/* enum couche_dev_flags */
	uint32_t params[COUCHE_PARAM_A_MAX + 1];
	int nr_tiers;
	struct couche_vol_tier tiers[COUCHE_MAX_TIERS];
	uint64_t mig_queued, mig_done, mig_failed;
	uint32_t mig_running;
	uint64_t cache_hits, cache_misses;
	int scrub_running;
	uint64_t scrub_checked, scrub_repaired, scrub_unrepairable, scrub_total;
	uint64_t events_dropped;
	uint64_t demoted, nospace, unmapped;
	uint32_t waiting;
	uint64_t read_corrected, read_uncorrectable;
};

/* One volume by DEV (see couche_nl_put_dev()); 0 or a negative errno, nl->err says why. */
int couche_vol_get(struct couche_nl *nl, const char *dev, struct couche_vol *d);
/* Every volume; *@list is malloc'ed (free it, also on error). */
int couche_vol_list(struct couche_nl *nl, struct couche_vol **list, int *n);
/* One GET_DEVICE reply; -EINVAL if it is not one. */
int couche_vol_from_msg(struct nl_msg *msg, struct couche_vol *d);
/* A tier by name or index; -1 if the volume has none such. */
int couche_vol_tier_index(const struct couche_vol *d, const char *s);
/* Its name, "-" if there is no such tier. */
const char *couche_vol_tier_name(const struct couche_vol *d, int tier);

#endif /* LIBCOUCHE_VOL_H */
