#!/bin/bash
# The checks of deploy/, TAP: every manifest against its schema (Kubernetes',
# the Prometheus Operator's, the CRDs' own), the CRDs structural, broken
# StoragePolicies refused, all-in-one.yaml up to date, the ConfigMap's
# config.yaml accepted by couchestord, the alert rules by promtool (and
# over time, promtool test rules), the Grafana dashboard's queries.
top=$(cd "$(dirname "$0")/../.." && pwd)
d=$top/tools/deploy
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
. "$top/selftests/lib.sh"	# ok, is, done_testing (TAP, as every test here)
# tap FILE: a sub-check's TAP lines, renumbered into ours.
tap() {
	while IFS= read -r l; do
		case $l in
		"ok "*) ok 0 "${l#* - }" ;;
		"not ok "*) ok 1 "${l#* - }" ;;
		"#"*) echo "$l" ;;
		esac
	done < "$1"
}

# The checkers' packages, pinned by package-lock.json, from the npm registry.
if [ ! -d "$d/node_modules" ] || ! cmp -s "$d/package-lock.json" "$d/node_modules/.package-lock.json.src"; then
	(cd "$d" && npm ci --no-audit --no-fund --loglevel=error > "$out/npm.log" 2>&1) &&
		cp "$d/package-lock.json" "$d/node_modules/.package-lock.json.src"
	ok $? "npm ci: the schema checkers (kubernetes-models, prometheus-operator, ajv, yaml)"
	[ "$FAILED" = 0 ] || { sed 's/^/# /' "$out/npm.log"; done_testing; }
fi

cd "$top" || exit 1
node "$d/check.mjs" deploy/crds/*.yaml deploy/kubernetes/*.yaml deploy/monitoring/*.yaml \
	deploy/examples/*.yaml > "$out/schema" 2>&1
tap "$out/schema"
grep -q '^1\.\.' "$out/schema"
ok $? "the schema check ran to its end"
node "$d/check.mjs" --refuse "$d"/broken/*.yaml > "$out/broken" 2>&1
tap "$out/broken"
node "$d/check.mjs" deploy/nutanix/all-in-one.yaml > "$out/aio" 2>&1
ok $? "deploy/nutanix/all-in-one.yaml: every object valid, every reference inside it resolves"
"$d/all-in-one.sh" "$out/all-in-one.yaml"
cmp -s "$out/all-in-one.yaml" deploy/nutanix/all-in-one.yaml
ok $? "deploy/nutanix/all-in-one.yaml is up to date (tools/deploy/all-in-one.sh)"

sed -n '/config.yaml: |/,$p' deploy/kubernetes/couchestor-config-nutanix.yaml | sed '1d; s/^    //' > "$out/config.yaml"
daemon/couchestord check-config --config="$out/config.yaml" > "$out/cc" 2>&1
ok $? "couchestord check-config accepts the ConfigMap's config.yaml"

sed -n '/^spec:/,$p' deploy/monitoring/alerting-rules-nutanix.yaml | sed '1d; s/^  //' > "$out/rules.yml"
promtool check rules "$out/rules.yml" > "$out/pc" 2>&1
ok $? "promtool check rules: the PrometheusRule's rules"
grep -q 'SUCCESS: 3 rules found' "$out/pc"
ok $? "all three of the guide's alerts"
cp "$d/alerts-test.yml" "$out/"
(cd "$out" && promtool test rules alerts-test.yml) > "$out/pt" 2>&1
ok $? "promtool test rules: silent when healthy, firing on stalled migrations, lost Prism, a full container"
[ "$FAILED" = 0 ] || sed 's/^/# /' "$out/pt" | head -30

# What couchestord exports: its metric names, as its sources declare them.
grep -ho '"couchestor_[a-z_]*' $(ls daemon/*.c | grep -v '/test_') | tr -d '"' | sort -u > "$out/metrics"
node "$d/check-dashboard.mjs" deploy/grafana/couchestor.json "$out/metrics" "$out/dash-rules.yml" > "$out/dash" 2>&1
tap "$out/dash"
promtool check rules "$out/dash-rules.yml" > "$out/pd" 2>&1
ok $? "promtool parses every dashboard query"
[ "$FAILED" = 0 ] || sed 's/^/# /' "$out/pd" | head -20

# The Helm chart, rendered by tools/helm/render.go (Helm's template
# semantics on Debian's Go and Sprig; Helm itself is not in Debian 12).
GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$out/gocache go build -o "$out/render" tools/helm/render.go > "$out/go" 2>&1
ok $? "the chart renderer builds (Go, Sprig)"
render() { "$out/render" -n couchestor-system -name couchestor "$@" deploy/helm/couchestor; }
render > "$out/chart.yaml" 2> "$out/re"
ok $? "helm template deploy/helm/couchestor: renders with its default values"
cat deploy/kubernetes/namespace.yaml > "$out/chart-ns.yaml"
printf -- '---\n' >> "$out/chart-ns.yaml"
cat "$out/chart.yaml" >> "$out/chart-ns.yaml"
node "$d/check.mjs" "$out/chart-ns.yaml" > "$out/cs" 2>&1
ok $? "every object it renders is valid and its references resolve (in namespace couchestor-system)"
printf 'monitoring: {serviceMonitor: true, prometheusRule: true}\n' > "$out/mon.yaml"
render -f "$out/mon.yaml" > "$out/chart-mon.yaml"
{ cat deploy/nutanix/all-in-one.yaml; for f in deploy/monitoring/*.yaml; do printf -- '---\n'; cat "$f"; done; } > "$out/plain.yaml"
ONLY_IN_B=Namespace node "$d/same-objects.mjs" "$out/chart-mon.yaml" "$out/plain.yaml" > "$out/same" 2>&1
ok $? "with monitoring on, it renders the objects of all-in-one.yaml and deploy/monitoring/, the same"
[ "$FAILED" = 0 ] || grep -v '^ok' "$out/same" | head -20
cat > "$out/over.yaml" <<'YAML'
image: {repository: registry.example.com/couchestor, tag: "9.9.9"}
agent:
  nodeSelector: {couchestor.io/storage: "true"}
controller:
  replicas: 3
config: |
  cloud_provider: none
storageClasses: {enabled: false}
YAML
render -f "$out/over.yaml" > "$out/chart-over.yaml"
ok $? "renders with a values file"
is "$(grep -c 'image: registry.example.com/couchestor:9.9.9' "$out/chart-over.yaml")" 3 \
	"values image: the controller, the agent and its module loader use it"
grep -A1 'nodeSelector:' "$out/chart-over.yaml" | grep -q 'couchestor.io/storage: "true"'
ok $? "values agent.nodeSelector: on the DaemonSet"
grep -q 'replicas: 3' "$out/chart-over.yaml"
ok $? "values controller.replicas"
grep -A2 'config.yaml: |' "$out/chart-over.yaml" | grep -q '^    cloud_provider: none'
ok $? "values config: the ConfigMap's config.yaml"
! grep -q 'kind: StorageClass' "$out/chart-over.yaml"
ok $? "values storageClasses.enabled=false: none rendered"
done_testing
