/* SPDX-License-Identifier: GPL-2.0 */
/*
 * couchestord: a small metrics registry rendered in the Prometheus text
 * exposition format 0.0.4.
 *
 * A family (one metric name) is declared once with its type, help text and
 * label names; series are then addressed by their label values, given in
 * the declared order, NULL-terminated:
 *
 *	cs_metrics_gauge(m, "couchestor_extents", "Extents per tier.",
 *			 CS_L("volume", "tier"));
 *	cs_metrics_set(m, "couchestor_extents", CS_L(vol, "hot"), 1234);
 *
 * A family without labels gets its one series (value 0) when declared, so
 * alert rules see it from the first scrape.  Labelled series appear on their
 * first update and stay until removed.
 *
 * Every call takes the registry's mutex, so the agent thread may update
 * while the HTTP thread renders.  To make several updates appear at once
 * (say, clear a per-volume family and fill it again), hold
 * cs_metrics_lock() around them; the mutex is recursive.
 *
 * Numbers are printed with printf, so LC_NUMERIC must stay "C" (the
 * daemon does not call setlocale()); Prometheus wants a '.'.
 *
 * Functions return 0 or a negative errno: -EINVAL (bad name, wrong number
 * of label values, label value not UTF-8, negative counter increment, call
 * not valid for the type), -ENOENT (no such family or series), -EEXIST
 * (family declared twice), -ENOMEM.
 */
#ifndef CS_METRICS_H
#define CS_METRICS_H

#include <stddef.h>

struct cs_metrics;

enum cs_metric_type {
	CS_METRIC_COUNTER,
	CS_METRIC_GAUGE,
	CS_METRIC_HISTOGRAM,
};

/* A NULL-terminated list of label names or values. */
#define CS_L(...) ((const char *const[]){ __VA_ARGS__, NULL })

struct cs_metrics *cs_metrics_new(void);
void cs_metrics_free(struct cs_metrics *m);

/* Declare a family; @labels is NULL or a CS_L() list of label names. */
int cs_metrics_counter(struct cs_metrics *m, const char *name,
		       const char *help, const char *const *labels);
int cs_metrics_gauge(struct cs_metrics *m, const char *name,
		     const char *help, const char *const *labels);
/* @bounds: finite, strictly ascending upper bounds; +Inf is implied. */
int cs_metrics_histogram(struct cs_metrics *m, const char *name,
			 const char *help, const char *const *labels,
			 const double *bounds, size_t nbounds);

/*
 * Counters and gauges.  set is allowed on counters too, to mirror a
 * counter kept elsewhere (the kernel's); add refuses a negative delta on
 * a counter.
 */
int cs_metrics_set(struct cs_metrics *m, const char *name,
		   const char *const *values, double v);
int cs_metrics_add(struct cs_metrics *m, const char *name,
		   const char *const *values, double delta);
/* Histograms. */
int cs_metrics_observe(struct cs_metrics *m, const char *name,
		       const char *const *values, double v);

/* Drop one series (a volume went away), or all series of a family. */
int cs_metrics_remove(struct cs_metrics *m, const char *name,
		      const char *const *values);
int cs_metrics_clear(struct cs_metrics *m, const char *name);

void cs_metrics_lock(struct cs_metrics *m);
void cs_metrics_unlock(struct cs_metrics *m);

/*
 * Render every family that has series, in declaration order; *text is
 * malloc()ed and NUL-terminated, *len excludes the NUL.
 */
int cs_metrics_render(struct cs_metrics *m, char **text, size_t *len);

#endif /* CS_METRICS_H */
