/* SPDX-License-Identifier: GPL-2.0 */
/*
 * couchestord controller: from the cached PVCs, PVs, StoragePolicies and
 * CoucheStorNodes to what should be written: each node's intents (its
 * CoucheStorNode spec), each policy's status, and the Events users watch.
 * Pure: no I/O, so the tests and the scale benchmark run it directly.
 * A volume's node: its PV's couchestor.io/node annotation, else a
 * required hostname affinity, else the one node whose agent reports a
 * dm-couche volume of its name.
 */
#ifndef COUCHESTORD_RECONCILE_H
#define COUCHESTORD_RECONCILE_H

#include <stddef.h>
#include <json-c/json.h>

#include "kobjects.h"

struct cs_world {
	struct cs_k_pvc **pvcs;		/* each its own allocation */
	size_t nr_pvcs;
	struct cs_k_pv **pvs;		/* sorted by name after cs_world_index() */
	size_t nr_pvs;
	struct cs_k_policy *policies;	/* json: copies, owned */
	size_t nr_policies;
	struct cs_k_node *nodes;	/* json: copies, owned */
	size_t nr_nodes;
	const char *home_ns;		/* the controller's namespace */
	/* Worked out once by cs_world_index(): */
	const struct cs_k_policy **pvc_policy;	/* per PVC, the policy it names */
	struct cs_policy_tally *tallies;	/* per policy */
};

/* A policy's volumes as the agents report them, and the PVCs naming it. */
struct cs_policy_tally {
	long selecting;
	long by_tier[3], unknown;	/* hot, warm, cold, not reported */
	long done, failed;		/* migrations */
};

/* Sorts the PVs and works out what every PVC names and every policy counts; -1 out of memory. */
int cs_world_index(struct cs_world *w);
/* Frees what the world holds (the PVCs and PVs each, the JSON copies). */
void cs_world_free(struct cs_world *w);

/* One node's desired CoucheStorNode spec. */
struct cs_node_plan {
	char node[254];
	struct json_object *spec;	/* {"volumes": [...], "policies": {...}} */
};

struct cs_plan_out {
	struct cs_node_plan *nodes;	/* every node with a volume, and every CoucheStorNode */
	size_t nr_nodes;
	size_t volumes, unresolved;	/* PVCs with intents: resolved to a node, not */
};

/* The policy a PVC's annotation names: "NAME" (its namespace, then ours) or "NS/NAME". */
const struct cs_k_policy *cs_world_policy(const struct cs_world *w, const struct cs_k_pvc *c);

int cs_reconcile_nodes(const struct cs_world *w, struct cs_plan_out *out);
void cs_plan_out_free(struct cs_plan_out *out);

/*
 * A policy's status as it should be, from @w; @now for
 * lastReconcileTime and a condition that changes.  NULL if what is there
 * already says the same (no write).
 */
struct json_object *cs_reconcile_policy_status(const struct cs_world *w,
					       const struct cs_k_policy *p, const char *now);

#endif /* COUCHESTORD_RECONCILE_H */
