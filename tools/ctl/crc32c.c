// SPDX-License-Identifier: GPL-2.0
/*
 * crc32c (Castagnoli), reflected, one table lookup per byte.  The map of a
 * large volume is a few hundred MiB at most, read once: this is fast
 * enough, and simple enough to trust.
 */
#include <stdbool.h>

#include "crc32c.h"

#define CRC32C_POLY	0x82f63b78u	/* 0x1edc6f41, bit-reversed */

static uint32_t crc32c_table[256];
static bool crc32c_ready;

static void crc32c_init(void)
{
	uint32_t i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c >> 1) ^ ((c & 1) ? CRC32C_POLY : 0);
		crc32c_table[i] = c;
	}
	crc32c_ready = true;
}

uint32_t crc32c_calc(uint32_t crc, const void *p, size_t len)
{
	const uint8_t *b = p;

	if (!crc32c_ready)
		crc32c_init();
	while (len--)
		crc = crc32c_table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return crc;
}
