#!/bin/sh
# demo_output_full.sh TIMECONTROL LOG: a demo whose summary cannot be written
# (standard output is /dev/full) exits 4 and says so on standard error.
set -u
rm -rf "$2"
err=$("$1" demo --db "$2" --duration 200ms --no-progress 2>&1 >/dev/full)
rc=$?
echo "$err"
[ $rc -eq 4 ] && echo "$err" | grep -q 'writing to standard output failed'
