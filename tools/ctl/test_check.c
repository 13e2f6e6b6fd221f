// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of "couchestorctl check": crc32c, and the checker on
 * metadata images built here in a temp file.
 *
 * The images are encoded independently of metacheck.h: fields are put at
 * the byte offsets of kernel/format.h's structs (as pahole shows them on
 * kernel/format.o) and sealed as format.c's block_csum() does, and they
 * are laid out as kernel/metadata.c's format and commit leave them.  A
 * mistake in metacheck.h's mirror of the format then fails here.
 */
#include <endian.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"
#include "ctl.h"
#include "metacheck.h"

/* main.c defines these in couchestorctl; weak, so either can link. */
__attribute__((weak)) bool ctl_json;
__attribute__((weak)) const char *ctl_prog = "couchestorctl";

/* ---- kernel/format.h, by value ---- */

#define BS		4096
#define EPB		1020
#define SB_MAGIC	0x48435543u
#define MAP_MAGIC	0x504d5543u
#define CE_BUSY		(1u << 29)
#define CE_PINNED	(1u << 30)
#define CE_MAPPED	(1u << 31)

static uint32_t ce(unsigned int tier, uint32_t slot)
{
	return CE_MAPPED | (tier << 26) | slot;
}

/* ---- a tiny test harness ---- */

static int failures;
static char why[512];

#define EXPECT(cond) do {						\
	if (!(cond) && !why[0])						\
		snprintf(why, sizeof(why), "line %d: %s", __LINE__, #cond); \
} while (0)

static void run(const char *name, void (*fn)(void))
{
	why[0] = '\0';
	fn();
	if (why[0]) {
		failures++;
		printf("not ok - %s\n#   failed: %s\n", name, why);
	} else {
		printf("ok - %s\n", name);
	}
}

/* ---- building images ---- */

struct t_tier {
	const char *name;
	uint32_t kind, members, k, chunk;
	uint64_t slots;
};

struct t_geo {
	uint64_t generation;
	uint8_t uuid[16];
	uint64_t extent_sectors, nr_extents, meta_blocks;
	uint32_t map_copy_blocks, nr_tiers;
	struct t_tier tiers[COUCHE_MAX_TIERS];
};

static void put32(uint8_t *b, size_t off, uint32_t v)
{
	v = htole32(v);
	memcpy(b + off, &v, 4);
}

static void put64(uint8_t *b, size_t off, uint64_t v)
{
	v = htole64(v);
	memcpy(b + off, &v, 8);
}

/* format.c's block_csum(): ~crc32c(~0, rest of block), in the first word. */
static void seal(uint8_t *b)
{
	put32(b, 0, ~crc32c_calc(~0u, b + 4, BS - 4));
}

/* couche_sb_encode(), at struct couche_disk_sb's offsets. */
static void sb_encode(uint8_t *b, const struct t_geo *g)
{
	unsigned int t, m;

	memset(b, 0, BS);
	put32(b, 4, SB_MAGIC);
	put32(b, 8, 1);
	put64(b, 16, g->generation);
	memcpy(b + 24, g->uuid, 16);
	put64(b, 40, g->extent_sectors);
	put64(b, 48, g->nr_extents);
	put64(b, 56, g->meta_blocks);
	put32(b, 64, g->map_copy_blocks);
	put32(b, 68, g->nr_tiers);
	for (t = 0; t < g->nr_tiers; t++) {
		uint8_t *tb = b + 72 + 56 * t;

		strncpy((char *)tb, g->tiers[t].name, 15);
		put32(tb, 16, g->tiers[t].kind);
		put32(tb, 20, g->tiers[t].members);
		put32(tb, 24, g->tiers[t].k);
		put32(tb, 28, g->tiers[t].chunk);
		put64(tb, 32, g->tiers[t].slots);
		for (m = 0; m < g->tiers[t].members; m++)
			put32(b, 520 + 4 * (18 * t + m), 0x10001 * (t + 1) + 2 * m + 1);
	}
	seal(b);
}

/* couche_map_block_encode(), except that @raw keeps a BUSY bit. */
static void map_block_encode(uint8_t *b, uint32_t index, const uint32_t *e,
			     unsigned int nr, bool raw)
{
	unsigned int i;

	memset(b, 0, BS);
	put32(b, 4, MAP_MAGIC);
	put32(b, 8, index);
	for (i = 0; i < nr; i++)
		put32(b, 16 + 4 * i, raw ? e[i] : e[i] & ~CE_BUSY);
	seal(b);
}

static char img_path[256];
static int img_fd = -1;
static struct t_geo geo;
static uint32_t map[3000];

static void sample(void)
{
	unsigned int i;

	memset(&geo, 0, sizeof(geo));
	geo.generation = 5;
	for (i = 0; i < 16; i++)
		geo.uuid[i] = 0x10 + i;
	geo.extent_sectors = 8192;
	geo.nr_extents = 3000;		/* 3 map blocks */
	geo.meta_blocks = 64;
	geo.map_copy_blocks = (64 - 2) / 2;	/* as format_volume() sizes it */
	geo.nr_tiers = 2;
	geo.tiers[0] = (struct t_tier){ "hot", COUCHE_TIER_LINEAR, 1, 0, 0, 1000 };
	geo.tiers[1] = (struct t_tier){ "cold", COUCHE_TIER_RAID6, 6, 4, 128, 5000 };

	memset(map, 0, sizeof(map));
	for (i = 0; i < 900; i++)
		map[i] = ce(0, i);
	for (i = 900; i < 2000; i++)
		map[i] = ce(1, i - 900 + 7);
	map[5] |= CE_PINNED;
	map[950] |= CE_PINNED;
	map[2500] = CE_PINNED;		/* pinned to hot, not written yet */
}

static void write_block(uint64_t block, const uint8_t *b)
{
	if (pwrite(img_fd, b, BS, block * BS) != BS)
		abort();
}

static uint64_t copy_start(unsigned int copy)
{
	return 2 + (uint64_t)copy * geo.map_copy_blocks;
}

/* What a commit writes: the map into copy G%2, then the superblock into slot G%2. */
static void commit(uint64_t gen, const uint32_t *m, bool raw)
{
	uint8_t b[BS];
	uint32_t i, n = (geo.nr_extents + EPB - 1) / EPB;

	geo.generation = gen;
	for (i = 0; i < n; i++) {
		uint64_t first = (uint64_t)i * EPB;
		unsigned int nr = geo.nr_extents - first < EPB ? geo.nr_extents - first : EPB;

		map_block_encode(b, i, m + first, nr, raw);
		write_block(copy_start(gen % 2) + i, b);
	}
	sb_encode(b, &geo);
	write_block(gen % 2, b);
}

static void new_image(void)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	snprintf(img_path, sizeof(img_path), "%s/test_check.XXXXXX", dir);
	img_fd = mkstemp(img_path);
	if (img_fd < 0 || ftruncate(img_fd, (off_t)geo.meta_blocks * BS))
		abort();
}

/* A volume at generation @gen, as commits leave it: the previous one in the other slot. */
static void build(uint64_t gen)
{
	uint32_t older[3000];

	new_image();
	if (gen) {
		memcpy(older, map, sizeof(older));
		memset(older + 1800, 0, 200 * sizeof(older[0]));
		commit(gen - 1, older, false);
	}
	commit(gen, map, false);
}

static void drop_image(void)
{
	if (img_fd >= 0) {
		close(img_fd);
		unlink(img_path);
	}
	img_fd = -1;
}

static void flip(uint64_t offset)
{
	uint8_t c;

	if (pread(img_fd, &c, 1, offset) != 1)
		abort();
	c ^= 0x40;
	if (pwrite(img_fd, &c, 1, offset) != 1)
		abort();
}

static void fill_block(uint64_t block, int byte)
{
	uint8_t b[BS];

	memset(b, byte, BS);
	write_block(block, b);
}

/* Byte offset of extent @e's entry in live copy @copy. */
static uint64_t entry_off(unsigned int copy, uint64_t e)
{
	return (copy_start(copy) + e / EPB) * BS + 16 + (e % EPB) * 4;
}

static struct mc_result res;

static int check(void)
{
	mc_result_free(&res);
	return mc_check_path(img_path, &res);
}

/* The first problem at @offset, or NULL. */
static const struct mc_problem *problem_at(uint64_t offset)
{
	unsigned int i;

	for (i = 0; i < res.nr_problems; i++)
		if (res.problems[i].offset == offset)
			return &res.problems[i];
	return NULL;
}

static bool message_at(uint64_t offset, const char *text)
{
	const struct mc_problem *p = problem_at(offset);

	return p && strstr(p->message, text);
}

/* ---- cases ---- */

static void t_crc32c(void)
{
	static const char v[] = "123456789";

	/* The kernel's crc32c() neither seeds nor inverts: callers do. */
	EXPECT(crc32c_calc(~0u, v, 9) == 0x1cf96d7c);
	EXPECT(~crc32c_calc(~0u, v, 9) == 0xe3069283);
	EXPECT(crc32c_calc(crc32c_calc(~0u, v, 4), v + 4, 5) == 0x1cf96d7c);
	EXPECT(crc32c_calc(0, "", 0) == 0);
}

static void t_valid(void)
{
	sample();
	build(5);
	EXPECT(check() == 0);
	EXPECT(res.nr_problems == 0);
	EXPECT(res.state == MC_STATE_CHECKED);
	EXPECT(res.live_slot == 1 && res.generation == 5 && res.live_copy == 1);
	EXPECT(res.slot[0].state == MC_SLOT_PREVIOUS);
	EXPECT(res.nr_tiers == 2 && !strcmp(res.tiers[1].name, "cold"));
	EXPECT(res.tiers[0].mapped == 900 && res.tiers[1].mapped == 1100);
	EXPECT(res.mapped == 2000 && res.pinned == 3 && res.pinned_unmapped == 1);
	EXPECT(res.map_blocks == 3 && res.extent_sectors == 8192);
	EXPECT(!strcmp(res.verdict, "metadata is clean"));
	drop_image();
}

static void t_fresh_format(void)
{
	/* format_volume(): generation 0 in slot 0, empty copy 0, slot 1 blank. */
	sample();
	memset(map, 0, sizeof(map));
	build(0);
	EXPECT(check() == 0);
	EXPECT(res.nr_problems == 0);
	EXPECT(res.live_slot == 0 && res.slot[1].state == MC_SLOT_BLANK);
	EXPECT(res.mapped == 0);
	drop_image();
}

static void t_torn_inactive(void)
{
	sample();
	build(5);
	flip(2000);		/* slot 0, generation 4 */
	EXPECT(check() == 0);
	EXPECT(res.nr_problems == 1 && res.problems[0].offset == 0);
	EXPECT(res.problems[0].severity == MC_NOTE && res.problems[0].block == 0);
	EXPECT(res.slot[0].state == MC_SLOT_TORN && res.live_slot == 1);
	EXPECT(strstr(res.verdict, "slot 0 is torn") && strstr(res.verdict, "no action"));
	drop_image();
}

static void t_torn_commit(void)
{
	uint8_t b[BS];

	/* Generation 6 was going to slot 0 when the power went. */
	sample();
	build(5);
	geo.generation = 6;
	sb_encode(b, &geo);
	b[3000] ^= 1;
	write_block(0, b);
	EXPECT(check() == 0);
	EXPECT(res.live_slot == 1 && res.generation == 5);
	EXPECT(res.nr_problems == 1 && problem_at(0) && problem_at(0)->severity == MC_NOTE);
	EXPECT(strstr(res.problems[0].message, "generation 6"));
	drop_image();
}

static void t_garbage_inactive(void)
{
	sample();
	build(5);
	fill_block(0, 0xa5);
	EXPECT(check() == MC_EXIT_TOLERATED);
	EXPECT(res.nr_problems == 1 && problem_at(0) && problem_at(0)->severity == MC_TOLERATED);
	EXPECT(message_at(0, "bad magic 0xa5a5a5a5"));
	EXPECT(res.live_slot == 1 && res.slot[0].state == MC_SLOT_BAD);
	drop_image();
}

static void t_garbage_live(void)
{
	/* The kernel falls back to generation 4 and its map, copy 0. */
	sample();
	build(5);
	fill_block(1, 0x5a);
	EXPECT(check() == MC_EXIT_TOLERATED);
	EXPECT(problem_at(BS) && problem_at(BS)->block == 1);
	EXPECT(res.live_slot == 0 && res.generation == 4 && res.live_copy == 0);
	EXPECT(res.mapped == 1800 && res.tiers[1].mapped == 900);
	drop_image();
}

static void t_both_bad(void)
{
	sample();
	build(5);
	flip(100);
	flip(BS + 100);
	EXPECT(check() == MC_EXIT_FATAL);
	EXPECT(res.state == MC_STATE_NO_SB && res.live_slot == -1);
	EXPECT(message_at(0, "checksum mismatch") && message_at(BS, "checksum mismatch"));
	EXPECT(strstr(res.verdict, "no valid superblock"));
	drop_image();
}

static void t_map_crc(void)
{
	uint64_t off = (copy_start(1) + 1) * BS;	/* block 1 of the live copy */

	sample();
	build(5);
	flip(off + 100);
	EXPECT(check() == MC_EXIT_FATAL);
	EXPECT(off == 0x22000);
	EXPECT(message_at(off, "map block 1 of copy 1: checksum mismatch"));
	EXPECT(problem_at(off) && problem_at(off)->block == 34);
	EXPECT(strstr(res.verdict, "refuses to load"));
	drop_image();
}

static void t_inactive_map_ignored(void)
{
	/* The kernel never reads the other copy: neither does check. */
	sample();
	build(5);
	flip((copy_start(0) + 1) * BS + 100);
	EXPECT(check() == 0 && res.nr_problems == 0);
	drop_image();
}

static void t_slot_out_of_range(void)
{
	sample();
	map[10] = ce(0, 1000);		/* hot has slots 0..999 */
	build(5);
	EXPECT(check() == MC_EXIT_FATAL);
	EXPECT(message_at(entry_off(1, 10), "slot 1000 of tier 0 (hot), which has 1000 slots"));
	drop_image();
}

static void t_slot_twice(void)
{
	sample();
	map[20] = ce(1, 12);		/* extent 905 holds slot 12 of cold */
	build(5);
	EXPECT(check() == MC_EXIT_FATAL);
	EXPECT(message_at(entry_off(1, 905), "extent 905 is mapped to slot 12 of tier 1 (cold), which extent 20 also uses"));
	EXPECT(res.tiers[1].mapped == 1100 && res.tiers[0].mapped == 899);
	drop_image();
}

static void t_bad_tier(void)
{
	sample();
	map[30] = ce(5, 1);
	map[31] = CE_PINNED | (7u << 26);	/* unmapped, but still must name a tier */
	build(5);
	EXPECT(check() == MC_EXIT_FATAL);
	EXPECT(message_at(entry_off(1, 30), "names tier 5, the volume has 2"));
	EXPECT(message_at(entry_off(1, 31), "names tier 7"));
	drop_image();
}

static void t_pinned_raid6_unwritten(void)
{
	sample();
	map[2600] = CE_PINNED | (1u << 26);	/* cold is raid6: never a first write there */
	build(5);
	EXPECT(check() == MC_EXIT_FATAL);
	EXPECT(message_at(entry_off(1, 2600), "extent 2600 is pinned, never written, to raid6 tier 1 (cold)"));
	drop_image();
}

static void t_newer_map_block(void)
{
	uint8_t b[BS];

	sample();
	build(5);
	/* Block 1 of the live copy (1) rewritten by generation 7: a lost commit. */
	map_block_encode(b, 1, map + 1020, 1020, false);
	put32(b, 12, 7);
	seal(b);
	write_block(copy_start(1) + 1, b);
	EXPECT(check() == MC_EXIT_FATAL);
	EXPECT(message_at((copy_start(1) + 1) * (uint64_t)BS + 12,
			  "written by generation 7, after its superblock's 5"));
	drop_image();
}

static void t_unknown_features(void)
{
	uint8_t b[BS];

	sample();
	build(5);
	sb_encode(b, &geo);
	put32(b, 12, 0x4);	/* an incompatible feature from a newer module */
	seal(b);
	write_block(geo.generation & 1, b);
	EXPECT(check() == MC_EXIT_FATAL);
	EXPECT(message_at(0x1000 * (geo.generation & 1), "features 0x00000004 this dm-couche does not know"));
	drop_image();
}

static void t_busy_and_tail(void)
{
	uint8_t b[BS];
	uint32_t e[EPB] = { 0 };

	sample();
	build(5);
	e[3] = ce(0, 2043) | CE_BUSY;	/* extent 2043 */
	map_block_encode(b, 2, e, EPB, true);
	put32(b, 16 + 4 * 1000, 7);	/* entry 1000: extent 3040 > 2999 */
	seal(b);
	write_block(copy_start(1) + 2, b);
	EXPECT(check() == MC_EXIT_FATAL);
	EXPECT(message_at(entry_off(1, 2043), "BUSY"));
	EXPECT(message_at(entry_off(1, 3040), "past the last extent"));
	drop_image();
}

static void t_stray_bits(void)
{
	sample();
	map[2600] = 5;		/* neither mapped nor pinned, yet not 0 */
	build(5);
	EXPECT(check() == MC_EXIT_TOLERATED);
	EXPECT(message_at(entry_off(1, 2600), "unmapped entry 0x00000005"));
	drop_image();
}

static void t_codes_or(void)
{
	sample();
	build(5);
	fill_block(0, 0xa5);			/* 1 */
	flip((copy_start(1) + 2) * BS + 9);	/* 4 */
	EXPECT(check() == (MC_EXIT_TOLERATED | MC_EXIT_FATAL));
	EXPECT(strstr(res.verdict, "live map (copy 1, generation 5) is corrupt"));
	drop_image();
}

static void t_unmatchable_tier(void)
{
	sample();
	geo.tiers[0].members = 2;	/* linear: exactly one */
	build(5);
	EXPECT(check() == MC_EXIT_FATAL);
	EXPECT(message_at(BS + 72, "a linear tier has one member"));
	drop_image();
}

static void t_blank(void)
{
	sample();
	new_image();
	EXPECT(check() == MC_EXIT_OPERATIONAL);
	EXPECT(res.state == MC_STATE_BLANK && res.nr_problems == 0);
	EXPECT(strstr(res.verdict, "not formatted"));
	drop_image();
}

static void t_zero_superblocks(void)
{
	sample();
	build(0);
	fill_block(0, 0);
	EXPECT(check() == MC_EXIT_FATAL);
	EXPECT(res.state == MC_STATE_NO_SB && message_at(2 * BS, "zeros but this block is not"));
	drop_image();
}

static void t_foreign(void)
{
	sample();
	new_image();
	fill_block(0, 0x53);
	fill_block(1, 0xef);
	EXPECT(check() == MC_EXIT_FATAL);
	EXPECT(strstr(res.verdict, "not a dm-couche metadata device"));
	drop_image();
}

static void t_too_small(void)
{
	sample();
	new_image();
	EXPECT(ftruncate(img_fd, 100) == 0);
	EXPECT(check() == MC_EXIT_OPERATIONAL);
	EXPECT(strstr(res.verdict, "too small"));
	drop_image();
}

static void t_truncated(void)
{
	sample();
	build(5);
	EXPECT(ftruncate(img_fd, 40 * BS) == 0);	/* copy 1 ends at block 64 */
	EXPECT(check() == MC_EXIT_FATAL);
	EXPECT(message_at(BS + 64, "need 64 blocks, the device has 40"));
	EXPECT(res.mapped == 2000);	/* the live copy's 3 blocks are there */
	drop_image();
}

static void t_no_such_device(void)
{
	snprintf(img_path, sizeof(img_path), "/nonexistent/metadata");
	EXPECT(check() == MC_EXIT_OPERATIONAL);
	EXPECT(res.state == MC_STATE_UNCHECKED && strstr(res.verdict, "cannot open"));
}

/* ---- the command ---- */

static char out[65536];

/* Runs cmd_check with stdout and stderr captured in out[]. */
static int run_cmd(bool json, ...)
{
	char *argv[8] = { "check" };
	int argc = 1, code, saved_out, saved_err;
	FILE *tmp = tmpfile();
	size_t n;
	va_list ap;

	va_start(ap, json);
	while (argc < 7 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	if (!tmp)
		abort();
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	dup2(fileno(tmp), 1);
	dup2(fileno(tmp), 2);
	ctl_json = json;
	code = cmd_check(argc, argv);
	ctl_json = false;
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return code;
}

static void t_cmd_usage(void)
{
	EXPECT(run_cmd(false, "--help", NULL) == 0 && strstr(out, "Usage:"));
	EXPECT(strstr(out, "16  usage"));
	EXPECT(run_cmd(false, NULL) == MC_EXIT_USAGE && strstr(out, "missing META_DEV"));
	EXPECT(run_cmd(false, "-x", "/dev/null", NULL) == MC_EXIT_USAGE);
	EXPECT(strstr(out, "unknown option '-x'"));
	EXPECT(run_cmd(false, "--bogus", "/dev/null", NULL) == MC_EXIT_USAGE);
	EXPECT(run_cmd(false, "a", "b", NULL) == MC_EXIT_USAGE && strstr(out, "unexpected argument 'b'"));
}

static void t_cmd_text(void)
{
	sample();
	build(5);
	flip(2000);
	EXPECT(run_cmd(false, img_path, "-v", NULL) == 0);
	EXPECT(strstr(out, "generation:   5 (superblock slot 1; slot 0: torn)"));
	EXPECT(strstr(out, "  1 cold            raid6 4+2 chunk 128    slots 5000      mapped 1100"));
	EXPECT(strstr(out, "  offset 0x0 (block 0): note: superblock slot 0 is torn"));
	EXPECT(strstr(out, "verdict: the superblock in slot 0 is torn"));
	drop_image();
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static void t_cmd_json(void)
{
	struct json_object *o, *p, *t;

	sample();
	build(5);
	EXPECT(run_cmd(true, img_path, NULL) == 0);
	o = json_tokener_parse(out);
	EXPECT(o);
	EXPECT(json_object_get_boolean(get(o, "clean")));
	EXPECT(json_object_get_int(get(o, "exit_code")) == 0);
	EXPECT(json_object_get_int(get(o, "live_slot")) == 1);
	EXPECT(!strcmp(json_object_get_string(get(o, "state")), "checked"));
	EXPECT(!strcmp(json_object_get_string(get(o, "uuid")),
		       "10111213-1415-1617-1819-1a1b1c1d1e1f"));
	EXPECT(json_object_array_length(get(o, "problems")) == 0);
	t = json_object_array_get_idx(get(o, "tiers"), 1);
	EXPECT(json_object_get_int64(get(t, "mapped")) == 1100);
	EXPECT(!strcmp(json_object_get_string(get(t, "kind")), "raid6"));
	json_object_put(o);

	flip(0x22000 + 100);
	EXPECT(run_cmd(true, img_path, NULL) == MC_EXIT_FATAL);
	o = json_tokener_parse(out);
	EXPECT(o);
	EXPECT(!json_object_get_boolean(get(o, "clean")));
	EXPECT(json_object_get_int(get(o, "exit_code")) == 4);
	p = json_object_array_get_idx(get(o, "problems"), 0);
	EXPECT(json_object_get_int64(get(p, "offset")) == 0x22000);
	EXPECT(json_object_get_int64(get(p, "block")) == 34);
	EXPECT(!strcmp(json_object_get_string(get(p, "severity")), "fatal"));
	json_object_put(o);
	drop_image();
}

int main(void)
{
	run("crc32c matches the kernel's (check value 0xe3069283)", t_crc32c);
	run("valid volume at generation 5 is clean", t_valid);
	run("freshly formatted volume is clean", t_fresh_format);
	run("torn inactive superblock is a note at offset 0x0 (exit 0)", t_torn_inactive);
	run("torn commit of the next generation is a note (exit 0)", t_torn_commit);
	run("garbage in the inactive superblock slot: exit 1 at offset 0x0", t_garbage_inactive);
	run("garbage in the newest slot: exit 1, the kernel's fallback is checked", t_garbage_live);
	run("both superblocks bad: exit 4, uncorrected", t_both_bad);
	run("bad map block crc: exit 4 at its byte offset", t_map_crc);
	run("damage in the inactive map copy is not reported", t_inactive_map_ignored);
	run("map entry beyond the tier's slots: exit 4", t_slot_out_of_range);
	run("two extents in one tier slot: exit 4, both named", t_slot_twice);
	run("map entry naming a missing tier: exit 4", t_bad_tier);
	run("BUSY bit and entries past the end: exit 4", t_busy_and_tail);
	run("unwritten extent pinned to a raid6 tier: exit 4", t_pinned_raid6_unwritten);
	run("superblock with an unknown feature flag: refused", t_unknown_features);
	run("map block newer than its superblock: exit 4", t_newer_map_block);
	run("stray bits in an unmapped entry: exit 1", t_stray_bits);
	run("exit codes OR together (1|4 = 5)", t_codes_or);
	run("a tier no table can match: exit 4", t_unmatchable_tier);
	run("all-zero device: not formatted, exit 8", t_blank);
	run("zero superblocks over a used device: exit 4", t_zero_superblocks);
	run("foreign device: exit 4, says not dm-couche", t_foreign);
	run("device smaller than two superblocks: exit 8", t_too_small);
	run("truncated device: exit 4, live map still checked", t_truncated);
	run("missing device: exit 8", t_no_such_device);
	run("check --help, bad usage exits 16", t_cmd_usage);
	run("check prints summary, problems and verdict", t_cmd_text);
	run("check --json prints one object with problems", t_cmd_json);
	mc_result_free(&res);
	printf("%s: %d failed\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
