#!/bin/sh
# watch_pause.sh TIMECONTROL LOG: `timecontrol watch pause` and `resume` on a
# log a demo wrote (its controller "watchdog" watches "market-data"): each
# records its policy_changed once, then says there is nothing to do; an
# unwatched command is exit 2; a log another process holds is exit 3,
# "locked"; a missing log exit 3, not_found.
set -u
tool=$1
log=$2
rm -rf "$log" "$log.out"
fail() { echo "FAIL: $*"; exit 1; }
expect() { # CODE REGEX ARGS...: exit code and output
  code=$1
  regex=$2
  shift 2
  out=$("$tool" "$@" 2>&1)
  rc=$?
  echo "\$ timecontrol $*"
  echo "$out"
  [ "$rc" -eq "$code" ] || fail "exit code $rc, expected $code"
  echo "$out" | grep -q -E -- "$regex" || fail "no match for: $regex"
}
"$tool" demo --db "$log" --duration 1 >/dev/null 2>&1 || fail "demo"
w="--controller watchdog --command market-data"
expect 0 'recorded at seq [0-9]+: watchdog policy_changed policy="pause market-data"' watch pause "$log" $w
expect 0 "'market-data' is paused already \(controller 'watchdog'\); nothing recorded" watch pause "$log" $w
expect 0 'policy="pause market-data"' replay "$log" --source watchdog --type policy_changed
expect 0 'recorded at seq [0-9]+: watchdog policy_changed policy="resume market-data"' watch resume "$log" $w
expect 0 "'market-data' is not paused \(controller 'watchdog'\); nothing recorded" watch resume "$log" $w
expect 2 "controller 'watchdog' does not watch 'api' in $log" watch pause "$log" --controller watchdog --command api
expect 2 "controller 'nobody' does not watch 'market-data'" watch pause "$log" --controller nobody --command market-data
expect 3 "not_found: $log-missing" watch pause "$log-missing" $w
expect 2 "--command" watch pause "$log" --controller watchdog
# Held by a running demo: locked.
"$tool" demo --db "$log" --duration 5 >"$log.out" 2>&1 &
i=0
until grep -q 'running for' "$log.out" 2>/dev/null; do
  i=$((i + 1))
  [ $i -le 600 ] || fail "the demo did not start"
  sleep 0.1
done
out=$("$tool" watch pause "$log" $w 2>&1)
rc=$?
wait
echo "$out"
[ $rc -eq 3 ] || fail "exit code $rc on a held log, expected 3"
echo "$out" | grep -q "locked: $log" || fail "not locked"
echo "pass"
