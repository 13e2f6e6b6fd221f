#!/bin/sh
# couchestord does what its config says and no more (issue 13): a config
# that names tiers hot and cold against a hot/warm/cold volume leaves warm
# and its extents alone (log, metric, /readyz), matching tiers by name; a
# table's migration_mbps and heat_halflife_s, which the config does not
# set, stay; concurrent_migrations, which it sets, is applied and logged;
# SIGHUP applies new listen addresses (or refuses them whole); a
# Prometheus that hangs does not hold the agent's loop.
. ./lib.sh
CTL=couchestorctl
LEN=204800		# 100 extents
wipe $META $HOT $WARM $COLD
check "create volume (migration_mbps 50, heat_halflife_s 10)" \
	dmsetup create $VOL --table "$(table $LEN migration_mbps 50 heat_halflife_s 10)"
check "write 100 MiB" pattern write $DEV 0 25600 81
check "extents 0-49 and 60-99 to cold" sh -c "$CTL migrate $VOL 0-49 cold --wait && $CTL migrate $VOL 60-99 cold --wait"
check "extents 50-59 to warm" $CTL migrate $VOL 50-59 warm --wait
is "$(tier_used hot) $(tier_used warm) $(tier_used cold)" "0 10 90" "hot empty, 10 in warm, 90 in cold"

cat > /tmp/agent.yaml <<'YAML'
policy:
  interval: 2s
tiers:
  hot:
    iops_threshold: 2
  cold:
    iops_threshold: 0
migration:
  cooldown_period: 1h
  batch_size: 30
  concurrent_migrations: 3
agent:
  metrics_address: "127.0.0.1:8080"
  health_address: "127.0.0.1:8081"
YAML
mkdir -p /tmp/cs-state
couchestord agent --node-name=vm --config=/tmp/agent.yaml --state-dir=/tmp/cs-state > /tmp/agent.log 2>&1 &
agent=$!
i=0; while ! wget -qO- http://127.0.0.1:8081/readyz > /tmp/ready.out 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
is "$(cat /tmp/ready.out)" "ok; tier warm of vol0 is not in the config" "/readyz says warm is left alone"
grep -q 'msg="tier not in the config: the agent leaves it and its extents alone" volume=vol0 tier=warm' /tmp/agent.log
ok $? "the log says warm is left alone"
dmsetup table $VOL | grep -q "max_migrations 3 migration_mbps 50 heat_halflife_s 10 "
ok $? "max_migrations from the config; the table's migration_mbps and half-life kept ($(dmsetup table $VOL | grep -o 'max_migrations.*'))"
grep -q 'msg="volume parameter set from the config" volume=vol0 param=max_migrations from=4 to=3' /tmp/agent.log
ok $? "the log says what it changed: $(grep -m1 'parameter set' /tmp/agent.log)"
grep -c 'parameter set' /tmp/agent.log | grep -qx 1
ok $? "and changed nothing else"

zipf_reads 100 30
ok $? "30 s of Zipf(1.1) random reads, warm extents included"
sleep 8
$CTL extents $VOL --top 10 > /tmp/top.out
diag /tmp/top.out
[ "$(tier_used hot)" -gt 0 ]
ok $? "the agent moved hot extents up ($(tier_used hot) in hot)"
is "$(tier_used warm)" 10 "warm still holds exactly its 10 extents"
n=0
for e in 50 51 52 53 54 55 56 57 58 59; do
	[ "$(extent_tier $e)" = warm ] && n=$((n + 1))
done
is "$n" 10 "extents 50-59 stayed in warm, however hot"
wget -qO- http://127.0.0.1:8080/metrics > /tmp/metrics.out
grep -q '^couchestor_tier_managed{volume="vol0",tier="warm"} 0' /tmp/metrics.out &&
	grep -q '^couchestor_tier_managed{volume="vol0",tier="hot"} 1' /tmp/metrics.out
ok $? "couchestor_tier_managed: warm 0, hot 1"
dmsetup table $VOL | grep -q "migration_mbps 50 heat_halflife_s 10 "
ok $? "the table's migration_mbps and half-life are still there"
check "data intact" pattern verify $DEV 0 25600 81

# SIGHUP takes all of the new config: new listen addresses too; one it
# cannot listen on is refused, the old addresses kept.
sed 's/127.0.0.1:8081/127.0.0.1:8091/' /tmp/agent.yaml > /tmp/agent.new && mv /tmp/agent.new /tmp/agent.yaml
kill -HUP $agent
sleep 2
check "after SIGHUP /healthz answers on the new port" wget -qO- http://127.0.0.1:8091/healthz
refuse "and no longer on the old one" wget -qO- http://127.0.0.1:8081/healthz
grep -q 'msg="listening on the new addresses" ports=8080/8091' /tmp/agent.log
ok $? "the log says where it listens now"
sleep 30 | nc -l -p 8095 > /dev/null 2>&1 &
sleep 0.5
sed 's/127.0.0.1:8091/127.0.0.1:8095/' /tmp/agent.yaml > /tmp/agent.new && mv /tmp/agent.new /tmp/agent.yaml
kill -HUP $agent
sleep 2
grep -q "cannot listen on the new addresses; keeping the old configuration" /tmp/agent.log
ok $? "a port in use: the reload is refused and the log says why"
check "the old port still answers" wget -qO- http://127.0.0.1:8091/healthz
pkill -f "nc -l -p 8095" 2>/dev/null; pkill -f "sleep 30" 2>/dev/null

kill -TERM $agent
wait $agent
ok $? "the agent stops on SIGTERM"

# A Prometheus that takes the connection and never answers (query_timeout
# 60 s) does not hold the loop: the agent is ready at once, plans every
# second, /healthz keeps answering (it fails after 3 intervals without a
# heartbeat) and SIGTERM is quick.
sleep 90 | nc -l -p 9099 > /dev/null 2>&1 &
cat > /tmp/agent2.yaml <<'YAML'
policy:
  interval: 1s
prometheus:
  endpoint: "http://127.0.0.1:9099"
  query_timeout: 60s
  use_for_iops: true
  iops_query: 'sum(rate(io_total{volume="$volume"}[1m]))'
tiers:
  hot:
    iops_threshold: 2
  cold:
    iops_threshold: 0
agent:
  metrics_address: "127.0.0.1:8080"
  health_address: "127.0.0.1:8081"
YAML
ls /tmp/cs-state/*.moves > /dev/null 2>&1
ok $? "the first agent kept its move history in --state-dir"
couchestord agent --node-name=vm --config=/tmp/agent2.yaml --state-dir=/tmp/cs-state > /tmp/agent2.log 2>&1 &
agent=$!
i=0; while ! wget -qO- http://127.0.0.1:8081/readyz > /dev/null 2>&1 && [ $i -lt 25 ]; do sleep 0.2; i=$((i + 1)); done
[ $i -lt 25 ]
ok $? "ready within 5 s while Prometheus hangs"
c0=$(agent_cycles)
up=0
for i in 1 2 3 4 5 6; do
	sleep 1
	timeout 2 wget -qO- http://127.0.0.1:8081/healthz > /dev/null 2>&1 && up=$((up + 1))
done
c1=$(agent_cycles)
is "$up" 6 "/healthz answered every second of 6"
[ -n "$c0" ] && [ -n "$c1" ] && [ $((c1 - c0)) -ge 4 ]
ok $? "the agent kept planning: $c0 then $c1 cycles"
[ "$up" = 6 ] || diag /tmp/agent2.log
grep -q 'msg="move history loaded: their cooldowns go on" volume=vol0 extents=[1-9]' /tmp/agent2.log
ok $? "a restarted agent goes on with the cooldowns: $(grep -o 'move history loaded.*' /tmp/agent2.log)"
stop_agent $agent ", the query in flight aborted"
pkill -f "nc -l -p 9099" 2>/dev/null; pkill -f "sleep 90" 2>/dev/null
check "remove" dmsetup remove $VOL
done_testing
