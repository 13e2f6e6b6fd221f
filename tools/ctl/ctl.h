/* SPDX-License-Identifier: GPL-2.0 */
/*
 * couchestorctl: shared declarations.  One file per command (cmd_*.c);
 * netlink through libcouche (lib/couche/), its errors told in cli_nl.c,
 * argument parsing in parse.c, output in output.c.
 */
#ifndef COUCHESTORCTL_H
#define COUCHESTORCTL_H

#include <stdbool.h>
#include <stdint.h>

#include "cli_nl.h"

/* Exit codes of the netlink commands (check uses fsck's, see cmd_check.c). */
enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAIL = 1,	/* the operation failed or found problems */
	CTL_EXIT_USAGE = 2,	/* bad command line */
	CTL_EXIT_NODEV = 3,	/* no such volume, or the module is not loaded */
	CTL_EXIT_PERM = 4,	/* needs CAP_SYS_ADMIN */
};

extern bool ctl_json;		/* --json: machine-readable output */
extern const char *ctl_prog;	/* argv[0] for messages */

/* Each command gets argv[0] = its name; returns an exit code. */
int cmd_status(int argc, char **argv);
int cmd_extents(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_pin(int argc, char **argv);
int cmd_unpin(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_scrub(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_check(int argc, char **argv);

#endif /* COUCHESTORCTL_H */
