/* SPDX-License-Identifier: GPL-2.0 */
/*
 * couchestord: cron expressions for migration.schedule.  Standard five
 * fields, "minute hour day-of-month month day-of-week", as crontab(5).
 */
#ifndef COUCHESTORD_CRON_H
#define COUCHESTORD_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cs_cron {
	uint64_t minute;	/* bit n set: minute n (0-59) matches */
	uint32_t hour;		/* bit n: hour n (0-23) */
	uint32_t dom;		/* bit n: day of month n (1-31) */
	uint16_t month;		/* bit n: month n (1-12) */
	uint8_t dow;		/* bit n: weekday n (0-6, Sunday 0; 7 folds into 0) */
	bool dom_star;		/* the field began with '*': see cs_cron_match() */
	bool dow_star;
};

/*
 * Parses @expr: five fields separated by blanks, each a comma list of
 * N, A-B or *, the last two optionally followed by /S, a step ("*" then
 * "/15" is every 15 minutes; N/S alone is refused, as crontab does).
 * Ranges: minute 0-59, hour 0-23, day of month 1-31, month 1-12 or
 * jan-dec, day of week 0-7 or sun-sat (0 and 7 are both Sunday).
 * @hourly, @daily, @midnight, @weekly, @monthly, @yearly and @annually
 * stand for their usual fields.  A schedule that can never fire (day 31
 * of February only) is refused.
 * Returns 0, or -1 with a message naming the field in @err, e.g.
 * "hour: 24 is out of range 0-23".
 */
int cs_cron_parse(const char *expr, struct cs_cron *out, char *err, size_t errlen);

/*
 * Whether the minute of @t (local or UTC, as the caller chose) matches.
 * As in Vixie cron, when the day-of-month and day-of-week fields are both
 * restricted (neither begins with '*') a day matches if either does;
 * otherwise both must.
 */
bool cs_cron_match(const struct cs_cron *c, const struct tm *t);

#endif /* COUCHESTORD_CRON_H */
