# Shared helpers for the dm-couche selftests (busybox sh, inside the VM).
# Output is TAP: "ok N - what" / "not ok N - what", the plan at the end.

META=/dev/vda
HOT=/dev/vdb
WARM=/dev/vdc
COLD=/dev/vdd
SPARE=/dev/vde
R6DISK=/dev/vdf			# sliced by p6_slices: a raid6 volume across reboots
EXT=2048			# 1 MiB extents
VOL=vol0
DEV=/dev/mapper/$VOL

T=0
FAILED=0
echo "TAP version 13"

ok() {	# ok <0|1> <description>
	T=$((T + 1))
	if [ "$1" = 0 ]; then
		echo "ok $T - $2"
	else
		echo "not ok $T - $2"
		FAILED=$((FAILED + 1))
	fi
}

diag() { sed 's/^/# /' "$@"; }

# check <description> <command...>: passes when the command succeeds.
check() {
	d=$1; shift
	if "$@" > /tmp/check.out 2>&1; then ok 0 "$d"; else ok 1 "$d"; diag /tmp/check.out; fi
}

# refuse <description> <command...>: passes when the command fails.
refuse() {
	d=$1; shift
	if "$@" > /tmp/check.out 2>&1; then ok 1 "$d (was accepted)"; else ok 0 "$d"; fi
}

# is <got> <want> <description>
is() {
	if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; echo "#   got '$1', want '$2'"; fi
}

done_testing() {
	echo "1..$T"
	[ "$FAILED" = 0 ]
	exit $?
}

wipe() {	# zero the first MiB (identity header / superblocks)
	for d; do dd if=/dev/zero of="$d" bs=1M count=1 conv=fsync 2>/dev/null; done
}

# table <len> [features...]: the standard 3-tier table.
table() {
	len=$1; shift
	t="0 $len couche $META $EXT 3 3 hot linear $HOT 3 warm linear $WARM 3 cold linear $COLD"
	[ $# -gt 0 ] && t="$t $# $*"
	echo "$t"
}

status() { dmsetup status "${1:-$VOL}" | cut -d' ' -f4-; }

# tier_used <name>: extents used in that tier.
tier_used() {
	status | awk -v n="$1" '{ for (i = 1; i <= NF; i++) if ($i == n) { split($(i+1), a, "/"); print a[1] } }'
}

mig_field() {	# mig_field <1..4>: queued running done failed
	status | awk -v f="$1" '{ for (i = 1; i <= NF; i++) if ($i == "migrations") print $(i+f) }'
}

wait_migrations() {
	i=0
	while [ "$(mig_field 1)" != 0 ] || [ "$(mig_field 2)" != 0 ]; do
		i=$((i + 1))
		[ $i -gt 600 ] && return 1
		sleep 0.2
	done
	return 0
}

# extent_tier <n>: the tier extent n lives in ("-" if never written).
extent_tier() {
	dmsetup message "$VOL" 0 extents "$1" | awk '{ print $2 }'
}

msg() { dmsetup message "$VOL" 0 "$@"; }

# scrub_run: scrubs $VOL, waits (up to 60 s), prints the status's scrub
# group: "<idle|running> <checked> <repaired> <unrepairable>".
scrub_run() {
	local n=0
	msg scrub || return 1
	while status | grep -q "scrub running" && [ $n -lt 300 ]; do sleep 0.2; n=$((n + 1)); done
	status | sed 's/.*scrub \([a-z]* [0-9]* [0-9]* [0-9]*\).*/\1/'
}

# zipf_reads <MiB> <seconds>: Zipf(1.1) 4k direct random reads over the
# first MiB of $DEV, the skewed load the agent tests use.
zipf_reads() {
	fio --name=zipf --filename=$DEV --rw=randread --bs=4k --direct=1 --size=${1}M \
		--random_distribution=zipf:1.1 --time_based --runtime=$2 --ioengine=psync \
		--minimal > /tmp/fio.out 2>&1
}

# Checksums of the first MiB of a device: proves refused input wrote nothing.
sum1m() { dd if="$1" bs=1M count=1 2>/dev/null | md5sum | cut -d' ' -f1; }

# raid6 tests: the cold tier's members are wrappers r<N> (dm-linear, 65536
# sectors) over /dev/ram<N>; fail and heal swap a wrapper's table.
health() { status | awk '{ for (i = 1; i <= NF; i++) if ($i == "cold") print $(i+2) }'; }
wait_health() {	# wait_health <want>: up to 60 s
	local n=0
	while [ "$(health)" != "$1" ] && [ $n -lt 300 ]; do sleep 0.2; n=$((n + 1)); done
	[ "$(health)" = "$1" ]
}
fail() { local m; for m; do dmsetup reload r$m --table "0 65536 error" && dmsetup resume r$m; done; }
heal() { local m; for m; do dmsetup reload r$m --table "0 65536 linear /dev/ram$m 0" && dmsetup resume r$m; done; }

# p6_slices [bad-member-index]: a metadata device, a hot tier and six raid6
# members as slices of $R6DISK (the same in every boot); the member named
# becomes unreadable (an error target), as a disk dead at boot.
p6_slices() {
	local i t
	dmsetup create p6m --table "0 16384 linear $R6DISK 0" &&
	dmsetup create p6h --table "0 65536 linear $R6DISK 16384" || return 1
	for i in 0 1 2 3 4 5; do
		t="0 40960 linear $R6DISK $((81920 + i * 40960))"
		[ "$i" = "$1" ] && t="0 40960 error"
		dmsetup create p6c$i --table "$t" || return 1
	done
}
p6_table() {
	echo "0 65536 couche /dev/mapper/p6m 2048 2 3 hot linear /dev/mapper/p6h 10 cold raid6 4 128" \
	     "/dev/mapper/p6c0 /dev/mapper/p6c1 /dev/mapper/p6c2 /dev/mapper/p6c3 /dev/mapper/p6c4 /dev/mapper/p6c5"
}
p6_health() { dmsetup status p6 | awk '{ for (i = 1; i <= NF; i++) if ($i == "cold") print $(i+2) }'; }

# The agent's policy cycles so far, from its metrics on 127.0.0.1:8080.
agent_cycles() { wget -qO- http://127.0.0.1:8080/metrics 2>/dev/null | sed -n 's/^couchestor_policy_cycle_seconds_count \([0-9]*\)/\1/p'; }

# stop_agent PID [what]: SIGTERM, and it must exit 0 within 3 s.
stop_agent() {
	t0=$(date +%s)
	kill -TERM "$1"
	wait "$1"
	rc=$?
	t1=$(date +%s)
	[ $rc = 0 ] && [ $((t1 - t0)) -le 3 ]
	ok $? "SIGTERM stops it in $((t1 - t0)) s (status $rc)$2"
}
