#!/bin/bash
# Proves dkms.conf: dkms add, build for the test kernel, then remove.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
kver=$("$top/tools/kernel-version")
dst=/usr/src/dm-couche-$ver
dkms remove -m dm-couche -v "$ver" --all > /dev/null 2>&1 || true
rm -rf "$dst"
mkdir -p "$dst"
cp -r "$top/Kbuild" "$top/Makefile" "$top/dkms.conf" "$top/kernel" "$top/include" "$dst/"
trap 'dkms remove -m dm-couche -v "$ver" --all > /dev/null 2>&1; rm -rf "$dst"' EXIT
dkms add -m dm-couche -v "$ver"
dkms build -m dm-couche -v "$ver" -k "$kver"
find "/var/lib/dkms/dm-couche/$ver/$kver" -name 'dm-couche.ko*' | grep -q .
echo "dkms: built dm-couche $ver for $kver"
