#!/bin/sh
# old_log_continued.sh TIMECONTROL FIXTURE COPY: a demo run on a copy of a
# log of an earlier build (four events per call) continues it: the log
# verifies, and stats counts each call's request once, in the old part (one
# call_requested per call) and in the new (none), alike.
set -u
tool=$1
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$3"
cp -R "$2" "$3"
before=$("$tool" stats "$3" --source api) || fail "stats before: $?"
"$tool" demo --db "$3" --duration 2s --no-progress >/dev/null 2>&1 ||
  fail "demo exited with $?"
"$tool" verify "$3" || fail "verify exited with $?"
after=$("$tool" stats "$3" --source api) || fail "stats after: $?"
echo "$after"
# The api row: requested = admitted + rejected + dropped (it never queues).
row() { echo "$1" | awk '$1 == "api" && NF >= 9 { print; exit }'; }
for r in "$(row "$before")" "$(row "$after")"; do
  set -- $r
  [ "$2" -eq $(($3 + $5 + $6)) ] ||
    fail "requested $2 is not admitted $3 + rejected $5 + dropped $6: $r"
done
set -- $(row "$before")
old=$2
set -- $(row "$after")
[ "$2" -gt "$old" ] || fail "no new requests counted ($old, then $2)"
