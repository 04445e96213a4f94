#!/bin/sh
# demo_http.sh TIMECONTROL DIR: `timecontrol demo --http 127.0.0.1:0` serves
# the running demo's dashboard (http/dashboard.hpp inside its runtime):
#
#   its output names the address ("dashboard http://127.0.0.1:PORT/")
#   /metrics while it runs: 200, accepted by `promtool check metrics` (when
#                 installed), with the api command's admissions and the
#                 Log's backlog, a gauge only a runtime has
#   /api/state:   200, JSON naming the demo's commands
#   a second demo on the same address: exit code 3, "cannot listen on", and
#                 no log created
#   the demo still ends on its own, exit code 0, with its summary
#
# Exit code 77 (ctest: skipped) without curl. Waits poll with generous time
# limits; no pass or fail depends on a fixed sleep.

set -u
command -v curl >/dev/null || { echo "skipped: no curl"; exit 77; }
tool=$1
dir=$2
rm -rf "$dir"
mkdir -p "$dir"
out=$dir/out
pid=

fail() {
  echo "FAIL: $*"
  echo "--- demo's output:"
  cat "$out"
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  exit 1
}

. "$(dirname "$0")/wait_for.sh"

"$tool" demo --db "$dir/log" --duration 6s --no-progress \
  --http 127.0.0.1:0 >"$out" 2>&1 &
pid=$!
wait_for "$out" '^dashboard http://127\.0\.0\.1:[0-9]+/$'
url=$(sed -n 's/^dashboard \(http:.*\)$/\1/p' "$out")

# The api command is called from the start; wait for its first admission.
i=0
while :; do
  curl -sf "${url}metrics" >"$dir/metrics" || fail "GET /metrics failed"
  grep -q -E '^timecontrol_calls_admitted_total\{command="api"\} [1-9]' \
    "$dir/metrics" && break
  i=$((i + 1))
  [ $i -le 300 ] || fail "no api admission in /metrics: $(cat "$dir/metrics")"
  sleep 0.1
done
grep -q -E '^timecontrol_log_backlog_bytes [0-9]+$' "$dir/metrics" ||
  fail "no timecontrol_log_backlog_bytes in /metrics"
if command -v promtool >/dev/null; then
  promtool check metrics <"$dir/metrics" >"$dir/promtool" 2>&1 ||
    fail "promtool check metrics: $(cat "$dir/promtool")"
fi
curl -sf "${url}api/state" >"$dir/state" || fail "GET /api/state failed"
grep -q '"command":"market-data"' "$dir/state" ||
  fail "no market-data in /api/state: $(cat "$dir/state")"

# A second demo on the same address: exit 3, saying so, and no log left.
port=$(echo "$url" | sed 's/.*:\([0-9]*\)\/$/\1/')
"$tool" demo --db "$dir/never" --duration 1s --no-progress \
  --http "127.0.0.1:$port" >"$dir/second" 2>&1
code=$?
[ "$code" -eq 3 ] || fail "a second demo on port $port exited $code: $(cat "$dir/second")"
grep -q "cannot listen on 127.0.0.1:$port" "$dir/second" ||
  fail "no 'cannot listen' from the second demo: $(cat "$dir/second")"
[ ! -e "$dir/never" ] || fail "the second demo left a log behind"

wait "$pid"
code=$?
pid=
[ "$code" -eq 0 ] || fail "demo exited $code"
grep -q "problems\|events" "$out" || fail "no summary"
echo "demo served its dashboard at $url and ended with its summary"
