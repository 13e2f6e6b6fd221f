// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord agent, Kubernetes side.  The controller publishes this
 * node's intents in the spec of CoucheStorNode <node>; the agent watches
 * that one object (a field selector) and reports, in its status, each
 * volume's tier, extents per tier, force-tier progress and migration
 * counts.  The status is written by a thread of its own, the latest
 * report only, and only when it changed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "agent.h"
#include "agent_kube.h"
#include "cron.h"
#include "duration.h"
#include "kobjects.h"
#include "log.h"

/*
 * json-c counts references without atomics: an object the main thread
 * also holds is never touched outside the lock.  The writer works on its
 * own deep copy.
 */
static void *writer(void *arg)
{
	struct cs_agent_kube *ak = arg;
	struct cs_kube kube;
	int fails = 0;

	if (cs_kube_init(&kube, &ak->kc, &ak->stop))
		return NULL;
	pthread_mutex_lock(&ak->lock);
	while (!__atomic_load_n(&ak->stop, __ATOMIC_RELAXED)) {
		struct json_object *st = NULL, *patch;
		struct cs_kube_reply r;
		bool ok;

		if (!ak->want) {
			pthread_cond_wait(&ak->wake, &ak->lock);
			continue;
		}
		if (json_object_deep_copy(ak->want, &st, NULL)) {
			pthread_mutex_unlock(&ak->lock);
			usleep(100000);
			pthread_mutex_lock(&ak->lock);
			continue;
		}
		pthread_mutex_unlock(&ak->lock);
		patch = json_object_new_object();
		json_object_object_add(patch, "status", st);	/* patch owns st */
		ok = !cs_kube_call(&kube, "PATCH", ak->path, "application/merge-patch+json", patch,
				   10000, &r) && r.status == 200;
		if (r.status == 404) {
			/*
			 * No CoucheStorNode yet (the controller makes one for nodes with
			 * intents): ours, empty, so the report can say which volumes are
			 * here, which is how the controller finds a network volume's node.
			 */
			cs_kube_reply_free(&r);
			if (!cs_kube_call(&kube, "POST", CS_NODES_PATH, "application/json", ak->empty,
					  10000, &r) && (r.status == 201 || r.status == 409)) {
				cs_kube_reply_free(&r);
				ok = !cs_kube_call(&kube, "PATCH", ak->path,
						   "application/merge-patch+json", patch, 10000, &r) &&
					r.status == 200;
			}
		}
		pthread_mutex_lock(&ak->lock);
		ak->up = r.status != 0;
		if (ok) {
			fails = 0;
			ak->why[0] = '\0';
			json_object_put(ak->written);
			ak->written = json_object_get(st);
			if (ak->want && json_object_equal(ak->want, st)) {
				json_object_put(ak->want);
				ak->want = NULL;
			}
		} else {
			/* 404: the controller has not made our object yet; try again. */
			snprintf(ak->why, sizeof(ak->why), "cannot report to the API: %s%s",
				 r.status ? "HTTP " : "", r.status == 404 ? "404 (no CoucheStorNode yet)" :
				 r.message);
			pthread_mutex_unlock(&ak->lock);
			for (long ms = cs_kube_backoff_ms(fails++, 30000); ms > 0 &&
			     !__atomic_load_n(&ak->stop, __ATOMIC_RELAXED); ms -= 100)
				usleep(100000);
			pthread_mutex_lock(&ak->lock);
		}
		/* Under the lock: ak->written may share st. */
		json_object_put(patch);
		cs_kube_reply_free(&r);
	}
	pthread_mutex_unlock(&ak->lock);
	cs_kube_close(&kube);
	return NULL;
}

int cs_agent_kube_start(struct cs_agent *a, struct cs_agent_kube *ak, const char *kubeconfig)
{
	char err[1024], path[600], esc[300], sel[300];
	sigset_t all, old;
	int r;

	memset(ak, 0, sizeof(*ak));
	if (cs_kube_cfg_load(&ak->kc, kubeconfig, err, sizeof(err))) {
		/* Not in a cluster and not told of one: config.yaml alone, as before. */
		cs_log(kubeconfig ? CS_ERROR : CS_INFO, "no Kubernetes API: intents come from "
		       "config.yaml alone", "reason", err, NULL);
		return kubeconfig ? -1 : 0;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		cs_log(CS_ERROR, "cannot initialise libcurl", NULL);
		return -1;
	}
	snprintf(sel, sizeof(sel), "metadata.name=%s", a->node);
	snprintf(path, sizeof(path), "%s?fieldSelector=%s", CS_NODES_PATH,
		 cs_kube_escape(sel, esc, sizeof(esc)));
	snprintf(ak->path, sizeof(ak->path), "%s/%s/status", CS_NODES_PATH, a->node);
	ak->empty = json_object_new_object();
	{
		struct json_object *md = json_object_new_object(), *spec = json_object_new_object();

		json_object_object_add(md, "name", json_object_new_string(a->node));
		json_object_object_add(spec, "volumes", json_object_new_array());
		json_object_object_add(ak->empty, "apiVersion",
				       json_object_new_string("couchestor.io/v1alpha1"));
		json_object_object_add(ak->empty, "kind", json_object_new_string("CoucheStorNode"));
		json_object_object_add(ak->empty, "metadata", md);
		json_object_object_add(ak->empty, "spec", spec);
	}
	pthread_mutex_init(&ak->lock, NULL);
	pthread_cond_init(&ak->wake, NULL);
	ak->up = true;
	if (cs_informer_start(&ak->node, &ak->kc, path, "couchestornodes", cs_k_node_decode,
			      cs_k_node_free, -1, err, sizeof(err))) {
		cs_log(CS_ERROR, "cannot watch the node's intents", "error", err, NULL);
		return -1;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&ak->thread, NULL, writer, ak);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		cs_informer_stop(&ak->node);
		cs_log(CS_ERROR, "cannot start the status writer", "error", strerror(r), NULL);
		return -1;
	}
	ak->running = true;
	ak->enabled = true;
	a->kube = ak;
	cs_log(CS_INFO, "following the node's Kubernetes intents", "node", a->node, "api",
	       ak->kc.server, "credentials", ak->kc.source, NULL);
	return 0;
}

void cs_agent_kube_stop(struct cs_agent_kube *ak)
{
	if (!ak->enabled)
		return;
	cs_informer_request_stop(&ak->node);
	pthread_mutex_lock(&ak->lock);
	__atomic_store_n(&ak->stop, 1, __ATOMIC_RELAXED);
	pthread_cond_signal(&ak->wake);
	pthread_mutex_unlock(&ak->lock);
	if (ak->running)
		pthread_join(ak->thread, NULL);
	cs_informer_stop(&ak->node);
	json_object_put(ak->want);
	json_object_put(ak->written);
	json_object_put(ak->empty);
	pthread_cond_destroy(&ak->wake);
	pthread_mutex_destroy(&ak->lock);
	cs_kube_cfg_free(&ak->kc);
	ak->enabled = false;
}

struct node_ref {
	struct json_object *spec, *status;
};

/* Copies (the informer thread drops its own refs): the first, the only one. */
static void take_node(void *item, void *arg)
{
	struct cs_k_node *n = item;
	struct node_ref *r = arg;

	if (r->spec || r->status)
		return;
	if (n->spec)
		json_object_deep_copy(n->spec, &r->spec, NULL);
	if (n->status)
		json_object_deep_copy(n->status, &r->status, NULL);
}

/* config.yaml with a StoragePolicy's tiers and migration settings over it. */
static int policy_config(const struct cs_config *base, struct json_object *pol,
			 struct cs_vol_intent *in)
{
	struct json_object *tiers, *m, *v;
	const char *s, *why;
	struct cs_config *c;
	size_t i;

	if (!in->cfg && !(in->cfg = malloc(sizeof(*in->cfg))))
		return -ENOMEM;
	c = in->cfg;
	*c = *base;
	in->sets_concurrency = false;
	if (json_object_object_get_ex(pol, "tiers", &tiers) &&
	    json_object_is_type(tiers, json_type_array) && json_object_array_length(tiers)) {
		c->nr_tiers = 0;
		for (i = 0; i < json_object_array_length(tiers) && c->nr_tiers < CS_MAX_TIERS; i++) {
			struct json_object *t = json_object_array_get_idx(tiers, i);
			struct cs_tier_cfg *ct = &c->tiers[c->nr_tiers];
			const char *name = cs_k_str(t, "name");

			if (!name)
				continue;
			memset(ct, 0, sizeof(*ct));
			snprintf(ct->name, sizeof(ct->name), "%s", name);
			if (json_object_object_get_ex(t, "iopsThreshold", &v)) {
				ct->iops_threshold = (uint32_t)json_object_get_int64(v);
				ct->has_iops_threshold = true;
			}
			c->nr_tiers++;
		}
	}
	if (json_object_object_get_ex(pol, "migration", &m)) {
		uint64_t ms;

		if ((s = cs_k_str(m, "cooldownPeriod")) && !cs_duration_parse(s, &ms, &why))
			c->migration.cooldown_s = (uint32_t)(ms / 1000);
		if (json_object_object_get_ex(m, "batchSize", &v) && json_object_get_int(v) > 0)
			c->migration.batch_size = json_object_get_int(v);
		if (json_object_object_get_ex(m, "maxConcurrent", &v) && json_object_get_int(v) > 0) {
			c->migration.concurrent_migrations = json_object_get_int(v);
			in->sets_concurrency = true;
		}
		if ((s = cs_k_str(m, "schedule"))) {
			struct cs_cron cron;
			char err[128];

			if (!cs_cron_parse(s, &cron, err, sizeof(err)))
				snprintf(c->migration.schedule, sizeof(c->migration.schedule), "%s", s);
		}
	}
	return 0;
}

void cs_agent_kube_intents(struct cs_agent *a, struct cs_agent_kube *ak, struct cs_vol *v)
{
	struct cs_vol_intent *in = &v->intent;
	struct node_ref ref = { 0 };
	struct json_object *vol, *pols, *pol;
	const char *s;
	char old_policy[sizeof(in->policy)], old_force[sizeof(in->force_tier)];
	bool synced;

	snprintf(old_policy, sizeof(old_policy), "%s", in->policy);
	snprintf(old_force, sizeof(old_force), "%s", in->force_tier);
	pthread_mutex_lock(&ak->node.lock);
	synced = ak->node.synced;
	pthread_mutex_unlock(&ak->node.lock);
	if (!synced)
		return;		/* not listed yet: keep what we had */
	cs_informer_foreach(&ak->node, take_node, &ref);
	if (!in->loaded) {
		/* A force-tier we applied before a restart, to undo if it is gone. */
		struct json_object *r = cs_k_item(ref.status, "volumes", "name", v->name);

		in->loaded = true;
		if (r && (s = cs_k_str(r, "forceTier")) && !in->applied[0]) {
			struct json_object *h;

			snprintf(in->applied, sizeof(in->applied), "%s", s);
			in->held = json_object_object_get_ex(r, "held", &h) &&
				json_object_get_boolean(h);
		}
	}
	vol = cs_k_item(ref.spec, "volumes", "name", v->name);
	in->named = vol != NULL;
	snprintf(in->pvc, sizeof(in->pvc), "%s", vol ? cs_k_str(vol, "pvc") ?: "" : "");
	/*
	 * Listed without a force-tier: it was removed, unpin.  Not listed at
	 * all (its PV not seen yet, the object being remade): keep what is
	 * applied rather than unpin and pin again.
	 */
	if (vol)
		snprintf(in->force_tier, sizeof(in->force_tier), "%s",
			 cs_k_str(vol, "forceTier") ?: "");
	else
		snprintf(in->force_tier, sizeof(in->force_tier), "%s", in->applied);
	snprintf(in->policy, sizeof(in->policy), "%s", vol ? cs_k_str(vol, "policy") ?: "" : "");
	pol = NULL;
	if (in->policy[0] && json_object_object_get_ex(ref.spec, "policies", &pols))
		json_object_object_get_ex(pols, in->policy, &pol);
	if (pol && !policy_config(&a->cfg, pol, in)) {
		/* applied */
	} else {
		free(in->cfg);
		in->cfg = NULL;
		in->sets_concurrency = false;
	}
	if (strcmp(old_policy, in->policy))
		cs_log(CS_INFO, in->policy[0] ? "StoragePolicy applies to the volume" :
		       "no StoragePolicy for the volume: config.yaml applies", "volume", v->name,
		       "policy", in->policy[0] ? in->policy : "-", "pvc", in->pvc[0] ? in->pvc : "-",
		       NULL);
	if (strcmp(old_force, in->force_tier) && in->force_tier[0])
		cs_log(CS_INFO, "force-tier asked", "volume", v->name, "tier", in->force_tier,
		       "pvc", in->pvc[0] ? in->pvc : "-", NULL);
	json_object_put(ref.spec);
	json_object_put(ref.status);
}

static struct json_object *volume_report(const struct cs_vol *v)
{
	struct json_object *r = json_object_new_object(), *ex = json_object_new_object();
	uint32_t n[COUCHE_MAX_TIERS] = { 0 }, i, best = 0, pinned = 0, written = 0;
	int t, most = -1;

	for (i = 0; i < v->nr; i++) {
		if (v->tier[i] >= COUCHE_MAX_TIERS)
			continue;
		n[v->tier[i]]++;
		written++;
		if (v->flags[i] & COUCHE_EXTENT_F_PINNED)
			pinned++;
	}
	for (t = 0; t < v->dev.nr_tiers; t++) {
		json_object_object_add(ex, v->dev.tiers[t].name, json_object_new_int64(n[t]));
		if (n[t] > best) {
			best = n[t];
			most = t;
		}
	}
	json_object_object_add(r, "name", json_object_new_string(v->name));
	if (most >= 0)
		json_object_object_add(r, "tier", json_object_new_string(v->dev.tiers[most].name));
	json_object_object_add(r, "extents", ex);
	json_object_object_add(r, "writtenExtents", json_object_new_int64(written));
	json_object_object_add(r, "migrationsCompleted", json_object_new_int64(v->dev.mig_done));
	json_object_object_add(r, "migrationsFailed", json_object_new_int64(v->dev.mig_failed));
	json_object_object_add(r, "degraded", json_object_new_boolean(
		!!(v->dev.flags & COUCHE_DEV_F_DEGRADED)));
	if (v->intent.policy[0])
		json_object_object_add(r, "policy", json_object_new_string(v->intent.policy));
	if (v->intent.applied[0]) {
		int ft = couche_vol_tier_index(&v->dev, v->intent.applied);
		bool done = ft >= 0 && n[ft] == written && (v->intent.held || pinned == written);

		json_object_object_add(r, "forceTier", json_object_new_string(v->intent.applied));
		json_object_object_add(r, "forceTierProgress", json_object_new_string(
			done ? "done" : "moving"));
		json_object_object_add(r, "forceTierExtents", json_object_new_int64(ft >= 0 ? n[ft] : 0));
		if (v->intent.held)
			json_object_object_add(r, "held", json_object_new_boolean(1));
	}
	if (v->intent.error[0])
		json_object_object_add(r, "forceTierError", json_object_new_string(v->intent.error));
	return r;
}

void cs_agent_kube_report(struct cs_agent *a, struct cs_agent_kube *ak)
{
	struct json_object *st = json_object_new_object(), *vols = json_object_new_array();
	int i;

	for (i = 0; i < a->nr_vols; i++)
		json_object_array_add(vols, volume_report(&a->vols[i]));
	json_object_object_add(st, "volumes", vols);
	json_object_object_add(st, "node", json_object_new_string(a->node));
	pthread_mutex_lock(&ak->lock);
	if ((ak->written && json_object_equal(ak->written, st)) ||
	    (ak->want && json_object_equal(ak->want, st))) {
		pthread_mutex_unlock(&ak->lock);
		json_object_put(st);
		return;
	}
	json_object_put(ak->want);
	ak->want = st;
	pthread_cond_signal(&ak->wake);
	pthread_mutex_unlock(&ak->lock);
}

bool cs_agent_kube_up(struct cs_agent_kube *ak, char *why, size_t len)
{
	bool up;

	if (!ak || !ak->enabled)
		return true;
	pthread_mutex_lock(&ak->node.lock);
	up = ak->node.up && ak->node.synced;
	snprintf(why, len, "%s", ak->node.why[0] ? ak->node.why : "listing the node's intents");
	pthread_mutex_unlock(&ak->node.lock);
	pthread_mutex_lock(&ak->lock);
	if (up && !ak->up) {
		up = false;
		snprintf(why, len, "%s", ak->why);
	}
	pthread_mutex_unlock(&ak->lock);
	return up;
}
