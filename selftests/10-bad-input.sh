#!/bin/sh
# Malformed tables, foreign or corrupt metadata, wrong member order and
# malformed messages: each refused, nothing written, no kernel warning.
. ./lib.sh
wipe $META $HOT $WARM $COLD $SPARE
before="$(sum1m $META) $(sum1m $HOT) $(sum1m $WARM) $(sum1m $COLD)"
L=409600
t3="3 hot linear $HOT 3 warm linear $WARM 3 cold linear $COLD"

bad() {	# bad <description> <table>
	refuse "refused: $1" dmsetup create bad --table "$2"
	dmsetup remove bad > /dev/null 2>&1
}
bad "no arguments" "0 $L couche"
bad "missing tiers" "0 $L couche $META $EXT 3 3 hot linear $HOT"
bad "tier count 0" "0 $L couche $META $EXT 0"
bad "tier count 9" "0 $L couche $META $EXT 9 $t3"
bad "tier count 1000" "0 $L couche $META $EXT 1000 $t3"
bad "extent size not a power of two" "0 $L couche $META 3000 3 $t3"
bad "extent size below 1 MiB" "0 $L couche $META 1024 3 $t3"
bad "extent size above 1 GiB" "0 $L couche $META 4194304 3 $t3"
bad "extent size not a number" "0 $L couche $META 4k 3 $t3"
bad "unknown tier kind" "0 $L couche $META $EXT 1 3 hot mirror $HOT"
bad "linear tier with two devices" "0 $L couche $META $EXT 1 4 hot linear $HOT $WARM"
bad "tier arg count too small" "0 $L couche $META $EXT 1 2 hot linear"
bad "tier name too long" "0 $L couche $META $EXT 1 3 averyveryverylongname linear $HOT"
bad "two tiers with one name" "0 $L couche $META $EXT 2 3 hot linear $HOT 3 hot linear $WARM"
bad "same device twice" "0 $L couche $META $EXT 2 3 hot linear $HOT 3 warm linear $HOT"
bad "metadata device as a tier" "0 $L couche $META $EXT 2 3 hot linear $HOT 3 warm linear $META"
bad "nonexistent device" "0 $L couche $META $EXT 1 3 hot linear /dev/nonexistent"
bad "unknown feature" "0 $L couche $META $EXT 3 $t3 1 turbo"
bad "feature without value" "0 $L couche $META $EXT 3 $t3 1 max_migrations"
bad "feature count beyond args" "0 $L couche $META $EXT 3 $t3 4 read_only"
bad "feature value out of range" "0 $L couche $META $EXT 3 $t3 2 max_migrations 0"
bad "feature value not a number" "0 $L couche $META $EXT 3 $t3 2 reserve_pct ten"
bad "reserve_pct too large" "0 $L couche $META $EXT 3 $t3 2 reserve_pct 90"
bad "trailing arguments" "0 $L couche $META $EXT 3 $t3 1 read_only extra"
bad "volume larger than the tiers" "0 943718400 couche $META $EXT 3 $t3"
bad "volume just over capacity minus reserve" "0 $((435 * 2048)) couche $META $EXT 3 $t3"
bad "length not a multiple of the extent" "0 409601 couche $META $EXT 3 $t3"
bad "read_only on a blank metadata device" "0 $L couche $META $EXT 3 $t3 1 read_only"
r6="$HOT $WARM $COLD $SPARE"
bad "raid6 with k=1" "0 $L couche $META $EXT 1 7 cold raid6 1 128 $r6"
bad "raid6 with k=17" "0 $L couche $META $EXT 1 7 cold raid6 17 128 $r6"
bad "raid6 chunk not a power of two" "0 $L couche $META $EXT 1 6 cold raid6 2 96 $r6"
bad "raid6 chunk below a page" "0 $L couche $META $EXT 1 6 cold raid6 2 4 $r6"
bad "raid6 chunk above the extent" "0 $L couche $META $EXT 1 6 cold raid6 2 4096 $r6"
bad "raid6 with k+1 devices" "0 $L couche $META $EXT 1 5 cold raid6 2 128 $HOT $WARM $COLD"
bad "raid6 with a missing device" "0 $L couche $META $EXT 1 6 cold raid6 2 128 $HOT $WARM $COLD /dev/vdz"
after="$(sum1m $META) $(sum1m $HOT) $(sum1m $WARM) $(sum1m $COLD)"
is "$after" "$before" "refused tables wrote nothing"

check "largest volume that fits is accepted" dmsetup create $VOL --table "0 $((434 * 2048)) couche $META $EXT 3 $t3"
check "write to it" pattern write $DEV 0 256 3
check "remove" dmsetup remove $VOL
formatted="$(sum1m $META)"

# A formatted metadata device must match the table.
bad "different extent size" "0 $((217 * 4096)) couche $META 4096 3 $t3"
bad "fewer tiers" "0 $L couche $META $EXT 2 3 hot linear $HOT 3 warm linear $WARM"
bad "renamed tier" "0 $L couche $META $EXT 3 3 fast linear $HOT 3 warm linear $WARM 3 cold linear $COLD"
bad "members in the wrong order" "0 $L couche $META $EXT 3 3 hot linear $WARM 3 warm linear $HOT 3 cold linear $COLD"
bad "shrunk volume" "0 $L couche $META $EXT 3 $t3"
bad "a blank device as a member" "0 $((434 * 2048)) couche $META $EXT 3 3 hot linear $SPARE 3 warm linear $WARM 3 cold linear $COLD"
is "$(sum1m $META)" "$formatted" "metadata untouched by refused tables"

# Members of this volume cannot be formatted into another one.
bad "member of another volume" "0 $L couche $SPARE $EXT 3 $t3"
is "$(sum1m $SPARE)" "$(sum1m /dev/zero)" "blank metadata device left blank"

# Random bytes as metadata.
dd if=/dev/urandom of=$SPARE bs=1M count=1 conv=fsync 2>/dev/null
rnd=$(sum1m $SPARE)
wipe $HOT $WARM $COLD
bad "random bytes as metadata" "0 $L couche $SPARE $EXT 3 $t3"
is "$(sum1m $SPARE)" "$rnd" "random metadata device not overwritten"

# A corrupted superblock: flip one byte in both slots.
dd if=$META of=/tmp/meta bs=4096 count=2 2>/dev/null
printf 'X' | dd of=$META bs=1 seek=100 conv=notrunc,fsync 2>/dev/null
printf 'X' | dd of=$META bs=1 seek=4196 conv=notrunc,fsync 2>/dev/null
bad "superblock checksum mismatch" "0 $((434 * 2048)) couche $META $EXT 3 $t3"
dd if=/tmp/meta of=$META bs=4096 count=2 conv=notrunc,fsync 2>/dev/null

# Malformed messages.
wipe $META $HOT $WARM $COLD
dmsetup create $VOL --table "0 $L couche $META $EXT 3 $t3"
pattern write $DEV 0 512 5
for m in "" "migrate" "migrate 0" "migrate 200 hot" "migrate 5-2 hot" "migrate 0 nosuch" \
	 "migrate 0 7" "migrate -1 hot" "migrate 0-18446744073709551615 hot" "migrate x hot" \
	 "pin 0" "pin 0-1 nosuch" "unpin" "unpin a-b" "frobnicate 0" "set max_migrations 0" \
	 "set nosuch 1" "set reserve_pct" "set reserve_pct 5" "scrub" "scrub now" "set heat_halflife_s abc" "extents 0-500" "migrate 0 hot extra"; do
	refuse "message '$m' refused" dmsetup message $VOL 0 $m
done
st=$(status)
echo "$st" | grep -q "migrations 0 0 0 0"
ok $? "no migration was queued by malformed messages"
check "data intact" pattern verify $DEV 0 512 5
check "remove" dmsetup remove $VOL
done_testing
