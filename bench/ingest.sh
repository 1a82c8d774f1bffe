#!/usr/bin/env bash
# Durable-ingest benchmark (fsync on). Prints, as medians over RUNS runs of SECONDS each:
#   (a) batches of 100 events over 8 connections, (b) single events over 64 connections,
# for the "sessions" workload, the same with suppression rules active ("sessions+rules": two
# velocity rules and a metadata rule), and the "uniform" worst case,
# with median latency, next to two baselines measured in the same run: the disk's fdatasync
# latency (bench/fsync_probe) and the write path without HTTP (bench/writer_bench).
#
# usage: bench/ingest.sh            (RUNS=3 SECONDS_EACH=10 WORKLOADS="sessions sessions+rules uniform")
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
SECONDS_EACH=${SECONDS_EACH:-10}
WORKLOADS=${WORKLOADS:-"sessions sessions+rules uniform"}
RULES='{"rules":[
  {"kind":"velocity","max_events":20,"window_seconds":60,"keep_first":true},
  {"kind":"velocity","max_events":10,"window_seconds":60,"event":"page_view"},
  {"kind":"metadata","key":"user_agent","contains":"bot"}]}'

tools/setup.sh
if ! command -v wrk >/dev/null; then
  sudo=(); [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  "${sudo[@]}" apt-get install -y -qq wrk
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target eventsd eventctl fsync_probe writer_bench >/dev/null

work=$(mktemp -d)
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
to_ms() { # wrk latency ("812.00us", "8.89ms", "1.20s") -> milliseconds
  awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)}
        else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f\n", v}'
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
build/bench/fsync_probe "$work" | sed 's/^/baseline /'
build/bench/writer_bench --benchmark_repetitions="$RUNS" --benchmark_report_aggregates_only=true \
  2>/dev/null | awk '/_median/ {for (i=1;i<=NF;i++) if ($i ~ /^events\/s=/) print "baseline in-process", $1, $i}'

start_server() {
  rm -rf "$work/data"
  token=$(build/tools/eventctl token create --data "$work/data" --tenant bench --scopes events:write,admin)
  build/http/eventsd --data "$work/data" --listen 127.0.0.1:0 >"$work/out" 2>"$work/err" &
  server_pid=$!
  for _ in $(seq 100); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.05; done
  port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$work/out")
}

printf "\n%-15s %-22s %14s %14s %12s\n" workload scenario "requests/s" "events/s" "p50 ms"
for workload in $WORKLOADS; do
  for scenario in "100 8" "1 64"; do
    read -r batch conns <<<"$scenario"
    start_server
    if [[ $workload == *+rules ]]; then
      curl -sf -X PUT "http://127.0.0.1:$port/v1/suppression/rules" -H "Authorization: Bearer $token" \
           -d "$RULES" >/dev/null
    fi
    rps=() lat=()
    # A short warm-up, then the measured runs against the same (growing) store.
    EVENTSD_TOKEN=$token BATCH_SIZE=$batch WORKLOAD=${workload%+rules} \
      wrk -t1 -c"$conns" -d2s -s bench/wrk/ingest.lua "http://127.0.0.1:$port" >/dev/null
    for _ in $(seq "$RUNS"); do
      out=$(EVENTSD_TOKEN=$token BATCH_SIZE=$batch WORKLOAD=${workload%+rules} \
            wrk -t1 -c"$conns" -d"${SECONDS_EACH}s" --latency -s bench/wrk/ingest.lua \
            "http://127.0.0.1:$port" 2>&1)
      rps+=("$(awk '/^Requests\/sec/ {print $2}' <<<"$out")")
      lat+=("$(awk '$1=="50%" {print $2}' <<<"$out" | to_ms)")
    done
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
    r=$(printf '%s\n' "${rps[@]}" | median)
    l=$(printf '%s\n' "${lat[@]}" | median)
    printf "%-15s %-22s %14.0f %14.0f %12s\n" "$workload" "batch=$batch conns=$conns" "$r" \
      "$(awk -v r="$r" -v b="$batch" 'BEGIN {print r*b}')" "$l"
  done
done
