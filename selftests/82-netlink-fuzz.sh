#!/bin/sh
# Netlink fuzzing: nlfuzz throws thousands of malformed and odd requests at
# the "couche" family while a volume holds data.  Every request is answered,
# the data survives, the family keeps working, unreclaimable slab does not
# grow with the number of requests, the volume can still be removed, and
# without CAP_SYS_ADMIN nothing changes.  (run.sh fails the test if the
# kernel log shows a WARNING, BUG or KASAN report.)
. ./lib.sh
wipe $META $HOT $WARM $COLD
check "create 3-tier volume" dmsetup create $VOL --table "$(table 819200)"

# Data at the start and in extent 300, verified after each fuzzing run.
check "write 16 MiB at the start" pattern write $DEV 0 4096 41
check "write 4 MiB from extent 300" pattern write $DEV $((300 * 256)) 1024 42
verify() {
	pattern verify $DEV 0 4096 41 && pattern verify $DEV $((300 * 256)) 1024 42
}

# fuzz <description> <command...>: passes when nlfuzz exits 0; its seed
# and summary go to the log either way, so a failure can be replayed.
fuzz() {
	d=$1; shift
	"$@" > /tmp/nlfuzz.out 2>&1
	rc=$?
	diag /tmp/nlfuzz.out
	is $rc 0 "$d"
}

# Unreclaimable slab in kB, once caches are dropped and frees have settled.
sunreclaim() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	sleep 2
	awk '$1 == "SUnreclaim:" { print $2 }' /proc/meminfo
}

# What a refused request must leave alone: the knobs and every extent's
# tier and pin (not its heat or counters, which reads change).
snapshot() {
	{
		dmsetup table $VOL
		for r in 0-199 200-399; do msg extents $r | awk '{ print $1, $2, $6 }'; done
	} | md5sum | cut -d' ' -f1
}

# kmemleak (debug kernels): forget suspects from earlier tests.
[ -w /sys/kernel/debug/kmemleak ] && echo clear > /sys/kernel/debug/kmemleak

grep -E 'Slab|SUnreclaim' /proc/meminfo | diag
s0=$(sunreclaim)
fuzz "nlfuzz: 3000 rounds as root, every request answered" nlfuzz -q -n 3000 -d $VOL
check "migrations the fuzzer queued drain" wait_migrations
s1=$(sunreclaim)
check "data verifies after fuzzing" verify
check "dmsetup status still works" dmsetup status $VOL
check "couchestorctl status still works" couchestorctl status $VOL

fuzz "nlfuzz: 2000 more rounds as root" nlfuzz -q -n 2000 -d $VOL
check "migrations drain again" wait_migrations
s2=$(sunreclaim)
grep -E 'Slab|SUnreclaim' /proc/meminfo | diag
echo "# SUnreclaim: $s0 kB before, $s1 kB after 3000 rounds, $s2 kB after 2000 more"
growth=$((s2 - s1))
[ "$growth" -lt 2048 ]
ok $? "unreclaimable slab grew less than 2 MiB over 2000 rounds (${growth} kB)"
check "data verifies after the second run" verify

# Without privileges every changing command must be refused: nlfuzz fails
# if one is acknowledged, and the table and extent map must not move.
# The VM's PATH finds busybox setpriv first, which cannot change the uid:
# util-linux's by its path, else nlfuzz -u drops privileges itself.
before=$(snapshot)
nobody=
for s in /usr/bin/setpriv setpriv; do
	if $s --reuid=65534 --regid=65534 --clear-groups true 2> /dev/null; then
		nobody="$s --reuid=65534 --regid=65534 --clear-groups"
		break
	fi
done
if [ -n "$nobody" ]; then
	fuzz "nlfuzz as nobody: 500 rounds, nothing changing accepted" \
		$nobody nlfuzz -q -n 500 -d $VOL
else
	echo "# no setpriv can change the uid here: nlfuzz -u 65534 drops privileges itself"
	fuzz "nlfuzz as nobody: 500 rounds, nothing changing accepted" \
		nlfuzz -q -n 500 -u 65534 -d $VOL
fi
is "$(snapshot)" "$before" "the table and the extent map did not change"
check "data verifies after the unprivileged run" verify

check "remove the volume (no reference left behind)" dmsetup remove $VOL

# A debug kernel with kmemleak: nothing of ours may be unreferenced.
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan > /sys/kernel/debug/kmemleak
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	if grep -q couche /sys/kernel/debug/kmemleak; then
		ok 1 "kmemleak finds no leaked dm-couche object"
		diag /sys/kernel/debug/kmemleak
	else
		ok 0 "kmemleak finds no leaked dm-couche object"
	fi
fi
done_testing
