#!/bin/sh
# build.sh: the image (Containerfile) from a debootstrap base, tagged
# localhost/couchestor:VERSION and ghcr.io/abiolaogu/couchestor:VERSION,
# as deploy/ names it. Needs podman and debootstrap (tools/deps.sh image).
# chroot isolation: RUN steps need no OCI runtime or cgroups (this machine
# has a hybrid cgroup tree, which crun refuses).
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
"$top/tools/image/base.sh"
podman build --layers --isolation="${BUILD_ISOLATION:-chroot}" -f "$top/Containerfile" -t "localhost/couchestor:$ver" \
	-t "ghcr.io/abiolaogu/couchestor:$ver" "$top"
echo "image: localhost/couchestor:$ver, ghcr.io/abiolaogu/couchestor:$ver"
