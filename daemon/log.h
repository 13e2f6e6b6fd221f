/* SPDX-License-Identifier: GPL-2.0 */
/* couchestord logging: one line per event on stdout, logfmt or JSON. */
#ifndef COUCHESTORD_LOG_H
#define COUCHESTORD_LOG_H

#include <stdbool.h>

enum cs_log_level { CS_DEBUG, CS_INFO, CS_WARN, CS_ERROR };

int cs_log_set_level(const char *name);
int cs_log_set_format(const char *name);	/* "logfmt" or "json" */
bool cs_log_enabled(enum cs_log_level level);

/*
 * cs_log(CS_INFO, "planned moves", "volume", "vol0", "moves", "12", NULL):
 * a message, then key/value string pairs, NULL-terminated.
 */
void cs_log(enum cs_log_level level, const char *msg, ...) __attribute__((sentinel));

#endif /* COUCHESTORD_LOG_H */
