// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord: the CoucheStor policy daemon.
 *
 *   couchestord agent --node-name=NAME [--config=FILE] [options]
 *   couchestord check-config --config=FILE
 *
 * The agent runs in the foreground (a DaemonSet container or a systemd
 * service), logs to stdout, reloads its config on SIGHUP and stops on
 * SIGTERM or SIGINT between two requests to the kernel (each waits at most
 * 30 s for its reply).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "agent.h"
#include "agent_kube.h"
#include "agent_metrics.h"
#include "config.h"
#include "controller.h"
#include "duration.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "promworker.h"

#define DEFAULT_CONFIG "/etc/couchestor/config.yaml"
#define DEFAULT_STATE_DIR "/var/lib/couchestor"

static const char usage[] =
	"usage: couchestord agent [--node-name=NAME] [--config=FILE] [--cloud-provider=P]\n"
	"                         [--metrics-address=[ADDR]:PORT] [--health-address=[ADDR]:PORT]\n"
	"                         [--dry-run] [--once] [--log-format=logfmt|json]\n"
	"                         [--log-level=debug|info|warn|error] [--state-dir=DIR]\n"
	"                         [--kubeconfig=FILE]\n"
	"       couchestord check-config --config=FILE\n"
	"       couchestord query-iops --config=FILE VOLUME\n"
	"       couchestord controller [--config=FILE] [--leader-elect=true|false]\n"
	"                         [--kubeconfig=FILE] [--namespace=NS] [--cloud-provider=P]\n"
	"                         [--metrics-address=[ADDR]:PORT] [--health-address=[ADDR]:PORT]\n"
	"                         [--leader-elect-lease-duration=15s] [--leader-elect-renew-deadline=10s]\n"
	"                         [--leader-elect-retry-period=2s] [--leader-elect-resource-name=NAME]\n"
	"                         [--resync-period=30s] [--prism-check-period=30s]\n"
	"\n"
	"The agent follows every dm-couche volume on this node: each policy\n"
	"interval it reads extent heat over netlink, plans moves (thresholds per\n"
	"tier, capacity and reserve, cooldown, batch size, schedule) and asks the\n"
	"kernel to migrate.  Metrics on :8080/metrics, health on :8081/healthz and\n"
	"/readyz.  The config is the guide's config.yaml (default\n"
	DEFAULT_CONFIG " if it exists); COUCHESTOR_LOG_LEVEL sets the log level.\n"
	"SIGHUP reloads the config, SIGTERM stops.  The move history that keeps\n"
	"cooldowns across restarts lives in " DEFAULT_STATE_DIR " if it exists\n"
	"(--state-dir= for none).\n";

struct opts {
	const char *node, *config, *cloud, *metrics_addr, *health_addr, *log_format, *log_level;
	const char *state_dir;
	bool dry_run, once;
	/* controller */
	struct cs_controller_opts ctl;
	bool controller;
};

/* --name=DURATION into seconds; false if it is not one. */
static bool duration_opt(const char *v, double *s)
{
	const char *why;
	uint64_t ms;

	if (cs_duration_parse(v, &ms, &why) || !ms)
		return false;
	*s = ms / 1000.0;
	return true;
}

static const char *opt(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(arg, name, n) && arg[n] == '=' ? arg + n + 1 : NULL;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	const char *v;
	int i;

	for (i = 2; i < argc; i++) {
		if ((v = opt(argv[i], "--node-name")))
			o->node = v;
		else if ((v = opt(argv[i], "--config")))
			o->config = v;
		else if ((v = opt(argv[i], "--cloud-provider")))
			o->cloud = v;
		else if ((v = opt(argv[i], "--metrics-address")))
			o->metrics_addr = v;
		else if ((v = opt(argv[i], "--health-address")))
			o->health_addr = v;
		else if ((v = opt(argv[i], "--log-format")))
			o->log_format = v;
		else if ((v = opt(argv[i], "--log-level")))
			o->log_level = v;
		else if ((v = opt(argv[i], "--state-dir")))
			o->state_dir = v;
		else if ((v = opt(argv[i], "--kubeconfig")))
			o->ctl.kubeconfig = v;
		else if (o->controller && !strcmp(argv[i], "--leader-elect"))
			o->ctl.leader_elect = true;
		else if (o->controller && (v = opt(argv[i], "--leader-elect")) &&
			 (!strcmp(v, "true") || !strcmp(v, "false")))
			o->ctl.leader_elect = !strcmp(v, "true");
		else if (o->controller && (v = opt(argv[i], "--namespace")))
			o->ctl.ns = v;
		else if (o->controller && (v = opt(argv[i], "--leader-elect-resource-name")))
			o->ctl.lease_name = v;
		else if (o->controller && (v = opt(argv[i], "--leader-elect-lease-duration")) &&
			 duration_opt(v, &o->ctl.lease_s))
			;
		else if (o->controller && (v = opt(argv[i], "--leader-elect-renew-deadline")) &&
			 duration_opt(v, &o->ctl.renew_s))
			;
		else if (o->controller && (v = opt(argv[i], "--leader-elect-retry-period")) &&
			 duration_opt(v, &o->ctl.retry_s))
			;
		else if (o->controller && (v = opt(argv[i], "--resync-period")) &&
			 duration_opt(v, &o->ctl.resync_s))
			;
		else if (o->controller && (v = opt(argv[i], "--prism-check-period")) &&
			 duration_opt(v, &o->ctl.prism_check_s))
			;
		else if (!strcmp(argv[i], "--dry-run"))
			o->dry_run = true;
		else if (!strcmp(argv[i], "--once"))
			o->once = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
		else
			return -1;
	}
	return 0;
}

/* Config file, then environment, then flags: the last one wins. */
static int load_config(const struct opts *o, struct cs_config *cfg, bool quiet)
{
	char err[512], notes[4096];
	const char *path = o->config;
	const char *env = getenv("COUCHESTOR_LOG_LEVEL");

	cs_config_defaults(cfg);
	if (!path && !access(DEFAULT_CONFIG, R_OK))
		path = DEFAULT_CONFIG;
	notes[0] = '\0';
	if (path && cs_config_load(path, cfg, err, sizeof(err), notes, sizeof(notes))) {
		cs_log(CS_ERROR, "invalid configuration", "error", err, NULL);
		return -1;
	}
	if (env && *env)
		snprintf(cfg->agent.log_level, sizeof(cfg->agent.log_level), "%s", env);
	if (o->log_level)
		snprintf(cfg->agent.log_level, sizeof(cfg->agent.log_level), "%s", o->log_level);
	if (o->log_format)
		snprintf(cfg->agent.log_format, sizeof(cfg->agent.log_format), "%s", o->log_format);
	if (o->cloud)
		snprintf(cfg->cloud_provider, sizeof(cfg->cloud_provider), "%s", o->cloud);
	if (o->dry_run)
		cfg->migration.dry_run = true;
	if (o->metrics_addr && cs_config_parse_address(o->metrics_addr, cfg->agent.metrics_addr,
					     sizeof(cfg->agent.metrics_addr),
					     &cfg->agent.metrics_port)) {
		cs_log(CS_ERROR, "invalid --metrics-address: expected [IP]:PORT, port 1-65535", "value",
		       o->metrics_addr, NULL);
		return -1;
	}
	if (o->health_addr && cs_config_parse_address(o->health_addr, cfg->agent.health_addr,
					    sizeof(cfg->agent.health_addr),
					    &cfg->agent.health_port)) {
		cs_log(CS_ERROR, "invalid --health-address: expected [IP]:PORT, port 1-65535", "value",
		       o->health_addr, NULL);
		return -1;
	}
	if (cs_config_validate(cfg, err, sizeof(err))) {
		cs_log(CS_ERROR, "invalid configuration", "error", err, NULL);
		return -1;
	}
	if (cs_log_set_level(cfg->agent.log_level) || cs_log_set_format(cfg->agent.log_format)) {
		cs_log(CS_ERROR, "invalid log level or format", "level", cfg->agent.log_level,
		       "format", cfg->agent.log_format, NULL);
		return -1;
	}
	if (!quiet) {
		char *line, *save = NULL;

		cs_log(CS_INFO, "configuration loaded", "file", path ? path : "(defaults)", NULL);
		for (line = strtok_r(notes, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			cs_log(CS_INFO, "configuration key not used by the agent", "note", line,
			       NULL);
	}
	return 0;
}

static uint32_t now_s(void)
{
	return (uint32_t)time(NULL);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void update_readiness(struct cs_http *h, struct cs_agent *a, struct cs_metrics *m)
{
	char why[512], kwhy[700], note[700];
	const char *n;
	bool up = cs_agent_kube_up(a->kube, kwhy, sizeof(kwhy));

	cs_metrics_set(m, "couchestor_kube_api_up", NULL, up);
	if (!cs_agent_ready(a, why, sizeof(why))) {
		cs_http_set_not_ready(h, "%s", why);
		return;
	}
	n = cs_agent_ready_note(a, why, sizeof(why));
	if (up) {
		cs_http_set_ready(h, n);
		return;
	}
	/* The kernel side works on: ready, and it says what it lacks. */
	snprintf(note, sizeof(note), "degraded: Kubernetes API unreachable, intents as last "
		 "seen%s%s", n ? ", " : "", n ? n : "");
	cs_http_set_ready(h, note);
}

static bool same_listen(const struct cs_config *a, const struct cs_config *b)
{
	return !strcmp(a->agent.metrics_addr, b->agent.metrics_addr) &&
	       a->agent.metrics_port == b->agent.metrics_port &&
	       !strcmp(a->agent.health_addr, b->agent.health_addr) &&
	       a->agent.health_port == b->agent.health_port;
}

static int listen_on(struct cs_http *h, const struct cs_config *cfg, char *err, size_t len)
{
	return cs_http_start(h, cfg->agent.metrics_addr, cfg->agent.metrics_port,
			     cfg->agent.health_addr, cfg->agent.health_port, err, len);
}

/*
 * SIGHUP: all of the new config or none of it.  New listen addresses are
 * taken by stopping the servers and starting them there; if that fails the
 * old addresses come back and the reload is refused.  False if even they
 * cannot be had again (the agent then stops: it cannot be probed).
 */
static bool reload(const struct opts *o, struct cs_agent *a, struct cs_metrics *m,
		   struct cs_http *h)
{
	struct cs_config *cfg = malloc(sizeof(*cfg));
	char err[256], old_err[256], ports[32];
	bool ok = false, alive = true;

	if (!cfg || load_config(o, cfg, false)) {
		cs_log(CS_ERROR, "configuration reload failed: keeping the old configuration",
		       NULL);
		goto out;
	}
	if (!same_listen(&a->cfg, cfg)) {
		cs_http_stop(h);
		if (listen_on(h, cfg, err, sizeof(err))) {
			cs_log(CS_ERROR, "configuration reload failed: cannot listen on the new addresses; keeping the old configuration",
			       "error", err, NULL);
			/* load_config() took the new log settings: put them back. */
			cs_log_set_level(a->cfg.agent.log_level);
			cs_log_set_format(a->cfg.agent.log_format);
			alive = !listen_on(h, &a->cfg, old_err, sizeof(old_err));
			if (!alive)
				cs_log(CS_ERROR, "cannot listen on the old addresses either: stopping",
				       "error", old_err, NULL);
			goto out;
		}
		snprintf(ports, sizeof(ports), "%u/%u", h->metrics_port, h->health_port);
		cs_log(CS_INFO, "listening on the new addresses", "ports", ports, NULL);
	}
	cs_http_set_interval(h, cfg->policy.interval_s * 1000);
	cs_agent_reconfigure(a, cfg);
	cs_log(CS_INFO, "configuration reloaded", NULL);
	ok = true;
out:
	cs_metrics_add(m, "couchestor_config_reloads_total", CS_L(ok ? "success" : "failure"), 1);
	free(cfg);
	return alive;
}

/* What the agent cost so far: for --once runs and make bench. */
static void log_usage(const struct cs_agent *a)
{
	char cpu[32], user[32], rss[32], cycle[32], extents[32];
	struct rusage ru;
	uint64_t n = 0;
	int i;

	getrusage(RUSAGE_SELF, &ru);
	for (i = 0; i < a->nr_vols; i++)
		n += a->vols[i].nr;
	snprintf(cpu, sizeof(cpu), "%.3f", ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
		 (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	snprintf(user, sizeof(user), "%.3f", ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6);
	snprintf(rss, sizeof(rss), "%ld", ru.ru_maxrss);
	snprintf(cycle, sizeof(cycle), "%.3f", a->last_cycle_s);
	snprintf(extents, sizeof(extents), "%llu", (unsigned long long)n);
	/* System time is mostly the kernel building the extent dump. */
	cs_log(CS_INFO, "resource use", "cpu_seconds", cpu, "user_seconds", user,
	       "max_rss_kib", rss,
	       "last_cycle_seconds", cycle, "extents", extents, NULL);
}

static int run_agent(const struct opts *o)
{
	struct cs_config *cfg = malloc(sizeof(*cfg));
	struct cs_agent *a = malloc(sizeof(*a));
	struct cs_metrics *m = cs_metrics_new();
	struct cs_agent_kube kube;
	struct pollfd pfd[2];
	struct cs_http http;
	char err[256], host[128];
	int64_t next = 0;
	sigset_t set;
	bool stop = false;
	int sfd = -1, r = 1;

	if (!cfg || !a || !m || cs_agent_metrics_declare(m)) {
		cs_log(CS_ERROR, "out of memory", NULL);
		return 1;
	}
	if (load_config(o, cfg, false))
		return 1;
	if (!o->node && gethostname(host, sizeof(host)))
		snprintf(host, sizeof(host), "unknown");
	cs_agent_init(a, cfg, o->node ? o->node : host);
	if (o->state_dir)
		snprintf(a->state_dir, sizeof(a->state_dir), "%s", o->state_dir);
	else if (!access(DEFAULT_STATE_DIR, W_OK))
		snprintf(a->state_dir, sizeof(a->state_dir), "%s", DEFAULT_STATE_DIR);
	if (a->state_dir[0] && access(a->state_dir, W_OK))
		cs_log(CS_WARN, "state directory not writable: cooldowns will not survive a restart",
		       "dir", a->state_dir, "error", strerror(errno), NULL);
	if (cs_agent_kube_start(a, &kube, o->ctl.kubeconfig))
		goto out_early;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);	/* a closed log pipe is not a reason to die */
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	/* Prometheus is asked from its own thread: a cycle never waits on it. */
	cs_http_init(&http, m, cfg->policy.interval_s * 1000);
	if (sfd < 0 || cs_http_start(&http, cfg->agent.metrics_addr, cfg->agent.metrics_port,
				     cfg->agent.health_addr, cfg->agent.health_port, err,
				     sizeof(err))) {
		cs_log(CS_ERROR, "cannot start", "error", sfd < 0 ? strerror(errno) : err, NULL);
		goto out;
	}
	snprintf(err, sizeof(err), "%u/%u", http.metrics_port, http.health_port);
	cs_log(CS_INFO, "agent started", "node", a->node, "ports", err,
	       "dry_run", cfg->migration.dry_run ? "true" : "false", NULL);
	while (!stop) {
		int64_t now = mono_ms();
		int timeout;

		cs_http_heartbeat(&http);
		if (now >= next) {
			bool done = cs_agent_cycle(a, now_s());

			cs_agent_metrics_publish(m, a, done);
			update_readiness(&http, a, m);
			next = now + (int64_t)a->cfg.policy.interval_s * 1000;
			if (o->once)
				break;
		}
		pfd[0].fd = sfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = cs_kernel_event_fd(&a->k);
		pfd[1].events = POLLIN;
		/* Wake at least every second for the heartbeat. */
		timeout = (int)(next - mono_ms());
		if (timeout > 1000)
			timeout = 1000;
		if (timeout < 0)
			timeout = 0;
		if (poll(pfd, pfd[1].fd >= 0 ? 2 : 1, timeout) < 0 && errno != EINTR) {
			cs_log(CS_ERROR, "poll failed", "error", strerror(errno), NULL);
			goto out;
		}
		if (pfd[1].fd >= 0 && (pfd[1].revents & POLLIN))
			cs_agent_events(a);
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGHUP) {
				if (!reload(o, a, m, &http))
					goto out;
				next = 0;
			} else {
				cs_log(CS_INFO, "stopping", "signal", strsignal(si.ssi_signo), NULL);
				stop = true;
			}
		}
	}
	r = 0;
	log_usage(a);
	cs_http_stop(&http);
out:
	cs_agent_kube_stop(&kube);
out_early:
	cs_agent_exit(a);
	cs_metrics_free(m);
	free(a);
	free(cfg);
	if (sfd >= 0)
		close(sfd);
	return r;
}

/* Runs the configured IOPS query for VOLUME: checks the PromQL by hand. */
static int query_iops(const struct opts *o, const char *volume)
{
	struct cs_config *cfg = malloc(sizeof(*cfg));
	char err[512];
	double iops;
	int r = 1;

	if (!cfg || load_config(o, cfg, true))
		goto out;
	if (!cfg->prometheus.endpoint[0] || !cfg->prometheus.iops_query[0]) {
		fprintf(stderr, "couchestord: set prometheus.endpoint and prometheus.iops_query\n");
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "couchestord: cannot initialise libcurl\n");
		goto out;
	}
	if (cs_prom_volume_iops(cfg, volume, NULL, &iops, err, sizeof(err))) {
		fprintf(stderr, "couchestord: %s\n", err);
		goto out;
	}
	printf("%s %g\n", volume, iops);
	r = 0;
out:
	free(cfg);
	return r;
}

static int check_config(const struct opts *o)
{
	struct cs_config *cfg = malloc(sizeof(*cfg));
	int r;

	if (!cfg)
		return 1;
	r = load_config(o, cfg, false);
	free(cfg);
	if (!r)
		printf("couchestord: %s is valid\n", o->config ? o->config : "the configuration");
	return r ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	int r;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "controller")) {
		struct cs_config *cfg;

		o.controller = true;
		o.ctl.leader_elect = true;
		o.ctl.lease_name = "couchestor-controller";
		o.ctl.lease_s = 15;
		o.ctl.renew_s = 10;
		o.ctl.retry_s = 2;
		o.ctl.resync_s = 30;
		o.ctl.prism_check_s = 30;
		r = parse_opts(argc, argv, &o);
		if (r) {
			fputs(usage, r > 0 ? stdout : stderr);
			return r > 0 ? 0 : 2;
		}
		cfg = malloc(sizeof(*cfg));
		if (!cfg || load_config(&o, cfg, false)) {
			free(cfg);
			return 1;
		}
		r = cs_controller_run(cfg, &o.ctl);
		free(cfg);
		return r;
	}
	if (!strcmp(argv[1], "query-iops")) {
		if (argc < 3 || argv[argc - 1][0] == '-' || parse_opts(argc - 1, argv, &o)) {
			fputs(usage, stderr);
			return 2;
		}
		return query_iops(&o, argv[argc - 1]);
	}
	if (strcmp(argv[1], "agent") && strcmp(argv[1], "check-config")) {
		fprintf(stderr, "couchestord: unknown role '%s'\n%s", argv[1], usage);
		return 2;
	}
	r = parse_opts(argc, argv, &o);
	if (r) {
		fputs(usage, r > 0 ? stdout : stderr);
		return r > 0 ? 0 : 2;
	}
	if (!o.node)
		o.node = getenv("NODE_NAME");

	if (!strcmp(argv[1], "check-config"))
		return check_config(&o);
	return run_agent(&o);
}
