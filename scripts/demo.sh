#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: installs what is missing, builds
# the timecontrol program, and runs `timecontrol demo` with any arguments
# given (e.g. --db /tmp/my-log --duration 120).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
# The build's progress goes to standard error: standard output is the
# demo's summary only.
"$root/scripts/build.sh" "$root/build-release" -DCMAKE_BUILD_TYPE=Release \
  -DTIMECONTROL_BUILD_TESTS=OFF -DTIMECONTROL_BUILD_BENCHMARKS=OFF >&2
exec "$root/build-release/tools/timecontrol" demo "$@"
