// SPDX-License-Identifier: GPL-2.0
/* couchestorctl events [DEV] [--count N] [--timeout S] */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "couche/event.h"
#include "ctl.h"
#include "dev.h"
#include "output.h"
#include "parse.h"

static const char usage[] =
	"usage: couchestorctl events [DEV] [--count N] [--timeout S] [--json]\n"
	"\n"
	"Follows the kernel's dm-couche events, one line each: migrations done and\n"
	"failed, members failed, rebuild progress and end, tiers at their reserve,\n"
	"tiers the kernel makes room in, writes failed for lack of room, metadata\n"
	"errors, scrubs done.  Ctrl-C stops.\n"
	"\n"
	"  DEV          only this volume's events (its dm name)\n"
	"  --count N    exit after N events\n"
	"  --timeout S  exit after S seconds (exit 1 if fewer than --count came)\n"
	"  --json       one JSON object per line\n";

struct follow {
	const char *only;	/* dm name filter */
	struct couche_nl *lookup;	/* a second socket, for tier names */
	struct couche_vol dev;	/* the last volume looked up */
	uint32_t count, seen;
};

static const char *tier_name(struct follow *f, const char *name, int tier)
{
	if (strcmp(f->dev.name, name) && couche_vol_get(f->lookup, name, &f->dev))
		f->dev.name[0] = '\0';
	return tier < f->dev.nr_tiers ? f->dev.tiers[tier].name : "?";
}

static void print_event(struct follow *f, const struct couche_event_info *e)
{
	bool extent = e->type == COUCHE_EVENT_MIGRATION_DONE ||
		e->type == COUCHE_EVENT_MIGRATION_FAILED || e->type == COUCHE_EVENT_NO_SPACE;
	const char *ev = couche_event_name(e->type);
	const char *tn = e->tier >= 0 ? tier_name(f, e->volume, e->tier) : NULL;
	char when[32];
	time_t now = time(NULL);

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	if (ctl_json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "time", json_object_new_string(when));
		json_object_object_add(o, "event", json_object_new_string(ev));
		json_object_object_add(o, "name", json_object_new_string(e->volume));
		if (tn)
			json_object_object_add(o, "tier", json_object_new_string(tn));
		if (e->member >= 0)
			json_object_object_add(o, "member", json_object_new_int(e->member));
		if (extent)
			json_object_object_add(o, "extent", json_object_new_int64(e->extent));
		if (e->total) {
			json_object_object_add(o, "done", json_object_new_int64(e->done));
			json_object_object_add(o, "total", json_object_new_int64(e->total));
		}
		if (e->error)
			json_object_object_add(o, "error",
					       json_object_new_string(strerror(e->error)));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else {
		printf("%s %s %s", when, e->volume, ev);
		if (extent)
			printf(" extent %u", e->extent);
		if (tn)
			printf(" tier %s", tn);
		if (e->member >= 0)
			printf(" member %d", e->member);
		if (e->total)
			printf(" %llu/%llu", (unsigned long long)e->done,
			       (unsigned long long)e->total);
		if (e->error)
			printf(": %s", strerror(e->error));
		putchar('\n');
	}
	fflush(stdout);
}

static void on_event(const struct couche_event_info *e, void *arg)
{
	struct follow *f = arg;

	if ((f->only && strcmp(f->only, e->volume)) || (f->count && f->seen >= f->count))
		return;
	print_event(f, e);
	f->seen++;
}

int cmd_events(int argc, char **argv)
{
	struct follow f = { 0 };
	struct couche_nl nl, lookup;
	uint32_t timeout = 0;
	struct pollfd pfd;
	time_t end = 0;
	const char *v;
	bool lost;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			return CTL_EXIT_OK;
		} else if ((v = ctl_opt_value(argc, argv, &i, "--count"))) {
			if (ctl_parse_u32(v, &f.count) || !f.count)
				goto bad;
		} else if ((v = ctl_opt_value(argc, argv, &i, "--timeout"))) {
			if (ctl_parse_u32(v, &timeout) || !timeout)
				goto bad;
		} else if (argv[i][0] == '-' || f.only) {
			goto bad;
		} else {
			f.only = argv[i];
			if (!strncmp(f.only, "/dev/mapper/", 12))
				f.only += 12;
		}
	}
	if (ctl_nl_open(&nl))
		return CTL_EXIT_NODEV;
	if (ctl_nl_open(&lookup)) {
		couche_nl_close(&nl);
		return CTL_EXIT_NODEV;
	}
	f.lookup = &lookup;
	r = couche_nl_subscribe(&nl);
	if (r) {
		fprintf(stderr, "%s: events: cannot join the events group: %s\n", ctl_prog,
			strerror(-r));
		goto out;
	}
	nl_socket_set_nonblocking(nl.sk);
	fprintf(stderr, "%s: listening for dm-couche events\n", ctl_prog);
	if (timeout)
		end = time(NULL) + timeout;
	pfd.fd = nl_socket_get_fd(nl.sk);
	pfd.events = POLLIN;
	while (!f.count || f.seen < f.count) {
		int ms = end ? (int)(end - time(NULL)) * 1000 : -1;

		if (end && ms <= 0)
			break;
		if (poll(&pfd, 1, ms) <= 0)
			continue;
		lost = false;
		couche_nl_events(&nl, on_event, &f, &lost);
		if (lost)
			fprintf(stderr, "%s: events: some events were lost (receive buffer "
				"overrun)\n", ctl_prog);
	}
	r = f.count && f.seen < f.count ? -ETIMEDOUT : 0;
out:
	couche_nl_close(&lookup);
	couche_nl_close(&nl);
	return r ? CTL_EXIT_FAIL : CTL_EXIT_OK;
bad:
	fprintf(stderr, "%s: events: unexpected '%s'\n%s", ctl_prog, argv[i], usage);
	return CTL_EXIT_USAGE;
}
