# What the benchmark scripts share (sourced, not run, as `source "$(dirname "$0")/lib.sh"`): strict
# mode and the repository's root as the working directory, building, installing wrk, the medians
# and unit conversions they report with, starting eventsd on a free port, and measuring one
# request with wrk.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The Release build (./build) of the targets named.
build_release() {
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build --target "$@" >/dev/null
}

# wrk from Debian's packages, when it is missing.
need_wrk() {
  command -v wrk >/dev/null && return
  local sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  "${sudo[@]}" apt-get install -y -qq wrk
}

# The median of the numbers on stdin, one per line.
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# wrk's latency ("812.00us", "8.89ms", "1.20s") in milliseconds.
to_ms() {
  awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)}
        else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.3f\n", v}'
}

# Milliseconds since the epoch as an ISO 8601 instant (seconds).
iso() { date -u -d "@$(( $1 / 1000 ))" +%Y-%m-%dT%H:%M:%SZ; }

# Starts the eventsd binary $1 on data directory $2 and a free port, its standard output and error
# in the files $3.out and $3.err; returns once it listens, with server_pid and port set, and ends
# the script when it does not start within a minute. The caller stops it (stop_server, or a trap).
start_eventsd() {
  "$1" --data "$2" --listen 127.0.0.1:0 >"$3.out" 2>"$3.err" &
  server_pid=$!
  for _ in $(seq 1200); do grep -q listening "$3.out" 2>/dev/null && break; sleep 0.05; done
  port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$3.out")
  [[ -n $port ]] || { echo "eventsd did not start on $2:" >&2; cat "$3.err" >&2; exit 1; }
}

# Stops the server start_eventsd started.
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=; }

# Starts build/eventsd/eventsd on data directory $1 and a free port; sets server_pid and port, and
# stops the server when the script exits.
serve() {
  local logs
  logs=$(mktemp -d)
  trap "kill \$server_pid 2>/dev/null; wait \$server_pid 2>/dev/null; rm -rf '$logs'" EXIT
  start_eventsd build/eventsd/eventsd "$1" "$logs/eventsd"
}

# What the query benchmarks measure on: runs tools/setup.sh, builds eventsd, eventctl, make_dataset and the server-side
# benchmark $1, makes the 2,000,000-event data set (bench/dataset.h) in DATA (BENCH_DATA, default
# /tmp/eventsd-bench-queries) unless it is there, and serves it. Sets DATA, now (the instant the
# set was built around, in milliseconds), token (events:read of tenant "big"), server_pid and port.
serve_dataset() {
  tools/setup.sh
  build_release eventsd eventctl make_dataset "$1"
  need_wrk
  DATA=${BENCH_DATA:-/tmp/eventsd-bench-queries}
  now=$(build/bench/make_dataset "$DATA")
  token=$(build/tools/eventctl token create --data "$DATA" --tenant big --scopes events:read)
  serve "$DATA"
}

# One request measured on the server at $port: RUNS runs of SECONDS_EACH seconds of wrk (1
# thread, CONNS connections) with bench/wrk/query.lua, which takes the request from the
# environment the caller passes (EVENTSD_TOKEN, QUERY_METHOD, QUERY_PATH, QUERY_BODY). Prints the
# median of the runs' p50 latencies in milliseconds and the median of their request rates.
query_medians() {
  local lat=() rps=() r
  for _ in $(seq "$RUNS"); do
    r=$(wrk -t1 -c"$CONNS" -d"${SECONDS_EACH}s" --latency -s bench/wrk/query.lua "http://127.0.0.1:$port")
    lat+=("$(awk '$1=="50%" {print $2}' <<<"$r" | to_ms)")
    rps+=("$(awk '/^Requests\/sec/ {print $2}' <<<"$r")")
  done
  echo "$(printf '%s\n' "${lat[@]}" | median) $(printf '%s\n' "${rps[@]}" | median)"
}
