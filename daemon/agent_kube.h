/* SPDX-License-Identifier: GPL-2.0 */
/*
 * couchestord agent, Kubernetes side: the intents for this node's volumes
 * (its CoucheStorNode's spec, watched) and the report of what it did (its
 * status, written by a thread of its own so the loop never waits on the
 * API).  Without an API server the agent runs on config.yaml alone.
 */
#ifndef COUCHESTORD_AGENT_KUBE_H
#define COUCHESTORD_AGENT_KUBE_H

#include <pthread.h>
#include <stdbool.h>

#include "informer.h"
#include "kube.h"

struct cs_agent;
struct cs_vol;

struct cs_agent_kube {
	bool enabled;
	struct cs_kube_cfg kc;
	struct cs_informer node;	/* our CoucheStorNode, by name */
	char path[512];			/* its /status */
	struct json_object *empty;	/* ours, to create if there is none (the writer's) */
	/* the status writer */
	pthread_t thread;
	bool running;
	int stop;
	pthread_mutex_t lock;		/* guards what follows */
	pthread_cond_t wake;
	struct json_object *want;	/* the status to write; NULL once written */
	struct json_object *written;	/* the last one written */
	bool up;			/* the last write (or watch) got an answer */
	char why[640];
};

/* Starts watching if an API server is configured (@kubeconfig, $KUBECONFIG, in-cluster). */
int cs_agent_kube_start(struct cs_agent *a, struct cs_agent_kube *ak, const char *kubeconfig);
void cs_agent_kube_stop(struct cs_agent_kube *ak);

/* The intents for @v from the cached spec (policy, force-tier), into v->intent. */
void cs_agent_kube_intents(struct cs_agent *a, struct cs_agent_kube *ak, struct cs_vol *v);
/* After a cycle: the report of every volume, written if it changed. */
void cs_agent_kube_report(struct cs_agent *a, struct cs_agent_kube *ak);
/* True if the API answers (or none is configured); @why otherwise. */
bool cs_agent_kube_up(struct cs_agent_kube *ak, char *why, size_t len);

#endif /* COUCHESTORD_AGENT_KUBE_H */
