#!/bin/sh
# make bench, inside the VM.  Sections (all by default, or those named as
# arguments): hot (hot path against dm-linear), migration (1 GiB between
# linear tiers against a plain copy, and foreground p99 latency while it
# runs, with and without migration_mbps), tiering (fio Zipf against
# dm-cache, all-slow, all-fast and the best placement the run allowed),
# raid6 (migration into it, degraded reads, next to the raid6 gen() speed
# this boot measured), memory (kernel memory per extent against dm-cache,
# the agent at 2^20 extents), space (first writes against dm-linear, a
# fill past the linear tier).  Each pair runs alternating, A B A B (A B);
# the median is reported.  Prints "BENCH <json line>" per result.
export DM_DISABLE_UDEV=1
now() { awk '{ print $1 }' /proc/uptime; }
rate() { awk -v mb="$1" -v a="$2" -v b="$3" 'BEGIN { d = b - a; if (d <= 0) d = 0.01; printf "%.1f", mb / d }'; }
# median <values...>: the middle one, or the mean of the middle two
median() {
	echo "$@" | tr ' ' '\n' | grep . | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# med2 <values...>: the median of two runs or more, rounded; empty if a run is missing
med2() { [ $# -ge 2 ] && median "$@" | awk '{ printf "%.0f", $1 }'; }
# emit <name> <value> <unit> <baseline name> <baseline value> [<target>]
# target: ">=R" or "<=R" on the ratio; the line then says whether it is met.
# The ratio is value / baseline, or $RATIO if set (the median of paired
# runs' ratios, which the host's drift disturbs less).
emit() {
	r=$(awk -v a="$2" -v b="$5" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "null" }')
	[ -n "$RATIO" ] && r=$RATIO
	t=""
	if [ -n "$6" ] && [ "$r" != null ]; then
		met=$(awk -v r="$r" -v t="$6" 'BEGIN { op = substr(t, 1, 2); v = substr(t, 3) + 0
			print ((op == ">=" && r >= v) || (op == "<=" && r <= v)) ? "true" : "false" }')
		t=",\"target\":\"$6\",\"met\":$met"
	fi
	echo "BENCH {\"measure\":\"$1\",\"value\":$2,\"unit\":\"$3\",\"baseline\":\"$4\",\"baseline_value\":$5,\"ratio\":$r$t}"
}
fail_bench() { echo "BENCH {\"measure\":\"$1\",\"error\":\"$2\"}"; }

setup() {
	insmod /lib/modules/brd.ko rd_nr=8 rd_size=163840 || { fail_bench setup "brd did not load"; exit 1; }
	gen=$(dmesg | sed -n 's/.*raid6: using algorithm \(.*\) gen() \([0-9]*\) MB\/s.*/\1 \2/p' | head -n 1)
	echo "BENCH {\"measure\":\"raid6 gen() (kernel boot benchmark)\",\"value\":${gen##* },\"unit\":\"MB/s\",\"algorithm\":\"${gen% *}\",\"baseline\":\"none: printed for reference\"}"
}

hot() {
# Hot path: 4 KiB random reads and writes, queue depth 1 and 32, on a
# volume whose extents are all in its (ramdisk) hot tier, against dm-linear
# over the same ramdisk at the same offset.  fio, 2 s each, A B six times:
# short alternating runs, so the host's drift hits both sides alike.
HOTMB=48
dd if=/dev/zero of=/dev/vde bs=1M count=1 2>/dev/null
dd if=/dev/zero of=/dev/ram7 bs=1M count=1 2>/dev/null
dd if=/dev/zero of=/dev/vdd bs=1M count=1 2>/dev/null
dmsetup create lin --table "0 $((HOTMB * 2048)) linear /dev/ram7 2048" &&
	dmsetup create hp --table "0 $((HOTMB * 2048)) couche /dev/vde 2048 2 3 hot linear /dev/ram7 3 slow linear /dev/vdd" ||
	{ fail_bench "hot path" "volumes not created"; }
# First writes provision: do them before measuring.
dd if=/dev/zero of=/dev/mapper/hp bs=1M count=$HOTMB oflag=direct 2>/dev/null
iops() {	# iops <dev> <randread|randwrite> <qd>: fio's IOPS, integer
	eng=psync; [ "$3" -gt 1 ] && eng=libaio
	fio --name=hp --filename="$1" --rw="$2" --bs=4k --direct=1 --ioengine=$eng \
		--iodepth="$3" --size=${HOTMB}M --runtime=2 --time_based --minimal 2>/dev/null |
		awk -F';' -v rw="$2" '{ print (rw == "randread") ? $8 : $49 }'
}
for rw in randread randwrite; do
	for qd in 1 32; do
		a=""; b=""
		for run in 1 2 3 4 5 6; do
			a="$a $(iops /dev/mapper/hp $rw $qd)"
			b="$b $(iops /dev/mapper/lin $rw $qd)"
		done
		echo "# runs: hot path $rw qd$qd: couche$a; linear$b"
		x=$(median $a | awk '{ printf "%.0f", $1 }')
		y=$(median $b | awk '{ printf "%.0f", $1 }')
		# Each couche run against the dm-linear run right after it.
		pairs=$(echo "$a;$b" | awk -F';' '{ n = split($1, x, " "); split($2, y, " ")
			for (i = 1; i <= n; i++) if (y[i] > 0) printf "%.4f ", x[i] / y[i] }')
		if [ -n "$x" ] && [ -n "$y" ] && [ "$y" -gt 0 ] 2>/dev/null; then
			RATIO=$(median $pairs | awk '{ printf "%.3f", $1 }')
			emit "hot path: 4k $rw QD$qd" "$x" IOPS "dm-linear on the same ramdisk (ratio: median of 6 pairs)" "$y" ">=0.97"
			RATIO=
		else
			fail_bench "hot path: 4k $rw QD$qd" "fio gave no IOPS ($a / $b)"
		fi
	done
done
dmsetup remove hp; dmsetup remove lin
}

# Migration of 1 GiB between linear tiers, two virtio disks, against a
# plain copy between the same disks (dd, direct, fsync at the end, to the
# part of the slow disk the volume is not using yet).  Then the p99 latency
# of 4 KiB random reads to 64 MiB of extents that stay put, with nothing
# moving, while the 1 GiB moves unthrottled, and while it moves with
# migration_mbps=64; each twice, alternating.
migration() {
	GB=1024 FG=64 MBPS=64
	dd if=/dev/zero of=/dev/vde bs=1M count=1 2>/dev/null
	dd if=/dev/zero of=/dev/vdb bs=1M count=1 2>/dev/null
	dd if=/dev/zero of=/dev/vdc bs=1M count=1 2>/dev/null
	dmsetup create mv --table "0 $(((GB + FG) * 2048)) couche /dev/vde 2048 2 3 hot linear /dev/vdb 3 slow linear /dev/vdc" ||
		{ fail_bench migration "volume not created"; return; }
	dd if=/dev/zero of=/dev/mapper/mv bs=1M count=$((GB + FG)) oflag=direct 2>/dev/null
	tiers() { couchestorctl status mv | grep -E '^  (hot|slow) ' | tr -s ' ' | tr '\n' ';'; }
	echo "# migration volume: $(tiers)"
	mig=""; copy=""; back=""
	for run in 1 2 3; do
		a=$(now); dd if=/dev/vdb of=/dev/vdc bs=1M skip=1 seek=1 count=$GB iflag=direct oflag=direct conv=fsync 2>/dev/null; b=$(now)
		copy="$copy $(rate $GB $a $b)"
		a=$(now); couchestorctl migrate mv 0-$((GB - 1)) slow --wait > /dev/null 2>&1 || mig="$mig ERR"; b=$(now)
		mig="$mig $(rate $GB $a $b)"
		a=$(now); couchestorctl migrate mv 0-$((GB - 1)) hot --wait > /dev/null 2>&1 || back="$back ERR"; b=$(now)
		back="$back $(rate $GB $a $b)"
	done
	echo "# runs: 1 GiB hot to slow$mig; slow to hot$back; plain copy$copy; volume now: $(tiers)"
	case "$mig$back" in *ERR*) fail_bench "migration of 1 GiB" "a migration failed ($mig; $back)" ;; *)
		c=$(median $copy)
		m=$(median $mig)
		emit "migration of 1 GiB, hot to slow (linear)" "$m" MB/s "plain sequential copy between the same disks (dd)" "$c"
		m=$(median $back)
		emit "migration of 1 GiB, slow to hot (linear)" "$m" MB/s "plain sequential copy between the same disks (dd)" "$c"
	esac

	p99() {	# the read p99 in microseconds over the extents that stay on hot
		fio --name=lat --filename=/dev/mapper/mv --rw=randread --bs=4k --direct=1 \
			--ioengine=psync --offset=${GB}M --size=${FG}M --runtime=6 --time_based \
			--percentile_list=99 --minimal 2>/dev/null | awk -F';' '{ sub(/.*=/, "", $18); print $18 }'
	}
	moving() {	# moving <mbps>: p99 while the 1 GiB moves back and forth
		couchestorctl set mv migration_mbps="$1" > /dev/null
		rm -f /tmp/stop
		(while [ ! -e /tmp/stop ]; do
			couchestorctl migrate mv 0-$((GB - 1)) slow --wait > /dev/null 2>&1
			couchestorctl migrate mv 0-$((GB - 1)) hot --wait > /dev/null 2>&1
		done) &
		loop=$!
		sleep 0.5
		d0=$(dmsetup status mv | sed 's/.*migrations [0-9]* [0-9]* \([0-9]*\).*/\1/')
		p=$(p99)
		d1=$(dmsetup status mv | sed 's/.*migrations [0-9]* [0-9]* \([0-9]*\).*/\1/')
		touch /tmp/stop
		couchestorctl set mv migration_mbps=0 > /dev/null
		wait $loop
		couchestorctl migrate mv 0-$((GB - 1)) hot --wait > /dev/null 2>&1
		echo "# p99 run at $1 MiB/s: $p us, $((d1 - d0)) extents moved meanwhile" >&2
		echo "$p"
	}
	idle=""; free=""; capped=""
	for run in 1 2; do
		idle="$idle $(p99)"
		free="$free $(moving 0)"
		capped="$capped $(moving $MBPS)"
	done
	echo "# runs: p99 read latency (us): idle$idle; migrating unthrottled$free; migrating at $MBPS MiB/s$capped"
	i=$(med2 $idle)
	f=$(med2 $free)
	k=$(med2 $capped)
	if [ -n "$i" ] && [ -n "$f" ] && [ -n "$k" ]; then
		emit "p99 4k read latency, 1 GiB migrating unthrottled" "$f" us "p99 with nothing migrating" "$i"
		emit "p99 4k read latency, migrating at migration_mbps=$MBPS" "$k" us "p99 with nothing migrating" "$i"
	else
		fail_bench "p99 latency during migration" "fio gave no latency ($idle; $free; $capped)"
	fi
	dmsetup remove mv
}

# Tiering: fio Zipf(1.1) random 70/30 read/write over 160 MiB, the fast
# device a ramdisk, the slow one a virtio disk behind dm-delay (2 ms).
# dm-couche with a fast tier of 16 MiB (10%) and the agent running, against
# dm-cache (smq, 16 MiB of cache on the same ramdisk; 64 KiB blocks as
# lvmcache makes them, and 1 MiB blocks, the extent size), everything on
# the slow device, everything on the fast one.  30 s warm-up, 20 s
# measured, each twice, alternating.
#
# fio scatters Zipf's hot blocks over the whole file, so no placement of
# 16 of 160 extents catches most accesses, and with a slow device some
# hundred times slower, the all-fast bound is out of reach of any tiering.
# The bound a tiering can reach is the best placement of 16 extents for
# the accesses the run made: its per-extent counters give the hit rate
# of the 16 busiest extents, and the all-fast and all-slow runs the cost
# of a hit and a miss.
tiering() {
	TMB=160
	dd if=/dev/zero of=/dev/vdd bs=1M count=1 2>/dev/null
	dmsetup create slow --table "0 $(( (TMB + 2) * 2048 )) delay /dev/vdd 0 2"
	dmsetup create fastt --table "0 $(( 17 * 2048 )) linear /dev/ram6 0"
	dmsetup create cmeta --table "0 16384 linear /dev/ram6 $(( 20 * 2048 ))"
	dmsetup create cdata --table "0 $(( 16 * 2048 )) linear /dev/ram6 $(( 40 * 2048 ))"
	zipf() {	# zipf <dev> <seconds>: total IOPS of a Zipf 70/30 random mix
		fio --name=z --filename="$1" --rw=randrw --rwmixread=70 --bs=4k --direct=1 \
			--ioengine=psync --size=${TMB}M --random_distribution=zipf:1.1 \
			--randseed=42 --runtime="$2" --time_based --minimal 2>/dev/null |
			awk -F';' '{ print $8 + $49 }'
	}
	printf 'policy:\n  interval: 2s\n  sampling_window: 10s\nmigration:\n  cooldown_period: 10s\n  batch_size: 16\n  concurrent_migrations: 4\ntiers:\n  fast:\n    iops_threshold: 1\n  slow:\n    iops_threshold: 0\nagent:\n  metrics_address: "127.0.0.1:18080"\n  health_address: "127.0.0.1:18081"\n' > /tmp/tier-agent.yaml
	tier_couche() {
		dd if=/dev/zero of=/dev/vde bs=1M count=1 2>/dev/null
		dd if=/dev/zero of=/dev/mapper/fastt bs=1M count=1 2>/dev/null
		dd if=/dev/zero of=/dev/mapper/slow bs=1M count=1 2>/dev/null	# the last run's header
		dmsetup create tv --table "0 $((TMB * 2048)) couche /dev/vde 2048 2 3 fast linear /dev/mapper/fastt 3 slow linear /dev/mapper/slow 2 reserve_pct 0" || return
		dd if=/dev/zero of=/dev/mapper/tv bs=1M count=$TMB oflag=direct 2>/dev/null
		couchestorctl migrate tv 0-$((TMB - 1)) slow --wait > /dev/null
		couchestord agent --config=/tmp/tier-agent.yaml > /tmp/tier-agent.log 2>&1 &
		ag=$!
		zipf /dev/mapper/tv 30 > /dev/null
		couchestorctl extents tv --written | awk '$1 ~ /^[0-9]+$/' > /tmp/ext.before
		zipf /dev/mapper/tv 20
		couchestorctl extents tv --written | awk '$1 ~ /^[0-9]+$/' > /tmp/ext.after
		kill $ag; wait $ag
		slots=$(dmsetup status tv | sed -n 's/.* fast [0-9]*\/\([0-9]*\) .*/\1/p')
		# Accesses per extent in the measured 20 s: the share of the busiest
		# $slots (the best placement) and of those in fast at the end.
		awk -v k="$slots" 'NR == FNR { n[$1] = $3 + $4; next }
			{ d = $3 + $4 - n[$1]; all += d; if ($2 == "fast") infast += d; print d }
			END { printf "%s %s\n", all, infast > "/tmp/ext.sum" }' /tmp/ext.before /tmp/ext.after |
			sort -rn | head -n "$slots" | awk '{ s += $1 } END { print s + 0 }' > /tmp/ext.best
		read -r all infast < /tmp/ext.sum
		best=$(cat /tmp/ext.best)
		echo "# couche run: $all accesses, $infast in fast at the end, $best in the best $slots; $(couchestorctl status tv | grep -E '^  (fast|slow) ' | tr -s ' ' | tr '\n' ';')" >&2
		echo "$all $infast $best" >> /tmp/tier.hits
		dmsetup remove tv
	}
	tier_cache() {	# tier_cache <block sectors>
		dd if=/dev/zero of=/dev/mapper/cmeta bs=1M count=8 2>/dev/null
		dmsetup create tc --table "0 $((TMB * 2048)) cache /dev/mapper/cmeta /dev/mapper/cdata /dev/mapper/slow $1 1 writethrough smq 0" || return
		zipf /dev/mapper/tc 30 > /dev/null
		zipf /dev/mapper/tc 20
		echo "# dm-cache $1: $(dmsetup status tc | cut -d' ' -f4-)" >&2
		dmsetup remove tc
	}
	rm -f /tmp/tier.hits
	c1=""; k1=""; m1=""; s1=""; f1=""
	for run in 1 2; do
		c1="$c1 $(tier_couche)"
		k1="$k1 $(tier_cache 128)"
		m1="$m1 $(tier_cache 2048)"
		s1="$s1 $(zipf /dev/mapper/slow 20)"
		f1="$f1 $(zipf /dev/ram7 20)"
	done
	echo "# runs: tiering (IOPS): couche$c1; dm-cache 64k$k1; dm-cache 1m$m1; all slow$s1; all fast$f1"
	tc=$(med2 $c1)
	tk=$(med2 $k1)
	tm=$(med2 $m1)
	ts=$(med2 $s1)
	tf=$(med2 $f1)
	if [ -n "$tc" ] && [ -n "$tk" ] && [ -n "$tm" ] && [ -n "$ts" ] && [ -n "$tf" ]; then
		emit "tiering: Zipf 70/30 IOPS, couche vs dm-cache" "$tc" IOPS "dm-cache smq, 64 KiB blocks, same fast size" "$tk" ">=1"
		emit "tiering: couche vs dm-cache, same granularity" "$tc" IOPS "dm-cache smq, 1 MiB blocks, same fast size" "$tm" ">=1"
		emit "tiering: couche vs all on the fast device" "$tc" IOPS "all on the fast device (bound)" "$tf" ">=0.8"
		emit "tiering: couche vs all on the slow device" "$tc" IOPS "all on the slow device (2 ms)" "$ts"
		# The best placement's IOPS: a hit costs what an all-fast access
		# does, a miss what an all-slow one does.
		h=$(awk '{ a += $1; b += $3 } END { if (a > 0) printf "%.4f", b / a }' /tmp/tier.hits)
		got=$(awk '{ a += $1; b += $2 } END { if (a > 0) printf "%.4f", b / a }' /tmp/tier.hits)
		if [ -n "$h" ]; then
			bound=$(awk -v h="$h" -v f="$tf" -v s="$ts" 'BEGIN { printf "%.0f", 1 / (h / f + (1 - h) / s) }')
			emit "tiering: hit rate, extents in fast at the end" "$got" share "the best 16 extents for the run's accesses" "$h"
			emit "tiering: couche vs the best placement" "$tc" IOPS "best placement of 16 extents (hit rate $h)" "$bound" ">=0.8"
		else
			fail_bench "tiering: best placement" "no per-extent counts from the couche runs"
		fi
	else
		fail_bench "tiering" "a run gave no IOPS (couche$c1; cache$k1; cache 1m$m1; slow$s1; fast$f1)"
	fi
	dmsetup remove cdata cmeta fastt slow
	dd if=/dev/zero of=/dev/ram6 bs=1M count=64 2>/dev/null
}

raid6() {
MB=48
R=""
for i in 1 2 3 4 5 6; do
	dmsetup create r$i --table "0 131072 linear /dev/ram$i 0"
	R="$R /dev/mapper/r$i"
done
dd if=/dev/zero of=/dev/vda bs=1M count=1 2>/dev/null
dd if=/dev/zero of=/dev/ram0 bs=1M count=1 2>/dev/null
TBL="0 $((MB * 2048)) couche /dev/vda 2048 2 3 hot linear /dev/ram0 10 cold raid6 4 128$R"
dmsetup create vol0 --table "$TBL" || { fail_bench raid6 "volume not created"; return; }
dd if=/dev/urandom of=/dev/mapper/vol0 bs=1M count=$MB oflag=direct 2>/dev/null
st() { dmsetup status vol0; }
wait_mig() { while ! st | grep -q "migrations 0 0"; do sleep 0.05; done; }

mig=""; copy=""; healthy=""; degraded=""
for run in 1 2 3; do
	dmsetup message vol0 0 migrate 0-$((MB - 1)) hot; wait_mig
	a=$(now); dmsetup message vol0 0 migrate 0-$((MB - 1)) cold; wait_mig; b=$(now)
	mig="$mig $(rate $MB $a $b)"
	echo "# run $run after migration: $(st | cut -d' ' -f4-)"
	a=$(now); dd if=/dev/ram0 of=/dev/ram7 bs=1M count=$MB iflag=direct oflag=direct 2>/dev/null; b=$(now)
	copy="$copy $(rate $MB $a $b)"
	a=$(now); dd if=/dev/mapper/vol0 of=/dev/null bs=1M count=$MB iflag=direct 2>/dev/null; b=$(now)
	healthy="$healthy $(rate $MB $a $b)"
	for i in 2 5; do dmsetup reload r$i --table "0 131072 error" && dmsetup resume r$i; done
	a=$(now); dd if=/dev/mapper/vol0 of=/dev/null bs=1M count=$MB iflag=direct 2>/dev/null || degraded="$degraded ERR"; b=$(now)
	degraded="$degraded $(rate $MB $a $b)"
	echo "# run $run after degraded read: $(st | cut -d' ' -f4-)"
	for i in 2 5; do dmsetup reload r$i --table "0 131072 linear /dev/ram$i 0" && dmsetup resume r$i; done
	dmsetup reload vol0 --table "$TBL" && dmsetup resume vol0
done
echo "# runs: migration into raid6$mig; plain copy$copy; healthy read$healthy; degraded read$degraded"
m=$(median $mig)
c=$(median $copy)
h=$(median $healthy)
case "$degraded" in *ERR*) fail_bench "degraded read (2 of 6 dead)" "read failed" ;; *)
	d=$(median $degraded)
	emit "degraded read, 2 of 6 members dead" "$d" MB/s "healthy read of the same raid6 extents" "$h" ;;
esac
emit "migration into raid6 4+2" "$m" MB/s "plain sequential copy ramdisk to ramdisk (dd)" "$c"
emit "healthy raid6 read" "$h" MB/s "plain sequential copy ramdisk to ramdisk (dd)" "$c"
dmsetup remove vol0
}

# Space: the first sequential write of a fresh volume (1 MiB direct
# writes, 512 MiB) against dm-linear over the same part of the same disk,
# with 1 MiB extents (every write fills its extent: no zeroing) and 4 MiB
# ones (a write fills a quarter: the slot is zeroed first); then a volume
# filled past its linear tier (hot: 128 MiB of one disk; cold: raid6 4+2
# over six slices of the other), 800 MiB written while the kernel demotes
# into raid6, against dm-linear on that slow disk.  Fresh volumes each run,
# A B three times.
space() {
	FW=512 FILL=800
	ddw() { a=$(now); dd if=/dev/zero of="$1" bs=1M count="$2" oflag=direct conv=fsync 2>/dev/null || { echo ERR; return; }; b=$(now); rate "$2" "$a" "$b"; }
	fresh() {	# fresh <extent sectors>: a new volume on vdb
		dd if=/dev/zero of=/dev/vde bs=1M count=1 2>/dev/null
		dd if=/dev/zero of=/dev/vdb bs=1M count=1 2>/dev/null
		dmsetup create sp --table "0 $((FW * 2048)) couche /dev/vde $1 1 3 hot linear /dev/vdb"
	}
	# The disk image is sparse: allocate the region first, so neither side
	# pays for the host's first writes.
	dd if=/dev/zero of=/dev/vdb bs=1M count=$((FW + 8)) oflag=direct 2>/dev/null
	echo "# vdb takes WRITE ZEROES up to $(cat /sys/block/vdb/queue/write_zeroes_max_bytes) bytes (kcopyd zeroes slots with it)"
	for ext in 2048 8192; do
		a=""; b=""
		for run in 1 2 3; do
			fresh $ext || { a="$a ERR"; continue; }
			a="$a $(ddw /dev/mapper/sp $FW)"
			dmsetup remove sp
			dmsetup create splin --table "0 $((FW * 2048)) linear /dev/vdb 2048"
			b="$b $(ddw /dev/mapper/splin $FW)"
			dmsetup remove splin
		done
		echo "# runs: first write, $((ext / 2048)) MiB extents: couche$a; linear$b"
		pairs=$(echo "$a;$b" | awk -F';' '{ n = split($1, x, " "); split($2, y, " ")
			for (i = 1; i <= n; i++) if (y[i] > 0 && x[i] != "ERR") printf "%.4f ", x[i] / y[i] }')
		case "$a" in *ERR*) fail_bench "first sequential write" "a volume or dd failed ($a)"; continue ;; esac
		RATIO=$(median $pairs | awk '{ printf "%.3f", $1 }')
		if [ $ext = 2048 ]; then
			emit "first sequential write, 1 MiB direct, 1 MiB extents" "$(median $a)" MB/s "dm-linear on the same disk (ratio: median of 3 pairs)" "$(median $b)" ">=0.9"
		else
			emit "first sequential write, 1 MiB direct, 4 MiB extents" "$(median $a)" MB/s "dm-linear on the same disk (ratio: median of 3 pairs)" "$(median $b)"
		fi
		RATIO=
	done

	cs=$((190 * 2048))
	slow6() {
		for i in 0 1 2 3 4 5; do
			dmsetup create s6$i --table "0 $cs linear /dev/vdc $((2048 + i * cs))" || return 1
		done
	}
	a=""; b=""; dem=""
	for run in 1 2; do
		slow6 || { a="$a ERR"; break; }
		for i in 0 1 2 3 4 5; do dd if=/dev/zero of=/dev/mapper/s6$i bs=1M count=1 2>/dev/null; done
		dd if=/dev/zero of=/dev/vde bs=1M count=1 2>/dev/null
		dmsetup create sph --table "0 $((129 * 2048)) linear /dev/vdb 0"
		dd if=/dev/zero of=/dev/mapper/sph bs=1M count=1 2>/dev/null
		if ! dmsetup create spf --table "0 $((FILL * 2048)) couche /dev/vde 2048 2 3 hot linear /dev/mapper/sph 10 cold raid6 4 128 /dev/mapper/s60 /dev/mapper/s61 /dev/mapper/s62 /dev/mapper/s63 /dev/mapper/s64 /dev/mapper/s65"; then
			a="$a ERR"
		else
			a="$a $(ddw /dev/mapper/spf $FILL)"
			dem="$dem $(dmsetup status spf | awk '{ for (i = 1; i <= NF; i++) if ($i == "space") print $(i+1) "/" $(i+3) }')"
			echo "# fill run $run: $(dmsetup status spf | cut -d' ' -f4-)"
			dmsetup remove spf
		fi
		dmsetup remove sph
		for i in 0 1 2 3 4 5; do dmsetup remove s6$i; done
		dmsetup create splin --table "0 $((FILL * 2048)) linear /dev/vdc 2048"
		b="$b $(ddw /dev/mapper/splin $FILL)"
		dmsetup remove splin
	done
	echo "# runs: fill past the linear tier (MB/s): couche$a (demoted/nospace:$dem); dm-linear on the slow disk$b"
	case "$a" in *ERR*) fail_bench "fill past the linear tier" "volume or dd failed ($a)" ;; *)
		emit "fill 800 MiB past a 128 MiB linear tier into raid6 4+2" "$(median $a)" MB/s "dm-linear on the slow disk (the raid6 members' disk)" "$(median $b)" ;;
	esac
}

memory() {
# The agent over a volume of 2^20 extents (1 TiB of 1 MiB extents over
# dm-zero tiers, nothing stored): one policy cycle, CPU and peak RSS, next
# to the budget the agent is held to (0.5 s CPU, 20 MiB).
N=1048576
dd if=/dev/zero of=/dev/vda bs=1M count=16 2>/dev/null
dmsetup create z0 --table "0 4294967296 zero" && dmsetup create z1 --table "0 4294967296 zero" &&
	dmsetup create big --table "0 $((N * 2048)) couche /dev/vda 2048 2 3 fast linear /dev/mapper/z0 3 slow linear /dev/mapper/z1" ||
	{ fail_bench "agent cycle over 2^20 extents" "volume not created"; return; }
# Kernel memory of the volume just created, per extent, against dm-cache
# (smq) with as many cache blocks of the same size, over the same zero
# devices.  Slab plus vmalloc, caches dropped, before and after.
kmem() { sync; echo 3 > /proc/sys/vm/drop_caches; awk '/^Slab:|^VmallocUsed:/ { s += $2 } END { print s }' /proc/meminfo; }
after=$(kmem)
dmsetup remove big
before=$(kmem)
couche_b=$(awk -v a="$after" -v b="$before" -v n=$N 'BEGIN { printf "%.1f", (a - b) * 1024 / n }')
dd if=/dev/zero of=/dev/vde bs=1M count=64 2>/dev/null
dmsetup create zc --table "0 $((N * 2048)) zero"
before=$(kmem)
if dmsetup create cachebig --table "0 $((N * 2048)) cache /dev/vde /dev/mapper/zc /dev/mapper/z0 2048 1 writethrough smq 0"; then
	after=$(kmem)
	cache_b=$(awk -v a="$after" -v b="$before" -v n=$N 'BEGIN { printf "%.1f", (a - b) * 1024 / n }')
	dmsetup remove cachebig; dmsetup remove zc
	echo "# runs: kernel memory per extent: couche $couche_b B, dm-cache $cache_b B"
	emit "kernel memory per extent, 2^20 extents" "$couche_b" B "dm-cache smq per cache block, 2^20 blocks" "$cache_b"
else
	fail_bench "kernel memory per extent" "dm-cache table refused"
fi
dd if=/dev/zero of=/dev/vda bs=1M count=16 2>/dev/null
dmsetup create big --table "0 $((N * 2048)) couche /dev/vda 2048 2 3 fast linear /dev/mapper/z0 3 slow linear /dev/mapper/z1" ||
	{ fail_bench "agent cycle over 2^20 extents" "volume not created again"; return; }
# Some heat: 512 extents written, spread over the volume.
for i in $(seq 0 2048 $((N - 1))); do
	dd if=/dev/zero of=/dev/mapper/big bs=4k count=1 seek=$((i * 256)) oflag=direct 2>/dev/null
done
ifconfig lo 127.0.0.1 up 2>/dev/null
printf 'policy:\n  interval: 1s\nmigration:\n  dry_run: true\n  batch_size: 1000\nagent:\n  metrics_address: "127.0.0.1:18080"\n  health_address: "127.0.0.1:18081"\n' > /tmp/bench-agent.yaml
agent_runs() {	# agent_runs <what is written>: one --once run, three times
	cpu=""; usr=""; rss=""; cyc=""
	for run in 1 2 3; do
		couchestord agent --once --config=/tmp/bench-agent.yaml > /tmp/agent.out 2>&1
		line=$(grep 'msg="resource use"' /tmp/agent.out)
		echo "# run $run: $line"
		cpu="$cpu $(echo "$line" | sed -n 's/.*cpu_seconds=\([0-9.]*\).*/\1/p')"
		usr="$usr $(echo "$line" | sed -n 's/.*user_seconds=\([0-9.]*\).*/\1/p')"
		rss="$rss $(echo "$line" | sed -n 's/.*max_rss_kib=\([0-9]*\).*/\1/p')"
		cyc="$cyc $(echo "$line" | sed -n 's/.*last_cycle_seconds=\([0-9.]*\).*/\1/p')"
	done
	echo "# runs: agent, $1: cpu$cpu; user$usr; rss$rss; cycle$cyc"
	c=$(median $cpu); rss_kib=$(median $rss); y=$(median $cyc); u=$(median $usr)
	if [ -n "$c" ] && [ -n "$rss_kib" ]; then
		emit "agent: CPU for start + 1 cycle, 2^20 extents, $1" "$c" s "budget (issue 5)" 0.5 "<=1"
		emit "agent: user CPU of that (the rest is the kernel's dump), $1" "$u" s "budget (issue 5)" 0.5 "<=1"
		emit "agent: peak RSS, 2^20 extents, $1" "$(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }')" MiB "budget (issue 5)" 20 "<=1"
		emit "agent: wall time of the cycle (dump + plan), $1" "$y" s "budget (issue 5)" 0.5 "<=1"
	else
		fail_bench "agent cycle over 2^20 extents, $1" "no resource line in the agent's log"
	fi
}
agent_runs "512 written"
# Every extent written (4 KiB at the start of each, in eight rounds):
# the agent then reads and plans all 2^20.
for k in 0 1 2 3 4 5 6 7; do
	a=$(now)
	fio --name=all --filename=/dev/mapper/big --rw=write:1020k --bs=4k --direct=1 \
		--ioengine=libaio --iodepth=32 --offset=$((k * N / 8))M --size=$((N / 8))M \
		--minimal > /dev/null 2>&1
	echo "# first writes to extents $((k * N / 8))-$(((k + 1) * N / 8 - 1)): $(now) s after $a s"
done
w=$(dmsetup status big | sed -n 's/.* fast \([0-9]*\)\/.*/\1/p')
echo "# extents written: ${w:-unknown} of $N"
agent_runs "all written"
dmsetup remove big; dmsetup remove z0 z1
}

setup
[ $# -gt 0 ] || set -- hot migration tiering raid6 space memory
for section; do
	echo "# section $section, uptime $(now) s"
	$section
done
echo "# done, uptime $(now) s"
