// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord: leader election as client-go does it.  Every retry period
 * (jittered) the thread reads the Lease; it takes it if nobody holds it,
 * if we hold it, or if the record it saw has not changed for the lease
 * duration by our own clock (clocks of two machines are never compared);
 * it writes with the resourceVersion it read, so of two candidates one
 * gets 409 Conflict and loses.  A leader that has not renewed within the
 * renew deadline stops leading at once, before any other candidate can
 * take over (the duration is longer than the deadline).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lease.h"
#include "log.h"

static double mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int cs_lease_check(const struct cs_lease_cfg *cfg, char *err, size_t len)
{
	if (cfg->duration_s <= cfg->renew_deadline_s) {
		snprintf(err, len, "the lease duration must be longer than the renew deadline");
		return -1;
	}
	if (cfg->renew_deadline_s <= 1.2 * cfg->retry_s) {
		snprintf(err, len, "the renew deadline must be longer than 1.2 retry periods");
		return -1;
	}
	if (!cfg->ns[0] || !cfg->name[0] || !cfg->identity[0]) {
		snprintf(err, len, "the lease needs a namespace, a name and an identity");
		return -1;
	}
	return 0;
}

void cs_lease_identity(char *buf, size_t len)
{
	char host[128] = "";
	uint32_t r;
	FILE *f = fopen("/dev/urandom", "r");

	if (!f || fread(&r, sizeof(r), 1, f) != 1)
		r = (uint32_t)getpid() ^ (uint32_t)time(NULL);
	if (f)
		fclose(f);
	gethostname(host, sizeof(host) - 1);
	snprintf(buf, len, "%s_%08x", host[0] ? host : "couchestord", r);
}

static void notify(struct cs_lease *l)
{
	uint64_t one = 1;

	if (l->notify_fd >= 0 && write(l->notify_fd, &one, sizeof(one)) < 0)
		(void)0;	/* a full eventfd has a wakeup pending already */
}

static const char *sget(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static struct json_object *record(const char *holder, const char *acquire, const char *renew,
				  int duration, long transitions)
{
	struct json_object *s = json_object_new_object();

	json_object_object_add(s, "holderIdentity", json_object_new_string(holder));
	json_object_object_add(s, "leaseDurationSeconds", json_object_new_int(duration));
	json_object_object_add(s, "acquireTime", json_object_new_string(acquire));
	json_object_object_add(s, "renewTime", json_object_new_string(renew));
	json_object_object_add(s, "leaseTransitions", json_object_new_int64(transitions));
	return s;
}

/* How long a call may take: what is left of the renew deadline, at most 5 s. */
static long call_ms(struct cs_lease *l)
{
	double left;

	pthread_mutex_lock(&l->lock);
	left = l->leading ? l->renewed + l->cfg.renew_deadline_s - mono_s() : 5.0;
	pthread_mutex_unlock(&l->lock);
	if (left > 5.0)
		left = 5.0;
	return left < 0.2 ? 200 : (long)(left * 1000);
}

static void set_why(struct cs_lease *l, const char *what, const struct cs_kube_reply *r)
{
	pthread_mutex_lock(&l->lock);
	if (r->status)
		snprintf(l->why, sizeof(l->why), "%s: HTTP %ld %s", what, r->status, r->message);
	else
		snprintf(l->why, sizeof(l->why), "%s: %s", what, r->message);
	pthread_mutex_unlock(&l->lock);
}

static uint64_t text_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void took(struct cs_lease *l, const char *holder, const char *spec_text, double t)
{
	pthread_mutex_lock(&l->lock);
	l->renewed = t;
	snprintf(l->holder, sizeof(l->holder), "%s", holder);
	l->seen = text_hash(spec_text);
	l->seen_at = t;
	l->why[0] = '\0';
	pthread_mutex_unlock(&l->lock);
}

/* client-go's tryAcquireOrRenew: true if we hold the lease now. */
static bool try_acquire_or_renew(struct cs_lease *l, bool release)
{
	char path[1024], now[40], body_acq[40];
	struct cs_kube_reply r;
	struct json_object *obj, *spec, *md, *v;
	const char *holder, *text;
	double t = mono_s();
	long transitions = 0;
	bool mine, ok = false;
	int dur = (int)l->cfg.duration_s;

	cs_kube_time(now, sizeof(now), true);
	snprintf(path, sizeof(path), "/apis/coordination.k8s.io/v1/namespaces/%s/leases/%s",
		 l->cfg.ns, l->cfg.name);
	if (cs_kube_request(&l->kube, "GET", path, NULL, NULL, call_ms(l), &r)) {
		set_why(l, "cannot read the lease", &r);
		cs_kube_reply_free(&r);
		return false;
	}
	if (r.status == 404 && !release) {
		char cpath[1024];

		cs_kube_reply_free(&r);
		obj = json_object_new_object();
		md = json_object_new_object();
		json_object_object_add(md, "name", json_object_new_string(l->cfg.name));
		json_object_object_add(md, "namespace", json_object_new_string(l->cfg.ns));
		json_object_object_add(obj, "apiVersion", json_object_new_string("coordination.k8s.io/v1"));
		json_object_object_add(obj, "kind", json_object_new_string("Lease"));
		json_object_object_add(obj, "metadata", md);
		spec = record(l->cfg.identity, now, now, dur, 0);
		json_object_object_add(obj, "spec", spec);
		snprintf(cpath, sizeof(cpath), "/apis/coordination.k8s.io/v1/namespaces/%s/leases",
			 l->cfg.ns);
		if (!cs_kube_request(&l->kube, "POST", cpath, "application/json",
				     json_object_to_json_string(obj), call_ms(l), &r) &&
		    r.status == 201) {
			took(l, l->cfg.identity, json_object_to_json_string(spec), t);
			ok = true;
		} else {
			set_why(l, "cannot create the lease", &r);
		}
		json_object_put(obj);
		cs_kube_reply_free(&r);
		return ok;
	}
	if (r.status != 200 || !r.body) {
		set_why(l, "cannot read the lease", &r);
		cs_kube_reply_free(&r);
		return false;
	}
	obj = r.body;
	if (!json_object_object_get_ex(obj, "spec", &spec) || !json_object_is_type(spec, json_type_object)) {
		spec = json_object_new_object();
		json_object_object_add(obj, "spec", spec);
	}
	text = json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PLAIN);
	holder = sget(spec, "holderIdentity") ?: "";
	mine = !strcmp(holder, l->cfg.identity);
	pthread_mutex_lock(&l->lock);
	if (l->seen != text_hash(text)) {
		/* A change, by our clock: the lease runs from now. */
		l->seen = text_hash(text);
		l->seen_at = t;
	}
	snprintf(l->holder, sizeof(l->holder), "%s", holder);
	if (json_object_object_get_ex(spec, "leaseDurationSeconds", &v) && json_object_get_int(v) > 0)
		dur = json_object_get_int(v);
	pthread_mutex_unlock(&l->lock);
	if (release && !mine) {
		cs_kube_reply_free(&r);
		return false;
	}
	if (!release && holder[0] && !mine && l->seen_at + dur > t) {
		cs_kube_reply_free(&r);
		return false;	/* somebody else holds it, and renews */
	}
	if (json_object_object_get_ex(spec, "leaseTransitions", &v))
		transitions = json_object_get_int64(v);
	if (!mine)
		transitions++;
	snprintf(body_acq, sizeof(body_acq), "%s", mine && sget(spec, "acquireTime") ?
		 sget(spec, "acquireTime") : now);
	json_object_object_add(obj, "spec", release ?
			       record("", now, now, 1, transitions) :
			       record(l->cfg.identity, body_acq, now, (int)l->cfg.duration_s,
				      transitions));
	{
		struct cs_kube_reply w;
		struct json_object *ns;

		json_object_object_get_ex(obj, "spec", &ns);
		if (!cs_kube_request(&l->kube, "PUT", path, "application/json",
				     json_object_to_json_string(obj), call_ms(l), &w) &&
		    w.status == 200) {
			if (!release)
				took(l, l->cfg.identity, json_object_to_json_string_ext(ns,
				     JSON_C_TO_STRING_PLAIN), t);
			ok = true;
		} else {
			/* 409: another candidate wrote first. */
			set_why(l, "cannot update the lease", &w);
		}
		cs_kube_reply_free(&w);
	}
	cs_kube_reply_free(&r);
	return ok;
}

static void set_leading(struct cs_lease *l, bool on, const char *why)
{
	char tr[24];

	pthread_mutex_lock(&l->lock);
	if (l->leading == on) {
		pthread_mutex_unlock(&l->lock);
		return;
	}
	l->leading = on;
	if (on)
		l->transitions++;
	snprintf(tr, sizeof(tr), "%lu", l->transitions);
	pthread_mutex_unlock(&l->lock);
	if (on)
		cs_log(CS_INFO, "became the leader", "lease", l->cfg.name, "identity",
		       l->cfg.identity, NULL);
	else
		cs_log(CS_WARN, "stopped leading", "lease", l->cfg.name, "identity",
		       l->cfg.identity, "why", why, NULL);
	notify(l);
}

/* The flag alone: cs_lease_leading() also checks the deadline. */
static bool flag_leading(struct cs_lease *l)
{
	bool r;

	pthread_mutex_lock(&l->lock);
	r = l->leading;
	pthread_mutex_unlock(&l->lock);
	return r;
}

static void *run(void *arg)
{
	struct cs_lease *l = arg;
	double wait, t;
	bool ok;

	while (!__atomic_load_n(&l->stop, __ATOMIC_RELAXED)) {
		ok = try_acquire_or_renew(l, false);
		t = mono_s();
		if (ok) {
			set_leading(l, true, NULL);
		} else {
			char why[sizeof(l->why)];
			bool lost;

			pthread_mutex_lock(&l->lock);
			lost = l->leading && (t - l->renewed >= l->cfg.renew_deadline_s ||
					      strcmp(l->holder, l->cfg.identity));
			snprintf(why, sizeof(why), "%s", l->why[0] ? l->why :
				 "another holder took the lease");
			pthread_mutex_unlock(&l->lock);
			if (lost)
				set_leading(l, false, why);
		}
		/* A leader renews every retry period; a candidate waits 1 to 1.2 of it. */
		wait = l->cfg.retry_s * (cs_lease_leading(l) ? 1.0 : 1.0 + (random() % 200) / 1000.0);
		while (wait > 0 && !__atomic_load_n(&l->stop, __ATOMIC_RELAXED)) {
			usleep(50000);
			wait -= 0.05;
			/* The deadline passes while we wait: stop at once, not at the next try. */
			if (flag_leading(l) && !cs_lease_leading(l))
				set_leading(l, false, "the lease was not renewed within the renew deadline");
		}
	}
	return NULL;
}

int cs_lease_start(struct cs_lease *l, const struct cs_kube_cfg *kc,
		   const struct cs_lease_cfg *cfg, int notify_fd, char *err, size_t len)
{
	sigset_t all, old;
	int r;

	memset(l, 0, sizeof(*l));
	l->cfg = *cfg;
	l->notify_fd = notify_fd;
	if (cs_lease_check(cfg, err, len))
		return -1;
	if (cs_kube_init(&l->kube, kc, &l->stop)) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	pthread_mutex_init(&l->lock, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&l->thread, NULL, run, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		snprintf(err, len, "cannot start the leader election thread: %s", strerror(r));
		cs_kube_close(&l->kube);
		pthread_mutex_destroy(&l->lock);
		return -1;
	}
	l->running = true;
	return 0;
}

void cs_lease_stop(struct cs_lease *l)
{
	bool was;
	int zero = 0;

	if (!l->running)
		return;
	__atomic_store_n(&l->stop, 1, __ATOMIC_RELAXED);
	pthread_join(l->thread, NULL);
	was = cs_lease_leading(l);
	if (was) {
		/* ReleaseOnCancel: the next candidate need not wait the lease out. */
		l->kube.abort = &zero;
		if (try_acquire_or_renew(l, true))
			cs_log(CS_INFO, "released the lease", "lease", l->cfg.name, NULL);
		else
			cs_log(CS_WARN, "could not release the lease: the next leader waits it out",
			       "lease", l->cfg.name, "error", l->why, NULL);
	}
	pthread_mutex_lock(&l->lock);
	l->leading = false;
	pthread_mutex_unlock(&l->lock);
	cs_kube_close(&l->kube);
	pthread_mutex_destroy(&l->lock);
	l->running = false;
}

bool cs_lease_leading(struct cs_lease *l)
{
	bool r;

	pthread_mutex_lock(&l->lock);
	r = l->leading && mono_s() - l->renewed < l->cfg.renew_deadline_s;
	pthread_mutex_unlock(&l->lock);
	return r;
}

long cs_lease_valid_ms(struct cs_lease *l)
{
	double left;

	pthread_mutex_lock(&l->lock);
	left = l->leading ? l->renewed + l->cfg.renew_deadline_s - mono_s() : 0;
	pthread_mutex_unlock(&l->lock);
	return left > 0 ? (long)(left * 1000) : 0;
}

const char *cs_lease_holder(struct cs_lease *l, char *buf, size_t len)
{
	pthread_mutex_lock(&l->lock);
	snprintf(buf, len, "%s", l->holder);
	pthread_mutex_unlock(&l->lock);
	return buf;
}
