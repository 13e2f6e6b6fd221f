// SPDX-License-Identifier: GPL-2.0
/* couchestord: base64 decoding (RFC 4648 section 4, padded). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

static int value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

char *cs_base64_decode(const char *in, size_t *len)
{
	size_t n = strlen(in), o = 0, q = 0, pad = 0;
	uint32_t acc = 0;
	char *out = malloc(n / 4 * 3 + 4);
	int v;

	if (!out)
		return NULL;
	for (; *in; in++) {
		if (*in == ' ' || *in == '\n' || *in == '\r' || *in == '\t')
			continue;
		if (*in == '=') {
			pad++;
			v = 0;
		} else {
			v = value(*in);
			if (v < 0 || pad)
				goto bad;	/* data after padding */
		}
		acc = acc << 6 | (uint32_t)v;
		if (++q == 4) {
			if (pad > 2)
				goto bad;
			out[o++] = acc >> 16;
			if (pad < 2)
				out[o++] = acc >> 8;
			if (pad < 1)
				out[o++] = acc;
			q = 0;
			acc = 0;
		}
	}
	if (q)
		goto bad;
	out[o] = '\0';
	*len = o;
	return out;
bad:
	free(out);
	return NULL;
}
