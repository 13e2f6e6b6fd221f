#!/bin/sh
# The demo, inside the throwaway VM: a 3-tier volume on virtio disks.
export DM_DISABLE_UDEV=1
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { echo "# $*"; "$@"; }
st() { dmsetup status vol0 | cut -d' ' -f4-; }
# verified <volume> <MiB> <when>: fio checks what the fill wrote, or the demo stops.
verified() {
	if fio --name=fill --filename=/dev/mapper/$1 --rw=read --bs=1M --size=$2M --direct=1 \
		--verify=crc32c --do_verify=1 --verify_only --minimal > /dev/null 2>&1; then
		echo "fio: all $2 MiB verified $3"
	else
		echo "fio: VERIFY FAILED"; exit 1
	fi
}

say "Devices: /dev/vda metadata (16 MiB), vdb hot (64 MiB), vdc warm (128 MiB), vdd cold (256 MiB)"
for d in /dev/vda /dev/vdb /dev/vdc /dev/vdd; do dd if=/dev/zero of=$d bs=1M count=1 2>/dev/null; done
say "Create a 400 MiB volume of 1 MiB extents over three tiers"
run dmsetup create vol0 --table "0 819200 couche /dev/vda 2048 3 3 hot linear /dev/vdb 3 warm linear /dev/vdc 3 cold linear /dev/vdd"
run dmsetup status vol0
echo "(meta blocks used/total, extent size, tiers: name used/total health, migrations queued running done failed, cache hits misses)"
say "couchestorctl, over the couche netlink family, shows the same volume; events follow in the background"
run couchestorctl status vol0
couchestorctl events vol0 > /tmp/events.out 2>/dev/null &
evpid=$!

say "Write 100 MiB: the hot tier fills first (keeping its 2% reserve), the rest lands in warm"
run fio --name=fill --filename=/dev/mapper/vol0 --rw=write --bs=1M --size=100M --direct=1 \
	--verify=crc32c --do_verify=0 --minimal > /dev/null
run couchestorctl status vol0

say "Read extent 5 a lot: per-extent heat counts it"
dd if=/dev/mapper/vol0 of=/dev/null bs=4k count=256 skip=$((5 * 256)) iflag=direct 2>/dev/null
run couchestorctl extents vol0 --range 4-6
run couchestorctl extents vol0 --top 3
run couchestorctl extents vol0 --range 5 --json

say "Move extents 0-49 to the cold tier while fio keeps reading and verifying"
fio --name=fill --filename=/dev/mapper/vol0 --rw=read --bs=1M --size=100M --direct=1 \
	--verify=crc32c --do_verify=1 --verify_only --loops=3 --minimal > /tmp/fio.out 2>&1 &
fiopid=$!
run couchestorctl migrate vol0 0-49 cold --wait
wait $fiopid && echo "fio: all 100 MiB verified during the migration" || echo "fio: VERIFY FAILED"
run couchestorctl status vol0
echo "events so far:"; tail -n 3 /tmp/events.out; echo "... $(wc -l < /tmp/events.out) events"

say "Pin extents 60-63 to hot; a migrate elsewhere is refused until unpinned"
run couchestorctl pin vol0 60-63 hot --wait
run couchestorctl extents vol0 --range 60-63
run couchestorctl migrate vol0 60 cold || echo "(refused, as it should be: extent 60 is pinned)"
say "Changes need CAP_SYS_ADMIN; reading does not"
run /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups couchestorctl unpin vol0 60-63 ||
	echo "(refused for an unprivileged user, exit $?)"
run /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups couchestorctl extents vol0 --bottom 2

say "Throttle migrations to 4 MB/s and move 20 extents back up"
run couchestorctl set vol0 migration_mbps=4
run couchestorctl migrate vol0 0-19 hot
sleep 1
run couchestorctl status vol0
run couchestorctl set vol0 migration_mbps=0
run couchestorctl migrate vol0 0-19 hot --wait
kill $evpid

say "Remove the volume, reload the module, create it again: the map and data persist"
run dmsetup remove vol0
run rmmod dm-couche
run insmod /lib/modules/dm-couche.ko
run dmsetup create vol0 --table "0 819200 couche /dev/vda 2048 3 3 hot linear /dev/vdb 3 warm linear /dev/vdc 3 cold linear /dev/vdd"
run dmsetup status vol0
verified vol0 100 "after the module reload"
run dmsetup remove vol0
say "The metadata device checked offline"
run couchestorctl check /dev/vda

say "The agent at work: a volume whose cold tier is raid6 4+2, six slices of /dev/vdf"
for d in /dev/vda /dev/vdb; do dd if=/dev/zero of=$d bs=1M count=1 2>/dev/null; done
R=""
for i in 0 1 2 3 4 5; do
	dmsetup create c$i --table "0 53248 linear /dev/vdf $((i * 53248))"
	dd if=/dev/zero of=/dev/mapper/c$i bs=1M count=1 2>/dev/null
	R="$R /dev/mapper/c$i"
done
run dmsetup create vol1 --table "0 184320 couche /dev/vda 2048 2 3 hot linear /dev/vdb 10 cold raid6 4 128$R 2 heat_halflife_s 10"
run fio --name=fill --filename=/dev/mapper/vol1 --rw=write --bs=1M --size=90M --direct=1 \
	--verify=crc32c --do_verify=0 --minimal > /dev/null
say "Every extent to raid6 first: the hot tier is empty when the agent starts"
run couchestorctl migrate vol1 0-89 cold --wait
run couchestorctl status vol1
cat > /tmp/agent.yaml <<'YAML'
policy:
  interval: 2s
tiers:
  hot:
    iops_threshold: 2
  cold:
    iops_threshold: 0
migration:
  cooldown_period: 1m
  batch_size: 20
  concurrent_migrations: 4
agent:
  metrics_address: "127.0.0.1:8080"
  health_address: "127.0.0.1:8081"
YAML
say "couchestord agent, and 30 s of skewed (Zipf 1.1) reads: it promotes the hot set by itself"
echo "# couchestord agent --node-name=demo --config=/tmp/agent.yaml &"
couchestord agent --node-name=demo --config=/tmp/agent.yaml > /tmp/agent.log 2>&1 &
agent=$!
fio --name=zipf --filename=/dev/mapper/vol1 --rw=randread --bs=4k --direct=1 --size=90M \
	--random_distribution=zipf:1.1 --time_based --runtime=30 --ioengine=psync --minimal > /dev/null
sleep 6
grep 'moves issued' /tmp/agent.log | tail -n 3
run couchestorctl extents vol1 --top 8
run couchestorctl status vol1
say "Its metrics (Prometheus text format)"
wget -qO- http://127.0.0.1:8080/metrics | grep -E '^couchestor_(migrations_issued_total|tier_used_extents|migrations_completed_total|member_healthy)' | head -n 12
kill -TERM $agent
wait $agent && echo "couchestord stopped on SIGTERM"
verified vol1 90 "after the agent's moves"
run dmsetup remove vol1
say "Done."
