/* SPDX-License-Identifier: GPL-2.0 */
/* couchestord: what the agent asks of the kernel, over the couche family. */
#ifndef COUCHESTORD_KERNEL_H
#define COUCHESTORD_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "couche/event.h"
#include "couche/nl.h"
#include "couche/vol.h"

struct cs_kernel {
	struct couche_nl nl;	/* requests */
	struct couche_nl ev;	/* the events group, read without blocking */
	bool up;
	char why[320];		/* why it is not up */
};

int cs_kernel_open(struct cs_kernel *k);
void cs_kernel_close(struct cs_kernel *k);
int cs_kernel_volumes(struct cs_kernel *k, struct couche_vol **list, int *n);
int cs_kernel_read_extents(struct cs_kernel *k, const char *volume, uint32_t nr,
			   uint32_t *heat, uint8_t *tier, uint8_t *flags, bool *changed);
int cs_kernel_migrate(struct cs_kernel *k, const char *volume, uint32_t first,
		      uint32_t last, unsigned int tier);
/* Pins extents to @tier (a linear tier: they move there); unpins them. */
int cs_kernel_pin(struct cs_kernel *k, const char *volume, uint32_t first, uint32_t last,
		  unsigned int tier);
int cs_kernel_unpin(struct cs_kernel *k, const char *volume, uint32_t first, uint32_t last);
/* Sets the parameters in @mask (bits COUCHE_PARAM_A_*) to @params[attr]. */
int cs_kernel_set_params(struct cs_kernel *k, const char *volume, const uint32_t *params,
			 uint32_t mask);
int cs_kernel_event_fd(struct cs_kernel *k);
/* The extent decoder the socket calls, for the fuzzer: 0 or -EINVAL. */
int cs_kernel_parse_extents(struct nl_msg *msg, uint32_t nr, uint32_t *heat, uint8_t *tier,
			    uint8_t *flags);
int cs_kernel_events(struct cs_kernel *k, couche_event_fn fn, void *arg);

#endif /* COUCHESTORD_KERNEL_H */
