// SPDX-License-Identifier: GPL-2.0
/* couchestorctl events [DEV] [--count N] [--timeout S] */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

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

static const char *const event_names[] = {
	[COUCHE_EVENT_MIGRATION_DONE] = "migration-done",
	[COUCHE_EVENT_MIGRATION_FAILED] = "migration-failed",
	[COUCHE_EVENT_MEMBER_FAILED] = "member-failed",
	[COUCHE_EVENT_REBUILD_PROGRESS] = "rebuild-progress",
	[COUCHE_EVENT_REBUILD_DONE] = "rebuild-done",
	[COUCHE_EVENT_RESERVE_LOW] = "reserve-low",
	[COUCHE_EVENT_METADATA_ERROR] = "metadata-error",
	[COUCHE_EVENT_SCRUB_DONE] = "scrub-done",
	[COUCHE_EVENT_MAKING_ROOM] = "making-room",
	[COUCHE_EVENT_NO_SPACE] = "no-space",
};

struct follow {
	const char *only;	/* dm name filter */
	struct ctl_nl *lookup;	/* a second socket, for tier names */
	struct ctl_dev dev;	/* the last volume looked up */
	uint32_t count, seen;
};

static const char *tier_name(struct follow *f, const char *name, int tier)
{
	if (strcmp(f->dev.name, name) && ctl_dev_get(f->lookup, name, &f->dev))
		f->dev.name[0] = '\0';
	return tier < f->dev.nr_tiers ? f->dev.tiers[tier].name : "?";
}

static void print_event(struct follow *f, struct nlattr **tb, int type, const char *name)
{
	int tier = tb[COUCHE_DEV_A_TIER_INDEX] ? nla_get_u8(tb[COUCHE_DEV_A_TIER_INDEX]) : -1;
	int member = tb[COUCHE_DEV_A_MEMBER] ? nla_get_u8(tb[COUCHE_DEV_A_MEMBER]) : -1;
	uint32_t extent = tb[COUCHE_DEV_A_FIRST] ? nla_get_u32(tb[COUCHE_DEV_A_FIRST]) : 0;
	uint64_t done = tb[COUCHE_DEV_A_DONE] ? nla_get_u64(tb[COUCHE_DEV_A_DONE]) : 0;
	uint64_t total = tb[COUCHE_DEV_A_TOTAL] ? nla_get_u64(tb[COUCHE_DEV_A_TOTAL]) : 0;
	int error = tb[COUCHE_DEV_A_ERROR] ? (int)nla_get_u32(tb[COUCHE_DEV_A_ERROR]) : 0;
	const char *ev = type < (int)(sizeof(event_names) / sizeof(event_names[0])) &&
		event_names[type] ? event_names[type] : "unknown";
	const char *tn = tier >= 0 ? tier_name(f, name, tier) : NULL;
	char when[32];
	time_t now = time(NULL);

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	if (ctl_json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "time", json_object_new_string(when));
		json_object_object_add(o, "event", json_object_new_string(ev));
		json_object_object_add(o, "name", json_object_new_string(name));
		if (tn)
			json_object_object_add(o, "tier", json_object_new_string(tn));
		if (member >= 0)
			json_object_object_add(o, "member", json_object_new_int(member));
		if (type == COUCHE_EVENT_MIGRATION_DONE || type == COUCHE_EVENT_MIGRATION_FAILED ||
		    type == COUCHE_EVENT_NO_SPACE)
			json_object_object_add(o, "extent", json_object_new_int64(extent));
		if (total) {
			json_object_object_add(o, "done", json_object_new_int64(done));
			json_object_object_add(o, "total", json_object_new_int64(total));
		}
		if (error)
			json_object_object_add(o, "error", json_object_new_string(strerror(error)));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else {
		printf("%s %s %s", when, name, ev);
		if (type == COUCHE_EVENT_MIGRATION_DONE || type == COUCHE_EVENT_MIGRATION_FAILED ||
		    type == COUCHE_EVENT_NO_SPACE)
			printf(" extent %u", extent);
		if (tn)
			printf(" tier %s", tn);
		if (member >= 0)
			printf(" member %d", member);
		if (total)
			printf(" %llu/%llu", (unsigned long long)done, (unsigned long long)total);
		if (error)
			printf(": %s", strerror(error));
		putchar('\n');
	}
	fflush(stdout);
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[COUCHE_DEV_A_MAX + 1];
	struct follow *f = arg;
	const char *name;

	if (ctl_nl_parse(msg, tb) || genlmsg_hdr(nlmsg_hdr(msg))->cmd != COUCHE_CMD_EVENT ||
	    !tb[COUCHE_DEV_A_EVENT] || !tb[COUCHE_DEV_A_NAME])
		return NL_SKIP;
	name = nla_get_string(tb[COUCHE_DEV_A_NAME]);
	if (f->only && strcmp(f->only, name))
		return NL_SKIP;
	print_event(f, tb, nla_get_u8(tb[COUCHE_DEV_A_EVENT]), name);
	f->seen++;
	return f->count && f->seen >= f->count ? NL_STOP : NL_OK;
}

int cmd_events(int argc, char **argv)
{
	struct follow f = { 0 };
	struct ctl_nl nl, lookup;
	uint32_t timeout = 0;
	struct pollfd pfd;
	time_t end = 0;
	const char *v;
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
		ctl_nl_close(&nl);
		return CTL_EXIT_NODEV;
	}
	f.lookup = &lookup;
	r = ctl_nl_subscribe(&nl);
	if (r) {
		fprintf(stderr, "%s: events: cannot join the events group: %s\n", ctl_prog,
			strerror(-r));
		goto out;
	}
	nl_socket_modify_cb(nl.sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, &f);
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
		r = nl_recvmsgs_default(nl.sk);
		if (r == -NLE_NOMEM) {
			/* ENOBUFS: the kernel dropped events we were too slow for. */
			fprintf(stderr, "%s: events: some events were lost (receive buffer "
				"overrun)\n", ctl_prog);
		}
	}
	r = f.count && f.seen < f.count ? -ETIMEDOUT : 0;
out:
	ctl_nl_close(&lookup);
	ctl_nl_close(&nl);
	return r ? CTL_EXIT_FAIL : CTL_EXIT_OK;
bad:
	fprintf(stderr, "%s: events: unexpected '%s'\n%s", ctl_prog, argv[i], usage);
	return CTL_EXIT_USAGE;
}
