/* SPDX-License-Identifier: GPL-2.0 */
/*
 * couchestord: durations as the install guide writes them ("30s", "5m",
 * "1h", "24h", "1h30m").  Parsed to milliseconds so one parser serves both
 * second-grained settings and millisecond timeouts.
 */
#ifndef COUCHESTORD_DURATION_H
#define COUCHESTORD_DURATION_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses @s into *@ms.  Accepted: one or more <digits><unit> terms with
 * units ms, s, m, h, d, largest first and each at most once ("1h30m"), or
 * plain digits meaning seconds ("90").  No sign, no fraction, no spaces.
 * Returns 0, or -EINVAL (junk, a sign, a unit out of order) or -ERANGE (does
 * not fit in 64 bits of milliseconds) with *@why, if not NULL, set to a
 * short reason such as "negative durations are not allowed".
 */
int cs_duration_parse(const char *s, uint64_t *ms, const char **why);

/*
 * Writes @ms in the same notation, largest units first, zero terms left
 * out ("1h30m", "1500ms" prints as "1s500ms", 0 as "0s").  Returns @buf.
 */
char *cs_duration_format(uint64_t ms, char *buf, size_t len);

#endif /* COUCHESTORD_DURATION_H */
