// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of couchestorctl's argument parsing and output formatting.
 * Run by 'make unit' (and 'make check'); TAP-like lines, exit 1 on failure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/dm-couche.h>

#include "ctl.h"
#include "output.h"
#include "parse.h"
#include "tap.h"

bool ctl_json;
const char *ctl_prog = "test_ctl";


static void test_u32(void)
{
	uint32_t v = 7;

	T(!ctl_parse_u32("0", &v) && v == 0, "u32: 0");
	T(!ctl_parse_u32("4294967295", &v) && v == 4294967295u, "u32: max");
	T(ctl_parse_u32("4294967296", &v) == -ERANGE, "u32: max+1 is ERANGE");
	T(ctl_parse_u32("99999999999999999999999", &v) == -ERANGE, "u32: huge is ERANGE");
	T(ctl_parse_u32("-1", &v) == -EINVAL, "u32: negative refused");
	T(ctl_parse_u32("+1", &v) == -EINVAL, "u32: sign refused");
	T(ctl_parse_u32(" 1", &v) == -EINVAL, "u32: leading space refused");
	T(ctl_parse_u32("1 ", &v) == -EINVAL, "u32: trailing space refused");
	T(ctl_parse_u32("12a", &v) == -EINVAL, "u32: trailing junk refused");
	T(ctl_parse_u32("", &v) == -EINVAL, "u32: empty refused");
	T(ctl_parse_u32(NULL, &v) == -EINVAL, "u32: NULL refused");
}

static void test_range(void)
{
	uint32_t a = 1, b = 1;

	T(!ctl_parse_range("5", &a, &b) && a == 5 && b == 5, "range: single");
	T(!ctl_parse_range("0-1023", &a, &b) && a == 0 && b == 1023, "range: pair");
	T(!ctl_parse_range("7-7", &a, &b) && a == 7 && b == 7, "range: equal ends");
	T(ctl_parse_range("9-3", &a, &b) == -EINVAL, "range: reversed refused");
	T(ctl_parse_range("3-", &a, &b) == -EINVAL, "range: open end refused");
	T(ctl_parse_range("-3", &a, &b) == -EINVAL, "range: open start refused");
	T(ctl_parse_range("1-2-3", &a, &b) == -EINVAL, "range: two dashes refused");
	T(ctl_parse_range("a-b", &a, &b) == -EINVAL, "range: words refused");
	T(ctl_parse_range("0-4294967296", &a, &b) == -ERANGE, "range: too big refused");
	T(ctl_parse_range("111111111111111111111111111111111111", &a, &b) == -EINVAL,
	  "range: over-long refused");
}

static void test_setting(void)
{
	uint32_t v;
	int a;

	T(!ctl_parse_setting("max_migrations=8", &a, &v) &&
	  a == COUCHE_PARAM_A_MAX_MIGRATIONS && v == 8, "set: max_migrations=8");
	T(!ctl_parse_setting("migration_mbps=0", &a, &v) &&
	  a == COUCHE_PARAM_A_MIGRATION_MBPS && v == 0, "set: migration_mbps=0");
	T(!ctl_parse_setting("heat_halflife_s=604800", &a, &v) &&
	  a == COUCHE_PARAM_A_HEAT_HALFLIFE_S, "set: heat_halflife_s");
	T(!ctl_parse_setting("cache_mb=0", &a, &v) && a == COUCHE_PARAM_A_CACHE_MB,
	  "set: cache_mb");
	T(ctl_parse_setting("bogus=1", &a, &v) == -ENOENT, "set: unknown key is ENOENT");
	T(ctl_parse_setting("max_migrations", &a, &v) == -EINVAL, "set: no '=' refused");
	T(ctl_parse_setting("=5", &a, &v) == -EINVAL, "set: no key refused");
	T(ctl_parse_setting("max_migrations=", &a, &v) == -EINVAL, "set: no value refused");
	T(ctl_parse_setting("max_migrations=-1", &a, &v) == -EINVAL, "set: negative refused");
}

static void test_opt(void)
{
	char *argv[] = { "x", "--top", "5", "--range=1-2", "--top" };
	int i = 1;

	T(!strcmp(ctl_opt_value(5, argv, &i, "--top"), "5") && i == 2, "opt: --top 5");
	i = 3;
	T(!strcmp(ctl_opt_value(5, argv, &i, "--range"), "1-2") && i == 3, "opt: --range=1-2");
	i = 4;
	T(!ctl_opt_value(5, argv, &i, "--top"), "opt: --top without a value");
	i = 1;
	T(!ctl_opt_value(5, argv, &i, "--to"), "opt: a prefix is not the option");
}

static void test_format(void)
{
	char b[128];

	T(!strcmp(ctl_fmt_size(b, sizeof(b), 0), "0 B"), "size: 0 B");
	T(!strcmp(ctl_fmt_size(b, sizeof(b), 1023), "1023 B"), "size: 1023 B");
	T(!strcmp(ctl_fmt_size(b, sizeof(b), 1024), "1.0 KiB"), "size: 1 KiB");
	T(!strcmp(ctl_fmt_size(b, sizeof(b), 1536), "1.5 KiB"), "size: 1.5 KiB");
	T(!strcmp(ctl_fmt_size(b, sizeof(b), 4ull << 20), "4.0 MiB"), "size: 4 MiB");
	T(!strcmp(ctl_fmt_size(b, sizeof(b), (1ull << 20) - 1), "1.0 MiB"),
	  "size: just under 1 MiB is 1.0 MiB, not 1024.0 KiB (%s)", b);
	T(!strcmp(ctl_fmt_size(b, sizeof(b), 3ull << 40), "3.0 TiB"), "size: 3 TiB");
	T(!strcmp(ctl_fmt_heat(b, sizeof(b), 0), "0.00"), "heat: 0");
	T(!strcmp(ctl_fmt_heat(b, sizeof(b), COUCHE_HEAT_SCALE * 12 + COUCHE_HEAT_SCALE / 2),
		  "12.50"), "heat: 12.50");
	T(!strcmp(ctl_fmt_bar(b, sizeof(b), 5, 10, 10), "[#####.....]  50% 5/10"),
	  "bar: half (%s)", b);
	T(!strcmp(ctl_fmt_bar(b, sizeof(b), 0, 0, 4), "[####] 100% 0/0"),
	  "bar: nothing to do is done (%s)", b);
	T(!strcmp(ctl_fmt_bar(b, sizeof(b), 12, 10, 4), "[####] 100% 10/10"),
	  "bar: done past total is clamped (%s)", b);
}

static void test_table(void)
{
	static const char *const head[] = { "tier", "used", "members" };
	static const char *const r1[] = { "hot", "12", "A" };
	static const char *const r2[] = { "coldest", "1234", "AAD" };
	static const bool right[] = { false, true, false };
	struct ctl_table t;
	char buf[256] = "";
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	ctl_table_init(&t, 3, head, right);
	ctl_table_add(&t, r1);
	ctl_table_add(&t, r2);
	ctl_table_print(&t, f, "  ");
	fclose(f);
	ctl_table_free(&t);
	T(!strcmp(buf, "  tier     used  members\n"
		       "  hot        12  A\n"
		       "  coldest  1234  AAD\n"), "table: aligned, numbers right\n%s", buf);
}

int main(void)
{
	test_u32();
	test_range();
	test_setting();
	test_opt();
	test_format();
	test_table();
	return tap_done();
}
