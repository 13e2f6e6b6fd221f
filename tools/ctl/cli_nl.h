/* SPDX-License-Identifier: GPL-2.0 */
/* couchestorctl: netlink errors told to the user, and as exit codes. */
#ifndef COUCHESTORCTL_CLI_NL_H
#define COUCHESTORCTL_CLI_NL_H

#include "couche/nl.h"

/* couche_nl_connect(), saying why not on stderr. */
int ctl_nl_open(struct couche_nl *nl);
int ctl_nl_exit_code(int err);
/* "couchestorctl: WHAT: <kernel's explanation or strerror>", and a hint. */
void ctl_nl_perror(struct couche_nl *nl, const char *what, int err);

#endif /* COUCHESTORCTL_CLI_NL_H */
