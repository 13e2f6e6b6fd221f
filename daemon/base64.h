/* SPDX-License-Identifier: GPL-2.0 */
/* couchestord: base64 (RFC 4648, padded), for kubeconfig's *-data keys. */
#ifndef COUCHESTORD_BASE64_H
#define COUCHESTORD_BASE64_H

#include <stddef.h>

/*
 * Decodes @in (whitespace ignored) into a malloc'ed buffer, NUL-terminated
 * past *@len.  NULL for a character outside the alphabet, bad padding or
 * no memory.
 */
char *cs_base64_decode(const char *in, size_t *len);

#endif /* COUCHESTORD_BASE64_H */
