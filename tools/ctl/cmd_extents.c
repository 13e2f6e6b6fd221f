// SPDX-License-Identifier: GPL-2.0
/* couchestorctl extents DEV [--tier T] [--top N | --bottom N] [--range A-B] */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "ctl.h"
#include "dev.h"
#include "couche/extents.h"
#include "output.h"
#include "parse.h"

static const char usage[] =
	"usage: couchestorctl extents DEV [--tier T] [--top N | --bottom N]\n"
	"                             [--range FIRST-LAST] [--written] [--stats] [--json]\n"
	"\n"
	"Lists extents with their tier, reads and writes since load, heat (decayed\n"
	"accesses) and flags (P pinned, M migrating or being written first).\n"
	"Tier '-' means never written.\n"
	"\n"
	"  --tier T          only extents in tier T (name or index)\n"
	"  --top N           the N hottest, hottest first (N up to 65536)\n"
	"  --bottom N        the N coldest, coldest first (N up to 65536)\n"
	"  --range A-B       only extents A to B (or one extent: --range A)\n"
	"  --written         only extents written at least once\n"
	"  --stats           print on stderr what the dump cost (messages, bytes, time)\n"
	"  --json            {\"name\":..., \"extents\": [{index, tier, reads, writes,\n"
	"                    heat, pinned, migrating}]}\n"
	"\n"
	"If migrations change the map during the listing, it is taken again (up to 3\n"
	"times), then shown as it is: every extent once, each as it was at some\n"
	"moment of the listing.\n";

static int bad(const char *what, const char *arg)
{
	fprintf(stderr, "%s: extents: %s '%s'\n%s", ctl_prog, what, arg, usage);
	return CTL_EXIT_USAGE;
}

static void print_json(const struct couche_vol *d, const struct couche_extents *x)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	size_t i;

	json_object_object_add(o, "name", json_object_new_string(d->name));
	for (i = 0; i < x->n; i++) {
		const struct couche_extent_info *e = &x->v[i];
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "index", json_object_new_int64(e->index));
		json_object_object_add(j, "tier", e->tier == COUCHE_TIER_NONE ? NULL :
				       json_object_new_string(couche_vol_tier_name(d, e->tier)));
		json_object_object_add(j, "reads", json_object_new_int64(e->reads));
		json_object_object_add(j, "writes", json_object_new_int64(e->writes));
		json_object_object_add(j, "heat",
				       json_object_new_double((double)e->heat / COUCHE_HEAT_SCALE));
		json_object_object_add(j, "pinned",
				       json_object_new_boolean(e->flags & COUCHE_EXTENT_F_PINNED));
		json_object_object_add(j, "migrating",
				       json_object_new_boolean(e->flags & COUCHE_EXTENT_F_MIGRATING));
		json_object_array_add(a, j);
	}
	json_object_object_add(o, "extents", a);
	ctl_json_print(o);
	json_object_put(o);
}

/* Plain lines, not a table: a million extents must not be buffered twice. */
static void print_text(const struct couche_vol *d, const struct couche_extents *x)
{
	char heat[24];
	size_t i;

	printf("%10s  %-15s %10s %10s %10s  %s\n", "extent", "tier", "reads", "writes",
	       "heat", "flags");
	for (i = 0; i < x->n; i++) {
		const struct couche_extent_info *e = &x->v[i];

		printf("%10u  %-15s %10u %10u %10s  %c%c\n", e->index,
		       e->tier == COUCHE_TIER_NONE ? "-" : couche_vol_tier_name(d, e->tier),
		       e->reads, e->writes, ctl_fmt_heat(heat, sizeof(heat), e->heat),
		       e->flags & COUCHE_EXTENT_F_PINNED ? 'P' : '-',
		       e->flags & COUCHE_EXTENT_F_MIGRATING ? 'M' : '-');
	}
}

int cmd_extents(int argc, char **argv)
{
	struct couche_extents_req req = { .tier = -1 };
	const char *tier = NULL, *v;
	struct timespec t0, t1;
	struct couche_extents x;
	bool stats = false;
	struct couche_vol d;
	struct couche_nl nl;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			return CTL_EXIT_OK;
		} else if (!strcmp(argv[i], "--stats")) {
			stats = true;
		} else if (!strcmp(argv[i], "--written")) {
			req.written = 1;
		} else if ((v = ctl_opt_value(argc, argv, &i, "--tier"))) {
			tier = v;
		} else if ((v = ctl_opt_value(argc, argv, &i, "--top"))) {
			if (ctl_parse_u32(v, &req.top) || !req.top)
				return bad("--top needs a positive number, not", v);
		} else if ((v = ctl_opt_value(argc, argv, &i, "--bottom"))) {
			if (ctl_parse_u32(v, &req.bottom) || !req.bottom)
				return bad("--bottom needs a positive number, not", v);
		} else if ((v = ctl_opt_value(argc, argv, &i, "--range"))) {
			if (ctl_parse_range(v, &req.first, &req.last))
				return bad("--range needs FIRST or FIRST-LAST, not", v);
			req.has_range = 1;
		} else if (argv[i][0] == '-' || req.dev) {
			return bad("unexpected", argv[i]);
		} else {
			req.dev = argv[i];
		}
	}
	if (!req.dev)
		return bad("missing DEV", "");
	if (req.top && req.bottom)
		return bad("give --top or --bottom, not both", "");
	if (ctl_nl_open(&nl))
		return CTL_EXIT_NODEV;
	r = couche_vol_get(&nl, req.dev, &d);
	if (r) {
		ctl_nl_perror(&nl, req.dev, r);
		goto out;
	}
	if (tier) {
		req.tier = couche_vol_tier_index(&d, tier);
		if (req.tier < 0) {
			fprintf(stderr, "%s: extents: %s has no tier '%s'\n", ctl_prog, d.name, tier);
			r = -EINVAL;
			goto out;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = couche_extents_get(&nl, &req, &x);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (r) {
		ctl_nl_perror(&nl, req.dev, r);
		goto out;
	}
	if (stats)
		fprintf(stderr, "dump: %zu extents, %llu messages, %llu bytes, %.3f s, %d retries%s\n",
			x.n, (unsigned long long)x.messages, (unsigned long long)x.bytes,
			(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, x.retries,
			x.interrupted ? ", map changed during the last" : "");
	if (ctl_json)
		print_json(&d, &x);
	else
		print_text(&d, &x);
	couche_extents_free(&x);
out:
	couche_nl_close(&nl);
	return ctl_nl_exit_code(r);
}
