#!/bin/sh
# Installs the Debian packages the build, the tests and the demo need.
# Idempotent: does nothing when everything is there.
set -e
pkgs="make gcc libc6-dev linux-image-amd64 linux-headers-amd64 qemu-system-x86
busybox-static fio dmsetup cpio kmod python3 bc flex bison libelf-dev dkms
linux-source-6.1 xz-utils sparse pkg-config libnl-3-dev libnl-genl-3-dev
libjson-c-dev util-linux libyaml-dev libmicrohttpd-dev libcurl4-openssl-dev
prometheus curl gnuplot-nox e2fsprogs xfsprogs clang libclang-rt-14-dev
podman buildah debootstrap openssl golang-go golang-github-masterminds-sprig-dev
golang-gopkg-yaml.v3-dev"
# The deploy/ checks run on Node.js (npm packages pinned in
# tools/deploy/package-lock.json): Debian's, unless a node is there.
command -v npm > /dev/null || pkgs="$pkgs nodejs npm"
# mdadm goes into the test VM only (md's faulty personality gives read
# errors a rewrite fixes): unpacked here, not installed, so the host's
# arrays and initramfs are left alone.
mdadm_dir=/var/cache/couchestor/mdadm
# Debian's kubectl (kubernetes-client), the second client the Kubernetes
# test double is checked with: unpacked too, so that a kubectl already on
# the machine (another package owns /usr/bin/kubectl) is left alone.
kubectl_dir=/var/cache/couchestor/kubectl
need=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
[ -z "$need" ] && [ -x $mdadm_dir/sbin/mdadm ] && [ -x $kubectl_dir/kubectl ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$need (or $mdadm_dir, $kubectl_dir); run as root or install them" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ -n "$need" ]; then
	echo "deps: installing$need"
	apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
if [ ! -x $mdadm_dir/sbin/mdadm ]; then
	echo "deps: unpacking mdadm into $mdadm_dir"
	tmp=$(mktemp -d)
	chown _apt "$tmp" 2>/dev/null || chmod 1777 "$tmp"	# apt-get download runs as _apt
	(cd "$tmp" && apt-get download -qq mdadm && dpkg -x mdadm_*.deb "$tmp/x")
	mkdir -p $mdadm_dir/sbin
	install -m 755 "$tmp/x/sbin/mdadm" $mdadm_dir/sbin/mdadm
	rm -rf "$tmp"
fi
if [ ! -x $kubectl_dir/kubectl ]; then
	echo "deps: unpacking Debian's kubectl into $kubectl_dir"
	tmp=$(mktemp -d)
	chown _apt "$tmp" 2>/dev/null || chmod 1777 "$tmp"
	(cd "$tmp" && apt-get download -qq kubernetes-client && dpkg -x kubernetes-client_*.deb "$tmp/x")
	mkdir -p $kubectl_dir
	install -m 755 "$tmp/x/usr/bin/kubectl" $kubectl_dir/kubectl
	rm -rf "$tmp"
fi
