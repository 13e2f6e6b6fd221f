#!/bin/sh
# Leaves a volume with data in every tier for reboot-check.sh, which runs
# in the next boot.  The VM is powered off without removing it.
. ./lib.sh
wipe $META $HOT $WARM $COLD
check "create volume" dmsetup create $VOL --table "$(table 819200)"
check "write 200 MiB" pattern write $DEV 0 51200 31
msg migrate 0-49 cold
msg migrate 50-99 warm
check "migrations drain" wait_migrations
check "rewrite a range after the moves" pattern write $DEV 0 2560 32
dmsetup message $VOL 0 extents 0-199 | awk '{ print $2 }' | md5sum | cut -d' ' -f1 > /tmp/map
dd if=/tmp/map of=$SPARE bs=4k count=1 conv=sync,fsync 2>/dev/null
check "map recorded" test -s /tmp/map
done_testing
