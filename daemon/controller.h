/* SPDX-License-Identifier: GPL-2.0 */
/* couchestord controller: the cluster-wide role (a 2-replica Deployment). */
#ifndef COUCHESTORD_CONTROLLER_H
#define COUCHESTORD_CONTROLLER_H

#include <stdbool.h>

#include "config.h"

struct cs_controller_opts {
	const char *kubeconfig;		/* NULL: $KUBECONFIG, then in-cluster */
	bool leader_elect;
	const char *ns;			/* the Lease's and the default policies' namespace */
	const char *lease_name;
	double lease_s, renew_s, retry_s;
	double resync_s;		/* a full round at least this often (30 s) */
	double prism_check_s;		/* Prism Central's health check (30 s) */
};

/* Runs until SIGTERM/SIGINT; 0, or 1 if it could not start. */
int cs_controller_run(struct cs_config *cfg, const struct cs_controller_opts *o);

#endif /* COUCHESTORD_CONTROLLER_H */
