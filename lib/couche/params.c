// SPDX-License-Identifier: GPL-2.0
/* libcouche: the SET_PARAMS keys by name, as the table line spells them. */
#include <string.h>
#include <linux/dm-couche.h>

#include "params.h"

static const char *const param_names[] = {
	[COUCHE_PARAM_A_MAX_MIGRATIONS] = "max_migrations",
	[COUCHE_PARAM_A_MIGRATION_MBPS] = "migration_mbps",
	[COUCHE_PARAM_A_HEAT_HALFLIFE_S] = "heat_halflife_s",
	[COUCHE_PARAM_A_CACHE_MB] = "cache_mb",
	[COUCHE_PARAM_A_RESERVE_PCT] = "reserve_pct",
};

int couche_param_attr(const char *key)
{
	int i;

	for (i = 1; i <= COUCHE_PARAM_A_MAX; i++)
		if (param_names[i] && !strcmp(key, param_names[i]))
			return i;
	return -1;
}

const char *couche_param_name(int attr)
{
	return attr > 0 && attr <= COUCHE_PARAM_A_MAX ? param_names[attr] : NULL;
}
