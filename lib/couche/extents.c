// SPDX-License-Identifier: GPL-2.0
/*
 * libcouche: the GET_EXTENTS dump.  A dump the kernel flags as
 * interrupted still lists every extent once, each as it was at some moment
 * of the dump; only a point-in-time view of the whole map is lost.  The
 * collecting form starts it again a few times, then takes it as it is:
 * under constant migrations no dump of a large volume would ever be whole.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extents.h"

#define DUMP_RETRIES 3

int couche_extents_parse(struct nl_msg *msg, couche_extent_fn fn, void *arg)
{
	struct nlattr *tb[COUCHE_DEV_A_MAX + 1];
	struct couche_extent_info x;
	const char *p;
	size_t i, n;

	if (couche_nl_parse(msg, tb) || !tb[COUCHE_DEV_A_EXTENTS])
		return -EINVAL;
	p = nla_data(tb[COUCHE_DEV_A_EXTENTS]);
	n = nla_len(tb[COUCHE_DEV_A_EXTENTS]) / sizeof(x);
	for (i = 0; i < n; i++) {
		/* Attribute data is only 4-byte aligned. */
		memcpy(&x, p + i * sizeof(x), sizeof(x));
		if (fn(&x, arg))
			return -ECANCELED;
	}
	return 0;
}

struct walk_state {
	struct couche_extents_walk *w;
	int stopped;
};

static int on_reply(struct nl_msg *msg, void *arg)
{
	struct walk_state *s = arg;

	s->w->messages++;
	s->w->bytes += nlmsg_hdr(msg)->nlmsg_len;
	/* Read on to DONE after a stop: leaving now would leave the dump queued. */
	if (!s->stopped && couche_extents_parse(msg, s->w->fn, s->w->arg) == -ECANCELED)
		s->stopped = 1;
	return NL_OK;
}

static struct nl_msg *build(struct couche_nl *nl, const struct couche_extents_req *req)
{
	struct nl_msg *msg = couche_nl_msg(nl, COUCHE_CMD_GET_EXTENTS, NLM_F_DUMP);
	int bad;

	if (!msg)
		return NULL;
	bad = req->name ? nla_put_string(msg, COUCHE_DEV_A_NAME, req->name) :
		couche_nl_put_dev(msg, req->dev);
	if (bad ||
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

int couche_extents_walk(struct couche_nl *nl, const struct couche_extents_req *req,
			struct couche_extents_walk *w)
{
	struct walk_state s = { .w = w };
	struct nl_msg *msg = build(nl, req);
	int r;

	if (!msg) {
		snprintf(nl->err, sizeof(nl->err), "'%s' is not a volume name or device",
			 req->name ?: req->dev);
		return -ENODEV;
	}
	r = couche_nl_run(nl, msg, on_reply, &s);
	return r ? r : s.stopped ? -ECANCELED : 0;
}

static int add_extent(const struct couche_extent_info *x, void *arg)
{
	struct couche_extents *out = arg;

	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 4096;
		struct couche_extent_info *v = realloc(out->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		out->v = v;
		out->cap = cap;
	}
	out->v[out->n++] = *x;
	return 0;
}

int couche_extents_get(struct couche_nl *nl, const struct couche_extents_req *req,
		       struct couche_extents *out)
{
	struct couche_extents_walk w = { .fn = add_extent, .arg = out };
	int r;

	memset(out, 0, sizeof(*out));
	for (;;) {
		out->n = 0;
		r = couche_extents_walk(nl, req, &w);
		if (r != -EINTR || out->retries == DUMP_RETRIES)
			break;
		out->retries++;
	}
	out->messages = w.messages;
	out->bytes = w.bytes;
	if (r == -ECANCELED) {
		snprintf(nl->err, sizeof(nl->err), "out of memory for the extent list");
		r = -ENOMEM;
	}
	if (r == -EINTR) {
		out->interrupted = 1;
		r = 0;
	}
	return r;
}

void couche_extents_free(struct couche_extents *x)
{
	free(x->v);
	memset(x, 0, sizeof(*x));
}
