/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-couche internal header, sectioned by the file that defines each part.
 */
#ifndef DM_COUCHE_H
#define DM_COUCHE_H

#include <linux/atomic.h>
#include <linux/bio.h>
#include <linux/device-mapper.h>
#include <linux/dm-io.h>
#include <linux/dm-kcopyd.h>
#include <linux/list.h>
#include <linux/mempool.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "format.h"

#define COUCHE_OP_HASH_BITS	8

/* Feature defaults; the README documents each. */
#define COUCHE_DEF_MAX_MIGRATIONS	4
#define COUCHE_DEF_HALFLIFE_S		300
#define COUCHE_DEF_RESERVE_PCT		2
#define COUCHE_COMMIT_PERIOD		HZ

struct couche_params {
	bool discard_passdown;
	bool read_only;
	u32 cache_mb;
	u32 max_migrations;
	u32 migration_mbps;	/* 0: unthrottled */
	u32 heat_halflife_s;
	u32 reserve_pct;
};

/* Slots of one tier: a bitmap, one bit per extent-sized slot. */
struct couche_slots {
	unsigned long *bitmap;
	u32 nr;
	u32 used;
	u32 hint;
};

struct couche_member {
	struct dm_dev *dev;	/* NULL: missing ("-" in the table), dead */
	bool dead;
	bool rebuilding;	/* raid6: blank replacement, not yet in sync */
	bool missed;		/* raid6: dead when stripes were written */
	/* raid6 read errors rewritten from parity (raid6.c), under c->lock */
	u64 read_corrected;
	u32 recent_errors;	/* halved every hour, as md does */
	time64_t last_error;	/* ktime_get_seconds() */
	time64_t last_counted;	/* ... of the last one counted, at: */
	sector_t last_where;
};

/*
 * md's max_corr_read_errors: a raid6 member whose read errors, forgiven
 * by half every hour, pass this many is failed as a disk going bad.
 */
#define COUCHE_MAX_READ_ERRORS	20

/* A member whose chunks can be read as they are. */
static inline bool couche_member_readable(const struct couche_member *m)
{
	return !READ_ONCE(m->dead) && !READ_ONCE(m->rebuilding);
}

struct couche_tier {
	char name[COUCHE_TIER_NAME_LEN];
	u32 kind;
	u32 nr_members;
	struct couche_member members[COUCHE_MAX_MEMBERS];
	struct couche_slots slots;
	u32 reserve;		/* low watermark: below it the kernel demotes */
	u32 wm_high;		/* ... until this many slots are free again */
	u32 outgoing;		/* extents moving out: their slots free at commit */
	bool demoting;		/* fell below reserve, not yet back at wm_high */
	/* Demotion candidates (space.c): c->cand + t * COUCHE_ROOM_BATCH */
	u32 nr_cand, cand_next;
	unsigned long cand_time;	/* of the last scan */
	u64 cand_empty_seq;		/* dirty_seq when nothing could move */
	/* raid6: k data members, chunk size, stripes per slot */
	u32 k;
	u32 chunk_sectors;
	u32 sps;
	u32 rebuild_next;	/* next slot to rebuild ... */
	int rebuild_member;	/* ... of this member (-1: none yet) */
	bool reserve_low;	/* free slots at or below the reserve */
};

enum couche_op_kind {
	COUCHE_OP_PROVISION,	/* zero a fresh slot, then map it */
	COUCHE_OP_MIGRATE,	/* copy an extent to another tier */
	COUCHE_OP_SCRUB,	/* raid6: check (and repair) an extent's stripes */
	COUCHE_OP_UNMAP,	/* a discard of the whole extent: free its slot */
};

/* An extent with I/O held back while it is provisioned or migrated. */
struct couche_op {
	struct hlist_node hash;
	struct list_head list;
	struct couche *c;
	u32 extent;
	u8 kind;
	u8 src_tier;
	u8 dst_tier;
	bool promote;		/* moving up for a write: fail it if this fails */
	bool demote;		/* the kernel making room (space.c) */
	u32 missed;		/* raid6 destination: members dead as it was written */
	u32 src_slot;
	u32 dst_slot;
	int error;
	struct bio *bio;		/* provision by overwrite, unmap: the bio */
	struct bio_list deferred;
	struct work_struct copy_work;	/* raid6 copies */
};

/* A queued migration request: extents next..last go to tier. */
struct couche_mig_req {
	struct list_head list;
	u32 next;
	u32 last;
	u8 tier;
	bool pin;
};

/* An event waiting for the worker to multicast it. */
struct couche_event_rec {
	u8 type;		/* enum couche_event */
	u8 tier;
	u8 member;
	u32 extent;
	u32 error;
	u64 done;
	u64 total;
};

#define COUCHE_EVENT_RING	64	/* a power of two */

struct couche_stats {
	u64 mig_done;
	u64 mig_failed;
	u64 demoted;		/* extents the kernel moved down to make room */
	u64 nospace;		/* writes failed: no tier could make room */
	u64 unmapped;		/* extents freed by discards */
	u64 cache_hits;
	u64 cache_misses;
	u64 read_corrected;	/* raid6 read errors rewritten from parity */
	u64 read_uncorrectable;	/* raid6 reads failed: beyond parity */
};

struct couche_rank {
	u32 index;
	u32 heat;
};

#define COUCHE_ROOM_BATCH	64	/* demotion candidates per scan */

struct couche {
	struct dm_target *ti;
	struct dm_dev *meta_dev;
	struct couche_params params;

	sector_t extent_sectors;
	unsigned int extent_shift;
	u32 nr_extents;
	unsigned int nr_tiers;
	struct couche_tier tiers[COUCHE_MAX_TIERS];

	/* Metadata (metadata.c) */
	struct couche_geometry geo;	/* as last committed */
	u64 meta_blocks;
	u32 map_blocks;
	bool loaded;
	bool meta_failed;
	u64 dirty_seq;			/* bumped by every map change */
	u64 durable_seq;		/* dirty_seq of the last commit */
	unsigned long *dirty;		/* map blocks changed since last commit */
	unsigned long *stale;		/* blocks the inactive copy lacks */
	unsigned long *work;		/* blocks being committed */
	void *stage;			/* staging buffer for commits */
	struct dm_io_client *io_client;
	struct mutex commit_lock;	/* one commit at a time */
	unsigned long last_commit;

	/* Per extent: map entry and heat, 16 bytes in all. */
	u32 *map;
	atomic_t *reads;
	atomic_t *writes;
	atomic_t *score;

	spinlock_t lock;		/* map, slots, ops, queues */
	struct hlist_head op_hash[1 << COUCHE_OP_HASH_BITS];
	mempool_t op_pool;
	struct bio_list deferred_bios;
	struct bio_list flush_bios;
	struct list_head done_ops;	/* kcopyd finished, to complete */

	/* I/O epochs: the worker waits out I/O mapped before a change. */
	atomic_t epoch_count[2];
	unsigned int epoch;
	wait_queue_head_t epoch_wait;

	/* Migration (migrate.c) */
	struct list_head mig_queue;
	u64 mig_queued;
	u32 mig_running;		/* copies in flight */
	u32 mig_committing;		/* copied, their map change not yet durable */
	bool quiescing;
	u64 mig_tokens_ns;		/* throttle: bytes allowed, as time */
	s64 mig_tokens;
	struct couche_stats stats;

	/* Heat (heat.c) */
	unsigned long last_decay;
	struct work_struct heat_work;

	/* Room (space.c, unmap.c) */
	struct bio_list nospace_bios;	/* writes waiting for a free linear slot */
	u32 nr_nospace;
	bool room_freed;		/* a linear slot was freed: retry them */
	u8 room_why;			/* why no demotion could start */
	struct couche_rank *cand;	/* per tier, coldest first */
	struct list_head unmap_ops;	/* unmapped in memory, to commit */
	u32 nr_unmapping;		/* unmaps not yet ended */

	struct dm_kcopyd_client *kcopyd;
	struct workqueue_struct *wq;
	struct workqueue_struct *r6_wq;	/* raid6 copies, degraded reads */
	struct work_struct rebuild_work;
	struct work_struct scrub_work;
	struct {
		bool running;
		u64 checked;		/* stripes */
		u64 repaired;
		u64 unrepairable;
		u64 total;		/* stripes to check */
	} scrub;

	/* Netlink (netlink.c): registry entry and events to send. */
	struct list_head nl_node;
	u64 nl_id;
	u64 nl_stamp;			/* resume order; 0: never resumed */
	char nl_name[COUCHE_DEV_NAME_LEN];	/* under ev_lock */
	dev_t nl_devt;
	spinlock_t ev_lock;		/* ev_ring; any context, nests in lock */
	unsigned int ev_head, ev_tail;
	u64 ev_dropped;
	struct couche_event_rec ev_ring[COUCHE_EVENT_RING];
	struct work_struct worker;
	struct delayed_work waker;
	unsigned long event_pending;
	bool commit_due;
	bool active;			/* resumed, may commit */
	bool report_dead;		/* members dead at load: events at resume */
	wait_queue_head_t mig_wait;
};

/* Per-bio data */
struct couche_bio {
	s8 epoch;	/* -1: not counted */
	s8 tier;
	s8 member;
	bool retried;			/* raid6: failed read redone */
	struct couche_op *op;		/* a first write that fills its extent */
	u32 e;				/* raid6: map entry read through */
	struct bvec_iter saved;		/* raid6 reads: before remap */
	struct couche *c;
	struct work_struct work;	/* raid6: degraded read */
};

/* Functions defined in alloc.c */
int couche_slots_init(struct couche_slots *s, u32 nr);
void couche_slots_exit(struct couche_slots *s);
int couche_slot_alloc(struct couche_slots *s, u32 *slot);
int couche_slot_claim(struct couche_slots *s, u32 slot);
void couche_slot_free(struct couche_slots *s, u32 slot);
int couche_pick_tier(const struct couche_slots *const *slots,
		     const u32 *reserve, unsigned int nr_tiers);

/* Functions defined in heat.c */
#define COUCHE_HEAT_UNIT	((u32)COUCHE_HEAT_SCALE)
#define COUCHE_HEAT_MAX		0xff000000u
#define COUCHE_DECAY_STEPS	8	/* decay steps per half-life */
u32 couche_heat_decay(u32 score, unsigned int steps);
unsigned long couche_decay_period(u32 halflife_s);
void couche_heat_tick(struct couche *c);

static inline void couche_heat_count(struct couche *c, u32 extent, bool write)
{
	atomic_inc(write ? &c->writes[extent] : &c->reads[extent]);
	if (atomic_read(&c->score[extent]) < COUCHE_HEAT_MAX)
		atomic_add(COUCHE_HEAT_UNIT, &c->score[extent]);
}

/* Functions defined in args.c */
int couche_parse_range(const char *s, u32 nr_extents, u32 *first, u32 *last);
int couche_parse_features(struct dm_arg_set *as, struct couche_params *p,
			  char **error);
int couche_parse_tier_name(struct couche *c, const char *s);
int couche_set_param(struct couche_params *p, const char *name,
		     const char *value, char **error);

/*
 * True while the map has changes that are not durable yet, including
 * while a commit of them is under way: a flush or FUA bio must wait.
 */
static inline bool couche_uncommitted(struct couche *c)
{
	return READ_ONCE(c->durable_seq) != READ_ONCE(c->dirty_seq);
}

/* Functions defined in metadata.c */
int couche_meta_open(struct couche *c, char **error);
void couche_meta_close(struct couche *c);
int couche_meta_reload_if_changed(struct couche *c);
int couche_commit(struct couche *c);
int couche_commit_final(struct couche *c);
void couche_mark_dirty(struct couche *c, u32 extent);

/* Functions defined in io.c */
int couche_map(struct dm_target *ti, struct bio *bio);
int couche_end_io(struct dm_target *ti, struct bio *bio, blk_status_t *error);
void couche_member_failed(struct couche *c, struct couche_member *m,
			  const char *why);
void couche_process_deferred(struct couche *c);
void couche_complete_ops(struct couche *c);
void couche_epoch_drain(struct couche *c);
void couche_submit_mapped(struct couche *c, struct bio *bio);
int couche_pick_new_tier(struct couche *c, u32 e);
struct couche_op *couche_op_find(struct couche *c, u32 extent);
struct couche_op *couche_op_alloc(struct couche *c, u32 extent, u8 kind);
void couche_op_insert(struct couche *c, struct couche_op *op);
void couche_defer_to_busy(struct couche *c, struct couche_op *op, struct bio *bio,
			  u32 extent) __releases(&c->lock);
void couche_op_remove(struct couche *c, struct couche_op *op);
void couche_op_done(int read_err, unsigned long write_err, void *context);
void couche_release_bios(struct couche *c, struct bio_list *bios);

/* Functions defined in migrate.c */
int couche_queue_migration(struct couche *c, u32 first, u32 last,
			   unsigned int tier, bool pin);
void couche_start_migrations(struct couche *c);
void couche_finish_migrations(struct couche *c, struct list_head *ops);
void couche_cancel_migrations(struct couche *c);
int couche_promote(struct couche *c, struct bio *bio, u32 extent);

/* Functions defined in raid6.c */
unsigned int couche_r6_role_member(u32 k, u64 g, unsigned int role);
void couche_r6_locate(const struct couche_tier *t, u32 slot, sector_t off,
		      unsigned int *member, sector_t *sector, sector_t *left);
int couche_r6_recover(u32 k, size_t bytes, void **ptrs, const bool *failed);
int couche_r6_recover_one(u32 k, size_t bytes, void **ptrs, unsigned int lost, u8 *scratch);
void couche_r6_queue_copy(struct couche *c, struct couche_op *op);
void couche_r6_queue_read(struct couche *c, struct bio *bio, u32 e);
void couche_r6_rebuild(struct work_struct *ws);
void couche_r6_scrub(struct work_struct *ws);
bool couche_r6_needs_rebuild(struct couche *c);

/* Functions defined in space.c */
enum couche_room_why {
	COUCHE_ROOM_OK,
	COUCHE_ROOM_FULL,	/* no slower tier can take an extent */
	COUCHE_ROOM_PINNED,	/* only pinned extents could move */
};

bool couche_room_due(struct couche *c);
void couche_wait_for_room(struct couche *c, struct bio *bio);
void couche_release_slot(struct couche *c, unsigned int t, u32 slot);
bool couche_room_next(struct couche *c, struct couche_op *op, bool urgent);
void couche_room_check(struct couche *c);

/* Functions defined in unmap.c */
bool couche_discard_unmaps(struct couche *c, struct bio *bio);
int couche_start_unmap(struct couche *c, struct bio *bio, u32 extent);
void couche_finish_unmaps(struct couche *c);
void couche_unmap_done(struct couche *c, struct couche_op *op);

/* Functions defined in target.c */
void couche_wake(struct couche *c);

/* Functions defined in control.c */
int couche_ctl_migrate(struct couche *c, u32 first, u32 last, unsigned int tier,
		       u64 *queued, const char **why);
int couche_ctl_pin(struct couche *c, u32 first, u32 last, unsigned int tier,
		   u64 *queued, const char **why);
int couche_ctl_unpin(struct couche *c, u32 first, u32 last, const char **why);
int couche_ctl_scrub(struct couche *c, const char **why);
int couche_ctl_set(struct couche *c, const char *key, const char *value,
		   const char **why);

/* Functions defined in rank.c */

void couche_rank_push(struct couche_rank *h, u32 *nr, u32 n, struct couche_rank x, bool top);
void couche_rank_sort(struct couche_rank *h, u32 nr, bool top);

/* Functions defined in netlink.c */
int couche_nl_init(void);
void couche_nl_exit(void);
int couche_nl_register(struct couche *c, char **error);
void couche_nl_live(struct couche *c);
void couche_nl_unregister(struct couche *c);
void couche_event(struct couche *c, u8 type, int tier, int member, u32 extent,
		  u64 done, u64 total, int error);
void couche_nl_send_events(struct couche *c);
void couche_check_reserve(struct couche *c, unsigned int t);

/* Members of @t that cannot be read as they are: dead or rebuilding. */
static inline unsigned int couche_tier_lost(const struct couche_tier *t)
{
	unsigned int i, lost = 0;

	for (i = 0; i < t->nr_members; i++)
		lost += !couche_member_readable(&t->members[i]);
	return lost;
}

/* A tier whose data can still be read: raid6 does without two members. */
static inline bool couche_tier_readable(const struct couche_tier *t)
{
	return couche_tier_lost(t) <= (t->kind == COUCHE_TIER_RAID6 ? 2 : 0);
}

/*
 * A tier new data may go to: all members alive.  (A raid6 member that
 * missed writes would hold stale chunks when it comes back; until rebuild
 * exists, a degraded raid6 tier only serves and gives up extents.)
 */
static inline bool couche_tier_usable(struct couche *c, unsigned int t)
{
	return !couche_tier_lost(&c->tiers[t]);
}

static inline bool couche_is_raid6(struct couche *c, unsigned int t)
{
	return c->tiers[t].kind == COUCHE_TIER_RAID6;
}

static inline sector_t couche_slot_sector(struct couche *c, u32 slot)
{
	return COUCHE_DATA_OFFSET + ((sector_t)slot << c->extent_shift);
}

#endif /* DM_COUCHE_H */
