#!/bin/sh
# The controller and Prism Central (tools/prism/prismdouble.py): the
# credentials from the environment as the guide's Secret gives them, TLS
# verified against nutanix.ca_file; couchestor_nutanix_api_healthy from a
# periodic POST /clusters/list; the category key and the tiers' values
# created by the leader only, read before they are written (a restart
# writes nothing again); a wrong password, a Prism that answers 503 or is
# gone, an unknown cluster: unhealthy, readiness "degraded: prism", the
# Kubernetes side untouched, healthy again once it is back; the password
# in no log line or metric; insecure_skip_verify warned; plain http refused.
. "$(dirname "$0")/../lib.sh"
start_double
$K create namespace couchestor-system > /dev/null
PW='s3cret-Pa55word'
UUID=0005a1b2-c3d4-e5f6-0000-000000000001
python3 "$top/tools/prism/prismdouble.py" --cert "$D/pki/server.crt" --key "$D/pki/server.key" \
	--user admin --user standby --password "$PW" --cluster-uuid $UUID --ready-file "$D/pport" > "$D/prism.log" 2>&1 &
echo $! >> "$D/pids"
i=0; while [ ! -s "$D/pport" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
PC=https://127.0.0.1:$(cat "$D/pport")
pc() { curl -s --cacert "$D/pki/ca.crt" -X "${2:-GET}" ${3:+--data "$3"} "$PC/_double/$1"; }
control_pc() { pc "$1" POST "$2" > /dev/null; }
# puts: how many PUTs Prism Central got.
puts() { pc requests | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["method"] == "PUT"))'; }
healthy() { [ "$(metric_of "$1" couchestor_nutanix_api_healthy)" = 1 ]; }
unhealthy() { [ "$(metric_of "$1" couchestor_nutanix_api_healthy)" = 0 ]; }
cat > "$D/config.yaml" <<EOF
cloud_provider: nutanix
nutanix:
  prism_central_url: "https://prism-central.example.com:9440"
  cluster_uuid: "<cluster-uuid>"
  use_categories: true
  category_key: "CoucheStor"
  ca_file: "$D/pki/ca.crt"
tiers:
  hot: {category_value: "Hot", iops_threshold: 100}
  warm: {category_value: "Warm", iops_threshold: 10}
  cold: {category_value: "Cold Storage", iops_threshold: 0}
EOF
check "couchestord check-config takes nutanix.ca_file" "$COUCHESTORD" check-config --config="$D/config.yaml"
export PRISM_CENTRAL_URL="$PC" PRISM_USERNAME=admin PRISM_PASSWORD="$PW" PRISM_CLUSTER_UUID=$UUID
controller a t1 --config="$D/config.yaml" --cloud-provider=nutanix --prism-check-period=1s
PRISM_USERNAME=standby	# another account, to tell the two apart in Prism's log
controller b t2 --config="$D/config.yaml" --cloud-provider=nutanix --prism-check-period=1s
PRISM_USERNAME=admin
wait_until 15 healthy a
ok $? "couchestor_nutanix_api_healthy 1 (controller a)"
wait_until 15 healthy b
ok $? "and on the standby too (it checks, it does not write)"
wait_until 15 sh -c "[ \"\$(curl -s --cacert $D/pki/ca.crt $PC/_double/categories)\" = '{\"CoucheStor\": [\"Cold Storage\", \"Hot\", \"Warm\"]}' ]"
ok $? "the category CoucheStor with Hot, Warm and Cold Storage, as the tiers name them (a space escaped)"
is "$(puts)" 4 "four PUTs: the key and three values, once (two controllers)"
pc requests | python3 -c 'import json,sys; print(sorted({r["user"] for r in json.load(sys.stdin) if "/categories" in r["path"]}))' > "$D/who"
[ "$(cat "$D/who")" = "['admin']" ] || [ "$(cat "$D/who")" = "['standby']" ]
ok $? "one controller alone (the leader) asked about categories at all: $(cat "$D/who")"
metric_of a 'couchestor_nutanix_api_requests_total{endpoint="clusters/list",code="200"}' > "$D/n"
[ "$(cat "$D/n")" -ge 1 ] 2>/dev/null
ok $? "couchestor_nutanix_api_requests_total counts the checks by endpoint and code ($(cat "$D/n"))"
grep -q 'Prism Central categories created' "$D/a.log" "$D/b.log"
ok $? "the log says the categories were created"

kill $PID_a $PID_b; wait $PID_a $PID_b 2>/dev/null
controller c t1 --config="$D/config.yaml" --cloud-provider=nutanix --prism-check-period=1s
wait_until 15 grep -q 'Prism Central categories in place' "$D/c.log"
ok $? "a restarted controller finds them in place"
is "$(puts)" 4 "and writes nothing (read before write)"
is "$(ready_of c)" "ok; leader" "readiness: plain ok while Prism is healthy"

control_pc fault '{"status": 503, "count": 1000, "path": "clusters"}'
wait_until 20 unhealthy c
ok $? "Prism answers 503: couchestor_nutanix_api_healthy 0"
wait_until 5 sh -c "[ \"\$(curl -s -m 2 127.0.0.1:$HPORT_c/readyz)\" = 'ok; leader; degraded: prism' ]"
ok $? "readiness: ready, and says Prism is degraded"
grep -q 'Prism Central unhealthy: categories wait; tiering goes on.*HTTP 503' "$D/c.log"
ok $? "the log says what failed (HTTP 503) and what goes on"
is "$(metric_of c couchestor_kube_api_up)" 1 "the Kubernetes side is untouched"
control_pc reset
wait_until 20 healthy c
ok $? "Prism back: healthy again"
wait_until 15 sh -c "[ \"\$(curl -s --cacert $D/pki/ca.crt $PC/_double/categories)\" = '{\"CoucheStor\": [\"Cold Storage\", \"Hot\", \"Warm\"]}' ]"
ok $? "its categories gone (a reset Prism): the leader finds out and makes them again"
control_pc fault '{"down": true}'
wait_until 30 unhealthy c
ok $? "Prism gone (connections dropped): unhealthy"
control_pc fault '{"down": false}'
wait_until 30 healthy c
ok $? "and healthy once it answers again"
kill $PID_c; wait $PID_c 2>/dev/null

PRISM_PASSWORD=wrong-password
controller d t1 --config="$D/config.yaml" --cloud-provider=nutanix --prism-check-period=1s
wait_until 15 grep -q 'Prism Central unhealthy' "$D/d.log"
ok $? "a wrong password: unhealthy"
grep -q 'refused the credentials (PRISM_USERNAME, PRISM_PASSWORD)' "$D/d.log"
ok $? "the log says the credentials were refused, and where they come from"
curl -s -m 2 127.0.0.1:$MPORT_d/metrics > "$D/metrics"
curl -s -m 2 127.0.0.1:$HPORT_d/readyz > "$D/readyz"
b64=$(printf 'admin:%s' "$PW" | base64)
! grep -q -e "$PW" -e wrong-password -e "$b64" "$D"/[a-d].log "$D/metrics" "$D/readyz"
ok $? "no password, plain or in Basic's base64, in any log line, metric or readiness body"
kill $PID_d; wait $PID_d 2>/dev/null

PRISM_PASSWORD=$PW PRISM_CLUSTER_UUID=0005ffff-0000-0000-0000-000000000009
controller e t1 --config="$D/config.yaml" --cloud-provider=nutanix --prism-check-period=1s
wait_until 15 grep -q 'does not know cluster 0005ffff' "$D/e.log"
ok $? "an unknown PRISM_CLUSTER_UUID: unhealthy, said so"
kill $PID_e; wait $PID_e 2>/dev/null

PRISM_CLUSTER_UUID=$UUID
sed '/ca_file/d' "$D/config.yaml" > "$D/noca.yaml"
controller f t1 --config="$D/noca.yaml" --cloud-provider=nutanix --prism-check-period=1s
wait_until 15 grep -q 'Prism Central unhealthy.*no answer' "$D/f.log"
ok $? "without nutanix.ca_file the private CA is not trusted: no answer (TLS verified by default)"
kill $PID_f; wait $PID_f 2>/dev/null
sed 's/ca_file:.*/insecure_skip_verify: true/' "$D/config.yaml" > "$D/insecure.yaml"
controller g t1 --config="$D/insecure.yaml" --cloud-provider=nutanix --prism-check-period=1s
wait_until 15 healthy g
ok $? "insecure_skip_verify: true, an explicit opt-in: healthy"
grep -q 'level=warn msg="Prism Central TLS is NOT verified' "$D/g.log"
ok $? "and warned at start"
kill $PID_g; wait $PID_g 2>/dev/null

PRISM_CENTRAL_URL=http://127.0.0.1:1
controller h t1 --config="$D/config.yaml" --cloud-provider=nutanix
wait_until 10 sh -c "! kill -0 $PID_h 2>/dev/null"
ok $? "a plain http:// Prism Central: the controller does not start"
grep -q 'only https:// is used' "$D/h.log"
ok $? "and says why"
unset PRISM_CENTRAL_URL PRISM_USERNAME PRISM_PASSWORD PRISM_CLUSTER_UUID
controller i t1 --config="$D/noca.yaml" --cloud-provider=nutanix
wait_until 10 grep -q 'cloud_provider nutanix without Prism Central' "$D/i.log"
ok $? "no credentials (no Secret): it runs, and says categories are off"
is "$(metric_of i couchestor_nutanix_api_healthy)" 0 "couchestor_nutanix_api_healthy 0 (the guide's alert fires)"
! grep -q -e "$PW" -e wrong-password -e "$b64" "$D"/[e-i].log
ok $? "nor in the later controllers' logs"
done_testing
