/* SPDX-License-Identifier: GPL-2.0 */
/* couchestord: what the agent asks of the kernel, over the couche family. */
#ifndef COUCHESTORD_KERNEL_H
#define COUCHESTORD_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "dev.h"
#include "nl.h"

struct cs_kernel {
	struct ctl_nl nl;	/* requests */
	struct ctl_nl ev;	/* the events group, read without blocking */
	bool up;
	char why[320];		/* why it is not up */
};

/* What an event said, for the agent's counters. */
struct cs_event {
	int type;		/* enum couche_event */
	char volume[COUCHE_DEV_NAME_LEN];
	uint32_t extent;
	int tier;
	uint32_t error;
};

int cs_kernel_open(struct cs_kernel *k);
void cs_kernel_close(struct cs_kernel *k);
int cs_kernel_volumes(struct cs_kernel *k, struct ctl_dev **list, int *n);
int cs_kernel_read_extents(struct cs_kernel *k, const char *volume, uint32_t nr,
			   uint32_t *heat, uint8_t *tier, uint8_t *flags, bool *changed);
int cs_kernel_migrate(struct cs_kernel *k, const char *volume, uint32_t first,
		      uint32_t last, unsigned int tier);
/* Sets the parameters in @mask (bits COUCHE_PARAM_A_*) to @params[attr]. */
int cs_kernel_set_params(struct cs_kernel *k, const char *volume, const uint32_t *params,
			 uint32_t mask);
int cs_kernel_event_fd(struct cs_kernel *k);
/* The decoders the socket calls, for the fuzzer: 0 or -EINVAL. */
int cs_kernel_parse_event(struct nl_msg *msg, struct cs_event *ev);
int cs_kernel_parse_extents(struct nl_msg *msg, uint32_t nr, uint32_t *heat, uint8_t *tier,
			    uint8_t *flags);
int cs_kernel_events(struct cs_kernel *k, void (*fn)(const struct cs_event *ev, void *arg),
		     void *arg);

#endif /* COUCHESTORD_KERNEL_H */
