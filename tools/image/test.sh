#!/bin/bash
# test.sh: builds the image (tools/image/build.sh) and runs its entry points
# in it, TAP: couchestord and couchestorctl start, the guide's config is
# accepted, the controller runs as nobody, and the module loader builds
# dm-couche in the image against this machine's kernel headers.
# Containers run with buildah's chroot isolation: this machine's OCI
# runtime cannot set rlimits or cgroups.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib.sh"	# ok, is, done_testing (TAP, as every test here)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
img=localhost/couchestor:$ver
kver=$("$top/tools/kernel-version")
out=$(mktemp -d)
trap 'buildah rm "$ctr" > /dev/null 2>&1; rm -rf "$out"' EXIT

"$top/tools/image/build.sh" > "$out/build.log" 2>&1
ok $? "the image builds from a debootstrap base"
[ "$FAILED" = 0 ] || { tail -n 30 "$out/build.log" | sed 's/^/# /'; done_testing; }
ctr=$(buildah from "$img")
inside() { buildah run --isolation chroot "$@"; }

ep=$(podman image inspect --format '{{json .Config.Entrypoint}}' "$img")
[ "$ep" = '["couchestord"]' ]
ok $? "its entry point is couchestord (the manifests' args: controller, agent): $ep"
inside "$ctr" -- couchestord --help > "$out/help" 2>&1
ok $? "couchestord --help runs"
grep -q 'couchestord controller' "$out/help" && grep -q 'couchestord agent' "$out/help"
ok $? "and names both roles"
inside "$ctr" -- couchestorctl --help > "$out/ctl" 2>&1
ok $? "couchestorctl --help runs"
sed -n '/config.yaml: |/,$p' "$top/deploy/kubernetes/couchestor-config-nutanix.yaml" | sed '1d; s/^    //' > "$out/config.yaml"
inside -v "$out:/cfg:ro" "$ctr" -- couchestord check-config --config=/cfg/config.yaml > "$out/cc" 2>&1
ok $? "the image's couchestord accepts the guide's config.yaml"
inside --user 65534:65534 "$ctr" -- couchestord controller --help > /dev/null 2>&1
ok $? "couchestord runs as nobody (the controller's securityContext)"
inside "$ctr" -- sh -c 'for b in /usr/bin/couchestord /usr/bin/couchestorctl; do ldd $b; done' > "$out/ldd" 2>&1
! grep -q 'not found' "$out/ldd"
ok $? "every library the binaries link is in the image"

id=$(inside "$ctr" -- cat /usr/share/couchestor/dm-couche/SOURCE_ID)
[ "${#id}" = 12 ]
ok $? "the module sources carry their hash ($id)"
ver=$ver+$id
inside "$ctr" -- couchestor-module-loader status > "$out/status" 2>&1
grep -q "image:    dm-couche $ver (sources in /usr/share/couchestor/dm-couche)" "$out/status"
ok $? "the loader knows the module sources it carries ($ver)"
inside "$ctr" -- sh -c 'gcc-11 --version && gcc-12 --version && flock --version && xz --version && zstd --version' > /dev/null 2>&1
ok $? "the image has gcc 11 and 12, flock, xz and zstd (what the loader uses)"
inside "$ctr" -- couchestor-module-loader --dry-run load > "$out/dry" 2>&1
rc=$?
if [ -d "/lib/modules/$(uname -r)/build" ]; then
	[ $rc = 0 ] && grep -q "would" "$out/dry"
	ok $? "dry run against this machine's kernel $(uname -r): it says what it would do"
else
	[ $rc = 2 ] && grep -q "kernel headers for $(uname -r) are not on this node" "$out/dry"
	ok $? "dry run against this machine's kernel $(uname -r), whose headers are not here: exit 2, says so"
fi
inside -v /lib/modules:/lib/modules:ro -v /usr/src:/usr/src:ro -v /usr/lib:/host/usr/lib:ro \
	-v "$out:/var/lib/couchestor" "$ctr" -- couchestor-module-loader --kernel="$kver" build > "$out/b" 2>&1
ok $? "the loader builds dm-couche in the image for $kver against this machine's headers"
ko=$out/modules/$kver/$ver/dm-couche.ko
[ "$(modinfo -F version "$ko" 2>/dev/null)" = "$ver" ] &&
	[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$kver" ]
ok $? "the module is $ver, built for $kver, in the node's cache directory"
[ "$FAILED" = 0 ] || sed 's/^/# /' "$out"/b "$out"/dry "$out"/status "$out"/cc 2>/dev/null | tail -n 30
done_testing
