#!/bin/sh
# Second boot: the volume 90-persist-write.sh left behind loads, with the
# same map and data, after a power-off without a clean removal.
. ./lib.sh
check "create volume after reboot" dmsetup create $VOL --table "$(table 819200)"
want=$(dd if=$SPARE bs=4k count=1 2>/dev/null | tr -d '\0' | head -n 1)
got=$(dmsetup message $VOL 0 extents 0-199 | awk '{ print $2 }' | md5sum | cut -d' ' -f1)
is "$got" "$want" "map after reboot matches the map before"
check "rewritten range after reboot" pattern verify $DEV 0 2560 32
check "rest of the data after reboot" pattern verify $DEV 2560 48640 31
check "remove" dmsetup remove $VOL
done_testing
