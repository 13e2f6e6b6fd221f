// SPDX-License-Identifier: GPL-2.0
/*
 * dm-couche generic-netlink family "couche": see include/uapi/linux/dm-couche.h.
 *
 * Volumes are found through a registry of tables: a table joins it when
 * it is constructed and leaves it when it is destroyed.  Resume stamps the
 * table live without taking a lock (it runs with the device suspended, so
 * it must not wait for a handler that may be in reclaim); of the tables of
 * one device, the last one resumed is the volume.  Every handler holds
 * couche_nl_lock, so a table cannot be destroyed under it.  Dumps find
 * their volume again by id at each step.
 */
#include <linux/capability.h>
#include <linux/kdev_t.h>
#include <linux/vmalloc.h>
#include <net/genetlink.h>

#include "couche.h"

#define DM_MSG_PREFIX "couche"

static DEFINE_MUTEX(couche_nl_lock);
static LIST_HEAD(couche_devices);	/* by nl_id, ascending */
static u64 couche_next_id = 1;
static atomic64_t couche_live_stamp = ATOMIC64_INIT(0);
static struct genl_family couche_family;

enum { COUCHE_MCGRP_EVENTS };

static const struct genl_multicast_group couche_mcgrps[] = {
	[COUCHE_MCGRP_EVENTS] = { .name = COUCHE_GENL_MCGRP_EVENTS },
};

/* Ranges past s16 need a range struct. */
static struct netlink_range_validation mbps_range = {
	.max = COUCHE_MIGRATION_MBPS_MAX,
};

/* A ranking is memory and time for anyone who can read: bound it. */
static struct netlink_range_validation rank_range = {
	.min = 1,
	.max = COUCHE_MAX_RANK,
};

static struct netlink_range_validation halflife_range = {
	.min = 1,
	.max = COUCHE_HALFLIFE_S_MAX,
};

static const struct nla_policy param_policy[COUCHE_PARAM_A_MAX + 1] = {
	[COUCHE_PARAM_A_MAX_MIGRATIONS] = NLA_POLICY_RANGE(NLA_U32, 1,
							   COUCHE_MAX_MIGRATIONS_MAX),
	[COUCHE_PARAM_A_MIGRATION_MBPS] = NLA_POLICY_FULL_RANGE(NLA_U32, &mbps_range),
	[COUCHE_PARAM_A_HEAT_HALFLIFE_S] = NLA_POLICY_FULL_RANGE(NLA_U32, &halflife_range),
	[COUCHE_PARAM_A_CACHE_MB] = { .type = NLA_U32 },
	[COUCHE_PARAM_A_RESERVE_PCT] = { .type = NLA_REJECT },
};

/* Requests; replies carry more, but nobody sends those to the kernel. */
static const struct nla_policy dev_policy[COUCHE_DEV_A_MAX + 1] = {
	[COUCHE_DEV_A_NAME] = { .type = NLA_NUL_STRING, .len = COUCHE_DEV_NAME_LEN - 1 },
	[COUCHE_DEV_A_MAJOR] = { .type = NLA_U32 },
	[COUCHE_DEV_A_MINOR] = { .type = NLA_U32 },
	[COUCHE_DEV_A_PARAMS] = NLA_POLICY_NESTED(param_policy),
	[COUCHE_DEV_A_FIRST] = { .type = NLA_U32 },
	[COUCHE_DEV_A_LAST] = { .type = NLA_U32 },
	[COUCHE_DEV_A_TIER_INDEX] = NLA_POLICY_MAX(NLA_U8, COUCHE_MAX_TIERS - 1),
	[COUCHE_DEV_A_TIER_NAME] = { .type = NLA_NUL_STRING,
				     .len = COUCHE_TIER_NAME_LEN - 1 },
	[COUCHE_DEV_A_FILTER_TIER] = NLA_POLICY_MAX(NLA_U8, COUCHE_MAX_TIERS - 1),
	[COUCHE_DEV_A_TOP] = NLA_POLICY_FULL_RANGE(NLA_U32, &rank_range),
	[COUCHE_DEV_A_BOTTOM] = NLA_POLICY_FULL_RANGE(NLA_U32, &rank_range),
	[COUCHE_DEV_A_MAPPED_ONLY] = { .type = NLA_FLAG },
};

static void set_err(struct netlink_ext_ack *extack, const char *msg)
{
	if (extack)
		extack->_msg = msg;
}

/* Registry */

/* Names change with dmsetup rename; events read them from any context. */
static void set_name(struct couche *c, const char *name)
{
	unsigned long flags;

	spin_lock_irqsave(&c->ev_lock, flags);
	strscpy(c->nl_name, name, sizeof(c->nl_name));
	spin_unlock_irqrestore(&c->ev_lock, flags);
}

static void get_name(struct couche *c, char *name)
{
	unsigned long flags;

	spin_lock_irqsave(&c->ev_lock, flags);
	strscpy(name, c->nl_name, COUCHE_DEV_NAME_LEN);
	spin_unlock_irqrestore(&c->ev_lock, flags);
}

/* The dm name now (it may have been renamed since). */
static void refresh_name(struct couche *c)
{
	char name[COUCHE_DEV_NAME_LEN];

	if (!dm_copy_name_and_uuid(dm_table_get_md(c->ti->table), name, NULL))
		set_name(c, name);
}

static bool uses_bdev(struct couche *c, struct block_device *bdev)
{
	unsigned int t, i;

	if (c->meta_dev && c->meta_dev->bdev == bdev)
		return true;
	for (t = 0; t < c->nr_tiers; t++)
		for (i = 0; i < c->tiers[t].nr_members; i++)
			if (c->tiers[t].members[i].dev &&
			    c->tiers[t].members[i].dev->bdev == bdev)
				return true;
	return false;
}

/*
 * Caller holds couche_nl_lock: a table of another dm device over one of
 * @c's devices.  (A reload's new table shares them with the old one of
 * the same device: that is the one case allowed.)
 */
static struct couche *sharer(struct couche *c)
{
	struct mapped_device *md = dm_table_get_md(c->ti->table);
	struct couche *o;
	unsigned int t, i;

	list_for_each_entry(o, &couche_devices, nl_node) {
		if (dm_table_get_md(o->ti->table) == md)
			continue;
		if (c->meta_dev && uses_bdev(o, c->meta_dev->bdev))
			return o;
		for (t = 0; t < c->nr_tiers; t++)
			for (i = 0; i < c->tiers[t].nr_members; i++)
				if (c->tiers[t].members[i].dev &&
				    uses_bdev(o, c->tiers[t].members[i].dev->bdev))
					return o;
	}
	return NULL;
}

static int refuse_shared(struct couche *c, struct couche *o, char **error)
{
	char name[COUCHE_DEV_NAME_LEN];

	get_name(o, name);
	DMERR("a device of this table is in use by couche volume %s", name);
	*error = "A device of this table is in use by another couche volume";
	return -EBUSY;
}

/*
 * From the constructor, before anything is written: the table joins the
 * registry (not live until resume, so no handler looks at it), unless one
 * of its devices belongs to another dm device's table.  Checking and
 * joining under one lock keeps two constructors from both formatting.
 */
int couche_nl_register(struct couche *c, char **error)
{
	struct couche *o;
	int r = 0;

	c->nl_devt = disk_devt(dm_disk(dm_table_get_md(c->ti->table)));
	refresh_name(c);
	mutex_lock(&couche_nl_lock);
	o = sharer(c);
	if (o) {
		r = refuse_shared(c, o, error);
	} else {
		c->nl_id = couche_next_id++;
		list_add_tail(&c->nl_node, &couche_devices);
	}
	mutex_unlock(&couche_nl_lock);
	return r;
}

/* From resume: the newest stamp among a device's tables is its volume. */
void couche_nl_live(struct couche *c)
{
	refresh_name(c);
	WRITE_ONCE(c->nl_stamp, atomic64_inc_return(&couche_live_stamp));
}

void couche_nl_unregister(struct couche *c)
{
	mutex_lock(&couche_nl_lock);
	if (!list_empty(&c->nl_node))
		list_del_init(&c->nl_node);
	mutex_unlock(&couche_nl_lock);
}

/* True if @c is the live table of its device; caller holds the lock. */
static bool is_volume(struct couche *c)
{
	u64 stamp = READ_ONCE(c->nl_stamp);
	struct couche *o;

	if (!stamp)
		return false;	/* loaded, never resumed */
	list_for_each_entry(o, &couche_devices, nl_node)
		if (o->nl_devt == c->nl_devt && READ_ONCE(o->nl_stamp) > stamp)
			return false;
	return true;
}

static struct couche *find_by_id(u64 id)
{
	struct couche *c;

	list_for_each_entry(c, &couche_devices, nl_node)
		if (c->nl_id == id)
			return c;
	return NULL;
}

/* The volume a request names, by NAME or MAJOR+MINOR; caller holds the lock. */
static struct couche *find_device(struct nlattr **attrs, struct netlink_ext_ack *extack)
{
	struct nlattr *name = attrs[COUCHE_DEV_A_NAME];
	struct couche *c;
	dev_t devt = 0;

	if (!name && (!attrs[COUCHE_DEV_A_MAJOR] || !attrs[COUCHE_DEV_A_MINOR])) {
		set_err(extack, "Name the volume: its dm name, or major and minor");
		return ERR_PTR(-EINVAL);
	}
	if (!name) {
		u32 major = nla_get_u32(attrs[COUCHE_DEV_A_MAJOR]);
		u32 minor = nla_get_u32(attrs[COUCHE_DEV_A_MINOR]);

		if (major > MAJOR(~0U) || minor > MINOR(~0U)) {
			set_err(extack, "Device number out of range");
			return ERR_PTR(-EINVAL);
		}
		devt = MKDEV(major, minor);
	}
	list_for_each_entry(c, &couche_devices, nl_node) {
		char now[COUCHE_DEV_NAME_LEN];

		if (!is_volume(c))
			continue;
		refresh_name(c);
		get_name(c, now);
		if (name ? !nla_strcmp(name, now) : c->nl_devt == devt)
			return c;
	}
	set_err(extack, "No dm-couche volume by that name or number is active");
	return ERR_PTR(-ENODEV);
}

/* Extent range FIRST..LAST (LAST defaults to FIRST, FIRST to all). */
static int get_range(struct couche *c, struct nlattr **attrs, bool need,
		     u32 *first, u32 *last, struct netlink_ext_ack *extack)
{
	if (!attrs[COUCHE_DEV_A_FIRST]) {
		if (need || attrs[COUCHE_DEV_A_LAST]) {
			set_err(extack, "Give the first extent of the range");
			return -EINVAL;
		}
		*first = 0;
		*last = c->nr_extents - 1;
		return 0;
	}
	*first = nla_get_u32(attrs[COUCHE_DEV_A_FIRST]);
	*last = attrs[COUCHE_DEV_A_LAST] ? nla_get_u32(attrs[COUCHE_DEV_A_LAST]) : *first;
	if (*first > *last) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[COUCHE_DEV_A_LAST],
				    "The last extent comes before the first");
		return -EINVAL;
	}
	if (*last >= c->nr_extents) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[COUCHE_DEV_A_LAST] ?: attrs[COUCHE_DEV_A_FIRST],
				    "Extent out of range: see NR_EXTENTS in GET_DEVICE");
		return -ERANGE;
	}
	return 0;
}

/* The tier a request names, by TIER_INDEX or TIER_NAME. */
static int get_tier(struct couche *c, struct nlattr **attrs,
		    struct netlink_ext_ack *extack)
{
	struct nlattr *idx = attrs[COUCHE_DEV_A_TIER_INDEX];
	struct nlattr *name = attrs[COUCHE_DEV_A_TIER_NAME];
	unsigned int t;

	if (idx) {
		t = nla_get_u8(idx);
		if (t < c->nr_tiers)
			return t;
		NL_SET_ERR_MSG_ATTR(extack, idx, "The volume has no tier with that index");
		return -ERANGE;
	}
	if (!name) {
		set_err(extack, "Name the tier: TIER_NAME or TIER_INDEX");
		return -EINVAL;
	}
	for (t = 0; t < c->nr_tiers; t++)
		if (!nla_strcmp(name, c->tiers[t].name))
			return t;
	NL_SET_ERR_MSG_ATTR(extack, name, "The volume has no tier by that name");
	return -ENOENT;
}

/*
 * Changes need CAP_SYS_ADMIN, as the device-mapper ioctls do, and held by
 * whoever opened the socket too.  GENL_ADMIN_PERM would check only
 * CAP_NET_ADMIN.
 */
static int check_admin(struct sk_buff *skb, struct netlink_ext_ack *extack)
{
	if (netlink_capable(skb, CAP_SYS_ADMIN))
		return 0;
	set_err(extack, "Changing a volume needs CAP_SYS_ADMIN");
	return -EPERM;
}

/* GET_DEVICE */

static int put_member(struct sk_buff *skb, struct couche *c, struct couche_member *m,
		      unsigned int i)
{
	struct nlattr *nest = nla_nest_start(skb, COUCHE_TIER_A_MEMBER);
	u8 state = READ_ONCE(m->dead) ? COUCHE_MEMBER_DEAD :
		READ_ONCE(m->rebuilding) ? COUCHE_MEMBER_REBUILDING : COUCHE_MEMBER_ALIVE;
	u64 read_errors;

	spin_lock_irq(&c->lock);
	read_errors = m->read_corrected;
	spin_unlock_irq(&c->lock);
	if (!nest || nla_put_u8(skb, COUCHE_MEMBER_A_INDEX, i) ||
	    nla_put_string(skb, COUCHE_MEMBER_A_DEV, m->dev ? m->dev->name : "-") ||
	    nla_put_u8(skb, COUCHE_MEMBER_A_STATE, state) ||
	    nla_put_u64_64bit(skb, COUCHE_MEMBER_A_READ_ERRORS, read_errors,
			      COUCHE_MEMBER_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int put_tier(struct sk_buff *skb, struct couche *c, unsigned int t)
{
	struct couche_tier *tier = &c->tiers[t];
	struct nlattr *nest, *members;
	bool rebuilding = false;
	unsigned int i;
	u32 used;

	spin_lock_irq(&c->lock);
	used = tier->slots.used;
	spin_unlock_irq(&c->lock);
	nest = nla_nest_start(skb, COUCHE_DEV_A_TIER);
	if (!nest || nla_put_u8(skb, COUCHE_TIER_A_INDEX, t) ||
	    nla_put_string(skb, COUCHE_TIER_A_NAME, tier->name) ||
	    nla_put_u8(skb, COUCHE_TIER_A_KIND, tier->kind) ||
	    nla_put_u32(skb, COUCHE_TIER_A_SLOTS, tier->slots.nr) ||
	    nla_put_u32(skb, COUCHE_TIER_A_USED, used) ||
	    nla_put_u32(skb, COUCHE_TIER_A_RESERVE, tier->reserve) ||
	    nla_put_u32(skb, COUCHE_TIER_A_WM_HIGH, tier->wm_high))
		return -EMSGSIZE;
	if (tier->kind == COUCHE_TIER_RAID6 &&
	    (nla_put_u32(skb, COUCHE_TIER_A_K, tier->k) ||
	     nla_put_u32(skb, COUCHE_TIER_A_CHUNK_SECTORS, tier->chunk_sectors)))
		return -EMSGSIZE;
	members = nla_nest_start(skb, COUCHE_TIER_A_MEMBERS);
	if (!members)
		return -EMSGSIZE;
	for (i = 0; i < tier->nr_members; i++) {
		if (put_member(skb, c, &tier->members[i], i))
			return -EMSGSIZE;
		rebuilding |= READ_ONCE(tier->members[i].rebuilding);
	}
	nla_nest_end(skb, members);
	if (rebuilding &&
	    nla_put_u32(skb, COUCHE_TIER_A_REBUILD_DONE, READ_ONCE(tier->rebuild_next)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static u32 dev_flags(struct couche *c)
{
	u32 f = 0;
	unsigned int t;

	if (c->params.read_only)
		f |= COUCHE_DEV_F_READ_ONLY;
	if (READ_ONCE(c->meta_failed))
		f |= COUCHE_DEV_F_META_FAILED;
	if (!c->active)
		f |= COUCHE_DEV_F_SUSPENDED;
	if (c->params.discard_passdown)
		f |= COUCHE_DEV_F_DISCARD_PASSDOWN;
	for (t = 0; t < c->nr_tiers; t++)
		if (!couche_tier_usable(c, t))
			f |= COUCHE_DEV_F_DEGRADED;
	return f;
}

static int put_params(struct sk_buff *skb, struct couche_params *p)
{
	struct nlattr *nest = nla_nest_start(skb, COUCHE_DEV_A_PARAMS);

	if (!nest ||
	    nla_put_u32(skb, COUCHE_PARAM_A_MAX_MIGRATIONS, READ_ONCE(p->max_migrations)) ||
	    nla_put_u32(skb, COUCHE_PARAM_A_MIGRATION_MBPS, READ_ONCE(p->migration_mbps)) ||
	    nla_put_u32(skb, COUCHE_PARAM_A_HEAT_HALFLIFE_S, READ_ONCE(p->heat_halflife_s)) ||
	    nla_put_u32(skb, COUCHE_PARAM_A_CACHE_MB, READ_ONCE(p->cache_mb)) ||
	    nla_put_u32(skb, COUCHE_PARAM_A_RESERVE_PCT, p->reserve_pct))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int put_ident(struct sk_buff *skb, struct couche *c)
{
	char name[COUCHE_DEV_NAME_LEN];

	get_name(c, name);
	if (nla_put_string(skb, COUCHE_DEV_A_NAME, name) ||
	    nla_put_u32(skb, COUCHE_DEV_A_MAJOR, MAJOR(c->nl_devt)) ||
	    nla_put_u32(skb, COUCHE_DEV_A_MINOR, MINOR(c->nl_devt)))
		return -EMSGSIZE;
	return 0;
}

#define PUT_U64(skb, a, v) nla_put_u64_64bit(skb, a, v, COUCHE_DEV_A_PAD)
#define COUCHE_DEVICE_MSG_SIZE 16384

static int put_counters(struct sk_buff *skb, struct couche *c)
{
	u64 queued, done, failed, hits, misses, checked, repaired, bad, total;
	u64 demoted, nospace, unmapped, corrected, uncorrectable;
	u32 running, waiting;
	bool scrubbing;

	spin_lock_irq(&c->lock);
	queued = c->mig_queued;
	running = c->mig_running + c->mig_committing;
	done = c->stats.mig_done;
	failed = c->stats.mig_failed;
	hits = c->stats.cache_hits;
	misses = c->stats.cache_misses;
	scrubbing = c->scrub.running;
	checked = c->scrub.checked;
	repaired = c->scrub.repaired;
	bad = c->scrub.unrepairable;
	total = c->scrub.total;
	demoted = c->stats.demoted;
	waiting = c->nr_nospace;
	nospace = c->stats.nospace;
	unmapped = c->stats.unmapped;
	corrected = c->stats.read_corrected;
	uncorrectable = c->stats.read_uncorrectable;
	spin_unlock_irq(&c->lock);
	if (PUT_U64(skb, COUCHE_DEV_A_MIG_QUEUED, queued) ||
	    nla_put_u32(skb, COUCHE_DEV_A_MIG_RUNNING, running) ||
	    PUT_U64(skb, COUCHE_DEV_A_MIG_DONE, done) ||
	    PUT_U64(skb, COUCHE_DEV_A_MIG_FAILED, failed) ||
	    PUT_U64(skb, COUCHE_DEV_A_CACHE_HITS, hits) ||
	    PUT_U64(skb, COUCHE_DEV_A_CACHE_MISSES, misses) ||
	    nla_put_u8(skb, COUCHE_DEV_A_SCRUB_RUNNING, scrubbing) ||
	    PUT_U64(skb, COUCHE_DEV_A_SCRUB_CHECKED, checked) ||
	    PUT_U64(skb, COUCHE_DEV_A_SCRUB_REPAIRED, repaired) ||
	    PUT_U64(skb, COUCHE_DEV_A_SCRUB_UNREPAIRABLE, bad) ||
	    PUT_U64(skb, COUCHE_DEV_A_SCRUB_TOTAL, total) ||
	    PUT_U64(skb, COUCHE_DEV_A_EVENTS_DROPPED, READ_ONCE(c->ev_dropped)) ||
	    PUT_U64(skb, COUCHE_DEV_A_DEMOTED, demoted) ||
	    nla_put_u32(skb, COUCHE_DEV_A_WAITING, waiting) ||
	    PUT_U64(skb, COUCHE_DEV_A_NOSPACE, nospace) ||
	    PUT_U64(skb, COUCHE_DEV_A_UNMAPPED, unmapped) ||
	    PUT_U64(skb, COUCHE_DEV_A_READ_CORRECTED, corrected) ||
	    PUT_U64(skb, COUCHE_DEV_A_READ_UNCORRECTABLE, uncorrectable))
		return -EMSGSIZE;
	return 0;
}

static int fill_device(struct sk_buff *skb, struct couche *c, u32 portid, u32 seq,
		       int flags)
{
	struct nlattr *tiers;
	char uuid[40];
	unsigned int t;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &couche_family, flags, COUCHE_CMD_GET_DEVICE);
	if (!hdr)
		return -EMSGSIZE;
	snprintf(uuid, sizeof(uuid), "%pUb", c->geo.uuid);
	if (put_ident(skb, c) || nla_put_string(skb, COUCHE_DEV_A_UUID, uuid) ||
	    PUT_U64(skb, COUCHE_DEV_A_LEN_SECTORS, c->ti->len) ||
	    PUT_U64(skb, COUCHE_DEV_A_EXTENT_SECTORS, c->extent_sectors) ||
	    nla_put_u32(skb, COUCHE_DEV_A_NR_EXTENTS, c->nr_extents) ||
	    PUT_U64(skb, COUCHE_DEV_A_META_USED, COUCHE_SB_BLOCKS + 2 * c->map_blocks) ||
	    PUT_U64(skb, COUCHE_DEV_A_META_TOTAL, c->meta_blocks) ||
	    nla_put_u32(skb, COUCHE_DEV_A_FLAGS, dev_flags(c)) ||
	    put_params(skb, &c->params) || put_counters(skb, c))
		goto nomem;
	tiers = nla_nest_start(skb, COUCHE_DEV_A_TIERS);
	if (!tiers)
		goto nomem;
	for (t = 0; t < c->nr_tiers; t++)
		if (put_tier(skb, c, t))
			goto nomem;
	nla_nest_end(skb, tiers);
	genlmsg_end(skb, hdr);
	return 0;
nomem:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int couche_get_device_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	struct couche *c;
	int r;

	/* 8 raid6 tiers of 18 members take about 7 KiB. */
	msg = genlmsg_new(COUCHE_DEVICE_MSG_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&couche_nl_lock);
	c = find_device(info->attrs, info->extack);
	r = IS_ERR(c) ? PTR_ERR(c) :
		fill_device(msg, c, info->snd_portid, info->snd_seq, 0);
	mutex_unlock(&couche_nl_lock);
	if (r) {
		nlmsg_free(msg);
		return r;
	}
	return genlmsg_reply(msg, info);
}

/* cb->args[0]: the id of the last volume sent. */
static int couche_get_device_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct couche *c;
	int r = 0;

	mutex_lock(&couche_nl_lock);
	list_for_each_entry(c, &couche_devices, nl_node) {
		if (c->nl_id <= cb->args[0] || !is_volume(c))
			continue;
		refresh_name(c);
		r = fill_device(skb, c, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				NLM_F_MULTI);
		if (r)
			break;
		cb->args[0] = c->nl_id;
	}
	mutex_unlock(&couche_nl_lock);
	/* A volume too big for an empty message would loop forever. */
	if (r && !skb->len)
		return r;
	return skb->len;
}

/* GET_EXTENTS */

#define COUCHE_DUMP_SCAN BIT(16)	/* extents looked at per message */

/* Dump state, in cb->ctx. */
struct extents_dump {
	u64 id;			/* the volume */
	u32 next;		/* next extent, or next entry of pick */
	u32 last;		/* last extent, or number of picks */
	struct couche_rank *pick;	/* top/bottom N, in order */
	u8 tier;		/* filter, or COUCHE_TIER_NONE */
	bool mapped_only;	/* filter: written extents */
};

static_assert(sizeof(struct extents_dump) <= sizeof_field(struct netlink_callback, ctx));

static bool extent_matches(struct couche *c, u32 i, const struct extents_dump *d)
{
	u32 e = READ_ONCE(c->map[i]);

	if (d->mapped_only && !(e & CE_MAPPED))
		return false;
	return d->tier == COUCHE_TIER_NONE || ((e & CE_MAPPED) && ce_tier(e) == d->tier);
}

/*
 * The N hottest (or coldest) extents of first..last, best first.  Called
 * without couche_nl_lock: the scan takes it a chunk at a time and finds
 * the volume again by id, so that a reader's ranking of 2^28 extents
 * never holds up the tables being created or destroyed meanwhile.
 */
static int pick_extents(struct extents_dump *d, u32 first, u32 last, u32 n, bool top)
{
	struct couche_rank *h, x;
	struct couche *c;
	u32 i, nr = 0;

	n = min(n, last - first + 1);
	h = kvmalloc_array(n, sizeof(*h), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!h)
		return -ENOMEM;
	for (i = first; i <= last; i++) {
		if (i == first || !(i & (COUCHE_DUMP_SCAN - 1))) {
			if (i != first) {
				mutex_unlock(&couche_nl_lock);
				cond_resched();
			}
			mutex_lock(&couche_nl_lock);
			c = find_by_id(d->id);
			if (!c) {
				mutex_unlock(&couche_nl_lock);
				kvfree(h);
				return -ENODEV;
			}
		}
		if (!extent_matches(c, i, d))
			continue;
		x.index = i;
		x.heat = atomic_read(&c->score[i]);
		couche_rank_push(h, &nr, n, x, top);
	}
	mutex_unlock(&couche_nl_lock);
	couche_rank_sort(h, nr, top);
	d->pick = h;
	d->next = 0;
	d->last = nr;
	return 0;
}

/* Never 0 (no check), and one map change always changes it. */
static unsigned int dump_seq(struct couche *c)
{
	return ((unsigned int)READ_ONCE(c->dirty_seq) << 1) | 1;
}

static struct nlattr **dump_attrs(struct netlink_callback *cb)
{
#ifdef COUCHE_HAVE_GENL_INFO_DUMP
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

static int couche_get_extents_start(struct netlink_callback *cb)
{
	struct extents_dump *d = (struct extents_dump *)cb->ctx;
	struct nlattr **attrs = dump_attrs(cb);
	struct netlink_ext_ack *extack = cb->extack;
	struct couche *c;
	u32 first, last;
	int r;

	memset(d, 0, sizeof(*d));
	if (attrs[COUCHE_DEV_A_TOP] && attrs[COUCHE_DEV_A_BOTTOM]) {
		set_err(extack, "Ask for the top N or the bottom N, not both");
		return -EINVAL;
	}
	mutex_lock(&couche_nl_lock);
	c = find_device(attrs, extack);
	r = IS_ERR(c) ? PTR_ERR(c) : get_range(c, attrs, false, &first, &last, extack);
	if (r)
		goto out;
	d->id = c->nl_id;
	d->tier = COUCHE_TIER_NONE;
	d->mapped_only = nla_get_flag(attrs[COUCHE_DEV_A_MAPPED_ONLY]);
	/* Changes from here on, the ranking included, flag the dump. */
	cb->seq = dump_seq(c);
	cb->prev_seq = cb->seq;
	if (attrs[COUCHE_DEV_A_FILTER_TIER]) {
		d->tier = nla_get_u8(attrs[COUCHE_DEV_A_FILTER_TIER]);
		if (d->tier >= c->nr_tiers) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[COUCHE_DEV_A_FILTER_TIER],
					    "The volume has no tier with that index");
			r = -ERANGE;
			goto out;
		}
	}
	if (attrs[COUCHE_DEV_A_TOP] || attrs[COUCHE_DEV_A_BOTTOM]) {
		bool top = attrs[COUCHE_DEV_A_TOP];

		mutex_unlock(&couche_nl_lock);
		r = pick_extents(d, first, last,
				 nla_get_u32(attrs[top ? COUCHE_DEV_A_TOP : COUCHE_DEV_A_BOTTOM]),
				 top);
		if (r == -ENOMEM)
			set_err(extack, "Not enough memory to rank that many extents");
		else if (r)
			set_err(extack, "The volume went away while it was being ranked");
		return r;
	}
	d->next = first;
	d->last = last;
out:
	mutex_unlock(&couche_nl_lock);
	return r;
}

static int couche_get_extents_done(struct netlink_callback *cb)
{
	struct extents_dump *d = (struct extents_dump *)cb->ctx;

	kvfree(d->pick);
	d->pick = NULL;
	return 0;
}

static void fill_info(struct couche *c, struct couche_extent_info *x, u32 i, u32 heat)
{
	u32 e = READ_ONCE(c->map[i]);

	memset(x, 0, sizeof(*x));
	x->index = i;
	x->reads = atomic_read(&c->reads[i]);
	x->writes = atomic_read(&c->writes[i]);
	x->heat = heat;
	x->tier = (e & CE_MAPPED) ? ce_tier(e) : COUCHE_TIER_NONE;
	x->flags = ((e & CE_MAPPED) ? COUCHE_EXTENT_F_MAPPED : 0) |
		((e & CE_PINNED) ? COUCHE_EXTENT_F_PINNED : 0) |
		((e & CE_BUSY) ? COUCHE_EXTENT_F_MIGRATING : 0);
}

/* One message per call, holding as many extents as fit. */
static int couche_get_extents_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct extents_dump *d = (struct extents_dump *)cb->ctx;
	/* A filter may match nothing for long: send what a pass found. */
	u32 room, n = 0, budget = COUCHE_DUMP_SCAN;
	struct couche_extent_info *x;
	struct nlattr *attr;
	struct couche *c;
	void *hdr;
	int r = 0;

	mutex_lock(&couche_nl_lock);
	c = find_by_id(d->id);
	if (!c) {
		r = -ENODEV;	/* removed or replaced during the dump */
		goto out;
	}
	if (d->pick ? d->next >= d->last : d->next > d->last)
		goto out;	/* done */
	/* The map changing between messages flags the dump interrupted. */
	cb->seq = dump_seq(c);
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &couche_family, NLM_F_MULTI, COUCHE_CMD_GET_EXTENTS);
	if (!hdr) {
		r = -EMSGSIZE;
		goto out;
	}
	genl_dump_check_consistent(cb, hdr);
	if (put_ident(skb, c))
		goto full;
	if (skb_tailroom(skb) < nla_total_size(sizeof(*x)) + 16)
		goto full;
	room = (skb_tailroom(skb) - nla_total_size(0) - 16) / sizeof(*x);
	room = min_t(u32, room, (U16_MAX - NLA_HDRLEN) / sizeof(*x));
	attr = nla_reserve(skb, COUCHE_DEV_A_EXTENTS, room * sizeof(*x));
	if (!attr)
		goto full;
	x = nla_data(attr);
	while (n < room && budget--) {
		if (d->pick) {
			if (d->next >= d->last)
				break;
			fill_info(c, &x[n++], d->pick[d->next].index, d->pick[d->next].heat);
			d->next++;
		} else {
			u32 i = d->next;

			if (i > d->last)
				break;
			d->next++;
			if (extent_matches(c, i, d))
				fill_info(c, &x[n++], i, atomic_read(&c->score[i]));
		}
	}
	/* Give back the room not used. */
	nlmsg_trim(skb, (char *)&x[n]);
	attr->nla_len = nla_attr_size(n * sizeof(*x));
	genlmsg_end(skb, hdr);
	r = skb->len;
	goto out;
full:
	genlmsg_cancel(skb, hdr);
	r = -EMSGSIZE;
out:
	mutex_unlock(&couche_nl_lock);
	return r;
}

/* Changing commands */

static int couche_move_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	bool pin = info->genlhdr->cmd == COUCHE_CMD_PIN;
	const char *why = NULL;
	struct sk_buff *msg;
	struct couche *c;
	u32 first, last;
	u64 queued = 0;
	void *hdr;
	int r, t;

	r = check_admin(skb, info->extack);
	if (r)
		return r;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&couche_nl_lock);
	c = find_device(attrs, info->extack);
	if (IS_ERR(c)) {
		r = PTR_ERR(c);
		goto out;
	}
	r = get_range(c, attrs, true, &first, &last, info->extack);
	if (r)
		goto out;
	t = get_tier(c, attrs, info->extack);
	if (t < 0) {
		r = t;
		goto out;
	}
	r = pin ? couche_ctl_pin(c, first, last, t, &queued, &why) :
		couche_ctl_migrate(c, first, last, t, &queued, &why);
	if (r) {
		set_err(info->extack, why);
		goto out;
	}
	hdr = genlmsg_put_reply(msg, info, &couche_family, 0, info->genlhdr->cmd);
	if (!hdr || put_ident(msg, c) || PUT_U64(msg, COUCHE_DEV_A_QUEUED, queued)) {
		r = -EMSGSIZE;
		goto out;
	}
	genlmsg_end(msg, hdr);
	mutex_unlock(&couche_nl_lock);
	return genlmsg_reply(msg, info);
out:
	mutex_unlock(&couche_nl_lock);
	nlmsg_free(msg);
	return r;
}

static int couche_unpin_doit(struct sk_buff *skb, struct genl_info *info)
{
	const char *why = NULL;
	struct couche *c;
	u32 first, last;
	int r;

	r = check_admin(skb, info->extack);
	if (r)
		return r;
	mutex_lock(&couche_nl_lock);
	c = find_device(info->attrs, info->extack);
	r = IS_ERR(c) ? PTR_ERR(c) :
		get_range(c, info->attrs, true, &first, &last, info->extack);
	if (!r) {
		r = couche_ctl_unpin(c, first, last, &why);
		if (r)
			set_err(info->extack, why);
	}
	mutex_unlock(&couche_nl_lock);
	return r;
}

static int couche_scrub_doit(struct sk_buff *skb, struct genl_info *info)
{
	const char *why = NULL;
	struct couche *c;
	int r;

	r = check_admin(skb, info->extack);
	if (r)
		return r;
	mutex_lock(&couche_nl_lock);
	c = find_device(info->attrs, info->extack);
	r = IS_ERR(c) ? PTR_ERR(c) : couche_ctl_scrub(c, &why);
	if (r && why)
		set_err(info->extack, why);
	mutex_unlock(&couche_nl_lock);
	return r;
}

static const char *const param_names[COUCHE_PARAM_A_MAX + 1] = {
	[COUCHE_PARAM_A_MAX_MIGRATIONS] = "max_migrations",
	[COUCHE_PARAM_A_MIGRATION_MBPS] = "migration_mbps",
	[COUCHE_PARAM_A_HEAT_HALFLIFE_S] = "heat_halflife_s",
	[COUCHE_PARAM_A_CACHE_MB] = "cache_mb",
};

/* All or nothing: every value is checked before any is set. */
static int couche_set_params_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[COUCHE_PARAM_A_MAX + 1];
	struct couche_params p;
	const char *why = NULL;
	struct couche *c;
	char value[16];
	char *error;
	int r, i;

	r = check_admin(skb, info->extack);
	if (r)
		return r;
	if (!info->attrs[COUCHE_DEV_A_PARAMS]) {
		set_err(info->extack, "Give the parameters to set in PARAMS");
		return -EINVAL;
	}
	r = nla_parse_nested(tb, COUCHE_PARAM_A_MAX, info->attrs[COUCHE_DEV_A_PARAMS],
			     param_policy, info->extack);
	if (r)
		return r;
	mutex_lock(&couche_nl_lock);
	c = find_device(info->attrs, info->extack);
	if (IS_ERR(c)) {
		r = PTR_ERR(c);
		goto out;
	}
	spin_lock_irq(&c->lock);
	p = c->params;
	spin_unlock_irq(&c->lock);
	for (i = 1; i <= COUCHE_PARAM_A_MAX; i++) {
		if (!tb[i] || !param_names[i])
			continue;
		snprintf(value, sizeof(value), "%u", nla_get_u32(tb[i]));
		r = couche_set_param(&p, param_names[i], value, &error);
		if (r) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[i], "Value out of range");
			if (i == COUCHE_PARAM_A_CACHE_MB)
				set_err(info->extack, error);
			goto out;
		}
	}
	for (i = 1; i <= COUCHE_PARAM_A_MAX; i++) {
		if (!tb[i] || !param_names[i])
			continue;
		snprintf(value, sizeof(value), "%u", nla_get_u32(tb[i]));
		r = couche_ctl_set(c, param_names[i], value, &why);
		if (WARN_ON_ONCE(r))
			break;
	}
out:
	mutex_unlock(&couche_nl_lock);
	return r;
}

static const struct genl_ops couche_ops[] = {
	{
		.cmd = COUCHE_CMD_GET_DEVICE,
		.doit = couche_get_device_doit,
		.dumpit = couche_get_device_dumpit,
	},
	{
		.cmd = COUCHE_CMD_GET_EXTENTS,
		.start = couche_get_extents_start,
		.dumpit = couche_get_extents_dumpit,
		.done = couche_get_extents_done,
	},
	{ .cmd = COUCHE_CMD_MIGRATE, .doit = couche_move_doit },
	{ .cmd = COUCHE_CMD_PIN, .doit = couche_move_doit },
	{ .cmd = COUCHE_CMD_UNPIN, .doit = couche_unpin_doit },
	{ .cmd = COUCHE_CMD_SET_PARAMS, .doit = couche_set_params_doit },
	{ .cmd = COUCHE_CMD_SCRUB, .doit = couche_scrub_doit },
};

static struct genl_family couche_family __ro_after_init = {
	.name = COUCHE_GENL_NAME,
	.version = COUCHE_GENL_VERSION,
	.maxattr = COUCHE_DEV_A_MAX,
	.policy = dev_policy,
	.module = THIS_MODULE,
	.ops = couche_ops,
	.n_ops = ARRAY_SIZE(couche_ops),
	.parallel_ops = true,		/* couche_nl_lock serialises */
	.mcgrps = couche_mcgrps,
	.n_mcgrps = ARRAY_SIZE(couche_mcgrps),
};

/* Events */

/* Queues an event for the worker to send; any context. */
void couche_event(struct couche *c, u8 type, int tier, int member, u32 extent,
		  u64 done, u64 total, int error)
{
	struct couche_event_rec *ev;
	unsigned long flags;

	spin_lock_irqsave(&c->ev_lock, flags);
	if (c->ev_head - c->ev_tail >= COUCHE_EVENT_RING) {
		c->ev_dropped++;
	} else {
		ev = &c->ev_ring[c->ev_head++ % COUCHE_EVENT_RING];
		ev->type = type;
		ev->tier = tier < 0 ? COUCHE_TIER_NONE : tier;
		ev->member = member < 0 ? 0xff : member;
		ev->extent = extent;
		ev->done = done;
		ev->total = total;
		ev->error = error < 0 ? -error : error;
	}
	spin_unlock_irqrestore(&c->ev_lock, flags);
	queue_work(c->wq, &c->worker);
}

static int fill_event(struct sk_buff *skb, struct couche *c, struct couche_event_rec *ev)
{
	void *hdr = genlmsg_put(skb, 0, 0, &couche_family, 0, COUCHE_CMD_EVENT);

	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u8(skb, COUCHE_DEV_A_EVENT, ev->type) || put_ident(skb, c) ||
	    (ev->tier != COUCHE_TIER_NONE &&
	     nla_put_u8(skb, COUCHE_DEV_A_TIER_INDEX, ev->tier)) ||
	    (ev->member != 0xff && nla_put_u8(skb, COUCHE_DEV_A_MEMBER, ev->member)) ||
	    nla_put_u32(skb, COUCHE_DEV_A_FIRST, ev->extent) ||
	    PUT_U64(skb, COUCHE_DEV_A_DONE, ev->done) ||
	    PUT_U64(skb, COUCHE_DEV_A_TOTAL, ev->total) ||
	    (ev->error && nla_put_u32(skb, COUCHE_DEV_A_ERROR, ev->error))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* Worker: multicasts queued events (dropped if nobody listens). */
void couche_nl_send_events(struct couche *c)
{
	struct couche_event_rec ev;
	struct sk_buff *skb;
	unsigned long flags;

	for (;;) {
		spin_lock_irqsave(&c->ev_lock, flags);
		if (c->ev_tail == c->ev_head) {
			spin_unlock_irqrestore(&c->ev_lock, flags);
			return;
		}
		ev = c->ev_ring[c->ev_tail++ % COUCHE_EVENT_RING];
		spin_unlock_irqrestore(&c->ev_lock, flags);
		if (!genl_has_listeners(&couche_family, &init_net, COUCHE_MCGRP_EVENTS))
			continue;
		/* The worker writes back: no allocation may wait for I/O. */
		skb = genlmsg_new(NLMSG_GOODSIZE, GFP_NOIO);
		if (!skb)
			continue;
		if (fill_event(skb, c, &ev)) {
			nlmsg_free(skb);
			continue;
		}
		genlmsg_multicast(&couche_family, skb, 0, COUCHE_MCGRP_EVENTS, GFP_NOIO);
	}
}

/* Reserve edge: one event when a tier's free slots fall to its reserve. */
void couche_check_reserve(struct couche *c, unsigned int t)
{
	struct couche_tier *tier = &c->tiers[t];
	bool low = tier->slots.nr - tier->slots.used <= tier->reserve;

	if (low && !tier->reserve_low)
		couche_event(c, COUCHE_EVENT_RESERVE_LOW, t, -1, 0,
			     tier->slots.used, tier->slots.nr, 0);
	tier->reserve_low = low;
}

int __init couche_nl_init(void)
{
	return genl_register_family(&couche_family);
}

void couche_nl_exit(void)
{
	genl_unregister_family(&couche_family);
}
