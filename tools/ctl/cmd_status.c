// SPDX-License-Identifier: GPL-2.0
/* couchestorctl status [DEV] [--wait-rebuild] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "ctl.h"
#include "dev.h"
#include "output.h"

static const char usage[] =
	"usage: couchestorctl status [DEV] [--wait-rebuild] [--json]\n"
	"\n"
	"Shows every active dm-couche volume, or DEV: size, tiers with their use\n"
	"and member health (A alive, a rebuilding, D dead), migrations, scrub and\n"
	"runtime parameters.  DEV is a dm name, /dev/mapper/NAME, a device node\n"
	"or MAJOR:MINOR.\n"
	"\n"
	"  --wait-rebuild  wait until no raid6 member of DEV is rebuilding,\n"
	"                  with a progress bar on a terminal\n"
	"  --json          one JSON object (DEV given) or an array of them\n";

static int rebuilding(const struct couche_vol *d, uint64_t *done, uint64_t *total)
{
	int i, n = 0;

	*done = *total = 0;
	for (i = 0; i < d->nr_tiers; i++) {
		if (!d->tiers[i].rebuilding)
			continue;
		n++;
		*done += d->tiers[i].rebuild_done;
		*total += d->tiers[i].slots;
	}
	return n;
}

static int wait_rebuild(struct couche_nl *nl, const char *dev, struct couche_vol *d)
{
	uint64_t done, total;
	int r;

	while ((r = couche_vol_get(nl, dev, d)) == 0 && rebuilding(d, &done, &total)) {
		if (d->flags & COUCHE_DEV_F_SUSPENDED)
			break;
		ctl_progress("rebuilding", done, total);
		usleep(250000);
	}
	ctl_progress_end();
	return r;
}

int cmd_status(int argc, char **argv)
{
	const char *dev = NULL;
	bool wait = false;
	struct couche_vol d, *list = NULL;
	struct couche_nl nl;
	int i, n = 0, r;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			return CTL_EXIT_OK;
		} else if (!strcmp(argv[i], "--wait-rebuild")) {
			wait = true;
		} else if (argv[i][0] == '-' || dev) {
			fprintf(stderr, "%s: status: unexpected '%s'\n%s", ctl_prog, argv[i], usage);
			return CTL_EXIT_USAGE;
		} else {
			dev = argv[i];
		}
	}
	if (wait && !dev) {
		fprintf(stderr, "%s: status: --wait-rebuild needs DEV\n", ctl_prog);
		return CTL_EXIT_USAGE;
	}
	if (ctl_nl_open(&nl))
		return CTL_EXIT_NODEV;
	if (dev) {
		r = wait ? wait_rebuild(&nl, dev, &d) : couche_vol_get(&nl, dev, &d);
		if (r) {
			ctl_nl_perror(&nl, dev, r);
		} else if (ctl_json) {
			struct json_object *o = ctl_dev_json(&d);

			ctl_json_print(o);
			json_object_put(o);
		} else {
			ctl_dev_print(&d);
		}
	} else {
		r = couche_vol_list(&nl, &list, &n);
		if (r) {
			ctl_nl_perror(&nl, "listing volumes", r);
		} else if (ctl_json) {
			struct json_object *a = json_object_new_array();

			for (i = 0; i < n; i++)
				json_object_array_add(a, ctl_dev_json(&list[i]));
			ctl_json_print(a);
			json_object_put(a);
		} else if (!n) {
			printf("no active dm-couche volumes\n");
		} else {
			for (i = 0; i < n; i++) {
				if (i)
					putchar('\n');
				ctl_dev_print(&list[i]);
			}
		}
		free(list);
	}
	couche_nl_close(&nl);
	return ctl_nl_exit_code(r);
}
