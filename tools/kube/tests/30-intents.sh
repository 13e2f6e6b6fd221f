#!/bin/sh
# The controller turns PVC annotations into each node's intents (its
# CoucheStorNode spec), keeps StoragePolicy status (written only when it
# changes, conditions by the metav1.Condition rules), posts the Events
# users watch (one Event with a count, not one per repetition), and gets
# through a compacted history (410), failing writes (500, 429) and a
# rotated service-account token.
. "$(dirname "$0")/../lib.sh"
start_double
# The guide's test PVC, bound to a PV on node1.
guide_setup pv-test1 <<YAML
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv-test1
spec:
  capacity: {storage: 50Gi}
  accessModes: [ReadWriteOnce]
  claimRef: {namespace: default, name: test-nutanix-pvc}
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions:
            - {key: kubernetes.io/hostname, operator: In, values: [node1]}
YAML

# The service account's token in a file, rotated below.
mkdir -p "$D/sa"
echo t1 > "$D/sa/token"
cat > "$D/kubeconfig-file" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: double
  cluster: {server: "$API", certificate-authority: "$D/pki/ca.crt"}
users:
- name: u
  user: {tokenFile: "$D/sa/token"}
contexts:
- name: c
  context: {cluster: double, user: u}
current-context: c
YAML
cp "$D/kubeconfig-file" "$D/kubeconfig-tf"
controller a tf --leader-elect=false --resync-period=5s

node() { $K get couchestornode node1 -o jsonpath="$1" 2>/dev/null; }
wait_until 15 sh -c "$K get couchestornode node1 > /dev/null 2>&1"
ok $? "the controller publishes node1's intents as CoucheStorNode node1"
is "$(node '{.spec.volumes[0].name} {.spec.volumes[0].pvc} {.spec.volumes[0].policy}')" \
	"pv-test1 default/test-nutanix-pvc couchestor-system/nutanix-tiered-policy" \
	"the volume (the PV's name), its PVC and its policy (found in couchestor-system)"
is "$(node '{.spec.policies.couchestor-system/nutanix-tiered-policy.tiers[0].iopsThreshold}')" 100 \
	"the policy's thresholds go with it"
sp() { $K -n couchestor-system get storagepolicy nutanix-tiered-policy -o jsonpath="$1"; }
wait_until 10 sh -c "[ \"\$($K -n couchestor-system get storagepolicy nutanix-tiered-policy -o jsonpath='{.status.volumes}')\" = 1 ]"
ok $? "the policy's status counts its volume"
is "$(sp '{.status.phase} {.status.observedGeneration} {.status.conditions[0].type}={.status.conditions[0].status}')" \
	"Active 1 Ready=True" "phase, observedGeneration, the Ready condition"
lt=$(sp '{.status.conditions[0].lastTransitionTime}')
st_writes() { curl -s --cacert "$D/pki/ca.crt" "$API/_double/stats" | python3 -c "import json,sys; r = json.load(sys.stdin)['requests']; print(r.get('PATCH /apis/couchestor.io/v1alpha1/namespaces/couchestor-system/storagepolicies/nutanix-tiered-policy/status', 0))"; }
w0=$(st_writes)
sleep 12
is "$(st_writes)" "$w0" "two resyncs (every 5 s) later no status written: nothing changed"

# force-tier: the intent, and an Event on the PVC.
$K -n default annotate pvc test-nutanix-pvc couchestor.io/force-tier=warm > /dev/null
wait_until 10 sh -c "[ \"\$($K get couchestornode node1 -o jsonpath='{.spec.volumes[0].forceTier}')\" = warm ]"
ok $? "couchestor.io/force-tier=warm is in the node's intents"
ev() { $K -n default get events --field-selector involvedObject.name=test-nutanix-pvc -o jsonpath='{range .items[*]}{.reason}:{.count} {end}'; }
wait_until 5 sh -c "$K -n default get events --field-selector involvedObject.name=test-nutanix-pvc -o jsonpath='{.items[*].reason}' | grep -q TierChangeRequested"
ok $? "an Event TierChangeRequested on the PVC ($(ev))"
$K -n default get events --field-selector involvedObject.name=test-nutanix-pvc -o jsonpath='{.items[0].message}' > "$D/msg"
grep -q "moves all of volume pv-test1 to warm" "$D/msg"
ok $? "saying what happens: $(cat "$D/msg")"
$K -n default annotate pvc test-nutanix-pvc couchestor.io/force-tier- > /dev/null
wait_until 10 sh -c "[ -z \"\$($K get couchestornode node1 -o jsonpath='{.spec.volumes[0].forceTier}')\" ]"
ok $? "removing the annotation removes the intent"
$K -n default annotate pvc test-nutanix-pvc couchestor.io/force-tier=warm > /dev/null
sleep 2
$K -n default annotate pvc test-nutanix-pvc couchestor.io/force-tier- > /dev/null
sleep 2
$K -n default annotate pvc test-nutanix-pvc couchestor.io/force-tier=warm > /dev/null
sleep 2
n=$($K -n default get events --field-selector involvedObject.name=test-nutanix-pvc,reason=TierChangeRequested -o name | wc -l)
c=$($K -n default get events --field-selector involvedObject.name=test-nutanix-pvc,reason=TierChangeRequested -o jsonpath='{range .items[*]}{.count} {end}')
is "$n" 2 "the same request three times is one Event, plus one for the removals ($c)"
echo "$c" | grep -qw 3
ok $? "whose count is 3"

# A new controller (a restart, a new leader) goes on with the same Event's count.
kill -TERM $PID_a
wait $PID_a
controller b tf --leader-elect=false --resync-period=5s
wait_until 15 sh -c "curl -s 127.0.0.1:$HPORT_b/readyz | grep -q '^ok'"
$K -n default annotate pvc test-nutanix-pvc couchestor.io/force-tier- > /dev/null
sleep 2
$K -n default annotate pvc test-nutanix-pvc couchestor.io/force-tier=warm > /dev/null
sleep 2
c=$($K -n default get events --field-selector involvedObject.name=test-nutanix-pvc,reason=TierChangeRequested -o jsonpath='{range .items[*]}{.count} {end}')
n=$($K -n default get events --field-selector involvedObject.name=test-nutanix-pvc,reason=TierChangeRequested -o name | wc -l)
is "$n" 2 "after a restart still the same two Events ($c)"
echo "$c" | grep -qw 4
ok $? "and the count goes on to 4"
PID_a=$PID_b; HPORT_a=$HPORT_b; MPORT_a=$MPORT_b

# Others' metadata on the CoucheStorNode survives the controller's writes.
$K label couchestornode node1 team=storage > /dev/null
$K -n default annotate pvc test-nutanix-pvc couchestor.io/force-tier=hot --overwrite > /dev/null
wait_until 10 sh -c "[ \"\$($K get couchestornode node1 -o jsonpath='{.spec.volumes[0].forceTier}')\" = hot ]"
is "$(node '{.metadata.labels.team}')" storage "a label set by someone else stays through a spec write"

# What the agent reports moves the policy's status and the Events.
api PATCH /apis/couchestor.io/v1alpha1/couchestornodes/node1/status \
	'{"status":{"volumes":[{"name":"pv-test1","tier":"hot","migrationsCompleted":4,"migrationsFailed":0}]}}' \
	application/merge-patch+json > /dev/null
wait_until 10 sh -c "[ \"\$($K -n couchestor-system get storagepolicy nutanix-tiered-policy -o jsonpath='{.status.volumesByTier.hot}')\" = 1 ]"
ok $? "the agent's report: the policy counts a volume in hot"
api PATCH /apis/couchestor.io/v1alpha1/couchestornodes/node1/status \
	'{"status":{"volumes":[{"name":"pv-test1","tier":"warm","migrationsCompleted":9,"migrationsFailed":2,"degraded":true}]}}' \
	application/merge-patch+json > /dev/null
wait_until 10 sh -c "$K -n default get events --field-selector involvedObject.name=test-nutanix-pvc -o jsonpath='{.items[*].reason}' | grep -q VolumeDegraded"
ok $? "then warm, 2 failures, degraded: Events $(ev)"
ev | grep -q TierChanged && ev | grep -q MigrationFailed
ok $? "TierChanged and MigrationFailed among them"
is "$(sp '{.status.volumesByTier.warm} {.status.migrationsCompleted} {.status.migrationsFailed}')" "1 9 2" \
	"the policy's status follows (warm 1, 9 done, 2 failed)"
is "$(sp '{.status.conditions[0].lastTransitionTime}')" "$lt" "Ready's lastTransitionTime did not move: no transition"

# A bad spec: Invalid, with the reason.
$K -n couchestor-system patch storagepolicy nutanix-tiered-policy --type=merge \
	-p '{"spec":{"migration":{"strategy":"teleport"}}}' > /dev/null
wait_until 10 sh -c "[ \"\$($K -n couchestor-system get storagepolicy nutanix-tiered-policy -o jsonpath='{.status.phase}')\" = Invalid ]"
ok $? "a strategy not in the enum: phase Invalid"
is "$(sp '{.status.conditions[0].status} {.status.conditions[0].reason} {.status.observedGeneration}')" \
	"False InvalidSpec 2" "Ready False, InvalidSpec, the new generation observed"
sp '{.status.conditions[0].message}' | grep -q 'spec.migration.strategy: "teleport"'
ok $? "the message names the field: $(sp '{.status.conditions[0].message}')"
[ "$(sp '{.status.conditions[0].lastTransitionTime}')" != "$lt" ]
ok $? "and this time lastTransitionTime moved"
$K -n couchestor-system patch storagepolicy nutanix-tiered-policy --type=merge \
	-p '{"spec":{"migration":{"strategy":"storage-vmotion"}}}' > /dev/null

# Compaction: the watches get 410 and list again; changes still arrive.
control compact
sleep 1
$K -n default annotate pvc test-nutanix-pvc couchestor.io/force-tier=cold --overwrite > /dev/null
wait_until 15 sh -c "[ \"\$($K get couchestornode node1 -o jsonpath='{.spec.volumes[0].forceTier}')\" = cold ]"
ok $? "after a compaction (410) the controller lists again and follows"
[ "$(metric_of a 'couchestor_controller_watch_relists_total{resource="persistentvolumeclaims"}')" -ge 1 ]
ok $? "couchestor_controller_watch_relists_total counts it"

# Writes that fail for a while (500, then 429) are retried.
control fault '{"match": "^PUT /apis/couchestor.io/v1alpha1/couchestornodes", "status": 500, "times": 2}'
control fault '{"match": "^PUT /apis/couchestor.io/v1alpha1/couchestornodes", "status": 429, "times": 1}'
$K -n default annotate pvc test-nutanix-pvc couchestor.io/force-tier=hot --overwrite > /dev/null
wait_until 15 sh -c "[ \"\$($K get couchestornode node1 -o jsonpath='{.spec.volumes[0].forceTier}')\" = hot ]"
ok $? "two 500s and a 429 on the write: retried, and it lands"

# The token rotates: the file changes, the old one is refused.
echo t2 > "$D/sa/token"
control tokens '{"tokens": ["t2", "admin"]}'
$K -n default annotate pvc test-nutanix-pvc couchestor.io/force-tier=warm --overwrite > /dev/null
wait_until 15 sh -c "[ \"\$($K get couchestornode node1 -o jsonpath='{.spec.volumes[0].forceTier}')\" = warm ]"
ok $? "a rotated token: on 401 the controller reads the file again and goes on"
check "the controller is still ready" sh -c "curl -s 127.0.0.1:$HPORT_a/readyz | grep -q '^ok'"
kill -TERM $PID_a
wait $PID_a
ok $? "SIGTERM: exit 0"
done_testing
