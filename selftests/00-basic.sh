#!/bin/sh
# A 3-tier volume: creation, status line, zeros where never written,
# fastest tier first, table echo.
. ./lib.sh
wipe $META $HOT $WARM $COLD
LEN=819200	# 400 MiB of the 445 extents the tiers hold
check "create 3-tier volume" dmsetup create $VOL --table "$(table $LEN)"

s=$(status)
echo "# status: $s"
echo "$s" | grep -qE '^[0-9]+/[0-9]+ 2048 3 hot 0/63 A warm 0/127 A cold 0/255 A migrations 0 0 0 0 cache 0 0 scrub idle 0 0 0 space 0 0 0 0 read_errors 0 0$'
ok $? "status line of an empty volume has every field"

check "never-written volume reads as zeros" cmp -n 419430400 $DEV /dev/zero
is "$(tier_used hot)" 0 "reading allocates nothing"

check "write 40 MiB at the start" pattern write $DEV 0 10240 11
is "$(tier_used hot)" 40 "writes land in the hot tier"
check "write 4 KiB in extent 300" pattern write $DEV $((300 * 256 + 5)) 1 12
check "rest of extent 300 reads as zeros" cmp -n 20480 $DEV /dev/zero $((300 * 1048576))
check "and the written block reads back" pattern verify $DEV $((300 * 256 + 5)) 1 12
check "40 MiB read back" pattern verify $DEV 0 10240 11

# Fill past the hot tier (63 extents, reserve 2): the rest goes to warm.
check "write 100 MiB more" pattern write $DEV 10240 25600 13
is "$(tier_used hot)" 61 "hot tier filled up to its reserve"
is "$(tier_used warm)" 80 "overflow lands in the warm tier"
check "all of it reads back" pattern verify $DEV 10240 25600 13

tbl=$(dmsetup table $VOL)
echo "# table: $tbl"
echo "$tbl" | grep -q "couche 252:0 2048 3 3 hot linear 254:16 3 warm linear 254:32 3 cold linear 254:48 8 max_migrations 4 migration_mbps 0 heat_halflife_s 300 reserve_pct 2" || \
echo "$tbl" | grep -qE "couche [0-9]+:[0-9]+ 2048 3 3 hot linear [0-9:]+ 3 warm linear [0-9:]+ 3 cold linear [0-9:]+ 8 max_migrations 4 migration_mbps 0 heat_halflife_s 300 reserve_pct 2$"
ok $? "table line echoes devices and features"
check "reload with the echoed table" sh -c "dmsetup reload $VOL --table \"\$(dmsetup table $VOL)\" && dmsetup resume $VOL"
check "data intact after the reload" pattern verify $DEV 0 10240 11

check "remove" dmsetup remove $VOL
done_testing
