#!/bin/sh
# The demo, inside the throwaway VM: a 3-tier volume on virtio disks.
export DM_DISABLE_UDEV=1
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { echo "# $*"; "$@"; }
st() { dmsetup status vol0 | cut -d' ' -f4-; }

say "Devices: /dev/vda metadata (16 MiB), vdb hot (64 MiB), vdc warm (128 MiB), vdd cold (256 MiB)"
for d in /dev/vda /dev/vdb /dev/vdc /dev/vdd; do dd if=/dev/zero of=$d bs=1M count=1 2>/dev/null; done
say "Create a 400 MiB volume of 1 MiB extents over three tiers"
run dmsetup create vol0 --table "0 819200 couche /dev/vda 2048 3 3 hot linear /dev/vdb 3 warm linear /dev/vdc 3 cold linear /dev/vdd"
run dmsetup status vol0
echo "(meta blocks used/total, extent size, tiers: name used/total health, migrations queued running done failed, cache hits misses)"

say "Write 100 MiB: the hot tier fills first (keeping its 2% reserve), the rest lands in warm"
run fio --name=fill --filename=/dev/mapper/vol0 --rw=write --bs=1M --size=100M --direct=1 \
	--verify=crc32c --do_verify=0 --minimal > /dev/null
run dmsetup status vol0

say "Read extent 5 a lot: per-extent heat counts it"
dd if=/dev/mapper/vol0 of=/dev/null bs=4k count=256 skip=$((5 * 256)) iflag=direct 2>/dev/null
run dmsetup message vol0 0 extents 4-6
echo "(extent tier reads writes heat flags: P pinned, M migrating)"

say "Move extents 0-49 to the cold tier while fio keeps reading and verifying"
fio --name=fill --filename=/dev/mapper/vol0 --rw=read --bs=1M --size=100M --direct=1 \
	--verify=crc32c --do_verify=1 --verify_only --loops=3 --minimal > /tmp/fio.out 2>&1 &
run dmsetup message vol0 0 migrate 0-49 cold
sleep 0.5
run dmsetup status vol0
wait $! && echo "fio: all 100 MiB verified during the migration" || echo "fio: VERIFY FAILED"
i=0; while dmsetup status vol0 | grep -qv "migrations 0 0"; do sleep 0.2; i=$((i+1)); [ $i -gt 300 ] && break; done
run dmsetup status vol0

say "Pin extents 60-63 to hot; a migrate elsewhere is refused until unpinned"
run dmsetup message vol0 0 pin 60-63 hot
sleep 1
run dmsetup message vol0 0 extents 60-63
run dmsetup message vol0 0 migrate 60 cold || echo "(refused, as it should be: extent 60 is pinned)"

say "Throttle migrations to 4 MB/s and move 20 extents back up"
run dmsetup message vol0 0 set migration_mbps 4
run dmsetup message vol0 0 migrate 0-19 hot
sleep 1
run dmsetup status vol0
run dmsetup message vol0 0 set migration_mbps 0
i=0; while dmsetup status vol0 | grep -qv "migrations 0 0"; do sleep 0.2; i=$((i+1)); [ $i -gt 300 ] && break; done

say "Remove the volume, reload the module, create it again: the map and data persist"
run dmsetup remove vol0
run rmmod dm-couche
run insmod /lib/modules/dm-couche.ko
run dmsetup create vol0 --table "0 819200 couche /dev/vda 2048 3 3 hot linear /dev/vdb 3 warm linear /dev/vdc 3 cold linear /dev/vdd"
run dmsetup status vol0
if fio --name=fill --filename=/dev/mapper/vol0 --rw=read --bs=1M --size=100M --direct=1 \
	--verify=crc32c --do_verify=1 --verify_only --minimal > /dev/null 2>&1; then
	echo "fio: all 100 MiB verified after the module reload"
else
	echo "fio: VERIFY FAILED"; exit 1
fi
run dmsetup remove vol0
say "Done."
