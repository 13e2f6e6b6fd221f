// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord: Prism Central v3 for the controller (see prism.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "prism.h"

#define CALL_MS 15000		/* per call, retries included */
#define RECHECK_CHECKS 10	/* categories read again every this many checks */
#define AUTH_BACKOFF_MAX_S 900.0

static const double latency_bounds[] = { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };

static double mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* The guide's config.yaml says cluster_uuid: "<cluster-uuid>": not a value. */
static bool placeholder(const char *s)
{
	return s[0] == '<';
}

int cs_prism_cfg_load(struct cs_prism_cfg *p, const struct cs_config *cfg, char *err,
		      size_t errlen)
{
	const char *url = env("PRISM_CENTRAL_URL"), *uuid = env("PRISM_CLUSTER_UUID");
	size_t n;
	int i;

	memset(p, 0, sizeof(*p));
	if (!url && cfg->nutanix.prism_central_url[0])
		url = cfg->nutanix.prism_central_url;
	if (!url) {
		snprintf(err, errlen, "no Prism Central: PRISM_CENTRAL_URL and "
			 "nutanix.prism_central_url are not set");
		return 1;
	}
	if (strncmp(url, "https://", 8)) {
		/* Not repeated: it may carry credentials. */
		snprintf(err, errlen, "Prism Central URL: only https:// is used");
		return -1;
	}
	n = strlen(url);
	while (n > 8 && url[n - 1] == '/')
		n--;
	if (memchr(url + 8, '/', n - 8)) {
		snprintf(err, errlen, "Prism Central URL: give https://HOST:PORT only, without a "
			 "path (the client adds /api/nutanix/v3)");
		return -1;
	}
	if (n >= sizeof(p->url) || strchr(url + 8, '@')) {
		snprintf(err, errlen, "Prism Central URL: too long, or with credentials in it "
			 "(give them as PRISM_USERNAME and PRISM_PASSWORD)");
		return -1;
	}
	snprintf(p->url, sizeof(p->url), "%.*s", (int)n, url);
	if (!env("PRISM_USERNAME") || !env("PRISM_PASSWORD")) {
		snprintf(err, errlen, "no Prism Central credentials: PRISM_USERNAME and "
			 "PRISM_PASSWORD (the Secret nutanix-credentials) are not set");
		return 1;
	}
	if (strlen(env("PRISM_USERNAME")) >= sizeof(p->user) ||
	    strlen(env("PRISM_PASSWORD")) >= sizeof(p->password)) {
		snprintf(err, errlen, "PRISM_USERNAME or PRISM_PASSWORD: too long");
		return -1;
	}
	snprintf(p->user, sizeof(p->user), "%s", env("PRISM_USERNAME"));
	snprintf(p->password, sizeof(p->password), "%s", env("PRISM_PASSWORD"));
	/* Out of the environment: /proc/PID/environ and children would show it. */
	explicit_bzero(getenv("PRISM_PASSWORD"), strlen(getenv("PRISM_PASSWORD")));
	unsetenv("PRISM_PASSWORD");
	if (!uuid && cfg->nutanix.cluster_uuid[0] && !placeholder(cfg->nutanix.cluster_uuid))
		uuid = cfg->nutanix.cluster_uuid;
	snprintf(p->cluster_uuid, sizeof(p->cluster_uuid), "%s", uuid ? uuid : "");

	snprintf(p->http.server, sizeof(p->http.server), "%s/api/nutanix/v3", p->url);
	snprintf(p->http.ca_file, sizeof(p->http.ca_file), "%s", cfg->nutanix.ca_file);
	if (p->http.ca_file[0] && access(p->http.ca_file, R_OK)) {
		snprintf(err, errlen, "nutanix.ca_file %s: %s", p->http.ca_file, strerror(errno));
		cs_prism_cfg_free(p);
		return -1;
	}
	snprintf(p->http.source, sizeof(p->http.source), "Prism Central %s", p->url);
	p->http.basic_user = p->user;
	p->http.basic_password = p->password;
	p->http.insecure = cfg->nutanix.insecure_skip_verify;

	p->categories = cfg->nutanix.use_categories;
	snprintf(p->key, sizeof(p->key), "%s",
		 cfg->nutanix.category_key[0] ? cfg->nutanix.category_key : "CoucheStor");
	for (i = 0; i < cfg->nr_tiers && p->nr_values < CS_PRISM_MAX_VALUES; i++) {
		const struct cs_tier_cfg *t = &cfg->tiers[i];
		char *v = p->values[p->nr_values++];

		if (t->category_value[0]) {
			snprintf(v, sizeof(p->values[0]), "%s", t->category_value);
		} else {
			/* hot -> Hot, as the guide names its values */
			snprintf(v, sizeof(p->values[0]), "%s", t->name);
			v[0] = (char)toupper((unsigned char)v[0]);
		}
	}
	return 0;
}

void cs_prism_cfg_free(struct cs_prism_cfg *p)
{
	/* Not memset: the compiler may drop a memset of memory about to die. */
	explicit_bzero(p->password, sizeof(p->password));
	explicit_bzero(p->user, sizeof(p->user));
}

/* One call, counted and timed under its endpoint's name. */
static int call(struct cs_kube *k, struct cs_metrics *m, const char *endpoint,
		const char *method, const char *path, struct json_object *body,
		struct cs_kube_reply *r)
{
	double t0 = mono_s();
	char code[8];
	int ret;

	ret = cs_kube_call(k, method, path, body ? "application/json" : NULL, body, CALL_MS, r);
	snprintf(code, sizeof(code), "%ld", r->status);
	if (m) {
		cs_metrics_add(m, "couchestor_nutanix_api_requests_total", CS_L(endpoint, code), 1);
		cs_metrics_observe(m, "couchestor_nutanix_api_request_seconds", CS_L(endpoint),
				   mono_s() - t0);
	}
	return ret;
}

static void failed(const struct cs_kube_reply *r, const char *what, char *why, size_t len)
{
	if (!r->status)
		snprintf(why, len, "%s: no answer (%s)", what, r->message);
	else if (r->status == 401)
		snprintf(why, len, "%s: 401, Prism Central refused the credentials "
			 "(PRISM_USERNAME, PRISM_PASSWORD)", what);
	else
		snprintf(why, len, "%s: HTTP %ld%s%s", what, r->status, r->message[0] ? ": " : "",
			 r->message);
}

/* A Prism Element cluster, not Prism Central's own entry in the list. */
static bool is_aos(struct json_object *e)
{
	struct json_object *v = e, *sl;
	const char *const path[] = { "status", "resources", "config", "service_list" };
	size_t i;

	for (i = 0; i < 4; i++)
		if (!json_object_object_get_ex(v, path[i], &v))
			return true;	/* no service list: take it as a cluster */
	sl = v;
	if (!json_object_is_type(sl, json_type_array))
		return true;
	for (i = 0; i < json_object_array_length(sl); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(sl, i)), "AOS"))
			return true;
	return false;
}

int cs_prism_check(struct cs_kube *k, struct cs_metrics *m, const struct cs_prism_cfg *p,
		   char *why, size_t len)
{
	struct json_object *body = json_object_new_object(), *ents, *e, *md, *u;
	struct cs_kube_reply r;
	bool found = !p->cluster_uuid[0];
	size_t i;

	if (!body) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	json_object_object_add(body, "kind", json_object_new_string("cluster"));
	json_object_object_add(body, "length", json_object_new_int(500));
	call(k, m, "clusters/list", "POST", "/clusters/list", body, &r);
	json_object_put(body);
	if (r.status != 200 || !r.body) {
		failed(&r, "POST /clusters/list", why, len);
		cs_kube_reply_free(&r);
		return -1;
	}
	if (json_object_object_get_ex(r.body, "entities", &ents) &&
	    json_object_is_type(ents, json_type_array)) {
		for (i = 0; !found && i < json_object_array_length(ents); i++) {
			e = json_object_array_get_idx(ents, i);
			if (json_object_object_get_ex(e, "metadata", &md) &&
			    json_object_object_get_ex(md, "uuid", &u) &&
			    !strcasecmp(json_object_get_string(u), p->cluster_uuid) && is_aos(e))
				found = true;
		}
	}
	cs_kube_reply_free(&r);
	if (!found) {
		snprintf(why, len, "Prism Central does not know cluster %s (PRISM_CLUSTER_UUID)",
			 p->cluster_uuid);
		return -1;
	}
	return 0;
}

/*
 * GET @path; if 404, PUT there the v3 body of a category key (@field
 * "name") or value (@field "value").  1 if it was created, 0 if it was
 * there, -1.
 */
static int ensure(struct cs_kube *k, struct cs_metrics *m, const int *leader, const char *path,
		  const char *field, const char *name, const char *desc, char *why, size_t len)
{
	struct json_object *body;
	struct cs_kube_reply r;
	char what[600];
	int ret = 1;

	call(k, m, "categories", "GET", path, NULL, &r);
	if (r.status != 404) {
		if (r.status != 200) {
			snprintf(what, sizeof(what), "GET %s", path);
			failed(&r, what, why, len);
			ret = -1;
		} else {
			ret = 0;	/* there already */
		}
		cs_kube_reply_free(&r);
		return ret;
	}
	cs_kube_reply_free(&r);
	if (leader && !__atomic_load_n(leader, __ATOMIC_RELAXED)) {
		snprintf(why, len, "no longer the leader");
		return -1;
	}
	body = json_object_new_object();
	if (!body) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	json_object_object_add(body, "api_version", json_object_new_string("3.1.0"));
	json_object_object_add(body, field, json_object_new_string(name));
	json_object_object_add(body, "description", json_object_new_string(desc));
	call(k, m, "categories", "PUT", path, body, &r);
	json_object_put(body);
	if (r.status != 200 && r.status != 201) {
		snprintf(what, sizeof(what), "PUT %s", path);
		failed(&r, what, why, len);
		ret = -1;
	}
	cs_kube_reply_free(&r);
	return ret;
}

int cs_prism_ensure_categories(struct cs_kube *k, struct cs_metrics *m, const int *leader,
			       const struct cs_prism_cfg *p, int *created, char *why, size_t len)
{
	char path[512], ekey[200], eval[200];
	int i, ret;

	*created = 0;
	cs_kube_escape(p->key, ekey, sizeof(ekey));
	snprintf(path, sizeof(path), "/categories/%s", ekey);
	ret = ensure(k, m, leader, path, "name", p->key, "CoucheStor tier of the volume group",
		     why, len);
	for (i = 0; ret >= 0 && i < p->nr_values; i++) {
		*created += ret;
		cs_kube_escape(p->values[i], eval, sizeof(eval));
		snprintf(path, sizeof(path), "/categories/%s/%s", ekey, eval);
		ret = ensure(k, m, leader, path, "value", p->values[i],
			     "volumes CoucheStor keeps in this tier", why, len);
	}
	if (ret < 0)
		return -1;
	*created += ret;
	return 0;
}

int cs_prism_declare(struct cs_metrics *m)
{
	int r = 0;

	r |= cs_metrics_gauge(m, "couchestor_nutanix_api_healthy",
			      "1 if the last health check of Prism Central (POST /clusters/list) "
			      "succeeded.", NULL);
	r |= cs_metrics_counter(m, "couchestor_nutanix_api_requests_total",
				"Calls to Prism Central by endpoint and HTTP status (0: no answer).",
				CS_L("endpoint", "code"));
	r |= cs_metrics_histogram(m, "couchestor_nutanix_api_request_seconds",
				  "Time of calls to Prism Central, retries included.",
				  CS_L("endpoint"), latency_bounds,
				  sizeof(latency_bounds) / sizeof(latency_bounds[0]));
	return r;
}

static void set_state(struct cs_prism_worker *w, bool healthy, const char *why)
{
	bool was, first;
	char old[sizeof(w->why)];

	pthread_mutex_lock(&w->lock);
	was = w->healthy;
	first = !w->checked;
	snprintf(old, sizeof(old), "%s", w->why);
	w->healthy = healthy;
	w->checked = true;
	snprintf(w->why, sizeof(w->why), "%s", healthy ? "" : why);
	pthread_mutex_unlock(&w->lock);
	cs_metrics_set(w->m, "couchestor_nutanix_api_healthy", NULL, healthy);
	if (healthy && (first || !was))
		cs_log(CS_INFO, "Prism Central reachable", "url", w->cfg.url, NULL);
	else if (!healthy && (first || was || strcmp(old, why)))
		cs_log(CS_WARN, "Prism Central unhealthy: categories wait; tiering goes on",
		       "url", w->cfg.url, "error", why, NULL);
}

static void *run(void *arg)
{
	struct cs_prism_worker *w = arg;
	struct cs_kube k;
	char why[256], n[16];
	double next = 0;
	int created, refused = 0;

	if (cs_kube_init(&k, &w->cfg.http, &w->stop)) {
		set_state(w, false, "out of memory");
		return NULL;
	}
	while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
		bool lead = __atomic_load_n(&w->leader, __ATOMIC_RELAXED);

		if (!lead)
			w->categories_done = false;	/* a new leadership looks again */
		if (mono_s() < next) {
			usleep(200000);
			continue;
		}
		next = mono_s() + w->interval_s;
		if (cs_prism_check(&k, w->m, &w->cfg, why, sizeof(why))) {
			set_state(w, false, why);
			/*
			 * Refused credentials, tried again every period by every
			 * replica, would lock a directory account: back off to 15 min.
			 */
			if (strstr(why, ": 401,")) {
				double back = w->interval_s * (1 << (refused < 5 ? refused : 5));

				next = mono_s() + (back < AUTH_BACKOFF_MAX_S ? back : AUTH_BACKOFF_MAX_S);
				refused++;
			}
			continue;
		}
		refused = 0;
		set_state(w, true, "");
		/* Looked at again now and then: an admin may delete them. */
		if (w->categories_done && mono_s() >= w->categories_at + RECHECK_CHECKS * w->interval_s)
			w->categories_done = false;
		if (!lead || !w->cfg.categories || w->categories_done)
			continue;
		if (cs_prism_ensure_categories(&k, w->m, &w->leader, &w->cfg, &created, why,
					       sizeof(why))) {
			cs_log(CS_WARN, "Prism Central categories not in place; trying again",
			       "key", w->cfg.key, "error", why, NULL);
			continue;
		}
		w->categories_done = true;
		w->categories_at = mono_s();
		snprintf(n, sizeof(n), "%d", created);
		if (created || !w->categories_logged)
			cs_log(CS_INFO, created ? "Prism Central categories created" :
			       "Prism Central categories in place", "key", w->cfg.key, "created", n,
			       NULL);
		w->categories_logged = true;
	}
	cs_kube_close(&k);
	return NULL;
}

int cs_prism_worker_start(struct cs_prism_worker *w, struct cs_metrics *m, double interval_s)
{
	int e;

	w->m = m;
	w->interval_s = interval_s;
	pthread_mutex_init(&w->lock, NULL);
	if (w->cfg.http.insecure)
		cs_log(CS_WARN, "Prism Central TLS is NOT verified (nutanix.insecure_skip_verify: "
		       "true): anyone on the path can read the credentials; give nutanix.ca_file "
		       "instead", "url", w->cfg.url, NULL);
	e = pthread_create(&w->thread, NULL, run, w);
	if (e) {
		pthread_mutex_destroy(&w->lock);
		cs_prism_cfg_free(&w->cfg);
		return -e;
	}
	w->started = true;
	return 0;
}

void cs_prism_worker_set_leader(struct cs_prism_worker *w, bool leader)
{
	__atomic_store_n(&w->leader, leader, __ATOMIC_RELAXED);
}

bool cs_prism_worker_healthy(struct cs_prism_worker *w, char *why, size_t len)
{
	bool h;

	pthread_mutex_lock(&w->lock);
	h = w->healthy || !w->checked;	/* not "degraded" before the first look */
	snprintf(why, len, "%s", w->why);
	pthread_mutex_unlock(&w->lock);
	return h;
}

void cs_prism_worker_stop(struct cs_prism_worker *w)
{
	if (!w->started)
		return;
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELAXED);
	pthread_join(w->thread, NULL);
	w->started = false;
	pthread_mutex_destroy(&w->lock);
	cs_prism_cfg_free(&w->cfg);
}
