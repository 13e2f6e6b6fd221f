// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of libcouche's decoders, fed messages built as the kernel
 * builds them: GET_DEVICE replies, events, extent dumps; and the DEV
 * argument and parameter names.  Run by 'make unit'.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netlink/genl/genl.h>

#include "couche/devspec.h"
#include "couche/event.h"
#include "couche/extents.h"
#include "couche/params.h"
#include "couche/vol.h"
#include "tap.h"

static struct nl_msg *reply(uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, 0, 0, 0x20, 0, 0, cmd, COUCHE_GENL_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

static void test_dev(void)
{
	unsigned int ma = 0, mi = 0;
	char name[COUCHE_DEV_NAME_LEN];
	char big[300];

	T(couche_parse_dev("vol0", name, sizeof(name), &ma, &mi) == COUCHE_DEVSPEC_NAME &&
	  !strcmp(name, "vol0"), "dev: a dm name");
	T(couche_parse_dev("/dev/mapper/vol0", name, sizeof(name), &ma, &mi) == COUCHE_DEVSPEC_NAME &&
	  !strcmp(name, "vol0"), "dev: /dev/mapper/NAME is the name");
	T(couche_parse_dev("253:4", name, sizeof(name), &ma, &mi) == COUCHE_DEVSPEC_NUMBER &&
	  ma == 253 && mi == 4, "dev: major:minor");
	T(couche_parse_dev("/dev/dm-3", name, sizeof(name), &ma, &mi) == COUCHE_DEVSPEC_PATH,
	  "dev: a node is a path");
	T(couche_parse_dev("", name, sizeof(name), &ma, &mi) == COUCHE_DEVSPEC_BAD, "dev: empty refused");
	T(couche_parse_dev("a/b", name, sizeof(name), &ma, &mi) == COUCHE_DEVSPEC_BAD,
	  "dev: slash in a name refused");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	T(couche_parse_dev(big, name, sizeof(name), &ma, &mi) == COUCHE_DEVSPEC_BAD,
	  "dev: over-long name refused");
	T(couche_parse_dev("a:b", name, sizeof(name), &ma, &mi) == COUCHE_DEVSPEC_NAME,
	  "dev: a name with a colon that is no number stays a name");
}

static void test_params(void)
{
	T(couche_param_attr("max_migrations") == COUCHE_PARAM_A_MAX_MIGRATIONS &&
	  couche_param_attr("reserve_pct") == COUCHE_PARAM_A_RESERVE_PCT,
	  "params: attr by name");
	T(couche_param_attr("bogus") == -1 && couche_param_attr("") == -1,
	  "params: an unknown name is -1");
	T(!strcmp(couche_param_name(COUCHE_PARAM_A_CACHE_MB), "cache_mb") &&
	  !couche_param_name(0) && !couche_param_name(COUCHE_PARAM_A_MAX + 1),
	  "params: names by attr, NULL out of range");
}

static void test_vol(void)
{
	struct nl_msg *msg = reply(COUCHE_CMD_GET_DEVICE);
	struct nlattr *tiers, *tier, *members, *m, *params;
	struct couche_vol d;
	int i;

	nla_put_string(msg, COUCHE_DEV_A_NAME, "vol0");
	nla_put_string(msg, COUCHE_DEV_A_UUID, "u-1");
	nla_put_u32(msg, COUCHE_DEV_A_NR_EXTENTS, 100);
	nla_put_u64(msg, COUCHE_DEV_A_MIG_DONE, 7);
	nla_put_u32(msg, COUCHE_DEV_A_FLAGS, COUCHE_DEV_F_DEGRADED);
	params = nla_nest_start(msg, COUCHE_DEV_A_PARAMS);
	nla_put_u32(msg, COUCHE_PARAM_A_MIGRATION_MBPS, 200);
	nla_nest_end(msg, params);
	tiers = nla_nest_start(msg, COUCHE_DEV_A_TIERS);
	for (i = 0; i < 2; i++) {
		tier = nla_nest_start(msg, COUCHE_DEV_A_TIER);
		nla_put_u8(msg, COUCHE_TIER_A_INDEX, i);
		nla_put_string(msg, COUCHE_TIER_A_NAME, i ? "cold" : "hot");
		nla_put_u8(msg, COUCHE_TIER_A_KIND, i ? COUCHE_TIER_RAID6 : COUCHE_TIER_LINEAR);
		nla_put_u32(msg, COUCHE_TIER_A_SLOTS, 50 + i);
		members = nla_nest_start(msg, COUCHE_TIER_A_MEMBERS);
		m = nla_nest_start(msg, COUCHE_TIER_A_MEMBER);
		nla_put_string(msg, COUCHE_MEMBER_A_DEV, "253:1");
		nla_put_u8(msg, COUCHE_MEMBER_A_STATE, i ? COUCHE_MEMBER_REBUILDING :
			   COUCHE_MEMBER_ALIVE);
		nla_put_u64(msg, COUCHE_MEMBER_A_READ_ERRORS, 3);
		nla_nest_end(msg, m);
		nla_nest_end(msg, members);
		nla_nest_end(msg, tier);
	}
	nla_nest_end(msg, tiers);
	T(!couche_vol_from_msg(msg, &d), "vol: a GET_DEVICE reply decodes");
	T(!strcmp(d.name, "vol0") && !strcmp(d.uuid, "u-1") && d.nr_extents == 100 &&
	  d.mig_done == 7 && d.flags == COUCHE_DEV_F_DEGRADED &&
	  d.params[COUCHE_PARAM_A_MIGRATION_MBPS] == 200, "vol: its fields");
	T(d.nr_tiers == 2 && !strcmp(d.tiers[1].name, "cold") && d.tiers[1].slots == 51 &&
	  d.tiers[1].kind == COUCHE_TIER_RAID6 && d.tiers[1].nr_members == 1 &&
	  d.tiers[1].members[0].read_errors == 3 && d.tiers[1].rebuilding &&
	  !d.tiers[0].rebuilding, "vol: its tiers and members");
	T(couche_vol_tier_index(&d, "cold") == 1 && couche_vol_tier_index(&d, "0") == 0 &&
	  couche_vol_tier_index(&d, "2") == -1 && couche_vol_tier_index(&d, "warm") == -1,
	  "vol: tiers by name or index");
	T(!strcmp(couche_vol_tier_name(&d, 0), "hot") && !strcmp(couche_vol_tier_name(&d, 5), "-"),
	  "vol: tier names");
	nlmsg_free(msg);

	msg = reply(COUCHE_CMD_GET_DEVICE);
	nla_put_u32(msg, COUCHE_DEV_A_NR_EXTENTS, 100);
	T(couche_vol_from_msg(msg, &d) == -EINVAL, "vol: a reply without a name is refused");
	nlmsg_free(msg);
	msg = reply(COUCHE_CMD_GET_DEVICE);
	nla_put_string(msg, COUCHE_DEV_A_NAME, "vol0");
	tiers = nla_nest_start(msg, COUCHE_DEV_A_TIERS);
	tier = nla_nest_start(msg, COUCHE_DEV_A_TIER);
	nla_put_u8(msg, COUCHE_TIER_A_INDEX, COUCHE_MAX_TIERS);
	nla_nest_end(msg, tier);
	nla_nest_end(msg, tiers);
	T(couche_vol_from_msg(msg, &d) == -EINVAL, "vol: a tier index out of range is refused");
	nlmsg_free(msg);
}

static void test_event(void)
{
	struct couche_event_info ev;
	struct nl_msg *msg = reply(COUCHE_CMD_EVENT);

	nla_put_u8(msg, COUCHE_DEV_A_EVENT, COUCHE_EVENT_REBUILD_PROGRESS);
	nla_put_string(msg, COUCHE_DEV_A_NAME, "vol1");
	nla_put_u8(msg, COUCHE_DEV_A_TIER_INDEX, 2);
	nla_put_u8(msg, COUCHE_DEV_A_MEMBER, 4);
	nla_put_u64(msg, COUCHE_DEV_A_DONE, 10);
	nla_put_u64(msg, COUCHE_DEV_A_TOTAL, 40);
	T(!couche_event_parse(msg, &ev) && ev.type == COUCHE_EVENT_REBUILD_PROGRESS &&
	  !strcmp(ev.volume, "vol1") && ev.tier == 2 && ev.member == 4 && ev.done == 10 &&
	  ev.total == 40 && !ev.has_extent && !ev.error, "event: rebuild progress decodes");
	nlmsg_free(msg);

	msg = reply(COUCHE_CMD_EVENT);
	nla_put_u8(msg, COUCHE_DEV_A_EVENT, COUCHE_EVENT_MIGRATION_FAILED);
	nla_put_string(msg, COUCHE_DEV_A_NAME, "vol1");
	nla_put_u32(msg, COUCHE_DEV_A_FIRST, 17);
	nla_put_u32(msg, COUCHE_DEV_A_ERROR, EIO);
	T(!couche_event_parse(msg, &ev) && ev.has_extent && ev.extent == 17 &&
	  ev.error == EIO && ev.tier == -1 && ev.member == -1,
	  "event: a failed migration, its extent and error");
	nlmsg_free(msg);

	msg = reply(COUCHE_CMD_GET_DEVICE);
	nla_put_u8(msg, COUCHE_DEV_A_EVENT, COUCHE_EVENT_MIGRATION_DONE);
	nla_put_string(msg, COUCHE_DEV_A_NAME, "vol1");
	T(couche_event_parse(msg, &ev) == -EINVAL, "event: another command is not an event");
	nlmsg_free(msg);
	msg = reply(COUCHE_CMD_EVENT);
	nla_put_u8(msg, COUCHE_DEV_A_EVENT, COUCHE_EVENT_MIGRATION_DONE);
	T(couche_event_parse(msg, &ev) == -EINVAL, "event: one without a volume is refused");
	nlmsg_free(msg);
	T(!strcmp(couche_event_name(COUCHE_EVENT_NO_SPACE), "no-space") &&
	  !strcmp(couche_event_name(200), "unknown") && !strcmp(couche_event_name(-1), "unknown"),
	  "event: names");
}

struct seen {
	uint32_t n, sum, stop_at;
};

static int count_extent(const struct couche_extent_info *x, void *arg)
{
	struct seen *s = arg;

	s->n++;
	s->sum += x->index + x->heat;
	return s->stop_at && s->n == s->stop_at;
}

static void test_extents(void)
{
	struct couche_extent_info v[5];
	struct nl_msg *msg = reply(COUCHE_CMD_GET_EXTENTS);
	struct seen s = { 0 };
	int i;

	memset(v, 0, sizeof(v));
	for (i = 0; i < 5; i++) {
		v[i].index = i;
		v[i].heat = 100 * i;
	}
	nla_put(msg, COUCHE_DEV_A_EXTENTS, sizeof(v), v);
	T(!couche_extents_parse(msg, count_extent, &s) && s.n == 5 && s.sum == 1010,
	  "extents: every record of a reply, in order (%u, sum %u)", s.n, s.sum);
	s = (struct seen){ .stop_at = 2 };
	T(couche_extents_parse(msg, count_extent, &s) == -ECANCELED && s.n == 2,
	  "extents: the callback stops the walk");
	nlmsg_free(msg);

	msg = reply(COUCHE_CMD_GET_EXTENTS);
	nla_put(msg, COUCHE_DEV_A_EXTENTS, sizeof(v[0]) + 3, v);
	s = (struct seen){ 0 };
	T(!couche_extents_parse(msg, count_extent, &s) && s.n == 1,
	  "extents: a partial record at the end is not read");
	nlmsg_free(msg);
	msg = reply(COUCHE_CMD_GET_EXTENTS);
	nla_put_string(msg, COUCHE_DEV_A_NAME, "vol0");
	T(couche_extents_parse(msg, count_extent, &s) == -EINVAL,
	  "extents: a reply without records is -EINVAL");
	nlmsg_free(msg);
}

int main(void)
{
	test_dev();
	test_params();
	test_vol();
	test_event();
	test_extents();
	return tap_done();
}
