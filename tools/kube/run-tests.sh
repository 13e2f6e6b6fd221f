#!/bin/sh
# Runs the Kubernetes tests (tools/kube/tests/*.sh, or those named) on the
# host, each against its own API server double.  One TAP line per case,
# named by its file; a summary at the end.
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top/tools/kube/tests" || exit 1
[ $# -gt 0 ] || set -- [0-9]*.sh
pass=0; fail=0; rc=0
for t; do
	echo "# kube test: $t"
	sh "./$t" > /tmp/kube-test.out 2>&1; r=$?
	sed -e "s/^\(not \)\{0,1\}ok [0-9]* - /&${t%.sh}: /" -e '/^TAP version/d' -e '/^1\.\./d' \
		-e 's/^#/    #/' /tmp/kube-test.out
	pass=$((pass + $(grep -c '^ok ' /tmp/kube-test.out)))
	fail=$((fail + $(grep -c '^not ok ' /tmp/kube-test.out)))
	if [ $r != 0 ] && ! grep -q '^not ok ' /tmp/kube-test.out; then
		echo "not ok - $t exited $r"; fail=$((fail + 1))
	fi
	[ $r = 0 ] || rc=1
done
rm -f /tmp/kube-test.out
echo "kube tests: $pass passed, $fail failed"
exit $rc
