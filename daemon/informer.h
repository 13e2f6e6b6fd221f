/* SPDX-License-Identifier: GPL-2.0 */
/*
 * couchestord: a cache of one kind of Kubernetes object, kept by list +
 * watch in a thread of its own (client-go's reflector): listed in pages,
 * watched from the list's resourceVersion with bookmarks, listed again
 * on 410 Gone.  Objects are kept decoded (a few fields, not the JSON),
 * keyed by uid.
 */
#ifndef COUCHESTORD_INFORMER_H
#define COUCHESTORD_INFORMER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "kube.h"

/* What the cache keeps of an object; NULL to keep nothing of it. */
typedef void *(*cs_informer_decode_fn)(struct json_object *obj);

struct cs_informer_slot {
	char uid[40];
	void *item;
};

struct cs_informer {
	char path[512];		/* "/api/v1/persistentvolumeclaims", maybe with "?fieldSelector=..." */
	char what[64];		/* "persistentvolumeclaims", for logs */
	cs_informer_decode_fn decode;
	void (*free_item)(void *item);
	struct cs_kube kube;
	pthread_t thread;
	bool running;
	int stop;		/* atomic */
	int notify_fd;		/* written after each change */
	long page;		/* list page size (500) */

	pthread_mutex_t lock;	/* guards what follows */
	struct cs_informer_slot *slots;	/* open addressing by uid */
	size_t nr, cap;
	bool synced;		/* a whole list has been taken */
	bool up;		/* the last call got an answer */
	char rv[64];		/* where the watch goes on from */
	bool relist;		/* an ERROR line ended the watch */
	unsigned long changes;	/* bumped with every change to the cache */
	unsigned long lists, watches, expired, errors;
	char why[640];		/* the last failure */
};

int cs_informer_start(struct cs_informer *in, const struct cs_kube_cfg *kc, const char *path,
		      const char *what, cs_informer_decode_fn decode, void (*free_item)(void *),
		      int notify_fd, char *err, size_t len);
/* Tells the thread to stop (a call in flight ends within a second); then stop joins it. */
void cs_informer_request_stop(struct cs_informer *in);
void cs_informer_stop(struct cs_informer *in);

/* @fn for every cached item, under the lock (keep it short). */
void cs_informer_foreach(struct cs_informer *in, void (*fn)(void *item, void *arg), void *arg);

/* The decoders, for the fuzzer and the tests: list and watch-line handling. */
int cs_informer_apply_event(struct cs_informer *in, struct json_object *ev);

#endif /* COUCHESTORD_INFORMER_H */
