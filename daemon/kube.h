/* SPDX-License-Identifier: GPL-2.0 */
/*
 * couchestord: a small Kubernetes API client on libcurl and json-c, for
 * the few endpoints the controller and the agent use.  One struct cs_kube
 * per thread (it owns a curl handle, so connections are reused).
 */
#ifndef COUCHESTORD_KUBE_H
#define COUCHESTORD_KUBE_H

#include <stdbool.h>
#include <time.h>
#include <json-c/json.h>

#include "kubeconfig.h"

/* A watch line, decoded; nonzero stops the stream. */
typedef int (*cs_kube_event_fn)(struct json_object *ev, void *arg);

struct cs_kube {
	const struct cs_kube_cfg *cfg;
	void *curl;		/* CURL * */
	char token[8192];
	struct timespec token_read;	/* CLOCK_MONOTONIC; re-read every minute */
	const int *abort;	/* atomic: ends a call or a watch within about a second */
};

struct cs_kube_reply {
	long status;		/* HTTP status; 0 if no answer came */
	struct json_object *body;	/* the answer, if JSON */
	char reason[64];	/* a Status's reason (Conflict, NotFound, Expired...) */
	char message[512];	/* a Status's message, or why no answer came */
	bool permanent;		/* no answer, and none will come: TLS verification failed */
};

int cs_kube_init(struct cs_kube *k, const struct cs_kube_cfg *cfg, const int *abort);
void cs_kube_close(struct cs_kube *k);
void cs_kube_reply_free(struct cs_kube_reply *r);

/*
 * One request to @path (server-relative, query included) with @body (or
 * NULL) as @ctype, within @timeout_ms.  0 if the server answered (any
 * status, in @r), -1 if not (@r->message says why).
 */
int cs_kube_request(struct cs_kube *k, const char *method, const char *path,
		    const char *ctype, const char *body, long timeout_ms,
		    struct cs_kube_reply *r);

/*
 * The same, retried: no answer, 429 (after its Retry-After), 500, 502,
 * 503 and 504 are tried again with jittered exponential backoff from
 * 200 ms while @deadline_ms lasts; a 401 re-reads the token once.
 */
int cs_kube_call(struct cs_kube *k, const char *method, const char *path,
		 const char *ctype, struct json_object *body, long deadline_ms,
		 struct cs_kube_reply *r);

/*
 * A watch: @fn for each line, however the bytes come.  0 when the server
 * ended it (or @fn stopped it), -1 if the connection failed, or the HTTP
 * status of an answer other than 200 (with @r filled: 410 is Expired).
 */
int cs_kube_stream(struct cs_kube *k, const char *path, long timeout_ms,
		   cs_kube_event_fn fn, void *arg, struct cs_kube_reply *r);

/* A watch stream's bytes, as they come, into lines. */
struct cs_kube_lines {
	char *buf;
	size_t len, cap, max;	/* max: the longest line taken */
};

/*
 * Appends @n bytes; @fn gets each complete line, decoded (blank lines
 * are skipped).  0, 1 if @fn stopped, -1 for a line over max, a line
 * that is not JSON (the watch starts again before it) or no memory.
 */
int cs_kube_lines_feed(struct cs_kube_lines *l, const char *data, size_t n,
		       cs_kube_event_fn fn, void *arg);
void cs_kube_lines_free(struct cs_kube_lines *l);

/* @s with every character but [A-Za-z0-9-_.~] %-escaped, for a query. */
const char *cs_kube_escape(const char *s, char *buf, size_t len);

/* Milliseconds of jittered backoff for attempt @n (0, 1, ...), capped at @max_ms. */
long cs_kube_backoff_ms(int n, long max_ms);

/* "2006-01-02T15:04:05.000000Z" (MicroTime) or without fraction (Time), for now. */
const char *cs_kube_time(char *buf, size_t len, bool micro);
/* Parses either form; -1 if it is neither. */
int cs_kube_parse_time(const char *s, struct timespec *t);

#endif /* COUCHESTORD_KUBE_H */
