#!/bin/sh
# A volume takes every byte its table accepts: filled to the last byte
# (linear tiers only, and linear + raid6 where the kernel must demote into
# raid6 to make room), overwritten while full, reloaded; discards unmap
# whole extents; a volume whose linear tier is full of pinned extents gives
# a clean ENOSPC and nothing else changes.
. ./lib.sh

space() {	# space <1..4>: demoted waiting nospace unmapped
	status | awk -v f="$1" '{ for (i = 1; i <= NF; i++) if ($i == "space") print $(i+f) }'
}
# overwrite <count> <tag>: 4 KiB writes at random blocks of the first $B,
# each noted in /tmp/over.
overwrite() {
	: > /tmp/over
	local i=0
	while [ $i -lt "$1" ]; do
		b=$(( (RANDOM * 32768 + RANDOM) % B ))
		pattern write $DEV $b 1 "$2" && echo "$b" >> /tmp/over
		i=$((i + 1))
	done
	wc -l < /tmp/over
}
# verify_over <tag> <overwrite tag> [first count]: every block holds its
# tag, those in /tmp/over the overwrite's.
verify_over() {
	pattern scan $DEV ${3:-0} ${4:-$B} | awk -v t="$1" -v o="$2" 'NR == FNR { w[$1] = 1; next }
		{ want = ($1 in w) ? o : t; if ($2 != want && bad++ < 5) print "# block " $1 ": " $2 ", want " want }
		END { exit bad > 0 }' /tmp/over -
}
used_total() { status | awk '{ n = 0; for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, a, "/"); n += a[1] } print n }'; }

# Largest accepted length: N extents load, N+1 are refused.
largest() {	# largest <table-builder> <guess>: prints N
	n=$2
	while ! dmsetup create probe --table "$($1 $n)" 2>/dev/null; do n=$((n - 1)); [ $n -le 0 ] && break; done
	dmsetup remove probe 2>/dev/null
	echo $n
}

# --- linear tiers only, 1 MiB extents
lin() { echo "0 $(($1 * 2048)) couche $META 2048 3 3 hot linear $HOT 3 warm linear $WARM 3 cold linear $COLD"; }
wipe $META $HOT $WARM $COLD
N=$(largest lin 440)
is "$N" 434 "linear tiers: 434 extents fit (63+127+255 slots less 2+3+6 reserved)"
refuse "one extent more is refused" dmsetup create probe --table "$(lin $((N + 1)))"
wipe $META $HOT $WARM $COLD
check "create the largest linear volume" dmsetup create $VOL --table "$(lin $N)"
B=$((N * 256))
check "fill it to the last byte with 1 MiB direct writes" pattern write-direct $DEV 0 $B 1
wait_migrations
is "$(used_total)" "$N" "every extent holds a slot ($(status | cut -d' ' -f4-12))"
is "$(space 3)" 0 "no write failed for room"
check "the whole volume reads back" pattern verify $DEV 0 $B 1
is "$(overwrite 40 2)" 40 "40 scattered 4 KiB overwrites of the full volume succeed"
check "migrations settle" wait_migrations
check "data right after the overwrites" verify_over 1 2
check "reload the table" sh -c "dmsetup reload $VOL --table '$(lin $N)' && dmsetup resume $VOL"
check "data right after the reload" verify_over 1 2
check "remove" dmsetup remove $VOL
check "create again" dmsetup create $VOL --table "$(lin $N)"
check "data right after re-creating it" verify_over 1 2
check "remove" dmsetup remove $VOL

# --- hot and warm linear (64 MiB each), cold raid6 4+2 of 48 MiB members,
# 4 MiB extents: the linear tiers hold 120 MiB of the 296 MiB volume.
insmod /lib/modules/brd.ko rd_nr=6 rd_size=49152 || { ok 1 "load brd"; done_testing; }
R6="/dev/ram0 /dev/ram1 /dev/ram2 /dev/ram3 /dev/ram4 /dev/ram5"
r6() { echo "0 $(($1 * 8192)) couche $META 8192 3 3 hot linear $HOT 3 warm linear $SPARE 10 cold raid6 4 128 $R6 $2"; }
wipe $META $HOT $SPARE $R6
N=$(largest r6 80)
is "$N" 74 "linear + raid6: 74 extents of 4 MiB fit (15+15+47 slots less 1+1+1 reserved)"
wipe $META $HOT $SPARE $R6
check "create the largest volume" dmsetup create $VOL --table "$(r6 $N)"
B=$((N * 1024))
check "fill it to the last byte (296 MiB, 1 MiB direct writes)" pattern write-direct $DEV 0 $B 3
wait_migrations	# a demotion still committing holds its source slot too
is "$(used_total)" "$N" "every extent holds a slot ($(status | cut -d' ' -f4-12))"
is "$(space 3)" 0 "no write failed for room"
d=$(space 1)
[ "$d" -ge 45 ]
ok $? "the kernel demoted extents into raid6 to make room ($d)"
check "the whole volume reads back" pattern verify $DEV 0 $B 3
is "$(overwrite 24 4)" 24 "24 scattered overwrites of the full volume succeed (raid6 extents move up)"
check "migrations settle" wait_migrations
check "data right after the overwrites" verify_over 3 4
check "reload the table" sh -c "dmsetup reload $VOL --table '$(r6 $N)' && dmsetup resume $VOL"
check "data right after the reload" verify_over 3 4

# Discards: whole extents unmap, parts of extents do nothing.
u0=$(used_total)
check "discard extents 2-5 and half of extent 6" blkdiscard -o $((2 * 4194304)) -l $((4 * 4194304 + 2097152)) $DEV
check "discarded extents read as zeros" cmp -n $((4 * 4194304)) $DEV /dev/zero $((2 * 4194304))
check "the partly discarded extent keeps its data" verify_over 3 4 $((6 * 1024)) 1024
is "$(used_total)" "$((u0 - 4))" "four slots went back to their tiers"
is "$(space 4)" 4 "status counts 4 unmapped extents"
is "$(extent_tier 3)" "-" "extent 3 is unmapped"
check "reload" sh -c "dmsetup reload $VOL --table '$(r6 $N)' && dmsetup resume $VOL"
check "still zeros after the reload" cmp -n $((4 * 4194304)) $DEV /dev/zero $((2 * 4194304))
check "rewrite the discarded extents" pattern write-direct $DEV 2048 4096 5
check "and read them back" pattern verify $DEV 2048 4096 5
check "remove" dmsetup remove $VOL

# A linear tier full of pinned extents: a write that needs room there
# fails with ENOSPC, and nothing else changes.
pin() { echo "0 $((60 * 8192)) couche $META 8192 2 3 hot linear $HOT 10 cold raid6 4 128 $R6"; }
wipe $META $HOT $R6
check "create a hot + raid6 volume of 60 extents" dmsetup create $VOL --table "$(pin)"
check "write extents 15-29" pattern write-direct $DEV $((15 * 1024)) $((15 * 1024)) 6
check "move them to raid6" msg migrate 15-29 cold
check "migrations settle" wait_migrations
is "$(tier_used cold)" 15 "raid6 holds extents 15-29"
check "pin extents 0-14 to hot (all of its 15 slots)" msg pin 0-14 hot
check "write them" pattern write-direct $DEV 0 $((15 * 1024)) 6
is "$(tier_used hot)" 15 "hot is full of pinned extents"
refuse "a write to raid6 extent 20 (it must move up) fails" dd if=/dev/zero of=$DEV bs=4k count=1 seek=$((20 * 1024)) oflag=direct conv=notrunc
dmesg | grep -q "only pinned extents could move"
ok $? "the kernel log says only pinned extents could move"
refuse "a first write to extent 40 fails" dd if=/dev/zero of=$DEV bs=4k count=1 seek=$((40 * 1024)) oflag=direct conv=notrunc
is "$(space 3)" 2 "status counts two writes failed for room"
is "$(space 2)" 0 "no write is left waiting"
check "every written extent still reads back" pattern verify $DEV 0 $((30 * 1024)) 6
is "$(extent_tier 40)" "-" "extent 40 is still unwritten"
check "writes to the pinned extents work" pattern write $DEV 0 16 7
check "unpin extent 14" msg unpin 14
check "now the write to extent 40 succeeds" pattern write $DEV $((40 * 1024)) 1 8
check "migrations settle" wait_migrations
check "and reads back" pattern verify $DEV $((40 * 1024)) 1 8
check "extent 14 was demoted to make room, intact" sh -c "[ \"\$(dmsetup message $VOL 0 extents 14 | awk '{ print \$2 }')\" = cold ] && pattern verify $DEV $((14 * 1024)) 1024 6"
check "remove" dmsetup remove $VOL
rmmod brd
done_testing
