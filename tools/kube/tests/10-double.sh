#!/bin/sh
# The API server double, checked with a client nobody here wrote (Debian's
# kubectl) and with curl where kubectl does not go: lists in pages,
# watches, 409 on a stale resourceVersion, the status subresource,
# merge-patch, 410 after compaction, 401 on a bad token, TLS verified.
. "$(dirname "$0")/../lib.sh"
start_double
# The install guide's file, verbatim.
cp "$top/deploy/examples/storage-policy-nutanix.yaml" "$D/sp.yaml"

check "kubectl creates a namespace" $K create namespace couchestor-system
check "kubectl applies deploy/crds/ (the guide's first step)" $K apply --validate=false -f "$top/deploy/crds/"
is "$($K get crd -o name | sort | tr '\n' ' ')" \
	"customresourcedefinition.apiextensions.k8s.io/couchestornodes.couchestor.io customresourcedefinition.apiextensions.k8s.io/storagepolicies.couchestor.io " \
	"both CRDs are there"
check "kubectl applies the guide's storage-policy-nutanix.yaml" $K apply --validate=false -f "$D/sp.yaml"
is "$($K -n couchestor-system get storagepolicies -o jsonpath='{.items[0].spec.tiers[1].iopsThreshold}')" 10 \
	"kubectl reads it back (warm's iopsThreshold)"
for i in 1 2 3 4 5; do $K -n default create configmap cm$i --from-literal=k=v$i > /dev/null; done
is "$($K -n default get configmaps --chunk-size=2 -o name | tr '\n' ' ')" \
	"configmap/cm1 configmap/cm2 configmap/cm3 configmap/cm4 configmap/cm5 " \
	"kubectl lists five ConfigMaps in pages of two (limit/continue)"
api GET "/api/v1/namespaces/default/configmaps?limit=2" > /dev/null
grep -q '"continue"' "$D/api.out" && grep -q '"remainingItemCount": 3' "$D/api.out"
ok $? "a page says how many remain and how to go on"

rv=$(api GET /api/v1/namespaces/default/configmaps/cm1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["resourceVersion"])')
api PUT /api/v1/namespaces/default/configmaps/cm1 "{\"metadata\":{\"name\":\"cm1\",\"resourceVersion\":\"$rv\"},\"data\":{\"k\":\"x\"}}" > /dev/null
is "$CODE" 200 "PUT with the current resourceVersion"
api PUT /api/v1/namespaces/default/configmaps/cm1 "{\"metadata\":{\"name\":\"cm1\",\"resourceVersion\":\"$rv\"},\"data\":{\"k\":\"y\"}}" > /dev/null
is "$CODE" 409 "PUT with a stale one: 409"
grep -q '"reason": "Conflict"' "$D/api.out"
ok $? "as a Status with reason Conflict"
api POST /api/v1/namespaces/default/configmaps '{"metadata":{"name":"cm1"}}' > /dev/null
is "$CODE" 409 "creating one that exists: 409 AlreadyExists"

check "kubectl annotates (a patch)" $K -n couchestor-system annotate storagepolicy nutanix-tiered-policy a=b
gen=$($K -n couchestor-system get storagepolicy nutanix-tiered-policy -o jsonpath='{.metadata.generation}')
api PATCH /apis/couchestor.io/v1alpha1/namespaces/couchestor-system/storagepolicies/nutanix-tiered-policy/status \
	'{"status":{"phase":"Active"},"spec":{"tiers":[]}}' application/merge-patch+json > /dev/null
is "$($K -n couchestor-system get storagepolicy nutanix-tiered-policy -o jsonpath='{.status.phase} {.metadata.generation} {.spec.tiers[0].name}')" \
	"Active $gen hot" "/status takes status only; spec and generation stay"
api PATCH /apis/couchestor.io/v1alpha1/namespaces/couchestor-system/storagepolicies/nutanix-tiered-policy \
	'{"status":{"phase":"Hacked"},"spec":{"migration":{"maxConcurrent":4}}}' application/merge-patch+json > /dev/null
is "$($K -n couchestor-system get storagepolicy nutanix-tiered-policy -o jsonpath='{.status.phase} {.metadata.generation} {.spec.migration.maxConcurrent}')" \
	"Active $((gen + 1)) 4" "the resource takes spec only, and its generation moves"

# A watch, with kubectl as the client.
$K -n default get configmaps -w -o name > "$D/watch.out" 2>&1 &
w=$!
echo $w >> "$D/pids"
sleep 1.5
$K -n default create configmap late --from-literal=a=b > /dev/null
wait_until 10 grep -q configmap/late "$D/watch.out"
ok $? "kubectl get -w sees a ConfigMap created while it watches"
kill $w 2>/dev/null

# Compaction: an old resourceVersion is gone.
rv=$(api GET /api/v1/namespaces/default/configmaps | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["resourceVersion"])')
$K -n default create configmap after --from-literal=a=b > /dev/null
control compact
timeout 5 curl -s -N --cacert "$D/pki/ca.crt" -H "Authorization: Bearer admin" \
	"$API/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=$rv" > "$D/w410.out"
grep -q '"type": "ERROR".*"code": 410' "$D/w410.out"
ok $? "a watch from before the compaction gets an ERROR 410 in the stream"

check "kubectl works with the right CA" $K get ns
kubeconfig admin "$D/pki/other-ca.crt" > "$D/kubeconfig-wrongca"
refuse "kubectl refuses the double with another CA (TLS is real)" $KUBECTL --kubeconfig "$D/kubeconfig-wrongca" get ns
kubeconfig nope > "$D/kubeconfig-nope"
$KUBECTL --kubeconfig "$D/kubeconfig-nope" get ns > "$D/401.out" 2>&1
grep -q Unauthorized "$D/401.out"
ok $? "a bad token: kubectl says Unauthorized"
done_testing
