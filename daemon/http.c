// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord: the metrics and health HTTP servers.  libmicrohttpd runs each
 * in its own internal polling thread; the handlers only read state under a
 * mutex, so a stuck agent loop never stops /healthz from answering that it
 * is stuck.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "http.h"
#include "metrics.h"

#define CS_HTTP_CONN_TIMEOUT_S	10	/* drop idle or slow clients */
#define CS_HTTP_CONN_LIMIT	256
/*
 * One address (a scraper, a slow or hostile client) holds at most this
 * many: the kubelet's probes come from the node's own address, and must
 * find a free connection.
 */
#define CS_HTTP_PER_IP_LIMIT	16
#define CS_HTTP_MISSED_BEATS	3

static const char metrics_type[] = "text/plain; version=0.0.4; charset=utf-8";
static const char text_type[] = "text/plain; charset=utf-8";

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status,
			     const char *type, void *body, size_t len,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, mode);
	if (!r)
		return MHD_NO;	/* MHD closes the connection */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * MHD calls a handler first with the headers alone: a reply queued then
 * makes it close the connection (a body might follow unread).  Answering
 * on the second call keeps the connection alive for the next probe or
 * scrape.  True on the first call (the caller returns MHD_YES).
 */
static bool first_call(void **con_cls)
{
	static int seen;

	if (*con_cls)
		return false;
	*con_cls = &seen;
	return true;
}

static enum MHD_Result reply_text(struct MHD_Connection *c,
				  unsigned int status, const char *text)
{
	return reply(c, status, text_type, (void *)text, strlen(text),
		     MHD_RESPMEM_MUST_COPY);
}

/* Every route is read-only: GET, and HEAD which MHD answers without body. */
static bool method_ok(const char *method)
{
	return !strcmp(method, MHD_HTTP_METHOD_GET) ||
	       !strcmp(method, MHD_HTTP_METHOD_HEAD);
}

static enum MHD_Result serve_metrics(struct cs_http *h,
				     struct MHD_Connection *c)
{
	char *text = NULL;
	size_t len = 0;

	if (h->metrics && cs_metrics_render(h->metrics, &text, &len))
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "out of memory\n");
	/* MUST_FREE: MHD frees the rendered text once it is sent */
	return reply(c, MHD_HTTP_OK, metrics_type, text ? text : "", len,
		     text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result metrics_handler(void *cls, struct MHD_Connection *c,
				       const char *url, const char *method,
				       const char *version,
				       const char *upload_data,
				       size_t *upload_data_size, void **con_cls)
{
	(void)version;
	(void)upload_data;

	if (first_call(con_cls))
		return MHD_YES;
	if (*upload_data_size) {	/* a body we do not want: drop it */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics"))
		return reply_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
	if (!method_ok(method))
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "method not allowed\n");
	return serve_metrics(cls, c);
}

static enum MHD_Result serve_healthz(struct cs_http *h,
				     struct MHD_Connection *c)
{
	int64_t age, limit;
	char msg[96];

	pthread_mutex_lock(&h->lock);
	age = now_ms() - h->last_beat_ms;
	limit = (int64_t)h->interval_ms * CS_HTTP_MISSED_BEATS;
	pthread_mutex_unlock(&h->lock);
	if (age <= limit)
		return reply_text(c, MHD_HTTP_OK, "ok\n");
	snprintf(msg, sizeof(msg), "main loop stalled: no heartbeat for %lld ms\n",
		 (long long)age);
	return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
}

static enum MHD_Result serve_readyz(struct cs_http *h,
				    struct MHD_Connection *c)
{
	char msg[sizeof(h->reason) + 1];
	bool ready;

	pthread_mutex_lock(&h->lock);
	ready = h->ready;
	snprintf(msg, sizeof(msg), "%s\n", h->reason);
	pthread_mutex_unlock(&h->lock);
	if (ready && msg[0] != '\n') {
		char ok[sizeof(msg) + 4];

		snprintf(ok, sizeof(ok), "ok; %s", msg);
		return reply_text(c, MHD_HTTP_OK, ok);
	}
	if (ready)
		return reply_text(c, MHD_HTTP_OK, "ok\n");
	return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
}

static enum MHD_Result health_handler(void *cls, struct MHD_Connection *c,
				      const char *url, const char *method,
				      const char *version,
				      const char *upload_data,
				      size_t *upload_data_size, void **con_cls)
{
	bool healthz = !strcmp(url, "/healthz");

	(void)version;
	(void)upload_data;

	if (first_call(con_cls))
		return MHD_YES;
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!healthz && strcmp(url, "/readyz"))
		return reply_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
	if (!method_ok(method))
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "method not allowed\n");
	return healthz ? serve_healthz(cls, c) : serve_readyz(cls, c);
}

/*
 * MHD's messages: kept so a failed start can say why (the bind error).
 * Runtime ones (a client that went away) are not worth reporting.
 */
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	struct cs_http *h = cls;
	size_t n;

	pthread_mutex_lock(&h->lock);
	vsnprintf(h->mhd_err, sizeof(h->mhd_err), fmt, ap);
	n = strlen(h->mhd_err);
	while (n && (h->mhd_err[n - 1] == '\n' || h->mhd_err[n - 1] == '.'))
		h->mhd_err[--n] = '\0';
	pthread_mutex_unlock(&h->lock);
}

union cs_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* Fill @sa from an IP literal; returns the MHD address flags, or -1. */
static int parse_addr(const char *addr, uint16_t port, union cs_sockaddr *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, addr, &sa->in.sin_addr) == 1) {
		sa->in.sin_family = AF_INET;
		sa->in.sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &sa->in6.sin6_addr) == 1) {
		sa->in6.sin6_family = AF_INET6;
		sa->in6.sin6_port = htons(port);
		return MHD_USE_IPv6;
	}
	return -1;
}

static struct MHD_Daemon *start_daemon(struct cs_http *h, unsigned int flags,
				       uint16_t port, const struct sockaddr *sa,
				       MHD_AccessHandlerCallback handler)
{
	/* SOCK_ADDR only when binding one address: MHD_OPTION_END skips it */
	struct MHD_OptionItem addr_opt[] = {
		{ sa ? MHD_OPTION_SOCK_ADDR : MHD_OPTION_END, 0, (void *)sa },
		{ MHD_OPTION_END, 0, NULL },
	};

	return MHD_start_daemon(flags | MHD_USE_INTERNAL_POLLING_THREAD |
				MHD_USE_ERROR_LOG, port, NULL, NULL,
				handler, h,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, h,
				MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned int)CS_HTTP_CONN_TIMEOUT_S,
				MHD_OPTION_CONNECTION_LIMIT,
				(unsigned int)CS_HTTP_CONN_LIMIT,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				(unsigned int)CS_HTTP_PER_IP_LIMIT,
				MHD_OPTION_ARRAY, addr_opt,
				MHD_OPTION_END);
}

/* Start one server; on failure write "WHAT on ADDR:PORT: why" to @err. */
static struct MHD_Daemon *start_one(struct cs_http *h, const char *what,
				    const char *addr, uint16_t port,
				    MHD_AccessHandlerCallback handler,
				    uint16_t *bound, char *err, size_t errlen)
{
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	union cs_sockaddr sa;
	int flags;

	pthread_mutex_lock(&h->lock);
	h->mhd_err[0] = '\0';
	pthread_mutex_unlock(&h->lock);
	if (!addr || !*addr) {
		/* every address: dual stack, or IPv4 alone on a v6-less host */
		addr = "";
		d = start_daemon(h, MHD_USE_DUAL_STACK, port, NULL, handler);
		if (!d)
			d = start_daemon(h, 0, port, NULL, handler);
	} else {
		flags = parse_addr(addr, port, &sa);
		if (flags < 0) {
			snprintf(err, errlen, "%s on %s:%u: not an IP address",
				 what, addr, port);
			return NULL;
		}
		d = start_daemon(h, flags, port, &sa.sa, handler);
	}
	if (!d) {
		pthread_mutex_lock(&h->lock);
		snprintf(err, errlen, "%s on %s:%u: %s", what, addr, port,
			 h->mhd_err[0] ? h->mhd_err : "cannot start");
		pthread_mutex_unlock(&h->lock);
		return NULL;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	*bound = info ? info->port : port;
	return d;
}

void cs_http_init(struct cs_http *h, struct cs_metrics *metrics,
		  uint32_t interval_ms)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	h->metrics = metrics;
	h->interval_ms = interval_ms;
	h->last_beat_ms = now_ms();
	snprintf(h->reason, sizeof(h->reason), "starting");
}

int cs_http_start(struct cs_http *h, const char *metrics_addr,
		  uint16_t metrics_port, const char *health_addr,
		  uint16_t health_port, char *err, size_t errlen)
{
	cs_http_heartbeat(h);
	h->metrics_d = start_one(h, "metrics server", metrics_addr,
				 metrics_port, metrics_handler,
				 &h->metrics_port, err, errlen);
	if (!h->metrics_d)
		return -1;
	h->health_d = start_one(h, "health server", health_addr, health_port,
				health_handler, &h->health_port, err, errlen);
	if (!h->health_d) {
		cs_http_stop(h);
		return -1;
	}
	return 0;
}

void cs_http_stop(struct cs_http *h)
{
	if (h->metrics_d)
		MHD_stop_daemon(h->metrics_d);
	if (h->health_d)
		MHD_stop_daemon(h->health_d);
	h->metrics_d = NULL;
	h->health_d = NULL;
}

void cs_http_heartbeat(struct cs_http *h)
{
	pthread_mutex_lock(&h->lock);
	h->last_beat_ms = now_ms();
	pthread_mutex_unlock(&h->lock);
}

void cs_http_set_interval(struct cs_http *h, uint32_t interval_ms)
{
	pthread_mutex_lock(&h->lock);
	h->interval_ms = interval_ms;
	pthread_mutex_unlock(&h->lock);
}

/* One line: a probe's log shows the body, keep it readable. */
static void one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

void cs_http_set_ready(struct cs_http *h, const char *note)
{
	pthread_mutex_lock(&h->lock);
	h->ready = true;
	snprintf(h->reason, sizeof(h->reason), "%s", note ? note : "");
	one_line(h->reason);
	pthread_mutex_unlock(&h->lock);
}

void cs_http_set_not_ready(struct cs_http *h, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&h->lock);
	h->ready = false;
	va_start(ap, fmt);
	vsnprintf(h->reason, sizeof(h->reason), fmt, ap);
	va_end(ap);
	one_line(h->reason);
	pthread_mutex_unlock(&h->lock);
}
