// SPDX-License-Identifier: GPL-2.0
/*
 * libcouche: a DEV argument, as couchestorctl and the netlink requests
 * take it: a dm name, /dev/mapper/NAME, a device node, or MAJOR:MINOR.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devspec.h"

/* All digits, and it fits. */
static int parse_u32(const char *s, uint32_t *v)
{
	unsigned long long x;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end || x > UINT32_MAX)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

enum couche_devspec couche_parse_dev(const char *s, char *name, size_t len,
				     unsigned int *major, unsigned int *minor)
{
	static const char mapper[] = "/dev/mapper/";
	uint32_t a, b;
	char buf[32];
	char *colon;

	if (!s || !*s)
		return COUCHE_DEVSPEC_BAD;
	if (!strncmp(s, mapper, sizeof(mapper) - 1))
		s += sizeof(mapper) - 1;
	else if (s[0] == '/' || !strncmp(s, "./", 2))
		return COUCHE_DEVSPEC_PATH;
	if (strlen(s) < sizeof(buf)) {
		strcpy(buf, s);
		colon = strchr(buf, ':');
		if (colon) {
			*colon++ = '\0';
			if (!parse_u32(buf, &a) && !parse_u32(colon, &b)) {
				*major = a;
				*minor = b;
				return COUCHE_DEVSPEC_NUMBER;
			}
		}
	}
	if (!*s || strlen(s) >= len || strchr(s, '/'))
		return COUCHE_DEVSPEC_BAD;
	strcpy(name, s);
	return COUCHE_DEVSPEC_NAME;
}
