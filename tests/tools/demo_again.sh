#!/bin/sh
# demo_again.sh TIMECONTROL LOG: runs `timecontrol demo` once more on a log an
# earlier run wrote, and checks that it continues the log, that the
# Scheduler's rebuilt intents are not scheduled a second time, and that the
# log still verifies.
set -u
tool=$1
log=$2
fail() { echo "FAIL: $*"; exit 1; }

out=$("$tool" demo --db "$log" --duration 2s 2>&1) || fail "demo exited with $?"
echo "$out"
echo "$out" | grep -q '^log .*, [1-9][0-9]* events before this run' ||
  fail "the second run did not find the first run's events"
for job in 'market-data  every 1s' 'report       every 5s' \
  'cleanup      cron \* \* \* \* \*'; do
  echo "$out" | grep -q "$job (Scheduler), rebuilt from the log" ||
    fail "not rebuilt: $job"
done
for trigger in 'every 1s' 'every 5s' 'cron \* \* \* \* \*'; do
  n=$("$tool" replay "$log" --source scheduler --type intent_scheduled |
    grep -c "trigger=\"$trigger") || true
  [ "$n" -eq 1 ] || fail "$n intents with trigger '$trigger', expected 1"
done
"$tool" verify "$log" || fail "verify"
