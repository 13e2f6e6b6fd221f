#!/bin/sh
# Two controllers against one API server (lease 15 s, renew deadline
# 10 s, retry 2 s): exactly one leads and only it writes; SIGKILL of the
# leader and the other takes over within the lease duration and a retry
# period; SIGTERM releases the lease so the next one takes it at once; a
# leader cut off from the API stops leading before its renew deadline
# ends, and before the other one takes over.
. "$(dirname "$0")/../lib.sh"
start_double
$K create namespace couchestor-system > /dev/null
$K apply --validate=false -f "$top/deploy/examples/storage-policy-nutanix.yaml" > /dev/null

holder() { $K -n couchestor-system get lease couchestor-controller -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
ident() { sed -n 's/.*msg="controller started" identity=\([^ ]*\).*/\1/p' "$D/$1.log"; }
leads() { [ "$(metric_of "$1" couchestor_controller_leader)" = 1 ]; }
standby() { [ "$(metric_of "$1" couchestor_controller_leader)" = 0 ]; }
# writes_of TOKEN: its writes to anything but the Lease.
writes_of() { curl -s --cacert "$D/pki/ca.crt" "$API/_double/stats" | python3 -c "import json,sys; w = json.load(sys.stdin)['writes'].get('$1', {}); print(sum(n for k, n in w.items() if '/leases' not in k))"; }

controller a t1
controller b t2
wait_until 10 sh -c "[ -n \"\$($K -n couchestor-system get lease couchestor-controller -o jsonpath='{.spec.holderIdentity}' 2>/dev/null)\" ]"
ok $? "a lease holder within 10 s"
sleep 3
na=0; leads a && na=1
nb=0; leads b && nb=1
is "$((na + nb))" 1 "exactly one of two leads (a $na, b $nb)"
if [ $na = 1 ]; then L=a; S=b; LT=t1; ST=t2; else L=b; S=a; LT=t2; ST=t1; fi
is "$(holder)" "$(ident $L)" "the lease names the leader ($(ident $L))"
ready_of $L > "$D/r1"; ready_of $S > "$D/r2"
is "$(cat "$D/r1")" "ok; leader" "the leader's /readyz says leader"
grep -q "^ok; standby, leader $(ident $L)" "$D/r2"
ok $? "the other's says standby and who leads ($(cat "$D/r2"))"
$K -n couchestor-system get storagepolicy nutanix-tiered-policy -o jsonpath='{.status.phase}' > "$D/phase"
is "$(cat "$D/phase")" Active "the leader wrote the policy's status"
is "$(writes_of $ST)" 0 "the standby wrote nothing but its bid for the Lease"

# SIGKILL: nothing released; the other waits the lease out.
t0=$(now_ms)
eval "kill -9 \$PID_$L"
wait_until 25 leads $S
ok $? "after SIGKILL of the leader the other leads"
t1=$(now_ms)
dt=$((t1 - t0))
echo "# takeover after SIGKILL: $dt ms"
[ $dt -le 18000 ] && [ $dt -ge 4000 ]
ok $? "within the lease duration plus a retry period (${dt} ms, <= 17 s + 1 s of probing)"
is "$(holder)" "$(ident $S)" "the lease names the new leader"

# SIGTERM: released, taken at once.
controller c t3
sleep 3
standby c
ok $? "a third controller stands by"
t0=$(now_ms)
eval "kill -TERM \$PID_$S"
wait_until 10 leads c
ok $? "after SIGTERM of the leader the third one leads"
dt=$(($(now_ms) - t0))
echo "# takeover after SIGTERM: $dt ms"
[ $dt -le 5000 ]
ok $? "at once: the lease was released (${dt} ms)"
grep -q 'msg="released the lease"' "$D/$S.log"
ok $? "the stopped leader says it released the lease"

# A partition: the leader's calls all fail (its token's connections drop).
controller d t2
sleep 3
standby d
ok $? "a fourth controller stands by"
control fault '{"match": ".", "token": "t3", "drop": true}'
t0=$(now_ms)
wait_until 14 standby c
ok $? "the cut-off leader stops leading"
tstop=$(now_ms)
wait_until 25 leads d
ok $? "and the other takes over"
ttake=$(now_ms)
echo "# partition: leader stopped after $((tstop - t0)) ms, other took over after $((ttake - t0)) ms"
[ $((tstop - t0)) -le 10500 ]
ok $? "the cut-off leader stopped within the renew deadline (10 s): $((tstop - t0)) ms"
[ $tstop -lt $ttake ]
ok $? "before the other one took over: never two leaders"
grep -q 'msg="stopped leading"' "$D/c.log"
ok $? "its log says it stopped leading and why: $(grep -o 'why=.*' "$D/c.log" | head -n 1)"
w0=$(writes_of t3)
control reset
# Its watches back off up to 30 s, as client-go's reflector does.
wait_until 40 sh -c "curl -s -m 2 127.0.0.1:$HPORT_c/readyz | grep -q standby"
ok $? "back on the network it stands by ($(ready_of c))"
is "$(writes_of t3)" "$w0" "and writes nothing"
done_testing
