// SPDX-License-Identifier: GPL-2.0
/*
 * couchestorctl: the GET_EXTENTS dump.  A dump the kernel flags as
 * interrupted still lists every extent once, each as it was at some moment
 * of the dump; only a point-in-time view of the whole map is lost.  It is
 * started again a few times, then taken as it is: under constant
 * migrations no dump of a large volume would ever be whole.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "extents.h"

#define CTL_DUMP_RETRIES 3

static int add_extents(struct nl_msg *msg, void *arg)
{
	struct ctl_extents *x = arg;
	struct nlattr *tb[COUCHE_DEV_A_MAX + 1];
	size_t n;

	x->messages++;
	x->bytes += nlmsg_hdr(msg)->nlmsg_len;
	if (ctl_nl_parse(msg, tb) || !tb[COUCHE_DEV_A_EXTENTS])
		return NL_OK;
	n = nla_len(tb[COUCHE_DEV_A_EXTENTS]) / sizeof(*x->v);
	if (x->n + n > x->cap) {
		size_t cap = (x->cap ? x->cap * 2 : 4096) + n;
		struct couche_extent_info *v = realloc(x->v, cap * sizeof(*v));

		if (!v)
			return NL_STOP;
		x->v = v;
		x->cap = cap;
	}
	memcpy(x->v + x->n, nla_data(tb[COUCHE_DEV_A_EXTENTS]), n * sizeof(*x->v));
	x->n += n;
	return NL_OK;
}

static struct nl_msg *build(struct ctl_nl *nl, const struct ctl_extents_req *req)
{
	struct nl_msg *msg = ctl_nl_msg(nl, COUCHE_CMD_GET_EXTENTS, NLM_F_DUMP);

	if (!msg)
		return NULL;
	if (ctl_nl_put_dev(msg, req->dev) ||
	    (req->has_range && (nla_put_u32(msg, COUCHE_DEV_A_FIRST, req->first) ||
				nla_put_u32(msg, COUCHE_DEV_A_LAST, req->last))) ||
	    (req->tier >= 0 && nla_put_u8(msg, COUCHE_DEV_A_FILTER_TIER, req->tier)) ||
	    (req->written && nla_put_flag(msg, COUCHE_DEV_A_MAPPED_ONLY)) ||
	    (req->top && nla_put_u32(msg, COUCHE_DEV_A_TOP, req->top)) ||
	    (req->bottom && nla_put_u32(msg, COUCHE_DEV_A_BOTTOM, req->bottom))) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int ctl_extents_get(struct ctl_nl *nl, const struct ctl_extents_req *req,
		    struct ctl_extents *out)
{
	struct nl_msg *msg;
	int r;

	memset(out, 0, sizeof(*out));
	for (;;) {
		out->n = 0;
		msg = build(nl, req);
		if (!msg) {
			snprintf(nl->err, sizeof(nl->err), "'%s' is not a volume name or device",
				 req->dev);
			return -ENODEV;
		}
		r = ctl_nl_run(nl, msg, add_extents, out);
		if (r != -EINTR || out->retries == CTL_DUMP_RETRIES)
			break;
		out->retries++;
	}
	if (r == -EINTR) {
		out->interrupted = 1;
		r = 0;
	}
	return r;
}

void ctl_extents_free(struct ctl_extents *x)
{
	free(x->v);
	memset(x, 0, sizeof(*x));
}
