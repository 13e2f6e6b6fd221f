#!/bin/bash
# make demo: boots a throwaway VM with the stock Debian kernel and runs
# tools/vm/demo-guest.sh in it.
. "$(dirname "$0")/vm.sh"
vm_prepare || exit 1
vm_disks
vm_boot "$BUILD/demo.log" "demo.sh" 900 | grep -v '^COUCHE-VM' | sed -n '/== Devices/,$p'
grep -q '^COUCHE-VM-RESULT: 0$' "$BUILD/demo.log"
