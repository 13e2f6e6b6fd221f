// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord cron expressions: crontab(5) syntax and Vixie cron's day
 * rule.  Each field becomes a bit mask, so matching a minute is five bit
 * tests.  Parsing is strict: anything crontab would not take is an error
 * naming the field, because a schedule that silently never fires looks
 * exactly like one that works.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cron.h"

struct cs_cron_field {
	const char *name;
	unsigned int min, max;
	const char *const *names;	/* names[i] stands for min + i */
};

static const char *const cs_month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec", NULL
};

static const char *const cs_dow_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

static const struct cs_cron_field cs_cron_fields[5] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL },
	{ "month", 1, 12, cs_month_names },
	{ "day of week", 0, 7, cs_dow_names },
};

static const struct {
	const char *name;
	const char *expr;
} cs_cron_macros[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/* Longest field text worth looking at; longer ones are refused. */
#define CS_CRON_FIELD_MAX 96

__attribute__((format(printf, 3, 4)))
static int cs_cron_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * Reads a number or, where the field has them, a three-letter name from
 * *@p.  Numbers are capped at four digits: no field needs more, and it
 * keeps overflow out of the question.
 */
static int cs_cron_value(const struct cs_cron_field *f, const char **p,
			 unsigned int *v)
{
	const char *s = *p;
	unsigned int x = 0, n = 0;

	if (isdigit((unsigned char)*s)) {
		while (isdigit((unsigned char)*s)) {
			if (++n > 4)
				return -1;
			x = x * 10 + (unsigned int)(*s++ - '0');
		}
		*p = s;
		*v = x;
		return 0;
	}
	if (f->names) {
		for (n = 0; f->names[n]; n++) {
			if (!strncasecmp(s, f->names[n], 3) &&
			    !isalpha((unsigned char)s[3])) {
				*p = s + 3;
				*v = f->min + n;
				return 0;
			}
		}
	}
	return -1;
}

/* One comma-separated item: N, A-B or *, the last two with an optional /S. */
static int cs_cron_item(const struct cs_cron_field *f, const char *item,
			uint64_t *mask, char *err, size_t errlen)
{
	const char *p = item;
	unsigned int lo, hi, step = 1, v;
	bool range = false;

	if (*p == '*') {
		lo = f->min;
		hi = f->max;
		range = true;
		p++;
	} else {
		if (cs_cron_value(f, &p, &lo))
			return cs_cron_err(err, errlen, "%s: \"%s\" is not a number%s",
					   f->name, item,
					   f->names ? " or a name" : "");
		hi = lo;
		if (*p == '-') {
			p++;
			if (cs_cron_value(f, &p, &hi))
				return cs_cron_err(err, errlen, "%s: \"%s\": a range needs an end",
						   f->name, item);
			range = true;
		}
	}
	if (*p == '/') {
		if (!range)
			return cs_cron_err(err, errlen,
					   "%s: \"%s\": a step needs * or a range before it (write %u-%u/...)",
					   f->name, item, lo, f->max);
		p++;
		if (!isdigit((unsigned char)*p) || cs_cron_value(f, &p, &step) || !step)
			return cs_cron_err(err, errlen,
					   "%s: \"%s\": a step must be a number of 1 or more",
					   f->name, item);
		if (step > f->max - f->min + 1)
			return cs_cron_err(err, errlen,
					   "%s: \"%s\": step %u is larger than the range %u-%u",
					   f->name, item, step, f->min, f->max);
	}
	if (*p)
		return cs_cron_err(err, errlen, "%s: \"%s\": unexpected \"%s\"",
				   f->name, item, p);
	v = lo < f->min || lo > f->max ? lo : hi;
	if (v < f->min || v > f->max)
		return cs_cron_err(err, errlen, "%s: %u is out of range %u-%u",
				   f->name, v, f->min, f->max);
	if (lo > hi)
		return cs_cron_err(err, errlen, "%s: \"%s\": range goes backwards",
				   f->name, item);
	for (v = lo; v <= hi; v += step)
		*mask |= 1ULL << v;
	return 0;
}

/* A whole field: a comma list of items. */
static int cs_cron_field(const struct cs_cron_field *f, const char *text,
			 uint64_t *mask, char *err, size_t errlen)
{
	char buf[CS_CRON_FIELD_MAX + 1];
	char *item, *next;

	if (strlen(text) > CS_CRON_FIELD_MAX)
		return cs_cron_err(err, errlen, "%s: field too long", f->name);
	strcpy(buf, text);
	*mask = 0;
	for (item = buf; item; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		if (!*item)
			return cs_cron_err(err, errlen, "%s: empty item in list \"%s\"",
					   f->name, text);
		if (cs_cron_item(f, item, mask, err, errlen))
			return -1;
	}
	return 0;
}

/* Splits @expr at blanks into exactly five fields, copied into @buf. */
static int cs_cron_split(const char *expr, char *buf, size_t len,
			 char *fields[5], char *err, size_t errlen)
{
	char *save, *tok;
	int n = 0;

	if (strlen(expr) >= len)
		return cs_cron_err(err, errlen, "expression too long");
	strcpy(buf, expr);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (n == 5)
			return cs_cron_err(err, errlen,
					   "more than 5 fields (minute hour day-of-month month day-of-week)");
		fields[n++] = tok;
	}
	if (n < 5)
		return cs_cron_err(err, errlen,
				   "%d field%s, expected 5 (minute hour day-of-month month day-of-week)",
				   n, n == 1 ? "" : "s");
	return 0;
}

static const char *cs_cron_macro(const char *expr, char *err, size_t errlen)
{
	unsigned int i;

	for (i = 0; i < sizeof(cs_cron_macros) / sizeof(cs_cron_macros[0]); i++) {
		size_t n = strlen(cs_cron_macros[i].name);

		if (!strncasecmp(expr, cs_cron_macros[i].name, n) &&
		    !expr[n + strspn(expr + n, " \t")])
			return cs_cron_macros[i].expr;
	}
	cs_cron_err(err, errlen, "unknown \"%s\" (known: @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually)",
		    expr);
	return NULL;
}

/*
 * Whether some day the masks allow exists.  With both day fields
 * restricted the weekday alone can fire it, so only when a '*' makes the
 * day of month binding can the months and days miss each other
 * ("0 0 30 2 *").  February counts its 29th: leap years come.
 */
static bool cs_cron_can_fire(uint64_t dom, uint64_t month, bool dom_star, bool dow_star)
{
	static const unsigned int days[13] = {
		0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	unsigned int m;

	if (!dom_star && !dow_star)
		return true;
	for (m = 1; m <= 12; m++)
		if ((month >> m) & 1 && dom & ((2ULL << days[m]) - 2))
			return true;
	return false;
}

int cs_cron_parse(const char *expr, struct cs_cron *out, char *err, size_t errlen)
{
	char buf[5 * (CS_CRON_FIELD_MAX + 1)];
	char *fields[5];
	uint64_t mask[5];
	int i;

	if (!expr)
		return cs_cron_err(err, errlen, "no expression");
	while (*expr == ' ' || *expr == '\t')
		expr++;
	if (*expr == '@') {
		expr = cs_cron_macro(expr, err, errlen);
		if (!expr)
			return -1;
	}
	if (cs_cron_split(expr, buf, sizeof(buf), fields, err, errlen))
		return -1;
	for (i = 0; i < 5; i++)
		if (cs_cron_field(&cs_cron_fields[i], fields[i], &mask[i], err, errlen))
			return -1;

	if (!cs_cron_can_fire(mask[2], mask[3], fields[2][0] == '*', fields[4][0] == '*'))
		return cs_cron_err(err, errlen,
				   "day of month: none of the days exists in the months given, so it would never run");

	memset(out, 0, sizeof(*out));
	out->minute = mask[0];
	out->hour = (uint32_t)mask[1];
	out->dom = (uint32_t)mask[2];
	out->month = (uint16_t)mask[3];
	/* 7 is Sunday too: fold it into 0 so matching needs one bit. */
	out->dow = (uint8_t)((mask[4] | mask[4] >> 7) & 0x7f);
	out->dom_star = fields[2][0] == '*';
	out->dow_star = fields[4][0] == '*';
	return 0;
}

static bool cs_bit(uint64_t mask, int n)
{
	return n >= 0 && n < 64 && (mask >> n) & 1;
}

bool cs_cron_match(const struct cs_cron *c, const struct tm *t)
{
	bool dom = cs_bit(c->dom, t->tm_mday);
	bool dow = cs_bit(c->dow, t->tm_wday);

	if (!cs_bit(c->minute, t->tm_min) || !cs_bit(c->hour, t->tm_hour) ||
	    !cs_bit(c->month, t->tm_mon + 1))
		return false;
	if (c->dom_star || c->dow_star)
		return dom && dow;
	return dom || dow;
}
