#!/bin/sh
# `timecontrol repair` end to end, with the exit codes of the readers before
# and after:
#   repair.sh TOOL MAKE_TEST_LOG WORK_DIR NOT_A_LOG_DIR
# A sound log: nothing to repair (exit 1), unchanged. A damaged WAL: every
# reader and the demo exit 4 naming the file; repair exits 0 and says what
# is lost; then verify is clean (the losses listed apart), appending goes on,
# and a second repair has nothing to do. A damaged record: lost alone. No
# log, or not a log: exit 3.
set -u
tool=$1
maker=$2
dir=$3
not_a_log=$4
rm -rf "$dir"
mkdir -p "$dir"

fail() {
  echo "FAIL: $*"
  exit 1
}

# expect CODE PATTERN COMMAND...: runs COMMAND, which must exit CODE and
# print (stdout and stderr together) a line matching PATTERN.
expect() {
  code=$1
  pattern=$2
  shift 2
  out=$("$@" 2>&1)
  rc=$?
  echo "\$ $* -> $rc"
  echo "$out"
  [ "$rc" -eq "$code" ] || fail "$*: exit $rc, not $code"
  echo "$out" | grep -q -E -- "$pattern" || fail "$*: no '$pattern'"
}

"$maker" "$dir/sound" || fail "make_test_log"
before=$(ls -l "$dir/sound" | md5sum)
expect 1 "nothing to repair: .* is sound" "$tool" repair "$dir/sound"
[ "$(ls -l "$dir/sound" | md5sum)" = "$before" ] || fail "a sound log changed"

"$maker" "$dir/wal" --damage-wal || fail "make_test_log --damage-wal"
expect 4 "write-ahead log [0-9]+\.log at offset [0-9]+ \(checksum mismatch\)" \
  "$tool" verify "$dir/wal"
expect 4 "timecontrol repair $dir/wal salvages" "$tool" replay "$dir/wal"
expect 4 "corrupt_record: $dir/wal: damaged" \
  "$tool" demo --db "$dir/wal" --duration 200ms --no-progress
expect 0 "^lost: seq [0-9]+" "$tool" repair "$dir/wal"
expect 0 "recorded: log_repaired at seq [0-9]+" echo "$out"
expect 0 "lost \(repaired at seq [0-9]+\); not a problem" "$tool" verify "$dir/wal"
expect 0 "^0 problems in [0-9]+ events \(seq 1\.\.[0-9]+\)" echo "$out"
expect 0 "log_repaired lost=" "$tool" replay "$dir/wal" --type log_repaired
expect 0 "wrote [0-9]+ events" \
  "$tool" demo --db "$dir/wal" --duration 200ms --no-progress
# Counts of events, not the last seq, once numbers were declared gone.
expect 0 "[0-9]+ events \(seq 1\.\.[0-9]+\) before this run" echo "$out"
expect 0 "the log now holds [0-9]+ events \(seq 1\.\.[0-9]+\)" echo "$out"
expect 1 "nothing to repair" "$tool" repair "$dir/wal"

# A cleanly closed log whose write-ahead log is deleted: damage, named.
expect 0 "wrote [0-9]+ events" \
  "$tool" demo --db "$dir/cut" --duration 300ms --no-progress
rm "$dir/cut"/*.log || fail "no write-ahead log"
expect 4 "seq 1\.\.[0-9]+ were written before the log was closed cleanly and are missing" \
  "$tool" verify "$dir/cut"
expect 4 "closed cleanly" \
  "$tool" demo --db "$dir/cut" --duration 200ms --no-progress
expect 4 "closed cleanly" "$tool" replay "$dir/cut"
expect 0 "^lost: seq 1\.\.[0-9]+" "$tool" repair "$dir/cut"
expect 0 "^0 problems in 1 event \(seq 1\.\.[0-9]+\)" "$tool" verify "$dir/cut"

"$maker" "$dir/record" --corrupt || fail "make_test_log --corrupt"
expect 0 "^lost: seq 3 \(1 event\)" "$tool" repair "$dir/record"
expect 0 "^0 problems" "$tool" verify "$dir/record"

expect 3 "not_found: $dir/none" "$tool" repair "$dir/none"
expect 3 "not_a_log" "$tool" repair "$not_a_log"
expect 2 "PATH" "$tool" repair
echo "ok"
