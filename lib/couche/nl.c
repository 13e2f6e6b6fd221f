// SPDX-License-Identifier: GPL-2.0
/*
 * libcouche: the couche generic-netlink family on libnl-genl: connect,
 * build requests, run a request to its end (ACK, DONE or error) and keep
 * the kernel's extended-ack message in nl->err for the caller to show.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/sysmacros.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>

#include "devspec.h"
#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

int couche_nl_connect(struct couche_nl *nl)
{
	struct timeval tmo = { .tv_sec = 30 };
	int one = 1, r;

	memset(nl, 0, sizeof(*nl));
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		snprintf(nl->err, sizeof(nl->err), "out of memory");
		return -ENOMEM;
	}
	r = genl_connect(nl->sk);
	if (r < 0) {
		snprintf(nl->err, sizeof(nl->err), "cannot open a netlink socket: %s",
			 nl_geterror(r));
		nl_socket_free(nl->sk);
		nl->sk = NULL;
		return -EIO;
	}
	/* Big dumps: one message can carry about 1600 extents. */
	nl_socket_set_buffer_size(nl->sk, 4 << 20, 0);
	nl_socket_set_msg_buf_size(nl->sk, 65536);
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	/* A reply never takes this long: give up rather than hang. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	nl->family = genl_ctrl_resolve(nl->sk, COUCHE_GENL_NAME);
	if (nl->family < 0) {
		snprintf(nl->err, sizeof(nl->err), "the dm-couche module is not loaded (its "
			 "netlink family \"%s\" is missing): run 'modprobe dm-couche'",
			 COUCHE_GENL_NAME);
		nl_socket_free(nl->sk);
		nl->sk = NULL;
		return -ENOENT;
	}
	return 0;
}

void couche_nl_close(struct couche_nl *nl)
{
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

struct nl_msg *couche_nl_msg(struct couche_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, flags, cmd,
				COUCHE_GENL_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

/* DEV: a dm name, /dev/mapper/NAME, a device node, or MAJOR:MINOR. */
int couche_nl_put_dev(struct nl_msg *msg, const char *dev)
{
	unsigned int major, minor;
	struct stat st;
	char name[COUCHE_DEV_NAME_LEN];

	switch (couche_parse_dev(dev, name, sizeof(name), &major, &minor)) {
	case COUCHE_DEVSPEC_NAME:
		return nla_put_string(msg, COUCHE_DEV_A_NAME, name);
	case COUCHE_DEVSPEC_PATH:
		if (stat(dev, &st) || !S_ISBLK(st.st_mode))
			return -ENODEV;
		major = major(st.st_rdev);
		minor = minor(st.st_rdev);
		/* fall through */
	case COUCHE_DEVSPEC_NUMBER:
		if (nla_put_u32(msg, COUCHE_DEV_A_MAJOR, major) ||
		    nla_put_u32(msg, COUCHE_DEV_A_MINOR, minor))
			return -EMSGSIZE;
		return 0;
	case COUCHE_DEVSPEC_BAD:
		break;
	}
	return -EINVAL;
}

struct txn {
	struct couche_nl *nl;
	couche_nl_fn fn;
	void *arg;
	int done;
	int err;
};

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct txn *t = arg;

	return t->fn ? t->fn(msg, t->arg) : NL_OK;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct txn *t = arg;

	(void)msg;
	t->done = 1;
	return NL_STOP;
}

/* A dump ends with DONE, which carries its error if it broke off. */
static int on_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct txn *t = arg;

	if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) && *(int *)nlmsg_data(nlh) < 0)
		t->err = *(int *)nlmsg_data(nlh);
	t->done = 1;
	return NL_STOP;
}

/* The extended ack's text follows the error (and the request, if not capped). */
static void keep_extack(struct couche_nl *nl, struct nlmsgerr *e)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = sizeof(*e);
	int len;

	nl->err[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)off;
	if (len <= 0 || nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off),
				  len, NULL))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(nl->err, sizeof(nl->err), "%s", nla_get_string(tb[NLMSGERR_ATTR_MSG]));
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct txn *t = arg;

	(void)who;
	t->err = e->error;
	if (e->error)
		keep_extack(t->nl, e);
	t->done = 1;
	return NL_STOP;
}

/*
 * Sends @msg (and frees it), hands every reply to @fn, returns 0 or a
 * negative errno; -EINTR if a dump was interrupted by a change (the caller
 * starts it again).
 */
int couche_nl_run(struct couche_nl *nl, struct nl_msg *msg, couche_nl_fn fn, void *arg)
{
	struct txn t = { .nl = nl, .fn = fn, .arg = arg };
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int r;

	nl->err[0] = '\0';
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &t);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &t);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &t);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &t);
	r = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	while (r >= 0 && !t.done)
		r = nl_recvmsgs(nl->sk, cb);
	nl_cb_put(cb);
	if (r == -NLE_DUMP_INTR)
		return -EINTR;
	if (r < 0 && !t.err) {
		snprintf(nl->err, sizeof(nl->err), "%s", nl_geterror(r));
		return -EIO;
	}
	return t.err;
}

int couche_nl_subscribe(struct couche_nl *nl)
{
	int grp = genl_ctrl_resolve_grp(nl->sk, COUCHE_GENL_NAME, COUCHE_GENL_MCGRP_EVENTS);

	if (grp < 0)
		return -ENOENT;
	nl_socket_disable_seq_check(nl->sk);
	return nl_socket_add_membership(nl->sk, grp) ? -EIO : 0;
}

/*
 * What the kernel sends, typed: libnl then refuses an attribute shorter
 * than its type or a string without its NUL, so no reader can run past
 * one (the netlink fuzzer, fuzz/fuzz_netlink.c, sends such messages).
 */
#define U8 { .type = NLA_U8 }
#define U32 { .type = NLA_U32 }
#define U64 { .type = NLA_U64 }
#define STR { .type = NLA_STRING }
#define NEST { .type = NLA_NESTED }

static struct nla_policy dev_policy[COUCHE_DEV_A_MAX + 1] = {
	[COUCHE_DEV_A_NAME] = STR, [COUCHE_DEV_A_MAJOR] = U32, [COUCHE_DEV_A_MINOR] = U32,
	[COUCHE_DEV_A_UUID] = STR, [COUCHE_DEV_A_LEN_SECTORS] = U64,
	[COUCHE_DEV_A_EXTENT_SECTORS] = U64, [COUCHE_DEV_A_NR_EXTENTS] = U32,
	[COUCHE_DEV_A_META_USED] = U64, [COUCHE_DEV_A_META_TOTAL] = U64,
	[COUCHE_DEV_A_FLAGS] = U32, [COUCHE_DEV_A_PARAMS] = NEST, [COUCHE_DEV_A_TIERS] = NEST,
	[COUCHE_DEV_A_TIER] = NEST, [COUCHE_DEV_A_MIG_QUEUED] = U64,
	[COUCHE_DEV_A_MIG_RUNNING] = U32, [COUCHE_DEV_A_MIG_DONE] = U64,
	[COUCHE_DEV_A_MIG_FAILED] = U64, [COUCHE_DEV_A_CACHE_HITS] = U64,
	[COUCHE_DEV_A_CACHE_MISSES] = U64, [COUCHE_DEV_A_SCRUB_RUNNING] = U8,
	[COUCHE_DEV_A_SCRUB_CHECKED] = U64, [COUCHE_DEV_A_SCRUB_REPAIRED] = U64,
	[COUCHE_DEV_A_SCRUB_UNREPAIRABLE] = U64, [COUCHE_DEV_A_SCRUB_TOTAL] = U64,
	[COUCHE_DEV_A_FIRST] = U32, [COUCHE_DEV_A_LAST] = U32, [COUCHE_DEV_A_TIER_INDEX] = U8,
	[COUCHE_DEV_A_TIER_NAME] = STR, [COUCHE_DEV_A_FILTER_TIER] = U8,
	[COUCHE_DEV_A_TOP] = U32, [COUCHE_DEV_A_BOTTOM] = U32,
	[COUCHE_DEV_A_QUEUED] = U64, [COUCHE_DEV_A_EVENT] = U8, [COUCHE_DEV_A_MEMBER] = U8,
	[COUCHE_DEV_A_DONE] = U64, [COUCHE_DEV_A_TOTAL] = U64, [COUCHE_DEV_A_ERROR] = U32,
	[COUCHE_DEV_A_EVENTS_DROPPED] = U64, [COUCHE_DEV_A_MAPPED_ONLY] = { .type = NLA_FLAG },
	[COUCHE_DEV_A_DEMOTED] = U64, [COUCHE_DEV_A_WAITING] = U32,
	[COUCHE_DEV_A_NOSPACE] = U64, [COUCHE_DEV_A_UNMAPPED] = U64,
	[COUCHE_DEV_A_READ_CORRECTED] = U64, [COUCHE_DEV_A_READ_UNCORRECTABLE] = U64,
};

struct nla_policy couche_nl_tier_policy[COUCHE_TIER_A_MAX + 1] = {
	[COUCHE_TIER_A_INDEX] = U8, [COUCHE_TIER_A_NAME] = STR, [COUCHE_TIER_A_KIND] = U8,
	[COUCHE_TIER_A_K] = U32, [COUCHE_TIER_A_CHUNK_SECTORS] = U32,
	[COUCHE_TIER_A_SLOTS] = U32, [COUCHE_TIER_A_USED] = U32,
	[COUCHE_TIER_A_RESERVE] = U32, [COUCHE_TIER_A_REBUILD_DONE] = U32,
	[COUCHE_TIER_A_MEMBERS] = NEST, [COUCHE_TIER_A_MEMBER] = NEST,
	[COUCHE_TIER_A_WM_HIGH] = U32,
};

struct nla_policy couche_nl_member_policy[COUCHE_MEMBER_A_MAX + 1] = {
	[COUCHE_MEMBER_A_INDEX] = U8, [COUCHE_MEMBER_A_DEV] = STR,
	[COUCHE_MEMBER_A_STATE] = U8, [COUCHE_MEMBER_A_READ_ERRORS] = U64,
};

struct nla_policy couche_nl_param_policy[COUCHE_PARAM_A_MAX + 1] = {
	[COUCHE_PARAM_A_MAX_MIGRATIONS] = U32, [COUCHE_PARAM_A_MIGRATION_MBPS] = U32,
	[COUCHE_PARAM_A_HEAT_HALFLIFE_S] = U32, [COUCHE_PARAM_A_CACHE_MB] = U32,
	[COUCHE_PARAM_A_RESERVE_PCT] = U32,
};

int couche_nl_parse(struct nl_msg *msg, struct nlattr **tb)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);

	/* A message too short for its genl header is nothing to parse. */
	if (!genlmsg_valid_hdr(h, 0))
		return -EINVAL;
	return genlmsg_parse(h, 0, tb, COUCHE_DEV_A_MAX, dev_policy);
}
