#!/usr/bin/env bash
# Set up and test: installs what is missing, checks the include arrows, builds with warnings as
# errors, runs the whole suite with ctest (the contract test and the browser tests included) and a
# short crash soak, runs the README's steps in their order (tools/run.sh, its curl, the package),
# then builds again with clang, -fsanitize=address,undefined and libFuzzer's instrumentation, runs
# the same suite there, and fuzzes each fuzz target for a short time in that same build (the fuzz
# targets are built once); then a third time with clang and -fsanitize=thread, and runs the suite
# there but for the tests that run on one thread only (docs/reliability.md, "Concurrency").
# Idempotent; build directories are reused (build/, build-sanitize/, build-tsan/), and with ccache
# installed so are the objects of earlier runs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each stage's heading says how long the run has taken so far.
stage() { echo "== $* (at $((SECONDS / 60))m$((SECONDS % 60))s)"; }

tools/setup.sh
jobs=$(nproc)
# Every build through ccache: a run after the first, in the same directory, compiles again only
# what changed. The sloppiness lets it reuse what clang compiled with a precompiled header (the
# tests, http/, eventctl), as ccache's manual asks: its own timestamps and __DATE__/__TIME__
# (which eventsd does not use) are not inputs. (GCC writes a different precompiled header each
# time, so the Release build compiles what uses one again: about three minutes.)
launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime

stage "Include arrows (docs/architecture.md, \"Allowed arrows\")"
tools/check_includes.py

stage "Release build, -Werror"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DEVENTSD_WERROR=ON "${launcher[@]}" >/dev/null
cmake --build build -j "$jobs"
(cd build && ctest --output-on-failure -j "$jobs")

stage "Crash soak: eventsd killed with SIGKILL under load, eventctl rebuild and import killed"
tests/soak/crash_soak.py --cycles 30 --max-load-ms 800 --quiet
tests/soak/crash_soak.py --scenario rebuild --cycles 3 --rebuild-events 60000 --quiet
tests/soak/crash_soak.py --scenario import --cycles 2 --import-events 20000 --quiet

stage "The README's steps in order: tools/run.sh, its curl, the package (cmake --build build --target deb)"
tools/check_readme.sh

stage "Sanitizer build (clang: address, undefined, and libFuzzer's instrumentation), -Werror"
# -g1: line tables only, all a sanitizer's stack trace needs, and a faster build than full -g.
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g1 -O1" \
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DEVENTSD_FUZZ=ON -DEVENTSD_WERROR=ON \
      -DEVENTSD_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
cmake --build build-sanitize -j "$jobs"
(cd build-sanitize && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j "$jobs")

stage "Fuzz targets (libFuzzer in the sanitizer build), 20 s each, $jobs at a time"
tools/fuzz.sh --build build-sanitize --seconds 20 --jobs "$jobs"

stage "ThreadSanitizer build (clang: thread), -Werror"
# Configured as the sanitizer build, without fuzz targets (tests/CMakeLists.txt). Every program
# is built with TSan, so the eventsd and eventctl the tests start are checked too; the first
# report stops the program (halt_on_error), and a server stopped so fails its test
# (tests/support/server_process.h). tests/tsan.supp names what TSan may not report, and why. Not
# run here: the property tests of tests/projections, which fold and query on one thread
# (AggregateProperty, PropertyTest, SessionsPropertyTest: an eighth of this suite's time under
# TSan, and nothing TSan could find), and the crash soak (Python driving the Release build).
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g1 -O1" \
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DEVENTSD_SANITIZE=thread -DEVENTSD_WERROR=ON \
      -DEVENTSD_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
cmake --build build-tsan -j "$jobs"
# Twice as many tests at once as cores: much of their time is spent waiting (on servers, leases,
# sockets), and the suite takes two thirds of the time it takes one per core.
(export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp"
 cd build-tsan && ctest --output-on-failure -j "$((2 * jobs))" -E '^(AggregateProperty|PropertyTest|SessionsPropertyTest)\.')
echo "== all tests passed in $((SECONDS / 60))m$((SECONDS % 60))s"
