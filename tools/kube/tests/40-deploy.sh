#!/bin/sh
# deploy/ as a user applies it, with Debian's kubectl against the double:
# each file through kubectl's client-side dry run, then the install
# guide's steps in its order (CRDs, namespace, secret, config, controller,
# agent, RBAC, network policies, storage classes, monitoring), read back,
# applied again unchanged, the all-in-one file the same way, and the
# guide's uninstall.
. "$(dirname "$0")/../lib.sh"
start_double
k=$top/deploy/kubernetes
m=$top/deploy/monitoring

for f in "$top"/deploy/crds/*.yaml "$k"/*.yaml "$m"/*.yaml "$top"/deploy/examples/*.yaml \
	 "$top/deploy/nutanix/all-in-one.yaml"; do
	want=$(grep -c '^kind:' "$f")
	got=$($K apply --dry-run=client --validate=false -o name -f "$f" 2> "$D/err" | wc -l)
	is "$got" "$want" "kubectl dry run: ${f#$top/}: $want objects"
	[ -s "$D/err" ] && diag "$D/err"
done

check "1. kubectl apply -f deploy/crds/" $K apply --validate=false -f "$top/deploy/crds/"
check "2. the namespace" $K apply --validate=false -f "$k/namespace.yaml"
check "2. the guide's secret nutanix-credentials" $K create secret generic nutanix-credentials \
	--namespace couchestor-system --from-literal=PRISM_CENTRAL_URL=https://pc.example.com:9440 \
	--from-literal=PRISM_USERNAME=admin --from-literal=PRISM_PASSWORD=x --from-literal=PRISM_CLUSTER_UUID=u
for f in couchestor-config-nutanix couchestor-deployment-nutanix couchestor-agent-nutanix rbac-nutanix \
	 network-policies-nutanix storage-classes-nutanix; do
	check "3-6. kubectl apply -f $f.yaml" $K apply --validate=false -f "$k/$f.yaml"
done
check "monitoring: ServiceMonitor and PrometheusRule" $K apply --validate=false -f "$m/"
check "the guide's StoragePolicy" $K apply --validate=false -f "$top/deploy/examples/storage-policy-nutanix.yaml"

N="$K -n couchestor-system"
is "$($N get deployment couchestor-controller -o jsonpath='{.spec.replicas}')" 2 "the controller: 2 replicas"
is "$($N get deployment couchestor-controller -o jsonpath='{.spec.template.spec.containers[0].args[0]}')" \
	controller "run as couchestord controller"
is "$($N get daemonset couchestor-agent -o jsonpath='{.spec.template.spec.initContainers[0].name}')" \
	module-loader "the agent's init container loads the module"
is "$($N get daemonset couchestor-agent -o jsonpath='{.spec.template.spec.hostNetwork}')" true \
	"the agent runs in the node's network namespace"
$N get daemonset couchestor-agent -o yaml > "$D/ds.yaml"
! grep -q PRISM_PASSWORD "$D/ds.yaml"
ok $? "no Prism password in the agent"
is "$($N get configmap couchestor-config -o jsonpath='{.data.config\.yaml}' | grep -c 'category_key: "CoucheStor"')" 1 \
	"the config holds the guide's config.yaml"
is "$($K get storageclass -o name | sort | tr '\n' ' ')" \
	"storageclass.storage.k8s.io/couchestor-cold storageclass.storage.k8s.io/couchestor-hot storageclass.storage.k8s.io/couchestor-warm " \
	"the three StorageClasses (kubectl get sc | grep couchestor)"
is "$($N get serviceaccount -o name | sort | tr '\n' ' ')" \
	"serviceaccount/couchestor serviceaccount/couchestor-agent " "a ServiceAccount per role"
is "$($K -n monitoring get prometheusrule couchestor-alerts -o jsonpath='{.spec.groups[0].rules[*].alert}')" \
	"CouchestorNutanixConnectivityLost NutanixContainerCapacityLow CouchestorMigrationStalled" \
	"the guide's three alerts"
is "$($N get service -l app=couchestor -o jsonpath='{.items[*].spec.ports[0].name}')" "metrics metrics" \
	"both Services expose a port named metrics (the ServiceMonitor's)"

$K apply --validate=false -f "$top/deploy/nutanix/all-in-one.yaml" > "$D/aio.out" 2>&1
ok $? "all-in-one.yaml applies over the same install"
diag "$D/aio.out"
is "$(grep -c ' configured$\| unchanged$' "$D/aio.out")" "$(grep -c '^kind:' "$top/deploy/nutanix/all-in-one.yaml")" \
	"every object in it is one kubectl already made"

# The guide's uninstall, in its order.
check "kubectl delete -f the agent" $K delete -f "$k/couchestor-agent-nutanix.yaml"
check "kubectl delete -f the controller" $K delete -f "$k/couchestor-deployment-nutanix.yaml"
check "kubectl delete -f the config" $K delete -f "$k/couchestor-config-nutanix.yaml"
check "kubectl delete -f deploy/crds/" $K delete -f "$top/deploy/crds/"
is "$($N get daemonset,deployment -o name 2>/dev/null | wc -l)" 0 "nothing of the agent or the controller is left"
done_testing
