// SPDX-License-Identifier: GPL-2.0
/*
 * Tests for metrics.c, http.c and promclient.c: exact exposition text,
 * promtool's linter, the HTTP servers over real sockets, and the client
 * against a real Prometheus (started here, scraping the servers under
 * test).  TAP-like output; exit 1 on any failure.
 *
 * gcc -Wall -Wextra -Werror -std=gnu11 -Iinclude -Iinclude/uapi \
 *	-o /tmp/test_http daemon/test_http.c daemon/metrics.c daemon/http.c \
 *	daemon/promclient.c \
 *	$(pkg-config --cflags --libs libmicrohttpd libcurl json-c) -lpthread
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "http.h"
#include "metrics.h"
#include "promclient.h"

#define PROMETHEUS	"/usr/bin/prometheus"
#define PROMTOOL	"/usr/bin/promtool"
#define JOB		"couchestor"

static int ntests, nfailed;
static char tmpdir[64];
static pid_t prom_pid;

static bool ok(bool cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!cond)
		nfailed++;
	return cond;
}

/* Show expected and actual text as TAP comments when they differ. */
static bool ok_text(const char *got, const char *want, const char *what)
{
	bool same = got && !strcmp(got, want);

	if (!same)
		printf("# want:\n%s# got:\n%s\n", want, got ? got : "(null)");
	return ok(same, "%s", what);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- cleanup: Prometheus and the temp dir go on every exit path ---- */

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void stop_prometheus(void)
{
	int i;

	if (prom_pid <= 0)
		return;
	kill(prom_pid, SIGTERM);
	for (i = 0; i < 50; i++) {
		if (waitpid(prom_pid, NULL, WNOHANG) == prom_pid)
			break;
		sleep_ms(100);
	}
	if (i == 50) {
		kill(prom_pid, SIGKILL);
		waitpid(prom_pid, NULL, 0);
	}
	prom_pid = 0;
}

static void cleanup(void)
{
	stop_prometheus();
	if (tmpdir[0])
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	tmpdir[0] = '\0';
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---- helpers ---- */

static char *render(struct cs_metrics *m)
{
	char *text = NULL;
	size_t len;

	if (cs_metrics_render(m, &text, &len))
		return NULL;
	return text;
}

struct fetched {
	long code;
	char type[128];
	char body[1 << 16];
	size_t len;
};

static size_t fetch_body(char *p, size_t size, size_t n, void *arg)
{
	struct fetched *f = arg;
	size_t room = sizeof(f->body) - 1 - f->len;

	n *= size;
	if (n > room)
		n = room;
	memcpy(f->body + f->len, p, n);
	f->len += n;
	f->body[f->len] = '\0';
	return size * (n / size);
}

/* A curl handle for @url whose body goes to @f, 5 s at most. */
static CURL *handle(const char *url, struct fetched *f)
{
	CURL *c = curl_easy_init();

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	return c;
}

/* GET (or @method) @url; f->code is -1 if no answer came. */
static struct fetched *fetch(const char *method, const char *url)
{
	static struct fetched f;
	char *type = NULL;
	CURL *c;

	memset(&f, 0, sizeof(f));
	f.code = -1;
	c = handle(url, &f);
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (curl_easy_perform(c) == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f.code);
		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
		snprintf(f.type, sizeof(f.type), "%s", type ? type : "");
	}
	curl_easy_cleanup(c);
	return &f;
}

static struct fetched *get(uint16_t port, const char *path)
{
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	return fetch("GET", url);
}

static bool got(struct fetched *f, long code, const char *body)
{
	bool same = f->code == code && (!body || !strcmp(f->body, body));

	if (!same)
		printf("# got HTTP %ld, body \"%s\"\n", f->code, f->body);
	return same;
}

/* A socket bound to a free 127.0.0.1 port; listening if @backlog >= 0. */
static int bound_socket(uint16_t *port, int backlog)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) ||
	    (backlog >= 0 && listen(fd, backlog))) {
		perror("socket");
		exit(1);
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A port nothing listens on (races only with other programs binding it). */
static uint16_t free_port(void)
{
	uint16_t port;

	close(bound_socket(&port, -1));
	return port;
}

/* ---- metrics rendering ---- */

static void test_counter(void)
{
	struct cs_metrics *m = cs_metrics_new();
	const char *name = "couchestor_migrations_completed_total";
	char *t;

	cs_metrics_counter(m, name, "Extent migrations completed.", NULL);
	t = render(m);
	ok_text(t, "# HELP couchestor_migrations_completed_total Extent migrations completed.\n"
		"# TYPE couchestor_migrations_completed_total counter\n"
		"couchestor_migrations_completed_total 0\n",
		"unlabelled counter is visible at 0 from declaration");
	free(t);
	cs_metrics_add(m, name, NULL, 3);
	cs_metrics_add(m, name, NULL, 2);
	ok(cs_metrics_add(m, name, NULL, -1) == -EINVAL,
	   "counter refuses a negative increment");
	t = render(m);
	ok_text(t, "# HELP couchestor_migrations_completed_total Extent migrations completed.\n"
		"# TYPE couchestor_migrations_completed_total counter\n"
		"couchestor_migrations_completed_total 5\n",
		"counter renders exactly");
	free(t);
	cs_metrics_free(m);
}

static void test_gauge(void)
{
	struct cs_metrics *m = cs_metrics_new();
	const char *name = "couchestor_test_ratio";
	char *t;

	cs_metrics_gauge(m, name, "Help with \\ and\nnewline.",
			 CS_L("volume", "tier"));
	t = render(m);
	ok_text(t, "", "labelled family without series renders nothing");
	free(t);
	cs_metrics_set(m, name, CS_L("a\"b\\c\nd", "hot"), 0.1);
	cs_metrics_set(m, name, CS_L("vol1", "cold"), -2.5);
	cs_metrics_add(m, name, CS_L("vol1", "cold"), 1);
	cs_metrics_set(m, name, CS_L("vol2", "warm"), NAN);
	cs_metrics_set(m, name, CS_L("vol3", "warm"), -INFINITY);
	cs_metrics_set(m, name, CS_L("vol4", "warm"), 1e300);
	cs_metrics_set(m, name, CS_L("vol5", "warm"), 123456789012);
	t = render(m);
	ok_text(t, "# HELP couchestor_test_ratio Help with \\\\ and\\nnewline.\n"
		"# TYPE couchestor_test_ratio gauge\n"
		"couchestor_test_ratio{volume=\"a\\\"b\\\\c\\nd\",tier=\"hot\"} 0.1\n"
		"couchestor_test_ratio{volume=\"vol1\",tier=\"cold\"} -1.5\n"
		"couchestor_test_ratio{volume=\"vol2\",tier=\"warm\"} NaN\n"
		"couchestor_test_ratio{volume=\"vol3\",tier=\"warm\"} -Inf\n"
		"couchestor_test_ratio{volume=\"vol4\",tier=\"warm\"} 1e+300\n"
		"couchestor_test_ratio{volume=\"vol5\",tier=\"warm\"} 123456789012\n",
		"labelled gauge: escapes in label value and HELP, special values");
	free(t);

	ok(cs_metrics_remove(m, name, CS_L("vol2", "warm")) == 0 &&
	   cs_metrics_remove(m, name, CS_L("vol2", "warm")) == -ENOENT,
	   "remove drops a series once");
	ok(cs_metrics_set(m, name, CS_L("vol1"), 1) == -EINVAL &&
	   cs_metrics_set(m, name, NULL, 1) == -EINVAL,
	   "wrong number of label values refused");
	ok(cs_metrics_set(m, name, CS_L("bad\xff", "hot"), 1) == -EINVAL &&
	   cs_metrics_set(m, name, CS_L("\xed\xa0\x80", "hot"), 1) == -EINVAL &&
	   cs_metrics_set(m, name, CS_L("v\xc3\xa9", "hot"), 1) == 0,
	   "label values must be UTF-8 (bad byte, surrogate refused; é fine)");
	ok(cs_metrics_gauge(m, name, "again", NULL) == -EEXIST,
	   "family declared twice refused");
	ok(cs_metrics_gauge(m, "9bad", "x", NULL) == -EINVAL &&
	   cs_metrics_gauge(m, "ok_name", "x", CS_L("bad-label")) == -EINVAL &&
	   cs_metrics_gauge(m, "ok_name", "x", CS_L("__x")) == -EINVAL &&
	   cs_metrics_gauge(m, "ok_name", "x", CS_L("a", "a")) == -EINVAL &&
	   cs_metrics_gauge(m, "ok_name", "", NULL) == -EINVAL,
	   "bad metric name, label name, duplicate label, empty help refused");
	ok(cs_metrics_set(m, "no_such", NULL, 1) == -ENOENT &&
	   cs_metrics_observe(m, name, CS_L("vol1", "cold"), 1) == -EINVAL,
	   "unknown family and observe on a gauge refused");
	ok(cs_metrics_clear(m, name) == 0 && (t = render(m)) && !*t,
	   "clear empties a labelled family");
	free(t);
	cs_metrics_free(m);
}

static void test_histogram(void)
{
	static const double bounds[] = { 0.5, 1, 10 };
	static const double bad[] = { 1, 1 };
	struct cs_metrics *m = cs_metrics_new();
	const char *name = "couchestor_migration_duration_seconds";
	char *t;

	cs_metrics_histogram(m, name, "Time to migrate one extent.",
			     CS_L("tier"), bounds, 3);
	/* 0.5 sits on a bound: le is inclusive */
	cs_metrics_observe(m, name, CS_L("hot"), 0.25);
	cs_metrics_observe(m, name, CS_L("hot"), 0.5);
	cs_metrics_observe(m, name, CS_L("hot"), 4);
	cs_metrics_observe(m, name, CS_L("hot"), 64);
	cs_metrics_observe(m, name, CS_L("cold"), 2);
	t = render(m);
	ok_text(t, "# HELP couchestor_migration_duration_seconds Time to migrate one extent.\n"
		"# TYPE couchestor_migration_duration_seconds histogram\n"
		"couchestor_migration_duration_seconds_bucket{tier=\"hot\",le=\"0.5\"} 2\n"
		"couchestor_migration_duration_seconds_bucket{tier=\"hot\",le=\"1\"} 2\n"
		"couchestor_migration_duration_seconds_bucket{tier=\"hot\",le=\"10\"} 3\n"
		"couchestor_migration_duration_seconds_bucket{tier=\"hot\",le=\"+Inf\"} 4\n"
		"couchestor_migration_duration_seconds_sum{tier=\"hot\"} 68.75\n"
		"couchestor_migration_duration_seconds_count{tier=\"hot\"} 4\n"
		"couchestor_migration_duration_seconds_bucket{tier=\"cold\",le=\"0.5\"} 0\n"
		"couchestor_migration_duration_seconds_bucket{tier=\"cold\",le=\"1\"} 0\n"
		"couchestor_migration_duration_seconds_bucket{tier=\"cold\",le=\"10\"} 1\n"
		"couchestor_migration_duration_seconds_bucket{tier=\"cold\",le=\"+Inf\"} 1\n"
		"couchestor_migration_duration_seconds_sum{tier=\"cold\"} 2\n"
		"couchestor_migration_duration_seconds_count{tier=\"cold\"} 1\n",
		"histogram: cumulative buckets, +Inf, _sum, _count, one HELP/TYPE");
	free(t);
	ok(cs_metrics_histogram(m, "h2_seconds", "x", NULL, bad, 2) == -EINVAL &&
	   cs_metrics_histogram(m, "h3_seconds", "x", CS_L("le"), bounds, 3) ==
	   -EINVAL,
	   "histogram refuses unsorted bounds and a label named le");
	ok(cs_metrics_set(m, name, CS_L("hot"), 1) == -EINVAL,
	   "set on a histogram refused");
	cs_metrics_free(m);
}

/* One registry with every kind, as the daemon would serve it. */
static struct cs_metrics *sample_registry(void)
{
	static const double bounds[] = { 0.005, 0.1, 1, 2.5, 60 };
	struct cs_metrics *m = cs_metrics_new();

	cs_metrics_gauge(m, "couchestor_nutanix_api_healthy",
			 "1 if the last Prism Central call succeeded.", NULL);
	cs_metrics_counter(m, "couchestor_migrations_completed_total",
			   "Extent migrations completed.", CS_L("volume"));
	cs_metrics_add(m, "couchestor_migrations_completed_total",
		       CS_L("vol0"), 7);
	cs_metrics_add(m, "couchestor_migrations_completed_total",
		       CS_L("we\"ird\\name\n"), 1);
	cs_metrics_gauge(m, "couchestor_migrations_pending",
			 "Migrations queued in the kernel.", CS_L("volume"));
	cs_metrics_set(m, "couchestor_migrations_pending", CS_L("vol0"), 3);
	cs_metrics_histogram(m, "couchestor_plan_duration_seconds",
			     "Time to plan one interval.\nSecond \\ line.",
			     NULL, bounds, 5);
	cs_metrics_observe(m, "couchestor_plan_duration_seconds", NULL, 0.02);
	cs_metrics_gauge(m, "couchestor_test_value", "Test gauge.",
			 CS_L("volume"));
	return m;
}

/* Run promtool on @text: its exit status, and its output in @out. */
static int promtool(const char *text, char *out, size_t outlen)
{
	char path[128], cmd[256];
	size_t n = 0;
	FILE *f, *p;
	int st;

	snprintf(path, sizeof(path), "%s/metrics.txt", tmpdir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), PROMTOOL " check metrics < %s 2>&1", path);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	out[0] = '\0';
	while (n + 1 < outlen && fgets(out + n, outlen - n, p))
		n += strlen(out + n);
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_promtool(void)
{
	struct cs_metrics *m = sample_registry();
	char *t = render(m);
	char out[4096];
	int rc;

	rc = promtool(t, out, sizeof(out));
	if (*out)
		printf("# promtool: %s", out);
	ok(rc == 0 && !*out, "promtool check metrics: exit 0, no problems");
	free(t);
	/* the linter is live: a counter without _total must fail it */
	rc = promtool("# HELP x_bad y\n# TYPE x_bad counter\nx_bad 1\n", out,
		      sizeof(out));
	ok(rc != 0 && strstr(out, "_total"),
	   "promtool flags a counter without _total (exit %d)", rc);
	cs_metrics_free(m);
}

/* ---- HTTP servers ---- */

struct churn {
	struct cs_metrics *m;
	atomic_bool stop;
};

/* Rebuild a per-volume family under the lock, as the agent would. */
static void refill(struct cs_metrics *m, int gen)
{
	char vol[16];
	int i;

	cs_metrics_lock(m);
	cs_metrics_clear(m, "couchestor_test_churn");
	for (i = 0; i < 20; i++) {
		snprintf(vol, sizeof(vol), "vol%d", i);
		cs_metrics_set(m, "couchestor_test_churn", CS_L(vol), gen);
	}
	cs_metrics_unlock(m);
}

static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	int gen = 0;

	while (!c->stop)
		refill(c->m, gen++);
	return NULL;
}

static int count_lines(const char *text, const char *prefix)
{
	size_t len = strlen(prefix);
	const char *p;
	int n = 0;

	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (!strncmp(p, prefix, len))
			n++;
	return n;
}

static void test_churn(struct cs_http *h, struct cs_metrics *m)
{
	struct churn c = { .m = m };
	pthread_t t;
	int i, good = 0;

	cs_metrics_gauge(m, "couchestor_test_churn", "Churn test.",
			 CS_L("volume"));
	refill(m, 0);
	pthread_create(&t, NULL, churn_thread, &c);
	for (i = 0; i < 30; i++) {
		struct fetched *f = get(h->metrics_port, "/metrics");

		if (f->code == 200 &&
		    count_lines(f->body, "couchestor_test_churn{") == 20 &&
		    count_lines(f->body, "# TYPE couchestor_test_churn ") == 1)
			good++;
	}
	c.stop = true;
	pthread_join(t, NULL);
	ok(good == 30, "30 scrapes during updates each see a whole family (%d)",
	   good);
	cs_metrics_clear(m, "couchestor_test_churn");
}

static void test_health(struct cs_http *h)
{
	struct fetched *f;

	cs_http_heartbeat(h);
	ok(got(get(h->health_port, "/healthz"), 200, "ok\n"),
	   "/healthz 200 ok while heartbeats come");
	f = get(h->health_port, "/readyz");
	ok(got(f, 503, "starting\n"), "/readyz 503 \"starting\" at first");
	cs_http_set_not_ready(h, "prometheus unreachable: %s\nsecond",
			      "timeout after 30000 ms");
	ok(got(get(h->health_port, "/readyz"), 503,
	       "prometheus unreachable: timeout after 30000 ms second\n"),
	   "/readyz 503 with the agent's reason, on one line");
	cs_http_set_ready(h, NULL);
	ok(got(get(h->health_port, "/readyz"), 200, "ok\n"),
	   "/readyz 200 once ready");
	cs_http_set_ready(h, "tier warm of vol0 is not in the config");
	ok(got(get(h->health_port, "/readyz"), 200, "ok; tier warm of vol0 is not in the config\n"),
	   "/readyz 200 with the agent's note");
	cs_http_set_not_ready(h, "no netlink yet");
	ok(got(get(h->health_port, "/readyz"), 503, "no netlink yet\n"),
	   "/readyz back to 503 when not ready again");
	cs_http_set_ready(h, NULL);

	sleep_ms(450);	/* > 3 intervals of 100 ms without a heartbeat */
	f = get(h->health_port, "/healthz");
	ok(f->code == 503 && !strncmp(f->body, "main loop stalled", 17),
	   "/healthz 503 after heartbeats stop: %.*s",
	   (int)strcspn(f->body, "\n"), f->body);
	cs_http_heartbeat(h);
	ok(got(get(h->health_port, "/healthz"), 200, "ok\n"),
	   "/healthz 200 again after a heartbeat");
	ok(got(get(h->health_port, "/metrics"), 404, NULL) &&
	   got(get(h->health_port, "/"), 404, NULL),
	   "health server: 404 for other paths");
}

/*
 * One client holding 64 connections open, sending a header byte at a time
 * (slow enough for the idle timeout never to fire), must not take the
 * probes down: they come from another address (127.0.0.2 plays the
 * client; in a pod the kubelet probes from the node's address).
 */
static void test_slow_clients(struct cs_http *h)
{
	struct sockaddr_in src = { .sin_family = AF_INET }, dst = { .sin_family = AF_INET };
	int fds[64], i, round, held = 0, answered = 0;

	inet_pton(AF_INET, "127.0.0.2", &src.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
	dst.sin_port = htons(h->health_port);
	for (i = 0; i < 64; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] >= 0 && !bind(fds[i], (struct sockaddr *)&src, sizeof(src)) &&
		    !connect(fds[i], (struct sockaddr *)&dst, sizeof(dst)) &&
		    send(fds[i], "G", 1, MSG_NOSIGNAL) == 1)
			continue;
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
	for (round = 0; round < 10; round++) {
		for (i = 0; i < 64; i++)
			if (fds[i] >= 0 && send(fds[i], "E", 1, MSG_NOSIGNAL) != 1) {
				close(fds[i]);
				fds[i] = -1;
			}
		cs_http_heartbeat(h);
		answered += got(get(h->health_port, "/healthz"), 200, "ok\n");
		sleep_ms(100);
	}
	for (i = 0; i < 64; i++)
		if (fds[i] >= 0) {
			held++;
			close(fds[i]);
		}
	ok(answered == 10 && held <= 16,
	   "/healthz answered %d of 10 probes while one client tried 64 slow connections "
	   "(%d kept open)", answered, held);
}

/* Probes and scrapes keep their connection: no "Connection: close". */
static void test_keepalive(struct cs_http *h)
{
	long fresh = -1, code = 0;
	struct fetched f;
	char url[128];
	CURL *c;

	memset(&f, 0, sizeof(f));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/readyz", h->health_port);
	c = handle(url, &f);
	if (curl_easy_perform(c) == CURLE_OK) {
		f.len = 0;
		if (curl_easy_perform(c) == CURLE_OK) {
			curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &fresh);
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		}
	}
	curl_easy_cleanup(c);
	ok(code == 200 && fresh == 0, "a second probe reuses the connection (HTTP %ld, %ld new)",
	   code, fresh);
}

static void test_servers(struct cs_http *h, struct cs_metrics *m)
{
	char url[128], err[256], *t = render(m);
	struct cs_http h2;
	struct fetched *f;

	f = get(h->metrics_port, "/metrics");
	ok(got(f, 200, t), "GET /metrics 200, body is the rendered registry");
	ok(!strcmp(f->type, "text/plain; version=0.0.4; charset=utf-8"),
	   "/metrics Content-Type: %s", f->type);
	free(t);
	ok(got(get(h->metrics_port, "/nope"), 404, "not found\n") &&
	   got(get(h->metrics_port, "/metrics/x"), 404, NULL),
	   "metrics server: 404 for other paths");
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics",
		 h->metrics_port);
	ok(got(fetch("POST", url), 405, NULL), "POST /metrics 405");
	ok(fetch("HEAD", url)->code == 200, "HEAD /metrics 200");

	/* a second daemon on the same ports must fail and say why */
	cs_http_init(&h2, m, 100);
	ok(cs_http_start(&h2, "127.0.0.1", h->metrics_port, "127.0.0.1", 0,
			 err, sizeof(err)) == -1 && strstr(err, "in use") &&
	   !h2.metrics_d && !h2.health_d,
	   "port in use: %s", err);
	ok(cs_http_start(&h2, "127.0.0.1", 0, "127.0.0.1", h->health_port,
			 err, sizeof(err)) == -1 && strstr(err, "health") &&
	   !h2.metrics_d && !h2.health_d,
	   "health port in use stops the metrics server too: %s", err);
	ok(cs_http_start(&h2, "localhost", 0, "127.0.0.1", 0, err,
			 sizeof(err)) == -1 && strstr(err, "not an IP"),
	   "bad bind address: %s", err);
	ok(cs_http_start(&h2, "::1", 0, NULL, 0, err, sizeof(err)) == 0 &&
	   h2.metrics_port && h2.health_port, "IPv6 and any-address binds");
	if (h2.metrics_port) {
		snprintf(url, sizeof(url), "http://[::1]:%u/metrics",
			 h2.metrics_port);
		ok(fetch("GET", url)->code == 200, "GET over IPv6");
	}
	cs_http_stop(&h2);
	cs_http_stop(&h2);
}

/* ---- a fake API server for replies Prometheus never sends ---- */

static enum MHD_Result fake_handler(void *cls, struct MHD_Connection *c,
				    const char *url, const char *method,
				    const char *version, const char *upload,
				    size_t *upload_size, void **con_cls)
{
	static const char vec_bad[] = "{\"status\":\"success\",\"data\":"
		"{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
		"\"value\":[1,\"x\"]}]}}";
	static const char matrix[] = "{\"status\":\"success\",\"data\":"
		"{\"resultType\":\"matrix\",\"result\":[]}}";
	const char *body = "not json";
	unsigned int code = 200;
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls; (void)method; (void)version; (void)upload;
	(void)upload_size; (void)con_cls;
	if (!strncmp(url, "/503/", 5)) {
		code = 503;
		body = "Service Unavailable";
	} else if (!strncmp(url, "/matrix/", 8)) {
		body = matrix;
	} else if (!strncmp(url, "/badvalue/", 10)) {
		body = vec_bad;
	}
	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
					    MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static bool query_fails(const char *endpoint, const char *q, uint32_t tmo,
			int want, const char *needle, char *err, size_t errlen)
{
	struct cs_prom_result r;
	int rc = cs_prom_query(endpoint, q, tmo, &r, err, errlen);

	if (rc != want || !strstr(err, needle) || r.nsamples)
		printf("# rc %d, err \"%s\"\n", rc, err);
	return rc == want && strstr(err, needle) && !r.nsamples &&
	       !strncmp(err, "prometheus ", 11);
}

static void test_client_errors(struct cs_http *h)
{
	struct MHD_Daemon *d;
	char ep[128], err[512];
	int64_t t0, dt;
	uint16_t port;
	bool res;
	int fd;

	port = free_port();
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%u", port);
	t0 = now_ms();
	res = query_fails(ep, "up", 5000, CS_PROM_ERR_TRANSPORT,
			  "Connection refused", err, sizeof(err));
	dt = now_ms() - t0;
	ok(res && dt < 2000, "closed port: \"%s\" in %lld ms", err,
	   (long long)dt);

	/*
	 * Listening, never accepting: the kernel completes the handshake
	 * and the request then waits for an answer that never comes.
	 */
	fd = bound_socket(&port, 16);
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%u", port);
	t0 = now_ms();
	res = query_fails(ep, "up", 1, CS_PROM_ERR_TRANSPORT,
			  "timeout after 1 ms", err, sizeof(err));
	dt = now_ms() - t0;
	ok(res && dt < 1000, "silent server, 1 ms: \"%s\" in %lld ms", err,
	   (long long)dt);
	t0 = now_ms();
	res = query_fails(ep, "up", 300, CS_PROM_ERR_TRANSPORT,
			  "timeout after 300 ms", err, sizeof(err));
	dt = now_ms() - t0;
	ok(res && dt >= 250 && dt < 2000,
	   "silent server, 300 ms: waits for the timeout (%lld ms)",
	   (long long)dt);
	close(fd);
	ok(query_fails(ep, "up", 0, CS_PROM_ERR_TRANSPORT, "timeout must be",
		       err, sizeof(err)), "timeout 0 refused: %s", err);

	snprintf(ep, sizeof(ep), "http://127.0.0.1:%u", h->health_port);
	ok(query_fails(ep, "up", 2000, CS_PROM_ERR_TRANSPORT,
		       "HTTP 404: not found", err, sizeof(err)),
	   "not Prometheus: \"%s\"", err);

	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
			     fake_handler, NULL, MHD_OPTION_END);
	port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%u/503", port);
	ok(query_fails(ep, "up", 2000, CS_PROM_ERR_TRANSPORT,
		       "HTTP 503: Service Unavailable", err, sizeof(err)),
	   "\"%s\"", err);
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%u/json/", port);
	ok(query_fails(ep, "up", 2000, CS_PROM_ERR_REPLY, "bad JSON",
		       err, sizeof(err)), "\"%s\"", err);
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%u/matrix", port);
	ok(query_fails(ep, "up", 2000, CS_PROM_ERR_REPLY,
		       "unsupported resultType matrix", err, sizeof(err)),
	   "\"%s\"", err);
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%u/badvalue", port);
	ok(query_fails(ep, "up", 2000, CS_PROM_ERR_REPLY, "malformed vector",
		       err, sizeof(err)), "\"%s\"", err);
	MHD_stop_daemon(d);
	ok(query_fails("file:///etc", "up", 2000, CS_PROM_ERR_TRANSPORT,
		       "prometheus file:///etc: ", err, sizeof(err)),
	   "non-HTTP scheme refused: \"%s\"", err);
}

/* ---- a real Prometheus ---- */

static bool start_prometheus(uint16_t target_port, uint16_t prom_port)
{
	char cfg[128], data[128], log[128], listen[64], arg[160];
	FILE *f;
	int fd;

	snprintf(cfg, sizeof(cfg), "%s/prometheus.yml", tmpdir);
	snprintf(data, sizeof(data), "%s/data", tmpdir);
	snprintf(log, sizeof(log), "%s/prometheus.log", tmpdir);
	f = fopen(cfg, "w");
	if (!f)
		return false;
	fprintf(f, "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
		"scrape_configs:\n  - job_name: " JOB "\n    static_configs:\n"
		"      - targets: ['127.0.0.1:%u']\n", target_port);
	fclose(f);
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%u",
		 prom_port);
	prom_pid = fork();
	if (prom_pid < 0)
		return false;
	if (prom_pid == 0) {
		/* dies with the test even if the test is SIGKILLed */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		snprintf(arg, sizeof(arg), "--config.file=%s", cfg);
		execl(PROMETHEUS, PROMETHEUS, arg, listen,
		      "--storage.tsdb.path", data, "--log.level=warn",
		      (char *)NULL);
		_exit(127);
	}
	return true;
}

static void show_prometheus_log(void)
{
	char path[128], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/prometheus.log", tmpdir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		printf("# prometheus: %s", line);
	if (f)
		fclose(f);
}

static bool wait_ready(uint16_t prom_port, int64_t deadline)
{
	while (now_ms() < deadline) {
		if (waitpid(prom_pid, NULL, WNOHANG) == prom_pid) {
			prom_pid = 0;
			return false;
		}
		if (get(prom_port, "/-/ready")->code == 200)
			return true;
		sleep_ms(200);
	}
	return false;
}

/* Poll until Prometheus has scraped couchestor_test_value 42. */
static bool wait_value(const char *ep, int64_t deadline,
		       struct cs_prom_result *r, char *err, size_t errlen)
{
	while (now_ms() < deadline) {
		if (!cs_prom_query(ep, "couchestor_test_value", 2000, r, err,
				   errlen)) {
			if (r->nsamples == 1 && r->samples[0].value == 42)
				return true;
			cs_prom_result_free(r);
		}
		sleep_ms(250);
	}
	return false;
}

static void test_prometheus(struct cs_http *h, struct cs_metrics *m)
{
	struct cs_prom_result r;
	uint16_t pport = free_port();
	char ep[128], target[64], err[512];
	int64_t t0 = now_ms();
	const struct cs_prom_sample *s;
	bool res;
	int rc;

	cs_metrics_set(m, "couchestor_test_value", CS_L("vol0"), 42);
	res = start_prometheus(h->metrics_port, pport) &&
	      wait_ready(pport, t0 + 20000);
	if (!ok(res, "prometheus ready on port %u after %lld ms", pport,
		(long long)(now_ms() - t0))) {
		show_prometheus_log();
		return;
	}
	/* the trailing '/' must not matter */
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%u/", pport);
	snprintf(target, sizeof(target), "127.0.0.1:%u", h->metrics_port);
	res = wait_value(ep, t0 + 30000, &r, err, sizeof(err));
	if (!ok(res, "couchestor_test_value scraped and queried as 42 after %lld ms",
		(long long)(now_ms() - t0))) {
		printf("# last error: %s\n", err);
		show_prometheus_log();
		return;
	}
	s = &r.samples[0];
	ok(r.type == CS_PROM_VECTOR && s->nlabels == 4 &&
	   !strcmp(cs_prom_label(s, "__name__"), "couchestor_test_value") &&
	   !strcmp(cs_prom_label(s, "volume"), "vol0") &&
	   !strcmp(cs_prom_label(s, "job"), JOB) &&
	   !strcmp(cs_prom_label(s, "instance"), target) &&
	   !cs_prom_label(s, "nope") && s->ts > 1.6e9,
	   "vector sample labels: __name__, volume=vol0, job, instance");
	cs_prom_result_free(&r);

	rc = cs_prom_query(ep, "up{job=\"" JOB "\"}", 2000, &r, err,
			   sizeof(err));
	ok(!rc && r.nsamples == 1 && r.samples[0].value == 1,
	   "up{job=\"" JOB "\"} == 1");
	cs_prom_result_free(&r);

	rc = cs_prom_query(ep, "scalar(couchestor_test_value) * 2", 2000, &r,
			   err, sizeof(err));
	ok(!rc && r.type == CS_PROM_SCALAR && r.nsamples == 1 &&
	   r.samples[0].value == 84 && !r.samples[0].nlabels,
	   "scalar result: 84");
	cs_prom_result_free(&r);
	rc = cs_prom_query(ep, "0/0", 2000, &r, err, sizeof(err));
	ok(!rc && r.nsamples == 1 && isnan(r.samples[0].value),
	   "scalar NaN parsed");
	cs_prom_result_free(&r);
	rc = cs_prom_query(ep, "couchestor_test_value / 0", 2000, &r, err,
			   sizeof(err));
	ok(!rc && r.nsamples == 1 && isinf(r.samples[0].value),
	   "vector +Inf parsed");
	cs_prom_result_free(&r);
	rc = cs_prom_query(ep, "couchestor_no_such_metric", 2000, &r, err,
			   sizeof(err));
	ok(!rc && r.type == CS_PROM_VECTOR && !r.nsamples, "empty vector");
	cs_prom_result_free(&r);

	ok(query_fails(ep, "sum(rate(couchestor_test_value[", 2000,
		       CS_PROM_ERR_QUERY, "query error: bad_data: ", err,
		       sizeof(err)), "bad PromQL: \"%s\"", err);
}

int main(void)
{
	struct cs_metrics *m;
	struct cs_http h;
	char err[256];
	int rc;

	/* a hung step must not leave Prometheus behind */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGALRM, on_signal);
	alarm(120);
	atexit(cleanup);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_http.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);

	test_counter();
	test_gauge();
	test_histogram();
	test_promtool();

	m = sample_registry();
	cs_http_init(&h, m, 100);
	err[0] = '\0';
	rc = cs_http_start(&h, "127.0.0.1", 0, "127.0.0.1", 0, err,
			   sizeof(err));
	if (!ok(!rc && h.metrics_port && h.health_port,
		"servers start on 127.0.0.1, ports %u and %u %s",
		h.metrics_port, h.health_port, err))
		return 1;
	test_servers(&h, m);
	test_health(&h);
	test_slow_clients(&h);
	test_keepalive(&h);
	test_churn(&h, m);
	test_client_errors(&h);
	test_prometheus(&h, m);

	cs_http_stop(&h);
	cs_metrics_free(m);
	cleanup();
	curl_global_cleanup();
	printf("# %d tests, %d failed\n", ntests, nfailed);
	return nfailed ? 1 : 0;
}
