// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord: the Prometheus thread (promworker.h).  The kernel-facing
 * loop must answer netlink events, heartbeats and signals on time, and a
 * Prometheus that hangs would hold it for query_timeout per volume.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "promclient.h"
#include "promworker.h"

/*
 * Writes @src with every $volume replaced by @volume, escaped for a PromQL
 * string literal (either quote, backslash).  False if it does not fit.
 */
static bool iops_query(const char *src, const char *volume, char *q, size_t len)
{
	size_t n = 0;
	const char *v;

	while (*src && n + 1 < len) {
		if (strncmp(src, "$volume", 7)) {
			q[n++] = *src++;
			continue;
		}
		for (v = volume; *v && n + 2 < len; v++) {
			if (*v == '"' || *v == '\'' || *v == '\\')
				q[n++] = '\\';
			q[n++] = *v;
		}
		if (*v)
			return false;
		src += 7;
	}
	q[n] = '\0';
	return !*src;
}

int cs_prom_volume_iops(const struct cs_config *cfg, const char *volume, const int *abort,
			double *iops, char *err, size_t errlen)
{
	char q[2 * sizeof(cfg->prometheus.iops_query)];
	struct cs_prom_result res = { 0 };
	int r;

	if (!iops_query(cfg->prometheus.iops_query, volume, q, sizeof(q))) {
		snprintf(err, errlen, "prometheus.iops_query is too long with volume %s", volume);
		return CS_PROM_ERR_QUERY;
	}
	r = cs_prom_query_abortable(cfg->prometheus.endpoint, q,
				    cfg->prometheus.query_timeout_ms, abort, &res, err, errlen);
	if (r)
		return r;
	if (!res.nsamples || !isfinite(res.samples[0].value) || res.samples[0].value < 0) {
		snprintf(err, errlen, "query %s gave no usable value for %s", q, volume);
		cs_prom_result_free(&res);
		return CS_PROM_ERR_REPLY;
	}
	*iops = res.samples[0].value;
	cs_prom_result_free(&res);
	return 0;
}

static struct cs_promw_answer *answer(struct cs_promw *w, const char *volume)
{
	int i;

	for (i = 0; i < w->nr; i++)
		if (!strcmp(w->ans[i].volume, volume))
			return &w->ans[i];
	return NULL;
}

static void store(struct cs_promw *w, const char *volume, int rc, double iops,
		  const char *err)
{
	struct cs_promw_answer *a;

	pthread_mutex_lock(&w->lock);
	a = answer(w, volume);
	if (!a && w->nr < CS_PROMW_MAX) {
		size_t l = strnlen(volume, sizeof(a->volume) - 1);

		a = &w->ans[w->nr++];
		memcpy(a->volume, volume, l);
		a->volume[l] = '\0';
	}
	if (a) {
		a->rc = rc;
		a->iops = iops;
		snprintf(a->err, sizeof(a->err), "%s", rc ? err : "");
		clock_gettime(CLOCK_MONOTONIC, &a->when);
	}
	pthread_mutex_unlock(&w->lock);
}

/* Lock held: answers for volumes no longer asked about go (one may come back new). */
static void forget_unwanted(struct cs_promw *w)
{
	int i, j, keep = 0;

	for (i = 0; i < w->nr; i++) {
		for (j = 0; j < w->nr_want; j++)
			if (!strcmp(w->ans[i].volume, w->want[j]))
				break;
		if (j < w->nr_want)
			w->ans[keep++] = w->ans[i];
	}
	w->nr = keep;
}

/*
 * One round: every volume asked for, in turn.  After a transport error
 * the rest of the round gets the same answer: one unreachable server is
 * enough waiting.
 */
static void *run(void *arg)
{
	struct cs_promw *w = arg;
	struct timespec t0, t1;
	unsigned long round;
	char err[256];
	double iops;
	int i, n, rc;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED) && w->done == w->asked)
			pthread_cond_wait(&w->wake, &w->lock);
		if (__atomic_load_n(&w->stop, __ATOMIC_RELAXED))
			break;
		round = w->asked;
		w->round_cfg = w->cfg;
		n = w->nr_want;
		memcpy(w->round_names, w->want, sizeof(w->want[0]) * n);
		forget_unwanted(w);
		pthread_mutex_unlock(&w->lock);

		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = 0;
		for (i = 0; i < n && !__atomic_load_n(&w->stop, __ATOMIC_RELAXED); i++) {
			iops = 0;
			if (rc != CS_PROM_ERR_TRANSPORT)
				rc = cs_prom_volume_iops(&w->round_cfg, w->round_names[i], &w->stop,
							 &iops, err, sizeof(err));
			store(w, w->round_names[i], rc, iops, err);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		pthread_mutex_lock(&w->lock);
		w->round_s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		w->done = round;
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int cs_promw_start(struct cs_promw *w, char *err, size_t errlen)
{
	static bool curl_ready;
	sigset_t all, old;
	int r;

	memset(w, 0, sizeof(*w));
	/*
	 * libcurl and its TLS library cost 2 MiB of RSS: only an agent that
	 * asks Prometheus pays for them.  Nothing else uses curl meanwhile.
	 */
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
			snprintf(err, errlen, "cannot initialise libcurl");
			return -1;
		}
		curl_ready = true;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	/* Signals are the main loop's (signalfd). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&w->thread, NULL, run, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		snprintf(err, errlen, "cannot start the prometheus thread: %s", strerror(r));
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		return -1;
	}
	w->running = true;
	return 0;
}

void cs_promw_stop(struct cs_promw *w)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->lock);
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELAXED);
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	w->running = false;
}

void cs_promw_want(struct cs_promw *w, const struct cs_config *cfg,
		   const char (*volumes)[COUCHE_DEV_NAME_LEN], int n)
{
	if (n > CS_PROMW_MAX)
		n = CS_PROMW_MAX;
	pthread_mutex_lock(&w->lock);
	w->cfg = *cfg;
	w->nr_want = n;
	memcpy(w->want, volumes, sizeof(w->want[0]) * n);
	/*
	 * Idle (asked == done): a round now.  Busy (asked == done + 1): one
	 * more when it ends, with these; never a queue of them.
	 */
	if (w->asked - w->done < 2)
		w->asked++;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

double cs_promw_round_s(struct cs_promw *w)
{
	double s;

	pthread_mutex_lock(&w->lock);
	s = w->round_s;
	pthread_mutex_unlock(&w->lock);
	return s;
}

int cs_promw_get(struct cs_promw *w, const char *volume, double *iops, double *age_s,
		 char *err, size_t errlen)
{
	struct cs_promw_answer *a;
	struct timespec now;
	int rc = CS_PROMW_NO_ANSWER;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&w->lock);
	a = answer(w, volume);
	if (a) {
		rc = a->rc;
		*iops = a->iops;
		*age_s = (now.tv_sec - a->when.tv_sec) + (now.tv_nsec - a->when.tv_nsec) / 1e9;
		snprintf(err, errlen, "%s", a->err);
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}
