/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcouche: talking to the "couche" generic-netlink family.  No printing:
 * every error is a negative errno, with the kernel's explanation (or
 * ours) in nl->err.
 */
#ifndef LIBCOUCHE_NL_H
#define LIBCOUCHE_NL_H

#include <stdbool.h>
#include <netlink/genl/genl.h>
#include <linux/dm-couche.h>

struct couche_nl {
	struct nl_sock *sk;
	int family;
	char err[256];		/* the kernel's explanation of the last error */
};

/* A reply message handler; returns NL_OK to go on. */
typedef int (*couche_nl_fn)(struct nl_msg *msg, void *arg);

/* -ENOENT if the module is not loaded, -EIO, -ENOMEM. */
int couche_nl_connect(struct couche_nl *nl);
void couche_nl_close(struct couche_nl *nl);
struct nl_msg *couche_nl_msg(struct couche_nl *nl, uint8_t cmd, int flags);
/* DEV as couche_parse_dev() takes it; -ENODEV, -EINVAL, -EMSGSIZE. */
int couche_nl_put_dev(struct nl_msg *msg, const char *dev);
/*
 * Sends @msg (and frees it), hands every reply to @fn, returns 0 or a
 * negative errno; -EINTR if a dump was interrupted by a change (the
 * caller starts it again or takes what it got).
 */
int couche_nl_run(struct couche_nl *nl, struct nl_msg *msg, couche_nl_fn fn, void *arg);
/* Joins the events group (the socket then reads events only). */
int couche_nl_subscribe(struct couche_nl *nl);

/* Attributes of a reply, parsed with the family's attribute space. */
int couche_nl_parse(struct nl_msg *msg, struct nlattr **tb);
/* For the nests of a GET_DEVICE reply. */
extern struct nla_policy couche_nl_tier_policy[], couche_nl_member_policy[],
	couche_nl_param_policy[];

#endif /* LIBCOUCHE_NL_H */
