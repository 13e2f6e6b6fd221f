// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus thread (promworker.h) against a Prometheus that fails
 * every way one does: answers, 503s, truncated and malformed JSON, NaN,
 * a slow answer past the timeout, an empty reply.  1,000 rounds of three
 * volumes: every answer is classed right, memory stays flat, and a stop
 * with a query in flight returns within about a second.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "promclient.h"
#include "promworker.h"
#include "tap.h"

enum fault { OK, E503, TRUNCATED, MALFORMED, NAN_VALUE, EMPTY, SLOW, NR_FAULTS };

static atomic_uint requests;
static atomic_int slow_ms, all_slow;

static enum fault fault_of(unsigned int n)
{
	/* Slow answers are the one in 50 that costs a timeout each. */
	if (n % 50 == 49 || atomic_load(&all_slow))
		return SLOW;
	return (enum fault)(n % (NR_FAULTS - 1));
}

static enum MHD_Result fake(void *cls, struct MHD_Connection *c, const char *url,
			    const char *method, const char *version, const char *upload,
			    size_t *upload_size, void **con_cls)
{
	static const char ok[] = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
		"\"result\":[{\"metric\":{},\"value\":[1700000000,\"42.5\"]}]}}";
	static const char nan[] = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
		"\"result\":[{\"metric\":{},\"value\":[1700000000,\"NaN\"]}]}}";
	const char *body = ok;
	unsigned int code = 200;
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len;

	(void)cls; (void)url; (void)method; (void)version; (void)upload;
	(void)upload_size; (void)con_cls;
	switch (fault_of(atomic_fetch_add(&requests, 1))) {
	case OK:
		break;
	case E503:
		code = 503;
		body = "Service Unavailable";
		break;
	case TRUNCATED:
		body = "{\"status\":\"success\",\"data\":{\"resultType\":\"vec";
		break;
	case MALFORMED:
		body = "{\"status\":\"success\",\"data\":[1,2,3]}";
		break;
	case NAN_VALUE:
		body = nan;
		break;
	case EMPTY:
		body = "";
		break;
	default:
		usleep(atomic_load(&slow_ms) * 1000);
		break;
	}
	len = strlen(body);
	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static long rss_kib(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Asks for a round and waits for it to end (30 s at most). */
static bool one_round(struct cs_promw *w, struct cs_config *cfg,
		      const char (*names)[COUCHE_DEV_NAME_LEN])
{
	double t0 = now_s();
	bool done;

	cs_promw_want(w, cfg, names, 3);
	do {
		usleep(200);
		pthread_mutex_lock(&w->lock);
		done = w->done == w->asked;
		pthread_mutex_unlock(&w->lock);
	} while (!done && now_s() - t0 < 30);
	return done;
}

int main(void)
{
	static const char names[3][COUCHE_DEV_NAME_LEN] = { "vol0", "vol\"1", "vol2" };
	static struct cs_promw w;
	static struct cs_config cfg;
	unsigned int bad = 0, seen[3] = { 0 }, round;
	struct MHD_Daemon *d;
	long rss100 = 0, rss1000;
	char err[512];
	double iops, age, t0;
	int rc, i;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	atomic_store(&slow_ms, 300);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
			     NULL, NULL, fake, NULL, MHD_OPTION_END);
	if (!d)
		return 1;
	cs_config_defaults(&cfg);
	snprintf(cfg.prometheus.endpoint, sizeof(cfg.prometheus.endpoint), "http://127.0.0.1:%u",
		 MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);
	snprintf(cfg.prometheus.iops_query, sizeof(cfg.prometheus.iops_query),
		 "sum(rate(io{volume=\"$volume\"}[1m]))");
	cfg.prometheus.query_timeout_ms = 100;
	T(!cs_promw_start(&w, err, sizeof(err)), "the thread starts");

	for (round = 0; round < 1000; round++) {
		if (!one_round(&w, &cfg, names)) {
			bad++;
			break;
		}
		for (i = 0; i < 3; i++) {
			rc = cs_promw_get(&w, names[i], &iops, &age, err, sizeof(err));
			if (rc == 0 && iops != 42.5)
				bad++;
			else if (rc == 0)
				seen[0]++;
			else if (rc == CS_PROM_ERR_TRANSPORT)
				seen[1]++;
			else if (rc == CS_PROM_ERR_REPLY)
				seen[2]++;
			else
				bad++;
		}
		if (round == 99)
			rss100 = rss_kib();
	}
	rss1000 = rss_kib();
	T(!bad && round == 1000, "1000 rounds, every answer a value of 42.5, a transport error "
	  "or a bad reply (%u good, %u transport, %u bad reply, %u wrong)",
	  seen[0], seen[1], seen[2], bad);
	T(seen[0] && seen[1] && seen[2], "each kind was seen");
	T(rss1000 - rss100 < 1024, "memory flat: %ld KiB after 100 rounds, %ld after 1000",
	  rss100, rss1000);
	T(cs_promw_get(&w, "vol9", &iops, &age, err, sizeof(err)) == CS_PROMW_NO_ANSWER,
	  "a volume never asked about has no answer");
	T(CS_PROMW_NO_ANSWER != CS_PROM_ERR_TRANSPORT && CS_PROMW_NO_ANSWER != CS_PROM_ERR_REPLY &&
	  CS_PROMW_NO_ANSWER != CS_PROM_ERR_QUERY && CS_PROMW_NO_ANSWER != 0,
	  "no answer yet is told apart from every answer");

	/* A stop while a query waits on a slow server. */
	atomic_store(&slow_ms, 5000);
	atomic_store(&all_slow, 1);
	cfg.prometheus.query_timeout_ms = 10000;
	cs_promw_want(&w, &cfg, names, 1);
	usleep(300 * 1000);
	t0 = now_s();
	cs_promw_stop(&w);
	T(now_s() - t0 < 2.0, "stop with a query in flight returns in %.2f s", now_s() - t0);
	MHD_stop_daemon(d);
	curl_global_cleanup();
	return tap_done();
}
