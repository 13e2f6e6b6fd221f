// SPDX-License-Identifier: GPL-2.0
/*
 * couchestorctl output: sizes in binary units, aligned tables, progress
 * bars, and JSON through json-c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <linux/dm-couche.h>

#include "output.h"

const char *ctl_fmt_size(char *buf, size_t len, uint64_t bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	int u = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	/* 1023.95 would print as 1024.0 KiB: go up a unit instead. */
	if (v >= 1023.95 && u < 6) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

const char *ctl_fmt_heat(char *buf, size_t len, uint32_t heat)
{
	snprintf(buf, len, "%u.%02u", heat / COUCHE_HEAT_SCALE,
		 (heat % COUCHE_HEAT_SCALE) * 100 / COUCHE_HEAT_SCALE);
	return buf;
}

const char *ctl_fmt_bar(char *buf, size_t len, uint64_t done, uint64_t total, int width)
{
	int fill, pct, i, n = 0;

	if (done > total)
		done = total;
	pct = total ? (int)(done * 100 / total) : 100;
	fill = total ? (int)(done * width / total) : width;
	if (len < (size_t)width + 3)
		return "";
	buf[n++] = '[';
	for (i = 0; i < width; i++)
		buf[n++] = i < fill ? '#' : '.';
	buf[n++] = ']';
	snprintf(buf + n, len - n, " %3d%% %llu/%llu", pct, (unsigned long long)done,
		 (unsigned long long)total);
	return buf;
}

int ctl_table_init(struct ctl_table *t, int cols, const char *const *head,
		   const bool *right)
{
	int i;

	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->right = calloc(cols, sizeof(*t->right));
	if (!t->right)
		return -ENOMEM;
	for (i = 0; i < cols; i++)
		t->right[i] = right && right[i];
	return head ? ctl_table_add(t, head) : 0;
}

int ctl_table_add(struct ctl_table *t, const char *const *cells)
{
	char **c = realloc(t->cells, sizeof(*c) * (size_t)(t->rows + 1) * t->cols);
	int i;

	if (!c)
		return -ENOMEM;
	t->cells = c;
	for (i = 0; i < t->cols; i++) {
		c[t->rows * t->cols + i] = strdup(cells[i] ? cells[i] : "");
		if (!c[t->rows * t->cols + i]) {
			while (i--)
				free(c[t->rows * t->cols + i]);
			return -ENOMEM;
		}
	}
	t->rows++;
	return 0;
}

void ctl_table_print(struct ctl_table *t, FILE *f, const char *indent)
{
	int *w = calloc(t->cols, sizeof(*w));
	int r, i, n;

	if (!w)
		return;
	for (r = 0; r < t->rows; r++)
		for (i = 0; i < t->cols; i++) {
			n = strlen(t->cells[r * t->cols + i]);
			if (n > w[i])
				w[i] = n;
		}
	for (r = 0; r < t->rows; r++) {
		fputs(indent ? indent : "", f);
		for (i = 0; i < t->cols; i++) {
			const char *s = t->cells[r * t->cols + i];
			bool last = i == t->cols - 1;

			if (t->right[i])
				fprintf(f, "%*s", w[i], s);
			else if (last)
				fputs(s, f);
			else
				fprintf(f, "%-*s", w[i], s);
			if (!last)
				fputs("  ", f);
		}
		fputc('\n', f);
	}
	free(w);
}

void ctl_table_free(struct ctl_table *t)
{
	int i;

	for (i = 0; i < t->rows * t->cols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->right);
	memset(t, 0, sizeof(*t));
}

static bool progress_shown;

void ctl_progress(const char *what, uint64_t done, uint64_t total)
{
	char bar[96];

	if (!isatty(STDERR_FILENO))
		return;
	fprintf(stderr, "\r%s %s ", what, ctl_fmt_bar(bar, sizeof(bar), done, total, 30));
	fflush(stderr);
	progress_shown = true;
}

void ctl_progress_end(void)
{
	if (progress_shown)
		fputc('\n', stderr);
	progress_shown = false;
}

void ctl_json_print(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					     JSON_C_TO_STRING_NOSLASHESCAPE));
}
