# What the benchmark scripts share (sourced, not run): installing wrk, the medians and unit
# conversions they report with, and serving a data set with a fresh eventsd on a free port.

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

# Starts build/eventsd/eventsd on data directory $1 and a free port; sets server_pid and port, and
# stops the server when the script exits.
serve() {
  local out
  out=$(mktemp)
  build/eventsd/eventsd --data "$1" --listen 127.0.0.1:0 >"$out" 2>/dev/null &
  server_pid=$!
  trap "kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null; rm -f '$out'" EXIT
  for _ in $(seq 200); do grep -q listening "$out" && break; sleep 0.05; done
  port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$out")
  [[ -n $port ]] || { echo "eventsd did not start on $1" >&2; exit 1; }
}
