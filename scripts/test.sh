#!/usr/bin/env bash
# Every test on a fresh Debian 12 machine: installs what is missing, builds
# the library, tools, tests and benchmarks, and runs the whole suite with
# ctest (including the find_package consumer check).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$root/build"
ctest --test-dir "$root/build" --output-on-failure -j "$(nproc)"
