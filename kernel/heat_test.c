// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for dm-couche heat decay.
 */
#include <kunit/test.h>

#include "couche.h"

static void halves_per_halflife(struct kunit *test)
{
	u32 s = 1000 * COUCHE_HEAT_UNIT;
	u32 half = couche_heat_decay(s, COUCHE_DECAY_STEPS);

	/* 2^(-1/8) is rounded down in 16.16: within 0.1% of a half. */
	KUNIT_EXPECT_LE(test, half, s / 2);
	KUNIT_EXPECT_GE(test, half, s / 2 - s / 1000);
	KUNIT_EXPECT_LE(test, couche_heat_decay(s, 2 * COUCHE_DECAY_STEPS),
			s / 4);
}

static void monotonic_and_bounded(struct kunit *test)
{
	u32 s = COUCHE_HEAT_MAX, prev = s;
	unsigned int i;

	for (i = 1; i < 400; i++) {
		u32 d = couche_heat_decay(s, i);

		KUNIT_EXPECT_LE(test, d, prev);
		prev = d;
	}
	KUNIT_EXPECT_EQ(test, prev, 0u);	/* decays to nothing */
	KUNIT_EXPECT_EQ(test, couche_heat_decay(0, 5), 0u);
	KUNIT_EXPECT_EQ(test, couche_heat_decay(12345, 0), 12345u);
}

static void decay_period(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, couche_decay_period(8), msecs_to_jiffies(1000));
	KUNIT_EXPECT_EQ(test, couche_decay_period(300), msecs_to_jiffies(37500));
	KUNIT_EXPECT_GE(test, couche_decay_period(1), 1ul);
}

static struct kunit_case heat_cases[] = {
	KUNIT_CASE(halves_per_halflife),
	KUNIT_CASE(monotonic_and_bounded),
	KUNIT_CASE(decay_period),
	{}
};

static struct kunit_suite heat_suite = {
	.name = "dm_couche_heat",
	.test_cases = heat_cases,
};

kunit_test_suite(heat_suite);
