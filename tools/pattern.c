// SPDX-License-Identifier: GPL-2.0
/*
 * pattern: writes and checks self-describing 4 KiB blocks, for tests.
 *
 *   pattern write DEV FIRST COUNT TAG    blocks FIRST.. tagged TAG (1..2^32-1)
 *   pattern write-dsync ...              the same with O_DIRECT|O_DSYNC (FUA)
 *   pattern write-direct ...             the same with O_DIRECT, 1 MiB a write
 *   pattern verify DEV FIRST COUNT TAG   exit 1 at the first block that differs
 *   pattern scan DEV FIRST COUNT         "<block> <tag>" per block; tag 0 is
 *                                        all zeros, -1 is anything else
 *
 * A block holds its own number and tag and a stream derived from both, so
 * a block that lands at the wrong place or mixes two writes is caught.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BS 4096
#define MAGIC 0x43504154u	/* "CPAT" */

static void fill(uint32_t *b, uint64_t block, uint32_t tag)
{
	uint64_t x = block * 0x9e3779b97f4a7c15ull ^ tag;
	unsigned int i;

	b[0] = MAGIC;
	b[1] = (uint32_t)block;
	b[2] = (uint32_t)(block >> 32);
	b[3] = tag;
	for (i = 4; i < BS / 4; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = (uint32_t)x;
	}
}

static int64_t identify(const uint32_t *b, uint64_t block)
{
	static uint32_t want[BS / 4];
	unsigned int i;

	for (i = 0; i < BS / 4 && !b[i]; i++)
		;
	if (i == BS / 4)
		return 0;
	if (b[0] != MAGIC || b[3] == 0)
		return -1;
	fill(want, block, b[3]);
	return memcmp(b, want, BS) ? -1 : (int64_t)b[3];
}

#define CHUNK 256	/* blocks a read or write: 1 MiB */

static int open_mode(const char *mode)
{
	if (!strcmp(mode, "write-dsync"))
		return O_WRONLY | O_CREAT | O_DIRECT | O_DSYNC;
	if (!strcmp(mode, "write-direct"))
		return O_WRONLY | O_CREAT | O_DIRECT;
	return strncmp(mode, "write", 5) ? O_RDONLY : O_WRONLY | O_CREAT;
}

int main(int argc, char **argv)
{
	static uint32_t buf[CHUNK][BS / 4] __attribute__((aligned(BS)));
	uint64_t first, count, i, j, n;
	uint32_t tag = 0;
	int fd, write_mode, chunk;

	if (argc < 5) {
		fprintf(stderr, "usage: pattern write|write-dsync|write-direct|verify DEV FIRST COUNT TAG | scan DEV FIRST COUNT\n");
		return 2;
	}
	write_mode = !strncmp(argv[1], "write", 5);
	first = strtoull(argv[3], NULL, 10);
	count = strtoull(argv[4], NULL, 10);
	if (strcmp(argv[1], "scan")) {
		if (argc < 6)
			return 2;
		tag = strtoul(argv[5], NULL, 10);
	}
	fd = open(argv[2], open_mode(argv[1]), 0644);
	if (fd < 0) {
		fprintf(stderr, "pattern: %s: %s\n", argv[2], strerror(errno));
		return 2;
	}
	/* write-dsync keeps one FUA write per block; the rest go a MiB at a time. */
	chunk = !strcmp(argv[1], "write-dsync") ? 1 : CHUNK;
	for (i = first; i < first + count; i += n) {
		off_t off = (off_t)i * BS;

		n = first + count - i < (uint64_t)chunk ? first + count - i : (uint64_t)chunk;
		if (write_mode) {
			for (j = 0; j < n; j++)
				fill(buf[j], i + j, tag);
			if (pwrite(fd, buf, n * BS, off) != (ssize_t)(n * BS)) {
				fprintf(stderr, "pattern: write blocks %" PRIu64 "-%" PRIu64 ": %s\n",
					i, i + n - 1, strerror(errno));
				return 1;
			}
			continue;
		}
		if (pread(fd, buf, n * BS, off) != (ssize_t)(n * BS)) {
			fprintf(stderr, "pattern: read blocks %" PRIu64 "-%" PRIu64 ": %s\n",
				i, i + n - 1, strerror(errno));
			return 1;
		}
		for (j = 0; j < n; j++) {
			int64_t got = identify(buf[j], i + j);

			if (!strcmp(argv[1], "scan")) {
				printf("%" PRIu64 " %" PRId64 "\n", i + j, got);
			} else if (got != (int64_t)tag) {
				fprintf(stderr, "pattern: block %" PRIu64 " is not tag %u (found %" PRId64 ")\n",
					i + j, tag, got);
				return 1;
			}
		}
	}
	if (write_mode && fsync(fd)) {
		fprintf(stderr, "pattern: fsync: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
