// SPDX-License-Identifier: GPL-2.0
/* libcouche: the kernel's events, decoded. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "event.h"

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

const char *couche_event_name(int type)
{
	if (type < 0 || type >= (int)(sizeof(event_names) / sizeof(event_names[0])) ||
	    !event_names[type])
		return "unknown";
	return event_names[type];
}

int couche_event_parse(struct nl_msg *msg, struct couche_event_info *ev)
{
	struct nlattr *tb[COUCHE_DEV_A_MAX + 1];

	memset(ev, 0, sizeof(*ev));
	ev->tier = -1;
	ev->member = -1;
	/* couche_nl_parse() checks the header is there before it is read. */
	if (couche_nl_parse(msg, tb) || genlmsg_hdr(nlmsg_hdr(msg))->cmd != COUCHE_CMD_EVENT ||
	    !tb[COUCHE_DEV_A_EVENT] || !tb[COUCHE_DEV_A_NAME])
		return -EINVAL;
	ev->type = nla_get_u8(tb[COUCHE_DEV_A_EVENT]);
	snprintf(ev->volume, sizeof(ev->volume), "%s", nla_get_string(tb[COUCHE_DEV_A_NAME]));
	if (tb[COUCHE_DEV_A_FIRST]) {
		ev->has_extent = true;
		ev->extent = nla_get_u32(tb[COUCHE_DEV_A_FIRST]);
	}
	if (tb[COUCHE_DEV_A_TIER_INDEX])
		ev->tier = nla_get_u8(tb[COUCHE_DEV_A_TIER_INDEX]);
	if (tb[COUCHE_DEV_A_MEMBER])
		ev->member = nla_get_u8(tb[COUCHE_DEV_A_MEMBER]);
	if (tb[COUCHE_DEV_A_DONE])
		ev->done = nla_get_u64(tb[COUCHE_DEV_A_DONE]);
	if (tb[COUCHE_DEV_A_TOTAL])
		ev->total = nla_get_u64(tb[COUCHE_DEV_A_TOTAL]);
	if (tb[COUCHE_DEV_A_ERROR])
		ev->error = nla_get_u32(tb[COUCHE_DEV_A_ERROR]);
	return 0;
}

struct event_sink {
	couche_event_fn fn;
	void *arg;
};

/* Events carry no sequence numbers of ours. */
static int no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

static int take_event(struct nl_msg *msg, void *arg)
{
	struct event_sink *s = arg;
	struct couche_event_info ev;

	if (couche_event_parse(msg, &ev))
		return NL_SKIP;
	s->fn(&ev, s->arg);
	return NL_OK;
}

int couche_nl_events(struct couche_nl *nl, couche_event_fn fn, void *arg, bool *lost)
{
	struct event_sink s = { fn, arg };
	struct nl_cb *cb;
	int r, n = 0;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, take_event, &s);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	/* NOMEM is ENOBUFS: events were lost; what follows is still there. */
	while ((r = nl_recvmsgs(nl->sk, cb)) >= 0 || r == -NLE_NOMEM) {
		if (r == -NLE_NOMEM && lost)
			*lost = true;
		n++;
	}
	nl_cb_put(cb);
	return n;
}
