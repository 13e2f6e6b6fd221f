#!/bin/sh
# stage-module-src.sh DEST: the dm-couche sources the module loader builds
# from (what DKMS gets too: dkms.conf, Kbuild, kernel/, include/), without
# build products, and SOURCE_ID, a hash of them that the module's version
# carries (0.1.0+<id>): an image with other code never passes for this one.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
dest=$1
[ -n "$dest" ] || { echo "usage: $0 DEST" >&2; exit 2; }
mkdir -p "$dest/kernel"
cp "$top/dkms.conf" "$top/Kbuild" "$dest/"
cp -r "$top/include" "$dest/"
for f in "$top"/kernel/*.c "$top"/kernel/*.h "$top/kernel/Kbuild"; do
	case $f in
	*.mod.c) ;;	# modpost's, from a build in this tree
	*) cp "$f" "$dest/kernel/" ;;
	esac
done
(cd "$dest" && find . -type f ! -name SOURCE_ID | LC_ALL=C sort | xargs sha256sum) |
	sha256sum | cut -c1-12 > "$dest/SOURCE_ID"
