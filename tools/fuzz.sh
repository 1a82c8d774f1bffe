#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz for a given time each, --jobs at a time, and prints
# for each: executions, coverage reached (libFuzzer's cov and ft), corpus size, findings.
#
#   tools/fuzz.sh [--seconds N] [--jobs N] [--build DIR] [--nice N] [TARGET...]
#
#   --seconds N  time per target (default 60)
#   --jobs N     targets fuzzed at once (default 1; each is one process)
#   --build DIR  the fuzz build directory (default build-fuzz; configured with clang and
#                -DEVENTSD_FUZZ=ON if it is not yet)
#   --nice N     niceness of the build and the fuzzing processes (default 15)
#   TARGET       ingest_body query cursor last_event_id rules import_line log_record
#                http_request sealed_message sendgrid_events mailgun_events
#                postmark_events (default: all)
#
# The corpus grows in DIR/corpus/TARGET (kept between runs; tests/fuzz/corpus/TARGET, the
# checked-in seeds and regression inputs, is read as well). Findings land in
# DIR/findings/TARGET/ (crash-*, leak-*, timeout-*, oom-*): each one becomes a regression input
# in tests/fuzz/corpus/TARGET/ once fixed (docs/reliability.md). Exit status 1 when any target
# found something. The stores of the targets live in a temporary directory, on /dev/shm when
# there is one.
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(ingest_body query cursor last_event_id rules import_line log_record http_request sealed_message
             sendgrid_events mailgun_events postmark_events)
seconds=60
build=build-fuzz
niceness=15
jobs=1
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --nice) niceness="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
((${#targets[@]})) || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "fuzz.sh: no target $t" >&2; exit 2; }
done

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
        -DCMAKE_CXX_COMPILER=clang++ -DEVENTSD_FUZZ=ON -DEVENTSD_BUILD_TESTS=OFF \
        -DEVENTSD_BUILD_BENCH=OFF -DEVENTSD_WERROR=ON >/dev/null
fi
nice -n "$niceness" cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

scratch_root=/tmp
[[ -d /dev/shm && -w /dev/shm ]] && scratch_root=/dev/shm
scratch=$(mktemp -d "$scratch_root/eventsd-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export TMPDIR="$scratch"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# One target's run: its log in $build/fuzz-TARGET.log, its exit status in $build/fuzz-TARGET.rc.
fuzz_one() {
  local t=$1 max_len=65536 dict=() rc=0
  local work="$build/corpus/$t" findings="$build/findings/$t" log="$build/fuzz-$t.log"
  [[ $t == log_record ]] && max_len=8192  # a damaged record may cost up to 64 traversals per word
  case "$t" in
    query|last_event_id|http_request) dict=("-dict=tests/fuzz/http.dict") ;;
    ingest_body|rules|import_line) dict=("-dict=tests/fuzz/json.dict") ;;
  esac
  nice -n "$niceness" "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=30 \
       -rss_limit_mb=4096 -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$findings/" \
       "${dict[@]}" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  echo "$rc" >"$build/fuzz-$t.rc"
}

declare -A before=()
running=0
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t" "$build/findings/$t"
  before[$t]=$(find "$build/findings/$t" -type f | wc -l)
  if ((running >= jobs)); then wait -n || true; running=$((running - 1)); fi
  echo "== fuzz_$t for ${seconds} s (log: $build/fuzz-$t.log)"
  fuzz_one "$t" &
  running=$((running + 1))
done
wait

status=0
summary="| target | seconds | executions | exec/s | cov | ft | corpus (files) | findings |
|---|---|---|---|---|---|---|---|"
for t in "${targets[@]}"; do
  work="$build/corpus/$t"
  findings="$build/findings/$t"
  log="$build/fuzz-$t.log"
  rc=$(cat "$build/fuzz-$t.rc")
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(find "$work" -type f | wc -l)
  found=$(( $(find "$findings" -type f | wc -l) - before[$t] ))
  if ((rc != 0)) || ((found > 0)); then
    status=1
    echo "fuzz_$t: FINDING (exit $rc), see $log and $findings/"
    grep -E 'FINDING|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|SUMMARY' "$log" | head -5 || true
  fi
  summary+="
| $t | $seconds | ${execs:-?} | ${rate:-?} | ${cov:-?} | ${ft:-?} | $corpus | $found |"
done
echo
echo "$summary"
exit $status
