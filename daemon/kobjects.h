/* SPDX-License-Identifier: GPL-2.0 */
/*
 * couchestord: the Kubernetes objects the controller follows, decoded to
 * what it uses: PersistentVolumeClaims and their annotations, the
 * PersistentVolumes they are bound to (node and dm name), StoragePolicies
 * and CoucheStorNodes (one per node: the intents the controller publishes
 * in spec, what the agent reports in status).
 */
#ifndef COUCHESTORD_KOBJECTS_H
#define COUCHESTORD_KOBJECTS_H

#include <json-c/json.h>

#define CS_ANN_POLICY "couchestor.io/policy"
#define CS_ANN_FORCE_TIER "couchestor.io/force-tier"
#define CS_ANN_NODE "couchestor.io/node"
#define CS_ANN_DM_NAME "couchestor.io/dm-name"

#define CS_NODES_PATH "/apis/couchestor.io/v1alpha1/couchestornodes"
#define CS_POLICIES_PATH "/apis/couchestor.io/v1alpha1/storagepolicies"

/*
 * PVCs and PVs are the many (10,000s): their strings live in the same
 * allocation as the struct (cs_k_free() frees both), "" when absent.
 */
struct cs_k_pvc {
	char *uid, *ns, *name;
	char *volume;		/* spec.volumeName: the PV */
	char *policy;		/* the annotation, as written */
	char *force_tier;
};

struct cs_k_pv {
	char *uid, *name;
	char *node;		/* the annotation, else a required hostname affinity */
	char *dm_name;		/* the annotation, else the PV's name */
};

/* A copy in one allocation (free() it), for a round's snapshot. */
struct cs_k_pvc *cs_k_pvc_dup(const struct cs_k_pvc *c);
struct cs_k_pv *cs_k_pv_dup(const struct cs_k_pv *v);

struct cs_k_policy {
	char uid[40], ns[64], name[254];
	long generation;
	char invalid[256];	/* why the spec is refused; empty if it is good */
	struct json_object *spec, *status;
};

struct cs_k_node {
	char uid[40], name[254], rv[32];
	struct json_object *meta, *spec, *status;	/* meta: kept whole for a PUT */
};

void *cs_k_pvc_decode(struct json_object *o);
void *cs_k_pv_decode(struct json_object *o);
void *cs_k_policy_decode(struct json_object *o);
void *cs_k_node_decode(struct json_object *o);
void cs_k_free(void *item);
void cs_k_policy_free(void *item);
void cs_k_node_free(void *item);

/*
 * A StoragePolicy spec as the guide writes it: tiers[] named hot, warm
 * or cold with a non-negative iopsThreshold, no tier twice; migration's
 * strategy, schedule (cron), cooldownPeriod (duration), maxConcurrent.
 * 0, or -1 with the first thing wrong in @why.
 */
int cs_k_policy_check(struct json_object *spec, char *why, size_t len);

/* A string at a dotted path of @o ("metadata.name"), or NULL. */
const char *cs_k_str(struct json_object *o, const char *path);

/* The item of the array @o.@list whose @key is @value ("volumes", "name", "vol0"), or NULL. */
struct json_object *cs_k_item(struct json_object *o, const char *list, const char *key,
			      const char *value);

#endif /* COUCHESTORD_KOBJECTS_H */
