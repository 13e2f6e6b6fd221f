#!/bin/sh
# The shipped alert rules (deploy/monitoring/alerting-rules-nutanix.yaml)
# in a real Prometheus (the host's, over 9p) scraping the real agent on a
# real volume: the rules load and evaluate; healthy, CouchestorMigrationStalled
# stays silent; with migrations stuck on a suspended cold device it goes
# pending on that volume (it fires after its 2 h "for", which promtool test
# rules covers on the host); once they complete it clears.
. ./lib.sh
R=/host
P=/tmp/prom
mkdir -p $R
check "the host's / over 9p" mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot $R
mount -t tmpfs tmp $R/tmp
for d in proc sys dev; do mount --bind /$d $R/$d; done
mkdir -p $R$P
sed -n '/^spec:/,$p' deploy/alerting-rules-nutanix.yaml | sed '1d; s/^  //' > $R$P/rules.yml
cat > $R$P/prometheus.yml <<'EOF'
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [/tmp/prom/rules.yml]
scrape_configs:
  - job_name: couchestor-agent
    static_configs: [{targets: ["127.0.0.1:8080"]}]
EOF
# q PROMQL: the query's result, as Prometheus' JSON.
q() { chroot $R curl -s -m 5 --data-urlencode "query=$1" http://127.0.0.1:9090/api/v1/query; }
alerts() { chroot $R curl -s -m 5 http://127.0.0.1:9090/api/v1/alerts; }
# stalled_state: the CouchestorMigrationStalled alert's state for vol0, or "none".
stalled_state() {
	s=$(alerts | awk '{ gsub(/"labels":/, "\n"); print }' | grep '"alertname":"CouchestorMigrationStalled"' |
		grep '"volume":"vol0"' | sed -n 's/.*"state":"\([a-z]*\)".*/\1/p' | head -n 1)
	echo "${s:-none}"
}

# A volume whose cold tier can be frozen: dm-linear over the cold disk.
wipe $META $HOT $WARM $COLD
check "a suspendable cold device" dmsetup create slowcold --table "0 $(blockdev --getsz $COLD) linear $COLD 0"
COLD=/dev/mapper/slowcold
check "create volume" dmsetup create $VOL --table "$(table 204800)"
check "write 16 MiB" pattern write $DEV 0 4096 89
cat > /tmp/agent.yaml <<'YAML'
policy: {interval: 1s, sampling_window: 10s}
agent: {metrics_address: "127.0.0.1:8080", health_address: "127.0.0.1:8081"}
YAML
couchestord agent --node-name=vm --config=/tmp/agent.yaml --dry-run --state-dir= > /tmp/agent.log 2>&1 &
agent=$!
chroot $R /usr/bin/prometheus --config.file=$P/prometheus.yml --storage.tsdb.path=$P/data \
	--web.listen-address=127.0.0.1:9090 > /tmp/prom.log 2>&1 &
prom=$!
i=0; until q 'up{job="couchestor-agent"} == 1' | grep -q '"value"' || [ $i -ge 120 ]; do sleep 1; i=$((i + 1)); done
q 'up{job="couchestor-agent"} == 1' | grep -q '"value"'
ok $? "Prometheus scrapes the agent (in $i s)"
[ $i -lt 120 ] || { tail -n 20 /tmp/prom.log | diag; }
sleep 3
chroot $R curl -s -m 5 http://127.0.0.1:9090/api/v1/rules > /tmp/rules.json
is "$(grep -o '"health":"ok"' /tmp/rules.json | wc -l)" 3 "all three rules load and evaluate without error"
grep -q '"lastError":"[^"]' /tmp/rules.json
ok $((! $?)) "no rule has an evaluation error"
q 'couchestor_migrations_pending{volume="vol0"}' | grep -q '"value":\[[0-9.]*,"0"\]'
ok $? "Prometheus has the agent's couchestor_migrations_pending for vol0: 0"
q 'increase(couchestor_migrations_completed_total[1h]) == 0 and couchestor_migrations_pending > 0' > /tmp/expr.json
grep -q '"result":\[\]' /tmp/expr.json
ok $? "healthy: CouchestorMigrationStalled's expression is empty"
is "$(stalled_state)" none "healthy: CouchestorMigrationStalled neither pending nor firing"
alerts | grep -q '"alertname":"CouchestorNutanixConnectivityLost"'
ok $? "no controller reaching Prism here: CouchestorNutanixConnectivityLost is on its way (absent metric)"

# Freeze the cold device, and move four extents there: stuck.
check "suspend the cold device" dmsetup suspend slowcold
check "migrate 4 extents to cold (queued, cannot finish)" couchestorctl migrate $VOL 0-3 cold
i=0; until [ "$(stalled_state)" = pending ] || [ $i -ge 30 ]; do sleep 1; i=$((i + 1)); done
is "$(stalled_state)" pending "stuck migrations: CouchestorMigrationStalled pending for vol0 (in $i s)"
q 'couchestor_migrations_pending{volume="vol0"}' | grep -q '"value":\[[0-9.]*,"[1-9]'
ok $? "couchestor_migrations_pending above 0"
alerts | grep -o '"alertname":"CouchestorMigrationStalled"[^}]*}' | head -n 1 | diag
check "resume the cold device" dmsetup resume slowcold
wait_migrations
ok $? "the migrations complete"
i=0; until [ "$(stalled_state)" = none ] || [ $i -ge 30 ]; do sleep 1; i=$((i + 1)); done
is "$(stalled_state)" none "completed: the alert clears (in $i s)"
check "data intact" pattern verify $DEV 0 4096 89

kill $prom; wait $prom
stop_agent $agent
dmsetup remove $VOL
dmsetup remove slowcold
for d in dev sys proc tmp; do umount $R/$d; done
umount $R
done_testing
