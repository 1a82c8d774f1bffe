#!/usr/bin/env bash
# Set up and test: installs what is missing, builds with warnings as errors, runs the whole suite
# with ctest (the contract test included), builds and checks the Debian package, then builds and
# runs the suite again with -fsanitize=address,undefined.
# Idempotent; build directories are reused (build/ and build-sanitize/).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
jobs=$(nproc)

echo "== Release build, -Werror"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DEVENTSD_WERROR=ON >/dev/null
cmake --build build -j "$jobs"
(cd build && ctest --output-on-failure -j "$jobs")

echo "== Debian package (cpack -G DEB) and its checks"
tools/check_package.sh build

echo "== Sanitizer build (address, undefined)"
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEVENTSD_WERROR=ON \
      -DEVENTSD_SANITIZE=ON -DEVENTSD_BUILD_BENCH=OFF >/dev/null
cmake --build build-sanitize -j "$jobs"
(cd build-sanitize && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j "$jobs")
echo "== all tests passed"
