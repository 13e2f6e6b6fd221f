// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord agent metrics: declared once, refilled after each cycle.
 * Per-volume families are cleared and filled again under the registry's
 * lock, so a scrape never sees half a cycle and gone volumes disappear.
 * Counters the kernel keeps (migrations, cache) are mirrored from it.
 */
#include <math.h>
#include <stdio.h>

#include "agent.h"
#include "agent_metrics.h"
#include "metrics.h"

#define VERSION "0.1.0"

static const double cycle_bounds[] = { 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
static const double iops_bounds[] = { 0.1, 1, 10, 100, 1000 };

static const char *const per_volume[] = {
	"couchestor_tier_slots", "couchestor_tier_used_extents", "couchestor_tier_free_extents",
	"couchestor_extents_by_iops", "couchestor_migrations_completed_total",
	"couchestor_migrations_failed_total",
	"couchestor_migrations_pending", "couchestor_migrations_issued_total",
	"couchestor_extents_misplaced", "couchestor_member_healthy",
	"couchestor_cache_hits_total", "couchestor_cache_misses_total",
	"couchestor_events_dropped_total", "couchestor_volume_degraded",
	"couchestor_kernel_demotions_total", "couchestor_writes_waiting_for_room",
	"couchestor_writes_nospace_total", "couchestor_extents_unmapped_total",
	"couchestor_tier_free_low_watermark", "couchestor_member_read_errors_corrected_total",
	"couchestor_read_errors_uncorrectable_total", "couchestor_tier_managed",
};

int cs_agent_metrics_declare(struct cs_metrics *m)
{
	int r = 0;

	r |= cs_metrics_gauge(m, "couchestor_agent_info", "The agent's node and version.",
			      CS_L("node", "version"));
	r |= cs_metrics_gauge(m, "couchestor_kernel_connected",
			      "1 while the agent talks to dm-couche over netlink.", NULL);
	r |= cs_metrics_gauge(m, "couchestor_volumes", "dm-couche volumes on this node.", NULL);
	r |= cs_metrics_gauge(m, "couchestor_tier_slots", "Extents a tier can hold.",
			      CS_L("volume", "tier"));
	r |= cs_metrics_gauge(m, "couchestor_tier_used_extents", "Extents a tier holds.",
			      CS_L("volume", "tier"));
	r |= cs_metrics_gauge(m, "couchestor_tier_free_extents",
			      "Free extents of a tier, its reserve included.",
			      CS_L("volume", "tier"));
	r |= cs_metrics_gauge(m, "couchestor_extents_by_iops",
			      "Written extents at or below each IOPS bound (a gauge histogram of "
			      "the last cycle).", CS_L("volume", "le"));
	r |= cs_metrics_counter(m, "couchestor_migrations_completed_total",
				"Migrations the kernel completed since the module loaded.",
				CS_L("volume"));
	r |= cs_metrics_counter(m, "couchestor_migrations_failed_total",
				"Migrations the kernel gave up since the module loaded.",
				CS_L("volume"));
	r |= cs_metrics_gauge(m, "couchestor_migrations_pending",
			      "Extents queued or moving in the kernel.", CS_L("volume"));
	r |= cs_metrics_counter(m, "couchestor_migrations_issued_total",
				"Moves the agent asked for.", CS_L("volume", "direction"));
	r |= cs_metrics_gauge(m, "couchestor_extents_misplaced",
			      "Extents the policy wants elsewhere, before batch and cooldown.",
			      CS_L("volume", "direction"));
	r |= cs_metrics_gauge(m, "couchestor_member_healthy",
			      "1 alive and in sync, 0 dead or rebuilding.",
			      CS_L("volume", "tier", "member", "dev"));
	r |= cs_metrics_counter(m, "couchestor_member_read_errors_corrected_total",
				"raid6 read errors rewritten from parity; past 20 within hours the "
				"kernel fails the member: replace the disk.",
				CS_L("volume", "tier", "member", "dev"));
	r |= cs_metrics_counter(m, "couchestor_read_errors_uncorrectable_total",
				"raid6 reads failed with more members unreadable than parity covers.",
				CS_L("volume"));
	r |= cs_metrics_gauge(m, "couchestor_volume_degraded",
			      "1 if a member of the volume is dead or rebuilding.", CS_L("volume"));
	r |= cs_metrics_counter(m, "couchestor_cache_hits_total", "Read cache hits.",
				CS_L("volume"));
	r |= cs_metrics_counter(m, "couchestor_cache_misses_total", "Read cache misses.",
				CS_L("volume"));
	r |= cs_metrics_counter(m, "couchestor_events_dropped_total",
				"Kernel events lost to a full queue.", CS_L("volume"));
	r |= cs_metrics_counter(m, "couchestor_kernel_demotions_total",
				"Extents the kernel moved down on its own to keep free slots in "
				"a tier (not asked by the agent).", CS_L("volume"));
	r |= cs_metrics_gauge(m, "couchestor_writes_waiting_for_room",
			      "Writes the kernel holds until a demotion frees a slot.",
			      CS_L("volume"));
	r |= cs_metrics_counter(m, "couchestor_writes_nospace_total",
				"Writes failed with ENOSPC: no tier could make room.",
				CS_L("volume"));
	r |= cs_metrics_counter(m, "couchestor_extents_unmapped_total",
				"Extents freed by discards (fstrim).", CS_L("volume"));
	r |= cs_metrics_gauge(m, "couchestor_tier_managed",
			      "1 if the config names the tier (the agent moves extents in and out "
			      "of it), 0 if it is left alone.", CS_L("volume", "tier"));
	r |= cs_metrics_gauge(m, "couchestor_tier_free_low_watermark",
			      "Free extents below which the kernel demotes from a linear tier; "
			      "the agent never fills a tier past it.", CS_L("volume", "tier"));
	r |= cs_metrics_histogram(m, "couchestor_policy_cycle_seconds",
				  "Time of one policy cycle over every volume.", NULL,
				  cycle_bounds, sizeof(cycle_bounds) / sizeof(cycle_bounds[0]));
	r |= cs_metrics_gauge(m, "couchestor_kube_api_up",
			      "1 if the Kubernetes API answers (or the agent runs without one).",
			      NULL);
	r |= cs_metrics_gauge(m, "couchestor_prometheus_up",
			      "1 if the last Prometheus query worked (or none is configured).",
			      NULL);
	r |= cs_metrics_counter(m, "couchestor_config_reloads_total",
				"Configuration reloads (SIGHUP) by result.", CS_L("result"));
	return r ? -1 : 0;
}

static void tier_metrics(struct cs_metrics *m, const struct cs_vol *v)
{
	char member[8];
	int t, i;

	for (t = 0; t < v->dev.nr_tiers; t++) {
		const struct couche_vol_tier *ti = &v->dev.tiers[t];

		cs_metrics_set(m, "couchestor_tier_slots", CS_L(v->name, ti->name), ti->slots);
		cs_metrics_set(m, "couchestor_tier_used_extents", CS_L(v->name, ti->name),
			       ti->used);
		cs_metrics_set(m, "couchestor_tier_free_extents", CS_L(v->name, ti->name),
			       ti->slots - ti->used);
		cs_metrics_set(m, "couchestor_tier_managed", CS_L(v->name, ti->name),
			       !(v->unmanaged & (1u << t)));
		if (ti->kind != COUCHE_TIER_RAID6)
			cs_metrics_set(m, "couchestor_tier_free_low_watermark",
				       CS_L(v->name, ti->name), ti->reserve);
		for (i = 0; i < ti->nr_members; i++) {
			snprintf(member, sizeof(member), "%d", i);
			cs_metrics_set(m, "couchestor_member_healthy",
				       CS_L(v->name, ti->name, member, ti->members[i].dev),
				       ti->members[i].state == COUCHE_MEMBER_ALIVE);
			if (ti->kind == COUCHE_TIER_RAID6)
				cs_metrics_set(m, "couchestor_member_read_errors_corrected_total",
					       CS_L(v->name, ti->name, member, ti->members[i].dev),
					       ti->members[i].read_errors);
		}
	}
}

static void iops_metrics(struct cs_metrics *m, const struct cs_vol *v)
{
	size_t nb = sizeof(iops_bounds) / sizeof(iops_bounds[0]), b;
	double halflife = v->dev.params[COUCHE_PARAM_A_HEAT_HALFLIFE_S] ?: 300;
	uint64_t count[sizeof(iops_bounds) / sizeof(iops_bounds[0]) + 1] = { 0 };
	char le[32];
	uint32_t i;

	for (i = 0; i < v->nr; i++) {
		double iops;

		if (!(v->flags[i] & COUCHE_EXTENT_F_MAPPED))
			continue;
		iops = (double)v->heat[i] / COUCHE_HEAT_SCALE * M_LN2 / halflife;
		for (b = 0; b < nb && iops > iops_bounds[b]; b++)
			;
		count[b]++;
	}
	for (b = 1; b <= nb; b++)
		count[b] += count[b - 1];
	for (b = 0; b <= nb; b++) {
		if (b < nb)
			snprintf(le, sizeof(le), "%g", iops_bounds[b]);
		else
			snprintf(le, sizeof(le), "+Inf");
		cs_metrics_set(m, "couchestor_extents_by_iops", CS_L(v->name, le), count[b]);
	}
}

static void volume_metrics(struct cs_metrics *m, const struct cs_vol *v)
{
	const struct couche_vol *d = &v->dev;

	tier_metrics(m, v);
	iops_metrics(m, v);
	cs_metrics_set(m, "couchestor_migrations_completed_total", CS_L(v->name), d->mig_done);
	cs_metrics_set(m, "couchestor_migrations_failed_total", CS_L(v->name), d->mig_failed);
	cs_metrics_set(m, "couchestor_migrations_pending", CS_L(v->name),
		       d->mig_queued + d->mig_running);
	cs_metrics_set(m, "couchestor_migrations_issued_total", CS_L(v->name, "up"),
		       v->moved_up);
	cs_metrics_set(m, "couchestor_migrations_issued_total", CS_L(v->name, "down"),
		       v->moved_down);
	cs_metrics_set(m, "couchestor_extents_misplaced", CS_L(v->name, "up"), v->want_up);
	cs_metrics_set(m, "couchestor_extents_misplaced", CS_L(v->name, "down"), v->want_down);
	cs_metrics_set(m, "couchestor_cache_hits_total", CS_L(v->name), d->cache_hits);
	cs_metrics_set(m, "couchestor_cache_misses_total", CS_L(v->name), d->cache_misses);
	cs_metrics_set(m, "couchestor_events_dropped_total", CS_L(v->name), d->events_dropped);
	cs_metrics_set(m, "couchestor_volume_degraded", CS_L(v->name),
		       !!(d->flags & COUCHE_DEV_F_DEGRADED));
	cs_metrics_set(m, "couchestor_kernel_demotions_total", CS_L(v->name), d->demoted);
	cs_metrics_set(m, "couchestor_writes_waiting_for_room", CS_L(v->name), d->waiting);
	cs_metrics_set(m, "couchestor_writes_nospace_total", CS_L(v->name), d->nospace);
	cs_metrics_set(m, "couchestor_extents_unmapped_total", CS_L(v->name), d->unmapped);
	cs_metrics_set(m, "couchestor_read_errors_uncorrectable_total", CS_L(v->name),
		       d->read_uncorrectable);
}

void cs_agent_metrics_publish(struct cs_metrics *m, const struct cs_agent *a, bool cycled)
{
	size_t i;
	int v;

	cs_metrics_lock(m);
	cs_metrics_set(m, "couchestor_agent_info", CS_L(a->node, VERSION), 1);
	cs_metrics_set(m, "couchestor_kernel_connected", NULL, a->k.up);
	cs_metrics_set(m, "couchestor_volumes", NULL, a->nr_vols);
	cs_metrics_set(m, "couchestor_prometheus_up", NULL, a->prom_up);
	for (i = 0; i < sizeof(per_volume) / sizeof(per_volume[0]); i++)
		cs_metrics_clear(m, per_volume[i]);
	for (v = 0; v < a->nr_vols; v++)
		volume_metrics(m, &a->vols[v]);
	if (cycled)
		cs_metrics_observe(m, "couchestor_policy_cycle_seconds", NULL, a->last_cycle_s);
	cs_metrics_unlock(m);
}
