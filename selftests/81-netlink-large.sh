#!/bin/sh
# A volume of 2^20 extents (1 TiB of 1 MiB extents over zero-target tiers,
# nothing stored): GET_EXTENTS dumps every extent exactly once, in order,
# across hundreds of messages, also while migrations change the map; and
# what a dump costs, for the README.
. ./lib.sh
CTL=couchestorctl
N=1048576
wipe $META
check "two 2 TiB zero devices as tiers" sh -c "dmsetup create z0 --table '0 4294967296 zero' && dmsetup create z1 --table '0 4294967296 zero'"
t="0 $((N * EXT)) couche $META $EXT 2 3 fast linear /dev/mapper/z0 3 slow linear /dev/mapper/z1"
check "create a volume of $N extents" dmsetup create $VOL --table "$t"
is "$($CTL status $VOL --json | grep -c "\"extents\": $N")" 1 "status reports $N extents"

# every_extent_once FILE: header, then indexes 0..N-1 in order.
every_extent_once() {
	awk -v n=$N 'NR > 1 { if ($1 != NR - 2) { print "line " NR ": " $1; exit 1 } }
		END { if (NR - 1 != n) { print NR - 1 " extents"; exit 1 } }' "$1"
}

$CTL extents $VOL --stats > /tmp/all.out 2> /tmp/stats.out
ok $? "dump all $N extents: $(cat /tmp/stats.out)"
every_extent_once /tmp/all.out > /tmp/why.out
ok $? "each extent once, in order $(cat /tmp/why.out)"
$CTL extents $VOL --stats > /dev/null 2> /tmp/stats.out
echo "# cost, second run: $(cat /tmp/stats.out)"
$CTL extents $VOL --top 100 --stats > /tmp/top.out 2> /tmp/stats.out
ok $? "top 100 of $N: $(cat /tmp/stats.out)"
is "$(tail -n +2 /tmp/top.out | wc -l)" 100 "top 100 lists 100"

# Map some extents, then dump while they migrate back and forth.
check "write 64 extents spread over the volume" sh -c \
	"for i in \$(seq 0 16384 $((N - 1))); do dd if=/dev/zero of=$DEV bs=4k count=1 seek=\$((i * 256)) oflag=direct 2>/dev/null || exit 1; done"
is "$($CTL extents $VOL --tier fast | tail -n +2 | wc -l)" 64 "64 extents in fast"
$CTL extents $VOL --written --stats > /tmp/w.out 2> /tmp/stats.out
is "$(tail -n +2 /tmp/w.out | wc -l)" 64 "--written lists the 64 written extents: $(cat /tmp/stats.out)"
(
	for r in 1 2 3; do
		$CTL migrate $VOL 0-$((N - 1)) slow --wait > /dev/null || exit 1
		$CTL migrate $VOL 0-$((N - 1)) fast --wait > /dev/null || exit 1
	done
) &
mig=$!
: > /tmp/why.out
i=0
bad=0
while kill -0 $mig 2> /dev/null && [ $i -lt 5 ]; do
	$CTL extents $VOL --stats > /tmp/all.out 2> /tmp/stats.out || { bad=1; break; }
	every_extent_once /tmp/all.out > /tmp/why.out || { bad=1; break; }
	i=$((i + 1))
done
[ $bad = 0 ] && [ $i -ge 1 ]
ok $? "dumps during migrations are complete and ordered ($i dumps; last: $(cat /tmp/stats.out)) $(cat /tmp/why.out)"
wait $mig
ok $? "the migrations finished"
is "$($CTL extents $VOL --tier fast | tail -n +2 | wc -l)" 64 "all 64 back in fast"
check "remove" dmsetup remove $VOL
check "remove zero devices" dmsetup remove z0 z1
done_testing
