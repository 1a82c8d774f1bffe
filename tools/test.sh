#!/usr/bin/env bash
# Set up and test: installs what is missing, builds with warnings as errors, runs the whole suite
# with ctest (the contract test and the browser tests included) and a short crash soak, builds
# and checks the Debian package, then does the same suite in a second build with
# -fsanitize=address,undefined, then runs each fuzz target for a short time in a third build
# (clang, libFuzzer). Idempotent; build directories are reused (build/, build-sanitize/,
# build-fuzz/).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
jobs=$(nproc)

echo "== Include arrows (docs/architecture.md, \"Allowed arrows\")"
tools/check_includes.py

echo "== Release build, -Werror"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DEVENTSD_WERROR=ON >/dev/null
cmake --build build -j "$jobs"
(cd build && ctest --output-on-failure -j "$jobs")

echo "== Crash soak: eventsd killed with SIGKILL under load, eventctl rebuild and import killed"
tests/soak/crash_soak.py --cycles 30 --max-load-ms 800 --quiet
tests/soak/crash_soak.py --scenario rebuild --cycles 3 --rebuild-events 60000 --quiet
tests/soak/crash_soak.py --scenario import --cycles 2 --import-events 20000 --quiet

echo "== The README's steps in order: tools/run.sh, its curl, the package (cmake --build build --target deb)"
tools/check_readme.sh

echo "== Sanitizer build (address, undefined)"
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEVENTSD_WERROR=ON \
      -DEVENTSD_SANITIZE=ON -DEVENTSD_BUILD_BENCH=OFF >/dev/null
cmake --build build-sanitize -j "$jobs"
(cd build-sanitize && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j "$jobs")

echo "== Fuzz targets (clang, libFuzzer, ASan and UBSan), 20 s each"
tools/fuzz.sh --seconds 20
echo "== all tests passed"
