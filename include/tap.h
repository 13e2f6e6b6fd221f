/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unit tests' TAP output: T(cond, fmt, ...) prints "ok N - ..." or
 * "not ok N - ..."; tap_done() prints the plan and gives the exit status.
 * Each test program includes it once.
 */
#ifndef COUCHESTOR_TAP_H
#define COUCHESTOR_TAP_H

#include <stdbool.h>
#include <stdio.h>

static int tap_failed, tap_n;

/* Evaluates cond once: some conditions have side effects. */
#define T(cond, ...) do {						\
	bool pass_ = (cond);						\
	tap_n++;							\
	printf("%s %d - ", pass_ ? "ok" : "not ok", tap_n);		\
	printf(__VA_ARGS__);						\
	putchar('\n');							\
	if (!pass_)							\
		tap_failed++;						\
} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif /* COUCHESTOR_TAP_H */
