#!/bin/bash
# Builds a 6.1 kernel with KASAN, lockdep and other debug checks from
# linux-source-6.1 (cached in $KUNIT_CACHE/debug-build), builds dm-couche
# against it, and runs the VM selftests on it:
#   tools/vm/debug-kernel.sh [TEST.sh ...]
# About 25 minutes the first time on 2 cores; not part of make check.
set -eo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${KUNIT_CACHE:-/var/cache/couchestor}
src=$cache/linux-source-6.1
out=$cache/debug-build
[ -f "$src/Makefile" ] || tar -C "$cache" -xf /usr/src/linux-source-6.1.tar.xz
mkdir -p "$out"
if [ ! -f "$out/.config" ]; then
	make -C "$src" O="$out" x86_64_defconfig > /dev/null
	cfg() { "$src/scripts/config" --file "$out/.config" "$@"; }
	cfg -e KASAN -e KASAN_GENERIC -e KASAN_INLINE -e PROVE_LOCKING -e DEBUG_ATOMIC_SLEEP \
	    -e DEBUG_LIST -e DEBUG_OBJECTS -e DEBUG_OBJECTS_WORK -e SOFTLOCKUP_DETECTOR \
	    -e DETECT_HUNG_TASK -e VIRTIO_BLK -e VIRTIO_PCI -e MD -e BLK_DEV_DM -e DM_LOG_WRITES \
	    -e DM_FLAKEY -e DM_DELAY -e DM_CACHE -e MD_RAID456 -e MD_FAULTY -e LIBCRC32C -e CRYPTO_CRC32C \
	    -e DEVTMPFS -e DEVTMPFS_MOUNT -e BLK_DEV_INITRD -e SERIAL_8250_CONSOLE -m BLK_DEV_RAM \
	    -d DRM -d SOUND -d WLAN -d WIRELESS -d USB_SUPPORT -d INPUT_MOUSE -d HID -d NETFILTER \
	    -d ETHERNET -d AGP -d FB -d LOGO -d MODULE_SIG -d DEBUG_INFO -d DEBUG_INFO_DWARF4 \
	    -d DEBUG_INFO_DWARF5 -d DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT -e DEBUG_INFO_NONE
	make -C "$src" O="$out" olddefconfig > /dev/null
fi
# Added since: an older cached build gets them too (9p: the host's / for
# 89-alert-rules' Prometheus).
if ! grep -q '^CONFIG_MD_FAULTY=y' "$out/.config" || ! grep -q '^CONFIG_9P_FS=y' "$out/.config"; then
	"$src/scripts/config" --file "$out/.config" -e MD_FAULTY -e NET_9P -e NET_9P_VIRTIO -e 9P_FS
	make -C "$src" O="$out" olddefconfig > /dev/null
fi
make -C "$src" O="$out" -j"$(nproc)" bzImage modules > "$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log"; exit 1; }
kver=$(cat "$out/include/config/kernel.release")
rm -rf "$top/build/debug-module"
mkdir -p "$top/build/debug-module"
cp -r "$top/Kbuild" "$top/dkms.conf" "$top/kernel" "$top/include" "$top/build/debug-module/"
find "$top/build/debug-module" -name '*.o' -o -name '*.ko' -o -name '.*.cmd' | xargs rm -f
make -C "$out" M="$top/build/debug-module" modules > "$out/module.log" 2>&1 ||
	{ tail -n 30 "$out/module.log"; exit 1; }
echo "debug kernel $kver built; running selftests on it"
export DEBUG_KERNEL=$out/arch/x86/boot/bzImage
export DEBUG_MODULE=$top/build/debug-module/kernel/dm-couche.ko
export DEBUG_BRD=$out/drivers/block/brd.ko
export KVER=$kver BUILD=$top/build/vm-debug VM_MEM=3072
exec "$top/tools/vm/run-tests.sh" "$@"
