#!/bin/sh
# A failed linear tier device fails only the I/O that touches it, with an
# error, never wrong data; nothing new is placed on it; after it comes
# back and the table is reloaded, its data is intact.
. ./lib.sh
wipe $META $HOT $WARM $COLD
WSIZE=$(blockdev --getsz $WARM)
check "warm device behind a switchable wrapper" dmsetup create wf --table "0 $WSIZE linear $WARM 0"
t="0 409600 couche $META $EXT 3 3 hot linear $HOT 3 warm linear /dev/mapper/wf 3 cold linear $COLD"
check "create volume" dmsetup create $VOL --table "$t"
check "write 100 MiB (hot, then warm)" pattern write $DEV 0 25600 41
is "$(extent_tier 10) $(extent_tier 80)" "hot warm" "extents 10 and 80 in hot and warm"

check "warm device fails" sh -c "dmsetup reload wf --table '0 $WSIZE error' && dmsetup resume wf"
refuse "read of a warm extent fails" dd if=$DEV of=/dev/null bs=4k count=1 skip=$((80 * 256)) iflag=direct
check "read of a hot extent still works" pattern verify $DEV $((10 * 256)) 256 41
status | grep -q "warm 39/127 D"
ok $? "status shows the warm member dead: $(status | cut -d' ' -f4-10)"
check "writes to new extents still succeed" pattern write $DEV $((150 * 256)) 512 42
t150=$(extent_tier 150)
[ "$t150" != warm ]
ok $? "and avoid the dead tier ($t150)"
before=$(mig_field 4)
msg migrate 10 warm
wait_migrations
is "$(mig_field 4)" $((before + 1)) "a migration into the dead tier fails"
is "$(extent_tier 10)" hot "and leaves the extent where it was"
check "data on the hot tier intact" pattern verify $DEV 0 2560 41

check "warm device comes back" sh -c "dmsetup reload wf --table '0 $WSIZE linear $WARM 0' && dmsetup resume wf"
check "reload the volume" sh -c "dmsetup reload $VOL --table '$t' && dmsetup resume $VOL"
status | grep -q "warm 39/127 A"
ok $? "member alive again after the reload"
check "warm data intact" pattern verify $DEV 0 25600 41
check "new data intact" pattern verify $DEV $((150 * 256)) 512 42
check "remove" dmsetup remove $VOL
check "remove wrapper" dmsetup remove wf
done_testing
