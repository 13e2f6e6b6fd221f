#!/bin/sh
# Third boot: the raid6 volume's two replacements (members 0 and 4) were
# being rebuilt when the power went off.  Neither had its identity header
# written, so both are rebuilt again from the start, at once; then they
# carry real data (two other members dead).
. ./lib.sh
check "slices of $R6DISK" p6_slices
check "the raid6 volume loads" dmsetup create p6 --table "$(p6_table)"
n=0; while [ "$(p6_health)" != AAAAAA ] && [ $n -lt 300 ]; do sleep 0.2; n=$((n + 1)); done
is "$(p6_health)" AAAAAA "both rebuilt"
dmesg | grep -q "rebuilt 253:[0-9]*, member 0 of tier cold: 31 extents" &&
	dmesg | grep -q "rebuilt 253:[0-9]*, member 4 of tier cold: 31 extents"
ok $? "the log says each was rebuilt over the 31 extents in use"
for i in 1 2; do dmsetup reload p6c$i --table "0 40960 error" && dmsetup resume p6c$i; done
check "every extent reads right with members 1 and 2 dead (from 0 and 4)" \
	pattern verify /dev/mapper/p6 0 8192 41
check "remove" dmsetup remove p6
done_testing
