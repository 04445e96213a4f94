#!/usr/bin/env bash
# Every test on a fresh Debian 12 machine: installs what is missing, then
# builds and runs three suites, each with ctest:
#   build/       the library, tools, tests and benchmarks, with warnings as
#                errors (TIMECONTROL_WERROR); the whole suite, including the
#                find_package consumer check
#   build-asan/  the same tests under AddressSanitizer and UBSan
#   build-fuzz/  the libFuzzer targets (clang), each run for a few seconds
# Any failure or sanitizer report stops it with a non-zero exit code.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
"$root/scripts/install-deps.sh" --tests

echo "== suite 1/3: normal build"
"$root/scripts/build.sh" "$root/build" -DTIMECONTROL_WERROR=ON
ctest --test-dir "$root/build" --output-on-failure -j "$jobs"

echo "== suite 2/3: AddressSanitizer + UndefinedBehaviorSanitizer"
# -O1 -g1 (line tables: stack traces still name file and line): about half
# the compile time of -O2 -g for the same checks (command.test.cpp: 79 s
# against 169 s), and the sanitizers' usual optimisation level.
"$root/scripts/build.sh" "$root/build-asan" -DTIMECONTROL_SANITIZE=ON \
  -DTIMECONTROL_BUILD_BENCHMARKS=OFF \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$root/build-asan" --output-on-failure -j "$jobs"

echo "== suite 3/3: fuzz targets (short runs)"
cmake -S "$root" -B "$root/build-fuzz" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
  -DTIMECONTROL_BUILD_FUZZERS=ON -DTIMECONTROL_BUILD_TESTS=OFF \
  -DTIMECONTROL_BUILD_BENCHMARKS=OFF -DTIMECONTROL_BUILD_TOOLS=OFF >/dev/null
# Only the fuzzers: they link the layers below the actors (fuzz/CMakeLists.txt).
cmake --build "$root/build-fuzz" -j "$jobs" --target fuzzers
ctest --test-dir "$root/build-fuzz" --output-on-failure -j "$jobs"
