// SPDX-License-Identifier: GPL-2.0
/*
 * dm-couche target glue: constructor, destructor, status, messages,
 * suspend/resume, limits, and the worker that runs everything deferred.
 */
#include <linux/blkdev.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "couche.h"

#define DM_MSG_PREFIX "couche"
#define COUCHE_MAX_EXTENTS BIT(28)

void couche_wake(struct couche *c)
{
	queue_work(c->wq, &c->worker);
}

static void do_worker(struct work_struct *ws)
{
	struct couche *c = container_of(ws, struct couche, worker);

	if (test_and_clear_bit(0, &c->event_pending))
		dm_table_event(c->ti->table);
	couche_nl_send_events(c);
	couche_complete_ops(c);
	couche_process_deferred(c);
	couche_finish_unmaps(c);
	if (c->commit_due) {
		c->commit_due = false;
		if (c->active)
			couche_commit(c);
	}
	couche_start_migrations(c);
	couche_room_check(c);
}

/* Decay scans every extent: off the ordered worker, which it would hold up. */
static void do_heat(struct work_struct *ws)
{
	couche_heat_tick(container_of(ws, struct couche, heat_work));
}

static void do_waker(struct work_struct *ws)
{
	struct couche *c = container_of(to_delayed_work(ws), struct couche, waker);

	queue_work(system_unbound_wq, &c->heat_work);
	if (couche_uncommitted(c) &&
	    time_after(jiffies, c->last_commit + COUCHE_COMMIT_PERIOD))
		c->commit_due = true;
	queue_work(c->wq, &c->worker);
	queue_delayed_work(c->wq, &c->waker,
			   READ_ONCE(c->mig_queued) ? HZ / 10 : HZ);
}

static bool valid_tier_name(const char *name)
{
	const char *p;

	if (!*name || strlen(name) >= COUCHE_TIER_NAME_LEN)
		return false;
	for (p = name; *p; p++)
		if (*p <= ' ' || *p > '~')
			return false;
	return true;
}

static int get_member(struct couche *c, const char *path, struct couche_member *m,
		      char **error)
{
	int r = dm_get_device(c->ti, path, dm_table_get_mode(c->ti->table), &m->dev);

	if (r)
		*error = "Cannot open a tier device";
	return r;
}

/* raid6 <k> <chunk_sectors> <dev_0> ... <dev_k+1> (after name and kind) */
static int parse_raid6(struct couche *c, struct dm_arg_set *as,
		       struct couche_tier *tier, unsigned int argc, char **error)
{
	static const struct dm_arg k_arg = { 2, 16, "raid6 k must be 2 to 16" };
	static const struct dm_arg chunk_arg = {
		PAGE_SIZE >> SECTOR_SHIFT, COUCHE_MAX_EXTENT_SECTORS,
		"raid6 chunk size must be a power of two of at least 8 sectors"
	};
	unsigned int k, chunk, i;
	int r;

	if (argc < 2) {
		*error = "raid6 tier needs <k> <chunk_sectors> and k+2 devices";
		return -EINVAL;
	}
	r = dm_read_arg(&k_arg, as, &k, error);
	if (!r)
		r = dm_read_arg(&chunk_arg, as, &chunk, error);
	if (r)
		return r;
	if (!is_power_of_2(chunk) || chunk > c->extent_sectors) {
		*error = "raid6 chunk size must be a power of two, at most the extent size";
		return -EINVAL;
	}
	if (argc - 2 != k + 2) {
		*error = "raid6 tier needs exactly k+2 devices";
		return -EINVAL;
	}
	tier->kind = COUCHE_TIER_RAID6;
	tier->k = k;
	tier->chunk_sectors = chunk;
	tier->sps = DIV_ROUND_UP(c->extent_sectors, (sector_t)k * chunk);
	tier->nr_members = k + 2;
	for (i = 0; i < k + 2; i++) {
		const char *path = dm_shift_arg(as);

		/* "-": a member that is missing, as dm-raid takes it. */
		if (!strcmp(path, "-")) {
			tier->members[i].dead = true;
			continue;
		}
		r = get_member(c, path, &tier->members[i], error);
		if (r) {
			tier->nr_members = i;	/* so dtr puts what was got */
			return r;
		}
	}
	return 0;
}

/* Bytes (in sectors) a slot takes on each member of the tier. */
static sector_t member_slot_sectors(struct couche *c, struct couche_tier *tier)
{
	return tier->kind == COUCHE_TIER_RAID6 ?
		(sector_t)tier->sps * tier->chunk_sectors : c->extent_sectors;
}

/* <#args> <name> linear <dev> | <#args> <name> raid6 <k> <chunk> <dev>... */
static int parse_tier(struct couche *c, struct dm_arg_set *as, unsigned int t,
		      char **error)
{
	static const struct dm_arg nr_args = {
		3, 4 + COUCHE_MAX_MEMBERS, "Invalid number of tier arguments"
	};
	struct couche_tier *tier = &c->tiers[t];
	const char *name, *kind;
	unsigned int argc, i;
	int r;

	r = dm_read_arg_group(&nr_args, as, &argc, error);
	if (r)
		return r;
	name = dm_shift_arg(as);
	kind = dm_shift_arg(as);
	argc -= 2;
	if (!valid_tier_name(name)) {
		*error = "Tier name must be 1 to 15 printable characters without spaces";
		return -EINVAL;
	}
	for (i = 0; i < t; i++) {
		if (!strcmp(c->tiers[i].name, name)) {
			*error = "Two tiers have the same name";
			return -EINVAL;
		}
	}
	strscpy(tier->name, name, sizeof(tier->name));
	if (!strcasecmp(kind, "linear")) {
		if (argc != 1) {
			*error = "A linear tier takes exactly one device";
			return -EINVAL;
		}
		tier->kind = COUCHE_TIER_LINEAR;
		tier->nr_members = 1;
		return get_member(c, dm_shift_arg(as), &tier->members[0], error);
	}
	if (!strcasecmp(kind, "raid6"))
		return parse_raid6(c, as, tier, argc, error);
	*error = "Unknown tier kind (expected linear or raid6)";
	return -EINVAL;
}

/*
 * Device @n of the table: 0 is the metadata device, then every member;
 * NULL for a missing member, ERR_PTR(-ENOENT) past the last.
 */
static struct block_device *nth_bdev(struct couche *c, unsigned int n)
{
	unsigned int t;

	if (!n--)
		return c->meta_dev->bdev;
	for (t = 0; t < c->nr_tiers; t++) {
		if (n < c->tiers[t].nr_members)
			return c->tiers[t].members[n].dev ?
				c->tiers[t].members[n].dev->bdev : NULL;
		n -= c->tiers[t].nr_members;
	}
	return ERR_PTR(-ENOENT);
}

static int check_devices_unique(struct couche *c, char **error)
{
	struct block_device *a, *b;
	unsigned int i, j;

	for (i = 0; !IS_ERR(a = nth_bdev(c, i)); i++) {
		for (j = i + 1; a && !IS_ERR(b = nth_bdev(c, j)); j++) {
			if (a == b) {
				*error = "The same device is named twice";
				return -EINVAL;
			}
		}
	}
	return 0;
}

/*
 * Slots per tier, watermarks, and whether the volume fits: every tier
 * less its reserve, and with a raid6 tier one slot to spare at least, so
 * that a full volume can still swap a raid6 extent for a linear one when
 * it is written.
 */
static int size_tiers(struct couche *c, char **error)
{
	u64 usable = 0, total = 0;
	bool raid6 = false;
	unsigned int t;
	int r;

	for (t = 0; t < c->nr_tiers; t++) {
		struct couche_tier *tier = &c->tiers[t];
		sector_t per = member_slot_sectors(c, tier), size = ~(sector_t)0;
		unsigned int i;
		u64 nr;

		/* The smallest member sets the capacity. */
		for (i = 0; i < tier->nr_members; i++)
			if (tier->members[i].dev)
				size = min(size, bdev_nr_sectors(tier->members[i].dev->bdev));
		if (size < COUCHE_DATA_OFFSET + per) {
			*error = "Tier device is too small to hold one extent";
			return -EINVAL;
		}
		nr = div64_u64(size - COUCHE_DATA_OFFSET, per);
		nr = min_t(u64, nr, COUCHE_MAX_SLOTS);
		r = couche_slots_init(&tier->slots, nr);
		if (r) {
			*error = "Cannot allocate slot bitmap";
			return r;
		}
		tier->reserve = div_u64(nr * c->params.reserve_pct + 99, 100);
		tier->wm_high = min_t(u64, nr, 2ull * tier->reserve);
		tier->rebuild_member = -1;
		tier->cand_empty_seq = U64_MAX;
		usable += nr - tier->reserve;
		total += nr;
		raid6 |= tier->kind == COUCHE_TIER_RAID6;
	}
	if (raid6 && usable == total)
		usable--;
	if (c->nr_extents > usable) {
		DMERR("volume of %u extents exceeds the %llu usable ones (reserve_pct %u)",
		      c->nr_extents, usable, c->params.reserve_pct);
		*error = "Volume is larger than the tiers can hold";
		return -ENOSPC;
	}
	return 0;
}

static void couche_dtr(struct dm_target *ti);

/* A raid6 tier loaded without some members: say so (the event at resume). */
static void report_degraded(struct couche *c)
{
	unsigned int t, i;

	for (t = 0; t < c->nr_tiers; t++) {
		for (i = 0; i < c->tiers[t].nr_members; i++) {
			if (!c->tiers[t].members[i].dead)
				continue;
			DMWARN("tier %s loads degraded: member %u is %s; reload with a blank one",
			       c->tiers[t].name, i,
			       c->tiers[t].members[i].dev ? "unreadable" : "missing (\"-\")");
			c->report_dead = true;
		}
	}
}

static int alloc_state(struct couche *c, char **error)
{
	size_t n = c->nr_extents;
	unsigned int i;

	c->map = kvcalloc(n, sizeof(*c->map), GFP_KERNEL);
	c->reads = kvcalloc(n, sizeof(*c->reads), GFP_KERNEL);
	c->writes = kvcalloc(n, sizeof(*c->writes), GFP_KERNEL);
	c->score = kvcalloc(n, sizeof(*c->score), GFP_KERNEL);
	if (!c->map || !c->reads || !c->writes || !c->score)
		goto nomem;
	for (i = 0; i < ARRAY_SIZE(c->op_hash); i++)
		INIT_HLIST_HEAD(&c->op_hash[i]);
	if (mempool_init_kmalloc_pool(&c->op_pool, 64, sizeof(struct couche_op)))
		goto nomem;
	c->wq = alloc_ordered_workqueue("dm-" DM_MSG_PREFIX, WQ_MEM_RECLAIM);
	if (!c->wq)
		goto nomem;
	c->r6_wq = alloc_workqueue("dm-" DM_MSG_PREFIX "-r6", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!c->r6_wq)
		goto nomem;
	c->cand = kcalloc(c->nr_tiers * COUCHE_ROOM_BATCH, sizeof(*c->cand), GFP_KERNEL);
	if (!c->cand)
		goto nomem;
	c->kcopyd = dm_kcopyd_client_create(NULL);
	if (IS_ERR(c->kcopyd)) {
		c->kcopyd = NULL;
		goto nomem;
	}
	return 0;
nomem:
	*error = "Cannot allocate memory for the volume";
	return -ENOMEM;
}

/*
 * couche <meta_dev> <extent_sectors> <#tiers> <tier>{#tiers}
 *        [<#features> <feature>*]
 */
static int couche_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	static const struct dm_arg nr_tiers = {
		1, COUCHE_MAX_TIERS, "Invalid number of tiers (1 to 8)"
	};
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	unsigned int t, members = 0;
	const char *meta_path;
	struct couche *c;
	u64 extent;
	int r;

	if (argc < 4) {
		ti->error = "Not enough arguments: <meta_dev> <extent_sectors> <#tiers> <tier>...";
		return -EINVAL;
	}
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c) {
		ti->error = "Cannot allocate target context";
		return -ENOMEM;
	}
	ti->private = c;
	c->ti = ti;
	spin_lock_init(&c->lock);
	spin_lock_init(&c->ev_lock);
	INIT_LIST_HEAD(&c->nl_node);
	mutex_init(&c->commit_lock);
	init_waitqueue_head(&c->epoch_wait);
	init_waitqueue_head(&c->mig_wait);
	INIT_LIST_HEAD(&c->mig_queue);
	INIT_LIST_HEAD(&c->done_ops);
	bio_list_init(&c->deferred_bios);
	bio_list_init(&c->flush_bios);
	bio_list_init(&c->nospace_bios);
	INIT_LIST_HEAD(&c->unmap_ops);
	INIT_WORK(&c->worker, do_worker);
	INIT_DELAYED_WORK(&c->waker, do_waker);
	INIT_WORK(&c->heat_work, do_heat);
	INIT_WORK(&c->rebuild_work, couche_r6_rebuild);
	INIT_WORK(&c->scrub_work, couche_r6_scrub);
	c->params.max_migrations = COUCHE_DEF_MAX_MIGRATIONS;
	c->params.heat_halflife_s = COUCHE_DEF_HALFLIFE_S;
	c->params.reserve_pct = COUCHE_DEF_RESERVE_PCT;

	meta_path = dm_shift_arg(&as);
	if (kstrtou64(dm_shift_arg(&as), 10, &extent) || !is_power_of_2(extent) ||
	    extent < COUCHE_MIN_EXTENT_SECTORS || extent > COUCHE_MAX_EXTENT_SECTORS) {
		ti->error = "Invalid extent size: a power of two from 2048 to 2097152 sectors";
		r = -EINVAL;
		goto bad;
	}
	c->extent_sectors = extent;
	c->extent_shift = ilog2(extent);
	/* dm_read_arg() stores the value before it checks the range. */
	r = dm_read_arg(&nr_tiers, &as, &t, &ti->error);
	if (r)
		goto bad;
	c->nr_tiers = t;
	for (t = 0; t < c->nr_tiers; t++) {
		r = parse_tier(c, &as, t, &ti->error);
		if (r) {
			c->nr_tiers = t + 1;	/* so dtr puts what was got */
			goto bad;
		}
		members += c->tiers[t].nr_members;
	}
	r = couche_parse_features(&as, &c->params, &ti->error);
	if (r)
		goto bad;
	if (as.argc) {
		ti->error = "Too many arguments";
		r = -EINVAL;
		goto bad;
	}
	r = dm_get_device(ti, meta_path, dm_table_get_mode(ti->table), &c->meta_dev);
	if (r) {
		ti->error = "Cannot open the metadata device";
		goto bad;
	}
	r = check_devices_unique(c, &ti->error);
	if (r)
		goto bad;
	if (ti->len & (c->extent_sectors - 1)) {
		ti->error = "Volume length must be a multiple of the extent size";
		r = -EINVAL;
		goto bad;
	}
	if ((ti->len >> c->extent_shift) > COUCHE_MAX_EXTENTS) {
		ti->error = "Volume has too many extents (at most 2^28)";
		r = -EINVAL;
		goto bad;
	}
	c->nr_extents = ti->len >> c->extent_shift;
	r = size_tiers(c, &ti->error);
	if (r)
		goto bad;
	r = alloc_state(c, &ti->error);
	if (r)
		goto bad;
	r = couche_nl_register(c, &ti->error);
	if (r)
		goto bad;
	r = couche_meta_open(c, &ti->error);
	if (r)
		goto bad;
	report_degraded(c);

	r = dm_set_target_max_io_len(ti, c->extent_sectors);
	if (r) {
		ti->error = "Cannot set the maximum I/O size";
		goto bad;
	}
	ti->num_flush_bios = members;
	ti->flush_supported = true;
	/* Discards unmap whole extents, whether or not the devices take them. */
	ti->num_discard_bios = 1;
	ti->discards_supported = true;
	couche_split_discards(ti);
	ti->per_io_data_size = sizeof(struct couche_bio);
	c->last_decay = jiffies;
	return 0;
bad:
	couche_dtr(ti);
	return r;
}

static void couche_dtr(struct dm_target *ti)
{
	struct couche *c = ti->private;
	unsigned int t, i;

	couche_nl_unregister(c);
	if (c->wq) {
		c->quiescing = true;
		cancel_work_sync(&c->rebuild_work);
		cancel_work_sync(&c->scrub_work);
		cancel_delayed_work_sync(&c->waker);
		flush_workqueue(c->wq);
		cancel_work_sync(&c->heat_work);
	}
	if (c->active && c->loaded)
		couche_commit_final(c);
	couche_cancel_migrations(c);
	/* A commit may have queued the worker (a member failed): drain it first. */
	if (c->r6_wq)
		destroy_workqueue(c->r6_wq);
	if (c->wq)
		destroy_workqueue(c->wq);
	if (c->kcopyd)
		dm_kcopyd_client_destroy(c->kcopyd);
	mempool_exit(&c->op_pool);
	kfree(c->cand);
	couche_meta_close(c);
	kvfree(c->score);
	kvfree(c->writes);
	kvfree(c->reads);
	kvfree(c->map);
	for (t = 0; t < c->nr_tiers; t++) {
		couche_slots_exit(&c->tiers[t].slots);
		for (i = 0; i < c->tiers[t].nr_members; i++)
			if (c->tiers[t].members[i].dev)
				dm_put_device(ti, c->tiers[t].members[i].dev);
	}
	if (c->meta_dev)
		dm_put_device(ti, c->meta_dev);
	kfree(c);
}

static void couche_presuspend(struct dm_target *ti)
{
	struct couche *c = ti->private;

	/*
	 * Queued migrations wait for resume; running ones finish before
	 * postsuspend goes on, and so do demotions that writes still coming
	 * in need for room.
	 */
	spin_lock_irq(&c->lock);
	c->quiescing = true;
	spin_unlock_irq(&c->lock);
	flush_work(&c->rebuild_work);	/* it stops at the next slot */
	flush_work(&c->scrub_work);	/* and this at the next extent */
}

static void couche_presuspend_undo(struct dm_target *ti)
{
	struct couche *c = ti->private;

	c->quiescing = false;
	couche_wake(c);
	if (couche_r6_needs_rebuild(c))
		queue_work(c->r6_wq, &c->rebuild_work);
}

static void couche_postsuspend(struct dm_target *ti)
{
	struct couche *c = ti->private;

	/* No I/O is left: what still copies was started for it, or before. */
	wait_event(c->mig_wait, !READ_ONCE(c->mig_running) &&
		   !READ_ONCE(c->mig_committing));
	cancel_delayed_work_sync(&c->waker);
	flush_workqueue(c->wq);
	/* A worker that passed its quiescing check may have re-armed it. */
	cancel_delayed_work_sync(&c->waker);
	cancel_work_sync(&c->heat_work);
	if (c->active)
		couche_commit_final(c);
	c->active = false;
}

static int couche_preresume(struct dm_target *ti)
{
	return couche_meta_reload_if_changed(ti->private);
}

static void couche_resume(struct dm_target *ti)
{
	struct couche *c = ti->private;
	unsigned int t, i;

	/* Events only from a live table: the worker must not run before. */
	if (c->report_dead) {
		c->report_dead = false;
		for (t = 0; t < c->nr_tiers; t++)
			for (i = 0; i < c->tiers[t].nr_members; i++)
				if (c->tiers[t].members[i].dead)
					couche_event(c, COUCHE_EVENT_MEMBER_FAILED, t, i, 0,
						     0, 0, -EIO);
	}

	c->active = true;
	c->quiescing = false;
	c->last_commit = jiffies;
	queue_delayed_work(c->wq, &c->waker, HZ);
	couche_wake(c);
	if (couche_r6_needs_rebuild(c))
		queue_work(c->r6_wq, &c->rebuild_work);
	couche_nl_live(c);
}

/*
 * Status (INFO):
 *   <meta_used>/<meta_total> <extent_sectors> <#tiers>
 *   {<name> <used>/<total> <health>}{#tiers}
 *   migrations <queued> <running> <done> <failed>
 *   cache <hits> <misses>
 *   scrub <idle|running> <checked> <repaired> <unrepairable>
 *   space <demoted> <waiting> <nospace> <unmapped>
 *   read_errors <corrected> <uncorrectable>
 * meta counts 4 KiB blocks; used/total count extents; health has one
 * character per member: A alive, a rebuilding, D dead.
 */
static void couche_status(struct dm_target *ti, status_type_t type,
			  unsigned int status_flags, char *result,
			  unsigned int maxlen)
{
	struct couche *c = ti->private;
	unsigned int sz = 0, t, i, nf;
	struct couche_params *p = &c->params;

	switch (type) {
	case STATUSTYPE_INFO:
		spin_lock_irq(&c->lock);
		DMEMIT("%u/%llu %llu %u", COUCHE_SB_BLOCKS + 2 * c->map_blocks,
		       c->meta_blocks, (u64)c->extent_sectors, c->nr_tiers);
		for (t = 0; t < c->nr_tiers; t++) {
			struct couche_tier *tier = &c->tiers[t];

			DMEMIT(" %s %u/%u ", tier->name, tier->slots.used, tier->slots.nr);
			for (i = 0; i < tier->nr_members; i++)
				DMEMIT("%c", READ_ONCE(tier->members[i].dead) ? 'D' :
				       READ_ONCE(tier->members[i].rebuilding) ? 'a' : 'A');
		}
		DMEMIT(" migrations %llu %u %llu %llu", c->mig_queued,
		       c->mig_running + c->mig_committing,
		       c->stats.mig_done, c->stats.mig_failed);
		DMEMIT(" cache %llu %llu", c->stats.cache_hits, c->stats.cache_misses);
		DMEMIT(" scrub %s %llu %llu %llu", c->scrub.running ? "running" : "idle",
		       c->scrub.checked, c->scrub.repaired, c->scrub.unrepairable);
		DMEMIT(" space %llu %u %llu %llu", c->stats.demoted, c->nr_nospace,
		       c->stats.nospace, c->stats.unmapped);
		DMEMIT(" read_errors %llu %llu", c->stats.read_corrected,
		       c->stats.read_uncorrectable);
		spin_unlock_irq(&c->lock);
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s %llu %u", c->meta_dev->name, (u64)c->extent_sectors,
		       c->nr_tiers);
		for (t = 0; t < c->nr_tiers; t++) {
			struct couche_tier *tier = &c->tiers[t];

			if (tier->kind == COUCHE_TIER_LINEAR) {
				DMEMIT(" 3 %s linear %s", tier->name, tier->members[0].dev->name);
				continue;
			}
			DMEMIT(" %u %s raid6 %u %u", 4 + tier->nr_members, tier->name,
			       tier->k, tier->chunk_sectors);
			for (i = 0; i < tier->nr_members; i++)
				DMEMIT(" %s", tier->members[i].dev ?
				       tier->members[i].dev->name : "-");
		}
		nf = 8 + p->discard_passdown + p->read_only;
		DMEMIT(" %u", nf);
		if (p->discard_passdown)
			DMEMIT(" discard_passdown");
		if (p->read_only)
			DMEMIT(" read_only");
		DMEMIT(" max_migrations %u migration_mbps %u heat_halflife_s %u reserve_pct %u",
		       p->max_migrations, p->migration_mbps, p->heat_halflife_s,
		       p->reserve_pct);
		break;
	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

/* Lines "<extent> <tier|-> <reads> <writes> <heat> <flags>" for a range. */
static int emit_extents(struct couche *c, u32 first, u32 last, char *result,
			unsigned int maxlen)
{
	unsigned int sz = 0;
	u32 i;

	/* DMEMIT stops short of a full buffer: stop there too. */
	for (i = first; i <= last && sz + 1 < maxlen; i++) {
		u32 e = READ_ONCE(c->map[i]);
		u32 s = atomic_read(&c->score[i]);

		if (!((i - first + 1) & 4095))
			cond_resched();
		DMEMIT("%u %s %u %u %u.%02u %c%c\n", i,
		       (e & CE_MAPPED) ? c->tiers[ce_tier(e)].name : "-",
		       atomic_read(&c->reads[i]), atomic_read(&c->writes[i]),
		       s / COUCHE_HEAT_UNIT, (s % COUCHE_HEAT_UNIT) * 100 / COUCHE_HEAT_UNIT,
		       (e & CE_PINNED) ? 'P' : '-', (e & CE_BUSY) ? 'M' : '-');
	}
	return 1;
}

/*
 * migrate <first>[-<last>] <tier>
 * pin <first>[-<last>] <tier>
 * unpin <first>[-<last>]
 * set <key> <value>
 * extents <first>[-<last>]
 */
static int couche_message(struct dm_target *ti, unsigned int argc, char **argv,
			  char *result, unsigned int maxlen)
{
	struct couche *c = ti->private;
	const char *why = NULL;
	u32 first, last;
	u64 queued;
	int tier, r;

	if (!argc)
		return -EINVAL;
	if (!strcasecmp(argv[0], "set")) {
		if (argc != 3) {
			DMWARN("usage: set <key> <value>");
			return -EINVAL;
		}
		r = couche_ctl_set(c, argv[1], argv[2], &why);
		goto out;
	}
	if (!strcasecmp(argv[0], "scrub") && argc == 1) {
		r = couche_ctl_scrub(c, &why);
		goto out;
	}
	if (argc < 2) {
		DMWARN("message '%s' needs an extent range", argv[0]);
		return -EINVAL;
	}
	r = couche_parse_range(argv[1], c->nr_extents, &first, &last);
	if (r) {
		DMWARN("invalid extent range '%s' (the volume has extents 0-%u)",
		       argv[1], c->nr_extents - 1);
		return -EINVAL;
	}
	if (!strcasecmp(argv[0], "extents") && argc == 2)
		return emit_extents(c, first, last, result, maxlen);
	if (!strcasecmp(argv[0], "unpin") && argc == 2) {
		r = couche_ctl_unpin(c, first, last, &why);
		goto out;
	}
	if ((strcasecmp(argv[0], "migrate") && strcasecmp(argv[0], "pin")) || argc != 3) {
		DMWARN("unknown message: expected migrate, pin, unpin, set, scrub or extents");
		return -EINVAL;
	}
	tier = couche_parse_tier_name(c, argv[2]);
	if (tier < 0) {
		DMWARN("unknown tier '%s'", argv[2]);
		return -EINVAL;
	}
	if (!strcasecmp(argv[0], "pin"))
		r = couche_ctl_pin(c, first, last, tier, &queued, &why);
	else
		r = couche_ctl_migrate(c, first, last, tier, &queued, &why);
out:
	if (r && why)
		DMWARN("%s: %s", argv[0], why);
	return r;
}

static int couche_iterate_devices(struct dm_target *ti,
				  iterate_devices_callout_fn fn, void *data)
{
	struct couche *c = ti->private;
	unsigned int t, i;
	int r = 0;

	for (t = 0; t < c->nr_tiers && !r; t++)
		for (i = 0; i < c->tiers[t].nr_members && !r; i++)
			if (c->tiers[t].members[i].dev)
				r = fn(ti, c->tiers[t].members[i].dev, COUCHE_DATA_OFFSET,
				       c->tiers[t].slots.nr *
				       member_slot_sectors(c, &c->tiers[t]), data);
	return r;
}

static void couche_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct couche *c = ti->private;

	/*
	 * Discards go down extent by extent; newer kernels derive
	 * max_discard_sectors from the hardware limit: set both.  Without
	 * passdown only whole extents matter, so say so to the filesystem.
	 */
	limits->max_hw_discard_sectors = c->extent_sectors;
	limits->max_discard_sectors = c->extent_sectors;
	limits->discard_alignment = 0;
	limits->discard_misaligned = 0;
	if (c->params.discard_passdown)
		limits->discard_granularity =
			clamp_t(unsigned int, limits->discard_granularity,
				limits->logical_block_size,
				c->extent_sectors << SECTOR_SHIFT);
	else
		limits->discard_granularity = c->extent_sectors << SECTOR_SHIFT;
}

static struct target_type couche_target = {
	.name = COUCHE_TARGET_NAME,
	.version = { 1, 1, 0 },
	.features = DM_TARGET_SINGLETON,	/* netlink knows a volume by its device */
	.module = THIS_MODULE,
	.ctr = couche_ctr,
	.dtr = couche_dtr,
	.map = couche_map,
	.end_io = couche_end_io,
	.presuspend = couche_presuspend,
	.presuspend_undo = couche_presuspend_undo,
	.postsuspend = couche_postsuspend,
	.preresume = couche_preresume,
	.resume = couche_resume,
	.status = couche_status,
	.message = couche_message,
	.iterate_devices = couche_iterate_devices,
	.io_hints = couche_io_hints,
};

static int __init dm_couche_init(void)
{
	int r = couche_nl_init();

	if (r) {
		DMERR("cannot register the netlink family: %d", r);
		return r;
	}
	r = dm_register_target(&couche_target);
	if (r) {
		DMERR("cannot register target: %d", r);
		couche_nl_exit();
	}
	return r;
}

static void __exit dm_couche_exit(void)
{
	couche_nl_exit();
	dm_unregister_target(&couche_target);
}

module_init(dm_couche_init);
module_exit(dm_couche_exit);

MODULE_DESCRIPTION(DM_NAME " tiered volume target");
MODULE_AUTHOR("CoucheStor developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(COUCHE_VERSION);
