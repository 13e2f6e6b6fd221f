/* SPDX-License-Identifier: GPL-2.0 */
/*
 * couchestord: Prism Central v3, for the controller: where it is and who
 * we are (the PRISM_* environment over config.yaml's nutanix.*), a health
 * check, and the category key and values the tiers map to.  Calls go
 * through the same libcurl client as the Kubernetes API (kube.c), with
 * HTTP Basic on every request.  Credentials never appear in a log line, a
 * metric or an error.
 */
#ifndef COUCHESTORD_PRISM_H
#define COUCHESTORD_PRISM_H

#include <pthread.h>
#include <stdbool.h>

#include "config.h"
#include "kube.h"
#include "metrics.h"

#define CS_PRISM_MAX_VALUES CS_MAX_TIERS

struct cs_prism_cfg {
	struct cs_kube_cfg http;	/* server: <Prism Central>/api/nutanix/v3 */
	char url[256];			/* https://host:9440, for logs */
	char user[256], password[256];
	char cluster_uuid[64];		/* "" if not given */
	bool categories;		/* nutanix.use_categories */
	char key[65];			/* nutanix.category_key, default CoucheStor */
	int nr_values;
	char values[CS_PRISM_MAX_VALUES][65];	/* each tier's category_value */
};

/*
 * From the environment (PRISM_CENTRAL_URL, PRISM_USERNAME, PRISM_PASSWORD,
 * PRISM_CLUSTER_UUID) over @cfg's nutanix section.  0 when Prism Central
 * is to be used, 1 when it is not configured (no URL, or no credentials:
 * @err says which), -1 for a bad setting (@err says what).
 */
int cs_prism_cfg_load(struct cs_prism_cfg *p, const struct cs_config *cfg, char *err,
		      size_t errlen);
/* Scrubs the password. */
void cs_prism_cfg_free(struct cs_prism_cfg *p);

/*
 * The health check: POST /clusters/list.  0 if Prism Central answered
 * and knows the cluster (when a cluster UUID is given), else -1 with
 * @why (short, no credentials).
 */
int cs_prism_check(struct cs_kube *k, struct cs_metrics *m, const struct cs_prism_cfg *p,
		   char *why, size_t len);

/*
 * The category key and each tier's value exist: read first, created
 * (PUT, idempotent) only where missing.  @created counts the PUTs.
 * 0, or -1 with @why.  Calls are counted on @m (or not, if NULL); no
 * PUT is sent once *@leader (if given) is 0.
 */
int cs_prism_ensure_categories(struct cs_kube *k, struct cs_metrics *m, const int *leader,
			       const struct cs_prism_cfg *p, int *created, char *why, size_t len);

/* The controller's Prism thread: checks every @interval_s, keeps the categories. */
struct cs_prism_worker {
	struct cs_prism_cfg cfg;
	struct cs_metrics *m;
	double interval_s;
	pthread_t thread;
	bool started;
	int stop;			/* atomic */
	int leader;			/* atomic: only the leader writes to Prism */
	pthread_mutex_t lock;
	bool healthy, checked;		/* under lock */
	bool categories_done;		/* this leadership, lately */
	bool categories_logged;
	double categories_at;		/* CLOCK_MONOTONIC of the last look */
	char why[256];			/* under lock: why not healthy */
};

/* Declares the Prism metrics on @m (whether Prism is configured or not). */
int cs_prism_declare(struct cs_metrics *m);
int cs_prism_worker_start(struct cs_prism_worker *w, struct cs_metrics *m, double interval_s);
void cs_prism_worker_set_leader(struct cs_prism_worker *w, bool leader);
/* Healthy (true) or why not, for readiness. */
bool cs_prism_worker_healthy(struct cs_prism_worker *w, char *why, size_t len);
void cs_prism_worker_stop(struct cs_prism_worker *w);

#endif /* COUCHESTORD_PRISM_H */
