#!/bin/sh
# make bench, inside the VM.  raid6 tier: migration into it vs a plain copy
# between the same ramdisks, and degraded vs healthy reads, next to the
# raid6 gen() speed this boot measured.  Each pair runs A B A B A B; the
# median of the three is reported.  Prints "BENCH <json line>" per result.
export DM_DISABLE_UDEV=1
MB=48
now() { awk '{ print $1 }' /proc/uptime; }
rate() { awk -v mb="$1" -v a="$2" -v b="$3" 'BEGIN { d = b - a; if (d <= 0) d = 0.01; printf "%.1f", mb / d }'; }
median3() { echo "$1 $2 $3" | tr ' ' '\n' | sort -n | sed -n 2p; }
emit() {	# emit <name> <value> <unit> <baseline name> <baseline value>
	r=$(awk -v a="$2" -v b="$5" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "null" }')
	echo "BENCH {\"measure\":\"$1\",\"value\":$2,\"unit\":\"$3\",\"baseline\":\"$4\",\"baseline_value\":$5,\"ratio\":$r}"
}
fail_bench() { echo "BENCH {\"measure\":\"$1\",\"error\":\"$2\"}"; }

insmod /lib/modules/brd.ko rd_nr=8 rd_size=65536 || { fail_bench setup "brd did not load"; exit 1; }
gen=$(dmesg | sed -n 's/.*raid6: using algorithm \(.*\) gen() \([0-9]*\) MB\/s.*/\1 \2/p' | head -n 1)
echo "BENCH {\"measure\":\"raid6 gen() (kernel boot benchmark)\",\"value\":${gen##* },\"unit\":\"MB/s\",\"algorithm\":\"${gen% *}\",\"baseline\":\"none: printed for reference\"}"

R=""
for i in 1 2 3 4 5 6; do
	dmsetup create r$i --table "0 131072 linear /dev/ram$i 0"
	R="$R /dev/mapper/r$i"
done
dd if=/dev/zero of=/dev/vda bs=1M count=1 2>/dev/null
dd if=/dev/zero of=/dev/ram0 bs=1M count=1 2>/dev/null
TBL="0 $((MB * 2048)) couche /dev/vda 2048 2 3 hot linear /dev/ram0 10 cold raid6 4 128$R"
dmsetup create vol0 --table "$TBL" || { fail_bench setup "volume not created"; exit 1; }
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
set -- $mig; m=$(median3 $1 $2 $3)
set -- $copy; c=$(median3 $1 $2 $3)
set -- $healthy; h=$(median3 $1 $2 $3)
case "$degraded" in *ERR*) fail_bench "degraded read (2 of 6 dead)" "read failed" ;; *)
	set -- $degraded; d=$(median3 $1 $2 $3)
	emit "degraded read, 2 of 6 members dead" "$d" MB/s "healthy read of the same raid6 extents" "$h" ;;
esac
emit "migration into raid6 4+2" "$m" MB/s "plain sequential copy ramdisk to ramdisk (dd)" "$c"
emit "healthy raid6 read" "$h" MB/s "plain sequential copy ramdisk to ramdisk (dd)" "$c"
dmsetup remove vol0
