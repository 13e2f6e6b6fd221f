// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord: Prometheus instant queries.  One easy handle per query: the
 * agent asks a handful of questions per policy interval, so connection
 * reuse is not worth shared state between threads.
 */
#define _GNU_SOURCE	/* asprintf */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "promclient.h"

/* A query answer bigger than this is a runaway query, not data we use. */
#define CS_PROM_MAX_REPLY	(16u << 20)

struct reply {
	char *data;
	size_t len;
	bool too_big;
};

static void seterr(char *err, size_t errlen, const char *endpoint,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void seterr(char *err, size_t errlen, const char *endpoint,
		   const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!errlen)
		return;
	n = snprintf(err, errlen, "prometheus %s: ", endpoint);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
}

static size_t collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct reply *r = arg;
	size_t n = size * nmemb;
	char *p;

	if (r->len + n > CS_PROM_MAX_REPLY) {
		r->too_big = true;
		return 0;	/* aborts the transfer */
	}
	p = realloc(r->data, r->len + n + 1);
	if (!p)
		return 0;
	memcpy(p + r->len, ptr, n);
	r->len += n;
	p[r->len] = '\0';
	r->data = p;
	return n;
}

/* {endpoint without trailing '/'}/api/v1/query?query={escaped promql} */
static char *query_url(CURL *c, const char *endpoint, const char *promql)
{
	size_t len = strlen(endpoint);
	char *q, *url = NULL;

	while (len && endpoint[len - 1] == '/')
		len--;
	q = curl_easy_escape(c, promql, 0);
	if (!q)
		return NULL;
	if (asprintf(&url, "%.*s/api/v1/query?query=%s", (int)len, endpoint,
		     q) < 0)
		url = NULL;
	curl_free(q);
	return url;
}

/* Say why curl_easy_perform() failed, in the words an operator expects. */
static void transport_error(CURL *c, CURLcode rc, const struct reply *rep,
			    const char *cerr, const char *endpoint,
			    uint32_t timeout_ms, char *err, size_t errlen)
{
	long oserr = 0;

	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		seterr(err, errlen, endpoint, "timeout after %u ms",
		       timeout_ms);
	else if (rc == CURLE_ABORTED_BY_CALLBACK)
		seterr(err, errlen, endpoint, "aborted");
	else if (rc == CURLE_COULDNT_CONNECT && oserr)
		/* curl's own text is "Couldn't connect to server" */
		seterr(err, errlen, endpoint, "cannot connect: %s",
		       strerror((int)oserr));
	else if (rc == CURLE_WRITE_ERROR && rep->too_big)
		seterr(err, errlen, endpoint, "reply larger than %u bytes",
		       CS_PROM_MAX_REPLY);
	else
		seterr(err, errlen, endpoint, "%s",
		       *cerr ? cerr : curl_easy_strerror(rc));
}

/* curl calls this at least once a second: a set flag ends the transfer. */
static int check_abort(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return arg && __atomic_load_n((const int *)arg, __ATOMIC_RELAXED);
}

static int fetch(const char *endpoint, const char *promql,
		 uint32_t timeout_ms, const int *abort, struct reply *rep, long *code,
		 char *err, size_t errlen)
{
	char cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	int ret = CS_PROM_ERR_TRANSPORT;
	char *url = NULL;
	CURLcode rc;
	CURL *c;

	c = curl_easy_init();
	if (c)
		url = query_url(c, endpoint, promql);
	hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (!c || !url || !hdrs) {
		seterr(err, errlen, endpoint, "out of memory");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	/* signals are the daemon's; curl must not use SIGALRM for DNS */
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "couchestord");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, rep);
	if (abort) {
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, check_abort);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)abort);
	}
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		transport_error(c, rc, rep, cerr, endpoint, timeout_ms, err,
				errlen);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
	ret = 0;
out:
	curl_slist_free_all(hdrs);
	free(url);
	curl_easy_cleanup(c);
	return ret;
}

/* o[key] if it exists with type @t, else NULL. */
static json_object *get(json_object *o, const char *key, json_type t)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

/* [ <float ts>, "<value>" ]; the value is a string so NaN and Inf fit. */
static bool parse_value(json_object *pair, struct cs_prom_sample *s)
{
	json_object *ts, *val;
	const char *str;
	char *end;

	if (!json_object_is_type(pair, json_type_array) ||
	    json_object_array_length(pair) != 2)
		return false;
	ts = json_object_array_get_idx(pair, 0);
	val = json_object_array_get_idx(pair, 1);
	if (!(json_object_is_type(ts, json_type_double) ||
	      json_object_is_type(ts, json_type_int)) ||
	    !json_object_is_type(val, json_type_string))
		return false;
	s->ts = json_object_get_double(ts);
	str = json_object_get_string(val);
	s->value = strtod(str, &end);	/* also reads NaN, +Inf, -Inf */
	return *str && !*end;
}

static bool parse_labels(json_object *metric, struct cs_prom_sample *s)
{
	s->labels = calloc(json_object_object_length(metric) + 1,
			   sizeof(*s->labels));
	if (!s->labels)
		return false;
	json_object_object_foreach(metric, key, val) {
		struct cs_prom_label *l = &s->labels[s->nlabels];

		if (!json_object_is_type(val, json_type_string))
			return false;
		l->name = strdup(key);
		l->value = strdup(json_object_get_string(val));
		s->nlabels++;	/* counted now so free sees a partial one */
		if (!l->name || !l->value)
			return false;
	}
	return true;
}

static bool parse_vector(json_object *result, struct cs_prom_result *out)
{
	size_t i, n = json_object_array_length(result);

	out->type = CS_PROM_VECTOR;
	out->samples = calloc(n + 1, sizeof(*out->samples));
	if (!out->samples)
		return false;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(result, i);
		struct cs_prom_sample *s = &out->samples[i];
		json_object *metric, *value;

		out->nsamples++;
		if (!json_object_is_type(e, json_type_object))
			return false;
		metric = get(e, "metric", json_type_object);
		if (!json_object_object_get_ex(e, "value", &value) ||
		    !metric || !parse_labels(metric, s) ||
		    !parse_value(value, s))
			return false;
	}
	return true;
}

static bool parse_scalar(json_object *result, struct cs_prom_result *out)
{
	out->type = CS_PROM_SCALAR;
	out->samples = calloc(1, sizeof(*out->samples));
	if (!out->samples)
		return false;
	out->nsamples = 1;
	return parse_value(result, &out->samples[0]);
}

/* data: {"resultType": ..., "result": ...} of a "success" answer. */
static int parse_data(json_object *root, struct cs_prom_result *out,
		      const char *endpoint, char *err, size_t errlen)
{
	json_object *data = get(root, "data", json_type_object);
	json_object *type = data ? get(data, "resultType", json_type_string) :
				   NULL;
	json_object *result;
	const char *t;
	bool ok;

	if (!type || !json_object_object_get_ex(data, "result", &result)) {
		seterr(err, errlen, endpoint, "bad reply: no data.resultType");
		return CS_PROM_ERR_REPLY;
	}
	t = json_object_get_string(type);
	if (!strcmp(t, "vector") &&
	    json_object_is_type(result, json_type_array)) {
		ok = parse_vector(result, out);
	} else if (!strcmp(t, "scalar")) {
		ok = parse_scalar(result, out);
	} else {
		seterr(err, errlen, endpoint, "unsupported resultType %s", t);
		return CS_PROM_ERR_REPLY;
	}
	if (!ok) {
		seterr(err, errlen, endpoint, "bad reply: malformed %s", t);
		return CS_PROM_ERR_REPLY;
	}
	return 0;
}

/* The first line of a non-API body, for "HTTP 503: Service Unavailable". */
static void first_line(const char *body, char *buf, size_t len)
{
	size_t i;

	for (i = 0; body && body[i] && body[i] != '\n' && i + 1 < len; i++)
		buf[i] = (body[i] < ' ' || body[i] == 0x7f) ? ' ' : body[i];
	buf[i] = '\0';
}

int cs_prom_parse_reply(const char *body, long code, struct cs_prom_result *out,
			const char *endpoint, char *err, size_t errlen)
{
	enum json_tokener_error jerr = json_tokener_success;
	json_object *root = body ? json_tokener_parse_verbose(body, &jerr) :
				   NULL;
	json_object *status = root ? get(root, "status", json_type_string) :
				     NULL;
	const char *st = status ? json_object_get_string(status) : NULL;
	char line[100];
	int ret;

	memset(out, 0, sizeof(*out));

	if (!st && code != 200) {
		/* a proxy or a wrong port: no API answer to report */
		first_line(body, line, sizeof(line));
		seterr(err, errlen, endpoint, "HTTP %ld%s%s", code,
		       *line ? ": " : "", line);
		ret = CS_PROM_ERR_TRANSPORT;
	} else if (!st) {
		first_line(body, line, sizeof(line));
		seterr(err, errlen, endpoint, "bad JSON (%s): %s",
		       root ? "no \"status\"" :
		       json_tokener_error_desc(jerr), line);
		ret = CS_PROM_ERR_REPLY;
	} else if (!strcmp(st, "error")) {
		json_object *type = get(root, "errorType", json_type_string);
		json_object *msg = get(root, "error", json_type_string);

		seterr(err, errlen, endpoint, "query error: %s: %s",
		       type ? json_object_get_string(type) : "unknown",
		       msg ? json_object_get_string(msg) : "(no message)");
		ret = CS_PROM_ERR_QUERY;
	} else if (strcmp(st, "success")) {
		seterr(err, errlen, endpoint, "bad reply: status \"%s\"", st);
		ret = CS_PROM_ERR_REPLY;
	} else if (code != 200) {
		seterr(err, errlen, endpoint, "HTTP %ld", code);
		ret = CS_PROM_ERR_TRANSPORT;
	} else {
		ret = parse_data(root, out, endpoint, err, errlen);
	}
	json_object_put(root);
	if (ret)
		cs_prom_result_free(out);	/* a part parsed is not kept */
	return ret;
}

int cs_prom_query(const char *endpoint, const char *promql,
		  uint32_t timeout_ms, struct cs_prom_result *out,
		  char *err, size_t errlen)
{
	return cs_prom_query_abortable(endpoint, promql, timeout_ms, NULL, out, err, errlen);
}

int cs_prom_query_abortable(const char *endpoint, const char *promql, uint32_t timeout_ms,
			    const int *abort, struct cs_prom_result *out, char *err,
			    size_t errlen)
{
	struct reply rep = { 0 };
	long code = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!timeout_ms) {
		/* curl reads 0 as "no timeout"; every call must have one */
		seterr(err, errlen, endpoint, "timeout must be > 0");
		return CS_PROM_ERR_TRANSPORT;
	}
	ret = fetch(endpoint, promql, timeout_ms, abort, &rep, &code, err, errlen);
	if (!ret)
		ret = cs_prom_parse_reply(rep.data, code, out, endpoint, err, errlen);
	if (ret)
		cs_prom_result_free(out);
	free(rep.data);
	return ret;
}

void cs_prom_result_free(struct cs_prom_result *r)
{
	size_t i, j;

	for (i = 0; i < r->nsamples; i++) {
		struct cs_prom_sample *s = &r->samples[i];

		for (j = 0; j < s->nlabels; j++) {
			free(s->labels[j].name);
			free(s->labels[j].value);
		}
		free(s->labels);
	}
	free(r->samples);
	memset(r, 0, sizeof(*r));
}

const char *cs_prom_label(const struct cs_prom_sample *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nlabels; i++)
		if (!strcmp(s->labels[i].name, name))
			return s->labels[i].value;
	return NULL;
}
