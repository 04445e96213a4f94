#!/usr/bin/env bash
# Installs the built library into a temporary prefix, then builds and runs a
# separate project that finds it with find_package(timecontrol).
#   check.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$source/tests/package/consumer" -B "$work/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
"$work/consumer/consumer" "$work/log"
"$work/consumer/dashboard_consumer"
"$work/consumer/node_consumer"
