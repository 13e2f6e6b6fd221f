// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord configuration loader.
 *
 * libyaml does the YAML; this file walks its event stream against a table
 * of known keys per section, so that every value is checked where it is
 * read and every error can name the file, the line and the full dotted key.
 * The event API rather than the document API because only events show
 * aliases as aliases (the document API resolves them silently) and give
 * the line of every key.
 *
 * Strictness is the point: a typo in a key or a value fails the load
 * instead of leaving a default in force that nobody asked for.  So unknown
 * keys, duplicate keys, quoted numbers, out-of-range values and strings
 * too long for their field are all errors, and only the first is reported
 * (it is usually the cause of what follows).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>
#include <linux/dm-couche.h>

#include "config.h"
#include "cron.h"
#include "duration.h"

/* A config file is a few kilobytes; anything past this is a wrong path. */
#define CS_CONFIG_MAX_BYTES (1 << 20)

/* Room at the end of the notes buffer for the "N more" line. */
#define CS_NOTES_RESERVE 48

/*
 * batch_size is how many extents one planning round may move; the kernel
 * ranks at most COUCHE_MAX_RANK extents per query, so more is meaningless.
 */
#define CS_BATCH_MAX COUCHE_MAX_RANK

enum cs_kind {
	CS_SECTION,	/* a mapping of more keys (sub) */
	CS_TIERS,	/* the tiers: mapping, names chosen by the user */
	CS_STR,		/* any scalar, length-checked */
	CS_URL,		/* "" or http(s)://HOST... */
	CS_DNS_NAME,	/* "" or a Kubernetes object name */
	CS_DNS_LABEL,	/* "" or a Kubernetes namespace */
	CS_CHOICE,	/* one of choices */
	CS_BOOL,
	CS_UINT,	/* decimal, min..max, 4 or 8 bytes */
	CS_SECONDS,	/* a duration in whole seconds, min..max seconds */
	CS_MILLIS,	/* a duration in milliseconds, min..max ms */
	CS_ADDR,	/* [HOST]:PORT; aux is the offset of the uint16_t port */
};

struct cs_key {
	const char *name;
	enum cs_kind kind;
	size_t off;			/* field offset from the section's base */
	size_t size;			/* field size */
	uint64_t min, max;
	size_t aux;			/* CS_ADDR: port offset */
	bool has_flag;			/* set the bool at flag_off when read */
	size_t flag_off;
	const char *const *choices;	/* CS_CHOICE, NULL-terminated */
	const struct cs_key *sub;	/* CS_SECTION, {NULL}-terminated */
	const char *hint;		/* appended to range errors */
	const char *note;		/* understood but not used by the agent */
};

#define CFG(f) .off = offsetof(struct cs_config, f), \
	       .size = sizeof(((struct cs_config *)0)->f)
#define TIER(f) .off = offsetof(struct cs_tier_cfg, f), \
		.size = sizeof(((struct cs_tier_cfg *)0)->f)

#define CS_SEC 1000ULL
#define CS_MIN (60 * CS_SEC)
#define CS_HOUR (60 * CS_MIN)
#define CS_DAY (24 * CS_HOUR)

static const char CS_NOTE_CONTROLLER[] = "used by the controller, not the agent";
static const char CS_NOTE_EC[] =
	"not used by the agent: the dm table sets the raid6 layout";
static const char CS_NOTE_CACHE[] =
	"not used by the agent: the dm table sets the read cache (cache_mb)";
static const char CS_NOTE_VMOTION[] =
	"not used: dm-couche moves extents itself, not with storage vMotion";

static const char *const cs_providers[] = { "nutanix", "none", "", NULL };
static const char *const cs_compressions[] = { "none", "lz4", "zstd", NULL };
static const char *const cs_log_formats[] = { "logfmt", "json", NULL };
static const char *const cs_log_levels[] = { "debug", "info", "warn", "error", NULL };

static const struct cs_key cs_credential_keys[] = {
	{ .name = "secret_name", .kind = CS_DNS_NAME, CFG(nutanix.secret_name),
	  .note = CS_NOTE_CONTROLLER },
	{ .name = "namespace", .kind = CS_DNS_LABEL, CFG(nutanix.secret_namespace),
	  .note = CS_NOTE_CONTROLLER },
	{ .name = NULL }
};

static const struct cs_key cs_nutanix_keys[] = {
	{ .name = "prism_central_url", .kind = CS_URL, CFG(nutanix.prism_central_url),
	  .note = CS_NOTE_CONTROLLER },
	{ .name = "cluster_uuid", .kind = CS_STR, CFG(nutanix.cluster_uuid),
	  .note = CS_NOTE_CONTROLLER },
	{ .name = "credential_ref", .kind = CS_SECTION, .sub = cs_credential_keys },
	{ .name = "use_categories", .kind = CS_BOOL, CFG(nutanix.use_categories),
	  .note = CS_NOTE_CONTROLLER },
	{ .name = "category_key", .kind = CS_STR, CFG(nutanix.category_key),
	  .note = CS_NOTE_CONTROLLER },
	{ .name = "hot_tier_flash_mode", .kind = CS_BOOL, CFG(nutanix.hot_tier_flash_mode),
	  .note = CS_NOTE_CONTROLLER },
	{ .name = "warm_tier_flash_mode", .kind = CS_BOOL, CFG(nutanix.warm_tier_flash_mode),
	  .note = CS_NOTE_CONTROLLER },
	{ .name = "cold_tier_flash_mode", .kind = CS_BOOL, CFG(nutanix.cold_tier_flash_mode),
	  .note = CS_NOTE_CONTROLLER },
	{ .name = "ca_file", .kind = CS_STR, CFG(nutanix.ca_file), .note = CS_NOTE_CONTROLLER },
	{ .name = "insecure_skip_verify", .kind = CS_BOOL, CFG(nutanix.insecure_skip_verify),
	  .note = CS_NOTE_CONTROLLER },
	{ .name = NULL }
};

static const struct cs_key cs_prometheus_keys[] = {
	{ .name = "endpoint", .kind = CS_URL, CFG(prometheus.endpoint) },
	{ .name = "query_timeout", .kind = CS_MILLIS, CFG(prometheus.query_timeout_ms), .min = 1,
	  .max = 10 * CS_MIN },
	{ .name = "iops_query", .kind = CS_STR, CFG(prometheus.iops_query) },
	{ .name = "use_for_iops", .kind = CS_BOOL, CFG(prometheus.use_for_iops) },
	{ .name = NULL }
};

/* Offsets here are from the struct cs_tier_cfg being filled. */
static const struct cs_key cs_tier_keys[] = {
	{ .name = "storage_class", .kind = CS_DNS_NAME, TIER(storage_class),
	  .note = CS_NOTE_CONTROLLER },
	{ .name = "nutanix_container", .kind = CS_STR, TIER(nutanix_container),
	  .note = CS_NOTE_CONTROLLER },
	{ .name = "category_value", .kind = CS_STR, TIER(category_value),
	  .note = CS_NOTE_CONTROLLER },
	{ .name = "iops_threshold", .kind = CS_UINT, TIER(iops_threshold), .max = UINT32_MAX,
	  .has_flag = true, .flag_off = offsetof(struct cs_tier_cfg, has_iops_threshold) },
	/* In GiB; capped so that the byte count still fits in 64 bits. */
	{ .name = "min_capacity_gb", .kind = CS_UINT, TIER(min_capacity_gb),
	  .max = (1ULL << 34) - 1, .note = CS_NOTE_CONTROLLER },
	{ .name = NULL }
};

static const struct cs_key cs_ec_keys[] = {
	{ .name = "enabled", .kind = CS_BOOL, CFG(erasure_coding.enabled), .note = CS_NOTE_EC },
	{ .name = "data_shards", .kind = CS_UINT, CFG(erasure_coding.data_shards), .min = 2,
	  .max = 16, .hint = "dm-couche's raid6 tier has 2 to 16 data members",
	  .note = CS_NOTE_EC },
	{ .name = "parity_shards", .kind = CS_UINT, CFG(erasure_coding.parity_shards), .min = 2,
	  .max = 2, .hint = "dm-couche's raid6 tier has exactly 2 parity members",
	  .note = CS_NOTE_EC },
	{ .name = "stripe_size_mb", .kind = CS_UINT, CFG(erasure_coding.stripe_size_mb), .min = 1,
	  .max = 1024, .note = CS_NOTE_EC },
	{ .name = "use_nutanix_ec", .kind = CS_BOOL, CFG(erasure_coding.use_nutanix_ec),
	  .note = CS_NOTE_EC },
	{ .name = NULL }
};

static const struct cs_key cs_migration_keys[] = {
	{ .name = "cooldown_period", .kind = CS_SECONDS, CFG(migration.cooldown_s),
	  .max = 30 * CS_DAY },
	{ .name = "batch_size", .kind = CS_UINT, CFG(migration.batch_size), .min = 1,
	  .max = CS_BATCH_MAX },
	{ .name = "concurrent_migrations", .kind = CS_UINT, CFG(migration.concurrent_migrations),
	  .min = 1, .max = COUCHE_MAX_MIGRATIONS_MAX, .hint = "dm-couche's max_migrations limit" },
	{ .name = "schedule", .kind = CS_STR, CFG(migration.schedule) },
	{ .name = "dry_run", .kind = CS_BOOL, CFG(migration.dry_run) },
	{ .name = "use_storage_vmotion", .kind = CS_BOOL, CFG(migration.use_storage_vmotion),
	  .note = CS_NOTE_VMOTION },
	{ .name = "migration_mbps", .kind = CS_UINT, CFG(migration.migration_mbps),
	  .max = COUCHE_MIGRATION_MBPS_MAX, .hint = "0 is unthrottled" },
	{ .name = NULL }
};

static const struct cs_key cs_cache_keys[] = {
	{ .name = "l1_size_mb", .kind = CS_UINT, CFG(cache.l1_size_mb), .max = UINT32_MAX,
	  .note = CS_NOTE_CACHE },
	{ .name = "l2_size_mb", .kind = CS_UINT, CFG(cache.l2_size_mb), .max = UINT32_MAX,
	  .note = CS_NOTE_CACHE },
	{ .name = "compression", .kind = CS_CHOICE, CFG(cache.compression),
	  .choices = cs_compressions, .note = CS_NOTE_CACHE },
	{ .name = "prefetch_enabled", .kind = CS_BOOL, CFG(cache.prefetch_enabled),
	  .note = CS_NOTE_CACHE },
	{ .name = NULL }
};

static const struct cs_key cs_policy_keys[] = {
	{ .name = "interval", .kind = CS_SECONDS, CFG(policy.interval_s), .min = CS_SEC,
	  .max = CS_DAY },
	/* The kernel's heat half-life tops out at 7 days; a longer window sees nothing more. */
	{ .name = "sampling_window", .kind = CS_SECONDS, CFG(policy.sampling_window_s),
	  .min = CS_SEC, .max = 7 * CS_DAY },
	{ .name = NULL }
};

static const struct cs_key cs_agent_keys[] = {
	{ .name = "metrics_address", .kind = CS_ADDR, CFG(agent.metrics_addr),
	  .aux = offsetof(struct cs_config, agent.metrics_port) },
	{ .name = "health_address", .kind = CS_ADDR, CFG(agent.health_addr),
	  .aux = offsetof(struct cs_config, agent.health_port) },
	{ .name = "log_format", .kind = CS_CHOICE, CFG(agent.log_format),
	  .choices = cs_log_formats },
	{ .name = "log_level", .kind = CS_CHOICE, CFG(agent.log_level), .choices = cs_log_levels },
	{ .name = NULL }
};

static const struct cs_key cs_top_keys[] = {
	{ .name = "cloud_provider", .kind = CS_CHOICE, CFG(cloud_provider),
	  .choices = cs_providers },
	{ .name = "nutanix", .kind = CS_SECTION, .sub = cs_nutanix_keys },
	{ .name = "prometheus", .kind = CS_SECTION, .sub = cs_prometheus_keys },
	{ .name = "tiers", .kind = CS_TIERS },
	{ .name = "erasure_coding", .kind = CS_SECTION, .sub = cs_ec_keys },
	{ .name = "migration", .kind = CS_SECTION, .sub = cs_migration_keys },
	{ .name = "cache", .kind = CS_SECTION, .sub = cs_cache_keys },
	{ .name = "policy", .kind = CS_SECTION, .sub = cs_policy_keys },
	{ .name = "agent", .kind = CS_SECTION, .sub = cs_agent_keys },
	{ .name = NULL }
};

/* The install guide's tiers, fastest first. */
static const struct {
	const char *name;
	uint32_t iops;
} cs_default_tiers[] = {
	{ "hot", 100 },
	{ "warm", 10 },
	{ "cold", 0 },
};

#define CS_NR_DEFAULT_TIERS (sizeof(cs_default_tiers) / sizeof(cs_default_tiers[0]))

/* No section has more keys than this; checked when a section is read. */
#define CS_SECTION_MAX_KEYS 16

/* ---- Messages ---- */

/* "path:line: key: message", leaving out what is unknown. */
static void cs_vmsg(char *buf, size_t len, const char *path, unsigned int line,
		    const char *key, const char *fmt, va_list ap)
{
	int n = 0;

	if (!buf || !len)
		return;
	if (path && *path && line)
		n = snprintf(buf, len, "%s:%u: ", path, line);
	else if (path && *path)
		n = snprintf(buf, len, "%s: ", path);
	if (n >= 0 && (size_t)n < len && key && *key)
		n += snprintf(buf + n, len - (size_t)n, "%s: ", key);
	if (n >= 0 && (size_t)n < len)
		vsnprintf(buf + n, len - (size_t)n, fmt, ap);
}

/*
 * Quotes @s for a message: escapes what would garble a log line and cuts
 * it short, since the point is to recognise the value, not to copy it.
 */
static const char *cs_show(const char *s, size_t n, char *buf, size_t len)
{
	size_t o = 0, i;

	buf[o++] = '"';
	for (i = 0; i < n && o + 8 < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)ch;
		} else if (ch < 0x20 || ch == 0x7f) {
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", ch);
		} else {
			buf[o++] = (char)ch;
		}
	}
	if (i < n)
		o += (size_t)snprintf(buf + o, len - o, "...");
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* ---- The loader ---- */

struct cs_loader {
	yaml_parser_t parser;
	yaml_event_t ev;
	bool have_ev;
	const char *path;
	char *text;
	size_t text_len;
	struct cs_config *c;
	char *err;
	size_t errlen;
	char *notes;
	size_t noteslen, notes_used;
	unsigned int notes_dropped;
};

static unsigned int cs_line(const struct cs_loader *l)
{
	return (unsigned int)l->ev.start_mark.line + 1;
}

__attribute__((format(printf, 4, 5)))
static int cs_fail(struct cs_loader *l, unsigned int line, const char *key,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cs_vmsg(l->err, l->errlen, l->path, line, key, fmt, ap);
	va_end(ap);
	return -1;
}

static void cs_note(struct cs_loader *l, unsigned int line, const char *key,
		    const char *note)
{
	size_t room;
	int n;

	if (!l->notes || l->noteslen <= CS_NOTES_RESERVE) {
		l->notes_dropped++;
		return;
	}
	room = l->noteslen - CS_NOTES_RESERVE - l->notes_used;
	n = snprintf(l->notes + l->notes_used, room, "%s:%u: %s: %s\n",
		     l->path, line, key, note);
	if (n < 0 || (size_t)n >= room) {
		/* Keep whole lines only: drop the partial one. */
		l->notes[l->notes_used] = '\0';
		l->notes_dropped++;
		return;
	}
	l->notes_used += (size_t)n;
}

static void cs_notes_finish(struct cs_loader *l)
{
	if (!l->notes || !l->noteslen || !l->notes_dropped)
		return;
	snprintf(l->notes + l->notes_used, l->noteslen - l->notes_used,
		 "%s: %u more note%s not shown\n", l->path, l->notes_dropped,
		 l->notes_dropped == 1 ? "" : "s");
}

static void cs_record_line(struct cs_config *c, const char *key, unsigned int line)
{
	struct cs_config_line *e;

	if (c->nr_lines >= CS_CONFIG_MAX_LINES || strlen(key) >= sizeof(e->key))
		return;
	e = &c->lines[c->nr_lines++];
	strcpy(e->key, key);
	e->line = line;
}

/*
 * Whether the line holding byte @index starts with a tab in its
 * indentation: libyaml reports those as "found character that cannot
 * start any token", which does not say what to fix.
 */
static bool cs_tab_indent(const struct cs_loader *l, size_t index)
{
	size_t start = index < l->text_len ? index : l->text_len;

	while (start > 0 && l->text[start - 1] != '\n')
		start--;
	for (; start < l->text_len; start++) {
		if (l->text[start] == '\t')
			return true;
		if (l->text[start] != ' ')
			break;
	}
	return false;
}

static int cs_syntax_error(struct cs_loader *l)
{
	const yaml_parser_t *p = &l->parser;
	unsigned int line = (unsigned int)p->problem_mark.line + 1;
	char ctx[96] = "";
	bool tab;

	if (p->error == YAML_MEMORY_ERROR)
		return cs_fail(l, 0, NULL, "out of memory reading YAML");
	if (p->context && p->context_mark.line != p->problem_mark.line)
		snprintf(ctx, sizeof(ctx), "; %s at line %u", p->context,
			 (unsigned int)p->context_mark.line + 1);
	else if (p->context)
		snprintf(ctx, sizeof(ctx), "; %s", p->context);
	/* Older libyaml says only "cannot start any token" for a tab. */
	tab = cs_tab_indent(l, p->problem_mark.index) &&
	      !(p->problem && strstr(p->problem, "tab"));
	return cs_fail(l, line, NULL, "YAML syntax error: %s (column %u%s)%s",
		       p->problem ? p->problem : "unknown error",
		       (unsigned int)p->problem_mark.column + 1, ctx,
		       tab ? "; indent with spaces, not tabs" : "");
}

/*
 * Anchors, aliases and tags are refused: a config file has no use for
 * them, and an alias would let one value silently feed several keys.
 */
static int cs_check_event(struct cs_loader *l, const char *key)
{
	const yaml_event_t *e = &l->ev;
	const yaml_char_t *anchor = NULL, *tag = NULL;

	switch (e->type) {
	case YAML_ALIAS_EVENT:
		return cs_fail(l, cs_line(l), key,
			       "aliases (*%s) are not supported; write the value out",
			       (const char *)e->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		anchor = e->data.scalar.anchor;
		tag = e->data.scalar.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = e->data.mapping_start.anchor;
		tag = e->data.mapping_start.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = e->data.sequence_start.anchor;
		tag = e->data.sequence_start.tag;
		break;
	default:
		break;
	}
	if (anchor)
		return cs_fail(l, cs_line(l), key, "anchors (&%s) are not supported",
			       (const char *)anchor);
	if (tag)
		return cs_fail(l, cs_line(l), key, "tags (%s) are not supported",
			       (const char *)tag);
	return 0;
}

/* Moves to the next event; @key names the place for error messages. */
static int cs_next(struct cs_loader *l, const char *key)
{
	if (l->have_ev)
		yaml_event_delete(&l->ev);
	l->have_ev = false;
	if (!yaml_parser_parse(&l->parser, &l->ev))
		return cs_syntax_error(l);
	l->have_ev = true;
	return cs_check_event(l, key);
}

static const char *cs_scalar(const struct cs_loader *l)
{
	return (const char *)l->ev.data.scalar.value;
}

static size_t cs_scalar_len(const struct cs_loader *l)
{
	return l->ev.data.scalar.length;
}

static bool cs_plain(const struct cs_loader *l)
{
	return l->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* YAML 1.1 null: "key:" with nothing after it, "~" or "null". */
static bool cs_is_null(const struct cs_loader *l)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	unsigned int i;

	if (l->ev.type != YAML_SCALAR_EVENT || !cs_plain(l))
		return false;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (!strcmp(cs_scalar(l), nulls[i]))
			return true;
	return false;
}

/* What the current event is, for "expected X, got Y". */
static const char *cs_got(const struct cs_loader *l, char *buf, size_t len)
{
	if (l->ev.type == YAML_MAPPING_START_EVENT)
		return "a mapping";
	if (l->ev.type == YAML_SEQUENCE_START_EVENT)
		return "a list";
	if (l->ev.type != YAML_SCALAR_EVENT)
		return "something else";
	if (cs_is_null(l))
		return "nothing";
	return cs_show(cs_scalar(l), cs_scalar_len(l), buf, len);
}

/* ---- Scalar values ---- */

static char *cs_field(void *base, const struct cs_key *k)
{
	return (char *)base + k->off;
}

static void cs_choices(const char *const *choices, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (; *choices && o < len; choices++) {
		if (!**choices)
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", *choices);
	}
}

/* Copies a scalar into a char array, refusing what would not fit. */
static int cs_set_str(struct cs_loader *l, const struct cs_key *k, void *base,
		      const char *key)
{
	size_t n = cs_is_null(l) ? 0 : cs_scalar_len(l);

	if (memchr(cs_scalar(l), '\0', n))
		return cs_fail(l, cs_line(l), key, "contains a NUL character");
	if (n >= k->size)
		return cs_fail(l, cs_line(l), key, "too long (%zu bytes, at most %zu)",
			       n, k->size - 1);
	memcpy(cs_field(base, k), cs_scalar(l), n);
	cs_field(base, k)[n] = '\0';
	return 0;
}

static bool cs_is_url(const char *s)
{
	const char *host;

	if (!strncmp(s, "https://", 8))
		host = s + 8;
	else if (!strncmp(s, "http://", 7))
		host = s + 7;
	else
		return false;
	return *host && *host != '/' && !strpbrk(s, " \t\r\n");
}

/*
 * Kubernetes names: lowercase letters, digits and '-' (and '.' for object
 * names), starting and ending with a letter or digit.
 */
static bool cs_is_k8s_name(const char *s, bool dots)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n; i++) {
		char ch = s[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');

		if (!alnum && !(ch == '-' && i && i + 1 < n) &&
		    !(dots && ch == '.' && i && i + 1 < n))
			return false;
	}
	return true;
}

static int cs_set_checked_str(struct cs_loader *l, const struct cs_key *k,
			      void *base, const char *key)
{
	char shown[96], list[96];
	const char *v = cs_field(base, k);
	const char *const *c;

	if (cs_set_str(l, k, base, key))
		return -1;
	cs_show(v, strlen(v), shown, sizeof(shown));
	switch (k->kind) {
	case CS_URL:
		if (*v && !cs_is_url(v))
			return cs_fail(l, cs_line(l), key,
				       "expected an http:// or https:// URL, got %s", shown);
		break;
	case CS_DNS_NAME:
	case CS_DNS_LABEL:
		if (*v && !cs_is_k8s_name(v, k->kind == CS_DNS_NAME))
			return cs_fail(l, cs_line(l), key,
				       "expected a Kubernetes name (lowercase letters, digits, '-'%s), got %s",
				       k->kind == CS_DNS_NAME ? ", '.'" : "", shown);
		break;
	case CS_CHOICE:
		for (c = k->choices; *c; c++)
			if (!strcmp(v, *c))
				return 0;
		cs_choices(k->choices, list, sizeof(list));
		return cs_fail(l, cs_line(l), key, "expected one of %s, got %s", list, shown);
	default:
		break;
	}
	return 0;
}

/* YAML 1.1's booleans, narrowed to the two pairs people write. */
static int cs_set_bool(struct cs_loader *l, const struct cs_key *k, void *base,
		       const char *key)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO" };
	char shown[96];
	unsigned int i;

	cs_show(cs_scalar(l), cs_scalar_len(l), shown, sizeof(shown));
	if (!cs_plain(l))
		return cs_fail(l, cs_line(l), key,
			       "expected true or false, got the string %s (write it without quotes)",
			       shown);
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(cs_scalar(l), yes[i]) || !strcmp(cs_scalar(l), no[i])) {
			*(bool *)cs_field(base, k) = !strcmp(cs_scalar(l), yes[i]);
			return 0;
		}
	}
	return cs_fail(l, cs_line(l), key, "expected true or false, got %s",
		       cs_got(l, shown, sizeof(shown)));
}

static const char *cs_uint_kind(const struct cs_key *k)
{
	return k->min ? "a positive integer" : "a non-negative integer";
}

/* Decimal digits only: YAML 1.1 reads "010" as octal and "0x10" as hex. */
static int cs_parse_decimal(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return 0;
}

static int cs_range_error(struct cs_loader *l, const struct cs_key *k,
			  const char *key, const char *shown, const char *lo,
			  const char *hi)
{
	if (k->min == k->max)
		return cs_fail(l, cs_line(l), key, "expected %s, got %s%s%s", lo, shown,
			       k->hint ? ": " : "", k->hint ? k->hint : "");
	return cs_fail(l, cs_line(l), key, "%s is out of range (%s to %s)%s%s", shown, lo, hi,
		       k->hint ? ": " : "", k->hint ? k->hint : "");
}

static int cs_set_uint(struct cs_loader *l, const struct cs_key *k, void *base,
		       const char *key)
{
	char shown[96], lo[24], hi[24];
	uint64_t v;
	int r;

	cs_show(cs_scalar(l), cs_scalar_len(l), shown, sizeof(shown));
	if (!cs_plain(l))
		return cs_fail(l, cs_line(l), key,
			       "expected %s, got the string %s (write it without quotes)",
			       cs_uint_kind(k), shown);
	r = cs_parse_decimal(cs_scalar(l), &v);
	if (r == -EINVAL)
		return cs_fail(l, cs_line(l), key, "expected %s, got %s", cs_uint_kind(k),
			       cs_got(l, shown, sizeof(shown)));
	snprintf(lo, sizeof(lo), "%llu", (unsigned long long)k->min);
	snprintf(hi, sizeof(hi), "%llu", (unsigned long long)k->max);
	if (r == -ERANGE || v < k->min || v > k->max)
		return cs_range_error(l, k, key, shown, lo, hi);
	if (k->size == sizeof(uint64_t))
		*(uint64_t *)cs_field(base, k) = v;
	else
		*(uint32_t *)cs_field(base, k) = (uint32_t)v;
	if (k->has_flag)
		*(bool *)((char *)base + k->flag_off) = true;
	return 0;
}

static int cs_set_duration(struct cs_loader *l, const struct cs_key *k, void *base,
			   const char *key)
{
	char shown[96], lo[32], hi[32];
	const char *why = NULL;
	uint64_t ms;

	cs_show(cs_scalar(l), cs_scalar_len(l), shown, sizeof(shown));
	if (cs_is_null(l) || cs_duration_parse(cs_scalar(l), &ms, &why))
		return cs_fail(l, cs_line(l), key,
			       "expected a duration such as 30s, 5m, 1h or 1h30m, got %s%s%s",
			       cs_got(l, shown, sizeof(shown)), why ? ": " : "", why ? why : "");
	cs_duration_format(k->min, lo, sizeof(lo));
	cs_duration_format(k->max, hi, sizeof(hi));
	if (ms < k->min || ms > k->max)
		return cs_fail(l, cs_line(l), key, "%s is out of range (%s to %s)",
			       shown, lo, hi);
	if (k->kind == CS_SECONDS) {
		if (ms % 1000)
			return cs_fail(l, cs_line(l), key,
				       "%s is not a whole number of seconds", shown);
		ms /= 1000;
	}
	*(uint32_t *)cs_field(base, k) = (uint32_t)ms;
	return 0;
}

/*
 * Splits "[HOST]:PORT" into an address string ("" for any) and a port,
 * checking the host is an IP literal: this is a listen address, and a
 * name would need a lookup that can fail at a bad time.
 */
int cs_config_parse_address(const char *s, char *host, size_t hostlen, uint16_t *port)
{
	unsigned char ip[16];
	const char *colon, *h = s;
	size_t hn;
	uint64_t p;
	bool v6 = false;

	if (*s == '[') {
		colon = strchr(s, ']');
		if (!colon || colon[1] != ':')
			return -1;
		h = s + 1;
		hn = (size_t)(colon - h);
		colon++;
		v6 = true;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		hn = (size_t)(colon - s);
	}
	if (hn >= hostlen || cs_parse_decimal(colon + 1, &p) || !p || p > 65535)
		return -1;
	memcpy(host, h, hn);
	host[hn] = '\0';
	if (v6 ? inet_pton(AF_INET6, host, ip) != 1 :
		 hn && inet_pton(AF_INET, host, ip) != 1)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

static int cs_set_addr(struct cs_loader *l, const struct cs_key *k, void *base,
		       const char *key)
{
	char shown[96], host[64];
	uint16_t port;

	if (cs_is_null(l) || cs_config_parse_address(cs_scalar(l), host, sizeof(host), &port) ||
	    strlen(host) >= k->size)
		return cs_fail(l, cs_line(l), key,
			       "expected [IP]:PORT such as :8080, 0.0.0.0:8080 or [::1]:8080, got %s",
			       cs_got(l, shown, sizeof(shown)));
	strcpy(cs_field(base, k), host);
	*(uint16_t *)((char *)base + k->aux) = port;
	return 0;
}

static int cs_set_scalar(struct cs_loader *l, const struct cs_key *k, void *base,
			 const char *key)
{
	switch (k->kind) {
	case CS_STR:
		return cs_set_str(l, k, base, key);
	case CS_URL:
	case CS_DNS_NAME:
	case CS_DNS_LABEL:
	case CS_CHOICE:
		return cs_set_checked_str(l, k, base, key);
	case CS_BOOL:
		return cs_set_bool(l, k, base, key);
	case CS_UINT:
		return cs_set_uint(l, k, base, key);
	case CS_SECONDS:
	case CS_MILLIS:
		return cs_set_duration(l, k, base, key);
	case CS_ADDR:
		return cs_set_addr(l, k, base, key);
	default:
		return cs_fail(l, cs_line(l), key, "internal error: bad key kind");
	}
}

static const char *cs_expected(const struct cs_key *k)
{
	switch (k->kind) {
	case CS_BOOL:
		return "true or false";
	case CS_UINT:
		return cs_uint_kind(k);
	case CS_SECONDS:
	case CS_MILLIS:
		return "a duration such as 30s, 5m, 1h or 1h30m";
	case CS_ADDR:
		return "[IP]:PORT";
	default:
		return "a single value";
	}
}

/* ---- Mappings ---- */

static int cs_load_section(struct cs_loader *l, const struct cs_key *keys,
			   void *base, const char *prefix);
static int cs_load_tiers(struct cs_loader *l, const char *key);

static void cs_join(char *buf, size_t len, const char *prefix, const char *name)
{
	if (prefix && *prefix)
		snprintf(buf, len, "%s.%s", prefix, name);
	else
		snprintf(buf, len, "%s", name);
}

/* Reads the value of @k, the current event, into @base. */
static int cs_load_value(struct cs_loader *l, const struct cs_key *k, void *base,
			 const char *key, unsigned int key_line)
{
	char shown[96];
	int r;

	if (k->kind == CS_SECTION || k->kind == CS_TIERS) {
		/* "nutanix:" with every key commented out is an empty section. */
		if (cs_is_null(l))
			return 0;
		if (l->ev.type != YAML_MAPPING_START_EVENT)
			return cs_fail(l, key_line, key,
				       "expected a mapping (keys indented under %s:), got %s",
				       k->name, cs_got(l, shown, sizeof(shown)));
		if (k->kind == CS_TIERS)
			return cs_load_tiers(l, key);
		return cs_load_section(l, k->sub, base, key);
	}
	/* A block mapping or list starts on the line below its key: name the key's. */
	if (l->ev.type != YAML_SCALAR_EVENT)
		return cs_fail(l, key_line, key, "expected %s, got %s",
			       cs_expected(k), cs_got(l, shown, sizeof(shown)));
	r = cs_set_scalar(l, k, base, key);
	if (!r && k->note)
		cs_note(l, key_line, key, k->note);
	return r;
}

static int cs_find_key(const struct cs_key *keys, const char *name)
{
	int i;

	for (i = 0; keys[i].name; i++)
		if (!strcmp(keys[i].name, name))
			return i;
	return -1;
}

static int cs_unknown_key(struct cs_loader *l, const struct cs_key *keys,
			  const char *key, bool top)
{
	char known[512];
	size_t o = 0;
	int i;

	known[0] = '\0';
	for (i = 0; keys[i].name && o < sizeof(known); i++)
		o += (size_t)snprintf(known + o, sizeof(known) - o, "%s%s",
				      i ? ", " : "", keys[i].name);
	/* The usual mistake: --config pointing at the ConfigMap itself. */
	if (top && (!strcmp(key, "apiVersion") || !strcmp(key, "kind")))
		return cs_fail(l, cs_line(l), key,
			       "unknown key (this looks like a Kubernetes manifest: point --config at the config.yaml it mounts)");
	return cs_fail(l, cs_line(l), key, "unknown key (known: %s)", known);
}

/*
 * Reads a mapping key into @name, refusing keys that are not plain
 * strings.  @prefix names the mapping for the error.
 */
static int cs_read_key(struct cs_loader *l, const char *prefix, char *name, size_t len)
{
	char shown[96];

	if (l->ev.type != YAML_SCALAR_EVENT)
		return cs_fail(l, cs_line(l), prefix, "keys must be plain names, got %s",
			       cs_got(l, shown, sizeof(shown)));
	if (cs_scalar_len(l) >= len || memchr(cs_scalar(l), '\0', cs_scalar_len(l))) {
		cs_show(cs_scalar(l), cs_scalar_len(l), shown, sizeof(shown));
		return cs_fail(l, cs_line(l), prefix, "unknown key %s", shown);
	}
	strcpy(name, cs_scalar(l));
	return 0;
}

/* The current event is MAPPING_START; reads up to its MAPPING_END. */
static int cs_load_section(struct cs_loader *l, const struct cs_key *keys,
			   void *base, const char *prefix)
{
	unsigned int seen[CS_SECTION_MAX_KEYS] = { 0 };
	char name[64], key[128];
	unsigned int line;
	int i;

	for (;;) {
		if (cs_next(l, prefix))
			return -1;
		if (l->ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		if (cs_read_key(l, prefix, name, sizeof(name)))
			return -1;
		cs_join(key, sizeof(key), prefix, name);
		line = cs_line(l);
		i = cs_find_key(keys, name);
		if (i < 0)
			return cs_unknown_key(l, keys, key, !*prefix);
		if (i >= CS_SECTION_MAX_KEYS)
			return cs_fail(l, line, key, "internal error: section too large");
		if (seen[i])
			return cs_fail(l, line, key, "duplicate key (first at line %u)", seen[i]);
		seen[i] = line;
		cs_record_line(l->c, key, line);
		if (cs_next(l, key) || cs_load_value(l, &keys[i], base, key, line))
			return -1;
	}
}

/* Tier names appear in dotted keys, metrics labels and the dm table. */
static bool cs_tier_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

/*
 * Starts tier @name: from the default tier of that name if there is one,
 * so that "hot:" with only a storage_class keeps the guide's threshold.
 */
static void cs_tier_start(struct cs_tier_cfg *t, const char *name)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	strcpy(t->name, name);
	for (i = 0; i < CS_NR_DEFAULT_TIERS; i++) {
		if (!strcmp(cs_default_tiers[i].name, name)) {
			t->iops_threshold = cs_default_tiers[i].iops;
			t->has_iops_threshold = true;
		}
	}
}

static int cs_tier_key(struct cs_loader *l, const char *name, const char *key)
{
	struct cs_config *c = l->c;
	int i;

	if (!cs_tier_name_ok(name))
		return cs_fail(l, cs_line(l), key,
			       "a tier name is letters, digits, '_' and '-'");
	if (strlen(name) >= sizeof(c->tiers[0].name))
		return cs_fail(l, cs_line(l), key, "tier name too long (at most %zu characters)",
			       sizeof(c->tiers[0].name) - 1);
	for (i = 0; i < c->nr_tiers; i++)
		if (!strcmp(c->tiers[i].name, name))
			return cs_fail(l, cs_line(l), key, "duplicate key (first at line %u)",
				       cs_config_line(c, key));
	if (c->nr_tiers == CS_MAX_TIERS)
		return cs_fail(l, cs_line(l), key, "more than %d tiers (dm-couche's limit)",
			       CS_MAX_TIERS);
	return 0;
}

/* The current event is the MAPPING_START of tiers:; the file's list replaces the defaults. */
static int cs_load_tiers(struct cs_loader *l, const char *prefix)
{
	struct cs_config *c = l->c;
	char name[64], key[128], shown[96];
	struct cs_tier_cfg *t;
	unsigned int line;

	c->nr_tiers = 0;
	for (;;) {
		if (cs_next(l, prefix))
			return -1;
		if (l->ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		if (cs_read_key(l, prefix, name, sizeof(name)))
			return -1;
		cs_join(key, sizeof(key), prefix, name);
		line = cs_line(l);
		if (cs_tier_key(l, name, key))
			return -1;
		t = &c->tiers[c->nr_tiers++];
		cs_tier_start(t, name);
		cs_record_line(c, key, line);
		if (cs_next(l, key))
			return -1;
		if (cs_is_null(l))
			continue;
		if (l->ev.type != YAML_MAPPING_START_EVENT)
			return cs_fail(l, line, key,
				       "expected a mapping of the tier's settings, got %s",
				       cs_got(l, shown, sizeof(shown)));
		if (cs_load_section(l, cs_tier_keys, t, key))
			return -1;
	}
}

/* The stream: nothing, or one document whose root is a mapping (or empty). */
static int cs_load_stream(struct cs_loader *l)
{
	char shown[96];

	if (cs_next(l, NULL))
		return -1;
	if (l->ev.type != YAML_STREAM_START_EVENT)
		return cs_fail(l, cs_line(l), NULL, "not a YAML stream");
	if (cs_next(l, NULL))
		return -1;
	if (l->ev.type == YAML_STREAM_END_EVENT)
		return 0;
	if (cs_next(l, NULL))
		return -1;
	if (l->ev.type == YAML_MAPPING_START_EVENT) {
		if (cs_load_section(l, cs_top_keys, l->c, ""))
			return -1;
	} else if (!cs_is_null(l)) {
		return cs_fail(l, cs_line(l), NULL,
			       "the top level must be a mapping of sections (cloud_provider:, tiers:, migration:, ...), got %s",
			       cs_got(l, shown, sizeof(shown)));
	}
	if (cs_next(l, NULL))	/* DOCUMENT_END */
		return -1;
	if (cs_next(l, NULL))
		return -1;
	if (l->ev.type != YAML_STREAM_END_EVENT)
		return cs_fail(l, cs_line(l), NULL,
			       "more than one YAML document; a config file holds one");
	return 0;
}

/* Reads the whole file: libyaml then parses from memory, and errors can quote it. */
static int cs_read_file(struct cs_loader *l)
{
	size_t cap = 4096;
	struct stat st;
	ssize_t n = 0;
	int fd;

	/* A FIFO or a device would block or never end: only regular files. */
	fd = open(l->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return cs_fail(l, 0, NULL, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return cs_fail(l, 0, NULL, "not a regular file");
	}
	l->text = malloc(cap);
	for (;;) {
		if (!l->text)
			break;
		n = read(fd, l->text + l->text_len, cap - l->text_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		l->text_len += (size_t)n;
		if (l->text_len > CS_CONFIG_MAX_BYTES)
			break;
		if (l->text_len == cap) {
			char *bigger = realloc(l->text, cap * 2);

			if (!bigger) {
				free(l->text);
				l->text = NULL;
				break;
			}
			l->text = bigger;
			cap *= 2;
		}
	}
	if (!l->text) {
		close(fd);
		return cs_fail(l, 0, NULL, "out of memory");
	}
	if (n < 0) {
		cs_fail(l, 0, NULL, "cannot read: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (l->text_len > CS_CONFIG_MAX_BYTES)
		return cs_fail(l, 0, NULL, "larger than %d bytes: not a config file",
			       CS_CONFIG_MAX_BYTES);
	return 0;
}

/* Parses l->text (l->text_len bytes, NUL after them) into l->c, then validates. */
static int cs_parse_text(struct cs_loader *l)
{
	int r;

	if (!yaml_parser_initialize(&l->parser))
		return cs_fail(l, 0, NULL, "out of memory");
	yaml_parser_set_input_string(&l->parser, (const unsigned char *)l->text, l->text_len);
	r = cs_load_stream(l);
	if (l->have_ev)
		yaml_event_delete(&l->ev);
	yaml_parser_delete(&l->parser);
	if (!r)
		r = cs_config_validate(l->c, l->err, l->errlen);
	cs_notes_finish(l);
	return r;
}

int cs_config_load(const char *path, struct cs_config *c, char *err, size_t errlen,
		   char *notes, size_t noteslen)
{
	struct cs_loader l = {
		.path = path, .c = c, .err = err, .errlen = errlen,
		.notes = notes, .noteslen = noteslen,
	};
	int r = -1;

	if (err && errlen)
		err[0] = '\0';
	if (notes && noteslen)
		notes[0] = '\0';
	if (!path)
		return cs_fail(&l, 0, NULL, "no configuration file given");
	if (strlen(path) >= sizeof(c->path))
		return cs_fail(&l, 0, NULL, "path too long");
	strcpy(c->path, path);
	c->nr_lines = 0;

	if (!cs_read_file(&l))
		r = cs_parse_text(&l);
	free(l.text);
	return r;
}

int cs_config_load_text(const char *name, const char *text, size_t len, struct cs_config *c,
			char *err, size_t errlen)
{
	struct cs_loader l = { .path = name, .c = c, .err = err, .errlen = errlen };
	int r;

	if (err && errlen)
		err[0] = '\0';
	snprintf(c->path, sizeof(c->path), "%s", name);
	c->nr_lines = 0;
	if (len > CS_CONFIG_MAX_BYTES)
		return cs_fail(&l, 0, NULL, "larger than %u bytes", CS_CONFIG_MAX_BYTES);
	l.text = malloc(len + 1);
	if (!l.text)
		return cs_fail(&l, 0, NULL, "out of memory");
	memcpy(l.text, text, len);
	l.text[len] = '\0';
	l.text_len = len;
	r = cs_parse_text(&l);
	free(l.text);
	return r;
}

/* ---- Defaults and cross-field checks ---- */

void cs_config_defaults(struct cs_config *c)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	strcpy(c->cloud_provider, "none");
	c->prometheus.query_timeout_ms = 30 * 1000;
	for (i = 0; i < CS_NR_DEFAULT_TIERS; i++)
		cs_tier_start(&c->tiers[c->nr_tiers++], cs_default_tiers[i].name);
	c->erasure_coding.data_shards = 4;
	c->erasure_coding.parity_shards = 2;
	c->erasure_coding.stripe_size_mb = 64;
	c->migration.cooldown_s = 3600;
	c->migration.batch_size = 5;
	c->migration.concurrent_migrations = 2;
	c->policy.interval_s = 30;
	c->policy.sampling_window_s = 300;
	c->agent.metrics_port = 8080;
	c->agent.health_port = 8081;
	strcpy(c->agent.log_format, "logfmt");
	strcpy(c->agent.log_level, "info");
}

unsigned int cs_config_line(const struct cs_config *c, const char *key)
{
	int i;

	for (i = 0; i < c->nr_lines; i++)
		if (!strcmp(c->lines[i].key, key))
			return c->lines[i].line;
	return 0;
}

__attribute__((format(printf, 6, 7)))
static int cs_verr_at(const struct cs_config *c, char *err, size_t errlen,
		      unsigned int line, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cs_vmsg(err, errlen, c->path, line, key, fmt, ap);
	va_end(ap);
	return -1;
}

/* The error about @key, at the line @key was read from (if it was). */
#define cs_verr(c, err, errlen, key, ...) \
	cs_verr_at(c, err, errlen, cs_config_line(c, key), key, __VA_ARGS__)

/* ", line N" if @key came from the file, ", the default" if not. */
static const char *cs_where(const struct cs_config *c, const char *key, char *buf,
			    size_t len)
{
	unsigned int line = cs_config_line(c, key);

	if (line)
		snprintf(buf, len, ", line %u", line);
	else if (c->path[0])
		snprintf(buf, len, ", the default");
	else
		buf[0] = '\0';	/* built in code: nothing to point at */
	return buf;
}

/*
 * A tier's threshold may be its name's default rather than the file's
 * ("warm:" with no iops_threshold is 10): then point at the tier's line
 * and say so.
 */
static int cs_validate_tier(const struct cs_config *c, int i, char *err, size_t errlen)
{
	const struct cs_tier_cfg *t = &c->tiers[i], *prev = i ? &c->tiers[i - 1] : NULL;
	bool last = i == c->nr_tiers - 1;
	char tkey[64], key[64], pkey[64], where[32], dflt[48] = "";
	unsigned int line;

	if (!t->name[0])
		return cs_verr(c, err, errlen, "tiers", "tier %d has no name", i);
	snprintf(tkey, sizeof(tkey), "tiers.%s", t->name);
	snprintf(key, sizeof(key), "tiers.%s.iops_threshold", t->name);
	line = cs_config_line(c, key);
	if (!line && cs_config_line(c, tkey)) {
		line = cs_config_line(c, tkey);
		snprintf(dflt, sizeof(dflt), " (the default for %s)", t->name);
	}
	if (!last && !t->has_iops_threshold)
		return cs_verr(c, err, errlen, tkey,
			       "iops_threshold is needed for every tier but the slowest (the last listed)");
	if (last && t->has_iops_threshold && t->iops_threshold) {
		if (!prev)
			return cs_verr_at(c, err, errlen, line, key,
					  "must be 0 or left out: the only tier takes every extent");
		return cs_verr_at(c, err, errlen, line, key,
				  "must be 0 or left out: the slowest tier takes every extent below tiers.%s.iops_threshold",
				  prev->name);
	}
	if (prev && t->has_iops_threshold && t->iops_threshold > prev->iops_threshold) {
		snprintf(pkey, sizeof(pkey), "tiers.%s.iops_threshold", prev->name);
		return cs_verr_at(c, err, errlen, line, key,
				  "%u%s is above %s (%u%s): tiers are listed fastest first, so thresholds must not increase",
				  t->iops_threshold, dflt, pkey, prev->iops_threshold,
				  cs_where(c, pkey, where, sizeof(where)));
	}
	return 0;
}

static int cs_validate_tiers(const struct cs_config *c, char *err, size_t errlen)
{
	int i, j;

	if (c->nr_tiers < 1)
		return cs_verr(c, err, errlen, "tiers", "at least one tier is needed");
	if (c->nr_tiers > CS_MAX_TIERS)
		return cs_verr(c, err, errlen, "tiers", "more than %d tiers", CS_MAX_TIERS);
	for (i = 0; i < c->nr_tiers; i++) {
		for (j = 0; j < i; j++)
			if (!strcmp(c->tiers[i].name, c->tiers[j].name))
				return cs_verr(c, err, errlen, "tiers", "tier %s is listed twice",
					       c->tiers[i].name);
		if (cs_validate_tier(c, i, err, errlen))
			return -1;
	}
	return 0;
}

static int cs_validate_policy(const struct cs_config *c, char *err, size_t errlen)
{
	char a[32], b[32], where[32];

	if (c->policy.interval_s < 1)
		return cs_verr(c, err, errlen, "policy.interval", "must be at least 1s");
	if (c->policy.sampling_window_s >= c->policy.interval_s)
		return 0;
	cs_duration_format(c->policy.sampling_window_s * 1000ULL, a, sizeof(a));
	cs_duration_format(c->policy.interval_s * 1000ULL, b, sizeof(b));
	/* Point at whichever of the two the file set; the other is a default. */
	if (cs_config_line(c, "policy.sampling_window") || !cs_config_line(c, "policy.interval"))
		return cs_verr(c, err, errlen, "policy.sampling_window",
			       "%s is shorter than policy.interval (%s%s)", a, b,
			       cs_where(c, "policy.interval", where, sizeof(where)));
	return cs_verr(c, err, errlen, "policy.interval",
		       "%s is longer than policy.sampling_window (%s%s)", b, a,
		       cs_where(c, "policy.sampling_window", where, sizeof(where)));
}

static int cs_validate_migration(const struct cs_config *c, char *err, size_t errlen)
{
	char why[160];
	struct cs_cron cron;

	if (c->migration.batch_size < 1 || c->migration.batch_size > CS_BATCH_MAX)
		return cs_verr(c, err, errlen, "migration.batch_size",
			       "%u is out of range (1 to %u)", c->migration.batch_size,
			       CS_BATCH_MAX);
	if (c->migration.concurrent_migrations < 1 ||
	    c->migration.concurrent_migrations > COUCHE_MAX_MIGRATIONS_MAX)
		return cs_verr(c, err, errlen, "migration.concurrent_migrations",
			       "%u is out of range (1 to %u)",
			       c->migration.concurrent_migrations, COUCHE_MAX_MIGRATIONS_MAX);
	if (c->migration.migration_mbps > COUCHE_MIGRATION_MBPS_MAX)
		return cs_verr(c, err, errlen, "migration.migration_mbps",
			       "%u is out of range (0 to %u)", c->migration.migration_mbps,
			       COUCHE_MIGRATION_MBPS_MAX);
	if (c->migration.schedule[0] &&
	    cs_cron_parse(c->migration.schedule, &cron, why, sizeof(why)))
		return cs_verr(c, err, errlen, "migration.schedule",
			       "invalid cron schedule \"%s\": %s", c->migration.schedule, why);
	return 0;
}

static int cs_validate_agent(const struct cs_config *c, char *err, size_t errlen)
{
	const char *m = c->agent.metrics_addr, *h = c->agent.health_addr;

	if (!c->agent.metrics_port)
		return cs_verr(c, err, errlen, "agent.metrics_address", "port 0 is not a port");
	if (!c->agent.health_port)
		return cs_verr(c, err, errlen, "agent.health_address", "port 0 is not a port");
	/* "" is every address, so it collides with any other on the same port. */
	if (c->agent.metrics_port == c->agent.health_port && (!*m || !*h || !strcmp(m, h)))
		return cs_verr(c, err, errlen, "agent.health_address",
			       "port %u is also agent.metrics_address's", c->agent.health_port);
	return 0;
}

int cs_config_validate(const struct cs_config *c, char *err, size_t errlen)
{
	if (cs_validate_tiers(c, err, errlen) || cs_validate_policy(c, err, errlen) ||
	    cs_validate_migration(c, err, errlen) || cs_validate_agent(c, err, errlen))
		return -1;
	if (!c->prometheus.query_timeout_ms)
		return cs_verr(c, err, errlen, "prometheus.query_timeout", "must be at least 1ms");
	if (c->prometheus.use_for_iops && !c->prometheus.endpoint[0])
		return cs_verr(c, err, errlen, "prometheus.use_for_iops",
			       "true needs prometheus.endpoint");
	return 0;
}
