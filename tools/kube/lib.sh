# Shared helpers of the Kubernetes tests (tools/kube/tests/*.sh): the API
# server double over TLS, a kubeconfig per token, Debian's kubectl.
# TAP output, as the VM selftests.
top=${top:-$(cd "$(dirname "$0")/../../.." && pwd)}
. "$top/selftests/lib.sh"
KUBECTL=${KUBECTL:-/var/cache/couchestor/kubectl/kubectl}
D=$(mktemp -d /tmp/kube-test.XXXXXX)
COUCHESTORD=$top/daemon/couchestord
trap 'cleanup' EXIT

cleanup() {
	for p in $(cat "$D"/pids 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	[ -n "${KEEP:-}" ] || rm -rf "$D"
}

# start_double [args]: the API server double on a free port, tokens t1..t3.
start_double() {
	"$top/tools/kube/pki.sh" "$D/pki"
	python3 "$top/tools/kube/apiserver.py" --cert "$D/pki/server.crt" --key "$D/pki/server.key" \
		--token t1 --token t2 --token t3 --token admin --ready-file "$D/port" "$@" \
		> "$D/double.log" 2>&1 &
	echo $! >> "$D/pids"
	i=0; while [ ! -s "$D/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	PORT=$(cat "$D/port")
	API=https://127.0.0.1:$PORT
	for t in t1 t2 t3 admin; do kubeconfig "$t" > "$D/kubeconfig-$t"; done
	K="$KUBECTL --kubeconfig $D/kubeconfig-admin"
}

# kubeconfig TOKEN [ca]: a kubeconfig for the double with that token.
kubeconfig() {
	cat <<YAML
apiVersion: v1
kind: Config
clusters:
- name: double
  cluster:
    server: $API
    certificate-authority: ${2:-$D/pki/ca.crt}
users:
- name: u
  user:
    token: $1
contexts:
- name: c
  context: {cluster: double, user: u, namespace: default}
current-context: c
YAML
}

# api METHOD PATH [BODY [CONTENT-TYPE]]: curl as admin; prints the body, sets $CODE.
api() {
	CODE=$(curl -s -o "$D/api.out" -w '%{http_code}' --cacert "$D/pki/ca.crt" \
		-H "Authorization: Bearer admin" -X "$1" ${3:+-H "Content-Type: ${4:-application/json}"} \
		${3:+--data "$3"} "$API$2")
	cat "$D/api.out"
}

control() {	# control PATH [BODY]
	curl -s --cacert "$D/pki/ca.crt" -X POST ${2:+--data "$2"} "$API/_double/$1" > /dev/null
}

# controller NAME TOKEN [args]: a controller in the background, ports from 18080+.
CTL_N=0
controller() {
	n=$1; t=$2; shift 2
	CTL_N=$((CTL_N + 1))
	eval "MPORT_$n=$((18078 + 2 * CTL_N))"
	eval "HPORT_$n=$((18079 + 2 * CTL_N))"
	eval "mp=\$MPORT_$n hp=\$HPORT_$n"
	"$COUCHESTORD" controller --kubeconfig="$D/kubeconfig-$t" --namespace=couchestor-system \
		--metrics-address=127.0.0.1:$mp --health-address=127.0.0.1:$hp "$@" \
		> "$D/$n.log" 2>&1 &
	eval "PID_$n=$!"
	echo $! >> "$D/pids"
}

ready_of() { eval "curl -s -m 2 127.0.0.1:\$HPORT_$1/readyz"; }
metric_of() {	# metric_of NAME METRIC
	eval "curl -s -m 2 127.0.0.1:\$MPORT_$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'
}

# wait_until SECONDS COMMAND...: polls every 0.2 s; 0 if it came true.
wait_until() {
	w_end=$(($(date +%s) + $1)); shift
	while ! "$@" > /dev/null 2>&1; do
		[ "$(date +%s)" -ge $w_end ] && return 1
		sleep 0.2
	done
}

now_ms() { date +%s%3N; }

# guide_setup PV_NAME < PV.yaml: the guide's namespace, StoragePolicy and
# test PVC, and the PV on stdin, the PVC bound to it (as a CSI driver does).
guide_setup() {
	$K create namespace couchestor-system > /dev/null
	$K apply --validate=false -f "$top/deploy/examples/storage-policy-nutanix.yaml" > /dev/null
	sed '/^---$/,$d' "$top/tools/kube/testdata/test-volume-nutanix.yaml" > "$D/pvc.yaml"
	$K apply --validate=false -f "$D/pvc.yaml" > /dev/null
	cat > "$D/pv.yaml"
	$K apply --validate=false -f "$D/pv.yaml" > /dev/null
	$K -n default patch pvc test-nutanix-pvc --type=merge \
		-p "{\"spec\":{\"volumeName\":\"$1\"}}" > /dev/null
}
