#!/bin/sh
# Smoke: create a 3-tier volume, write, read back, remove.
. ./lib.sh
wipe $META $HOT $WARM $COLD
check "create 3-tier volume" dmsetup create $VOL --table "$(table 409600)"
check "write 8 MiB" pattern write $DEV 0 2048 7
check "read back" pattern verify $DEV 0 2048 7
dmsetup status $VOL
check "remove" dmsetup remove $VOL
done_testing
