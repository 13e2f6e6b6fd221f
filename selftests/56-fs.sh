#!/bin/sh
# ext4 and xfs on a volume much larger than its linear tier (hot 60 MiB of
# a 428 MiB volume, the rest raid6 4+2): files written past the linear
# capacity while extents migrate, fsck clean, checksums right after a
# remount, fstrim gives slots back, and everything still reads right after
# every extent has moved to the raid6 tier.
. ./lib.sh
insmod /lib/modules/brd.ko rd_nr=6 rd_size=98304 || { ok 1 "load brd"; done_testing; }
R6="/dev/ram0 /dev/ram1 /dev/ram2 /dev/ram3 /dev/ram4 /dev/ram5"
N=107	# 15 - 1 hot + 95 - 2 raid6 usable extents of 4 MiB
TBL="0 $((N * 8192)) couche $META 8192 2 3 hot linear $HOT 10 cold raid6 4 128 $R6"
MNT=/tmp/mnt
mkdir -p $MNT
used_total() { status | awk '{ n = 0; for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, a, "/"); n += a[1] } print n }'; }
space() { status | awk -v f="$1" '{ for (i = 1; i <= NF; i++) if ($i == "space") print $(i+f) }'; }

# Migrations back and forth while the files are written.
churn() {
	local i=0
	while [ $i -lt 12 ]; do
		f=$((RANDOM % N)); l=$((f + RANDOM % 8)); [ $l -ge $N ] && l=$((N - 1))
		dmsetup message $VOL 0 migrate $f-$l $((RANDOM % 2)) 2>/dev/null
		sleep 0.5
		i=$((i + 1))
	done
}

verify_files() {	# every file has its pattern, and the checksums match
	local f t
	for f in $MNT/f*; do
		t=${f##*/f}
		pattern verify $f 0 2048 $t || return 1
	done
	(cd $MNT && md5sum -c /tmp/sums > /dev/null)
}

fs_round() {	# fs_round <name> <mkfs...> -- <fsck...>
	name=$1; shift
	mkfs=""; while [ "$1" != "--" ]; do mkfs="$mkfs $1"; shift; done; shift
	fsck="$*"
	wipe $META $HOT $R6
	if ! dmsetup create $VOL --table "$TBL" 2> /tmp/err; then
		ok 1 "$name: create the volume"
		diag /tmp/err
		return
	fi
	ok 0 "$name: create the volume"
	check "$name: mkfs" $mkfs $DEV
	check "$name: mount" mount -t $name $DEV $MNT
	churn &
	cpid=$!
	i=1
	while [ $i -le 20 ]; do	# 20 files of 8 MiB: 160 MiB, the linear tier holds 60
		pattern write $MNT/f$i 0 2048 $i || break
		i=$((i + 1))
	done
	is "$i" 21 "$name: 160 MiB of files written while extents migrate"
	wait $cpid
	check "$name: sync" sync
	(cd $MNT && md5sum f* > /tmp/sums)
	is "$(space 3)" 0 "$name: no write failed for room"
	d=$(space 1)
	[ "$d" -gt 0 ]
	ok $? "$name: the kernel demoted extents to make room ($d)"
	check "$name: umount" umount $MNT
	check "$name: migrations settle" wait_migrations
	echo 3 > /proc/sys/vm/drop_caches
	check "$name: fsck is clean" $fsck $DEV
	check "$name: mount again" mount -t $name $DEV $MNT
	check "$name: every file reads back right" verify_files
	u0=$(used_total)
	i=1
	while [ $i -le 20 ]; do rm $MNT/f$i; i=$((i + 2)); done
	(cd $MNT && md5sum f* > /tmp/sums)
	sync	# ext4 frees the blocks of deleted files at its journal commit
	check "$name: fstrim" /usr/sbin/fstrim $MNT
	u1=$(used_total)
	[ "$u1" -le $((u0 - 5)) ] && [ "$(space 4)" -ge 5 ]
	ok $? "$name: fstrim gave slots back ($u0 -> $u1 extents used, $(space 4) unmapped)"
	check "$name: umount" umount $MNT
	check "$name: move every extent to raid6" msg migrate 0-$((N - 1)) cold
	check "$name: migrations settle" wait_migrations
	is "$(tier_used hot)" 0 "$name: the linear tier is empty"
	check "$name: fsck is clean on raid6" $fsck $DEV
	echo 3 > /proc/sys/vm/drop_caches
	check "$name: mount on raid6" mount -t $name $DEV $MNT
	check "$name: the files left read back right from raid6" verify_files
	check "$name: umount" umount $MNT
	check "$name: remove" dmsetup remove $VOL
}

fs_round ext4 /usr/sbin/mke2fs -q -t ext4 -- /usr/sbin/e2fsck -fn
fs_round xfs /usr/sbin/mkfs.xfs -q -f -- /usr/sbin/xfs_repair -n
rmmod brd
done_testing
