#!/bin/sh
# base.sh [NAME]: the image's Debian 12 base, made here with debootstrap
# (no registry is needed) and imported into podman's store. Kept once made.
set -e
name=${1:-localhost/couchestor-base:bookworm}
# Made once per machine; `podman rmi` it to make it again (the image build
# applies updates on top in any case).
if podman image exists "$name"; then
	echo "image base: $name (already made)"
	exit 0
fi
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
root=$(mktemp -d /var/tmp/couchestor-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "image base: debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" > "$root.log" 2>&1 ||
	{ tail -n 20 "$root.log"; echo "image base: debootstrap failed (log: $root.log)" >&2; exit 1; }
rm -f "$root.log"
# Security and stable updates too (debootstrap writes only the main suite).
cat > "$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${SECURITY_MIRROR:-http://deb.debian.org/debian-security} bookworm-security main
SOURCES
# No caches or logs of the bootstrap in the image.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*
tar -C "$root" -c . | podman import --message "debootstrap bookworm minbase" - "$name" > /dev/null
echo "image base: $name imported"
