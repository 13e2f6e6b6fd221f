#!/bin/sh
# Runs the Kubernetes tests (tools/kube/tests/*.sh, or those named) on the
# host, each against its own API server double.  One TAP line per case,
# named by its file; a summary at the end.
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top/tools/kube/tests" || exit 1
[ $# -gt 0 ] || set -- [0-9]*.sh
pass=0; fail=0; rc=0
out=$(mktemp /tmp/kube-test.XXXXXX)	# its own: two runs at once must not share it
for t; do
	echo "# kube test: $t"
	sh "./$t" > "$out" 2>&1; r=$?
	sed -e "s/^\(not \)\{0,1\}ok [0-9]* - /&${t%.sh}: /" -e '/^TAP version/d' -e '/^1\.\./d' \
		-e 's/^#/    #/' "$out"
	pass=$((pass + $(grep -c '^ok ' "$out")))
	fail=$((fail + $(grep -c '^not ok ' "$out")))
	if [ $r != 0 ] && ! grep -q '^not ok ' "$out"; then
		echo "not ok - $t exited $r"; fail=$((fail + 1))
	fi
	[ $r = 0 ] || rc=1
done
rm -f "$out"
echo "kube tests: $pass passed, $fail failed"
exit $rc
