#!/usr/bin/env bash
# Aggregate and funnel latency over HTTP on the 2,000,000-event data set (bench/dataset.h), warm
# cache, next to baselines measured in the same run: GET /healthz (HTTP alone) and the first page
# of GET /v1/events (the plain list query). For each query: RUNS runs of SECONDS_EACH seconds with
# wrk (1 thread, CONNS connections), the median of the runs' p50 latencies and request rates; then
# the server-side figures of bench/aggregate_bench (medians of 5).
#
# usage: bench/aggregates.sh   (BENCH_DATA=/tmp/eventsd-bench-queries RUNS=3 SECONDS_EACH=5 CONNS=1)
source "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-3}
SECONDS_EACH=${SECONDS_EACH:-5}
CONNS=${CONNS:-1}
serve_dataset aggregate_bench

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
  tok=$token; [[ $name == healthz* ]] && tok=
  medians=$(EVENTSD_TOKEN=$tok QUERY_METHOD=$method QUERY_PATH=$path QUERY_BODY=$body query_medians)
  read -r p50 rps <<<"$medians"
  printf "%-30s %12s %12.1f\n" "$name" "$p50" "$rps"
done

stop_server
echo
echo "server side (bench/aggregate_bench, medians of 5):"
BENCH_DATA=$DATA build/bench/aggregate_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  2>/dev/null | awk '/_median/ {printf "  %-46s %10s %s  %10s %s\n", $1, $2, $3, $4, $5}'
