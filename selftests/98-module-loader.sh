#!/bin/sh
# The agent DaemonSet's init container, couchestor-module-loader, on the
# real kernel.  The host's / (shared read-only over 9p) stands in for the
# image: its compiler, kmod and this kernel's headers, with the node's
# /proc, /sys and /dev as a privileged container sees them.  With the
# module absent it builds it and the agent starts; then it finds it loaded,
# unloads it unused, loads it from its cache; it keeps an older version
# that a volume uses; it fails clearly without headers, and when the kernel
# demands signed modules.  Last in the boot: it leaves module signatures
# enforced.
. ./lib.sh
R=/host
KVER=$(uname -r)
# loader [ENV=VALUE...] ARGS...: the loader inside the "image".
loader() {
	chroot $R env COUCHE_SRC=/tmp/loader/src COUCHE_CACHE=/tmp/modcache \
		COUCHE_PREBUILT=/tmp/prebuilt COUCHE_SIGNING_DIR=/tmp/signing "$@"
}
L="bash /tmp/loader/module-loader.sh"

mkdir -p $R
check "the host's / over 9p" mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot $R
mount -t tmpfs tmp $R/tmp
for d in proc sys dev; do mount --bind /$d $R/$d; done
cp -r /loader $R/tmp/loader
chroot $R test -e "/lib/modules/$KVER/build/Makefile"
ok $? "the host has the headers for the VM's kernel $KVER"

dmsetup remove_all 2>/dev/null
check "rmmod dm_couche (the module the boot loaded)" rmmod dm_couche

# Absent: built from the sources, loaded, and the agent works with it.
t0=$(date +%s)
loader $L load > /tmp/l1.out 2>&1
ok $? "absent: the loader succeeds"
echo "# built and loaded in $(($(date +%s) - t0)) s"
diag /tmp/l1.out
grep -q "building dm-couche 0.1.0 for $KVER" /tmp/l1.out
ok $? "it built dm-couche for $KVER"
grep -q "dm-couche 0.1.0 loaded for $KVER (built: " /tmp/l1.out
ok $? "it says what it loaded and from where"
is "$(cat /sys/module/dm_couche/version)" 0.1.0 "/sys/module/dm_couche/version is the sources' version"
dmsetup targets | grep -q '^couche '
ok $? "dm knows the couche target"
[ -f "$R/tmp/modcache/$KVER/0.1.0/dm-couche.ko" ]
ok $? "the module is cached for the next start"
wipe $META $HOT $WARM $COLD
check "a volume on the loaded module" dmsetup create $VOL --table "$(table 204800)"
check "the agent starts and plans a cycle" couchestord agent --node-name=vm --once --state-dir= \
	--metrics-address=127.0.0.1:18080 --health-address=127.0.0.1:18081

# Loaded and of this version: nothing to do, even with a volume open.
loader $L load > /tmp/l2.out 2>&1
ok $? "loaded: the loader succeeds"
grep -q "dm-couche 0.1.0 is loaded: nothing to do" /tmp/l2.out
ok $? "loaded at this version: nothing to do"

# An image that carries a newer version, with a volume on the old one.
sed -i 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="0.2.0"/' $R/tmp/loader/src/dkms.conf
loader $L load > /tmp/l3.out 2>&1
ok $? "older version in use: the loader succeeds (the agent may start)"
diag /tmp/l3.out
grep -q "dm-couche 0.1.0 is loaded and 1 volume(s) use it ( $VOL ); this image carries 0.2.0" /tmp/l3.out
ok $? "it says which version is loaded, that a volume uses it, and what the image carries"
grep -q "keeping 0.1.0" /tmp/l3.out
ok $? "it keeps the module the volume uses"
is "$(cat /sys/module/dm_couche/version)" 0.1.0 "0.1.0 still loaded"
loader $L unload > /tmp/l4.out 2>&1
ok $? "unload with a volume open succeeds (preStop must not fail)"
grep -q "dm-couche stays loaded: 1 volume(s) use it" /tmp/l4.out
ok $? "and leaves the module loaded, saying why"
[ -d /sys/module/dm_couche ]
ok $? "dm_couche still loaded"
sed -i 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="0.1.0"/' $R/tmp/loader/src/dkms.conf
check "remove the volume" dmsetup remove $VOL

# Unused: unloaded; loaded again from the cache, without a build.
loader $L unload > /tmp/l5.out 2>&1
grep -q "dm-couche unloaded (no volume used it)" /tmp/l5.out
ok $? "unused: unload removes the module"
[ ! -d /sys/module/dm_couche ]
ok $? "dm_couche is gone"
loader $L load > /tmp/l6.out 2>&1
ok $? "the loader succeeds again"
grep -q "loaded for $KVER (cache: /tmp/modcache/$KVER/0.1.0/dm-couche.ko)" /tmp/l6.out
ok $? "from the cache"
grep -q building /tmp/l6.out
ok $((! $?)) "without building again"

# No headers and nothing built: a clear failure, nothing loaded.
rmmod dm_couche
rm -rf $R/tmp/modcache
mount -t tmpfs nohdr $R/usr/src
loader $L load > /tmp/l7.out 2>&1
is "$?" 2 "no headers: the loader fails (exit 2)"
grep -q "kernel headers for $KVER are not on this node" /tmp/l7.out
ok $? "and says the headers are missing"
grep -q "apt install linux-headers-$KVER" /tmp/l7.out
ok $? "and how to install them"
[ ! -d /sys/module/dm_couche ]
ok $? "nothing loaded"
umount $R/usr/src

# A module shipped for this kernel is used as it is.
mkdir -p $R/tmp/prebuilt/$KVER
cp /lib/modules/dm-couche.ko $R/tmp/prebuilt/$KVER/
loader $L load > /tmp/l8.out 2>&1
ok $? "prebuilt: the loader succeeds"
grep -q "loaded for $KVER (prebuilt: /tmp/prebuilt/$KVER/dm-couche.ko)" /tmp/l8.out
ok $? "it loaded the module shipped for $KVER"
rmmod dm_couche

# The kernel demands signed modules (as under Secure Boot).
echo Y > /sys/module/module/parameters/sig_enforce
loader $L load > /tmp/l9.out 2>&1
is "$?" 6 "unsigned under sig_enforce: the loader fails (exit 6)"
diag /tmp/l9.out
grep -q "loads only signed modules" /tmp/l9.out && grep -q "mokutil --import" /tmp/l9.out
ok $? "it says the kernel wants a signature and how to give one"
mkdir -p $R/tmp/signing
chroot $R openssl req -new -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=couchestor-test \
	-outform DER -keyout /tmp/signing/signing_key.pem -out /tmp/signing/signing_key.x509 > /dev/null 2>&1
ok $? "a signing key (not enrolled)"
loader $L load > /tmp/l10.out 2>&1
is "$?" 6 "signed with an untrusted key: the loader fails (exit 6)"
diag /tmp/l10.out
grep -q "signed with /tmp/signing/signing_key.x509" /tmp/l10.out
ok $? "it signed the module with the Secret's key"
grep -q "not trusted by this node" /tmp/l10.out
ok $? "it says the key is not trusted and to enroll it"
[ ! -d /sys/module/dm_couche ]
ok $? "nothing loaded"

for d in dev sys proc tmp; do umount $R/$d; done
umount $R
done_testing
