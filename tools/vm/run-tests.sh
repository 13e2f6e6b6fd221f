#!/bin/bash
# Runs the selftests in VMs on the stock Debian kernel and prints a summary.
#   run-tests.sh [TEST.sh ...]   (default: all; VM_REBOOTS=1: the reboot boots too)
# Boot 1 runs the tests; boot 2 checks that data written in boot 1
# survived the reboot; boot 3, what boot 2 left mid-rebuild; boot 4, the
# module loader (selftests/module-loader.sh).
. "$(dirname "$0")/vm.sh"
vm_prepare || exit 1
vm_disks
rm -f "$BUILD"/boot*.log
rc=0
args=$(IFS=,; echo "$*")
vm_boot "$BUILD/boot1.log" "run.sh${args:+,$args}" || rc=1
if [ $# = 0 ] || [ -n "${VM_REBOOTS:-}" ]; then
	vm_boot "$BUILD/boot2.log" "run.sh,reboot-check.sh" || rc=1
	vm_boot "$BUILD/boot3.log" "run.sh,reboot-check2.sh" || rc=1
	# The module loader unloads dm-couche and leaves signatures enforced:
	# a boot of its own, after the reboot checks (the distro kernel only:
	# it builds against the host's headers for it).
	[ -n "${DEBUG_KERNEL:-}" ] || vm_boot "$BUILD/boot4.log" "run.sh,module-loader.sh" || rc=1
fi
pass=$(cat "$BUILD"/boot*.log | grep -cE '^    ok ')
fail=$(cat "$BUILD"/boot*.log | grep -cE '^    not ok ')
grep -q '^COUCHE-VM-RESULT' "$BUILD/boot1.log" || { echo "VM did not finish: see $BUILD/boot1.log"; rc=1; fail=$((fail + 1)); }
[ "$fail" = 0 ] || rc=1
echo "selftests: $pass passed, $fail failed"
exit $rc
