#!/bin/bash
# make fuzz: builds the libFuzzer targets in fuzz/ with clang (ASan and
# UBSan too) and runs each for FUZZ_SECONDS (default 20) from its seed
# corpus.  TAP lines, one per target: "not ok" if it found a crash, a leak
# or a sanitizer report (the input is left in build/fuzz/).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
secs=${FUZZ_SECONDS:-20}
out=build/fuzz
mkdir -p "$out"
CC=${FUZZ_CC:-clang}
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -std=gnu11 -Iinclude -Iinclude/uapi -Ilib -Idaemon"
nl=$(pkg-config --cflags --libs libnl-3.0 libnl-genl-3.0 json-c)
declare -A src=(
	[config]="daemon/config.c daemon/cron.c daemon/duration.c $(pkg-config --cflags --libs yaml-0.1)"
	[prom]="daemon/promclient.c $(pkg-config --cflags --libs libcurl json-c)"
	[netlink]="$(ls lib/couche/*.c | grep -v /test_) daemon/kernel.c daemon/log.c $nl"
	[kube]="daemon/kube.c daemon/informer.c daemon/kobjects.c daemon/base64.c daemon/cron.c daemon/duration.c daemon/log.c $(pkg-config --cflags --libs libcurl json-c) -lpthread"
)
n=0
fail=0
for t in config prom netlink kube; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	if ! $CC $flags -o "$out/fuzz_$t" "fuzz/fuzz_$t.c" ${src[$t]} > "$out/$t.build.log" 2>&1; then
		echo "not ok $n - fuzz_$t builds"; sed 's/^/# /' "$out/$t.build.log" | tail -n 20
		fail=$((fail + 1)); continue
	fi
	rm -rf "$out/corpus-$t"
	mkdir -p "$out/corpus-$t"
	extra=""
	[ "$t" = config ] && extra=daemon/testdata
	# shellcheck disable=SC2086
	if (cd "$out" && ./fuzz_$t -max_total_time="$secs" -rss_limit_mb=1024 -max_len=16384 \
	      -artifact_prefix="$top/$out/crash-$t-" "corpus-$t" "$top/fuzz/seeds/$t" \
	      ${extra:+"$top/$extra"}) > "$out/$t.log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$out/$t.log" | tail -n 1)
		echo "ok $n - fuzz_$t: ${runs:-ran} in $secs s, no crash"
	else
		echo "not ok $n - fuzz_$t found a crash: see $out/$t.log and $out/crash-$t-*"
		grep -E 'ERROR|SUMMARY|runtime error' "$out/$t.log" | head -n 5 | sed 's/^/# /'
		fail=$((fail + 1))
	fi
done
echo "1..$n"
exit $((fail > 0))
