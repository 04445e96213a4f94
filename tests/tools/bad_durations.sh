#!/bin/sh
# bad_durations.sh TIMECONTROL: each malformed or too short --duration is a
# usage error (exit 2).
set -u
for d in -5 5x 50ms; do
  "$1" demo --duration "$d" 2>&1
  rc=$?
  [ $rc -eq 2 ] || { echo "FAIL: --duration $d gave exit code $rc"; exit 1; }
done
