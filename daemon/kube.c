// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord: Kubernetes API calls.  Every call has a timeout and can be
 * aborted; TLS is verified against the configured CA (or the system's);
 * the service account token is re-read every minute, as client-go does,
 * because the kubelet rotates it.  Watches are newline-delimited JSON
 * whose lines libcurl hands over in arbitrary pieces: buffered to '\n'.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "kube.h"

/* A list page or an object bigger than this is not one we asked for. */
#define MAX_REPLY	(64u << 20)
#define MAX_LINE	(16u << 20)
#define TOKEN_REFRESH_S	60

static double mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int cs_kube_init(struct cs_kube *k, const struct cs_kube_cfg *cfg, const int *abort)
{
	memset(k, 0, sizeof(*k));
	k->cfg = cfg;
	k->abort = abort;
	k->curl = curl_easy_init();
	return k->curl ? 0 : -ENOMEM;
}

void cs_kube_close(struct cs_kube *k)
{
	if (k->curl)
		curl_easy_cleanup(k->curl);
	k->curl = NULL;
	memset(k->token, 0, sizeof(k->token));
}

void cs_kube_reply_free(struct cs_kube_reply *r)
{
	if (r->body)
		json_object_put(r->body);
	memset(r, 0, sizeof(*r));
}

static void load_token(struct cs_kube *k, bool force)
{
	struct timespec now;
	FILE *f;
	size_t n;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!k->cfg->token_file[0]) {
		if (k->cfg->token)
			snprintf(k->token, sizeof(k->token), "%s", k->cfg->token);
		return;
	}
	if (!force && k->token[0] && now.tv_sec - k->token_read.tv_sec < TOKEN_REFRESH_S)
		return;
	f = fopen(k->cfg->token_file, "r");
	if (!f)
		return;		/* keep the last one: the 401 will tell */
	n = fread(k->token, 1, sizeof(k->token) - 1, f);
	fclose(f);
	k->token[n] = '\0';
	k->token[strcspn(k->token, "\r\n")] = '\0';
	k->token_read = now;
}

static int check_abort(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	const int *abort = arg;

	(void)a;
	(void)b;
	(void)c;
	(void)d;
	return abort && __atomic_load_n(abort, __ATOMIC_RELAXED);
}

struct sink {
	char *data;
	size_t len, cap, max;
	bool too_big;
	/* streaming: */
	struct cs_kube_lines lines;
	bool bad_line;		/* too long, or not JSON */
	cs_kube_event_fn fn;
	void *arg;
	bool stopped;
	long status;
	struct cs_kube *k;
};

static int grow(struct sink *s, size_t more)
{
	size_t cap;
	char *p;

	if (s->len + more + 1 <= s->cap)
		return 0;
	if (s->len + more > s->max) {
		s->too_big = true;
		return -1;
	}
	cap = s->cap ? s->cap : 16384;
	while (cap < s->len + more + 1)
		cap *= 2;
	p = realloc(s->data, cap);
	if (!p)
		return -1;
	s->data = p;
	s->cap = cap;
	return 0;
}

static size_t collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;

	if (grow(s, n))
		return 0;	/* aborts the transfer */
	memcpy(s->data + s->len, ptr, n);
	s->len += n;
	s->data[s->len] = '\0';
	return n;
}

int cs_kube_lines_feed(struct cs_kube_lines *l, const char *data, size_t n,
		       cs_kube_event_fn fn, void *arg)
{
	size_t start = 0, i, from;
	char *p;

	if (l->len + n + 1 > l->cap) {
		size_t cap = l->cap ? l->cap : 16384;

		if (l->len + n > l->max)
			return -1;
		while (cap < l->len + n + 1)
			cap *= 2;
		p = realloc(l->buf, cap);
		if (!p)
			return -1;
		l->buf = p;
		l->cap = cap;
	}
	from = l->len;
	memcpy(l->buf + l->len, data, n);
	l->len += n;
	l->buf[l->len] = '\0';
	/* Only the new bytes can hold a newline: the old ones had none. */
	for (i = from; i < l->len; i++) {
		struct json_object *ev;
		int stop;

		if (l->buf[i] != '\n')
			continue;
		l->buf[i] = '\0';
		ev = json_tokener_parse(l->buf + start);
		if (!ev && l->buf[start] == '\0') {
			start = i + 1;
			continue;	/* a blank line */
		}
		start = i + 1;
		if (!ev) {
			/* An event we cannot read: watch again from before it, not past it. */
			l->len = 0;
			return -1;
		}
		stop = fn(ev, arg);
		json_object_put(ev);
		if (stop) {
			l->len = 0;
			return 1;
		}
	}
	memmove(l->buf, l->buf + start, l->len - start);
	l->len -= start;
	l->buf[l->len] = '\0';
	return 0;
}

void cs_kube_lines_free(struct cs_kube_lines *l)
{
	free(l->buf);
	memset(l, 0, sizeof(*l));
}

/* Each complete line to the callback; the rest waits for its newline. */
static size_t stream(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;
	long code = 0;
	int r;

	curl_easy_getinfo(s->k->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200)
		return collect(ptr, size, nmemb, arg);	/* an error Status, read whole */
	r = cs_kube_lines_feed(&s->lines, ptr, n, s->fn, s->arg);
	if (r > 0)
		s->stopped = true;
	if (r < 0)
		s->bad_line = true;
	return r ? 0 : n;
}

/* A Kubernetes Status's reason and message, or Prism's first message_list entry's. */
static void take_status(struct cs_kube_reply *r)
{
	struct json_object *v, *o = r->body;

	if (!o || r->status < 300 || !json_object_is_type(o, json_type_object))
		return;
	if (json_object_object_get_ex(o, "message_list", &v) &&
	    json_object_is_type(v, json_type_array) && json_object_array_length(v))
		o = json_object_array_get_idx(v, 0);
	if (json_object_object_get_ex(o, "reason", &v))
		snprintf(r->reason, sizeof(r->reason), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "message", &v))
		snprintf(r->message, sizeof(r->message), "%s", json_object_get_string(v));
}

static void setup(struct cs_kube *k, CURL *c, const char *method, const char *url,
		  struct curl_slist *hdrs, long timeout_ms, char *cerr)
{
	const struct cs_kube_cfg *cfg = k->cfg;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 5000 ? timeout_ms : 5000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* A watch can be quiet for minutes: keepalives find a dead peer. */
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, 30L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL, 10L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "couchestord");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, cfg->insecure ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, cfg->insecure ? 0L : 2L);
	if (cfg->basic_user) {
		/* Prism's session cookie, kept across resets: fewer logins (LDAP binds). */
		curl_easy_setopt(c, CURLOPT_COOKIEFILE, "");
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->basic_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->basic_password ?: "");
	}
	if (cfg->ca_pem) {
		struct curl_blob b = { cfg->ca_pem, cfg->ca_len, CURL_BLOB_NOCOPY };

		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &b);
	} else if (cfg->ca_file[0]) {
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->ca_file);
	}
	if (cfg->cert_pem) {
		struct curl_blob b = { cfg->cert_pem, cfg->cert_len, CURL_BLOB_NOCOPY };

		curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &b);
		curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
	} else if (cfg->cert_file[0]) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, cfg->cert_file);
	}
	if (cfg->key_pem) {
		struct curl_blob b = { cfg->key_pem, cfg->key_len, CURL_BLOB_NOCOPY };

		curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &b);
		curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	} else if (cfg->key_file[0]) {
		curl_easy_setopt(c, CURLOPT_SSLKEY, cfg->key_file);
	}
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, check_abort);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)k->abort);
}

static int perform(struct cs_kube *k, const char *method, const char *path, const char *ctype,
		   const char *body, long timeout_ms, struct sink *s, struct cs_kube_reply *r)
{
	char url[1024 + 4096], auth[8300], cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL, *h;
	CURL *c = k->curl;
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	if (snprintf(url, sizeof(url), "%s%s", k->cfg->server, path) >= (int)sizeof(url)) {
		snprintf(r->message, sizeof(r->message), "request path too long");
		return -1;
	}
	load_token(k, false);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (k->token[0]) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", k->token);
		h = curl_slist_append(hdrs, auth);
		hdrs = h ?: hdrs;
	}
	if (ctype) {
		char ct[128];

		snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
		h = curl_slist_append(hdrs, ct);
		hdrs = h ?: hdrs;
	}
	/* No "Expect: 100-continue" round trip for a body. */
	h = curl_slist_append(hdrs, "Expect:");
	hdrs = h ?: hdrs;
	setup(k, c, method, url, hdrs, timeout_ms, cerr);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s->fn ? stream : collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	rc = curl_easy_perform(c);
	curl_slist_free_all(hdrs);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);	/* cerr goes out of scope */
	memset(auth, 0, sizeof(auth));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (s->stopped)
		return 0;
	if (rc != CURLE_OK) {
		if (rc == CURLE_ABORTED_BY_CALLBACK)
			snprintf(r->message, sizeof(r->message), "aborted");
		else if (s->too_big)
			snprintf(r->message, sizeof(r->message), "answer over %u MiB", MAX_REPLY >> 20);
		else if (s->bad_line)
			snprintf(r->message, sizeof(r->message), "a watch line over %u MiB or not JSON",
				 MAX_LINE >> 20);
		else
			snprintf(r->message, sizeof(r->message), "%s", cerr[0] ? cerr :
				 curl_easy_strerror(rc));
		r->permanent = rc == CURLE_PEER_FAILED_VERIFICATION ||
			rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM;
		/* A watch ends cleanly only as HTTP ends it; anything else is a failure. */
		r->status = s->fn && r->status == 200 ? 200 : 0;
		return -1;
	}
	if (s->len && (!s->fn || r->status != 200))
		r->body = json_tokener_parse(s->data);
	take_status(r);
	return 0;
}

int cs_kube_request(struct cs_kube *k, const char *method, const char *path,
		    const char *ctype, const char *body, long timeout_ms,
		    struct cs_kube_reply *r)
{
	struct sink s = { .max = MAX_REPLY, .k = k };
	int ret = perform(k, method, path, ctype, body, timeout_ms, &s, r);

	free(s.data);
	return ret;
}

long cs_kube_backoff_ms(int n, long max_ms)
{
	long ms = 200;

	while (n-- > 0 && ms < max_ms)
		ms *= 2;
	if (ms > max_ms)
		ms = max_ms;
	/* 0.8x to 1.2x: callers that failed together do not retry together. */
	return ms * (80 + random() % 41) / 100;
}

static bool retryable(long status)
{
	return status == 0 || status == 429 || status == 500 || status == 502 || status == 503 ||
		status == 504;
}

int cs_kube_call(struct cs_kube *k, const char *method, const char *path,
		 const char *ctype, struct json_object *body, long deadline_ms,
		 struct cs_kube_reply *r)
{
	const char *text = body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN) :
		NULL;
	double end = mono_s() + deadline_ms / 1000.0, left;
	bool relogged = false;
	int attempt = 0, ret;
	long wait;

	for (;;) {
		left = end - mono_s();
		ret = cs_kube_request(k, method, path, ctype, text,
				      left > 0.05 ? (long)(left * 1000) : 50, r);
		if (r->status == 401 && !relogged && k->cfg->token_file[0]) {
			relogged = true;
			load_token(k, true);
			cs_kube_reply_free(r);
			continue;
		}
		if (!retryable(r->status) || r->permanent ||
		    (k->abort && __atomic_load_n(k->abort, __ATOMIC_RELAXED)))
			return ret;
		wait = cs_kube_backoff_ms(attempt++, 5000);
		if (r->status == 429) {
			curl_off_t ra = 0;

			/* The server says when: up to 10 s of it. */
			if (!curl_easy_getinfo(k->curl, CURLINFO_RETRY_AFTER, &ra) && ra > 0)
				wait = ra > 10 ? 10000 : (long)ra * 1000;
		}
		if (mono_s() + wait / 1000.0 >= end)
			return ret;
		cs_kube_reply_free(r);
		while (wait > 0 && !(k->abort && __atomic_load_n(k->abort, __ATOMIC_RELAXED))) {
			usleep((wait > 100 ? 100 : wait) * 1000);
			wait -= 100;
		}
	}
}

int cs_kube_stream(struct cs_kube *k, const char *path, long timeout_ms,
		   cs_kube_event_fn fn, void *arg, struct cs_kube_reply *r)
{
	struct sink s = { .max = MAX_REPLY, .fn = fn, .arg = arg, .k = k,
			  .lines = { .max = MAX_LINE } };
	int ret = perform(k, "GET", path, NULL, NULL, timeout_ms, &s, r);

	if (!ret && r->status != 200 && !s.stopped)
		ret = (int)r->status;
	if (r->status == 401 && k->cfg->token_file[0])
		load_token(k, true);	/* rotated: the next watch has the new one */
	free(s.data);
	cs_kube_lines_free(&s.lines);
	return ret;
}

const char *cs_kube_escape(const char *s, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *s && n + 4 < len; s++) {
		unsigned char c = *s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			buf[n++] = c;
		} else {
			buf[n++] = '%';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 15];
		}
	}
	buf[n] = '\0';
	return buf;
}

const char *cs_kube_time(char *buf, size_t len, bool micro)
{
	struct timespec t;
	struct tm tm;
	char s[32];

	clock_gettime(CLOCK_REALTIME, &t);
	gmtime_r(&t.tv_sec, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	if (micro)
		snprintf(buf, len, "%s.%06ldZ", s, t.tv_nsec / 1000);
	else
		snprintf(buf, len, "%sZ", s);
	return buf;
}

int cs_kube_parse_time(const char *s, struct timespec *t)
{
	struct tm tm = { 0 };
	const char *p;
	long us = 0;
	int digits = 0;

	if (!s)
		return -1;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 6)
				us = us * 10 + (*p - '0');
		while (digits < 6) {
			us *= 10;
			digits++;
		}
	}
	if (strcmp(p, "Z"))
		return -1;
	t->tv_sec = timegm(&tm);
	t->tv_nsec = us * 1000;
	return 0;
}
