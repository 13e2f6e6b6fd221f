// SPDX-License-Identifier: GPL-2.0
/*
 * couchestorctl: the CoucheStor admin tool.  It drives dm-couche volumes over
 * the "couche" generic-netlink family and checks metadata devices offline.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

bool ctl_json;
const char *ctl_prog = "couchestorctl";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
} commands[] = {
	{ "status", cmd_status, "show volumes: tiers, health, migrations, scrub" },
	{ "extents", cmd_extents, "list extents with tier, heat and flags" },
	{ "migrate", cmd_migrate, "move extents to a tier" },
	{ "pin", cmd_pin, "hold extents in a tier" },
	{ "unpin", cmd_unpin, "release pinned extents" },
	{ "set", cmd_set, "change runtime parameters" },
	{ "scrub", cmd_scrub, "check and repair raid6 parity" },
	{ "events", cmd_events, "follow kernel events" },
	{ "check", cmd_check, "check a metadata device offline" },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: couchestorctl [--json] COMMAND [ARGS]\n\nCommands:\n");
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].what);
	fprintf(f, "\n'couchestorctl COMMAND --help' describes each.  Exit codes: 0 ok,\n"
		"1 failed, 2 usage, 3 no such volume or module not loaded, 4 not\n"
		"permitted (changes need CAP_SYS_ADMIN); check uses fsck's codes.\n");
}

/* --json may come anywhere; it is taken out before the command sees argv. */
static int take_global_options(int argc, char **argv)
{
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		if (i && (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")))
			ctl_json = true;
		else
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

int main(int argc, char **argv)
{
	size_t i;

	argc = take_global_options(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		if (argc > 2) {
			char *help[] = { argv[2], "--help", NULL };

			for (i = 0; i < NR_COMMANDS; i++)
				if (!strcmp(argv[2], commands[i].name))
					return commands[i].fn(2, help);
		}
		usage(stdout);
		return CTL_EXIT_OK;
	}
	for (i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n", ctl_prog, argv[1]);
	usage(stderr);
	return CTL_EXIT_USAGE;
}
