/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcouche: the GET_EXTENTS dump, record by record (couche_extents_walk)
 * or collected into one array (couche_extents_get).
 */
#ifndef LIBCOUCHE_EXTENTS_H
#define LIBCOUCHE_EXTENTS_H

#include <stdint.h>
#include <linux/dm-couche.h>

#include "nl.h"

struct couche_extents_req {
	const char *dev;	/* DEV, as couche_parse_dev() takes it */
	const char *name;	/* or exactly this dm name */
	int has_range;
	uint32_t first, last;
	int tier;		/* filter, or -1 */
	uint32_t top, bottom;	/* 0: not asked */
	int written;		/* only extents written at least once */
};

/* One record of the dump; nonzero stops the walk (it returns -ECANCELED). */
typedef int (*couche_extent_fn)(const struct couche_extent_info *x, void *arg);

struct couche_extents_walk {
	couche_extent_fn fn;
	void *arg;
	uint64_t messages, bytes;	/* what the dump cost */
};

/*
 * One reply of the dump, @fn for each of its records: 0, -EINVAL if it
 * carries none, or -ECANCELED if @fn stopped.
 */
int couche_extents_parse(struct nl_msg *msg, couche_extent_fn fn, void *arg);

/*
 * One dump, @w->fn for every record.  -EINTR if the map changed during
 * it: every extent still came once, as it was at some moment.
 */
int couche_extents_walk(struct couche_nl *nl, const struct couche_extents_req *req,
			struct couche_extents_walk *w);

struct couche_extents {
	struct couche_extent_info *v;
	size_t n, cap;
	uint64_t messages, bytes;	/* what the dump cost */
	int retries;
	int interrupted;	/* the map changed during every try */
};

/* Every record into @out, a dump interrupted by a change started again a few times. */
int couche_extents_get(struct couche_nl *nl, const struct couche_extents_req *req,
		       struct couche_extents *out);
void couche_extents_free(struct couche_extents *x);

#endif /* LIBCOUCHE_EXTENTS_H */
