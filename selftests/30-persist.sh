#!/bin/sh
# Data survives suspend/resume, table reload, remove/create and module
# reload, with extents spread over all tiers.
. ./lib.sh
wipe $META $HOT $WARM $COLD
check "create volume" dmsetup create $VOL --table "$(table 819200)"
check "write 120 MiB" pattern write $DEV 0 30720 21
msg migrate 0-39 cold
msg migrate 40-79 warm
msg migrate 80-119 hot
check "migrations drain" wait_migrations
is "$(extent_tier 20) $(extent_tier 60) $(extent_tier 100)" "cold warm hot" "extents spread over the tiers"
map=$(dmsetup message $VOL 0 extents 0-119 | awk '{ print $2 }' | md5sum)

check "suspend" dmsetup suspend $VOL
refuse "pin while suspended is refused (it could not be committed)" msg pin 0 hot
check "resume" dmsetup resume $VOL
check "data after suspend/resume" pattern verify $DEV 0 30720 21

# A reload while migrations are queued: the old table commits on suspend,
# the new one rereads the map before it takes I/O.
msg set migration_mbps 2
msg migrate 0-9 hot
check "reload the table" dmsetup reload $VOL --table "$(table 819200)"
check "resume into the new table" dmsetup resume $VOL
check "data after reload" pattern verify $DEV 0 30720 21
moved=0
for e in 0 1 2 3 4 5 6 7 8 9; do [ "$(extent_tier $e)" = hot ] && moved=$((moved + 1)); done
echo "# extents moved to hot before the reload: $moved"
check "write after the reload" pattern write $DEV 0 256 22

check "remove" dmsetup remove $VOL
check "create again" dmsetup create $VOL --table "$(table 819200)"
check "data after remove/create" pattern verify $DEV 256 30464 21
check "and the write after the reload" pattern verify $DEV 0 256 22
is "$(extent_tier 5)" "$(if [ $moved -gt 5 ]; then echo hot; else echo cold; fi)" "map after remove/create matches the map before"

check "remove" dmsetup remove $VOL
check "unload the module" rmmod dm-couche
check "load it again" insmod /lib/modules/dm-couche.ko
check "create again" dmsetup create $VOL --table "$(table 819200)"
check "data after module reload" pattern verify $DEV 256 30464 21
is "$(extent_tier 60) $(extent_tier 100)" "warm hot" "map after module reload"

# Growing the volume keeps the data and adds empty extents.
check "grow to 430 extents" sh -c "dmsetup reload $VOL --table \"$(table 880640)\" && dmsetup resume $VOL"
check "data after growing" pattern verify $DEV 256 30464 21
check "new extents read as zeros" cmp -n 1048576 $DEV /dev/zero $((429 * 1048576))
check "and take writes" pattern write $DEV $((429 * 256)) 256 23
check "remove" dmsetup remove $VOL
done_testing
