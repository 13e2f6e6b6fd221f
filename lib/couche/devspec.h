/* SPDX-License-Identifier: GPL-2.0 */
/* libcouche: what a DEV argument names. */
#ifndef LIBCOUCHE_DEVSPEC_H
#define LIBCOUCHE_DEVSPEC_H

#include <stddef.h>

enum couche_devspec { COUCHE_DEVSPEC_BAD, COUCHE_DEVSPEC_NAME, COUCHE_DEVSPEC_PATH,
		      COUCHE_DEVSPEC_NUMBER };

/*
 * A dm name (also as /dev/mapper/NAME) into @name, MAJOR:MINOR into
 * @major and @minor, or another path (a device node, to stat).
 */
enum couche_devspec couche_parse_dev(const char *s, char *name, size_t len,
				     unsigned int *major, unsigned int *minor);

#endif /* LIBCOUCHE_DEVSPEC_H */
