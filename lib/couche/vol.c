// SPDX-License-Identifier: GPL-2.0
/*
 * libcouche: GET_DEVICE replies parsed into struct couche_vol, one volume
 * or all of them, and a volume's tiers looked up by name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vol.h"

static void copy_str(char *dst, size_t len, struct nlattr *a)
{
	if (a)
		snprintf(dst, len, "%s", nla_get_string(a));
}

static uint64_t get_u64(struct nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

static uint32_t get_u32(struct nlattr *a)
{
	return a ? nla_get_u32(a) : 0;
}

static void parse_members(struct couche_vol_tier *t, struct nlattr *members)
{
	struct nlattr *m, *tb[COUCHE_MEMBER_A_MAX + 1];
	int rem;

	nla_for_each_nested(m, members, rem) {
		if (t->nr_members >= COUCHE_VOL_MAX_MEMBERS ||
		    nla_parse_nested(tb, COUCHE_MEMBER_A_MAX, m, couche_nl_member_policy))
			continue;
		copy_str(t->members[t->nr_members].dev, sizeof(t->members[0].dev),
			 tb[COUCHE_MEMBER_A_DEV]);
		t->members[t->nr_members].state = tb[COUCHE_MEMBER_A_STATE] ?
			nla_get_u8(tb[COUCHE_MEMBER_A_STATE]) : COUCHE_MEMBER_DEAD;
		t->members[t->nr_members].read_errors = get_u64(tb[COUCHE_MEMBER_A_READ_ERRORS]);
		if (t->members[t->nr_members].state == COUCHE_MEMBER_REBUILDING)
			t->rebuilding = 1;
		t->nr_members++;
	}
}

static int parse_tier(struct couche_vol *d, struct nlattr *nest)
{
	struct nlattr *tb[COUCHE_TIER_A_MAX + 1];
	struct couche_vol_tier *t;
	int i;

	if (nla_parse_nested(tb, COUCHE_TIER_A_MAX, nest, couche_nl_tier_policy) || !tb[COUCHE_TIER_A_INDEX])
		return -EINVAL;
	i = nla_get_u8(tb[COUCHE_TIER_A_INDEX]);
	if (i >= COUCHE_MAX_TIERS)
		return -EINVAL;
	t = &d->tiers[i];
	if (i >= d->nr_tiers)
		d->nr_tiers = i + 1;
	copy_str(t->name, sizeof(t->name), tb[COUCHE_TIER_A_NAME]);
	t->kind = tb[COUCHE_TIER_A_KIND] ? nla_get_u8(tb[COUCHE_TIER_A_KIND]) : 0;
	t->k = get_u32(tb[COUCHE_TIER_A_K]);
	t->chunk_sectors = get_u32(tb[COUCHE_TIER_A_CHUNK_SECTORS]);
	t->slots = get_u32(tb[COUCHE_TIER_A_SLOTS]);
	t->used = get_u32(tb[COUCHE_TIER_A_USED]);
	t->reserve = get_u32(tb[COUCHE_TIER_A_RESERVE]);
	t->wm_high = get_u32(tb[COUCHE_TIER_A_WM_HIGH]);
	t->rebuild_done = get_u32(tb[COUCHE_TIER_A_REBUILD_DONE]);
	if (tb[COUCHE_TIER_A_MEMBERS])
		parse_members(t, tb[COUCHE_TIER_A_MEMBERS]);
	return 0;
}

int couche_vol_from_msg(struct nl_msg *msg, struct couche_vol *d)
{
	struct nlattr *tb[COUCHE_DEV_A_MAX + 1], *p[COUCHE_PARAM_A_MAX + 1], *t;
	int rem, i;

	memset(d, 0, sizeof(*d));
	if (couche_nl_parse(msg, tb) || !tb[COUCHE_DEV_A_NAME])
		return -EINVAL;
	copy_str(d->name, sizeof(d->name), tb[COUCHE_DEV_A_NAME]);
	copy_str(d->uuid, sizeof(d->uuid), tb[COUCHE_DEV_A_UUID]);
	d->major = get_u32(tb[COUCHE_DEV_A_MAJOR]);
	d->minor = get_u32(tb[COUCHE_DEV_A_MINOR]);
	d->len_sectors = get_u64(tb[COUCHE_DEV_A_LEN_SECTORS]);
	d->extent_sectors = get_u64(tb[COUCHE_DEV_A_EXTENT_SECTORS]);
	d->nr_extents = get_u32(tb[COUCHE_DEV_A_NR_EXTENTS]);
	d->meta_used = get_u64(tb[COUCHE_DEV_A_META_USED]);
	d->meta_total = get_u64(tb[COUCHE_DEV_A_META_TOTAL]);
	d->flags = get_u32(tb[COUCHE_DEV_A_FLAGS]);
	d->mig_queued = get_u64(tb[COUCHE_DEV_A_MIG_QUEUED]);
	d->mig_running = get_u32(tb[COUCHE_DEV_A_MIG_RUNNING]);
	d->mig_done = get_u64(tb[COUCHE_DEV_A_MIG_DONE]);
	d->mig_failed = get_u64(tb[COUCHE_DEV_A_MIG_FAILED]);
	d->cache_hits = get_u64(tb[COUCHE_DEV_A_CACHE_HITS]);
	d->cache_misses = get_u64(tb[COUCHE_DEV_A_CACHE_MISSES]);
	d->scrub_running = tb[COUCHE_DEV_A_SCRUB_RUNNING] &&
		nla_get_u8(tb[COUCHE_DEV_A_SCRUB_RUNNING]);
	d->scrub_checked = get_u64(tb[COUCHE_DEV_A_SCRUB_CHECKED]);
	d->scrub_repaired = get_u64(tb[COUCHE_DEV_A_SCRUB_REPAIRED]);
	d->scrub_unrepairable = get_u64(tb[COUCHE_DEV_A_SCRUB_UNREPAIRABLE]);
	d->scrub_total = get_u64(tb[COUCHE_DEV_A_SCRUB_TOTAL]);
	d->events_dropped = get_u64(tb[COUCHE_DEV_A_EVENTS_DROPPED]);
	d->demoted = get_u64(tb[COUCHE_DEV_A_DEMOTED]);
	d->waiting = get_u32(tb[COUCHE_DEV_A_WAITING]);
	d->nospace = get_u64(tb[COUCHE_DEV_A_NOSPACE]);
	d->unmapped = get_u64(tb[COUCHE_DEV_A_UNMAPPED]);
	d->read_corrected = get_u64(tb[COUCHE_DEV_A_READ_CORRECTED]);
	d->read_uncorrectable = get_u64(tb[COUCHE_DEV_A_READ_UNCORRECTABLE]);
	if (tb[COUCHE_DEV_A_PARAMS] &&
	    !nla_parse_nested(p, COUCHE_PARAM_A_MAX, tb[COUCHE_DEV_A_PARAMS], couche_nl_param_policy))
		for (i = 1; i <= COUCHE_PARAM_A_MAX; i++)
			d->params[i] = get_u32(p[i]);
	if (tb[COUCHE_DEV_A_TIERS])
		nla_for_each_nested(t, tb[COUCHE_DEV_A_TIERS], rem)
			if (parse_tier(d, t))
				return -EINVAL;
	return 0;
}

static int one_device(struct nl_msg *msg, void *arg)
{
	return couche_vol_from_msg(msg, arg) ? NL_SKIP : NL_OK;
}

int couche_vol_get(struct couche_nl *nl, const char *dev, struct couche_vol *d)
{
	struct nl_msg *msg = couche_nl_msg(nl, COUCHE_CMD_GET_DEVICE, 0);

	if (!msg)
		return -ENOMEM;
	memset(d, 0, sizeof(*d));
	if (couche_nl_put_dev(msg, dev)) {
		nlmsg_free(msg);
		snprintf(nl->err, sizeof(nl->err), "'%s' is not a volume name or device", dev);
		return -ENODEV;
	}
	return couche_nl_run(nl, msg, one_device, d);
}

struct dev_list {
	struct couche_vol *v;
	int n;
	int err;
};

static int add_device(struct nl_msg *msg, void *arg)
{
	struct dev_list *l = arg;
	struct couche_vol *v = realloc(l->v, sizeof(*v) * (l->n + 1));

	/* Read on to DONE: stopping here would wait for it forever. */
	if (!v) {
		l->err = -ENOMEM;
		return NL_SKIP;
	}
	l->v = v;
	if (!couche_vol_from_msg(msg, &v[l->n]))
		l->n++;
	return NL_OK;
}

int couche_vol_list(struct couche_nl *nl, struct couche_vol **list, int *n)
{
	struct dev_list l = { 0 };
	struct nl_msg *msg = couche_nl_msg(nl, COUCHE_CMD_GET_DEVICE, NLM_F_DUMP);
	int r;

	if (!msg)
		return -ENOMEM;
	r = couche_nl_run(nl, msg, add_device, &l);
	if (!r)
		r = l.err;
	*list = l.v;
	*n = l.n;
	return r;
}

/* A tier by name or index; -1 if the volume has none such. */
int couche_vol_tier_index(const struct couche_vol *d, const char *s)
{
	char *end;
	long i;

	for (i = 0; i < d->nr_tiers; i++)
		if (!strcmp(d->tiers[i].name, s))
			return i;
	i = strtol(s, &end, 10);
	if (*s && !*end && i >= 0 && i < d->nr_tiers)
		return i;
	return -1;
}

const char *couche_vol_tier_name(const struct couche_vol *d, int tier)
{
	return tier >= 0 && tier < d->nr_tiers ? d->tiers[tier].name : "-";
}
