// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord extent policy (policy.h has the algorithm in brief).
 *
 * Rank entries.  Extents compete for room by heat; a 64-bit entry holds the
 * key (heat, times 5/4 for an extent already on the fast side of the
 * boundary being decided) in the high half and ~index in the low half, so
 * entries are unique, compare as plain integers, and ties go to the lower
 * index.  Keys are 32 bits, saturated: the kernel's scores stop at
 * CS_HEAT_SATURATED anyway.
 *
 * Work list and cutoffs.  Every capacity decision is "the N best of a set
 * win": the set is moved to one end of a work list of 8-byte entries, one
 * per movable extent, and the winners found by selection (quickselect), so
 * each decision costs a linear pass over the extents still undecided.  The
 * N-th best entry is kept as the decision's cutoff: the planning step
 * recomputes the target of the few extents it looks at from their own
 * entries and at most 2 x 8 cutoffs, so no per-extent state is kept besides
 * the work list, which ends up holding the extents to move.
 *
 * Steps, for the extents that take part (movable, and not an unusable
 * tier's own that want to stay there):
 *
 * - desired tier d: thresholds and hysteresis (cs_desired_tier);
 * - lifts, slowest boundary first: if the tiers at or below k cannot hold
 *   every extent wanting them, the hottest of those go above k (the coldest
 *   keep the slow tiers).  Lifts only ever make an extent's wanted tier d'
 *   faster;
 * - placement, fastest tier first: tier k takes the best cap(k) extents
 *   that want k or faster and were not placed above.  After the lifts this
 *   places everybody whenever the usable tiers can hold the volume;
 *   otherwise the last ones stay where they are;
 * - plan: the misplaced extents sorted by heat, demotions from the cold
 *   end, promotions from the hot end, each checked against the room its
 *   destination has now.
 *
 * A million extents take about 0.1 s with 3 tiers and 0.2 s with 8, most of
 * it in the sort of the misplaced extents when there are many.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

/* Outcome of one tier's placement step. */
enum cs_sel {
	CS_SEL_NONE,	/* takes no extent (or not decided yet) */
	CS_SEL_ALL,	/* takes every candidate */
	CS_SEL_CUT,	/* takes the candidates at or above the cutoff */
};

struct cs_ctx {
	/* input */
	const struct cs_policy_cfg *cfg;
	const struct cs_volume_state *vs;
	uint32_t now;
	const uint32_t *heat;
	const uint8_t *tier, *flags;
	uint32_t nr_extents;
	unsigned int nr_tiers;
	/* thresholds and capacity */
	uint32_t enter[COUCHE_MAX_TIERS];	/* heat to be wanted in tier t */
	uint32_t stay[COUCHE_MAX_TIERS];	/* heat to stay in faster tier t */
	bool usable[COUCHE_MAX_TIERS];
	uint32_t cap[COUCHE_MAX_TIERS];		/* room for movable extents */
	/* lift at boundary k (between tiers k - 1 and k), k >= 1 */
	bool lift[COUCHE_MAX_TIERS];
	uint64_t lift_cut[COUCHE_MAX_TIERS];
	/* placement into tier k */
	enum cs_sel sel[COUCHE_MAX_TIERS];
	uint64_t cut[COUCHE_MAX_TIERS];
};

/* Heat an extent doing iops I/Os a second settles at, times num/den. */
static uint32_t cs_heat_threshold(uint32_t iops, uint32_t halflife_s,
				  uint32_t num, uint32_t den)
{
	double h = (double)iops * halflife_s * COUCHE_HEAT_SCALE / M_LN2;

	h = ceil(h * num / den);
	return h >= CS_HEAT_SATURATED ? CS_HEAT_SATURATED : (uint32_t)h;
}

static bool cs_mapped(const struct cs_ctx *cx, uint32_t i)
{
	return (cx->flags[i] & COUCHE_EXTENT_F_MAPPED) &&
	       cx->tier[i] < cx->nr_tiers;
}

static bool cs_movable(const struct cs_ctx *cx, uint32_t i)
{
	return cs_mapped(cx, i) &&
	       !(cx->flags[i] & (COUCHE_EXTENT_F_PINNED |
				 COUCHE_EXTENT_F_MIGRATING));
}

/* The fastest tier whose threshold the heat meets; the slowest meets all. */
static unsigned int cs_natural_tier(const struct cs_ctx *cx, uint32_t heat)
{
	unsigned int t;

	for (t = 0; t + 1 < cx->nr_tiers; t++)
		if (heat >= cx->enter[t])
			break;
	return t;
}

/*
 * Hysteresis: an extent in a faster tier than its heat earns keeps its place
 * until it drops below 4/5 of that tier's threshold.  Promotion needs the
 * full threshold, so an extent near a threshold settles on one side.
 */
static unsigned int cs_desired_tier(const struct cs_ctx *cx, uint32_t i)
{
	unsigned int cur = cx->tier[i], n = cs_natural_tier(cx, cx->heat[i]);

	if (cur < n && cx->heat[i] >= cx->stay[cur])
		return cur;
	return n;
}

/*
 * An unusable tier takes nothing, but what it holds and wants to keep stays
 * without competing for room: draining a sick tier of extents the policy
 * would not otherwise move would only add load to it.
 */
static bool cs_exempt(const struct cs_ctx *cx, uint32_t i, unsigned int d)
{
	return d == cx->tier[i] && !cx->usable[d];
}

/*
 * Rank entry of extent i for the boundary below tier b.  An extent already
 * in tier b or faster ranks 5/4 hotter (1 / the hysteresis ratio), so room
 * changes hands only for a clearly hotter extent: two extents of nearly
 * equal heat do not swap places every cycle.
 */
static uint64_t cs_entry(const struct cs_ctx *cx, uint32_t i, unsigned int b)
{
	uint64_t key = cx->heat[i];

	if (cx->tier[i] <= b)
		key = key * CS_HYST_DEN / CS_HYST_NUM;
	if (key > UINT32_MAX)
		key = UINT32_MAX;
	return key << 32 | (uint32_t)~i;
}

/* The tier extent i wants once lifted: d' (d, its desired tier, if none). */
static unsigned int cs_lifted_tier(const struct cs_ctx *cx, uint32_t i,
				   unsigned int d)
{
	unsigned int k;

	for (k = cx->nr_tiers - 1; k >= 1; k--)
		if (d >= k && cx->lift[k] &&
		    cs_entry(cx, i, k - 1) >= cx->lift_cut[k])
			d = k - 1;
	return d;
}

static bool cs_selected(const struct cs_ctx *cx, uint32_t i, unsigned int k)
{
	switch (cx->sel[k]) {
	case CS_SEL_ALL:
		return true;
	case CS_SEL_CUT:
		return cs_entry(cx, i, k) >= cx->cut[k];
	default:
		return false;
	}
}

/* The tier placement gave extent i, which wants d', or -1: no room. */
static int cs_placed(const struct cs_ctx *cx, uint32_t i, unsigned int d)
{
	unsigned int k;

	for (k = d; k < cx->nr_tiers; k++)
		if (cs_selected(cx, i, k))
			return k;
	return -1;
}

/*
 * Where movable extent i belongs, from the decisions cs_decide() took.  An
 * extent that fits nowhere (only when the usable tiers can't hold the
 * volume) stays.
 */
static unsigned int cs_target(const struct cs_ctx *cx, uint32_t i)
{
	unsigned int d = cs_desired_tier(cx, i);
	int t;

	if (cs_exempt(cx, i, d))
		return d;
	t = cs_placed(cx, i, cs_lifted_tier(cx, i, d));
	return t < 0 ? cx->tier[i] : (unsigned int)t;
}

/* Was the extent moved less than cooldown_s ago? */
static bool cs_cooling(const struct cs_ctx *cx, uint32_t i)
{
	uint32_t last;

	if (!cx->vs || !cx->cfg->cooldown_s)
		return false;
	last = cx->vs->last_move[i];
	if (!last)
		return false;
	/* A move "in the future": the clock stepped back; don't thrash. */
	if (cx->now < last)
		return true;
	return cx->now - last < cx->cfg->cooldown_s;
}

/* Sorting and selection on unique 64-bit integers, ascending. */

static void cs_swap(uint64_t *a, uint64_t *b)
{
	uint64_t t = *a;

	*a = *b;
	*b = t;
}

static void cs_insertion_sort(uint64_t *a, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		uint64_t v = a[i];

		for (j = i; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

static void cs_sift_down(uint64_t *a, size_t i, size_t n)
{
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			return;
		if (c + 1 < n && a[c + 1] > a[c])
			c++;
		if (a[i] >= a[c])
			return;
		cs_swap(&a[i], &a[c]);
		i = c;
	}
}

static void cs_heap_sort(uint64_t *a, size_t n)
{
	size_t i;

	for (i = n / 2; i-- > 0;)
		cs_sift_down(a, i, n);
	for (i = n; i-- > 1;) {
		cs_swap(&a[0], &a[i]);
		cs_sift_down(a, 0, i);
	}
}

/*
 * Hoare partition around the median of three, for n >= 3: returns p with
 * 0 < p < n, a[0..p) <= a[p..n).
 */
static size_t cs_partition(uint64_t *a, size_t n)
{
	size_t i = 0, j = n - 1, m = n / 2;
	uint64_t pivot;

	if (a[m] < a[0])
		cs_swap(&a[m], &a[0]);
	if (a[j] < a[0])
		cs_swap(&a[j], &a[0]);
	if (a[j] < a[m])
		cs_swap(&a[j], &a[m]);
	pivot = a[m];
	for (;;) {
		while (a[i] < pivot)
			i++;
		while (a[j] > pivot)
			j--;
		if (i >= j)
			return j + 1;
		cs_swap(&a[i++], &a[j--]);
	}
}

/* Partitioning levels before falling back to heapsort: 2 log2 n. */
static unsigned int cs_depth(size_t n)
{
	unsigned int depth = 0;

	for (; n > 1; n >>= 1)
		depth += 2;
	return depth;
}

static void cs_introsort(uint64_t *a, size_t n, unsigned int depth)
{
	while (n > 24) {
		size_t k;

		/* Adversarial input: guarantee O(n log n). */
		if (!depth--) {
			cs_heap_sort(a, n);
			return;
		}
		k = cs_partition(a, n);
		/* Recurse into the smaller side: stack depth O(log n). */
		if (k < n - k) {
			cs_introsort(a, k, depth);
			a += k;
			n -= k;
		} else {
			cs_introsort(a + k, n - k, depth);
			n = k;
		}
	}
	cs_insertion_sort(a, n);
}

static void cs_sort(uint64_t *a, size_t n)
{
	cs_introsort(a, n, cs_depth(n));
}

/* The k-th smallest of a[0..n), k < n; reorders a. */
static uint64_t cs_select(uint64_t *a, size_t n, size_t k)
{
	unsigned int depth = cs_depth(n);

	while (n > 24) {
		size_t p;

		if (!depth--) {
			cs_heap_sort(a, n);
			return a[k];
		}
		p = cs_partition(a, n);
		if (k < p) {
			n = p;
		} else {
			a += p;
			n -= p;
			k -= p;
		}
	}
	cs_insertion_sort(a, n);
	return a[k];
}

/* Planning. */

static int cs_check_args(const struct cs_policy_cfg *cfg,
			 const struct cs_tier_state *tiers,
			 unsigned int nr_tiers, const uint32_t *heat,
			 const uint8_t *tier, const uint8_t *flags,
			 uint32_t nr_extents, const struct cs_volume_state *vs,
			 const struct cs_plan *plan)
{
	if (!cfg || !tiers || !plan)
		return -EINVAL;
	if (!nr_tiers || nr_tiers > COUCHE_MAX_TIERS || !cfg->halflife_s)
		return -EINVAL;
	if (nr_extents && (!heat || !tier || !flags))
		return -EINVAL;
	if (vs && (vs->nr_extents != nr_extents ||
		   (nr_extents && !vs->last_move)))
		return -EINVAL;
	return 0;
}

static void cs_plan_reset(struct cs_plan *plan)
{
	struct cs_move *moves = plan->moves;
	uint32_t cap = plan->cap;

	memset(plan, 0, sizeof(*plan));
	plan->moves = moves;
	plan->cap = cap;
}

static void cs_ctx_init(struct cs_ctx *cx, const struct cs_tier_state *tiers)
{
	unsigned int t;

	for (t = 0; t < cx->nr_tiers; t++) {
		uint32_t iops = 0;

		if (t + 1 < cx->nr_tiers)
			iops = tiers[t].iops_threshold;
		cx->enter[t] = cs_heat_threshold(iops, cx->cfg->halflife_s, 1, 1);
		cx->stay[t] = cs_heat_threshold(iops, cx->cfg->halflife_s,
						CS_HYST_NUM, CS_HYST_DEN);
		cx->usable[t] = tiers[t].usable;
	}
}

/*
 * The work list.  buf has one entry per movable extent.  buf[0..nr) are the
 * extents taking part that are not placed yet: state (the tier they want,
 * or during the lifts a lower bound of it) in the high half, ~index in the
 * low half.  Each decision moves its candidates to the end of that list,
 * keys them by rank for the selection, and writes the outcome back; the
 * extents it places leave the list, and those of them that have to move go
 * to buf[size - movers..size), keyed by heat for planning.
 */
struct cs_work {
	uint64_t *buf;
	uint32_t nr, movers, size;
};

static uint64_t cs_state(unsigned int s, uint32_t i)
{
	return (uint64_t)s << 32 | (uint32_t)~i;
}

static unsigned int cs_state_of(uint64_t x)
{
	return (unsigned int)(x >> 32);
}

/* Works for state and rank entries alike. */
static uint32_t cs_index_of(uint64_t x)
{
	return ~(uint32_t)x;
}

/*
 * Move the entries of a[0..n) with state >= k (ge) or <= k (!ge) to the
 * end; returns where they start.
 */
static uint32_t cs_split(uint64_t *a, uint32_t n, unsigned int k, bool ge)
{
	uint32_t i = 0, j = n;

	while (i < j) {
		unsigned int s = cs_state_of(a[i]);

		if (ge ? s >= k : s <= k)
			cs_swap(&a[i], &a[--j]);
		else
			i++;
	}
	return j;
}

static void cs_rank(const struct cs_ctx *cx, uint64_t *a, uint32_t n,
		    unsigned int b)
{
	uint32_t j;

	for (j = 0; j < n; j++)
		a[j] = cs_entry(cx, cs_index_of(a[j]), b);
}

/*
 * Count what cannot move (pinned, migrating, an unusable tier's own) into
 * the targets, list the others by desired tier; set each tier's room for
 * movable extents: slots - reserve - what cannot move.
 */
static void cs_fill(struct cs_ctx *cx, const struct cs_tier_state *tiers,
		    struct cs_work *w, uint32_t *wanting, struct cs_plan *plan)
{
	uint32_t i;
	unsigned int t, d;

	for (i = 0; i < cx->nr_extents; i++) {
		if (!cs_mapped(cx, i))
			continue;
		if (!cs_movable(cx, i)) {
			plan->per_tier_target[cx->tier[i]]++;
			continue;
		}
		d = cs_desired_tier(cx, i);
		if (cs_exempt(cx, i, d)) {
			plan->per_tier_target[d]++;
			continue;
		}
		w->buf[w->nr++] = cs_state(d, i);
		wanting[d]++;
	}
	for (t = 0; t < cx->nr_tiers; t++) {
		uint64_t taken = (uint64_t)tiers[t].reserve +
				 plan->per_tier_target[t];

		if (tiers[t].usable && taken < tiers[t].slots)
			cx->cap[t] = tiers[t].slots - (uint32_t)taken;
	}
}

/*
 * Boundary k: the tiers k and slower hold cap(k..) movable extents.  If
 * more want them, the hottest go above (the coldest keep the slow tiers).
 * wanting: how many want k or slower, which the lifts at slower boundaries
 * don't change (they lift to k - 1 at most).  Those not lifted keep state
 * k, a lower bound of the tier they want: good enough for the next
 * boundaries.  Returns whether it lifted any.
 */
static bool cs_lift(struct cs_ctx *cx, struct cs_work *w, unsigned int k,
		    uint32_t wanting)
{
	uint64_t room = 0, *a;
	uint32_t n, j;
	unsigned int t;

	for (t = k; t < cx->nr_tiers; t++)
		room += cx->cap[t];
	if (wanting <= room)
		return false;
	j = cs_split(w->buf, w->nr, k, true);
	a = w->buf + j;
	n = w->nr - j;
	if (n <= room)	/* cannot happen, see above */
		return false;
	cs_rank(cx, a, n, k - 1);
	cx->lift_cut[k] = cs_select(a, n, room);
	cx->lift[k] = true;
	for (j = 0; j < n; j++)
		a[j] = cs_state(j < room ? k : k - 1, cs_index_of(a[j]));
	return true;
}

/* After the lifts: the exact tier each extent wants. */
static void cs_settle_wants(const struct cs_ctx *cx, struct cs_work *w)
{
	uint32_t j;

	for (j = 0; j < w->nr; j++) {
		uint32_t i = cs_index_of(w->buf[j]);
		unsigned int d = cs_desired_tier(cx, i);

		w->buf[j] = cs_state(cs_lifted_tier(cx, i, d), i);
	}
}

/* Extent i is to be in tier t (its own: it stays).  Count it. */
static void cs_account(const struct cs_ctx *cx, struct cs_work *w,
		       uint32_t i, unsigned int t, struct cs_plan *plan)
{
	unsigned int cur = cx->tier[i];

	plan->per_tier_target[t]++;
	if (t != cs_desired_tier(cx, i))
		plan->held_capacity++;
	if (t == cur)
		return;
	if (t < cur)
		plan->want_up++;
	else
		plan->want_down++;
	if (cs_cooling(cx, i)) {
		plan->held_cooldown++;
		return;
	}
	w->movers++;
	w->buf[w->size - w->movers] = (uint64_t)cx->heat[i] << 32 | i;
}

/*
 * Tier k takes the best of the extents that want it or a faster tier and
 * were not placed above: they are the ones with state <= k.
 */
static void cs_place(struct cs_ctx *cx, struct cs_work *w, unsigned int k,
		     struct cs_plan *plan)
{
	uint32_t j = cs_split(w->buf, w->nr, k, false), n = w->nr - j;
	uint64_t *a = w->buf + j;
	uint32_t take = n;

	if (!n || !cx->cap[k])
		return;
	if (n <= cx->cap[k]) {
		cx->sel[k] = CS_SEL_ALL;
	} else {
		take = cx->cap[k];
		cs_rank(cx, a, n, k);
		cx->cut[k] = cs_select(a, n, n - take);
		cx->sel[k] = CS_SEL_CUT;
		for (j = 0; j < n - take; j++)
			a[j] = cs_state(k, cs_index_of(a[j]));
	}
	/*
	 * The taken are buf[nr - take..nr).  Top down, so that movers written
	 * below buf[size - movers] never overtake the entry being read.
	 */
	for (j = w->nr; j-- > w->nr - take;)
		cs_account(cx, w, cs_index_of(w->buf[j]), k, plan);
	w->nr -= take;
}

/* Decide every target; leave the extents to move now in the work list. */
static void cs_decide(struct cs_ctx *cx, const struct cs_tier_state *tiers,
		      struct cs_work *w, struct cs_plan *plan)
{
	uint32_t wanting[COUCHE_MAX_TIERS] = { 0 }, j;
	bool lifted = false;
	unsigned int t;

	cs_fill(cx, tiers, w, wanting, plan);
	/* wanting[t] becomes the number wanting t or slower */
	for (t = cx->nr_tiers - 1; t >= 1; t--) {
		if (t + 1 < cx->nr_tiers)
			wanting[t] += wanting[t + 1];
		lifted |= cs_lift(cx, w, t, wanting[t]);
	}
	if (lifted)
		cs_settle_wants(cx, w);
	for (t = 0; t < cx->nr_tiers && w->nr; t++)
		cs_place(cx, w, t, plan);
	/* No room anywhere (the usable tiers can't hold the volume): stay. */
	for (j = 0; j < w->nr; j++) {
		uint32_t i = cs_index_of(w->buf[j]);

		cs_account(cx, w, i, cx->tier[i], plan);
	}
	w->nr = 0;
}

/* Room in each tier right now, for promotions and for demotions. */
struct cs_room {
	uint64_t up[COUCHE_MAX_TIERS];
	uint64_t down[COUCHE_MAX_TIERS];
	uint64_t planned[COUCHE_MAX_TIERS];
};

static void cs_room_init(struct cs_room *r, const struct cs_tier_state *tiers,
			 unsigned int nr_tiers)
{
	unsigned int t;

	memset(r, 0, sizeof(*r));
	for (t = 0; t < nr_tiers; t++) {
		const struct cs_tier_state *ts = &tiers[t];
		uint64_t busy = (uint64_t)ts->used + ts->incoming;

		if (!ts->usable)
			continue;
		if (busy + ts->reserve < ts->slots)
			r->up[t] = ts->slots - busy - ts->reserve;
		if (busy < ts->slots)
			r->down[t] = ts->slots - busy;
	}
}

/*
 * Plan the move of misplaced extent i if it goes the way of this pass and
 * its destination has room now.  Returns false once the batch is full.
 */
static bool cs_plan_one(const struct cs_ctx *cx, uint32_t i, bool up,
			uint32_t batch, struct cs_room *r,
			struct cs_plan *plan)
{
	unsigned int cur = cx->tier[i], t = cs_target(cx, i);
	struct cs_move *m;

	if (plan->nr_moves >= batch)
		return false;
	if (up ? t >= cur : t <= cur)
		return true;
	if (r->planned[t] >= (up ? r->up[t] : r->down[t])) {
		plan->held_room++;
		return true;
	}
	r->planned[t]++;
	m = &plan->moves[plan->nr_moves++];
	m->extent = i;
	m->from = (uint8_t)cur;
	m->to = (uint8_t)t;
	return true;
}

static int cs_reserve_moves(struct cs_plan *plan, uint32_t n)
{
	struct cs_move *m;

	if (n <= plan->cap)
		return 0;
	m = realloc(plan->moves, (size_t)n * sizeof(*m));
	if (!m)
		return -ENOMEM;
	plan->moves = m;
	plan->cap = n;
	return 0;
}

/*
 * Demotions first, coldest first: they make room in faster tiers (and the
 * coldest are surest to stay down).  Then promotions, hottest first.  Room
 * freed by moves in this plan is not counted: they may not have run yet.
 */
static void cs_plan_moves(const struct cs_ctx *cx,
			  const struct cs_tier_state *tiers, uint64_t *a,
			  uint32_t n, uint32_t batch, struct cs_plan *plan)
{
	struct cs_room room;
	uint32_t k;

	cs_sort(a, n);
	cs_room_init(&room, tiers, cx->nr_tiers);
	for (k = 0; k < n; k++)
		if (!cs_plan_one(cx, (uint32_t)a[k], false, batch, &room,
				 plan))
			break;
	for (k = n; k-- > 0;)
		if (!cs_plan_one(cx, (uint32_t)a[k], true, batch, &room,
				 plan))
			break;
}

int cs_policy_plan(const struct cs_policy_cfg *cfg,
		   const struct cs_tier_state *tiers, unsigned int nr_tiers,
		   const uint32_t *heat, const uint8_t *tier,
		   const uint8_t *flags, uint32_t nr_extents,
		   const struct cs_volume_state *vs, uint32_t now,
		   struct cs_plan *plan)
{
	struct cs_ctx cx = {
		.cfg = cfg, .vs = vs, .now = now,
		.heat = heat, .tier = tier, .flags = flags,
		.nr_extents = nr_extents, .nr_tiers = nr_tiers,
	};
	struct cs_work w = { 0 };
	uint32_t i, batch;
	int ret;

	ret = cs_check_args(cfg, tiers, nr_tiers, heat, tier, flags,
			    nr_extents, vs, plan);
	if (ret)
		return ret;
	cs_plan_reset(plan);
	cs_ctx_init(&cx, tiers);
	for (i = 0; i < nr_extents; i++)
		w.size += cs_movable(&cx, i);
	if (w.size) {
		w.buf = malloc((size_t)w.size * sizeof(*w.buf));
		if (!w.buf)
			return -ENOMEM;
	}
	cs_decide(&cx, tiers, &w, plan);

	batch = cfg->batch_size < w.movers ? cfg->batch_size : w.movers;
	if (cs_reserve_moves(plan, batch)) {
		free(w.buf);
		cs_plan_reset(plan);
		return -ENOMEM;
	}
	cs_plan_moves(&cx, tiers, w.buf + w.size - w.movers, w.movers, batch,
		      plan);
	free(w.buf);
	return 0;
}

void cs_plan_free(struct cs_plan *p)
{
	if (!p)
		return;
	free(p->moves);
	memset(p, 0, sizeof(*p));
}

void cs_policy_note_move(struct cs_volume_state *vs, uint32_t extent,
			 uint32_t now)
{
	if (!vs || extent >= vs->nr_extents)
		return;
	/* 0 means "never moved": a move at time 0 is recorded as 1. */
	vs->last_move[extent] = now ? now : 1;
}

void cs_policy_note_moves(struct cs_volume_state *vs, const struct cs_plan *p,
			  uint32_t now)
{
	uint32_t i;

	if (!p)
		return;
	for (i = 0; i < p->nr_moves; i++)
		cs_policy_note_move(vs, p->moves[i].extent, now);
}
