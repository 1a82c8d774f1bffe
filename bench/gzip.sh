#!/usr/bin/env bash
# gzip benchmark: the cost and the gain of compression, as ratios against identity measured in
# the same run.
#   (a) export of EVENTS events (JSON lines and CSV) with and without Accept-Encoding: gzip:
#       seconds until the last byte, and bytes on the wire (curl, not decompressing: the time is
#       the server's);
#   (b) ingest of batches of 100 events sent as JSON and as Content-Encoding: gzip (wrk, 8
#       connections): requests/s.
# Prints medians over RUNS runs.
#
# usage: bench/gzip.sh            (RUNS=5 EVENTS=100000 SECONDS_EACH=10)
source "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-5}
EVENTS=${EVENTS:-100000}
SECONDS_EACH=${SECONDS_EACH:-10}

tools/setup.sh
build_release eventsd eventctl
need_wrk

work=$(mktemp -d)
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT


start_server() {
  rm -rf "$work/data"
  token=$(build/tools/eventctl token create --data "$work/data" --tenant bench --scopes events:read,events:write --create)
  start_eventsd build/eventsd/eventsd "$work/data" "$work/eventsd"
}

# A batch of 100 events like a tracker's (visits of 10 events, URLs, data).
make_batch() {
  python3 - "$1" <<'PY'
import json, sys
seed = int(sys.argv[1])
events = []
for i in range(100):
    n = seed * 100 + i
    events.append({"event": ["page_view", "page_view", "email_open", "form_submit"][n % 4],
                   "contact_id": f"ct_{(n // 10) % 5000}", "session_id": f"s_{n // 10}",
                   "url": f"https://site{n % 20}.example.com/p/{n % 500}?utm_source=news",
                   "data": {"n": n, "title": f"Page {n % 500}", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)"}})
print(json.dumps({"batch": events}))
PY
}

echo "== loading $EVENTS events"
start_server
for ((b = 0; b < EVENTS / 100; b++)); do make_batch "$b"; done >"$work/batches"
python3 - "$port" "$token" "$work/batches" <<'PY'
import http.client, sys
port, token, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port)
for line in open(path):
    c.request("POST", "/v1/events", line.strip(), {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    assert r.status == 201, r.status
PY

export_run() {  # format, accept-encoding -> "seconds bytes"
  curl -s -o /dev/null -w '%{time_total} %{size_download}\n' -H "Authorization: Bearer $token" \
       ${2:+-H "Accept-Encoding: $2"} "http://127.0.0.1:$port/v1/events/export?format=$1"
}
for format in jsonl csv; do
  export_run "$format" >/dev/null  # warm the page cache
  : >"$work/id" && : >"$work/gz"
  for ((r = 0; r < RUNS; r++)); do
    export_run "$format" "" >>"$work/id"
    export_run "$format" gzip >>"$work/gz"
  done
  id_s=$(cut -d' ' -f1 "$work/id" | median); gz_s=$(cut -d' ' -f1 "$work/gz" | median)
  id_b=$(cut -d' ' -f2 "$work/id" | median); gz_b=$(cut -d' ' -f2 "$work/gz" | median)
  awk -v f="$format" -v is="$id_s" -v gs="$gz_s" -v ib="$id_b" -v gb="$gz_b" 'BEGIN {
    printf "export %-5s identity %.3f s %.1f MB | gzip %.3f s %.1f MB | time x%.2f, bytes x%.3f (%.1f:1)\n",
           f, is, ib / 1e6, gs, gb / 1e6, gs / is, gb / ib, ib / gb }'
done
stop_server

echo "== ingest, batches of 100 events, 8 connections, ${SECONDS_EACH}s x $RUNS"
make_batch 7 >"$work/body.json"
python3 -c "import gzip,sys; sys.stdout.buffer.write(gzip.compress(open(sys.argv[1],'rb').read()))" \
  "$work/body.json" >"$work/body.json.gz"
printf 'body: %d bytes as JSON, %d gzip-compressed\n' "$(stat -c %s "$work/body.json")" "$(stat -c %s "$work/body.json.gz")"
: >"$work/ing_id" && : >"$work/ing_gz"
for ((r = 0; r < RUNS; r++)); do
  start_server
  for enc in id gz; do
    file=$work/body.json coding=
    [[ $enc == gz ]] && file=$work/body.json.gz coding=gzip
    EVENTSD_TOKEN=$token BODY_FILE=$file CONTENT_ENCODING=$coding \
      wrk -t1 -c8 -d"${SECONDS_EACH}s" -s bench/wrk/body_file.lua "http://127.0.0.1:$port" |
      awk '/Requests\/sec/ {print $2}' >>"$work/ing_$enc"
  done
  stop_server
done
id_r=$(median <"$work/ing_id"); gz_r=$(median <"$work/ing_gz")
awk -v i="$id_r" -v g="$gz_r" 'BEGIN { printf "ingest identity %.0f req/s | gzip %.0f req/s | x%.2f\n", i, g, g / i }'
