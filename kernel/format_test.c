// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the dm-couche on-disk encoding.
 */
#include <kunit/test.h>
#include <linux/crc32c.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "format.h"

static void sample_geometry(struct couche_geometry *g)
{
	memset(g, 0, sizeof(*g));
	g->generation = 41;
	memset(g->uuid, 0xab, sizeof(g->uuid));
	g->extent_sectors = 8192;
	g->nr_extents = 5000;
	g->meta_blocks = 4096;
	g->map_copy_blocks = 2047;
	g->nr_tiers = 2;
	strscpy(g->tiers[0].name, "hot", COUCHE_TIER_NAME_LEN);
	g->tiers[0].kind = COUCHE_TIER_LINEAR;
	g->tiers[0].nr_members = 1;
	g->tiers[0].nr_slots = 1000;
	strscpy(g->tiers[1].name, "cold", COUCHE_TIER_NAME_LEN);
	g->tiers[1].kind = COUCHE_TIER_LINEAR;
	g->tiers[1].nr_members = 1;
	g->tiers[1].nr_slots = 9000;
	g->member_nonce[0][0] = 17;
	g->member_nonce[1][0] = 0xfffffff0;
}

static void *block(struct kunit *test)
{
	void *b = kunit_kzalloc(test, COUCHE_BLOCK_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, b);
	return b;
}

static void sb_roundtrip(struct kunit *test)
{
	struct couche_geometry g, out;
	const char *why;
	void *b = block(test);

	sample_geometry(&g);
	couche_sb_encode(b, &g);
	KUNIT_ASSERT_EQ(test, couche_sb_decode(b, &out, &why), 0);
	KUNIT_EXPECT_EQ(test, memcmp(&g, &out, sizeof(g)), 0);
	KUNIT_EXPECT_FALSE(test, couche_block_is_zero(b));
}

static void sb_refuses_unknown_features(struct kunit *test)
{
	struct couche_geometry g, out;
	const char *why = NULL;
	u8 *b = block(test);
	u32 crc;

	sample_geometry(&g);
	couche_sb_encode(b, &g);
	b[12] = 0x01;	/* flags: an incompatible feature this module lacks */
	crc = ~crc32c(~0u, b + 4, COUCHE_BLOCK_SIZE - 4);
	b[0] = crc;
	b[1] = crc >> 8;
	b[2] = crc >> 16;
	b[3] = crc >> 24;
	KUNIT_EXPECT_EQ(test, couche_sb_decode(b, &out, &why), -EOPNOTSUPP);
	KUNIT_EXPECT_NOT_NULL(test, strstr(why, "newer dm-couche"));
}

static void sb_detects_every_flipped_byte(struct kunit *test)
{
	struct couche_geometry g, out;
	const char *why;
	u8 *b = block(test);
	unsigned int i, caught = 0;

	sample_geometry(&g);
	couche_sb_encode(b, &g);
	for (i = 0; i < COUCHE_BLOCK_SIZE; i += 7) {
		b[i] ^= 0x10;
		caught += couche_sb_decode(b, &out, &why) != 0;
		b[i] ^= 0x10;
	}
	KUNIT_EXPECT_EQ(test, caught, (COUCHE_BLOCK_SIZE + 6) / 7);
}

static void sb_rejects_bad_geometry(struct kunit *test)
{
	struct couche_geometry g, out;
	const char *why;
	void *b = block(test);

	sample_geometry(&g);
	g.extent_sectors = 3000;
	couche_sb_encode(b, &g);
	KUNIT_EXPECT_EQ(test, couche_sb_decode(b, &out, &why), -EILSEQ);

	sample_geometry(&g);
	g.map_copy_blocks = 4;	/* 5000 extents need 5 blocks */
	couche_sb_encode(b, &g);
	KUNIT_EXPECT_EQ(test, couche_sb_decode(b, &out, &why), -EILSEQ);

	sample_geometry(&g);
	g.meta_blocks = 100;	/* two copies of 2047 blocks do not fit */
	couche_sb_encode(b, &g);
	KUNIT_EXPECT_EQ(test, couche_sb_decode(b, &out, &why), -EILSEQ);

	sample_geometry(&g);
	g.nr_tiers = 9;
	couche_sb_encode(b, &g);
	KUNIT_EXPECT_EQ(test, couche_sb_decode(b, &out, &why), -EILSEQ);

	sample_geometry(&g);
	g.tiers[1].kind = 7;
	couche_sb_encode(b, &g);
	KUNIT_EXPECT_EQ(test, couche_sb_decode(b, &out, &why), -EILSEQ);

	memset(b, 0, COUCHE_BLOCK_SIZE);
	KUNIT_EXPECT_TRUE(test, couche_block_is_zero(b));
	KUNIT_EXPECT_EQ(test, couche_sb_decode(b, &out, &why), -EILSEQ);
}

static void map_block_roundtrip(struct kunit *test)
{
	u32 *in = kunit_kcalloc(test, COUCHE_ENTRIES_PER_BLOCK, 4, GFP_KERNEL);
	u32 *out = kunit_kcalloc(test, COUCHE_ENTRIES_PER_BLOCK, 4, GFP_KERNEL);
	const char *why;
	void *b = block(test);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, in);
	KUNIT_ASSERT_NOT_NULL(test, out);
	for (i = 0; i < 700; i++)
		in[i] = (i % 3) ? ce_make(i % 8, i * 17) : 0;
	in[5] |= CE_BUSY | CE_PINNED;	/* BUSY is never written */
	couche_map_block_encode(b, 12, 41, in, 700);
	KUNIT_ASSERT_EQ(test, couche_map_block_decode(b, 12, 41, out, 700, &why), 0);
	KUNIT_EXPECT_EQ(test, couche_map_block_decode(b, 12, 42, out, 700, &why), 0);
	in[5] &= ~CE_BUSY;
	KUNIT_EXPECT_EQ(test, memcmp(in, out, 700 * 4), 0);
	KUNIT_EXPECT_TRUE(test, out[5] & CE_PINNED);

	/* At another index, or with the volume shorter than its entries. */
	KUNIT_EXPECT_EQ(test, couche_map_block_decode(b, 13, 41, out, 700, &why), -EILSEQ);
	KUNIT_EXPECT_EQ(test, couche_map_block_decode(b, 12, 41, out, 600, &why), -EILSEQ);
	/* Written by generation 41: an older superblock's copy must not hold it. */
	KUNIT_EXPECT_EQ(test, couche_map_block_decode(b, 12, 40, out, 700, &why), -ESTALE);
	/* Across the 32-bit wrap. */
	couche_map_block_encode(b, 12, 0x100000002ull, in, 700);
	KUNIT_EXPECT_EQ(test, couche_map_block_decode(b, 12, 0xffffffffull, out, 700, &why),
			-ESTALE);
	KUNIT_EXPECT_EQ(test, couche_map_block_decode(b, 12, 0x100000003ull, out, 700, &why), 0);
	/* A block not rewritten for 2^31 commits is old, not newer. */
	KUNIT_EXPECT_EQ(test, couche_map_block_decode(b, 12, 0x180000003ull, out, 700, &why), 0);
	/* Written before stamps: 0. */
	couche_map_block_encode(b, 12, 0, in, 700);
	KUNIT_EXPECT_EQ(test, couche_map_block_decode(b, 12, 0x80000005ull, out, 700, &why), 0);
	((u8 *)b)[100] ^= 1;
	KUNIT_EXPECT_EQ(test, couche_map_block_decode(b, 12, 0x100000003ull, out, 700, &why),
			-EILSEQ);
}

static void entry_fields(struct kunit *test)
{
	u32 e = ce_make(5, COUCHE_MAX_SLOTS - 1);

	KUNIT_EXPECT_EQ(test, ce_tier(e), 5u);
	KUNIT_EXPECT_EQ(test, ce_slot(e), COUCHE_MAX_SLOTS - 1);
	KUNIT_EXPECT_TRUE(test, e & CE_MAPPED);
	KUNIT_EXPECT_FALSE(test, e & (CE_BUSY | CE_PINNED));
	KUNIT_EXPECT_EQ(test, ce_tier(e | CE_BUSY | CE_PINNED), 5u);
}

static void member_header(struct kunit *test)
{
	struct couche_disk_member m;
	u8 uuid[16] = { 1, 2, 3 };
	u8 *b = block(test);

	couche_member_encode(b, uuid, 2, 4, COUCHE_TIER_RAID6, 6, 8192, 0xdeadbeef);
	KUNIT_ASSERT_EQ(test, couche_member_decode(b, &m), 0);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(m.nonce), 0xdeadbeefu);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(m.tier), 2u);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(m.slot), 4u);
	KUNIT_EXPECT_EQ(test, memcmp(m.uuid, uuid, 16), 0);
	b[40] ^= 0xff;
	KUNIT_EXPECT_EQ(test, couche_member_decode(b, &m), -ENODATA);
	memset(b, 0, COUCHE_BLOCK_SIZE);
	KUNIT_EXPECT_EQ(test, couche_member_decode(b, &m), -ENODATA);
}

static struct kunit_case format_cases[] = {
	KUNIT_CASE(sb_roundtrip),
	KUNIT_CASE(sb_detects_every_flipped_byte),
	KUNIT_CASE(sb_refuses_unknown_features),
	KUNIT_CASE(sb_rejects_bad_geometry),
	KUNIT_CASE(map_block_roundtrip),
	KUNIT_CASE(entry_fields),
	KUNIT_CASE(member_header),
	{}
};

static struct kunit_suite format_suite = {
	.name = "dm_couche_format",
	.test_cases = format_cases,
};

kunit_test_suite(format_suite);
