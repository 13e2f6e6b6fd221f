#!/bin/sh
# Installs the Debian packages the build, the tests and the demo need.
# Idempotent: does nothing when everything is there.
set -e
pkgs="make gcc libc6-dev linux-image-amd64 linux-headers-amd64 qemu-system-x86
busybox-static fio dmsetup cpio kmod python3 bc flex bison libelf-dev dkms
linux-source-6.1 xz-utils sparse pkg-config libnl-3-dev libnl-genl-3-dev
libjson-c-dev util-linux libyaml-dev libmicrohttpd-dev libcurl4-openssl-dev
prometheus curl gnuplot-nox e2fsprogs xfsprogs"
need=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$need; run as root or install them" >&2
	exit 1
fi
echo "deps: installing$need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $need >/dev/null
