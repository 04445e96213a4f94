#!/bin/sh
# demo_locked.sh TIMECONTROL LOG: while one demo runs on LOG, a second one on
# the same log exits with 3 and says "locked: LOG". The second starts once
# the first says it runs (waiting at most 60 s).
set -u
tool=$1
log=$2
rm -rf "$log" "$log.out"
"$tool" demo --db "$log" --duration 5 >"$log.out" 2>&1 &
i=0
until grep -q 'running for' "$log.out" 2>/dev/null; do
  i=$((i + 1))
  [ $i -le 600 ] || { echo "FAIL: the first demo did not start"; exit 1; }
  sleep 0.1
done
out=$("$tool" demo --db "$log" --duration 1 2>&1)
rc=$?
wait
echo "$out"
[ $rc -eq 3 ] && echo "$out" | grep -q "locked: $log"
