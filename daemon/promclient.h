/* SPDX-License-Identifier: GPL-2.0 */
/*
 * couchestord: Prometheus HTTP API client, instant queries only
 * (GET {endpoint}/api/v1/query?query=...), libcurl + json-c.
 *
 * Blocking for at most timeout_ms: run it off the kernel-facing loop.
 * libcurl must be initialised once by main() before any thread starts:
 * curl_global_init(CURL_GLOBAL_DEFAULT).  TLS peers are verified.
 * Values are read with strtod(): LC_NUMERIC must stay "C".
 */
#ifndef CS_PROMCLIENT_H
#define CS_PROMCLIENT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Error classes, so the caller can tell what is worth a retry:
 * TRANSPORT	no answer: cannot connect, timeout, TLS, an HTTP error
 *		without an API reply.  Prometheus is unreachable: back off
 *		and retry.
 * REPLY	an answer that is not the API's (bad JSON, unexpected
 *		shape): the endpoint is probably not Prometheus.
 * QUERY	Prometheus said "error"; the message names its errorType:
 *		bad_data means our query is wrong (retrying will not help),
 *		timeout/execution that it is too heavy, unavailable/internal
 *		that the server is in trouble.
 */
enum {
	CS_PROM_ERR_TRANSPORT = -1,
	CS_PROM_ERR_REPLY = -2,
	CS_PROM_ERR_QUERY = -3,
};

enum cs_prom_type {
	CS_PROM_VECTOR,
	CS_PROM_SCALAR,		/* one sample, no labels */
};

struct cs_prom_label {
	char *name;
	char *value;
};

struct cs_prom_sample {
	struct cs_prom_label *labels;
	size_t nlabels;
	double ts;		/* seconds since the epoch */
	double value;		/* may be NaN or +-Inf */
};

struct cs_prom_result {
	enum cs_prom_type type;
	struct cs_prom_sample *samples;
	size_t nsamples;
};

/*
 * @endpoint: base URL, e.g. "http://prometheus:9090" (a path prefix is
 * kept, a trailing '/' dropped).  @timeout_ms must be > 0.
 * Returns 0 with *out filled (free with cs_prom_result_free()), or a
 * CS_PROM_ERR_* with *out empty and a message in @err that starts with
 * "prometheus ENDPOINT: ".
 */
int cs_prom_query(const char *endpoint, const char *promql,
		  uint32_t timeout_ms, struct cs_prom_result *out,
		  char *err, size_t errlen);

/*
 * The same, ended early (CS_PROM_ERR_TRANSPORT, "aborted") within about a
 * second of *@abort turning non-zero (read atomically; set by another thread).
 */
int cs_prom_query_abortable(const char *endpoint, const char *promql, uint32_t timeout_ms,
			    const int *abort, struct cs_prom_result *out, char *err,
			    size_t errlen);

/*
 * Decodes an HTTP reply of status @code with NUL-terminated @body (NULL:
 * none) as cs_prom_query() does: for the fuzzer.
 */
int cs_prom_parse_reply(const char *body, long code, struct cs_prom_result *out,
			const char *endpoint, char *err, size_t errlen);

void cs_prom_result_free(struct cs_prom_result *r);

/* The value of label @name in @s, or NULL. */
const char *cs_prom_label(const struct cs_prom_sample *s, const char *name);

#endif /* CS_PROMCLIENT_H */
