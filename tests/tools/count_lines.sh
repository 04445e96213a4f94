#!/bin/sh
# count_lines.sh N PROGRAM [ARGS...]: PROGRAM's standard output has exactly N
# lines (its exit code and standard error do not matter).
set -u
n=$1
shift
lines=$("$@" 2>/dev/null | wc -l)
[ "$lines" -eq "$n" ] || { echo "FAIL: $lines lines, expected $n"; exit 1; }
