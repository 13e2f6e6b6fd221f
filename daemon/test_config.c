// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of couchestord's configuration loader and durations.
 * TAP-like lines, exit 1 on failure.  Run from the top of the tree, or
 * pass the testdata directory: test_config [DIR].
 *
 * Error messages are compared whole: their file:line:key prefix is what
 * users and scripts rely on, and the rest is what tells them the fix.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "duration.h"
#include "tap.h"

static const char *dir = "daemon/testdata";


static char err[1024], notes[8192];
static struct cs_config cfg;

static int load_path(const char *path)
{
	cs_config_defaults(&cfg);
	memset(err, 0, sizeof(err));
	return cs_config_load(path, &cfg, err, sizeof(err), notes, sizeof(notes));
}

static char fixture_path[256];

static int load(const char *name)
{
	snprintf(fixture_path, sizeof(fixture_path), "%s/%s", dir, name);
	return load_path(fixture_path);
}

/* Loads @text from a scratch file, named in errors as fixture_path. */
static int load_text(const char *text)
{
	int fd, r;

	snprintf(fixture_path, sizeof(fixture_path), "/tmp/cs_test_config.XXXXXX");
	fd = mkstemp(fixture_path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror("scratch file");
		exit(2);
	}
	close(fd);
	r = load_path(fixture_path);
	unlink(fixture_path);
	return r;
}

/* Whether err is exactly "<fixture_path><rest>"; prints what it got if not. */
static bool err_is(const char *rest)
{
	char want[1024];

	snprintf(want, sizeof(want), "%s%s", fixture_path, rest);
	if (!strcmp(err, want))
		return true;
	printf("#   want: %s\n#    got: %s\n", want, err);
	return false;
}

static bool err_starts(const char *rest)
{
	char want[1024];

	snprintf(want, sizeof(want), "%s%s", fixture_path, rest);
	if (!strncmp(err, want, strlen(want)))
		return true;
	printf("#   want: %s...\n#    got: %s\n", want, err);
	return false;
}

/* A fixture that must fail with exactly @rest after its path. */
static void bad_file(const char *name, const char *rest)
{
	T(load(name) == -1 && err_is(rest), "%s: %s", name, rest);
}

/* Inline text that must fail with exactly @rest after its path. */
static void bad_text(const char *text, const char *rest)
{
	T(load_text(text) == -1 && err_is(rest), "refused: %s", rest);
}

static void good_text(const char *text, const char *what)
{
	int r = load_text(text);

	if (r)
		printf("#   %s\n", err);
	T(r == 0, "accepted: %s", what);
}

static int count_lines(const char *s)
{
	int k = 0;

	for (; *s; s++)
		k += *s == '\n';
	return k;
}

/* ---- Durations ---- */

static bool dur_is(const char *s, uint64_t want)
{
	uint64_t ms = 12345;

	return cs_duration_parse(s, &ms, NULL) == 0 && ms == want;
}

static bool dur_bad(const char *s, int want, const char *why_part)
{
	const char *why = NULL;
	uint64_t ms = 7;

	return cs_duration_parse(s, &ms, &why) == want && ms == 7 && why &&
	       strstr(why, why_part);
}

static void test_duration(void)
{
	char buf[64];

	T(dur_is("30s", 30000), "duration: 30s");
	T(dur_is("5m", 300000), "duration: 5m");
	T(dur_is("1h", 3600000), "duration: 1h");
	T(dur_is("24h", 86400000), "duration: 24h");
	T(dur_is("1h30m", 5400000), "duration: 1h30m");
	T(dur_is("1d2h3m4s5ms", 93784005), "duration: every unit, largest first");
	T(dur_is("90", 90000), "duration: plain integer is seconds");
	T(dur_is("0", 0) && dur_is("0s", 0), "duration: zero");
	T(dur_is("250ms", 250), "duration: ms is not m then s");
	T(dur_is("90m", 5400000), "duration: a term may exceed the next unit");
	T(dur_is("18446744073709551s", 18446744073709551000ULL), "duration: largest in seconds");
	T(dur_bad("-5m", -EINVAL, "negative"), "duration: negative refused");
	T(dur_bad("-1", -EINVAL, "negative"), "duration: negative plain refused");
	T(dur_bad("+5m", -EINVAL, "sign"), "duration: sign refused");
	T(dur_bad("", -EINVAL, "empty"), "duration: empty refused");
	T(dur_bad("5", 0, "") == false && dur_bad("5x", -EINVAL, "unknown unit"),
	  "duration: unknown unit refused");
	T(dur_bad("1hour", -EINVAL, "unknown unit"), "duration: 1hour refused");
	T(dur_bad("5M", -EINVAL, "unknown unit"), "duration: units are lowercase");
	T(dur_bad("1m1h", -EINVAL, "largest"), "duration: units out of order refused");
	T(dur_bad("1h1h", -EINVAL, "largest"), "duration: a unit twice refused");
	T(dur_bad("1h30", -EINVAL, "no unit"), "duration: bare number after a unit refused");
	T(dur_bad("1.5h", -EINVAL, "fractions"), "duration: fraction refused");
	T(dur_bad("1h 30m", -EINVAL, "spaces"), "duration: space refused");
	T(dur_bad(" 5m", -EINVAL, "spaces"), "duration: leading space refused");
	T(dur_bad("h", -EINVAL, "number"), "duration: unit alone refused");
	T(dur_bad("18446744073709552s", -ERANGE, "too large"), "duration: seconds overflow");
	T(dur_bad("18446744073709552", -ERANGE, "too large"), "duration: plain overflow");
	T(dur_bad("99999999999999999999s", -ERANGE, "too large"), "duration: digits overflow");
	T(dur_bad("213503982334d15h", -ERANGE, "too large"), "duration: sum overflow");
	T(cs_duration_parse(NULL, &(uint64_t){ 0 }, NULL) == -EINVAL, "duration: NULL refused");

	T(!strcmp(cs_duration_format(5400000, buf, sizeof(buf)), "1h30m"), "format: 1h30m");
	T(!strcmp(cs_duration_format(0, buf, sizeof(buf)), "0s"), "format: 0s");
	T(!strcmp(cs_duration_format(1500, buf, sizeof(buf)), "1s500ms"), "format: 1s500ms");
	T(!strcmp(cs_duration_format(86400000, buf, sizeof(buf)), "1d"), "format: 1d");
	T(!strcmp(cs_duration_format(93784005, buf, 5), "1d2h"), "format: truncated, terminated");
}

/* ---- Files that load ---- */

static void test_defaults(void)
{
	struct cs_config c;

	cs_config_defaults(&c);
	T(c.policy.interval_s == 30 && c.policy.sampling_window_s == 300,
	  "defaults: interval 30s, sampling window 5m");
	T(c.nr_tiers == 3 && !strcmp(c.tiers[0].name, "hot") && c.tiers[0].iops_threshold == 100 &&
	  !strcmp(c.tiers[1].name, "warm") && c.tiers[1].iops_threshold == 10 &&
	  !strcmp(c.tiers[2].name, "cold") && c.tiers[2].iops_threshold == 0 &&
	  c.tiers[0].has_iops_threshold && c.tiers[2].has_iops_threshold,
	  "defaults: hot >= 100, warm >= 10, cold");
	T(c.migration.cooldown_s == 3600 && c.migration.batch_size == 5 &&
	  c.migration.concurrent_migrations == 2 && !c.migration.schedule[0] &&
	  !c.migration.dry_run && !c.migration.migration_mbps,
	  "defaults: cooldown 1h, batch 5, concurrent 2, no schedule");
	T(!c.agent.metrics_addr[0] && c.agent.metrics_port == 8080 &&
	  !c.agent.health_addr[0] && c.agent.health_port == 8081,
	  "defaults: metrics :8080, health :8081");
	T(!strcmp(c.agent.log_format, "logfmt") && !strcmp(c.agent.log_level, "info"),
	  "defaults: logfmt, info");
	T(c.prometheus.query_timeout_ms == 30000 && !c.prometheus.use_for_iops,
	  "defaults: prometheus query_timeout 30s");
	T(cs_config_validate(&c, err, sizeof(err)) == 0, "defaults: valid");
}

static void test_guide(void)
{
	const struct cs_config *c = &cfg;
	char want[1024];

	T(load("guide.yaml") == 0 && !err[0], "guide: the install guide's config.yaml loads");
	if (err[0])
		printf("#   %s\n", err);
	T(!strcmp(c->path, fixture_path), "guide: path kept");
	T(!strcmp(c->cloud_provider, "nutanix"), "guide: cloud_provider");
	T(!strcmp(c->nutanix.prism_central_url, "https://prism-central.example.com:9440") &&
	  !strcmp(c->nutanix.cluster_uuid, "<cluster-uuid>") &&
	  !strcmp(c->nutanix.secret_name, "nutanix-credentials") &&
	  !strcmp(c->nutanix.secret_namespace, "couchestor-system") &&
	  c->nutanix.use_categories && !strcmp(c->nutanix.category_key, "CoucheStor") &&
	  c->nutanix.hot_tier_flash_mode && !c->nutanix.warm_tier_flash_mode &&
	  !c->nutanix.cold_tier_flash_mode, "guide: nutanix.*");
	T(!strcmp(c->prometheus.endpoint, "http://prometheus-server.monitoring.svc:9090") &&
	  c->prometheus.query_timeout_ms == 30000, "guide: prometheus.*");
	T(c->nr_tiers == 3 && !strcmp(c->tiers[0].name, "hot") &&
	  !strcmp(c->tiers[1].name, "warm") && !strcmp(c->tiers[2].name, "cold"),
	  "guide: three tiers in file order");
	T(c->tiers[0].iops_threshold == 100 && c->tiers[1].iops_threshold == 10 &&
	  c->tiers[2].iops_threshold == 0 && c->tiers[2].has_iops_threshold,
	  "guide: thresholds 100, 10, 0");
	T(!strcmp(c->tiers[1].storage_class, "couchestor-warm") &&
	  !strcmp(c->tiers[1].nutanix_container, "couchestor-warm-tier") &&
	  !strcmp(c->tiers[1].category_value, "Warm") &&
	  c->tiers[0].min_capacity_gb == 100 && c->tiers[1].min_capacity_gb == 500 &&
	  c->tiers[2].min_capacity_gb == 2000, "guide: tier details");
	T(c->erasure_coding.enabled && c->erasure_coding.data_shards == 4 &&
	  c->erasure_coding.parity_shards == 2 && c->erasure_coding.stripe_size_mb == 64 &&
	  c->erasure_coding.use_nutanix_ec, "guide: erasure_coding.*");
	T(c->migration.cooldown_s == 3600 && c->migration.batch_size == 5 &&
	  c->migration.concurrent_migrations == 2 && c->migration.use_storage_vmotion,
	  "guide: migration.*");
	T(c->cache.l1_size_mb == 1024 && c->cache.l2_size_mb == 10240 &&
	  !strcmp(c->cache.compression, "zstd") && c->cache.prefetch_enabled, "guide: cache.*");
	T(c->policy.interval_s == 30 && c->policy.sampling_window_s == 300 &&
	  c->agent.metrics_port == 8080, "guide: what it leaves out keeps the defaults");
	T(cs_config_line(c, "migration.batch_size") == 53 &&
	  cs_config_line(c, "tiers.cold.iops_threshold") == 40 &&
	  cs_config_line(c, "policy.interval") == 0, "guide: lines recorded");

	T(count_lines(notes) == 31, "guide: 31 notes, one per unused key (%d)", count_lines(notes));
	snprintf(want, sizeof(want), "%s:4: nutanix.prism_central_url: used by the controller, not the agent\n",
		 fixture_path);
	T(!strncmp(notes, want, strlen(want)), "guide: first note is nutanix.prism_central_url, line 4");
	snprintf(want, sizeof(want), "%s:8: nutanix.credential_ref.namespace: ", fixture_path);
	T(strstr(notes, want) != NULL, "guide: nested note has the full key");
	snprintf(want, sizeof(want), "%s:56: migration.use_storage_vmotion: ", fixture_path);
	T(strstr(notes, want) != NULL, "guide: migration.use_storage_vmotion noted");
	snprintf(want, sizeof(want), "%s:29: tiers.hot.min_capacity_gb: ", fixture_path);
	T(strstr(notes, want) != NULL, "guide: tiers.hot.min_capacity_gb noted");
	T(!strstr(notes, "batch_size") && !strstr(notes, "iops_threshold") &&
	  !strstr(notes, "prometheus") && !strstr(notes, "cloud_provider"),
	  "guide: no note for keys the agent uses");
	T(strlen(notes) < 4096 - 64, "guide: notes fit main.c's 4 KiB buffer (%zu)", strlen(notes));

	T(cs_config_load(fixture_path, &cfg, err, sizeof(err), NULL, 0) == 0,
	  "guide: notes may be NULL");
}

static void test_notes_overflow(void)
{
	char small[300];
	size_t len;

	snprintf(fixture_path, sizeof(fixture_path), "%s/guide.yaml", dir);
	cs_config_defaults(&cfg);
	T(cs_config_load(fixture_path, &cfg, err, sizeof(err), small, sizeof(small)) == 0,
	  "notes: a short buffer does not fail the load");
	len = strlen(small);
	T(len < sizeof(small) && len && small[len - 1] == '\n' &&
	  strstr(small, "more notes not shown\n"), "notes: whole lines, then how many were left out");
}

static void test_agent_keys(void)
{
	const struct cs_config *c = &cfg;
	char want[1024];

	T(load("agent.yaml") == 0, "agent.yaml: every key beyond the guide's loads");
	if (err[0])
		printf("#   %s\n", err);
	T(!strcmp(c->cloud_provider, "none"), "agent.yaml: cloud_provider none");
	T(!strcmp(c->prometheus.endpoint, "https://prometheus.monitoring.svc:9090") &&
	  c->prometheus.query_timeout_ms == 2500 && c->prometheus.use_for_iops &&
	  !strcmp(c->prometheus.iops_query,
		  "sum(rate(node_disk_reads_completed_total{device=\"$volume\"}[5m]))"),
	  "agent.yaml: prometheus iops_query, use_for_iops, ms timeout");
	T(c->nr_tiers == 3 && !strcmp(c->tiers[0].name, "fast") && c->tiers[0].iops_threshold == 500 &&
	  !strcmp(c->tiers[1].name, "hot") && c->tiers[1].iops_threshold == 100 &&
	  c->tiers[1].has_iops_threshold && !strcmp(c->tiers[2].name, "slow") &&
	  !c->tiers[2].has_iops_threshold,
	  "agent.yaml: tiers replace the defaults; hot keeps its default threshold");
	T(c->policy.interval_s == 60 && c->policy.sampling_window_s == 5400,
	  "agent.yaml: policy.interval, policy.sampling_window");
	T(c->migration.cooldown_s == 0 && c->migration.batch_size == 64 &&
	  c->migration.concurrent_migrations == 64 && c->migration.dry_run &&
	  !strcmp(c->migration.schedule, "*/15 1-5 * * mon-fri") &&
	  c->migration.migration_mbps == 200, "agent.yaml: migration extras");
	T(!strcmp(c->agent.metrics_addr, "0.0.0.0") && c->agent.metrics_port == 9100 &&
	  !strcmp(c->agent.health_addr, "::1") && c->agent.health_port == 9101,
	  "agent.yaml: metrics and health addresses, IPv4 and IPv6");
	T(!strcmp(c->agent.log_format, "json") && !strcmp(c->agent.log_level, "debug"),
	  "agent.yaml: log format and level");
	snprintf(want, sizeof(want), "%s:14: tiers.hot.storage_class: used by the controller, not the agent\n",
		 fixture_path);
	T(!strcmp(notes, want), "agent.yaml: one note");
}

static void test_empty(void)
{
	struct cs_config d;

	cs_config_defaults(&d);
	T(load("empty.yaml") == 0 && cfg.nr_tiers == 3 &&
	  cfg.migration.batch_size == d.migration.batch_size && !notes[0],
	  "empty.yaml: an empty file keeps the defaults");
	T(load("comments.yaml") == 0 && cfg.nr_tiers == 3 && cfg.policy.interval_s == 30,
	  "comments.yaml: only comments keeps the defaults");
	good_text("---\n", "a document with nothing in it");
	good_text("---\n...\n", "an explicitly ended empty document");
	good_text("nutanix:\nmigration:\n", "sections with every key commented out");
	T(cfg.migration.batch_size == 5, "empty sections keep the defaults");
	good_text("tiers:\n", "tiers: with nothing under it keeps the default tiers");
	T(cfg.nr_tiers == 3, "empty tiers: section: three default tiers");
	good_text("migration: {batch_size: 7, dry_run: no}\n", "flow mappings");
	T(cfg.migration.batch_size == 7 && !cfg.migration.dry_run, "flow mapping values");
	good_text("migration:\n  dry_run: Yes\n  use_storage_vmotion: FALSE\n",
		  "YAML 1.1 spellings Yes and FALSE");
	T(cfg.migration.dry_run && !cfg.migration.use_storage_vmotion, "Yes is true, FALSE is false");
	good_text("migration:\n  schedule: \"\"\n", "an empty schedule (any time)");
	good_text("cloud_provider:\n", "cloud_provider with no value");
	good_text("tiers:\n  a:\n    iops_threshold: 10\n  b:\n    iops_threshold: 10\n  c:\n",
		  "equal thresholds (must not increase, may stay)");
	good_text("tiers:\n  only:\n", "one tier, no threshold");
	good_text("agent:\n  metrics_address: \"127.0.0.1:9000\"\n  health_address: \"127.0.0.2:9000\"\n",
		  "same port on different addresses");
	good_text("tiers:\n  \"hot\":\n    'iops_threshold': 5\n  cold:\n", "quoted keys are keys");
}

/* ---- Files that must not load ---- */

static void test_bad_files(void)
{
	bad_file("bad_unknown_key.yaml",
		 ":12: migration.batchsize: unknown key (known: cooldown_period, batch_size, "
		 "concurrent_migrations, schedule, dry_run, use_storage_vmotion, migration_mbps)");
	bad_file("bad_duration.yaml",
		 ":3: migration.cooldown_period: expected a duration such as 30s, 5m, 1h or 1h30m, "
		 "got \"1hour\": unknown unit (use ms, s, m, h or d)");
	bad_file("bad_negative.yaml",
		 ":6: tiers.warm.iops_threshold: expected a non-negative integer, got \"-10\"");
	bad_file("bad_string_int.yaml",
		 ":3: migration.batch_size: expected a positive integer, got \"many\"");
	bad_file("bad_duplicate.yaml",
		 ":5: migration.batch_size: duplicate key (first at line 3)");
	bad_file("bad_thresholds.yaml",
		 ":6: tiers.warm.iops_threshold: 200 is above tiers.hot.iops_threshold (100, line 4): "
		 "tiers are listed fastest first, so thresholds must not increase");
	bad_file("bad_cron.yaml",
		 ":4: migration.schedule: invalid cron schedule \"0 24 * * *\": hour: 24 is out of range 0-23");
	bad_file("bad_too_long.yaml",
		 ":4: nutanix.category_key: too long (64 bytes, at most 63)");
	bad_file("bad_top_sequence.yaml",
		 ":2: the top level must be a mapping of sections (cloud_provider:, tiers:, migration:, ...), "
		 "got a list");
	bad_file("bad_top_scalar.yaml",
		 ":2: the top level must be a mapping of sections (cloud_provider:, tiers:, migration:, ...), "
		 "got \"nutanix\"");
	bad_file("bad_alias.yaml", ":3: migration.batch_size: anchors (&n) are not supported");
	bad_file("bad_multidoc.yaml", ":4: more than one YAML document; a config file holds one");
	bad_file("bad_configmap.yaml",
		 ":2: apiVersion: unknown key (this looks like a Kubernetes manifest: "
		 "point --config at the config.yaml it mounts)");

	/* libyaml's own words may change between versions: check the line and that it is libyaml's. */
	T(load("bad_tab.yaml") == -1 && err_starts(":4: YAML syntax error: ") && strstr(err, "tab"),
	  "bad_tab.yaml: libyaml's error at line 4, about the tab");
	T(load("bad_syntax.yaml") == -1 && err_starts(":5: YAML syntax error: ") &&
	  strstr(err, "quoted scalar at line 3"),
	  "bad_syntax.yaml: unterminated quote, where it ends and where it began");
	T(load("no-such-file.yaml") == -1 && err_is(": cannot open: No such file or directory"),
	  "a missing file is named");
	{
		/* Would block in open() or read() for ever: refused at once. */
		char fifo[64];

		snprintf(fifo, sizeof(fifo), "/tmp/test_config.%d.fifo", (int)getpid());
		unlink(fifo);
		T(!mkfifo(fifo, 0600) && load_path(fifo) == -1 && strstr(err, ": not a regular file"),
		  "a FIFO as the config is refused, not waited on: %s", err);
		unlink(fifo);
		T(load_path("/dev/zero") == -1 && strstr(err, ": not a regular file"),
		  "so is a device");
	}
}

static void test_bad_values(void)
{
	bad_text("migration:\n  batch_size: \"5\"\n",
		 ":2: migration.batch_size: expected a positive integer, got the string \"5\" "
		 "(write it without quotes)");
	bad_text("migration:\n  batch_size: 0\n",
		 ":2: migration.batch_size: \"0\" is out of range (1 to 65536)");
	bad_text("migration:\n  batch_size: -1\n",
		 ":2: migration.batch_size: expected a positive integer, got \"-1\"");
	bad_text("migration:\n  batch_size:\n",
		 ":2: migration.batch_size: expected a positive integer, got nothing");
	bad_text("migration:\n  batch_size: 010\n",
		 ":2: migration.batch_size: expected a positive integer, got \"010\"");
	bad_text("migration:\n  batch_size: 0x10\n",
		 ":2: migration.batch_size: expected a positive integer, got \"0x10\"");
	bad_text("migration:\n  batch_size: 5.0\n",
		 ":2: migration.batch_size: expected a positive integer, got \"5.0\"");
	bad_text("migration:\n  batch_size: 1_000\n",
		 ":2: migration.batch_size: expected a positive integer, got \"1_000\"");
	bad_text("migration:\n  batch_size:\n    a: 1\n",
		 ":2: migration.batch_size: expected a positive integer, got a mapping");
	bad_text("migration:\n  batch_size: [5]\n",
		 ":2: migration.batch_size: expected a positive integer, got a list");
	bad_text("tiers:\n  hot:\n    iops_threshold: 99999999999999999999999\n",
		 ":3: tiers.hot.iops_threshold: \"99999999999999999999999\" is out of range (0 to 4294967295)");
	bad_text("tiers:\n  hot:\n    iops_threshold: 4294967296\n",
		 ":3: tiers.hot.iops_threshold: \"4294967296\" is out of range (0 to 4294967295)");
	bad_text("migration:\n  concurrent_migrations: 65\n",
		 ":2: migration.concurrent_migrations: \"65\" is out of range (1 to 64): "
		 "dm-couche's max_migrations limit");
	bad_text("migration:\n  migration_mbps: 100001\n",
		 ":2: migration.migration_mbps: \"100001\" is out of range (0 to 100000): 0 is unthrottled");
	bad_text("erasure_coding:\n  parity_shards: 3\n",
		 ":2: erasure_coding.parity_shards: expected 2, got \"3\": "
		 "dm-couche's raid6 tier has exactly 2 parity members");
	bad_text("erasure_coding:\n  data_shards: 17\n",
		 ":2: erasure_coding.data_shards: \"17\" is out of range (2 to 16): "
		 "dm-couche's raid6 tier has 2 to 16 data members");

	bad_text("migration:\n  dry_run: on\n",
		 ":2: migration.dry_run: expected true or false, got \"on\"");
	bad_text("migration:\n  dry_run: \"true\"\n",
		 ":2: migration.dry_run: expected true or false, got the string \"true\" "
		 "(write it without quotes)");
	bad_text("migration:\n  dry_run: 1\n",
		 ":2: migration.dry_run: expected true or false, got \"1\"");

	bad_text("policy:\n  interval: -5m\n",
		 ":2: policy.interval: expected a duration such as 30s, 5m, 1h or 1h30m, "
		 "got \"-5m\": negative durations are not allowed");
	bad_text("policy:\n  interval: 1500ms\n",
		 ":2: policy.interval: \"1500ms\" is not a whole number of seconds");
	bad_text("policy:\n  interval: 0\n",
		 ":2: policy.interval: \"0\" is out of range (1s to 1d)");
	bad_text("policy:\n  interval: 25h\n",
		 ":2: policy.interval: \"25h\" is out of range (1s to 1d)");
	bad_text("policy:\n  sampling_window: 8d\n",
		 ":2: policy.sampling_window: \"8d\" is out of range (1s to 7d)");
	bad_text("prometheus:\n  query_timeout: 0s\n",
		 ":2: prometheus.query_timeout: \"0s\" is out of range (1ms to 10m)");
	bad_text("migration:\n  cooldown_period: 99999999999999999999h\n",
		 ":2: migration.cooldown_period: expected a duration such as 30s, 5m, 1h or 1h30m, "
		 "got \"99999999999999999999h\": too large");
	bad_text("migration:\n  cooldown_period:\n",
		 ":2: migration.cooldown_period: expected a duration such as 30s, 5m, 1h or 1h30m, "
		 "got nothing");

	bad_text("cloud_provider: aws\n",
		 ":1: cloud_provider: expected one of nutanix, none, got \"aws\"");
	bad_text("agent:\n  log_level: verbose\n",
		 ":2: agent.log_level: expected one of debug, info, warn, error, got \"verbose\"");
	bad_text("agent:\n  log_format: text\n",
		 ":2: agent.log_format: expected one of logfmt, json, got \"text\"");
	bad_text("cache:\n  compression: brotli\n",
		 ":2: cache.compression: expected one of none, lz4, zstd, got \"brotli\"");
	bad_text("prometheus:\n  endpoint: prometheus:9090\n",
		 ":2: prometheus.endpoint: expected an http:// or https:// URL, got \"prometheus:9090\"");
	bad_text("nutanix:\n  credential_ref:\n    namespace: Couchestor\n",
		 ":3: nutanix.credential_ref.namespace: expected a Kubernetes name "
		 "(lowercase letters, digits, '-'), got \"Couchestor\"");
	bad_text("tiers:\n  hot:\n    storage_class: -hot\n",
		 ":3: tiers.hot.storage_class: expected a Kubernetes name "
		 "(lowercase letters, digits, '-', '.'), got \"-hot\"");
}

static void test_bad_addresses(void)
{
	static const char *const bad[] = {
		"localhost:8080", "8080", ":0", ":65536", ":80a", "[::1]8080", "[::1:8080",
		"1.2.3:80", "[1.2.3.4]:80", "0.0.0.0:", ":",
	};
	char text[128], want[256];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "agent:\n  metrics_address: \"%s\"\n", bad[i]);
		snprintf(want, sizeof(want),
			 ":2: agent.metrics_address: expected [IP]:PORT such as :8080, 0.0.0.0:8080 "
			 "or [::1]:8080, got \"%s\"", bad[i]);
		bad_text(text, want);
	}
	bad_text("agent:\n  metrics_address: \":9000\"\n  health_address: 127.0.0.1:9000\n",
		 ":3: agent.health_address: port 9000 is also agent.metrics_address's");
	/* The flags use the same parser. */
	{
		char host[64];
		uint16_t port = 0;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			T(cs_config_parse_address(bad[i], host, sizeof(host), &port) == -1,
			  "flag address %s refused", bad[i]);
		T(!cs_config_parse_address("[::1]:8080", host, sizeof(host), &port) &&
		  !strcmp(host, "::1") && port == 8080, "[::1]:8080 is ::1 port 8080");
		T(!cs_config_parse_address(":8081", host, sizeof(host), &port) && !host[0] &&
		  port == 8081, ":8081 is every address, port 8081");
	}
}

static void test_bad_structure(void)
{
	bad_text("nutanix:\n  credential_ref:\n    name: x\n",
		 ":3: nutanix.credential_ref.name: unknown key (known: secret_name, namespace)");
	bad_text("tiers:\n  hot:\n    iops: 5\n",
		 ":3: tiers.hot.iops: unknown key (known: storage_class, nutanix_container, "
		 "category_value, iops_threshold, min_capacity_gb)");
	bad_text("cloud_provider: none\nmigrations:\n",
		 ":2: migrations: unknown key (known: cloud_provider, nutanix, prometheus, tiers, "
		 "erasure_coding, migration, cache, policy, agent)");
	bad_text("migration: 5\n",
		 ":1: migration: expected a mapping (keys indented under migration:), got \"5\"");
	bad_text("tiers:\n  - hot\n  - cold\n",
		 ":1: tiers: expected a mapping (keys indented under tiers:), got a list");
	bad_text("tiers:\n  hot: fast\n",
		 ":2: tiers.hot: expected a mapping of the tier's settings, got \"fast\"");
	bad_text("tiers:\n  hot:\n  warm:\n  hot:\n",
		 ":4: tiers.hot: duplicate key (first at line 2)");
	bad_text("nutanix:\n  use_categories: true\nnutanix:\n",
		 ":3: nutanix: duplicate key (first at line 1)");
	bad_text("tiers: {}\n", ":1: tiers: at least one tier is needed");
	bad_text("tiers:\n  t1:\n    iops_threshold: 8\n  t2:\n    iops_threshold: 7\n"
		 "  t3:\n    iops_threshold: 6\n  t4:\n    iops_threshold: 5\n"
		 "  t5:\n    iops_threshold: 4\n  t6:\n    iops_threshold: 3\n"
		 "  t7:\n    iops_threshold: 2\n  t8:\n  t9:\n",
		 ":17: tiers.t9: more than 8 tiers (dm-couche's limit)");
	bad_text("tiers:\n  hot tier:\n",
		 ":2: tiers.hot tier: a tier name is letters, digits, '_' and '-'");
	bad_text("tiers:\n  sixteen_chars_xx:\n",
		 ":2: tiers.sixteen_chars_xx: tier name too long (at most 15 characters)");
	bad_text("tiers:\n  fast:\n  cold:\n",
		 ":2: tiers.fast: iops_threshold is needed for every tier but the slowest (the last listed)");
	bad_text("tiers:\n  hot:\n  slow:\n    iops_threshold: 5\n",
		 ":4: tiers.slow.iops_threshold: must be 0 or left out: the slowest tier takes every "
		 "extent below tiers.hot.iops_threshold");
	bad_text("tiers:\n  hot:\n  cold:\n    iops_threshold: 200\n",
		 ":4: tiers.cold.iops_threshold: must be 0 or left out: the slowest tier takes every "
		 "extent below tiers.hot.iops_threshold");
	/* warm's threshold is its default, 10: the error points at warm's line. */
	bad_text("tiers:\n  hot:\n    iops_threshold: 5\n  warm:\n  cold:\n",
		 ":4: tiers.warm.iops_threshold: 10 (the default for warm) is above "
		 "tiers.hot.iops_threshold (5, line 3): "
		 "tiers are listed fastest first, so thresholds must not increase");
	bad_text("policy:\n  interval: 10m\n",
		 ":2: policy.interval: 10m is longer than policy.sampling_window (5m, the default)");
	bad_text("policy:\n  interval: 1m\n  sampling_window: 30s\n",
		 ":3: policy.sampling_window: 30s is shorter than policy.interval (1m, line 2)");
	bad_text("prometheus:\n  use_for_iops: true\n",
		 ":2: prometheus.use_for_iops: true needs prometheus.endpoint");
	bad_text("migration:\n  schedule: \"0 2 * *\"\n",
		 ":2: migration.schedule: invalid cron schedule \"0 2 * *\": "
		 "4 fields, expected 5 (minute hour day-of-month month day-of-week)");
	bad_text("migration:\n  batch_size: !!int 5\n",
		 ":2: migration.batch_size: tags (tag:yaml.org,2002:int) are not supported");
	bad_text("migration: &m\n  batch_size: 5\n",
		 ":1: migration: anchors (&m) are not supported");
	bad_text("? [a, b]\n: 1\n", ":1: keys must be plain names, got a list");
	bad_text("migration:\n  ? {a: 1}\n  : 1\n",
		 ":2: migration: keys must be plain names, got a mapping");
}

static void test_big_file(void)
{
	static char text[(1 << 20) + 64];

	memset(text, '#', sizeof(text) - 1);
	text[sizeof(text) - 2] = '\n';
	bad_text(text, ": larger than 1048576 bytes: not a config file");
}

/* cs_config_validate() on configs built in code, and on loaded ones. */
static void test_validate(void)
{
	struct cs_config c;

	cs_config_defaults(&c);
	c.migration.batch_size = 0;
	T(cs_config_validate(&c, err, sizeof(err)) == -1 &&
	  !strcmp(err, "migration.batch_size: 0 is out of range (1 to 65536)"),
	  "validate: no file, no path or line (%s)", err);

	cs_config_defaults(&c);
	c.migration.concurrent_migrations = 65;
	T(cs_config_validate(&c, err, sizeof(err)) == -1 &&
	  !strcmp(err, "migration.concurrent_migrations: 65 is out of range (1 to 64)"),
	  "validate: concurrent_migrations 65");

	cs_config_defaults(&c);
	c.policy.interval_s = 0;
	T(cs_config_validate(&c, err, sizeof(err)) == -1 &&
	  !strcmp(err, "policy.interval: must be at least 1s"), "validate: interval 0");

	cs_config_defaults(&c);
	c.tiers[2].iops_threshold = 11;
	c.tiers[1].iops_threshold = 101;
	T(cs_config_validate(&c, err, sizeof(err)) == -1 &&
	  !strcmp(err, "tiers.warm.iops_threshold: 101 is above tiers.hot.iops_threshold "
		  "(100): tiers are listed fastest first, so thresholds must not increase"),
	  "validate: increasing thresholds, the first reported");

	cs_config_defaults(&c);
	strcpy(c.migration.schedule, "61 * * * *");
	T(cs_config_validate(&c, err, sizeof(err)) == -1 &&
	  !strcmp(err, "migration.schedule: invalid cron schedule \"61 * * * *\": "
		  "minute: 61 is out of range 0-59"), "validate: bad schedule");

	cs_config_defaults(&c);
	c.agent.health_port = 8080;
	T(cs_config_validate(&c, err, sizeof(err)) == -1 &&
	  !strcmp(err, "agent.health_address: port 8080 is also agent.metrics_address's"),
	  "validate: health and metrics on one port");

	/* After a load the path and the key's line come back, as for load errors. */
	T(load("guide.yaml") == 0, "validate: guide loads");
	cfg.migration.batch_size = 0;
	snprintf(fixture_path, sizeof(fixture_path), "%s/guide.yaml", dir);
	T(cs_config_validate(&cfg, err, sizeof(err)) == -1 &&
	  err_is(":53: migration.batch_size: 0 is out of range (1 to 65536)"),
	  "validate: a loaded key's error has file and line");
	cfg.migration.batch_size = 5;
	strcpy(cfg.migration.schedule, "0 0 31 2 *");
	T(cs_config_validate(&cfg, err, sizeof(err)) == -1 &&
	  err_is(": migration.schedule: invalid cron schedule \"0 0 31 2 *\": day of month: none "
		 "of the days exists in the months given, so it would never run"),
	  "validate: a key not in the file has the file but no line");
}

int main(int argc, char **argv)
{
	if (argc > 1)
		dir = argv[1];
	test_duration();
	test_defaults();
	test_guide();
	test_notes_overflow();
	test_agent_keys();
	test_empty();
	test_bad_files();
	test_bad_values();
	test_bad_addresses();
	test_bad_structure();
	test_big_file();
	test_validate();
	return tap_done();
}
