#!/bin/sh
# Crash consistency: every device of a volume (hot and warm linear, cold
# raid6 4+2) is a slice of one dm-log-writes device, so the log holds all their writes in the order
# they became durable.  The workload writes tagged blocks in rounds, with
# migrations running, and marks the end of each round after fsync.  Then
# the log is replayed onto a blank device, stopping at flush points; at
# each one the volume must load, and every block must hold what was last
# written to it before the last completed round, or a later write of the
# round in progress; never zeros, never another block's data.
. ./lib.sh
ROUNDS=${ROUNDS:-10}
WRITES=${WRITES:-40}
MAXPOINTS=${MAXPOINTS:-90}
NBLK=10240		# 40 extents of 1 MiB

insmod /lib/modules/brd.ko rd_nr=3 rd_size=262144 || { ok 1 "load brd"; done_testing; }
SZ=524288

slices() {	# slices <base device> <prefix>
	local i
	dmsetup create $2m --table "0 8192 linear $1 0" &&
	dmsetup create $2h --table "0 32768 linear $1 8192" &&
	dmsetup create $2w --table "0 65536 linear $1 40960" || return 1
	for i in 0 1 2 3 4 5; do
		dmsetup create $2c$i --table "0 24576 linear $1 $((106496 + i * 24576))" || return 1
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

: > /tmp/writes
r=1
while [ $r -le $ROUNDS ]; do
	i=0
	while [ $i -lt $WRITES ]; do
		b=$((RANDOM % NBLK))
		pattern write $DEV $b 1 $r && echo "$b $r" >> /tmp/writes
		if [ $((i % 8)) = 0 ]; then
			first=$((RANDOM % 40)); last=$((first + RANDOM % 4)); [ $last -gt 39 ] && last=39
			dmsetup message $VOL 0 migrate $first-$last $((RANDOM % 3))
		fi
		i=$((i + 1))
	done
	dmsetup message lw 0 mark r$r
	r=$((r + 1))
done
check "migrations drain" wait_migrations
echo "# migrations: $(status | sed 's/.*migrations/migrations/')"
echo "# tiers: $(status | cut -d' ' -f4-12)"
[ "$(mig_field 3)" -ge 10 ]
ok $? "migrations ran during the workload ($(mig_field 3))"
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
		NR == FNR { if ($2 <= R) need[$1] = $2; w[$1 " " $2] = 1; next }
		{
			n = ($1 in need) ? need[$1] : 0
			if ($2 == n) next
			if ($2 > n && $2 <= R + 1 && (($1 " " $2) in w)) next
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
