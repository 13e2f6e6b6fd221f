// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord: list + watch, as client-go's reflector.  The watch starts
 * at the list's metadata.resourceVersion (never an item's: that replays
 * history); a bookmark moves it on without an object; an ERROR 410 in
 * the stream or an HTTP 410 means that version is gone from the server's
 * history, and the whole list is taken again.  Failures back off
 * (jittered, up to 30 s); the cache stays as it was meanwhile.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "informer.h"
#include "log.h"

#define WATCH_MIN_S 300		/* client-go watches 5 to 10 minutes */

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct cs_informer_slot *find(struct cs_informer_slot *slots, size_t cap, const char *uid)
{
	size_t i;

	if (!cap)
		return NULL;
	for (i = hash(uid) & (cap - 1);; i = (i + 1) & (cap - 1))
		if (!slots[i].uid[0] || !strcmp(slots[i].uid, uid))
			return &slots[i];
}

/* Lock held. */
static int grow(struct cs_informer *in)
{
	size_t cap = in->cap ? in->cap * 2 : 256, i;
	struct cs_informer_slot *s = calloc(cap, sizeof(*s)), *d;

	if (!s)
		return -ENOMEM;
	for (i = 0; i < in->cap; i++) {
		if (!in->slots[i].uid[0])
			continue;
		d = find(s, cap, in->slots[i].uid);
		*d = in->slots[i];
	}
	free(in->slots);
	in->slots = s;
	in->cap = cap;
	return 0;
}

/* Lock held; takes @item. */
static int put(struct cs_informer *in, const char *uid, void *item)
{
	struct cs_informer_slot *s;

	if ((in->nr + 1) * 4 > in->cap * 3 && grow(in)) {
		in->free_item(item);
		return -ENOMEM;
	}
	s = find(in->slots, in->cap, uid);
	if (s->uid[0]) {
		in->free_item(s->item);
	} else {
		snprintf(s->uid, sizeof(s->uid), "%s", uid);
		in->nr++;
	}
	s->item = item;
	in->changes++;
	return 0;
}

/* Lock held: deletion with backward shift, so probes stay unbroken. */
static void del(struct cs_informer *in, const char *uid)
{
	struct cs_informer_slot *s = find(in->slots, in->cap, uid);
	size_t i, j, k;

	if (!s || !s->uid[0])
		return;
	in->free_item(s->item);
	i = s - in->slots;
	for (j = (i + 1) & (in->cap - 1); in->slots[j].uid[0]; j = (j + 1) & (in->cap - 1)) {
		k = hash(in->slots[j].uid) & (in->cap - 1);
		/* Move j to i if its home k is not in (i, j]. */
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			in->slots[i] = in->slots[j];
			i = j;
		}
	}
	memset(&in->slots[i], 0, sizeof(in->slots[i]));
	in->nr--;
	in->changes++;
}

/* Lock held. */
static void clear(struct cs_informer *in)
{
	size_t i;

	for (i = 0; i < in->cap; i++)
		if (in->slots[i].uid[0])
			in->free_item(in->slots[i].item);
	free(in->slots);
	in->slots = NULL;
	in->nr = in->cap = 0;
}

static const char *meta(struct json_object *obj, const char *key)
{
	struct json_object *md, *v;

	if (!json_object_object_get_ex(obj, "metadata", &md) ||
	    !json_object_object_get_ex(md, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void notify(struct cs_informer *in)
{
	uint64_t one = 1;

	if (in->notify_fd >= 0 && write(in->notify_fd, &one, sizeof(one)) < 0)
		(void)0;	/* full: a wakeup is pending */
}

/* Lock held.  Returns 1 if the watch must end for a new list. */
static int apply(struct cs_informer *in, struct json_object *ev)
{
	struct json_object *t, *obj, *code;
	const char *type, *uid, *rv;
	void *item;

	if (!json_object_object_get_ex(ev, "type", &t) || !json_object_is_type(t, json_type_string) ||
	    !json_object_object_get_ex(ev, "object", &obj) ||
	    !json_object_is_type(obj, json_type_object))
		return 0;
	type = json_object_get_string(t);
	if (!strcmp(type, "ERROR")) {
		in->relist = true;
		if (json_object_object_get_ex(obj, "code", &code) && json_object_get_int(code) == 410) {
			in->expired++;
			return 1;
		}
		in->errors++;
		snprintf(in->why, sizeof(in->why), "watch error: %s",
			 json_object_to_json_string(obj));
		return 1;
	}
	rv = meta(obj, "resourceVersion");
	if (rv)
		snprintf(in->rv, sizeof(in->rv), "%s", rv);
	if (!strcmp(type, "BOOKMARK"))
		return 0;
	uid = meta(obj, "uid");
	if (!uid || !uid[0] || strlen(uid) >= sizeof(in->slots[0].uid))
		return 0;
	if (!strcmp(type, "DELETED")) {
		del(in, uid);
		return 0;
	}
	if (strcmp(type, "ADDED") && strcmp(type, "MODIFIED"))
		return 0;
	item = in->decode(obj);
	if (item)
		put(in, uid, item);
	else
		del(in, uid);	/* no longer of interest */
	return 0;
}

int cs_informer_apply_event(struct cs_informer *in, struct json_object *ev)
{
	int r;

	pthread_mutex_lock(&in->lock);
	r = apply(in, ev);
	pthread_mutex_unlock(&in->lock);
	return r;
}

static int on_line(struct json_object *ev, void *arg)
{
	struct cs_informer *in = arg;
	unsigned long before;
	int r;

	pthread_mutex_lock(&in->lock);
	before = in->changes;
	r = apply(in, ev);
	in->up = true;
	pthread_mutex_unlock(&in->lock);
	if (in->changes != before)
		notify(in);
	return r;
}

static void failed(struct cs_informer *in, const char *what, const struct cs_kube_reply *r)
{
	pthread_mutex_lock(&in->lock);
	in->errors++;
	in->up = r->status != 0;
	if (r->status)
		snprintf(in->why, sizeof(in->why), "%s %s: HTTP %ld %s", what, in->what, r->status,
			 r->message);
	else
		snprintf(in->why, sizeof(in->why), "%s %s: %s", what, in->what, r->message);
	pthread_mutex_unlock(&in->lock);
}

/* The whole list, page by page, swapped in at the end. */
static int list(struct cs_informer *in)
{
	struct cs_informer fresh = { .free_item = in->free_item };
	char path[1024 + 512], cont[2048] = "", esc[2048], rv[64] = "";
	struct cs_kube_reply r;
	int n;

	for (;;) {
		struct json_object *items, *md, *v;
		size_t i;

		n = snprintf(path, sizeof(path), "%s%climit=%ld", in->path,
			     strchr(in->path, '?') ? '&' : '?', in->page);
		if (cont[0])
			snprintf(path + n, sizeof(path) - n, "&continue=%s",
				 cs_kube_escape(cont, esc, sizeof(esc)));
		if (cs_kube_call(&in->kube, "GET", path, NULL, NULL, 30000, &r) || r.status != 200 ||
		    !r.body) {
			if (r.status == 410 && cont[0]) {
				/* The continue token outlived its snapshot: start over. */
				cs_kube_reply_free(&r);
				clear(&fresh);
				cont[0] = '\0';
				continue;
			}
			failed(in, "cannot list", &r);
			cs_kube_reply_free(&r);
			clear(&fresh);
			return -1;
		}
		if (json_object_object_get_ex(r.body, "items", &items) &&
		    json_object_is_type(items, json_type_array))
			for (i = 0; i < json_object_array_length(items); i++) {
				struct json_object *o = json_object_array_get_idx(items, i);
				const char *uid = meta(o, "uid");
				void *item;

				if (!uid || !uid[0] || strlen(uid) >= sizeof(fresh.slots[0].uid))
					continue;
				item = in->decode(o);
				if (item && put(&fresh, uid, item)) {
					failed(in, "out of memory listing", &r);
					cs_kube_reply_free(&r);
					clear(&fresh);
					return -1;
				}
			}
		cont[0] = '\0';
		if (json_object_object_get_ex(r.body, "metadata", &md)) {
			if (!rv[0] && json_object_object_get_ex(md, "resourceVersion", &v))
				snprintf(rv, sizeof(rv), "%s", json_object_get_string(v));
			if (json_object_object_get_ex(md, "continue", &v))
				snprintf(cont, sizeof(cont), "%s", json_object_get_string(v));
		}
		cs_kube_reply_free(&r);
		if (!cont[0])
			break;
	}
	pthread_mutex_lock(&in->lock);
	clear(in);
	in->slots = fresh.slots;
	in->nr = fresh.nr;
	in->cap = fresh.cap;
	snprintf(in->rv, sizeof(in->rv), "%s", rv);
	in->synced = true;
	in->up = true;
	in->lists++;
	in->changes++;
	in->why[0] = '\0';
	pthread_mutex_unlock(&in->lock);
	notify(in);
	return 0;
}

static bool stopping(struct cs_informer *in)
{
	return __atomic_load_n(&in->stop, __ATOMIC_RELAXED);
}

static void pause_ms(struct cs_informer *in, long ms)
{
	while (ms > 0 && !stopping(in)) {
		usleep(ms > 100 ? 100000 : ms * 1000);
		ms -= 100;
	}
}

static void *run(void *arg)
{
	struct cs_informer *in = arg;
	bool need_list = true;
	int fails = 0;

	while (!stopping(in)) {
		char path[1024 + 128], rv[64];
		struct cs_kube_reply r;
		long secs;
		int ret;

		if (need_list) {
			if (list(in)) {
				pause_ms(in, cs_kube_backoff_ms(fails++, 30000));
				continue;
			}
			need_list = false;
			fails = 0;
		}
		pthread_mutex_lock(&in->lock);
		snprintf(rv, sizeof(rv), "%s", in->rv);
		in->watches++;
		pthread_mutex_unlock(&in->lock);
		secs = WATCH_MIN_S + random() % WATCH_MIN_S;
		snprintf(path, sizeof(path), "%s%cwatch=1&allowWatchBookmarks=true&resourceVersion=%s"
			 "&timeoutSeconds=%ld", in->path, strchr(in->path, '?') ? '&' : '?', rv, secs);
		ret = cs_kube_stream(&in->kube, path, (secs + 30) * 1000, on_line, in, &r);
		if (stopping(in)) {
			cs_kube_reply_free(&r);
			break;
		}
		if (ret == 410) {
			pthread_mutex_lock(&in->lock);
			in->expired++;
			pthread_mutex_unlock(&in->lock);
			need_list = true;
		} else if (ret == 0) {
			/* Ended by the server (watch again from rv), or by an ERROR line. */
			pthread_mutex_lock(&in->lock);
			need_list = in->relist;
			in->relist = false;
			pthread_mutex_unlock(&in->lock);
			fails = 0;
		} else {
			failed(in, "watch", &r);
			pause_ms(in, cs_kube_backoff_ms(fails++, 30000));
		}
		cs_kube_reply_free(&r);
	}
	return NULL;
}

int cs_informer_start(struct cs_informer *in, const struct cs_kube_cfg *kc, const char *path,
		      const char *what, cs_informer_decode_fn decode, void (*free_item)(void *),
		      int notify_fd, char *err, size_t len)
{
	sigset_t all, old;
	int r;

	memset(in, 0, sizeof(*in));
	snprintf(in->path, sizeof(in->path), "%s", path);
	snprintf(in->what, sizeof(in->what), "%s", what);
	in->decode = decode;
	in->free_item = free_item;
	in->notify_fd = notify_fd;
	in->page = 500;
	if (cs_kube_init(&in->kube, kc, &in->stop)) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	pthread_mutex_init(&in->lock, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&in->thread, NULL, run, in);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		snprintf(err, len, "cannot start the %s watch: %s", what, strerror(r));
		cs_kube_close(&in->kube);
		pthread_mutex_destroy(&in->lock);
		return -1;
	}
	in->running = true;
	return 0;
}

void cs_informer_request_stop(struct cs_informer *in)
{
	__atomic_store_n(&in->stop, 1, __ATOMIC_RELAXED);
}

void cs_informer_stop(struct cs_informer *in)
{
	if (!in->running)
		return;
	cs_informer_request_stop(in);
	pthread_join(in->thread, NULL);
	pthread_mutex_lock(&in->lock);
	clear(in);
	pthread_mutex_unlock(&in->lock);
	cs_kube_close(&in->kube);
	pthread_mutex_destroy(&in->lock);
	in->running = false;
}

void cs_informer_foreach(struct cs_informer *in, void (*fn)(void *item, void *arg), void *arg)
{
	size_t i;

	pthread_mutex_lock(&in->lock);
	for (i = 0; i < in->cap; i++)
		if (in->slots[i].uid[0])
			fn(in->slots[i].item, arg);
	pthread_mutex_unlock(&in->lock);
}
