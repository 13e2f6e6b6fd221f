#!/bin/bash
# make bench: runs tools/bench/bench-guest.sh in a VM on the stock Debian
# kernel and writes build/bench/results.json and a table.  Every result
# names its baseline, measured in the same boot; build/bench/results.png
# charts the ratios.
. "$(dirname "$0")/../vm/vm.sh"
out=$top/build/bench
mkdir -p "$out"
vm_prepare || exit 1
vm_disks
vm_boot "$out/bench.log" "bench.sh" 1200 > /dev/null
grep -a '^BENCH ' "$out/bench.log" | sed 's/^BENCH //' > "$out/results.jsonl"
grep -a '^# runs' "$out/bench.log"
{
	echo "["
	sed '$!s/$/,/' "$out/results.jsonl"
	echo "]"
} > "$out/results.json"
echo "date: $(date -u +%F), kernel: $KVER (qemu TCG, 2 vCPUs), command: make bench"
printf '%-40s %12s  %-48s %10s %7s\n' measure value baseline "baseline" ratio
python3 - "$out/results.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "error" in r:
        print(f"{r['measure']:<40} FAILED: {r['error']}")
        continue
    print(f"{r['measure']:<40} {r['value']:>8} {r['unit']:<4} {r.get('baseline',''):<48} "
          f"{r.get('baseline_value', ''):>10} {r.get('ratio', '') if r.get('ratio') is not None else '':>7}")
PY
# The chart: each ratio against its baseline (1.0 = as fast as the baseline).
python3 - "$out/results.jsonl" > "$out/ratios.dat" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("ratio") is not None and "error" not in r:
        print(f'"{r["measure"]}" {r["ratio"]}')
PY
gnuplot <<GP && echo "chart: $out/results.png"
set terminal png size 1100,720 noenhanced
set output "$out/results.png"
set bmargin 16
set rmargin 12
set title "make bench $(date -u +%F), $KVER (qemu TCG): value / baseline"
set style fill solid 0.6
set boxwidth 0.7
set yrange [0:*]
set xtics rotate by -30 font ",8"
set grid ytics
unset key
plot "$out/ratios.dat" using 0:2:xtic(1) with boxes, 1 with lines dt 2
GP
n=$(wc -l < "$out/results.jsonl")
[ "$n" -ge 4 ] && ! grep -q '"error"' "$out/results.jsonl"
