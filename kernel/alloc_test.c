// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for dm-couche slot allocation and tier choice.
 */
#include <kunit/test.h>

#include "couche.h"

static void fills_in_order_then_full(struct kunit *test)
{
	struct couche_slots s;
	u32 slot, i;

	KUNIT_ASSERT_EQ(test, couche_slots_init(&s, 100), 0);
	for (i = 0; i < 100; i++) {
		KUNIT_ASSERT_EQ(test, couche_slot_alloc(&s, &slot), 0);
		KUNIT_EXPECT_EQ(test, slot, i);
	}
	KUNIT_EXPECT_EQ(test, s.used, 100u);
	KUNIT_EXPECT_EQ(test, couche_slot_alloc(&s, &slot), -ENOSPC);
	couche_slot_free(&s, 42);
	couche_slot_free(&s, 7);
	KUNIT_ASSERT_EQ(test, couche_slot_alloc(&s, &slot), 0);
	KUNIT_EXPECT_EQ(test, slot, 7u);
	KUNIT_ASSERT_EQ(test, couche_slot_alloc(&s, &slot), 0);
	KUNIT_EXPECT_EQ(test, slot, 42u);
	KUNIT_EXPECT_EQ(test, couche_slot_alloc(&s, &slot), -ENOSPC);
	couche_slots_exit(&s);
}

static void claim_detects_corruption(struct kunit *test)
{
	struct couche_slots s;
	u32 slot;

	KUNIT_ASSERT_EQ(test, couche_slots_init(&s, 10), 0);
	KUNIT_EXPECT_EQ(test, couche_slot_claim(&s, 3), 0);
	KUNIT_EXPECT_EQ(test, couche_slot_claim(&s, 3), -EEXIST);
	KUNIT_EXPECT_EQ(test, couche_slot_claim(&s, 10), -ERANGE);
	KUNIT_EXPECT_EQ(test, s.used, 1u);
	KUNIT_ASSERT_EQ(test, couche_slot_alloc(&s, &slot), 0);
	KUNIT_EXPECT_NE(test, slot, 3u);
	couche_slots_exit(&s);
}

static void pick_respects_reserve(struct kunit *test)
{
	struct couche_slots a = { .nr = 10, .used = 8 }, b = { .nr = 10, .used = 0 };
	const struct couche_slots *tiers[2] = { &a, &b };
	u32 reserve[2] = { 1, 1 };

	KUNIT_EXPECT_EQ(test, couche_pick_tier(tiers, reserve, 2), 0);
	a.used = 9;	/* one free, and that one is the reserve */
	KUNIT_EXPECT_EQ(test, couche_pick_tier(tiers, reserve, 2), 1);
	b.used = 9;
	/* Both down to their reserve: the fastest takes from it. */
	KUNIT_EXPECT_EQ(test, couche_pick_tier(tiers, reserve, 2), 0);
	reserve[1] = 0;
	KUNIT_EXPECT_EQ(test, couche_pick_tier(tiers, reserve, 2), 1);
	a.used = 10;
	reserve[1] = 1;
	KUNIT_EXPECT_EQ(test, couche_pick_tier(tiers, reserve, 2), 1);
	b.used = 10;
	KUNIT_EXPECT_EQ(test, couche_pick_tier(tiers, reserve, 2), -ENOSPC);
	/* A tier that takes nothing is never picked, even with room. */
	b.used = 0;
	reserve[1] = U32_MAX;
	KUNIT_EXPECT_EQ(test, couche_pick_tier(tiers, reserve, 2), -ENOSPC);
}

static struct kunit_case alloc_cases[] = {
	KUNIT_CASE(fills_in_order_then_full),
	KUNIT_CASE(claim_detects_corruption),
	KUNIT_CASE(pick_respects_reserve),
	{}
};

static struct kunit_suite alloc_suite = {
	.name = "dm_couche_alloc",
	.test_cases = alloc_cases,
};

kunit_test_suite(alloc_suite);
