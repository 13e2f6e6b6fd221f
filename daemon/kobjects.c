// SPDX-License-Identifier: GPL-2.0
/* couchestord: Kubernetes objects decoded for the controller and the agent. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "duration.h"
#include "kobjects.h"

static struct json_object *at(struct json_object *o, const char *path)
{
	char part[128];
	const char *p = path, *dot;

	while (o && *p) {
		dot = strchr(p, '.');
		snprintf(part, sizeof(part), "%.*s", (int)(dot ? dot - p : (long)strlen(p)), p);
		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, part, &o))
			return NULL;
		p = dot ? dot + 1 : p + strlen(p);
	}
	return o;
}

const char *cs_k_str(struct json_object *o, const char *path)
{
	o = at(o, path);
	return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

struct json_object *cs_k_item(struct json_object *o, const char *list, const char *key,
			      const char *value)
{
	struct json_object *a;
	size_t i;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, list, &a) || !json_object_is_type(a, json_type_array))
		return NULL;
	for (i = 0; i < json_object_array_length(a); i++) {
		const char *n = cs_k_str(json_object_array_get_idx(a, i), key);

		if (n && !strcmp(n, value))
			return json_object_array_get_idx(a, i);
	}
	return NULL;
}

/* Annotations are keyed by names with dots: not a dotted path. */
static const char *annotation(struct json_object *o, const char *key)
{
	struct json_object *a = at(o, "metadata.annotations"), *v;

	if (!a || !json_object_is_type(a, json_type_object) ||
	    !json_object_object_get_ex(a, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/*
 * A struct of @n string pointers followed by the strings: one allocation.
 * Each string is cut to @max bytes (Kubernetes names are shorter).
 */
static void *pack(size_t size, int n, const size_t off[], const char *const src[], size_t max)
{
	size_t len = size, l[8];
	char *block, *p;
	int i;

	for (i = 0; i < n; i++) {
		l[i] = src[i] ? strnlen(src[i], max) : 0;
		len += l[i] + 1;
	}
	block = calloc(1, len);
	if (!block)
		return NULL;
	p = block + size;
	for (i = 0; i < n; i++) {
		memcpy(block + off[i], &p, sizeof(p));
		memcpy(p, src[i] ? src[i] : "", l[i]);
		p[l[i]] = '\0';
		p += l[i] + 1;
	}
	return block;
}

#define PVC_FIELDS { offsetof(struct cs_k_pvc, uid), offsetof(struct cs_k_pvc, ns), \
	offsetof(struct cs_k_pvc, name), offsetof(struct cs_k_pvc, volume), \
	offsetof(struct cs_k_pvc, policy), offsetof(struct cs_k_pvc, force_tier) }
#define PV_FIELDS { offsetof(struct cs_k_pv, uid), offsetof(struct cs_k_pv, name), \
	offsetof(struct cs_k_pv, node), offsetof(struct cs_k_pv, dm_name) }

void *cs_k_pvc_decode(struct json_object *o)
{
	static const size_t f[] = PVC_FIELDS;
	const char *src[] = { cs_k_str(o, "metadata.uid"), cs_k_str(o, "metadata.namespace"),
		cs_k_str(o, "metadata.name"), cs_k_str(o, "spec.volumeName"),
		annotation(o, CS_ANN_POLICY), annotation(o, CS_ANN_FORCE_TIER) };

	return pack(sizeof(struct cs_k_pvc), 6, f, src, 320);
}

struct cs_k_pvc *cs_k_pvc_dup(const struct cs_k_pvc *c)
{
	static const size_t f[] = PVC_FIELDS;
	const char *src[] = { c->uid, c->ns, c->name, c->volume, c->policy, c->force_tier };

	return pack(sizeof(struct cs_k_pvc), 6, f, src, 320);
}

struct cs_k_pv *cs_k_pv_dup(const struct cs_k_pv *v)
{
	static const size_t f[] = PV_FIELDS;
	const char *src[] = { v->uid, v->name, v->node, v->dm_name };

	return pack(sizeof(struct cs_k_pv), 4, f, src, 320);
}

/* A local or topology-pinned PV: a required affinity to one hostname. */
static const char *affinity_host(struct json_object *o)
{
	struct json_object *terms = at(o, "spec.nodeAffinity.required.nodeSelectorTerms");
	size_t i, j;

	if (!terms || !json_object_is_type(terms, json_type_array))
		return NULL;
	for (i = 0; i < json_object_array_length(terms); i++) {
		struct json_object *ex = at(json_object_array_get_idx(terms, i), "matchExpressions");

		if (!ex || !json_object_is_type(ex, json_type_array))
			continue;
		for (j = 0; j < json_object_array_length(ex); j++) {
			struct json_object *e = json_object_array_get_idx(ex, j);
			struct json_object *vals = at(e, "values");
			const char *key = cs_k_str(e, "key"), *op = cs_k_str(e, "operator");

			if (key && op && !strcmp(key, "kubernetes.io/hostname") && !strcmp(op, "In") &&
			    vals && json_object_is_type(vals, json_type_array) &&
			    json_object_array_length(vals) == 1)
				return json_object_get_string(json_object_array_get_idx(vals, 0));
		}
	}
	return NULL;
}

void *cs_k_pv_decode(struct json_object *o)
{
	const char *node = annotation(o, CS_ANN_NODE), *dm = annotation(o, CS_ANN_DM_NAME);
	static const size_t f[] = PV_FIELDS;
	const char *src[] = { cs_k_str(o, "metadata.uid"), cs_k_str(o, "metadata.name"),
		node ? node : affinity_host(o), dm ? dm : cs_k_str(o, "metadata.name") };

	return pack(sizeof(struct cs_k_pv), 4, f, src, 320);
}

void cs_k_free(void *item)
{
	free(item);
}

static bool is_int(struct json_object *v)
{
	return v && json_object_is_type(v, json_type_int);
}

int cs_k_policy_check(struct json_object *spec, char *why, size_t len)
{
	static const char *const strategies[] = { "storage-vmotion", "nutanix-native",
		"clone-swap", "snapshot-restore", "couchestor", NULL };
	struct json_object *tiers = at(spec, "tiers"), *v;
	const char *s, *err;
	unsigned int seen = 0;
	size_t i;

	if (!spec || !json_object_is_type(spec, json_type_object))
		return snprintf(why, len, "spec: must be an object"), -1;
	if (!tiers || !json_object_is_type(tiers, json_type_array) ||
	    !json_object_array_length(tiers))
		return snprintf(why, len, "spec.tiers: at least one tier is required"), -1;
	for (i = 0; i < json_object_array_length(tiers); i++) {
		struct json_object *t = json_object_array_get_idx(tiers, i);
		const char *name = cs_k_str(t, "name");
		int bit;

		if (!name || (strcmp(name, "hot") && strcmp(name, "warm") && strcmp(name, "cold")))
			return snprintf(why, len, "spec.tiers[%zu].name: must be hot, warm or cold",
					i), -1;
		bit = name[0] == 'h' ? 1 : name[0] == 'w' ? 2 : 4;
		if (seen & bit)
			return snprintf(why, len, "spec.tiers[%zu].name: %s appears twice", i, name), -1;
		seen |= bit;
		v = at(t, "iopsThreshold");
		if (v && (!is_int(v) || json_object_get_int64(v) < 0))
			return snprintf(why, len, "spec.tiers[%zu].iopsThreshold: must be an integer "
					">= 0", i), -1;
	}
	if ((s = cs_k_str(spec, "migration.strategy"))) {
		for (i = 0; strategies[i] && strcmp(strategies[i], s); i++)
			;
		if (!strategies[i])
			return snprintf(why, len, "spec.migration.strategy: \"%s\" is not one of "
					"storage-vmotion, nutanix-native, clone-swap, "
					"snapshot-restore, couchestor", s), -1;
	}
	if ((s = cs_k_str(spec, "migration.schedule"))) {
		struct cs_cron c;
		char e[128];

		if (cs_cron_parse(s, &c, e, sizeof(e)))
			return snprintf(why, len, "spec.migration.schedule: %s", e), -1;
	}
	if ((s = cs_k_str(spec, "migration.cooldownPeriod"))) {
		uint64_t ms;

		if (cs_duration_parse(s, &ms, &err))
			return snprintf(why, len, "spec.migration.cooldownPeriod: %s", err), -1;
	}
	v = at(spec, "migration.maxConcurrent");
	if (v && (!is_int(v) || json_object_get_int64(v) < 1 || json_object_get_int64(v) > 64))
		return snprintf(why, len, "spec.migration.maxConcurrent: must be an integer from 1 "
				"to 64"), -1;
	why[0] = '\0';
	return 0;
}

void *cs_k_policy_decode(struct json_object *o)
{
	struct cs_k_policy *p = calloc(1, sizeof(*p));
	struct json_object *g = at(o, "metadata.generation");

	if (!p)
		return NULL;
	copy(p->uid, sizeof(p->uid), cs_k_str(o, "metadata.uid"));
	copy(p->ns, sizeof(p->ns), cs_k_str(o, "metadata.namespace"));
	copy(p->name, sizeof(p->name), cs_k_str(o, "metadata.name"));
	p->generation = is_int(g) ? json_object_get_int64(g) : 0;
	p->spec = json_object_get(at(o, "spec"));
	p->status = json_object_get(at(o, "status"));
	cs_k_policy_check(p->spec, p->invalid, sizeof(p->invalid));
	return p;
}

void cs_k_policy_free(void *item)
{
	struct cs_k_policy *p = item;

	json_object_put(p->spec);
	json_object_put(p->status);
	free(p);
}

void *cs_k_node_decode(struct json_object *o)
{
	struct cs_k_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	copy(n->uid, sizeof(n->uid), cs_k_str(o, "metadata.uid"));
	copy(n->name, sizeof(n->name), cs_k_str(o, "metadata.name"));
	copy(n->rv, sizeof(n->rv), cs_k_str(o, "metadata.resourceVersion"));
	n->meta = json_object_get(at(o, "metadata"));
	n->spec = json_object_get(at(o, "spec"));
	n->status = json_object_get(at(o, "status"));
	return n;
}

void cs_k_node_free(void *item)
{
	struct cs_k_node *n = item;

	json_object_put(n->meta);
	json_object_put(n->spec);
	json_object_put(n->status);
	free(n);
}
