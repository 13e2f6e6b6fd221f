/* SPDX-License-Identifier: GPL-2.0 */
/*
 * couchestord configuration: the config.yaml of the Nutanix install guide
 * (cloud_provider, nutanix, prometheus, tiers, erasure_coding, migration,
 * cache) plus the daemon's own policy: and agent: sections.
 */
#ifndef COUCHESTORD_CONFIG_H
#define COUCHESTORD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CS_MAX_TIERS 8

struct cs_tier_cfg {
	char name[16];			/* key under tiers: (hot, warm, cold, ...) */
	char storage_class[64];
	char nutanix_container[64];
	char category_value[64];
	uint32_t iops_threshold;	/* extents at or above go to this tier or faster */
	bool has_iops_threshold;
	uint64_t min_capacity_gb;
};

/*
 * Where a setting came from: the loader records the line of every key it
 * reads, so that cs_config_validate() can point at the file even for
 * checks that span several keys.
 */
#define CS_CONFIG_MAX_LINES 128

struct cs_config_line {
	char key[48];			/* dotted key, "migration.batch_size" */
	unsigned int line;		/* 1-based */
};

struct cs_config {
	char path[256];			/* file it came from ("" if none) */
	char cloud_provider[32];	/* "nutanix", "none" or "" */
	struct {
		char prism_central_url[256];
		char cluster_uuid[64];
		char secret_name[64];	/* credential_ref.secret_name */
		char secret_namespace[64]; /* credential_ref.namespace */
		bool use_categories;
		char category_key[64];
		bool hot_tier_flash_mode, warm_tier_flash_mode, cold_tier_flash_mode;
		char ca_file[256];	/* a private CA for Prism Central's TLS */
		bool insecure_skip_verify;	/* explicit opt-in, warned at each start */
	} nutanix;
	struct {
		char endpoint[256];
		uint32_t query_timeout_ms;
		char iops_query[512];
		bool use_for_iops;
	} prometheus;
	int nr_tiers;
	struct cs_tier_cfg tiers[CS_MAX_TIERS];	/* in file order, fastest first */
	struct {
		bool enabled;
		uint32_t data_shards, parity_shards, stripe_size_mb;
		bool use_nutanix_ec;
	} erasure_coding;
	struct {
		uint32_t cooldown_s;
		uint32_t batch_size;
		uint32_t concurrent_migrations;
		char schedule[128];	/* cron; "" = at any time */
		bool dry_run;
		bool use_storage_vmotion;
		uint32_t migration_mbps;	/* 0 = unthrottled */
	} migration;
	struct {
		uint32_t l1_size_mb, l2_size_mb;
		char compression[16];
		bool prefetch_enabled;
	} cache;
	struct {
		uint32_t interval_s;
		uint32_t sampling_window_s;
	} policy;
	struct {
		char metrics_addr[64];	/* "" = all addresses */
		uint16_t metrics_port;
		char health_addr[64];
		uint16_t health_port;
		char log_format[16];	/* logfmt or json */
		char log_level[16];	/* debug, info, warn or error */
	} agent;

	int nr_lines;
	struct cs_config_line lines[CS_CONFIG_MAX_LINES];
};

/*
 * Defaults: policy.interval 30s, sampling_window 5m; tiers hot >= 100,
 * warm >= 10, cold (the guide's); migration cooldown 1h, batch 5,
 * concurrent 2, no schedule, not dry-run, unthrottled; prometheus
 * query_timeout 30s; agent metrics :8080, health :8081, logfmt, info.
 */
void cs_config_defaults(struct cs_config *c);

/*
 * Loads @path over what @c holds (normally cs_config_defaults()), then runs
 * cs_config_validate().  A tiers: section replaces the default tier list
 * as a whole; a tier named like a default one (hot, warm, cold) starts from
 * that tier's threshold.  An empty file keeps the defaults.
 *
 * Returns 0, or -1 with one message in @err such as
 * "config.yaml:37: migration.batch_size: expected a positive integer, got \"many\""
 * (@c is then partly loaded and should be thrown away).  @notes, if not
 * NULL, receives one line per key that is understood but not used by the
 * agent, e.g. "config.yaml:5: nutanix.prism_central_url: used by the
 * controller, not the agent"; the agent logs them at info.
 */
int cs_config_load(const char *path, struct cs_config *c, char *err, size_t errlen,
		   char *notes, size_t noteslen);

/*
 * The same from @len bytes of @text, named @name in messages (no notes):
 * for the fuzzer and for callers that hold the file already.
 */
int cs_config_load_text(const char *name, const char *text, size_t len, struct cs_config *c,
			char *err, size_t errlen);

/*
 * Checks that span keys or that a caller may have broken after loading:
 * at least one tier; every tier but the slowest has an iops_threshold,
 * thresholds do not increase from faster to slower tiers and the slowest
 * tier's is 0; batch_size >= 1; concurrent_migrations 1..64; interval
 * >= 1s; sampling_window >= interval; schedule empty or valid cron;
 * use_for_iops needs an endpoint; metrics and health on different ports.
 * Same message format as cs_config_load(), with the line of the key when
 * it came from the file.
 */
int cs_config_validate(const struct cs_config *c, char *err, size_t errlen);

/*
 * A listen address, "[IP]:PORT", ":PORT" or "IP:PORT", into @host ("" for
 * every address) and @port (1-65535): the one parser for the config and
 * the --*-address flags.  A host name is refused (a lookup could fail at
 * a bad time).  Returns 0 or -1.
 */
int cs_config_parse_address(const char *s, char *host, size_t hostlen, uint16_t *port);

/* The line @key ("migration.batch_size") was read from, or 0. */
unsigned int cs_config_line(const struct cs_config *c, const char *key);

#endif /* COUCHESTORD_CONFIG_H */
