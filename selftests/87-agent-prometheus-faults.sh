#!/bin/sh
# The whole agent (not only its Prometheus thread) against a Prometheus
# that fails every way it can: 503, truncated and malformed JSON, NaN,
# an empty answer, answers slower than query_timeout, and a Prometheus
# that is not there at all. Over a minute of one-second cycles the agent
# keeps planning, /healthz answers every probe, /readyz says when
# Prometheus is unreachable and again when it is back, and its memory
# stays flat (measured from /proc). test_promworker runs the thread
# alone over 1,000 rounds; this is the same faults with the loop around.
. ./lib.sh
CTL=couchestorctl
LEN=20480		# 10 extents
PORT=9097
wipe $META $HOT $WARM $COLD
check "create volume" dmsetup create $VOL --table "$(table $LEN)"
check "write it" pattern write $DEV 0 2560 87

# answer <status line> <body> [content-length]: one HTTP answer, one connection.
answer() {
	printf 'HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' \
		"$1" "${3:-${#2}}" "$2" | nc -l -p $PORT > /dev/null 2>&1
}
vec() { echo '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"'"$1"'"]}]}}'; }

# The fake Prometheus follows /tmp/prom.mode: good, down, or faults
# (each connection the next fault in turn).
fakeprom() {
	i=0
	while [ ! -e /tmp/prom.stop ]; do
		case "$(cat /tmp/prom.mode)" in
		good) answer "200 OK" "$(vec 40)" ;;
		down) sleep 0.2 ;;
		faults)
			case $((i % 6)) in
			0) answer "503 Service Unavailable" "service unavailable" ;;
			1) answer "200 OK" '{"status":"success","data":{"resultType":"vec' 400 ;;
			2) answer "200 OK" '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,' ;;
			3) answer "200 OK" "$(vec NaN)" ;;
			4) answer "200 OK" '{"status":"success","data":{"resultType":"vector","result":[]}}' ;;
			5) (sleep 4; printf 'HTTP/1.1 200 OK\r\n\r\n') | nc -l -p $PORT > /dev/null 2>&1 ;;
			esac
			i=$((i + 1)) ;;
		esac
	done
}
rm -f /tmp/prom.stop
echo faults > /tmp/prom.mode
fakeprom &
fake=$!

cat > /tmp/agent3.yaml <<YAML
policy:
  interval: 1s
prometheus:
  endpoint: "http://127.0.0.1:$PORT"
  query_timeout: 2s
  use_for_iops: true
  iops_query: 'sum(rate(io_total{volume="\$volume"}[1m]))'
tiers:
  hot:
    iops_threshold: 2
  warm:
    iops_threshold: 1
  cold:
    iops_threshold: 0
agent:
  metrics_address: "127.0.0.1:8080"
  health_address: "127.0.0.1:8081"
YAML
mkdir -p /tmp/cs-state3
couchestord agent --node-name=vm --config=/tmp/agent3.yaml --state-dir=/tmp/cs-state3 > /tmp/agent3.log 2>&1 &
agent=$!
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$agent/status; }
# probe <seconds>: /healthz once a second; counts the answers in $up.
probe() {
	n=0
	while [ $n -lt "$1" ]; do
		sleep 1
		probes=$((probes + 1))
		timeout 2 wget -qO- http://127.0.0.1:8081/healthz > /dev/null 2>&1 && up=$((up + 1))
		n=$((n + 1))
	done
}
probes=0; up=0
probe 10
c0=$(agent_cycles)

# Down: the agent says so in /readyz and the log, and goes on with heat.
echo down > /tmp/prom.mode
pkill -f "nc -l -p $PORT" 2>/dev/null
probe 8
timeout 2 wget -qO- http://127.0.0.1:8081/readyz > /tmp/ready3.out 2>/dev/null
grep -q "^ok; degraded: prometheus unreachable, using kernel heat" /tmp/ready3.out
ok $? "Prometheus down: /readyz says degraded ($(cat /tmp/ready3.out))"
grep -q 'msg="prometheus unreachable: using kernel heat alone"' /tmp/agent3.log
ok $? "and the log says so"
grep -q 'prometheus unreachable' /tmp/agent3.log || { diag /tmp/agent3.log; wget -qO- http://127.0.0.1:8080/metrics | grep -i prom | diag; }

# Back: ready again, and the log says so.
echo good > /tmp/prom.mode
probe 6
timeout 2 wget -qO- http://127.0.0.1:8081/readyz > /tmp/ready3.out 2>/dev/null
is "$(cat /tmp/ready3.out)" "ok" "Prometheus back: /readyz is plain ok again"
grep -q 'msg="prometheus reachable again"' /tmp/agent3.log
ok $? "and the log says it is back"

# Then every fault in turn for the rest of the minute.  Memory is
# measured from here: every path (and libcurl's lazy setup) has run once.
echo faults > /tmp/prom.mode
probe 5
r0=$(rss); m0=$(agent_cycles)
probe 35
c1=$(agent_cycles); r1=$(rss)
kill -0 $agent 2>/dev/null
ok $? "the agent is still running after $((c1)) cycles"
is "$up" "$probes" "/healthz answered every probe ($up of $probes)"
[ -n "$c0" ] && [ -n "$c1" ] && [ $((c1 - c0)) -ge 45 ]
ok $? "it planned every second: $c0 then $c1 cycles"
echo "# agent RSS: $r0 kB after $m0 cycles, $r1 kB after $c1"
[ -n "$r0" ] && [ -n "$r1" ] && [ $((r1 - r0)) -le 256 ]
ok $? "memory flat over $((c1 - m0)) cycles of faults: $r0 kB then $r1 kB"
grep -q 'level=error\|Segmentation\|Aborted' /tmp/agent3.log && diag /tmp/agent3.log
[ "$(grep -c 'prometheus unreachable' /tmp/agent3.log)" -le "$(( (c1 - c0) / 2 ))" ]
ok $? "the log does not repeat the same warning every cycle ($(grep -c 'prometheus unreachable' /tmp/agent3.log) times)"

stop_agent $agent
touch /tmp/prom.stop
pkill -f "nc -l -p $PORT" 2>/dev/null
kill $fake 2>/dev/null
wait $fake 2>/dev/null
check "data intact" pattern verify $DEV 0 2560 87
check "remove" dmsetup remove $VOL
done_testing
