// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord durations.  Deliberately stricter than Go's
 * time.ParseDuration: no fractions or signs, and units must go from the
 * largest to the smallest, each at most once, so that a slip such as
 * "1m1h" or "5mm" is an error rather than a surprising value.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "duration.h"

struct cs_unit {
	const char *name;
	uint64_t ms;
};

/* Largest first: the order a duration must use. */
static const struct cs_unit cs_units[] = {
	{ "d", 86400000ULL },
	{ "h", 3600000ULL },
	{ "m", 60000ULL },
	{ "s", 1000ULL },
	{ "ms", 1ULL },
};

#define CS_NR_UNITS (sizeof(cs_units) / sizeof(cs_units[0]))

/* Reads digits at *@p into *@v; -ERANGE past 64 bits. */
static int cs_read_digits(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*v = x;
	return 0;
}

/*
 * Reads the unit at *@p: the whole run of letters, so that "1hour" is an
 * unknown unit "hour" rather than "h" followed by junk.  Returns the
 * unit's index or -1.
 */
static int cs_read_unit(const char **p)
{
	size_t n = 0;
	unsigned int i;

	while (((*p)[n] >= 'a' && (*p)[n] <= 'z') || ((*p)[n] >= 'A' && (*p)[n] <= 'Z'))
		n++;
	for (i = 0; i < CS_NR_UNITS; i++) {
		if (strlen(cs_units[i].name) == n && !strncmp(*p, cs_units[i].name, n)) {
			*p += n;
			return (int)i;
		}
	}
	return -1;
}

static int cs_fail(const char **why, const char *reason, int err)
{
	if (why)
		*why = reason;
	return err;
}

int cs_duration_parse(const char *s, uint64_t *ms, const char **why)
{
	const char *p = s;
	uint64_t total = 0, v;
	int last = -1;
	int u, r;

	if (!s || !*s)
		return cs_fail(why, "empty", -EINVAL);
	if (*s == '-')
		return cs_fail(why, "negative durations are not allowed", -EINVAL);
	if (*s == '+')
		return cs_fail(why, "no sign is allowed", -EINVAL);
	if (strpbrk(s, " \t"))
		return cs_fail(why, "no spaces are allowed (write 1h30m)", -EINVAL);

	while (*p) {
		r = cs_read_digits(&p, &v);
		if (r == -ERANGE)
			return cs_fail(why, "too large", -ERANGE);
		if (r)
			return cs_fail(why, "expected a number", -EINVAL);
		if (!*p && last < 0) {
			/* Plain digits: seconds, as the field names promise. */
			if (v > UINT64_MAX / 1000)
				return cs_fail(why, "too large", -ERANGE);
			*ms = v * 1000;
			return 0;
		}
		if (!*p)
			return cs_fail(why, "the last number has no unit", -EINVAL);
		if (*p == '.')
			return cs_fail(why, "fractions are not allowed (write 1h30m, not 1.5h)",
				       -EINVAL);
		u = cs_read_unit(&p);
		if (u < 0)
			return cs_fail(why, "unknown unit (use ms, s, m, h or d)", -EINVAL);
		if (u <= last)
			return cs_fail(why, "units must go from the largest to the smallest, each once",
				       -EINVAL);
		last = u;
		if (v > UINT64_MAX / cs_units[u].ms ||
		    total > UINT64_MAX - v * cs_units[u].ms)
			return cs_fail(why, "too large", -ERANGE);
		total += v * cs_units[u].ms;
	}
	*ms = total;
	return 0;
}

char *cs_duration_format(uint64_t ms, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;
	int n;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (!ms) {
		snprintf(buf, len, "0s");
		return buf;
	}
	for (i = 0; i < CS_NR_UNITS && used < len; i++) {
		uint64_t v = ms / cs_units[i].ms;

		if (!v)
			continue;
		ms -= v * cs_units[i].ms;
		n = snprintf(buf + used, len - used, "%llu%s",
			     (unsigned long long)v, cs_units[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}
