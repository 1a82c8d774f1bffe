#!/usr/bin/env bash
# Aggregate and funnel latency over HTTP on the 2,000,000-event data set (bench/dataset.h), warm
# cache, next to baselines measured in the same run: GET /healthz (HTTP alone) and the first page
# of GET /v1/events (the plain list query). For each query: RUNS runs of SECONDS_EACH seconds with
# wrk (1 thread, CONNS connections), the median of the runs' p50 latencies and request rates; then
# the server-side figures of bench/aggregate_bench (medians of 5).
#
# usage: bench/aggregates.sh   (BENCH_DATA=/tmp/eventsd-bench-queries RUNS=3 SECONDS_EACH=5 CONNS=1)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

RUNS=${RUNS:-3}
SECONDS_EACH=${SECONDS_EACH:-5}
CONNS=${CONNS:-1}
DATA=${BENCH_DATA:-/tmp/eventsd-bench-queries}

tools/setup.sh
need_wrk
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target eventsd eventctl make_dataset aggregate_bench >/dev/null

now=$(build/bench/make_dataset "$DATA")
token=$(build/tools/eventctl token create --data "$DATA" --tenant big --scopes events:read)
serve "$DATA"


month_ago=$(iso $((now - 30 * 86400000)))
today=$(iso "$now")
# name|method|path|body
queries=(
  "healthz (HTTP alone)|GET|/healthz|"
  "list, first page (baseline)|GET|/v1/events|"
  "counters: by day|POST|/v1/aggregate|{\"group_by\":[\"day\"]}"
  "counters: by event|POST|/v1/aggregate|{\"group_by\":[\"event\"]}"
  "counters: by domain|POST|/v1/aggregate|{\"group_by\":[\"domain\"]}"
  "counters: day x event|POST|/v1/aggregate|{\"group_by\":[\"day\",\"event\"]}"
  "scan: day x event, Berlin|POST|/v1/aggregate|{\"group_by\":[\"day\",\"event\"],\"time_zone\":\"Europe/Berlin\"}"
  "scan: + unique_contacts|POST|/v1/aggregate|{\"group_by\":[\"day\",\"event\"],\"metrics\":[\"count\",\"unique_contacts\"]}"
  "log: by data.title|POST|/v1/aggregate|{\"group_by\":[\"data.title\"]}"
  "funnel: 3 steps, 30 days|POST|/v1/aggregate/funnel|{\"steps\":[{\"event\":\"page_view\"},{\"event\":\"form_submit\"},{\"event\":\"email_click\"}],\"window_seconds\":604800,\"filters\":{\"date_after\":\"$month_ago\",\"date_before\":\"$today\"}}"
)

printf "%-30s %12s %12s\n" query "p50 ms" "requests/s"
for q in "${queries[@]}"; do
  IFS='|' read -r name method path body <<<"$q"
  lat=() rps=()
  tok=$token; [[ $name == healthz* ]] && tok=
  script=bench/wrk/get.lua; [[ $method == POST ]] && script=bench/wrk/post.lua
  for _ in $(seq "$RUNS"); do
    r=$(EVENTSD_TOKEN=$tok QUERY_PATH=$path QUERY_BODY=$body wrk -t1 -c"$CONNS" -d"${SECONDS_EACH}s" --latency \
        -s "$script" "http://127.0.0.1:$port")
    lat+=("$(awk '$1=="50%" {print $2}' <<<"$r" | to_ms)")
    rps+=("$(awk '/^Requests\/sec/ {print $2}' <<<"$r")")
  done
  printf "%-30s %12s %12.1f\n" "$name" "$(printf '%s\n' "${lat[@]}" | median)" "$(printf '%s\n' "${rps[@]}" | median)"
done

kill $server_pid; wait $server_pid 2>/dev/null || true
echo
echo "server side (bench/aggregate_bench, medians of 5):"
BENCH_DATA=$DATA build/bench/aggregate_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  2>/dev/null | awk '/_median/ {printf "  %-46s %10s %s  %10s %s\n", $1, $2, $3, $4, $5}'
