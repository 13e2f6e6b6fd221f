// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: what couchestord and couchestorctl decode from the
 * kernel.  The bytes follow a generic netlink header (the first byte picks
 * the command) as attributes, and go to the GET_DEVICE, event and extent
 * decoders.
 */
#include <stdint.h>
#include <string.h>

#include <netlink/genl/genl.h>

#include "couche/vol.h"
#include "kernel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint32_t heat[64];
	static uint8_t tier[64], flags[64];
	static struct couche_vol d;
	struct genlmsghdr *g;
	struct couche_event_info ev;
	struct nl_msg *msg;

	if (!size)
		return 0;
	/* Exactly the size: a read past the last attribute is an ASan report. */
	msg = nlmsg_alloc_size(NLMSG_HDRLEN + GENL_HDRLEN + NLMSG_ALIGN(size - 1));
	if (!msg)
		return 0;
	if (!nlmsg_put(msg, 0, 0, 0x20, GENL_HDRLEN, 0))
		goto out;
	g = nlmsg_data(nlmsg_hdr(msg));
	g->cmd = data[0] % (COUCHE_CMD_MAX + 1);
	g->version = COUCHE_GENL_VERSION;
	if (nlmsg_append(msg, (void *)(data + 1), size - 1, 0))
		goto out;
	couche_vol_from_msg(msg, &d);
	couche_event_parse(msg, &ev);
	cs_kernel_parse_extents(msg, 64, heat, tier, flags);
out:
	nlmsg_free(msg);
	return 0;
}
