// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord agent: every policy interval, for each dm-couche volume on
 * the node, read the extents' heat, plan with the policy core and push the
 * moves as MIGRATE requests.  Volumes come and go with the dump; the module
 * going away closes the sockets, and the next cycle reconnects.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "agent.h"
#include "agent_kube.h"
#include "cron.h"
#include "log.h"
#include "promclient.h"
#include "promworker.h"
#include "state.h"

/* SIGTERM or SIGINT waiting (they are blocked, for the signalfd). */
bool cs_agent_stop_pending(void)
{
	sigset_t set;

	return !sigpending(&set) && (sigismember(&set, SIGTERM) == 1 ||
				     sigismember(&set, SIGINT) == 1);
}

int cs_agent_init(struct cs_agent *a, const struct cs_config *cfg, const char *node)
{
	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	snprintf(a->node, sizeof(a->node), "%s", node);
	a->prom_up = true;
	return 0;
}

static void vol_free(struct cs_vol *v)
{
	free(v->intent.cfg);
	free(v->pending);
	free(v->heat);
	free(v->tier);
	free(v->flags);
	free(v->vs.last_move);
	memset(v, 0, sizeof(*v));
}

/*
 * Arrays for @nr extents (at least one: realloc(p, 0) frees); a grown
 * volume keeps its move history.  New extents start unwritten and cold.
 */
static int vol_size(struct cs_vol *v, uint32_t nr)
{
	size_t n = nr ? nr : 1;
	uint32_t *heat = realloc(v->heat, sizeof(*heat) * n);
	uint8_t *tier = heat ? realloc(v->tier, n) : NULL;
	uint8_t *flags = tier ? realloc(v->flags, n) : NULL;
	uint32_t *lm = flags ? realloc(v->vs.last_move, sizeof(*lm) * n) : NULL;

	if (heat)
		v->heat = heat;
	if (tier)
		v->tier = tier;
	if (flags)
		v->flags = flags;
	if (lm)
		v->vs.last_move = lm;
	if (!lm)
		return -ENOMEM;
	if (nr > v->nr) {
		memset(v->heat + v->nr, 0, sizeof(*heat) * (nr - v->nr));
		memset(v->tier + v->nr, COUCHE_TIER_NONE, nr - v->nr);
		memset(v->flags + v->nr, 0, nr - v->nr);
		memset(lm + v->nr, 0, sizeof(*lm) * (nr - v->nr));
	}
	v->vs.nr_extents = nr;
	v->nr = nr;
	return 0;
}

/* The volume's moves within the cooldown, from the state directory. */
static void load_history(struct cs_agent *a, struct cs_vol *v, uint32_t now)
{
	char err[600], n[16];
	int r;

	if (!a->state_dir[0] || !v->dev.uuid[0])
		return;
	r = cs_state_load(a->state_dir, v->dev.uuid, v->vs.last_move, v->nr, now, err,
			  sizeof(err));
	if (r < 0) {
		cs_log(CS_WARN, "move history unreadable: cooldowns start afresh", "volume",
		       v->name, "error", err, NULL);
	} else if (r) {
		snprintf(n, sizeof(n), "%d", r);
		cs_log(CS_INFO, "move history loaded: their cooldowns go on", "volume", v->name,
		       "extents", n, NULL);
	}
}

const struct cs_config *cs_vol_config(const struct cs_agent *a, const struct cs_vol *v)
{
	return v->intent.cfg ? v->intent.cfg : &a->cfg;
}

static void save_history(struct cs_agent *a, struct cs_vol *v, uint32_t now)
{
	uint32_t cool = cs_vol_config(a, v)->migration.cooldown_s;
	char err[600];

	if (!a->state_dir[0] || !v->dev.uuid[0])
		return;
	if (cs_state_save(a->state_dir, v->dev.uuid, v->vs.last_move, v->nr,
			  now > cool ? now - cool : 0, err, sizeof(err)))
		cs_log(CS_WARN, "cannot save the move history: a restart forgets cooldowns",
		       "volume", v->name, "error", err, NULL);
}

static struct cs_vol *find_vol(struct cs_agent *a, const char *name)
{
	int i;

	for (i = 0; i < a->nr_vols; i++)
		if (!strcmp(a->vols[i].name, name))
			return &a->vols[i];
	return NULL;
}

static struct cs_vol *add_vol(struct cs_agent *a, const struct couche_vol *d)
{
	struct cs_vol *v = realloc(a->vols, sizeof(*v) * (a->nr_vols + 1));
	char n[16];

	if (!v)
		return NULL;
	a->vols = v;
	v = &a->vols[a->nr_vols];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", d->name);
	if (vol_size(v, d->nr_extents)) {
		vol_free(v);
		return NULL;
	}
	a->nr_vols++;
	snprintf(n, sizeof(n), "%u", d->nr_extents);
	cs_log(CS_INFO, "following volume", "volume", v->name, "extents", n, NULL);
	return v;
}

static void drop_unseen(struct cs_agent *a)
{
	int i = 0;

	while (i < a->nr_vols) {
		if (a->vols[i].seen) {
			i++;
			continue;
		}
		cs_log(CS_INFO, "volume gone", "volume", a->vols[i].name, NULL);
		vol_free(&a->vols[i]);
		a->vols[i] = a->vols[--a->nr_vols];
	}
}

/* The config's tier named as kernel tier @t, or NULL. */
static const struct cs_tier_cfg *cfg_tier(const struct cs_config *c, const struct couche_vol *d,
					  int t)
{
	int i;

	for (i = 0; i < c->nr_tiers; i++)
		if (!strcmp(c->tiers[i].name, d->tiers[t].name))
			return &c->tiers[i];
	return NULL;
}

/* Kernel tiers the config does not name: the agent leaves them alone. */
static uint32_t unmanaged_tiers(const struct cs_config *c, const struct couche_vol *d)
{
	uint32_t mask = 0;
	int t;

	for (t = 0; t < d->nr_tiers; t++)
		if (!cfg_tier(c, d, t))
			mask |= 1u << t;
	return mask;
}

static bool tier_usable(const struct couche_vol_tier *t)
{
	int m;

	for (m = 0; m < t->nr_members; m++)
		if (t->members[m].state != COUCHE_MEMBER_ALIVE)
			return false;
	return true;
}

/*
 * Moves issued but not seen done: the kernel may not have started them, so
 * the tiers' use does not show them yet.  One ends when its extent is in
 * its destination, or when the kernel has nothing queued or running (it
 * failed, or the extent moved elsewhere).
 */
static void settle_pending(struct cs_vol *v)
{
	uint32_t i = 0;

	if (!v->dev.mig_queued && !v->dev.mig_running) {
		v->nr_pending = 0;
		return;
	}
	while (i < v->nr_pending) {
		const struct cs_move *m = &v->pending[i];

		if (m->extent >= v->nr || v->tier[m->extent] == m->to)
			v->pending[i] = v->pending[--v->nr_pending];
		else
			i++;
	}
}

static void add_pending(struct cs_vol *v, const struct cs_move *m)
{
	struct cs_move *p;

	if (v->nr_pending == v->cap_pending) {
		p = realloc(v->pending, sizeof(*p) * (v->cap_pending * 2 + 16));
		if (!p)
			return;	/* only the estimate of room suffers */
		v->pending = p;
		v->cap_pending = v->cap_pending * 2 + 16;
	}
	v->pending[v->nr_pending++] = *m;
}

static void tier_states(const struct cs_agent *a, const struct cs_vol *v,
			struct cs_tier_state *ts)
{
	const struct couche_vol *d = &v->dev;
	uint32_t i, above = UINT32_MAX;
	int t, slowest = -1;

	memset(ts, 0, sizeof(*ts) * COUCHE_MAX_TIERS);
	for (i = 0; i < v->nr_pending; i++)
		if (v->pending[i].to < COUCHE_MAX_TIERS)
			ts[v->pending[i].to].incoming++;

	/*
	 * Thresholds by name, falling tier by tier.  The slowest tier the
	 * config names takes the rest (0).  A tier it does not name takes
	 * nothing: it is unusable, and its threshold is the next faster named
	 * one's (all of them for the fastest), so no extent wants it first.
	 */
	for (t = 0; t < d->nr_tiers; t++)
		if (cfg_tier(cs_vol_config(a, v), d, t))
			slowest = t;
	for (t = 0; t < d->nr_tiers; t++) {
		const struct cs_tier_cfg *c = cfg_tier(cs_vol_config(a, v), d, t);

		ts[t].slots = d->tiers[t].slots;
		ts[t].used = d->tiers[t].used;
		ts[t].reserve = d->tiers[t].reserve;
		ts[t].usable = c && tier_usable(&d->tiers[t]);
		if (c)
			above = t == slowest ? 0 : c->iops_threshold < above ?
				c->iops_threshold : above;
		ts[t].iops_threshold = above;
	}
}

/*
 * The kernel's knobs the config sets (concurrency, the heat window, the
 * throttle) follow it; those it does not set keep what the table says.
 * Checked every cycle, since a table reload or an admin resets them.
 */
static void apply_params(struct cs_agent *a, struct cs_vol *v)
{
	const struct cs_config *c = cs_vol_config(a, v);
	const struct {
		int attr;
		const char *key, *name;
		uint32_t want;
		bool policy_sets;
	} knob[] = {
		{ COUCHE_PARAM_A_MAX_MIGRATIONS, "migration.concurrent_migrations",
		  "max_migrations", c->migration.concurrent_migrations,
		  v->intent.sets_concurrency },
		{ COUCHE_PARAM_A_HEAT_HALFLIFE_S, "policy.sampling_window", "heat_halflife_s",
		  c->policy.sampling_window_s < COUCHE_HALFLIFE_S_MAX ?
		  c->policy.sampling_window_s : COUCHE_HALFLIFE_S_MAX, false },
		{ COUCHE_PARAM_A_MIGRATION_MBPS, "migration.migration_mbps", "migration_mbps",
		  c->migration.migration_mbps, false },
	};
	uint32_t want[COUCHE_PARAM_A_MAX + 1] = { 0 }, mask = 0, *now = v->dev.params;
	char from[16], to[16];
	size_t i;
	int r;

	if (a->cfg.migration.dry_run)
		return;		/* dry run: change nothing in the kernel */
	for (i = 0; i < sizeof(knob) / sizeof(knob[0]); i++) {
		if ((!cs_config_line(&a->cfg, knob[i].key) && !knob[i].policy_sets) ||
		    now[knob[i].attr] == knob[i].want)
			continue;
		want[knob[i].attr] = knob[i].want;
		mask |= 1u << knob[i].attr;
	}
	if (!mask)
		return;
	r = cs_kernel_set_params(&a->k, v->name, want, mask);
	if (r) {
		cs_log(CS_WARN, "cannot set the volume's parameters", "volume", v->name,
		       "error", a->k.nl.err[0] ? a->k.nl.err : strerror(-r), NULL);
		return;
	}
	for (i = 0; i < sizeof(knob) / sizeof(knob[0]); i++) {
		if (!(mask & (1u << knob[i].attr)))
			continue;
		snprintf(from, sizeof(from), "%u", now[knob[i].attr]);
		snprintf(to, sizeof(to), "%u", knob[i].want);
		cs_log(CS_INFO, "volume parameter set from the config", "volume", v->name,
		       "param", knob[i].name, "from", from, "to", to, "key",
		       knob[i].policy_sets ? "StoragePolicy migration.maxConcurrent" : knob[i].key,
		       NULL);
		now[knob[i].attr] = knob[i].want;
	}
}

/*
 * Prometheus's IOPS for the volume, spread over the extents by heat: the
 * kernel knows which extents are hot, Prometheus may know the rate better
 * (the kernel's heat counts only what it saw since load).
 */
static void prom_scale(struct cs_agent *a, struct cs_vol *v, uint32_t halflife)
{
	double heat_iops = 0, iops, age, fresh;
	char err[sizeof(a->cfg.prometheus.endpoint) + 64];
	uint32_t i;
	int r;

	v->iops_scale = 1;
	if (!a->promw)
		return;
	/* The thread's last answer, if it is recent; it never makes us wait. */
	r = cs_promw_get(a->promw, v->name, &iops, &age, err, sizeof(err));
	if (r == CS_PROMW_NO_ANSWER)
		return;
	/* Two periods, a period being an interval or a round if rounds are longer. */
	fresh = 2.0 * fmax(a->cfg.policy.interval_s, cs_promw_round_s(a->promw)) +
		a->cfg.prometheus.query_timeout_ms / 1000.0;
	if (!r && age > fresh) {
		r = CS_PROM_ERR_TRANSPORT;
		snprintf(err, sizeof(err), "prometheus %s: no answer for %.0f s",
			 a->cfg.prometheus.endpoint, age);
	}
	if (r == CS_PROM_ERR_TRANSPORT) {
		if (a->prom_up)
			cs_log(CS_WARN, "prometheus unreachable: using kernel heat alone",
			       "endpoint", a->cfg.prometheus.endpoint, "error", err, NULL);
		a->prom_up = false;
		snprintf(a->prom_why, sizeof(a->prom_why), "%s", err);
		return;
	}
	if (!a->prom_up)
		cs_log(CS_INFO, "prometheus reachable again", "endpoint",
		       a->cfg.prometheus.endpoint, NULL);
	a->prom_up = true;
	a->prom_why[0] = '\0';
	if (r) {
		/* Prometheus answered, but not with a rate for this volume. */
		cs_log(CS_DEBUG, "no IOPS from prometheus: using kernel heat", "volume",
		       v->name, "error", err, NULL);
		return;
	}
	for (i = 0; i < v->nr; i++)
		heat_iops += (double)v->heat[i] / COUCHE_HEAT_SCALE * M_LN2 / halflife;
	if (heat_iops > 0)
		v->iops_scale = iops / heat_iops;
}

/* Starts or stops the Prometheus thread as the config asks, then asks it. */
static void ask_prometheus(struct cs_agent *a, const struct couche_vol *list, int n)
{
	static char names[CS_PROMW_MAX][COUCHE_DEV_NAME_LEN];
	bool want = a->cfg.prometheus.use_for_iops && a->cfg.prometheus.iops_query[0];
	char err[256];
	int i;

	if (!want && a->promw) {
		cs_promw_stop(a->promw);
		free(a->promw);
		a->promw = NULL;
	}
	if (!want)
		return;
	if (!a->promw) {
		a->promw = malloc(sizeof(*a->promw));
		if (!a->promw || cs_promw_start(a->promw, err, sizeof(err))) {
			cs_log(CS_ERROR, "cannot query prometheus: using kernel heat alone", "error",
			       a->promw ? err : "out of memory", NULL);
			free(a->promw);
			a->promw = NULL;
			return;
		}
	}
	for (i = 0; i < n && i < CS_PROMW_MAX; i++)
		snprintf(names[i], sizeof(names[i]), "%s", list[i].name);
	cs_promw_want(a->promw, &a->cfg, names, i);
}

static void scale_heat(struct cs_vol *v)
{
	uint32_t i;
	double h;

	if (v->iops_scale == 1)
		return;
	for (i = 0; i < v->nr; i++) {
		h = v->heat[i] * v->iops_scale;
		v->heat[i] = h > UINT32_MAX ? UINT32_MAX : (uint32_t)h;
	}
}

static bool in_schedule(const struct cs_config *c, uint32_t now)
{
	struct cs_cron cron;
	time_t t = now;
	struct tm tm;
	char err[128];

	if (!c->migration.schedule[0])
		return true;
	if (cs_cron_parse(c->migration.schedule, &cron, err, sizeof(err)))
		return false;	/* validated at load; never reached */
	localtime_r(&t, &tm);
	return cs_cron_match(&cron, &tm);
}

static void log_move(const struct cs_vol *v, const struct cs_move *m, const char *what)
{
	char ext[16];

	snprintf(ext, sizeof(ext), "%u", m->extent);
	cs_log(CS_INFO, what, "volume", v->name, "extent", ext, "from",
	       v->dev.tiers[m->from].name, "to", v->dev.tiers[m->to].name, NULL);
}

static void execute(struct cs_agent *a, struct cs_vol *v, const struct cs_plan *p,
		    uint32_t now)
{
	uint32_t i, done = 0;
	char n[16];
	int r;

	for (i = 0; i < p->nr_moves && !cs_agent_stop_pending(); i++) {
		const struct cs_move *m = &p->moves[i];

		if (a->cfg.migration.dry_run) {
			log_move(v, m, "dry run: would move");
			continue;
		}
		r = cs_kernel_migrate(&a->k, v->name, m->extent, m->extent, m->to);
		if (r) {
			/* Pinned or gone since the dump: the next cycle sees it. */
			cs_log(CS_WARN, "move refused", "volume", v->name, "error",
			       a->k.nl.err[0] ? a->k.nl.err : strerror(-r), NULL);
			if (!a->k.up)
				break;
			continue;
		}
		if (cs_log_enabled(CS_DEBUG))
			log_move(v, m, "moving");
		add_pending(v, m);
		cs_policy_note_move(&v->vs, m->extent, now);
		if (m->to < m->from)
			v->moved_up++;
		else
			v->moved_down++;
		done++;
	}
	if (done) {
		snprintf(n, sizeof(n), "%u", done);
		cs_log(CS_INFO, "moves issued", "volume", v->name, "moves", n, NULL);
		save_history(a, v, now);
	}
}

/*
 * Tiers the config does not name are left alone: nothing moves into them
 * (tier_states()) and their extents stay (leave_unmanaged()).  Said once
 * when it starts and when it ends, in the log, and in /readyz meanwhile.
 */
static void note_unmanaged(struct cs_agent *a, struct cs_vol *v)
{
	uint32_t un = unmanaged_tiers(cs_vol_config(a, v), &v->dev);
	int t;

	for (t = 0; t < v->dev.nr_tiers; t++) {
		if (!((un ^ v->unmanaged) & (1u << t)))
			continue;
		if (un & (1u << t))
			cs_log(CS_WARN, "tier not in the config: the agent leaves it and its extents alone",
			       "volume", v->name, "tier", v->dev.tiers[t].name,
			       "fix", "add it under tiers: with an iops_threshold", NULL);
		else
			cs_log(CS_INFO, "tier now in the config: managed", "volume", v->name,
			       "tier", v->dev.tiers[t].name, NULL);
	}
	v->unmanaged = un;
}

/* Their extents are planned as if pinned. */
static void leave_unmanaged(struct cs_vol *v)
{
	uint32_t i;

	if (!v->unmanaged)
		return;
	for (i = 0; i < v->nr; i++)
		if (v->tier[i] < COUCHE_MAX_TIERS && (v->unmanaged & (1u << v->tier[i])))
			v->flags[i] |= COUCHE_EXTENT_F_PINNED;
}

/* Written extents not in tier @t, the written ones not pinned, all written. */
static uint32_t not_in(const struct cs_vol *v, int t, uint32_t *unpinned, uint32_t *written)
{
	uint32_t i, n = 0;

	*unpinned = 0;
	*written = 0;
	for (i = 0; i < v->nr; i++) {
		if (v->tier[i] == COUCHE_TIER_NONE)
			continue;
		(*written)++;
		if (v->tier[i] != t)
			n++;
		if (!(v->flags[i] & COUCHE_EXTENT_F_PINNED))
			(*unpinned)++;
	}
	return n;
}

static void force_log(const struct cs_vol *v, const char *what, const char *tier)
{
	cs_log(CS_INFO, what, "volume", v->name, "tier", tier, "pvc",
	       v->intent.pvc[0] ? v->intent.pvc : "-", NULL);
}

/*
 * couchestor.io/force-tier: the whole volume in one tier, the policy kept
 * out.  A linear tier takes a kernel PIN of every extent (they move there
 * and stay, across reboots); the kernel pins nothing to a raid6 tier, so
 * there the agent moves the extents itself and holds them.  Removing the
 * annotation unpins.  True while the volume is forced (no planning).
 */
static bool apply_force(struct cs_agent *a, struct cs_vol *v)
{
	struct cs_vol_intent *in = &v->intent;
	const struct couche_vol_tier *tt;
	uint32_t left, unpinned, written, room, need;
	char err[700];
	int t, r;

	if (!in->force_loaded) {
		/* What a previous run applied: from the state file, else its report. */
		char tier[32];
		int held;

		in->force_loaded = true;
		if (!cs_state_load_force(a->state_dir, v->dev.uuid, tier, sizeof(tier), &held) &&
		    tier[0]) {
			snprintf(in->applied, sizeof(in->applied), "%s", tier);
			in->held = held;
		}
	}
	if (!in->force_tier[0]) {
		if (in->applied[0] && !a->cfg.migration.dry_run && v->nr) {
			r = in->held ? 0 : cs_kernel_unpin(&a->k, v->name, 0, v->nr - 1);
			if (r) {
				snprintf(in->error, sizeof(in->error), "cannot unpin: %s",
					 a->k.nl.err[0] ? a->k.nl.err : strerror(-r));
				cs_log(CS_WARN, "cannot unpin the volume", "volume", v->name, "error",
				       in->error, NULL);
				return true;	/* still pinned: plan nothing, try again */
			}
			force_log(v, "force-tier removed: the volume is unpinned", in->applied);
			in->applied[0] = '\0';
			in->held = false;
			if (cs_state_save_force(a->state_dir, v->dev.uuid, "", 0, err, sizeof(err)))
				cs_log(CS_WARN, "cannot update the force-tier state", "error", err, NULL);
		}
		in->error[0] = '\0';
		return false;
	}
	t = couche_vol_tier_index(&v->dev, in->force_tier);
	if (t < 0 || strcmp(v->dev.tiers[t].name, in->force_tier)) {
		snprintf(in->error, sizeof(in->error), "the volume has no tier named %s",
			 in->force_tier);
		return false;
	}
	if (a->cfg.migration.dry_run)
		return true;
	tt = &v->dev.tiers[t];
	left = not_in(v, t, &unpinned, &written);
	/*
	 * A pin covers unwritten extents too: the kernel then places their
	 * first writes in the tier, and fails them if it is full.  So the
	 * whole volume must fit; for a held raid6 target, its written part.
	 */
	room = tt->slots > tt->reserve ? tt->slots - tt->reserve : 0;
	need = tt->kind == COUCHE_TIER_RAID6 ? written : v->nr;
	if (strcmp(in->applied, in->force_tier) && need > room) {
		snprintf(in->error, sizeof(in->error), "the volume (%u extents%s) does not fit in "
			 "tier %s (room for %u past its reserve)", need,
			 tt->kind == COUCHE_TIER_RAID6 ? " written" : "", in->force_tier, room);
		if (strcmp(in->error, in->last_error))
			cs_log(CS_WARN, "force-tier refused", "volume", v->name, "tier",
			       in->force_tier, "error", in->error, NULL);
		snprintf(in->last_error, sizeof(in->last_error), "%s", in->error);
		return false;
	}
	in->error[0] = '\0';
	if (strcmp(in->applied, in->force_tier) && in->applied[0] && !in->held && v->nr) {
		/* Pinned to another tier before: the kernel refuses a pin over a pin. */
		r = cs_kernel_unpin(&a->k, v->name, 0, v->nr - 1);
		if (r) {
			snprintf(in->error, sizeof(in->error), "cannot unpin from %s: %s", in->applied,
				 a->k.nl.err[0] ? a->k.nl.err : strerror(-r));
			return true;
		}
	}
	if (tt->kind == COUCHE_TIER_RAID6) {
		/* Held by the agent; moved a range at a time, when nothing is queued. */
		if (!in->held || strcmp(in->applied, in->force_tier)) {
			force_log(v, "force-tier: moving the volume to a raid6 tier and holding it there",
				  in->force_tier);
			if (cs_state_save_force(a->state_dir, v->dev.uuid, in->force_tier, 1, err,
						sizeof(err)))
				cs_log(CS_WARN, "cannot save the force-tier state", "error", err, NULL);
		}
		in->held = true;
		snprintf(in->applied, sizeof(in->applied), "%s", in->force_tier);
		if (left && !v->dev.mig_queued && !v->dev.mig_running && v->nr) {
			r = cs_kernel_migrate(&a->k, v->name, 0, v->nr - 1, t);
			if (r)
				snprintf(in->error, sizeof(in->error), "%s", a->k.nl.err[0] ?
					 a->k.nl.err : strerror(-r));
		}
		return true;
	}
	if (strcmp(in->applied, in->force_tier) || unpinned || in->held) {
		/* Saved first: a restart after the pin still knows to undo it. */
		if (cs_state_save_force(a->state_dir, v->dev.uuid, in->force_tier, 0, err,
					sizeof(err)))
			cs_log(CS_WARN, "cannot save the force-tier state", "error", err, NULL);
		r = v->nr ? cs_kernel_pin(&a->k, v->name, 0, v->nr - 1, t) : 0;
		if (r) {
			snprintf(in->error, sizeof(in->error), "%s", a->k.nl.err[0] ? a->k.nl.err :
				 strerror(-r));
			cs_log(CS_WARN, "cannot pin the volume for force-tier", "volume", v->name,
			       "tier", in->force_tier, "error", in->error, NULL);
			return true;
		}
		if (strcmp(in->applied, in->force_tier))
			force_log(v, "force-tier: the volume is pinned", in->force_tier);
		snprintf(in->applied, sizeof(in->applied), "%s", in->force_tier);
		in->held = false;
	}
	return true;
}

static void plan_volume(struct cs_agent *a, struct cs_vol *v, uint32_t now)
{
	struct cs_policy_cfg pc = {
		.cooldown_s = cs_vol_config(a, v)->migration.cooldown_s,
		.batch_size = cs_vol_config(a, v)->migration.batch_size,
		.halflife_s = v->dev.params[COUCHE_PARAM_A_HEAT_HALFLIFE_S] ?: 300,
	};
	struct cs_tier_state ts[COUCHE_MAX_TIERS];
	struct cs_plan plan = { 0 };
	bool changed;
	int r;

	r = cs_kernel_read_extents(&a->k, v->name, v->nr, v->heat, v->tier, v->flags,
				   &changed);
	if (r) {
		cs_log(CS_WARN, "cannot read extents", "volume", v->name, "error",
		       a->k.nl.err[0] ? a->k.nl.err : strerror(-r), NULL);
		return;
	}
	if (apply_force(a, v))
		return;
	leave_unmanaged(v);
	prom_scale(a, v, pc.halflife_s);
	scale_heat(v);
	settle_pending(v);
	tier_states(a, v, ts);
	r = cs_policy_plan(&pc, ts, v->dev.nr_tiers, v->heat, v->tier, v->flags, v->nr,
			   &v->vs, now, &plan);
	if (r) {
		cs_log(CS_ERROR, "planning failed", "volume", v->name, "error", strerror(-r),
		       NULL);
		return;
	}
	v->want_up = plan.want_up;
	v->want_down = plan.want_down;
	if (plan.nr_moves && !in_schedule(cs_vol_config(a, v), now))
		cs_log(CS_DEBUG, "outside the migration schedule", "volume", v->name,
		       "schedule", cs_vol_config(a, v)->migration.schedule, NULL);
	else if (plan.nr_moves)
		execute(a, v, &plan, now);
	cs_plan_free(&plan);
}

bool cs_agent_cycle(struct cs_agent *a, uint32_t now)
{
	struct couche_vol *list = NULL;
	struct timespec t0, t1;
	int i, n = 0, r;
	bool fresh;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!a->cfg.prometheus.use_for_iops)
		a->prom_up = true;
	if (!a->k.up) {
		if (cs_kernel_open(&a->k)) {
			if (!a->kernel_logged_down)
				cs_log(CS_WARN, "kernel not reachable; retrying every interval",
				       "error", a->k.why, NULL);
			a->kernel_logged_down = true;
			return false;
		}
		cs_log(CS_INFO, "connected to dm-couche", NULL);
		a->kernel_logged_down = false;
	}
	r = cs_kernel_volumes(&a->k, &list, &n);
	if (r) {
		cs_log(CS_WARN, "cannot list volumes", "error",
		       a->k.nl.err[0] ? a->k.nl.err : strerror(-r), NULL);
		free(list);
		return false;
	}
	ask_prometheus(a, list, n);
	for (i = 0; i < a->nr_vols; i++)
		a->vols[i].seen = false;
	for (i = 0; i < n; i++) {
		struct cs_vol *v;

		/* The connection broke, or we are told to stop: end the cycle. */
		if (!a->k.up || cs_agent_stop_pending()) {
			for (; i < n; i++)
				if ((v = find_vol(a, list[i].name)))
					v->seen = true;
			break;
		}
		v = find_vol(a, list[i].name);
		if (v && strcmp(v->dev.uuid, list[i].uuid)) {
			/* Another volume under the same name: nothing carries over. */
			cs_log(CS_INFO, "volume replaced under the same name", "volume", v->name,
			       "uuid", list[i].uuid, NULL);
			vol_free(v);
			snprintf(v->name, sizeof(v->name), "%s", list[i].name);
		}
		fresh = !v || !v->nr;
		if (!v)
			v = add_vol(a, &list[i]);
		if (!v || (list[i].nr_extents != v->nr && vol_size(v, list[i].nr_extents))) {
			cs_log(CS_ERROR, "out of memory for a volume", "volume", list[i].name,
			       NULL);
			continue;
		}
		v->seen = true;
		v->dev = list[i];
		if (fresh)
			load_history(a, v, now);
		if (a->kube)
			cs_agent_kube_intents(a, a->kube, v);
		note_unmanaged(a, v);
		apply_params(a, v);
		if (!(v->dev.flags & (COUCHE_DEV_F_SUSPENDED | COUCHE_DEV_F_READ_ONLY |
				      COUCHE_DEV_F_META_FAILED)))
			plan_volume(a, v, now);
	}
	free(list);
	drop_unseen(a);
	if (a->kube)
		cs_agent_kube_report(a, a->kube);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	a->last_cycle_s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	a->cycles++;
	return true;
}

static void on_event(const struct couche_event_info *ev, void *arg)
{
	struct cs_agent *a = arg;
	struct cs_vol *v = find_vol(a, ev->volume);
	char ext[16];

	snprintf(ext, sizeof(ext), "%u", ev->extent);
	switch (ev->type) {
	case COUCHE_EVENT_MIGRATION_DONE:
		if (v)
			v->mig_done++;
		break;
	case COUCHE_EVENT_MIGRATION_FAILED:
		if (v)
			v->mig_failed++;
		cs_log(CS_WARN, "migration failed", "volume", ev->volume, "extent", ext,
		       "error", strerror(ev->error), NULL);
		break;
	case COUCHE_EVENT_MEMBER_FAILED:
		cs_log(CS_ERROR, "a member device failed: replace it and reload the table",
		       "volume", ev->volume, NULL);
		break;
	case COUCHE_EVENT_REBUILD_DONE:
		cs_log(CS_INFO, "rebuild done", "volume", ev->volume, NULL);
		break;
	case COUCHE_EVENT_RESERVE_LOW:
		cs_log(CS_WARN, "a tier is down to its reserve: new data goes to slower tiers",
		       "volume", ev->volume, NULL);
		break;
	case COUCHE_EVENT_MAKING_ROOM:
		cs_log(CS_INFO, "the kernel is moving a tier's coldest extents down to keep free "
		       "slots", "volume", ev->volume, NULL);
		break;
	case COUCHE_EVENT_NO_SPACE:
		cs_log(CS_ERROR, "writes failed with ENOSPC: every tier is full or pinned; "
		       "unpin extents, add a tier device, or free space (fstrim)",
		       "volume", ev->volume, NULL);
		break;
	case COUCHE_EVENT_METADATA_ERROR:
		cs_log(CS_ERROR, "metadata commit failed: the volume is read-only; check the "
		       "metadata device", "volume", ev->volume, NULL);
		break;
	default:
		break;
	}
}

void cs_agent_events(struct cs_agent *a)
{
	cs_kernel_events(&a->k, on_event, a);
}

void cs_agent_reconfigure(struct cs_agent *a, const struct cs_config *cfg)
{
	a->cfg = *cfg;
}

bool cs_agent_ready(const struct cs_agent *a, char *why, size_t len)
{
	if (!a->k.up) {
		/* A short reason: the body is served to any client; the log has why. */
		snprintf(why, len, "not connected to dm-couche (the agent's log says why)");
		return false;
	}
	if (!a->cycles) {
		snprintf(why, len, "first policy cycle not done yet");
		return false;
	}
	if (!a->prom_up)
		snprintf(why, len, "ready; degraded: prometheus unreachable (%s), using kernel "
			 "heat alone", a->prom_why);
	else
		snprintf(why, len, "ready");
	return true;
}

const char *cs_agent_ready_note(const struct cs_agent *a, char *buf, size_t len)
{
	size_t n = 0;
	int v, t;

	buf[0] = '\0';
	if (!a->prom_up)
		n = snprintf(buf, len, "degraded: prometheus unreachable, using kernel heat");
	for (v = 0; v < a->nr_vols; v++)
		for (t = 0; t < a->vols[v].dev.nr_tiers; t++)
			if ((a->vols[v].unmanaged & (1u << t)) && n < len)
				n += snprintf(buf + n, len - n, "%stier %s of %s is not in the config",
					      n ? ", " : "", a->vols[v].dev.tiers[t].name,
					      a->vols[v].name);
	return buf[0] ? buf : NULL;
}

void cs_agent_exit(struct cs_agent *a)
{
	int i;

	if (a->promw) {
		cs_promw_stop(a->promw);
		free(a->promw);
	}
	for (i = 0; i < a->nr_vols; i++)
		vol_free(&a->vols[i]);
	free(a->vols);
	cs_kernel_close(&a->k);
}
