#!/usr/bin/env bash
# Durable-ingest benchmark (fsync on). Prints, as medians over RUNS runs of SECONDS_EACH each:
#   (a) batches of 100 events over 8 connections, (b) single events over 64 connections,
# for each workload ("sessions", "sessions+rules": two velocity rules and a metadata rule active,
# "uniform": every event on its own contact), with median and 99th-percentile latency, next to
# baselines measured in the same run:
#   - the disk's fdatasync latency (bench/fsync_probe) and the write path without HTTP
#     (bench/writer_bench);
#   - with --baseline REV: the same scenarios against eventsd built from git revision REV by this
#     script (runs interleaved with this tree's, so both see the same disk and neighbours);
#   - with --postgres: PostgreSQL 15 (Debian's, started by this script in a temporary cluster,
#     fsync and synchronous_commit on) taking the same events as rows of a table with the indexes
#     the read side needs, through pgbench with 8 clients (batches of 100) and 64 (single rows).
#
# usage: bench/ingest.sh [--baseline REV] [--postgres]
#        (RUNS=3 SECONDS_EACH=10 WORKLOADS="sessions sessions+rules uniform"
#        SCENARIOS="100x8 1x64": batch size x connections; BASELINE_BUILD=DIR
#        keeps the baseline's build there, reused when it is already of REV)
source "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-3}
SECONDS_EACH=${SECONDS_EACH:-10}
WORKLOADS=${WORKLOADS:-"sessions sessions+rules uniform"}
SCENARIOS=${SCENARIOS:-"100x8 1x64"}
BASELINE=
POSTGRES=
while (($#)); do
  case $1 in
    --baseline) BASELINE=$2; shift 2 ;;
    --postgres) POSTGRES=1; shift ;;
    *) echo "usage: $0 [--baseline REV] [--postgres]" >&2; exit 2 ;;
  esac
done
RULES='{"rules":[
  {"kind":"velocity","max_events":20,"window_seconds":60,"keep_first":true},
  {"kind":"velocity","max_events":10,"window_seconds":60,"event":"page_view"},
  {"kind":"metadata","key":"user_agent","contains":"bot"}]}'

tools/setup.sh
sudo=(); [[ $(id -u) -ne 0 ]] && sudo=(sudo)
need=(wrk)
[[ -n $POSTGRES ]] && need+=(postgresql-15 postgresql-contrib)
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "$p" >/dev/null
done
build_release eventsd eventctl fsync_probe writer_bench

work=$(mktemp -d)
server_pid=
pg_bin=/usr/lib/postgresql/15/bin
cleanup() {
  local rc=$?
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [[ -n $POSTGRES && -d $work/pg ]] && "${run_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1
  [[ -n $BASELINE ]] && git worktree remove --force "$work/baseline-src" >/dev/null 2>&1
  rm -rf "$work"
  return "$rc"
}
trap cleanup EXIT

# The baseline: REV built by this script, from a worktree of this repository.
declare -A bin_eventsd=([current]=build/eventsd/eventsd) bin_eventctl=([current]=build/tools/eventctl)
variants=(current)
if [[ -n $BASELINE ]]; then
  base_build=${BASELINE_BUILD:-$work/baseline-build}
  rev=$(git rev-parse "$BASELINE")
  if [[ $(cat "$base_build/.bench-revision" 2>/dev/null) != "$rev" ]]; then
    git worktree add --detach "$work/baseline-src" "$rev" >/dev/null 2>&1
    rm -rf "$base_build"
    cmake -S "$work/baseline-src" -B "$base_build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
          -DEVENTSD_BUILD_TESTS=OFF -DEVENTSD_BUILD_BENCH=OFF >/dev/null
    cmake --build "$base_build" --target eventsd eventctl >/dev/null
    echo "$rev" >"$base_build/.bench-revision"
  fi
  # (eventsd's main moved from http/ to eventsd/: a baseline of either layout)
  bin_eventsd[baseline]=$base_build/eventsd/eventsd
  [[ -x ${bin_eventsd[baseline]} ]] || bin_eventsd[baseline]=$base_build/http/eventsd
  bin_eventctl[baseline]=$base_build/tools/eventctl
  variants+=(baseline)
  echo "baseline: $(git rev-parse --short "$BASELINE") ($(git log -1 --format=%s "$BASELINE" | cut -c1-70))"
fi


echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
build/bench/fsync_probe "$work" | sed 's/^/baseline /'
build/bench/writer_bench --benchmark_repetitions="$RUNS" --benchmark_report_aggregates_only=true \
  2>/dev/null | awk '/_median/ {for (i=1;i<=NF;i++) if ($i ~ /^events\/s=/) print "baseline in-process", $1, $i}'

start_server() { # $1: variant
  rm -rf "$work/data"
  # (--create: a data directory is made only when asked; versions before it made one always)
  token=$("${bin_eventctl[$1]}" token create --data "$work/data" --tenant bench --scopes events:write,admin --create 2>/dev/null ||
          "${bin_eventctl[$1]}" token create --data "$work/data" --tenant bench --scopes events:write,admin)
  start_eventsd "${bin_eventsd[$1]}" "$work/data" "$work/eventsd"
}

# One measured run: prints "requests/s p50_ms p99_ms".
wrk_run() { # $1 workload, $2 batch, $3 connections, $4 seconds
  local out
  out=$(EVENTSD_TOKEN=$token BATCH_SIZE=$2 WORKLOAD=${1%+rules} \
        wrk -t1 -c"$3" -d"$4s" --latency -s bench/wrk/ingest.lua "http://127.0.0.1:$port" 2>&1)
  echo "$(awk '/^Requests\/sec/ {print $2}' <<<"$out") $(awk '$1=="50%" {print $2}' <<<"$out" | to_ms) $(awk '$1=="99%" {print $2}' <<<"$out" | to_ms)"
}

printf "\n%-15s %-22s %-9s %12s %12s %9s %9s\n" workload scenario variant "requests/s" "events/s" "p50 ms" "p99 ms"
for workload in $WORKLOADS; do
  for scenario in $SCENARIOS; do
    batch=${scenario%x*} conns=${scenario#*x}
    declare -A rps=() p50=() p99=()
    for run in $(seq "$RUNS"); do
      for v in "${variants[@]}"; do
        # A fresh store per run and variant, warmed for 2 s, then measured.
        start_server "$v"
        [[ $workload == *+rules ]] && curl -sf -X PUT "http://127.0.0.1:$port/v1/suppression/rules" \
          -H "Authorization: Bearer $token" -d "$RULES" >/dev/null
        wrk_run "$workload" "$batch" "$conns" 2 >/dev/null
        read -r r l50 l99 < <(wrk_run "$workload" "$batch" "$conns" "$SECONDS_EACH")
        stop_server
        rps[$v]+="$r "; p50[$v]+="$l50 "; p99[$v]+="$l99 "
      done
    done
    for v in "${variants[@]}"; do
      r=$(tr ' ' '\n' <<<"${rps[$v]}" | grep . | median)
      printf "%-15s %-22s %-9s %12.0f %12.0f %9s %9s\n" "$workload" "batch=$batch conns=$conns" "$v" "$r" \
        "$(awk -v r="$r" -v b="$batch" 'BEGIN {print r*b}')" \
        "$(tr ' ' '\n' <<<"${p50[$v]}" | grep . | median)" "$(tr ' ' '\n' <<<"${p99[$v]}" | grep . | median)"
      [[ $v == current ]] && cur=$r
    done
    if [[ -n $BASELINE ]]; then
      b=$(tr ' ' '\n' <<<"${rps[baseline]}" | grep . | median)
      printf "%-15s %-22s %-9s %12s\n" "$workload" "batch=$batch conns=$conns" "ratio" "$(awk -v c="$cur" -v b="$b" 'BEGIN {printf "%.2fx", c/b}')"
    fi
    unset rps p50 p99
  done
done

# PostgreSQL 15: the same events as rows, durable (fsync, synchronous_commit), with the indexes the
# read side needs; pgbench sends the same kinds of requests (a multi-row INSERT of 100 events, or
# one row), on a fresh table per run.
if [[ -n $POSTGRES ]]; then
  run_pg=(); [[ $(id -u) -eq 0 ]] && run_pg=(runuser -u postgres --)
  mkdir -p "$work/pg" "$work/pgsock" && chmod 777 "$work" "$work/pgsock"
  [[ $(id -u) -eq 0 ]] && chown postgres "$work/pg" "$work/pgsock"
  "${run_pg[@]}" "$pg_bin/initdb" -D "$work/pg" -A trust -U bench >/dev/null
  "${run_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w \
    -o "-k $work/pgsock -c listen_addresses='' -c fsync=on -c synchronous_commit=on -c max_connections=100 -c shared_buffers=512MB" start >/dev/null
  psql=("${run_pg[@]}" psql -h "$work/pgsock" -U bench -d postgres -q)
  pgbench=("${run_pg[@]}" "$pg_bin/pgbench" -h "$work/pgsock" -U bench -n)
  schema="DROP TABLE IF EXISTS events;
    CREATE TABLE events (id text PRIMARY KEY, tenant text NOT NULL, event text NOT NULL,
      contact_id text, ts timestamptz NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
      url text, domain text, data jsonb NOT NULL);
    CREATE INDEX ON events (tenant, ts); CREATE INDEX ON events (tenant, event, ts);
    CREATE INDEX ON events (tenant, contact_id, ts); CREATE INDEX ON events (tenant, domain, ts);"
  # One event as a row: the sessions mix (visits of 10 events, 40% anonymous, 100,000 contacts).
  row() { # $1: index in the batch
    echo "(gen_random_uuid()::text, 'bench', (array['page_view','page_view','page_view','email_open','form_submit','button_click','video_play','email_click'])[1 + (:n + $1) % 8],
      CASE WHEN :anon$(( $1 / 10 )) < 4 THEN NULL ELSE 'ct_' || :c$(( $1 / 10 )) END, now(),
      'https://site' || ((:n + $1) % 20) || '.example.com/p/' || ((:n + $1) % 500), 'site' || ((:n + $1) % 20) || '.example.com',
      ('{\"n\":' || (:n + $1) || ',\"title\":\"Page ' || ((:n + $1) % 500) || '\"}')::jsonb)"
  }
  for batch in 100 1; do
    {
      echo '\set n random(1, 1000000)'
      for v in $(seq 0 $(( (batch + 9) / 10 - 1 ))); do
        echo "\\set anon$v random(0, 9)"; echo "\\set c$v random(1, 100000)"
      done
      echo "INSERT INTO events (id, tenant, event, contact_id, ts, url, domain, data) VALUES"
      for i in $(seq 0 $((batch - 1))); do row "$i"; [[ $i -lt $((batch - 1)) ]] && echo ","; done
      echo ";"
    } >"$work/insert-$batch.sql"
  done
  chmod 644 "$work"/insert-*.sql
  printf "\n%-15s %-22s %-9s %12s %12s %9s\n" workload scenario variant "requests/s" "events/s" "avg ms"
  for scenario in $SCENARIOS; do
    batch=${scenario%x*} conns=${scenario#*x}
    tps=() lat=()
    for _ in $(seq "$RUNS"); do
      "${psql[@]}" -c "$schema" >/dev/null 2>&1
      out=$("${pgbench[@]}" -c "$conns" -j 2 -T "$SECONDS_EACH" -f "$work/insert-$batch.sql" postgres 2>&1)
      tps+=("$(awk '/^tps/ {print $3}' <<<"$out")")
      lat+=("$(awk '/^latency average/ {print $4}' <<<"$out")")
    done
    t=$(printf '%s\n' "${tps[@]}" | median)
    printf "%-15s %-22s %-9s %12.0f %12.0f %9s\n" sessions "batch=$batch conns=$conns" postgres15 "$t" \
      "$(awk -v r="$t" -v b="$batch" 'BEGIN {print r*b}')" "$(printf '%s\n' "${lat[@]}" | median)"
  done
fi
