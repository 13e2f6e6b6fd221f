/* SPDX-License-Identifier: GPL-2.0 */
/* couchestorctl: command-line argument parsing (no netlink, unit-tested). */
#ifndef COUCHESTORCTL_PARSE_H
#define COUCHESTORCTL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int ctl_parse_u32(const char *s, uint32_t *v);
int ctl_parse_range(const char *s, uint32_t *first, uint32_t *last);

enum ctl_dev_kind { CTL_DEV_BAD, CTL_DEV_NAME, CTL_DEV_PATH, CTL_DEV_NUMBER };
enum ctl_dev_kind ctl_parse_dev(const char *s, char *name, size_t len,
				unsigned int *major, unsigned int *minor);

/* SET_PARAMS keys, in the order of enum couche_param_attr. */
int ctl_param_attr(const char *key);
const char *ctl_param_name(int attr);
int ctl_parse_setting(const char *s, int *attr, uint32_t *value);

/* Options of the form --name VALUE or --name=VALUE; returns the value or NULL. */
const char *ctl_opt_value(int argc, char **argv, int *i, const char *name);

#endif /* COUCHESTORCTL_PARSE_H */
