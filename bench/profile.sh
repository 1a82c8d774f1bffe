#!/usr/bin/env bash
# Where the server's CPU goes under ingest: bench/cpu_per_request.sh's load (eventsd on a fresh
# data directory, wrk with bench/wrk/ingest.lua, sessions mix, 2 s of warm-up), with
# `perf record --call-graph dwarf` attached to the server for the measured SECONDS. Writes into
# OUT: perf.data, cpu.txt (the server's user+system time over the run per request and per event,
# counted while perf samples it: 3-20% above cpu_per_request.sh's), by_thread.txt (samples per
# thread), self.txt (self time by thread and symbol), children.txt (inclusive time by symbol) and
# stages.txt (the samples grouped by stage of the write path by bench/profile_stages.py, as in
# docs/performance.md, "Where the CPU of an ingested event goes").
#
# usage: bench/profile.sh EVENTSD EVENTCTL SECONDS CONNECTIONS BATCH OUT
#        e.g. bench/profile.sh build/eventsd/eventsd build/tools/eventctl 5 8 100 /tmp/prof-b100
# Kernel frames need root or kernel.perf_event_paranoid <= 1.
source "$(dirname "$0")/lib.sh"
(($# == 6)) || { sed -n '2,13p' "$0"; exit 2; }
out=$6
mkdir -p "$out"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
tok=$($2 token create --data $d/data --tenant bench --scopes events:write,admin --create 2>/dev/null || $2 token create --data $d/data --tenant bench --scopes events:write,admin)
start_eventsd "$1" "$d/data" "$d/eventsd"
conns=$4 batch=$5
load() { EVENTSD_TOKEN=$tok BATCH_SIZE=$batch WORKLOAD=sessions wrk -t1 -c$conns -d${1}s -s bench/wrk/ingest.lua http://127.0.0.1:$port 2>&1; }
load 2 >/dev/null
perf record -q -F 499 --call-graph dwarf,16384 -p "$server_pid" -o "$out/perf.data" 2>"$out/perf.err" &
perf_pid=$!
sleep 0.5
t0=$(awk '{print $14+$15}' /proc/$server_pid/stat)
res=$(load "$3")
t1=$(awk '{print $14+$15}' /proc/$server_pid/stat)
kill -INT $perf_pid
wait $perf_pid || true
stop_server
reqs=$(awk '/requests in/ {print $1}' <<<"$res")
awk -v a=$t0 -v b=$t1 -v r=$reqs -v n=$5 -v hz=$(getconf CLK_TCK) \
  'BEGIN{printf "requests=%d cpu_us_per_req=%.0f cpu_us_per_event=%.1f\n", r, (b-a)/hz*1e6/r, (b-a)/hz*1e6/r/n}' | tee "$out/cpu.txt"
report() { perf report -i "$out/perf.data" --stdio --percent-limit 0.3 "$@" 2>/dev/null | grep -v '^$'; }
report --no-children --sort comm -g none >"$out/by_thread.txt"
report --no-children --sort comm,sym -g none >"$out/self.txt"
report --children --sort sym -g none >"$out/children.txt"
perf script -i "$out/perf.data" -F comm,ip,sym 2>/dev/null | bench/profile_stages.py >"$out/stages.txt"
