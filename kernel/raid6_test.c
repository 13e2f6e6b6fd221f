// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the dm-couche raid6 layout and for recovery of every
 * one- and two-member loss, against the kernel's RAID-6 library.
 */
#include <kunit/test.h>
#include <linux/random.h>
#include <linux/raid/pq.h>
#include <linux/vmalloc.h>

#include "couche.h"

static void roles_are_a_rotating_permutation(struct kunit *test)
{
	u32 k;
	u64 g;

	for (k = 2; k <= 16; k++) {
		for (g = 0; g < 40; g++) {
			unsigned long seen = 0;
			unsigned int r;

			for (r = 0; r < k + 2; r++)
				seen |= BIT(couche_r6_role_member(k, g, r));
			KUNIT_EXPECT_EQ(test, seen, BIT(k + 2) - 1);
			KUNIT_EXPECT_EQ(test, couche_r6_role_member(k, g, k), g % (k + 2));
		}
	}
}

static void locate(struct kunit *test)
{
	struct couche_tier t = { .k = 4, .chunk_sectors = 128, .sps = 4 };
	sector_t sector, left;
	unsigned int m;

	/* slot 0, stripe 0: P on member 0, Q on 1, data 0 on member 2 */
	couche_r6_locate(&t, 0, 0, &m, &sector, &left);
	KUNIT_EXPECT_EQ(test, m, 2u);
	KUNIT_EXPECT_EQ(test, sector, (sector_t)COUCHE_DATA_OFFSET);
	KUNIT_EXPECT_EQ(test, left, (sector_t)128);
	couche_r6_locate(&t, 0, 128 * 3 + 5, &m, &sector, &left);
	KUNIT_EXPECT_EQ(test, m, 5u);
	KUNIT_EXPECT_EQ(test, sector, (sector_t)COUCHE_DATA_OFFSET + 5);
	KUNIT_EXPECT_EQ(test, left, (sector_t)123);
	/* slot 2, stripe 1: global stripe 9, P on member 3, data 0 on 5 */
	couche_r6_locate(&t, 2, 512 + 7, &m, &sector, &left);
	KUNIT_EXPECT_EQ(test, m, 5u);
	KUNIT_EXPECT_EQ(test, sector, (sector_t)COUCHE_DATA_OFFSET + 9 * 128 + 7);
}

struct recover_case {
	u32 k;
	int a, b;	/* lost roles; b == -1 for one loss */
};

static struct recover_case recover_cases[18 * 17 / 2 + 18];
static unsigned int nr_recover_cases;

static const void *recover_gen(const void *prev, char *desc)
{
	const struct recover_case *c = prev;
	unsigned int i;

	if (!nr_recover_cases) {
		static const u32 ks[] = { 2, 4, 7 };
		unsigned int ki;
		int a, b;

		for (ki = 0; ki < ARRAY_SIZE(ks); ki++)
			for (a = 0; a < ks[ki] + 2; a++)
				for (b = -1; b < a; b++)
					if (nr_recover_cases < ARRAY_SIZE(recover_cases))
						recover_cases[nr_recover_cases++] =
							(struct recover_case){ ks[ki], a, b };
	}
	i = c ? c - recover_cases + 1 : 0;
	if (i >= nr_recover_cases)
		return NULL;
	c = &recover_cases[i];
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "k=%u lost %d%s%d", c->k, c->a,
		 c->b < 0 ? "" : "+", c->b < 0 ? 0 : c->b);
	return c;
}

static void recover_losses(struct kunit *test)
{
	const struct recover_case *rc = test->param_value;
	unsigned int disks = rc->k + 2, r;
	size_t bytes = 2 * PAGE_SIZE;
	bool failed[COUCHE_MAX_MEMBERS] = {};
	void *ptrs[COUCHE_MAX_MEMBERS];
	u8 *buf, *orig;

	buf = vmalloc(disks * bytes);
	orig = vmalloc(disks * bytes);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, orig);
	get_random_bytes(buf, rc->k * bytes);
	for (r = 0; r < disks; r++)
		ptrs[r] = buf + r * bytes;
	raid6_call.gen_syndrome(disks, bytes, ptrs);
	memcpy(orig, buf, disks * bytes);

	failed[rc->a] = true;
	memset(ptrs[rc->a], 0x5a, bytes);
	if (rc->b >= 0) {
		failed[rc->b] = true;
		memset(ptrs[rc->b], 0xa5, bytes);
	}
	KUNIT_ASSERT_EQ(test, couche_r6_recover(rc->k, bytes, ptrs, failed), 0);
	/* Every data chunk is back. */
	KUNIT_EXPECT_EQ(test, memcmp(buf, orig, rc->k * bytes), 0);
	vfree(orig);
	vfree(buf);
}

/* One lost role of every kind is rebuilt, P and Q too; a second bad chunk is caught. */
static void recover_one_checks_parity(struct kunit *test)
{
	const u32 k = 4;
	unsigned int disks = k + 2, lost, other;
	size_t bytes = 2 * PAGE_SIZE;
	void *ptrs[COUCHE_MAX_MEMBERS];
	u8 *buf, *orig, *scratch;

	buf = vmalloc(disks * bytes);
	orig = vmalloc(disks * bytes);
	scratch = vmalloc(2 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, orig);
	KUNIT_ASSERT_NOT_NULL(test, scratch);
	for (lost = 0; lost < disks; lost++) {
		unsigned int r;

		get_random_bytes(buf, k * bytes);
		for (r = 0; r < disks; r++)
			ptrs[r] = buf + r * bytes;
		raid6_call.gen_syndrome(disks, bytes, ptrs);
		memcpy(orig, buf, disks * bytes);
		memset(ptrs[lost], 0x5a, bytes);
		KUNIT_EXPECT_EQ(test, couche_r6_recover_one(k, bytes, ptrs, lost, scratch), 0);
		KUNIT_EXPECT_EQ_MSG(test, memcmp(buf, orig, disks * bytes), 0, "lost %u", lost);

		other = (lost + 1) % disks;
		memset(ptrs[lost], 0x5a, bytes);
		((u8 *)ptrs[other])[PAGE_SIZE + 7] ^= 1;	/* silent corruption */
		KUNIT_EXPECT_EQ_MSG(test, couche_r6_recover_one(k, bytes, ptrs, lost, scratch),
				    -EILSEQ, "lost %u, %u corrupt", lost, other);
	}
	vfree(scratch);
	vfree(orig);
	vfree(buf);
}

static void three_losses_refused(struct kunit *test)
{
	bool failed[COUCHE_MAX_MEMBERS] = { true, true, true };
	void *ptrs[COUCHE_MAX_MEMBERS] = {};

	KUNIT_EXPECT_EQ(test, couche_r6_recover(4, PAGE_SIZE, ptrs, failed), -EIO);
}

static struct kunit_case raid6_cases[] = {
	KUNIT_CASE(roles_are_a_rotating_permutation),
	KUNIT_CASE(locate),
	KUNIT_CASE_PARAM(recover_losses, recover_gen),
	KUNIT_CASE(recover_one_checks_parity),
	KUNIT_CASE(three_losses_refused),
	{}
};

static struct kunit_suite raid6_suite = {
	.name = "dm_couche_raid6",
	.test_cases = raid6_cases,
};

kunit_test_suite(raid6_suite);
