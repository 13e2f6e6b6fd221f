// SPDX-License-Identifier: GPL-2.0
/*
 * couchestorctl argument parsing.  Strict: a number is all digits and fits,
 * a range is FIRST or FIRST-LAST with FIRST <= LAST; anything else is an
 * error before a message is sent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/dm-couche.h>

#include "parse.h"

int ctl_parse_u32(const char *s, uint32_t *v)
{
	unsigned long long x;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end || x > UINT32_MAX)
		return errno == ERANGE || x > UINT32_MAX ? -ERANGE : -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

int ctl_parse_range(const char *s, uint32_t *first, uint32_t *last)
{
	char buf[32];
	char *dash;
	int r;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash++ = '\0';
	r = ctl_parse_u32(buf, first);
	if (r)
		return r;
	if (!dash) {
		*last = *first;
		return 0;
	}
	r = ctl_parse_u32(dash, last);
	if (r)
		return r;
	return *first <= *last ? 0 : -EINVAL;
}

enum ctl_dev_kind ctl_parse_dev(const char *s, char *name, size_t len,
				unsigned int *major, unsigned int *minor)
{
	static const char mapper[] = "/dev/mapper/";
	uint32_t a, b;
	char buf[32];
	char *colon;

	if (!s || !*s)
		return CTL_DEV_BAD;
	if (!strncmp(s, mapper, sizeof(mapper) - 1))
		s += sizeof(mapper) - 1;
	else if (s[0] == '/' || !strncmp(s, "./", 2))
		return CTL_DEV_PATH;
	if (strlen(s) < sizeof(buf)) {
		strcpy(buf, s);
		colon = strchr(buf, ':');
		if (colon) {
			*colon++ = '\0';
			if (!ctl_parse_u32(buf, &a) && !ctl_parse_u32(colon, &b)) {
				*major = a;
				*minor = b;
				return CTL_DEV_NUMBER;
			}
		}
	}
	if (!*s || strlen(s) >= len || strchr(s, '/'))
		return CTL_DEV_BAD;
	strcpy(name, s);
	return CTL_DEV_NAME;
}

static const char *const param_names[] = {
	[COUCHE_PARAM_A_MAX_MIGRATIONS] = "max_migrations",
	[COUCHE_PARAM_A_MIGRATION_MBPS] = "migration_mbps",
	[COUCHE_PARAM_A_HEAT_HALFLIFE_S] = "heat_halflife_s",
	[COUCHE_PARAM_A_CACHE_MB] = "cache_mb",
	[COUCHE_PARAM_A_RESERVE_PCT] = "reserve_pct",
};

int ctl_param_attr(const char *key)
{
	int i;

	for (i = 1; i <= COUCHE_PARAM_A_MAX; i++)
		if (param_names[i] && !strcmp(key, param_names[i]))
			return i;
	return -1;
}

const char *ctl_param_name(int attr)
{
	return attr > 0 && attr <= COUCHE_PARAM_A_MAX ? param_names[attr] : NULL;
}

/* KEY=VALUE; -ENOENT for an unknown key, -EINVAL/-ERANGE for a bad value. */
int ctl_parse_setting(const char *s, int *attr, uint32_t *value)
{
	const char *eq = strchr(s, '=');
	char key[32];

	if (!eq || eq == s || (size_t)(eq - s) >= sizeof(key))
		return -EINVAL;
	memcpy(key, s, eq - s);
	key[eq - s] = '\0';
	*attr = ctl_param_attr(key);
	if (*attr < 0)
		return -ENOENT;
	return ctl_parse_u32(eq + 1, value);
}

const char *ctl_opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n))
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}
