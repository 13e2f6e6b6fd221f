// SPDX-License-Identifier: GPL-2.0
/*
 * couchestorctl migrate DEV RANGE TIER [--wait]
 * couchestorctl pin DEV RANGE TIER [--wait]
 * couchestorctl unpin DEV RANGE
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "ctl.h"
#include "dev.h"
#include "couche/extents.h"
#include "output.h"
#include "parse.h"

static const char usage_migrate[] =
	"usage: couchestorctl migrate DEV FIRST[-LAST] TIER [--wait [--timeout S]] [--json]\n"
	"\n"
	"Moves extents FIRST to LAST to TIER (a name or index).  Extents never\n"
	"written have no place yet and are skipped; extents pinned to another tier\n"
	"are refused (unpin them first).  Without --wait the moves are queued and\n"
	"the command returns at once.\n"
	"\n"
	"  --wait       wait until every written extent of the range is in TIER, with\n"
	"               a progress bar on a terminal; exit 1 if some could not move\n"
	"  --timeout S  with --wait: give up after S seconds (exit 1)\n";

static const char usage_pin[] =
	"usage: couchestorctl pin DEV FIRST[-LAST] TIER [--wait [--timeout S]] [--json]\n"
	"\n"
	"Holds extents FIRST to LAST in TIER (a linear tier): they move there now,\n"
	"new writes to them go there, and migrations elsewhere are refused until\n"
	"'unpin'.  Pins are stored in the metadata and survive reboots.\n"
	"\n"
	"  --wait       wait until the written extents of the range are in TIER\n"
	"  --timeout S  with --wait: give up after S seconds (exit 1)\n";

static const char usage_unpin[] =
	"usage: couchestorctl unpin DEV FIRST[-LAST] [--json]\n"
	"\n"
	"Releases the pins of extents FIRST to LAST; they stay where they are.\n";

struct move_args {
	const char *dev, *range, *tier;
	uint32_t first, last;
	bool wait;
	bool help;
	uint32_t timeout;
};

/* 0 to go on (unless --help was answered), or an exit code. */
static int parse_args(int argc, char **argv, struct move_args *a, bool need_tier,
		      const char *usage)
{
	const char *v;
	int i, n = 0;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			a->help = true;
			return 0;
		} else if (need_tier && !strcmp(argv[i], "--wait")) {
			a->wait = true;
		} else if (need_tier && (v = ctl_opt_value(argc, argv, &i, "--timeout"))) {
			if (ctl_parse_u32(v, &a->timeout) || !a->timeout) {
				fprintf(stderr, "%s: %s: --timeout needs seconds, not '%s'\n",
					ctl_prog, argv[0], v);
				return CTL_EXIT_USAGE;
			}
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "%s: %s: unknown option '%s'\n%s", ctl_prog, argv[0],
				argv[i], usage);
			return CTL_EXIT_USAGE;
		} else if (n < (need_tier ? 3 : 2)) {
			const char **slot[] = { &a->dev, &a->range, &a->tier };

			*slot[n++] = argv[i];
		} else {
			fprintf(stderr, "%s: %s: unexpected '%s'\n%s", ctl_prog, argv[0], argv[i],
				usage);
			return CTL_EXIT_USAGE;
		}
	}
	if (n != (need_tier ? 3 : 2)) {
		fprintf(stderr, "%s: %s: missing arguments\n%s", ctl_prog, argv[0], usage);
		return CTL_EXIT_USAGE;
	}
	if (ctl_parse_range(a->range, &a->first, &a->last)) {
		fprintf(stderr, "%s: %s: '%s' is not FIRST or FIRST-LAST (extent numbers, "
			"FIRST <= LAST)\n", ctl_prog, argv[0], a->range);
		return CTL_EXIT_USAGE;
	}
	return 0;
}

/* Written extents of the range, and how many are settled in @tier. */
static int progress(struct couche_nl *nl, const struct move_args *a, int tier,
		    uint64_t *done, uint64_t *total)
{
	struct couche_extents_req req = {
		.dev = a->dev, .has_range = 1, .first = a->first, .last = a->last, .tier = -1,
	};
	struct couche_extents x;
	size_t i;
	int r = couche_extents_get(nl, &req, &x);

	if (r)
		return r;
	*done = *total = 0;
	for (i = 0; i < x.n; i++) {
		if (!(x.v[i].flags & COUCHE_EXTENT_F_MAPPED))
			continue;
		(*total)++;
		if (x.v[i].tier == tier && !(x.v[i].flags & COUCHE_EXTENT_F_MIGRATING))
			(*done)++;
	}
	couche_extents_free(&x);
	return 0;
}

/* Until all are there, or nothing is left queued or running. */
static int wait_moves(struct couche_nl *nl, const struct move_args *a, const struct couche_vol *d,
		      int tier)
{
	time_t end = a->timeout ? time(NULL) + a->timeout : 0;
	uint64_t done, total;
	struct couche_vol now;
	int r;

	for (;;) {
		r = progress(nl, a, tier, &done, &total);
		if (r)
			break;
		ctl_progress("moving", done, total);
		if (done == total)
			break;
		r = couche_vol_get(nl, a->dev, &now);
		if (r)
			break;
		if (!now.mig_queued && !now.mig_running) {
			/* Settled while we looked? Count once more. */
			r = progress(nl, a, tier, &done, &total);
			if (r || done == total)
				break;
			ctl_progress_end();
			fprintf(stderr, "%s: %llu of %llu extents could not move to %s: see the "
				"kernel log (dmesg) or 'couchestorctl events'; a full tier or a "
				"failed member are the usual causes\n", ctl_prog,
				(unsigned long long)(total - done), (unsigned long long)total,
				d->tiers[tier].name);
			return -EIO;
		}
		if (end && time(NULL) >= end) {
			ctl_progress_end();
			fprintf(stderr, "%s: timed out with %llu of %llu extents in %s; the rest "
				"stay queued\n", ctl_prog, (unsigned long long)done,
				(unsigned long long)total, d->tiers[tier].name);
			return -ETIMEDOUT;
		}
		usleep(200000);
	}
	ctl_progress_end();
	if (r)
		ctl_nl_perror(nl, a->dev, r);
	return r;
}

struct reply {
	uint64_t queued;
};

static int on_reply(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[COUCHE_DEV_A_MAX + 1];
	struct reply *rep = arg;

	if (!couche_nl_parse(msg, tb) && tb[COUCHE_DEV_A_QUEUED])
		rep->queued = nla_get_u64(tb[COUCHE_DEV_A_QUEUED]);
	return NL_OK;
}

static void print_result(const struct couche_vol *d, const char *verb, const struct move_args *a,
			 int tier, uint64_t queued, bool waited)
{
	if (ctl_json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(d->name));
		json_object_object_add(o, "first", json_object_new_int64(a->first));
		json_object_object_add(o, "last", json_object_new_int64(a->last));
		if (tier >= 0) {
			json_object_object_add(o, "tier",
					       json_object_new_string(d->tiers[tier].name));
			json_object_object_add(o, "queued", json_object_new_int64(queued));
			json_object_object_add(o, "done", json_object_new_boolean(waited));
		}
		ctl_json_print(o);
		json_object_put(o);
		return;
	}
	if (tier < 0)
		printf("%s: extents %u-%u unpinned\n", d->name, a->first, a->last);
	else if (waited)
		printf("%s: extents %u-%u %s %s\n", d->name, a->first, a->last, verb,
		       d->tiers[tier].name);
	else
		printf("%s: %llu extents of %u-%u queued to move to %s\n", d->name,
		       (unsigned long long)queued, a->first, a->last, d->tiers[tier].name);
}

static int run(int argc, char **argv, uint8_t cmd, const char *usage)
{
	bool need_tier = cmd != COUCHE_CMD_UNPIN;
	struct reply rep = { 0 };
	struct move_args a;
	struct nl_msg *msg;
	struct couche_vol d;
	struct couche_nl nl;
	int tier = -1, r;

	r = parse_args(argc, argv, &a, need_tier, usage);
	if (r || a.help)
		return r;
	if (ctl_nl_open(&nl))
		return CTL_EXIT_NODEV;
	r = couche_vol_get(&nl, a.dev, &d);
	if (r) {
		ctl_nl_perror(&nl, a.dev, r);
		goto out;
	}
	if (need_tier) {
		tier = couche_vol_tier_index(&d, a.tier);
		if (tier < 0) {
			fprintf(stderr, "%s: %s: %s has no tier '%s' (", ctl_prog, argv[0],
				d.name, a.tier);
			for (r = 0; r < d.nr_tiers; r++)
				fprintf(stderr, "%s%s", r ? ", " : "", d.tiers[r].name);
			fprintf(stderr, ")\n");
			couche_nl_close(&nl);
			return CTL_EXIT_USAGE;
		}
	}
	msg = couche_nl_msg(&nl, cmd, 0);
	if (!msg || couche_nl_put_dev(msg, a.dev) ||
	    nla_put_u32(msg, COUCHE_DEV_A_FIRST, a.first) ||
	    nla_put_u32(msg, COUCHE_DEV_A_LAST, a.last) ||
	    (need_tier && nla_put_u8(msg, COUCHE_DEV_A_TIER_INDEX, tier))) {
		nlmsg_free(msg);
		r = -ENOMEM;
		goto out;
	}
	r = couche_nl_run(&nl, msg, on_reply, &rep);
	if (r) {
		ctl_nl_perror(&nl, argv[0], r);
		goto out;
	}
	if (a.wait) {
		r = wait_moves(&nl, &a, &d, tier);
		if (r)
			goto out;
	}
	print_result(&d, cmd == COUCHE_CMD_PIN ? "pinned to" : "moved to", &a, tier,
		     rep.queued, a.wait);
out:
	couche_nl_close(&nl);
	return ctl_nl_exit_code(r);
}

int cmd_migrate(int argc, char **argv)
{
	return run(argc, argv, COUCHE_CMD_MIGRATE, usage_migrate);
}

int cmd_pin(int argc, char **argv)
{
	return run(argc, argv, COUCHE_CMD_PIN, usage_pin);
}

int cmd_unpin(int argc, char **argv)
{
	return run(argc, argv, COUCHE_CMD_UNPIN, usage_unpin);
}
