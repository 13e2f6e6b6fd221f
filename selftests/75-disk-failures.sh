#!/bin/sh
# Disks failing the way real disks do (issue 12): two replacements rebuilt
# at once then two other members lost; a raid6 member and a linear device
# that fail their flushes (the volume stays writable, fsync works); a
# member that missed writes and comes back is rebuilt, not trusted; a tier
# loads degraded with a member unreadable or missing ("-"); a second dm
# device over the same devices is refused.
. ./lib.sh
insmod /lib/modules/brd.ko rd_nr=8 rd_size=32768 || { ok 1 "load brd"; done_testing; }
R=""
for i in 0 1 2 3 4 5 6 7; do
	dmsetup create r$i --table "0 65536 linear /dev/ram$i 0"
	[ $i -ge 6 ] || R="$R /dev/mapper/r$i"
done
sum40() { dd if=$DEV bs=1M count=40 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1; }
tbl() { echo "0 204800 couche $META $EXT 2 3 hot linear $HOT 10 cold raid6 4 128 $*"; }

# 1. Two blank replacements rebuilt at once, then two other members lost.
wipe $META $HOT
check "create a volume with a 4+2 raid6 tier" dmsetup create $VOL --table "$(tbl $R)"
check "write 40 MiB" pattern write $DEV 0 10240 61
check "move it into raid6" msg migrate 0-39 cold
check "migrations drain" wait_migrations
want=$(sum40)
wipe /dev/mapper/r6 /dev/mapper/r7
R2="/dev/mapper/r0 /dev/mapper/r6 /dev/mapper/r2 /dev/mapper/r3 /dev/mapper/r7 /dev/mapper/r5"
check "reload with blank devices in slots 1 and 4" sh -c "dmsetup reload $VOL --table '$(tbl $R2)' && dmsetup resume $VOL"
check "both are rebuilt (AAAAAA)" wait_health AAAAAA
fail 0 2
is "$(sum40)" "$want" "with members 0 and 2 dead, the data reads right from the two rebuilt ones"
check "remove" dmsetup remove $VOL
for m in 0 2; do dmsetup reload r$m --table "0 65536 linear /dev/ram$m 0" && dmsetup resume r$m; done

# 2. A raid6 member that fails flushes (and writes), reads fine.  Flushes
# reach only devices with a write cache: this member lives on a virtio disk.
wipe $COLD
dmsetup remove r3 && dmsetup create r3 --table "0 65536 linear $COLD 0"
wipe $META $HOT /dev/mapper/r0 /dev/mapper/r1 /dev/mapper/r2 /dev/mapper/r3 /dev/mapper/r4 /dev/mapper/r5
check "create the volume again (member 3 on a disk with a write cache)" dmsetup create $VOL --table "$(tbl $R)"
check "write 40 MiB" pattern write $DEV 0 10240 62
check "move extents 0-29 into raid6" msg migrate 0-29 cold
check "migrations drain" wait_migrations
check "member 3 fails its writes and flushes from now on" sh -c \
	"dmsetup reload r3 --table '0 65536 flakey $COLD 0 0 1 1 error_writes' && dmsetup resume r3"
check "fsync of a write to the hot tier works" sh -c "dd if=/dev/zero of=$DEV bs=4k count=1 seek=$((35 * 256)) conv=fsync,notrunc 2>/dev/null"
check "a first write and fsync work (a commit)" sh -c "dd if=/dev/zero of=$DEV bs=4k count=1 seek=$((45 * 256)) conv=fsync,notrunc 2>/dev/null"
dmsetup status $VOL | grep -q ' cold [0-9]*/[0-9]* AAADAA '
ok $? "member 3 is marked dead ($(health))"
check "the volume is still writable" pattern write $DEV $((46 * 256)) 256 63
check "and a second fsync works" sh -c "dd if=/dev/zero of=$DEV bs=4k count=1 seek=$((47 * 256)) conv=fsync,notrunc 2>/dev/null"
check "raid6 extents read right, degraded" pattern verify $DEV 0 7680 62
check "remove" dmsetup remove $VOL
dmsetup remove r3 && dmsetup create r3 --table "0 65536 linear /dev/ram3 0"

# 3. A linear device (warm, empty, on a virtio disk) that fails its
# flushes: one fsync may fail, the device is marked dead, the volume goes on.
dmsetup remove r6 && dmsetup create r6 --table "0 65536 linear $COLD 65536"
wipe $META $HOT /dev/mapper/r6
check "a volume with an empty warm tier" dmsetup create $VOL --table \
	"0 40960 couche $META $EXT 2 3 hot linear $HOT 3 warm linear /dev/mapper/r6"
check "write 10 MiB" pattern write $DEV 0 2560 64
dmsetup reload r6 --table "0 65536 flakey $COLD 65536 0 1 1 error_writes" && dmsetup resume r6
dd if=/dev/zero of=$DEV bs=4k count=1 seek=$((12 * 256)) conv=fsync,notrunc 2>/dev/null
status | grep -q ' warm [0-9]*/[0-9]* D '
ok $? "warm is marked dead after its flush failed"
check "the next fsync works" sh -c "dd if=/dev/zero of=$DEV bs=4k count=1 seek=$((13 * 256)) conv=fsync,notrunc 2>/dev/null"
check "the volume is writable" pattern write $DEV 0 256 65
check "data on hot reads right" pattern verify $DEV 256 2304 64
check "remove" dmsetup remove $VOL
dmsetup remove r6 && dmsetup create r6 --table "0 65536 linear /dev/ram6 0"

reload() { dmsetup reload $VOL --table "$1" && dmsetup resume $VOL; }

# 4. A member that missed writes is not trusted again: it dies as a
# migration writes stripes, comes back, and is rebuilt before it serves.
wipe $META $HOT /dev/mapper/r0 /dev/mapper/r1 /dev/mapper/r2 /dev/mapper/r3 /dev/mapper/r4 /dev/mapper/r5
check "a volume over six good members" dmsetup create $VOL --table "$(tbl $R)"
check "write 40 MiB" pattern write $DEV 0 10240 66
check "move extents 0-19 into raid6" msg migrate 0-19 cold
check "migrations drain" wait_migrations
fail 2
check "move extents 20-29 while member 2 fails (the first one still goes)" msg migrate 20-29 cold
wait_migrations
is "$(extent_tier 20)" cold "extent 20 moved with member 2 dead"
is "$(health)" AADAAA "member 2 is dead"
want=$(sum40)
heal 2
check "member 2 comes back; reload" reload "$(tbl $R)"
h=$(health)
[ "$h" = AAaAAA ] || [ "$h" = AAAAAA ]
ok $? "the returning member is rebuilt, not trusted ($h)"
check "rebuilt (AAAAAA)" wait_health AAAAAA
dmesg | grep -q "stale member 2 of tier cold"
ok $? "the kernel log says it was stale"
fail 0 1
is "$(sum40)" "$want" "with members 0 and 1 dead, the data reads right"
heal 0 1
check "remove" dmsetup remove $VOL

# 5. Degraded activation: a member unreadable at load, or missing ("-").
wipe $META $HOT /dev/mapper/r0 /dev/mapper/r1 /dev/mapper/r2 /dev/mapper/r3 /dev/mapper/r4 /dev/mapper/r5
check "a volume over six good members" dmsetup create $VOL --table "$(tbl $R)"
check "write 40 MiB" pattern write $DEV 0 10240 67
check "move it all into raid6" msg migrate 0-39 cold
check "migrations drain" wait_migrations
want=$(sum40)
check "remove" dmsetup remove $VOL
fail 4
check "the volume loads with member 4 unreadable" dmsetup create $VOL --table "$(tbl $R)"
is "$(health)" AAAADA "status shows member 4 dead"
dmesg | grep -q "tier cold loads degraded: member 4 is unreadable"
ok $? "the kernel log says the tier loads degraded"
is "$(sum40)" "$want" "every extent reads right, degraded"
check "a write to a raid6 extent works (it moves up)" pattern write $DEV 0 256 68
check "and reads back" pattern verify $DEV 0 256 68
check "remove" dmsetup remove $VOL
heal 4
R5="/dev/mapper/r0 - /dev/mapper/r2 /dev/mapper/r3 /dev/mapper/r4 /dev/mapper/r5"
check "the volume loads with member 1 given as -" dmsetup create $VOL --table "$(tbl $R5)"
h=$(health)
echo "$h" | grep -q "^AD"
ok $? "status shows member 1 dead ($h)"
dmsetup table $VOL | grep -q " /dev/mapper/r0 - \| [0-9]*:[0-9]* - "
ok $? "the table echoes - for it"
check "extents 1-39 read right" pattern verify $DEV 256 9984 67
wipe /dev/mapper/r6
R6="/dev/mapper/r0 /dev/mapper/r6 /dev/mapper/r2 /dev/mapper/r3 /dev/mapper/r4 /dev/mapper/r5"
check "a blank device in its place" reload "$(tbl $R6)"
check "is rebuilt (AAAAAA)" wait_health AAAAAA
fail 0 2
check "and serves with members 0 and 2 dead" pattern verify $DEV 256 9984 67
heal 0 2
check "remove" dmsetup remove $VOL
R3="/dev/mapper/r0 - - /dev/mapper/r3 - /dev/mapper/r5"
refuse "three members missing are refused" dmsetup create $VOL --table "$(tbl $R3)"
dmesg | grep -q "3 of its members are missing"
ok $? "and the kernel log says how many"

# 6. Two dm devices over one volume's devices: the second is refused.
wipe $META $HOT /dev/mapper/r0 /dev/mapper/r1 /dev/mapper/r2 /dev/mapper/r3 /dev/mapper/r4 /dev/mapper/r5
check "vol0" dmsetup create $VOL --table "$(tbl $R)"
check "write to it" pattern write $DEV 0 2560 69
refuse "a second device over the same table is refused" dmsetup create vol1 --table "$(tbl $R)"
dmesg | grep -q "in use by couche volume $VOL"
ok $? "the kernel log names the volume using them"
wipe $SPARE
refuse "a second device sharing the members (another metadata device) is refused" \
	dmsetup create vol1 --table "0 204800 couche $SPARE $EXT 2 3 hot linear $HOT 10 cold raid6 4 128 $R"
is "$(sum1m $SPARE)" "$(dd if=/dev/zero bs=1M count=1 2>/dev/null | md5sum | cut -d' ' -f1)" "nothing was written to its metadata device"
check "vol0's own reload still works" reload "$(tbl $R)"
check "and its data is intact" pattern verify $DEV 0 2560 69
check "remove" dmsetup remove $VOL

for i in 0 1 2 3 4 5 6 7; do dmsetup remove r$i; done
rmmod brd
done_testing
