// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the Prometheus reply decoder.  The first byte picks
 * the HTTP status (200 or another), the rest is the body.
 */
#include <stdlib.h>
#include <string.h>

#include "promclient.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long codes[] = { 200, 200, 200, 400, 422, 500, 503, 302 };
	struct cs_prom_result res;
	char err[256], *body;
	size_t i;

	if (!size)
		return 0;
	body = malloc(size);
	if (!body)
		return 0;
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';
	if (!cs_prom_parse_reply(body, codes[data[0] % 8], &res, "http://fuzz", err,
				 sizeof(err))) {
		for (i = 0; i < res.nsamples; i++)
			cs_prom_label(&res.samples[i], "volume");
		cs_prom_result_free(&res);
	}
	free(body);
	return 0;
}
