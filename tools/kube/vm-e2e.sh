#!/bin/sh
# End to end: the install guide's StoragePolicy and test PVC on the host's
# API server double, the controller on the host, the agent in a VM on a
# real dm-couche volume (selftests/kube-e2e.sh), reaching the double as
# 10.0.2.2 over qemu's user network.  The PVC is annotated
# couchestor.io/force-tier=hot, which the volume does not fit in; once the
# agent reports that, warm; once it reports the volume all in warm, the
# annotation is removed and the agent unpins it.  Then the
# Events and the policy's status are checked here.  Ends "e2e: N passed,
# M failed".
BUILD=${BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build/vm-e2e}
. "$(dirname "$0")/../vm/vm.sh"		# sets top
. "$top/tools/kube/lib.sh"
start_double
guide_setup pvc-0f4e2c1a <<YAML
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pvc-0f4e2c1a
  annotations:
    couchestor.io/dm-name: vol0  # no node: found by the agent's report
spec:
  capacity: {storage: 50Gi}
  accessModes: [ReadWriteOnce]
  claimRef: {namespace: default, name: test-nutanix-pvc}
YAML
$K -n default annotate pvc test-nutanix-pvc couchestor.io/force-tier=hot > /dev/null
controller ctl t1 --leader-elect=false

extra=$D/extra
mkdir -p "$extra"
cp "$D/pki/ca.crt" "$extra/ca.crt"
API=https://10.0.2.2:$PORT kubeconfig t2 /extra/ca.crt > "$extra/kubeconfig"

# The user's side, while the guest runs: warm when hot is refused, then
# no annotation once the volume is all in warm.
vstat() { $K get couchestornode vm -o jsonpath="{.status.volumes[0].$1}" 2>/dev/null; }
(
	wait_until 400 sh -c "[ -n \"\$($K get couchestornode vm -o jsonpath='{.status.volumes[0].forceTierError}')\" ]" &&
		vstat forceTierError > "$D/refused" &&
		$K -n default annotate pvc test-nutanix-pvc couchestor.io/force-tier=warm --overwrite > /dev/null &&
	wait_until 400 sh -c "[ \"\$($K get couchestornode vm -o jsonpath='{.status.volumes[0].forceTierProgress}')\" = done ]" &&
		date +%s > "$D/done-at" &&
		$K -n default annotate pvc test-nutanix-pvc couchestor.io/force-tier- > /dev/null
) &
echo $! >> "$D/pids"

vm_disks
VM_EXTRA=$extra vm_prepare > /dev/null || exit 1
VM_NIC=user,model=virtio-net-pci vm_boot "$BUILD/e2e.log" "run.sh,kube-e2e.sh" 900 > /dev/null
vm_rc=$?
grep -E '^    (not )?ok |^    #' "$BUILD/e2e.log" | sed 's/^    //'
guest_pass=$(grep -cE '^    ok ' "$BUILD/e2e.log")
guest_fail=$(grep -cE '^    not ok ' "$BUILD/e2e.log")
grep -q '^COUCHE-VM-RESULT' "$BUILD/e2e.log"
ok $? "the VM ran the guest half to the end (log: $BUILD/e2e.log)"
grep -q 'msg="node intents written" node=vm' "$D/ctl.log"
ok $? "the controller found the volume's node from the agent's report (its PV names none)"
[ -s "$D/done-at" ]
ok $? "the agent reported the volume done in warm (forceTierProgress done)"
reasons=$($K -n default get events --field-selector involvedObject.name=test-nutanix-pvc -o jsonpath='{range .items[*]}{.reason} {end}')
echo "# events on the PVC: $reasons"
grep -q "does not fit in tier hot" "$D/refused"
ok $? "the agent reported why hot was refused: $(cat "$D/refused")"
echo "$reasons" | grep -qw TierChangeFailed
ok $? "a TierChangeFailed Event on the PVC"
[ "$(echo "$reasons" | tr ' ' '\n' | grep -c '^TierChangeRequested$')" = 3 ]
ok $? "three TierChangeRequested Events on the PVC: hot asked, warm asked, removed"
echo "$reasons" | grep -qw TierChanged
ok $? "and TierChanged: the agent reported the volume moved from hot to warm"
$K -n default get events --field-selector involvedObject.name=test-nutanix-pvc,reason=TierChanged -o jsonpath='{.items[0].message}' > "$D/msg"
grep -q "volume vol0 is now in tier warm" "$D/msg"
ok $? "saying: $(cat "$D/msg")"
is "$($K -n couchestor-system get storagepolicy nutanix-tiered-policy -o jsonpath='{.status.volumes} {.status.volumesByTier.warm}')" \
	"1 1" "the policy's status: one volume, in warm"
done_e2e() {
	hp=$((T - FAILED)); hf=$FAILED
	echo "e2e: $((hp + guest_pass)) passed, $((hf + guest_fail)) failed"
	[ $((hf + guest_fail)) = 0 ] && [ $vm_rc = 0 ]
}
done_e2e
