/* SPDX-License-Identifier: GPL-2.0 */
/* couchestorctl: a volume as GET_DEVICE describes it. */
#ifndef COUCHESTORCTL_DEV_H
#define COUCHESTORCTL_DEV_H

#include <stdint.h>
#include <linux/dm-couche.h>

#include "nl.h"

#define CTL_MAX_MEMBERS 18

struct ctl_member {
	char dev[32];
	int state;		/* enum couche_member_state */
	uint64_t read_errors;	/* raid6: rewritten from parity */
};

struct ctl_tier {
	char name[COUCHE_TIER_NAME_LEN];
	int kind;		/* enum couche_tier_kind */
	uint32_t k, chunk_sectors;
	uint32_t slots, used, reserve, wm_high;
	int rebuilding;
	uint32_t rebuild_done;	/* slots, while rebuilding */
	int nr_members;
	struct ctl_member members[CTL_MAX_MEMBERS];
};

struct ctl_dev {
	char name[COUCHE_DEV_NAME_LEN];
	unsigned int major, minor;
	char uuid[40];
	uint64_t len_sectors, extent_sectors;
	uint32_t nr_extents;
	uint64_t meta_used, meta_total;
	uint32_t flags;		/* enum couche_dev_flags */
	uint32_t params[COUCHE_PARAM_A_MAX + 1];
	int nr_tiers;
	struct ctl_tier tiers[COUCHE_MAX_TIERS];
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

int ctl_dev_get(struct ctl_nl *nl, const char *dev, struct ctl_dev *d);
int ctl_dev_list(struct ctl_nl *nl, struct ctl_dev **list, int *n);
int ctl_dev_from_msg(struct nl_msg *msg, struct ctl_dev *d);
int ctl_dev_tier(const struct ctl_dev *d, const char *s);
const char *ctl_tier_name(const struct ctl_dev *d, int tier);
struct json_object *ctl_dev_json(const struct ctl_dev *d);
void ctl_dev_print(const struct ctl_dev *d);

#endif /* COUCHESTORCTL_DEV_H */
