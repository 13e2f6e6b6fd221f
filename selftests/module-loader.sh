#!/bin/sh
# The agent DaemonSet's init container, couchestor-module-loader, on the
# real kernel.  The host's / (shared read-only over 9p) stands in for the
# image: its compiler, kmod and this kernel's headers; the loader runs as
# root with only CAP_SYS_MODULE, as in the DaemonSet.  Absent, it builds
# the module and the agent starts on it; loaded, nothing to do; an older
# version that a volume uses is kept, and replaced once unused (the new one
# found first: a replacement that cannot be had leaves the old one loaded); unloaded unused, loaded again from its cache; a prebuilt
# module used without headers; clear failures without headers and when
# the kernel demands signed modules.  A boot of its own (tools/vm/run-tests.sh
# boot 4): it unloads dm-couche and leaves module signatures enforced.
. ./lib.sh
R=/host
KVER=$(uname -r)
# loader ARGS...: the loader inside the "image", as root with only
# CAP_SYS_MODULE (the init container's securityContext).
loader() {
	chroot $R /usr/bin/setpriv --bounding-set=-all,+sys_module -- /usr/bin/env COUCHE_SRC=/tmp/loader/src \
		COUCHE_CACHE=/tmp/modcache COUCHE_PREBUILT=/tmp/prebuilt COUCHE_SIGNING_DIR=/tmp/signing \
		COUCHE_LOCK_DIR=/tmp/lock /bin/bash /tmp/loader/module-loader.sh "$@"
}
release() { sed -i "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$1\"/" $R/tmp/loader/src/dkms.conf; }

mkdir -p $R
check "the host's / over 9p" mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot $R
mount -t tmpfs tmp $R/tmp
for d in proc sys dev; do mount --bind /$d $R/$d; done
cp -r /loader $R/tmp/loader
ID=$(cat /loader/src/SOURCE_ID)
V1=0.1.0+$ID
V2=0.2.0+$ID
chroot $R test -e "/lib/modules/$KVER/build/Makefile"
ok $? "the host has the headers for the VM's kernel $KVER"

dmsetup remove_all 2>/dev/null
check "rmmod dm_couche (the module the boot loaded)" rmmod dm_couche

# Absent: built from the sources, loaded, and the agent works with it.
t0=$(date +%s)
loader load > /tmp/l1.out 2>&1
ok $? "absent: the loader succeeds"
echo "# built and loaded in $(($(date +%s) - t0)) s"
diag /tmp/l1.out
grep -q "building dm-couche $V1 for $KVER (against /lib/modules/$KVER/build, gcc-12)" /tmp/l1.out
ok $? "it built dm-couche $V1 for $KVER with the kernel's gcc"
grep -q "dm-couche $V1 loaded for $KVER (built: " /tmp/l1.out
ok $? "it says what it loaded and from where"
is "$(cat /sys/module/dm_couche/version)" "$V1" "/sys/module/dm_couche/version: the sources' release and hash"
dmsetup targets | grep -q '^couche '
ok $? "dm knows the couche target"
[ -f "$R/tmp/modcache/$KVER/$V1/dm-couche.ko" ]
ok $? "the module is cached for the next start"
wipe $META $HOT $WARM $COLD
check "a volume on the loaded module" dmsetup create $VOL --table "$(table 204800)"
check "the agent starts and plans a cycle" couchestord agent --node-name=vm --once --state-dir= \
	--metrics-address=127.0.0.1:18080 --health-address=127.0.0.1:18081

# Loaded and of this version: nothing to do, even with a volume open.
loader load > /tmp/l2.out 2>&1
ok $? "loaded: the loader succeeds"
grep -q "dm-couche $V1 is loaded: nothing to do" /tmp/l2.out
ok $? "loaded at this version: nothing to do"

# An image that carries a newer version, with a volume on the old one.
release 0.2.0
loader load > /tmp/l3.out 2>&1
ok $? "older version in use: the loader succeeds (the agent may start)"
diag /tmp/l3.out
grep -q "dm-couche $V1 is loaded and 1 volume(s) use it; this image carries $V2" /tmp/l3.out
ok $? "it says which version is loaded, that a volume uses it, and what the image carries"
grep -q "keeping $V1" /tmp/l3.out
ok $? "it keeps the module the volume uses"
is "$(cat /sys/module/dm_couche/version)" "$V1" "$V1 still loaded"
loader unload > /tmp/l4.out 2>&1
ok $? "unload with a volume open succeeds (preStop must not fail)"
grep -q "dm-couche stays loaded: 1 volume(s) use it" /tmp/l4.out
ok $? "and leaves the module loaded, saying why"
[ -d /sys/module/dm_couche ]
ok $? "dm_couche still loaded"
check "remove the volume" dmsetup remove $VOL

# The older version, now unused: replaced by the image's prebuilt 0.2.0
# (built on the host from the same sources), found before the old one goes.
mkdir -p $R/tmp/prebuilt/$KVER
cp /loader/prebuilt-0.2.0/dm-couche.ko $R/tmp/prebuilt/$KVER/
loader load > /tmp/l5.out 2>&1
ok $? "older version unused: the loader succeeds"
diag /tmp/l5.out
grep -q "dm-couche $V1 is loaded and unused: replacing it with $V2" /tmp/l5.out
ok $? "it says it replaces $V1 with $V2"
grep -q "dm-couche $V2 loaded for $KVER (prebuilt: " /tmp/l5.out
ok $? "with the prebuilt $V2"
is "$(cat /sys/module/dm_couche/version)" "$V2" "$V2 is loaded"
rm -rf $R/tmp/prebuilt
release 0.1.0
# A replacement that cannot be had leaves the old module where it was.
release 0.3.0
mount -t tmpfs nohdr $R/usr/src
loader load > /tmp/l5b.out 2>&1
is "$?" 2 "0.3.0 with no headers to build it: the loader fails"
is "$(cat /sys/module/dm_couche/version 2>/dev/null)" "$V2" "and $V2 stays loaded"
umount $R/usr/src
release 0.1.0

# Unused: unloaded; loaded again from the cache, without a build.
loader unload > /tmp/l6.out 2>&1
grep -q "dm-couche unloaded (no volume used it)" /tmp/l6.out
ok $? "unused: unload removes the module"
[ ! -d /sys/module/dm_couche ]
ok $? "dm_couche is gone"
loader load > /tmp/l7.out 2>&1
ok $? "the loader succeeds again"
grep -q "loaded for $KVER (cache: /tmp/modcache/$KVER/$V1/dm-couche.ko)" /tmp/l7.out
ok $? "from the cache"
grep -q building /tmp/l7.out
ok $((! $?)) "without building again"

# No headers and nothing built: a clear failure, nothing loaded.
rmmod dm_couche
mkdir -p $R/tmp/prebuilt/$KVER
cp $R/tmp/modcache/$KVER/$V1/dm-couche.ko $R/tmp/prebuilt/$KVER/
rm -rf $R/tmp/modcache
mount -t tmpfs nohdr $R/usr/src
mv $R/tmp/prebuilt $R/tmp/prebuilt.away
loader load > /tmp/l8.out 2>&1
is "$?" 2 "no headers: the loader fails (exit 2)"
grep -q "kernel headers for $KVER are not on this node" /tmp/l8.out
ok $? "and says the headers are missing"
grep -q "apt install linux-headers-$KVER" /tmp/l8.out
ok $? "and how to install them"
[ ! -d /sys/module/dm_couche ]
ok $? "nothing loaded"

# A module shipped for this kernel is used as it is (headers or not).
mv $R/tmp/prebuilt.away $R/tmp/prebuilt
loader load > /tmp/l9.out 2>&1
ok $? "prebuilt: the loader succeeds without headers"
grep -q "loaded for $KVER (prebuilt: /tmp/prebuilt/$KVER/dm-couche.ko)" /tmp/l9.out
ok $? "it loaded the module shipped for $KVER"
umount $R/usr/src
rmmod dm_couche

# The kernel demands signed modules (as under Secure Boot).
echo Y > /sys/module/module/parameters/sig_enforce
loader load > /tmp/l10.out 2>&1
is "$?" 6 "unsigned under sig_enforce: the loader fails (exit 6)"
diag /tmp/l10.out
grep -q "loads only signed modules" /tmp/l10.out && grep -q "mokutil --import" /tmp/l10.out
ok $? "it says the kernel wants a signature and how to give one"
mkdir -p $R/tmp/signing
chroot $R openssl req -new -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=couchestor-test \
	-outform DER -keyout /tmp/signing/signing_key.pem -out /tmp/signing/signing_key.x509 > /dev/null 2>&1
ok $? "a signing key (not enrolled)"
loader load > /tmp/l11.out 2>&1
is "$?" 6 "signed with an untrusted key: the loader fails (exit 6)"
diag /tmp/l11.out
grep -q "signed with /tmp/signing/signing_key.x509" /tmp/l11.out
ok $? "it signed the module with the Secret's key"
grep -q "not trusted by this node" /tmp/l11.out
ok $? "it says the key is not trusted and to enroll it"
[ ! -d /sys/module/dm_couche ]
ok $? "nothing loaded"

for d in dev sys proc tmp; do umount $R/$d; done
umount $R
done_testing
