#!/bin/sh
# Crash consistency: every device of a volume (hot and warm linear, cold
# raid6 4+2) is a slice of one dm-log-writes device, so the log holds all
# their writes in the order they became durable.  The workload writes
# tagged blocks in rounds, with migrations running, and marks the end of
# each round after fsync.  Then the log is replayed onto a blank device,
# stopping at flush points; at each one the volume must load, and every
# block must hold what was last written to it before the last completed
# round, or a later write of the round in progress; never another block's
# data.  With FULL=1 (41-crash-full.sh) the volume is of the largest
# length its tiers accept and filled first, so the kernel's own demotions
# run at the cut, and whole extents are discarded as the rounds go (they
# must read as zeros, or as before the discard in the round in progress).
. ./lib.sh
ROUNDS=${ROUNDS:-10}
WRITES=${WRITES:-40}
MAXPOINTS=${MAXPOINTS:-90}
FULL=${FULL:-0}
if [ "$FULL" = 1 ]; then
	HS=16384 WS=32768 CS=12288	# 7 + 15 + 20 slots of 1 MiB
	NBLK=9984			# 39 extents: all of them less the reserves
else
	HS=32768 WS=65536 CS=24576
	NBLK=10240			# 40 extents of 1 MiB
fi
NEXT=$((NBLK / 256))

insmod /lib/modules/brd.ko rd_nr=3 rd_size=262144 || { ok 1 "load brd"; done_testing; }
SZ=524288

slices() {	# slices <base device> <prefix>
	local i
	dmsetup create $2m --table "0 8192 linear $1 0" &&
	dmsetup create $2h --table "0 $HS linear $1 8192" &&
	dmsetup create $2w --table "0 $WS linear $1 $((8192 + HS))" || return 1
	for i in 0 1 2 3 4 5; do
		dmsetup create $2c$i --table "0 $CS linear $1 $((8192 + HS + WS + i * CS))" || return 1
	done
}
unslice() { for s in m h w c0 c1 c2 c3 c4 c5; do dmsetup remove $1$s 2>/dev/null; done; }
vtable() {	# vtable <prefix> [features]
	echo "0 $((NBLK * 8)) couche /dev/mapper/$1m 2048 3 3 hot linear /dev/mapper/$1h" \
	     "3 warm linear /dev/mapper/$1w 10 cold raid6 4 128" \
	     "/dev/mapper/$1c0 /dev/mapper/$1c1 /dev/mapper/$1c2 /dev/mapper/$1c3" \
	     "/dev/mapper/$1c4 /dev/mapper/$1c5 $2"
}

check "log-writes device" dmsetup create lw --table "0 $SZ log-writes /dev/ram0 /dev/ram1"
check "slices of it" slices /dev/mapper/lw s
check "create volume" dmsetup create $VOL --table "$(vtable s)"
dmsetup message lw 0 mark r0

: > /tmp/writes		# "<block> <round> <tag>", tag 0 for a discard
if [ "$FULL" = 1 ]; then
	check "fill the volume" pattern write-direct $DEV 0 $NBLK 1
	awk -v n=$NBLK 'BEGIN { for (b = 0; b < n; b++) print b, 1, 1 }' >> /tmp/writes
fi
r=1
while [ $r -le $ROUNDS ]; do
	i=0
	while [ $i -lt $WRITES ]; do
		b=$((RANDOM % NBLK))
		pattern write $DEV $b 1 $r && echo "$b $r $r" >> /tmp/writes
		if [ $((i % 8)) = 0 ]; then
			first=$((RANDOM % NEXT)); last=$((first + RANDOM % 4))
			[ $last -ge $NEXT ] && last=$((NEXT - 1))
			dmsetup message $VOL 0 migrate $first-$last $((RANDOM % 3))
		fi
		if [ "$FULL" = 1 ] && [ $((i % 10)) = 5 ]; then
			x=$((RANDOM % NEXT))
			blkdiscard -o $((x * 1048576)) -l 1048576 $DEV &&
				awk -v x=$x -v r=$r 'BEGIN { for (b = x * 256; b < x * 256 + 256; b++) print b, r, 0 }' >> /tmp/writes
		fi
		i=$((i + 1))
	done
	dmsetup message lw 0 mark r$r
	r=$((r + 1))
done
check "migrations drain" wait_migrations
echo "# migrations: $(status | sed 's/.*migrations/migrations/')"
echo "# tiers: $(status | cut -d' ' -f4-12) $(status | sed 's/.*space/space/')"
[ "$(mig_field 3)" -ge 10 ]
ok $? "migrations ran during the workload ($(mig_field 3))"
if [ "$FULL" = 1 ]; then
	d=$(status | awk '{ for (i = 1; i <= NF; i++) if ($i == "space") print $(i+1), $(i+4) }')
	[ "${d% *}" -gt 0 ] && [ "${d#* }" -gt 0 ]
	ok $? "the kernel demoted extents for room and discards unmapped extents (demoted, unmapped: $d)"
fi
check "remove volume" dmsetup remove $VOL
unslice s
dmsetup message lw 0 mark end
check "remove log-writes" dmsetup remove lw

replay-log list /dev/ram1 > /tmp/points
start=$(awk '$3 == "r0" { print $1 }' /tmp/points)
# Flush and FUA entries after the volume existed, sampled down to MAXPOINTS.
awk -v s="$start" '$1 > s && $2 % 4 != 0 { print $1 }' /tmp/points > /tmp/flushes
total=$(wc -l < /tmp/flushes)
step=$(( (total + MAXPOINTS - 1) / MAXPOINTS ))
awk -v k="$step" 'NR % k == 0' /tmp/flushes > /tmp/chosen
echo "# $total flush points after format; checking $(wc -l < /tmp/chosen)"
[ "$total" -ge 20 ]
ok $? "the workload produced flush points ($total)"

prev=0
bad=0
while read -r p; do
	replay-log apply /dev/ram1 /dev/ram2 $prev $((p + 1)) || { bad=$((bad + 1)); break; }
	prev=$((p + 1))
	done_round=$(awk -v p="$p" '$1 < p && $3 ~ /^r[0-9]+$/ { r = substr($3, 2) } END { print r + 0 }' /tmp/points)
	slices /dev/ram2 c
	if ! dmsetup create chk --table "$(vtable c '1 read_only')" 2> /tmp/err; then
		ok 1 "entry $p: volume loads"
		diag /tmp/err
		bad=$((bad + 1))
		unslice c
		continue
	fi
	pattern scan /dev/mapper/chk 0 $NBLK > /tmp/scan
	awk -v R="$done_round" '
		NR == FNR { if ($2 <= R) need[$1] = $3; else if ($2 == R + 1) may[$1 " " $3] = 1; next }
		{
			n = ($1 in need) ? need[$1] : 0
			if ($2 == n || (($1 " " $2) in may)) next
			if (bad++ < 5) print "#   block " $1 ": found tag " $2 ", want " n " (or a round-" R + 1 " write)"
		}
		END { exit bad > 0 }' /tmp/writes /tmp/scan > /tmp/verdict
	rc=$?
	ok $rc "entry $p (after round $done_round): volume loads, data as of the last flush"
	[ $rc = 0 ] || { cat /tmp/verdict; bad=$((bad + 1)); }
	dmsetup remove chk
	unslice c
	[ $bad -ge 3 ] && break
done < /tmp/chosen
rmmod brd
done_testing
