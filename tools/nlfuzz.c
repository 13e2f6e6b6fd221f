// SPDX-License-Identifier: GPL-2.0
/*
 * nlfuzz: throws malformed and odd requests at the "couche" generic-netlink
 * family and checks that each one is answered (an ACK or an error) and
 * none is left hanging.  Without CAP_SYS_ADMIN it also checks that no
 * command that changes a volume is accepted.  It is meant to run against
 * the real module in the test VM: selftests/82-netlink-fuzz.sh runs it and
 * checks the data, slab growth and the kernel log afterwards.
 *
 *   nlfuzz [-q] [-n ROUNDS] [-s SEED] [-d DEVNAME] [-u UID]
 *
 *   -n ROUNDS  requests to send (default 1000)
 *   -s SEED    replay a run (the seed is printed first; default: the time)
 *   -d DEVNAME the volume that valid names point at (default vol0)
 *   -u UID     drop to this uid and gid first (busybox setpriv cannot)
 *   -q         only the seed and the summary, no line per round
 *
 * Each round picks a command number (mostly the family's own, sometimes
 * anything from 0 to 20), with or without NLM_F_DUMP, then a base (a
 * well-formed request for that command, or a loose one with a random
 * volume identity), a few body mutations from body_mutations[], sometimes
 * a broken tail (tail_mutations[]) and sometimes a broken header
 * (hdr_mutations[]).  The random stream depends only on the seed and what
 * the first GET_DEVICE learns about the volume, so a seed replays a run.
 *
 * Valid changing requests do go through (the VM volume is a throwaway), but
 * the well-formed ones use small extent ranges and knob values that keep
 * the volume usable.
 *
 * Exit status: 0 when every request that must be answered was, the socket
 * never failed and, without CAP_SYS_ADMIN, no changing command was
 * accepted; 1 otherwise, or when the family is not registered; 2 for a bad
 * command line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include <uapi/linux/dm-couche.h>

#define MSG_SIZE		32768	/* well below the send buffer open_family() sets */
#define REPLY_TIMEOUT_MS	5000	/* a do is answered at once, a dump page by page */
#define SILENT_WAIT_MS		50	/* for requests the kernel drops without a word */
#define REQUEST_DEADLINE_MS	60000	/* one whole answer, dumps included */
#define MAX_REPLY_MSGS		100000	/* a dump longer than this is runaway */
#define MAX_NEST_DEPTH		100
#define LONG_STRING		4000
#define CMD_NUMBERS		21	/* 0..20: every command and some no op has */
#define GIVE_UP_TIMEOUTS	5	/* the family is wedged: no point waiting 5 s more */
#define GIVE_UP_SOCKFAIL	20
#define CAP_SYS_ADMIN_BIT	21
#define MAX_ERRNO		4095

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(a) ((a)[rnd(ARRAY_SIZE(a))])

static struct nl_sock *sk;
static int family;
static const char *devname = "vol0";
static bool quiet;

/* What the first GET_DEVICE told us, so values land on the volume's edges. */
static struct {
	bool found;
	uint32_t major, minor, nr_extents;
	unsigned int nr_tiers;
	char tier[COUCHE_MAX_TIERS][COUCHE_TIER_NAME_LEN];
} dev;

static struct {
	unsigned long acked, errors, timeouts, silent, answered_silent;
	unsigned long data, intr, stale, sockfail, unpriv_accepted;
	unsigned long err[MAX_ERRNO + 1];
} st;

/* ---- randomness: splitmix64, so a seed replays the same run anywhere ---- */

static uint64_t rng;

static uint64_t rnd64(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rnd(uint64_t n)
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

static bool chance(unsigned int pct)
{
	return rnd(100) < pct;
}

static void rnd_fill(void *p, size_t n)
{
	unsigned char *b = p;

	while (n--)
		*b++ = (unsigned char)rnd64();
}

static void rnd_text(char *p, size_t n)	/* printable, no NUL */
{
	while (n--)
		*p++ = (char)('a' + rnd(26));
}

/* ---- one request ---- */

struct round {
	struct nl_msg *msg;
	uint8_t cmd;
	bool dump;
	bool expect_reply;	/* false: the kernel drops it, or no ACK was asked */
	bool dispatched;	/* reaches the family's op (if its attributes pass) */
	char desc[512];		/* the mutations applied, for the per-round line */
};

static void note(struct round *r, const char *what)
{
	size_t n = strlen(r->desc);

	snprintf(r->desc + n, sizeof(r->desc) - n, "%s%s", n ? " " : "", what);
}

/* Attribute types by what a request of the family would carry in them. */
static const int u32_attrs[] = {
	COUCHE_DEV_A_MAJOR, COUCHE_DEV_A_MINOR, COUCHE_DEV_A_FIRST,
	COUCHE_DEV_A_LAST, COUCHE_DEV_A_TOP, COUCHE_DEV_A_BOTTOM,
	COUCHE_DEV_A_NR_EXTENTS, COUCHE_DEV_A_FLAGS, COUCHE_DEV_A_ERROR,
};
static const int u8_attrs[] = {
	COUCHE_DEV_A_TIER_INDEX, COUCHE_DEV_A_FILTER_TIER,
	COUCHE_DEV_A_SCRUB_RUNNING, COUCHE_DEV_A_EVENT, COUCHE_DEV_A_MEMBER,
};
static const int u64_attrs[] = {
	COUCHE_DEV_A_LEN_SECTORS, COUCHE_DEV_A_EXTENT_SECTORS,
	COUCHE_DEV_A_QUEUED, COUCHE_DEV_A_DONE, COUCHE_DEV_A_TOTAL,
};
static const int str_attrs[] = {
	COUCHE_DEV_A_NAME, COUCHE_DEV_A_UUID, COUCHE_DEV_A_TIER_NAME,
};
static const int nest_attrs[] = {
	COUCHE_DEV_A_PARAMS, COUCHE_DEV_A_TIERS, COUCHE_DEV_A_TIER,
};

/* Extent numbers and counts at the edges: 0, the last extent, past it, huge. */
static uint32_t interesting_u32(void)
{
	uint32_t nr = dev.nr_extents;

	switch (rnd(12)) {
	case 0:	return 0;
	case 1:	return 1;
	case 2:	return nr ? nr - 1 : 2;
	case 3:	return nr;
	case 4:	return nr + 1;
	case 5:	return 0x7fffffff;
	case 6:	return 0x80000000;
	case 7:	return 0xfffffffe;
	case 8:	return 0xffffffff;
	case 9:	return 1u << rnd(32);
	default: return rnd(nr ? nr : 512);	/* an extent that exists */
	}
}

/* Tier indexes: real ones, one past the last, the array size, "none". */
static uint8_t interesting_u8(void)
{
	static const uint8_t v[] = { 0, 1, 2, COUCHE_MAX_TIERS - 1, COUCHE_MAX_TIERS,
				     COUCHE_TIER_NONE, 0x80 };

	if (chance(30))
		return (uint8_t)(dev.nr_tiers ? dev.nr_tiers : 3);
	return chance(80) ? PICK(v) : (uint8_t)rnd(256);
}

static const char *tier_name(void)
{
	static const char *const fallback[] = { "hot", "warm", "cold" };

	return dev.nr_tiers ? dev.tier[rnd(dev.nr_tiers)] : PICK(fallback);
}

static void put_params_valid(struct nl_msg *m);

/* libnl 3.7 sets NLA_F_NESTED on every nest (older ones never): say which. */
static struct nlattr *nest_start(struct nl_msg *m, int type, bool nested_flag)
{
	struct nlattr *n = nla_nest_start(m, nested_flag ? type | NLA_F_NESTED : type);

	if (n && !nested_flag)
		n->nla_type &= ~NLA_F_NESTED;
	return n;
}

/* ---- the volume a request names ---- */

static void put_valid_identity(struct round *r)
{
	if (dev.found && chance(20)) {
		nla_put_u32(r->msg, COUCHE_DEV_A_MAJOR, dev.major);
		nla_put_u32(r->msg, COUCHE_DEV_A_MINOR, dev.minor);
		note(r, "by-number");
	} else {
		nla_put_string(r->msg, COUCHE_DEV_A_NAME, devname);
	}
}

/* Half the time the real volume, so handlers get past the lookup. */
static void put_identity(struct round *r)
{
	char name[COUCHE_DEV_NAME_LEN + 8];

	if (chance(50)) {
		put_valid_identity(r);
		return;
	}
	switch (rnd(6)) {
	case 0:	/* no volume at all */
		note(r, "no-device");
		break;
	case 1:	/* a device number nothing has */
		nla_put_u32(r->msg, COUCHE_DEV_A_MAJOR, chance(50) ? 0 : interesting_u32());
		nla_put_u32(r->msg, COUCHE_DEV_A_MINOR, interesting_u32());
		note(r, "bad-number");
		break;
	case 2:	/* MAJOR without MINOR or the other way round */
		nla_put_u32(r->msg, chance(50) ? COUCHE_DEV_A_MAJOR : COUCHE_DEV_A_MINOR,
			    chance(50) ? dev.major : dev.minor);
		note(r, "half-number");
		break;
	case 3:	/* names that are not there: empty, near the volume's, at DM_NAME_LEN */
		switch (rnd(5)) {
		case 0: strcpy(name, ""); break;
		case 1: strcpy(name, "nosuch"); break;
		case 2: snprintf(name, sizeof(name), "%sx", devname); break;
		case 3: memset(name, 'n', COUCHE_DEV_NAME_LEN - 1);	/* longest valid */
			name[COUCHE_DEV_NAME_LEN - 1] = 0; break;
		default: memset(name, 'n', COUCHE_DEV_NAME_LEN);	/* one too long */
			name[COUCHE_DEV_NAME_LEN] = 0; break;
		}
		nla_put_string(r->msg, COUCHE_DEV_A_NAME, name);
		note(r, "bad-name");
		break;
	case 4:	/* the name and a number that disagree */
		nla_put_string(r->msg, COUCHE_DEV_A_NAME, devname);
		nla_put_u32(r->msg, COUCHE_DEV_A_MAJOR, dev.major + (chance(50) ? 0 : 1));
		nla_put_u32(r->msg, COUCHE_DEV_A_MINOR, dev.minor + 1);
		note(r, "name-number-conflict");
		break;
	default: /* a path, not a dm name */
		snprintf(name, sizeof(name), "/dev/mapper/%s", devname);
		nla_put_string(r->msg, COUCHE_DEV_A_NAME, name);
		note(r, "path-name");
		break;
	}
}

/* ---- well-formed requests: what a correct tool sends ---- */

/* A few extents that exist; now and then the whole volume. */
static void put_small_range(struct round *r, unsigned int whole_pct)
{
	uint32_t nr = dev.nr_extents ? dev.nr_extents : 1;
	uint32_t first = rnd(nr), last = first + rnd(4);

	if (chance(whole_pct)) {
		first = 0;
		last = nr - 1;
	}
	if (last >= nr)
		last = nr - 1;
	nla_put_u32(r->msg, COUCHE_DEV_A_FIRST, first);
	if (last != first || chance(50))
		nla_put_u32(r->msg, COUCHE_DEV_A_LAST, last);
}

static void put_valid_tier(struct round *r)
{
	if (chance(50))
		nla_put_u8(r->msg, COUCHE_DEV_A_TIER_INDEX,
			   (uint8_t)rnd(dev.nr_tiers ? dev.nr_tiers : 3));
	else
		nla_put_string(r->msg, COUCHE_DEV_A_TIER_NAME, tier_name());
}

static void wellformed(struct round *r)
{
	note(r, "well-formed");
	if (r->cmd == COUCHE_CMD_GET_DEVICE && r->dump)
		return;		/* the dump lists every volume */
	put_valid_identity(r);
	switch (r->cmd) {
	case COUCHE_CMD_GET_EXTENTS:
		if (chance(50))
			put_small_range(r, 20);
		if (chance(20))
			put_valid_tier(r);
		if (chance(20))
			nla_put_u32(r->msg, chance(50) ? COUCHE_DEV_A_TOP : COUCHE_DEV_A_BOTTOM,
				    1 + rnd(16));
		break;
	case COUCHE_CMD_MIGRATE:
	case COUCHE_CMD_PIN:
		put_small_range(r, 5);
		put_valid_tier(r);
		break;
	case COUCHE_CMD_UNPIN:
		put_small_range(r, 30);	/* often all: pins do not pile up */
		break;
	case COUCHE_CMD_SET_PARAMS:
		put_params_valid(r->msg);
		break;
	}
}

/* ---- body mutations: attributes with odd values, types and shapes ---- */

/* FIRST/LAST: edges, LAST < FIRST, LAST alone, the whole volume. */
static void mut_range(struct round *r)
{
	uint32_t first = interesting_u32(), last;

	switch (rnd(5)) {
	case 0:	last = first; break;
	case 1:	last = first + rnd(4); break;
	case 2:	last = first - 1 - rnd(3); break;	/* LAST < FIRST (wraps at 0) */
	case 3:	last = interesting_u32(); break;
	default: first = 0; last = dev.nr_extents ? dev.nr_extents - 1 : 0xffffffff; break;
	}
	if (chance(90))
		nla_put_u32(r->msg, COUCHE_DEV_A_FIRST, first);
	if (chance(70))
		nla_put_u32(r->msg, COUCHE_DEV_A_LAST, last);
}

/* TOP/BOTTOM: 0, 0xffffffff, more than the volume has, both at once. */
static void mut_top_bottom(struct round *r)
{
	static const uint32_t v[] = { 0, 1, 0xffffffff, 0x80000000 };
	bool both = chance(20);

	if (both || chance(50))
		nla_put_u32(r->msg, COUCHE_DEV_A_TOP, chance(50) ? PICK(v) : interesting_u32());
	if (both || chance(50))
		nla_put_u32(r->msg, COUCHE_DEV_A_BOTTOM, chance(50) ? PICK(v) : interesting_u32());
}

/* A tier by an index or name that may not exist, or both disagreeing. */
static void mut_tier(struct round *r)
{
	static const char *const names[] = { "", "nosuch", "HOT", "hot ", "0",
					     "fifteen-chars-x", "sixteen-chars-xx" };

	if (chance(60))
		nla_put_u8(r->msg, chance(70) ? COUCHE_DEV_A_TIER_INDEX : COUCHE_DEV_A_FILTER_TIER,
			   interesting_u8());
	if (chance(50))
		nla_put_string(r->msg, COUCHE_DEV_A_TIER_NAME,
			       chance(50) ? tier_name() : PICK(names));
	if (chance(15))		/* the nest type where a tier index belongs */
		nla_put_u8(r->msg, COUCHE_DEV_A_TIER, interesting_u8());
}

/* In range, so the volume stays usable: throttled no lower than 100 MB/s. */
static void put_params_valid(struct nl_msg *m)
{
	static const uint32_t mbps[] = { 0, 100, 1000, COUCHE_MIGRATION_MBPS_MAX };
	struct nlattr *n;

	if (chance(10)) {	/* an empty nest: nothing to set */
		nla_put(m, COUCHE_DEV_A_PARAMS | NLA_F_NESTED, 0, NULL);
		return;
	}
	n = nest_start(m, COUCHE_DEV_A_PARAMS, true);
	if (!n)
		return;
	if (chance(60))
		nla_put_u32(m, COUCHE_PARAM_A_MAX_MIGRATIONS, 1 + rnd(COUCHE_MAX_MIGRATIONS_MAX));
	if (chance(40))
		nla_put_u32(m, COUCHE_PARAM_A_MIGRATION_MBPS, PICK(mbps));
	if (chance(40))
		nla_put_u32(m, COUCHE_PARAM_A_HEAT_HALFLIFE_S, 1 + rnd(COUCHE_HALFLIFE_S_MAX));
	if (chance(20))
		nla_put_u32(m, COUCHE_PARAM_A_CACHE_MB, 0);
	nla_nest_end_keep_empty(m, n);
}

static void mut_params(struct round *r)
{
	put_params_valid(r->msg);
}

/*
 * Knobs out of range, the read-only one, unknown ones and the right ones
 * at the wrong width, sometimes next to a valid one: a refused request
 * must not be half applied.
 */
static void mut_params_bad(struct round *r)
{
	static const uint32_t maxmig[] = { 0, COUCHE_MAX_MIGRATIONS_MAX + 1, 0x80000000, 0xffffffff };
	static const uint32_t mbps[] = { COUCHE_MIGRATION_MBPS_MAX + 1, 0x7fffffff, 0xffffffff };
	static const uint32_t halflife[] = { 0, COUCHE_HALFLIFE_S_MAX + 1, 0xffffffff };
	static const uint32_t cache[] = { 1, 1024, 0xffffffff };
	unsigned char junk[64];
	unsigned int k = 1 + rnd(4);
	uint64_t v64;
	struct nlattr *n;
	int type;

	n = nest_start(r->msg, COUCHE_DEV_A_PARAMS, chance(90));
	if (!n)
		return;
	while (k--) {
		switch (rnd(8)) {
		case 0:
			nla_put_u32(r->msg, COUCHE_PARAM_A_MAX_MIGRATIONS, PICK(maxmig));
			break;
		case 1:
			nla_put_u32(r->msg, COUCHE_PARAM_A_MIGRATION_MBPS, PICK(mbps));
			break;
		case 2:
			nla_put_u32(r->msg, COUCHE_PARAM_A_HEAT_HALFLIFE_S, PICK(halflife));
			break;
		case 3:
			nla_put_u32(r->msg, COUCHE_PARAM_A_CACHE_MB, PICK(cache));
			break;
		case 4:	/* set in the table only */
			nla_put_u32(r->msg, COUCHE_PARAM_A_RESERVE_PCT,
				    chance(80) ? rnd(COUCHE_RESERVE_PCT_MAX + 10) : 0xffffffff);
			break;
		case 5:	/* UNSPEC or past COUCHE_PARAM_A_MAX */
			type = chance(30) ? 0 : COUCHE_PARAM_A_MAX + 1 + (int)rnd(5);
			rnd_fill(junk, sizeof(junk));
			nla_put(r->msg, type, (int)rnd(sizeof(junk) + 1), junk);
			break;
		case 6:	/* a knob at the wrong width, with an in-range value */
			type = COUCHE_PARAM_A_MAX_MIGRATIONS + (int)rnd(3);
			v64 = 4;
			nla_put(r->msg, type, (int)PICK(((const int[]){ 0, 1, 2, 3, 8 })), &v64);
			break;
		default:
			nla_put_u32(r->msg, COUCHE_PARAM_A_MAX_MIGRATIONS, 1 + rnd(COUCHE_MAX_MIGRATIONS_MAX));
			break;
		}
	}
	nla_nest_end_keep_empty(r->msg, n);
}

/* A nest holding junk, a valid attribute then junk, or made-up tier nests. */
static void mut_nest_garbage(struct round *r)
{
	unsigned char buf[96];
	struct nlattr *a = (struct nlattr *)buf;
	struct nlattr *tiers, *tier;
	uint32_t v = 4;
	size_t len;

	switch (rnd(3)) {
	case 0:
		len = rnd(65);
		rnd_fill(buf, len);
		nla_put(r->msg, PICK(nest_attrs) | (chance(70) ? NLA_F_NESTED : 0), (int)len, buf);
		break;
	case 1:	/* PARAMS { MAX_MIGRATIONS=4, <1..63 junk bytes> } */
		a->nla_len = NLA_HDRLEN + sizeof(v);
		a->nla_type = COUCHE_PARAM_A_MAX_MIGRATIONS;
		memcpy(buf + NLA_HDRLEN, &v, sizeof(v));
		len = NLA_HDRLEN + sizeof(v) + 1 + rnd(63);
		rnd_fill(buf + NLA_HDRLEN + sizeof(v), len - NLA_HDRLEN - sizeof(v));
		nla_put(r->msg, COUCHE_DEV_A_PARAMS | NLA_F_NESTED, (int)len, buf);
		break;
	default: /* TIERS { TIER { INDEX, NAME } }, a reply-only shape */
		tiers = nest_start(r->msg, COUCHE_DEV_A_TIERS, true);
		if (!tiers)
			return;
		tier = nest_start(r->msg, COUCHE_DEV_A_TIER, true);
		if (tier) {
			nla_put_u8(r->msg, COUCHE_TIER_A_INDEX, interesting_u8());
			nla_put_string(r->msg, COUCHE_TIER_A_NAME, tier_name());
			nla_put_u32(r->msg, COUCHE_TIER_A_MAX + 1 + rnd(3), interesting_u32());
			nla_nest_end_keep_empty(r->msg, tier);
		}
		nla_nest_end_keep_empty(r->msg, tiers);
		break;
	}
}

/* Nests inside nests, 2 to 100 deep: recursion limits in the parser. */
static void mut_deep_nest(struct round *r)
{
	struct nlattr *nest[MAX_NEST_DEPTH];
	unsigned int depth = 2 + rnd(MAX_NEST_DEPTH - 1), i;
	int type = chance(50) ? COUCHE_DEV_A_PARAMS : PICK(nest_attrs);
	bool mixed = chance(20);	/* else NLA_F_NESTED all the way down */

	for (i = 0; i < depth; i++) {
		nest[i] = nest_start(r->msg, type, !mixed || chance(50));
		if (!nest[i])
			break;
		type = chance(70) ? (int)rnd(COUCHE_TIER_A_MAX + 2) : (int)rnd(COUCHE_DEV_A_MAX + 6);
	}
	nla_put_u32(r->msg, type, interesting_u32());
	while (i--)
		nla_nest_end_keep_empty(r->msg, nest[i]);
}

/* Any type 0..COUCHE_DEV_A_MAX+5 with 0..64 random bytes. */
static void mut_random_attrs(struct round *r)
{
	unsigned char junk[64];
	unsigned int k = 1 + rnd(8);
	size_t len;

	while (k--) {
		len = rnd(sizeof(junk) + 1);
		rnd_fill(junk, len);
		nla_put(r->msg, (int)rnd(COUCHE_DEV_A_MAX + 6), (int)len, junk);
	}
}

/* Integers of the wrong width: 1 byte for a u32, 4 for a u8, 5 for a u64. */
static void mut_short_int(struct round *r)
{
	static const int u32_len[] = { 0, 1, 1, 2, 3, 5, 8 };
	static const int u8_len[] = { 0, 2, 4, 8 };
	static const int u64_len[] = { 0, 1, 4, 5, 7 };
	unsigned char junk[8];
	int type, len;

	rnd_fill(junk, sizeof(junk));
	switch (rnd(3)) {
	case 0:	type = PICK(u32_attrs); len = PICK(u32_len); break;
	case 1:	type = PICK(u8_attrs); len = PICK(u8_len); break;
	default: type = PICK(u64_attrs); len = PICK(u64_len); break;
	}
	nla_put(r->msg, type, len, junk);
}

/* Strings without a NUL, empty, or with one in the middle. */
static void mut_unterminated(struct round *r)
{
	char buf[COUCHE_DEV_NAME_LEN + 16];
	int type = PICK(str_attrs);
	const char *s = type == COUCHE_DEV_A_TIER_NAME ? tier_name() : devname;
	size_t len;

	switch (rnd(4)) {
	case 0:	/* the right name, no NUL */
		len = strnlen(s, sizeof(buf));
		memcpy(buf, s, len);
		break;
	case 1:
		len = 1 + rnd(64);
		rnd_text(buf, len);
		break;
	case 2:
		len = 0;
		break;
	default: /* "vol0\0junk": a parser that ignores the length sees vol0 */
		len = strnlen(s, 64);
		memcpy(buf, s, len);
		buf[len++] = 0;
		rnd_text(buf + len, 8);
		len += 8;
		break;
	}
	nla_put(r->msg, type, (int)len, buf);
}

/* 4000-byte strings, and lengths right at the name limits. */
static void mut_long_string(struct round *r)
{
	static const size_t lens[] = { LONG_STRING, LONG_STRING, COUCHE_DEV_NAME_LEN - 1,
				       COUCHE_DEV_NAME_LEN, COUCHE_TIER_NAME_LEN - 1,
				       COUCHE_TIER_NAME_LEN, 255 };
	static char buf[LONG_STRING + 1];
	size_t len = PICK(lens);
	int type = chance(80) ? PICK(str_attrs) : (int)rnd(COUCHE_DEV_A_MAX + 6);

	rnd_text(buf, len);
	buf[len] = 0;
	nla_put(r->msg, type, (int)(len + (chance(50) ? 1 : 0)), buf);
}

/* The same attribute twice, disagreeing: which one wins must not matter. */
static void mut_duplicate(struct round *r)
{
	switch (rnd(3)) {
	case 0:
		nla_put_string(r->msg, COUCHE_DEV_A_NAME, chance(50) ? devname : "nosuch");
		nla_put_string(r->msg, COUCHE_DEV_A_NAME, chance(50) ? devname : "nosuch");
		break;
	case 1:
		nla_put_u32(r->msg, COUCHE_DEV_A_FIRST, interesting_u32());
		nla_put_u32(r->msg, COUCHE_DEV_A_FIRST, interesting_u32());
		break;
	default:
		nla_put_u8(r->msg, COUCHE_DEV_A_TIER_INDEX, interesting_u8());
		nla_put_u8(r->msg, COUCHE_DEV_A_TIER_INDEX, interesting_u8());
		break;
	}
}

/* NLA_F_NESTED or NLA_F_NET_BYTEORDER on scalars; a nest without the flag. */
static void mut_type_flags(struct round *r)
{
	struct nlattr *n;

	switch (rnd(3)) {
	case 0:
		nla_put_u32(r->msg, PICK(u32_attrs) | NLA_F_NESTED, interesting_u32());
		break;
	case 1:
		nla_put_u32(r->msg, PICK(u32_attrs) | NLA_F_NET_BYTEORDER, interesting_u32());
		break;
	default:
		n = nest_start(r->msg, COUCHE_DEV_A_PARAMS, false);
		if (!n)
			return;
		nla_put_u32(r->msg, COUCHE_PARAM_A_MAX_MIGRATIONS, 1 + rnd(COUCHE_MAX_MIGRATIONS_MAX));
		nla_nest_end_keep_empty(r->msg, n);
		break;
	}
}

/* Attributes only replies and events carry, with plausible payloads. */
static void mut_reply_only(struct round *r)
{
	unsigned char blob[8 * sizeof(struct couche_extent_info) + 3];
	size_t len;

	switch (rnd(4)) {
	case 0:	/* EXTENTS: whole records or a ragged tail */
		len = sizeof(struct couche_extent_info) * rnd(9) + (chance(30) ? rnd(4) : 0);
		rnd_fill(blob, len);
		nla_put(r->msg, COUCHE_DEV_A_EXTENTS, (int)len, blob);
		break;
	case 1:
		nla_put_u64(r->msg, PICK(u64_attrs), rnd64());
		break;
	case 2:
		nla_put_u8(r->msg, COUCHE_DEV_A_EVENT, (uint8_t)rnd(__COUCHE_EVENT_MAX + 2));
		nla_put_u32(r->msg, COUCHE_DEV_A_ERROR, rnd(200));
		break;
	default:
		nla_put_u8(r->msg, COUCHE_DEV_A_SCRUB_RUNNING, (uint8_t)rnd(3));
		nla_put_u32(r->msg, COUCHE_DEV_A_FLAGS, (uint32_t)rnd64());
		break;
	}
}

struct mutation {
	const char *name;
	void (*apply)(struct round *r);
	unsigned int weight;	/* how often, relative to the others */
};

static const struct mutation body_mutations[] = {
	{ "range",		mut_range,		6 },
	{ "top-bottom",		mut_top_bottom,		3 },
	{ "tier",		mut_tier,		4 },
	{ "params",		mut_params,		2 },
	{ "params-bad",		mut_params_bad,		4 },
	{ "nest-garbage",	mut_nest_garbage,	3 },
	{ "deep-nest",		mut_deep_nest,		2 },
	{ "random-attrs",	mut_random_attrs,	6 },
	{ "short-int",		mut_short_int,		4 },
	{ "unterminated",	mut_unterminated,	3 },
	{ "long-string",	mut_long_string,	2 },
	{ "duplicate",		mut_duplicate,		2 },
	{ "type-flags",		mut_type_flags,		2 },
	{ "reply-only",		mut_reply_only,		2 },
};

/* ---- tail mutations: raw bytes after the attributes, nlmsg_len honest ---- */

/* An attribute whose nla_len claims more than the message holds. */
static void tail_overflow(struct round *r)
{
	size_t extra = rnd(17);
	struct nlattr *a = nlmsg_reserve(r->msg, NLA_HDRLEN + extra, NLMSG_ALIGNTO);

	if (!a)
		return;
	rnd_fill(a + 1, extra);
	a->nla_type = (uint16_t)rnd(COUCHE_DEV_A_MAX + 6);
	a->nla_len = (uint16_t)(NLA_HDRLEN + extra + 1 + rnd(0xffff - NLA_HDRLEN - extra));
}

/* An attribute whose nla_len is below its own header (0..3). */
static void tail_tiny(struct round *r)
{
	size_t extra = rnd(9);
	struct nlattr *a = nlmsg_reserve(r->msg, NLA_HDRLEN + extra, NLMSG_ALIGNTO);

	if (!a)
		return;
	rnd_fill(a + 1, extra);
	a->nla_type = (uint16_t)rnd(COUCHE_DEV_A_MAX + 6);
	a->nla_len = (uint16_t)rnd(NLA_HDRLEN);
}

/* 1..3 bytes: half an attribute header, and an unaligned nlmsg_len. */
static void tail_stub(struct round *r)
{
	size_t len = 1 + rnd(3);
	void *p = nlmsg_reserve(r->msg, len, 0);

	if (p)
		rnd_fill(p, len);
}

static const struct mutation tail_mutations[] = {
	{ "nla-len-overflow",	tail_overflow,	3 },
	{ "nla-len-tiny",	tail_tiny,	2 },
	{ "half-attr",		tail_stub,	1 },
};

/* ---- header mutations: on the datagram as sent, after libnl filled it ---- */

static struct nlmsghdr *hdr(unsigned char *buf)
{
	return (struct nlmsghdr *)buf;
}

/* genl version not 1 and/or reserved not 0: genetlink passes both through. */
static size_t hdr_bad_version(struct round *r, unsigned char *buf, size_t len)
{
	static const uint8_t versions[] = { 0, 2, 0xff };
	struct genlmsghdr *g = (struct genlmsghdr *)(buf + NLMSG_HDRLEN);

	(void)r;
	if (chance(70))
		g->version = PICK(versions);
	if (chance(70))
		g->reserved = (uint16_t)(1 + rnd(0xffff));
	return len;
}

/* No NLM_F_REQUEST: netlink ACKs it without calling the family. */
static size_t hdr_no_request(struct round *r, unsigned char *buf, size_t len)
{
	hdr(buf)->nlmsg_flags &= ~NLM_F_REQUEST;
	r->dispatched = false;
	return len;
}

/* NLM_F_ROOT or NLM_F_MATCH alone: a do, not a dump. */
static size_t hdr_half_dump(struct round *r, unsigned char *buf, size_t len)
{
	hdr(buf)->nlmsg_flags &= ~NLM_F_DUMP;
	hdr(buf)->nlmsg_flags |= chance(50) ? NLM_F_ROOT : NLM_F_MATCH;
	r->dump = false;
	return len;
}

/* Flags a request does not use (none of them adds up to NLM_F_DUMP). */
static size_t hdr_odd_flags(struct round *r, unsigned char *buf, size_t len)
{
	static const uint16_t flags[] = { NLM_F_ECHO, NLM_F_DUMP_INTR, NLM_F_DUMP_FILTERED,
					  NLM_F_ATOMIC, NLM_F_APPEND, 0x1000, 0x8000 };
	unsigned int k = 1 + rnd(3);

	(void)r;
	while (k--)
		hdr(buf)->nlmsg_flags |= PICK(flags);
	return len;
}

/* No NLM_F_ACK: only an error or a reply answers. */
static size_t hdr_no_ack(struct round *r, unsigned char *buf, size_t len)
{
	hdr(buf)->nlmsg_flags &= ~NLM_F_ACK;
	r->expect_reply = false;
	return len;
}

/* Room for the nlmsghdr and 0..3 bytes: no genl header. */
static size_t hdr_short_genl(struct round *r, unsigned char *buf, size_t len)
{
	(void)len;
	hdr(buf)->nlmsg_len = NLMSG_HDRLEN + rnd(GENL_HDRLEN);
	r->dispatched = false;
	return hdr(buf)->nlmsg_len;
}

/* nlmsg_len past the end of the datagram: dropped unanswered. */
static size_t hdr_len_beyond(struct round *r, unsigned char *buf, size_t len)
{
	hdr(buf)->nlmsg_len = (uint32_t)(len + 1 + rnd(4096));
	r->dispatched = false;
	r->expect_reply = false;
	return len;
}

/* nlmsg_len below the nlmsghdr itself: dropped unanswered. */
static size_t hdr_len_tiny(struct round *r, unsigned char *buf, size_t len)
{
	hdr(buf)->nlmsg_len = rnd(NLMSG_HDRLEN);
	r->dispatched = false;
	r->expect_reply = false;
	return len;
}

/* A zero-length datagram. */
static size_t hdr_empty(struct round *r, unsigned char *buf, size_t len)
{
	(void)buf;
	(void)len;
	r->dispatched = false;
	r->expect_reply = false;
	return 0;
}

/* 1..15 stray bytes after the message: too few for another nlmsghdr. */
static size_t hdr_trailing(struct round *r, unsigned char *buf, size_t len)
{
	size_t extra = 1 + rnd(NLMSG_HDRLEN - 1);

	(void)r;
	rnd_fill(buf + len, extra);
	return len + extra;
}

/* A control type (NOOP, ERROR, DONE...): netlink ACKs it, nobody runs it. */
static size_t hdr_ctl_type(struct round *r, unsigned char *buf, size_t len)
{
	hdr(buf)->nlmsg_type = (uint16_t)rnd(NLMSG_MIN_TYPE);
	r->dispatched = false;
	return len;
}

static const struct hdr_mutation {
	const char *name;
	size_t (*apply)(struct round *r, unsigned char *buf, size_t len);
} hdr_mutations[] = {
	{ "bad-version",	hdr_bad_version },
	{ "no-request-flag",	hdr_no_request },
	{ "half-dump-flag",	hdr_half_dump },
	{ "odd-flags",		hdr_odd_flags },
	{ "no-ack-flag",	hdr_no_ack },
	{ "short-genl-header",	hdr_short_genl },
	{ "nlmsg-len-beyond",	hdr_len_beyond },
	{ "nlmsg-len-tiny",	hdr_len_tiny },
	{ "empty-datagram",	hdr_empty },
	{ "trailing-bytes",	hdr_trailing },
	{ "control-type",	hdr_ctl_type },
};

static const struct mutation *pick_weighted(const struct mutation *t, size_t n)
{
	unsigned int total = 0, x;
	size_t i;

	for (i = 0; i < n; i++)
		total += t[i].weight;
	x = rnd(total);
	for (i = 0; x >= t[i].weight; i++)
		x -= t[i].weight;
	return &t[i];
}

/* ---- talking to the kernel ---- */

enum result { R_NONE, R_ACK, R_ERROR, R_SILENT, R_TIMEOUT, R_SOCKFAIL };

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The extended-ACK message of an error, if the kernel gave one. */
static void extack_msg(struct nlmsghdr *h, char *why, size_t size)
{
	struct nlmsgerr *e = nlmsg_data(h);
	size_t off = sizeof(*e), len = nlmsg_datalen(h);
	struct nlattr *a;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(h->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= NLMSG_HDRLEN)
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	off = NLMSG_ALIGN(off);
	if (off >= len)
		return;
	a = nla_find((struct nlattr *)((char *)e + off), (int)(len - off), NLMSGERR_ATTR_MSG);
	if (a && nla_len(a) > 0)
		snprintf(why, size, "%.*s", nla_len(a), (char *)nla_data(a));
}

/*
 * Reads until the answer to @seq ends: NLMSG_ERROR (an ACK when 0) or,
 * for a dump, NLMSG_DONE.  Data messages go to @on_data.  Messages with
 * another sequence number are late answers to earlier rounds: skipped.
 * Never blocks longer than REPLY_TIMEOUT_MS between messages or
 * REQUEST_DEADLINE_MS in all; @expect false waits only SILENT_WAIT_MS.
 */
static enum result await_reply(uint32_t seq, bool expect, void (*on_data)(struct nlmsghdr *),
			       int *err, char *why, size_t why_size)
{
	int wait = expect ? REPLY_TIMEOUT_MS : SILENT_WAIT_MS;
	long long deadline = now_ms() + REQUEST_DEADLINE_MS;
	unsigned long msgs = 0;

	*err = 0;
	why[0] = 0;
	for (;;) {
		struct pollfd pfd = { .fd = nl_socket_get_fd(sk), .events = POLLIN };
		enum result res = R_NONE;
		struct sockaddr_nl peer;
		unsigned char *buf = NULL;
		struct nlmsghdr *h;
		long long left = deadline - now_ms();
		int n, rem;

		n = poll(&pfd, 1, left < wait ? (int)(left > 0 ? left : 0) : wait);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "nlfuzz: poll: %s\n", strerror(errno));
			return R_SOCKFAIL;
		}
		if (n == 0)
			return expect ? R_TIMEOUT : R_SILENT;
		n = nl_recv(sk, &peer, &buf, NULL);
		if (n == -NLE_AGAIN || n == 0) {
			free(buf);
			continue;
		}
		if (n < 0) {
			fprintf(stderr, "nlfuzz: receive: %s\n", nl_geterror(n));
			return R_SOCKFAIL;
		}
		for (h = (struct nlmsghdr *)buf, rem = n; nlmsg_ok(h, rem); h = nlmsg_next(h, &rem)) {
			if (h->nlmsg_seq != seq) {
				st.stale++;
				continue;
			}
			if (++msgs > MAX_REPLY_MSGS) {
				fprintf(stderr, "nlfuzz: more than %d messages in one answer\n",
					MAX_REPLY_MSGS);
				res = R_SOCKFAIL;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = nlmsg_data(h);

				if (nlmsg_datalen(h) < (int)sizeof(*e)) {
					fprintf(stderr, "nlfuzz: truncated NLMSG_ERROR\n");
					res = R_SOCKFAIL;
					break;
				}
				*err = -e->error;
				if (e->error)
					extack_msg(h, why, why_size);
				res = e->error ? R_ERROR : R_ACK;
				break;
			}
			if (h->nlmsg_type == NLMSG_DONE) {	/* a dump's end, with its status */
				int v = 0;

				if (nlmsg_datalen(h) >= (int)sizeof(v))
					memcpy(&v, nlmsg_data(h), sizeof(v));
				*err = -v;
				res = v ? R_ERROR : R_ACK;
				break;
			}
			if (h->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			st.data++;
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				st.intr++;
			if (on_data)
				on_data(h);
		}
		free(buf);
		if (res != R_NONE)
			return res;
		if (now_ms() >= deadline) {
			fprintf(stderr, "nlfuzz: an answer took longer than %d ms\n",
				REQUEST_DEADLINE_MS);
			return R_TIMEOUT;
		}
	}
}

static bool get_u32(struct nlattr *a, uint32_t *v)
{
	if (!a || nla_len(a) < (int)sizeof(*v))
		return false;
	*v = nla_get_u32(a);
	return true;
}

/* The probe's GET_DEVICE reply: the numbers and edges mutations aim at. */
static void parse_device(struct nlmsghdr *h)
{
	struct nlattr *tb[COUCHE_DEV_A_MAX + 1], *t;
	int rem;

	if (genlmsg_parse(h, 0, tb, COUCHE_DEV_A_MAX, NULL) < 0)
		return;
	get_u32(tb[COUCHE_DEV_A_MAJOR], &dev.major);
	get_u32(tb[COUCHE_DEV_A_MINOR], &dev.minor);
	get_u32(tb[COUCHE_DEV_A_NR_EXTENTS], &dev.nr_extents);
	if (!tb[COUCHE_DEV_A_TIERS])
		return;
	dev.nr_tiers = 0;
	nla_for_each_nested(t, tb[COUCHE_DEV_A_TIERS], rem) {
		struct nlattr *ta[COUCHE_TIER_A_MAX + 1];

		if (dev.nr_tiers == COUCHE_MAX_TIERS)
			break;
		if (nla_parse_nested(ta, COUCHE_TIER_A_MAX, t, NULL) < 0 || !ta[COUCHE_TIER_A_NAME])
			continue;
		snprintf(dev.tier[dev.nr_tiers++], COUCHE_TIER_NAME_LEN, "%.*s",
			 nla_len(ta[COUCHE_TIER_A_NAME]), (char *)nla_data(ta[COUCHE_TIER_A_NAME]));
	}
}

/* A plain GET_DEVICE of the volume; *err is its errno if refused. */
static enum result get_device(int *err)
{
	struct nl_msg *m = nlmsg_alloc_size(4096);
	char why[256];
	enum result res;
	int n;

	if (!m) {
		fprintf(stderr, "nlfuzz: out of memory\n");
		return R_SOCKFAIL;
	}
	genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0, COUCHE_CMD_GET_DEVICE,
		    COUCHE_GENL_VERSION);
	nla_put_string(m, COUCHE_DEV_A_NAME, devname);
	n = nl_send_auto(sk, m);
	if (n < 0) {
		fprintf(stderr, "nlfuzz: send: %s\n", nl_geterror(n));
		nlmsg_free(m);
		return R_SOCKFAIL;
	}
	res = await_reply(nlmsg_hdr(m)->nlmsg_seq, true, parse_device, err, why, sizeof(why));
	nlmsg_free(m);
	return res;
}

/*
 * Sends @r as built, or through a header mutation as raw bytes.  Returns
 * 0 when sent, 1 when sendmsg refused it as it should, or a libnl error.
 */
static int send_round(struct round *r, const struct hdr_mutation *hm, uint32_t *seq)
{
	static unsigned char buf[MSG_SIZE + 64] __attribute__((aligned(8)));
	struct nlmsghdr *h;
	size_t len;
	int n;

	if (!hm) {
		n = nl_send_auto(sk, r->msg);
		*seq = nlmsg_hdr(r->msg)->nlmsg_seq;
		return n < 0 ? n : 0;
	}
	nl_complete_msg(sk, r->msg);	/* port, sequence, NLM_F_REQUEST|NLM_F_ACK */
	h = nlmsg_hdr(r->msg);
	*seq = h->nlmsg_seq;
	len = h->nlmsg_len < MSG_SIZE ? h->nlmsg_len : MSG_SIZE;
	memcpy(buf, h, len);
	len = hm->apply(r, buf, len);
	n = nl_sendto(sk, buf, len);
	if (n < 0 && !len && errno == ENODATA)
		return 1;	/* newer kernels refuse empty datagrams in sendmsg */
	return n < 0 ? n : 0;
}

static bool changes_volume(uint8_t cmd)
{
	return cmd >= COUCHE_CMD_MIGRATE && cmd <= COUCHE_CMD_SCRUB;
}

static const char *errname(int e)
{
	const char *s = e > 0 ? strerrorname_np(e) : NULL;

	return s ? s : "E?";
}

static void build_round(struct round *r)
{
	unsigned int k;

	/* Mostly the family's commands (EVENT is the kernel's own), else 0..20. */
	r->cmd = chance(70) ? (uint8_t)(COUCHE_CMD_GET_DEVICE + rnd(COUCHE_CMD_EVENT))
			    : (uint8_t)rnd(CMD_NUMBERS);
	r->dump = chance(r->cmd == COUCHE_CMD_GET_EXTENTS ? 80 : 25);
	genlmsg_put(r->msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, r->dump ? NLM_F_DUMP : 0,
		    r->cmd, COUCHE_GENL_VERSION);

	if (chance(30)) {
		wellformed(r);
		k = chance(30);
	} else {
		put_identity(r);
		k = rnd(5);
	}
	while (k--) {
		const struct mutation *m = pick_weighted(body_mutations, ARRAY_SIZE(body_mutations));

		m->apply(r);
		note(r, m->name);
	}
	if (chance(10)) {	/* last: an attribute that runs off the end must be the last */
		const struct mutation *m = pick_weighted(tail_mutations, ARRAY_SIZE(tail_mutations));

		m->apply(r);
		note(r, m->name);
	}
}

static void account(unsigned int i, const struct round *r, enum result res, int err,
		    const char *why, bool admin)
{
	switch (res) {
	case R_ACK:
		st.acked++;
		if (!admin && r->dispatched && changes_volume(r->cmd)) {
			st.unpriv_accepted++;
			fprintf(stderr, "nlfuzz: round %u: command %u accepted without "
				"CAP_SYS_ADMIN (%s)\n", i, r->cmd, r->desc);
		}
		if (!r->expect_reply)
			st.answered_silent++;
		break;
	case R_ERROR:
		st.errors++;
		st.err[err > 0 && err <= MAX_ERRNO ? err : 0]++;
		if (!r->expect_reply)
			st.answered_silent++;
		break;
	case R_SILENT:
		st.silent++;
		break;
	case R_TIMEOUT:
		st.timeouts++;
		fprintf(stderr, "nlfuzz: round %u: no answer within %d ms (command %u%s: %s)\n",
			i, REPLY_TIMEOUT_MS, r->cmd, r->dump ? " dump" : "", r->desc);
		break;
	default:
		st.sockfail++;
		fprintf(stderr, "nlfuzz: round %u: socket failure (command %u: %s)\n",
			i, r->cmd, r->desc);
		break;
	}
	if (quiet)
		return;
	printf("%5u cmd %2u%s %s -> ", i, r->cmd, r->dump ? " dump" : "", r->desc);
	switch (res) {
	case R_ACK:	printf("ok\n"); break;
	case R_ERROR:	printf("%s%s%s%s\n", errname(err), why[0] ? " (" : "", why, why[0] ? ")" : ""); break;
	case R_SILENT:	printf("no answer (none due)\n"); break;
	case R_TIMEOUT:	printf("TIMEOUT\n"); break;
	default:	printf("SOCKET FAILURE\n"); break;
	}
}

static void summary(unsigned int rounds)
{
	static const int named[] = { EINVAL, ERANGE, ENODEV, EPERM, EOPNOTSUPP };
	unsigned long other = st.errors;
	unsigned int i;
	int e;

	for (i = 0; i < ARRAY_SIZE(named); i++)
		other -= st.err[named[i]];
	printf("nlfuzz: %u rounds, %lu acked, %lu errors (errno counts: EINVAL=%lu, ERANGE=%lu, "
	       "ENODEV=%lu, EPERM=%lu, EOPNOTSUPP=%lu, other=%lu), %lu timeouts\n",
	       rounds, st.acked, st.errors, st.err[EINVAL], st.err[ERANGE], st.err[ENODEV],
	       st.err[EPERM], st.err[EOPNOTSUPP], other, st.timeouts);
	printf("nlfuzz: also %lu unanswered as due, %lu answered though no ACK was due, "
	       "%lu data messages (%lu NLM_F_DUMP_INTR), %lu stale, %lu socket failures, "
	       "%lu changing commands accepted without CAP_SYS_ADMIN",
	       st.silent, st.answered_silent, st.data, st.intr, st.stale, st.sockfail,
	       st.unpriv_accepted);
	if (other) {
		printf("; other errnos:");
		for (e = 0; e <= MAX_ERRNO; e++) {
			for (i = 0; i < ARRAY_SIZE(named) && named[i] != e; i++)
				;
			if (st.err[e] && i == ARRAY_SIZE(named))
				printf(" %s=%lu", e ? errname(e) : "out-of-range", st.err[e]);
		}
	}
	printf("\n");
}

/* CAP_SYS_ADMIN in the effective set: without it nothing may change. */
static bool have_sys_admin(void)
{
	unsigned long long caps = ~0ull;
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return true;	/* cannot tell: do not claim a privilege failure */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return caps & (1ull << CAP_SYS_ADMIN_BIT);
}

static int drop_privileges(const char *arg)
{
	char *end;
	unsigned long id = strtoul(arg, &end, 10);

	if (*end || end == arg) {
		fprintf(stderr, "nlfuzz: -u wants a number\n");
		return -1;
	}
	if (setgroups(0, NULL) || setresgid((gid_t)id, (gid_t)id, (gid_t)id) ||
	    setresuid((uid_t)id, (uid_t)id, (uid_t)id)) {
		fprintf(stderr, "nlfuzz: cannot become uid %lu: %s\n", id, strerror(errno));
		return -1;
	}
	return 0;
}

static int open_family(void)
{
	int one = 1, r;

	sk = nl_socket_alloc();
	if (!sk) {
		fprintf(stderr, "nlfuzz: out of memory\n");
		return -1;
	}
	r = genl_connect(sk);
	if (r < 0) {
		fprintf(stderr, "nlfuzz: cannot open a generic netlink socket: %s\n", nl_geterror(r));
		return -1;
	}
	family = genl_ctrl_resolve(sk, COUCHE_GENL_NAME);
	if (family == -NLE_OBJ_NOTFOUND) {
		fprintf(stderr, "nlfuzz: the couche netlink family is not registered: "
			"load dm-couche (modprobe dm-couche)\n");
		return -1;
	}
	if (family < 0) {
		fprintf(stderr, "nlfuzz: cannot resolve the couche netlink family: %s\n",
			nl_geterror(family));
		return -1;
	}
	/* Short error ACKs (not our 4000-byte requests echoed), with the reason. */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	nl_socket_set_buffer_size(sk, 256 * 1024, 64 * 1024);
	nl_socket_enable_auto_ack(sk);
	nl_socket_enable_msg_peek(sk);	/* nl_recv sizes its buffer to each datagram */
	r = nl_socket_set_nonblocking(sk);
	if (r < 0) {
		fprintf(stderr, "nlfuzz: %s\n", nl_geterror(r));
		return -1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: nlfuzz [-q] [-n ROUNDS] [-s SEED] [-d DEVNAME] [-u UID]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long rounds = 1000;
	uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	const char *uid = NULL;
	unsigned int i, done = 0;
	enum result res;
	char *end;
	bool admin;
	int c, err;

	while ((c = getopt(argc, argv, "n:s:d:u:q")) != -1) {
		switch (c) {
		case 'n':
			rounds = strtoul(optarg, &end, 10);
			if (*end || end == optarg || rounds > 100000000)
				usage();
			break;
		case 's':
			seed = strtoull(optarg, &end, 0);
			if (*end || end == optarg)
				usage();
			break;
		case 'd':
			devname = optarg;
			break;
		case 'u':
			uid = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);	/* in order with stderr in a log */
	if (uid && drop_privileges(uid))
		return 1;
	rng = seed;
	admin = have_sys_admin();
	printf("nlfuzz: seed %" PRIu64 " (-s %" PRIu64 " replays this run), device %s, %s\n",
	       seed, seed, devname, admin ? "with CAP_SYS_ADMIN"
	       : "without CAP_SYS_ADMIN: every changing command must be refused");
	fflush(stdout);
	if (open_family())
		return 1;

	/* Learn the volume's size and tiers, so values hit its edges. */
	res = get_device(&err);
	if (res == R_ACK) {
		dev.found = true;
		if (!quiet)
			printf("nlfuzz: %s is %u:%u, %u extents, %u tiers\n", devname,
			       dev.major, dev.minor, dev.nr_extents, dev.nr_tiers);
	} else if (res == R_ERROR) {
		printf("nlfuzz: warning: GET_DEVICE %s: %s: requests naming it stop at the lookup\n",
		       devname, strerror(err));
	} else {
		fprintf(stderr, "nlfuzz: the first GET_DEVICE got no answer\n");
		return 1;
	}

	for (i = 0; i < rounds; i++) {
		struct round r = { .expect_reply = true, .dispatched = true };
		const struct hdr_mutation *hm = NULL;
		char why[256] = "";
		uint32_t seq;
		int n;

		r.msg = nlmsg_alloc_size(MSG_SIZE);
		if (!r.msg) {
			fprintf(stderr, "nlfuzz: out of memory\n");
			return 1;
		}
		build_round(&r);
		if (chance(20)) {
			hm = &hdr_mutations[rnd(ARRAY_SIZE(hdr_mutations))];
			note(&r, hm->name);
		}
		n = send_round(&r, hm, &seq);
		if (n < 0) {
			fprintf(stderr, "nlfuzz: round %u: send: %s\n", i, nl_geterror(n));
			res = R_SOCKFAIL;
		} else if (n > 0) {
			res = R_SILENT;
		} else {
			res = await_reply(seq, r.expect_reply, NULL, &err, why, sizeof(why));
		}
		account(i, &r, res, err, why, admin);
		nlmsg_free(r.msg);
		done++;
		if (st.timeouts >= GIVE_UP_TIMEOUTS || st.sockfail >= GIVE_UP_SOCKFAIL) {
			fprintf(stderr, "nlfuzz: giving up after %u rounds\n", done);
			break;
		}
	}

	/* After all that, a plain request must still be answered. */
	res = get_device(&err);
	if (res != R_ACK && res != R_ERROR) {
		fprintf(stderr, "nlfuzz: a plain GET_DEVICE after the run got no answer\n");
		st.timeouts++;
	}
	summary(done);
	return st.timeouts || st.sockfail || st.unpriv_accepted ? 1 : 0;
}
