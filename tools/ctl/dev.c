// SPDX-License-Identifier: GPL-2.0
/* couchestorctl: a volume shown as text or JSON. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "couche/params.h"
#include "ctl.h"
#include "dev.h"
#include "output.h"

static const char *state_name(int s)
{
	return s == COUCHE_MEMBER_ALIVE ? "alive" : s == COUCHE_MEMBER_REBUILDING ?
		"rebuilding" : "dead";
}

static char state_char(int s)
{
	return s == COUCHE_MEMBER_ALIVE ? 'A' : s == COUCHE_MEMBER_REBUILDING ? 'a' : 'D';
}

static const char *health(const struct couche_vol *d)
{
	if (d->flags & COUCHE_DEV_F_META_FAILED)
		return "metadata failed, read-only";
	if (d->flags & COUCHE_DEV_F_READ_ONLY)
		return "read-only";
	if (d->flags & COUCHE_DEV_F_DEGRADED)
		return "degraded";
	if (d->flags & COUCHE_DEV_F_SUSPENDED)
		return "suspended";
	return "ok";
}

#define JADD(o, k, v) json_object_object_add(o, k, v)

static struct json_object *tier_json(const struct couche_vol *d, const struct couche_vol_tier *t)
{
	struct json_object *o = json_object_new_object(), *m = json_object_new_array();
	int i;

	JADD(o, "name", json_object_new_string(t->name));
	JADD(o, "kind", json_object_new_string(t->kind == COUCHE_TIER_RAID6 ? "raid6" :
					       "linear"));
	if (t->kind == COUCHE_TIER_RAID6) {
		JADD(o, "k", json_object_new_int(t->k));
		JADD(o, "chunk_sectors", json_object_new_int(t->chunk_sectors));
	}
	JADD(o, "slots", json_object_new_int64(t->slots));
	JADD(o, "used", json_object_new_int64(t->used));
	JADD(o, "reserve", json_object_new_int64(t->reserve));
	if (t->kind != COUCHE_TIER_RAID6) {
		struct json_object *wm = json_object_new_object();

		JADD(wm, "low", json_object_new_int64(t->reserve));
		JADD(wm, "high", json_object_new_int64(t->wm_high));
		JADD(o, "free_watermarks", wm);
	}
	JADD(o, "size_bytes", json_object_new_int64((int64_t)t->slots * d->extent_sectors * 512));
	JADD(o, "used_bytes", json_object_new_int64((int64_t)t->used * d->extent_sectors * 512));
	for (i = 0; i < t->nr_members; i++) {
		struct json_object *x = json_object_new_object();

		JADD(x, "dev", json_object_new_string(t->members[i].dev));
		JADD(x, "state", json_object_new_string(state_name(t->members[i].state)));
		JADD(x, "read_errors_corrected", json_object_new_int64(t->members[i].read_errors));
		json_object_array_add(m, x);
	}
	JADD(o, "members", m);
	if (t->rebuilding) {
		struct json_object *r = json_object_new_object();

		JADD(r, "done_slots", json_object_new_int64(t->rebuild_done));
		JADD(r, "total_slots", json_object_new_int64(t->slots));
		JADD(o, "rebuild", r);
	}
	return o;
}

struct json_object *ctl_dev_json(const struct couche_vol *d)
{
	struct json_object *o = json_object_new_object();
	struct json_object *tiers = json_object_new_array();
	struct json_object *mig = json_object_new_object();
	struct json_object *scrub = json_object_new_object();
	struct json_object *params = json_object_new_object();
	struct json_object *meta = json_object_new_object();
	struct json_object *cache = json_object_new_object();
	struct json_object *space = json_object_new_object();
	struct json_object *rerr = json_object_new_object();
	char dev[32];
	int i;

	snprintf(dev, sizeof(dev), "%u:%u", d->major, d->minor);
	JADD(o, "name", json_object_new_string(d->name));
	JADD(o, "dev", json_object_new_string(dev));
	JADD(o, "uuid", json_object_new_string(d->uuid));
	JADD(o, "health", json_object_new_string(health(d)));
	JADD(o, "read_only", json_object_new_boolean(!!(d->flags & (COUCHE_DEV_F_READ_ONLY |
								  COUCHE_DEV_F_META_FAILED))));
	JADD(o, "degraded", json_object_new_boolean(!!(d->flags & COUCHE_DEV_F_DEGRADED)));
	JADD(o, "suspended", json_object_new_boolean(!!(d->flags & COUCHE_DEV_F_SUSPENDED)));
	JADD(o, "size_bytes", json_object_new_int64((int64_t)d->len_sectors * 512));
	JADD(o, "extent_sectors", json_object_new_int64(d->extent_sectors));
	JADD(o, "extents", json_object_new_int64(d->nr_extents));
	JADD(meta, "used_blocks", json_object_new_int64(d->meta_used));
	JADD(meta, "total_blocks", json_object_new_int64(d->meta_total));
	JADD(o, "metadata", meta);
	for (i = 0; i < d->nr_tiers; i++)
		json_object_array_add(tiers, tier_json(d, &d->tiers[i]));
	JADD(o, "tiers", tiers);
	JADD(mig, "queued", json_object_new_int64(d->mig_queued));
	JADD(mig, "running", json_object_new_int64(d->mig_running));
	JADD(mig, "done", json_object_new_int64(d->mig_done));
	JADD(mig, "failed", json_object_new_int64(d->mig_failed));
	JADD(o, "migrations", mig);
	JADD(cache, "hits", json_object_new_int64(d->cache_hits));
	JADD(cache, "misses", json_object_new_int64(d->cache_misses));
	JADD(o, "cache", cache);
	JADD(scrub, "running", json_object_new_boolean(d->scrub_running));
	JADD(scrub, "checked", json_object_new_int64(d->scrub_checked));
	JADD(scrub, "total", json_object_new_int64(d->scrub_total));
	JADD(scrub, "repaired", json_object_new_int64(d->scrub_repaired));
	JADD(scrub, "unrepairable", json_object_new_int64(d->scrub_unrepairable));
	JADD(o, "scrub", scrub);
	JADD(o, "events_dropped", json_object_new_int64(d->events_dropped));
	JADD(space, "demoted", json_object_new_int64(d->demoted));
	JADD(space, "waiting_writes", json_object_new_int64(d->waiting));
	JADD(space, "nospace_errors", json_object_new_int64(d->nospace));
	JADD(space, "unmapped", json_object_new_int64(d->unmapped));
	JADD(o, "space", space);
	JADD(rerr, "corrected", json_object_new_int64(d->read_corrected));
	JADD(rerr, "uncorrectable", json_object_new_int64(d->read_uncorrectable));
	JADD(o, "read_errors", rerr);
	for (i = 1; i <= COUCHE_PARAM_A_MAX; i++)
		JADD(params, couche_param_name(i), json_object_new_int64(d->params[i]));
	JADD(o, "params", params);
	return o;
}

static void print_tiers(const struct couche_vol *d)
{
	static const char *const head[] = {
		"tier", "kind", "used", "slots", "use", "size", "free low/high", "members"
	};
	static const bool right[] = { 0, 0, 1, 1, 1, 1, 1, 0 };
	char kind[48], used[16], slots[16], pct[8], size[24], reserve[16], members[512];
	const char *row[8] = { NULL, kind, used, slots, pct, size, reserve, members };
	struct ctl_table tab;
	int i, m, n;

	if (ctl_table_init(&tab, 8, head, right))
		return;
	for (i = 0; i < d->nr_tiers; i++) {
		const struct couche_vol_tier *t = &d->tiers[i];

		row[0] = t->name;
		if (t->kind == COUCHE_TIER_RAID6)
			snprintf(kind, sizeof(kind), "raid6 %u+2, %s chunks", t->k,
				 ctl_fmt_size(size, sizeof(size), (uint64_t)t->chunk_sectors * 512));
		else
			snprintf(kind, sizeof(kind), "linear");
		snprintf(used, sizeof(used), "%u", t->used);
		snprintf(slots, sizeof(slots), "%u", t->slots);
		snprintf(pct, sizeof(pct), "%u%%", t->slots ? (unsigned int)((uint64_t)t->used *
									    100 / t->slots) : 0);
		ctl_fmt_size(size, sizeof(size), (uint64_t)t->slots * d->extent_sectors * 512);
		if (t->kind == COUCHE_TIER_RAID6)
			snprintf(reserve, sizeof(reserve), "-");
		else
			snprintf(reserve, sizeof(reserve), "%u/%u", t->reserve, t->wm_high);
		n = 0;
		for (m = 0; m < t->nr_members && n < (int)sizeof(members) - 40; m++)
			n += snprintf(members + n, sizeof(members) - n, "%s%c:%s", m ? " " : "",
				      state_char(t->members[m].state), t->members[m].dev);
		ctl_table_add(&tab, row);
	}
	ctl_table_print(&tab, stdout, "  ");
	ctl_table_free(&tab);
}

void ctl_dev_print(const struct couche_vol *d)
{
	char size[24], ext[24], bar[96];
	int i;

	printf("%s (%u:%u): %s in %u extents of %s, %s\n", d->name, d->major, d->minor,
	       ctl_fmt_size(size, sizeof(size), d->len_sectors * 512), d->nr_extents,
	       ctl_fmt_size(ext, sizeof(ext), d->extent_sectors * 512), health(d));
	printf("  uuid %s, metadata %llu of %llu blocks\n", d->uuid,
	       (unsigned long long)d->meta_used, (unsigned long long)d->meta_total);
	print_tiers(d);
	printf("  migrations: %llu queued, %u running, %llu done, %llu failed\n",
	       (unsigned long long)d->mig_queued, d->mig_running,
	       (unsigned long long)d->mig_done, (unsigned long long)d->mig_failed);
	printf("  space: %llu extents demoted to make room, %u writes waiting for room, %llu failed (ENOSPC), %llu extents unmapped by discards\n",
	       (unsigned long long)d->demoted, d->waiting, (unsigned long long)d->nospace,
	       (unsigned long long)d->unmapped);
	printf("  scrub: %s, %llu of %llu stripes checked, %llu repaired, %llu unrepairable\n",
	       d->scrub_running ? "running" : "idle", (unsigned long long)d->scrub_checked,
	       (unsigned long long)d->scrub_total, (unsigned long long)d->scrub_repaired,
	       (unsigned long long)d->scrub_unrepairable);
	if (d->read_corrected || d->read_uncorrectable) {
		printf("  read errors: %llu rewritten from parity, %llu beyond parity (I/O errors);",
		       (unsigned long long)d->read_corrected,
		       (unsigned long long)d->read_uncorrectable);
		for (i = 0; i < d->nr_tiers; i++) {
			const struct couche_vol_tier *t = &d->tiers[i];
			int m;

			for (m = 0; m < t->nr_members; m++)
				if (t->members[m].read_errors)
					printf(" %s member %d (%s): %llu", t->name, m,
					       t->members[m].dev,
					       (unsigned long long)t->members[m].read_errors);
		}
		printf("\n");
	}
	printf("  params:");
	for (i = 1; i <= COUCHE_PARAM_A_MAX; i++)
		printf(" %s=%u", couche_param_name(i), d->params[i]);
	printf("\n");
	for (i = 0; i < d->nr_tiers; i++)
		if (d->tiers[i].rebuilding)
			printf("  rebuilding %s: %s slots\n", d->tiers[i].name,
			       ctl_fmt_bar(bar, sizeof(bar), d->tiers[i].rebuild_done,
					   d->tiers[i].slots, 30));
	if (d->flags & COUCHE_DEV_F_META_FAILED)
		printf("  a metadata commit failed: the volume is read-only; check the metadata "
		       "device, then reload the table\n");
}
