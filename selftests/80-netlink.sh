#!/bin/sh
# couchestorctl over the "couche" netlink family, against a real volume:
# every command, its exit codes, --json, unprivileged callers (EPERM for
# changes, reads allowed), and events for a migration and a failed member.
. ./lib.sh
CTL=couchestorctl
wipe $META $HOT $WARM $COLD
WSIZE=$(blockdev --getsz $WARM)
check "warm device behind a switchable wrapper" dmsetup create wf --table "0 $WSIZE linear $WARM 0"
t="0 204800 couche $META $EXT 3 3 hot linear $HOT 3 warm linear /dev/mapper/wf 3 cold linear $COLD"
check "create volume" dmsetup create $VOL --table "$t"
check "write extents 0-9" pattern write $DEV 0 2560 51

# rc <want> <description> <command...>: passes when the exit code is want.
rc() {
	want=$1; d=$2; shift 2
	"$@" > /tmp/rc.out 2> /tmp/rc.err
	got=$?
	if [ "$got" = "$want" ]; then ok 0 "$d"; else
		ok 1 "$d (exit $got, want $want)"; diag /tmp/rc.out /tmp/rc.err; fi
}

refuse "a couche target shares its table with nothing (singleton)" dmsetup create two \
	--table "0 2048 linear $SPARE 0
2048 204800 couche $META $EXT 1 3 hot linear $HOT"
# status
rc 0 "status lists volumes" $CTL status
grep -q "^$VOL (" /tmp/rc.out
ok $? "status names $VOL"
rc 0 "status $VOL" $CTL status $VOL
grep -qE "hot +linear +10 +63" /tmp/rc.out
ok $? "status shows hot holding 10 of 63 extents"
rc 0 "status by /dev/mapper path" $CTL status /dev/mapper/$VOL
mm=$(dmsetup info -c --noheadings -o major,minor $VOL | tr -d ' ')
rc 0 "status by major:minor ($mm)" $CTL status $mm
rc 0 "status --json" $CTL status $VOL --json
grep -q '"name": "vol0"' /tmp/rc.out && grep -q '"extents": 100' /tmp/rc.out &&
	grep -q '"used": 10' /tmp/rc.out
ok $? "status --json has name, extents and tier use"
rc 3 "status of an unknown volume exits 3" $CTL status nosuch
grep -q "No dm-couche volume" /tmp/rc.err
ok $? "and says why: $(head -1 /tmp/rc.err)"
rc 2 "status with two volumes is a usage error" $CTL status a b
rc 2 "unknown command exits 2" $CTL frobnicate
rc 0 "--help" $CTL --help
rc 0 "help for a command" $CTL migrate --help
grep -q "usage: couchestorctl migrate" /tmp/rc.out
ok $? "migrate --help prints its usage"

# extents
rc 0 "extents" $CTL extents $VOL
is "$(grep -c ' hot ' /tmp/rc.out)" 10 "10 extents listed in hot"
is "$(awk '$2 == "-"' /tmp/rc.out | wc -l)" 90 "90 never written"
rc 0 "extents --tier hot" $CTL extents $VOL --tier hot
is "$(tail -n +2 /tmp/rc.out | wc -l)" 10 "--tier hot lists 10"
rc 0 "extents --range 2-4" $CTL extents $VOL --range 2-4
is "$(tail -n +2 /tmp/rc.out | awk '{ printf "%s ", $1 }')" "2 3 4 " "--range 2-4 lists 2, 3, 4"
# Heat: reads of never-written extents count too, and nothing else
# touches extents 20-99.
for i in 1 2 3 4 5 6 7 8; do dd if=$DEV of=/dev/null bs=4k count=1 skip=$((50 * 256)) iflag=direct 2>/dev/null; done
for i in 1 2 3 4; do dd if=$DEV of=/dev/null bs=4k count=1 skip=$((40 * 256)) iflag=direct 2>/dev/null; done
rc 0 "extents --top 2 --range 20-99" $CTL extents $VOL --top 2 --range 20-99
is "$(tail -n +2 /tmp/rc.out | awk '{ printf "%s ", $1 }')" "50 40 " "--top 2 is extent 50 then 40"
rc 0 "extents --bottom 3 --range 20-99" $CTL extents $VOL --bottom 3 --range 20-99
is "$(tail -n +2 /tmp/rc.out | awk '{ printf "%s ", $1 }')" "20 21 22 " "--bottom 3 is 20, 21, 22 (cold, ties by index)"
rc 0 "extents --top 3 --tier hot" $CTL extents $VOL --top 3 --tier hot
is "$(tail -n +2 /tmp/rc.out | awk '$2 == "hot"' | wc -l)" 3 "--top 3 --tier hot lists 3 hot extents"
rc 0 "extents --json" $CTL extents $VOL --json --range 50
grep -q '"index": 50' /tmp/rc.out && grep -q '"reads": 8' /tmp/rc.out && grep -q '"tier": null' /tmp/rc.out
ok $? "extents --json shows extent 50 read 8 times, no tier"
rc 2 "--top and --bottom together" $CTL extents $VOL --top 1 --bottom 1
rc 2 "--range 5-2 is a usage error" $CTL extents $VOL --range 5-2
rc 1 "--range past the end is refused" $CTL extents $VOL --range 0-100
grep -q "out of range" /tmp/rc.err
ok $? "with the kernel's reason: $(head -1 /tmp/rc.err)"
rc 1 "--tier unknown" $CTL extents $VOL --tier nosuch
rc 1 "--top past COUCHE_MAX_RANK (65536) is refused" $CTL extents $VOL --top 65537
rc 0 "--top 65536 is allowed" $CTL extents $VOL --top 65536
is "$(tail -n +2 /tmp/rc.out | wc -l)" 100 "and lists the volume's 100 extents"

# migrate, pin, unpin
rc 0 "migrate 0-3 cold --wait" $CTL migrate $VOL 0-3 cold --wait
is "$(for i in 0 1 2 3; do extent_tier $i; done | tr '\n' ' ')" "cold cold cold cold " "extents 0-3 are in cold"
check "their data is intact" pattern verify $DEV 0 1024 51
rc 0 "migrate --json" $CTL migrate $VOL 8 warm --json
grep -q '"queued": 1' /tmp/rc.out
ok $? "migrate --json reports 1 queued"
wait_migrations
rc 0 "pin 4 warm --wait" $CTL pin $VOL 4 warm --wait
is "$(dmsetup message $VOL 0 extents 4 | awk '{ print $2, $6 }')" "warm P-" "extent 4 pinned in warm"
rc 1 "migrating a pinned extent elsewhere is refused" $CTL migrate $VOL 4 hot
grep -q "pinned" /tmp/rc.err
ok $? "and says it is pinned: $(head -1 /tmp/rc.err)"
rc 0 "unpin 4" $CTL unpin $VOL 4
rc 0 "then it moves" $CTL migrate $VOL 4 hot --wait
is "$(extent_tier 4)" hot "extent 4 back in hot"
rc 1 "migrate past the end" $CTL migrate $VOL 0-100 hot
rc 2 "migrate to an unknown tier" $CTL migrate $VOL 0 lukewarm
rc 2 "migrate with a bad range" $CTL migrate $VOL 3-1 hot
rc 2 "migrate without a tier" $CTL migrate $VOL 0

# set
rc 0 "set two parameters" $CTL set $VOL max_migrations=2 migration_mbps=50
dmsetup table $VOL | grep -q "max_migrations 2 migration_mbps 50"
ok $? "the table shows them"
tbl=$(dmsetup table $VOL)
rc 1 "an out-of-range value is refused" $CTL set $VOL heat_halflife_s=60 max_migrations=0
is "$(dmsetup table $VOL)" "$tbl" "and nothing changed (all or nothing)"
rc 1 "cache_mb other than 0 is refused" $CTL set $VOL cache_mb=64
rc 2 "an unknown key is a usage error" $CTL set $VOL bogus=1
rc 2 "reserve_pct is not a runtime knob" $CTL set $VOL reserve_pct=5
rc 2 "a non-number is a usage error" $CTL set $VOL max_migrations=lots
rc 0 "set back" $CTL set $VOL max_migrations=4 migration_mbps=0

# scrub on a volume without raid6
rc 1 "scrub without a raid6 tier is refused" $CTL scrub $VOL
grep -q "no raid6 tier" /tmp/rc.err
ok $? "and says why: $(head -1 /tmp/rc.err)"

# Unprivileged: no uid 0, no capabilities; then root without CAP_SYS_ADMIN
# but with CAP_NET_ADMIN (what GENL_ADMIN_PERM alone would accept).
map=$(dmsetup message $VOL 0 extents 0-99 | md5sum)
NOBODY="/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups"
NOSYS="/usr/bin/setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin"
rc 0 "nobody can read status" $NOBODY $CTL status $VOL
rc 0 "nobody can list extents" $NOBODY $CTL extents $VOL --top 5
for cmd in "migrate $VOL 0 hot" "pin $VOL 0 hot" "unpin $VOL 0" "set $VOL max_migrations=8" "scrub $VOL"; do
	rc 4 "nobody: $cmd gets EPERM (exit 4)" $NOBODY $CTL $cmd
	rc 4 "root without CAP_SYS_ADMIN: $cmd gets EPERM" $NOSYS $CTL $cmd
done
grep -q "CAP_SYS_ADMIN" /tmp/rc.err
ok $? "the refusal names CAP_SYS_ADMIN"
sleep 1
is "$(dmsetup message $VOL 0 extents 0-99 | md5sum)" "$map" "refused commands changed nothing"
dmsetup table $VOL | grep -q "max_migrations 4 "
ok $? "parameters unchanged"

# Events: a migration, then a failed member.
$CTL events $VOL --count 2 --timeout 60 > /tmp/ev.out 2> /tmp/ev.err &
evpid=$!
i=0; while ! grep -q listening /tmp/ev.err && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
rc 0 "migrate 5-6 warm" $CTL migrate $VOL 5-6 warm
wait $evpid
ok $? "events exits 0 after 2 events"
grep -q "migration-done extent 5 tier warm" /tmp/ev.out && grep -q "migration-done extent 6 tier warm" /tmp/ev.out
ok $? "migration-done events for extents 5 and 6: $(tr '\n' ';' < /tmp/ev.out)"

$CTL events --json --count 1 --timeout 60 > /tmp/ev.out 2> /tmp/ev.err &
evpid=$!
i=0; while ! grep -q listening /tmp/ev.err && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "warm device fails" sh -c "dmsetup reload wf --table '0 $WSIZE error' && dmsetup resume wf"
dd if=$DEV of=/dev/null bs=4k count=1 skip=$((5 * 256)) iflag=direct 2>/dev/null
wait $evpid
ok $? "events --json exits 0 after the failure"
grep -q '"event":"member-failed"' /tmp/ev.out && grep -q '"tier":"warm"' /tmp/ev.out
ok $? "member-failed event for warm: $(cat /tmp/ev.out)"
rc 0 "status after the failure" $CTL status $VOL
grep -q "degraded" /tmp/rc.out && grep -q "D:" /tmp/rc.out
ok $? "status shows the volume degraded and the dead member"
rc 1 "events --timeout without enough events exits 1" $CTL events $VOL --count 1 --timeout 1

check "warm device comes back" sh -c "dmsetup reload wf --table '0 $WSIZE linear $WARM 0' && dmsetup resume wf"
check "remove" dmsetup remove $VOL
check "remove wrapper" dmsetup remove wf
rc 3 "the removed volume is gone from netlink" $CTL status $VOL

# Offline check of the metadata device the volume left.
rc 0 "check the metadata device" $CTL check $META
done_testing
