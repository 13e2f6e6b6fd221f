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

#include "couche/params.h"
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

/* KEY=VALUE; -ENOENT for an unknown key, -EINVAL/-ERANGE for a bad value. */
int ctl_parse_setting(const char *s, int *attr, uint32_t *value)
{
	const char *eq = strchr(s, '=');
	char key[32];

	if (!eq || eq == s || (size_t)(eq - s) >= sizeof(key))
		return -EINVAL;
	memcpy(key, s, eq - s);
	key[eq - s] = '\0';
	*attr = couche_param_attr(key);
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
