// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: couchestord's config loader (config.yaml) over any bytes. */
#include <stddef.h>
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cs_config c;
	char err[512];

	cs_config_defaults(&c);
	cs_config_load_text("fuzz.yaml", (const char *)data, size, &c, err, sizeof(err));
	return 0;
}
