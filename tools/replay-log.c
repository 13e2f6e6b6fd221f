// SPDX-License-Identifier: GPL-2.0
/*
 * replay-log: replays a dm-log-writes log onto a device, for crash tests.
 *
 *   replay-log list LOG            one line per flush/FUA/mark entry:
 *                                  "<index> <flags> [mark]"
 *   replay-log apply LOG DEV A B   writes entries A..B-1 to DEV
 *
 * The log holds writes in the order they became durable, so replaying a
 * prefix that ends at a flush gives the device as a power cut would have
 * left it.  Format: drivers/md/dm-log-writes.c.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <unistd.h>

#define LOG_FLUSH_FLAG		(1 << 0)
#define LOG_FUA_FLAG		(1 << 1)
#define LOG_DISCARD_FLAG	(1 << 2)
#define LOG_MARK_FLAG		(1 << 3)
#define WRITE_LOG_MAGIC		0x6a736677736872ULL

struct log_super {
	uint64_t magic, version, nr_entries;
	uint32_t sectorsize;
} __attribute__((packed));

struct log_entry {
	uint64_t sector, nr_sectors, flags, data_len;
} __attribute__((packed));

static int log_fd = -1;
static uint32_t secsize;
static uint64_t nr_entries;

static void die(const char *what)
{
	fprintf(stderr, "replay-log: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void open_log(const char *path)
{
	struct log_super s;

	log_fd = open(path, O_RDONLY);
	if (log_fd < 0)
		die(path);
	/* The log is written below the page cache: drop what it holds. */
	ioctl(log_fd, BLKFLSBUF, 0);
	if (pread(log_fd, &s, sizeof(s), 0) != sizeof(s))
		die("read log super");
	if (le64toh(s.magic) != WRITE_LOG_MAGIC) {
		fprintf(stderr, "replay-log: %s is not a dm-log-writes log\n", path);
		exit(2);
	}
	secsize = le32toh(s.sectorsize);
	nr_entries = le64toh(s.nr_entries);
	if (secsize < 512 || secsize > 65536) {
		fprintf(stderr, "replay-log: bad sector size %u\n", secsize);
		exit(2);
	}
}

/* Reads entry header at *pos; advances *pos past the entry and its data. */
static void read_entry(uint64_t *pos, struct log_entry *e, char *mark, size_t marklen)
{
	char buf[65536];

	if (pread(log_fd, buf, secsize, *pos) != (ssize_t)secsize)
		die("read log entry");
	memcpy(e, buf, sizeof(*e));
	e->sector = le64toh(e->sector);
	e->nr_sectors = le64toh(e->nr_sectors);
	e->flags = le64toh(e->flags);
	e->data_len = le64toh(e->data_len);
	if (mark) {
		size_t n = e->data_len < marklen - 1 ? e->data_len : marklen - 1;

		memcpy(mark, buf + sizeof(*e), (e->flags & LOG_MARK_FLAG) ? n : 0);
		mark[(e->flags & LOG_MARK_FLAG) ? n : 0] = '\0';
	}
	*pos += secsize;
	if (!(e->flags & LOG_DISCARD_FLAG))
		*pos += e->nr_sectors * secsize;
}

static int list(void)
{
	uint64_t pos = secsize, i;
	struct log_entry e;
	char mark[256];

	for (i = 0; i < nr_entries; i++) {
		read_entry(&pos, &e, mark, sizeof(mark));
		if (e.flags & (LOG_FLUSH_FLAG | LOG_FUA_FLAG | LOG_MARK_FLAG))
			printf("%" PRIu64 " %" PRIu64 "%s%s\n", i, e.flags,
			       mark[0] ? " " : "", mark);
	}
	return 0;
}

static int apply(const char *dev, uint64_t from, uint64_t to)
{
	static char zero[1 << 20];
	uint64_t pos = secsize, i, data, left, n;
	struct log_entry e;
	char *buf;
	int fd;

	fd = open(dev, O_WRONLY);
	if (fd < 0)
		die(dev);
	if (to > nr_entries)
		to = nr_entries;
	for (i = 0; i < to; i++) {
		data = pos + secsize;
		read_entry(&pos, &e, NULL, 0);
		if (i < from || !e.nr_sectors)
			continue;
		left = e.nr_sectors * secsize;
		if (e.flags & LOG_DISCARD_FLAG) {
			/* Discarded data is gone: replay it as zeros. */
			for (uint64_t off = 0; off < left; off += n) {
				n = left - off < sizeof(zero) ? left - off : sizeof(zero);
				if (pwrite(fd, zero, n, e.sector * secsize + off) != (ssize_t)n)
					die("write discard");
			}
			continue;
		}
		buf = malloc(left);
		if (!buf)
			die("malloc");
		if (pread(log_fd, buf, left, data) != (ssize_t)left)
			die("read log data");
		if (pwrite(fd, buf, left, e.sector * secsize) != (ssize_t)left)
			die("write replay");
		free(buf);
	}
	if (fsync(fd))
		die("fsync");
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "list")) {
		open_log(argv[2]);
		return list();
	}
	if (argc == 6 && !strcmp(argv[1], "apply")) {
		open_log(argv[2]);
		return apply(argv[3], strtoull(argv[4], NULL, 10),
			     strtoull(argv[5], NULL, 10));
	}
	fprintf(stderr, "usage: replay-log list LOG | apply LOG DEV FROM TO\n");
	return 2;
}
