#!/bin/sh
# Runs the Kubernetes tests (tools/kube/tests/*.sh, or those named) on the
# host, each against its own API server double; prints a summary.
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top/tools/kube/tests" || exit 1
[ $# -gt 0 ] || set -- [0-9]*.sh
pass=0; fail=0; rc=0
for t; do
	echo "# kube test: $t"
	out=$(sh "./$t" 2>&1); r=$?
	echo "$out" | sed 's/^/    /'
	pass=$((pass + $(echo "$out" | grep -c '^ok ')))
	fail=$((fail + $(echo "$out" | grep -c '^not ok ')))
	if [ $r != 0 ]; then rc=1; echo "not ok - $t"; else echo "ok - $t"; fi
done
echo "kube tests: $pass passed, $fail failed"
exit $rc
