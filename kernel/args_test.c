// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for dm-couche argument parsing.
 */
#include <kunit/test.h>

#include "couche.h"

struct range_case {
	const char *in;
	int r;
	u32 first, last;
};

static const struct range_case range_cases[] = {
	{ "0", 0, 0, 0 }, { "5-9", 0, 5, 9 }, { "99", 0, 99, 99 },
	{ "0-99", 0, 0, 99 }, { "100", -ERANGE }, { "5-100", -ERANGE },
	{ "9-5", -EINVAL }, { "", -EINVAL }, { "-", -EINVAL }, { "-3", -EINVAL },
	{ "3-", -EINVAL }, { "a", -EINVAL }, { "1-2-3", -EINVAL },
	{ "4294967296", -EINVAL }, { "123456789012345678901234567890", -EINVAL },
	{ " 1", -EINVAL },
};

static void range_desc(const struct range_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "'%s'", c->in);
}

KUNIT_ARRAY_PARAM(range, range_cases, range_desc);

static void parse_range(struct kunit *test)
{
	const struct range_case *c = test->param_value;
	u32 first = ~0u, last = ~0u;

	KUNIT_EXPECT_EQ(test, couche_parse_range(c->in, 100, &first, &last), c->r);
	if (!c->r) {
		KUNIT_EXPECT_EQ(test, first, c->first);
		KUNIT_EXPECT_EQ(test, last, c->last);
	}
}

static int features(const char *const *argv, unsigned int argc,
		    struct couche_params *p, char **error)
{
	struct dm_arg_set as = { .argc = argc, .argv = (char **)argv };
	int r = couche_parse_features(&as, p, error);

	return r ? r : (as.argc ? -E2BIG : 0);
}

static void parse_features(struct kunit *test)
{
	static const char *const good[] = {
		"7", "discard_passdown", "max_migrations", "8", "migration_mbps",
		"50", "reserve_pct", "5"
	};
	static const char *const unknown[] = { "1", "turbo" };
	static const char *const novalue[] = { "1", "max_migrations" };
	static const char *const range[] = { "2", "heat_halflife_s", "0" };
	static const char *const count[] = { "3", "read_only" };
	static const char *const cache[] = { "2", "cache_mb", "64" };
	struct couche_params p = {};
	char *error = NULL;

	KUNIT_EXPECT_EQ(test, features(good, ARRAY_SIZE(good), &p, &error), 0);
	KUNIT_EXPECT_TRUE(test, p.discard_passdown);
	KUNIT_EXPECT_FALSE(test, p.read_only);
	KUNIT_EXPECT_EQ(test, p.max_migrations, 8u);
	KUNIT_EXPECT_EQ(test, p.migration_mbps, 50u);
	KUNIT_EXPECT_EQ(test, p.reserve_pct, 5u);
	KUNIT_EXPECT_NE(test, features(unknown, 2, &p, &error), 0);
	KUNIT_EXPECT_STREQ(test, error, "Unknown feature");
	KUNIT_EXPECT_NE(test, features(novalue, 2, &p, &error), 0);
	KUNIT_EXPECT_NE(test, features(range, 3, &p, &error), 0);
	KUNIT_EXPECT_NE(test, features(count, 2, &p, &error), 0);
	KUNIT_EXPECT_NE(test, features(cache, 3, &p, &error), 0);
}

static void set_param(struct kunit *test)
{
	struct couche_params p = { .max_migrations = 4 };
	char *error = NULL;

	KUNIT_EXPECT_EQ(test, couche_set_param(&p, "max_migrations", "16", &error), 0);
	KUNIT_EXPECT_EQ(test, p.max_migrations, 16u);
	KUNIT_EXPECT_EQ(test, couche_set_param(&p, "max_migrations", "65", &error), -ERANGE);
	KUNIT_EXPECT_EQ(test, couche_set_param(&p, "max_migrations", "x", &error), -EINVAL);
	KUNIT_EXPECT_EQ(test, couche_set_param(&p, "read_only", "1", &error), -EINVAL);
	KUNIT_EXPECT_EQ(test, p.max_migrations, 16u);
}

static struct kunit_case args_cases[] = {
	KUNIT_CASE_PARAM(parse_range, range_gen_params),
	KUNIT_CASE(parse_features),
	KUNIT_CASE(set_param),
	{}
};

static struct kunit_suite args_suite = {
	.name = "dm_couche_args",
	.test_cases = args_cases,
};

kunit_test_suite(args_suite);
