// SPDX-License-Identifier: GPL-2.0
/* couchestorctl scrub DEV [--wait] */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "ctl.h"
#include "dev.h"
#include "output.h"

static const char usage[] =
	"usage: couchestorctl scrub DEV [--wait] [--json]\n"
	"\n"
	"Reads every raid6 stripe in use, checks it against its P and Q parity and\n"
	"rewrites a single bad chunk.  Writes to an extent wait while it is checked.\n"
	"\n"
	"  --wait  wait for the end, with a progress bar on a terminal; exit 1 if\n"
	"          some stripe could not be repaired\n";

static void print_result(const struct couche_vol *d)
{
	if (ctl_json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(d->name));
		json_object_object_add(o, "running", json_object_new_boolean(d->scrub_running));
		json_object_object_add(o, "checked", json_object_new_int64(d->scrub_checked));
		json_object_object_add(o, "total", json_object_new_int64(d->scrub_total));
		json_object_object_add(o, "repaired", json_object_new_int64(d->scrub_repaired));
		json_object_object_add(o, "unrepairable",
				       json_object_new_int64(d->scrub_unrepairable));
		ctl_json_print(o);
		json_object_put(o);
	} else if (d->scrub_running) {
		printf("%s: scrub started: %llu stripes to check; 'couchestorctl status %s' "
		       "shows progress\n", d->name, (unsigned long long)d->scrub_total, d->name);
	} else {
		printf("%s: scrub done: %llu stripes checked, %llu repaired, %llu unrepairable\n",
		       d->name, (unsigned long long)d->scrub_checked,
		       (unsigned long long)d->scrub_repaired,
		       (unsigned long long)d->scrub_unrepairable);
	}
	if (!d->scrub_running && d->scrub_unrepairable)
		fprintf(stderr, "%s: %llu stripes have more damage than parity can explain: "
			"their extents may hold bad data; restore them from a backup\n",
			ctl_prog, (unsigned long long)d->scrub_unrepairable);
}

int cmd_scrub(int argc, char **argv)
{
	const char *dev = NULL;
	struct nl_msg *msg;
	bool wait = false;
	struct couche_vol d;
	struct couche_nl nl;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			return CTL_EXIT_OK;
		} else if (!strcmp(argv[i], "--wait")) {
			wait = true;
		} else if (argv[i][0] == '-' || dev) {
			fprintf(stderr, "%s: scrub: unexpected '%s'\n%s", ctl_prog, argv[i], usage);
			return CTL_EXIT_USAGE;
		} else {
			dev = argv[i];
		}
	}
	if (!dev) {
		fprintf(stderr, "%s: scrub: missing DEV\n%s", ctl_prog, usage);
		return CTL_EXIT_USAGE;
	}
	if (ctl_nl_open(&nl))
		return CTL_EXIT_NODEV;
	msg = couche_nl_msg(&nl, COUCHE_CMD_SCRUB, 0);
	if (!msg || couche_nl_put_dev(msg, dev)) {
		nlmsg_free(msg);
		fprintf(stderr, "%s: scrub: '%s' is not a volume name or device\n", ctl_prog, dev);
		couche_nl_close(&nl);
		return CTL_EXIT_USAGE;
	}
	r = couche_nl_run(&nl, msg, NULL, NULL);
	if (r) {
		ctl_nl_perror(&nl, "scrub", r);
		goto out;
	}
	while (!(r = couche_vol_get(&nl, dev, &d)) && wait && d.scrub_running) {
		ctl_progress("scrubbing", d.scrub_checked, d.scrub_total);
		usleep(250000);
	}
	ctl_progress_end();
	if (r) {
		ctl_nl_perror(&nl, dev, r);
		goto out;
	}
	print_result(&d);
	if (!d.scrub_running && d.scrub_unrepairable)
		r = -EIO;
out:
	couche_nl_close(&nl);
	return ctl_nl_exit_code(r);
}
