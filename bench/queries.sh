#!/usr/bin/env bash
# Query latency over HTTP on the 2,000,000-event data set (bench/dataset.h), warm cache.
# For each query: RUNS runs of SECONDS_EACH seconds with wrk (1 thread, CONNS connections), the
# median of the runs' p50 latencies and of their request rates, next to GET /healthz measured in
# the same run (the cost of HTTP alone) — and the server-side figures of bench/query_bench.
#
# usage: bench/queries.sh        (BENCH_DATA=/tmp/eventsd-bench-queries RUNS=3 SECONDS_EACH=5 CONNS=4)
source "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-3}
SECONDS_EACH=${SECONDS_EACH:-5}
CONNS=${CONNS:-4}
serve_dataset query_bench

week_ago=$(iso $((now - 7 * 86400000)))
queries=(
  "healthz (baseline)|/healthz"
  "first page|/v1/events"
  "page 50|/v1/events?page=50"
  "type filter|/v1/events?event_type=form_submit"
  "contact filter|/v1/events?contact_id=ct_4242"
  "domain + 7 days|/v1/events?domain=site7.example.com&date_after=$week_ago"
  "count_only + type|/v1/events?count_only=true&event_type=page_view"
  "stats|/v1/events/stats"
  "types|/v1/events/types"
  "cursor page|/v1/events?cursor=__CURSOR__"
)
cursor=$(curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/events?page=1" |
         sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p')

printf "%-20s %12s %12s\n" query "p50 ms" "requests/s"
for q in "${queries[@]}"; do
  name=${q%%|*}
  path=${q#*|}
  path=${path/__CURSOR__/$cursor}
  tok=$token; [[ $name == healthz* ]] && tok=
  medians=$(EVENTSD_TOKEN=$tok QUERY_PATH=$path query_medians)
  read -r p50 rps <<<"$medians"
  printf "%-20s %12s %12.0f\n" "$name" "$p50" "$rps"
done

stop_server
echo
echo "server side (bench/query_bench, medians of 5):"
BENCH_DATA=$DATA build/bench/query_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  2>/dev/null | awk '/_median/ {printf "  %-28s %10s %s\n", $1, $2, $3}'
