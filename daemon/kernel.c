// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord's side of the couche netlink family: volumes, their extents
 * read straight into the agent's compact arrays (a million extents would
 * take 20 MiB as records), migrations and runtime parameters, and the
 * events group, read without blocking from the main loop.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netlink/genl/ctrl.h>

#include "kernel.h"

/* couchestorctl's netlink code names its program in messages. */
bool ctl_json;
const char *ctl_prog = "couchestord";

int cs_kernel_open(struct cs_kernel *k)
{
	int r;

	if (k->up)
		return 0;
	r = ctl_nl_connect(&k->nl, true);
	if (r) {
		snprintf(k->why, sizeof(k->why), "%s", k->nl.err);
		return r;
	}
	r = ctl_nl_connect(&k->ev, true);
	if (!r)
		r = ctl_nl_subscribe(&k->ev);
	if (r) {
		snprintf(k->why, sizeof(k->why), "cannot join the couche events group: %s",
			 k->ev.err[0] ? k->ev.err : strerror(-r));
		ctl_nl_close(&k->ev);
		ctl_nl_close(&k->nl);
		return r;
	}
	nl_socket_set_nonblocking(k->ev.sk);
	k->why[0] = '\0';
	k->up = true;
	return 0;
}

void cs_kernel_close(struct cs_kernel *k)
{
	ctl_nl_close(&k->ev);
	ctl_nl_close(&k->nl);
	k->up = false;
}

/* A socket error (not a refusal) means the module may be gone: reconnect. */
static int check(struct cs_kernel *k, int r)
{
	if (r == -EIO || r == -ENOENT) {
		snprintf(k->why, sizeof(k->why), "netlink: %s", k->nl.err[0] ? k->nl.err :
			 strerror(-r));
		cs_kernel_close(k);
	}
	return r;
}

int cs_kernel_volumes(struct cs_kernel *k, struct ctl_dev **list, int *n)
{
	if (!k->up)
		return -ENOTCONN;
	return check(k, ctl_dev_list(&k->nl, list, n));
}

struct extent_arrays {
	uint32_t nr;
	uint32_t *heat;
	uint8_t *tier;
	uint8_t *flags;
};

static int take_extents(struct nl_msg *msg, void *arg);

int cs_kernel_parse_extents(struct nl_msg *msg, uint32_t nr, uint32_t *heat, uint8_t *tier,
			    uint8_t *flags)
{
	struct extent_arrays a = { nr, heat, tier, flags };

	return take_extents(msg, &a) == NL_OK ? 0 : -EINVAL;
}

static int take_extents(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[COUCHE_DEV_A_MAX + 1];
	const struct couche_extent_info *x;
	struct extent_arrays *a = arg;
	size_t i, n;

	if (ctl_nl_parse(msg, tb) || !tb[COUCHE_DEV_A_EXTENTS])
		return NL_OK;
	x = nla_data(tb[COUCHE_DEV_A_EXTENTS]);
	n = nla_len(tb[COUCHE_DEV_A_EXTENTS]) / sizeof(*x);
	for (i = 0; i < n; i++) {
		if (x[i].index >= a->nr)
			continue;
		a->heat[x[i].index] = x[i].heat;
		a->tier[x[i].index] = x[i].tier;
		a->flags[x[i].index] = x[i].flags;
	}
	return NL_OK;
}

/*
 * Every extent of the volume.  If the map changed during the dump each
 * extent is still there once, as it was at some moment: good enough for a
 * plan, which the kernel checks again at each move.
 */
int cs_kernel_read_extents(struct cs_kernel *k, const char *volume, uint32_t nr,
			   uint32_t *heat, uint8_t *tier, uint8_t *flags, bool *changed)
{
	struct extent_arrays a = { nr, heat, tier, flags };
	struct nl_msg *msg;
	int r;

	if (!k->up)
		return -ENOTCONN;
	msg = ctl_nl_msg(&k->nl, COUCHE_CMD_GET_EXTENTS, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	/* Only written extents come: the rest have no place and no plan. */
	memset(heat, 0, sizeof(*heat) * nr);
	memset(tier, COUCHE_TIER_NONE, nr);
	memset(flags, 0, nr);
	if (nla_put_string(msg, COUCHE_DEV_A_NAME, volume) ||
	    nla_put_flag(msg, COUCHE_DEV_A_MAPPED_ONLY)) {
		nlmsg_free(msg);
		return -EINVAL;
	}
	r = ctl_nl_run(&k->nl, msg, take_extents, &a);
	*changed = r == -EINTR;
	return check(k, r == -EINTR ? 0 : r);
}

int cs_kernel_migrate(struct cs_kernel *k, const char *volume, uint32_t first,
		      uint32_t last, unsigned int tier)
{
	struct nl_msg *msg;

	if (!k->up)
		return -ENOTCONN;
	msg = ctl_nl_msg(&k->nl, COUCHE_CMD_MIGRATE, 0);
	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, COUCHE_DEV_A_NAME, volume) ||
	    nla_put_u32(msg, COUCHE_DEV_A_FIRST, first) ||
	    nla_put_u32(msg, COUCHE_DEV_A_LAST, last) ||
	    nla_put_u8(msg, COUCHE_DEV_A_TIER_INDEX, tier)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return check(k, ctl_nl_run(&k->nl, msg, NULL, NULL));
}

int cs_kernel_set_params(struct cs_kernel *k, const char *volume, const uint32_t *params,
			 uint32_t mask)
{
	struct nl_msg *msg;
	struct nlattr *nest;
	int i;

	if (!k->up)
		return -ENOTCONN;
	msg = ctl_nl_msg(&k->nl, COUCHE_CMD_SET_PARAMS, 0);
	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, COUCHE_DEV_A_NAME, volume))
		goto fail;
	nest = nla_nest_start(msg, COUCHE_DEV_A_PARAMS);
	if (!nest)
		goto fail;
	for (i = 1; i <= COUCHE_PARAM_A_MAX; i++)
		if ((mask & (1u << i)) && nla_put_u32(msg, i, params[i]))
			goto fail;
	nla_nest_end(msg, nest);
	return check(k, ctl_nl_run(&k->nl, msg, NULL, NULL));
fail:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int cs_kernel_event_fd(struct cs_kernel *k)
{
	return k->up ? nl_socket_get_fd(k->ev.sk) : -1;
}

/* Events carry no sequence numbers of ours. */
static int no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

struct event_sink {
	void (*fn)(const struct cs_event *ev, void *arg);
	void *arg;
};

int cs_kernel_parse_event(struct nl_msg *msg, struct cs_event *ev)
{
	struct nlattr *tb[COUCHE_DEV_A_MAX + 1];

	memset(ev, 0, sizeof(*ev));
	ev->tier = -1;
	/* ctl_nl_parse() checks the header is there before it is read. */
	if (ctl_nl_parse(msg, tb) || genlmsg_hdr(nlmsg_hdr(msg))->cmd != COUCHE_CMD_EVENT ||
	    !tb[COUCHE_DEV_A_EVENT] || !tb[COUCHE_DEV_A_NAME])
		return -EINVAL;
	ev->type = nla_get_u8(tb[COUCHE_DEV_A_EVENT]);
	snprintf(ev->volume, sizeof(ev->volume), "%s", nla_get_string(tb[COUCHE_DEV_A_NAME]));
	if (tb[COUCHE_DEV_A_FIRST])
		ev->extent = nla_get_u32(tb[COUCHE_DEV_A_FIRST]);
	if (tb[COUCHE_DEV_A_TIER_INDEX])
		ev->tier = nla_get_u8(tb[COUCHE_DEV_A_TIER_INDEX]);
	if (tb[COUCHE_DEV_A_ERROR])
		ev->error = nla_get_u32(tb[COUCHE_DEV_A_ERROR]);
	return 0;
}

static int take_event(struct nl_msg *msg, void *arg)
{
	struct event_sink *s = arg;
	struct cs_event ev;

	if (cs_kernel_parse_event(msg, &ev))
		return NL_SKIP;
	s->fn(&ev, s->arg);
	return NL_OK;
}

/* Everything queued on the events socket; returns how many reads were done. */
int cs_kernel_events(struct cs_kernel *k, void (*fn)(const struct cs_event *ev, void *arg),
		     void *arg)
{
	struct event_sink s = { fn, arg };
	struct nl_cb *cb;
	int r, n = 0;

	if (!k->up)
		return 0;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, take_event, &s);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	while ((r = nl_recvmsgs(k->ev.sk, cb)) >= 0 || r == -NLE_NOMEM)
		n++;	/* NOMEM: ENOBUFS, events were lost; keep reading */
	nl_cb_put(cb);
	return n;
}
