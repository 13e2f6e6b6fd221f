// SPDX-License-Identifier: GPL-2.0
/* couchestord: the move history on disk (state.h). */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"

#define CS_STATE_MAGIC "couchestord-moves 1"

static void path_of(char *p, size_t len, const char *dir, const char *uuid, const char *ext)
{
	snprintf(p, len, "%s/%s.moves%s", dir, uuid, ext);
}

int cs_state_save(const char *dir, const char *uuid, const uint32_t *last_move,
		  uint32_t nr, uint32_t since, char *err, size_t errlen)
{
	char path[512], tmp[520];
	uint32_t i;
	FILE *f;
	int fd, r = 0;

	path_of(path, sizeof(path), dir, uuid, "");
	path_of(tmp, sizeof(tmp), dir, uuid, ".tmp");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		r = -errno;
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		snprintf(err, errlen, "%s: %s", tmp, strerror(-r));
		return r;
	}
	fprintf(f, "%s %u\n", CS_STATE_MAGIC, nr);
	for (i = 0; i < nr; i++)
		if (last_move[i] > since)
			fprintf(f, "%u %u\n", i, last_move[i]);
	/* The new history is complete on disk before it replaces the old. */
	if (ferror(f) || fflush(f) || fsync(fileno(f)))
		r = errno ? -errno : -EIO;
	if (fclose(f) && !r)
		r = -errno;
	if (!r && rename(tmp, path))
		r = -errno;
	if (r) {
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		unlink(tmp);
		return r;
	}
	/* And the rename itself, so a power cut does not bring the old one back. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

/* A decimal that fits in 32 bits, then @end: strtoul without its traps. */
static bool parse_u32(const char *s, char **end, uint32_t *v)
{
	unsigned long long x;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	x = strtoull(s, end, 10);
	if (errno || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

int cs_state_load(const char *dir, const char *uuid, uint32_t *last_move, uint32_t nr,
		  uint32_t now, char *err, size_t errlen)
{
	uint32_t ext, when, file_nr, *got = NULL;
	char path[512], line[128], *p;
	int n = 0, lineno = 1;
	FILE *f;

	path_of(path, sizeof(path), dir, uuid, "");
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (!fgets(line, sizeof(line), f) || strncmp(line, CS_STATE_MAGIC " ", 20) ||
	    !parse_u32(line + 20, &p, &file_nr) || *p != '\n')
		goto bad;
	got = calloc(nr ? nr : 1, sizeof(*got));
	if (!got) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!parse_u32(line, &p, &ext) || *p != ' ' || !parse_u32(p + 1, &p, &when) ||
		    *p != '\n')
			goto bad;
		if (ext < nr && when <= now) {
			n += !got[ext];
			got[ext] = when;
		}
	}
	if (ferror(f))
		goto bad;
	fclose(f);
	for (ext = 0; ext < nr; ext++)
		if (got[ext] > last_move[ext])
			last_move[ext] = got[ext];
	free(got);
	return n;
bad:
	fclose(f);
	free(got);
	snprintf(err, errlen, "%s:%d: not a couchestord move history", path, lineno);
	return -EINVAL;
}

int cs_state_save_force(const char *dir, const char *uuid, const char *tier, int held,
			char *err, size_t errlen)
{
	char path[600], tmp[610];
	FILE *f;

	if (!dir[0] || !uuid[0])
		return 0;
	snprintf(path, sizeof(path), "%s/%s.force", dir, uuid);
	if (!tier[0]) {
		if (unlink(path) && errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -errno;
		}
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -errno;
	}
	fprintf(f, "%s %s\n", tier, held ? "held" : "pinned");
	if (fflush(f) || fsync(fileno(f)) || fclose(f) || rename(tmp, path)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

int cs_state_load_force(const char *dir, const char *uuid, char *tier, size_t len, int *held)
{
	char path[600], t[64], how[16];
	FILE *f;
	int n;

	tier[0] = '\0';
	*held = 0;
	if (!dir[0] || !uuid[0])
		return 0;
	snprintf(path, sizeof(path), "%s/%s.force", dir, uuid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fscanf(f, "%63s %15s", t, how);
	fclose(f);
	if (n != 2)
		return -EINVAL;
	snprintf(tier, len, "%s", t);
	*held = !strcmp(how, "held");
	return 0;
}
