/* SPDX-License-Identifier: GPL-2.0 */
/* couchestorctl: talking to the "couche" generic-netlink family. */
#ifndef COUCHESTORCTL_NL_H
#define COUCHESTORCTL_NL_H

#include <stdbool.h>
#include <netlink/genl/genl.h>
#include <linux/dm-couche.h>

struct ctl_nl {
	struct nl_sock *sk;
	int family;
	char err[256];		/* the kernel's explanation of the last error */
};

/* A reply message handler; returns NL_OK to go on. */
typedef int (*ctl_nl_fn)(struct nl_msg *msg, void *arg);

int ctl_nl_open(struct ctl_nl *nl);
int ctl_nl_connect(struct ctl_nl *nl, bool quiet);
void ctl_nl_close(struct ctl_nl *nl);
struct nl_msg *ctl_nl_msg(struct ctl_nl *nl, uint8_t cmd, int flags);
int ctl_nl_put_dev(struct nl_msg *msg, const char *dev);
int ctl_nl_run(struct ctl_nl *nl, struct nl_msg *msg, ctl_nl_fn fn, void *arg);
int ctl_nl_exit_code(int err);
void ctl_nl_perror(struct ctl_nl *nl, const char *what, int err);
int ctl_nl_subscribe(struct ctl_nl *nl);

/* Attributes of a reply, parsed with the family's attribute space. */
int ctl_nl_parse(struct nl_msg *msg, struct nlattr **tb);
/* For the nests of a GET_DEVICE reply. */
extern struct nla_policy ctl_tier_policy[], ctl_member_policy[], ctl_param_policy[];

#endif /* COUCHESTORCTL_NL_H */
