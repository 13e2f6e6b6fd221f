#!/bin/bash
# make bench: runs tools/bench/bench-guest.sh in a VM on the stock Debian
# kernel and writes build/bench/results.json and a table.  Every result
# names its baseline, measured in the same boot; build/bench/results.png
# charts the ratios.
. "$(dirname "$0")/../vm/vm.sh"
out=$top/build/bench
mkdir -p "$out"
# tools/bench/run.sh [SECTION...]: only those sections of bench-guest.sh.
VM_MEM=3072
vm_prepare || exit 1
vm_disks
# The 1 GiB migration needs two disks of more than that (sparse files).
truncate -s 1200M "$BUILD/disk1.img" "$BUILD/disk2.img"
sections=$(IFS=,; echo "$*")
vm_boot "$out/bench.log" "bench.sh${sections:+,$sections}" 1200 > /dev/null
grep -a '^BENCH ' "$out/bench.log" | sed 's/^BENCH //' > "$out/results.jsonl"
# On the host: the controller over 10,000 PVCs in the API server double.
if [ -z "$sections" ] || echo ",$sections," | grep -q ',kube,'; then
	"$top/tools/bench/kube-scale.sh" > "$out/kube-scale.log" 2>&1
	grep '^#' "$out/kube-scale.log"
	grep -a '^BENCH ' "$out/kube-scale.log" | sed 's/^BENCH //' >> "$out/results.jsonl"
fi
grep -a '^# runs' "$out/bench.log"
{
	echo "["
	sed '$!s/$/,/' "$out/results.jsonl"
	echo "]"
} > "$out/results.json"
echo "date: $(date -u +%F), kernel: $KVER (qemu TCG, 2 vCPUs), command: make bench"
printf '%-52s %14s  %-52s %10s %7s  %s\n' measure value baseline "" ratio target
python3 - "$out/results.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "error" in r:
        print(f"{r['measure']:<52} FAILED: {r['error']}")
        continue
    target = ""
    if "target" in r:
        target = f"{r['target']} {'met' if r['met'] else 'NOT MET'}"
    print(f"{r['measure']:<52} {r['value']:>8} {r['unit']:<5} {r.get('baseline',''):<52} "
          f"{r.get('baseline_value', ''):>10} {r.get('ratio', '') if r.get('ratio') is not None else '':>7}  {target}")
PY
# The chart: each ratio against its baseline (1.0 = as fast as the baseline).
python3 - "$out/results.jsonl" > "$out/ratios.dat" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("ratio") is not None and "error" not in r:
        print(f'"{r["measure"]}" {r["ratio"]}')
PY
# Log scale: the ratios run from 0.003 (tiering against all-fast) to 10
# (latency under migration); 1 is the baseline.
gnuplot <<GP && echo "chart: $out/results.png"
set terminal png size 1400,800 noenhanced
set output "$out/results.png"
set bmargin 20
set rmargin 30
set title "make bench $(date -u +%F), $KVER (qemu TCG): value / baseline (log scale; 1 = the baseline)"
set style fill solid 0.6
set boxwidth 0.7
set logscale y
set yrange [0.001:20]
set xtics rotate by -35 font ",8"
set grid ytics
unset key
plot "$out/ratios.dat" using 0:2:xtic(1) with boxes, 1 with lines dt 2
GP
n=$(wc -l < "$out/results.jsonl")
[ "$n" -ge 4 ] && ! grep -q '"error"' "$out/results.jsonl"
