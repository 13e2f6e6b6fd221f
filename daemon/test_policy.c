// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the couchestord extent policy.  TAP-like output: "ok N - ..."
 * or "not ok N - ...", "# ..." diagnostics; exits 1 if any test failed.
 *
 * gcc -O2 -Wall -Wextra -Werror -std=gnu11 -Iinclude -Iinclude/uapi \
 *	-o /tmp/test_policy daemon/test_policy.c daemon/policy.c -lm
 *
 * Every random input comes from a seeded xorshift, so runs are reproducible.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include "policy.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define MAPPED	COUCHE_EXTENT_F_MAPPED
#define PINNED	COUCHE_EXTENT_F_PINNED
#define MIGRATING COUCHE_EXTENT_F_MIGRATING

struct tap {
	unsigned int n;
	unsigned int failed;
};

static bool ok(struct tap *tap, bool cond, const char *fmt, ...)
{
	va_list ap;

	tap->n++;
	if (!cond)
		tap->failed++;
	printf("%s %u - ", cond ? "ok" : "not ok", tap->n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return cond;
}

static void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* xorshift64*: small, fast, and the same sequence everywhere. */
struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)((rng_next(r) >> 32) % n) : 0;
}

/* Uniform in [0, 1). */
static double rng_unit(struct rng *r)
{
	return (rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static void shuffle(struct rng *r, uint32_t *a, uint32_t n)
{
	uint32_t i;

	for (i = n; i > 1; i--) {
		uint32_t j = rng_below(r, i), t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
}

/* Steady-state heat of an extent doing iops I/Os a second. */
static uint32_t heat_of(double iops, uint32_t halflife_s)
{
	double h = iops * halflife_s / M_LN2 * COUCHE_HEAT_SCALE;

	return h >= CS_HEAT_SATURATED ? CS_HEAT_SATURATED : (uint32_t)llround(h);
}

/* A volume: the agent's compact arrays plus tiers, config and clock. */
struct vol {
	uint32_t n;
	uint32_t *heat, *last;
	uint8_t *tier, *flags;
	struct cs_volume_state vs;
	struct cs_tier_state tiers[COUCHE_MAX_TIERS];
	unsigned int nt;
	struct cs_policy_cfg cfg;
	uint32_t now;
};

/* Every extent mapped, cold (heat 0), in the slowest tier; 3 default tiers. */
static void vol_init(struct vol *v, uint32_t n, unsigned int nt)
{
	uint32_t i;

	memset(v, 0, sizeof(*v));
	v->n = n;
	v->nt = nt;
	v->heat = calloc(n ? n : 1, sizeof(*v->heat));
	v->last = calloc(n ? n : 1, sizeof(*v->last));
	v->tier = calloc(n ? n : 1, 1);
	v->flags = calloc(n ? n : 1, 1);
	if (!v->heat || !v->last || !v->tier || !v->flags) {
		perror("calloc");
		exit(2);
	}
	for (i = 0; i < n; i++) {
		v->tier[i] = nt - 1;
		v->flags[i] = MAPPED;
	}
	v->vs.nr_extents = n;
	v->vs.last_move = v->last;
	v->cfg.batch_size = 1000000;
	v->cfg.cooldown_s = 0;
	v->cfg.halflife_s = 300;
	v->now = 100000;
	for (i = 0; i < nt; i++) {
		v->tiers[i].slots = n;
		v->tiers[i].usable = true;
	}
	/* The defaults from the issue: hot >= 100 IOPS, warm >= 10. */
	v->tiers[0].iops_threshold = nt > 1 ? 100 : 0;
	if (nt > 2)
		v->tiers[1].iops_threshold = 10;
}

static void vol_free(struct vol *v)
{
	free(v->heat);
	free(v->last);
	free(v->tier);
	free(v->flags);
}

static void vol_set_tier(struct vol *v, unsigned int t, uint32_t slots,
			 uint32_t reserve)
{
	v->tiers[t].slots = slots;
	v->tiers[t].reserve = reserve;
}

/* used, as the kernel would report it: the mapped extents in each tier. */
static void vol_count_used(struct vol *v)
{
	uint32_t i;
	unsigned int t;

	for (t = 0; t < v->nt; t++)
		v->tiers[t].used = 0;
	for (i = 0; i < v->n; i++)
		if ((v->flags[i] & MAPPED) && v->tier[i] < v->nt)
			v->tiers[v->tier[i]].used++;
}

static void vol_put(struct vol *v, uint32_t i, double iops, unsigned int t,
		    uint8_t flags)
{
	v->heat[i] = heat_of(iops, v->cfg.halflife_s);
	v->tier[i] = t;
	v->flags[i] = flags;
}

static int vol_plan(struct vol *v, struct cs_plan *p)
{
	return cs_policy_plan(&v->cfg, v->tiers, v->nt, v->heat, v->tier,
			      v->flags, v->n, &v->vs, v->now, p);
}

/* The moves of a plan complete: what the agent sees next cycle. */
static void vol_apply(struct vol *v, const struct cs_plan *p)
{
	uint32_t i;

	for (i = 0; i < p->nr_moves; i++)
		v->tier[p->moves[i].extent] = p->moves[i].to;
	cs_policy_note_moves(&v->vs, p, v->now);
	vol_count_used(v);
}

/* The destination of extent i in the plan, or -1. */
static int move_of(const struct cs_plan *p, uint32_t i)
{
	uint32_t k;

	for (k = 0; k < p->nr_moves; k++)
		if (p->moves[k].extent == i)
			return p->moves[k].to;
	return -1;
}

/* Where extent i first appears in the plan, or nr_moves. */
static uint32_t first_move(const struct cs_plan *p, uint32_t i)
{
	uint32_t k;

	for (k = 0; k < p->nr_moves; k++)
		if (p->moves[k].extent == i)
			break;
	return k;
}

static uint32_t moves_to(const struct cs_plan *p, unsigned int t)
{
	uint32_t k, n = 0;

	for (k = 0; k < p->nr_moves; k++)
		n += p->moves[k].to == t;
	return n;
}

static bool cooling(const struct vol *v, uint32_t i)
{
	uint32_t last = v->last[i];

	if (!last || !v->cfg.cooldown_s)
		return false;
	return v->now < last || v->now - last < v->cfg.cooldown_s;
}

/*
 * What every plan must satisfy, whatever the input.  overcommit: the volume
 * may hold more than its usable tiers' targets (then per-tier targets may
 * exceed slots - reserve where extents are stuck).
 */
static bool plan_sane(const struct vol *v, const struct cs_plan *p,
		      bool overcommit, char *why, size_t len)
{
	uint64_t in[COUCHE_MAX_TIERS] = { 0 }, mapped = 0, sum = 0;
	bool promoting = false, was_up = false;
	uint32_t k, i;
	unsigned int t;

	if (p->nr_moves > v->cfg.batch_size || p->nr_moves > p->cap) {
		snprintf(why, len, "%u moves, batch %u", p->nr_moves,
			 v->cfg.batch_size);
		return false;
	}
	for (k = 0; k < p->nr_moves; k++) {
		const struct cs_move *m = &p->moves[k];
		const struct cs_tier_state *ts;
		bool up = m->to < m->from;

		i = m->extent;
		if (i >= v->n || !(v->flags[i] & MAPPED) ||
		    (v->flags[i] & (PINNED | MIGRATING))) {
			snprintf(why, len, "extent %u may not move", i);
			return false;
		}
		if (m->from != v->tier[i] || m->to == m->from ||
		    m->to >= v->nt || !v->tiers[m->to].usable) {
			snprintf(why, len, "bad move %u: %u -> %u", i, m->from,
				 m->to);
			return false;
		}
		if (cooling(v, i)) {
			snprintf(why, len, "extent %u in cooldown", i);
			return false;
		}
		if (first_move(p, i) != k) {
			snprintf(why, len, "extent %u twice", i);
			return false;
		}
		if (promoting && !up) {
			snprintf(why, len, "demotion after a promotion");
			return false;
		}
		if (k && was_up == up) {
			uint32_t a = v->heat[p->moves[k - 1].extent];

			if (up ? a < v->heat[i] : a > v->heat[i]) {
				snprintf(why, len, "%s out of heat order at %u",
					 up ? "promotions" : "demotions", k);
				return false;
			}
		}
		promoting = up;
		was_up = up;
		ts = &v->tiers[m->to];
		in[m->to]++;
		/* Promotions never eat into the reserve, nothing overfills. */
		if ((up && ts->used + ts->incoming + in[m->to] + ts->reserve >
			     ts->slots) ||
		    ts->used + ts->incoming + in[m->to] > ts->slots) {
			snprintf(why, len, "tier %u overfilled by move %u",
				 m->to, k);
			return false;
		}
	}
	for (i = 0; i < v->n; i++)
		mapped += (v->flags[i] & MAPPED) && v->tier[i] < v->nt;
	for (t = 0; t < v->nt; t++) {
		const struct cs_tier_state *ts = &v->tiers[t];

		sum += p->per_tier_target[t];
		if (!overcommit && ts->usable &&
		    p->per_tier_target[t] + (uint64_t)ts->reserve > ts->slots) {
			snprintf(why, len, "target %u in tier %u over %u - %u",
				 p->per_tier_target[t], t, ts->slots,
				 ts->reserve);
			return false;
		}
	}
	if (sum != mapped) {
		snprintf(why, len, "targets add up to %llu, %llu mapped",
			 (unsigned long long)sum, (unsigned long long)mapped);
		return false;
	}
	return true;
}

static void check_sane(struct tap *tap, const struct vol *v,
		       const struct cs_plan *p, const char *what)
{
	char why[160] = "";
	bool sane = plan_sane(v, p, false, why, sizeof(why));

	ok(tap, sane, "%s: plan is sane%s%s", what, *why ? ": " : "", why);
}

/* 150 IOPS is hot, 50 warm, 1 cold, whatever tier the extent is in. */
static void test_thresholds(struct tap *tap)
{
	static const double iops[] = { 150, 50, 1 };
	struct cs_plan p = { 0 };
	struct vol v;
	unsigned int i, from;
	bool good = true;

	vol_init(&v, 9, 3);
	for (from = 0; from < 3; from++)
		for (i = 0; i < 3; i++)
			vol_put(&v, from * 3 + i, iops[i], from, MAPPED);
	vol_count_used(&v);
	ok(tap, vol_plan(&v, &p) == 0, "thresholds: plan");
	for (from = 0; from < 3; from++)
		for (i = 0; i < 3; i++) {
			int want = i == from ? -1 : (int)i;

			if (move_of(&p, from * 3 + i) != want) {
				diag("%.0f IOPS in tier %u: to %d, want %d",
				     iops[i], from, move_of(&p, from * 3 + i),
				     want);
				good = false;
			}
		}
	ok(tap, good, "thresholds: 150 IOPS goes hot, 50 warm, 1 cold");
	ok(tap, p.want_up == 3 && p.want_down == 3 && p.nr_moves == 6,
	   "thresholds: 3 up, 3 down (%u, %u)", p.want_up, p.want_down);
	ok(tap, p.per_tier_target[0] == 3 && p.per_tier_target[1] == 3 &&
	   p.per_tier_target[2] == 3, "thresholds: 3 extents per tier");
	check_sane(tap, &v, &p, "thresholds");

	/* Same with a long half-life: the formula, not a fixed scale. */
	v.cfg.halflife_s = 3600;
	for (i = 0; i < 9; i++)
		v.heat[i] = heat_of(iops[i % 3], 3600);
	vol_plan(&v, &p);
	ok(tap, move_of(&p, 6) == 0 && move_of(&p, 7) == 1 &&
	   move_of(&p, 2) == 2 && p.nr_moves == 6,
	   "thresholds: scale with the half-life (3600 s)");
	/*
	 * ...and judged at the right half-life: 150 IOPS at 3600 s looks like
	 * 1800 IOPS at 300 s, 1 IOPS like 12.
	 */
	v.cfg.halflife_s = 300;
	vol_plan(&v, &p);
	ok(tap, move_of(&p, 2) == 1 && move_of(&p, 8) == 1,
	   "thresholds: half-life mismatch shows (1 IOPS@3600 s is warm@300 s)");
	cs_plan_free(&p);
	vol_free(&v);
}

/* Hot tier 10 slots, reserve 1: 100 hot extents, the 9 hottest get in. */
static void test_capacity(struct tap *tap)
{
	struct cs_plan p = { 0 };
	struct rng r = { 42 };
	uint32_t order[100], i, in_hot = 0;
	bool hottest = true;
	struct vol v;

	vol_init(&v, 100, 3);
	vol_set_tier(&v, 0, 10, 1);
	for (i = 0; i < 100; i++)
		order[i] = i;
	shuffle(&r, order, 100);
	/* extent order[k] does 200 + 10 k IOPS: rank by k */
	for (i = 0; i < 100; i++)
		vol_put(&v, order[i], 200 + 10.0 * i, 1, MAPPED);
	vol_count_used(&v);
	vol_plan(&v, &p);
	for (i = 0; i < 100; i++) {
		bool up = move_of(&p, order[i]) == 0, top9 = i >= 91;

		in_hot += up;
		if (up != top9)
			hottest = false;
	}
	ok(tap, in_hot == 9 && moves_to(&p, 0) == 9,
	   "capacity: 9 of 100 hot extents planned into 10 slots - 1 reserve (%u)",
	   in_hot);
	ok(tap, hottest, "capacity: the 9 hottest win");
	ok(tap, p.nr_moves == 9 && p.per_tier_target[0] == 9 &&
	   p.held_capacity == 91 && p.want_up == 9,
	   "capacity: the other 91 stay in warm, held by capacity (%u)",
	   p.held_capacity);
	check_sane(tap, &v, &p, "capacity");

	/* After the moves, nothing more goes hot. */
	vol_apply(&v, &p);
	vol_plan(&v, &p);
	ok(tap, p.nr_moves == 0 && p.want_up == 0 && p.want_down == 0,
	   "capacity: settled after one cycle");
	cs_plan_free(&p);
	vol_free(&v);
}

/* The reserve is room promotions never plan into. */
static void test_reserve(struct tap *tap)
{
	struct cs_plan p = { 0 };
	struct vol v;
	uint32_t i;

	vol_init(&v, 25, 3);
	vol_set_tier(&v, 0, 10, 3);
	for (i = 0; i < 5; i++)
		vol_put(&v, i, 1000 + i, 0, MAPPED);
	for (i = 5; i < 25; i++)
		vol_put(&v, i, 500 + i, 1, MAPPED);
	vol_count_used(&v);
	vol_plan(&v, &p);
	ok(tap, moves_to(&p, 0) == 2 && p.per_tier_target[0] == 7,
	   "reserve: 10 slots, 3 reserved, 5 used: 2 promotions (%u)",
	   moves_to(&p, 0));
	ok(tap, move_of(&p, 24) == 0 && move_of(&p, 23) == 0,
	   "reserve: the 2 hottest promoted");
	check_sane(tap, &v, &p, "reserve");

	/* Moves the agent queued earlier count as used. */
	v.tiers[0].incoming = 1;
	vol_plan(&v, &p);
	ok(tap, moves_to(&p, 0) == 1 && move_of(&p, 24) == 0,
	   "reserve: one queued move in: 1 promotion");
	v.tiers[0].incoming = 2;
	vol_plan(&v, &p);
	ok(tap, moves_to(&p, 0) == 0 && p.held_room == 2 && p.want_up == 2,
	   "reserve: two queued moves in: none, 2 held for room");
	v.tiers[0].incoming = 0;

	/* A tier over slots - reserve gives back its coldest. */
	vol_set_tier(&v, 0, 8, 4);
	vol_plan(&v, &p);
	ok(tap, moves_to(&p, 0) == 0 && p.per_tier_target[0] == 4 &&
	   p.want_down == 1 && move_of(&p, 0) == 1,
	   "reserve: 5 in 8 slots - 4 reserved: the coldest goes down");
	check_sane(tap, &v, &p, "reserve");
	cs_plan_free(&p);
	vol_free(&v);
}

/*
 * Two full tiers swap extents.  Promotions can't use the fast tier's
 * reserve, so the first step must be a demotion into the slow tier's
 * reserve (transit room); the swap completes over a few cycles and no tier
 * ever holds more than its slots.
 */
static void test_swap_through_reserve(struct tap *tap)
{
	struct cs_plan p = { 0 };
	bool sane = true, fits = true;
	char why[160] = "";
	unsigned int cycle;
	struct vol v;
	uint32_t i;

	vol_init(&v, 6, 2);
	vol_set_tier(&v, 0, 4, 1);
	vol_set_tier(&v, 1, 4, 1);
	for (i = 0; i < 3; i++) {
		vol_put(&v, i, 1 + i, 0, MAPPED);	/* cold, in fast */
		vol_put(&v, 3 + i, 500 + i, 1, MAPPED);	/* hot, in slow */
	}
	vol_count_used(&v);
	vol_plan(&v, &p);
	ok(tap, p.nr_moves == 1 && move_of(&p, 0) == 1 && p.want_up == 3 &&
	   p.want_down == 3,
	   "swap: first the coldest extent goes down, into the reserve");
	for (cycle = 0; cycle < 20 && p.nr_moves; cycle++) {
		if (!plan_sane(&v, &p, false, why, sizeof(why)))
			sane = false;
		vol_apply(&v, &p);
		for (i = 0; i < 2; i++)
			if (v.tiers[i].used > v.tiers[i].slots)
				fits = false;
		v.now += 30;
		vol_plan(&v, &p);
	}
	ok(tap, sane && fits, "swap: every plan sane, no tier over its slots%s%s",
	   *why ? ": " : "", why);
	ok(tap, p.nr_moves == 0 && v.tier[0] == 1 && v.tier[1] == 1 &&
	   v.tier[2] == 1 && v.tier[3] == 0 && v.tier[4] == 0 &&
	   v.tier[5] == 0,
	   "swap: done after %u cycles", cycle);
	cs_plan_free(&p);
	vol_free(&v);
}

/* A full warm tier sends warm-worthy extents to cold, never over. */
static void test_full_warm(struct tap *tap)
{
	struct cs_plan p = { 0 };
	struct vol v;
	uint32_t i;

	vol_init(&v, 10, 3);
	vol_set_tier(&v, 1, 5, 0);
	for (i = 0; i < 5; i++)
		vol_put(&v, i, 50, 1, MAPPED);		/* warm, settled */
	for (i = 5; i < 8; i++)
		vol_put(&v, i, 40, 0, MAPPED);		/* hot, cooled to warm */
	for (i = 8; i < 10; i++)
		vol_put(&v, i, 30, 2, MAPPED);		/* warm-worthy, in cold */
	vol_count_used(&v);
	vol_plan(&v, &p);
	ok(tap, moves_to(&p, 1) == 0 && p.per_tier_target[1] == 5,
	   "full warm: nothing planned into the full warm tier");
	ok(tap, move_of(&p, 5) == 2 && move_of(&p, 6) == 2 &&
	   move_of(&p, 7) == 2 && p.nr_moves == 3,
	   "full warm: cooled hot extents go on to cold");
	ok(tap, move_of(&p, 8) == -1 && move_of(&p, 9) == -1 &&
	   p.held_capacity == 5,
	   "full warm: warm-worthy cold extents stay in cold (held %u)",
	   p.held_capacity);
	check_sane(tap, &v, &p, "full warm");

	/*
	 * A clearly hotter newcomer (60 > 1.25 x 20) displaces the coldest
	 * warm extent; it goes up only once that room is really free.
	 */
	vol_put(&v, 0, 20, 1, MAPPED);
	vol_put(&v, 8, 60, 2, MAPPED);
	vol_plan(&v, &p);
	ok(tap, move_of(&p, 0) == 2 && move_of(&p, 8) == -1 &&
	   p.held_room == 1 && p.per_tier_target[1] == 5,
	   "full warm: newcomer displaces the coldest; waits for room");
	vol_apply(&v, &p);
	vol_plan(&v, &p);
	ok(tap, move_of(&p, 8) == 1 && p.nr_moves == 1,
	   "full warm: next cycle the newcomer moves in");
	check_sane(tap, &v, &p, "full warm");

	/* ...but not a newcomer only slightly hotter (22 < 1.25 x 20). */
	vol_apply(&v, &p);
	for (i = 5; i < 8; i++)
		vol_put(&v, i, 5, 2, MAPPED);
	vol_put(&v, 1, 20, 1, MAPPED);
	vol_put(&v, 9, 22, 2, MAPPED);
	vol_plan(&v, &p);
	ok(tap, p.nr_moves == 0 && p.want_up == 0,
	   "full warm: a slightly hotter newcomer does not displace");
	cs_plan_free(&p);
	vol_free(&v);
}

/*
 * More cold-worthy extents than the cold tier holds: the coldest keep the
 * cold tier, the hottest of them go up (warm, then hot) - never the other
 * way round, and no tier is planned beyond slots - reserve.
 */
static void test_lift(struct tap *tap)
{
	struct cs_plan p = { 0 };
	bool sane = true, order = true;
	char why[160] = "";
	unsigned int cycle;
	struct vol v;
	uint32_t k;

	vol_init(&v, 12, 3);
	vol_set_tier(&v, 0, 4, 0);
	vol_set_tier(&v, 1, 7, 1);
	vol_set_tier(&v, 2, 6, 1);
	/* extent k: 0.3 x 1.3^k IOPS, all below warm's 0.8 x 10; reversed */
	for (k = 0; k < 12; k++)
		vol_put(&v, k, 0.3 * pow(1.3, k), k < 4 ? 0 : k < 10 ? 1 : 2,
			MAPPED);
	vol_count_used(&v);
	vol_plan(&v, &p);
	ok(tap, p.per_tier_target[0] == 1 && p.per_tier_target[1] == 6 &&
	   p.per_tier_target[2] == 5 && p.held_capacity == 7,
	   "lift: cold tier full: targets 1/6/5, 7 held up by capacity");
	/* cold: 6 slots, 2 used: 3 free and 1 reserve, which demotions use */
	ok(tap, p.nr_moves == 4 && p.moves[0].extent == 0 &&
	   p.moves[1].extent == 1 && p.moves[2].extent == 2 &&
	   p.moves[3].extent == 3 && p.moves[3].to == 2 &&
	   p.held_room == 3,
	   "lift: the 4 coldest go down into the room cold has now");
	check_sane(tap, &v, &p, "lift");
	for (cycle = 0; cycle < 20 && p.nr_moves; cycle++) {
		if (!plan_sane(&v, &p, false, why, sizeof(why)))
			sane = false;
		vol_apply(&v, &p);
		v.now += 30;
		vol_plan(&v, &p);
	}
	for (k = 0; k < 12; k++)
		if (v.tier[k] != (k < 5 ? 2 : k < 11 ? 1 : 0))
			order = false;
	ok(tap, sane && order && p.nr_moves == 0,
	   "lift: settles in %u cycles: 5 coldest in cold, next 6 warm, hottest hot%s%s",
	   cycle, *why ? ": " : "", why);
	cs_plan_free(&p);
	vol_free(&v);
}

static void test_cooldown(struct tap *tap)
{
	struct cs_plan p = { 0 };
	struct vol v;

	vol_init(&v, 2, 3);
	v.cfg.cooldown_s = 60;
	vol_put(&v, 0, 150, 2, MAPPED);
	vol_put(&v, 1, 150, 2, MAPPED);
	vol_count_used(&v);
	v.last[0] = v.now - 10;
	vol_plan(&v, &p);
	ok(tap, move_of(&p, 0) == -1 && move_of(&p, 1) == 0 &&
	   p.held_cooldown == 1 && p.want_up == 2,
	   "cooldown: moved 10 s ago with 60 s cooldown: held");
	check_sane(tap, &v, &p, "cooldown");
	v.last[0] = v.now - 60;
	vol_plan(&v, &p);
	ok(tap, move_of(&p, 0) == 0 && p.held_cooldown == 0,
	   "cooldown: moved 60 s ago: moves");
	v.last[0] = v.now + 5;
	vol_plan(&v, &p);
	ok(tap, move_of(&p, 0) == -1 && p.held_cooldown == 1,
	   "cooldown: a move in the future (clock stepped back): held");
	v.last[0] = 0;
	v.cfg.cooldown_s = 0;
	cs_policy_note_move(&v.vs, 0, v.now - 1);
	vol_plan(&v, &p);
	ok(tap, move_of(&p, 0) == 0, "cooldown: 0 disables it");

	v.cfg.cooldown_s = 60;
	cs_policy_note_moves(&v.vs, &p, v.now);
	ok(tap, v.last[0] == v.now && v.last[1] == v.now,
	   "cooldown: note_moves records the time");
	vol_plan(&v, &p);
	ok(tap, p.nr_moves == 0 && p.held_cooldown == 2,
	   "cooldown: both held right after");
	cs_policy_note_move(&v.vs, 1, 0);
	ok(tap, v.last[1] == 1, "cooldown: a move at time 0 is not 'never'");
	cs_plan_free(&p);
	vol_free(&v);
}

/* Batch: at most batch_size; demotions (coldest first) before promotions. */
static void test_batch(struct tap *tap)
{
	struct cs_plan p = { 0 };
	struct vol v;
	uint32_t i;

	vol_init(&v, 8, 3);
	vol_set_tier(&v, 0, 10, 0);
	/* hot extents cooled right down, listed hottest first */
	for (i = 0; i < 4; i++)
		vol_put(&v, i, 3 - i, 0, MAPPED);
	/* cold extents that turned hot, coldest first */
	for (i = 4; i < 8; i++)
		vol_put(&v, i, 100 * i, 2, MAPPED);
	vol_count_used(&v);

	v.cfg.batch_size = 3;
	vol_plan(&v, &p);
	ok(tap, p.nr_moves == 3 && p.moves[0].extent == 3 &&
	   p.moves[1].extent == 2 && p.moves[2].extent == 1,
	   "batch: 3 moves, all demotions, coldest first");
	ok(tap, p.want_up == 4 && p.want_down == 4,
	   "batch: want counts ignore the batch");
	check_sane(tap, &v, &p, "batch 3");

	v.cfg.batch_size = 6;
	vol_plan(&v, &p);
	ok(tap, p.nr_moves == 6 && p.moves[3].extent == 0 &&
	   p.moves[4].extent == 7 && p.moves[5].extent == 6 &&
	   p.moves[4].to == 0 && p.moves[5].to == 0,
	   "batch: 6 moves: 4 demotions, then the 2 hottest promotions");
	check_sane(tap, &v, &p, "batch 6");

	v.cfg.batch_size = 0;
	vol_plan(&v, &p);
	ok(tap, p.nr_moves == 0 && p.want_up == 4 && p.want_down == 4,
	   "batch: 0 plans nothing, still counts");
	cs_plan_free(&p);
	vol_free(&v);
}

/* Pinned, migrating and never-written extents never move, but count. */
static void test_fixed(struct tap *tap)
{
	struct cs_plan p = { 0 };
	bool never = true;
	struct vol v;
	uint32_t i;

	vol_init(&v, 13, 3);
	vol_set_tier(&v, 0, 5, 0);
	for (i = 0; i < 3; i++)
		vol_put(&v, i, 0, 0, MAPPED | PINNED);	/* cold, pinned hot */
	vol_put(&v, 3, 900, 2, MAPPED | PINNED);
	vol_put(&v, 4, 900, 2, MAPPED | MIGRATING);
	vol_put(&v, 5, 900, COUCHE_TIER_NONE, 0);	/* never written */
	vol_put(&v, 6, 900, COUCHE_TIER_NONE, MIGRATING); /* provisioning */
	vol_put(&v, 7, 900, 7, MAPPED);		/* tier out of range */
	for (i = 8; i < 13; i++)
		vol_put(&v, i, 200 + i, 2, MAPPED);
	vol_count_used(&v);
	vol_plan(&v, &p);
	for (i = 0; i < 8; i++)
		if (move_of(&p, i) != -1)
			never = false;
	ok(tap, never, "fixed: pinned, migrating, unmapped never planned");
	ok(tap, moves_to(&p, 0) == 2 && move_of(&p, 12) == 0 &&
	   move_of(&p, 11) == 0 && p.per_tier_target[0] == 5,
	   "fixed: 3 pinned in 5 hot slots leave room for 2");
	ok(tap, p.per_tier_target[2] == 2 && moves_to(&p, 1) == 3 &&
	   p.want_down == 0,
	   "fixed: pinned and migrating count where they are, the rest go warm");
	check_sane(tap, &v, &p, "fixed");
	cs_plan_free(&p);
	vol_free(&v);
}

static void test_unusable(struct tap *tap)
{
	struct cs_plan p = { 0 };
	struct vol v;
	uint32_t i;

	vol_init(&v, 8, 3);
	v.tiers[0].usable = false;
	vol_put(&v, 0, 500, 1, MAPPED);		/* hot-worthy in warm */
	vol_put(&v, 1, 500, 2, MAPPED);		/* hot-worthy in cold */
	vol_put(&v, 2, 500, 0, MAPPED);		/* hot, in the sick tier */
	vol_put(&v, 3, 1, 0, MAPPED);		/* cold, in the sick tier */
	for (i = 4; i < 8; i++)
		vol_put(&v, i, 50, 2, MAPPED);	/* warm-worthy in cold */
	vol_count_used(&v);
	vol_plan(&v, &p);
	ok(tap, moves_to(&p, 0) == 0, "unusable: nothing planned into it");
	ok(tap, move_of(&p, 0) == -1 && move_of(&p, 1) == 1,
	   "unusable: hot extents go to the next tier with room");
	ok(tap, move_of(&p, 2) == -1 && move_of(&p, 3) == 2 &&
	   p.per_tier_target[0] == 1,
	   "unusable: what it holds moves only if the policy wants it elsewhere");
	check_sane(tap, &v, &p, "unusable hot");

	/* A sick cold tier: cold extents stay up, nothing is sent down. */
	v.tiers[0].usable = true;
	v.tiers[2].usable = false;
	vol_put(&v, 3, 1, 0, MAPPED);
	vol_put(&v, 0, 1, 1, MAPPED);
	vol_plan(&v, &p);
	ok(tap, moves_to(&p, 2) == 0 && move_of(&p, 0) == -1 &&
	   move_of(&p, 3) == 1,
	   "unusable: cold extents stop in warm, or stay in warm");
	ok(tap, move_of(&p, 1) == 0 && move_of(&p, 4) == 1,
	   "unusable: its extents still move up");
	check_sane(tap, &v, &p, "unusable cold");
	cs_plan_free(&p);
	vol_free(&v);
}

/* Leave hot below 0.8 x 100 = 80 IOPS; enter at 100. */
static void test_hysteresis(struct tap *tap)
{
	static const double seq[] = { 95, 105, 90, 85, 101, 81, 99, 79 };
	struct cs_plan p = { 0 };
	unsigned int k, moves = 0;
	struct vol v;

	vol_init(&v, 4, 3);
	vol_put(&v, 0, 90, 0, MAPPED);
	vol_put(&v, 1, 70, 0, MAPPED);
	vol_put(&v, 2, 90, 1, MAPPED);
	vol_put(&v, 3, 110, 1, MAPPED);
	vol_count_used(&v);
	vol_plan(&v, &p);
	ok(tap, move_of(&p, 0) == -1, "hysteresis: 90 IOPS stays in hot");
	ok(tap, move_of(&p, 1) == 1, "hysteresis: 70 IOPS leaves hot for warm");
	ok(tap, move_of(&p, 2) == -1, "hysteresis: 90 IOPS in warm stays");
	ok(tap, move_of(&p, 3) == 0, "hysteresis: 110 IOPS in warm goes hot");
	/* Warm's band too: in warm, 9 stays, 7 leaves; in cold, 9 stays. */
	vol_put(&v, 0, 9, 1, MAPPED);
	vol_put(&v, 1, 7, 1, MAPPED);
	vol_put(&v, 2, 9, 2, MAPPED);
	vol_put(&v, 3, 9, 0, MAPPED);
	vol_plan(&v, &p);
	ok(tap, move_of(&p, 0) == -1 && move_of(&p, 1) == 2 &&
	   move_of(&p, 2) == -1 && move_of(&p, 3) == 2,
	   "hysteresis: warm band (9 stays, 7 leaves; 9 in hot falls to cold)");

	/* An extent wandering around 100 IOPS moves once, then stays. */
	vol_put(&v, 0, 95, 1, MAPPED);
	for (k = 1; k < 4; k++)
		vol_put(&v, k, 0, 2, MAPPED);
	vol_count_used(&v);
	for (k = 0; k < ARRAY_SIZE(seq); k++) {
		v.heat[0] = heat_of(seq[k], v.cfg.halflife_s);
		vol_plan(&v, &p);
		moves += p.nr_moves;
		vol_apply(&v, &p);
	}
	ok(tap, moves == 2 && v.tier[0] == 1,
	   "hysteresis: 95,105,90,85,101,81,99,79 IOPS: up once, down once (%u)",
	   moves);
	cs_plan_free(&p);
	vol_free(&v);
}

/* Standard normal, Box-Muller. */
static double rng_gauss(struct rng *r)
{
	double u = 1 - rng_unit(r), v = rng_unit(r);

	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* Zipf(s) rates summing to total, in a random order; rank[i] 0 = hottest. */
static void zipf_rates(struct rng *r, double *rate, uint32_t *rank,
		       uint32_t n, double s, double total)
{
	double norm = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		rank[i] = i;
		norm += pow(i + 1, -s);
	}
	shuffle(r, rank, n);
	for (i = 0; i < n; i++)
		rate[i] = total * pow(rank[i] + 1, -s) / norm;
}

struct zipf_run {
	uint32_t moves, late_moves, last_busy, returns, top_hot;
	bool sane;
	char why[160];
};

/*
 * Run the agent loop for some cycles: the kernel's heat evolves (exact
 * decay; with noise, Poisson-like I/O counts per cycle), the agent plans,
 * and all planned moves complete before the next cycle.  left[i] is the
 * tier extent i last left: moving back there is a ping-pong.
 */
static void zipf_cycles(struct vol *v, struct rng *r, const double *rate,
			const uint32_t *rank, uint8_t *left, bool noise,
			uint32_t cycles, uint32_t quiet, uint32_t interval,
			struct zipf_run *z)
{
	double f = exp2(-(double)interval / v->cfg.halflife_s);
	double scale = COUCHE_HEAT_SCALE * v->cfg.halflife_s / M_LN2;
	struct cs_plan p = { 0 };
	uint32_t c, i, k;

	memset(z, 0, sizeof(*z));
	z->sane = true;
	for (c = 0; c < cycles; c++) {
		for (i = 0; i < v->n; i++) {
			double io = rate[i] * interval, h;

			if (noise)
				io += sqrt(io) * rng_gauss(r);
			h = v->heat[i] * f + fmax(io, 0) / interval * scale * (1 - f);
			v->heat[i] = h >= CS_HEAT_SATURATED ? CS_HEAT_SATURATED :
							      (uint32_t)h;
		}
		v->now += interval;
		if (vol_plan(v, &p) ||
		    (z->sane && !plan_sane(v, &p, false, z->why, sizeof(z->why))))
			z->sane = false;
		z->moves += p.nr_moves;
		if (c >= cycles - quiet)
			z->late_moves += p.nr_moves;
		if (p.nr_moves)
			z->last_busy = c + 1;
		for (k = 0; k < p.nr_moves; k++) {
			i = p.moves[k].extent;
			z->returns += left[i] == p.moves[k].to;
			left[i] = p.moves[k].from;
		}
		vol_apply(v, &p);
	}
	for (i = 0; i < v->n; i++)
		z->top_hot += rank[i] < v->tiers[0].slots - v->tiers[0].reserve &&
			      v->tier[i] == 0;
	cs_plan_free(&p);
}

/* noisy: allow this many moves in the last cycles, see test_zipf() */
static void zipf_report(struct tap *tap, const struct vol *v,
			const struct zipf_run *z, const char *what,
			uint32_t cycles, uint32_t quiet, uint32_t noisy)
{
	diag("zipf %s: %u moves, the last in cycle %u of %u", what, z->moves,
	     z->last_busy, cycles);
	diag("zipf %s: %u of the top 1000 in hot, which holds %u; %u returns",
	     what, z->top_hot, v->tiers[0].used, z->returns);
	ok(tap, z->sane, "zipf %s: every plan sane%s%s", what,
	   *z->why ? ": " : "", z->why);
	ok(tap, z->top_hot >= 950, "zipf %s: >= 95%% of the top 1000 in hot (%u)",
	   what, z->top_hot);
	ok(tap, v->tiers[0].used >= 990 && v->tiers[0].used <= 1000,
	   "zipf %s: hot tier full up to its reserve (%u of 1000)", what,
	   v->tiers[0].used);
	ok(tap, z->returns == 0,
	   "zipf %s: no ping-pong: no extent moved back where it was (%u)",
	   what, z->returns);
	ok(tap, z->late_moves <= noisy,
	   "zipf %s: stable: %u moves in the last %u cycles (at most %u)",
	   what, z->late_moves, quiet, noisy);
}

/*
 * Zipf(1.1) over 10,000 extents, the hot tier holds 10%: 2M IOPS in all, so
 * about 1460 extents reach the hot threshold and every extent the warm one;
 * both hot and warm are decided by capacity.  From a random placement the
 * hot tier must converge to the hottest extents and then stay put.
 *
 * Then the workload changes (new ranks) and the I/O counts get Poisson
 * noise: again it must converge, and no extent may ever go back to a tier
 * it left.  With noise, a rare swap still happens long after convergence:
 * when noise lifts an outsider 25% above the coldest insider, which is an
 * improvement that stays.  Such swaps thin out as the band empties; the
 * test allows a few in the last cycles.
 */
static void test_zipf(struct tap *tap)
{
	const uint32_t n = 10000, interval = 30, cycles = 100, quiet = 20;
	uint32_t *order, *rank, i;
	struct rng r = { 7 };
	struct zipf_run z;
	uint8_t *left;
	double *rate;
	struct vol v;

	vol_init(&v, n, 3);
	v.cfg.halflife_s = 60;
	v.cfg.cooldown_s = 120;
	v.cfg.batch_size = 100;
	vol_set_tier(&v, 0, 1050, 50);		/* 1000 usable: 10% */
	vol_set_tier(&v, 1, 3150, 150);
	vol_set_tier(&v, 2, 7000, 300);
	rate = calloc(n, sizeof(*rate));
	order = calloc(n, sizeof(*order));
	rank = calloc(n, sizeof(*rank));
	left = malloc(n);
	if (!rate || !order || !rank || !left)
		exit(2);
	memset(left, COUCHE_TIER_NONE, n);
	zipf_rates(&r, rate, rank, n, 1.1, 2e6);
	/* random placement, tiers filled to their usable size */
	for (i = 0; i < n; i++)
		order[i] = i;
	shuffle(&r, order, n);
	for (i = 0; i < n; i++)
		v.tier[order[i]] = i < 1000 ? 0 : i < 4000 ? 1 : 2;
	vol_count_used(&v);
	/* heat as the kernel would have it after a long time at these rates */
	for (i = 0; i < n; i++)
		v.heat[i] = heat_of(rate[i], v.cfg.halflife_s);

	zipf_cycles(&v, &r, rate, rank, left, false, cycles, quiet, interval,
		    &z);
	zipf_report(tap, &v, &z, "from random placement", cycles, quiet, 0);

	/* The workload changes: same shape, other extents. */
	zipf_rates(&r, rate, rank, n, 1.1, 2e6);
	memset(left, COUCHE_TIER_NONE, n);
	zipf_cycles(&v, &r, rate, rank, left, true, 2 * cycles, quiet,
		    interval, &z);
	zipf_report(tap, &v, &z, "new workload, noisy", 2 * cycles, quiet, 6);

	free(rate);
	free(order);
	free(rank);
	free(left);
	vol_free(&v);
}

/* Field by field: struct cs_move has padding. */
static bool same_moves(const struct cs_plan *a, const struct cs_plan *b)
{
	uint32_t k;

	for (k = 0; k < a->nr_moves && k < b->nr_moves; k++)
		if (a->moves[k].extent != b->moves[k].extent ||
		    a->moves[k].from != b->moves[k].from ||
		    a->moves[k].to != b->moves[k].to)
			return false;
	return true;
}

static bool plans_equal(const struct cs_plan *a, const struct cs_plan *b)
{
	return a->nr_moves == b->nr_moves && a->want_up == b->want_up &&
	       a->want_down == b->want_down &&
	       a->held_cooldown == b->held_cooldown &&
	       a->held_capacity == b->held_capacity &&
	       a->held_room == b->held_room &&
	       !memcmp(a->per_tier_target, b->per_tier_target,
		       sizeof(a->per_tier_target)) &&
	       same_moves(a, b);
}

/* Random volume: random tiers, capacities, flags, heat, history. */
static void random_vol(struct vol *v, struct rng *r, uint32_t n)
{
	unsigned int nt = 1 + rng_below(r, COUCHE_MAX_TIERS), t;
	uint32_t i, thr = 2000;

	vol_init(v, n, nt);
	v->cfg.halflife_s = 1 + rng_below(r, 600);
	v->cfg.cooldown_s = rng_below(r, 3) ? rng_below(r, 300) : 0;
	v->cfg.batch_size = rng_below(r, 4) ? rng_below(r, n + 2) : n + 5;
	for (t = 0; t < nt; t++) {
		struct cs_tier_state *ts = &v->tiers[t];

		ts->slots = rng_below(r, n / 2 + 3);
		ts->reserve = rng_below(r, 4) ? rng_below(r, ts->slots / 4 + 2) : 0;
		ts->usable = rng_below(r, 6) != 0;
		thr = rng_below(r, thr + 1);
		ts->iops_threshold = thr;
		ts->incoming = rng_below(r, 5) ? 0 : rng_below(r, 3);
	}
	for (i = 0; i < n; i++) {
		uint32_t k = rng_below(r, 20);

		/* few heat values: many ties */
		v->heat[i] = rng_below(r, 3) ? heat_of(rng_below(r, 30) * 20.0,
						       v->cfg.halflife_s) :
					     rng_below(r, 50);
		v->tier[i] = rng_below(r, nt);
		v->flags[i] = k == 0 ? MAPPED | PINNED :
			      k == 1 ? MAPPED | MIGRATING :
			      k == 2 ? 0 : MAPPED;
		if (k == 2)
			v->tier[i] = COUCHE_TIER_NONE;
		if (!rng_below(r, 5))
			v->last[i] = v->now - rng_below(r, 400);
	}
	vol_count_used(v);
	/* the kernel's used may run ahead of what the map shows */
	for (t = 0; t < nt; t++)
		if (!rng_below(r, 5))
			v->tiers[t].used += rng_below(r, 3);
}

/*
 * The reference: the same policy written as plainly as possible (qsort, a
 * wanted tier and a target per extent, explicit candidate lists), to check
 * the selections, cutoffs and sorting of the real one.
 */
struct ref_ent {
	uint64_t key;
	uint32_t idx, heat;
};

static int ref_by_key(const void *a, const void *b)
{
	const struct ref_ent *x = a, *y = b;

	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int ref_by_heat(const void *a, const void *b)
{
	const struct ref_ent *x = a, *y = b;

	if (x->heat != y->heat)
		return x->heat < y->heat ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static uint32_t ref_thr(uint32_t iops, uint32_t hl, uint32_t num,
			uint32_t den)
{
	double h = (double)iops * hl * COUCHE_HEAT_SCALE / M_LN2;

	h = ceil(h * num / den);
	return h >= CS_HEAT_SATURATED ? CS_HEAT_SATURATED : (uint32_t)h;
}

static unsigned int ref_desired(const struct vol *v, uint32_t i)
{
	unsigned int t, cur = v->tier[i], nt = v->nt;
	uint32_t h = v->heat[i];

	for (t = 0; t + 1 < nt; t++)
		if (h >= ref_thr(v->tiers[t].iops_threshold, v->cfg.halflife_s, 1, 1))
			break;
	if (cur < t && h >= ref_thr(v->tiers[cur].iops_threshold,
				    v->cfg.halflife_s, 4, 5))
		return cur;
	return t;
}

/* Ranking for the boundary below tier b: 5/4 for those at b or faster. */
static struct ref_ent ref_ent(const struct vol *v, uint32_t i, unsigned int b)
{
	struct ref_ent e = { v->heat[i], i, v->heat[i] };

	if (v->tier[i] <= b)
		e.key = e.key * 5 / 4;
	if (e.key > UINT32_MAX)
		e.key = UINT32_MAX;
	return e;
}

/* Targets: -1 for extents that don't take part. */
static void ref_targets(const struct vol *v, int *want, int *target,
			struct ref_ent *e, struct cs_plan *p)
{
	int64_t cap[COUCHE_MAX_TIERS];
	unsigned int t, k;
	uint32_t i, m;

	for (t = 0; t < v->nt; t++)
		cap[t] = (int64_t)v->tiers[t].slots - v->tiers[t].reserve;
	for (i = 0; i < v->n; i++) {
		target[i] = -1;
		want[i] = -1;
		if (!(v->flags[i] & MAPPED) || v->tier[i] >= v->nt)
			continue;
		if (v->flags[i] & (PINNED | MIGRATING)) {
			cap[v->tier[i]]--;
			p->per_tier_target[v->tier[i]]++;
			continue;
		}
		want[i] = ref_desired(v, i);
		if (want[i] == v->tier[i] && !v->tiers[want[i]].usable) {
			cap[want[i]]--;
			p->per_tier_target[want[i]]++;
			want[i] = -1;
		}
	}
	for (t = 0; t < v->nt; t++)
		if (!v->tiers[t].usable || cap[t] < 0)
			cap[t] = 0;
	/* lifts: the hottest of those wanting k or slower, beyond room */
	for (k = v->nt - 1; k >= 1; k--) {
		int64_t room = 0;

		for (t = k; t < v->nt; t++)
			room += cap[t];
		for (i = 0, m = 0; i < v->n; i++)
			if (want[i] >= (int)k)
				e[m++] = ref_ent(v, i, k - 1);
		qsort(e, m, sizeof(*e), ref_by_key);
		for (i = 0; (int64_t)i < (int64_t)m - room; i++)
			want[e[i].idx] = k - 1;
	}
	/* placement: the best of those wanting k or faster */
	for (k = 0; k < v->nt; k++) {
		for (i = 0, m = 0; i < v->n; i++)
			if (want[i] >= 0 && want[i] <= (int)k && target[i] < 0)
				e[m++] = ref_ent(v, i, k);
		qsort(e, m, sizeof(*e), ref_by_key);
		for (i = 0; i < m && i < cap[k]; i++)
			target[e[i].idx] = k;
	}
	for (i = 0; i < v->n; i++)
		if (want[i] >= 0 && target[i] < 0)
			target[i] = v->tier[i];	/* no room anywhere: stays */
}

static void ref_plan(const struct vol *v, struct cs_plan *p)
{
	struct ref_ent *e = calloc(v->n + 1, sizeof(*e));
	int *target = calloc(v->n + 1, sizeof(*target));
	int *want = calloc(v->n + 1, sizeof(*want));
	int64_t up[COUCHE_MAX_TIERS], down[COUCHE_MAX_TIERS];
	uint32_t i, m = 0, k;
	unsigned int t;
	int pass;

	memset(p, 0, sizeof(*p));
	p->moves = calloc(v->n + 1, sizeof(*p->moves));
	p->cap = v->n + 1;
	for (t = 0; t < v->nt; t++) {
		const struct cs_tier_state *ts = &v->tiers[t];

		up[t] = (int64_t)ts->slots - ts->reserve - ts->used - ts->incoming;
		down[t] = (int64_t)ts->slots - ts->used - ts->incoming;
	}
	ref_targets(v, want, target, e, p);
	for (i = 0; i < v->n; i++) {
		if (target[i] < 0)
			continue;
		p->per_tier_target[target[i]]++;
		p->held_capacity += target[i] != (int)ref_desired(v, i);
		if (target[i] == v->tier[i])
			continue;
		if (target[i] < v->tier[i])
			p->want_up++;
		else
			p->want_down++;
		if (cooling(v, i))
			p->held_cooldown++;
		else
			e[m++] = ref_ent(v, i, COUCHE_MAX_TIERS);
	}
	qsort(e, m, sizeof(*e), ref_by_heat);
	/* demotions from the cold end, then promotions from the hot end */
	for (pass = 0; pass < 2; pass++) {
		for (k = 0; k < m && p->nr_moves < v->cfg.batch_size; k++) {
			uint32_t x = e[pass ? m - 1 - k : k].idx;
			unsigned int cur = v->tier[x], to = target[x];

			if (pass ? to > cur : to < cur)
				continue;
			if ((pass ? up[to] : down[to]) <= 0) {
				p->held_room++;
				continue;
			}
			up[to]--;
			down[to]--;
			p->moves[p->nr_moves].extent = x;
			p->moves[p->nr_moves].from = cur;
			p->moves[p->nr_moves].to = to;
			p->nr_moves++;
		}
	}
	free(e);
	free(target);
	free(want);
}

static void test_reference(struct tap *tap)
{
	struct cs_plan p = { 0 }, q;
	unsigned int iter, same = 0, sane = 0, total = 600, nonempty = 0;
	struct rng r = { 2024 };
	char why[160] = "", bad[160] = "";

	for (iter = 0; iter < total; iter++) {
		uint32_t n = iter < 500 ? rng_below(&r, 300) : 2000 + rng_below(&r, 3000);
		struct vol v;

		random_vol(&v, &r, n);
		if (vol_plan(&v, &p)) {
			vol_free(&v);
			continue;
		}
		ref_plan(&v, &q);
		if (plans_equal(&p, &q))
			same++;
		else if (!*bad)
			snprintf(bad, sizeof(bad),
				 "iteration %u: %u/%u moves, up %u/%u down %u/%u",
				 iter, p.nr_moves, q.nr_moves, p.want_up,
				 q.want_up, p.want_down, q.want_down);
		/* usable capacity may be short here: targets may overshoot */
		if (plan_sane(&v, &p, true, why, sizeof(why)))
			sane++;
		nonempty += p.nr_moves > 0;
		cs_plan_free(&q);
		vol_free(&v);
	}
	ok(tap, same == total,
	   "reference: %u of %u random volumes planned exactly as the plain implementation%s%s",
	   same, total, *bad ? ": first mismatch " : "", bad);
	ok(tap, sane == total, "reference: %u of %u plans sane%s%s", sane,
	   total, *why ? ": " : "", why);
	ok(tap, nonempty > total / 2, "reference: %u plans had moves", nonempty);
	cs_plan_free(&p);
}

static void test_args(struct tap *tap)
{
	struct cs_plan p = { 0 };
	struct vol v;
	bool good = true;

	vol_init(&v, 4, 3);
	good &= cs_policy_plan(&v.cfg, v.tiers, 0, v.heat, v.tier, v.flags,
			       v.n, NULL, 0, &p) == -EINVAL;
	good &= cs_policy_plan(&v.cfg, v.tiers, 9, v.heat, v.tier, v.flags,
			       v.n, NULL, 0, &p) == -EINVAL;
	good &= cs_policy_plan(&v.cfg, v.tiers, 3, NULL, v.tier, v.flags,
			       v.n, NULL, 0, &p) == -EINVAL;
	good &= cs_policy_plan(&v.cfg, v.tiers, 3, v.heat, v.tier, v.flags,
			       v.n - 1, &v.vs, 0, &p) == -EINVAL;
	v.cfg.halflife_s = 0;
	good &= vol_plan(&v, &p) == -EINVAL;
	ok(tap, good, "args: bad arguments give -EINVAL");
	v.cfg.halflife_s = 60;
	ok(tap, cs_policy_plan(&v.cfg, v.tiers, 3, NULL, NULL, NULL, 0, NULL,
			       0, &p) == 0 && p.nr_moves == 0,
	   "args: an empty volume plans nothing");
	/* One tier: nothing can move anywhere. */
	v.nt = 1;
	v.heat[0] = heat_of(1e6, 60);
	memset(v.tier, 0, v.n);
	ok(tap, vol_plan(&v, &p) == 0 && p.nr_moves == 0 &&
	   p.per_tier_target[0] == 4, "args: one tier: no moves");
	cs_plan_free(&p);
	vol_free(&v);
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* High-water mark of the resident set, KiB. */
static long peak_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* A million extents: report the time and memory, check the plan. */
static void test_million(struct tap *tap)
{
	const uint32_t n = 1000000;
	struct cs_plan p = { 0 };
	struct rng r = { 1 };
	double t0, ms, first = 0, best = 1e9;
	long rss;
	struct vol v;
	uint32_t i;
	int run;

	vol_init(&v, n, 3);
	v.cfg.batch_size = 1000;
	v.cfg.cooldown_s = 300;
	vol_set_tier(&v, 0, 52000, 2000);
	vol_set_tier(&v, 1, 220000, 10000);
	vol_set_tier(&v, 2, 800000, 30000);
	for (i = 0; i < n; i++) {
		/* Pareto-ish IOPS, random placement: much to move */
		double iops = 0.5 / pow(1 - rng_unit(&r), 1.2) - 0.5;
		uint32_t k = rng_below(&r, 100);

		v.heat[i] = heat_of(iops, v.cfg.halflife_s);
		v.tier[i] = k < 5 ? 0 : k < 26 ? 1 : 2;
		if (k == 99)
			v.flags[i] |= PINNED;
		if (!rng_below(&r, 50))
			v.last[i] = v.now - rng_below(&r, 600);
	}
	vol_count_used(&v);
	rss = peak_rss_kb();
	for (run = 0; run < 3; run++) {
		t0 = cpu_ms();
		if (vol_plan(&v, &p))
			break;
		ms = cpu_ms() - t0;
		if (!run)
			first = ms;
		if (ms < best)
			best = ms;
	}
	rss = peak_rss_kb() - rss;
	diag("plan over %u extents: %.1f ms", n, first);
	diag("(CPU time, first run; best of 3 %.1f ms; %u moves of %u up and %u down wanted)",
	     best, p.nr_moves, p.want_up, p.want_down);
	diag("peak RSS grew by %ld KiB while planning: %.1f bytes per extent",
	     rss, rss * 1024.0 / n);
	ok(tap, run == 3 && p.nr_moves == 1000, "million: planned a full batch");
	check_sane(tap, &v, &p, "million");

	/* Settled: everything in place, the common case. */
	for (i = 0; i < 40 && p.nr_moves; i++) {
		v.cfg.batch_size = 200000;
		vol_apply(&v, &p);
		v.now += 1000;
		vol_plan(&v, &p);
	}
	t0 = cpu_ms();
	vol_plan(&v, &p);
	ms = cpu_ms() - t0;
	diag("plan over %u extents, settled: %.1f ms (%u moves)", n, ms,
	     p.nr_moves);
	ok(tap, p.nr_moves == 0 && p.want_up == 0 && p.want_down == 0,
	   "million: converges to nothing to do");

	/* The most tiers the kernel allows, randomly filled. */
	v.nt = COUCHE_MAX_TIERS;
	for (i = 0; i < COUCHE_MAX_TIERS; i++) {
		vol_set_tier(&v, i, n / 6, n / 100);
		v.tiers[i].usable = true;
		v.tiers[i].iops_threshold = i + 1 < COUCHE_MAX_TIERS ?
					    (uint32_t)(1000 / pow(3, i)) : 0;
	}
	for (i = 0; i < n; i++)
		v.tier[i] = rng_below(&r, COUCHE_MAX_TIERS);
	vol_count_used(&v);
	v.cfg.batch_size = 1000;
	t0 = cpu_ms();
	vol_plan(&v, &p);
	ms = cpu_ms() - t0;
	diag("plan over %u extents in 8 tiers: %.1f ms (%u moves of %u up and %u down wanted)",
	     n, ms, p.nr_moves, p.want_up, p.want_down);
	check_sane(tap, &v, &p, "million, 8 tiers");
	cs_plan_free(&p);
	vol_free(&v);
}

int main(void)
{
	struct tap tap = { 0 };

	test_thresholds(&tap);
	test_capacity(&tap);
	test_reserve(&tap);
	test_swap_through_reserve(&tap);
	test_full_warm(&tap);
	test_lift(&tap);
	test_cooldown(&tap);
	test_batch(&tap);
	test_fixed(&tap);
	test_unusable(&tap);
	test_hysteresis(&tap);
	test_zipf(&tap);
	test_args(&tap);
	test_reference(&tap);
	test_million(&tap);
	printf("1..%u\n", tap.n);
	if (tap.failed)
		printf("# %u of %u failed\n", tap.failed, tap.n);
	return tap.failed ? 1 : 0;
}
