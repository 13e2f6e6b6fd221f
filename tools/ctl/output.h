/* SPDX-License-Identifier: GPL-2.0 */
/* couchestorctl: human output helpers (unit-tested). */
#ifndef COUCHESTORCTL_OUTPUT_H
#define COUCHESTORCTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json_object;

/* "512 B", "1.5 KiB", "4.0 MiB", "1.2 TiB" */
const char *ctl_fmt_size(char *buf, size_t len, uint64_t bytes);
/* Heat score as accesses: "12.50" */
const char *ctl_fmt_heat(char *buf, size_t len, uint32_t heat);
/* "[#####.....]  50% 5/10" in @width columns for the bar */
const char *ctl_fmt_bar(char *buf, size_t len, uint64_t done, uint64_t total, int width);

/* An aligned table: add cells row by row, then print. */
struct ctl_table {
	int cols;
	int rows;
	char **cells;		/* rows * cols, owned */
	int *right;		/* per column: right-aligned (numbers) */
};

int ctl_table_init(struct ctl_table *t, int cols, const char *const *head,
		   const bool *right);
int ctl_table_add(struct ctl_table *t, const char *const *cells);
void ctl_table_print(struct ctl_table *t, FILE *f, const char *indent);
void ctl_table_free(struct ctl_table *t);

/* Progress on a terminal: redrawn in place on stderr, nothing otherwise. */
void ctl_progress(const char *what, uint64_t done, uint64_t total);
void ctl_progress_end(void);

void ctl_json_print(struct json_object *o);

#endif /* COUCHESTORCTL_OUTPUT_H */
