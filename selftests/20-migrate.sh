#!/bin/sh
# Online migration: fio writes with verification while extents move in
# every direction; pins hold extents; heat is counted; the throttle works.
. ./lib.sh
wipe $META $HOT $WARM $COLD
check "create volume" dmsetup create $VOL --table "$(table 819200)"

FIO="fio --filename=$DEV --bs=4k --size=56M --direct=1 --ioengine=libaio --iodepth=8 \
 --verify=crc32c --randrepeat=1 --norandommap=0 --group_reporting"

# Random migrations of random ranges of the 56 extents fio uses (all fit in
# any tier, so none may fail) until told to stop.
shuffle() {
	while [ -e /tmp/shuffle ]; do
		first=$((RANDOM % 56)); last=$((first + RANDOM % 6)); [ $last -gt 55 ] && last=55
		dmsetup message $VOL 0 migrate $first-$last $((RANDOM % 3)) 2>/dev/null
		sleep 0.05
	done
}
touch /tmp/shuffle
shuffle &
pid=$!
check "fio random read/write, verified, while extents migrate" $FIO --name=rw --rw=randrw --verify_backlog=512
check "fio random writes, verified, while extents migrate" $FIO --name=w --rw=randwrite --verify_backlog=512
rm -f /tmp/shuffle
wait $pid
check "migrations drain" wait_migrations
done=$(mig_field 3)
echo "# migrations done: $done, failed: $(mig_field 4)"
[ "$done" -ge 50 ]
ok $? "at least 50 migrations ran during the I/O ($done)"
is "$(mig_field 4)" 0 "no migration failed"
for t in hot warm cold; do
	[ "$(tier_used $t)" -gt 0 ]
	ok $? "tier $t holds extents after the shuffle"
done
check "everything verifies after the migrations" $FIO --name=w --rw=randwrite --verify_only

# Every direction, explicitly, with reads verified after each.
for dst in cold warm hot cold hot; do
	last=55
	msg migrate 0-$last $dst
	wait_migrations
	n=0
	for e in 0 17 50 $last; do [ "$(extent_tier $e)" = $dst ] || n=$((n + 1)); done
	is $n 0 "extents 0-$last moved to $dst"
	check "data verifies in $dst" $FIO --name=w --rw=randwrite --verify_only
done

# Pins.
check "pin 10-12 to cold" msg pin 10-12 cold
wait_migrations
is "$(extent_tier 11)" cold "pinned extent moved to cold"
dmsetup message $VOL 0 extents 10-12 | grep -c " P-$" > /tmp/p
is "$(cat /tmp/p)" 3 "extents report the pin"
refuse "migrating a pinned extent elsewhere is refused" msg migrate 11 hot
check "migrating it to its own tier is allowed" msg migrate 11 cold
check "a new pin overrides the old one" msg pin 12 hot
wait_migrations
is "$(extent_tier 12)" hot "re-pinned extent moved to hot"
check "unpin" msg unpin 10-12
check "then it moves" msg migrate 10-12 warm
wait_migrations
is "$(extent_tier 11)" warm "unpinned extent moved to warm"
check "pin an unwritten extent to warm" msg pin 399 warm
check "write it" pattern write $DEV $((399 * 256)) 256 9
is "$(extent_tier 399)" warm "its first write landed in the pinned tier"
msg unpin 399

# Heat: reads and writes per extent, and a decaying score.
dd if=$DEV of=/dev/null bs=4k count=200 skip=$((30 * 256)) iflag=direct 2>/dev/null
line=$(dmsetup message $VOL 0 extents 30)
echo "# extents 30: $line"
reads=$(echo "$line" | awk '{ print $3 }')
[ "$reads" -ge 200 ]
ok $? "200 reads counted on extent 30 ($reads)"
heat=$(echo "$line" | awk '{ print int($5) }')
[ "$heat" -ge 100 ]
ok $? "heat score rose ($heat)"
check "shorten the half-life" msg set heat_halflife_s 1
sleep 3
heat2=$(dmsetup message $VOL 0 extents 30 | awk '{ print int($5) }')
[ "$heat2" -lt $((heat / 4 + 1)) ]
ok $? "heat decays with heat_halflife_s ($heat -> $heat2)"

# Throttle: 1 MB/s with 1 MiB extents cannot move 16 extents in 1.5 s.
check "write extents 60-75" pattern write $DEV $((60 * 256)) $((16 * 256)) 8
msg migrate 60-75 cold
wait_migrations
check "set migration_mbps 1" msg set migration_mbps 1
before=$(mig_field 3)
msg migrate 60-75 warm
sleep 1.5
moved=$(( $(mig_field 3) - before ))
[ $moved -le 4 ]
ok $? "throttle holds migrations back ($moved of 16 in 1.5 s)"
# Paced, not starved: at 4 MiB/s about ten extents start in 2.5 s.
check "set migration_mbps 4" msg set migration_mbps 4
before2=$(mig_field 3)
sleep 2.5
moved=$(( $(mig_field 3) - before2 ))
[ $moved -ge 5 ] && [ $moved -le 13 ]
ok $? "throttle paces migrations at 4 MiB/s ($moved extents in 2.5 s, about 10 expected)"
check "lift the throttle" msg set migration_mbps 0
check "queue drains" wait_migrations
is "$(( $(mig_field 3) - before ))" 16 "all 16 moved"
check "max_migrations is settable" msg set max_migrations 1
msg migrate 60-75 cold
check "queue drains with one at a time" wait_migrations
is "$(extent_tier 75)" cold "moved with max_migrations 1"
check "final verify" $FIO --name=w --rw=randwrite --verify_only
check "extents 60-75 verify" pattern verify $DEV $((60 * 256)) $((16 * 256)) 8
check "remove" dmsetup remove $VOL
done_testing
