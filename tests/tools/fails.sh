#!/bin/sh
# fails.sh CODE REGEX PROGRAM [ARGS...]: passes if PROGRAM with ARGS exits
# with CODE and its output (standard output and error together) matches the
# extended regular expression REGEX. The output is printed either way.
set -u
code=$1
regex=$2
shift 2
out=$("$@" 2>&1)
rc=$?
echo "$out"
[ "$rc" -eq "$code" ] || { echo "FAIL: exit code $rc, expected $code"; exit 1; }
echo "$out" | grep -q -E -- "$regex" || { echo "FAIL: no match for: $regex"; exit 1; }
