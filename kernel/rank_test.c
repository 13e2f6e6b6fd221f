// SPDX-License-Identifier: GPL-2.0
/* KUnit: top/bottom N by heat against a full sort of every extent. */
#include <kunit/test.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "couche.h"

#define NR 1000

/* Reference order: hotter first (top) or colder first, ties by index. */
static int ref_top(const void *a, const void *b)
{
	const struct couche_rank *x = a, *y = b;

	if (x->heat != y->heat)
		return x->heat > y->heat ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int ref_bottom(const void *a, const void *b)
{
	const struct couche_rank *x = a, *y = b;

	if (x->heat != y->heat)
		return x->heat < y->heat ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static void check_rank(struct kunit *test, const u32 *heat, u32 nr, u32 n, bool top)
{
	struct couche_rank *all, *h;
	u32 i, got = 0;

	all = kunit_kcalloc(test, nr, sizeof(*all), GFP_KERNEL);
	h = kunit_kcalloc(test, n, sizeof(*h), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, all);
	KUNIT_ASSERT_NOT_NULL(test, h);
	for (i = 0; i < nr; i++) {
		all[i].index = i;
		all[i].heat = heat[i];
		couche_rank_push(h, &got, n, all[i], top);
	}
	couche_rank_sort(h, got, top);
	sort(all, nr, sizeof(*all), top ? ref_top : ref_bottom, NULL);
	KUNIT_ASSERT_EQ(test, got, min(n, nr));
	for (i = 0; i < got; i++) {
		KUNIT_EXPECT_EQ_MSG(test, h[i].index, all[i].index, "n %u top %d rank %u", n,
				    top, i);
		KUNIT_EXPECT_EQ(test, h[i].heat, all[i].heat);
	}
}

static void rank_random(struct kunit *test)
{
	static const u32 ns[] = { 1, 2, 7, 100, NR - 1, NR, 2 * NR };
	u32 *heat = kunit_kcalloc(test, NR, sizeof(*heat), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, heat);
	for (i = 0; i < NR; i++)
		heat[i] = get_random_u32() % 5000;	/* plenty of ties */
	for (i = 0; i < ARRAY_SIZE(ns); i++) {
		check_rank(test, heat, NR, ns[i], true);
		check_rank(test, heat, NR, ns[i], false);
	}
}

static void rank_extremes(struct kunit *test)
{
	u32 heat[] = { 0, U32_MAX, 5, U32_MAX, 0, 7 };

	check_rank(test, heat, ARRAY_SIZE(heat), 2, true);
	check_rank(test, heat, ARRAY_SIZE(heat), 2, false);
	check_rank(test, heat, ARRAY_SIZE(heat), 6, true);
	check_rank(test, heat, ARRAY_SIZE(heat), 6, false);
}

static void rank_all_equal(struct kunit *test)
{
	u32 heat[64] = { 0 };

	/* Equal heat: the lowest extent numbers, in order. */
	check_rank(test, heat, ARRAY_SIZE(heat), 10, true);
	check_rank(test, heat, ARRAY_SIZE(heat), 10, false);
}

static struct kunit_case rank_cases[] = {
	KUNIT_CASE(rank_random),
	KUNIT_CASE(rank_extremes),
	KUNIT_CASE(rank_all_equal),
	{}
};

static struct kunit_suite rank_suite = {
	.name = "dm-couche-rank",
	.test_cases = rank_cases,
};

kunit_test_suite(rank_suite);
