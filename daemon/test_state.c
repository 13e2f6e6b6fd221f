// SPDX-License-Identifier: GPL-2.0
/* Unit tests of couchestord's move history on disk (state.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"
#include "tap.h"

static char dir[64], err[600];

static void put(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

int main(void)
{
	uint32_t lm[10] = { 0 }, back[10] = { 0 }, mine[10] = { 0 };
	const uint32_t now = 1800000000;
	char path[128];
	int r;

	snprintf(dir, sizeof(dir), "/tmp/test_state.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	T(cs_state_load(dir, "u1", back, 10, now, err, sizeof(err)) == 0,
	  "no file yet: nothing loaded, no error");

	lm[2] = now - 100;	/* within the cooldown */
	lm[5] = now - 7200;	/* older than it: dropped */
	lm[9] = now - 10;
	T(!cs_state_save(dir, "u1", lm, 10, now - 3600, err, sizeof(err)), "saved: %s", err);
	r = cs_state_load(dir, "u1", back, 10, now, err, sizeof(err));
	T(r == 2 && back[2] == now - 100 && back[9] == now - 10 && !back[5],
	  "loaded the 2 moves within the cooldown (%d), not the older one", r);
	snprintf(path, sizeof(path), "%s/u1.moves.tmp", dir);
	T(access(path, F_OK), "no temporary file left behind");

	/* A smaller volume now, a later time in memory, a future time on disk. */
	mine[2] = now - 50;
	put("u2.moves", "couchestord-moves 1 20\n2 1799999000\n15 1799999900\n3 1900000000\n");
	r = cs_state_load(dir, "u2", mine, 10, now, err, sizeof(err));
	T(r == 1 && mine[2] == now - 50 && !mine[3],
	  "extents past the volume and times in the future are dropped, newer memory kept (%d)", r);

	memset(mine, 0, sizeof(mine));
	put("u3.moves", "couchestord-moves 1 10\n2 1799999000\n4 garbage\n");
	r = cs_state_load(dir, "u3", mine, 10, now, err, sizeof(err));
	T(r < 0 && strstr(err, "u3.moves:3: not a couchestord move history") && !mine[2],
	  "a damaged file is refused whole, with file and line: %s", err);
	memset(mine, 0, sizeof(mine));
	put("u6.moves", "couchestord-moves 1 10\n2 99999999999999999999\n");
	T(cs_state_load(dir, "u6", mine, 10, now, err, sizeof(err)) < 0 && !mine[2],
	  "a number past 32 bits is refused");
	put("u7.moves", "couchestord-moves 1 10\n2 1799999000\n2 1799999100\n");
	r = cs_state_load(dir, "u7", mine, 10, now, err, sizeof(err));
	T(r == 1 && mine[2] == 1799999100, "a repeated extent counts once, the last line wins (%d)", r);
	put("u4.moves", "some other file\n");
	r = cs_state_load(dir, "u4", mine, 10, now, err, sizeof(err));
	T(r < 0 && strstr(err, ":1: not a couchestord move history"), "so is a foreign one");
	T(cs_state_save("/nonexistent/dir", "u5", lm, 10, 0, err, sizeof(err)) < 0 &&
	  strstr(err, "/nonexistent/dir/u5.moves.tmp"), "an unwritable directory is an error: %s",
	  err);

	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path))
		return 1;
	return tap_done();
}
