#!/usr/bin/env bash
# The server's CPU time per ingest request: eventsd on a fresh data directory, wrk with
# bench/wrk/ingest.lua (sessions mix) for a warm-up of 2 s and then SECONDS, and the process's
# user+system time (/proc/PID/stat) over the measured part, divided by the requests answered.
# On a shared machine this is steadier than requests/s: it does not count the time the server
# waited for a core.
#
# usage: bench/cpu_per_request.sh EVENTSD EVENTCTL SECONDS CONNECTIONS BATCH
#        e.g. bench/cpu_per_request.sh build/eventsd/eventsd build/tools/eventctl 5 64 1
source "$(dirname "$0")/lib.sh"
(($# == 5)) || { sed -n '2,9p' "$0"; exit 2; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
tok=$($2 token create --data $d/data --tenant bench --scopes events:write,admin --create 2>/dev/null || $2 token create --data $d/data --tenant bench --scopes events:write,admin)
start_eventsd "$1" "$d/data" "$d/eventsd"
EVENTSD_TOKEN=$tok BATCH_SIZE=$5 WORKLOAD=sessions wrk -t1 -c$4 -d2s -s bench/wrk/ingest.lua http://127.0.0.1:$port >/dev/null 2>&1
t0=$(awk '{print $14+$15}' /proc/$server_pid/stat)
out=$(EVENTSD_TOKEN=$tok BATCH_SIZE=$5 WORKLOAD=sessions wrk -t1 -c$4 -d${3}s -s bench/wrk/ingest.lua http://127.0.0.1:$port 2>&1)
t1=$(awk '{print $14+$15}' /proc/$server_pid/stat)
reqs=$(awk '/requests in/ {print $1}' <<<"$out")
rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
hz=$(getconf CLK_TCK)
echo "rps=$rps cpu_us_per_req=$(awk -v a=$t0 -v b=$t1 -v r=$reqs -v hz=$hz 'BEGIN{printf "%.0f", (b-a)/hz*1e6/r}')"
stop_server
