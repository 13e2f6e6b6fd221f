// SPDX-License-Identifier: GPL-2.0
/* couchestorctl set DEV KEY=VALUE... */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "cli_nl.h"
#include "parse.h"

static const char usage[] =
	"usage: couchestorctl set DEV KEY=VALUE...\n"
	"\n"
	"Changes runtime parameters of DEV, all or none:\n"
	"  max_migrations=N    extents moved at once (1 to 64)\n"
	"  migration_mbps=N    migration bandwidth in MiB/s (0: unthrottled, up to 100000)\n"
	"  heat_halflife_s=N   seconds for heat to halve (1 to 604800)\n"
	"  cache_mb=N          RAM read cache (only 0 until the cache exists)\n"
	"They last until the table is reloaded: put them in the table line to keep\n"
	"them.  'dmsetup table' shows the current values.\n";

int cmd_set(int argc, char **argv)
{
	uint32_t value[COUCHE_PARAM_A_MAX + 1];
	bool given[COUCHE_PARAM_A_MAX + 1] = { false };
	struct nlattr *nest;
	struct nl_msg *msg;
	const char *dev = NULL;
	struct couche_nl nl;
	int i, attr, r, n = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			return CTL_EXIT_OK;
		}
		if (!dev && argv[i][0] != '-') {
			dev = argv[i];
			continue;
		}
		r = ctl_parse_setting(argv[i], &attr, &value[0]);
		if (r == -ENOENT || (!r && attr == COUCHE_PARAM_A_RESERVE_PCT)) {
			fprintf(stderr, "%s: set: '%s': not a runtime parameter\n%s", ctl_prog,
				argv[i], usage);
			return CTL_EXIT_USAGE;
		}
		if (r) {
			fprintf(stderr, "%s: set: '%s' is not KEY=NUMBER\n%s", ctl_prog, argv[i],
				usage);
			return CTL_EXIT_USAGE;
		}
		value[attr] = value[0];
		given[attr] = true;
		n++;
	}
	if (!dev || !n) {
		fprintf(stderr, "%s: set: give DEV and at least one KEY=VALUE\n%s", ctl_prog,
			usage);
		return CTL_EXIT_USAGE;
	}
	if (ctl_nl_open(&nl))
		return CTL_EXIT_NODEV;
	msg = couche_nl_msg(&nl, COUCHE_CMD_SET_PARAMS, 0);
	r = -ENOMEM;
	if (!msg || couche_nl_put_dev(msg, dev))
		goto fail;
	nest = nla_nest_start(msg, COUCHE_DEV_A_PARAMS);
	if (!nest)
		goto fail;
	for (i = 1; i <= COUCHE_PARAM_A_MAX; i++)
		if (given[i] && nla_put_u32(msg, i, value[i]))
			goto fail;
	nla_nest_end(msg, nest);
	r = couche_nl_run(&nl, msg, NULL, NULL);
	if (r)
		ctl_nl_perror(&nl, "set", r);
	couche_nl_close(&nl);
	return ctl_nl_exit_code(r);
fail:
	nlmsg_free(msg);
	fprintf(stderr, "%s: set: '%s' is not a volume name or device\n", ctl_prog, dev);
	couche_nl_close(&nl);
	return CTL_EXIT_USAGE;
}
