// SPDX-License-Identifier: GPL-2.0
/*
 * dm-couche control operations, shared by target messages and netlink.
 *
 * Each returns 0 or a negative errno and, on error, points *why at a
 * sentence for the user (a constant string: netlink hands it to extack).
 * Ranges are checked by the callers, which know how they were given.
 */
#include <linux/kernel.h>
#include <linux/sched.h>

#include "couche.h"

#define DM_MSG_PREFIX "couche"

static int check_writable(struct couche *c, const char **why)
{
	if (c->params.read_only || READ_ONCE(c->meta_failed)) {
		*why = "The volume is read-only";
		return -EROFS;
	}
	if (!(dm_table_get_mode(c->ti->table) & FMODE_WRITE)) {
		*why = "The table is read-only (loaded with dmsetup -r)";
		return -EROFS;
	}
	return 0;
}

/* Pins live in the map: change them only while this table commits. */
static int check_live(struct couche *c, const char **why)
{
	int r = check_writable(c, why);

	if (r)
		return r;
	if (!c->active || c->quiescing) {
		*why = "The volume is suspended: resume it first";
		return -EBUSY;
	}
	return 0;
}

/* Extents in first..last that are mapped outside @tier: what would move. */
static u64 count_to_move(struct couche *c, u32 first, u32 last, unsigned int tier)
{
	u64 n = 0;
	u32 i, e;

	for (i = first; i <= last; i++) {
		e = READ_ONCE(c->map[i]);
		if ((e & CE_MAPPED) && ce_tier(e) != tier)
			n++;
		if (!((i - first + 1) & 4095))
			cond_resched();
	}
	return n;
}

int couche_ctl_migrate(struct couche *c, u32 first, u32 last, unsigned int tier,
		       u64 *queued, const char **why)
{
	u32 i, e;
	int r;

	/* Queued while suspended, a migration starts at resume. */
	r = check_writable(c, why);
	if (r)
		return r;
	for (i = first; i <= last; i++) {
		if (!((i - first + 1) & 4095))
			cond_resched();
		e = READ_ONCE(c->map[i]);
		if ((e & CE_PINNED) && ce_tier(e) != tier) {
			DMWARN("extent %u is pinned to tier %s: unpin it first", i,
			       c->tiers[ce_tier(e)].name);
			*why = "An extent in the range is pinned to another tier: unpin it first";
			return -EBUSY;
		}
	}
	*queued = count_to_move(c, first, last, tier);
	r = couche_queue_migration(c, first, last, tier, false);
	if (r)
		*why = "Out of memory queueing the migration";
	return r;
}

static void set_pins(struct couche *c, u32 first, u32 last, int tier)
{
	u32 i, e;

	spin_lock_irq(&c->lock);
	for (i = first; i <= last; i++) {
		/* Let I/O and other CPUs in on a long range. */
		if (i != first && !(i & 4095)) {
			spin_unlock_irq(&c->lock);
			cond_resched();
			spin_lock_irq(&c->lock);
		}
		e = c->map[i];
		if (tier < 0) {
			e &= ~CE_PINNED;
			if (!(e & CE_MAPPED))
				e &= CE_BUSY;	/* unmapped: forget the tier */
		} else if (e & CE_MAPPED) {
			e |= CE_PINNED;
		} else {
			e = (e & CE_BUSY) | CE_PINNED | ((u32)tier << CE_TIER_SHIFT);
		}
		if (e != c->map[i]) {
			c->map[i] = e;
			couche_mark_dirty(c, i);
		}
	}
	spin_unlock_irq(&c->lock);
	couche_wake(c);
}

/* A pin overrides earlier pins, and moves what is elsewhere. */
int couche_ctl_pin(struct couche *c, u32 first, u32 last, unsigned int tier,
		   u64 *queued, const char **why)
{
	int r;

	if (couche_is_raid6(c, tier)) {
		*why = "raid6 tiers take no writes in place: pin to a linear tier";
		return -EINVAL;
	}
	r = check_live(c, why);
	if (r)
		return r;
	set_pins(c, first, last, tier);
	*queued = count_to_move(c, first, last, tier);
	r = couche_queue_migration(c, first, last, tier, true);
	if (r)
		*why = "Out of memory queueing the migration";
	return r;
}

int couche_ctl_unpin(struct couche *c, u32 first, u32 last, const char **why)
{
	int r = check_live(c, why);

	if (!r)
		set_pins(c, first, last, -1);
	return r;
}

/* Stripes the scrub will check: every raid6 extent's. */
static u64 scrub_total(struct couche *c)
{
	u64 n = 0;
	u32 i, e;

	for (i = 0; i < c->nr_extents; i++) {
		e = READ_ONCE(c->map[i]);
		if ((e & CE_MAPPED) && couche_is_raid6(c, ce_tier(e)))
			n += c->tiers[ce_tier(e)].sps;
	}
	return n;
}

/* Checks every raid6 stripe in use and repairs single bad chunks. */
int couche_ctl_scrub(struct couche *c, const char **why)
{
	unsigned int t;
	bool any = false;
	int r;

	for (t = 0; t < c->nr_tiers; t++) {
		if (!couche_is_raid6(c, t))
			continue;
		any = true;
		if (!couche_tier_usable(c, t)) {
			*why = "A raid6 tier is degraded or rebuilding: scrub after the rebuild";
			return -EBUSY;
		}
	}
	if (!any) {
		*why = "The volume has no raid6 tier to scrub";
		return -EINVAL;
	}
	r = check_live(c, why);
	if (r)
		return r;
	if (xchg(&c->scrub.running, true)) {
		*why = "A scrub is already running";
		return -EBUSY;
	}
	c->scrub.checked = 0;
	c->scrub.repaired = 0;
	c->scrub.unrepairable = 0;
	c->scrub.total = scrub_total(c);
	queue_work(c->r6_wq, &c->scrub_work);
	return 0;
}

/* reserve_pct sizes the tiers at load: it is not a runtime knob. */
int couche_ctl_set(struct couche *c, const char *key, const char *value,
		   const char **why)
{
	char *error = NULL;
	int r;

	if (!strcasecmp(key, "reserve_pct")) {
		*why = "reserve_pct is set in the table, not at run time";
		return -EINVAL;
	}
	spin_lock_irq(&c->lock);
	r = couche_set_param(&c->params, key, value, &error);
	spin_unlock_irq(&c->lock);
	if (r)
		*why = error;
	couche_wake(c);
	return r;
}
