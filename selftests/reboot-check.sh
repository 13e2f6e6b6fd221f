#!/bin/sh
# Second boot: the volume 90-persist-write.sh left behind loads, with the
# same map and data, after a power-off without a clean removal; and the
# raid6 volume 92-persist-raid6.sh left loads degraded and rebuilds the
# member that missed writes; then two replacements start their rebuild and
# the VM is powered off (reboot-check2.sh goes on).
. ./lib.sh
check "create volume after reboot" dmsetup create $VOL --table "$(table 819200)"
want=$(dd if=$SPARE bs=4k count=1 2>/dev/null | tr -d '\0' | head -n 1)
got=$(dmsetup message $VOL 0 extents 0-199 | awk '{ print $2 }' | md5sum | cut -d' ' -f1)
is "$got" "$want" "map after reboot matches the map before"
check "rewritten range after reboot" pattern verify $DEV 0 2560 32
check "rest of the data after reboot" pattern verify $DEV 2560 48640 31
check "remove" dmsetup remove $VOL

# 92-persist-raid6.sh's volume: member 2 missed extent 30's stripes before
# the power-off; now it is back and member 4 is a dead disk.
check "slices, member 4 unreadable" p6_slices 4
check "the raid6 volume loads degraded" dmsetup create p6 --table "$(p6_table)"
h=$(p6_health)
[ "$h" = AAaADA ] || [ "$h" = AAAADA ]
ok $? "member 4 is dead, member 2 is rebuilt, not trusted ($h)"
n=0; while [ "$(p6_health)" != AAAADA ] && [ $n -lt 300 ]; do sleep 0.2; n=$((n + 1)); done
is "$(p6_health)" AAAADA "member 2 rebuilt"
check "every extent reads right with member 4 dead" pattern verify /dev/mapper/p6 0 8192 41
dmsetup reload p6c0 --table "0 40960 error" && dmsetup resume p6c0
check "and with members 0 and 4 dead (from the rebuilt member 2)" pattern verify /dev/mapper/p6 0 8192 41

# Two blank replacements, for 0 and 4, rebuilt at 1 MB/s: the power goes
# off mid-rebuild; reboot-check2.sh finishes both.
for i in 0 4; do
	dmsetup reload p6c$i --table "0 40960 linear $R6DISK $((81920 + i * 40960))" &&
		dmsetup resume p6c$i && wipe /dev/mapper/p6c$i
done
check "reload with blank members 0 and 4, rebuilt at 1 MB/s" sh -c \
	"dmsetup reload p6 --table '$(p6_table) 2 migration_mbps 1' && dmsetup resume p6"
sleep 2
h=$(p6_health)
[ "$h" = aAAAaA ]
ok $? "both are being rebuilt when the power goes ($h)"
done_testing
