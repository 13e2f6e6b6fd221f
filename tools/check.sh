#!/bin/bash
# make check: KUnit suites (UML), userspace unit tests, fuzzing, the DKMS build, then
# the VM selftests on the Debian kernel.  Ends with one "check: N passed, M failed" line.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
pass=0
fail=0

echo "=== KUnit (UML, linux-source-6.1)"
if tools/kunit.sh > "$log" 2>&1; then :; else echo "kunit.sh failed"; fail=$((fail + 1)); fi
grep -E 'PASSED|FAILED|CRASHED|Ran [0-9]+ tests|ERROR|error:' "$log" | grep -v '^\[.*\] \[PASSED\]' | tail -n 30
p=$(sed -n 's/.*Ran [0-9]* tests: passed: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
f=$(sed -n 's/.*Ran [0-9]* tests:.*failed: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
[ -n "$p" ] || { echo "KUnit ran no test"; fail=$((fail + 1)); }
pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))

# tap_section <title> <what> <command...>: runs a host-side TAP test and
# counts its "ok" and "not ok" lines; a run with no "ok", or a failing exit
# with no "not ok", counts as one failure.
tap_section() {
	echo "=== $1"
	what=$2
	shift 2
	"$@" > "$log" 2>&1
	rc=$?
	grep -E '^not ok|^== ' "$log"
	p=$(grep -c '^ok' "$log")
	f=$(grep -c '^not ok' "$log")
	echo "$p passed, $f failed"
	[ "$p" -gt 0 ] || { echo "$what ran nothing"; tail -n 20 "$log"; fail=$((fail + 1)); }
	[ $rc = 0 ] || [ "$f" != 0 ] || { echo "$what failed"; tail -n 20 "$log"; fail=$((fail + 1)); }
	pass=$((pass + p)); fail=$((fail + f))
}

tap_section "userspace unit tests (couchestorctl, couchestord)" "make unit" make -s unit
tap_section "couchestord with a real Prometheus" "tools/test-prometheus.sh" tools/test-prometheus.sh
tap_section "libFuzzer: config, Prometheus replies, netlink decoders, watch lines" "tools/fuzz.sh" tools/fuzz.sh
tap_section "couchestord and Kubernetes (API server double, kubectl)" "tools/kube/run-tests.sh" tools/kube/run-tests.sh
tap_section "deploy/: manifests against their schemas, CRDs, alerts (promtool), dashboard" "tools/deploy/run-tests.sh" tools/deploy/run-tests.sh
tap_section "the image: built from a debootstrap base, its entry points, the module loader in it" "tools/image/test.sh" tools/image/test.sh

echo "=== DKMS"
if tools/dkms-test.sh > "$log" 2>&1; then
	pass=$((pass + 1)); echo "ok - dkms add/build/remove"
else
	fail=$((fail + 1)); echo "not ok - dkms add/build/remove"; tail -n 20 "$log"
fi

# summary_section <title> <word> <shown lines (ERE)> <command...>: a run that
# ends with "<word>: N passed, M failed"; no such line, or a failing exit
# with no failure counted, is one failure more.
summary_section() {
	echo "=== $1"
	word=$2 show=$3
	shift 3
	"$@" > "$log" 2>&1
	rc=$?
	grep -E "$show|^$word:" "$log"
	p=$(sed -n "s/^$word: \([0-9]*\) passed, \([0-9]*\) failed\$/\1/p" "$log")
	f=$(sed -n "s/^$word: \([0-9]*\) passed, \([0-9]*\) failed\$/\2/p" "$log")
	[ -n "$p" ] || { echo "$word: no result"; tail -n 40 "$log"; fail=$((fail + 1)); }
	[ $rc = 0 ] || [ "${f:-0}" != 0 ] || fail=$((fail + 1))
	pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
}

summary_section "VM selftests (qemu, Debian kernel $(tools/kernel-version))" selftests \
	'^(not )?ok |^    not ok|^    #|VM did not' tools/vm/run-tests.sh
summary_section "End to end: Kubernetes intents on a real volume (host API double, agent in the VM)" \
	e2e '^(not )?ok |^    not ok' tools/kube/vm-e2e.sh

echo "check: $pass passed, $fail failed"
[ $fail = 0 ]
