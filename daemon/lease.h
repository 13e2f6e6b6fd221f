/* SPDX-License-Identifier: GPL-2.0 */
/*
 * couchestord: leader election on a coordination.k8s.io/v1 Lease, with
 * client-go's semantics (tools/leaderelection), in a thread of its own so
 * that nothing else the controller does can delay a renewal.
 */
#ifndef COUCHESTORD_LEASE_H
#define COUCHESTORD_LEASE_H

#include <pthread.h>
#include <stdbool.h>

#include "kube.h"

struct cs_lease_cfg {
	char ns[256], name[254], identity[254];
	double duration_s, renew_deadline_s, retry_s;	/* 15, 10, 2 */
};

struct cs_lease {
	struct cs_lease_cfg cfg;
	struct cs_kube kube;
	pthread_t thread;
	bool running;
	int stop;			/* atomic */
	int notify_fd;			/* written on every change of leadership */
	pthread_mutex_t lock;		/* guards what follows */
	bool leading;
	double renewed;			/* CLOCK_MONOTONIC of the last acquire or renew */
	char holder[254];		/* the holder last seen */
	unsigned long transitions;	/* times this process took the lease */
	char why[640];			/* the last failure, for logs and readiness */
	/* The record last seen and when it last changed, by our clock. */
	uint64_t seen;			/* a hash of its text */
	double seen_at;
};

/* Checks client-go's constraint duration > renew deadline > 1.2 x retry. */
int cs_lease_check(const struct cs_lease_cfg *cfg, char *err, size_t len);
int cs_lease_start(struct cs_lease *l, const struct cs_kube_cfg *kc,
		   const struct cs_lease_cfg *cfg, int notify_fd, char *err, size_t len);
/* Stops the thread; a leader releases the lease (an empty holder). */
void cs_lease_stop(struct cs_lease *l);
/*
 * True while this process leads: it acquired or renewed the lease less
 * than the renew deadline ago.  Every write checks it just before.
 */
bool cs_lease_leading(struct cs_lease *l);
/* How long this leadership holds without another renewal (0 if not leading), in ms. */
long cs_lease_valid_ms(struct cs_lease *l);
/* The holder last seen (empty if none), into @buf. */
const char *cs_lease_holder(struct cs_lease *l, char *buf, size_t len);

/* hostname_<random hex>, unique per process as client-go's. */
void cs_lease_identity(char *buf, size_t len);

#endif /* COUCHESTORD_LEASE_H */
