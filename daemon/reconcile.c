// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord controller: what the cluster asks, per node and per policy.
 *
 * A PVC takes part when it has couchestor.io/policy or
 * couchestor.io/force-tier and is bound: its PV gives the node (the
 * couchestor.io/node annotation, else a required kubernetes.io/hostname
 * affinity) and the dm-couche volume's name (couchestor.io/dm-name, else
 * the PV's name).  Each node's CoucheStorNode spec lists its volumes with
 * their intents and carries, by value, the policies they name.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile.h"

static int by_pv_name(const void *a, const void *b)
{
	return strcmp((*(struct cs_k_pv *const *)a)->name, (*(struct cs_k_pv *const *)b)->name);
}

static void tally_all(struct cs_world *w);

int cs_world_index(struct cs_world *w)
{
	size_t i;

	qsort(w->pvs, w->nr_pvs, sizeof(*w->pvs), by_pv_name);
	w->pvc_policy = calloc(w->nr_pvcs + 1, sizeof(*w->pvc_policy));
	w->tallies = calloc(w->nr_policies + 1, sizeof(*w->tallies));
	if (!w->pvc_policy || !w->tallies)
		return -1;
	for (i = 0; i < w->nr_pvcs; i++) {
		w->pvc_policy[i] = cs_world_policy(w, w->pvcs[i]);
		if (w->pvc_policy[i])
			w->tallies[w->pvc_policy[i] - w->policies].selecting++;
	}
	tally_all(w);
	return 0;
}

void cs_world_free(struct cs_world *w)
{
	size_t i;

	for (i = 0; i < w->nr_policies; i++) {
		json_object_put(w->policies[i].spec);
		json_object_put(w->policies[i].status);
	}
	for (i = 0; i < w->nr_nodes; i++) {
		json_object_put(w->nodes[i].meta);
		json_object_put(w->nodes[i].spec);
		json_object_put(w->nodes[i].status);
	}
	free(w->pvc_policy);
	free(w->tallies);
	for (i = 0; i < w->nr_pvcs; i++)
		free(w->pvcs[i]);
	for (i = 0; i < w->nr_pvs; i++)
		free(w->pvs[i]);
	free(w->pvcs);
	free(w->pvs);
	free(w->policies);
	free(w->nodes);
	memset(w, 0, sizeof(*w));
}

static const struct cs_k_pv *find_pv(const struct cs_world *w, const char *name)
{
	struct cs_k_pv key = { .name = (char *)name }, *k = &key, **hit;

	hit = bsearch(&k, w->pvs, w->nr_pvs, sizeof(*w->pvs), by_pv_name);
	return hit ? *hit : NULL;
}

static const struct cs_k_policy *policy_in(const struct cs_world *w, const char *ns,
					   const char *name)
{
	size_t i;

	for (i = 0; i < w->nr_policies; i++)
		if (!strcmp(w->policies[i].ns, ns) && !strcmp(w->policies[i].name, name))
			return &w->policies[i];
	return NULL;
}

const struct cs_k_policy *cs_world_policy(const struct cs_world *w, const struct cs_k_pvc *c)
{
	const struct cs_k_policy *p;
	const char *slash = strchr(c->policy, '/');
	char ns[256];

	if (!c->policy[0])
		return NULL;
	if (slash) {
		snprintf(ns, sizeof(ns), "%.*s", (int)(slash - c->policy), c->policy);
		return policy_in(w, ns, slash + 1);
	}
	p = policy_in(w, c->ns, c->policy);
	return p ? p : w->home_ns ? policy_in(w, w->home_ns, c->policy) : NULL;
}

static struct cs_node_plan *plan_for(struct cs_plan_out *out, const char *node)
{
	struct cs_node_plan *n;
	size_t i;

	for (i = 0; i < out->nr_nodes; i++)
		if (!strcmp(out->nodes[i].node, node))
			return &out->nodes[i];
	n = realloc(out->nodes, sizeof(*n) * (out->nr_nodes + 1));
	if (!n)
		return NULL;
	out->nodes = n;
	n = &out->nodes[out->nr_nodes++];
	snprintf(n->node, sizeof(n->node), "%s", node);
	n->spec = json_object_new_object();
	json_object_object_add(n->spec, "volumes", json_object_new_array());
	json_object_object_add(n->spec, "policies", json_object_new_object());
	return n;
}

/* What the agent needs of a policy: thresholds and the migration knobs. */
static struct json_object *policy_digest(const struct cs_k_policy *p)
{
	struct json_object *d = json_object_new_object(), *v;

	if (json_object_object_get_ex(p->spec, "tiers", &v))
		json_object_object_add(d, "tiers", json_object_get(v));
	if (json_object_object_get_ex(p->spec, "migration", &v))
		json_object_object_add(d, "migration", json_object_get(v));
	json_object_object_add(d, "generation", json_object_new_int64(p->generation));
	return d;
}

static int by_volume_name(const void *a, const void *b)
{
	struct json_object *x = *(struct json_object *const *)a;
	struct json_object *y = *(struct json_object *const *)b;

	return strcmp(cs_k_str(x, "name") ?: "", cs_k_str(y, "name") ?: "");
}

/*
 * The node whose agent reports a volume of that name: where a network
 * volume (a CSI volume group, attached wherever its pod runs) is, when
 * its PV names no node.  NULL if none, or more than one.
 */
static const char *reported_on(const struct cs_world *w, const char *dm_name)
{
	const char *node = NULL;
	size_t i;

	for (i = 0; i < w->nr_nodes; i++) {
		if (!cs_k_item(w->nodes[i].status, "volumes", "name", dm_name))
			continue;
		if (node)
			return NULL;	/* two nodes say so: a stale report; wait */
		node = w->nodes[i].name;
	}
	return node;
}

int cs_reconcile_nodes(const struct cs_world *w, struct cs_plan_out *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	/* Every node already known gets a plan: one that lost its volumes is emptied. */
	for (i = 0; i < w->nr_nodes; i++)
		if (!plan_for(out, w->nodes[i].name))
			return -1;
	for (i = 0; i < w->nr_pvcs; i++) {
		const struct cs_k_pvc *c = w->pvcs[i];
		const struct cs_k_policy *p;
		const struct cs_k_pv *pv;
		struct cs_node_plan *n;
		struct json_object *v, *vols, *pols;
		char key[320], pvc[320];

		if (!c->policy[0] && !c->force_tier[0])
			continue;
		const char *node;

		pv = c->volume[0] ? find_pv(w, c->volume) : NULL;
		node = !pv ? NULL : pv->node[0] ? pv->node : reported_on(w, pv->dm_name);
		if (!node) {
			out->unresolved++;
			continue;
		}
		n = plan_for(out, node);
		if (!n)
			return -1;
		out->volumes++;
		v = json_object_new_object();
		snprintf(pvc, sizeof(pvc), "%s/%s", c->ns, c->name);
		json_object_object_add(v, "name", json_object_new_string(pv->dm_name));
		json_object_object_add(v, "pvc", json_object_new_string(pvc));
		json_object_object_add(v, "pvcUid", json_object_new_string(c->uid));
		json_object_object_add(v, "pv", json_object_new_string(pv->name));
		if (c->force_tier[0])
			json_object_object_add(v, "forceTier", json_object_new_string(c->force_tier));
		p = w->pvc_policy ? w->pvc_policy[i] : cs_world_policy(w, c);
		if (p && !p->invalid[0]) {
			snprintf(key, sizeof(key), "%s/%s", p->ns, p->name);
			json_object_object_add(v, "policy", json_object_new_string(key));
			json_object_object_get_ex(n->spec, "policies", &pols);
			if (!json_object_object_get_ex(pols, key, NULL))
				json_object_object_add(pols, key, policy_digest(p));
		}
		json_object_object_get_ex(n->spec, "volumes", &vols);
		json_object_array_add(vols, v);
	}
	/* A stable order: the same cluster gives the same spec, and no write. */
	for (i = 0; i < out->nr_nodes; i++) {
		struct json_object *vols;

		json_object_object_get_ex(out->nodes[i].spec, "volumes", &vols);
		json_object_array_sort(vols, by_volume_name);
	}
	return 0;
}

void cs_plan_out_free(struct cs_plan_out *out)
{
	size_t i;

	for (i = 0; i < out->nr_nodes; i++)
		json_object_put(out->nodes[i].spec);
	free(out->nodes);
	memset(out, 0, sizeof(*out));
}

static int by_policy_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The agents' reports, one pass over every node: each volume counted for
 * the policy its intents name, by the tier its agent reports.
 */
static void tally_all(struct cs_world *w)
{
	char (*keys)[320] = calloc(w->nr_policies + 1, sizeof(*keys));
	const char **sorted = calloc(w->nr_policies + 1, sizeof(*sorted));
	size_t i, j, k;

	if (!keys || !sorted)
		goto out;
	for (i = 0; i < w->nr_policies; i++) {
		snprintf(keys[i], sizeof(keys[i]), "%s/%s", w->policies[i].ns, w->policies[i].name);
		sorted[i] = keys[i];
	}
	qsort(sorted, w->nr_policies, sizeof(*sorted), by_policy_key);
	for (i = 0; i < w->nr_nodes; i++) {
		struct json_object *sv, *st = NULL;
		size_t hint = 0, nst;

		if (!json_object_object_get_ex(w->nodes[i].spec, "volumes", &sv) ||
		    !json_object_is_type(sv, json_type_array))
			continue;
		if (w->nodes[i].status)
			json_object_object_get_ex(w->nodes[i].status, "volumes", &st);
		nst = st && json_object_is_type(st, json_type_array) ? json_object_array_length(st) : 0;
		for (j = 0; j < json_object_array_length(sv); j++) {
			struct json_object *v = json_object_array_get_idx(sv, j), *r = NULL, *x;
			const char *pol = cs_k_str(v, "policy"), *name = cs_k_str(v, "name"), *tier;
			const char **hit;
			struct cs_policy_tally *t;

			if (!pol || !name)
				continue;
			hit = bsearch(&pol, sorted, w->nr_policies, sizeof(*sorted), by_policy_key);
			if (!hit)
				continue;
			t = &w->tallies[(char (*)[320])*hit - keys];
			/* The agent reports in the same order, mostly: start where the last one was. */
			for (k = 0; k < nst; k++) {
				struct json_object *c = json_object_array_get_idx(st, (hint + k) % nst);
				const char *n = cs_k_str(c, "name");

				if (n && !strcmp(n, name)) {
					r = c;
					hint = (hint + k + 1) % nst;
					break;
				}
			}
			tier = r ? cs_k_str(r, "tier") : NULL;
			if (tier && !strcmp(tier, "hot"))
				t->by_tier[0]++;
			else if (tier && !strcmp(tier, "warm"))
				t->by_tier[1]++;
			else if (tier && !strcmp(tier, "cold"))
				t->by_tier[2]++;
			else
				t->unknown++;
			if (r && json_object_object_get_ex(r, "migrationsCompleted", &x))
				t->done += json_object_get_int64(x);
			if (r && json_object_object_get_ex(r, "migrationsFailed", &x))
				t->failed += json_object_get_int64(x);
		}
	}
out:
	free(keys);
	free(sorted);
}

/* The status without its clock fields, to compare. */
static struct json_object *timeless(struct json_object *s)
{
	struct json_object *c = NULL, *conds, *x;
	size_t i;

	if (!s || json_object_deep_copy(s, &c, NULL))
		return NULL;
	json_object_object_del(c, "lastReconcileTime");
	if (json_object_object_get_ex(c, "conditions", &conds) &&
	    json_object_is_type(conds, json_type_array))
		for (i = 0; i < json_object_array_length(conds); i++) {
			x = json_object_array_get_idx(conds, i);
			if (json_object_is_type(x, json_type_object))
				json_object_object_del(x, "lastTransitionTime");
		}
	return c;
}

struct json_object *cs_reconcile_policy_status(const struct cs_world *w,
					       const struct cs_k_policy *p, const char *now)
{
	const struct cs_policy_tally *ta = &w->tallies[p - w->policies];
	long n = ta->selecting;
	struct json_object *s = json_object_new_object(), *t = json_object_new_object();
	struct json_object *c = json_object_new_object(), *conds = json_object_new_array();
	struct json_object *old, *a, *b;
	const char *ostatus, *oreason, *otime;
	char msg[512];
	bool same;

	json_object_object_add(s, "phase", json_object_new_string(p->invalid[0] ? "Invalid" :
								   "Active"));
	json_object_object_add(s, "observedGeneration", json_object_new_int64(p->generation));
	json_object_object_add(s, "volumes", json_object_new_int64(n));
	json_object_object_add(t, "hot", json_object_new_int64(ta->by_tier[0]));
	json_object_object_add(t, "warm", json_object_new_int64(ta->by_tier[1]));
	json_object_object_add(t, "cold", json_object_new_int64(ta->by_tier[2]));
	json_object_object_add(t, "unknown", json_object_new_int64(ta->unknown));
	json_object_object_add(s, "volumesByTier", t);
	json_object_object_add(s, "migrationsCompleted", json_object_new_int64(ta->done));
	json_object_object_add(s, "migrationsFailed", json_object_new_int64(ta->failed));
	json_object_object_add(c, "type", json_object_new_string("Ready"));
	json_object_object_add(c, "status", json_object_new_string(p->invalid[0] ? "False" : "True"));
	json_object_object_add(c, "reason", json_object_new_string(p->invalid[0] ? "InvalidSpec" :
								    "Reconciled"));
	if (p->invalid[0])
		snprintf(msg, sizeof(msg), "%s", p->invalid);
	else
		snprintf(msg, sizeof(msg), "%ld volume%s select%s this policy", n, n == 1 ? "" : "s",
			 n == 1 ? "s" : "");
	json_object_object_add(c, "message", json_object_new_string(msg));
	json_object_object_add(c, "observedGeneration", json_object_new_int64(p->generation));
	/* lastTransitionTime moves only when the condition's status does. */
	old = cs_k_item(p->status, "conditions", "type", "Ready");
	ostatus = old ? cs_k_str(old, "status") : NULL;
	oreason = old ? cs_k_str(old, "reason") : NULL;
	otime = old ? cs_k_str(old, "lastTransitionTime") : NULL;
	json_object_object_add(c, "lastTransitionTime", json_object_new_string(
		ostatus && otime && !strcmp(ostatus, p->invalid[0] ? "False" : "True") ? otime : now));
	(void)oreason;
	json_object_array_add(conds, c);
	json_object_object_add(s, "conditions", conds);
	a = timeless(s);
	b = timeless(p->status);
	same = a && b && json_object_equal(a, b);
	json_object_put(a);
	json_object_put(b);
	if (same) {
		json_object_put(s);
		return NULL;
	}
	json_object_object_add(s, "lastReconcileTime", json_object_new_string(now));
	return s;
}
