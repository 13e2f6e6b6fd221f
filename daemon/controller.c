// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord controller.  Threads: one per watched kind (informer.c),
 * one for the Lease (lease.c), libmicrohttpd's for /metrics and the
 * probes; the main loop reconciles when a cache changes (and every 30 s)
 * and writes only while it leads, checking just before each write.
 * Writes are bounded per round so the loop keeps its heartbeat.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "controller.h"
#include "http.h"
#include "informer.h"
#include "kube.h"
#include "lease.h"
#include "log.h"
#include "metrics.h"
#include "prism.h"
#include "reconcile.h"

#define WRITE_BUDGET_S 3.0
#define MAX_EVENTS_KEPT 4096

enum { INF_PVC, INF_PV, INF_POLICY, INF_NODE, NR_INF };

struct queued_event {
	char ns[64], name[254], uid[40], type[16], reason[64], message[640];
};

#define MAX_QUEUED 1024

struct event_rec {
	uint64_t key;
	char ns[64], name[320];
	long count;
};

struct ctl {
	struct cs_config *cfg;
	const struct cs_controller_opts *o;
	struct cs_kube_cfg kc;
	struct cs_kube kube;
	struct cs_lease lease;
	struct cs_informer inf[NR_INF];
	struct cs_metrics *m;
	struct cs_http http;
	char ns[256], identity[254];
	int efd;
	unsigned long seen_changes;
	double last_round;
	bool dirty;
	bool was_leading;
	double round_end;		/* CLOCK_MONOTONIC: this round's writes stop */
	struct queued_event *queue;	/* Events to post, as the budget allows */
	size_t nr_queue;
	struct event_rec *evs;
	size_t nr_evs;
	/* Per volume, what the agents last reported: for TierChanged and the like. */
	struct json_object *reported;
	struct cs_prism_worker prism;	/* started if cloud_provider is nutanix */
};

static double mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static bool leading(struct ctl *c)
{
	return !c->o->leader_elect || cs_lease_leading(&c->lease);
}

/*
 * How long the next write may take: what is left of this round's budget
 * (so the loop keeps its heartbeat) and of the lease (so no write of
 * ours lands after another leader could have started), at most 5 s.
 * 0: do not write now.
 */
static long write_ms(struct ctl *c)
{
	double budget = (c->round_end - mono_s()) * 1000;
	long ms = 5000, lease;

	if (!leading(c))
		return 0;
	if (budget < ms)
		ms = budget > 0 ? (long)budget : 0;
	if (c->o->leader_elect) {
		lease = cs_lease_valid_ms(&c->lease) - 1000;
		if (lease < ms)
			ms = lease;
	}
	return ms >= 200 ? ms : 0;
}

static uint64_t fnv(const char *s, uint64_t h)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* An Event for the PVC, posted when the budget allows (flush_events). */
static void post_event(struct ctl *c, const char *ns, const char *name, const char *uid,
		       const char *type, const char *reason, const char *message)
{
	struct queued_event *q;

	if (!leading(c))
		return;
	if (c->nr_queue == MAX_QUEUED) {
		cs_log(CS_WARN, "too many Events waiting: dropping one", "pvc", name, "reason",
		       reason, NULL);
		return;
	}
	q = &c->queue[c->nr_queue++];
	snprintf(q->ns, sizeof(q->ns), "%s", ns);
	snprintf(q->name, sizeof(q->name), "%s", name);
	snprintf(q->uid, sizeof(q->uid), "%s", uid);
	snprintf(q->type, sizeof(q->type), "%s", type);
	snprintf(q->reason, sizeof(q->reason), "%s", reason);
	snprintf(q->message, sizeof(q->message), "%s", message);
}

static int patch_count(struct ctl *c, const char *ns, const char *ename, long count, long ms)
{
	struct json_object *e = json_object_new_object();
	struct cs_kube_reply rep;
	char path[512], now[40];
	int ret;

	cs_kube_time(now, sizeof(now), false);
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events/%s", ns, ename);
	json_object_object_add(e, "count", json_object_new_int64(count));
	json_object_object_add(e, "lastTimestamp", json_object_new_string(now));
	ret = cs_kube_call(&c->kube, "PATCH", path, "application/merge-patch+json", e, ms, &rep);
	json_object_put(e);
	ret = ret ? -1 : rep.status == 200 ? 0 : rep.status == 404 ? -ENOENT : -1;
	cs_kube_reply_free(&rep);
	return ret;
}

/* The count of an Event a previous leader posted. */
static long read_count(struct ctl *c, const char *ns, const char *ename, long ms)
{
	struct cs_kube_reply rep;
	struct json_object *v;
	char path[512];
	long n = -1;

	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events/%s", ns, ename);
	if (!cs_kube_call(&c->kube, "GET", path, NULL, NULL, ms, &rep) && rep.status == 200 &&
	    json_object_object_get_ex(rep.body, "count", &v))
		n = json_object_get_int64(v);
	cs_kube_reply_free(&rep);
	return n;
}

/*
 * The same reason and message for the same object is one Event whose
 * count goes up (its name is derived from them, so a new leader finds
 * the one before), not an Event per repetition.  0, or -1 to try later.
 */
static int send_event(struct ctl *c, const struct queued_event *q)
{
	uint64_t key = fnv(q->message, fnv(q->reason, fnv(q->uid, 1469598103934665603ULL)));
	struct json_object *e, *io, *md, *src;
	struct event_rec *r = NULL;
	struct cs_kube_reply rep;
	char path[512], ename[320], now[40];
	long ms = write_ms(c), n;
	size_t i;
	int ret;

	if (!ms)
		return -1;
	for (i = 0; i < c->nr_evs; i++)
		if (c->evs[i].key == key)
			r = &c->evs[i];
	snprintf(ename, sizeof(ename), "%.230s.%016llx", q->name, (unsigned long long)key);
	if (r) {
		ret = patch_count(c, q->ns, r->name, r->count + 1, ms);
		if (!ret)
			r->count++;
		if (ret != -ENOENT)
			return ret;
		/* Gone (events expire after an hour): post it anew. */
	}
	cs_kube_time(now, sizeof(now), false);
	e = json_object_new_object();
	md = json_object_new_object();
	io = json_object_new_object();
	src = json_object_new_object();
	json_object_object_add(md, "name", json_object_new_string(ename));
	json_object_object_add(md, "namespace", json_object_new_string(q->ns));
	json_object_object_add(e, "apiVersion", json_object_new_string("v1"));
	json_object_object_add(e, "kind", json_object_new_string("Event"));
	json_object_object_add(e, "metadata", md);
	json_object_object_add(io, "kind", json_object_new_string("PersistentVolumeClaim"));
	json_object_object_add(io, "apiVersion", json_object_new_string("v1"));
	json_object_object_add(io, "namespace", json_object_new_string(q->ns));
	json_object_object_add(io, "name", json_object_new_string(q->name));
	json_object_object_add(io, "uid", json_object_new_string(q->uid));
	json_object_object_add(e, "involvedObject", io);
	json_object_object_add(e, "reason", json_object_new_string(q->reason));
	json_object_object_add(e, "message", json_object_new_string(q->message));
	json_object_object_add(e, "type", json_object_new_string(q->type));
	json_object_object_add(e, "count", json_object_new_int(1));
	json_object_object_add(e, "firstTimestamp", json_object_new_string(now));
	json_object_object_add(e, "lastTimestamp", json_object_new_string(now));
	json_object_object_add(src, "component", json_object_new_string("couchestor-controller"));
	json_object_object_add(e, "source", src);
	json_object_object_add(e, "reportingComponent",
			       json_object_new_string("couchestor.io/controller"));
	json_object_object_add(e, "reportingInstance", json_object_new_string(c->identity));
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events", q->ns);
	ret = cs_kube_call(&c->kube, "POST", path, "application/json", e, ms, &rep);
	json_object_put(e);
	n = 1;
	if (!ret && rep.status == 409) {
		/* A previous leader's: one more on its count. */
		n = read_count(c, q->ns, ename, ms);
		ret = n < 0 || patch_count(c, q->ns, ename, ++n, ms) ? -1 : 0;
	} else if (ret || rep.status != 201) {
		cs_log(CS_WARN, "cannot post an event", "pvc", q->name, "reason", q->reason,
		       "error", rep.message, NULL);
		ret = -1;
	}
	cs_kube_reply_free(&rep);
	if (ret)
		return -1;
	if (!r) {
		if (c->nr_evs == MAX_EVENTS_KEPT) {
			memmove(c->evs, c->evs + 1, sizeof(*c->evs) * (c->nr_evs - 1));
			c->nr_evs--;
		}
		r = &c->evs[c->nr_evs++];
	}
	r->key = key;
	snprintf(r->ns, sizeof(r->ns), "%s", q->ns);
	snprintf(r->name, sizeof(r->name), "%s", ename);
	r->count = n;
	cs_metrics_add(c->m, "couchestor_controller_events_total", CS_L(q->reason), 1);
	return 0;
}

/* As many queued Events as the budget allows, oldest first. */
static void flush_events(struct ctl *c)
{
	size_t done = 0;

	if (!leading(c)) {
		c->nr_queue = 0;	/* the next leader works them out anew */
		return;
	}
	while (done < c->nr_queue && !send_event(c, &c->queue[done]))
		done++;
	memmove(c->queue, c->queue + done, sizeof(*c->queue) * (c->nr_queue - done));
	c->nr_queue -= done;
}

/* --- the caches, copied out for one round --------------------------------- */

struct grab {
	int kind;
	void *v;
	size_t n, size;
	bool oom;
};

static struct json_object *copy_json(struct json_object *o, bool *oom)
{
	struct json_object *c = NULL;

	if (o && json_object_deep_copy(o, &c, NULL))
		*oom = true;
	return c;
}

/*
 * A copy of the item, its JSON deep-copied: json-c counts references
 * without atomics, and the informer's thread drops its own as it goes.
 */
static void grab_item(void *item, void *arg)
{
	struct grab *g = arg;
	char *v = realloc(g->v, (g->n + 1) * g->size);

	if (!v) {
		g->oom = true;
		return;
	}
	g->v = v;
	if (g->kind == INF_PVC || g->kind == INF_PV) {
		/* Pointers: each a copy of its own. */
		void *d = g->kind == INF_PVC ? (void *)cs_k_pvc_dup(item) : (void *)cs_k_pv_dup(item);

		if (!d) {
			g->oom = true;
			return;
		}
		memcpy(v + g->n * g->size, &d, sizeof(d));
		g->n++;
		return;
	}
	memcpy(v + g->n * g->size, item, g->size);
	if (g->kind == INF_POLICY) {
		struct cs_k_policy *p = (struct cs_k_policy *)(v + g->n * g->size);

		p->spec = copy_json(p->spec, &g->oom);
		p->status = copy_json(p->status, &g->oom);
	} else if (g->kind == INF_NODE) {
		struct cs_k_node *p = (struct cs_k_node *)(v + g->n * g->size);

		p->meta = copy_json(p->meta, &g->oom);
		p->spec = copy_json(p->spec, &g->oom);
		p->status = copy_json(p->status, &g->oom);
	}
	g->n++;
}

static int snapshot(struct ctl *c, struct cs_world *w)
{
	struct grab g[NR_INF] = {
		{ INF_PVC, .size = sizeof(struct cs_k_pvc *) },
		{ INF_PV, .size = sizeof(struct cs_k_pv *) },
		{ INF_POLICY, .size = sizeof(struct cs_k_policy) },
		{ INF_NODE, .size = sizeof(struct cs_k_node) },
	};
	int i;

	for (i = 0; i < NR_INF; i++)
		cs_informer_foreach(&c->inf[i], grab_item, &g[i]);
	memset(w, 0, sizeof(*w));
	w->pvcs = g[INF_PVC].v;
	w->nr_pvcs = g[INF_PVC].n;
	w->pvs = g[INF_PV].v;
	w->nr_pvs = g[INF_PV].n;
	w->policies = g[INF_POLICY].v;
	w->nr_policies = g[INF_POLICY].n;
	w->nodes = g[INF_NODE].v;
	w->nr_nodes = g[INF_NODE].n;
	w->home_ns = c->ns;
	for (i = 0; i < NR_INF; i++)
		if (g[i].oom)
			return -1;
	return cs_world_index(w);
}

/* --- writes ---------------------------------------------------------------- */

static const struct cs_k_node *node_in(const struct cs_world *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->nr_nodes; i++)
		if (!strcmp(w->nodes[i].name, name))
			return &w->nodes[i];
	return NULL;
}

static struct json_object *volume_in(struct json_object *spec, const char *name)
{
	return cs_k_item(spec, "volumes", "name", name);
}

static void pvc_of(struct json_object *v, char *ns, size_t nl, char *name, size_t len)
{
	const char *p = cs_k_str(v, "pvc") ?: "", *slash = strchr(p, '/');

	snprintf(ns, nl, "%.*s", slash ? (int)(slash - p) : 0, p);
	snprintf(name, len, "%s", slash ? slash + 1 : p);
}

/* What changed for users between the spec there and the one wanted. */
static void intent_events(struct ctl *c, const struct cs_node_plan *n, struct json_object *old)
{
	struct json_object *vols;
	size_t i;

	json_object_object_get_ex(n->spec, "volumes", &vols);
	for (i = 0; i < json_object_array_length(vols); i++) {
		struct json_object *v = json_object_array_get_idx(vols, i);
		const char *name = cs_k_str(v, "name"), *want = cs_k_str(v, "forceTier");
		struct json_object *o = volume_in(old, name);
		const char *had = o ? cs_k_str(o, "forceTier") : NULL;
		char ns[64], pvc[254], msg[640];

		if (!strcmp(want ?: "", had ?: ""))
			continue;
		pvc_of(v, ns, sizeof(ns), pvc, sizeof(pvc));
		if (want)
			snprintf(msg, sizeof(msg), "force-tier %s: the agent on node %s moves all of "
				 "volume %s to %s and pins it there", want, n->node, name, want);
		else
			snprintf(msg, sizeof(msg), "force-tier removed: volume %s on node %s is "
				 "unpinned and tiered by its policy again", name, n->node);
		post_event(c, ns, pvc, cs_k_str(v, "pvcUid") ?: "", "Normal",
			   "TierChangeRequested", msg);
	}
}

static int write_node(struct ctl *c, const struct cs_world *w, const struct cs_node_plan *n)
{
	const struct cs_k_node *old = node_in(w, n->node);
	struct json_object *o, *md;
	struct cs_kube_reply r;
	char path[600];
	int ret;

	long ms;

	if (old && old->spec && json_object_equal(old->spec, n->spec))
		return 0;
	ms = write_ms(c);
	if (!ms)
		return -1;
	o = json_object_new_object();
	/* Its metadata as read (labels, annotations, owners, resourceVersion), spec ours. */
	if (old && old->meta) {
		md = json_object_get(old->meta);
	} else {
		md = json_object_new_object();
		json_object_object_add(md, "name", json_object_new_string(n->node));
	}
	json_object_object_add(o, "apiVersion", json_object_new_string("couchestor.io/v1alpha1"));
	json_object_object_add(o, "kind", json_object_new_string("CoucheStorNode"));
	json_object_object_add(o, "metadata", md);
	json_object_object_add(o, "spec", json_object_get(n->spec));
	if (old) {
		snprintf(path, sizeof(path), "%s/%s", CS_NODES_PATH, n->node);
		ret = cs_kube_call(&c->kube, "PUT", path, "application/json", o, ms, &r);
	} else {
		ret = cs_kube_call(&c->kube, "POST", CS_NODES_PATH, "application/json", o, ms, &r);
	}
	json_object_put(o);
	if (ret || (r.status != 200 && r.status != 201)) {
		/* 409: the cache is behind; the watch brings the new one and we go again. */
		if (r.status != 409) {
			char code[16];

			snprintf(code, sizeof(code), "%ld", r.status);
			cs_log(CS_WARN, "cannot write the node's intents", "node", n->node, "status",
			       code, "error", r.message, NULL);
		}
		cs_kube_reply_free(&r);
		return -1;
	}
	cs_kube_reply_free(&r);
	cs_metrics_add(c->m, "couchestor_controller_writes_total", CS_L("couchestornode"), 1);
	cs_log(CS_INFO, "node intents written", "node", n->node, NULL);
	intent_events(c, n, old ? old->spec : NULL);
	return 0;
}

static int write_status(struct ctl *c, const struct cs_k_policy *p, struct json_object *st)
{
	struct json_object *o;
	struct cs_kube_reply r;
	char path[700];
	long ms = write_ms(c);
	int ret;

	if (!ms)
		return -1;
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_get(st));
	snprintf(path, sizeof(path), "/apis/couchestor.io/v1alpha1/namespaces/%s/storagepolicies/%s/status",
		 p->ns, p->name);
	ret = cs_kube_call(&c->kube, "PATCH", path, "application/merge-patch+json", o, ms, &r);
	json_object_put(o);
	if (ret || r.status != 200) {
		if (r.status != 404)
			cs_log(CS_WARN, "cannot write a policy's status", "policy", p->name, "error",
			       r.message, NULL);
		cs_kube_reply_free(&r);
		return -1;
	}
	cs_kube_reply_free(&r);
	cs_metrics_add(c->m, "couchestor_controller_writes_total", CS_L("storagepolicy_status"), 1);
	return 0;
}

/* TierChanged, MigrationFailed, VolumeDegraded from what the agents report. */
static void report_events(struct ctl *c, const struct cs_world *w)
{
	struct json_object *next = json_object_new_object();
	size_t i, j;

	for (i = 0; i < w->nr_nodes; i++) {
		struct json_object *st = NULL;

		if (!w->nodes[i].status ||
		    !json_object_object_get_ex(w->nodes[i].status, "volumes", &st) ||
		    !json_object_is_type(st, json_type_array))
			continue;
		for (j = 0; j < json_object_array_length(st); j++) {
			struct json_object *r = json_object_array_get_idx(st, j), *prev, *x, *v;
			const char *name = cs_k_str(r, "name"), *tier = cs_k_str(r, "tier");
			long failed = json_object_object_get_ex(r, "migrationsFailed", &x) ?
				json_object_get_int64(x) : 0;
			bool degraded = json_object_object_get_ex(r, "degraded", &x) &&
				json_object_get_boolean(x);
			char key[600], ns[64], pvc[254], msg[640];

			if (!name)
				continue;
			snprintf(key, sizeof(key), "%s/%s", w->nodes[i].name, name);
			json_object_object_add(next, key, json_object_get(r));
			v = volume_in(w->nodes[i].spec, name);
			if (!v || !c->reported || !json_object_object_get_ex(c->reported, key, &prev))
				continue;	/* the first report sets the baseline */
			pvc_of(v, ns, sizeof(ns), pvc, sizeof(pvc));
			if (tier && strcmp(tier, cs_k_str(prev, "tier") ?: "")) {
				snprintf(msg, sizeof(msg), "volume %s is now in tier %s (most of its "
					 "written extents)", name, tier);
				post_event(c, ns, pvc, cs_k_str(v, "pvcUid") ?: "", "Normal",
					   "TierChanged", msg);
			}
			if (json_object_object_get_ex(prev, "migrationsFailed", &x) &&
			    failed > json_object_get_int64(x)) {
				snprintf(msg, sizeof(msg), "%ld migration%s of volume %s failed: see the "
					 "agent's log on node %s", failed - json_object_get_int64(x),
					 failed - json_object_get_int64(x) == 1 ? "" : "s", name,
					 w->nodes[i].name);
				post_event(c, ns, pvc, cs_k_str(v, "pvcUid") ?: "", "Warning",
					   "MigrationFailed", msg);
			}
			if (cs_k_str(r, "forceTierError") &&
			    strcmp(cs_k_str(r, "forceTierError"), cs_k_str(prev, "forceTierError") ?: "")) {
				snprintf(msg, sizeof(msg), "force-tier cannot be done on node %s: %s",
					 w->nodes[i].name, cs_k_str(r, "forceTierError"));
				post_event(c, ns, pvc, cs_k_str(v, "pvcUid") ?: "", "Warning",
					   "TierChangeFailed", msg);
			}
			if (degraded && !(json_object_object_get_ex(prev, "degraded", &x) &&
					  json_object_get_boolean(x))) {
				snprintf(msg, sizeof(msg), "volume %s on node %s is degraded: a member "
					 "device failed; replace it", name, w->nodes[i].name);
				post_event(c, ns, pvc, cs_k_str(v, "pvcUid") ?: "", "Warning",
					   "VolumeDegraded", msg);
			}
		}
	}
	json_object_put(c->reported);
	c->reported = next;
}

static void round_once(struct ctl *c)
{
	struct cs_plan_out plan;
	struct cs_world w;
	char now[40];
	double t0 = mono_s();
	size_t i;
	bool more = false;

	c->dirty = false;
	c->round_end = t0 + WRITE_BUDGET_S;
	if (snapshot(c, &w) || cs_reconcile_nodes(&w, &plan)) {
		cs_log(CS_ERROR, "out of memory reconciling", NULL);
		cs_world_free(&w);
		c->dirty = true;
		return;
	}
	cs_metrics_set(c->m, "couchestor_controller_volumes", NULL, (double)plan.volumes);
	cs_metrics_set(c->m, "couchestor_controller_unresolved_volumes", NULL,
		       (double)plan.unresolved);
	for (i = 0; i < plan.nr_nodes && !more; i++) {
		if (write_node(c, &w, &plan.nodes[i]) && !leading(c))
			break;
		more = !write_ms(c);
	}
	cs_kube_time(now, sizeof(now), false);
	for (i = 0; i < w.nr_policies && !more && leading(c); i++) {
		struct json_object *st = cs_reconcile_policy_status(&w, &w.policies[i], now);

		if (st) {
			write_status(c, &w.policies[i], st);
			json_object_put(st);
		}
		more = !write_ms(c);
	}
	if (!more && leading(c))
		report_events(c, &w);
	flush_events(c);
	more |= c->nr_queue != 0;
	c->dirty = more;
	cs_metrics_add(c->m, "couchestor_controller_reconciles_total", CS_L(more ? "partial" :
									    "done"), 1);
	cs_plan_out_free(&plan);
	cs_world_free(&w);
}

/* --- the loop --------------------------------------------------------------- */

static const char *const kinds[NR_INF][2] = {
	[INF_PVC] = { "/api/v1/persistentvolumeclaims", "persistentvolumeclaims" },
	[INF_PV] = { "/api/v1/persistentvolumes", "persistentvolumes" },
	[INF_POLICY] = { CS_POLICIES_PATH, "storagepolicies" },
	[INF_NODE] = { CS_NODES_PATH, "couchestornodes" },
};

static int declare(struct cs_metrics *m)
{
	int r = 0;

	r |= cs_metrics_gauge(m, "couchestor_controller_leader",
			      "1 while this controller holds the lease.", NULL);
	r |= cs_metrics_gauge(m, "couchestor_kube_api_up",
			      "1 if the last calls to the Kubernetes API got answers.", NULL);
	r |= cs_metrics_gauge(m, "couchestor_controller_volumes",
			      "PVCs with CoucheStor intents, resolved to a node and a volume.", NULL);
	r |= cs_metrics_gauge(m, "couchestor_controller_unresolved_volumes",
			      "PVCs with CoucheStor intents not bound or not on a known node.",
			      NULL);
	r |= cs_metrics_counter(m, "couchestor_controller_reconciles_total",
				"Reconcile rounds, done or cut short by the write budget.",
				CS_L("result"));
	r |= cs_metrics_counter(m, "couchestor_controller_writes_total",
				"Writes to the Kubernetes API by kind.", CS_L("kind"));
	r |= cs_metrics_counter(m, "couchestor_controller_events_total",
				"Events posted by reason.", CS_L("reason"));
	r |= cs_metrics_counter(m, "couchestor_controller_watch_relists_total",
				"Lists taken again after a watch's resourceVersion expired (410).",
				CS_L("resource"));
	r |= cs_prism_declare(m);
	return r;
}

static void publish(struct ctl *c)
{
	char why[700] = "", holder[254], note[320], degraded[32] = "";
	bool synced = true, up = true;
	int i;

	for (i = 0; i < NR_INF; i++) {
		struct cs_informer *in = &c->inf[i];

		pthread_mutex_lock(&in->lock);
		synced &= in->synced;
		up &= in->up;
		if ((!in->synced || !in->up) && !why[0])
			snprintf(why, sizeof(why), "%s", in->why[0] ? in->why : "listing");
		cs_metrics_set(c->m, "couchestor_controller_watch_relists_total", CS_L(in->what),
			       (double)in->expired);
		pthread_mutex_unlock(&in->lock);
	}
	cs_metrics_set(c->m, "couchestor_kube_api_up", NULL, up);
	cs_metrics_set(c->m, "couchestor_controller_leader", NULL, leading(c));
	cs_prism_worker_set_leader(&c->prism, leading(c));
	if (!synced || !up) {
		/* Short: the body is served to anyone; the log has the rest. */
		cs_http_set_not_ready(&c->http, "waiting for the Kubernetes API (see the log)");
		return;
	}
	/* Prism down degrades its features only: the body says so, still ready. */
	if (c->prism.started && !cs_prism_worker_healthy(&c->prism, why, sizeof(why)))
		snprintf(degraded, sizeof(degraded), "; degraded: prism");
	if (!c->o->leader_elect) {
		snprintf(note, sizeof(note), "leader (no election)%s", degraded);
	} else if (leading(c)) {
		snprintf(note, sizeof(note), "leader%s", degraded);
	} else {
		cs_lease_holder(&c->lease, holder, sizeof(holder));
		snprintf(note, sizeof(note), "standby%s%s%s", holder[0] ? ", leader " : "", holder,
			 degraded);
	}
	cs_http_set_ready(&c->http, note);
}

static void log_api_errors(struct ctl *c)
{
	static char last[NR_INF][sizeof(c->inf[0].why)];
	int i;

	for (i = 0; i < NR_INF; i++) {
		char why[sizeof(last[0])];

		pthread_mutex_lock(&c->inf[i].lock);
		snprintf(why, sizeof(why), "%s", c->inf[i].why);
		pthread_mutex_unlock(&c->inf[i].lock);
		if (strcmp(why, last[i]) && why[0])
			cs_log(CS_WARN, "Kubernetes API", "resource", c->inf[i].what, "error", why,
			       NULL);
		snprintf(last[i], sizeof(last[i]), "%s", why);
	}
}

static unsigned long changes(struct ctl *c)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < NR_INF; i++) {
		pthread_mutex_lock(&c->inf[i].lock);
		n += c->inf[i].changes;
		pthread_mutex_unlock(&c->inf[i].lock);
	}
	return n;
}

static bool all_synced(struct ctl *c)
{
	bool s = true;
	int i;

	for (i = 0; i < NR_INF; i++) {
		pthread_mutex_lock(&c->inf[i].lock);
		s &= c->inf[i].synced;
		pthread_mutex_unlock(&c->inf[i].lock);
	}
	return s;
}

int cs_controller_run(struct cs_config *cfg, const struct cs_controller_opts *o)
{
	struct ctl *c = calloc(1, sizeof(*c));
	struct cs_lease_cfg lc = { 0 };
	char err[1024], ports[32];
	const char *pod_ns = getenv("POD_NAMESPACE");
	struct pollfd pfd[2];
	sigset_t set;
	int sfd = -1, i, r = 1;
	bool stop = false;

	if (!c || !(c->m = cs_metrics_new()) || declare(c->m) ||
	    !(c->evs = calloc(MAX_EVENTS_KEPT, sizeof(*c->evs))) ||
	    !(c->queue = calloc(MAX_QUEUED, sizeof(*c->queue)))) {
		cs_log(CS_ERROR, "out of memory", NULL);
		return 1;
	}
	c->cfg = cfg;
	c->o = o;
	c->efd = -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		cs_log(CS_ERROR, "cannot initialise libcurl", NULL);
		goto out;
	}
	if (cs_kube_cfg_load(&c->kc, o->kubeconfig, err, sizeof(err))) {
		cs_log(CS_ERROR, "no Kubernetes API to talk to", "error", err, NULL);
		goto out;
	}
	snprintf(c->ns, sizeof(c->ns), "%s", o->ns ? o->ns : pod_ns && *pod_ns ? pod_ns :
		 c->kc.namespace[0] && strcmp(c->kc.namespace, "default") ? c->kc.namespace :
		 "couchestor-system");
	cs_lease_identity(c->identity, sizeof(c->identity));
	if (cs_kube_init(&c->kube, &c->kc, NULL)) {
		cs_log(CS_ERROR, "out of memory", NULL);
		goto out;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	cs_http_init(&c->http, c->m, 2000);
	if (sfd < 0 || c->efd < 0 ||
	    cs_http_start(&c->http, cfg->agent.metrics_addr, cfg->agent.metrics_port,
			  cfg->agent.health_addr, cfg->agent.health_port, err, sizeof(err))) {
		cs_log(CS_ERROR, "cannot start", "error", sfd < 0 || c->efd < 0 ? strerror(errno) :
		       err, NULL);
		goto out;
	}
	if (o->leader_elect) {
		snprintf(lc.ns, sizeof(lc.ns), "%s", c->ns);
		snprintf(lc.name, sizeof(lc.name), "%s", o->lease_name);
		snprintf(lc.identity, sizeof(lc.identity), "%s", c->identity);
		lc.duration_s = o->lease_s;
		lc.renew_deadline_s = o->renew_s;
		lc.retry_s = o->retry_s;
		if (cs_lease_start(&c->lease, &c->kc, &lc, c->efd, err, sizeof(err))) {
			cs_log(CS_ERROR, "cannot start leader election", "error", err, NULL);
			goto out_http;
		}
	}
	for (i = 0; i < NR_INF; i++)
		if (cs_informer_start(&c->inf[i], &c->kc, kinds[i][0], kinds[i][1],
				      i == INF_PVC ? cs_k_pvc_decode : i == INF_PV ? cs_k_pv_decode :
				      i == INF_POLICY ? cs_k_policy_decode : cs_k_node_decode,
				      i == INF_POLICY ? cs_k_policy_free : i == INF_NODE ?
				      cs_k_node_free : cs_k_free, c->efd, err, sizeof(err))) {
			cs_log(CS_ERROR, "cannot start", "error", err, NULL);
			goto out_threads;
		}
	if (!strcmp(cfg->cloud_provider, "nutanix")) {
		int pr = cs_prism_cfg_load(&c->prism.cfg, cfg, err, sizeof(err));

		if (pr < 0) {
			cs_log(CS_ERROR, "cannot use Prism Central", "error", err, NULL);
			goto out_threads;
		}
		if (pr > 0)
			cs_log(CS_WARN, "cloud_provider nutanix without Prism Central: categories "
			       "off, couchestor_nutanix_api_healthy stays 0", "why", err, NULL);
		else if ((pr = cs_prism_worker_start(&c->prism, c->m, o->prism_check_s)))
			cs_log(CS_ERROR, "cannot start the Prism Central thread", "error",
			       strerror(-pr), NULL);
	}
	snprintf(ports, sizeof(ports), "%u/%u", c->http.metrics_port, c->http.health_port);
	cs_log(CS_INFO, "controller started", "identity", c->identity, "api", c->kc.server,
	       "credentials", c->kc.source, "namespace", c->ns, "leader_elect",
	       o->leader_elect ? "true" : "false", "ports", ports, NULL);
	while (!stop) {
		double t = mono_s();
		bool lead = leading(c);

		cs_http_heartbeat(&c->http);
		if (lead != c->was_leading) {
			c->was_leading = lead;
			c->dirty = true;	/* a new leader looks at everything */
			json_object_put(c->reported);
			c->reported = NULL;
		}
		if (lead && all_synced(c) && (c->dirty || changes(c) != c->seen_changes ||
					      t - c->last_round >= o->resync_s)) {
			c->seen_changes = changes(c);
			c->last_round = t;
			round_once(c);
		}
		publish(c);
		log_api_errors(c);
		pfd[0].fd = sfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = c->efd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, c->dirty ? 100 : 1000) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents & POLLIN) {
			uint64_t n;

			if (read(c->efd, &n, sizeof(n)) < 0)
				(void)0;	/* drained by another wakeup */
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGHUP) {
				cs_log(CS_WARN, "SIGHUP: the controller does not reload its "
				       "configuration; restart it (kubectl rollout restart) to apply "
				       "a new one", NULL);
				continue;
			}
			cs_log(CS_INFO, "stopping", "signal", strsignal(si.ssi_signo), NULL);
			stop = true;
		}
	}
	r = 0;
out_threads:
	/* All at once: each may take a second to notice. */
	for (i = 0; i < NR_INF; i++)
		cs_informer_request_stop(&c->inf[i]);
	for (i = 0; i < NR_INF; i++)
		cs_informer_stop(&c->inf[i]);
	cs_prism_worker_stop(&c->prism);
	cs_lease_stop(&c->lease);
out_http:
	cs_http_stop(&c->http);
out:
	json_object_put(c->reported);
	cs_kube_close(&c->kube);
	cs_kube_cfg_free(&c->kc);
	if (sfd >= 0)
		close(sfd);
	if (c->efd >= 0)
		close(c->efd);
	cs_metrics_free(c->m);
	free(c->evs);
	free(c->queue);
	free(c);
	return r;
}
