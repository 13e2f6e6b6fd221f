/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crc32c (Castagnoli), the same function as the kernel's crc32c().
 */
#ifndef COUCHESTORCTL_CRC32C_H
#define COUCHESTORCTL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/*
 * Like the kernel's crc32c(crc, p, len): @crc is both the seed and the
 * running value, with no inversion on the way in or out.  The standard
 * CRC-32C (check value 0xe3069283 for "123456789") is therefore
 * ~crc32c_calc(~0u, p, len), which is also how kernel/format.c checksums
 * a metadata block.
 */
uint32_t crc32c_calc(uint32_t crc, const void *p, size_t len);

#endif /* COUCHESTORCTL_CRC32C_H */
