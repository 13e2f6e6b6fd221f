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

#include "couche/extents.h"
#include "kernel.h"

int cs_kernel_open(struct cs_kernel *k)
{
	int r;

	if (k->up)
		return 0;
	r = couche_nl_connect(&k->nl);
	if (r) {
		snprintf(k->why, sizeof(k->why), "%s", k->nl.err);
		return r;
	}
	r = couche_nl_connect(&k->ev);
	if (!r)
		r = couche_nl_subscribe(&k->ev);
	if (r) {
		snprintf(k->why, sizeof(k->why), "cannot join the couche events group: %s",
			 k->ev.err[0] ? k->ev.err : strerror(-r));
		couche_nl_close(&k->ev);
		couche_nl_close(&k->nl);
		return r;
	}
	nl_socket_set_nonblocking(k->ev.sk);
	k->why[0] = '\0';
	k->up = true;
	return 0;
}

void cs_kernel_close(struct cs_kernel *k)
{
	couche_nl_close(&k->ev);
	couche_nl_close(&k->nl);
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

int cs_kernel_volumes(struct cs_kernel *k, struct couche_vol **list, int *n)
{
	if (!k->up)
		return -ENOTCONN;
	return check(k, couche_vol_list(&k->nl, list, n));
}

struct extent_arrays {
	uint32_t nr;
	uint32_t *heat;
	uint8_t *tier;
	uint8_t *flags;
};

static int take_extent(const struct couche_extent_info *x, void *arg)
{
	struct extent_arrays *a = arg;

	if (x->index < a->nr) {
		a->heat[x->index] = x->heat;
		a->tier[x->index] = x->tier;
		a->flags[x->index] = x->flags;
	}
	return 0;
}

int cs_kernel_parse_extents(struct nl_msg *msg, uint32_t nr, uint32_t *heat, uint8_t *tier,
			    uint8_t *flags)
{
	struct extent_arrays a = { nr, heat, tier, flags };

	return couche_extents_parse(msg, take_extent, &a);
}

/*
 * Every written extent of the volume (the rest have no place and no
 * plan).  If the map changed during the dump each extent is still there
 * once, as it was at some moment: good enough for a plan, which the
 * kernel checks again at each move.
 */
int cs_kernel_read_extents(struct cs_kernel *k, const char *volume, uint32_t nr,
			   uint32_t *heat, uint8_t *tier, uint8_t *flags, bool *changed)
{
	struct extent_arrays a = { nr, heat, tier, flags };
	struct couche_extents_req req = { .name = volume, .tier = -1, .written = 1 };
	struct couche_extents_walk w = { .fn = take_extent, .arg = &a };
	int r;

	if (!k->up)
		return -ENOTCONN;
	memset(heat, 0, sizeof(*heat) * nr);
	memset(tier, COUCHE_TIER_NONE, nr);
	memset(flags, 0, nr);
	r = couche_extents_walk(&k->nl, &req, &w);
	*changed = r == -EINTR;
	return check(k, r == -EINTR ? 0 : r);
}

/* MIGRATE, PIN (@tier >= 0) or UNPIN (@tier < 0) of extents @first..@last. */
static int range_cmd(struct cs_kernel *k, uint8_t cmd, const char *volume, uint32_t first,
		     uint32_t last, int tier)
{
	struct nl_msg *msg;

	if (!k->up)
		return -ENOTCONN;
	msg = couche_nl_msg(&k->nl, cmd, 0);
	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, COUCHE_DEV_A_NAME, volume) ||
	    nla_put_u32(msg, COUCHE_DEV_A_FIRST, first) ||
	    nla_put_u32(msg, COUCHE_DEV_A_LAST, last) ||
	    (tier >= 0 && nla_put_u8(msg, COUCHE_DEV_A_TIER_INDEX, tier))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return check(k, couche_nl_run(&k->nl, msg, NULL, NULL));
}

int cs_kernel_migrate(struct cs_kernel *k, const char *volume, uint32_t first,
		      uint32_t last, unsigned int tier)
{
	return range_cmd(k, COUCHE_CMD_MIGRATE, volume, first, last, (int)tier);
}

int cs_kernel_pin(struct cs_kernel *k, const char *volume, uint32_t first, uint32_t last,
		  unsigned int tier)
{
	return range_cmd(k, COUCHE_CMD_PIN, volume, first, last, (int)tier);
}

int cs_kernel_unpin(struct cs_kernel *k, const char *volume, uint32_t first, uint32_t last)
{
	return range_cmd(k, COUCHE_CMD_UNPIN, volume, first, last, -1);
}

int cs_kernel_set_params(struct cs_kernel *k, const char *volume, const uint32_t *params,
			 uint32_t mask)
{
	struct nl_msg *msg;
	struct nlattr *nest;
	int i;

	if (!k->up)
		return -ENOTCONN;
	msg = couche_nl_msg(&k->nl, COUCHE_CMD_SET_PARAMS, 0);
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
	return check(k, couche_nl_run(&k->nl, msg, NULL, NULL));
fail:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int cs_kernel_event_fd(struct cs_kernel *k)
{
	return k->up ? nl_socket_get_fd(k->ev.sk) : -1;
}

/* Everything queued on the events socket; returns how many reads were done. */
int cs_kernel_events(struct cs_kernel *k, couche_event_fn fn, void *arg)
{
	return k->up ? couche_nl_events(&k->ev, fn, arg, NULL) : 0;
}
