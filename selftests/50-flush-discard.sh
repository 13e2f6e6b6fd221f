#!/bin/sh
# Flush and FUA reach the tier devices, a migration's commit flushes the
# device it copied to, discards unmap whole extents and pass down with
# discard_passdown, and the stacked limits are right.
. ./lib.sh
wipe $META $HOT $WARM $COLD
insmod /lib/modules/brd.ko rd_nr=1 rd_size=65536
# The hot tier goes through dm-log-writes to see what reaches it.
check "log-writes over the hot device" dmsetup create lwh --table "0 131072 log-writes $HOT /dev/ram0"
t="0 409600 couche $META $EXT 3 3 hot linear /dev/mapper/lwh 3 warm linear $WARM 3 cold linear $COLD"
check "create volume" dmsetup create $VOL --table "$t"
flushes() { dmsetup message lwh 0 mark m$1; replay-log list /dev/ram0 | awk '$2 % 2 == 1' | wc -l; }

check "write to the hot tier" pattern write $DEV 0 256 1
f0=$(flushes 0)
check "fsync of the volume" sh -c "dd if=/dev/zero of=$DEV bs=4k count=1 seek=10 conv=fsync 2>/dev/null"
f1=$(flushes 1)
[ "$f1" -gt "$f0" ]
ok $? "a flush of the volume reaches the hot device ($f0 -> $f1)"
fua0=$(replay-log list /dev/ram0 | awk '$2 == 2' | wc -l)
check "O_DSYNC direct write" pattern write-dsync $DEV 11 1 3
dmsetup message lwh 0 mark m2
fua1=$(replay-log list /dev/ram0 | awk '$2 % 4 >= 2' | wc -l)
[ "$fua1" -gt "$fua0" ]
ok $? "FUA reaches the hot device ($fua0 -> $fua1)"

# A migration into hot, with no flush from above: its commit flushes hot.
check "write to extent 100 (warm after hot)" pattern write $DEV $((100 * 256)) 256 2
msg migrate 100 cold
wait_migrations
g0=$(flushes 3)
msg migrate 100 hot
check "migration into hot" wait_migrations
g1=$(flushes 4)
[ "$g1" -gt "$g0" ]
ok $? "migration commit flushed the destination ($g0 -> $g1)"
check "remove" dmsetup remove $VOL
dmsetup remove lwh

# Limits: no discard without discard_passdown, discard with it.
wipe $META $HOT $WARM $COLD
check "volume on ramdisks" dmsetup create $VOL --table "0 40960 couche $META $EXT 2 3 hot linear $HOT 3 warm linear $WARM"
dm=$(dmsetup info -c -o blkdevname --noheadings $VOL)
is "$(cat /sys/block/$dm/queue/discard_max_bytes)" 1048576 "discards are taken without discard_passdown (they unmap extents)"
is "$(cat /sys/block/$dm/queue/discard_granularity)" 1048576 "in whole extents"
check "write 2 MiB" pattern write $DEV 0 512 9
check "discard extent 0" blkdiscard -o 0 -l 1048576 $DEV
check "it reads as zeros" cmp -n 1048576 $DEV /dev/zero
check "extent 1 keeps its data" pattern verify $DEV 256 256 9
is "$(dmsetup message $VOL 0 extents 0 | awk '{ print $2 }')" "-" "extent 0 is unmapped"
check "remove" dmsetup remove $VOL
check "with discard_passdown" dmsetup create $VOL --table "0 40960 couche $META $EXT 2 3 hot linear $HOT 3 warm linear $WARM 1 discard_passdown"
dm=$(dmsetup info -c -o blkdevname --noheadings $VOL)
max=$(cat /sys/block/$dm/queue/discard_max_bytes)
[ "$max" -gt 0 ] && [ "$max" -le 1048576 ]
ok $? "discard_max_bytes is at most one extent ($max)"
is "$(cat /sys/block/$dm/queue/logical_block_size)" "$(cat /sys/block/vdb/queue/logical_block_size)" "logical block size stacked from the devices"
check "write 3 MiB" pattern write $DEV 0 768 4
check "discard 2 MiB across an extent boundary" blkdiscard -o 524288 -l 2097152 $DEV
check "discarded range reads as zeros" cmp -n 2097152 $DEV /dev/zero 524288
check "data outside it is kept" pattern verify $DEV 0 128 4
check "data after it is kept" pattern verify $DEV 640 128 4
check "discard of never-written extents" blkdiscard -o 10485760 -l 2097152 $DEV
check "remove" dmsetup remove $VOL

# read_only: writes fail, reads work, nothing is written.
wipe $META $HOT $WARM $COLD
dmsetup create $VOL --table "$(table 409600)"
pattern write $DEV 0 256 5
dmsetup remove $VOL
sum=$(sum1m $META)
check "read_only volume" dmsetup create $VOL --table "$(table 409600 read_only)"
check "reads work" pattern verify $DEV 0 256 5
refuse "writes fail" dd if=/dev/zero of=$DEV bs=4k count=1 oflag=direct
refuse "migrate is refused" msg migrate 0 cold
check "remove" dmsetup remove $VOL
is "$(sum1m $META)" "$sum" "read_only wrote no metadata"
rmmod brd
done_testing
