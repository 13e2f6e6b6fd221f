#!/bin/sh
# Leaves a raid6 volume for reboot-check.sh: its data in the raid6 tier, and
# member 2 dead while a later extent's stripes were written (so it lacks
# them).  The VM is powered off without removing it; in the next boot
# member 2 is back, member 4 is dead, and the volume must load degraded,
# rebuild member 2 and read right.
. ./lib.sh
p6_slices || { ok 1 "slices of $R6DISK"; done_testing; }
wipe /dev/mapper/p6m /dev/mapper/p6h /dev/mapper/p6c0 /dev/mapper/p6c1 /dev/mapper/p6c2 \
	/dev/mapper/p6c3 /dev/mapper/p6c4 /dev/mapper/p6c5
check "create the raid6 volume" dmsetup create p6 --table "$(p6_table)"
check "write 32 MiB" pattern write /dev/mapper/p6 0 8192 41
check "move extents 0-29 into raid6" dmsetup message p6 0 migrate 0-29 cold
n=0; while dmsetup status p6 | grep -qv ' migrations 0 0 ' && [ $n -lt 300 ]; do sleep 0.2; n=$((n + 1)); done
dmsetup reload p6c2 --table "0 40960 error" && dmsetup resume p6c2
check "move extent 30 while member 2 fails" dmsetup message p6 0 migrate 30 cold
n=0; while dmsetup status p6 | grep -qv ' migrations 0 0 ' && [ $n -lt 300 ]; do sleep 0.2; n=$((n + 1)); done
is "$(dmsetup message p6 0 extents 30 | awk '{ print $2 }') $(p6_health)" "cold AADAAA" "extent 30 is in raid6, member 2 dead"
check "fsync (the commit that names extent 30's stripes)" sync
done_testing
