#!/bin/bash
# other-kernel.sh KVER [TEST.sh ...]: builds dm-couche against an installed
# Debian kernel's headers (e.g. 6.12 from bookworm-backports: image and
# headers packages) and runs the selftests on that kernel.
set -eo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
kver=${1:?usage: other-kernel.sh KVER [TEST.sh ...]}
shift
[ -d "/lib/modules/$kver/build" ] && [ -e "/boot/vmlinuz-$kver" ] ||
	{ echo "other-kernel: install linux-image-$kver and linux-headers-$kver first" >&2; exit 1; }
mod=$top/build/mod-$kver
rm -rf "$mod"
mkdir -p "$mod"
cp -r "$top/Kbuild" "$top/kernel" "$top/include" "$mod/"
find "$mod" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \) -delete
make -C "/lib/modules/$kver/build" M="$mod" modules > "$mod/build.log" 2>&1 ||
	{ tail -n 30 "$mod/build.log"; exit 1; }
export KVER=$kver COUCHE_MODULE=$mod/kernel/dm-couche.ko BUILD=$top/build/vm-$kver
exec "$top/tools/vm/run-tests.sh" "$@"
