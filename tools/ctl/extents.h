/* SPDX-License-Identifier: GPL-2.0 */
/* couchestorctl: GET_EXTENTS, shared by extents and the --wait commands. */
#ifndef COUCHESTORCTL_EXTENTS_H
#define COUCHESTORCTL_EXTENTS_H

#include <stdint.h>
#include <linux/dm-couche.h>

#include "nl.h"

struct ctl_extents_req {
	const char *dev;
	int has_range;
	uint32_t first, last;
	int tier;		/* filter, or -1 */
	uint32_t top, bottom;	/* 0: not asked */
	int written;		/* only extents written at least once */
};

struct ctl_extents {
	struct couche_extent_info *v;
	size_t n, cap;
	uint64_t messages, bytes;	/* what the dump cost */
	int retries;
	int interrupted;	/* the map changed during every try */
};

int ctl_extents_get(struct ctl_nl *nl, const struct ctl_extents_req *req,
		    struct ctl_extents *out);
void ctl_extents_free(struct ctl_extents *x);

#endif /* COUCHESTORCTL_EXTENTS_H */
