#!/bin/sh
# couchestord agent on a 3-tier volume: with every extent first moved to
# cold, a skewed (Zipf 1.1) fio workload makes the agent move the hot set up
# by itself and leave the cold rest down; data verified.  The thresholds
# are low, so the hot tier's capacity decides (as it would on any machine
# speed, KASAN kernels included): the hottest extents must win its slots.  Metrics, health,
# readiness, SIGHUP reloads (a bad one kept out), the module going away and
# coming back, SIGTERM.
. ./lib.sh
CTL=couchestorctl
LEN=409600		# 200 extents
wipe $META $HOT $WARM $COLD
check "create volume" dmsetup create $VOL --table "$(table $LEN)"
check "write 200 MiB" pattern write $DEV 0 51200 61
check "move everything to cold" $CTL migrate $VOL 0-199 cold --wait
is "$(tier_used cold)" 200 "all 200 extents in cold"

cat > /tmp/agent.yaml <<'YAML'
policy:
  interval: 2s
  sampling_window: 10s
tiers:
  hot:
    iops_threshold: 2
  warm:
    iops_threshold: 1
  cold:
    iops_threshold: 0
migration:
  cooldown_period: 20s
  batch_size: 20
  concurrent_migrations: 4
agent:
  metrics_address: "127.0.0.1:8080"
  health_address: "127.0.0.1:8081"
YAML
check "couchestord check-config accepts it" couchestord check-config --config=/tmp/agent.yaml
couchestord agent --node-name=vm --config=/tmp/agent.yaml > /tmp/agent.log 2>&1 &
agent=$!
i=0; while ! wget -qO- http://127.0.0.1:8081/readyz > /tmp/ready.out 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
is "$(cat /tmp/ready.out)" "ok" "readyz says ok once the agent has talked to the kernel"
check "healthz" wget -qO- http://127.0.0.1:8081/healthz
dmsetup table $VOL | grep -q "max_migrations 4 migration_mbps 0 heat_halflife_s 10 "
ok $? "the agent set max_migrations and the heat half-life from its config"

zipf_reads 200 40
ok $? "40 s of Zipf(1.1) random reads"
sleep 6
$CTL extents $VOL --top 20 > /tmp/top.out
hot20=$(tail -n +2 /tmp/top.out | awk '$2 == "hot"' | wc -l)
diag /tmp/top.out
[ "$hot20" -ge 18 ]
ok $? "the agent moved the 20 hottest extents to hot ($hot20 of 20)"
$CTL extents $VOL --bottom 60 > /tmp/bottom.out
hotcold=$(tail -n +2 /tmp/bottom.out | awk '$2 == "hot"' | wc -l)
is "$hotcold" 0 "none of the 60 coldest extents went to hot"
used=$(tier_used hot)
[ "$used" -le 61 ] && [ "$used" -gt 0 ]
ok $? "hot holds $used extents, within its 63 slots less the reserve of 2"
check "data intact after the agent's moves" pattern verify $DEV 0 51200 61

wget -qO- http://127.0.0.1:8080/metrics > /tmp/metrics.out
ok $? "metrics served"
grep -q '^couchestor_migrations_completed_total{volume="vol0"} [1-9]' /tmp/metrics.out &&
	grep -q '^couchestor_migrations_failed_total{volume="vol0"} 0' /tmp/metrics.out
ok $? "couchestor_migrations_completed_total counts the moves: $(grep '^couchestor_migrations_completed_total' /tmp/metrics.out | tr '\n' ' ')"
grep -q '^couchestor_migrations_pending{volume="vol0"} ' /tmp/metrics.out &&
	grep -q '^couchestor_tier_used_extents{volume="vol0",tier="hot"} ' /tmp/metrics.out &&
	grep -q '^couchestor_policy_cycle_seconds_count [1-9]' /tmp/metrics.out
ok $? "pending, tier use and cycle time are exported"
grep -q 'msg="moves issued" volume=vol0' /tmp/agent.log
ok $? "the agent logs its moves in logfmt"

# SIGHUP: a broken config is refused and the old one kept; a good one taken.
cp /tmp/agent.yaml /tmp/agent.good
sed 's/batch_size: 20/batch_size: many/' /tmp/agent.good > /tmp/agent.yaml
kill -HUP $agent
sleep 1
grep -q "configuration reload failed: keeping the old configuration" /tmp/agent.log
ok $? "a bad config on SIGHUP is refused, the old one kept"
grep -q 'agent.yaml:13: migration.batch_size' /tmp/agent.log
ok $? "and the log names file, line and key: $(grep -m1 'batch_size' /tmp/agent.log)"
kill -0 $agent
ok $? "the agent still runs"
sed 's/sampling_window: 10s/sampling_window: 12s/' /tmp/agent.good > /tmp/agent.yaml
kill -HUP $agent
sleep 4
grep -q "configuration reloaded" /tmp/agent.log
ok $? "a good config on SIGHUP is taken"
dmsetup table $VOL | grep -q "heat_halflife_s 12 "
ok $? "and applied: the heat half-life is now 12 s"

# The module goes away and comes back.
check "remove the volume" dmsetup remove $VOL
check "unload dm-couche" rmmod dm-couche
sleep 5
wget -qO- http://127.0.0.1:8081/readyz > /tmp/ready.out 2>&1
[ $? != 0 ]
ok $? "readyz fails while the module is gone"
grep -q "kernel not reachable" /tmp/agent.log
ok $? "the agent says the kernel is not reachable"
check "load dm-couche again" insmod /lib/modules/dm-couche.ko
check "create the volume again" dmsetup create $VOL --table "$(table $LEN)"
i=0; while ! wget -qO- http://127.0.0.1:8081/readyz > /dev/null 2>&1 && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
check "readyz ok again" wget -qO- http://127.0.0.1:8081/readyz
grep -q "connected to dm-couche" /tmp/agent.log
ok $? "the agent reconnected"
check "data intact after the module reload" pattern verify $DEV 0 51200 61

kill -TERM $agent
wait $agent
ok $? "SIGTERM: the agent exits 0"
grep -q 'msg=stopping' /tmp/agent.log
ok $? "and says it is stopping"
echo "# agent log (last lines):"; tail -n 15 /tmp/agent.log | sed 's/^/# /'
check "remove" dmsetup remove $VOL
done_testing
