#!/bin/sh
# Read errors as disks give them (issue 12): md's faulty personality sits
# between two raid6 members and their ramdisks.  "rf" fails the next read at
# its first sector until that sector is written (a disk's pending sector),
# "rp" fails it for good.  A read error is rebuilt from parity, written
# back, and the member kept; a rewrite that does not take fails the member;
# so do more than 20 errors; a scrub repairs the errors it meets; more
# errors than parity covers fail that read only; a read-only table
# rebuilds without writing; a read error next to a silently corrupted chunk
# is not rebuilt from wrong parity.
. ./lib.sh
insmod /lib/modules/brd.ko rd_nr=6 rd_size=32768 || { ok 1 "load brd"; done_testing; }
for i in 0 1 2 3 4 5; do
	dmsetup create r$i --table "0 65536 linear /dev/ram$i 0"
done
check "md faulty over member 3" mdadm --build /dev/md0 --level=faulty --raid-devices=1 /dev/mapper/r3
check "md faulty over member 4" mdadm --build /dev/md1 --level=faulty --raid-devices=1 /dev/mapper/r4
R="/dev/mapper/r0 /dev/mapper/r1 /dev/mapper/r2 /dev/md0 /dev/md1 /dev/mapper/r5"
TBL="0 204800 couche $META $EXT 2 3 hot linear $HOT 10 cold raid6 4 128 $R"
fault() { mdadm --grow /dev/md$1 --layout=$2 > /dev/null; }	# rf, rp, flush
rerr() { dmsetup status $VOL | sed 's/.* read_errors \([0-9]*\) \([0-9]*\).*/\1 \2/'; }
reload() { dmsetup reload $VOL --table "$1" && dmsetup resume $VOL; }
rd() { dd if=$DEV of=/dev/null bs=1M count=1 skip=$1 iflag=direct 2>/dev/null; }	# an extent: every member
sum40() { dd if=$DEV bs=1M count=40 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1; }

wipe $META $HOT
check "create a volume, members 3 and 4 behind md faulty" dmsetup create $VOL --table "$TBL"
check "write 40 MiB" pattern write $DEV 0 10240 71
check "move it into raid6" msg migrate 0-39 cold
check "migrations drain" wait_migrations
want=$(sum40)
is "$(rerr)" "0 0" "status: read_errors 0 0"

# 1. One pending sector on member 3.
dmesg -c > /dev/null
check "arm a fixable read error on member 3" fault 0 rf
check "the read returns the right data" pattern verify $DEV 0 256 71
is "$(health)" AAAAAA "member 3 is kept, not failed"
is "$(rerr)" "1 0" "status counts one corrected read error"
dmesg | grep -q "read error on 9:0 (tier cold member 3, .*rewritten from parity"
ok $? "the kernel log says it was rewritten from parity"
couchestorctl status $VOL --json | tr -d ' \n' | grep -q '"dev":"9:0","state":"alive","read_errors_corrected":1'
ok $? "status --json: member 3 has read_errors_corrected 1"
couchestorctl status $VOL | grep -q "read errors: 1 rewritten from parity, 0 beyond parity"
ok $? "couchestorctl status shows the read errors"
check "the sector was written: it reads again" pattern verify $DEV 0 256 71
is "$(rerr)" "1 0" "no new error"
fail 0 1
is "$(sum40)" "$want" "with members 0 and 1 dead, the rewritten chunks read right"
heal 0 1
check "reload with members 0 and 1 back" reload "$TBL"
check "both are rebuilt" wait_health AAAAAA

# 2. Pending sectors on two members in the same stripes.
check "arm read errors on members 3 and 4" sh -c "mdadm --grow /dev/md0 --layout=rf && mdadm --grow /dev/md1 --layout=rf"
check "the read returns the right data" pattern verify $DEV 256 256 71
is "$(health)" AAAAAA "both members kept"
is "$(rerr)" "2 0" "two corrected read errors"
fail 0 5
is "$(sum40)" "$want" "with members 0 and 5 dead, both rewrites read right"
heal 0 5
check "reload, members 0 and 5 back" reload "$TBL"
check "they are rebuilt" wait_health AAAAAA

# 2b. A read error that a second read does not give (a transient one).
dmesg -c > /dev/null
check "arm a transient read error on member 3" fault 0 rt
check "the read returns the right data" pattern verify $DEV $((3 * 256)) 256 71
dmesg | grep -q "read error on 9:0 .*went away on a second read"
ok $? "the kernel log says it went away on a second read"
is "$(health) $(rerr)" "AAAAAA 0 0" "member kept, nothing rewritten"

# 3. A sector that a write does not fix: the member goes.
dmesg -c > /dev/null
check "arm a persistent read error on member 3" fault 0 rp
check "the read returns the right data" pattern verify $DEV $((2 * 256)) 256 71
is "$(health)" AAADAA "member 3 is failed"
dmesg | grep -q "not corrected by a rewrite"
ok $? "the kernel log says the rewrite did not take"
check "data reads right without member 3" pattern verify $DEV 0 10240 71
check "clear md's faults" fault 0 flush
check "reload" reload "$TBL"
check "member 3 is rebuilt" wait_health AAAAAA

# 4. More than 20 read errors fail a member: a disk going bad.
dmesg -c > /dev/null
n=0
while [ $n -lt 20 ]; do
	fault 1 rf && rd $((n + 3)) || break
	n=$((n + 1))
done
is "$n $(health)" "20 AAAAAA" "20 read errors on member 4 are rewritten, the member kept"
fault 1 rf
rd 23
is "$(health)" AAAADA "the 21st fails it"
dmesg | grep -q "too many read errors"
ok $? "the kernel log says too many read errors"
is "$(rerr)" "21 0" "21 corrected read errors counted"
check "clear md's faults" fault 1 flush
check "reload" reload "$TBL"
check "member 4 is rebuilt" wait_health AAAAAA

# 5. A scrub meets a read error: it repairs it and goes on.
check "arm a fixable read error on member 4" fault 1 rf
sc=$(scrub_run)
used=$(status | awk '{ for (i = 1; i <= NF; i++) if ($i == "cold") { split($(i+1), a, "/"); print a[1] } }')
is "$sc" "idle $((used * 4)) 0 0" "the scrub checked every stripe"
is "$(health) $(rerr)" "AAAAAA 1 0" "and rewrote the read error, member kept"

# 6. More members unreadable than parity covers: that read fails, no
# member is dropped for it, and it reads again once the error is gone.
fail 0 1
check "a read with members 0 and 1 dead" pattern verify $DEV 0 256 71
check "arm a read error on member 3" fault 0 rf
refuse "a read that also meets member 3's error fails" rd 5
set -- $(rerr)
is "$(health) $1 $([ "$2" -ge 1 ] && echo counted)" "DDAAAA 1 counted" "member 3 kept; the uncorrectable reads counted ($2)"
check "clear md's faults" fault 0 flush
check "the read works again" pattern verify $DEV $((5 * 256)) 256 71
heal 0 1
check "reload" reload "$TBL"
check "members 0 and 1 are rebuilt" wait_health AAAAAA

# 7. A read-only table writes nothing: the error is rebuilt, not rewritten.
sleep 5	# the kernel's dm log lines are rate-limited (10 in 5 s)
dmesg -c > /dev/null
check "reload read-only" reload "$TBL 1 read_only"
check "arm a fixable read error on member 3" fault 0 rf
check "the read returns the right data" pattern verify $DEV 0 256 71
dmesg | grep -q "not rewritten (read-only)"
ok $? "the kernel log says it was not rewritten"
check "and it reads right again (rebuilt again)" pattern verify $DEV 0 256 71
is "$(health) $(rerr)" "AAAAAA 0 0" "member kept, nothing counted as corrected"
check "reload read-write" reload "$TBL"
check "the read is rewritten now" pattern verify $DEV 0 256 71
is "$(rerr)" "1 0" "one corrected"
is "$(sum40)" "$want" "all 40 MiB read right"

# 8. A read error in a stripe that also holds a silently corrupted chunk:
# parity disagrees, so nothing is rebuilt from it or written back; the
# read fails, and a scrub later finds and repairs the corrupted chunk.
# (Extent 0 is in slot 0: stripe 0 has P on member 0, Q on 1, data on 2-5.)
sleep 5
dd if=/dev/urandom of=/dev/ram2 bs=4096 seek=257 count=1 conv=notrunc,fsync 2>/dev/null
check "arm a fixable read error on member 3 (data 1 of stripe 0)" fault 0 rf
refuse "the read of extent 0 fails, not wrong data" rd 0
dmesg | grep -q "disagree with parity: not served"
ok $? "the kernel log says the chunks disagree with parity"
is "$(health) $(rerr)" "AAAAAA 1 1" "no rewrite counted, one uncorrectable"
check "clear md's faults" fault 0 flush
sc=$(scrub_run)
is "$sc" "idle $((used * 4)) 1 0" "the scrub repaired the corrupted chunk"
is "$(sum40)" "$want" "all 40 MiB read right"

# 9. A scrub batch (stripes 0-3 of slot 0) with a read error in stripe 0
# and a corrupted chunk in stripe 1 (data 2, member 5): the batch is
# taken apart, the read error rewritten and the corrupted chunk repaired.
dd if=/dev/urandom of=/dev/ram5 bs=4096 seek=273 count=1 conv=notrunc,fsync 2>/dev/null
check "arm a fixable read error on member 3" fault 0 rf
sc=$(scrub_run)
is "$sc $(health) $(rerr)" "idle $((used * 4)) 1 0 AAAAAA 2 1" "both repaired, every stripe checked"
is "$(sum40)" "$want" "all 40 MiB read right"
fail 0 1
is "$(sum40)" "$want" "and with members 0 and 1 dead"
heal 0 1

check "remove" dmsetup remove $VOL
mdadm --stop /dev/md0 > /dev/null
mdadm --stop /dev/md1 > /dev/null
for i in 0 1 2 3 4 5; do dmsetup remove r$i; done
rmmod brd
done_testing
