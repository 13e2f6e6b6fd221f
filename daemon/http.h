/* SPDX-License-Identifier: GPL-2.0 */
/*
 * couchestord: the HTTP servers (libmicrohttpd, one internal polling thread
 * each).
 *
 * metrics server (default :8080)
 *	GET /metrics	the registry, text/plain; version=0.0.4
 *	anything else	404 (/webhook comes later)
 * health server (default :8081)
 *	GET /healthz	200 "ok" while the main loop calls cs_http_heartbeat()
 *			at least every 3 heartbeat intervals; 503 otherwise
 *	GET /readyz	200 "ok" after cs_http_set_ready() (with its note); before that, or
 *			after cs_http_set_not_ready(), 503 with the reason
 *
 * Use:
 *	cs_http_init(&h, metrics, interval_ms);	  before start
 *	cs_http_start(&h, "", 8080, "", 8081, err, sizeof(err));
 *	loop: ... cs_http_heartbeat(&h); ...
 *	cs_http_stop(&h);
 *
 * The heartbeat and readiness setters are cheap and thread-safe; call them
 * from any thread, before or after start.
 */
#ifndef CS_HTTP_H
#define CS_HTTP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct MHD_Daemon;
struct cs_metrics;

struct cs_http {
	struct MHD_Daemon *metrics_d;
	struct MHD_Daemon *health_d;
	struct cs_metrics *metrics;
	uint16_t metrics_port;		/* bound ports, valid after start */
	uint16_t health_port;

	pthread_mutex_t lock;		/* guards everything below */
	uint32_t interval_ms;
	int64_t last_beat_ms;		/* CLOCK_MONOTONIC */
	bool ready;
	char reason[256];
	char mhd_err[256];		/* last libmicrohttpd message */
};

/*
 * @metrics: the registry to serve (may be NULL: empty page).
 * @interval_ms: the main loop's period; /healthz fails after 3 of them
 * without a heartbeat.  Starts not ready, reason "starting".
 */
void cs_http_init(struct cs_http *h, struct cs_metrics *metrics,
		  uint32_t interval_ms);

/*
 * Start both servers.  An address is an IPv4 or IPv6 literal; NULL or ""
 * means every address (IPv6 and IPv4 when the host has IPv6).  Port 0 picks
 * a free port; read it back from h->metrics_port / h->health_port.  The
 * heartbeat clock starts here, so the loop has 3 intervals to come round.
 * Returns 0, or -1 with a message in @err; on failure nothing is left
 * running.
 */
int cs_http_start(struct cs_http *h, const char *metrics_addr,
		  uint16_t metrics_port, const char *health_addr,
		  uint16_t health_port, char *err, size_t errlen);

/*
 * Stop both servers (waits for their threads); safe to call twice.  A
 * stopped pair can be started again, on other addresses.
 */
void cs_http_stop(struct cs_http *h);

void cs_http_heartbeat(struct cs_http *h);
/* A new main-loop period (a reload): /healthz allows 3 of them. */
void cs_http_set_interval(struct cs_http *h, uint32_t interval_ms);
/* Ready: 200 "ok", or "ok; <note>" with a note (NULL for none). */
void cs_http_set_ready(struct cs_http *h, const char *note);
/* printf-style one-line reason, e.g. "prometheus unreachable: %s". */
void cs_http_set_not_ready(struct cs_http *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* CS_HTTP_H */
