// SPDX-License-Identifier: GPL-2.0
/*
 * dm-couche argument parsing shared by the table line and messages.
 */
#include <linux/kernel.h>
#include <linux/string.h>

#include "couche.h"

/* "<first>" or "<first>-<last>", both below nr_extents, first <= last. */
int couche_parse_range(const char *s, u32 nr_extents, u32 *first, u32 *last)
{
	char buf[24];
	char *dash;

	if (strscpy(buf, s, sizeof(buf)) < 0)
		return -EINVAL;
	dash = strchr(buf, '-');
	if (dash)
		*dash++ = '\0';
	if (kstrtou32(buf, 10, first))
		return -EINVAL;
	if (!dash)
		*last = *first;
	else if (kstrtou32(dash, 10, last))
		return -EINVAL;
	if (*first > *last)
		return -EINVAL;
	if (*last >= nr_extents)
		return -ERANGE;
	return 0;
}

struct couche_num_feature {
	const char *name;
	size_t offset;
	u32 min, max;
};

#define NUM_FEATURE(n, lo, hi) { #n, offsetof(struct couche_params, n), lo, hi }

static const struct couche_num_feature num_features[] = {
	NUM_FEATURE(cache_mb, 0, 0),
	NUM_FEATURE(max_migrations, 1, 64),
	NUM_FEATURE(migration_mbps, 0, 100000),
	NUM_FEATURE(heat_halflife_s, 1, 604800),
	NUM_FEATURE(reserve_pct, 0, 50),
};

static const struct couche_num_feature *find_num_feature(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(num_features); i++)
		if (!strcasecmp(name, num_features[i].name))
			return &num_features[i];
	return NULL;
}

/* Sets one runtime knob by name; used by the table and the "set" message. */
int couche_set_param(struct couche_params *p, const char *name,
		     const char *value, char **error)
{
	const struct couche_num_feature *f = find_num_feature(name);
	u32 v;

	if (!f) {
		*error = "Unknown feature";
		return -EINVAL;
	}
	if (kstrtou32(value, 10, &v)) {
		*error = "Feature value is not a number";
		return -EINVAL;
	}
	if (v < f->min || v > f->max) {
		*error = f->max ? "Feature value out of range" :
			"cache_mb: the RAM read cache is not available yet, use 0";
		return -ERANGE;
	}
	*(u32 *)((char *)p + f->offset) = v;
	return 0;
}

int couche_parse_features(struct dm_arg_set *as, struct couche_params *p,
			  char **error)
{
	static const struct dm_arg group = {
		0, 2 * ARRAY_SIZE(num_features) + 2,
		"Invalid number of feature arguments"
	};
	unsigned int argc;
	const char *name;
	int r;

	if (!as->argc)
		return 0;
	r = dm_read_arg_group(&group, as, &argc, error);
	if (r)
		return r;
	while (argc) {
		name = dm_shift_arg(as);
		argc--;
		if (!strcasecmp(name, "discard_passdown")) {
			p->discard_passdown = true;
		} else if (!strcasecmp(name, "read_only")) {
			p->read_only = true;
		} else if (find_num_feature(name)) {
			if (!argc) {
				*error = "Feature needs a value";
				return -EINVAL;
			}
			r = couche_set_param(p, name, dm_shift_arg(as), error);
			argc--;
			if (r)
				return r;
		} else {
			*error = "Unknown feature";
			return -EINVAL;
		}
	}
	return 0;
}

/* A tier by name, or by index; -EINVAL if neither. */
int couche_parse_tier_name(struct couche *c, const char *s)
{
	unsigned int t;

	for (t = 0; t < c->nr_tiers; t++)
		if (!strcmp(s, c->tiers[t].name))
			return t;
	if (!kstrtouint(s, 10, &t) && t < c->nr_tiers)
		return t;
	return -EINVAL;
}
