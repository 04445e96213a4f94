#!/bin/sh
# fresh_log.sh MAKER DIR [ARGS...]: removes DIR, then runs MAKER DIR ARGS
# (make_test_log) to write a new test log there.
set -eu
maker=$1
dir=$2
shift 2
rm -rf "$dir"
"$maker" "$dir" "$@"
