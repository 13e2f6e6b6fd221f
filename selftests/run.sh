#!/bin/sh
# Runs selftests inside the VM, kselftest style: each test's TAP indented,
# one "ok"/"not ok" line per test.  A test fails too if the kernel log
# shows a warning, BUG or oops while it ran.
cd "$(dirname "$0")"
tests="$*"
[ -n "$tests" ] || tests=$(ls [0-9]*.sh)
n=0
fail=0
echo "TAP version 13"
dmesg -c > /dev/null
for t in $tests; do
	n=$((n + 1))
	echo "# selftest: $t"
	sh "./$t" > /tmp/test.out 2>&1
	rc=$?
	sed 's/^/    /' /tmp/test.out
	dmesg -c > "/tmp/dmesg.$t"
	if grep -E 'WARNING:|BUG:|Oops|Call Trace|general protection|KASAN|lockdep|hung_task' "/tmp/dmesg.$t" > /tmp/bad; then
		echo "    # kernel log while $t ran:"
		sed 's/^/    # /' "/tmp/dmesg.$t" | tail -60
		rc=1
	fi
	if [ $rc = 0 ]; then echo "ok $n selftests: $t"; else echo "not ok $n selftests: $t"; fail=$((fail + 1)); fi
done
echo "1..$n"
[ $fail = 0 ]
