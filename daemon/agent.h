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
};

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
