#!/bin/sh
# demo_nodes.sh TIMECONTROL DIR: `timecontrol demo --nodes 3` runs the API's
# callers in three worker processes that call the demo's command "api"
# through a node on a loopback port (net/node.hpp):
#
#   exit code 0, and a line per worker with what came of its calls
#   the three together were admitted what the log says api admitted (every
#                 call passed the one limiter)
#   `timecontrol audit` finds that the log's admissions kept "5/s burst 10"
#   the log records each worker joining and leaving (node_joined, node_lost)
#
# No pass or fail depends on timing: the workers call for the demo's
# duration and the checks read the log.

set -u
tool=$1
dir=$2
rm -rf "$dir"
mkdir -p "$dir"
out=$dir/out

fail() {
  echo "FAIL: $*"
  echo "--- demo's output:"
  cat "$out"
  exit 1
}

"$tool" demo --db "$dir/log" --duration 4s --no-progress --nodes 3 \
  >"$out" 2>&1 || fail "exit code $?"
for i in 1 2 3; do
  grep -q -E "^  worker-$i: [0-9]+ calls, [0-9]+ admitted \([0-9]+ of them failed\), [0-9]+ throttled, 0 other errors, 0 unreachable, 0 unanswered$" \
    "$out" || fail "no line for worker-$i"
done
workers=$(sed -n 's/^  worker-[0-9]: [0-9]* calls, \([0-9]*\) admitted.*/\1/p' \
  "$out" | awk '{ s += $1 } END { print s }')
logged=$(awk '/^api +[0-9]/ { print $3 }' "$out")
[ "$workers" = "$logged" ] ||
  fail "the workers were admitted $workers calls, the log says $logged"
[ "$workers" -gt 0 ] || fail "no call admitted"
"$tool" audit "$dir/log" --command api --policy "5/s burst 10" \
  >"$dir/audit" 2>&1 || { cat "$dir/audit"; fail "audit: exit code $?"; }
"$tool" replay "$dir/log" >"$dir/replay" 2>&1 || fail "replay failed"
for i in 1 2 3; do
  grep -q "node_joined node=\"worker-$i\"" "$dir/replay" ||
    fail "no node_joined of worker-$i"
  grep -q "node_lost node=\"worker-$i\"" "$dir/replay" ||
    fail "no node_lost of worker-$i"
done
echo "ok: three workers, $workers calls admitted together, audit passed"
