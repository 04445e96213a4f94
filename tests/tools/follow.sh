#!/bin/sh
# follow.sh TIMECONTROL APPEND_TEST_LOG DIR CASE: `timecontrol replay
# --follow` against a log that a second process (append_test_log) writes
# while it runs. Cases:
#
#   every_event    the follower prints every appended event exactly once, in
#                  order, and stops after --count
#   filtered       the same through the source index (--source feed)
#   stops_at_to    it stops at --to although more is appended
#   term, int      SIGTERM / SIGINT end it with exit code 0 after it printed
#                  (and flushed) what the log held
#   pipe           when the reader of its output goes away, it dies of
#                  SIGPIPE at its next write, like any writer to a pipe
#
# In every case the follower's temporary folder is gone at the end.
#
# Waits poll with generous time limits; no pass or fail depends on a fixed
# sleep. Prints what it saw and exits non-zero on failure.

set -u
tool=$1
append=$2
dir=$3
case=$4

rm -rf "$dir"
mkdir -p "$dir/tmp"
log=$dir/log
out=$dir/out
: >"$out"
TMPDIR=$dir/tmp
export TMPDIR

fail() {
  echo "FAIL ($case): $*"
  echo "--- output:"
  cat "$out"
  exit 1
}

# Waits (up to 60 s) until the output has at least $1 lines.
wait_for_lines() {
  i=0
  while [ "$(wc -l <"$out")" -lt "$1" ]; do
    i=$((i + 1))
    [ $i -le 600 ] || fail "timed out waiting for $1 lines"
    sleep 0.1
  done
}

# The first column (seq) of the output must be exactly the lines of $1.
expect_seqs() {
  cut -d' ' -f1 "$out" >"$dir/got"
  printf '%s\n' $1 >"$dir/want"
  cmp -s "$dir/want" "$dir/got" ||
    fail "seqs differ: $(diff "$dir/want" "$dir/got" | head -5)"
}

"$append" "$log" 5 || fail "cannot make the log"

case $case in
  every_event | filtered | stops_at_to)
    # 5 events, then 6 rounds of 7 appended while the follower runs, each
    # by a new writer process once the follower has printed what came
    # before: every round reaches it through its own catch-up.
    case $case in
      every_event)
        args="--count 47"
        want=$(seq 1 47)
        ;;
      filtered)
        args="--source feed --count 23"
        want=$(seq 2 2 47)
        ;;
      stops_at_to)
        args="--to 30"
        want=$(seq 1 30)
        ;;
    esac
    # The lines expected once the log holds $1 events.
    expected_lines() {
      case $case in
        every_event) echo "$1" ;;
        filtered) echo $(($1 / 2)) ;;
        stops_at_to) echo $(($1 < 30 ? $1 : 30)) ;;
      esac
    }
    timeout 120 "$tool" replay "$log" --follow --poll 20ms $args >"$out" &
    pid=$!
    events=5
    for round in 1 2 3 4 5 6; do
      wait_for_lines "$(expected_lines $events)"
      "$append" "$log" 7 || fail "the appender failed"
      events=$((events + 7))
    done
    wait $pid
    rc=$?
    [ $rc -eq 0 ] || fail "exit code $rc"
    expect_seqs "$want"
    ;;
  term | int)
    "$tool" replay "$log" --follow --poll 20ms >"$out" &
    pid=$!
    wait_for_lines 5
    kill -$(echo "$case" | tr a-z A-Z) $pid
    wait $pid
    rc=$?
    [ $rc -eq 0 ] || fail "exit code $rc"
    expect_seqs "$(seq 1 5)"
    ;;
  pipe)
    mkfifo "$dir/fifo"
    "$tool" replay "$log" --follow --poll 20ms >"$dir/fifo" &
    pid=$!
    head -n 2 <"$dir/fifo" >"$out"
    # The follower writes again only when there is something new.
    "$append" "$log" 5 || fail "the appender failed"
    wait $pid
    rc=$?
    [ $rc -eq 141 ] || fail "exit code $rc, not 141 (SIGPIPE)"
    expect_seqs "$(seq 1 2)"
    ;;
  *)
    fail "unknown case"
    ;;
esac
[ -z "$(ls "$dir/tmp")" ] || fail "left behind in TMPDIR: $(ls "$dir/tmp")"
echo "ok ($case): $(wc -l <"$out") lines"
