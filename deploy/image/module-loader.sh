#!/bin/bash
# couchestor-module-loader: makes dm-couche available for the running
# kernel before the agent starts (the agent DaemonSet's init container),
# and unloads it when the node no longer uses it (the agent's preStop).
#
#   couchestor-module-loader [--dry-run] load
#   couchestor-module-loader [--dry-run] unload      only if no volume uses it
#   couchestor-module-loader [--kernel=KVER] build   build and cache, load nothing
#   couchestor-module-loader status
#
# Where "load" finds the module, first match wins:
#   1. dm-couche of this version already loaded: nothing to do;
#   2. a module shipped for this kernel: $COUCHE_PREBUILT/KVER/dm-couche.ko;
#   3. one built on this node before: $COUCHE_CACHE/KVER/VERSION/dm-couche.ko;
#   4. the node's own (DKMS), if it is this version;
#   5. built now from $COUCHE_SRC against /lib/modules/KVER/build.
# What it built is kept in $COUCHE_CACHE. $COUCHE_LOCK_DIR (on the node,
# shared with the agent's preStop) keeps two loaders from overlapping.
# A module of another version that volumes use is kept: unloading it would
# take their storage away.
set -u

SRC=${COUCHE_SRC:-/usr/share/couchestor/dm-couche}
PREBUILT=${COUCHE_PREBUILT:-/usr/lib/couchestor/modules}
CACHE=${COUCHE_CACHE:-/var/lib/couchestor/modules}
SIGNING=${COUCHE_SIGNING_DIR:-/etc/couchestor/module-signing}
HOST_ROOT=${COUCHE_HOST_ROOT:-/host}
LOCKDIR=${COUCHE_LOCK_DIR:-/run/couchestor}
SYSMOD=${COUCHE_SYSFS:-/sys}/module/dm_couche
KVER=$(uname -r)
DRY=
SIGNED=
CC=gcc
FROM=
CACHED=
PROG=couchestor-module-loader

say() { echo "$PROG: $*"; }
die() { local rc=$1; shift; echo "$PROG: error: $*" >&2; exit "$rc"; }
run() {
	if [ -n "$DRY" ]; then say "would run: $*"; return 0; fi
	"$@"
}

usage() {
	sed -n '2,9s/^# \{0,1\}//p' "$0"
	exit "${1:-2}"
}

# The release the sources here carry (dkms.conf, the one place it is set).
release() {
	sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$SRC/dkms.conf" 2>/dev/null
}

# The version a module built from them reports: the release and, for
# sources staged into an image (stage-module-src.sh), a hash of them, so
# that a rebuilt image with changed code is never taken for the old one.
src_version() {
	local r
	r=$(release)
	[ -n "$r" ] || return 0
	if [ -s "$SRC/SOURCE_ID" ]; then echo "$r+$(cat "$SRC/SOURCE_ID")"; else echo "$r"; fi
}

loaded_version() {
	[ -d "$SYSMOD" ] || return 1
	cat "$SYSMOD/version" 2>/dev/null || echo unknown
}

# Tables that use the target each hold a reference to the module.
users() {
	cat "$SYSMOD/refcnt" 2>/dev/null || echo 0
}

# " (vol0 vol1)", when dmsetup may list them (it needs CAP_SYS_ADMIN).
user_names() {
	dmsetup ls --target couche 2>/dev/null |
		awk '$1 != "No" { n = n sep $1; sep = " " } END { if (n != "") printf " (%s)", n }'
}

# ko_fits KO: built for this kernel and of the sources' version.
ko_fits() {
	[ -f "$1" ] || return 1
	[ "$(modinfo -F version "$1" 2>/dev/null)" = "$WANT" ] || return 1
	[ "$(modinfo -F vermagic "$1" 2>/dev/null | cut -d' ' -f1)" = "$KVER" ]
}

# Debian's headers reach their build scripts through /usr/lib/linux-kbuild-X;
# in a container /usr/lib is the image's, so point at the node's copy.
link_kbuild() {
	local kdir=$1 l t
	for l in "$kdir"/scripts "$kdir"/tools; do
		[ -L "$l" ] && [ ! -e "$l" ] || continue
		t=$(readlink -f -m "$l")
		case $t in
		/usr/lib/*) ;;
		*) continue ;;
		esac
		t=${t#/usr/lib/}
		t=/usr/lib/${t%%/*}
		if [ -e "$HOST_ROOT$t" ] && [ ! -e "$t" ]; then
			run ln -s "$HOST_ROOT$t" "$t"
		fi
	done
}

# The node's kernel's compiler, against ours: a build with another major
# version of gcc fails or, worse, builds a module that misbehaves.
# Sets CC: gcc of the kernel's major version (the image has 11 and 12).
check_compiler() {
	local kdir=$1 kgcc major
	CC=gcc
	kgcc=$(sed -n 's/^CONFIG_GCC_VERSION=\([0-9]*\)$/\1/p' "$kdir/include/config/auto.conf" 2>/dev/null)
	[ -n "$kgcc" ] && [ "$kgcc" != 0 ] || return 0
	major=$((kgcc / 10000))
	if command -v "gcc-$major" > /dev/null; then
		CC=gcc-$major
		return 0
	fi
	die 3 "kernel $KVER was built with gcc $major; this image has $(cd /usr/bin && ls gcc-[0-9]* 2>/dev/null | tr '\n' ' ')
  Ship a module built for $KVER in $PREBUILT/$KVER/, or install dm-couche with DKMS on the node."
}

build() {
	local kdir=/lib/modules/$KVER/build tmp out part
	if [ ! -e "$kdir/Makefile" ]; then
		die 2 "kernel headers for $KVER are not on this node ($kdir is missing).
  Install them on the node (Debian, Ubuntu: apt install linux-headers-$KVER;
  RHEL, Rocky, Alma: dnf install kernel-devel-$KVER), or ship a module built
  for $KVER in $PREBUILT/$KVER/dm-couche.ko; then delete this pod to retry."
	fi
	[ -f "$SRC/dkms.conf" ] || die 2 "no dm-couche sources in $SRC"
	command -v make >/dev/null && command -v gcc >/dev/null ||
		die 2 "make and gcc are needed to build dm-couche for $KVER"
	link_kbuild "$kdir"
	[ -e "$kdir/scripts/Makefile.build" ] || [ -n "$DRY" ] ||
		die 2 "$kdir/scripts is missing or dangling: the headers for $KVER are incomplete (on Debian, linux-kbuild-* on the node; mount the node's /usr/lib at $HOST_ROOT/usr/lib)"
	check_compiler "$kdir"
	out=$CACHE/$KVER/$WANT
	if [ -n "$DRY" ]; then
		say "would build dm-couche $WANT from $SRC against $kdir into $out"
		KO=$out/dm-couche.ko
		return 0
	fi
	tmp=$(mktemp -d) || die 1 "mktemp failed"
	cp -r "$SRC/." "$tmp/"
	say "building dm-couche $WANT for $KVER (against $kdir, $CC)"
	if ! make -C "$kdir" M="$tmp" CC="$CC" -j"$(nproc 2>/dev/null || echo 2)" modules >"$tmp/build.log" 2>&1; then
		tail -n 40 "$tmp/build.log" >&2
		die 3 "building dm-couche $WANT for $KVER failed (the end of the log is above).
  Check that the headers match the running kernel, or ship a prebuilt module in $PREBUILT/$KVER/."
	fi
	# Into the cache whole or not at all: a reader sees no half-written file.
	if mkdir -p "$out" 2>/dev/null && part=$(mktemp "$out/.dm-couche.ko.XXXXXX" 2>/dev/null) &&
	   cp "$tmp/kernel/dm-couche.ko" "$part" && mv "$part" "$out/dm-couche.ko"; then
		KO=$out/dm-couche.ko
		rm -rf "$tmp"
	else
		say "warning: $CACHE is not writable; the module is built again at the next start"
		KO=$tmp/kernel/dm-couche.ko
	fi
	say "built $KO"
}

# Where dm-couche.ko comes from; sets KO and FROM.
find_module() {
	local dkms
	FROM=prebuilt
	KO=$PREBUILT/$KVER/dm-couche.ko
	ko_fits "$KO" && return 0
	FROM=cache
	KO=$CACHE/$KVER/$WANT/dm-couche.ko
	CACHED=$KO
	ko_fits "$KO" && return 0
	FROM=dkms
	dkms=$(modinfo -k "$KVER" -n dm-couche 2>/dev/null)
	if [ -n "$dkms" ] && [ "$(modinfo -k "$KVER" -F version dm-couche 2>/dev/null)" = "$(release)" ]; then
		KO=$dkms
		return 0
	fi
	FROM=built
	build
}

signatures_required() {
	local sb=/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c
	[ "$(cat /sys/module/module/parameters/sig_enforce 2>/dev/null)" = Y ] && return 0
	grep -qs '\[integrity\]\|\[confidentiality\]' /sys/kernel/security/lockdown && return 0
	[ -r "$sb" ] && [ "$(od -An -tu1 -j4 -N1 "$sb" 2>/dev/null | tr -d ' ')" = 1 ]
}

# sign KO: with the key of the Secret mounted at $SIGNING, when there is
# one; a copy, so the cached module stays as built.
sign() {
	local key=$SIGNING/signing_key.pem cert=$SIGNING/signing_key.x509 tool hash signed
	# DKMS signs what it builds with the node's own key (and may compress it).
	[ "$FROM" != dkms ] || return 0
	if [ ! -f "$key" ] || [ ! -f "$cert" ]; then
		if signatures_required; then
			say "warning: this kernel loads only signed modules (Secure Boot, lockdown or module.sig_enforce) and there is no key in $SIGNING: the load will be refused"
		fi
		return 0
	fi
	tool=/lib/modules/$KVER/build/scripts/sign-file
	[ -x "$tool" ] || tool=$(command -v kmodsign || true)
	[ -n "$tool" ] && [ -x "$tool" ] || die 4 "cannot sign: no scripts/sign-file in the headers for $KVER and no kmodsign"
	hash=$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\{0,1\}\([a-z0-9]*\)"\{0,1\}$/\1/p' \
		"/lib/modules/$KVER/build/include/config/auto.conf" 2>/dev/null)
	if [ -n "$DRY" ]; then
		say "would sign $KO with $cert (${hash:-sha256})"
		return 0
	fi
	signed=$(mktemp -d)/dm-couche.ko
	cp "$KO" "$signed" && "$tool" "${hash:-sha256}" "$key" "$cert" "$signed" ||
		die 4 "signing $KO with $cert failed"
	say "signed with $cert"
	KO=$signed
	SIGNED=1
}

modprobe_deps() {
	local d
	for d in dm-mod $(modinfo -F depends "$KO" 2>/dev/null | tr , ' '); do
		run modprobe "$d" ||
			die 5 "modprobe $d failed: the node's kernel $KVER lacks it (see dmesg)"
	done
}

insert() {
	local out
	if [ -n "$DRY" ]; then
		say "would run: insmod $KO"
		return 0
	fi
	out=$(insmod "$KO" 2>&1) && return 0
	case $out in
	*"Required key not available"*|*"Key was rejected"*)
		# 5.4 and later say EKEYREJECTED for both; older kernels ENOKEY.
		if [ -n "$SIGNED" ]; then
			die 6 "the kernel refused dm-couche's signature: the key in $SIGNING is not trusted by this node.
  Enroll its certificate (mokutil --import signing_key.x509, then reboot and confirm in MokManager)."
		fi
		die 6 "the kernel refused dm-couche: it loads only signed modules (Secure Boot, lockdown or module.sig_enforce) and this one is unsigned.
  Make a key (openssl req -new -x509 -newkey rsa:2048 -nodes -outform DER -keyout signing_key.pem -out signing_key.x509),
  enroll its certificate on the node (mokutil --import signing_key.x509, then reboot), and put both files in
  the Secret couchestor-module-signing, which the DaemonSet mounts at $SIGNING." ;;
	*"Invalid module format"*|*"Exec format error"*|*"Unknown symbol"*|*"Invalid argument"*)
		# A kernel rebuilt under the same release, or a damaged file:
		# what the cache held is dropped and built again, once.
		if [ "$FROM" = cache ]; then
			say "the kernel refused the cached $CACHED; building it again"
			rm -f "$CACHED"
			return 1
		fi
		dmesg 2>/dev/null | grep -i 'dm.couche' | tail -n 5 >&2
		die 6 "the kernel refused $KO ($FROM, built for $(modinfo -F vermagic "$KO" 2>/dev/null)): $out" ;;
	*"Operation not permitted"*)
		if signatures_required && [ -z "$SIGNED" ]; then
			die 6 "the kernel refused dm-couche: it is locked down (Secure Boot) and loads only signed modules; this one is unsigned.
  Put a signing key in the Secret couchestor-module-signing (signing_key.pem, signing_key.x509) and enroll its certificate (mokutil --import, then reboot)."
		fi
		die 6 "not allowed to load modules: the container needs CAP_SYS_MODULE, and the node must not have kernel.modules_disabled=1 ($(cat /proc/sys/kernel/modules_disabled 2>/dev/null))" ;;
	*"File exists"*)
		return 0 ;;
	*)
		dmesg 2>/dev/null | grep -i 'dm.couche' | tail -n 5 >&2
		die 6 "insmod $KO failed: $out" ;;
	esac
}

load() {
	local have n old=
	if have=$(loaded_version); then
		if [ "$have" = "$WANT" ]; then
			say "dm-couche $WANT is loaded: nothing to do"
			return 0
		fi
		n=$(users)
		if [ "$n" -gt 0 ]; then
			say "dm-couche $have is loaded and $n volume(s) use it$(user_names); this image carries $WANT."
			say "keeping $have: unloading it would take their storage away. To move to $WANT, stop those volumes on this node, then delete this pod."
			return 0
		fi
		old=$have
	fi
	# The replacement first: a failed build leaves the old module loaded.
	find_module
	sign
	modprobe_deps
	if [ -n "$old" ]; then
		say "dm-couche $old is loaded and unused: replacing it with $WANT"
		run rmmod dm_couche || die 6 "rmmod dm_couche failed"
	fi
	if ! insert; then
		FROM=built
		build
		sign
		insert || die 6 "the kernel refused the module built now: $KO"
	fi
	[ -n "$DRY" ] && { say "would have loaded dm-couche $WANT ($FROM: $KO)"; return 0; }
	have=$(loaded_version) || die 6 "insmod $KO returned but dm-couche is not loaded"
	[ "$have" = "$WANT" ] || die 6 "dm-couche $have is loaded, not $WANT"
	say "dm-couche $WANT loaded for $KVER ($FROM: $KO)"
}

unload() {
	local n
	if ! loaded_version >/dev/null; then
		say "dm-couche is not loaded"
		return 0
	fi
	n=$(users)
	if [ "$n" -gt 0 ]; then
		say "dm-couche stays loaded: $n volume(s) use it$(user_names)"
		return 0
	fi
	run rmmod dm_couche && say "dm-couche unloaded (no volume used it)" ||
		say "warning: rmmod dm_couche failed; it stays loaded"
	return 0
}

status() {
	local have
	echo "kernel:   $KVER"
	echo "image:    dm-couche ${WANT:-?} (sources in $SRC)"
	if have=$(loaded_version); then
		echo "loaded:   dm-couche $have, $(users) volume(s)"
	else
		echo "loaded:   no"
	fi
	if signatures_required; then echo "signing:  required by this kernel"; else echo "signing:  not required"; fi
}

cmd=
for a; do
	case $a in
	--dry-run) DRY=1 ;;
	--kernel=*) KVER=${a#--kernel=} ;;
	-h|--help) usage 0 ;;
	load|unload|build|status) [ -z "$cmd" ] || usage; cmd=$a ;;
	*) echo "$PROG: unknown argument '$a'" >&2; usage ;;
	esac
done
[ -n "$cmd" ] || usage
WANT=$(src_version)
[ -n "$WANT" ] || [ "$cmd" = unload ] || [ "$cmd" = status ] ||
	die 2 "no dm-couche sources in $SRC (dkms.conf with PACKAGE_VERSION)"
if [ "$KVER" != "$(uname -r)" ] && [ "$cmd" != build ] && [ "$cmd" != status ]; then
	die 2 "--kernel=$KVER: only 'build' works for a kernel that is not running"
fi
# One loader at a time on a node (a rolling update's old pod unloading while
# the new one loads, two builds into one cache).
if [ "$cmd" != status ] && [ -z "$DRY" ] && mkdir -p "$LOCKDIR" 2>/dev/null &&
   exec 9>>"$LOCKDIR/module-loader.lock" && command -v flock > /dev/null; then
	flock -w 600 9 || die 1 "another couchestor-module-loader holds $LOCKDIR/module-loader.lock"
fi
case $cmd in
load) load ;;
unload) unload ;;
build) FROM=built; build ;;
status) status ;;
esac
