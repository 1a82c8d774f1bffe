#!/usr/bin/env bash
# Cluster-mode benchmark (docs/cluster.md, docs/performance.md "Cluster mode"). In one run:
#
# 1. Ingest. 3 nats-server (JetStream, clustered, loopback, temporary directories, max_payload 8MB)
#    and 2 eventsd nodes (--nats URLS --node a|b --shards 4), started together so that they share
#    the shards; tokens for TENANTS tenants (eventctl token create --nats). The load is
#    bench/ingest.sh's (wrk -t1, bench/wrk/ingest.lua, sessions workload): two wrk processes, one
#    per node, each taking the tenants' tokens in turn, so half the requests arrive at a node that
#    does not own their shard and are forwarded. Then the same two wrk processes against one
#    single-node eventsd (no --nats, same tenants), in the same run. Scenarios: batches of 100
#    events over 8 connections, single events over 64 (4 + 4 and 32 + 32). Fresh servers per
#    measurement, 2 s of warm-up, SECONDS_EACH measured; cluster and single node alternate; RUNS
#    runs; medians and the ratio cluster / single node.
#
# 2. Failover stall (bench/cluster_stall.py). For each lease in LEASES: a fresh cluster, paced
#    single-event ingest of every tenant through node b (RATE requests/s per tenant), then
#      - node a (owner of some shards) killed with SIGKILL,
#      - node a stopped with SIGTERM (a fresh cluster again),
#      - one nats-server killed with SIGKILL: the one leading the most shard streams;
#    each client gives a request up after CLIENT_TIMEOUT seconds (and sends the next); printing the longest gap between two successive acknowledged writes of each tenant (per shard)
#    and, for the nodes, how long until node b's /healthz showed every shard owned by b.
#    FAILOVER_RUNS rounds (medians).
#
# usage: bench/cluster.sh   (RUNS=3 SECONDS_EACH=10 TENANTS=8 LEASES="6000 1500" RATE=50
#                            CLIENT_TIMEOUT=5 FAILOVER_RUNS=3 FAILOVER_KINDS="kill-a term-a kill-nats-leader"
#                            SKIP_INGEST= SKIP_FAILOVER= KEEP=: keep the last cluster's logs)
source "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-3}
SECONDS_EACH=${SECONDS_EACH:-10}
TENANTS=${TENANTS:-8}
SHARDS=4
LEASES=${LEASES:-"6000 1500"}
RATE=${RATE:-50}
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-5}
FAILOVER_RUNS=${FAILOVER_RUNS:-$RUNS}

for tool in nats-server wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (tools/setup.sh; apt-get install wrk)" >&2; exit 1; }
done
# BUILD=DIR: the binaries of another build (e.g. a previous revision's, to compare in one run).
BUILD=${BUILD:-build}
[[ $BUILD == build ]] && build_release eventsd eventctl
EVENTSD=$BUILD/eventsd/eventsd
EVENTCTL=$BUILD/tools/eventctl

work=$(mktemp -d)
# The cluster key every node and eventctl seal with (revisions before it had none).
key_args=()
if "$EVENTSD" --help | grep -q -- --cluster-key-file; then
  (umask 077; head -c 32 /dev/urandom | base64 >"$work/cluster.key")
  key_args=(--cluster-key-file "$work/cluster.key")
fi
pids=()  # every process this script started and has not reaped
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n ${KEEP:-} ]]; then echo "kept: $work (logs of the last cluster)"; else rm -rf "$work"; fi
}
trap cleanup EXIT
forget() { # $1: pid, reaped
  local keep=() p
  for p in "${pids[@]}"; do [[ $p != "$1" ]] && keep+=("$p"); done
  pids=("${keep[@]}")
}

load() { awk '{print $1, $2, $3}' /proc/loadavg; }
free_ports() { # $1: how many distinct free loopback ports
  python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# Tenant names: TENANTS of them, the same number on every shard (FNV-1a 64 of the name modulo
# the shards, as cluster/placement.h), so that every shard takes its share of the load.
read -r -a tenants <<<"$(python3 - "$TENANTS" "$SHARDS" <<'EOF'
import sys
n, shards = int(sys.argv[1]), int(sys.argv[2])
def fnv(s):
    h = 0xcbf29ce484222325
    for c in s.encode():
        h = ((h ^ c) * 0x100000001b3) % 2**64
    return h
per = {s: [] for s in range(shards)}
i = 0
while sum(len(v) for v in per.values()) < n:
    name = "bench%d" % i
    s = fnv(name) % shards
    if len(per[s]) < (n + shards - 1) // shards and sum(len(v) for v in per.values()) < n:
        per[s].append(name)
    i += 1
print(" ".join(t for s in range(shards) for t in per[s]))
EOF
)"
declare -A shard_of
for t in "${tenants[@]}"; do
  shard_of[$t]=$(python3 -c "
import sys
h = 0xcbf29ce484222325
for c in sys.argv[1].encode(): h = ((h ^ c) * 0x100000001b3) % 2**64
print(h % $SHARDS)" "$t")
done

# ---- processes -------------------------------------------------------------------------------

# 3 nats-server as tests/support/nats_cluster.cpp configures them, plus a monitoring port each
# (to find stream leaders). Sets nats_urls, nats_pid[i], nats_mon[i].
declare -a nats_pid nats_mon
start_nats() {
  local ports i j
  read -r -a ports <<<"$(free_ports 9)"
  nats_urls=
  for i in 0 1 2; do
    local dir=$work/nats/n$i
    rm -rf "$dir"; mkdir -p "$dir/js"
    nats_mon[$i]=${ports[$((3 * i + 2))]}
    {
      echo "server_name: n$i"
      echo "listen: 127.0.0.1:${ports[$((3 * i))]}"
      echo "http: 127.0.0.1:${nats_mon[$i]}"
      echo "max_payload: 8MB"
      echo "logfile: \"$dir/log\""
      echo "jetstream { store_dir: \"$dir/js\" }"
      echo "cluster {"
      echo "  name: eventsd-bench"
      echo "  listen: 127.0.0.1:${ports[$((3 * i + 1))]}"
      echo "  routes: ["
      for j in 0 1 2; do
        [[ $j != "$i" ]] && echo "    nats-route://127.0.0.1:${ports[$((3 * j + 1))]}"
      done
      echo "  ]"
      echo "}"
    } >"$dir/conf"
    nats_urls+="${nats_urls:+,}nats://127.0.0.1:${ports[$((3 * i))]}"
  done
  for i in 0 1 2; do
    nats-server -c "$work/nats/n$i/conf" &
    nats_pid[$i]=$!; pids+=($!)
  done
  # Ready: every server answers and knows the JetStream meta leader.
  for i in 0 1 2; do
    for _ in $(seq 1200); do
      curl -sf "http://127.0.0.1:${nats_mon[$i]}/jsz" 2>/dev/null |
        python3 -c 'import json, sys; sys.exit(0 if (json.load(sys.stdin).get("meta_cluster") or {}).get("leader") else 1)' \
        2>/dev/null && break
      sleep 0.05
    done
  done
}
stop_nats() {
  local i
  for i in 0 1 2; do
    [[ -n ${nats_pid[$i]:-} ]] || continue
    kill "${nats_pid[$i]}" 2>/dev/null || true
    wait "${nats_pid[$i]}" 2>/dev/null || true
    forget "${nats_pid[$i]}"; nats_pid[$i]=
  done
}

# eventsd: $1 name (a, b; "single": no --nats), $2 lease ms. Sets node_pid[$1], node_port[$1].
declare -A node_pid node_port
start_node() {
  local name=$1 dir=$work/node-$1 args=()
  [[ $name != single ]] && rm -rf "$dir"  # (a single node's directory holds its tokens already)
  mkdir -p "$dir"
  [[ $name != single ]] && args=(--nats "$nats_urls" "${key_args[@]}" --node "$name" --shards "$SHARDS" --lease-ms "$2")
  "$EVENTSD" --data "$dir/data" --listen 127.0.0.1:0 "${args[@]}" >"$dir/out" 2>"$dir/err" &
  node_pid[$name]=$!; pids+=($!)
}
wait_node() { # $1 name, $2 lease: until it listens; a node that exited is started again (twice)
  local dir=$work/node-$1 attempt
  for attempt in 1 2 3; do
    for _ in $(seq 1200); do
      grep -q listening "$dir/out" 2>/dev/null && break
      kill -0 "${node_pid[$1]}" 2>/dev/null || break
      sleep 0.05
    done
    node_port[$1]=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$dir/out" | head -1)
    [[ -n ${node_port[$1]} ]] && return 0
    echo "eventsd $1 did not start (attempt $attempt): $(tail -1 "$dir/err")" >&2
    wait "${node_pid[$1]}" 2>/dev/null || true; forget "${node_pid[$1]}"
    start_node "$1" "${2:-0}"
  done
  exit 1
}
stop_node() { # $1 name
  [[ -n ${node_pid[$1]:-} ]] || return 0
  kill "${node_pid[$1]}" 2>/dev/null || true
  wait "${node_pid[$1]}" 2>/dev/null || true
  forget "${node_pid[$1]}"; node_pid[$1]=
}
owners() { # $1 node: its /healthz view of the shards' owners (an operator's), "a b - a" ("-": none)
  curl -sf ${operator_token:+-H "Authorization: Bearer $operator_token"} "http://127.0.0.1:${node_port[$1]}/healthz" 2>/dev/null |
    python3 -c '
import json, sys
print(" ".join(s.get("owner") or "-" for s in json.load(sys.stdin)["shards"]))' 2>/dev/null || true
}

# A cluster: 3 nats-server, nodes a and b started together (so that they see each other before
# they take shards), every shard owned as both see it, tokens for every tenant and an operator's
# (to read /healthz's shards). $1: lease ms.
declare -A token
operator_token=
start_cluster() {
  local lease=$1 t o
  start_nats
  for t in "${tenants[@]}"; do
    # (a JetStream API call may time out while the servers are still settling: tried again)
    for _ in 1 2 3; do
      token[$t]=$("$EVENTCTL" token create --nats "$nats_urls" "${key_args[@]}" --tenant "$t" --scopes events:write,events:read) && break
    done
  done
  # (revisions before operator tokens showed /healthz's shards to anyone)
  if "$EVENTCTL" token create --help | grep -q -- --operator; then
    for _ in 1 2 3; do
      operator_token=$("$EVENTCTL" token create --nats "$nats_urls" "${key_args[@]}" --operator) && break
    done
  fi
  # Node a alone first creates the cluster's buckets and streams, then stops (giving its leases
  # back): two nodes started together on a new cluster race to create them, and the loser may
  # time out reading the bucket and exit (docs/performance.md, "Cluster mode").
  start_node a "$lease"; wait_node a "$lease"; stop_node a
  start_node a "$lease"; start_node b "$lease"
  wait_node a "$lease"; wait_node b "$lease"
  for _ in $(seq 1200); do
    o=$(owners a)
    [[ -n $o && $o != *-* && $o == "$(owners b)" ]] && break
    sleep 0.05
  done
  cluster_owners=$(owners b)
}
stop_cluster() { stop_node a; stop_node b; stop_nats; }

start_single() {
  local t
  rm -rf "$work/node-single"
  for t in "${tenants[@]}"; do
    token[$t]=$("$EVENTCTL" token create --data "$work/node-single/data" --tenant "$t" \
                --scopes events:write,events:read --create)
  done
  start_node single 0; wait_node single
}

# ---- 1. ingest ---------------------------------------------------------------------------------

cpu_seconds() { # pids: their CPU time (user + system), in seconds
  local p t=0
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  awk -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", t/hz}'
}
stream_messages() { # messages in the shards' streams (nats-server n0 holds a replica of each)
  curl -sf "http://127.0.0.1:${nats_mon[0]}/jsz?accounts=true&streams=true" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
print(sum(st["state"]["messages"] for acc in doc.get("account_details") or []
          for st in acc.get("stream_detail") or [] if st["name"][len("EVENTSD_S"):].isdigit()))'
}

# Two wrk processes at once, one per port given; prints "requests/s non_2xx p50_ms".
wrk_pair() { # $1 batch, $2 connections in all, $3 seconds, $4 port, $5 port
  local tokens t
  tokens=$(for t in "${tenants[@]}"; do printf '%s,' "${token[$t]}"; done)
  EVENTSD_TOKENS=$tokens BATCH_SIZE=$1 WORKLOAD=sessions \
    wrk -t1 -c$(($2 / 2)) -d"$3s" --latency -s bench/wrk/ingest.lua "http://127.0.0.1:$4" >"$work/wrk1" 2>&1 &
  local w1=$!
  EVENTSD_TOKENS=$tokens BATCH_SIZE=$1 WORKLOAD=sessions \
    wrk -t1 -c$(($2 / 2)) -d"$3s" --latency -s bench/wrk/ingest.lua "http://127.0.0.1:$5" >"$work/wrk2" 2>&1
  wait $w1
  awk '/^Requests\/sec/ {r += $2} /Non-2xx/ {e += $NF}
       $1=="50%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) sub(/ms$/,"",v);
                  else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; if (v > p) p = v}
       END {printf "%.1f %d %.2f\n", r, e, p}' "$work/wrk1" "$work/wrk2"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(nats-server --version)"
echo "load average at start: $(load)"
echo "tenants: $(for t in "${tenants[@]}"; do printf '%s(s%s) ' "$t" "${shard_of[$t]}"; done)"

if [[ -z ${SKIP_INGEST:-} ]]; then
  printf "\n%-22s %-8s %-12s %12s %12s %9s %7s  %s\n" scenario mode run "requests/s" "events/s" "p50 ms" non2xx "load / owners"
  for scenario in "100 8" "1 64"; do
    read -r batch conns <<<"$scenario"
    declare -A rps=()
    for run in $(seq "$RUNS"); do
      for mode in cluster single; do
        if [[ $mode == cluster ]]; then
          start_cluster 6000; ports=("${node_port[a]}" "${node_port[b]}"); extra=$cluster_owners
        else
          start_single; ports=("${node_port[single]}" "${node_port[single]}"); extra=
        fi
        wrk_pair "$batch" "$conns" 2 "${ports[@]}" >/dev/null
        # Where the CPU goes (seconds of CPU during the measured run), and for the cluster, how
        # many requests each stream message (one group commit of an owner) carried.
        if [[ $mode == cluster ]]; then
          servers=("${nats_pid[@]}"); nodes=("${node_pid[a]}" "${node_pid[b]}"); m0=$(stream_messages)
        else
          servers=(); nodes=("${node_pid[single]}"); m0=0
        fi
        c0=$(cpu_seconds "${nodes[@]}"); n0=$(cpu_seconds "${servers[@]}")
        read -r r e p <<<"$(wrk_pair "$batch" "$conns" "$SECONDS_EACH" "${ports[@]}")"
        cpu="eventsd $(awk -v a="$(cpu_seconds "${nodes[@]}")" -v b="$c0" 'BEGIN {printf "%.1f", a-b}') s"
        if [[ $mode == cluster ]]; then
          cpu+=", nats-server $(awk -v a="$(cpu_seconds "${servers[@]}")" -v b="$n0" 'BEGIN {printf "%.1f", a-b}') s"
          cpu+=", $(awk -v m="$(stream_messages)" -v m0="$m0" -v r="$r" -v s="$SECONDS_EACH" \
                    'BEGIN {printf "%.1f requests/commit", r*s/(m-m0)}')"
        fi
        l=$(load)
        if [[ $mode == cluster ]]; then stop_cluster; else stop_node single; fi
        rps[$mode]+="$r "
        printf "%-22s %-8s %-12s %12.0f %12.0f %9s %7s  %s\n" "batch=$batch conns=$conns" "$mode" "$run/$RUNS" \
          "$r" "$(awk -v r="$r" -v b="$batch" 'BEGIN {print r*b}')" "$p" "$e" "load $l${extra:+ / owners $extra} / cpu $cpu"
      done
    done
    c=$(tr ' ' '\n' <<<"${rps[cluster]}" | grep . | median)
    s=$(tr ' ' '\n' <<<"${rps[single]}" | grep . | median)
    printf "%-22s %-8s %-12s %12.0f %12.0f\n" "batch=$batch conns=$conns" cluster median "$c" "$(awk -v r="$c" -v b="$batch" 'BEGIN {print r*b}')"
    printf "%-22s %-8s %-12s %12.0f %12.0f\n" "batch=$batch conns=$conns" single median "$s" "$(awk -v r="$s" -v b="$batch" 'BEGIN {print r*b}')"
    printf "%-22s %-8s %-12s %12s\n" "batch=$batch conns=$conns" ratio "" "$(awk -v c="$c" -v s="$s" 'BEGIN {printf "%.2fx", c/s}')"
    unset rps
  done
fi

# ---- 2. failover stall ------------------------------------------------------------------------

# The nats-server (0-2) leading the most EVENTSD_S* streams, from the monitoring endpoints.
stream_leader() {
  local i
  for i in 0 1 2; do
    curl -sf "http://127.0.0.1:${nats_mon[$i]}/jsz?accounts=true&streams=true" 2>/dev/null > "$work/jsz$i" || echo '{}' >"$work/jsz$i"
  done
  python3 - "$work"/jsz0 "$work"/jsz1 "$work"/jsz2 <<'EOF'
import collections, json, sys
leaders = {}
for path in sys.argv[1:]:
    try:
        doc = json.load(open(path))
    except ValueError:
        continue
    for acc in doc.get("account_details") or []:
        for st in acc.get("stream_detail") or []:
            lead = (st.get("cluster") or {}).get("leader")
            if st["name"][len("EVENTSD_S"):].isdigit() and lead:
                leaders[st["name"]] = lead
count = collections.Counter(leaders.values())
best = max(sorted(count), key=lambda n: count[n]) if count else "n0"
print(best[1:], " ".join("%s=%s" % kv for kv in sorted(leaders.items())))
EOF
}

if [[ -z ${SKIP_FAILOVER:-} ]]; then
  tenant_args=()
  for lease in $LEASES; do
    for what in ${FAILOVER_KINDS:-kill-a term-a kill-nats-leader}; do
      for round in $(seq "$FAILOVER_RUNS"); do
        start_cluster "$lease"
        tenant_args=()
        for t in "${tenants[@]}"; do tenant_args+=(--tenant "$t:${shard_of[$t]}:${token[$t]}"); done
        case $what in
          kill-a) target=${node_pid[a]}; sig=KILL; expect=b; victim=a ;;
          term-a) target=${node_pid[a]}; sig=TERM; expect=b; victim=a ;;
          kill-nats-leader)
            read -r idx leaders <<<"$(stream_leader)"
            target=${nats_pid[$idx]}; sig=KILL; expect=; victim=n$idx ;;
        esac
        echo
        echo "== lease ${lease} ms, $what, round $round/$FAILOVER_RUNS: owners before [$cluster_owners]," \
             "load $(load)${leaders:+, stream leaders $leaders, killing n$idx}"
        python3 bench/cluster_stall.py --port "${node_port[b]}" --rate "$RATE" --timeout "$CLIENT_TIMEOUT" --pid "$target" --signal "$sig" \
          ${expect:+--owner "$expect"} --owners-before "$cluster_owners" --operator-token "$operator_token" \
          --victim "$victim" --leaders "${leaders:-}" "${tenant_args[@]}" \
          --label "lease=$lease $what" | tee -a "$work/stall.txt"
        leaders=
        # The victim was killed by the probe: reap it before the rest is stopped.
        wait "$target" 2>/dev/null || true; forget "$target"
        [[ $target == "${node_pid[a]}" ]] && node_pid[a]=
        for i in 0 1 2; do [[ ${nats_pid[$i]} == "$target" ]] && nats_pid[$i]=; done
        stop_cluster
      done
    done
  done
  echo
  echo "summary (medians over $FAILOVER_RUNS rounds; ms):"
  python3 bench/cluster_stall.py --summarize "$work/stall.txt"
fi
echo "load average at end: $(load)"
