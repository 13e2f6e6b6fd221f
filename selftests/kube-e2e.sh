#!/bin/sh
# The guest half of tools/kube/vm-e2e.sh (not run by run.sh alone): the
# agent on a real dm-couche volume follows its node's intents from the
# host's API server double. The host has applied the guide's
# StoragePolicy and test PVC, bound it to a PV that names this node and
# volume, and annotated couchestor.io/force-tier=hot, which the 100 MiB
# volume does not fit in: the agent refuses it and says why; the host
# then asks for warm, and once the agent reports the volume all in warm,
# removes the annotation.
. ./lib.sh
CTL=couchestorctl
LEN=204800		# 100 extents: more than hot holds
pinned() { $CTL extents $VOL | awk '$NF ~ /P/' | wc -l; }
[ -s /extra/kubeconfig ]
ok $? "the host handed over a kubeconfig for its API server (10.0.2.2)"
wipe $META $HOT $WARM $COLD
check "create volume" dmsetup create $VOL --table "$(table $LEN)"
check "write 100 MiB" pattern write $DEV 0 25600 88
[ "$(tier_used warm)" -lt 100 ]
ok $? "the extents start spread (hot $(tier_used hot), warm $(tier_used warm), cold $(tier_used cold))"
cat > /tmp/agent-k.yaml <<'YAML'
policy:
  interval: 2s
tiers:
  hot:
    iops_threshold: 100
  warm:
    iops_threshold: 10
  cold:
    iops_threshold: 0
agent:
  metrics_address: "127.0.0.1:8080"
  health_address: "127.0.0.1:8081"
YAML
couchestord agent --node-name=vm --config=/tmp/agent-k.yaml --kubeconfig=/extra/kubeconfig \
	--state-dir= > /tmp/agent-k.log 2>&1 &
agent=$!
i=0; while ! grep -q 'msg="force-tier refused"' /tmp/agent-k.log && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done
grep -q 'msg="force-tier refused" volume=vol0 tier=hot error="the volume (100 extents) does not fit in tier hot' /tmp/agent-k.log
ok $? "force-tier=hot: refused, the volume does not fit ($(grep -o 'error="[^"]*"' /tmp/agent-k.log | head -n 1))"
i=0; while [ "$(tier_used warm)" != 100 ] && [ $i -lt 180 ]; do sleep 1; i=$((i + 1)); done
is "$(tier_used warm)" 100 "then force-tier=warm: all 100 extents moved to warm (${i} s)"
is "$(pinned)" 100 "and pinned there"
grep -q 'msg="force-tier: the volume is pinned" volume=vol0 tier=warm pvc=default/test-nutanix-pvc' /tmp/agent-k.log
ok $? "the agent's log says so, naming the PVC"
grep -q 'msg="StoragePolicy applies to the volume" volume=vol0 policy=couchestor-system/nutanix-tiered-policy' /tmp/agent-k.log
ok $? "the guide's StoragePolicy applies to the volume"
dmsetup table $VOL | grep -q "max_migrations 3 "
ok $? "its maxConcurrent 3 is the kernel's max_migrations ($(dmsetup table $VOL | grep -o 'max_migrations [0-9]*'))"
# The host removes the annotation once the agent reports the volume done.
i=0; while [ "$(pinned)" != 0 ] && [ $i -lt 90 ]; do sleep 1; i=$((i + 1)); done
is "$(pinned)" 0 "the annotation removed: the volume is unpinned (${i} s)"
grep -q 'msg="force-tier removed: the volume is unpinned" volume=vol0' /tmp/agent-k.log
ok $? "and the log says so"
wget -qO- http://127.0.0.1:8080/metrics | grep -q '^couchestor_kube_api_up 1'
ok $? "couchestor_kube_api_up 1"
check "data intact" pattern verify $DEV 0 25600 88
sleep 3
kill -TERM $agent
wait $agent
ok $? "the agent stops on SIGTERM"
grep -E 'level=(warn|error)' /tmp/agent-k.log | diag
check "remove" dmsetup remove $VOL
done_testing
