/* SPDX-License-Identifier: GPL-2.0 */
/*
 * couchestord: Prometheus queries off the kernel-facing loop.  One thread
 * runs them, each up to prometheus.query_timeout; the loop asks with
 * cs_promw_want() and reads the last answer per volume with
 * cs_promw_get(), never waiting on the network.
 */
#ifndef CS_PROMWORKER_H
#define CS_PROMWORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include <linux/dm-couche.h>

#include "config.h"

#define CS_PROMW_MAX 256	/* volumes per node */

struct cs_promw_answer {
	char volume[COUCHE_DEV_NAME_LEN];
	int rc;			/* 0 or CS_PROM_ERR_* */
	double iops;
	char err[256];
	struct timespec when;	/* CLOCK_MONOTONIC */
};

#define CS_PROMW_NO_ANSWER 1

struct cs_promw {
	pthread_t thread;
	bool running;
	int stop;		/* atomic: also aborts a query in flight */
	pthread_mutex_t lock;	/* guards what follows */
	pthread_cond_t wake;
	unsigned long asked, done;	/* rounds */
	struct cs_config cfg;	/* for the next round */
	int nr_want;
	char want[CS_PROMW_MAX][COUCHE_DEV_NAME_LEN];
	int nr;
	struct cs_promw_answer ans[CS_PROMW_MAX];
	double round_s;		/* how long the last round took */
	/* The thread's own copy of a round's work. */
	struct cs_config round_cfg;
	char round_names[CS_PROMW_MAX][COUCHE_DEV_NAME_LEN];
};

/* Initialises libcurl (once per process) and starts the thread. */
int cs_promw_start(struct cs_promw *w, char *err, size_t errlen);

/* Stops the thread within about a second, a query in flight aborted. */
void cs_promw_stop(struct cs_promw *w);

/*
 * Asks for the IOPS of @n volumes with @cfg's query.  Returns at once; if
 * a round is running, another follows it at once with these.
 */
void cs_promw_want(struct cs_promw *w, const struct cs_config *cfg,
		   const char (*volumes)[COUCHE_DEV_NAME_LEN], int n);

/*
 * The last answer for @volume: its rc (0 with *@iops, or CS_PROM_ERR_*
 * with the message in @err) and *@age_s; CS_PROMW_NO_ANSWER if there is
 * none yet (a value apart from every CS_PROM_ERR_*).
 */
int cs_promw_get(struct cs_promw *w, const char *volume, double *iops, double *age_s,
		 char *err, size_t errlen);

/* How long the last whole round took: answers age by that much anyway. */
double cs_promw_round_s(struct cs_promw *w);

/*
 * One volume's IOPS by cfg's iops_query ($volume replaced, quoted for a
 * PromQL string), blocking: the worker's query, also couchestord
 * check-prometheus's.  @abort may be NULL.
 */
int cs_prom_volume_iops(const struct cs_config *cfg, const char *volume, const int *abort,
			double *iops, char *err, size_t errlen);

#endif /* CS_PROMWORKER_H */
