#!/bin/bash
# couchestord with a real Prometheus (Debian's package) on loopback: the
# agent's /metrics passes promtool, Prometheus scrapes it and its query API
# gives the agent's metrics back, and the agent reads a volume's IOPS from
# Prometheus (couchestord query-iops).  TAP on stdout; no kernel module needed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
D=$top/daemon/couchestord
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
n=0
failed=0
ok() {	# ok <0|1> <what>
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# query <promql>: the first sample's value, or nothing.
query() {
	curl -s --max-time 5 "http://127.0.0.1:$PP/api/v1/query" --data-urlencode "query=$1" |
		python3 -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")' 2>/dev/null
}

MP=$(port); HP=$(port); PP=$(port)
cat > "$tmp/agent.yaml" <<YAML
prometheus:
  endpoint: "http://127.0.0.1:$PP"
  query_timeout: 5s
  use_for_iops: true
  iops_query: 'label_replace(vector(250), "volume", "\$volume", "", "") + 0 * scalar(couchestor_kernel_connected)'
policy:
  interval: 1s
agent:
  metrics_address: "127.0.0.1:$MP"
  health_address: "127.0.0.1:$HP"
YAML
cat > "$tmp/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: couchestord
    static_configs:
      - targets: ["127.0.0.1:$MP"]
YAML

"$D" agent --node-name=itest --config="$tmp/agent.yaml" > "$tmp/agent.log" 2>&1 &
pids+=($!)
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
	--web.listen-address="127.0.0.1:$PP" > "$tmp/prometheus.log" 2>&1 &
pids+=($!)

for i in $(seq 50); do curl -sf "http://127.0.0.1:$MP/metrics" > "$tmp/metrics.txt" && break; sleep 0.2; done
grep -q '^couchestor_agent_info{node="itest",version="0.1.0"} 1' "$tmp/metrics.txt"
ok $? "the agent serves /metrics"
promtool check metrics < "$tmp/metrics.txt" > "$tmp/promtool.out" 2>&1
ok $? "promtool check metrics accepts it $(head -3 "$tmp/promtool.out" | tr '\n' ' ')"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HP/healthz")
[ "$code" = 200 ]
ok $? "healthz 200 ($code)"
code=$(curl -s -o "$tmp/ready.txt" -w '%{http_code}' "http://127.0.0.1:$HP/readyz")
[ "$code" = 503 ] && grep -q "not connected to dm-couche" "$tmp/ready.txt"
ok $? "readyz 503 without the module, saying why: $(cat "$tmp/ready.txt")"

for i in $(seq 100); do curl -sf "http://127.0.0.1:$PP/-/ready" > /dev/null && break; sleep 0.2; done
v=""
for i in $(seq 60); do v=$(query 'couchestor_agent_info{node="itest"}'); [ "$v" = 1 ] && break; sleep 0.5; done
[ "$v" = 1 ]
ok $? "Prometheus scraped the agent: couchestor_agent_info = '$v'"
[ "$(query 'up{job="couchestord"}')" = 1 ]
ok $? "up{job=\"couchestord\"} is 1"
[ "$(query 'couchestor_kernel_connected')" = 0 ]
ok $? "couchestor_kernel_connected comes back through the query API as 0"
[ "$(query 'couchestor_migrations_pending')" = "" ] && [ -n "$(query 'couchestor_volumes')" ]
ok $? "couchestor_volumes is there; no per-volume series without volumes"

out=$("$D" query-iops --config="$tmp/agent.yaml" vol7 2>&1)
[ "$out" = "vol7 250" ]
ok $? "the agent reads a volume's IOPS from Prometheus: '$out'"
sed "s/:$PP/:$(port)/" "$tmp/agent.yaml" > "$tmp/down.yaml"
out=$(timeout 20 "$D" query-iops --config="$tmp/down.yaml" vol7 2>&1)
rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "cannot connect"
ok $? "an unreachable Prometheus is a clear error, not a hang: $out"
kill -TERM "${pids[0]}"
wait "${pids[0]}"
ok $? "the agent stops on SIGTERM with status 0"
pids=("${pids[@]:1}")
echo "1..$n"
[ $failed = 0 ]
