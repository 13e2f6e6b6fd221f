/* SPDX-License-Identifier: GPL-2.0 */
/* couchestord agent: per-node policy loop over the node's dm-couche volumes. */
#ifndef COUCHESTORD_AGENT_H
#define COUCHESTORD_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "couche/vol.h"
#include "kernel.h"
#include "policy.h"
#include "promworker.h"

struct cs_agent_kube;

/* What Kubernetes asks of a volume (agent_kube.c), and what came of it. */
struct cs_vol_intent {
	bool named;			/* the node's intents list this volume */
	bool loaded;			/* our last report was read back */
	char pvc[320], policy[320];
	char force_tier[32];		/* wanted */
	char applied[32];		/* done by us (also read back after a restart) */
	bool held;			/* a raid6 target: held by the agent, not pinned */
	bool force_loaded;		/* <uuid>.force read from the state dir */
	char error[320];		/* why the force-tier cannot be done */
	char last_error[320];		/* the last one logged */
	struct cs_config *cfg;		/* config.yaml with the policy over it; NULL: none */
	bool sets_concurrency;		/* the policy has maxConcurrent */
};

/* One volume the agent follows: 10 bytes per extent. */
struct cs_vol {
	char name[COUCHE_DEV_NAME_LEN];
	uint32_t nr;
	uint32_t *heat;
	uint8_t *tier;
	uint8_t *flags;
	struct cs_volume_state vs;	/* last_move per extent */
	struct couche_vol dev;		/* as GET_DEVICE last said */
	bool seen;
	uint64_t moved_up, moved_down;	/* issued by the agent */
	uint64_t mig_done, mig_failed;	/* seen in events */
	uint32_t want_up, want_down;
	double iops_scale;		/* from Prometheus, 1 when unused */
	uint32_t unmanaged;		/* tiers (bits) the config does not name */
	struct cs_move *pending;	/* issued, not seen done */
	uint32_t nr_pending, cap_pending;
	struct cs_vol_intent intent;
};

struct cs_agent {
	struct cs_config cfg;
	char node[128];
	char state_dir[256];	/* move history (state.h); "" for none */
	struct cs_kernel k;
	struct cs_vol *vols;
	int nr_vols;
	bool kernel_logged_down;
	bool prom_up;
	struct cs_promw *promw;	/* Prometheus thread, when the config uses it */
	char prom_why[384];
	double last_cycle_s;
	uint64_t cycles;
	void *metrics;		/* struct cs_metrics, see metrics.h */
	struct cs_agent_kube *kube;	/* NULL: config.yaml alone */
};

/* The config that governs @v: a StoragePolicy over config.yaml, or config.yaml. */
const struct cs_config *cs_vol_config(const struct cs_agent *a, const struct cs_vol *v);

int cs_agent_init(struct cs_agent *a, const struct cs_config *cfg, const char *node);
bool cs_agent_cycle(struct cs_agent *a, uint32_t now);
bool cs_agent_stop_pending(void);
void cs_agent_events(struct cs_agent *a);
void cs_agent_reconfigure(struct cs_agent *a, const struct cs_config *cfg);
void cs_agent_exit(struct cs_agent *a);
bool cs_agent_ready(const struct cs_agent *a, char *why, size_t len);
/* What /readyz adds to "ok" (tiers left alone), or NULL. */
const char *cs_agent_ready_note(const struct cs_agent *a, char *buf, size_t len);

#endif /* COUCHESTORD_AGENT_H */
