/* SPDX-License-Identifier: GPL-2.0 */
/* libcouche: the kernel's events (COUCHE_CMD_EVENT on the events group). */
#ifndef LIBCOUCHE_EVENT_H
#define LIBCOUCHE_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/dm-couche.h>

#include "nl.h"

struct couche_event_info {
	int type;		/* enum couche_event */
	char volume[COUCHE_DEV_NAME_LEN];
	bool has_extent;
	uint32_t extent;
	int tier, member;	/* -1 if the event names none */
	uint64_t done, total;	/* progress; total 0 if none */
	uint32_t error;		/* a positive errno, or 0 */
};

/* One message; -EINVAL if it is not an event. */
int couche_event_parse(struct nl_msg *msg, struct couche_event_info *ev);
/* "migration-done" and the like; "unknown" for a type this build does not know. */
const char *couche_event_name(int type);

typedef void (*couche_event_fn)(const struct couche_event_info *ev, void *arg);

/*
 * Everything queued on @nl, a subscribed socket set non-blocking: @fn for
 * each event.  Returns how many reads were done; *@lost is set if the
 * kernel dropped events for a full receive buffer.
 */
int couche_nl_events(struct couche_nl *nl, couche_event_fn fn, void *arg, bool *lost);

#endif /* LIBCOUCHE_EVENT_H */
