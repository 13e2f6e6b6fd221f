// SPDX-License-Identifier: GPL-2.0
/*
 * couchestorctl check META_DEV: offline, read-only check of a dm-couche
 * metadata device, as fsck -n is for a filesystem.  The checks are in
 * metacheck.c; this file reads the options and prints.
 *
 * Exit codes are fsck's, and several OR together (5 = 4 | 1):
 *
 *   0   no errors.  Notes may be printed, e.g. a superblock slot torn by a
 *       crash during a commit: the two slots exist for exactly that, and
 *       the kernel uses the other one.
 *   1   errors the kernel tolerates: it loads the volume from the valid
 *       copy and rewrites the damaged one on its next commit (e.g. the
 *       inactive superblock slot overwritten with garbage).
 *   4   errors left uncorrected: the kernel would refuse to load the
 *       volume (no valid superblock, a bad block in the live map, a map
 *       entry naming a missing tier or slot, two extents in one slot).
 *   8   operational error: the device cannot be opened or read, is too
 *       small, keeps changing, or is blank (all zeros: not formatted yet,
 *       there is nothing to check; the kernel formats it on first use).
 *   16  usage or syntax error.
 *
 * Nothing is ever repaired: the kernel's own fallbacks (the older
 * superblock slot, the next commit rewriting the inactive copies) are the
 * repair for what it tolerates, and a backup for the rest.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "metacheck.h"

static const char check_synopsis[] = "Usage: %s check [-v] [--json] META_DEV\n";

static const char check_help[] =
"\n"
"Check the metadata device of a dm-couche volume, offline and read-only,\n"
"the way the kernel will read it when a table loads it: which superblock\n"
"slot is live, whether the live map copy is intact and consistent (every\n"
"entry names a tier that exists and a slot within it, no slot used twice).\n"
"The inactive map copy is not checked: the kernel never reads it.\n"
"META_DEV may be a block device or an image file.  While it runs, check\n"
"holds the device exclusively unless something (a live table) already\n"
"does; on a live volume it retries if a commit happens meanwhile.\n"
"\n"
"  -v, --verbose  also print both superblock slots, the map layout and\n"
"                 the raid6 member nonces\n"
"      --json     print one JSON object (as the global --json does)\n"
"  -h, --help     print this help\n"
"\n"
"Exit status (fsck's; several may be ORed together, e.g. 5 = 4|1):\n"
"  0   no errors (notes, such as a slot torn by a crash during a commit,\n"
"      need no action)\n"
"  1   errors the kernel tolerates: it loads the volume from the other\n"
"      copy and rewrites the damaged one on its next commit\n"
"  4   errors the kernel would refuse to load the volume for\n"
"  8   operational error: cannot open or read the device, too small,\n"
"      changing while checked, or blank (all zeros: not formatted yet)\n"
"  16  usage or syntax error\n";

static const char *prog(void)
{
	return ctl_prog ? ctl_prog : "couchestorctl";
}

/* "4.0 MiB": sizes for people; exact numbers are in --json. */
static void human_size(unsigned long long bytes, char *out, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = bytes;
	unsigned int u = 0;

	while (v >= 1024 && u < sizeof(unit) / sizeof(unit[0]) - 1) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static void print_tier(const struct mc_result *res, unsigned int t, bool verbose)
{
	const struct mc_tier_info *ti = &res->tiers[t];
	char shape[32];
	unsigned int m;

	if (ti->kind == COUCHE_TIER_RAID6)
		snprintf(shape, sizeof(shape), "raid6 %u+2 chunk %u", ti->k,
			 ti->chunk_sectors);
	else
		snprintf(shape, sizeof(shape), "%s", mc_tier_kind_name(ti->kind));
	printf("  %u %-15s %-22s slots %-9llu mapped %llu\n", t, ti->name, shape,
	       (unsigned long long)ti->nr_slots, (unsigned long long)ti->mapped);
	if (!verbose)
		return;
	printf("    member nonces:");
	for (m = 0; m < ti->nr_members && m < MC_MAX_MEMBERS; m++)
		printf(" %08x", ti->nonce[m]);
	printf("\n");
}

static void print_slot(const struct mc_result *res, unsigned int i)
{
	printf("slot %u:       %s", i, mc_slot_state_name(res->slot[i].state));
	if (res->slot[i].magic_ok)
		printf(", generation %llu as stored",
		       (unsigned long long)res->slot[i].generation);
	printf("\n");
}

static void print_summary(const struct mc_result *res, bool verbose)
{
	unsigned int i, other = !res->live_slot;
	char uuid[37];

	mc_format_uuid(res->uuid, uuid);
	printf("format:       version %u\n", res->version);
	printf("volume uuid:  %s\n", uuid);
	printf("generation:   %llu (superblock slot %d; slot %u: %s)\n",
	       (unsigned long long)res->generation, res->live_slot, other,
	       mc_slot_state_name(res->slot[other].state));
	printf("extent size:  %llu sectors (%llu MiB)\n",
	       (unsigned long long)res->extent_sectors,
	       (unsigned long long)res->extent_sectors / 2048);
	printf("extents:      %llu, %llu mapped\n", (unsigned long long)res->nr_extents,
	       (unsigned long long)res->mapped);
	printf("pinned:       %llu (%llu not mapped yet)\n",
	       (unsigned long long)res->pinned, (unsigned long long)res->pinned_unmapped);
	if (verbose) {
		for (i = 0; i < MC_SB_BLOCKS; i++)
			print_slot(res, i);
		printf("meta blocks:  %llu at format\n", (unsigned long long)res->meta_blocks);
		printf("map:          copies of %u blocks, %u used, live copy %u\n",
		       res->map_copy_blocks, res->map_blocks, res->live_copy);
	}
	printf("tiers:        %u\n", res->nr_tiers);
	for (i = 0; i < res->nr_tiers; i++)
		print_tier(res, i, verbose);
}

static void print_text(const char *dev, const struct mc_result *res, bool verbose)
{
	const struct mc_problem *p;
	char size[32];
	unsigned int i;

	/* Could not even look: an error message, as for any command. */
	if (res->state == MC_STATE_UNCHECKED && !res->nr_problems) {
		fprintf(stderr, "%s: check: %s\n", prog(), res->verdict);
		return;
	}
	human_size(res->dev_bytes, size, sizeof(size));
	printf("device:       %s (%s)%s\n", dev, size,
	       res->in_use ? ", in use: a table may be changing it" : "");
	if (res->state == MC_STATE_CHECKED)
		print_summary(res, verbose);
	if (res->nr_problems)
		printf("problems:\n");
	for (i = 0; i < res->nr_problems; i++) {
		p = &res->problems[i];
		printf("  offset 0x%llx (block %llu): %s: %s\n",
		       (unsigned long long)p->offset, (unsigned long long)p->block,
		       mc_severity_name(p->severity), p->message);
	}
	if (res->nr_dropped)
		printf("  ... and %llu more\n", (unsigned long long)res->nr_dropped);
	printf("verdict: %s\n", res->verdict);
}

static void json_add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static struct json_object *json_tier(const struct mc_result *res, unsigned int t)
{
	const struct mc_tier_info *ti = &res->tiers[t];
	struct json_object *o = json_object_new_object(), *n = json_object_new_array();
	unsigned int m;

	json_add(o, "index", json_object_new_int(t));
	json_add(o, "name", json_object_new_string(ti->name));
	json_add(o, "kind", json_object_new_string(mc_tier_kind_name(ti->kind)));
	json_add(o, "members", json_object_new_int64(ti->nr_members));
	json_add(o, "k", json_object_new_int64(ti->k));
	json_add(o, "chunk_sectors", json_object_new_int64(ti->chunk_sectors));
	json_add(o, "slots", json_object_new_uint64(ti->nr_slots));
	json_add(o, "mapped", json_object_new_uint64(ti->mapped));
	for (m = 0; m < ti->nr_members && m < MC_MAX_MEMBERS; m++)
		json_object_array_add(n, json_object_new_int64(ti->nonce[m]));
	json_add(o, "member_nonces", n);
	return o;
}

/* Both superblock slots; a generation only where the magic says it is one. */
static struct json_object *json_slots(const struct mc_result *res)
{
	struct json_object *a = json_object_new_array(), *s;
	unsigned int i;

	for (i = 0; i < MC_SB_BLOCKS; i++) {
		s = json_object_new_object();
		json_add(s, "slot", json_object_new_int(i));
		json_add(s, "state",
			 json_object_new_string(mc_slot_state_name(res->slot[i].state)));
		json_add(s, "generation", res->slot[i].magic_ok ?
			 json_object_new_uint64(res->slot[i].generation) : NULL);
		json_object_array_add(a, s);
	}
	return a;
}

static void json_summary(struct json_object *o, const struct mc_result *res)
{
	struct json_object *a = json_object_new_array();
	char uuid[37];
	unsigned int i;

	mc_format_uuid(res->uuid, uuid);
	json_add(o, "version", json_object_new_int64(res->version));
	json_add(o, "uuid", json_object_new_string(uuid));
	json_add(o, "generation", json_object_new_uint64(res->generation));
	json_add(o, "extent_sectors", json_object_new_uint64(res->extent_sectors));
	json_add(o, "nr_extents", json_object_new_uint64(res->nr_extents));
	json_add(o, "meta_blocks", json_object_new_uint64(res->meta_blocks));
	json_add(o, "map_copy_blocks", json_object_new_int64(res->map_copy_blocks));
	json_add(o, "map_blocks", json_object_new_int64(res->map_blocks));
	json_add(o, "live_map_copy", json_object_new_int(res->live_copy));
	json_add(o, "mapped", json_object_new_uint64(res->mapped));
	json_add(o, "pinned", json_object_new_uint64(res->pinned));
	json_add(o, "pinned_unmapped", json_object_new_uint64(res->pinned_unmapped));
	for (i = 0; i < res->nr_tiers; i++)
		json_object_array_add(a, json_tier(res, i));
	json_add(o, "tiers", a);
}

static struct json_object *json_problems(const struct mc_result *res)
{
	struct json_object *a = json_object_new_array(), *p;
	unsigned int i;

	for (i = 0; i < res->nr_problems; i++) {
		p = json_object_new_object();
		json_add(p, "offset", json_object_new_uint64(res->problems[i].offset));
		json_add(p, "block", json_object_new_uint64(res->problems[i].block));
		json_add(p, "severity",
			 json_object_new_string(mc_severity_name(res->problems[i].severity)));
		json_add(p, "message", json_object_new_string(res->problems[i].message));
		json_object_array_add(a, p);
	}
	return a;
}

/*
 * One object.  Always: device, size_bytes, in_use, state ("checked",
 * "blank", "no-superblock", "unchecked"), clean (exit_code == 0),
 * exit_code, verdict, live_slot (null without a valid superblock),
 * problems [{offset, block, severity ("note", "tolerated", "fatal",
 * "unreadable"), message}] and problems_not_listed.  With state "checked"
 * also: version, uuid, generation, extent_sectors, nr_extents,
 * meta_blocks, map_copy_blocks, map_blocks, live_map_copy, mapped,
 * pinned, pinned_unmapped, slots [{slot, state, generation}] and tiers
 * [{index, name, kind, members, k, chunk_sectors, slots, mapped,
 * member_nonces}].
 */
static void print_json(const char *dev, const struct mc_result *res)
{
	struct json_object *o = json_object_new_object();

	json_add(o, "device", json_object_new_string(dev));
	json_add(o, "size_bytes", json_object_new_uint64(res->dev_bytes));
	json_add(o, "in_use", json_object_new_boolean(res->in_use));
	json_add(o, "state", json_object_new_string(mc_state_name(res->state)));
	json_add(o, "clean", json_object_new_boolean(res->exit_code == MC_EXIT_CLEAN));
	json_add(o, "exit_code", json_object_new_int(res->exit_code));
	json_add(o, "verdict", json_object_new_string(res->verdict));
	json_add(o, "live_slot",
		 res->live_slot < 0 ? NULL : json_object_new_int(res->live_slot));
	if (res->state != MC_STATE_UNCHECKED)
		json_add(o, "slots", json_slots(res));
	if (res->state == MC_STATE_CHECKED)
		json_summary(o, res);
	json_add(o, "problems", json_problems(res));
	json_add(o, "problems_not_listed", json_object_new_uint64(res->nr_dropped));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: check: ", prog());
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	fprintf(stderr, check_synopsis, prog());
	fprintf(stderr, "Try '%s check --help' for more.\n", prog());
	return MC_EXIT_USAGE;
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{}
	};
	struct mc_result res;
	bool verbose = false;
	int c, code;

	optind = 0;	/* glibc: start over, whatever main.c parsed before */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf(check_synopsis, prog());
			printf("%s", check_help);
			return MC_EXIT_CLEAN;
		case 'v':
			verbose = true;
			break;
		case 'j':
			ctl_json = true;
			break;
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("%s", "missing META_DEV");
	if (optind + 1 < argc)
		return usage_error("unexpected argument '%s'", argv[optind + 1]);

	code = mc_check_path(argv[optind], &res);
	if (ctl_json)
		print_json(argv[optind], &res);
	else
		print_text(argv[optind], &res, verbose);
	mc_result_free(&res);
	return code;
}
