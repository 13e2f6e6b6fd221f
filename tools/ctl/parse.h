/* SPDX-License-Identifier: GPL-2.0 */
/* couchestorctl: command-line argument parsing (no netlink, unit-tested). */
#ifndef COUCHESTORCTL_PARSE_H
#define COUCHESTORCTL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int ctl_parse_u32(const char *s, uint32_t *v);
int ctl_parse_range(const char *s, uint32_t *first, uint32_t *last);

/* KEY=VALUE of SET_PARAMS (couche/params.h names the keys). */
int ctl_parse_setting(const char *s, int *attr, uint32_t *value);

/* Options of the form --name VALUE or --name=VALUE; returns the value or NULL. */
const char *ctl_opt_value(int argc, char **argv, int *i, const char *name);

#endif /* COUCHESTORCTL_PARSE_H */
