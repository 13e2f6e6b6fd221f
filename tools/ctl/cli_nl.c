// SPDX-License-Identifier: GPL-2.0
/* couchestorctl: netlink errors told to the user, and as exit codes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli_nl.h"
#include "ctl.h"

int ctl_nl_open(struct couche_nl *nl)
{
	int r = couche_nl_connect(nl);

	if (r)
		fprintf(stderr, "%s: %s\n", ctl_prog, nl->err);
	return r;
}

int ctl_nl_exit_code(int err)
{
	switch (err) {
	case 0:
		return CTL_EXIT_OK;
	case -ENODEV:
		return CTL_EXIT_NODEV;
	case -EPERM:
	case -EACCES:
		return CTL_EXIT_PERM;
	default:
		return CTL_EXIT_FAIL;
	}
}

/* "couchestorctl: WHAT: <kernel's explanation or strerror>", and a hint. */
void ctl_nl_perror(struct couche_nl *nl, const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", ctl_prog, what, nl->err[0] ? nl->err : strerror(-err));
	if (err == -EPERM)
		fprintf(stderr, "%s: run it as root (it needs CAP_SYS_ADMIN)\n", ctl_prog);
	else if (err == -ENODEV && !nl->err[0])
		fprintf(stderr, "%s: no active dm-couche volume by that name or number; "
			"'couchestorctl status' lists them\n", ctl_prog);
	else if (err == -ENODEV)
		fprintf(stderr, "%s: 'couchestorctl status' lists the active volumes\n",
			ctl_prog);
}
