#!/bin/sh
# The controller from a cold start over 10,000 bound PVCs (on 100 nodes)
# and 100 StoragePolicies in the API server double: CPU seconds and peak
# RSS of the controller until it has published every node's intents and
# every policy's status.  Prints BENCH lines as bench-guest.sh does.
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top/tools/kube/tests" || exit 1
. ../lib.sh
N=${KUBE_SCALE_PVCS:-10000}
P=${KUBE_SCALE_POLICIES:-100}
python3 - "$N" "$P" > "$D/preload.json" <<'PY'
import json, sys
n, p = int(sys.argv[1]), int(sys.argv[2])
out = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "couchestor-system"}}]
for i in range(p):
    out.append({"apiVersion": "couchestor.io/v1alpha1", "kind": "StoragePolicy",
                "metadata": {"name": "policy-%d" % i, "namespace": "couchestor-system"},
                "spec": {"tiers": [{"name": "hot", "iopsThreshold": 100 + i},
                                   {"name": "warm", "iopsThreshold": 10},
                                   {"name": "cold", "iopsThreshold": 0}],
                         "migration": {"strategy": "storage-vmotion", "cooldownPeriod": "24h",
                                       "maxConcurrent": 3}}})
for i in range(n):
    out.append({"apiVersion": "v1", "kind": "PersistentVolume",
                "metadata": {"name": "pv-%05d" % i,
                             "annotations": {"couchestor.io/node": "node-%03d" % (i % 100)}},
                "spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"],
                         "claimRef": {"namespace": "apps-%d" % (i % 50), "name": "data-%05d" % i}}})
    out.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": "data-%05d" % i, "namespace": "apps-%d" % (i % 50),
                             "annotations": {"couchestor.io/policy":
                                             "couchestor-system/policy-%d" % (i % p)}},
                "spec": {"accessModes": ["ReadWriteOnce"], "volumeName": "pv-%05d" % i,
                         "resources": {"requests": {"storage": "10Gi"}}}})
json.dump(out, sys.stdout)
PY
start_double --preload "$D/preload.json"
t0=$(now_ms)
controller a t1 --leader-elect=false
pid=$PID_a
done_() {
	[ "$(metric_of a couchestor_controller_volumes)" = "$N" ] &&
	[ "$($K get couchestornodes -o name 2>/dev/null | wc -l)" = 100 ] &&
	[ "$($K -n couchestor-system get storagepolicies -o jsonpath='{range .items[*]}{.status.volumes} {end}' | wc -w)" = "$P" ]
}
wait_until 120 done_
rc=$?
t1=$(now_ms)
ticks=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
hz=$(getconf CLK_TCK)
hwm=$(awk '/^VmHWM/ { print $2 }' /proc/$pid/status)
cpu=$(echo "scale=3; $ticks / $hz" | bc | sed "s/^\./0./")
mib=$(echo "scale=1; $hwm / 1024" | bc | sed "s/^\./0./")
echo "# controller cold start over $N PVCs, $P policies: ${cpu} s CPU, ${mib} MiB peak RSS, $((t1 - t0)) ms wall (the double's own time included)"
if [ $rc != 0 ]; then
	echo "BENCH {\"measure\": \"controller cold start, $N PVCs and $P policies\", \"error\": \"did not converge in 120 s\"}"
	exit 1
fi
met_cpu=$(echo "$cpu <= 2" | bc)
met_rss=$(echo "$mib <= 50" | bc)
echo "BENCH {\"measure\": \"controller cold start, $N PVCs + $P policies: CPU\", \"value\": $cpu, \"unit\": \"s\", \"target\": \"<= 2 s\", \"met\": $([ "$met_cpu" = 1 ] && echo true || echo false)}"
echo "BENCH {\"measure\": \"controller cold start, $N PVCs + $P policies: peak RSS\", \"value\": $mib, \"unit\": \"MiB\", \"target\": \"<= 50 MiB\", \"met\": $([ "$met_rss" = 1 ] && echo true || echo false)}"
