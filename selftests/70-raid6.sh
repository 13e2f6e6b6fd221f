#!/bin/sh
# raid6 cold tier (4+2 on ramdisks behind switchable wrappers): extents
# migrate in and out; every pair of dead members still reads correct data;
# writes while degraded move the extent up first; a third failure gives
# I/O errors, never wrong data.
. ./lib.sh
insmod /lib/modules/brd.ko rd_nr=7 rd_size=32768 || { ok 1 "load brd"; done_testing; }
R=""
for i in 0 1 2 3 4 5 6; do
	dmsetup create r$i --table "0 65536 linear /dev/ram$i 0"
	[ $i = 6 ] || R="$R /dev/mapper/r$i"
done
wipe $META $HOT
TBL="0 204800 couche $META $EXT 2 3 hot linear $HOT 10 cold raid6 4 128$R"
reload() { dmsetup reload $VOL --table "$TBL" && dmsetup resume $VOL; }
sum40() { dd if=$DEV bs=1M count=40 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1; }

check "create volume with a 4+2 raid6 tier" dmsetup create $VOL --table "$TBL"
status | grep -q "cold 0/124 AAAAAA"
ok $? "status: 124 extents of raid6, six members alive ($(status | cut -d' ' -f7-9))"
dmesg | grep -m1 'raid6: .*gen()' | sed 's/^/# /'
echo "$(dmsetup table $VOL)" | grep -q "10 cold raid6 4 128 "
ok $? "table echoes the raid6 tier"

check "write 40 MiB" pattern write $DEV 0 10240 51
want=$(sum40)
check "move extents 0-39 into raid6" msg migrate 0-39 cold
check "migrations drain" wait_migrations
is "$(extent_tier 0) $(extent_tier 39) $(mig_field 4)" "cold cold 0" "all 40 in the raid6 tier, none failed"
check "data reads back from raid6" pattern verify $DEV 0 10240 51

pairs=0
bad=0
for i in 0 1 2 3 4 5; do
	for j in 0 1 2 3 4 5; do
		[ $j -gt $i ] || continue
		fail $i $j
		got=$(sum40)
		[ "$got" = "$want" ] || { bad=$((bad + 1)); echo "# members $i+$j dead: data differs"; }
		heal $i $j
		reload
		pairs=$((pairs + 1))
	done
done
is "$bad" 0 "correct data with every pair of members dead ($pairs pairs)"

fail 1 4
check "read with members 1 and 4 dead" pattern verify $DEV 0 2560 51
is "$(health)" "ADAADA" "status shows the dead members"
check "write into a raid6 extent while degraded" pattern write $DEV $((5 * 256)) 256 52
is "$(extent_tier 5)" hot "the extent moved up first"
check "the write reads back" pattern verify $DEV $((5 * 256)) 256 52
check "the extent's other data survived the move" pattern verify $DEV $((5 * 256 + 256)) 256 51
before=$(mig_field 4)
msg migrate 5 cold
wait_migrations
is "$(mig_field 4)" $((before + 1)) "no migration into a degraded raid6 tier"
fail 0
refuse "a third dead member: read fails" dd if=$DEV of=/dev/null bs=4k count=1 skip=$((10 * 256)) iflag=direct
heal 0 1 4
check "reload with members back" reload
status | grep -q "cold 39/124 AAAAAA"
ok $? "all members alive after the reload"
check "all data verifies" sh -c "pattern verify $DEV 0 1280 51 && pattern verify $DEV 1280 256 52 && pattern verify $DEV 1536 8704 51"
# Replace member 2 by a blank device: rebuilt online, throttled; then
# the rebuilt member must carry real data (two others dead).
R2=$(echo "$R" | sed 's|/dev/mapper/r2 |/dev/mapper/r6 |')
TBL2="0 204800 couche $META $EXT 2 3 hot linear $HOT 10 cold raid6 4 128$R2 2 migration_mbps 2"
check "reload with a blank device as member 2" sh -c "dmsetup reload $VOL --table '$TBL2' && dmsetup resume $VOL"
is "$(health)" "AAaAAA" "member 2 shows as rebuilding"
check "reads verify during the rebuild" pattern verify $DEV 0 1280 51
before=$(mig_field 4)
msg migrate 5 cold
wait_migrations
is "$(mig_field 4)" $((before + 1)) "no migration into the tier while it rebuilds"
msg set migration_mbps 0
check "rebuild finishes" wait_health AAAAAA
fail 0 1
check "with members 0 and 1 dead, data comes from the rebuilt member" \
	sh -c "pattern verify $DEV 0 1280 51 && pattern verify $DEV 1536 8704 51"
heal 0 1
check "reload" sh -c "dmsetup reload $VOL --table '${TBL2% 2 migration_mbps 2}' && dmsetup resume $VOL"
is "$(health)" "AAAAAA" "the rebuilt member is a full member after a reload"

# The replaced device back in its slot: it is stale, so it is rebuilt.
check "reload with the old member 2 back" reload
check "it is rebuilt" wait_health AAAAAA
dmesg | grep -q "stale member 2 of tier cold"
ok $? "the kernel log says it was stale"
fail 3 4
check "with members 3 and 4 dead, data verifies" sh -c "pattern verify $DEV 0 1280 51 && pattern verify $DEV 1536 8704 51"
heal 3 4
check "reload" reload

# Scrub: silent corruption of a data chunk (member 3, stripe 0: data 1 of
# extent 0) and of a P chunk (member 1, stripe 1) is found and repaired.
is "$(dmsetup message $VOL 0 extents 0 | awk '{ print $2 }')" cold "extent 0 is in slot 0 of cold"
dd if=/dev/urandom of=/dev/ram3 bs=4096 seek=257 count=1 conv=notrunc,fsync 2>/dev/null
dd if=/dev/urandom of=/dev/ram1 bs=4096 seek=273 count=1 conv=notrunc,fsync 2>/dev/null
refuse "the corrupted data chunk reads wrong before the scrub" pattern verify $DEV 0 256 51
check "scrub" msg scrub
refuse "a second scrub while one runs is refused" msg scrub
n=0; while status | grep -q "scrub running" && [ $n -lt 300 ]; do sleep 0.2; n=$((n + 1)); done
sc=$(status | sed 's/.*scrub \([a-z]* [0-9]* [0-9]* [0-9]*\).*/\1/')
echo "# scrub: $sc"
used=$(status | awk '{ for (i = 1; i <= NF; i++) if ($i == "cold") { split($(i+1), a, "/"); print a[1] } }')
is "$sc" "idle $((used * 4)) 2 0" "scrub checked every stripe in use, repaired both chunks"
check "data reads right after the scrub" pattern verify $DEV 0 256 51
fail 0 2
check "and with members 0 and 2 dead (parity repaired too)" sh -c "pattern verify $DEV 0 1280 51 && pattern verify $DEV 1536 8704 51"
heal 0 2
check "reload" reload

# A corrupted chunk of an extent that leaves the tier is caught by the
# parity check of the move (all members are read anyway) and repaired.
dd if=/dev/urandom of=/dev/ram4 bs=4096 seek=$((256 + 64 + 2)) count=1 conv=notrunc,fsync 2>/dev/null
repaired() { status | awk '{ for (i = 1; i <= NF; i++) if ($i == "scrub") print $(i+3) }'; }
rep=$(repaired)
check "move everything back out of raid6" msg migrate 0-39 hot
wait_migrations
is "$(extent_tier 20)" hot "extent 20 back in hot"
is "$(repaired)" $((rep + 1)) "the move found and repaired the corrupted chunk"
check "data verifies after moving out" sh -c "pattern verify $DEV 0 1280 51 && pattern verify $DEV 1536 8704 51"
check "remove" dmsetup remove $VOL

# Identity: members in the wrong order, or of this volume as a new one's.
swapped=$(echo "$R" | sed 's|/dev/mapper/r0 /dev/mapper/r1|/dev/mapper/r1 /dev/mapper/r0|')
refuse "raid6 members in the wrong order" dmsetup create bad --table "0 204800 couche $META $EXT 2 3 hot linear $HOT 10 cold raid6 4 128$swapped"
dmsetup remove bad 2>/dev/null
wipe $SPARE
refuse "a raid6 member of another volume" dmsetup create bad --table "0 204800 couche $SPARE $EXT 2 3 hot linear $WARM 10 cold raid6 4 128$R"
dmsetup remove bad 2>/dev/null
for i in 0 1 2 3 4 5 6; do dmsetup remove r$i; done
rmmod brd
done_testing
