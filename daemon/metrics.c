// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord: metrics registry and its Prometheus text rendering (format
 * 0.0.4).  Families and series are short linked lists searched linearly:
 * the daemon has a few dozen families and a series per volume and tier,
 * updated once per policy interval, so nothing cleverer pays for itself.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

struct cs_series {
	struct cs_series *next;
	/* Escaped label pairs as rendered, `a="x",b="y"`; "" without labels. */
	char *key;
	double value;		/* counter, gauge; histogram sum */
	uint64_t count;		/* histogram observations */
	uint64_t *buckets;	/* histogram: cumulative count per bound */
};

struct cs_family {
	struct cs_family *next;
	char *name;
	char *help;
	enum cs_metric_type type;
	char **labels;
	size_t nlabels;
	double *bounds;
	size_t nbounds;
	struct cs_series *series;
};

struct cs_metrics {
	pthread_mutex_t lock;
	struct cs_family *families;
};

/* Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*; label names the same without ':'. */
static bool valid_name(const char *s, bool colon)
{
	const char *p;

	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return false;
	for (p = s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || (colon && *p == ':'))
			continue;
		return false;
	}
	return true;
}

/*
 * One bad byte in a label value makes Prometheus reject the whole scrape,
 * so refuse it at the update instead.  Device and volume names reach us
 * from the kernel and Kubernetes and are not ours to trust.
 */
static bool valid_utf8(const unsigned char *s)
{
	while (*s) {
		unsigned int c = *s++, n, cp;

		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		while (n--) {
			if ((*s & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (*s++ & 0x3f);
		}
		/* overlong 3/4-byte forms, surrogates, beyond U+10FFFF */
		if ((c >= 0xe0 && c <= 0xef && (cp < 0x800 ||
		     (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (c >= 0xf0 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
	}
	return true;
}

static size_t list_len(const char *const *l)
{
	size_t n = 0;

	while (l && l[n])
		n++;
	return n;
}

static struct cs_family *find_family(struct cs_metrics *m, const char *name)
{
	struct cs_family *f;

	for (f = m->families; f; f = f->next)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

/* Escape for a label value (\\, \", \n) or, with !quote, for HELP (\\, \n). */
static void put_escaped(FILE *out, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (*s == '"' && quote)
			fputs("\\\"", out);
		else
			fputc(*s, out);
	}
}

/*
 * Shortest of %.15g and %.17g that reads back to the same double, so 0.1
 * renders as "0.1" and no precision is lost.  Special values as Prometheus
 * spells them.
 */
static void fmt_double(char *buf, size_t len, double v)
{
	if (isnan(v)) {
		snprintf(buf, len, "NaN");
	} else if (isinf(v)) {
		snprintf(buf, len, "%s", v > 0 ? "+Inf" : "-Inf");
	} else {
		snprintf(buf, len, "%.15g", v);
		if (strtod(buf, NULL) != v)
			snprintf(buf, len, "%.17g", v);
	}
}

static char *series_key(const struct cs_family *f, const char *const *values)
{
	char *key = NULL;
	size_t len, i;
	FILE *out;

	out = open_memstream(&key, &len);
	if (!out)
		return NULL;
	for (i = 0; i < f->nlabels; i++) {
		fprintf(out, "%s%s=\"", i ? "," : "", f->labels[i]);
		put_escaped(out, values[i], true);
		fputc('"', out);
	}
	if (fclose(out)) {
		free(key);
		return NULL;
	}
	return key;
}

static void free_series(struct cs_series *s)
{
	free(s->key);
	free(s->buckets);
	free(s);
}

static struct cs_series *new_series(struct cs_family *f,
				    const char *const *values)
{
	struct cs_series *s, **pp;

	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->key = series_key(f, values);
	if (f->type == CS_METRIC_HISTOGRAM && f->nbounds)
		s->buckets = calloc(f->nbounds, sizeof(*s->buckets));
	if (!s->key || (f->type == CS_METRIC_HISTOGRAM && f->nbounds &&
			!s->buckets)) {
		free_series(s);
		return NULL;
	}
	/* append: series render in the order they first appeared */
	for (pp = &f->series; *pp; pp = &(*pp)->next)
		;
	*pp = s;
	return s;
}

static int check_values(const struct cs_family *f, const char *const *values)
{
	size_t i;

	if (list_len(values) != f->nlabels)
		return -EINVAL;
	for (i = 0; i < f->nlabels; i++)
		if (!valid_utf8((const unsigned char *)values[i]))
			return -EINVAL;
	return 0;
}

/*
 * Find the series for @values, creating it if @create; *sp is set only on
 * success.  Called with the lock held.
 */
static int lookup(struct cs_metrics *m, const char *name,
		  const char *const *values, bool create,
		  struct cs_family **fp, struct cs_series **sp)
{
	struct cs_family *f = find_family(m, name);
	struct cs_series *s;
	char *key;
	int ret;

	if (!f)
		return -ENOENT;
	ret = check_values(f, values);
	if (ret)
		return ret;
	key = series_key(f, values);
	if (!key)
		return -ENOMEM;
	for (s = f->series; s; s = s->next)
		if (!strcmp(s->key, key))
			break;
	free(key);
	if (!s && !create)
		return -ENOENT;
	if (!s)
		s = new_series(f, values);
	if (!s)
		return -ENOMEM;
	*fp = f;
	*sp = s;
	return 0;
}

static void free_family(struct cs_family *f)
{
	size_t i;

	while (f->series) {
		struct cs_series *s = f->series;

		f->series = s->next;
		free_series(s);
	}
	for (i = 0; i < f->nlabels; i++)
		free(f->labels[i]);
	free(f->labels);
	free(f->bounds);
	free(f->name);
	free(f->help);
	free(f);
}

static int check_family(struct cs_metrics *m, const char *name,
			const char *help, const char *const *labels,
			enum cs_metric_type type)
{
	size_t i, j, n = list_len(labels);

	if (!valid_name(name, true) || !help || !*help)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		/* "__" is Prometheus' own; "le" is the histogram's bucket */
		if (!valid_name(labels[i], false) ||
		    !strncmp(labels[i], "__", 2) ||
		    (type == CS_METRIC_HISTOGRAM && !strcmp(labels[i], "le")))
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (!strcmp(labels[i], labels[j]))
				return -EINVAL;
	}
	return find_family(m, name) ? -EEXIST : 0;
}

static struct cs_family *new_family(const char *name, const char *help,
				    const char *const *labels,
				    enum cs_metric_type type)
{
	struct cs_family *f = calloc(1, sizeof(*f));
	size_t i, n = list_len(labels);

	if (!f)
		return NULL;
	f->type = type;
	f->name = strdup(name);
	f->help = strdup(help);
	f->labels = calloc(n + 1, sizeof(*f->labels));
	if (!f->name || !f->help || !f->labels)
		goto fail;
	for (i = 0; i < n; i++) {
		f->labels[i] = strdup(labels[i]);
		if (!f->labels[i])
			goto fail;
		f->nlabels++;
	}
	return f;
fail:
	free_family(f);
	return NULL;
}

static int add_family(struct cs_metrics *m, const char *name, const char *help,
		      const char *const *labels, enum cs_metric_type type,
		      const double *bounds, size_t nbounds)
{
	struct cs_family *f, **pp;
	int ret;

	cs_metrics_lock(m);
	ret = check_family(m, name, help, labels, type);
	if (ret)
		goto out;
	ret = -ENOMEM;
	f = new_family(name, help, labels, type);
	if (!f)
		goto out;
	if (nbounds) {
		f->bounds = malloc(nbounds * sizeof(*bounds));
		if (!f->bounds)
			goto fail;
		memcpy(f->bounds, bounds, nbounds * sizeof(*bounds));
		f->nbounds = nbounds;
	}
	/* An unlabelled family has exactly one series: make it visible now. */
	if (!f->nlabels && !new_series(f, NULL))
		goto fail;
	for (pp = &m->families; *pp; pp = &(*pp)->next)
		;
	*pp = f;
	ret = 0;
	goto out;
fail:
	free_family(f);
out:
	cs_metrics_unlock(m);
	return ret;
}

int cs_metrics_counter(struct cs_metrics *m, const char *name,
		       const char *help, const char *const *labels)
{
	return add_family(m, name, help, labels, CS_METRIC_COUNTER, NULL, 0);
}

int cs_metrics_gauge(struct cs_metrics *m, const char *name,
		     const char *help, const char *const *labels)
{
	return add_family(m, name, help, labels, CS_METRIC_GAUGE, NULL, 0);
}

int cs_metrics_histogram(struct cs_metrics *m, const char *name,
			 const char *help, const char *const *labels,
			 const double *bounds, size_t nbounds)
{
	size_t i;

	for (i = 0; i < nbounds; i++)
		if (!isfinite(bounds[i]) || (i && bounds[i] <= bounds[i - 1]))
			return -EINVAL;
	return add_family(m, name, help, labels, CS_METRIC_HISTOGRAM,
			  bounds, nbounds);
}

/* set and add: @delta adds to the value, otherwise @v replaces it. */
static int update(struct cs_metrics *m, const char *name,
		  const char *const *values, double v, bool delta)
{
	struct cs_family *f;
	struct cs_series *s;
	int ret;

	cs_metrics_lock(m);
	ret = lookup(m, name, values, true, &f, &s);
	if (ret)
		goto out;
	if (f->type == CS_METRIC_HISTOGRAM ||
	    (f->type == CS_METRIC_COUNTER && delta && !(v >= 0))) {
		ret = -EINVAL;
		goto out;
	}
	s->value = delta ? s->value + v : v;
out:
	cs_metrics_unlock(m);
	return ret;
}

int cs_metrics_set(struct cs_metrics *m, const char *name,
		   const char *const *values, double v)
{
	return update(m, name, values, v, false);
}

int cs_metrics_add(struct cs_metrics *m, const char *name,
		   const char *const *values, double delta)
{
	return update(m, name, values, delta, true);
}

int cs_metrics_observe(struct cs_metrics *m, const char *name,
		       const char *const *values, double v)
{
	struct cs_family *f;
	struct cs_series *s;
	size_t i;
	int ret;

	cs_metrics_lock(m);
	ret = lookup(m, name, values, true, &f, &s);
	if (ret)
		goto out;
	if (f->type != CS_METRIC_HISTOGRAM) {
		ret = -EINVAL;
		goto out;
	}
	/* cumulative, as rendered: an observation counts in every le >= v */
	for (i = 0; i < f->nbounds; i++)
		if (v <= f->bounds[i])
			s->buckets[i]++;
	s->count++;
	s->value += v;
out:
	cs_metrics_unlock(m);
	return ret;
}

int cs_metrics_remove(struct cs_metrics *m, const char *name,
		      const char *const *values)
{
	struct cs_series *s, **pp;
	struct cs_family *f;
	int ret;

	cs_metrics_lock(m);
	ret = lookup(m, name, values, false, &f, &s);
	if (!ret) {
		for (pp = &f->series; *pp != s; pp = &(*pp)->next)
			;
		*pp = s->next;
		free_series(s);
	}
	cs_metrics_unlock(m);
	return ret;
}

int cs_metrics_clear(struct cs_metrics *m, const char *name)
{
	struct cs_family *f;
	int ret = 0;

	cs_metrics_lock(m);
	f = find_family(m, name);
	if (!f) {
		ret = -ENOENT;
	} else {
		while (f->series) {
			struct cs_series *s = f->series;

			f->series = s->next;
			free_series(s);
		}
		/* keep the invariant: an unlabelled family always has a series */
		if (!f->nlabels && !new_series(f, NULL))
			ret = -ENOMEM;
	}
	cs_metrics_unlock(m);
	return ret;
}

/* One sample line; @extra is one more label pair (the histogram's le). */
static void put_sample(FILE *out, const char *name, const char *suffix,
		       const char *key, const char *extra, double v)
{
	char num[32];

	fmt_double(num, sizeof(num), v);
	fprintf(out, "%s%s", name, suffix);
	if (*key || extra)
		fprintf(out, "{%s%s%s}", key, *key && extra ? "," : "",
			extra ? extra : "");
	fprintf(out, " %s\n", num);
}

static void put_histogram(FILE *out, const struct cs_family *f,
			  const struct cs_series *s)
{
	char le[48], num[32];
	size_t i;

	for (i = 0; i < f->nbounds; i++) {
		fmt_double(num, sizeof(num), f->bounds[i]);
		snprintf(le, sizeof(le), "le=\"%s\"", num);
		put_sample(out, f->name, "_bucket", s->key, le,
			   (double)s->buckets[i]);
	}
	put_sample(out, f->name, "_bucket", s->key, "le=\"+Inf\"",
		   (double)s->count);
	put_sample(out, f->name, "_sum", s->key, NULL, s->value);
	put_sample(out, f->name, "_count", s->key, NULL, (double)s->count);
}

static const char *const type_names[] = {
	[CS_METRIC_COUNTER] = "counter",
	[CS_METRIC_GAUGE] = "gauge",
	[CS_METRIC_HISTOGRAM] = "histogram",
};

static void put_family(FILE *out, const struct cs_family *f)
{
	const struct cs_series *s;

	fprintf(out, "# HELP %s ", f->name);
	put_escaped(out, f->help, false);
	fprintf(out, "\n# TYPE %s %s\n", f->name, type_names[f->type]);
	for (s = f->series; s; s = s->next) {
		if (f->type == CS_METRIC_HISTOGRAM)
			put_histogram(out, f, s);
		else
			put_sample(out, f->name, "", s->key, NULL, s->value);
	}
}

int cs_metrics_render(struct cs_metrics *m, char **text, size_t *len)
{
	const struct cs_family *f;
	char *buf = NULL;
	size_t n = 0;
	FILE *out;
	int ret = 0;

	out = open_memstream(&buf, &n);
	if (!out)
		return -ENOMEM;
	cs_metrics_lock(m);
	for (f = m->families; f; f = f->next)
		if (f->series)
			put_family(out, f);
	cs_metrics_unlock(m);
	/* memstream write errors only surface here */
	if (fclose(out)) {
		free(buf);
		buf = NULL;
		n = 0;
		ret = -ENOMEM;
	}
	*text = buf;
	*len = n;
	return ret;
}

struct cs_metrics *cs_metrics_new(void)
{
	struct cs_metrics *m = calloc(1, sizeof(*m));
	pthread_mutexattr_t attr;

	if (!m)
		return NULL;
	/* recursive, so cs_metrics_lock() can wrap calls that lock again */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&m->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	return m;
}

void cs_metrics_free(struct cs_metrics *m)
{
	if (!m)
		return;
	while (m->families) {
		struct cs_family *f = m->families;

		m->families = f->next;
		free_family(f);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void cs_metrics_lock(struct cs_metrics *m)
{
	pthread_mutex_lock(&m->lock);
}

void cs_metrics_unlock(struct cs_metrics *m)
{
	pthread_mutex_unlock(&m->lock);
}
