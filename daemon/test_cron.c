// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of couchestord's cron expressions (migration.schedule).
 * TAP-like lines, exit 1 on failure.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cron.h"
#include "tap.h"



static char err[256];

/* A calendar time with its weekday filled in, as localtime_r() gives it. */
static struct tm at(int year, int mon, int mday, int hour, int min)
{
	struct tm t = {
		.tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = mday,
		.tm_hour = hour, .tm_min = min,
	};

	timegm(&t);
	return t;
}

static bool matches(const char *expr, struct tm t)
{
	struct cs_cron c;

	if (cs_cron_parse(expr, &c, err, sizeof(err))) {
		printf("#   %s: %s\n", expr, err);
		return false;
	}
	return cs_cron_match(&c, &t);
}

static bool parses(const char *expr, struct cs_cron *c)
{
	if (cs_cron_parse(expr, c, err, sizeof(err))) {
		printf("#   %s: %s\n", expr, err);
		return false;
	}
	return true;
}

static void bad(const char *expr, const char *want)
{
	struct cs_cron c;
	int r = cs_cron_parse(expr, &c, err, sizeof(err));

	if (r == 0 || strcmp(err, want))
		printf("#   want: %s\n#    got: %s\n", want, r ? err : "(parsed)");
	T(r == -1 && !strcmp(err, want), "refused \"%s\": %s", expr, want);
}

static void test_masks(void)
{
	struct cs_cron c;

	T(parses("* * * * *", &c) && c.minute == (1ULL << 60) - 1 && c.hour == (1U << 24) - 1 &&
	  c.dom == 0xfffffffeU && c.month == 0x1ffe && c.dow == 0x7f && c.dom_star && c.dow_star,
	  "masks: every field full");
	T(parses("*/15 0-6/2 1,15 jan-MAR sun", &c) &&
	  c.minute == (1ULL << 0 | 1ULL << 15 | 1ULL << 30 | 1ULL << 45) &&
	  c.hour == (1U << 0 | 1U << 2 | 1U << 4 | 1U << 6) && c.dom == (1U << 1 | 1U << 15) &&
	  c.month == (1U << 1 | 1U << 2 | 1U << 3) && c.dow == 1 && !c.dom_star && !c.dow_star,
	  "masks: steps, ranges, lists, names (any case)");
	T(parses("0 0 * * 7", &c) && c.dow == 1, "masks: 7 is Sunday");
	T(parses("0 0 * * 5-7", &c) && c.dow == (1U << 5 | 1U << 6 | 1U << 0),
	  "masks: 5-7 is Friday to Sunday");
	T(parses("0 0 * * */2", &c) && c.dow == (1U << 0 | 1U << 2 | 1U << 4 | 1U << 6),
	  "masks: */2 on weekdays");
	T(parses("5-5 23 31 12 6", &c) && c.minute == 1ULL << 5 && c.hour == 1U << 23 &&
	  c.dom == 1U << 31 && c.month == 1U << 12 && c.dow == 1U << 6, "masks: field maxima");
	T(parses("59 0-23/23 1-31/30 */11 0-7/7", &c) && c.minute == 1ULL << 59 &&
	  c.hour == (1U | 1U << 23) && c.dom == (1U << 1 | 1U << 31) &&
	  c.month == (1U << 1 | 1U << 12) && c.dow == 1, "masks: large steps");
	T(parses("  0\t2  * *   *  ", &c) && c.hour == 1U << 2, "masks: blanks and tabs separate");
	T(parses("0005 * * * *", &c) && c.minute == 1ULL << 5, "masks: leading zeros are decimal");
	T(parses("@daily", &c) && c.minute == 1 && c.hour == 1 && c.dom_star, "macro: @daily");
	T(parses("@hourly", &c) && c.minute == 1 && c.hour == (1U << 24) - 1, "macro: @hourly");
	T(parses("@weekly", &c) && c.dow == 1 && c.dom_star && !c.dow_star, "macro: @weekly");
	T(parses("@monthly", &c) && c.dom == 1U << 1, "macro: @monthly");
	T(parses("@Yearly ", &c) && c.month == 1U << 1 && c.dom == 1U << 1, "macro: @yearly");
	T(parses("@annually", &c) && parses("@midnight", &c), "macro: @annually, @midnight");
}

static void test_match(void)
{
	/* 2024-01-01 was a Monday; 2024-01-07 a Sunday. */
	T(matches("* * * * *", at(2024, 1, 1, 13, 37)), "match: * matches anything");
	T(matches("0 2 * * *", at(2024, 1, 1, 2, 0)), "match: 0 2 * * * at 02:00");
	T(!matches("0 2 * * *", at(2024, 1, 1, 2, 1)), "match: 0 2 * * * not at 02:01");
	T(!matches("0 2 * * *", at(2024, 1, 1, 14, 0)), "match: 0 2 * * * not at 14:00");
	T(matches("*/15 * * * *", at(2024, 1, 1, 9, 45)) &&
	  !matches("*/15 * * * *", at(2024, 1, 1, 9, 46)), "match: */15");
	T(matches("0 0 * * 0", at(2024, 1, 7, 0, 0)) && matches("0 0 * * 7", at(2024, 1, 7, 0, 0)),
	  "match: Sunday as 0 and as 7");
	T(!matches("0 0 * * 7", at(2024, 1, 6, 0, 0)), "match: 7 is not Saturday");
	T(matches("0 0 * * mon-fri", at(2024, 1, 5, 0, 0)) &&
	  !matches("0 0 * * mon-fri", at(2024, 1, 6, 0, 0)), "match: weekdays by name");
	T(matches("0 0 1 * *", at(2024, 3, 1, 0, 0)) && !matches("0 0 1 * *", at(2024, 3, 2, 0, 0)),
	  "match: day of month alone");
	T(matches("0 0 * feb *", at(2024, 2, 29, 0, 0)) && !matches("0 0 * 2 *", at(2024, 3, 1, 0, 0)),
	  "match: month, tm_mon counted from 0");

	/* Both day fields restricted: either one matching is enough. */
	T(matches("0 0 13 * 5", at(2024, 1, 13, 0, 0)), "match: dom 13 OR Friday: the 13th (a Saturday)");
	T(matches("0 0 13 * 5", at(2024, 1, 5, 0, 0)), "match: dom 13 OR Friday: Friday the 5th");
	T(!matches("0 0 13 * 5", at(2024, 1, 6, 0, 0)), "match: dom 13 OR Friday: not Saturday the 6th");
	/* One of them starting with '*': both must match (Vixie cron). */
	T(!matches("0 0 * * 5", at(2024, 1, 13, 0, 0)) && matches("0 0 * * 5", at(2024, 1, 12, 0, 0)),
	  "match: dom * AND Friday");
	T(matches("0 0 */2 * 1", at(2024, 1, 1, 0, 0)) && !matches("0 0 */2 * 1", at(2024, 1, 8, 0, 0)) &&
	  !matches("0 0 */2 * 1", at(2024, 1, 3, 0, 0)),
	  "match: a stepped '*' day of month still means AND, as in Vixie cron");
	T(matches("0 0 30 2 1", at(2024, 2, 5, 0, 0)) && !matches("0 0 30 2 1", at(2024, 1, 1, 0, 0)),
	  "match: day 30 OR Monday, in February: fires on February's Mondays");
}

static void test_errors(void)
{
	struct cs_cron c;

	bad("", "0 fields, expected 5 (minute hour day-of-month month day-of-week)");
	bad("0 2 * *", "4 fields, expected 5 (minute hour day-of-month month day-of-week)");
	bad("0 2 * * * *", "more than 5 fields (minute hour day-of-month month day-of-week)");
	bad("60 * * * *", "minute: 60 is out of range 0-59");
	bad("0 24 * * *", "hour: 24 is out of range 0-23");
	bad("0 0 0 * *", "day of month: 0 is out of range 1-31");
	bad("0 0 32 * *", "day of month: 32 is out of range 1-31");
	bad("0 0 * 0 *", "month: 0 is out of range 1-12");
	bad("0 0 * 13 *", "month: 13 is out of range 1-12");
	bad("0 0 * * 8", "day of week: 8 is out of range 0-7");
	bad("0 1-60 * * *", "hour: 60 is out of range 0-23");
	bad("30-10 * * * *", "minute: \"30-10\": range goes backwards");
	bad("*/0 * * * *", "minute: \"*/0\": a step must be a number of 1 or more");
	bad("*/ * * * *", "minute: \"*/\": a step must be a number of 1 or more");
	bad("*/61 * * * *", "minute: \"*/61\": step 61 is larger than the range 0-59");
	bad("5/15 * * * *", "minute: \"5/15\": a step needs * or a range before it (write 5-59/...)");
	bad("1,,2 * * * *", "minute: empty item in list \"1,,2\"");
	bad("1, * * * *", "minute: empty item in list \"1,\"");
	bad("1a * * * *", "minute: \"1a\": unexpected \"a\"");
	bad("1- * * * *", "minute: \"1-\": a range needs an end");
	bad("-1 * * * *", "minute: \"-1\" is not a number");
	bad("mon * * * *", "minute: \"mon\" is not a number");
	bad("0 0 * * monday", "day of week: \"monday\" is not a number or a name");
	bad("0 0 * january *", "month: \"january\" is not a number or a name");
	bad("** * * * *", "minute: \"**\": unexpected \"*\"");
	bad("00000 * * * *", "minute: \"00000\" is not a number");
	bad("0 0 30 2 *", "day of month: none of the days exists in the months given, so it would never run");
	bad("0 0 31 4,6,9,11 *",
	    "day of month: none of the days exists in the months given, so it would never run");
	bad("@reboot", "unknown \"@reboot\" (known: @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually)");
	T(parses("0 0 29 2 *", &c), "Feb 29 is a day (leap years)");
	T(parses("0 0 31 1,4 *", &c), "31 in January and April: January has one");
	T(cs_cron_parse(NULL, &c, err, sizeof(err)) == -1, "NULL refused");
	T(cs_cron_parse("61 * * * *", &c, NULL, 0) == -1, "no error buffer is fine");
}

int main(void)
{
	test_masks();
	test_match();
	test_errors();
	return tap_done();
}
