#!/bin/sh
# mkinitramfs.sh KVER OUT: builds the test VM's initramfs: busybox,
# dmsetup, fio, the CoucheStor tools, the distro modules the tests use,
# dm-couche.ko and selftests/.
set -e
kver=$1
out=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
stage=$(mktemp -d)
chmod 755 "$stage"	# the VM's /: unprivileged tests need to reach /lib
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage/bin" "$stage/etc" "$stage/lib/modules" "$stage/usr/local/bin"
cp /bin/busybox "$stage/bin/busybox"
cp "$top/tools/vm/init" "$stage/init"
chmod +x "$stage/init"

# Binaries with the shared libraries they load.
copy_bin() {
	install -D "$1" "$stage$2"
	ldd "$1" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		[ -e "$stage$lib" ] || install -D "$lib" "$stage$lib"
	done
}
copy_bin /sbin/dmsetup /sbin/dmsetup
copy_bin /usr/bin/fio /usr/bin/fio
copy_bin /usr/bin/setpriv /usr/bin/setpriv
copy_bin /var/cache/couchestor/mdadm/sbin/mdadm /sbin/mdadm	# tools/deps.sh
# Real filesystems on volumes: call these by full path (busybox has applets
# of the same names).
for b in mke2fs e2fsck mkfs.xfs xfs_repair fstrim; do
	copy_bin /usr/sbin/$b /usr/sbin/$b
done
for t in pattern replay-log couchestorctl nlfuzz; do
	copy_bin "$top/tools/$t" "/usr/local/bin/$t"
done
copy_bin "$top/daemon/couchestord" /usr/local/bin/couchestord

# Distro modules, in load order, then ours.  A debug kernel (DEBUG_KERNEL,
# tools/vm/debug-kernel.sh) has everything built in but brd.
: > "$stage/etc/modules.load"
if [ -n "$DEBUG_KERNEL" ]; then
	install -m 644 "$DEBUG_BRD" "$stage/lib/modules/brd.ko"
	install -m 644 "$DEBUG_MODULE" "$stage/lib/modules/dm-couche.ko"
else
	for m in virtio_pci virtio_blk dm-mod crc32c-intel crc32c_generic libcrc32c \
		 raid6_pq dm-bufio dm-log-writes dm-flakey dm-delay dm-zero dm-cache dm-cache-smq \
		 md-mod faulty ext4 xfs virtio_net 9pnet_virtio 9p; do
		modprobe -S "$kver" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' | while read -r ko; do
		install -D -m 644 "$ko" "$stage$ko"
		echo "$ko" >> "$stage/etc/modules.load"
	done
	brd=$(modprobe -S "$kver" --show-depends brd | awk '$1 == "insmod" { print $2 }')
	install -m 644 "$brd" "$stage/lib/modules/brd.ko"
	install -m 644 "${COUCHE_MODULE:-$top/kernel/dm-couche.ko}" "$stage/lib/modules/dm-couche.ko"
fi
echo /lib/modules/dm-couche.ko >> "$stage/etc/modules.load"

cp -r "$top/selftests" "$stage/selftests"
# The module loader and the sources it builds, as the image has them.
install -D -m 755 "$top/deploy/image/module-loader.sh" "$stage/loader/module-loader.sh"
"$top/deploy/image/stage-module-src.sh" "$stage/loader/src"
# ... and a 0.2.0 of the same sources built here, the newer module an image
# ships prebuilt (module-loader.sh swaps it in for the 0.1.0 the loader builds there).
if [ -z "$DEBUG_KERNEL" ]; then
	v2=$(mktemp -d)
	cp -r "$stage/loader/src/." "$v2/"
	sed -i 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="0.2.0"/' "$v2/dkms.conf"
	make -s -C "/lib/modules/$kver/build" M="$v2" -j"$(nproc)" modules > "$v2/build.log" 2>&1 ||
		{ tail -n 20 "$v2/build.log"; exit 1; }
	install -D -m 644 "$v2/kernel/dm-couche.ko" "$stage/loader/prebuilt-0.2.0/dm-couche.ko"
	rm -rf "$v2"
fi
# The alert rules a real Prometheus evaluates against the agent (89).
mkdir -p "$stage/selftests/deploy"
cp "$top/deploy/monitoring/alerting-rules-nutanix.yaml" "$stage/selftests/deploy/"
cp "$top/tools/vm/demo-guest.sh" "$stage/selftests/demo.sh"
cp "$top/tools/bench/bench-guest.sh" "$stage/selftests/bench.sh"
# Files a host-side test hands to the guest (tools/kube/vm-e2e.sh).
if [ -n "${VM_EXTRA:-}" ]; then cp -r "$VM_EXTRA" "$stage/extra"; fi
(cd "$stage" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out"
